//! Screen 3, Decisions: the whole store, newest first, keyset-paged so a
//! million rows scroll as smoothly as ten (only a window of rows around the
//! selection is ever loaded); a filter (`/`, and `o` to cycle outcomes);
//! the selected decision's input and result as folded JSON, its outcome,
//! chain position and past replays, and (recorded, or evaluated on `Enter`)
//! every cited rule: the causes the result names, with their messages and
//! lines that ran, then the helpers, then the rules that did not fire, in a
//! pane that scrolls (Tab: list, decision, input, result).
//! `r` replays it under its own version, `a` against a chosen one (the
//! rules that fire differently and the result diff show at the top of the
//! decision pane), `e` opens it in the playground, `s` saves it as a
//! regression case. The list shows ids by their first 8 characters.

use std::cell::Cell;
use std::path::Path;

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;
use serde_json::{Value, json};

use super::diff::with_more;
use super::{Ctx, Effect, Pick, Prompt, version_labels};
use crate::engine::clock;
use crate::replay::ReplayResult;
use crate::store::decisions::{DecisionFilter, DecisionRow};
use crate::store::log::LogStatus;
use crate::store::replays::ReplayRecord;
use crate::store::{DecisionRecord, VersionRef};
use crate::tui::action::Action;
use crate::tui::draw::View;
use crate::tui::jobs::{JobOutput, JobRequest};
use crate::tui::theme::{Slot, Theme, outcome_glyph};
use crate::tui::widgets::json::JsonView;
use crate::tui::widgets::{explain, field, pane, safe, truncate};

/// Rows fetched per page; the window keeps at most three pages.
const PAGE: usize = 200;
const OUTCOMES: [&str; 7] = [
    "APPROVE",
    "BLOCK",
    "ESCALATE",
    "APPROVE_WITH_AUDIT",
    "allow",
    "deny",
    "undefined",
];

/// A filter as the user wrote it, and what it means.
#[derive(Debug, Clone, Default)]
pub struct FilterSpec {
    pub text: String,
    pub filter: DecisionFilter,
}

/// Reads `outcome:BLOCK version:NAME@V path:P since:T until:T drift:yes
/// words...`. `drift:yes` (or `no`) needs the certification settings (the
/// trusted signers): without them it is refused.
pub fn parse_filter(
    text: &str,
    ctx: &Ctx,
    settings: Option<&crate::certify::Settings>,
) -> Result<DecisionFilter, String> {
    let mut f = DecisionFilter::default();
    let mut words = Vec::new();
    for token in text.split_whitespace() {
        match token.split_once(':') {
            Some(("drift", v)) => {
                let drift = match v {
                    "yes" => true,
                    "no" => false,
                    _ => return Err(format!("drift:{v}: give drift:yes or drift:no")),
                };
                let settings =
                    settings.ok_or_else(|| "drift: filters the Decisions tab only".to_string())?;
                let index = crate::drift::DriftIndex::build(ctx.store, settings)
                    .map_err(|e| format!("drift:{v}: {e}"))?;
                f.drift = Some(index.condition(drift));
            }
            Some(("outcome", v)) => f.outcome = Some(v.to_string()),
            Some(("path", v)) => f.path = Some(v.to_string()),
            Some(("version", v)) => {
                let r = VersionRef::parse(v).map_err(|e| e.to_string())?;
                let found = ctx
                    .versions
                    .iter()
                    .find(|s| s.name == r.name && s.version == r.version)
                    .ok_or_else(|| format!("version:{v}: no such version in the store"))?;
                f.version_id = Some(found.id);
            }
            Some(("since", v)) => {
                f.since_ns = Some(
                    clock::parse_time_bound(v, false)
                        .ok_or_else(|| format!("since:{v}: give an RFC 3339 time or a date"))?,
                )
            }
            Some(("until", v)) => {
                f.until_ns = Some(
                    clock::parse_time_bound(v, true)
                        .ok_or_else(|| format!("until:{v}: give an RFC 3339 time or a date"))?,
                )
            }
            _ => words.push(token),
        }
    }
    if !words.is_empty() {
        f.text = Some(words.join(" "));
    }
    Ok(f)
}

/// The selected decision, read in full.
#[derive(Debug)]
struct Detail {
    seq: i64,
    record: DecisionRecord,
    input: JsonView,
    result: Option<JsonView>,
    replays: Vec<ReplayRecord>,
    /// Exceptions logged on it (overrides of its outcome), newest first.
    exceptions: Vec<crate::exceptions::Exception>,
    /// Rule outcomes evaluated on request (`Enter`) when the decision was
    /// imported without them, with the lines that ran.
    explained: Option<crate::engine::Evaluation>,
    /// The catalog of the version it was explained under: each cause's
    /// extent, for its lines that ran.
    rules: Vec<crate::store::StoredRule>,
}

