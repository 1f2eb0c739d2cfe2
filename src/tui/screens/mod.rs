//! One module per screen. Screens never call each other: they change their
//! own state and return `Effect`s (start a job, open a picker, show a
//! message, open the playground...) that the app carries out, as gitui's
//! queue does.

pub mod certify;
pub mod decisions;
pub mod diff;
pub mod impact;
pub mod playground;
pub mod policies;
pub mod tests;

use serde_json::Value;

use super::jobs::JobRequest;
use crate::store::{Store, VersionRef, VersionSummary};

/// The tabs, in key order `1`..`7`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Tab {
    Policies,
    Tests,
    Decisions,
    Impact,
    Diff,
    Playground,
    Certify,
}

impl Tab {
    pub const ALL: [Tab; 7] = [
        Tab::Policies,
        Tab::Tests,
        Tab::Decisions,
        Tab::Impact,
        Tab::Diff,
        Tab::Playground,
        Tab::Certify,
    ];

    pub fn from_number(n: u8) -> Option<Tab> {
        Tab::ALL.get(usize::from(n).checked_sub(1)?).copied()
    }

    pub fn title(self) -> &'static str {
        match self {
            Tab::Policies => "Policies",
            Tab::Tests => "Tests",
            Tab::Decisions => "Decisions",
            Tab::Impact => "Replay / impact",
            Tab::Diff => "Diff",
            Tab::Playground => "Playground",
            Tab::Certify => "Certify",
        }
    }

    /// The title where the tab bar is short of room.
    pub fn short_title(self) -> &'static str {
        match self {
            Tab::Impact => "Replay",
            other => other.title(),
        }
    }

    /// The tab whose keys a scope holds (none for the global scope).
    pub fn of_scope(scope: super::action::Scope) -> Option<Tab> {
        Tab::ALL.into_iter().find(|t| t.scope() == scope)
    }

    pub fn scope(self) -> super::action::Scope {
        use super::action::Scope;
        match self {
            Tab::Policies => Scope::Policies,
            Tab::Tests => Scope::Tests,
            Tab::Decisions => Scope::Decisions,
            Tab::Impact => Scope::Impact,
            Tab::Diff => Scope::Diff,
            Tab::Playground => Scope::Playground,
            Tab::Certify => Scope::Certify,
        }
    }
}

/// What a screen needs from the app while it handles an action.
pub struct Ctx<'a> {
    pub store: &'a Store,
    /// Every stored version, oldest name first, versions in semver order.
    pub versions: &'a [VersionSummary],
    /// The bundle directory open as a working copy, if any.
    pub working_copy: Option<&'a crate::working_copy::WorkingCopy>,
}

/// Why a picker was opened: its choice goes back to the screen that asked.
#[derive(Debug, Clone, PartialEq)]
pub enum Pick {
    /// Decisions: replay this decision against the chosen version.
    ReplayAgainst {
        decision_id: String,
    },
    /// Replay / impact: the version to replay the filtered decisions under
    /// (the first item is "their own versions").
    ImpactAgainst,
    /// Diff: the first version, then the second.
    DiffFrom,
    DiffTo {
        from: VersionRef,
    },
    /// Playground: the version to evaluate against.
    PlaygroundVersion,
    /// A directory picker: the folder to open as the working copy. The
    /// first item chooses `dir`; the others enter a folder.
    OpenFolder {
        dir: std::path::PathBuf,
    },
    /// A directory picker: the folder to save case `name` into (the
    /// selected decision when `decision_id` is set, else the playground's
    /// input).
    CaseFolder {
        dir: std::path::PathBuf,
        name: String,
        decision_id: Option<String>,
    },
    /// Playground: the stored version to diff the working copy against.
    DiffWorkingCopy,
    /// Certify: the role to sign `version` off as (item `i` is `roles[i]`;
    /// the roles still to sign come first).
    CertifyRole {
        version: VersionRef,
        roles: Vec<String>,
    },
    /// Certify: the decision a new exception is on (item 0 types an id;
    /// item `i` is `ids[i - 1]`).
    ExceptionDecision {
        ids: Vec<String>,
    },
    /// Certify: the outcome a new exception grants (item `i` is
    /// `outcomes[i]`; `None`: the outcome is overridden, none named).
    ExceptionOutcome {
        decision_id: String,
        reason: String,
        owner: String,
        outcomes: Vec<Option<String>>,
    },
}

