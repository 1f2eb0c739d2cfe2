//! What replay reads of a stored decision: its input as the engine's value,
//! its recorded result, and the few fields that name it and pin its time.
//!
//! A batch reads these straight from the stored event text. Parsing every
//! event into serde values (bundles, labels, metrics and all), converting
//! the input for the engine and dropping the lot was about a fifth of a
//! batch's work.

use regorus::Value as RegoValue;
use serde::{Deserialize, Deserializer};
use serde_json::Value;

use std::sync::Arc;

use crate::engine::nd_cache::NdCache;
use crate::engine::{clock, convert};
use crate::store::DecisionRecord;
use crate::store::decisions::StoredDecision;

/// A decision as replay needs it.
#[derive(Debug, Clone)]
pub struct Subject {
    pub seq: i64,
    pub decision_id: String,
    /// The rule the decision queried: the event's `path` without OPA's API
    /// prefixes (`a/b`).
    pub entrypoint: String,
    /// `time.now_ns` as replay pins it (see `pinned`).
    pub now_ns: Option<i64>,
    /// The first bundle the event names, with its revision.
    pub bundle: Option<(String, String)>,
    /// The non-deterministic builtins' recorded answers, when the event
    /// holds any besides `time.now_ns`: replay answers them from here.
    pub nd_cache: Option<Arc<NdCache>>,
    pub input: RegoValue,
    /// `None`: the decision was undefined.
    pub result: Option<Value>,
    pub outcome: String,
    pub policy_hash: Option<String>,
}

/// The event fields replay reads; the others are skipped unbuilt.
#[derive(Deserialize)]
struct EventView {
    #[serde(default)]
    decision_id: Value,
    #[serde(default)]
    path: Value,
    #[serde(default)]
    timestamp: Value,
    #[serde(default)]
    nd_builtin_cache: Value,
    #[serde(default)]
    bundles: Value,
    #[serde(default = "null_input")]
    input: RegoValue,
    /// Absent (undefined) and `null` differ, so a present field is `Some`
    /// whatever it holds.
    #[serde(default, deserialize_with = "present")]
    result: Option<Value>,
}

fn null_input() -> RegoValue {
    RegoValue::Null
}

fn present<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Value>, D::Error> {
    Value::deserialize(d).map(Some)
}

/// The time a decision was made, as replay pins `time.now_ns`: the event's
/// `nd_builtin_cache` value when it carries one, else its timestamp.
pub fn pinned(nd_builtin_cache: Option<&Value>, timestamp: &str) -> Option<i64> {
    let cached = nd_builtin_cache
        .and_then(|c| c.get("time.now_ns"))
        .and_then(|c| match c {
            Value::Object(m) => m.get("[]").or_else(|| m.values().next()),
            other => Some(other),
        })
        .and_then(Value::as_i64);
    cached.or_else(|| clock::parse_rfc3339_ns(timestamp))
}

/// An event's recorded calls of non-deterministic builtins other than
/// `time.now_ns` (`None`: there are none, the common case).
fn recorded_calls(nd_builtin_cache: Option<&Value>) -> Option<Arc<NdCache>> {
    // Most events hold `time.now_ns` alone: nothing to parse for them.
    let calls = nd_builtin_cache?.as_object()?;
    if calls.keys().all(|k| k == "time.now_ns") {
        return None;
    }
    let cache = NdCache::from_event(nd_builtin_cache);
    cache.has_calls().then(|| Arc::new(cache))
}

/// The first bundle in an event's `bundles`, with its revision.
pub fn first_bundle(bundles: Option<&Value>) -> Option<(String, String)> {
    let (name, b) = bundles?.as_object()?.iter().next()?;
    Some((name.clone(), b.get("revision")?.as_str()?.to_string()))
}

impl Subject {
    /// A decision already read whole (a single replay, the workbench).
    pub fn from_record(seq: i64, rec: &DecisionRecord) -> Subject {
        Subject {
            seq,
            decision_id: rec.decision_id().to_string(),
            entrypoint: entrypoint_from(rec.path()),
            now_ns: pinned(rec.event.get("nd_builtin_cache"), rec.timestamp()),
            bundle: rec.bundle(),
            nd_cache: recorded_calls(rec.event.get("nd_builtin_cache")),
            input: convert::to_rego(rec.input()),
            result: rec.result().cloned(),
            outcome: rec.outcome.clone(),
            policy_hash: rec.policy_hash.clone(),
        }
    }

