//! `gavel verify`: recomputes the Merkle log from the decisions' rows and
//! holds it against everything that vouches for it.
//!
//! Per decision: the event must read, and every column it also holds (id,
//! path, timestamp, bundle, the outcome its result gives) must say what it
//! says; the record rebuilt from the row (the event's SHA-256 and Gavel's
//! fields) must hash to the stored leaf hash. When it does not, the columns
//! the event does not hold are tried against what they could have been
//! (every stored version, the other source, nearby positions) to name the
//! one that changed.
//! Over the log: positions without gaps, the stored interior nodes and head
//! equal to the recomputed ones, and the root at the size of every signed
//! checkpoint (the store's own and one kept elsewhere, `--checkpoint`)
//! equal to the checkpoint's. An attacker who rewrites decisions and
//! recomputes every hash in the store still cannot sign: the first
//! checkpoint that no longer matches bounds where the change is.
//! Beside the log, `verify_store` checks the rest of the store: SQLite's
//! integrity, every version's files against its hash and its derived rows
//! against its source (`crate::derived_check`), every decision's version
//! still there, every sign-off.

use std::collections::HashMap;

use serde::{Deserialize, Serialize};

use crate::engine::outcome::outcome_of;
use crate::error::{Error, Result};
use crate::store::Store;
use crate::store::log::{STORED_LEVEL, StoredCheckpoint, read_head};
use crate::tlog::merkle::{self, CompactRange, Hash};
use crate::tlog::note::{Checkpoint, NoteVerifier, parse_note, verify_note};
use crate::tlog::record::{RecordFields, event_sha256};

/// What is wrong at the first bad place of the log.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Break {
    /// The decisions could not be read (a damaged file).
    Unreadable { reason: String },
    /// A stored record or event that does not parse.
    Unparsable {
        seq: i64,
        decision_id: String,
        what: String,
    },
    /// Log positions are missing before this row.
    Deleted {
        seq: i64,
        decision_id: String,
        missing: i64,
    },
    /// The row no longer hashes to its leaf hash, and no single column
    /// explains it (the event or the rule outcomes were changed).
    Edited { seq: i64, decision_id: String },
    /// The row sits at another position than the one it was appended at.
    Moved {
        seq: i64,
        decision_id: String,
        appended_at: u64,
    },
    /// A column kept for queries says something else than the record.
    Column {
        seq: i64,
        decision_id: String,
        column: String,
        stored: String,
        recorded: String,
    },
    /// A stored interior node disagrees with the recomputed tree.
    Node {
        level: u32,
        index: u64,
        first: u64,
        last: u64,
    },
    /// The head disagrees with the decisions (rows cut off the end, or a
    /// head rewritten).
    Head { expected: u64, found: u64 },
    /// A checkpoint's signature does not verify under the log key.
    Forged { checkpoint: String, reason: String },
    /// At a checkpoint's size the log's root is another than it signed.
    Rewritten {
        checkpoint: String,
        size: u64,
        #[serde(serialize_with = "crate::tlog::serialize_hash")]
        root: Hash,
        #[serde(serialize_with = "crate::tlog::serialize_hash")]
        signed_root: Hash,
        /// The largest size at which a signed checkpoint still matches.
        matches_up_to: u64,
        /// The one decision it must be, when the bound is one position.
        #[serde(skip_serializing_if = "Option::is_none")]
        decision_id: Option<String>,
    },
    /// A checkpoint covers more decisions than the log holds.
    Removed {
        checkpoint: String,
        size: u64,
        found: u64,
    },
}

