//! Screen 7, Certify: every version with its certification (`✓` certified,
//! `◐` partially signed with the roles missing, `○` draft); the selected
//! version's required roles and sign-offs with their signature checks, its
//! last test run and replay evidence, and what would refuse a sign-off
//! today; and the exceptions (overdue first).
//!
//! Every field is checked when it is entered, by the core's own checks:
//! `c` says first what refuses any sign-off of the version (the evidence),
//! then offers the required roles (a signed one is refused when picked),
//! checks the signer against the allowed_signers file, then asks for a
//! statement. `x` logs an exception (decision, reason, owner, the outcome
//! it grants from those its policy gives, due time), `v` resolves the
//! selected one (note, who), `Enter` shows it whole. The auditor's `p`
//! (packet), `e` (decision export) and `V` (verify) run as jobs through the
//! code `gavel packet`, `gavel decisions export` and `gavel verify` use.

use std::path::PathBuf;

use chrono::{DateTime, Utc};
use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Wrap};

use super::{Ctx, Effect, Pick, Prompt};
use crate::certify::{
    Certification, CertifyOutcome, Evidence, KeyChoice, Settings, SignRequest, SignerCheck, Status,
    certification_of, certify, check_role, check_text, choose_signer, parse_duration, pct,
    refusals_before_signing, signer_refusals, statuses,
};
use crate::exceptions::{Exception, NewRequest, State};
use crate::store::VersionRef;
use crate::store::exceptions::ExceptionFilter;
use crate::tui::action::Action;
use crate::tui::draw::View;
use crate::tui::jobs::{JobOutput, JobRequest};
use crate::tui::theme::Slot;
use crate::tui::widgets::list::Cursor;
use crate::tui::widgets::{pane, safe, truncate};

/// `2026-11-22 10:31` from RFC 3339 text.
fn short_time(t: &str) -> String {
    t.get(..16)
        .map_or_else(|| t.to_string(), |s| s.replace('T', " "))
}

/// `sha256:1a2b3c4d5e6f`.
fn short_hash(h: &str) -> String {
    match h.strip_prefix("sha256:") {
        Some(hex) => format!("sha256:{}", hex.get(..12).unwrap_or(hex)),
        None => h.to_string(),
    }
}

/// What shows over the panes: an exception in full, or the store's
/// verify report.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Panel {
    Exception(i64),
    Verify,
}

/// The last verify report: whether the store passed, and its lines (each
/// with whether it states a problem).
#[derive(Debug, Clone)]
struct VerifyView {
    ok: bool,
    lines: Vec<(bool, String)>,
}

/// How many of a version's decisions the exception picker lists.
const DECISIONS_PICKED: usize = 500;

/// The label column of the exception view.
const LABEL_W: usize = 12;

/// Text cut into lines of at most `width` columns, at spaces where it can
/// be (a word longer than a line is cut where the line ends).
fn wrap(text: &str, width: usize) -> Vec<String> {
    use unicode_width::{UnicodeWidthChar, UnicodeWidthStr};
    let mut lines = Vec::new();
    let mut line = String::new();
    for word in text.split(' ') {
        let mut word = word.to_string();
        loop {
            let used = line.width();
            let gap = usize::from(!line.is_empty());
            if used + gap + word.width() <= width {
                if gap == 1 {
                    line.push(' ');
                }
                line.push_str(&word);
                break;
            }
            if !line.is_empty() {
                lines.push(std::mem::take(&mut line));
                continue;
            }
            // A word wider than a line: as much as fits, the rest next.
            let (mut cut, mut rest) = (String::new(), String::new());
            for c in word.chars() {
                let fits = cut.width() + c.width().unwrap_or(0) <= width;
                if rest.is_empty() && (fits || cut.is_empty()) {
                    cut.push(c);
                } else {
                    rest.push(c);
                }
            }
            word = rest;
            lines.push(cut);
            if word.is_empty() {
                break;
            }
        }
    }
    if !line.is_empty() || lines.is_empty() {
        lines.push(line);
    }
    lines
}

/// `NAME-VERSION-packet.md`, in the current directory, with nothing in it
/// a file name should not hold.
fn packet_file_name(name: &str, version: &str) -> String {
    format!("{name}-{version}-packet.md")
        .chars()
        .map(|c| {
            if c.is_alphanumeric() || matches!(c, '-' | '_' | '.' | '+') {
                c
            } else {
                '_'
            }
        })
        .collect()
}

/// The required roles to sign `version` off as: those still to sign first,
/// then those signed (marked, and refused when picked).
fn role_picker(version: VersionRef, c: &Certification) -> Effect {
    let mut roles = c.missing_roles.clone();
    roles.extend(c.signed_roles.iter().cloned());
    let w = roles.iter().map(|r| r.chars().count()).max().unwrap_or(0);
    let items = roles
        .iter()
        .map(
            |r| match c.signoffs.iter().find(|s| s.valid && s.row.role == *r) {
                Some(s) => format!(
                    "✓ {r:<w$}  signed by {} (sign-off #{}): not again",
                    s.row.signer, s.row.id
                ),
                None => {
                    let invalid = c
                        .signoffs
                        .iter()
                        .filter(|s| !s.valid && s.row.role == *r)
                        .count();
                    if invalid > 0 {
                        format!("○ {r:<w$}  to sign ({invalid} invalid sign-off before)")
                    } else {
                        format!("○ {r:<w$}  to sign")
                    }
                }
            },
        )
        .collect();
    Effect::OpenPicker {
        title: format!("sign off {version} as"),
        items,
        pick: Pick::CertifyRole { version, roles },
    }
}

fn signer_prompt(version: VersionRef, role: String, initial: String) -> Effect {
    Effect::OpenPrompt {
        title: format!(
            "sign off {version} as {role}: signer (Enter: the one allowed_signers lists for your key)"
        ),
        initial,
        prompt: Prompt::CertifySigner { version, role },
    }
}

fn reason_prompt(decision_id: String, initial: String) -> Effect {
    Effect::OpenPrompt {
        title: format!("exception on {decision_id}: reason"),
        initial,
        prompt: Prompt::ExceptionReason { decision_id },
    }
}

fn owner_prompt(decision_id: String, reason: String, initial: String) -> Effect {
    Effect::OpenPrompt {
        title: format!("exception on {decision_id}: owner who follows it up"),
        initial,
        prompt: Prompt::ExceptionOwner {
            decision_id,
            reason,
        },
    }
}

