//! How deeply a Rego expression may nest, checked on Gavel's syntax tree
//! before regorus sees the module. regorus 0.14.1's analysis and
//! interpreter recurse through every operator, call, bracket and
//! reference step of an expression, and evaluation runs on worker threads
//! with 2 MiB stacks: on such a thread in a debug build a chain of 600 `+`
//! overflowed, 250 unary minuses or nested calls, 150 nested arrays. An
//! overflow aborts the whole process, so Gavel refuses deeper expressions
//! with their place instead.
//!
//! The measure is the depth of the expression tree, each node weighted by
//! the stack it costs: an operator or a `.name` step 1, a unary minus,
//! parentheses or a call 3, an array, set, object, comprehension or
//! `[index]` step 4. A path may weigh at most [`MAX_EXPRESSION_DEPTH`], half
//! or less of what overflows: about 50 nested literals, far past what
//! people write (generated JSON documents reach 30-odd). Gavel's own parser
//! bounds what it reads before this ([`crate::rego::parser::MAX_NESTING`]).
//!
//! (regorus's parse time, which doubles with each literal nested as a first
//! element, is the emitter's concern: see `rego::emit`.)
//!
//! `engine::tests` runs the deepest modules this limit accepts on a 2 MiB
//! stack.

use crate::error::{Error, Result};
use crate::rego::walk::{for_each_child, for_each_rule_expr};
use crate::rego::{Expr, ExprKind, Module, RefArg, Span};

/// Operators, calls, brackets and reference steps along one path of an
/// expression, weighted (see the module's notes).
pub const MAX_EXPRESSION_DEPTH: usize = 200;

/// Refuses a module with an expression deeper than the limit, naming
/// `file:line:col` of the node where the limit is first passed.
pub fn check(file: &str, module: &Module) -> Result<()> {
    let mut refusal = None;
    for rule in &module.rules {
        // A rule's value is assigned: that weighs one, as `x := v` does.
        for_each_rule_expr(rule, &mut |e| {
            if refusal.is_none() {
                refusal = over_limit(e, 1);
            }
        });
        if let Some((span, depth)) = refusal {
            return Err(Error::input(
                format!("{file}:{}:{}", span.line, span.col),
                format!(
                    "expression nested too deeply (depth {depth}; Gavel refuses more than \
                     {MAX_EXPRESSION_DEPTH}, where regorus could overflow its stack): \
                     split it into smaller rules"
                ),
            ));
        }
    }
    Ok(())
}

/// The deepest expression of a module, weighted.
pub fn measure(module: &Module) -> usize {
    let mut best = 0;
    for rule in &module.rules {
        for_each_rule_expr(rule, &mut |e| best = best.max(1 + depth(e)));
    }
    best
}

fn weight(e: &Expr) -> usize {
    match &e.kind {
        ExprKind::Binary { .. } | ExprKind::Membership { .. } | ExprKind::Assign { .. } => 1,
        ExprKind::Neg(_) | ExprKind::Paren(_) | ExprKind::Call { .. } => 3,
        ExprKind::Array(_)
        | ExprKind::Set(_)
        | ExprKind::Object(_)
        | ExprKind::ArrayCompr { .. }
        | ExprKind::SetCompr { .. }
        | ExprKind::ObjectCompr { .. } => 4,
        ExprKind::Ref { path, .. } => path
            .iter()
            .map(|s| match s {
                RefArg::Dot { .. } => 1,
                RefArg::Index(_) => 4,
            })
            .sum(),
        _ => 0,
    }
}

fn depth(e: &Expr) -> usize {
    let mut below = 0;
    for_each_child(e, &mut |c| below = below.max(depth(c)));
    weight(e) + below
}

/// The first node (top down) where the path from the top passes the limit.
fn over_limit(e: &Expr, above: usize) -> Option<(Span, usize)> {
    let here = above + weight(e);
    if here > MAX_EXPRESSION_DEPTH {
        return Some((e.span, here));
    }
    let mut found = None;
    for_each_child(e, &mut |c| {
        if found.is_none() {
            found = over_limit(c, here);
        }
    });
    found
}

#[cfg(test)]
mod tests {
    use super::*;

    fn module(src: &str) -> Module {
        crate::rego::parse("p.rego", src, false).unwrap()
    }

    fn nested(open: &str, close: &str, depth: usize) -> String {
        format!(
            "package p\n\nx := {}1{}\n",
            open.repeat(depth),
            close.repeat(depth)
        )
    }

    #[test]
    fn ordinary_modules_pass() {
        let src = "package p\n\nimport rego.v1\n\n# a comment with [[[[ and ((((\n\
                   allow if {\n  some x in input.items\n  x.kind == \"a[{(\"\n  count([y | some y in x.tags; y != `raw ]]`]) > 0\n}\n";
        check("p.rego", &module(src)).unwrap();
        assert!(measure(&module(src)) <= 16, "{}", measure(&module(src)));
    }

    #[test]
    fn literals_nested_as_people_write_them_pass() {
        for open in ["[", "{\"a\": ", "{", "[1, "] {
            let close = if open.starts_with('[') { "]" } else { "}" };
            check("p.rego", &module(&nested(open, close, 40))).unwrap();
        }
    }

    #[test]
    fn deeper_nesting_is_refused_where_it_passes_the_limit() {
        let src = format!(
            "package p\n\nx := {}1{}\n",
            "[1,\n".repeat(60),
            "]".repeat(60)
        );
        let err = check("p.rego", &module(&src)).unwrap_err().to_string();
        // 1 for `x :=`, then 4 a level: the 50th bracket passes 200.
        assert!(err.starts_with("p.rego:52:"), "{err}");
        assert!(err.contains("expression nested too deeply"), "{err}");
    }

    #[test]
    fn long_operator_chains_are_refused() {
        let ok = format!("package p\n\nx := {}1\n", "1 + ".repeat(150));
        check("p.rego", &module(&ok)).unwrap();
        for src in [
            format!("package p\n\nx := {}1\n", "1 + ".repeat(300)),
            format!("package p\n\nx := {}1\n", "1 +\n".repeat(300)),
            format!("package p\n\nx := 1\n{}", "+ 1\n".repeat(300)),
            format!("package p\n\nx := input{}\n", ".a".repeat(300)),
        ] {
            let err = check("p.rego", &module(&src)).unwrap_err().to_string();
            assert!(err.contains("expression nested too deeply"), "{err}");
        }
        // Statements on their own lines do not add up.
        let body: String = (0..400)
            .map(|i| format!("  input.a{i} + 1 > 2\n"))
            .collect();
        check(
            "p.rego",
            &module(&format!("package p\n\nallow if {{\n{body}}}\n")),
        )
        .unwrap();
    }

    /// The limit leaves room: every sample regime and conformance fixture
    /// stays well inside it.
    #[test]
    fn the_repository_s_policies_are_far_from_the_limit() {
        let mut deepest = 0;
        for root in ["sample-policies"] {
            for entry in walkdir::WalkDir::new(root) {
                let entry = entry.unwrap();
                if entry.path().extension().and_then(|e| e.to_str()) != Some("rego") {
                    continue;
                }
                let text = std::fs::read_to_string(entry.path()).unwrap();
                let v0 = entry.path().to_string_lossy().contains("/v0/");
                let m = crate::rego::parse("p.rego", &text, v0).unwrap();
                deepest = deepest.max(measure(&m));
            }
        }
        assert!(deepest < MAX_EXPRESSION_DEPTH / 4, "{deepest}");
    }
}