impl Break {
    pub fn describe(&self) -> String {
        match self {
            Break::Unreadable { reason } => {
                format!("the decisions cannot be read to walk the log: {reason}")
            }
            Break::Unparsable {
                seq,
                decision_id,
                what,
            } => format!("decision {decision_id} (log position {seq}): {what}"),
            Break::Deleted {
                seq,
                decision_id,
                missing,
            } => format!(
                "{missing} decision(s) deleted just before decision {decision_id} (log position {seq})"
            ),
            Break::Edited { seq, decision_id } => format!(
                "decision {decision_id} (log position {seq}) was edited: its event or rule outcomes no longer hash to its leaf hash"
            ),
            Break::Moved {
                seq,
                decision_id,
                appended_at,
            } => format!(
                "decision {decision_id} was moved: it sits at log position {seq}, it was appended at position {appended_at}"
            ),
            Break::Column {
                seq,
                decision_id,
                column,
                stored,
                recorded,
            } => format!(
                "decision {decision_id} (log position {seq}): column {column} says {stored}, the hashed decision says {recorded}"
            ),
            Break::Node {
                level,
                index,
                first,
                last,
            } => format!(
                "the log's stored node {level}/{index} (positions {first}..{last}) is not the hash of those decisions"
            ),
            Break::Head { expected, found } => format!(
                "the log's head records {expected} decisions and another root; the decisions give {found} (the end of the log was cut off or its head rewritten)"
            ),
            Break::Forged { checkpoint, reason } => format!(
                "{checkpoint} is not signed by the log key: {reason} (forged, or signed with another key: pass the log's verifier key with --key)"
            ),
            Break::Rewritten {
                checkpoint,
                size,
                root,
                signed_root,
                matches_up_to,
                decision_id,
            } => {
                let first = matches_up_to + 1;
                let place = match decision_id {
                    Some(id) => {
                        format!("the first difference is at position {first} (decision {id})")
                    }
                    None => format!(
                        "the first difference lies between positions {first} and {size} (a signed checkpoint still matches at {matches_up_to})"
                    ),
                };
                format!(
                    "the log was rewritten: at {checkpoint}'s size {size} its root is {}, the checkpoint signed {}; {place}",
                    short(root),
                    short(signed_root)
                )
            }
            Break::Removed {
                checkpoint,
                size,
                found,
            } => format!(
                "decisions were removed: {checkpoint} covers {size} decisions, the log holds {found} (positions {} to {size} are gone)",
                found + 1
            ),
        }
    }
}

fn short(h: &Hash) -> String {
    hex::encode(&h[..8])
}

/// A checkpoint to hold the log against, with how to name it.
#[derive(Debug, Clone)]
pub struct Anchor {
    pub label: String,
    pub checkpoint: Checkpoint,
}

/// Reads a checkpoint kept elsewhere and checks its signature: errors name
/// `file:line`.
pub fn read_anchor(label: &str, text: &str, verifier: &NoteVerifier) -> Result<Anchor> {
    let note = parse_note(text)
        .map_err(|e| Error::Invalid(format!("{label}:{}: {}", e.line, e.message)))?;
    let checkpoint = Checkpoint::parse(&note.text)
        .map_err(|e| Error::Invalid(format!("{label}:{}: {}", e.line, e.message)))?;
    verify_note(&note, verifier).map_err(|e| {
        Error::Check(format!(
            "{label}: not signed by {}: {e}",
            verifier.to_text()
        ))
    })?;
    Ok(Anchor {
        label: label.to_string(),
        checkpoint,
    })
}

/// What `gavel verify` checks against.
#[derive(Debug, Default)]
pub struct VerifyOptions {
    /// The log key's verifier: stored checkpoints' signatures are checked
    /// when there is one.
    pub verifier: Option<NoteVerifier>,
    /// A checkpoint kept outside the store.
    pub kept: Option<Anchor>,
    /// The certification settings, with the allowed_signers file the
    /// sign-offs are checked against.
    pub settings: crate::certify::Settings,
}

/// The result of a walk.
#[derive(Debug, Clone, Serialize)]
pub struct LogReport {
    pub origin: String,
    pub decisions: u64,
    #[serde(serialize_with = "crate::tlog::serialize_hash")]
    pub root: Hash,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub broken: Option<Break>,
    /// Stored checkpoints held against the log.
    pub checkpoints_checked: usize,
    /// Whether their signatures were checked (a log key was at hand).
    pub signatures_checked: bool,
    /// The kept checkpoint's size, when one was given and it held.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub extends_kept: Option<u64>,
    /// The RFC 9162 consistency proof from the kept checkpoint to the log
    /// as it is (hex hashes), checked: what a remote auditor holding only
    /// the two roots would check.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub consistency_proof: Option<Vec<String>>,
    /// The latest signed checkpoint's size: decisions past it are not yet
    /// vouched for by any signature.
    pub signed_size: u64,
    /// SQLite's integrity check, when it found anything.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub integrity: Vec<String>,
    /// Versions whose files no longer hash to what was stored.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub versions: Vec<String>,
    /// Rows derived from a version's source at import (modules, rules,
    /// citations) that no longer say what the stored source says.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub derived: Vec<String>,
    /// Decisions whose version is missing from the store, or was replaced.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub decision_versions: Vec<String>,
    /// Sign-offs that do not verify (signature, payload against the
    /// version and its columns, the test run they name).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub signoffs: Vec<String>,
}

