//! Builtins Gavel puts into a VM program in place of regorus's own, so that
//! the VM answers as the interpreter, with Gavel's builtins, does.
//!
//! - `regex.match`: Gavel's (regex_builtins.rs), as the interpreter has it:
//!   patterns past regorus's size limit compile, and each thread keeps its
//!   compiled regexes (regorus clones one from a global cache under a lock
//!   on every call, with an empty match cache: about 5 % of a batch replay).
//! - `object.subset`, `strings.count`: Gavel's, which answer as OPA's where
//!   regorus's panic or count otherwise; `json.unmarshal`, `to_number`:
//!   Gavel's, which refuse a number of more than 100,000 digits before
//!   expanding it (extra_builtins.rs).
//! - `json.match_schema`, `json.verify_schema`: Gavel's, with OPA's lists
//!   of errors and its words (schema_builtins.rs).
//!
//! The VM calls these exactly where it calls regorus's
//! (`execute_builtin_call`).

use regorus::Value;
use regorus::rvm::program::Program;
use regorus::unstable::{BuiltinFcn, Expr, Ref, Span};

/// Swaps Gavel's builtins into a freshly compiled program.
pub fn install(program: &mut Program) {
    let ours: &[(&str, BuiltinFcn)] = &[
        ("regex.match", (regex_match, 2)),
        ("object.subset", (object_subset, 2)),
        ("strings.count", (strings_count, 2)),
        ("json.unmarshal", (json_unmarshal, 1)),
        ("to_number", (to_number, 1)),
        ("json.match_schema", (json_match_schema, 2)),
        ("json.verify_schema", (json_verify_schema, 1)),
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
    super::regex_builtins::call("regex.match", args)
}

/// Gavel's answer where regorus's differs from OPA's (extra_builtins.rs).
fn object_subset(
    _span: &Span,
    _params: &[Ref<Expr>],
    args: &[Value],
    _strict: bool,
) -> anyhow::Result<Value> {
    super::extra_builtins::call("object.subset", args)
}

fn json_unmarshal(
    _span: &Span,
    _params: &[Ref<Expr>],
    args: &[Value],
    _strict: bool,
) -> anyhow::Result<Value> {
    super::extra_builtins::call("json.unmarshal", args)
}

fn to_number(
    _span: &Span,
    _params: &[Ref<Expr>],
    args: &[Value],
    _strict: bool,
) -> anyhow::Result<Value> {
    super::extra_builtins::call("to_number", args)
}

fn strings_count(
    _span: &Span,
    _params: &[Ref<Expr>],
    args: &[Value],
    _strict: bool,
) -> anyhow::Result<Value> {
    super::extra_builtins::call("strings.count", args)
}

fn json_match_schema(
    _span: &Span,
    _params: &[Ref<Expr>],
    args: &[Value],
    _strict: bool,
) -> anyhow::Result<Value> {
    super::schema_builtins::call("json.match_schema", args)
}

fn json_verify_schema(
    _span: &Span,
    _params: &[Ref<Expr>],
    args: &[Value],
    _strict: bool,
) -> anyhow::Result<Value> {
    super::schema_builtins::call("json.verify_schema", args)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::bundle::Bundle;
    use crate::engine::fast::FastEvaluator;
    use crate::engine::{LoadOptions, LoadedPolicy};
    use std::time::Duration;

    /// The VM and the interpreter (both with Gavel's `regex.match`) agree,
    /// matches, misses and errors alike.
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
            // A pattern RE2 refuses as too large: undefined too, as OPA's
            // non-strict evaluation has a builtin's error.
            (serde_json::json!("x"), huge.as_str(), Some(None)),
            // Unicode classes past regorus's own size limit compile.
            (
                serde_json::json!("Grüße"),
                r"^[\p{L}\p{N}]{1,64}$",
                answer(false, false, true),
            ),
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
