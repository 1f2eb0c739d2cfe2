//! `gavel test` through the real binary: verdicts of every kind in text,
//! JSON and JUnit; coverage and thresholds; --run; recorded runs.

mod common;

use common::{Env, copy_dir, samples};
use quick_xml::events::Event;
use serde_json::Value;

const BROKEN_TESTS: &str = r#"package gfr.procurement_broken_test

import data.gfr.procurement

test_fails if {
  data.gfr.procurement.decision.outcome == "NO_SUCH_OUTCOME" with input as {"contract_value": 1}
}

test_undefined if {
  data.gfr.procurement.no_such_rule with input as {}
}

test_non_boolean := "yes"

c := 1 if true
c := 2 if true
test_errors if c == 1

test_prints if {
  print("looking at", 42)
  false
}

todo_test_later if false
"#;

/// A copy of a sample with broken tests and a broken case added.
fn broken_sample(env: &Env) -> std::path::PathBuf {
    let copy = env.dir.path().join("broken/1.0.0");
    copy_dir(&samples().join("gfr-procurement/1.0.0"), &copy);
    std::fs::write(copy.join("gfr/procurement/broken_test.rego"), BROKEN_TESTS).unwrap();
    let cases = serde_json::json!([
        {"name": "wrong outcome", "input": {"contract_value": 1}, "expect": {"outcome": "ESCALATE"}},
        {"name": "wrong result", "input": {"contract_value": 1}, "expect": {"result": {"outcome": "BLOCK", "reasons": []}}}
    ]);
    std::fs::write(copy.join("cases/broken.json"), cases.to_string()).unwrap();
    copy
}

#[test]
fn every_sample_suite_passes() {
    let env = Env::new();
    for regime in std::fs::read_dir(samples()).unwrap() {
        let regime = regime.unwrap().path();
        if !regime.is_dir() {
            continue;
        }
        for version in std::fs::read_dir(&regime).unwrap() {
            let dir = version.unwrap().path();
            if !dir.is_dir() {
                continue;
            }
            let (code, out, err) = env.run(&["test", dir.to_str().unwrap()]);
            assert_eq!(code, 0, "{}: {out}{err}", dir.display());
            assert!(out.contains("PASS: "), "{out}");
            assert!(!out.contains("FAIL: "), "{out}");
        }
    }
}

#[test]
fn failure_kinds_in_text() {
    let env = Env::new();
    let dir = broken_sample(&env);
    let (code, out, _) = env.run(&["test", dir.to_str().unwrap()]);
    assert_eq!(code, 1, "{out}");
    for line in [
        "  FAIL  test_fails",
        "  FAIL  test_undefined",
        "  FAIL  test_non_boolean",
        "  ERROR test_errors",
        "  FAIL  test_prints",
        "  SKIP  todo_test_later",
        "  FAIL  wrong outcome",
        "  FAIL  wrong result",
    ] {
        assert!(out.contains(line), "missing {line:?} in\n{out}");
    }
    assert!(out.contains("value: undefined"), "{out}");
    assert!(out.contains("value: \"yes\""), "{out}");
    assert!(out.contains("rule conflicts with rule"), "{out}");
    assert!(out.contains("broken_test.rego:20: looking at 42"), "{out}");
    assert!(
        out.contains("expected outcome ESCALATE, got BLOCK"),
        "{out}"
    );
    assert!(out.contains("--- expected"), "{out}");
    assert!(
        out.contains("broken_test.rego:5: test_fails") || out.contains("broken_test.rego:5"),
        "{out}"
    );
    assert!(out.contains("FAIL: 6/"), "{out}");
    assert!(out.contains("ERROR: 1/"), "{out}");
    assert!(out.contains("SKIPPED: 1/"), "{out}");
}

