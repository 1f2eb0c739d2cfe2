//! Decisions: OPA decision-log events with Gavel's outcome, policy hash and
//! rule outcomes, append-only, each one a leaf of the Merkle log
//! (`store::log`). A row keeps the event's bytes as they arrived (`event`),
//! Gavel's fields, and the leaf hash of its record
//! (`tlog::record::LeafRecord`: the event by its SHA-256 and Gavel's fields,
//! rebuilt from the row whenever it is needed, never stored twice: each
//! stored byte costs import speed). `gavel verify` checks the columns the
//! event also holds against the event, and rebuilds the record to check the
//! leaf hash.

use std::collections::HashMap;

use rusqlite::{OptionalExtension, TransactionBehavior, params, params_from_iter};
use serde::Serialize;
use serde_json::{Map, Value};

use super::Store;
use super::log::{append_leaf, read_head, record_checkpoint};
use crate::canonical::canonical_json;
use crate::engine::RuleOutcome;
use crate::error::{Error, Result};
use crate::tlog::merkle;
use crate::tlog::record::{RecordFields, event_sha256};

/// A decision as stored: the OPA event plus Gavel's own fields.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DecisionRecord {
    /// The OPA decision-log event, every field kept (`decision_id`, `path`,
    /// `input`, `result` when defined, `timestamp`, `bundles`, ...), without
    /// the `gavel` fields of an exported line.
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

/// A decision as its row holds it, the event still text as it arrived.
/// `decision_id`, `path` and `bundle` are the row's copies of event fields
/// (for looking up and naming); the record is what the log vouches for.
#[derive(Debug, Clone)]
pub struct StoredDecision {
    pub seq: i64,
    pub decision_id: String,
    pub path: String,
    pub bundle: Option<(String, String)>,
    pub version_id: Option<i64>,
    pub policy_hash: Option<String>,
    pub outcome: String,
    pub event: String,
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

    pub fn input(&self) -> &Value {
        self.event.get("input").unwrap_or(&Value::Null)
    }

    /// `None` when the decision was undefined.
    pub fn result(&self) -> Option<&Value> {
        self.event.get("result")
    }

    /// The first bundle named in `bundles`, with its revision.
    pub fn bundle(&self) -> Option<(String, String)> {
        let (name, b) = self.event.get("bundles")?.as_object()?.iter().next()?;
        Some((name.clone(), b.get("revision")?.as_str()?.to_string()))
    }
}

/// The OPA event of a stored event text: Gavel's `gavel` fields (on a line
/// exported by a Gavel store) are not part of it.
pub fn parse_event(text: &str) -> std::result::Result<Map<String, Value>, String> {
    let mut event = crate::json_text::parse_object(text).map_err(|e| e.to_string())?;
    event.remove("gavel");
    Ok(event)
}

/// Whether two event texts hold the same event (byte for byte, or the same
/// JSON once Gavel's exported fields are set aside).
fn same_event(a: &str, b: &str) -> bool {
    a == b || matches!((parse_event(a), parse_event(b)), (Ok(x), Ok(y)) if x == y)
}

/// A decision ready to append, its event as it arrived.
pub struct NewDecision {
    /// The event's bytes as they arrived (an exported line keeps its
    /// `gavel` fields here; readers set them aside).
    pub event: String,
    /// SHA-256 (hex) of `event`, taken where the line was parsed.
    pub event_sha256: String,
    pub decision_id: String,
    pub path: String,
    pub timestamp: String,
    pub bundle: Option<(String, String)>,
    pub outcome: String,
    pub policy_hash: Option<String>,
    pub rule_outcomes: Option<Vec<RuleOutcome>>,
    pub version_id: Option<i64>,
    pub source: &'static str,
    /// Where it came from (a JSONL line number), for reports.
    pub line: u64,
}

impl NewDecision {
    pub fn from_record(r: &DecisionRecord, source: &'static str) -> NewDecision {
        let event = canonical_json(&Value::Object(r.event.clone()));
        NewDecision {
            event_sha256: event_sha256(&event),
            event,
            decision_id: r.decision_id().to_string(),
            path: r.path().to_string(),
            timestamp: r.timestamp().to_string(),
            bundle: r.bundle(),
            outcome: r.outcome.clone(),
            policy_hash: r.policy_hash.clone(),
            rule_outcomes: r.rule_outcomes.clone(),
            version_id: r.version_id,
            source,
            line: 0,
        }
    }

