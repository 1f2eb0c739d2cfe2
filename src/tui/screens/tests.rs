//! Screen 2, Tests: pick a version and run its suite in the background (a
//! live gauge; `Esc` cancels), then read the results grouped by file with
//! pass / fail / skip / error marks and durations, a result's detail
//! (location, error, expected vs actual and their diff for cases, `print`
//! output, the value a failing test produced), Gavel's warnings, and the
//! version's last runs with their counts. `c` swaps the results for the
//! coverage view (per-file figures, the source with covered `●` and
//! uncovered `○` lines); `e` opens a case result in the playground.
//!
//! Selecting a version shows its latest recorded run without running
//! anything: the store is the memory of what ran.

use std::cell::Cell;

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Gauge, Paragraph, Wrap};
use serde_json::Value;

use super::{Ctx, Effect, Pick, Prompt};
use crate::bundle::{Bundle, Catalog};
use crate::engine::cases::read_cases;
use crate::engine::suite::{CoverageReport, FileCoverage, Summary};
use crate::engine::testing::{TestKind, TestResult, TestStatus};
use crate::store::test_runs::TestRun;
use crate::store::{VersionRef, VersionSummary};
use crate::tui::action::Action;
use crate::tui::draw::View;
use crate::tui::jobs::{JobOutput, JobRequest};
use crate::tui::theme::{Slot, Theme, outcome_glyph};
use crate::tui::widgets::list::Cursor;
use crate::tui::widgets::{pane, safe, safe_lines, truncate};

/// How many past runs the runs pane lists.
const RUNS: usize = 10;
/// Below this width the panes stack into two columns.
const WIDE: u16 = 110;

/// The panes, in `Tab` order. In the coverage view the results pane lists
/// files and the detail pane shows the selected file's source.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Focus {
    #[default]
    Versions,
    Results,
    Detail,
    Runs,
}

impl Focus {
    const ORDER: [Focus; 4] = [Focus::Versions, Focus::Results, Focus::Detail, Focus::Runs];

    fn step(self, by: usize) -> Focus {
        let i = Focus::ORDER.iter().position(|f| *f == self).unwrap_or(0);
        Focus::ORDER[(i + by) % Focus::ORDER.len()]
    }
}

/// A row of the results list: a file header, or one result.
#[derive(Debug, Clone)]
enum Row {
    File { file: String, counts: Summary },
    Test(usize),
}

/// What the screen knows of the selected version.
#[derive(Debug, Default)]
struct Loaded {
    version: Option<VersionRef>,
    version_id: Option<i64>,
    runs: Vec<TestRun>,
    /// The run whose results are shown, and its counts.
    shown: Option<(i64, Summary, Option<String>)>,
    results: Vec<TestResult>,
    rows: Vec<Row>,
    /// Coverage for the coverage view, and the run that measured it.
    coverage: Option<(i64, CoverageReport)>,
    bundle: Option<Bundle>,
    warnings: Vec<String>,
    error: Option<String>,
}

#[derive(Default)]
pub struct TestsScreen {
    versions: Cursor,
    rows: Cursor,
    runs: Cursor,
    files: Cursor,
    focus: Focus,
    coverage_view: bool,
    detail_scroll: usize,
    /// `None`: the source follows the selected file's first uncovered line.
    source_scroll: Option<usize>,
    loaded: Loaded,
    /// The last run's verdict of each version (by id): ✓ / ✗ in the list.
    badges: Vec<(i64, bool)>,
    job: Option<u64>,
    /// A `Start` was returned and its id has not come back yet: only our
    /// own requests count as our job (the app also starts samples loading
    /// on behalf of the current tab).
    starting: bool,
    /// The lengths and heights of the scrolled panes when last drawn, so
    /// scrolling stops at the end.
    detail_len: Cell<usize>,
    detail_height: Cell<usize>,
    source_len: Cell<usize>,
    source_height: Cell<usize>,
}

impl TestsScreen {
    pub fn reload(&mut self, ctx: &Ctx) -> Vec<Effect> {
        self.versions.clamp(ctx.versions.len());
        self.badges = badges(ctx);
        // A reload re-reads the store: the selected version's runs may have
        // changed under us (a CLI run, another window).
        let keep_run = self.loaded.shown.as_ref().map(|s| s.0);
        self.loaded.version_id = None;
        self.load_selected(ctx);
        if let Some(id) = keep_run
            && self.loaded.runs.iter().any(|r| r.id == id)
            && self.loaded.shown.as_ref().is_some_and(|s| s.0 != id)
        {
            self.show_run(id, ctx);
        }
        Vec::new()
    }

    /// Loads the selected version's bundle, warnings, runs and the latest
    /// run's results (nothing runs).
    fn load_selected(&mut self, ctx: &Ctx) {
        let Some(v) = ctx.versions.get(self.versions.selected) else {
            self.loaded = Loaded::default();
            return;
        };
        if self.loaded.version_id == Some(v.id) {
            return;
        }
        self.loaded = load_version(ctx, v);
        self.rows = Cursor::default();
        self.runs = Cursor::default();
        self.files = Cursor::default();
        self.detail_scroll = 0;
        self.source_scroll = None;
        self.select_first_problem();
    }

    /// Shows the results of one recorded run of the loaded version.
    fn show_run(&mut self, run_id: i64, ctx: &Ctx) {
        let Some(run) = self.loaded.runs.iter().find(|r| r.id == run_id).cloned() else {
            return;
        };
        match ctx.store.test_results(run_id) {
            Ok(results) => {
                self.loaded.error = None;
                self.set_results(run.id, run.summary.clone(), run.filter.clone(), results);
                if let Some(report) = run.coverage_report {
                    self.loaded.coverage = Some((run.id, report));
                }
            }
            Err(e) => {
                self.loaded.error = Some(format!("reading the results of run #{run_id}: {e}"))
            }
        }
    }

