//! Refuses recursive rules and functions before anything is evaluated.
//! OPA rejects them at compile time; regorus accepts them and overflows its
//! stack at the first evaluation, which aborts the whole process.
//!
//! The check builds the graph "rule -> rules its head and body refer to"
//! (through local names, `data.` references, import aliases and calls) and
//! looks for a cycle. Names bound inside a rule (arguments, `:=`, `some`,
//! `every`) shadow rule names, as in Rego.

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};

use regorus::unstable::{AssignOp, Expr, Literal, Module, Query, Rule, RuleHead};

use crate::error::{Error, Result};

/// A rule of the graph: its path and where it is defined (first definition).
struct Node {
    file: String,
    line: u32,
}

/// Checks every module together; the first cycle found is the error.
pub fn check(modules: &[(String, &Module)]) -> Result<()> {
    let mut nodes: BTreeMap<String, Node> = BTreeMap::new();
    for (file, module) in modules {
        let package = package_path(module);
        for rule in &module.policy {
            if let Some(name) = rule_name(rule) {
                nodes.entry(format!("{package}.{name}")).or_insert(Node {
                    file: file.clone(),
                    line: rule.span().line,
                });
            }
        }
    }
    let rule_paths: BTreeSet<String> = nodes.keys().cloned().collect();
    let mut edges: HashMap<String, BTreeSet<String>> = HashMap::new();
    for (_, module) in modules {
        let package = package_path(module);
        let imports = import_aliases(module);
        let local_rules: HashSet<String> = module
            .policy
            .iter()
            .filter_map(|r| rule_name(r))
            .map(|n| n.split('.').next().unwrap_or(&n).to_string())
            .collect();
        for rule in &module.policy {
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
            };
            ctx.rule(rule);
            edges.entry(from).or_default().extend(ctx.out);
        }
    }
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
    Ok(())
}

fn package_path(module: &Module) -> String {
    format!("data.{}", super::ast::package_name(module))
}

/// The rule's name under its package (`p`, or `a.b` for a ref head).
fn rule_name(rule: &Rule) -> Option<String> {
    let refr = match rule {
        Rule::Spec { head, .. } => match head {
            RuleHead::Compr { refr, .. }
            | RuleHead::Set { refr, .. }
            | RuleHead::Func { refr, .. } => refr,
        },
        Rule::Default { refr, .. } => refr,
    };
    let mut comps = Vec::new();
    static_chain(refr, &mut comps, &mut Vec::new());
    (!comps.is_empty()).then(|| comps.join("."))
}

/// `import data.a.b` -> `b: data.a.b`; `import data.a.b as c` -> `c: data.a.b`.
pub(crate) fn import_aliases(module: &Module) -> HashMap<String, String> {
    let mut out = HashMap::new();
    for import in &module.imports {
        let mut comps = Vec::new();
        static_chain(&import.refr, &mut comps, &mut Vec::new());
        if comps.first().map(String::as_str) != Some("data") {
            continue;
        }
        let alias = match &import.r#as {
            Some(span) => span.text().to_string(),
            None => comps.last().cloned().unwrap_or_default(),
        };
        out.insert(alias, comps.join("."));
    }
    out
}

/// The static components of a reference chain (`a.b["c"][x]` -> `a b c`),
/// and the dynamic index expressions met after the static part ends.
fn static_chain<'a>(expr: &'a Expr, comps: &mut Vec<String>, dynamic: &mut Vec<&'a Expr>) -> bool {
    match expr {
        Expr::Var { span, .. } => {
            comps.push(span.text().to_string());
            true
        }
        Expr::RefDot { refr, field, .. } => {
            let ok = static_chain(refr, comps, dynamic);
            if ok {
                comps.push(field.0.text().to_string());
            }
            ok
        }
        Expr::RefBrack { refr, index, .. } => {
            let ok = static_chain(refr, comps, dynamic);
            match index.as_ref() {
                Expr::String { value, .. } | Expr::RawString { value, .. } if ok => {
                    comps.push(value.as_string().map(|s| s.to_string()).unwrap_or_default());
                    true
                }
                other => {
                    dynamic.push(other);
                    false
                }
            }
        }
        other => {
            dynamic.push(other);
            false
        }
    }
}

