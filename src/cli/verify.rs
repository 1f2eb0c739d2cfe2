//! `gavel verify` (the store: SQLite's integrity, every version's hash, the
//! decision chain) and `gavel backup FILE`.

use std::path::PathBuf;

use super::output::{Format, write_json};
use super::{Ctx, Status};
use crate::sanitize::escape;
use crate::store::Store;
use crate::verify::{ChainReport, verify_store};

pub fn run(ctx: &mut Ctx) -> anyhow::Result<Status> {
    let store = ctx.open_store()?;
    let report = verify_store(&store)?;
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
    let store = ctx.open_store()?;
    store.backup_to(&args.file)?;
    let copy = Store::open(&args.file)?;
    let report = verify_store(&copy)?;
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

fn print(ctx: &mut Ctx, report: &ChainReport) -> anyhow::Result<()> {
    if ctx.format == Format::Json {
        return write_json(ctx.out, report);
    }
    let head = if report.head.is_empty() {
        "(empty)"
    } else {
        report.head.get(..16).unwrap_or(&report.head)
    };
    match &report.broken {
        None => writeln!(
            ctx.out,
            "chain OK: {} decisions, head {head}",
            report.decisions
        )?,
        Some(b) => writeln!(ctx.out, "chain BROKEN: {}", b.describe())?,
    }
    if report.integrity.is_empty() {
        writeln!(ctx.out, "store OK: SQLite integrity check passed")?;
    } else {
        for p in &report.integrity {
            writeln!(ctx.out, "store DAMAGED: {}", escape(p))?;
        }
    }
    if report.versions.is_empty() {
        writeln!(ctx.out, "versions OK: every stored file matches its hash")?;
    } else {
        for p in &report.versions {
            writeln!(ctx.out, "version CHANGED: {}", escape(p))?;
        }
    }
    Ok(())
}
