//! Bad decision logs through `gavel decisions import`: every bad line is
//! reported as `FILE:LINE: why` and skipped, good lines are kept, the exit
//! code is 1 (lines were rejected), nothing panics, and what the store held
//! before is still there (its chain continues from the same head).

use std::path::{Path, PathBuf};

use crate::common::Env;
use crate::support::{Snapshot, assert_refused, decision_log, decisions, populated};

/// One good decision-log line with id `id`.
fn good(id: &str) -> String {
    let line = decision_log(1, "x");
    line.trim_end().replace("x-000000", id)
}

fn write(env: &Env, name: &str, bytes: &[u8]) -> PathBuf {
    let path = env.dir.path().join(name);
    std::fs::write(&path, bytes).unwrap();
    path
}

/// Imports `path`: exit 1, each `(line, why)` reported, `kept` new rows,
/// the old ones untouched and the chain intact.
fn import_rejects(env: &Env, before: &Snapshot, path: &Path, bad: &[(u64, &str)], kept: i64) {
    let name = path.file_name().unwrap().to_str().unwrap();
    let (code, out, err) = env.run(&["decisions", "import", path.to_str().unwrap()]);
    let expect: Vec<String> = bad
        .iter()
        .map(|(line, why)| format!("{name}:{line}: {why}"))
        .collect();
    let expect: Vec<&str> = expect.iter().map(String::as_str).collect();
    assert_refused(code, &err, 1, &expect);
    assert!(out.contains(&format!("{} rejected", bad.len())), "{out}");
    assert_eq!(decisions(&env.db), before.decisions() + kept);
    let (code, out, err) = env.run(&["verify"]);
    assert_eq!(code, 0, "{out}{err}");
    // The rows stored before are still the first of the chain.
    let first: String = crate::support::connect(&env.db)
        .query_row(
            "SELECT decision_id FROM decisions ORDER BY seq LIMIT 1",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(first, "seed-000000");
}

#[test]
fn truncated_lines_are_reported_with_their_numbers() {
    let (env, before) = populated();
    let whole = good("t-1");
    let text = format!(
        "{whole}\n{}\n{}\n{}",
        &whole[..200],
        good("t-2"),
        &whole[..whole.len() - 1]
    );
    let path = write(&env, "truncated.jsonl", text.as_bytes());
    import_rejects(
        &env,
        &before,
        &path,
        &[
            (2, "truncated JSON (ends at column 200)"),
            (4, "truncated JSON"),
        ],
        2,
    );
}

#[test]
fn invalid_utf8_is_reported_with_its_column() {
    let (env, before) = populated();
    let mut bytes = format!("{}\n", good("u-1")).into_bytes();
    bytes.extend_from_slice(b"{\"decision_id\":\"u-\xff\xfe\",\"path\":\"a\",\"input\":{}}\n");
    bytes.extend_from_slice(format!("{}\n", good("u-2")).as_bytes());
    let path = write(&env, "utf8.jsonl", &bytes);
    import_rejects(
        &env,
        &before,
        &path,
        &[(2, "not UTF-8 (invalid byte at column 19)")],
        2,
    );
}

#[test]
fn a_10_mb_input_imports_and_a_line_past_64_mib_is_skipped() {
    let (env, before) = populated();
    let mut big: serde_json::Value = serde_json::from_str(&good("big-1")).unwrap();
    big["input"]["attachment"] = serde_json::Value::String("A".repeat(10 << 20));
    let text = format!("{big}\n{}\n", good("big-2"));
    let path = write(&env, "big.jsonl", text.as_bytes());
    let (code, out, err) = env.run(&["decisions", "import", path.to_str().unwrap()]);
    assert_eq!(code, 0, "{out}{err}");
    assert_eq!(decisions(&env.db), before.decisions() + 2);
    let shown = env.json(&["decisions", "show", "big-1"]);
    assert_eq!(
        shown["input"]["attachment"].as_str().unwrap().len(),
        10 << 20
    );

    // A "line" longer than the cap (a file with no newlines): skipped
    // without holding it, the lines around it kept.
    let mut bytes = format!("{}\n", good("cap-1")).into_bytes();
    bytes.resize(bytes.len() + (65 << 20), b'x');
    bytes.extend_from_slice(format!("\n{}\n", good("cap-2")).as_bytes());
    let path = write(&env, "huge.jsonl", &bytes);
    drop(bytes);
    let before = crate::support::snapshot(&env);
    import_rejects(&env, &before, &path, &[(2, "line longer than 64 MiB")], 2);
}

#[test]
fn deeply_nested_json_is_refused_per_line() {
    let (env, before) = populated();
    let deep = format!(
        "{{\"decision_id\":\"deep\",\"path\":\"a\",\"input\":{}1{}}}",
        "[".repeat(5_000),
        "]".repeat(5_000)
    );
    let ok_depth = format!(
        "{{\"decision_id\":\"deep-ok\",\"path\":\"a\",\"input\":{}1{}}}",
        "{\"a\":".repeat(100),
        "}".repeat(100)
    );
    let text = format!("{}\n{deep}\n{ok_depth}\n", good("n-1"));
    let path = write(&env, "deep.jsonl", text.as_bytes());
    import_rejects(
        &env,
        &before,
        &path,
        &[(2, "not JSON: recursion limit exceeded")],
        2,
    );
    // The 100-deep one is stored and shows.
    let (code, out, err) = env.run(&["decisions", "show", "deep-ok"]);
    assert_eq!(code, 0, "{out}{err}");
}

#[test]
fn duplicate_ids_are_skipped_when_identical_and_conflicts_when_not() {
    let (env, before) = populated();
    let a = good("dup-1");
    let mut changed: serde_json::Value = serde_json::from_str(&a).unwrap();
    changed["input"]["changed"] = serde_json::Value::Bool(true);
    // Line 2 repeats line 1 (skipped), line 3 changes it (a conflict), line
    // 4 repeats a decision stored before this import (skipped), line 5
    // changes one (a conflict).
    let stored: serde_json::Value = {
        let line = decision_log(1, "seed");
        serde_json::from_str(line.trim_end()).unwrap()
    };
    let mut stored_changed = stored.clone();
    stored_changed["result"] = serde_json::Value::Bool(false);
    let text = format!("{a}\n{a}\n{changed}\n{stored}\n{stored_changed}\n");
    let path = write(&env, "dups.jsonl", text.as_bytes());
    let (code, out, err) = env.run(&[
        "--format",
        "json",
        "decisions",
        "import",
        path.to_str().unwrap(),
    ]);
    assert_refused(
        code,
        &err,
        1,
        &[
            "dups.jsonl:3: decision dup-1 is already stored with different content (conflict)",
            "dups.jsonl:5: decision seed-000000 is already stored with different content (conflict)",
        ],
    );
    let summary: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(summary["imported"], 1, "{summary}");
    assert_eq!(summary["identical"], 2, "{summary}");
    assert_eq!(summary["conflicts"], 2, "{summary}");
    assert_eq!(decisions(&env.db), before.decisions() + 1);
    // The stored decision kept its first content.
    let shown = env.json(&["decisions", "show", "seed-000000"]);
    assert_eq!(shown["result"], stored["result"]);
    let (code, _, _) = env.run(&["verify"]);
    assert_eq!(code, 0);
}

#[test]
fn a_binary_file_is_all_rejected_lines_and_no_panic() {
    let (env, before) = populated();
    let mut x = 0x9E37_79B9_7F4A_7C15u64;
    let noise: Vec<u8> = (0..(1 << 20))
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            (x >> 24) as u8
        })
        .collect();
    let path = write(&env, "noise.bin", &noise);
    let (code, out, err) = env.run(&["decisions", "import", path.to_str().unwrap()]);
    assert_refused(code, &err, 1, &["noise.bin:1: "]);
    assert!(out.contains("imported 0 decisions"), "{out}");
    assert_eq!(crate::support::snapshot(&env), before);
}
