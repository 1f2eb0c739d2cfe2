//! `gavel matrix NAME@VERSION`: the regulation mapping matrix.

use serde::Serialize;

use super::output::{
    Align, Format, Shrink, Table, short_hash, short_time, terminal_width, write_json,
};
use super::{Ctx, Status};
use crate::bundle::Citation;
use crate::matrix::Matrix;
use crate::sanitize::escape;
use crate::store::VersionRef;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// The version, as NAME@VERSION.
    version: String,
}

#[derive(Serialize)]
struct MatrixDoc<'a> {
    version: &'a VersionRef,
    content_hash: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    test_run: Option<&'a crate::store::test_runs::TestRun>,
    #[serde(flatten)]
    matrix: &'a Matrix,
}

pub fn run(ctx: &mut Ctx, args: Args) -> anyhow::Result<Status> {
    let reference = VersionRef::parse(&args.version)?;
    let store = ctx.open_store_read_only()?;
    let version = store.find_version(&reference)?;
    let run = store.latest_covered_run(version.id)?;
    let matrix = Matrix::build(
        &store.rules_of(version.id)?,
        run.as_ref().and_then(|r| r.coverage_report.as_ref()),
    );
    if ctx.format == Format::Json {
        write_json(
            ctx.out,
            &MatrixDoc {
                version: &reference,
                content_hash: &version.content_hash,
                test_run: run.as_ref(),
                matrix: &matrix,
            },
        )?;
        return Ok(Status::Ok);
    }
    writeln!(
        ctx.out,
        "{}  {}  regulation mapping: {} regulations, {} clauses, {} rule citations, {} gaps",
        escape(&reference.to_string()),
        short_hash(&version.content_hash),
        matrix.regulations(),
        matrix.clauses(),
        matrix.rows.len(),
        matrix.gaps.len()
    )?;
    match &run {
        Some(r) => writeln!(
            ctx.out,
            "tests: run #{} of {}: {}/{} passed, {:.1}% line coverage",
            r.id,
            short_time(&r.started_at),
            r.summary.pass,
            r.summary.total,
            r.coverage.unwrap_or(0.0)
        )?,
        None => writeln!(
            ctx.out,
            "tests: no covered run recorded (gavel test {} --coverage)",
            escape(&reference.to_string())
        )?,
    }
    // File paths are shown relative to the directory every file shares.
    let prefix = common_dir(
        matrix
            .rows
            .iter()
            .map(|r| r.file.as_str())
            .chain(matrix.gaps.iter().map(|g| g.file.as_str())),
    );
    if !prefix.is_empty() {
        writeln!(ctx.out, "files under {}", escape(&prefix))?;
    }
    writeln!(ctx.out)?;
    let width = terminal_width();
    // One heading per clause, its rules beneath: at 80 columns the rule
    // names, not the repeated clause text, get the room.
    let mut t = Table::new(&[
        ("RULE", Shrink::End { min: 20 }, Align::Left),
        ("FILE:LINE", Shrink::Start { min: 18 }, Align::Left),
        ("TESTS", Shrink::Fixed, Align::Right),
        ("COV", Shrink::Fixed, Align::Right),
        ("TITLE", Shrink::End { min: 12 }, Align::Left),
    ])
    .indent(2);
    let mut previous: Option<(&str, &str)> = None;
    for row in &matrix.rows {
        let key = (row.regulation.as_str(), row.clause.as_str());
        if previous != Some(key) {
            t.section(
                &Citation {
                    regulation: row.regulation.clone(),
                    clause: row.clause.clone(),
                }
                .label(),
            );
            previous = Some(key);
        }
        t.row(vec![
            row.rule.clone(),
            format!("{}:{}", &row.file[prefix.len()..], row.line),
            row.tests.map_or("-".into(), |n| n.to_string()),
            row.coverage.map_or("-".into(), |c| format!("{c:.0}%")),
            row.title.clone().unwrap_or_else(|| "-".into()),
        ]);
    }
    if t.is_empty() {
        writeln!(ctx.out, "no rule cites a regulation")?;
    } else {
        write!(ctx.out, "{}", t.render(width))?;
    }
    writeln!(ctx.out)?;
    if matrix.gaps.is_empty() {
        writeln!(ctx.out, "gaps: none (every rule cites a regulation)")?;
    } else {
        writeln!(
            ctx.out,
            "gaps: {} rules cite no regulation",
            matrix.gaps.len()
        )?;
        let mut g = Table::new(&[
            ("RULE", Shrink::End { min: 14 }, Align::Left),
            ("FILE:LINE", Shrink::Start { min: 14 }, Align::Left),
            ("TITLE", Shrink::End { min: 8 }, Align::Left),
        ])
        .indent(2);
        for gap in &matrix.gaps {
            g.row(vec![
                gap.rule.clone(),
                format!("{}:{}", &gap.file[prefix.len()..], gap.line),
                gap.title.clone().unwrap_or_else(|| "-".into()),
            ]);
        }
        write!(ctx.out, "{}", g.render(width))?;
    }
    Ok(Status::Ok)
}

/// The longest directory prefix (ending in `/`) shared by every path.
fn common_dir<'a>(mut paths: impl Iterator<Item = &'a str>) -> String {
    let Some(first) = paths.next() else {
        return String::new();
    };
    let mut prefix = first.rfind('/').map_or("", |i| &first[..=i]);
    for p in paths {
        while !p.starts_with(prefix) {
            prefix = prefix[..prefix.len() - 1]
                .rfind('/')
                .map_or("", |i| &prefix[..=i]);
        }
    }
    prefix.to_string()
}

#[cfg(test)]
mod tests {
    use super::common_dir;

    #[test]
    fn common_directory() {
        assert_eq!(common_dir(["a/b/x.rego", "a/b/y.rego"].into_iter()), "a/b/");
        assert_eq!(common_dir(["a/b/x.rego", "a/c/y.rego"].into_iter()), "a/");
        assert_eq!(common_dir(["a/b/x.rego", "ab/y.rego"].into_iter()), "");
        assert_eq!(common_dir(["x.rego"].into_iter()), "");
        assert_eq!(common_dir([].into_iter()), "");
    }
}
