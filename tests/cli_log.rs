//! The Merkle log against someone who can write the store file: each attack
//! of issue 17, done as that person would (triggers dropped, every hash the
//! store keeps recomputed with Gavel's own code), is caught by `gavel verify
//! --checkpoint` with a checkpoint kept from before. Inclusion proofs check
//! offline, and fail on any changed byte.

mod common;

use std::path::{Path, PathBuf};

use common::Env;
use gavel::store::Store;
use gavel::tlog::merkle::{self, CompactRange};
use gavel::tlog::note::{Checkpoint, NoteVerifier, parse_note, verify_note};
use gavel::tlog::proof::InclusionProof;
use gavel::tlog::record::{LeafRecord, event_sha256};
use rusqlite::{Connection, params};

/// A line of an OPA decision log.
fn line(i: usize, outcome: &str) -> String {
    format!(
        r#"{{"decision_id":"d{i}","path":"p/decision","input":{{"n":{i},"big":123456789012345678901234567890,"e":1E2}},"result":{{"outcome":"{outcome}"}},"timestamp":"2026-11-20T10:{:02}:{:02}Z","bundles":{{"p":{{"revision":"1.0.0"}}}}}}"#,
        i / 60,
        i % 60
    )
}

/// A store holding version p@1.0.0 and 300 decisions imported in three
/// batches of 100 (three signed checkpoints), and the checkpoint an auditor
/// kept at 300, with the verifier key.
struct Log {
    env: Env,
    kept: PathBuf,
    key: PathBuf,
}

fn outcome_of(i: usize) -> &'static str {
    if i.is_multiple_of(3) {
        "BLOCK"
    } else {
        "APPROVE"
    }
}

fn log_of_300() -> Log {
    let env = Env::new();
    let b = env.bundle(
        "p/1.0.0",
        &[(
            "p.rego",
            "package p\n\ndecision := {\"outcome\": \"APPROVE\"} if input.n % 3 != 0\n\ndecision := {\"outcome\": \"BLOCK\"} if input.n % 3 == 0\n",
        )],
    );
    let (code, _, err) = env.run(&["import", b.to_str().unwrap()]);
    assert_eq!(code, 0, "{err}");
    for batch in 0..3 {
        let path = env.dir.path().join(format!("log{batch}.jsonl"));
        let lines: Vec<String> = (batch * 100 + 1..=batch * 100 + 100)
            .map(|i| line(i, outcome_of(i)))
            .collect();
        std::fs::write(&path, lines.join("\n")).unwrap();
        let (code, out, err) = env.run(&["decisions", "import", path.to_str().unwrap()]);
        assert_eq!(code, 0, "{out}{err}");
    }
    let kept = env.dir.path().join("kept-checkpoint.txt");
    let (code, out, err) = env.run(&["checkpoint", "--out", kept.to_str().unwrap()]);
    assert_eq!(code, 0, "{out}{err}");
    let key = env.dir.path().join("keys/log.pub");
    assert!(
        key.exists(),
        "the verifier key is written beside the log key"
    );
    let log = Log { env, kept, key };
    let (code, out, _) = log.verify_kept();
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("kept checkpoint OK"), "{out}");
    log
}

impl Log {
    fn verify_kept(&self) -> (i32, String, String) {
        self.env.run(&[
            "verify",
            "--checkpoint",
            self.kept.to_str().unwrap(),
            "--key",
            self.key.to_str().unwrap(),
        ])
    }

    fn conn(&self) -> Connection {
        Connection::open(&self.env.db).unwrap()
    }
}

