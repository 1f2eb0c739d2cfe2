//! Screen 4, Replay / impact: choose which decisions (`/`, the Decisions
//! filter language) and the version to replay them under (`r`: their own
//! versions, an audit, or another one, an impact), run the batch replay in
//! the background with a gauge (`Esc` cancels), then read the report: the
//! verdict counts, the transition matrix (original outcome by replayed
//! outcome, changed cells starred), outcomes before and after as grouped
//! bars, the rules and citations behind the changes, and the changed
//! decisions. `Enter` on one replays it again and shows both results side
//! by side with the rule outcomes that differ and the diff; `Esc` goes back.
//! While `gavel serve --shadow` runs, the screen shows its live shadow batch
//! (until a run of the user's own), read again on every reload (`Ctrl-R`).

use std::collections::{BTreeSet, VecDeque};

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::Modifier;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Gauge, Paragraph, Wrap};

use super::decisions::{FilterSpec, parse_filter};
use super::{Ctx, Effect, Pick, Prompt, version_labels};
use crate::engine::clock;
use crate::replay::{ImpactReport, ReplayResult, RuleChange, Verdict};
use crate::sanitize::escape;
use crate::store::decisions::DecisionFilter;
use crate::store::{VersionRef, VersionSummary};
use crate::tui::action::Action;
use crate::tui::draw::View;
use crate::tui::jobs::{JobOutput, JobRequest};
use crate::tui::theme::{Slot, Theme, outcome_glyph};
use crate::tui::widgets::json::JsonView;
use crate::tui::widgets::list::Cursor;
use crate::tui::widgets::{pane, safe, safe_lines, truncate};

/// A batch's changed decisions as the report lists them (or why they
/// could not be read).
fn read_changes(ctx: &Ctx, batch_id: &str) -> (Vec<Change>, Option<String>) {
    match ctx.store.batch_changes(batch_id, CHANGES) {
        Ok(rows) => (
            rows.into_iter()
                .map(|(decision_id, original, replayed, verdict)| Change {
                    decision_id,
                    original,
                    replayed,
                    verdict,
                })
                .collect(),
            None,
        ),
        Err(e) => (
            Vec::new(),
            Some(format!("reading the changed decisions: {e}")),
        ),
    }
}

/// The picker's first item: replay each decision under its own version.
pub const OWN_VERSIONS: &str = "(each decision's own version)";
/// How many changed decisions the list loads.
const CHANGES: usize = 500;
/// Below this width the report's panes stack.
const WIDE: u16 = 110;

/// One changed (or diverged, or failed) decision of the report.
#[derive(Debug, Clone, PartialEq)]
pub struct Change {
    pub decision_id: String,
    pub original: String,
    pub replayed: Option<String>,
    pub verdict: String,
}

/// A finished batch replay and what the screen read back about it.
#[derive(Debug)]
struct Report {
    report: ImpactReport,
    label: String,
    filter: DecisionFilter,
    /// How many decisions the filter selects: fewer replayed means the run
    /// was cancelled.
    matching: Option<usize>,
    changes: Vec<Change>,
    changes_error: Option<String>,
    /// A live shadow batch (`gavel serve --shadow`): the time of its newest
    /// replay. It grows as decisions arrive; each reload reads it again.
    live: Option<String>,
}

impl Report {
    fn cancelled(&self) -> bool {
        self.matching
            .is_some_and(|m| (self.report.replayed as usize) < m)
    }
}

/// What a running batch replay was asked.
#[derive(Debug, Clone)]
struct Running {
    filter: DecisionFilter,
    label: String,
    matching: Option<usize>,
}

/// Which kind of job a returned `Start` was, until its id comes back.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Starting {
    Replay,
    Compare,
    Count,
}

/// The panes of the report, in `Tab` order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Focus {
    #[default]
    Changes,
    Rules,
}

/// The panes of the side-by-side view, in `Tab` order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum CompareFocus {
    #[default]
    Original,
    Replayed,
    Changes,
}

/// One decision replayed again, side by side with its original.
#[derive(Debug)]
struct Compare {
    decision_id: String,
    original_outcome: Option<String>,
    original: Option<JsonView>,
    original_note: Option<String>,
    result: Option<ReplayResult>,
    replayed: Option<JsonView>,
    error: Option<String>,
    focus: CompareFocus,
    scroll: usize,
}

#[derive(Default)]
pub struct ImpactScreen {
    filter: FilterSpec,
    /// How many decisions the filter selects: counted on a worker when it
    /// changes (a text filter scans every event).
    filter_count: Option<usize>,
    /// Say the count on the status line when it comes (after `/`).
    announce_count: bool,
    job: Option<u64>,
    compare_job: Option<u64>,
    count_job: Option<u64>,
    /// The kinds of the `Start`s returned, in order, until their ids come
    /// back through `job_started`.
    starting: VecDeque<Starting>,
    running: Option<Running>,
    report: Option<Report>,
    changes: Cursor,
    focus: Focus,
    rules_scroll: usize,
    compare: Option<Compare>,
}

impl ImpactScreen {
    pub fn reload(&mut self, ctx: &Ctx) -> Vec<Effect> {
        let mut effects = vec![self.request_count()];
        effects.extend(self.read_shadow(ctx));
        effects
    }

    /// Shows the live shadow batch of `gavel serve --shadow`, read again
    /// from the store, unless a batch replay of the user's own is on the
    /// screen or running (that one stays until the next run).
    fn read_shadow(&mut self, ctx: &Ctx) -> Vec<Effect> {
        if self.replay_pending()
            || self.compare.is_some()
            || self.report.as_ref().is_some_and(|r| r.live.is_none())
        {
            return Vec::new();
        }
        let (report, newest) = match ctx.store.latest_shadow() {
            Ok(Some(found)) => found,
            Ok(None) => return Vec::new(),
            Err(e) => return vec![Effect::Error(format!("reading the shadow replay: {e}"))],
        };
        let (changes, changes_error) = read_changes(ctx, &report.batch_id);
        let same_batch = self
            .report
            .as_ref()
            .is_some_and(|r| r.report.batch_id == report.batch_id);
        let against = report
            .against
            .as_ref()
            .map_or_else(|| report.batch_id.clone(), |v| v.to_string());
        self.report = Some(Report {
            label: format!(
                "live shadow: decisions gavel serve received, replayed against {against}"
            ),
            filter: DecisionFilter::default(),
            matching: None,
            changes,
            changes_error,
            report,
            live: Some(newest),
        });
        if !same_batch {
            self.changes = Cursor::default();
            self.rules_scroll = 0;
        }
        Vec::new()
    }

