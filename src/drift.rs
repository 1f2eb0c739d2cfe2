//! Drift: decisions made by a version that was not certified when they were
//! made, or by a version the store does not hold. Every decision is matched
//! to a stored version by its bundle revision (decision_log.rs
//! `VersionResolver`: a plain version, or the `NAME@VERSION sha256:HASH`
//! revision of a bundle Gavel exported); a version is certified from the
//! moment its last required role was first validly signed off
//! (bundle/export.rs `certified_at`), as the trusted signers file says now.

use std::collections::{BTreeMap, HashMap};

use rusqlite::params_from_iter;
use rusqlite::types::Value as Sql;
use serde::Serialize;

use crate::bundle::export::certified_at;
use crate::certify::{Settings, Status, certification_of};
use crate::decision_log::VersionResolver;
use crate::engine::clock::{format_rfc3339_ns, parse_rfc3339_ns};
use crate::error::Result;
use crate::store::decisions::DriftCondition;
use crate::store::{Store, VersionSummary};

/// Every stored version's certification, and what the decisions stored
/// with no version resolve to now.
#[derive(Debug, Clone)]
pub struct DriftIndex {
    /// By version id: the version, its status, and since when it is
    /// certified (ns; `None` when it is not).
    pub versions: HashMap<i64, (VersionSummary, Status, Option<i64>)>,
    /// (bundle name, revision) of decisions stored with no version that
    /// name a version stored now: its id.
    pub resolved: Vec<(String, String, i64)>,
}

impl DriftIndex {
    pub fn build(store: &Store, settings: &Settings) -> Result<DriftIndex> {
        let mut versions = HashMap::new();
        for v in store.list_versions()? {
            let c = certification_of(store, &v, settings)?;
            let since = certified_at(&c).and_then(|t| parse_rfc3339_ns(&t));
            versions.insert(v.id, (v, c.status, since));
        }
        let mut resolver = VersionResolver::new();
        let mut resolved = Vec::new();
        let pairs: Vec<(String, String)> = store
            .conn()
            .prepare(
                "SELECT DISTINCT bundle_name, bundle_revision FROM decisions
                 WHERE version_id IS NULL AND bundle_name IS NOT NULL AND bundle_revision IS NOT NULL",
            )?
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?
            .collect::<rusqlite::Result<_>>()?;
        for (name, revision) in pairs {
            if let Some((id, _)) = resolver.resolve(store, &name, &revision)? {
                resolved.push((name, revision, id));
            }
        }
        Ok(DriftIndex { versions, resolved })
    }

    /// The filter condition: the decisions not covered by a certification
    /// (`drift`), or those covered.
    pub fn condition(&self, drift: bool) -> DriftCondition {
        let mut certified: Vec<(i64, i64)> = self
            .versions
            .iter()
            .filter_map(|(id, (_, _, since))| since.map(|s| (*id, s)))
            .collect();
        certified.sort_unstable();
        DriftCondition {
            drift,
            certified,
            resolved: self
                .resolved
                .iter()
                .filter_map(|(n, r, id)| {
                    let since = self.versions.get(id)?.2?;
                    Some((n.clone(), r.clone(), since))
                })
                .collect(),
        }
    }

    /// The version a stored decision was made by, now.
    fn version_of(
        &self,
        version_id: Option<i64>,
        bundle: Option<&str>,
        revision: Option<&str>,
    ) -> Option<i64> {
        version_id.or_else(|| {
            self.resolved
                .iter()
                .find(|(n, r, _)| Some(n.as_str()) == bundle && Some(r.as_str()) == revision)
                .map(|(_, _, id)| *id)
        })
    }
}

/// A decision that drifted.
#[derive(Debug, Clone, Serialize)]
pub struct DriftDecision {
    pub decision_id: String,
    pub timestamp: String,
    pub path: String,
    pub outcome: String,
    /// `import` (a decision log) or `eval` (recorded by gavel).
    pub source: String,
    #[serde(skip)]
    ts_ns: i64,
    #[serde(skip)]
    seq: i64,
}

/// The drifted decisions of one version (or of one unknown revision).
#[derive(Debug, Clone, Serialize)]
pub struct DriftGroup {
    /// `NAME@VERSION` when the store holds the version.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub version: Option<String>,
    /// The bundle and revision as the decisions logged them.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub bundle: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub revision: Option<String>,
    /// `not_certified` (a draft or partly signed version), `before_certification`
    /// (made before the version was certified), `unknown_version` (the store
    /// does not hold it), `no_bundle` (the decision names no bundle).
    pub reason: &'static str,
    /// The version's status now, when it is stored.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status: Option<Status>,
    /// When it was certified, when it is.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub certified_at: Option<String>,
    pub count: u64,
    pub first: String,
    pub last: String,
    /// The earliest of them, at most the limit asked for.
    pub decisions: Vec<DriftDecision>,
}

