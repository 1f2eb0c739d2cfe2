//! Screen 5, Diff: two stored versions compared. The semantic summary sits
//! on top (constants before -> after, rules added / removed / changed and
//! what changed in them, entrypoints), the files that differ with their
//! `+N -M` counts below it, and the selected file's diff beside them,
//! unified or side by side (`s`). Every diff line keeps its `+`/`-` gutter
//! so it reads without colour. `v` picks the two versions; `i` replays the
//! first version's stored decisions under the second on tab 4.

use std::cell::Cell;

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Paragraph, Wrap};
use unicode_width::UnicodeWidthStr;

use super::{Ctx, Effect, Pick, Prompt, version_labels};
use crate::bundle::Citation;
use crate::diff::{
    Aspect, DiffLine, FileDiff, FileStatus, LineTag, RuleState, VersionDiff, normalize_whitespace,
};
use crate::sanitize;
use crate::store::VersionRef;
use crate::store::decisions::DecisionFilter;
use crate::tui::action::{Action, Scope};
use crate::tui::draw::View;
use crate::tui::jobs::{JobOutput, JobRequest};
use crate::tui::theme::{Slot, Theme};
use crate::tui::widgets::list::Cursor;
use crate::tui::widgets::{pane, safe, truncate};

/// The pane that has the keys.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum DiffFocus {
    Summary,
    #[default]
    Files,
    Text,
}

/// A line of the summary, as spans of (text, meaning). Kept apart from the
/// theme so `handle` can count lines to clamp the scroll.
type Row = Vec<(String, Slot)>;

#[derive(Default)]
pub struct DiffScreen {
    job: Option<u64>,
    /// The pair asked for last (shown while its job runs or after it failed).
    requested: Option<(VersionRef, VersionRef)>,
    diff: Option<Box<VersionDiff>>,
    error: Option<String>,
    files: Cursor,
    focus: DiffFocus,
    side_by_side: bool,
    summary_scroll: usize,
    text_scroll: usize,
    /// Columns of source text scrolled off to the left (h/l in the diff).
    text_hscroll: usize,
    /// Pane heights when last drawn, for PgUp/PgDn and the scroll limits.
    summary_page: Cell<usize>,
    text_page: Cell<usize>,
}

impl DiffScreen {
    pub fn reload(&mut self, _ctx: &Ctx) -> Vec<Effect> {
        // Nothing to load before the user names two versions.
        Vec::new()
    }

    /// The diff on screen, if any (tests look at it).
    pub fn diff(&self) -> Option<&VersionDiff> {
        self.diff.as_deref()
    }

    pub fn side_by_side(&self) -> bool {
        self.side_by_side
    }

    pub fn focus(&self) -> DiffFocus {
        self.focus
    }

    pub fn selected_file(&self) -> Option<&FileDiff> {
        self.diff.as_ref()?.files.get(self.files.selected)
    }

