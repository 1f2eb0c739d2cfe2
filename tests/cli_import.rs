//! `gavel import`, `versions`, `rules`, `matrix` through the real binary on
//! a temp-dir store.

mod common;

use common::{Env, copy_dir, samples};

const GOOD: &str = "# METADATA\n# title: Demo policy\npackage demo\n\n# METADATA\n# title: Limit\n# custom:\n#   citations:\n#     - {regulation: \"Demo Act\", clause: \"s.1\"}\nlimit := 10\n\n# METADATA\n# title: Over the limit\n# custom:\n#   citation: Demo Act s.2\nover if input.amount > limit\n\nhelper := 1\n\n# METADATA\n# entrypoint: true\n# title: Decision\n# custom:\n#   citations:\n#     - {regulation: \"Demo Act\", clause: \"s.1\"}\ndecision := {\"outcome\": \"BLOCK\"} if over\n";

fn versions(env: &Env) -> serde_json::Value {
    env.json(&["versions"])
}

#[test]
fn sample_import_rules_matrix_and_reimport() {
    let env = Env::new();
    let dir = samples().join("gfr-procurement/1.0.0");
    let dir = dir.to_str().unwrap();
    let (code, out, err) = env.run(&["import", dir]);
    assert_eq!(code, 0, "{err}");
    assert!(
        out.starts_with("imported gfr-procurement@1.0.0  sha256:"),
        "{out}"
    );

    // Every rule has a title and a citation, and `rules` prints each.
    let doc = env.json(&["rules", "gfr-procurement@1.0.0"]);
    let rules = doc["rules"].as_array().unwrap();
    assert!(rules.len() >= 10, "{doc}");
    let (_, text, _) = env.run(&["rules", "gfr-procurement@1.0.0"]);
    for r in rules {
        assert!(r["title"].is_string(), "no title: {r}");
        assert!(
            !r["citations"].as_array().unwrap().is_empty(),
            "no citation: {r}"
        );
        assert!(text.contains(r["name"].as_str().unwrap()), "{text}");
    }
    assert_eq!(
        doc["entrypoints"],
        serde_json::json!(["gfr/procurement/decision"])
    );

    // The matrix: a row per (citation, rule), sorted, and no gaps.
    let m = env.json(&["matrix", "gfr-procurement@1.0.0"]);
    assert!(m["rows"].as_array().unwrap().len() >= rules.len());
    assert_eq!(m["gaps"], serde_json::json!([]));
    let (code, text, _) = env.run(&["matrix", "gfr-procurement@1.0.0"]);
    assert_eq!(code, 0);
    assert!(text.contains("GFR 2017"), "{text}");
    assert!(text.contains("gaps: none"), "{text}");

    // Again: a no-op that says so.
    let before = versions(&env);
    let (code, out, _) = env.run(&["import", dir]);
    assert_eq!(code, 0);
    assert!(out.contains("already stored with the same hash"), "{out}");
    assert_eq!(versions(&env), before);

    // A changed copy under the same version: refused, store unchanged.
    let copy = env.dir.path().join("changed");
    copy_dir(std::path::Path::new(dir), &copy);
    let decision = copy.join("gfr/procurement/decision.rego");
    let mut text = std::fs::read_to_string(&decision).unwrap();
    text.push_str("\n# a harmless comment that still changes the hash\n");
    std::fs::write(&decision, text).unwrap();
    let (code, _, err) = env.run(&[
        "import",
        copy.to_str().unwrap(),
        "--name",
        "gfr-procurement",
        "--version",
        "1.0.0",
    ]);
    assert_eq!(code, 2, "{err}");
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(err.contains("already stored with hash sha256:"), "{err}");
    assert!(err.contains("this bundle hashes to sha256:"), "{err}");
    assert_eq!(versions(&env), before);

    // The same copy under a new version is a new version.
    let (code, _, err) = env.run(&[
        "import",
        copy.to_str().unwrap(),
        "--name",
        "gfr-procurement",
        "--version",
        "1.0.1",
    ]);
    assert_eq!(code, 0, "{err}");
    assert_eq!(versions(&env).as_array().unwrap().len(), 2);
}

