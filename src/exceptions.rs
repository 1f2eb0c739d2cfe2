//! Exceptions: a logged override of one decision's outcome, with an owner
//! and a time by which it must be followed up (48 hours after it is logged
//! unless `--due` or the config says otherwise). An unresolved exception
//! past its due time is overdue. Time comes in as a value (`now`).

use chrono::{DateTime, Utc};
use serde::Serialize;

use crate::certify::{check_text, human_duration, parse_time, stamp};
use crate::error::{Error, Result};
use crate::store::Store;
use crate::store::exceptions::{ExceptionFilter, ExceptionRow, NewException};

/// Where an exception stands at a given time.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum State {
    /// Unresolved, not yet due.
    Open,
    /// Unresolved past its due time.
    Overdue,
    /// Resolved by its due time.
    Resolved,
    /// Resolved after its due time.
    ResolvedLate,
}

impl State {
    pub fn as_str(self) -> &'static str {
        match self {
            State::Open => "open",
            State::Overdue => "OVERDUE",
            State::Resolved => "resolved",
            State::ResolvedLate => "resolved late",
        }
    }

    /// A glyph, so the state never rests on colour.
    pub fn glyph(self) -> &'static str {
        match self {
            State::Open => "●",
            State::Overdue => "!",
            State::Resolved => "✓",
            State::ResolvedLate => "✓",
        }
    }

    pub fn is_open(self) -> bool {
        matches!(self, State::Open | State::Overdue)
    }
}

/// An exception with where it stands at `now`.
#[derive(Debug, Clone, Serialize)]
pub struct Exception {
    #[serde(flatten)]
    pub row: ExceptionRow,
    pub state: State,
    /// `due in 47h 59m`, `overdue by 2d 3h`, `resolved 3h before due`...
    pub timing: String,
}

impl Exception {
    pub fn at(row: ExceptionRow, now: DateTime<Utc>) -> Exception {
        let due = parse_time("due_at", &row.due_at).ok();
        let (state, timing) = match (&row.resolution, due) {
            (Some(r), Some(due)) => {
                let at = parse_time("resolved_at", &r.resolved_at).unwrap_or(now);
                // A time GAVEL_NOW set is never passed off as the clock's.
                let pinned = if r.clock.is_some() {
                    " (time set by GAVEL_NOW)"
                } else {
                    ""
                };
                if at > due {
                    (
                        State::ResolvedLate,
                        format!("resolved {} after due{pinned}", human_duration(at - due)),
                    )
                } else {
                    (
                        State::Resolved,
                        format!("resolved {} before due{pinned}", human_duration(due - at)),
                    )
                }
            }
            (Some(_), None) => (State::Resolved, "resolved".into()),
            (None, Some(due)) if now > due => (
                State::Overdue,
                format!("overdue by {}", human_duration(now - due)),
            ),
            (None, Some(due)) => (State::Open, format!("due in {}", human_duration(due - now))),
            // An unreadable due time cannot be shown as met.
            (None, None) => (State::Overdue, "due time unreadable".into()),
        };
        Exception { row, state, timing }
    }

    /// Every field whole, labelled, as `gavel exceptions show` prints them
    /// and the workbench's detail view shows them (not escaped).
    pub fn fields(&self) -> Vec<(&'static str, String)> {
        let r = &self.row;
        let pinned = |clock: &Option<String>| {
            if clock.is_some() {
                " (set by GAVEL_NOW)"
            } else {
                ""
            }
        };
        let mut fields: Vec<(&'static str, String)> = vec![
            ("exception", format!("#{}", r.id)),
            (
                "state",
                format!("{} {}", self.state.glyph(), self.state.as_str()),
            ),
            ("decision", r.decision_id.clone()),
            (
                "version",
                r.version.clone().unwrap_or_else(|| "(not stored)".into()),
            ),
            ("path", r.path.clone()),
            ("override", self.override_label()),
            ("reason", r.reason.clone()),
            ("owner", r.owner.clone()),
            ("logged", format!("{}{}", r.created_at, pinned(&r.clock))),
            ("due", format!("{} ({})", r.due_at, self.timing)),
        ];
        if let Some(res) = &r.resolution {
            fields.push((
                "resolved",
                format!("{}{}", res.resolved_at, pinned(&res.clock)),
            ));
            if let Some(by) = &res.resolved_by {
                fields.push(("resolved by", by.clone()));
            }
            fields.push(("note", res.note.clone()));
        }
        fields
    }

    /// `BLOCK → APPROVE` or `BLOCK overridden`.
    pub fn override_label(&self) -> String {
        match &self.row.granted_outcome {
            Some(g) => format!("{} → {g}", self.row.original_outcome),
            None => format!("{} overridden", self.row.original_outcome),
        }
    }
}

/// What `gavel exceptions add` asks for.
#[derive(Debug, Clone)]
pub struct NewRequest<'a> {
    pub decision_id: &'a str,
    pub reason: &'a str,
    pub owner: &'a str,
    /// The outcome the exception grants instead of the decision's.
    pub granted_outcome: Option<&'a str>,
    pub due: chrono::Duration,
    pub now: crate::certify::Clock,
}

