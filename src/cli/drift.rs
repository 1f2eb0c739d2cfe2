//! `gavel drift [--since T]`: the decisions made by a version that was not
//! certified at the time, or that the store does not hold, grouped by
//! version (crate::drift does the work). Exit 1 when there are any.

use super::output::{Format, write_json};
use super::{Ctx, Status};
use crate::drift::drift_report;
use crate::sanitize::escape;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Only decisions made at or after this time (RFC 3339, or a date).
    #[arg(long, value_name = "TIME")]
    since: Option<String>,
    /// List at most this many decisions of each version (the earliest;
    /// counts are always whole). 0: all.
    #[arg(long, default_value_t = 20)]
    limit: usize,
}

pub fn run(ctx: &mut Ctx, args: Args) -> anyhow::Result<Status> {
    let since = args
        .since
        .as_deref()
        .map(|t| super::decisions::time_arg("--since", t, false))
        .transpose()?;
    let settings = ctx.settings()?;
    let store = ctx.open_store_read_only()?;
    let limit = (args.limit > 0).then_some(args.limit);
    let report = drift_report(&store, &settings, since, limit)?;
    let status = if report.drift > 0 {
        Status::CheckFailed
    } else {
        Status::Ok
    };
    if ctx.format == Format::Json {
        write_json(ctx.out, &report)?;
        return Ok(status);
    }
    let period = report
        .since
        .as_deref()
        .map(|s| format!(" since {s}"))
        .unwrap_or_default();
    if report.drift == 0 {
        writeln!(
            ctx.out,
            "no drift: every one of {} decisions{period} was made by a version certified at the time",
            report.decisions
        )?;
        return Ok(status);
    }
    writeln!(
        ctx.out,
        "DRIFT: {} of {} decisions{period} were made by a version not certified at the time, or unknown to the store",
        report.drift, report.decisions
    )?;
    for g in &report.groups {
        let who = match (&g.version, &g.bundle, &g.revision) {
            (Some(v), _, _) => v.clone(),
            (None, Some(b), Some(r)) => format!("bundle {b} revision {r:?}"),
            (None, Some(b), None) => format!("bundle {b} (no revision)"),
            _ => "no bundle".to_string(),
        };
        writeln!(ctx.out)?;
        writeln!(
            ctx.out,
            "{}: {} decision{} from {} to {}: {}",
            escape(&who),
            g.count,
            if g.count == 1 { "" } else { "s" },
            escape(&g.first),
            escape(&g.last),
            escape(&g.explanation())
        )?;
        for d in &g.decisions {
            writeln!(
                ctx.out,
                "  {}  {}  {}  {}  ({})",
                escape(&d.timestamp),
                escape(&d.decision_id),
                escape(&d.outcome),
                escape(&d.path),
                escape(&d.source)
            )?;
        }
        let shown = g.decisions.len() as u64;
        if shown < g.count {
            writeln!(
                ctx.out,
                "  ... and {} more (--limit 0 lists all)",
                g.count - shown
            )?;
        }
    }
    Ok(status)
}
