//! Source normalisation before a module reaches regorus, for constructs the
//! engine reads differently from OPA. Every rewrite stays on its line, so
//! errors, coverage and prints still point at the user's lines.
//!
//! Import aliases: regorus 0.14.1 can give a wrong value for a rule reached
//! through an import alias (`import data.p` then `p.z`) under `with input
//! as`, when the rule depends on modules loaded after it; the full reference
//! (`data.p.z`) is right. OPA resolves aliases at compile time, so spelling
//! every alias out as its full reference is what OPA does.

use std::borrow::Cow;
use std::collections::HashMap;

use regorus::unstable::Expr;

use super::ast::visit_rule_exprs;
use super::recursion::{bound_vars, import_aliases};
use crate::bundle::catalog::parse_module;
use crate::error::Result;

/// The module text regorus should see: the layout fixes of
/// [`super::layout`], import aliases spelled out, `some .. in` over what
/// may not be a collection (see [`super::some_in`]), then the terms OPA
/// binds before a `not` (see [`super::negation`]).
pub fn normalize<'a>(file: &str, text: &'a str, rego_v0: bool) -> Result<Cow<'a, str>> {
    normalize_with(file, text, rego_v0, true)
}

/// What the bytecode VM should see: the same, but `some .. in` as it is
/// (the VM already iterates nothing over a scalar, and the lookup costs
/// batch replay about a tenth of its speed).
pub fn normalize_for_vm<'a>(file: &str, text: &'a str, rego_v0: bool) -> Result<Cow<'a, str>> {
    normalize_with(file, text, rego_v0, false)
}

fn normalize_with<'a>(
    file: &str,
    text: &'a str,
    rego_v0: bool,
    some_in: bool,
) -> Result<Cow<'a, str>> {
    let text = match super::layout::fix_layout(text, rego_v0) {
        Some(fixed) => Cow::Owned(expand_aliases(file, &fixed, rego_v0)?.into_owned()),
        None => expand_aliases(file, text, rego_v0)?,
    };
    let text = if some_in && text.contains(" in ") {
        let module = parse_module(file, &text, rego_v0)?;
        match super::some_in::rewrite(&module, &text) {
            Some(rewritten) => Cow::Owned(rewritten),
            None => text,
        }
    } else {
        text
    };
    if !text.contains("not") {
        return Ok(text);
    }
    let module = parse_module(file, &text, rego_v0)?;
    let hoistings = super::negation::find(&module, &text);
    Ok(match super::negation::rewrite(&text, &hoistings) {
        Some(rewritten) => Cow::Owned(rewritten),
        None => text,
    })
}

fn expand_aliases<'a>(file: &str, text: &'a str, rego_v0: bool) -> Result<Cow<'a, str>> {
    if !text.contains("import") || !text.contains("data.") {
        return Ok(Cow::Borrowed(text));
    }
    let module = parse_module(file, text, rego_v0)?;
    let aliases: HashMap<String, String> = import_aliases(&module);
    if aliases.is_empty() {
        return Ok(Cow::Borrowed(text));
    }
    let mut edits: Vec<(usize, usize, &str)> = Vec::new();
    for rule in &module.policy {
        let bound = bound_vars(rule);
        visit_rule_exprs(rule, &mut |e| {
            if let Expr::Var { span, .. } = e {
                let name = span.text();
                if let Some(target) = aliases.get(name)
                    && !bound.contains(name)
                    && let (Ok(start), Ok(end)) =
                        (usize::try_from(span.start), usize::try_from(span.end))
                {
                    edits.push((start, end, target.as_str()));
                }
            }
        });
    }
    if edits.is_empty() {
        return Ok(Cow::Borrowed(text));
    }
    edits.sort_unstable();
    edits.dedup();
    let mut out = String::with_capacity(text.len() + edits.len() * 16);
    let mut at = 0;
    for (start, end, target) in edits {
        if start < at || end > text.len() {
            continue;
        }
        out.push_str(&text[at..start]);
        out.push_str(target);
        at = end;
    }
    out.push_str(&text[at..]);
    Ok(Cow::Owned(out))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn aliases_become_full_references_on_the_same_lines() {
        let src = "package t\n\nimport data.p\nimport data.q.r as s\n\ntest_z if {\n  p.z == {1} with input as {\"k\": 1}\n  s.f(1)\n}\nv if {\n  p := 3\n}\nu if { p.y; x := {\"p\": p} }\n";
        let out = normalize("t.rego", src, false).unwrap();
        let lines: Vec<&str> = out.lines().collect();
        assert_eq!(lines.len(), src.lines().count());
        assert_eq!(lines[6], "  data.p.z == {1} with input as {\"k\": 1}");
        assert_eq!(lines[7], "  data.q.r.f(1)");
        // A local of the same name is not an alias.
        assert_eq!(lines[10], "  p := 3");
        assert_eq!(lines[12], "u if { data.p.y; x := {\"p\": data.p} }");
        assert_eq!(lines[2], "import data.p");
    }

    #[test]
    fn modules_without_data_imports_are_untouched() {
        let src = "package t\nimport rego.v1\nx := 1\n";
        assert!(matches!(
            normalize("t.rego", src, false).unwrap(),
            Cow::Borrowed(_)
        ));
    }
}
