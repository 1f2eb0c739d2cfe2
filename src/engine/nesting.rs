//! How deeply a Rego module may nest, checked on its text before regorus
//! (or any of Gavel's own walkers) sees it. regorus 0.14.1 has three
//! hazards here, each measured on this machine:
//!
//! - Time. Its parser tries the first element of an array, set or object
//!   as the head of a comprehension, gives up, and parses it again: each
//!   literal nested as a first element doubles the parse time
//!   (`[[[...1...]]]`: depth 12 takes 0.9 s in a debug build, 14 takes
//!   3.7 s, 16 takes 17 s, 20 does not finish in a minute).
//! - Stack. Its parser recurses without a limit through array items, call
//!   arguments and unary minus, and its analysis and interpreter recurse
//!   through every operator of an expression: 2,000 nested arrays or
//!   calls, 1,000 unary minuses or a chain of 2,000 `+` abort the whole
//!   process with a stack overflow. Evaluation runs on worker threads
//!   (2 MiB stacks) too.
//! - Its own guard, `expression nesting too deep (>32)`, covers only
//!   parentheses.
//!
//! So three measures, on tokens outside strings and comments:
//! - brackets (`(`, `[`, `{`) open at once: at most [`MAX_BRACKETS`], the
//!   depth regorus itself allows for parentheses;
//! - literals nested in first-element position (the doubling above): at
//!   most [`MAX_FIRST_ELEMENTS`]; a rule body counts as one, so this
//!   over-counts and never under-counts;
//! - expression depth: along the open brackets, the operators, dots and
//!   opening brackets of each one's current expression, summed (an upper
//!   bound on the depth of the expression tree), each weighted by the
//!   stack it costs: on a 2 MiB thread in a debug build a chain of 600
//!   `+` overflows, 250 unary minuses or nested calls, 150 nested arrays;
//!   so an operator weighs 1, a unary minus or `(` 3, a `[` or `{` 4, and
//!   the sum may be at most [`MAX_EXPRESSION_DEPTH`] (half or less of what
//!   overflows).
//!
//! The sample regimes and conformance fixtures reach 8, 5 and 32 (`measure`).
//! `engine::tests` runs the deepest modules these limits accept on a 2 MiB
//! stack.

use crate::error::{Error, Result};

/// Brackets open at once.
pub const MAX_BRACKETS: usize = 32;
/// Array, set and object literals nested as first elements.
pub const MAX_FIRST_ELEMENTS: usize = 10;
/// Operators, dots and brackets along one path of an expression.
pub const MAX_EXPRESSION_DEPTH: usize = 200;

/// What the scan measured (the largest value of each measure).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Depths {
    pub brackets: usize,
    pub first_elements: usize,
    pub expression: usize,
}

/// One open bracket (or the top level).
struct Level {
    open: u8,
    /// Still inside the first element (no `,` or `|` met at this level).
    first: bool,
    /// Operators of the expression being read at this level.
    ops: usize,
}

/// Refuses a module that nests beyond the limits, naming `file:line:col`
/// of the token where a limit is first exceeded.
pub fn check(file: &str, text: &str) -> Result<()> {
    scan(text, true)
        .map(|_| ())
        .map_err(|(line, col, message)| Error::input(format!("{file}:{line}:{col}"), message))
}

/// The measures of a module (for tests and for choosing the limits).
pub fn measure(text: &str) -> Depths {
    scan(text, false).unwrap_or_default()
}

type Refusal = (usize, usize, String);

