//! Rego unit tests with `opa test`'s semantics: every rule named `test_*` in
//! any package is a test, each definition run on its own; it passes only
//! when its value is defined and exactly `true`; `todo_test_*` is skipped;
//! an evaluation error is an error of that test, not of the run; a second
//! definition of a name in a package is reported as `test_x#01`; a
//! partial-object test passes only when every sub-result is `true`.

use std::collections::{BTreeSet, HashMap};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::mpsc;
use std::time::Instant;

use regex::Regex;
use regorus::Value as RegoValue;
use regorus::unstable::{Module, Ref, Rule, RuleHead};
use serde::Serialize;
use serde_json::Value;

use super::{LoadedPolicy, convert};
use crate::bundle::catalog::split_engine_message;

/// PASS / FAIL / ERROR / SKIP, as OPA reports them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, serde::Deserialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum TestStatus {
    Pass,
    Fail,
    Error,
    Skip,
}

impl TestStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            TestStatus::Pass => "PASS",
            TestStatus::Fail => "FAIL",
            TestStatus::Error => "ERROR",
            TestStatus::Skip => "SKIP",
        }
    }

    pub fn parse(s: &str) -> Option<TestStatus> {
        Some(match s {
            "PASS" => TestStatus::Pass,
            "FAIL" => TestStatus::Fail,
            "ERROR" => TestStatus::Error,
            "SKIP" => TestStatus::Skip,
            _ => return None,
        })
    }
}

/// A Rego test rule or a case from a case file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TestKind {
    Rego,
    Case,
}

/// One sub-result of a partial-object test.
#[derive(Debug, Clone, PartialEq, Serialize, serde::Deserialize)]
pub struct SubResult {
    pub key: String,
    pub pass: bool,
}

/// The outcome of one test.
#[derive(Debug, Clone, Serialize, serde::Deserialize)]
pub struct TestResult {
    pub kind: TestKind,
    /// `data.gfr.procurement_test` for Rego tests; `cases` for cases.
    pub package: String,
    /// `test_x`, `test_x#01`, or the case's name.
    pub name: String,
    pub file: String,
    /// The rule's line; for a case, its 1-based position in the file.
    pub line: u32,
    pub result: TestStatus,
    pub duration_ns: u64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// What the test's `print` calls wrote.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub output: Vec<String>,
    /// The value a failing test produced (`None` in JSON: undefined).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub value: Option<Value>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub sub_results: Vec<SubResult>,
    /// For a failing case: what was expected and what came out.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expected: Option<Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub actual: Option<Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub diff: Option<String>,
    /// Policy lines this test ran (kept only when coverage is on).
    #[serde(skip)]
    pub covered: HashMap<String, BTreeSet<u32>>,
}

impl TestResult {
    pub(crate) fn new(
        kind: TestKind,
        package: String,
        name: String,
        file: String,
        line: u32,
    ) -> TestResult {
        TestResult {
            kind,
            package,
            name,
            file,
            line,
            result: TestStatus::Pass,
            duration_ns: 0,
            error: None,
            output: Vec::new(),
            value: None,
            sub_results: Vec::new(),
            expected: None,
            actual: None,
            diff: None,
            covered: HashMap::new(),
        }
    }

    /// `data.pkg.test_x`: the name `--run` matches.
    pub fn full_name(&self) -> String {
        match self.kind {
            TestKind::Rego => format!("{}.{}", self.package, self.name),
            TestKind::Case => format!("{}#{}", self.file, self.name),
        }
    }
}

/// A discovered test rule definition.
#[derive(Clone)]
pub struct TestSpec {
    pub package: String,
    pub name: String,
    /// The rule's own name (without `#NN`), a path under the package.
    rule_name: String,
    pub file: String,
    pub line: u32,
    pub skip: bool,
    /// `test_x[k] if ...`: a partial-object test with sub-results.
    partial_object: bool,
    /// `test_x(a) if ...`: OPA reports a function named like a test as an
    /// error, as it cannot run it without arguments.
    function: bool,
    module: Ref<Module>,
    rule: Ref<Rule>,
}

impl TestSpec {
    pub fn full_name(&self) -> String {
        format!("{}.{}", self.package, self.name)
    }
}

