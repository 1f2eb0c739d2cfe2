//! Screen 6, Playground: where an engineer finds out why an input was
//! denied. A JSON editor (tui-textarea) pre-filled from a decision or a
//! case; `Ctrl-S`/`F5` evaluates it under the chosen version and shows the
//! outcome, the result, each cited rule's outcome and the lines that ran.
//! Invalid JSON is shown under the editor with its line:col and is never
//! evaluated. `Ctrl-T` saves the input and the outcome it got as a named
//! case, into the working copy when one is open, else into a folder picked.
//! With a working copy open (`gavel DIR`, `O`), F6/F7/F8 run its suite,
//! diff it and import it: the engineer's loop without leaving.
//!
//! While the editor has focus it takes every key but the playground's own
//! actions and Esc (the app routes them); Esc leaves it for the results,
//! where the usual keys work, and Enter goes back in.

use std::cell::Cell;
use std::path::Path;

use crossterm::event::{KeyCode, KeyEvent};
use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Wrap};
use serde_json::{Value, json};
use tui_textarea::{CursorMove, TextArea};

use super::decisions::append_case;
use super::diff::with_more;
use super::{Ctx, Effect, Pick, Prompt, version_labels};
use crate::engine::{Evaluation, clock};
use crate::sanitize;
use crate::store::VersionRef;
use crate::tui::action::{Action, Scope};
use crate::tui::draw::View;
use crate::tui::jobs::{JobOutput, JobRequest};
use crate::tui::theme::{Slot, outcome_glyph};
use crate::tui::widgets::json::JsonView;
use crate::tui::widgets::{explain, pane, safe, safe_lines, truncate};

/// The pane that has the keys.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PlaygroundFocus {
    Editor,
    Report,
    Result,
}

/// Why the editor's text was not evaluated.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InvalidInput {
    /// 1-based, as serde_json counts.
    pub line: usize,
    pub column: usize,
    pub message: String,
}

/// What a running evaluation was asked, kept to pair with its result.
struct Pending {
    version: VersionRef,
    input: Value,
    revision: u64,
    pinned: bool,
}

/// The last evaluation and what it was of.
struct Run {
    version: VersionRef,
    input: Value,
    /// The editor's revision it evaluated: a later edit makes it stale.
    revision: u64,
    /// `time.now_ns` was the decision's recorded time.
    pinned: bool,
    evaluation: Box<Evaluation>,
    result: Option<JsonView>,
    /// The version's rule catalog: each cause's extent, for its lines
    /// that ran.
    rules: Vec<crate::store::StoredRule>,
}

pub struct PlaygroundScreen {
    job: Option<u64>,
    editor: TextArea<'static>,
    /// Bumped on every edit.
    revision: u64,
    /// The text as opened or last saved: `unsaved()` compares with it.
    baseline: String,
    origin: String,
    /// The decision the input came from: its recorded time pins
    /// `time.now_ns`, so the unedited input reproduces the decision.
    decision_id: Option<String>,
    /// The decision's pinned time, once looked up.
    pinned_now: Option<Option<i64>>,
    version: Option<VersionRef>,
    versions: Vec<VersionRef>,
    focus: PlaygroundFocus,
    invalid: Option<InvalidInput>,
    pending: Option<Pending>,
    run: Option<Run>,
    run_error: Option<String>,
    report_scroll: usize,
    /// The report's rows past its pane when last drawn.
    report_max: Cell<usize>,
    report_page: Cell<usize>,
    last_case: Option<String>,
    saves: usize,
}

impl Default for PlaygroundScreen {
    fn default() -> Self {
        let mut s = PlaygroundScreen {
            job: None,
            editor: TextArea::default(),
            revision: 0,
            baseline: String::new(),
            origin: String::new(),
            decision_id: None,
            pinned_now: None,
            version: None,
            versions: Vec::new(),
            // Not the editor: tab numbers and q work until the user goes in.
            focus: PlaygroundFocus::Report,
            invalid: None,
            pending: None,
            run: None,
            run_error: None,
            report_scroll: 0,
            report_max: Cell::new(0),
            report_page: Cell::new(1),
            last_case: None,
            saves: 0,
        };
        s.set_text("");
        s
    }
}

