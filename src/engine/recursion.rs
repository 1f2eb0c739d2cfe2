//! Refuses recursive rules and functions before anything is evaluated.
//! OPA rejects them at compile time; regorus accepts them and overflows its
//! stack at the first evaluation, which aborts the whole process.
//!
//! The check builds the graph "rule -> rules its head and body refer to"
//! (through local names, `data.` references, import aliases and calls) and
//! looks for a cycle. Names bound inside a rule (arguments, `:=`, `some`,
//! `every`) shadow rule names, as in Rego.
//!
//! Without a cycle, the same graph bounds how deep evaluation can go: a rule
//! that reads a rule that reads a rule... is evaluated recursively by
//! regorus, each step about 19 KiB of stack in a debug build (a chain of
//! 110 plain rules overflows a worker's 2 MiB stack, 450 the main
//! thread's 8 MiB). The cost of a step is [`RULE_STEP`] plus how deep in
//! the rule's expressions the reference sits (a level of expression is
//! about 3.5 KiB); the costliest chain may be at most [`MAX_CHAIN_COST`],
//! half of what overflows 2 MiB.

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};

use crate::error::{Error, Result};
use crate::rego::walk::bound_vars;
use crate::rego::{Body, Expr, ExprKind, LiteralKind, Module, RefArg, Rule};

/// The stack cost of one rule evaluating another, in expression levels.
pub const RULE_STEP: usize = 6;
/// The costliest chain of rules a version may hold (plain `rN := rM + 1`
/// steps cost 8: a chain of 37).
pub const MAX_CHAIN_COST: usize = 300;

/// A rule of the graph: its path and where it is defined (first definition).
struct Node {
    file: String,
    line: u32,
}

/// The graph of rules and what they read.
struct Graph {
    nodes: BTreeMap<String, Node>,
    rule_paths: BTreeSet<String>,
    edges: HashMap<String, BTreeSet<String>>,
    /// (rule, rule it reads) -> deepest expression level of the reference.
    ref_depth: HashMap<(String, String), usize>,
    /// rule -> its deepest expression level.
    own_depth: HashMap<String, usize>,
}

/// Checks every module together; the first cycle found is the error, then
/// a chain of rules too deep to evaluate.
pub fn check(modules: &[(String, &Module)]) -> Result<()> {
    let Graph {
        nodes,
        rule_paths,
        edges,
        ref_depth,
        own_depth,
    } = graph(modules);
    if let Some(cycle) = find_cycle(&rule_paths, &edges) {
        let first = &nodes[&cycle[0]];
        return Err(Error::input(
            format!("{}:{}", first.file, first.line),
            format!(
                "rego_recursion_error: rule {} is recursive: {}",
                cycle[0],
                cycle.join(" -> ")
            ),
        ));
    }
    if let Some((cost, chain)) = costliest_chain(&rule_paths, &edges, &ref_depth, &own_depth)
        && cost > MAX_CHAIN_COST
    {
        let first = &nodes[&chain[0]];
        let shown = if chain.len() > 6 {
            format!(
                "{} -> ... ({} more) -> {}",
                chain[..3].join(" -> "),
                chain.len() - 4,
                chain[chain.len() - 1]
            )
        } else {
            chain.join(" -> ")
        };
        return Err(Error::input(
            format!("{}:{}", first.file, first.line),
            format!(
                "rule {} reads a chain of {} rules too deep to evaluate safely (stack cost {cost}, \
                 Gavel accepts {MAX_CHAIN_COST}; regorus would overflow its stack): {shown}",
                chain[0],
                chain.len()
            ),
        ));
    }
    Ok(())
}