    pub fn handle(&mut self, action: Action, ctx: &Ctx) -> Vec<Effect> {
        match action {
            Action::PickVersions => return pick_first(ctx),
            // Enter on the empty screen starts picking too.
            Action::Select if self.diff.is_none() && self.job.is_none() => {
                return pick_first(ctx);
            }
            Action::ToggleSideBySide => {
                self.side_by_side = !self.side_by_side;
                // The two layouts have different row counts.
                self.text_scroll = 0;
            }
            Action::DiffImpact => return self.impact(ctx),
            Action::NextPane => {
                self.focus = match self.focus {
                    DiffFocus::Summary => DiffFocus::Files,
                    DiffFocus::Files => DiffFocus::Text,
                    DiffFocus::Text => DiffFocus::Summary,
                }
            }
            Action::PrevPane => {
                self.focus = match self.focus {
                    DiffFocus::Summary => DiffFocus::Text,
                    DiffFocus::Files => DiffFocus::Summary,
                    DiffFocus::Text => DiffFocus::Files,
                }
            }
            Action::Right | Action::Select if self.focus == DiffFocus::Files => {
                self.focus = DiffFocus::Text
            }
            // In the diff, h/l scroll long lines sideways; h at the left
            // edge goes back to the file list.
            Action::Right if self.focus == DiffFocus::Text => {
                self.text_hscroll += crate::tui::widgets::HSTEP
            }
            Action::Left if self.focus == DiffFocus::Text && self.text_hscroll > 0 => {
                self.text_hscroll = self.text_hscroll.saturating_sub(crate::tui::widgets::HSTEP)
            }
            Action::Left | Action::Back if self.focus != DiffFocus::Files => {
                self.focus = DiffFocus::Files
            }
            a => match self.focus {
                DiffFocus::Summary => {
                    let total = self
                        .diff
                        .as_deref()
                        .map_or(0, |d| summary_rows(d, false).len());
                    let page = self.summary_page.get();
                    self.summary_scroll = scrolled(self.summary_scroll, a, page, total);
                }
                DiffFocus::Files => {
                    let len = self.diff.as_ref().map_or(0, |d| d.files.len());
                    let before = self.files.selected;
                    self.files.apply(a, len);
                    if before != self.files.selected {
                        self.text_scroll = 0;
                        self.text_hscroll = 0;
                    }
                }
                DiffFocus::Text => {
                    let total = self
                        .selected_file()
                        .map_or(0, |f| text_rows(f, self.side_by_side).len());
                    let page = self.text_page.get();
                    self.text_scroll = scrolled(self.text_scroll, a, page, total);
                }
            },
        }
        Vec::new()
    }

    /// `i`: V1's stored decisions replayed under V2, on the impact tab.
    fn impact(&self, ctx: &Ctx) -> Vec<Effect> {
        let Some(d) = &self.diff else {
            let key = if self.job.is_some() {
                "wait for the diff to finish, then press i again"
            } else {
                "pick two versions first (v)"
            };
            return vec![Effect::Error(key.into())];
        };
        let Some(from) = ctx
            .versions
            .iter()
            .find(|v| v.name == d.from.name && v.version == d.from.version)
        else {
            return vec![Effect::Error(format!(
                "{} is no longer in the store",
                d.from.reference()
            ))];
        };
        let (v1, v2) = (d.from.reference(), d.to.reference());
        if crate::working_copy::is_draft(&v2) {
            return vec![Effect::Error(format!(
                "{v2} is not stored: import it (F8 on the Playground) to replay decisions under it"
            ))];
        }
        vec![Effect::RunImpact {
            filter: DecisionFilter {
                version_id: Some(from.id),
                ..Default::default()
            },
            against: Some(v2.clone()),
            label: format!("{v1}'s decisions against {v2}"),
        }]
    }

    pub fn job_started(&mut self, id: u64) {
        self.job = Some(id);
    }

    pub fn on_job(
        &mut self,
        id: u64,
        result: Result<JobOutput, String>,
        _ctx: &Ctx,
    ) -> Vec<Effect> {
        // A result of an older request is not what the user asked for last.
        if self.job != Some(id) {
            return Vec::new();
        }
        self.job = None;
        match result {
            Ok(JobOutput::Diff(d)) => {
                self.diff = Some(d);
                self.error = None;
                self.files = Cursor::default();
                self.focus = DiffFocus::Files;
                self.summary_scroll = 0;
                self.text_scroll = 0;
                self.text_hscroll = 0;
            }
            // The app shows the error on the status line too.
            Err(e) => self.error = Some(e),
            Ok(_) => {}
        }
        Vec::new()
    }

