//! References into `data` with a computed step, read as OPA evaluates
//! them. `data.templates[name].deny` reads, in OPA, each
//! `data.templates.<k>.deny` rule and nothing else under `data.templates`.
//! regorus 0.14.1 evaluates the whole of `data.templates` first, every
//! rule of every package below it, tests included; a test there that reads
//! the rule holding the reference makes regorus stop with "recursion
//! detected", and any costly rule below is paid for on every evaluation.
//!
//! The rules such a reference can reach are known from the version's rule
//! paths, so Gavel writes one generated rule per reachable step into a
//! package of its own (`data.__gavel_dynamic`), `refN["k"] :=
//! data.templates.k.deny`, and reads `data.__gavel_dynamic.refN[name]`
//! instead: the same keys (a step whose rule is undefined has none) and
//! values, each evaluated alone.

use std::collections::{BTreeSet, HashSet};

use crate::bundle::data::DataIndex;
use crate::rego::walk::{visit_expr, visit_rule_exprs_mut};
use crate::rego::{Expr, ExprKind, Module, RefArg, Span};

/// The generated module's file and package.
pub const FILE: &str = "__gavel_dynamic.rego";
pub const PACKAGE: &str = "__gavel_dynamic";

/// The generated rules of a version, as Rego source lines.
#[derive(Debug, Default)]
pub struct Generated {
    pub lines: Vec<String>,
    /// The rules already generated for a set of (key, target) pairs.
    by_targets: std::collections::HashMap<Vec<(String, String)>, String>,
}

impl Generated {
    /// The generated module's text, or none.
    pub fn module_text(&self) -> Option<String> {
        if self.lines.is_empty() {
            return None;
        }
        let mut text = format!("package {PACKAGE}\n\n");
        for l in &self.lines {
            text.push_str(l);
            text.push('\n');
        }
        Some(text)
    }
}

/// Rewrites the module's references with a computed step under a package
/// prefix, adding their rules to `generated`. `rule_paths`: every rule of
/// the version that has a value (not functions), `data.a.b.rule`.
/// Base documents (`data` files) under a prefix are read as they are:
/// `base` is the version's checked data, when known.
pub fn rewrite(
    module: &mut Module,
    rule_paths: &BTreeSet<String>,
    base: Option<&DataIndex>,
    generated: &mut Generated,
) {
    for rule in &mut module.rules {
        // References called as functions are left as they are.
        let mut called: HashSet<(u32, u32)> = HashSet::new();
        crate::rego::walk::for_each_rule_expr(rule, &mut |e| {
            visit_expr(e, &mut |x| {
                if let ExprKind::Call { func, .. } = &x.kind {
                    called.insert((func.span.start, func.span.end));
                }
            })
        });
        visit_rule_exprs_mut(rule, &mut |e| {
            if matches!(e.kind, ExprKind::Ref { .. })
                && !called.contains(&(e.span.start, e.span.end))
                && let Some(new) = replacement(e, rule_paths, base, generated)
            {
                *e = new;
            }
        });
    }
}

/// A reference as its root var and its steps.
fn flatten(e: &Expr) -> Option<(String, Vec<RefArg>)> {
    match &e.kind {
        ExprKind::Var(v) => Some((v.clone(), Vec::new())),
        ExprKind::Ref { head, path } => {
            let (root, mut steps) = flatten(head)?;
            steps.extend(path.iter().cloned());
            Some((root, steps))
        }
        _ => None,
    }
}

fn step_name(step: &RefArg) -> Option<&str> {
    match step {
        RefArg::Dot { name, .. } => Some(name),
        RefArg::Index(Expr {
            kind: ExprKind::String { value, .. },
            ..
        }) => Some(value),
        RefArg::Index(_) => None,
    }
}

