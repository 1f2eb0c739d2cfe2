//! One decision: an entrypoint evaluated on one input under one loaded
//! version, with its outcome, the outcome of every cited rule (the "why was
//! this denied" answer) and the lines that ran.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::time::Instant;

use regorus::Value as RegoValue;
use serde::Serialize;
use serde_json::Value;

use super::outcome::outcome_of;
use super::{LoadedPolicy, clock, convert};
use crate::bundle::Citation;
use crate::error::{Error, Result};
use crate::store::StoredRule;

/// Whether one cited rule produced a value for this input.
#[derive(Debug, Clone, PartialEq, Serialize, serde::Deserialize)]
pub struct RuleOutcome {
    pub package: String,
    pub rule: String,
    pub file: String,
    pub line: u32,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub citations: Vec<Citation>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub severity: Option<String>,
    pub fired: bool,
}

/// The result of one evaluation.
#[derive(Debug, Clone, Serialize)]
pub struct Evaluation {
    /// `gfr/procurement/decision`.
    pub entrypoint: String,
    /// `None` when the entrypoint was undefined for this input.
    pub result: Option<Value>,
    pub outcome: String,
    pub rule_outcomes: Vec<RuleOutcome>,
    /// Policy lines that ran, by file (test files left out).
    pub lines_ran: BTreeMap<String, Vec<u32>>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub prints: Vec<String>,
    /// What `time.now_ns` returned.
    pub now_ns: i64,
    pub duration_ns: u64,
    /// The non-deterministic builtins' answers, as OPA records them.
    #[serde(skip)]
    pub nd_calls: super::nd_cache::NdCache,
}

/// Picks the entrypoint: the one named (as `a/b/c`, `a.b.c` or `data.a.b.c`),
/// else the only rule marked `entrypoint: true`.
pub fn resolve_entrypoint(rules: &[StoredRule], requested: Option<&str>) -> Result<String> {
    let marked: BTreeSet<String> = rules
        .iter()
        .filter(|r| r.entrypoint)
        .map(StoredRule::path)
        .collect();
    if let Some(req) = requested {
        let path = req
            .trim_start_matches("data.")
            .trim_start_matches("data/")
            .replace('.', "/");
        let path = path.trim_matches('/').to_string();
        if path.is_empty() {
            return Err(Error::Invalid(format!("'{req}' is not an entrypoint path")));
        }
        if !rules
            .iter()
            .any(|r| r.path() == path || path.starts_with(&format!("{}/", r.path())))
        {
            return Err(Error::NotFound(format!(
                "no rule {path} in this version{}",
                listing(" (entrypoints: ", &marked, ")")
            )));
        }
        return Ok(path);
    }
    match marked.len() {
        1 => Ok(marked.into_iter().next().unwrap_or_default()),
        0 => Err(Error::Invalid(
            "no rule is marked `entrypoint: true` in its METADATA: name the entrypoint, e.g. pkg/rule".into(),
        )),
        _ => Err(Error::Invalid(format!(
            "several entrypoints: name one of {}",
            marked.into_iter().collect::<Vec<_>>().join(", ")
        ))),
    }
}

fn listing(prefix: &str, items: &BTreeSet<String>, suffix: &str) -> String {
    if items.is_empty() {
        String::new()
    } else {
        format!(
            "{prefix}{}{suffix}",
            items.iter().cloned().collect::<Vec<_>>().join(", ")
        )
    }
}

/// What to evaluate.
pub struct EvalRequest<'a> {
    pub entrypoint: &'a str,
    pub input: &'a Value,
    /// Extra data merged over the version's data (`--data`).
    pub extra_data: Option<&'a Value>,
    /// What `time.now_ns` returns.
    pub now_ns: i64,
}

impl LoadedPolicy {
    /// Evaluates one entrypoint on one input. `rules` is the version's rule
    /// catalog: its cited rules in the entrypoint's package and the packages
    /// that package imports get a fired / not-fired outcome.
    pub fn evaluate(&self, rules: &[StoredRule], req: &EvalRequest) -> Result<Evaluation> {
        // One session for the result and the rule outcomes: a builtin such
        // as rand.intn answers them alike (inside a replay, the replay's).
        let (evaluation, nd) = super::nd_cache::live(|| self.evaluate_in_session(rules, req));
        evaluation.map(|mut e| {
            e.nd_calls = nd.recorded;
            e
        })
    }

