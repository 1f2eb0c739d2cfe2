//! Every user command of the workbench is one `Action`. Keys reach actions
//! through one table that also carries each action's description, so the
//! `?` help, the `:` palette and the status-bar hints all come from it.

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

/// Where a binding applies: everywhere, or in one screen.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Scope {
    Global,
    Policies,
    Tests,
    Decisions,
    Impact,
    Diff,
    Playground,
    Certify,
}

impl Scope {
    pub fn label(self) -> &'static str {
        match self {
            Scope::Global => "everywhere",
            Scope::Policies => "Policies",
            Scope::Tests => "Tests",
            Scope::Decisions => "Decisions",
            Scope::Impact => "Replay / impact",
            Scope::Diff => "Diff",
            Scope::Playground => "Playground",
            Scope::Certify => "Certify",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Action {
    Quit,
    ForceQuit,
    Help,
    Palette,
    GoTab(u8),
    NextPane,
    PrevPane,
    Up,
    Down,
    Top,
    Bottom,
    PageUp,
    PageDown,
    Left,
    Right,
    Select,
    Back,
    Filter,
    Refresh,
    ToggleFold,
    LoadSamples,
    // Policies
    ToggleMatrix,
    // Tests
    RunTests,
    ToggleCoverage,
    // Decisions
    CycleOutcome,
    ReplayOwn,
    ReplayAgainst,
    OpenInPlayground,
    SaveAsCase,
    // Replay / impact
    RunImpact,
    // Diff
    PickVersions,
    ToggleSideBySide,
    DiffImpact,
    // Playground
    Evaluate,
    SaveCase,
    PickVersion,
    // Certify
    Certify,
    AddException,
    ResolveException,
    Zoom,
    // The working copy
    OpenWorkingCopy,
    TestWorkingCopy,
    DiffWorkingCopy,
    ImportWorkingCopy,
    WritePacket,
    ExportDecisions,
    VerifyStore,
}

impl Action {
    /// Whether the action records something in the store (a test run, a
    /// replay, a sign-off, an exception, the samples).
    pub fn writes_store(self) -> bool {
        matches!(
            self,
            Action::LoadSamples
                | Action::RunTests
                | Action::ReplayOwn
                | Action::ReplayAgainst
                | Action::RunImpact
                | Action::DiffImpact
                | Action::Certify
                | Action::AddException
                | Action::ResolveException
                | Action::ImportWorkingCopy
        )
    }

    /// The name used in the palette and in the config file's `[keys]`.
    pub fn name(self) -> String {
        match self {
            Action::GoTab(n) => format!("tab-{n}"),
            other => other.base_name().to_string(),
        }
    }

    fn base_name(self) -> &'static str {
        match self {
            Action::Quit => "quit",
            Action::ForceQuit => "force-quit",
            Action::Help => "help",
            Action::Palette => "palette",
            Action::GoTab(_) => "tab",
            Action::NextPane => "next-pane",
            Action::PrevPane => "prev-pane",
            Action::Up => "up",
            Action::Down => "down",
            Action::Top => "top",
            Action::Bottom => "bottom",
            Action::PageUp => "page-up",
            Action::PageDown => "page-down",
            Action::Left => "left",
            Action::Right => "right",
            Action::Select => "select",
            Action::Back => "back",
            Action::Filter => "filter",
            Action::Refresh => "refresh",
            Action::ToggleFold => "toggle-fold",
            Action::LoadSamples => "load-samples",
            Action::ToggleMatrix => "toggle-matrix",
            Action::RunTests => "run-tests",
            Action::ToggleCoverage => "toggle-coverage",
            Action::CycleOutcome => "cycle-outcome",
            Action::ReplayOwn => "replay",
            Action::ReplayAgainst => "replay-against",
            Action::OpenInPlayground => "open-in-playground",
            Action::SaveAsCase => "save-as-case",
            Action::RunImpact => "run-impact",
            Action::PickVersions => "pick-versions",
            Action::ToggleSideBySide => "toggle-side-by-side",
            Action::DiffImpact => "diff-impact",
            Action::Evaluate => "evaluate",
            Action::SaveCase => "save-case",
            Action::PickVersion => "pick-version",
            Action::Certify => "certify",
            Action::AddException => "add-exception",
            Action::ResolveException => "resolve-exception",
            Action::Zoom => "zoom",
            Action::OpenWorkingCopy => "open-working-copy",
            Action::TestWorkingCopy => "test-working-copy",
            Action::DiffWorkingCopy => "diff-working-copy",
            Action::ImportWorkingCopy => "import-working-copy",
            Action::WritePacket => "packet",
            Action::ExportDecisions => "export-decisions",
            Action::VerifyStore => "verify",
        }
    }

    /// A word or two for the status bar, where space is short.
    pub fn short_label(self) -> &'static str {
        match self {
            Action::Quit => "quit",
            Action::Help => "help",
            Action::Palette => "palette",
            Action::Filter => "filter",
            Action::ToggleMatrix => "matrix",
            Action::RunTests => "run tests",
            Action::ToggleCoverage => "coverage",
            Action::ReplayOwn => "replay",
            Action::ReplayAgainst => "replay against",
            Action::OpenInPlayground => "playground",
            Action::SaveAsCase => "save as case",
            Action::CycleOutcome => "outcome",
            Action::RunImpact => "run replay",
            Action::PickVersions => "versions",
            Action::ToggleSideBySide => "side by side",
            Action::DiffImpact => "impact",
            Action::Evaluate => "evaluate",
            Action::SaveCase => "save case",
            Action::PickVersion => "version",
            Action::Select => "explain",
            Action::LoadSamples => "load samples",
            Action::Certify => "sign off",
            Action::AddException => "add exception",
            Action::ResolveException => "resolve exception",
            Action::OpenWorkingCopy => "open folder",
            Action::TestWorkingCopy => "test draft",
            Action::DiffWorkingCopy => "diff draft",
            Action::ImportWorkingCopy => "import draft",
            Action::WritePacket => "packet",
            Action::ExportDecisions => "export",
            Action::VerifyStore => "verify",
            other => other.base_name(),
        }
    }

