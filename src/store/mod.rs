//! The SQLite store: one file holding policy versions (and, as later
//! migrations add them, decisions, test runs, replays, sign-offs and
//! exceptions). WAL, a busy timeout and foreign keys are set at open;
//! numbered migrations bring the schema up to date.

pub mod decisions;
pub mod exceptions;
mod integrity;
pub mod log;
mod log_migration;
mod migrations;
pub mod replays;
pub mod signoffs;
pub mod test_runs;
pub mod versions;

use std::path::{Path, PathBuf};
use std::time::Duration;

use rusqlite::Connection;

use crate::error::{Error, Result};

pub use decisions::DecisionRecord;
pub use versions::{StoredRule, VersionRef, VersionSummary};

/// How long a writer waits for another before giving up: long enough that
/// the TUI and a CLI import never see "database is locked".
const BUSY_TIMEOUT: Duration = Duration::from_secs(30);

/// An open store.
pub struct Store {
    conn: Connection,
    path: PathBuf,
    /// The key that signs the log's checkpoints (never in the store).
    log_key: log::KeySlot,
    /// The time records are stamped with when the edge pinned one
    /// (`GAVEL_NOW`); else the clock.
    clock: Option<chrono::DateTime<chrono::Utc>>,
}

impl Store {
    /// Opens (creating if needed) the store at `path` and migrates it.
    pub fn open(path: &Path) -> Result<Store> {
        if let Some(parent) = path.parent()
            && !parent.as_os_str().is_empty()
        {
            std::fs::create_dir_all(parent).map_err(|e| Error::io(parent, e))?;
        }
        let conn = Connection::open(path).map_err(|e| {
            Error::Invalid(format!("{}: cannot open the store: {e}", path.display()))
        })?;
        Self::configure(conn, path.to_path_buf()).map_err(|e| match e {
            Error::Store(inner) => Error::Invalid(format!(
                "{}: not a Gavel store, or a damaged one: {inner}",
                path.display()
            )),
            other => other,
        })
    }

    /// A private in-memory store, for tests and throwaway work.
    pub fn open_in_memory() -> Result<Store> {
        Self::configure(Connection::open_in_memory()?, PathBuf::from(":memory:"))
    }

    fn configure(mut conn: Connection, path: PathBuf) -> Result<Store> {
        conn.busy_timeout(BUSY_TIMEOUT)?;
        // 8 KiB pages for a new store (an existing one keeps its own): a
        // decision row is about a kilobyte, and at 4 KiB the million-row
        // import spent half its time splitting and rewriting pages
        // (54,000 events/s against 106,000 with 8 KiB, on the decisions
        // benchmark). Must come before WAL mode fixes the page size.
        conn.execute_batch("PRAGMA page_size = 8192;")?;
        // journal_mode answers with a row, so it is read, not executed.
        let _mode: String = conn.query_row("PRAGMA journal_mode = WAL", [], |r| r.get(0))?;
        // NORMAL is durable in WAL mode up to the last checkpoint and lets a
        // commit skip its fsync; a bigger page cache keeps index pages of a
        // million-row table in memory.
        // Checkpoints every 5,000 pages (40 MB of WAL) rather than 1,000:
        // fewer, longer checkpoints, each index page copied back once per
        // checkpoint (+15 % on the million-event import); the WAL file is
        // cut back to 64 MB after each.
        conn.execute_batch(
            "PRAGMA foreign_keys = ON; PRAGMA synchronous = NORMAL; PRAGMA cache_size = -65536;
             PRAGMA wal_autocheckpoint = 5000; PRAGMA journal_size_limit = 67108864;",
        )?;
        migrations::apply(&mut conn)?;
        Ok(Store {
            conn,
            path,
            log_key: log::KeySlot::default(),
            clock: None,
        })
    }

    /// The default store path: the platform data directory's `gavel.db`.
    pub fn default_path() -> Result<PathBuf> {
        directories::ProjectDirs::from("", "", "gavel")
            .map(|d| d.data_dir().join("gavel.db"))
            .ok_or_else(|| {
                Error::Invalid("no home directory to keep the store in: pass --db PATH".into())
            })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    pub fn conn(&self) -> &Connection {
        &self.conn
    }

    pub(crate) fn conn_mut(&mut self) -> &mut Connection {
        &mut self.conn
    }

    /// Stamps every record from now on with `at` (`GAVEL_NOW`, for tests
    /// and demos), so records and the sign-offs that rest on them share one
    /// clock.
    pub fn pin_clock(&mut self, at: chrono::DateTime<chrono::Utc>) {
        self.clock = Some(at);
    }

    /// Now, as records are stamped: the pinned time, else the clock.
    pub fn now_stamp(&self) -> String {
        self.clock
            .unwrap_or_else(chrono::Utc::now)
            .to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
    }

    /// The schema version (the number of migrations applied).
    pub fn schema_version(&self) -> Result<i64> {
        Ok(self
            .conn
            .query_row("PRAGMA user_version", [], |r| r.get(0))?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn opens_migrates_and_reopens() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("sub/g.db");
        let s = Store::open(&path).unwrap();
        let v = s.schema_version().unwrap();
        assert!(v >= 1);
        let mode: String = s
            .conn()
            .query_row("PRAGMA journal_mode", [], |r| r.get(0))
            .unwrap();
        assert_eq!(mode, "wal");
        let fk: i64 = s
            .conn()
            .query_row("PRAGMA foreign_keys", [], |r| r.get(0))
            .unwrap();
        assert_eq!(fk, 1);
        drop(s);
        assert_eq!(Store::open(&path).unwrap().schema_version().unwrap(), v);
    }

    #[test]
    fn a_file_that_is_not_a_store_is_a_clear_error() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("x.db");
        std::fs::write(
            &path,
            "this is not sqlite, just text long enough to be a header....",
        )
        .unwrap();
        let err = Store::open(&path).err().expect("refused").to_string();
        assert!(err.contains("x.db"), "{err}");
    }
}