    fn evaluate_in_session(&self, rules: &[StoredRule], req: &EvalRequest) -> Result<Evaluation> {
        let mut engine = self.engine().clone();
        if let Some(extra) = req.extra_data {
            engine
                .add_data(RegoValue::from(extra.clone()))
                .map_err(|e| Error::Invalid(format!("--data: {e}")))?;
        }
        engine.set_input(convert::to_rego(req.input));
        engine.set_enable_coverage(true);
        let query = format!("data.{}", req.entrypoint.replace('/', "."));
        let started = Instant::now();
        let value = crate::panics::engine_call(|| {
            clock::with_pinned(req.now_ns, || engine.eval_rule(query.clone()))
        })
        .map_err(|e| self.evaluation_error(req.entrypoint, &e))?;
        let duration_ns = u64::try_from(started.elapsed().as_nanos()).unwrap_or(u64::MAX);
        let result = convert::to_json(&value)?;
        let covered = self.covered_lines(&engine)?;
        let rule_outcomes = self.rule_outcomes(&mut engine, rules, req, &covered)?;
        let prints = engine.take_prints().unwrap_or_default();
        Ok(Evaluation {
            entrypoint: req.entrypoint.to_string(),
            outcome: outcome_of(result.as_ref()),
            result,
            rule_outcomes,
            lines_ran: covered
                .into_iter()
                .filter(|(file, _)| !self.is_test_file(file))
                .map(|(file, lines)| (file, lines.into_iter().collect()))
                .collect(),
            prints,
            now_ns: req.now_ns,
            duration_ns,
            nd_calls: Default::default(),
        })
    }

    /// Only the result (`None`: undefined), without coverage or rule
    /// outcomes: the fast path of batch replay.
    pub fn evaluate_result(
        &self,
        entrypoint: &str,
        input: &Value,
        now_ns: i64,
    ) -> Result<Option<Value>> {
        self.evaluate_result_value(entrypoint, &convert::to_rego(input), now_ns)
    }

    /// `evaluate_result` on an input that is already the engine's value.
    pub fn evaluate_result_value(
        &self,
        entrypoint: &str,
        input: &regorus::Value,
        now_ns: i64,
    ) -> Result<Option<Value>> {
        let mut engine = self.engine().clone();
        engine.set_input(input.clone());
        let query = format!("data.{}", entrypoint.replace('/', "."));
        let value =
            crate::panics::engine_call(|| clock::with_pinned(now_ns, || engine.eval_rule(query)))
                .map_err(|e| self.evaluation_error(entrypoint, &e))?;
        convert::to_json(&value)
    }

    fn evaluation_error(&self, entrypoint: &str, raw: &str) -> Error {
        let (location, message) = crate::bundle::catalog::split_engine_message(raw);
        Error::input(
            location.unwrap_or_else(|| entrypoint.to_string()),
            match time_limit_of(&message) {
                Some(limit) => format!(
                    "evaluation failed: it reached its time limit of {limit} (raise it with --timeout)"
                ),
                None => format!("evaluation failed: {message}"),
            },
        )
    }

    /// Covered lines per file from the engine's coverage since it was cleared.
    pub(crate) fn covered_lines(
        &self,
        engine: &regorus::Engine,
    ) -> Result<HashMap<String, BTreeSet<u32>>> {
        let report = engine
            .get_coverage_report()
            .map_err(|e| Error::Engine(format!("coverage: {e}")))?;
        Ok(report
            .files
            .into_iter()
            .filter(|f| !f.covered.is_empty())
            .map(|f| (f.path, f.covered))
            .collect())
    }

