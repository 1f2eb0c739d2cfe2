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
//! collection, undefined for anything else. A rule read through `C` sits
//! one expression level deeper, which the rule-chain limit (recursion.rs)
//! counts: a chain of comprehension rules over rules may be 29 long, where
//! it was 32. The bytecode VM, which iterates nothing over a scalar by
//! itself and knows no Gavel builtin, gets the modules without this
//! rewrite.

use crate::rego::walk::{PackageRules, visit_rule_bodies_mut};
use crate::rego::{Expr, ExprKind, Literal, LiteralKind, Module};

/// `some k, v in walk(x)` as OPA reads it: `walk(x)` in a collection's
/// place yields each of its outputs, a `[path, value]` pair, and the
/// statement iterates over that pair (so `v` is each path and each value).
/// regorus yields nothing there; it answers the call form `walk(x, out)`, so
/// the statement becomes `walk(x, __gavel_walkN); some k, v in __gavel_walkN`
/// on the same line.
pub fn bind_walk_outputs(module: &mut Module, package: &PackageRules) {
    if package.all.contains("walk") {
        return;
    }
    let mut n = 0;
    for rule in &mut module.rules {
        visit_rule_bodies_mut(rule, &mut |body| {
            let mut literals = Vec::with_capacity(body.literals.len());
            for mut lit in std::mem::take(&mut body.literals) {
                if let LiteralKind::SomeIn { collection, .. } = &mut lit.kind
                    && let ExprKind::Call { func, args } = &collection.kind
                    && func.var_name() == Some("walk")
                    && args.len() == 1
                {
                    let span = collection.span;
                    let out = Expr::new(span, ExprKind::Var(format!("__gavel_walk{n}")));
                    n += 1;
                    let mut call = std::mem::replace(collection, out.clone());
                    if let ExprKind::Call { args, .. } = &mut call.kind {
                        args.push(out);
                    }
                    literals.push(Literal {
                        span: lit.span,
                        kind: LiteralKind::Expr(call),
                        with: lit.with.clone(),
                    });
                }
                literals.push(lit);
            }
            body.literals = literals;
        });
    }
}

/// The builtin a rewritten collection is read through.
pub const ITERABLE: &str = "__gavel_iterable";

/// Reads every `some ... in C` over a possibly scalar `C` through the
/// builtin, in place.
pub fn read_through_iterable(module: &mut Module) {
    for rule in &mut module.rules {
        visit_rule_bodies_mut(rule, &mut |body| {
            for lit in &mut body.literals {
                if let LiteralKind::SomeIn { collection, .. } = &mut lit.kind
                    && may_be_scalar(collection)
                {
                    let span = collection.span;
                    let inner = std::mem::replace(collection, Expr::new(span, ExprKind::Null));
                    *collection = Expr::new(
                        span,
                        ExprKind::Call {
                            func: Box::new(Expr::new(span, ExprKind::Var(ITERABLE.to_string()))),
                            args: vec![inner],
                        },
                    );
                }
            }
        });
    }
}

/// Whether the collection is written as something that can hold a scalar.
fn may_be_scalar(e: &Expr) -> bool {
    match &e.kind {
        ExprKind::Var(_) | ExprKind::Ref { .. } | ExprKind::Call { .. } => true,
        ExprKind::Paren(inner) => may_be_scalar(inner),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn some_in_walk_iterates_each_output_pair_as_opa_does() {
        let src = "package w\nvals := [v | some _, v in walk({\"a\": [1]})]\nkeys := [k | some k, _ in walk({\"a\": [1]})]\n";
        let b =
            crate::bundle::Bundle::from_texts([("p.rego".to_string(), src.to_string())]).unwrap();
        let p =
            crate::engine::LoadedPolicy::load(&b, crate::engine::LoadOptions::new(false)).unwrap();
        let eval = |rule: &str| {
            let v = p
                .engine()
                .clone()
                .eval_rule(format!("data.w.{rule}"))
                .unwrap();
            crate::engine::convert::to_json(&v).unwrap().unwrap()
        };
        // The reference OPA engine's answers.
        assert_eq!(
            eval("vals"),
            serde_json::json!([[], {"a": [1]}, ["a"], [1], ["a", 0], 1])
        );
        assert_eq!(eval("keys"), serde_json::json!([0, 1, 0, 1, 0, 1]));
    }

    use super::*;

    fn rewritten(src: &str) -> Vec<String> {
        let mut m = crate::rego::parse("p.rego", src, false).unwrap();
        read_through_iterable(&mut m);
        let out = crate::rego::emit(&m, Default::default());
        assert_eq!(out.lines().count(), src.lines().count(), "{out}");
        out.lines()
            .map(|l| l.split_whitespace().collect::<Vec<_>>().join(" "))
            .collect()
    }

    #[test]
    fn references_are_read_through_the_builtin_and_literals_left_alone() {
        let src = "package p\nr if {\n\tsome x in input.xs\n\tsome k, v in data.m[k0]\n\tsome y in [1, 2]\n}\nk0 := \"a\"\n";
        let out = rewritten(src);
        assert_eq!(out[2], "some x in __gavel_iterable(input.xs);");
        assert_eq!(out[3], "some k, v in __gavel_iterable(data.m[k0]);");
        assert_eq!(out[4], "some y in [1, 2]");
    }

    #[test]
    fn comprehensions_and_every_bodies_too() {
        let src = "package p\nxs := [c | some c in input.s]\nr if every v in input.vs { some w in v.ws; w }\n";
        let out = rewritten(src);
        assert_eq!(out[1], "xs := [c | some c in __gavel_iterable(input.s)]");
        assert_eq!(
            out[2],
            "r if { every v in input.vs { some w in __gavel_iterable(v.ws); w } }"
        );
    }
}