impl LogReport {
    pub fn ok(&self) -> bool {
        self.broken.is_none()
            && self.integrity.is_empty()
            && self.versions.is_empty()
            && self.derived.is_empty()
            && self.decision_versions.is_empty()
            && self.signoffs.is_empty()
    }
}

/// Every stored sign-off checked as `certify --verify` checks it: its
/// signature, its signer against the allowed_signers file, its payload
/// against the version, separation of duties, and its test counts against
/// the suite run again; and every recorded test run against that run.
fn signoff_problems(store: &Store, settings: &crate::certify::Settings) -> Result<Vec<String>> {
    let mut problems = Vec::new();
    for v in store.list_versions()? {
        // The suite runs again for a version something rests on: a sign-off
        // or a recorded run (whose counts it must repeat).
        if store.signoffs_of(v.id)?.is_empty() && store.test_runs(v.id, 1)?.is_empty() {
            continue;
        }
        let mut c = crate::certify::certification_of(store, &v, settings)?;
        problems.extend(crate::certify::rederive(store, &v, &mut c)?.problems);
        for s in c.signoffs.iter().filter(|s| !s.valid) {
            problems.push(format!(
                "{}: sign-off #{} ({}, {}): {}",
                v.reference(),
                s.row.id,
                s.row.role,
                s.row.signer,
                s.problems.join("; ")
            ));
        }
    }
    Ok(problems)
}

/// The first bytes of a log root, as reports show it.
pub fn short_root(h: &Hash) -> String {
    hex::encode(&h[..8])
}

/// What `gavel verify` says of a store SQLite cannot read at all.
pub fn unreadable_lines(why: &str) -> Vec<String> {
    vec![
        format!("store DAMAGED: {why}"),
        "nothing else could be read: restore the last backup (`gavel backup` makes one)".into(),
    ]
}

/// The report as `gavel verify` prints it, one line each, not escaped
/// (the caller escapes at its display boundary).
pub fn report_lines(report: &LogReport) -> Vec<String> {
    report_lines_marked(report)
        .into_iter()
        .map(|(_, line)| line)
        .collect()
}

