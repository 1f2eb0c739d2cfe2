//! End to end: the real `gavel demo` binary in a tmux pane, driven with
//! send-keys and read back with capture-pane (polling, never sleeping a
//! fixed time): every tab, a filter, a replay, a test run, a diff, an edit
//! in the playground and its evaluation, quitting, and the terminal left
//! the alternate screen.

use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

struct Pane {
    socket: String,
    target: String,
}

impl Pane {
    fn tmux(&self, args: &[&str]) -> String {
        let out = Command::new("tmux")
            .arg("-L")
            .arg(&self.socket)
            .args(args)
            .output()
            .expect("tmux runs (CI installs it: apt-get install -y tmux)");
        String::from_utf8_lossy(&out.stdout).to_string()
    }

    fn start(dir: &Path) -> Pane {
        let bin = assert_cmd::cargo::cargo_bin("gavel");
        let db = dir.join("demo.db");
        Pane::launch(
            dir,
            "none.toml",
            &format!("{} --db {} demo", bin.display(), db.display()),
        )
    }

    /// Runs `command` in a 120x40 pane with the config `config` (a file in
    /// `dir`) and the keys in `dir/keys`.
    fn launch(dir: &Path, config: &str, command: &str) -> Pane {
        let socket = format!(
            "gavel-e2e-{}-{}",
            std::process::id(),
            dir.file_name().unwrap().to_string_lossy()
        );
        // The shell reports gavel's exit status in the pane once it ends,
        // and in a file (what a pane shows after the program leaves the
        // alternate screen is not always kept).
        let cmd = format!(
            "GAVEL_CONFIG={} GAVEL_KEY_DIR={} NO_COLOR=1 {command}; s=$?; echo $s > {}; echo \"gavel exited: $s\"",
            dir.join(config).display(),
            dir.join("keys").display(),
            dir.join("exit-status").display(),
        );
        let pane = Pane {
            socket,
            target: "e2e:0".into(),
        };
        let status = Command::new("tmux")
            .args([
                "-L",
                &pane.socket,
                "-f",
                "/dev/null",
                "new-session",
                "-d",
                "-s",
                "e2e",
                "-x",
                "120",
                "-y",
                "40",
            ])
            .arg(&cmd)
            .status()
            .expect("tmux runs (CI installs it: apt-get install -y tmux)");
        assert!(status.success());
        pane.tmux(&["set-option", "-t", "e2e", "remain-on-exit", "on"]);
        pane
    }

    fn capture(&self) -> String {
        self.tmux(&["capture-pane", "-p", "-t", &self.target])
    }

    fn keys(&self, keys: &[&str]) {
        for k in keys {
            self.tmux(&["send-keys", "-t", &self.target, k]);
        }
    }

    fn text(&self, text: &str) {
        self.tmux(&["send-keys", "-t", &self.target, "-l", text]);
    }

    fn format(&self, f: &str) -> String {
        self.tmux(&["display-message", "-p", "-t", &self.target, f])
            .trim()
            .to_string()
    }

