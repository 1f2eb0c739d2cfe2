//! Benchmark of `gavel serve` (issue 22): sustained ingest of OPA
//! decision-log uploads through the real server process over loopback
//! HTTP, as OPA sends them (gzip JSON arrays of 1,000 events, ~700 bytes
//! each), from several concurrent clients, into the Merkle log with a
//! checkpoint signed per upload. Prints events/s per round and the median.
//!
//! `cargo bench --bench serve_ingest` (GAVEL_BENCH_EVENTS, default 200,000;
//! GAVEL_BENCH_ROUNDS, default 3; GAVEL_BENCH_CLIENTS, default 4;
//! GAVEL_BENCH_BATCH, default 1,000; GAVEL_BENCH_SERVE_ARGS, more flags for
//! `gavel serve`, e.g. `--max-uploads 2`).

use std::io::{BufRead, BufReader, Read, Write};
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

const TOKEN: &str = "bench-token-0123456789abcdef";

fn env_usize(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// One OPA decision event with a ~500-byte input.
fn event(round: usize, n: usize) -> serde_json::Value {
    let kind = ["open", "limited", "single"][n % 3];
    let outcome = ["APPROVE", "BLOCK", "REVIEW"][n % 3];
    serde_json::json!({
        "decision_id": format!("r{round}-{n:08}"),
        "path": "gfr/procurement/decision",
        "input": {
            "contract": {
                "id": format!("C-{n:08}"),
                "value_inr": 1_000_000 + (n % 97) * 12_345,
                "type": kind,
                "rationale": "Competitive tender under GFR 2017 rule 161; evaluation committee minutes attached.",
                "vendor": {"name": format!("Vendor {}", n % 311), "gstin": "27AAACB1234F1Z5", "msme": n.is_multiple_of(2)}
            },
            "approvals": [{"role": "finance", "by": format!("officer-{}", n % 17)}, {"role": "technical", "by": "te-03"}],
            "department": "Ministry of Road Transport",
            "requested_at": "2026-11-20T10:00:00Z"
        },
        "result": {"outcome": outcome, "reasons": []},
        "timestamp": format!("2026-12-01T10:{:02}:{:02}.{:09}Z", (n / 60) % 60, n % 60, n),
        "bundles": {"gfr-procurement": {"revision": "1.0.0"}},
        "labels": {"id": "5cd0f8f3-opa", "version": "1.4.2"},
        "metrics": {"timer_rego_query_eval_ns": 12_345 + n}
    })
}

/// CPU seconds (user + system) a process has used so far (Linux).
fn cpu_seconds(pid: u32) -> Option<f64> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // Fields after the command's closing parenthesis; utime and stime are
    // the 14th and 15th of the line, in clock ticks (100 a second here).
    let rest = stat.rsplit_once(')')?.1;
    let fields: Vec<&str> = rest.split_whitespace().collect();
    let ticks: f64 = fields.get(11)?.parse::<f64>().ok()? + fields.get(12)?.parse::<f64>().ok()?;
    Some(ticks / 100.0)
}

fn gzip(data: &[u8]) -> Vec<u8> {
    // OPA's plugin writes gzip at the default level.
    let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    e.write_all(data).unwrap();
    e.finish().unwrap()
}

