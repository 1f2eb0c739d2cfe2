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

/// A copy of `v` that shares no reference count with it (a `clone` shares
/// every string, array, set and object). Each replay worker's VM gets its
/// own program and data this way: the VM bumps those counts on every
/// literal it loads and every value it reads, and two cores bumping the same
/// counts took turns at them.
pub fn deep_copy(v: &RegoValue) -> RegoValue {
    match v {
        RegoValue::String(s) => RegoValue::from(s.as_ref()),
        RegoValue::Array(items) => RegoValue::from(items.iter().map(deep_copy).collect::<Vec<_>>()),
        RegoValue::Set(items) => RegoValue::from(
            items
                .iter()
                .map(deep_copy)
                .collect::<std::collections::BTreeSet<_>>(),
        ),
        RegoValue::Object(m) => RegoValue::from(
            m.iter()
                .map(|(k, v)| (deep_copy(k), deep_copy(v)))
                .collect::<std::collections::BTreeMap<_, _>>(),
        ),
        // Numbers are plain (a big integer is rare and read-only here).
        other => other.clone(),
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
    fn a_deep_copy_is_equal_and_shares_nothing() {
        let v =
            RegoValue::from_json_str(r#"{"a": ["x", {"b": "y"}], "c": 1.5, "d": null}"#).unwrap();
        let mut set = std::collections::BTreeSet::new();
        set.insert(v.clone());
        let v = RegoValue::from(vec![v, RegoValue::from(set)]);
        let copy = deep_copy(&v);
        assert_eq!(copy, v);
        let (RegoValue::Array(a), RegoValue::Array(b)) = (&v, &copy) else {
            unreachable!()
        };
        assert!(!std::ptr::eq(a.as_ref(), b.as_ref()));
        let inner = |x: &RegoValue| x.as_array().unwrap()[0].clone();
        let (RegoValue::Object(a), RegoValue::Object(b)) = (inner(&v), inner(&copy)) else {
            unreachable!()
        };
        assert!(!regorus::Rc::ptr_eq(&a, &b));
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
