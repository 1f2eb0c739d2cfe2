//! A stored version as an OPA bundle tarball (`.tar.gz`): its modules and
//! data files as stored, a `.manifest` whose `revision` names the version
//! and its content hash and whose `metadata.gavel` carries the
//! certification and its sign-offs, and (with a key) `.signatures.json` in
//! OPA's bundle-signing format. `gavel bundle export` and `gavel serve`
//! both call [`export_bundle`].

use std::collections::BTreeSet;

use serde_json::{Map, Value, json};
use sha2::{Digest, Sha256};

use super::signing::BundleSigner;
use super::{FileKind, revision};
use crate::certify::{Certification, Settings, Status, certification_of};
use crate::error::{Error, Result};
use crate::store::{Store, VersionRef, VersionSummary};

/// How to export.
pub struct ExportOptions<'a> {
    /// The certification settings: required roles and trusted signers.
    pub settings: &'a Settings,
    /// Signs the bundle; `None` writes it unsigned.
    pub signer: Option<&'a BundleSigner>,
    /// Export a draft or partly signed version (the manifest then says
    /// it is not certified); otherwise it is refused.
    pub allow_uncertified: bool,
    /// The JWT's `iat`, seconds since the epoch (the signing time).
    pub issued_at: i64,
}

/// An exported bundle.
#[derive(Debug, Clone)]
pub struct ExportedBundle {
    /// The `.tar.gz` bytes.
    pub bytes: Vec<u8>,
    /// The version exported.
    pub version: VersionRef,
    pub content_hash: String,
    /// The manifest's `revision` (see [`revision::format`]).
    pub revision: String,
    /// The certification when it was exported.
    pub status: Status,
    pub certification_label: String,
    /// A strong validator of what the bundle says, for an HTTP `ETag`
    /// (quote it): the SHA-256 of every file's signed hash, the manifest
    /// (certification included) and the key id and scope. It does not
    /// change with the signing time, so a poller sees `304` until the
    /// version's certification, the key or the files change.
    pub digest: String,
    /// The files in the tarball, in order (`.signatures.json` last when
    /// signed).
    pub files: Vec<String>,
    /// Stored files left out (tests, cases, capabilities): not part of an
    /// OPA bundle's decision logic.
    pub left_out: Vec<String>,
    /// `RS256` / `ES256` and the key id, when signed.
    pub signed: Option<(String, String)>,
}

/// The latest certified version of bundle `name` (semver order), if any.
pub fn latest_certified(
    store: &Store,
    settings: &Settings,
    name: &str,
) -> Result<Option<VersionSummary>> {
    let versions: Vec<VersionSummary> = store
        .list_versions()?
        .into_iter()
        .filter(|v| v.name == name)
        .collect();
    for v in versions.into_iter().rev() {
        if certification_of(store, &v, settings)?.status == Status::Certified {
            return Ok(Some(v));
        }
    }
    Ok(None)
}