    fn rule_outcomes(
        &self,
        engine: &mut regorus::Engine,
        rules: &[StoredRule],
        req: &EvalRequest,
        covered: &HashMap<String, BTreeSet<u32>>,
    ) -> Result<Vec<RuleOutcome>> {
        let package = req
            .entrypoint
            .rsplit_once('/')
            .map_or(String::new(), |(p, _)| p.replace('/', "."));
        let packages = self.package_and_imports(&package);
        let cited: Vec<&StoredRule> = rules
            .iter()
            .filter(|r| !r.citations.is_empty() && packages.contains(&r.package))
            .collect();
        // A rule whose body starts below its head reports its head line as
        // covered only when it produced a value. A one-line rule's head
        // shares its line with its body, so its value is asked for: all of
        // them in one query (one evaluation pass, not one per rule).
        let by_coverage = |r: &StoredRule| {
            r.line_end > r.line_start
                && r.value.is_none()
                && r.kind != crate::bundle::RuleKind::Default
        };
        // A function has no value without arguments: never asked, not fired.
        let mut asked: Vec<String> = cited
            .iter()
            .filter(|r| !by_coverage(r) && r.kind != crate::bundle::RuleKind::Function)
            .map(|r| r.path())
            .collect();
        asked.sort();
        asked.dedup();
        let by_name = self.values_by_name(engine, &asked, req.now_ns);
        let mut out = Vec::new();
        for rule in cited {
            let fired = if by_coverage(rule) {
                covered
                    .get(&rule.file)
                    .is_some_and(|l| l.contains(&rule.line_start))
            } else {
                by_name.get(&rule.path()).copied().unwrap_or(false)
            };
            out.push(RuleOutcome {
                package: rule.package.clone(),
                rule: rule.name.clone(),
                file: rule.file.clone(),
                line: rule.line_start,
                title: rule.title.clone(),
                citations: rule.citations.clone(),
                severity: rule.severity.clone(),
                fired,
            });
        }
        Ok(out)
    }
}

impl LoadedPolicy {
    /// Whether each rule (`a/b/c`) produces a value for the engine's input:
    /// one query, `[[x | x := data.a.b.c], ...]`, so the rules' shared
    /// dependencies are evaluated once. A function (no value without
    /// arguments) or a query that fails answers `false`, as a failed
    /// evaluation by name did; when the batch fails, each rule is asked on
    /// its own.
    fn values_by_name(
        &self,
        engine: &mut regorus::Engine,
        paths: &[String],
        now_ns: i64,
    ) -> HashMap<String, bool> {
        let mut out = HashMap::new();
        if paths.is_empty() {
            return out;
        }
        let refs: Vec<String> = paths
            .iter()
            .map(|p| format!("[x | x := data.{}]", p.replace('/', ".")))
            .collect();
        // One element a line: the engine refuses query lines over 1,024 columns.
        let query = format!("[\n{}\n]", refs.join(",\n"));
        let batch = clock::with_pinned(now_ns, || engine.eval_query(query, false))
            .ok()
            .and_then(|r| r.result.into_iter().next())
            .and_then(|r| r.expressions.into_iter().next())
            .map(|e| e.value);
        if let Some(RegoValue::Array(items)) = batch
            && items.len() == paths.len()
        {
            for (path, item) in paths.iter().zip(items.iter()) {
                let fired = match item {
                    RegoValue::Array(vals) => vals.first().is_some_and(produced_a_value),
                    _ => false,
                };
                out.insert(path.clone(), fired);
            }
            return out;
        }
        for path in paths {
            let f = clock::with_pinned(now_ns, || {
                engine.eval_rule(format!("data.{}", path.replace('/', ".")))
            })
            .map(|v| produced_a_value(&v))
            .unwrap_or(false);
            out.insert(path.clone(), f);
        }
        out
    }
}

/// The limit named by regorus's "execution exceeded time limit (elapsed=…ns,
/// limit=…ns)", in seconds as a user writes `--timeout`.
fn time_limit_of(message: &str) -> Option<String> {
    if !message.contains("exceeded time limit") {
        return None;
    }
    let ns: u64 = message
        .split("limit=")
        .nth(1)?
        .trim_start()
        .split(|c: char| !c.is_ascii_digit())
        .next()?
        .parse()
        .ok()?;
    let secs = ns as f64 / 1e9;
    Some(if secs.fract() == 0.0 {
        format!("{secs:.0} s")
    } else {
        format!("{secs} s")
    })
}

/// A rule produced a value: defined, and not `false` or an empty set.
fn produced_a_value(v: &RegoValue) -> bool {
    match v {
        RegoValue::Undefined | RegoValue::Bool(false) => false,
        RegoValue::Set(s) => !s.is_empty(),
        RegoValue::Object(o) => !o.is_empty(),
        _ => true,
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_time_limit_reads_in_seconds() {
        let m = "execution exceeded time limit (elapsed=1000025403ns, limit=1000000000ns)";
        assert_eq!(super::time_limit_of(m).as_deref(), Some("1 s"));
        let m = "execution exceeded time limit (elapsed=9ns, limit=2500000000ns)";
        assert_eq!(super::time_limit_of(m).as_deref(), Some("2.5 s"));
        assert_eq!(super::time_limit_of("undefined function f"), None);
    }
}
