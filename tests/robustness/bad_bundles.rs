//! Bad bundles through `gavel import`: each refused with exit 2 and a
//! message naming the file (and line where there is one), no panic, and a
//! store that already held versions and decisions left exactly as it was.

use std::path::Path;

use crate::common::Env;
use crate::support::{Snapshot, assert_refused, populated, snapshot};

const GOOD: &str = "package bad\n\nallow if input.ok\n";

/// Imports `dir` into the populated store and checks the refusal.
fn refused(env: &Env, before: &Snapshot, dir: &Path, expect: &[&str]) {
    let (code, _, err) = env.run(&[
        "import",
        dir.to_str().unwrap(),
        "--name",
        "bad",
        "--version",
        "1.0.0",
    ]);
    assert_refused(code, &err, 2, expect);
    assert_eq!(err.trim().lines().count(), 1, "one line:\n{err}");
    assert_eq!(&snapshot(env), before, "the store changed");
}

#[test]
fn a_syntax_error_names_file_line_and_column() {
    let (env, before) = populated();
    let dir = env.bundle(
        "syntax",
        &[("p.rego", "package bad\n\nallow if {\n  input.x == \n}\n")],
    );
    refused(&env, &before, &dir, &["syntax/p.rego:5:1:"]);
}

#[test]
fn invalid_metadata_yaml_names_file_and_line() {
    let (env, before) = populated();
    let dir = env.bundle(
        "metadata",
        &[(
            "p.rego",
            "package bad\n\n# METADATA\n# title: [unclosed\n# custom: {\nallow if input.ok\n",
        )],
    );
    refused(&env, &before, &dir, &["metadata/p.rego:", "METADATA"]);
}

#[test]
fn conflicting_data_files_name_both_files_and_the_path() {
    let (env, before) = populated();
    let dir = env.bundle(
        "conflict",
        &[
            ("p.rego", GOOD),
            ("data.json", r#"{"limits": {"max": 1}}"#),
            ("limits/data.yaml", "max: 2\n"),
        ],
    );
    refused(
        &env,
        &before,
        &dir,
        &["conflict/limits/data.yaml: conflicts with data.json at data.limits.max"],
    );
}

#[test]
fn invalid_data_json_names_file_line_and_column() {
    let (env, before) = populated();
    let dir = env.bundle(
        "badjson",
        &[("p.rego", GOOD), ("data.json", "{\n  \"a\": [1,\n}\n")],
    );
    refused(
        &env,
        &before,
        &dir,
        &["badjson/data.json:3:1:", "invalid JSON"],
    );
}

#[test]
fn a_symlink_loop_is_named() {
    let (env, before) = populated();
    let dir = env.bundle("looped", &[("p.rego", GOOD)]);
    std::fs::create_dir_all(dir.join("sub")).unwrap();
    std::os::unix::fs::symlink("..", dir.join("sub/back")).unwrap();
    refused(&env, &before, &dir, &["looped/sub/back: symlink loop"]);
}

#[test]
fn binary_files_are_refused_or_ignored() {
    let (env, before) = populated();
    let noise: Vec<u8> = (0..4096u32)
        .map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8)
        .collect();
    for (name, file) in [("binrego", "q.rego"), ("bindata", "data.json")] {
        let dir = env.bundle(name, &[("p.rego", GOOD)]);
        std::fs::write(dir.join(file), &noise).unwrap();
        refused(
            &env,
            &before,
            &dir,
            &[&format!("{name}/{file}: not a UTF-8 text file")],
        );
    }
    // Valid UTF-8 with NUL bytes is not a text file either.
    let dir = env.bundle("nul", &[("p.rego", "package bad\n\nallow := \"a\0b\"\n")]);
    refused(&env, &before, &dir, &["nul/p.rego: contains NUL bytes"]);
    // A binary file that is no part of a bundle is listed and left out.
    let dir = env.bundle("withlogo", &[("p.rego", GOOD)]);
    std::fs::write(dir.join("logo.png"), &noise).unwrap();
    let report = env.json(&[
        "import",
        dir.to_str().unwrap(),
        "--name",
        "logo",
        "--version",
        "1.0.0",
    ]);
    assert_eq!(
        report[0]["ignored"],
        serde_json::json!(["logo.png"]),
        "{report}"
    );
}

#[test]
fn a_50_mb_data_file_imports_and_a_larger_than_64_mib_one_is_refused() {
    let (env, before) = populated();
    // 50 MB of realistic data: 300,000 records.
    let dir = env.bundle(
        "bigdata",
        &[("p.rego", "package big\n\nn := count(data.items)\n")],
    );
    let mut text = String::with_capacity(52 << 20);
    text.push_str("{\"items\": [");
    let mut i = 0u64;
    while text.len() < 50_000_000 {
        if i > 0 {
            text.push(',');
        }
        text.push_str(&format!(
            "{{\"id\": {i}, \"name\": \"item-{i}\", \"tags\": [\"a\", \"b\", \"c\"], \"limit\": {}, \"note\": \"{}\"}}",
            i * 3,
            "x".repeat(60)
        ));
        i += 1;
    }
    text.push_str("]}");
    std::fs::write(dir.join("data.json"), &text).unwrap();
    drop(text);
    let (code, out, err) = env.run(&[
        "import",
        dir.to_str().unwrap(),
        "--name",
        "big",
        "--version",
        "1.0.0",
    ]);
    assert_eq!(code, 0, "{out}{err}");
    let after = snapshot(&env);
    assert_eq!(after.decisions(), before.decisions());
    assert_eq!(after.versions().len(), before.versions().len() + 1);

    // Over the limit: refused from its size, before it is read (a sparse
    // file: nothing is written).
    let dir = env.bundle("hugedata", &[("p.rego", GOOD)]);
    let f = std::fs::File::create(dir.join("data.json")).unwrap();
    f.set_len(65 << 20).unwrap();
    refused(
        &env,
        &after,
        &dir,
        &["hugedata/data.json: 68157440 bytes: Gavel reads bundle files of at most 64 MiB"],
    );
}

#[test]
fn big_long_and_wide_modules_load() {
    let (env, _) = populated();
    // regorus's own limits (1 MiB, 20,000 lines, 1,024 columns) refused
    // these; OPA loads them (embedded JSON documents, generated modules).
    let mut big = String::from("package big\n\n");
    for i in 0..1_400 {
        big.push_str(&format!("r{i} := \"{}\"\n", "x".repeat(800)));
    }
    let many: String = std::iter::once("package long\n".to_string())
        .chain((0..25_000).map(|i| format!("r{i} := {i}\n")))
        .collect();
    let wide = format!("package wide\n\nx := \"{}\"\n", "y".repeat(5_000));
    for (name, text) in [("big", big), ("long", many), ("wide", wide)] {
        let dir = env.bundle(name, &[("p.rego", &text)]);
        let (code, _, err) = env.run(&[
            "import",
            dir.to_str().unwrap(),
            "--name",
            name,
            "--version",
            "1.0.0",
        ]);
        assert_eq!(code, 0, "{name}: {err}");
    }
}
