//! The record a decision's leaf hashes, as one line of canonical JSON: the
//! event by the SHA-256 of its bytes as they arrived (numbers as OPA wrote
//! them; its id, path, timestamp and result are read from those bytes), and
//! what Gavel adds to it: the outcome, the version that made it, the rule
//! outcomes, the log position. The columns the store keeps for queries are
//! copies that `gavel verify` checks against the event and this record, so
//! an edited column is named, not believed.

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::canonical::canonical_json;
use crate::engine::RuleOutcome;

/// What the leaf of one decision covers.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LeafRecord {
    /// SHA-256 (hex) of the event's bytes as they arrived.
    pub event_sha256: String,
    pub outcome: String,
    /// The log position it was appended at (1-based): a row moved to
    /// another position says so.
    pub position: u64,
    /// The content hash of the version that made the decision, when known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub policy_hash: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rule_outcomes: Option<Vec<RuleOutcome>>,
    /// `eval` (made by Gavel) or `import` (from a decision log).
    pub source: String,
    /// `name@version` of the stored version it names, when the store held
    /// that version when the decision was appended.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub version: Option<String>,
}

/// SHA-256 of an event's bytes, hex.
pub fn event_sha256(event: &str) -> String {
    hex::encode(Sha256::digest(event.as_bytes()))
}

/// The fields of a record, borrowed: how a record is written without
/// copying what the caller already holds (once per imported decision).
pub struct RecordFields<'a> {
    pub event_sha256: &'a str,
    pub outcome: &'a str,
    pub policy_hash: Option<&'a str>,
    pub position: u64,
    pub rule_outcomes: Option<&'a [RuleOutcome]>,
    pub source: &'a str,
    pub version: Option<&'a str>,
}

impl RecordFields<'_> {
    /// The record's bytes: canonical JSON (keys sorted, no whitespace), the
    /// text the leaf hash is taken over. Written by hand, keys in order.
    pub fn to_text(&self) -> String {
        let quote = |doc: &mut String, s: &str| {
            doc.push_str(&serde_json::to_string(s).unwrap_or_default());
        };
        let mut doc = String::with_capacity(256);
        doc.push_str("{\"event_sha256\":");
        quote(&mut doc, self.event_sha256);
        doc.push_str(",\"outcome\":");
        quote(&mut doc, self.outcome);
        if let Some(h) = self.policy_hash {
            doc.push_str(",\"policy_hash\":");
            quote(&mut doc, h);
        }
        doc.push_str(",\"position\":");
        doc.push_str(&self.position.to_string());
        if let Some(r) = self.rule_outcomes {
            doc.push_str(",\"rule_outcomes\":");
            doc.push_str(&canonical_json(
                &serde_json::to_value(r).unwrap_or(serde_json::Value::Null),
            ));
        }
        doc.push_str(",\"source\":");
        quote(&mut doc, self.source);
        if let Some(v) = self.version {
            doc.push_str(",\"version\":");
            quote(&mut doc, v);
        }
        doc.push('}');
        doc
    }
}

impl LeafRecord {
    /// The record's bytes (see `RecordFields::to_text`).
    pub fn to_text(&self) -> String {
        RecordFields {
            event_sha256: &self.event_sha256,
            outcome: &self.outcome,
            policy_hash: self.policy_hash.as_deref(),
            position: self.position,
            rule_outcomes: self.rule_outcomes.as_deref(),
            source: &self.source,
            version: self.version.as_deref(),
        }
        .to_text()
    }

    /// Reads a stored or proven record. Anything but a record in its
    /// canonical form is refused: the text is what was hashed, so a reader
    /// must see exactly the fields the hash covers.
    pub fn parse(text: &str) -> Result<LeafRecord, String> {
        let record: LeafRecord = serde_json::from_str(text).map_err(|e| e.to_string())?;
        if record.to_text() != text {
            return Err("not in canonical form (keys sorted, no whitespace)".into());
        }
        Ok(record)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record() -> LeafRecord {
        LeafRecord {
            event_sha256: event_sha256("{}"),
            outcome: "BLOCK".into(),
            position: 7,
            policy_hash: Some("sha256:ab".into()),
            rule_outcomes: Some(vec![RuleOutcome {
                package: "p".into(),
                rule: "r".into(),
                file: "p.rego".into(),
                line: 3,
                title: Some("T \"quoted\"".into()),
                citations: Vec::new(),
                severity: None,
                fired: true,
            }]),
            source: "import".into(),
            version: Some("gfr@1.0.0".into()),
        }
    }

    #[test]
    fn text_is_canonical_json_and_reads_back() {
        let r = record();
        let text = r.to_text();
        let value: serde_json::Value = serde_json::from_str(&text).unwrap();
        assert_eq!(canonical_json(&value), text);
        assert_eq!(LeafRecord::parse(&text).unwrap(), r);
        let bare = LeafRecord {
            policy_hash: None,
            rule_outcomes: None,
            version: None,
            ..r
        };
        assert_eq!(LeafRecord::parse(&bare.to_text()).unwrap(), bare);
    }

    #[test]
    fn anything_else_is_refused() {
        let text = record().to_text();
        assert!(
            LeafRecord::parse(&text.replace("{\"event_sha256\"", "{ \"event_sha256\"")).is_err()
        );
        assert!(LeafRecord::parse(&text.replace("\"source\"", "\"extra\":1,\"source\"")).is_err());
        assert!(LeafRecord::parse("{\"event_sha256\":\"x\"}").is_err());
        assert!(LeafRecord::parse("not json").is_err());
    }
}
