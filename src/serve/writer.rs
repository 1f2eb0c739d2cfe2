//! The one thread that writes the store for `gavel serve`: it takes parsed
//! uploads in the order they come, stores each in one transaction through
//! the same path as `gavel decisions import` (`store_parsed`), and answers
//! only once that transaction is committed. Newly stored decisions are
//! handed to the shadow replay, when there is one.

use std::sync::mpsc as std_mpsc;
use std::thread::JoinHandle;

use tokio::sync::{mpsc, oneshot};

use super::ingest::{ParsedUpload, Rejected, UploadReport};
use crate::decision_import::{conflict_reason, store_parsed};
use crate::decision_log::VersionResolver;
use crate::store::Store;

/// WAL pages after which the writer checkpoints (and so restarts the WAL)
/// itself: by then the checkpoint thread has copied nearly all of them
/// back, so the writer's own checkpoint is short. (The store opens with
/// 5,000; the WAL file is kept under its 64 MiB journal_size_limit.)
const WRITER_CHECKPOINT_PAGES: u32 = 4_000;

/// Uploads waiting for the writer, beyond the one it is writing.
const QUEUE: usize = 16;

/// Why a parsed upload was not stored: nothing of it was committed.
#[derive(Debug, Clone)]
pub struct StoreFailed {
    pub reason: String,
    /// Worth retrying as it is (the store was busy, the disk full).
    pub transient: bool,
}

/// An upload for the writer and where its answer goes.
pub struct Job {
    pub upload: ParsedUpload,
    pub reply: oneshot::Sender<Result<UploadReport, StoreFailed>>,
}

/// What the writer did over its life.
#[derive(Debug, Clone, Default)]
pub struct Totals {
    pub uploads: u64,
    pub stored: u64,
    pub already_stored: u64,
    pub rejected: u64,
}

/// Starts the writer on `store`. It ends when every sender is dropped and
/// the queue is empty, returning its totals. `shadow` receives each
/// committed run of new decisions as (first seq, count).
pub fn spawn(
    mut store: Store,
    db: Option<std::path::PathBuf>,
    shadow: Option<std_mpsc::Sender<(i64, u64)>>,
) -> std::io::Result<(mpsc::Sender<Job>, JoinHandle<Totals>)> {
    let (tx, mut rx) = mpsc::channel::<Job>(QUEUE);
    let handle = std::thread::Builder::new()
        .name("gavel-serve-writer".into())
        .spawn(move || {
            // SQLite checkpoints the WAL in the committing thread, and a
            // checkpoint waits on the disk: with one writer, every client
            // waited with it (ingest ran at 44,000/s with the CPU half
            // idle). A thread of its own copies the WAL back beside the
            // writes, so the writer's own checkpoint finds little left to
            // copy (57,000/s), and still restarts the WAL, which only a
            // checkpoint between the writer's transactions can do (without
            // one the WAL grew to 640 MB for 100,000 events).
            let _ = store.conn().execute_batch(&format!(
                "PRAGMA wal_autocheckpoint = {WRITER_CHECKPOINT_PAGES}"
            ));
            let checkpointer = db.as_deref().and_then(Checkpointer::start);
            let mut totals = Totals::default();
            while let Some(job) = rx.blocking_recv() {
                let answer = write(&mut store, job.upload, &mut totals);
                if let (Ok(report), Some(shadow)) = (&answer.0, &shadow)
                    && report.stored > 0
                {
                    // A shadow that stopped is reported where it stopped.
                    let _ = shadow.send((answer.1, report.stored));
                }
                // The client may have gone: what is committed stays, and
                // its retry finds it stored.
                let _ = job.reply.send(answer.0);
            }
            drop(checkpointer);
            let _ = store.conn().execute_batch("PRAGMA wal_checkpoint(PASSIVE)");
            totals
        })?;
    Ok((tx, handle))
}

/// Stores one upload in one transaction: its report and the seq of its
/// first new decision.
fn write(
    store: &mut Store,
    upload: ParsedUpload,
    totals: &mut Totals,
) -> (Result<UploadReport, StoreFailed>, i64) {
    let ParsedUpload {
        received,
        events,
        mut rejected,
    } = upload;
    // Resolved afresh per upload: a version imported while the server
    // runs is found by the next upload that names it.
    let mut resolver = VersionResolver::new();
    let stored = match store_parsed(store, &mut resolver, events, "serve") {
        Ok(s) => s,
        Err(e) => {
            let transient = matches!(&e, crate::error::Error::Store(inner)
                if matches!(inner.sqlite_error_code(),
                    Some(rusqlite::ErrorCode::DatabaseBusy
                        | rusqlite::ErrorCode::DatabaseLocked
                        | rusqlite::ErrorCode::DiskFull
                        | rusqlite::ErrorCode::SystemIoFailure)));
            return (
                Err(StoreFailed {
                    reason: format!("{e}: nothing of the upload was stored"),
                    transient,
                }),
                0,
            );
        }
    };
    for (index, id) in &stored.appended.conflicts {
        rejected.push(Rejected {
            index: *index,
            reason: conflict_reason(id),
        });
    }
    rejected.sort_by_key(|r| r.index);
    totals.uploads += 1;
    totals.stored += stored.appended.appended;
    totals.already_stored += stored.appended.identical;
    totals.rejected += rejected.len() as u64;
    (
        Ok(UploadReport {
            received,
            stored: stored.appended.appended,
            already_stored: stored.appended.identical,
            unknown_version: stored.unknown_version,
            rejected,
        }),
        stored.appended.first_seq,
    )
}

/// Checkpoints the store's WAL every 20 ms on a connection of its
/// own (PASSIVE: it copies what no reader needs and never blocks the
/// writer), until dropped.
struct Checkpointer {
    stop: std_mpsc::Sender<()>,
    thread: Option<JoinHandle<()>>,
}

impl Checkpointer {
    fn start(db: &std::path::Path) -> Option<Checkpointer> {
        let conn = rusqlite::Connection::open(db).ok()?;
        let _ = conn.busy_timeout(std::time::Duration::from_secs(5));
        let (stop, stopped) = std_mpsc::channel::<()>();
        let thread = std::thread::Builder::new()
            .name("gavel-serve-checkpoint".into())
            .spawn(move || {
                while let Err(std_mpsc::RecvTimeoutError::Timeout) =
                    stopped.recv_timeout(std::time::Duration::from_millis(20))
                {
                    let _ = conn.execute_batch("PRAGMA wal_checkpoint(PASSIVE)");
                }
            })
            .ok()?;
        Some(Checkpointer {
            stop,
            thread: Some(thread),
        })
    }
}

impl Drop for Checkpointer {
    fn drop(&mut self) {
        let _ = self.stop.send(());
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}
