//! Walks over regorus's parsed modules (`regorus::unstable`, pinned): the
//! lines coverage can mark, and every expression of a rule.

use std::collections::BTreeSet;

use regorus::unstable::{Expr, Literal, Module, Query, Rule, RuleHead};

/// A module's package, dotted, without `data.`: `gfr.procurement`.
pub fn package_name(module: &Module) -> String {
    module
        .package
        .refr
        .span()
        .text()
        .chars()
        .filter(|c| !c.is_whitespace())
        .collect()
}

/// The lines regorus's coverage report can mark covered or not covered in a
/// module: the lines of the expressions of rule values, set keys, defaults
/// and bodies, walked the way regorus walks them (comprehension terms and
/// `with` modifiers are not counted).
pub fn coverable_lines(module: &Module) -> BTreeSet<u32> {
    let mut lines = BTreeSet::new();
    for rule in &module.policy {
        match rule.as_ref() {
            Rule::Spec { head, bodies, .. } => {
                match head {
                    RuleHead::Compr { assign, .. } | RuleHead::Func { assign, .. } => {
                        if let Some(a) = assign {
                            coverage_expr(&a.value, &mut lines);
                        }
                    }
                    RuleHead::Set { key, .. } => {
                        if let Some(k) = key {
                            coverage_expr(k, &mut lines);
                        }
                    }
                }
                for b in bodies {
                    coverage_query(&b.query, &mut lines);
                }
            }
            Rule::Default { value, .. } => coverage_expr(value, &mut lines),
        }
    }
    lines
}

fn coverage_query(query: &Query, lines: &mut BTreeSet<u32>) {
    for stmt in &query.stmts {
        match &stmt.literal {
            Literal::SomeVars { .. } => {}
            Literal::SomeIn {
                value, collection, ..
            } => {
                coverage_expr(value, lines);
                coverage_expr(collection, lines);
            }
            Literal::Expr { expr, .. } | Literal::NotExpr { expr, .. } => {
                coverage_expr(expr, lines)
            }
            Literal::Every { domain, query, .. } => {
                coverage_expr(domain, lines);
                coverage_query(query, lines);
            }
        }
    }
}

fn coverage_expr(expr: &Expr, lines: &mut BTreeSet<u32>) {
    match expr {
        Expr::ArrayCompr { query, .. }
        | Expr::SetCompr { query, .. }
        | Expr::ObjectCompr { query, .. } => {
            coverage_query(query, lines);
        }
        other => {
            lines.insert(other.span().line);
            for child in children(other, false) {
                coverage_expr(child, lines);
            }
        }
    }
}

/// The direct sub-expressions of an expression. With `all`, also the parts
/// coverage does not walk: a call's function and comprehension terms.
pub(crate) fn children(expr: &Expr, all: bool) -> Vec<&Expr> {
    match expr {
        Expr::String { .. }
        | Expr::RawString { .. }
        | Expr::Number { .. }
        | Expr::Bool { .. }
        | Expr::Null { .. }
        | Expr::Var { .. } => vec![],
        Expr::Array { items, .. } | Expr::Set { items, .. } => {
            items.iter().map(|i| i.as_ref()).collect()
        }
        Expr::Object { fields, .. } => fields
            .iter()
            .flat_map(|(_, k, v)| [k.as_ref(), v.as_ref()])
            .collect(),
        Expr::ArrayCompr { term, .. } | Expr::SetCompr { term, .. } => {
            if all {
                vec![term.as_ref()]
            } else {
                vec![]
            }
        }
        Expr::ObjectCompr { key, value, .. } => {
            if all {
                vec![key.as_ref(), value.as_ref()]
            } else {
                vec![]
            }
        }
        Expr::Call { fcn, params, .. } => {
            let mut v: Vec<&Expr> = Vec::new();
            if all {
                v.push(fcn.as_ref());
            }
            v.extend(params.iter().map(|p| p.as_ref()));
            v
        }
        Expr::UnaryExpr { expr, .. } => vec![expr.as_ref()],
        Expr::RefDot { refr, .. } => vec![refr.as_ref()],
        Expr::RefBrack { refr, index, .. } => vec![refr.as_ref(), index.as_ref()],
        Expr::BinExpr { lhs, rhs, .. }
        | Expr::BoolExpr { lhs, rhs, .. }
        | Expr::ArithExpr { lhs, rhs, .. }
        | Expr::AssignExpr { lhs, rhs, .. } => vec![lhs.as_ref(), rhs.as_ref()],
        Expr::Membership {
            key,
            value,
            collection,
            ..
        } => {
            let mut v: Vec<&Expr> = key.iter().map(|k| k.as_ref()).collect();
            v.push(value.as_ref());
            v.push(collection.as_ref());
            v
        }
    }
}

