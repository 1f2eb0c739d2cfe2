//! The workbench's state and how actions change it. Keys become actions
//! through the key table; screens handle actions and return effects; the app
//! carries the effects out (jobs, pickers, prompts, tab switches). Nothing
//! here draws or touches the terminal, so key sequences can be tested on
//! the state alone.

use std::collections::HashMap;
use std::path::PathBuf;

use crossterm::event::{Event, KeyEvent, KeyEventKind, MouseButton, MouseEventKind};

use super::action::{Action, Key, KeyMap, Scope};
use super::jobs::{JobEvent, JobOutput, JobRequest, Jobs};
use super::screens::certify::CertifyScreen;
use super::screens::decisions::DecisionsScreen;
use super::screens::diff::DiffScreen;
use super::screens::impact::ImpactScreen;
use super::screens::playground::PlaygroundScreen;
use super::screens::policies::PoliciesScreen;
use super::screens::tests::TestsScreen;
use super::screens::{Ctx, Effect, Pick, Prompt, Tab};
use super::theme::Theme;
use super::widgets::list::Cursor;
use crate::engine::suite::SuiteReport;
use crate::engine::testing::TestStatus;
use crate::error::Result;
use crate::store::versions::version_order;
use crate::store::{Store, VersionSummary};
use crate::working_copy::WorkingCopy;

/// A modal layer over the screens.
#[derive(Debug, Clone)]
pub enum Overlay {
    Help {
        scroll: usize,
    },
    Palette {
        query: String,
        cursor: Cursor,
    },
    Picker {
        title: String,
        items: Vec<String>,
        cursor: Cursor,
        pick: Pick,
    },
    Prompt {
        title: String,
        text: String,
        prompt: Prompt,
    },
    ConfirmQuit,
    /// A report to read (the working copy's suite): scrolls, Esc closes.
    Report {
        title: String,
        lines: Vec<String>,
        scroll: usize,
    },
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MessageKind {
    Info,
    Error,
}

pub struct App {
    pub store: Store,
    pub keys: KeyMap,
    pub theme: Theme,
    pub mouse: bool,
    pub tab: Tab,
    pub overlay: Option<Overlay>,
    pub message: Option<(String, MessageKind)>,
    /// The tab the message belongs to: it shows there only.
    pub message_tab: Tab,
    /// Messages of jobs that finished while another tab showed: each waits
    /// for its tab, and none overwrites what the tab on screen says.
    pending_messages: HashMap<Tab, (String, MessageKind)>,
    /// The version last chosen on a tab that lists versions (its index).
    current_version: Option<usize>,
    pub jobs: Jobs,
    pub versions: Vec<VersionSummary>,
    pub quit: bool,
    /// Something changed since the last frame.
    pub dirty: bool,
    /// The store holds no version yet: the first-run screen shows.
    pub first_run: bool,
    job_owner: HashMap<u64, Tab>,
    pub policies: PoliciesScreen,
    pub tests: TestsScreen,
    pub decisions: DecisionsScreen,
    pub impact: ImpactScreen,
    pub diff: DiffScreen,
    pub playground: PlaygroundScreen,
    pub certify: CertifyScreen,
    /// Unresolved exceptions past their due time, as of the last reload
    /// (flagged in the status bar).
    pub overdue_exceptions: u64,
    /// Whether the tab bar was last drawn with short labels (for clicks).
    pub tabs_compact: std::cell::Cell<bool>,
    /// The store was opened read-only: nothing that writes is offered.
    pub read_only: bool,
    /// A bundle directory open as a draft (`gavel DIR`, `O`).
    pub working_copy: Option<WorkingCopy>,
    /// `z`: the focused pane takes the whole screen.
    pub zoom: bool,
}

impl App {
    pub fn new(db: PathBuf, keys: KeyMap, theme: Theme, mouse: bool) -> Result<App> {
        // A store the user may not write (a read-only copy, read-only
        // media) opens read-only: the actions that write are unbound, so
        // neither the keys nor the hints, help and palette offer them.
        let (mut store, read_only) = match Store::open(&db) {
            Ok(store) => (store, false),
            Err(crate::Error::ReadOnly(_)) => (Store::open_read_only(&db)?, true),
            Err(e) => return Err(e),
        };
        let keys = if read_only {
            keys.without_writes()
        } else {
            keys
        };
        store.use_default_log_key();
        let mut app = App {
            read_only,
            jobs: Jobs::new(store.path().to_path_buf()),
            store,
            keys,
            theme,
            mouse,
            tab: Tab::Policies,
            overlay: None,
            message: None,
            message_tab: Tab::Policies,
            pending_messages: HashMap::new(),
            current_version: None,
            versions: Vec::new(),
            quit: false,
            dirty: true,
            first_run: false,
            job_owner: HashMap::new(),
            policies: PoliciesScreen::default(),
            tests: TestsScreen::default(),
            decisions: DecisionsScreen::default(),
            impact: ImpactScreen::default(),
            diff: DiffScreen::default(),
            playground: PlaygroundScreen::default(),
            certify: CertifyScreen::default(),
            overdue_exceptions: 0,
            tabs_compact: std::cell::Cell::new(false),
            working_copy: None,
            zoom: false,
        };
        app.reload()?;
        Ok(app)
    }

