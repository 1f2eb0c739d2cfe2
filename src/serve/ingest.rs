//! One decision-log upload from bytes to parsed events: the body inflated
//! within its limits, the JSON array split into its events (each kept as
//! the bytes that arrived, as `decisions import` keeps a line), and each
//! event parsed by the same `parse_line` the import uses. A bad event is
//! rejected with its index in the array and the reason; the others go on.

use serde::Serialize;

use super::limits::{BodyError, Encoding, decode};
use crate::decision_log::{ParsedLine, parse_line};

/// An event of an upload that was not stored, and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Rejected {
    /// Its 0-based index in the uploaded array.
    pub index: u64,
    pub reason: String,
}

/// An upload's events, parsed: the good ones to store, the bad ones with
/// their reasons.
#[derive(Default)]
pub struct ParsedUpload {
    pub received: u64,
    /// Each event's `line` is its index in the array.
    pub events: Vec<ParsedLine>,
    pub rejected: Vec<Rejected>,
}

/// What the server answers an upload that was read (2xx): what it held
/// and what became of it.
#[derive(Debug, Clone, Default, Serialize)]
pub struct UploadReport {
    /// Events in the upload.
    pub received: u64,
    /// Newly stored and chained.
    pub stored: u64,
    /// Already stored with the same content (a retried upload): skipped.
    pub already_stored: u64,
    /// Stored, naming a bundle revision that is no stored version.
    pub unknown_version: u64,
    /// Not stored: index in the array and reason.
    pub rejected: Vec<Rejected>,
}

/// Inflates and parses an upload's body.
pub fn parse_upload(
    body: &[u8],
    encoding: Encoding,
    max_decompressed: usize,
) -> Result<ParsedUpload, BodyError> {
    let text = decode(body, encoding, max_decompressed)?;
    let mut upload = ParsedUpload::default();
    for (index, item) in split_array(&text)?.into_iter().enumerate() {
        let index = index as u64;
        upload.received += 1;
        match parse_line(item, index) {
            Ok(p) => upload.events.push(p),
            Err(e) => upload.rejected.push(Rejected {
                index,
                reason: e.reason,
            }),
        }
    }
    Ok(upload)
}