#[derive(Default)]
pub struct DecisionsScreen {
    filter: FilterSpec,
    /// Loaded rows: `rows[0]` is the list's row number `first`.
    rows: Vec<DecisionRow>,
    first: usize,
    /// The list's row count under the filter, when known.
    total: Option<usize>,
    /// Reached the oldest row (no more below the window).
    at_end: bool,
    selected: usize,
    offset: Cell<usize>,
    page: Cell<usize>,
    /// 0 list, 1 decision (its explanation), 2 input, 3 result.
    focus: usize,
    detail: Option<Detail>,
    /// The decision pane's first row shown, and its page and last scroll
    /// offset when last drawn.
    detail_scroll: usize,
    detail_page: Cell<usize>,
    detail_max: Cell<usize>,
    last_replay: Option<ReplayResult>,
    job: Option<u64>,
    list_area: Cell<Rect>,
    error: Option<String>,
    /// The signed log at a glance (or why it cannot be read).
    log: Option<Result<LogStatus, String>>,
    /// The certification settings (required roles, trusted signers), for
    /// the `drift:` filter.
    pub settings: crate::certify::Settings,
}

impl DecisionsScreen {
    pub fn reload(&mut self, ctx: &Ctx) -> Vec<Effect> {
        self.refresh_log(ctx);
        // A drift filter is read again: a sign-off or a new version since
        // changes which decisions are drift.
        let mut effects = Vec::new();
        if self.filter.filter.drift.is_some() {
            match parse_filter(&self.filter.text, ctx, Some(&self.settings)) {
                Ok(filter) => self.filter.filter = filter,
                Err(e) => effects.push(Effect::Error(e)),
            }
        }
        self.first = 0;
        self.selected = 0;
        self.offset.set(0);
        self.fetch_top(ctx);
        effects.push(self.count());
        effects
    }

    /// Reads the signed log's status again.
    pub fn refresh_log(&mut self, ctx: &Ctx) {
        self.log = Some(ctx.store.log_status().map_err(|e| e.to_string()));
    }

    /// The row count under the filter, counted on a worker: a text filter
    /// scans every event, which must not hold up the screen.
    fn count(&mut self) -> Effect {
        self.total = None;
        Effect::Start(JobRequest::Count {
            filter: self.filter.filter.clone(),
        })
    }

    fn fetch_top(&mut self, ctx: &Ctx) {
        match ctx.store.list_decisions(&self.filter.filter, None, PAGE) {
            Ok(rows) => {
                self.at_end = rows.len() < PAGE;
                self.rows = rows;
                self.first = 0;
                self.error = None;
            }
            Err(e) => {
                self.rows.clear();
                self.error = Some(e.to_string());
            }
        }
        self.load_detail(ctx);
    }

    /// Keeps the selection inside the loaded window: pages in below or
    /// above by keyset, and drops pages far from the selection.
    fn ensure_loaded(&mut self, ctx: &Ctx) {
        // Below the window.
        while self.selected >= self.first + self.rows.len() && !self.at_end {
            let Some(last) = self.rows.last() else { break };
            let key = (last.ts_ns, last.seq);
            match ctx
                .store
                .list_decisions(&self.filter.filter, Some(key), PAGE)
            {
                Ok(more) => {
                    self.at_end = more.len() < PAGE;
                    if more.is_empty() {
                        break;
                    }
                    self.rows.extend(more);
                    if self.rows.len() > 3 * PAGE {
                        let drop = self.rows.len() - 3 * PAGE;
                        self.rows.drain(..drop);
                        self.first += drop;
                    }
                }
                Err(e) => {
                    self.error = Some(e.to_string());
                    break;
                }
            }
        }
        if !self.rows.is_empty() && self.selected >= self.first + self.rows.len() {
            self.selected = self.first + self.rows.len() - 1;
        }
        // Above the window.
        while self.selected < self.first {
            let Some(top) = self.rows.first() else { break };
            let key = (top.ts_ns, top.seq);
            match ctx
                .store
                .list_decisions_newer(&self.filter.filter, Some(key), PAGE)
            {
                Ok(more) => {
                    if more.is_empty() {
                        self.first = 0;
                        break;
                    }
                    let n = more.len();
                    let mut rows = more;
                    rows.append(&mut self.rows);
                    self.rows = rows;
                    self.first = self.first.saturating_sub(n);
                    if self.rows.len() > 3 * PAGE {
                        self.rows.truncate(3 * PAGE);
                        self.at_end = false;
                    }
                }
                Err(e) => {
                    self.error = Some(e.to_string());
                    break;
                }
            }
        }
    }

    /// The oldest page, for `G`.
    fn jump_to_end(&mut self, ctx: &Ctx) {
        if self.total.is_none() {
            // The count has not come back yet: take it here.
            self.total = ctx.store.count_decisions_matching(&self.filter.filter).ok();
        }
        match ctx
            .store
            .list_decisions_newer(&self.filter.filter, None, PAGE)
        {
            Ok(rows) => {
                let total = self.total.unwrap_or(rows.len()).max(rows.len());
                self.first = total - rows.len();
                self.selected = total.saturating_sub(1);
                self.rows = rows;
                self.at_end = true;
            }
            Err(e) => self.error = Some(e.to_string()),
        }
    }

    fn selected_row(&self) -> Option<&DecisionRow> {
        self.rows.get(self.selected.checked_sub(self.first)?)
    }

    pub fn selected_id(&self) -> Option<String> {
        self.selected_row().map(|r| r.decision_id.clone())
    }

