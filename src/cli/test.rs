//! `gavel test (NAME@VERSION | BUNDLE_DIR...)`: Rego unit tests with `opa
//! test`'s semantics plus the bundle's case files, coverage, and text, JSON
//! or JUnit output. A run on a stored version is recorded.

use std::io::IsTerminal;
use std::path::Path;
use std::sync::atomic::AtomicBool;

use anyhow::{Context, bail};
use regex::Regex;
use serde::Serialize;

use super::eval::{line_ranges, timeout};
use super::junit;
use super::output::{Align, Format, Shrink, Table, terminal_width, write_json};
use super::{Ctx, Status};
use crate::bundle::{Bundle, Catalog, DataFiles};
use crate::engine::suite::{SuiteReport, run_suite};
use crate::engine::testing::{RunOptions, TestStatus};
use crate::engine::{LoadOptions, LoadedPolicy};
use crate::policy_version::PolicyVersion;
use crate::sanitize::{escape, escape_multiline};
use crate::store::{StoredRule, VersionRef};

#[derive(Debug, clap::Args)]
pub struct Args {
    /// A stored version (NAME@VERSION), or bundle directories and files
    /// (modules, data), as `opa test` takes them.
    #[arg(required = true, value_name = "NAME@VERSION | BUNDLE_DIR")]
    targets: Vec<String>,
    /// Run only tests whose name (data.pkg.test_x, or FILE#case name) matches.
    #[arg(long, value_name = "REGEX")]
    run: Option<String>,
    /// Report line coverage per file, per rule and per citation.
    #[arg(long)]
    coverage: bool,
    /// Fail (exit 1) when line coverage is below PCT; implies --coverage.
    #[arg(long, value_name = "PCT")]
    threshold: Option<f64>,
    /// Parse bundle directories as Rego v0.
    #[arg(long)]
    v0_compatible: bool,
    /// Time limit for each test, in seconds.
    #[arg(long, default_value_t = 5.0, value_name = "SECONDS")]
    timeout: f64,
    /// A builtin's error fails the test (default: the call is undefined, as `opa test`).
    #[arg(long)]
    strict_builtin_errors: bool,
    /// OPA capabilities JSON declaring the host builtins the modules call
    /// (bundle directories only; a stored version keeps its own).
    #[arg(long, value_name = "FILE")]
    capabilities: Option<std::path::PathBuf>,
    /// Worker threads (default: one per core).
    #[arg(long, short = 'p', default_value_t = 0, value_name = "N")]
    parallel: usize,
}

#[derive(Serialize)]
struct TestDoc<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    version: Option<VersionRef>,
    #[serde(skip_serializing_if = "Option::is_none")]
    test_run_id: Option<i64>,
    #[serde(flatten)]
    report: &'a SuiteReport,
}

