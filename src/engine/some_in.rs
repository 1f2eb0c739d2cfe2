//! `some x in C` where `C` is not a collection, read as OPA reads it.
//!
//! OPA iterates nothing over a string, number, boolean or null: the
//! statement is undefined, like `C[_]`. regorus 0.14.1's interpreter stops
//! the whole evaluation with "`some .. in collection` expects
//! array/set/object" instead (its VM iterates nothing, as OPA). A decision
//! whose input carries a string where a policy iterates would replay as an
//! ERROR that OPA never had.
//!
//! So every such collection that is not written as a collection (a
//! reference, a variable, a call) is looked up by its type:
//! `{"array": C, "set": C, "object": C}[type_name(C)]`, which is `C` for a
//! collection and undefined for anything else. `C` stays on its line; one
//! that spans lines is left as it is (copies would move the lines below).
//! Rules often hand the input on, so references to rules are rewritten
//! too. That puts a rule read through `C` two expression levels deeper,
//! which the rule-chain limit (recursion.rs) counts: a chain of
//! comprehension rules over rules may be 26 long, where it was 32.
//! (Binding `C` to a local first would not cost that, but regorus's
//! scheduler then refuses some policies: "var used before definition".)

use regorus::unstable::{Expr, Literal, Module};

use super::ast::{span_end, visit_rule_queries};

/// `text` with every `some ... in C` over a possibly scalar `C` rewritten,
/// or `None` when there is none.
pub fn rewrite(module: &Module, text: &str) -> Option<String> {
    let mut edits: Vec<(usize, usize)> = Vec::new();
    for rule in &module.policy {
        visit_rule_queries(rule, text, &mut |q, _| {
            for stmt in &q.stmts {
                if let Literal::SomeIn { collection, .. } = &stmt.literal
                    && may_be_scalar(collection)
                {
                    let start = usize::try_from(collection.span().start).unwrap_or(0);
                    let end = span_end(text, collection.span());
                    if text.get(start..end).is_some_and(|c| !c.contains('\n')) {
                        edits.push((start, end));
                    }
                }
            }
        });
    }
    if edits.is_empty() {
        return None;
    }
    edits.sort_unstable();
    edits.dedup();
    let mut out = String::with_capacity(text.len() + edits.len() * 64);
    let mut pos = 0;
    for (start, end) in edits {
        if start < pos {
            continue;
        }
        let c = &text[start..end];
        out.push_str(&text[pos..start]);
        out.push_str(&format!(
            "{{\"array\": {c}, \"set\": {c}, \"object\": {c}}}[type_name({c})]"
        ));
        pos = end;
    }
    out.push_str(&text[pos..]);
    Some(out)
}

/// Whether the collection is written as something that can hold a scalar.
fn may_be_scalar(e: &Expr) -> bool {
    matches!(
        e,
        Expr::Var { .. } | Expr::RefDot { .. } | Expr::RefBrack { .. } | Expr::Call { .. }
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::bundle::catalog::parse_module;

    fn rewritten(src: &str) -> Option<String> {
        rewrite(&parse_module("p.rego", src, false).unwrap(), src)
    }

    #[test]
    fn references_are_looked_up_by_type_and_literals_left_alone() {
        let src = "package p\nr if {\n\tsome x in input.xs\n\tsome k, v in data.m[k0]\n\tsome y in [1, 2]\n}\nk0 := \"a\"\n";
        let out = rewritten(src).unwrap();
        assert!(
            out.contains("some x in {\"array\": input.xs, \"set\": input.xs, \"object\": input.xs}[type_name(input.xs)]\n"),
            "{out}"
        );
        assert!(out.contains("[type_name(data.m[k0])]\n"), "{out}");
        assert!(out.contains("some y in [1, 2]\n"), "{out}");
        assert_eq!(out.lines().count(), src.lines().count());
        parse_module("p.rego", &out, false).unwrap();
    }

    #[test]
    fn comprehensions_and_every_bodies_too() {
        let src = "package p\nxs := [c | some c in input.s]\nr if every v in input.vs { some w in v.ws; w }\n";
        let out = rewritten(src).unwrap();
        assert!(out.contains("[type_name(input.s)]]"), "{out}");
        assert!(out.contains("[type_name(v.ws)]; w }"), "{out}");
    }

    #[test]
    fn nothing_to_do() {
        assert_eq!(rewritten("package p\nr if { some x in [1]; x }\n"), None);
    }
}
