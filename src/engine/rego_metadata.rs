//! `rego.metadata.chain()` and `rego.metadata.rule()`, as OPA's compiler
//! reads them: each call is replaced, before evaluation, by the constant it
//! stands for in the rule that makes it (OPA's `rewriteRegoMetadataCalls`).
//!
//! - `chain()`: from the rule outwards, `{"path": [...], "annotations":
//!   {...}}` for the rule (its `rule`-scope annotation; the entry is there
//!   without `annotations` when it has none), then its `document`-scope
//!   annotation, the `package`-scope annotation of its package (from any
//!   module of it) and each enclosing package's `subpackages` annotation.
//!   Paths leave `data` out, as OPA's do.
//! - `rule()`: the rule's own annotation (rule scope, else document), or
//!   `{}`.
//!
//! Annotations read as OPA returns them: `scope` filled in, `authors` as
//! `{name, email}` objects, `related_resources` as `{ref, description}`.

use std::collections::HashMap;

use serde_json::{Map, Value};

use crate::bundle::metadata::parse_comment_blocks;
use crate::rego::walk::visit_rule_exprs_mut;
use crate::rego::{Expr, ExprKind, Module, Span};

/// Every package's `package` and `subpackages` annotations.
#[derive(Debug, Default)]
pub struct PackageAnnotations {
    package: HashMap<Vec<String>, Value>,
    subpackages: HashMap<Vec<String>, Value>,
}

/// The annotations of a module, by the line of the statement they
/// annotate (the line after the block).
fn blocks(module: &Module) -> HashMap<u32, Map<String, Value>> {
    let Ok(parsed) = parse_comment_blocks(&module.comments) else {
        return HashMap::new();
    };
    let mut out = HashMap::new();
    for block in parsed {
        let yaml: Vec<&str> = module
            .comments
            .iter()
            .filter(|c| c.col == 1 && c.line > block.start_line && c.line <= block.end_line)
            .map(|c| c.text.as_str())
            .collect();
        let value: Value = match yaml_serde::from_str(&yaml.join("\n")) {
            Ok(v) => v,
            Err(_) => continue,
        };
        let map = match value {
            Value::Object(m) => m,
            Value::Null => Map::new(),
            _ => continue,
        };
        out.insert(block.end_line + 1, map);
    }
    out
}

/// An annotation as OPA gives it to policies.
fn as_opa_gives_it(mut a: Map<String, Value>, default_scope: &str) -> Value {
    a.retain(|_, v| !v.is_null());
    if !a.contains_key("scope") {
        a.insert("scope".into(), Value::from(default_scope));
    }
    if let Some(Value::Array(authors)) = a.get_mut("authors") {
        for author in authors.iter_mut() {
            if let Value::String(s) = author {
                *author = author_object(s);
            }
        }
    }
    if let Some(Value::Array(resources)) = a.get_mut("related_resources") {
        for r in resources.iter_mut() {
            if let Value::String(s) = r {
                *r = serde_json::json!({ "ref": s.clone() });
            }
        }
    }
    Value::Object(a)
}

/// `Jane Doe <jane@example.com>` -> `{name, email}`, as OPA splits it.
fn author_object(s: &str) -> Value {
    let s = s.trim();
    let mut out = Map::new();
    match (s.rfind('<'), s.ends_with('>')) {
        (Some(open), true) => {
            let name = s[..open].trim();
            let email = s[open + 1..s.len() - 1].trim();
            if !name.is_empty() {
                out.insert("name".into(), Value::from(name));
            }
            if !email.is_empty() {
                out.insert("email".into(), Value::from(email));
            }
        }
        _ => {
            out.insert("name".into(), Value::from(s));
        }
    }
    Value::Object(out)
}

fn package_path(module: &Module) -> Vec<String> {
    module.package.path.iter().map(|s| s.name.clone()).collect()
}

/// The `package` and `subpackages` annotations of every module; none read
/// when no module calls `rego.metadata.*` (the common case: no cost at
/// load).
pub fn collect(modules: &[&Module]) -> PackageAnnotations {
    let mut out = PackageAnnotations::default();
    if !modules.iter().any(|m| calls_metadata(m)) {
        return out;
    }
    for module in modules {
        let Some(a) = blocks(module).remove(&module.package.span.line) else {
            continue;
        };
        let scope = a
            .get("scope")
            .and_then(Value::as_str)
            .unwrap_or("package")
            .to_string();
        let path = package_path(module);
        let value = as_opa_gives_it(a, "package");
        if scope == "subpackages" {
            out.subpackages.insert(path, value);
        } else {
            out.package.insert(path, value);
        }
    }
    out
}

