//! Benchmarks of the auditor's path (issue 4), printed as figures:
//! - import of 1,000,000 generated decision events (~500-byte inputs) into
//!   the Merkle log, a checkpoint signed per batch;
//! - an inclusion proof of one decision in that log of a million, and
//!   `gavel verify`'s full recomputation of it;
//! - batch replay of 100,000 stored decisions against a sample version;
//! - peak resident memory, to show streaming keeps it flat.
//!
//! `cargo bench --bench decisions` (GAVEL_BENCH_EVENTS / GAVEL_BENCH_REPLAYS
//! change the sizes, GAVEL_BENCH_ROUNDS the replay rounds, 3 by default;
//! GAVEL_BENCH_ONLY=own,against,interpreter picks replays,
//! GAVEL_BENCH_THREADS the workers, all cores by default).

use std::io::{BufWriter, Write};
use std::path::Path;
use std::sync::atomic::AtomicBool;
use std::time::Instant;

use gavel::decision_import::{ImportHooks, import_decisions};
use gavel::import::{ImportOptions, import_bundle};
use gavel::replay::{BatchOptions, replay_all};
use gavel::store::decisions::DecisionFilter;
use gavel::store::{Store, VersionRef};
use serde_json::Value;

#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn env_usize(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// Resets the peak-RSS mark (Linux: `5` to clear_refs), so each phase's
/// peak is its own.
fn reset_peak_rss() {
    let _ = std::fs::write("/proc/self/clear_refs", "5");
}

/// Writes `n` events cycling through the sample decisions of a regime,
/// each with a fresh id and time.
fn write_log(path: &Path, template: &Path, n: usize) -> u64 {
    let lines: Vec<Value> = std::fs::read_to_string(template)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let mut out = BufWriter::new(std::fs::File::create(path).unwrap());
    let mut bytes = 0u64;
    for i in 0..n {
        let mut e = lines[i % lines.len()].clone();
        e["decision_id"] = Value::String(format!("bench-{i:09}"));
        let ns = 1_790_812_800_000_000_000_i64 + i as i64 * 1_000_000;
        e["timestamp"] = Value::String(gavel::engine::clock::format_rfc3339_ns(ns));
        e["nd_builtin_cache"] = serde_json::json!({"time.now_ns": {"[]": ns}});
        let line = serde_json::to_string(&e).unwrap();
        bytes += line.len() as u64 + 1;
        writeln!(out, "{line}").unwrap();
    }
    out.flush().unwrap();
    bytes
}

#[path = "support/mod.rs"]
mod support;
use support::{peak_rss_mb, write_synthetic_log};

/// Proofs of single decisions in the log just imported (what `gavel
/// decisions prove` computes), and the full walk of `gavel verify`.
fn prove_and_verify(store: &Store, size: u64) {
    let n = 200u64;
    let mut worst = 0f64;
    let t = Instant::now();
    for k in 0..n {
        let index = (k * 7_919_993) % size;
        let one = Instant::now();
        let proof = store.inclusion_proof(index, size).unwrap();
        let leaf: Vec<u8> = store
            .conn()
            .query_row(
                "SELECT leaf_hash FROM decisions WHERE seq = ?1",
                [index as i64 + 1],
                |r| r.get(0),
            )
            .unwrap();
        let root = store.log_head().unwrap().root();
        gavel::tlog::merkle::verify_inclusion(
            index,
            size,
            &leaf.try_into().unwrap(),
            &proof,
            &root,
        )
        .unwrap();
        worst = worst.max(one.elapsed().as_secs_f64());
    }
    println!(
        "prove one decision in a log of {size}: {:.2} ms mean, {:.2} ms worst ({n} proofs)",
        t.elapsed().as_secs_f64() * 1e3 / n as f64,
        worst * 1e3
    );
    let t = Instant::now();
    let report =
        gavel::verify::verify_log(store, &gavel::verify::VerifyOptions::default()).unwrap();
    assert!(report.broken.is_none(), "{:?}", report.broken);
    println!(
        "verify (every record, leaf, node and checkpoint recomputed): {size} decisions, {:.1} s",
        t.elapsed().as_secs_f64()
    );
}

