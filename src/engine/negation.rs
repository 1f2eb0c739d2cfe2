//! `not` over a call whose argument may be undefined, read as OPA reads it.
//!
//! OPA's compiler binds the dynamic terms of an expression before the
//! expression runs (`rewriteDynamics`, `expandExpr` in its compile.go), and
//! it does so for negated expressions too: `not f(input.x)` becomes
//! `__local0__ = input.x; not f(__local0__)`, which is undefined when
//! `input.x` is missing. regorus applies `not` to the whole expression and
//! gives `true`. What OPA binds first:
//! - arguments of a call (a builtin, a function, `in`, and every comparison
//!   but `==`) that are references or calls;
//! - for `==` and `=` (unification, which `==` becomes): only calls, and the
//!   dynamic indexes of a reference operand;
//! - for a bare reference (`not obj[input.k]`): its dynamic indexes.
//!
//! Gavel gives the `not` the same meaning on the syntax tree: before it,
//! on its line, a guard `_ = term` for each term OPA binds, which fails
//! when the term is undefined. (Not a binding `v := term` used in the `not`:
//! regorus 0.14.1's scheduler refuses such a `v` when it is derived from a
//! variable an iteration binds; evaluating the term twice gives the same
//! value, builtins that are not deterministic included, as regorus fixes
//! them per evaluation.)
//! and reports each place: the two readings differ, and authors usually
//! mean the other.

use std::collections::HashSet;

use crate::rego::walk::for_each_child as each_child;
use crate::rego::walk::{PackageRules, bound_vars, each_child_mut, synthetic};
use crate::rego::{
    AssignOp, BinOp, Body, Expr, ExprKind, Literal, LiteralKind, Module, RefArg, Span,
};

/// One `not` whose terms are now bound first.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Bound {
    /// From `not` to the end of its expression, in the source.
    pub literal: Span,
    /// The terms bound first, in the source, with their paths where they
    /// are plain references (`input.a.b`).
    pub terms: Vec<(Span, Option<String>)>,
    /// What earlier statements of the body already require to be defined:
    /// reference paths, and the rules read as bare statements.
    pub established: HashSet<String>,
    pub rules_required: Vec<String>,
}

/// The paths of plain references a statement requires to be defined: refs
/// it reads outside comprehensions and `not` (an undefined one fails it).
pub fn required_paths(lit: &Literal, out: &mut HashSet<String>) {
    fn walk(e: &Expr, out: &mut HashSet<String>) {
        match &e.kind {
            ExprKind::Ref { .. } => {
                if let Some(path) = e.static_path() {
                    out.insert(path.join("."));
                }
                each_child(e, &mut |c| walk(c, out));
            }
            ExprKind::ArrayCompr { .. }
            | ExprKind::SetCompr { .. }
            | ExprKind::ObjectCompr { .. } => {}
            _ => each_child(e, &mut |c| walk(c, out)),
        }
    }
    match &lit.kind {
        LiteralKind::Expr(e) => walk(e, out),
        LiteralKind::SomeIn { collection, .. } => walk(collection, out),
        _ => {}
    }
}

/// What every definition of each complete rule without arguments requires
/// (paths, see [`required_paths`]), by rule name: a bare statement naming
/// such a rule requires the same.
pub fn rule_requirements(module: &Module) -> Vec<(String, HashSet<String>)> {
    let mut out = Vec::new();
    for rule in &module.rules {
        if rule.head.args.is_some() || rule.default || rule.bodies.is_empty() {
            continue;
        }
        for body in &rule.bodies {
            let mut paths = HashSet::new();
            for lit in &body.literals {
                required_paths(lit, &mut paths);
            }
            out.push((rule.name().to_string(), paths));
        }
    }
    out
}

/// Binds the terms OPA binds before each `not` of the module, in place,
/// and returns the places.
pub fn bind_negated_terms(module: &mut Module, package: &PackageRules) -> Vec<Bound> {
    let rule_names = &package.all;
    let mut out = Vec::new();
    for rule in &mut module.rules {
        let bound = bound_vars(rule);
        let ctx = Ctx {
            rule_names,
            bound: &bound,
        };
        let bodies = rule
            .bodies
            .iter_mut()
            .chain(rule.elses.iter_mut().filter_map(|e| e.body.as_mut()));
        for body in bodies {
            ctx.body(body, &mut out);
        }
    }
    out
}