impl DriftGroup {
    /// One line of what went wrong.
    pub fn explanation(&self) -> String {
        match self.reason {
            "not_certified" => format!(
                "{} when they were made (now {})",
                "not certified",
                self.status.map_or("unknown", Status::as_str)
            ),
            "before_certification" => format!(
                "made before it was certified at {}",
                self.certified_at.as_deref().unwrap_or("?")
            ),
            "unknown_version" => "the store holds no version with this revision".to_string(),
            _ => "the decision names no bundle revision".to_string(),
        }
    }
}

/// What `gavel drift` found.
#[derive(Debug, Clone, Serialize)]
pub struct DriftReport {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub since: Option<String>,
    /// Decisions looked at (since `since`).
    pub decisions: u64,
    /// Of them, drifted.
    pub drift: u64,
    pub groups: Vec<DriftGroup>,
}

/// The drifted decisions made at or after `since_ns`, grouped by version,
/// each group listing its earliest `limit` decisions (`None`: all).
pub fn drift_report(
    store: &Store,
    settings: &Settings,
    since_ns: Option<i64>,
    limit: Option<usize>,
) -> Result<DriftReport> {
    let index = DriftIndex::build(store, settings)?;
    let condition = index.condition(true);
    let since_sql = |params: &mut Vec<Sql>| match since_ns {
        Some(t) => {
            params.push(t.into());
            "d.ts_ns >= ?"
        }
        None => "1",
    };
    let mut params = Vec::new();
    let since_clause = since_sql(&mut params);
    let decisions: i64 = store.conn().query_row(
        &format!("SELECT count(*) FROM decisions d WHERE {since_clause}"),
        params_from_iter(params.iter()),
        |r| r.get(0),
    )?;
    let decisions = u64::try_from(decisions).unwrap_or(0);

    // Rows as stored: (version id, bundle, revision) with their counts.
    let mut params = Vec::new();
    let since_clause = since_sql(&mut params);
    let drift_clause = condition.sql(&mut params);
    type Raw = (Option<i64>, Option<String>, Option<String>, u64, i64, i64);
    let raw: Vec<Raw> = store
        .conn()
        .prepare(&format!(
            "SELECT d.version_id, d.bundle_name, d.bundle_revision, count(*), min(d.ts_ns), max(d.ts_ns)
             FROM decisions d WHERE {since_clause} AND {drift_clause}
             GROUP BY d.version_id, d.bundle_name, d.bundle_revision"
        ))?
        .query_map(params_from_iter(params.iter()), |r| {
            let count: i64 = r.get(3)?;
            Ok((
                r.get(0)?,
                r.get(1)?,
                r.get(2)?,
                u64::try_from(count).unwrap_or(0),
                r.get(4)?,
                r.get(5)?,
            ))
        })?
        .collect::<rusqlite::Result<_>>()?;

    // Merged by the version they resolve to (else by bundle and revision).
    #[derive(PartialEq, Eq, PartialOrd, Ord)]
    enum Key {
        Version(String, i64),
        Unknown(Option<String>, Option<String>),
    }
    let mut merged: BTreeMap<Key, (DriftGroup, Vec<Raw>)> = BTreeMap::new();
    for row in raw {
        let (vid, bundle, revision, count, _, _) = row.clone();
        let version = index
            .version_of(vid, bundle.as_deref(), revision.as_deref())
            .and_then(|id| index.versions.get(&id).map(|v| (id, v)));
        let key = match &version {
            Some((id, (v, _, _))) => Key::Version(v.reference().to_string(), *id),
            None => Key::Unknown(bundle.clone(), revision.clone()),
        };
        let entry = merged.entry(key).or_insert_with(|| {
            let (reason, status, since, name) = match &version {
                Some((_, (v, status, since))) => (
                    if since.is_some() {
                        "before_certification"
                    } else {
                        "not_certified"
                    },
                    Some(*status),
                    since.map(format_rfc3339_ns),
                    Some(v.reference().to_string()),
                ),
                None if bundle.is_none() => ("no_bundle", None, None, None),
                None => ("unknown_version", None, None, None),
            };
            (
                DriftGroup {
                    version: name,
                    bundle: bundle.clone(),
                    revision: revision.clone(),
                    reason,
                    status,
                    certified_at: since,
                    count: 0,
                    first: String::new(),
                    last: String::new(),
                    decisions: Vec::new(),
                },
                Vec::new(),
            )
        });
        entry.0.count += count;
        entry.1.push(row);
    }

    let mut groups = Vec::new();
    let mut drift = 0;
    for (_, (mut group, rows)) in merged {
        drift += group.count;
        let first = rows.iter().map(|r| r.4).min().unwrap_or(0);
        let last = rows.iter().map(|r| r.5).max().unwrap_or(0);
        group.first = format_rfc3339_ns(first);
        group.last = format_rfc3339_ns(last);
        let mut listed = Vec::new();
        for (vid, bundle, revision, ..) in &rows {
            let mut params = Vec::new();
            let since_clause = since_sql(&mut params);
            let drift_clause = condition.sql(&mut params);
            params.push(vid.map_or(Sql::Null, Sql::Integer));
            params.push(bundle.clone().map_or(Sql::Null, Sql::Text));
            params.push(revision.clone().map_or(Sql::Null, Sql::Text));
            let limit_sql = limit.map(|l| format!(" LIMIT {l}")).unwrap_or_default();
            let mut stmt = store.conn().prepare(&format!(
                "SELECT d.decision_id, d.timestamp, d.path, d.outcome, d.source, d.ts_ns, d.seq
                 FROM decisions d
                 WHERE {since_clause} AND {drift_clause}
                   AND d.version_id IS ? AND d.bundle_name IS ? AND d.bundle_revision IS ?
                 ORDER BY d.ts_ns, d.seq{limit_sql}"
            ))?;
            let found = stmt
                .query_map(params_from_iter(params.iter()), drift_decision)?
                .collect::<rusqlite::Result<Vec<_>>>()?;
            listed.extend(found);
        }
        listed.sort_by_key(|d| (d.ts_ns, d.seq));
        if let Some(l) = limit {
            listed.truncate(l);
        }
        group.decisions = listed;
        groups.push(group);
    }
    Ok(DriftReport {
        since: since_ns.map(format_rfc3339_ns),
        decisions,
        drift,
        groups,
    })
}

