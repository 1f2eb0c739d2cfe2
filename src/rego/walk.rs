//! Walks over the syntax tree: every expression of a rule (comprehension
//! and `every` bodies included), read-only or to change in place, and the
//! names a rule binds.

use std::collections::HashSet;

use super::ast::*;

/// Calls `f` on `e` and every expression inside it, parents first.
pub fn visit_expr(e: &Expr, f: &mut dyn FnMut(&Expr)) {
    f(e);
    for_each_child(e, &mut |c| visit_expr(c, f));
}

/// Calls `f` on every expression of a rule, nested ones included.
pub fn visit_rule_exprs(rule: &Rule, f: &mut dyn FnMut(&Expr)) {
    for_each_rule_expr(rule, &mut |e| visit_expr(e, f));
}

/// Calls `f` on every body of a rule: its bodies, `else` bodies, `every`
/// bodies and comprehension bodies, outer ones first.
pub fn visit_rule_bodies(rule: &Rule, f: &mut dyn FnMut(&Body)) {
    fn body(b: &Body, f: &mut dyn FnMut(&Body)) {
        f(b);
        for lit in &b.literals {
            if let LiteralKind::Every { body: inner, .. } = &lit.kind {
                body(inner, f);
            }
        }
        for_each_literal_expr(b, &mut |e| {
            visit_expr_shallow_bodies(e, f);
        });
    }
    fn visit_expr_shallow_bodies(e: &Expr, f: &mut dyn FnMut(&Body)) {
        match &e.kind {
            ExprKind::ArrayCompr { term, body: b } | ExprKind::SetCompr { term, body: b } => {
                visit_expr_shallow_bodies(term, f);
                body(b, f);
            }
            ExprKind::ObjectCompr {
                key,
                value,
                body: b,
            } => {
                visit_expr_shallow_bodies(key, f);
                visit_expr_shallow_bodies(value, f);
                body(b, f);
            }
            _ => for_each_child(e, &mut |c| visit_expr_shallow_bodies(c, f)),
        }
    }
    for b in &rule.bodies {
        body(b, f);
    }
    for e in &rule.elses {
        if let Some(b) = &e.body {
            body(b, f);
        }
    }
    let h = &rule.head;
    let head_exprs = [
        Some(&h.reference),
        h.contains.as_ref(),
        h.value.as_ref().map(|(_, v)| v),
    ];
    for e in head_exprs
        .into_iter()
        .flatten()
        .chain(h.args.iter().flatten())
    {
        visit_expr_shallow_bodies(e, f);
    }
    for e in &rule.elses {
        if let Some((_, v)) = &e.value {
            visit_expr_shallow_bodies(v, f);
        }
    }
}

/// Calls `f` on `e` and every expression inside it, children first, each
/// free to replace the node.
pub fn visit_expr_mut(e: &mut Expr, f: &mut dyn FnMut(&mut Expr)) {
    match &mut e.kind {
        ExprKind::ArrayCompr { term, body } | ExprKind::SetCompr { term, body } => {
            visit_expr_mut(term, f);
            visit_body_exprs_mut(body, f);
        }
        ExprKind::ObjectCompr { key, value, body } => {
            visit_expr_mut(key, f);
            visit_expr_mut(value, f);
            visit_body_exprs_mut(body, f);
        }
        _ => each_child_mut(e, &mut |c| visit_expr_mut(c, f)),
    }
    f(e);
}

/// Every expression of a body's statements, nested ones included.
pub fn visit_body_exprs_mut(body: &mut Body, f: &mut dyn FnMut(&mut Expr)) {
    for lit in &mut body.literals {
        visit_literal_exprs_mut(lit, f);
    }
}

