//! `gavel matrix NAME@VERSION`: the regulation mapping matrix.

use serde::Serialize;

use super::output::{Align, Format, Shrink, Table, short_hash, terminal_width, write_json};
use super::{Ctx, Status};
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
    #[serde(flatten)]
    matrix: &'a Matrix,
}

pub fn run(ctx: &mut Ctx, args: Args) -> anyhow::Result<Status> {
    let reference = VersionRef::parse(&args.version)?;
    let store = ctx.open_store()?;
    let version = store.find_version(&reference)?;
    let matrix = Matrix::build(&store.rules_of(version.id)?);
    if ctx.format == Format::Json {
        write_json(
            ctx.out,
            &MatrixDoc {
                version: &reference,
                content_hash: &version.content_hash,
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
    writeln!(ctx.out)?;
    let width = terminal_width();
    let mut t = Table::new(&[
        ("REGULATION", Shrink::End { min: 10 }, Align::Left),
        ("CLAUSE", Shrink::End { min: 10 }, Align::Left),
        ("RULE", Shrink::End { min: 14 }, Align::Left),
        ("FILE:LINE", Shrink::Start { min: 14 }, Align::Left),
        ("TITLE", Shrink::End { min: 8 }, Align::Left),
    ]);
    let mut previous: Option<(&str, &str)> = None;
    for row in &matrix.rows {
        // Repeated regulation and clause cells are blanked so the clauses
        // read as groups.
        let key = (row.regulation.as_str(), row.clause.as_str());
        let (reg, clause) = match previous {
            Some((r, c)) if r == key.0 && c == key.1 => (String::new(), String::new()),
            Some((r, _)) if r == key.0 => (String::new(), row.clause.clone()),
            _ => (row.regulation.clone(), row.clause.clone()),
        };
        previous = Some(key);
        t.row(vec![
            reg,
            clause,
            row.rule.clone(),
            format!("{}:{}", row.file, row.line),
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
        writeln!(ctx.out, "gaps: {} rules cite no regulation", matrix.gaps.len())?;
        let mut g = Table::new(&[
            ("RULE", Shrink::End { min: 14 }, Align::Left),
            ("FILE:LINE", Shrink::Start { min: 14 }, Align::Left),
            ("TITLE", Shrink::End { min: 8 }, Align::Left),
        ])
        .indent(2);
        for gap in &matrix.gaps {
            g.row(vec![
                gap.rule.clone(),
                format!("{}:{}", gap.file, gap.line),
                gap.title.clone().unwrap_or_else(|| "-".into()),
            ]);
        }
        write!(ctx.out, "{}", g.render(width))?;
    }
    Ok(Status::Ok)
}
