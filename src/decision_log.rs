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
    /// A revision Gavel wrote on export (`NAME@VERSION sha256:HEX`, see
    /// bundle/revision.rs) names its version whatever the bundle is called
    /// in OPA's config, and resolves only when the stored version has that
    /// content hash; any other revision is the version of bundle `name`.
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
        let found = match crate::bundle::revision::parse(revision) {
            Some((reference, hash)) => store
                .version_by_name(&reference.name, &reference.version)?
                .filter(|(_, stored)| *stored == hash),
            None => store.version_by_name(name, revision)?,
        };
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

/// Parses one line of a decision log. `line` is 1-based, for errors. The
/// line is read once, keeping only the fields the store indexes (`input`
/// and the rest are checked and skipped, the result's outcome taken as it
/// goes): a line costs about its own text whatever its shape.
pub fn parse_line(bytes: &[u8], line: u64) -> std::result::Result<ParsedLine, LineError> {
    let err = |reason: String| LineError { line, reason };
    let text = std::str::from_utf8(bytes).map_err(|e| {
        err(format!(
            "not UTF-8 (invalid byte at column {})",
            e.valid_up_to() + 1
        ))
    })?;
    // Numbers keep their text (`1E2`, big integers), as OPA keeps them.
    let head = read_head(text).map_err(|e| {
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
    let Some(mut head) = head else {
        return Err(err("not a JSON object".into()));
    };
    // A field whose numbers' text is shown or kept (an exponent is written
    // as received, `1E2`): read again with every number's text, as before.
    if [&head.timestamp, &head.gavel]
        .iter()
        .any(|v| v.as_ref().is_some_and(has_exponent))
    {
        let event = crate::json_text::parse_object(text).map_err(|e| err(e.to_string()))?;
        head.timestamp = event.get("timestamp").cloned();
        head.gavel = event.get("gavel").cloned();
    }
    let decision_id = match head.decision_id {
        Some(Value::String(s)) if !s.is_empty() => s,
        Some(_) => return Err(err("decision_id must be a non-empty string".into())),
        None => return Err(err("missing decision_id".into())),
    };
    let path = match head.path {
        Some(Value::String(s)) => s,
        Some(_) => return Err(err("path must be a string".into())),
        None => return Err(err("missing path".into())),
    };
    if !head.has_input {
        return Err(err("missing input".into()));
    }
    let timestamp = match head.timestamp {
        None => String::new(),
        Some(t) => match t.as_str() {
            Some(s) if crate::engine::clock::parse_rfc3339_ns(s).is_some() => s.to_string(),
            _ => return Err(err(format!("timestamp {t} is not an RFC 3339 time"))),
        },
    };
    let names_bundles = head.bundles.is_some();
    let bundle = head
        .bundles
        .as_ref()
        .and_then(Value::as_object)
        .and_then(|b| b.iter().next())
        .and_then(|(n, b)| Some((n.clone(), b.get("revision")?.as_str()?.to_string())));
    // Gavel's own fields, on an exported line, come back out of the event.
    let gavel = head.gavel;
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
    let outcome = head.outcome.unwrap_or_else(|| outcome_of(None));
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

/// What a line's object holds of the fields Gavel reads (the last of
/// duplicate keys, as a parsed object keeps).
#[derive(Default)]
struct Head {
    decision_id: Option<Value>,
    path: Option<Value>,
    has_input: bool,
    timestamp: Option<Value>,
    bundles: Option<Value>,
    gavel: Option<Value>,
    /// `outcome_of` the result, when there is one.
    outcome: Option<String>,
}

/// Reads a line: `None` when it is JSON but not an object. Errors are
/// serde_json's, and a number out of range is refused as `json_text`
/// refuses it.
fn read_head(text: &str) -> serde_json::Result<Option<Head>> {
    let mut de = serde_json::Deserializer::from_str(text);
    let head = serde::de::DeserializeSeed::deserialize(HeadSeed, &mut de)?;
    de.end()?;
    crate::json_text::check_numbers(text)?;
    Ok(head)
}

/// Whether a value holds a number written with an exponent.
fn has_exponent(v: &Value) -> bool {
    match v {
        Value::Number(n) => n.as_str().contains(['e', 'E']),
        Value::Array(items) => items.iter().any(has_exponent),
        Value::Object(m) => m.values().any(has_exponent),
        _ => false,
    }
}

/// serde_json's private key for a number read with `arbitrary_precision`.
const NUMBER_TOKEN: &str = "$serde_json::private::Number";

/// Reads the top-level value of a line.
struct HeadSeed;

impl<'de> serde::de::DeserializeSeed<'de> for HeadSeed {
    type Value = Option<Head>;

    fn deserialize<D: serde::Deserializer<'de>>(
        self,
        d: D,
    ) -> std::result::Result<Option<Head>, D::Error> {
        d.deserialize_any(self)
    }
}

/// A map's first key, read through `deserialize_str` as serde_json's
/// `Value` reads it (a number arrives as a map with a private key).
struct FirstKey;

impl<'de> serde::de::DeserializeSeed<'de> for FirstKey {
    type Value = String;

    fn deserialize<D: serde::Deserializer<'de>>(
        self,
        d: D,
    ) -> std::result::Result<String, D::Error> {
        d.deserialize_str(self)
    }
}

impl serde::de::Visitor<'_> for FirstKey {
    type Value = String;

    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("a string key")
    }

    fn visit_str<E>(self, s: &str) -> std::result::Result<String, E> {
        Ok(s.to_owned())
    }

    fn visit_string<E>(self, s: String) -> std::result::Result<String, E> {
        Ok(s)
    }
}

