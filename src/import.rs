//! Importing a bundle directory as an immutable policy version: read it,
//! catalog its rules, check that regorus loads it, then store it whole.

use std::path::Path;

use serde::Serialize;

use crate::bundle::{Bundle, Catalog};
use crate::engine::{LoadOptions, LoadedPolicy};
use crate::error::{Error, Result};
use crate::store::versions::{Stored, check_name};
use crate::store::{Store, VersionRef};

/// What the user may say about a bundle on import.
#[derive(Debug, Clone, Default)]
pub struct ImportOptions {
    pub name: Option<String>,
    pub version: Option<String>,
    pub v0_compatible: bool,
    /// `--capabilities FILE`: stored in the version as its capabilities.json.
    pub capabilities: Option<std::path::PathBuf>,
}

/// What an import did.
#[derive(Debug, Clone, Serialize)]
pub struct ImportReport {
    pub reference: VersionRef,
    pub content_hash: String,
    /// False when the same version with the same hash was already stored.
    pub stored: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub already_imported_at: Option<String>,
    pub files: usize,
    pub modules: usize,
    pub rules: usize,
    pub rules_with_citations: usize,
    pub entrypoints: Vec<String>,
    pub rego_version: u8,
    pub warnings: Vec<String>,
    /// Files in the directory that are not part of a bundle.
    pub ignored: Vec<String>,
}

/// Imports `dir`. Nothing is stored unless every module parses, every
/// METADATA block is valid and the engine accepts the whole version.
pub fn import_bundle(store: &mut Store, dir: &Path, opts: &ImportOptions) -> Result<ImportReport> {
    let mut bundle = Bundle::read_dir(dir)?;
    if let Some(file) = &opts.capabilities {
        crate::engine::capabilities::HostBuiltins::add_to(&mut bundle, file)?;
    }
    let reference = resolve_reference(dir, &bundle, opts)?;
    let rego_v0 = bundle.is_rego_v0(opts.v0_compatible);
    let catalog = Catalog::build(&bundle, rego_v0).map_err(|e| prefix_dir(dir, e))?;
    // Loads as an evaluation would, but for the data's values: an import
    // holds each data file's text and keys, not its parsed document.
    LoadedPolicy::check(&bundle, LoadOptions::new(rego_v0)).map_err(|e| prefix_dir(dir, e))?;
    let source = std::fs::canonicalize(dir).unwrap_or_else(|_| dir.to_path_buf());
    let stored = store.store_version(
        &reference,
        &bundle,
        &catalog,
        rego_v0,
        Some(&source.display().to_string()),
    )?;
    let policy_rules: Vec<_> = catalog.policy_rules().collect();
    Ok(ImportReport {
        content_hash: bundle.content_hash(),
        stored: stored == Stored::New,
        already_imported_at: match stored {
            Stored::AlreadyStored { imported_at } => Some(imported_at),
            Stored::New => None,
        },
        files: bundle.files.len(),
        modules: catalog.modules.len(),
        rules: policy_rules.len(),
        rules_with_citations: policy_rules
            .iter()
            .filter(|r| !r.citations().is_empty())
            .count(),
        entrypoints: catalog.entrypoints(),
        rego_version: if rego_v0 { 0 } else { 1 },
        warnings: bundle
            .notes
            .iter()
            .chain(&catalog.warnings)
            .map(|w| format!("{}/{w}", dir.display()))
            .collect(),
        ignored: bundle.ignored,
        reference,
    })
}

/// Name: `--name`, else the manifest's `metadata.name`, else the directory
/// (its parent when the directory itself is named like a version, as in
/// `sample-policies/gfr-procurement/1.0.0`). Version: `--version`, else the
/// manifest's `revision` (the VERSION of one Gavel exported), else a
/// semver-named directory.
fn resolve_reference(dir: &Path, bundle: &Bundle, opts: &ImportOptions) -> Result<VersionRef> {
    let name = match &opts.name {
        Some(n) => n.clone(),
        None => resolve_name(dir, bundle)?,
    };
    let (dir_name, dir_is_version) = dir_name(dir);
    let version = opts
        .version
        .clone()
        .or_else(|| {
            let r = bundle
                .manifest
                .revision
                .as_deref()
                .filter(|r| !r.is_empty())?;
            // A bundle Gavel exported names `NAME@VERSION sha256:...`.
            Some(
                crate::bundle::revision::parse(r).map_or_else(|| r.to_string(), |(v, _)| v.version),
            )
        })
        .or_else(|| dir_is_version.then_some(dir_name).flatten())
        .ok_or_else(|| {
            Error::Invalid(format!(
                "{}: no version: pass --version or set \"revision\" in .manifest",
                dir.display()
            ))
        })?;
    check_name("name", &name)?;
    check_name("version", &version)?;
    Ok(VersionRef { name, version })
}

/// The directory's own name, and whether it is named like a version.
fn dir_name(dir: &Path) -> (Option<String>, bool) {
    let canonical = std::fs::canonicalize(dir).unwrap_or_else(|_| dir.to_path_buf());
    let name = canonical
        .file_name()
        .map(|n| n.to_string_lossy().to_string());
    let is_version = name
        .as_deref()
        .is_some_and(|n| semver::Version::parse(n).is_ok());
    (name, is_version)
}

/// The name an import without `--name` gives a bundle: the manifest's
/// `metadata.name`, else the directory's name (its parent's when the
/// directory is named like a version).
pub fn resolve_name(dir: &Path, bundle: &Bundle) -> Result<String> {
    let (dir_name, dir_is_version) = dir_name(dir);
    bundle
        .manifest
        .name()
        .map(String::from)
        .or_else(|| {
            if dir_is_version {
                std::fs::canonicalize(dir)
                    .ok()?
                    .parent()
                    .and_then(|p| p.file_name())
                    .map(|n| n.to_string_lossy().to_string())
            } else {
                dir_name
            }
        })
        .ok_or_else(|| {
            Error::Invalid(format!(
                "{}: cannot tell the bundle's name: pass --name",
                dir.display()
            ))
        })
}

/// Bundle-relative locations become paths the user can open.
fn prefix_dir(dir: &Path, e: Error) -> Error {
    match e {
        Error::Input { location, message } => Error::Input {
            location: dir.join(location).display().to_string(),
            message,
        },
        other => other,
    }
}
