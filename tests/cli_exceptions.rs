//! `gavel exceptions`: an override of one decision's outcome, due for
//! follow-up within 48 hours; ageing into overdue with an injected clock;
//! shown in the decision and replay views.

mod certify_support;

use certify_support::*;

const LATER_47H: &str = "2026-11-22T08:00:00Z";
const LATER_49H: &str = "2026-11-22T10:00:00Z";

#[test]
fn exceptions_age_into_overdue_and_resolve() {
    let env = gfr_store();
    let id = decision_of(&env, "gfr-procurement@1.0.0", "BLOCK");
    let (code, out, err) = run(
        &env,
        &[
            "exceptions",
            "add",
            &id,
            "--reason",
            "CFO memo 14: emergency procurement",
            "--owner",
            "R. Iyer",
            "--outcome",
            "APPROVE",
        ],
    );
    assert_eq!(code, 0, "{err}");
    assert!(
        out.starts_with(&format!("logged exception #1 on decision {id}: BLOCK → APPROVE, owner R. Iyer, due 2026-11-22T09:00:00.000Z (due in 48h 0m)")),
        "{out}"
    );
    // 47 hours on: open, not overdue; the cron check passes.
    let (code, out, _) = run_at(&env, LATER_47H, &["exceptions", "list", "--overdue"]);
    assert_eq!(code, 0, "{out}");
    assert_eq!(out, "no overdue exceptions\n");
    let (code, out, _) = run_at(&env, LATER_47H, &["exceptions", "list"]);
    assert_eq!(code, 0);
    assert!(
        out.contains("● open") && out.contains("due in 1h 0m"),
        "{out}"
    );
    // 49 hours on: overdue, flagged, and --overdue exits 1.
    let (code, out, _) = run_at(&env, LATER_49H, &["exceptions", "list", "--overdue"]);
    assert_eq!(code, 1, "{out}");
    assert!(
        out.contains("! OVERDUE") && out.contains("overdue by 1h 0m"),
        "{out}"
    );
    assert!(out.contains("1 exceptions: 1 open (1 OVERDUE)"), "{out}");
    // A plain list flags it but is not a check.
    let (code, out, _) = run_at(&env, LATER_49H, &["exceptions", "list"]);
    assert_eq!(code, 0);
    assert!(out.contains("OVERDUE"), "{out}");
    let listed = json_at(&env, LATER_49H, &["exceptions", "list", "--overdue"], 1);
    assert_eq!(listed[0]["state"], "overdue");
    assert_eq!(listed[0]["original_outcome"], "BLOCK");
    assert_eq!(listed[0]["granted_outcome"], "APPROVE");

    // Resolved late: no longer overdue, and the lateness is kept.
    let (code, out, err) = run_at(
        &env,
        LATER_49H,
        &[
            "exceptions",
            "resolve",
            "1",
            "--note",
            "ratified",
            "--by",
            "R. Iyer",
        ],
    );
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("resolved 1h 0m after due"), "{out}");
    let (code, _, _) = run_at(&env, LATER_49H, &["exceptions", "list", "--overdue"]);
    assert_eq!(code, 0);
    let all = json_at(&env, LATER_49H, &["exceptions", "list"], 0);
    assert_eq!(all[0]["state"], "resolved_late");
    assert_eq!(all[0]["resolution"]["note"], "ratified");
    assert_eq!(
        json_at(&env, LATER_49H, &["exceptions", "list", "--open"], 0),
        serde_json::json!([])
    );
    // A resolution is never rewritten; the rows are append-only.
    let (code, _, err) = run_at(
        &env,
        LATER_49H,
        &["exceptions", "resolve", "#1", "--note", "x"],
    );
    assert_eq!(code, 2);
    assert!(err.contains("already resolved"), "{err}");
    let conn = rusqlite::Connection::open(&env.db).unwrap();
    assert!(
        conn.execute("UPDATE exceptions SET owner = 'x'", [])
            .is_err()
    );
    assert!(
        conn.execute("DELETE FROM exception_resolutions", [])
            .is_err()
    );

    // After resolution a new exception may be logged on the same decision;
    // --due sets its clock.
    let (code, out, _) = run_at(
        &env,
        LATER_49H,
        &[
            "exceptions",
            "add",
            &id,
            "--reason",
            "again",
            "--owner",
            "x",
            "--due",
            "2h",
        ],
    );
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("due 2026-11-22T12:00:00.000Z"), "{out}");
    let (code, _, _) = run_at(
        &env,
        "2026-11-22T12:00:01Z",
        &["exceptions", "list", "--overdue"],
    );
    assert_eq!(code, 1);
}

