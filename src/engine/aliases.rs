//! Import aliases spelled out, as OPA's compiler resolves them: every name
//! an import brings (`import data.lib` -> `lib`, `import data.q["a-b"] as
//! r` -> `r`, `import input.request as req`) becomes its full reference
//! where the rule does not bind that name itself. regorus then never sees
//! an import (the emitter leaves them out): it could give a wrong value for
//! a rule reached through an alias under `with input as`, when the rule
//! depends on modules loaded after it.

use std::collections::{HashMap, HashSet};

use crate::rego::walk::{each_child_mut, for_each_child, relocate};
use crate::rego::{AssignOp, Body, Expr, ExprKind, LiteralKind, Module, RefArg};

/// The alias -> reference map of a module's `data` and `input` imports.
pub fn aliases(module: &Module) -> HashMap<String, Expr> {
    let mut out = HashMap::new();
    for import in &module.imports {
        let Some(path) = import.path.static_path() else {
            continue;
        };
        if !matches!(path.first().map(String::as_str), Some("data" | "input")) {
            continue;
        }
        let alias = match &import.alias {
            Some((name, _)) => name.clone(),
            None => path.last().cloned().unwrap_or_default(),
        };
        // `import input` / `import data` name themselves.
        if path.len() == 1 && import.alias.is_none() {
            continue;
        }
        out.insert(alias, import.path.clone());
    }
    out
}

/// Replaces every alias with its reference, in place, where no local of
/// the same name is in scope. A local's scope is the body (or comprehension,
/// or `every`) that binds it, as in OPA: `[image | some image in xs]`
/// hides the import `image` only inside that comprehension.
pub fn expand(module: &mut Module) {
    let aliases = aliases(module);
    if aliases.is_empty() {
        return;
    }
    for rule in &mut module.rules {
        let mut bound: HashSet<String> = HashSet::new();
        for a in rule.head.args.iter().flatten() {
            vars_in(a, &mut bound);
        }
        for b in rule
            .bodies
            .iter()
            .chain(rule.elses.iter().filter_map(|e| e.body.as_ref()))
        {
            body_binds(b, &mut bound);
        }
        let mut x = Expander { aliases: &aliases };
        let h = &mut rule.head;
        if let ExprKind::Ref { path, .. } = &mut h.reference.kind {
            for step in path {
                if let RefArg::Index(ix) = step {
                    x.expr(ix, &bound);
                }
            }
        }
        for e in h
            .contains
            .iter_mut()
            .chain(h.value.iter_mut().map(|(_, v)| v))
        {
            x.expr(e, &bound);
        }
        for b in &mut rule.bodies {
            x.body(b, &bound);
        }
        for e in &mut rule.elses {
            if let Some((_, v)) = &mut e.value {
                x.expr(v, &bound);
            }
            if let Some(b) = &mut e.body {
                x.body(b, &bound);
            }
        }
    }
}

struct Expander<'a> {
    aliases: &'a HashMap<String, Expr>,
}

impl Expander<'_> {
    fn expr(&mut self, e: &mut Expr, bound: &HashSet<String>) {
        match &mut e.kind {
            ExprKind::Var(name) => {
                if !bound.contains(name)
                    && let Some(target) = self.aliases.get(name)
                {
                    let mut full = target.clone();
                    relocate(&mut full, e.span);
                    *e = full;
                }
            }
            ExprKind::ArrayCompr { term, body } | ExprKind::SetCompr { term, body } => {
                let inner = scope(bound, body);
                self.expr(term, &inner);
                self.body(body, &inner);
            }
            ExprKind::ObjectCompr { key, value, body } => {
                let inner = scope(bound, body);
                self.expr(key, &inner);
                self.expr(value, &inner);
                self.body(body, &inner);
            }
            _ => each_child_mut(e, &mut |c| self.expr(c, bound)),
        }
    }

    fn body(&mut self, body: &mut Body, bound: &HashSet<String>) {
        for lit in &mut body.literals {
            match &mut lit.kind {
                LiteralKind::Expr(e) | LiteralKind::Not(e) => self.expr(e, bound),
                LiteralKind::SomeVars(_) => {}
                LiteralKind::SomeIn {
                    key,
                    value,
                    collection,
                } => {
                    for e in key.iter_mut().chain([value, collection]) {
                        self.expr(e, bound);
                    }
                }
                LiteralKind::Every {
                    key,
                    value,
                    domain,
                    body,
                } => {
                    self.expr(domain, bound);
                    let mut inner = scope(bound, body);
                    for e in key.iter().chain(std::iter::once(&*value)) {
                        vars_in(e, &mut inner);
                    }
                    for e in key.iter_mut().chain(std::iter::once(value)) {
                        self.expr(e, &inner);
                    }
                    self.body(body, &inner);
                }
            }
            for w in &mut lit.with {
                self.expr(&mut w.target, bound);
                self.expr(&mut w.value, bound);
            }
        }
    }
}

/// The names in scope inside a nested body: the outer ones and its own.
fn scope(outer: &HashSet<String>, body: &Body) -> HashSet<String> {
    let mut inner = outer.clone();
    body_binds(body, &mut inner);
    inner
}

/// The names a body's own statements bind (`some`, `:=`, `some .. in`),
/// not those of the comprehensions or `every` bodies inside it.
fn body_binds(body: &Body, out: &mut HashSet<String>) {
    for lit in &body.literals {
        match &lit.kind {
            LiteralKind::SomeVars(vars) => out.extend(vars.iter().map(|(v, _)| v.clone())),
            LiteralKind::SomeIn { key, value, .. } => {
                for e in key.iter().chain(std::iter::once(value)) {
                    vars_in(e, out);
                }
            }
            LiteralKind::Expr(Expr {
                kind:
                    ExprKind::Assign {
                        op: AssignOp::Assign,
                        lhs,
                        ..
                    },
                ..
            }) => vars_in(lhs, out),
            _ => {}
        }
    }
}

/// Every variable in a pattern (`[a, {"k": b}]`), not in comprehensions.
fn vars_in(e: &Expr, out: &mut HashSet<String>) {
    match &e.kind {
        ExprKind::Var(v) => {
            out.insert(v.clone());
        }
        ExprKind::ArrayCompr { .. } | ExprKind::SetCompr { .. } | ExprKind::ObjectCompr { .. } => {}
        _ => for_each_child(e, &mut |c| vars_in(c, out)),
    }
}
