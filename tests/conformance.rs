//! Rego that regorus 0.14.1 reads differently from OPA, and that Gavel must
//! give OPA's verdict on. Each directory under tests/conformance/ is a
//! bundle whose every test passes under OPA (checked with
//! scripts/opa_reference.py); `gavel test` must agree.

mod common;

use std::path::Path;

use common::Env;

fn passes_like_opa(dir: &str) {
    let env = Env::new();
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/conformance")
        .join(dir);
    let (code, out, err) = env.run(&["test", path.to_str().unwrap()]);
    assert_eq!(code, 0, "{dir}: {out}{err}");
    assert!(!out.contains("FAIL"), "{out}");
}

/// The smallest cases of real v1 libraries that Gavel's old text rewrites
/// refused or misread (issue 15): `not` after a binding, `some` shadowing a
/// rule, `else :=` after a reference value, a comment inside a call, a
/// METADATA marker in a raw string, a 5,000-column line, literals nested
/// 32 deep, string keys in an import alias and in a package path.
#[test]
fn real_v1_libraries_smallest_cases() {
    passes_like_opa("front-end");
}

/// The same for v0: a composite head value before its body, `else =`
/// chains, operators called by name, an import after a rule, and a
/// reference with a computed step under a package (no false recursion).
#[test]
fn real_v0_libraries_smallest_cases() {
    passes_like_opa("front-end-v0");
}

#[test]
fn import_alias_under_with_sees_later_modules() {
    passes_like_opa("with-input-module-order");
}

#[test]
fn import_alias_under_with_is_not_stale() {
    passes_like_opa("import-alias-with");
}

#[test]
fn import_alias_on_a_real_bundle() {
    passes_like_opa("import-alias-order");
}

#[test]
fn normalised_modules_keep_their_lines() {
    let env = Env::new();
    // The aliases on lines 5 and 6 are rewritten to `data.p`; the error
    // must still name line 6 of the user's file.
    let b = env.bundle(
        "n/1.0.0",
        &[
            ("p.rego", "package p\nc := 1\n"),
            (
                "t_test.rego",
                "package t\n\nimport data.p\n\nd := 1 if p.c == 1\nd := 2 if p.c == 1\ntest_c if d == 1\n",
            ),
        ],
    );
    let (code, out, _) = env.run(&["test", b.to_str().unwrap()]);
    assert_eq!(code, 1, "{out}");
    assert!(
        out.contains("t_test.rego:6:1: rule conflicts with rule at"),
        "{out}"
    );
}

#[test]
fn builtins_give_opas_results() {
    passes_like_opa("builtins");
}

#[test]
fn layout_constructs_read_as_opa_reads_them() {
    // Bodiless v1 functions, several bodies for one head, a line starting
    // with `(` after a ref: each fails or loads wrongly in bare regorus.
    passes_like_opa("layout");
}

#[test]
fn some_in_over_a_scalar_iterates_nothing() {
    passes_like_opa("some-in-scalar");
}

#[test]
fn not_over_a_call_with_an_undefined_argument_is_undefined() {
    // OPA binds call arguments before the `not`; `==` and bare references
    // keep the plain reading.
    passes_like_opa("negation");
}

#[test]
fn the_not_warning_is_shown_on_import_and_test() {
    let env = Env::new();
    let src =
        "package w\n\nis_admin(u) if u == \"root\"\n\ndeny if {\n  not is_admin(input.user)\n}\n";
    let b = env.bundle("w/1.0.0", &[("w.rego", src)]);
    let (code, _, err) = env.run(&["import", b.to_str().unwrap()]);
    assert_eq!(code, 0, "{err}");
    assert!(
        err.contains(
            "w.rego:6: `not is_admin(input.user)` is undefined when `input.user` is undefined"
        ),
        "{err}"
    );
    let (_, _, err) = env.run(&["test", b.to_str().unwrap()]);
    assert!(err.contains("write `not input.user` separately"), "{err}");
    let (_, _, err) = env.run(&["test", "w@1.0.0"]);
    assert!(
        err.contains("w.rego:6: `not is_admin(input.user)`"),
        "{err}"
    );
    // And OPA's reading holds in eval: no user, no denial.
    let input = env.dir.path().join("in.json");
    std::fs::write(&input, "{}").unwrap();
    let doc = env.json(&[
        "eval",
        "w@1.0.0",
        "w/deny",
        "--input",
        input.to_str().unwrap(),
    ]);
    assert_eq!(doc["outcome"], "undefined");
}