#[test]
fn bad_exceptions_are_refused() {
    let env = gfr_store();
    let id = decision_of(&env, "gfr-procurement@1.0.0", "BLOCK");
    let add = |extra: &[&str]| {
        let mut args = vec!["exceptions", "add"];
        args.extend_from_slice(extra);
        run(&env, &args)
    };
    let (code, _, err) = add(&["nope", "--reason", "r", "--owner", "o"]);
    assert_eq!(code, 2);
    assert!(err.contains("no decision nope in the store"), "{err}");
    let (code, _, err) = add(&[&id, "--reason", " ", "--owner", "o"]);
    assert_eq!(code, 2);
    assert!(err.contains("--reason may not be empty"), "{err}");
    let (code, _, err) = add(&[&id, "--reason", "r", "--owner", "o", "--due", "48"]);
    assert_eq!(code, 2);
    assert!(err.contains("--due: duration '48'"), "{err}");
    let (code, _, err) = add(&[&id, "--reason", "r", "--owner", "o", "--outcome", "BLOCK"]);
    assert_eq!(code, 2);
    assert!(err.contains("already BLOCK"), "{err}");
    // Only an outcome the policy gives.
    let (code, _, err) = add(&[&id, "--reason", "r", "--owner", "o", "--outcome", "MAYBE"]);
    assert_eq!(code, 2);
    assert!(
        err.contains("--outcome 'MAYBE': not an outcome this decision's policy gives (it gives APPROVE, APPROVE_WITH_AUDIT, BLOCK, ESCALATE)"),
        "{err}"
    );
    let (code, _, _) = add(&[&id, "--reason", "r", "--owner", "o"]);
    assert_eq!(code, 0);
    let (code, _, err) = add(&[&id, "--reason", "r2", "--owner", "o"]);
    assert_eq!(code, 2);
    assert!(err.contains("already has open exception #1"), "{err}");
    let (code, _, err) = run(&env, &["exceptions", "resolve", "7", "--note", "n"]);
    assert_eq!(code, 2);
    assert!(err.contains("exception #7: not in the store"), "{err}");
    let (code, _, err) = run(&env, &["exceptions", "resolve", "x", "--note", "n"]);
    assert_eq!(code, 2);
    assert!(err.contains("an exception id is a number"), "{err}");
    let (code, _, err) = run_at(&env, "yesterday", &["exceptions", "list"]);
    assert_eq!(code, 2);
    assert!(
        err.contains("GAVEL_NOW 'yesterday': not an RFC 3339 time"),
        "{err}"
    );
}

#[test]
fn the_config_sets_the_due_time() {
    let env = gfr_store();
    std::fs::write(
        env.dir.path().join("config.toml"),
        "[certification]\nexception_due = \"24h\"\n",
    )
    .unwrap();
    let id = decision_of(&env, "gfr-procurement@1.0.0", "ESCALATE");
    let e = json(
        &env,
        &["exceptions", "add", &id, "--reason", "r", "--owner", "o"],
    );
    assert_eq!(e["due_at"], "2026-11-21T09:00:00.000Z");
    assert_eq!(e["state"], "open");
}

#[test]
fn decision_and_replay_views_show_the_exception() {
    let env = gfr_store();
    let id = decision_of(&env, "gfr-procurement@1.0.0", "BLOCK");
    let other = decision_of(&env, "gfr-procurement@1.1.0", "BLOCK");
    let (code, _, _) = run(
        &env,
        &[
            "exceptions",
            "add",
            &id,
            "--reason",
            "board waiver",
            "--owner",
            "R. Iyer",
            "--outcome",
            "APPROVE",
        ],
    );
    assert_eq!(code, 0);
    let (_, out, _) = run(&env, &["decisions", "show", &id]);
    assert!(
        out.contains(
            "exception  #1 ● open: BLOCK → APPROVE, owner R. Iyer, due in 48h 0m: board waiver"
        ),
        "{out}"
    );
    let shown = json(&env, &["decisions", "show", &id]);
    assert_eq!(shown["exceptions"][0]["id"], 1);
    let plain = json(&env, &["decisions", "show", &other]);
    assert!(plain.get("exceptions").is_none(), "{plain}");

    let (code, out, _) = run_at(&env, LATER_49H, &["replay", &id]);
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("verdict    DETERMINISTIC"), "{out}");
    assert!(
        out.contains("exception  #1 ! OVERDUE: BLOCK → APPROVE"),
        "{out}"
    );
    let replayed = json(&env, &["replay", &id]);
    assert_eq!(replayed["exceptions"][0]["granted_outcome"], "APPROVE");

    let (_, out, _) = run(
        &env,
        &[
            "decisions",
            "list",
            "--version",
            "gfr-procurement@1.0.0",
            "--outcome",
            "BLOCK",
            "--limit",
            "3",
        ],
    );
    assert!(out.contains("BLOCK (excepted #1)"), "{out}");
    let listed = json(
        &env,
        &[
            "decisions",
            "list",
            "--version",
            "gfr-procurement@1.0.0",
            "--outcome",
            "BLOCK",
            "--limit",
            "3",
        ],
    );
    assert_eq!(listed[0]["exceptions"], serde_json::json!([1]));
    assert!(listed[1].get("exceptions").is_none());
}

#[test]
fn show_prints_one_exception_whole() {
    let env = gfr_store();
    let id = decision_of(&env, "gfr-procurement@1.0.0", "BLOCK");
    let reason = "CFO memo 14: emergency procurement approved by the board after the flood of 2026, \
                  to be ratified at the next sitting with the minutes attached";
    let (code, _, err) = run(
        &env,
        &[
            "exceptions",
            "add",
            &id,
            "--reason",
            reason,
            "--owner",
            "R. Iyer",
            "--outcome",
            "APPROVE",
        ],
    );
    assert_eq!(code, 0, "{err}");
    let (code, _, _) = run(
        &env,
        &[
            "exceptions",
            "resolve",
            "1",
            "--note",
            "ratified on 2026-11-24",
            "--by",
            "R. Iyer",
        ],
    );
    assert_eq!(code, 0);
    let (code, out, err) = run(&env, &["exceptions", "show", "1"]);
    assert_eq!(code, 0, "{err}");
    assert!(out.contains(&format!("reason       {reason}")), "{out}");
    assert!(out.contains("override     BLOCK → APPROVE"), "{out}");
    assert!(out.contains("resolved by  R. Iyer"), "{out}");
    assert!(out.contains("note         ratified on 2026-11-24"), "{out}");
    assert!(out.contains("(set by GAVEL_NOW)"), "{out}");
    let (code, _, err) = run(&env, &["exceptions", "show", "9"]);
    assert_eq!(code, 2);
    assert!(err.contains("exception #9"), "{err}");
}