#[test]
fn name_and_version_come_from_the_manifest_or_the_directory() {
    let env = Env::new();
    let a = env.bundle("x/2.3.4", &[("p.rego", GOOD)]);
    let (code, out, err) = env.run(&["import", a.to_str().unwrap()]);
    assert_eq!(code, 0, "{err}");
    assert!(out.starts_with("imported x@2.3.4"), "{out}");

    let b = env.bundle(
        "b",
        &[
            ("p.rego", GOOD),
            (
                ".manifest",
                r#"{"revision": "7.0.0", "metadata": {"name": "demo"}}"#,
            ),
        ],
    );
    let (code, out, err) = env.run(&["import", b.to_str().unwrap()]);
    assert_eq!(code, 0, "{err}");
    assert!(out.starts_with("imported demo@7.0.0"), "{out}");

    let c = env.bundle("c", &[("p.rego", GOOD)]);
    let (code, _, err) = env.run(&["import", c.to_str().unwrap()]);
    assert_eq!(code, 2);
    assert!(err.contains("no version: pass --version"), "{err}");
}

#[test]
fn gaps_are_listed() {
    let env = Env::new();
    let b = env.bundle("demo/1.0.0", &[("p.rego", GOOD)]);
    env.run(&["import", b.to_str().unwrap()]);
    let m = env.json(&["matrix", "demo@1.0.0"]);
    let gaps: Vec<&str> = m["gaps"]
        .as_array()
        .unwrap()
        .iter()
        .map(|g| g["rule"].as_str().unwrap())
        .collect();
    assert_eq!(gaps, ["helper"]);
    let rows: Vec<(&str, &str)> = m["rows"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| (r["clause"].as_str().unwrap(), r["rule"].as_str().unwrap()))
        .collect();
    assert_eq!(rows, [("s.1", "decision"), ("s.1", "limit"), ("", "over")]);
    let (_, text, _) = env.run(&["matrix", "demo@1.0.0"]);
    assert!(text.contains("gaps: 1 rules cite no regulation"), "{text}");
}

/// Bad bundles: one clear error line, exit 2, nothing stored.
fn assert_refused(env: &Env, args: &[&str], expect: &[&str]) {
    let (code, out, err) = env.run(args);
    assert_eq!(code, 2, "stdout: {out}\nstderr: {err}");
    assert_eq!(err.trim_end().lines().count(), 1, "{err}");
    for e in expect {
        assert!(err.contains(e), "expected {e:?} in {err}");
    }
    assert_eq!(env.json(&["versions"]), serde_json::json!([]));
}

#[test]
fn syntax_error_names_file_line_col() {
    let env = Env::new();
    let b = env.bundle(
        "bad/1.0.0",
        &[
            ("ok.rego", GOOD),
            (
                "sub/broken.rego",
                "package demo.x\n\nallow if {\n  input.a ==\n}\n",
            ),
        ],
    );
    assert_refused(
        &env,
        &["import", b.to_str().unwrap()],
        &["sub/broken.rego:5:", "1.0.0/sub/broken.rego"],
    );
}

#[test]
fn invalid_metadata_yaml_names_file_line() {
    let env = Env::new();
    let src = "package demo\n\n# METADATA\n# title: ok\n# custom:\n#   citations: [ {regulation: x\nr := 1\n";
    let b = env.bundle("meta/1.0.0", &[("m.rego", src)]);
    assert_refused(
        &env,
        &["import", b.to_str().unwrap()],
        &["m.rego:", "invalid METADATA YAML"],
    );
}

#[test]
fn empty_directory_and_missing_path() {
    let env = Env::new();
    let empty = env.dir.path().join("empty");
    std::fs::create_dir_all(&empty).unwrap();
    assert_refused(
        &env,
        &["import", empty.to_str().unwrap()],
        &["no .rego files"],
    );
    let missing = env.dir.path().join("nope");
    assert_refused(
        &env,
        &["import", missing.to_str().unwrap()],
        &["nope", "No such file"],
    );
}

