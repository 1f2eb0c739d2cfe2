//! JUnit XML for CI systems (GitLab, Jenkins): one `<testsuite>` per file,
//! one `<testcase>` per test, failures and errors with their details.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use quick_xml::escape::escape;

use crate::engine::suite::SuiteReport;
use crate::engine::testing::{TestResult, TestStatus};

/// Renders a run as a JUnit XML document.
pub fn render(report: &SuiteReport, name: &str) -> String {
    let mut by_file: BTreeMap<&str, Vec<&TestResult>> = BTreeMap::new();
    for t in &report.tests {
        by_file.entry(t.file.as_str()).or_default().push(t);
    }
    let s = &report.summary;
    let mut out = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    let _ = writeln!(
        out,
        "<testsuites name=\"{}\" tests=\"{}\" failures=\"{}\" errors=\"{}\" skipped=\"{}\" time=\"{}\">",
        attr(name),
        s.total,
        s.fail,
        s.error,
        s.skip,
        seconds(s.duration_ns)
    );
    for (file, tests) in by_file {
        let count = |st: TestStatus| tests.iter().filter(|t| t.result == st).count();
        let time: u64 = tests.iter().map(|t| t.duration_ns).sum();
        let _ = writeln!(
            out,
            "  <testsuite name=\"{}\" tests=\"{}\" failures=\"{}\" errors=\"{}\" skipped=\"{}\" time=\"{}\">",
            attr(file),
            tests.len(),
            count(TestStatus::Fail),
            count(TestStatus::Error),
            count(TestStatus::Skip),
            seconds(time)
        );
        for t in tests {
            let _ = write!(
                out,
                "    <testcase classname=\"{}\" name=\"{}\" file=\"{}\" line=\"{}\" time=\"{}\"",
                attr(&t.package),
                attr(&t.name),
                attr(&t.file),
                t.line,
                seconds(t.duration_ns)
            );
            let detail = details(t);
            match t.result {
                TestStatus::Pass if t.output.is_empty() => out.push_str("/>\n"),
                TestStatus::Pass => {
                    let _ = writeln!(
                        out,
                        ">\n      <system-out>{}</system-out>\n    </testcase>",
                        text(&t.output.join("\n"))
                    );
                }
                TestStatus::Skip => {
                    out.push_str(">\n      <skipped message=\"todo test\"/>\n    </testcase>\n")
                }
                TestStatus::Fail | TestStatus::Error => {
                    let tag = if t.result == TestStatus::Fail {
                        "failure"
                    } else {
                        "error"
                    };
                    let message = t.error.clone().unwrap_or_else(|| first_line(&detail));
                    let _ = writeln!(
                        out,
                        ">\n      <{tag} message=\"{}\" type=\"{}\">{}</{tag}>",
                        attr(&message),
                        t.result.as_str(),
                        text(&detail)
                    );
                    if !t.output.is_empty() {
                        let _ = writeln!(
                            out,
                            "      <system-out>{}</system-out>",
                            text(&t.output.join("\n"))
                        );
                    }
                    out.push_str("    </testcase>\n");
                }
            }
        }
        out.push_str("  </testsuite>\n");
    }
    out.push_str("</testsuites>\n");
    out
}

/// What a failure shows: where, the value or the difference.
pub fn details(t: &TestResult) -> String {
    let mut d = format!("{}:{}: {}", t.file, t.line, t.name);
    if let Some(e) = &t.error {
        let _ = write!(d, "\n{e}");
    }
    if t.result == TestStatus::Fail && t.diff.is_none() && t.expected.is_none() {
        let _ = write!(
            d,
            "\nvalue: {}",
            t.value
                .as_ref()
                .map_or("undefined".to_string(), |v| v.to_string())
        );
    }
    for s in t.sub_results.iter().filter(|s| !s.pass) {
        let _ = write!(d, "\nsub-result {} is not true", s.key);
    }
    if let Some(diff) = &t.diff {
        let _ = write!(d, "\n{diff}");
    }
    d
}

fn first_line(s: &str) -> String {
    s.lines().next().unwrap_or("").to_string()
}

fn seconds(ns: u64) -> String {
    format!("{:.6}", ns as f64 / 1e9)
}

/// XML 1.0 cannot carry most control characters even escaped: they become
/// visible caret forms first.
fn clean(s: &str) -> String {
    s.chars()
        .flat_map(|c| match c {
            '\t' | '\n' | '\r' => vec![c],
            c if (c as u32) < 0x20 => vec!['^', char::from_u32(c as u32 + 0x40).unwrap_or('?')],
            '\u{fffe}' | '\u{ffff}' => vec!['?'],
            c => vec![c],
        })
        .collect()
}

fn attr(s: &str) -> String {
    escape(clean(s).as_str()).replace('\n', "&#10;")
}

fn text(s: &str) -> String {
    escape(clean(s).as_str()).into_owned()
}