    fn load_detail(&mut self, ctx: &Ctx) {
        let Some(id) = self.selected_id() else {
            self.detail = None;
            return;
        };
        let now = crate::certify::now_from_env().unwrap_or_else(|_| chrono::Utc::now());
        if let Some(d) = self
            .detail
            .as_mut()
            .filter(|d| d.record.decision_id() == id)
        {
            // Exceptions come and go while the decision stays selected.
            d.exceptions = crate::exceptions::of_decision(ctx.store, &id, now).unwrap_or_default();
            return;
        }
        self.last_replay = None;
        self.detail_scroll = 0;
        self.detail = match ctx.store.get_decision(&id) {
            Ok(Some((seq, record))) => Some(Detail {
                seq,
                input: JsonView::folded_below(record.input(), 3),
                result: record.result().map(|r| JsonView::folded_below(r, 3)),
                replays: ctx.store.replays_of(&id).unwrap_or_default(),
                exceptions: crate::exceptions::of_decision(ctx.store, &id, now).unwrap_or_default(),
                explained: None,
                rules: Vec::new(),
                record,
            }),
            Ok(None) => None,
            Err(e) => {
                self.error = Some(e.to_string());
                None
            }
        };
    }

    pub fn handle(&mut self, action: Action, ctx: &Ctx) -> Vec<Effect> {
        match action {
            Action::NextPane => self.focus = (self.focus + 1) % 4,
            Action::PrevPane => self.focus = (self.focus + 3) % 4,
            Action::Back if self.focus > 0 => self.focus = 0,
            Action::Filter => {
                return vec![Effect::OpenPrompt {
                    title: "filter: outcome:O version:N@V path:P since:T until:T drift:yes text"
                        .into(),
                    initial: self.filter.text.clone(),
                    prompt: Prompt::DecisionFilter,
                }];
            }
            Action::Back if !self.filter.text.is_empty() => {
                return self.set_filter(String::new(), ctx);
            }
            Action::CycleOutcome => {
                let current = self.filter.filter.outcome.clone();
                let next = match current.as_deref() {
                    None => Some(OUTCOMES[0]),
                    Some(o) => OUTCOMES
                        .iter()
                        .position(|x| *x == o)
                        .and_then(|i| OUTCOMES.get(i + 1))
                        .copied(),
                };
                let mut words: Vec<String> = self
                    .filter
                    .text
                    .split_whitespace()
                    .filter(|w| !w.starts_with("outcome:"))
                    .map(String::from)
                    .collect();
                if let Some(o) = next {
                    words.insert(0, format!("outcome:{o}"));
                }
                return self.set_filter(words.join(" "), ctx);
            }
            Action::Select if self.focus <= 1 => {
                if let Some(d) = &self.detail {
                    let Some((name, version)) = d.record.bundle() else {
                        return vec![Effect::Error(
                            "this decision names no bundle version to evaluate under".into(),
                        )];
                    };
                    return vec![Effect::Start(JobRequest::Evaluate {
                        version: VersionRef { name, version },
                        working_copy: None,
                        input: d.record.input().clone(),
                        now_ns: crate::replay::pinned_now(&d.record)
                            .unwrap_or_else(clock::wall_clock_ns),
                    })];
                }
            }
            Action::AddException => {
                // The chain of prompts is the Certify tab's, from the
                // reason on: the decision is the selected one.
                if let Some(id) = self.selected_id() {
                    return vec![Effect::OpenPrompt {
                        title: format!("exception on {id}: reason"),
                        initial: String::new(),
                        prompt: Prompt::ExceptionReason { decision_id: id },
                    }];
                }
            }
            Action::ReplayOwn => {
                if let Some(id) = self.selected_id() {
                    return vec![Effect::Start(JobRequest::Replay {
                        decision_id: id,
                        against: None,
                    })];
                }
            }
            Action::ReplayAgainst => {
                if let Some(id) = self.selected_id() {
                    return vec![Effect::OpenPicker {
                        title: format!("replay {} against", truncate(&id, 20)),
                        items: version_labels(ctx.versions),
                        pick: Pick::ReplayAgainst { decision_id: id },
                    }];
                }
            }
            Action::OpenInPlayground => {
                if let Some(d) = &self.detail {
                    let version = d
                        .record
                        .bundle()
                        .map(|(name, version)| VersionRef { name, version });
                    return vec![Effect::OpenPlayground {
                        version,
                        input: d.record.input().clone(),
                        origin: format!("decision {}", d.record.decision_id()),
                        decision_id: Some(d.record.decision_id().to_string()),
                    }];
                }
            }
            Action::SaveAsCase => {
                if let Some(id) = self.selected_id() {
                    let into = match ctx.working_copy {
                        Some(wc) => format!("saved into the working copy {}", wc.dir.display()),
                        None => "the folder is asked next".to_string(),
                    };
                    let outcome = self
                        .detail
                        .as_ref()
                        .map(|d| d.record.outcome.clone())
                        .unwrap_or_default();
                    return vec![Effect::OpenPrompt {
                        title: format!("the case's name ({into})"),
                        initial: format!(
                            "decision {} {outcome}",
                            crate::store::decisions::short_id(&id)
                        ),
                        prompt: Prompt::DecisionCaseName { decision_id: id },
                    }];
                }
            }
            a if self.focus == 1 => {
                let page = self.detail_page.get().max(1);
                let at = self.detail_scroll;
                self.detail_scroll = match a {
                    Action::Up => at.saturating_sub(1),
                    Action::Down => at + 1,
                    Action::PageUp => at.saturating_sub(page),
                    Action::PageDown => at + page,
                    Action::Top => 0,
                    Action::Bottom => usize::MAX,
                    _ => at,
                }
                .min(self.detail_max.get());
            }
            a if self.focus == 2 => {
                if let Some(d) = &mut self.detail {
                    d.input.apply(a);
                }
            }
            a if self.focus == 3 => {
                if let Some(v) = self.detail.as_mut().and_then(|d| d.result.as_mut()) {
                    v.apply(a);
                }
            }
            a => self.move_selection(a, ctx),
        }
        Vec::new()
    }