/// The outcomes the decision's policy can give (as `gavel exceptions add
/// --outcome` checks them), but its own; then none (overridden only).
fn outcome_picker(
    ctx: &Ctx,
    decision_id: String,
    reason: String,
    owner: String,
) -> crate::Result<Effect> {
    let Some((_, rec)) = ctx.store.get_decision(&decision_id)? else {
        return Err(crate::Error::NotFound(format!(
            "no decision {decision_id} in the store"
        )));
    };
    let mut outcomes: Vec<Option<String>> =
        crate::exceptions::outcomes_of(ctx.store, &rec.outcome, rec.version_id)?
            .into_iter()
            .filter(|o| *o != rec.outcome)
            .map(Some)
            .collect();
    outcomes.push(None);
    let items = outcomes
        .iter()
        .map(|o| match o {
            Some(o) => format!("{} → {o}", rec.outcome),
            None => format!("{} overridden, no outcome granted", rec.outcome),
        })
        .collect();
    Ok(Effect::OpenPicker {
        title: format!("exception on {decision_id}: outcome it grants"),
        items,
        pick: Pick::ExceptionOutcome {
            decision_id,
            reason,
            owner,
            outcomes,
        },
    })
}

fn due_prompt(
    decision_id: String,
    reason: String,
    owner: String,
    outcome: Option<String>,
    initial: String,
) -> Effect {
    Effect::OpenPrompt {
        title: format!("exception on {decision_id}: due after (48h, 2d, 1d12h, 90m, 1w)"),
        initial,
        prompt: Prompt::ExceptionDue {
            decision_id,
            reason,
            owner,
            outcome,
        },
    }
}

fn resolver_prompt(id: i64, note: String, initial: String) -> Effect {
    Effect::OpenPrompt {
        title: format!("resolve exception #{id}: resolved by (Enter for no name)"),
        initial,
        prompt: Prompt::ResolveBy { id, note },
    }
}

/// The selected version's evidence and certification.
#[derive(Debug, Clone)]
struct Loaded {
    version_id: i64,
    evidence: Evidence,
    certification: Certification,
}

#[derive(Default)]
pub struct CertifyScreen {
    versions: Cursor,
    exceptions_cursor: Cursor,
    /// 0 versions, 1 certification (scrolls), 2 exceptions.
    focus: usize,
    detail_scroll: usize,
    /// One per version, in the app's version order.
    statuses: Vec<Certification>,
    loaded: Option<Loaded>,
    exceptions: Vec<Exception>,
    error: Option<String>,
    /// `[certification]` of the config file.
    pub settings: Settings,
    /// The clock, for tests and `GAVEL_NOW`; the wall clock when `None`.
    pub now_override: Option<DateTime<Utc>>,
    /// The signer's key file; `SignerKey::default_path()` when `None`.
    pub key_file: Option<PathBuf>,
    /// An exception in full or the verify report, over the panes.
    panel: Option<Panel>,
    panel_scroll: usize,
    verify: Option<VerifyView>,
}

impl CertifyScreen {
    pub fn now(&self) -> DateTime<Utc> {
        self.now_override.unwrap_or_else(Utc::now)
    }

    /// Now, for a record: pinned when `now_override` is set.
    fn clock(&self) -> crate::certify::Clock {
        match self.now_override {
            Some(t) => crate::certify::Clock::pinned(t),
            None => crate::certify::Clock {
                now: Utc::now(),
                pinned: false,
            },
        }
    }

    pub fn reload(&mut self, ctx: &Ctx) -> Vec<Effect> {
        self.versions.clamp(ctx.versions.len());
        self.error = None;
        match statuses(ctx.store, ctx.versions, &self.settings) {
            Ok(s) => self.statuses = s,
            Err(e) => {
                self.statuses.clear();
                self.error = Some(format!("{e}"));
            }
        }
        self.load_exceptions(ctx);
        self.loaded = None;
        self.load_selected(ctx);
        Vec::new()
    }

    fn load_exceptions(&mut self, ctx: &Ctx) {
        match crate::exceptions::list(ctx.store, &ExceptionFilter::default(), self.now()) {
            Ok(mut list) => {
                let rank = |s: State| match s {
                    State::Overdue => 0,
                    State::Open => 1,
                    State::ResolvedLate => 2,
                    State::Resolved => 3,
                };
                list.sort_by_key(|e| (rank(e.state), std::cmp::Reverse(e.row.id)));
                self.exceptions = list;
            }
            Err(e) => {
                self.exceptions.clear();
                self.error = Some(format!("{e}"));
            }
        }
        self.exceptions_cursor.clamp(self.exceptions.len());
    }

    fn load_selected(&mut self, ctx: &Ctx) {
        let Some(v) = ctx.versions.get(self.versions.selected) else {
            self.loaded = None;
            return;
        };
        if self.loaded.as_ref().is_some_and(|l| l.version_id == v.id) {
            return;
        }
        let result = Evidence::gather(ctx.store, v, &self.settings).and_then(|evidence| {
            Ok(Loaded {
                version_id: v.id,
                certification: crate::certify::certification_of(ctx.store, v, &self.settings)?,
                evidence,
            })
        });
        match result {
            Ok(l) => self.loaded = Some(l),
            Err(e) => {
                self.loaded = None;
                self.error = Some(format!("{e}"));
            }
        }
    }

    /// The selected version's certification (tests and the detail pane).
    pub fn selected_certification(&self) -> Option<&Certification> {
        self.loaded.as_ref().map(|l| &l.certification)
    }

    /// The status of every version, in the app's order.
    pub fn statuses(&self) -> &[Certification] {
        &self.statuses
    }

    pub fn exceptions(&self) -> &[Exception] {
        &self.exceptions
    }

    pub fn overdue(&self) -> usize {
        self.exceptions
            .iter()
            .filter(|e| e.state == State::Overdue)
            .count()
    }

    /// The index of the version the cursor is on.
    pub fn selected_version_index(&self) -> usize {
        self.versions.selected
    }

    /// Puts the cursor on version `index` (the one chosen on another tab).
    pub fn follow_version(&mut self, index: usize, ctx: &Ctx) {
        if index == self.versions.selected || index >= ctx.versions.len() {
            return;
        }
        self.versions.selected = index;
        self.detail_scroll = 0;
        self.load_selected(ctx);
    }