impl PlaygroundScreen {
    pub fn reload(&mut self, ctx: &Ctx) -> Vec<Effect> {
        self.versions = ctx.versions.iter().map(|v| v.reference()).collect();
        if let Some(wc) = ctx.working_copy {
            self.versions.insert(0, wc.reference());
        }
        if self.version.is_none() {
            self.version = self.versions.first().cloned();
        }
        Vec::new()
    }

    /// Evaluates against the working copy from now on (it was just opened).
    pub fn use_working_copy(&mut self, reference: VersionRef) {
        self.version = Some(reference);
    }

    // ---- state for tests and the app ----

    /// The editor's text.
    pub fn text(&self) -> String {
        self.editor.lines().join("\n")
    }

    pub fn focus(&self) -> PlaygroundFocus {
        self.focus
    }

    pub fn version(&self) -> Option<&VersionRef> {
        self.version.as_ref()
    }

    pub fn invalid(&self) -> Option<&InvalidInput> {
        self.invalid.as_ref()
    }

    pub fn evaluation(&self) -> Option<&Evaluation> {
        self.run.as_ref().map(|r| r.evaluation.as_ref())
    }

    /// The outcome of the last evaluation.
    pub fn outcome(&self) -> Option<&str> {
        self.evaluation().map(|e| e.outcome.as_str())
    }

    pub fn is_evaluating(&self) -> bool {
        self.job.is_some()
    }

    /// The editor has the keys.
    pub fn editing(&self) -> bool {
        self.focus == PlaygroundFocus::Editor
    }

    /// The input was edited since it was opened or saved.
    pub fn unsaved(&self) -> bool {
        self.text() != self.baseline
    }

    // ---- editing ----

    pub fn input_key(&mut self, key: KeyEvent) {
        // Ctrl-Z / Ctrl-Y undo and redo, as in most editors.
        if key
            .modifiers
            .contains(crossterm::event::KeyModifiers::CONTROL)
        {
            let changed = match key.code {
                KeyCode::Char('z') => Some(self.editor.undo()),
                KeyCode::Char('y') => Some(self.editor.redo()),
                _ => None,
            };
            if let Some(changed) = changed {
                if changed {
                    self.edited();
                }
                return;
            }
        }
        // A control character typed would reach the terminal when drawn.
        if let KeyCode::Char(c) = key.code
            && sanitize::needs_escape(c)
        {
            return;
        }
        if self.editor.input(key) {
            self.edited();
        }
    }

    pub fn paste(&mut self, text: &str) {
        let text = text.replace("\r\n", "\n").replace('\r', "\n");
        let mut clean = String::with_capacity(text.len());
        for c in text.chars() {
            match c {
                '\n' => clean.push('\n'),
                '\t' => clean.push_str("    "),
                // Inside a JSON string this is the same character; outside
                // one it is invalid JSON either way, and now visible.
                c if sanitize::needs_escape(c) => push_json_escape(&mut clean, c),
                c => clean.push(c),
            }
        }
        if self.editor.insert_str(clean) {
            self.edited();
        }
    }

    fn edited(&mut self) {
        self.revision += 1;
        // The message was about the text before this edit.
        self.invalid = None;
    }

    pub fn open(
        &mut self,
        version: Option<crate::store::VersionRef>,
        input: &serde_json::Value,
        origin: &str,
        decision_id: Option<String>,
    ) {
        let text = pretty(input);
        self.set_text(&text);
        self.baseline = text;
        self.revision += 1;
        self.origin = origin.to_string();
        self.decision_id = decision_id;
        self.pinned_now = None;
        match version {
            Some(v) => self.version = Some(v),
            None if self.version.is_none() => self.version = self.versions.first().cloned(),
            None => {}
        }
        self.run = None;
        self.run_error = None;
        self.invalid = None;
        self.pending = None;
        // A result still on its way belongs to the input this replaces.
        self.job = None;
        self.report_scroll = 0;
        self.set_focus(PlaygroundFocus::Editor);
    }

