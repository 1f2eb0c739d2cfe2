//! Decisions: OPA decision-log events with Gavel's outcome, policy hash and
//! rule outcomes, append-only and hash-chained. Each row's `chain_hash` is
//! `sha256(previous chain_hash || canonical JSON of the record)`, so an
//! edited, deleted or reordered row breaks the chain from there on.

use rusqlite::{OptionalExtension, TransactionBehavior, params};
use serde::Serialize;
use serde_json::{Map, Value};
use sha2::{Digest, Sha256};

use super::Store;
use crate::canonical::canonical_json;
use crate::engine::RuleOutcome;
use crate::error::{Error, Result};

/// The chain's starting value, before the first decision.
pub const CHAIN_START: &str = "";

/// A decision as stored: the OPA event plus Gavel's own fields.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DecisionRecord {
    /// The OPA decision-log event, every field kept (`decision_id`, `path`,
    /// `input`, `result` when defined, `timestamp`, `bundles`, ...).
    pub event: Map<String, Value>,
    pub outcome: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub policy_hash: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rule_outcomes: Option<Vec<RuleOutcome>>,
    /// The stored version it names, when that version is in the store.
    #[serde(skip)]
    pub version_id: Option<i64>,
    /// `eval` (recorded by gavel) or `import` (from a decision log).
    #[serde(skip)]
    pub source: String,
}

impl DecisionRecord {
    pub fn decision_id(&self) -> &str {
        self.event
            .get("decision_id")
            .and_then(Value::as_str)
            .unwrap_or("")
    }

    pub fn path(&self) -> &str {
        self.event.get("path").and_then(Value::as_str).unwrap_or("")
    }

    pub fn timestamp(&self) -> &str {
        self.event
            .get("timestamp")
            .and_then(Value::as_str)
            .unwrap_or("")
    }

    /// The first bundle named in `bundles`, with its revision.
    pub fn bundle(&self) -> Option<(String, String)> {
        let (name, b) = self.event.get("bundles")?.as_object()?.iter().next()?;
        Some((name.clone(), b.get("revision")?.as_str()?.to_string()))
    }

    /// What the chain hashes: the event and Gavel's fields, canonically.
    pub fn canonical(&self) -> String {
        let mut gavel = Map::new();
        gavel.insert("outcome".into(), Value::String(self.outcome.clone()));
        if let Some(h) = &self.policy_hash {
            gavel.insert("policy_hash".into(), Value::String(h.clone()));
        }
        if let Some(r) = &self.rule_outcomes {
            gavel.insert(
                "rule_outcomes".into(),
                serde_json::to_value(r).unwrap_or(Value::Null),
            );
        }
        let mut doc = Map::new();
        doc.insert("event".into(), Value::Object(self.event.clone()));
        doc.insert("gavel".into(), Value::Object(gavel));
        canonical_json(&Value::Object(doc))
    }
}

/// `sha256(previous || canonical)` as hex.
pub fn chain_hash(previous: &str, canonical: &str) -> String {
    let mut h = Sha256::new();
    h.update(previous.as_bytes());
    h.update(canonical.as_bytes());
    hex::encode(h.finalize())
}