    pub fn on_pick(&mut self, pick: Pick, _index: usize, item: &str, ctx: &Ctx) -> Vec<Effect> {
        let chosen = match VersionRef::parse(item) {
            Ok(v) => v,
            Err(e) => return vec![Effect::Error(e.to_string())],
        };
        match pick {
            Pick::DiffFrom => vec![Effect::OpenPicker {
                title: format!("diff {chosen} with (2 of 2)"),
                items: version_labels(ctx.versions),
                pick: Pick::DiffTo { from: chosen },
            }],
            Pick::DiffTo { from } => {
                self.requested = Some((from.clone(), chosen.clone()));
                self.diff = None;
                self.error = None;
                vec![Effect::Start(JobRequest::Diff { from, to: chosen })]
            }
            Pick::DiffWorkingCopy => {
                let Some(wc) = ctx.working_copy else {
                    return vec![Effect::Error(
                        "no working copy is open (O opens one)".into(),
                    )];
                };
                self.requested = Some((chosen.clone(), wc.reference()));
                self.diff = None;
                self.error = None;
                vec![Effect::Start(JobRequest::DiffWorkingCopy {
                    from: chosen,
                    working_copy: wc.clone(),
                })]
            }
            _ => Vec::new(),
        }
    }

    pub fn on_prompt(&mut self, _prompt: Prompt, _text: &str, _ctx: &Ctx) -> Vec<Effect> {
        Vec::new()
    }

    pub fn draw(&self, f: &mut Frame, area: Rect, view: &View) {
        let Some(d) = self.diff.as_deref() else {
            self.draw_empty(f, area, view);
            return;
        };
        // Narrow: locations by file name, so a line still fits.
        let rows = summary_rows(d, area.width < 100);
        if view.zoom {
            match self.focus {
                DiffFocus::Summary => self.draw_summary(f, area, d, &rows, view.theme),
                DiffFocus::Files => self.draw_files(f, area, d, view.theme),
                DiffFocus::Text => self.draw_text(f, area, d, view.theme),
            }
            return;
        }
        let cap = (area.height * 2 / 5).max(5);
        let want = u16::try_from(rows.len() + 2).unwrap_or(u16::MAX);
        let [top, bottom] =
            Layout::vertical([Constraint::Length(want.clamp(3, cap)), Constraint::Min(3)])
                .areas(area);
        // Side by side needs the width more than the file names do.
        let files_width = if self.side_by_side {
            (area.width / 5).clamp(20, 30)
        } else {
            (area.width * 3 / 10).clamp(24, 44)
        };
        let [files, text] =
            Layout::horizontal([Constraint::Length(files_width), Constraint::Min(20)])
                .areas(bottom);
        self.draw_summary(f, top, d, &rows, view.theme);
        self.draw_files(f, files, d, view.theme);
        self.draw_text(f, text, d, view.theme);
    }

    fn draw_empty(&self, f: &mut Frame, area: Rect, view: &View) {
        let theme = view.theme;
        let key = |a: Action| view.keys.keys_of(a, Scope::Diff);
        let mut lines = Vec::new();
        if let Some(job) = view.job(self.job) {
            lines.push(Line::from(safe(
                &format!("⟳ {}…", job.label),
                theme.style(Slot::Info),
            )));
            lines.push(Line::from(""));
        } else if let Some(e) = &self.error {
            if let Some((a, b)) = &self.requested {
                lines.push(Line::from(safe(
                    &format!("could not diff {a} and {b}:"),
                    theme.style(Slot::Error),
                )));
            }
            lines.extend(crate::tui::widgets::safe_lines(e, theme.style(Slot::Error)));
            lines.push(Line::from(""));
        }
        lines.push(Line::from(vec![
            Span::styled(key(Action::PickVersions), theme.style(Slot::Key)),
            Span::styled(
                " picks two versions: the one to compare from, then the one to compare to.",
                theme.style(Slot::Text),
            ),
        ]));
        lines.push(Line::from(Span::styled(
            "The semantic summary (rules added, removed and changed, constants, entrypoints) shows on top, the files that differ below it.",
            theme.style(Slot::Muted),
        )));
        lines.push(Line::from(vec![
            Span::styled(key(Action::ToggleSideBySide), theme.style(Slot::Key)),
            Span::styled(
                " switches unified / side by side; ",
                theme.style(Slot::Muted),
            ),
            Span::styled(key(Action::DiffImpact), theme.style(Slot::Key)),
            Span::styled(
                " replays the first version's decisions under the second.",
                theme.style(Slot::Muted),
            ),
        ]));
        lines.push(Line::from(Span::styled(
            "Tab moves between the summary, the files and the diff; j/k and PgUp/PgDn scroll; h/l scroll long lines sideways.",
            theme.style(Slot::Muted),
        )));
        f.render_widget(
            Paragraph::new(lines)
                .wrap(Wrap { trim: false })
                .block(pane("diff", true, theme)),
            area,
        );
    }

