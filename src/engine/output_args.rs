//! Builtins called in OPA's output-argument form, read as OPA reads them:
//! a statement `crypto.md5("x", h)` or v0's `all(set(), x)`, one argument
//! more than the builtin takes, binds the last to the result (`h =
//! crypto.md5("x")`). regorus knows only the call form and calls the last
//! argument an unsafe variable.

use crate::rego::walk::{PackageRules, visit_rule_bodies_mut};
use crate::rego::{AssignOp, Expr, ExprKind, LiteralKind, Module};

/// How many arguments a builtin takes: regorus's own, or one Gavel adds.
pub fn builtin_arity(name: &str) -> Option<usize> {
    super::extra_builtins::gavel_arity(name)
        .or_else(|| regorus::unstable::BUILTINS.get(name).map(|(_, n)| *n))
        .map(usize::from)
}

/// Rewrites every statement that calls a builtin with its output argument,
/// in place. A call whose first name is a rule of the package is the
/// package's own function: left alone.
pub fn bind_output_arguments(module: &mut Module, package: &PackageRules) {
    for rule in &mut module.rules {
        visit_rule_bodies_mut(rule, &mut |body| {
            for lit in &mut body.literals {
                let LiteralKind::Expr(e) = &mut lit.kind else {
                    continue;
                };
                let ExprKind::Call { func, args } = &mut e.kind else {
                    continue;
                };
                let Some(path) = func.static_path() else {
                    continue;
                };
                if package.all.contains(&path[0]) {
                    continue;
                }
                let name = path.join(".");
                // `walk(x, [path, value])` is a relation regorus evaluates in
                // that form only: each pair is one result.
                if name == "walk" || builtin_arity(&name).is_none_or(|n| n + 1 != args.len()) {
                    continue;
                }
                let Some(out) = args.pop() else { continue };
                let span = e.span;
                let call = std::mem::replace(e, Expr::new(span, ExprKind::Null));
                *e = Expr::new(
                    span,
                    ExprKind::Assign {
                        op: AssignOp::Unify,
                        lhs: Box::new(out),
                        rhs: Box::new(call),
                    },
                );
            }
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_last_argument_is_bound_to_the_result() {
        let mut m = crate::rego::parse(
            "p.rego",
            "package p\nx if { crypto.md5(\"a\", h); count([1], n); h; n }\ncount_all(a, b) := a\ny if count_all(1, 2)\nz if { walk({\"a\": 1}, [_, v]); v == 1 }\n",
            false,
        )
        .unwrap();
        let rules = PackageRules::of([&m]);
        bind_output_arguments(&mut m, &rules);
        let out: Vec<String> = crate::rego::emit(&m, Default::default())
            .lines()
            .map(|l| l.split_whitespace().collect())
            .collect();
        assert_eq!(out[1], "xif{h=crypto.md5(\"a\");n=count([1]);h;n}");
        assert_eq!(out[3], "yif{count_all(1,2)}");
        assert_eq!(out[4], "zif{walk({\"a\":1},[_,v]);v==1}");
    }
}
