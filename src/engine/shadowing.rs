//! Names declared again in an inner scope, read as OPA reads them: `some`
//! (and `:=`, `every`) declare a new local from there on, which hides a
//! rule of that name, and a comprehension's `some p` hides a `p` of the
//! body around it. regorus 0.14.1 refuses such bodies ("var `p` used
//! before definition"), so the inner local gets a name of its own:
//! - in a rule body, a local named like a rule of the module, from its
//!   declaration to the end of the body, and in the rule's head (a head
//!   reads the body's locals: `s contains r.n if { some r in xs }`);
//! - in a comprehension, a `some` variable named like a rule, an argument
//!   or a local of the rule, in the comprehension's term and from its
//!   declaration to the end of its body.

use std::collections::HashSet;

use crate::rego::walk::{
    PackageRules, visit_body_exprs_mut, visit_expr, visit_expr_mut, visit_literal_exprs_mut,
};
use crate::rego::{AssignOp, Body, Expr, ExprKind, Literal, LiteralKind, Module, RefArg, Rule};

/// Renames the locals that hide an outer name, in place.
pub fn rename_shadowing_locals(module: &mut Module, package: &PackageRules) {
    let rules = &package.all;
    for rule in &mut module.rules {
        let mut head_renames: Vec<String> = Vec::new();
        {
            let bodies = rule
                .bodies
                .iter_mut()
                .chain(rule.elses.iter_mut().filter_map(|e| e.body.as_mut()));
            for body in bodies {
                for name in rename_from_declarations(body, &|n| rules.contains(n)) {
                    if !head_renames.contains(&name) {
                        head_renames.push(name);
                    }
                }
            }
        }
        if !head_renames.is_empty() {
            rename_in_head(rule, &head_renames);
        }
        let locals = outer_locals(rule);
        let outer = |n: &str| rules.contains(n) || locals.contains(n);
        rename_in_every(rule, &outer);
        rename_in_comprehensions(rule, &outer);
    }
}

/// The name an inner local gets.
fn local_name(v: &str) -> String {
    format!("__gavel_local_{v}")
}

/// Renames, in one body's statements, each name in `hidden` declared there,
/// from its declaration on. Returns the names renamed.
fn rename_from_declarations(body: &mut Body, hidden: &dyn Fn(&str) -> bool) -> Vec<String> {
    let mut renamed: Vec<String> = Vec::new();
    for lit in &mut body.literals {
        for name in declared(lit) {
            if hidden(&name) && !renamed.contains(&name) {
                renamed.push(name);
            }
        }
        if !renamed.is_empty() {
            rename_in_literal(lit, &renamed);
        }
    }
    renamed
}

