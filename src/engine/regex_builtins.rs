//! OPA's `regex.*` builtins with the patterns Go's RE2 compiles: regorus
//! refuses a compiled program over 100 KiB, which Unicode classes reach
//! quickly (`^[\p{L}\p{N}]{1,64}$` is one), where OPA has no such limit and
//! matches. Gavel's take precedence (extra_builtins.rs): each pattern is
//! read as Go reads it (regex_patterns.rs: `\d`, `\w`, `\s`, `\b` are
//! ASCII), compiled with room for what RE2 accepts, and kept per thread;
//! the bytecode VM uses the same (vm_builtins.rs). Answers as OPA's
//! `v1/topdown/regex.go`: `regex.split` is Go's `Regexp.Split(s, -1)`, an
//! unmatched group is `""`, a negative `n` means all.

use std::cell::RefCell;
use std::collections::HashMap;

use regex::{Regex, RegexBuilder};
use regorus::Value;

use super::extra_builtins::{string_operand, type_name};

/// Each builtin's name and number of arguments.
pub const BUILTINS: &[(&str, u8)] = &[
    ("regex.match", 2),
    ("regex.is_valid", 1),
    ("regex.split", 2),
    ("regex.find_n", 3),
    ("regex.find_all_string_submatch_n", 3),
    ("regex.replace", 3),
];

/// The bound on one compiled pattern: far above what real patterns need
/// (a Unicode class repeated 64 times takes about 2 MiB), low enough that
/// a pathological one (`(a{1000}){1000}`, which RE2 refuses too) fails
/// fast instead of taking the memory of the run.
pub const SIZE_LIMIT: usize = 16 << 20;

/// Patterns one thread keeps compiled; past this the cache starts again.
const KEEP: usize = 512;

thread_local! {
    static COMPILED: RefCell<HashMap<String, Regex>> = RefCell::new(HashMap::new());
}

/// A pattern compiled as OPA reads it, from this thread's cache. The
/// error is worded as Go's (`error parsing regexp: ...`).
pub fn compiled(pattern: &str) -> Result<Regex, String> {
    COMPILED.with(|c| {
        if let Some(re) = c.borrow().get(pattern) {
            return Ok(re.clone());
        }
        let re = RegexBuilder::new(&super::regex_patterns::go_to_rust(pattern))
            .size_limit(SIZE_LIMIT)
            .dfa_size_limit(SIZE_LIMIT)
            .build()
            .map_err(|e| match e {
                regex::Error::CompiledTooBig(limit) => {
                    format!(
                        "error parsing regexp: expression too large (over {limit} bytes compiled)"
                    )
                }
                other => format!(
                    "error parsing regexp: {}",
                    other
                        .to_string()
                        .lines()
                        .last()
                        .unwrap_or("invalid pattern")
                        .trim()
                ),
            })?;
        let mut cache = c.borrow_mut();
        if cache.len() >= KEEP {
            cache.clear();
        }
        cache.insert(pattern.to_string(), re.clone());
        Ok(re)
    })
}

pub(crate) fn call(name: &str, args: &[Value]) -> anyhow::Result<Value> {
    if name == "regex.is_valid" {
        // Never an error: anything that is not a pattern is not valid.
        return Ok(Value::from(match args.first() {
            Some(Value::String(p)) => compiled(p).is_ok(),
            _ => false,
        }));
    }
    let pattern_at = usize::from(name == "regex.replace");
    let pattern = string_operand(name, args, pattern_at)?;
    let re = compiled(pattern).map_err(|e| anyhow::anyhow!("{name}: {e}"))?;
    let text = string_operand(name, args, usize::from(pattern_at == 0))?;
    let strings =
        |items: Vec<&str>| Value::from(items.into_iter().map(Value::from).collect::<Vec<_>>());
    Ok(match name {
        "regex.match" => Value::from(re.is_match(text)),
        "regex.split" => strings(go_split(&re, text)),
        "regex.find_n" => {
            let n = count_operand(name, args)?;
            strings(re.find_iter(text).take(n).map(|m| m.as_str()).collect())
        }
        "regex.find_all_string_submatch_n" => {
            let n = count_operand(name, args)?;
            Value::from(
                re.captures_iter(text)
                    .take(n)
                    .map(|caps| {
                        Value::from(
                            caps.iter()
                                .map(|g| Value::from(g.map_or("", |m| m.as_str())))
                                .collect::<Vec<_>>(),
                        )
                    })
                    .collect::<Vec<_>>(),
            )
        }
        "regex.replace" => {
            let replacement = string_operand(name, args, 2)?;
            Value::from(re.replace_all(text, replacement).into_owned())
        }
        _ => anyhow::bail!("{name}: not a Gavel builtin"),
    })
}