    fn move_selection(&mut self, a: Action, ctx: &Ctx) {
        let page = self.page.get().max(1);
        let last = self.total.map(|t| t.saturating_sub(1));
        let target = match a {
            Action::Up => self.selected.saturating_sub(1),
            Action::Down => self.selected + 1,
            Action::PageUp => self.selected.saturating_sub(page),
            Action::PageDown => self.selected + page,
            Action::Top => 0,
            Action::Bottom => {
                self.jump_to_end(ctx);
                self.load_detail(ctx);
                return;
            }
            _ => return,
        };
        self.selected = match last {
            Some(l) => target.min(l),
            None => target,
        };
        if a == Action::Top && self.first > 0 {
            self.fetch_top(ctx);
            self.selected = 0;
        }
        self.ensure_loaded(ctx);
        self.load_detail(ctx);
    }

    fn set_filter(&mut self, text: String, ctx: &Ctx) -> Vec<Effect> {
        match parse_filter(&text, ctx, Some(&self.settings)) {
            Ok(filter) => {
                self.filter = FilterSpec { text, filter };
                self.selected = 0;
                self.offset.set(0);
                self.detail = None;
                self.fetch_top(ctx);
                vec![self.count()]
            }
            Err(e) => vec![Effect::Error(e)],
        }
    }

    pub fn click(&mut self, col: u16, row: u16, ctx: &Ctx) -> Vec<Effect> {
        let a = self.list_area.get();
        if col >= a.x && col < a.x + a.width && row >= a.y && row < a.y + a.height {
            self.focus = 0;
            let i = self.offset.get() + usize::from(row - a.y);
            if i >= self.first && i < self.first + self.rows.len() {
                self.selected = i;
                self.load_detail(ctx);
            }
        }
        Vec::new()
    }

    pub fn job_started(&mut self, id: u64) {
        self.job = Some(id);
    }

    pub fn on_job(
        &mut self,
        _id: u64,
        result: Result<JobOutput, String>,
        ctx: &Ctx,
    ) -> Vec<Effect> {
        self.job = None;
        match result {
            Ok(JobOutput::Replay(r)) => {
                let msg = format!(
                    "{}: {} {}{}",
                    r.decision_id,
                    r.verdict.as_str(),
                    r.against
                        .as_ref()
                        .map(|a| format!("against {a} "))
                        .unwrap_or_default(),
                    match &r.replayed_outcome {
                        Some(o) if *o != r.original_outcome =>
                            format!("({} -> {o})", r.original_outcome),
                        Some(o) => format!("({o})"),
                        None => r.reason.clone().unwrap_or_default(),
                    }
                );
                if let Some(d) = &mut self.detail
                    && d.record.decision_id() == r.decision_id
                {
                    d.replays = ctx.store.replays_of(&r.decision_id).unwrap_or_default();
                }
                self.last_replay = Some(*r);
                // What changed is at the top of the decision pane.
                self.detail_scroll = 0;
                vec![Effect::Message(msg)]
            }
            Ok(JobOutput::Count { filter, count }) => {
                // A count for a filter since replaced is stale.
                if filter.text == self.filter.filter.text
                    && filter.outcome == self.filter.filter.outcome
                    && filter.version_id == self.filter.filter.version_id
                    && filter.path == self.filter.filter.path
                    && filter.since_ns == self.filter.filter.since_ns
                    && filter.until_ns == self.filter.filter.until_ns
                    && filter.drift == self.filter.filter.drift
                {
                    self.total = Some(count);
                    if !self.filter.text.is_empty() {
                        return vec![Effect::Message(format!("{count} decisions match"))];
                    }
                }
                Vec::new()
            }
            Ok(JobOutput::Evaluated {
                evaluation,
                version,
            }) => {
                if let Some(d) = &mut self.detail {
                    let fired = evaluation.rule_outcomes.iter().filter(|o| o.fired).count();
                    let same = evaluation.outcome == d.record.outcome;
                    d.explained = Some(*evaluation);
                    d.rules = super::rules_of(ctx, &version);
                    return vec![Effect::Message(format!(
                        "evaluated under its version: {fired} rules fired; outcome {}",
                        if same {
                            "as recorded"
                        } else {
                            "DIFFERS from the record (replay it)"
                        }
                    ))];
                }
                Vec::new()
            }
            _ => Vec::new(),
        }
    }

    pub fn on_pick(&mut self, pick: Pick, _index: usize, item: &str, _ctx: &Ctx) -> Vec<Effect> {
        match (pick, VersionRef::parse(item)) {
            (Pick::ReplayAgainst { decision_id }, Ok(v)) => {
                vec![Effect::Start(JobRequest::Replay {
                    decision_id,
                    against: Some(v),
                })]
            }
            (_, Err(e)) => vec![Effect::Error(e.to_string())],
            _ => Vec::new(),
        }
    }