    fn set_results(
        &mut self,
        run_id: i64,
        summary: Summary,
        filter: Option<String>,
        results: Vec<TestResult>,
    ) {
        self.loaded.rows = group_rows(&results);
        self.loaded.results = results;
        self.loaded.shown = Some((run_id, summary, filter));
        self.rows = Cursor::default();
        self.detail_scroll = 0;
        self.select_first_problem();
    }

    /// Puts the cursor on the first failure or error, if any: the reason to
    /// look at a run is usually what went wrong.
    fn select_first_problem(&mut self) {
        let first = self.loaded.rows.iter().position(|r| match r {
            Row::Test(i) => self
                .loaded
                .results
                .get(*i)
                .is_some_and(|t| matches!(t.result, TestStatus::Fail | TestStatus::Error)),
            Row::File { .. } => false,
        });
        if let Some(i) = first {
            self.rows.select(i, self.loaded.rows.len());
        }
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
        self.load_selected(ctx);
    }

    pub fn handle(&mut self, action: Action, ctx: &Ctx) -> Vec<Effect> {
        match action {
            Action::NextPane => self.focus = self.focus.step(1),
            Action::PrevPane => self.focus = self.focus.step(3),
            Action::RunTests => return self.start_run(ctx),
            Action::ToggleCoverage => {
                self.coverage_view = !self.coverage_view;
                if self.coverage_view && self.focus == Focus::Versions {
                    self.focus = Focus::Results;
                }
                if self.coverage_view && self.loaded.coverage.is_none() {
                    return vec![Effect::Message(
                        "no recorded run of this version measured coverage: press r to run the suite"
                            .into(),
                    )];
                }
            }
            Action::OpenInPlayground => return self.open_case(),
            Action::Back if self.coverage_view => self.coverage_view = false,
            Action::Back | Action::Left if self.focus != Focus::Versions => {
                self.focus = match self.focus {
                    Focus::Detail => Focus::Results,
                    _ => Focus::Versions,
                };
            }
            Action::Select if self.focus == Focus::Runs => {
                if let Some(run) = self.loaded.runs.get(self.runs.selected) {
                    let id = run.id;
                    self.show_run(id, ctx);
                    return vec![Effect::Message(format!("showing run #{id}"))];
                }
            }
            Action::Right | Action::Select
                if matches!(self.focus, Focus::Versions | Focus::Results) =>
            {
                self.focus = if self.focus == Focus::Versions {
                    Focus::Results
                } else {
                    Focus::Detail
                };
            }
            a => self.navigate(a, ctx),
        }
        Vec::new()
    }

    fn navigate(&mut self, a: Action, ctx: &Ctx) {
        match self.focus {
            Focus::Versions => {
                let before = self.versions.selected;
                self.versions.apply(a, ctx.versions.len());
                if before != self.versions.selected {
                    self.load_selected(ctx);
                }
            }
            Focus::Results if self.coverage_view => {
                let n = self.coverage_files().len();
                if self.files.apply(a, n) {
                    self.source_scroll = None;
                }
            }
            Focus::Results => {
                if self.rows.apply(a, self.loaded.rows.len()) {
                    self.detail_scroll = 0;
                }
            }
            Focus::Detail if self.coverage_view => {
                let max = self
                    .source_len
                    .get()
                    .saturating_sub(self.source_height.get());
                let from = self
                    .source_scroll
                    .unwrap_or_else(|| self.auto_source_scroll());
                if let Some(s) = scrolled(from, a, self.source_height.get(), max) {
                    self.source_scroll = Some(s);
                }
            }
            Focus::Detail => {
                let max = self
                    .detail_len
                    .get()
                    .saturating_sub(self.detail_height.get());
                if let Some(s) = scrolled(self.detail_scroll, a, self.detail_height.get(), max) {
                    self.detail_scroll = s;
                }
            }
            Focus::Runs => {
                self.runs.apply(a, self.loaded.runs.len());
            }
        }
    }

    fn start_run(&mut self, ctx: &Ctx) -> Vec<Effect> {
        if self.job.is_some() || self.starting {
            return vec![Effect::Message(
                "a test run is already going (Esc cancels it)".into(),
            )];
        }
        let Some(v) = ctx.versions.get(self.versions.selected) else {
            return vec![Effect::Error(
                "no version to test: import a bundle first (L loads the samples)".into(),
            )];
        };
        self.starting = true;
        vec![Effect::Start(JobRequest::RunTests {
            version: v.reference(),
        })]
    }

    /// `e` on a case result: the case's input in the playground, under the
    /// version it was run against.
    fn open_case(&self) -> Vec<Effect> {
        let Some(t) = self.selected_test() else {
            return vec![Effect::Message(
                "select a case result to open it in the playground".into(),
            )];
        };
        if t.kind != TestKind::Case {
            return vec![Effect::Message(format!(
                "{} is a Rego test: e opens a case (from cases/*.json) in the playground",
                t.name
            ))];
        }
        let (Some(bundle), Some(version)) = (&self.loaded.bundle, &self.loaded.version) else {
            return vec![Effect::Error(
                "the version's bundle could not be read: cannot open the case".into(),
            )];
        };
        let cases = match read_cases(bundle) {
            Ok(c) => c,
            Err(e) => return vec![Effect::Error(format!("cases of {version}: {e}"))],
        };
        // The position in the file first (names may repeat), then the name.
        let found = cases
            .iter()
            .find(|c| c.file == t.file && c.index == t.line && c.case.name == t.name)
            .or_else(|| {
                cases
                    .iter()
                    .find(|c| c.file == t.file && c.case.name == t.name)
            });
        match found {
            Some(c) => vec![Effect::OpenPlayground {
                version: Some(version.clone()),
                input: c.case.input.clone(),
                origin: format!("case {}", c.case.name),
                decision_id: None,
            }],
            None => vec![Effect::Error(format!(
                "case {} is no longer in {} of {version}",
                t.name, t.file
            ))],
        }
    }

