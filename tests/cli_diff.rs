//! `gavel diff` through the real binary: the semantic diff of two versions
//! (constants, rules added / removed / changed, entrypoints), the file list
//! and unified diffs, `--impact`, and refusals.

mod common;

use common::{Env, samples};
use serde_json::Value;

fn with_gfr() -> Env {
    let env = Env::new();
    for v in ["1.0.0", "1.1.0"] {
        let dir = samples().join("gfr-procurement").join(v);
        let (code, _, err) = env.run(&["import", dir.to_str().unwrap()]);
        assert_eq!(code, 0, "{err}");
    }
    env
}

fn names(list: &Value) -> Vec<&str> {
    list.as_array()
        .unwrap()
        .iter()
        .map(|r| r["name"].as_str().unwrap())
        .collect()
}

fn file<'a>(doc: &'a Value, path: &str) -> &'a Value {
    doc["files"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["path"] == path)
        .unwrap_or_else(|| panic!("{path} not among the files: {doc}"))
}

#[test]
fn gfr_threshold_raised_and_a_rule_added() {
    let env = with_gfr();
    let doc = env.json(&["diff", "gfr-procurement@1.0.0", "gfr-procurement@1.1.0"]);
    assert_eq!(doc["from"]["version"], "1.0.0");
    assert_eq!(doc["to"]["version"], "1.1.0");
    assert_eq!(doc["same_bundle"], true);
    assert_eq!(doc["identical"], false);

    let threshold = doc["constants"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["name"] == "competitive_bidding_threshold")
        .expect("the threshold is a changed constant");
    assert_eq!(threshold["before"], "250000");
    assert_eq!(threshold["after"], "300000");
    assert_eq!(threshold["file"], "gfr/procurement/params.rego");
    assert_eq!(
        threshold["path"],
        "gfr/procurement/competitive_bidding_threshold"
    );

    let added = names(&doc["rules"]["added"]);
    assert!(
        added.contains(&"emergency_certificate_missing"),
        "{added:?}"
    );
    let new_rule = &doc["rules"]["added"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["name"] == "emergency_certificate_missing")
        .unwrap();
    assert_eq!(new_rule["kind"], "partial_set");
    assert_eq!(new_rule["file"], "gfr/procurement/emergency.rego");
    assert!(!new_rule["citations"].as_array().unwrap().is_empty());
    assert!(names(&doc["rules"]["removed"]).is_empty());

    let params = file(&doc, "gfr/procurement/params.rego");
    assert_eq!(params["status"], "changed");
    assert!(params["added"].as_u64().unwrap() >= 1);
    let unified = params["unified"].as_str().unwrap();
    assert!(
        unified.starts_with(
            "--- a/gfr/procurement/params.rego\n+++ b/gfr/procurement/params.rego\n@@ -"
        )
    );
    assert!(unified.contains("\n-competitive_bidding_threshold := 250000\n"));
    assert!(unified.contains("\n+competitive_bidding_threshold := 300000\n"));
    // Structured hunks carry both line numbers.
    let line = params["hunks"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|h| h["lines"].as_array().unwrap())
        .find(|l| l["text"] == "competitive_bidding_threshold := 300000")
        .unwrap();
    assert_eq!(line["tag"], "added");
    assert_eq!(line["new"], threshold["line"]);
    assert!(line.get("old").is_none());
    assert_eq!(
        file(&doc, "gfr/procurement/emergency.rego")["status"],
        "changed"
    );
    assert_eq!(doc["summary"]["files_added"], 0);
    assert_eq!(doc["summary"]["files_removed"], 0);
    assert!(doc["summary"]["files_changed"].as_u64().unwrap() >= 3);
    assert!(doc.get("impact").is_none());

    let (code, text, err) = env.run(&["diff", "gfr-procurement@1.0.0", "gfr-procurement@1.1.0"]);
    assert_eq!(code, 0, "{err}");
    assert!(
        text.starts_with("diff gfr-procurement@1.0.0 (sha256:"),
        "{text}"
    );
    assert!(
        text.contains(
            "  competitive_bidding_threshold: 250000 -> 300000  gfr/procurement/params.rego:16"
        ),
        "{text}"
    );
    assert!(
        text.contains("-competitive_bidding_threshold := 250000\n"),
        "{text}"
    );
    assert!(
        text.contains("+competitive_bidding_threshold := 300000\n"),
        "{text}"
    );
    assert!(text.contains("rules added:"), "{text}");
    assert!(text.contains("emergency_certificate_missing"), "{text}");
    assert!(text.contains("--- a/gfr/procurement/params.rego"), "{text}");
    // The semantic summary comes before the file diffs.
    assert!(text.find("constants changed:").unwrap() < text.find("--- a/").unwrap());
}

