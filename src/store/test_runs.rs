//! Recorded test runs of stored versions: counts, coverage, every result.
//! The matrix, the TUI and certification read them back.

use rusqlite::params;
use serde::Serialize;

use super::Store;
use super::signoffs::RunCounts;
use crate::engine::suite::{CoverageReport, SuiteReport, Summary};
use crate::engine::testing::TestResult;
use crate::error::Result;

/// A recorded run, without its results.
#[derive(Debug, Clone, Serialize)]
pub struct TestRun {
    pub id: i64,
    pub started_at: String,
    #[serde(flatten)]
    pub summary: Summary,
    /// The `--run` filter, when only part of the suite ran.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub filter: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub coverage: Option<f64>,
    #[serde(skip)]
    pub coverage_report: Option<CoverageReport>,
}

impl Store {
    /// Records a run of `version_id`'s suite, in one transaction.
    pub fn record_test_run(
        &self,
        version_id: i64,
        filter: Option<&str>,
        report: &SuiteReport,
    ) -> Result<i64> {
        let tx = rusqlite::Transaction::new_unchecked(
            self.conn(),
            rusqlite::TransactionBehavior::Immediate,
        )?;
        let s = &report.summary;
        let coverage_json = report
            .coverage
            .as_ref()
            .map(|c| serde_json::to_string(c).unwrap_or_default());
        tx.execute(
            "INSERT INTO test_runs (version_id, started_at, duration_ns, total, pass, fail, error, skip, filter,
                                    coverage, coverage_report)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)",
            params![
                version_id,
                self.now_stamp(),
                i64::try_from(s.duration_ns).unwrap_or(i64::MAX),
                count(s.total),
                count(s.pass),
                count(s.fail),
                count(s.error),
                count(s.skip),
                filter,
                report.coverage.as_ref().map(|c| c.coverage),
                coverage_json,
            ],
        )?;
        let run_id = tx.last_insert_rowid();
        {
            let mut insert = tx.prepare_cached(
                "INSERT INTO test_results (run_id, seq, status, result) VALUES (?1, ?2, ?3, ?4)",
            )?;
            for (seq, r) in (0_i64..).zip(&report.tests) {
                let json = serde_json::to_string(r).unwrap_or_default();
                insert.execute(params![run_id, seq, r.result.as_str(), json])?;
            }
        }
        tx.commit()?;
        Ok(run_id)
    }

    /// The runs of a version, newest first.
    pub fn test_runs(&self, version_id: i64, limit: usize) -> Result<Vec<TestRun>> {
        self.runs_where(
            "version_id = ?1 ORDER BY id DESC LIMIT ?2",
            params![version_id, i64::try_from(limit).unwrap_or(i64::MAX)],
        )
    }

    /// The newest whole-suite run that measured coverage.
    pub fn latest_covered_run(&self, version_id: i64) -> Result<Option<TestRun>> {
        Ok(self
            .runs_where(
                "version_id = ?1 AND filter IS NULL AND coverage IS NOT NULL ORDER BY id DESC LIMIT 1",
                params![version_id],
            )?
            .pop())
    }

    /// A recorded run by id.
    pub fn test_run(&self, run_id: i64) -> Result<Option<TestRun>> {
        Ok(self.runs_where("id = ?1", params![run_id])?.pop())
    }

    /// The whole-suite runs of a version, oldest first, without their
    /// coverage reports (what a check against the suite run again needs).
    pub fn whole_suite_runs(&self, version_id: i64) -> Result<Vec<(i64, RunCounts)>> {
        let mut stmt = self.conn().prepare_cached(
            "SELECT id, total, pass, fail, error, skip, coverage FROM test_runs
             WHERE version_id = ?1 AND filter IS NULL ORDER BY id",
        )?;
        let rows = stmt
            .query_map(params![version_id], |r| {
                let n = |i: usize| -> rusqlite::Result<u64> {
                    Ok(u64::try_from(r.get::<_, i64>(i)?).unwrap_or(0))
                };
                Ok((
                    r.get(0)?,
                    RunCounts {
                        version_id,
                        total: n(1)?,
                        pass: n(2)?,
                        fail: n(3)?,
                        error: n(4)?,
                        skip: n(5)?,
                        coverage: r.get(6)?,
                    },
                ))
            })?
            .collect::<rusqlite::Result<_>>()?;
        Ok(rows)
    }

    /// Recorded runs matching `condition` (SQL after WHERE), in its order.
    fn runs_where(&self, condition: &str, args: impl rusqlite::Params) -> Result<Vec<TestRun>> {
        let mut stmt = self.conn().prepare_cached(&format!(
            "SELECT id, started_at, duration_ns, total, pass, fail, error, skip, filter, coverage, coverage_report
             FROM test_runs WHERE {condition}"
        ))?;
        let rows = stmt
            .query_map(args, |r| {
                let report: Option<String> = r.get(10)?;
                let n = |i: usize| -> rusqlite::Result<usize> {
                    Ok(usize::try_from(r.get::<_, i64>(i)?).unwrap_or(0))
                };
                Ok(TestRun {
                    id: r.get(0)?,
                    started_at: r.get(1)?,
                    summary: Summary {
                        duration_ns: u64::try_from(r.get::<_, i64>(2)?).unwrap_or(0),
                        total: n(3)?,
                        pass: n(4)?,
                        fail: n(5)?,
                        error: n(6)?,
                        skip: n(7)?,
                    },
                    filter: r.get(8)?,
                    coverage: r.get(9)?,
                    coverage_report: report.and_then(|j| serde_json::from_str(&j).ok()),
                })
            })?
            .collect::<rusqlite::Result<_>>()?;
        Ok(rows)
    }

    /// The results of a run, in run order.
    pub fn test_results(&self, run_id: i64) -> Result<Vec<TestResult>> {
        let mut stmt = self
            .conn()
            .prepare_cached("SELECT result FROM test_results WHERE run_id = ?1 ORDER BY seq")?;
        let rows: Vec<String> = stmt
            .query_map(params![run_id], |r| r.get(0))?
            .collect::<rusqlite::Result<_>>()?;
        Ok(rows
            .iter()
            .filter_map(|j| serde_json::from_str(j).ok())
            .collect())
    }
}

fn count(n: usize) -> i64 {
    i64::try_from(n).unwrap_or(i64::MAX)
}