/// Exports `name@version` from the store as an OPA bundle.
pub fn export_bundle(
    store: &Store,
    name: &str,
    version: &str,
    opts: &ExportOptions,
) -> Result<ExportedBundle> {
    let reference = VersionRef {
        name: name.to_string(),
        version: version.to_string(),
    };
    let v = store.find_version(&reference)?;
    let certification = certification_of(store, &v, opts.settings)?;
    let certified = certification.status == Status::Certified;
    if !certified && !opts.allow_uncertified {
        return Err(Error::Check(format!(
            "{reference} is {}: only a certified version is exported (--allow-uncertified \
             exports it anyway, marked as not certified in its .manifest)",
            certification.label()
        )));
    }
    let bundle = store.bundle_of(v.id)?;
    let packages = store.module_packages(v.id)?;

    // The files OPA loads: modules (not tests) and data, as stored.
    let mut files: Vec<(String, Vec<u8>)> = Vec::new();
    let mut left_out = Vec::new();
    let mut stored_manifest: Option<Map<String, Value>> = None;
    let mut data_roots: Vec<String> = Vec::new();
    for f in &bundle.files {
        match f.kind {
            FileKind::Manifest => {
                stored_manifest = match serde_json::from_str(&f.text) {
                    Ok(Value::Object(o)) => Some(o),
                    _ => {
                        return Err(Error::Invalid(format!(
                            "{reference}: its stored .manifest is not a JSON object"
                        )));
                    }
                };
            }
            FileKind::Module if !f.is_test_module() => {
                files.push((f.path.clone(), f.text.as_bytes().to_vec()))
            }
            FileKind::Data => {
                data_roots.extend(data_root(&reference, &f.path, &f.text)?);
                files.push((f.path.clone(), f.text.as_bytes().to_vec()));
            }
            _ => left_out.push(f.path.clone()),
        }
    }
    let mut manifest = stored_manifest.unwrap_or_default();
    let revision = revision::format(&reference, &v.content_hash);
    manifest.insert("revision".into(), Value::String(revision.clone()));
    if !manifest.contains_key("roots") {
        let mut roots: Vec<String> = packages
            .iter()
            .filter(|(file, _)| files.iter().any(|(p, _)| p == file))
            .map(|(_, package)| package_root(package))
            .chain(data_roots)
            .collect();
        roots.sort();
        roots.dedup();
        manifest.insert("roots".into(), json!(minimal_roots(roots)));
    }
    manifest.insert("rego_version".into(), json!(v.rego_version));
    let mut metadata = match manifest.remove("metadata") {
        Some(Value::Object(o)) => o,
        _ => Map::new(),
    };
    metadata.insert(
        "gavel".into(),
        gavel_metadata(&v, &certification, opts.allow_uncertified, &left_out),
    );
    manifest.insert("metadata".into(), Value::Object(metadata));
    let manifest_text = format!(
        "{}\n",
        serde_json::to_string_pretty(&Value::Object(manifest))
            .map_err(|e| Error::Invalid(format!("{reference}: the manifest as JSON: {e}")))?
    );
    files.push((".manifest".into(), manifest_text.into_bytes()));

    // The digest: what OPA would verify, minus the signing time.
    let mut digest = Sha256::new();
    for (name, bytes) in &files {
        digest.update(name.as_bytes());
        digest.update([0]);
        digest.update(super::signing::file_hash(name, bytes)?.as_bytes());
        digest.update(b"\n");
    }
    if let Some(s) = opts.signer {
        digest.update(
            format!(
                "signed {} {} {}\n",
                s.key.alg(),
                s.keyid,
                s.scope.as_deref().unwrap_or("")
            )
            .as_bytes(),
        );
    }
    let digest = format!("sha256:{}", hex::encode(digest.finalize()));

    if let Some(s) = opts.signer {
        let sig = s.signatures_json(&files, opts.issued_at)?;
        files.push((".signatures.json".into(), sig.into_bytes()));
    }
    let mtime = crate::certify::parse_time("imported_at", &v.imported_at)
        .map(|t| u64::try_from(t.timestamp()).unwrap_or(0))
        .unwrap_or(0);
    let bytes = tar_gz(&files, mtime)
        .map_err(|e| Error::Invalid(format!("{reference}: writing the tarball: {e}")))?;
    Ok(ExportedBundle {
        bytes,
        version: reference,
        content_hash: v.content_hash.clone(),
        revision,
        status: certification.status,
        certification_label: certification.label(),
        digest,
        files: files.into_iter().map(|(n, _)| n).collect(),
        left_out,
        signed: opts
            .signer
            .map(|s| (s.key.alg().to_string(), s.keyid.clone())),
    })
}

/// `metadata.gavel`: the version, its certification and every sign-off
/// with what verifies it (payload, key, SSH signature).
fn gavel_metadata(
    v: &VersionSummary,
    c: &Certification,
    allow_uncertified: bool,
    left_out: &[String],
) -> Value {
    let certified_at = certified_at(c);
    let signoffs: Vec<Value> = c
        .signoffs
        .iter()
        .map(|s| {
            json!({
                "role": s.row.role,
                "signer": s.row.signer,
                "signed_at": s.row.signed_at,
                "statement": s.row.statement,
                "valid": s.valid,
                "problems": s.problems,
                "key_fingerprint": s.key_fingerprint,
                "public_key": s.row.public_key,
                "payload": s.row.payload,
                "signature": s.row.signature,
            })
        })
        .collect();
    let mut certification = json!({
        "status": c.status,
        "certified": c.status == Status::Certified,
        "label": c.label(),
        "required_roles": c.required_roles,
        "signed_roles": c.signed_roles,
        "missing_roles": c.missing_roles,
        "certified_at": certified_at,
    });
    if c.status != Status::Certified {
        certification["exported_uncertified"] = json!(allow_uncertified);
        certification["warning"] = json!(format!(
            "NOT CERTIFIED: {}; exported with --allow-uncertified",
            c.label()
        ));
    }
    json!({
        "name": v.name,
        "version": v.version,
        "content_hash": v.content_hash,
        "certification": certification,
        "signoffs": signoffs,
        "left_out": left_out,
    })
}

