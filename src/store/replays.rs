//! Recorded replays: which decision, under which version, with what verdict
//! and when, so packets and the TUI can say "replayed 2026-11-20:
//! DETERMINISTIC".

use rusqlite::{OptionalExtension, params};
use serde::Serialize;

use super::Store;
use crate::error::Result;
use crate::replay::{ImpactReport, ReplayResult, Verdict};
use crate::store::VersionRef;

/// Just past every shadow batch id in sort order (`;` follows `:`).
const SHADOW_END: &str = "shadow;";

/// Changed and failed decisions a shadow report names.
const SHADOW_SAMPLE: usize = 20;

/// A replay as recorded.
#[derive(Debug, Clone, Serialize)]
pub struct ReplayRecord {
    pub id: i64,
    pub decision_id: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub batch_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub version: Option<String>,
    pub own_version: bool,
    pub verdict: String,
    pub original_outcome: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub replayed_outcome: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    pub replayed_at: String,
    /// The result is the VM's, taken without an interpreter check.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub vm_unchecked: bool,
}

/// The batch id prefix of a live shadow replay (`gavel serve --shadow`):
/// `shadow:NAME@VERSION`, one batch per candidate version that grows as
/// decisions arrive.
pub const SHADOW_PREFIX: &str = "shadow:";

/// A batch's changed decision: (decision id, original outcome, replayed
/// outcome, verdict).
pub type BatchChange = (String, String, Option<String>, String);