fn replacement(
    e: &Expr,
    rule_paths: &BTreeSet<String>,
    base: Option<&DataIndex>,
    generated: &mut Generated,
) -> Option<Expr> {
    let (root, steps) = flatten(e)?;
    if root != "data" {
        return None;
    }
    let computed = steps.iter().position(|s| step_name(s).is_none())?;
    let prefix: Vec<&str> = steps[..computed].iter().filter_map(step_name).collect();
    if prefix.is_empty() {
        return None;
    }
    // A rule at or above the prefix: the step indexes that rule's value.
    let mut path = String::from("data");
    for seg in &prefix {
        path.push('.');
        path.push_str(seg);
        if rule_paths.contains(&path) {
            return None;
        }
    }
    // Keys of a base document under the prefix are yielded too (regorus
    // merges the two documents): known when the data files below the
    // prefix tell them by their directories, else left to regorus.
    let base_keys = match base {
        Some(b) if b.contains(&prefix) => b.keys_below(&prefix)?,
        _ => BTreeSet::new(),
    };
    let under = format!("{path}.");
    let rest = &steps[computed + 1..];
    let fixed_rest: Vec<&str> = rest.iter().map_while(step_name).collect();
    let mut keys: BTreeSet<&str> = base_keys.iter().map(String::as_str).collect();
    for p in rule_paths
        .range(under.clone()..)
        .take_while(|p| p.starts_with(&under))
    {
        let mut segs = p[under.len()..].split('.');
        let Some(key) = segs.next() else { continue };
        let reachable = segs
            .zip(rest)
            .all(|(seg, step)| step_name(step).is_none_or(|w| w == seg));
        if reachable {
            keys.insert(key);
        }
    }
    // Nothing to reach, or so much that one read is cheaper.
    if keys.is_empty() || keys.len() > 1_000 {
        return None;
    }
    let quoted = |s: &str| serde_json::to_string(s).unwrap_or_default();
    let target = |key: &str| -> String {
        let mut t = String::from("data");
        for seg in prefix
            .iter()
            .copied()
            .chain([key])
            .chain(fixed_rest.iter().copied())
        {
            t.push('[');
            t.push_str(&quoted(seg));
            t.push(']');
        }
        t
    };
    // The same reach twice (`data.t[k].a` and `data.t[k].a.b`) is one set
    // of rules, evaluated once per evaluation.
    let targets: Vec<(String, String)> = keys.iter().map(|k| (quoted(k), target(k))).collect();
    let name = match generated.by_targets.get(&targets) {
        Some(name) => name.clone(),
        None => {
            let name = format!("ref{}", generated.lines.len());
            let line: Vec<String> = targets
                .iter()
                .map(|(k, t)| format!("{name}[{k}] := {t}"))
                .collect();
            generated.lines.push(line.join("\n"));
            generated.by_targets.insert(targets, name.clone());
            name
        }
    };
    // data.__gavel_dynamic.refN[<computed>] then the steps after the fixed rest.
    let at = e.span;
    let dot = |n: &str| RefArg::Dot {
        name: n.to_string(),
        span: Span { col: 0, ..at },
    };
    let mut path = vec![dot(PACKAGE), dot(&name), steps[computed].clone()];
    path.extend(rest[fixed_rest.len()..].iter().cloned());
    Some(Expr::new(
        at,
        ExprKind::Ref {
            head: Box::new(Expr::new(at, ExprKind::Var("data".to_string()))),
            path,
        },
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_computed_step_reads_only_the_rules_it_can_reach() {
        let paths: BTreeSet<String> = [
            "data.t.a.deny",
            "data.t.b.deny",
            "data.t.b.other",
            "data.t.a_test.test_x",
        ]
        .into_iter()
        .map(String::from)
        .collect();
        let mut m = crate::rego::parse(
            "m.rego",
            "package main\ndenies(name) := data.t[name].deny\nall contains m if { some k; data.t[k].deny[m] }\nf(x) := data.main[x]\n",
            false,
        )
        .unwrap();
        let mut g = Generated::default();
        rewrite(&mut m, &paths, None, &mut g);
        let out = crate::rego::emit(&m, Default::default());
        let squeezed: String = out.split_whitespace().collect();
        assert!(
            squeezed.contains("denies(name):=data.__gavel_dynamic.ref0[name]"),
            "{out}"
        );
        // The same reach: the same generated rules.
        assert!(
            squeezed.contains("data.__gavel_dynamic.ref0[k][m]"),
            "{out}"
        );
        assert_eq!(g.lines.len(), 1, "{:?}", g.lines);
        // Nothing reachable (functions are not values): left alone.
        assert!(squeezed.contains("f(x):=data.main[x]"), "{out}");
        assert_eq!(
            g.lines[0],
            "ref0[\"a\"] := data[\"t\"][\"a\"][\"deny\"]\nref0[\"b\"] := data[\"t\"][\"b\"][\"deny\"]"
        );
    }

    /// Data files below the prefix (a rule package's `data.yaml`, as in
    /// Elastic's cloudbeat) no longer keep the whole tree in one read:
    /// their keys join the rules' keys, and a reach met twice is one rule.
    #[test]
    fn base_documents_below_the_prefix_add_their_keys() {
        let bundle = crate::bundle::Bundle::from_texts([
            (
                "main.rego".to_string(),
                "package main\nout := {r: v | v := data.c[input.b].rules[r].finding; data.c[input.b].rules[r].meta}\n".to_string(),
            ),
            ("c/k8s/rules/one/data.json".to_string(), r#"{"meta": {"id": 1}}"#.to_string()),
            ("c/aws/rules/two/data.json".to_string(), r#"{"meta": {"id": 2}}"#.to_string()),
            ("c/gcp/data.json".to_string(), r#"{"note": "base only"}"#.to_string()),
        ])
        .unwrap();
        let index = crate::bundle::data::check(&bundle).unwrap();
        let paths: BTreeSet<String> = [
            "data.c.k8s.rules.one.finding",
            "data.c.aws.rules.two.finding",
        ]
        .into_iter()
        .map(String::from)
        .collect();
        let mut m =
            crate::rego::parse("main.rego", &bundle.modules().next().unwrap().text, false).unwrap();
        let mut g = Generated::default();
        rewrite(&mut m, &paths, Some(&index), &mut g);
        let squeezed: String = crate::rego::emit(&m, Default::default())
            .split_whitespace()
            .collect();
        assert!(
            squeezed.contains("data.__gavel_dynamic.ref0[input.b][r].finding"),
            "{squeezed}"
        );
        assert!(
            squeezed.contains("data.__gavel_dynamic.ref0[input.b][r].meta"),
            "{squeezed}"
        );
        assert_eq!(g.lines.len(), 1, "{:?}", g.lines);
        for k in ["aws", "gcp", "k8s"] {
            assert!(
                g.lines[0].contains(&format!("ref0[\"{k}\"] := data[\"c\"][\"{k}\"][\"rules\"]")),
                "{:?}",
                g.lines
            );
        }
        // Evaluated, the rewrite reads what the reference read.
        let with_rules = crate::bundle::Bundle::from_texts(
            bundle
                .files
                .iter()
                .map(|f| (f.path.clone(), f.text.clone()))
                .chain([(
                    "c/k8s/rules/one/r.rego".to_string(),
                    "package c.k8s.rules.one\nfinding := input.b\n".to_string(),
                )]),
        )
        .unwrap();
        let p =
            crate::engine::LoadedPolicy::load(&with_rules, crate::engine::LoadOptions::new(false))
                .unwrap();
        for (b, want) in [("k8s", r#"{"one":"k8s"}"#), ("aws", "{}"), ("gcp", "{}")] {
            let mut e = p.engine().clone();
            e.set_input(regorus::Value::from_json_str(&format!(r#"{{"b":"{b}"}}"#)).unwrap());
            let got = e.eval_rule("data.main.out".to_string()).unwrap();
            assert_eq!(got, regorus::Value::from_json_str(want).unwrap(), "{b}");
        }
        // A data file at the prefix itself: its keys are not known by name.
        let above = crate::bundle::Bundle::from_texts([
            (
                "main.rego".to_string(),
                "package main\nout := data.c[input.b].rules\n".to_string(),
            ),
            (
                "c/data.json".to_string(),
                r#"{"x": {"rules": 1}}"#.to_string(),
            ),
        ])
        .unwrap();
        let index = crate::bundle::data::check(&above).unwrap();
        let mut m =
            crate::rego::parse("main.rego", &above.modules().next().unwrap().text, false).unwrap();
        let mut g = Generated::default();
        rewrite(&mut m, &paths, Some(&index), &mut g);
        assert!(g.lines.is_empty(), "{:?}", g.lines);
    }
}
