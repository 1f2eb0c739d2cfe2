//! Drawing is a pure function of the app's state: tab bar, the current
//! screen, the status bar (hints, work in progress, the last message), and
//! any overlay (help, palette, picker, prompt).

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Clear, Paragraph, Wrap};

use super::action::{KeyMap, Scope};
use super::app::{App, MessageKind, Overlay};
use super::jobs::RunningJob;
use super::screens::Tab;
use super::theme::{Slot, Theme};
use super::widgets::{centered, pane, safe};

pub const MIN_WIDTH: u16 = 80;
pub const MIN_HEIGHT: u16 = 24;

/// What every screen's draw gets besides its own state.
pub struct View<'a> {
    pub theme: &'a Theme,
    pub keys: &'a KeyMap,
    pub jobs: &'a [RunningJob],
    pub versions: &'a [crate::store::VersionSummary],
    /// `z`: the focused pane takes the whole screen.
    pub zoom: bool,
}

impl View<'_> {
    /// The running job with this id, if it is still running.
    pub fn job(&self, id: Option<u64>) -> Option<&RunningJob> {
        id.and_then(|id| self.jobs.iter().find(|j| j.id == id))
    }
}

pub fn tab_label(i: usize, t: Tab) -> String {
    format!(" {} {} ", i + 1, t.title())
}

/// A tab's label where the bar is short of room: the short title, and no
/// gap after it (its padding keeps the tabs apart).
pub fn tab_label_compact(i: usize, t: Tab) -> String {
    format!(" {} {} ", i + 1, t.short_title())
}

/// The columns a tab takes in the bar, gap included.
pub fn tab_width(i: usize, t: Tab, compact: bool) -> u16 {
    let label = if compact {
        tab_label_compact(i, t)
    } else {
        tab_label(i, t)
    };
    u16::try_from(label.chars().count() + usize::from(!compact)).unwrap_or(u16::MAX)
}

pub fn draw(f: &mut Frame, app: &App) {
    let area = f.area();
    let theme = &app.theme;
    if area.width < MIN_WIDTH || area.height < MIN_HEIGHT {
        let msg = format!(
            "Gavel needs a terminal of at least {MIN_WIDTH}x{MIN_HEIGHT}; this one is {}x{}. Make it larger, or press q to quit.",
            area.width, area.height
        );
        f.render_widget(
            Paragraph::new(msg)
                .style(theme.style(Slot::Warn))
                .wrap(Wrap { trim: true }),
            area,
        );
        return;
    }
    let [tabs, body, status] = Layout::vertical([
        Constraint::Length(1),
        Constraint::Min(1),
        Constraint::Length(2),
    ])
    .areas(area);
    draw_tabs(f, tabs, app);
    let view = View {
        theme,
        keys: &app.keys,
        jobs: &app.jobs.running,
        versions: &app.versions,
        zoom: app.zoom,
    };
    if app.first_run {
        draw_first_run(f, body, app);
    } else {
        match app.tab {
            Tab::Policies => app.policies.draw(f, body, &view),
            Tab::Tests => app.tests.draw(f, body, &view),
            Tab::Decisions => app.decisions.draw(f, body, &view),
            Tab::Impact => app.impact.draw(f, body, &view),
            Tab::Diff => app.diff.draw(f, body, &view),
            Tab::Playground => app.playground.draw(f, body, &view),
            Tab::Certify => app.certify.draw(f, body, &view),
        }
    }
    draw_status(f, status, app);
    if let Some(o) = &app.overlay {
        draw_overlay(f, body, app, o);
    }
}

