//! OPA's operators called by their builtin names (`plus(1, 2)`,
//! `minus(s, t)`, `lt(a, b)`, and the output form `plus(1, 2, x)`), read as
//! the operators they name: OPA registers `+` as the builtin `plus`, and so
//! on, so both spellings work there; regorus knows only the operators.

use crate::rego::walk::{PackageRules, bound_vars, visit_rule_bodies_mut, visit_rule_exprs_mut};
use crate::rego::{AssignOp, BinOp, Expr, ExprKind, LiteralKind, Module};

/// The builtin name of each binary operator, as OPA registers them.
const NAMES: &[(&str, BinOp)] = &[
    ("plus", BinOp::Add),
    ("minus", BinOp::Sub),
    ("mul", BinOp::Mul),
    ("div", BinOp::Div),
    ("rem", BinOp::Mod),
    ("and", BinOp::And),
    ("or", BinOp::Or),
    ("equal", BinOp::Eq),
    ("neq", BinOp::Ne),
    ("lt", BinOp::Lt),
    ("lte", BinOp::Le),
    ("gt", BinOp::Gt),
    ("gte", BinOp::Ge),
];

/// Rewrites every call of an operator by name, in place. A rule or local
/// of the same name keeps its calls.
pub fn spell_out(module: &mut Module, package: &PackageRules) {
    let rules = &package.all;
    for rule in &mut module.rules {
        let bound = bound_vars(rule);
        let operator = |func: &Expr| -> Option<BinOp> {
            let name = func.var_name()?;
            if rules.contains(name) || bound.contains(name) {
                return None;
            }
            NAMES.iter().find(|(n, _)| *n == name).map(|(_, op)| *op)
        };
        // The output form first: `plus(a, b, x)` as a statement is `x = a + b`.
        visit_rule_bodies_mut(rule, &mut |body| {
            for lit in &mut body.literals {
                let LiteralKind::Expr(e) = &mut lit.kind else {
                    continue;
                };
                let ExprKind::Call { func, args } = &mut e.kind else {
                    continue;
                };
                let Some(op) = operator(func) else { continue };
                let [lhs, rhs, out] = match <[Expr; 3]>::try_from(std::mem::take(args)) {
                    Ok(three) => three,
                    Err(other) => {
                        *args = other;
                        continue;
                    }
                };
                let span = e.span;
                *e = Expr::new(
                    span,
                    ExprKind::Assign {
                        op: AssignOp::Unify,
                        lhs: Box::new(out),
                        rhs: Box::new(binary(span, op, lhs, rhs)),
                    },
                );
            }
        });
        visit_rule_exprs_mut(rule, &mut |e| {
            if let ExprKind::Call { func, args } = &mut e.kind
                && args.len() == 2
                && let Some(op) = operator(func)
                && let Ok([lhs, rhs]) = <[Expr; 2]>::try_from(std::mem::take(args))
            {
                *e = binary(e.span, op, lhs, rhs);
            }
        });
    }
}

/// `(lhs op rhs)`: in parentheses, whatever surrounds it.
fn binary(span: crate::rego::Span, op: BinOp, lhs: Expr, rhs: Expr) -> Expr {
    // Gavel's own tokens: no column of their own.
    let span = crate::rego::Span { col: 0, ..span };
    Expr::new(
        span,
        ExprKind::Paren(Box::new(Expr::new(
            span,
            ExprKind::Binary {
                op,
                lhs: Box::new(lhs),
                rhs: Box::new(rhs),
            },
        ))),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spelled(src: &str) -> Vec<String> {
        let mut m = crate::rego::parse("p.rego", src, false).unwrap();
        let rules = PackageRules::of([&m]);
        spell_out(&mut m, &rules);
        crate::rego::emit(&m, Default::default())
            .lines()
            .map(|l| l.split_whitespace().collect::<String>())
            .collect()
    }

    #[test]
    fn calls_by_name_become_operators() {
        let out = spelled(
            "package p\nx := minus(3, plus(1, 1))\ny if { lt(1, 2); mul(2, 3, z); z == 6 }\n",
        );
        assert_eq!(out[1], "x:=(3-(1+1))");
        assert_eq!(out[2], "yif{(1<2);z=(2*3);z==6}");
    }

    #[test]
    fn a_rule_of_that_name_keeps_its_calls() {
        let out = spelled("package p\nplus(a, b) := a\nx := plus(1, 2)\n");
        assert_eq!(out[2], "x:=plus(1,2)");
    }
}