/// The attacker's toolkit: every trigger off, then every leaf hash,
/// interior node and the head recomputed from the rows as they now are,
/// with Gavel's own code. `drop_checkpoints_from`: stored checkpoints of at
/// least this size are deleted too (they cannot be re-signed).
fn rewrite_log(db: &Path, drop_checkpoints_from: Option<u64>) {
    let conn = Connection::open(db).unwrap();
    conn.execute_batch(
        "DROP TRIGGER IF EXISTS decisions_no_update; DROP TRIGGER IF EXISTS decisions_no_delete;
         DROP TRIGGER IF EXISTS log_nodes_no_update; DROP TRIGGER IF EXISTS log_nodes_no_delete;
         DROP TRIGGER IF EXISTS checkpoints_no_update; DROP TRIGGER IF EXISTS checkpoints_no_delete;
         DROP TRIGGER IF EXISTS checkpoint_exports_no_delete;
         DELETE FROM log_nodes;",
    )
    .unwrap();
    let store = Store::open(db).unwrap();
    let seqs: Vec<i64> = conn
        .prepare("SELECT seq FROM decisions ORDER BY seq")
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .collect::<rusqlite::Result<_>>()
        .unwrap();
    let mut range = CompactRange::new();
    for seq in seqs {
        let text = store.record_text(seq).unwrap().unwrap();
        let leaf = merkle::leaf_hash(text.as_bytes());
        conn.execute(
            "UPDATE decisions SET leaf_hash = ?1 WHERE seq = ?2",
            params![&leaf[..], seq],
        )
        .unwrap();
        let mut nodes = Vec::new();
        range.append(leaf, |level, index, hash| {
            if level >= 8 {
                nodes.push((level, index, *hash));
            }
        });
        for (level, index, hash) in nodes {
            conn.execute(
                "INSERT INTO log_nodes (level, idx, hash) VALUES (?1, ?2, ?3)",
                params![level, index as i64, &hash[..]],
            )
            .unwrap();
        }
    }
    conn.execute(
        "UPDATE log_head SET size = ?1, compact_range = ?2",
        params![range.size() as i64, range.to_bytes()],
    )
    .unwrap();
    if let Some(from) = drop_checkpoints_from {
        conn.execute(
            "DELETE FROM checkpoint_exports WHERE checkpoint_id IN (SELECT id FROM checkpoints WHERE size >= ?1)",
            params![from as i64],
        )
        .unwrap();
        conn.execute(
            "DELETE FROM checkpoints WHERE size >= ?1",
            params![from as i64],
        )
        .unwrap();
    }
}

/// Makes decision `victim` say what decision `source` (an APPROVE) said:
/// its input and result, so its outcome; the rest of its event stays.
fn copy_decision(db: &Path, victim: &str, source: &str) {
    let conn = Connection::open(db).unwrap();
    conn.execute_batch("DROP TRIGGER IF EXISTS decisions_no_update;")
        .unwrap();
    let read = |id: &str| -> (serde_json::Value, String) {
        conn.query_row(
            "SELECT event, outcome FROM decisions WHERE decision_id = ?1",
            [id],
            |r| {
                Ok((
                    serde_json::from_str(&r.get::<_, String>(0)?).unwrap(),
                    r.get(1)?,
                ))
            },
        )
        .unwrap()
    };
    let (from, outcome) = read(source);
    let (mut event, _) = read(victim);
    event["input"] = from["input"].clone();
    event["result"] = from["result"].clone();
    conn.execute(
        "UPDATE decisions SET event = ?1, outcome = ?2 WHERE decision_id = ?3",
        params![event.to_string(), outcome, victim],
    )
    .unwrap();
}

