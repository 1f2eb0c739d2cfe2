//! Benchmark: Gavel's Rego front end and the load of a version through it.
//!
//! `cargo bench --bench front_end` prints:
//! - the load (catalog + engine, as `gavel import` and `gavel test` do) of
//!   a module holding literals nested 11 and 32 deep, objects and arrays
//!   (target, issue 15: under 100 ms each; regorus alone took seconds at 14
//!   levels and never finished at 20);
//! - the load of one module of 25,000 rules;
//! - parse and write-back throughput on the sample regimes, and on the
//!   public libraries in `.libraries/` when `scripts/fetch_libraries.sh`
//!   has put them there.

use std::time::{Duration, Instant};

use gavel::bundle::{Bundle, Catalog};
use gavel::engine::{LoadOptions, LoadedPolicy};

fn deep(depth: usize) -> String {
    let object = format!("{}1{}", "{\"k\": ".repeat(depth), "}".repeat(depth));
    let array = format!("{}1{}", "[".repeat(depth), "]".repeat(depth));
    let mixed = format!(
        "{}1{}",
        "[{\"k\": ".repeat(depth / 2),
        "}]".repeat(depth / 2)
    );
    format!("package deep\n\nobject := {object}\n\narray := {array}\n\nmixed := {mixed}\n")
}

fn load(text: &str) -> Duration {
    let bundle = Bundle::from_texts([("deep.rego".to_string(), text.to_string())]).unwrap();
    let started = Instant::now();
    Catalog::build(&bundle, false).unwrap();
    let policy = LoadedPolicy::load(&bundle, LoadOptions::new(false)).unwrap();
    let mut engine = policy.engine().clone();
    engine.eval_rule("data.deep.object".to_string()).unwrap();
    started.elapsed()
}

fn rego_files(root: &str) -> Vec<(String, String)> {
    walkdir::WalkDir::new(root)
        .into_iter()
        .filter_map(Result::ok)
        .filter(|e| e.path().extension().and_then(|x| x.to_str()) == Some("rego"))
        .filter_map(|e| {
            let text = std::fs::read_to_string(e.path()).ok()?;
            Some((e.path().display().to_string(), text))
        })
        .collect()
}

/// Parses (as v1, then as v0 where v1 refuses) and writes back every file.
fn throughput(label: &str, files: &[(String, String)]) {
    if files.is_empty() {
        return;
    }
    let bytes: usize = files.iter().map(|(_, t)| t.len()).sum();
    let started = Instant::now();
    let mut refused = 0;
    for (path, text) in files {
        let module =
            gavel::rego::parse(path, text, false).or_else(|_| gavel::rego::parse(path, text, true));
        match module {
            Ok(m) => {
                std::hint::black_box(gavel::rego::emit(&m, Default::default()));
            }
            Err(_) => refused += 1,
        }
    }
    let took = started.elapsed();
    println!(
        "{label}: {} files, {:.1} MB parsed and written back in {:.1} ms ({:.0} MB/s); {refused} not Rego of either version",
        files.len(),
        bytes as f64 / 1e6,
        took.as_secs_f64() * 1e3,
        bytes as f64 / 1e6 / took.as_secs_f64()
    );
}

fn main() {
    for depth in [11, 32] {
        let text = deep(depth);
        let runs: Vec<Duration> = (0..5).map(|_| load(&text)).collect();
        let mut ms: Vec<f64> = runs.iter().map(|d| d.as_secs_f64() * 1e3).collect();
        ms.sort_by(f64::total_cmp);
        println!(
            "load of literals nested {depth} deep (object, array, mixed): median {:.2} ms (min {:.2}, max {:.2}); target 100 ms",
            ms[2], ms[0], ms[4]
        );
    }
    // One package of 25,000 rules: the readings' cost grows with the rules,
    // not with their square.
    let many: String = std::iter::once("package long\n".to_string())
        .chain((0..25_000).map(|i| format!("r{i} := {i}\n")))
        .collect();
    let bundle = Bundle::from_texts([("long.rego".to_string(), many)]).unwrap();
    let started = Instant::now();
    Catalog::build(&bundle, false).unwrap();
    LoadedPolicy::load(&bundle, LoadOptions::new(false)).unwrap();
    println!(
        "load of one module of 25,000 rules: {:.0} ms",
        started.elapsed().as_secs_f64() * 1e3
    );
    throughput("sample regimes", &rego_files("sample-policies"));
    if std::path::Path::new(".libraries").is_dir() {
        throughput("public libraries (.libraries/)", &rego_files(".libraries"));
    }
}
