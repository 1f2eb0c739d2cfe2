//! An inclusion proof of one decision, as a text file an auditor is sent
//! and checks offline with the log's checkpoint and verifier key, without
//! the store. It carries the decision itself (its event as it arrived and
//! the record its leaf hashes), so what is proven can be read:
//!
//! ```text
//! gavel inclusion proof v1
//! origin gavel/decisions/0123456789abcdef
//! decision "d-42"
//! position 42
//! size 1000
//! record {"event_sha256":"...","outcome":"BLOCK",...}
//! event {"decision_id":"d-42","input":{...},...}
//! hash <base64 of a 32-byte hash>        (one line each, RFC 9162 order)
//! ```

use super::merkle::{self, Hash};
use super::note::Checkpoint;
use super::record::{LeafRecord, event_sha256};

pub const HEADER: &str = "gavel inclusion proof v1";

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InclusionProof {
    pub origin: String,
    pub decision_id: String,
    /// 1-based log position (leaf index + 1).
    pub position: u64,
    pub size: u64,
    pub record: String,
    pub event: String,
    pub hashes: Vec<Hash>,
}

/// A parse error at a 1-based line of the proof file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProofFileError {
    pub line: usize,
    pub message: String,
}

impl InclusionProof {
    pub fn to_text(&self) -> String {
        let mut out = format!(
            "{HEADER}\norigin {}\ndecision {}\nposition {}\nsize {}\nrecord {}\nevent {}\n",
            self.origin,
            serde_json::to_string(&self.decision_id).unwrap_or_default(),
            self.position,
            self.size,
            self.record,
            self.event
        );
        for h in &self.hashes {
            out.push_str("hash ");
            out.push_str(&super::base64_hash(h));
            out.push('\n');
        }
        out
    }

    pub fn parse(text: &str) -> Result<InclusionProof, ProofFileError> {
        let err = |line: usize, message: String| ProofFileError { line, message };
        let lines: Vec<&str> = text.split('\n').collect();
        // A final newline leaves one empty piece; nothing else may be empty.
        let count = if lines.last() == Some(&"") {
            lines.len() - 1
        } else {
            lines.len()
        };
        if lines.first().map(|l| l.trim_end_matches('\r')) != Some(HEADER) {
            return Err(err(
                1,
                format!("not a Gavel inclusion proof (the first line must be `{HEADER}`)"),
            ));
        }
        let field = |n: usize, key: &str| -> Result<&str, ProofFileError> {
            let line = lines
                .get(n - 1)
                .filter(|_| n <= count)
                .ok_or_else(|| err(n, format!("the proof ends early: expected `{key} ...`")))?;
            line.strip_prefix(key)
                .and_then(|rest| rest.strip_prefix(' '))
                .ok_or_else(|| err(n, format!("expected `{key} ...`")))
        };
        let number = |n: usize, key: &str| -> Result<u64, ProofFileError> {
            let v = field(n, key)?;
            if v.is_empty()
                || !v.bytes().all(|b| b.is_ascii_digit())
                || (v.len() > 1 && v.starts_with('0'))
            {
                return Err(err(n, format!("{key} must be a decimal number, not `{v}`")));
            }
            v.parse()
                .map_err(|_| err(n, format!("{key} `{v}` is too large")))
        };
        let origin = field(2, "origin")?.to_string();
        if origin.is_empty() {
            return Err(err(2, "the origin is empty".into()));
        }
        let decision_id: String = serde_json::from_str(field(3, "decision")?)
            .map_err(|e| err(3, format!("the decision id must be a JSON string: {e}")))?;
        let position = number(4, "position")?;
        let size = number(5, "size")?;
        if position == 0 || position > size {
            return Err(err(
                4,
                format!("position {position} is not within a log of {size}"),
            ));
        }
        let record = field(6, "record")?.to_string();
        let event = field(7, "event")?.to_string();
        let mut hashes = Vec::new();
        for n in 8..=count {
            let b64 = field(n, "hash")?;
            let bytes = data_encoding::BASE64
                .decode(b64.as_bytes())
                .map_err(|e| err(n, format!("not base64: {e}")))?;
            let hash = Hash::try_from(bytes.as_slice())
                .map_err(|_| err(n, format!("a hash is 32 bytes, this one {}", bytes.len())))?;
            hashes.push(hash);
        }
        Ok(InclusionProof {
            origin,
            decision_id,
            position,
            size,
            record,
            event,
            hashes,
        })
    }

    /// Checks the proof against a checkpoint (whose signature the caller
    /// has checked): the event is the one the record hashes, the record is
    /// this decision's, and the path leads from its leaf to the signed root.
    pub fn verify(
        &self,
        checkpoint: &Checkpoint,
    ) -> Result<(LeafRecord, serde_json::Value), String> {
        if self.origin != checkpoint.origin {
            return Err(format!(
                "the proof is of the log {}, the checkpoint of {}",
                self.origin, checkpoint.origin
            ));
        }
        if self.size != checkpoint.size {
            return Err(format!(
                "the proof is for the log at size {}, the checkpoint is at size {}: prove against this checkpoint (gavel decisions prove ID --checkpoint FILE)",
                self.size, checkpoint.size
            ));
        }
        let record = LeafRecord::parse(&self.record)
            .map_err(|e| format!("the record cannot be read: {e}"))?;
        if record.position != self.position {
            return Err(format!(
                "the record was appended at position {}, the proof says {}",
                record.position, self.position
            ));
        }
        if event_sha256(&self.event) != record.event_sha256 {
            return Err("the event is not the one the record hashes (it was changed)".into());
        }
        let event: serde_json::Value =
            serde_json::from_str(&self.event).map_err(|e| format!("the event is not JSON: {e}"))?;
        if event.get("decision_id").and_then(|v| v.as_str()) != Some(self.decision_id.as_str()) {
            return Err("the event is of another decision".into());
        }
        let leaf = merkle::leaf_hash(self.record.as_bytes());
        merkle::verify_inclusion(
            self.position - 1,
            self.size,
            &leaf,
            &self.hashes,
            &checkpoint.root,
        )
        .map_err(|e| e.to_string())?;
        Ok((record, event))
    }
}