/// Every test rule definition of the loaded modules, in file order.
pub fn discover(policy: &LoadedPolicy) -> Vec<TestSpec> {
    let mut engine = policy.engine().clone();
    let mut specs = Vec::new();
    let mut seen: HashMap<(String, String), usize> = HashMap::new();
    for module in engine.get_modules().iter() {
        // regorus's own tree: the handle `eval_rule_in_module` runs.
        let package: String = module
            .package
            .refr
            .span()
            .text()
            .chars()
            .filter(|c| !c.is_whitespace())
            .collect();
        let package = format!("data.{package}");
        let file = module.package.span.source.file().clone();
        for rule in &module.policy {
            let Rule::Spec { head, .. } = rule.as_ref() else {
                continue;
            };
            let (refr, function) = match head {
                RuleHead::Compr { refr, .. } | RuleHead::Set { refr, .. } => (refr, false),
                RuleHead::Func { refr, .. } => (refr, true),
            };
            let partial_object =
                matches!(head, RuleHead::Compr { .. }) && refr.span().text().contains('[');
            let text: String = refr
                .span()
                .text()
                .chars()
                .filter(|c| !c.is_whitespace())
                .collect();
            let rule_name = text.split('[').next().unwrap_or(&text).to_string();
            let last = rule_name.rsplit('.').next().unwrap_or(&rule_name);
            let skip = last.starts_with("todo_test_");
            if !skip && !last.starts_with("test_") {
                continue;
            }
            let n = seen
                .entry((package.clone(), rule_name.clone()))
                .or_insert(0);
            let name = if *n == 0 {
                rule_name.clone()
            } else {
                format!("{rule_name}#{:02}", *n)
            };
            *n += 1;
            specs.push(TestSpec {
                package: package.clone(),
                name,
                rule_name,
                file: file.clone(),
                line: rule.span().line,
                skip,
                partial_object,
                function,
                module: module.clone(),
                rule: rule.clone(),
            });
        }
    }
    specs
}

/// How to run a suite.
#[derive(Clone, Default)]
pub struct RunOptions {
    /// Only tests whose full name (`data.pkg.test_x`) matches.
    pub run: Option<Regex>,
    /// Record which policy lines each test ran.
    pub coverage: bool,
    /// Worker threads (0: one per core).
    pub threads: usize,
}

/// Progress of a run: tests done, tests in all.
pub type Progress<'a> = &'a (dyn Fn(usize, usize) + Sync);

/// Runs the given tests in parallel, each worker on its own engine clone.
/// `cancel` stops the run between tests. Results come back in spec order.
pub fn run_specs(
    policy: &LoadedPolicy,
    specs: &[TestSpec],
    opts: &RunOptions,
    progress: Progress,
    cancel: &AtomicBool,
) -> Vec<TestResult> {
    let total = specs.len();
    let threads = if opts.threads == 0 {
        std::thread::available_parallelism().map_or(1, |n| n.get())
    } else {
        opts.threads
    }
    .clamp(1, total.max(1));
    let next = AtomicUsize::new(0);
    let (tx, rx) = mpsc::channel::<(usize, TestResult)>();
    let mut results: Vec<Option<TestResult>> = vec![None; total];
    std::thread::scope(|scope| {
        for _ in 0..threads {
            let tx = tx.clone();
            let next = &next;
            scope.spawn(move || {
                let mut engine = policy.engine().clone();
                engine.set_enable_coverage(opts.coverage);
                loop {
                    if cancel.load(Ordering::Relaxed) {
                        break;
                    }
                    let i = next.fetch_add(1, Ordering::Relaxed);
                    let Some(spec) = specs.get(i) else { break };
                    let (r, panicked) = run_one(policy, &mut engine, spec, opts.coverage);
                    if panicked {
                        // The engine stopped half way: a fresh copy for the next test.
                        engine = policy.engine().clone();
                        engine.set_enable_coverage(opts.coverage);
                    }
                    if tx.send((i, r)).is_err() {
                        break;
                    }
                }
            });
        }
        drop(tx);
        let mut done = 0;
        for (i, r) in rx {
            results[i] = Some(r);
            done += 1;
            progress(done, total);
        }
    });
    results.into_iter().flatten().collect()
}

fn run_one(
    policy: &LoadedPolicy,
    engine: &mut regorus::Engine,
    spec: &TestSpec,
    coverage: bool,
) -> (TestResult, bool) {
    let mut r = TestResult::new(
        TestKind::Rego,
        spec.package.clone(),
        spec.name.clone(),
        spec.file.clone(),
        spec.line,
    );
    if spec.skip {
        r.result = TestStatus::Skip;
        return (r, false);
    }
    if spec.function {
        r.result = TestStatus::Error;
        r.error = Some(format!(
            "{}:{}: {}.{} is a function: a test must be a rule, not a function",
            spec.file, spec.line, spec.package, spec.rule_name
        ));
        return (r, false);
    }
    if coverage {
        engine.clear_coverage_data();
    }
    let started = Instant::now();
    // One query: time.now_ns and the other non-deterministic builtins
    // answer alike throughout it, as OPA fixes them per query.
    let (outcome, _) = super::nd_cache::live(|| {
        super::clock::with_pinned(super::clock::wall_clock_ns(), || {
            crate::panics::quietly(|| engine.eval_rule_in_module(&spec.module, &spec.rule, false))
        })
    });
    let panicked = outcome.is_err();
    let outcome = outcome.unwrap_or_else(|payload| {
        Err(anyhow::anyhow!(
            "{}:{}: the engine failed inside a builtin: {}",
            spec.file,
            spec.line,
            crate::panics::message(payload.as_ref())
        ))
    });
    r.duration_ns = u64::try_from(started.elapsed().as_nanos()).unwrap_or(u64::MAX);
    r.output = engine.take_prints().unwrap_or_default();
    if coverage && let Ok(lines) = policy.covered_lines(engine) {
        r.covered = lines
            .into_iter()
            .filter(|(f, _)| !policy.is_test_file(f))
            .collect();
    }
    match outcome {
        Err(e) => {
            r.result = TestStatus::Error;
            r.error = Some(error_text(&e.to_string()));
        }
        Ok(data) => {
            let mut value = data;
            for comp in spec
                .package
                .trim_start_matches("data.")
                .split('.')
                .chain(spec.rule_name.split('.'))
            {
                value = value[comp].clone();
            }
            judge(&mut r, &value, spec.partial_object);
        }
    }
    (r, panicked)
}

