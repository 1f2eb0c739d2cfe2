//! `gavel decisions (import | list | show | export)`.

use std::io::{BufRead, BufReader, IsTerminal};

use anyhow::{Context, bail};
use serde::Serialize;

use super::output::{
    Align, Format, Shrink, Table, rule_outcomes_table, short_hash, terminal_width, write_json,
};
use super::{Ctx, Status, report_error};
use crate::decision_import::{ImportHooks, import_decisions};
use crate::engine::{EvalRequest, RuleOutcome, clock};
use crate::policy_version::PolicyVersion;
use crate::sanitize::{escape, escape_multiline};
use crate::store::decisions::DecisionFilter;
use crate::store::{DecisionRecord, Store, VersionRef};

#[derive(Debug, clap::Subcommand)]
pub enum Command {
    /// Import an OPA decision log (JSONL, one event per line), or - for stdin.
    Import {
        #[arg(value_name = "FILE.jsonl")]
        file: String,
    },
    /// List decisions, newest first.
    List(FilterArgs),
    /// One decision: input, result, outcome, rule outcomes, version, log position.
    Show {
        #[arg(value_name = "DECISION_ID")]
        id: String,
    },
    /// Export decisions as OPA decision-log JSONL (Gavel's fields under "gavel").
    Export(FilterArgs),
    /// An inclusion proof of one decision in the signed log, for an auditor
    /// to check offline with `gavel verify-proof`.
    Prove(super::log::ProveArgs),
}

#[derive(Debug, Clone, clap::Args)]
pub struct FilterArgs {
    /// Only this outcome (APPROVE, BLOCK, allow, deny, undefined...).
    #[arg(long)]
    pub outcome: Option<String>,
    /// Only decisions made with this version (NAME@VERSION).
    #[arg(long)]
    pub version: Option<String>,
    /// Only this decision path (e.g. gfr/procurement/decision).
    #[arg(long)]
    pub path: Option<String>,
    /// Only decisions at or after this time (RFC 3339, or a date YYYY-MM-DD).
    #[arg(long, value_name = "TIME")]
    pub since: Option<String>,
    /// Only decisions at or before this time (RFC 3339, or a date YYYY-MM-DD).
    #[arg(long, value_name = "TIME")]
    pub until: Option<String>,
    /// Only decisions whose event contains this text.
    #[arg(long)]
    pub text: Option<String>,
    /// At most this many (list only; default 50).
    #[arg(long)]
    pub limit: Option<usize>,
}

impl FilterArgs {
    pub fn to_filter(&self, store: &Store) -> anyhow::Result<DecisionFilter> {
        let version_id = match &self.version {
            Some(v) => Some(store.find_version(&VersionRef::parse(v)?)?.id),
            None => None,
        };
        Ok(DecisionFilter {
            outcome: self.outcome.clone(),
            version_id,
            path: self.path.clone(),
            since_ns: self
                .since
                .as_deref()
                .map(|t| time_arg("--since", t, false))
                .transpose()?,
            until_ns: self
                .until
                .as_deref()
                .map(|t| time_arg("--until", t, true))
                .transpose()?,
            text: self.text.clone(),
            drift: None,
        })
    }
}

/// RFC 3339, or a bare date (its start, or its end for `--until`).
pub fn time_arg(flag: &str, t: &str, end_of_day: bool) -> anyhow::Result<i64> {
    clock::parse_time_bound(t, end_of_day)
        .with_context(|| format!("{flag} {t}: give an RFC 3339 time or a date (YYYY-MM-DD)"))
}

pub fn run(ctx: &mut Ctx, command: Command) -> anyhow::Result<Status> {
    match command {
        Command::Import { file } => import(ctx, &file),
        Command::List(f) => list(ctx, &f),
        Command::Show { id } => show(ctx, &id),
        Command::Export(f) => export(ctx, &f),
        Command::Prove(args) => super::log::prove(ctx, args),
    }
}