    /// Counts what the filter selects, on a worker.
    fn request_count(&mut self) -> Effect {
        self.filter_count = None;
        self.starting.push_back(Starting::Count);
        Effect::Start(JobRequest::Count {
            filter: self.filter.filter.clone(),
        })
    }

    fn replay_pending(&self) -> bool {
        self.job.is_some() || self.starting.contains(&Starting::Replay)
    }

    pub fn handle(&mut self, action: Action, ctx: &Ctx) -> Vec<Effect> {
        let mut effects = Vec::new();
        // The first action on the screen counts what the filter selects.
        if self.filter_count.is_none()
            && self.count_job.is_none()
            && !self.starting.contains(&Starting::Count)
        {
            effects.push(self.request_count());
        }
        effects.extend(self.handle_action(action, ctx));
        effects
    }

    fn handle_action(&mut self, action: Action, ctx: &Ctx) -> Vec<Effect> {
        match action {
            Action::Filter => {
                return vec![Effect::OpenPrompt {
                    title:
                        "replay which decisions: outcome:O version:N@V path:P since:T until:T text"
                            .into(),
                    initial: self.filter_text(ctx.versions),
                    prompt: Prompt::ImpactFilter,
                }];
            }
            Action::RunImpact => {
                if self.replay_pending() {
                    return vec![Effect::Message(
                        "a batch replay is already running (Esc cancels it)".into(),
                    )];
                }
                if self.filter_count == Some(0) {
                    return vec![Effect::Error(
                        "no stored decision matches the filter: nothing to replay (/ changes it)"
                            .into(),
                    )];
                }
                let mut items = vec![OWN_VERSIONS.to_string()];
                items.extend(version_labels(ctx.versions));
                return vec![Effect::OpenPicker {
                    title: format!("replay {} under", truncate(&self.what(ctx.versions), 40)),
                    items,
                    pick: Pick::ImpactAgainst,
                }];
            }
            _ => {}
        }
        if self.compare.is_some() {
            return self.handle_compare(action);
        }
        match action {
            Action::NextPane | Action::PrevPane => {
                self.focus = match self.focus {
                    Focus::Changes => Focus::Rules,
                    Focus::Rules => Focus::Changes,
                };
            }
            Action::Back | Action::Left if self.focus == Focus::Rules => {
                self.focus = Focus::Changes
            }
            Action::Select if self.focus == Focus::Changes => return self.open_compare(ctx),
            a if self.focus == Focus::Rules => {
                let n = self.report.as_ref().map_or(0, |r| r.report.rules.len());
                self.rules_scroll = match a {
                    Action::Down => (self.rules_scroll + 1).min(n.saturating_sub(1)),
                    Action::Up => self.rules_scroll.saturating_sub(1),
                    Action::PageDown => (self.rules_scroll + 10).min(n.saturating_sub(1)),
                    Action::PageUp => self.rules_scroll.saturating_sub(10),
                    Action::Top => 0,
                    Action::Bottom => n.saturating_sub(1),
                    _ => self.rules_scroll,
                };
            }
            a => {
                let n = self.report.as_ref().map_or(0, |r| r.changes.len());
                self.changes.apply(a, n);
            }
        }
        Vec::new()
    }

    fn handle_compare(&mut self, action: Action) -> Vec<Effect> {
        let Some(c) = &mut self.compare else {
            return Vec::new();
        };
        match action {
            Action::Back => {
                self.compare = None;
                self.compare_job = None;
            }
            Action::NextPane => {
                c.focus = match c.focus {
                    CompareFocus::Original => CompareFocus::Replayed,
                    CompareFocus::Replayed => CompareFocus::Changes,
                    CompareFocus::Changes => CompareFocus::Original,
                }
            }
            Action::PrevPane => {
                c.focus = match c.focus {
                    CompareFocus::Original => CompareFocus::Changes,
                    CompareFocus::Replayed => CompareFocus::Original,
                    CompareFocus::Changes => CompareFocus::Replayed,
                }
            }
            a => match c.focus {
                CompareFocus::Original => {
                    if let Some(v) = &mut c.original {
                        v.apply(a);
                    }
                }
                CompareFocus::Replayed => {
                    if let Some(v) = &mut c.replayed {
                        v.apply(a);
                    }
                }
                CompareFocus::Changes => {
                    c.scroll = match a {
                        Action::Down => c.scroll + 1,
                        Action::Up => c.scroll.saturating_sub(1),
                        Action::PageDown => c.scroll + 10,
                        Action::PageUp => c.scroll.saturating_sub(10),
                        Action::Top => 0,
                        _ => c.scroll,
                    }
                }
            },
        }
        Vec::new()
    }

    /// Enter on a changed decision: read the original from the store and
    /// replay it again (not recorded) under the report's version.
    fn open_compare(&mut self, ctx: &Ctx) -> Vec<Effect> {
        let Some(report) = &self.report else {
            return Vec::new();
        };
        let Some(change) = report.changes.get(self.changes.selected) else {
            return Vec::new();
        };
        let id = change.decision_id.clone();
        let (original, original_note, original_outcome) = match ctx.store.get_decision(&id) {
            Ok(Some((_, rec))) => match rec.result() {
                Some(r) => (
                    Some(JsonView::folded_below(r, 4)),
                    None,
                    Some(rec.outcome.clone()),
                ),
                None => (
                    None,
                    Some("undefined: the entrypoint produced no value".to_string()),
                    Some(rec.outcome.clone()),
                ),
            },
            Ok(None) => (
                None,
                Some(format!("decision {id} is no longer in the store")),
                None,
            ),
            Err(e) => (None, Some(format!("reading decision {id}: {e}")), None),
        };
        self.compare = Some(Compare {
            decision_id: id.clone(),
            original_outcome,
            original,
            original_note,
            result: None,
            replayed: None,
            error: None,
            focus: CompareFocus::default(),
            scroll: 0,
        });
        self.starting.push_back(Starting::Compare);
        vec![Effect::Start(JobRequest::Compare {
            decision_id: id,
            against: report.report.against.clone(),
        })]
    }

