//! Crash safety: `gavel decisions import` and `gavel replay --all` killed
//! with SIGKILL at random points. Each time the store opens, passes
//! `gavel verify` and holds whole batches only; running the command again
//! finishes the job without duplicates.
//!
//! The kill points are seeded (`GAVEL_TEST_SEED=N` reproduces a run) and
//! placed by what the store has committed, not by the clock alone: wait
//! until a random number of batches is in, then a random part of the time
//! one batch took, then SIGKILL.

use std::path::Path;
use std::time::{Duration, Instant};

use crate::common::Env;
use crate::support::{
    Rng, decision_log, decisions, run_on, scalar, seed, spawn, store_with_versions, wait_until,
};

fn remove_store(db: &Path) {
    for suffix in ["", "-wal", "-shm"] {
        let _ = std::fs::remove_file(format!("{}{suffix}", db.display()));
    }
}

/// Starts `args` on `db`, waits until `committed()` reaches `target` (or the
/// command ends), waits `fraction` (0..1000 per mille) of `batch_time`, and
/// kills it. Returns whether it was still running when killed.
fn kill_at(
    db: &Path,
    args: &[&str],
    committed: &dyn Fn() -> i64,
    target: i64,
    batch_time: Duration,
    fraction: u64,
) -> bool {
    let mut child = spawn(db, args);
    let reached = wait_until(Duration::from_secs(120), || {
        child.try_wait().unwrap().is_some() || committed() >= target
    });
    assert!(reached, "no progress in 120 s");
    std::thread::sleep(batch_time.mul_f64(fraction as f64 / 1000.0));
    let running = child.try_wait().unwrap().is_none();
    child.kill().unwrap();
    child.wait().unwrap();
    running
}

const IMPORT_LINES: i64 = 15_000;
const IMPORT_KILLS: usize = 8;

#[test]
fn import_killed_at_random_points_keeps_whole_batches_and_finishes_on_rerun() {
    let seed = seed(0x6761_7665_6c07);
    let mut rng = Rng::new(seed);
    let batch = gavel::decision_import::BATCH as i64;
    assert_eq!(IMPORT_LINES % batch, 0);
    let template = Env::new();
    store_with_versions(&template);
    let log = template.dir.path().join("log.jsonl");
    let text = decision_log(IMPORT_LINES as usize, "kill");
    // Batches of whole 5,000 lines: none reaches the byte bound.
    let lines: Vec<usize> = text.lines().map(|l| l.len()).collect();
    for chunk in lines.chunks(batch as usize) {
        assert!(chunk.iter().sum::<usize>() < gavel::decision_import::BATCH_BYTES);
    }
    std::fs::write(&log, text).unwrap();
    let log = log.to_str().unwrap();
    let args = ["decisions", "import", log];

    // How long one batch takes here (the first run, to completion).
    let first = template.dir.path().join("timing.db");
    let (code, _, err) = template.run(&["backup", first.to_str().unwrap()]);
    assert_eq!(code, 0, "{err}");
    let started = Instant::now();
    let (code, _, err) = run_on(&first, &args);
    assert_eq!(code, 0, "{err}");
    let batch_time = started.elapsed() / (IMPORT_LINES / batch) as u32;

    let mut interrupted = 0;
    let mut points = Vec::new();
    for i in 0..IMPORT_KILLS {
        let db = template.dir.path().join(format!("kill-{i}.db"));
        let (code, _, err) = template.run(&["backup", db.to_str().unwrap()]);
        assert_eq!(code, 0, "{err}");
        let target = rng.below((IMPORT_LINES / batch) as u64) as i64 * batch;
        let fraction = rng.below(1000);
        let running = kill_at(&db, &args, &|| decisions(&db), target, batch_time, fraction);
        interrupted += usize::from(running);
        let context = format!("seed {seed}, kill {i} after {target} + {fraction}/1000 batch");

        // The store opens and verifies, and holds whole batches: the first
        // n lines of the log, each once.
        let (code, out, err) = run_on(&db, &["verify"]);
        assert_eq!(code, 0, "{context}: verify failed\n{out}{err}");
        let n = decisions(&db);
        points.push(n);
        assert!(
            n % batch == 0 && n <= IMPORT_LINES,
            "{context}: {n} decisions is not whole batches"
        );
        let distinct = scalar(&db, "SELECT count(DISTINCT decision_id) FROM decisions");
        assert_eq!(distinct, n, "{context}");
        if n > 0 {
            let last: String = crate::support::connect(&db)
                .query_row("SELECT max(decision_id) FROM decisions", [], |r| r.get(0))
                .unwrap();
            assert_eq!(last, format!("kill-{:06}", n - 1), "{context}");
        }
        let head = scalar(&db, "SELECT size FROM log_head WHERE id = 1");
        assert_eq!(head, n, "{context}: the log head disagrees");

        // Again: the job completes, nothing twice.
        let (code, out, err) = run_on(&db, &["--format", "json", "decisions", "import", log]);
        assert_eq!(code, 0, "{context}: rerun failed\n{err}");
        let summary: serde_json::Value = serde_json::from_str(&out).unwrap();
        assert_eq!(
            summary["imported"],
            IMPORT_LINES - n,
            "{context}: {summary}"
        );
        assert_eq!(summary["identical"], n, "{context}: {summary}");
        assert_eq!(summary["rejected"], 0, "{context}: {summary}");
        assert_eq!(decisions(&db), IMPORT_LINES, "{context}");
        let (code, out, err) = run_on(&db, &["verify"]);
        assert_eq!(code, 0, "{context}: verify after rerun\n{out}{err}");
        remove_store(&db);
    }
    eprintln!(
        "import: {interrupted} of {IMPORT_KILLS} kills met a running import; decisions kept: {points:?} (seed {seed})"
    );
    assert!(
        interrupted > 0,
        "no kill met a running import (seed {seed})"
    );
}

