//! `=` between known values inside `every`, read as OPA reads it: with
//! both sides bound it is a comparison, and the `every` fails when it
//! fails. regorus 0.14.1 lets `every c in xs { "b" = c }` succeed whatever
//! `c` is. Gavel writes such a statement as `==` where every variable on
//! both sides is already bound: the `every`'s own, the rule's arguments
//! and locals, rules of the module.

use crate::rego::walk::{PackageRules, bound_vars, visit_expr, visit_rule_bodies_mut};
use crate::rego::{AssignOp, BinOp, Expr, ExprKind, LiteralKind, Module};

/// Rewrites such statements in every `every` body of the module, in place.
pub fn compare_in_every(module: &mut Module, package: &PackageRules) {
    let rules = &package.all;
    for rule in &mut module.rules {
        let locals = bound_vars(rule);
        let known =
            |v: &str| locals.contains(v) || rules.contains(v) || v == "input" || v == "data";
        visit_rule_bodies_mut(rule, &mut |body| {
            for lit in &mut body.literals {
                let LiteralKind::Every { body: inner, .. } = &mut lit.kind else {
                    continue;
                };
                for stmt in &mut inner.literals {
                    let LiteralKind::Expr(e) = &mut stmt.kind else {
                        continue;
                    };
                    let ExprKind::Assign {
                        op: AssignOp::Unify,
                        lhs,
                        rhs,
                    } = &mut e.kind
                    else {
                        continue;
                    };
                    if all_known(lhs, &known) && all_known(rhs, &known) {
                        let lhs =
                            std::mem::replace(lhs.as_mut(), Expr::new(e.span, ExprKind::Null));
                        let rhs =
                            std::mem::replace(rhs.as_mut(), Expr::new(e.span, ExprKind::Null));
                        e.kind = ExprKind::Binary {
                            op: BinOp::Eq,
                            lhs: Box::new(lhs),
                            rhs: Box::new(rhs),
                        };
                    }
                }
            }
        });
    }
}

fn all_known(e: &Expr, known: &dyn Fn(&str) -> bool) -> bool {
    let mut ok = true;
    visit_expr(e, &mut |x| {
        if let ExprKind::Var(v) = &x.kind
            && (v == "_" || !known(v))
        {
            ok = false;
        }
    });
    ok
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unification_of_known_values_in_every_is_a_comparison() {
        let mut m = crate::rego::parse(
            "p.rego",
            "package p\nt if every c in input.xs { \"b\" = c }\nu if every c in input.xs { y = c; y }\n",
            false,
        )
        .unwrap();
        let rules = PackageRules::of([&m]);
        compare_in_every(&mut m, &rules);
        let out: Vec<String> = crate::rego::emit(&m, Default::default())
            .lines()
            .map(|l| l.split_whitespace().collect())
            .collect();
        assert_eq!(out[1], "tif{everycininput.xs{\"b\"==c}}");
        // `y` is bound by the unification: left as written.
        assert_eq!(out[2], "uif{everycininput.xs{y=c;y}}");
    }
}
