//! Exceptions: logged overrides of one decision's outcome, each due for
//! follow-up by a time. Rows are append-only; an exception's resolution is a
//! row of its own in `exception_resolutions` (at most one per exception), so
//! resolving never rewrites what was logged.

use rusqlite::{OptionalExtension, params};
use serde::Serialize;

use super::Store;
use crate::error::{Error, Result};

/// An exception as stored, with its decision and resolution.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ExceptionRow {
    pub id: i64,
    pub decision_id: String,
    #[serde(skip)]
    pub decision_seq: i64,
    /// `NAME@VERSION` of the decision, when that version is stored.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub version: Option<String>,
    pub path: String,
    pub original_outcome: String,
    /// The outcome the exception grants instead, when one was named.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub granted_outcome: Option<String>,
    pub reason: String,
    pub owner: String,
    pub created_at: String,
    pub due_at: String,
    /// `GAVEL_NOW` when that, not the clock, gave `created_at`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub clock: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub resolution: Option<Resolution>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Resolution {
    pub note: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub resolved_by: Option<String>,
    pub resolved_at: String,
    /// `GAVEL_NOW` when that, not the clock, gave `resolved_at`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub clock: Option<String>,
}

/// An exception about to be logged.
#[derive(Debug, Clone)]
pub struct NewException<'a> {
    pub decision_seq: i64,
    pub original_outcome: &'a str,
    pub granted_outcome: Option<&'a str>,
    pub reason: &'a str,
    pub owner: &'a str,
    pub created_at: &'a str,
    pub due_at: &'a str,
    pub clock: Option<&'a str>,
}

/// Which exceptions a listing wants.
#[derive(Debug, Clone, Default)]
pub struct ExceptionFilter {
    /// Unresolved only.
    pub open_only: bool,
    /// Unresolved and due before this time (RFC 3339, as stored).
    pub overdue_at: Option<String>,
    /// Only exceptions of decisions made with this version.
    pub version_id: Option<i64>,
    /// Only exceptions of this decision.
    pub decision_seq: Option<i64>,
}

const SELECT: &str =
    "SELECT e.id, d.decision_id, e.decision_seq, b.name || '@' || v.version, d.path,
            e.original_outcome, e.granted_outcome, e.reason, e.owner, e.created_at, e.due_at,
            r.note, r.resolved_by, r.resolved_at, e.clock, r.clock
     FROM exceptions e
     JOIN decisions d ON d.seq = e.decision_seq
     LEFT JOIN versions v ON v.id = d.version_id
     LEFT JOIN bundles b ON b.id = v.bundle_id
     LEFT JOIN exception_resolutions r ON r.exception_id = e.id";

fn exception_row(r: &rusqlite::Row) -> rusqlite::Result<ExceptionRow> {
    let note: Option<String> = r.get(11)?;
    let resolved_at: Option<String> = r.get(13)?;
    Ok(ExceptionRow {
        id: r.get(0)?,
        decision_id: r.get(1)?,
        decision_seq: r.get(2)?,
        version: r.get(3)?,
        path: r.get(4)?,
        original_outcome: r.get(5)?,
        granted_outcome: r.get(6)?,
        reason: r.get(7)?,
        owner: r.get(8)?,
        created_at: r.get(9)?,
        due_at: r.get(10)?,
        clock: r.get(14)?,
        resolution: match (note, resolved_at) {
            (Some(note), Some(resolved_at)) => Some(Resolution {
                note,
                resolved_by: r.get(12)?,
                resolved_at,
                clock: r.get(15)?,
            }),
            _ => None,
        },
    })
}