    pub fn job_started(&mut self, id: u64) {
        match self.starting.pop_front() {
            Some(Starting::Replay) => self.job = Some(id),
            Some(Starting::Compare) => self.compare_job = Some(id),
            Some(Starting::Count) => self.count_job = Some(id),
            // Not ours (the app starts samples loading for the current tab).
            None => {}
        }
    }

    pub fn on_job(&mut self, id: u64, result: Result<JobOutput, String>, ctx: &Ctx) -> Vec<Effect> {
        if self.job == Some(id) {
            self.job = None;
            let running = self.running.take();
            // A failure is already on the status line.
            let Ok(JobOutput::Impact(report)) = result else {
                return Vec::new();
            };
            return self.take_report(*report, running, ctx);
        }
        if self.count_job == Some(id) {
            self.count_job = None;
        }
        if let Ok(JobOutput::Count { filter, count }) = &result {
            return self.take_count(filter, *count);
        }
        if self.compare_job == Some(id) {
            self.compare_job = None;
            let Some(c) = &mut self.compare else {
                return Vec::new();
            };
            match result {
                Ok(JobOutput::Compare(r)) if r.decision_id == c.decision_id => {
                    c.replayed = r
                        .replayed_result
                        .as_ref()
                        .map(|v| JsonView::folded_below(v, 4));
                    c.result = Some(*r);
                }
                Ok(_) => {}
                Err(e) => c.error = Some(e),
            }
        }
        Vec::new()
    }

    /// A count came back: it belongs to the filter it was asked for, which
    /// may since have been replaced (then it is only the report's).
    fn take_count(&mut self, filter: &DecisionFilter, count: usize) -> Vec<Effect> {
        if let Some(r) = self
            .running
            .as_mut()
            .filter(|r| same_filter(&r.filter, filter))
        {
            r.matching = Some(count);
        }
        if let Some(r) = self
            .report
            .as_mut()
            .filter(|r| r.matching.is_none() && same_filter(&r.filter, filter))
        {
            r.matching = Some(count);
        }
        if !same_filter(filter, &self.filter.filter) {
            return Vec::new();
        }
        self.filter_count = Some(count);
        if std::mem::take(&mut self.announce_count) {
            return vec![Effect::Message(format!(
                "{count} decisions match: r chooses a version and replays them"
            ))];
        }
        Vec::new()
    }

    fn take_report(
        &mut self,
        report: ImpactReport,
        running: Option<Running>,
        ctx: &Ctx,
    ) -> Vec<Effect> {
        let (changes, changes_error) = read_changes(ctx, &report.batch_id);
        let (label, filter, matching) = match running {
            Some(r) => (r.label, r.filter, r.matching),
            None => (
                "the last batch".to_string(),
                self.filter.filter.clone(),
                None,
            ),
        };
        let changed = report.count(Verdict::Changed) + report.count(Verdict::Diverged);
        let r = Report {
            label,
            filter,
            matching,
            changes,
            changes_error,
            report,
            live: None,
        };
        let msg = if r.cancelled() {
            format!(
                "cancelled: {} of {} decisions replayed (the report covers those)",
                r.report.replayed,
                r.matching.unwrap_or(0)
            )
        } else {
            format!(
                "replayed {} decisions: {changed} changed, {} errors",
                r.report.replayed,
                r.report.count(Verdict::Error)
            )
        };
        self.report = Some(r);
        self.changes = Cursor::default();
        self.rules_scroll = 0;
        self.compare = None;
        self.compare_job = None;
        vec![Effect::Message(msg)]
    }

    pub fn on_pick(&mut self, pick: Pick, index: usize, item: &str, ctx: &Ctx) -> Vec<Effect> {
        if pick != Pick::ImpactAgainst {
            return Vec::new();
        }
        let against = if index == 0 {
            None
        } else {
            match VersionRef::parse(item) {
                Ok(v) => Some(v),
                Err(e) => return vec![Effect::Error(e.to_string())],
            }
        };
        let label = label_of(&self.what(ctx.versions), against.as_ref());
        self.run_for(self.filter.filter.clone(), against, label)
    }

    pub fn on_prompt(&mut self, prompt: Prompt, text: &str, ctx: &Ctx) -> Vec<Effect> {
        if prompt != Prompt::ImpactFilter {
            return Vec::new();
        }
        let text = text.trim().to_string();
        match parse_filter(&text, ctx, None) {
            Ok(filter) => {
                self.filter = FilterSpec { text, filter };
                self.announce_count = true;
                vec![self.request_count()]
            }
            Err(e) => vec![Effect::Error(e)],
        }
    }

    /// Replays what `filter` selects under `against` (their own versions
    /// when `None`): asked by the Diff screen's `i`.
    pub fn run_for(
        &mut self,
        filter: crate::store::decisions::DecisionFilter,
        against: Option<crate::store::VersionRef>,
        label: String,
    ) -> Vec<Effect> {
        if self.replay_pending() {
            return vec![Effect::Message(
                "a batch replay is already running (Esc cancels it)".into(),
            )];
        }
        let mut effects = Vec::new();
        // The filter becomes the screen's, so the report reads with it; its
        // text is rebuilt from the filter when drawn.
        if !same_filter(&filter, &self.filter.filter) {
            self.filter = FilterSpec {
                text: String::new(),
                filter: filter.clone(),
            };
            effects.push(self.request_count());
        }
        self.compare = None;
        self.compare_job = None;
        self.running = Some(Running {
            filter: filter.clone(),
            label: label.clone(),
            matching: self.filter_count,
        });
        self.starting.push_back(Starting::Replay);
        effects.push(Effect::Start(JobRequest::ReplayAll {
            filter,
            against,
            label,
        }));
        effects
    }

    // --- what tests and other code can read -------------------------------

    pub fn report(&self) -> Option<&ImpactReport> {
        self.report.as_ref().map(|r| &r.report)
    }

    /// The time of the newest replay, when the report is a live shadow.
    pub fn live(&self) -> Option<&str> {
        self.report.as_ref().and_then(|r| r.live.as_deref())
    }