fn import(ctx: &mut Ctx, file: &str) -> anyhow::Result<Status> {
    let mut store = ctx.open_store()?;
    let (reader, size): (Box<dyn BufRead + Send>, Option<u64>) = if file == "-" {
        (Box::new(BufReader::new(std::io::stdin())), None)
    } else {
        let f = std::fs::File::open(file).with_context(|| file.to_string())?;
        let size = f.metadata().ok().map(|m| m.len());
        (Box::new(BufReader::with_capacity(1 << 20, f)), size)
    };
    let bar = std::io::stderr().is_terminal().then(|| match size {
        Some(n) => indicatif::ProgressBar::new(n).with_style(
            indicatif::ProgressStyle::with_template(
                "{bar:40} {bytes}/{total_bytes} {msg} {elapsed}",
            )
            .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
        ),
        None => indicatif::ProgressBar::new_spinner(),
    });
    let name = if file == "-" { "<stdin>" } else { file };
    let mut progress = |lines: u64, bytes: u64| {
        if let Some(b) = &bar {
            b.set_position(bytes);
            b.set_message(format!("{lines} lines"));
        }
    };
    let mut rejected = |e: &crate::decision_log::LineError| {
        let msg = format!("{name}:{}: {}", e.line, e.reason);
        match &bar {
            Some(b) => b.suspend(|| report_error(&msg)),
            None => report_error(&msg),
        }
    };
    let summary = import_decisions(
        &mut store,
        reader,
        ImportHooks {
            progress: &mut progress,
            rejected: &mut rejected,
        },
    )?;
    if let Some(b) = &bar {
        b.finish_and_clear();
    }
    if ctx.format == Format::Json {
        write_json(ctx.out, &summary)?;
    } else {
        writeln!(
            ctx.out,
            "imported {} decisions from {} lines; {} already stored; {} rejected{}",
            summary.imported,
            summary.lines,
            summary.identical,
            summary.rejected,
            if summary.conflicts > 0 {
                format!(" ({} conflicts)", summary.conflicts)
            } else {
                String::new()
            }
        )?;
        if summary.unknown_version > 0 {
            writeln!(
                ctx.out,
                "{} decisions name a version that is not in the store (import it to replay them)",
                summary.unknown_version
            )?;
        }
        super::log::write_log_line(ctx.out, &store)?;
    }
    super::log::notice_new_key(&store);
    Ok(if summary.rejected > 0 {
        Status::CheckFailed
    } else {
        Status::Ok
    })
}

fn list(ctx: &mut Ctx, f: &FilterArgs) -> anyhow::Result<Status> {
    let store = ctx.open_store_read_only()?;
    let filter = f.to_filter(&store)?;
    let rows = store.list_decisions(&filter, None, f.limit.unwrap_or(50))?;
    let excepted = store.exception_ids_by_decision()?;
    if ctx.format == Format::Json {
        #[derive(Serialize)]
        struct Listed<'a> {
            #[serde(flatten)]
            row: &'a crate::store::decisions::DecisionRow,
            #[serde(skip_serializing_if = "<[i64]>::is_empty")]
            exceptions: &'a [i64],
        }
        let listed: Vec<Listed> = rows
            .iter()
            .map(|row| Listed {
                row,
                exceptions: excepted.get(&row.seq).map_or(&[][..], Vec::as_slice),
            })
            .collect();
        write_json(ctx.out, &listed)?;
        return Ok(Status::Ok);
    }
    if rows.is_empty() {
        // An empty store is named: the usual surprise is the wrong store.
        if store.has_decisions()? {
            writeln!(ctx.out, "no decisions match")?;
        } else {
            writeln!(
                ctx.out,
                "no decisions stored yet in {}: gavel decisions import FILE",
                escape(&store.path().display().to_string())
            )?;
        }
        return Ok(Status::Ok);
    }
    let mut t = Table::new(&[
        ("TIME", Shrink::End { min: 19 }, Align::Left),
        ("DECISION", Shrink::End { min: 12 }, Align::Left),
        ("OUTCOME", Shrink::Fixed, Align::Left),
        ("VERSION", Shrink::End { min: 12 }, Align::Left),
        ("PATH", Shrink::Start { min: 12 }, Align::Left),
    ]);
    for r in &rows {
        t.row(vec![
            r.timestamp
                .replace('T', " ")
                .chars()
                .take(19)
                .collect::<String>(),
            r.decision_id.clone(),
            match excepted.get(&r.seq).and_then(|ids| ids.last()) {
                Some(id) => format!("{} (excepted #{id})", r.outcome),
                None => r.outcome.clone(),
            },
            r.version
                .clone()
                .or_else(|| r.bundle.as_ref().map(|b| format!("{b} (not stored)")))
                .unwrap_or_else(|| "-".into()),
            r.path.clone(),
        ]);
    }
    write!(ctx.out, "{}", t.render(terminal_width()))?;
    Ok(Status::Ok)
}

#[derive(Serialize)]
struct ShowDoc<'a> {
    decision_id: &'a str,
    log_position: i64,
    leaf_hash: &'a str,
    path: &'a str,
    timestamp: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    version: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    policy_hash: &'a Option<String>,
    outcome: &'a str,
    input: &'a serde_json::Value,
    #[serde(skip_serializing_if = "Option::is_none")]
    result: Option<&'a serde_json::Value>,
    #[serde(skip_serializing_if = "Option::is_none")]
    rule_outcomes: Option<Vec<RuleOutcome>>,
    rule_outcomes_source: &'static str,
    /// Exceptions logged on this decision (overrides of its outcome).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    exceptions: Vec<crate::exceptions::Exception>,
    event: &'a serde_json::Map<String, serde_json::Value>,
}

