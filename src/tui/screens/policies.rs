//! Screen 1, Policies: versions (grouped by bundle) -> modules and their
//! rules -> a rule's panel (title, description, citations, related
//! resources, severity, the tests that reach it, coverage, Gavel's warnings)
//! over its source with the rule's lines marked. `m` shows the version's
//! regulation mapping matrix instead, gaps marked.

use std::cell::Cell;

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

use super::{Ctx, Effect, Pick, Prompt};
use crate::bundle::{Bundle, Catalog};
use crate::matrix::Matrix;
use crate::store::StoredRule;
use crate::store::test_runs::TestRun;
use crate::tui::action::Action;
use crate::tui::draw::View;
use crate::tui::jobs::JobOutput;
use crate::tui::theme::{Slot, outcome_glyph};
use crate::tui::widgets::list::Cursor;
use crate::tui::widgets::{HSTEP, field, pane, safe, truncate, wide_pane};

/// A row of the middle pane: a module, or one of its rules.
#[derive(Debug, Clone)]
enum Row {
    Module {
        file: String,
        package: String,
        rules: usize,
    },
    Rule(usize),
}

/// What the screen knows of the selected version.
#[derive(Debug, Default)]
struct Loaded {
    version_id: i64,
    rules: Vec<StoredRule>,
    rows: Vec<Row>,
    bundle: Option<Bundle>,
    warnings: Vec<String>,
    run: Option<TestRun>,
    matrix: Matrix,
    error: Option<String>,
}

#[derive(Default)]
pub struct PoliciesScreen {
    versions: Cursor,
    rows: Cursor,
    /// 0 versions, 1 rules, 2 detail.
    focus: usize,
    /// Source lines scrolled from where the rule's view opens (can go up).
    detail_scroll: i64,
    matrix: bool,
    matrix_scroll: usize,
    /// Columns the source or the matrix is scrolled sideways (h/l).
    hscroll: usize,
    /// Rows of the source or matrix pane when last drawn: a page.
    page: std::cell::Cell<usize>,
    /// `/`: only rules whose name, title or citation contains this.
    filter: String,
    loaded: Loaded,
    /// Where the lists were drawn, for mouse clicks.
    version_area: Cell<Rect>,
    rows_area: Cell<Rect>,
}

impl PoliciesScreen {
    pub fn reload(&mut self, ctx: &Ctx) -> Vec<Effect> {
        self.versions.clamp(ctx.versions.len());
        self.load_selected(ctx)
    }

    fn load_selected(&mut self, ctx: &Ctx) -> Vec<Effect> {
        let Some(v) = ctx.versions.get(self.versions.selected) else {
            self.loaded = Loaded::default();
            return Vec::new();
        };
        if self.loaded.version_id == v.id
            && self.loaded.error.is_none()
            && !self.loaded.rows.is_empty()
        {
            return Vec::new();
        }
        self.loaded = load(ctx, v.id, v.rego_version == 0, &self.filter);
        self.rows = Cursor::default();
        self.detail_scroll = 0;
        self.matrix_scroll = 0;
        Vec::new()
    }

    /// The index of the version the cursor is on.
    pub fn selected_version(&self) -> usize {
        self.versions.selected
    }

    /// Puts the cursor on version `index` (the one chosen on another tab).
    pub fn follow_version(&mut self, index: usize, ctx: &Ctx) -> Vec<Effect> {
        if index == self.versions.selected || index >= ctx.versions.len() {
            return Vec::new();
        }
        self.versions.selected = index;
        self.loaded.version_id = -1;
        self.load_selected(ctx)
    }