    /// Re-reads the version list and the visible pages from the store.
    pub fn reload(&mut self) -> Result<()> {
        let mut versions = self.store.list_versions()?;
        versions.sort_by(|a, b| {
            a.name
                .cmp(&b.name)
                .then_with(|| version_order(&a.version, &b.version))
        });
        self.versions = versions;
        // A working copy is something to work on: no first-run screen.
        self.first_run = self.versions.is_empty()
            && self.working_copy.is_none()
            && !self.store.has_decisions()?;
        let ctx = Ctx {
            store: &self.store,
            versions: &self.versions,
            working_copy: self.working_copy.as_ref(),
        };
        let effects = [
            (Tab::Policies, self.policies.reload(&ctx)),
            (Tab::Tests, self.tests.reload(&ctx)),
            (Tab::Decisions, self.decisions.reload(&ctx)),
            (Tab::Impact, self.impact.reload(&ctx)),
            (Tab::Playground, self.playground.reload(&ctx)),
            (Tab::Certify, self.certify.reload(&ctx)),
        ];
        for (tab, e) in effects {
            self.apply_effects_from(tab, e);
        }
        self.overdue_exceptions =
            crate::exceptions::overdue_count(&self.store, self.certify.now())?;
        self.dirty = true;
        Ok(())
    }

    pub fn scope(&self) -> Scope {
        self.tab.scope()
    }

    /// A terminal event: keys, the mouse, a resize.
    pub fn on_event(&mut self, event: Event) {
        match event {
            Event::Key(k) if k.kind != KeyEventKind::Release => self.on_key(k),
            Event::Mouse(m) if self.mouse => {
                let action = match m.kind {
                    MouseEventKind::ScrollUp => Some(Action::Up),
                    MouseEventKind::ScrollDown => Some(Action::Down),
                    MouseEventKind::Down(MouseButton::Left) => {
                        self.on_click(m.column, m.row);
                        None
                    }
                    _ => None,
                };
                if let Some(a) = action {
                    self.on_action(a);
                }
            }
            Event::Paste(text) if self.tab == Tab::Playground && self.playground.editing() => {
                self.playground.paste(&text);
                self.dirty = true;
            }
            Event::Resize(_, _) => self.dirty = true,
            _ => {}
        }
    }

    pub fn on_key(&mut self, k: KeyEvent) {
        self.dirty = true;
        let key = Key::from_event(&k);
        if key == Key::ctrl('c') {
            self.quit = true;
            return;
        }
        if let Some(overlay) = self.overlay.take() {
            self.on_overlay_key(overlay, k, key);
            return;
        }
        // The playground's editor takes every key but its own actions, Esc,
        // and Tab, which always moves focus (JSON is indented with spaces).
        if self.tab == Tab::Playground && self.playground.editing() {
            match self.keys.action(key, Scope::Playground) {
                Some(
                    a @ (Action::Evaluate
                    | Action::SaveCase
                    | Action::PickVersion
                    | Action::Back
                    | Action::TestWorkingCopy
                    | Action::DiffWorkingCopy
                    | Action::ImportWorkingCopy),
                ) => self.on_action(a),
                _ if k.code == crossterm::event::KeyCode::Tab => self.on_action(Action::NextPane),
                _ if k.code == crossterm::event::KeyCode::BackTab => {
                    self.on_action(Action::PrevPane)
                }
                _ => {
                    self.playground.input_key(k);
                }
            }
            return;
        }
        if let Some(action) = self.keys.action(key, self.scope()) {
            self.on_action(action);
        }
    }

