//! Runs OPA's own evaluation test cases (the YAML files of OPA's
//! `test/cases/testdata`) through Gavel's engine and through bare regorus,
//! judged as OPA's runner (`v1/topdown/exported_test.go`) judges them.
//!
//!     cargo run --example opa_cases -- ../shared/opa-cases \
//!         [--known tests/opa-cases-known.tsv] [--verbose] [--filter SUBSTR] [--write-known]
//!
//! Every YAML file under the directory is a file of `cases:`; files under
//! `v0/` are Rego v0, under `v1/` Rego v1. Each case runs twice:
//! - Gavel: a bundle of the case's modules (`test-0.rego`, ... as OPA's
//!   runner names them) and its data (`data.json`), catalogued as
//!   `gavel import` does, loaded with `LoadedPolicy::load`, then the query
//!   evaluated on a clone of the prepared engine;
//! - regorus as it is: `Engine::new()`, the modules, the data, the input.
//!
//! How a case is judged (as OPA's runner does):
//! - an error with no `want_error` / `want_error_code` fails the case;
//! - `want_error`: there must be an error whose text contains it;
//! - `want_error_code`: the error must carry that OPA error code. Neither
//!   engine has OPA's error codes; an error counts as carrying the code when
//!   its text contains it (as OPA's `file:line: code: message` does);
//! - `want_result`: the set of binding maps (one per result; generated `$`
//!   variables left out; values as OPA's `ast.JSON` gives them: sets as
//!   sorted arrays, non-string object keys as their JSON text; with
//!   `sort_bindings` an array value sorted) equals the wanted set, numbers
//!   compared by value;
//! - `strict_error`: builtin errors are errors, otherwise undefined.
//!
//! Each file runs in a child process of this binary (a hidden `--one`
//! mode), each case on a thread with a 64 MiB stack, panics caught: a
//! process abort (a stack overflow) or a hang fails only the case it
//! happened in, and the file's remaining cases run in a new child.
//!
//! Gavel's failures are checked against the known-differences file (TSV:
//! file, case note, cause); exit status 1 on a new failure, on a known entry
//! that now passes (or no longer exists), and on any case regorus passes and
//! Gavel fails.

use std::cmp::Ordering;
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::fmt::Write as _;
use std::io::{BufRead, BufReader, Read, Write};
use std::num::NonZeroU32;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitCode, ExitStatus, Stdio};
use std::sync::mpsc;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use clap::Parser;
use gavel::bundle::{Bundle, Catalog};
use gavel::engine::{LoadOptions, LoadedPolicy};
use regorus::utils::limits::ExecutionTimerConfig;
use serde::{Deserialize, Serialize};

/// Each engine's evaluation time limit for one case.
const CASE_TIME_LIMIT: Duration = Duration::from_secs(10);
/// A child that reports nothing for this long is killed: its case fails.
const WATCHDOG: Duration = Duration::from_secs(120);
/// The stack each case runs on.
const CASE_STACK: usize = 64 << 20;
/// Longest value text shown in a report line.
const SHOW_MAX: usize = 240;

#[derive(Parser, Debug)]
#[command(about = "Runs OPA's evaluation test cases through Gavel and regorus")]
struct Args {
    /// The directory of OPA case files (searched recursively for *.yaml / *.yml).
    dir: Option<PathBuf>,
    /// The known-differences file (file, note, cause; tab-separated).
    #[arg(long)]
    known: Option<PathBuf>,
    /// Print every case's outcome.
    #[arg(long)]
    verbose: bool,
    /// Only cases whose `file note` contains this text.
    #[arg(long)]
    filter: Option<String>,
    /// Rewrite the known file from the current Gavel failures.
    #[arg(long)]
    write_known: bool,
    /// (internal) Run jobs of one case file and report them on stdout.
    #[arg(long, hide = true)]
    one: Option<PathBuf>,
    /// (internal) With --one: `INDEX:ENGINE` jobs, comma-separated.
    #[arg(long, hide = true)]
    jobs: Option<String>,
    /// (internal) With --one: the file is Rego v0.
    #[arg(long, hide = true)]
    v0: bool,
}

fn main() -> ExitCode {
    let args = Args::parse();
    if let Some(file) = &args.one {
        return child_main(file, args.jobs.as_deref().unwrap_or(""), args.v0);
    }
    match parent_main(&args) {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => ExitCode::FAILURE,
        Err(e) => {
            eprintln!("opa_cases: {e}");
            ExitCode::from(2)
        }
    }
}

// ---------------------------------------------------------------------------
// Case files

#[derive(Deserialize)]
struct CaseFile {
    #[serde(default)]
    cases: Vec<Case>,
}

/// One case, as OPA's `cases.TestCase` reads it (fields not used here, such
/// as `env`, are ignored).
#[derive(Deserialize, Clone, Debug)]
struct Case {
    note: String,
    query: String,
    #[serde(default)]
    modules: Vec<String>,
    #[serde(default)]
    data: Option<serde_json::Value>,
    #[serde(default)]
    input: Option<serde_json::Value>,
    #[serde(default)]
    input_term: Option<String>,
    #[serde(default)]
    want_result: Option<Vec<serde_json::Map<String, serde_json::Value>>>,
    #[serde(default)]
    want_error: Option<String>,
    #[serde(default)]
    want_error_code: Option<String>,
    #[serde(default)]
    sort_bindings: bool,
    #[serde(default)]
    strict_error: bool,
}

