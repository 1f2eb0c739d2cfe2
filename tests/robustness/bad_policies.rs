//! Policies that would hang or kill the process: refused at import (exit 2,
//! `file:line[:col]`), or stopped at evaluation with an error naming the
//! limit, never a stack overflow, an abort or a hang, and nothing stored
//! before lost.

use std::time::{Duration, Instant};

use crate::common::Env;
use crate::support::{Snapshot, assert_refused, populated, snapshot};

/// Imports a one-module bundle; expects it refused, quickly.
fn import_refused(env: &Env, before: &Snapshot, name: &str, rego: &str, expect: &[&str]) {
    let dir = env.bundle(name, &[("p.rego", rego)]);
    let started = Instant::now();
    let (code, _, err) = env.run(&[
        "import",
        dir.to_str().unwrap(),
        "--name",
        name,
        "--version",
        "1.0.0",
    ]);
    assert_refused(code, &err, 2, expect);
    assert!(
        started.elapsed() < Duration::from_secs(20),
        "{name}: took {:?}",
        started.elapsed()
    );
    assert_eq!(&snapshot(env), before, "{name}: the store changed");
    // `gavel test DIR` loads it the other way (no catalog first): refused too.
    let (code, _, err) = env.run(&["test", dir.to_str().unwrap()]);
    assert_refused(code, &err, 2, &expect[..1]);
}

/// Imports a one-module bundle as `name@1.0.0`; it must load.
fn import_ok(env: &Env, name: &str, rego: &str) {
    let dir = env.bundle(name, &[("p.rego", rego)]);
    let (code, _, err) = env.run(&[
        "import",
        dir.to_str().unwrap(),
        "--name",
        name,
        "--version",
        "1.0.0",
    ]);
    assert_eq!(code, 0, "{name}: {err}");
}

/// Imports a bundle that loads, then evaluates `rule` on `{}`.
fn eval(env: &Env, name: &str, rego: &str, rule: &str) -> (i32, String, Duration) {
    import_ok(env, name, rego);
    let input = env.dir.path().join("empty.json");
    std::fs::write(&input, "{}").unwrap();
    let started = Instant::now();
    let version = format!("{name}@1.0.0");
    let (code, _, err) = env.run(&["eval", &version, rule, "--input", input.to_str().unwrap()]);
    (code, err, started.elapsed())
}

/// The store kept what it had: the old versions, the decisions, the chain.
fn kept(env: &Env, before: &Snapshot) {
    let after = snapshot(env);
    let old: Vec<_> = after
        .versions()
        .iter()
        .filter(|v| before.versions().contains(v))
        .collect();
    assert_eq!(old.len(), before.versions().len());
    assert_eq!(after.decisions(), before.decisions());
}

#[test]
fn unbounded_recursion_is_refused_at_import() {
    let (env, before) = populated();
    import_refused(
        &env,
        &before,
        "recursive",
        "package recursive\n\nf(x) := y if {\n  y := f(x + 1)\n}\n\nallow if f(1) > 0\n",
        &["recursive/p.rego:3: rego_recursion_error: rule data.recursive.f is recursive"],
    );
}

#[test]
fn literals_nested_as_generated_documents_nest_load_quickly() {
    let (env, _) = populated();
    // regorus's own parser doubles its time with each of these levels
    // (depth 20 did not finish in a minute); Gavel hands it an equal form.
    for (shape, open, close) in [
        ("arrays", "[", "]"),
        ("objects", "{\"k\": ", "}"),
        ("sets", "{", "}"),
        ("mixed", "[{\"k\": ", "}]"),
    ] {
        for levels in [11, 32] {
            // The mixed shape nests two literals a step.
            let depth = if shape == "mixed" { levels / 2 } else { levels };
            let name = format!("{shape}{levels}");
            let name = name.as_str();
            let rego = format!(
                "package {name}\n\nx := {}1{}\n",
                open.repeat(depth),
                close.repeat(depth)
            );
            let started = Instant::now();
            let (code, err, _) = eval(&env, name, &rego, &format!("{name}/x"));
            assert_eq!(code, 0, "{name}: {err}");
            assert!(
                started.elapsed() < Duration::from_secs(10),
                "{name}: took {:?}",
                started.elapsed()
            );
        }
    }
}

#[test]
fn nesting_that_would_overflow_the_stack_is_refused() {
    let (env, before) = populated();
    // Each of these aborted the process with a stack overflow.
    let shapes = [
        (
            "arrays",
            format!("x := {}1{}", "[1,\n".repeat(2_000), "]".repeat(2_000)),
            "nested too deeply",
        ),
        (
            "literals",
            format!("x := {}1{}", "[1,\n".repeat(60), "]".repeat(60)),
            "expression nested too deeply (depth 201",
        ),
        (
            "calls",
            format!("x := {}1{}", "abs(\n".repeat(2_000), ")".repeat(2_000)),
            "nested too deeply",
        ),
        (
            "minus",
            format!("x := {}1", "-".repeat(1_000)),
            "nested too deeply",
        ),
        (
            "plus",
            format!("x := {}1", "1 +\n".repeat(3_000)),
            "expression nested too deeply",
        ),
    ];
    for (name, body, why) in shapes {
        let rego = format!("package {name}\n\n{body}\n");
        import_refused(
            &env,
            &before,
            name,
            &rego,
            &[&format!("{name}/p.rego:"), why],
        );
    }
}

