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
//! Gavel rewrites the source the same way, on the same lines, and reports
//! each place: the two readings differ, and authors usually mean the other.

use std::collections::HashSet;

use regorus::unstable::{BoolOp, Expr, Literal, Module, Query, Rule};

use super::ast::span_end;
use super::recursion::bound_vars;

/// One `not` expression whose terms are bound first.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Hoisting {
    /// Byte range of the literal, from `not` to the end of its expression.
    pub start: usize,
    pub end: usize,
    pub line: u32,
    /// Whether the body has braces (a one-line `if not ...` needs them).
    pub braced: bool,
    /// Byte ranges of the terms bound first, in order.
    pub terms: Vec<(usize, usize)>,
    /// The literal's `with` modifiers: each bound term carries them too, as
    /// in OPA.
    pub with: Option<String>,
}

/// Every `not` expression in a module that OPA rewrites.
pub fn find(module: &Module, text: &str) -> Vec<Hoisting> {
    let rule_names = super::ast::rule_names(module);
    let mut out = Vec::new();
    for rule in &module.policy {
        let Rule::Spec { bodies, .. } = rule.as_ref() else {
            continue;
        };
        let bound = bound_vars(rule);
        let ctx = Ctx {
            rule_names: &rule_names,
            bound: &bound,
            text,
        };
        for body in bodies {
            let braced = super::ast::query_is_braced(text, &body.query);
            ctx.query(&body.query, braced, &mut out);
        }
    }
    out
}

struct Ctx<'a> {
    rule_names: &'a HashSet<String>,
    bound: &'a HashSet<String>,
    text: &'a str,
}

fn range(e: &Expr) -> (usize, usize) {
    let s = e.span();
    (
        usize::try_from(s.start).unwrap_or(0),
        usize::try_from(s.end).unwrap_or(0),
    )
}

