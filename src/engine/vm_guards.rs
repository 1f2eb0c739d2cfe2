//! `x := e` with `e` undefined, read by regorus's bytecode VM as OPA reads
//! it.
//!
//! In OPA (and regorus's interpreter) an assignment whose value is
//! undefined fails its body. regorus 0.14.1's VM compiler binds the
//! undefined value and goes on (its `PlanContext::ColonAssignment` asks for
//! no "defined" guard), so `s := input.missing` followed by `not "x" in s`
//! succeeds, and `t := x if { x := input.missing } else := "none"` never
//! reaches its `else`. Gavel's own `not` rewrite (negation.rs) binds terms
//! with `:=` too. On the samples this was every disagreement between the
//! VM and the interpreter.
//!
//! The program the VM runs is therefore compiled from a copy of each module
//! in which every `:=` statement is followed by `_ = v` for each variable
//! it binds: a wildcard match, which the VM compiles to exactly the missing
//! guard and which is a no-op for any defined value. The guards sit on the
//! statement's last line; only the VM sees them.

use crate::rego::walk::{bound_vars, synthetic, visit_rule_bodies_mut};
use crate::rego::{AssignOp, Expr, ExprKind, Literal, LiteralKind, Module};

/// Adds a guard after every `:=` statement of the module, in place.
///
/// `x := y` with `y` a local of the rule gets none: a local is defined
/// once bound, and regorus's VM reader takes `_ = x` after it for a second
/// definition of `x` ("var `x` used before definition below"), refusing
/// the whole version (Elastic's cloudbeat: `key_length := seperator_index`).
pub fn guard(module: &mut Module) {
    for rule in &mut module.rules {
        let locals = bound_vars(rule);
        visit_rule_bodies_mut(rule, &mut |body| {
            let mut literals = Vec::with_capacity(body.literals.len());
            for lit in std::mem::take(&mut body.literals) {
                let mut vars = Vec::new();
                if let LiteralKind::Expr(Expr {
                    kind:
                        ExprKind::Assign {
                            op: AssignOp::Assign,
                            lhs,
                            rhs,
                        },
                    ..
                }) = &lit.kind
                    && !rhs.var_name().is_some_and(|v| locals.contains(v))
                {
                    bound_by(lhs, &mut vars);
                }
                let at = synthetic(lit.span.end_line);
                literals.push(lit);
                for v in vars {
                    let wildcard = Expr::new(at, ExprKind::Var("_".to_string()));
                    let var = Expr::new(at, ExprKind::Var(v));
                    literals.push(Literal {
                        span: at,
                        kind: LiteralKind::Expr(Expr::new(
                            at,
                            ExprKind::Assign {
                                op: AssignOp::Unify,
                                lhs: Box::new(wildcard),
                                rhs: Box::new(var),
                            },
                        )),
                        with: Vec::new(),
                    });
                }
            }
            body.literals = literals;
        });
    }
}

/// The variables an assignment's left side binds: `x`, `[a, b]`,
/// `{"k": v}` (object keys are values to match, not bindings).
fn bound_by(lhs: &Expr, out: &mut Vec<String>) {
    match &lhs.kind {
        ExprKind::Var(name) if name != "_" && !out.contains(name) => out.push(name.clone()),
        ExprKind::Array(items) => items.iter().for_each(|i| bound_by(i, out)),
        ExprKind::Object(fields) => fields.iter().for_each(|(_, v)| bound_by(v, out)),
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn guarded(src: &str) -> Vec<String> {
        let mut m = crate::rego::parse("p.rego", src, false).unwrap();
        guard(&mut m);
        let out = crate::rego::emit(&m, Default::default());
        assert_eq!(out.lines().count(), src.lines().count(), "{out}");
        out.lines()
            .map(|l| l.split_whitespace().collect::<Vec<_>>().join(" "))
            .collect()
    }

    #[test]
    fn every_assignment_is_followed_by_its_guard_on_the_same_line() {
        let src = "package p\n\nr := x if {\n\tx := input.a\n\t[y, _] := input.b\n\tz = 1\n}\n";
        let out = guarded(src);
        assert_eq!(out[3], "x := input.a; _ = x;");
        assert_eq!(out[4], "[y, _] := input.b; _ = y;");
        assert_eq!(out[5], "z = 1");
    }

    #[test]
    fn a_local_assigned_to_another_gets_no_guard() {
        let src =
            "package p\n\nf(s) := m if {\n\tn := count(s)\n\tm := n\n\tk := s\n\tr := rule\n}\n";
        let out = guarded(src);
        assert_eq!(out[3], "n := count(s); _ = n;");
        assert_eq!(out[4], "m := n;");
        assert_eq!(out[5], "k := s;");
        // A rule may be undefined: guarded.
        assert_eq!(out[6], "r := rule; _ = r");
    }

    #[test]
    fn comprehensions_every_with_and_bodies_without_braces() {
        let src = concat!(
            "package p\n",
            "a if x := \"s\"\n",
            "b := {c | some c in input.xs; y := c.k} if true\n",
            "c if {\n every v in input.vs { w := v.n; w > 1 }\n}\n",
            "d if { q := data.f with input as {} }\n",
        );
        let out = guarded(src);
        assert_eq!(out[1], "a if { x := \"s\"; _ = x }");
        assert!(out[2].contains("y := c.k; _ = y }"), "{out:?}");
        assert!(out[4].contains("w := v.n; _ = w; w > 1"), "{out:?}");
        assert!(
            out[6].contains("q := data.f with input as {}; _ = q }"),
            "{out:?}"
        );
    }
}