    /// Carries out one action.
    pub fn on_action(&mut self, action: Action) {
        self.dirty = true;
        match action {
            Action::ForceQuit => self.quit = true,
            Action::Quit => {
                if self.playground.unsaved() {
                    self.overlay = Some(Overlay::ConfirmQuit);
                } else {
                    self.quit = true;
                }
            }
            Action::Help => self.overlay = Some(Overlay::Help { scroll: 0 }),
            Action::Palette => {
                self.overlay = Some(Overlay::Palette {
                    query: String::new(),
                    cursor: Cursor::default(),
                })
            }
            Action::GoTab(n) => {
                if let Some(t) = Tab::from_number(n) {
                    self.switch_tab(t);
                }
            }
            Action::Refresh => {
                if let Err(e) = self.reload() {
                    self.error(format!("{e}"));
                } else {
                    self.info("reloaded from the store".into());
                }
            }
            Action::LoadSamples => self.start(JobRequest::LoadSamples, self.tab),
            Action::Zoom => self.zoom = !self.zoom,
            Action::OpenWorkingCopy => {
                let start = super::folders::start(
                    self.working_copy.as_ref().and_then(|wc| wc.dir.parent()),
                );
                self.open_folder_picker(start);
            }
            Action::TestWorkingCopy | Action::DiffWorkingCopy | Action::ImportWorkingCopy => {
                self.on_working_copy_action(action)
            }
            Action::Back if self.cancel_job_of(self.tab) => {}
            other => {
                let ctx = Ctx {
                    store: &self.store,
                    versions: &self.versions,
                    working_copy: self.working_copy.as_ref(),
                };
                let effects = match self.tab {
                    Tab::Policies => self.policies.handle(other, &ctx),
                    Tab::Tests => self.tests.handle(other, &ctx),
                    Tab::Decisions => self.decisions.handle(other, &ctx),
                    Tab::Impact => self.impact.handle(other, &ctx),
                    Tab::Diff => self.diff.handle(other, &ctx),
                    Tab::Playground => self.playground.handle(other, &ctx),
                    Tab::Certify => self.certify.handle(other, &ctx),
                };
                self.apply_effects(effects);
            }
        }
    }

    /// `Esc` while the current screen's job runs cancels it.
    fn cancel_job_of(&mut self, tab: Tab) -> bool {
        let ids: Vec<u64> = self
            .job_owner
            .iter()
            .filter(|(_, t)| **t == tab)
            .map(|(id, _)| *id)
            .collect();
        let mut any = false;
        for id in ids {
            if self.jobs.cancel(id) {
                any = true;
                self.info("cancelling…".into());
            }
        }
        any
    }

    fn on_overlay_key(&mut self, overlay: Overlay, k: KeyEvent, key: Key) {
        use crossterm::event::KeyCode;
        match overlay {
            Overlay::ConfirmQuit => match k.code {
                KeyCode::Char('y') | KeyCode::Char('Y') => self.quit = true,
                _ => self.info("not quitting: the playground's edits are kept".into()),
            },
            Overlay::Report {
                title,
                lines,
                scroll,
            } => {
                let scroll = match self.keys.action(key, Scope::Global) {
                    Some(Action::Down) => scroll + 1,
                    Some(Action::Up) => scroll.saturating_sub(1),
                    Some(Action::PageDown) => scroll + 10,
                    Some(Action::PageUp) => scroll.saturating_sub(10),
                    Some(Action::Top) => 0,
                    Some(Action::Bottom) => lines.len().saturating_sub(1),
                    Some(Action::Back | Action::Quit | Action::Select) => return,
                    _ => scroll,
                }
                .min(lines.len().saturating_sub(1));
                self.overlay = Some(Overlay::Report {
                    title,
                    lines,
                    scroll,
                });
            }
            Overlay::Help { scroll } => {
                let scroll = match self.keys.action(key, Scope::Global) {
                    Some(Action::Down) => scroll + 1,
                    Some(Action::Up) => scroll.saturating_sub(1),
                    Some(Action::PageDown) => scroll + 10,
                    Some(Action::PageUp) => scroll.saturating_sub(10),
                    Some(Action::Back | Action::Help | Action::Quit) => return,
                    _ => scroll,
                };
                self.overlay = Some(Overlay::Help { scroll });
            }
            Overlay::Palette {
                mut query,
                mut cursor,
            } => {
                let entries = self.palette_entries(&query);
                match k.code {
                    KeyCode::Esc => return,
                    KeyCode::Enter => {
                        if let Some((scope, action, _)) = entries.get(cursor.selected) {
                            // Another tab's action: on that tab.
                            if let Some(tab) = Tab::of_scope(*scope).filter(|t| *t != self.tab) {
                                self.switch_tab(tab);
                            }
                            self.on_action(*action);
                        }
                        return;
                    }
                    KeyCode::Up => {
                        cursor.apply(Action::Up, entries.len());
                    }
                    KeyCode::Down => {
                        cursor.apply(Action::Down, entries.len());
                    }
                    KeyCode::Backspace => {
                        query.pop();
                        cursor.select(0, 1);
                    }
                    KeyCode::Char(c) => {
                        query.push(c);
                        cursor.select(0, 1);
                    }
                    _ => {}
                }
                self.overlay = Some(Overlay::Palette { query, cursor });
            }
            Overlay::Picker {
                title,
                items,
                mut cursor,
                pick,
            } => {
                match k.code {
                    KeyCode::Esc => {
                        // Esc from the editor's version picker leaves the
                        // editor too: the next keys are commands, not JSON.
                        if matches!(pick, Pick::PlaygroundVersion) {
                            self.playground.leave_editor();
                        }
                        return;
                    }
                    KeyCode::Enter => {
                        if !items.is_empty() {
                            self.on_pick(pick, cursor.selected, items[cursor.selected].clone());
                        }
                        return;
                    }
                    _ => {
                        if let Some(a) = self.keys.action(key, Scope::Global) {
                            cursor.apply(a, items.len());
                        }
                    }
                }
                self.overlay = Some(Overlay::Picker {
                    title,
                    items,
                    cursor,
                    pick,
                });
            }
            Overlay::Prompt {
                title,
                mut text,
                prompt,
            } => {
                match k.code {
                    KeyCode::Esc => return,
                    KeyCode::Enter => {
                        self.on_prompt(prompt, text);
                        return;
                    }
                    KeyCode::Backspace => {
                        text.pop();
                    }
                    // As in a shell: Ctrl-U clears the line.
                    KeyCode::Char('u')
                        if k.modifiers
                            .contains(crossterm::event::KeyModifiers::CONTROL) =>
                    {
                        text.clear()
                    }
                    KeyCode::Char(c)
                        if !k
                            .modifiers
                            .contains(crossterm::event::KeyModifiers::CONTROL) =>
                    {
                        text.push(c)
                    }
                    _ => {}
                }
                self.overlay = Some(Overlay::Prompt {
                    title,
                    text,
                    prompt,
                });
            }
        }
    }