    pub fn from_name(name: &str) -> Option<Action> {
        if let Some(n) = name.strip_prefix("tab-") {
            return n
                .parse()
                .ok()
                .filter(|n| (1..=7).contains(n))
                .map(Action::GoTab);
        }
        DEFAULT_BINDINGS
            .iter()
            .map(|b| b.action)
            .find(|a| a.base_name() == name)
    }
}

/// A key as the table holds it: a code and its modifiers (Shift is folded
/// into the character for printable keys, as terminals send them).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Key {
    pub code: KeyCode,
    pub mods: KeyModifiers,
}

impl Key {
    pub const fn plain(code: KeyCode) -> Key {
        Key {
            code,
            mods: KeyModifiers::NONE,
        }
    }

    pub const fn ch(c: char) -> Key {
        Key::plain(KeyCode::Char(c))
    }

    pub const fn ctrl(c: char) -> Key {
        Key {
            code: KeyCode::Char(c),
            mods: KeyModifiers::CONTROL,
        }
    }

    pub fn from_event(e: &KeyEvent) -> Key {
        let mut mods = e.modifiers & (KeyModifiers::CONTROL | KeyModifiers::ALT);
        let code = match e.code {
            KeyCode::BackTab => {
                mods |= KeyModifiers::SHIFT;
                KeyCode::BackTab
            }
            KeyCode::Char(c) if mods.contains(KeyModifiers::CONTROL) => {
                KeyCode::Char(c.to_ascii_lowercase())
            }
            other => other,
        };
        Key {
            code,
            mods: mods & !KeyModifiers::SHIFT,
        }
    }

    /// `ctrl-s`, `G`, `f5`, `pgdn`, `shift-tab`, `esc`, `/`.
    pub fn parse(s: &str) -> Option<Key> {
        let mut mods = KeyModifiers::NONE;
        let mut rest = s;
        loop {
            let lower = rest.to_ascii_lowercase();
            if let Some(r) = lower.strip_prefix("ctrl-") {
                mods |= KeyModifiers::CONTROL;
                rest = &rest[rest.len() - r.len()..];
            } else if let Some(r) = lower.strip_prefix("alt-") {
                mods |= KeyModifiers::ALT;
                rest = &rest[rest.len() - r.len()..];
            } else {
                break;
            }
        }
        let code = match rest.to_ascii_lowercase().as_str() {
            "esc" => KeyCode::Esc,
            "enter" => KeyCode::Enter,
            "tab" => KeyCode::Tab,
            "shift-tab" | "backtab" => KeyCode::BackTab,
            "space" => KeyCode::Char(' '),
            "up" => KeyCode::Up,
            "down" => KeyCode::Down,
            "left" => KeyCode::Left,
            "right" => KeyCode::Right,
            "home" => KeyCode::Home,
            "end" => KeyCode::End,
            "pgup" | "pageup" => KeyCode::PageUp,
            "pgdn" | "pagedown" => KeyCode::PageDown,
            f if f.len() > 1 && f.starts_with('f') => KeyCode::F(f[1..].parse().ok()?),
            _ => {
                let mut chars = rest.chars();
                let c = chars.next()?;
                if chars.next().is_some() {
                    return None;
                }
                if mods.contains(KeyModifiers::CONTROL) {
                    KeyCode::Char(c.to_ascii_lowercase())
                } else {
                    KeyCode::Char(c)
                }
            }
        };
        Some(Key { code, mods })
    }