    pub fn handle(&mut self, action: Action, ctx: &Ctx) -> Vec<Effect> {
        if self.panel.is_some() {
            match action {
                Action::Back | Action::Select => {
                    self.panel = None;
                    return Vec::new();
                }
                Action::Down => self.panel_scroll += 1,
                Action::Up => self.panel_scroll = self.panel_scroll.saturating_sub(1),
                Action::PageDown => self.panel_scroll += 10,
                Action::PageUp => self.panel_scroll = self.panel_scroll.saturating_sub(10),
                Action::Top => self.panel_scroll = 0,
                // The draw clamps it to the last page.
                Action::Bottom => self.panel_scroll = usize::from(u16::MAX),
                // Anything else closes the view and does what it does.
                _ => {
                    self.panel = None;
                    return self.handle(action, ctx);
                }
            }
            return Vec::new();
        }
        match action {
            Action::NextPane => self.focus = (self.focus + 1) % 3,
            Action::PrevPane => self.focus = (self.focus + 2) % 3,
            Action::Right | Action::Select if self.focus < 2 => self.focus += 1,
            Action::Select => {
                let Some(e) = self.exceptions.get(self.exceptions_cursor.selected) else {
                    return vec![Effect::Error("no exception to show".into())];
                };
                self.panel = Some(Panel::Exception(e.row.id));
                self.panel_scroll = 0;
            }
            Action::Left | Action::Back if self.focus > 0 => self.focus -= 1,
            Action::Certify => return self.start_sign_off(ctx),
            Action::AddException => return self.decision_picker(ctx),
            Action::ResolveException => {
                let Some(e) = self
                    .exceptions
                    .get(self.exceptions_cursor.selected)
                    .filter(|e| e.state.is_open())
                else {
                    return vec![Effect::Error(
                        "select an open exception (Tab to the exceptions pane)".into(),
                    )];
                };
                return vec![Effect::OpenPrompt {
                    title: format!("resolve exception #{}: follow-up note", e.row.id),
                    initial: String::new(),
                    prompt: Prompt::ResolveException { id: e.row.id },
                }];
            }
            Action::WritePacket => {
                let Some(v) = ctx.versions.get(self.versions.selected) else {
                    return vec![Effect::Error("no version to write a packet of".into())];
                };
                return vec![Effect::OpenPrompt {
                    title: format!(
                        "certification packet of {}: file (.md, .html or .json)",
                        v.reference()
                    ),
                    initial: packet_file_name(&v.name, &v.version),
                    prompt: Prompt::PacketPath {
                        version: v.reference(),
                    },
                }];
            }
            Action::ExportDecisions => {
                return vec![Effect::OpenPrompt {
                    title: "export every stored decision to (JSONL file)".into(),
                    initial: "gavel-decisions.jsonl".into(),
                    prompt: Prompt::ExportPath,
                }];
            }
            Action::VerifyStore => {
                return vec![Effect::Start(JobRequest::Verify {
                    settings: Box::new(self.settings.clone()),
                })];
            }
            a => match self.focus {
                0 => {
                    let before = self.versions.selected;
                    self.versions.apply(a, ctx.versions.len());
                    if before != self.versions.selected {
                        self.detail_scroll = 0;
                        self.load_selected(ctx);
                    }
                }
                1 => {
                    self.detail_scroll = match a {
                        Action::Down => self.detail_scroll + 1,
                        Action::Up => self.detail_scroll.saturating_sub(1),
                        Action::PageDown => self.detail_scroll + 10,
                        Action::PageUp => self.detail_scroll.saturating_sub(10),
                        Action::Top => 0,
                        _ => self.detail_scroll,
                    }
                }
                _ => {
                    self.exceptions_cursor.apply(a, self.exceptions.len());
                }
            },
        }
        Vec::new()
    }

    /// `c`: what refuses any sign-off of the selected version is said
    /// before a prompt opens; else the required roles to pick from.
    fn start_sign_off(&mut self, ctx: &Ctx) -> Vec<Effect> {
        let Some(v) = ctx.versions.get(self.versions.selected) else {
            return vec![Effect::Error("no version to sign off".into())];
        };
        let version = v.reference();
        let refusals = match refusals_before_signing(ctx.store, v, &self.settings, self.clock()) {
            Ok(r) => r,
            Err(e) => return vec![Effect::Error(format!("{e}"))],
        };
        if !refusals.is_empty() {
            return vec![Effect::Error(format!(
                "cannot sign off {version} yet: {} (here: tab 2 runs the suite, tab 4 replays the decisions)",
                refusals.join("; ")
            ))];
        }
        let c = match certification_of(ctx.store, v, &self.settings) {
            Ok(c) => c,
            Err(e) => return vec![Effect::Error(format!("{e}"))],
        };
        if c.missing_roles.is_empty() {
            return vec![Effect::Message(format!(
                "{version} is certified: every required role ({}) has signed",
                c.required_roles.join(", ")
            ))];
        }
        vec![role_picker(version, &c)]
    }

    /// The certification of a version named in a prompt, as it stands now.
    fn certification(&self, ctx: &Ctx, version: &VersionRef) -> crate::Result<Certification> {
        let v = ctx.store.find_version(version)?;
        certification_of(ctx.store, &v, &self.settings)
    }

    /// The key sign-offs from here use.
    fn key_choice(&self) -> crate::Result<KeyChoice> {
        match self.key_file.clone() {
            Some(path) => Ok(KeyChoice::Named(path)),
            None => KeyChoice::from_option(None),
        }
    }

    /// Who signs (`text`, or the one principal allowed_signers lists for
    /// the key) when the trust file and separation of duties let them sign
    /// `role`; else why not.
    fn check_signer(
        &self,
        ctx: &Ctx,
        version: &VersionRef,
        role: &str,
        text: &str,
    ) -> Result<String, String> {
        let key = self
            .key_choice()
            .and_then(|k| k.load())
            .map_err(|e| format!("{e}"))?;
        let signer = choose_signer(
            (!text.is_empty()).then_some(text),
            &key,
            &self.settings.trust,
        )
        .map_err(|e| format!("{e}"))?;
        let current = self
            .certification(ctx, version)
            .map_err(|e| format!("{e}"))?;
        let reasons = signer_refusals(
            version,
            &current,
            &SignerCheck {
                role,
                signer: &signer,
                key: &key,
                now: self.clock().now,
            },
            &self.settings,
        );
        if reasons.is_empty() {
            Ok(signer)
        } else {
            Err(format!("refused: {}", reasons.join("; ")))
        }
    }