    /// The changed decisions of the report (at most 500).
    pub fn changes(&self) -> &[Change] {
        self.report.as_ref().map_or(&[], |r| &r.changes)
    }

    /// The report stopped before every selected decision was replayed.
    pub fn cancelled(&self) -> bool {
        self.report.as_ref().is_some_and(Report::cancelled)
    }

    /// The side-by-side view is open (on this decision).
    pub fn comparing(&self) -> Option<&str> {
        self.compare.as_ref().map(|c| c.decision_id.as_str())
    }

    /// The replayed side of the side-by-side view, once it came back.
    pub fn compared(&self) -> Option<&ReplayResult> {
        self.compare.as_ref().and_then(|c| c.result.as_ref())
    }

    pub fn filter(&self) -> &DecisionFilter {
        &self.filter.filter
    }

    pub fn running(&self) -> bool {
        self.job.is_some()
    }

    /// The filter as text: what the user wrote, or (for a run asked by
    /// another screen) the same filter written out.
    fn filter_text(&self, versions: &[VersionSummary]) -> String {
        if self.filter.text.is_empty() {
            describe(&self.filter.filter, versions)
        } else {
            self.filter.text.clone()
        }
    }

    /// The decisions the filter selects, in words.
    fn what(&self, versions: &[VersionSummary]) -> String {
        let text = self.filter_text(versions);
        if text.is_empty() {
            "all decisions".into()
        } else {
            text
        }
    }

    // --- drawing -----------------------------------------------------------

    pub fn draw(&self, f: &mut Frame, area: Rect, view: &View) {
        let [head, body] =
            Layout::vertical([Constraint::Length(2), Constraint::Min(0)]).areas(area);
        self.draw_head(f, head, view);
        if let Some(c) = &self.compare {
            self.draw_compare(c, f, body, view);
            return;
        }
        match &self.report {
            Some(r) => self.draw_report(r, f, body, view),
            None => draw_intro(f, body, view),
        }
    }

    /// Which decisions the next run replays; the gauge while one runs, or
    /// what the report on screen is of.
    fn draw_head(&self, f: &mut Frame, area: Rect, view: &View) {
        let theme = view.theme;
        let [first, second] =
            Layout::vertical([Constraint::Length(1), Constraint::Length(1)]).areas(area);
        let count = match self.filter_count {
            Some(n) => format!("  ({n} match)"),
            None => String::new(),
        };
        let width = usize::from(area.width);
        f.render_widget(
            Paragraph::new(Line::from(vec![
                Span::styled("decisions: ", theme.style(Slot::Muted)),
                safe(
                    &truncate(
                        &self.what(view.versions),
                        width.saturating_sub(11 + count.chars().count()),
                    ),
                    theme.style(Slot::Text),
                ),
                Span::styled(count, theme.style(Slot::Muted)),
            ])),
            first,
        );
        if let Some(job) = view.job(self.job) {
            let counts = if job.total > 0 {
                format!(" {}/{}", job.done, job.total)
            } else {
                String::new()
            };
            f.render_widget(
                Gauge::default()
                    .ratio(job.ratio())
                    .use_unicode(true)
                    .gauge_style(theme.style(Slot::Info))
                    .label(Span::styled(
                        truncate(
                            &format!("{}{counts} (Esc cancels)", escape(&job.label)),
                            width,
                        ),
                        theme.style(Slot::Text),
                    )),
                second,
            );
        } else if let Some(r) = &self.report {
            let done = match &r.live {
                Some(newest) => format!(
                    "  {} replayed so far, newest {} UTC (Ctrl-R reloads)",
                    r.report.replayed,
                    newest.get(..19).unwrap_or(newest).replace('T', " ")
                ),
                None => format!(
                    "  {} replayed in{}",
                    r.report.replayed,
                    seconds(r.report.duration_ms)
                ),
            };
            let cancelled = if r.cancelled() {
                format!("  cancelled: {} selected", r.matching.unwrap_or(0))
            } else {
                String::new()
            };
            // How far the VM's answers were checked (against another
            // version; see replay::vm_trust).
            let vm = &r.report.vm;
            let fixed = 8 + done.chars().count() + cancelled.chars().count();
            // Only where the label keeps room enough to read.
            let checks = if vm.is_empty() || width < fixed + 30 + 40 {
                String::new()
            } else {
                format!("  VM: {} checked, {} disagreed", vm.checked, vm.disagreed)
            };
            let room = width.saturating_sub(fixed + checks.chars().count());
            let spans = vec![
                Span::styled("report: ", theme.style(Slot::Muted)),
                safe(&truncate(&r.label, room), theme.style(Slot::Text)),
                Span::styled(done, theme.style(Slot::Muted)),
                Span::styled(cancelled, theme.style(Slot::Warn)),
                Span::styled(
                    checks,
                    theme.style(if vm.disagreed > 0 {
                        Slot::Warn
                    } else {
                        Slot::Muted
                    }),
                ),
            ];
            f.render_widget(Paragraph::new(Line::from(spans)), second);
        }
    }

    fn draw_report(&self, r: &Report, f: &mut Frame, area: Rect, view: &View) {
        let outcomes = outcomes_of(&r.report);
        if view.zoom {
            match self.focus {
                Focus::Rules => self.draw_rules(r, f, area, view),
                Focus::Changes => self.draw_changes(r, f, area, view),
            }
            return;
        }
        let matrix_height = u16::try_from(outcomes.len() + 4).unwrap_or(12);
        let bars_height = u16::try_from(outcomes.len() * 2 + 2).unwrap_or(12);
        if area.width >= WIDE {
            // The left column is as wide as the whole matrix, within reason.
            let needed = MatrixLayout::of(&r.report, &outcomes, usize::MAX).width() + 2;
            let left_w = u16::try_from(needed)
                .unwrap_or(u16::MAX)
                .min(area.width / 3 * 2)
                .max(50);
            let [left, right] =
                Layout::horizontal([Constraint::Length(left_w), Constraint::Min(30)]).areas(area);
            let [matrix, bars, rules] = Layout::vertical([
                Constraint::Length(matrix_height),
                Constraint::Length(bars_height),
                Constraint::Min(3),
            ])
            .areas(left);
            draw_matrix(r, &outcomes, f, matrix, view);
            draw_bars(&r.report, &outcomes, f, bars, view);
            self.draw_rules(r, f, rules, view);
            self.draw_changes(r, f, right, view);
        } else {
            // Narrow: the matrix across, then the changed decisions beside
            // the bars; Tab swaps the bars for the rules behind the changes.
            let [matrix, bottom] =
                Layout::vertical([Constraint::Length(matrix_height), Constraint::Min(3)])
                    .areas(area);
            let [changes, side] =
                Layout::horizontal([Constraint::Percentage(50), Constraint::Percentage(50)])
                    .areas(bottom);
            draw_matrix(r, &outcomes, f, matrix, view);
            self.draw_changes(r, f, changes, view);
            if self.focus == Focus::Rules {
                self.draw_rules(r, f, side, view);
            } else {
                draw_bars(&r.report, &outcomes, f, side, view);
            }
        }
    }

