//! Text-level fixes for three constructs regorus 0.14.1 reads differently
//! from OPA, applied before parsing (they cannot go through regorus's tree:
//! it rejects or misreads them). Each edit stays on its line, so errors,
//! coverage and prints still point at the user's lines.
//!
//! 1. A v1 function rule with no body, `f("a")`: OPA defines `f("a") :=
//!    true`; regorus refuses it ("rule must have a body or assignment").
//! 3. Several bodies for one head, `p if { a } { b }`: OPA defines one rule
//!    per body; regorus refuses it for sets and misreads the others. The
//!    head is repeated before each extra body.
//! 4. A line that starts with `(` after a line ending in an operand inside a
//!    body: two expressions in OPA, a call in regorus. A `;` ends the first.

/// Lexical facts about one line.
#[derive(Debug, Clone, Default)]
struct Line {
    /// Byte offset where the line starts.
    start: usize,
    /// `(` and `[` open at the start of the line.
    paren_depth: i32,
    /// `{` open at the start of the line.
    brace_depth: i32,
    /// First and last significant byte (outside strings and comments).
    first: Option<usize>,
    last: Option<usize>,
}

const KEYWORDS: &[&str] = &[
    "if", "else", "not", "some", "every", "in", "contains", "with", "as", "default", "import",
    "package", "return",
];

/// Scans `text`: per line, bracket depths and significant bytes; and the
/// top-level `{` ... `}` body spans.
fn scan(text: &str) -> (Vec<Line>, Vec<(usize, usize)>) {
    let b = text.as_bytes();
    let mut lines = vec![Line::default()];
    let (mut paren, mut brace) = (0i32, 0i32);
    let mut bodies = Vec::new();
    let mut body_open = 0usize;
    let mut i = 0;
    while i < b.len() {
        let c = b[i];
        match c {
            b'\n' => {
                lines.push(Line {
                    start: i + 1,
                    paren_depth: paren,
                    brace_depth: brace,
                    first: None,
                    last: None,
                });
                i += 1;
                continue;
            }
            b'#' => {
                while i < b.len() && b[i] != b'\n' {
                    i += 1;
                }
                continue;
            }
            b' ' | b'\t' | b'\r' => {
                i += 1;
                continue;
            }
            _ => {}
        }
        let line = lines.last_mut().expect("one line at least");
        line.first.get_or_insert(i);
        match c {
            b'"' => {
                i += 1;
                while i < b.len() && b[i] != b'"' && b[i] != b'\n' {
                    i += if b[i] == b'\\' { 2 } else { 1 };
                }
            }
            b'`' => {
                i += 1;
                while i < b.len() && b[i] != b'`' {
                    if b[i] == b'\n' {
                        // A raw string may span lines; keep the line table.
                        // Lines inside the string are not code.
                        lines.push(Line {
                            start: i + 1,
                            paren_depth: paren,
                            brace_depth: brace,
                            first: None,
                            last: None,
                        });
                    }
                    i += 1;
                }
            }
            b'(' | b'[' => paren += 1,
            b')' | b']' => paren -= 1,
            b'{' => {
                if brace == 0 && paren == 0 {
                    body_open = i;
                }
                brace += 1;
            }
            b'}' => {
                brace -= 1;
                if brace == 0 && paren == 0 {
                    bodies.push((body_open, i));
                }
            }
            _ => {}
        }
        let end = i.min(b.len().saturating_sub(1));
        lines.last_mut().expect("one line at least").last = Some(end);
        i += 1;
    }
    (lines, bodies)
}

/// The word that ends at byte `end` (inclusive), if the byte is part of one.
fn word_ending_at(text: &str, end: usize) -> &str {
    let b = text.as_bytes();
    let mut s = end + 1;
    while s > 0 && (b[s - 1].is_ascii_alphanumeric() || b[s - 1] == b'_') {
        s -= 1;
    }
    text.get(s..=end).unwrap_or("")
}