    pub fn job_started(&mut self, _id: u64) {}

    pub fn on_job(&mut self, _id: u64, r: Result<JobOutput, String>, _ctx: &Ctx) -> Vec<Effect> {
        match r {
            Ok(JobOutput::PacketWritten {
                version,
                path,
                format,
                bytes,
                label,
            }) => vec![Effect::Message(format!(
                "wrote the certification packet of {version} to {} ({format}, {bytes} bytes): {label}",
                path.display()
            ))],
            Ok(JobOutput::Exported { path, decisions }) => vec![Effect::Message(format!(
                "exported {decisions} decisions to {} (OPA decision-log JSONL)",
                path.display()
            ))],
            Ok(JobOutput::Verified { ok, lines }) => {
                let problems: Vec<&str> = lines
                    .iter()
                    .filter(|(bad, _)| *bad)
                    .map(|(_, l)| l.as_str())
                    .collect();
                let effect = if ok {
                    Effect::Message(format!(
                        "verify: store OK: every check passed ({} lines; Esc closes the report)",
                        lines.len()
                    ))
                } else {
                    Effect::Error(format!(
                        "verify: store DAMAGED: {} problem{}, first: {}",
                        problems.len().max(1),
                        if problems.len() > 1 { "s" } else { "" },
                        problems.first().copied().unwrap_or("see the report")
                    ))
                };
                self.verify = Some(VerifyView { ok, lines });
                self.panel = Some(Panel::Verify);
                self.panel_scroll = 0;
                vec![effect]
            }
            _ => Vec::new(),
        }
    }

    /// The report of the last `verify` run here, if any.
    pub fn verify_report(&self) -> Option<(bool, &[(bool, String)])> {
        self.verify.as_ref().map(|v| (v.ok, v.lines.as_slice()))
    }

    /// What shows over the panes, if anything.
    pub fn panel(&self) -> Option<Panel> {
        self.panel
    }

    /// The decisions of the selected version to log an exception on,
    /// newest first (the first item types an id instead).
    fn decision_picker(&self, ctx: &Ctx) -> Vec<Effect> {
        let typed = vec![Effect::OpenPrompt {
            title: "exception on decision id (or a unique prefix of 4 or more)".into(),
            initial: String::new(),
            prompt: Prompt::ExceptionDecision,
        }];
        let Some(v) = ctx.versions.get(self.versions.selected) else {
            return typed;
        };
        let filter = crate::store::decisions::DecisionFilter {
            version_id: Some(v.id),
            ..Default::default()
        };
        let rows = match ctx.store.list_decisions(&filter, None, DECISIONS_PICKED) {
            Ok(rows) if !rows.is_empty() => rows,
            Ok(_) => return typed,
            Err(e) => return vec![Effect::Error(format!("{e}"))],
        };
        let mut items = vec!["type a decision id…".to_string()];
        let mut ids = Vec::with_capacity(rows.len());
        for r in rows {
            items.push(format!(
                "{}  {:<18} {}",
                crate::store::decisions::short_id(&r.decision_id),
                r.outcome,
                r.timestamp
            ));
            ids.push(r.decision_id);
        }
        vec![Effect::OpenPicker {
            title: format!(
                "exception on a decision of {} (newest {DECISIONS_PICKED})",
                v.reference()
            ),
            items,
            pick: Pick::ExceptionDecision { ids },
        }]
    }

    pub fn on_pick(&mut self, pick: Pick, index: usize, _item: &str, ctx: &Ctx) -> Vec<Effect> {
        match pick {
            Pick::ExceptionDecision { ids } => match index.checked_sub(1) {
                None => vec![Effect::OpenPrompt {
                    title: "exception on decision id (or a unique prefix of 4 or more)".into(),
                    initial: String::new(),
                    prompt: Prompt::ExceptionDecision,
                }],
                Some(i) => match ids.get(i) {
                    Some(id) => vec![reason_prompt(id.clone(), String::new())],
                    None => Vec::new(),
                },
            },
            Pick::CertifyRole { version, roles } => {
                let Some(role) = roles.get(index) else {
                    return Vec::new();
                };
                let current = match self.certification(ctx, &version) {
                    Ok(c) => c,
                    Err(e) => return vec![Effect::Error(format!("{e}"))],
                };
                // The core's check, as `certify` makes it: refused here,
                // with the reason, and the list stays open.
                match check_role(&version, &current, role) {
                    Err(e) => vec![
                        Effect::Error(format!("{e}")),
                        role_picker(version, &current),
                    ],
                    Ok(role) => vec![signer_prompt(version, role, String::new())],
                }
            }
            Pick::ExceptionOutcome {
                decision_id,
                reason,
                owner,
                outcomes,
            } => {
                let Some(outcome) = outcomes.get(index).cloned() else {
                    return Vec::new();
                };
                vec![due_prompt(
                    decision_id,
                    reason,
                    owner,
                    outcome,
                    self.settings.exception_due_text().to_string(),
                )]
            }
            _ => Vec::new(),
        }
    }