    fn set_text(&mut self, text: &str) {
        let lines: Vec<String> = text.lines().map(String::from).collect();
        let mut editor = TextArea::new(lines);
        // Modifiers, not colours: the editor reads under NO_COLOR too.
        editor.set_cursor_line_style(Style::default());
        editor.set_line_number_style(Style::default().add_modifier(Modifier::DIM));
        editor.set_placeholder_text("type a JSON input here");
        editor.set_placeholder_style(Style::default().add_modifier(Modifier::DIM));
        editor.set_selection_style(Style::default().add_modifier(Modifier::REVERSED));
        self.editor = editor;
        self.set_focus(self.focus);
    }

    /// Leaves the editor for the report (Esc).
    pub fn leave_editor(&mut self) {
        if self.editing() {
            self.set_focus(PlaygroundFocus::Report);
        }
    }

    fn set_focus(&mut self, focus: PlaygroundFocus) {
        self.focus = focus;
        // Only the focused editor shows a cursor.
        self.editor
            .set_cursor_style(if focus == PlaygroundFocus::Editor {
                Style::default().add_modifier(Modifier::REVERSED)
            } else {
                Style::default()
            });
    }

    /// The editor's text as JSON, or where it is not.
    fn parse(&self) -> Result<Value, InvalidInput> {
        let text = self.text();
        if text.trim().is_empty() {
            return Err(InvalidInput {
                line: 1,
                column: 1,
                message: "the input is empty: type a JSON value, e.g. {}".into(),
            });
        }
        crate::json_text::parse(&text).map_err(|e| {
            let full = e.to_string();
            // serde_json ends its message with " at line L column C".
            let message = match full.rfind(" at line ") {
                Some(i) => full[..i].to_string(),
                None => full,
            };
            let (line, column) = crate::json_text::line_column(&e);
            InvalidInput {
                line,
                column,
                message,
            }
        })
    }

    /// Marks the input invalid and puts the cursor where the problem is.
    fn show_invalid(&mut self, e: InvalidInput) -> String {
        let row = u16::try_from(e.line.saturating_sub(1)).unwrap_or(u16::MAX);
        let col = u16::try_from(e.column.saturating_sub(1)).unwrap_or(u16::MAX);
        self.editor.move_cursor(CursorMove::Jump(row, col));
        let msg = format!("invalid JSON at {}:{}: {}", e.line, e.column, e.message);
        self.invalid = Some(e);
        msg
    }

    // ---- actions ----

    pub fn handle(&mut self, action: Action, ctx: &Ctx) -> Vec<Effect> {
        match action {
            Action::Evaluate => return self.evaluate(ctx),
            Action::SaveCase => return self.save_case(ctx),
            Action::PickVersion => {
                if ctx.versions.is_empty() && ctx.working_copy.is_none() {
                    return vec![Effect::Error(
                        "no versions to evaluate against: import one, open a bundle directory (O) or load the samples (L)"
                            .into(),
                    )];
                }
                let mut items = version_labels(ctx.versions);
                if let Some(wc) = ctx.working_copy {
                    items.insert(0, wc.reference().to_string());
                }
                return vec![Effect::OpenPicker {
                    title: "evaluate against".into(),
                    items,
                    pick: Pick::PlaygroundVersion,
                }];
            }
            Action::Back => self.set_focus(PlaygroundFocus::Report),
            Action::Select => self.set_focus(PlaygroundFocus::Editor),
            Action::NextPane => self.set_focus(match self.focus {
                PlaygroundFocus::Editor => PlaygroundFocus::Report,
                PlaygroundFocus::Report => PlaygroundFocus::Result,
                PlaygroundFocus::Result => PlaygroundFocus::Editor,
            }),
            Action::PrevPane => self.set_focus(match self.focus {
                PlaygroundFocus::Editor => PlaygroundFocus::Result,
                PlaygroundFocus::Report => PlaygroundFocus::Editor,
                PlaygroundFocus::Result => PlaygroundFocus::Report,
            }),
            a if self.focus == PlaygroundFocus::Result => {
                if let Some(v) = self.run.as_mut().and_then(|r| r.result.as_mut()) {
                    v.apply(a);
                }
            }
            a if self.focus == PlaygroundFocus::Report => {
                let page = self.report_page.get().max(1);
                let max = self.report_max.get();
                let at = self.report_scroll;
                self.report_scroll = match a {
                    Action::Up => at.saturating_sub(1),
                    Action::Down => at + 1,
                    Action::PageUp => at.saturating_sub(page),
                    Action::PageDown => at + page,
                    Action::Top => 0,
                    Action::Bottom => max,
                    _ => at,
                }
                .min(max);
            }
            _ => {}
        }
        Vec::new()
    }