    pub fn job_started(&mut self, id: u64) {
        if self.starting {
            self.starting = false;
            self.job = Some(id);
        }
    }

    pub fn on_job(&mut self, id: u64, result: Result<JobOutput, String>, ctx: &Ctx) -> Vec<Effect> {
        if self.job != Some(id) {
            return Vec::new();
        }
        self.job = None;
        // A failure (or a cancel) is already on the status line.
        let Ok(JobOutput::Tests {
            version,
            report,
            run_id,
        }) = result
        else {
            return Vec::new();
        };
        let s = &report.summary;
        let mut msg = format!(
            "{version}: {} passed, {} failed, {} errors, {} skipped (run #{run_id})",
            s.pass, s.fail, s.error, s.skip
        );
        self.badges = badges(ctx);
        let selected = ctx
            .versions
            .get(self.versions.selected)
            .filter(|v| v.name == version.name && v.version == version.version);
        match selected {
            Some(_) => {
                // The new run is in the store now: re-read the version, its
                // runs and the new run's results as the store keeps them.
                self.loaded.version_id = None;
                self.load_selected(ctx);
                if self.shown_run() != Some(run_id) {
                    // The store could not give it back: show what ran.
                    let report = *report;
                    self.set_results(run_id, report.summary.clone(), None, report.tests);
                    if let Some(c) = report.coverage {
                        self.loaded.coverage = Some((run_id, c));
                    }
                }
            }
            None => msg.push_str(": select it to see the results"),
        }
        vec![Effect::Message(msg)]
    }

    pub fn on_pick(&mut self, _pick: Pick, _index: usize, _item: &str, _ctx: &Ctx) -> Vec<Effect> {
        Vec::new()
    }

    pub fn on_prompt(&mut self, _prompt: Prompt, _text: &str, _ctx: &Ctx) -> Vec<Effect> {
        Vec::new()
    }

    // --- what tests and other code can read -------------------------------

    /// The results shown (of the latest or chosen run), in run order.
    pub fn results(&self) -> &[TestResult] {
        &self.loaded.results
    }

    /// The runs of the selected version, newest first.
    pub fn runs(&self) -> &[TestRun] {
        &self.loaded.runs
    }

    /// The id of the run whose results are shown.
    pub fn shown_run(&self) -> Option<i64> {
        self.loaded.shown.as_ref().map(|s| s.0)
    }

    pub fn selected_version(&self) -> Option<&VersionRef> {
        self.loaded.version.as_ref()
    }

    pub fn selected_test(&self) -> Option<&TestResult> {
        match self.loaded.rows.get(self.rows.selected)? {
            Row::Test(i) => self.loaded.results.get(*i),
            Row::File { .. } => None,
        }
    }

    pub fn coverage_view(&self) -> bool {
        self.coverage_view
    }

    pub fn focus(&self) -> Focus {
        self.focus
    }

    /// The warnings Gavel found in the selected version (as `gavel test`
    /// prints them).
    pub fn warnings(&self) -> &[String] {
        &self.loaded.warnings
    }

    pub fn running(&self) -> bool {
        self.job.is_some()
    }

    fn coverage_files(&self) -> Vec<(&String, &FileCoverage)> {
        self.loaded
            .coverage
            .as_ref()
            .map(|(_, c)| c.files.iter().collect())
            .unwrap_or_default()
    }

    fn selected_file(&self) -> Option<(&String, &FileCoverage)> {
        self.coverage_files().get(self.files.selected).copied()
    }

    /// Where the source starts when the user has not scrolled: a few lines
    /// above the first uncovered line.
    fn auto_source_scroll(&self) -> usize {
        self.selected_file()
            .and_then(|(_, c)| c.not_covered.first())
            .map(|l| usize::try_from(*l).unwrap_or(0).saturating_sub(4))
            .unwrap_or(0)
    }

    // --- drawing -----------------------------------------------------------

    pub fn draw(&self, f: &mut Frame, area: Rect, view: &View) {
        if view.zoom {
            match (self.focus, self.coverage_view) {
                (Focus::Versions, _) => self.draw_versions(f, area, view),
                (Focus::Runs, _) => self.draw_runs(f, area, view),
                (Focus::Results, true) => self.draw_coverage_files(f, area, view),
                (Focus::Results, false) => self.draw_results(f, area, view),
                (Focus::Detail, true) => self.draw_source(f, area, view),
                (Focus::Detail, false) => self.draw_detail(f, area, view, true),
            }
            return;
        }
        let (versions, runs, results, detail, warnings) = if area.width >= WIDE {
            let [left, rest] =
                Layout::horizontal([Constraint::Length(32), Constraint::Min(40)]).areas(area);
            let [mid, right] =
                Layout::horizontal([Constraint::Percentage(55), Constraint::Percentage(45)])
                    .areas(rest);
            let [versions, runs] =
                Layout::vertical([Constraint::Min(5), Constraint::Length(14)]).areas(left);
            // The warnings pane is as tall as its wrapped text, up to a third.
            let warn_height = if self.loaded.warnings.is_empty() {
                0
            } else {
                let mut lines = Vec::new();
                warning_lines(&self.loaded.warnings, view.theme, &mut lines);
                let rows = crate::tui::widgets::wrap_lines(
                    lines,
                    usize::from(right.width.saturating_sub(2)),
                )
                .len();
                u16::try_from(rows + 2)
                    .unwrap_or(u16::MAX)
                    .min(right.height / 3)
            };
            let [detail, warnings] =
                Layout::vertical([Constraint::Min(5), Constraint::Length(warn_height)])
                    .areas(right);
            (versions, runs, mid, detail, Some(warnings))
        } else {
            // Narrow: two columns, the list of versions over the runs, the
            // results over the detail; warnings join the detail.
            let [left, right] =
                Layout::horizontal([Constraint::Length(30), Constraint::Min(40)]).areas(area);
            let [versions, runs] =
                Layout::vertical([Constraint::Min(4), Constraint::Length(9)]).areas(left);
            let [results, detail] =
                Layout::vertical([Constraint::Percentage(50), Constraint::Percentage(50)])
                    .areas(right);
            (versions, runs, results, detail, None)
        };
        self.draw_versions(f, versions, view);
        self.draw_runs(f, runs, view);
        if self.coverage_view {
            self.draw_coverage_files(f, results, view);
            self.draw_source(f, detail, view);
        } else {
            self.draw_results(f, results, view);
            self.draw_detail(f, detail, view, warnings.is_none());
        }
        if let Some(w) = warnings.filter(|w| w.height > 0) {
            self.draw_warnings(f, w, view);
        }
    }