/// Names a rule binds itself: they are not references to rules.
pub(crate) fn bound_vars(rule: &Rule) -> HashSet<String> {
    let mut bound = HashSet::new();
    let bind_pattern = |e: &Expr, bound: &mut HashSet<String>| {
        super::ast::visit_expr(e, &mut |x| {
            if let Expr::Var { span, .. } = x {
                bound.insert(span.text().to_string());
            }
        });
    };
    if let Rule::Spec {
        head: RuleHead::Func { args, .. },
        ..
    }
    | Rule::Default { args, .. } = rule
    {
        for a in args {
            bind_pattern(a, &mut bound);
        }
    }
    super::ast::visit_rule_exprs(rule, &mut |e| {
        if let Expr::AssignExpr {
            op: AssignOp::ColEq,
            lhs,
            ..
        } = e
        {
            super::ast::visit_expr(lhs, &mut |x| {
                if let Expr::Var { span, .. } = x {
                    bound.insert(span.text().to_string());
                }
            });
        }
    });
    if let Rule::Spec { bodies, .. } = rule {
        for b in bodies {
            collect_declared(&b.query, &mut bound);
        }
    }
    bound
}

fn collect_declared(query: &Query, bound: &mut HashSet<String>) {
    for stmt in &query.stmts {
        match &stmt.literal {
            Literal::SomeVars { vars, .. } => {
                bound.extend(vars.iter().map(|v| v.text().to_string()))
            }
            Literal::SomeIn { key, value, .. } => {
                for e in key.iter().chain(std::iter::once(value)) {
                    super::ast::visit_expr(e, &mut |x| {
                        if let Expr::Var { span, .. } = x {
                            bound.insert(span.text().to_string());
                        }
                    });
                }
            }
            Literal::Every {
                key, value, query, ..
            } => {
                if let Some(k) = key {
                    bound.insert(k.text().to_string());
                }
                bound.insert(value.text().to_string());
                collect_declared(query, bound);
            }
            Literal::Expr { .. } | Literal::NotExpr { .. } => {}
        }
    }
}

struct Ctx<'a> {
    package: &'a str,
    imports: &'a HashMap<String, String>,
    local_rules: &'a HashSet<String>,
    bound: HashSet<String>,
    rule_paths: &'a BTreeSet<String>,
    out: BTreeSet<String>,
}