    /// The record its leaf hashes at log `position`; `version` is the
    /// `name@version` of `version_id`.
    pub fn record<'a>(&'a self, position: u64, version: Option<&'a str>) -> RecordFields<'a> {
        RecordFields {
            event_sha256: &self.event_sha256,
            outcome: &self.outcome,
            policy_hash: self.policy_hash.as_deref(),
            position,
            rule_outcomes: self.rule_outcomes.as_deref(),
            source: self.source,
            version,
        }
    }
}

/// What appending a batch did.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct AppendOutcome {
    pub appended: u64,
    /// The log position (seq) of the first decision appended; the others
    /// follow it without a gap (one writer holds the log). 0 when none.
    pub first_seq: i64,
    /// The same decision id with the same event: skipped.
    pub identical: u64,
    /// The same decision id with a different event: (line, id).
    pub conflicts: Vec<(u64, String)>,
}

/// A page of the decision list (newest first).
#[derive(Debug, Clone, Serialize)]
pub struct DecisionRow {
    pub seq: i64,
    pub decision_id: String,
    pub timestamp: String,
    pub path: String,
    pub outcome: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub version: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub policy_hash: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub bundle: Option<String>,
    #[serde(skip)]
    pub ts_ns: i64,
}

/// Filters of `decisions list` and batch replay.
#[derive(Debug, Clone, Default)]
pub struct DecisionFilter {
    pub outcome: Option<String>,
    pub version_id: Option<i64>,
    pub path: Option<String>,
    /// Inclusive bounds in ns since the epoch.
    pub since_ns: Option<i64>,
    pub until_ns: Option<i64>,
    /// Substring of the event text.
    pub text: Option<String>,
    /// Drift (`drift:yes` / `drift:no`): see crate::drift.
    pub drift: Option<DriftCondition>,
}

/// Which decisions were made under a certification, as data the filter's
/// SQL reads (crate::drift builds it): a decision is covered when the
/// version it was stored with was certified at its timestamp, or, stored
/// with no version, when its bundle and revision name a version now stored
/// that was certified at its timestamp. Drift is every decision not
/// covered.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct DriftCondition {
    /// `true`: the decisions not covered (drift); `false`: those covered.
    pub drift: bool,
    /// Certified versions: (version id, certified since, ns).
    pub certified: Vec<(i64, i64)>,
    /// Bundle name and revision of decisions stored with no version that
    /// resolve now to a certified version: (name, revision, since ns).
    pub resolved: Vec<(String, String, i64)>,
}

impl DriftCondition {
    /// The SQL condition on `d`, its parameters pushed.
    pub fn sql(&self, params: &mut Vec<rusqlite::types::Value>) -> String {
        // `IS` never yields NULL, so `NOT` of it is exact.
        let mut covered = vec!["0".to_string()];
        for (id, since) in &self.certified {
            covered.push("(d.version_id IS ? AND d.ts_ns >= ?)".into());
            params.push((*id).into());
            params.push((*since).into());
        }
        for (name, revision, since) in &self.resolved {
            covered.push(
                "(d.version_id IS NULL AND d.bundle_name IS ? AND d.bundle_revision IS ? \
                 AND d.ts_ns >= ?)"
                    .into(),
            );
            params.push(name.clone().into());
            params.push(revision.clone().into());
            params.push((*since).into());
        }
        let covered = format!("({})", covered.join(" OR "));
        if self.drift {
            format!("NOT {covered}")
        } else {
            covered
        }
    }
}

impl DecisionFilter {
    fn sql(&self, params: &mut Vec<rusqlite::types::Value>) -> String {
        let mut w = Vec::new();
        if let Some(o) = &self.outcome {
            w.push("d.outcome = ?".to_string());
            params.push(o.clone().into());
        }
        if let Some(v) = self.version_id {
            w.push("d.version_id = ?".to_string());
            params.push(v.into());
        }
        if let Some(p) = &self.path {
            w.push("d.path = ?".to_string());
            params.push(p.clone().into());
        }
        if let Some(t) = self.since_ns {
            w.push("d.ts_ns >= ?".to_string());
            params.push(t.into());
        }
        if let Some(t) = self.until_ns {
            w.push("d.ts_ns <= ?".to_string());
            params.push(t.into());
        }
        if let Some(t) = &self.text {
            w.push("instr(d.event, ?) > 0".to_string());
            params.push(t.clone().into());
        }
        if let Some(d) = &self.drift {
            w.push(d.sql(params));
        }
        if w.is_empty() {
            "1".to_string()
        } else {
            w.join(" AND ")
        }
    }
}

