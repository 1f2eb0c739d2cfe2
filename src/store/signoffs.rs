//! Sign-offs: one row per role's signed statement on a version. Rows are
//! immutable (triggers refuse UPDATE and DELETE); the signed payload is kept
//! byte for byte beside the columns that repeat it for queries, so a check
//! can compare the two. Also the replay evidence a certification rests on.

use rusqlite::{OptionalExtension, params};
use serde::Serialize;

use super::Store;
use crate::bundle::Manifest;
use crate::error::{Error, Result};

/// A sign-off as stored.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SignoffRow {
    pub id: i64,
    #[serde(skip)]
    pub version_id: i64,
    pub role: String,
    pub signer: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub statement: Option<String>,
    pub signed_at: String,
    pub content_hash: String,
    pub test_run_id: i64,
    /// The canonical JSON that was signed.
    pub payload: String,
    /// The Ed25519 public key, hex.
    pub public_key: String,
    /// The Ed25519 signature over `payload`, hex.
    pub signature: String,
}

/// A sign-off about to be stored.
#[derive(Debug, Clone)]
pub struct NewSignoff<'a> {
    pub version_id: i64,
    pub role: &'a str,
    pub signer: &'a str,
    pub statement: Option<&'a str>,
    pub signed_at: &'a str,
    pub content_hash: &'a str,
    pub test_run_id: i64,
    pub payload: &'a str,
    pub public_key: &'a str,
    pub signature: &'a str,
}

/// An own-version batch replay of a version's decisions, with its verdicts
/// for them.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ReplayBatch {
    pub batch_id: String,
    pub replayed_at: String,
    /// Decisions of the version that batch replayed.
    pub replayed: u64,
    pub deterministic: u64,
    pub diverged: u64,
    pub errors: u64,
}

/// A file of a version as the store records it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct StoredFile {
    pub path: String,
    pub kind: String,
    pub sha256: String,
    pub bytes: i64,
    pub lines: i64,
}

/// A test run's counts, as a sign-off binds them.
#[derive(Debug, Clone, PartialEq)]
pub struct RunCounts {
    pub version_id: i64,
    pub total: u64,
    pub pass: u64,
    pub fail: u64,
    pub error: u64,
    pub skip: u64,
    pub coverage: Option<f64>,
}

const SIGNOFF_COLUMNS: &str = "id, version_id, role, signer, statement, signed_at, content_hash, test_run_id, payload, \
     public_key, signature";

fn signoff_row(r: &rusqlite::Row) -> rusqlite::Result<SignoffRow> {
    Ok(SignoffRow {
        id: r.get(0)?,
        version_id: r.get(1)?,
        role: r.get(2)?,
        signer: r.get(3)?,
        statement: r.get(4)?,
        signed_at: r.get(5)?,
        content_hash: r.get(6)?,
        test_run_id: r.get(7)?,
        payload: r.get(8)?,
        public_key: r.get(9)?,
        signature: r.get(10)?,
    })
}

