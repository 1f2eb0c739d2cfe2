//! Decision logs, the Merkle log and replay, through the real binary.

mod common;

use common::{Env, samples};
use serde_json::Value;

fn decisions_dir() -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("sample-decisions")
}

/// A store with every sample version and every sample decision.
fn sample_store() -> Env {
    let env = Env::new();
    let mut dirs = Vec::new();
    for regime in std::fs::read_dir(samples()).unwrap() {
        let regime = regime.unwrap().path();
        if regime.is_dir() {
            for v in std::fs::read_dir(&regime).unwrap() {
                let v = v.unwrap().path();
                if v.is_dir() {
                    dirs.push(v.to_str().unwrap().to_string());
                }
            }
        }
    }
    let mut args = vec!["import"];
    args.extend(dirs.iter().map(String::as_str));
    let (code, _, err) = env.run(&args);
    assert_eq!(code, 0, "{err}");
    for f in std::fs::read_dir(decisions_dir()).unwrap() {
        let f = f.unwrap().path();
        let (code, out, err) = env.run(&["decisions", "import", f.to_str().unwrap()]);
        assert_eq!(code, 0, "{out}{err}");
    }
    env
}

#[test]
fn every_sample_decision_replays_deterministic() {
    let env = sample_store();
    let report = env.json(&["replay", "--all"]);
    assert_eq!(report["replayed"], 1500);
    assert_eq!(report["verdicts"]["DETERMINISTIC"], 1500, "{report}");
    let (code, out, _) = env.run(&["verify"]);
    assert_eq!(code, 0);
    assert!(out.starts_with("log OK: 1500 decisions"), "{out}");
}

#[test]
fn replay_against_the_next_version_shows_real_transitions() {
    let env = sample_store();
    let report = env.json(&[
        "replay",
        "--all",
        "--version",
        "gfr-procurement@1.0.0",
        "--against",
        "gfr-procurement@1.1.0",
    ]);
    let replayed = report["replayed"].as_u64().unwrap();
    assert!(replayed > 100, "{report}");
    assert!(
        report["verdicts"]["CHANGED"].as_u64().unwrap() > 0,
        "{report}"
    );
    // The matrix is right: recompute each transition with `gavel eval`
    // under 1.1.0 for a handful of changed decisions.
    for id in report["changed_sample"].as_array().unwrap().iter().take(5) {
        let id = id.as_str().unwrap();
        let shown = env.json(&["decisions", "show", id]);
        let input = env.dir.path().join(format!("{id}.json"));
        std::fs::write(&input, shown["input"].to_string()).unwrap();
        let now = shown["timestamp"].as_str().unwrap();
        let new = env.json(&[
            "eval",
            "gfr-procurement@1.1.0",
            "--input",
            input.to_str().unwrap(),
            "--now",
            now,
        ]);
        let one = env.json(&["replay", id, "--against", "gfr-procurement@1.1.0"]);
        assert_eq!(one["replayed_outcome"], new["outcome"], "{id}");
        assert_eq!(one["replayed_result"], new["result"], "{id}");
        assert_eq!(one["verdict"], "CHANGED");
    }
    // Counts add up: every transition cell, summed, is every replay.
    let total: u64 = report["transitions"]
        .as_object()
        .unwrap()
        .values()
        .flat_map(|row| {
            row.as_object()
                .unwrap()
                .values()
                .map(|n| n.as_u64().unwrap())
        })
        .sum();
    assert_eq!(total, replayed);
    let (code, text, _) = env.run(&[
        "replay",
        "--all",
        "--version",
        "gfr-procurement@1.0.0",
        "--against",
        "gfr-procurement@1.1.0",
    ]);
    assert_eq!(code, 0);
    assert!(
        text.contains("transitions (rows: original outcome, columns: replayed outcome)"),
        "{text}"
    );
    assert!(text.contains("rules behind the changes:"), "{text}");
}

