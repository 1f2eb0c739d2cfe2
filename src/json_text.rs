//! JSON read as OPA reads it: every number keeps the text it was written
//! with. serde_json (with `arbitrary_precision`) keeps a number's digits
//! but respells its exponent (`1E2` and `1e2` both become `1e+2`); OPA keeps
//! `1E2`, so a decision exported again says what was received.
//!
//! A number whose value has more than [`MAX_DIGITS`] integer digits
//! (`1e999999999`) is refused as out of range: the engine holds integers
//! exactly, and that many digits would take it minutes and gigabytes.

use serde::de::Error as _;
use serde_json::{Number, Value};

/// Writes `s` as a JSON string the way Go's `encoding/json` does:
/// control characters as `\u00XX` (bar the short escapes), U+2028 and
/// U+2029 escaped, and `<`, `>`, `&` escaped too when `escape_html` (Go's
/// default; `SetEscapeHTML(false)` turns it off). OPA hashes and signs
/// such text, so it must match byte for byte.
pub fn write_go_string(s: &str, escape_html: bool, out: &mut String) {
    use std::fmt::Write as _;
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            '\u{2028}' | '\u{2029}' => {
                let _ = write!(out, "\\u{:04x}", u32::from(c));
            }
            '<' | '>' | '&' if escape_html => {
                let _ = write!(out, "\\u{:04x}", u32::from(c));
            }
            c if u32::from(c) < 0x20 => {
                let _ = write!(out, "\\u{:04x}", u32::from(c));
            }
            c => out.push(c),
        }
    }
    out.push('"');
}

/// The most integer digits a number read from JSON may have.
pub const MAX_DIGITS: u64 = 100_000;

/// Parses JSON text, keeping every number's text as written.
pub fn parse(text: &str) -> serde_json::Result<Value> {
    let mut value: Value = serde_json::from_str(text)?;
    if has_exponent(text.as_bytes()) {
        let mut walk = Walk {
            text: text.as_bytes(),
            at: 0,
            line: 1,
            line_start: 0,
        };
        walk.value(Some(&mut value))?;
    }
    Ok(value)
}

/// Checks that every number in (valid) JSON text is within [`MAX_DIGITS`],
/// as [`parse`] does, without a parsed tree: the same error.
pub fn check_numbers(text: &str) -> serde_json::Result<()> {
    if !has_exponent(text.as_bytes()) {
        return Ok(());
    }
    Walk {
        text: text.as_bytes(),
        at: 0,
        line: 1,
        line_start: 0,
    }
    .value(None)
}

/// Parses a JSON object (a stored decision event), keeping number text.
pub fn parse_object(text: &str) -> serde_json::Result<serde_json::Map<String, Value>> {
    match parse(text)? {
        Value::Object(m) => Ok(m),
        _ => Err(serde_json::Error::custom("not a JSON object")),
    }
}

/// Where an error of `parse` is: serde_json's own position, or the one
/// written in the message of a number out of range.
pub fn line_column(e: &serde_json::Error) -> (usize, usize) {
    if e.line() > 0 {
        return (e.line(), e.column());
    }
    let msg = e.to_string();
    let position = msg.rsplit_once(" at line ").and_then(|(_, p)| {
        let (line, column) = p.split_once(" column ")?;
        Some((line.parse().ok()?, column.parse().ok()?))
    });
    position.unwrap_or((0, 0))
}

/// Whether any number in `text` (valid JSON) has an exponent: an `e` or
/// `E` outside strings other than the one in `true` and `false`.
fn has_exponent(text: &[u8]) -> bool {
    let mut in_string = false;
    let mut escaped = false;
    for (i, &b) in text.iter().enumerate() {
        if in_string {
            match b {
                _ if escaped => escaped = false,
                b'\\' => escaped = true,
                b'"' => in_string = false,
                _ => {}
            }
            continue;
        }
        match b {
            b'"' => in_string = true,
            b'E' => return true,
            b'e' if i > 0 && text[i - 1].is_ascii_digit() => return true,
            _ => {}
        }
    }
    false
}

/// Whether a number's text (valid JSON) is within [`MAX_DIGITS`].
pub fn within_range(number: &str) -> bool {
    !number.contains(['e', 'E']) || integer_digits(number).is_some_and(|d| d <= MAX_DIGITS)
}

/// The integer digits of the value a number's text spells (0 for a
/// fraction), or `None` when it is past any bound worth counting.
fn integer_digits(text: &str) -> Option<u64> {
    let unsigned = text.strip_prefix('-').unwrap_or(text);
    let (mantissa, exponent) = match unsigned.split_once(['e', 'E']) {
        // An exponent past i64 below zero is a fraction (0 digits).
        Some((_, e)) if e.starts_with('-') && e.parse::<i64>().is_err() => return Some(0),
        Some((m, e)) => (m, e.strip_prefix('+').unwrap_or(e).parse::<i64>().ok()?),
        None => (unsigned, 0),
    };
    let (whole, fraction) = mantissa.split_once('.').unwrap_or((mantissa, ""));
    let whole = whole.trim_start_matches('0');
    // Where the first significant digit sits, counted from the point.
    let first = if whole.is_empty() {
        match fraction.find(|c| c != '0') {
            Some(zeros) => -i64::try_from(zeros).ok()?,
            None => return Some(0),
        }
    } else {
        i64::try_from(whole.len()).ok()?
    };
    Some(u64::try_from(first.checked_add(exponent)?).unwrap_or(0))
}