impl Ctx<'_> {
    fn rule(&mut self, rule: &Rule) {
        match rule {
            Rule::Spec { head, bodies, .. } => {
                match head {
                    RuleHead::Compr { refr, assign, .. } => {
                        self.head_ref(refr);
                        if let Some(a) = assign {
                            self.expr(&a.value);
                        }
                    }
                    RuleHead::Set { refr, key, .. } => {
                        self.head_ref(refr);
                        if let Some(k) = key {
                            self.expr(k);
                        }
                    }
                    RuleHead::Func { assign, .. } => {
                        if let Some(a) = assign {
                            self.expr(&a.value);
                        }
                    }
                }
                for b in bodies {
                    if let Some(a) = &b.assign {
                        self.expr(&a.value);
                    }
                    self.query(&b.query);
                }
            }
            Rule::Default { value, .. } => self.expr(value),
        }
    }

    /// Dynamic parts of a head (`p[x]`) may refer to rules.
    fn head_ref(&mut self, refr: &Expr) {
        let mut dynamic = Vec::new();
        static_chain(refr, &mut Vec::new(), &mut dynamic);
        for d in dynamic {
            self.expr(d);
        }
    }

    fn query(&mut self, query: &Query) {
        for stmt in &query.stmts {
            match &stmt.literal {
                Literal::SomeVars { .. } => {}
                Literal::SomeIn { collection, .. } => self.expr(collection),
                Literal::Expr { expr, .. } | Literal::NotExpr { expr, .. } => self.expr(expr),
                Literal::Every { domain, query, .. } => {
                    self.expr(domain);
                    self.query(query);
                }
            }
            // A `with` target is replaced, not evaluated; its value is.
            for w in &stmt.with_mods {
                self.expr(&w.r#as);
            }
        }
    }

    fn expr(&mut self, expr: &Expr) {
        match expr {
            Expr::Var { .. } | Expr::RefDot { .. } | Expr::RefBrack { .. } => {
                let mut comps = Vec::new();
                let mut dynamic = Vec::new();
                static_chain(expr, &mut comps, &mut dynamic);
                self.reference(&comps);
                for d in dynamic {
                    if !std::ptr::eq(d, expr) {
                        self.expr(d);
                    }
                }
            }
            Expr::Call { fcn, params, .. } => {
                let mut comps = Vec::new();
                let mut dynamic = Vec::new();
                static_chain(fcn, &mut comps, &mut dynamic);
                self.reference(&comps);
                for p in params {
                    self.expr(p);
                }
            }
            Expr::ArrayCompr { term, query, .. } | Expr::SetCompr { term, query, .. } => {
                self.expr(term);
                self.query(query);
            }
            Expr::ObjectCompr {
                key, value, query, ..
            } => {
                self.expr(key);
                self.expr(value);
                self.query(query);
            }
            Expr::String { .. }
            | Expr::RawString { .. }
            | Expr::Number { .. }
            | Expr::Bool { .. }
            | Expr::Null { .. } => {}
            Expr::Array { items, .. } | Expr::Set { items, .. } => {
                items.iter().for_each(|i| self.expr(i))
            }
            Expr::Object { fields, .. } => {
                for (_, k, v) in fields {
                    self.expr(k);
                    self.expr(v);
                }
            }
            Expr::UnaryExpr { expr, .. } => self.expr(expr),
            Expr::BinExpr { lhs, rhs, .. }
            | Expr::BoolExpr { lhs, rhs, .. }
            | Expr::ArithExpr { lhs, rhs, .. }
            | Expr::AssignExpr { lhs, rhs, .. } => {
                self.expr(lhs);
                self.expr(rhs);
            }
            Expr::Membership {
                key,
                value,
                collection,
                ..
            } => {
                if let Some(k) = key {
                    self.expr(k);
                }
                self.expr(value);
                self.expr(collection);
            }
        }
    }

    /// Adds edges for a static reference `comps`.
    fn reference(&mut self, comps: &[String]) {
        let Some(root) = comps.first() else { return };
        let full: Vec<String> = if root == "data" {
            comps.to_vec()
        } else if let Some(target) = self.imports.get(root) {
            target
                .split('.')
                .map(String::from)
                .chain(comps[1..].iter().cloned())
                .collect()
        } else if self.local_rules.contains(root) && !self.bound.contains(root) {
            self.package
                .split('.')
                .map(String::from)
                .chain(comps.iter().cloned())
                .collect()
        } else {
            return;
        };
        // The rule the reference reads (a prefix of it), or every rule under
        // it when it names a package or a subtree.
        for i in (1..=full.len()).rev() {
            let p = full[..i].join(".");
            if self.rule_paths.contains(&p) {
                self.out.insert(p);
                return;
            }
        }
        let prefix = format!("{}.", full.join("."));
        for p in self.rule_paths.range(prefix.clone()..) {
            if !p.starts_with(&prefix) {
                break;
            }
            self.out.insert(p.clone());
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
    use crate::bundle::catalog::parse_module;

    fn check_src(files: &[(&str, &str)]) -> Result<()> {
        let parsed: Vec<(String, Module)> = files
            .iter()
            .map(|(f, t)| (f.to_string(), parse_module(f, t, false).unwrap()))
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

    #[test]
    fn a_whole_package_reference_reaches_its_rules() {
        let err = check_src(&[("p.rego", "package p\nall := data.p\nx := 1\n")])
            .unwrap_err()
            .to_string();
        assert!(err.contains("data.p.all -> data.p.all"), "{err}");
    }
}