fn read_cases(path: &Path) -> Result<Vec<Case>, String> {
    let text = std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
    // YAML to JSON first, as OPA's loader does, then to the case type.
    let json: serde_json::Value =
        yaml_serde::from_str(&text).map_err(|e| format!("{}: {e}", path.display()))?;
    let file: CaseFile =
        serde_json::from_value(json).map_err(|e| format!("{}: {e}", path.display()))?;
    Ok(file.cases)
}

/// Notes as keys: a note repeated in a file gets ` #2`, ` #3`, ...
fn note_keys(cases: &[Case]) -> Vec<String> {
    let mut seen: HashMap<&str, usize> = HashMap::new();
    cases
        .iter()
        .map(|c| {
            let n = seen.entry(c.note.as_str()).or_insert(0);
            *n += 1;
            if *n == 1 {
                c.note.clone()
            } else {
                format!("{} #{n}", c.note)
            }
        })
        .collect()
}

// ---------------------------------------------------------------------------
// Values as OPA compares them

/// An exact decimal: `0.d1d2d3... x 10^exp`, no leading or trailing zero
/// digit; zero has no digits.
#[derive(Clone, Debug, PartialEq, Eq)]
struct Dec {
    neg: bool,
    digits: Vec<u8>,
    exp: i64,
}

impl Dec {
    fn parse(text: &str) -> Option<Dec> {
        let (neg, rest) = match text.strip_prefix('-') {
            Some(r) => (true, r),
            None => (false, text.strip_prefix('+').unwrap_or(text)),
        };
        let (mantissa, exp) = match rest.find(['e', 'E']) {
            Some(i) => (&rest[..i], rest[i + 1..].parse::<i64>().ok()?),
            None => (rest, 0),
        };
        let (int, frac) = mantissa.split_once('.').unwrap_or((mantissa, ""));
        if int.is_empty() && frac.is_empty() {
            return None;
        }
        let mut digits = Vec::with_capacity(int.len() + frac.len());
        for c in int.bytes().chain(frac.bytes()) {
            if !c.is_ascii_digit() {
                return None;
            }
            digits.push(c - b'0');
        }
        let mut point = i64::try_from(int.len()).ok()? + exp;
        let lead = digits.iter().take_while(|d| **d == 0).count();
        digits.drain(..lead);
        point -= i64::try_from(lead).ok()?;
        while digits.last() == Some(&0) {
            digits.pop();
        }
        if digits.is_empty() {
            return Some(Dec {
                neg: false,
                digits,
                exp: 0,
            });
        }
        Some(Dec {
            neg,
            digits,
            exp: point,
        })
    }

    fn sign(&self) -> i8 {
        match (self.digits.is_empty(), self.neg) {
            (true, _) => 0,
            (false, true) => -1,
            (false, false) => 1,
        }
    }

    fn text(&self) -> String {
        if self.digits.is_empty() {
            return "0".into();
        }
        let ds: String = self.digits.iter().map(|d| char::from(b'0' + d)).collect();
        let n = i64::try_from(ds.len()).unwrap_or(i64::MAX);
        let body = if self.exp > 40 || self.exp < -20 {
            format!("{}.{}e{}", &ds[..1], &ds[1..], self.exp - 1).replace(".e", "e")
        } else if self.exp <= 0 {
            format!(
                "0.{}{ds}",
                "0".repeat(usize::try_from(-self.exp).unwrap_or(0))
            )
        } else if self.exp >= n {
            format!(
                "{ds}{}",
                "0".repeat(usize::try_from(self.exp - n).unwrap_or(0))
            )
        } else {
            let p = usize::try_from(self.exp).unwrap_or(0);
            format!("{}.{}", &ds[..p], &ds[p..])
        };
        if self.neg { format!("-{body}") } else { body }
    }
}

impl Ord for Dec {
    fn cmp(&self, other: &Dec) -> Ordering {
        let (a, b) = (self.sign(), other.sign());
        if a != b || a == 0 {
            return a.cmp(&b);
        }
        let magnitude = self
            .exp
            .cmp(&other.exp)
            .then_with(|| self.digits.cmp(&other.digits));
        if a < 0 {
            magnitude.reverse()
        } else {
            magnitude
        }
    }
}

impl PartialOrd for Dec {
    fn partial_cmp(&self, other: &Dec) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

/// A value in OPA's order (null < boolean < number < string < array <
/// object < set); objects are kept sorted by key, sets sorted, so the
/// derived order is OPA's `ast.Compare` (and, on JSON values,
/// `util.Compare`).
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum V {
    Null,
    Bool(bool),
    Num(Dec),
    Str(String),
    Arr(Vec<V>),
    Obj(Vec<(V, V)>),
    Set(Vec<V>),
    /// regorus's undefined, should one reach a binding.
    Undefined,
}

impl V {
    fn obj(mut pairs: Vec<(V, V)>) -> V {
        pairs.sort_by(|a, b| a.0.cmp(&b.0));
        pairs.dedup_by(|a, b| a.0 == b.0);
        V::Obj(pairs)
    }

    fn set(mut items: Vec<V>) -> V {
        items.sort();
        items.dedup();
        V::Set(items)
    }

    fn from_json(v: &serde_json::Value) -> V {
        use serde_json::Value as J;
        match v {
            J::Null => V::Null,
            J::Bool(b) => V::Bool(*b),
            J::Number(n) => num_or_text(&n.to_string()),
            J::String(s) => V::Str(s.clone()),
            J::Array(a) => V::Arr(a.iter().map(V::from_json).collect()),
            J::Object(m) => V::obj(
                m.iter()
                    .map(|(k, v)| (V::Str(k.clone()), V::from_json(v)))
                    .collect(),
            ),
        }
    }