impl Store {
    /// Stores a sign-off; returns its id.
    /// Records a sign-off: at most one per role of a version, checked and
    /// written under one write lock, so sign-offs made at once cannot both
    /// pass the check.
    pub fn insert_signoff(&self, s: &NewSignoff) -> Result<i64> {
        let tx = rusqlite::Transaction::new_unchecked(
            self.conn(),
            rusqlite::TransactionBehavior::Immediate,
        )?;
        let existing: Option<(i64, String, String)> = tx
            .query_row(
                "SELECT id, signer, signed_at FROM signoffs WHERE version_id = ?1 AND role = ?2 ORDER BY id LIMIT 1",
                params![s.version_id, s.role],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
            )
            .optional()?;
        if let Some((id, signer, at)) = existing {
            return Err(Error::Conflict(format!(
                "{} already signed off (sign-off #{id} by {signer} at {at}); sign-offs are never replaced",
                s.role
            )));
        }
        tx.execute(
            "INSERT INTO signoffs (version_id, role, signer, statement, signed_at, content_hash, test_run_id,
                                   payload, public_key, signature)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
            params![
                s.version_id,
                s.role,
                s.signer,
                s.statement,
                s.signed_at,
                s.content_hash,
                s.test_run_id,
                s.payload,
                s.public_key,
                s.signature
            ],
        )?;
        let id = tx.last_insert_rowid();
        tx.commit()?;
        Ok(id)
    }

    /// The sign-offs of a version, oldest first.
    pub fn signoffs_of(&self, version_id: i64) -> Result<Vec<SignoffRow>> {
        let mut stmt = self.conn().prepare_cached(&format!(
            "SELECT {SIGNOFF_COLUMNS} FROM signoffs WHERE version_id = ?1 ORDER BY id"
        ))?;
        let rows = stmt
            .query_map(params![version_id], signoff_row)?
            .collect::<rusqlite::Result<_>>()?;
        Ok(rows)
    }

    /// Every sign-off, by version then id (for listing every version's
    /// status in one query).
    pub fn all_signoffs(&self) -> Result<Vec<SignoffRow>> {
        let mut stmt = self.conn().prepare_cached(&format!(
            "SELECT {SIGNOFF_COLUMNS} FROM signoffs ORDER BY version_id, id"
        ))?;
        let rows = stmt
            .query_map([], signoff_row)?
            .collect::<rusqlite::Result<_>>()?;
        Ok(rows)
    }

    /// A version's manifest as its hashed `.manifest` file holds it (its
    /// metadata carries per-bundle certification requirements).
    pub fn manifest_of(&self, version_id: i64) -> Result<Manifest> {
        // The version's own `.manifest` file, which its content hash covers,
        // not the `manifest` column copied from it (nothing checks a copy).
        let text: Option<String> = self
            .conn()
            .query_row(
                "SELECT b.text FROM files f JOIN blobs b ON b.sha256 = f.sha256
                 WHERE f.version_id = ?1 AND f.path = '.manifest'",
                params![version_id],
                |r| r.get(0),
            )
            .optional()?;
        match text {
            None => Ok(Manifest::default()),
            Some(text) => Manifest::parse(&text).map_err(|e| {
                Error::Invalid(format!(
                    "version #{version_id}: its .manifest is not readable: {e}"
                ))
            }),
        }
    }

    /// A recorded test run's version and counts, without its results or
    /// coverage report (what a sign-off binds).
    pub fn test_run_counts(&self, run_id: i64) -> Result<Option<RunCounts>> {
        Ok(self
            .conn()
            .prepare_cached(
                "SELECT version_id, total, pass, fail, error, skip, coverage FROM test_runs WHERE id = ?1",
            )?
            .query_row(params![run_id], |r| {
                let n = |i: usize| -> rusqlite::Result<u64> {
                    Ok(u64::try_from(r.get::<_, i64>(i)?).unwrap_or(0))
                };
                Ok(RunCounts {
                    version_id: r.get(0)?,
                    total: n(1)?,
                    pass: n(2)?,
                    fail: n(3)?,
                    error: n(4)?,
                    skip: n(5)?,
                    coverage: r.get(6)?,
                })
            })
            .optional()?)
    }

    /// A version's files as recorded: path, kind, SHA-256, bytes and lines.
    pub fn version_files(&self, version_id: i64) -> Result<Vec<StoredFile>> {
        let mut stmt = self.conn().prepare_cached(
            "SELECT f.path, f.kind, f.sha256, length(CAST(b.text AS BLOB)),
                    length(b.text) - length(replace(b.text, char(10), ''))
             FROM files f LEFT JOIN blobs b ON b.sha256 = f.sha256
             WHERE f.version_id = ?1 ORDER BY f.path",
        )?;
        let rows = stmt
            .query_map(params![version_id], |r| {
                Ok(StoredFile {
                    path: r.get(0)?,
                    kind: r.get(1)?,
                    sha256: r.get(2)?,
                    bytes: r.get::<_, Option<i64>>(3)?.unwrap_or(0),
                    lines: r.get::<_, Option<i64>>(4)?.unwrap_or(0),
                })
            })?
            .collect::<rusqlite::Result<_>>()?;
        Ok(rows)
    }

    /// How many stored decisions name this version.
    pub fn decisions_of_version(&self, version_id: i64) -> Result<u64> {
        let n: i64 = self.conn().query_row(
            "SELECT count(*) FROM decisions WHERE version_id = ?1",
            params![version_id],
            |r| r.get(0),
        )?;
        Ok(u64::try_from(n).unwrap_or(0))
    }

    /// The replay evidence of a version: the newest batch replay (`replay
    /// --all`) under the version itself that replayed every one of its
    /// `decisions` stored decisions (a filtered batch never counts), and the
    /// newest batch of all when that one is not it (to say why).
    pub fn own_replay_evidence(
        &self,
        version_id: i64,
        decisions: u64,
    ) -> Result<(Option<ReplayBatch>, Option<ReplayBatch>)> {
        let mut stmt = self.conn().prepare_cached(
            "SELECT batch_id, max(replayed_at), count(DISTINCT decision_seq),
                    sum(verdict = 'DETERMINISTIC'), sum(verdict = 'DIVERGED'), sum(verdict = 'ERROR')
             FROM replays
             WHERE version_id = ?1 AND own_version = 1 AND batch_id IS NOT NULL
             GROUP BY batch_id ORDER BY max(id) DESC",
        )?;
        let batches: Vec<ReplayBatch> = stmt
            .query_map(params![version_id], |r| {
                let n = |i: usize| -> rusqlite::Result<u64> {
                    Ok(u64::try_from(r.get::<_, i64>(i)?).unwrap_or(0))
                };
                Ok(ReplayBatch {
                    batch_id: r.get(0)?,
                    replayed_at: r.get(1)?,
                    replayed: n(2)?,
                    deterministic: n(3)?,
                    diverged: n(4)?,
                    errors: n(5)?,
                })
            })?
            .collect::<rusqlite::Result<_>>()?;
        let complete = batches.iter().find(|b| b.replayed == decisions).cloned();
        let latest = batches
            .into_iter()
            .next()
            .filter(|b| complete.as_ref().is_none_or(|c| c.batch_id != b.batch_id));
        Ok((complete, latest))
    }
}