/// A walk of the (already valid) text beside the value parsed from it.
struct Walk<'a> {
    text: &'a [u8],
    at: usize,
    line: usize,
    line_start: usize,
}

impl Walk<'_> {
    fn skip_space(&mut self) {
        while let Some(&b) = self.text.get(self.at) {
            match b {
                b'\n' => {
                    self.at += 1;
                    self.line += 1;
                    self.line_start = self.at;
                }
                b' ' | b'\t' | b'\r' => self.at += 1,
                _ => break,
            }
        }
    }

    fn peek(&self) -> u8 {
        self.text.get(self.at).copied().unwrap_or(0)
    }

    /// Reads one value; `slot` is where the parsed tree holds it, if it
    /// does (a duplicate key's earlier value may have no place there).
    fn value(&mut self, slot: Option<&mut Value>) -> serde_json::Result<()> {
        self.skip_space();
        match self.peek() {
            b'{' => {
                self.at += 1;
                let mut map = match slot {
                    Some(Value::Object(m)) => Some(m),
                    _ => None,
                };
                loop {
                    self.skip_space();
                    match self.peek() {
                        b'}' => {
                            self.at += 1;
                            return Ok(());
                        }
                        b',' => self.at += 1,
                        _ => {
                            let key = self.string()?;
                            self.skip_space();
                            self.at += 1; // ':'
                            // Of duplicate keys the tree holds the last; it
                            // is walked last, so its text is what stays.
                            let child = map.as_mut().and_then(|m| m.get_mut(&key));
                            self.value(child)?;
                        }
                    }
                }
            }
            b'[' => {
                self.at += 1;
                let mut items = match slot {
                    Some(Value::Array(a)) => Some(a.iter_mut()),
                    _ => None,
                };
                loop {
                    self.skip_space();
                    match self.peek() {
                        b']' => {
                            self.at += 1;
                            return Ok(());
                        }
                        b',' => self.at += 1,
                        _ => {
                            let child = items.as_mut().and_then(Iterator::next);
                            self.value(child)?;
                        }
                    }
                }
            }
            b'"' => self.string().map(drop),
            b't' | b'n' => {
                self.at += 4;
                Ok(())
            }
            b'f' => {
                self.at += 5;
                Ok(())
            }
            _ => self.number(slot),
        }
    }

    fn number(&mut self, slot: Option<&mut Value>) -> serde_json::Result<()> {
        let start = self.at;
        while matches!(self.peek(), b'0'..=b'9' | b'-' | b'+' | b'.' | b'e' | b'E') {
            self.at += 1;
        }
        // The text is valid JSON, so this slice is one number token.
        let token = std::str::from_utf8(&self.text[start..self.at]).unwrap_or("0");
        if !within_range(token) {
            return Err(serde_json::Error::custom(format!(
                "number out of range at line {} column {}",
                self.line,
                start - self.line_start + 1
            )));
        }
        if let Some(Value::Number(n)) = slot
            && n.as_str() != token
        {
            *n = Number::from_string_unchecked(token.to_string());
        }
        Ok(())
    }

    /// Reads a string token and returns its value.
    fn string(&mut self) -> serde_json::Result<String> {
        let start = self.at;
        self.at += 1;
        let mut escaped = false;
        while let Some(&b) = self.text.get(self.at) {
            self.at += 1;
            match b {
                _ if escaped => escaped = false,
                b'\\' => escaped = true,
                b'"' => break,
                _ => {}
            }
        }
        let raw = std::str::from_utf8(&self.text[start..self.at]).unwrap_or("\"\"");
        if raw.contains('\\') {
            serde_json::from_str(raw)
        } else {
            Ok(raw[1..raw.len() - 1].to_string())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_keep_their_text() {
        let text = r#"{"a": [1E2, 1e2, 1e+2, 2.5E-3, 1.0, 123456789012345678901234567890, -0, 1e400],
            "b": {"c": 10E1, "true": "e1E", "d\"e": 3e0}, "z": true, "n": null, "f": false}"#;
        let v = parse(text).unwrap();
        let compact = crate::canonical::canonical_json(&v);
        assert_eq!(
            compact,
            r#"{"a":[1E2,1e2,1e+2,2.5E-3,1.0,123456789012345678901234567890,-0,1e400],"b":{"c":10E1,"d\"e":3e0,"true":"e1E"},"f":false,"n":null,"z":true}"#
        );
    }

    #[test]
    fn the_last_of_duplicate_keys_is_kept() {
        let v = parse(r#"{"a": 1E1, "b": [2E0], "a": {"x": 3E0}, "b": 4E0}"#).unwrap();
        assert_eq!(
            crate::canonical::canonical_json(&v),
            r#"{"a":{"x":3E0},"b":4E0}"#
        );
    }

    #[test]
    fn numbers_past_the_bound_are_refused() {
        assert!(parse("[1e99999]").is_ok());
        assert!(parse("[0.001e100002]").is_ok());
        let e = parse("{\n \"x\": 1e999999999}").unwrap_err();
        assert_eq!(e.to_string(), "number out of range at line 2 column 7");
        assert_eq!(line_column(&e), (2, 7));
        assert!(parse("1e99999999999999999999").is_err());
        assert!(parse("1e-99999999999999999999").is_ok());
        assert!(parse("0e999999999").is_ok());
    }

    #[test]
    fn bad_json_is_serde_json_s_error() {
        let e = parse("{\"a\": 1e}").unwrap_err();
        assert!(e.line() == 1 && e.column() > 0, "{e}");
    }
}