impl Ctx<'_> {
    fn query(&self, q: &Query, braced: bool, out: &mut Vec<Hoisting>) {
        for stmt in &q.stmts {
            match &stmt.literal {
                Literal::NotExpr { span, expr } => {
                    let mut terms = Vec::new();
                    self.negated(expr, &mut terms);
                    // Only the outermost terms: binding one binds what it holds.
                    terms.sort_by_key(|(s, e)| (*s, std::cmp::Reverse(*e)));
                    let mut kept: Vec<(usize, usize)> = Vec::new();
                    for t in terms {
                        if !kept.iter().any(|k| k.0 <= t.0 && t.1 <= k.1) {
                            kept.push(t);
                        }
                    }
                    if !kept.is_empty() {
                        let end = span_end(self.text, expr.span());
                        out.push(Hoisting {
                            with: super::ast::with_text(self.text, stmt),
                            start: usize::try_from(span.start).unwrap_or(0),
                            end,
                            line: span.line,
                            braced,
                            terms: kept,
                        });
                    }
                }
                Literal::Every { query, .. } => self.query(query, true, out),
                _ => {}
            }
            // Comprehension bodies are queries too.
            let mut nested = Vec::new();
            match &stmt.literal {
                Literal::Expr { expr, .. } | Literal::NotExpr { expr, .. } => {
                    collect_queries(expr, &mut nested)
                }
                Literal::SomeIn { collection, .. } => collect_queries(collection, &mut nested),
                _ => {}
            }
            for q in nested {
                self.query(q, true, out);
            }
        }
    }

    /// The terms of a negated expression that OPA binds first.
    fn negated(&self, e: &Expr, terms: &mut Vec<(usize, usize)>) {
        match e {
            Expr::BoolExpr {
                op: BoolOp::Eq,
                lhs,
                rhs,
                ..
            }
            | Expr::AssignExpr { lhs, rhs, .. } => {
                for side in [lhs, rhs] {
                    self.equality_operand(side, terms);
                }
            }
            Expr::BoolExpr { lhs, rhs, .. }
            | Expr::ArithExpr { lhs, rhs, .. }
            | Expr::BinExpr { lhs, rhs, .. } => {
                self.argument(lhs, terms);
                self.argument(rhs, terms);
            }
            Expr::Call { params, .. } => params.iter().for_each(|p| self.argument(p, terms)),
            Expr::Membership {
                key,
                value,
                collection,
                ..
            } => {
                if let Some(k) = key {
                    self.argument(k, terms);
                }
                self.argument(value, terms);
                self.argument(collection, terms);
            }
            Expr::RefDot { .. } | Expr::RefBrack { .. } => self.dynamic_indexes(e, terms),
            Expr::UnaryExpr { expr, .. } => self.argument(expr, terms),
            _ => {}
        }
    }

    /// An argument of a call: a reference or a call is bound first;
    /// collections are looked into.
    fn argument(&self, e: &Expr, terms: &mut Vec<(usize, usize)>) {
        match e {
            Expr::RefDot { .. } | Expr::RefBrack { .. } | Expr::Call { .. } => terms.push(range(e)),
            Expr::Var { span, .. } if self.is_rule_ref(span.text()) => terms.push(range(e)),
            Expr::Array { items, .. } | Expr::Set { items, .. } => {
                items.iter().for_each(|i| self.argument(i, terms))
            }
            Expr::Object { fields, .. } => {
                for (_, k, v) in fields {
                    self.argument(k, terms);
                    self.argument(v, terms);
                }
            }
            Expr::BoolExpr { .. }
            | Expr::ArithExpr { .. }
            | Expr::BinExpr { .. }
            | Expr::Membership { .. } => {
                // An operator inside an argument is a nested call.
                terms.push(range(e));
            }
            _ => {}
        }
    }

    /// An operand of `==`: calls are bound first, and a reference's
    /// dynamic indexes, but not the reference itself.
    fn equality_operand(&self, e: &Expr, terms: &mut Vec<(usize, usize)>) {
        match e {
            Expr::Call { .. } => terms.push(range(e)),
            Expr::RefDot { .. } | Expr::RefBrack { .. } => self.dynamic_indexes(e, terms),
            Expr::Array { items, .. } | Expr::Set { items, .. } => {
                items.iter().for_each(|i| self.argument(i, terms))
            }
            Expr::Object { fields, .. } => {
                for (_, k, v) in fields {
                    self.argument(k, terms);
                    self.argument(v, terms);
                }
            }
            Expr::BoolExpr { .. } | Expr::ArithExpr { .. } | Expr::BinExpr { .. } => {
                terms.push(range(e))
            }
            _ => {}
        }
    }

    /// `obj[input.k]`: the index terms of a reference that are themselves
    /// references or calls.
    fn dynamic_indexes(&self, e: &Expr, terms: &mut Vec<(usize, usize)>) {
        match e {
            Expr::RefDot { refr, .. } => self.dynamic_indexes(refr, terms),
            Expr::RefBrack { refr, index, .. } => {
                self.dynamic_indexes(refr, terms);
                self.argument(index, terms);
            }
            _ => {}
        }
    }

    /// A bare name that refers to a rule of the package (not a local).
    fn is_rule_ref(&self, name: &str) -> bool {
        !self.bound.contains(name) && self.rule_names.contains(name)
    }
}

/// The comprehension queries inside an expression (not those nested
/// deeper in them: `query` walks those).
fn collect_queries<'a>(e: &'a Expr, out: &mut Vec<&'a Query>) {
    match e {
        Expr::ArrayCompr { query, .. }
        | Expr::SetCompr { query, .. }
        | Expr::ObjectCompr { query, .. } => {
            out.push(query);
        }
        other => {
            for child in super::ast::children(other, true) {
                collect_queries(child, out);
            }
        }
    }
}

/// Applies the hoistings to `text`, keeping every line: a bound term's
/// newlines move into the name that replaces it.
pub fn rewrite(text: &str, hoistings: &[Hoisting]) -> Option<String> {
    if hoistings.is_empty() {
        return None;
    }
    let mut out = String::with_capacity(text.len() + hoistings.len() * 48);
    let mut pos = 0;
    let mut n = 0usize;
    for h in hoistings {
        if h.start < pos || h.end > text.len() {
            continue;
        }
        out.push_str(&text[pos..h.start]);
        let mut prefix = String::new();
        let mut body = String::new();
        let mut at = h.start;
        for &(s, e) in &h.terms {
            if s < at || e > h.end {
                continue;
            }
            let term = &text[s..e];
            let name = format!("__gavel_not{n}__");
            n += 1;
            match &h.with {
                Some(w) => prefix.push_str(&format!("{name} := {} {w}; ", term.replace('\n', " "))),
                None => prefix.push_str(&format!("{name} := {}; ", term.replace('\n', " "))),
            }
            body.push_str(&text[at..s]);
            body.push_str(&name);
            body.push_str(&"\n".repeat(term.matches('\n').count()));
            at = e;
        }
        body.push_str(&text[at..h.end]);
        if h.braced {
            out.push_str(&prefix);
            out.push_str(&body);
        } else {
            out.push_str("{ ");
            out.push_str(&prefix);
            out.push_str(&body);
            out.push_str(" }");
        }
        pos = h.end;
    }
    out.push_str(&text[pos..]);
    Some(out)
}

