//! regorus values to and from serde_json.

use regorus::Value as RegoValue;
use serde_json::Value;

use crate::error::{Error, Result};

/// A JSON document as a regorus value, built directly: regorus's own
/// `From<serde_json::Value>` takes the value by move and goes through
/// serde's deserializer, about half again as slow, and every replayed
/// decision's input passes here. Numbers are read as that deserializer
/// reads them: exactly, as OPA holds them (`123456789012345678901234567890`
/// and `1e400` are integers, `1.0` equals `1`).
pub fn to_rego(v: &Value) -> RegoValue {
    match v {
        Value::Null => RegoValue::Null,
        Value::Bool(b) => RegoValue::Bool(*b),
        Value::Number(n) => number_to_rego(n),
        Value::String(s) => RegoValue::from(s.as_str()),
        Value::Array(items) => RegoValue::from(items.iter().map(to_rego).collect::<Vec<_>>()),
        Value::Object(m) => RegoValue::from(
            m.iter()
                .map(|(k, v)| (RegoValue::from(k.as_str()), to_rego(v)))
                .collect::<std::collections::BTreeMap<_, _>>(),
        ),
    }
}

/// A JSON number as the engine's number. Small integers are read at once;
/// any other goes through regorus's own reading of the text (big integers
/// and exponents exactly, fractions as float64). A number too large to
/// hold (see `json_text::MAX_DIGITS`; the JSON readers refuse those) is
/// undefined.
pub fn number_to_rego(n: &serde_json::Number) -> RegoValue {
    if let Some(u) = n.as_u64() {
        return RegoValue::from(u);
    }
    if let Some(i) = n.as_i64() {
        return RegoValue::from(i);
    }
    let text = n.as_str();
    // A fraction without an exponent is float64 in regorus's reading too;
    // read it at once (the deserializer's way costs replay about a tenth).
    if text.contains('.')
        && !text.contains(['e', 'E'])
        && let Ok(f) = text.parse::<f64>()
        && f.is_finite()
    {
        return RegoValue::from(f);
    }
    if !crate::json_text::within_range(text) {
        return RegoValue::Undefined;
    }
    <RegoValue as serde::Deserialize>::deserialize(n).unwrap_or(RegoValue::Undefined)
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

/// `None` for undefined; sets become sorted arrays, as OPA serialises them;
/// numbers as OPA prints them (`number_text`). A key that is not a string
/// is written as its JSON text, as regorus writes it.
pub fn to_json(v: &RegoValue) -> Result<Option<Value>> {
    if *v == RegoValue::Undefined {
        return Ok(None);
    }
    json_of(v).map(Some)
}

fn json_of(v: &RegoValue) -> Result<Value> {
    Ok(match v {
        RegoValue::Null => Value::Null,
        RegoValue::Bool(b) => Value::Bool(*b),
        RegoValue::String(s) => Value::String(s.to_string()),
        RegoValue::Number(n) => {
            let text = number_text(v)
                .ok_or_else(|| Error::Engine(format!("result is not JSON: the number {n:?}")))?;
            Value::Number(serde_json::from_str(&text).map_err(|e| {
                Error::Engine(format!("result is not JSON: the number {text}: {e}"))
            })?)
        }
        RegoValue::Array(items) => Value::Array(items.iter().map(json_of).collect::<Result<_>>()?),
        RegoValue::Set(items) => Value::Array(items.iter().map(json_of).collect::<Result<_>>()?),
        RegoValue::Object(m) => {
            let mut out = serde_json::Map::new();
            for (k, v) in m.iter() {
                let key = match k {
                    RegoValue::String(s) => s.to_string(),
                    other => json_of(other)?.to_string(),
                };
                out.insert(key, json_of(v)?);
            }
            Value::Object(out)
        }
        RegoValue::Undefined => Value::String("<undefined>".into()),
    })
}

/// A computed number's text as OPA prints it: an integer (however large,
/// and a float64 with no fraction) as its decimal digits; any other float
/// in Go's `%g` with the shortest digits (`0.5`, `123456.5`,
/// `1.2345675e+06`, `1e-07`). `None` for NaN and infinities, which are
/// not JSON, and for a value that is not a number.
pub fn number_text(v: &RegoValue) -> Option<String> {
    let RegoValue::Number(n) = v else {
        return None;
    };
    let decimal = n.format_decimal();
    let Ok(f) = decimal.parse::<f64>() else {
        return None;
    };
    // `-0` is `0`: they are one number (OPA compares them equal).
    if f == 0.0 {
        return Some("0".to_string());
    }
    if decimal.bytes().all(|b| b.is_ascii_digit() || b == b'-') {
        return Some(decimal);
    }
    if !f.is_finite() {
        return None;
    }
    Some(go_g(f))
}

/// `f` (finite, with a fraction) as Go's `strconv`/`big.Float` `%g` with
/// the shortest digits: `%e` when the exponent is below -4 or at least 6.
fn go_g(f: f64) -> String {
    let e = format!("{f:e}"); // shortest digits: "1.2345675e6", "-5e-1"
    let Some((mantissa, exponent)) = e.split_once('e') else {
        return e;
    };
    let exponent: i32 = exponent.parse().unwrap_or(0);
    if (-4..6).contains(&exponent) {
        return f.to_string();
    }
    let sign = if exponent < 0 { '-' } else { '+' };
    format!("{mantissa}e{sign}{:02}", exponent.unsigned_abs())
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

    /// Computed numbers print as OPA 1.20 prints them (checked with the
    /// reference engine): integers, however large, as digits; fractions in
    /// Go's `%g`.
    #[test]
    fn numbers_print_as_opa_prints_them() {
        let src = "package p\n\nv := [bits.lsh(1, 100), 1e400 * 10, 1e400, 0.5 * 1, 123456.5 * 1, 1234567.5 * 1, 1e-7 * 1, 2.5e-5 * 1, 10 / 4, 10 / 5, 1.5 * 2, 1e15 * 10, -0.25 * 1]\n";
        let b =
            crate::bundle::Bundle::from_texts([("p.rego".to_string(), src.to_string())]).unwrap();
        let p =
            crate::engine::LoadedPolicy::load(&b, crate::engine::LoadOptions::new(false)).unwrap();
        let v = p.engine().clone().eval_rule("data.p.v".into()).unwrap();
        let text = crate::canonical::canonical_json(&to_json(&v).unwrap().unwrap());
        let ten_400 = format!("1{}", "0".repeat(400));
        assert_eq!(
            text,
            format!(
                "[1267650600228229401496703205376,{ten_400}0,{ten_400},0.5,123456.5,1.2345675e+06,1e-07,2.5e-05,2.5,2,3,10000000000000000,-0.25]"
            )
        );
    }

    #[test]
    fn json_numbers_are_read_exactly() {
        let v: Value = crate::json_text::parse(
            r#"[123456789012345678901234567890, 1e400, 1E2, 1.0, 1.5, -0, 18446744073709551616]"#,
        )
        .unwrap();
        let r = to_rego(&v);
        let expected = RegoValue::from_json_str(&format!(
            "[123456789012345678901234567890, 1{}, 100, 1, 1.5, 0, 18446744073709551616]",
            "0".repeat(400)
        ))
        .unwrap();
        assert_eq!(r, expected);
        // Back out, integers are digits again.
        assert_eq!(
            to_json(&r).unwrap().unwrap().to_string(),
            format!(
                "[123456789012345678901234567890,1{},100,1,1.5,0,18446744073709551616]",
                "0".repeat(400)
            )
        );
    }
}
