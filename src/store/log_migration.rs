//! Migration 7: the decisions' hash chain becomes the Merkle log.
//!
//! The old chain is walked first; a store whose chain is already broken is
//! not moved, since the new log would vouch for whatever was changed. Each
//! decision gets the leaf hash of its record (the event by the SHA-256 of
//! its stored text, which is all the old store kept); the tree's nodes and
//! head are built; the chain's columns go.

use rusqlite::{Transaction, params};
use sha2::{Digest, Sha256};

use super::log::{LogHead, append_leaf, write_head};
use crate::canonical::canonical_json;
use crate::engine::RuleOutcome;
use crate::error::{Error, Result};
use crate::tlog::merkle::{self, CompactRange};
use crate::tlog::record::{LeafRecord, event_sha256};

const TABLES: &str = r#"
    DROP TRIGGER IF EXISTS decisions_no_update;
    DROP TRIGGER IF EXISTS decisions_no_delete;
    ALTER TABLE decisions ADD COLUMN leaf_hash BLOB;

    -- The tree's right edge and the log's name (the checkpoint origin).
    CREATE TABLE log_head (
        id             INTEGER PRIMARY KEY CHECK (id = 1),
        origin         TEXT NOT NULL,
        size           INTEGER NOT NULL,
        compact_range  BLOB NOT NULL
    );
    -- Interior nodes at level 8 and above, for fast proofs.
    CREATE TABLE log_nodes (
        level  INTEGER NOT NULL,
        idx    INTEGER NOT NULL,
        hash   BLOB NOT NULL,
        PRIMARY KEY (level, idx)
    ) WITHOUT ROWID;
    -- Signed checkpoints (C2SP tlog-checkpoint notes), byte for byte.
    CREATE TABLE checkpoints (
        id          INTEGER PRIMARY KEY,
        size        INTEGER NOT NULL,
        root        BLOB NOT NULL,
        note        TEXT NOT NULL,
        reason      TEXT NOT NULL,
        created_at  TEXT NOT NULL
    );
    CREATE INDEX checkpoints_by_size ON checkpoints(size, id);
    -- Checkpoints written out for someone to keep.
    CREATE TABLE checkpoint_exports (
        id             INTEGER PRIMARY KEY,
        checkpoint_id  INTEGER NOT NULL REFERENCES checkpoints(id),
        written_to     TEXT NOT NULL,
        exported_at    TEXT NOT NULL
    );
"#;

const AFTER: &str = r#"
    ALTER TABLE decisions DROP COLUMN chain_hash;
    DROP TABLE chain_head;
    CREATE TRIGGER decisions_no_update BEFORE UPDATE ON decisions
        BEGIN SELECT RAISE(ABORT, 'decisions are append-only'); END;
    CREATE TRIGGER decisions_no_delete BEFORE DELETE ON decisions
        BEGIN SELECT RAISE(ABORT, 'decisions are append-only'); END;
    CREATE TRIGGER log_nodes_no_update BEFORE UPDATE ON log_nodes
        BEGIN SELECT RAISE(ABORT, 'the log is append-only'); END;
    CREATE TRIGGER log_nodes_no_delete BEFORE DELETE ON log_nodes
        BEGIN SELECT RAISE(ABORT, 'the log is append-only'); END;
    CREATE TRIGGER checkpoints_no_update BEFORE UPDATE ON checkpoints
        BEGIN SELECT RAISE(ABORT, 'checkpoints are immutable'); END;
    CREATE TRIGGER checkpoints_no_delete BEFORE DELETE ON checkpoints
        BEGIN SELECT RAISE(ABORT, 'checkpoints are immutable'); END;
    CREATE TRIGGER checkpoint_exports_no_update BEFORE UPDATE ON checkpoint_exports
        BEGIN SELECT RAISE(ABORT, 'checkpoint exports are append-only'); END;
    CREATE TRIGGER checkpoint_exports_no_delete BEFORE DELETE ON checkpoint_exports
        BEGIN SELECT RAISE(ABORT, 'checkpoint exports are append-only'); END;
"#;

/// A new log's origin: `gavel/decisions/` and 16 random hex digits.
pub fn new_origin() -> Result<String> {
    let mut id = [0u8; 8];
    getrandom::fill(&mut id)
        .map_err(|e| Error::Invalid(format!("no randomness for the log's name: {e}")))?;
    Ok(format!("gavel/decisions/{}", hex::encode(id)))
}

type OldRow = (
    i64,
    String,
    String,
    String,
    String,
    Option<String>,
    Option<String>,
    String,
    Option<i64>,
    String,
    String,
);

