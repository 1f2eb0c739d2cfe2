//! Replay: a stored decision evaluated again, under the exact version it was
//! made with (by content hash) -> DETERMINISTIC or DIVERGED, or under
//! another version -> UNCHANGED or CHANGED; ERROR when it cannot run. Batch
//! replay runs on every core (one prepared engine per version, cloned per
//! evaluation) and sums up the impact. Batches use regorus's bytecode VM
//! where it can take the policy; see `vm_trust` for when its word is taken.

pub mod subject;
pub mod vm_trust;
mod workers;

use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::Arc;
use std::sync::atomic::AtomicBool;
use std::time::Duration;

use serde::Serialize;
use serde_json::Value;

use crate::bundle::Citation;
use crate::engine::cases::{json_diff, json_equal};
use crate::engine::fast::{FastEvaluator, FastProgram};
use crate::engine::outcome::outcome_of;
use crate::engine::{EvalRequest, RuleOutcome, convert, nd_cache};
use crate::error::{Error, Result};
use crate::policy_version::PolicyVersion;
use crate::store::decisions::StoredDecision;
use crate::store::{DecisionRecord, Store, VersionRef};
use subject::Subject;
use vm_trust::{VmStats, VmTrust};

/// A replay's verdict.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum Verdict {
    /// Own version, same result.
    Deterministic,
    /// Own version, another result.
    Diverged,
    /// Another version, same result.
    Unchanged,
    /// Another version, another result.
    Changed,
    /// It could not run (version missing, evaluation error).
    Error,
}

impl Verdict {
    pub fn as_str(self) -> &'static str {
        match self {
            Verdict::Deterministic => "DETERMINISTIC",
            Verdict::Diverged => "DIVERGED",
            Verdict::Unchanged => "UNCHANGED",
            Verdict::Changed => "CHANGED",
            Verdict::Error => "ERROR",
        }
    }
}

/// A cited rule whose firing differs between the two evaluations.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RuleChange {
    pub package: String,
    pub rule: String,
    pub citations: Vec<Citation>,
    /// `None`: the rule does not exist on that side.
    pub before: Option<bool>,
    pub after: Option<bool>,
}

/// One replay.
#[derive(Debug, Clone, Serialize)]
pub struct ReplayResult {
    pub decision_id: String,
    #[serde(skip)]
    pub seq: i64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub version: Option<VersionRef>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub policy_hash: Option<String>,
    /// The version replayed under, when it is not the decision's own.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub against: Option<VersionRef>,
    #[serde(skip)]
    pub against_id: Option<i64>,
    pub verdict: Verdict,
    pub original_outcome: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub replayed_outcome: Option<String>,
    pub result_match: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub replayed_result: Option<Value>,
    /// Unified diff of the results (original `-`, replayed `+`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub diff: Option<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub rule_changes: Vec<RuleChange>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// `time.now_ns` as pinned for the replay.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub now_ns: Option<i64>,
    /// The result is the VM's, taken without an interpreter check.
    #[serde(skip)]
    pub vm_unchecked: bool,
}

/// The time a decision was made, as replay pins `time.now_ns`: the event's
/// `nd_builtin_cache` value when it carries one, else its timestamp.
pub fn pinned_now(rec: &DecisionRecord) -> Option<i64> {
    subject::pinned(rec.event.get("nd_builtin_cache"), rec.timestamp())
}

/// The rule a decision queried: its `path` without OPA's API prefixes.
pub fn entrypoint_of(rec: &DecisionRecord) -> String {
    subject::entrypoint_from(rec.path())
}

/// Versions loaded once and shared by every worker, with their entrypoints
/// compiled for the VM.
pub struct VersionCache {
    timeout: Duration,
    by_id: HashMap<i64, Arc<PolicyVersion>>,
    failed: HashMap<i64, String>,
    /// Content hash -> version id, so a batch asks the store once per hash.
    by_hash: HashMap<String, Option<i64>>,
    fast: HashMap<(i64, String), std::result::Result<Arc<VmProgram>, String>>,
}

/// A VM program, and what the batch has learnt of it.
pub struct VmProgram {
    program: FastProgram,
    trust: VmTrust,
}

/// The VM for one replay: a worker's evaluator, and in a batch against
/// another version the trust its new answers get.
pub struct Vm<'a> {
    pub eval: &'a mut FastEvaluator,
    pub trust: Option<&'a VmTrust>,
}

impl VersionCache {
    pub fn new(timeout: Duration) -> VersionCache {
        VersionCache {
            timeout,
            by_id: HashMap::new(),
            failed: HashMap::new(),
            by_hash: HashMap::new(),
            fast: HashMap::new(),
        }
    }

    /// The VM program of a version's entrypoint, compiled once, or why the
    /// VM cannot take it.
    pub fn fast(
        &mut self,
        version: &PolicyVersion,
        entrypoint: &str,
    ) -> std::result::Result<Arc<VmProgram>, String> {
        self.fast
            .entry((version.summary.id, entrypoint.to_string()))
            .or_insert_with(|| {
                version
                    .with_policy_for(entrypoint, |policy, bundle| {
                        policy.compile_fast(bundle, entrypoint, self.timeout)
                    })
                    .map(|program| {
                        Arc::new(VmProgram {
                            program,
                            trust: VmTrust::default(),
                        })
                    })
            })
            .clone()
    }