    fn evaluate(&mut self, ctx: &Ctx) -> Vec<Effect> {
        let input = match self.parse() {
            Ok(v) => v,
            Err(e) => {
                let msg = self.show_invalid(e);
                // The last outcome was of other input: it must not stand
                // beside input that was not evaluated.
                self.run = None;
                return vec![Effect::Error(format!("{msg} (not evaluated)"))];
            }
        };
        self.invalid = None;
        if self.version.is_none() {
            self.version = ctx
                .working_copy
                .map(|wc| wc.reference())
                .or_else(|| ctx.versions.first().map(|v| v.reference()));
        }
        let Some(version) = self.version.clone() else {
            return vec![Effect::Error(
                "no version to evaluate against: import one, open a bundle directory (O) or load the samples (L)".into(),
            )];
        };
        let working_copy = ctx
            .working_copy
            .filter(|wc| wc.reference() == version)
            .cloned();
        if working_copy.is_none() && !ctx.versions.iter().any(|v| v.reference() == version) {
            return vec![Effect::Error(format!(
                "{version} is not in the store: choose another version (Ctrl-V)"
            ))];
        }
        let (now_ns, pinned) = match self.pinned_time(ctx) {
            Some(ns) => (ns, true),
            None => (clock::wall_clock_ns(), false),
        };
        self.pending = Some(Pending {
            version: version.clone(),
            input: input.clone(),
            revision: self.revision,
            pinned,
        });
        self.run_error = None;
        vec![Effect::Start(JobRequest::Evaluate {
            version,
            working_copy,
            input,
            now_ns,
        })]
    }

    /// The recorded time of the decision the input came from.
    fn pinned_time(&mut self, ctx: &Ctx) -> Option<i64> {
        if self.pinned_now.is_none() {
            let found = self.decision_id.as_ref().and_then(|id| {
                match ctx.store.get_decision(id) {
                    Ok(Some((_, rec))) => crate::replay::pinned_now(&rec),
                    // Gone or unreadable: evaluate at the current time.
                    _ => None,
                }
            });
            self.pinned_now = Some(found);
        }
        self.pinned_now.flatten()
    }

    /// The last evaluation, if it is of exactly the current input and version.
    fn current_run(&self, input: &Value) -> Option<&Run> {
        self.run
            .as_ref()
            .filter(|r| &r.input == input && Some(&r.version) == self.version.as_ref())
    }

    fn save_case(&mut self, ctx: &Ctx) -> Vec<Effect> {
        let input = match self.parse() {
            Ok(v) => v,
            Err(e) => {
                let msg = self.show_invalid(e);
                return vec![Effect::Error(format!("{msg}: fix it before saving a case"))];
            }
        };
        let Some(run) = self.current_run(&input) else {
            let why = if self.run.is_some() {
                "the input or version changed since it was evaluated"
            } else {
                "the input has not been evaluated"
            };
            return vec![Effect::Error(format!(
                "{why}: evaluate it (Ctrl-S) so the case records the outcome it gets"
            ))];
        };
        let e = &run.evaluation;
        let mut name = format!(
            "playground {} {}",
            e.outcome,
            chrono::Utc::now().format("%Y-%m-%dT%H:%M:%SZ")
        );
        // Two saves in one second would replace each other (same name).
        if self.last_case.as_deref() == Some(name.as_str()) {
            name = format!("{name} #{}", self.saves + 1);
        }
        let into = match ctx.working_copy {
            Some(wc) => format!("saved into the working copy {}", wc.dir.display()),
            None => "a folder is picked next".to_string(),
        };
        vec![Effect::OpenPrompt {
            title: format!("the case's name ({into})"),
            initial: name,
            prompt: Prompt::PlaygroundCaseName,
        }]
    }