/// OPA's verdict on a test's value: `true` passes; a partial-object test
/// passes when every sub-result is `true` (none at all passes too, as in
/// OPA's runner); anything else fails.
fn judge(r: &mut TestResult, value: &RegoValue, partial_object: bool) {
    match value {
        RegoValue::Bool(true) => r.result = TestStatus::Pass,
        RegoValue::Object(fields) if partial_object => {
            r.sub_results = fields
                .iter()
                .map(|(k, v)| SubResult {
                    key: k
                        .as_string()
                        .map(|s| s.to_string())
                        .unwrap_or_else(|_| k.to_string()),
                    pass: *v == RegoValue::Bool(true),
                })
                .collect();
            r.result = if r.sub_results.iter().all(|s| s.pass) {
                TestStatus::Pass
            } else {
                TestStatus::Fail
            };
            if r.result == TestStatus::Fail {
                r.value = convert::to_json(value).ok().flatten();
            }
        }
        other => {
            r.result = TestStatus::Fail;
            r.value = convert::to_json(other).ok().flatten();
        }
    }
}

/// One line: `file:line:col: message`, or the engine's message.
fn error_text(raw: &str) -> String {
    let (location, message) = split_engine_message(raw);
    let message = if message.contains("execution exceeded") || message.contains("time limit") {
        format!("timed out: {message}")
    } else {
        message
    };
    match location {
        Some(l) => format!("{l}: {message}"),
        None => message,
    }
}

/// Filters specs by `--run`.
pub fn select(specs: Vec<TestSpec>, run: Option<&Regex>) -> Vec<TestSpec> {
    match run {
        None => specs,
        Some(re) => specs
            .into_iter()
            .filter(|s| re.is_match(&s.full_name()))
            .collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::bundle::Bundle;
    use crate::engine::LoadOptions;

    fn run(files: &[(&str, &str)]) -> Vec<(String, TestStatus)> {
        let b =
            Bundle::from_texts(files.iter().map(|(p, t)| (p.to_string(), t.to_string()))).unwrap();
        let p = LoadedPolicy::load(&b, LoadOptions::new(false)).unwrap();
        let specs = discover(&p);
        run_specs(
            &p,
            &specs,
            &RunOptions::default(),
            &|_, _| {},
            &AtomicBool::new(false),
        )
        .into_iter()
        .map(|r| (r.name, r.result))
        .collect()
    }

    #[test]
    fn opa_test_semantics() {
        let src = r#"package t

allow if input.user == "admin"

test_pass if allow with input as {"user": "admin"}
test_false if allow == false with input as {"user": "admin"}
test_undefined if allow with input as {"user": "bob"}
test_non_boolean := 7
test_error if { x := 1 / 0; x > 0 }
todo_test_later if false
test_dup if true
test_dup if false
test_obj[name] := v if {
  some name in ["a", "b"]
  v := name == "a"
}
test_obj_ok[name] := true if { some name in ["a"] }
test_obj_empty[name] := true if { some name in [] }
test_complete_object := {"a": true}
test_fn(x) if x == 1
f(x) := x
test_with_mock if f(1) == 2 with f as 2
c := 1 if true
c := 2 if true
test_conflict if c == 1
test_set contains 1 if true
"#;
        let got = run(&[("t_test.rego", src)]);
        let want: Vec<(String, TestStatus)> = [
            ("test_pass", TestStatus::Pass),
            ("test_false", TestStatus::Fail),
            ("test_undefined", TestStatus::Fail),
            ("test_non_boolean", TestStatus::Fail),
            ("test_error", TestStatus::Fail),
            ("todo_test_later", TestStatus::Skip),
            ("test_dup", TestStatus::Pass),
            ("test_dup#01", TestStatus::Fail),
            ("test_obj", TestStatus::Fail),
            ("test_obj_ok", TestStatus::Pass),
            ("test_obj_empty", TestStatus::Pass),
            ("test_complete_object", TestStatus::Fail),
            ("test_fn", TestStatus::Error),
            ("test_with_mock", TestStatus::Pass),
            ("test_conflict", TestStatus::Error),
            ("test_set", TestStatus::Fail),
        ]
        .iter()
        .map(|(n, s)| (n.to_string(), *s))
        .collect();
        assert_eq!(got, want);
    }
}
