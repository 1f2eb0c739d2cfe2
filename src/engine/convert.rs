//! regorus values to and from serde_json.

use regorus::Value as RegoValue;
use serde_json::Value;

use crate::error::{Error, Result};

/// A JSON document as a regorus value, built directly: regorus's own
/// `From<serde_json::Value>` takes the value by move and goes through
/// serde's deserializer, about half again as slow, and every replayed
/// decision's input passes here. Numbers are read as that deserializer
/// reads them (unsigned, then signed, then float).
pub fn to_rego(v: &Value) -> RegoValue {
    match v {
        Value::Null => RegoValue::Null,
        Value::Bool(b) => RegoValue::Bool(*b),
        Value::Number(n) => match (n.as_u64(), n.as_i64(), n.as_f64()) {
            (Some(u), _, _) => RegoValue::from(u),
            (None, Some(i), _) => RegoValue::from(i),
            (None, None, Some(f)) => RegoValue::from(f),
            (None, None, None) => RegoValue::Undefined,
        },
        Value::String(s) => RegoValue::from(s.as_str()),
        Value::Array(items) => RegoValue::from(items.iter().map(to_rego).collect::<Vec<_>>()),
        Value::Object(m) => RegoValue::from(
            m.iter()
                .map(|(k, v)| (RegoValue::from(k.as_str()), to_rego(v)))
                .collect::<std::collections::BTreeMap<_, _>>(),
        ),
    }
}

/// `None` for undefined; sets become sorted arrays, as OPA serialises them.
pub fn to_json(v: &RegoValue) -> Result<Option<Value>> {
    if *v == RegoValue::Undefined {
        return Ok(None);
    }
    serde_json::to_value(v)
        .map(Some)
        .map_err(|e| Error::Engine(format!("result is not JSON: {e}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn direct_conversion_is_regorus_own() {
        for text in [
            r#"{"a": [1, -2, 2.5, 1e300, 18446744073709551615, -9223372036854775808], "b": {"c": null, "d": true, "e": "é\u0000"}, "": []}"#,
            "[]",
            "{}",
            "0.0",
            "-0.0",
            "\"s\"",
        ] {
            let v: Value = serde_json::from_str(text).unwrap();
            assert_eq!(to_rego(&v), RegoValue::from(v.clone()), "{text}");
        }
        for line in include_str!("../../sample-decisions/pmla-kyc.jsonl").lines() {
            let e: Value = serde_json::from_str(line).unwrap();
            assert_eq!(to_rego(&e["input"]), RegoValue::from(e["input"].clone()));
        }
    }

    #[test]
    fn conversions() {
        assert_eq!(to_json(&RegoValue::Undefined).unwrap(), None);
        let v = RegoValue::from_json_str(r#"{"b": [1, 2.5, "x"], "a": null}"#).unwrap();
        assert_eq!(
            to_json(&v).unwrap(),
            Some(serde_json::json!({"a": null, "b": [1, 2.5, "x"]}))
        );
        let mut set = std::collections::BTreeSet::new();
        set.insert(RegoValue::from("b"));
        set.insert(RegoValue::from("a"));
        let s = RegoValue::from(set);
        assert_eq!(to_json(&s).unwrap(), Some(serde_json::json!(["a", "b"])));
    }
}
