//! Benchmark: `gavel test` on a generated bundle of 1,000 modules (500
//! policy modules, 500 test modules) holding 10,000 test rules.
//!
//! `cargo bench --bench test_suite` prints the figures: load, run, per test.
//! Target (issue 3): the whole run under 3 s on a 2-core machine.

use std::path::Path;
use std::sync::atomic::AtomicBool;
use std::time::Instant;

use gavel::bundle::{Bundle, Catalog};
use gavel::engine::suite::run_suite;
use gavel::engine::testing::RunOptions;
use gavel::engine::{LoadOptions, LoadedPolicy};
use gavel::store::StoredRule;

const POLICY_MODULES: usize = 500;
const TESTS_PER_MODULE: usize = 20;

/// Writes the generated bundle into `dir`.
fn generate(dir: &Path) {
    for m in 0..POLICY_MODULES {
        let pkg_dir = dir.join(format!("gen/m{m:04}"));
        std::fs::create_dir_all(&pkg_dir).unwrap();
        let policy = format!(
            r#"# METADATA
# title: Generated module {m}
package gen.m{m:04}

# METADATA
# title: Threshold
# custom:
#   citations:
#     - {{regulation: "Gen Act", clause: "s.{m}"}}
threshold := {t}

# METADATA
# title: Over the threshold
# custom:
#   citation: Gen Act s.{m}(1)
deny contains msg if {{
  input.amount > threshold
  msg := sprintf("amount %v over %v", [input.amount, threshold])
}}

# METADATA
# title: Missing approver
deny contains "no approver" if {{
  not input.approver
}}

default allow := false

# METADATA
# title: Approved
allow if {{
  count(deny) == 0
}}

# METADATA
# title: Decision
# entrypoint: {entry}
decision := {{"outcome": "BLOCK", "reasons": sort([r | some r in deny])}} if {{
  not allow
}} else := {{"outcome": "APPROVE", "reasons": []}}
"#,
            t = 1000 + m,
            entry = if m == 0 { "true" } else { "false" },
        );
        std::fs::write(pkg_dir.join("policy.rego"), policy).unwrap();
        let mut tests = format!("package gen.m{m:04}_test\n\nimport data.gen.m{m:04}\n\n");
        for i in 0..TESTS_PER_MODULE {
            let amount = 900 + m + i * 10;
            let expect_allow = amount <= 1000 + m;
            tests.push_str(&format!(
                "test_case_{i} if {{\n  data.gen.m{m:04}.allow == {expect_allow} with input as {{\"amount\": {amount}, \"approver\": \"a{i}\"}}\n}}\n\n"
            ));
        }
        std::fs::write(pkg_dir.join("policy_test.rego"), tests).unwrap();
    }
}

fn main() {
    let dir = tempfile::tempdir().unwrap();
    generate(dir.path());

    let t0 = Instant::now();
    let bundle = Bundle::read_dir(dir.path()).unwrap();
    let catalog = Catalog::build(&bundle, false).unwrap();
    let rules: Vec<StoredRule> = catalog.policy_rules().map(StoredRule::from).collect();
    let t_read = t0.elapsed();
    let policy = LoadedPolicy::load(&bundle, LoadOptions::new(false)).unwrap();
    let t_load = t0.elapsed() - t_read;

    for coverage in [false, true] {
        let opts = RunOptions {
            coverage,
            ..RunOptions::default()
        };
        let t1 = Instant::now();
        let report = run_suite(
            &policy,
            &bundle,
            &rules,
            &opts,
            &|_, _| {},
            &AtomicBool::new(false),
        )
        .unwrap();
        let t_run = t1.elapsed();
        assert_eq!(report.summary.total, POLICY_MODULES * TESTS_PER_MODULE);
        assert!(report.summary.ok(), "{:?}", report.summary);
        println!(
            "test_suite: {} modules, {} tests, coverage {}: read+catalog {:.0} ms, load {:.0} ms, run {:.0} ms, {:.1} µs/test, total {:.2} s (threads: {})",
            bundle.modules().count(),
            report.summary.total,
            if coverage { "on " } else { "off" },
            t_read.as_secs_f64() * 1e3,
            t_load.as_secs_f64() * 1e3,
            t_run.as_secs_f64() * 1e3,
            t_run.as_secs_f64() * 1e6 / report.summary.total as f64,
            (t_read + t_load + t_run).as_secs_f64(),
            std::thread::available_parallelism().map_or(1, |n| n.get()),
        );
    }

    // The whole command, as a user runs it.
    let exe = Path::new(env!("CARGO_MANIFEST_DIR")).join("target/release/gavel");
    if exe.exists() {
        let t2 = Instant::now();
        let out = std::process::Command::new(&exe)
            .arg("test")
            .arg(dir.path())
            .output()
            .unwrap();
        println!(
            "gavel test (release binary, end to end): {:.2} s, exit {}",
            t2.elapsed().as_secs_f64(),
            out.status.code().unwrap_or(-1)
        );
    }
}
