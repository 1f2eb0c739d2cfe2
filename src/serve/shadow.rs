//! Live shadow mode: every decision `gavel serve` stores is also replayed
//! against a candidate version, on its own thread and store connection,
//! and recorded as one replay batch (`shadow:NAME@VERSION`) that grows as
//! decisions arrive. The workbench's Replay / impact tab reads that batch
//! (`Store::latest_shadow`) and shows its running impact.

use std::path::Path;
use std::sync::Arc;
use std::sync::mpsc;
use std::thread::JoinHandle;
use std::time::Duration;

use crate::error::Result;
use crate::policy_version::PolicyVersion;
use crate::replay::subject::Subject;
use crate::replay::{ReplayResult, Verdict, replay_with};
use crate::store::{Store, VersionRef};

/// The replay batch a shadow run records into.
pub fn batch_id(target: &VersionRef) -> String {
    format!("{}{target}", crate::store::replays::SHADOW_PREFIX)
}

/// Decisions read and recorded at a time.
const CHUNK: usize = 1_000;

/// What the shadow replayed over its life.
#[derive(Debug, Clone, Default)]
pub struct ShadowTotals {
    pub replayed: u64,
    pub changed: u64,
    pub errors: u64,
}

/// The running shadow replay: send it runs of new decisions.
pub struct Shadow {
    pub sender: mpsc::Sender<(i64, u64)>,
    pub handle: JoinHandle<Result<ShadowTotals>>,
    pub batch_id: String,
}

/// Loads `target` from the store at `db` (refused here, before the server
/// starts, when it is not there or does not load) and starts the thread.
pub fn start(db: &Path, target: &VersionRef, timeout: Duration) -> Result<Shadow> {
    let mut store = Store::open(db)?;
    let version = Arc::new(PolicyVersion::load(&store, target, timeout)?);
    let batch_id = batch_id(&version.reference());
    let (sender, runs) = mpsc::channel::<(i64, u64)>();
    let id = batch_id.clone();
    let handle = std::thread::Builder::new()
        .name("gavel-serve-shadow".into())
        .spawn(move || {
            let mut totals = ShadowTotals::default();
            // Ends when the writer has stopped and every run is replayed.
            for (first, count) in runs {
                if let Err(e) = replay_run(&mut store, &version, &id, first, count, &mut totals) {
                    // Said when it happens; the decisions go on being stored.
                    super::log(&format!(
                        "the shadow replay stopped at decision #{first}: {e}; decisions are still stored"
                    ));
                    return Err(e);
                }
            }
            Ok(totals)
        })
        .map_err(|e| crate::error::Error::io("the shadow replay thread", e))?;
    Ok(Shadow {
        sender,
        handle,
        batch_id,
    })
}

/// Replays the decisions at seqs `first..first + count` against `version`
/// and records them in the shadow batch, a chunk per transaction.
fn replay_run(
    store: &mut Store,
    version: &PolicyVersion,
    batch_id: &str,
    first: i64,
    count: u64,
    totals: &mut ShadowTotals,
) -> Result<()> {
    let last = first + i64::try_from(count).unwrap_or(i64::MAX) - 1;
    let seqs: Vec<i64> = (first..=last).collect();
    for chunk in seqs.chunks(CHUNK) {
        let rows = store.stored_decisions_by_seq(chunk)?;
        let results: Vec<ReplayResult> = rows
            .iter()
            .map(|row| {
                let subject = Subject::parse(row);
                match subject {
                    Ok(s) => {
                        crate::panics::quietly(|| replay_with(&s, version, false, false, None))
                            .unwrap_or_else(|_| {
                                failed(
                                    &s,
                                    version,
                                    "the engine stopped on an internal error (a panic)",
                                )
                            })
                    }
                    Err(reason) => failed(&Subject::unreadable(row), version, &reason),
                }
            })
            .collect();
        for r in &results {
            totals.replayed += 1;
            match r.verdict {
                Verdict::Changed => totals.changed += 1,
                Verdict::Error => totals.errors += 1,
                _ => {}
            }
        }
        store.record_replays(Some(batch_id), &results)?;
    }
    Ok(())
}

/// An ERROR replay against `version`, with its reason.
fn failed(s: &Subject, version: &PolicyVersion, reason: &str) -> ReplayResult {
    ReplayResult {
        decision_id: s.decision_id.clone(),
        seq: s.seq,
        version: s
            .bundle
            .clone()
            .map(|(name, version)| VersionRef { name, version }),
        policy_hash: s.policy_hash.clone(),
        against: Some(version.reference()),
        against_id: Some(version.summary.id),
        verdict: Verdict::Error,
        original_outcome: s.outcome.clone(),
        replayed_outcome: None,
        result_match: false,
        replayed_result: None,
        diff: None,
        rule_changes: Vec::new(),
        reason: Some(reason.to_string()),
        now_ns: s.now_ns,
        vm_unchecked: false,
    }
}