/// The report's lines, each with whether it states a problem.
pub fn report_lines_marked(report: &LogReport) -> Vec<(bool, String)> {
    let mut out: Vec<(bool, String)> = Vec::new();
    let ok = |s: String| (false, s);
    let bad = |s: String| (true, s);
    match &report.broken {
        None => {
            out.push(ok(format!(
                "log OK: {} decisions, root {} ({})",
                report.decisions,
                short_root(&report.root),
                report.origin
            )));
            if report.checkpoints_checked == 0 {
                out.push(ok("checkpoints: none signed yet".into()));
            } else {
                let signed = if report.signatures_checked {
                    "signatures checked"
                } else {
                    "signatures NOT checked: no log key here, pass --key FILE"
                };
                out.push(ok(format!(
                    "checkpoints OK: {} stored checkpoints match the log ({signed})",
                    report.checkpoints_checked
                )));
            }
            if report.signed_size < report.decisions {
                out.push(ok(format!(
                    "note: decisions {} to {} are under no signed checkpoint yet (gavel checkpoint signs one)",
                    report.signed_size + 1,
                    report.decisions
                )));
            }
            if let Some(size) = report.extends_kept {
                let proof = report
                    .consistency_proof
                    .as_ref()
                    .map(|p| format!("; consistency proof of {} hashes checked", p.len()))
                    .unwrap_or_default();
                out.push(ok(format!(
                    "kept checkpoint OK: the log extends it (size {size}, now {}{proof})",
                    report.decisions
                )));
            }
        }
        Some(b) => out.push(bad(format!("log BROKEN: {}", b.describe()))),
    }
    if report.integrity.is_empty() {
        out.push(ok("store OK: SQLite integrity check passed".into()));
    } else {
        out.extend(
            report
                .integrity
                .iter()
                .map(|p| bad(format!("store DAMAGED: {p}"))),
        );
    }
    if report.signoffs.is_empty() {
        out.push(ok("sign-offs OK: every stored sign-off verifies".into()));
    } else {
        out.extend(
            report
                .signoffs
                .iter()
                .map(|p| bad(format!("sign-off INVALID: {p}"))),
        );
    }
    if report.versions.is_empty() {
        out.push(ok("versions OK: every stored file matches its hash".into()));
    } else {
        out.extend(
            report
                .versions
                .iter()
                .map(|p| bad(format!("version CHANGED: {p}"))),
        );
    }
    if report.derived.is_empty() {
        out.push(ok(
            "rules OK: every stored rule, citation and module says what its version's source says"
                .into(),
        ));
    } else {
        out.extend(
            report
                .derived
                .iter()
                .map(|p| bad(format!("rules NOT OK: {p}"))),
        );
    }
    if report.decision_versions.is_empty() {
        out.push(ok(
            "decisions' versions OK: every decision's version is in the store".into(),
        ));
    } else {
        out.extend(
            report
                .decision_versions
                .iter()
                .map(|p| bad(format!("decision's version GONE: {p}"))),
        );
    }
    out
}

/// The whole store: SQLite's integrity, every version's hash and derived
/// rows, every decision's version, the sign-offs, the log.
pub fn verify_store(store: &Store, options: &VerifyOptions) -> Result<LogReport> {
    let integrity = store.integrity_problems()?;
    // On a damaged file, what cannot be read is part of the report (exit
    // 1), not an error that hides the rest.
    let damaged = !integrity.is_empty();
    let mut report = match verify_log(store, options) {
        Ok(r) => r,
        Err(e) if damaged => LogReport {
            origin: String::new(),
            decisions: 0,
            root: merkle::empty_root(),
            broken: Some(Break::Unreadable {
                reason: e.to_string(),
            }),
            checkpoints_checked: 0,
            signatures_checked: false,
            extends_kept: None,
            consistency_proof: None,
            signed_size: 0,
            integrity: Vec::new(),
            versions: Vec::new(),
            derived: Vec::new(),
            decision_versions: Vec::new(),
            signoffs: Vec::new(),
        },
        Err(e) => return Err(e),
    };
    report.versions = match store.version_hash_problems() {
        Ok(v) => v,
        Err(e) if damaged => vec![format!("the stored versions cannot be read: {e}")],
        Err(e) => return Err(e),
    };
    report.derived = match crate::derived_check::derived_problems(store) {
        Ok(v) => v,
        Err(e) if damaged => vec![format!("the derived rows cannot be read: {e}")],
        Err(e) => return Err(e),
    };
    report.decision_versions = match store.decision_version_problems() {
        Ok(v) => v,
        Err(e) if damaged => vec![format!("the decisions' versions cannot be read: {e}")],
        Err(e) => return Err(e),
    };
    report.signoffs = match signoff_problems(store, &options.settings) {
        Ok(p) => p,
        Err(e) if damaged => vec![format!("the sign-offs cannot be read: {e}")],
        Err(e) => return Err(e),
    };
    report.integrity = integrity;
    Ok(report)
}

/// The fields of an event the record and columns are checked against; the
/// rest (the input) is skipped over, not built.
#[derive(Deserialize)]
struct EventFields {
    #[serde(default)]
    decision_id: serde_json::Value,
    #[serde(default)]
    path: serde_json::Value,
    #[serde(default)]
    timestamp: Option<serde_json::Value>,
    #[serde(default)]
    bundles: Option<serde_json::Value>,
    #[serde(default, deserialize_with = "present")]
    result: Option<serde_json::Value>,
}