    pub fn on_prompt(&mut self, prompt: Prompt, text: &str, ctx: &Ctx) -> Vec<Effect> {
        let text = text.trim();
        match prompt {
            Prompt::CertifySigner { version, role } => {
                // Checked now, against the trusted signers: a refusal keeps
                // the prompt open with what was typed.
                match self.check_signer(ctx, &version, &role, text) {
                    Ok(signer) => vec![Effect::OpenPrompt {
                        title: format!(
                            "{role} sign-off of {version} by {signer}: statement (Enter for none)"
                        ),
                        initial: String::new(),
                        prompt: Prompt::CertifyStatement {
                            version,
                            role,
                            signer,
                        },
                    }],
                    Err(why) => vec![
                        Effect::Error(why),
                        signer_prompt(version, role, text.to_string()),
                    ],
                }
            }
            Prompt::CertifyStatement {
                version,
                role,
                signer,
            } => {
                if !text.is_empty()
                    && let Err(e) = check_text("the statement", text)
                {
                    let title = format!(
                        "{role} sign-off of {version} by {signer}: statement (Enter for none)"
                    );
                    return vec![
                        Effect::Error(format!("{e}")),
                        Effect::OpenPrompt {
                            title,
                            initial: text.to_string(),
                            prompt: Prompt::CertifyStatement {
                                version,
                                role,
                                signer,
                            },
                        },
                    ];
                }
                self.sign(ctx, &version, &role, &signer, text)
            }
            Prompt::ExceptionDecision => {
                if text.is_empty() {
                    return vec![Effect::Error("no decision id given".into())];
                }
                // Checked now, not after every field: an unknown id or an
                // ambiguous prefix stops here; a unique prefix is the id.
                let decision_id = match ctx.store.get_decision(text) {
                    Ok(Some((_, rec))) => rec.decision_id().to_string(),
                    Ok(None) => {
                        return vec![Effect::Error(format!(
                            "no decision {text} in the store (a whole id, or a unique prefix of 4 or more characters)"
                        ))];
                    }
                    Err(e) => return vec![Effect::Error(format!("{e}"))],
                };
                vec![reason_prompt(decision_id, String::new())]
            }
            Prompt::ExceptionReason { decision_id } => match check_text("the reason", text) {
                Err(e) => vec![
                    Effect::Error(format!("{e}")),
                    reason_prompt(decision_id, text.to_string()),
                ],
                Ok(reason) => vec![owner_prompt(decision_id, reason, String::new())],
            },
            Prompt::ExceptionOwner {
                decision_id,
                reason,
            } => {
                let owner = match check_text("the owner", text) {
                    Ok(o) => o,
                    Err(e) => {
                        return vec![
                            Effect::Error(format!("{e}")),
                            owner_prompt(decision_id, reason, text.to_string()),
                        ];
                    }
                };
                match outcome_picker(ctx, decision_id, reason, owner) {
                    Ok(e) => vec![e],
                    Err(e) => vec![Effect::Error(format!("{e}"))],
                }
            }
            Prompt::ExceptionDue {
                decision_id,
                reason,
                owner,
                outcome,
            } => {
                // As `--due` is read: 48h, 2d, 1d12h, 90m, 1w.
                let due = match parse_duration(text) {
                    Ok(d) => d,
                    Err(e) => {
                        return vec![
                            Effect::Error(format!("due: {e}")),
                            due_prompt(decision_id, reason, owner, outcome, text.to_string()),
                        ];
                    }
                };
                let result = crate::exceptions::add(
                    ctx.store,
                    &NewRequest {
                        decision_id: &decision_id,
                        reason: &reason,
                        owner: &owner,
                        granted_outcome: outcome.as_deref(),
                        due,
                        now: self.clock(),
                    },
                );
                match result {
                    Ok(e) => vec![
                        Effect::ReloadVersions,
                        Effect::Message(format!(
                            "logged exception #{} on {}: {}, owner {}, due {} ({})",
                            e.row.id,
                            e.row.decision_id,
                            e.override_label(),
                            e.row.owner,
                            e.row.due_at,
                            e.timing
                        )),
                    ],
                    Err(e) => vec![Effect::Error(format!("{e}"))],
                }
            }
            Prompt::ResolveException { id } => match check_text("the note", text) {
                Err(e) => vec![
                    Effect::Error(format!("{e}")),
                    Effect::OpenPrompt {
                        title: format!("resolve exception #{id}: follow-up note"),
                        initial: text.to_string(),
                        prompt: Prompt::ResolveException { id },
                    },
                ],
                Ok(note) => vec![resolver_prompt(id, note, String::new())],
            },
            Prompt::ResolveBy { id, note } => {
                let by = (!text.is_empty()).then_some(text);
                if let Some(Err(e)) = by.map(|b| check_text("who resolved it", b)) {
                    return vec![
                        Effect::Error(format!("{e}")),
                        resolver_prompt(id, note, text.to_string()),
                    ];
                }
                match crate::exceptions::resolve(ctx.store, id, &note, by, self.clock()) {
                    Ok(e) => vec![
                        Effect::ReloadVersions,
                        Effect::Message(format!(
                            "resolved exception #{id}{}: {}",
                            by.map(|b| format!(" (by {b})")).unwrap_or_default(),
                            e.timing
                        )),
                    ],
                    Err(e) => vec![Effect::Error(format!("{e}"))],
                }
            }
            Prompt::PacketPath { version } => {
                if text.is_empty() {
                    return vec![Effect::Error("no file given: no packet written".into())];
                }
                vec![Effect::Start(JobRequest::WritePacket {
                    version,
                    path: PathBuf::from(text),
                    settings: Box::new(self.settings.clone()),
                    now: self.now(),
                })]
            }
            Prompt::ExportPath => {
                if text.is_empty() {
                    return vec![Effect::Error("no file given: nothing exported".into())];
                }
                vec![Effect::Start(JobRequest::ExportDecisions {
                    path: PathBuf::from(text),
                })]
            }
            _ => Vec::new(),
        }
    }

    fn sign(
        &mut self,
        ctx: &Ctx,
        version: &VersionRef,
        role: &str,
        signer: &str,
        statement: &str,
    ) -> Vec<Effect> {
        let key = match self.key_choice() {
            Ok(k) => k,
            Err(e) => return vec![Effect::Error(format!("{e}"))],
        };
        let outcome = certify(
            ctx.store,
            version,
            &SignRequest {
                role,
                signer: (!signer.trim().is_empty()).then_some(signer),
                statement: (!statement.is_empty()).then_some(statement),
                now: self.clock(),
            },
            &key,
            &self.settings,
        );
        match outcome {
            Ok(CertifyOutcome::Signed {
                signoff,
                certification,
                ..
            }) => vec![
                Effect::ReloadVersions,
                Effect::Message(format!(
                    "{} signed off {version} (sign-off #{}): {}",
                    signoff.row.role,
                    signoff.row.id,
                    certification.label()
                )),
            ],
            Ok(CertifyOutcome::Refused { reasons, .. }) => {
                vec![Effect::Error(format!("refused: {}", reasons.join("; ")))]
            }
            Err(e) => vec![Effect::Error(format!("{e}"))],
        }
    }