impl Store {
    /// Appends decisions in one transaction, extending the chain. A writer
    /// takes the lock up front (IMMEDIATE) so two appenders cannot both read
    /// the same chain tip.
    pub fn append_decisions(&mut self, records: &[DecisionRecord]) -> Result<()> {
        let tx = self
            .conn_mut()
            .transaction_with_behavior(TransactionBehavior::Immediate)?;
        let mut previous: String = tx
            .query_row(
                "SELECT chain_hash FROM decisions ORDER BY seq DESC LIMIT 1",
                [],
                |r| r.get(0),
            )
            .optional()?
            .unwrap_or_else(|| CHAIN_START.to_string());
        {
            let mut insert = tx.prepare_cached(
                "INSERT INTO decisions (decision_id, path, timestamp, ts_ns, bundle_name, bundle_revision, version_id,
                                        policy_hash, outcome, source, event, rule_outcomes, chain_hash)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13)",
            )?;
            for r in records {
                let canonical = r.canonical();
                let hash = chain_hash(&previous, &canonical);
                let ts_ns = crate::engine::clock::parse_rfc3339_ns(r.timestamp()).unwrap_or(0);
                let (bundle_name, bundle_revision) = r.bundle().unzip();
                let rule_outcomes = r
                    .rule_outcomes
                    .as_ref()
                    .map(|o| serde_json::to_string(o).unwrap_or_default());
                insert
                    .execute(params![
                        r.decision_id(),
                        r.path(),
                        r.timestamp(),
                        ts_ns,
                        bundle_name,
                        bundle_revision,
                        r.version_id,
                        r.policy_hash,
                        r.outcome,
                        r.source,
                        canonical_json(&Value::Object(r.event.clone())),
                        rule_outcomes,
                        hash,
                    ])
                    .map_err(|e| match e {
                        rusqlite::Error::SqliteFailure(f, _)
                            if f.code == rusqlite::ErrorCode::ConstraintViolation =>
                        {
                            Error::Conflict(format!(
                                "decision {} is already stored",
                                r.decision_id()
                            ))
                        }
                        other => Error::Store(other),
                    })?;
                previous = hash;
            }
        }
        tx.commit()?;
        Ok(())
    }

    /// One decision by id, with its chain position.
    pub fn get_decision(&self, decision_id: &str) -> Result<Option<(i64, DecisionRecord)>> {
        self.conn()
            .query_row(
                "SELECT seq, event, outcome, policy_hash, rule_outcomes, version_id, source
                 FROM decisions WHERE decision_id = ?1",
                params![decision_id],
                |r| {
                    let event: String = r.get(1)?;
                    let rule_outcomes: Option<String> = r.get(4)?;
                    Ok((
                        r.get::<_, i64>(0)?,
                        event,
                        r.get::<_, String>(2)?,
                        r.get::<_, Option<String>>(3)?,
                        rule_outcomes,
                        r.get::<_, Option<i64>>(5)?,
                        r.get::<_, String>(6)?,
                    ))
                },
            )
            .optional()?
            .map(
                |(seq, event, outcome, policy_hash, rule_outcomes, version_id, source)| {
                    let event: Map<String, Value> = serde_json::from_str(&event).map_err(|e| {
                        Error::Invalid(format!(
                            "decision {decision_id}: stored event is not JSON: {e}"
                        ))
                    })?;
                    Ok((
                        seq,
                        DecisionRecord {
                            event,
                            outcome,
                            policy_hash,
                            rule_outcomes: rule_outcomes
                                .and_then(|r| serde_json::from_str(&r).ok()),
                            version_id,
                            source,
                        },
                    ))
                },
            )
            .transpose()
    }

    pub fn count_decisions(&self) -> Result<i64> {
        Ok(self
            .conn()
            .query_row("SELECT count(*) FROM decisions", [], |r| r.get(0))?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn record(id: &str) -> DecisionRecord {
        let Value::Object(event) = json!({"decision_id": id, "path": "p/decision", "input": {"a": 1},
                                          "result": {"outcome": "APPROVE"}, "timestamp": "2026-11-22T10:00:00Z",
                                          "bundles": {"p": {"revision": "1.0.0"}}})
        else {
            unreachable!()
        };
        DecisionRecord {
            event,
            outcome: "APPROVE".into(),
            policy_hash: Some("sha256:00".into()),
            rule_outcomes: None,
            version_id: None,
            source: "eval".into(),
        }
    }

    #[test]
    fn appends_chain_and_reads_back() {
        let mut s = Store::open_in_memory().unwrap();
        s.append_decisions(&[record("a"), record("b")]).unwrap();
        let (seq, a) = s.get_decision("a").unwrap().unwrap();
        assert_eq!(seq, 1);
        assert_eq!(a, record("a"));
        let hashes: Vec<String> = s
            .conn()
            .prepare("SELECT chain_hash FROM decisions ORDER BY seq")
            .unwrap()
            .query_map([], |r| r.get(0))
            .unwrap()
            .collect::<rusqlite::Result<_>>()
            .unwrap();
        let h1 = chain_hash(CHAIN_START, &record("a").canonical());
        assert_eq!(
            hashes,
            [h1.clone(), chain_hash(&h1, &record("b").canonical())]
        );
        assert!(matches!(
            s.append_decisions(&[record("a")]),
            Err(Error::Conflict(_))
        ));
        assert_eq!(s.count_decisions().unwrap(), 2);
        assert_eq!(a.bundle(), Some(("p".into(), "1.0.0".into())));
    }
}