    pub fn handle(&mut self, action: Action, ctx: &Ctx) -> Vec<Effect> {
        match action {
            Action::NextPane => self.focus = (self.focus + 1) % 3,
            Action::PrevPane => self.focus = (self.focus + 2) % 3,
            // In the source and the matrix, h/l scroll long lines sideways;
            // h at the left edge goes back to the rules.
            Action::Right if self.focus == 2 => self.hscroll += HSTEP,
            Action::Left if self.focus == 2 && self.hscroll > 0 => {
                self.hscroll = self.hscroll.saturating_sub(HSTEP)
            }
            Action::Right | Action::Select if self.focus < 2 => self.focus += 1,
            Action::Left | Action::Back if self.focus > 0 => self.focus -= 1,
            Action::Filter => {
                return vec![Effect::OpenPrompt {
                    title: "rules whose name, title or citation contains".into(),
                    initial: self.filter.clone(),
                    prompt: Prompt::RuleFilter,
                }];
            }
            Action::Back if !self.filter.is_empty() && self.focus <= 1 => {
                return self.on_prompt(Prompt::RuleFilter, "", ctx);
            }
            Action::ToggleMatrix => {
                self.matrix = !self.matrix;
                self.focus = 2;
            }
            a => match self.focus {
                0 => {
                    let before = self.versions.selected;
                    self.versions.apply(a, ctx.versions.len());
                    if before != self.versions.selected {
                        self.loaded.version_id = -1;
                        return self.load_selected(ctx);
                    }
                }
                1 => {
                    if self.rows.apply(a, self.loaded.rows.len()) {
                        self.detail_scroll = 0;
                    }
                }
                _ => {
                    // A page is what the pane shows, so paging skips no row.
                    let page = i64::try_from(self.page.get().max(1)).unwrap_or(1);
                    let step: i64 = match a {
                        Action::Down => 1,
                        Action::Up => -1,
                        Action::PageDown => page,
                        Action::PageUp => -page,
                        _ => 0,
                    };
                    if self.matrix {
                        let m = i64::try_from(self.matrix_scroll).unwrap_or(0) + step;
                        self.matrix_scroll = if a == Action::Top {
                            0
                        } else {
                            usize::try_from(m.max(0)).unwrap_or(0)
                        };
                    } else if a == Action::Top {
                        self.detail_scroll = 0;
                    } else {
                        self.detail_scroll += step;
                    }
                }
            },
        }
        Vec::new()
    }

    pub fn click(&mut self, col: u16, row: u16, ctx: &Ctx) -> Vec<Effect> {
        let hit = |r: Rect| col >= r.x && col < r.x + r.width && row >= r.y && row < r.y + r.height;
        let va = self.version_area.get();
        if hit(va) {
            self.focus = 0;
            if let Some(i) = self
                .versions
                .row_at(usize::from(row - va.y), ctx.versions.len())
            {
                self.versions.select(i, ctx.versions.len());
                self.loaded.version_id = -1;
                return self.load_selected(ctx);
            }
        }
        let ra = self.rows_area.get();
        if hit(ra) {
            self.focus = 1;
            if let Some(i) = self
                .rows
                .row_at(usize::from(row - ra.y), self.loaded.rows.len())
            {
                self.rows.select(i, self.loaded.rows.len());
                self.detail_scroll = 0;
            }
        }
        Vec::new()
    }

    pub fn job_started(&mut self, _id: u64) {}

    pub fn on_job(&mut self, _id: u64, _r: Result<JobOutput, String>, _ctx: &Ctx) -> Vec<Effect> {
        Vec::new()
    }

    pub fn on_pick(&mut self, _p: Pick, _i: usize, _item: &str, _ctx: &Ctx) -> Vec<Effect> {
        Vec::new()
    }

    pub fn on_prompt(&mut self, p: Prompt, text: &str, ctx: &Ctx) -> Vec<Effect> {
        if p != Prompt::RuleFilter {
            return Vec::new();
        }
        self.filter = text.trim().to_string();
        self.loaded.version_id = -1;
        self.load_selected(ctx);
        self.focus = 1;
        let rules = self
            .loaded
            .rows
            .iter()
            .filter(|r| matches!(r, Row::Rule(_)))
            .count();
        vec![Effect::Message(if self.filter.is_empty() {
            "rule filter cleared".into()
        } else {
            format!("{rules} rules match '{}'", self.filter)
        })]
    }