#[test]
fn a_version_against_itself_is_identical() {
    let env = with_gfr();
    let doc = env.json(&["diff", "gfr-procurement@1.1.0", "gfr-procurement@1.1.0"]);
    assert_eq!(doc["identical"], true);
    assert!(doc["files"].as_array().unwrap().is_empty());
    assert!(doc["constants"].as_array().unwrap().is_empty());
    assert!(doc["rules"]["changed"].as_array().unwrap().is_empty());
    let (code, text, _) = env.run(&["diff", "gfr-procurement@1.1.0", "gfr-procurement@1.1.0"]);
    assert_eq!(code, 0);
    assert!(text.contains("no differences"), "{text}");
}

const RULES_V1: &str = r#"package mini

# METADATA
# title: Allowed when every check passes
# entrypoint: true
# custom:
#   citations:
#     - {regulation: "Act 1", clause: "s.1"}
allow if count(deny) == 0

# METADATA
# title: Old title
# custom:
#   citations:
#     - {regulation: "Act 1", clause: "s.2"}
deny contains "too big" if input.amount > limit

# METADATA
# title: Legacy check
# custom:
#   citations:
#     - {regulation: "Act 1", clause: "s.9"}
deny contains "legacy" if input.legacy

# METADATA
# title: Limit
# custom:
#   citations: ["Act 1 s.3"]
limit := 100
"#;

const RULES_V2: &str = r#"package mini

# METADATA
# title: Allowed when every check passes
# entrypoint: true
# custom:
#   citations:
#     - {regulation: "Act 2", clause: "s.1"}
allow if count(deny) == 0

# METADATA
# title: New title
# custom:
#   citations:
#     - {regulation: "Act 1", clause: "s.2"}
deny contains "too big" if input.amount > limit

# METADATA
# title: Limit
# custom:
#   citations: ["Act 1 s.3"]
limit := 100
"#;

const OLD_FILE: &str = r#"package mini.old

# METADATA
# title: Retired rule
# custom:
#   citations: ["Act 1 s.4"]
retired if input.retired
"#;

const NEW_FILE: &str = r#"package mini.extra

# METADATA
# title: Extra decision
# entrypoint: true
# custom:
#   citations: ["Act 1 s.5"]
decision := {"allow": data.mini.allow}
"#;

fn with_mini() -> Env {
    let env = Env::new();
    let v1 = env.bundle(
        "mini-v1",
        &[("mini/rules.rego", RULES_V1), ("mini/old.rego", OLD_FILE)],
    );
    let v2 = env.bundle(
        "mini-v2",
        &[("mini/rules.rego", RULES_V2), ("mini/extra.rego", NEW_FILE)],
    );
    for (dir, v) in [(&v1, "1.0.0"), (&v2, "2.0.0")] {
        let (code, _, err) = env.run(&[
            "import",
            dir.to_str().unwrap(),
            "--name",
            "mini",
            "--version",
            v,
        ]);
        assert_eq!(code, 0, "{err}");
    }
    env
}

#[test]
fn files_added_and_removed_rules_removed_titles_and_citations_changed() {
    let env = with_mini();
    let doc = env.json(&["diff", "mini@1.0.0", "mini@2.0.0"]);
    let files: Vec<(&str, &str)> = doc["files"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| (f["path"].as_str().unwrap(), f["status"].as_str().unwrap()))
        .collect();
    assert_eq!(
        files,
        [
            ("mini/extra.rego", "added"),
            ("mini/old.rego", "removed"),
            ("mini/rules.rego", "changed"),
        ]
    );
    let extra = file(&doc, "mini/extra.rego");
    assert_eq!(extra["added"], NEW_FILE.lines().count());
    assert_eq!(extra["removed"], 0);
    assert!(
        extra["unified"]
            .as_str()
            .unwrap()
            .starts_with("--- /dev/null\n+++ b/mini/extra.rego\n")
    );
    let old = file(&doc, "mini/old.rego");
    assert_eq!(old["removed"], OLD_FILE.lines().count());
    assert!(
        old["unified"]
            .as_str()
            .unwrap()
            .starts_with("--- a/mini/old.rego\n+++ /dev/null\n")
    );

    // The second `deny` definition and the rule of the removed file are gone.
    let removed: Vec<(&str, &str)> = doc["rules"]["removed"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| (r["name"].as_str().unwrap(), r["title"].as_str().unwrap()))
        .collect();
    assert_eq!(
        removed,
        [("retired", "Retired rule"), ("deny", "Legacy check")]
    );
    assert_eq!(names(&doc["rules"]["added"]), ["decision"]);

    let changed: Vec<(&str, Vec<&str>)> = doc["rules"]["changed"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            (
                c["name"].as_str().unwrap(),
                c["changes"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|a| a.as_str().unwrap())
                    .collect(),
            )
        })
        .collect();
    assert_eq!(
        changed,
        [("allow", vec!["citations"]), ("deny", vec!["title"])]
    );
    let deny = &doc["rules"]["changed"][1];
    assert_eq!(deny["before"]["title"], "Old title");
    assert_eq!(deny["after"]["title"], "New title");
    let allow = &doc["rules"]["changed"][0];
    assert_eq!(allow["before"]["citations"][0]["regulation"], "Act 1");
    assert_eq!(allow["after"]["citations"][0]["regulation"], "Act 2");
    assert!(doc["constants"].as_array().unwrap().is_empty());
    assert_eq!(
        doc["entrypoints"]["added"],
        serde_json::json!(["mini/extra/decision"])
    );
    assert_eq!(doc["entrypoints"]["removed"], serde_json::json!([]));
    assert_eq!(doc["summary"]["rules_removed"], 2);
    assert_eq!(doc["summary"]["rules_changed"], 2);

    let (code, text, err) = env.run(&["diff", "mini@1.0.0", "mini@2.0.0"]);
    assert_eq!(code, 0, "{err}");
    assert!(text.contains("rules removed:"), "{text}");
    assert!(
        text.contains("title       Old title -> New title"),
        "{text}"
    );
    assert!(
        text.contains("citations   Act 1 s.1 -> Act 2 s.1"),
        "{text}"
    );
    assert!(text.contains("  + mini/extra/decision"), "{text}");
    assert!(text.contains("added file mini/extra.rego"), "{text}");
    assert!(text.contains("removed file mini/old.rego"), "{text}");
    assert!(text.contains("+++ /dev/null"), "{text}");
}

