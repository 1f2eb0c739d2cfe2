//! The bundled samples (every regime of `sample-policies/` and its decision
//! log in `sample-decisions/`), embedded in the binary so `gavel demo` and
//! the workbench's first-run screen work from any directory.

use std::io::Cursor;
use std::path::{Path, PathBuf};

use include_dir::{Dir, include_dir};

use crate::decision_import::{ImportHooks, import_decisions};
use crate::error::{Error, Result};
use crate::import::{ImportOptions, import_bundle};
use crate::store::Store;
use crate::store::versions::version_order;

static POLICIES: Dir<'_> = include_dir!("$CARGO_MANIFEST_DIR/sample-policies");
static DECISIONS: Dir<'_> = include_dir!("$CARGO_MANIFEST_DIR/sample-decisions");

/// What seeding did.
#[derive(Debug, Clone, Default)]
pub struct SeedReport {
    pub versions_new: usize,
    pub versions_present: usize,
    pub decisions_new: u64,
    pub decisions_present: u64,
}

/// `NAME/VERSION` directories of the embedded samples, regimes by name and
/// versions in semver order.
pub fn sample_versions() -> Vec<(String, String)> {
    let mut out = Vec::new();
    for regime in POLICIES.dirs() {
        let name = file_name(regime.path());
        let mut versions: Vec<String> = regime.dirs().map(|d| file_name(d.path())).collect();
        versions.sort_by(|a, b| version_order(a, b));
        out.extend(versions.into_iter().map(|v| (name.clone(), v)));
    }
    out.sort_by(|a, b| a.0.cmp(&b.0).then_with(|| version_order(&a.1, &b.1)));
    out
}

/// Imports every sample version and decision log into `store`. Already
/// stored versions and decisions are left as they are, so seeding twice
/// changes nothing. `progress(step, steps, what)`.
pub fn seed(store: &mut Store, progress: &mut dyn FnMut(usize, usize, &str)) -> Result<SeedReport> {
    let versions = sample_versions();
    let logs: Vec<&include_dir::File> = DECISIONS
        .files()
        .filter(|f| f.path().extension().is_some_and(|e| e == "jsonl"))
        .collect();
    let steps = versions.len() + logs.len();
    let dir = scratch_dir()?;
    let result = (|| {
        POLICIES.extract(&dir).map_err(|e| {
            Error::Invalid(format!(
                "cannot unpack the samples in {}: {e}",
                dir.display()
            ))
        })?;
        let mut report = SeedReport::default();
        for (i, (name, version)) in versions.iter().enumerate() {
            progress(i, steps, &format!("{name}@{version}"));
            let r = import_bundle(
                store,
                &dir.join(name).join(version),
                &ImportOptions::default(),
            )?;
            if r.stored {
                report.versions_new += 1;
            } else {
                report.versions_present += 1;
            }
        }
        for (i, log) in logs.iter().enumerate() {
            let label = file_name(log.path());
            progress(versions.len() + i, steps, &label);
            let summary = import_decisions(
                store,
                Cursor::new(log.contents()),
                ImportHooks {
                    progress: &mut |_, _| {},
                    rejected: &mut |_| {},
                },
            )?;
            if summary.rejected > 0 {
                return Err(Error::Invalid(format!(
                    "sample decision log {label}: {} lines rejected",
                    summary.rejected
                )));
            }
            report.decisions_new += summary.imported;
            report.decisions_present += summary.identical;
        }
        progress(steps, steps, "done");
        Ok(report)
    })();
    let _ = std::fs::remove_dir_all(&dir);
    result
}

fn file_name(p: &Path) -> String {
    p.file_name()
        .map(|n| n.to_string_lossy().to_string())
        .unwrap_or_default()
}

fn scratch_dir() -> Result<PathBuf> {
    let dir = std::env::temp_dir().join(format!("gavel-samples-{}", uuid::Uuid::new_v4()));
    std::fs::create_dir_all(&dir)
        .map_err(|e| Error::Invalid(format!("cannot create {}: {e}", dir.display())))?;
    Ok(dir)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_regime_is_embedded_in_order() {
        let v = sample_versions();
        assert!(v.len() >= 10, "{v:?}");
        assert!(v.contains(&("gfr-procurement".into(), "1.0.0".into())));
        let gfr: Vec<_> = v.iter().filter(|(n, _)| n == "gfr-procurement").collect();
        assert!(
            gfr.windows(2)
                .all(|w| version_order(&w[0].1, &w[1].1).is_lt())
        );
    }
}