fn draw_tabs(f: &mut Frame, area: Rect, app: &App) {
    let theme = &app.theme;
    let mut spans = Vec::new();
    // The working copy, then the store: file names only (a full path
    // would crowd the tabs).
    let draft = app.working_copy.as_ref().map(|wc| {
        let name = wc
            .dir
            .file_name()
            .map(|n| n.to_string_lossy().to_string())
            .unwrap_or_default();
        format!("  draft: {}", super::widgets::truncate(&name, 24))
    });
    let store = app
        .store
        .path()
        .file_name()
        .map(|n| n.to_string_lossy().to_string())
        .unwrap_or_default();
    let store = format!("  store: {}", super::widgets::truncate(&store, 30));
    // Full titles when they fit beside the labels, else short ones.
    let full: u16 = Tab::ALL
        .iter()
        .enumerate()
        .map(|(i, t)| tab_width(i, *t, false))
        .sum();
    let labels = draft.as_deref().map_or(0, |d| d.chars().count()) + 17;
    let compact = usize::from(full) + labels > usize::from(area.width);
    app.tabs_compact.set(compact);
    for (i, t) in Tab::ALL.iter().enumerate() {
        let style = if *t == app.tab {
            theme.style(Slot::TabActive)
        } else {
            theme.style(Slot::Tab)
        };
        let label = if compact {
            tab_label_compact(i, *t)
        } else {
            tab_label(i, *t)
        };
        // The active tab is marked without colour too.
        let label = if *t == app.tab {
            format!("[{}]", label.trim())
        } else {
            label
        };
        spans.push(Span::styled(label, style));
        if !compact {
            spans.push(Span::raw(" "));
        }
    }
    // Each label shown whole or not at all, the working copy first.
    let mut used: usize = spans.iter().map(|s| s.width()).sum();
    for label in draft.into_iter().chain([store]) {
        if used + label.chars().count() <= usize::from(area.width) {
            used += label.chars().count();
            spans.push(safe(&label, theme.style(Slot::Muted)));
        }
    }
    f.render_widget(Paragraph::new(Line::from(spans)), area);
}

fn draw_status(f: &mut Frame, area: Rect, app: &App) {
    let theme = &app.theme;
    let [hints, message] =
        Layout::vertical([Constraint::Length(1), Constraint::Length(1)]).areas(area);
    let scope = if app.tab == Tab::Playground && app.playground.editing() {
        Scope::Playground
    } else {
        app.scope()
    };
    let mut spans = Vec::new();
    if app.read_only {
        // Said first, on every tab: nothing here can be changed.
        spans.push(Span::styled("READ-ONLY store ", theme.style(Slot::Warn)));
    }
    if app.zoom {
        let key = app.keys.keys_of(super::action::Action::Zoom, Scope::Global);
        spans.push(Span::styled(
            format!("ZOOMED ({key} restores) "),
            theme.style(Slot::Warn),
        ));
    }
    let mut hint_list = app.keys.hints(scope);
    // The working copy's keys are hinted only while one is open.
    if app.working_copy.is_none() {
        use super::action::Action;
        let draft = [
            Action::TestWorkingCopy,
            Action::DiffWorkingCopy,
            Action::ImportWorkingCopy,
        ]
        .map(Action::short_label);
        hint_list.retain(|(_, label)| !draft.contains(label));
    }
    if app.tab == Tab::Playground && app.playground.editing() {
        hint_list.push(("Esc".into(), "leave the editor"));
    } else {
        hint_list.extend(app.keys.hints(Scope::Global));
    }
    for (key, desc) in hint_list {
        spans.push(Span::styled(key, theme.style(Slot::Key)));
        spans.push(Span::styled(format!(" {desc}  "), theme.style(Slot::Muted)));
    }
    f.render_widget(Paragraph::new(Line::from(spans)), hints);

    let mut spans = Vec::new();
    if app.overdue_exceptions > 0 {
        let key = app
            .keys
            .keys_of(super::action::Action::GoTab(7), Scope::Global);
        spans.push(Span::styled(
            format!(
                "! {} overdue exception{} ({key})",
                app.overdue_exceptions,
                if app.overdue_exceptions == 1 { "" } else { "s" }
            ),
            theme.style(Slot::Error),
        ));
        spans.push(Span::raw("  "));
    }
    for j in &app.jobs.running {
        let pct = if j.total > 0 {
            format!(" {}/{}", j.done, j.total)
        } else {
            String::new()
        };
        spans.push(Span::styled(
            format!("⟳ {}{pct}", j.label),
            theme.style(Slot::Info),
        ));
        if j.cancellable {
            spans.push(Span::styled(" (Esc cancels)", theme.style(Slot::Muted)));
        }
        spans.push(Span::raw("  "));
    }
    // A message shows on the tab it belongs to, not on every tab after.
    if let Some((m, kind)) = app.message.as_ref().filter(|_| app.message_tab == app.tab) {
        let (style, mark) = match kind {
            MessageKind::Info => (theme.style(Slot::Text), ""),
            MessageKind::Error => (theme.style(Slot::Error), "error: "),
        };
        spans.push(Span::styled(mark.to_string(), style));
        spans.push(safe(m, style));
    }
    f.render_widget(Paragraph::new(Line::from(spans)), message);
}