    fn draw_rules(&self, r: &Report, f: &mut Frame, area: Rect, view: &View) {
        let theme = view.theme;
        let focused = self.focus == Focus::Rules;
        let block = pane(
            &format!("rules behind the changes ({})", r.report.rules.len()),
            focused,
            theme,
        );
        let inner = block.inner(area);
        f.render_widget(block, area);
        if r.report.rules.is_empty() {
            let note = if r.live.is_some() {
                "a live shadow keeps verdicts and outcomes, not rule firings: Enter on a changed decision shows its rules"
            } else {
                "no cited rule fires differently"
            };
            f.render_widget(
                Paragraph::new(Span::styled(note, theme.style(Slot::Muted)))
                    .wrap(Wrap { trim: true }),
                inner,
            );
            return;
        }
        let width = usize::from(inner.width);
        let name_w = r
            .report
            .rules
            .iter()
            .map(|x| x.rule.chars().count())
            .max()
            .unwrap_or(4)
            .clamp(4, (width / 2).max(4));
        let mut lines = vec![Line::from(Span::styled(
            truncate(
                &format!(
                    "{:<name_w$} {:>5} {:>7}  CITATIONS",
                    "RULE", "FIRES", "STOPPED"
                ),
                width,
            ),
            theme.style(Slot::Title),
        ))];
        let rows = usize::from(inner.height).saturating_sub(1).max(1);
        let start = self
            .rules_scroll
            .min(r.report.rules.len().saturating_sub(rows));
        for (i, rule) in r.report.rules.iter().enumerate().skip(start).take(rows) {
            let cites = rule
                .citations
                .iter()
                .map(|c| c.label())
                .collect::<Vec<_>>()
                .join("; ");
            let text = format!(
                "{:<name_w$} {:>5} {:>7}  {cites}",
                truncate(&rule.rule, name_w),
                format!("+{}", rule.now_fires),
                format!("-{}", rule.stopped_firing),
            );
            let mut line = Line::from(safe(&truncate(&text, width), theme.style(Slot::Text)));
            if focused && i == self.rules_scroll {
                line = line.style(theme.style(Slot::Selection));
            }
            lines.push(line);
        }
        f.render_widget(Paragraph::new(lines), inner);
    }

    fn draw_changes(&self, r: &Report, f: &mut Frame, area: Rect, view: &View) {
        let theme = view.theme;
        let total = r.report.count(Verdict::Changed)
            + r.report.count(Verdict::Diverged)
            + r.report.count(Verdict::Error);
        let shown = if (r.changes.len() as u64) < total {
            format!("first {} of {total}", r.changes.len())
        } else {
            total.to_string()
        };
        let focused = self.focus == Focus::Changes;
        let block = pane(
            &format!("changed decisions ({shown}) Enter compares"),
            focused,
            theme,
        );
        let inner = block.inner(area);
        f.render_widget(block, area);
        if let Some(e) = &r.changes_error {
            f.render_widget(
                Paragraph::new(safe(e, theme.style(Slot::Error))).wrap(Wrap { trim: true }),
                inner,
            );
            return;
        }
        if r.changes.is_empty() {
            let text = if r.report.replayed == 0 {
                "nothing was replayed"
            } else if r.report.against.is_none() {
                "✓ every decision replayed to the same result under its own version"
            } else {
                "✓ no decision's result changes under this version"
            };
            f.render_widget(
                Paragraph::new(Span::styled(text, theme.style(Slot::Pass)))
                    .wrap(Wrap { trim: true }),
                inner,
            );
            return;
        }
        let width = usize::from(inner.width);
        let range = self
            .changes
            .window(r.changes.len(), usize::from(inner.height));
        let outcomes_of = |c: &Change| {
            format!(
                "{} → {}",
                c.original,
                c.replayed.as_deref().unwrap_or("(no result)")
            )
        };
        // Columns: the outcomes as wide as the widest shown, the id the rest.
        let outcomes_w = r.changes[range.clone()]
            .iter()
            .map(|c| outcomes_of(c).chars().count())
            .max()
            .unwrap_or(0);
        let verdict_w = if width >= 70 { 9 } else { 0 };
        let id_w = width
            .saturating_sub(2 + verdict_w + outcomes_w + 2)
            .clamp(8, 36);
        let lines: Vec<Line> = r.changes[range.clone()]
            .iter()
            .enumerate()
            .map(|(i, c)| {
                let outcomes = outcomes_of(c);
                let verdict = if verdict_w > 0 {
                    format!("{:<verdict_w$}", c.verdict)
                } else {
                    String::new()
                };
                let mut line = Line::from(vec![
                    safe(
                        &format!("{} {verdict}", outcome_glyph(&c.verdict)),
                        verdict_style(&c.verdict, theme),
                    ),
                    safe(
                        &format!("{:<id_w$}  ", truncate(&c.decision_id, id_w)),
                        theme.style(Slot::Text),
                    ),
                    safe(
                        &truncate(&outcomes, width.saturating_sub(id_w + 4)),
                        theme.style(Slot::Warn),
                    ),
                ]);
                if range.start + i == self.changes.selected {
                    line = line.style(theme.style(Slot::Selection));
                }
                line
            })
            .collect();
        f.render_widget(Paragraph::new(lines), inner);
    }

