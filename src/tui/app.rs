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
use crate::error::Result;
use crate::store::versions::version_order;
use crate::store::{Store, VersionSummary};

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
        self.first_run = self.versions.is_empty() && !self.store.has_decisions()?;
        let ctx = Ctx {
            store: &self.store,
            versions: &self.versions,
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
                    a @ (Action::Evaluate | Action::SaveCase | Action::PickVersion | Action::Back),
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
            Action::Back if self.cancel_job_of(self.tab) => {}
            other => {
                let ctx = Ctx {
                    store: &self.store,
                    versions: &self.versions,
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
                        if let Some((action, _)) = entries.get(cursor.selected) {
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

    /// The palette's matches: every action of this screen and the global
    /// ones, whose name or description contains the query.
    pub fn palette_entries(&self, query: &str) -> Vec<(Action, String)> {
        let q = query.to_lowercase();
        let scope = self.scope();
        let mut out: Vec<(Action, String)> = Vec::new();
        for (s, action, keys, description) in self.keys.entries() {
            if s != scope && s != Scope::Global {
                continue;
            }
            if matches!(action, Action::Up | Action::Down | Action::Palette) {
                continue;
            }
            let text = format!("{}  {description}  ({keys})", action.name());
            if (q.is_empty() || text.to_lowercase().contains(&q))
                && !out.iter().any(|(a, _)| *a == action)
            {
                out.push((action, text));
            }
        }
        out
    }

    fn on_pick(&mut self, pick: Pick, index: usize, item: String) {
        let ctx = Ctx {
            store: &self.store,
            versions: &self.versions,
        };
        let effects = match &pick {
            Pick::ReplayAgainst { .. } => self.decisions.on_pick(pick, index, &item, &ctx),
            Pick::ImpactAgainst => self.impact.on_pick(pick, index, &item, &ctx),
            Pick::DiffFrom | Pick::DiffTo { .. } => self.diff.on_pick(pick, index, &item, &ctx),
            Pick::PlaygroundVersion => self.playground.on_pick(pick, index, &item, &ctx),
            Pick::CertifyRole { .. } | Pick::ExceptionOutcome { .. } => {
                self.certify.on_pick(pick, index, &item, &ctx)
            }
        };
        self.apply_effects(effects);
    }

    fn on_prompt(&mut self, prompt: Prompt, text: String) {
        let ctx = Ctx {
            store: &self.store,
            versions: &self.versions,
        };
        let effects = match &prompt {
            Prompt::DecisionFilter | Prompt::SaveDecisionCase { .. } => {
                self.decisions.on_prompt(prompt, &text, &ctx)
            }
            Prompt::ImpactFilter => self.impact.on_prompt(prompt, &text, &ctx),
            Prompt::RuleFilter => self.policies.on_prompt(prompt, &text, &ctx),
            Prompt::SavePlaygroundCase => self.playground.on_prompt(prompt, &text, &ctx),
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
                    self.tab = *t;
                    return;
                }
                x += w;
            }
            return;
        }
        let ctx = Ctx {
            store: &self.store,
            versions: &self.versions,
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
                Effect::Message(m) => {
                    self.message = Some((m, MessageKind::Info));
                    self.message_tab = owner;
                }
                Effect::Error(m) => {
                    self.message = Some((m, MessageKind::Error));
                    self.message_tab = owner;
                }
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
        if let Err(error) = &result {
            self.error(error.clone());
        }
        let ctx = Ctx {
            store: &self.store,
            versions: &self.versions,
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
            // The roles still to sign, and the outcomes, come first.
            Pick::CertifyRole { .. } | Pick::ExceptionOutcome { .. } => None,
            Pick::DiffFrom => self
                .current_version
                .and_then(|i| self.versions.get(i))
                .map(|v| v.reference().to_string()),
        };
        label
            .and_then(|l| items.iter().position(|i| *i == l))
            .unwrap_or(0)
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