    fn draw_summary(
        &self,
        f: &mut Frame,
        area: Rect,
        d: &VersionDiff,
        rows: &[Row],
        theme: &Theme,
    ) {
        let focused = self.focus == DiffFocus::Summary;
        let title = format!(
            "{} {} -> {} {}",
            d.from.reference(),
            short_hash(&d.from.content_hash),
            d.to.reference(),
            short_hash(&d.to.content_hash)
        );
        let height = usize::from(area.height.saturating_sub(2)).max(1);
        self.summary_page.set(height);
        let scroll = self.summary_scroll.min(rows.len().saturating_sub(height));
        let block = with_more(
            pane(&title, focused, theme),
            rows.len(),
            scroll,
            height,
            theme,
        );
        let lines: Vec<Line> = rows
            .iter()
            .skip(scroll)
            .take(height)
            .map(|r| {
                Line::from(
                    r.iter()
                        .map(|(t, s)| safe(t, theme.style(*s)))
                        .collect::<Vec<_>>(),
                )
            })
            .collect();
        f.render_widget(Paragraph::new(lines).block(block), area);
    }

    fn draw_files(&self, f: &mut Frame, area: Rect, d: &VersionDiff, theme: &Theme) {
        let focused = self.focus == DiffFocus::Files;
        let s = &d.summary;
        let room = usize::from(area.width.saturating_sub(4));
        let title = [
            format!(
                "files: {} differ, {} same",
                d.files.len(),
                s.files_unchanged
            ),
            format!("{} differ, {} same", d.files.len(), s.files_unchanged),
        ]
        .into_iter()
        .find(|t| t.width() <= room)
        .unwrap_or_else(|| format!("files: {}", d.files.len()));
        let mut block = pane(&title, focused, theme);
        // The marks' legend, where it fits.
        for legend in [" ~ changed  + added  - removed ", " ~chg +add -del "] {
            if legend.width() <= room {
                block = block.title_bottom(
                    Line::from(Span::styled(legend, theme.style(Slot::Muted))).right_aligned(),
                );
                break;
            }
        }
        let inner = block.inner(area);
        f.render_widget(block, area);
        if d.files.is_empty() {
            f.render_widget(
                Paragraph::new(Span::styled("no file differs", theme.style(Slot::Muted))),
                inner,
            );
            return;
        }
        let width = usize::from(inner.width);
        let range = self.files.window(d.files.len(), usize::from(inner.height));
        let lines: Vec<Line> = d.files[range.clone()]
            .iter()
            .enumerate()
            .map(|(i, file)| {
                let (mark, slot) = status_mark(file.status);
                let mark = format!("{mark} ");
                let added = format!("+{}", file.added);
                let removed = format!("-{}", file.removed);
                let counts = added.len() + removed.len() + 2;
                let room = width.saturating_sub(mark.width() + counts);
                let path = truncate_start(&sanitize::escape(&file.path), room);
                let pad = room.saturating_sub(path.width());
                let mut line = Line::from(vec![
                    Span::styled(mark, theme.style(slot)),
                    Span::styled(path, theme.style(Slot::Text)),
                    Span::raw(" ".repeat(pad + 1)),
                    Span::styled(added, theme.style(Slot::Added)),
                    Span::raw(" "),
                    Span::styled(removed, theme.style(Slot::Removed)),
                ]);
                if range.start + i == self.files.selected {
                    line = line.style(theme.style(Slot::Selection));
                }
                line
            })
            .collect();
        f.render_widget(Paragraph::new(lines), inner);
    }

