//! Long work off the UI thread: test runs, replays, evaluations, diffs and
//! seeding run on worker threads, each with its own store connection, and
//! report progress and their result over one channel. The screen never
//! waits for them; `Esc` sets a job's cancel flag.

use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{Receiver, Sender, channel};
use std::time::Duration;

use serde_json::Value;

use crate::diff::{VersionDiff, diff_versions};
use crate::engine::suite::{SuiteReport, run_suite};
use crate::engine::testing::RunOptions;
use crate::engine::{DEFAULT_TIMEOUT, Evaluation};
use crate::import::ImportReport;
use crate::policy_version::PolicyVersion;
use crate::replay::{
    BatchOptions, ImpactReport, ReplayResult, compute_replay, replay_all, replay_one,
};
use crate::store::decisions::DecisionFilter;
use crate::store::{Store, VersionRef};
use crate::working_copy::WorkingCopy;

/// What a worker is asked to do.
#[derive(Debug, Clone)]
pub enum JobRequest {
    RunTests {
        version: VersionRef,
    },
    Replay {
        decision_id: String,
        against: Option<VersionRef>,
    },
    /// Looks again at a replayed decision, without recording it.
    Compare {
        decision_id: String,
        against: Option<VersionRef>,
    },
    ReplayAll {
        filter: DecisionFilter,
        against: Option<VersionRef>,
        label: String,
    },
    Evaluate {
        version: VersionRef,
        /// Set when `version` is the working copy: read from its folder.
        working_copy: Option<WorkingCopy>,
        input: Value,
        now_ns: i64,
    },
    /// Runs the working copy's suite as its files are now (nothing is
    /// recorded: it is not a stored version).
    TestWorkingCopy {
        working_copy: WorkingCopy,
    },
    /// Diffs a stored version (before) with the working copy (after).
    DiffWorkingCopy {
        from: VersionRef,
        working_copy: WorkingCopy,
    },
    /// Stores the working copy as a new version.
    ImportWorkingCopy {
        working_copy: WorkingCopy,
        version: String,
    },
    Diff {
        from: VersionRef,
        to: VersionRef,
    },
    /// How many decisions a filter selects (a text filter scans every event).
    Count {
        filter: DecisionFilter,
    },
    LoadSamples,
    /// Writes a version's certification packet to a file, as `gavel packet
    /// NAME@VERSION --out FILE` does (the extension chooses the format).
    WritePacket {
        version: VersionRef,
        path: PathBuf,
        settings: Box<crate::certify::Settings>,
        now: chrono::DateTime<chrono::Utc>,
    },
    /// Writes every stored decision to a JSONL file, as `gavel decisions
    /// export` does.
    ExportDecisions {
        path: PathBuf,
    },
    /// The store's checks, as `gavel verify` runs them.
    Verify {
        settings: Box<crate::certify::Settings>,
    },
}

impl JobRequest {
    pub fn label(&self) -> String {
        match self {
            JobRequest::RunTests { version } => format!("testing {version}"),
            JobRequest::Replay { decision_id, .. } => format!("replaying {decision_id}"),
            JobRequest::Compare { decision_id, .. } => format!("comparing {decision_id}"),
            JobRequest::ReplayAll { label, .. } => format!("replaying {label}"),
            JobRequest::Evaluate { version, .. } => format!("evaluating under {version}"),
            JobRequest::Diff { from, to } => format!("diffing {from} and {to}"),
            JobRequest::TestWorkingCopy { working_copy } => {
                format!("testing {}", working_copy.reference())
            }
            JobRequest::DiffWorkingCopy { from, working_copy } => {
                format!("diffing {from} and {}", working_copy.reference())
            }
            JobRequest::ImportWorkingCopy {
                working_copy,
                version,
            } => format!("importing {} as {version}", working_copy.dir.display()),
            JobRequest::Count { .. } => "counting decisions".to_string(),
            JobRequest::LoadSamples => "loading the samples".to_string(),
            JobRequest::WritePacket { version, .. } => format!("writing the packet of {version}"),
            JobRequest::ExportDecisions { path } => {
                format!("exporting decisions to {}", path.display())
            }
            JobRequest::Verify { .. } => "verifying the store".to_string(),
        }
    }
}