#[test]
fn failure_kinds_in_json() {
    let env = Env::new();
    let dir = broken_sample(&env);
    let (code, out, _) = env.run(&["--format", "json", "test", dir.to_str().unwrap()]);
    assert_eq!(code, 1);
    let doc: Value = serde_json::from_str(&out).unwrap();
    let find = |name: &str| {
        doc["tests"]
            .as_array()
            .unwrap()
            .iter()
            .find(|t| t["name"] == name)
            .unwrap()
            .clone()
    };
    assert_eq!(find("test_fails")["result"], "FAIL");
    assert_eq!(
        find("test_fails")["package"],
        "data.gfr.procurement_broken_test"
    );
    assert_eq!(find("test_fails")["line"], 5);
    assert!(
        find("test_fails")["file"]
            .as_str()
            .unwrap()
            .ends_with("gfr/procurement/broken_test.rego")
    );
    assert!(find("test_fails")["duration_ns"].as_u64().is_some());
    assert_eq!(find("test_undefined")["result"], "FAIL");
    assert!(find("test_undefined").get("value").is_none());
    assert_eq!(find("test_non_boolean")["value"], "yes");
    assert_eq!(find("test_errors")["result"], "ERROR");
    assert!(
        find("test_errors")["error"]
            .as_str()
            .unwrap()
            .contains("conflicts")
    );
    assert!(
        find("test_prints")["output"][0]
            .as_str()
            .unwrap()
            .ends_with("looking at 42")
    );
    assert_eq!(find("todo_test_later")["result"], "SKIP");
    assert_eq!(find("wrong outcome")["expected"]["outcome"], "ESCALATE");
    assert_eq!(find("wrong outcome")["actual"]["outcome"], "BLOCK");
    assert_eq!(doc["summary"]["error"], 1);
}

#[test]
fn failure_kinds_in_junit() {
    let env = Env::new();
    let dir = broken_sample(&env);
    let (code, out, _) = env.run(&["--format", "junit", "test", dir.to_str().unwrap()]);
    assert_eq!(code, 1);
    // Well-formed, and shaped as JUnit readers expect.
    let mut reader = quick_xml::Reader::from_str(&out);
    let (mut suites, mut cases, mut failures, mut errors, mut skipped) = (0, 0, 0, 0, 0);
    let mut root_attrs = Vec::new();
    let mut depth = 0;
    loop {
        match reader.read_event().expect("well-formed XML") {
            Event::Start(e) | Event::Empty(e) => {
                let name = AsRef::<str>::as_ref(&e.name()).to_string();
                let attrs: Vec<(String, String)> = e
                    .attributes()
                    .map(|a| {
                        let a = a.unwrap();
                        let key = AsRef::<str>::as_ref(&a.key).to_string();
                        (
                            key,
                            a.normalized_value(quick_xml::XmlVersion::Implicit1_0)
                                .unwrap()
                                .into_owned(),
                        )
                    })
                    .collect();
                match name.as_str() {
                    "testsuites" => {
                        assert_eq!(depth, 0);
                        root_attrs = attrs;
                    }
                    "testsuite" => {
                        suites += 1;
                        for k in ["name", "tests", "failures", "errors", "skipped", "time"] {
                            assert!(attrs.iter().any(|(a, _)| a == k), "testsuite lacks {k}");
                        }
                    }
                    "testcase" => {
                        cases += 1;
                        for k in ["classname", "name", "time"] {
                            assert!(attrs.iter().any(|(a, _)| a == k), "testcase lacks {k}");
                        }
                    }
                    "failure" => failures += 1,
                    "error" => errors += 1,
                    "skipped" => skipped += 1,
                    "system-out" => {}
                    other => panic!("unexpected element {other}"),
                }
                depth += 1;
            }
            Event::Eof => break,
            _ => {}
        }
    }
    let root = |k: &str| {
        root_attrs
            .iter()
            .find(|(a, _)| a == k)
            .unwrap()
            .1
            .parse::<usize>()
            .unwrap()
    };
    assert!(suites >= 2);
    assert_eq!(root("tests"), cases);
    assert_eq!(root("failures"), failures);
    assert_eq!(root("errors"), errors);
    assert_eq!(root("skipped"), skipped);
    assert_eq!((failures, errors, skipped), (6, 1, 1));
}