    fn draw_text(&self, f: &mut Frame, area: Rect, d: &VersionDiff, theme: &Theme) {
        let focused = self.focus == DiffFocus::Text;
        let mode = if self.side_by_side {
            "side by side"
        } else {
            "unified"
        };
        let Some(file) = self.selected_file() else {
            let msg = if d.identical {
                "both versions have the same content hash: nothing differs"
            } else {
                "no file differs"
            };
            f.render_widget(
                Paragraph::new(Span::styled(msg, theme.style(Slot::Muted)))
                    .wrap(Wrap { trim: false })
                    .block(pane(mode, focused, theme)),
                area,
            );
            return;
        };
        let shifted = if self.text_hscroll > 0 {
            format!(", from column {}", self.text_hscroll + 1)
        } else {
            String::new()
        };
        let title = format!(
            "{} ({} {}, {mode}{shifted})",
            file.path,
            file.kind,
            file.status.as_str()
        );
        let rows = text_rows(file, self.side_by_side);
        let inner_h = usize::from(area.height.saturating_sub(2)).max(1);
        self.text_page.set(inner_h);
        let scroll = self.text_scroll.min(rows.len().saturating_sub(inner_h));
        let block = with_more(
            pane(&title, focused, theme),
            rows.len(),
            scroll,
            inner_h,
            theme,
        );
        let inner = block.inner(area);
        let width = usize::from(inner.width);
        let nw = number_width(file);
        let lines: Vec<Line> = rows
            .iter()
            .skip(scroll)
            .take(inner_h)
            .map(|row| match row {
                TextRow::Header(h) => Line::from(safe(h, theme.style(Slot::Info))),
                TextRow::Note(n) => Line::from(Span::styled(n.clone(), theme.style(Slot::Muted))),
                TextRow::One(l) => unified_line(l, nw, self.text_hscroll, theme),
                TextRow::Pair(a, b) => pair_line(*a, *b, nw, width, self.text_hscroll, theme),
            })
            .collect();
        f.render_widget(Paragraph::new(lines).block(block), area);
    }
}

/// The first picker: the version to compare from.
fn pick_first(ctx: &Ctx) -> Vec<Effect> {
    if ctx.versions.is_empty() {
        return vec![Effect::Error(
            "no versions to compare: import some (gavel import DIR) or load the samples (L)".into(),
        )];
    }
    vec![Effect::OpenPicker {
        title: "diff from (1 of 2)".into(),
        items: version_labels(ctx.versions),
        pick: Pick::DiffFrom,
    }]
}

/// A scroll offset moved by a navigation action, kept inside the content.
fn scrolled(at: usize, a: Action, page: usize, total: usize) -> usize {
    let page = page.max(1);
    let max = total.saturating_sub(page);
    let next = match a {
        Action::Up => at.saturating_sub(1),
        Action::Down => at + 1,
        Action::PageUp => at.saturating_sub(page),
        Action::PageDown => at + page,
        Action::Top => 0,
        Action::Bottom => max,
        _ => at,
    };
    next.min(max)
}

/// A pane with "↓ N more" on its bottom border when content is cut off
/// (the playground's report uses it too).
pub(super) fn with_more<'a>(
    block: Block<'a>,
    total: usize,
    scroll: usize,
    height: usize,
    theme: &Theme,
) -> Block<'a> {
    let below = total.saturating_sub(scroll + height);
    if below == 0 && scroll == 0 {
        return block;
    }
    let text = match (scroll, below) {
        (0, n) => format!(" ↓ {n} more "),
        (s, 0) => format!(" ↑ {s} above "),
        (s, n) => format!(" ↑ {s} ↓ {n} "),
    };
    block.title_bottom(Line::from(Span::styled(text, theme.style(Slot::Muted))).right_aligned())
}

fn short_hash(h: &str) -> String {
    h.trim_start_matches("sha256:").chars().take(8).collect()
}

fn status_mark(s: FileStatus) -> (char, Slot) {
    match s {
        FileStatus::Added => ('+', Slot::Added),
        FileStatus::Removed => ('-', Slot::Removed),
        FileStatus::Changed => ('~', Slot::Warn),
    }
}

