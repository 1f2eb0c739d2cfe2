//! Helpers of the `gavel serve` tests: the real binary started on a free
//! loopback port, OPA-shaped decision events gzipped into uploads, and an
//! HTTP client (ureq) that reports every status as a value.
#![allow(dead_code)]

use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

/// The test's token (at least 16 characters, as the server asks).
pub const TOKEN: &str = "test-token-0123456789abcdef";

/// A store and its key in a temp directory.
pub struct Store {
    pub dir: tempfile::TempDir,
    pub db: PathBuf,
}

impl Store {
    pub fn new() -> Store {
        let dir = tempfile::tempdir().expect("tempdir");
        let db = dir.path().join("gavel.db");
        std::fs::write(dir.path().join("token"), format!("{TOKEN}\n")).unwrap();
        Store { dir, db }
    }

    pub fn token_file(&self) -> PathBuf {
        self.dir.path().join("token")
    }

    /// `gavel --db DB ARGS` with the test's own key directory.
    pub fn gavel(&self, args: &[&str]) -> Command {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_gavel"));
        cmd.env_remove("GAVEL_DB")
            .env_remove("GAVEL_SERVE_TOKEN")
            .env_remove("GAVEL_LOG_KEY")
            .env("GAVEL_KEY_DIR", self.dir.path().join("keys"))
            .arg("--db")
            .arg(&self.db)
            .args(args);
        cmd
    }