    /// Saves the selected decision `decision_id` as case `name` in `dir`.
    pub fn save_into(&self, dir: &Path, name: &str, decision_id: &str) -> Vec<Effect> {
        let Some(d) = self
            .detail
            .as_ref()
            .filter(|d| d.record.decision_id() == decision_id)
        else {
            return vec![Effect::Error("select the decision again".into())];
        };
        match save_case(dir, name, &d.record) {
            Ok(msg) => vec![Effect::Message(msg)],
            Err(e) => vec![Effect::Error(e)],
        }
    }

    pub fn on_prompt(&mut self, prompt: Prompt, text: &str, ctx: &Ctx) -> Vec<Effect> {
        match prompt {
            Prompt::DecisionFilter => self.set_filter(text.trim().to_string(), ctx),
            Prompt::DecisionCaseName { decision_id } => {
                let name = text.trim();
                if name.is_empty() {
                    return vec![Effect::Error("a case needs a name: s and type one".into())];
                }
                if let Some(wc) = ctx.working_copy {
                    return self.save_into(&wc.dir, name, &decision_id);
                }
                // A folder picker, starting where the decision's version was
                // imported from when that folder is still there.
                let hint = self
                    .detail
                    .as_ref()
                    .and_then(|d| d.record.bundle())
                    .and_then(|(name, version)| {
                        ctx.versions
                            .iter()
                            .find(|v| v.name == name && v.version == version)
                            .and_then(|v| v.source_path.clone())
                    });
                vec![super::case_folder_picker(
                    hint.as_deref().map(Path::new),
                    name,
                    Some(decision_id),
                )]
            }
            _ => Vec::new(),
        }
    }

    pub fn draw(&self, f: &mut Frame, area: Rect, view: &View) {
        if view.zoom && self.focus == 0 {
            self.draw_list(f, area, view);
            return;
        }
        if view.zoom {
            self.draw_detail(f, area, view);
            return;
        }
        let [list, detail] =
            Layout::horizontal([Constraint::Percentage(45), Constraint::Percentage(55)])
                .areas(area);
        self.draw_list(f, list, view);
        self.draw_detail(f, detail, view);
    }

    fn draw_list(&self, f: &mut Frame, area: Rect, view: &View) {
        let theme = view.theme;
        let count = match self.total {
            Some(n) => format!("{} of {n}", if n == 0 { 0 } else { self.selected + 1 }),
            None => format!("{}", self.selected + 1),
        };
        let filter = if self.filter.text.is_empty() {
            String::new()
        } else {
            format!(" /{}", self.filter.text)
        };
        let block = pane(
            &format!("decisions {count}{filter}"),
            self.focus == 0,
            theme,
        );
        let mut inner = block.inner(area);
        f.render_widget(block, area);
        if inner.height >= 3
            && let Some(log) = &self.log
        {
            let [rows, status] =
                Layout::vertical([Constraint::Min(1), Constraint::Length(1)]).areas(inner);
            f.render_widget(Paragraph::new(log_line(log, theme)), status);
            inner = rows;
        }
        self.list_area.set(inner);
        if let Some(e) = &self.error {
            f.render_widget(Paragraph::new(safe(e, theme.style(Slot::Error))), inner);
            return;
        }
        if self.rows.is_empty() {
            f.render_widget(
                Paragraph::new(Span::styled(
                    if self.filter.text.is_empty() {
                        "no decisions: gavel decisions import LOG.jsonl"
                    } else {
                        "no decision matches the filter (Esc clears it)"
                    },
                    theme.style(Slot::Muted),
                )),
                inner,
            );
            return;
        }
        let height = usize::from(inner.height).max(1);
        self.page.set(height);
        // The scroll offset, in list rows, kept inside the loaded window.
        let mut offset = self.offset.get();
        if self.selected < offset {
            offset = self.selected;
        } else if self.selected >= offset + height {
            offset = self.selected + 1 - height;
        }
        offset = offset.max(self.first);
        self.offset.set(offset);
        let width = usize::from(inner.width);
        let version_of = |r: &DecisionRow| -> String {
            r.version
                .as_deref()
                .or(r.bundle.as_deref())
                .unwrap_or("?")
                .to_string()
        };
        let shown = || {
            (offset..offset + height).filter_map(|i| self.rows.get(i - self.first).map(|r| (i, r)))
        };
        let widest = shown()
            .map(|(_, r)| unicode_width::UnicodeWidthStr::width(version_of(r).as_str()))
            .max()
            .unwrap_or(0);
        let time = time_shown(widest, width.saturating_sub(11));
        let lines: Vec<Line> = shown()
            .map(|(i, r)| {
                let rest = row_text(r, &version_of(r), width.saturating_sub(11), time);
                let mut line = Line::from(vec![
                    Span::styled(
                        format!(
                            "{} {:<9}",
                            outcome_glyph(&r.outcome),
                            truncate(&r.outcome, 9)
                        ),
                        theme.outcome(&r.outcome),
                    ),
                    safe(&rest, theme.style(Slot::Text)),
                ]);
                if i == self.selected {
                    line = line.style(theme.style(Slot::Selection));
                }
                line
            })
            .collect();
        f.render_widget(Paragraph::new(lines), inner);
    }