    /// Polls the pane until `gone` no longer shows. A lone Escape must
    /// settle before the next key, or the terminal reads ESC+key as Alt-key.
    fn wait_gone(&self, gone: &str, secs: u64) {
        let deadline = Instant::now() + Duration::from_secs(secs);
        while self.capture().contains(gone) {
            if Instant::now() > deadline {
                panic!(
                    "waited {secs} s for {gone:?} to go; the pane shows:\n{}",
                    self.capture()
                );
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// Polls the pane until `want` shows (or fails after `secs`).
    fn wait_for(&self, want: &str, secs: u64) -> String {
        let deadline = Instant::now() + Duration::from_secs(secs);
        loop {
            let screen = self.capture();
            if screen.contains(want) {
                return screen;
            }
            if Instant::now() > deadline {
                panic!("waited {secs} s for {want:?}; the pane shows:\n{screen}");
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

impl Drop for Pane {
    fn drop(&mut self) {
        let _ = Command::new("tmux")
            .args(["-L", &self.socket, "kill-server"])
            .status();
    }
}

#[test]
fn the_demo_end_to_end_in_tmux() {
    let dir = tempfile::tempdir().unwrap();
    let pane = Pane::start(dir.path());

    // The demo seeds the store and opens on Policies.
    pane.wait_for("[1 Policies]", 120);
    pane.wait_for("gfr-procurement", 10);
    assert_eq!(
        pane.format("#{alternate_on}"),
        "1",
        "the workbench runs in the alternate screen"
    );

    // Help and palette.
    pane.keys(&["?"]);
    pane.wait_for("keys (Esc closes", 10);
    pane.keys(&["Escape"]);
    pane.wait_gone("keys (Esc closes", 10);
    pane.keys(&[":"]);
    pane.wait_for("command palette", 10);
    pane.keys(&["Escape"]);
    pane.wait_gone("command palette", 10);

    // Every tab.
    for (key, title) in [
        ("2", "[2 Tests]"),
        ("3", "[3 Decisions]"),
        ("4", "[4 Replay / impact]"),
        ("5", "[5 Diff]"),
        ("6", "[6 Playground]"),
        ("1", "[1 Policies]"),
    ] {
        pane.keys(&[key]);
        pane.wait_for(title, 10);
    }

    // Decisions: filter, then replay the first match under its own version.
    pane.keys(&["3", "/"]);
    pane.wait_for("filter: outcome:O", 10);
    pane.text("outcome:BLOCK version:gfr-procurement@1.0.0");
    pane.keys(&["Enter"]);
    pane.wait_for("decisions 1 of 94", 10);
    pane.keys(&["r"]);
    pane.wait_for("DETERMINISTIC", 60);

    // Tests: run the first version's suite.
    pane.keys(&["2", "r"]);
    pane.wait_for(E2E_TESTS_DONE, 120);

    // Diff: gfr-procurement 1.0.0 against 1.1.0.
    pane.keys(&["5", "v"]);
    pane.wait_for("Enter picks", 10);
    pick(&pane, "gfr-procurement@1.0.0");
    pane.wait_for("Enter picks", 10);
    pick(&pane, "gfr-procurement@1.1.0");
    pane.wait_for("250000 -> 300000", 60);

    // Playground: the selected decision's input, edited and evaluated.
    pane.keys(&["3", "e"]);
    pane.wait_for("[6 Playground]", 10);
    pane.keys(&["C-s"]);
    pane.wait_for(E2E_EVALUATED, 60);
    // Break the JSON: the error names line and column, nothing runs.
    pane.text("}}");
    pane.keys(&["C-s"]);
    pane.wait_for(E2E_INVALID_JSON, 10);
    // The cursor went to the error (1:1): delete forward.
    for _ in 0..2 {
        pane.keys(&["DC"]);
    }
    // A real edit that keeps the JSON valid, evaluated again.
    pane.text(" ");
    pane.keys(&["C-s"]);
    pane.wait_gone(E2E_INVALID_JSON, 10);
    pane.wait_for("evaluated under gfr-procurement@1.0.0: BLOCK", 60);

    // Quit: the edits are unsaved, so it asks first.
    // A lone Escape settles first (else ESC+q reads as Alt-q).
    pane.keys(&["Escape"]);
    pane.wait_gone("Esc leave the editor", 10);
    pane.keys(&["q"]);
    pane.wait_for("Quit anyway?", 10);
    pane.keys(&["y"]);
    let screen = pane.wait_for("gavel exited:", 20);
    assert!(screen.contains("gavel exited: 0"), "exit status:\n{screen}");

    assert_eq!(
        pane.format("#{alternate_on}"),
        "0",
        "the terminal left the alternate screen"
    );
    // Mouse reporting was turned off on the way out.
    assert_eq!(pane.format("#{mouse_any_flag}"), "0");
}

/// Moves the open picker to `item` (by its position in the list) and picks it.
fn pick(pane: &Pane, item: &str) {
    // A picker starts on the version in hand: g goes to the top first.
    pane.keys(&["g"]);
    std::thread::sleep(std::time::Duration::from_millis(600));
    let screen = pane.capture();
    let lines: Vec<&str> = screen.lines().collect();
    // The picker's hint is in its bottom border; its top border is the
    // last focused title above it.
    let bottom = lines
        .iter()
        .position(|l| l.contains("Enter picks"))
        .expect("a picker is open");
    let top = lines[..bottom]
        .iter()
        .rposition(|l| l.contains("┌ ▶"))
        .expect("the picker's top border");
    let row = lines[top + 1..]
        .iter()
        .position(|l| l.contains(item))
        .unwrap_or_else(|| panic!("{item} is not in the picker:\n{screen}"));
    for _ in 0..row {
        pane.keys(&["j"]);
    }
    pane.keys(&["Enter"]);
}

/// What the Tests screen shows when a run has finished.
const E2E_TESTS_DONE: &str = "61 passed, 0 failed";
/// What the Playground shows after an evaluation.
const E2E_EVALUATED: &str = "outcome in";
/// What the Playground shows for JSON that does not parse.
const E2E_INVALID_JSON: &str = "invalid JSON at";

/// Runs the gavel binary for the test's setup (seeding, keys): what an
/// administrator does once, before the journeys.
fn gavel(dir: &Path, args: &[&str]) -> String {
    let out = assert_cmd::Command::cargo_bin("gavel")
        .unwrap()
        .env("GAVEL_KEY_DIR", dir.join("keys"))
        .env("GAVEL_CONFIG", dir.join("gavel.toml"))
        .args(args)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "gavel {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).to_string()
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), target).unwrap();
        }
    }
}

/// The three users' journeys in the workbench alone, on a store seeded with
/// the samples and a working copy of gfr-procurement 1.1.0 opened with it:
/// the engineer debugs a denial (explain, playground, a case saved into the
/// working copy, its suite run again, imported as a new version); the
/// compliance officer certifies a version (evidence, sign-off, packet); the
/// auditor replays under the own version and against another, diffs, and
/// verifies the store.
#[test]
fn three_journeys_in_the_workbench_alone() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let db = d.join("store.db");
    let db_arg = db.display().to_string();
    // Setup: the samples, one signer trusted for the one role this
    // organisation requires.
    std::fs::write(
        d.join("gavel.toml"),
        "[certification]\nroles = [\"compliance\"]\n",
    )
    .unwrap();
    gavel(d, &["--db", &db_arg, "demo", "--no-tui"]);
    gavel(d, &["keys", "new"]);
    gavel(d, &["keys", "trust", "alice", "--roles", "compliance"]);
    let wc = d.join("work/gfr-procurement");
    copy_dir(
        &Path::new(env!("CARGO_MANIFEST_DIR")).join("sample-policies/gfr-procurement/1.1.0"),
        &wc,
    );
    let bin = assert_cmd::cargo::cargo_bin("gavel");
    let pane = Pane::launch(
        d,
        "gavel.toml",
        &format!("{} --db {} {}", bin.display(), db_arg, wc.display()),
    );
    pane.wait_for("draft: gfr-procurement", 60);
    pane.wait_for("working copy", 10);

    // --- The engineer: why was this award blocked?
    pane.keys(&["3", "/"]);
    pane.wait_for("filter", 10);
    pane.keys(&["C-u"]);
    pane.text("outcome:BLOCK version:gfr-procurement@1.1.0");
    pane.keys(&["Enter"]);
    pane.wait_for("/outcome:BLOCK", 10);
    pane.keys(&["Enter"]);
    pane.wait_for("causes", 60);
    // Into the playground, evaluated under the decision's version.
    pane.keys(&["e"]);
    pane.wait_for("[6 Playground]", 10);
    pane.keys(&["C-s"]);
    pane.wait_for("evaluated under gfr-procurement@1.1.0: BLOCK", 60);
    // Kept as a named case in the working copy.
    pane.keys(&["C-t"]);
    pane.wait_for("saved into the working copy", 10);
    pane.keys(&["C-u"]);
    pane.text("blocked award e2e");
    pane.keys(&["Enter"]);
    pane.wait_for("saved case blocked award e2e", 10);
    // The working copy's suite again, the new case in it (60 before).
    pane.keys(&["F6"]);
    pane.wait_for("61 passed, 0 failed", 120);
    pane.keys(&["Escape"]);
    pane.wait_gone("61 passed, 0 failed, 0 errors", 10);
    // Imported as a new version.
    pane.keys(&["F8"]);
    pane.wait_for("as version", 10);
    pane.keys(&["Enter"]);
    pane.wait_for("imported gfr-procurement@2.0.1", 60);
    // Out of the editor before the tab keys.
    pane.keys(&["Escape"]);
    pane.wait_gone("Esc leave the editor", 10);
    let cases = std::fs::read_to_string(wc.join("cases/regressions.json")).unwrap();
    assert!(cases.contains("blocked award e2e"), "{cases}");

    // --- The compliance officer: certify gfr-procurement 1.1.0.
    // Its suite, on the Tests tab (the version chosen on Certify).
    pane.keys(&["7", "g"]);
    pane.wait_for("[7 Certify]", 10);
    for _ in 0..9 {
        pane.keys(&["j"]);
    }
    pane.wait_for("gfr-procurement@1.1.0", 10);
    pane.keys(&["2"]);
    pane.wait_for("[2 Tests]", 10);
    pane.keys(&["r"]);
    pane.wait_for("gfr-procurement@1.1.0: 60 passed, 0 failed", 120);
    // Its decisions replayed under it.
    pane.keys(&["4", "/"]);
    pane.wait_for("filter", 10);
    pane.keys(&["C-u"]);
    pane.text("version:gfr-procurement@1.1.0");
    pane.keys(&["Enter"]);
    pane.keys(&["r"]);
    pane.wait_for("Enter picks", 10);
    pane.keys(&["Enter"]);
    pane.wait_for("DETERMINISTIC", 120);
    // The sign-off: the evidence in view first, then the role from the
    // list, the signer the key's.
    pane.keys(&["7"]);
    pane.wait_for("[7 Certify]", 10);
    pane.wait_for("150 of 150 DETERMINISTIC", 120);
    pane.keys(&["c"]);
    pane.wait_for("sign off gfr-procurement@1.1.0 as", 30);
    pane.keys(&["Enter"]);
    pane.wait_for("signer (Enter", 30);
    pane.keys(&["Enter"]);
    pane.wait_for("statement (Enter for none)", 30);
    pane.text("suite and replays reviewed");
    pane.keys(&["Enter"]);
    pane.wait_for("compliance signed off gfr-procurement@1.1.0", 60);
    // The packet for the auditors.
    pane.keys(&["p"]);
    pane.wait_for("certification packet of gfr-procurement@1.1.0", 10);
    pane.keys(&["C-u"]);
    let packet = d.join("packet.md");
    pane.text(&packet.display().to_string());
    pane.keys(&["Enter"]);
    pane.wait_for("wrote the certification packet", 60);
    let text = std::fs::read_to_string(&packet).unwrap();
    assert!(text.contains("gfr-procurement"), "{text}");
    assert!(text.contains("alice"), "the sign-off is in the packet");

    // --- The auditor: replay against another version, diff, verify.
    pane.keys(&["3"]);
    pane.wait_for("[3 Decisions]", 10);
    pane.keys(&["a"]);
    pane.wait_for("Enter picks", 10);
    pick(&pane, "gfr-procurement@2.0.0");
    pane.wait_for("against gfr-procurement@2.0.0", 60);
    pane.keys(&["5", "v"]);
    pane.wait_for("Enter picks", 10);
    pick(&pane, "gfr-procurement@1.0.0");
    pane.wait_for("Enter picks", 10);
    pick(&pane, "gfr-procurement@1.1.0");
    pane.wait_for("250000 -> 300000", 60);
    pane.keys(&["7", "V"]);
    pane.wait_for("verify: store OK", 120);
    // A lone Escape settles before the next key (else ESC+q reads as Alt-q).
    pane.keys(&["Escape"]);
    std::thread::sleep(Duration::from_millis(500));

    pane.keys(&["q"]);
    let status = d.join("exit-status");
    let deadline = Instant::now() + Duration::from_secs(20);
    while !status.exists() {
        assert!(
            Instant::now() < deadline,
            "gavel did not quit:\n{}",
            pane.capture()
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    std::thread::sleep(Duration::from_millis(100));
    assert_eq!(std::fs::read_to_string(&status).unwrap().trim(), "0");
    assert_eq!(pane.format("#{alternate_on}"), "0");
}