    fn from_rego(v: &regorus::Value) -> V {
        use regorus::Value as R;
        match v {
            R::Null => V::Null,
            R::Bool(b) => V::Bool(*b),
            R::Number(n) => num_or_text(&n.format_decimal()),
            R::String(s) => V::Str(s.to_string()),
            R::Array(a) => V::Arr(a.iter().map(V::from_rego).collect()),
            R::Set(s) => V::set(s.iter().map(V::from_rego).collect()),
            R::Object(o) => V::obj(
                o.iter()
                    .map(|(k, v)| (V::from_rego(k), V::from_rego(v)))
                    .collect(),
            ),
            R::Undefined => V::Undefined,
        }
    }

    /// What OPA's `ast.JSON` makes of a value: sets become arrays (in the
    /// set's order), non-string keys their JSON text.
    fn jsonify(&self) -> V {
        match self {
            V::Arr(a) | V::Set(a) => V::Arr(a.iter().map(V::jsonify).collect()),
            V::Obj(pairs) => V::obj(
                pairs
                    .iter()
                    .map(|(k, v)| {
                        let key = match k {
                            V::Str(s) => V::Str(s.clone()),
                            other => V::Str(other.jsonify().show()),
                        };
                        (key, v.jsonify())
                    })
                    .collect(),
            ),
            other => other.clone(),
        }
    }

    /// Compact JSON-like text (sets as `{a, b}`).
    fn show(&self) -> String {
        let mut s = String::new();
        self.write(&mut s);
        s
    }

    fn write(&self, out: &mut String) {
        match self {
            V::Null => out.push_str("null"),
            V::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
            V::Num(d) => out.push_str(&d.text()),
            V::Str(s) => out.push_str(&serde_json::to_string(s).unwrap_or_default()),
            V::Arr(items) => {
                out.push('[');
                for (i, v) in items.iter().enumerate() {
                    if i > 0 {
                        out.push(',');
                    }
                    v.write(out);
                }
                out.push(']');
            }
            V::Set(items) => {
                out.push_str(if items.is_empty() { "set(" } else { "{" });
                for (i, v) in items.iter().enumerate() {
                    if i > 0 {
                        out.push(',');
                    }
                    v.write(out);
                }
                out.push_str(if items.is_empty() { ")" } else { "}" });
            }
            V::Obj(pairs) => {
                out.push('{');
                for (i, (k, v)) in pairs.iter().enumerate() {
                    if i > 0 {
                        out.push(',');
                    }
                    k.write(out);
                    out.push(':');
                    v.write(out);
                }
                out.push('}');
            }
            V::Undefined => out.push_str("<undefined>"),
        }
    }
}

fn num_or_text(text: &str) -> V {
    Dec::parse(text).map_or_else(|| V::Str(format!("<number {text}>")), V::Num)
}

/// One result: variable -> value.
type Bindings = BTreeMap<String, V>;

fn show_results(results: &BTreeSet<Bindings>) -> String {
    let items: Vec<String> = results
        .iter()
        .map(|b| {
            let fields: Vec<String> = b
                .iter()
                .map(|(k, v)| format!("{k}: {}", v.show()))
                .collect();
            format!("{{{}}}", fields.join(", "))
        })
        .collect();
    format!("[{}]", items.join(", "))
}

fn clip(s: &str, max: usize) -> String {
    let one_line = s.split_whitespace().collect::<Vec<_>>().join(" ");
    if one_line.chars().count() <= max {
        one_line
    } else {
        let mut t: String = one_line.chars().take(max).collect();
        t.push('…');
        t
    }
}

// ---------------------------------------------------------------------------
// Running one case (in the child)

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
enum Eng {
    Gavel,
    Regorus,
}

impl Eng {
    fn tag(self) -> &'static str {
        match self {
            Eng::Gavel => "g",
            Eng::Regorus => "r",
        }
    }

    fn from_tag(t: &str) -> Option<Eng> {
        match t {
            "g" => Some(Eng::Gavel),
            "r" => Some(Eng::Regorus),
            _ => None,
        }
    }
}

/// What an engine made of a case.
#[derive(Clone, Debug, Serialize, Deserialize)]
struct Outcome {
    pass: bool,
    /// What the engine gave (results or error), short.
    got: String,
    /// Why it fails, when it does.
    why: String,
}

/// An engine's answer to the query.
enum Answer {
    Results(BTreeSet<Bindings>),
    Error(String),
}

fn timer() -> ExecutionTimerConfig {
    ExecutionTimerConfig {
        limit: CASE_TIME_LIMIT,
        check_interval: NonZeroU32::new(64).unwrap_or(NonZeroU32::MIN),
    }
}

/// `input_term` is Rego term text: its value, as bare regorus reads it.
fn input_term_value(term: &str) -> Result<regorus::Value, String> {
    let mut e = regorus::Engine::new();
    let r = e
        .eval_query(term.to_string(), false)
        .map_err(|e| format!("input_term: {e}"))?;
    r.result
        .into_iter()
        .next()
        .and_then(|r| r.expressions.into_iter().next())
        .map(|e| e.value)
        .ok_or_else(|| "input_term: no value".to_string())
}

