//! The bundle `.manifest` (JSON), as OPA defines it. Gavel reads `revision`,
//! `roots`, `rego_version` and `metadata` (from which `metadata.name`).

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Manifest {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub revision: Option<String>,
    /// Absent means `[""]`: the bundle owns the whole data tree.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub roots: Option<Vec<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rego_version: Option<u8>,
    #[serde(default, skip_serializing_if = "Map::is_empty")]
    pub metadata: Map<String, Value>,
}

impl Manifest {
    /// Parses manifest text; `file` names it in errors.
    pub fn parse(text: &str) -> Result<Manifest, String> {
        let value: Value = serde_json::from_str(text)
            .map_err(|e| format!("{}:{}: invalid JSON: {e}", e.line(), e.column()))?;
        let Value::Object(obj) = &value else {
            return Err("1:1: a manifest must be a JSON object".into());
        };
        if let Some(v) = obj.get("revision")
            && !v.is_string()
        {
            return Err(format!("1:1: 'revision' must be a string, found {v}"));
        }
        if let Some(v) = obj.get("rego_version")
            && !matches!(v.as_u64(), Some(0 | 1))
        {
            return Err(format!("1:1: 'rego_version' must be 0 or 1, found {v}"));
        }
        if let Some(v) = obj.get("roots")
            && !v.as_array().is_some_and(|a| a.iter().all(Value::is_string))
        {
            return Err(format!("1:1: 'roots' must be a list of strings, found {v}"));
        }
        if let Some(v) = obj.get("metadata")
            && !v.is_object()
        {
            return Err(format!("1:1: 'metadata' must be an object, found {v}"));
        }
        serde_json::from_value(value).map_err(|e| format!("1:1: {e}"))
    }

    /// `metadata.name`, when it is a string.
    pub fn name(&self) -> Option<&str> {
        self.metadata.get("name").and_then(Value::as_str)
    }

    /// The roots, with OPA's default.
    pub fn roots(&self) -> Vec<String> {
        self.roots.clone().unwrap_or_else(|| vec![String::new()])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_fields_gavel_uses() {
        let m = Manifest::parse(
            r#"{"revision": "1.1.0", "roots": ["gfr"], "rego_version": 0,
                "metadata": {"name": "gfr-procurement", "owner": "x"}, "extra": 1}"#,
        )
        .unwrap();
        assert_eq!(m.revision.as_deref(), Some("1.1.0"));
        assert_eq!(m.roots(), ["gfr"]);
        assert_eq!(m.rego_version, Some(0));
        assert_eq!(m.name(), Some("gfr-procurement"));
    }

    #[test]
    fn defaults_and_errors() {
        let m = Manifest::parse("{}").unwrap();
        assert_eq!(m.roots(), [""]);
        assert!(Manifest::parse("{").unwrap_err().contains("invalid JSON"));
        assert!(Manifest::parse("[]").is_err());
        assert!(Manifest::parse(r#"{"rego_version": 2}"#).is_err());
        assert!(Manifest::parse(r#"{"revision": 3}"#).is_err());
        assert!(Manifest::parse(r#"{"roots": "x"}"#).is_err());
    }
}
