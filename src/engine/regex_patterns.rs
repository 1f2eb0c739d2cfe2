//! Regular expressions read as OPA reads them: Go's RE2 syntax, where
//! `\d`, `\w`, `\s` and `\b` are ASCII. The `regex` crate behind regorus
//! reads them as Unicode classes, which differ on non-ASCII text and
//! compile to programs hundreds of times larger: a pattern with a dozen
//! `\d` passed regorus's size limit (100 KiB) and the call failed, where
//! OPA matched (`[a-z\d]{8}-...`).
//!
//! A pattern written as a string literal in a call of a `regex.*` builtin
//! (or v0's `re_match`) is given to regorus with those classes spelled out
//! in ASCII (`[0-9]`, `[0-9A-Za-z_]`, `[\t\n\f\r ]`, `(?-u:\b)`); patterns
//! computed at evaluation are read as regorus reads them.

use crate::rego::walk::visit_rule_exprs_mut;
use crate::rego::{ExprKind, Module};

/// Each regex builtin and the position of its pattern argument.
const PATTERN_ARGUMENT: &[(&str, usize)] = &[
    ("regex.match", 0),
    ("re_match", 0),
    ("regex.is_valid", 0),
    ("regex.split", 0),
    ("regex.find_n", 0),
    ("regex.find_all_string_submatch_n", 0),
    ("regex.replace", 1),
];

/// Rewrites the literal patterns of the module's regex calls, in place.
pub fn ascii_classes(module: &mut Module) {
    for rule in &mut module.rules {
        visit_rule_exprs_mut(rule, &mut |e| {
            let ExprKind::Call { func, args } = &mut e.kind else {
                return;
            };
            let Some(name) = func.static_path().map(|p| p.join(".")) else {
                return;
            };
            let Some(&(_, at)) = PATTERN_ARGUMENT.iter().find(|(n, _)| *n == name) else {
                return;
            };
            if let Some(ExprKind::String { value, .. }) = args.get_mut(at).map(|a| &mut a.kind) {
                *value = go_to_rust(value);
            }
        });
    }
}

/// A Go RE2 pattern as the `regex` crate reads it the same way: the
/// Perl classes and word boundaries spelled out in ASCII. Anything else is
/// left as written.
pub fn go_to_rust(pattern: &str) -> String {
    let mut out = String::with_capacity(pattern.len() + 16);
    let mut chars = pattern.chars().peekable();
    // Inside `[...]` (a class's first `]` is a literal, as in Go).
    let mut in_class = false;
    let mut class_start = false;
    while let Some(c) = chars.next() {
        if c == '\\' {
            let Some(n) = chars.next() else {
                out.push(c);
                break;
            };
            let (outside, inside) = match n {
                'd' => ("[0-9]", "0-9"),
                'D' => ("[^0-9]", "[^0-9]"),
                'w' => ("[0-9A-Za-z_]", "0-9A-Za-z_"),
                'W' => ("[^0-9A-Za-z_]", "[^0-9A-Za-z_]"),
                's' => ("[\\t\\n\\f\\r ]", "\\t\\n\\f\\r "),
                'S' => ("[^\\t\\n\\f\\r ]", "[^\\t\\n\\f\\r ]"),
                'b' if !in_class => ("(?-u:\\b)", ""),
                'B' if !in_class => ("(?-u:\\B)", ""),
                _ => {
                    out.push('\\');
                    out.push(n);
                    class_start = false;
                    continue;
                }
            };
            out.push_str(if in_class { inside } else { outside });
            class_start = false;
            continue;
        }
        out.push(c);
        if in_class {
            if c == ']' && !class_start {
                in_class = false;
            }
            class_start = class_start && c == '^';
        } else if c == '[' {
            in_class = true;
            class_start = true;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn perl_classes_become_ascii() {
        assert_eq!(go_to_rust(r"^\d+$"), "^[0-9]+$");
        assert_eq!(go_to_rust(r"[a-z\d]{8}"), "[a-z0-9]{8}");
        assert_eq!(go_to_rust(r"\bfoo\B"), r"(?-u:\b)foo(?-u:\B)");
        assert_eq!(go_to_rust(r"[^\s\D]"), r"[^\t\n\f\r [^0-9]]");
        // Escapes and other classes stay; a class's first `]` is literal.
        assert_eq!(go_to_rust(r"\\d\.\pL[]\d]"), r"\\d\.\pL[]0-9]");
    }

    #[test]
    fn a_pattern_over_regorus_s_limit_compiles_and_matches_as_go_does() {
        let go = r"^/(?:subscriptions/[a-z\d]{8}-[a-z\d]{4}-[a-z\d]{4}-[a-z\d]{4}-[a-z\d]{12})?$";
        let limited = |p: &str| regex::RegexBuilder::new(p).size_limit(100 * 1024).build();
        assert!(limited(go).is_err());
        let re = limited(&go_to_rust(go)).unwrap();
        assert!(re.is_match("/subscriptions/0123abcd-0000-1111-2222-333344445555"));
        // Go's `\d` is ASCII: an Arabic-Indic digit is not one.
        assert!(
            !regex::Regex::new(&go_to_rust(r"^\d$"))
                .unwrap()
                .is_match("٣")
        );
    }

    #[test]
    fn literal_patterns_of_regex_calls_are_rewritten() {
        let mut m = crate::rego::parse(
            "p.rego",
            "package p\nx if regex.match(`^\\d$`, input.s)\ny := regex.replace(input.s, \"\\\\d\", \"#\")\nz := concat(\"\\\\d\", [])\n",
            false,
        )
        .unwrap();
        ascii_classes(&mut m);
        let out = crate::rego::emit(&m, Default::default());
        assert!(out.contains("regex.match(`^[0-9]$`"), "{out}");
        assert!(out.contains("regex.replace(input.s, \"[0-9]\""), "{out}");
        assert!(out.contains("concat(\"\\\\d\""), "{out}");
    }
}