    fn draw_versions(&self, f: &mut Frame, area: Rect, view: &View) {
        let theme = view.theme;
        let block = pane("versions", self.focus == Focus::Versions, theme);
        let inner = block.inner(area);
        f.render_widget(block, area);
        if view.versions.is_empty() {
            f.render_widget(
                Paragraph::new(Span::styled(
                    "no versions: gavel import DIR, or L for the samples",
                    theme.style(Slot::Muted),
                ))
                .wrap(Wrap { trim: true }),
                inner,
            );
            return;
        }
        let rows = version_rows(view.versions);
        let range = self.versions.window(rows.len(), usize::from(inner.height));
        let width = usize::from(inner.width);
        let lines: Vec<Line> = view.versions[range.clone()]
            .iter()
            .zip(&rows[range.clone()])
            .enumerate()
            .map(|(i, (v, text))| {
                let (mark, style) = match self.badges.iter().find(|(id, _)| *id == v.id) {
                    Some((_, true)) => (outcome_glyph("PASS"), theme.style(Slot::Pass)),
                    Some((_, false)) => (outcome_glyph("FAIL"), theme.style(Slot::Fail)),
                    None => (" ", theme.style(Slot::Muted)),
                };
                let mut line = Line::from(vec![
                    Span::styled(format!("{mark} "), style),
                    safe(
                        &truncate(text, width.saturating_sub(2)),
                        theme.style(Slot::Text),
                    ),
                ]);
                if range.start + i == self.versions.selected {
                    line = line.style(theme.style(Slot::Selection));
                }
                line
            })
            .collect();
        f.render_widget(Paragraph::new(lines), inner);
    }

    fn draw_runs(&self, f: &mut Frame, area: Rect, view: &View) {
        let theme = view.theme;
        let block = pane("last runs (Enter shows)", self.focus == Focus::Runs, theme);
        let inner = block.inner(area);
        f.render_widget(block, area);
        if self.loaded.runs.is_empty() {
            f.render_widget(
                Paragraph::new(Span::styled("no recorded run", theme.style(Slot::Muted))),
                inner,
            );
            return;
        }
        // Two lines a run: when and which, then its counts.
        let per_page = usize::from(inner.height / 2).max(1);
        let range = self.runs.window(self.loaded.runs.len(), per_page);
        let shown = self.shown_run();
        let width = usize::from(inner.width);
        let mut lines = Vec::new();
        for (i, run) in self.loaded.runs[range.clone()].iter().enumerate() {
            let selected = range.start + i == self.runs.selected && self.focus == Focus::Runs;
            let mark = if shown == Some(run.id) { "▸" } else { " " };
            let time = run
                .started_at
                .get(..19)
                .unwrap_or(&run.started_at)
                .replace('T', " ");
            let filter = run
                .filter
                .as_ref()
                .map(|f| format!(" --run {f}"))
                .unwrap_or_default();
            let mut head = Line::from(vec![
                Span::styled(format!("{mark}#{} ", run.id), theme.style(Slot::Key)),
                safe(
                    &truncate(&format!("{time}{filter}"), width.saturating_sub(6)),
                    theme.style(Slot::Text),
                ),
            ]);
            let s = &run.summary;
            let cov = run
                .coverage
                .map(|c| format!("  {c:.1}%"))
                .unwrap_or_default();
            let verdict = if s.ok() { Slot::Pass } else { Slot::Fail };
            let mut counts = Line::from(vec![
                Span::raw("  "),
                Span::styled(format!("{}✓ ", s.pass), theme.style(Slot::Pass)),
                Span::styled(format!("{}✗ ", s.fail), theme.style(verdict)),
                Span::styled(format!("{}! ", s.error), theme.style(verdict)),
                Span::styled(format!("{}-", s.skip), theme.style(Slot::Skip)),
                Span::styled(cov, theme.style(Slot::Muted)),
            ]);
            if selected {
                head = head.style(theme.style(Slot::Selection));
                counts = counts.style(theme.style(Slot::Selection));
            }
            lines.push(head);
            lines.push(counts);
        }
        f.render_widget(Paragraph::new(lines), inner);
    }

    /// The gauge of a running suite, on the first row of `area`; returns
    /// the rest.
    fn draw_gauge(&self, f: &mut Frame, area: Rect, view: &View) -> Rect {
        let Some(job) = view.job(self.job) else {
            return area;
        };
        let [gauge, rest] =
            Layout::vertical([Constraint::Length(1), Constraint::Min(0)]).areas(area);
        let count = if job.total > 0 {
            format!(" {}/{}", job.done, job.total)
        } else {
            String::new()
        };
        f.render_widget(
            Gauge::default()
                .ratio(job.ratio())
                .use_unicode(true)
                .gauge_style(view.theme.style(Slot::Info))
                .label(Span::styled(
                    format!(
                        "{}{count} (Esc cancels)",
                        crate::sanitize::escape(&job.label)
                    ),
                    view.theme.style(Slot::Text),
                )),
            gauge,
        );
        rest
    }