fn show(ctx: &mut Ctx, id: &str) -> anyhow::Result<Status> {
    let store = ctx.open_store_read_only()?;
    let Some((seq, rec)) = store.get_decision(id)? else {
        bail!("no decision {id} in the store");
    };
    let leaf = store.decision_at(seq)?.map(|(_, h)| h).unwrap_or_default();
    let version = match rec.version_id {
        Some(vid) => store
            .list_versions()?
            .into_iter()
            .find(|v| v.id == vid)
            .map(|v| v.reference()),
        None => None,
    };
    let (rule_outcomes, source) = match (&rec.rule_outcomes, &version) {
        (Some(r), _) => (Some(r.clone()), "recorded"),
        (None, Some(v)) => (
            computed_rule_outcomes(&store, v, &rec).ok(),
            "computed now under the decision's version",
        ),
        (None, None) => (None, "unknown: the decision's version is not in the store"),
    };
    let doc = ShowDoc {
        decision_id: id,
        log_position: seq,
        leaf_hash: &leaf,
        path: rec.path(),
        timestamp: rec.timestamp(),
        version: version.as_ref().map(VersionRef::to_string),
        policy_hash: &rec.policy_hash,
        outcome: &rec.outcome,
        input: rec.input(),
        result: rec.result(),
        rule_outcomes,
        rule_outcomes_source: source,
        exceptions: crate::exceptions::of_decision(&store, id, ctx.now()?)?,
        event: &rec.event,
    };
    if ctx.format == Format::Json {
        write_json(ctx.out, &doc)?;
        return Ok(Status::Ok);
    }
    let out = &mut *ctx.out;
    writeln!(out, "decision   {}", escape(id))?;
    writeln!(out, "path       {}", escape(doc.path))?;
    writeln!(out, "time       {}", escape(doc.timestamp))?;
    match (&doc.version, &rec.bundle()) {
        (Some(v), _) => writeln!(
            out,
            "version    {}  {}",
            escape(v),
            rec.policy_hash
                .as_deref()
                .map(short_hash)
                .unwrap_or_default()
        )?,
        (None, Some((n, r))) => writeln!(
            out,
            "version    {}@{} (not in the store)",
            escape(n),
            escape(r)
        )?,
        (None, None) => writeln!(out, "version    unknown (the event names no bundle)")?,
    }
    writeln!(out, "outcome    {}", escape(&rec.outcome))?;
    for e in &doc.exceptions {
        writeln!(out, "{}", exception_line(e))?;
    }
    writeln!(
        out,
        "log        position {seq}, leaf hash {}",
        leaf.chars().take(16).collect::<String>()
    )?;
    writeln!(out, "\ninput:")?;
    for line in escape_multiline(&serde_json::to_string_pretty(rec.input())?).lines() {
        writeln!(out, "  {line}")?;
    }
    match rec.result() {
        Some(r) => {
            writeln!(out, "result:")?;
            for line in escape_multiline(&serde_json::to_string_pretty(r)?).lines() {
                writeln!(out, "  {line}")?;
            }
        }
        None => writeln!(out, "result: undefined")?,
    }
    match &doc.rule_outcomes {
        Some(rules) => {
            writeln!(out, "\ncited rules ({source}):")?;
            write!(out, "{}", rule_outcomes_table(rules, terminal_width()))?;
        }
        None => writeln!(out, "\ncited rules: {source}")?,
    }
    Ok(Status::Ok)
}

/// `exception  #3 open: BLOCK → APPROVE, owner R. Iyer, due in 47h 59m: reason`,
/// for the decision and replay views.
pub(crate) fn exception_line(e: &crate::exceptions::Exception) -> String {
    format!(
        "exception  #{} {} {}: {}, owner {}, {}: {}",
        e.row.id,
        e.state.glyph(),
        e.state.as_str(),
        escape(&e.override_label()),
        escape(&e.row.owner),
        e.timing,
        escape(&e.row.reason)
    )
}

/// Rule outcomes of an imported decision, by evaluating it again under its
/// own version (not stored: the log is append-only).
fn computed_rule_outcomes(
    store: &Store,
    v: &VersionRef,
    rec: &DecisionRecord,
) -> anyhow::Result<Vec<RuleOutcome>> {
    let version = PolicyVersion::load(store, v, crate::engine::DEFAULT_TIMEOUT)?;
    let now_ns = crate::replay::pinned_now(rec).unwrap_or_else(clock::wall_clock_ns);
    let entrypoint = crate::replay::entrypoint_of(rec);
    let eval = version.policy.evaluate(
        &version.rules,
        &EvalRequest {
            entrypoint: &entrypoint,
            input: rec.input(),
            extra_data: None,
            now_ns,
        },
    )?;
    Ok(eval.rule_outcomes)
}

fn export(ctx: &mut Ctx, f: &FilterArgs) -> anyhow::Result<Status> {
    if ctx.format == Format::Json {
        bail!("export writes JSONL; drop --format json");
    }
    let store = ctx.open_store_read_only()?;
    let filter = f.to_filter(&store)?;
    crate::decision_log::export_jsonl(&store, &filter, &mut *ctx.out)??;
    Ok(Status::Ok)
}