    pub fn job_started(&mut self, id: u64) {
        self.job = Some(id);
    }

    pub fn on_job(&mut self, id: u64, result: Result<JobOutput, String>, ctx: &Ctx) -> Vec<Effect> {
        // Only the latest request's answer is shown.
        if self.job != Some(id) {
            return Vec::new();
        }
        self.job = None;
        let pending = self.pending.take();
        match result {
            Ok(JobOutput::Evaluated {
                version,
                evaluation,
            }) => {
                let Some(p) = pending.filter(|p| p.version == version) else {
                    return Vec::new();
                };
                self.run = Some(Run {
                    rules: super::rules_of(ctx, &version),
                    result: evaluation
                        .result
                        .as_ref()
                        .map(|r| JsonView::folded_below(r, 3)),
                    version,
                    input: p.input,
                    revision: p.revision,
                    pinned: p.pinned,
                    evaluation,
                });
                self.run_error = None;
                self.report_scroll = 0;
                // Replaces any earlier error on the status line.
                if let Some(run) = &self.run {
                    return vec![Effect::Message(format!(
                        "evaluated under {}: {}",
                        run.version, run.evaluation.outcome
                    ))];
                }
            }
            // The app puts the error on the status line too.
            Err(e) => self.run_error = Some(e),
            Ok(_) => {}
        }
        Vec::new()
    }

    pub fn on_pick(&mut self, pick: Pick, _index: usize, item: &str, _ctx: &Ctx) -> Vec<Effect> {
        if pick != Pick::PlaygroundVersion {
            return Vec::new();
        }
        match VersionRef::parse(item) {
            Ok(v) => {
                let msg = format!("the input is evaluated against {v} now (Ctrl-S evaluates)");
                self.version = Some(v);
                vec![Effect::Message(msg)]
            }
            Err(e) => vec![Effect::Error(e.to_string())],
        }
    }

    pub fn on_prompt(&mut self, prompt: Prompt, text: &str, ctx: &Ctx) -> Vec<Effect> {
        if prompt != Prompt::PlaygroundCaseName {
            return Vec::new();
        }
        let name = text.trim();
        if name.is_empty() {
            return vec![Effect::Error(
                "a case needs a name: Ctrl-T and type one".into(),
            )];
        }
        if let Some(wc) = ctx.working_copy {
            return self.save_into(&wc.dir, name);
        }
        // No working copy: a folder picker, starting at the bundle the
        // version was imported from when it is still there.
        let hint = self.run.as_ref().and_then(|run| {
            ctx.versions
                .iter()
                .find(|v| v.reference() == run.version)
                .and_then(|v| v.source_path.clone())
        });
        vec![super::case_folder_picker(
            hint.as_deref().map(Path::new),
            name,
            None,
        )]
    }

    /// Appends the evaluated input as case `name` to `dir`'s cases.
    pub fn save_into(&mut self, dir: &Path, name: &str) -> Vec<Effect> {
        if !dir.is_dir() {
            return vec![Effect::Error(format!("{}: not a directory", dir.display()))];
        }
        let input = match self.parse() {
            Ok(v) => v,
            Err(e) => return vec![Effect::Error(self.show_invalid(e))],
        };
        let Some(run) = self.current_run(&input) else {
            return vec![Effect::Error(
                "the input changed since it was evaluated: evaluate it again (Ctrl-S)".into(),
            )];
        };
        let e = &run.evaluation;
        let mut case = json!({
            "name": name,
            "entrypoint": e.entrypoint,
            "input": run.input,
            "expect": {"outcome": e.outcome},
            // The time it was evaluated at, so the case reproduces it.
            "now": clock::format_rfc3339_ns(e.now_ns),
        });
        if let (Some(id), Some(obj)) = (&self.decision_id, case.as_object_mut()) {
            obj.insert("decision_id".into(), Value::String(id.clone()));
        }
        match append_case(dir, case) {
            Ok(msg) => {
                self.saves += 1;
                self.last_case = Some(name.to_string());
                self.baseline = self.text();
                vec![Effect::Message(msg)]
            }
            Err(e) => vec![Effect::Error(e)],
        }
    }