    fn draw_detail(&self, f: &mut Frame, area: Rect, view: &View) {
        let theme = view.theme;
        let Some(d) = &self.detail else {
            f.render_widget(pane("decision", self.focus == 1, theme), area);
            return;
        };
        let lines = self.detail_lines(d, theme, usize::from(area.width.saturating_sub(2)));
        // The decision takes what it needs, up to 60% of the pane (it
        // scrolls); input and result share the rest.
        let head_height = u16::try_from(lines.len() + 2)
            .unwrap_or(u16::MAX)
            .min(area.height * 60 / 100);
        let [head, input, result] = if view.zoom {
            // Zoomed: the focused one of the three takes the whole screen.
            let none = Rect::default();
            match self.focus {
                2 => [none, area, none],
                3 => [none, none, area],
                _ => [area, none, none],
            }
        } else {
            Layout::vertical([
                Constraint::Length(head_height),
                Constraint::Percentage(50),
                Constraint::Percentage(50),
            ])
            .areas(area)
        };
        let height = usize::from(head.height.saturating_sub(2)).max(1);
        let max = lines.len().saturating_sub(height);
        self.detail_page.set(height);
        self.detail_max.set(max);
        let scroll = self.detail_scroll.min(max);
        let block = with_more(
            pane("decision", self.focus == 1, theme),
            lines.len(),
            scroll,
            height,
            theme,
        );
        f.render_widget(
            Paragraph::new(lines)
                .scroll((u16::try_from(scroll).unwrap_or(u16::MAX), 0))
                .block(block),
            head,
        );
        let ih = usize::from(input.height.saturating_sub(2));
        f.render_widget(
            Paragraph::new(d.input.render(
                theme,
                ih,
                usize::from(input.width.saturating_sub(2)),
                self.focus == 2,
            ))
            .block(pane("input (Space folds)", self.focus == 2, theme)),
            input,
        );
        let rh = usize::from(result.height.saturating_sub(2));
        let result_lines = match &d.result {
            Some(v) => v.render(
                theme,
                rh,
                usize::from(result.width.saturating_sub(2)),
                self.focus == 3,
            ),
            None => vec![Line::from(Span::styled(
                "undefined: the entrypoint produced no value",
                theme.style(Slot::Muted),
            ))],
        };
        f.render_widget(
            Paragraph::new(result_lines).block(pane("result", self.focus == 3, theme)),
            result,
        );
    }

    /// The decision pane's rows: what it is, its exceptions and replays,
    /// what the last replay changed, then every cited rule (causes,
    /// helpers, not fired) with the causes' lines that ran.
    fn detail_lines(&self, d: &Detail, theme: &Theme, width: usize) -> Vec<Line<'static>> {
        let r = &d.record;
        let mut lines = vec![
            Line::from(vec![
                Span::styled(
                    format!("{} {}", outcome_glyph(&r.outcome), r.outcome),
                    theme
                        .outcome(&r.outcome)
                        .add_modifier(ratatui::style::Modifier::BOLD),
                ),
                Span::styled("  ", theme.style(Slot::Text)),
                safe(r.path(), theme.style(Slot::Text)),
            ]),
            field("id", r.decision_id(), theme),
            field("time", r.timestamp(), theme),
            field(
                "version",
                &format!(
                    "{}  {}",
                    r.bundle()
                        .map(|(n, v)| format!("{n}@{v}"))
                        .unwrap_or_else(|| "none named".into()),
                    r.policy_hash.as_deref().unwrap_or("(not in the store)")
                ),
                theme,
            ),
            field("log", &format!("#{}", d.seq), theme),
        ];
        for e in &d.exceptions {
            let style = if e.state.is_open() {
                theme.style(Slot::Warn)
            } else {
                theme.style(Slot::Muted)
            };
            lines.push(Line::from(vec![
                Span::styled(
                    format!(
                        "{} exception #{} {}: ",
                        e.state.glyph(),
                        e.row.id,
                        e.state.as_str()
                    ),
                    style,
                ),
                safe(
                    &format!(
                        "{}, owner {}, {}: {}",
                        e.override_label(),
                        e.row.owner,
                        e.timing,
                        e.row.reason
                    ),
                    style,
                ),
            ]));
        }
        for rep in d.replays.iter().take(3) {
            lines.push(Line::from(vec![
                Span::styled(
                    format!("{} replayed ", outcome_glyph(&rep.verdict)),
                    theme.style(Slot::Muted),
                ),
                safe(
                    &format!(
                        "{}{}: {}{}",
                        rep.replayed_at.get(..10).unwrap_or(&rep.replayed_at),
                        // Before the version, which a narrow pane cuts.
                        if rep.vm_unchecked {
                            " (VM, unchecked)"
                        } else {
                            ""
                        },
                        rep.verdict,
                        rep.version
                            .as_ref()
                            .filter(|_| !rep.own_version)
                            .map(|v| format!(" against {v}"))
                            .unwrap_or_default()
                    ),
                    theme.style(Slot::Text),
                ),
            ]));
        }
        if let Some(rep) = self
            .last_replay
            .as_ref()
            .filter(|rep| rep.decision_id == r.decision_id())
        {
            lines.extend(replay_lines(rep, width, theme));
        }
        lines.push(Line::from(""));
        let evaluated = d.explained.as_ref();
        let Some(outcomes) = r
            .rule_outcomes
            .as_ref()
            .or(evaluated.map(|e| &e.rule_outcomes))
        else {
            lines.push(Line::from(Span::styled(
                "rule outcomes: not in the log; Enter evaluates them under its version",
                theme.style(Slot::Muted),
            )));
            return lines;
        };
        let ex = crate::explain::explain(
            outcomes,
            r.result(),
            &crate::replay::entrypoint_of(r),
            evaluated.map(|e| &e.lines_ran),
            &d.rules,
        );
        lines.push(Line::from(Span::styled(
            format!("cited rules: {} of {} fired", ex.fired(), ex.cited()),
            theme.style(Slot::Muted),
        )));
        lines.extend(explain::fired_section(&ex, width, theme));
        if evaluated.is_none() && !ex.causes.is_empty() {
            lines.push(Line::from(Span::styled(
                "  (the lines that ran: Enter evaluates it under its version)",
                theme.style(Slot::Muted),
            )));
        }
        lines.extend(explain::not_fired_section(&ex, theme));
        // Wrapped here, so the scroll counts rows as drawn and no header
        // line (the version and its hash) is cut.
        crate::tui::widgets::wrap_lines(lines, width)
    }
}