/// Not an object: the value is read (and checked) and dropped.
macro_rules! not_an_object {
    ($($visit:ident($ty:ty)),*) => {
        $(
            fn $visit<E>(self, _: $ty) -> std::result::Result<Self::Value, E> {
                Ok(None)
            }
        )*
    };
}

impl<'de> serde::de::Visitor<'de> for HeadSeed {
    type Value = Option<Head>;

    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("any valid JSON value")
    }

    not_an_object!(
        visit_bool(bool),
        visit_i64(i64),
        visit_u64(u64),
        visit_f64(f64),
        visit_str(&str)
    );

    fn visit_unit<E>(self) -> std::result::Result<Option<Head>, E> {
        Ok(None)
    }

    fn visit_seq<A: serde::de::SeqAccess<'de>>(
        self,
        mut seq: A,
    ) -> std::result::Result<Option<Head>, A::Error> {
        while seq.next_element_seed(Skip)?.is_some() {}
        Ok(None)
    }

    fn visit_map<A: serde::de::MapAccess<'de>>(
        self,
        mut map: A,
    ) -> std::result::Result<Option<Head>, A::Error> {
        let Some(first) = map.next_key_seed(FirstKey)? else {
            return Ok(Some(Head::default()));
        };
        if first == NUMBER_TOKEN {
            map.next_value_seed(Skip)?;
            return Ok(None);
        }
        let mut head = Head::default();
        let mut key = Some(first);
        while let Some(k) = key
            .take()
            .map_or_else(|| map.next_key::<String>(), |k| Ok(Some(k)))?
        {
            match k.as_str() {
                "decision_id" => head.decision_id = Some(map.next_value()?),
                "path" => head.path = Some(map.next_value()?),
                "timestamp" => head.timestamp = Some(map.next_value()?),
                "bundles" => head.bundles = Some(map.next_value()?),
                "gavel" => head.gavel = Some(map.next_value()?),
                "input" => {
                    map.next_value_seed(Skip)?;
                    head.has_input = true;
                }
                "result" => head.outcome = Some(map.next_value_seed(OutcomeSeed)?),
                _ => {
                    map.next_value_seed(Skip)?;
                }
            }
        }
        Ok(Some(head))
    }
}

/// A value read and checked as serde_json's `Value` reads it (through
/// `deserialize_any`, so within its nesting limit), and dropped. (serde's
/// `IgnoredAny` takes serde_json's own skipping, which has no such limit.)
struct Skip;

impl<'de> serde::de::DeserializeSeed<'de> for Skip {
    type Value = ();

    fn deserialize<D: serde::Deserializer<'de>>(self, d: D) -> std::result::Result<(), D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> serde::de::Visitor<'de> for Skip {
    type Value = ();

    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("any valid JSON value")
    }

    fn visit_bool<E>(self, _: bool) -> std::result::Result<(), E> {
        Ok(())
    }

    fn visit_i64<E>(self, _: i64) -> std::result::Result<(), E> {
        Ok(())
    }

    fn visit_u64<E>(self, _: u64) -> std::result::Result<(), E> {
        Ok(())
    }

    fn visit_f64<E>(self, _: f64) -> std::result::Result<(), E> {
        Ok(())
    }

    fn visit_str<E>(self, _: &str) -> std::result::Result<(), E> {
        Ok(())
    }