    /// The selected rule, for tests and the detail pane.
    pub fn selected_rule(&self) -> Option<&StoredRule> {
        match self.loaded.rows.get(self.rows.selected)? {
            Row::Rule(i) => self.loaded.rules.get(*i),
            Row::Module { .. } => None,
        }
    }

    pub fn draw(&self, f: &mut Frame, area: Rect, view: &View) {
        if view.zoom {
            match self.focus {
                0 => self.draw_versions(f, area, view),
                1 => self.draw_rows(f, area, view),
                _ if self.matrix => self.draw_matrix(f, area, view),
                _ => self.draw_detail(f, area, view),
            }
            return;
        }
        let [left, mid, right] = Layout::horizontal([
            Constraint::Percentage(22),
            Constraint::Percentage(30),
            Constraint::Percentage(48),
        ])
        .areas(area);
        self.draw_versions(f, left, view);
        self.draw_rows(f, mid, view);
        if self.matrix {
            self.draw_matrix(f, right, view);
        } else {
            self.draw_detail(f, right, view);
        }
    }

    fn draw_versions(&self, f: &mut Frame, area: Rect, view: &View) {
        let theme = view.theme;
        let block = pane("versions", self.focus == 0, theme);
        let inner = block.inner(area);
        f.render_widget(block, area);
        self.version_area.set(inner);
        let items = &version_rows(view.versions, usize::from(inner.width));
        let lines = self.versions.lines(
            items,
            usize::from(inner.height),
            theme.style(Slot::Selection),
            |text| Line::from(safe(text, theme.style(Slot::Text))),
        );
        f.render_widget(Paragraph::new(lines), inner);
    }

    fn draw_rows(&self, f: &mut Frame, area: Rect, view: &View) {
        let theme = view.theme;
        let title = if self.filter.is_empty() {
            format!("modules and rules ({})", self.loaded.rules.len())
        } else {
            format!("rules /{} ({})", self.filter, self.loaded.rules.len())
        };
        let block = pane(&title, self.focus == 1, theme);
        let inner = block.inner(area);
        f.render_widget(block, area);
        self.rows_area.set(inner);
        if let Some(e) = &self.loaded.error {
            f.render_widget(Paragraph::new(safe(e, theme.style(Slot::Error))), inner);
            return;
        }
        let width = usize::from(inner.width);
        let lines = self.rows.lines(
            &self.loaded.rows,
            usize::from(inner.height),
            theme.style(Slot::Selection),
            |row| match row {
                Row::Module { file, rules, .. } => Line::from(vec![
                    Span::styled("▾ ", theme.style(Slot::Muted)),
                    safe(
                        &truncate(file, width.saturating_sub(8)),
                        theme.style(Slot::Title),
                    ),
                    Span::styled(format!(" ({rules})"), theme.style(Slot::Muted)),
                ]),
                Row::Rule(r) => {
                    let rule = &self.loaded.rules[*r];
                    let mark = if rule.citations.is_empty() {
                        "  ○ "
                    } else {
                        "  ● "
                    };
                    let style = if rule.citations.is_empty() {
                        theme.style(Slot::Warn)
                    } else {
                        theme.style(Slot::Text)
                    };
                    Line::from(vec![
                        Span::styled(mark, style),
                        safe(&truncate(&rule.name, width.saturating_sub(10)), style),
                        Span::styled(format!(" :{}", rule.line_start), theme.style(Slot::Muted)),
                    ])
                }
            },
        );
        f.render_widget(Paragraph::new(lines), inner);
    }

