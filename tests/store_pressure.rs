//! One store file used by a team and an auditor at once: writers that run
//! together all finish (nothing lost or doubled); checks never write, and
//! read a copy the user may not write; a damaged file gets the `store
//! DAMAGED` report.

mod certify_support;
#[path = "tui_support/mod.rs"]
mod tui_support;

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use certify_support::*;

const V: &str = "gfr-procurement@1.0.0";

fn bin() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_gavel"))
}

/// `gavel --db DB ARGS` as a child process, with the tests' keys and trust.
fn spawn(env: &Env, args: &[&str]) -> std::process::Child {
    Command::new(bin())
        .env_remove("GAVEL_DB")
        .env("GAVEL_KEY_DIR", env.dir.path().join("keys"))
        .env("GAVEL_CONFIG", env.dir.path().join("config.toml"))
        .env("GAVEL_ALLOWED_SIGNERS", trust(env))
        .env("GAVEL_NOW", T0)
        .arg("--db")
        .arg(&env.db)
        .args(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap()
}

fn sample(name: &str) -> String {
    samples().join(name).to_string_lossy().into_owned()
}

#[test]
fn imports_replays_a_sign_off_and_the_workbench_at_once_all_finish() {
    let env = gfr_store();
    prepare(&env, V);
    let decisions = |env: &Env| json(env, &["decisions", "list", "--limit", "100000"]);
    let before = decisions(&env).as_array().unwrap().len();
    assert_eq!(before, 300);
    let log = decisions_dir().join("pmla-kyc.jsonl");
    let pmla_lines = std::fs::read_to_string(&log).unwrap().lines().count();

    // The workbench, in this process, on the same file.
    let dir = env.dir.path().to_path_buf();
    let db = env.db.clone();
    let workbench = std::thread::spawn(move || {
        let mut app = gavel::tui::app::App::new(
            db,
            gavel::tui::action::KeyMap::default(),
            tui_support::plain_theme(),
            false,
        )
        .unwrap();
        app.use_log_key(dir.join("keys/log.key"));
        tui_support::settle(&mut app);
        // Tab 2 runs the selected version's suite: a write of its own.
        tui_support::press(&mut app, "2r");
        tui_support::settle(&mut app);
        for _ in 0..5 {
            app.reload().unwrap();
        }
        app.message.clone()
    });
    let mut children = vec![
        (
            "decisions import",
            spawn(&env, &["decisions", "import", log.to_str().unwrap()]),
        ),
        ("replay --all", spawn(&env, &["replay", "--all"])),
        (
            "certify",
            spawn(
                &env,
                &[
                    "certify",
                    V,
                    "--role",
                    "legal",
                    "--signer",
                    "legal officer",
                    "--key",
                    &role_key(&env, "legal"),
                ],
            ),
        ),
    ];
    for v in [
        "pmla-kyc/1.0.0",
        "pmla-kyc/1.1.0",
        "dpdp-consent/1.0.0",
        "dpdp-consent/1.1.0",
        "companies-act-sod/1.0.0",
    ] {
        children.push(("import", spawn(&env, &["import", &sample(v)])));
    }
    for (what, child) in children {
        let out = child.wait_with_output().unwrap();
        // replay --all exits 1 when a replay DIVERGED or an ERROR: the
        // sample logs replay clean, so 0 is the only right answer here.
        assert_eq!(
            out.status.code(),
            Some(0),
            "{what}: {}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
    }
    let message = workbench.join().unwrap();
    assert!(
        message
            .as_ref()
            .is_none_or(|m| !m.0.contains("locked") && !m.0.contains("busy")),
        "{message:?}"
    );

    // Nothing lost or doubled.
    let after = decisions(&env).as_array().unwrap().len();
    assert_eq!(after, before + pmla_lines);
    let versions = json(&env, &["versions"]);
    assert_eq!(versions.as_array().unwrap().len(), 3 + 5, "{versions}");
    let report = json_at(&env, T0, &["certify", "--verify", V], 1);
    assert_eq!(
        report["certification"]["signoffs"]
            .as_array()
            .unwrap()
            .len(),
        1
    );
    let (code, out, err) = run(&env, &["verify"]);
    assert_eq!(code, 0, "{out}{err}");
}

/// Runs the binary as an unprivileged user when the tests run as root (a
/// file mode binds only others), else as ourselves.
fn as_reader(args: &[&str], db: &Path, env: &Env) -> (i32, String, String) {
    let root = unsafe_is_root();
    let mut c = if root {
        let mut c = Command::new("setpriv");
        c.args(["--reuid=65534", "--regid=65534", "--clear-groups"])
            .arg(bin());
        c
    } else {
        Command::new(bin())
    };
    c.env_remove("GAVEL_DB")
        .env("GAVEL_KEY_DIR", env.dir.path().join("reader-keys"))
        .env("GAVEL_CONFIG", env.dir.path().join("config.toml"))
        .env("GAVEL_ALLOWED_SIGNERS", trust(env))
        .env("GAVEL_NOW", T0)
        .arg("--db")
        .arg(db)
        .args(args);
    let out = c.output().unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn unsafe_is_root() -> bool {
    // `id -u` rather than libc: the tests need no unsafe code.
    Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
}

fn chmod(path: &Path, mode: u32) {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)).unwrap();
}

fn listing(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

#[test]
fn an_auditor_browses_and_verifies_a_copy_they_may_not_write() {
    let env = gfr_store();
    prepare(&env, V);
    certify_all(&env, V);
    // The auditor's copy, in a folder of its own that they may not write
    // either (so SQLite cannot make the WAL's -shm file beside it).
    let folder = env.dir.path().join("audit");
    std::fs::create_dir_all(&folder).unwrap();
    let copy = folder.join("copy.db");
    let (code, out, err) = run(&env, &["backup", copy.to_str().unwrap()]);
    assert_eq!(code, 0, "{out}{err}");
    let bytes = std::fs::read(&copy).unwrap();
    let files = listing(&folder);
    chmod(env.dir.path(), 0o755);
    chmod(&copy, 0o444);
    chmod(&folder, 0o555);
    let id = decision_of(&env, V, "BLOCK");
    for (args, code) in [
        (&["versions"][..], 0),
        (&["rules", V][..], 0),
        (&["matrix", V][..], 0),
        (&["decisions", "list", "--limit", "5"][..], 0),
        (&["decisions", "show", &id][..], 0),
        (&["decisions", "export", "--version", V][..], 0),
        (&["exceptions", "list"][..], 0),
        (&["packet", V, "--format", "md"][..], 0),
        (&["certify", "--verify", V][..], 0),
        (&["verify"][..], 0),
    ] {
        let (got, out, err) = as_reader(args, &copy, &env);
        assert_eq!(got, code, "{args:?}: {out}{err}");
    }
    let (_, out, _) = as_reader(&["verify"], &copy, &env);
    assert!(out.contains("log OK: 300 decisions"), "{out}");
    // A command that writes says why it cannot, and writes nothing.
    let (code, _, err) = as_reader(&["replay", "--all"], &copy, &env);
    assert_eq!(code, 2);
    assert!(err.contains("the store cannot be written here"), "{err}");
    assert_eq!(std::fs::read(&copy).unwrap(), bytes, "the copy changed");
    assert_eq!(listing(&folder), files, "files appeared beside the copy");
    chmod(&folder, 0o755);
    chmod(&copy, 0o644);
}

#[test]
fn the_workbench_on_a_read_only_copy_says_so_and_offers_no_writes() {
    let env = gfr_store();
    let copy = env.dir.path().join("copy.db");
    let (code, _, err) = run(&env, &["backup", copy.to_str().unwrap()]);
    assert_eq!(code, 0, "{err}");
    let bytes = std::fs::read(&copy).unwrap();
    // Read-only even for root: the immutable attribute (as read-only media).
    let locked = Command::new("chattr").arg("+i").arg(&copy).status();
    if !unsafe_is_root() {
        chmod(&copy, 0o444);
    } else {
        assert!(locked.is_ok_and(|s| s.success()), "chattr +i");
    }
    let app = gavel::tui::app::App::new(
        copy.clone(),
        gavel::tui::action::KeyMap::default(),
        tui_support::plain_theme(),
        false,
    );
    let _ = Command::new("chattr").arg("-i").arg(&copy).status();
    let mut app = app.unwrap();
    tui_support::settle(&mut app);
    assert!(app.read_only);
    let screen = tui_support::render(&app, 120, 30);
    assert!(screen.contains("READ-ONLY store"), "{screen}");
    // Tab 4 (decisions): replay is not offered, and its key does nothing.
    tui_support::press(&mut app, "3");
    let screen = tui_support::render(&app, 160, 30);
    assert!(!screen.contains("replay"), "{screen}");
    tui_support::press(&mut app, "r7c");
    assert!(app.overlay.is_none(), "{:?}", app.overlay);
    assert!(app.jobs.running.is_empty());
    assert_eq!(std::fs::read(&copy).unwrap(), bytes);
}

#[test]
fn checks_never_touch_a_missing_empty_or_foreign_file() {
    let env = Env::new();
    let dir = env.dir.path();
    // A mistyped path: refused, nothing made.
    let missing = dir.join("no/such/gavel.db");
    for args in [&["verify"][..], &["versions"][..], &["packet", V][..]] {
        let (code, _, err) = as_reader_here(&missing, args);
        assert_eq!(code, 2, "{args:?}");
        assert!(err.contains("no such store (nothing was created"), "{err}");
    }
    assert!(!dir.join("no").exists());
    // An empty file and another application's SQLite file: refused, and
    // left byte for byte as they were, with nothing beside them.
    let empty = dir.join("empty.db");
    std::fs::write(&empty, b"").unwrap();
    let foreign = dir.join("other.sqlite");
    {
        let conn = rusqlite::Connection::open(&foreign).unwrap();
        conn.execute_batch("CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT); INSERT INTO notes (body) VALUES ('hello');")
            .unwrap();
    }
    let text = dir.join("notes.txt");
    std::fs::write(&text, "not a database at all\n").unwrap();
    let before = listing(dir);
    for (file, says) in [
        (&empty, "an empty file, not a Gavel store"),
        (&foreign, "an SQLite file, but not a Gavel store"),
        (&text, "not an SQLite file"),
    ] {
        let bytes = std::fs::read(file).unwrap();
        for args in [
            &["verify"][..],
            &["versions"][..],
            &["decisions", "list"][..],
        ] {
            let (code, _, err) = as_reader_here(file, args);
            assert_eq!(code, 2, "{args:?}");
            assert!(err.contains(says), "{args:?}: {err}");
        }
        // A command that writes refuses another application's file too.
        if file != &empty {
            let (code, _, err) =
                as_reader_here(file, &["import", &sample("gfr-procurement/1.0.0")]);
            assert_eq!(code, 2);
            assert!(err.contains("not"), "{err}");
        }
        assert_eq!(std::fs::read(file).unwrap(), bytes, "{}", file.display());
    }
    assert_eq!(listing(dir), before);
}

fn as_reader_here(db: &Path, args: &[&str]) -> (i32, String, String) {
    let out = Command::new(bin())
        .env_remove("GAVEL_DB")
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

#[test]
fn a_truncated_store_gets_the_damaged_report() {
    let env = gfr_store();
    let copy = env.dir.path().join("copy.db");
    let (code, _, err) = run(&env, &["backup", copy.to_str().unwrap()]);
    assert_eq!(code, 0, "{err}");
    let bytes = std::fs::read(&copy).unwrap();
    for keep in [bytes.len() / 2, 4096 + 100] {
        let cut = env.dir.path().join(format!("cut-{keep}.db"));
        std::fs::write(&cut, &bytes[..keep]).unwrap();
        let (code, out, err) = as_reader_here(&cut, &["verify"]);
        assert_eq!(code, 1, "{out}{err}");
        assert!(out.contains("store DAMAGED"), "{out}{err}");
        // Any other command says it is damaged and where to look.
        let (code, _, err) = as_reader_here(&cut, &["decisions", "list"]);
        assert_eq!(code, 2);
        assert!(
            err.contains("DAMAGED") || err.contains("malformed"),
            "{err}"
        );
    }
}

#[test]
fn a_full_disk_names_the_batch_that_failed_and_keeps_the_ones_before() {
    let env = Env::new();
    let dir = env.dir.path();
    // 21,000 decisions (about 36 MB) for a store on a 40 MB file system.
    let lines = std::fs::read_to_string(decisions_dir().join("gfr-procurement.jsonl")).unwrap();
    let mut log = String::new();
    for k in 0..70 {
        for line in lines.lines() {
            let mut v: serde_json::Value = serde_json::from_str(line).unwrap();
            let id = format!("{}-{k}", v["decision_id"].as_str().unwrap());
            v["decision_id"] = serde_json::Value::String(id);
            log.push_str(&serde_json::to_string(&v).unwrap());
            log.push('\n');
        }
    }
    let log_file = dir.join("big.jsonl");
    std::fs::write(&log_file, log).unwrap();
    let small = dir.join("small");
    std::fs::create_dir_all(&small).unwrap();
    let db = small.join("gavel.db");
    // Everything runs inside a mount namespace of its own, so the small
    // file system goes when the shell does.
    let script = format!(
        "set -u; mount -t tmpfs -o size=40m tmpfs {small} || exit 99; \
         G='{bin} --db {db}'; export GAVEL_KEY_DIR={keys}; \
         $G import {bundle} >/dev/null 2>&1 || exit 98; \
         $G decisions import {log} >{dir}/out.txt 2>{dir}/err.txt; echo \"code=$?\"; \
         $G --format json decisions list --limit 100000 > {dir}/list.json 2>{dir}/list.err; echo \"list=$?\"; \
         mount -o remount,size=200m {small} || exit 97; \
         $G decisions import {log} >/dev/null 2>{dir}/again.err; echo \"again=$?\"; \
         $G --format json decisions list --limit 100000 > {dir}/all.json; \
         $G verify >/dev/null 2>&1; echo \"verify=$?\"",
        small = small.display(),
        bin = bin().display(),
        db = db.display(),
        keys = dir.join("keys").display(),
        bundle = sample("gfr-procurement/1.0.0"),
        log = log_file.display(),
        dir = dir.display(),
    );
    let mut unshare = Command::new("unshare");
    if unsafe_is_root() {
        unshare.arg("--mount");
    } else {
        unshare.args(["--user", "--map-root-user", "--mount"]);
    }
    let out = unshare.args(["sh", "-c", &script]).output().unwrap();
    let said = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        said.contains("code=2"),
        "{said}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(said.contains("list=0"), "{said}");
    let err = std::fs::read_to_string(dir.join("err.txt")).unwrap();
    let re = regex::Regex::new(
        r"the disk is full while storing the batch of lines (\d+)-(\d+): nothing of it was stored; lines 1-(\d+) are committed \((\d+) decisions new",
    )
    .unwrap();
    let caps = re.captures(&err).unwrap_or_else(|| panic!("{err}"));
    let first: usize = caps[1].parse().unwrap();
    let committed: usize = caps[3].parse().unwrap();
    let new: usize = caps[4].parse().unwrap();
    assert_eq!(committed, first - 1);
    assert!(committed > 0 && committed < 21_000, "{err}");
    // Exactly the lines before the failed batch are stored.
    let list: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("list.json")).unwrap()).unwrap();
    assert_eq!(list.as_array().unwrap().len(), committed, "{err}");
    assert_eq!(new, committed);
    // With room again, the same import stores the rest, each decision once.
    assert!(said.contains("again=0"), "{said}");
    assert!(said.contains("verify=0"), "{said}");
    let all: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("all.json")).unwrap()).unwrap();
    assert_eq!(all.as_array().unwrap().len(), 21_000);
}

#[test]
fn an_empty_store_is_named_by_the_commands_that_find_it_empty() {
    let env = Env::new();
    let (code, _, err) = env.run(&["import", &sample("gfr-procurement/1.0.0")]);
    assert_eq!(code, 0, "{err}");
    let path = env.db.display().to_string();
    let (code, out, _) = env.run(&["decisions", "list"]);
    assert_eq!(code, 0);
    assert!(
        out.contains(&format!("no decisions stored yet in {path}")),
        "{out}"
    );
    let empty = Env::new();
    // A store made by a command that writes, then read by one that checks.
    let (code, _, _) = empty.run(&["exceptions", "list"]);
    assert_eq!(code, 2, "a check does not make the store");
    let (code, _, _) = empty.run(&["replay", "--all"]);
    assert_eq!(code, 0);
    let (code, out, _) = empty.run(&["versions"]);
    assert_eq!(code, 0);
    assert!(
        out.contains(&format!(
            "no policy versions stored yet in {}",
            empty.db.display()
        )),
        "{out}"
    );
}
