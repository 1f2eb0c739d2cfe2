//! Checks of the store itself: SQLite's own integrity check, every stored
//! version's files against their hashes, every decision's version still
//! there; and online backups.

use std::path::Path;

use rusqlite::MAIN_DB;
use sha2::{Digest, Sha256};

use super::Store;
use crate::bundle::content_hash;
use crate::error::{Error, Result};

/// Decisions named one by one for one missing or changed version; the
/// rest are counted (a deleted version can leave a million).
const NAMED_PER_VERSION: usize = 10;

impl Store {
    /// SQLite's `integrity_check`: empty when the file is sound. On a
    /// damaged file `integrity_check` itself can stop with "database disk
    /// image is malformed" (found by corrupting an index page); then
    /// `quick_check` (which does not cross-check indexes against tables)
    /// says what it can, and failing that the error is the finding.
    pub fn integrity_problems(&self) -> Result<Vec<String>> {
        let run = |pragma: &str| -> rusqlite::Result<Vec<String>> {
            let mut stmt = self.conn().prepare(pragma)?;
            let rows: Vec<String> = stmt
                .query_map([], |r| r.get(0))?
                .collect::<rusqlite::Result<_>>()?;
            Ok(rows
                .iter()
                .flat_map(|r| r.lines())
                .filter(|l| *l != "ok" && *l != "*** in database main ***")
                .map(String::from)
                .collect())
        };
        match run("PRAGMA integrity_check") {
            Ok(problems) => Ok(problems),
            Err(full) => match run("PRAGMA quick_check") {
                Ok(problems) if !problems.is_empty() => Ok(problems),
                Ok(_) | Err(_) => Ok(vec![format!("the integrity check stopped: {full}")]),
            },
        }
    }

    /// Every version whose files no longer hash to what was stored: a file
    /// text changed, or the list of files no longer gives the version's hash.
    pub fn version_hash_problems(&self) -> Result<Vec<String>> {
        let mut problems = Vec::new();
        for v in self.list_versions()? {
            problems.extend(self.hash_problems_of(&v)?);
        }
        Ok(problems)
    }

    /// What no longer matches in one version: a file whose text does not
    /// hash to its recorded SHA-256, or files that no longer give the
    /// version's content hash. Empty when the version is intact.
    pub fn hash_problems_of(&self, v: &super::VersionSummary) -> Result<Vec<String>> {
        let mut problems = Vec::new();
        let mut stmt = self.conn().prepare_cached(
            "SELECT f.path, f.sha256, b.text FROM files f LEFT JOIN blobs b ON b.sha256 = f.sha256
             WHERE f.version_id = ?1 ORDER BY f.path",
        )?;
        let files: Vec<(String, String, Option<String>)> = stmt
            .query_map([v.id], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?
            .collect::<rusqlite::Result<_>>()?;
        for (path, sha, text) in &files {
            match text {
                None => problems.push(format!("{}: {path}: its text is missing", v.reference())),
                Some(t) if hex::encode(Sha256::digest(t.as_bytes())) != *sha => {
                    problems.push(format!(
                        "{}: {path}: its text no longer matches its hash",
                        v.reference()
                    ))
                }
                Some(_) => {}
            }
        }
        let hash = content_hash(files.iter().map(|(p, s, _)| (p.as_str(), s.as_str())));
        if hash != v.content_hash {
            problems.push(format!(
                "{}: its files hash to {hash}, not to the stored {}",
                v.reference(),
                v.content_hash
            ));
        }
        Ok(problems)
    }

    /// Every decision whose version is gone: its `version_id` names no
    /// stored version (deleted, or the link pointed elsewhere), or names one
    /// whose content hash is not the hash the decision was made with (the
    /// version replaced under the same id). Decisions that never had a
    /// version (their bundle was not in the store when they were imported)
    /// are not findings. At most `NAMED_PER_VERSION` decisions are named
    /// for one version; the rest are counted.
    pub fn decision_version_problems(&self) -> Result<Vec<String>> {
        let mut stmt = self.conn().prepare(
            "SELECT d.seq, d.decision_id, d.version_id, d.bundle_name, d.bundle_revision, d.policy_hash,
                    b.name || '@' || v.version, v.content_hash
             FROM decisions d LEFT JOIN versions v ON v.id = d.version_id
                              LEFT JOIN bundles b ON b.id = v.bundle_id
             WHERE d.version_id IS NOT NULL
               AND (v.id IS NULL OR b.id IS NULL OR d.policy_hash IS NOT v.content_hash)
             ORDER BY d.seq",
        )?;
        type Found = (
            i64,
            String,
            i64,
            Option<String>,
            Option<String>,
            Option<String>,
            Option<String>,
            Option<String>,
        );
        let found: Vec<Found> = stmt
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
                ))
            })?
            .collect::<rusqlite::Result<_>>()?;
        let mut problems = Vec::new();
        // Per version id: how many decisions were found, and their label.
        let mut per_version: Vec<(i64, usize, String)> = Vec::new();
        for (seq, id, version_id, name, revision, policy_hash, stored, stored_hash) in found {
            let made_with = match (&name, &revision) {
                (Some(n), Some(r)) => format!("{n}@{r}"),
                _ => "a version its event does not name".to_string(),
            };
            let i = match per_version.iter().position(|(v, _, _)| *v == version_id) {
                Some(i) => i,
                None => {
                    per_version.push((version_id, 0, made_with.clone()));
                    per_version.len() - 1
                }
            };
            per_version[i].1 += 1;
            if per_version[i].1 > NAMED_PER_VERSION {
                continue;
            }
            let what = format!("decision {id} (log position {seq})");
            problems.push(match (stored, stored_hash) {
                (Some(label), Some(hash)) => format!(
                    "{what}: version changed: it was made with {made_with} at {}, the stored {label} (version #{version_id}) hashes to {hash}",
                    policy_hash.as_deref().unwrap_or("(no recorded hash)")
                ),
                _ => {
                    let elsewhere = match (&name, &revision) {
                        (Some(n), Some(r)) => self.version_by_name(n, r)?,
                        _ => None,
                    };
                    let note = match elsewhere {
                        Some((other, _)) => format!(
                            "; a version {made_with} is stored as #{other}, so the decision's link was changed"
                        ),
                        None => String::new(),
                    };
                    format!(
                        "{what}: version missing: it was made with {made_with} (version #{version_id}), which is not in the store{note}"
                    )
                }
            });
        }
        for (version_id, count, made_with) in per_version {
            if count > NAMED_PER_VERSION {
                problems.push(format!(
                    "... and {} more decisions made with {made_with} (version #{version_id}), likewise",
                    count - NAMED_PER_VERSION
                ));
            }
        }
        Ok(problems)
    }

    /// A consistent online copy of the store (SQLite's backup API), safe
    /// while other processes write to it.
    pub fn backup_to(&self, dest: &Path) -> Result<()> {
        if dest.exists() {
            return Err(Error::Invalid(format!(
                "{}: already exists; choose a new file",
                dest.display()
            )));
        }
        self.conn()
            .backup(MAIN_DB, dest, None::<fn(rusqlite::backup::Progress)>)
            .map_err(|e| Error::Invalid(format!("{}: backup failed: {e}", dest.display())))
    }
}
