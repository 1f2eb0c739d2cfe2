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

/// A symlink that leads out of the bundle would store the outside file in
/// an immutable version: refused with its path and target, whether it is a
/// bundle file or a directory that would be walked. One that stays inside
/// is read as the bundle's own file (as `opa build --follow-symlinks`
/// reads it; plain `opa build -b` leaves symlinks out), and the import
/// says so; a link to a file that is no part of a bundle is listed as
/// ignored and never read.
#[test]
fn symlinks_leading_out_of_the_bundle_are_refused_and_inside_ones_noted() {
    let (env, before) = populated();
    let outside = env.bundle("elsewhere", &[("data.json", r#"{"secret": 1}"#)]);
    let dir = env.bundle("linked", &[("p.rego", GOOD)]);
    std::fs::create_dir_all(dir.join("x")).unwrap();
    std::os::unix::fs::symlink(outside.join("data.json"), dir.join("x/data.json")).unwrap();
    refused(
        &env,
        &before,
        &dir,
        &[
            "linked/x/data.json: a symlink to ",
            "elsewhere/data.json, outside the bundle",
        ],
    );
    // A directory leading out, relative, is refused before it is walked.
    std::fs::remove_file(dir.join("x/data.json")).unwrap();
    std::os::unix::fs::symlink("../../elsewhere", dir.join("x/lib")).unwrap();
    refused(
        &env,
        &before,
        &dir,
        &[
            "linked/x/lib: a symlink to ",
            "elsewhere, outside the bundle",
        ],
    );
    std::fs::remove_file(dir.join("x/lib")).unwrap();

    // Inside: read under the link's path, and noted.
    std::fs::create_dir_all(dir.join("shared")).unwrap();
    std::fs::write(dir.join("shared/data.json"), r#"{"limit": 3}"#).unwrap();
    std::os::unix::fs::symlink("../shared/data.json", dir.join("x/data.json")).unwrap();
    // A file of no bundle kind may lead anywhere: it is not read.
    std::os::unix::fs::symlink("/etc/hostname", dir.join("NOTES")).unwrap();
    let (code, out, err) = env.run(&[
        "--format",
        "json",
        "import",
        dir.to_str().unwrap(),
        "--name",
        "linked",
        "--version",
        "1.0.0",
    ]);
    assert_eq!(code, 0, "{err}");
    let report: serde_json::Value = serde_json::from_str(&out).unwrap();
    let warnings = report[0]["warnings"].to_string();
    assert!(
        warnings.contains(
            "linked/x/data.json: a symlink to shared/data.json, read as the bundle's own file"
        ),
        "{warnings}"
    );
    assert_eq!(report[0]["ignored"], serde_json::json!(["NOTES"]));
    assert!(err.contains("warning: "), "{err}");
    let versions = env.json(&["versions"]).to_string();
    assert!(versions.contains("\"linked\""), "{versions}");
    // The bundle given through a symlink to it: the same files, the same
    // one note.
    let via = env.dir.path().join("via");
    std::os::unix::fs::symlink(&dir, &via).unwrap();
    let report = env.json(&[
        "import",
        via.to_str().unwrap(),
        "--name",
        "linked",
        "--version",
        "2.0.0",
    ]);
    assert_eq!(
        report[0]["warnings"].as_array().unwrap().len(),
        1,
        "{report}"
    );
    assert_eq!(report[0]["files"], 3, "{report}");
}

/// Two file names that are not UTF-8 and read alike once made UTF-8
/// (`caf\xe8.rego`, `caf\xe9.rego`) failed with `UNIQUE constraint
/// failed`; one alone was stored under a changed name. Refused, with the
/// bytes shown escaped; nothing stored.
#[test]
fn file_names_that_are_not_utf8_are_refused_with_the_path_escaped() {
    use std::os::unix::ffi::OsStrExt;
    let (env, before) = populated();
    let dir = env.bundle("names", &[("p.rego", GOOD)]);
    for b in [0xe8u8, 0xe9] {
        let name = [b'c', b'a', b'f', b, b'.', b'r', b'e', b'g', b'o'];
        let name = std::ffi::OsStr::from_bytes(&name);
        std::fs::write(dir.join(name), "package bad\n\nx := 1\n").unwrap();
    }
    refused(
        &env,
        &before,
        &dir,
        &["names/caf\\xe8.rego: the name is not UTF-8 (its bytes shown as \\xNN)"],
    );
    // In a directory's name, for a data file below it.
    let dir = env.bundle("dirnames", &[("p.rego", GOOD)]);
    let sub = dir.join(std::ffi::OsStr::from_bytes(b"d\xff"));
    std::fs::create_dir_all(&sub).unwrap();
    std::fs::write(sub.join("data.json"), "{}").unwrap();
    refused(
        &env,
        &before,
        &dir,
        &["dirnames/d\\xff/data.json: the name is not UTF-8"],
    );
}

/// Before any file is read, the bundle's files are sized against the
/// memory budget for reading them (1 GiB: every text held, three times
/// the largest while it is stored, 128 times a YAML data file's size while
/// it is read): the file that would pass it is named, from its size alone
/// (sparse files: nothing is written or read).
#[test]
fn a_bundle_past_the_memory_budget_is_refused_by_name_before_it_is_read() {
    let (env, before) = populated();
    let dir = env.bundle("manyfiles", &[("p.rego", GOOD)]);
    for i in 0..16 {
        let sub = dir.join(format!("d{i:02}"));
        std::fs::create_dir_all(&sub).unwrap();
        std::fs::File::create(sub.join("data.json"))
            .unwrap()
            .set_len(60_000_000)
            .unwrap();
    }
    refused(
        &env,
        &before,
        &dir,
        &[
            "manyfiles/d13/data.json: 60000000 bytes: reading it with the bundle's other files (743 MiB before it) would take about 1068 MiB, over Gavel's budget of 1024 MiB",
        ],
    );
    let dir = env.bundle("bigyaml", &[("p.rego", GOOD)]);
    std::fs::File::create(dir.join("data.yaml"))
        .unwrap()
        .set_len(10_000_000)
        .unwrap();
    refused(
        &env,
        &before,
        &dir,
        &[
            "bigyaml/data.yaml: 10000000 bytes of YAML data (read at about 128 times its size; converted to data.json, for example with `yq -o json`, it would take 3)",
        ],
    );
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