    pub fn label(&self) -> String {
        let mut s = String::new();
        if self.mods.contains(KeyModifiers::CONTROL) {
            s.push_str("Ctrl-");
        }
        if self.mods.contains(KeyModifiers::ALT) {
            s.push_str("Alt-");
        }
        match self.code {
            KeyCode::Char(' ') => s.push_str("Space"),
            KeyCode::Char(c) if self.mods.contains(KeyModifiers::CONTROL) => {
                s.push(c.to_ascii_uppercase())
            }
            KeyCode::Char(c) => s.push(c),
            KeyCode::Esc => s.push_str("Esc"),
            KeyCode::Enter => s.push_str("Enter"),
            KeyCode::Tab => s.push_str("Tab"),
            KeyCode::BackTab => s.push_str("Shift-Tab"),
            KeyCode::Up => s.push('↑'),
            KeyCode::Down => s.push('↓'),
            KeyCode::Left => s.push('←'),
            KeyCode::Right => s.push('→'),
            KeyCode::Home => s.push_str("Home"),
            KeyCode::End => s.push_str("End"),
            KeyCode::PageUp => s.push_str("PgUp"),
            KeyCode::PageDown => s.push_str("PgDn"),
            KeyCode::F(n) => s.push_str(&format!("F{n}")),
            other => s.push_str(&format!("{other:?}")),
        }
        s
    }
}

/// One row of the key table.
#[derive(Debug, Clone, Copy)]
pub struct Binding {
    pub key: Key,
    pub action: Action,
    pub scope: Scope,
    pub description: &'static str,
    /// Shown in the status bar's hints for its scope.
    pub hint: bool,
}

const fn b(key: Key, action: Action, scope: Scope, description: &'static str) -> Binding {
    Binding {
        key,
        action,
        scope,
        description,
        hint: false,
    }
}

const fn h(key: Key, action: Action, scope: Scope, description: &'static str) -> Binding {
    Binding {
        key,
        action,
        scope,
        description,
        hint: true,
    }
}

use Scope::{Certify, Decisions, Diff, Global, Impact, Playground, Policies, Tests};

