//! Importing an OPA decision log: streamed line by line (a 1 GB log is never
//! in memory), parsed on one thread while the other appends batches, each
//! batch one transaction. Bad lines are reported and skipped; good lines
//! are kept.

use std::io::BufRead;
use std::sync::mpsc;

use serde::Serialize;

use crate::decision_log::{LineError, ParsedLine, VersionResolver, parse_line};
use crate::error::{Error, Result};
use crate::store::Store;
use crate::store::decisions::{AppendOutcome, NewDecision};

/// Lines per transaction: large enough to amortise the commit, small enough
/// that a crash loses little and memory stays flat.
pub const BATCH: usize = 5_000;

/// Bytes of lines per transaction: a batch ends at [`BATCH`] lines or once
/// its lines reach this many bytes, whichever comes first, so a log of big
/// lines is held a few lines at a time (a batch holds at most this plus
/// one line). With the batch being read and the one queued, an import
/// holds about three batches: at most 3 x (16 MiB + the longest line).
pub const BATCH_BYTES: usize = 16 << 20;

/// Rejected lines kept for the summary; the rest are only counted (each is
/// still reported as it is met).
const KEEP_REJECTED: usize = 1_000;

/// The longest line read: a longer one (a file with no newlines, a binary
/// file) is rejected and skipped without holding it in memory.
pub const MAX_LINE: usize = 64 << 20;

/// What an import did.
#[derive(Debug, Default, Clone, Serialize)]
pub struct ImportSummary {
    pub lines: u64,
    pub imported: u64,
    /// Already stored with the same content: skipped.
    pub identical: u64,
    /// Good lines naming a version that is not in the store (imported all
    /// the same, without a policy hash unless the line carried one).
    pub unknown_version: u64,
    pub rejected: u64,
    pub conflicts: u64,
    /// The first rejected lines, with their reasons.
    pub rejected_lines: Vec<RejectedLine>,
}

#[derive(Debug, Clone, Serialize)]
pub struct RejectedLine {
    pub line: u64,
    pub reason: String,
}

impl ImportSummary {
    fn reject(&mut self, e: LineError) {
        self.rejected += 1;
        if self.rejected_lines.len() < KEEP_REJECTED {
            self.rejected_lines.push(RejectedLine {
                line: e.line,
                reason: e.reason,
            });
        }
    }
}

/// Callbacks: progress (lines read, bytes read) and each rejected line as it
/// is met.
pub struct ImportHooks<'a> {
    pub progress: &'a mut dyn FnMut(u64, u64),
    pub rejected: &'a mut dyn FnMut(&LineError),
}

type Batch = Vec<std::result::Result<ParsedLine, LineError>>;

/// Imports every line of `reader`.
pub fn import_decisions(
    store: &mut Store,
    reader: impl BufRead + Send,
    hooks: ImportHooks,
) -> Result<ImportSummary> {
    // One batch queued while one is written and the next is read.
    let (tx, rx) = mpsc::sync_channel::<(Batch, u64, u64)>(1);
    let mut summary = ImportSummary::default();
    let mut resolver = VersionResolver::new();
    std::thread::scope(|scope| -> Result<()> {
        let reader_thread = scope.spawn(move || read_batches(reader, tx));
        for (batch, lines, bytes) in rx {
            let first_line = summary.lines + 1;
            summary.lines = lines;
            let mut parsed = Vec::with_capacity(batch.len());
            for item in batch {
                match item {
                    Err(e) => {
                        (hooks.rejected)(&e);
                        summary.reject(e);
                    }
                    Ok(p) => parsed.push(p),
                }
            }
            let out = store_parsed(store, &mut resolver, parsed, "import")
                .map_err(|e| batch_failed(e, first_line, lines, &summary))?;
            summary.imported += out.appended.appended;
            summary.identical += out.appended.identical;
            summary.unknown_version += out.unknown_version;
            for (line, id) in out.appended.conflicts {
                let e = LineError {
                    line,
                    reason: conflict_reason(&id),
                };
                (hooks.rejected)(&e);
                summary.conflicts += 1;
                summary.reject(e);
            }
            (hooks.progress)(lines, bytes);
        }
        reader_thread
            .join()
            .map_err(|_| Error::Engine("the reader thread stopped".into()))?
    })?;
    Ok(summary)
}

/// What storing one batch of parsed events did.
#[derive(Debug, Default, Clone)]
pub struct StoredBatch {
    pub appended: AppendOutcome,
    /// Events naming a bundle revision that is no stored version (stored
    /// all the same, without a policy hash unless the event carried one).
    pub unknown_version: u64,
}

/// Why an event whose id is already stored with other content is refused.
pub fn conflict_reason(id: &str) -> String {
    format!("decision {id} is already stored with different content (conflict)")
}

/// Stores parsed events in one transaction, each matched to the stored
/// version its bundle revision names: the one path by which both
/// `gavel decisions import` and `gavel serve` store decision events.
/// `source` says which (it is part of each leaf's record).
pub fn store_parsed(
    store: &mut Store,
    resolver: &mut VersionResolver,
    parsed: Vec<ParsedLine>,
    source: &'static str,
) -> Result<StoredBatch> {
    let mut unknown_version = 0;
    let mut new = Vec::with_capacity(parsed.len());
    for p in parsed {
        let (d, unknown) = to_new(store, resolver, p, source)?;
        unknown_version += u64::from(unknown);
        new.push(d);
    }
    Ok(StoredBatch {
        appended: store.append(&new)?,
        unknown_version,
    })
}

