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
    shadow: Option<std_mpsc::Sender<(i64, u64)>>,
) -> std::io::Result<(mpsc::Sender<Job>, JoinHandle<Totals>)> {
    let (tx, mut rx) = mpsc::channel::<Job>(QUEUE);
    let handle = std::thread::Builder::new()
        .name("gavel-serve-writer".into())
        .spawn(move || {
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
