//! Import aliases spelled out, as OPA's compiler resolves them: every name
//! an import brings (`import data.lib` -> `lib`, `import data.q["a-b"] as
//! r` -> `r`, `import input.request as req`) becomes its full reference
//! where the rule does not bind that name itself. regorus then never sees
//! an import (the emitter leaves them out): it could give a wrong value for
//! a rule reached through an alias under `with input as`, when the rule
//! depends on modules loaded after it.

use std::collections::HashMap;

use crate::rego::walk::{bound_vars, relocate, visit_rule_exprs_mut};
use crate::rego::{Expr, ExprKind, Module};

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

/// Replaces every alias with its reference, in place.
pub fn expand(module: &mut Module) {
    let aliases = aliases(module);
    if aliases.is_empty() {
        return;
    }
    for rule in &mut module.rules {
        let bound = bound_vars(rule);
        visit_rule_exprs_mut(rule, &mut |e| {
            if let ExprKind::Var(name) = &e.kind
                && !bound.contains(name)
                && let Some(target) = aliases.get(name)
            {
                let mut full = target.clone();
                relocate(&mut full, e.span);
                *e = full;
            }
        });
    }
}