fn module_files(case: &Case) -> Vec<(String, String)> {
    case.modules
        .iter()
        .enumerate()
        .map(|(i, m)| (format!("test-{i}.rego"), m.clone()))
        .collect()
}

/// Binding maps of a query's results, as OPA's runner builds them.
fn results_of(results: regorus::QueryResults, sort_bindings: bool) -> BTreeSet<Bindings> {
    let mut out = BTreeSet::new();
    for r in results.result {
        // A result whose expression is false or undefined is no result.
        if r.expressions.is_empty()
            || r.expressions.iter().any(|e| {
                matches!(
                    e.value,
                    regorus::Value::Bool(false) | regorus::Value::Undefined
                )
            })
        {
            continue;
        }
        let mut b = Bindings::new();
        if let Ok(obj) = r.bindings.as_object() {
            for (k, v) in obj.iter() {
                let name = match k.as_string() {
                    Ok(s) => s.to_string(),
                    Err(_) => V::from_rego(k).show(),
                };
                // Generated variables (`$0`, `__local0__`...) are not the
                // query's own.
                if name.starts_with('$') || (name.starts_with("__") && name.ends_with("__")) {
                    continue;
                }
                let mut value = V::from_rego(v).jsonify();
                if sort_bindings && let V::Arr(items) = &mut value {
                    items.sort();
                }
                b.insert(name, value);
            }
        }
        out.insert(b);
    }
    out
}

fn run_gavel(case: &Case, v0: bool) -> Result<Answer, String> {
    let mut texts = module_files(case);
    if let Some(data) = &case.data {
        texts.push((
            "data.json".to_string(),
            serde_json::to_string(data).map_err(|e| e.to_string())?,
        ));
    }
    let input = match (&case.input_term, &case.input) {
        (Some(term), _) => Some(input_term_value(term)?),
        (None, Some(json)) => Some(gavel::engine::convert::to_rego(json)),
        (None, None) => None,
    };
    let bundle = Bundle::from_texts(texts).map_err(|e| e.to_string())?;
    if let Err(e) = Catalog::build(&bundle, v0) {
        return Ok(Answer::Error(e.to_string()));
    }
    let opts = LoadOptions {
        rego_v0: v0,
        timeout: CASE_TIME_LIMIT,
    };
    let mut policy = match LoadedPolicy::load(&bundle, opts) {
        Ok(p) => p,
        Err(e) => return Ok(Answer::Error(e.to_string())),
    };
    // OPA's runner: builtin errors are undefined unless the case is strict.
    policy.set_strict_builtin_errors(case.strict_error);
    let mut engine = policy.engine().clone();
    if let Some(input) = input {
        engine.set_input(input);
    }
    Ok(match engine.eval_query(case.query.clone(), false) {
        Ok(r) => Answer::Results(results_of(r, case.sort_bindings)),
        Err(e) => Answer::Error(format!("{e:#}")),
    })
}

fn run_regorus(case: &Case, v0: bool) -> Result<Answer, String> {
    let input = match (&case.input_term, &case.input) {
        (Some(term), _) => Some(input_term_value(term)?),
        (None, Some(json)) => Some(regorus::Value::from(json.clone())),
        (None, None) => None,
    };
    let mut engine = regorus::Engine::new();
    engine.set_rego_v0(v0);
    engine.set_execution_timer_config(timer());
    // OPA's runner: builtin errors are undefined unless the case is strict.
    engine.set_strict_builtin_errors(case.strict_error);
    let answer = (|| -> anyhow::Result<regorus::QueryResults> {
        for (path, text) in module_files(case) {
            engine.add_policy(path, text)?;
        }
        if let Some(data) = &case.data {
            engine.add_data(regorus::Value::from(data.clone()))?;
        }
        if let Some(input) = input {
            engine.set_input(input);
        }
        engine.eval_query(case.query.clone(), false)
    })();
    Ok(match answer {
        Ok(r) => Answer::Results(results_of(r, case.sort_bindings)),
        Err(e) => Answer::Error(format!("{e:#}")),
    })
}

fn wanted(case: &Case) -> String {
    let mut parts = Vec::new();
    if let Some(rs) = &case.want_result {
        parts.push(show_results(&want_set(rs)));
    }
    if let Some(t) = &case.want_error {
        parts.push(format!("error containing {t:?}"));
    }
    if let Some(c) = &case.want_error_code {
        parts.push(format!("error code {c}"));
    }
    if parts.is_empty() {
        "nothing (the case names no want_*)".to_string()
    } else {
        parts.join(" and ")
    }
}

fn want_set(rs: &[serde_json::Map<String, serde_json::Value>]) -> BTreeSet<Bindings> {
    rs.iter()
        .map(|m| {
            m.iter()
                .map(|(k, v)| (k.clone(), V::from_json(v)))
                .collect()
        })
        .collect()
}

/// The error text shown: regorus's `--> file:line:col ... error: message`
/// as one line.
fn error_line(raw: &str) -> String {
    let (location, message) = gavel::bundle::catalog::split_engine_message(raw);
    match location {
        Some(l) if !message.contains(&l) => format!("{l}: {message}"),
        _ => message,
    }
}

