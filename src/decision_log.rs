//! OPA decision-log events, one JSON object per line: parsing a line into a
//! decision record (every field kept), and the line Gavel exports back.

use std::collections::HashMap;

use serde_json::{Map, Value};

use crate::canonical::canonical_json;
use crate::engine::RuleOutcome;
use crate::engine::outcome::outcome_of;
use crate::error::Result;
use crate::store::{DecisionRecord, Store};

/// Why a line was rejected.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LineError {
    pub line: u64,
    pub reason: String,
}

/// Resolves `bundles.NAME.revision` to a stored version, with a cache.
pub struct VersionResolver {
    cache: HashMap<(String, String), Option<(i64, String)>>,
}

impl Default for VersionResolver {
    fn default() -> Self {
        Self::new()
    }
}

impl VersionResolver {
    pub fn new() -> VersionResolver {
        VersionResolver {
            cache: HashMap::new(),
        }
    }

    /// The stored version (id, content hash) of a bundle name and revision.
    pub fn resolve(
        &mut self,
        store: &Store,
        name: &str,
        revision: &str,
    ) -> Result<Option<(i64, String)>> {
        let key = (name.to_string(), revision.to_string());
        if let Some(found) = self.cache.get(&key) {
            return Ok(found.clone());
        }
        let found = store.version_by_name(name, revision)?;
        self.cache.insert(key, found.clone());
        Ok(found)
    }
}

/// A parsed line: the event's bytes as they arrived and the few fields the
/// store indexes. The parsed tree is dropped at once, so a batch of lines
/// costs about its text.
pub struct ParsedLine {
    /// 1-based line number in the log.
    pub line: u64,
    /// The line as it arrived (ends trimmed), kept and hashed as it is.
    pub event: String,
    /// Its SHA-256 (hex), taken here, on the parsing thread.
    pub event_sha256: String,
    pub decision_id: String,
    pub path: String,
    pub timestamp: String,
    /// The first bundle named in `bundles`: (name, revision).
    pub bundle: Option<(String, String)>,
    pub names_bundles: bool,
    pub outcome: String,
    pub exported_hash: Option<String>,
    pub exported_rule_outcomes: Option<Vec<RuleOutcome>>,
}

/// Parses one line of a decision log. `line` is 1-based, for errors.
pub fn parse_line(bytes: &[u8], line: u64) -> std::result::Result<ParsedLine, LineError> {
    let err = |reason: String| LineError { line, reason };
    let text = std::str::from_utf8(bytes).map_err(|e| {
        err(format!(
            "not UTF-8 (invalid byte at column {})",
            e.valid_up_to() + 1
        ))
    })?;
    // Numbers keep their text (`1E2`, big integers), as OPA keeps them.
    let value: Value = crate::json_text::parse(text).map_err(|e| {
        let (l, column) = crate::json_text::line_column(&e);
        if e.is_eof() {
            err(format!("truncated JSON (ends at column {column})"))
        } else {
            // One line of JSONL is one line of JSON: serde's "at line 1"
            // would only confuse with the log's own line number.
            let full = e.to_string();
            let bare = full
                .strip_suffix(&format!(" at line {l} column {column}"))
                .unwrap_or(&full);
            err(format!("not JSON: {bare} (column {column})"))
        }
    })?;
    let Value::Object(mut event) = value else {
        return Err(err("not a JSON object".into()));
    };
    let decision_id = match event.get("decision_id") {
        Some(Value::String(s)) if !s.is_empty() => s.clone(),
        Some(_) => return Err(err("decision_id must be a non-empty string".into())),
        None => return Err(err("missing decision_id".into())),
    };
    let path = match event.get("path") {
        Some(Value::String(s)) => s.clone(),
        Some(_) => return Err(err("path must be a string".into())),
        None => return Err(err("missing path".into())),
    };
    if !event.contains_key("input") {
        return Err(err("missing input".into()));
    }
    let timestamp = match event.get("timestamp") {
        None => String::new(),
        Some(t) => match t.as_str() {
            Some(s) if crate::engine::clock::parse_rfc3339_ns(s).is_some() => s.to_string(),
            _ => return Err(err(format!("timestamp {t} is not an RFC 3339 time"))),
        },
    };
    let names_bundles = event.contains_key("bundles");
    let bundle = event
        .get("bundles")
        .and_then(Value::as_object)
        .and_then(|b| b.iter().next())
        .and_then(|(n, b)| Some((n.clone(), b.get("revision")?.as_str()?.to_string())));
    // Gavel's own fields, on an exported line, come back out of the event.
    let gavel = event.remove("gavel");
    let exported_hash = gavel
        .as_ref()
        .and_then(|g| g.get("policy_hash"))
        .and_then(Value::as_str)
        .map(String::from);
    // An exported record that does not read is refused, never taken as none.
    let exported_rule_outcomes = match gavel.as_ref().and_then(|g| g.get("rule_outcomes")) {
        None | Some(Value::Null) => None,
        Some(r) => Some(
            serde_json::from_value::<Vec<RuleOutcome>>(r.clone())
                .map_err(|e| err(format!("gavel.rule_outcomes cannot be read: {e}")))?,
        ),
    };
    let outcome = outcome_of(event.get("result"));
    Ok(ParsedLine {
        line,
        event: text.to_string(),
        event_sha256: crate::tlog::record::event_sha256(text),
        decision_id,
        path,
        timestamp,
        bundle,
        names_bundles,
        outcome,
        exported_hash,
        exported_rule_outcomes,
    })
}

