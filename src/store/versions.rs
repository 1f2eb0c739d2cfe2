//! Bundles, policy versions, their files, modules, rules and citations.

use std::fmt;

use rusqlite::types::Value;
use rusqlite::{OptionalExtension, params, params_from_iter};
use serde::Serialize;

use super::Store;
use crate::bundle::{Annotation, Bundle, Catalog, Citation, ModuleInfo, RuleInfo, RuleKind};
use crate::error::{Error, Result};

/// `NAME@VERSION`, as the user writes it.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
pub struct VersionRef {
    pub name: String,
    pub version: String,
}

impl VersionRef {
    pub fn parse(s: &str) -> Result<VersionRef> {
        let (name, version) = s.split_once('@').ok_or_else(|| {
            Error::Invalid(format!(
                "'{s}': expected NAME@VERSION, e.g. gfr-procurement@1.0.0"
            ))
        })?;
        check_name("name", name)?;
        check_name("version", version)?;
        Ok(VersionRef {
            name: name.to_string(),
            version: version.to_string(),
        })
    }
}

impl fmt::Display for VersionRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}@{}", self.name, self.version)
    }
}

/// Names and versions: non-empty, printable, no `@`, no whitespace.
pub fn check_name(what: &str, s: &str) -> Result<()> {
    if s.is_empty() {
        return Err(Error::Invalid(format!("empty bundle {what}")));
    }
    if let Some(c) = s
        .chars()
        .find(|c| c.is_whitespace() || c.is_control() || *c == '@' || *c == '/')
    {
        return Err(Error::Invalid(format!(
            "bundle {what} '{}' may not contain {:?}",
            s.escape_debug(),
            c
        )));
    }
    Ok(())
}

/// A stored version, as `gavel versions` lists it.
#[derive(Debug, Clone, Serialize)]
pub struct VersionSummary {
    #[serde(skip)]
    pub id: i64,
    pub name: String,
    pub version: String,
    pub content_hash: String,
    pub imported_at: String,
    pub files: i64,
    pub rules: i64,
    pub rego_version: u8,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub source_path: Option<String>,
}

impl VersionSummary {
    pub fn reference(&self) -> VersionRef {
        VersionRef {
            name: self.name.clone(),
            version: self.version.clone(),
        }
    }
}

/// A rule read back from the store.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct StoredRule {
    pub package: String,
    pub name: String,
    pub kind: RuleKind,
    pub file: String,
    pub line_start: u32,
    pub line_end: u32,
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub entrypoint: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub severity: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub value: Option<String>,
    pub citations: Vec<Citation>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub annotation: Option<Annotation>,
}

impl From<&RuleInfo> for StoredRule {
    fn from(r: &RuleInfo) -> StoredRule {
        let a = r.annotation.as_ref();
        StoredRule {
            package: r.package.clone(),
            name: r.name.clone(),
            kind: r.kind,
            file: r.file.clone(),
            line_start: r.line_start,
            line_end: r.line_end,
            entrypoint: r.is_entrypoint(),
            title: a.and_then(|a| a.title.clone()),
            description: a.and_then(|a| a.description.clone()),
            severity: a.and_then(|a| a.severity().map(String::from)),
            value: r.value.clone(),
            citations: r.citations().to_vec(),
            annotation: r.annotation.clone(),
        }
    }
}

impl StoredRule {
    pub fn path(&self) -> String {
        format!(
            "{}/{}",
            self.package.replace('.', "/"),
            self.name.replace('.', "/")
        )
    }
}

/// What storing a version did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Stored {
    /// A new version row.
    New,
    /// The same name, version and hash were already there: nothing changed.
    AlreadyStored { imported_at: String },
}