    fn draw_compare(&self, c: &Compare, f: &mut Frame, area: Rect, view: &View) {
        let theme = view.theme;
        let narrow = area.width < WIDE;
        let info_rows = match &c.result {
            Some(r) if r.reason.is_some() => 4,
            _ => 3,
        };
        let [info, sides, bottom] = Layout::vertical([
            Constraint::Length(info_rows + 2),
            Constraint::Min(4),
            Constraint::Percentage(if narrow { 35 } else { 38 }),
        ])
        .areas(area);
        // What was compared.
        let mut lines = vec![Line::from(vec![
            Span::styled("decision ", theme.style(Slot::Muted)),
            safe(&c.decision_id, theme.style(Slot::TitleFocused)),
            Span::styled("  (Esc back to the report)", theme.style(Slot::Muted)),
        ])];
        match (&c.result, &c.error) {
            (Some(r), _) => {
                let under = match (&r.against, &r.version) {
                    (Some(a), Some(own)) => format!("replayed under {a}, made with {own}"),
                    (Some(a), None) => format!("replayed under {a}"),
                    (None, Some(own)) => format!("replayed under its own version {own}"),
                    (None, None) => "replayed under its own version".into(),
                };
                let after = r.replayed_outcome.as_deref().unwrap_or("(no result)");
                lines.push(Line::from(vec![
                    Span::styled(
                        format!(
                            "{} {} ",
                            outcome_glyph(r.verdict.as_str()),
                            r.verdict.as_str()
                        ),
                        verdict_style(r.verdict.as_str(), theme).add_modifier(Modifier::BOLD),
                    ),
                    safe(
                        &format!(
                            "{} {}",
                            outcome_glyph(&r.original_outcome),
                            r.original_outcome
                        ),
                        theme.outcome(&r.original_outcome),
                    ),
                    Span::styled(" → ", theme.style(Slot::Muted)),
                    safe(
                        &format!("{} {after}", outcome_glyph(after)),
                        theme.outcome(after),
                    ),
                ]));
                lines.push(Line::from(safe(&under, theme.style(Slot::Muted))));
                if let Some(reason) = &r.reason {
                    lines.push(Line::from(vec![
                        Span::styled("reason: ", theme.style(Slot::Muted)),
                        safe(reason, theme.style(Slot::Error)),
                    ]));
                }
            }
            (None, Some(e)) => lines.push(Line::from(vec![
                Span::styled("the replay failed: ", theme.style(Slot::Error)),
                safe(e, theme.style(Slot::Error)),
            ])),
            (None, None) => {
                let text = match view.job(self.compare_job) {
                    Some(j) => format!("{}…", escape(&j.label)),
                    None => "replaying…".to_string(),
                };
                lines.push(Line::from(Span::styled(text, theme.style(Slot::Info))));
            }
        }
        f.render_widget(
            Paragraph::new(lines).wrap(Wrap { trim: false }).block(pane(
                "side by side",
                false,
                theme,
            )),
            info,
        );
        // Original | replayed.
        let [left, right] =
            Layout::horizontal([Constraint::Percentage(50), Constraint::Percentage(50)])
                .areas(sides);
        let original_title = match &c.original_outcome {
            Some(o) => format!("original result: {} {o}", outcome_glyph(o)),
            None => "original result".into(),
        };
        json_pane(
            &original_title,
            c.original.as_ref(),
            c.original_note.as_deref(),
            c.focus == CompareFocus::Original,
            f,
            left,
            theme,
        );
        let (replayed_title, replayed_note) = match &c.result {
            Some(r) => (
                match &r.replayed_outcome {
                    Some(o) => format!("replayed result: {} {o}", outcome_glyph(o)),
                    None => "replayed result".into(),
                },
                Some(
                    r.reason
                        .clone()
                        .unwrap_or_else(|| "undefined: the entrypoint produced no value".into()),
                ),
            ),
            None => (
                "replayed result".to_string(),
                Some(match &c.error {
                    Some(e) => e.clone(),
                    None => "replaying…".into(),
                }),
            ),
        };
        json_pane(
            &replayed_title,
            c.replayed.as_ref(),
            replayed_note.as_deref(),
            c.focus == CompareFocus::Replayed,
            f,
            right,
            theme,
        );
        // The rule outcomes that differ, then the diff.
        let mut lines: Vec<Line> = Vec::new();
        if let Some(r) = &c.result {
            if r.rule_changes.is_empty() {
                lines.push(Line::from(Span::styled(
                    "no cited rule fires differently",
                    theme.style(Slot::Muted),
                )));
            } else {
                lines.push(Line::from(Span::styled(
                    format!(
                        "cited rules that fire differently ({}):",
                        r.rule_changes.len()
                    ),
                    theme.style(Slot::Title),
                )));
                for rc in &r.rule_changes {
                    lines.push(rule_change_line(rc, theme));
                }
            }
            match &r.diff {
                Some(d) => {
                    lines.push(Line::from(""));
                    lines.push(Line::from(Span::styled(
                        "diff (- original, + replayed):",
                        theme.style(Slot::Title),
                    )));
                    // The header names the sides already: skip diff's own.
                    for l in crate::sanitize::escape_multiline(d)
                        .lines()
                        .filter(|l| *l != "--- expected" && *l != "+++ actual")
                    {
                        let slot = if l.starts_with("+++") || l.starts_with("---") {
                            Slot::Muted
                        } else if l.starts_with('+') {
                            Slot::Added
                        } else if l.starts_with('-') {
                            Slot::Removed
                        } else if l.starts_with("@@") {
                            Slot::Info
                        } else {
                            Slot::Text
                        };
                        lines.push(Line::from(Span::styled(l.to_string(), theme.style(slot))));
                    }
                }
                None if r.result_match => lines.push(Line::from(Span::styled(
                    "the results are the same",
                    theme.style(Slot::Pass),
                ))),
                None => {}
            }
        }
        let block = pane(
            "rule changes and diff",
            c.focus == CompareFocus::Changes,
            theme,
        );
        let inner_height = usize::from(bottom.height.saturating_sub(2));
        let scroll = c.scroll.min(lines.len().saturating_sub(inner_height));
        f.render_widget(
            Paragraph::new(lines)
                .block(block)
                .scroll((u16::try_from(scroll).unwrap_or(u16::MAX), 0)),
            bottom,
        );
    }
}