pub fn run(ctx: &mut Ctx, args: Args) -> anyhow::Result<Status> {
    if let Some(t) = args.threshold
        && !(0.0..=100.0).contains(&t)
    {
        bail!("--threshold {t}: give a percentage between 0 and 100");
    }
    let run = args
        .run
        .as_deref()
        .map(Regex::new)
        .transpose()
        .context("--run: invalid regular expression")?;
    let opts = RunOptions {
        run,
        coverage: args.coverage || args.threshold.is_some(),
        threads: args.parallel,
    };
    let timeout = timeout(args.timeout)?;
    let stored = args.targets.len() == 1
        && args.targets[0].contains('@')
        && !Path::new(&args.targets[0]).exists();

    let progress = Progress::new();
    let cancel = AtomicBool::new(false);
    if stored && args.capabilities.is_some() {
        bail!(
            "--capabilities applies to bundle directories: a stored version keeps the capabilities it was imported with"
        );
    }
    let (report, version, run_id) = if stored {
        let reference = VersionRef::parse(&args.targets[0])?;
        let store = ctx.open_store()?;
        let mut version = PolicyVersion::load(&store, &reference, timeout)?;
        version
            .policy
            .set_strict_builtin_errors(args.strict_builtin_errors);
        // The same warnings as on import (the `not` readings, stray METADATA).
        if let Ok(catalog) = Catalog::build(&version.bundle, version.summary.rego_version == 0) {
            for w in &catalog.warnings {
                eprintln!("warning: {}", escape(w));
            }
        }
        let report = run_suite(
            &version.policy,
            &version.bundle,
            &version.rules,
            &opts,
            &|d, t| progress.tick(d, t),
            &cancel,
        )?;
        progress.finish();
        let run_id = store.record_test_run(version.summary.id, args.run.as_deref(), &report)?;
        (report, Some(reference), Some(run_id))
    } else {
        let mut parts = Vec::new();
        for target in &args.targets {
            let path = Path::new(target);
            // A file (`opa test rule_data.yml policy/`) is a part of its own,
            // at the root of the data.
            if path.is_file() {
                let label = path
                    .parent()
                    .map(|p| p.display().to_string())
                    .filter(|p| !p.is_empty())
                    .unwrap_or_else(|| ".".to_string());
                parts.push((label, Bundle::read_file(path)?));
                continue;
            }
            // A directory with a .manifest is a bundle (only data.json /
            // data.yaml are data); otherwise every JSON/YAML file is data, as
            // `opa test DIR` loads it. A directory of data files alone is
            // a part too.
            let mode = if path.join(".manifest").is_file() {
                DataFiles::Bundle
            } else {
                DataFiles::All
            };
            parts.push((target.clone(), Bundle::read_dir_files(path, mode)?));
        }
        let mut bundle = Bundle::combine(parts);
        if bundle.modules().next().is_none() {
            bail!(
                "{}: no .rego files among them: nothing to test",
                args.targets.join(", ")
            );
        }
        if let Some(file) = &args.capabilities {
            crate::engine::capabilities::HostBuiltins::add_to(&mut bundle, file)?;
        }
        let rego_v0 = bundle.is_rego_v0(args.v0_compatible);
        let catalog = Catalog::build(&bundle, rego_v0)?;
        for w in &catalog.warnings {
            eprintln!("warning: {}", escape(w));
        }
        let rules: Vec<StoredRule> = catalog.policy_rules().map(StoredRule::from).collect();
        let mut policy = LoadedPolicy::load(&bundle, LoadOptions { rego_v0, timeout })?;
        policy.set_strict_builtin_errors(args.strict_builtin_errors);
        let report = run_suite(
            &policy,
            &bundle,
            &rules,
            &opts,
            &|d, t| progress.tick(d, t),
            &cancel,
        )?;
        progress.finish();
        (report, None, None)
    };

    let below = match (args.threshold, &report.coverage) {
        (Some(t), Some(c)) => c.coverage < t,
        _ => false,
    };
    match ctx.format {
        Format::Json => write_json(
            ctx.out,
            &TestDoc {
                version: version.clone(),
                test_run_id: run_id,
                report: &report,
            },
        )?,
        Format::Junit => {
            let name = version
                .as_ref()
                .map_or_else(|| args.targets.join(" "), |v| v.to_string());
            write!(ctx.out, "{}", junit::render(&report, &name))?;
        }
        // Md and Html are refused for every command but `packet` before it runs.
        Format::Text | Format::Md | Format::Html => {
            print_text(ctx, &report, version.as_ref(), run_id, args.threshold)?
        }
    }
    if report.summary.total == 0 {
        eprintln!(
            "gavel: no tests found{}",
            if args.run.is_some() {
                " matching --run"
            } else {
                ""
            }
        );
    }
    Ok(if !report.summary.ok() || below {
        Status::CheckFailed
    } else {
        Status::Ok
    })
}

fn ms(ns: u64) -> String {
    if ns >= 1_000_000_000 {
        format!("{:.2}s", ns as f64 / 1e9)
    } else if ns >= 1_000_000 {
        format!("{:.1}ms", ns as f64 / 1e6)
    } else {
        format!("{}µs", ns / 1_000)
    }
}

