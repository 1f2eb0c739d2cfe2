//! Store integrity: `gavel verify` runs SQLite's integrity check (and says
//! what is damaged, exit 1, even when the check itself trips on the damage),
//! re-hashes every stored version, walks the chain; `gavel backup` makes a
//! consistent copy while an import writes, and the copy verifies.

use std::io::{Seek, SeekFrom, Write};
use std::time::Duration;

use crate::support::{connect, decision_log, decisions, populated, run_on, spawn, wait_until};

/// The page size and the root page of `name`, with the WAL folded into
/// the file so the bytes on disk are the store.
fn root_page(db: &std::path::Path, name: &str) -> (u64, u64) {
    let c = connect(db);
    c.execute_batch("PRAGMA wal_checkpoint(TRUNCATE);").unwrap();
    let page: i64 = c.query_row("PRAGMA page_size", [], |r| r.get(0)).unwrap();
    let root: i64 = c
        .query_row(
            "SELECT rootpage FROM sqlite_schema WHERE name = ?1",
            [name],
            |r| r.get(0),
        )
        .unwrap();
    (page as u64, root as u64)
}

fn scribble(db: &std::path::Path, at: u64, len: usize) {
    let mut f = std::fs::OpenOptions::new().write(true).open(db).unwrap();
    f.seek(SeekFrom::Start(at)).unwrap();
    f.write_all(&vec![0xAB; len]).unwrap();
    f.sync_all().unwrap();
}

#[test]
fn verify_names_a_damaged_index_page_and_exits_1() {
    for (case, offset, len) in [("cells", 3000, 2000), ("page header", 0, 20)] {
        let (env, _) = populated();
        let (page, root) = root_page(&env.db, "decisions_by_outcome");
        scribble(&env.db, (root - 1) * page + offset, len);
        let (code, out, err) = env.run(&["verify"]);
        // Before: "store: database disk image is malformed", exit 2, and
        // nothing about the chain or the versions.
        assert_eq!(code, 1, "{case}: {out}{err}");
        assert!(!err.contains("panicked"), "{err}");
        assert!(out.contains("store DAMAGED: "), "{case}: {out}");
        assert!(out.contains("log OK: 300 decisions"), "{case}: {out}");
        assert!(out.contains("versions OK"), "{case}: {out}");
        let report = env.json_code(&["verify"], 1);
        assert!(
            !report["integrity"].as_array().unwrap().is_empty(),
            "{report}"
        );
    }
}

#[test]
fn verify_names_a_damaged_table_page_it_cannot_walk() {
    let (env, _) = populated();
    let (page, root) = root_page(&env.db, "decisions");
    scribble(&env.db, (root - 1) * page, 64);
    let (code, out, err) = env.run(&["verify"]);
    assert_eq!(code, 1, "{out}{err}");
    assert!(out.contains("store DAMAGED: "), "{out}");
    assert!(
        out.contains("log BROKEN: the decisions cannot be read to walk the log"),
        "{out}"
    );
}

#[test]
fn a_stored_policy_edited_behind_gavel_s_back_is_named() {
    let (env, _) = populated();
    connect(&env.db)
        .execute_batch(
            "DROP TRIGGER blobs_no_update;
             UPDATE blobs SET text = replace(text, 'BLOCK', 'APPROVE') WHERE text LIKE '%BLOCK%';",
        )
        .unwrap();
    let (code, out, _) = env.run(&["verify"]);
    assert_eq!(code, 1, "{out}");
    assert!(
        out.contains("version CHANGED: gfr-procurement@1.0.0: "),
        "{out}"
    );
    assert!(out.contains("its text no longer matches its hash"), "{out}");
}

#[test]
fn a_backup_taken_during_an_import_is_consistent_and_verifies() {
    let (env, before) = populated();
    let lines = 15_000i64;
    let log = env.dir.path().join("log.jsonl");
    std::fs::write(&log, decision_log(lines as usize, "live")).unwrap();
    let batch = gavel::decision_import::BATCH as i64;
    let mut child = spawn(&env.db, &["decisions", "import", log.to_str().unwrap()]);
    // Once the first batch is in and while the import goes on.
    assert!(wait_until(Duration::from_secs(120), || {
        decisions(&env.db) >= before.decisions() + batch
    }));
    let copy = env.dir.path().join("copy.db");
    let (code, out, err) = env.run(&["backup", copy.to_str().unwrap()]);
    let still_running = child.try_wait().unwrap().is_none();
    assert_eq!(code, 0, "{out}{err}");
    assert!(
        out.contains("store OK") && out.contains("versions OK"),
        "{out}"
    );
    let in_copy = decisions(&copy) - before.decisions();
    assert!(
        in_copy % batch == 0 && in_copy >= batch,
        "the copy holds {in_copy} new decisions: not whole batches"
    );
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(decisions(&env.db), before.decisions() + lines);
    // The copy is a store of its own: it verifies and opens for reading.
    let (code, out, err) = run_on(&copy, &["verify"]);
    assert_eq!(code, 0, "{out}{err}");
    eprintln!(
        "backup during import: {in_copy} new decisions in the copy (import still running: {still_running})"
    );
}