impl Store {
    /// Records replay results in one transaction.
    pub fn record_replays(
        &mut self,
        batch_id: Option<&str>,
        results: &[ReplayResult],
    ) -> Result<()> {
        let now = self.now_stamp();
        let tx = self
            .conn_mut()
            .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
        {
            let mut insert = tx.prepare_cached(
                "INSERT INTO replays (decision_seq, batch_id, version_id, own_version, verdict, original_outcome,
                                      replayed_outcome, replayed_result, reason, replayed_at, vm_unchecked)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)",
            )?;
            let mut version_of = tx.prepare_cached(
                "SELECT v.id FROM versions v JOIN bundles b ON b.id = v.bundle_id WHERE b.name = ?1 AND v.version = ?2",
            )?;
            // A batch names few versions: each is looked up once.
            let mut ids: std::collections::HashMap<(&str, &str), Option<i64>> =
                std::collections::HashMap::new();
            for r in results {
                let version_id: Option<i64> = match (r.against_id, &r.against, &r.version) {
                    (Some(id), _, _) => Some(id),
                    (None, Some(v), _) | (None, None, Some(v)) => *ids
                        .entry((v.name.as_str(), v.version.as_str()))
                        .or_insert_with(|| {
                            version_of
                                .query_row(params![v.name, v.version], |row| row.get(0))
                                .ok()
                        }),
                    _ => None,
                };
                insert.execute(params![
                    r.seq,
                    batch_id,
                    version_id,
                    r.against.is_none(),
                    r.verdict.as_str(),
                    r.original_outcome,
                    r.replayed_outcome,
                    // Kept only when it differs from the decision's own result.
                    if r.result_match {
                        None
                    } else {
                        r.replayed_result.as_ref().map(|v| v.to_string())
                    },
                    r.reason,
                    now,
                    r.vm_unchecked,
                ])?;
            }
        }
        tx.commit()?;
        Ok(())
    }

    /// The decisions of a batch whose result changed (or diverged), in chain
    /// order: (decision id, original outcome, replayed outcome, verdict).
    pub fn batch_changes(&self, batch_id: &str, limit: usize) -> Result<Vec<BatchChange>> {
        let mut stmt = self.conn().prepare_cached(
            "SELECT d.decision_id, r.original_outcome, r.replayed_outcome, r.verdict
             FROM replays r JOIN decisions d ON d.seq = r.decision_seq
             WHERE r.batch_id = ?1 AND r.verdict IN ('CHANGED', 'DIVERGED', 'ERROR')
             ORDER BY r.decision_seq LIMIT ?2",
        )?;
        let rows = stmt
            .query_map(
                params![batch_id, i64::try_from(limit).unwrap_or(i64::MAX)],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)),
            )?
            .collect::<rusqlite::Result<_>>()?;
        Ok(rows)
    }

    /// The shadow batch recorded into most recently, summed up as a batch
    /// replay's report (its verdicts, outcomes before and after, the
    /// transitions between them, samples of changes and errors), with the
    /// time of its newest replay. Rule impacts are not recorded per replay,
    /// so the report has none. `None` when no shadow batch exists.
    pub fn latest_shadow(&self) -> Result<Option<(ImpactReport, String)>> {
        let latest: Option<(String, String)> = self
            .conn()
            .query_row(
                "SELECT r.batch_id, r.replayed_at FROM replays r
                 WHERE r.id = (SELECT max(id) FROM replays
                               WHERE batch_id >= ?1 AND batch_id < ?2)",
                params![SHADOW_PREFIX, SHADOW_END],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .optional()?;
        let Some((batch_id, newest)) = latest else {
            return Ok(None);
        };
        let mut report = ImpactReport {
            against: batch_id
                .strip_prefix(SHADOW_PREFIX)
                .and_then(|v| VersionRef::parse(v).ok()),
            batch_id: batch_id.clone(),
            ..ImpactReport::default()
        };
        let mut stmt = self.conn().prepare_cached(
            "SELECT verdict, original_outcome, replayed_outcome, count(*)
             FROM replays WHERE batch_id = ?1 GROUP BY 1, 2, 3",
        )?;
        let rows = stmt.query_map(params![batch_id], |r| {
            Ok((
                r.get::<_, String>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, Option<String>>(2)?,
                r.get::<_, i64>(3)?,
            ))
        })?;
        for row in rows {
            let (verdict, before, after, n) = row?;
            let n = u64::try_from(n).unwrap_or(0);
            let verdict = match verdict.as_str() {
                "DETERMINISTIC" => Verdict::Deterministic,
                "DIVERGED" => Verdict::Diverged,
                "UNCHANGED" => Verdict::Unchanged,
                "CHANGED" => Verdict::Changed,
                _ => Verdict::Error,
            };
            report.replayed += n;
            *report.verdicts.entry(verdict).or_default() += n;
            *report.outcomes_before.entry(before.clone()).or_default() += n;
            if let Some(after) = after {
                *report.outcomes_after.entry(after.clone()).or_default() += n;
                *report
                    .transitions
                    .entry(before)
                    .or_default()
                    .entry(after)
                    .or_default() += n;
            }
        }
        report.changed_sample = self
            .batch_changes(&batch_id, SHADOW_SAMPLE)?
            .into_iter()
            .filter(|c| c.3 == "CHANGED" || c.3 == "DIVERGED")
            .map(|c| c.0)
            .collect();
        let mut errors = self.conn().prepare_cached(
            "SELECT d.decision_id, coalesce(r.reason, '') FROM replays r
             JOIN decisions d ON d.seq = r.decision_seq
             WHERE r.batch_id = ?1 AND r.verdict = 'ERROR' ORDER BY r.id LIMIT ?2",
        )?;
        report.error_sample = errors
            .query_map(params![batch_id, SHADOW_SAMPLE as i64], |r| {
                Ok((r.get(0)?, r.get(1)?))
            })?
            .collect::<rusqlite::Result<_>>()?;
        Ok(Some((report, newest)))
    }

    /// The replays of one decision, newest first.
    pub fn replays_of(&self, decision_id: &str) -> Result<Vec<ReplayRecord>> {
        let mut stmt = self.conn().prepare_cached(
            "SELECT r.id, d.decision_id, r.batch_id, b.name || '@' || v.version, r.own_version, r.verdict,
                    r.original_outcome, r.replayed_outcome, r.reason, r.replayed_at, r.vm_unchecked
             FROM replays r JOIN decisions d ON d.seq = r.decision_seq
             LEFT JOIN versions v ON v.id = r.version_id LEFT JOIN bundles b ON b.id = v.bundle_id
             WHERE d.decision_id = ?1 ORDER BY r.id DESC",
        )?;
        let rows = stmt
            .query_map(params![decision_id], |r| {
                Ok(ReplayRecord {
                    id: r.get(0)?,
                    decision_id: r.get(1)?,
                    batch_id: r.get(2)?,
                    version: r.get(3)?,
                    own_version: r.get(4)?,
                    verdict: r.get(5)?,
                    original_outcome: r.get(6)?,
                    replayed_outcome: r.get(7)?,
                    reason: r.get(8)?,
                    replayed_at: r.get(9)?,
                    vm_unchecked: r.get(10)?,
                })
            })?
            .collect::<rusqlite::Result<_>>()?;
        Ok(rows)
    }
}
