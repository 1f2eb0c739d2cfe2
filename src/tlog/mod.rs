//! Transparency-log pieces, apart from the store: RFC 9162 Merkle hashing
//! and proofs, C2SP signed notes and checkpoints, the log key, the record a
//! decision's leaf hashes, and inclusion proofs an auditor checks offline.

pub mod key;
pub mod merkle;
pub mod note;
pub mod proof;
pub mod record;

use serde::Serializer;

/// A hash as JSON: lowercase hex.
pub fn serialize_hash<S: Serializer>(h: &merkle::Hash, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(&hex::encode(h))
}

/// A hash as a checkpoint writes it: standard base64.
pub fn base64_hash(h: &merkle::Hash) -> String {
    data_encoding::BASE64.encode(h)
}