    fn draw_detail(&self, f: &mut Frame, area: Rect, view: &View) {
        let theme = view.theme;
        let mut lines: Vec<Line> = Vec::new();
        let (file, span) = match self.loaded.rows.get(self.rows.selected) {
            None => {
                f.render_widget(
                    Paragraph::new(Span::styled(
                        "no version selected",
                        theme.style(Slot::Muted),
                    ))
                    .block(pane("rule", self.focus == 2, theme)),
                    area,
                );
                return;
            }
            Some(Row::Module {
                file,
                package,
                rules,
            }) => {
                lines.push(field("module", file, theme));
                lines.push(field("package", package, theme));
                lines.push(field("rules", &rules.to_string(), theme));
                (file.clone(), None)
            }
            Some(Row::Rule(i)) => {
                let rule = &self.loaded.rules[*i];
                self.rule_panel(rule, &mut lines, view);
                (rule.file.clone(), Some((rule.line_start, rule.line_end)))
            }
        };
        // The panel on top (at most half the height), the source below it.
        let width = usize::from(area.width.saturating_sub(2)).max(1);
        let rows: usize = lines.iter().map(|l| l.width().max(1).div_ceil(width)).sum();
        let panel_height = u16::try_from(rows + 2)
            .unwrap_or(u16::MAX)
            .min(area.height / 2);
        let [top, bottom] =
            Layout::vertical([Constraint::Length(panel_height), Constraint::Min(3)]).areas(area);
        let title = if span.is_some() { "rule" } else { "module" };
        f.render_widget(
            Paragraph::new(lines)
                .wrap(ratatui::widgets::Wrap { trim: false })
                .block(pane(title, false, theme)),
            top,
        );
        let coverage = self
            .loaded
            .run
            .as_ref()
            .and_then(|r| r.coverage_report.as_ref());
        let mut source = Vec::new();
        if let Some(text) = self
            .loaded
            .bundle
            .as_ref()
            .and_then(|b| b.files.iter().find(|bf| bf.path == file))
            .map(|bf| bf.text.as_str())
        {
            source_lines(
                text,
                span,
                coverage.and_then(|c| c.files.get(&file)),
                view,
                &mut source,
            );
        }
        // The source opens a few lines above the rule; j/k scroll from there.
        let height = usize::from(bottom.height.saturating_sub(2));
        self.page.set(height);
        let start = span
            .map(|(s, _)| usize::try_from(s).unwrap_or(0).saturating_sub(4))
            .unwrap_or(0);
        let max = source.len().saturating_sub(height.max(1));
        let scroll =
            usize::try_from((i64::try_from(start).unwrap_or(0) + self.detail_scroll).max(0))
                .unwrap_or(0)
                .min(max);
        f.render_widget(
            Paragraph::new(source)
                .scroll((
                    u16::try_from(scroll).unwrap_or(u16::MAX),
                    u16::try_from(self.hscroll).unwrap_or(u16::MAX),
                ))
                .block(wide_pane(&file, self.focus == 2, theme)),
            bottom,
        );
    }