    fn visit_unit<E>(self) -> std::result::Result<(), E> {
        Ok(())
    }

    fn visit_seq<A: serde::de::SeqAccess<'de>>(
        self,
        mut seq: A,
    ) -> std::result::Result<(), A::Error> {
        while seq.next_element_seed(Skip)?.is_some() {}
        Ok(())
    }

    fn visit_map<A: serde::de::MapAccess<'de>>(
        self,
        mut map: A,
    ) -> std::result::Result<(), A::Error> {
        while map.next_key_seed(Skip)?.is_some() {
            map.next_value_seed(Skip)?;
        }
        Ok(())
    }
}

/// A result's outcome ([`outcome_of`]), read without keeping the result.
struct OutcomeSeed;

impl<'de> serde::de::DeserializeSeed<'de> for OutcomeSeed {
    type Value = String;

    fn deserialize<D: serde::Deserializer<'de>>(
        self,
        d: D,
    ) -> std::result::Result<String, D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> serde::de::Visitor<'de> for OutcomeSeed {
    type Value = String;

    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("any valid JSON value")
    }

    fn visit_bool<E>(self, v: bool) -> std::result::Result<String, E> {
        Ok(outcome_of(Some(&Value::Bool(v))))
    }

    fn visit_str<E>(self, v: &str) -> std::result::Result<String, E> {
        Ok(v.to_string())
    }

    fn visit_i64<E>(self, _: i64) -> std::result::Result<String, E> {
        Ok(outcome_of(Some(&Value::Null)))
    }

    fn visit_u64<E>(self, _: u64) -> std::result::Result<String, E> {
        Ok(outcome_of(Some(&Value::Null)))
    }

    fn visit_f64<E>(self, _: f64) -> std::result::Result<String, E> {
        Ok(outcome_of(Some(&Value::Null)))
    }

    fn visit_unit<E>(self) -> std::result::Result<String, E> {
        Ok(outcome_of(Some(&Value::Null)))
    }

    fn visit_seq<A: serde::de::SeqAccess<'de>>(
        self,
        mut seq: A,
    ) -> std::result::Result<String, A::Error> {
        let mut items = 0usize;
        while seq.next_element_seed(Skip)?.is_some() {
            items += 1;
        }
        let shape = if items == 0 {
            Value::Array(Vec::new())
        } else {
            Value::Array(vec![Value::Null])
        };
        Ok(outcome_of(Some(&shape)))
    }

    fn visit_map<A: serde::de::MapAccess<'de>>(
        self,
        mut map: A,
    ) -> std::result::Result<String, A::Error> {
        let Some(first) = map.next_key_seed(FirstKey)? else {
            return Ok(outcome_of(Some(&Value::Object(Map::new()))));
        };
        if first == NUMBER_TOKEN {
            map.next_value_seed(Skip)?;
            return Ok(outcome_of(Some(&Value::Null)));
        }
        // Only `outcome` (a string) and `allow` (a boolean) matter; the
        // last of duplicate keys counts, as in a parsed object.
        let mut fields = Map::new();
        let mut key = Some(first);
        while let Some(k) = key
            .take()
            .map_or_else(|| map.next_key::<String>(), |k| Ok(Some(k)))?
        {
            match k.as_str() {
                "outcome" | "allow" => {
                    let v = map.next_value_seed(ScalarSeed)?;
                    fields.insert(k, v);
                }
                _ => {
                    map.next_value_seed(Skip)?;
                }
            }
        }
        Ok(outcome_of(Some(&Value::Object(fields))))
    }
}

/// A value kept when it is a string or a boolean (`null` for any other,
/// read and dropped).
struct ScalarSeed;

impl<'de> serde::de::DeserializeSeed<'de> for ScalarSeed {
    type Value = Value;

