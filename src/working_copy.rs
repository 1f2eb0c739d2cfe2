//! A bundle directory on disk opened as a draft (a working copy): read
//! exactly as an import would read it, evaluated, tested and diffed against
//! stored versions without being stored, and imported as a new version when
//! it is ready. It is read again from disk for every use, so edits made in
//! an editor beside the workbench are what the next evaluation sees.

use std::path::{Path, PathBuf};
use std::time::Duration;

use crate::bundle::{Bundle, Catalog};
use crate::diff::{Side, VersionDiff, diff_parts};
use crate::engine::{LoadOptions, LoadedPolicy};
use crate::error::{Error, Result};
use crate::import::{ImportOptions, ImportReport, import_bundle};
use crate::policy_version::PolicyVersion;
use crate::store::versions::version_order;
use crate::store::{Store, StoredRule, VersionRef, VersionSummary};

/// The version label of a working copy. Stored versions cannot contain a
/// space, so it never names one of them.
pub const DRAFT_VERSION: &str = "working copy";

/// Whether `v` names a working copy rather than a stored version.
pub fn is_draft(v: &VersionRef) -> bool {
    v.version == DRAFT_VERSION
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WorkingCopy {
    pub dir: PathBuf,
    /// The bundle's name, as an import would give it.
    pub name: String,
}

impl WorkingCopy {
    /// Opens `dir`: it must be a bundle directory Gavel can read.
    pub fn open(dir: &Path) -> Result<WorkingCopy> {
        if !dir.is_dir() {
            return Err(Error::Invalid(format!(
                "{}: not a directory (a working copy is a bundle directory)",
                dir.display()
            )));
        }
        let dir = std::fs::canonicalize(dir).map_err(|e| Error::io(dir, e))?;
        let bundle = Bundle::read_dir(&dir)?;
        if bundle.modules().next().is_none() {
            return Err(Error::Invalid(format!(
                "{}: no .rego files: not a bundle directory",
                dir.display()
            )));
        }
        let name = crate::import::resolve_name(&dir, &bundle)?;
        Ok(WorkingCopy { dir, name })
    }

    pub fn reference(&self) -> VersionRef {
        VersionRef {
            name: self.name.clone(),
            version: DRAFT_VERSION.to_string(),
        }
    }

    /// Reads the files as they are now and prepares them for evaluation.
    pub fn load(&self, timeout: Duration) -> Result<PolicyVersion> {
        let (bundle, rules, rego_v0) = self.read()?;
        let policy = LoadedPolicy::load(&bundle, LoadOptions { rego_v0, timeout })?;
        let summary = VersionSummary {
            id: 0,
            name: self.name.clone(),
            version: DRAFT_VERSION.to_string(),
            content_hash: bundle.content_hash(),
            imported_at: String::new(),
            files: bundle.files.len() as i64,
            rules: rules.len() as i64,
            rego_version: if rego_v0 { 0 } else { 1 },
            source_path: Some(self.dir.display().to_string()),
        };
        Ok(PolicyVersion::new(summary, bundle, rules, policy))
    }

    /// The files and rule catalog as they are on disk now.
    fn read(&self) -> Result<(Bundle, Vec<StoredRule>, bool)> {
        let bundle = Bundle::read_dir(&self.dir)?;
        let rego_v0 = bundle.is_rego_v0(false);
        let catalog = Catalog::build(&bundle, rego_v0).map_err(|e| self.located(e))?;
        let rules = catalog.policy_rules().map(StoredRule::from).collect();
        Ok((bundle, rules, rego_v0))
    }

    /// Bundle-relative locations become paths the user can open.
    fn located(&self, e: Error) -> Error {
        match e {
            Error::Input { location, message } => Error::Input {
                location: self.dir.join(location).display().to_string(),
                message,
            },
            other => other,
        }
    }

    /// Compares a stored version (before) with the working copy (after).
    pub fn diff_against(&self, store: &Store, from: &VersionRef) -> Result<VersionDiff> {
        let a = store.find_version(from)?;
        let (bundle_a, rules_a) = (store.bundle_of(a.id)?, store.rules_of(a.id)?);
        let (bundle_b, rules_b, _) = self.read()?;
        let to = Side {
            name: self.name.clone(),
            version: DRAFT_VERSION.to_string(),
            content_hash: bundle_b.content_hash(),
        };
        let mut d = diff_parts(
            Side {
                name: a.name.clone(),
                version: a.version.clone(),
                content_hash: a.content_hash.clone(),
            },
            to,
            (&bundle_a, &rules_a),
            (&bundle_b, &rules_b),
        );
        d.identical = a.content_hash == bundle_b.content_hash();
        Ok(d)
    }

    /// The version to offer when importing: the manifest's `revision` when
    /// no stored version has it, else the next patch of the newest stored
    /// version of this name, else 0.1.0.
    pub fn suggested_version(&self, store: &Store) -> String {
        let stored: Vec<String> = store
            .list_versions()
            .unwrap_or_default()
            .into_iter()
            .filter(|v| v.name == self.name)
            .map(|v| v.version)
            .collect();
        let revision = Bundle::read_dir(&self.dir)
            .ok()
            .and_then(|b| b.manifest.revision.clone())
            .filter(|r| !r.is_empty() && !stored.contains(r));
        if let Some(r) = revision {
            return r;
        }
        let newest = stored.iter().max_by(|a, b| version_order(a, b));
        match newest.and_then(|v| semver::Version::parse(v).ok()) {
            Some(mut v) => {
                v.patch += 1;
                v.pre = semver::Prerelease::EMPTY;
                v.build = semver::BuildMetadata::EMPTY;
                v.to_string()
            }
            None if newest.is_some() => format!("{}-1", newest.cloned().unwrap_or_default()),
            None => "0.1.0".to_string(),
        }
    }

    /// Stores the working copy as version `version` of its bundle, as
    /// `gavel import DIR --version V` would.
    pub fn import(&self, store: &mut Store, version: &str) -> Result<ImportReport> {
        import_bundle(
            store,
            &self.dir,
            &ImportOptions {
                name: Some(self.name.clone()),
                version: Some(version.trim().to_string()),
                ..ImportOptions::default()
            },
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_draft_label_never_names_a_stored_version() {
        let draft = VersionRef {
            name: "p".into(),
            version: DRAFT_VERSION.into(),
        };
        assert!(is_draft(&draft));
        assert!(crate::store::versions::check_name("version", DRAFT_VERSION).is_err());
    }
}