const REPLAY_DECISIONS: usize = 8_000;
const REPLAY_KILLS: usize = 5;
/// Batch replay records its replays in chunks of this many, one transaction each.
const REPLAY_CHUNK: i64 = gavel::replay::CHUNK as i64;

#[test]
fn replay_all_killed_at_random_points_records_whole_chunks_and_finishes_on_rerun() {
    let seed = seed(0x7265_706c_6179);
    let mut rng = Rng::new(seed);
    let env = Env::new();
    store_with_versions(&env);
    let log = env.dir.path().join("log.jsonl");
    std::fs::write(&log, decision_log(REPLAY_DECISIONS, "replay")).unwrap();
    let (code, _, err) = env.run(&["decisions", "import", log.to_str().unwrap()]);
    assert_eq!(code, 0, "{err}");
    let total = REPLAY_DECISIONS as i64;
    let chunks = total / REPLAY_CHUNK;

    // A first complete run: its time per chunk, and one whole batch.
    let started = Instant::now();
    let report = env.json(&["replay", "--all"]);
    assert_eq!(report["verdicts"]["DETERMINISTIC"], total, "{report}");
    let chunk_time = started.elapsed() / chunks as u32;

    let replays = |db: &Path| scalar(db, "SELECT count(*) FROM replays");
    let mut interrupted = 0;
    let mut points = Vec::new();
    for i in 0..REPLAY_KILLS {
        let before = replays(&env.db);
        let target = before + rng.below(chunks as u64) as i64 * REPLAY_CHUNK;
        let fraction = rng.below(1000);
        let running = kill_at(
            &env.db,
            &["replay", "--all"],
            &|| replays(&env.db),
            target,
            chunk_time,
            fraction,
        );
        interrupted += usize::from(running);
        let context = format!("seed {seed}, kill {i} after {target} + {fraction}/1000 chunk");
        let (code, out, err) = env.run(&["verify"]);
        assert_eq!(code, 0, "{context}: verify failed\n{out}{err}");
        points.push(replays(&env.db) - before);
        // Every batch holds whole chunks, each decision at most once.
        let conn = crate::support::connect(&env.db);
        let batches: Vec<(String, i64, i64)> = conn
            .prepare(
                "SELECT batch_id, count(*), count(DISTINCT decision_seq) FROM replays GROUP BY batch_id",
            )
            .unwrap()
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
            .unwrap()
            .collect::<rusqlite::Result<_>>()
            .unwrap();
        for (batch, n, distinct) in &batches {
            assert!(
                n % REPLAY_CHUNK == 0 || *n == total,
                "{context}: batch {batch} holds {n} replays, not whole chunks"
            );
            assert_eq!(
                n, distinct,
                "{context}: batch {batch} replayed a decision twice"
            );
        }
    }
    // Again: a run completes the job.
    let report = env.json(&["replay", "--all"]);
    assert_eq!(report["replayed"], total, "{report}");
    assert_eq!(report["verdicts"]["DETERMINISTIC"], total, "{report}");
    let (code, out, err) = env.run(&["verify"]);
    assert_eq!(code, 0, "{out}{err}");
    eprintln!(
        "replay: {interrupted} of {REPLAY_KILLS} kills met a running replay; replays kept: {points:?} (seed {seed})"
    );
    assert!(
        interrupted > 0,
        "no kill met a running replay (seed {seed})"
    );
}