#[test]
fn engine_errors_are_refused_too() {
    let env = Env::new();
    let b = env.bundle(
        "unsafe/1.0.0",
        &[("u.rego", "package u\n\nallow if {\n  x == 1\n}\n")],
    );
    assert_refused(&env, &["import", b.to_str().unwrap()], &["u.rego:4:"]);
}

#[test]
fn rego_v0_from_manifest_or_flag() {
    let env = Env::new();
    let v0 = "package old\n\n# METADATA\n# title: Old style\nallow { input.x == 1 }\n";
    let a = env.bundle("old/1.0.0", &[("o.rego", v0)]);
    let (code, _, err) = env.run(&["import", a.to_str().unwrap()]);
    assert_eq!(code, 2, "v1 must refuse v0 syntax");
    assert!(err.contains("o.rego:"), "{err}");
    let (code, _, err) = env.run(&["import", a.to_str().unwrap(), "--v0-compatible"]);
    assert_eq!(code, 0, "{err}");
    let b = env.bundle(
        "old2/1.0.0",
        &[("o.rego", v0), (".manifest", r#"{"rego_version": 0}"#)],
    );
    let (code, _, err) = env.run(&["import", b.to_str().unwrap()]);
    assert_eq!(code, 0, "{err}");
    let v = env.json(&["versions"]);
    assert!(
        v.as_array().unwrap().iter().all(|v| v["rego_version"] == 0),
        "{v}"
    );
}

#[test]
fn unknown_versions_and_bad_references() {
    let env = Env::new();
    let b = env.bundle("demo/1.0.0", &[("p.rego", GOOD)]);
    env.run(&["import", b.to_str().unwrap()]);
    let (code, _, err) = env.run(&["rules", "demo@9.9.9"]);
    assert_eq!(code, 2);
    assert!(err.contains("stored versions of demo: 1.0.0"), "{err}");
    let (code, _, err) = env.run(&["matrix", "nobody@1.0.0"]);
    assert_eq!(code, 2);
    assert!(err.contains("no bundle named 'nobody'"), "{err}");
    let (code, _, err) = env.run(&["rules", "demo"]);
    assert_eq!(code, 2);
    assert!(err.contains("expected NAME@VERSION"), "{err}");
    let (code, _, _) = env.run(&["frobnicate"]);
    assert_eq!(code, 2);
}

#[test]
fn text_tables_fit_80_columns() {
    let env = Env::new();
    let dir = samples().join("gfr-procurement/1.0.0");
    env.run(&["import", dir.to_str().unwrap()]);
    for args in [
        &["versions"][..],
        &["rules", "gfr-procurement@1.0.0"],
        &["matrix", "gfr-procurement@1.0.0"],
    ] {
        let out = env.gavel(args).env("COLUMNS", "80").output().unwrap();
        let text = String::from_utf8(out.stdout).unwrap();
        for line in text.lines().skip(1) {
            assert!(
                unicode_width::UnicodeWidthStr::width(line) <= 80,
                "{args:?}: {line:?}"
            );
        }
    }
}

#[test]
fn hostile_titles_are_escaped_in_text_output() {
    let env = Env::new();
    let src = "package h\n\n# METADATA\n# title: \"evil \\e]0;pwned\\a \\e[2J\"\nr := 1\n";
    let b = env.bundle("h/1.0.0", &[("h.rego", src)]);
    let (code, _, err) = env.run(&["import", b.to_str().unwrap()]);
    assert_eq!(code, 0, "{err}");
    let (_, out, _) = env.run(&["rules", "h@1.0.0"]);
    assert!(!out.contains('\x1b') && !out.contains('\x07'), "{out:?}");
    assert!(out.contains("^[]0;pwned^G"), "{out}");
}