fn scan(text: &str, enforce: bool) -> std::result::Result<Depths, Refusal> {
    let b = text.as_bytes();
    let mut stack: Vec<Level> = vec![Level {
        open: 0,
        first: false,
        ops: 0,
    }];
    let mut seen = Depths::default();
    // Running measures: literals still in first position, and the sum of
    // every level's operators.
    let (mut firsts, mut ops) = (0usize, 0usize);
    let (mut line, mut line_start) = (1usize, 0usize);
    // A newline ends the expression being read, unless an operator ends
    // the line or starts the next one (then the expression goes on).
    let mut pending_break = false;
    let mut last_was_operator = false;
    // Whether the last token ended an operand (a `-` after one is binary).
    let mut after_operand = false;
    let mut i = 0;
    while i < b.len() {
        let c = b[i];
        let col = i - line_start + 1;
        // Skip what carries no structure: blanks, comments, strings.
        match c {
            b'\n' => {
                if !last_was_operator {
                    pending_break = true;
                }
                line += 1;
                line_start = i + 1;
                i += 1;
                continue;
            }
            b' ' | b'\t' | b'\r' => {
                i += 1;
                continue;
            }
            b'#' => {
                while i < b.len() && b[i] != b'\n' {
                    i += 1;
                }
                continue;
            }
            _ => {}
        }
        let (len, operator) = token(b, i);
        if pending_break {
            pending_break = false;
            if !operator {
                let top = stack.last_mut().expect("the top level stays");
                ops -= top.ops;
                top.ops = 0;
            }
        }
        last_was_operator = operator;
        let unary_minus = c == b'-' && !after_operand;
        after_operand = matches!(c, b')' | b']' | b'}' | b'"' | b'`' | b'0'..=b'9')
            || c == b'_'
            || (c.is_ascii_alphabetic() && !operator);
        match c {
            b'(' | b'[' | b'{' => {
                // The bracket is one more step of the expression it is in,
                // and a costly one (see the module's notes).
                let literal = c != b'(';
                let weight = if literal { 4 } else { 3 };
                let top = stack.last_mut().expect("the top level stays");
                top.ops += weight;
                ops += weight;
                stack.push(Level {
                    open: c,
                    first: literal,
                    ops: 0,
                });
                if literal {
                    firsts += 1;
                }
                let brackets = stack.len() - 1;
                seen.brackets = seen.brackets.max(brackets);
                seen.first_elements = seen.first_elements.max(firsts);
                if enforce && brackets > MAX_BRACKETS {
                    return Err((
                        line,
                        col,
                        format!(
                            "brackets nested {brackets} deep: Gavel refuses more than {MAX_BRACKETS} \
                             (regorus's parser would take too long or overflow its stack)"
                        ),
                    ));
                }
                if enforce && firsts > MAX_FIRST_ELEMENTS {
                    return Err((
                        line,
                        col,
                        format!(
                            "literals nested {firsts} deep as first elements: Gavel refuses more than \
                             {MAX_FIRST_ELEMENTS} (regorus's parse time doubles with each level)"
                        ),
                    ));
                }
            }
            b')' | b']' | b'}' if stack.len() > 1 => {
                let level = stack.pop().expect("checked");
                ops -= level.ops;
                if level.first && level.open != b'(' {
                    firsts -= 1;
                }
            }
            // An unbalanced closing bracket: left to the parser.
            b')' | b']' | b'}' => {}
            b',' | b';' | b'|' | b':' if !(c == b':' && b.get(i + 1) == Some(&b'=')) => {
                let top = stack.last_mut().expect("the top level stays");
                if c == b'|' {
                    // Set union is an operator; in a comprehension it ends
                    // the head.
                    top.ops += 1;
                    ops += 1;
                } else {
                    ops -= top.ops;
                    top.ops = 0;
                }
                if top.first && matches!(c, b',' | b'|' | b';') {
                    top.first = false;
                    firsts -= 1;
                }
            }
            _ if operator => {
                let weight = if unary_minus { 3 } else { 1 };
                let top = stack.last_mut().expect("the top level stays");
                top.ops += weight;
                ops += weight;
            }
            _ => {}
        }
        seen.expression = seen.expression.max(ops);
        if enforce && ops > MAX_EXPRESSION_DEPTH {
            return Err((
                line,
                col,
                format!(
                    "expression nested too deeply (depth {ops}; Gavel refuses more than \
                     {MAX_EXPRESSION_DEPTH}, where regorus could overflow its stack): \
                     split it into smaller rules"
                ),
            ));
        }
        // A raw string may span lines.
        let end = (i + len.max(1)).min(b.len());
        for (j, &byte) in b.iter().enumerate().take(end).skip(i + 1) {
            if byte == b'\n' {
                line += 1;
                line_start = j + 1;
            }
        }
        i = end;
    }
    Ok(seen)
}

