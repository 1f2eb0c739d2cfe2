//! Case files (`cases/*.json`): an array of `{"name", "entrypoint"?,
//! "input", "data"?, "expect": {"outcome"?, "result"?}}`, each run against
//! the version and compared with what it expects.

use std::time::Instant;

use serde::Deserialize;
use serde_json::Value;

use super::testing::{TestKind, TestResult, TestStatus};
use super::{EvalRequest, LoadedPolicy, clock, resolve_entrypoint};
use crate::bundle::{Bundle, FileKind};
use crate::canonical::canonical_json;
use crate::error::{Error, Result};
use crate::store::StoredRule;

/// One case as written.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Case {
    pub name: String,
    #[serde(default)]
    pub entrypoint: Option<String>,
    pub input: Value,
    #[serde(default)]
    pub data: Option<Value>,
    pub expect: Expect,
    /// Where a case saved from a stored decision came from.
    #[serde(default)]
    pub decision_id: Option<String>,
    /// `time.now_ns` for this case (RFC 3339), when it matters.
    #[serde(default)]
    pub now: Option<String>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Expect {
    #[serde(default)]
    pub outcome: Option<String>,
    #[serde(default)]
    pub result: Option<Value>,
}

/// A case with the file and position it came from.
#[derive(Debug, Clone)]
pub struct LocatedCase {
    pub file: String,
    /// 1-based position in the file's array.
    pub index: u32,
    pub case: Case,
}

/// Reads every case of a bundle; a malformed file or case is an error that
/// names the file (and the case's position).
pub fn read_cases(bundle: &Bundle) -> Result<Vec<LocatedCase>> {
    let mut out = Vec::new();
    for file in bundle.files_of(FileKind::Cases) {
        let items: Vec<Value> = serde_json::from_str(&file.text).map_err(|e| {
            Error::input(
                format!("{}:{}:{}", file.path, e.line(), e.column()),
                format!("a case file must be a JSON array of cases: {e}"),
            )
        })?;
        for (i, item) in items.into_iter().enumerate() {
            let index = u32::try_from(i + 1).unwrap_or(u32::MAX);
            let case: Case = serde_json::from_value(item)
                .map_err(|e| Error::input(format!("{}: case {index}", file.path), e.to_string()))?;
            if case.expect.outcome.is_none() && case.expect.result.is_none() {
                return Err(Error::input(
                    format!("{}: case {index} ({})", file.path, case.name),
                    "\"expect\" needs an \"outcome\" or a \"result\"",
                ));
            }
            out.push(LocatedCase {
                file: file.path.clone(),
                index,
                case,
            });
        }
    }
    Ok(out)
}

/// Runs one case.
pub fn run_case(
    policy: &LoadedPolicy,
    rules: &[StoredRule],
    located: &LocatedCase,
    coverage: bool,
) -> TestResult {
    let case = &located.case;
    let mut r = TestResult::new(
        TestKind::Case,
        "cases".into(),
        case.name.clone(),
        located.file.clone(),
        located.index,
    );
    let started = Instant::now();
    let outcome = (|| -> Result<_> {
        let entrypoint = resolve_entrypoint(rules, case.entrypoint.as_deref())?;
        let now_ns = match &case.now {
            Some(t) => clock::parse_rfc3339_ns(t)
                .ok_or_else(|| Error::Invalid(format!("\"now\": {t} is not an RFC 3339 time")))?,
            None => clock::wall_clock_ns(),
        };
        policy.evaluate(
            &[],
            &EvalRequest {
                entrypoint: &entrypoint,
                input: &case.input,
                extra_data: case.data.as_ref(),
                now_ns,
            },
        )
    })();
    r.duration_ns = u64::try_from(started.elapsed().as_nanos()).unwrap_or(u64::MAX);
    let eval = match outcome {
        Ok(e) => e,
        Err(e) => {
            r.result = TestStatus::Error;
            r.error = Some(e.to_string());
            return r;
        }
    };
    r.output = eval.prints.clone();
    if coverage {
        r.covered = eval
            .lines_ran
            .iter()
            .map(|(f, lines)| (f.clone(), lines.iter().copied().collect()))
            .collect();
    }
    let mut problems = Vec::new();
    if let Some(want) = &case.expect.outcome
        && *want != eval.outcome
    {
        problems.push(format!("expected outcome {want}, got {}", eval.outcome));
    }
    if let Some(want) = &case.expect.result
        && !json_equal(Some(want), eval.result.as_ref())
    {
        problems.push("result differs".to_string());
        r.diff = Some(json_diff(Some(want), eval.result.as_ref()));
    }
    if !problems.is_empty() {
        r.result = TestStatus::Fail;
        r.error = Some(problems.join("; "));
        r.expected =
            Some(serde_json::to_value(ExpectView::from(&case.expect)).unwrap_or(Value::Null));
        r.actual = Some(serde_json::json!({"outcome": eval.outcome, "result": eval.result}));
    }
    r
}