    /// What the batch learnt of every VM program it compiled.
    fn vm_stats(&self) -> VmStats {
        let mut seen = HashSet::new();
        VmStats::of(
            self.fast
                .values()
                .flatten()
                .filter(|p| seen.insert(Arc::as_ptr(p)))
                .map(|p| &p.trust),
        )
    }

    /// The version with this id, loaded (or why it cannot be).
    pub fn get(
        &mut self,
        store: &Store,
        id: i64,
    ) -> std::result::Result<Arc<PolicyVersion>, String> {
        if let Some(v) = self.by_id.get(&id) {
            return Ok(v.clone());
        }
        if let Some(e) = self.failed.get(&id) {
            return Err(e.clone());
        }
        let loaded = store
            .list_versions()
            .map_err(|e| e.to_string())?
            .into_iter()
            .find(|v| v.id == id)
            .ok_or_else(|| format!("version #{id} is not in the store"))
            .and_then(|s| {
                PolicyVersion::load(store, &s.reference(), self.timeout).map_err(|e| e.to_string())
            });
        match loaded {
            Ok(v) => {
                let v = Arc::new(v);
                self.by_id.insert(id, v.clone());
                Ok(v)
            }
            Err(e) => {
                self.failed.insert(id, e.clone());
                Err(e)
            }
        }
    }

    /// The version a decision was made with, by content hash (else by the
    /// version its bundle revision named at import); `bundle` names it in
    /// the reason when it is missing.
    pub fn own_version(
        &mut self,
        store: &Store,
        policy_hash: Option<&str>,
        version_id: Option<i64>,
        bundle: Option<&(String, String)>,
    ) -> std::result::Result<Arc<PolicyVersion>, String> {
        let by_hash = match policy_hash {
            Some(h) => match self.by_hash.get(h) {
                Some(id) => *id,
                None => {
                    let id = store.version_by_hash(h).map_err(|e| e.to_string())?;
                    self.by_hash.insert(h.to_string(), id);
                    id
                }
            },
            None => None,
        };
        match (by_hash, version_id, policy_hash) {
            (Some(id), _, _) => self.get(store, id),
            (None, _, Some(h)) => Err(format!(
                "the version it was made with ({h}) is not in the store{}",
                bundle
                    .map(|(n, r)| format!(" (bundle {n} revision {r})"))
                    .unwrap_or_default()
            )),
            (None, Some(id), None) => self.get(store, id),
            (None, None, None) => Err(match bundle {
                Some((n, r)) => format!("its version {n}@{r} is not in the store"),
                None => "the decision names no bundle version".to_string(),
            }),
        }
    }
}

/// Replays one decision under `version` (its own when `own`). With a VM,
/// the VM answers first and its answer stands when it is the recorded
/// result; any other answer is decided by the interpreter, unless the VM
/// comes with a trust (against another version, see `vm_trust`).
pub fn replay_with(
    rec: &Subject,
    version: &PolicyVersion,
    own: bool,
    detail: bool,
    vm: Option<Vm>,
) -> ReplayResult {
    // Non-deterministic builtins answer from the decision's own record,
    // never live (nd_cache.rs).
    let (mut r, nd) = nd_cache::replaying(rec.nd_cache.clone(), || {
        replay_in_session(rec, version, own, detail, vm)
    });
    if let Some(reason) = nd.error(true) {
        r = ReplayResult {
            version: r.version.take(),
            against: r.against.take(),
            against_id: r.against_id,
            now_ns: r.now_ns,
            ..error_result(rec, &reason)
        };
    }
    r
}

fn replay_in_session(
    rec: &Subject,
    version: &PolicyVersion,
    own: bool,
    detail: bool,
    vm: Option<Vm>,
) -> ReplayResult {
    let mut r = ReplayResult {
        version: own.then(|| version.reference()),
        against: (!own).then(|| version.reference()),
        against_id: (!own).then_some(version.summary.id),
        now_ns: None,
        ..not_replayed(rec)
    };
    let Some(now_ns) = rec.now_ns else {
        r.reason = Some("the decision has no timestamp or recorded time.now_ns to pin".into());
        return r;
    };
    r.now_ns = Some(now_ns);
    let entrypoint = &rec.entrypoint;
    let interpreter = || {
        version.with_policy_for(entrypoint, |policy, _| {
            policy.evaluate_result_value(entrypoint, &rec.input, now_ns)
        })
    };
    let answered = vm.and_then(|vm| Some((vm.eval.eval_value(&rec.input, now_ns)?, vm.trust)));
    let evaluated = match answered {
        Some((answer, _)) if json_equal(rec.result.as_ref(), answer.as_ref()) => Ok(answer),
        Some((answer, Some(trust))) if !own => {
            if trust.must_check() {
                let decided = interpreter();
                trust.checked(matches!(&decided, Ok(d) if json_equal(d.as_ref(), answer.as_ref())));
                decided
            } else {
                r.vm_unchecked = true;
                Ok(answer)
            }
        }
        _ => interpreter(),
    };
    match evaluated {
        Err(e) => r.reason = Some(e.to_string()),
        Ok(result) => {
            r.result_match = json_equal(rec.result.as_ref(), result.as_ref());
            r.replayed_outcome = Some(outcome_of(result.as_ref()));
            r.verdict = match (own, r.result_match) {
                (true, true) => Verdict::Deterministic,
                (true, false) => Verdict::Diverged,
                (false, true) => Verdict::Unchanged,
                (false, false) => Verdict::Changed,
            };
            if !r.result_match && detail {
                r.diff = Some(json_diff(rec.result.as_ref(), result.as_ref()));
            }
            r.replayed_result = result;
        }
    }
    r
}

