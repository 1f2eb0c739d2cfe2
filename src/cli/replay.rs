//! `gavel replay DECISION_ID [--against NAME@VERSION]` and
//! `gavel replay --all [filters] [--against NAME@VERSION]`.

use std::io::IsTerminal;
use std::sync::atomic::AtomicBool;

use anyhow::bail;

use super::decisions::FilterArgs;
use super::eval::timeout;
use super::output::{
    Align, Format, Shrink, Table, citation_labels, short_hash, terminal_width, write_json,
};
use super::{Ctx, Status};
use crate::replay::{BatchOptions, ImpactReport, ReplayResult, Verdict, replay_all, replay_one};
use crate::sanitize::{escape, escape_multiline};
use crate::store::{Store, VersionRef};

#[derive(Debug, clap::Args)]
pub struct Args {
    /// The decision to replay.
    #[arg(value_name = "DECISION_ID", required_unless_present = "all")]
    id: Option<String>,
    /// Replay every decision the filters select.
    #[arg(long, conflicts_with = "id")]
    all: bool,
    /// Replay under this version instead of the decision's own.
    #[arg(long, value_name = "NAME@VERSION")]
    against: Option<String>,
    #[command(flatten)]
    filter: FilterArgs,
    /// Evaluation time limit in seconds.
    #[arg(long, default_value_t = 5.0, value_name = "SECONDS")]
    timeout: f64,
    /// Worker threads for --all (default: one per core).
    #[arg(long, short = 'p', default_value_t = 0, value_name = "N")]
    parallel: usize,
    /// With --all --against: the interpreter decides every result that
    /// differs from the recorded one, instead of checking the bytecode VM's
    /// answers (slower).
    #[arg(long, requires = "against")]
    interpreter: bool,
}

pub fn run(ctx: &mut Ctx, args: Args) -> anyhow::Result<Status> {
    let against = args.against.as_deref().map(VersionRef::parse).transpose()?;
    let timeout = timeout(args.timeout)?;
    let mut store = ctx.open_store()?;
    if !args.all {
        if args.filter.outcome.is_some()
            || args.filter.version.is_some()
            || args.filter.since.is_some()
        {
            bail!("filters apply to --all");
        }
        let id = args.id.as_deref().unwrap_or_default();
        let r = replay_one(&mut store, id, against.as_ref(), timeout)?;
        let exceptions = crate::exceptions::of_decision(&store, id, ctx.now()?)?;
        if ctx.format == Format::Json {
            #[derive(serde::Serialize)]
            struct WithExceptions<'a> {
                #[serde(flatten)]
                replay: &'a ReplayResult,
                #[serde(skip_serializing_if = "<[crate::exceptions::Exception]>::is_empty")]
                exceptions: &'a [crate::exceptions::Exception],
            }
            write_json(
                ctx.out,
                &WithExceptions {
                    replay: &r,
                    exceptions: &exceptions,
                },
            )?;
        } else {
            print_one(ctx, &r)?;
            for e in &exceptions {
                writeln!(ctx.out, "{}", super::decisions::exception_line(e))?;
            }
        }
        return Ok(match r.verdict {
            Verdict::Diverged => Status::CheckFailed,
            Verdict::Error => Status::InputRejected,
            _ => Status::Ok,
        });
    }
    let filter = args.filter.to_filter(&store)?;
    let report = replay_with_progress(
        &mut store,
        &BatchOptions {
            filter,
            against: against.as_ref(),
            timeout,
            threads: args.parallel,
            interpreter_only: args.interpreter,
        },
    )?;
    if ctx.format == Format::Json {
        write_json(ctx.out, &report)?;
    } else {
        print_impact(ctx, &report)?;
    }
    // A decision that cannot be replayed is an audit check that failed too.
    Ok(
        if report.count(Verdict::Diverged) + report.count(Verdict::Error) > 0 {
            Status::CheckFailed
        } else {
            Status::Ok
        },
    )
}

/// Batch replay with a progress bar on stderr when it is a terminal; shared
/// by `replay --all` and `diff --impact`.
pub(crate) fn replay_with_progress(
    store: &mut Store,
    opts: &BatchOptions,
) -> anyhow::Result<ImpactReport> {
    let bar = std::io::stderr().is_terminal().then(|| {
        indicatif::ProgressBar::new(0).with_style(
            indicatif::ProgressStyle::with_template(
                "{bar:40} {pos}/{len} decisions {per_sec} {eta}",
            )
            .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
        )
    });
    let report = replay_all(
        store,
        opts,
        &|done, total| {
            if let Some(b) = &bar {
                b.set_length(total);
                b.set_position(done);
            }
        },
        &AtomicBool::new(false),
    )?;
    if let Some(b) = &bar {
        b.finish_and_clear();
    }
    super::log::notice_new_key(store);
    Ok(report)
}