    fn draw_results(&self, f: &mut Frame, area: Rect, view: &View) {
        let theme = view.theme;
        let title = match &self.loaded.version {
            Some(v) => format!("results of {v}"),
            None => "results".to_string(),
        };
        let block = pane(&title, self.focus == Focus::Results, theme);
        let inner = block.inner(area);
        f.render_widget(block, area);
        let inner = self.draw_gauge(f, inner, view);
        if let Some(e) = &self.loaded.error {
            f.render_widget(
                Paragraph::new(safe_lines(e, theme.style(Slot::Error))).wrap(Wrap { trim: false }),
                inner,
            );
            return;
        }
        let Some((run_id, summary, filter)) = &self.loaded.shown else {
            let text = match &self.loaded.version {
                Some(v) => format!("no recorded run of {v} yet: press r to run its suite"),
                None => "no version selected".to_string(),
            };
            f.render_widget(
                Paragraph::new(safe(&text, theme.style(Slot::Muted))).wrap(Wrap { trim: true }),
                inner,
            );
            return;
        };
        let [head, list] =
            Layout::vertical([Constraint::Length(1), Constraint::Min(0)]).areas(inner);
        let width = usize::from(inner.width);
        f.render_widget(
            Paragraph::new(summary_line(
                *run_id,
                summary,
                filter.as_deref(),
                width,
                theme,
            )),
            head,
        );
        if self.loaded.rows.is_empty() {
            f.render_widget(
                Paragraph::new(Span::styled(
                    "this run found no tests",
                    theme.style(Slot::Muted),
                )),
                list,
            );
            return;
        }
        let lines = self.rows.lines(
            &self.loaded.rows,
            usize::from(list.height),
            theme.style(Slot::Selection),
            |row| match row {
                Row::File { file, counts } => file_row(file, counts, width, theme),
                Row::Test(t) => match self.loaded.results.get(*t) {
                    Some(t) => test_row(t, width, theme),
                    None => Line::from(""),
                },
            },
        );
        f.render_widget(Paragraph::new(lines), list);
    }

    fn draw_detail(&self, f: &mut Frame, area: Rect, view: &View, with_warnings: bool) {
        let theme = view.theme;
        let block = pane("detail", self.focus == Focus::Detail, theme);
        let inner = block.inner(area);
        f.render_widget(block, area);
        let width = usize::from(inner.width).max(1);
        let mut lines: Vec<Line<'static>> = Vec::new();
        match self.loaded.rows.get(self.rows.selected) {
            Some(Row::Test(i)) => {
                if let Some(t) = self.loaded.results.get(*i) {
                    test_detail(t, theme, &mut lines);
                }
            }
            Some(Row::File { file, counts }) => {
                self.file_detail(file, counts, theme, &mut lines);
            }
            None if self.loaded.version.is_some() => lines.push(Line::from(Span::styled(
                "r runs the suite; c shows coverage; Tab moves between panes",
                theme.style(Slot::Muted),
            ))),
            None => {}
        }
        if with_warnings && !self.loaded.warnings.is_empty() {
            lines.push(Line::from(""));
            warning_lines(&self.loaded.warnings, theme, &mut lines);
        }
        // Wrap by hand so the scroll position counts display rows.
        let lines = crate::tui::widgets::wrap_lines(lines, width);
        let height = usize::from(inner.height);
        self.detail_len.set(lines.len());
        self.detail_height.set(height);
        let scroll = self.detail_scroll.min(lines.len().saturating_sub(height));
        f.render_widget(
            Paragraph::new(lines).scroll((u16::try_from(scroll).unwrap_or(u16::MAX), 0)),
            inner,
        );
    }

    fn file_detail(
        &self,
        file: &str,
        counts: &Summary,
        theme: &Theme,
        lines: &mut Vec<Line<'static>>,
    ) {
        lines.push(Line::from(safe(file, theme.style(Slot::TitleFocused))));
        lines.push(Line::from(vec![
            Span::styled("results: ", theme.style(Slot::Muted)),
            Span::styled(
                format!(
                    "{} pass, {} fail, {} error, {} skip",
                    counts.pass, counts.fail, counts.error, counts.skip
                ),
                theme.style(if counts.ok() { Slot::Pass } else { Slot::Fail }),
            ),
        ]));
        lines.push(Line::from(vec![
            Span::styled("time: ", theme.style(Slot::Muted)),
            Span::styled(duration(counts.duration_ns), theme.style(Slot::Text)),
        ]));
        let tested = self
            .loaded
            .results
            .iter()
            .find(|t| t.file == file)
            .map(|t| t.kind);
        if tested == Some(TestKind::Case) {
            lines.push(Line::from(Span::styled(
                "a case file: select a case, e opens it in the playground",
                theme.style(Slot::Muted),
            )));
        }
    }

    fn draw_warnings(&self, f: &mut Frame, area: Rect, view: &View) {
        let theme = view.theme;
        let block = pane(
            &format!("warnings ({})", self.loaded.warnings.len()),
            false,
            theme,
        );
        let mut lines = Vec::new();
        warning_lines(&self.loaded.warnings, theme, &mut lines);
        let lines =
            crate::tui::widgets::wrap_lines(lines, usize::from(area.width.saturating_sub(2)));
        f.render_widget(Paragraph::new(lines).block(block), area);
    }