/// The length of the token at `i` and whether it is an operator (a step
/// of an expression tree: arithmetic, comparison, assignment, `.`, `in`,
/// unary minus).
fn token(b: &[u8], i: usize) -> (usize, bool) {
    let c = b[i];
    let next = b.get(i + 1).copied();
    match c {
        b'"' => {
            let mut j = i + 1;
            while j < b.len() && b[j] != b'"' && b[j] != b'\n' {
                j += if b[j] == b'\\' { 2 } else { 1 };
            }
            ((j + 1).min(b.len()) - i, false)
        }
        b'`' => {
            let mut j = i + 1;
            while j < b.len() && b[j] != b'`' {
                j += 1;
            }
            ((j + 1).min(b.len()) - i, false)
        }
        b':' | b'=' | b'!' | b'<' | b'>' if next == Some(b'=') => (2, true),
        b'+' | b'-' | b'*' | b'/' | b'%' | b'&' | b'=' | b'<' | b'>' | b'.' => (1, true),
        b'0'..=b'9' => {
            let mut j = i + 1;
            while j < b.len() && (b[j].is_ascii_alphanumeric() || matches!(b[j], b'.' | b'_')) {
                j += 1;
            }
            (j - i, false)
        }
        _ if c == b'_' || c.is_ascii_alphabetic() => {
            let mut j = i + 1;
            while j < b.len() && (b[j] == b'_' || b[j].is_ascii_alphanumeric()) {
                j += 1;
            }
            (j - i, &b[i..j] == b"in")
        }
        // Anything else (other bytes of UTF-8 text, `|`, brackets, `,`):
        // one byte, or a whole UTF-8 character.
        _ => {
            let mut j = i + 1;
            while j < b.len() && (b[j] & 0xC0) == 0x80 {
                j += 1;
            }
            (j - i, false)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
        check("p.rego", src).unwrap();
        let d = measure(src);
        assert!(d.brackets <= 3, "{d:?}");
    }

    #[test]
    fn first_element_literals_are_refused_past_the_limit() {
        check("p.rego", &nested("[", "]", MAX_FIRST_ELEMENTS)).unwrap();
        let err = check("p.rego", &nested("[", "]", MAX_FIRST_ELEMENTS + 1))
            .unwrap_err()
            .to_string();
        assert!(err.starts_with("p.rego:3:"), "{err}");
        assert!(err.contains("first elements"), "{err}");
        // Objects' first values and sets count too.
        assert!(check("p.rego", &nested("{\"a\": ", "}", 40)).is_err());
        assert!(check("p.rego", &nested("{", "}", 40)).is_err());
        // Later elements do not double the parse time.
        check("p.rego", &nested("[1, ", "]", 30)).unwrap();
    }

    #[test]
    fn brackets_are_refused_past_the_limit() {
        check("p.rego", &nested("[1, ", "]", MAX_BRACKETS)).unwrap();
        let err = check("p.rego", &nested("abs(", ")", MAX_BRACKETS + 1))
            .unwrap_err()
            .to_string();
        assert!(err.contains("brackets nested 33 deep"), "{err}");
        // Across lines too: the error names the line of the bracket.
        let src = format!(
            "package p\n\nx := {}1{}\n",
            "[1,\n".repeat(40),
            "]".repeat(40)
        );
        let err = check("p.rego", &src).unwrap_err().to_string();
        assert!(err.starts_with("p.rego:35:"), "{err}");
    }

    #[test]
    fn long_operator_chains_are_refused() {
        let ok = format!("package p\n\nx := {}1\n", "1 + ".repeat(150));
        check("p.rego", &ok).unwrap();
        for src in [
            format!("package p\n\nx := {}1\n", "1 + ".repeat(300)),
            format!("package p\n\nx := {}1\n", "1 +\n".repeat(300)),
            format!("package p\n\nx := 1\n{}", "+ 1\n".repeat(300)),
            format!("package p\n\nx := {}1\n", "-".repeat(1000)),
            format!("package p\n\nx := input{}\n", ".a".repeat(300)),
        ] {
            let err = check("p.rego", &src).unwrap_err().to_string();
            assert!(err.contains("expression nested too deeply"), "{err}");
        }
        // Statements on their own lines do not add up.
        let body: String = (0..400)
            .map(|i| format!("  input.a{i} + 1 > 2\n"))
            .collect();
        check("p.rego", &format!("package p\n\nallow if {{\n{body}}}\n")).unwrap();
    }

    #[test]
    fn strings_and_comments_do_not_count() {
        let src = format!(
            "package p\n\n# {}\nx := \"{}\"\ny := `{}\n{}`\n",
            "[".repeat(100),
            "[{(".repeat(100),
            "[".repeat(100),
            "(".repeat(100)
        );
        check("p.rego", &src).unwrap();
        // An escaped quote does not end a string.
        check("p.rego", "package p\nx := \"\\\"[[[[[[[[[[[[[[[[[[[\"\n").unwrap();
    }

    /// The limits leave room: every sample regime and conformance fixture
    /// stays well inside them.
    #[test]
    fn the_repository_s_policies_are_far_from_the_limits() {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
        let mut most = Depths::default();
        let mut files = 0;
        for dir in ["sample-policies", "tests/conformance"] {
            for entry in walkdir::WalkDir::new(root.join(dir)) {
                let entry = entry.unwrap();
                if entry.path().extension().is_some_and(|e| e == "rego") {
                    let text = std::fs::read_to_string(entry.path()).unwrap();
                    let d = measure(&text);
                    most.brackets = most.brackets.max(d.brackets);
                    most.first_elements = most.first_elements.max(d.first_elements);
                    most.expression = most.expression.max(d.expression);
                    files += 1;
                }
            }
        }
        eprintln!("{files} files: {most:?}");
        assert!(files > 50);
        assert!(most.brackets * 2 <= MAX_BRACKETS, "{most:?}");
        assert!(most.first_elements * 2 <= MAX_FIRST_ELEMENTS, "{most:?}");
        assert!(most.expression * 4 <= MAX_EXPRESSION_DEPTH, "{most:?}");
    }

    #[test]
    fn unbalanced_text_is_left_to_the_parser() {
        for src in [
            "package p\nx := ]]]]\n",
            "package p\nx := [[[\n",
            "\"",
            "`",
            "é[(",
        ] {
            let _ = check("p.rego", src);
        }
    }
}
