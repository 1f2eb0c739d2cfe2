//! `gavel eval NAME@VERSION [ENTRYPOINT] --input FILE|-`: one decision, with
//! the cited rules that decided it.

use std::time::Duration;

use serde::Serialize;

use super::output::{Format, rule_outcomes_table, short_hash, terminal_width, write_json};
use super::{Ctx, Status};
use crate::decide;
use crate::engine::{Evaluation, clock};
use crate::json_input::read_document;
use crate::policy_version::PolicyVersion;
use crate::sanitize::{escape, escape_multiline};
use crate::store::VersionRef;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// The version, as NAME@VERSION.
    version: String,
    /// The rule to query (default: the one marked `entrypoint: true`).
    entrypoint: Option<String>,
    /// The input document (JSON, or YAML for .yaml/.yml), or - for stdin.
    #[arg(long, short, value_name = "FILE")]
    input: String,
    /// Extra data merged over the version's data.
    #[arg(long, short, value_name = "FILE")]
    data: Option<String>,
    /// Store the decision (decision log format) so that replay can find it.
    #[arg(long)]
    record: bool,
    /// Exit 1 when the outcome is one of these (comma-separated), e.g. BLOCK,ESCALATE.
    #[arg(long, value_delimiter = ',', value_name = "OUTCOME,...")]
    fail_on: Vec<String>,
    /// Also show the lines that ran.
    #[arg(long)]
    explain: bool,
    /// Pin time.now_ns to this RFC 3339 time (default: now).
    #[arg(long, value_name = "TIME")]
    now: Option<String>,
    /// Evaluation time limit in seconds.
    #[arg(long, default_value_t = 5.0, value_name = "SECONDS")]
    timeout: f64,
    /// A builtin's error is the evaluation's error (default: the call is undefined, as `opa eval`).
    #[arg(long)]
    strict_builtin_errors: bool,
}

#[derive(Serialize)]
struct EvalDoc<'a> {
    version: VersionRef,
    content_hash: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    decision_id: Option<String>,
    timestamp: String,
    #[serde(flatten)]
    evaluation: &'a Evaluation,
}

pub fn run(ctx: &mut Ctx, args: Args) -> anyhow::Result<Status> {
    let reference = VersionRef::parse(&args.version)?;
    let now_ns = match &args.now {
        Some(t) => clock::parse_rfc3339_ns(t).ok_or_else(|| {
            anyhow::anyhow!("--now {t}: not an RFC 3339 time (e.g. 2026-11-22T10:00:00Z)")
        })?,
        None => clock::wall_clock_ns(),
    };
    let timeout = timeout(args.timeout)?;
    let input = read_document(&args.input)?;
    let extra = args.data.as_deref().map(read_document).transpose()?;
    let mut store = ctx.open_store()?;
    let mut version =
        PolicyVersion::load_reaching(&store, &reference, timeout, args.entrypoint.as_deref())?;
    version
        .policy
        .set_strict_builtin_errors(args.strict_builtin_errors);
    let eval = decide::evaluate(
        &version,
        args.entrypoint.as_deref(),
        &input,
        extra.as_ref(),
        now_ns,
    )?;
    let decision_id = if args.record {
        let id = decide::record(&mut store, &version, &eval, &input)?;
        super::log::notice_new_key(&store);
        Some(id)
    } else {
        None
    };
    let failed = args
        .fail_on
        .iter()
        .any(|o| o.trim().eq_ignore_ascii_case(&eval.outcome));
    if ctx.format == Format::Json {
        write_json(
            ctx.out,
            &EvalDoc {
                version: reference,
                content_hash: &version.summary.content_hash,
                decision_id,
                timestamp: clock::format_rfc3339_ns(now_ns),
                evaluation: &eval,
            },
        )?;
    } else {
        print_text(ctx, &version, &eval, decision_id.as_deref(), args.explain)?;
        if failed {
            writeln!(
                ctx.out,
                "\noutcome {} is in --fail-on: failing",
                escape(&eval.outcome)
            )?;
        }
    }
    Ok(if failed {
        Status::CheckFailed
    } else {
        Status::Ok
    })
}

/// Seconds as a Duration, refusing nonsense.
pub fn timeout(seconds: f64) -> anyhow::Result<Duration> {
    if !(seconds.is_finite() && seconds > 0.0 && seconds <= 86_400.0) {
        anyhow::bail!("--timeout {seconds}: give a number of seconds between 0 and 86400");
    }
    Ok(Duration::from_secs_f64(seconds))
}

fn print_text(
    ctx: &mut Ctx,
    version: &PolicyVersion,
    eval: &Evaluation,
    decision_id: Option<&str>,
    explain: bool,
) -> anyhow::Result<()> {
    let out = &mut *ctx.out;
    writeln!(
        out,
        "{}  {}  {}",
        escape(&version.reference().to_string()),
        short_hash(&version.summary.content_hash),
        escape(&eval.entrypoint)
    )?;
    writeln!(out, "outcome: {}", escape(&eval.outcome))?;
    if let Some(id) = decision_id {
        writeln!(out, "recorded: decision {id}")?;
    }
    match &eval.result {
        Some(result) => {
            let pretty = serde_json::to_string_pretty(result)?;
            writeln!(out, "result:")?;
            for line in escape_multiline(&pretty).lines() {
                writeln!(out, "  {line}")?;
            }
        }
        None => writeln!(out, "result: undefined")?,
    }
    let fired = eval.rule_outcomes.iter().filter(|r| r.fired).count();
    writeln!(out)?;
    writeln!(
        out,
        "cited rules: {fired} of {} produced a value for this input",
        eval.rule_outcomes.len()
    )?;
    if !eval.rule_outcomes.is_empty() {
        write!(
            out,
            "{}",
            rule_outcomes_table(&eval.rule_outcomes, terminal_width())
        )?;
    }
    if !eval.prints.is_empty() {
        writeln!(out, "\nprint output:")?;
        for p in &eval.prints {
            writeln!(out, "  {}", escape(p))?;
        }
    }
    if explain {
        writeln!(out, "\nlines that ran:")?;
        for (file, lines) in &eval.lines_ran {
            writeln!(out, "  {}: {}", escape(file), line_ranges(lines))?;
        }
    }
    Ok(())
}

/// `[1,2,3,5,7,8]` -> `1-3, 5, 7-8`.
pub fn line_ranges(lines: &[u32]) -> String {
    crate::explain::line_ranges(lines).join(", ")
}

#[cfg(test)]
mod tests {
    use super::line_ranges;

    #[test]
    fn ranges() {
        assert_eq!(line_ranges(&[1, 2, 3, 5, 7, 8]), "1-3, 5, 7-8");
        assert_eq!(line_ranges(&[]), "");
    }
}