    /// Runs a command to its end: (exit code, stdout, stderr).
    pub fn run(&self, args: &[&str]) -> (i32, String, String) {
        let out = self.gavel(args).output().expect("gavel runs");
        (
            out.status.code().unwrap_or(-1),
            String::from_utf8_lossy(&out.stdout).into_owned(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    }

    /// (decisions, distinct decision ids) in the store, read directly.
    pub fn counts(&self) -> (i64, i64) {
        let conn = rusqlite::Connection::open(&self.db).unwrap();
        conn.busy_timeout(Duration::from_secs(10)).unwrap();
        conn.query_row(
            "SELECT count(*), count(DISTINCT decision_id) FROM decisions",
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .unwrap()
    }

    /// Every stored decision id.
    pub fn ids(&self) -> std::collections::HashSet<String> {
        let conn = rusqlite::Connection::open(&self.db).unwrap();
        let mut stmt = conn.prepare("SELECT decision_id FROM decisions").unwrap();
        stmt.query_map([], |r| r.get(0))
            .unwrap()
            .map(Result::unwrap)
            .collect()
    }

    /// `gavel verify` passes and its log line counts `n` decisions.
    pub fn assert_verifies(&self, n: usize) {
        let (code, out, err) = self.run(&["verify"]);
        assert_eq!(code, 0, "gavel verify failed:\n{out}\n{err}");
        assert!(
            out.contains(&format!("log OK: {n} decisions")),
            "gavel verify: {out}"
        );
    }
}

/// A running `gavel serve`.
pub struct Server {
    pub child: Child,
    /// `http://127.0.0.1:PORT`
    pub base: String,
    /// The server's stderr lines, as they come.
    pub log: mpsc::Receiver<String>,
    /// Lines read so far.
    pub seen: Vec<String>,
}

impl Server {
    /// Starts `gavel serve` with the token and `extra` flags on
    /// 127.0.0.1, port 0 (the system picks a free one) unless `extra`
    /// says `--listen`; waits for its "listening on" line.
    pub fn start(store: &Store, extra: &[&str]) -> Server {
        let mut args = vec!["serve"];
        if !extra.contains(&"--listen") {
            args.extend(["--listen", "127.0.0.1:0"]);
        }
        let token = store.token_file();
        let token = token.to_str().unwrap().to_string();
        if !extra.contains(&"--no-auth") {
            args.extend(["--token-file", &token]);
        }
        args.extend_from_slice(extra);
        let mut child = store
            .gavel(&args)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("gavel serve starts");
        let stderr = child.stderr.take().unwrap();
        let (tx, log) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines() {
                let Ok(line) = line else { break };
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        let mut server = Server {
            child,
            base: String::new(),
            log,
            seen: Vec::new(),
        };
        let line = server.wait_for("listening on ", Duration::from_secs(30));
        let url = line
            .split("listening on ")
            .nth(1)
            .and_then(|s| s.split_whitespace().next())
            .expect("an address")
            .to_string();
        server.base = url;
        server
    }

    /// The first stderr line (seen before or to come) containing `text`.
    pub fn wait_for(&mut self, text: &str, timeout: Duration) -> String {
        if let Some(l) = self.seen.iter().find(|l| l.contains(text)) {
            return l.clone();
        }
        let deadline = Instant::now() + timeout;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.log.recv_timeout(left) {
                Ok(line) => {
                    self.seen.push(line.clone());
                    if line.contains(text) {
                        return line;
                    }
                }
                Err(_) => {
                    let _ = self.child.kill();
                    panic!(
                        "gavel serve never said {text:?}; its log:\n{}",
                        self.seen.join("\n")
                    );
                }
            }
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// The port it listens on.
    pub fn port(&self) -> u16 {
        self.base.rsplit(':').next().unwrap().parse().unwrap()
    }

    /// SIGTERM, then its exit status and stdout (within 60 s).
    pub fn terminate(self) -> (std::process::ExitStatus, String) {
        let pid = self.child.id().to_string();
        let sent = Command::new("kill").args(["-TERM", &pid]).status().unwrap();
        assert!(sent.success());
        self.terminate_waited()
    }

    /// Its exit status and stdout once it stops by itself (within 60 s).
    pub fn terminate_waited(mut self) -> (std::process::ExitStatus, String) {
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                let mut out = String::new();
                use std::io::Read;
                self.child
                    .stdout
                    .take()
                    .unwrap()
                    .read_to_string(&mut out)
                    .unwrap();
                while let Ok(l) = self.log.try_recv() {
                    self.seen.push(l);
                }
                return (status, out);
            }
            assert!(
                Instant::now() < deadline,
                "gavel serve did not stop on SIGTERM"
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// SIGKILL, and wait for it to be gone.
    pub fn kill(mut self) {
        self.child.kill().unwrap();
        self.child.wait().unwrap();
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// An OPA decision-log event (as OPA's plugin builds it).
pub fn event(id: &str, n: usize) -> serde_json::Value {
    serde_json::json!({
        "decision_id": id,
        "path": "serve/test/allow",
        "input": {"user": format!("u{n}"), "amount": n, "tags": ["a", "b"]},
        "result": !n.is_multiple_of(3),
        "timestamp": format!("2026-12-01T10:{:02}:{:02}.123456789Z", (n / 60) % 60, n % 60),
        "bundles": {"serve-test": {"revision": "1.0.0"}},
        "labels": {"id": "5cd0f8f3-opa", "version": "1.4.2"},
        "metrics": {"timer_rego_query_eval_ns": 12345 + n},
        "req_id": n
    })
}

/// `count` events with ids `{prefix}-{i}`.
pub fn events(prefix: &str, count: usize) -> Vec<serde_json::Value> {
    (0..count)
        .map(|i| event(&format!("{prefix}-{i}"), i))
        .collect()
}

/// Events as OPA uploads them: a JSON array, gzipped.
pub fn gzip_upload(events: &[serde_json::Value]) -> Vec<u8> {
    gzip(serde_json::to_string(events).unwrap().as_bytes())
}

pub fn gzip(data: &[u8]) -> Vec<u8> {
    let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    e.write_all(data).unwrap();
    e.finish().unwrap()
}

/// An HTTP client that reports 4xx and 5xx as statuses, not errors.
pub fn client() -> ureq::Agent {
    ureq::Agent::config_builder()
        .http_status_as_error(false)
        .timeout_global(Some(Duration::from_secs(60)))
        .build()
        .into()
}

/// POSTs `body` (gzip when `gzipped`) with `token`: (status, body).
pub fn post(
    agent: &ureq::Agent,
    url: &str,
    body: &[u8],
    gzipped: bool,
    token: Option<&str>,
) -> Result<(u16, String), ureq::Error> {
    let mut req = agent.post(url).header("Content-Type", "application/json");
    if gzipped {
        req = req.header("Content-Encoding", "gzip");
    }
    if let Some(t) = token {
        req = req.header("Authorization", &format!("Bearer {t}"));
    }
    let mut resp = req.send(body)?;
    let status = resp.status().as_u16();
    let text = resp.body_mut().read_to_string().unwrap_or_default();
    Ok((status, text))
}

/// Whether a path exists (the store file, for "nothing stored").
pub fn exists(p: &Path) -> bool {
    p.exists()
}
