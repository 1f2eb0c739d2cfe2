//! `gavel eval` through the real binary: outcome, per-rule outcomes, lines
//! that ran, --fail-on, --record, time pinning, and refusals.

mod common;

use common::{Env, samples};
use serde_json::Value;

fn gfr_input(case: usize) -> Value {
    let path = samples().join("gfr-procurement/1.0.0/cases/procurement_awards.json");
    let cases: Value = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    cases[case]["input"].clone()
}

fn with_gfr() -> Env {
    let env = Env::new();
    let dir = samples().join("gfr-procurement/1.0.0");
    let (code, _, err) = env.run(&["import", dir.to_str().unwrap()]);
    assert_eq!(code, 0, "{err}");
    env
}

fn write_input(env: &Env, name: &str, v: &Value) -> String {
    let p = env.dir.path().join(name);
    std::fs::write(&p, serde_json::to_string(v).unwrap()).unwrap();
    p.to_str().unwrap().to_string()
}

#[test]
fn why_was_this_blocked() {
    let env = with_gfr();
    // Case 2: 2,80,000 with only two quotations: BLOCK under 1.0.0.
    let input = write_input(&env, "in.json", &gfr_input(1));
    let doc = env.json(&["eval", "gfr-procurement@1.0.0", "--input", &input]);
    assert_eq!(doc["outcome"], "BLOCK");
    assert_eq!(doc["entrypoint"], "gfr/procurement/decision");
    assert_eq!(
        doc["result"]["reasons"][0]["rule"],
        "insufficient_quotations"
    );
    let outcomes = doc["rule_outcomes"].as_array().unwrap();
    let fired = |name: &str| {
        outcomes
            .iter()
            .find(|r| r["rule"] == name)
            .map(|r| r["fired"].as_bool().unwrap())
    };
    assert_eq!(fired("insufficient_quotations"), Some(true));
    assert_eq!(fired("contract_rationale_missing"), Some(false));
    assert!(
        outcomes
            .iter()
            .all(|r| !r["citations"].as_array().unwrap().is_empty())
    );
    let lines = doc["lines_ran"]["gfr/procurement/competition.rego"]
        .as_array()
        .unwrap();
    assert!(!lines.is_empty());

    let (code, text, _) = env.run(&[
        "eval",
        "gfr-procurement@1.0.0",
        "--input",
        &input,
        "--explain",
    ]);
    assert_eq!(code, 0);
    assert!(text.contains("outcome: BLOCK"), "{text}");
    assert!(text.contains("insufficient_quotations"), "{text}");
    assert!(text.contains("lines that ran:"), "{text}");
    assert!(
        text.contains("gfr/procurement/competition.rego: "),
        "{text}"
    );
}

#[test]
fn fail_on_is_the_ci_gate() {
    let env = with_gfr();
    let blocked = write_input(&env, "b.json", &gfr_input(1));
    let approved = write_input(&env, "a.json", &gfr_input(0));
    let (code, out, _) = env.run(&[
        "eval",
        "gfr-procurement@1.0.0",
        "--input",
        &blocked,
        "--fail-on",
        "BLOCK,ESCALATE",
    ]);
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("in --fail-on"), "{out}");
    let (code, _, _) = env.run(&[
        "eval",
        "gfr-procurement@1.0.0",
        "--input",
        &approved,
        "--fail-on",
        "BLOCK,ESCALATE",
    ]);
    assert_eq!(code, 0);
}

#[test]
fn input_from_stdin_and_bad_input() {
    let env = with_gfr();
    let out = env
        .gavel(&[
            "--format",
            "json",
            "eval",
            "gfr-procurement@1.0.0",
            "--input",
            "-",
        ])
        .write_stdin(serde_json::to_string(&gfr_input(0)).unwrap())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    let doc: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(doc["outcome"], "APPROVE");

    let bad = env.dir.path().join("bad.json");
    std::fs::write(&bad, "{\n  \"contract_value\": ,\n}").unwrap();
    let (code, _, err) = env.run(&[
        "eval",
        "gfr-procurement@1.0.0",
        "--input",
        bad.to_str().unwrap(),
    ]);
    assert_eq!(code, 2);
    assert!(err.contains("bad.json:2:"), "{err}");
}

const CLOCK: &str = "package clock\n\n# METADATA\n# entrypoint: true\n# custom:\n#   citation: Clock Act s.1\ndecision := {\"outcome\": \"APPROVE\", \"now\": time.now_ns()}\n";