/// Judges an answer as OPA's runner does.
fn judge(case: &Case, answer: &Answer) -> Outcome {
    let got = match answer {
        Answer::Results(rs) => show_results(rs),
        Answer::Error(e) => format!("error: {}", error_line(e)),
    };
    let mut why = Vec::new();
    let error = match answer {
        Answer::Error(e) => Some(e.as_str()),
        Answer::Results(_) => None,
    };
    if let Some(text) = &case.want_error {
        match error {
            None => why.push("expected an error but got success".to_string()),
            Some(e) if !e.contains(text.as_str()) => {
                why.push(format!("the error does not contain {text:?}"));
            }
            Some(_) => {}
        }
    }
    if let Some(code) = &case.want_error_code {
        match error {
            None => why.push(format!("expected error code {code} but got success")),
            Some(e) if !e.contains(code.as_str()) => {
                why.push(format!("the error does not carry code {code}"));
            }
            Some(_) => {}
        }
    }
    if error.is_some() && case.want_error.is_none() && case.want_error_code.is_none() {
        why.push("unexpected error".to_string());
    }
    if let Some(want) = &case.want_result {
        let empty = BTreeSet::new();
        let rs = match answer {
            Answer::Results(rs) => rs,
            Answer::Error(_) => &empty,
        };
        if *rs != want_set(want) {
            why.push("unexpected query result".to_string());
        }
    }
    if case.want_result.is_none() && case.want_error.is_none() && case.want_error_code.is_none() {
        why.push("expected one of want_result, want_error_code, want_error".to_string());
    }
    Outcome {
        pass: why.is_empty(),
        got,
        why: why.join("; "),
    }
}

fn panic_text(p: &(dyn std::any::Any + Send)) -> String {
    p.downcast_ref::<&str>()
        .map(|s| s.to_string())
        .or_else(|| p.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "(no message)".to_string())
}

/// Runs one engine on one case, on a big stack, a panic caught.
fn run_job(case: &Case, v0: bool, eng: Eng) -> Outcome {
    let case = case.clone();
    let handle = std::thread::Builder::new()
        .name(format!("case-{}", eng.tag()))
        .stack_size(CASE_STACK)
        .spawn(move || {
            let answer = gavel::panics::quietly(|| match eng {
                Eng::Gavel => run_gavel(&case, v0),
                Eng::Regorus => run_regorus(&case, v0),
            });
            match answer {
                Ok(Ok(a)) => judge(&case, &a),
                Ok(Err(setup)) => Outcome {
                    pass: false,
                    got: format!("not run: {setup}"),
                    why: "the case could not be set up".into(),
                },
                Err(p) => Outcome {
                    pass: false,
                    got: format!("panic: {}", panic_text(p.as_ref())),
                    why: "the engine panicked".into(),
                },
            }
        });
    match handle.map(|h| h.join()) {
        Ok(Ok(o)) => o,
        Ok(Err(p)) => Outcome {
            pass: false,
            got: format!("panic: {}", panic_text(p.as_ref())),
            why: "the engine panicked".into(),
        },
        Err(e) => Outcome {
            pass: false,
            got: format!("not run: no thread: {e}"),
            why: "the case could not be set up".into(),
        },
    }
}

/// `--one FILE --jobs 0:g,0:r,...`: runs the jobs in order, printing
/// `START i e` before and `DONE i e {json}` after each.
fn child_main(file: &Path, jobs: &str, v0: bool) -> ExitCode {
    let cases = match read_cases(file) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("{e}");
            return ExitCode::from(2);
        }
    };
    let stdout = std::io::stdout();
    for job in jobs.split(',').filter(|j| !j.is_empty()) {
        let Some((i, e)) = job.split_once(':') else {
            continue;
        };
        let (Ok(i), Some(eng)) = (i.parse::<usize>(), Eng::from_tag(e)) else {
            continue;
        };
        let Some(case) = cases.get(i) else { continue };
        {
            let mut out = stdout.lock();
            let _ = writeln!(out, "START {i} {e}");
            let _ = out.flush();
        }
        let outcome = run_job(case, v0, eng);
        let json = serde_json::to_string(&outcome).unwrap_or_else(|_| "{}".into());
        let mut out = stdout.lock();
        let _ = writeln!(out, "DONE {i} {e} {json}");
        let _ = out.flush();
    }
    ExitCode::SUCCESS
}

// ---------------------------------------------------------------------------
// The parent: files in child processes, the report, the known file

struct FileRun {
    /// Relative to the case directory, `/`-separated.
    rel: String,
    folder: String,
    v0: bool,
    cases: Vec<Case>,
    keys: Vec<String>,
    /// The cases run (the filter's).
    selected: Vec<usize>,
    outcomes: HashMap<(usize, Eng), Outcome>,
    /// A file that could not be read.
    error: Option<String>,
}

fn case_files(dir: &Path) -> Result<Vec<PathBuf>, String> {
    let mut out = Vec::new();
    for entry in walkdir::WalkDir::new(dir)
        .follow_links(true)
        .sort_by_file_name()
    {
        let entry = entry.map_err(|e| e.to_string())?;
        let name = entry.file_name().to_string_lossy();
        if entry.file_type().is_file() && (name.ends_with(".yaml") || name.ends_with(".yml")) {
            out.push(entry.into_path());
        }
    }
    Ok(out)
}

fn rel_path(dir: &Path, file: &Path) -> String {
    file.strip_prefix(dir)
        .unwrap_or(file)
        .components()
        .map(|c| c.as_os_str().to_string_lossy().into_owned())
        .collect::<Vec<_>>()
        .join("/")
}

