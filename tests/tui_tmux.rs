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
        let socket = format!("gavel-e2e-{}", std::process::id());
        let bin = assert_cmd::cargo::cargo_bin("gavel");
        let db = dir.join("demo.db");
        // The shell reports gavel's exit status in the pane once it ends.
        let cmd = format!(
            "GAVEL_CONFIG={} GAVEL_KEY_DIR={} NO_COLOR=1 {} --db {} demo; echo \"gavel exited: $?\"",
            dir.join("none.toml").display(),
            dir.join("keys").display(),
            bin.display(),
            db.display()
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
    pane.keys(&["Escape", "q"]);
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
    let top = lines
        .iter()
        .position(|l| l.contains("Enter picks"))
        .expect("a picker is open");
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