/// Which cited rules fire differently under `before` and `after`.
pub fn rule_changes(
    rec: &Subject,
    before: &PolicyVersion,
    after: &PolicyVersion,
) -> Result<Vec<RuleChange>> {
    let now_ns = rec.now_ns.unwrap_or(0);
    let entrypoint = &rec.entrypoint;
    let input = convert::to_json(&rec.input)?.unwrap_or(Value::Null);
    let outcomes = |v: &PolicyVersion| -> Result<Vec<RuleOutcome>> {
        Ok(v.policy
            .evaluate(
                &v.rules,
                &EvalRequest {
                    entrypoint,
                    input: &input,
                    extra_data: None,
                    now_ns,
                },
            )?
            .rule_outcomes)
    };
    let (both, _) = nd_cache::replaying(rec.nd_cache.clone(), || -> Result<_> {
        Ok((outcomes(before)?, outcomes(after)?))
    });
    let (a, b) = both?;
    let key = |o: &RuleOutcome| (o.package.clone(), o.rule.clone());
    type Sides = (Option<bool>, Option<bool>, Vec<Citation>);
    let mut fired: BTreeMap<(String, String), Sides> = BTreeMap::new();
    for o in &a {
        let e = fired
            .entry(key(o))
            .or_insert((None, None, o.citations.clone()));
        e.0 = Some(e.0.unwrap_or(false) || o.fired);
    }
    for o in &b {
        let e = fired
            .entry(key(o))
            .or_insert((None, None, o.citations.clone()));
        e.1 = Some(e.1.unwrap_or(false) || o.fired);
        e.2 = o.citations.clone();
    }
    Ok(fired
        .into_iter()
        .filter(|(_, (x, y, _))| x != y && (x.unwrap_or(false) || y.unwrap_or(false)))
        .map(|((package, rule), (before, after, citations))| RuleChange {
            package,
            rule,
            citations,
            before,
            after,
        })
        .collect())
}

/// The rules whose reasons appear or disappear between two results in the
/// Gavel decision shape (`{"reasons": [{"rule": ...}, ...]}`): batch replay's
/// rule attribution, read from the results themselves instead of evaluating
/// every cited rule on both sides again. `None` when either result is not in
/// that shape (the caller evaluates then).
pub fn reason_changes(
    before: Option<&Value>,
    after: Option<&Value>,
    before_version: &PolicyVersion,
    after_version: &PolicyVersion,
) -> Option<Vec<RuleChange>> {
    let rules_of = |v: Option<&Value>| -> Option<std::collections::BTreeSet<String>> {
        let reasons = v?.get("reasons")?.as_array()?;
        reasons
            .iter()
            .map(|r| r.get("rule").and_then(Value::as_str).map(String::from))
            .collect()
    };
    let (a, b) = (rules_of(before)?, rules_of(after)?);
    let find = |name: &str| {
        after_version
            .rules
            .iter()
            .chain(before_version.rules.iter())
            .find(|r| r.name == name && !r.citations.is_empty())
            .or_else(|| {
                after_version
                    .rules
                    .iter()
                    .chain(before_version.rules.iter())
                    .find(|r| r.name == name)
            })
    };
    Some(
        a.symmetric_difference(&b)
            .map(|name| {
                let rule = find(name);
                RuleChange {
                    package: rule.map(|r| r.package.clone()).unwrap_or_default(),
                    rule: name.clone(),
                    citations: rule.map(|r| r.citations.clone()).unwrap_or_default(),
                    before: Some(a.contains(name)),
                    after: Some(b.contains(name)),
                }
            })
            .collect(),
    )
}

/// Replays one stored decision (under its own version, or `against`), with
/// the diff and rule changes filled in, and records it.
pub fn replay_one(
    store: &mut Store,
    decision_id: &str,
    against: Option<&VersionRef>,
    timeout: Duration,
) -> Result<ReplayResult> {
    let result = compute_replay(store, decision_id, against, timeout)?;
    store.record_replays(None, std::slice::from_ref(&result))?;
    Ok(result)
}