/// A present field is `Some` whatever it holds (`null` included).
fn present<'de, D: serde::Deserializer<'de>>(
    d: D,
) -> std::result::Result<Option<serde_json::Value>, D::Error> {
    serde_json::Value::deserialize(d).map(Some)
}

/// A checkpoint the walk holds the log against, sorted by size.
struct Check {
    label: String,
    size: u64,
    root: Hash,
    kept: bool,
}

/// Walks the whole log in order.
pub fn verify_log(store: &Store, options: &VerifyOptions) -> Result<LogReport> {
    let conn = store.conn();
    let head = read_head(conn)?;
    let stored = store.checkpoints()?;
    let mut broken: Option<Break> = None;
    let mut checks = Vec::new();
    for cp in &stored {
        let label = format!(
            "the store's checkpoint #{} ({}, {})",
            cp.id, cp.reason, cp.created_at
        );
        if broken.is_none()
            && let Some(v) = &options.verifier
            && let Err(reason) = check_stored(cp, v, &head.origin)
        {
            broken = Some(Break::Forged {
                checkpoint: label.clone(),
                reason,
            });
        }
        checks.push(Check {
            label,
            size: cp.size,
            root: cp.root,
            kept: false,
        });
    }
    if let Some(kept) = &options.kept {
        if kept.checkpoint.origin != head.origin {
            return Err(Error::Check(format!(
                "{}: the checkpoint is of the log {}, this store's log is {}",
                kept.label, kept.checkpoint.origin, head.origin
            )));
        }
        checks.push(Check {
            label: kept.label.clone(),
            size: kept.checkpoint.size,
            root: kept.checkpoint.root,
            kept: true,
        });
    }
    // The kept checkpoint first among equals: it is the one asked about.
    checks.sort_by_key(|c| (c.size, !c.kept));
    let versions = version_labels(store)?;

    let mut stmt = conn.prepare(
        "SELECT seq, decision_id, path, timestamp, ts_ns, bundle_name, bundle_revision, version_id,
                policy_hash, outcome, source, event, rule_outcomes, leaf_hash
         FROM decisions ORDER BY seq",
    )?;
    let mut rows = stmt.query([])?;
    let mut nodes = conn.prepare("SELECT hash FROM log_nodes WHERE level = ?1 AND idx = ?2")?;
    let mut range = CompactRange::new();
    let mut next_check = 0usize;
    let mut matches_up_to = 0u64;
    let mut extends_kept = None;
    while broken.is_none()
        && let Some(r) = rows.next()?
    {
        let row = Row::read(r)?;
        let expected_seq = i64::try_from(range.size() + 1).unwrap_or(i64::MAX);
        if row.seq != expected_seq {
            broken = Some(Break::Deleted {
                seq: row.seq,
                decision_id: row.decision_id.clone(),
                missing: row.seq - expected_seq,
            });
            break;
        }
        if let Some(b) = check_row(&row) {
            broken = Some(b);
            break;
        }
        // A version_id that names no stored version (version missing): the
        // record is checked under the version its event names, the label
        // it was appended with, so one deleted version does not stop the
        // walk; `decision_version_problems` names every such decision.
        let missing_label;
        let label = match row.version_id.map(|v| versions.get(&v)) {
            None => None,
            Some(Some((l, _))) => Some(l.as_str()),
            Some(None) => {
                missing_label = row.event_label();
                missing_label.as_deref()
            }
        };
        let leaf = row.leaf(row.policy_hash.as_deref(), label, &row.source, row.seq);
        if row.leaf_hash != leaf {
            broken = Some(diagnose(&row, label, &versions));
            break;
        }
        let mut completed = Vec::new();
        range.append(leaf, |level, index, hash| {
            if level >= STORED_LEVEL {
                completed.push((level, index, *hash));
            }
        });
        for (level, index, hash) in completed {
            let stored: Option<Vec<u8>> = nodes
                .query_row(
                    rusqlite::params![level, i64::try_from(index).unwrap_or(i64::MAX)],
                    |r| r.get(0),
                )
                .ok();
            if stored.as_deref() != Some(&hash[..]) {
                broken = Some(Break::Node {
                    level,
                    index,
                    first: (index << level) + 1,
                    last: (index + 1) << level,
                });
            }
        }
        while broken.is_none()
            && next_check < checks.len()
            && checks[next_check].size == range.size()
        {
            let c = &checks[next_check];
            if c.root == range.root() {
                matches_up_to = c.size;
                if c.kept {
                    extends_kept = Some(c.size);
                }
            } else {
                broken = Some(rewritten(c, range.root(), matches_up_to, &row.decision_id));
            }
            next_check += 1;
        }
    }
    // Checkpoints of size 0, and those past the end of the log.
    while broken.is_none() && next_check < checks.len() {
        let c = &checks[next_check];
        if c.size == 0 && c.root != merkle::empty_root() {
            broken = Some(rewritten(c, merkle::empty_root(), 0, ""));
        } else if c.size > range.size() {
            broken = Some(Break::Removed {
                checkpoint: c.label.clone(),
                size: c.size,
                found: range.size(),
            });
        } else if c.kept {
            extends_kept = Some(c.size);
        }
        next_check += 1;
    }
    if broken.is_none() && (head.range != range) {
        broken = Some(Break::Head {
            expected: head.size(),
            found: range.size(),
        });
    }
    let signed_size = stored.iter().map(|c| c.size).max().unwrap_or(0);
    // The log extends the kept checkpoint: say so the RFC 9162 way too,
    // from the stored tree, and check the proof.
    let consistency_proof = match (&broken, extends_kept, &options.kept) {
        (None, Some(size), Some(kept)) if size > 0 => {
            let proof = store.consistency_proof(size, range.size())?;
            if let Err(e) = merkle::verify_consistency(
                size,
                range.size(),
                &kept.checkpoint.root,
                &range.root(),
                &proof,
            ) {
                broken = Some(Break::Rewritten {
                    checkpoint: format!("{} (consistency proof: {e})", kept.label),
                    size,
                    root: range.root(),
                    signed_root: kept.checkpoint.root,
                    matches_up_to: 0,
                    decision_id: None,
                });
            }
            Some(proof.iter().map(hex::encode).collect())
        }
        _ => None,
    };
    Ok(LogReport {
        origin: head.origin,
        decisions: range.size(),
        root: range.root(),
        broken,
        checkpoints_checked: stored.len(),
        signatures_checked: options.verifier.is_some(),
        extends_kept,
        consistency_proof,
        signed_size,
        integrity: Vec::new(),
        versions: Vec::new(),
        derived: Vec::new(),
        decision_versions: Vec::new(),
        signoffs: Vec::new(),
    })
}

