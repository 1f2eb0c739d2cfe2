//! Canonical JSON: object keys sorted at every level, no whitespace. Hashes
//! (the decision chain) and result comparisons (replay) use it, so it must
//! not depend on how a map happens to be ordered.

use serde_json::Value;

/// The canonical text of a JSON value.
pub fn canonical_json(v: &Value) -> String {
    if maps_are_sorted() {
        // serde_json's own compact writer gives the same text, much faster.
        return serde_json::to_string(v).unwrap_or_default();
    }
    let mut out = String::new();
    write(v, &mut out);
    out
}

/// Whether serde_json's maps keep keys sorted (they do unless some crate in
/// the build turns on its `preserve_order` feature): checked once.
fn maps_are_sorted() -> bool {
    static SORTED: std::sync::OnceLock<bool> = std::sync::OnceLock::new();
    *SORTED.get_or_init(|| {
        let v: Value = serde_json::from_str(r#"{"b":1,"a":{"d":1,"c":2}}"#).unwrap_or(Value::Null);
        serde_json::to_string(&v).is_ok_and(|s| s == r#"{"a":{"c":2,"d":1},"b":1}"#)
    })
}

fn write(v: &Value, out: &mut String) {
    match v {
        Value::Object(m) => {
            let mut keys: Vec<&String> = m.keys().collect();
            keys.sort();
            out.push('{');
            for (i, k) in keys.into_iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                out.push_str(&Value::String(k.clone()).to_string());
                out.push(':');
                write(&m[k], out);
            }
            out.push('}');
        }
        Value::Array(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write(item, out);
            }
            out.push(']');
        }
        scalar => out.push_str(&scalar.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn both_writers_agree() {
        let v: Value =
            serde_json::from_str(r#"{"z": [1.5, -2, "\u00e9\n"], "a": {"y": null, "b": true}}"#)
                .unwrap();
        let mut slow = String::new();
        write(&v, &mut slow);
        assert_eq!(canonical_json(&v), slow);
    }

    #[test]
    fn sorted_and_compact() {
        let v: Value =
            serde_json::from_str(r#"{"b": [1, {"z": 1, "a": "x\n"}], "a": null}"#).unwrap();
        assert_eq!(
            canonical_json(&v),
            r#"{"a":null,"b":[1,{"a":"x\n","z":1}]}"#
        );
    }
}
