//! Numbered schema migrations, applied in order at open. `PRAGMA
//! user_version` records how many have run. A migration is never edited once
//! it has shipped: a change is a new migration at the end of the list.

use rusqlite::{Connection, Transaction};

use crate::error::{Error, Result};

/// A migration: SQL, or code for what SQL cannot compute (hashes).
enum Migration {
    Sql(&'static str),
    Code(fn(&Transaction) -> Result<()>),
}

/// Migration N is `MIGRATIONS[N - 1]`.
const MIGRATIONS: &[Migration] = &[
    // 1: policy versions with their files, modules, rules and citations.
    Migration::Sql(
        r#"
    CREATE TABLE bundles (
        id          INTEGER PRIMARY KEY,
        name        TEXT NOT NULL UNIQUE,
        created_at  TEXT NOT NULL
    );

    CREATE TABLE versions (
        id            INTEGER PRIMARY KEY,
        bundle_id     INTEGER NOT NULL REFERENCES bundles(id),
        version       TEXT NOT NULL,
        content_hash  TEXT NOT NULL,
        rego_v0       INTEGER NOT NULL,
        manifest      TEXT NOT NULL,
        source_path   TEXT,
        imported_at   TEXT NOT NULL,
        UNIQUE (bundle_id, version)
    );
    CREATE INDEX versions_by_hash ON versions(content_hash);

    -- File texts by their SHA-256, shared between versions that hold the
    -- same file.
    CREATE TABLE blobs (
        sha256  TEXT PRIMARY KEY,
        text    TEXT NOT NULL
    ) WITHOUT ROWID;

    CREATE TABLE files (
        version_id  INTEGER NOT NULL REFERENCES versions(id),
        path        TEXT NOT NULL,
        kind        TEXT NOT NULL,
        sha256      TEXT NOT NULL REFERENCES blobs(sha256),
        PRIMARY KEY (version_id, path)
    ) WITHOUT ROWID;

    CREATE TABLE modules (
        version_id  INTEGER NOT NULL REFERENCES versions(id),
        file        TEXT NOT NULL,
        package     TEXT NOT NULL,
        is_test     INTEGER NOT NULL,
        title       TEXT,
        annotation  TEXT,
        PRIMARY KEY (version_id, file)
    ) WITHOUT ROWID;

    CREATE TABLE rules (
        id           INTEGER PRIMARY KEY,
        version_id   INTEGER NOT NULL REFERENCES versions(id),
        package      TEXT NOT NULL,
        name         TEXT NOT NULL,
        kind         TEXT NOT NULL,
        file         TEXT NOT NULL,
        line_start   INTEGER NOT NULL,
        line_end     INTEGER NOT NULL,
        is_test      INTEGER NOT NULL,
        entrypoint   INTEGER NOT NULL,
        title        TEXT,
        description  TEXT,
        severity     TEXT,
        value        TEXT,
        annotation   TEXT
    );
    CREATE INDEX rules_by_version ON rules(version_id, package, name);

    CREATE TABLE citations (
        rule_id     INTEGER NOT NULL REFERENCES rules(id),
        seq         INTEGER NOT NULL,
        regulation  TEXT NOT NULL,
        clause      TEXT NOT NULL,
        PRIMARY KEY (rule_id, seq)
    ) WITHOUT ROWID;
    CREATE INDEX citations_by_clause ON citations(regulation, clause);

    -- A version is immutable: its row and everything it holds.
    CREATE TRIGGER versions_no_update BEFORE UPDATE ON versions
        BEGIN SELECT RAISE(ABORT, 'policy versions are immutable'); END;
    CREATE TRIGGER versions_no_delete BEFORE DELETE ON versions
        BEGIN SELECT RAISE(ABORT, 'policy versions are immutable'); END;
    CREATE TRIGGER files_no_update BEFORE UPDATE ON files
        BEGIN SELECT RAISE(ABORT, 'policy versions are immutable'); END;
    CREATE TRIGGER files_no_delete BEFORE DELETE ON files
        BEGIN SELECT RAISE(ABORT, 'policy versions are immutable'); END;
    CREATE TRIGGER blobs_no_update BEFORE UPDATE ON blobs
        BEGIN SELECT RAISE(ABORT, 'policy versions are immutable'); END;
    "#,
    ),
    // 2: decisions, append-only and hash-chained in `seq` order.
    Migration::Sql(
        r#"
    CREATE TABLE decisions (
        seq             INTEGER PRIMARY KEY,
        decision_id     TEXT NOT NULL UNIQUE,
        path            TEXT NOT NULL,
        timestamp       TEXT NOT NULL,
        ts_ns           INTEGER NOT NULL,
        bundle_name     TEXT,
        bundle_revision TEXT,
        version_id      INTEGER REFERENCES versions(id),
        policy_hash     TEXT,
        outcome         TEXT NOT NULL,
        source          TEXT NOT NULL,
        -- The OPA event as canonical JSON, every field kept.
        event           TEXT NOT NULL,
        rule_outcomes   TEXT,
        chain_hash      TEXT NOT NULL
    );
    CREATE INDEX decisions_by_time ON decisions(ts_ns, seq);
    CREATE INDEX decisions_by_outcome ON decisions(outcome, ts_ns, seq);
    CREATE INDEX decisions_by_version ON decisions(version_id, ts_ns, seq);
    CREATE INDEX decisions_by_path ON decisions(path, ts_ns, seq);
    "#,
    ),
    // 3: test runs of stored versions, with every result and the coverage.
    Migration::Sql(
        r#"
    CREATE TABLE test_runs (
        id               INTEGER PRIMARY KEY,
        version_id       INTEGER NOT NULL REFERENCES versions(id),
        started_at       TEXT NOT NULL,
        duration_ns      INTEGER NOT NULL,
        total            INTEGER NOT NULL,
        pass             INTEGER NOT NULL,
        fail             INTEGER NOT NULL,
        error            INTEGER NOT NULL,
        skip             INTEGER NOT NULL,
        filter           TEXT,
        coverage         REAL,
        coverage_report  TEXT
    );
    CREATE INDEX test_runs_by_version ON test_runs(version_id, id);

    CREATE TABLE test_results (
        run_id  INTEGER NOT NULL REFERENCES test_runs(id),
        seq     INTEGER NOT NULL,
        status  TEXT NOT NULL,
        result  TEXT NOT NULL,
        PRIMARY KEY (run_id, seq)
    ) WITHOUT ROWID;
    "#,
    ),
    // 4: decisions become append-only; the chain's head is kept apart so a
    // truncated chain shows; replays are recorded.
    Migration::Sql(
        r#"
    CREATE TRIGGER decisions_no_update BEFORE UPDATE ON decisions
        BEGIN SELECT RAISE(ABORT, 'decisions are append-only'); END;
    CREATE TRIGGER decisions_no_delete BEFORE DELETE ON decisions
        BEGIN SELECT RAISE(ABORT, 'decisions are append-only'); END;

    CREATE TABLE chain_head (
        id          INTEGER PRIMARY KEY CHECK (id = 1),
        count       INTEGER NOT NULL,
        last_seq    INTEGER NOT NULL,
        chain_hash  TEXT NOT NULL
    );
    INSERT INTO chain_head (id, count, last_seq, chain_hash)
        SELECT 1, count(*), coalesce(max(seq), 0),
               coalesce((SELECT chain_hash FROM decisions ORDER BY seq DESC LIMIT 1), '')
        FROM decisions;

    CREATE TABLE replays (
        id                INTEGER PRIMARY KEY,
        decision_seq      INTEGER NOT NULL REFERENCES decisions(seq),
        batch_id          TEXT,
        version_id        INTEGER REFERENCES versions(id),
        own_version       INTEGER NOT NULL,
        verdict           TEXT NOT NULL,
        original_outcome  TEXT NOT NULL,
        replayed_outcome  TEXT,
        replayed_result   TEXT,
        reason            TEXT,
        replayed_at       TEXT NOT NULL
    );
    CREATE INDEX replays_by_decision ON replays(decision_seq, id);
    CREATE INDEX replays_by_batch ON replays(batch_id);
    "#,
    ),
    // 5: certification. Sign-offs are signed and immutable; exceptions are
    // append-only, and an exception's resolution is a row of its own (at
    // most one), so nothing once written is ever rewritten. Own-version
    // replays by version, for a certification's replay evidence.
    Migration::Sql(
        r#"
    CREATE TABLE signoffs (
        id            INTEGER PRIMARY KEY,
        version_id    INTEGER NOT NULL REFERENCES versions(id),
        role          TEXT NOT NULL,
        signer        TEXT NOT NULL,
        statement     TEXT,
        signed_at     TEXT NOT NULL,
        content_hash  TEXT NOT NULL,
        test_run_id   INTEGER NOT NULL REFERENCES test_runs(id),
        -- The canonical JSON that was signed, kept byte for byte.
        payload       TEXT NOT NULL,
        public_key    TEXT NOT NULL,
        signature     TEXT NOT NULL
    );
    CREATE INDEX signoffs_by_version ON signoffs(version_id, id);
    CREATE TRIGGER signoffs_no_update BEFORE UPDATE ON signoffs
        BEGIN SELECT RAISE(ABORT, 'sign-offs are immutable'); END;
    CREATE TRIGGER signoffs_no_delete BEFORE DELETE ON signoffs
        BEGIN SELECT RAISE(ABORT, 'sign-offs are immutable'); END;

    CREATE TABLE exceptions (
        id                INTEGER PRIMARY KEY,
        decision_seq      INTEGER NOT NULL REFERENCES decisions(seq),
        original_outcome  TEXT NOT NULL,
        granted_outcome   TEXT,
        reason            TEXT NOT NULL,
        owner             TEXT NOT NULL,
        created_at        TEXT NOT NULL,
        due_at            TEXT NOT NULL
    );
    CREATE INDEX exceptions_by_decision ON exceptions(decision_seq, id);
    CREATE INDEX exceptions_by_due ON exceptions(due_at);
    CREATE TABLE exception_resolutions (
        exception_id  INTEGER PRIMARY KEY REFERENCES exceptions(id),
        note          TEXT NOT NULL,
        resolved_by   TEXT,
        resolved_at   TEXT NOT NULL
    );
    CREATE TRIGGER exceptions_no_update BEFORE UPDATE ON exceptions
        BEGIN SELECT RAISE(ABORT, 'exceptions are append-only'); END;
    CREATE TRIGGER exceptions_no_delete BEFORE DELETE ON exceptions
        BEGIN SELECT RAISE(ABORT, 'exceptions are append-only'); END;
    CREATE TRIGGER exception_resolutions_no_update BEFORE UPDATE ON exception_resolutions
        BEGIN SELECT RAISE(ABORT, 'exception resolutions are append-only'); END;
    CREATE TRIGGER exception_resolutions_no_delete BEFORE DELETE ON exception_resolutions
        BEGIN SELECT RAISE(ABORT, 'exception resolutions are append-only'); END;

    CREATE INDEX replays_own_by_version ON replays(version_id, own_version);
    "#,
    ),
    // 6: whether a replay's result is the bytecode VM's, taken without an
    // interpreter check (batch replay against another version).
    Migration::Sql(
        r#"
    ALTER TABLE replays ADD COLUMN vm_unchecked INTEGER NOT NULL DEFAULT 0;
    "#,
    ),
    // 7: the hash chain becomes a Merkle log with signed checkpoints.
    Migration::Code(super::log_migration::to_merkle_log),
    // 8: the store itself holds the gates whatever runs at once (a trigger
    // rather than a unique index, which an older store with a duplicate
    // could not take): one sign-off per role of a version, one open
    // exception per decision, no resolution before its exception. Records
    // whose time `GAVEL_NOW` set say so (`clock`).
    Migration::Sql(
        r#"
    CREATE TRIGGER signoffs_one_per_role BEFORE INSERT ON signoffs
        WHEN EXISTS (SELECT 1 FROM signoffs WHERE version_id = NEW.version_id AND role = NEW.role)
        BEGIN SELECT RAISE(ABORT, 'a role signs off a version once'); END;
    CREATE TRIGGER exceptions_one_open BEFORE INSERT ON exceptions
        WHEN EXISTS (SELECT 1 FROM exceptions e
                     LEFT JOIN exception_resolutions r ON r.exception_id = e.id
                     WHERE e.decision_seq = NEW.decision_seq AND r.exception_id IS NULL)
        BEGIN SELECT RAISE(ABORT, 'a decision has at most one open exception'); END;
    CREATE TRIGGER resolutions_not_before_exceptions BEFORE INSERT ON exception_resolutions
        WHEN NEW.resolved_at < (SELECT created_at FROM exceptions WHERE id = NEW.exception_id)
        BEGIN SELECT RAISE(ABORT, 'a resolution never precedes its exception'); END;
    ALTER TABLE exceptions ADD COLUMN clock TEXT;
    ALTER TABLE exception_resolutions ADD COLUMN clock TEXT;
    "#,
    ),
];

/// The schema version this Gavel writes (the number of migrations).
pub fn known() -> i64 {
    i64::try_from(MIGRATIONS.len()).unwrap_or(i64::MAX)
}

/// Applies every migration the store has not had yet, each in its own
/// transaction with its `user_version` bump.
pub fn apply(conn: &mut Connection) -> Result<()> {
    let current: i64 = conn.query_row("PRAGMA user_version", [], |r| r.get(0))?;
    let known = known();
    if current > known {
        return Err(Error::Invalid(format!(
            "the store has schema version {current}, newer than this gavel knows ({known}): upgrade gavel"
        )));
    }
    for (n, step) in MIGRATIONS
        .iter()
        .enumerate()
        .skip(usize::try_from(current).unwrap_or(0))
    {
        // The write lock first, then the version again: two processes
        // opening a new store at once migrate it once, and neither fails.
        let tx = conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
        let now: i64 = tx.query_row("PRAGMA user_version", [], |r| r.get(0))?;
        if now > i64::try_from(n).unwrap_or(i64::MAX) {
            continue;
        }
        match step {
            Migration::Sql(sql) => tx.execute_batch(sql)?,
            Migration::Code(f) => f(&tx)?,
        }
        tx.pragma_update(
            None,
            "user_version",
            i64::try_from(n + 1).unwrap_or(i64::MAX),
        )?;
        tx.commit()?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use sha2::{Digest, Sha256};

    /// A store as schema 6 left it: three decisions on the old hash chain.
    fn chained_store(tamper: bool) -> Connection {
        let conn = Connection::open_in_memory().unwrap();
        for step in &MIGRATIONS[..6] {
            if let Migration::Sql(sql) = step {
                conn.execute_batch(sql).unwrap();
            }
        }
        conn.pragma_update(None, "user_version", 6).unwrap();
        let mut previous = String::new();
        for i in 1..=3 {
            let event =
                format!(r#"{{"decision_id":"d{i}","input":{{"n":{i}}},"path":"p","result":true}}"#);
            let doc = format!(r#"{{"event":{event},"gavel":{{"outcome":"allow"}}}}"#);
            let mut h = Sha256::new();
            h.update(previous.as_bytes());
            h.update(doc.as_bytes());
            let hash = hex::encode(h.finalize());
            let stored_event = if tamper && i == 2 {
                event.replace("\"n\":2", "\"n\":9")
            } else {
                event
            };
            conn.execute(
                "INSERT INTO decisions (seq, decision_id, path, timestamp, ts_ns, outcome, source, event, chain_hash)
                 VALUES (?1, ?2, 'p', '', 0, 'allow', 'import', ?3, ?4)",
                rusqlite::params![i, format!("d{i}"), stored_event, hash],
            )
            .unwrap();
            previous = hash;
        }
        conn.execute(
            "UPDATE chain_head SET count = 3, last_seq = 3, chain_hash = ?1",
            [&previous],
        )
        .unwrap();
        conn
    }

    #[test]
    fn a_chained_store_moves_to_the_merkle_log() {
        let mut conn = chained_store(false);
        apply(&mut conn).unwrap();
        let leaves: Vec<Vec<u8>> = conn
            .prepare("SELECT leaf_hash FROM decisions ORDER BY seq")
            .unwrap()
            .query_map([], |r| r.get(0))
            .unwrap()
            .collect::<rusqlite::Result<_>>()
            .unwrap();
        assert_eq!(leaves.len(), 3);
        let leaves: Vec<crate::tlog::merkle::Hash> = leaves
            .iter()
            .map(|l| l.as_slice().try_into().unwrap())
            .collect();
        let head = crate::store::log::read_head(&conn).unwrap();
        assert_eq!(head.size(), 3);
        assert_eq!(head.root(), crate::tlog::merkle::root_of_leaves(&leaves));
        assert!(head.origin.starts_with("gavel/decisions/"));
        // Each leaf is the hash of the record rebuilt from its row.
        let record = crate::tlog::record::LeafRecord {
            event_sha256: crate::tlog::record::event_sha256(
                r#"{"decision_id":"d2","input":{"n":2},"path":"p","result":true}"#,
            ),
            outcome: "allow".into(),
            position: 2,
            policy_hash: None,
            rule_outcomes: None,
            source: "import".into(),
            version: None,
        };
        assert_eq!(
            leaves[1],
            crate::tlog::merkle::leaf_hash(record.to_text().as_bytes())
        );
        // The chain's columns and table are gone; decisions stay append-only.
        assert!(conn.prepare("SELECT chain_hash FROM decisions").is_err());
        assert!(conn.prepare("SELECT * FROM chain_head").is_err());
        assert!(conn.execute("DELETE FROM decisions", []).is_err());
    }

    #[test]
    fn a_broken_chain_is_not_moved() {
        let mut conn = chained_store(true);
        let err = apply(&mut conn).unwrap_err().to_string();
        assert!(err.contains("broken at decision d2 (#2)"), "{err}");
        // Nothing changed: still schema 6, the chain as it was.
        let v: i64 = conn
            .query_row("PRAGMA user_version", [], |r| r.get(0))
            .unwrap();
        assert_eq!(v, 6);
        assert!(conn.prepare("SELECT chain_hash FROM decisions").is_ok());
    }
}