fn main() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let events = env_usize("GAVEL_BENCH_EVENTS", 1_000_000);
    let replays = env_usize("GAVEL_BENCH_REPLAYS", 100_000);
    let dir = tempfile::tempdir().unwrap();
    let template = root.join("sample-decisions/gfr-procurement.jsonl");

    // Import.
    let mut store = Store::open(&dir.path().join("import.db")).unwrap();
    store.use_log_key(dir.path().join("keys/log.key"), true);
    for v in ["1.0.0", "1.1.0"] {
        import_bundle(
            &mut store,
            &root.join("sample-policies/gfr-procurement").join(v),
            &ImportOptions::default(),
        )
        .unwrap();
    }
    let log = dir.path().join("events.jsonl");
    let bytes = write_synthetic_log(&log, events, false);
    // The parsing half alone, on one thread, streamed.
    {
        use std::io::BufRead;
        let reader = std::io::BufReader::new(std::fs::File::open(&log).unwrap());
        let t = Instant::now();
        let mut n = 0usize;
        for (i, line) in reader.split(b'\n').enumerate() {
            let line = line.unwrap();
            n += gavel::decision_log::parse_line(&line, i as u64 + 1)
                .map(|p| p.event.len())
                .unwrap_or(0);
        }
        let secs = t.elapsed().as_secs_f64();
        println!(
            "parse only: {:.1} µs/event ({n} bytes kept)",
            secs * 1e6 / events as f64
        );
    }
    reset_peak_rss();
    let rss_before = peak_rss_mb();
    let t = Instant::now();
    let file = std::io::BufReader::with_capacity(1 << 20, std::fs::File::open(&log).unwrap());
    let summary = import_decisions(
        &mut store,
        file,
        ImportHooks {
            progress: &mut |_, _| {},
            rejected: &mut |e| panic!("rejected {e:?}"),
        },
    )
    .unwrap();
    let secs = t.elapsed().as_secs_f64();
    assert_eq!(summary.imported as usize, events);
    println!(
        "import: {events} events, {:.0} MB log ({} bytes/event), {secs:.2} s, {:.0} events/s; peak RSS {:.0} MB (before {:.0} MB)",
        bytes as f64 / 1e6,
        bytes / events as u64,
        events as f64 / secs,
        peak_rss_mb(),
        rss_before
    );
    prove_and_verify(&store, events as u64);
    drop(store);

    // Replay.
    let mut store = Store::open(&dir.path().join("replay.db")).unwrap();
    for v in ["1.0.0", "1.1.0"] {
        import_bundle(
            &mut store,
            &root.join("sample-policies/gfr-procurement").join(v),
            &ImportOptions::default(),
        )
        .unwrap();
    }
    let log = dir.path().join("replay.jsonl");
    write_log(&log, &template, replays);
    let file = std::io::BufReader::new(std::fs::File::open(&log).unwrap());
    import_decisions(
        &mut store,
        file,
        ImportHooks {
            progress: &mut |_, _| {},
            rejected: &mut |_| {},
        },
    )
    .unwrap();
    reset_peak_rss();
    // GAVEL_BENCH_ONLY=own,against,interpreter picks the replays to run
    // (all three by default), e.g. to profile one of them.
    let only = std::env::var("GAVEL_BENCH_ONLY").unwrap_or_default();
    let picked = |key: &str| only.is_empty() || only.split(',').any(|k| k.trim() == key);
    // Rounds, interleaved: this machine's speed drifts by 10-15 % over
    // minutes, so one run of each says little; the median of several does.
    let rounds = env_usize("GAVEL_BENCH_ROUNDS", 3).max(1);
    let next = VersionRef::parse("gfr-procurement@1.1.0").unwrap();
    let configs = [
        ("own", "own version", None, false),
        ("against", "against 1.1.0", Some(&next), false),
        (
            "interpreter",
            "against 1.1.0 --interpreter",
            Some(&next),
            true,
        ),
    ];
    let mut rates: Vec<Vec<f64>> = vec![Vec::new(); configs.len()];
    for round in 1..=rounds {
        for (i, (key, label, against, interpreter_only)) in configs.iter().enumerate() {
            if !picked(key) {
                continue;
            }
            let t = Instant::now();
            let report = replay_all(
                &mut store,
                &BatchOptions {
                    filter: DecisionFilter::default(),
                    against: *against,
                    timeout: std::time::Duration::from_secs(5),
                    threads: env_usize("GAVEL_BENCH_THREADS", 0),
                    interpreter_only: *interpreter_only,
                },
                &|_, _| {},
                &AtomicBool::new(false),
            )
            .unwrap();
            let secs = t.elapsed().as_secs_f64();
            let rate = report.replayed as f64 / secs;
            rates[i].push(rate);
            println!(
                "replay {label} (round {round}): {} decisions in {secs:.2} s, {rate:.0} decisions/s, verdicts {:?}; peak RSS {:.0} MB",
                report.replayed,
                report.verdicts,
                peak_rss_mb()
            );
            if round == 1 {
                for line in report.vm.describe() {
                    println!("  {line}");
                }
            }
        }
    }
    for ((_, label, ..), mut r) in configs.iter().zip(rates) {
        if r.is_empty() {
            continue;
        }
        r.sort_by(f64::total_cmp);
        println!(
            "replay {label}: median {:.0} decisions/s (min {:.0}, max {:.0}, {} rounds)",
            r[r.len() / 2],
            r[0],
            r[r.len() - 1],
            r.len()
        );
    }
}
