//! `gavel diff NAME@V1 NAME@V2 [--impact]`: the semantic diff of the rule
//! catalogs, the changed files with their unified diffs, and (with
//! `--impact`) what replaying V1's stored decisions under V2 would change.

use serde::Serialize;
use unicode_width::UnicodeWidthStr;

use super::eval::timeout;
use super::output::{Align, Format, Shrink, Table, short_hash, terminal_width, write_json};
use super::{Ctx, Status};
use crate::bundle::Citation;
use crate::diff::{
    Aspect, FileStatus, RuleState, VersionDiff, diff_versions, normalize_whitespace,
};
use crate::replay::{BatchOptions, ImpactReport};
use crate::sanitize::{escape, escape_multiline};
use crate::store::VersionRef;
use crate::store::decisions::DecisionFilter;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// The version to compare from, as NAME@VERSION.
    #[arg(value_name = "FROM")]
    from: String,
    /// The version to compare to, as NAME@VERSION.
    #[arg(value_name = "TO")]
    to: String,
    /// Also replay FROM's stored decisions under TO and report the impact
    /// (the replays are recorded, as `gavel replay --all` records them).
    #[arg(long)]
    impact: bool,
    /// Evaluation time limit per decision for --impact, in seconds.
    #[arg(long, default_value_t = 5.0, value_name = "SECONDS")]
    timeout: f64,
    /// For --impact: the interpreter decides every changed result, instead
    /// of checking the bytecode VM's answers (slower).
    #[arg(long, requires = "impact")]
    interpreter: bool,
}

#[derive(Serialize)]
struct DiffDoc<'a> {
    #[serde(flatten)]
    diff: &'a VersionDiff,
    #[serde(skip_serializing_if = "Option::is_none")]
    impact: Option<&'a ImpactReport>,
}

pub fn run(ctx: &mut Ctx, args: Args) -> anyhow::Result<Status> {
    let from = VersionRef::parse(&args.from)?;
    let to = VersionRef::parse(&args.to)?;
    let timeout = timeout(args.timeout)?;
    let mut store = ctx.open_store()?;
    let diff = diff_versions(&store, &from, &to)?;
    let impact = if args.impact {
        let from_id = store.find_version(&from)?.id;
        let report = super::replay::replay_with_progress(
            &mut store,
            &BatchOptions {
                filter: DecisionFilter {
                    version_id: Some(from_id),
                    ..Default::default()
                },
                against: Some(&to),
                timeout,
                threads: 0,
                interpreter_only: args.interpreter,
            },
        )?;
        Some(report)
    } else {
        None
    };
    if ctx.format == Format::Json {
        write_json(
            ctx.out,
            &DiffDoc {
                diff: &diff,
                impact: impact.as_ref(),
            },
        )?;
    } else {
        print_text(ctx, &diff, impact.as_ref())?;
    }
    // A diff is a report, not a check.
    Ok(Status::Ok)
}