    pub fn draw(&self, f: &mut Frame, area: Rect, view: &View) {
        let [left, right] =
            Layout::horizontal([Constraint::Percentage(34), Constraint::Percentage(66)])
                .areas(area);
        let exceptions_height = u16::try_from(self.exceptions.len() + 3)
            .unwrap_or(u16::MAX)
            .clamp(5, area.height / 3);
        let [detail, exceptions] =
            Layout::vertical([Constraint::Min(6), Constraint::Length(exceptions_height)])
                .areas(right);
        match self.panel {
            Some(Panel::Verify) => self.draw_verify(f, area, view),
            Some(Panel::Exception(id)) => self.draw_exception(f, area, view, id),
            // Zoomed: the focused pane alone.
            None if view.zoom => match self.focus {
                0 => self.draw_versions(f, area, view),
                1 => self.draw_detail(f, area, view),
                _ => self.draw_exceptions(f, area, view),
            },
            None => {
                self.draw_versions(f, left, view);
                self.draw_detail(f, detail, view);
                self.draw_exceptions(f, exceptions, view);
            }
        }
    }

    /// A pane of wrapped lines that scrolls from `self.panel_scroll`,
    /// clamped to the last page; the title says how to scroll and close.
    fn draw_scrolling(
        &self,
        f: &mut Frame,
        area: Rect,
        view: &View,
        title: &str,
        lines: Vec<Line>,
    ) {
        let inner_height = usize::from(area.height.saturating_sub(2)).max(1);
        let inner_width = usize::from(area.width.saturating_sub(2)).max(1);
        let rows: usize = lines
            .iter()
            .map(|l| l.width().max(1).div_ceil(inner_width))
            .sum();
        let scroll = self.panel_scroll.min(rows.saturating_sub(inner_height));
        let hint = if rows > inner_height {
            " (j/k scroll, Esc closes)"
        } else {
            " (Esc closes)"
        };
        f.render_widget(
            Paragraph::new(lines)
                .wrap(Wrap { trim: false })
                .scroll((u16::try_from(scroll).unwrap_or(u16::MAX), 0))
                .block(pane(&format!("{title}{hint}"), true, view.theme)),
            area,
        );
    }

    /// One exception, every field whole: the reason and the note wrapped
    /// on lines of their own.
    fn draw_exception(&self, f: &mut Frame, area: Rect, view: &View, id: i64) {
        let theme = view.theme;
        let Some(e) = self.exceptions.iter().find(|e| e.row.id == id) else {
            self.draw_scrolling(
                f,
                area,
                view,
                &format!("exception #{id}"),
                vec![Line::from(Span::styled(
                    "no longer in the store",
                    theme.style(Slot::Muted),
                ))],
            );
            return;
        };
        let state = match e.state {
            State::Overdue => theme.style(Slot::Fail),
            State::Open => theme.style(Slot::Warn),
            State::Resolved | State::ResolvedLate => theme.style(Slot::Pass),
        };
        // Values wrap under themselves, beside their labels.
        let width = usize::from(area.width.saturating_sub(2 + LABEL_W as u16)).max(10);
        let mut lines: Vec<Line> = Vec::new();
        for (k, v) in e.fields() {
            if k == "exception" {
                continue;
            }
            let style = if k == "state" {
                state
            } else {
                theme.style(Slot::Text)
            };
            let label = if matches!(k, "reason" | "note") {
                theme.style(Slot::Title)
            } else {
                theme.style(Slot::Muted)
            };
            for (i, part) in wrap(&crate::sanitize::escape(&v), width)
                .into_iter()
                .enumerate()
            {
                let head = if i == 0 { k } else { "" };
                lines.push(Line::from(vec![
                    Span::styled(format!("{head:<LABEL_W$}"), label),
                    safe(&part, style),
                ]));
            }
        }
        self.draw_scrolling(f, area, view, &format!("exception #{id}"), lines);
    }

    /// The store's verify report: what `gavel verify` prints, marked.
    fn draw_verify(&self, f: &mut Frame, area: Rect, view: &View) {
        let theme = view.theme;
        let Some(v) = &self.verify else {
            return;
        };
        let width = usize::from(area.width.saturating_sub(4)).max(10);
        let mut lines: Vec<Line> = Vec::new();
        for (bad, l) in &v.lines {
            let (mark, slot, text) = if *bad {
                ("✗ ", Slot::Fail, Slot::Fail)
            } else {
                ("✓ ", Slot::Pass, Slot::Text)
            };
            for (i, part) in wrap(&crate::sanitize::escape(l), width)
                .into_iter()
                .enumerate()
            {
                lines.push(Line::from(vec![
                    Span::styled(if i == 0 { mark } else { "  " }, theme.style(slot)),
                    safe(&part, theme.style(text)),
                ]));
            }
        }
        let title = if v.ok {
            "verify: store OK".to_string()
        } else {
            let n = v.lines.iter().filter(|(bad, _)| *bad).count();
            format!(
                "verify: store DAMAGED, {n} problem{}",
                if n == 1 { "" } else { "s" }
            )
        };
        self.draw_scrolling(f, area, view, &title, lines);
    }

    fn draw_versions(&self, f: &mut Frame, area: Rect, view: &View) {
        let theme = view.theme;
        let block = pane("versions and certification", self.focus == 0, theme);
        let inner = block.inner(area);
        f.render_widget(block, area);
        let width = usize::from(inner.width);
        let range = self
            .versions
            .window(view.versions.len(), usize::from(inner.height));
        // glyph, name, version, label: the label and the version always
        // show; the name gives way.
        let version_w = view
            .versions
            .iter()
            .map(|v| v.version.chars().count())
            .max()
            .unwrap_or(0);
        let name_w = view
            .versions
            .iter()
            .map(|v| v.name.chars().count())
            .max()
            .unwrap_or(0)
            .min(width.saturating_sub(2 + 1 + version_w + 1 + 9).max(4));
        let mut last = "";
        let lines: Vec<Line> = view.versions[range.clone()]
            .iter()
            .enumerate()
            .map(|(i, v)| {
                let status = self.statuses.get(range.start + i);
                let (glyph, style) = match status.map(|s| s.status) {
                    Some(Status::Certified) => ("✓", theme.style(Slot::Pass)),
                    Some(Status::PartiallySigned) => ("◐", theme.style(Slot::Warn)),
                    Some(Status::Draft) => ("○", theme.style(Slot::Muted)),
                    None => ("?", theme.style(Slot::Muted)),
                };
                let name = if v.name == last {
                    String::new()
                } else {
                    truncate(&v.name, name_w)
                };
                last = &v.name;
                let label = match status {
                    Some(s) if s.status == Status::PartiallySigned => {
                        format!("{}/{}", s.signed_roles.len(), s.required_roles.len())
                    }
                    Some(s) => s.status.as_str().to_string(),
                    None => String::new(),
                };
                let mut line = Line::from(vec![
                    Span::styled(format!("{glyph} "), style),
                    safe(
                        &format!("{name:<name_w$} {:<version_w$} ", v.version),
                        theme.style(Slot::Text),
                    ),
                    Span::styled(label, style),
                ]);
                if range.start + i == self.versions.selected {
                    line = line.style(theme.style(Slot::Selection));
                }
                line
            })
            .collect();
        f.render_widget(Paragraph::new(lines), inner);
    }

