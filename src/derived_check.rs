//! The rows Gavel derives from a version's source at import (its modules,
//! its rules and their citations: what `gavel rules`, the matrix, the packet
//! and the workbench show) held against what the stored, hashed source
//! gives. The content hash covers the files, not these rows; someone who can
//! write the store file can rewrite a citation or a line span and every hash
//! still matches. So the catalog is rebuilt from the version's stored files
//! with the code import uses (`Catalog::build`, the columns of
//! `store::versions::rule_row`), and every row and column is compared with
//! it: a changed column, a row missing, a row added.
//!
//! What it cannot see: a row whose source changed with it (the files and
//! the content hash rewritten together: the version hash check and the
//! sign-offs' signatures are for that), and the `versions.manifest` column
//! (nothing reads it; the manifest is read from the hashed file). The
//! `rego_v0` flag is held against the manifest's `rego_version: 0`; a v1
//! version flagged v0 when its manifest says nothing (as `--v0-compatible`
//! leaves it) shows only when its source does not read as v0. A change
//! to what the catalog derives must come with a migration that re-derives
//! these rows, or this check reports every version imported before it.

use std::collections::{HashMap, VecDeque};
use std::sync::atomic::{AtomicUsize, Ordering};

use rusqlite::types::Value;
use sha2::{Digest, Sha256};

use crate::bundle::{Bundle, Catalog, RuleInfo, content_hash};
use crate::error::{Error, Result};
use crate::store::versions::{MODULE_COLUMNS, RULE_COLUMNS, module_row, rule_row};
use crate::store::{Store, VersionSummary};

/// What is wrong with the derived rows of every stored version. The
/// catalogs are rebuilt on every core; the store is read on this thread.
pub fn derived_problems(store: &Store) -> Result<Vec<String>> {
    let versions = store.list_versions()?;
    let sources = versions
        .iter()
        .map(|v| read_source(store, v))
        .collect::<Result<Vec<_>>>()?;
    let catalogs = catalogs(&sources);
    let mut problems = Vec::new();
    for ((v, source), catalog) in versions.iter().zip(sources).zip(catalogs) {
        problems.extend(compare(store, v, source, catalog)?);
    }
    Ok(problems)
}

/// What is wrong with one version's derived rows, one plain sentence per
/// finding, each naming the version, the rule or module, and the column.
/// Empty when every row says what the stored source says. An error only
/// when the store cannot be read; a source that no longer catalogs is a
/// finding.
pub fn derived_problems_of(store: &Store, version: &VersionSummary) -> Result<Vec<String>> {
    let source = read_source(store, version)?;
    let catalog = catalog(&source);
    compare(store, version, source, catalog)
}

/// What a version's rows are checked against.
struct Source {
    label: String,
    /// Findings about the version row itself (its syntax flag).
    findings: Vec<String>,
    /// Its modules and manifest, with the syntax import read them in; or
    /// why there are none to read.
    bundle: std::result::Result<(Bundle, bool), String>,
}