fn graph(modules: &[(String, &Module)]) -> Graph {
    let mut nodes: BTreeMap<String, Node> = BTreeMap::new();
    for (file, module) in modules {
        let package = package_path(module);
        for rule in &module.rules {
            if let Some(name) = rule_name(rule) {
                nodes.entry(format!("{package}.{name}")).or_insert(Node {
                    file: file.clone(),
                    line: rule.span.line,
                });
            }
        }
    }
    let rule_paths: BTreeSet<String> = nodes.keys().cloned().collect();
    let mut edges: HashMap<String, BTreeSet<String>> = HashMap::new();
    // (rule, rule it reads) -> deepest expression level of the reference;
    // rule -> its deepest expression level.
    let mut ref_depth: HashMap<(String, String), usize> = HashMap::new();
    let mut own_depth: HashMap<String, usize> = HashMap::new();
    for (_, module) in modules {
        let package = package_path(module);
        let imports: HashMap<String, Vec<String>> = super::aliases::aliases(module)
            .into_iter()
            .filter_map(|(alias, e)| Some((alias, e.static_path()?)))
            .collect();
        let local_rules: HashSet<String> =
            module.rules.iter().map(|r| r.name().to_string()).collect();
        for rule in &module.rules {
            let Some(name) = rule_name(rule) else {
                continue;
            };
            let from = format!("{package}.{name}");
            let mut ctx = Ctx {
                package: &package,
                imports: &imports,
                local_rules: &local_rules,
                bound: bound_vars(rule),
                rule_paths: &rule_paths,
                out: BTreeSet::new(),
                depth: 0,
                deepest: 0,
                out_depth: HashMap::new(),
            };
            ctx.rule(rule);
            for (to, d) in ctx.out_depth {
                let e = ref_depth.entry((from.clone(), to)).or_default();
                *e = (*e).max(d);
            }
            let own = own_depth.entry(from.clone()).or_default();
            *own = (*own).max(ctx.deepest);
            edges.entry(from).or_default().extend(ctx.out);
        }
    }
    Graph {
        nodes,
        rule_paths,
        edges,
        ref_depth,
        own_depth,
    }
}

/// The cost of the costliest chain of rules (for tests and measurements).
pub fn chain_cost(modules: &[(String, &Module)]) -> usize {
    let g = graph(modules);
    costliest_chain(&g.rule_paths, &g.edges, &g.ref_depth, &g.own_depth).map_or(0, |(c, _)| c)
}

/// The costliest path of the (acyclic) graph: its cost and its rules.
/// Iterative, so that a chain of thousands of rules cannot overflow here.
fn costliest_chain(
    nodes: &BTreeSet<String>,
    edges: &HashMap<String, BTreeSet<String>>,
    ref_depth: &HashMap<(String, String), usize>,
    own_depth: &HashMap<String, usize>,
) -> Option<(usize, Vec<String>)> {
    // node -> (cost of the costliest chain from it, next rule on it).
    let mut best: HashMap<&str, (usize, Option<&str>)> = HashMap::new();
    let empty = BTreeSet::new();
    for start in nodes {
        if best.contains_key(start.as_str()) {
            continue;
        }
        let mut stack: Vec<(&str, bool)> = vec![(start.as_str(), false)];
        while let Some((node, expanded)) = stack.pop() {
            if best.contains_key(node) {
                continue;
            }
            let succ = edges.get(node).unwrap_or(&empty);
            if !expanded {
                stack.push((node, true));
                for s in succ {
                    if !best.contains_key(s.as_str()) && nodes.contains(s) {
                        stack.push((s.as_str(), false));
                    }
                }
                continue;
            }
            let mut here = (own_depth.get(node).copied().unwrap_or(0), None);
            for s in succ {
                let Some((below, _)) = best.get(s.as_str()) else {
                    continue;
                };
                let step = RULE_STEP
                    + ref_depth
                        .get(&(node.to_string(), s.clone()))
                        .copied()
                        .unwrap_or(0);
                if step + below > here.0 {
                    here = (step + below, Some(s.as_str()));
                }
            }
            best.insert(node, here);
        }
    }
    let (start, (cost, _)) = best
        .iter()
        .max_by_key(|(n, (c, _))| (*c, std::cmp::Reverse(**n)))?;
    let mut chain = vec![start.to_string()];
    let mut at = *start;
    while let Some((_, Some(next))) = best.get(at) {
        chain.push(next.to_string());
        at = next;
    }
    Some((*cost, chain))
}