/// Cuts a string to `width` columns from the start (`…ocurement/params.rego`):
/// the end of a path names the file.
fn truncate_start(s: &str, width: usize) -> String {
    use unicode_width::UnicodeWidthChar;
    if s.width() <= width {
        return s.to_string();
    }
    if width == 0 {
        return String::new();
    }
    let mut kept: Vec<char> = Vec::new();
    let mut used = 1;
    for c in s.chars().rev() {
        let w = c.width().unwrap_or(0);
        if used + w > width {
            break;
        }
        used += w;
        kept.push(c);
    }
    kept.push('…');
    kept.into_iter().rev().collect()
}

/// Source text as a line of the screen: tabs as spaces, the rest escaped,
/// the first `skip` columns cut (sideways scroll).
fn shown(text: &str, skip: usize) -> String {
    use unicode_width::UnicodeWidthChar;
    let text = sanitize::escape(&text.replace('\t', "    ")).into_owned();
    if skip == 0 {
        return text;
    }
    let mut used = 0;
    let mut out = String::new();
    for c in text.chars() {
        if used >= skip {
            out.push(c);
        } else {
            used += c.width().unwrap_or(0);
        }
    }
    out
}

/// The summary: counts, then constants, rules and entrypoints, one per
/// line; `short` names files without their directories.
fn summary_rows(d: &VersionDiff, short: bool) -> Vec<Row> {
    let s = &d.summary;
    let at = |file: &str, line: u32| {
        let file = if short {
            file.rsplit('/').next().unwrap_or(file)
        } else {
            file
        };
        format!("  {file}:{line}")
    };
    let name = d.rule_namer();
    let text = |t: &str| (t.to_string(), Slot::Text);
    let muted = |t: &str| (t.to_string(), Slot::Muted);
    let mut rows: Vec<Row> = Vec::new();
    let mut counts = vec![
        muted("rules: "),
        (format!("{} added", s.rules_added), Slot::Added),
        muted(", "),
        (format!("{} removed", s.rules_removed), Slot::Removed),
        muted(", "),
        (format!("{} changed", s.rules_changed), Slot::Warn),
        muted("  constants: "),
        text(&format!("{} changed", s.constants_changed)),
    ];
    if s.entrypoints_added + s.entrypoints_removed > 0 {
        counts.push(muted("  entrypoints: "));
        counts.push((format!("+{}", s.entrypoints_added), Slot::Added));
        counts.push(muted(" "));
        counts.push((format!("-{}", s.entrypoints_removed), Slot::Removed));
    }
    rows.push(counts);
    if !d.same_bundle {
        rows.push(vec![(
            format!(
                "note: versions of two different bundles ({} and {})",
                d.from.name, d.to.name
            ),
            Slot::Warn,
        )]);
    }
    if d.identical {
        rows.push(vec![(
            "no differences: both have the same content hash".into(),
            Slot::Pass,
        )]);
    } else if !s.semantic_changes() {
        rows.push(vec![muted(
            "no rule, constant or entrypoint changed: only the files below differ",
        )]);
    }
    for c in &d.constants {
        let value = |v: &Option<String>| match v {
            Some(v) => truncate(&normalize_whitespace(v), 40),
            None => "(not a constant)".into(),
        };
        rows.push(vec![
            muted("const "),
            ("~ ".into(), Slot::Warn),
            text(&name(&c.package, &c.name)),
            text(": "),
            (value(&c.before), Slot::Removed),
            muted(" -> "),
            (value(&c.after), Slot::Added),
            muted(&at(&c.file, c.line)),
        ]);
    }
    for (mark, slot, rules) in [
        ("+ ", Slot::Added, &d.rules.added),
        ("- ", Slot::Removed, &d.rules.removed),
    ] {
        for r in rules {
            rows.push(rule_row(
                mark,
                slot,
                &name(&r.package, &r.name),
                &at(&r.file, r.line_start),
                r,
            ));
        }
    }
    // A change of value alone is listed with the constants above.
    for c in d.rules.changed.iter().filter(|c| !c.value_only()) {
        let what: Vec<&str> = c.changes.iter().map(|a| a.as_str()).collect();
        rows.push(vec![
            muted("rule  "),
            ("~ ".into(), Slot::Warn),
            text(&name(&c.package, &c.name)),
            (format!(": {}", what.join(", ")), Slot::Warn),
            muted(&at(&c.after.file, c.after.line_start)),
        ]);
        for aspect in &c.changes {
            if let Some((before, after)) = aspect_detail(*aspect, &c.before, &c.after) {
                rows.push(vec![
                    muted(&format!("        {}: ", aspect.as_str())),
                    (before, Slot::Removed),
                    muted(" -> "),
                    (after, Slot::Added),
                ]);
            }
        }
    }
    for (mark, slot, paths) in [
        ("+ ", Slot::Added, &d.entrypoints.added),
        ("- ", Slot::Removed, &d.entrypoints.removed),
    ] {
        for p in paths {
            rows.push(vec![muted("entry "), (mark.into(), slot), text(p)]);
        }
    }
    rows
}

