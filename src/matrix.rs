//! The regulation mapping matrix of a version: clause -> rules, and the gaps
//! (rules that cite nothing). The CLI prints it, the TUI shows it, the
//! certification packet embeds it.

use std::cmp::Ordering;

use serde::Serialize;

use crate::engine::suite::CoverageReport;
use crate::store::StoredRule;

/// One (clause, rule) pair.
#[derive(Debug, Clone, Serialize)]
pub struct MatrixRow {
    pub regulation: String,
    pub clause: String,
    pub package: String,
    pub rule: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub severity: Option<String>,
    pub file: String,
    pub line: u32,
    /// Tests that reach the rule, from the version's last covered test run.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tests: Option<usize>,
    /// Line coverage of the rule in that run, percent.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub coverage: Option<f64>,
}

/// A rule with no citation: a gap in the mapping.
#[derive(Debug, Clone, Serialize)]
pub struct Gap {
    pub package: String,
    pub rule: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    pub file: String,
    pub line: u32,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tests: Option<usize>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub coverage: Option<f64>,
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct Matrix {
    pub rows: Vec<MatrixRow>,
    pub gaps: Vec<Gap>,
    /// Whether test columns come from a recorded run.
    pub tested: bool,
}

impl Matrix {
    /// Builds the matrix from a version's (non-test) rules. Rows are sorted
    /// by regulation, then clause in natural order (Rule 9 before Rule 154),
    /// then rule.
    pub fn build(rules: &[StoredRule], coverage: Option<&CoverageReport>) -> Matrix {
        let mut m = Matrix {
            tested: coverage.is_some(),
            ..Matrix::default()
        };
        for r in rules {
            let rc = coverage.and_then(|c| {
                c.rules
                    .iter()
                    .find(|x| x.file == r.file && x.line == r.line_start && x.rule == r.name)
            });
            let (tests, cov) = match (coverage, rc) {
                (Some(_), Some(rc)) => (Some(rc.tests.len()), Some(rc.coverage)),
                (Some(_), None) => (Some(0), Some(0.0)),
                _ => (None, None),
            };
            if r.citations.is_empty() {
                m.gaps.push(Gap {
                    package: r.package.clone(),
                    rule: r.name.clone(),
                    title: r.title.clone(),
                    file: r.file.clone(),
                    line: r.line_start,
                    tests,
                    coverage: cov,
                });
                continue;
            }
            for c in &r.citations {
                m.rows.push(MatrixRow {
                    regulation: c.regulation.clone(),
                    clause: c.clause.clone(),
                    package: r.package.clone(),
                    rule: r.name.clone(),
                    title: r.title.clone(),
                    severity: r.severity.clone(),
                    file: r.file.clone(),
                    line: r.line_start,
                    tests,
                    coverage: cov,
                });
            }
        }
        m.rows.sort_by(|a, b| {
            natural_cmp(&a.regulation, &b.regulation)
                .then_with(|| natural_cmp(&a.clause, &b.clause))
                .then_with(|| a.rule.cmp(&b.rule))
                .then_with(|| a.file.cmp(&b.file))
                .then_with(|| a.line.cmp(&b.line))
        });
        m
    }

    pub fn regulations(&self) -> usize {
        let mut regs: Vec<&str> = self.rows.iter().map(|r| r.regulation.as_str()).collect();
        regs.dedup();
        regs.len()
    }

    pub fn clauses(&self) -> usize {
        let mut cl: Vec<(&str, &str)> = self
            .rows
            .iter()
            .map(|r| (r.regulation.as_str(), r.clause.as_str()))
            .collect();
        cl.dedup();
        cl.len()
    }
}

/// Compares text with digit runs as numbers: "Rule 9" < "Rule 154".
pub fn natural_cmp(a: &str, b: &str) -> Ordering {
    let (mut a, mut b) = (a, b);
    loop {
        match (a.chars().next(), b.chars().next()) {
            (None, None) => return Ordering::Equal,
            (None, Some(_)) => return Ordering::Less,
            (Some(_), None) => return Ordering::Greater,
            (Some(x), Some(y)) if x.is_ascii_digit() && y.is_ascii_digit() => {
                let da = a.len() - a.trim_start_matches(|c: char| c.is_ascii_digit()).len();
                let db = b.len() - b.trim_start_matches(|c: char| c.is_ascii_digit()).len();
                let (na, nb) = (
                    a[..da].trim_start_matches('0'),
                    b[..db].trim_start_matches('0'),
                );
                let ord = na.len().cmp(&nb.len()).then_with(|| na.cmp(nb));
                if ord != Ordering::Equal {
                    return ord;
                }
                a = &a[da..];
                b = &b[db..];
            }
            (Some(x), Some(y)) => {
                if x != y {
                    return x.cmp(&y);
                }
                a = &a[x.len_utf8()..];
                b = &b[y.len_utf8()..];
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn natural_order() {
        let mut v = vec!["Rule 154", "Rule 9", "Rule 16", "s.134(5)", "Rule 016b"];
        v.sort_by(|a, b| natural_cmp(a, b));
        assert_eq!(
            v,
            ["Rule 9", "Rule 16", "Rule 016b", "Rule 154", "s.134(5)"]
        );
        assert_eq!(natural_cmp("a", "a"), Ordering::Equal);
    }
}