/// One version's decisions against its certification, for its packet.
#[derive(Debug, Clone, Serialize)]
pub struct VersionDrift {
    /// When it was certified (`None`: it is not).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub certified_at: Option<String>,
    /// Every stored decision made by it.
    pub decisions: u64,
    /// Of them, made since it was certified.
    pub since_certification: u64,
    /// Of them, made while it was not certified (drift).
    pub drift: u64,
    /// The earliest drifted ones (at most 20).
    pub first_drift: Vec<DriftDecision>,
}

/// The drift of one stored version's decisions.
pub fn version_drift(
    store: &Store,
    settings: &Settings,
    v: &VersionSummary,
) -> Result<VersionDrift> {
    let index = DriftIndex::build(store, settings)?;
    let since = index.versions.get(&v.id).and_then(|e| e.2);
    // Its decisions: stored with it, or stored with no version and
    // resolving to it now.
    let mut mine = vec!["d.version_id IS ?".to_string()];
    let mut mine_params: Vec<Sql> = vec![v.id.into()];
    for (n, r, id) in &index.resolved {
        if *id == v.id {
            mine.push(
                "(d.version_id IS NULL AND d.bundle_name IS ? AND d.bundle_revision IS ?)".into(),
            );
            mine_params.push(n.clone().into());
            mine_params.push(r.clone().into());
        }
    }
    let mine = format!("({})", mine.join(" OR "));
    let count = |extra: &str, extra_params: &[Sql]| -> Result<u64> {
        let mut p = mine_params.clone();
        p.extend_from_slice(extra_params);
        let n: i64 = store.conn().query_row(
            &format!("SELECT count(*) FROM decisions d WHERE {mine} AND {extra}"),
            params_from_iter(p.iter()),
            |r| r.get(0),
        )?;
        Ok(u64::try_from(n).unwrap_or(0))
    };
    let decisions = count("1", &[])?;
    let (since_certification, drift_clause, drift_params) = match since {
        Some(t) => (
            count("d.ts_ns >= ?", &[t.into()])?,
            "d.ts_ns < ?",
            vec![Sql::Integer(t)],
        ),
        None => (0, "1", Vec::new()),
    };
    let drift = count(drift_clause, &drift_params)?;
    let mut p = mine_params.clone();
    p.extend(drift_params);
    let first_drift = store
        .conn()
        .prepare(&format!(
            "SELECT d.decision_id, d.timestamp, d.path, d.outcome, d.source, d.ts_ns, d.seq
             FROM decisions d WHERE {mine} AND {drift_clause} ORDER BY d.ts_ns, d.seq LIMIT 20"
        ))?
        .query_map(params_from_iter(p.iter()), drift_decision)?
        .collect::<rusqlite::Result<_>>()?;
    Ok(VersionDrift {
        certified_at: since.map(format_rfc3339_ns),
        decisions,
        since_certification,
        drift,
        first_drift,
    })
}

/// A row of `d.decision_id, d.timestamp, d.path, d.outcome, d.source,
/// d.ts_ns, d.seq`.
fn drift_decision(r: &rusqlite::Row) -> rusqlite::Result<DriftDecision> {
    Ok(DriftDecision {
        decision_id: r.get(0)?,
        timestamp: r.get(1)?,
        path: r.get(2)?,
        outcome: r.get(3)?,
        source: r.get(4)?,
        ts_ns: r.get(5)?,
        seq: r.get(6)?,
    })
}