/// The exported line of a stored decision: the OPA event with Gavel's fields
/// under `gavel`.
pub fn export_line(rec: &DecisionRecord, seq: i64, leaf_hash: &str) -> String {
    let mut gavel = Map::new();
    gavel.insert("outcome".into(), Value::String(rec.outcome.clone()));
    if let Some(h) = &rec.policy_hash {
        gavel.insert("policy_hash".into(), Value::String(h.clone()));
    }
    if let Some(r) = &rec.rule_outcomes {
        gavel.insert(
            "rule_outcomes".into(),
            serde_json::to_value(r).unwrap_or(Value::Null),
        );
    }
    gavel.insert("log_position".into(), Value::from(seq));
    gavel.insert("leaf_hash".into(), Value::String(leaf_hash.to_string()));
    let mut event = rec.event.clone();
    event.insert("gavel".into(), Value::Object(gavel));
    canonical_json(&Value::Object(event))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn good_lines_keep_every_field() {
        let line = br#"{"decision_id":"d1","path":"a/b","input":{"x":1},"result":true,"timestamp":"2026-11-22T10:00:00.123456789Z","bundles":{"a":{"revision":"1.0.0"}},"custom_field":[1,2],"metrics":{"timer_rego_query_eval_ns":12}}"#;
        let p = parse_line(line, 1).unwrap();
        assert_eq!(p.outcome, "allow");
        // Kept byte for byte, as it arrived.
        assert_eq!(p.event.as_bytes(), &line[..]);
        assert_eq!(p.bundle, Some(("a".into(), "1.0.0".into())));
    }

    #[test]
    fn no_result_means_undefined() {
        let p = parse_line(br#"{"decision_id":"d1","path":"a","input":{}}"#, 1).unwrap();
        assert_eq!(p.outcome, "undefined");
    }

    #[test]
    fn bad_lines_say_why() {
        let deep = format!(
            "{{\"decision_id\":\"d\",\"path\":\"a\",\"input\":{}1{}}}",
            "[".repeat(200),
            "]".repeat(200)
        );
        let cases: &[(&[u8], &str)] = &[
            (b"not json", "not JSON"),
            (
                deep.as_bytes(),
                "not JSON: recursion limit exceeded (column 165)",
            ),
            (
                br#"{"decision_id":"d1","path":"a","input""#,
                "truncated JSON",
            ),
            (b"[1,2]", "not a JSON object"),
            (br#"{"path":"a","input":{}}"#, "missing decision_id"),
            (br#"{"decision_id":"d","input":{}}"#, "missing path"),
            (br#"{"decision_id":"d","path":"a"}"#, "missing input"),
            (b"{\"decision_id\":\"d\xff\"}", "not UTF-8"),
            (
                br#"{"decision_id":"d","path":"a","input":{},"timestamp":"yesterday"}"#,
                "not an RFC 3339 time",
            ),
        ];
        for (line, want) in cases {
            let e = parse_line(line, 7)
                .err()
                .unwrap_or_else(|| panic!("accepted {line:?}"));
            assert_eq!(e.line, 7);
            assert!(
                e.reason.contains(want),
                "{} does not contain {want}",
                e.reason
            );
        }
    }
}
