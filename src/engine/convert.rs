//! regorus values to and from serde_json.

use regorus::Value as RegoValue;
use serde_json::Value;

use crate::error::{Error, Result};

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