/// The default key table. Screen scopes come first: a screen's binding wins
/// over a global one on the same key.
pub const DEFAULT_BINDINGS: &[Binding] = &[
    // Policies
    h(
        Key::ch('m'),
        Action::ToggleMatrix,
        Policies,
        "toggle the regulation mapping matrix",
    ),
    h(
        Key::ch('/'),
        Action::Filter,
        Policies,
        "filter (search) rules by name, title or citation",
    ),
    // Tests
    h(
        Key::ch('r'),
        Action::RunTests,
        Tests,
        "run the suite of the selected version",
    ),
    h(
        Key::ch('c'),
        Action::ToggleCoverage,
        Tests,
        "toggle the coverage view",
    ),
    h(
        Key::ch('e'),
        Action::OpenInPlayground,
        Tests,
        "open the selected case in the playground",
    ),
    // Decisions
    h(
        Key::ch('r'),
        Action::ReplayOwn,
        Decisions,
        "replay under its own version",
    ),
    h(
        Key::ch('a'),
        Action::ReplayAgainst,
        Decisions,
        "replay against a chosen version",
    ),
    h(
        Key::ch('e'),
        Action::OpenInPlayground,
        Decisions,
        "open the input in the playground",
    ),
    h(
        Key::ch('s'),
        Action::SaveAsCase,
        Decisions,
        "save as a regression case",
    ),
    h(
        Key::ch('x'),
        Action::AddException,
        Decisions,
        "log an exception on the selected decision (reason, owner)",
    ),
    h(
        Key::plain(KeyCode::Enter),
        Action::Select,
        Decisions,
        "explain: evaluate the cited rules' outcomes under its version",
    ),
    h(
        Key::ch('o'),
        Action::CycleOutcome,
        Decisions,
        "cycle the outcome filter",
    ),
    h(
        Key::ch('/'),
        Action::Filter,
        Decisions,
        "filter (search) decisions: outcome:, version:, path:, since:, until:, text",
    ),
    // Replay / impact
    h(
        Key::ch('r'),
        Action::RunImpact,
        Impact,
        "choose a version and replay the filtered decisions",
    ),
    h(
        Key::ch('/'),
        Action::Filter,
        Impact,
        "which decisions to replay (the Decisions filter)",
    ),
    // Diff
    h(
        Key::ch('v'),
        Action::PickVersions,
        Diff,
        "pick the two versions",
    ),
    h(
        Key::ch('s'),
        Action::ToggleSideBySide,
        Diff,
        "side-by-side or unified",
    ),
    h(
        Key::ch('i'),
        Action::DiffImpact,
        Diff,
        "impact: replay the first version's decisions under the second",
    ),
    // Playground
    h(
        Key::ctrl('s'),
        Action::Evaluate,
        Playground,
        "evaluate the input",
    ),
    b(
        Key::plain(KeyCode::F(5)),
        Action::Evaluate,
        Playground,
        "evaluate the input",
    ),
    h(
        Key::ctrl('t'),
        Action::SaveCase,
        Playground,
        "save the input and outcome as a case file",
    ),
    h(
        Key::ctrl('v'),
        Action::PickVersion,
        Playground,
        "choose the version to evaluate against",
    ),
    h(
        Key::plain(KeyCode::F(6)),
        Action::TestWorkingCopy,
        Playground,
        "run the working copy's suite as its files are now",
    ),
    h(
        Key::plain(KeyCode::F(7)),
        Action::DiffWorkingCopy,
        Playground,
        "diff the working copy against a stored version",
    ),
    h(
        Key::plain(KeyCode::F(8)),
        Action::ImportWorkingCopy,
        Playground,
        "import the working copy as a new version",
    ),
    // Certify
    h(
        Key::ch('c'),
        Action::Certify,
        Certify,
        "sign off the selected version as a role (role, signer, statement)",
    ),
    h(
        Key::ch('x'),
        Action::AddException,
        Certify,
        "log an exception on a decision (decision id, reason, owner, outcome, due)",
    ),
    h(
        Key::ch('v'),
        Action::ResolveException,
        Certify,
        "resolve the selected exception (follow-up note, who resolved it)",
    ),
    b(
        Key::plain(KeyCode::Enter),
        Action::Select,
        Certify,
        "next pane; on an exception: show it in full",
    ),
    b(
        Key::ch('p'),
        Action::WritePacket,
        Certify,
        "write the selected version's certification packet to a file (.md, .html, .json)",
    ),
    b(
        Key::ch('e'),
        Action::ExportDecisions,
        Certify,
        "export every stored decision to a JSONL file (OPA decision-log events)",
    ),
    b(
        Key::ch('V'),
        Action::VerifyStore,
        Certify,
        "verify the store: log chain, checkpoints, sign-offs, version hashes",
    ),
    // Everywhere
    b(Key::ctrl('c'), Action::ForceQuit, Global, "quit at once"),
    h(Key::ch('q'), Action::Quit, Global, "quit"),
    h(Key::ch('?'), Action::Help, Global, "keys and actions"),
    h(Key::ch(':'), Action::Palette, Global, "command palette"),
    b(
        Key::ch('z'),
        Action::Zoom,
        Global,
        "zoom: the focused pane takes the whole screen (z again restores)",
    ),
    b(
        Key::ch('O'),
        Action::OpenWorkingCopy,
        Global,
        "open a bundle folder as the working copy (a draft)",
    ),
    b(Key::ctrl('p'), Action::Palette, Global, "command palette"),
    b(Key::ch('1'), Action::GoTab(1), Global, "Policies"),
    b(Key::ch('2'), Action::GoTab(2), Global, "Tests"),
    b(Key::ch('3'), Action::GoTab(3), Global, "Decisions"),
    b(Key::ch('4'), Action::GoTab(4), Global, "Replay / impact"),
    b(Key::ch('5'), Action::GoTab(5), Global, "Diff"),
    b(Key::ch('6'), Action::GoTab(6), Global, "Playground"),
    b(Key::ch('7'), Action::GoTab(7), Global, "Certify"),
    b(
        Key::plain(KeyCode::Tab),
        Action::NextPane,
        Global,
        "next pane",
    ),
    b(
        Key::plain(KeyCode::BackTab),
        Action::PrevPane,
        Global,
        "previous pane",
    ),
    b(Key::ch('k'), Action::Up, Global, "up"),
    b(Key::plain(KeyCode::Up), Action::Up, Global, "up"),
    b(Key::ch('j'), Action::Down, Global, "down"),
    b(Key::plain(KeyCode::Down), Action::Down, Global, "down"),
    b(Key::ch('h'), Action::Left, Global, "left / fold"),
    b(
        Key::plain(KeyCode::Left),
        Action::Left,
        Global,
        "left / fold",
    ),
    b(Key::ch('l'), Action::Right, Global, "right / unfold"),
    b(
        Key::plain(KeyCode::Right),
        Action::Right,
        Global,
        "right / unfold",
    ),
    b(Key::ch('g'), Action::Top, Global, "first row"),
    b(Key::plain(KeyCode::Home), Action::Top, Global, "first row"),
    b(Key::ch('G'), Action::Bottom, Global, "last row"),
    b(Key::plain(KeyCode::End), Action::Bottom, Global, "last row"),
    b(
        Key::plain(KeyCode::PageUp),
        Action::PageUp,
        Global,
        "page up",
    ),
    b(Key::ctrl('u'), Action::PageUp, Global, "page up"),
    b(
        Key::plain(KeyCode::PageDown),
        Action::PageDown,
        Global,
        "page down",
    ),
    b(Key::ctrl('d'), Action::PageDown, Global, "page down"),
    b(
        Key::plain(KeyCode::Enter),
        Action::Select,
        Global,
        "open / select",
    ),
    b(
        Key::plain(KeyCode::Esc),
        Action::Back,
        Global,
        "back out / cancel",
    ),
    b(Key::ch('/'), Action::Filter, Global, "filter"),
    b(
        Key::ctrl('r'),
        Action::Refresh,
        Global,
        "reload from the store",
    ),
    b(
        Key::ch(' '),
        Action::ToggleFold,
        Global,
        "fold / unfold the JSON node",
    ),
    b(
        Key::ch('L'),
        Action::LoadSamples,
        Global,
        "load the bundled sample regimes",
    ),
];