/// Every expression of one statement (its `with` modifiers and an
/// `every`'s body included), nested ones included.
pub fn visit_literal_exprs_mut(lit: &mut Literal, f: &mut dyn FnMut(&mut Expr)) {
    match &mut lit.kind {
        LiteralKind::Expr(e) | LiteralKind::Not(e) => visit_expr_mut(e, f),
        LiteralKind::SomeVars(_) => {}
        LiteralKind::SomeIn {
            key,
            value,
            collection,
        } => {
            if let Some(k) = key {
                visit_expr_mut(k, f);
            }
            visit_expr_mut(value, f);
            visit_expr_mut(collection, f);
        }
        LiteralKind::Every {
            key,
            value,
            domain,
            body,
        } => {
            if let Some(k) = key {
                visit_expr_mut(k, f);
            }
            visit_expr_mut(value, f);
            visit_expr_mut(domain, f);
            visit_body_exprs_mut(body, f);
        }
    }
    for w in &mut lit.with {
        visit_expr_mut(&mut w.target, f);
        visit_expr_mut(&mut w.value, f);
    }
}

/// Every expression of a rule but its reference (a rule's own name is not
/// an expression to rewrite), nested ones included.
pub fn visit_rule_exprs_mut(rule: &mut Rule, f: &mut dyn FnMut(&mut Expr)) {
    let h = &mut rule.head;
    if let ExprKind::Ref { path, .. } = &mut h.reference.kind {
        for step in path {
            if let RefArg::Index(ix) = step {
                visit_expr_mut(ix, f);
            }
        }
    }
    for a in h.args.iter_mut().flatten() {
        visit_expr_mut(a, f);
    }
    if let Some(c) = &mut h.contains {
        visit_expr_mut(c, f);
    }
    if let Some((_, v)) = &mut h.value {
        visit_expr_mut(v, f);
    }
    for b in &mut rule.bodies {
        visit_body_exprs_mut(b, f);
    }
    for e in &mut rule.elses {
        if let Some((_, v)) = &mut e.value {
            visit_expr_mut(v, f);
        }
        if let Some(b) = &mut e.body {
            visit_body_exprs_mut(b, f);
        }
    }
}

/// The names a rule binds anywhere: function arguments, `:=` targets,
/// `some` and `every` variables (a name bound in a rule is never a rule or
/// an import there).
pub fn bound_vars(rule: &Rule) -> HashSet<String> {
    let mut bound = HashSet::new();
    let vars_of = |e: &Expr, bound: &mut HashSet<String>| {
        visit_expr(e, &mut |x| {
            if let ExprKind::Var(v) = &x.kind {
                bound.insert(v.clone());
            }
        })
    };
    for a in rule.head.args.iter().flatten() {
        vars_of(a, &mut bound);
    }
    visit_rule_exprs(rule, &mut |e| {
        if let ExprKind::Assign {
            op: AssignOp::Assign,
            lhs,
            ..
        } = &e.kind
        {
            visit_expr(lhs, &mut |x| {
                if let ExprKind::Var(v) = &x.kind {
                    bound.insert(v.clone());
                }
            });
        }
    });
    visit_rule_bodies(rule, &mut |b| {
        for lit in &b.literals {
            match &lit.kind {
                LiteralKind::SomeVars(vars) => {
                    bound.extend(vars.iter().map(|(v, _)| v.clone()));
                }
                LiteralKind::SomeIn { key, value, .. } | LiteralKind::Every { key, value, .. } => {
                    for e in key.iter().chain(std::iter::once(value)) {
                        visit_expr(e, &mut |x| {
                            if let ExprKind::Var(v) = &x.kind {
                                bound.insert(v.clone());
                            }
                        });
                    }
                }
                _ => {}
            }
        }
    });
    bound
}

/// Puts every span of `e` at `at` (a copy standing in for the node at `at`).
pub fn relocate(e: &mut Expr, at: Span) {
    fn go(e: &mut Expr, at: Span) {
        e.span = at;
        if let ExprKind::Ref { path, .. } = &mut e.kind {
            for step in path {
                if let RefArg::Dot { span, .. } = step {
                    *span = at;
                }
            }
        }
    }
    visit_expr_mut(e, &mut |x| go(x, at));
}