/// What a worker found.
#[derive(Debug)]
pub enum JobOutput {
    Tests {
        version: VersionRef,
        report: Box<SuiteReport>,
        run_id: i64,
    },
    Replay(Box<ReplayResult>),
    Compare(Box<ReplayResult>),
    Impact(Box<ImpactReport>),
    Evaluated {
        version: VersionRef,
        evaluation: Box<Evaluation>,
    },
    Diff(Box<VersionDiff>),
    WorkingCopyTests {
        version: VersionRef,
        report: Box<SuiteReport>,
    },
    Imported(Box<ImportReport>),
    SamplesLoaded {
        versions: usize,
        decisions: u64,
    },
    Count {
        filter: DecisionFilter,
        count: usize,
    },
    PacketWritten {
        version: VersionRef,
        path: PathBuf,
        /// `Markdown`, `HTML`, `JSON`.
        format: &'static str,
        bytes: usize,
        /// The version's certification, as the packet states it.
        label: String,
    },
    Exported {
        path: PathBuf,
        decisions: u64,
    },
    /// `gavel verify`'s report, line by line (not escaped), each with
    /// whether it states a problem.
    Verified {
        ok: bool,
        lines: Vec<(bool, String)>,
    },
}

#[derive(Debug)]
pub enum JobEvent {
    Progress { id: u64, done: u64, total: u64 },
    Finished { id: u64, output: JobOutput },
    Failed { id: u64, error: String },
}

impl JobEvent {
    pub fn id(&self) -> u64 {
        match self {
            JobEvent::Progress { id, .. }
            | JobEvent::Finished { id, .. }
            | JobEvent::Failed { id, .. } => *id,
        }
    }
}

/// A job in flight, as the status bar shows it.
#[derive(Debug, Clone)]
pub struct RunningJob {
    pub id: u64,
    pub label: String,
    pub done: u64,
    pub total: u64,
    pub cancel: Arc<AtomicBool>,
    pub cancellable: bool,
}

impl RunningJob {
    pub fn ratio(&self) -> f64 {
        if self.total == 0 {
            0.0
        } else {
            (self.done as f64 / self.total as f64).clamp(0.0, 1.0)
        }
    }
}

/// Starts jobs and hands their events back.
pub struct Jobs {
    db: PathBuf,
    /// The log key file, when not the default one (tests keep theirs in a
    /// temp dir).
    pub log_key: Option<PathBuf>,
    /// The pinned time records are stamped with (`GAVEL_NOW`), if any.
    pub clock: Option<chrono::DateTime<chrono::Utc>>,
    next_id: u64,
    tx: Sender<JobEvent>,
    rx: Receiver<JobEvent>,
    pub running: Vec<RunningJob>,
    pub timeout: Duration,
}

impl Jobs {
    pub fn new(db: PathBuf) -> Jobs {
        let (tx, rx) = channel();
        Jobs {
            db,
            log_key: None,
            clock: None,
            next_id: 1,
            tx,
            rx,
            running: Vec::new(),
            timeout: DEFAULT_TIMEOUT,
        }
    }