fn draw_first_run(f: &mut Frame, area: Rect, app: &App) {
    let theme = &app.theme;
    let key = app
        .keys
        .keys_of(super::action::Action::LoadSamples, Scope::Global);
    let lines = vec![
        Line::from(Span::styled(
            "Welcome to Gavel",
            theme.style(Slot::TitleFocused),
        )),
        Line::from(""),
        Line::from(vec![
            Span::styled("This store is empty: ", theme.style(Slot::Text)),
            safe(
                &app.store.path().display().to_string(),
                theme.style(Slot::Muted),
            ),
        ]),
        Line::from(""),
        Line::from(vec![
            Span::styled("Press ", theme.style(Slot::Text)),
            Span::styled(key, theme.style(Slot::Key)),
            Span::styled(
                " to load the bundled samples: five compliance regimes (GFR procurement,",
                theme.style(Slot::Text),
            ),
        ]),
        Line::from(Span::styled(
            "Companies Act SoD, DPDP consent, AI change audit, PMLA KYC) in 13 versions, with 1,500 decisions.",
            theme.style(Slot::Text),
        )),
        Line::from(""),
        Line::from(vec![
            Span::styled(
                "Or open a bundle folder of your own as a working copy: ",
                theme.style(Slot::Text),
            ),
            Span::styled(
                app.keys
                    .keys_of(super::action::Action::OpenWorkingCopy, Scope::Global),
                theme.style(Slot::Key),
            ),
            Span::styled(" (or start with gavel DIR)", theme.style(Slot::Text)),
        ]),
        Line::from(Span::styled(
            "Or quit and import your own: gavel import BUNDLE_DIR, gavel decisions import LOG.jsonl",
            theme.style(Slot::Muted),
        )),
    ];
    let inner = centered(area, 100, 12);
    f.render_widget(
        Paragraph::new(lines)
            .block(pane("first run", true, theme))
            .wrap(Wrap { trim: false }),
        inner,
    );
}