/// The log differs from checkpoint `c`; `last_id` is the decision at its
/// size, named when the bound is that one position.
fn rewritten(c: &Check, root: Hash, matches_up_to: u64, last_id: &str) -> Break {
    Break::Rewritten {
        checkpoint: c.label.clone(),
        size: c.size,
        root,
        signed_root: c.root,
        matches_up_to,
        decision_id: (c.size == matches_up_to + 1 && !last_id.is_empty())
            .then(|| last_id.to_string()),
    }
}

/// A stored checkpoint: its note signed by the log key, and saying what
/// its row says.
fn check_stored(
    cp: &StoredCheckpoint,
    verifier: &NoteVerifier,
    origin: &str,
) -> std::result::Result<(), String> {
    let note = parse_note(&cp.note).map_err(|e| format!("line {}: {}", e.line, e.message))?;
    verify_note(&note, verifier)?;
    let body =
        Checkpoint::parse(&note.text).map_err(|e| format!("line {}: {}", e.line, e.message))?;
    if body.origin != origin || body.size != cp.size || body.root != cp.root {
        return Err("its note says another origin, size or root than its row".into());
    }
    Ok(())
}

/// Every stored version: id -> (`name@version`, content hash).
fn version_labels(store: &Store) -> Result<HashMap<i64, (String, String)>> {
    let mut stmt = store.conn().prepare(
        "SELECT v.id, b.name || '@' || v.version, v.content_hash FROM versions v JOIN bundles b ON b.id = v.bundle_id",
    )?;
    let rows = stmt
        .query_map([], |r| Ok((r.get(0)?, (r.get(1)?, r.get(2)?))))?
        .collect::<rusqlite::Result<_>>()?;
    Ok(rows)
}

