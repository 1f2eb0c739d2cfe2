//! `gavel exceptions (add | list | show | resolve)`: logged overrides of one
//! decision's outcome, each due for follow-up (48 hours by default).

use super::output::{Align, Format, Shrink, Table, terminal_width, write_json};
use super::{Ctx, Status};
use crate::certify::{parse_duration, stamp};
use crate::exceptions::{Exception, NewRequest, State, add, list, parse_id, resolve};
use crate::sanitize::escape;
use crate::store::VersionRef;
use crate::store::exceptions::ExceptionFilter;

#[derive(Debug, clap::Subcommand)]
pub enum Command {
    /// Log an exception: an override of one decision's outcome, with an
    /// owner, due for follow-up (default 48 hours after it is logged).
    Add {
        #[arg(value_name = "DECISION_ID")]
        decision_id: String,
        /// Why the decision's outcome is overridden.
        #[arg(long)]
        reason: String,
        /// Who follows it up.
        #[arg(long)]
        owner: String,
        /// When it is due, after now: 48h, 2d, 1d12h, 90m, 1w (default 48h,
        /// or exception_due in the config's [certification]).
        #[arg(long, value_name = "DURATION")]
        due: Option<String>,
        /// The outcome the exception grants instead (e.g. APPROVE).
        #[arg(long, value_name = "OUTCOME")]
        outcome: Option<String>,
    },
    /// List exceptions, overdue ones flagged. --overdue exits 1 when any is
    /// overdue (a CI or cron check).
    List {
        /// Only unresolved exceptions.
        #[arg(long, conflicts_with = "overdue")]
        open: bool,
        /// Only unresolved exceptions past their due time; exit 1 when any.
        #[arg(long)]
        overdue: bool,
        /// Only exceptions of decisions made with this version.
        #[arg(long, value_name = "NAME@VERSION")]
        version: Option<String>,
    },
    /// One exception in full: its reason, owner, times and resolution.
    Show {
        #[arg(value_name = "ID")]
        id: String,
    },
    /// Resolve an exception with a follow-up note.
    Resolve {
        #[arg(value_name = "ID")]
        id: String,
        /// What the follow-up found or did.
        #[arg(long)]
        note: String,
        /// Who resolved it.
        #[arg(long, value_name = "NAME")]
        by: Option<String>,
    },
}

pub fn run(ctx: &mut Ctx, command: Command) -> anyhow::Result<Status> {
    let now = ctx.now()?;
    match command {
        Command::Add {
            decision_id,
            reason,
            owner,
            due,
            outcome,
        } => {
            let due = match due {
                Some(d) => parse_duration(&d).map_err(|e| anyhow::anyhow!("--due: {e}"))?,
                None => ctx.settings()?.exception_due()?,
            };
            let store = ctx.open_store()?;
            let e = add(
                &store,
                &NewRequest {
                    decision_id: &decision_id,
                    reason: &reason,
                    owner: &owner,
                    granted_outcome: outcome.as_deref(),
                    due,
                    now: ctx.clock()?,
                },
            )?;
            if ctx.format == Format::Json {
                write_json(ctx.out, &e)?;
            } else {
                writeln!(
                    ctx.out,
                    "logged exception #{} on decision {}: {}, owner {}, due {} ({})",
                    e.row.id,
                    escape(&e.row.decision_id),
                    escape(&e.override_label()),
                    escape(&e.row.owner),
                    escape(&e.row.due_at),
                    e.timing
                )?;
            }
            Ok(Status::Ok)
        }
        Command::List {
            open,
            overdue,
            version,
        } => {
            let store = ctx.open_store_read_only()?;
            let version_id = match &version {
                Some(v) => Some(store.find_version(&VersionRef::parse(v)?)?.id),
                None => None,
            };
            let filter = ExceptionFilter {
                open_only: open,
                overdue_at: overdue.then(|| stamp(now)),
                version_id,
                decision_seq: None,
            };
            let items = list(&store, &filter, now)?;
            if ctx.format == Format::Json {
                write_json(ctx.out, &items)?;
            } else {
                print_list(ctx, &items, overdue)?;
            }
            Ok(
                if overdue && items.iter().any(|e| e.state == State::Overdue) {
                    Status::CheckFailed
                } else {
                    Status::Ok
                },
            )
        }
        Command::Show { id } => {
            let id = parse_id(&id)?;
            let store = ctx.open_store_read_only()?;
            let e = crate::exceptions::get(&store, id, now)?;
            if ctx.format == Format::Json {
                write_json(ctx.out, &e)?;
            } else {
                print_one(ctx, &e)?;
            }
            Ok(Status::Ok)
        }
        Command::Resolve { id, note, by } => {
            let id = parse_id(&id)?;
            let store = ctx.open_store()?;
            let e = resolve(&store, id, &note, by.as_deref(), ctx.clock()?)?;
            if ctx.format == Format::Json {
                write_json(ctx.out, &e)?;
            } else {
                writeln!(
                    ctx.out,
                    "resolved exception #{} on decision {}: {}",
                    e.row.id,
                    escape(&e.row.decision_id),
                    e.timing
                )?;
            }
            Ok(Status::Ok)
        }
    }
}

/// One exception, every field whole (the list cuts long text).
fn print_one(ctx: &mut Ctx, e: &Exception) -> anyhow::Result<()> {
    for (k, v) in e.fields() {
        writeln!(ctx.out, "{k:<12} {}", escape(&v))?;
    }
    Ok(())
}

fn print_list(ctx: &mut Ctx, items: &[Exception], overdue_only: bool) -> anyhow::Result<()> {
    if items.is_empty() {
        writeln!(
            ctx.out,
            "{}",
            if overdue_only {
                "no overdue exceptions"
            } else {
                "no exceptions match"
            }
        )?;
        return Ok(());
    }
    let mut t = Table::new(&[
        ("#", Shrink::Fixed, Align::Right),
        ("STATE", Shrink::Fixed, Align::Left),
        ("DECISION", Shrink::End { min: 12 }, Align::Left),
        ("OVERRIDE", Shrink::End { min: 10 }, Align::Left),
        ("OWNER", Shrink::End { min: 8 }, Align::Left),
        ("DUE", Shrink::Fixed, Align::Left),
        ("FOLLOW-UP", Shrink::End { min: 10 }, Align::Left),
        ("REASON", Shrink::End { min: 10 }, Align::Left),
    ]);
    for e in items {
        t.row(vec![
            e.row.id.to_string(),
            format!("{} {}", e.state.glyph(), e.state.as_str()),
            e.row.decision_id.clone(),
            e.override_label(),
            e.row.owner.clone(),
            e.row.due_at.replace('T', " ").chars().take(16).collect(),
            e.timing.clone(),
            e.row.reason.clone(),
        ]);
    }
    write!(ctx.out, "{}", t.render(terminal_width()))?;
    let count = |s: State| items.iter().filter(|e| e.state == s).count();
    let overdue = count(State::Overdue);
    writeln!(
        ctx.out,
        "{} exceptions: {} open ({} OVERDUE), {} resolved ({} late)",
        items.len(),
        count(State::Open) + overdue,
        overdue,
        count(State::Resolved) + count(State::ResolvedLate),
        count(State::ResolvedLate)
    )?;
    Ok(())
}