    /// The palette's matches: every action whose name or description
    /// contains the query. This screen's and the global ones come first;
    /// another tab's are named with their tab, and running one goes there.
    pub fn palette_entries(&self, query: &str) -> Vec<(Scope, Action, String)> {
        let q = query.to_lowercase();
        let scope = self.scope();
        // (scope, action, text, description)
        let mut here: Vec<(Scope, Action, String, &str)> = Vec::new();
        let mut elsewhere: Vec<(Scope, Action, String, &str)> = Vec::new();
        for (s, action, keys, description) in self.keys.entries() {
            if matches!(action, Action::Up | Action::Down | Action::Palette) {
                continue;
            }
            let local = s == scope || s == Scope::Global;
            let text = if local {
                format!("{}  {description}  ({keys})", action.name())
            } else {
                format!(
                    "{}  {description}  ({keys} on {})",
                    action.name(),
                    s.label()
                )
            };
            if !(q.is_empty() || text.to_lowercase().contains(&q)) {
                continue;
            }
            let list = if local { &mut here } else { &mut elsewhere };
            if !list
                .iter()
                .any(|(ls, a, _, _)| *a == action && (local || *ls == s))
            {
                list.push((s, action, text, description));
            }
        }
        // An action offered here is not offered again for another tab,
        // unless it does something else there (each tab's filter).
        elsewhere.retain(|(_, a, _, d)| !here.iter().any(|(_, h, _, hd)| h == a && hd == d));
        here.into_iter()
            .chain(elsewhere)
            .map(|(s, a, text, _)| (s, a, text))
            .collect()
    }