/// Whether a file is Rego v0: by its top folder (`v0/`, `v1/`), else by
/// the path in OPA's repository that SOURCES.tsv gives (OPA keeps v1 cases
/// under `testdata/v1/`, v0 cases under `testdata/v0/` or, before the
/// split, directly under `testdata/`).
fn is_v0(rel: &str, sources: &HashMap<String, String>) -> Result<bool, String> {
    match rel.split('/').next() {
        Some("v0") => return Ok(true),
        Some("v1") => return Ok(false),
        _ => {}
    }
    match sources.get(rel) {
        Some(src) => Ok(!src.contains("testdata/v1/")),
        None => Err(format!(
            "{rel}: neither under v0/ nor v1/, and not in SOURCES.tsv: which Rego version?"
        )),
    }
}

fn read_sources(dir: &Path) -> HashMap<String, String> {
    std::fs::read_to_string(dir.join("SOURCES.tsv"))
        .unwrap_or_default()
        .lines()
        .filter_map(|l| {
            let mut cols = l.split('\t');
            Some((cols.next()?.to_string(), cols.next()?.to_string()))
        })
        .collect()
}

/// Runs a file's jobs in child processes until every job has an outcome.
fn run_file(exe: &Path, dir: &Path, run: &mut FileRun) {
    let mut pending: Vec<(usize, Eng)> = run
        .selected
        .iter()
        .flat_map(|&i| [(i, Eng::Gavel), (i, Eng::Regorus)])
        .collect();
    while !pending.is_empty() {
        let jobs: Vec<String> = pending
            .iter()
            .map(|(i, e)| format!("{i}:{}", e.tag()))
            .collect();
        let mut cmd = Command::new(exe);
        cmd.arg("--one")
            .arg(dir.join(&run.rel))
            .arg("--jobs")
            .arg(jobs.join(","))
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        if run.v0 {
            cmd.arg("--v0");
        }
        let mut child = match cmd.spawn() {
            Ok(c) => c,
            Err(e) => {
                for job in pending.drain(..) {
                    run.outcomes
                        .insert(job, not_run(&format!("cannot start child: {e}")));
                }
                return;
            }
        };
        let (lines, stderr) = watch(&mut child);
        let mut current: Option<(usize, Eng)> = None;
        let mut killed = false;
        loop {
            match lines.recv_timeout(WATCHDOG) {
                Ok(line) => {
                    let mut parts = line.splitn(4, ' ');
                    let (kind, i, e) = (parts.next(), parts.next(), parts.next());
                    let (Some(i), Some(e)) = (
                        i.and_then(|i| i.parse::<usize>().ok()),
                        e.and_then(Eng::from_tag),
                    ) else {
                        continue;
                    };
                    match kind {
                        Some("START") => current = Some((i, e)),
                        Some("DONE") => {
                            let outcome = parts
                                .next()
                                .and_then(|j| serde_json::from_str::<Outcome>(j).ok())
                                .unwrap_or_else(|| not_run("unreadable report from child"));
                            run.outcomes.insert((i, e), outcome);
                            pending.retain(|j| *j != (i, e));
                            current = None;
                        }
                        _ => {}
                    }
                }
                Err(mpsc::RecvTimeoutError::Timeout) => {
                    let _ = child.kill();
                    killed = true;
                    break;
                }
                Err(mpsc::RecvTimeoutError::Disconnected) => break,
            }
        }
        let status = child.wait();
        let err_text = stderr.lock().map(|s| s.clone()).unwrap_or_default();
        if pending.is_empty() {
            break;
        }
        // The child died (or hung) in `current`, or before any job.
        let reason = if killed {
            format!("killed: no answer in {} s", WATCHDOG.as_secs())
        } else {
            describe_exit(status.ok(), &err_text)
        };
        let culprit = current.unwrap_or(pending[0]);
        run.outcomes.insert(
            culprit,
            Outcome {
                pass: false,
                got: format!("process aborted: {reason}"),
                why: "the process running the case aborted".into(),
            },
        );
        pending.retain(|j| *j != culprit);
    }
}

fn not_run(why: &str) -> Outcome {
    Outcome {
        pass: false,
        got: format!("not run: {why}"),
        why: why.to_string(),
    }
}

