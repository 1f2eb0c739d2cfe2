//! The outcome of a decision (DESIGN 3.3): the `outcome` string of the Gavel
//! decision shape, else allow/deny for booleans and deny-style collections,
//! else `undefined` when the entrypoint produced nothing.

use serde_json::Value;

/// Extracts the outcome word from a result (`None` = undefined).
pub fn outcome_of(result: Option<&Value>) -> String {
    match result {
        None => "undefined".into(),
        Some(Value::Object(m)) => match m.get("outcome") {
            Some(Value::String(s)) => s.clone(),
            // An `allow`-style object without the Gavel shape.
            _ => match m.get("allow") {
                Some(Value::Bool(true)) => "allow".into(),
                Some(Value::Bool(false)) => "deny".into(),
                _ => "defined".into(),
            },
        },
        Some(Value::Bool(true)) => "allow".into(),
        Some(Value::Bool(false)) => "deny".into(),
        Some(Value::Array(items)) => if items.is_empty() { "allow" } else { "deny" }.into(),
        Some(Value::String(s)) => s.clone(),
        Some(_) => "defined".into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn outcomes() {
        assert_eq!(
            outcome_of(Some(&json!({"outcome": "BLOCK", "reasons": []}))),
            "BLOCK"
        );
        assert_eq!(outcome_of(Some(&json!(true))), "allow");
        assert_eq!(outcome_of(Some(&json!(false))), "deny");
        assert_eq!(outcome_of(Some(&json!([]))), "allow");
        assert_eq!(outcome_of(Some(&json!(["no owner"]))), "deny");
        assert_eq!(outcome_of(None), "undefined");
        assert_eq!(outcome_of(Some(&json!({"allow": false}))), "deny");
        assert_eq!(outcome_of(Some(&json!(3))), "defined");
        assert_eq!(outcome_of(Some(&json!("ESCALATE"))), "ESCALATE");
    }
}