    fn on_pick(&mut self, pick: Pick, index: usize, item: String) {
        let ctx = Ctx {
            store: &self.store,
            versions: &self.versions,
            working_copy: self.working_copy.as_ref(),
        };
        let effects = match &pick {
            Pick::ReplayAgainst { .. } => self.decisions.on_pick(pick, index, &item, &ctx),
            Pick::ImpactAgainst => self.impact.on_pick(pick, index, &item, &ctx),
            Pick::DiffFrom | Pick::DiffTo { .. } => self.diff.on_pick(pick, index, &item, &ctx),
            Pick::PlaygroundVersion => self.playground.on_pick(pick, index, &item, &ctx),
            Pick::DiffWorkingCopy => {
                self.tab = Tab::Diff;
                self.diff.on_pick(pick, index, &item, &ctx)
            }
            Pick::OpenFolder { dir } => {
                match super::folders::picked(dir, index, &item) {
                    super::folders::Picked::Enter(next) => self.open_folder_picker(next),
                    super::folders::Picked::Chosen(dir) => match WorkingCopy::open(&dir) {
                        Ok(wc) => self.open_working_copy(wc),
                        Err(e) => self.error(format!("{e}")),
                    },
                }
                return;
            }
            Pick::CaseFolder {
                dir,
                name,
                decision_id,
            } => match super::folders::picked(dir, index, &item) {
                super::folders::Picked::Enter(next) => vec![super::screens::case_folder_picker(
                    Some(&next),
                    name,
                    decision_id.clone(),
                )],
                super::folders::Picked::Chosen(dir) => match decision_id {
                    Some(id) => self.decisions.save_into(&dir, name, id),
                    None => self.playground.save_into(&dir, name),
                },
            },
            Pick::CertifyRole { .. }
            | Pick::ExceptionOutcome { .. }
            | Pick::ExceptionDecision { .. } => self.certify.on_pick(pick, index, &item, &ctx),
        };
        self.apply_effects(effects);
    }

    fn on_prompt(&mut self, prompt: Prompt, text: String) {
        let ctx = Ctx {
            store: &self.store,
            versions: &self.versions,
            working_copy: self.working_copy.as_ref(),
        };
        let effects = match &prompt {
            Prompt::DecisionFilter | Prompt::DecisionCaseName { .. } => {
                self.decisions.on_prompt(prompt, &text, &ctx)
            }
            Prompt::ImpactFilter => self.impact.on_prompt(prompt, &text, &ctx),
            Prompt::RuleFilter => self.policies.on_prompt(prompt, &text, &ctx),
            Prompt::PlaygroundCaseName => self.playground.on_prompt(prompt, &text, &ctx),
            Prompt::ImportWorkingCopy => {
                let Some(wc) = self.working_copy.clone() else {
                    return;
                };
                let version = text.trim().to_string();
                if let Err(e) = crate::store::versions::check_name("version", &version) {
                    self.error(format!("{e}: F8 and type a version such as 1.2.0"));
                    return;
                }
                if self
                    .versions
                    .iter()
                    .any(|v| v.name == wc.name && v.version == version)
                {
                    self.error(format!(
                        "{}@{version} is already stored (versions never change): F8 and give a new version",
                        wc.name
                    ));
                    return;
                }
                self.start(
                    JobRequest::ImportWorkingCopy {
                        working_copy: wc,
                        version,
                    },
                    Tab::Playground,
                );
                return;
            }
            Prompt::CertifySigner { .. }
            | Prompt::CertifyStatement { .. }
            | Prompt::ExceptionDecision
            | Prompt::ExceptionReason { .. }
            | Prompt::ExceptionOwner { .. }
            | Prompt::ExceptionDue { .. }
            | Prompt::ResolveException { .. }
            | Prompt::ResolveBy { .. }
            | Prompt::PacketPath { .. }
            | Prompt::ExportPath => self.certify.on_prompt(prompt, &text, &ctx),
        };
        self.apply_effects(effects);
    }

    fn on_click(&mut self, col: u16, row: u16) {
        // The tab bar is the first row.
        if row == 0 {
            let mut x = 0u16;
            let compact = self.tabs_compact.get();
            for (i, t) in Tab::ALL.iter().enumerate() {
                let w = super::draw::tab_width(i, *t, compact);
                if col >= x && col < x + w {
                    self.switch_tab(*t);
                    return;
                }
                x += w;
            }
            return;
        }
        let ctx = Ctx {
            store: &self.store,
            versions: &self.versions,
            working_copy: self.working_copy.as_ref(),
        };
        let effects = match self.tab {
            Tab::Policies => self.policies.click(col, row, &ctx),
            Tab::Decisions => self.decisions.click(col, row, &ctx),
            _ => Vec::new(),
        };
        self.apply_effects(effects);
    }

    /// Carries out effects of the current tab's screen.
    /// Signs the log's checkpoints with the key at `path` (made on first
    /// use) rather than the default one, here and in background jobs.
    pub fn use_log_key(&mut self, path: PathBuf) {
        self.store.use_log_key(path.clone(), true);
        self.jobs.log_key = Some(path);
    }

    /// Pins "now" (`GAVEL_NOW`, tests) for what the workbench reads and for
    /// every record it and its background jobs make, so sign-offs and the
    /// evidence they rest on share one clock.
    pub fn pin_clock(&mut self, at: chrono::DateTime<chrono::Utc>) {
        self.store.pin_clock(at);
        self.certify.now_override = Some(at);
        self.jobs.clock = Some(at);
    }

