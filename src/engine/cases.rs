//! Case files (`cases/*.json`): an array of `{"name", "entrypoint"?,
//! "input", "data"?, "expect": {"outcome"?, "result"?}}`, each run against
//! the version and compared with what it expects.

use std::time::Instant;

use serde::Deserialize;
use serde_json::Value;

use super::testing::{TestKind, TestResult, TestStatus};
use super::{EvalRequest, LoadedPolicy, clock, resolve_entrypoint};
use crate::bundle::{Bundle, FileKind};
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

/// JSON equality as Rego sees it: `1` and `1.0` are the same number. The
/// same answer as comparing the canonical texts of both with their numbers
/// normalised (`normalize_numbers`), without building either: replay asks
/// this of every decision.
pub fn json_equal(a: Option<&Value>, b: Option<&Value>) -> bool {
    match (a, b) {
        (None, None) => true,
        (Some(a), Some(b)) => values_equal(a, b),
        _ => false,
    }
}

fn values_equal(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Null, Value::Null) => true,
        (Value::Bool(x), Value::Bool(y)) => x == y,
        (Value::String(x), Value::String(y)) => x == y,
        (Value::Number(x), Value::Number(y)) => numbers_equal(x, y),
        (Value::Array(x), Value::Array(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|(x, y)| values_equal(x, y))
        }
        (Value::Object(x), Value::Object(y)) => {
            x.len() == y.len()
                && x.iter()
                    .all(|(k, v)| y.get(k).is_some_and(|w| values_equal(v, w)))
        }
        _ => false,
    }
}

/// Whether two JSON numbers are the same number, as OPA compares them:
/// `1` and `1.0`, `1e2` and `100`, `1e400` and its 401 digits are equal;
/// big integers are compared exactly.
fn numbers_equal(x: &serde_json::Number, y: &serde_json::Number) -> bool {
    if x.as_str() == y.as_str() {
        return true;
    }
    let (a, b) = (
        super::convert::number_to_rego(x),
        super::convert::number_to_rego(y),
    );
    a != regorus::Value::Undefined && a == b
}

/// Every number as its canonical text (`super::convert::number_text` of
/// its value: `1.0` and `1e2` become `1` and `100`), so that two documents
/// `json_equal` calls equal have the same text.
fn normalize_numbers(v: &Value) -> Value {
    match v {
        Value::Number(n) => super::convert::number_text(&super::convert::number_to_rego(n))
            .and_then(|t| serde_json::from_str(&t).ok())
            .map_or_else(|| v.clone(), Value::Number),
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
    use proptest::prelude::*;
    use serde_json::json;

    /// JSON from a small universe, so that equal pairs are common, with the
    /// numbers whose spellings differ: integers, integral floats, floats
    /// past the normalisation bound, large unsigned.
    fn small_json() -> impl Strategy<Value = Value> {
        let leaf = prop_oneof![
            Just(json!(null)),
            Just(json!(true)),
            Just(json!(1)),
            Just(json!(1.0)),
            Just(json!(-1)),
            Just(json!(-1.0)),
            Just(json!(0.0)),
            Just(json!(-0.0)),
            Just(json!(1.5)),
            Just(json!(9.0e15)),
            Just(json!(9_000_000_000_000_000_i64)),
            Just(json!(1.0e16)),
            Just(json!(10_000_000_000_000_000_u64)),
            Just(json!(u64::MAX)),
            Just(json!("a")),
            Just(json!("1")),
        ];
        leaf.prop_recursive(3, 12, 3, |inner| {
            prop_oneof![
                proptest::collection::vec(inner.clone(), 0..3).prop_map(Value::Array),
                proptest::collection::btree_map("[ab]", inner, 0..3)
                    .prop_map(|m| Value::Object(m.into_iter().collect())),
            ]
        })
    }

    proptest! {
        #[test]
        fn json_equal_is_equality_of_normalised_canonical_texts(a in small_json(), b in small_json()) {
            let texts = crate::canonical::canonical_json(&normalize_numbers(&a))
                == crate::canonical::canonical_json(&normalize_numbers(&b));
            prop_assert_eq!(json_equal(Some(&a), Some(&b)), texts, "{} vs {}", a, b);
            prop_assert!(json_equal(Some(&a), Some(&a)));
        }
    }

    #[test]
    fn numbers_compare_as_rego_does() {
        assert!(json_equal(Some(&json!({"a": 1})), Some(&json!({"a": 1.0}))));
        // Minus zero is zero, and shows as one (proptest found it).
        assert!(json_equal(
            Some(&json!({"b": -0.0})),
            Some(&json!({"b": 0.0}))
        ));
        assert_eq!(
            normalize_numbers(&json!({"b": -0.0})),
            normalize_numbers(&json!({"b": 0.0}))
        );
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

    /// OPA's numeric equality, whatever the spelling: `1` and `1.0`, `1e2`
    /// and `100`, `1e400` and its digits; big integers exactly.
    #[test]
    fn numbers_compare_by_value_not_text() {
        let parse = |t: &str| crate::json_text::parse(t).unwrap();
        let same = |a: &str, b: &str| json_equal(Some(&parse(a)), Some(&parse(b)));
        assert!(same("1", "1.0"));
        assert!(same("[1e2]", "[100]"));
        assert!(same("1E2", "100.0"));
        assert!(same("9e15", "9000000000000000"));
        assert!(same("0", "-0"));
        assert!(same("1e400", &format!("1{}", "0".repeat(400))));
        assert!(same(
            "123456789012345678901234567890",
            "1.2345678901234567890123456789e29"
        ));
        assert!(!same(
            "123456789012345678901234567890",
            "123456789012345678901234567891"
        ));
        assert!(!same("1e400", "1e401"));
        assert!(!same("1.5", "1"));
        assert!(!same("1", "\"1\""));
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
