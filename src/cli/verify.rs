//! `gavel verify` (the store: SQLite's integrity, every version's hash and
//! the rows derived from its source, every decision's version, the decision
//! log against its signed checkpoints and one kept elsewhere) and `gavel
//! backup FILE`.

use std::path::PathBuf;

use super::output::{Format, write_json};
use super::{Ctx, Status};
use crate::sanitize::escape;
use crate::store::Store;
use crate::verify::{LogReport, VerifyOptions, verify_store};

#[derive(Debug, clap::Args)]
pub struct VerifyArgs {
    /// A signed checkpoint kept outside the store (`gavel checkpoint --out`):
    /// the log must extend it.
    #[arg(long, value_name = "FILE")]
    checkpoint: Option<PathBuf>,
    /// The log's verifier key (default: the local log key's).
    #[arg(long, value_name = "FILE")]
    key: Option<PathBuf>,
}

pub fn run(ctx: &mut Ctx, args: VerifyArgs) -> anyhow::Result<Status> {
    let store = match ctx.open_store_read_only() {
        Ok(store) => store,
        // A file SQLite cannot read at all is the check's answer, not an
        // error in using it.
        Err(crate::Error::Damaged(why)) => {
            if ctx.format == Format::Json {
                write_json(ctx.out, &serde_json::json!({"ok": false, "damaged": why}))?;
            } else {
                for line in crate::verify::unreadable_lines(&why) {
                    writeln!(ctx.out, "{}", escape(&line))?;
                }
            }
            return Ok(Status::CheckFailed);
        }
        Err(e) => return Err(e.into()),
    };
    let verifier = super::log::verifier(args.key.as_deref())?;
    let kept = match &args.checkpoint {
        Some(file) => {
            let Some(v) = &verifier else {
                anyhow::bail!(
                    "no key to check {}'s signature: pass --key FILE (the log's verifier key)",
                    file.display()
                );
            };
            Some(super::log::read_kept(file, v)?)
        }
        None => None,
    };
    let report = verify_store(
        &store,
        &VerifyOptions {
            verifier,
            kept,
            settings: ctx.settings()?,
        },
    )?;
    print(ctx, &report)?;
    Ok(if report.ok() {
        Status::Ok
    } else {
        Status::CheckFailed
    })
}

#[derive(Debug, clap::Args)]
pub struct BackupArgs {
    /// The copy to write (must not exist yet).
    file: PathBuf,
}

/// Writes a consistent online copy, then verifies the copy.
pub fn backup(ctx: &mut Ctx, args: BackupArgs) -> anyhow::Result<Status> {
    let store = ctx.open_store_read_only()?;
    store.backup_to(&args.file)?;
    let copy = Store::open(&args.file)?;
    let options = VerifyOptions {
        verifier: super::log::verifier(None)?,
        kept: None,
        settings: ctx.settings()?,
    };
    let report = verify_store(&copy, &options)?;
    if ctx.format == Format::Text {
        writeln!(
            ctx.out,
            "backup written to {}",
            escape(&args.file.display().to_string())
        )?;
    }
    print(ctx, &report)?;
    Ok(if report.ok() {
        Status::Ok
    } else {
        Status::CheckFailed
    })
}

fn print(ctx: &mut Ctx, report: &LogReport) -> anyhow::Result<()> {
    if ctx.format == Format::Json {
        return write_json(ctx.out, report);
    }
    for line in crate::verify::report_lines(report) {
        writeln!(ctx.out, "{}", escape(&line))?;
    }
    Ok(())
}