fn package_path(module: &Module) -> String {
    format!("data.{}", module.package_name())
}

/// The rule's name under its package (`p`, or `a.b` for a ref head; string
/// keys count as names).
pub(crate) fn rule_name(rule: &Rule) -> Option<String> {
    let pattern = pattern(&rule.head.reference);
    let names: Vec<&str> = pattern.iter().map_while(|s| s.as_deref()).collect();
    (!names.is_empty()).then(|| names.join("."))
}

/// A reference as names, `None` where an index is computed:
/// `data.t[x].deny` -> `data t * deny`.
fn pattern(e: &Expr) -> Vec<Option<String>> {
    match &e.kind {
        ExprKind::Var(v) => vec![Some(v.clone())],
        ExprKind::Ref { head, path } => {
            let mut out = pattern(head);
            for step in path {
                out.push(match step {
                    RefArg::Dot { name, .. } => Some(name.clone()),
                    RefArg::Index(Expr {
                        kind: ExprKind::String { value, .. },
                        ..
                    }) => Some(value.clone()),
                    RefArg::Index(_) => None,
                });
            }
            out
        }
        _ => vec![None],
    }
}

/// The computed indexes of a reference (what it evaluates besides reading).
fn dynamic_parts<'a>(e: &'a Expr, out: &mut Vec<&'a Expr>) {
    if let ExprKind::Ref { head, path } = &e.kind {
        dynamic_parts(head, out);
        for step in path {
            if let RefArg::Index(ix) = step
                && !matches!(ix.kind, ExprKind::String { .. })
            {
                out.push(ix);
            }
        }
    } else if !matches!(e.kind, ExprKind::Var(_)) {
        out.push(e);
    }
}

struct Ctx<'a> {
    package: &'a str,
    imports: &'a HashMap<String, Vec<String>>,
    local_rules: &'a HashSet<String>,
    bound: HashSet<String>,
    rule_paths: &'a BTreeSet<String>,
    out: BTreeSet<String>,
    /// How deep in the rule's expressions and queries the walk is, the
    /// deepest it went, and the deepest level each rule is read at.
    depth: usize,
    deepest: usize,
    out_depth: HashMap<String, usize>,
}