#[test]
fn run_filters_by_full_name() {
    let env = Env::new();
    let dir = broken_sample(&env);
    let doc = {
        let (_, out, _) = env.run(&[
            "--format",
            "json",
            "test",
            dir.to_str().unwrap(),
            "--run",
            "broken_test.test_(fails|errors)$",
        ]);
        serde_json::from_str::<Value>(&out).unwrap()
    };
    let names: Vec<&str> = doc["tests"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["test_fails", "test_errors"]);
}

#[test]
fn a_module_that_does_not_parse_stops_the_run() {
    let env = Env::new();
    let dir = broken_sample(&env);
    std::fs::write(
        dir.join("gfr/procurement/zz_bad.rego"),
        "package x\n\nallow if {\n",
    )
    .unwrap();
    let (code, out, err) = env.run(&["test", dir.to_str().unwrap()]);
    assert_eq!(code, 2, "{out}");
    assert!(err.contains("zz_bad.rego:"), "{err}");
    assert!(!out.contains("PASS"), "{out}");
}

#[test]
fn coverage_threshold_and_recorded_runs() {
    let env = Env::new();
    // A rule no test reaches keeps coverage below 100 %.
    let src = "package c\n\n# METADATA\n# custom:\n#   citation: C s.1\nhigh if {\n  input.x > 10\n}\n\n# METADATA\n# custom:\n#   citation: C s.2\nlow if {\n  input.x < 0\n}\n";
    let tests = "package c_test\n\ntest_high if data.c.high with input as {\"x\": 11}\n";
    let b = env.bundle("c/1.0.0", &[("c.rego", src), ("c_test.rego", tests)]);
    env.run(&["import", b.to_str().unwrap()]);
    let (code, out, _) = env.run(&["test", "c@1.0.0", "--threshold", "90"]);
    assert_eq!(code, 1, "{out}");
    assert!(
        out.contains("coverage 50.00% is below the threshold 90%"),
        "{out}"
    );
    assert!(
        out.contains("rules no test reaches:\n  low (c.rego:13)"),
        "{out}"
    );
    assert!(out.contains("C s.2: low"), "{out}");
    assert!(out.contains("recorded test run #1 of c@1.0.0"), "{out}");
    let (code, _, _) = env.run(&["test", "c@1.0.0", "--threshold", "50"]);
    assert_eq!(code, 0);

    let (_, out, _) = env.run(&["--format", "json", "test", "c@1.0.0", "--coverage"]);
    let doc: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(doc["coverage"]["coverage"], 50.0);
    assert_eq!(
        doc["coverage"]["files"]["c.rego"]["not_covered"],
        serde_json::json!([14])
    );
    let high = doc["coverage"]["rules"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["rule"] == "high")
        .unwrap()
        .clone();
    assert_eq!(high["tests"], serde_json::json!(["data.c_test.test_high"]));

    let m = env.json(&["matrix", "c@1.0.0"]);
    assert_eq!(m["tested"], true);
    let rows = m["rows"].as_array().unwrap();
    let row = |r: &str| rows.iter().find(|x| x["rule"] == r).unwrap().clone();
    assert_eq!(row("high")["tests"], 1);
    assert_eq!(row("high")["coverage"], 100.0);
    assert_eq!(row("low")["tests"], 0);
    assert_eq!(row("low")["coverage"], 0.0);
}