fn rule_row(mark: &str, slot: Slot, name: &str, at: &str, r: &RuleState) -> Row {
    let mut row = vec![
        ("rule  ".to_string(), Slot::Muted),
        (mark.to_string(), slot),
        (name.to_string(), slot),
        (format!("  {}", r.kind.as_str()), Slot::Muted),
        (at.to_string(), Slot::Muted),
    ];
    if !r.citations.is_empty() {
        row.push((format!("  {}", citations(&r.citations)), Slot::Info));
    }
    row
}

fn citations(c: &[Citation]) -> String {
    c.iter().map(Citation::label).collect::<Vec<_>>().join("; ")
}

/// The before and after of an aspect that reads on one line (the body is
/// in the file diffs, the value with the constants).
fn aspect_detail(aspect: Aspect, a: &RuleState, b: &RuleState) -> Option<(String, String)> {
    let opt = |v: &Option<String>| truncate(v.as_deref().unwrap_or("(none)"), 50);
    let cites = |c: &[Citation]| {
        if c.is_empty() {
            "(none)".to_string()
        } else {
            citations(c)
        }
    };
    Some(match aspect {
        Aspect::Body | Aspect::Value | Aspect::Description => return None,
        Aspect::Kind => (a.kind.as_str().into(), b.kind.as_str().into()),
        Aspect::Title => (opt(&a.title), opt(&b.title)),
        Aspect::Severity => (opt(&a.severity), opt(&b.severity)),
        Aspect::Citations => (cites(&a.citations), cites(&b.citations)),
        Aspect::Entrypoint => (a.entrypoint.to_string(), b.entrypoint.to_string()),
        Aspect::File => (
            format!("{}:{}", a.file, a.line_start),
            format!("{}:{}", b.file, b.line_start),
        ),
    })
}

/// One row of a file's diff as drawn.
enum TextRow<'a> {
    Header(&'a str),
    Note(String),
    /// Unified: one line with both numbers.
    One(&'a DiffLine),
    /// Side by side: old on the left, new on the right.
    Pair(Option<&'a DiffLine>, Option<&'a DiffLine>),
}

fn text_rows(file: &FileDiff, side_by_side: bool) -> Vec<TextRow<'_>> {
    let mut rows = Vec::new();
    if file.hunks.is_empty() {
        rows.push(TextRow::Note(format!(
            "{} file with no lines",
            file.status.as_str()
        )));
        return rows;
    }
    for h in &file.hunks {
        rows.push(TextRow::Header(h.header.as_str()));
        if !side_by_side {
            rows.extend(h.lines.iter().map(TextRow::One));
            continue;
        }
        // Each run of changes: its removed lines on the left against its
        // added lines on the right, row by row.
        let mut i = 0;
        while i < h.lines.len() {
            let l = &h.lines[i];
            if l.tag == LineTag::Context {
                rows.push(TextRow::Pair(Some(l), Some(l)));
                i += 1;
                continue;
            }
            let end = h.lines[i..]
                .iter()
                .position(|l| l.tag == LineTag::Context)
                .map_or(h.lines.len(), |p| i + p);
            let run = &h.lines[i..end];
            let old: Vec<&DiffLine> = run.iter().filter(|l| l.tag == LineTag::Removed).collect();
            let new: Vec<&DiffLine> = run.iter().filter(|l| l.tag == LineTag::Added).collect();
            for k in 0..old.len().max(new.len()) {
                rows.push(TextRow::Pair(old.get(k).copied(), new.get(k).copied()));
            }
            i = end;
        }
    }
    rows
}