pub fn to_merkle_log(tx: &Transaction) -> Result<()> {
    tx.execute_batch(TABLES)?;
    let mut head = LogHead {
        origin: new_origin()?,
        range: CompactRange::new(),
    };
    tx.execute(
        "INSERT INTO log_head (id, origin, size, compact_range) VALUES (1, ?1, 0, ?2)",
        params![head.origin, head.range.to_bytes()],
    )?;
    let rows: Vec<OldRow> = tx
        .prepare(
            "SELECT d.seq, d.decision_id, d.path, d.timestamp, d.outcome, d.policy_hash, d.rule_outcomes,
                    d.source, d.version_id, d.event, d.chain_hash
             FROM decisions d ORDER BY d.seq",
        )?
        .query_map([], |r| {
            Ok((
                r.get(0)?,
                r.get(1)?,
                r.get(2)?,
                r.get(3)?,
                r.get(4)?,
                r.get(5)?,
                r.get(6)?,
                r.get(7)?,
                r.get(8)?,
                r.get(9)?,
                r.get(10)?,
            ))
        })?
        .collect::<rusqlite::Result<_>>()?;
    check_old_chain(tx, &rows)?;
    let mut update = tx.prepare("UPDATE decisions SET leaf_hash = ?1 WHERE seq = ?2")?;
    let mut label = tx.prepare(
        "SELECT b.name || '@' || v.version FROM versions v JOIN bundles b ON b.id = v.bundle_id WHERE v.id = ?1",
    )?;
    for (seq, id, _, _, outcome, policy_hash, rule_outcomes, source, version_id, event, _) in &rows
    {
        let rule_outcomes = rule_outcomes
            .as_deref()
            .map(serde_json::from_str::<Vec<RuleOutcome>>)
            .transpose()
            .map_err(|e| {
                Error::Invalid(format!(
                    "decision {id} (#{seq}): its rule outcomes cannot be read ({e}); the store cannot be upgraded"
                ))
            })?;
        let version = version_id
            .map(|v| label.query_row(params![v], |r| r.get::<_, String>(0)))
            .transpose()?;
        let record = LeafRecord {
            event_sha256: event_sha256(event),
            outcome: outcome.clone(),
            position: u64::try_from(*seq).unwrap_or(0),
            policy_hash: policy_hash.clone(),
            rule_outcomes,
            source: source.clone(),
            version,
        }
        .to_text();
        let leaf = merkle::leaf_hash(record.as_bytes());
        update.execute(params![&leaf[..], seq])?;
        append_leaf(tx, &mut head, leaf)?;
    }
    write_head(tx, &head)?;
    tx.execute_batch(AFTER)?;
    Ok(())
}

/// The old chain: `sha256(previous || {"event":..,"gavel":{..}})` per row,
/// and the head row. A break stops the upgrade.
fn check_old_chain(tx: &Transaction, rows: &[OldRow]) -> Result<()> {
    let mut previous = String::new();
    for (i, (seq, id, _, _, outcome, policy_hash, rule_outcomes, _, _, event, stored)) in
        rows.iter().enumerate()
    {
        let quote = |s: &str| serde_json::to_string(s).unwrap_or_default();
        let mut doc = format!(
            "{{\"event\":{event},\"gavel\":{{\"outcome\":{}",
            quote(outcome)
        );
        if let Some(h) = policy_hash {
            doc.push_str(&format!(",\"policy_hash\":{}", quote(h)));
        }
        if let Some(r) = rule_outcomes
            .as_deref()
            .and_then(|r| serde_json::from_str::<Vec<RuleOutcome>>(r).ok())
        {
            doc.push_str(",\"rule_outcomes\":");
            doc.push_str(&canonical_json(
                &serde_json::to_value(r).unwrap_or(serde_json::Value::Null),
            ));
        }
        doc.push_str("}}");
        let mut h = Sha256::new();
        h.update(previous.as_bytes());
        h.update(doc.as_bytes());
        let hash = hex::encode(h.finalize());
        if hash != *stored || *seq != i as i64 + 1 {
            return Err(broken(&format!("at decision {id} (#{seq})")));
        }
        previous = hash;
    }
    let (count, head): (i64, String) = tx.query_row(
        "SELECT count, chain_hash FROM chain_head WHERE id = 1",
        [],
        |r| Ok((r.get(0)?, r.get(1)?)),
    )?;
    if count != rows.len() as i64 || head != previous {
        return Err(broken("at its end (decisions were removed)"));
    }
    Ok(())
}

fn broken(where_: &str) -> Error {
    Error::Invalid(format!(
        "this store's decision chain is broken {where_}: it is not moved to the Merkle log, which would \
         vouch for the change; open it with the gavel that wrote it and run `gavel verify`"
    ))
}