/// A replay with its diff and rule changes, not recorded: for looking again
/// at a decision a batch has already replayed.
pub fn compute_replay(
    store: &Store,
    decision_id: &str,
    against: Option<&VersionRef>,
    timeout: Duration,
) -> Result<ReplayResult> {
    let (seq, rec) = store
        .get_decision(decision_id)?
        .ok_or_else(|| Error::NotFound(format!("no decision {decision_id} in the store")))?;
    let subject = Subject::from_record(seq, &rec);
    let result = {
        let mut cache = VersionCache::new(timeout);
        let own = cache.own_version(
            store,
            rec.policy_hash.as_deref(),
            rec.version_id,
            subject.bundle.as_ref(),
        );
        match against {
            None => match &own {
                Ok(v) => replay_with(&subject, v, true, true, None),
                Err(reason) => error_result(&subject, reason),
            },
            Some(reference) => {
                let target = store.find_version(reference)?;
                let target = cache.get(store, target.id).map_err(Error::Invalid)?;
                let mut r = replay_with(&subject, &target, false, true, None);
                if let Ok(v) = &own {
                    r.version = Some(v.reference());
                    if r.verdict == Verdict::Changed {
                        r.rule_changes = rule_changes(&subject, v, &target).unwrap_or_default();
                    }
                }
                r
            }
        }
    };
    Ok(result)
}

/// A decision not (yet) replayed: verdict ERROR, no reason, its own
/// bundle's version. Where every replay result starts.
fn not_replayed(rec: &Subject) -> ReplayResult {
    ReplayResult {
        decision_id: rec.decision_id.clone(),
        seq: rec.seq,
        version: rec
            .bundle
            .clone()
            .map(|(name, version)| VersionRef { name, version }),
        policy_hash: rec.policy_hash.clone(),
        against: None,
        against_id: None,
        verdict: Verdict::Error,
        original_outcome: rec.outcome.clone(),
        replayed_outcome: None,
        result_match: false,
        replayed_result: None,
        diff: None,
        rule_changes: Vec::new(),
        reason: None,
        now_ns: rec.now_ns,
        vm_unchecked: false,
    }
}

fn error_result(rec: &Subject, reason: &str) -> ReplayResult {
    ReplayResult {
        reason: Some(reason.to_string()),
        ..not_replayed(rec)
    }
}

/// A rule behind changed decisions, counted.
#[derive(Debug, Clone, Serialize)]
pub struct RuleImpact {
    pub package: String,
    pub rule: String,
    pub citations: Vec<Citation>,
    /// Decisions in which it fires only after the change.
    pub now_fires: u64,
    /// Decisions in which it no longer fires.
    pub stopped_firing: u64,
}

/// The sum of a batch replay.
#[derive(Debug, Clone, Default, Serialize)]
pub struct ImpactReport {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub against: Option<VersionRef>,
    pub batch_id: String,
    pub replayed: u64,
    pub verdicts: BTreeMap<Verdict, u64>,
    /// Original outcome -> new outcome -> count.
    pub transitions: BTreeMap<String, BTreeMap<String, u64>>,
    pub outcomes_before: BTreeMap<String, u64>,
    pub outcomes_after: BTreeMap<String, u64>,
    pub rules: Vec<RuleImpact>,
    /// Some decisions whose result changed (or diverged).
    pub changed_sample: Vec<String>,
    /// Some errors, with their reasons.
    pub error_sample: Vec<(String, String)>,
    /// How new answers were taken from the VM (against another version).
    #[serde(skip_serializing_if = "VmStats::is_empty")]
    pub vm: VmStats,
    /// Which decisions had a VM program, and why the others had none
    /// (shown when some had none).
    #[serde(skip_serializing_if = "VmCoverage::all_on_vm")]
    pub vm_coverage: VmCoverage,
    pub duration_ms: u64,
    /// The signed checkpoint of the log this batch replayed (with a log key).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub checkpoint: Option<crate::store::log::StoredCheckpoint>,
}

/// How many decisions of a batch had a VM program for their entrypoint;
/// the others ran on the interpreter, counted by why.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct VmCoverage {
    pub with_program: u64,
    /// `entrypoint of version: reason` -> decisions.
    pub refused: BTreeMap<String, u64>,
}

impl VmCoverage {
    pub fn all_on_vm(&self) -> bool {
        self.refused.is_empty()
    }

    /// Lines for the text report: nothing when every decision had one.
    pub fn describe(&self) -> Vec<String> {
        if self.all_on_vm() {
            return Vec::new();
        }
        let without: u64 = self.refused.values().sum();
        let mut lines = vec![format!(
            "bytecode VM: {} of {} decisions had a program; the interpreter ran {without}, because:",
            self.with_program,
            self.with_program + without
        )];
        for (why, n) in &self.refused {
            lines.push(format!("  {n} × {why}"));
        }
        lines
    }
}

impl ImpactReport {
    pub fn count(&self, v: Verdict) -> u64 {
        self.verdicts.get(&v).copied().unwrap_or(0)
    }
}

/// Options of a batch replay.
pub struct BatchOptions<'a> {
    pub filter: crate::store::decisions::DecisionFilter,
    pub against: Option<&'a VersionRef>,
    pub timeout: Duration,
    pub threads: usize,
    /// Against another version, have the interpreter decide every result
    /// that differs from the recorded one (see `vm_trust`).
    pub interpreter_only: bool,
}

/// Decisions per chunk: read, evaluated, then recorded in one transaction.
/// 1,000 keeps a batch's memory under 170 MB where 4,000 took 250 MB, at
/// the same speed.
pub const CHUNK: usize = 1_000;

const SAMPLE: usize = 20;