fn sql_err(e: rusqlite::Error, id: &str) -> Error {
    match e {
        rusqlite::Error::SqliteFailure(f, _)
            if f.code == rusqlite::ErrorCode::ConstraintViolation =>
        {
            Error::Conflict(format!("decision {id} is already stored"))
        }
        other => Error::Store(other),
    }
}

/// The shortest decision id prefix looked up (shorter ones match too much).
const MIN_ID_PREFIX: usize = 4;

/// Characters of a decision id shown where the whole id does not fit.
pub const SHORT_ID: usize = 8;

/// A decision id's first `SHORT_ID` characters: the prefix a list shows
/// and the lookups accept (`gavel replay 5e168061`); an id that short is
/// itself.
pub fn short_id(id: &str) -> &str {
    id.char_indices()
        .nth(SHORT_ID)
        .map_or(id, |(i, _)| &id[..i])
}

impl Store {
    /// The distinct outcomes of the stored decisions of a version.
    pub fn outcomes_of_version(&self, version_id: i64) -> Result<Vec<String>> {
        let mut stmt = self
            .conn()
            .prepare_cached("SELECT DISTINCT outcome FROM decisions WHERE version_id = ?1")?;
        let rows = stmt
            .query_map(params![version_id], |r| r.get(0))?
            .collect::<rusqlite::Result<_>>()?;
        Ok(rows)
    }