/// When a certified version became certified: the time its last required
/// role was first validly signed.
pub fn certified_at(c: &Certification) -> Option<String> {
    if c.status != Status::Certified {
        return None;
    }
    c.required_roles
        .iter()
        .map(|role| {
            c.signoffs
                .iter()
                .filter(|s| s.valid && &s.row.role == role)
                .map(|s| s.row.signed_at.clone())
                .min()
        })
        .collect::<Option<Vec<String>>>()?
        .into_iter()
        .max()
}

/// The data root of a package: `a.b["c-d"]` -> `a/b/c-d`.
pub fn package_root(package: &str) -> String {
    let p = package.strip_prefix("data.").unwrap_or(package);
    let mut parts = Vec::new();
    let mut rest = p;
    while !rest.is_empty() {
        if let Some(r) = rest.strip_prefix('[') {
            let end = r.find(']').unwrap_or(r.len());
            parts.push(r[..end].trim_matches('"').to_string());
            rest = r.get(end + 1..).unwrap_or("");
        } else {
            let end = rest.find(['.', '[']).unwrap_or(rest.len());
            if end > 0 {
                parts.push(rest[..end].to_string());
            }
            rest = &rest[end..];
        }
        rest = rest.strip_prefix('.').unwrap_or(rest);
    }
    parts.join("/")
}

/// The roots a data file needs: its directory, or at the bundle's root
/// the top-level keys of its object.
fn data_root(reference: &VersionRef, path: &str, text: &str) -> Result<Vec<String>> {
    if let Some((dir, _)) = path.rsplit_once('/') {
        return Ok(vec![dir.to_string()]);
    }
    let value: Value = if path.ends_with(".json") {
        serde_json::from_str(text.trim_start_matches('\u{feff}'))
            .map_err(|e| Error::Invalid(format!("{reference}: {path}: not JSON: {e}")))?
    } else {
        let y: yaml_serde::Value = yaml_serde::from_str(text)
            .map_err(|e| Error::Invalid(format!("{reference}: {path}: not YAML: {e}")))?;
        serde_json::to_value(y).unwrap_or(Value::Null)
    };
    Ok(match value {
        Value::Object(o) => o.keys().cloned().collect(),
        // Anything else replaces the whole data tree.
        _ => vec![String::new()],
    })
}

/// Roots with none under another (OPA refuses overlapping roots).
fn minimal_roots(roots: Vec<String>) -> Vec<String> {
    let set: BTreeSet<String> = roots.into_iter().collect();
    let under = |r: &str, other: &str| other.is_empty() || r.starts_with(&format!("{other}/"));
    set.iter()
        .filter(|r| !set.iter().any(|o| o != *r && under(r, o)))
        .cloned()
        .collect()
}

/// The files as a gzip-compressed tar (ustar, mode 0644, the given mtime).
fn tar_gz(files: &[(String, Vec<u8>)], mtime: u64) -> std::io::Result<Vec<u8>> {
    let gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    let mut tar = tar::Builder::new(gz);
    tar.mode(tar::HeaderMode::Deterministic);
    for (name, bytes) in files {
        let mut header = tar::Header::new_ustar();
        header.set_size(bytes.len() as u64);
        header.set_mode(0o644);
        header.set_mtime(mtime);
        header.set_entry_type(tar::EntryType::Regular);
        tar.append_data(&mut header, name, bytes.as_slice())?;
    }
    tar.into_inner()?.finish()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roots_of_packages() {
        assert_eq!(package_root("gfr.procurement"), "gfr/procurement");
        assert_eq!(package_root("data.a.b"), "a/b");
        assert_eq!(package_root(r#"a["b-c"].d"#), "a/b-c/d");
        assert_eq!(
            minimal_roots(vec!["a/b".into(), "a".into(), "ab".into(), "c/d".into()]),
            vec!["a", "ab", "c/d"]
        );
        assert_eq!(minimal_roots(vec!["a".into(), "".into()]), vec![""]);
    }
}