/// Replays every decision the filter selects, records each result, and
/// returns the impact report. `progress(done, total)`; `cancel` stops it
/// between chunks.
pub fn replay_all(
    store: &mut Store,
    opts: &BatchOptions,
    progress: &dyn Fn(u64, u64),
    cancel: &AtomicBool,
) -> Result<ImpactReport> {
    replay_all_with(
        store,
        opts,
        VersionCache::new(opts.timeout),
        progress,
        cancel,
    )
}

/// `replay_all` with the versions and programs it starts from (a test
/// hands it a program that answers wrongly).
fn replay_all_with(
    store: &mut Store,
    opts: &BatchOptions,
    mut cache: VersionCache,
    progress: &dyn Fn(u64, u64),
    cancel: &AtomicBool,
) -> Result<ImpactReport> {
    let started = std::time::Instant::now();
    let seqs = store.decision_seqs(&opts.filter)?;
    let total = seqs.len() as u64;
    let batch_id = uuid::Uuid::new_v4().to_string();
    let report = ImpactReport {
        against: opts.against.cloned(),
        batch_id: batch_id.clone(),
        ..ImpactReport::default()
    };
    let against_id = match opts.against {
        Some(r) => Some(store.find_version(r)?.id),
        None => None,
    };
    let threads = if opts.threads == 0 {
        std::thread::available_parallelism().map_or(1, |n| n.get())
    } else {
        opts.threads
    };
    let mut sums = Sums {
        report,
        rules: BTreeMap::new(),
        done: 0,
    };
    let target = match against_id {
        Some(id) => Some(cache.get(store, id).map_err(Error::Invalid)?),
        None => None,
    };
    // A pipeline (workers.rs): the workers evaluate while this thread reads
    // the chunks ahead and records the finished ones.
    let mut chunks = seqs.chunks(CHUNK);
    let trust_vm = target.is_some() && !opts.interpreter_only;
    // Unchecked VM answers recorded so far, by program, and the programs
    // whose demotion has been dealt with.
    let mut recorded_unchecked: HashMap<*const VmProgram, u64> = HashMap::new();
    let mut demotions_seen: HashSet<*const VmProgram> = HashSet::new();
    let mut vm = VmStats::default();
    let mut coverage = VmCoverage::default();
    let store = std::cell::RefCell::new(store);
    let read = || -> Result<Option<Prepared>> {
        let Some(c) = chunks.next() else {
            return Ok(None);
        };
        let prepared = prepare(&store.borrow(), &mut cache, &target, c)?;
        for job in &prepared.jobs {
            match &job.vm_refusal {
                Some(why) => *coverage.refused.entry(why.clone()).or_default() += 1,
                None if job.fast.is_some() => coverage.with_program += 1,
                None => {}
            }
        }
        Ok(Some(prepared))
    };
    let evaluate = |chunk: &Prepared, i: usize, vms: &mut WorkerVms| {
        evaluate_one(&chunk.rows[i], &chunk.jobs[i], &target, trust_vm, vms)
    };
    let record = |chunk: &Prepared, mut results: Vec<ReplayResult>| -> Result<()> {
        // A program demoted by now (workers may have caught it out in a
        // later chunk while this one waited): its unchecked answers here
        // are decided again, before anything of the chunk is recorded.
        for (r, (row, job)) in results.iter_mut().zip(chunk.rows.iter().zip(&chunk.jobs)) {
            let Some(p) = &job.fast else { continue };
            let key = Arc::as_ptr(p);
            if p.trust.is_demoted() && demotions_seen.insert(key) {
                vm.recorded_before_demotion += recorded_unchecked.get(&key).copied().unwrap_or(0);
            }
            if !r.vm_unchecked {
                continue;
            }
            if p.trust.is_demoted() {
                *r = match Subject::parse(row) {
                    Ok(s) => interpreted(&s, job, &target),
                    Err(reason) => error_result(&Subject::unreadable(row), &reason),
                };
                vm.redecided += 1;
            } else {
                *recorded_unchecked.entry(key).or_default() += 1;
            }
        }
        sums.add(
            &mut store.borrow_mut(),
            &batch_id,
            &results,
            total,
            progress,
        )
    };
    workers::run(threads, cancel, read, evaluate, record)?;
    let store = store.into_inner();
    let Sums {
        mut report,
        rules: rule_impacts,
        ..
    } = sums;
    let learnt = cache.vm_stats();
    report.vm = VmStats {
        trusted: learnt.trusted.saturating_sub(vm.redecided),
        redecided: vm.redecided,
        recorded_before_demotion: vm.recorded_before_demotion,
        ..learnt
    };
    report.rules = rule_impacts.into_values().collect();
    report.vm_coverage = coverage;
    report.checkpoint = store.checkpoint_if_keyed(&format!("replay batch {batch_id}"))?;
    report
        .rules
        .sort_by_key(|r| std::cmp::Reverse(r.now_fires + r.stopped_firing));
    report.duration_ms = u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX);
    Ok(report)
}

/// A chunk's decisions as stored, and each one's job.
struct Prepared {
    rows: Vec<StoredDecision>,
    jobs: Vec<Job>,
}

impl workers::Chunk for Prepared {
    fn len(&self) -> usize {
        self.rows.len()
    }
}