    /// Appends decisions in one transaction, each a new leaf of the Merkle
    /// log, and (with a log key) signs a checkpoint of the log in the same
    /// transaction. A writer takes the lock up front (IMMEDIATE) so two
    /// appenders cannot both read the same head. A decision id already
    /// stored is skipped when its event is identical and reported as a
    /// conflict when it differs. The head must agree with the table, else
    /// nothing is appended: extending a log someone cut back would vouch
    /// for the cut.
    pub fn append(&mut self, batch: &[NewDecision]) -> Result<AppendOutcome> {
        let key = self.log_key()?;
        let reason = batch.first().map_or("append", |d| d.source);
        let tx = self
            .conn_mut()
            .transaction_with_behavior(TransactionBehavior::Immediate)?;
        let mut head = read_head(&tx)?;
        let last: i64 = tx.query_row("SELECT coalesce(max(seq), 0) FROM decisions", [], |r| {
            r.get(0)
        })?;
        if u64::try_from(last).ok() != Some(head.size()) {
            return Err(Error::Invalid(format!(
                "the decision log is not whole: its head records {} decisions, the last stored is #{last}; \
                 nothing was appended (run gavel verify)",
                head.size()
            )));
        }
        let mut out = AppendOutcome::default();
        {
            let mut existing =
                tx.prepare_cached("SELECT event FROM decisions WHERE decision_id = ?1")?;
            let mut version_label = tx.prepare_cached(
                "SELECT b.name || '@' || v.version FROM versions v JOIN bundles b ON b.id = v.bundle_id WHERE v.id = ?1",
            )?;
            let mut insert = tx.prepare_cached(
                "INSERT INTO decisions (seq, decision_id, path, timestamp, ts_ns, bundle_name, bundle_revision, version_id,
                                        policy_hash, outcome, source, event, rule_outcomes, leaf_hash)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14)",
            )?;
            let mut labels: HashMap<i64, String> = HashMap::new();
            let mut in_batch: HashMap<&str, &str> = HashMap::new();
            for d in batch {
                if let Some(ev) = in_batch.get(d.decision_id.as_str()) {
                    if same_event(ev, &d.event) {
                        out.identical += 1;
                    } else {
                        out.conflicts.push((d.line, d.decision_id.clone()));
                    }
                    continue;
                }
                let version = match d.version_id {
                    Some(id) if !labels.contains_key(&id) => {
                        let l: String = version_label.query_row(params![id], |r| r.get(0))?;
                        labels.insert(id, l);
                        labels.get(&id)
                    }
                    Some(id) => labels.get(&id),
                    None => None,
                };
                let record = d
                    .record(head.size() + 1, version.map(String::as_str))
                    .to_text();
                let leaf = merkle::leaf_hash(record.as_bytes());
                let seq = i64::try_from(head.size() + 1).unwrap_or(i64::MAX);
                let ts_ns = crate::engine::clock::parse_rfc3339_ns(&d.timestamp).unwrap_or(0);
                let (bundle_name, bundle_revision) = d.bundle.clone().unzip();
                let inserted = insert.execute(params![
                    seq,
                    d.decision_id,
                    d.path,
                    d.timestamp,
                    ts_ns,
                    bundle_name,
                    bundle_revision,
                    d.version_id,
                    d.policy_hash,
                    d.outcome,
                    d.source,
                    d.event,
                    d.rule_outcomes
                        .as_ref()
                        .map(|o| serde_json::to_string(o).unwrap_or_default()),
                    &leaf[..],
                ]);
                // The same id already stored: no lookup first (new ids are
                // the common case), the unique index says so.
                if let Err(rusqlite::Error::SqliteFailure(f, _)) = &inserted
                    && f.code == rusqlite::ErrorCode::ConstraintViolation
                {
                    let ev: String = existing.query_row(params![d.decision_id], |r| r.get(0))?;
                    if same_event(&ev, &d.event) {
                        out.identical += 1;
                    } else {
                        out.conflicts.push((d.line, d.decision_id.clone()));
                    }
                    continue;
                }
                inserted.map_err(|e| sql_err(e, &d.decision_id))?;
                append_leaf(&tx, &mut head, leaf)?;
                if out.first_seq == 0 {
                    out.first_seq = seq;
                }
                in_batch.insert(d.decision_id.as_str(), d.event.as_str());
                out.appended += 1;
            }
        }
        if out.appended > 0 {
            super::log::write_head(&tx, &head)?;
            if let Some(key) = &key {
                record_checkpoint(&tx, &head, &key.signer, reason)?;
            }
        }
        tx.commit()?;
        Ok(out)
    }

    /// Appends whole records (as `gavel eval --record` makes them).
    pub fn append_decisions(&mut self, records: &[DecisionRecord]) -> Result<()> {
        let batch: Vec<NewDecision> = records
            .iter()
            .map(|r| NewDecision::from_record(r, "eval"))
            .collect();
        let out = self.append(&batch)?;
        match out.conflicts.first() {
            Some((_, id)) => Err(Error::Conflict(format!(
                "decision {id} is already stored with other content"
            ))),
            None if out.identical > 0 => Err(Error::Conflict("decision is already stored".into())),
            None => Ok(()),
        }
    }

    /// One decision by id, or by a unique prefix of its id of at least
    /// four characters (as the tool prints them), with its log position. A
    /// prefix that several ids share is an error naming a few of them.
    pub fn get_decision(&self, decision_id: &str) -> Result<Option<(i64, DecisionRecord)>> {
        let mut seq: Option<i64> = self
            .conn()
            .query_row(
                "SELECT seq FROM decisions WHERE decision_id = ?1",
                params![decision_id],
                |r| r.get(0),
            )
            .optional()?;
        if seq.is_none() && decision_id.chars().count() >= MIN_ID_PREFIX {
            // Text compares as UTF-8 bytes: every id with the prefix sorts
            // between it and it followed by the highest character.
            let upper = format!("{decision_id}{}", char::MAX);
            let mut stmt = self.conn().prepare_cached(
                "SELECT seq, decision_id FROM decisions WHERE decision_id >= ?1 AND decision_id < ?2
                 ORDER BY decision_id LIMIT 4",
            )?;
            let found: Vec<(i64, String)> = stmt
                .query_map(params![decision_id, upper], |r| Ok((r.get(0)?, r.get(1)?)))?
                .collect::<rusqlite::Result<_>>()?;
            match found.as_slice() {
                [] => {}
                [(one, _)] => seq = Some(*one),
                many => {
                    return Err(Error::Invalid(format!(
                        "decision id prefix '{}' is not unique: {}{}; give more of it",
                        decision_id.escape_debug(),
                        many.iter()
                            .take(3)
                            .map(|(_, id)| id.as_str())
                            .collect::<Vec<_>>()
                            .join(", "),
                        if many.len() > 3 { ", ..." } else { "" }
                    )));
                }
            }
        }
        match seq {
            Some(seq) => Ok(self.decision_at(seq)?.map(|(r, _)| (seq, r))),
            None => Ok(None),
        }
    }

    /// The decision at a log position, with its leaf hash (hex).
    pub fn decision_at(&self, seq: i64) -> Result<Option<(DecisionRecord, String)>> {
        let row = self
            .conn()
            .prepare_cached(
                "SELECT event, outcome, policy_hash, rule_outcomes, version_id, source, leaf_hash
                 FROM decisions WHERE seq = ?1",
            )?
            .query_row(params![seq], read_row)
            .optional()?;
        row.map(|row| to_record(seq, row)).transpose()
    }
    pub fn count_decisions(&self) -> Result<i64> {
        Ok(self
            .conn()
            .query_row("SELECT count(*) FROM decisions", [], |r| r.get(0))?)
    }

    /// Whether any decision is stored (without counting them).
    pub fn has_decisions(&self) -> Result<bool> {
        Ok(self
            .conn()
            .query_row("SELECT EXISTS (SELECT 1 FROM decisions)", [], |r| r.get(0))?)
    }

    /// How many decisions a filter selects.
    pub fn count_decisions_matching(&self, filter: &DecisionFilter) -> Result<usize> {
        let mut p: Vec<rusqlite::types::Value> = Vec::new();
        let wheres = filter.sql(&mut p);
        let sql = format!("SELECT count(*) FROM decisions d WHERE {wheres}");
        let n: i64 = self
            .conn()
            .prepare_cached(&sql)?
            .query_row(params_from_iter(p), |r| r.get(0))?;
        Ok(usize::try_from(n).unwrap_or(0))
    }

    /// A page of decisions, newest first, after the keyset `(ts_ns, seq)`
    /// when one is given: no OFFSET, so any page costs the same.
    pub fn list_decisions(
        &self,
        filter: &DecisionFilter,
        after: Option<(i64, i64)>,
        limit: usize,
    ) -> Result<Vec<DecisionRow>> {
        self.page_decisions(filter, after, limit, false)
    }

    /// The page just above the keyset `(ts_ns, seq)` in the newest-first
    /// list (or the oldest page when none is given), still newest first:
    /// how a list scrolls up, or jumps to its end, without OFFSET.
    pub fn list_decisions_newer(
        &self,
        filter: &DecisionFilter,
        before: Option<(i64, i64)>,
        limit: usize,
    ) -> Result<Vec<DecisionRow>> {
        let mut rows = self.page_decisions(filter, before, limit, true)?;
        rows.reverse();
        Ok(rows)
    }

    fn page_decisions(
        &self,
        filter: &DecisionFilter,
        keyset: Option<(i64, i64)>,
        limit: usize,
        ascending: bool,
    ) -> Result<Vec<DecisionRow>> {
        let mut p: Vec<rusqlite::types::Value> = Vec::new();
        let mut wheres = filter.sql(&mut p);
        let (cmp, order) = if ascending {
            (">", "ASC")
        } else {
            ("<", "DESC")
        };
        if let Some((ts, seq)) = keyset {
            wheres.push_str(&format!(" AND (d.ts_ns, d.seq) {cmp} (?, ?)"));
            p.push(ts.into());
            p.push(seq.into());
        }
        p.push(i64::try_from(limit).unwrap_or(i64::MAX).into());
        let sql = format!(
            "SELECT d.seq, d.decision_id, d.timestamp, d.path, d.outcome, b.name || '@' || v.version, d.policy_hash,
                    d.bundle_name || '@' || d.bundle_revision, d.ts_ns
             FROM decisions d LEFT JOIN versions v ON v.id = d.version_id LEFT JOIN bundles b ON b.id = v.bundle_id
             WHERE {wheres} ORDER BY d.ts_ns {order}, d.seq {order} LIMIT ?"
        );
        let mut stmt = self.conn().prepare_cached(&sql)?;
        let rows = stmt
            .query_map(params_from_iter(p), |r| {
                Ok(DecisionRow {
                    seq: r.get(0)?,
                    decision_id: r.get(1)?,
                    timestamp: r.get(2)?,
                    path: r.get(3)?,
                    outcome: r.get(4)?,
                    version: r.get(5)?,
                    policy_hash: r.get(6)?,
                    bundle: r.get(7)?,
                    ts_ns: r.get(8)?,
                })
            })?
            .collect::<rusqlite::Result<_>>()?;
        Ok(rows)
    }

    /// Log positions matching a filter, in log order.
    pub fn decision_seqs(&self, filter: &DecisionFilter) -> Result<Vec<i64>> {
        let mut p: Vec<rusqlite::types::Value> = Vec::new();
        let wheres = filter.sql(&mut p);
        let sql = format!("SELECT d.seq FROM decisions d WHERE {wheres} ORDER BY d.seq");
        let mut stmt = self.conn().prepare(&sql)?;
        let rows = stmt
            .query_map(params_from_iter(p), |r| r.get(0))?
            .collect::<rusqlite::Result<_>>()?;
        Ok(rows)
    }

    /// Calls `f` on every decision in log order (streamed, not loaded),
    /// with its leaf hash (hex).
    pub fn for_each_decision(
        &self,
        filter: &DecisionFilter,
        mut f: impl FnMut(i64, DecisionRecord, String) -> Result<()>,
    ) -> Result<()> {
        let mut p: Vec<rusqlite::types::Value> = Vec::new();
        let wheres = filter.sql(&mut p);
        let sql = format!(
            "SELECT d.event, d.outcome, d.policy_hash, d.rule_outcomes, d.version_id, d.source, d.leaf_hash, d.seq
             FROM decisions d WHERE {wheres} ORDER BY d.seq"
        );
        let mut stmt = self.conn().prepare(&sql)?;
        let mut rows = stmt.query(params_from_iter(p))?;
        while let Some(r) = rows.next()? {
            let seq: i64 = r.get(7)?;
            let (rec, leaf) = to_record(seq, read_row(r)?)?;
            f(seq, rec, leaf)?;
        }
        Ok(())
    }

    /// The decisions at these log positions as their rows hold them,
    /// events still text: batch replay reads these and leaves the parsing to
    /// its workers. `seqs` ascending (as `decision_seqs` gives them): one
    /// range scan reads them all.
    pub fn stored_decisions_by_seq(&self, seqs: &[i64]) -> Result<Vec<StoredDecision>> {
        let (Some(&first), Some(&last)) = (seqs.first(), seqs.last()) else {
            return Ok(Vec::new());
        };
        let wanted: std::collections::HashSet<i64> = seqs.iter().copied().collect();
        let mut stmt = self.conn().prepare_cached(
            "SELECT seq, decision_id, path, bundle_name, bundle_revision, version_id, policy_hash,
                    outcome, event
             FROM decisions WHERE seq BETWEEN ?1 AND ?2 ORDER BY seq",
        )?;
        let mut rows = stmt.query(params![first, last])?;
        let mut out = Vec::with_capacity(seqs.len());
        while let Some(r) = rows.next()? {
            let seq: i64 = r.get(0)?;
            if !wanted.contains(&seq) {
                continue;
            }
            let bundle_name: Option<String> = r.get(3)?;
            let bundle_revision: Option<String> = r.get(4)?;
            out.push(StoredDecision {
                seq,
                decision_id: r.get(1)?,
                path: r.get(2)?,
                bundle: bundle_name.zip(bundle_revision),
                version_id: r.get(5)?,
                policy_hash: r.get(6)?,
                outcome: r.get(7)?,
                event: r.get(8)?,
            });
        }
        Ok(out)
    }

    /// The stored version with this content hash (the newest, if several).
    pub fn version_by_hash(&self, hash: &str) -> Result<Option<i64>> {
        Ok(self
            .conn()
            .prepare_cached(
                "SELECT id FROM versions WHERE content_hash = ?1 ORDER BY id DESC LIMIT 1",
            )?
            .query_row(params![hash], |r| r.get(0))
            .optional()?)
    }

    /// The stored version named `name` at `version`: (id, content hash).
    pub fn version_by_name(&self, name: &str, version: &str) -> Result<Option<(i64, String)>> {
        Ok(self
            .conn()
            .prepare_cached(
                "SELECT v.id, v.content_hash FROM versions v JOIN bundles b ON b.id = v.bundle_id
                 WHERE b.name = ?1 AND v.version = ?2",
            )?
            .query_row(params![name, version], |r| Ok((r.get(0)?, r.get(1)?)))
            .optional()?)
    }
}

