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
                writeln!(ctx.out, "store DAMAGED: {}", escape(&why))?;
                writeln!(
                    ctx.out,
                    "nothing else could be read: restore the last backup (`gavel backup` makes one)"
                )?;
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
    match &report.broken {
        None => {
            writeln!(
                ctx.out,
                "log OK: {} decisions, root {} ({})",
                report.decisions,
                super::log::short_root(&report.root),
                escape(&report.origin)
            )?;
            if report.checkpoints_checked == 0 {
                writeln!(ctx.out, "checkpoints: none signed yet")?;
            } else {
                let signed = if report.signatures_checked {
                    "signatures checked"
                } else {
                    "signatures NOT checked: no log key here, pass --key FILE"
                };
                writeln!(
                    ctx.out,
                    "checkpoints OK: {} stored checkpoints match the log ({signed})",
                    report.checkpoints_checked
                )?;
            }
            if report.signed_size < report.decisions {
                writeln!(
                    ctx.out,
                    "note: decisions {} to {} are under no signed checkpoint yet (gavel checkpoint signs one)",
                    report.signed_size + 1,
                    report.decisions
                )?;
            }
            if let Some(size) = report.extends_kept {
                let proof = report
                    .consistency_proof
                    .as_ref()
                    .map(|p| format!("; consistency proof of {} hashes checked", p.len()))
                    .unwrap_or_default();
                writeln!(
                    ctx.out,
                    "kept checkpoint OK: the log extends it (size {size}, now {}{proof})",
                    report.decisions
                )?;
            }
        }
        Some(b) => writeln!(ctx.out, "log BROKEN: {}", escape(&b.describe()))?,
    }
    if report.integrity.is_empty() {
        writeln!(ctx.out, "store OK: SQLite integrity check passed")?;
    } else {
        for p in &report.integrity {
            writeln!(ctx.out, "store DAMAGED: {}", escape(p))?;
        }
    }
    if report.signoffs.is_empty() {
        writeln!(ctx.out, "sign-offs OK: every stored sign-off verifies")?;
    } else {
        for p in &report.signoffs {
            writeln!(ctx.out, "sign-off INVALID: {}", escape(p))?;
        }
    }
    if report.versions.is_empty() {
        writeln!(ctx.out, "versions OK: every stored file matches its hash")?;
    } else {
        for p in &report.versions {
            writeln!(ctx.out, "version CHANGED: {}", escape(p))?;
        }
    }
    if report.derived.is_empty() {
        writeln!(
            ctx.out,
            "rules OK: every stored rule, citation and module says what its version's source says"
        )?;
    } else {
        for p in &report.derived {
            writeln!(ctx.out, "rules NOT OK: {}", escape(p))?;
        }
    }
    if report.decision_versions.is_empty() {
        writeln!(
            ctx.out,
            "decisions' versions OK: every decision's version is in the store"
        )?;
    } else {
        for p in &report.decision_versions {
            writeln!(ctx.out, "decision's version GONE: {}", escape(p))?;
        }
    }
    Ok(())
}