struct Ctx<'a> {
    rule_names: &'a HashSet<String>,
    bound: &'a HashSet<String>,
}

impl Ctx<'_> {
    fn body(&self, body: &mut Body, out: &mut Vec<Bound>) {
        let mut literals = Vec::with_capacity(body.literals.len());
        let mut established = HashSet::new();
        let mut rules_required = Vec::new();
        for mut lit in std::mem::take(&mut body.literals) {
            // Nested bodies first: `every` and comprehensions.
            match &mut lit.kind {
                LiteralKind::Every { body, .. } => self.body(body, out),
                LiteralKind::Expr(e) | LiteralKind::Not(e) => self.nested(e, out),
                LiteralKind::SomeIn { collection, .. } => self.nested(collection, out),
                LiteralKind::SomeVars(_) => {}
            }
            if let LiteralKind::Not(expr) = &lit.kind {
                let literal = Span {
                    end: expr.span.end,
                    end_line: expr.span.end_line,
                    end_col: expr.span.end_col,
                    ..lit.span
                };
                let mut taken = Vec::new();
                self.negated(expr, &mut taken);
                if !taken.is_empty() {
                    // The guards sit where the `not` is, carrying its `with`.
                    let at = synthetic(lit.span.line);
                    for term in &taken {
                        literals.push(Literal {
                            span: at,
                            kind: LiteralKind::Expr(Expr::new(
                                at,
                                ExprKind::Assign {
                                    op: AssignOp::Unify,
                                    lhs: Box::new(Expr::new(at, ExprKind::Var("_".to_string()))),
                                    rhs: Box::new((*term).clone()),
                                },
                            )),
                            with: lit.with.clone(),
                        });
                    }
                    out.push(Bound {
                        literal,
                        terms: taken
                            .iter()
                            .map(|t| (t.span, t.static_path().map(|p| p.join("."))))
                            .collect(),
                        established: established.clone(),
                        rules_required: rules_required.clone(),
                    });
                }
            }
            required_paths(&lit, &mut established);
            if let LiteralKind::Expr(Expr {
                kind: ExprKind::Var(name),
                ..
            }) = &lit.kind
                && lit.with.is_empty()
            {
                rules_required.push(name.clone());
            }
            literals.push(lit);
        }
        body.literals = literals;
    }

    /// Comprehension bodies inside an expression.
    fn nested(&self, e: &mut Expr, out: &mut Vec<Bound>) {
        match &mut e.kind {
            ExprKind::ArrayCompr { term, body } | ExprKind::SetCompr { term, body } => {
                self.nested(term, out);
                self.body(body, out);
            }
            ExprKind::ObjectCompr { key, value, body } => {
                self.nested(key, out);
                self.nested(value, out);
                self.body(body, out);
            }
            _ => each_child_mut(e, &mut |c| self.nested(c, out)),
        }
    }

    /// The terms of a negated expression that OPA binds first.
    fn negated<'e>(&self, e: &'e Expr, taken: &mut Vec<&'e Expr>) {
        match &e.kind {
            ExprKind::Binary {
                op: BinOp::Eq,
                lhs,
                rhs,
            }
            | ExprKind::Assign { lhs, rhs, .. } => {
                self.equality_operand(lhs, taken);
                self.equality_operand(rhs, taken);
            }
            ExprKind::Binary { lhs, rhs, .. } => {
                self.argument(lhs, taken);
                self.argument(rhs, taken);
            }
            ExprKind::Call { args, .. } => args.iter().for_each(|a| self.argument(a, taken)),
            ExprKind::Membership {
                key,
                value,
                collection,
            } => {
                if let Some(k) = key {
                    self.argument(k, taken);
                }
                self.argument(value, taken);
                self.argument(collection, taken);
            }
            ExprKind::Ref { .. } => self.dynamic_indexes(e, taken),
            ExprKind::Neg(x) => self.argument(x, taken),
            ExprKind::Paren(x) => self.negated(x, taken),
            _ => {}
        }
    }

    /// An argument of a call: a reference or a call is bound first;
    /// collections are looked into.
    fn argument<'e>(&self, e: &'e Expr, taken: &mut Vec<&'e Expr>) {
        match &e.kind {
            ExprKind::Ref { .. } | ExprKind::Call { .. } => taken.push(e),
            ExprKind::Var(v) if self.is_rule_ref(v) => taken.push(e),
            ExprKind::Array(items) | ExprKind::Set(items) => {
                items.iter().for_each(|i| self.argument(i, taken))
            }
            ExprKind::Object(fields) => {
                for (k, v) in fields {
                    self.argument(k, taken);
                    self.argument(v, taken);
                }
            }
            // An operator inside an argument is a nested call.
            ExprKind::Binary { .. } | ExprKind::Membership { .. } => taken.push(e),
            ExprKind::Paren(x) => self.argument(x, taken),
            _ => {}
        }
    }

    /// An operand of `==`: calls are bound first, and a reference's
    /// dynamic indexes, but not the reference itself.
    fn equality_operand<'e>(&self, e: &'e Expr, taken: &mut Vec<&'e Expr>) {
        match &e.kind {
            ExprKind::Call { .. } | ExprKind::Binary { .. } => taken.push(e),
            ExprKind::Ref { .. } => self.dynamic_indexes(e, taken),
            ExprKind::Array(items) | ExprKind::Set(items) => {
                items.iter().for_each(|i| self.argument(i, taken))
            }
            ExprKind::Object(fields) => {
                for (k, v) in fields {
                    self.argument(k, taken);
                    self.argument(v, taken);
                }
            }
            ExprKind::Paren(x) => self.equality_operand(x, taken),
            _ => {}
        }
    }

    /// `obj[input.k]`: the index terms of a reference that are themselves
    /// references or calls.
    fn dynamic_indexes<'e>(&self, e: &'e Expr, taken: &mut Vec<&'e Expr>) {
        if let ExprKind::Ref { head, path } = &e.kind {
            if matches!(head.kind, ExprKind::Ref { .. }) {
                self.dynamic_indexes(head, taken);
            }
            for step in path {
                if let RefArg::Index(ix) = step {
                    self.argument(ix, taken);
                }
            }
        }
    }

    /// A bare name that refers to a rule of the package (not a local).
    fn is_rule_ref(&self, name: &str) -> bool {
        !self.bound.contains(name) && self.rule_names.contains(name)
    }
}