    pub fn apply_effects(&mut self, effects: Vec<Effect>) {
        self.apply_effects_from(self.tab, effects);
    }

    /// Carries out effects of `owner`'s screen: jobs it starts report back
    /// to it, whatever tab is showing when they finish.
    fn apply_effects_from(&mut self, owner: Tab, effects: Vec<Effect>) {
        for e in effects {
            match e {
                Effect::Message(m) => self.say(owner, m, MessageKind::Info),
                Effect::Error(m) => self.say(owner, m, MessageKind::Error),
                Effect::Start(request) => self.start(request, owner),
                Effect::Cancel(id) => {
                    self.jobs.cancel(id);
                }
                Effect::OpenPicker { title, items, pick } => {
                    if items.is_empty() {
                        self.error("nothing to choose from: import a version first".into());
                    } else {
                        let mut cursor = Cursor::default();
                        cursor.selected = self.picker_start(&pick, &items);
                        self.overlay = Some(Overlay::Picker {
                            title,
                            items,
                            cursor,
                            pick,
                        });
                    }
                }
                Effect::OpenPrompt {
                    title,
                    initial,
                    prompt,
                } => {
                    self.overlay = Some(Overlay::Prompt {
                        title,
                        text: initial,
                        prompt,
                    })
                }
                Effect::OpenPlayground {
                    version,
                    input,
                    origin,
                    decision_id,
                } => {
                    self.playground.open(version, &input, &origin, decision_id);
                    self.tab = Tab::Playground;
                }
                Effect::RunImpact {
                    filter,
                    against,
                    label,
                } => {
                    self.tab = Tab::Impact;
                    let effects = self.impact.run_for(filter, against, label);
                    self.apply_effects(effects);
                }
                Effect::ReloadVersions => {
                    if let Err(e) = self.reload() {
                        self.error(format!("{e}"));
                    }
                }
            }
        }
        self.dirty = true;
    }

    fn start(&mut self, request: JobRequest, owner: Tab) {
        let id = self.jobs.start(request);
        self.job_owner.insert(id, owner);
        match owner {
            Tab::Policies => self.policies.job_started(id),
            Tab::Tests => self.tests.job_started(id),
            Tab::Decisions => self.decisions.job_started(id),
            Tab::Impact => self.impact.job_started(id),
            Tab::Diff => self.diff.job_started(id),
            Tab::Playground => self.playground.job_started(id),
            Tab::Certify => self.certify.job_started(id),
        }
    }

    /// Folds finished jobs into their screens. Returns whether anything
    /// changed.
    pub fn poll_jobs(&mut self) -> bool {
        let events = self.jobs.drain();
        let progressed = !self.jobs.running.is_empty();
        let changed = !events.is_empty();
        for e in events {
            self.on_job_event(e);
        }
        if changed || progressed {
            self.dirty = true;
        }
        changed
    }

    /// Waits up to `timeout` for jobs to report, then folds them in (tests).
    pub fn wait_for_jobs(&mut self, timeout: std::time::Duration) {
        let deadline = std::time::Instant::now() + timeout;
        while !self.jobs.running.is_empty() && std::time::Instant::now() < deadline {
            for e in self.jobs.wait(std::time::Duration::from_millis(20)) {
                self.on_job_event(e);
            }
        }
        self.poll_jobs();
    }

