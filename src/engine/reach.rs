//! Which modules an entrypoint can reach, read from the syntax tree, so an
//! evaluation pays only for them. regorus resets its per-rule state on
//! every evaluation and walks every module on a reference into a package
//! tree: with a whole library loaded, one decision costs in proportion to
//! the library, not to the rules it reads (issue 21).
//!
//! The reading is conservative: a module is kept when any reached module
//! refers to a path of `data` that is above, at or below its package
//! (`data.lib` keeps `lib.strings`; `data.lib.strings.f` keeps `lib`), and
//! a reference whose first step is computed (`data[x]`) or `data` read
//! whole keeps everything. Data files are always kept.

use std::collections::{BTreeSet, HashMap};

use crate::rego::walk::{for_each_child, for_each_rule_expr};
use crate::rego::{Expr, ExprKind, Module, RefArg};

/// The files of `modules` (file, tree) that `entrypoint` (`a/b/c`) can
/// reach, or `None` when it may reach them all (nothing to narrow).
pub fn reachable_files(modules: &[(String, Module)], entrypoint: &str) -> Option<BTreeSet<String>> {
    let packages: Vec<Vec<String>> = modules
        .iter()
        .map(|(_, m)| m.package.path.iter().map(|s| s.name.clone()).collect())
        .collect();
    let by_package: HashMap<&[String], Vec<usize>> =
        packages
            .iter()
            .enumerate()
            .fold(HashMap::new(), |mut acc, (i, p)| {
                acc.entry(p.as_slice()).or_default().push(i);
                acc
            });
    let mut reached = vec![false; modules.len()];
    let mut queue = Vec::new();
    let reach = |path: &[String], reached: &mut Vec<bool>, queue: &mut Vec<usize>| {
        for (i, p) in packages.iter().enumerate() {
            if !reached[i] && (p.starts_with(path) || path.starts_with(p)) {
                reached[i] = true;
                queue.push(i);
            }
        }
    };
    let start: Vec<String> = entrypoint.split('/').map(str::to_string).collect();
    reach(&start, &mut reached, &mut queue);
    while let Some(i) = queue.pop() {
        // Every module of a package: its rules are read by bare name.
        for &j in &by_package[packages[i].as_slice()] {
            if !reached[j] {
                reached[j] = true;
                queue.push(j);
            }
        }
        for path in data_paths(&modules[i].1)? {
            reach(&path, &mut reached, &mut queue);
        }
    }
    if reached.iter().all(|r| *r) {
        return None;
    }
    Some(
        modules
            .iter()
            .zip(&reached)
            .filter(|(_, r)| **r)
            .map(|((f, _), _)| f.clone())
            .collect(),
    )
}

/// The paths of `data` (without `data.`) a module refers to, up to each
/// reference's first computed step; `None` when one reads `data` whole or
/// from a computed first step.
fn data_paths(module: &Module) -> Option<Vec<Vec<String>>> {
    // Import aliases: `import data.a.b` reads `b` as `data.a.b`.
    let mut aliases: HashMap<String, Vec<String>> = HashMap::new();
    let mut out = Vec::new();
    for import in &module.imports {
        let Some(path) = import.path.static_path() else {
            continue;
        };
        if path.first().map(String::as_str) != Some("data") {
            continue;
        }
        if path.len() == 1 {
            return None;
        }
        let alias = match &import.alias {
            Some((a, _)) => a.clone(),
            None => path[path.len() - 1].clone(),
        };
        aliases.insert(alias, path[1..].to_vec());
        out.push(path[1..].to_vec());
    }
    let mut whole = false;
    for rule in &module.rules {
        for_each_rule_expr(rule, &mut |e| collect(e, &aliases, &mut out, &mut whole));
    }
    (!whole).then_some(out)
}