#[test]
fn versions_of_different_bundles_can_be_compared() {
    let env = with_mini();
    let dir = samples().join("gfr-procurement/1.0.0");
    let (code, _, err) = env.run(&["import", dir.to_str().unwrap()]);
    assert_eq!(code, 0, "{err}");
    let doc = env.json(&["diff", "mini@2.0.0", "gfr-procurement@1.0.0"]);
    assert_eq!(doc["same_bundle"], false);
    let (code, text, _) = env.run(&["diff", "mini@2.0.0", "gfr-procurement@1.0.0"]);
    assert_eq!(code, 0);
    assert!(
        text.contains("two different bundles (mini and gfr-procurement)"),
        "{text}"
    );
}

#[test]
fn impact_replays_the_stored_decisions_of_from_under_to() {
    let env = with_gfr();
    let log = samples()
        .parent()
        .unwrap()
        .join("sample-decisions/gfr-procurement.jsonl");
    let (code, _, err) = env.run(&["decisions", "import", log.to_str().unwrap()]);
    assert_eq!(code, 0, "{err}");
    let doc = env.json(&[
        "diff",
        "gfr-procurement@1.0.0",
        "gfr-procurement@1.1.0",
        "--impact",
    ]);
    let impact = &doc["impact"];
    assert_eq!(impact["against"]["version"], "1.1.0");
    assert!(impact["replayed"].as_u64().unwrap() > 0, "{impact}");
    let transitions = impact["transitions"].as_object().unwrap();
    assert!(!transitions.is_empty());
    // Raising the threshold turns some BLOCKs into APPROVEs.
    assert!(
        impact["transitions"]["BLOCK"]["APPROVE"]
            .as_u64()
            .unwrap_or(0)
            > 0,
        "{impact}"
    );
    // The diff itself is still there.
    assert!(!doc["constants"].as_array().unwrap().is_empty());

    let (code, text, err) = env.run(&[
        "diff",
        "gfr-procurement@1.0.0",
        "gfr-procurement@1.1.0",
        "--impact",
    ]);
    assert_eq!(code, 0, "{err}");
    assert!(text.contains("\nimpact:\nreplayed "), "{text}");
    assert!(
        text.contains("transitions (rows: original outcome"),
        "{text}"
    );
}

#[test]
fn impact_without_decisions_says_so() {
    let env = with_gfr();
    let (code, text, err) = env.run(&[
        "diff",
        "gfr-procurement@1.0.0",
        "gfr-procurement@1.1.0",
        "--impact",
    ]);
    assert_eq!(code, 0, "{err}");
    assert!(
        text.contains("no stored decisions were made with gfr-procurement@1.0.0"),
        "{text}"
    );
}

#[test]
fn unknown_versions_and_bad_references_exit_2() {
    let env = with_gfr();
    let (code, out, err) = env.run(&["diff", "gfr-procurement@1.0.0", "gfr-procurement@9.9.9"]);
    assert_eq!(code, 2);
    assert!(out.is_empty());
    assert!(
        err.contains("gfr-procurement@9.9.9: not in the store"),
        "{err}"
    );
    assert!(err.contains("1.0.0, 1.1.0"), "{err}");
    let (code, _, err) = env.run(&["diff", "nope@1", "gfr-procurement@1.0.0"]);
    assert_eq!(code, 2);
    assert!(err.contains("no bundle named 'nope'"), "{err}");
    let (code, _, err) = env.run(&["diff", "gfr-procurement", "gfr-procurement@1.0.0"]);
    assert_eq!(code, 2);
    assert!(err.contains("expected NAME@VERSION"), "{err}");
    let (code, _, _) = env.run(&["diff", "gfr-procurement@1.0.0"]);
    assert_eq!(code, 2);
}