#[test]
fn an_edited_decision_with_every_hash_recomputed_is_caught_by_a_kept_checkpoint() {
    // The careless edit: the event changes, nothing else.
    let log = log_of_300();
    copy_decision(&log.env.db, "d150", "d151");
    let (code, out, _) = log.env.run(&["verify"]);
    assert_eq!(code, 1, "{out}");
    assert!(
        out.contains(
            "decision d150 (log position 150) was edited: its event or rule outcomes no longer hash"
        ),
        "{out}"
    );

    // The thorough one: records, leaves, nodes and head recomputed. The
    // store's own signed checkpoints at 200 and 300 no longer match.
    let log = log_of_300();
    copy_decision(&log.env.db, "d150", "d151");
    rewrite_log(&log.env.db, None);
    let (code, out, _) = log.env.run(&["verify"]);
    assert_eq!(code, 1, "{out}");
    assert!(
        out.contains("log BROKEN: the log was rewritten: at the store's checkpoint #2")
            && out.contains("the first difference lies between positions 101 and 200"),
        "{out}"
    );

    // With those deleted as well, only the kept checkpoint tells.
    let log = log_of_300();
    copy_decision(&log.env.db, "d150", "d151");
    rewrite_log(&log.env.db, Some(101));
    let (code, out, _) = log.env.run(&["verify"]);
    assert_eq!(code, 0, "the store alone cannot tell: {out}");
    let (code, out, _) = log.verify_kept();
    assert_eq!(code, 1, "{out}");
    assert!(
        out.contains("the log was rewritten: at ")
            && out.contains("kept-checkpoint.txt's size 300")
            && out.contains("the first difference lies between positions 101 and 300"),
        "{out}"
    );
}

#[test]
fn deleting_the_last_decisions_is_caught() {
    let log = log_of_300();
    let conn = log.conn();
    conn.execute_batch("DROP TRIGGER decisions_no_delete; DELETE FROM decisions WHERE seq > 290;")
        .unwrap();
    drop(conn);
    rewrite_log(&log.env.db, Some(291));
    let (code, out, _) = log.verify_kept();
    assert_eq!(code, 1, "{out}");
    assert!(
        out.contains("decisions were removed: ")
            && out.contains(
                "covers 300 decisions, the log holds 290 (positions 291 to 300 are gone)"
            ),
        "{out}"
    );
}

#[test]
fn a_doctored_copy_imported_in_place_of_the_last_decision_is_caught() {
    let log = log_of_300();
    let conn = log.conn();
    conn.execute_batch("DROP TRIGGER decisions_no_delete; DELETE FROM decisions WHERE seq = 300;")
        .unwrap();
    drop(conn);
    // Without the head put right, Gavel refuses to extend a cut log.
    let doctored = log.env.dir.path().join("doctored.jsonl");
    std::fs::write(&doctored, line(300, "APPROVE")).unwrap();
    let (code, _, err) = log
        .env
        .run(&["decisions", "import", doctored.to_str().unwrap()]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("the decision log is not whole"), "{err}");
    // With the head put right and the checkpoint at 300 gone, Gavel itself
    // appends the copy and signs a checkpoint for it.
    rewrite_log(&log.env.db, Some(300));
    let (code, out, err) = log
        .env
        .run(&["decisions", "import", doctored.to_str().unwrap()]);
    assert_eq!(code, 0, "{out}{err}");
    let (code, out, _) = log.env.run(&["verify"]);
    assert_eq!(code, 0, "the store alone cannot tell: {out}");
    let (code, out, _) = log.verify_kept();
    assert_eq!(code, 1, "{out}");
    assert!(
        out.contains("the log was rewritten")
            && out.contains("the first difference lies between positions 201 and 300"),
        "{out}"
    );
}

