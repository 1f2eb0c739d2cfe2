//! The lines regorus's coverage report can mark covered or not covered in
//! a module, read on the syntax tree regorus was given (the same lines as
//! the user's file): the lines of the expressions of rule values, set keys,
//! defaults and bodies, walked the way regorus walks them (comprehension
//! terms, called functions' names and `with` modifiers are not counted).

use std::collections::BTreeSet;

use crate::rego::{Body, Expr, ExprKind, LiteralKind, Module, RefArg};

pub fn coverable_lines(module: &Module) -> BTreeSet<u32> {
    let mut lines = BTreeSet::new();
    for rule in &module.rules {
        let h = &rule.head;
        if let Some((_, v)) = &h.value {
            expr(v, &mut lines);
        }
        if let Some(c) = &h.contains {
            expr(c, &mut lines);
        }
        for b in rule
            .bodies
            .iter()
            .chain(rule.elses.iter().filter_map(|e| e.body.as_ref()))
        {
            body(b, &mut lines);
        }
    }
    lines
}

fn body(b: &Body, lines: &mut BTreeSet<u32>) {
    for lit in &b.literals {
        match &lit.kind {
            LiteralKind::SomeVars(_) => {}
            LiteralKind::SomeIn {
                value, collection, ..
            } => {
                expr(value, lines);
                expr(collection, lines);
            }
            LiteralKind::Expr(e) | LiteralKind::Not(e) => expr(e, lines),
            LiteralKind::Every {
                domain, body: b, ..
            } => {
                expr(domain, lines);
                body(b, lines);
            }
        }
    }
}

fn expr(e: &Expr, lines: &mut BTreeSet<u32>) {
    match &e.kind {
        ExprKind::ArrayCompr { body: b, .. }
        | ExprKind::SetCompr { body: b, .. }
        | ExprKind::ObjectCompr { body: b, .. } => body(b, lines),
        // regorus's tree has no node for parentheses.
        ExprKind::Paren(inner) => expr(inner, lines),
        _ => {
            // Gavel's own statements sit on a user's line: no line of their own.
            if e.span.line > 0 {
                lines.insert(e.span.line);
            }
            match &e.kind {
                ExprKind::Ref { head, path } => {
                    expr(head, lines);
                    for step in path {
                        if let RefArg::Index(ix) = step {
                            expr(ix, lines);
                        }
                    }
                }
                // The called function's name is not walked.
                ExprKind::Call { args, .. } => args.iter().for_each(|a| expr(a, lines)),
                _ => crate::rego::walk::for_each_child(e, &mut |c| expr(c, lines)),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The same lines as regorus's own coverage report of the module it
    /// was given: every line it marks covered or not covered, no other.
    #[test]
    fn the_lines_of_regorus_s_report() {
        let src = "package p\n\nx := 1\n\nallow if {\n  some a in input.as\n  count([b |\n    some b in a.bs\n  ]) > 0\n  not input.off\n}\n\nf(y) := z if {\n  z := y + 1\n} else := 0\n\ns contains m if {\n  m := \"x\"\n}\n\nd := [v | some v in input.vs; v > 1]\n";
        let bundle =
            crate::bundle::Bundle::from_texts([("p.rego".to_string(), src.to_string())]).unwrap();
        let policy =
            crate::engine::LoadedPolicy::load(&bundle, crate::engine::LoadOptions::new(false))
                .unwrap();
        let mut engine = policy.engine().clone();
        engine.set_enable_coverage(true);
        engine.set_input(
            regorus::Value::from_json_str(r#"{"as": [{"bs": [1]}], "vs": [2]}"#).unwrap(),
        );
        for rule in ["x", "allow", "s", "d"] {
            engine.eval_rule(format!("data.p.{rule}")).unwrap();
        }
        engine.eval_query("data.p.f(1)".to_string(), false).unwrap();
        let report = engine.get_coverage_report().unwrap();
        let file = report.files.iter().find(|f| f.path == "p.rego").unwrap();
        let reported: BTreeSet<u32> = file.covered.union(&file.not_covered).copied().collect();
        assert_eq!(policy.coverable_lines()["p.rego"], reported);
    }
}