/// The names a statement declares.
fn declared(lit: &Literal) -> Vec<String> {
    let mut out = Vec::new();
    let mut vars = |e: &Expr| {
        visit_expr(e, &mut |x| {
            if let ExprKind::Var(v) = &x.kind
                && v != "_"
            {
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

fn rename_var(e: &mut Expr, names: &[String]) {
    visit_expr_mut(e, &mut |x| {
        if let ExprKind::Var(v) = &mut x.kind
            && names.contains(v)
        {
            *v = local_name(v);
        }
    });
}

fn rename_in_literal(lit: &mut Literal, names: &[String]) {
    if let LiteralKind::SomeVars(vars) = &mut lit.kind {
        for (v, _) in vars.iter_mut() {
            if names.contains(v) {
                *v = local_name(v);
            }
        }
        return;
    }
    visit_literal_exprs_mut(lit, &mut |e| {
        if let ExprKind::Var(v) = &mut e.kind
            && names.contains(v)
        {
            *v = local_name(v);
        }
    });
}

fn rename_in_head(rule: &mut Rule, names: &[String]) {
    let h = &mut rule.head;
    if let ExprKind::Ref { path, .. } = &mut h.reference.kind {
        for step in path {
            if let RefArg::Index(ix) = step {
                rename_var(ix, names);
            }
        }
    }
    if let Some(c) = &mut h.contains {
        rename_var(c, names);
    }
    if let Some((_, v)) = &mut h.value {
        rename_var(v, names);
    }
    for e in &mut rule.elses {
        if let Some((_, v)) = &mut e.value {
            rename_var(v, names);
        }
    }
}

/// The rule's arguments and the locals its bodies declare.
fn outer_locals(rule: &Rule) -> HashSet<String> {
    let mut out = HashSet::new();
    for a in rule.head.args.iter().flatten() {
        visit_expr(a, &mut |x| {
            if let ExprKind::Var(v) = &x.kind {
                out.insert(v.clone());
            }
        });
    }
    let bodies = rule
        .bodies
        .iter()
        .chain(rule.elses.iter().filter_map(|e| e.body.as_ref()));
    for body in bodies {
        for lit in &body.literals {
            // An `every` declares its variables for its own body only.
            if !matches!(lit.kind, LiteralKind::Every { .. }) {
                out.extend(declared(lit));
            }
        }
    }
    out
}

fn rename_in_comprehensions(rule: &mut Rule, outer: &dyn Fn(&str) -> bool) {
    crate::rego::walk::visit_rule_exprs_mut(rule, &mut |e| match &mut e.kind {
        ExprKind::ArrayCompr { term, body } | ExprKind::SetCompr { term, body } => {
            let declared_here = compr_declared(body, outer);
            if !declared_here.is_empty() {
                rename_from_declarations(body, &|n| declared_here.iter().any(|d| d == n));
                rename_var(term, &declared_here);
            }
        }
        ExprKind::ObjectCompr { key, value, body } => {
            let declared_here = compr_declared(body, outer);
            if !declared_here.is_empty() {
                rename_from_declarations(body, &|n| declared_here.iter().any(|d| d == n));
                rename_var(key, &declared_here);
                rename_var(value, &declared_here);
            }
        }
        _ => {}
    });
}

/// In each `every`, its variables and the names its body declares that
/// an outer scope already has: renamed in its variables and its body.
fn rename_in_every(rule: &mut Rule, outer: &dyn Fn(&str) -> bool) {
    crate::rego::walk::visit_rule_bodies_mut(rule, &mut |body| {
        for lit in &mut body.literals {
            let LiteralKind::Every {
                key, value, body, ..
            } = &mut lit.kind
            else {
                continue;
            };
            let mut own: Vec<String> = Vec::new();
            for e in key.iter().chain(std::iter::once(&*value)) {
                visit_expr(e, &mut |x| {
                    if let ExprKind::Var(v) = &x.kind
                        && outer(v)
                        && !own.contains(v)
                    {
                        own.push(v.clone());
                    }
                });
            }
            if !own.is_empty() {
                if let Some(k) = key {
                    rename_var(k, &own);
                }
                rename_var(value, &own);
                visit_body_exprs_mut(body, &mut |e| {
                    if let ExprKind::Var(v) = &mut e.kind
                        && own.contains(v)
                    {
                        *v = local_name(v);
                    }
                });
            }
            rename_from_declarations(body, outer);
        }
    });
}

/// The names a comprehension's body declares with `some` that an outer
/// scope already has.
fn compr_declared(body: &Body, outer: &dyn Fn(&str) -> bool) -> Vec<String> {
    let mut out = Vec::new();
    for lit in &body.literals {
        if matches!(
            lit.kind,
            LiteralKind::SomeVars(_) | LiteralKind::SomeIn { .. }
        ) {
            for name in declared(lit) {
                if outer(&name) && !out.contains(&name) {
                    out.push(name);
                }
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn renamed(src: &str) -> Vec<String> {
        let mut m = crate::rego::parse("p.rego", src, false).unwrap();
        let rules = PackageRules::of([&m]);
        rename_shadowing_locals(&mut m, &rules);
        crate::rego::emit(&m, Default::default())
            .lines()
            .map(|l| l.split_whitespace().collect::<String>())
            .collect()
    }

    #[test]
    fn a_local_that_hides_a_rule_is_renamed_from_its_declaration_on() {
        let out = renamed(
            "package p\nexpected := 5\nt if {\n  expected == 5\n  some k, expected in {\"a\": 1}\n  expected == 1\n}\n",
        );
        assert_eq!(out[3], "expected==5;");
        assert_eq!(out[4], "somek,__gavel_local_expectedin{\"a\":1};");
        assert_eq!(out[5], "__gavel_local_expected==1");
    }

    #[test]
    fn the_head_reads_the_renamed_local() {
        let out = renamed(
            "package p\nr := 1\ns contains {\"n\": r.n} if {\n  some r in [{\"n\": 2}]\n}\n",
        );
        assert_eq!(out[2], "scontains{\"n\":__gavel_local_r.n}if{");
        assert_eq!(out[3], "some__gavel_local_rin[{\"n\":2}]");
    }

    #[test]
    fn a_comprehension_variable_that_hides_a_local_is_renamed() {
        let out = renamed("package p\nf(ps) := p if {\n  p := [p | some p in ps; p > 1][0]\n}\n");
        assert_eq!(
            out[2],
            "p:=[__gavel_local_p|some__gavel_local_pinps;__gavel_local_p>1][0]"
        );
    }

    #[test]
    fn a_some_in_every_that_hides_a_rule_is_renamed() {
        let out = renamed(
            "package p\nanalyzer(x) := x\nt if {\n  every r in input.rs {\n    some analyzer in input.as\n    analyzer == r\n  }\n}\n",
        );
        assert_eq!(out[4], "some__gavel_local_analyzerininput.as;");
        assert_eq!(out[5], "__gavel_local_analyzer==r");
    }

    #[test]
    fn other_names_are_left_alone() {
        let out = renamed(
            "package p\nr := 1\nt if { some x in [1]; x == r }\nu := [y | some y in [1]]\n",
        );
        assert_eq!(out[2], "tif{somexin[1];x==r}");
        assert_eq!(out[3], "u:=[y|someyin[1]]");
    }
}
