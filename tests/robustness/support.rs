//! Shared by the robustness tests: a seeded random source, decision logs
//! made from the samples, a look into the store's file, and the state of a
//! store to compare before and after something goes wrong.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use crate::common::{Env, samples};

/// xorshift64*: small, seeded, reproducible.
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Rng {
        Rng(seed.max(1))
    }

    pub fn next(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.0 = x;
        x.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    /// Uniform in `0..n`.
    pub fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }
}

/// The seed of a randomised test: `GAVEL_TEST_SEED` to reproduce a run,
/// else a fixed one.
pub fn seed(default: u64) -> u64 {
    std::env::var("GAVEL_TEST_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(default)
}

/// The keys of a test's store: beside it.
pub fn key_dir(db: &Path) -> PathBuf {
    db.parent().unwrap_or(Path::new(".")).join("keys")
}

/// The real binary.
pub fn gavel_bin() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_gavel"))
}

/// `gavel --db DB ARGS...` started in the background, output discarded.
pub fn spawn(db: &Path, args: &[&str]) -> Child {
    Command::new(gavel_bin())
        .env_remove("GAVEL_DB")
        .env("GAVEL_KEY_DIR", key_dir(db))
        .arg("--db")
        .arg(db)
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("gavel starts")
}

/// `gavel --db DB ARGS...` -> (exit code, stdout, stderr).
pub fn run_on(db: &Path, args: &[&str]) -> (i32, String, String) {
    let out = Command::new(gavel_bin())
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

/// The sample decisions of gfr-procurement (both versions), as lines.
pub fn sample_lines() -> Vec<serde_json::Value> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("sample-decisions/gfr-procurement.jsonl");
    std::fs::read_to_string(path)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

/// `n` decision-log lines cycling through the samples, with ids
/// `{prefix}-000000`... (sorted like the log).
pub fn decision_log(n: usize, prefix: &str) -> String {
    let samples = sample_lines();
    let mut out = String::with_capacity(n * 2000);
    for i in 0..n {
        let mut e = samples[i % samples.len()].clone();
        e["decision_id"] = serde_json::Value::String(format!("{prefix}-{i:06}"));
        out.push_str(&e.to_string());
        out.push('\n');
    }
    out
}

/// A store holding both gfr-procurement versions.
pub fn store_with_versions(env: &Env) {
    let dirs: Vec<String> = ["1.0.0", "1.1.0"]
        .iter()
        .map(|v| {
            samples()
                .join("gfr-procurement")
                .join(v)
                .display()
                .to_string()
        })
        .collect();
    let (code, _, err) = env.run(&["import", &dirs[0], &dirs[1]]);
    assert_eq!(code, 0, "{err}");
}

/// A connection of its own to the store's file (WAL: it reads what is
/// committed while a writer works).
pub fn connect(db: &Path) -> rusqlite::Connection {
    let c = rusqlite::Connection::open(db).unwrap();
    c.busy_timeout(Duration::from_secs(30)).unwrap();
    c
}

/// One number from the store.
pub fn scalar(db: &Path, sql: &str) -> i64 {
    connect(db).query_row(sql, [], |r| r.get(0)).unwrap()
}

/// Committed decisions, as the log head counts them.
pub fn decisions(db: &Path) -> i64 {
    scalar(db, "SELECT count(*) FROM decisions")
}

/// Polls `cond` until it holds or `limit` passes.
pub fn wait_until(limit: Duration, mut cond: impl FnMut() -> bool) -> bool {
    let deadline = Instant::now() + limit;
    while Instant::now() < deadline {
        if cond() {
            return true;
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    cond()
}

/// What must survive bad input: the versions with their hashes, the
/// decisions with their log head, and a passing `gavel verify`.
#[derive(Debug, PartialEq, Eq)]
pub struct Snapshot {
    versions: Vec<(String, String)>,
    decisions: i64,
    head: String,
}

impl Snapshot {
    pub fn versions(&self) -> &[(String, String)] {
        &self.versions
    }

    pub fn decisions(&self) -> i64 {
        self.decisions
    }
}

pub fn snapshot(env: &Env) -> Snapshot {
    let (code, out, err) = env.run(&["verify"]);
    assert_eq!(code, 0, "verify failed:\n{out}{err}");
    let versions = env.json(&["versions"]);
    let mut versions: Vec<(String, String)> = versions
        .as_array()
        .or_else(|| versions["versions"].as_array())
        .expect("a list of versions")
        .iter()
        .map(|v| {
            (
                format!(
                    "{}@{}",
                    v["name"].as_str().unwrap(),
                    v["version"].as_str().unwrap()
                ),
                v["content_hash"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    versions.sort();
    let head = connect(&env.db)
        .query_row(
            "SELECT hex(compact_range) FROM log_head WHERE id = 1",
            [],
            |r| r.get(0),
        )
        .unwrap();
    Snapshot {
        versions,
        decisions: decisions(&env.db),
        head,
    }
}

/// A store with two stored versions and 300 decisions, to check nothing
/// is lost; made once per test binary and copied (a `gavel backup` copy is
/// one self-contained file).
pub fn populated() -> (Env, Snapshot) {
    static TEMPLATE: std::sync::OnceLock<(tempfile::TempDir, PathBuf)> = std::sync::OnceLock::new();
    let (_, template) = TEMPLATE.get_or_init(|| {
        let env = Env::new();
        store_with_versions(&env);
        let log = env.dir.path().join("seed.jsonl");
        std::fs::write(&log, decision_log(300, "seed")).unwrap();
        let (code, _, err) = env.run(&["decisions", "import", log.to_str().unwrap()]);
        assert_eq!(code, 0, "{err}");
        let keep = tempfile::tempdir().unwrap();
        let copy = keep.path().join("template.db");
        let (code, _, err) = env.run(&["backup", copy.to_str().unwrap()]);
        assert_eq!(code, 0, "{err}");
        // The log key that signed its checkpoints goes with it.
        crate::common::copy_dir(&env.dir.path().join("keys"), &keep.path().join("keys"));
        (keep, copy)
    });
    let env = Env::new();
    std::fs::copy(template, &env.db).unwrap();
    let keys = template.parent().unwrap().join("keys");
    crate::common::copy_dir(&keys, &env.dir.path().join("keys"));
    let snap = snapshot(&env);
    assert_eq!(snap.decisions, 300);
    assert_eq!(snap.versions.len(), 2);
    (env, snap)
}

/// The bad input was refused the way the issue asks: the exit code, no
/// panic or abort, and each expected piece in the message.
pub fn assert_refused(code: i32, err: &str, want_code: i32, expect: &[&str]) {
    assert_eq!(code, want_code, "exit code {code}, stderr:\n{err}");
    assert!(!err.contains("panicked"), "panic:\n{err}");
    assert!(
        !err.contains("has overflowed its stack"),
        "stack overflow:\n{err}"
    );
    assert!(!err.contains("fatal runtime error"), "abort:\n{err}");
    for e in expect {
        assert!(err.contains(e), "stderr lacks {e:?}:\n{err}");
    }
}