/// The third operand of `find_n` and its kin: how many matches, all when
/// negative.
fn count_operand(name: &str, args: &[Value]) -> anyhow::Result<usize> {
    match args.get(2) {
        Some(Value::Number(n)) => match n.as_i64() {
            Some(n) if n < 0 => Ok(usize::MAX),
            Some(n) => Ok(usize::try_from(n).unwrap_or(usize::MAX)),
            None => anyhow::bail!("{name}: operand 3 must be an integer"),
        },
        other => anyhow::bail!(
            "{name}: operand 3 must be number but got {}",
            other.map_or("undefined", type_name)
        ),
    }
}

/// Go's `Regexp.Split(s, -1)`: an empty match at the start adds no empty
/// piece, nor does a match that ends the text... unless text remains.
fn go_split<'t>(re: &Regex, s: &'t str) -> Vec<&'t str> {
    if s.is_empty() {
        // Go: one empty piece, but none at all when the pattern is empty.
        return if re.as_str().is_empty() {
            vec![]
        } else {
            vec![""]
        };
    }
    let mut out = Vec::new();
    let (mut beg, mut end) = (0, 0);
    for m in re.find_iter(s) {
        end = m.start();
        if m.end() != 0 {
            out.push(&s[beg..end]);
        }
        beg = m.end();
    }
    if end != s.len() {
        out.push(&s[beg..]);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(v: &str) -> Value {
        Value::from(v)
    }

    #[test]
    fn unicode_classes_past_regorus_s_limit_compile() {
        let limited = |p: &str| regex::RegexBuilder::new(p).size_limit(100 * 1024).build();
        let pattern = r"^[\p{L}\p{N}]{1,64}$";
        assert!(limited(pattern).is_err());
        assert_eq!(
            call("regex.match", &[s(pattern), s("Grüße123")]).unwrap(),
            Value::from(true)
        );
        // RE2 refuses this one too.
        let err = call("regex.match", &[s("(a{1000}){1000}"), s("a")]).unwrap_err();
        assert!(
            err.to_string()
                .contains("regex.match: error parsing regexp"),
            "{err}"
        );
        assert_eq!(
            call("regex.is_valid", &[s("(")]).unwrap(),
            Value::from(false)
        );
        assert_eq!(
            call("regex.is_valid", &[Value::from(1)]).unwrap(),
            Value::from(false)
        );
    }

    /// Values from Go's regexp tests (`TestSplit`) and OPA's cases.
    #[test]
    fn answers_as_go() {
        let split = |p: &str, t: &str| call("regex.split", &[s(p), s(t)]).unwrap();
        let v = |j: &str| Value::from_json_str(j).unwrap();
        assert_eq!(split("a", "banana"), v(r#"["b", "n", "n", ""]"#));
        assert_eq!(split("", "abc"), v(r#"["a", "b", "c"]"#));
        assert_eq!(
            split("x*", "banana"),
            v(r#"["b", "a", "n", "a", "n", "a"]"#)
        );
        assert_eq!(split("a", ""), v(r#"[""]"#));
        assert_eq!(
            call("regex.find_n", &[s("a."), s("paranormal"), Value::from(-1)]).unwrap(),
            v(r#"["ar", "an", "al"]"#)
        );
        assert_eq!(
            call(
                "regex.find_all_string_submatch_n",
                &[s("a(x*)b(y)?"), s("-ab-axxb-"), Value::from(-1)]
            )
            .unwrap(),
            v(r#"[["ab", "", ""], ["axxb", "xx", ""]]"#)
        );
        assert_eq!(
            call("regex.replace", &[s("-ab-axxb-"), s("a(x*)b"), s("${1}W")]).unwrap(),
            s("-W-xxW-")
        );
        // Go's \d is ASCII.
        assert_eq!(
            call("regex.match", &[s(r"^\d$"), s("٣")]).unwrap(),
            Value::from(false)
        );
    }
}