fn print_text(
    ctx: &mut Ctx,
    report: &SuiteReport,
    version: Option<&VersionRef>,
    run_id: Option<i64>,
    threshold: Option<f64>,
) -> anyhow::Result<()> {
    let out = &mut *ctx.out;
    let mut file: Option<&str> = None;
    for t in &report.tests {
        if file != Some(t.file.as_str()) {
            file = Some(t.file.as_str());
            writeln!(out, "{}:", escape(&t.file))?;
        }
        writeln!(
            out,
            "  {:<5} {} ({})",
            t.result.as_str(),
            escape(&t.name),
            ms(t.duration_ns)
        )?;
        if matches!(t.result, TestStatus::Fail | TestStatus::Error) {
            let detail = junit::details(t);
            for line in escape_multiline(&detail).lines() {
                writeln!(out, "        {line}")?;
            }
            for p in &t.output {
                writeln!(out, "        print: {}", escape(p))?;
            }
        }
    }
    writeln!(out, "{}", "-".repeat(80))?;
    let s = &report.summary;
    writeln!(out, "PASS: {}/{}", s.pass, s.total)?;
    for (label, n) in [("FAIL", s.fail), ("SKIPPED", s.skip), ("ERROR", s.error)] {
        if n > 0 {
            writeln!(out, "{label}: {n}/{}", s.total)?;
        }
    }
    writeln!(out, "time: {}", ms(s.duration_ns))?;
    if let Some(c) = &report.coverage {
        writeln!(
            out,
            "\ncoverage: {:.2}% of {} policy lines ({} not covered)",
            c.coverage,
            c.covered_lines + c.not_covered_lines,
            c.not_covered_lines
        )?;
        let mut t = Table::new(&[
            ("FILE", Shrink::Start { min: 20 }, Align::Left),
            ("COVERED", Shrink::Fixed, Align::Right),
            ("LINES", Shrink::Fixed, Align::Right),
            ("%", Shrink::Fixed, Align::Right),
            ("NOT COVERED", Shrink::End { min: 12 }, Align::Left),
        ])
        .indent(2);
        for (f, fc) in &c.files {
            t.row(vec![
                f.clone(),
                fc.covered_lines.to_string(),
                (fc.covered_lines + fc.not_covered_lines).to_string(),
                format!("{:.1}", fc.coverage),
                line_ranges(&fc.not_covered),
            ]);
        }
        write!(out, "{}", t.render(terminal_width()))?;
        let unreached: Vec<_> = c
            .rules
            .iter()
            .filter(|r| r.covered_lines == 0 && r.lines > 0)
            .collect();
        if unreached.is_empty() {
            writeln!(out, "every cited rule is reached by a test")?;
        } else {
            writeln!(out, "rules no test reaches:")?;
            for r in unreached {
                writeln!(
                    out,
                    "  {} ({}:{})",
                    escape(&r.rule),
                    escape(&r.file),
                    r.line
                )?;
            }
        }
        let gaps: Vec<_> = c
            .citations
            .iter()
            .filter(|c| !c.unreached.is_empty())
            .collect();
        if !gaps.is_empty() {
            writeln!(out, "citations with rules no test reaches:")?;
            for g in gaps {
                let label = crate::bundle::Citation {
                    regulation: g.regulation.clone(),
                    clause: g.clause.clone(),
                }
                .label();
                writeln!(
                    out,
                    "  {}: {}",
                    escape(&label),
                    escape(&g.unreached.join(", "))
                )?;
            }
        }
        if let Some(th) = threshold {
            if c.coverage < th {
                writeln!(
                    out,
                    "coverage {:.2}% is below the threshold {th}%",
                    c.coverage
                )?;
            } else {
                writeln!(out, "coverage meets the threshold {th}%")?;
            }
        }
    }
    if let (Some(v), Some(id)) = (version, run_id) {
        writeln!(out, "recorded test run #{id} of {}", escape(&v.to_string()))?;
    }
    Ok(())
}

/// A progress bar on stderr, only when stderr is a terminal.
struct Progress {
    bar: Option<indicatif::ProgressBar>,
}

impl Progress {
    fn new() -> Progress {
        let bar = std::io::stderr().is_terminal().then(|| {
            let b = indicatif::ProgressBar::new(0);
            b.set_style(
                indicatif::ProgressStyle::with_template("{bar:40} {pos}/{len} tests {elapsed}")
                    .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
            );
            b
        });
        Progress { bar }
    }

    fn tick(&self, done: usize, total: usize) {
        if let Some(b) = &self.bar {
            b.set_length(total as u64);
            b.set_position(done as u64);
        }
    }

    fn finish(&self) {
        if let Some(b) = &self.bar {
            b.finish_and_clear();
        }
    }
}