/// Reads a child's stdout lines into a channel and its stderr into a
/// buffer (the end of which names an abort's cause).
fn watch(child: &mut Child) -> (mpsc::Receiver<String>, Arc<Mutex<String>>) {
    let (tx, rx) = mpsc::channel();
    if let Some(out) = child.stdout.take() {
        std::thread::spawn(move || {
            for line in BufReader::new(out).lines() {
                let Ok(line) = line else { break };
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
    }
    let err = Arc::new(Mutex::new(String::new()));
    if let Some(mut e) = child.stderr.take() {
        let err = Arc::clone(&err);
        std::thread::spawn(move || {
            let mut buf = String::new();
            let _ = e.read_to_string(&mut buf);
            if let Ok(mut s) = err.lock() {
                *s = buf;
            }
        });
    }
    (rx, err)
}

fn describe_exit(status: Option<ExitStatus>, stderr: &str) -> String {
    let last = stderr
        .lines()
        .rev()
        .find(|l| !l.trim().is_empty())
        .map(|l| clip(l, 120))
        .unwrap_or_default();
    let how = match status {
        None => "unknown exit".to_string(),
        Some(s) => {
            #[cfg(unix)]
            {
                use std::os::unix::process::ExitStatusExt;
                match s.signal() {
                    Some(6) => "SIGABRT".to_string(),
                    Some(9) => "SIGKILL".to_string(),
                    Some(11) => "SIGSEGV".to_string(),
                    Some(n) => format!("signal {n}"),
                    None => format!("exit status {}", s.code().unwrap_or(-1)),
                }
            }
            #[cfg(not(unix))]
            {
                format!("{s}")
            }
        }
    };
    if last.is_empty() {
        how
    } else {
        format!("{how} ({last})")
    }
}

/// Known differences: (file, note) -> cause, in file order.
fn read_known(path: &Path) -> Result<Vec<(String, String, String)>, String> {
    let text = match std::fs::read_to_string(path) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(format!("{}: {e}", path.display())),
    };
    let mut out = Vec::new();
    for (n, line) in text.lines().enumerate() {
        if line.trim().is_empty() || line.starts_with('#') {
            continue;
        }
        let cols: Vec<&str> = line.splitn(3, '\t').collect();
        if cols.len() < 2 {
            return Err(format!(
                "{}:{}: expected file<TAB>note<TAB>cause",
                path.display(),
                n + 1
            ));
        }
        out.push((
            cols[0].to_string(),
            cols[1].to_string(),
            cols.get(2).unwrap_or(&"").to_string(),
        ));
    }
    Ok(out)
}

const KNOWN_HEADER: &str = "\
# Known differences between OPA and Gavel on OPA's evaluation test cases
# (../shared/opa-cases), checked by `cargo run --example opa_cases`.
# One Gavel failure a line: file (relative to the case directory), the
# case's note (` #N` for the N-th case of that note in the file), cause.
# Regenerate with --write-known (causes already written are kept).
";

fn write_known(path: &Path, entries: &[(String, String, String)]) -> Result<(), String> {
    let mut text = KNOWN_HEADER.to_string();
    for (f, n, c) in entries {
        let _ = writeln!(text, "{f}\t{n}\t{c}");
    }
    std::fs::write(path, text).map_err(|e| format!("{}: {e}", path.display()))
}

#[derive(Default, Clone, Copy)]
struct Tally {
    total: usize,
    gavel: usize,
    regorus: usize,
}

impl Tally {
    fn add(&mut self, g: bool, r: bool) {
        self.total += 1;
        self.gavel += usize::from(g);
        self.regorus += usize::from(r);
    }
}

fn parent_main(args: &Args) -> Result<bool, String> {
    let dir = args.dir.as_deref().ok_or(
        "usage: opa_cases DIR [--known FILE] [--verbose] [--filter SUBSTR] [--write-known]",
    )?;
    if !dir.is_dir() {
        return Err(format!("{}: not a directory", dir.display()));
    }
    let known_path = args
        .known
        .clone()
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/opa-cases-known.tsv"));
    let known = read_known(&known_path)?;
    let sources = read_sources(dir);
    let exe = std::env::current_exe().map_err(|e| format!("this program's path: {e}"))?;

    let mut runs = Vec::new();
    for file in case_files(dir)? {
        let rel = rel_path(dir, &file);
        let folder = rel.rsplit_once('/').map_or(".", |(d, _)| d).to_string();
        let v0 = is_v0(&rel, &sources)?;
        let (cases, error) = match read_cases(&file) {
            Ok(c) => (c, None),
            Err(e) => (Vec::new(), Some(e)),
        };
        let keys = note_keys(&cases);
        let selected = (0..cases.len())
            .filter(|&i| {
                args.filter
                    .as_deref()
                    .is_none_or(|f| format!("{rel} {}", keys[i]).contains(f))
            })
            .collect();
        runs.push(FileRun {
            rel,
            folder,
            v0,
            cases,
            keys,
            selected,
            outcomes: HashMap::new(),
            error,
        });
    }
    if let Some(bad) = runs.iter().find_map(|r| r.error.as_ref()) {
        return Err(bad.clone());
    }

    // Files in child processes, as many at once as there are cores.
    let workers = std::thread::available_parallelism().map_or(2, |n| n.get());
    let queue = Mutex::new(runs.iter_mut().filter(|r| !r.selected.is_empty()));
    std::thread::scope(|s| {
        for _ in 0..workers {
            s.spawn(|| {
                loop {
                    let next = queue.lock().ok().and_then(|mut q| q.next());
                    let Some(run) = next else { break };
                    run_file(&exe, dir, run);
                }
            });
        }
    });

    // Per folder and totals.
    let mut folders: BTreeMap<(bool, String), Tally> = BTreeMap::new();
    let mut totals: BTreeMap<bool, Tally> = BTreeMap::new();
    let mut gavel_failures: Vec<(String, String, &Case, &Outcome)> = Vec::new();
    let mut regressions = Vec::new();
    let mut ran: BTreeSet<(String, String)> = BTreeSet::new();
    for run in &runs {
        for &i in &run.selected {
            let g = &run.outcomes[&(i, Eng::Gavel)];
            let r = &run.outcomes[&(i, Eng::Regorus)];
            let key = (run.rel.clone(), run.keys[i].clone());
            folders
                .entry((!run.v0, run.folder.clone()))
                .or_default()
                .add(g.pass, r.pass);
            totals.entry(!run.v0).or_default().add(g.pass, r.pass);
            ran.insert(key.clone());
            if args.verbose {
                println!(
                    "{}  {} :: {}\n    want:    {}\n    gavel:   {} {}\n    regorus: {} {}",
                    if g.pass { "PASS" } else { "FAIL" },
                    run.rel,
                    run.keys[i],
                    clip(&wanted(&run.cases[i]), SHOW_MAX),
                    verdict(g),
                    clip(&g.got, SHOW_MAX),
                    verdict(r),
                    clip(&r.got, SHOW_MAX),
                );
            }
            if !g.pass {
                gavel_failures.push((key.0.clone(), key.1.clone(), &run.cases[i], g));
                if r.pass {
                    regressions.push(key);
                }
            }
        }
    }
    println!("{:<34} {:>13} {:>13}", "folder", "Gavel", "regorus");
    for ((v1, folder), t) in &folders {
        let _ = v1;
        println!(
            "{:<34} {:>13} {:>13}",
            folder,
            format!("{}/{}", t.gavel, t.total),
            format!("{}/{}", t.regorus, t.total)
        );
    }
    let mut all = Tally::default();
    for (v1, t) in &totals {
        println!(
            "{:<34} {:>13} {:>13}",
            format!("total Rego {}", if *v1 { "v1" } else { "v0" }),
            format!("{}/{}", t.gavel, t.total),
            format!("{}/{}", t.regorus, t.total)
        );
        all.total += t.total;
        all.gavel += t.gavel;
        all.regorus += t.regorus;
    }
    println!(
        "{:<34} {:>13} {:>13}",
        "total",
        format!("{}/{}", all.gavel, all.total),
        format!("{}/{}", all.regorus, all.total)
    );

    // Against the known file.
    let known_keys: BTreeSet<(String, String)> = known
        .iter()
        .map(|(f, n, _)| (f.clone(), n.clone()))
        .collect();
    let failing: BTreeSet<(String, String)> = gavel_failures
        .iter()
        .map(|(f, n, _, _)| (f.clone(), n.clone()))
        .collect();
    let all_cases: BTreeSet<(String, String)> = runs
        .iter()
        .flat_map(|r| r.keys.iter().map(|k| (r.rel.clone(), k.clone())))
        .collect();
    let mut ok = true;

    if args.write_known {
        let causes: HashMap<(String, String), String> = known
            .iter()
            .map(|(f, n, c)| ((f.clone(), n.clone()), c.clone()))
            .collect();
        // Entries for cases not run this time (--filter) are kept.
        let mut entries: Vec<(String, String, String)> = known
            .iter()
            .filter(|(f, n, _)| {
                let k = (f.clone(), n.clone());
                !ran.contains(&k) && all_cases.contains(&k)
            })
            .cloned()
            .collect();
        for (f, n, _, _) in &gavel_failures {
            let cause = causes
                .get(&(f.clone(), n.clone()))
                .filter(|c| !c.trim().is_empty())
                .cloned()
                .unwrap_or_else(|| "TODO: cause".to_string());
            entries.push((f.clone(), n.clone(), cause));
        }
        entries.sort();
        write_known(&known_path, &entries)?;
        println!(
            "wrote {} ({} known differences)",
            known_path.display(),
            entries.len()
        );
    } else {
        let new: Vec<_> = gavel_failures
            .iter()
            .filter(|(f, n, _, _)| !known_keys.contains(&(f.clone(), n.clone())))
            .collect();
        let now_passing: Vec<_> = known
            .iter()
            .filter(|(f, n, _)| {
                let k = (f.clone(), n.clone());
                ran.contains(&k) && !failing.contains(&k)
            })
            .collect();
        let missing: Vec<_> = known
            .iter()
            .filter(|(f, n, _)| !all_cases.contains(&(f.clone(), n.clone())))
            .collect();
        if new.is_empty() && now_passing.is_empty() && missing.is_empty() {
            println!("no new differences");
        }
        if !new.is_empty() {
            ok = false;
            println!(
                "\n{} new Gavel failure(s) (not in {}):",
                new.len(),
                known_path.display()
            );
            for (f, n, case, g) in &new {
                println!("  {f} :: {n}");
                println!("    want:  {}", clip(&wanted(case), SHOW_MAX));
                println!("    gavel: {}", clip(&g.got, SHOW_MAX));
                println!("    why:   {}", clip(&g.why, SHOW_MAX));
            }
        }
        if !now_passing.is_empty() {
            ok = false;
            println!("\nnow passing, remove from the known file:");
            for (f, n, _) in &now_passing {
                println!("  {f}\t{n}");
            }
        }
        if !missing.is_empty() {
            ok = false;
            println!("\nno such case, remove from the known file:");
            for (f, n, _) in &missing {
                println!("  {f}\t{n}");
            }
        }
    }
    if !regressions.is_empty() {
        ok = false;
        println!("\nregression against regorus (regorus passes, Gavel fails):");
        for (f, n) in &regressions {
            let (_, _, _, g) = gavel_failures
                .iter()
                .find(|(gf, gn, _, _)| gf == f && gn == n)
                .expect("a regression is a Gavel failure");
            println!("  {f} :: {n}\n    gavel: {}", clip(&g.got, SHOW_MAX));
        }
    }
    // The closing line, as CI reads it: Gavel's passes, its failures not
    // in the known file, and (as skipped) those that are.
    let listed = failing.intersection(&known_keys).count();
    println!("\n(skipped: Gavel failures listed as known differences)");
    println!(
        "opa-cases: {} passed, {} failed, {} skipped",
        all.gavel,
        failing.len() - listed,
        listed
    );
    Ok(ok)
}

fn verdict(o: &Outcome) -> &'static str {
    if o.pass { "PASS" } else { "FAIL" }
}