/// Calls `visit` on every expression of a rule: head, bodies, comprehension
/// queries, `with` targets and values, `every` and `some ... in` parts.
pub fn visit_rule_exprs(rule: &Rule, visit: &mut dyn FnMut(&Expr)) {
    match rule {
        Rule::Spec { head, bodies, .. } => {
            match head {
                RuleHead::Compr { refr, assign, .. } => {
                    visit_expr(refr, visit);
                    if let Some(a) = assign {
                        visit_expr(&a.value, visit);
                    }
                }
                RuleHead::Set { refr, key, .. } => {
                    visit_expr(refr, visit);
                    if let Some(k) = key {
                        visit_expr(k, visit);
                    }
                }
                RuleHead::Func { args, assign, .. } => {
                    for a in args {
                        visit_expr(a, visit);
                    }
                    if let Some(a) = assign {
                        visit_expr(&a.value, visit);
                    }
                }
            }
            for b in bodies {
                if let Some(a) = &b.assign {
                    visit_expr(&a.value, visit);
                }
                visit_query(&b.query, visit);
            }
        }
        Rule::Default { args, value, .. } => {
            for a in args {
                visit_expr(a, visit);
            }
            visit_expr(value, visit);
        }
    }
}

fn visit_query(query: &Query, visit: &mut dyn FnMut(&Expr)) {
    for stmt in &query.stmts {
        match &stmt.literal {
            Literal::SomeVars { .. } => {}
            Literal::SomeIn {
                key,
                value,
                collection,
                ..
            } => {
                if let Some(k) = key {
                    visit_expr(k, visit);
                }
                visit_expr(value, visit);
                visit_expr(collection, visit);
            }
            Literal::Expr { expr, .. } | Literal::NotExpr { expr, .. } => visit_expr(expr, visit),
            Literal::Every { domain, query, .. } => {
                visit_expr(domain, visit);
                visit_query(query, visit);
            }
        }
        for w in &stmt.with_mods {
            visit_expr(&w.refr, visit);
            visit_expr(&w.r#as, visit);
        }
    }
}

/// Pre-order walk over an expression and everything inside it.
pub fn visit_expr(expr: &Expr, visit: &mut dyn FnMut(&Expr)) {
    visit(expr);
    match expr {
        Expr::ArrayCompr { query, .. }
        | Expr::SetCompr { query, .. }
        | Expr::ObjectCompr { query, .. } => {
            visit_query(query, visit);
        }
        _ => {}
    }
    for child in children(expr, true) {
        visit_expr(child, visit);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::bundle::catalog::parse_module;

    #[test]
    fn coverable_lines_match_regorus() {
        let src = "package p\n\nover if input.amount > 10\n\ndeny contains msg if {\n  input.amount > 5\n  msg := \"mid\"\n}\n\nlimit := 10\n\nf(x) := y if {\n  y := x * 2\n}\n\nxs := [y | some y in input.ys]\n";
        let m = parse_module("p.rego", src, false).unwrap();
        let lines: Vec<u32> = coverable_lines(&m).into_iter().collect();
        // Compare with what regorus itself reports for a run that covers nothing.
        let mut e = regorus::Engine::new();
        e.add_policy("p.rego".into(), src.into()).unwrap();
        e.set_enable_coverage(true);
        e.set_input(regorus::Value::from_json_str(r#"{"amount": 1, "ys": []}"#).unwrap());
        e.eval_query("data.p".into(), false).unwrap();
        let r = e.get_coverage_report().unwrap();
        let theirs: BTreeSet<u32> = r.files[0]
            .covered
            .union(&r.files[0].not_covered)
            .copied()
            .collect();
        assert_eq!(lines, theirs.into_iter().collect::<Vec<_>>());
    }
}