    fn draw_detail(&self, f: &mut Frame, area: Rect, view: &View) {
        let theme = view.theme;
        let mut lines: Vec<Line> = Vec::new();
        if let Some(e) = &self.error {
            lines.push(Line::from(safe(e, theme.style(Slot::Error))));
        }
        let focused = self.focus == 1;
        let Some(l) = &self.loaded else {
            lines.push(Line::from(Span::styled(
                "no version selected",
                theme.style(Slot::Muted),
            )));
            f.render_widget(
                Paragraph::new(lines).block(pane("certification", focused, theme)),
                area,
            );
            return;
        };
        let c = &l.certification;
        let e = &l.evidence;
        let wide = area.width >= 78;
        let status_style = match c.status {
            Status::Certified => theme.style(Slot::Pass),
            Status::PartiallySigned => theme.style(Slot::Warn),
            Status::Draft => theme.style(Slot::Muted),
        };
        lines.push(Line::from(vec![
            Span::styled(format!("{} ", c.status.glyph()), status_style),
            Span::styled(c.label(), status_style),
        ]));
        let hash = if wide {
            c.content_hash.clone()
        } else {
            short_hash(&c.content_hash)
        };
        lines.push(Line::from(vec![
            Span::styled("hash ", theme.style(Slot::Muted)),
            safe(&hash, theme.style(Slot::Text)),
        ]));
        for p in &e.hash_problems {
            lines.push(Line::from(vec![
                Span::styled("✗ files changed: ", theme.style(Slot::Fail)),
                safe(p, theme.style(Slot::Fail)),
            ]));
        }
        let r = &c.requirements;
        let needs = format!(
            "{} roles, coverage ≥ {}",
            c.required_roles.len(),
            pct(r.coverage_threshold)
        );
        let from = if !wide {
            String::new()
        } else if r.roles_from == r.threshold_from {
            format!(" · {}", r.roles_from)
        } else {
            format!(" · {} / {}", r.roles_from, r.threshold_from)
        };
        lines.push(Line::from(vec![
            Span::styled("sign-offs  ", theme.style(Slot::Title)),
            safe(&format!("{needs}{from}"), theme.style(Slot::Muted)),
        ]));
        let trust = &c.trust;
        lines.push(match (&trust.path, &trust.sha256) {
            (Some(path), Some(_)) => Line::from(vec![
                Span::styled("signers    ", theme.style(Slot::Title)),
                safe(
                    &format!("{path} ({} entries)", trust.signers),
                    theme.style(Slot::Muted),
                ),
            ]),
            (path, _) => Line::from(vec![
                Span::styled("signers    ", theme.style(Slot::Title)),
                safe(
                    &format!(
                        "✗ no allowed_signers file{}: no sign-off counts",
                        path.as_deref()
                            .map(|p| format!(" at {p}"))
                            .unwrap_or_default()
                    ),
                    theme.style(Slot::Warn),
                ),
            ]),
        });
        let role_w = c
            .required_roles
            .iter()
            .map(|r| r.chars().count())
            .max()
            .unwrap_or(0)
            + 1;
        for role in &c.required_roles {
            let signed: Vec<_> = c.signoffs.iter().filter(|s| &s.row.role == role).collect();
            if signed.is_empty() {
                lines.push(Line::from(vec![
                    Span::styled("  ○ ", theme.style(Slot::Muted)),
                    safe(&format!("{role:<role_w$}"), theme.style(Slot::Text)),
                    Span::styled("not signed", theme.style(Slot::Muted)),
                ]));
            }
            for s in signed {
                let (mark, style, check) = if s.valid {
                    ("  ✓ ", theme.style(Slot::Pass), "valid".to_string())
                } else {
                    (
                        "  ✗ ",
                        theme.style(Slot::Fail),
                        format!("INVALID: {}", s.problems.join("; ")),
                    )
                };
                lines.push(Line::from(vec![
                    Span::styled(mark, style),
                    safe(&format!("{role:<role_w$}"), theme.style(Slot::Text)),
                    safe(
                        &if wide {
                            format!(
                                "{} · #{} · {} · ",
                                s.row.signer,
                                s.row.id,
                                short_time(&s.row.signed_at)
                            )
                        } else {
                            format!("{} · {} · ", s.row.signer, short_time(&s.row.signed_at))
                        },
                        theme.style(Slot::Text),
                    ),
                    safe(&check, style),
                ]));
                let mut second = vec![Span::styled(
                    format!(
                        "      {}…{}",
                        // Enough of the fingerprint to tell keys apart by eye.
                        s.key_fingerprint.chars().take(19).collect::<String>(),
                        if s.trusted_by.is_some() {
                            " · trusted"
                        } else {
                            ""
                        }
                    ),
                    theme.style(Slot::Muted),
                )];
                if let Some(st) = &s.row.statement {
                    second.push(Span::styled(" “", theme.style(Slot::Muted)));
                    second.push(safe(st, theme.style(Slot::Muted)));
                    second.push(Span::styled("”", theme.style(Slot::Muted)));
                }
                lines.push(Line::from(second));
            }
        }
        for s in c
            .signoffs
            .iter()
            .filter(|s| !c.required_roles.contains(&s.row.role))
        {
            lines.push(Line::from(vec![
                Span::styled("  · ", theme.style(Slot::Muted)),
                safe(
                    &format!(
                        "{} (not a required role) · {} · #{}",
                        s.row.role, s.row.signer, s.row.id
                    ),
                    theme.style(Slot::Muted),
                ),
            ]));
        }
        lines.push(Line::from(Span::styled(
            "evidence",
            theme.style(Slot::Title),
        )));
        match &e.test_run {
            Some(run) => {
                let s = &run.summary;
                let ok = s.fail + s.error == 0
                    && s.total > 0
                    && run.coverage.unwrap_or(0.0) >= r.coverage_threshold;
                let mut text = format!(
                    "tests   run #{} {}: {}/{} passed",
                    run.id,
                    short_time(&run.started_at),
                    s.pass,
                    s.total
                );
                if s.fail + s.error > 0 {
                    text.push_str(&format!(", {} failed, {} errors", s.fail, s.error));
                }
                text.push_str(&format!(
                    ", coverage {}",
                    run.coverage
                        .map_or_else(|| "-".into(), |c| format!("{c:.1}%"))
                ));
                lines.push(Line::from(vec![
                    Span::styled(
                        if ok { "  ✓ " } else { "  ✗ " },
                        theme.style(if ok { Slot::Pass } else { Slot::Fail }),
                    ),
                    Span::styled(text, theme.style(Slot::Text)),
                ]));
            }
            None => lines.push(Line::from(Span::styled(
                "  · tests   no run yet; the suite runs with coverage when a role signs",
                theme.style(Slot::Muted),
            ))),
        }
        let (mark, slot, text) = match (&e.replay, e.decisions) {
            (_, 0) => (
                "  · ",
                Slot::Muted,
                "replay  no stored decisions".to_string(),
            ),
            (None, n) => (
                "  ✗ ",
                Slot::Fail,
                format!("replay  {n} decisions, none replayed under it (tab 4)"),
            ),
            (Some(b), n) => {
                let mut t = format!(
                    "replay  {}: {} of {n} DETERMINISTIC, {} DIVERGED",
                    short_time(&b.replayed_at),
                    b.deterministic,
                    b.diverged
                );
                if b.errors > 0 {
                    t.push_str(&format!(", {} ERROR", b.errors));
                }
                if b.diverged == 0 {
                    ("  ✓ ", Slot::Pass, t)
                } else {
                    ("  ✗ ", Slot::Fail, t)
                }
            }
        };
        lines.push(Line::from(vec![
            Span::styled(mark, theme.style(slot)),
            Span::styled(text, theme.style(Slot::Text)),
        ]));
        if c.status != Status::Certified {
            let refusals = e.refusals();
            if refusals.is_empty() {
                let key = view
                    .keys
                    .keys_of(Action::Certify, crate::tui::action::Scope::Certify);
                lines.push(Line::from(Span::styled(
                    format!("  ready to sign: {key} signs off as a missing role"),
                    theme.style(Slot::Info),
                )));
            } else {
                for r in refusals {
                    lines.push(Line::from(vec![
                        Span::styled("  ! ", theme.style(Slot::Warn)),
                        safe(&r, theme.style(Slot::Warn)),
                    ]));
                }
            }
        }
        // The auditor's actions, which the status bar has no room for.
        let scope = crate::tui::action::Scope::Certify;
        let auditor: Vec<String> = [
            (Action::WritePacket, "packet"),
            (Action::ExportDecisions, "export decisions"),
            (Action::VerifyStore, "verify the store"),
        ]
        .iter()
        .filter_map(|(a, what)| {
            let keys = view.keys.keys_of(*a, scope);
            (!keys.is_empty()).then(|| format!("{keys} {what}"))
        })
        .collect();
        if !auditor.is_empty() {
            lines.push(Line::from(vec![
                Span::styled("audit      ", theme.style(Slot::Title)),
                Span::styled(auditor.join(" · "), theme.style(Slot::Muted)),
            ]));
        }
        let inner_height = usize::from(area.height.saturating_sub(2)).max(1);
        let inner_width = usize::from(area.width.saturating_sub(2)).max(1);
        let rows: usize = lines
            .iter()
            .map(|l| l.width().max(1).div_ceil(inner_width))
            .sum();
        let scroll = self.detail_scroll.min(rows.saturating_sub(inner_height));
        let title = if rows > inner_height {
            format!("{} (j/k scroll)", c.version)
        } else {
            c.version.clone()
        };
        f.render_widget(
            Paragraph::new(lines)
                .wrap(Wrap { trim: false })
                .scroll((u16::try_from(scroll).unwrap_or(u16::MAX), 0))
                .block(pane(&title, focused, theme)),
            area,
        );
    }