/// The key table in force: the defaults with the user's overrides.
#[derive(Debug, Clone)]
pub struct KeyMap {
    pub bindings: Vec<Binding>,
}

impl Default for KeyMap {
    fn default() -> Self {
        KeyMap {
            bindings: DEFAULT_BINDINGS.to_vec(),
        }
    }
}

impl KeyMap {
    /// Applies `action-name = "key"` overrides: the new key replaces every
    /// default key of that action in its scopes. Returns what it could not
    /// read.
    pub fn with_overrides<'a>(
        mut self,
        overrides: impl IntoIterator<Item = (&'a str, &'a str)>,
    ) -> (KeyMap, Vec<String>) {
        let mut problems = Vec::new();
        for (name, key) in overrides {
            let Some(action) = Action::from_name(name) else {
                problems.push(format!("[keys] {name}: no such action"));
                continue;
            };
            let Some(key) = Key::parse(key) else {
                problems.push(format!("[keys] {name}: cannot read key '{key}'"));
                continue;
            };
            let scopes: Vec<Scope> = self
                .bindings
                .iter()
                .filter(|b| b.action == action)
                .map(|b| b.scope)
                .collect();
            let Some(first) = self.bindings.iter().position(|b| b.action == action) else {
                continue;
            };
            let template = self.bindings[first];
            self.bindings.retain(|b| b.action != action);
            let mut seen = Vec::new();
            for scope in scopes {
                if seen.contains(&scope) {
                    continue;
                }
                seen.push(scope);
                // The override goes first so it wins over any default on that key.
                self.bindings.insert(
                    0,
                    Binding {
                        key,
                        scope,
                        ..template
                    },
                );
            }
        }
        (self, problems)
    }

    /// The action of a key in a screen: the screen's binding, else a global one.
    pub fn action(&self, key: Key, scope: Scope) -> Option<Action> {
        self.bindings
            .iter()
            .find(|b| b.key == key && b.scope == scope)
            .or_else(|| {
                self.bindings
                    .iter()
                    .find(|b| b.key == key && b.scope == Scope::Global)
            })
            .map(|b| b.action)
    }

    /// The keys of an action, as the help shows them (`r`, `Ctrl-S / F5`).
    pub fn keys_of(&self, action: Action, scope: Scope) -> String {
        let keys: Vec<String> = self
            .bindings
            .iter()
            .filter(|b| b.action == action && (b.scope == scope || b.scope == Scope::Global))
            .map(|b| b.key.label())
            .fold(Vec::new(), |mut seen: Vec<String>, k| {
                if !seen.contains(&k) {
                    seen.push(k);
                }
                seen
            });
        keys.join(" / ")
    }

    /// One entry per action and scope, for the help and the palette.
    pub fn entries(&self) -> Vec<(Scope, Action, String, &'static str)> {
        let mut out: Vec<(Scope, Action, String, &'static str)> = Vec::new();
        for b in &self.bindings {
            if let Some(e) = out
                .iter_mut()
                .find(|(s, a, _, _)| *s == b.scope && *a == b.action)
            {
                e.2.push_str(" / ");
                e.2.push_str(&b.key.label());
            } else {
                out.push((b.scope, b.action, b.key.label(), b.description));
            }
        }
        out
    }

    /// The same map without the actions that write to the store (for a
    /// read-only store).
    pub fn without_writes(mut self) -> KeyMap {
        self.bindings.retain(|b| !b.action.writes_store());
        self
    }

    /// The status bar's hints for a screen: each hinted action once, with
    /// its short label.
    pub fn hints(&self, scope: Scope) -> Vec<(String, &'static str)> {
        let mut out: Vec<(String, &'static str)> = Vec::new();
        for b in self.bindings.iter().filter(|b| b.hint && b.scope == scope) {
            let label = b.action.short_label();
            if !out.iter().any(|(_, d)| *d == label) {
                out.push((b.key.label(), label));
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn screen_binding_wins_over_global() {
        let keys = KeyMap::default();
        assert_eq!(
            keys.action(Key::ch('r'), Scope::Decisions),
            Some(Action::ReplayOwn)
        );
        assert_eq!(
            keys.action(Key::ch('r'), Scope::Tests),
            Some(Action::RunTests)
        );
        assert_eq!(keys.action(Key::ch('j'), Scope::Tests), Some(Action::Down));
        assert_eq!(keys.action(Key::ch('x'), Scope::Tests), None);
    }

    #[test]
    fn overrides_replace_the_default_key() {
        let (keys, problems) =
            KeyMap::default().with_overrides([("replay", "R"), ("nope", "x"), ("quit", "ctrl-")]);
        assert_eq!(
            keys.action(Key::ch('R'), Scope::Decisions),
            Some(Action::ReplayOwn)
        );
        assert_eq!(keys.action(Key::ch('r'), Scope::Decisions), None);
        assert_eq!(problems.len(), 2, "{problems:?}");
    }

    #[test]
    fn the_auditors_actions_stay_on_a_read_only_store() {
        let keys = KeyMap::default().without_writes();
        for (key, action) in [
            ('p', Action::WritePacket),
            ('e', Action::ExportDecisions),
            ('V', Action::VerifyStore),
        ] {
            assert_eq!(keys.action(Key::ch(key), Scope::Certify), Some(action));
        }
        assert_eq!(keys.action(Key::ch('c'), Scope::Certify), None);
    }

    #[test]
    fn keys_parse_and_print() {
        assert_eq!(Key::parse("ctrl-s"), Some(Key::ctrl('s')));
        assert_eq!(Key::parse("Ctrl-S"), Some(Key::ctrl('s')));
        assert_eq!(Key::parse("G"), Some(Key::ch('G')));
        assert_eq!(Key::parse("f5"), Some(Key::plain(KeyCode::F(5))));
        assert_eq!(Key::ctrl('p').label(), "Ctrl-P");
        for name in [
            "tab-3",
            "tab-7",
            "replay",
            "evaluate",
            "certify",
            "resolve-exception",
            "packet",
            "export-decisions",
            "verify",
        ] {
            assert_eq!(
                Action::from_name(name).map(Action::name).as_deref(),
                Some(name)
            );
        }
    }
}