#[test]
fn data_files_load_as_opa_test_loads_them() {
    let env = Env::new();
    // No manifest: every JSON/YAML file is data under its directory's path.
    let plain = env.bundle(
        "plain",
        &[
            ("p.rego", "package p\nlimit := data.cfg.limits.max\n"),
            ("cfg/limits.json", r#"{"limits": {"max": 3}}"#),
            ("cfg/more.yaml", "names: [a, b]\n"),
            ("p_test.rego", "package p_test\ntest_max if data.p.limit == 3\ntest_names if data.cfg.names == [\"a\", \"b\"]\n"),
        ],
    );
    let (code, out, err) = env.run(&["test", plain.to_str().unwrap()]);
    assert_eq!(code, 0, "{out}{err}");
    // With a manifest it is a bundle: only data.json / data.yaml are data.
    let bundled = env.bundle(
        "bundled",
        &[
            (".manifest", "{}"),
            ("p.rego", "package p\nlimit := data.cfg.limits.max\n"),
            ("cfg/limits.json", r#"{"limits": {"max": 3}}"#),
            (
                "p_test.rego",
                "package p_test\ntest_max if data.p.limit == 3\n",
            ),
        ],
    );
    let (code, out, _) = env.run(&["test", bundled.to_str().unwrap()]);
    assert_eq!(code, 1, "{out}");
}

/// Printing a number past float64 used to panic inside regorus (its JSON
/// writer refused it; that panic failed the test and the run went on).
/// With serde_json's `arbitrary_precision` it prints the number's digits,
/// as OPA does. No builtin of regorus 0.14.1 is known to panic now: turning
/// a panic into the test's error is covered in `panics.rs`.
#[test]
fn numbers_past_float64_print_and_the_run_goes_on() {
    let env = Env::new();
    let dir = env.bundle(
        "prints/1.0.0",
        &[(
            "p_test.rego",
            "package p\n\ntest_print if print(1e308 * 10)\n\ntest_subset if object.subset([1, 2], [])\n",
        )],
    );
    let (code, out, err) = env.run(&["--format", "json", "test", dir.to_str().unwrap()]);
    assert_eq!(code, 0, "{out}{err}");
    let results: serde_json::Value = serde_json::from_str(&out).unwrap();
    let printed = &results["tests"][0]["output"][0];
    let expected = format!("1{}", "0".repeat(309));
    assert!(
        printed
            .as_str()
            .is_some_and(|p| p.ends_with(&format!(":3: {expected}"))),
        "{printed}"
    );
    assert!(!err.contains("panicked"), "{err}");
}

/// `opa test rule_data.yml policy/`: a data file, or a directory of data
/// files, beside the policy's directory.
#[test]
fn data_files_and_data_directories_join_a_test_run() {
    let env = Env::new();
    let policy = env.bundle(
        "policy",
        &[(
            "p_test.rego",
            "package p_test\n\ntest_limit if data.limits.max == 3\n\ntest_region if data.region == \"eu\"\n",
        )],
    );
    let data = env.bundle("data", &[("rule_data.yml", "limits:\n  max: 3\n")]);
    let file = env.dir.path().join("extra.json");
    std::fs::write(&file, r#"{"region": "eu"}"#).unwrap();
    let (code, out, err) = env.run(&[
        "test",
        file.to_str().unwrap(),
        data.to_str().unwrap(),
        policy.to_str().unwrap(),
    ]);
    assert_eq!(code, 0, "{out}{err}");
    let (code, _, err) = env.run(&["test", data.to_str().unwrap()]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("no .rego files among them"), "{err}");
}

/// A host's builtins (conftest, a build system) declared in OPA's
/// capabilities format: without them the library is refused at load with
/// each call's place; with them it loads, tests stub them with `with`, and
/// an unmocked call is that test's error naming the builtin. A version
/// imported with `--capabilities` keeps the file.
#[test]
fn host_builtins_come_from_a_capabilities_file() {
    let env = Env::new();
    let policy = "package host\n\n# METADATA\n# entrypoint: true\ndecision := {\"outcome\": \"BLOCK\"} if {\n  ec.oci.blob(input.ref) == \"bad\"\n} else := {\"outcome\": \"APPROVE\"}\n";
    let tests = "package host_test\n\nimport data.host\n\ntest_blocked if host.decision.outcome == \"BLOCK\" with ec.oci.blob as \"bad\" with input.ref as \"r\"\n\ntest_mocked_by_function if host.decision.outcome == \"APPROVE\" with ec.oci.blob as fake_blob with input.ref as \"r\"\n\nfake_blob(_) := \"good\"\n\ntest_unmocked if host.decision with input.ref as \"r\"\n";
    let dir = env.bundle(
        "host/1.0.0",
        &[("policy.rego", policy), ("policy_test.rego", tests)],
    );
    let (code, _, err) = env.run(&["test", dir.to_str().unwrap()]);
    assert_eq!(code, 2, "{err}");
    assert!(
        err.contains("policy.rego:6:3: rego_type_error: undefined function ec.oci.blob"),
        "{err}"
    );
    let caps = env.dir.path().join("caps.json");
    std::fs::write(
        &caps,
        r#"{"builtins": [{"name": "ec.oci.blob", "decl": {"type": "function", "args": [{"type": "string"}], "result": {"type": "string"}}}]}"#,
    )
    .unwrap();
    let run = |target: &str, extra: &[&str]| {
        let mut args = vec!["test", target];
        args.extend_from_slice(extra);
        env.run(&args)
    };
    let (code, out, err) = run(
        dir.to_str().unwrap(),
        &["--capabilities", caps.to_str().unwrap()],
    );
    assert_eq!(code, 1, "{out}{err}");
    assert!(out.contains("PASS  test_blocked"), "{out}");
    assert!(out.contains("PASS  test_mocked_by_function"), "{out}");
    assert!(out.contains("ERROR test_unmocked"), "{out}");
    assert!(
        out.contains("ec.oci.blob is a host builtin declared in capabilities.json"),
        "{out}"
    );
    let (code, out, err) = env.run(&[
        "import",
        dir.to_str().unwrap(),
        "--capabilities",
        caps.to_str().unwrap(),
    ]);
    assert_eq!(code, 0, "{out}{err}");
    let (_, out, _) = run("host@1.0.0", &[]);
    assert!(out.contains("PASS  test_blocked"), "{out}");
}

/// `--strict-builtin-errors`, as `opa test` / `opa eval` have it: without
/// it a builtin's error makes the call undefined (the test FAILs, the rule
/// is undefined); with it the error is the test's ERROR or eval's error.
#[test]
fn strict_builtin_errors_turn_a_builtin_error_into_an_error() {
    let env = Env::new();
    let policy = "package s\n\n# METADATA\n# entrypoint: true\ndecision := {\"outcome\": \"APPROVE\", \"n\": to_number(input.s)}\n";
    let tests = "package s_test\n\nimport data.s\n\ntest_number if s.decision.n == 1 with input as {\"s\": \"abc\"}\n";
    let b = env.bundle("s/1.0.0", &[("s.rego", policy), ("s_test.rego", tests)]);
    let dir = b.to_str().unwrap();

    let lenient = env.json_code(&["test", dir], 1);
    assert_eq!(lenient["tests"][0]["result"], "FAIL", "{lenient}");
    let strict = env.json_code(&["test", dir, "--strict-builtin-errors"], 1);
    assert_eq!(strict["tests"][0]["result"], "ERROR", "{strict}");
    assert!(
        strict["tests"][0]["error"]
            .as_str()
            .is_some_and(|e| e.contains("s.rego:5:") && e.contains("number")),
        "{strict}"
    );

    let (code, _, err) = env.run(&["import", dir]);
    assert_eq!(code, 0, "{err}");
    let input = env.dir.path().join("in.json");
    std::fs::write(&input, r#"{"s": "abc"}"#).unwrap();
    let input = input.to_str().unwrap();
    let doc = env.json(&["eval", "s@1.0.0", "--input", input]);
    assert!(doc["result"].is_null(), "{doc}");
    let (code, out, err) = env.run(&[
        "eval",
        "s@1.0.0",
        "--input",
        input,
        "--strict-builtin-errors",
    ]);
    assert_ne!(code, 0, "{out}");
    assert!(err.contains("s.rego:5") && err.contains("number"), "{err}");
}