/// What the screen shows before the first replay.
fn draw_intro(f: &mut Frame, area: Rect, view: &View) {
    let theme = view.theme;
    let key = |a: Action| view.keys.keys_of(a, crate::tui::action::Scope::Impact);
    let lines = vec![
        Line::from(Span::styled(
            "Replay stored decisions, in the background.",
            theme.style(Slot::TitleFocused),
        )),
        Line::from(""),
        Line::from(Span::styled(
            "Under their own versions it is an audit: each result should come out the same (DETERMINISTIC) or it DIVERGED.",
            theme.style(Slot::Text),
        )),
        Line::from(Span::styled(
            "Under another version it is an impact: which decisions would change (CHANGED), and why.",
            theme.style(Slot::Text),
        )),
        Line::from(""),
        Line::from(vec![
            Span::styled(
                format!("{:>6}  ", key(Action::Filter)),
                theme.style(Slot::Key),
            ),
            Span::styled(
                "which decisions: outcome:O version:N@V path:P since:T until:T text",
                theme.style(Slot::Text),
            ),
        ]),
        Line::from(vec![
            Span::styled(
                format!("{:>6}  ", key(Action::RunImpact)),
                theme.style(Slot::Key),
            ),
            Span::styled(
                "choose the version and replay them (Esc cancels)",
                theme.style(Slot::Text),
            ),
        ]),
        Line::from(""),
        Line::from(Span::styled(
            "Live: `gavel serve --shadow NAME@VERSION` replays each decision OPA sends against that version; its running impact shows here.",
            theme.style(Slot::Muted),
        )),
    ];
    f.render_widget(
        Paragraph::new(lines).wrap(Wrap { trim: false }).block(pane(
            "replay / impact",
            false,
            theme,
        )),
        area,
    );
}

/// Every outcome of the report, rows and columns of the matrix alike.
fn outcomes_of(r: &ImpactReport) -> Vec<String> {
    let mut all: BTreeSet<String> = BTreeSet::new();
    all.extend(r.outcomes_before.keys().cloned());
    all.extend(r.outcomes_after.keys().cloned());
    for (from, row) in &r.transitions {
        all.insert(from.clone());
        all.extend(row.keys().cloned());
    }
    all.into_iter().collect()
}

/// Column widths of the transition matrix. When the outcome names do not
/// fit as column headers, the columns are numbered and the rows carry the
/// numbers, so the matrix still reads in a narrow pane.
struct MatrixLayout {
    row_w: usize,
    col_w: Vec<usize>,
    headers: Vec<String>,
    numbered: bool,
}

impl MatrixLayout {
    fn of(r: &ImpactReport, outcomes: &[String], width: usize) -> MatrixLayout {
        let count_w = |to: &String| {
            r.transitions
                .values()
                .map(|row| row.get(to).copied().unwrap_or(0).to_string().len() + 1)
                .max()
                .unwrap_or(2)
        };
        let row_w = outcomes
            .iter()
            .map(|o| o.chars().count())
            .max()
            .unwrap_or(0)
            + 2;
        let full = MatrixLayout {
            row_w,
            col_w: outcomes
                .iter()
                .map(|o| o.chars().count().max(count_w(o)))
                .collect(),
            headers: outcomes.to_vec(),
            numbered: false,
        };
        if full.width() <= width {
            return full;
        }
        let headers: Vec<String> = (1..=outcomes.len()).map(|i| i.to_string()).collect();
        MatrixLayout {
            row_w: row_w + outcomes.len().to_string().len() + 1,
            col_w: outcomes
                .iter()
                .zip(&headers)
                .map(|(o, h)| h.len().max(count_w(o)))
                .collect(),
            headers,
            numbered: true,
        }
    }

    fn width(&self) -> usize {
        self.row_w + self.col_w.iter().map(|w| w + 2).sum::<usize>()
    }
}

/// The verdict counts, then original outcome (rows) by replayed outcome
/// (columns), `*` on the cells whose outcome changed.
fn draw_matrix(r: &Report, outcomes: &[String], f: &mut Frame, area: Rect, view: &View) {
    let theme = view.theme;
    let block = pane(
        "transitions: rows original, columns replayed (* changed)",
        false,
        theme,
    );
    let inner = block.inner(area);
    f.render_widget(block, area);
    let width = usize::from(inner.width);
    let verdicts: &[Verdict] = if r.report.against.is_some() {
        &[Verdict::Unchanged, Verdict::Changed, Verdict::Error]
    } else {
        &[Verdict::Deterministic, Verdict::Diverged, Verdict::Error]
    };
    let mut spans = Vec::new();
    for v in verdicts {
        spans.push(Span::styled(
            format!(
                "{} {} {}  ",
                outcome_glyph(v.as_str()),
                v.as_str(),
                r.report.count(*v)
            ),
            verdict_style(v.as_str(), theme),
        ));
    }
    let mut lines = vec![Line::from(spans)];
    if outcomes.is_empty() {
        lines.push(Line::from(Span::styled(
            "no decision was replayed to a result",
            theme.style(Slot::Muted),
        )));
        f.render_widget(Paragraph::new(lines), inner);
        return;
    }
    let layout = MatrixLayout::of(&r.report, outcomes, width);
    let row_w = layout.row_w;
    let mut head = format!("{:row_w$}", "");
    for (i, h) in layout.headers.iter().enumerate() {
        head.push_str(&format!("  {h:>w$}", w = layout.col_w[i]));
    }
    lines.push(Line::from(safe(
        &truncate(&head, width),
        theme.style(Slot::Title),
    )));
    for (row, from) in outcomes.iter().enumerate() {
        let label = if layout.numbered {
            format!("{} {} {from}", row + 1, outcome_glyph(from))
        } else {
            format!("{} {from}", outcome_glyph(from))
        };
        let mut spans = vec![safe(&format!("{label:<row_w$}"), theme.outcome(from))];
        for (i, to) in outcomes.iter().enumerate() {
            let n = r
                .report
                .transitions
                .get(from)
                .and_then(|row| row.get(to))
                .copied()
                .unwrap_or(0);
            let changed = from != to && n > 0;
            // Counts right-aligned, the star in its own column.
            let cell = match (n, changed) {
                (0, _) => ". ".to_string(),
                (n, true) => format!("{n}*"),
                (n, false) => format!("{n} "),
            };
            let style = if changed {
                theme.style(Slot::Warn).add_modifier(Modifier::BOLD)
            } else if n == 0 {
                theme.style(Slot::Muted)
            } else {
                theme.style(Slot::Text)
            };
            spans.push(Span::styled(
                format!("  {cell:>w$}", w = layout.col_w[i]),
                style,
            ));
        }
        lines.push(Line::from(spans));
    }
    f.render_widget(Paragraph::new(lines), inner);
}

