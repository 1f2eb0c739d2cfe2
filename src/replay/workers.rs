//! The batch's pipeline: workers that live for the whole batch, each with
//! its own state (its VMs), taking decisions one at a time from the chunks
//! queued for them, and the calling thread, which reads the next chunks and
//! records finished ones meanwhile (SQLite off the critical path). No
//! barrier between chunks: a worker that finds its chunk taken moves on to
//! the next, and a chunk is recorded, in order, once its last decision is
//! done.

use std::collections::VecDeque;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::mpsc;
use std::sync::{Arc, Condvar, Mutex};

use crate::error::{Error, Result};

/// Chunks read ahead of the one being recorded: enough that the workers
/// never wait for the reader, few enough that memory stays flat.
const AHEAD: usize = 2;

/// A chunk's work: its items, and how many of them there are.
pub trait Chunk: Send + Sync {
    fn len(&self) -> usize;
}

/// One queued chunk: the next item to take, the results, the items left.
struct Slot<C, R> {
    chunk: C,
    next: AtomicUsize,
    results: Mutex<Vec<Option<R>>>,
    left: AtomicUsize,
}

/// What the workers take from: the chunks with items not yet taken.
struct Queue<C, R> {
    slots: VecDeque<Arc<Slot<C, R>>>,
    closed: bool,
}

struct Shared<C, R> {
    queue: Mutex<Queue<C, R>>,
    wake: Condvar,
    /// Set when the batch stops early (cancelled, a failed read or record,
    /// a worker that stopped): workers take nothing more.
    stop: AtomicBool,
}

impl<C, R> Shared<C, R> {
    fn lock(&self) -> std::sync::MutexGuard<'_, Queue<C, R>> {
        self.queue.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn close(&self) {
        self.lock().closed = true;
        self.wake.notify_all();
    }
}

/// Runs a batch: `read` gives the next chunk (None: no more), `evaluate`
/// answers one item of a chunk on a worker (with that worker's state),
/// `record` takes each chunk with its results, in order. `cancel` stops it
/// between items; chunks finished by then are recorded.
pub fn run<C, R, W>(
    threads: usize,
    cancel: &AtomicBool,
    mut read: impl FnMut() -> Result<Option<C>>,
    evaluate: impl Fn(&C, usize, &mut W) -> R + Sync,
    mut record: impl FnMut(&C, Vec<R>) -> Result<()>,
) -> Result<()>
where
    C: Chunk,
    R: Send,
    W: Default,
{
    let shared: Shared<C, R> = Shared {
        queue: Mutex::new(Queue {
            slots: VecDeque::new(),
            closed: false,
        }),
        wake: Condvar::new(),
        stop: AtomicBool::new(false),
    };
    let (done_tx, done_rx) = mpsc::channel::<bool>();
    std::thread::scope(|scope| {
        for _ in 0..threads.max(1) {
            let (shared, evaluate, done_tx) = (&shared, &evaluate, done_tx.clone());
            scope.spawn(move || {
                // A worker catches the engine's panics itself; one that
                // still stops ends the batch rather than lose decisions.
                let ok = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                    work(shared, cancel, evaluate, &done_tx)
                }))
                .is_ok();
                if !ok {
                    shared.stop.store(true, Ordering::Relaxed);
                    shared.wake.notify_all();
                    let _ = done_tx.send(false);
                }
            });
        }
        drop(done_tx);
        let outcome = lead(&shared, cancel, &mut read, &mut record, &done_rx);
        shared.stop.store(true, Ordering::Relaxed);
        shared.close();
        outcome
    })
}

/// The calling thread's part: keeps `AHEAD` chunks queued, records each
/// as it finishes.
fn lead<C: Chunk, R>(
    shared: &Shared<C, R>,
    cancel: &AtomicBool,
    read: &mut impl FnMut() -> Result<Option<C>>,
    record: &mut impl FnMut(&C, Vec<R>) -> Result<()>,
    done: &mpsc::Receiver<bool>,
) -> Result<()> {
    let mut pending: VecDeque<Arc<Slot<C, R>>> = VecDeque::new();
    let mut exhausted = false;
    loop {
        while pending.len() < AHEAD && !exhausted && !cancel.load(Ordering::Relaxed) {
            match read()? {
                Some(chunk) => {
                    let n = chunk.len();
                    let slot = Arc::new(Slot {
                        chunk,
                        next: AtomicUsize::new(0),
                        results: Mutex::new((0..n).map(|_| None).collect()),
                        left: AtomicUsize::new(n),
                    });
                    pending.push_back(slot.clone());
                    if n > 0 {
                        shared.lock().slots.push_back(slot);
                        shared.wake.notify_all();
                    }
                }
                None => {
                    exhausted = true;
                    shared.close();
                }
            }
        }
        let Some(front) = pending.front() else {
            return Ok(());
        };
        if front.left.load(Ordering::Acquire) > 0 {
            if cancel.load(Ordering::Relaxed) {
                return Ok(());
            }
            // Woken by a finished chunk, a stopped worker, or every 50 ms
            // to look at `cancel`.
            match done.recv_timeout(std::time::Duration::from_millis(50)) {
                Ok(false) => return Err(Error::Engine("a replay worker stopped".into())),
                Ok(true) | Err(mpsc::RecvTimeoutError::Timeout) => continue,
                Err(mpsc::RecvTimeoutError::Disconnected) => {
                    if front.left.load(Ordering::Acquire) > 0 {
                        return Err(Error::Engine("a replay worker stopped".into()));
                    }
                }
            }
            continue;
        }
        let Some(slot) = pending.pop_front() else {
            continue;
        };
        let results = std::mem::take(&mut *slot.results.lock().unwrap_or_else(|e| e.into_inner()))
            .into_iter()
            .flatten()
            .collect();
        record(&slot.chunk, results)?;
    }
}

