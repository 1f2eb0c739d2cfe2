//! `gavel verify` against someone who can write the store file and goes
//! after what the content hash does not cover: the rows derived from a
//! version's source at import (rules, citations, modules), and the link
//! from a decision to its version. Each attack is done as that person
//! would, with SQL on the store file (immutability triggers dropped where
//! there are any; `rules`, `citations` and `modules` have none), and each
//! must make `gavel verify` exit 1 naming what changed.

mod common;

use std::path::{Path, PathBuf};

use common::{Env, samples};
use rusqlite::Connection;

/// The version the attacks aim at, and one of its rules with citations
/// (its METADATA cites PMLA 2002 Section 12(1)(c), severity low).
const VERSION: &str = "pmla-kyc@1.0.0";
const RULE: &str = "rule data.pmla.kyc.customer (pmla/kyc/policy.rego:34)";

/// The id of pmla-kyc@1.0.0's row, for the attacker's SQL.
const VERSION_ID: &str = "(SELECT v.id FROM versions v JOIN bundles b ON b.id = v.bundle_id
                          WHERE b.name = 'pmla-kyc' AND v.version = '1.0.0')";

/// Every sample version imported into a fresh store.
fn sample_store() -> Env {
    let env = Env::new();
    let dirs: Vec<PathBuf> = gavel::samples::sample_versions()
        .into_iter()
        .map(|(name, version)| samples().join(name).join(version))
        .collect();
    let mut args = vec!["import"];
    args.extend(dirs.iter().map(|d| d.to_str().unwrap()));
    let (code, out, err) = env.run(&args);
    assert_eq!(code, 0, "{out}{err}");
    env
}

/// Runs SQL on the store file as an attacker with the sqlite3 shell would:
/// the triggers that keep versions immutable and decisions append-only
/// dropped first, foreign keys off (the shell's default).
fn attack(db: &Path, sql: &str) {
    let conn = Connection::open(db).unwrap();
    conn.execute_batch(
        "PRAGMA foreign_keys = OFF;
         DROP TRIGGER IF EXISTS versions_no_update; DROP TRIGGER IF EXISTS versions_no_delete;
         DROP TRIGGER IF EXISTS files_no_update; DROP TRIGGER IF EXISTS files_no_delete;
         DROP TRIGGER IF EXISTS blobs_no_update;
         DROP TRIGGER IF EXISTS decisions_no_update; DROP TRIGGER IF EXISTS decisions_no_delete;",
    )
    .unwrap();
    conn.execute_batch(sql).unwrap();
}

/// `gavel verify` on an untouched copy passes; after `sql`, it exits 1 and
/// its text output holds every line of `want`.
fn caught(template: &Env, sql: &str, want: &[&str]) -> String {
    let env = Env::new();
    std::fs::copy(&template.db, &env.db).unwrap();
    attack(&env.db, sql);
    let (code, out, err) = env.run(&["verify"]);
    assert_eq!(code, 1, "{sql}: not caught:\n{out}{err}");
    for w in want {
        assert!(out.contains(w), "{sql}: wanted {w:?} in:\n{out}");
    }
    out
}