    fn draw_coverage_files(&self, f: &mut Frame, area: Rect, view: &View) {
        let theme = view.theme;
        let block = pane("coverage by file", self.focus == Focus::Results, theme);
        let inner = block.inner(area);
        f.render_widget(block, area);
        let inner = self.draw_gauge(f, inner, view);
        let Some((run_id, report)) = &self.loaded.coverage else {
            f.render_widget(
                Paragraph::new(Span::styled(
                    "no recorded run measured coverage: press r to run the suite (c goes back)",
                    theme.style(Slot::Muted),
                ))
                .wrap(Wrap { trim: true }),
                inner,
            );
            return;
        };
        let [head, list] =
            Layout::vertical([Constraint::Length(1), Constraint::Min(0)]).areas(inner);
        let width = usize::from(inner.width);
        f.render_widget(
            Paragraph::new(Line::from(vec![
                Span::styled(
                    format!("{:.2}% ", report.coverage),
                    theme.style(if report.not_covered_lines == 0 {
                        Slot::Covered
                    } else {
                        Slot::Uncovered
                    }),
                ),
                Span::styled(
                    truncate(
                        &format!(
                            "of {} policy lines, {} not covered (run #{run_id})",
                            report.covered_lines + report.not_covered_lines,
                            report.not_covered_lines
                        ),
                        width.saturating_sub(8),
                    ),
                    theme.style(Slot::Muted),
                ),
            ])),
            head,
        );
        let files = self.coverage_files();
        if files.is_empty() {
            f.render_widget(
                Paragraph::new(Span::styled(
                    "no policy files were measured",
                    theme.style(Slot::Muted),
                )),
                list,
            );
            return;
        }
        let lines = self.files.lines(
            &files,
            usize::from(list.height),
            theme.style(Slot::Selection),
            |(file, c)| {
                let total = c.covered_lines + c.not_covered_lines;
                let (mark, slot) = if c.not_covered_lines == 0 {
                    ("●", Slot::Covered)
                } else if c.covered_lines == 0 {
                    ("○", Slot::Uncovered)
                } else {
                    ("◐", Slot::Uncovered)
                };
                let figures = format!("{:>6.1}% {:>4}/{:<4} ", c.coverage, c.covered_lines, total);
                Line::from(vec![
                    Span::styled(format!("{mark} "), theme.style(slot)),
                    Span::styled(figures.clone(), theme.style(slot)),
                    safe(
                        &truncate(file, width.saturating_sub(2 + figures.chars().count())),
                        theme.style(Slot::Text),
                    ),
                ])
            },
        );
        f.render_widget(Paragraph::new(lines), list);
    }

    fn draw_source(&self, f: &mut Frame, area: Rect, view: &View) {
        let theme = view.theme;
        let Some((file, cov)) = self.selected_file() else {
            f.render_widget(pane("source", self.focus == Focus::Detail, theme), area);
            return;
        };
        let title = format!(
            "{file}  ● {} ○ {}",
            cov.covered_lines, cov.not_covered_lines
        );
        let block = pane(&title, self.focus == Focus::Detail, theme);
        let inner = block.inner(area);
        f.render_widget(block, area);
        let text = self
            .loaded
            .bundle
            .as_ref()
            .and_then(|b| b.files.iter().find(|bf| &bf.path == file))
            .map(|bf| bf.text.as_str());
        let Some(text) = text else {
            f.render_widget(
                Paragraph::new(safe(
                    &format!("{file} is not in the version's bundle"),
                    theme.style(Slot::Error),
                )),
                inner,
            );
            return;
        };
        let lines = source_lines(text, cov, theme);
        let height = usize::from(inner.height);
        self.source_len.set(lines.len());
        self.source_height.set(height);
        let scroll = self
            .source_scroll
            .unwrap_or_else(|| self.auto_source_scroll())
            .min(lines.len().saturating_sub(height));
        f.render_widget(
            Paragraph::new(lines).scroll((u16::try_from(scroll).unwrap_or(u16::MAX), 0)),
            inner,
        );
    }
}

/// Reads what the screen shows of a version; a failure becomes the pane's
/// message, naming what could not be read.
fn load_version(ctx: &Ctx, v: &VersionSummary) -> Loaded {
    let mut loaded = Loaded {
        version: Some(v.reference()),
        version_id: Some(v.id),
        ..Loaded::default()
    };
    let mut problems = Vec::new();
    match ctx.store.bundle_of(v.id) {
        Ok(bundle) => {
            match Catalog::build(&bundle, v.rego_version == 0) {
                Ok(c) => loaded.warnings = c.warnings,
                Err(e) => problems.push(format!("reading the rules of {}: {e}", v.reference())),
            }
            loaded.bundle = Some(bundle);
        }
        Err(e) => problems.push(format!("reading the bundle of {}: {e}", v.reference())),
    }
    match ctx.store.test_runs(v.id, RUNS) {
        Ok(runs) => loaded.runs = runs,
        Err(e) => problems.push(format!("reading the runs of {}: {e}", v.reference())),
    }
    if let Some(latest) = loaded.runs.first().cloned() {
        match ctx.store.test_results(latest.id) {
            Ok(results) => {
                loaded.rows = group_rows(&results);
                loaded.results = results;
                loaded.shown = Some((latest.id, latest.summary.clone(), latest.filter.clone()));
            }
            Err(e) => problems.push(format!("reading the results of run #{}: {e}", latest.id)),
        }
    }
    // The coverage view uses the newest run that measured it.
    let covered = match loaded.runs.iter().find(|r| r.coverage_report.is_some()) {
        Some(r) => Ok(Some(r.clone())),
        None if loaded.runs.len() < RUNS => Ok(None),
        None => ctx.store.latest_covered_run(v.id),
    };
    match covered {
        Ok(Some(run)) => loaded.coverage = run.coverage_report.map(|c| (run.id, c)),
        Ok(None) => {}
        Err(e) => problems.push(format!("reading the coverage of {}: {e}", v.reference())),
    }
    if !problems.is_empty() {
        loaded.error = Some(problems.join("\n"));
    }
    loaded
}

/// Each version's last run: passed (no failure, no error) or not.
fn badges(ctx: &Ctx) -> Vec<(i64, bool)> {
    ctx.versions
        .iter()
        .filter_map(|v| {
            let run = ctx.store.test_runs(v.id, 1).ok()?.into_iter().next()?;
            Some((v.id, run.summary.ok()))
        })
        .collect()
}