/// Reads a chunk of decisions and prepares what the workers need: their
/// versions and VM programs are loaded on this thread, then shared
/// read-only. The events are parsed by the workers.
fn prepare(
    store: &Store,
    cache: &mut VersionCache,
    target: &Option<Arc<PolicyVersion>>,
    chunk: &[i64],
) -> Result<Prepared> {
    let rows = store.stored_decisions_by_seq(chunk)?;
    let mut jobs: Vec<Job> = Vec::with_capacity(rows.len());
    for row in &rows {
        let own = cache.own_version(
            store,
            row.policy_hash.as_deref(),
            row.version_id,
            row.bundle.as_ref(),
        );
        let runs_under = match (target, &own) {
            (Some(t), _) => Some(t.clone()),
            (None, Ok(v)) => Some(v.clone()),
            (None, Err(_)) => None,
        };
        let entrypoint = subject::entrypoint_from(&row.path);
        let (fast, vm_refusal) = match runs_under.as_ref().map(|v| (v, cache.fast(v, &entrypoint)))
        {
            Some((_, Ok(p))) => (Some(p), None),
            Some((v, Err(why))) => (
                None,
                Some(format!("{entrypoint} of {}: {why}", v.reference())),
            ),
            None => (None, None),
        };
        jobs.push(Job {
            own,
            fast,
            entrypoint,
            vm_refusal,
        });
    }
    Ok(Prepared { rows, jobs })
}

/// What a decision replayed inside a batch reports when the engine
/// panicked on both paths.
const PANICKED: &str = "the engine stopped on an internal error (a panic in a builtin)";

/// One decision of a batch: under the target version (with its rule
/// changes) or under its own.
fn replay_job(
    rec: &Subject,
    job: &Job,
    target: &Option<Arc<PolicyVersion>>,
    vm: Option<Vm>,
) -> ReplayResult {
    match (target, &job.own) {
        (Some(t), own_v) => {
            let mut r = replay_with(rec, t, false, false, vm);
            if let Ok(v) = own_v {
                r.version = Some(v.reference());
                if r.verdict == Verdict::Changed {
                    r.rule_changes =
                        reason_changes(rec.result.as_ref(), r.replayed_result.as_ref(), v, t)
                            .unwrap_or_else(|| rule_changes(rec, v, t).unwrap_or_default());
                }
            }
            r
        }
        (None, Ok(v)) => replay_with(rec, v, true, false, vm),
        (None, Err(reason)) => error_result(rec, reason),
    }
}

/// A decision replayed on the interpreter alone; a panic there too is its
/// ERROR.
fn interpreted(rec: &Subject, job: &Job, target: &Option<Arc<PolicyVersion>>) -> ReplayResult {
    crate::panics::quietly(|| replay_job(rec, job, target, None))
        .unwrap_or_else(|_| error_result(rec, PANICKED))
}

/// A worker's VMs: one per program, kept for the whole batch.
type WorkerVms = HashMap<*const VmProgram, Option<FastEvaluator>>;

/// One decision of a batch, on a worker. `trust_vm`: the VM's new answers
/// are checked rather than replaced.
fn evaluate_one(
    row: &StoredDecision,
    job: &Job,
    target: &Option<Arc<PolicyVersion>>,
    trust_vm: bool,
    vms: &mut WorkerVms,
) -> ReplayResult {
    let rec = match Subject::parse(row) {
        Ok(rec) => rec,
        Err(reason) => return error_result(&Subject::unreadable(row), &reason),
    };
    // The program was chosen by the row's copy of the path; the event's
    // own decides (they differ only in a tampered store).
    let vm = job
        .fast
        .as_ref()
        .filter(|_| rec.entrypoint == job.entrypoint);
    let vm = vm.and_then(|p| {
        let eval = vms
            .entry(Arc::as_ptr(p))
            .or_insert_with(|| FastEvaluator::new(&p.program))
            .as_mut()?;
        Some(Vm {
            eval,
            trust: (trust_vm && p.program.new_answers_trusted()).then_some(&p.trust),
        })
    });
    // A panic inside the engine (a builtin regorus implements badly)
    // must not end the batch: the VM runs regorus's own builtins, so the
    // interpreter (with Gavel's guarded ones) answers instead; a panic
    // there too is this decision's ERROR.
    match crate::panics::quietly(|| replay_job(&rec, job, target, vm)) {
        Ok(r) => r,
        Err(_) => {
            // The VM may have stopped mid-program: this worker's VMs go.
            vms.clear();
            interpreted(&rec, job, target)
        }
    }
}

/// The running sums of a batch replay.
struct Sums {
    report: ImpactReport,
    rules: BTreeMap<(String, String), RuleImpact>,
    done: u64,
}

impl Sums {
    /// Counts a finished chunk and records its replays (one transaction).
    fn add(
        &mut self,
        store: &mut Store,
        batch_id: &str,
        results: &[ReplayResult],
        total: u64,
        progress: &dyn Fn(u64, u64),
    ) -> Result<()> {
        for r in results {
            tally(&mut self.report, &mut self.rules, r);
        }
        store.record_replays(Some(batch_id), results)?;
        self.done += results.len() as u64;
        progress(self.done, total);
        Ok(())
    }
}