/// The warning Gavel shows for a place whose bound-first term reads the
/// input (`not f(input.user)`): the common way to get the reading an author
/// did not mean. Terms that are rules or calls are left quiet: they are
/// usually always defined.
pub fn warning(file: &str, text: &str, h: &Hoisting) -> Option<String> {
    let literal = text
        .get(h.start..h.end)
        .unwrap_or("")
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ");
    let first = h
        .terms
        .iter()
        .filter_map(|(s, e)| text.get(*s..*e))
        .map(|t| t.split_whitespace().collect::<Vec<_>>().join(""))
        .find(|t| t.starts_with("input.") || t.starts_with("input["))?;
    Some(format!(
        "{file}:{}: `{literal}` is undefined when `{first}` is undefined (OPA binds it before the `not`); \
         write `not {first}` separately if a missing value must make the rule true",
        h.line
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::bundle::catalog::parse_module;

    fn hoisted(src: &str) -> String {
        let m = parse_module("t.rego", src, false).unwrap();
        let h = find(&m, src);
        let out = rewrite(src, &h).unwrap_or_else(|| src.to_string());
        assert_eq!(out.lines().count(), src.lines().count(), "{out}");
        out
    }

    #[test]
    fn call_arguments_that_are_references_are_bound_first() {
        let out = hoisted(
            "package t\n\ndeny if {\n  not is_admin(input.user)\n}\n\nis_admin(u) if u == \"root\"\n",
        );
        assert!(
            out.contains("  __gavel_not0__ := input.user; not is_admin(__gavel_not0__)\n"),
            "{out}"
        );
    }

    #[test]
    fn one_line_bodies_get_braces() {
        let out = hoisted("package t\n\np if not input.status in {\"granted\"}\n");
        assert!(
            out.contains(
                "p if { __gavel_not0__ := input.status; not __gavel_not0__ in {\"granted\"} }"
            ),
            "{out}"
        );
    }

    #[test]
    fn equality_and_bare_references_are_left_alone() {
        let src = "package t\n\na if not input.x == 1\nb if not input.x\nc if { x := 1; not f(x) }\nf(x) := x\n";
        assert_eq!(hoisted(src), src);
    }

    #[test]
    fn nested_calls_comparisons_and_indexes() {
        let out = hoisted(
            "package t\n\na if not count(input.xs) > 0\nb if not obj[input.k]\nobj := {}\nc if not input.s != \"x\"\n",
        );
        assert!(
            out.contains("a if { __gavel_not0__ := count(input.xs); not __gavel_not0__ > 0 }"),
            "{out}"
        );
        assert!(
            out.contains("b if { __gavel_not1__ := input.k; not obj[__gavel_not1__] }"),
            "{out}"
        );
        assert!(
            out.contains("c if { __gavel_not2__ := input.s; not __gavel_not2__ != \"x\" }"),
            "{out}"
        );
    }

    #[test]
    fn with_modifiers_go_with_the_bound_terms() {
        let out = hoisted(
            "package t\n\nt if {\n  not f(input.x) with input as {\"y\": 1}\n}\nf(x) := x\n",
        );
        assert!(
            out.contains("__gavel_not0__ := input.x with input as {\"y\": 1}; not f(__gavel_not0__) with input as {\"y\": 1}"),
            "{out}"
        );
    }

    #[test]
    fn warnings_name_the_place() {
        let src = "package t\n\ndeny if {\n  not is_admin(input.user)\n}\nis_admin(u) if u == 1\n";
        let m = parse_module("t.rego", src, false).unwrap();
        let h = find(&m, src);
        let w = warning("t.rego", src, &h[0]).unwrap();
        assert!(
            w.starts_with(
                "t.rego:4: `not is_admin(input.user)` is undefined when `input.user` is undefined"
            ),
            "{w}"
        );
    }
}