/// The decision a parsed event becomes, and whether it names a bundle
/// revision that is no stored version.
fn to_new(
    store: &Store,
    resolver: &mut VersionResolver,
    p: ParsedLine,
    source: &'static str,
) -> Result<(NewDecision, bool)> {
    let version = match &p.bundle {
        Some((name, revision)) => resolver.resolve(store, name, revision)?,
        None => None,
    };
    let unknown = version.is_none() && p.names_bundles;
    Ok((
        NewDecision {
            decision_id: p.decision_id,
            path: p.path,
            timestamp: p.timestamp,
            bundle: p.bundle,
            outcome: p.outcome,
            // The stored version's hash wins; an exported hash is kept for a
            // version this store does not hold.
            policy_hash: version.as_ref().map(|(_, h)| h.clone()).or(p.exported_hash),
            rule_outcomes: p.exported_rule_outcomes,
            version_id: version.map(|(id, _)| id),
            source,
            line: p.line,
            event: p.event,
            event_sha256: p.event_sha256,
        },
        unknown,
    ))
}

/// A batch that could not be stored (a full disk, an I/O error): which
/// lines, and that every batch before it is committed, so the same import
/// run again (once there is room) stores the rest and skips what is there.
fn batch_failed(e: Error, first: u64, last: u64, done: &ImportSummary) -> Error {
    let Error::Store(inner) = &e else {
        return e;
    };
    let full = matches!(
        inner.sqlite_error_code(),
        Some(rusqlite::ErrorCode::DiskFull)
    );
    if !full
        && !matches!(
            inner.sqlite_error_code(),
            Some(rusqlite::ErrorCode::SystemIoFailure)
        )
    {
        return e;
    }
    let before = if first <= 1 {
        "no line before it was".to_string()
    } else {
        format!(
            "lines 1-{} are committed ({} decisions new, {} already stored)",
            first - 1,
            done.imported,
            done.identical
        )
    };
    Error::Invalid(format!(
        "{} while storing the batch of lines {first}-{last}: nothing of it was stored; {before}. \
         {}run the same import again: what is stored is skipped",
        if full {
            "the disk is full"
        } else {
            "an I/O error"
        },
        if full {
            "Free some space and "
        } else {
            "Check the disk and "
        },
    ))
}

/// Reads and parses lines into batches on its own thread.
fn read_batches(mut reader: impl BufRead, tx: mpsc::SyncSender<(Batch, u64, u64)>) -> Result<()> {
    let mut buf = Vec::with_capacity(4096);
    let mut batch: Batch = Vec::with_capacity(BATCH);
    let mut batch_bytes = 0usize;
    let (mut line, mut bytes) = (0u64, 0u64);
    loop {
        // A long line's buffer is not kept for the next (it is copied into
        // the line's event, and a batch may hold it a while).
        if buf.capacity() > 1 << 20 {
            buf = Vec::with_capacity(4096);
        }
        buf.clear();
        let (n, whole) = read_line_capped(&mut reader, &mut buf, MAX_LINE)
            .map_err(|e| Error::io("decision log", e))?;
        if n == 0 {
            break;
        }
        line += 1;
        bytes += n as u64;
        if !whole {
            batch.push(Err(LineError {
                line,
                reason: format!(
                    "line longer than {} MiB ({n} bytes): skipped",
                    MAX_LINE >> 20
                ),
            }));
        } else {
            let text = trim_line(&buf);
            if text.is_empty() {
                continue;
            }
            batch_bytes += text.len();
            batch.push(parse_line(text, line));
        }
        if batch.len() >= BATCH || batch_bytes >= BATCH_BYTES {
            if tx.send((std::mem::take(&mut batch), line, bytes)).is_err() {
                return Ok(());
            }
            batch.reserve(BATCH);
            batch_bytes = 0;
        }
    }
    let _ = tx.send((batch, line, bytes));
    Ok(())
}

/// Reads one line (through its `\n`) into `buf`, keeping at most `max`
/// bytes: returns the bytes consumed and whether the line fit.
fn read_line_capped(
    reader: &mut impl BufRead,
    buf: &mut Vec<u8>,
    max: usize,
) -> std::io::Result<(usize, bool)> {
    let (mut consumed, mut whole) = (0usize, true);
    loop {
        let available = match reader.fill_buf() {
            Ok(b) => b,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        };
        if available.is_empty() {
            return Ok((consumed, whole));
        }
        let (chunk, done) = match available.iter().position(|&b| b == b'\n') {
            Some(i) => (&available[..=i], true),
            None => (available, false),
        };
        if whole && buf.len() + chunk.len() <= max {
            buf.extend_from_slice(chunk);
        } else if whole {
            whole = false;
            buf.clear();
            buf.shrink_to(4096);
        }
        let n = chunk.len();
        reader.consume(n);
        consumed += n;
        if done {
            return Ok((consumed, whole));
        }
    }
}

fn trim_line(buf: &[u8]) -> &[u8] {
    let mut end = buf.len();
    while end > 0 && matches!(buf[end - 1], b'\n' | b'\r' | b' ' | b'\t') {
        end -= 1;
    }
    let mut start = 0;
    while start < end && matches!(buf[start], b' ' | b'\t') {
        start += 1;
    }
    &buf[start..end]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_past_the_cap_are_skipped_whole() {
        let text = b"short\nxxxxxxxxxxxxxxxxxxxx\nnext\nlast-no-newline";
        let mut r = std::io::BufReader::with_capacity(4, &text[..]);
        let mut buf = Vec::new();
        let mut lines = Vec::new();
        loop {
            buf.clear();
            let (n, whole) = read_line_capped(&mut r, &mut buf, 10).unwrap();
            if n == 0 {
                break;
            }
            lines.push((n, whole, String::from_utf8(buf.clone()).unwrap()));
        }
        assert_eq!(
            lines,
            vec![
                (6, true, "short\n".into()),
                (21, false, String::new()),
                (5, true, "next\n".into()),
                (15, false, String::new()),
            ]
        );
    }
}