#[test]
fn record_pins_time_and_stores_the_decision() {
    let env = Env::new();
    let b = env.bundle("clock/1.0.0", &[("c.rego", CLOCK)]);
    env.run(&["import", b.to_str().unwrap()]);
    let input = write_input(&env, "in.json", &serde_json::json!({}));
    let a = env.json(&[
        "eval",
        "clock@1.0.0",
        "--input",
        &input,
        "--now",
        "2026-11-20T10:00:00Z",
        "--record",
    ]);
    let b2 = env.json(&[
        "eval",
        "clock@1.0.0",
        "--input",
        &input,
        "--now",
        "2026-11-20T10:00:00Z",
    ]);
    assert_eq!(a["result"], b2["result"]);
    assert_eq!(a["result"]["now"], 1_795_168_800_000_000_000_i64);
    let id = a["decision_id"].as_str().unwrap();

    let conn = rusqlite::Connection::open(&env.db).unwrap();
    let (event, outcome, hash): (String, String, String) = conn
        .query_row(
            "SELECT event, outcome, policy_hash FROM decisions WHERE decision_id = ?1",
            [id],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
        )
        .unwrap();
    let event: Value = serde_json::from_str(&event).unwrap();
    assert_eq!(outcome, "APPROVE");
    assert!(hash.starts_with("sha256:"));
    assert_eq!(event["path"], "clock/decision");
    assert_eq!(event["bundles"]["clock"]["revision"], "1.0.0");
    assert_eq!(
        event["nd_builtin_cache"]["time.now_ns"]["[]"],
        1_795_168_800_000_000_000_i64
    );
    assert_eq!(event["timestamp"], "2026-11-20T10:00:00Z");
}

#[test]
fn entrypoints_must_be_unambiguous() {
    let env = Env::new();
    let two = "package two\n\n# METADATA\n# entrypoint: true\na := 1\n\n# METADATA\n# entrypoint: true\nb := 2\n";
    let b = env.bundle("two/1.0.0", &[("t.rego", two)]);
    env.run(&["import", b.to_str().unwrap()]);
    let input = write_input(&env, "in.json", &serde_json::json!({}));
    let (code, _, err) = env.run(&["eval", "two@1.0.0", "--input", &input]);
    assert_eq!(code, 2);
    assert!(
        err.contains("several entrypoints: name one of two/a, two/b"),
        "{err}"
    );
    let doc = env.json(&["eval", "two@1.0.0", "two/b", "--input", &input]);
    assert_eq!(doc["result"], 2);
    assert_eq!(doc["outcome"], "defined");
    let doc = env.json(&["eval", "two@1.0.0", "data.two.a", "--input", &input]);
    assert_eq!(doc["result"], 1);
    let (code, _, err) = env.run(&["eval", "two@1.0.0", "two/zzz", "--input", &input]);
    assert_eq!(code, 2);
    assert!(err.contains("no rule two/zzz"), "{err}");
}

#[test]
fn undefined_results_and_deny_sets() {
    let env = Env::new();
    let src = "package d\n\n# METADATA\n# custom:\n#   citation: D s.1\ndeny contains \"no owner\" if not input.owner\n\nmaybe if input.x == 1\n";
    let b = env.bundle("d/1.0.0", &[("d.rego", src)]);
    env.run(&["import", b.to_str().unwrap()]);
    let input = write_input(&env, "in.json", &serde_json::json!({}));
    let doc = env.json(&["eval", "d@1.0.0", "d/deny", "--input", &input]);
    assert_eq!(doc["outcome"], "deny");
    assert_eq!(doc["rule_outcomes"][0]["fired"], true);
    let doc = env.json(&["eval", "d@1.0.0", "d/maybe", "--input", &input]);
    assert_eq!(doc["outcome"], "undefined");
    assert!(doc["result"].is_null());
}

#[test]
fn recursion_is_refused_before_evaluation() {
    let env = Env::new();
    let src = "package r\n\nf(x) := y if {\n  y := f(x + 1)\n}\n\nv := f(1)\n";
    let b = env.bundle("r/1.0.0", &[("r.rego", src)]);
    let (code, _, err) = env.run(&["import", b.to_str().unwrap()]);
    assert_eq!(code, 2, "{err}");
    assert!(
        err.contains("r.rego:3: rego_recursion_error: rule data.r.f is recursive"),
        "{err}"
    );
    let (code, _, err) = env.run(&["test", b.to_str().unwrap()]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("rego_recursion_error"), "{err}");
}

#[test]
fn evaluations_stop_at_the_time_limit() {
    let env = Env::new();
    let src = "package slow\n\n# METADATA\n# entrypoint: true\nn := count([1 |\n  some i in numbers.range(1, 3000)\n  some j in numbers.range(1, 3000)\n  some k in numbers.range(1, 3000)\n])\n";
    let b = env.bundle("slow/1.0.0", &[("s.rego", src)]);
    env.run(&["import", b.to_str().unwrap()]);
    let input = write_input(&env, "in.json", &serde_json::json!({}));
    let started = std::time::Instant::now();
    let (code, _, err) = env.run(&["eval", "slow@1.0.0", "--input", &input, "--timeout", "0.5"]);
    assert_eq!(code, 2, "{err}");
    assert!(
        started.elapsed().as_secs() < 20,
        "took {:?}",
        started.elapsed()
    );
    assert!(err.contains("evaluation failed"), "{err}");
}