impl Store {
    /// Stores a bundle as `reference`, in one transaction. The same hash
    /// again is a no-op; a different hash under the same name and version is
    /// refused, naming both hashes, and nothing changes.
    pub fn store_version(
        &mut self,
        reference: &VersionRef,
        bundle: &Bundle,
        catalog: &Catalog,
        rego_v0: bool,
        source_path: Option<&str>,
    ) -> Result<Stored> {
        let hash = bundle.content_hash();
        let now = self.now_stamp();
        let tx = self
            .conn_mut()
            .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
        let existing: Option<(String, String)> = tx
            .query_row(
                "SELECT v.content_hash, v.imported_at FROM versions v JOIN bundles b ON b.id = v.bundle_id
                 WHERE b.name = ?1 AND v.version = ?2",
                params![reference.name, reference.version],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .optional()?;
        if let Some((stored_hash, imported_at)) = existing {
            if stored_hash == hash {
                return Ok(Stored::AlreadyStored { imported_at });
            }
            return Err(Error::Conflict(format!(
                "{reference} is already stored with hash {stored_hash}; this bundle hashes to {hash}. \
                 Versions are immutable: import it under a new version (--version)"
            )));
        }
        tx.execute(
            "INSERT INTO bundles (name, created_at) VALUES (?1, ?2) ON CONFLICT(name) DO NOTHING",
            params![reference.name, now],
        )?;
        let bundle_id: i64 = tx.query_row(
            "SELECT id FROM bundles WHERE name = ?1",
            params![reference.name],
            |r| r.get(0),
        )?;
        let manifest =
            serde_json::to_string(&bundle.manifest).map_err(|e| Error::Engine(e.to_string()))?;
        tx.execute(
            "INSERT INTO versions (bundle_id, version, content_hash, rego_v0, manifest, source_path, imported_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
            params![bundle_id, reference.version, hash, rego_v0, manifest, source_path, now],
        )?;
        let version_id = tx.last_insert_rowid();
        {
            let mut blob = tx.prepare_cached(
                "INSERT INTO blobs (sha256, text) VALUES (?1, ?2) ON CONFLICT DO NOTHING",
            )?;
            let mut file = tx.prepare_cached(
                "INSERT INTO files (version_id, path, kind, sha256) VALUES (?1, ?2, ?3, ?4)",
            )?;
            for f in &bundle.files {
                blob.execute(params![f.sha256, f.text])?;
                file.execute(params![version_id, f.path, f.kind.as_str(), f.sha256])?;
            }
            let mut module = tx.prepare_cached(&insert_sql("modules", &MODULE_COLUMNS))?;
            for m in &catalog.modules {
                module.execute(params_from_iter(
                    std::iter::once(Value::Integer(version_id)).chain(module_row(m)),
                ))?;
            }
            let mut rule = tx.prepare_cached(&insert_sql("rules", &RULE_COLUMNS))?;
            let mut citation = tx.prepare_cached(
                "INSERT INTO citations (rule_id, seq, regulation, clause) VALUES (?1, ?2, ?3, ?4)",
            )?;
            for r in &catalog.rules {
                rule.execute(params_from_iter(
                    std::iter::once(Value::Integer(version_id)).chain(rule_row(r)),
                ))?;
                let rule_id = tx.last_insert_rowid();
                for (seq, c) in (0_i64..).zip(r.citations()) {
                    citation.execute(params![rule_id, seq, c.regulation, c.clause])?;
                }
            }
        }
        tx.commit()?;
        Ok(Stored::New)
    }

    /// Every stored version, by name then version (semver order where the
    /// versions are semver).
    pub fn list_versions(&self) -> Result<Vec<VersionSummary>> {
        let mut stmt = self.conn().prepare(
            "SELECT v.id, b.name, v.version, v.content_hash, v.imported_at, v.rego_v0, v.source_path,
                    (SELECT count(*) FROM files f WHERE f.version_id = v.id),
                    (SELECT count(*) FROM rules r WHERE r.version_id = v.id AND r.is_test = 0)
             FROM versions v JOIN bundles b ON b.id = v.bundle_id",
        )?;
        let mut out: Vec<VersionSummary> = stmt
            .query_map([], |r| {
                Ok(VersionSummary {
                    id: r.get(0)?,
                    name: r.get(1)?,
                    version: r.get(2)?,
                    content_hash: r.get(3)?,
                    imported_at: r.get(4)?,
                    rego_version: if r.get::<_, bool>(5)? { 0 } else { 1 },
                    source_path: r.get(6)?,
                    files: r.get(7)?,
                    rules: r.get(8)?,
                })
            })?
            .collect::<rusqlite::Result<_>>()?;
        out.sort_by(|a, b| {
            a.name
                .cmp(&b.name)
                .then_with(|| version_order(&a.version, &b.version))
        });
        Ok(out)
    }

    /// The stored version `reference`, or a not-found error that lists the
    /// versions there are of that name.
    pub fn find_version(&self, reference: &VersionRef) -> Result<VersionSummary> {
        let all = self.list_versions()?;
        if let Some(v) = all
            .iter()
            .find(|v| v.name == reference.name && v.version == reference.version)
        {
            return Ok(v.clone());
        }
        let same_name: Vec<&str> = all
            .iter()
            .filter(|v| v.name == reference.name)
            .map(|v| v.version.as_str())
            .collect();
        Err(Error::NotFound(if same_name.is_empty() {
            format!(
                "{reference}: no bundle named '{}' in the store (see `gavel versions`)",
                reference.name
            )
        } else {
            format!(
                "{reference}: not in the store; stored versions of {}: {}",
                reference.name,
                same_name.join(", ")
            )
        }))
    }

    /// The rules of a version in file order, with their citations.
    pub fn rules_of(&self, version_id: i64) -> Result<Vec<StoredRule>> {
        let mut cites = self.conn().prepare_cached(
            "SELECT regulation, clause FROM citations WHERE rule_id = ?1 ORDER BY seq",
        )?;
        let mut stmt = self.conn().prepare_cached(
            "SELECT id, package, name, kind, file, line_start, line_end, entrypoint, title, description, severity,
                    value, annotation
             FROM rules WHERE version_id = ?1 AND is_test = 0 ORDER BY file, line_start",
        )?;
        let rows = stmt.query_map(params![version_id], |r| {
            let kind: String = r.get(3)?;
            let annotation: Option<String> = r.get(12)?;
            Ok((
                r.get::<_, i64>(0)?,
                StoredRule {
                    package: r.get(1)?,
                    name: r.get(2)?,
                    kind: RuleKind::parse(&kind).unwrap_or(RuleKind::Complete),
                    file: r.get(4)?,
                    line_start: r.get(5)?,
                    line_end: r.get(6)?,
                    entrypoint: r.get(7)?,
                    title: r.get(8)?,
                    description: r.get(9)?,
                    severity: r.get(10)?,
                    value: r.get(11)?,
                    citations: Vec::new(),
                    annotation: annotation.and_then(|a| serde_json::from_str(&a).ok()),
                },
            ))
        })?;
        let mut out = Vec::new();
        for row in rows {
            let (id, mut rule) = row?;
            rule.citations = cites
                .query_map(params![id], |r| {
                    Ok(Citation {
                        regulation: r.get(0)?,
                        clause: r.get(1)?,
                    })
                })?
                .collect::<rusqlite::Result<_>>()?;
            out.push(rule);
        }
        Ok(out)
    }

    /// The stored files of a version, rebuilt as a bundle.
    pub fn bundle_of(&self, version_id: i64) -> Result<Bundle> {
        let mut stmt = self.conn().prepare_cached(
            "SELECT f.path, b.text FROM files f JOIN blobs b ON b.sha256 = f.sha256
             WHERE f.version_id = ?1 ORDER BY f.path",
        )?;
        let texts: Vec<(String, String)> = stmt
            .query_map(params![version_id], |r| Ok((r.get(0)?, r.get(1)?)))?
            .collect::<rusqlite::Result<_>>()?;
        Bundle::from_texts(texts)
    }

    /// Every module of a version with its package: (file, package).
    pub fn module_packages(&self, version_id: i64) -> Result<Vec<(String, String)>> {
        let mut stmt = self.conn().prepare_cached(
            "SELECT file, package FROM modules WHERE version_id = ?1 ORDER BY file",
        )?;
        let rows = stmt
            .query_map(params![version_id], |r| Ok((r.get(0)?, r.get(1)?)))?
            .collect::<rusqlite::Result<_>>()?;
        Ok(rows)
    }

    /// Package-scope titles of a version's modules, by package.
    pub fn package_titles(&self, version_id: i64) -> Result<Vec<(String, String)>> {
        let mut stmt = self.conn().prepare_cached(
            "SELECT package, title FROM modules WHERE version_id = ?1 AND title IS NOT NULL ORDER BY file",
        )?;
        let rows = stmt
            .query_map(params![version_id], |r| Ok((r.get(0)?, r.get(1)?)))?
            .collect::<rusqlite::Result<_>>()?;
        Ok(rows)
    }
}

/// The columns of a `rules` row that import derives from the source, in
/// table order (after `id` and `version_id`). `rule_row` gives their values;
/// import writes them and the derived-rows check (`crate::derived_check`)
/// reads them back by these names, so the two cannot disagree.
pub const RULE_COLUMNS: [&str; 13] = [
    "package",
    "name",
    "kind",
    "file",
    "line_start",
    "line_end",
    "is_test",
    "entrypoint",
    "title",
    "description",
    "severity",
    "value",
    "annotation",
];

/// The values of a rule's `rules` row, column by column of `RULE_COLUMNS`.
pub fn rule_row(r: &RuleInfo) -> [Value; 13] {
    let a = r.annotation.as_ref();
    [
        text(&r.package),
        text(&r.name),
        text(r.kind.as_str()),
        text(&r.file),
        Value::Integer(i64::from(r.line_start)),
        Value::Integer(i64::from(r.line_end)),
        Value::Integer(i64::from(!r.is_policy())),
        Value::Integer(i64::from(r.is_entrypoint())),
        optional(a.and_then(|a| a.title.as_deref())),
        optional(a.and_then(|a| a.description.as_deref())),
        optional(a.and_then(|a| a.severity())),
        optional(r.value.as_deref()),
        optional(to_json(&r.annotation).as_deref()),
    ]
}

/// The columns of a `modules` row (after `version_id`), as `RULE_COLUMNS`.
pub const MODULE_COLUMNS: [&str; 5] = ["file", "package", "is_test", "title", "annotation"];

/// The values of a module's `modules` row, column by column of
/// `MODULE_COLUMNS`.
pub fn module_row(m: &ModuleInfo) -> [Value; 5] {
    [
        text(&m.file),
        text(&m.package),
        Value::Integer(i64::from(m.is_test)),
        optional(m.annotation.as_ref().and_then(|a| a.title.as_deref())),
        optional(to_json(&m.annotation).as_deref()),
    ]
}

/// `INSERT INTO table (version_id, columns...) VALUES (?1, ?2, ...)`.
fn insert_sql(table: &str, columns: &[&str]) -> String {
    let marks: Vec<String> = (1..=columns.len() + 1).map(|i| format!("?{i}")).collect();
    format!(
        "INSERT INTO {table} (version_id, {}) VALUES ({})",
        columns.join(", "),
        marks.join(", ")
    )
}

fn text(s: &str) -> Value {
    Value::Text(s.to_string())
}

fn optional(s: Option<&str>) -> Value {
    s.map_or(Value::Null, text)
}

fn to_json<T: Serialize>(v: &Option<T>) -> Option<String> {
    v.as_ref().and_then(|v| serde_json::to_string(v).ok())
}

/// Semver versions first in semver order, then the others in text order: a
/// total order, as sorting needs.
pub fn version_order(a: &str, b: &str) -> std::cmp::Ordering {
    let key = |s: &str| (semver::Version::parse(s).ok(), s.to_string());
    let (ka, kb) = (key(a), key(b));
    match (&ka.0, &kb.0) {
        (Some(x), Some(y)) => x.cmp(y).then_with(|| ka.1.cmp(&kb.1)),
        (Some(_), None) => std::cmp::Ordering::Less,
        (None, Some(_)) => std::cmp::Ordering::Greater,
        (None, None) => ka.1.cmp(&kb.1),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn version_refs() {
        let r = VersionRef::parse("gfr-procurement@1.0.0").unwrap();
        assert_eq!(
            (r.name.as_str(), r.version.as_str()),
            ("gfr-procurement", "1.0.0")
        );
        assert_eq!(r.to_string(), "gfr-procurement@1.0.0");
        assert!(VersionRef::parse("nover").is_err());
        assert!(VersionRef::parse("@1").is_err());
        assert!(VersionRef::parse("a@").is_err());
        assert!(VersionRef::parse("a b@1").is_err());
    }

    #[test]
    fn semver_sorts_numerically() {
        let mut v = vec!["1.10.0", "1.2.0", "1.9.1", "abc"];
        v.sort_by(|a, b| version_order(a, b));
        assert_eq!(v, ["1.2.0", "1.9.1", "1.10.0", "abc"]);
    }
}