/// Logs an exception on a stored decision. Refused when the decision is not
/// stored, or already has an unresolved exception.
pub fn add(store: &Store, req: &NewRequest) -> Result<Exception> {
    let reason = check_text("--reason", req.reason)?;
    let owner = check_text("--owner", req.owner)?;
    let granted = req
        .granted_outcome
        .map(|o| check_text("--outcome", o))
        .transpose()?;
    let Some((seq, rec)) = store.get_decision(req.decision_id)? else {
        return Err(Error::NotFound(format!(
            "no decision {} in the store (see `gavel decisions list`)",
            req.decision_id
        )));
    };
    if let Some(g) = &granted {
        let known = outcomes_of(store, &rec.outcome, rec.version_id)?;
        if !known.contains(g) {
            return Err(Error::Invalid(format!(
                "--outcome '{}': not an outcome this decision's policy gives (it gives {})",
                g.escape_debug(),
                known.join(", ")
            )));
        }
    }
    if let Some(g) = &granted
        && *g == rec.outcome
    {
        return Err(Error::Invalid(format!(
            "decision {}: its outcome is already {g}; an exception overrides an outcome",
            req.decision_id
        )));
    }
    let open = store.list_exceptions(&ExceptionFilter {
        open_only: true,
        decision_seq: Some(seq),
        ..ExceptionFilter::default()
    })?;
    if let Some(e) = open.first() {
        return Err(Error::Conflict(format!(
            "decision {} already has open exception #{} (owner {}, due {}): resolve it first",
            req.decision_id, e.id, e.owner, e.due_at
        )));
    }
    let created_at = stamp(req.now.now);
    let due_at = stamp(req.now.now + req.due);
    let id = store.insert_exception(&NewException {
        decision_seq: seq,
        original_outcome: &rec.outcome,
        granted_outcome: granted.as_deref(),
        reason: &reason,
        owner: &owner,
        created_at: &created_at,
        due_at: &due_at,
        clock: req.now.pinned.then_some(crate::certify::CLOCK_PINNED),
    })?;
    get(store, id, req.now.now)
}

/// Gavel's decision shape's outcome words.
const SHAPE_OUTCOMES: [&str; 4] = ["APPROVE", "APPROVE_WITH_AUDIT", "BLOCK", "ESCALATE"];

/// The outcomes an exception may grant on a decision whose outcome is
/// `outcome`: the words of its kind of policy (Gavel's decision shape, or
/// allow / deny), and every outcome the version's stored decisions have.
/// `add` checks `--outcome` against it; the workbench offers it.
pub fn outcomes_of(store: &Store, outcome: &str, version_id: Option<i64>) -> Result<Vec<String>> {
    let mut known: Vec<String> = if SHAPE_OUTCOMES.contains(&outcome) {
        SHAPE_OUTCOMES.iter().map(|o| o.to_string()).collect()
    } else if ["allow", "deny", "undefined"].contains(&outcome) {
        vec!["allow".into(), "deny".into()]
    } else {
        Vec::new()
    };
    if let Some(id) = version_id {
        for o in store.outcomes_of_version(id)? {
            if !known.contains(&o) {
                known.push(o);
            }
        }
    }
    known.sort();
    Ok(known)
}

/// Resolves an exception with a follow-up note.
pub fn resolve(
    store: &Store,
    id: i64,
    note: &str,
    by: Option<&str>,
    now: crate::certify::Clock,
) -> Result<Exception> {
    let note = check_text("--note", note)?;
    let by = by.map(|b| check_text("--by", b)).transpose()?;
    store.resolve_exception(
        id,
        &note,
        by.as_deref(),
        &stamp(now.now),
        now.pinned.then_some(crate::certify::CLOCK_PINNED),
    )?;
    get(store, id, now.now)
}

pub fn get(store: &Store, id: i64, now: DateTime<Utc>) -> Result<Exception> {
    store
        .get_exception(id)?
        .map(|r| Exception::at(r, now))
        .ok_or_else(|| {
            Error::NotFound(format!(
                "exception #{id}: not in the store (see `gavel exceptions list`)"
            ))
        })
}

/// Exceptions as a filter selects them, with their state at `now`.
pub fn list(store: &Store, filter: &ExceptionFilter, now: DateTime<Utc>) -> Result<Vec<Exception>> {
    Ok(store
        .list_exceptions(filter)?
        .into_iter()
        .map(|r| Exception::at(r, now))
        .collect())
}

/// The exceptions of one decision, newest first (for decision and replay views).
pub fn of_decision(store: &Store, decision_id: &str, now: DateTime<Utc>) -> Result<Vec<Exception>> {
    let Some((seq, _)) = store.get_decision(decision_id)? else {
        return Ok(Vec::new());
    };
    let mut out = list(
        store,
        &ExceptionFilter {
            decision_seq: Some(seq),
            ..ExceptionFilter::default()
        },
        now,
    )?;
    out.reverse();
    Ok(out)
}

/// How many exceptions are overdue at `now`.
pub fn overdue_count(store: &Store, now: DateTime<Utc>) -> Result<u64> {
    store.count_overdue_exceptions(&stamp(now))
}

/// Reads an exception id as a user writes it: `3` or `#3`.
pub fn parse_id(s: &str) -> Result<i64> {
    s.trim()
        .trim_start_matches('#')
        .parse::<i64>()
        .ok()
        .filter(|n| *n > 0)
        .ok_or_else(|| {
            Error::Invalid(format!(
                "'{}': an exception id is a number, e.g. 3 (see `gavel exceptions list`)",
                s.escape_debug()
            ))
        })
}