    fn draw_exceptions(&self, f: &mut Frame, area: Rect, view: &View) {
        let theme = view.theme;
        let open = self.exceptions.iter().filter(|e| e.state.is_open()).count();
        let block = pane(
            &format!(
                "exceptions ({open} open, {} overdue, {} in all)",
                self.overdue(),
                self.exceptions.len()
            ),
            self.focus == 2,
            theme,
        );
        let inner = block.inner(area);
        f.render_widget(block, area);
        if self.exceptions.is_empty() {
            let key = view
                .keys
                .keys_of(Action::AddException, crate::tui::action::Scope::Certify);
            f.render_widget(
                Paragraph::new(Span::styled(
                    format!("no exceptions logged ({key} logs one on a decision)"),
                    theme.style(Slot::Muted),
                )),
                inner,
            );
            return;
        }
        let width = usize::from(inner.width);
        let range = self
            .exceptions_cursor
            .window(self.exceptions.len(), usize::from(inner.height));
        let lines: Vec<Line> = self.exceptions[range.clone()]
            .iter()
            .enumerate()
            .map(|(i, e)| {
                let style = match e.state {
                    State::Overdue => theme.style(Slot::Fail),
                    State::Open => theme.style(Slot::Warn),
                    State::Resolved | State::ResolvedLate => theme.style(Slot::Muted),
                };
                let text = format!(
                    "#{} {:<8} {}  {}  {}  {}: {}",
                    e.row.id,
                    e.state.as_str(),
                    e.timing,
                    e.override_label(),
                    e.row.owner,
                    truncate(&e.row.decision_id, 13),
                    e.row.reason
                );
                let mut line = Line::from(vec![
                    Span::styled(format!("{} ", e.state.glyph()), style),
                    safe(&truncate(&text, width.saturating_sub(2)), style),
                ]);
                if self.focus == 2 && range.start + i == self.exceptions_cursor.selected {
                    line = line.style(theme.style(Slot::Selection));
                }
                line
            })
            .collect();
        f.render_widget(Paragraph::new(lines), inner);
    }
}