#[test]
fn single_replay_reports_its_verdict_and_is_recorded() {
    let env = sample_store();
    let list = env.json(&[
        "decisions",
        "list",
        "--version",
        "gfr-procurement@1.0.0",
        "--limit",
        "1",
    ]);
    let id = list[0]["decision_id"].as_str().unwrap().to_string();
    let (code, out, _) = env.run(&["replay", &id]);
    assert_eq!(code, 0);
    assert!(out.contains("verdict    DETERMINISTIC"), "{out}");
    assert!(out.contains("result     matches"), "{out}");
    assert!(
        out.contains("version    gfr-procurement@1.0.0  sha256:"),
        "{out}"
    );
    let conn = rusqlite::Connection::open(&env.db).unwrap();
    let n: i64 = conn
        .query_row(
            "SELECT count(*) FROM replays r JOIN decisions d ON d.seq = r.decision_seq WHERE d.decision_id = ?1",
            [&id],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(n, 1);
}

#[test]
fn diverged_and_missing_versions() {
    let env = Env::new();
    let src = "package m\n\n# METADATA\n# entrypoint: true\ndecision := {\"outcome\": \"APPROVE\", \"n\": input.n}\n";
    let b = env.bundle("m/1.0.0", &[("m.rego", src)]);
    env.run(&["import", b.to_str().unwrap()]);
    // A log line whose recorded result the version does not give.
    let log = env.dir.path().join("log.jsonl");
    std::fs::write(
        &log,
        [
            r#"{"decision_id":"same","path":"m/decision","input":{"n":1},"result":{"outcome":"APPROVE","n":1},"timestamp":"2026-11-20T10:00:00Z","bundles":{"m":{"revision":"1.0.0"}}}"#,
            r#"{"decision_id":"tampered","path":"m/decision","input":{"n":1},"result":{"outcome":"APPROVE","n":2},"timestamp":"2026-11-20T10:00:01Z","bundles":{"m":{"revision":"1.0.0"}}}"#,
            r#"{"decision_id":"orphan","path":"m/decision","input":{"n":1},"timestamp":"2026-11-20T10:00:02Z","bundles":{"m":{"revision":"9.9.9"}}}"#,
        ]
        .join("\n"),
    )
    .unwrap();
    let (code, out, _) = env.run(&["decisions", "import", log.to_str().unwrap()]);
    assert_eq!(code, 0, "{out}");
    assert!(
        out.contains("1 decisions name a version that is not in the store"),
        "{out}"
    );
    let (code, out, _) = env.run(&["replay", "tampered"]);
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("verdict    DIVERGED"), "{out}");
    assert!(out.contains("-  \"n\": 2"), "{out}");
    assert!(out.contains("+  \"n\": 1"), "{out}");
    let (code, out, _) = env.run(&["replay", "orphan"]);
    assert_eq!(code, 2, "{out}");
    assert!(out.contains("verdict    ERROR"), "{out}");
    assert!(out.contains("m@9.9.9 is not in the store"), "{out}");
    let report = env.json_code(&["replay", "--all"], 1);
    assert_eq!(report["verdicts"]["DETERMINISTIC"], 1);
    assert_eq!(report["verdicts"]["DIVERGED"], 1);
    assert_eq!(report["verdicts"]["ERROR"], 1);
    let shown = env.json(&["decisions", "show", "orphan"]);
    assert_eq!(shown["outcome"], "undefined");
}