impl Store {
    /// Logs an exception; returns its id. A decision has at most one open
    /// exception: checked and written under one write lock, so exceptions
    /// added at once cannot both pass the check.
    pub fn insert_exception(&self, e: &NewException) -> Result<i64> {
        let tx = rusqlite::Transaction::new_unchecked(
            self.conn(),
            rusqlite::TransactionBehavior::Immediate,
        )?;
        let open: Option<(i64, String, String)> = tx
            .query_row(
                "SELECT e.id, e.owner, e.due_at FROM exceptions e
                 LEFT JOIN exception_resolutions r ON r.exception_id = e.id
                 WHERE e.decision_seq = ?1 AND r.exception_id IS NULL ORDER BY e.id LIMIT 1",
                params![e.decision_seq],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
            )
            .optional()?;
        if let Some((id, owner, due)) = open {
            return Err(Error::Conflict(format!(
                "decision #{} already has open exception #{id} (owner {owner}, due {due}): resolve it first",
                e.decision_seq
            )));
        }
        tx.execute(
            "INSERT INTO exceptions (decision_seq, original_outcome, granted_outcome, reason, owner, created_at, due_at,
                                     clock)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
            params![
                e.decision_seq,
                e.original_outcome,
                e.granted_outcome,
                e.reason,
                e.owner,
                e.created_at,
                e.due_at,
                e.clock
            ],
        )?;
        let id = tx.last_insert_rowid();
        tx.commit()?;
        Ok(id)
    }

    /// Records the resolution of an exception. Refused when the exception
    /// does not exist, is already resolved, or was logged after
    /// `resolved_at` (a clock set back).
    pub fn resolve_exception(
        &self,
        id: i64,
        note: &str,
        resolved_by: Option<&str>,
        resolved_at: &str,
        clock: Option<&str>,
    ) -> Result<()> {
        let tx = rusqlite::Transaction::new_unchecked(
            self.conn(),
            rusqlite::TransactionBehavior::Immediate,
        )?;
        let created: Option<String> = tx
            .query_row(
                "SELECT created_at FROM exceptions WHERE id = ?1",
                params![id],
                |r| r.get(0),
            )
            .optional()?;
        let Some(created) = created else {
            return Err(Error::NotFound(format!(
                "exception #{id}: not in the store (see `gavel exceptions list`)"
            )));
        };
        if resolved_at < created.as_str() {
            return Err(Error::Invalid(format!(
                "exception #{id} was logged at {created}; a resolution at {resolved_at}{} would precede it",
                if clock.is_some() {
                    " (from GAVEL_NOW)"
                } else {
                    ""
                }
            )));
        }
        let resolved: Option<String> = tx
            .query_row(
                "SELECT resolved_at FROM exception_resolutions WHERE exception_id = ?1",
                params![id],
                |r| r.get(0),
            )
            .optional()?;
        if let Some(at) = resolved {
            return Err(Error::Conflict(format!(
                "exception #{id} was already resolved at {at}; a resolution is never rewritten"
            )));
        }
        tx.execute(
            "INSERT INTO exception_resolutions (exception_id, note, resolved_by, resolved_at, clock)
             VALUES (?1, ?2, ?3, ?4, ?5)",
            params![id, note, resolved_by, resolved_at, clock],
        )?;
        tx.commit()?;
        Ok(())
    }

    /// One exception by id.
    pub fn get_exception(&self, id: i64) -> Result<Option<ExceptionRow>> {
        let mut stmt = self
            .conn()
            .prepare_cached(&format!("{SELECT} WHERE e.id = ?1"))?;
        Ok(stmt.query_row(params![id], exception_row).optional()?)
    }

    /// Exceptions, oldest first.
    pub fn list_exceptions(&self, filter: &ExceptionFilter) -> Result<Vec<ExceptionRow>> {
        let mut w: Vec<&str> = Vec::new();
        let mut p: Vec<rusqlite::types::Value> = Vec::new();
        if filter.open_only || filter.overdue_at.is_some() {
            w.push("r.exception_id IS NULL");
        }
        if let Some(t) = &filter.overdue_at {
            w.push("e.due_at < ?");
            p.push(t.clone().into());
        }
        if let Some(v) = filter.version_id {
            w.push("d.version_id = ?");
            p.push(v.into());
        }
        if let Some(s) = filter.decision_seq {
            w.push("e.decision_seq = ?");
            p.push(s.into());
        }
        let clause = if w.is_empty() {
            String::new()
        } else {
            format!(" WHERE {}", w.join(" AND "))
        };
        let mut stmt = self
            .conn()
            .prepare(&format!("{SELECT}{clause} ORDER BY e.id"))?;
        let rows = stmt
            .query_map(rusqlite::params_from_iter(p), exception_row)?
            .collect::<rusqlite::Result<_>>()?;
        Ok(rows)
    }

    /// Every excepted decision: chain position -> exception ids, oldest
    /// first (exceptions are few beside decisions; the list marks its rows).
    pub fn exception_ids_by_decision(&self) -> Result<std::collections::HashMap<i64, Vec<i64>>> {
        let mut stmt = self
            .conn()
            .prepare_cached("SELECT decision_seq, id FROM exceptions ORDER BY id")?;
        let mut out: std::collections::HashMap<i64, Vec<i64>> = std::collections::HashMap::new();
        let rows = stmt.query_map([], |r| Ok((r.get::<_, i64>(0)?, r.get::<_, i64>(1)?)))?;
        for row in rows {
            let (seq, id) = row?;
            out.entry(seq).or_default().push(id);
        }
        Ok(out)
    }

    /// How many exceptions are unresolved past their due time `now`.
    pub fn count_overdue_exceptions(&self, now: &str) -> Result<u64> {
        let n: i64 = self.conn().query_row(
            "SELECT count(*) FROM exceptions e
             WHERE e.due_at < ?1
               AND NOT EXISTS (SELECT 1 FROM exception_resolutions r WHERE r.exception_id = e.id)",
            params![now],
            |r| r.get(0),
        )?;
        Ok(u64::try_from(n).unwrap_or(0))
    }
}