/// The bytes of each element of a JSON array, as they arrived. serde_json
/// reads each element (`IgnoredAny` keeps no tree and nests without
/// recursion); only the array's own brackets and commas are looked at
/// here. An element that is not JSON makes the body unreadable past it: the
/// whole upload is refused, naming the element.
pub fn split_array(text: &[u8]) -> Result<Vec<&[u8]>, BodyError> {
    let malformed = |what: String| BodyError::Malformed(what);
    let text = std::str::from_utf8(text).map_err(|e| {
        malformed(format!(
            "the body is not UTF-8 (invalid byte at offset {})",
            e.valid_up_to()
        ))
    })?;
    let bytes = text.as_bytes();
    let skip_ws = |mut i: usize| {
        while i < bytes.len() && matches!(bytes[i], b' ' | b'\t' | b'\n' | b'\r') {
            i += 1;
        }
        i
    };
    // A byte-order mark is not JSON, but some writers put one first.
    let start = if text.starts_with('\u{feff}') { 3 } else { 0 };
    let mut i = skip_ws(start);
    if bytes.get(i) != Some(&b'[') {
        return Err(malformed(
            "the body is not a JSON array of decision events (OPA sends `[{...}, ...]`)".into(),
        ));
    }
    i = skip_ws(i + 1);
    let mut items = Vec::new();
    if bytes.get(i) == Some(&b']') {
        i += 1;
    } else {
        loop {
            let index = items.len();
            let mut stream =
                serde_json::Deserializer::from_str(&text[i..]).into_iter::<serde::de::IgnoredAny>();
            match stream.next() {
                Some(Ok(_)) => {}
                Some(Err(e)) if e.is_eof() => {
                    return Err(malformed(format!(
                        "event {index}: truncated JSON (the body ends inside it)"
                    )));
                }
                Some(Err(e)) => {
                    return Err(malformed(format!(
                        "event {index} is not JSON: {e} (counting from the event's start); nothing of the upload was stored"
                    )));
                }
                None => {
                    return Err(malformed(format!(
                        "the body ends where event {index} should start"
                    )));
                }
            }
            let end = i + stream.byte_offset();
            items.push(&bytes[i..end]);
            i = skip_ws(end);
            match bytes.get(i) {
                Some(b',') => i = skip_ws(i + 1),
                Some(b']') => {
                    i += 1;
                    break;
                }
                Some(_) => {
                    return Err(malformed(format!(
                        "after event {index}: expected `,` or `]` at byte {i}"
                    )));
                }
                None => {
                    return Err(malformed(format!(
                        "the array is not closed after event {index}"
                    )));
                }
            }
        }
    }
    if skip_ws(i) != bytes.len() {
        return Err(malformed(format!(
            "text after the array's closing `]` (byte {i})"
        )));
    }
    Ok(items)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn split(text: &str) -> Result<Vec<&str>, BodyError> {
        split_array(text.as_bytes()).map(|v| {
            v.into_iter()
                .map(|b| std::str::from_utf8(b).unwrap())
                .collect()
        })
    }

    #[test]
    fn elements_keep_their_bytes() {
        assert_eq!(
            split(" [ {\"a\": [1, {\"b\": \"],\"}]} ,1e2,\n\"x\" ,null,[]] \n").unwrap(),
            vec![
                "{\"a\": [1, {\"b\": \"],\"}]}",
                "1e2",
                "\"x\"",
                "null",
                "[]"
            ]
        );
        assert_eq!(split("[]").unwrap(), Vec::<&str>::new());
        assert_eq!(split("\u{feff}[ ]").unwrap(), Vec::<&str>::new());
    }

    #[test]
    fn a_broken_array_names_where() {
        let msg = |t: &str| split(t).unwrap_err().to_string();
        assert!(msg("{}").contains("not a JSON array"));
        assert!(
            msg("[{},{\"a\":}]").contains("event 1 is not JSON"),
            "{}",
            msg("[{},{\"a\":}]")
        );
        assert!(msg("[{}, {\"a\": 1").contains("event 1: truncated"));
        assert!(msg("[{} {}]").contains("after event 0"));
        assert!(msg("[{}").contains("not closed after event 0"));
        assert!(msg("[{},]").contains("event 1"));
        assert!(msg("[] x").contains("after the array"));
        assert!(msg("[1, 2").contains("not closed"));
        assert!(
            split_array(b"[\"\xff\"]")
                .unwrap_err()
                .to_string()
                .contains("UTF-8")
        );
    }

    #[test]
    fn deep_nesting_is_a_rejected_event_not_a_crash() {
        let deep = format!(
            "[{{\"decision_id\":\"d\",\"path\":\"p\",\"input\":{}{}}}, {{\"decision_id\":\"e\",\"path\":\"p\",\"input\":{{}}}}]",
            "[".repeat(200_000),
            "]".repeat(200_000)
        );
        let up = parse_upload(deep.as_bytes(), Encoding::Identity, 1 << 20).unwrap();
        assert_eq!(up.received, 2);
        assert_eq!(up.events.len(), 1);
        assert_eq!(up.rejected[0].index, 0);
        assert!(
            up.rejected[0].reason.contains("recursion limit"),
            "{:?}",
            up.rejected
        );
    }

    #[test]
    fn bad_events_are_rejected_by_index_and_the_rest_kept() {
        let body = r#"[{"decision_id":"a","path":"p","input":{}},
                       {"path":"p","input":{}},
                       7,
                       {"decision_id":"b","path":"p","input":{},"timestamp":"yesterday"},
                       {"decision_id":"c","path":"p","input":{"x":1},"result":true}]"#;
        let up = parse_upload(body.as_bytes(), Encoding::Identity, 1 << 20).unwrap();
        assert_eq!(up.received, 5);
        let ids: Vec<_> = up
            .events
            .iter()
            .map(|e| (e.line, e.decision_id.as_str()))
            .collect();
        assert_eq!(ids, vec![(0, "a"), (4, "c")]);
        assert_eq!(
            up.events[1].event,
            r#"{"decision_id":"c","path":"p","input":{"x":1},"result":true}"#
        );
        let rejected: Vec<_> = up
            .rejected
            .iter()
            .map(|r| (r.index, r.reason.as_str()))
            .collect();
        assert_eq!(rejected[0], (1, "missing decision_id"));
        assert_eq!(rejected[1], (2, "not a JSON object"));
        assert_eq!(rejected[2].0, 3);
        assert!(
            rejected[2].1.contains("not an RFC 3339 time"),
            "{:?}",
            rejected[2]
        );
    }
}