fn collect(
    e: &Expr,
    aliases: &HashMap<String, Vec<String>>,
    out: &mut Vec<Vec<String>>,
    whole: &mut bool,
) {
    match &e.kind {
        ExprKind::Var(v) if v == "data" => *whole = true,
        ExprKind::Var(v) => {
            if let Some(p) = aliases.get(v) {
                out.push(p.clone());
            }
        }
        ExprKind::Ref { head, path } => {
            match &head.kind {
                ExprKind::Var(v) if v == "data" || aliases.contains_key(v) => {
                    let mut prefix = match aliases.get(v) {
                        Some(p) if v != "data" => p.clone(),
                        _ => Vec::new(),
                    };
                    for step in path {
                        match step {
                            RefArg::Dot { name, .. } => prefix.push(name.clone()),
                            RefArg::Index(Expr {
                                kind: ExprKind::String { value, .. },
                                ..
                            }) => prefix.push(value.clone()),
                            RefArg::Index(_) => break,
                        }
                    }
                    if prefix.is_empty() {
                        *whole = true;
                    }
                    out.push(prefix);
                }
                _ => collect(head, aliases, out, whole),
            }
            for step in path {
                if let RefArg::Index(ix) = step {
                    collect(ix, aliases, out, whole);
                }
            }
        }
        _ => for_each_child(e, &mut |c| collect(c, aliases, out, whole)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn reach(files: &[(&str, &str)], entrypoint: &str) -> Option<Vec<String>> {
        let modules: Vec<(String, Module)> = files
            .iter()
            .map(|(f, t)| (f.to_string(), crate::rego::parse(f, t, false).unwrap()))
            .collect();
        reachable_files(&modules, entrypoint).map(|s| s.into_iter().collect())
    }

    #[test]
    fn keeps_what_the_entrypoint_reads_and_drops_the_rest() {
        let files = [
            (
                "a.rego",
                "package app.a\nimport data.lib.strings\nallow if strings.ok(input.x)\n",
            ),
            ("a2.rego", "package app.a\nextra := data.cfg.limit\n"),
            (
                "s.rego",
                "package lib.strings\nok(x) if data.lib.common.nonempty(x)\n",
            ),
            ("c.rego", "package lib.common\nnonempty(x) if x != \"\"\n"),
            ("b.rego", "package app.b\ndeny if input.y\n"),
            (
                "t.rego",
                "package app.a_test\ntest_a if data.app.a.allow with input as {\"x\": \"1\"}\n",
            ),
        ];
        assert_eq!(
            reach(&files, "app/a/allow").unwrap(),
            ["a.rego", "a2.rego", "c.rego", "s.rego"]
        );
        assert_eq!(reach(&files, "app/b/deny").unwrap(), ["b.rego"]);
    }

    #[test]
    fn a_computed_step_keeps_every_package_below_the_static_part() {
        let files = [
            ("m.rego", "package main\nout := data.rules[input.k].deny\n"),
            ("r1.rego", "package rules.one\ndeny := 1\n"),
            ("r2.rego", "package rules.two\ndeny := 2\n"),
            ("o.rego", "package other\nx := 1\n"),
        ];
        assert_eq!(
            reach(&files, "main/out").unwrap(),
            ["m.rego", "r1.rego", "r2.rego"]
        );
    }

    #[test]
    fn reading_data_whole_or_from_a_computed_first_step_keeps_everything() {
        let whole = [
            ("m.rego", "package main\nout := walk(data)\n"),
            ("o.rego", "package other\nx := 1\n"),
        ];
        assert_eq!(reach(&whole, "main/out"), None);
        let computed = [
            ("m.rego", "package main\nout := data[input.k]\n"),
            ("o.rego", "package other\nx := 1\n"),
        ];
        assert_eq!(reach(&computed, "main/out"), None);
    }

    #[test]
    fn a_package_above_the_reference_and_aliased_imports_are_kept() {
        let files = [
            (
                "m.rego",
                "package main\nimport data.lib.x as helpers\nout := helpers.f(1)\n",
            ),
            ("l.rego", "package lib\nx.f(n) := n + 1\n"),
            ("w.rego", "package main2\nout := 1\n"),
        ];
        assert_eq!(reach(&files, "main/out").unwrap(), ["l.rego", "m.rego"]);
    }
}