    fn rule_panel(&self, rule: &StoredRule, lines: &mut Vec<Line<'static>>, view: &View) {
        let theme = view.theme;
        lines.push(Line::from(vec![
            safe(
                &format!("{}.{}", rule.package, rule.name),
                theme.style(Slot::TitleFocused),
            ),
            Span::styled(
                format!("  {}", rule.kind.as_str()),
                theme.style(Slot::Muted),
            ),
            Span::styled(
                if rule.entrypoint { "  entrypoint" } else { "" },
                theme.style(Slot::Info),
            ),
        ]));
        if let Some(t) = &rule.title {
            lines.push(field("title", t, theme));
        }
        if let Some(d) = &rule.description {
            lines.push(field("description", d, theme));
        }
        if rule.citations.is_empty() {
            lines.push(Line::from(Span::styled(
                "○ no citation: a gap in the regulation mapping",
                theme.style(Slot::Warn),
            )));
        }
        for c in &rule.citations {
            lines.push(Line::from(vec![
                Span::styled("cites: ", theme.style(Slot::Muted)),
                safe(&c.label(), theme.style(Slot::Info)),
            ]));
        }
        if let Some(a) = &rule.annotation {
            for r in &a.related_resources {
                let text = match &r.description {
                    Some(d) => format!("{} ({d})", r.reference),
                    None => r.reference.clone(),
                };
                lines.push(field("related", &text, theme));
            }
        }
        if let Some(s) = &rule.severity {
            lines.push(field("severity", s, theme));
        }
        lines.push(field(
            "defined",
            &format!("{}:{}-{}", rule.file, rule.line_start, rule.line_end),
            theme,
        ));
        match self
            .loaded
            .run
            .as_ref()
            .and_then(|r| r.coverage_report.as_ref().map(|c| (r, c)))
        {
            Some((run, cov)) => {
                let rc = cov
                    .rules
                    .iter()
                    .find(|c| {
                        c.package == rule.package
                            && c.rule == rule.name
                            && c.line == rule.line_start
                    })
                    .or_else(|| {
                        cov.rules
                            .iter()
                            .find(|c| c.package == rule.package && c.rule == rule.name)
                    });
                match rc {
                    Some(rc) => {
                        let style = if rc.tests.is_empty() {
                            theme.style(Slot::Fail)
                        } else {
                            theme.style(Slot::Pass)
                        };
                        lines.push(Line::from(vec![
                            Span::styled("coverage: ", theme.style(Slot::Muted)),
                            Span::styled(
                                format!(
                                    "{:.0}% of {} lines, {} tests reach it (run #{} {})",
                                    rc.coverage,
                                    rc.lines,
                                    rc.tests.len(),
                                    run.id,
                                    run.started_at
                                ),
                                style,
                            ),
                        ]));
                        for t in rc.tests.iter().take(8) {
                            lines.push(Line::from(vec![
                                Span::styled(
                                    format!("  {} ", outcome_glyph("PASS")),
                                    theme.style(Slot::Pass),
                                ),
                                safe(t, theme.style(Slot::Text)),
                            ]));
                        }
                        if rc.tests.len() > 8 {
                            lines.push(Line::from(Span::styled(
                                format!("  … and {} more", rc.tests.len() - 8),
                                theme.style(Slot::Muted),
                            )));
                        }
                    }
                    None => lines.push(field("coverage", "not in the last run", theme)),
                }
            }
            None => lines.push(Line::from(Span::styled(
                "coverage: no recorded run yet (run the suite on tab 2)",
                theme.style(Slot::Muted),
            ))),
        }
        for w in self.warnings_of(rule) {
            lines.push(Line::from(vec![
                Span::styled("⚠ warning: ", theme.style(Slot::Warn)),
                safe(w, theme.style(Slot::Warn)),
            ]));
        }
    }