fn main() {
    let events = env_usize("GAVEL_BENCH_EVENTS", 200_000);
    let rounds = env_usize("GAVEL_BENCH_ROUNDS", 3);
    let clients = env_usize("GAVEL_BENCH_CLIENTS", 4);
    let batch = env_usize("GAVEL_BENCH_BATCH", 1_000);
    let serve_args = std::env::var("GAVEL_BENCH_SERVE_ARGS").unwrap_or_default();
    let mut rates = Vec::new();
    for round in 0..rounds {
        let dir = tempfile::tempdir().unwrap();
        let db = dir.path().join("gavel.db");
        std::fs::write(dir.path().join("token"), TOKEN).unwrap();
        // The uploads are made before the clock starts.
        let mut bytes = 0usize;
        let uploads: Vec<Vec<u8>> = (0..events.div_ceil(batch))
            .map(|b| {
                let chunk: Vec<_> = (b * batch..((b + 1) * batch).min(events))
                    .map(|n| event(round, n))
                    .collect();
                let text = serde_json::to_vec(&chunk).unwrap();
                bytes += text.len();
                gzip(&text)
            })
            .collect();
        let mut child = Command::new(env!("CARGO_BIN_EXE_gavel"))
            .env("GAVEL_KEY_DIR", dir.path().join("keys"))
            .env_remove("GAVEL_SERVE_TOKEN")
            .arg("--db")
            .arg(&db)
            .args(["serve", "--listen", "127.0.0.1:0", "--token-file"])
            .arg(dir.path().join("token"))
            .args(serve_args.split_whitespace())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("gavel serve");
        let mut stderr = BufReader::new(child.stderr.take().unwrap());
        let mut line = String::new();
        let base = loop {
            line.clear();
            assert!(
                stderr.read_line(&mut line).unwrap() > 0,
                "gavel serve stopped"
            );
            if let Some(rest) = line.split("listening on ").nth(1) {
                break rest.split_whitespace().next().unwrap().to_string();
            }
        };
        // Keep the server's log flowing.
        std::thread::spawn(move || for _ in stderr.lines() {});
        let url = format!("{base}/logs");
        let uploads = Arc::new(uploads);
        let next = Arc::new(AtomicUsize::new(0));
        let cpu_before = cpu_seconds(child.id());
        let started = Instant::now();
        let workers: Vec<_> = (0..clients)
            .map(|_| {
                let (uploads, next, url) = (uploads.clone(), next.clone(), url.clone());
                std::thread::spawn(move || {
                    let agent: ureq::Agent = ureq::Agent::config_builder()
                        .timeout_global(Some(Duration::from_secs(120)))
                        .build()
                        .into();
                    let mut stored = 0u64;
                    loop {
                        let b = next.fetch_add(1, Ordering::SeqCst);
                        let Some(body) = uploads.get(b) else { break };
                        let mut resp = agent
                            .post(&url)
                            .header("Authorization", &format!("Bearer {TOKEN}"))
                            .header("Content-Encoding", "gzip")
                            .header("Content-Type", "application/json")
                            .send(&body[..])
                            .expect("upload");
                        let r: serde_json::Value =
                            serde_json::from_str(&resp.body_mut().read_to_string().unwrap())
                                .unwrap();
                        stored += r["stored"].as_u64().unwrap();
                    }
                    stored
                })
            })
            .collect();
        let stored: u64 = workers.into_iter().map(|w| w.join().unwrap()).sum();
        let secs = started.elapsed().as_secs_f64();
        let cpu = cpu_before.zip(cpu_seconds(child.id())).map(|(a, b)| b - a);
        assert_eq!(stored, events as u64, "every event stored once");
        let rate = events as f64 / secs;
        rates.push(rate);
        // The server's own CPU per event: what the figure would be with the
        // machine to itself, as far as CPU goes (the other users of a
        // shared machine take their share of the wall time).
        let per_event = cpu
            .map(|c| {
                format!(
                    "; the server used {c:.2} CPU-s, {:.1} µs per event",
                    c * 1e6 / events as f64
                )
            })
            .unwrap_or_default();
        println!(
            "round {}: {events} events ({:.0} MB of JSON, {} uploads of {batch}, {clients} clients) in {secs:.2} s: {rate:.0} events/s{per_event}",
            round + 1,
            bytes as f64 / 1e6,
            uploads.len()
        );
        let pid = child.id().to_string();
        Command::new("kill").args(["-TERM", &pid]).status().unwrap();
        let status = child.wait().unwrap();
        let mut out = String::new();
        child
            .stdout
            .take()
            .unwrap()
            .read_to_string(&mut out)
            .unwrap();
        assert!(status.success(), "gavel serve exited {status}");
        assert!(out.contains(&format!("{events} decisions stored")), "{out}");
    }
    rates.sort_by(f64::total_cmp);
    if let Some(median) = rates.get(rates.len() / 2) {
        println!(
            "gavel serve sustained ingest: median {median:.0} events/s over {} rounds (min {:.0}, max {:.0})",
            rates.len(),
            rates[0],
            rates[rates.len() - 1]
        );
    }
}