#[test]
fn rewritten_rules_and_citations_are_named_with_their_rule_and_column() {
    let store = sample_store();
    let (code, out, err) = store.run(&["verify"]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(
        out.contains(
            "rules OK: every stored rule, citation and module says what its version's source says"
        ),
        "{out}"
    );

    // (a) A citation's regulation: the packet and matrix would show it.
    let out = caught(
        &store,
        &format!(
            "UPDATE citations SET regulation = 'FAKE ACT 2099'
             WHERE seq = 0 AND rule_id = (SELECT id FROM rules
                   WHERE version_id = {VERSION_ID} AND name = 'customer')"
        ),
        &[&format!(
            "rules NOT OK: {VERSION}: {RULE}: citation 1, column regulation, is stored as 'FAKE ACT 2099', the source says 'PMLA 2002'"
        )],
    );
    assert_eq!(out.matches("rules NOT OK").count(), 1, "{out}");
    assert!(out.contains("versions OK"), "the files still hash: {out}");

    // (b) A rule's line span: the lines an engineer is sent to.
    caught(
        &store,
        &format!(
            "UPDATE rules SET line_start = 3 WHERE version_id = {VERSION_ID} AND name = 'customer'"
        ),
        &[&format!(
            "{VERSION}: {RULE}: column line_start is stored as 3, the source says 34"
        )],
    );

    // (c) A rule row deleted, with its citations, as a tidy attacker would.
    caught(
        &store,
        &format!(
            "DELETE FROM citations WHERE rule_id = (SELECT id FROM rules
                   WHERE version_id = {VERSION_ID} AND name = 'customer');
             DELETE FROM rules WHERE version_id = {VERSION_ID} AND name = 'customer'"
        ),
        &[&format!(
            "{VERSION}: {RULE} is in the source but has no row in the store"
        )],
    );

    // (d) A rule's title and severity (its annotation copy left alone).
    caught(
        &store,
        &format!(
            "UPDATE rules SET title = 'Harmless helper', severity = 'info'
             WHERE version_id = {VERSION_ID} AND name = 'customer'"
        ),
        &[
            &format!(
                "{VERSION}: {RULE}: column title is stored as 'Harmless helper', the source says 'Customer record'"
            ),
            &format!(
                "{VERSION}: {RULE}: column severity is stored as 'info', the source says 'low'"
            ),
        ],
    );

    // A rule added that the source does not have, and the annotation copy
    // the workbench reads edited: named too.
    caught(
        &store,
        &format!(
            "INSERT INTO rules (version_id, package, name, kind, file, line_start, line_end, is_test, entrypoint, title)
                 VALUES ({VERSION_ID}, 'pmla.kyc', 'waiver', 'complete', 'pmla/kyc/policy.rego', 900, 901, 0, 0, 'Waiver');
             UPDATE rules SET annotation = replace(annotation, 'Section 12(1)(c)', 'Section 99')
                 WHERE version_id = {VERSION_ID} AND name = 'customer'"
        ),
        &[
            &format!(
                "{VERSION}: rule data.pmla.kyc.waiver (pmla/kyc/policy.rego:900) has a row in the store"
            ),
            "but is not in the source",
            &format!("{VERSION}: {RULE}: column annotation differs from the source in 'citations', 'custom'"),
        ],
    );
}

#[test]
fn json_output_lists_the_derived_problems() {
    let store = sample_store();
    attack(
        &store.db,
        &format!(
            "UPDATE citations SET clause = 'Section 1'
             WHERE seq = 0 AND rule_id = (SELECT id FROM rules
                   WHERE version_id = {VERSION_ID} AND name = 'customer')"
        ),
    );
    let report = store.json_code(&["verify"], 1);
    let derived = report["derived"].as_array().expect("a derived list");
    assert_eq!(derived.len(), 1, "{report}");
    assert_eq!(
        derived[0],
        format!(
            "{VERSION}: {RULE}: citation 1, column clause, is stored as 'Section 1', the source says 'Section 12(1)(c)'"
        )
    );
    assert!(report.get("decision_versions").is_none(), "{report}");
}

