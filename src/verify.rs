//! `gavel verify`: walks the decision chain and names the first decision
//! that does not match, and why (edited, deleted, reordered).

use std::collections::HashMap;

use rusqlite::params;
use serde::Serialize;

use crate::error::Result;
use crate::store::Store;
use crate::store::decisions::{CHAIN_START, chain_document, chain_hash};

/// What is wrong at the first bad place of the chain.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Break {
    /// The row's content no longer hashes to its chain hash.
    Edited { seq: i64, decision_id: String },
    /// Chain positions are missing before this row.
    Deleted {
        seq: i64,
        decision_id: String,
        missing: i64,
    },
    /// Rows at the end of the chain are gone (the head says more).
    Truncated { expected: i64, found: i64 },
    /// The row is intact but sits after another predecessor than the one
    /// it was chained to.
    Reordered {
        seq: i64,
        decision_id: String,
        chained_after: String,
    },
    /// The decisions could not be read (a damaged file).
    Unreadable { reason: String },
}

impl Break {
    pub fn describe(&self) -> String {
        match self {
            Break::Edited { seq, decision_id } => format!(
                "decision {decision_id} (chain position {seq}) was edited: its record no longer matches its chain hash"
            ),
            Break::Deleted {
                seq,
                decision_id,
                missing,
            } => format!(
                "{missing} decision(s) deleted just before decision {decision_id} (chain position {seq})"
            ),
            Break::Truncated { expected, found } => format!(
                "the chain ends early: it holds {found} decisions, its head records {expected} (the last ones were deleted)"
            ),
            Break::Reordered {
                seq,
                decision_id,
                chained_after,
            } => format!(
                "decision {decision_id} (chain position {seq}) was moved: it was chained after decision {chained_after}"
            ),
            Break::Unreadable { reason } => {
                format!("the decisions cannot be read to walk the chain: {reason}")
            }
        }
    }
}

/// The result of a walk.
#[derive(Debug, Clone, Serialize)]
pub struct ChainReport {
    pub decisions: i64,
    pub head: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub broken: Option<Break>,
    /// SQLite's integrity check, when it found anything.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub integrity: Vec<String>,
    /// Versions whose files no longer hash to what was stored.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub versions: Vec<String>,
}

impl ChainReport {
    pub fn ok(&self) -> bool {
        self.broken.is_none() && self.integrity.is_empty() && self.versions.is_empty()
    }
}

/// The whole store: SQLite's integrity, every version's hash, the chain.
pub fn verify_store(store: &Store) -> Result<ChainReport> {
    let integrity = store.integrity_problems()?;
    // On a damaged file, what cannot be read is part of the report (exit
    // 1), not an error that hides the rest.
    let damaged = !integrity.is_empty();
    let mut report = match verify_chain(store) {
        Ok(r) => r,
        Err(e) if damaged => broken(
            0,
            "",
            Break::Unreadable {
                reason: e.to_string(),
            },
        ),
        Err(e) => return Err(e),
    };
    report.versions = match store.version_hash_problems() {
        Ok(v) => v,
        Err(e) if damaged => vec![format!("the stored versions cannot be read: {e}")],
        Err(e) => return Err(e),
    };
    report.integrity = integrity;
    Ok(report)
}

/// Walks the whole chain in order.
pub fn verify_chain(store: &Store) -> Result<ChainReport> {
    let conn = store.conn();
    let mut stmt = conn.prepare(
        "SELECT seq, decision_id, event, outcome, policy_hash, rule_outcomes, chain_hash FROM decisions ORDER BY seq",
    )?;
    let mut rows = stmt.query([])?;
    let mut previous = CHAIN_START.to_string();
    let mut last_seq: Option<i64> = None;
    let mut count = 0i64;
    while let Some(r) = rows.next()? {
        let seq: i64 = r.get(0)?;
        let id: String = r.get(1)?;
        let event: String = r.get(2)?;
        let outcome: String = r.get(3)?;
        let policy_hash: Option<String> = r.get(4)?;
        let rule_outcomes: Option<String> = r.get(5)?;
        let stored: String = r.get(6)?;
        count += 1;
        let expected_seq = last_seq.map_or(1, |s| s + 1);
        if seq != expected_seq && last_seq.is_some() {
            return Ok(broken(
                count,
                &previous,
                Break::Deleted {
                    seq,
                    decision_id: id,
                    missing: seq - expected_seq,
                },
            ));
        }
        let rule_outcomes = rule_outcomes
            .and_then(|s| serde_json::from_str::<Vec<crate::engine::RuleOutcome>>(&s).ok());
        let doc = chain_document(
            &event,
            &outcome,
            policy_hash.as_deref(),
            rule_outcomes.as_deref(),
        );
        if chain_hash(&previous, &doc) != stored {
            let b = match chained_after(store, &doc, &stored)? {
                Some(after) => Break::Reordered {
                    seq,
                    decision_id: id,
                    chained_after: after,
                },
                None if last_seq.is_none() && seq > 1 => Break::Deleted {
                    seq,
                    decision_id: id,
                    missing: seq - 1,
                },
                None => Break::Edited {
                    seq,
                    decision_id: id,
                },
            };
            return Ok(broken(count, &previous, b));
        }
        previous = stored;
        last_seq = Some(seq);
    }
    let (head_count, head_hash): (i64, String) = conn.query_row(
        "SELECT count, chain_hash FROM chain_head WHERE id = 1",
        params![],
        |r| Ok((r.get(0)?, r.get(1)?)),
    )?;
    if head_count != count || head_hash != previous {
        return Ok(broken(
            count,
            &previous,
            Break::Truncated {
                expected: head_count,
                found: count,
            },
        ));
    }
    Ok(ChainReport {
        decisions: count,
        head: previous,
        broken: None,
        integrity: Vec::new(),
        versions: Vec::new(),
    })
}

fn broken(count: i64, head: &str, b: Break) -> ChainReport {
    ChainReport {
        decisions: count,
        head: head.to_string(),
        broken: Some(b),
        integrity: Vec::new(),
        versions: Vec::new(),
    }
}

/// The decision whose chain hash, as predecessor, makes `stored` the hash of
/// `doc`: the row is intact and was moved.
fn chained_after(store: &Store, doc: &str, stored: &str) -> Result<Option<String>> {
    if chain_hash(CHAIN_START, doc) == stored {
        return Ok(Some("(the start of the chain)".into()));
    }
    let mut stmt = store
        .conn()
        .prepare("SELECT decision_id, chain_hash FROM decisions")?;
    let hashes: HashMap<String, String> = stmt
        .query_map([], |r| Ok((r.get::<_, String>(1)?, r.get::<_, String>(0)?)))?
        .collect::<rusqlite::Result<_>>()?;
    Ok(hashes
        .iter()
        .find(|(h, _)| chain_hash(h, doc) == stored)
        .map(|(_, id)| id.clone()))
}