/// Why a one-line prompt was opened.
#[derive(Debug, Clone, PartialEq)]
pub enum Prompt {
    /// Policies: rules whose name, title or citation contains the text.
    RuleFilter,
    /// Decisions: the filter (`outcome:BLOCK version:N@V path:P since:T until:T text`).
    DecisionFilter,
    /// Decisions: the name of the case the selected decision is saved as
    /// (into the working copy, else a folder picked next).
    DecisionCaseName {
        decision_id: String,
    },
    /// Replay / impact: which decisions (the same filter language).
    ImpactFilter,
    /// Playground: the name of the case the input is saved as.
    PlaygroundCaseName,
    /// Playground: the version the working copy is imported as.
    ImportWorkingCopy,
    /// Certify: after the role is picked (`Pick::CertifyRole`), the signer,
    /// then the statement (empty for none).
    CertifySigner {
        version: VersionRef,
        role: String,
    },
    CertifyStatement {
        version: VersionRef,
        role: String,
        signer: String,
    },
    /// Certify: a new exception's decision, then its reason, then its owner,
    /// then the outcome it grants (`Pick::ExceptionOutcome`), then when it
    /// is due.
    ExceptionDecision,
    ExceptionReason {
        decision_id: String,
    },
    ExceptionOwner {
        decision_id: String,
        reason: String,
    },
    ExceptionDue {
        decision_id: String,
        reason: String,
        owner: String,
        outcome: Option<String>,
    },
    /// Certify: the follow-up note that resolves an exception, then who
    /// resolved it.
    ResolveException {
        id: i64,
    },
    ResolveBy {
        id: i64,
        note: String,
    },
    /// Certify: the file to write the version's certification packet to
    /// (its extension chooses the format).
    PacketPath {
        version: VersionRef,
    },
    /// Certify: the JSONL file to export every stored decision to.
    ExportPath,
}

/// What a screen asks the app to do.
#[derive(Debug, Clone)]
pub enum Effect {
    Message(String),
    Error(String),
    /// Start a job; its result comes back to the screen on the current tab
    /// when it started (see `App::route`).
    Start(JobRequest),
    /// Cancel the screen's running job.
    Cancel(u64),
    OpenPicker {
        title: String,
        items: Vec<String>,
        pick: Pick,
    },
    OpenPrompt {
        title: String,
        initial: String,
        prompt: Prompt,
    },
    /// Open an input in the playground (from a decision or a case).
    OpenPlayground {
        version: Option<VersionRef>,
        input: Value,
        /// Shown with the input: `decision ID`, `case NAME`.
        origin: String,
        /// The stored decision it came from: its recorded time pins
        /// `time.now_ns`, and a saved case keeps its id.
        decision_id: Option<String>,
    },
    /// Reload the version list (after a test run, seeding...).
    ReloadVersions,
    /// Switch to Replay / impact and replay the decisions `filter` selects
    /// under `against` (their own versions when `None`).
    RunImpact {
        filter: crate::store::decisions::DecisionFilter,
        against: Option<VersionRef>,
        label: String,
    },
}

/// The folder picker for saving case `name` (of the selected decision
/// when `decision_id` is set, else of the playground's input), starting at
/// `hint` when it is a folder, else the current directory.
pub fn case_folder_picker(
    hint: Option<&std::path::Path>,
    name: &str,
    decision_id: Option<String>,
) -> Effect {
    let dir = super::folders::start(hint);
    Effect::OpenPicker {
        title: format!("the bundle folder to save \"{name}\" into"),
        items: super::folders::items(&dir, "save into"),
        pick: Pick::CaseFolder {
            dir,
            name: name.to_string(),
            decision_id,
        },
    }
}

/// `NAME@VERSION` labels of the versions, for pickers.
pub fn version_labels(versions: &[VersionSummary]) -> Vec<String> {
    versions.iter().map(|v| v.reference().to_string()).collect()
}

/// A stored version's rule catalog (empty when it is not in the store):
/// explanations take each rule's extent from it.
pub fn rules_of(ctx: &Ctx, version: &VersionRef) -> Vec<crate::store::StoredRule> {
    ctx.versions
        .iter()
        .find(|v| v.name == version.name && v.version == version.version)
        .and_then(|v| ctx.store.rules_of(v.id).ok())
        .unwrap_or_default()
}