struct Row {
    seq: i64,
    decision_id: String,
    path: String,
    timestamp: String,
    ts_ns: i64,
    bundle_name: Option<String>,
    bundle_revision: Option<String>,
    version_id: Option<i64>,
    policy_hash: Option<String>,
    outcome: String,
    source: String,
    event: String,
    rule_outcomes: Option<Vec<crate::engine::RuleOutcome>>,
    /// Its rule outcomes text did not parse (reported before any hash).
    rule_outcomes_error: Option<String>,
    leaf_hash: Vec<u8>,
    event_sha256: String,
}

impl Row {
    fn read(r: &rusqlite::Row) -> Result<Row> {
        let event = r.get::<_, Option<String>>(11)?.unwrap_or_default();
        let rule_text: Option<String> = r.get(12)?;
        let (rule_outcomes, rule_outcomes_error) =
            match rule_text.as_deref().map(serde_json::from_str) {
                None => (None, None),
                Some(Ok(r)) => (Some(r), None),
                Some(Err(e)) => (None, Some(e.to_string())),
            };
        Ok(Row {
            seq: r.get(0)?,
            decision_id: r.get(1)?,
            path: r.get(2)?,
            timestamp: r.get(3)?,
            ts_ns: r.get(4)?,
            bundle_name: r.get(5)?,
            bundle_revision: r.get(6)?,
            version_id: r.get(7)?,
            policy_hash: r.get(8)?,
            outcome: r.get(9)?,
            source: r.get(10)?,
            event_sha256: event_sha256(&event),
            event,
            rule_outcomes,
            rule_outcomes_error,
            leaf_hash: r.get::<_, Option<Vec<u8>>>(13)?.unwrap_or_default(),
        })
    }

    /// `name@revision` of the bundle its event names: the label of the
    /// version it was appended with (import and eval both link the version
    /// of that name and revision).
    fn event_label(&self) -> Option<String> {
        match (&self.bundle_name, &self.bundle_revision) {
            (Some(n), Some(r)) => Some(format!("{n}@{r}")),
            _ => None,
        }
    }

    /// The leaf hash of this row's record, with these values for the
    /// fields the event does not hold.
    fn leaf(
        &self,
        policy_hash: Option<&str>,
        version: Option<&str>,
        source: &str,
        position: i64,
    ) -> Hash {
        let text = RecordFields {
            event_sha256: &self.event_sha256,
            outcome: &self.outcome,
            policy_hash,
            position: u64::try_from(position).unwrap_or(0),
            rule_outcomes: self.rule_outcomes.as_deref(),
            source,
            version,
        }
        .to_text();
        merkle::leaf_hash(text.as_bytes())
    }
}

/// Positions tried for a moved row, either side of where it sits.
const MOVED_WINDOW: i64 = 64;

