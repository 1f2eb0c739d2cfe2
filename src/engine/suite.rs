//! A whole test run: the Rego tests and the case files of a version, with
//! line coverage per file, per rule and per citation.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::atomic::AtomicBool;
use std::time::Instant;

use serde::{Deserialize, Serialize};

use super::LoadedPolicy;
use super::cases::{read_cases, run_case};
use super::testing::{RunOptions, TestResult, TestStatus, discover, run_specs, select};
use crate::bundle::Bundle;
use crate::error::Result;
use crate::store::StoredRule;

/// Counts of a run.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Summary {
    pub total: usize,
    pub pass: usize,
    pub fail: usize,
    pub error: usize,
    pub skip: usize,
    pub duration_ns: u64,
}

impl Summary {
    pub fn of(results: &[TestResult], duration_ns: u64) -> Summary {
        let count = |s: TestStatus| results.iter().filter(|r| r.result == s).count();
        Summary {
            total: results.len(),
            pass: count(TestStatus::Pass),
            fail: count(TestStatus::Fail),
            error: count(TestStatus::Error),
            skip: count(TestStatus::Skip),
            duration_ns,
        }
    }

    /// No failure and no error.
    pub fn ok(&self) -> bool {
        self.fail == 0 && self.error == 0
    }
}

/// Line coverage of one file.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct FileCoverage {
    pub covered: Vec<u32>,
    pub not_covered: Vec<u32>,
    pub covered_lines: usize,
    pub not_covered_lines: usize,
    pub coverage: f64,
}

/// Coverage of one rule definition, and the tests that reached it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RuleCoverage {
    pub package: String,
    pub rule: String,
    pub file: String,
    pub line: u32,
    pub covered_lines: usize,
    pub lines: usize,
    pub coverage: f64,
    pub tests: Vec<String>,
}

/// For one cited clause: its rules, and those no test reaches.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CitationCoverage {
    pub regulation: String,
    pub clause: String,
    pub rules: usize,
    pub reached: usize,
    pub unreached: Vec<String>,
}

/// Coverage of a run over the policy files (test files are left out: the
/// figure is about the decision logic).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct CoverageReport {
    pub files: BTreeMap<String, FileCoverage>,
    pub covered_lines: usize,
    pub not_covered_lines: usize,
    pub coverage: f64,
    pub rules: Vec<RuleCoverage>,
    pub citations: Vec<CitationCoverage>,
}

/// A finished run.
#[derive(Debug, Clone, Serialize)]
pub struct SuiteReport {
    pub summary: Summary,
    pub tests: Vec<TestResult>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub coverage: Option<CoverageReport>,
}

/// Runs every test and case of `bundle` (loaded as `policy`). `rules` is the
/// version's rule catalog (for coverage per rule and per citation).
pub fn run_suite(
    policy: &LoadedPolicy,
    bundle: &Bundle,
    rules: &[StoredRule],
    opts: &RunOptions,
    progress: super::testing::Progress,
    cancel: &AtomicBool,
) -> Result<SuiteReport> {
    let started = Instant::now();
    let cases: Vec<_> = read_cases(bundle)?
        .into_iter()
        .filter(|c| {
            opts.run
                .as_ref()
                .is_none_or(|re| re.is_match(&format!("{}#{}", c.file, c.case.name)))
        })
        .collect();
    let specs = select(discover(policy), opts.run.as_ref());
    let total = specs.len() + cases.len();
    let mut tests = run_specs(
        policy,
        &specs,
        opts,
        &|done, _| progress(done, total),
        cancel,
    );
    for (i, case) in cases.iter().enumerate() {
        if cancel.load(std::sync::atomic::Ordering::Relaxed) {
            break;
        }
        tests.push(run_case(policy, rules, case, opts.coverage));
        progress(specs.len() + i + 1, total);
    }
    let coverage = opts
        .coverage
        .then(|| coverage_report(policy, rules, &tests));
    let duration_ns = u64::try_from(started.elapsed().as_nanos()).unwrap_or(u64::MAX);
    Ok(SuiteReport {
        summary: Summary::of(&tests, duration_ns),
        tests,
        coverage,
    })
}

fn percent(covered: usize, total: usize) -> f64 {
    if total == 0 {
        100.0
    } else {
        // Two decimals, so stored figures compare exactly.
        ((covered as f64) * 10_000.0 / (total as f64)).round() / 100.0
    }
}

/// Builds the coverage report from each test's covered lines.
fn coverage_report(
    policy: &LoadedPolicy,
    rules: &[StoredRule],
    tests: &[TestResult],
) -> CoverageReport {
    let coverable = policy.coverable_lines();
    let mut covered: HashMap<&str, BTreeSet<u32>> = HashMap::new();
    for t in tests {
        for (file, lines) in &t.covered {
            covered.entry(file.as_str()).or_default().extend(lines);
        }
    }
    let mut report = CoverageReport::default();
    for (file, lines) in coverable {
        let hit: Vec<u32> = lines
            .iter()
            .copied()
            .filter(|l| covered.get(file.as_str()).is_some_and(|c| c.contains(l)))
            .collect();
        let missed: Vec<u32> = lines.iter().copied().filter(|l| !hit.contains(l)).collect();
        report.covered_lines += hit.len();
        report.not_covered_lines += missed.len();
        report.files.insert(
            file.clone(),
            FileCoverage {
                coverage: percent(hit.len(), lines.len()),
                covered_lines: hit.len(),
                not_covered_lines: missed.len(),
                covered: hit,
                not_covered: missed,
            },
        );
    }
    report.coverage = percent(
        report.covered_lines,
        report.covered_lines + report.not_covered_lines,
    );

    let mut by_clause: BTreeMap<(String, String), (usize, Vec<String>)> = BTreeMap::new();
    for rule in rules {
        let Some(lines) = coverable.get(&rule.file) else {
            continue;
        };
        let span: BTreeSet<u32> = lines
            .range(rule.line_start..=rule.line_end)
            .copied()
            .collect();
        let hit = span
            .iter()
            .filter(|l| {
                covered
                    .get(rule.file.as_str())
                    .is_some_and(|c| c.contains(l))
            })
            .count();
        let reaching: Vec<String> = tests
            .iter()
            .filter(|t| {
                t.covered
                    .get(&rule.file)
                    .is_some_and(|c| c.iter().any(|l| span.contains(l)))
            })
            .map(TestResult::full_name)
            .collect();
        let reached = hit > 0;
        for c in &rule.citations {
            let entry = by_clause
                .entry((c.regulation.clone(), c.clause.clone()))
                .or_default();
            entry.0 += 1;
            if !reached {
                entry.1.push(rule.name.clone());
            }
        }
        report.rules.push(RuleCoverage {
            package: rule.package.clone(),
            rule: rule.name.clone(),
            file: rule.file.clone(),
            line: rule.line_start,
            covered_lines: hit,
            lines: span.len(),
            coverage: percent(hit, span.len()),
            tests: reaching,
        });
    }
    report.citations = by_clause
        .into_iter()
        .map(
            |((regulation, clause), (rules, unreached))| CitationCoverage {
                regulation,
                clause,
                reached: rules - unreached.len(),
                rules,
                unreached,
            },
        )
        .collect();
    report
}