/// The edits: (offset, text to insert).
fn edits(text: &str, rego_v0: bool) -> Vec<(usize, String)> {
    let (lines, bodies) = scan(text);
    let b = text.as_bytes();
    let mut out = Vec::new();

    // 4: `(` starting a line inside a body, after an operand.
    let mut previous: Option<&Line> = None;
    for line in &lines {
        let Some(first) = line.first else { continue };
        if b.get(first) == Some(&b'(')
            && line.paren_depth == 0
            && line.brace_depth > 0
            && let Some(prev) = previous.and_then(|p| p.last)
        {
            let ends_operand = b[prev].is_ascii_alphanumeric()
                || matches!(b[prev], b'_' | b']' | b')' | b'"' | b'`');
            let keyword = KEYWORDS.contains(&word_ending_at(text, prev));
            if ends_operand && !keyword {
                out.push((prev + 1, ";".to_string()));
            }
        }
        previous = Some(line);
    }

    // 1: `f(args)` alone at the top level of a v1 module.
    if !rego_v0 {
        for line in &lines {
            let (Some(first), Some(last)) = (line.first, line.last) else {
                continue;
            };
            if line.paren_depth != 0 || line.brace_depth != 0 || b[last] != b')' {
                continue;
            }
            let Some(stmt) = text.get(first..=last) else {
                continue;
            };
            let name_end = stmt.find('(').unwrap_or(0);
            let name = &stmt[..name_end];
            let is_head = !name.is_empty()
                && name
                    .chars()
                    .next()
                    .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
                && name
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '.')
                && !KEYWORDS.contains(&name)
                && balanced_call(&stmt[name_end..]);
            if is_head {
                out.push((last + 1, " := true".to_string()));
            }
        }
    }

    // 3: `{ ... } { ... }`: a body straight after another at the top level.
    let starts: Vec<usize> = bodies.iter().map(|(open, _)| *open).collect();
    for (k, (open, _)) in bodies.iter().enumerate().skip(1) {
        let (_, prev_close) = bodies[k - 1];
        // Only blank text between two bodies (unbalanced input can give
        // ranges that make no sense: those are skipped).
        let blank_between = |close: usize, open: usize| {
            text.get(close + 1..open)
                .is_some_and(|t| t.trim().is_empty())
        };
        if !blank_between(prev_close, *open) {
            continue;
        }
        // The head: from the statement's start to its first body.
        let mut first_open = starts[k - 1];
        let mut j = k - 1;
        while j > 0 && blank_between(bodies[j - 1].1, bodies[j].0) {
            j -= 1;
            first_open = starts[j];
        }
        let head_start = statement_start(&lines, first_open);
        let Some(head) = text.get(head_start..first_open).map(str::trim) else {
            continue;
        };
        let (head, had_if) = match head.strip_suffix("if") {
            Some(h) if h.ends_with(|c: char| c.is_whitespace()) => (h.trim_end(), true),
            _ => (head, false),
        };
        if head.is_empty() {
            continue;
        }
        let head = head.split_whitespace().collect::<Vec<_>>().join(" ");
        let keyword = if had_if || !rego_v0 { " if " } else { " " };
        out.push((*open, format!("{head}{keyword}")));
    }
    out
}

/// Whether `s` is one balanced `( ... )` group (strings skipped).
fn balanced_call(s: &str) -> bool {
    let mut depth = 0i32;
    let mut in_string = false;
    let mut escaped = false;
    for (i, c) in s.char_indices() {
        if in_string {
            match (escaped, c) {
                (true, _) => escaped = false,
                (false, '\\') => escaped = true,
                (false, '"') => in_string = false,
                _ => {}
            }
            continue;
        }
        match c {
            '"' => in_string = true,
            '(' | '[' | '{' => depth += 1,
            ')' | ']' | '}' => {
                depth -= 1;
                if depth == 0 && i + 1 != s.len() {
                    return false;
                }
            }
            _ => {}
        }
    }
    depth == 0 && s.starts_with('(')
}

/// The offset where the top-level statement holding `at` begins: the first
/// significant byte of the nearest line at or before `at` that starts at
/// depth zero.
fn statement_start(lines: &[Line], at: usize) -> usize {
    let idx = lines.partition_point(|l| l.start <= at).saturating_sub(1);
    for line in lines[..=idx].iter().rev() {
        if line.paren_depth == 0
            && line.brace_depth == 0
            && let Some(f) = line.first
            && f <= at
        {
            return f;
        }
    }
    0
}

