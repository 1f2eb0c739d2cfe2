//! The bytecode VM against the interpreter: the evidence behind taking the
//! VM's answers in batch replay against another version (src/replay/
//! vm_trust.rs), and that batch replay with the VM reports what the
//! interpreter alone reports. (What happens when they disagree is tested in
//! src/replay, with a program that answers wrongly.)

mod common;

use std::sync::Arc;
use std::time::Duration;

use gavel::bundle::Bundle;
use gavel::engine::fast::FastEvaluator;
use gavel::engine::nd_cache::{NdCache, replaying};
use gavel::engine::{LoadOptions, LoadedPolicy};
use gavel::policy_version::PolicyVersion;
use gavel::replay::{entrypoint_of, pinned_now};
use gavel::store::Store;
use gavel::store::decisions::DecisionFilter;
use serde_json::{Value, json};

const TIMEOUT: Duration = Duration::from_secs(5);

/// A small deterministic generator: the mutations are the same every run.
struct XorShift(u64);

impl XorShift {
    fn below(&mut self, n: usize) -> usize {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        (self.0 % n as u64) as usize
    }
}

/// Every path into a document (object keys, array indexes).
fn paths(v: &Value, at: &mut Vec<Value>, out: &mut Vec<Vec<Value>>) {
    let children: Vec<(Value, &Value)> = match v {
        Value::Object(m) => m.iter().map(|(k, c)| (json!(k), c)).collect(),
        Value::Array(a) => a.iter().enumerate().map(|(i, c)| (json!(i), c)).collect(),
        _ => return,
    };
    for (key, child) in children {
        at.push(key);
        out.push(at.clone());
        paths(child, at, out);
        at.pop();
    }
}

/// Removes the value at `path`, or replaces it with another kind of value:
/// the undefined and wrongly typed inputs where engines part.
fn mutate(doc: &mut Value, path: &[Value], how: usize) {
    let Some((last, init)) = path.split_last() else {
        return;
    };
    let mut cur = doc;
    for p in init {
        let next = match p {
            Value::String(k) => cur.get_mut(k.as_str()),
            Value::Number(n) => cur.get_mut(n.as_u64().unwrap_or(0) as usize),
            _ => None,
        };
        match next {
            Some(n) => cur = n,
            None => return,
        }
    }
    let replacement = [
        json!(null),
        json!("x"),
        json!(0),
        json!([]),
        json!({}),
        json!(true),
        json!(-1.5),
    ]
    .get(how)
    .cloned();
    match (cur, last) {
        (Value::Object(m), Value::String(k)) => match replacement {
            Some(r) => {
                m.insert(k.clone(), r);
            }
            None => {
                m.remove(k);
            }
        },
        (Value::Array(a), Value::Number(n)) => {
            let i = n.as_u64().unwrap_or(0) as usize;
            if i < a.len() {
                match replacement {
                    Some(r) => a[i] = r,
                    None => {
                        a.remove(i);
                    }
                }
            }
        }
        _ => {}
    }
}

#[test]
fn the_vm_agrees_with_the_interpreter_on_the_samples_and_mutations_of_them() {
    const MUTATIONS: usize = 2;
    let dir = tempfile::tempdir().unwrap();
    let mut store = Store::open(&dir.path().join("s.db")).unwrap();
    gavel::samples::seed(&mut store, &mut |_, _, _| {}).unwrap();
    let seqs = store.decision_seqs(&DecisionFilter::default()).unwrap();
    let records: Vec<_> = seqs
        .iter()
        .map(|&seq| (seq, store.decision_at(seq).unwrap().unwrap().0))
        .collect();
    let mut rng = XorShift(0x9e37_79b9_7f4a_7c15);
    let (mut compared, mut moved) = (0, 0);
    let mut disagreements = Vec::new();
    for summary in store.list_versions().unwrap() {
        let version = PolicyVersion::load(&store, &summary.reference(), TIMEOUT).unwrap();
        let mut vms: std::collections::HashMap<String, FastEvaluator> = Default::default();
        for (_, rec) in &records {
            if rec.bundle().is_none_or(|(name, _)| name != summary.name) {
                continue;
            }
            let entrypoint = entrypoint_of(rec);
            let vm = vms.entry(entrypoint.clone()).or_insert_with(|| {
                let program = version
                    .policy
                    .compile_fast(&version.bundle, &entrypoint, TIMEOUT)
                    .unwrap_or_else(|why| {
                        panic!("{} compiles for the VM: {why}", summary.reference())
                    });
                FastEvaluator::new(&program).unwrap()
            });
            let now = pinned_now(rec).unwrap();
            let mut inputs = vec![rec.input().clone()];
            let mut all = Vec::new();
            paths(rec.input(), &mut Vec::new(), &mut all);
            for _ in 0..MUTATIONS {
                let mut m = rec.input().clone();
                for _ in 0..1 + rng.below(3) {
                    mutate(&mut m, &all[rng.below(all.len())], rng.below(8));
                }
                inputs.push(m);
            }
            // As replay runs them: non-deterministic builtins (pmla-kyc's
            // http.send) answer from the decision's record. A call the
            // record lacks (a mutated screening reference) is a replay
            // ERROR whatever either engine answers; both must see it.
            let cache = Arc::new(NdCache::from_event(rec.event.get("nd_builtin_cache")));
            let mut first = None;
            for input in inputs {
                let (slow, slow_nd) = replaying(Some(cache.clone()), || {
                    version.policy.evaluate_result(&entrypoint, &input, now)
                });
                let (fast, fast_nd) = replaying(Some(cache.clone()), || vm.eval(&input, now));
                compared += 1;
                if !slow_nd.missing.is_empty() || !fast_nd.missing.is_empty() {
                    if slow_nd.missing != fast_nd.missing {
                        disagreements.push(format!(
                            "{} {}: input {input}\n  interpreter missed {:?}\n  VM missed {:?}",
                            summary.reference(),
                            rec.decision_id(),
                            slow_nd.missing,
                            fast_nd.missing
                        ));
                    }
                    continue;
                }
                let answer = slow.as_ref().ok().cloned();
                match &first {
                    None => first = Some(answer),
                    Some(f) => moved += usize::from(*f != answer),
                }
                match (&slow, &fast) {
                    (Ok(a), Some(b)) if a == b => {}
                    (Err(_), None) => {}
                    _ => disagreements.push(format!(
                        "{} {}: input {input}\n  interpreter {slow:?}\n  VM {fast:?}",
                        summary.reference(),
                        rec.decision_id()
                    )),
                }
            }
        }
    }
    assert!(compared > 10_000, "only {compared} evaluations");
    assert!(
        disagreements.is_empty(),
        "{} of {compared} disagree:\n{}",
        disagreements.len(),
        disagreements[..disagreements.len().min(5)].join("\n")
    );
    // The mutations reach the policies: many change the answer.
    assert!(moved > compared / 10, "{moved} of {compared}");
}