/// Results grouped by file, files in the order the run reached them.
fn group_rows(results: &[TestResult]) -> Vec<Row> {
    let mut files: Vec<&str> = Vec::new();
    for t in results {
        if !files.contains(&t.file.as_str()) {
            files.push(&t.file);
        }
    }
    let mut rows = Vec::with_capacity(results.len() + files.len());
    for file in files {
        let members: Vec<usize> = (0..results.len())
            .filter(|i| results[*i].file == file)
            .collect();
        let of_file: Vec<TestResult> = members.iter().map(|i| results[*i].clone()).collect();
        let time = of_file.iter().map(|t| t.duration_ns).sum();
        rows.push(Row::File {
            file: file.to_string(),
            counts: Summary::of(&of_file, time),
        });
        rows.extend(members.into_iter().map(Row::Test));
    }
    rows
}

/// The version rows: the bundle name on its first version only, then the
/// version.
fn version_rows(versions: &[VersionSummary]) -> Vec<String> {
    let width = versions
        .iter()
        .map(|v| v.name.chars().count())
        .max()
        .unwrap_or(0);
    let mut last = "";
    versions
        .iter()
        .map(|v| {
            let name = if v.name == last { "" } else { v.name.as_str() };
            last = &v.name;
            format!("{name:<width$} {}", v.version)
        })
        .collect()
}

/// Moves a scroll position for a navigation action. `max` is the end as
/// last drawn; the content may have changed since (a new selection), so
/// the draw clamps again and only the moves up start from within it.
fn scrolled(from: usize, a: Action, page: usize, max: usize) -> Option<usize> {
    let page = page.max(1);
    Some(match a {
        Action::Down => from.saturating_add(1),
        Action::PageDown => from.saturating_add(page),
        Action::Up => from.min(max).saturating_sub(1),
        Action::PageUp => from.min(max).saturating_sub(page),
        Action::Top => 0,
        Action::Bottom => usize::MAX,
        _ => return None,
    })
}

/// `1.8ms`, as `gavel test` prints durations.
fn duration(ns: u64) -> String {
    if ns >= 1_000_000_000 {
        format!("{:.2}s", ns as f64 / 1e9)
    } else if ns >= 1_000_000 {
        format!("{:.1}ms", ns as f64 / 1e6)
    } else {
        format!("{}µs", ns / 1_000)
    }
}

fn status_slot(s: TestStatus) -> Slot {
    match s {
        TestStatus::Pass => Slot::Pass,
        TestStatus::Fail => Slot::Fail,
        TestStatus::Error => Slot::Error,
        TestStatus::Skip => Slot::Skip,
    }
}

/// The run's counts on one line, shortened to fit.
fn summary_line(
    run_id: i64,
    s: &Summary,
    filter: Option<&str>,
    width: usize,
    theme: &Theme,
) -> Line<'static> {
    let verdict = if s.ok() { Slot::Pass } else { Slot::Fail };
    let mut spans = vec![
        Span::styled(
            format!(
                "{} {} ",
                outcome_glyph(if s.ok() { "PASS" } else { "FAIL" }),
                if s.ok() { "PASS" } else { "FAIL" }
            ),
            theme.style(verdict).add_modifier(Modifier::BOLD),
        ),
        Span::styled(
            format!(
                "{}/{}  {} fail  {} error  {} skip",
                s.pass, s.total, s.fail, s.error, s.skip
            ),
            theme.style(Slot::Text),
        ),
    ];
    let rest = format!(
        "  run #{run_id}  {}{}",
        duration(s.duration_ns),
        filter.map(|f| format!("  --run {f}")).unwrap_or_default()
    );
    // Whether it fits counts the time as its widest, so the line does not
    // change shape with the clock.
    let used: usize = spans.iter().map(|s| s.content.chars().count()).sum();
    let time_w = duration(s.duration_ns).chars().count();
    if used + rest.chars().count() + 8usize.saturating_sub(time_w) <= width {
        spans.push(safe(&rest, theme.style(Slot::Muted)));
    }
    Line::from(spans)
}

fn file_row(file: &str, counts: &Summary, width: usize, theme: &Theme) -> Line<'static> {
    let mut tail = format!(" {}✓", counts.pass);
    for (n, glyph) in [
        (counts.fail, outcome_glyph("FAIL")),
        (counts.error, outcome_glyph("ERROR")),
        (counts.skip, outcome_glyph("SKIP")),
    ] {
        if n > 0 {
            tail.push_str(&format!(" {n}{glyph}"));
        }
    }
    let room = width.saturating_sub(2 + tail.chars().count());
    Line::from(vec![
        Span::styled("▾ ", theme.style(Slot::Muted)),
        safe(&truncate(file, room), theme.style(Slot::Title)),
        Span::styled(
            tail,
            theme.style(if counts.ok() { Slot::Muted } else { Slot::Fail }),
        ),
    ])
}

/// `  ✓ PASS  name ........ 1.8ms`: glyph, word, name, duration at the right.
fn test_row(t: &TestResult, width: usize, theme: &Theme) -> Line<'static> {
    let word = t.result.as_str();
    let style = theme.style(status_slot(t.result));
    // A fixed-width time column, so names cut at the same place every run.
    let time = format!("{:>8}", duration(t.duration_ns));
    let fixed = 2 + 2 + 6 + 1 + 8;
    let room = width.saturating_sub(fixed).max(1);
    let name = truncate(&crate::sanitize::escape(&t.name), room);
    let pad = room.saturating_sub(unicode_width(&name));
    Line::from(vec![
        Span::styled(format!("  {} {word:<5} ", outcome_glyph(word)), style),
        Span::styled(name, theme.style(Slot::Text)),
        Span::raw(" ".repeat(pad + 1)),
        Span::styled(time, theme.style(Slot::Muted)),
    ])
}

fn unicode_width(s: &str) -> usize {
    use unicode_width::UnicodeWidthStr;
    s.width()
}

