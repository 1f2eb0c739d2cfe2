//! `gavel drift`: decisions made by a version that was not certified at the
//! time, or that the store does not hold, grouped by version (exit 1 when
//! any); decisions made by a certified version, under either revision form
//! (`1.1.0`, or the `NAME@VERSION sha256:HASH` of an exported bundle), are
//! not. The packet of a version reports its drift.

mod certify_support;

use certify_support::*;
use serde_json::{Value, json};

const V: &str = "gfr-procurement@1.1.0";

/// One OPA decision-log event of gfr/procurement/decision.
fn event(id: &str, ts: &str, bundle: &str, revision: &str) -> String {
    json!({
        "decision_id": id,
        "path": "gfr/procurement/decision",
        "input": {"contract_value": 1},
        "result": {"outcome": "APPROVE", "reasons": []},
        "timestamp": ts,
        "bundles": {bundle: {"revision": revision}},
    })
    .to_string()
}

fn import(env: &Env, lines: &[String]) {
    let path = env.dir.path().join("more.jsonl");
    std::fs::write(&path, lines.join("\n") + "\n").unwrap();
    let (code, out, err) = run(env, &["decisions", "import", path.to_str().unwrap()]);
    assert_eq!(code, 0, "{out}{err}");
}

fn content_hash(env: &Env, version: &str) -> String {
    json(env, &["versions"])
        .as_array()
        .unwrap()
        .iter()
        .find(|v| v["version"] == version)
        .unwrap()["content_hash"]
        .as_str()
        .unwrap()
        .to_string()
}

fn group(doc: &Value, pred: impl Fn(&Value) -> bool) -> Option<&Value> {
    doc["groups"].as_array().unwrap().iter().find(|g| pred(g))
}

#[test]
fn drafts_and_unknown_revisions_are_drift_and_certified_ones_are_not() {
    let env = gfr_store();
    prepare(&env, V);
    certify_all(&env, V); // certified at T0
    let hash = content_hash(&env, "1.1.0");
    let exported = format!("{V} {hash}");
    let wrong = format!("{V} sha256:{}", "0".repeat(64));
    import(
        &env,
        &[
            // After certification: a draft version, an unknown one, a
            // revision whose hash is not the stored version's.
            event(
                "d-draft",
                "2026-11-20T10:00:00Z",
                "gfr-procurement",
                "2.0.0",
            ),
            event(
                "d-unknown",
                "2026-11-20T10:00:01Z",
                "gfr-procurement",
                "9.9.9",
            ),
            event("d-wrong-hash", "2026-11-20T10:00:02Z", "authz", &wrong),
            // The certified version, under both revision forms (OPA's config
            // may call the bundle anything).
            event(
                "d-certified",
                "2026-11-20T11:00:00Z",
                "gfr-procurement",
                "1.1.0",
            ),
            event("d-exported", "2026-11-20T11:00:01Z", "authz", &exported),
        ],
    );

    let doc = json_at(&env, T0, &["drift", "--since", T0], 1);
    assert_eq!(doc["decisions"], 5, "{doc}");
    assert_eq!(doc["drift"], 3, "{doc}");
    let draft = group(&doc, |g| g["version"] == "gfr-procurement@2.0.0").expect("the draft");
    assert_eq!(draft["reason"], "not_certified");
    assert_eq!(draft["status"], "draft");
    assert_eq!(draft["decisions"][0]["decision_id"], "d-draft");
    let unknown = group(&doc, |g| g["revision"] == "9.9.9").expect("the unknown revision");
    assert_eq!(unknown["reason"], "unknown_version");
    assert!(unknown.get("version").is_none());
    let wrong_hash = group(&doc, |g| g["revision"] == wrong.as_str()).expect("the wrong hash");
    assert_eq!(wrong_hash["reason"], "unknown_version");
    assert_eq!(wrong_hash["bundle"], "authz");
    let ids: Vec<&str> = doc["groups"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|g| g["decisions"].as_array().unwrap())
        .map(|d| d["decision_id"].as_str().unwrap())
        .collect();
    assert!(
        !ids.contains(&"d-certified") && !ids.contains(&"d-exported"),
        "{ids:?}"
    );

    // The text says the same, grouped by version.
    let (code, out, _) = run(&env, &["drift", "--since", T0]);
    assert_eq!(code, 1);
    assert!(
        out.starts_with("DRIFT: 3 of 5 decisions since 2026-11-20T09:00:00"),
        "{out}"
    );
    assert!(out.contains("gfr-procurement@2.0.0: 1 decision"), "{out}");
    assert!(
        out.contains("bundle gfr-procurement revision \"9.9.9\""),
        "{out}"
    );

    // A time that is none: bad input.
    let (code, _, err) = run(&env, &["drift", "--since", "yesterday"]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("--since yesterday"), "{err}");

    // Only the certified ones: no drift, exit 0.
    let (code, out, err) = run(&env, &["drift", "--since", "2026-11-20T11:00:00Z"]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(
        out.starts_with("no drift: every one of 2 decisions"),
        "{out}"
    );

    // Without --since: the sample log's decisions of 1.1.0 predate its
    // certification (drift), and so do every one of 1.0.0, a draft.
    let doc = json_at(&env, T0, &["drift", "--limit", "2"], 1);
    let before = group(&doc, |g| g["version"] == V).expect("1.1.0 before certification");
    assert_eq!(before["reason"], "before_certification");
    assert_eq!(before["count"], 150);
    assert_eq!(before["decisions"].as_array().unwrap().len(), 2);
    assert!(
        before["certified_at"]
            .as_str()
            .unwrap()
            .starts_with("2026-11-20T09:00:00")
    );
    let old = group(&doc, |g| g["version"] == "gfr-procurement@1.0.0").unwrap();
    assert_eq!(old["count"], 150);
    assert_eq!(doc["drift"], 303);

    // The packet of 1.1.0: its decisions since certification and its drift.
    let packet = json(&env, &["packet", V, "--format", "json"]);
    let d = &packet["drift"];
    assert_eq!(d["decisions"], 152, "{d}");
    assert_eq!(d["since_certification"], 2, "{d}");
    assert_eq!(d["drift"], 150, "{d}");
    let (code, md, err) = run(&env, &["packet", V]);
    assert_eq!(code, 0, "{err}");
    assert!(md.contains("## 9. Decisions and drift"), "{md}");
    assert!(md.contains("150 made before it was certified"), "{md}");
}

#[test]
fn a_decision_imported_before_its_version_is_matched_once_the_version_is_stored() {
    let env = Env::new();
    // The decision first: its version is unknown, so it is drift.
    import(
        &env,
        &[event(
            "early",
            "2026-10-01T00:00:00Z",
            "gfr-procurement",
            "1.1.0",
        )],
    );
    let doc = json_at(&env, T0, &["drift"], 1);
    assert_eq!(doc["groups"][0]["reason"], "unknown_version", "{doc}");
    // The version stored later: now it is that version's (a draft).
    let dir = samples().join("gfr-procurement/1.1.0");
    let (code, out, err) = run(&env, &["import", dir.to_str().unwrap()]);
    assert_eq!(code, 0, "{out}{err}");
    let doc = json_at(&env, T0, &["drift"], 1);
    assert_eq!(doc["groups"][0]["version"], V, "{doc}");
    assert_eq!(doc["groups"][0]["reason"], "not_certified", "{doc}");
}
