//! Locals that share a name with a rule, read as OPA reads them: a name
//! declared in a body (`some k, expected in xs`, `every x in xs`,
//! `expected := 1`) is a new local from there on, and the rule of that name
//! is out of sight. regorus refuses such a body ("var `expected` used
//! before definition"), so the local gets a name of its own, from its
//! declaration to the end of its body.

use std::collections::HashSet;

use crate::rego::walk::{visit_body_exprs_mut, visit_expr};
use crate::rego::{AssignOp, Body, Expr, ExprKind, Literal, LiteralKind, Module};

/// Renames the locals that shadow a rule of the module, in place.
pub fn rename_shadowing_locals(module: &mut Module) {
    let rules: HashSet<String> = module.rules.iter().map(|r| r.name().to_string()).collect();
    if rules.is_empty() {
        return;
    }
    for rule in &mut module.rules {
        let bodies = rule
            .bodies
            .iter_mut()
            .chain(rule.elses.iter_mut().filter_map(|e| e.body.as_mut()));
        for body in bodies {
            body_scope(body, &rules);
        }
    }
}

/// Renames within one body, then within the bodies nested in it.
fn body_scope(body: &mut Body, rules: &HashSet<String>) {
    let mut renamed: Vec<String> = Vec::new();
    for i in 0..body.literals.len() {
        for name in declared(&body.literals[i]) {
            if rules.contains(&name) && !renamed.contains(&name) {
                renamed.push(name);
            }
        }
        if !renamed.is_empty() {
            rename_in_literal(&mut body.literals[i], &renamed);
        }
    }
    // Nested bodies have their own declarations.
    for lit in &mut body.literals {
        if let LiteralKind::Every { body: inner, .. } = &mut lit.kind {
            body_scope(inner, rules);
        }
    }
    visit_body_exprs_mut(body, &mut |e| match &mut e.kind {
        ExprKind::ArrayCompr { body: b, .. }
        | ExprKind::SetCompr { body: b, .. }
        | ExprKind::ObjectCompr { body: b, .. } => body_scope(b, rules),
        _ => {}
    });
}

/// The names a statement declares.
fn declared(lit: &Literal) -> Vec<String> {
    let mut out = Vec::new();
    let mut vars = |e: &Expr| {
        visit_expr(e, &mut |x| {
            if let ExprKind::Var(v) = &x.kind {
                out.push(v.clone());
            }
        })
    };
    match &lit.kind {
        LiteralKind::SomeVars(names) => return names.iter().map(|(n, _)| n.clone()).collect(),
        LiteralKind::SomeIn { key, value, .. } | LiteralKind::Every { key, value, .. } => {
            key.iter().for_each(&mut vars);
            vars(value);
        }
        LiteralKind::Expr(Expr {
            kind:
                ExprKind::Assign {
                    op: AssignOp::Assign,
                    lhs,
                    ..
                },
            ..
        }) => vars(lhs),
        _ => {}
    }
    out
}

fn rename_in_literal(lit: &mut Literal, names: &[String]) {
    let new_name = |v: &str| format!("__gavel_local_{v}");
    if let LiteralKind::SomeVars(vars) = &mut lit.kind {
        for (v, _) in vars.iter_mut() {
            if names.contains(v) {
                *v = new_name(v);
            }
        }
    }
    let body = Body {
        span: lit.span,
        braced: true,
        literals: Vec::new(),
    };
    // Reuse the body walker on a one-statement body.
    let mut one = Body {
        literals: vec![std::mem::replace(
            lit,
            Literal {
                span: lit.span,
                kind: LiteralKind::SomeVars(Vec::new()),
                with: Vec::new(),
            },
        )],
        ..body
    };
    visit_body_exprs_mut(&mut one, &mut |e| {
        if let ExprKind::Var(v) = &mut e.kind
            && names.contains(v)
        {
            *v = new_name(v);
        }
    });
    *lit = one.literals.pop().expect("one statement");
}

#[cfg(test)]
mod tests {
    use super::*;

    fn renamed(src: &str) -> Vec<String> {
        let mut m = crate::rego::parse("p.rego", src, false).unwrap();
        rename_shadowing_locals(&mut m);
        crate::rego::emit(&m, Default::default())
            .lines()
            .map(|l| l.split_whitespace().collect::<Vec<_>>().join(" "))
            .collect()
    }

    #[test]
    fn a_local_that_shadows_a_rule_gets_its_own_name_from_its_declaration_on() {
        let out = renamed(
            "package p\nexpected := 5\nt if {\n  expected == 5\n  some k, expected in {\"a\": 1}\n  expected == 1\n}\n",
        );
        assert_eq!(out[3], "expected == 5;");
        assert_eq!(out[4], "some k, __gavel_local_expected in { \"a\": 1 };");
        assert_eq!(out[5], "__gavel_local_expected == 1");
    }

    #[test]
    fn other_names_are_left_alone() {
        let out = renamed("package p\nr := 1\nt if { some x in [1]; x == r }\n");
        assert_eq!(out[2], "t if { some x in [1]; x == r }");
    }
}