fn print_one(ctx: &mut Ctx, r: &ReplayResult) -> anyhow::Result<()> {
    let out = &mut *ctx.out;
    writeln!(out, "decision   {}", escape(&r.decision_id))?;
    match &r.version {
        Some(v) => writeln!(
            out,
            "version    {}  {}",
            escape(&v.to_string()),
            r.policy_hash.as_deref().map(short_hash).unwrap_or_default()
        )?,
        None => writeln!(out, "version    not in the store")?,
    }
    if let Some(a) = &r.against {
        writeln!(out, "against    {}", escape(&a.to_string()))?;
    }
    writeln!(out, "original   {}", escape(&r.original_outcome))?;
    writeln!(
        out,
        "replayed   {}",
        escape(r.replayed_outcome.as_deref().unwrap_or("-"))
    )?;
    if r.verdict != Verdict::Error {
        writeln!(
            out,
            "result     {}",
            if r.result_match { "matches" } else { "differs" }
        )?;
    }
    let transition = match (&r.replayed_outcome, r.verdict) {
        (Some(after), Verdict::Changed | Verdict::Diverged) if *after != r.original_outcome => {
            format!(" ({} -> {})", escape(&r.original_outcome), escape(after))
        }
        _ => String::new(),
    };
    writeln!(out, "verdict    {}{transition}", r.verdict.as_str())?;
    if let Some(reason) = &r.reason {
        writeln!(out, "reason     {}", escape(reason))?;
    }
    if !r.rule_changes.is_empty() {
        writeln!(out, "\ncited rules that fire differently:")?;
        let mut t = Table::new(&[
            ("RULE", Shrink::End { min: 16 }, Align::Left),
            ("BEFORE", Shrink::Fixed, Align::Left),
            ("AFTER", Shrink::Fixed, Align::Left),
            ("CITATION", Shrink::End { min: 14 }, Align::Left),
        ])
        .indent(2);
        let show = |f: Option<bool>| match f {
            Some(true) => "fires",
            Some(false) => "-",
            None => "(absent)",
        };
        for c in &r.rule_changes {
            t.row(vec![
                c.rule.clone(),
                show(c.before).into(),
                show(c.after).into(),
                citation_labels(&c.citations),
            ]);
        }
        write!(out, "{}", t.render(terminal_width()))?;
    }
    if let Some(diff) = &r.diff {
        writeln!(out, "\nresult diff (- original, + replayed):")?;
        for line in escape_multiline(diff).lines() {
            writeln!(out, "  {line}")?;
        }
    }
    Ok(())
}

pub(crate) fn print_impact(ctx: &mut Ctx, r: &ImpactReport) -> anyhow::Result<()> {
    let out = &mut *ctx.out;
    let under = match &r.against {
        Some(a) => format!("against {}", escape(&a.to_string())),
        None => "under their own versions".into(),
    };
    writeln!(
        out,
        "replayed {} decisions {under} in {:.2} s",
        r.replayed,
        r.duration_ms as f64 / 1000.0
    )?;
    let verdicts: Vec<String> = r
        .verdicts
        .iter()
        .map(|(v, n)| format!("{} {n}", v.as_str()))
        .collect();
    writeln!(out, "  {}", verdicts.join("  "))?;
    for line in r.vm.describe().into_iter().chain(r.vm_coverage.describe()) {
        writeln!(out, "  {}", crate::sanitize::escape(&line))?;
    }
    if let Some(cp) = &r.checkpoint {
        writeln!(
            out,
            "  log: checkpoint #{} signed for this batch ({} decisions, root {})",
            cp.id,
            cp.size,
            super::log::short_root(&cp.root)
        )?;
    }
    if !r.transitions.is_empty() {
        writeln!(
            out,
            "\ntransitions (rows: original outcome, columns: replayed outcome):"
        )?;
        let mut after: Vec<&String> = r.outcomes_after.keys().collect();
        after.sort();
        let mut cols: Vec<(&str, Shrink, Align)> = vec![("", Shrink::Fixed, Align::Left)];
        for n in &after {
            cols.push((n.as_str(), Shrink::Fixed, Align::Right));
        }
        let mut t = Table::new(&cols).indent(2);
        for (from, row) in &r.transitions {
            let mut cells = vec![from.clone()];
            for to in &after {
                let n = row.get(*to).copied().unwrap_or(0);
                cells.push(if n == 0 {
                    ".".into()
                } else if from == *to {
                    n.to_string()
                } else {
                    format!("{n}*")
                });
            }
            t.row(cells);
        }
        write!(out, "{}", t.render(terminal_width()))?;
        writeln!(out, "  (* an outcome that changed)")?;
    }
    if !r.rules.is_empty() {
        writeln!(out, "\nrules behind the changes:")?;
        let mut t = Table::new(&[
            ("RULE", Shrink::End { min: 16 }, Align::Left),
            ("NOW FIRES", Shrink::Fixed, Align::Right),
            ("STOPPED", Shrink::Fixed, Align::Right),
            ("CITATION", Shrink::End { min: 14 }, Align::Left),
        ])
        .indent(2);
        for ri in &r.rules {
            t.row(vec![
                ri.rule.clone(),
                ri.now_fires.to_string(),
                ri.stopped_firing.to_string(),
                citation_labels(&ri.citations),
            ]);
        }
        write!(out, "{}", t.render(terminal_width()))?;
    }
    if !r.changed_sample.is_empty() {
        writeln!(out, "\nchanged decisions (sample):")?;
        for id in &r.changed_sample {
            writeln!(out, "  {}", escape(id))?;
        }
    }
    if !r.error_sample.is_empty() {
        writeln!(out, "\nerrors (sample):")?;
        for (id, reason) in &r.error_sample {
            writeln!(out, "  {}: {}", escape(id), escape(reason))?;
        }
    }
    Ok(())
}