impl Ctx<'_> {
    fn rule(&mut self, rule: &Rule) {
        let h = &rule.head;
        if h.args.is_none() {
            // Computed parts of a head (`p[x]`) may refer to rules.
            let mut dynamic = Vec::new();
            dynamic_parts(&h.reference, &mut dynamic);
            for d in dynamic {
                self.expr(d);
            }
        }
        if let Some(c) = &h.contains {
            self.expr(c);
        }
        if let Some((_, v)) = &h.value {
            self.expr(v);
        }
        for b in &rule.bodies {
            self.query(b);
        }
        for e in &rule.elses {
            if let Some((_, v)) = &e.value {
                self.expr(v);
            }
            if let Some(b) = &e.body {
                self.query(b);
            }
        }
    }

    fn query(&mut self, body: &Body) {
        self.depth += 1;
        for lit in &body.literals {
            match &lit.kind {
                LiteralKind::SomeVars(_) => {}
                LiteralKind::SomeIn { collection, .. } => self.expr(collection),
                LiteralKind::Expr(e) | LiteralKind::Not(e) => self.expr(e),
                LiteralKind::Every { domain, body, .. } => {
                    self.expr(domain);
                    self.query(body);
                }
            }
            // A `with` target is replaced, not evaluated; its value is.
            for w in &lit.with {
                self.expr(&w.value);
            }
        }
        self.depth -= 1;
    }

    fn expr(&mut self, expr: &Expr) {
        // Parentheses are no level of regorus's tree.
        if let ExprKind::Paren(inner) = &expr.kind {
            return self.expr(inner);
        }
        self.depth += 1;
        self.deepest = self.deepest.max(self.depth);
        self.expr_inner(expr);
        self.depth -= 1;
    }

    fn expr_inner(&mut self, expr: &Expr) {
        match &expr.kind {
            ExprKind::Var(_) | ExprKind::Ref { .. } => {
                self.reference(&pattern(expr));
                let mut dynamic = Vec::new();
                dynamic_parts(expr, &mut dynamic);
                for d in dynamic {
                    self.expr(d);
                }
            }
            ExprKind::Call { func, args } => {
                self.reference(&pattern(func));
                for a in args {
                    self.expr(a);
                }
            }
            ExprKind::ArrayCompr { term, body } | ExprKind::SetCompr { term, body } => {
                self.expr(term);
                self.query(body);
            }
            ExprKind::ObjectCompr { key, value, body } => {
                self.expr(key);
                self.expr(value);
                self.query(body);
            }
            ExprKind::String { .. } | ExprKind::Number(_) | ExprKind::Bool(_) | ExprKind::Null => {}
            ExprKind::Array(items) | ExprKind::Set(items) => {
                items.iter().for_each(|i| self.expr(i))
            }
            ExprKind::Object(fields) => {
                for (k, v) in fields {
                    self.expr(k);
                    self.expr(v);
                }
            }
            ExprKind::Neg(x) | ExprKind::Paren(x) => self.expr(x),
            ExprKind::Binary { lhs, rhs, .. } | ExprKind::Assign { lhs, rhs, .. } => {
                self.expr(lhs);
                self.expr(rhs);
            }
            ExprKind::Membership {
                key,
                value,
                collection,
            } => {
                if let Some(k) = key {
                    self.expr(k);
                }
                self.expr(value);
                self.expr(collection);
            }
        }
    }

    fn read_at_depth(&mut self, rule: &str) {
        let d = self.out_depth.entry(rule.to_string()).or_default();
        *d = (*d).max(self.depth);
    }

    /// Adds edges for a reference (`None`: a computed index).
    fn reference(&mut self, pattern: &[Option<String>]) {
        let Some(Some(root)) = pattern.first() else {
            return;
        };
        let full: Vec<Option<String>> = if root == "data" {
            pattern.to_vec()
        } else if let Some(target) = self.imports.get(root) {
            target
                .iter()
                .cloned()
                .map(Some)
                .chain(pattern[1..].iter().cloned())
                .collect()
        } else if self.local_rules.contains(root) && !self.bound.contains(root) {
            self.package
                .split('.')
                .map(|s| Some(s.to_string()))
                .chain(pattern.iter().cloned())
                .collect()
        } else {
            return;
        };
        let fixed: Vec<&str> = full.iter().map_while(|s| s.as_deref()).collect();
        // The rule the reference reads (a prefix of it)...
        for i in (1..=fixed.len()).rev() {
            let p = fixed[..i].join(".");
            if self.rule_paths.contains(&p) {
                self.read_at_depth(&p);
                self.out.insert(p);
                return;
            }
        }
        // ...or every rule under it that its computed steps can reach
        // (`data.t[x].deny` reads each `data.t.*.deny`, not every rule
        // under `data.t`).
        let prefix = format!("{}.", fixed.join("."));
        let rest = &full[fixed.len()..];
        let reached: Vec<String> = self
            .rule_paths
            .range(prefix.clone()..)
            .take_while(|p| p.starts_with(&prefix))
            .filter(|p| {
                p[prefix.len()..]
                    .split('.')
                    .zip(rest)
                    .all(|(seg, want)| want.as_deref().is_none_or(|w| w == seg))
            })
            .cloned()
            .collect();
        for p in reached {
            self.read_at_depth(&p);
            self.out.insert(p);
        }
    }
}