/// One version and the sample decisions made with it (150 of the 300 in
/// the sample log name 1.0.0; the others name 1.1.0, not imported here).
fn decisions_store() -> Env {
    let env = Env::new();
    let dir = samples().join("pmla-kyc/1.0.0");
    let (code, out, err) = env.run(&["import", dir.to_str().unwrap()]);
    assert_eq!(code, 0, "{out}{err}");
    let log = Path::new(env!("CARGO_MANIFEST_DIR")).join("sample-decisions/pmla-kyc.jsonl");
    let (code, out, err) = env.run(&["decisions", "import", log.to_str().unwrap()]);
    // Exit 0: lines naming a version not in the store are kept, counted.
    assert_eq!(code, 0, "{out}{err}");
    let (code, out, err) = env.run(&["verify"]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(
        out.contains("decisions' versions OK: every decision's version is in the store"),
        "{out}"
    );
    env
}

/// The first decision made with pmla-kyc@1.0.0, and its log position.
fn first_decision(db: &Path) -> (String, i64) {
    Connection::open(db)
        .unwrap()
        .query_row(
            "SELECT decision_id, seq FROM decisions WHERE version_id IS NOT NULL ORDER BY seq LIMIT 1",
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .unwrap()
}

/// Everything of pmla-kyc@1.0.0 but its blobs, deleted.
const DELETE_VERSION: &str = "
    DELETE FROM citations WHERE rule_id IN (SELECT id FROM rules WHERE version_id = 1);
    DELETE FROM rules WHERE version_id = 1;
    DELETE FROM modules WHERE version_id = 1;
    DELETE FROM files WHERE version_id = 1;
    DELETE FROM versions WHERE id = 1;";

#[test]
fn a_decision_whose_version_was_deleted_is_named_with_the_version() {
    let env = decisions_store();
    let (first, seq) = first_decision(&env.db);
    attack(&env.db, DELETE_VERSION);
    let (code, out, err) = env.run(&["verify"]);
    assert_eq!(code, 1, "{out}{err}");
    assert!(
        out.contains(&format!(
            "decision's version GONE: decision {first} (log position {seq}): version missing: it was made with pmla-kyc@1.0.0 (version #1), which is not in the store"
        )),
        "{out}"
    );
    // The decisions themselves are intact: the log is walked whole.
    assert!(out.contains("log OK: 300 decisions"), "{out}");
    // Ten are named; the other 140 are counted.
    assert_eq!(out.matches("version missing").count(), 10, "{out}");
    assert!(
        out.contains("... and 140 more decisions made with pmla-kyc@1.0.0 (version #1), likewise"),
        "{out}"
    );
    let report = env.json_code(&["verify"], 1);
    assert_eq!(report["decision_versions"].as_array().unwrap().len(), 11);
}

#[test]
fn a_decision_pointed_at_no_version_is_named() {
    let env = decisions_store();
    let (first, seq) = first_decision(&env.db);
    attack(
        &env.db,
        &format!("UPDATE decisions SET version_id = 999 WHERE decision_id = '{first}'"),
    );
    let (code, out, _) = env.run(&["verify"]);
    assert_eq!(code, 1, "{out}");
    assert!(
        out.contains(&format!(
            "decision {first} (log position {seq}): version missing: it was made with pmla-kyc@1.0.0 (version #999), which is not in the store; a version pmla-kyc@1.0.0 is stored as #1, so the decision's link was changed"
        )),
        "{out}"
    );
}

#[test]
fn a_version_deleted_and_its_decisions_unlinked_breaks_the_log_saying_version_missing() {
    let env = decisions_store();
    let (first, seq) = first_decision(&env.db);
    attack(
        &env.db,
        &format!("{DELETE_VERSION} UPDATE decisions SET version_id = NULL WHERE version_id = 1;"),
    );
    let (code, out, _) = env.run(&["verify"]);
    assert_eq!(code, 1, "{out}");
    assert!(
        out.contains(&format!(
            "log BROKEN: decision {first} (log position {seq}): column version_id says (none), the hashed decision says 'pmla-kyc@1.0.0' (version missing: not in the store)"
        )),
        "{out}"
    );
}

#[test]
fn a_version_replaced_under_the_same_name_and_id_is_named() {
    let env = decisions_store();
    let (first, seq) = first_decision(&env.db);
    attack(&env.db, DELETE_VERSION);
    // The attacker's own pmla-kyc@1.0.0: the same bundle, one more kind of
    // identity document accepted. It takes the freed id 1, so the
    // decisions link to it, and its files hash to the hash stored beside
    // them.
    let doctored = env.dir.path().join("pmla-kyc/1.0.0");
    common::copy_dir(&samples().join("pmla-kyc/1.0.0"), &doctored);
    let data = doctored.join("pmla/config/data.json");
    let text = std::fs::read_to_string(&data).unwrap();
    let changed = text.replacen("\"passport\",", "\"passport\", \"library_card\",", 1);
    assert_ne!(changed, text);
    std::fs::write(&data, changed).unwrap();
    let (code, out, err) = env.run(&["import", doctored.to_str().unwrap()]);
    assert_eq!(code, 0, "{out}{err}");
    let (code, out, _) = env.run(&["verify"]);
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("versions OK"), "{out}");
    assert!(out.contains("log OK"), "{out}");
    assert!(
        out.contains(&format!(
            "decision {first} (log position {seq}): version changed: it was made with pmla-kyc@1.0.0 at sha256:"
        )),
        "{out}"
    );
    assert!(
        out.contains("the stored pmla-kyc@1.0.0 (version #1) hashes to sha256:"),
        "{out}"
    );
}