/// Calls `f` on every body of a rule, nested ones included: rule and
/// `else` bodies, `every` bodies, comprehension bodies wherever they are.
/// Inner bodies are visited before the body holding them.
pub fn visit_rule_bodies_mut(rule: &mut Rule, f: &mut dyn FnMut(&mut Body)) {
    fn body(b: &mut Body, f: &mut dyn FnMut(&mut Body)) {
        for lit in &mut b.literals {
            match &mut lit.kind {
                LiteralKind::Expr(e) | LiteralKind::Not(e) => expr(e, f),
                LiteralKind::SomeVars(_) => {}
                LiteralKind::SomeIn {
                    key,
                    value,
                    collection,
                } => {
                    if let Some(k) = key {
                        expr(k, f);
                    }
                    expr(value, f);
                    expr(collection, f);
                }
                LiteralKind::Every {
                    key,
                    value,
                    domain,
                    body: inner,
                } => {
                    if let Some(k) = key {
                        expr(k, f);
                    }
                    expr(value, f);
                    expr(domain, f);
                    body(inner, f);
                }
            }
            for w in &mut lit.with {
                expr(&mut w.target, f);
                expr(&mut w.value, f);
            }
        }
        f(b);
    }
    fn expr(e: &mut Expr, f: &mut dyn FnMut(&mut Body)) {
        match &mut e.kind {
            ExprKind::ArrayCompr { term, body: b } | ExprKind::SetCompr { term, body: b } => {
                expr(term, f);
                body(b, f);
            }
            ExprKind::ObjectCompr {
                key,
                value,
                body: b,
            } => {
                expr(key, f);
                expr(value, f);
                body(b, f);
            }
            _ => each_child_mut(e, &mut |c| expr(c, f)),
        }
    }
    let h = &mut rule.head;
    for a in h.args.iter_mut().flatten() {
        expr(a, f);
    }
    if let Some(c) = &mut h.contains {
        expr(c, f);
    }
    if let Some((_, v)) = &mut h.value {
        expr(v, f);
    }
    for b in &mut rule.bodies {
        body(b, f);
    }
    for e in &mut rule.elses {
        if let Some((_, v)) = &mut e.value {
            expr(v, f);
        }
        if let Some(b) = &mut e.body {
            body(b, f);
        }
    }
}

/// Calls `f` on each direct sub-expression of `e` (comprehension terms,
/// not their bodies).
pub fn each_child_mut(e: &mut Expr, f: &mut dyn FnMut(&mut Expr)) {
    match &mut e.kind {
        ExprKind::Ref { head, path } => {
            f(head);
            for step in path {
                if let RefArg::Index(ix) = step {
                    f(ix);
                }
            }
        }
        ExprKind::Call { func, args } => {
            f(func);
            {
                for a in args.iter_mut() {
                    f(a)
                }
            };
        }
        ExprKind::Array(items) | ExprKind::Set(items) => {
            for a in items.iter_mut() {
                f(a)
            }
        }
        ExprKind::Object(fields) => fields.iter_mut().for_each(|(k, v)| {
            f(k);
            f(v);
        }),
        ExprKind::ArrayCompr { term, .. } | ExprKind::SetCompr { term, .. } => f(term),
        ExprKind::ObjectCompr { key, value, .. } => {
            f(key);
            f(value);
        }
        ExprKind::Neg(x) | ExprKind::Paren(x) => f(x),
        ExprKind::Binary { lhs, rhs, .. } | ExprKind::Assign { lhs, rhs, .. } => {
            f(lhs);
            f(rhs);
        }
        ExprKind::Membership {
            key,
            value,
            collection,
        } => {
            if let Some(k) = key {
                f(k);
            }
            f(value);
            f(collection);
        }
        ExprKind::Null
        | ExprKind::Bool(_)
        | ExprKind::Number(_)
        | ExprKind::String { .. }
        | ExprKind::Var(_) => {}
    }
}

/// A span on `line` with no column: where Gavel's own tokens go.
pub fn synthetic(line: u32) -> Span {
    Span {
        start: 0,
        end: 0,
        line,
        col: 0,
        end_line: line,
        end_col: 0,
    }
}