    /// Starts `request` on a new thread and returns its id.
    pub fn start(&mut self, request: JobRequest) -> u64 {
        let id = self.next_id;
        self.next_id += 1;
        let cancel = Arc::new(AtomicBool::new(false));
        self.running.push(RunningJob {
            id,
            label: request.label(),
            done: 0,
            total: 0,
            cancel: cancel.clone(),
            cancellable: matches!(
                request,
                JobRequest::ReplayAll { .. }
                    | JobRequest::RunTests { .. }
                    | JobRequest::TestWorkingCopy { .. }
            ),
        });
        let tx = self.tx.clone();
        let db = self.db.clone();
        let log_key = self.log_key.clone();
        let clock = self.clock;
        let timeout = self.timeout;
        std::thread::spawn(move || {
            let progress_tx = tx.clone();
            let progress = move |done: u64, total: u64| {
                let _ = progress_tx.send(JobEvent::Progress { id, done, total });
            };
            let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                run(&db, log_key, clock, request, timeout, &progress, &cancel)
            }));
            let event = match outcome {
                Ok(Ok(output)) => JobEvent::Finished { id, output },
                Ok(Err(e)) => JobEvent::Failed {
                    id,
                    error: format!("{e:#}"),
                },
                Err(_) => JobEvent::Failed {
                    id,
                    error: "the job stopped unexpectedly".into(),
                },
            };
            let _ = tx.send(event);
        });
        id
    }

    /// Events that arrived since the last call; progress is folded into
    /// `running`, finished jobs leave it.
    pub fn drain(&mut self) -> Vec<JobEvent> {
        let mut out = Vec::new();
        while let Ok(e) = self.rx.try_recv() {
            match &e {
                JobEvent::Progress { id, done, total } => {
                    if let Some(j) = self.running.iter_mut().find(|j| j.id == *id) {
                        j.done = *done;
                        j.total = *total;
                    }
                    continue;
                }
                JobEvent::Finished { id, .. } | JobEvent::Failed { id, .. } => {
                    self.running.retain(|j| j.id != *id);
                }
            }
            out.push(e);
        }
        out
    }

    /// Blocks until an event arrives or `timeout` passes (tests use this).
    pub fn wait(&mut self, timeout: Duration) -> Vec<JobEvent> {
        match self.rx.recv_timeout(timeout) {
            Ok(e) => {
                let mut first = vec![];
                // Put it through the same bookkeeping as drain.
                let _ = self.tx.send(e);
                first.extend(self.drain());
                first
            }
            Err(_) => Vec::new(),
        }
    }

    pub fn cancel(&self, id: u64) -> bool {
        match self.running.iter().find(|j| j.id == id && j.cancellable) {
            Some(j) => {
                j.cancel.store(true, Ordering::Relaxed);
                true
            }
            None => false,
        }
    }

    pub fn is_running(&self, id: Option<u64>) -> bool {
        id.is_some_and(|id| self.running.iter().any(|j| j.id == id))
    }
}