/// The warning Gavel shows for a place whose bound-first term reads the
/// input (`not f(input.user)`): the common way to get the reading an author
/// did not mean. Terms that are rules or calls are left quiet: they are
/// usually always defined.
///
/// No warning where the two readings agree: when an earlier statement of
/// the body already requires the term (`input.x == 1` before `not
/// f(input.x)`), directly or through a rule it names whose every body
/// requires it (`requirements`: rule name -> what each of its bodies
/// requires).
pub fn warning(
    file: &str,
    source: &str,
    b: &Bound,
    requirements: &dyn Fn(&str) -> Vec<HashSet<String>>,
) -> Option<String> {
    let squeeze = |s: &str| s.split_whitespace().collect::<Vec<_>>().join(" ");
    let required = |path: &str| {
        let covers = |set: &HashSet<String>| {
            set.iter()
                .any(|p| p == path || p.starts_with(&format!("{path}.")))
        };
        covers(&b.established)
            || b.rules_required.iter().any(|rule| {
                let bodies = requirements(rule);
                !bodies.is_empty() && bodies.iter().all(covers)
            })
    };
    let literal = squeeze(b.literal.text(source));
    let first = b
        .terms
        .iter()
        .filter(|(_, path)| !path.as_deref().is_some_and(required))
        .map(|(t, _)| t.text(source).split_whitespace().collect::<String>())
        .find(|t| t.starts_with("input.") || t.starts_with("input["))?;
    Some(format!(
        "{file}:{}: `{literal}` is undefined when `{first}` is undefined (OPA binds it before the `not`); \
         write `not {first}` separately if a missing value must make the rule true",
        b.literal.line
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The module as regorus gets it, spaces squeezed, line by line.
    fn hoisted(src: &str) -> Vec<String> {
        let mut m = crate::rego::parse("t.rego", src, false).unwrap();
        let rules = PackageRules::of([&m]);
        bind_negated_terms(&mut m, &rules);
        let out = crate::rego::emit(&m, Default::default());
        assert_eq!(out.lines().count(), src.lines().count(), "{out}");
        out.lines()
            .map(|l| l.split_whitespace().collect::<Vec<_>>().join(" "))
            .collect()
    }

    #[test]
    fn call_arguments_that_are_references_are_bound_first() {
        let out = hoisted(
            "package t\n\ndeny if {\n  not is_admin(input.user)\n}\n\nis_admin(u) if u == \"root\"\n",
        );
        assert_eq!(out[3], "_ = input.user; not is_admin(input.user)");
    }

    #[test]
    fn one_line_bodies_get_braces() {
        let out = hoisted("package t\n\np if not input.status in {\"granted\"}\n");
        assert_eq!(
            out[2],
            "p if { _ = input.status; not input.status in { \"granted\" } }"
        );
    }

    #[test]
    fn equality_and_bare_references_are_left_alone() {
        let src = "package t\n\na if not input.x == 1\nb if not input.x\nc if { x := 1; not f(x) }\nf(x) := x\n";
        let out = hoisted(src);
        assert!(out.iter().all(|l| !l.contains("_ =")), "{out:?}");
    }

    #[test]
    fn nested_calls_comparisons_and_indexes() {
        let out = hoisted(
            "package t\n\na if not count(input.xs) > 0\nb if not obj[input.k]\nobj := {}\nc if not input.s != \"x\"\n",
        );
        assert_eq!(
            out[2],
            "a if { _ = count(input.xs); not count(input.xs) > 0 }"
        );
        assert_eq!(out[3], "b if { _ = input.k; not obj[input.k] }");
        assert_eq!(out[5], "c if { _ = input.s; not input.s != \"x\" }");
    }

    #[test]
    fn with_modifiers_go_with_the_bound_terms() {
        let out = hoisted(
            "package t\n\nt if {\n  not f(input.x) with input as {\"y\": 1}\n}\nf(x) := x\n",
        );
        assert_eq!(
            out[3],
            "_ = input.x with input as {\"y\": 1}; not f(input.x) with input as { \"y\": 1 }"
        );
    }

    #[test]
    fn a_term_bound_in_the_body_before_is_bound_after_it() {
        // The binding goes right before the `not`, after `r` is defined.
        let out = hoisted(
            "package p\nq := {\"a\": 1}\nnames := {\"b\"}\ntest_b if {\n  q[k]\n  r := {\"k\": k}\n  not names[r.k]\n}\n",
        );
        assert_eq!(out[6], "_ = r.k; not names[r.k]");
    }

    #[test]
    fn no_warning_where_the_body_already_requires_the_term() {
        let src = "package t\n\nstated if { is_string(input.p); input.p != \"\" }\na if {\n  input.u.name\n  not f(input.u)\n}\nb if {\n  stated\n  not f(input.p)\n}\nc if {\n  not f(input.q)\n}\nf(x) := x == 1\n";
        let mut m = crate::rego::parse("t.rego", src, false).unwrap();
        let reqs = rule_requirements(&m);
        let rules = PackageRules::of([&m]);
        let found = bind_negated_terms(&mut m, &rules);
        let by_rule = |name: &str| -> Vec<HashSet<String>> {
            reqs.iter()
                .filter(|(n, _)| n == name)
                .map(|(_, p)| p.clone())
                .collect()
        };
        let warnings: Vec<String> = found
            .iter()
            .filter_map(|b| warning("t.rego", src, b, &by_rule))
            .collect();
        assert_eq!(warnings.len(), 1, "{warnings:?}");
        assert!(warnings[0].starts_with("t.rego:13:"), "{warnings:?}");
    }

    #[test]
    fn warnings_name_the_place() {
        let src = "package t\n\ndeny if {\n  not is_admin(input.user)\n}\nis_admin(u) if u == 1\n";
        let mut m = crate::rego::parse("t.rego", src, false).unwrap();
        let rules = PackageRules::of([&m]);
        let b = bind_negated_terms(&mut m, &rules);
        let w = warning("t.rego", src, &b[0], &|_| Vec::new()).unwrap();
        assert!(
            w.starts_with(
                "t.rego:4: `not is_admin(input.user)` is undefined when `input.user` is undefined"
            ),
            "{w}"
        );
    }
}