#[derive(serde::Serialize)]
struct ExpectView<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    outcome: Option<&'a String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    result: Option<&'a Value>,
}

impl<'a> From<&'a Expect> for ExpectView<'a> {
    fn from(e: &'a Expect) -> Self {
        ExpectView {
            outcome: e.outcome.as_ref(),
            result: e.result.as_ref(),
        }
    }
}

/// JSON equality as Rego sees it: `1` and `1.0` are the same number.
pub fn json_equal(a: Option<&Value>, b: Option<&Value>) -> bool {
    match (a, b) {
        (None, None) => true,
        (Some(a), Some(b)) => {
            canonical_json(&normalize_numbers(a)) == canonical_json(&normalize_numbers(b))
        }
        _ => false,
    }
}

fn normalize_numbers(v: &Value) -> Value {
    match v {
        Value::Number(n) => match n.as_f64() {
            Some(f) if f.fract() == 0.0 && f.abs() < 9.0e15 && n.is_f64() => Value::from(f as i64),
            _ => v.clone(),
        },
        Value::Array(items) => Value::Array(items.iter().map(normalize_numbers).collect()),
        Value::Object(m) => Value::Object(
            m.iter()
                .map(|(k, v)| (k.clone(), normalize_numbers(v)))
                .collect(),
        ),
        other => other.clone(),
    }
}

/// A unified diff of two results as pretty JSON (`-` expected, `+` actual).
pub fn json_diff(expected: Option<&Value>, actual: Option<&Value>) -> String {
    let show = |v: Option<&Value>| match v {
        Some(v) => serde_json::to_string_pretty(&normalize_numbers(v)).unwrap_or_default() + "\n",
        None => "undefined\n".to_string(),
    };
    let (a, b) = (show(expected), show(actual));
    similar::TextDiff::from_lines(&a, &b)
        .unified_diff()
        .context_radius(3)
        .header("expected", "actual")
        .to_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn numbers_compare_as_rego_does() {
        assert!(json_equal(Some(&json!({"a": 1})), Some(&json!({"a": 1.0}))));
        assert!(json_equal(
            Some(&json!([1.5, {"b": [2]}])),
            Some(&json!([1.5, {"b": [2.0]}]))
        ));
        assert!(!json_equal(
            Some(&json!({"a": 1})),
            Some(&json!({"a": 1, "b": 2}))
        ));
        assert!(!json_equal(Some(&json!([1])), Some(&json!([1, 1]))));
        assert!(!json_equal(Some(&json!({"a": 1})), Some(&json!({"a": 2}))));
        assert!(!json_equal(None, Some(&json!(null))));
    }

    #[test]
    fn diffs_are_readable() {
        let d = json_diff(
            Some(&json!({"outcome": "BLOCK"})),
            Some(&json!({"outcome": "APPROVE"})),
        );
        assert!(d.contains("-  \"outcome\": \"BLOCK\""), "{d}");
        assert!(d.contains("+  \"outcome\": \"APPROVE\""), "{d}");
    }
}