/// Why a row no longer hashes to its leaf: the one column (of those the
/// event does not hold) whose other value makes it hash again, else edited.
fn diagnose(row: &Row, label: Option<&str>, versions: &HashMap<i64, (String, String)>) -> Break {
    let id = row.decision_id.clone();
    let matches =
        |policy_hash: Option<&str>, version: Option<&str>, source: &str, position: i64| {
            row.leaf_hash == row.leaf(policy_hash, version, source, position)
        };
    let column = |column: &str, stored: String, recorded: String| Break::Column {
        seq: row.seq,
        decision_id: id.clone(),
        column: column.to_string(),
        stored,
        recorded,
    };
    let current = row.policy_hash.as_deref();
    // The version link and the policy hash: every stored version, the one
    // the event names (it may be missing from the store), or none.
    let mut labels: Vec<Option<&str>> = vec![None];
    labels.extend(versions.values().map(|(l, _)| Some(l.as_str())));
    let event_label = row.event_label();
    let is_stored = |l: &str| versions.values().any(|(s, _)| s == l);
    if let Some(l) = event_label.as_deref()
        && !is_stored(l)
    {
        labels.push(Some(l));
    }
    let mut hashes: Vec<Option<&str>> = vec![None, current];
    hashes.extend(versions.values().map(|(_, h)| Some(h.as_str())));
    for candidate_label in &labels {
        for candidate_hash in &hashes {
            if (*candidate_label, *candidate_hash) == (label, current)
                || !matches(*candidate_hash, *candidate_label, &row.source, row.seq)
            {
                continue;
            }
            return if *candidate_label != label {
                let stored = match row.version_id.map(|v| (v, versions.get(&v))) {
                    None => "(none)".to_string(),
                    Some((v, None)) => {
                        format!("#{v} (version missing: no stored version has that id)")
                    }
                    Some((_, Some((l, _)))) => format!("'{l}'"),
                };
                let recorded = match candidate_label {
                    Some(l) if !is_stored(l) => {
                        format!("'{l}' (version missing: not in the store)")
                    }
                    other => show(*other),
                };
                column("version_id", stored, recorded)
            } else {
                column("policy_hash", show(current), show(*candidate_hash))
            };
        }
    }
    for other in ["eval", "import", "serve"] {
        if other != row.source && matches(current, label, other, row.seq) {
            return column("source", show(Some(&row.source)), show(Some(other)));
        }
    }
    for position in (row.seq - MOVED_WINDOW).max(1)..=row.seq + MOVED_WINDOW {
        if position != row.seq && matches(current, label, &row.source, position) {
            return Break::Moved {
                seq: row.seq,
                decision_id: id,
                appended_at: u64::try_from(position).unwrap_or(0),
            };
        }
    }
    Break::Edited {
        seq: row.seq,
        decision_id: id,
    }
}

fn show(v: Option<&str>) -> String {
    v.map_or("(none)".into(), |s| format!("'{s}'"))
}

/// The first thing wrong with one decision's event and the columns it also
/// holds.
fn check_row(row: &Row) -> Option<Break> {
    let (seq, id) = (row.seq, row.decision_id.clone());
    let unparsable = |what: String| {
        Some(Break::Unparsable {
            seq,
            decision_id: id.clone(),
            what,
        })
    };
    if let Some(e) = &row.rule_outcomes_error {
        return unparsable(format!("its rule outcomes cannot be read: {e}"));
    }
    let event: EventFields = match serde_json::from_str(&row.event) {
        Ok(e) => e,
        Err(e) => return unparsable(format!("its event is not a decision event: {e}")),
    };
    let column = |column: &str, stored: String, recorded: String| {
        Some(Break::Column {
            seq,
            decision_id: id.clone(),
            column: column.to_string(),
            stored,
            recorded,
        })
    };
    let event_id = event.decision_id.as_str().unwrap_or("");
    if row.decision_id != event_id {
        return column(
            "decision_id",
            show(Some(&row.decision_id)),
            show(Some(event_id)),
        );
    }
    let event_path = event.path.as_str().unwrap_or("");
    if row.path != event_path {
        return column("path", show(Some(&row.path)), show(Some(event_path)));
    }
    let event_timestamp = event
        .timestamp
        .as_ref()
        .map(|t| t.as_str().unwrap_or("").to_string())
        .unwrap_or_default();
    if row.timestamp != event_timestamp {
        return column(
            "timestamp",
            show(Some(&row.timestamp)),
            show(Some(&event_timestamp)),
        );
    }
    let ts_ns = crate::engine::clock::parse_rfc3339_ns(&event_timestamp).unwrap_or(0);
    if row.ts_ns != ts_ns {
        return column("ts_ns", row.ts_ns.to_string(), ts_ns.to_string());
    }
    let bundle = crate::replay::subject::first_bundle(event.bundles.as_ref());
    let (name, revision) = bundle.unzip();
    if row.bundle_name != name {
        return column(
            "bundle_name",
            show(row.bundle_name.as_deref()),
            show(name.as_deref()),
        );
    }
    if row.bundle_revision != revision {
        return column(
            "bundle_revision",
            show(row.bundle_revision.as_deref()),
            show(revision.as_deref()),
        );
    }
    let outcome = outcome_of(event.result.as_ref());
    if row.outcome != outcome {
        return column("outcome", show(Some(&row.outcome)), show(Some(&outcome)));
    }
    None
}