#[test]
fn columns_kept_for_queries_are_checked_against_the_hashed_record() {
    let cases: &[(&str, &str)] = &[
        (
            "UPDATE decisions SET decision_id = 'other' WHERE seq = 7",
            "column decision_id says 'other', the hashed decision says 'd7'",
        ),
        (
            "UPDATE decisions SET path = 'q/decision' WHERE seq = 7",
            "column path says 'q/decision'",
        ),
        (
            "UPDATE decisions SET timestamp = '2026-01-01T00:00:00Z' WHERE seq = 7",
            "column timestamp says '2026-01-01T00:00:00Z'",
        ),
        (
            "UPDATE decisions SET ts_ns = 0 WHERE seq = 7",
            "column ts_ns says 0",
        ),
        (
            "UPDATE decisions SET version_id = NULL WHERE seq = 7",
            "column version_id says (none), the hashed decision says 'p@1.0.0'",
        ),
        (
            "UPDATE decisions SET outcome = 'BLOCK' WHERE seq = 7",
            "column outcome says 'BLOCK', the hashed decision says 'APPROVE'",
        ),
        (
            "UPDATE decisions SET policy_hash = 'sha256:00' WHERE seq = 7",
            "column policy_hash says 'sha256:00'",
        ),
        (
            "UPDATE decisions SET rule_outcomes = 'not json' WHERE seq = 7",
            "(log position 7): its rule outcomes cannot be read",
        ),
        (
            "UPDATE decisions SET source = 'eval' WHERE seq = 7",
            "column source says 'eval', the hashed decision says 'import'",
        ),
        (
            "UPDATE decisions SET event = replace(event, '\"n\":7', '\"n\":8') WHERE seq = 7",
            "decision d7 (log position 7) was edited",
        ),
    ];
    let log = log_of_300();
    let template = log.env.dir.path().join("template.db");
    std::fs::copy(&log.env.db, &template).unwrap();
    for (sql, want) in cases {
        std::fs::copy(&template, &log.env.db).unwrap();
        let conn = log.conn();
        conn.execute_batch(&format!("DROP TRIGGER decisions_no_update; {sql};"))
            .unwrap();
        drop(conn);
        let (code, out, _) = log.verify_kept();
        assert_eq!(code, 1, "{sql}: {out}");
        assert!(out.contains(want), "{sql}: {out}");
        assert!(
            out.contains("decision d7") || out.contains("decision other"),
            "{sql}: {out}"
        );
    }
}