/// The first cycle, in sorted order of its start, as a path back to itself.
fn find_cycle(
    nodes: &BTreeSet<String>,
    edges: &HashMap<String, BTreeSet<String>>,
) -> Option<Vec<String>> {
    #[derive(Clone, Copy, PartialEq)]
    enum Mark {
        Open,
        Done,
    }
    let mut marks: HashMap<&str, Mark> = HashMap::new();
    let empty = BTreeSet::new();
    for start in nodes {
        if marks.contains_key(start.as_str()) {
            continue;
        }
        // Iterative DFS: (node, its successors, next successor index).
        let mut stack: Vec<(&str, Vec<&str>, usize)> = Vec::new();
        let succ = |n: &str| -> Vec<&str> {
            edges
                .get(n)
                .unwrap_or(&empty)
                .iter()
                .map(String::as_str)
                .collect()
        };
        marks.insert(start, Mark::Open);
        stack.push((start, succ(start), 0));
        while let Some((node, next, i)) = stack.last_mut() {
            if *i < next.len() {
                let n = next[*i];
                *i += 1;
                match marks.get(n) {
                    Some(Mark::Open) => {
                        let pos = stack.iter().position(|(s, _, _)| *s == n).unwrap_or(0);
                        let mut cycle: Vec<String> =
                            stack[pos..].iter().map(|(s, _, _)| s.to_string()).collect();
                        cycle.push(n.to_string());
                        return Some(cycle);
                    }
                    Some(Mark::Done) => {}
                    None => {
                        marks.insert(n, Mark::Open);
                        let s = succ(n);
                        stack.push((n, s, 0));
                    }
                }
            } else {
                marks.insert(node, Mark::Done);
                stack.pop();
            }
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check_src(files: &[(&str, &str)]) -> Result<()> {
        let parsed: Vec<(String, Module)> = files
            .iter()
            .map(|(f, t)| (f.to_string(), crate::rego::parse(f, t, false).unwrap()))
            .collect();
        let refs: Vec<(String, &Module)> = parsed.iter().map(|(f, m)| (f.clone(), m)).collect();
        check(&refs)
    }

    #[test]
    fn direct_and_mutual_recursion_are_refused() {
        let err = check_src(&[(
            "r.rego",
            "package r\n\nf(x) := y if {\n  y := f(x + 1)\n}\n",
        )])
        .unwrap_err()
        .to_string();
        assert_eq!(
            err,
            "r.rego:3: rego_recursion_error: rule data.r.f is recursive: data.r.f -> data.r.f"
        );
        let err = check_src(&[("r.rego", "package r\na if b\nb if c\nc if a\n")])
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("data.r.a -> data.r.b -> data.r.c -> data.r.a"),
            "{err}"
        );
    }

    #[test]
    fn recursion_across_packages_and_imports() {
        let err = check_src(&[
            ("a.rego", "package a\nimport data.b\nx if b.y\n"),
            ("b.rego", "package b\ny if data.a.x\n"),
        ])
        .unwrap_err()
        .to_string();
        assert!(err.contains("data.a.x -> data.b.y -> data.a.x"), "{err}");
    }

    #[test]
    fn ordinary_policies_pass() {
        check_src(&[(
            "p.rego",
            "package p\nimport data.cfg\nlimit := 10\nover if input.x > limit\ndeny contains m if {\n  over\n  some limit in [1]\n  m := sprintf(\"%v\", [limit])\n}\nf(limit) := limit + 1\ng(x) := f(x)\nall := data.p.deny\nt if { f(1) == 2 with input as {} }\nxs := [x | some x in deny]\n",
        )])
        .unwrap();
    }

    fn chain(n: usize, step: &str) -> String {
        let mut src = String::from("package c\n\nr0 := 1\n");
        for i in 1..n {
            src.push_str(
                &step
                    .replace("{i}", &i.to_string())
                    .replace("{j}", &(i - 1).to_string()),
            );
            src.push('\n');
        }
        src
    }

    #[test]
    fn chains_too_deep_to_evaluate_are_refused() {
        // Plain steps cost RULE_STEP + 2: 37 pass, 38 do not.
        check_src(&[("c.rego", &chain(38, "r{i} := r{j} + 1"))]).unwrap();
        let err = check_src(&[("c.rego", &chain(39, "r{i} := r{j} + 1"))])
            .unwrap_err()
            .to_string();
        assert!(err.starts_with("c.rego:"), "{err}");
        assert!(
            err.contains("rule data.c.r38 reads a chain of 39 rules"),
            "{err}"
        );
        assert!(
            err.contains("data.c.r38 -> data.c.r37 -> data.c.r36 -> ... (35 more) -> data.c.r0"),
            "{err}"
        );
        // A reference deep in an expression costs more.
        let deep = format!("r{{i}} := {{ \"a\": [[r{{j}} + {}1]] }}", "1 + ".repeat(10));
        assert!(check_src(&[("c.rego", &chain(20, &deep))]).is_err());
        // Functions and bodies chain too; thousands of rules do not
        // overflow the check itself.
        let mut fns = String::from("package c\n\nf0(x) := x\n");
        for i in 1..60 {
            fns.push_str(&format!("f{i}(x) := f{}(x)\n", i - 1));
        }
        let err = check_src(&[("c.rego", &fns)]).unwrap_err().to_string();
        assert!(
            err.contains("rule data.c.f59 reads a chain of 60 rules"),
            "{err}"
        );
        let err = check_src(&[("c.rego", &chain(3000, "r{i} if { r{j} }"))])
            .unwrap_err()
            .to_string();
        assert!(err.contains("chain of 3000 rules"), "{err}");
    }

    /// The sample regimes are far from the limit.
    #[test]
    fn sample_chains_are_cheap() {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("sample-policies");
        let mut most = 0;
        for regime in std::fs::read_dir(&root).unwrap() {
            for version in std::fs::read_dir(regime.unwrap().path()).unwrap() {
                let dir = version.unwrap().path();
                if !dir.is_dir() {
                    continue;
                }
                let bundle = crate::bundle::Bundle::read_dir(&dir).unwrap();
                // As the load checks them: after normalisation.
                let parsed: Vec<(String, Module)> =
                    super::super::normalize::read_bundle(&bundle, false, false, None)
                        .unwrap()
                        .into_iter()
                        .map(|(path, read)| (path, read.module))
                        .collect();
                let refs: Vec<(String, &Module)> =
                    parsed.iter().map(|(f, m)| (f.clone(), m)).collect();
                check(&refs).unwrap();
                most = most.max(chain_cost(&refs));
            }
        }
        eprintln!("costliest sample chain: {most}");
        assert!(most > 0 && most * 3 <= MAX_CHAIN_COST, "{most}");
    }

    #[test]
    fn a_computed_step_reaches_only_the_rules_it_can_name() {
        // `data.t[x].deny` reads each `data.t.*.deny`: not the tests under
        // `data.t` that read `main` (OPA: no recursion).
        check_src(&[
            (
                "m.rego",
                "package main\ndeny contains m if { some t; data.t[t].deny[m] }\n",
            ),
            ("a.rego", "package t.a\ndeny contains \"a\" if input.a\n"),
            (
                "a_test.rego",
                "package t.a_test\ntest_a if data.main.deny with input as {\"a\": 1}\n",
            ),
        ])
        .unwrap();
        let err = check_src(&[
            (
                "m.rego",
                "package main\ndeny contains m if { some t; data.t[t].deny[m] }\n",
            ),
            (
                "a.rego",
                "package t.a\ndeny contains m if { some m in data.main.deny }\n",
            ),
        ])
        .unwrap_err()
        .to_string();
        assert!(err.contains("rego_recursion_error"), "{err}");
    }

    #[test]
    fn a_whole_package_reference_reaches_its_rules() {
        let err = check_src(&[("p.rego", "package p\nall := data.p\nx := 1\n")])
            .unwrap_err()
            .to_string();
        assert!(err.contains("data.p.all -> data.p.all"), "{err}");
    }
}