    // ---- drawing ----

    pub fn draw(&self, f: &mut Frame, area: Rect, view: &View) {
        if view.zoom {
            match self.focus {
                PlaygroundFocus::Editor => self.draw_editor(f, area, view),
                PlaygroundFocus::Report => self.draw_report(f, area, view),
                PlaygroundFocus::Result => self.draw_result(f, area, view),
            }
            return;
        }
        let [left, right] =
            Layout::horizontal([Constraint::Percentage(44), Constraint::Percentage(56)])
                .areas(area);
        self.draw_editor(f, left, view);
        let [report, result] =
            Layout::vertical([Constraint::Percentage(60), Constraint::Percentage(40)]).areas(right);
        self.draw_report(f, report, view);
        self.draw_result(f, result, view);
    }

    fn draw_editor(&self, f: &mut Frame, area: Rect, view: &View) {
        let theme = view.theme;
        let info_height = if self.invalid.is_some() { 3 } else { 1 };
        let [editor, info] =
            Layout::vertical([Constraint::Min(3), Constraint::Length(info_height)]).areas(area);
        let focused = self.editing();
        let version = self
            .version
            .as_ref()
            .map_or_else(|| "no version".to_string(), |v| v.to_string());
        let block = pane(&format!("input for {version}"), focused, theme);
        let inner = block.inner(editor);
        f.render_widget(block, editor);
        f.render_widget(&self.editor, inner);

        let width = usize::from(info.width);
        let line = match &self.invalid {
            Some(e) => Line::from(vec![
                Span::styled(
                    format!("✗ invalid JSON at {}:{}: ", e.line, e.column),
                    theme.style(Slot::Error),
                ),
                safe(&e.message, theme.style(Slot::Error)),
                Span::styled(" (not evaluated)", theme.style(Slot::Muted)),
            ]),
            None => {
                let mut parts = Vec::new();
                if self.unsaved() {
                    parts.push("edited".to_string());
                }
                if !self.origin.is_empty() {
                    parts.push(format!("from {}", sanitize::escape(&self.origin)));
                }
                if parts.is_empty() {
                    parts.push(
                        if focused {
                            "Esc leaves the editor"
                        } else {
                            "Enter edits the input"
                        }
                        .to_string(),
                    );
                }
                Line::from(Span::styled(
                    truncate(&parts.join(" · "), width),
                    theme.style(Slot::Muted),
                ))
            }
        };
        f.render_widget(Paragraph::new(line).wrap(Wrap { trim: false }), info);
    }

    fn draw_report(&self, f: &mut Frame, area: Rect, view: &View) {
        let theme = view.theme;
        let focused = self.focus == PlaygroundFocus::Report;
        let width = usize::from(area.width.saturating_sub(2));
        let lines = self.report_lines(view, width);
        let height = usize::from(area.height.saturating_sub(2)).max(1);
        let max = lines.len().saturating_sub(height);
        self.report_page.set(height);
        self.report_max.set(max);
        let scroll = self.report_scroll.min(max);
        let title = match &self.run {
            Some(r) => format!("outcome in {:.2} ms", r.evaluation.duration_ns as f64 / 1e6),
            None => "outcome".to_string(),
        };
        let block = with_more(
            pane(&title, focused, theme),
            lines.len(),
            scroll,
            height,
            theme,
        );
        let mut paragraph = Paragraph::new(lines)
            .scroll((u16::try_from(scroll).unwrap_or(u16::MAX), 0))
            .block(block);
        // The how-to and errors are prose; a report's rows are not.
        if self.run.is_none() {
            paragraph = paragraph.wrap(Wrap { trim: false });
        }
        f.render_widget(paragraph, area);
    }