/// What a worker needs for one decision.
struct Job {
    own: std::result::Result<Arc<PolicyVersion>, String>,
    fast: Option<Arc<VmProgram>>,
    /// What `fast` was compiled for.
    entrypoint: String,
    /// Why the VM could not take the decision's entrypoint, if it could not.
    vm_refusal: Option<String>,
}

fn tally(
    report: &mut ImpactReport,
    rules: &mut BTreeMap<(String, String), RuleImpact>,
    r: &ReplayResult,
) {
    report.replayed += 1;
    *report.verdicts.entry(r.verdict).or_default() += 1;
    *report
        .outcomes_before
        .entry(r.original_outcome.clone())
        .or_default() += 1;
    match &r.replayed_outcome {
        Some(after) => {
            *report.outcomes_after.entry(after.clone()).or_default() += 1;
            *report
                .transitions
                .entry(r.original_outcome.clone())
                .or_default()
                .entry(after.clone())
                .or_default() += 1;
        }
        None => {
            if report.error_sample.len() < SAMPLE {
                report
                    .error_sample
                    .push((r.decision_id.clone(), r.reason.clone().unwrap_or_default()));
            }
        }
    }
    if matches!(r.verdict, Verdict::Changed | Verdict::Diverged)
        && report.changed_sample.len() < SAMPLE
    {
        report.changed_sample.push(r.decision_id.clone());
    }
    for c in &r.rule_changes {
        let e = rules
            .entry((c.package.clone(), c.rule.clone()))
            .or_insert_with(|| RuleImpact {
                package: c.package.clone(),
                rule: c.rule.clone(),
                citations: c.citations.clone(),
                now_fires: 0,
                stopped_firing: 0,
            });
        if c.after == Some(true) {
            e.now_fires += 1;
        } else {
            e.stopped_firing += 1;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn rec(event: Value) -> DecisionRecord {
        let Value::Object(event) = event else {
            unreachable!()
        };
        DecisionRecord {
            event,
            outcome: "allow".into(),
            policy_hash: None,
            rule_outcomes: None,
            version_id: None,
            source: "import".into(),
        }
    }

    /// A store with versions t@1.0.0 (APPROVE), t@2.0.0 (BLOCK) and t@3.0.0
    /// (BLOCK, or ESCALATE where `input.bad`), and `n` decisions made by
    /// 1.0.0, the last `bad` of them with `input.bad`.
    fn store_for_trust(dir: &std::path::Path, n: usize, bad: usize) -> Store {
        let mut store = Store::open(&dir.join("s.db")).unwrap();
        let versions = [
            ("1.0.0", "decision := {\"outcome\": \"APPROVE\"}"),
            ("2.0.0", "decision := {\"outcome\": \"BLOCK\"}"),
            (
                "3.0.0",
                "decision := {\"outcome\": \"BLOCK\"} if not input.bad\ndecision := {\"outcome\": \"ESCALATE\"} if input.bad",
            ),
        ];
        for (v, body) in versions {
            let root = dir.join(v);
            std::fs::create_dir_all(root.join("t")).unwrap();
            std::fs::write(
                root.join(".manifest"),
                format!(r#"{{"revision": "{v}", "roots": ["t"], "metadata": {{"name": "t"}}}}"#),
            )
            .unwrap();
            std::fs::write(root.join("t/p.rego"), format!("package t\n{body}\n")).unwrap();
            crate::import::import_bundle(&mut store, &root, &Default::default()).unwrap();
        }
        let log: String = (0..n)
            .map(|i| {
                format!(
                    "{}\n",
                    json!({
                        "decision_id": format!("d-{i:05}"),
                        "path": "t/decision",
                        "input": {"bad": i >= n - bad},
                        "result": {"outcome": "APPROVE"},
                        "timestamp": "2026-11-20T10:00:00Z",
                        "bundles": {"t": {"revision": "1.0.0"}},
                    })
                )
            })
            .collect();
        crate::decision_import::import_decisions(
            &mut store,
            std::io::Cursor::new(log),
            crate::decision_import::ImportHooks {
                progress: &mut |_, _| {},
                rejected: &mut |e| panic!("{e:?}"),
            },
        )
        .unwrap();
        store
    }

    fn unchecked_rows(store: &Store, batch: &str) -> u64 {
        store
            .conn()
            .query_row(
                "SELECT count(*) FROM replays WHERE batch_id = ?1 AND vm_unchecked = 1",
                [batch],
                |r| r.get::<_, i64>(0),
            )
            .map(|n| n as u64)
            .unwrap()
    }

    #[test]
    fn a_vm_that_disagrees_is_handed_to_the_interpreter_and_its_chunk_decided_again() {
        let dir = tempfile::tempdir().unwrap();
        // The bad decisions fall in the fourth chunk: the pipeline reads a
        // chunk only once the one two before it is recorded (workers.rs),
        // so the first two are recorded before the VM can be caught out;
        // the third may be recorded after, and then is decided again.
        let (n, bad) = (3 * CHUNK + 500, 500);
        let mut store = store_for_trust(dir.path(), n, bad);
        let target = VersionRef::parse("t@2.0.0").unwrap();
        let opts = BatchOptions {
            filter: Default::default(),
            against: Some(&target),
            timeout: Duration::from_secs(5),
            threads: 2,
            interpreter_only: false,
        };
        // The VM program given for 2.0.0 is 3.0.0's: it answers ESCALATE
        // where the interpreter (2.0.0) says BLOCK, in the last chunk only.
        let mut cache = VersionCache::new(opts.timeout);
        let two = store.find_version(&target).unwrap().id;
        let three = store
            .find_version(&VersionRef::parse("t@3.0.0").unwrap())
            .unwrap()
            .id;
        let wrong = cache.get(&store, three).unwrap();
        let program = cache.fast(&wrong, "t/decision").expect("compiles");
        cache.fast.insert((two, "t/decision".into()), Ok(program));
        let report = replay_all_with(
            &mut store,
            &opts,
            cache,
            &|_, _| {},
            &AtomicBool::new(false),
        )
        .unwrap();
        // Every result is the interpreter's.
        assert_eq!(
            report.transitions,
            BTreeMap::from([(
                "APPROVE".to_string(),
                BTreeMap::from([("BLOCK".to_string(), n as u64)])
            )])
        );
        let vm = &report.vm;
        assert_eq!((vm.disagreed, vm.demoted_programs), (1, 1), "{vm:?}");
        assert!(vm.redecided > 0, "{vm:?}");
        // The first two chunks' unchecked answers were recorded before.
        assert!(vm.recorded_before_demotion > CHUNK as u64, "{vm:?}");
        // What was decided again is not recorded as the VM's.
        assert_eq!(
            unchecked_rows(&store, &report.batch_id),
            vm.recorded_before_demotion
        );
        assert!(
            vm.describe()[1].contains("disagreed"),
            "{:?}",
            vm.describe()
        );
    }

    #[test]
    fn without_a_disagreement_the_vm_answers_stand() {
        let dir = tempfile::tempdir().unwrap();
        let mut store = store_for_trust(dir.path(), 600, 0);
        let target = VersionRef::parse("t@2.0.0").unwrap();
        let mut opts = BatchOptions {
            filter: Default::default(),
            against: Some(&target),
            timeout: Duration::from_secs(5),
            threads: 2,
            interpreter_only: false,
        };
        let run = |store: &mut Store, opts: &BatchOptions| {
            replay_all(store, opts, &|_, _| {}, &AtomicBool::new(false)).unwrap()
        };
        let report = run(&mut store, &opts);
        assert_eq!(report.count(Verdict::Changed), 600);
        let vm = &report.vm;
        assert_eq!(vm.trusted + vm.checked, 600, "{vm:?}");
        // Each unchecked answer is recorded as such.
        assert_eq!(unchecked_rows(&store, &report.batch_id), vm.trusted);
        assert!(vm.checked >= vm_trust::QUALIFY && vm.trusted > 0, "{vm:?}");
        assert_eq!(vm.disagreed, 0);
        opts.interpreter_only = true;
        let slow = run(&mut store, &opts);
        assert_eq!(slow.transitions, report.transitions);
        assert!(slow.vm.is_empty(), "{:?}", slow.vm);
    }

    #[test]
    fn an_unreadable_stored_event_is_that_decisions_error_and_the_batch_goes_on() {
        let dir = tempfile::tempdir().unwrap();
        let mut store = store_for_trust(dir.path(), 30, 0);
        store
            .conn()
            .execute_batch(
                "DROP TRIGGER decisions_no_update;
                 UPDATE decisions SET event = '{broken' WHERE seq = 7;",
            )
            .unwrap();
        let opts = BatchOptions {
            filter: Default::default(),
            against: None,
            timeout: Duration::from_secs(5),
            threads: 2,
            interpreter_only: false,
        };
        let report = replay_all(&mut store, &opts, &|_, _| {}, &AtomicBool::new(false)).unwrap();
        assert_eq!(report.replayed, 30);
        assert_eq!(report.count(Verdict::Deterministic), 29);
        assert_eq!(report.count(Verdict::Error), 1);
        let (id, reason) = &report.error_sample[0];
        assert_eq!(id, "d-00006");
        assert!(
            reason.contains("stored event is not a readable"),
            "{reason}"
        );
    }

    #[test]
    fn time_is_pinned_from_the_cache_then_the_timestamp() {
        let a = rec(
            json!({"timestamp": "2026-11-20T10:00:00Z", "nd_builtin_cache": {"time.now_ns": {"[]": 5}}}),
        );
        assert_eq!(pinned_now(&a), Some(5));
        let b = rec(json!({"timestamp": "2026-11-20T10:00:00Z"}));
        assert_eq!(pinned_now(&b), Some(1_795_168_800_000_000_000));
        assert_eq!(pinned_now(&rec(json!({}))), None);
    }

    #[test]
    fn entrypoints_from_paths() {
        for (path, want) in [
            ("gfr/procurement/decision", "gfr/procurement/decision"),
            ("/v1/data/a/b", "a/b"),
            ("data.a.b", "a/b"),
            ("data/a/b", "a/b"),
        ] {
            assert_eq!(entrypoint_of(&rec(json!({"path": path}))), want);
        }
    }
}