/// The rule names of one package, across all its modules: a name in a body
/// that is not a local refers to one of them.
#[derive(Debug, Clone, Default)]
pub struct PackageRules {
    pub all: HashSet<String>,
    /// Those defined with arguments.
    pub functions: HashSet<String>,
}

impl PackageRules {
    pub fn of<'a>(modules: impl IntoIterator<Item = &'a Module>) -> PackageRules {
        let mut out = PackageRules::default();
        for m in modules {
            for r in &m.rules {
                out.all.insert(r.name().to_string());
                if r.head.args.is_some() {
                    out.functions.insert(r.name().to_string());
                }
            }
        }
        out
    }
}

/// Calls `f` on each direct sub-expression of `e`, comprehension bodies
/// included.
pub fn for_each_child(e: &Expr, f: &mut dyn FnMut(&Expr)) {
    match &e.kind {
        ExprKind::Ref { head, path } => {
            f(head);
            for step in path {
                if let RefArg::Index(ix) = step {
                    f(ix);
                }
            }
        }
        ExprKind::Call { func, args } => {
            f(func);
            {
                for a in args.iter() {
                    f(a)
                }
            };
        }
        ExprKind::Array(items) | ExprKind::Set(items) => {
            for a in items.iter() {
                f(a)
            }
        }
        ExprKind::Object(fields) => fields.iter().for_each(|(k, v)| {
            f(k);
            f(v);
        }),
        ExprKind::ArrayCompr { term, body } | ExprKind::SetCompr { term, body } => {
            f(term);
            for_each_literal_expr(body, f);
        }
        ExprKind::ObjectCompr { key, value, body } => {
            f(key);
            f(value);
            for_each_literal_expr(body, f);
        }
        ExprKind::Neg(x) | ExprKind::Paren(x) => f(x),
        ExprKind::Binary { lhs, rhs, .. } | ExprKind::Assign { lhs, rhs, .. } => {
            f(lhs);
            f(rhs);
        }
        ExprKind::Membership {
            key,
            value,
            collection,
        } => {
            if let Some(k) = key {
                f(k);
            }
            f(value);
            f(collection);
        }
        ExprKind::Null
        | ExprKind::Bool(_)
        | ExprKind::Number(_)
        | ExprKind::String { .. }
        | ExprKind::Var(_) => {}
    }
}

/// Calls `f` on each top expression of a body's statements (`with`
/// targets and values, `every` bodies included).
pub fn for_each_literal_expr(body: &Body, f: &mut dyn FnMut(&Expr)) {
    for lit in &body.literals {
        match &lit.kind {
            LiteralKind::Expr(e) | LiteralKind::Not(e) => f(e),
            LiteralKind::SomeVars(_) => {}
            LiteralKind::SomeIn {
                key,
                value,
                collection,
            } => {
                if let Some(k) = key {
                    f(k);
                }
                f(value);
                f(collection);
            }
            LiteralKind::Every {
                key,
                value,
                domain,
                body,
            } => {
                if let Some(k) = key {
                    f(k);
                }
                f(value);
                f(domain);
                for_each_literal_expr(body, f);
            }
        }
        for w in &lit.with {
            f(&w.target);
            f(&w.value);
        }
    }
}

/// Calls `f` on each top expression of a rule: head, bodies, elses.
pub fn for_each_rule_expr(rule: &Rule, f: &mut dyn FnMut(&Expr)) {
    let h = &rule.head;
    f(&h.reference);
    for a in h.args.iter().flatten() {
        f(a);
    }
    if let Some(c) = &h.contains {
        f(c);
    }
    if let Some((_, v)) = &h.value {
        f(v);
    }
    for b in &rule.bodies {
        for_each_literal_expr(b, f);
    }
    for e in &rule.elses {
        if let Some((_, v)) = &e.value {
            f(v);
        }
        if let Some(b) = &e.body {
            for_each_literal_expr(b, f);
        }
    }
}