/// What a replay found, as `gavel replay ID --against V` prints it: the
/// verdict, the cited rules that fire differently and the result diff,
/// every line of them.
fn replay_lines(rep: &ReplayResult, width: usize, theme: &Theme) -> Vec<Line<'static>> {
    let mut lines = vec![Line::from("")];
    let transition = match &rep.replayed_outcome {
        Some(after) if *after != rep.original_outcome => {
            format!(" ({} -> {after})", rep.original_outcome)
        }
        _ => String::new(),
    };
    let under = match &rep.against {
        Some(a) => format!("against {a}"),
        None => "under its own version".into(),
    };
    lines.push(Line::from(vec![
        Span::styled(
            format!("replay {}: ", rep.verdict.as_str()),
            theme.style(Slot::Warn),
        ),
        safe(&format!("{under}{transition}"), theme.style(Slot::Text)),
    ]));
    if let Some(reason) = &rep.reason {
        lines.push(Line::from(safe(
            &format!("  {reason}"),
            theme.style(Slot::Muted),
        )));
    }
    if !rep.rule_changes.is_empty() {
        lines.push(Line::from(Span::styled(
            format!(
                "cited rules that fire differently: {}",
                rep.rule_changes.len()
            ),
            theme.style(Slot::Muted),
        )));
        let state = |f: Option<bool>| match f {
            Some(true) => "fires",
            Some(false) => "silent",
            None => "absent",
        };
        for change in &rep.rule_changes {
            let cites = change
                .citations
                .iter()
                .map(|c| c.label())
                .collect::<Vec<_>>()
                .join("; ");
            lines.push(Line::from(vec![
                Span::styled("  ≠ ", theme.style(Slot::Warn)),
                safe(
                    &format!(
                        "{}: {} -> {}",
                        change.rule,
                        state(change.before),
                        state(change.after)
                    ),
                    theme.style(Slot::Text),
                ),
                safe(&format!("  {cites}"), theme.style(Slot::Info)),
            ]));
        }
    }
    if let Some(diff) = &rep.diff {
        lines.push(Line::from(Span::styled(
            "result diff (- original, + replayed):",
            theme.style(Slot::Muted),
        )));
        for l in crate::sanitize::escape_multiline(diff).lines() {
            let (sign, slot) = match l.chars().next() {
                Some('+') => ("+", Slot::Added),
                Some('-') => ("-", Slot::Removed),
                Some(' ') => (" ", Slot::Muted),
                // `@@ -2,11 +2,6 @@`
                _ => ("", Slot::Muted),
            };
            let body = &l[sign.len()..];
            // A long line goes on under its own gutter sign, indented.
            for (i, chunk) in explain::wrap_words(body, width.saturating_sub(6))
                .into_iter()
                .enumerate()
            {
                let lead = if i == 0 { "" } else { "   " };
                lines.push(Line::from(Span::styled(
                    format!("  {sign}{lead}{chunk}"),
                    theme.style(slot),
                )));
            }
        }
    }
    lines
}

/// How much of the time a list row has room for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum TimeShown {
    /// `10-02 10:46:41`
    Full,
    /// `10-02 10:46`
    Minutes,
    None,
}

/// The list's columns after the outcome, chosen once for the rows shown:
/// the short id always; the version whole if it can be, else cut in its
/// name; the time to the second, to the minute, or not at all, whichever
/// leaves the version at least 16 columns (the detail pane has the time).
fn time_shown(widest_version: usize, width: usize) -> TimeShown {
    let room = width.saturating_sub(ID_COLUMNS);
    if room >= widest_version + 16 {
        TimeShown::Full
    } else if room >= widest_version.min(16) + 13 {
        TimeShown::Minutes
    } else {
        TimeShown::None
    }
}

/// ` 5e168061  ` : the short id and its gaps.
const ID_COLUMNS: usize = crate::store::decisions::SHORT_ID + 3;