type Row = (
    String,
    String,
    Option<String>,
    Option<String>,
    Option<i64>,
    String,
    Vec<u8>,
);

fn read_row(r: &rusqlite::Row) -> rusqlite::Result<Row> {
    Ok((
        r.get(0)?,
        r.get(1)?,
        r.get(2)?,
        r.get(3)?,
        r.get(4)?,
        r.get(5)?,
        r.get(6)?,
    ))
}

/// Reads a stored `rule_outcomes` text: one that does not parse is an error
/// naming the decision, never "none".
pub fn parse_rule_outcomes(seq: i64, text: Option<&str>) -> Result<Option<Vec<RuleOutcome>>> {
    text.map(|t| {
        serde_json::from_str(t).map_err(|e| {
            Error::Invalid(format!(
                "decision #{seq}: its stored rule outcomes cannot be read ({e}): run gavel verify"
            ))
        })
    })
    .transpose()
}

/// A row read back, the event parsed.
fn to_record(seq: i64, row: Row) -> Result<(DecisionRecord, String)> {
    let (event, outcome, policy_hash, rule_outcomes, version_id, source, leaf) = row;
    let event = parse_event(&event).map_err(|e| {
        Error::Invalid(format!(
            "decision #{seq}: its stored event is not JSON: {e}"
        ))
    })?;
    Ok((
        DecisionRecord {
            event,
            outcome,
            policy_hash,
            rule_outcomes: parse_rule_outcomes(seq, rule_outcomes.as_deref())?,
            version_id,
            source,
        },
        hex::encode(leaf),
    ))
}

