//! Evaluating a stored version on an input, and recording the decision in
//! OPA's decision-log shape so that replay can find it.

use serde_json::{Map, Value, json};

use crate::engine::{EvalRequest, Evaluation, clock, resolve_entrypoint};
use crate::error::Result;
use crate::policy_version::PolicyVersion;
use crate::store::{DecisionRecord, Store};

/// Evaluates `entrypoint` (or the version's marked one) on `input`, with
/// `time.now_ns` pinned to `now_ns`.
pub fn evaluate(
    version: &PolicyVersion,
    entrypoint: Option<&str>,
    input: &Value,
    extra_data: Option<&Value>,
    now_ns: i64,
) -> Result<Evaluation> {
    let entrypoint = resolve_entrypoint(&version.rules, entrypoint)?;
    version.policy.evaluate(
        &version.rules,
        &EvalRequest {
            entrypoint: &entrypoint,
            input,
            extra_data,
            now_ns,
        },
    )
}

/// The decision-log event of an evaluation, as OPA would write it, with a
/// new decision id. `time.now_ns` and the other non-deterministic builtins
/// the evaluation called go into `nd_builtin_cache` as OPA records them, so
/// replay answers them the same way.
pub fn decision_record(
    version: &PolicyVersion,
    eval: &Evaluation,
    input: &Value,
) -> DecisionRecord {
    let mut event = Map::new();
    event.insert(
        "decision_id".into(),
        Value::String(uuid::Uuid::new_v4().to_string()),
    );
    event.insert("path".into(), Value::String(eval.entrypoint.clone()));
    event.insert("input".into(), input.clone());
    if let Some(result) = &eval.result {
        event.insert("result".into(), result.clone());
    }
    event.insert(
        "timestamp".into(),
        Value::String(clock::format_rfc3339_ns(eval.now_ns)),
    );
    event.insert(
        "bundles".into(),
        json!({ version.summary.name.clone(): {"revision": version.summary.version.clone()} }),
    );
    let mut nd = eval.nd_calls.to_event();
    if let Value::Object(calls) = &mut nd {
        calls.insert("time.now_ns".into(), json!({"[]": eval.now_ns}));
    }
    event.insert("nd_builtin_cache".into(), nd);
    event.insert(
        "metrics".into(),
        json!({"timer_rego_query_eval_ns": eval.duration_ns}),
    );
    event.insert("labels".into(), json!({"app": "gavel"}));
    DecisionRecord {
        event,
        outcome: eval.outcome.clone(),
        policy_hash: Some(version.summary.content_hash.clone()),
        rule_outcomes: Some(eval.rule_outcomes.clone()),
        version_id: Some(version.summary.id),
        source: "eval".into(),
    }
}

/// Stores an evaluation as a decision and returns its id.
pub fn record(
    store: &mut Store,
    version: &PolicyVersion,
    eval: &Evaluation,
    input: &Value,
) -> Result<String> {
    let rec = decision_record(version, eval, input);
    let id = rec.decision_id().to_string();
    store.append_decisions(std::slice::from_ref(&rec))?;
    Ok(id)
}