/// A version's stored modules and `.manifest`: all `Catalog::build` reads
/// (its data files, which can be large, are left in the store). Only a
/// source that still gives the version's content hash is one to check the
/// rows against: rows derived from the genuine source say nothing useful
/// against an edited one (the version check names that edit).
fn read_source(store: &Store, version: &VersionSummary) -> Result<Source> {
    let label = version.reference().to_string();
    let unusable = |why: String| Source {
        bundle: Err(format!("{label}: its rules cannot be checked: {why}")),
        label: label.clone(),
        findings: Vec::new(),
    };
    let mut stmt = store
        .conn()
        .prepare_cached("SELECT path, sha256 FROM files WHERE version_id = ?1")?;
    let listed: Vec<(String, String)> = stmt
        .query_map([version.id], |r| Ok((r.get(0)?, r.get(1)?)))?
        .collect::<rusqlite::Result<_>>()?;
    if content_hash(listed.iter().map(|(p, s)| (p.as_str(), s.as_str()))) != version.content_hash {
        return Ok(unusable(
            "its stored files no longer give its content hash".into(),
        ));
    }
    let mut stmt = store.conn().prepare_cached(
        "SELECT f.path, f.sha256, b.text FROM files f LEFT JOIN blobs b ON b.sha256 = f.sha256
         WHERE f.version_id = ?1 AND (f.path = '.manifest' OR f.path LIKE '%.rego')
         ORDER BY f.path",
    )?;
    let read: Vec<(String, String, Option<String>)> = stmt
        .query_map([version.id], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?
        .collect::<rusqlite::Result<_>>()?;
    let mut texts = Vec::with_capacity(read.len());
    for (path, sha256, text) in read {
        let Some(text) = text else {
            return Ok(unusable(format!("the text of {path} is missing")));
        };
        if hex::encode(Sha256::digest(text.as_bytes())) != sha256 {
            return Ok(unusable(format!(
                "the text of {path} no longer matches its hash"
            )));
        }
        texts.push((path, text));
    }
    let bundle = match Bundle::from_texts(texts) {
        Ok(b) => b,
        Err(e @ Error::Store(_)) => return Err(e),
        Err(e) => {
            return Ok(unusable(format!(
                "its stored files no longer make a bundle: {e}"
            )));
        }
    };
    // As import decides: the manifest's rego_version 0, or --v0-compatible
    // (which only the stored flag remembers).
    let manifest_v0 = bundle.is_rego_v0(false);
    let mut findings = Vec::new();
    if manifest_v0 && version.rego_version != 0 {
        findings.push(format!(
            "{label}: column rego_v0 says Rego v1, its .manifest says rego_version 0"
        ));
    }
    let rego_v0 = manifest_v0 || version.rego_version == 0;
    Ok(Source {
        label,
        findings,
        bundle: Ok((bundle, rego_v0)),
    })
}

/// The catalog import would build from a source, or the finding that says
/// why there is none (a panic in the front end included).
fn catalog(source: &Source) -> std::result::Result<Catalog, String> {
    let (bundle, rego_v0) = match &source.bundle {
        Ok((b, v0)) => (b, v0),
        Err(finding) => return Err(finding.clone()),
    };
    let built = crate::panics::quietly(|| Catalog::build(bundle, *rego_v0))
        .map_err(|p| {
            format!(
                "Gavel's Rego front end stopped: {}",
                crate::panics::message(&*p)
            )
        })
        .and_then(|r| r.map_err(|e| e.to_string()));
    built.map_err(|e| {
        format!(
            "{}: its stored source no longer catalogs as Rego v{}, so its rules cannot be checked: {e}",
            source.label,
            if *rego_v0 { 0 } else { 1 }
        )
    })
}

/// Catalogs of many sources, built on every core, in their order.
fn catalogs(sources: &[Source]) -> Vec<std::result::Result<Catalog, String>> {
    let threads = std::thread::available_parallelism()
        .map_or(1, |n| n.get())
        .clamp(1, sources.len().max(1));
    if threads == 1 {
        return sources.iter().map(catalog).collect();
    }
    let next = AtomicUsize::new(0);
    let mut out: Vec<Option<std::result::Result<Catalog, String>>> =
        sources.iter().map(|_| None).collect();
    std::thread::scope(|scope| {
        let workers: Vec<_> = (0..threads)
            .map(|_| {
                scope.spawn(|| {
                    let mut done = Vec::new();
                    loop {
                        let i = next.fetch_add(1, Ordering::Relaxed);
                        let Some(source) = sources.get(i) else { break };
                        done.push((i, catalog(source)));
                    }
                    done
                })
            })
            .collect();
        for worker in workers {
            for (i, c) in worker.join().unwrap_or_default() {
                out[i] = Some(c);
            }
        }
    });
    out.into_iter()
        .zip(sources)
        .map(|(c, s)| {
            c.unwrap_or_else(|| Err(format!("{}: its catalog could not be rebuilt", s.label)))
        })
        .collect()
}

/// One version's rows against its catalog.
fn compare(
    store: &Store,
    version: &VersionSummary,
    source: Source,
    catalog: std::result::Result<Catalog, String>,
) -> Result<Vec<String>> {
    let mut problems = source.findings;
    match catalog {
        Ok(catalog) => {
            check_modules(store, version.id, &catalog, &source.label, &mut problems)?;
            check_rules(store, version.id, &catalog, &source.label, &mut problems)?;
        }
        Err(finding) => problems.push(finding),
    }
    Ok(problems)
}

/// The `modules` rows, by file (their key).
fn check_modules(
    store: &Store,
    version_id: i64,
    catalog: &Catalog,
    label: &str,
    problems: &mut Vec<String>,
) -> Result<()> {
    let stored = read_rows(
        store,
        &format!(
            "SELECT {} FROM modules WHERE version_id = ?1 ORDER BY file",
            MODULE_COLUMNS.join(", ")
        ),
        version_id,
        MODULE_COLUMNS.len(),
    )?;
    let mut left: Vec<Option<Vec<Value>>> = stored.into_iter().map(Some).collect();
    for m in &catalog.modules {
        let expected = module_row(m);
        let what = format!("module {} (package {})", m.file, m.package);
        let found = left
            .iter_mut()
            .find(|s| s.as_ref().is_some_and(|s| s[0] == expected[0]))
            .and_then(Option::take);
        match found {
            Some(row) => {
                for ((column, s), e) in MODULE_COLUMNS.iter().zip(&row).zip(&expected) {
                    if s != e {
                        problems.push(format!("{label}: {what}: {}", column_problem(column, s, e)));
                    }
                }
            }
            None => problems.push(format!(
                "{label}: {what} is in the source but has no row in the store"
            )),
        }
    }
    for row in left.into_iter().flatten() {
        problems.push(format!(
            "{label}: module {} (package {}) has a row in the store but is not in the source",
            plain(&row[0]),
            plain(&row[1])
        ));
    }
    Ok(())
}

/// Stored and expected rows are paired by their identity, most exact
/// first, so a changed column is named as a change rather than as one rule
/// missing and another added: (package, name, file, lines), then without
/// `line_end`, then (package, name, file), (file, line_start) and
/// (package, name). Indexes into `RULE_COLUMNS`.
const PAIRING: &[&[usize]] = &[
    &[0, 1, 3, 4, 5],
    &[0, 1, 3, 4],
    &[0, 1, 3],
    &[3, 4],
    &[0, 1],
];

/// A `rules` row read back: its id, its columns (as SQLite holds them, so
/// no type an attacker writes stops the check) and its citations in `seq`
/// order.
struct StoredRule {
    id: i64,
    columns: Vec<Value>,
    citations: Vec<[Value; 2]>,
}

/// The `rules` rows and their `citations`.
fn check_rules(
    store: &Store,
    version_id: i64,
    catalog: &Catalog,
    label: &str,
    problems: &mut Vec<String>,
) -> Result<()> {
    let stored = read_rules(store, version_id)?;
    let expected: Vec<[Value; 13]> = catalog.rules.iter().map(rule_row).collect();
    let mut pair: Vec<Option<usize>> = vec![None; expected.len()];
    let mut taken = vec![false; stored.len()];
    for key in PAIRING {
        let key_of = |columns: &[Value]| -> String {
            key.iter()
                .map(|&i| format!("{:?}", columns[i]))
                .collect::<Vec<_>>()
                .join("\u{0}")
        };
        let mut free: HashMap<String, VecDeque<usize>> = HashMap::new();
        for (i, s) in stored.iter().enumerate().filter(|(i, _)| !taken[*i]) {
            free.entry(key_of(&s.columns)).or_default().push_back(i);
        }
        for (e, columns) in expected.iter().enumerate() {
            if pair[e].is_some() {
                continue;
            }
            if let Some(s) = free.get_mut(&key_of(columns)).and_then(VecDeque::pop_front) {
                pair[e] = Some(s);
                taken[s] = true;
            }
        }
    }
    for ((rule, columns), paired) in catalog.rules.iter().zip(&expected).zip(&pair) {
        let what = format!(
            "rule data.{}.{} ({}:{})",
            rule.package, rule.name, rule.file, rule.line_start
        );
        let Some(s) = paired else {
            problems.push(format!(
                "{label}: {what} is in the source but has no row in the store"
            ));
            continue;
        };
        let row = &stored[*s];
        for ((column, s), e) in RULE_COLUMNS.iter().zip(&row.columns).zip(columns) {
            if s != e {
                problems.push(format!("{label}: {what}: {}", column_problem(column, s, e)));
            }
        }
        for p in citation_problems(rule, &row.citations) {
            problems.push(format!("{label}: {what}: {p}"));
        }
    }
    for (row, _) in stored.iter().zip(&taken).filter(|(_, t)| !**t) {
        let c = &row.columns;
        problems.push(format!(
            "{label}: rule data.{}.{} ({}:{}) has a row in the store (#{}) but is not in the source",
            plain(&c[0]),
            plain(&c[1]),
            plain(&c[3]),
            plain(&c[4]),
            row.id
        ));
    }
    Ok(())
}

/// One rule's stored citations against its annotation's, position by
/// position (citation 1 is the first).
fn citation_problems(rule: &RuleInfo, stored: &[[Value; 2]]) -> Vec<String> {
    let expected: Vec<[Value; 2]> = rule
        .citations()
        .iter()
        .map(|c| {
            [
                Value::Text(c.regulation.clone()),
                Value::Text(c.clause.clone()),
            ]
        })
        .collect();
    let mut out = Vec::new();
    for n in 0..expected.len().max(stored.len()) {
        match (stored.get(n), expected.get(n)) {
            (Some(s), Some(e)) => {
                for (column, (s, e)) in ["regulation", "clause"].iter().zip(s.iter().zip(e)) {
                    if s != e {
                        out.push(format!(
                            "citation {}, column {column}, is stored as {}, the source says {}",
                            n + 1,
                            show(s),
                            show(e)
                        ));
                    }
                }
            }
            (None, Some(e)) => out.push(format!(
                "citation {} ({}) is in the source but has no row in the store",
                n + 1,
                citation_label(e)
            )),
            (Some(s), None) => out.push(format!(
                "citation {} ({}) has a row in the store but is not in the source",
                n + 1,
                citation_label(s)
            )),
            (None, None) => {}
        }
    }
    out
}

fn citation_label(c: &[Value; 2]) -> String {
    format!("'{} {}'", plain(&c[0]), plain(&c[1]))
}

/// A version's `rules` rows in id order, each with its citations: two
/// queries, whatever the number of rules.
fn read_rules(store: &Store, version_id: i64) -> Result<Vec<StoredRule>> {
    let rows = read_rows(
        store,
        &format!(
            "SELECT id, {} FROM rules WHERE version_id = ?1 ORDER BY id",
            RULE_COLUMNS.join(", ")
        ),
        version_id,
        RULE_COLUMNS.len() + 1,
    )?;
    let mut rules: Vec<StoredRule> = Vec::with_capacity(rows.len());
    let mut index: HashMap<i64, usize> = HashMap::with_capacity(rows.len());
    for mut row in rows {
        let Value::Integer(id) = row.remove(0) else {
            continue;
        };
        index.insert(id, rules.len());
        rules.push(StoredRule {
            id,
            columns: row,
            citations: Vec::new(),
        });
    }
    let mut stmt = store.conn().prepare_cached(
        "SELECT c.rule_id, c.regulation, c.clause FROM rules r JOIN citations c ON c.rule_id = r.id
         WHERE r.version_id = ?1 ORDER BY c.rule_id, c.seq",
    )?;
    let mut q = stmt.query([version_id])?;
    while let Some(r) = q.next()? {
        let rule_id: i64 = r.get(0)?;
        if let Some(&i) = index.get(&rule_id) {
            rules[i].citations.push([r.get(1)?, r.get(2)?]);
        }
    }
    Ok(rules)
}

/// Every row a query gives, each column as SQLite holds it.
fn read_rows(store: &Store, sql: &str, version_id: i64, columns: usize) -> Result<Vec<Vec<Value>>> {
    let mut stmt = store.conn().prepare_cached(sql)?;
    let rows = stmt
        .query_map([version_id], |r| {
            (0..columns).map(|i| r.get::<_, Value>(i)).collect()
        })?
        .collect::<rusqlite::Result<_>>()?;
    Ok(rows)
}

/// `column title is stored as 'X', the source says 'Y'`; for the
/// annotation (JSON), which of its fields differ.
fn column_problem(column: &str, stored: &Value, expected: &Value) -> String {
    if column == "annotation"
        && let Some(fields) = annotation_fields(stored, expected)
    {
        return format!("column annotation differs from the source in {fields}");
    }
    format!(
        "column {column} is stored as {}, the source says {}",
        show(stored),
        show(expected)
    )
}

/// The top-level annotation fields two JSON texts differ in (`title`,
/// `citations`, ...), when both are JSON objects.
fn annotation_fields(stored: &Value, expected: &Value) -> Option<String> {
    let object = |v: &Value| -> Option<serde_json::Map<String, serde_json::Value>> {
        match v {
            Value::Null => Some(serde_json::Map::new()),
            Value::Text(t) => match serde_json::from_str(t) {
                Ok(serde_json::Value::Object(m)) => Some(m),
                _ => None,
            },
            _ => None,
        }
    };
    let (s, e) = (object(stored)?, object(expected)?);
    let mut keys: Vec<&String> = s.keys().chain(e.keys()).collect();
    keys.sort();
    keys.dedup();
    let differ: Vec<String> = keys
        .into_iter()
        .filter(|k| s.get(*k) != e.get(*k))
        .map(|k| format!("'{k}'"))
        .collect();
    match differ.len() {
        0 => Some("its JSON text (the same fields, written differently)".into()),
        _ => Some(differ.join(", ")),
    }
}

/// The longest text quoted whole in a finding.
const SHOWN_CHARS: usize = 100;

/// A stored or expected value as a finding quotes it.
fn show(v: &Value) -> String {
    match v {
        Value::Null => "(none)".into(),
        Value::Integer(i) => i.to_string(),
        Value::Real(f) => format!("{f} (a real number)"),
        Value::Text(t) => {
            let n = t.chars().count();
            if n > SHOWN_CHARS {
                let head: String = t.chars().take(SHOWN_CHARS).collect();
                format!("'{head}...' ({n} characters)")
            } else {
                format!("'{t}'")
            }
        }
        Value::Blob(b) => format!("a {}-byte blob", b.len()),
    }
}

/// A value as part of a name (`data.PACKAGE.NAME`, `FILE:LINE`).
fn plain(v: &Value) -> String {
    match v {
        Value::Text(t) => t.clone(),
        other => show(other),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::bundle::Bundle;
    use crate::store::VersionRef;

    const MODULE: &str = "package gfr\n\n# METADATA\n# title: Rationale\n# custom:\n#   severity: high\n#   citations:\n#     - {regulation: \"GFR 2017\", clause: \"Rule 173\"}\n#     - {regulation: \"CVC\", clause: \"Award\"}\ndeny contains \"no rationale\" if {\n  not input.rationale\n}\n\nthreshold := 250000\n";

    /// A store holding one version of a two-module bundle, and that version.
    fn stored() -> (Store, VersionSummary) {
        let mut store = Store::open_in_memory().unwrap();
        let bundle = Bundle::from_texts([
            ("gfr/p.rego".to_string(), MODULE.to_string()),
            (
                "gfr/p_test.rego".to_string(),
                "package gfr\n\ntest_deny if { deny with input as {} }\n".to_string(),
            ),
        ])
        .unwrap();
        let catalog = Catalog::build(&bundle, false).unwrap();
        let reference = VersionRef::parse("gfr@1.0.0").unwrap();
        store
            .store_version(&reference, &bundle, &catalog, false, None)
            .unwrap();
        let v = store.find_version(&reference).unwrap();
        (store, v)
    }

    fn tamper(store: &Store, sql: &str) -> Vec<String> {
        store.conn().execute_batch(sql).unwrap();
        let v = store.list_versions().unwrap().remove(0);
        derived_problems_of(store, &v).unwrap()
    }

    #[test]
    fn an_untouched_version_has_no_problems() {
        let (store, v) = stored();
        assert_eq!(
            derived_problems_of(&store, &v).unwrap(),
            Vec::<String>::new()
        );
        assert!(derived_problems(&store).unwrap().is_empty());
    }

    #[test]
    fn each_rewritten_column_is_named() {
        let (store, _) = stored();
        let p = tamper(
            &store,
            "UPDATE citations SET regulation = 'FAKE ACT 2099' WHERE seq = 1",
        );
        assert_eq!(
            p,
            [
                "gfr@1.0.0: rule data.gfr.deny (gfr/p.rego:10): citation 2, column regulation, is stored as 'FAKE ACT 2099', the source says 'CVC'"
            ]
        );
        let (store, _) = stored();
        let p = tamper(
            &store,
            "UPDATE rules SET line_start = 12, severity = 'low' WHERE name = 'deny'",
        );
        assert_eq!(
            p,
            [
                "gfr@1.0.0: rule data.gfr.deny (gfr/p.rego:10): column line_start is stored as 12, the source says 10",
                "gfr@1.0.0: rule data.gfr.deny (gfr/p.rego:10): column severity is stored as 'low', the source says 'high'"
            ]
        );
        let (store, _) = stored();
        let p = tamper(
            &store,
            "UPDATE rules SET annotation = replace(annotation, 'Rationale', 'Other') WHERE name = 'deny';
             UPDATE modules SET package = 'x' WHERE file = 'gfr/p.rego'",
        );
        assert_eq!(
            p,
            [
                "gfr@1.0.0: module gfr/p.rego (package gfr): column package is stored as 'x', the source says 'gfr'",
                "gfr@1.0.0: rule data.gfr.deny (gfr/p.rego:10): column annotation differs from the source in 'title'"
            ]
        );
    }

    #[test]
    fn missing_and_extra_rows_are_named() {
        let (store, _) = stored();
        let p = tamper(
            &store,
            "DELETE FROM citations WHERE seq = 1;
             INSERT INTO citations (rule_id, seq, regulation, clause)
                SELECT id, 0, 'X', 'Y' FROM rules WHERE name = 'threshold';
             DELETE FROM rules WHERE name = 'test_deny';
             INSERT INTO rules (version_id, package, name, kind, file, line_start, line_end, is_test, entrypoint)
                VALUES (1, 'gfr', 'allow', 'complete', 'gfr/p.rego', 99, 99, 0, 0)",
        );
        assert_eq!(
            p,
            [
                "gfr@1.0.0: rule data.gfr.deny (gfr/p.rego:10): citation 2 ('CVC Award') is in the source but has no row in the store",
                "gfr@1.0.0: rule data.gfr.threshold (gfr/p.rego:14): citation 1 ('X Y') has a row in the store but is not in the source",
                "gfr@1.0.0: rule data.gfr.test_deny (gfr/p_test.rego:3) is in the source but has no row in the store",
                "gfr@1.0.0: rule data.gfr.allow (gfr/p.rego:99) has a row in the store (#3) but is not in the source"
            ]
        );
    }

    #[test]
    fn rows_are_not_held_against_an_edited_source() {
        let (store, _) = stored();
        let p = tamper(
            &store,
            "DROP TRIGGER blobs_no_update;
             UPDATE blobs SET text = replace(text, 'Rationale', 'Other') WHERE text LIKE '%Rationale%'",
        );
        assert_eq!(
            p,
            [
                "gfr@1.0.0: its rules cannot be checked: the text of gfr/p.rego no longer matches its hash"
            ]
        );
    }

    #[test]
    fn a_column_of_another_type_is_a_finding_not_an_error() {
        let (store, _) = stored();
        let p = tamper(
            &store,
            "UPDATE rules SET line_end = 'twelve', is_test = X'00' WHERE name = 'threshold'",
        );
        assert_eq!(
            p,
            [
                "gfr@1.0.0: rule data.gfr.threshold (gfr/p.rego:14): column line_end is stored as 'twelve', the source says 14",
                "gfr@1.0.0: rule data.gfr.threshold (gfr/p.rego:14): column is_test is stored as a 1-byte blob, the source says 0"
            ]
        );
    }

    #[test]
    fn the_stored_syntax_flag_is_held_against_the_manifest() {
        let mut store = Store::open_in_memory().unwrap();
        let bundle = Bundle::from_texts([
            (
                ".manifest".to_string(),
                r#"{"rego_version": 0}"#.to_string(),
            ),
            (
                "p.rego".to_string(),
                "package p\nallow { input.x }\n".to_string(),
            ),
        ])
        .unwrap();
        let catalog = Catalog::build(&bundle, true).unwrap();
        let reference = VersionRef::parse("p@1").unwrap();
        store
            .store_version(&reference, &bundle, &catalog, true, None)
            .unwrap();
        assert!(derived_problems(&store).unwrap().is_empty());
        let p = tamper(
            &store,
            "DROP TRIGGER versions_no_update; UPDATE versions SET rego_v0 = 0",
        );
        assert_eq!(
            p,
            ["p@1: column rego_v0 says Rego v1, its .manifest says rego_version 0"]
        );
    }
}