#[test]
fn events_are_kept_and_hashed_as_they_arrived() {
    let log = log_of_300();
    let conn = log.conn();
    let event: String = conn
        .query_row(
            "SELECT event FROM decisions WHERE decision_id = 'd5'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(event, line(5, "APPROVE"), "byte for byte");
    assert!(event.contains("123456789012345678901234567890") && event.contains("1E2"));
    // The leaf hashes the SHA-256 of those bytes.
    let record = Store::open(&log.env.db)
        .unwrap()
        .record_text(5)
        .unwrap()
        .unwrap();
    assert_eq!(
        LeafRecord::parse(&record).unwrap().event_sha256,
        event_sha256(&line(5, "APPROVE"))
    );
    // What Gavel shows and exports holds the same numbers.
    let shown = log.env.json(&["decisions", "show", "d5"]);
    assert_eq!(
        shown["input"]["big"].to_string(),
        "123456789012345678901234567890"
    );
    let (_, exported, _) = log.env.run(&["decisions", "export", "--text", "\"d5\""]);
    assert!(
        exported.contains("\"big\":123456789012345678901234567890")
            && exported.contains("\"e\":1E2"),
        "{exported}"
    );
}

/// Flips one bit of byte `i`.
fn flipped(text: &str, i: usize) -> Vec<u8> {
    let mut b = text.as_bytes().to_vec();
    b[i] ^= 0x01;
    b
}

#[test]
fn an_inclusion_proof_checks_offline_and_fails_on_any_changed_byte() {
    let log = log_of_300();
    let proof = log.env.dir.path().join("proof.txt");
    let (code, out, err) = log.env.run(&[
        "decisions",
        "prove",
        "d42",
        "--checkpoint",
        log.kept.to_str().unwrap(),
        "--key",
        log.key.to_str().unwrap(),
        "--out",
        proof.to_str().unwrap(),
    ]);
    assert_eq!(code, 0, "{out}{err}");
    // Offline: the store is gone.
    std::fs::remove_file(&log.env.db).unwrap();
    let check = |p: &Path, c: &Path| {
        log.env.run(&[
            "verify-proof",
            p.to_str().unwrap(),
            "--checkpoint",
            c.to_str().unwrap(),
            "--key",
            log.key.to_str().unwrap(),
        ])
    };
    let (code, out, err) = check(&proof, &log.kept);
    assert_eq!(code, 0, "{out}{err}");
    assert!(
        out.contains("proof OK: decision d42 is at position 42 of the log"),
        "{out}"
    );

    // Every byte of the proof (the decision's event and record included)
    // and of the checkpoint, flipped one at a time, in process.
    let proof_text = std::fs::read_to_string(&proof).unwrap();
    let cp_text = std::fs::read_to_string(&log.kept).unwrap();
    let key_text = std::fs::read_to_string(&log.key).unwrap();
    let verifier = NoteVerifier::parse(key_text.trim()).unwrap();
    let holds = |proof: &[u8], cp: &[u8]| -> bool {
        let (Ok(proof), Ok(cp)) = (std::str::from_utf8(proof), std::str::from_utf8(cp)) else {
            return false;
        };
        let Ok(note) = parse_note(cp) else {
            return false;
        };
        let Ok(checkpoint) = Checkpoint::parse(&note.text) else {
            return false;
        };
        let Ok(proof) = InclusionProof::parse(proof) else {
            return false;
        };
        verify_note(&note, &verifier).is_ok() && proof.verify(&checkpoint).is_ok()
    };
    assert!(holds(proof_text.as_bytes(), cp_text.as_bytes()));
    for i in 0..proof_text.len() {
        assert!(
            !holds(&flipped(&proof_text, i), cp_text.as_bytes()),
            "proof byte {i} flipped still verifies"
        );
    }
    for i in 0..cp_text.len() {
        assert!(
            !holds(proof_text.as_bytes(), &flipped(&cp_text, i)),
            "checkpoint byte {i} flipped still verifies"
        );
    }

    // And through the binary: a changed outcome in the event, a changed
    // hash, a changed root.
    let bad = log.env.dir.path().join("bad-proof.txt");
    std::fs::write(&bad, proof_text.replacen("\"n\":42", "\"n\":43", 1)).unwrap();
    let (code, out, _) = check(&bad, &log.kept);
    assert_eq!(code, 1, "{out}");
    assert!(
        out.contains("proof FAILED: decision d42: the event is not the one the record hashes"),
        "{out}"
    );
    let last_hash = proof_text.lines().last().unwrap().to_string();
    let mut other = last_hash.clone().into_bytes();
    other[6] = if other[6] == b'A' { b'B' } else { b'A' };
    std::fs::write(
        &bad,
        proof_text.replace(&last_hash, std::str::from_utf8(&other).unwrap()),
    )
    .unwrap();
    let (code, out, _) = check(&bad, &log.kept);
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("proof FAILED"), "{out}");
    let bad_cp = log.env.dir.path().join("bad-cp.txt");
    let root_line = cp_text.lines().nth(2).unwrap();
    let mut root = root_line.as_bytes().to_vec();
    root[0] = if root[0] == b'A' { b'B' } else { b'A' };
    std::fs::write(
        &bad_cp,
        cp_text.replace(root_line, std::str::from_utf8(&root).unwrap()),
    )
    .unwrap();
    let (code, out, _) = check(&proof, &bad_cp);
    assert_eq!(code, 1, "{out}");
    assert!(
        out.contains("the checkpoint is not signed by gavel-log"),
        "{out}"
    );
}