    fn report_lines(&self, view: &View, width: usize) -> Vec<Line<'static>> {
        let theme = view.theme;
        let key = |a: Action| view.keys.keys_of(a, Scope::Playground);
        let mut lines: Vec<Line<'static>> = Vec::new();
        if view.job(self.job).is_some() {
            let v = self
                .pending
                .as_ref()
                .map(|p| p.version.to_string())
                .unwrap_or_default();
            lines.push(Line::from(safe(
                &format!("⟳ evaluating under {v}…"),
                theme.style(Slot::Info),
            )));
            lines.push(Line::from(""));
        }
        if let Some(e) = &self.run_error {
            lines.push(Line::from(Span::styled(
                "✗ the evaluation failed:",
                theme.style(Slot::Error),
            )));
            lines.extend(safe_lines(e, theme.style(Slot::Error)));
            lines.push(Line::from(""));
        }
        let Some(run) = &self.run else {
            let hint = |k: String, text: &str| {
                Line::from(vec![
                    Span::styled(k, theme.style(Slot::Key)),
                    Span::styled(format!(" {text}"), theme.style(Slot::Text)),
                ])
            };
            let under = self
                .version
                .as_ref()
                .map_or_else(|| "the chosen version".to_string(), |v| v.to_string());
            lines.push(hint(
                key(Action::Evaluate),
                &format!("evaluates the input under {}", sanitize::escape(&under)),
            ));
            lines.push(hint(key(Action::PickVersion), "chooses the version"));
            lines.push(hint(
                key(Action::SaveCase),
                "saves the input and its outcome as a case",
            ));
            lines.push(hint(
                view.keys.keys_of(Action::Back, Scope::Global),
                "leaves the editor; Enter goes back in",
            ));
            lines.push(Line::from(vec![
                Span::styled("3", theme.style(Slot::Key)),
                Span::styled(" then ", theme.style(Slot::Text)),
                Span::styled(
                    view.keys
                        .keys_of(Action::OpenInPlayground, Scope::Decisions),
                    theme.style(Slot::Key),
                ),
                Span::styled(" opens a decision's input here", theme.style(Slot::Text)),
            ]));
            // The engineer's loop on a bundle folder: the working copy.
            if self
                .versions
                .first()
                .is_some_and(crate::working_copy::is_draft)
            {
                lines.push(hint(
                    key(Action::TestWorkingCopy),
                    "runs the working copy's suite as its files are now",
                ));
                lines.push(hint(
                    key(Action::DiffWorkingCopy),
                    "diffs it against a stored version",
                ));
                lines.push(hint(
                    key(Action::ImportWorkingCopy),
                    "imports it as a new version",
                ));
            } else {
                lines.push(hint(
                    view.keys.keys_of(Action::OpenWorkingCopy, Scope::Global),
                    "opens a bundle folder as a working copy (a draft to edit, test and import)",
                ));
            }
            lines.push(Line::from(""));
            lines.push(Line::from(Span::styled(
                "Shown here: the outcome, each cited rule's outcome, the lines that ran.",
                theme.style(Slot::Muted),
            )));
            return lines;
        };
        let e = &run.evaluation;
        lines.push(Line::from(vec![
            Span::styled(
                format!("{} {}", outcome_glyph(&e.outcome), e.outcome),
                theme.outcome(&e.outcome).add_modifier(Modifier::BOLD),
            ),
            Span::styled("  under ", theme.style(Slot::Muted)),
            safe(&run.version.to_string(), theme.style(Slot::Text)),
        ]));
        lines.push(Line::from(vec![
            Span::styled("entrypoint ", theme.style(Slot::Muted)),
            safe(&e.entrypoint, theme.style(Slot::Text)),
        ]));
        lines.push(Line::from(vec![
            Span::styled("time ", theme.style(Slot::Muted)),
            Span::styled(short_time(e.now_ns), theme.style(Slot::Text)),
            Span::styled(
                if run.pinned {
                    " (decision's)"
                } else {
                    " (now)"
                },
                theme.style(Slot::Muted),
            ),
        ]));
        if run.revision != self.revision || Some(&run.version) != self.version.as_ref() {
            lines.push(Line::from(Span::styled(
                format!("▲ edited since: {} again", key(Action::Evaluate)),
                theme.style(Slot::Warn),
            )));
        }
        // The causes first, then the helpers: that is what explains a
        // denial. Every cited rule is listed; the pane scrolls.
        let ex = crate::explain::explain(
            &e.rule_outcomes,
            e.result.as_ref(),
            &e.entrypoint,
            Some(&e.lines_ran),
            &run.rules,
        );
        lines.push(Line::from(""));
        lines.push(Line::from(Span::styled(
            format!("cited rules: {} of {} fired", ex.fired(), ex.cited()),
            theme.style(Slot::Muted),
        )));
        lines.extend(explain::fired_section(&ex, width, theme));
        lines.push(Line::from(""));
        lines.push(Line::from(Span::styled(
            "lines that ran:",
            theme.style(Slot::Muted),
        )));
        if e.lines_ran.is_empty() {
            lines.push(Line::from(Span::styled("  none", theme.style(Slot::Muted))));
        }
        for (file, ran) in &e.lines_ran {
            let head = format!("  {}: ", sanitize::escape(file));
            lines.extend(explain::ranges_lines(&head, ran, width, theme));
        }
        if !e.prints.is_empty() {
            lines.push(Line::from(""));
            lines.push(Line::from(Span::styled(
                "prints:",
                theme.style(Slot::Muted),
            )));
            for p in &e.prints {
                for l in safe_lines(p, theme.style(Slot::Text)) {
                    let mut spans = vec![Span::raw("  ")];
                    spans.extend(l.spans);
                    lines.push(Line::from(spans));
                }
            }
        }
        let quiet = explain::not_fired_section(&ex, theme);
        if !quiet.is_empty() {
            lines.push(Line::from(""));
            lines.extend(quiet);
        }
        lines
    }

    fn draw_result(&self, f: &mut Frame, area: Rect, view: &View) {
        let theme = view.theme;
        let focused = self.focus == PlaygroundFocus::Result;
        let block = pane("result (Space folds)", focused, theme);
        let height = usize::from(area.height.saturating_sub(2));
        let lines = match &self.run {
            Some(Run {
                result: Some(v), ..
            }) => v.render(
                theme,
                height,
                usize::from(area.width.saturating_sub(2)),
                focused,
            ),
            Some(_) => vec![Line::from(Span::styled(
                "undefined: the entrypoint produced no value for this input",
                theme.style(Slot::Muted),
            ))],
            None => vec![Line::from(Span::styled(
                "the entrypoint's result shows here",
                theme.style(Slot::Muted),
            ))],
        };
        f.render_widget(Paragraph::new(lines).block(block), area);
    }
}