#[test]
fn the_same_constructs_in_rego_v0() {
    // Twins of the v1 fixtures (those were checked against OPA; the
    // reference binding parses only v1).
    passes_like_opa("v0");
}

#[test]
fn coverage_names_the_users_lines_after_normalisation() {
    let env = Env::new();
    // Line 5 is rewritten (the `not` gets braces and a bound term), lines
    // 8-13 gain a repeated head; coverage must still count the user's lines.
    let policy = "package cov\n\nis_admin(u) if u == \"root\"\n\ndeny if not is_admin(input.user)\n\nv contains m if {\n  input.a\n  m := \"a\"\n} {\n  input.b\n  m := \"b\"\n}\n";
    let tests = "package cov_test\n\ntest_deny if data.cov.deny with input as {\"user\": \"bob\"}\ntest_v if data.cov.v == {\"b\"} with input as {\"b\": true}\n";
    let b = env.bundle("cov", &[("cov.rego", policy), ("cov_test.rego", tests)]);
    let (code, out, err) = env.run(&[
        "--format",
        "json",
        "test",
        b.to_str().unwrap(),
        "--coverage",
    ]);
    assert_eq!(code, 0, "{out}{err}");
    let doc: serde_json::Value = serde_json::from_str(&out).unwrap();
    let files = doc["coverage"]["files"].as_object().unwrap();
    let (_, f) = files.iter().find(|(k, _)| k.ends_with("cov.rego")).unwrap();
    let covered: Vec<u64> = f["covered"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_u64().unwrap())
        .collect();
    let not_covered: Vec<u64> = f["not_covered"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_u64().unwrap())
        .collect();
    assert!(covered.contains(&5), "{covered:?}");
    assert!(
        covered.contains(&11) && covered.contains(&12),
        "{covered:?}"
    );
    assert!(not_covered.contains(&9), "{not_covered:?}");
    assert!(
        covered.iter().chain(&not_covered).all(|l| *l <= 13),
        "{covered:?} {not_covered:?}"
    );
}

#[test]
fn eval_and_replay_read_the_constructs_as_opa_does() {
    let env = Env::new();
    // The fixtures as policy modules (rules of `*_test.rego` files are not
    // entrypoints).
    let fixture = |name: &str| {
        std::fs::read_to_string(
            Path::new(env!("CARGO_MANIFEST_DIR"))
                .join(format!("tests/conformance/{name}/{name}_test.rego")),
        )
        .unwrap()
    };
    let layout = fixture("layout");
    let path = env.bundle("layout/1.0.0", &[("layout.rego", layout.as_str())]);
    let (code, _, err) = env.run(&["import", path.to_str().unwrap()]);
    assert_eq!(code, 0, "{err}");
    let input = env.dir.path().join("in.json");
    std::fs::write(&input, r#"{"a": true, "b": true}"#).unwrap();
    let doc = env.json(&[
        "eval",
        "layout@1.0.0",
        "conformance/layout_test/violation",
        "--input",
        input.to_str().unwrap(),
        "--record",
    ]);
    assert_eq!(doc["result"], serde_json::json!(["a", "b"]));
    let id = doc["decision_id"].as_str().unwrap().to_string();
    let replay = env.json(&["replay", &id]);
    assert_eq!(replay["verdict"], "DETERMINISTIC");

    let negation = fixture("negation");
    let neg = env.bundle("negation/1.0.0", &[("negation.rego", negation.as_str())]);
    env.run(&["import", neg.to_str().unwrap()]);
    std::fs::write(&input, "{}").unwrap();
    let doc = env.json(&[
        "eval",
        "negation@1.0.0",
        "conformance/negation_test/deny_in",
        "--input",
        input.to_str().unwrap(),
        "--record",
    ]);
    assert_eq!(doc["outcome"], "undefined");
    let replay = env.json(&["replay", doc["decision_id"].as_str().unwrap()]);
    assert_eq!(replay["verdict"], "DETERMINISTIC");
    assert_eq!(replay["replayed_outcome"], "undefined");
}