/// A worker: takes the next item of the first queued chunk that has one,
/// until the queue is closed and empty or the batch stops.
fn work<C: Chunk, R, W: Default>(
    shared: &Shared<C, R>,
    cancel: &AtomicBool,
    evaluate: &(impl Fn(&C, usize, &mut W) -> R + Sync),
    done: &mpsc::Sender<bool>,
) {
    let mut state = W::default();
    loop {
        let slot = {
            let mut q = shared.lock();
            loop {
                if shared.stop.load(Ordering::Relaxed) || cancel.load(Ordering::Relaxed) {
                    return;
                }
                // Chunks whose items are all taken leave the queue.
                while q
                    .slots
                    .front()
                    .is_some_and(|s| s.next.load(Ordering::Relaxed) >= s.chunk.len())
                {
                    q.slots.pop_front();
                }
                if let Some(s) = q.slots.front() {
                    break s.clone();
                }
                if q.closed {
                    return;
                }
                q = shared.wake.wait(q).unwrap_or_else(|e| e.into_inner());
            }
        };
        loop {
            if shared.stop.load(Ordering::Relaxed) || cancel.load(Ordering::Relaxed) {
                return;
            }
            let i = slot.next.fetch_add(1, Ordering::Relaxed);
            if i >= slot.chunk.len() {
                break;
            }
            let r = evaluate(&slot.chunk, i, &mut state);
            slot.results.lock().unwrap_or_else(|e| e.into_inner())[i] = Some(r);
            if slot.left.fetch_sub(1, Ordering::AcqRel) == 1 {
                let _ = done.send(true);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    impl Chunk for Vec<u32> {
        fn len(&self) -> usize {
            Vec::len(self)
        }
    }

    fn batch(chunks: Vec<Vec<u32>>, threads: usize) -> Vec<Vec<u64>> {
        let mut input = chunks.into_iter();
        let mut out = Vec::new();
        run(
            threads,
            &AtomicBool::new(false),
            || Ok(input.next()),
            |c: &Vec<u32>, i, seen: &mut u64| {
                *seen += 1;
                u64::from(c[i]) * 2
            },
            |_, r| {
                out.push(r);
                Ok(())
            },
        )
        .unwrap();
        out
    }

    #[test]
    fn every_item_is_answered_once_and_chunks_are_recorded_in_order() {
        let chunks: Vec<Vec<u32>> = (0..50).map(|c| (0..(c % 7) * 13).collect()).collect();
        let want: Vec<Vec<u64>> = chunks
            .iter()
            .map(|c| c.iter().map(|x| u64::from(*x) * 2).collect())
            .collect();
        for threads in [1, 2, 5] {
            assert_eq!(batch(chunks.clone(), threads), want, "{threads} threads");
        }
    }

    #[test]
    fn a_failed_record_stops_the_batch_with_its_error() {
        let mut input = (0..10).map(|_| vec![1u32; 100]);
        let mut recorded = 0;
        let err = run(
            2,
            &AtomicBool::new(false),
            || Ok(input.next()),
            |c: &Vec<u32>, i, _: &mut ()| c[i],
            |_, _| {
                recorded += 1;
                if recorded == 3 {
                    Err(Error::Invalid("disk full".into()))
                } else {
                    Ok(())
                }
            },
        )
        .unwrap_err();
        assert!(err.to_string().contains("disk full"), "{err}");
        assert_eq!(recorded, 3);
    }

    #[test]
    fn a_worker_that_panics_ends_the_batch_instead_of_hanging_it() {
        let mut input = (0..3).map(|_| vec![1u32; 10]);
        let err = run(
            2,
            &AtomicBool::new(false),
            || Ok(input.next()),
            |_: &Vec<u32>, i, _: &mut ()| {
                if i == 5 {
                    std::panic::panic_any("boom");
                }
                i
            },
            |_, _| Ok(()),
        )
        .unwrap_err();
        assert!(err.to_string().contains("worker stopped"), "{err}");
    }

    #[test]
    fn cancelling_records_what_finished_and_stops() {
        let cancel = AtomicBool::new(false);
        let mut input = (0..1_000).map(|_| vec![1u32; 10]);
        let mut recorded = 0;
        run(
            2,
            &cancel,
            || Ok(input.next()),
            |_: &Vec<u32>, i, _: &mut ()| i,
            |_, _| {
                recorded += 1;
                if recorded == 4 {
                    cancel.store(true, Ordering::Relaxed);
                }
                Ok(())
            },
        )
        .unwrap();
        assert!((4..=4 + AHEAD).contains(&recorded), "{recorded}");
    }
}
