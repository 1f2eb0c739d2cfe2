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
    /// Opened by `open_read_only`: nothing may be written.
    read_only: bool,
}

impl Store {
    /// Opens (creating if needed) the store at `path` and migrates it.
    pub fn open(path: &Path) -> Result<Store> {
        // A file that is not SQLite is refused before SQLite opens it;
        // another application's database is refused in `configure`, before
        // the first write (WAL mode, Gavel's tables) could touch it.
        if std::fs::metadata(path).is_ok_and(|m| m.len() > 0) {
            check_sqlite_header(path)?;
        }
        if let Some(parent) = path.parent()
            && !parent.as_os_str().is_empty()
        {
            std::fs::create_dir_all(parent).map_err(|e| Error::io(parent, e))?;
        }
        let conn = Connection::open(path).map_err(|e| {
            Error::Invalid(format!("{}: cannot open the store: {e}", path.display()))
        })?;
        Self::configure(conn, path.to_path_buf()).map_err(|e| match e {
            Error::Store(inner) if is_read_only_file(&inner) => Error::ReadOnly(format!(
                "{}: the store cannot be written here ({inner}); checks (verify, versions, \
                 rules, decisions list/show/export, packet, certify --verify) and the \
                 workbench read it as it is",
                path.display()
            )),
            Error::Store(inner) => damaged(path, &inner),
            other => other,
        })
    }

    /// Opens an existing store for reading only, as every check does: it
    /// never creates, migrates or writes anything. A missing path, an empty
    /// file, a file that is not SQLite, or an SQLite file without Gavel's
    /// tables is refused and left as it was. A copy the user may not write
    /// (file mode, read-only media) opens too: when SQLite cannot make the
    /// WAL's shared-memory file beside it, the file is read as immutable.
    pub fn open_read_only(path: &Path) -> Result<Store> {
        let shown = path.display();
        let meta = std::fs::metadata(path).map_err(|e| match e.kind() {
            std::io::ErrorKind::NotFound => Error::NotFound(format!(
                "{shown}: no such store (nothing was created; give the store with --db PATH{})",
                demo_hint(path)
            )),
            _ => Error::io(path, e),
        })?;
        if meta.is_dir() {
            return Err(Error::Invalid(format!(
                "{shown}: a directory, not a store file"
            )));
        }
        if meta.len() == 0 {
            return Err(Error::Invalid(format!(
                "{shown}: an empty file, not a Gavel store (left as it was{})",
                demo_hint(path)
            )));
        }
        check_sqlite_header(path)?;
        use rusqlite::OpenFlags;
        let flags = OpenFlags::SQLITE_OPEN_READ_ONLY
            | OpenFlags::SQLITE_OPEN_URI
            | OpenFlags::SQLITE_OPEN_NO_MUTEX;
        let probe = |conn: &Connection| -> rusqlite::Result<i64> {
            conn.query_row("SELECT count(*) FROM sqlite_master", [], |r| r.get(0))
        };
        let mut conn = Connection::open_with_flags(path, flags)
            .map_err(|e| Error::Invalid(format!("{shown}: cannot open the store: {e}")))?;
        if let Err(e) = probe(&conn) {
            if !cannot_share(&e) {
                return Err(damaged(path, &e));
            }
            // Read-only media or a directory we may not write: SQLite cannot
            // make the WAL's -shm file, so read the file as it is.
            conn = Connection::open_with_flags(immutable_uri(path), flags)
                .map_err(|e| Error::Invalid(format!("{shown}: cannot open the store: {e}")))?;
            probe(&conn).map_err(|e| damaged(path, &e))?;
        }
        conn.busy_timeout(BUSY_TIMEOUT)?;
        conn.execute_batch("PRAGMA query_only = 1;")?;
        let gavel: bool = conn
            .query_row(
                "SELECT count(*) = 2 FROM sqlite_master WHERE type = 'table' AND name IN ('versions', 'decisions')",
                [],
                |r| r.get(0),
            )
            .map_err(|e| damaged(path, &e))?;
        let version: i64 = conn.query_row("PRAGMA user_version", [], |r| r.get(0))?;
        if !gavel || version == 0 {
            return Err(Error::Invalid(format!(
                "{shown}: an SQLite file, but not a Gavel store (no Gavel tables; left as it was)"
            )));
        }
        let known = migrations::known();
        if version < known {
            return Err(Error::Invalid(format!(
                "{shown}: a store of an earlier Gavel (schema {version}; this one reads {known}), which \
                 a read-only check cannot bring up to date: open it once in the workbench \
                 (`gavel --db {shown}`, or on a copy you may write), which migrates it, then check again"
            )));
        }
        if version > known {
            return Err(Error::Invalid(format!(
                "{shown}: the store has schema version {version}, newer than this gavel knows ({known}): upgrade gavel"
            )));
        }
        Ok(Store {
            conn,
            path: path.to_path_buf(),
            log_key: log::KeySlot::default(),
            clock: None,
            read_only: true,
        })
    }

