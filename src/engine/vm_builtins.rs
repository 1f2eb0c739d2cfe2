//! Builtins Gavel puts into a VM program in place of regorus's own, for
//! speed only: each gives regorus's answer and error for every argument.
//!
//! - `regex.match`: regorus takes the compiled regex from its global cache
//!   by cloning it, under a global lock, on every call. A clone of a `Regex`
//!   starts with an empty match cache, so each call built the regex's lazy
//!   DFA again: about 5 % of a batch replay of the samples. Here each thread
//!   keeps its own compiled regexes, so their match caches live. Same crate,
//!   same size limit, same errors as regorus 0.14.1's `regex.match`.
//!
//! The interpreter keeps regorus's: it handles an extension's error
//! differently from a builtin's, and the VM calls these exactly where it
//! calls regorus's (`execute_builtin_call`).

use std::cell::RefCell;
use std::collections::HashMap;

use regex::{Regex, RegexBuilder};
use regorus::LimitError;
use regorus::Value;
use regorus::rvm::program::Program;
use regorus::unstable::{BuiltinFcn, Expr, Ref, Span};

/// regorus's bound on a compiled pattern (`builtins/regex.rs`).
const REGEX_SIZE_LIMIT: usize = 100 * 1024;

/// Patterns one thread keeps compiled; past this the cache starts again
/// (a policy with more distinct patterns than this is unusual).
const KEEP: usize = 512;

thread_local! {
    static COMPILED: RefCell<HashMap<String, Regex>> = RefCell::new(HashMap::new());
}

/// Swaps Gavel's builtins into a freshly compiled program.
pub fn install(program: &mut Program) {
    let ours: &[(&str, BuiltinFcn)] = &[
        ("regex.match", (regex_match, 2)),
        // Not for speed: the non-deterministic builtins answer as the
        // interpreter's extensions do, from the replayed decision's record
        // (nd_cache.rs); regorus's own http.send answers undefined.
        ("http.send", (nondeterministic::<0>, 1)),
        ("net.lookup_ip_addr", (nondeterministic::<1>, 1)),
        ("rand.intn", (nondeterministic::<2>, 2)),
        ("uuid.rfc4122", (nondeterministic::<3>, 1)),
    ];
    for (info, resolved) in program
        .builtin_info_table
        .iter()
        .zip(program.resolved_builtins.iter_mut())
    {
        if let Some((_, f)) = ours.iter().find(|(name, _)| *name == info.name) {
            *resolved = *f;
        }
    }
}

/// The `N`-th builtin of `nd_cache::BUILTINS` (a plain fn pointer cannot
/// carry the name).
fn nondeterministic<const N: usize>(
    _span: &Span,
    _params: &[Ref<Expr>],
    args: &[Value],
    _strict: bool,
) -> anyhow::Result<Value> {
    let Some(&(name, _)) = super::nd_cache::BUILTINS.get(N) else {
        anyhow::bail!("no non-deterministic builtin {N}");
    };
    super::nd_cache::answer(name, args)
}

fn regex_match(
    _span: &Span,
    _params: &[Ref<Expr>],
    args: &[Value],
    _strict: bool,
) -> anyhow::Result<Value> {
    let [pattern, value] = args else {
        anyhow::bail!("regex.match expects 2 arguments");
    };
    let (Ok(pattern), Ok(value)) = (pattern.as_string(), value.as_string()) else {
        anyhow::bail!("regex.match expects string arguments");
    };
    COMPILED.with(|c| {
        let mut compiled = c.borrow_mut();
        if let Some(re) = compiled.get(pattern.as_ref()) {
            return Ok(Value::Bool(re.is_match(value)));
        }
        let re = RegexBuilder::new(pattern)
            .size_limit(REGEX_SIZE_LIMIT)
            .build()
            .map_err(|e| match e {
                regex::Error::CompiledTooBig(_) => {
                    anyhow::Error::new(LimitError::RegexSizeLimitExceeded {
                        limit: REGEX_SIZE_LIMIT,
                    })
                }
                _ => anyhow::anyhow!("invalid regex"),
            })?;
        let matched = re.is_match(value);
        if compiled.len() >= KEEP {
            compiled.clear();
        }
        compiled.insert(pattern.to_string(), re);
        Ok(Value::Bool(matched))
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::bundle::Bundle;
    use crate::engine::fast::FastEvaluator;
    use crate::engine::{LoadOptions, LoadedPolicy};
    use std::time::Duration;

    /// The VM (with Gavel's `regex.match`) and the interpreter (with
    /// regorus's) agree, matches, misses and errors alike.
    #[test]
    fn the_vm_matches_as_regorus_does() {
        let text = r#"package p
r := {
    "digits": regex.match(`^[0-9]+$`, input.s),
    "pan": regex.match(`^[A-Z]{5}[0-9]{4}[A-Z]$`, upper(input.s)),
    "dynamic": regex.match(input.pattern, input.s),
}
"#;
        let b = Bundle::from_texts([("p.rego".to_string(), text.to_string())]).unwrap();
        let policy = LoadedPolicy::load(&b, LoadOptions::new(false)).unwrap();
        let program = policy
            .compile_fast(&b, "p/r", Duration::from_secs(5))
            .expect("compiles");
        let ours = program.resolved_builtin("regex.match").expect("called");
        let regex_match: BuiltinFcn = (regex_match, 2);
        assert!(
            std::ptr::fn_addr_eq(ours.0, regex_match.0),
            "Gavel's regex.match"
        );
        let mut vm = FastEvaluator::new(&program).unwrap();
        let huge = "(a{1000}){1000}".to_string();
        let answer = |d: bool, p: bool, y: bool| {
            Some(Some(
                serde_json::json!({"digits": d, "pan": p, "dynamic": y}),
            ))
        };
        for (s, pattern, want) in [
            (serde_json::json!("12345"), "^1", answer(true, false, true)),
            (
                serde_json::json!("abcde1234f"),
                "e1",
                answer(false, true, true),
            ),
            (serde_json::json!("x"), "y", answer(false, false, false)),
            // An invalid pattern, or a number: undefined.
            (serde_json::json!("12a"), "(", Some(None)),
            (serde_json::json!(12), "^1", Some(None)),
            // A pattern past the size limit: an error.
            (serde_json::json!("x"), huge.as_str(), None),
        ] {
            let input = serde_json::json!({"s": s, "pattern": pattern});
            let slow = policy.evaluate_result("p/r", &input, 1).ok();
            assert_eq!(slow, want, "{input}");
            // Twice: the second call is the cached regex.
            for _ in 0..2 {
                let fast = vm.eval(&input, 1);
                assert_eq!(fast, slow, "{input}");
            }
        }
    }
}