/// Pretty JSON for the editor. Characters that must not reach the terminal
/// (C1 controls, bidi overrides, DEL) become `\uXXXX` escapes: the same
/// JSON value, and visible.
fn pretty(input: &Value) -> String {
    let text = serde_json::to_string_pretty(input).unwrap_or_else(|_| input.to_string());
    if !text.chars().any(unsafe_in_editor) {
        return text;
    }
    let mut out = String::with_capacity(text.len() + 16);
    for c in text.chars() {
        if unsafe_in_editor(c) {
            push_json_escape(&mut out, c);
        } else {
            out.push(c);
        }
    }
    out
}

fn push_json_escape(out: &mut String, c: char) {
    let mut units = [0u16; 2];
    for u in c.encode_utf16(&mut units) {
        out.push_str(&format!("\\u{u:04x}"));
    }
}

/// A time to the second, as the report shows it.
fn short_time(ns: i64) -> String {
    chrono::DateTime::from_timestamp_nanos(ns)
        .format("%Y-%m-%dT%H:%M:%SZ")
        .to_string()
}

/// A character of pretty JSON that must not be drawn as it is (its own
/// newlines are the editor's lines).
fn unsafe_in_editor(c: char) -> bool {
    c != '\n' && sanitize::needs_escape(c)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hostile_characters_become_json_escapes() {
        let v = json!({"k\u{1b}": "a\u{202e}b\u{9b}\u{7f}"});
        let text = pretty(&v);
        assert!(!text.chars().any(unsafe_in_editor), "{text}");
        let back: Value = serde_json::from_str(&text).unwrap();
        assert_eq!(back, v);
    }
}