    /// Gavel's warnings (the `not` readings, stray METADATA) inside a rule.
    fn warnings_of<'a>(&'a self, rule: &StoredRule) -> impl Iterator<Item = &'a String> + 'a {
        let file = rule.file.clone();
        let (start, end) = (rule.line_start, rule.line_end);
        self.loaded.warnings.iter().filter(move |w| {
            let Some(rest) = w.strip_prefix(&format!("{file}:")) else {
                return false;
            };
            let line: Option<u32> = rest.split(':').next().and_then(|n| n.parse().ok());
            line.is_some_and(|l| l >= start && l <= end)
        })
    }

    fn draw_matrix(&self, f: &mut Frame, area: Rect, view: &View) {
        let theme = view.theme;
        let m = &self.loaded.matrix;
        let block = wide_pane(
            &format!(
                "regulation mapping matrix ({} rows, {} gaps)",
                m.rows.len(),
                m.gaps.len()
            ),
            self.focus == 2,
            theme,
        );
        let inner = block.inner(area);
        f.render_widget(block, area);
        self.page.set(usize::from(inner.height));
        let mut lines: Vec<Line> = Vec::new();
        // One heading per regulation, then its clauses: a long regulation
        // name no longer hides the clause that tells rows apart. Rules come
        // last and whole (h/l scroll sideways when one is long).
        // The column fits the short clauses (`Rule 144`); a longer one gets
        // a line of its own above its rules, whole. In a narrow pane every
        // clause does, so the rules keep the width.
        const CLAUSE_COLUMN: usize = 20;
        let cw = if inner.width < 60 {
            0
        } else {
            m.rows
                .iter()
                .map(|r| r.clause.chars().count())
                .filter(|n| *n <= CLAUSE_COLUMN)
                .max()
                .unwrap_or(6)
                .max(6)
        };
        let heading = if cw == 0 {
            format!("  {:>5} {:>5}  RULE", "TESTS", "COV")
        } else {
            format!("  {:<cw$} {:>5} {:>5}  RULE", "CLAUSE", "TESTS", "COV")
        };
        lines.push(Line::from(Span::styled(heading, theme.style(Slot::Title))));
        let mut last_regulation = None;
        let mut last_clause = None;
        for r in &m.rows {
            if last_regulation != Some(&r.regulation) {
                lines.push(Line::from(safe(&r.regulation, theme.style(Slot::Title))));
                last_regulation = Some(&r.regulation);
                last_clause = None;
            }
            let shown = if last_clause == Some(&r.clause) {
                String::new()
            } else {
                r.clause.clone()
            };
            last_clause = Some(&r.clause);
            let shown = if shown.chars().count() > cw {
                lines.push(Line::from(safe(
                    &format!("  {shown}"),
                    theme.style(Slot::Text),
                )));
                String::new()
            } else {
                shown
            };
            let tests = r.tests.map(|t| t.to_string()).unwrap_or_else(|| "-".into());
            let cov = r
                .coverage
                .map(|c| format!("{c:.0}%"))
                .unwrap_or_else(|| "-".into());
            let style = match r.tests {
                Some(0) => theme.style(Slot::Fail),
                _ => theme.style(Slot::Text),
            };
            lines.push(Line::from(safe(
                &if cw == 0 {
                    format!("  {tests:>5} {cov:>5}  {}", r.rule)
                } else {
                    format!("  {shown:<cw$} {tests:>5} {cov:>5}  {}", r.rule)
                },
                style,
            )));
        }
        lines.push(Line::from(""));
        if m.gaps.is_empty() {
            lines.push(Line::from(Span::styled(
                "✓ no gaps: every rule cites a clause",
                theme.style(Slot::Pass),
            )));
        } else {
            lines.push(Line::from(Span::styled(
                format!("○ gaps: {} rules cite nothing", m.gaps.len()),
                theme.style(Slot::Warn),
            )));
            for g in &m.gaps {
                lines.push(Line::from(safe(
                    &format!("  ○ {}.{}  {}:{}", g.package, g.rule, g.file, g.line),
                    theme.style(Slot::Warn),
                )));
            }
        }
        f.render_widget(
            Paragraph::new(lines).scroll((
                u16::try_from(self.matrix_scroll).unwrap_or(u16::MAX),
                u16::try_from(self.hscroll).unwrap_or(u16::MAX),
            )),
            inner,
        );
    }
}

/// The version rows as the left pane shows them: the bundle name on its
/// first version only, then the version and its short hash.
fn version_rows(versions: &[crate::store::VersionSummary], pane_width: usize) -> Vec<String> {
    // The version always shows; the name gives way, then the hash.
    let longest_version = versions
        .iter()
        .map(|v| v.version.chars().count())
        .max()
        .unwrap_or(0);
    let hash_width = if pane_width >= 30 { 9 } else { 0 };
    let width = versions
        .iter()
        .map(|v| v.name.chars().count())
        .max()
        .unwrap_or(0)
        .min(
            pane_width
                .saturating_sub(longest_version + 1 + hash_width)
                .max(4),
        );
    let mut last = "";
    versions
        .iter()
        .map(|v| {
            let name = if v.name == last {
                String::new()
            } else {
                truncate(&v.name, width)
            };
            last = &v.name;
            let hash: String = v
                .content_hash
                .trim_start_matches("sha256:")
                .chars()
                .take(8)
                .collect();
            if hash_width == 0 {
                format!("{name:<width$} {}", v.version)
            } else {
                format!("{name:<width$} {:<longest_version$} {hash}", v.version)
            }
        })
        .collect()
}