#[test]
fn a_chain_of_rules_too_deep_to_evaluate_is_refused() {
    let (env, before) = populated();
    // Imported fine before, then overflowed the stack at the first eval.
    let mut rego = String::from("package chain\n\nr0 := 1\n");
    for i in 1..500 {
        rego.push_str(&format!("r{i} := r{} + 1\n", i - 1));
    }
    import_refused(
        &env,
        &before,
        "chain",
        &rego,
        &[
            "chain/p.rego:",
            "rule data.chain.r499 reads a chain of 500 rules too deep",
        ],
    );
}

#[test]
fn expensive_evaluation_stops_at_the_time_limit() {
    let (env, before) = populated();
    // Many cheap steps: the cooperative timer stops it at 5 s.
    let rego = "package slow\n\nspin := count({x | some i in numbers.range(1, 2000); some j in numbers.range(1, 2000); x := i * j})\n";
    let (code, err, took) = eval(&env, "slow", rego, "slow/spin");
    assert_refused(code, &err, 2, &["slow/spin", "time limit"]);
    assert!(took < Duration::from_secs(30), "{took:?}");
    // `gavel test --timeout`: the test errors (exit 1), the run goes on.
    let dir = env.bundle(
        "slowtest",
        &[(
            "p_test.rego",
            &format!(
                "{}\ntest_spin if spin > 0\n\ntest_quick if true\n",
                rego.replace("package slow", "package slowtest")
            ),
        )],
    );
    let (code, out, err) = env.run(&["test", dir.to_str().unwrap(), "--timeout", "1"]);
    assert_refused(code, &err, 1, &[]);
    assert!(out.contains("time limit"), "{out}");
    assert!(out.contains("PASS: 1/2"), "{out}");
    kept(&env, &before);
}

#[test]
fn builtins_that_would_abort_in_one_call_are_errors() {
    let (env, before) = populated();
    // numbers.range allocates its whole result at once: 10^14 numbers
    // aborted the process on a failed allocation.
    let rego = "package bomb\n\nhuge := count(numbers.range(1, 100000000000000))\n\nwide := sprintf(\"%099999999999d\", [1])\n\nodd := sprintf(\"%\u{bd}d\", [1])\n";
    let (code, err, _) = eval(&env, "bomb", rego, "bomb/huge");
    assert_refused(
        code,
        &err,
        2,
        &[
            "p.rego:3:",
            "numbers.range: 100000000000000 numbers",
            "limit of 10000000",
        ],
    );
    let input = env.dir.path().join("empty.json");
    for (rule, why) in [
        ("bomb/wide", "width 099999999999 is more than"),
        ("bomb/odd", "is not a width"),
    ] {
        let (code, _, err) = env.run(&[
            "eval",
            "bomb@1.0.0",
            rule,
            "--input",
            input.to_str().unwrap(),
        ]);
        assert_refused(code, &err, 2, &[why]);
    }
    kept(&env, &before);
}

#[test]
fn regex_on_a_huge_string_finishes() {
    let (env, before) = populated();
    // The regex crate matches in linear time: no catastrophic backtracking.
    let rego = "package re\n\nhuge := concat(\"\", [s | some i in numbers.range(1, 200000); s := \"aaaaaaaaaa\"])\n\nmatched := regex.match(\"(a+)+b\", huge)\n";
    let (code, err, took) = eval(&env, "re", rego, "re/matched");
    assert_eq!(code, 0, "{err}");
    assert!(took < Duration::from_secs(20), "{took:?}");
    kept(&env, &before);
}

#[test]
fn batch_replay_survives_builtins_regorus_would_panic_or_abort_on() {
    // The VM runs regorus's own builtins: a sprintf it panics on must not
    // end the batch, and a numbers.range that would abort keeps the policy
    // on the interpreter's guarded builtins.
    let env = Env::new();
    for (name, rego) in [
        (
            "panicky",
            "package p\n\ndecision := {\"outcome\": \"APPROVE\", \"note\": sprintf(\"%099999999999d\", [1])} if input.go\n",
        ),
        (
            "hungry",
            "package p\n\ndecision := {\"outcome\": \"APPROVE\", \"n\": count(numbers.range(1, 100000000000000))} if input.go\n",
        ),
    ] {
        import_ok(&env, name, rego);
        let log = env.dir.path().join(format!("{name}.jsonl"));
        std::fs::write(
            &log,
            format!(
                "{{\"decision_id\": \"{name}-1\", \"path\": \"p/decision\", \"input\": {{\"go\": true}}, \
                 \"timestamp\": \"2026-11-20T10:00:00Z\", \"bundles\": {{\"{name}\": {{\"revision\": \"1.0.0\"}}}}}}\n"
            ),
        )
        .unwrap();
        let (code, _, err) = env.run(&["decisions", "import", log.to_str().unwrap()]);
        assert_eq!(code, 0, "{name}: {err}");
        let (code, out, err) = env.run(&["replay", "--all", "--version", &format!("{name}@1.0.0")]);
        assert!(
            !err.contains("panicked") && !err.contains("memory allocation"),
            "{name}: {err}"
        );
        // A decision that cannot be replayed fails the check (exit 1).
        assert_eq!(code, 1, "{name}: {out}{err}");
        // The interpreter's guarded builtin refuses it: an ERROR that names
        // Gavel's limit, and the batch goes on.
        assert!(
            out.contains("ERROR 1") && out.contains("limit"),
            "{name}: {out}"
        );
    }
}