/// Replaces every `rego.metadata.chain()` / `rego.metadata.rule()` call of
/// the module by its constant.
pub fn rewrite(module: &mut Module, packages: &PackageAnnotations) {
    if !calls_metadata(module) {
        return;
    }
    let annotations = blocks(module);
    let package = package_path(module);
    // Document-scope annotations, by rule name.
    let mut documents: HashMap<String, Value> = HashMap::new();
    for rule in &module.rules {
        if let Some(a) = annotations.get(&rule.span.line)
            && a.get("scope").and_then(Value::as_str) == Some("document")
        {
            documents.insert(
                rule.name().to_string(),
                as_opa_gives_it(a.clone(), "document"),
            );
        }
    }
    for rule in &mut module.rules {
        let name = rule.name().to_string();
        let own = annotations
            .get(&rule.span.line)
            .filter(|a| a.get("scope").and_then(Value::as_str).unwrap_or("rule") == "rule")
            .map(|a| as_opa_gives_it(a.clone(), "rule"));
        let mut rule_path = package.clone();
        rule_path.push(name.clone());
        let entry = |path: &[String], a: Option<&Value>| {
            let mut e = Map::new();
            if let Some(a) = a {
                e.insert("annotations".into(), a.clone());
            }
            e.insert("path".into(), Value::from(path.to_vec()));
            Value::Object(e)
        };
        let mut chain = vec![entry(&rule_path, own.as_ref())];
        let document = documents.get(&name);
        if let Some(d) = document {
            chain.push(entry(&rule_path, Some(d)));
        }
        if let Some(p) = packages.package.get(&package) {
            chain.push(entry(&package, Some(p)));
        }
        for len in (1..=package.len()).rev() {
            let outer = &package[..len];
            if let Some(s) = packages.subpackages.get(outer) {
                chain.push(entry(outer, Some(s)));
            }
        }
        let rule_value = own
            .clone()
            .or_else(|| document.cloned())
            .unwrap_or_else(|| Value::Object(Map::new()));
        let chain = Value::Array(chain);
        visit_rule_exprs_mut(rule, &mut |e| {
            let replacement = match metadata_call(e) {
                Some("chain") => &chain,
                Some("rule") => &rule_value,
                _ => return,
            };
            *e = constant(replacement, e.span);
        });
    }
}

fn calls_metadata(module: &Module) -> bool {
    let mut found = false;
    for rule in &module.rules {
        crate::rego::walk::visit_rule_exprs(rule, &mut |e| {
            crate::rego::walk::visit_expr(e, &mut |x| found |= metadata_call(x).is_some());
        });
    }
    found
}

/// `chain` or `rule` for a call `rego.metadata.chain()` / `...rule()`.
fn metadata_call(e: &Expr) -> Option<&'static str> {
    let ExprKind::Call { func, args } = &e.kind else {
        return None;
    };
    if !args.is_empty() {
        return None;
    }
    match func.static_path()?.join(".").as_str() {
        "rego.metadata.chain" => Some("chain"),
        "rego.metadata.rule" => Some("rule"),
        _ => None,
    }
}

/// A JSON value as a Rego term at `at`.
fn constant(v: &Value, at: Span) -> Expr {
    let kind = match v {
        Value::Null => ExprKind::Null,
        Value::Bool(b) => ExprKind::Bool(*b),
        Value::Number(n) => ExprKind::Number(n.to_string()),
        Value::String(s) => ExprKind::String {
            value: s.clone(),
            raw: false,
        },
        Value::Array(items) => ExprKind::Array(items.iter().map(|i| constant(i, at)).collect()),
        Value::Object(m) => ExprKind::Object(
            m.iter()
                .map(|(k, v)| (constant(&Value::from(k.as_str()), at), constant(v, at)))
                .collect(),
        ),
    };
    Expr::new(at, kind)
}

#[cfg(test)]
mod tests {
    use crate::bundle::Bundle;
    use crate::engine::{LoadOptions, LoadedPolicy, convert};
    use serde_json::json;

    fn eval(files: &[(&str, &str)], rule: &str) -> serde_json::Value {
        let b =
            Bundle::from_texts(files.iter().map(|(p, t)| (p.to_string(), t.to_string()))).unwrap();
        let p = LoadedPolicy::load(&b, LoadOptions::new(false)).unwrap();
        let v = p.engine().clone().eval_rule(rule.into()).unwrap();
        convert::to_json(&v).unwrap().unwrap()
    }

    #[test]
    fn chain_and_rule_as_opa_gives_them() {
        let a = "# METADATA\n# description: The suite\npackage t\n";
        let b = "package t\n\n# METADATA\n# scope: document\n# title: Doc\n# authors:\n# - Jane Doe <jane@example.com>\np := \"x\" if false\n\n# METADATA\n# title: Own\n# custom:\n#   severity: high\np := x if { x := rego.metadata.chain() }\n\nr := rego.metadata.rule()\n\n# METADATA\n# title: Mine\ns := rego.metadata.rule()\n";
        let files = [("a.rego", a), ("b.rego", b)];
        assert_eq!(
            eval(&files, "data.t.p"),
            json!([
                {"annotations": {"scope": "rule", "title": "Own", "custom": {"severity": "high"}}, "path": ["t", "p"]},
                {"annotations": {"scope": "document", "title": "Doc", "authors": [{"name": "Jane Doe", "email": "jane@example.com"}]}, "path": ["t", "p"]},
                {"annotations": {"scope": "package", "description": "The suite"}, "path": ["t"]},
            ])
        );
        assert_eq!(eval(&files, "data.t.r"), json!({}));
        assert_eq!(
            eval(&files, "data.t.s"),
            json!({"scope": "rule", "title": "Mine"})
        );
    }
}
