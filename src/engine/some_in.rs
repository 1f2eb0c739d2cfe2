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
//! reference, a variable, a call; rules often hand the input on) is read
//! through [`ITERABLE`], a builtin Gavel registers (builtins.rs): `C` for a
//! collection, undefined for anything else. `some x in __gavel_iterable(C)`
//! stays on its line. A rule read through `C` sits one expression level
//! deeper, which the rule-chain limit (recursion.rs) counts: a chain of
//! comprehension rules over rules may be 29 long, where it was 32.
//! The bytecode VM, which iterates nothing over a scalar by itself and
//! knows no Gavel builtin, gets the modules without this rewrite.

use regorus::unstable::{Expr, Literal, Module};

use super::ast::{span_end, splice, visit_rule_queries};

/// The builtin a rewritten collection is read through.
pub const ITERABLE: &str = "__gavel_iterable";

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
                    if text.get(start..end).is_some() {
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
    let edits = edits
        .into_iter()
        .map(|(start, end)| (start, end, format!("{ITERABLE}({})", &text[start..end])))
        .collect();
    Some(splice(text, edits))
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
    fn references_are_read_through_the_builtin_and_literals_left_alone() {
        let src = "package p\nr if {\n\tsome x in input.xs\n\tsome k, v in data.m[k0]\n\tsome y in [1, 2]\n}\nk0 := \"a\"\n";
        let out = rewritten(src).unwrap();
        assert!(
            out.contains("some x in __gavel_iterable(input.xs)\n"),
            "{out}"
        );
        assert!(
            out.contains("some k, v in __gavel_iterable(data.m[k0])\n"),
            "{out}"
        );
        assert!(out.contains("some y in [1, 2]\n"), "{out}");
        assert_eq!(out.lines().count(), src.lines().count());
        parse_module("p.rego", &out, false).unwrap();
    }

    #[test]
    fn comprehensions_and_every_bodies_too() {
        let src = "package p\nxs := [c | some c in input.s]\nr if every v in input.vs { some w in v.ws; w }\n";
        let out = rewritten(src).unwrap();
        assert!(
            out.contains("some c in __gavel_iterable(input.s)]"),
            "{out}"
        );
        assert!(
            out.contains("some w in __gavel_iterable(v.ws); w }"),
            "{out}"
        );
    }

    #[test]
    fn nothing_to_do() {
        assert_eq!(rewritten("package p\nr if { some x in [1]; x }\n"), None);
    }
}
