//! `gavel demo`: seeds a store with the bundled samples (embedded in the
//! binary, so it works from any directory) and opens the workbench on it.

use std::path::PathBuf;

use crate::store::Store;

use super::Status;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Seed the store and stop, without opening the workbench (for scripts).
    #[arg(long)]
    pub no_tui: bool,
}

/// The demo store: `--db`, else the platform data dir's `gavel/demo.db`.
fn demo_path(db: &Option<PathBuf>) -> anyhow::Result<PathBuf> {
    if let Some(p) = db {
        return Ok(p.clone());
    }
    let default = Store::default_path()?;
    Ok(default.with_file_name("demo.db"))
}

pub fn run(
    db: &Option<PathBuf>,
    args: Args,
    workbench: crate::tui::Options,
) -> anyhow::Result<Status> {
    let path = demo_path(db)?;
    if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
        std::fs::create_dir_all(parent)?;
    }
    let mut store = Store::open(&path)?;
    store.use_default_log_key();
    eprintln!(
        "gavel demo: seeding {} with the bundled samples",
        path.display()
    );
    let report = crate::samples::seed(&mut store, &mut |step, steps, what| {
        if step < steps {
            eprintln!("  [{}/{steps}] {what}", step + 1);
        }
    })?;
    eprintln!(
        "gavel demo: {} versions ({} new), {} decisions ({} new)",
        report.versions_new + report.versions_present,
        report.versions_new,
        report.decisions_new + report.decisions_present,
        report.decisions_new
    );
    super::log::notice_new_key(&store);
    // Every other command reads the default store unless told: say how to
    // reach this one, so the demo's work does not seem to disappear.
    eprintln!(
        "gavel demo: other commands read this store with --db {0} (or export GAVEL_DB={0})",
        path.display()
    );
    drop(store);
    if args.no_tui {
        return Ok(Status::Ok);
    }
    crate::tui::run(&crate::tui::Options {
        db: path,
        ..workbench
    })?;
    Ok(Status::Ok)
}