/// What a record is rebuilt from: event, outcome, policy hash, rule
/// outcomes, source, version label.
type RecordRow = (
    String,
    String,
    Option<String>,
    Option<String>,
    String,
    Option<String>,
);

impl Store {
    /// The record the leaf of decision `seq` hashes, rebuilt from its row
    /// (`None`: no such decision). What a proof carries.
    pub fn record_text(&self, seq: i64) -> Result<Option<String>> {
        let row: Option<RecordRow> = self
            .conn()
            .prepare_cached(
                "SELECT d.event, d.outcome, d.policy_hash, d.rule_outcomes, d.source, b.name || '@' || v.version
                 FROM decisions d LEFT JOIN versions v ON v.id = d.version_id LEFT JOIN bundles b ON b.id = v.bundle_id
                 WHERE d.seq = ?1",
            )?
            .query_row(params![seq], |r| {
                Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?, r.get(5)?))
            })
            .optional()?;
        let Some((event, outcome, policy_hash, rule_outcomes, source, version)) = row else {
            return Ok(None);
        };
        let rule_outcomes = parse_rule_outcomes(seq, rule_outcomes.as_deref())?;
        let sha = event_sha256(&event);
        Ok(Some(
            RecordFields {
                event_sha256: &sha,
                outcome: &outcome,
                policy_hash: policy_hash.as_deref(),
                position: u64::try_from(seq).unwrap_or(0),
                rule_outcomes: rule_outcomes.as_deref(),
                source: &source,
                version: version.as_deref(),
            }
            .to_text(),
        ))
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
    fn a_short_id_is_the_first_eight_characters() {
        assert_eq!(
            super::short_id("5e168061-eac0-4f78-8cc2-000000000000"),
            "5e168061"
        );
        assert_eq!(super::short_id("abc"), "abc");
        assert_eq!(super::short_id("ééééééééé"), "éééééééé");
    }

    #[test]
    fn a_unique_prefix_finds_a_decision_and_a_shared_one_is_refused() {
        let mut s = Store::open_in_memory().unwrap();
        s.append_decisions(&[
            record("abcd-1"),
            record("abcd-2"),
            record("abce-3"),
            record("ab"),
        ])
        .unwrap();
        // The whole id wins, even when it is a prefix of others.
        assert_eq!(s.get_decision("ab").unwrap().unwrap().0, 4);
        assert_eq!(s.get_decision("abce").unwrap().unwrap().0, 3);
        assert_eq!(s.get_decision("abcd-2").unwrap().unwrap().0, 2);
        let e = s.get_decision("abcd").unwrap_err().to_string();
        assert!(
            e.contains("prefix 'abcd' is not unique: abcd-1, abcd-2; give more of it"),
            "{e}"
        );
        // Under four characters, only whole ids.
        assert!(s.get_decision("abc").unwrap().is_none());
        assert!(s.get_decision("zzzz").unwrap().is_none());
    }

    #[test]
    fn appends_leaves_and_reads_back() {
        let mut s = Store::open_in_memory().unwrap();
        s.append_decisions(&[record("a"), record("b")]).unwrap();
        let (seq, a) = s.get_decision("a").unwrap().unwrap();
        assert_eq!(seq, 1);
        assert_eq!(a, record("a"));
        let leaves: Vec<Vec<u8>> = s
            .conn()
            .prepare("SELECT leaf_hash FROM decisions ORDER BY seq")
            .unwrap()
            .query_map([], |r| r.get(0))
            .unwrap()
            .collect::<rusqlite::Result<_>>()
            .unwrap();
        let expected: Vec<merkle::Hash> = ["a", "b"]
            .iter()
            .enumerate()
            .map(|(i, id)| {
                let text = NewDecision::from_record(&record(id), "eval")
                    .record(i as u64 + 1, None)
                    .to_text();
                merkle::leaf_hash(text.as_bytes())
            })
            .collect();
        assert_eq!(
            leaves,
            expected.iter().map(|h| h.to_vec()).collect::<Vec<_>>()
        );
        let head = s.log_head().unwrap();
        assert_eq!(head.size(), 2);
        assert_eq!(head.root(), merkle::root_of_leaves(&expected));
        assert_eq!(s.root_at(2).unwrap(), head.root());
        assert!(matches!(
            s.append_decisions(&[record("a")]),
            Err(Error::Conflict(_))
        ));
        assert_eq!(s.count_decisions().unwrap(), 2);
        assert_eq!(a.bundle(), Some(("p".into(), "1.0.0".into())));
    }

    #[test]
    fn an_exported_line_is_the_same_event() {
        let plain = r#"{"decision_id":"a","input":{"n":1E2}}"#;
        let exported = r#"{"input": {"n": 1E2}, "decision_id": "a", "gavel": {"outcome": "x"}}"#;
        assert!(same_event(plain, exported));
        assert!(!same_event(
            plain,
            r#"{"decision_id":"a","input":{"n":100}}"#
        ));
    }

    #[test]
    fn identical_ids_are_skipped_and_different_ones_conflict() {
        let mut s = Store::open_in_memory().unwrap();
        let a = NewDecision::from_record(&record("a"), "import");
        let mut changed = record("a");
        changed.event.insert("input".into(), json!({"a": 2}));
        let mut c = NewDecision::from_record(&changed, "import");
        c.line = 3;
        let out = s
            .append(&[a, NewDecision::from_record(&record("a"), "import"), c])
            .unwrap();
        assert_eq!(out.appended, 1);
        assert_eq!(out.identical, 1);
        assert_eq!(out.conflicts, vec![(3, "a".to_string())]);
    }

    #[test]
    fn pages_newest_first_with_keysets() {
        let mut s = Store::open_in_memory().unwrap();
        let recs: Vec<DecisionRecord> = (0..5)
            .map(|i| {
                let mut r = record(&format!("d{i}"));
                r.event
                    .insert("timestamp".into(), json!(format!("2026-11-22T10:00:0{i}Z")));
                r
            })
            .collect();
        s.append_decisions(&recs).unwrap();
        let first = s
            .list_decisions(&DecisionFilter::default(), None, 2)
            .unwrap();
        assert_eq!(
            first
                .iter()
                .map(|r| r.decision_id.as_str())
                .collect::<Vec<_>>(),
            ["d4", "d3"]
        );
        let last = first.last().unwrap();
        let next = s
            .list_decisions(&DecisionFilter::default(), Some((last.ts_ns, last.seq)), 2)
            .unwrap();
        assert_eq!(
            next.iter()
                .map(|r| r.decision_id.as_str())
                .collect::<Vec<_>>(),
            ["d2", "d1"]
        );
    }
}