/// The module text with the three fixes applied (unchanged when none
/// applies).
pub fn fix_layout(text: &str, rego_v0: bool) -> Option<String> {
    let mut e = edits(text, rego_v0);
    if e.is_empty() {
        return None;
    }
    e.sort_by_key(|(at, _)| *at);
    let mut out = String::with_capacity(text.len() + e.len() * 16);
    let mut pos = 0;
    for (at, insert) in e {
        out.push_str(&text[pos..at]);
        out.push_str(&insert);
        pos = at;
    }
    out.push_str(&text[pos..]);
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fixed(src: &str, v0: bool) -> String {
        let out = fix_layout(src, v0).unwrap_or_else(|| src.to_string());
        assert_eq!(
            out.lines().count(),
            src.lines().count(),
            "lines moved:\n{out}"
        );
        out
    }

    #[test]
    fn bodiless_functions_become_true() {
        let out = fixed(
            "package p\n\nf(\"a\")\ng(\"a\", _)\nh(x) := x\nimport data.q\n",
            false,
        );
        assert!(out.contains("f(\"a\") := true\n"), "{out}");
        assert!(out.contains("g(\"a\", _) := true\n"), "{out}");
        assert!(out.contains("h(x) := x\n"), "{out}");
        // v0 has no such rule form: nothing changes.
        assert_eq!(fix_layout("package p\nf(\"a\")\n", true), None);
    }

    #[test]
    fn a_line_starting_with_a_paren_is_a_new_expression() {
        let src = "package p\n\nok if {\n  input.min_spread\n  (input.max - input.min) >= input.min_spread # note\n  x := f(1,\n    (2))\n  y := 1 +\n    (3)\n}\n";
        let out = fixed(src, false);
        assert!(out.contains("  input.min_spread;\n"), "{out}");
        assert!(out.contains("    (2))"), "{out}");
        assert!(!out.contains("f(1,;"), "{out}");
        assert!(!out.contains("+;"), "{out}");
    }

    #[test]
    fn several_bodies_get_their_own_heads() {
        let src = "package p\n\nviolation contains msg if {\n  input.a\n  msg := \"a\"\n} {\n  input.b\n  msg := \"b\"\n}\n\nf(x) := y if { x == 1; y := \"one\" } { x == 2; y := \"two\" }\n";
        let out = fixed(src, false);
        assert!(
            out.contains("} violation contains msg if {\n  input.b"),
            "{out}"
        );
        assert!(out.contains("} f(x) := y if { x == 2;"), "{out}");
        let v0 = "package p\n\ndeny[msg] {\n  input.a\n  msg := \"a\"\n} {\n  input.b\n  msg := \"b\"\n}\n";
        let out = fixed(v0, true);
        assert!(out.contains("} deny[msg] {\n  input.b"), "{out}");
    }

    #[test]
    fn any_text_is_safe() {
        // Bytes a parser would refuse later must not make the scan panic.
        for src in [
            "é(\n(é",
            "p if {\n  xé\n  (1)\n}",
            "f(é)",
            "}{é}{",
            "\"é",
            "`é\n(",
            "((((",
            "))))",
        ] {
            let _ = fix_layout(src, false);
            let _ = fix_layout(src, true);
        }
    }

    proptest::proptest! {
        #[test]
        fn never_panics_and_keeps_lines(src in "[a-z(){}\\[\\]\"`#é\n ;:=.,_0-9]{0,80}", v0 in proptest::bool::ANY) {
            if let Some(out) = fix_layout(&src, v0) {
                proptest::prop_assert_eq!(out.matches('\n').count(), src.matches('\n').count());
            }
        }
    }

    #[test]
    fn else_chains_and_ordinary_modules_are_left_alone() {
        let src = "package p\n\nx := 1 if {\n  input.a\n} else := 2 if {\n  input.b\n}\n\ny := {\"a\": (1)}\ns := \"f(\\\"a\\\")\"\n";
        assert_eq!(fix_layout(src, false), None);
    }
}
