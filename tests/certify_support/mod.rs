//! Shared by the certification tests: the binary with a temp key dir and no
//! config file of the user's, an injected clock, and a sample store.
#![allow(dead_code)]

#[path = "../common/mod.rs"]
mod common;

#[allow(unused_imports)]
pub use common::{Env, copy_dir, samples};

use std::path::{Path, PathBuf};

/// The tests' fixed "now" unless a test moves it.
pub const T0: &str = "2026-11-20T09:00:00Z";

pub fn decisions_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("sample-decisions")
}

/// `gavel --db <temp> ARGS` with the key dir and config in the temp dir
/// (never the real config dir) and `GAVEL_NOW` set to `now`.
pub fn cmd(env: &Env, now: &str, args: &[&str]) -> assert_cmd::Command {
    let mut c = env.gavel(args);
    c.env("GAVEL_KEY_DIR", env.dir.path().join("keys"))
        .env("GAVEL_CONFIG", env.dir.path().join("config.toml"))
        .env("GAVEL_ALLOWED_SIGNERS", trust(env))
        .env("GAVEL_NOW", now);
    c
}

/// The roles with a key of their own (`keys/ROLE.key`, principal
/// `ROLE officer`), besides the default key.
pub const KEYED_ROLES: [&str; 6] = ["legal", "compliance", "audit", "security", "ciso", "risk"];

/// The tests' allowed_signers file, made on first use: the default key
/// (`keys/signer.key`) may sign any role under any name (one role per
/// version, by separation of duties); each role of `KEYED_ROLES` has a key
/// of its own for `ROLE officer`.
pub fn trust(env: &Env) -> PathBuf {
    let path = env.dir.path().join("allowed_signers");
    if path.exists() {
        return path;
    }
    let keys = env.dir.path().join("keys");
    let mut text = String::new();
    let default = gavel::certify::SignerKey::load_or_create(&keys.join("signer.key")).unwrap();
    text.push_str(&format!("* {} roles=*\n", default.public_text()));
    for role in KEYED_ROLES {
        let key =
            gavel::certify::SignerKey::load_or_create(&keys.join(format!("{role}.key"))).unwrap();
        text.push_str(&format!(
            "\"{role} officer\" {} roles={role}\n",
            key.public_text()
        ));
    }
    std::fs::write(&path, text).unwrap();
    path
}

/// The key file of `role`'s own signer.
pub fn role_key(env: &Env, role: &str) -> String {
    trust(env);
    env.dir
        .path()
        .join("keys")
        .join(format!("{role}.key"))
        .to_string_lossy()
        .into_owned()
}

/// `certify VERSION --role ROLE` by the role's own signer and key.
pub fn sign_as(env: &Env, version: &str, role: &str) -> (i32, String, String) {
    let key = role_key(env, role);
    let signer = format!("{role} officer");
    run(
        env,
        &[
            "certify", version, "--role", role, "--signer", &signer, "--key", &key,
        ],
    )
}

/// Runs at `now`: (exit code, stdout, stderr).
pub fn run_at(env: &Env, now: &str, args: &[&str]) -> (i32, String, String) {
    let out = cmd(env, now, args).output().expect("runs");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

pub fn run(env: &Env, args: &[&str]) -> (i32, String, String) {
    run_at(env, T0, args)
}

/// Runs with `--format json` at `now`, expecting exit `code`.
pub fn json_at(env: &Env, now: &str, args: &[&str], code: i32) -> serde_json::Value {
    let mut all = vec!["--format", "json"];
    all.extend_from_slice(args);
    let (got, out, err) = run_at(env, now, &all);
    assert_eq!(got, code, "gavel {args:?}: {out}{err}");
    serde_json::from_str(&out).unwrap_or_else(|e| panic!("not JSON ({e}): {out}"))
}

pub fn json(env: &Env, args: &[&str]) -> serde_json::Value {
    json_at(env, T0, args, 0)
}

/// A store with every gfr-procurement version and its 300 decisions.
pub fn gfr_store() -> Env {
    let env = Env::new();
    let mut args = vec!["import".to_string()];
    for v in ["1.0.0", "1.1.0", "2.0.0"] {
        args.push(
            samples()
                .join("gfr-procurement")
                .join(v)
                .to_string_lossy()
                .into_owned(),
        );
    }
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let (code, _, err) = run(&env, &args);
    assert_eq!(code, 0, "{err}");
    let log = decisions_dir().join("gfr-procurement.jsonl");
    let (code, out, err) = run(&env, &["decisions", "import", log.to_str().unwrap()]);
    assert_eq!(code, 0, "{out}{err}");
    env
}

/// Tests with coverage and a replay of its decisions: what certify needs.
pub fn prepare(env: &Env, version: &str) {
    let (code, out, err) = run(env, &["test", version, "--coverage"]);
    assert_eq!(code, 0, "{out}{err}");
    let (code, out, err) = run(env, &["replay", "--all", "--version", version]);
    assert_eq!(code, 0, "{out}{err}");
}

pub const ROLES: [&str; 4] = ["legal", "compliance", "audit", "security"];

/// Signs `version` off by every default role.
pub fn certify_all(env: &Env, version: &str) {
    for role in ROLES {
        let (code, out, err) = sign_as(env, version, role);
        assert_eq!(code, 0, "{role}: {out}{err}");
    }
}

/// A decision id of `version` with `outcome`.
pub fn decision_of(env: &Env, version: &str, outcome: &str) -> String {
    let list = json(
        env,
        &[
            "decisions",
            "list",
            "--version",
            version,
            "--outcome",
            outcome,
            "--limit",
            "1",
        ],
    );
    list[0]["decision_id"].as_str().unwrap().to_string()
}

/// Runs SQL on the store directly (to tamper with it).
pub fn sql(env: &Env, statements: &str) {
    let conn = rusqlite::Connection::open(&env.db).unwrap();
    conn.execute_batch(statements).unwrap();
}