/// What the detail pane shows of one result.
fn test_detail(t: &TestResult, theme: &Theme, lines: &mut Vec<Line<'static>>) {
    let word = t.result.as_str();
    lines.push(Line::from(vec![
        Span::styled(
            format!("{} {word}  ", outcome_glyph(word)),
            theme
                .style(status_slot(t.result))
                .add_modifier(Modifier::BOLD),
        ),
        safe(&t.name, theme.style(Slot::TitleFocused)),
    ]));
    let muted = theme.style(Slot::Muted);
    let text = theme.style(Slot::Text);
    let (kind, location) = match t.kind {
        TestKind::Rego => ("Rego test", format!("{}:{}", t.file, t.line)),
        TestKind::Case => ("case", format!("{} (case {})", t.file, t.line)),
    };
    lines.push(Line::from(vec![
        Span::styled("location: ", muted),
        safe(&location, text),
    ]));
    lines.push(Line::from(vec![
        Span::styled("kind: ", muted),
        Span::styled(kind, text),
        Span::styled("  time: ", muted),
        Span::styled(duration(t.duration_ns), text),
    ]));
    if t.kind == TestKind::Rego {
        lines.push(Line::from(vec![
            Span::styled("test: ", muted),
            safe(&t.full_name(), text),
        ]));
    } else {
        lines.push(Line::from(Span::styled(
            "e opens this case in the playground",
            theme.style(Slot::Key),
        )));
    }
    if let Some(e) = &t.error {
        lines.push(Line::from(Span::styled("error:", theme.style(Slot::Error))));
        for l in safe_lines(e, theme.style(Slot::Error)) {
            lines.push(indent(l));
        }
    }
    if t.result == TestStatus::Skip && t.error.is_none() {
        lines.push(Line::from(Span::styled(
            "skipped: a todo_ test, as opa test skips it",
            theme.style(Slot::Skip),
        )));
    }
    if !t.sub_results.is_empty() {
        lines.push(Line::from(Span::styled("sub-results:", muted)));
        for s in &t.sub_results {
            let word = if s.pass { "PASS" } else { "FAIL" };
            lines.push(Line::from(vec![
                Span::styled(
                    format!("  {} {word:<5} ", outcome_glyph(word)),
                    theme.style(if s.pass { Slot::Pass } else { Slot::Fail }),
                ),
                safe(&s.key, text),
            ]));
        }
    }
    if t.kind == TestKind::Case && t.result == TestStatus::Fail {
        json_block("expected", t.expected.as_ref(), theme, lines);
        json_block("actual", t.actual.as_ref(), theme, lines);
    } else if t.result == TestStatus::Fail && t.kind == TestKind::Rego {
        // A Rego test fails when its value is not `true`: show what it was.
        json_block("produced", t.value.as_ref(), theme, lines);
    }
    if let Some(d) = &t.diff {
        lines.push(Line::from(Span::styled(
            "diff (- expected, + actual):",
            muted,
        )));
        diff_lines(d, theme, lines);
    }
    if !t.output.is_empty() {
        lines.push(Line::from(Span::styled("print output:", muted)));
        for o in &t.output {
            for l in safe_lines(o, text) {
                lines.push(indent(l));
            }
        }
    }
}

/// `label:` then the value as indented pretty JSON (`undefined` for none).
fn json_block(label: &str, value: Option<&Value>, theme: &Theme, lines: &mut Vec<Line<'static>>) {
    lines.push(Line::from(Span::styled(
        format!("{label}:"),
        theme.style(Slot::Muted),
    )));
    match value {
        Some(v) => {
            let text = serde_json::to_string_pretty(v).unwrap_or_else(|_| v.to_string());
            for l in safe_lines(&text, theme.style(Slot::Text)) {
                lines.push(indent(l));
            }
        }
        None => lines.push(Line::from(Span::styled(
            "  undefined",
            theme.style(Slot::Muted),
        ))),
    }
}

/// A unified diff with its `+` / `-` gutters kept, so it reads without
/// colour.
fn diff_lines(diff: &str, theme: &Theme, lines: &mut Vec<Line<'static>>) {
    // The heading names the sides already: diff's own header is skipped.
    for l in crate::sanitize::escape_multiline(diff)
        .lines()
        .filter(|l| *l != "--- expected" && *l != "+++ actual")
    {
        let slot = if l.starts_with('+') {
            Slot::Added
        } else if l.starts_with('-') {
            Slot::Removed
        } else if l.starts_with("@@") {
            Slot::Info
        } else {
            Slot::Text
        };
        lines.push(Line::from(Span::styled(
            format!("  {l}"),
            theme.style(slot),
        )));
    }
}

fn warning_lines(warnings: &[String], theme: &Theme, lines: &mut Vec<Line<'static>>) {
    for w in warnings {
        lines.push(Line::from(vec![
            Span::styled("⚠ warning: ", theme.style(Slot::Warn)),
            safe(w, theme.style(Slot::Warn)),
        ]));
    }
}

fn indent(mut line: Line<'static>) -> Line<'static> {
    line.spans.insert(0, Span::raw("  "));
    line
}

/// The source with line numbers and coverage marks: `●` covered, `○` not,
/// blank for lines that cannot be covered (comments, `package`...).
fn source_lines(text: &str, cov: &FileCoverage, theme: &Theme) -> Vec<Line<'static>> {
    text.lines()
        .enumerate()
        .map(|(i, l)| {
            let n = u32::try_from(i + 1).unwrap_or(u32::MAX);
            let (mark, style): (&str, Style) = if cov.covered.contains(&n) {
                ("●", theme.style(Slot::Covered))
            } else if cov.not_covered.contains(&n) {
                ("○", theme.style(Slot::Uncovered))
            } else {
                (" ", theme.style(Slot::Muted))
            };
            let text_style = if mark == "○" {
                theme.style(Slot::Uncovered)
            } else {
                theme.style(Slot::Text)
            };
            Line::from(vec![
                Span::styled(format!("{n:>4} "), theme.style(Slot::Muted)),
                Span::styled(mark, style),
                Span::raw(" "),
                // Tabs as spaces: the sweep would show them as `^I`.
                safe(&l.replace('\t', "    "), text_style),
            ])
        })
        .collect()
}