fn print_text(ctx: &mut Ctx, d: &VersionDiff, impact: Option<&ImpactReport>) -> anyhow::Result<()> {
    let (from, to) = (d.from.reference(), d.to.reference());
    writeln!(
        ctx.out,
        "diff {} ({}) -> {} ({})",
        escape(&from.to_string()),
        short_hash(&d.from.content_hash),
        escape(&to.to_string()),
        short_hash(&d.to.content_hash)
    )?;
    if !d.same_bundle {
        writeln!(
            ctx.out,
            "note: these are versions of two different bundles ({} and {})",
            escape(&d.from.name),
            escape(&d.to.name)
        )?;
    }
    if d.identical {
        writeln!(ctx.out, "no differences: both have the same content hash")?;
    }
    let s = &d.summary;
    writeln!(
        ctx.out,
        "rules: {} added, {} removed, {} changed; constants: {} changed; entrypoints: {} added, {} removed",
        s.rules_added,
        s.rules_removed,
        s.rules_changed,
        s.constants_changed,
        s.entrypoints_added,
        s.entrypoints_removed
    )?;
    writeln!(
        ctx.out,
        "files: {} added, {} removed, {} changed, {} unchanged (+{} -{} lines)",
        s.files_added,
        s.files_removed,
        s.files_changed,
        s.files_unchanged,
        s.lines_added,
        s.lines_removed
    )?;
    let width = terminal_width();
    let name = d.rule_namer();

    if !d.constants.is_empty() {
        writeln!(ctx.out, "\nconstants changed:")?;
        for c in &d.constants {
            let show = |v: &Option<String>| match v {
                Some(v) => escape(&normalize_whitespace(v)).into_owned(),
                None => "(not a constant)".into(),
            };
            writeln!(
                ctx.out,
                "  {}: {} -> {}  {}:{}",
                escape(&name(&c.package, &c.name)),
                show(&c.before),
                show(&c.after),
                escape(&c.file),
                c.line
            )?;
        }
    }
    for (heading, rules) in [
        ("rules added", &d.rules.added),
        ("rules removed", &d.rules.removed),
    ] {
        if rules.is_empty() {
            continue;
        }
        writeln!(ctx.out, "\n{heading}:")?;
        let mut t = Table::new(&[
            ("RULE", Shrink::End { min: 16 }, Align::Left),
            ("KIND", Shrink::Fixed, Align::Left),
            ("FILE:LINE", Shrink::Start { min: 14 }, Align::Left),
            ("CITATIONS", Shrink::End { min: 12 }, Align::Left),
            ("TITLE", Shrink::End { min: 10 }, Align::Left),
        ])
        .indent(2);
        for r in rules {
            t.row(vec![
                name(&r.package, &r.name),
                r.kind.as_str().into(),
                format!("{}:{}", r.file, r.line_start),
                citations(&r.citations),
                r.title.clone().unwrap_or_else(|| "-".into()),
            ]);
        }
        write!(ctx.out, "{}", t.render(width))?;
    }
    // Constants whose only change is their value are listed above.
    let changed: Vec<_> = d.rules.changed.iter().filter(|c| !c.value_only()).collect();
    if !changed.is_empty() {
        writeln!(ctx.out, "\nrules changed:")?;
        let cells: Vec<(String, String)> = changed
            .iter()
            .map(|c| {
                (
                    escape(&name(&c.package, &c.name)).into_owned(),
                    escape(&format!("{}:{}", c.after.file, c.after.line_start)).into_owned(),
                )
            })
            .collect();
        let w0 = cells.iter().map(|c| c.0.width()).max().unwrap_or(0);
        let w1 = cells.iter().map(|c| c.1.width()).max().unwrap_or(0);
        for (c, (rule, at)) in changed.iter().zip(&cells) {
            let what: Vec<&str> = c.changes.iter().map(|a| a.as_str()).collect();
            writeln!(
                ctx.out,
                "  {rule}{}  {at}{}  {}",
                " ".repeat(w0 - rule.width()),
                " ".repeat(w1 - at.width()),
                what.join(", ")
            )?;
            for aspect in &c.changes {
                if let Some((before, after)) = detail(*aspect, &c.before, &c.after) {
                    writeln!(
                        ctx.out,
                        "      {:<11} {} -> {}",
                        aspect.as_str(),
                        escape(&before),
                        escape(&after)
                    )?;
                }
            }
        }
    }
    if !d.entrypoints.added.is_empty() || !d.entrypoints.removed.is_empty() {
        writeln!(ctx.out, "\nentrypoints:")?;
        for e in &d.entrypoints.added {
            writeln!(ctx.out, "  + {}", escape(e))?;
        }
        for e in &d.entrypoints.removed {
            writeln!(ctx.out, "  - {}", escape(e))?;
        }
    }
    if !d.files.is_empty() {
        writeln!(ctx.out, "\nfiles:")?;
        let mut t = Table::new(&[
            ("STATUS", Shrink::Fixed, Align::Left),
            ("FILE", Shrink::Start { min: 16 }, Align::Left),
            ("+", Shrink::Fixed, Align::Right),
            ("-", Shrink::Fixed, Align::Right),
        ])
        .indent(2);
        for f in &d.files {
            t.row(vec![
                f.status.as_str().into(),
                f.path.clone(),
                f.added.to_string(),
                f.removed.to_string(),
            ]);
        }
        write!(ctx.out, "{}", t.render(width))?;
    }
    if let Some(report) = impact {
        writeln!(ctx.out, "\nimpact:")?;
        if report.replayed == 0 {
            writeln!(
                ctx.out,
                "no stored decisions were made with {}: nothing to replay (gavel decisions import FILE.jsonl)",
                escape(&from.to_string())
            )?;
        } else {
            super::replay::print_impact(ctx, report)?;
        }
    }
    for f in &d.files {
        writeln!(ctx.out)?;
        if f.status != FileStatus::Changed {
            writeln!(
                ctx.out,
                "{} file {} ({} lines)",
                f.status.as_str(),
                escape(&f.path),
                f.added.max(f.removed)
            )?;
        }
        write!(ctx.out, "{}", escape_multiline(&f.unified))?;
    }
    Ok(())
}

fn citations(c: &[Citation]) -> String {
    if c.is_empty() {
        "-".into()
    } else {
        c.iter().map(Citation::label).collect::<Vec<_>>().join("; ")
    }
}

/// The before and after of one aspect, when it reads on one line.
fn detail(aspect: Aspect, a: &RuleState, b: &RuleState) -> Option<(String, String)> {
    let opt = |v: &Option<String>| v.clone().unwrap_or_else(|| "(none)".into());
    Some(match aspect {
        // The body is in the file diffs, values in the constants above.
        Aspect::Body | Aspect::Description | Aspect::Value => return None,
        Aspect::Kind => (a.kind.as_str().into(), b.kind.as_str().into()),
        Aspect::Title => (opt(&a.title), opt(&b.title)),
        Aspect::Severity => (opt(&a.severity), opt(&b.severity)),
        Aspect::Citations => {
            let show = |c: &[Citation]| {
                if c.is_empty() {
                    "(none)".into()
                } else {
                    citations(c)
                }
            };
            (show(&a.citations), show(&b.citations))
        }
        Aspect::Entrypoint => (a.entrypoint.to_string(), b.entrypoint.to_string()),
        Aspect::File => (
            format!("{}:{}", a.file, a.line_start),
            format!("{}:{}", b.file, b.line_start),
        ),
    })
}