    fn deserialize<D: serde::Deserializer<'de>>(
        self,
        d: D,
    ) -> std::result::Result<Value, D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> serde::de::Visitor<'de> for ScalarSeed {
    type Value = Value;

    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("any valid JSON value")
    }

    fn visit_bool<E>(self, v: bool) -> std::result::Result<Value, E> {
        Ok(Value::Bool(v))
    }

    fn visit_str<E>(self, v: &str) -> std::result::Result<Value, E> {
        Ok(Value::String(v.to_string()))
    }

    fn visit_i64<E>(self, _: i64) -> std::result::Result<Value, E> {
        Ok(Value::Null)
    }

    fn visit_u64<E>(self, _: u64) -> std::result::Result<Value, E> {
        Ok(Value::Null)
    }

    fn visit_f64<E>(self, _: f64) -> std::result::Result<Value, E> {
        Ok(Value::Null)
    }

    fn visit_unit<E>(self) -> std::result::Result<Value, E> {
        Ok(Value::Null)
    }

    fn visit_seq<A: serde::de::SeqAccess<'de>>(
        self,
        mut seq: A,
    ) -> std::result::Result<Value, A::Error> {
        while seq.next_element_seed(Skip)?.is_some() {}
        Ok(Value::Null)
    }

    fn visit_map<A: serde::de::MapAccess<'de>>(
        self,
        mut map: A,
    ) -> std::result::Result<Value, A::Error> {
        while map.next_key_seed(Skip)?.is_some() {
            map.next_value_seed(Skip)?;
        }
        Ok(Value::Null)
    }
}