fn run(
    db: &std::path::Path,
    log_key: Option<PathBuf>,
    clock: Option<chrono::DateTime<chrono::Utc>>,
    request: JobRequest,
    timeout: Duration,
    progress: &(dyn Fn(u64, u64) + Sync),
    cancel: &AtomicBool,
) -> anyhow::Result<JobOutput> {
    if let JobRequest::Verify { settings } = request {
        return verify(db, log_key.as_deref(), *settings);
    }
    // A read-only store is read as it is (the app offers no job that writes).
    let mut store = match Store::open(db) {
        Err(crate::Error::ReadOnly(_)) => Store::open_read_only(db)?,
        other => other?,
    };
    match log_key {
        Some(path) => store.use_log_key(path, true),
        None => store.use_default_log_key(),
    }
    if let Some(at) = clock {
        store.pin_clock(at);
    }
    Ok(match request {
        JobRequest::RunTests { version } => {
            let v = PolicyVersion::load(&store, &version, timeout)?;
            let report = whole_suite(&v, progress, cancel)?;
            if cancel.load(Ordering::Relaxed) {
                anyhow::bail!("test run of {version} cancelled: nothing recorded");
            }
            let run_id = store.record_test_run(v.summary.id, None, &report)?;
            JobOutput::Tests {
                version,
                report: Box::new(report),
                run_id,
            }
        }
        JobRequest::Replay {
            decision_id,
            against,
        } => JobOutput::Replay(Box::new(replay_one(
            &mut store,
            &decision_id,
            against.as_ref(),
            timeout,
        )?)),
        JobRequest::Compare {
            decision_id,
            against,
        } => JobOutput::Compare(Box::new(compute_replay(
            &store,
            &decision_id,
            against.as_ref(),
            timeout,
        )?)),
        JobRequest::ReplayAll {
            filter, against, ..
        } => {
            let report = replay_all(
                &mut store,
                &BatchOptions {
                    filter,
                    against: against.as_ref(),
                    timeout,
                    threads: 0,
                    interpreter_only: false,
                },
                progress,
                cancel,
            )?;
            JobOutput::Impact(Box::new(report))
        }
        JobRequest::Evaluate {
            version,
            working_copy,
            input,
            now_ns,
        } => {
            let v = match &working_copy {
                Some(wc) => wc.load(timeout)?,
                None => PolicyVersion::load(&store, &version, timeout)?,
            };
            let evaluation = crate::decide::evaluate(&v, None, &input, None, now_ns)?;
            JobOutput::Evaluated {
                version,
                evaluation: Box::new(evaluation),
            }
        }
        JobRequest::Diff { from, to } => {
            JobOutput::Diff(Box::new(diff_versions(&store, &from, &to)?))
        }
        JobRequest::TestWorkingCopy { working_copy } => {
            let v = working_copy.load(timeout)?;
            let report = whole_suite(&v, progress, cancel)?;
            if cancel.load(Ordering::Relaxed) {
                anyhow::bail!("test run of {} cancelled", working_copy.reference());
            }
            JobOutput::WorkingCopyTests {
                version: working_copy.reference(),
                report: Box::new(report),
            }
        }
        JobRequest::DiffWorkingCopy { from, working_copy } => {
            JobOutput::Diff(Box::new(working_copy.diff_against(&store, &from)?))
        }
        JobRequest::ImportWorkingCopy {
            working_copy,
            version,
        } => JobOutput::Imported(Box::new(working_copy.import(&mut store, &version)?)),
        JobRequest::Count { filter } => {
            let count = store.count_decisions_matching(&filter)?;
            JobOutput::Count { filter, count }
        }
        JobRequest::LoadSamples => {
            let report = crate::samples::seed(&mut store, &mut |step, steps, _| {
                progress(step as u64, steps as u64)
            })?;
            JobOutput::SamplesLoaded {
                versions: report.versions_new + report.versions_present,
                decisions: report.decisions_new + report.decisions_present,
            }
        }
        JobRequest::WritePacket {
            version,
            path,
            settings,
            now,
        } => {
            let format = crate::packet::PacketFormat::from_path(&path);
            let (packet, text) = crate::packet::render(&store, &version, &settings, now, format)?;
            std::fs::write(&path, &text).map_err(|e| crate::Error::io(&path, e))?;
            JobOutput::PacketWritten {
                version,
                path,
                format: format.name(),
                bytes: text.len(),
                label: packet.certification.label.clone(),
            }
        }
        JobRequest::ExportDecisions { path } => {
            let file = std::fs::File::create(&path).map_err(|e| crate::Error::io(&path, e))?;
            let mut out = std::io::BufWriter::new(file);
            let decisions =
                crate::decision_log::export_jsonl(&store, &DecisionFilter::default(), &mut out)?
                    .and_then(|n| std::io::Write::flush(&mut out).map(|()| n))
                    .map_err(|e| crate::Error::io(&path, e))?;
            JobOutput::Exported { path, decisions }
        }
        JobRequest::Verify { .. } => unreachable!("verify opens the store itself"),
    })
}

/// `gavel verify` in a job: the store opened read-only, a file SQLite
/// cannot read at all reported as damaged (the check's answer, not an
/// error), the log's checkpoints checked with the local log key.
fn verify(
    db: &std::path::Path,
    log_key: Option<&std::path::Path>,
    settings: crate::certify::Settings,
) -> anyhow::Result<JobOutput> {
    let store = match Store::open_read_only(db) {
        Ok(store) => store,
        Err(crate::Error::Damaged(why)) => {
            return Ok(JobOutput::Verified {
                ok: false,
                lines: crate::verify::unreadable_lines(&why)
                    .into_iter()
                    .map(|l| (true, l))
                    .collect(),
            });
        }
        Err(e) => return Err(e.into()),
    };
    let report = crate::verify::verify_store(
        &store,
        &crate::verify::VerifyOptions {
            verifier: crate::tlog::key::local_verifier(log_key)?,
            kept: None,
            settings,
        },
    )?;
    Ok(JobOutput::Verified {
        ok: report.ok(),
        lines: crate::verify::report_lines_marked(&report),
    })
}

/// Every test and case of a version, with coverage, as the Tests tab runs
/// them (a stored version or the working copy).
fn whole_suite(
    v: &PolicyVersion,
    progress: &(dyn Fn(u64, u64) + Sync),
    cancel: &AtomicBool,
) -> anyhow::Result<SuiteReport> {
    let opts = RunOptions {
        run: None,
        coverage: true,
        threads: 0,
    };
    Ok(run_suite(
        &v.policy,
        &v.bundle,
        &v.rules,
        &opts,
        &|done, total| progress(done as u64, total as u64),
        cancel,
    )?)
}