    fn on_job_event(&mut self, e: JobEvent) {
        let id = e.id();
        let owner = self.job_owner.remove(&id).unwrap_or(self.tab);
        let result: std::result::Result<JobOutput, String> = match e {
            JobEvent::Finished { output, .. } => Ok(output),
            JobEvent::Failed { error, .. } => Err(error),
            JobEvent::Progress { .. } => return,
        };
        if let Ok(JobOutput::SamplesLoaded {
            versions,
            decisions,
        }) = &result
        {
            self.info(format!(
                "samples loaded: {versions} versions, {decisions} decisions"
            ));
            if let Err(e) = self.reload() {
                self.error(format!("{e}"));
            }
            return;
        }
        if let Ok(JobOutput::WorkingCopyTests { version, report }) = &result {
            self.show_suite(version, report);
            return;
        }
        if let Ok(JobOutput::Imported(report)) = &result {
            self.say(
                owner,
                format!(
                    "imported {} ({}, {} rules): a new version, a draft until it is signed off (tab 7)",
                    report.reference,
                    &report.content_hash[..report.content_hash.len().min(19)],
                    report.rules
                ),
                MessageKind::Info,
            );
            let new = report.reference.clone();
            if let Err(e) = self.reload() {
                self.error(format!("{e}"));
            }
            if let Some(i) = self.versions.iter().position(|v| v.reference() == new) {
                self.current_version = Some(i);
            }
            return;
        }
        if let Err(error) = &result {
            self.error(error.clone());
        }
        let ctx = Ctx {
            store: &self.store,
            versions: &self.versions,
            working_copy: self.working_copy.as_ref(),
        };
        // A job may have signed a checkpoint (a replay batch, a sign-off).
        self.decisions.refresh_log(&ctx);
        // A test run or a replay is evidence the Certify tab shows: it is
        // read again now, not when the cursor next moves.
        if owner != Tab::Certify {
            self.certify.reload(&ctx);
        }
        let effects = match owner {
            Tab::Policies => self.policies.on_job(id, result, &ctx),
            Tab::Tests => self.tests.on_job(id, result, &ctx),
            Tab::Decisions => self.decisions.on_job(id, result, &ctx),
            Tab::Impact => self.impact.on_job(id, result, &ctx),
            Tab::Diff => self.diff.on_job(id, result, &ctx),
            Tab::Playground => self.playground.on_job(id, result, &ctx),
            Tab::Certify => self.certify.on_job(id, result, &ctx),
        };
        self.apply_effects_from(owner, effects);
    }

    /// Shows tab `t`. The version chosen on the tab left (Policies, Tests,
    /// Certify) is the one the next of those opens on: one current version.
    pub fn switch_tab(&mut self, t: Tab) {
        if let Some(m) = self.pending_messages.remove(&t) {
            self.message = Some(m);
            self.message_tab = t;
        }
        match self.tab {
            Tab::Policies => self.current_version = Some(self.policies.selected_version()),
            Tab::Tests => self.current_version = Some(self.tests.selected_version_index()),
            Tab::Certify => self.current_version = Some(self.certify.selected_version_index()),
            _ => {}
        }
        self.tab = t;
        let Some(index) = self.current_version else {
            return;
        };
        let ctx = Ctx {
            store: &self.store,
            versions: &self.versions,
            working_copy: self.working_copy.as_ref(),
        };
        let effects = match t {
            Tab::Policies => self.policies.follow_version(index, &ctx),
            Tab::Tests => {
                self.tests.follow_version(index, &ctx);
                Vec::new()
            }
            Tab::Certify => {
                self.certify.follow_version(index, &ctx);
                Vec::new()
            }
            _ => Vec::new(),
        };
        self.apply_effects_from(t, effects);
    }

    /// Where a version picker starts: on the version in hand (the
    /// decision's own, the playground's, the one chosen last), not at the
    /// top of every regime's list.
    fn picker_start(&self, pick: &Pick, items: &[String]) -> usize {
        let label = match pick {
            Pick::ReplayAgainst { decision_id } => self
                .store
                .get_decision(decision_id)
                .ok()
                .flatten()
                .and_then(|(_, rec)| rec.version_id)
                .and_then(|id| self.versions.iter().find(|v| v.id == id))
                .map(|v| v.reference().to_string()),
            Pick::PlaygroundVersion => self.playground.version().map(|v| v.to_string()),
            Pick::DiffTo { from } => Some(from.to_string()),
            // "Their own versions" first: the audit, the usual choice.
            Pick::ImpactAgainst => None,
            Pick::DiffWorkingCopy | Pick::OpenFolder { .. } | Pick::CaseFolder { .. } => None,
            // The roles still to sign, and the outcomes, come first.
            Pick::CertifyRole { .. } | Pick::ExceptionOutcome { .. } => None,
            // The decision chosen on the Decisions tab, when listed.
            Pick::ExceptionDecision { ids } => {
                let at = self
                    .decisions
                    .selected_id()
                    .and_then(|id| ids.iter().position(|i| *i == id));
                return at.map_or(0, |i| i + 1);
            }
            Pick::DiffFrom => self
                .current_version
                .and_then(|i| self.versions.get(i))
                .map(|v| v.reference().to_string()),
        };
        label
            .and_then(|l| items.iter().position(|i| *i == l))
            .unwrap_or(0)
    }