#[test]
fn an_undefined_assignment_fails_its_body_on_the_vm_too() {
    let cases = [
        "r := 1 if {\n\ts := input.a.missing\n\tnot \"p\" in s\n}",
        "r := 1 if {\n\ts := input.a.missing\n\te := {c | some c in input.xs; not c in s}\n\tcount(e) > 0\n}",
        "t := x if {\n\tx := input.a.type\n} else := \"none\"\nr := t",
        "ts := {\"a\"}\nr := 1 if {\n\tnot input.a.type in ts\n}",
        "r := [v | some v in input.xs; w := input.a[v]] if true",
        "r := 1 if every x in input.xs { y := input.a[x]; y }",
        "r := 1 if x := input.a.missing",
    ];
    for body in cases {
        let text = format!("package p\n{body}\n");
        let b = Bundle::from_texts([("p.rego".to_string(), text.clone())]).unwrap();
        let policy = LoadedPolicy::load(&b, LoadOptions::new(false)).unwrap();
        let program = policy.compile_fast(&b, "p/r", TIMEOUT).expect("compiles");
        let mut vm = FastEvaluator::new(&program).unwrap();
        for input in [
            json!({"a": {}, "xs": ["p"]}),
            json!({"a": {"p": 1, "type": "a", "missing": 2}, "xs": ["p"]}),
        ] {
            let slow = policy.evaluate_result("p/r", &input, 1).unwrap();
            assert_eq!(vm.eval(&input, 1), Some(slow), "{text} on {input}");
        }
    }
}

/// The demo store: every sample version and decision.
fn demo() -> common::Env {
    let env = common::Env::new();
    let (code, _, err) = env.run(&["demo", "--no-tui"]);
    assert_eq!(code, 0, "{err}");
    env
}

/// What a report says about the decisions, leaving out how it got there.
fn substance(report: &Value) -> Value {
    json!({
        "verdicts": report["verdicts"],
        "transitions": report["transitions"],
        "outcomes_after": report["outcomes_after"],
        "rules": report["rules"],
        "changed_sample": report["changed_sample"],
    })
}

#[test]
fn batch_replay_with_the_vm_reports_what_the_interpreter_reports() {
    let env = demo();
    for (from, to) in [
        ("gfr-procurement@1.0.0", "gfr-procurement@2.0.0"),
        ("dpdp-consent@1.0.0", "dpdp-consent@2.0.0"),
        ("pmla-kyc@1.0.0", "pmla-kyc@1.1.0"),
        ("companies-act-sod@1.1.0", "companies-act-sod@2.0.0"),
    ] {
        let args = ["replay", "--all", "--version", from, "--against", to];
        let with_vm = env.json(&args);
        let mut slow_args = args.to_vec();
        slow_args.push("--interpreter");
        let interpreter = env.json(&slow_args);
        assert!(
            with_vm["verdicts"]["CHANGED"].as_u64().unwrap_or(0) > 0,
            "{from} -> {to}: {with_vm}"
        );
        assert_eq!(
            substance(&with_vm),
            substance(&interpreter),
            "{from} -> {to}"
        );
        assert!(
            with_vm["vm"]["checked"].as_u64().unwrap_or(0) > 0,
            "{with_vm}"
        );
        assert_eq!(with_vm["vm"]["disagreed"], 0, "{from} -> {to}");
        assert!(interpreter.get("vm").is_none(), "{interpreter}");
    }
}
