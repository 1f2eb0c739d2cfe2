//! `gavel import BUNDLE_DIR...`

use std::path::PathBuf;

use anyhow::bail;

use super::output::{Format, short_hash, write_json};
use super::{Ctx, Status, report_error};
use crate::import::{ImportOptions, import_bundle};
use crate::sanitize::escape;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Bundle directories (each a version: .rego files, data files, .manifest).
    #[arg(required = true, value_name = "BUNDLE_DIR")]
    dirs: Vec<PathBuf>,
    /// The bundle's name (default: the manifest's metadata.name, else the directory).
    #[arg(long)]
    name: Option<String>,
    /// The version (default: the manifest's revision, else a semver-named directory).
    #[arg(long)]
    version: Option<String>,
    /// Parse the modules as Rego v0 (as a manifest's "rego_version": 0 does).
    #[arg(long)]
    v0_compatible: bool,
    /// OPA capabilities JSON declaring the host builtins the modules call
    /// (stored in the version as capabilities.json).
    #[arg(long, value_name = "FILE")]
    capabilities: Option<PathBuf>,
}

pub fn run(ctx: &mut Ctx, args: Args) -> anyhow::Result<Status> {
    if args.dirs.len() > 1 && (args.name.is_some() || args.version.is_some()) {
        bail!("--name and --version apply to one bundle: import one directory at a time with them");
    }
    let mut store = ctx.open_store()?;
    let opts = ImportOptions {
        name: args.name,
        version: args.version,
        v0_compatible: args.v0_compatible,
        capabilities: args.capabilities,
    };
    let mut reports = Vec::new();
    let mut failed = false;
    for dir in &args.dirs {
        match import_bundle(&mut store, dir, &opts) {
            Ok(report) => {
                for w in &report.warnings {
                    eprintln!("warning: {}", escape(w));
                }
                if ctx.format == Format::Text {
                    let r = &report;
                    if r.stored {
                        writeln!(
                            ctx.out,
                            "imported {}  {}  ({} files, {} modules, {} rules, {} cited)",
                            escape(&r.reference.to_string()),
                            short_hash(&r.content_hash),
                            r.files,
                            r.modules,
                            r.rules,
                            r.rules_with_citations
                        )?;
                    } else {
                        writeln!(
                            ctx.out,
                            "{} is already stored with the same hash {} (imported {}): nothing changed",
                            escape(&r.reference.to_string()),
                            short_hash(&r.content_hash),
                            r.already_imported_at.as_deref().unwrap_or("?")
                        )?;
                    }
                }
                reports.push(report);
            }
            Err(crate::Error::Store(inner))
                if inner.sqlite_error_code() == Some(rusqlite::ErrorCode::DiskFull) =>
            {
                // Each version is one transaction: this one is not stored,
                // the ones before it are, and the rest are not tried.
                let done: Vec<String> = reports
                    .iter()
                    .map(|r: &crate::import::ImportReport| r.reference.to_string())
                    .collect();
                anyhow::bail!(
                    "{}: the disk is full; nothing of it was stored{}. Free some space and run the \
                     same import again: what is stored is skipped",
                    dir.display(),
                    if done.is_empty() {
                        String::new()
                    } else {
                        format!("; {} before it are stored", done.join(", "))
                    }
                );
            }
            Err(e) => {
                failed = true;
                report_error(&e);
            }
        }
    }
    if ctx.format == Format::Json {
        write_json(ctx.out, &reports)?;
    }
    Ok(if failed {
        Status::InputRejected
    } else {
        Status::Ok
    })
}
