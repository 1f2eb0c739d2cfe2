//! The text regorus gets for a module: read by Gavel's front end, given
//! the readings OPA has that regorus lacks, and written back in v1 syntax
//! on the user's lines (errors, coverage and prints name them).

use std::borrow::Cow;

use crate::bundle::catalog::parse_module;
use crate::error::Result;

/// The module text regorus should see: aliases spelled out (aliases.rs),
/// v1 syntax (rego::emit), `some .. in` over what may not be a collection
/// (some_in.rs), then the terms OPA binds before a `not` (negation.rs).
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
    let mut module = crate::rego::parse(file, text, rego_v0)?;
    super::nesting::check(file, &module)?;
    super::aliases::expand(&mut module);
    super::negation::bind_negated_terms(&mut module);
    let text = crate::rego::emit(
        &module,
        crate::rego::EmitOptions {
            from_v0: !module.rego_v1,
        },
    );
    let text = if some_in && text.contains(" in ") {
        let module = parse_module(file, &text, false)?;
        match super::some_in::rewrite(&module, &text) {
            Some(rewritten) => rewritten,
            None => text,
        }
    } else {
        text
    };
    Ok(Cow::Owned(text))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn aliases_become_full_references_on_the_same_lines() {
        let src = "package t\n\nimport data.p\nimport data.q.r as s\n\ntest_z if {\n  p.z == {1} with input as {\"k\": 1}\n  s.f(1)\n}\nv if {\n  p := 3\n}\nu if { p.y; x := {\"p\": p} }\n";
        let out = normalize("t.rego", src, false).unwrap();
        // Compared without spaces: the emitter lays tokens out its own way.
        let lines: Vec<String> = out
            .lines()
            .map(|l| l.split_whitespace().collect::<String>())
            .collect();
        assert_eq!(lines.len(), src.lines().count());
        assert_eq!(lines[6], "data.p.z=={1}withinputas{\"k\":1};");
        assert_eq!(lines[7], "data.q.r.f(1)");
        // A local of the same name is not an alias.
        assert_eq!(lines[10], "p:=3");
        assert_eq!(lines[12], "uif{data.p.y;x:={\"p\":data.p}}");
        // Imports are spelled out, so regorus gets none.
        assert_eq!(lines[2], "");
    }
}