/// Outcomes before and after, as pairs of bars: `▒` before, `█` after, so
/// the two read apart without colour.
fn draw_bars(r: &ImpactReport, outcomes: &[String], f: &mut Frame, area: Rect, view: &View) {
    let theme = view.theme;
    let block = pane("outcomes: ▒ before, █ after", false, theme);
    let inner = block.inner(area);
    f.render_widget(block, area);
    let width = usize::from(inner.width);
    let max = outcomes
        .iter()
        .flat_map(|o| {
            [
                r.outcomes_before.get(o).copied().unwrap_or(0),
                r.outcomes_after.get(o).copied().unwrap_or(0),
            ]
        })
        .max()
        .unwrap_or(0);
    let label_w = outcomes
        .iter()
        .map(|o| o.chars().count() + 2)
        .max()
        .unwrap_or(0)
        .min(width / 2);
    let digits = max.to_string().len();
    let room = width.saturating_sub(label_w + 1 + digits + 1).max(1);
    let bar = |n: u64| -> usize {
        if max == 0 || n == 0 {
            0
        } else {
            ((n as f64 / max as f64 * room as f64).round() as usize).clamp(1, room)
        }
    };
    let mut lines = Vec::new();
    for o in outcomes {
        let before = r.outcomes_before.get(o).copied().unwrap_or(0);
        let after = r.outcomes_after.get(o).copied().unwrap_or(0);
        let label = truncate(&format!("{} {o}", outcome_glyph(o)), label_w);
        lines.push(Line::from(vec![
            safe(&format!("{label:<label_w$} "), theme.outcome(o)),
            Span::styled("▒".repeat(bar(before)), theme.style(Slot::Muted)),
            Span::styled(format!(" {before}"), theme.style(Slot::Text)),
        ]));
        lines.push(Line::from(vec![
            Span::raw(" ".repeat(label_w + 1)),
            Span::styled("█".repeat(bar(after)), theme.outcome(o)),
            Span::styled(format!(" {after}"), theme.style(Slot::Text)),
        ]));
    }
    f.render_widget(Paragraph::new(lines), inner);
}

/// A folded JSON pane, or a note when there is no value to show.
fn json_pane(
    title: &str,
    value: Option<&JsonView>,
    note: Option<&str>,
    focused: bool,
    f: &mut Frame,
    area: Rect,
    theme: &Theme,
) {
    let block = pane(title, focused, theme);
    let inner = block.inner(area);
    f.render_widget(block, area);
    let lines = match (value, note) {
        (Some(v), _) => v.render(
            theme,
            usize::from(inner.height),
            usize::from(inner.width),
            focused,
        ),
        (None, Some(n)) => safe_lines(n, theme.style(Slot::Muted)),
        (None, None) => Vec::new(),
    };
    f.render_widget(Paragraph::new(lines), inner);
}

/// `● fires → ○ not  package.rule  citations`.
fn rule_change_line(rc: &RuleChange, theme: &Theme) -> Line<'static> {
    let side = |s: Option<bool>| match s {
        Some(true) => "● fires",
        Some(false) => "○ not  ",
        None => "· absent",
    };
    let cites = rc
        .citations
        .iter()
        .map(|c| c.label())
        .collect::<Vec<_>>()
        .join("; ");
    Line::from(vec![
        Span::styled(
            format!("  {} → {}  ", side(rc.before), side(rc.after)),
            theme.style(if rc.after == Some(true) {
                Slot::Added
            } else {
                Slot::Removed
            }),
        ),
        safe(&rc.rule, theme.style(Slot::Text)),
        Span::styled("  ", theme.style(Slot::Text)),
        safe(&cites, theme.style(Slot::Info)),
    ])
}

fn verdict_style(verdict: &str, theme: &Theme) -> ratatui::style::Style {
    theme.style(match verdict {
        "DETERMINISTIC" | "UNCHANGED" => Slot::Pass,
        "DIVERGED" | "ERROR" => Slot::Fail,
        "CHANGED" => Slot::Warn,
        _ => Slot::Muted,
    })
}

/// `version:NAME@V under their own versions`, as the job and the report
/// name the run.
fn label_of(what: &str, against: Option<&VersionRef>) -> String {
    match against {
        Some(a) => format!("{what} against {a}"),
        None => format!("{what} under their own versions"),
    }
}

/// A filter written back in the filter language (for runs asked by
/// another screen, which hand over the filter only).
fn describe(f: &DecisionFilter, versions: &[VersionSummary]) -> String {
    let mut words = Vec::new();
    if let Some(o) = &f.outcome {
        words.push(format!("outcome:{o}"));
    }
    if let Some(id) = f.version_id {
        match versions.iter().find(|v| v.id == id) {
            Some(v) => words.push(format!("version:{}", v.reference())),
            None => words.push(format!("version:#{id}")),
        }
    }
    if let Some(p) = &f.path {
        words.push(format!("path:{p}"));
    }
    if let Some(t) = f.since_ns {
        words.push(format!("since:{}", clock::format_rfc3339_ns(t)));
    }
    if let Some(t) = f.until_ns {
        words.push(format!("until:{}", clock::format_rfc3339_ns(t)));
    }
    if let Some(t) = &f.text {
        words.push(t.clone());
    }
    words.join(" ")
}

fn same_filter(a: &DecisionFilter, b: &DecisionFilter) -> bool {
    a.outcome == b.outcome
        && a.version_id == b.version_id
        && a.path == b.path
        && a.since_ns == b.since_ns
        && a.until_ns == b.until_ns
        && a.text == b.text
}

/// `  1.45 s`, padded so the line around it keeps its shape.
fn seconds(ms: u64) -> String {
    format!("{:>7.2} s", ms as f64 / 1000.0)
}
