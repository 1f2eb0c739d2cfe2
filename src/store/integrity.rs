//! Checks of the store itself: SQLite's own integrity check, and every
//! stored version's files against their hashes; and online backups.

use std::path::Path;

use rusqlite::MAIN_DB;
use sha2::{Digest, Sha256};

use super::Store;
use crate::bundle::content_hash;
use crate::error::{Error, Result};

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