    /// A stored row, its event parsed here (`Err`: why it cannot be).
    pub fn parse(row: &StoredDecision) -> Result<Subject, String> {
        let e: EventView = serde_json::from_str(&row.event)
            .map_err(|e| format!("its stored event is not a readable decision event: {e}"))?;
        let text = |v: &Value| v.as_str().unwrap_or("").to_string();
        Ok(Subject {
            seq: row.seq,
            decision_id: text(&e.decision_id),
            entrypoint: entrypoint_from(e.path.as_str().unwrap_or("")),
            now_ns: pinned(
                Some(&e.nd_builtin_cache),
                e.timestamp.as_str().unwrap_or(""),
            ),
            bundle: first_bundle(Some(&e.bundles)),
            nd_cache: recorded_calls(Some(&e.nd_builtin_cache)),
            input: e.input,
            result: e.result,
            outcome: row.outcome.clone(),
            policy_hash: row.policy_hash.clone(),
        })
    }

    /// What is known of a row whose event cannot be read: enough to name
    /// it in an ERROR.
    pub fn unreadable(row: &StoredDecision) -> Subject {
        Subject {
            seq: row.seq,
            decision_id: row.decision_id.clone(),
            entrypoint: entrypoint_from(&row.path),
            now_ns: None,
            bundle: row.bundle.clone(),
            nd_cache: None,
            input: RegoValue::Null,
            result: None,
            outcome: row.outcome.clone(),
            policy_hash: row.policy_hash.clone(),
        }
    }
}

/// A decision path as an entrypoint (`v1/data/a/b`, `data.a.b` -> `a/b`).
pub fn entrypoint_from(path: &str) -> String {
    let p = path.trim_matches('/');
    let p = p.strip_prefix("v1/data/").unwrap_or(p);
    let p = p.strip_prefix("data/").unwrap_or(p);
    let p = p.strip_prefix("data.").unwrap_or(p);
    p.replace('.', "/")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::decisions::StoredDecision;

    fn row(event: &str) -> StoredDecision {
        StoredDecision {
            seq: 7,
            decision_id: "row-id".into(),
            path: "row/path".into(),
            bundle: None,
            version_id: None,
            policy_hash: Some("h".into()),
            outcome: "APPROVE".into(),
            event: event.into(),
        }
    }

    #[test]
    fn a_parsed_row_reads_as_the_whole_record_does() {
        for line in include_str!("../../sample-decisions/gfr-procurement.jsonl")
            .lines()
            .take(50)
            .chain([
                r#"{"decision_id":"u","path":"/v1/data/a/b","input":{"x":[1,2.5,-3]},"timestamp":"2026-11-20T10:00:00Z"}"#,
                r#"{"decision_id":"n","path":"a.b","input":null,"result":null,"nd_builtin_cache":{"time.now_ns":{"[]":5}}}"#,
            ])
        {
            let event: serde_json::Map<String, Value> = serde_json::from_str(line).unwrap();
            let rec = DecisionRecord {
                event,
                outcome: "APPROVE".into(),
                policy_hash: Some("h".into()),
                rule_outcomes: None,
                version_id: None,
                source: "import".into(),
            };
            let whole = Subject::from_record(7, &rec);
            let parsed = Subject::parse(&row(line)).unwrap();
            assert_eq!(format!("{whole:?}"), format!("{parsed:?}"), "{line}");
        }
    }

    #[test]
    fn undefined_and_null_results_stay_apart() {
        let undefined = Subject::parse(&row(r#"{"decision_id":"a","path":"p","input":{}}"#));
        assert_eq!(undefined.unwrap().result, None);
        let null = Subject::parse(&row(
            r#"{"decision_id":"a","path":"p","input":{},"result":null}"#,
        ));
        assert_eq!(null.unwrap().result, Some(Value::Null));
    }

    #[test]
    fn an_unreadable_event_says_so() {
        let e = Subject::parse(&row("{not json")).unwrap_err();
        assert!(e.contains("not a readable decision event"), "{e}");
    }
}