/// A list row after its outcome, in `width` columns:
/// ` 5e168061  gfr-procurement@1.0.0  10-02 10:46:41`. The id is its short
/// prefix (the detail pane has it whole).
fn row_text(r: &DecisionRow, version: &str, width: usize, time: TimeShown) -> String {
    // Month, day and time: the year is rarely what tells rows apart.
    let stamp = r
        .timestamp
        .get(5..19)
        .unwrap_or(&r.timestamp)
        .replace('T', " ");
    let stamp = match time {
        TimeShown::Full => stamp,
        TimeShown::Minutes => stamp.chars().take(11).collect(),
        TimeShown::None => String::new(),
    };
    let id = format!(" {}  ", crate::store::decisions::short_id(&r.decision_id));
    let room = width.saturating_sub(ID_COLUMNS);
    if stamp.is_empty() {
        return truncate(&format!("{id}{}", fit_version(version, room)), width);
    }
    let v = room.saturating_sub(stamp.chars().count() + 2);
    truncate(
        &format!("{id}{:<v$}  {stamp}", fit_version(version, v)),
        width,
    )
}

/// `NAME@VERSION` in `width` columns: the name is cut first
/// (`gfr-procu…@1.0.0`), so the version stays readable.
fn fit_version(v: &str, width: usize) -> String {
    use unicode_width::UnicodeWidthStr;
    if v.width() <= width {
        return v.to_string();
    }
    match v.rsplit_once('@') {
        Some((name, version)) if version.width() + 5 <= width => {
            let name = truncate(name, width - version.width() - 1);
            format!("{name}@{version}")
        }
        _ => truncate(v, width),
    }
}

/// Appends a decision to `DIR/cases/regressions.json` as a case that
/// expects its recorded outcome, with its decision id as provenance.
pub fn save_case(dir: &Path, name: &str, record: &DecisionRecord) -> Result<String, String> {
    if dir.as_os_str().is_empty() {
        return Err("name the bundle directory to save the case into".into());
    }
    if !dir.is_dir() {
        return Err(format!("{}: not a directory", dir.display()));
    }
    let case = json!({
        "name": name,
        "entrypoint": crate::replay::entrypoint_of(record),
        "input": record.input(),
        "expect": {"outcome": record.outcome},
        "decision_id": record.decision_id(),
    });
    append_case(dir, case)
}

/// `log 1500 · checkpoint #5 · ✓ extends kept.txt`: the signed log, and
/// whether it still extends the checkpoint last written out for an auditor.
fn log_line(log: &Result<LogStatus, String>, theme: &crate::tui::theme::Theme) -> Line<'static> {
    let status = match log {
        Err(e) => return Line::from(safe(&format!("log: {e}"), theme.style(Slot::Error))),
        Ok(s) => s,
    };
    let mut spans = vec![Span::styled(
        format!("log {}", status.size),
        theme.style(Slot::Muted),
    )];
    match &status.latest {
        Some(cp) if cp.size == status.size => spans.push(Span::styled(
            format!(" · checkpoint #{}", cp.id),
            theme.style(Slot::Muted),
        )),
        Some(cp) => spans.push(Span::styled(
            format!(" · signed up to {}", cp.size),
            theme.style(Slot::Warn),
        )),
        None => spans.push(Span::styled(
            " · no checkpoint signed".to_string(),
            theme.style(Slot::Warn),
        )),
    }
    if let Some((cp, to, _, extends)) = &status.exported {
        let name = std::path::Path::new(to)
            .file_name()
            .map_or(to.clone(), |n| n.to_string_lossy().into_owned());
        let (text, slot) = if *extends {
            (format!(" · ✓ extends {name} ({})", cp.size), Slot::Pass)
        } else {
            (
                format!(
                    " · ✗ NOT extending {name} ({}): gavel verify --checkpoint",
                    cp.size
                ),
                Slot::Fail,
            )
        };
        spans.push(safe(&text, theme.style(slot)));
    }
    Line::from(spans)
}

/// Adds a case to `DIR/cases/regressions.json` (made when missing); a case
/// of the same name is replaced. Says where it wrote.
pub fn append_case(dir: &Path, case: Value) -> Result<String, String> {
    let cases_dir = dir.join("cases");
    std::fs::create_dir_all(&cases_dir).map_err(|e| format!("{}: {e}", cases_dir.display()))?;
    let path = cases_dir.join("regressions.json");
    let mut cases: Vec<Value> = match std::fs::read_to_string(&path) {
        Ok(text) => serde_json::from_str(&text)
            .map_err(|e| format!("{}: not a JSON array of cases: {e}", path.display()))?,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Vec::new(),
        Err(e) => return Err(format!("{}: {e}", path.display())),
    };
    let name = case.get("name").cloned();
    cases.retain(|c| c.get("name") != name.as_ref());
    cases.push(case);
    let text = serde_json::to_string_pretty(&cases).map_err(|e| e.to_string())?;
    std::fs::write(&path, text + "\n").map_err(|e| format!("{}: {e}", path.display()))?;
    Ok(format!(
        "saved case {} in {} ({} cases)",
        name.and_then(|n| n.as_str().map(String::from))
            .unwrap_or_default(),
        path.display(),
        cases.len()
    ))
}
