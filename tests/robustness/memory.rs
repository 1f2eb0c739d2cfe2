//! Bounded memory (issue 19): big data files and big decision-log lines
//! through the real binary under an address-space limit (`ulimit -v`).
//!
//! The limit counts virtual memory. The binary's own baseline is about
//! 1.1 GB of it: mimalloc reserves a 1 GiB arena (`MAP_NORESERVE`, not
//! resident) at its first large allocation; an import of a small bundle
//! peaks at 1.11 GB virtual and 26 MB resident, and one of the three files
//! below at 1.35 GB virtual and 460 MB resident (debug build). So 2 GiB
//! holds the baseline with about 0.9 GiB to spare, and the data must fit in
//! that. Before, each of these files alone took 0.75 to 5.2 GB resident.

use std::path::Path;
use std::process::Command;

use crate::common::Env;
use crate::support::{gavel_bin, key_dir};

/// The address-space limit, in KiB as `ulimit -v` takes it: 2 GiB.
const LIMIT_KIB: u64 = 2 << 20;

/// About 60 MB: under the 64 MiB a bundle file may have.
const FILE_BYTES: usize = 60_000_000;

/// `gavel --db DB ARGS...` under `ulimit -v`, through `sh` (the limit
/// applies to the binary it execs) -> (exit code, stdout, stderr).
fn run_limited(db: &Path, args: &[&str]) -> (i32, String, String) {
    let out = Command::new("sh")
        .arg("-c")
        .arg(format!("ulimit -v {LIMIT_KIB} && exec \"$0\" \"$@\""))
        .arg(gavel_bin())
        .env_remove("GAVEL_DB")
        .env("GAVEL_KEY_DIR", key_dir(db))
        .arg("--db")
        .arg(db)
        .args(args)
        .output()
        .unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// A JSON object of about `bytes`: `{"KEY": [item 0, item 1, ...]}` or,
/// for `map`, `{"KEY": {"k0": item 0, ...}}`.
fn document(key: &str, bytes: usize, map: bool, item: impl Fn(usize) -> String) -> String {
    let mut text = String::with_capacity(bytes + 4096);
    text.push_str(&format!("{{\"{key}\": {}", if map { '{' } else { '[' }));
    let mut i = 0;
    while text.len() < bytes {
        if i > 0 {
            text.push(',');
        }
        if map {
            text.push_str(&format!("\"k{i}\":"));
        }
        text.push_str(&item(i));
        i += 1;
    }
    text.push_str(if map { "}}" } else { "]}" });
    text
}

/// Three 60 MB data files in one bundle, each of a shape that took
/// gigabytes to read whole: records, a map keyed by id (what
/// `data.users[input.user]` reads), and an array of one-key objects (the
/// worst: serde_json's tree took 90 times its text).
#[test]
fn three_60_mb_data_files_import_under_a_2_gib_address_space_limit() {
    let env = Env::new();
    let dir = env.bundle(
        "bigdata",
        &[(
            "p.rego",
            "package big\n\nusers := count(data.people.users)\n\nknown if data.ids.byid[input.id]\n",
        )],
    );
    let files: [(&str, String); 3] = [
        (
            "people",
            document("users", FILE_BYTES, false, |i| {
                format!(
                    "{{\"id\": \"u-{i:07}\", \"name\": \"User {i}\", \"roles\": [\"dev\", \"viewer\"], \
                     \"attrs\": {{\"dept\": \"finance\", \"level\": {}, \"active\": true, \
                     \"site\": {{\"country\": \"DE\", \"city\": \"Berlin\"}}}}, \"quota\": [{}, 1000]}}",
                    i % 7,
                    i % 100
                )
            }),
        ),
        (
            "ids",
            document("byid", FILE_BYTES, true, |i| {
                format!("{{\"a\": {}, \"b\": \"x\", \"c\": true}}", i % 10)
            }),
        ),
        (
            "flags",
            document("v", FILE_BYTES, false, |i| format!("{{\"a\": {}}}", i % 10)),
        ),
    ];
    for (sub, text) in &files {
        assert!(text.len() >= FILE_BYTES && text.len() < 64 << 20);
        std::fs::create_dir_all(dir.join(sub)).unwrap();
        std::fs::write(dir.join(sub).join("data.json"), text).unwrap();
    }
    drop(files);
    let (code, out, err) = run_limited(
        &env.db,
        &[
            "import",
            dir.to_str().unwrap(),
            "--name",
            "big",
            "--version",
            "1.0.0",
        ],
    );
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.contains("imported big@1.0.0"), "{out}");
    let (code, out, err) = env.run(&["verify"]);
    assert_eq!(code, 0, "{out}{err}");
}

/// Eight 20 MB decision-log lines whose inputs are arrays of one-key
/// objects (read whole, each took 1.8 GB): each is a batch of its own
/// (batches end at 16 MiB of lines as well as 5,000 lines), read without
/// its parsed tree, under the same limit.
#[test]
fn a_log_of_big_lines_imports_in_batches_cut_by_bytes_under_the_limit() {
    let env = Env::new();
    let log = env.dir.path().join("big.jsonl");
    {
        let input = document("items", 20_000_000, false, |i| {
            format!("{{\"a\": {}}}", i % 10)
        });
        let mut text = String::with_capacity(8 * (input.len() + 200));
        for i in 0..8 {
            text.push_str(&format!(
                "{{\"decision_id\":\"big-{i}\",\"path\":\"big/allow\",\"input\":{input},\
                 \"result\":{{\"allow\":true}},\"timestamp\":\"2026-11-20T10:00:0{i}Z\"}}\n"
            ));
        }
        std::fs::write(&log, text).unwrap();
    }
    let (code, out, err) = run_limited(&env.db, &["decisions", "import", log.to_str().unwrap()]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.contains("imported 8 decisions"), "{out}");
    // One signed checkpoint per batch: eight batches of one line.
    assert!(out.contains("checkpoint #8 signed"), "{out}");
    let (code, out, _) = env.run(&["decisions", "show", "big-7"]);
    assert_eq!(code, 0);
    assert!(out.contains("allow"), "{out}");
    let (code, out, err) = env.run(&["verify"]);
    assert_eq!(code, 0, "{out}{err}");
}
