//! `x := e` with `e` undefined, read by regorus's bytecode VM as OPA reads
//! it.
//!
//! In OPA (and regorus's interpreter) an assignment whose value is
//! undefined fails its body. regorus 0.14.1's VM compiler binds the
//! undefined value and goes on (its `PlanContext::ColonAssignment` asks for
//! no "defined" guard), so `s := input.missing` followed by `not "x" in s`
//! succeeds, and `t := x if { x := input.missing } else := "none"` never
//! reaches its `else`. Gavel's own `not` rewrite (negation.rs) binds terms
//! with `:=` too. On the samples this was every disagreement between the
//! VM and the interpreter.
//!
//! The program the VM runs is therefore compiled from a copy of each module
//! in which every `:=` statement is followed by `_ = v` for each variable
//! it binds: a wildcard match, which the VM compiles to exactly the missing
//! guard and which is a no-op for any defined value. The copy keeps every
//! line; only the VM sees it.

use std::borrow::Cow;

use regorus::unstable::{AssignOp, Expr, Literal, Module, Query};

use super::ast::{span_end, splice, visit_rule_queries};
use crate::bundle::catalog::parse_module;
use crate::error::Result;

/// `text` with a guard after every `:=` statement (unchanged when it has
/// none).
pub fn guard<'a>(file: &str, text: &'a str, rego_v0: bool) -> Result<Cow<'a, str>> {
    if !text.contains(":=") {
        return Ok(Cow::Borrowed(text));
    }
    let module = parse_module(file, text, rego_v0)?;
    let edits = guards(&module, text);
    if edits.is_empty() {
        return Ok(Cow::Borrowed(text));
    }
    Ok(Cow::Owned(splice(text, edits)))
}

/// Text to insert at a byte offset (start = end: see `ast::splice`).
type Edit = (usize, usize, String);

fn guards(module: &Module, text: &str) -> Vec<Edit> {
    let mut edits = Vec::new();
    for rule in &module.policy {
        visit_rule_queries(rule, text, &mut |q, braced| {
            query(q, braced, text, &mut edits)
        });
    }
    edits
}

/// The guards of one query's statements.
fn query(q: &Query, braced: bool, text: &str, edits: &mut Vec<Edit>) {
    for stmt in &q.stmts {
        let Literal::Expr { expr, .. } = &stmt.literal else {
            continue;
        };
        let Expr::AssignExpr {
            op: AssignOp::ColEq,
            lhs,
            ..
        } = expr.as_ref()
        else {
            continue;
        };
        let mut vars = Vec::new();
        bound_by(lhs, &mut vars);
        if vars.is_empty() {
            continue;
        }
        let checks: String = vars.iter().map(|v| format!("; _ = {v}")).collect();
        let end = span_end(text, &stmt.span);
        if braced {
            edits.push((end, end, checks));
        } else {
            // A one-statement body without braces (`p if x := e`) gets
            // them, so that it can hold two statements.
            let start = usize::try_from(stmt.span.start).unwrap_or(0);
            edits.push((start, start, "{ ".to_string()));
            edits.push((end, end, format!("{checks} }}")));
        }
    }
}

/// The variables an assignment's left side binds: `x`, `[a, b]`,
/// `{"k": v}` (object keys are values to match, not bindings).
fn bound_by<'a>(lhs: &'a Expr, out: &mut Vec<&'a str>) {
    match lhs {
        Expr::Var { span, .. } => {
            let name = span.text();
            if name != "_" && !out.contains(&name) {
                out.push(name);
            }
        }
        Expr::Array { items, .. } => items.iter().for_each(|i| bound_by(i, out)),
        Expr::Object { fields, .. } => fields.iter().for_each(|(_, _, v)| bound_by(v, out)),
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn guarded(src: &str) -> String {
        guard("p.rego", src, false).unwrap().into_owned()
    }

    #[test]
    fn every_assignment_is_followed_by_its_guard_on_the_same_line() {
        let src = "package p\n\nr := x if {\n\tx := input.a\n\t[y, _] := input.b\n\tz = 1\n}\n";
        let out = guarded(src);
        assert_eq!(
            out,
            "package p\n\nr := x if {\n\tx := input.a; _ = x\n\t[y, _] := input.b; _ = y\n\tz = 1\n}\n"
        );
    }

    #[test]
    fn strings_comprehensions_every_with_and_bodies_without_braces() {
        let src = concat!(
            "package p\n",
            "a if x := \"s\"\n",
            "b := {c | some c in input.xs; y := c.k} if true\n",
            "c if {\n every v in input.vs { w := v.n; w > 1 }\n}\n",
            "d if { q := data.f with input as {} }\n",
        );
        let out = guarded(src);
        assert!(out.contains("a if { x := \"s\"; _ = x }\n"), "{out}");
        assert!(out.contains("y := c.k; _ = y}"), "{out}");
        assert!(out.contains("w := v.n; _ = w; w > 1"), "{out}");
        assert!(
            out.contains("q := data.f with input as {}; _ = q }"),
            "{out}"
        );
        assert_eq!(out.lines().count(), src.lines().count());
        // And it still parses.
        parse_module("p.rego", &out, false).unwrap();
    }

    #[test]
    fn a_module_without_assignments_is_left_alone() {
        let src = "package p\nr if input.a == 1\n";
        assert!(matches!(
            guard("p.rego", src, false).unwrap(),
            Cow::Borrowed(_)
        ));
    }
}