/// Digits of the largest line number in a file's hunks (at least 3).
fn number_width(file: &FileDiff) -> usize {
    let max = file
        .hunks
        .iter()
        .map(|h| (h.old_start + h.old_lines).max(h.new_start + h.new_lines))
        .max()
        .unwrap_or(0);
    max.to_string().len().max(3)
}

fn tag_slot(tag: LineTag) -> Slot {
    match tag {
        LineTag::Context => Slot::Text,
        LineTag::Added => Slot::Added,
        LineTag::Removed => Slot::Removed,
    }
}

fn number(n: Option<usize>, w: usize) -> String {
    match n {
        Some(n) => format!("{n:>w$}"),
        None => " ".repeat(w),
    }
}

fn unified_line(l: &DiffLine, nw: usize, skip: usize, theme: &Theme) -> Line<'static> {
    let style = theme.style(tag_slot(l.tag));
    Line::from(vec![
        Span::styled(
            format!("{} {} ", number(l.old, nw), number(l.new, nw)),
            theme.style(Slot::Muted),
        ),
        Span::styled(format!("{} ", l.tag.gutter()), style),
        Span::styled(shown(&l.text, skip), style),
    ])
}

/// Two half-width columns split by `│`; a missing side stays blank.
fn pair_line(
    old: Option<&DiffLine>,
    new: Option<&DiffLine>,
    nw: usize,
    width: usize,
    skip: usize,
    theme: &Theme,
) -> Line<'static> {
    let left_w = width.saturating_sub(1) / 2;
    let right_w = width.saturating_sub(1 + left_w);
    let mut spans = side(old, old.and_then(|l| l.old), nw, left_w, true, skip, theme);
    spans.push(Span::styled("│", theme.style(Slot::Muted)));
    spans.extend(side(
        new,
        new.and_then(|l| l.new),
        nw,
        right_w,
        false,
        skip,
        theme,
    ));
    Line::from(spans)
}

fn side(
    line: Option<&DiffLine>,
    n: Option<usize>,
    nw: usize,
    width: usize,
    pad: bool,
    skip: usize,
    theme: &Theme,
) -> Vec<Span<'static>> {
    let Some(l) = line else {
        return vec![Span::raw(" ".repeat(width))];
    };
    let style = theme.style(tag_slot(l.tag));
    let prefix = format!("{} ", number(n, nw));
    let room = width.saturating_sub(prefix.width() + 2);
    let text = truncate(&shown(&l.text, skip), room);
    let fill = if pad {
        " ".repeat(room.saturating_sub(text.width()))
    } else {
        String::new()
    };
    vec![
        Span::styled(prefix, theme.style(Slot::Muted)),
        Span::styled(format!("{} ", l.tag.gutter()), style),
        Span::styled(text, style),
        Span::raw(fill),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn truncate_start_keeps_the_end() {
        assert_eq!(
            truncate_start("gfr/procurement/params.rego", 12),
            "…params.rego"
        );
        assert_eq!(truncate_start("short", 12), "short");
        assert_eq!(truncate_start("abc", 0), "");
    }

    #[test]
    fn scroll_stays_inside() {
        assert_eq!(scrolled(0, Action::Up, 5, 20), 0);
        assert_eq!(scrolled(14, Action::Down, 5, 20), 15);
        assert_eq!(scrolled(15, Action::Down, 5, 20), 15);
        assert_eq!(scrolled(3, Action::Bottom, 5, 20), 15);
        assert_eq!(scrolled(3, Action::PageDown, 5, 3), 0);
    }
}