#[test]
fn bad_lines_are_reported_and_good_ones_kept() {
    let env = Env::new();
    let log = env.dir.path().join("log.jsonl");
    let good = |id: &str, n: u32| {
        format!(
            r#"{{"decision_id":"{id}","path":"p/allow","input":{{"n":{n}}},"result":true,"timestamp":"2026-11-20T10:00:00Z","extra_field":{{"kept":true}}}}"#
        )
    };
    let mut bytes = Vec::new();
    for line in [
        good("a", 1),
        "not json at all".into(),
        good("b", 2),
        r#"{"path":"p","input":{}}"#.into(),
        r#"{"decision_id":"c","path":"p","input":{"#.into(),
        good("a", 1),
        good("a", 9),
    ] {
        bytes.extend_from_slice(line.as_bytes());
        bytes.push(b'\n');
    }
    bytes.extend_from_slice(b"{\"decision_id\":\"\xff\"}\n");
    std::fs::write(&log, bytes).unwrap();
    let (code, out, err) = env.run(&["decisions", "import", log.to_str().unwrap()]);
    assert_eq!(code, 1, "{out}{err}");
    assert!(
        out.contains(
            "imported 2 decisions from 8 lines; 1 already stored; 5 rejected (1 conflicts)"
        ),
        "{out}"
    );
    for want in [
        "log.jsonl:2: not JSON",
        "log.jsonl:4: missing decision_id",
        "log.jsonl:5: truncated JSON",
        "log.jsonl:7: decision a is already stored with different content (conflict)",
        "log.jsonl:8: not UTF-8",
    ] {
        assert!(err.contains(want), "missing {want:?} in {err}");
    }
    let shown = env.json(&["decisions", "show", "a"]);
    assert_eq!(shown["event"]["extra_field"]["kept"], true);
    assert_eq!(shown["outcome"], "allow");
    // Stdin works too.
    let out = env
        .gavel(&["decisions", "import", "-"])
        .write_stdin(good("z", 3))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
}

#[test]
fn export_then_import_round_trips_exactly() {
    let env = sample_store();
    let (code, first, _) = env.run(&["decisions", "export"]);
    assert_eq!(code, 0);
    assert_eq!(first.lines().count(), 1500);
    let line: Value = serde_json::from_str(first.lines().next().unwrap()).unwrap();
    assert!(
        line["gavel"]["policy_hash"]
            .as_str()
            .unwrap()
            .starts_with("sha256:")
    );
    assert!(line["gavel"]["outcome"].is_string());

    // A fresh store without the versions: the exported hashes are kept.
    let other = Env::new();
    let file = other.dir.path().join("export.jsonl");
    std::fs::write(&file, &first).unwrap();
    let (code, out, err) = other.run(&["decisions", "import", file.to_str().unwrap()]);
    assert_eq!(code, 0, "{out}{err}");
    let (_, second, _) = other.run(&["decisions", "export"]);
    // The same lines; only each store's leaf hash differs (the second store
    // received, and hashed, the exported bytes).
    assert_eq!(without_leaf_hashes(&first), without_leaf_hashes(&second));
    assert_ne!(first, second);
    let (code, _, _) = other.run(&["verify"]);
    assert_eq!(code, 0);
}

/// Exported lines with `gavel.leaf_hash` taken out, the rest byte for byte.
fn without_leaf_hashes(text: &str) -> String {
    let mut out = String::new();
    let mut rest = text;
    while let Some(i) = rest.find(r#""leaf_hash":""#) {
        out.push_str(&rest[..i]);
        // `"leaf_hash":"` + 64 hex digits + `",`
        rest = &rest[i + 13 + 64 + 2..];
    }
    out.push_str(rest);
    out
}