/// A pattern of Elastic's cloudbeat library (`main.findings`): each rule of
/// the benchmark in hand evaluated `with` a data document replaced by one
/// read through the benchmark variable. OPA evaluates the value first, in
/// the bindings around it; regorus read it under the modifier and found
/// nothing, so every finding was lost (85 of 95 replayed decisions
/// DIVERGED). The expected results are the reference OPA engine's.
#[test]
fn a_with_value_read_through_a_variable_is_evaluated_first() {
    let env = Env::new();
    let main = concat!(
        "package main\n\nimport data.compliance\n\n",
        "findings := f if {\n",
        "  benchmark := input.benchmark\n",
        "  f := {finding |\n",
        "    result := compliance[benchmark].rules[rule].finding with data.benchmark_data_adapter as compliance[benchmark].data_adapter\n",
        "    finding = {\"result\": result, \"rule\": compliance[benchmark].rules[rule].metadata}\n",
        "  }\n",
        "}\n\n",
        "findings := f if {\n",
        "  not input.benchmark\n",
        "  f := {finding |\n",
        "    result := compliance[benchmark].rules[rule].finding with data.benchmark_data_adapter as compliance[benchmark].data_adapter\n",
        "    finding = {\"result\": result, \"rule\": compliance[benchmark].rules[rule].metadata}\n",
        "  }\n",
        "}\n",
    );
    let b = env.bundle(
        "cb/1.0.0",
        &[
            ("main.rego", main),
            (
                "compliance/b/data_adapter.rego",
                "package compliance.b.data_adapter\n\nx := 1\n",
            ),
            (
                "compliance/b/rules/r1/rule.rego",
                "package compliance.b.rules.r1\n\nfinding := \"x\" if input.subType == \"s\"\n",
            ),
            ("compliance/b/rules/r1/data.yaml", "metadata:\n  id: 1\n"),
        ],
    );
    let (code, _, err) = env.run(&["import", b.to_str().unwrap()]);
    assert_eq!(code, 0, "{err}");
    let expected = serde_json::json!([{"result": "x", "rule": {"id": 1}}]);
    for input in [
        serde_json::json!({"benchmark": "b", "subType": "s"}),
        serde_json::json!({"subType": "s"}),
    ] {
        let path = write_input(&env, "in.json", &input);
        let doc = env.json(&["eval", "cb@1.0.0", "main/findings", "--input", &path]);
        assert_eq!(doc["result"], expected, "{input}");
    }
}

/// A one-module version `NAME@1.0.0` (NAME.rego) imported, and one
/// decision event of it.
fn one_decision_stored(env: &Env, name: &str, rego: &str, event: &str) {
    let b = env.bundle(&format!("{name}/1.0.0"), &[(&format!("{name}.rego"), rego)]);
    let (code, _, err) = env.run(&["import", b.to_str().unwrap()]);
    assert_eq!(code, 0, "{err}");
    let log = env.dir.path().join("log.jsonl");
    std::fs::write(&log, format!("{event}\n")).unwrap();
    let (code, _, err) = env.run(&["decisions", "import", log.to_str().unwrap()]);
    assert_eq!(code, 0, "{err}");
}

/// A batch replay says how many decisions had a VM program and why the
/// others ran on the interpreter (a `with` the VM's compiler refuses).
#[test]
fn a_replay_names_why_the_vm_could_not_take_an_entrypoint() {
    let env = Env::new();
    one_decision_stored(
        &env,
        "w",
        "package w\n\nr := x if {\n  x := input.a with input.b as 1\n}\n",
        r#"{"decision_id":"d1","path":"w/r","input":{"a":7},"result":7,"timestamp":"2026-11-20T10:00:00Z","bundles":{"w":{"revision":"1.0.0"}}}"#,
    );
    let (code, out, err) = env.run(&["replay", "--all"]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.contains("DETERMINISTIC 1"), "{out}");
    assert!(
        out.contains("bytecode VM: 0 of 1 decisions had a program; the interpreter ran 1"),
        "{out}"
    );
    assert!(
        out.contains(
            "1 × w/r of w@1.0.0: regorus's VM compiler: WithKeywordUnsupported at w.rego:4:3"
        ),
        "{out}"
    );
    let doc = env.json(&["replay", "--all"]);
    assert_eq!(doc["vm_coverage"]["with_program"], 0, "{doc}");
}

/// A local assigned to another (`m := n`, as Elastic's cloudbeat writes
/// `key_length := seperator_index`) no longer keeps a version off the VM.
#[test]
fn a_local_assigned_to_another_runs_on_the_vm() {
    let env = Env::new();
    one_decision_stored(
        &env,
        "k",
        "package k\n\nr := m if {\n  n := count(input.s)\n  m := n\n}\n",
        r#"{"decision_id":"d1","path":"k/r","input":{"s":"abc"},"result":3,"timestamp":"2026-11-20T10:00:00Z","bundles":{"k":{"revision":"1.0.0"}}}"#,
    );
    let (code, out, err) = env.run(&["replay", "--all"]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.contains("DETERMINISTIC 1"), "{out}");
    // The coverage line is shown only when some decision had no program.
    assert!(!out.contains("bytecode VM:"), "{out}");
    let doc = env.json(&["replay", "--all"]);
    assert_eq!(doc["verdicts"]["DETERMINISTIC"], 1, "{doc}");
    assert!(doc.get("vm_coverage").is_none(), "{doc}");
}