fn draw_overlay(f: &mut Frame, area: Rect, app: &App, overlay: &Overlay) {
    let theme = &app.theme;
    match overlay {
        Overlay::Help { scroll } => {
            let rect = centered(area, 90, area.height.saturating_sub(2));
            let mut lines = Vec::new();
            let mut last_scope = None;
            let entries = app.keys.entries();
            let order = [
                app.scope(),
                Scope::Global,
                Scope::Policies,
                Scope::Tests,
                Scope::Decisions,
                Scope::Impact,
                Scope::Diff,
                Scope::Playground,
                Scope::Certify,
            ];
            let mut seen = Vec::new();
            for scope in order {
                if seen.contains(&scope) {
                    continue;
                }
                seen.push(scope);
                for (s, _, keys, description) in entries.iter().filter(|e| e.0 == scope) {
                    if last_scope != Some(*s) {
                        if last_scope.is_some() {
                            lines.push(Line::from(""));
                        }
                        lines.push(Line::from(Span::styled(
                            s.label().to_string(),
                            theme.style(Slot::TitleFocused),
                        )));
                        last_scope = Some(*s);
                    }
                    lines.push(Line::from(vec![
                        Span::styled(format!("  {keys:<22}"), theme.style(Slot::Key)),
                        Span::styled(description.to_string(), theme.style(Slot::Text)),
                    ]));
                }
            }
            let scroll = (*scroll).min(lines.len().saturating_sub(1));
            f.render_widget(Clear, rect);
            f.render_widget(
                Paragraph::new(lines)
                    .scroll((u16::try_from(scroll).unwrap_or(u16::MAX), 0))
                    .block(pane("keys (Esc closes, j/k scroll)", true, theme)),
                rect,
            );
        }
        Overlay::Palette { query, cursor } => {
            let entries = app.palette_entries(query);
            let rect = centered(area, 80, 16);
            f.render_widget(Clear, rect);
            let block = pane("command palette (Enter runs, Esc closes)", true, theme);
            let inner = block.inner(rect);
            f.render_widget(block, rect);
            let [q, list] =
                Layout::vertical([Constraint::Length(1), Constraint::Min(1)]).areas(inner);
            f.render_widget(
                Paragraph::new(Line::from(vec![
                    Span::styled(": ", theme.style(Slot::Key)),
                    safe(query, theme.style(Slot::Text)),
                    Span::styled("▏", theme.style(Slot::Muted)),
                ])),
                q,
            );
            let range = cursor.window(entries.len(), usize::from(list.height));
            let lines: Vec<Line> = entries[range.clone()]
                .iter()
                .enumerate()
                .map(|(i, (_, _, text))| {
                    let style = if range.start + i == cursor.selected {
                        theme.style(Slot::Selection)
                    } else {
                        theme.style(Slot::Text)
                    };
                    Line::from(Span::styled(text.clone(), style))
                })
                .collect();
            let lines = if lines.is_empty() {
                vec![Line::from(Span::styled(
                    format!("no match for \"{}\"", crate::sanitize::escape(query)),
                    theme.style(Slot::Muted),
                ))]
            } else {
                lines
            };
            f.render_widget(Paragraph::new(lines), list);
        }
        Overlay::Picker {
            title,
            items,
            cursor,
            ..
        } => {
            let h = u16::try_from(items.len()).unwrap_or(20).clamp(3, 18) + 2;
            let rect = centered(area, 60, h);
            f.render_widget(Clear, rect);
            let block = pane(title, true, theme).title_bottom(Line::from(Span::styled(
                " Enter picks · Esc closes ",
                theme.style(Slot::Key),
            )));
            let inner = block.inner(rect);
            f.render_widget(block, rect);
            let range = cursor.window(items.len(), usize::from(inner.height));
            let lines: Vec<Line> = items[range.clone()]
                .iter()
                .enumerate()
                .map(|(i, text)| {
                    let style = if range.start + i == cursor.selected {
                        theme.style(Slot::Selection)
                    } else {
                        theme.style(Slot::Text)
                    };
                    Line::from(safe(text, style))
                })
                .collect();
            f.render_widget(Paragraph::new(lines), inner);
        }
        Overlay::Prompt { title, text, .. } => {
            let rect = centered(area, 90, 3);
            f.render_widget(Clear, rect);
            f.render_widget(
                Paragraph::new(Line::from(vec![
                    safe(text, theme.style(Slot::Text)),
                    Span::styled("▏", theme.style(Slot::Key)),
                ]))
                .block(pane(title, true, theme).title_bottom(Line::from(
                    Span::styled(
                        " Enter applies · Esc closes · Ctrl-U clears ",
                        theme.style(Slot::Key),
                    ),
                ))),
                rect,
            );
        }
        Overlay::Report {
            title,
            lines,
            scroll,
        } => {
            let rect = centered(area, 100, area.height.saturating_sub(2));
            f.render_widget(Clear, rect);
            let text: Vec<Line> = lines
                .iter()
                .map(|l| {
                    let slot = if l.starts_with('✗') || l.starts_with('!') {
                        Slot::Fail
                    } else {
                        Slot::Text
                    };
                    Line::from(safe(l, theme.style(slot)))
                })
                .collect();
            f.render_widget(
                Paragraph::new(text)
                    .wrap(Wrap { trim: false })
                    .scroll((u16::try_from(*scroll).unwrap_or(u16::MAX), 0))
                    .block(
                        pane(title, true, theme).title_bottom(Line::from(Span::styled(
                            " j/k scroll · Esc closes ",
                            theme.style(Slot::Key),
                        ))),
                    ),
                rect,
            );
        }
        Overlay::ConfirmQuit => {
            let rect = centered(area, 60, 5);
            f.render_widget(Clear, rect);
            f.render_widget(
                Paragraph::new(vec![
                    Line::from("The playground has unsaved edits."),
                    Line::from(Span::styled(
                        "Quit anyway? y quits, any other key stays.",
                        theme.style(Slot::Warn),
                    )),
                ])
                .block(pane("quit?", true, theme)),
                rect,
            );
        }
    }
}
