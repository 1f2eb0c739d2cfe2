//! `with` modifiers read as OPA's compiler reads them:
//! - a target named by a bare rule name of the module (`with q as true`)
//!   is that rule, `data.<package>.q` (regorus: "undefined rule"); a
//!   function named bare stays, regorus mocks it as a function;
//! - a value is evaluated before the modifier applies, in the body around
//!   it: OPA binds every value that is not a constant or a local to a
//!   fresh variable first. regorus evaluates a rule read in the value
//!   under the modifier itself (`c == 1 with input.x as c` gave undefined)
//!   and refuses a wildcard there (`with input as {"v": xs[_]}`: "var _ is
//!   unsafe"), so Gavel binds such values too: `__gavel_withN := value`,
//!   just before the statement, on its line.

use std::collections::{BTreeSet, HashSet};

use crate::rego::walk::{PackageRules, bound_vars, synthetic, visit_expr, visit_rule_bodies_mut};
use crate::rego::{AssignOp, Expr, ExprKind, Literal, LiteralKind, Module, RefArg, Span};

/// Rewrites every `with` of the module, in place.
/// `function_paths`: the version's functions, `data.a.b.f`.
pub fn bind_with_values(
    module: &mut Module,
    package: &PackageRules,
    function_paths: &BTreeSet<String>,
) {
    let (rules, functions) = (&package.all, &package.functions);
    let package: Vec<String> = module.package.path.iter().map(|s| s.name.clone()).collect();
    let mut next = 0usize;
    for rule in &mut module.rules {
        let bound = bound_vars(rule);
        visit_rule_bodies_mut(rule, &mut |body| {
            let mut literals = Vec::with_capacity(body.literals.len());
            for mut lit in std::mem::take(&mut body.literals) {
                for w in &mut lit.with {
                    // (A function named bare is mocked as a function.)
                    if let ExprKind::Var(name) = &w.target.kind
                        && rules.contains(name)
                        && !functions.contains(name)
                        && !bound.contains(name)
                    {
                        w.target = rule_ref(&package, name, w.target.span);
                    }
                    if needs_binding(&w.target, &w.value, &bound, functions, function_paths) {
                        let at = synthetic(lit.span.line);
                        let name = format!("__gavel_with{next}");
                        next += 1;
                        let value = std::mem::replace(
                            &mut w.value,
                            Expr::new(at, ExprKind::Var(name.clone())),
                        );
                        literals.push(Literal {
                            span: at,
                            kind: LiteralKind::Expr(Expr::new(
                                at,
                                ExprKind::Assign {
                                    op: AssignOp::Assign,
                                    lhs: Box::new(Expr::new(at, ExprKind::Var(name))),
                                    rhs: Box::new(value),
                                },
                            )),
                            with: Vec::new(),
                        });
                    }
                }
                literals.push(lit);
            }
            body.literals = literals;
        });
    }
}

/// `data.<package>.<name>`, placed where the bare name was.
fn rule_ref(package: &[String], name: &str, at: Span) -> Expr {
    let dot = |n: &str| RefArg::Dot {
        name: n.to_string(),
        span: Span { col: 0, ..at },
    };
    let path = package
        .iter()
        .map(|s| dot(s))
        .chain(std::iter::once(dot(name)))
        .collect();
    Expr::new(
        at,
        ExprKind::Ref {
            head: Box::new(Expr::new(at, ExprKind::Var("data".to_string()))),
            path,
        },
    )
}

/// A value that is neither a constant nor made of the body's own locals
/// (it reads a rule, `data`, `input`, a call or a wildcard), replacing a
/// document. A value replacing a function or a builtin (`with f as g`,
/// `with count as 3`) names a function: it is left as written.
fn needs_binding(
    target: &Expr,
    value: &Expr,
    bound: &HashSet<String>,
    functions: &HashSet<String>,
    function_paths: &BTreeSet<String>,
) -> bool {
    match target.root_var() {
        Some("input") => {}
        Some("data") => {
            // A function of the package, or a reference naming one (a
            // function is named by a static path; a reference with a
            // variable in it, `data.c[b].adapter`, is a document).
            match &value.kind {
                ExprKind::Var(v) if functions.contains(v) => return false,
                ExprKind::Ref { .. } => match value.static_path() {
                    Some(path) if function_paths.contains(&path.join(".")) => return false,
                    _ => {}
                },
                _ => {}
            }
        }
        _ => return false,
    }
    let mut needs = false;
    visit_expr(value, &mut |e| match &e.kind {
        ExprKind::Var(v) if v == "_" || !bound.contains(v) => needs = true,
        ExprKind::Call { .. }
        | ExprKind::ArrayCompr { .. }
        | ExprKind::SetCompr { .. }
        | ExprKind::ObjectCompr { .. } => needs = true,
        _ => {}
    });
    needs
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bound(src: &str) -> Vec<String> {
        let mut m = crate::rego::parse("p.rego", src, false).unwrap();
        let rules = PackageRules::of([&m]);
        bind_with_values(&mut m, &rules, &BTreeSet::from(["data.p.q.g".to_string()]));
        crate::rego::emit(&m, Default::default())
            .lines()
            .map(|l| l.split_whitespace().collect::<String>())
            .collect()
    }

    #[test]
    fn values_that_read_rules_are_bound_first_and_bare_targets_named_in_full() {
        let out = bound(concat!(
            "package p.q\n",
            "c := 1\n",
            "t if c == 1 with input.x as c\n",
            "u if { x := 2; p with input.y as x with q as true }\n",
            "p if q\n",
            "q if input.x\n",
            "v if input.v with input as {\"v\": 1}\n",
            "f(x) := x\n",
            "g(x) := 2\n",
            "w if { f(1) == 2 with f as g; count([]) == 3 with count as 3 }\n",
        ));
        assert_eq!(
            out[2],
            "tif{__gavel_with0:=c;c==1withinput.xas__gavel_with0}"
        );
        assert_eq!(out[3], "uif{x:=2;pwithinput.yasxwithdata.p.q.qastrue}");
        assert_eq!(out[6], "vif{input.vwithinputas{\"v\":1}}");
        assert_eq!(out[9], "wif{f(1)==2withfasg;count([])==3withcountas3}");
    }

    #[test]
    fn a_value_that_reads_data_through_a_variable_is_bound_first() {
        // cloudbeat's main.findings: the adapter of the benchmark in hand.
        let out = bound(concat!(
            "package p.q
",
            "r contains x if { b := input.b; x := data.c[b].f with data.a as data.c[b].a }
",
            "s if data.p.q.g(1) with data.p.q.h as data.p.q.g
",
        ));
        assert_eq!(
            out[1],
            "rcontainsxif{b:=input.b;__gavel_with0:=data.c[b].a;x:=data.c[b].fwithdata.aas__gavel_with0}"
        );
        // A static path naming a function stays: it mocks a function.
        assert_eq!(out[2], "sif{data.p.q.g(1)withdata.p.q.hasdata.p.q.g}");
    }
}