/// Numbers as OPA writes them survive: a big integer, `1E2`, `1.0` and
/// `1e400` in an imported decision come back out of `decisions export`
/// byte for byte; a result recorded as `1.0` (OPA's text) replays as the
/// same result when regorus computes `1`, and a big integer that differs in
/// its last digit does not.
#[test]
fn numbers_keep_their_text_and_compare_by_value() {
    let env = Env::new();
    let src = "package m\n\n# METADATA\n# entrypoint: true\ndecision := {\"one\": input.f + 0, \"big\": input.big, \"e\": input.e, \"huge\": input.huge, \"lsh\": bits.lsh(1, 100)}\n";
    let b = env.bundle("m/1.0.0", &[("m.rego", src)]);
    let (code, _, err) = env.run(&["import", b.to_str().unwrap()]);
    assert_eq!(code, 0, "{err}");
    let input = r#"{"big":123456789012345678901234567890,"e":1E2,"f":1.0,"huge":1e400}"#;
    let result = |big: &str| {
        format!(
            r#"{{"big":{big},"e":1E2,"huge":1e400,"lsh":1267650600228229401496703205376,"one":1.0}}"#
        )
    };
    let line = |id: &str, big: &str| {
        format!(
            r#"{{"bundles":{{"m":{{"revision":"1.0.0"}}}},"decision_id":"{id}","input":{input},"path":"m/decision","result":{},"timestamp":"2026-11-20T10:00:00Z"}}"#,
            result(big)
        )
    };
    let log = env.dir.path().join("log.jsonl");
    let lines = [
        line("same", "123456789012345678901234567890"),
        line("off-by-one", "123456789012345678901234567891"),
    ];
    std::fs::write(&log, lines.join("\n")).unwrap();
    let (code, out, err) = env.run(&["decisions", "import", log.to_str().unwrap()]);
    assert_eq!(code, 0, "{out}{err}");

    let (code, exported, _) = env.run(&["decisions", "export"]);
    assert_eq!(code, 0);
    for (want, got) in lines.iter().zip(exported.lines()) {
        // The exported line is the event with Gavel's fields added.
        let (before_gavel, rest) = got.split_once(r#","gavel":"#).unwrap();
        let after_gavel = &rest[rest.find(r#"},"input":"#).unwrap() + 1..];
        assert_eq!(format!("{before_gavel}{after_gavel}"), *want);
    }

    let (code, out, _) = env.run(&["replay", "same"]);
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("verdict    DETERMINISTIC"), "{out}");
    let (code, out, _) = env.run(&["replay", "off-by-one"]);
    assert_eq!(code, 1, "{out}");
    assert!(
        out.contains("-  \"big\": 123456789012345678901234567891"),
        "{out}"
    );
    assert!(
        out.contains("+  \"big\": 123456789012345678901234567890"),
        "{out}"
    );

    // Exported, imported into a fresh store, exported again: the same text.
    let other = Env::new();
    let file = other.dir.path().join("export.jsonl");
    std::fs::write(&file, &exported).unwrap();
    let (code, out, err) = other.run(&["decisions", "import", file.to_str().unwrap()]);
    assert_eq!(code, 0, "{out}{err}");
    let (_, again, _) = other.run(&["decisions", "export"]);
    assert_eq!(without_leaf_hashes(&again), without_leaf_hashes(&exported));
    let (code, _, _) = other.run(&["verify"]);
    assert_eq!(code, 0);
}

/// C1 controls and bidi overrides in a decision reach no terminal through
/// JSON output either: `decisions show --format json`, `eval --format json`
/// and `decisions export` write them as `\u009b` and `\u202e` (as the text
/// output shows them as `<U+009B>`), and the JSON still reads back to the
/// very same strings.
#[test]
fn json_output_escapes_c1_and_bidi_characters() {
    let env = Env::new();
    let src = "package h\n\n# METADATA\n# entrypoint: true\ndecision := {\"echo\": input.s}\n";
    let b = env.bundle("h/1.0.0", &[("h.rego", src)]);
    let (code, _, err) = env.run(&["import", b.to_str().unwrap()]);
    assert_eq!(code, 0, "{err}");
    // CSI (a terminal would read `\u{9b}31m` as "red") and a right-to-left
    // override, raw in the log as a hostile producer would write them.
    let hostile = "a\u{9b}31m\u{202e}cba\u{7f}";
    let input = serde_json::json!({ "s": hostile });
    let event = serde_json::json!({
        "decision_id": "hostile",
        "path": "h/decision",
        "input": input,
        "result": { "echo": hostile },
        "bundles": { "h": { "revision": "1.0.0" } },
        "timestamp": "2026-11-20T10:00:00Z",
    });
    let line = serde_json::to_string(&event).unwrap();
    assert!(
        line.contains('\u{9b}') && line.contains('\u{202e}'),
        "raw in the log"
    );
    let log = env.dir.path().join("log.jsonl");
    std::fs::write(&log, &line).unwrap();
    let (code, out, err) = env.run(&["decisions", "import", log.to_str().unwrap()]);
    assert_eq!(code, 0, "{out}{err}");
    let input_file = env.dir.path().join("input.json");
    std::fs::write(&input_file, serde_json::to_string(&input).unwrap()).unwrap();

    let commands: [&[&str]; 3] = [
        &["--format", "json", "decisions", "show", "hostile"],
        &[
            "--format",
            "json",
            "eval",
            "h@1.0.0",
            "--input",
            input_file.to_str().unwrap(),
        ],
        &["decisions", "export"],
    ];
    for args in commands {
        let (code, out, err) = env.run(args);
        assert_eq!(code, 0, "{args:?}: {err}");
        assert!(
            !out.chars()
                .any(|c| matches!(c, '\u{80}'..='\u{9f}' | '\u{202e}' | '\u{7f}')),
            "{args:?} wrote a raw C1, DEL or bidi character:\n{out}"
        );
        assert!(
            out.contains(r"a\u009b31m\u202ecba\u007f"),
            "{args:?}: escaped as \\u009b, \\u202e, \\u007f:\n{out}"
        );
        let doc: Value = serde_json::from_str(out.trim()).unwrap();
        let mut found = 0;
        count_strings(&doc, hostile, &mut found);
        assert!(
            found >= 1,
            "{args:?}: reads back to the same string:\n{out}"
        );
    }
    // The text output escapes them its own way.
    let (_, text, _) = env.run(&["decisions", "show", "hostile"]);
    assert!(text.contains("a<U+009B>31m<U+202E>cba^?"), "{text}");
}

/// How many strings in `v` equal `s`.
fn count_strings(v: &Value, s: &str, found: &mut usize) {
    match v {
        Value::String(x) if x == s => *found += 1,
        Value::Array(items) => items.iter().for_each(|i| count_strings(i, s, found)),
        Value::Object(m) => m.values().for_each(|i| count_strings(i, s, found)),
        _ => {}
    }
}

/// A number past any size worth holding exactly is refused at import, as
/// a line that is not JSON, with where it is.
#[test]
fn a_number_out_of_range_is_a_bad_line() {
    let env = Env::new();
    let log = env.dir.path().join("log.jsonl");
    std::fs::write(
        &log,
        r#"{"decision_id":"x","path":"p","input":{"n":1e999999999}}"#,
    )
    .unwrap();
    let (code, out, err) = env.run(&["decisions", "import", log.to_str().unwrap()]);
    assert_eq!(code, 1, "{out}{err}");
    assert!(
        err.contains("log.jsonl:1: not JSON: number out of range (column 44)"),
        "{err}"
    );
}

/// Tampering with plain SQL, as someone with the file could.
fn tamper(env: &Env, sql: &str) -> String {
    let conn = rusqlite::Connection::open(&env.db).unwrap();
    conn.execute_batch(&format!(
        "DROP TRIGGER IF EXISTS decisions_no_update; DROP TRIGGER IF EXISTS decisions_no_delete; {sql}"
    ))
    .unwrap();
    drop(conn);
    let (code, out, _) = env.run(&["verify"]);
    assert_eq!(code, 1, "verify passed after: {sql}\n{out}");
    out
}

fn small_log() -> Env {
    let env = Env::new();
    let log = env.dir.path().join("log.jsonl");
    let lines: Vec<String> = (1..=5)
        .map(|i| format!(r#"{{"decision_id":"d{i}","path":"p/allow","input":{{"n":{i}}},"result":true,"timestamp":"2026-11-20T10:00:0{i}Z"}}"#))
        .collect();
    std::fs::write(&log, lines.join("\n")).unwrap();
    env.run(&["decisions", "import", log.to_str().unwrap()]);
    let (code, _, _) = env.run(&["verify"]);
    assert_eq!(code, 0);
    env
}

#[test]
fn verify_catches_an_edit() {
    let env = small_log();
    let out = tamper(
        &env,
        "UPDATE decisions SET event = replace(event, '\"n\":3', '\"n\":4') WHERE decision_id = 'd3';",
    );
    assert!(
        out.contains(
            "decision d3 (log position 3) was edited: its event or rule outcomes no longer hash"
        ),
        "{out}"
    );
    let env = small_log();
    let out = tamper(
        &env,
        "UPDATE decisions SET outcome = 'deny' WHERE decision_id = 'd2';",
    );
    assert!(
        out.contains("decision d2 (log position 2): column outcome says 'deny', the hashed decision says 'allow'"),
        "{out}"
    );
}

#[test]
fn verify_catches_a_deletion() {
    let env = small_log();
    let out = tamper(&env, "DELETE FROM decisions WHERE decision_id = 'd2';");
    assert!(
        out.contains("1 decision(s) deleted just before decision d3"),
        "{out}"
    );
    let env = small_log();
    let out = tamper(&env, "DELETE FROM decisions WHERE decision_id = 'd5';");
    assert!(
        out.contains("decisions were removed: the store's checkpoint #1")
            && out.contains("covers 5 decisions, the log holds 4 (positions 5 to 5 are gone)"),
        "{out}"
    );
    let env = small_log();
    let out = tamper(&env, "DELETE FROM decisions WHERE decision_id = 'd1';");
    assert!(out.contains("deleted just before decision d2"), "{out}");
}

#[test]
fn verify_catches_a_reordering() {
    let env = small_log();
    let out = tamper(
        &env,
        "UPDATE decisions SET seq = 100 WHERE seq = 2; UPDATE decisions SET seq = 2 WHERE seq = 3; UPDATE decisions SET seq = 3 WHERE seq = 100;",
    );
    assert!(
        out.contains(
            "decision d3 was moved: it sits at log position 2, it was appended at position 3"
        ),
        "{out}"
    );
}

#[test]
fn verify_checks_stored_versions_and_backup_copies_verify() {
    let env = small_log();
    let b = env.bundle("v/1.0.0", &[("v.rego", "package v\nallow := true\n")]);
    env.run(&["import", b.to_str().unwrap()]);
    let (code, out, _) = env.run(&["verify"]);
    assert_eq!(code, 0, "{out}");
    assert!(
        out.contains("store OK") && out.contains("versions OK"),
        "{out}"
    );

    // A consistent copy, which verifies on its own; never over a file.
    let copy = env.dir.path().join("copy.db");
    let (code, out, _) = env.run(&["backup", copy.to_str().unwrap()]);
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("log OK: 5 decisions"), "{out}");
    let (code, _, err) = env.run(&["backup", copy.to_str().unwrap()]);
    assert_eq!(code, 2);
    assert!(err.contains("already exists"), "{err}");

    // A stored policy text edited behind Gavel's back.
    let out = tamper(
        &env,
        "DROP TRIGGER blobs_no_update; UPDATE blobs SET text = replace(text, 'true', 'false');",
    );
    assert!(
        out.contains("version CHANGED: v@1.0.0: v.rego: its text no longer matches its hash"),
        "{out}"
    );
}

/// pmla-kyc 1.1.0 fetches a screening run with http.send; OPA recorded the
/// service's answers in each decision's nd_builtin_cache. Replay answers
/// the call from there (no network), and a decision whose record lacks the
/// call is an ERROR naming it.
#[test]
fn http_send_replays_from_the_recorded_cache_and_a_missing_call_is_named() {
    let env = Env::new();
    let bundle = samples().join("pmla-kyc/1.1.0");
    let (code, _, err) = env.run(&["import", bundle.to_str().unwrap()]);
    assert_eq!(code, 0, "{err}");
    let all = std::fs::read_to_string(decisions_dir().join("pmla-kyc.jsonl")).unwrap();
    let with_call: Vec<&str> = all
        .lines()
        .filter(|l| l.contains("\"http.send\"") && l.contains("\"revision\":\"1.1.0\""))
        .collect();
    assert!(with_call.len() > 20, "{}", with_call.len());
    let blocked = with_call
        .iter()
        .find(|l| l.contains("sanctions_service_match"))
        .expect("a decision blocked by the service's answer");
    let mut doctored: Value = serde_json::from_str(blocked).unwrap();
    doctored["decision_id"] = "00000000-0000-4000-8000-000000000001".into();
    doctored["nd_builtin_cache"]
        .as_object_mut()
        .unwrap()
        .remove("http.send");
    let log = env.dir.path().join("log.jsonl");
    std::fs::write(&log, format!("{}\n{}\n", with_call.join("\n"), doctored)).unwrap();
    let (code, out, err) = env.run(&["decisions", "import", log.to_str().unwrap()]);
    assert_eq!(code, 0, "{out}{err}");

    let report = env.json_code(&["replay", "--all"], 1);
    assert_eq!(
        report["verdicts"]["DETERMINISTIC"].as_u64().unwrap(),
        with_call.len() as u64,
        "{report}"
    );
    assert_eq!(report["verdicts"]["ERROR"], 1, "{report}");

    let blocked_id: Value = serde_json::from_str(blocked).unwrap();
    let (code, out, _) = env.run(&["replay", blocked_id["decision_id"].as_str().unwrap()]);
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("verdict    DETERMINISTIC"), "{out}");

    let (code, out, err) = env.run(&["replay", "00000000-0000-4000-8000-000000000001"]);
    assert_eq!(code, 2, "{out}{err}");
    let text = format!("{out}{err}");
    assert!(text.contains("ERROR"), "{text}");
    assert!(
        text.contains(
            "http.send({\"headers\":{\"Accept\":\"application/json\"},\"method\":\"GET\""
        ) && text.contains("nd_builtin_cache does not hold"),
        "{text}"
    );
}

/// `gavel eval --record` writes the non-deterministic builtins' answers
/// into the stored event, as OPA's nd_builtin_cache, and the decision
/// replays DETERMINISTIC from them.
#[test]
fn eval_record_writes_the_nd_builtin_cache_and_replays_from_it() {
    let env = Env::new();
    let src = "package r\n\n# METADATA\n# entrypoint: true\ndecision := {\"outcome\": \"APPROVE\", \"ticket\": uuid.rfc4122(input.k), \"n\": rand.intn(input.k, 1000000000)}\n";
    let b = env.bundle("r/1.0.0", &[("r.rego", src)]);
    let (code, _, err) = env.run(&["import", b.to_str().unwrap()]);
    assert_eq!(code, 0, "{err}");
    let input = env.dir.path().join("in.json");
    std::fs::write(&input, r#"{"k": "case-7"}"#).unwrap();
    let doc = env.json(&[
        "eval",
        "r@1.0.0",
        "--input",
        input.to_str().unwrap(),
        "--record",
    ]);
    let id = doc["decision_id"].as_str().unwrap().to_string();
    let exported = env.run(&["decisions", "show", &id, "--format", "json"]).1;
    let shown: Value = serde_json::from_str(&exported).unwrap();
    let event = if shown.get("event").is_some() {
        &shown["event"]
    } else {
        &shown
    };
    let cache = &event["nd_builtin_cache"];
    assert_eq!(
        cache["uuid.rfc4122"]["[\"case-7\"]"], doc["result"]["ticket"],
        "{shown}"
    );
    assert_eq!(
        cache["rand.intn"]["[\"case-7\",1000000000]"], doc["result"]["n"],
        "{shown}"
    );
    assert!(cache["time.now_ns"]["[]"].is_i64());
    let (code, out, _) = env.run(&["replay", &id]);
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("verdict    DETERMINISTIC"), "{out}");
}
