//! Reading JSON (or YAML) documents the user gives: inputs, extra data.
//! Errors say where: `file:line:col`.

use std::io::Read;
use std::path::Path;

use serde_json::Value;

use crate::error::{Error, Result};

/// Parses JSON text; `origin` names it in errors.
pub fn parse_json(origin: &str, text: &str) -> Result<Value> {
    crate::json_text::parse(text).map_err(|e| {
        let (line, column) = crate::json_text::line_column(&e);
        Error::input(
            format!("{origin}:{line}:{column}"),
            format!("invalid JSON: {}", strip_position(&e.to_string())),
        )
    })
}

/// Reads a JSON document from a file, or stdin for `-`. Files ending in
/// `.yaml` / `.yml` are read as YAML.
pub fn read_document(path: &str) -> Result<Value> {
    if path == "-" {
        let mut text = String::new();
        std::io::stdin()
            .read_to_string(&mut text)
            .map_err(|e| Error::io("<stdin>", e))?;
        return parse_json("<stdin>", &text);
    }
    let bytes = std::fs::read(path).map_err(|e| Error::io(path, e))?;
    let text = String::from_utf8(bytes).map_err(|e| {
        Error::input(
            path,
            format!(
                "not UTF-8 text (invalid byte at offset {})",
                e.utf8_error().valid_up_to()
            ),
        )
    })?;
    let is_yaml = Path::new(path)
        .extension()
        .is_some_and(|e| e == "yaml" || e == "yml");
    if is_yaml {
        yaml_serde::from_str(&text).map_err(|e| {
            let line = e.location().map_or(1, |l| l.line());
            Error::input(format!("{path}:{line}"), format!("invalid YAML: {e}"))
        })
    } else {
        parse_json(path, &text)
    }
}

/// serde_json ends its messages with "at line L column C"; the location is
/// already in front.
fn strip_position(msg: &str) -> String {
    match msg.rfind(" at line ") {
        Some(i) => msg[..i].to_string(),
        None => msg.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn errors_say_where() {
        let err = parse_json("in.json", "{\n  \"a\": [1,\n}")
            .unwrap_err()
            .to_string();
        assert!(err.starts_with("in.json:3:1: invalid JSON"), "{err}");
        assert!(!err.contains("at line"), "{err}");
        let deep = "[".repeat(200) + &"]".repeat(200);
        let err = parse_json("deep.json", &deep).unwrap_err().to_string();
        assert!(err.contains("recursion limit"), "{err}");
    }
}