    /// Whether the store was opened for reading only.
    pub fn is_read_only(&self) -> bool {
        self.read_only
    }

    /// A private in-memory store, for tests and throwaway work.
    pub fn open_in_memory() -> Result<Store> {
        Self::configure(Connection::open_in_memory()?, PathBuf::from(":memory:"))
    }

    fn configure(mut conn: Connection, path: PathBuf) -> Result<Store> {
        // SQLite opens a file it may not write read-only without a word:
        // say so now, not at the first write.
        if conn.is_readonly(rusqlite::MAIN_DB)? {
            return Err(Error::ReadOnly(format!(
                "{}: the store cannot be written here (a read-only file or medium); checks \
                 (verify, versions, rules, decisions list/show/export, packet, certify --verify) \
                 and the workbench read it as it is",
                path.display()
            )));
        }
        conn.busy_timeout(BUSY_TIMEOUT)?;
        let ours: bool = conn.query_row(
            "SELECT count(*) = 0 OR sum(name IN ('versions', 'decisions')) = 2
             FROM sqlite_master WHERE type = 'table'",
            [],
            |r| r.get(0),
        )?;
        if !ours {
            return Err(Error::Invalid(format!(
                "{}: an SQLite file, but not a Gavel store (no Gavel tables; left as it was)",
                path.display()
            )));
        }
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
            read_only: false,
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

/// Refuses a file that does not start as an SQLite database does.
fn check_sqlite_header(path: &Path) -> Result<()> {
    use std::io::Read;
    let mut header = [0u8; 16];
    let read = std::fs::File::open(path)
        .and_then(|mut f| f.read(&mut header))
        .map_err(|e| Error::io(path, e))?;
    if read < header.len() || &header != b"SQLite format 3\0" {
        return Err(Error::Invalid(format!(
            "{}: not an SQLite file, so not a Gavel store (left as it was)",
            path.display()
        )));
    }
    Ok(())
}

/// Where `gavel demo` left its store, when it sits beside the one asked
/// for: the usual reason a check finds no store right after the demo.
fn demo_hint(path: &Path) -> String {
    let demo = path.with_file_name("demo.db");
    if demo != path && demo.exists() {
        format!(
            "; `gavel demo` made {}: --db {}",
            demo.display(),
            demo.display()
        )
    } else {
        String::new()
    }
}

/// The file (or its folder or medium) may not be written.
fn is_read_only_file(e: &rusqlite::Error) -> bool {
    matches!(
        e.sqlite_error_code(),
        Some(
            rusqlite::ErrorCode::ReadOnly
                | rusqlite::ErrorCode::CannotOpen
                | rusqlite::ErrorCode::PermissionDenied
        )
    )
}

/// SQLite could not open the WAL's shared memory (a read-only directory
/// or medium): the case for reading the file as immutable.
fn cannot_share(e: &rusqlite::Error) -> bool {
    matches!(
        e.sqlite_error_code(),
        Some(rusqlite::ErrorCode::CannotOpen | rusqlite::ErrorCode::ReadOnly)
    )
}

/// An open or first read that failed: a damaged file is said to be one.
fn damaged(path: &Path, e: &rusqlite::Error) -> Error {
    match e.sqlite_error_code() {
        Some(rusqlite::ErrorCode::DatabaseCorrupt | rusqlite::ErrorCode::NotADatabase) => {
            Error::Damaged(format!(
                "{}: {e} (`gavel verify` reports what can still be read)",
                path.display()
            ))
        }
        _ => Error::Invalid(format!("{}: cannot read the store: {e}", path.display())),
    }
}

/// `file:PATH?immutable=1`, the path percent-encoded where a URI needs it.
fn immutable_uri(path: &Path) -> String {
    let mut uri = String::from("file:");
    for b in path.as_os_str().as_encoded_bytes() {
        match b {
            b'%' | b'?' | b'#' | 0x80.. => uri.push_str(&format!("%{b:02X}")),
            _ => uri.push(char::from(*b)),
        }
    }
    uri.push_str("?immutable=1");
    uri
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