/// Lines of a source file with numbers, the rule's lines marked (`▌`) and,
/// when a run measured coverage, covered (`●`) and uncovered (`○`) lines.
fn source_lines(
    text: &str,
    span: Option<(u32, u32)>,
    coverage: Option<&crate::engine::suite::FileCoverage>,
    view: &View,
    out: &mut Vec<Line<'static>>,
) {
    let theme = view.theme;
    for (i, l) in text.lines().enumerate() {
        let n = u32::try_from(i + 1).unwrap_or(u32::MAX);
        let in_rule = span.is_some_and(|(s, e)| n >= s && n <= e);
        let cov = coverage.and_then(|c| {
            if c.covered.contains(&n) {
                Some(("●", theme.style(Slot::Covered)))
            } else if c.not_covered.contains(&n) {
                Some(("○", theme.style(Slot::Uncovered)))
            } else {
                None
            }
        });
        let (mark, mark_style) = cov.unwrap_or((" ", theme.style(Slot::Muted)));
        let text_style = if in_rule {
            theme.style(Slot::Highlight)
        } else {
            theme.style(Slot::Text)
        };
        out.push(Line::from(vec![
            Span::styled(format!("{n:>4} "), theme.style(Slot::Muted)),
            Span::styled(if in_rule { "▌" } else { " " }, theme.style(Slot::Key)),
            Span::styled(mark, mark_style),
            Span::raw(" "),
            safe(&l.replace('\t', "    "), text_style),
        ]));
    }
}

fn load(ctx: &Ctx, version_id: i64, rego_v0: bool, filter: &str) -> Loaded {
    let result = (|| -> crate::Result<Loaded> {
        let mut rules: Vec<StoredRule> = ctx
            .store
            .rules_of(version_id)?
            .into_iter()
            .filter(|r| !r.file.ends_with("_test.rego"))
            .collect();
        rules.sort_by(|a, b| a.file.cmp(&b.file).then(a.line_start.cmp(&b.line_start)));
        let all_rules = rules.clone();
        let needle = filter.to_lowercase();
        if !needle.is_empty() {
            rules.retain(|r| {
                r.name.to_lowercase().contains(&needle)
                    || r.title
                        .as_deref()
                        .is_some_and(|t| t.to_lowercase().contains(&needle))
                    || r.citations
                        .iter()
                        .any(|c| c.label().to_lowercase().contains(&needle))
            });
        }
        let mut rows = Vec::new();
        let mut i = 0;
        while i < rules.len() {
            let file = rules[i].file.clone();
            let start = rows.len();
            rows.push(Row::Module {
                file: file.clone(),
                package: rules[i].package.clone(),
                rules: 0,
            });
            let mut n = 0;
            while i < rules.len() && rules[i].file == file {
                rows.push(Row::Rule(i));
                i += 1;
                n += 1;
            }
            if let Row::Module { rules, .. } = &mut rows[start] {
                *rules = n;
            }
        }
        let bundle = ctx.store.bundle_of(version_id)?;
        let warnings = Catalog::build(&bundle, rego_v0)
            .map(|c| c.warnings)
            .unwrap_or_default();
        let run = ctx.store.latest_covered_run(version_id)?;
        let matrix = Matrix::build(
            &all_rules,
            run.as_ref().and_then(|r| r.coverage_report.as_ref()),
        );
        Ok(Loaded {
            version_id,
            rules,
            rows,
            bundle: Some(bundle),
            warnings,
            run,
            matrix,
            error: None,
        })
    })();
    result.unwrap_or_else(|e| Loaded {
        version_id,
        error: Some(format!("{e}")),
        ..Loaded::default()
    })
}