/// Writes the decisions `filter` selects to `out` as OPA decision-log JSONL
/// (Gavel's fields under `gavel`), one event a line, escaped as the JSON
/// output is: the same JSON, nothing that drives a terminal. What `gavel
/// decisions export` prints and the workbench writes. Returns how many
/// lines it wrote; a failed write stops it and comes back as the
/// `io::Error` itself (a closed pipe is the caller's to judge).
pub fn export_jsonl(
    store: &Store,
    filter: &crate::store::decisions::DecisionFilter,
    out: &mut dyn std::io::Write,
) -> Result<std::result::Result<u64, std::io::Error>> {
    let mut io_err: Option<std::io::Error> = None;
    let mut written = 0u64;
    store
        .for_each_decision(filter, |seq, rec, leaf| {
            let line = export_line(&rec, seq, &leaf);
            if let Err(e) = writeln!(out, "{}", crate::sanitize::escape_json_text(&line)) {
                io_err = Some(e);
                return Err(crate::error::Error::Invalid("output closed".into()));
            }
            written += 1;
            Ok(())
        })
        .or_else(|e| if io_err.is_some() { Ok(()) } else { Err(e) })?;
    Ok(match io_err {
        Some(e) => Err(e),
        None => Ok(written),
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

    /// The line as it was read before: the whole object parsed (numbers
    /// keeping their text), then the fields taken from it.
    fn parsed_whole(bytes: &[u8], line: u64) -> std::result::Result<ParsedLine, LineError> {
        let err = |reason: String| LineError { line, reason };
        let text = std::str::from_utf8(bytes).map_err(|e| {
            err(format!(
                "not UTF-8 (invalid byte at column {})",
                e.valid_up_to() + 1
            ))
        })?;
        let value: Value = crate::json_text::parse(text).map_err(|e| {
            let (l, column) = crate::json_text::line_column(&e);
            if e.is_eof() {
                err(format!("truncated JSON (ends at column {column})"))
            } else {
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
        let gavel = event.remove("gavel");
        let exported_hash = gavel
            .as_ref()
            .and_then(|g| g.get("policy_hash"))
            .and_then(Value::as_str)
            .map(String::from);
        let exported_rule_outcomes = match gavel.as_ref().and_then(|g| g.get("rule_outcomes")) {
            None | Some(Value::Null) => None,
            Some(r) => Some(
                serde_json::from_value::<Vec<RuleOutcome>>(r.clone())
                    .map_err(|e| err(format!("gavel.rule_outcomes cannot be read: {e}")))?,
            ),
        };
        Ok(ParsedLine {
            line,
            event: text.to_string(),
            event_sha256: crate::tlog::record::event_sha256(text),
            decision_id,
            path,
            timestamp,
            bundle,
            names_bundles,
            outcome: outcome_of(event.get("result")),
            exported_hash,
            exported_rule_outcomes,
        })
    }

    fn summary(p: &std::result::Result<ParsedLine, LineError>) -> String {
        match p {
            Ok(p) => format!(
                "{} {} {} {} {:?} {} {} {:?} {:?} {}",
                p.line,
                p.event,
                p.event_sha256,
                p.decision_id,
                (&p.path, &p.timestamp, &p.bundle),
                p.names_bundles,
                p.outcome,
                p.exported_hash,
                p.exported_rule_outcomes
                    .as_ref()
                    .map(|r| serde_json::to_string(r).unwrap()),
                "ok"
            ),
            Err(e) => format!("{e:?}"),
        }
    }

    /// Reading only the fields (the rest skipped) gives what parsing the
    /// whole line gave, field for field and error for error: the sample
    /// logs, and lines made to tell the two apart.
    #[test]
    fn reading_the_fields_alone_gives_what_the_whole_line_gave() {
        let mut lines: Vec<Vec<u8>> = Vec::new();
        let samples = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("sample-decisions");
        for f in std::fs::read_dir(samples).unwrap() {
            let text = std::fs::read_to_string(f.unwrap().path()).unwrap();
            lines.extend(text.lines().take(60).map(|l| l.as_bytes().to_vec()));
        }
        let head = r#""decision_id":"d","path":"a/b","input":{"x":[1,{"y":2}]}"#;
        let results = [
            "true",
            "false",
            "null",
            "1",
            "1E2",
            "-0.5",
            "\"BLOCK\"",
            "[]",
            "[1]",
            "[[]]",
            "{}",
            r#"{"outcome":"BLOCK"}"#,
            r#"{"outcome":1,"allow":true}"#,
            r#"{"allow":false}"#,
            r#"{"allow":"yes"}"#,
            r#"{"outcome":"A","outcome":"B"}"#,
            r#"{"outcome":"A","outcome":2,"allow":true}"#,
            r#"{"x":{"outcome":"no"}}"#,
            r#"{"outcome":{"a":1},"allow":[true]}"#,
        ];
        for r in results {
            lines.push(format!("{{{head},\"result\":{r}}}").into_bytes());
        }
        let more = [
            format!("{{{head},\"timestamp\":1E5}}"),
            format!("{{{head},\"timestamp\":[1e5, 2]}}"),
            format!("{{{head},\"timestamp\":\"2026-01-01T00:00:00Z\",\"timestamp\":\"x\"}}"),
            format!("{{{head},\"decision_id\":\"\"}}"),
            format!("{{{head},\"decision_id\":7}}"),
            format!("{{{head},\"path\":[\"a\"]}}"),
            format!("{{{head},\"bundles\":{{\"b\":{{\"revision\":\"1\"}},\"a\":{{}}}}}}"),
            format!("{{{head},\"bundles\":[]}}"),
            format!("{{{head},\"bundles\":{{\"b\":{{\"revision\":2}}}}}}"),
            format!(
                "{{{head},\"gavel\":{{\"policy_hash\":\"sha256:ab\",\"rule_outcomes\":null}}}}"
            ),
            format!(
                "{{{head},\"gavel\":{{\"rule_outcomes\":[{{\"package\":\"p\",\"rule\":\"r\",\"file\":\"f\",\"line\":1E0,\"fired\":true}}]}}}}"
            ),
            format!(
                "{{{head},\"gavel\":{{\"rule_outcomes\":[{{\"package\":\"p\",\"rule\":\"r\",\"file\":\"f\",\"line\":3,\"fired\":true}}]}}}}"
            ),
            format!("{{{head},\"gavel\":{{\"rule_outcomes\":{{}}}}}}"),
            format!("{{{head},\"input\":{{\"n\":1e999999999}}}}"),
            format!("{{{head},\"input\":{{\"n\":1e99999}}}}"),
            format!(
                "{{{head},\"input\":{}1{}}}",
                "[".repeat(127),
                "]".repeat(127)
            ),
            format!(
                "{{{head},\"input\":{}1{}}}",
                "[".repeat(128),
                "]".repeat(128)
            ),
            format!("{{{head},\"input\":{{\"a\":tru}}}}"),
            format!("{{{head},\"input\":{{\"a\":01}}}}"),
            format!("{{{head},\"input\":\"\\ud800\"}}"),
            format!("{{{head}}} x"),
            format!("{{{head},"),
            format!("{{{head}}}"),
            "{\"$serde_json::private::Number\":\"1\"}".to_string(),
            "{}".to_string(),
            "3".to_string(),
            "\"s\"".to_string(),
            "[{\"decision_id\":\"d\"}]".to_string(),
            "{\"decision_id\":\"d\",\"path\":\"a\"".to_string(),
            "{\"decision_id\":\"d\",\"path\":\"a\",\"input\":{},\"input\":1}".to_string(),
        ];
        lines.extend(more.iter().map(|l| l.as_bytes().to_vec()));
        for (i, line) in lines.iter().enumerate() {
            let n = i as u64 + 1;
            assert_eq!(
                summary(&parse_line(line, n)),
                summary(&parsed_whole(line, n)),
                "{}",
                String::from_utf8_lossy(line)
            );
        }
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