    /// Makes `wc` the working copy: the playground evaluates against it.
    pub fn open_working_copy(&mut self, wc: WorkingCopy) {
        self.info(format!(
            "working copy {} open: Ctrl-S evaluates it, F6 runs its suite, F7 diffs it, F8 imports it (Playground)",
            wc.dir.display()
        ));
        self.playground.use_working_copy(wc.reference());
        self.working_copy = Some(wc);
        self.tab = Tab::Playground;
        self.message_tab = Tab::Playground;
        // The pickers and the playground list the draft from now on.
        if let Err(e) = self.reload() {
            self.error(format!("{e}"));
        }
    }

    fn open_folder_picker(&mut self, dir: PathBuf) {
        self.overlay = Some(Overlay::Picker {
            title: "a bundle folder to open as the working copy".into(),
            items: super::folders::items(&dir, "open"),
            cursor: Cursor::default(),
            pick: Pick::OpenFolder { dir },
        });
    }

    /// F6, F7, F8: the working copy's suite, diff and import.
    fn on_working_copy_action(&mut self, action: Action) {
        let Some(wc) = self.working_copy.clone() else {
            self.error(
                "no working copy is open: O opens a bundle folder (or start with `gavel DIR`)"
                    .into(),
            );
            return;
        };
        match action {
            Action::TestWorkingCopy => self.start(
                JobRequest::TestWorkingCopy { working_copy: wc },
                Tab::Playground,
            ),
            Action::DiffWorkingCopy => {
                let items = super::screens::version_labels(&self.versions);
                if items.is_empty() {
                    self.error("no stored version to diff against".into());
                    return;
                }
                // Start on the newest stored version of the same bundle.
                let start = self
                    .versions
                    .iter()
                    .rposition(|v| v.name == wc.name)
                    .unwrap_or(0);
                let mut cursor = Cursor::default();
                cursor.selected = start;
                self.overlay = Some(Overlay::Picker {
                    title: format!("diff {} against", wc.reference()),
                    items,
                    cursor,
                    pick: Pick::DiffWorkingCopy,
                });
            }
            Action::ImportWorkingCopy => {
                self.overlay = Some(Overlay::Prompt {
                    title: format!("import {} as version", wc.dir.display()),
                    text: wc.suggested_version(&self.store),
                    prompt: Prompt::ImportWorkingCopy,
                });
            }
            _ => {}
        }
    }

    /// The working copy's suite, as a report to scroll: the counts, then
    /// each failure with its message, then every test.
    fn show_suite(&mut self, version: &crate::store::VersionRef, report: &SuiteReport) {
        let s = &report.summary;
        let mut lines = vec![format!(
            "{version}: {} passed, {} failed, {} errors, {} skipped",
            s.pass, s.fail, s.error, s.skip
        )];
        if let Some(c) = &report.coverage {
            lines.push(format!("coverage {:.1}%", c.coverage));
        }
        lines.push(String::new());
        // Failures first: they are why the suite was run again.
        let mut tests: Vec<_> = report.tests.iter().collect();
        tests.sort_by_key(|t| match t.result {
            TestStatus::Fail | TestStatus::Error => 0,
            TestStatus::Skip => 2,
            TestStatus::Pass => 1,
        });
        for t in tests {
            let mark = match t.result {
                TestStatus::Pass => "✓",
                TestStatus::Fail => "✗",
                TestStatus::Error => "!",
                TestStatus::Skip => "-",
            };
            lines.push(format!("{mark} {}:{}  {}", t.file, t.line, t.name));
            let detail = t.error.iter().chain(t.diff.iter()).chain(t.output.iter());
            for text in detail {
                lines.extend(text.lines().map(|l| format!("    {l}")));
            }
        }
        let failed = s.fail + s.error;
        self.say(
            Tab::Playground,
            format!(
                "{version}: {} passed, {failed} failed (nothing recorded: F8 imports it)",
                s.pass
            ),
            if failed == 0 {
                MessageKind::Info
            } else {
                MessageKind::Error
            },
        );
        self.overlay = Some(Overlay::Report {
            title: format!("suite of {version}"),
            lines,
            scroll: 0,
        });
    }

    /// A message of `owner`'s: shown now when it is the tab on screen,
    /// else kept until that tab is shown.
    fn say(&mut self, owner: Tab, m: String, kind: MessageKind) {
        if owner == self.tab {
            self.message = Some((m, kind));
            self.message_tab = owner;
        } else {
            self.pending_messages.insert(owner, (m, kind));
        }
    }

    /// A message for the tab showing now.
    pub fn info(&mut self, m: String) {
        self.message = Some((m, MessageKind::Info));
        self.message_tab = self.tab;
    }

    /// An error for the tab showing now.
    pub fn error(&mut self, m: String) {
        self.message = Some((m, MessageKind::Error));
        self.message_tab = self.tab;
    }
}