#[test]
fn malformed_checkpoints_and_proofs_say_file_and_line() {
    let log = log_of_300();
    let proof = log.env.dir.path().join("proof.txt");
    let (code, _, err) =
        log.env
            .run(&["decisions", "prove", "d9", "--out", proof.to_str().unwrap()]);
    assert_eq!(code, 0, "{err}");
    let dir = log.env.dir.path();
    let cp = std::fs::read_to_string(&log.kept).unwrap();
    let text = std::fs::read_to_string(&proof).unwrap();
    let hash_line = format!("proof-hash.txt:{}:", text.lines().count() + 1);
    let cases: Vec<(&str, String, bool, &str)> = vec![
        (
            "cp-no-blank.txt",
            cp.replacen("\n\n", "\n", 1),
            true,
            "cp-no-blank.txt:",
        ),
        (
            "cp-size.txt",
            cp.replacen("\n300\n", "\n0300\n", 1),
            true,
            "cp-size.txt:2:",
        ),
        (
            "proof-size.txt",
            text.replacen("size ", "size x", 1),
            false,
            "proof-size.txt:5:",
        ),
        (
            "proof-hash.txt",
            format!("{text}hash not-base64\n"),
            false,
            &hash_line,
        ),
        (
            "proof-header.txt",
            text.replacen("v1", "v9", 1),
            false,
            "proof-header.txt:1:",
        ),
    ];
    for (name, body, is_checkpoint, want) in &cases {
        let path = dir.join(name);
        std::fs::write(&path, body).unwrap();
        let (p, c) = if *is_checkpoint {
            (proof.clone(), path.clone())
        } else {
            (path.clone(), log.kept.clone())
        };
        let (code, out, err) = log.env.run(&[
            "verify-proof",
            p.to_str().unwrap(),
            "--checkpoint",
            c.to_str().unwrap(),
            "--key",
            log.key.to_str().unwrap(),
        ]);
        assert_eq!(code, 2, "{name}: {out}{err}");
        assert!(err.contains(want), "{name}: {err}");
        if *is_checkpoint {
            let (code, _, err) = log.env.run(&[
                "verify",
                "--checkpoint",
                c.to_str().unwrap(),
                "--key",
                log.key.to_str().unwrap(),
            ]);
            assert_eq!(code, 2, "{name}: {err}");
            assert!(err.contains(want), "{name}: {err}");
        }
    }
    // A verifier key that is not one.
    let bad_key = dir.join("bad.pub");
    std::fs::write(&bad_key, "\nnot a key\n").unwrap();
    let (code, _, err) = log.env.run(&[
        "verify-proof",
        proof.to_str().unwrap(),
        "--checkpoint",
        log.kept.to_str().unwrap(),
        "--key",
        bad_key.to_str().unwrap(),
    ]);
    assert_eq!(code, 2);
    assert!(err.contains("bad.pub:2: not a verifier key"), "{err}");
}

#[test]
fn replays_and_sign_offs_record_the_checkpoint_they_saw() {
    let log = log_of_300();
    let before = log.env.json(&["checkpoint"]);
    let report = log.env.json(&["replay", "--all"]);
    let cp = &report["checkpoint"];
    assert_eq!(cp["size"], 300, "{report}");
    assert!(
        cp["reason"].as_str().unwrap().starts_with("replay batch "),
        "{report}"
    );
    assert_eq!(cp["root"], before["root"]);
}

#[test]
fn a_log_that_grew_still_extends_the_kept_checkpoint() {
    let log = log_of_300();
    let more = log.env.dir.path().join("more.jsonl");
    let lines: Vec<String> = (301..=350).map(|i| line(i, outcome_of(i))).collect();
    std::fs::write(&more, lines.join("\n")).unwrap();
    let (code, out, err) = log
        .env
        .run(&["decisions", "import", more.to_str().unwrap()]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.contains("log: 350 decisions, checkpoint #"), "{out}");
    let (code, out, _) = log.verify_kept();
    assert_eq!(code, 0, "{out}");
    assert!(
        out.contains(
            "kept checkpoint OK: the log extends it (size 300, now 350; consistency proof of"
        ),
        "{out}"
    );
    let report = log.env.json(&[
        "verify",
        "--checkpoint",
        log.kept.to_str().unwrap(),
        "--key",
        log.key.to_str().unwrap(),
    ]);
    assert!(!report["consistency_proof"].as_array().unwrap().is_empty());
}
