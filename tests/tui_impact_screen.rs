//! Tab 4, Replay / impact: key sequences in, state out (an impact of one
//! version on another's decisions, the side-by-side view of one changed
//! decision, an audit under the decisions' own versions, cancelling, the
//! filter, a run asked by the Diff screen, an empty store), and snapshots
//! of the screen in its main states at 120x40 and 80x24.

mod tui_support;

use std::path::Path;

use gavel::replay::Verdict;
use gavel::store::decisions::DecisionFilter;
use gavel::tui::app::{App, MessageKind};
use gavel::tui::screens::{Effect, Tab};
use tui_support::*;

/// The seeded workbench on tab 4, its start-up work (counting decisions)
/// done, so only the jobs a test starts are running.
fn impact_app(dir: &Path) -> App {
    let mut app = seeded_app(dir);
    settle(&mut app);
    press(&mut app, "4");
    app
}

/// Sets the filter through `/`.
fn filter(app: &mut App, text: &str) {
    press(app, "/");
    // Clear what the prompt starts with.
    for _ in 0..80 {
        press(app, "<bs>");
    }
    press(app, text);
    press(app, "<enter>");
    // The count of what it selects comes back from a worker.
    settle(app);
}

/// `r`, then picks `against` (`None`: each decision's own version).
fn replay(app: &mut App, against: Option<&str>) {
    press(app, "r");
    let index = match against {
        None => 0,
        Some(label) => {
            1 + app
                .versions
                .iter()
                .position(|v| v.reference().to_string() == label)
                .unwrap_or_else(|| panic!("{label} is not in the store"))
        }
    };
    for _ in 0..index {
        press(app, "j");
    }
    press(app, "<enter>");
}

fn version_id(app: &App, label: &str) -> i64 {
    app.versions
        .iter()
        .find(|v| v.reference().to_string() == label)
        .unwrap()
        .id
}

/// Snapshot settings: durations masked (the report says how long it took).
macro_rules! masked {
    ($($body:tt)*) => {
        insta::with_settings!({filters => vec![
            (r"[ \t]*\b\d+(\.\d+)?\s?(ms|µs|s)\b[ \t]*", " [dur] "),
        ]}, { $($body)* })
    };
}

/// The impact screen alone (see `draw_alone`).
fn draw_screen(app: &App, w: u16, h: u16) -> (String, usize) {
    draw_alone(app, w, h, |f, area, view| app.impact.draw(f, area, view))
}

#[test]
fn impact_of_a_new_version_on_the_old_ones_decisions() {
    let dir = tempfile::tempdir().unwrap();
    let mut app = impact_app(dir.path());
    filter(&mut app, "version:gfr-procurement@1.0.0");
    settle(&mut app);
    assert_eq!(
        app.impact.filter().version_id,
        Some(version_id(&app, "gfr-procurement@1.0.0"))
    );
    let screen = render(&app, 120, 40);
    assert!(
        screen.contains("decisions: version:gfr-procurement@1.0.0  (150 match)"),
        "{screen}"
    );
    replay(&mut app, Some("gfr-procurement@1.1.0"));
    assert!(app.impact.running());
    let screen = render(&app, 120, 40);
    assert!(
        screen.contains("replaying version:gfr-procurement@1.0.0 against gfr-procurement@1.1.0")
            && screen.contains("(Esc cancels)"),
        "a gauge while it runs: {screen}"
    );
    settle(&mut app);
    assert!(!app.impact.running());
    let report = app.impact.report().expect("a report");
    assert_eq!(report.replayed, 150);
    assert_eq!(
        report.against.as_ref().map(|a| a.to_string()).as_deref(),
        Some("gfr-procurement@1.1.0")
    );
    let changed_cells: Vec<(&String, &String, u64)> = report
        .transitions
        .iter()
        .flat_map(|(from, row)| row.iter().map(move |(to, n)| (from, to, *n)))
        .filter(|(from, to, n)| from != to && *n > 0)
        .collect();
    assert!(!changed_cells.is_empty(), "{:?}", report.transitions);
    let changed = report.count(Verdict::Changed);
    assert!(changed > 0);
    assert_eq!(
        report.count(Verdict::Changed) + report.count(Verdict::Unchanged),
        150
    );
    assert_eq!(app.impact.changes().len() as u64, changed);
    assert!(app.impact.changes().iter().all(|c| c.verdict == "CHANGED"));
    assert!(!report.rules.is_empty(), "the rules behind the changes");
    assert!(!app.impact.cancelled());
    let screen = render(&app, 120, 40);
    for text in [
        &format!("▲ CHANGED {changed}"),
        "transitions: rows original, columns replayed (* changed)",
        "rules behind the changes",
        "outcomes: ▒ before, █ after",
        &format!("changed decisions ({changed})"),
        &format!("{}*", changed_cells[0].2),
        "GFR 2017 Rule",
    ] {
        assert!(screen.contains(text), "{text}: {screen}");
    }
    // The matrix reads at 80 columns too, with its stars.
    let narrow = render(&app, 80, 24);
    assert!(
        narrow.contains("APPROVE  APPROVE_WITH_AUDIT  BLOCK  ESCALATE"),
        "{narrow}"
    );
    assert!(narrow.contains('*'), "{narrow}");
}

#[test]
fn enter_on_a_changed_decision_shows_both_results_side_by_side() {
    let dir = tempfile::tempdir().unwrap();
    let mut app = impact_app(dir.path());
    filter(&mut app, "version:gfr-procurement@1.0.0");
    replay(&mut app, Some("gfr-procurement@1.1.0"));
    settle(&mut app);
    press(&mut app, "j");
    let change = app.impact.changes()[1].clone();
    press(&mut app, "<enter>");
    assert_eq!(app.impact.comparing(), Some(change.decision_id.as_str()));
    settle(&mut app);
    let r = app.impact.compared().expect("the replayed side");
    assert_eq!(r.decision_id, change.decision_id);
    assert_eq!(r.verdict, Verdict::Changed);
    assert_eq!(r.original_outcome, change.original);
    assert_eq!(r.replayed_outcome, change.replayed);
    assert!(r.replayed_result.is_some());
    assert!(r.diff.is_some());
    let (_, original) = app
        .store
        .get_decision(&change.decision_id)
        .unwrap()
        .unwrap();
    assert_ne!(original.result(), r.replayed_result.as_ref());
    let screen = render(&app, 120, 40);
    for text in [
        change.decision_id.as_str(),
        &format!(
            "original result: {} {}",
            gavel::tui::theme::outcome_glyph(&r.original_outcome),
            r.original_outcome
        ),
        "replayed result:",
        "rule changes and diff",
        "diff (- original, + replayed):",
        "replayed under gfr-procurement@1.1.0, made with gfr-procurement@1.0.0",
    ] {
        assert!(screen.contains(text), "{text}: {screen}");
    }
    if !r.rule_changes.is_empty() {
        assert!(
            screen.contains("cited rules that fire differently"),
            "{screen}"
        );
        assert!(screen.contains(&r.rule_changes[0].rule), "{screen}");
    }
    // Tab to the replayed side and fold it; Tab to the changes and scroll.
    press(&mut app, "<tab><space><tab>jjj");
    render(&app, 80, 24);
    press(&mut app, "<esc>");
    assert_eq!(app.impact.comparing(), None, "Esc goes back to the report");
    assert!(app.impact.report().is_some());
}

#[test]
fn under_their_own_versions_every_sample_decision_is_deterministic() {
    let dir = tempfile::tempdir().unwrap();
    let mut app = impact_app(dir.path());
    replay(&mut app, None);
    settle(&mut app);
    let report = app.impact.report().expect("a report");
    assert_eq!(report.replayed, 1500);
    assert_eq!(report.count(Verdict::Deterministic), 1500);
    assert_eq!(report.against, None);
    assert!(
        report
            .transitions
            .iter()
            .all(|(from, row)| row.keys().all(|to| to == from))
    );
    assert!(app.impact.changes().is_empty());
    let screen = render(&app, 120, 40);
    assert!(
        screen.contains("✓ DETERMINISTIC 1500  ✗ DIVERGED 0  ! ERROR 0"),
        "{screen}"
    );
    assert!(
        screen.contains("every decision replayed to the same result under its own version")
            || screen.contains("every decision replayed to the same result under"),
        "{screen}"
    );
    assert!(!screen.contains('*') || !screen.contains("1*"), "{screen}");
    // Enter on an empty list does nothing.
    press(&mut app, "<enter>");
    assert_eq!(app.impact.comparing(), None);
}

#[test]
fn esc_cancels_a_batch_replay() {
    let dir = tempfile::tempdir().unwrap();
    let mut app = impact_app(dir.path());
    replay(&mut app, None);
    press(&mut app, "<esc>");
    settle(&mut app);
    assert!(!app.impact.running());
    let report = app.impact.report().expect("the part that ran");
    assert!(report.replayed < 1500, "{}", report.replayed);
    assert!(app.impact.cancelled());
    let screen = render(&app, 120, 40);
    assert!(screen.contains("cancelled: 1500 selected"), "{screen}");
    // It can run again.
    replay(&mut app, Some("gfr-procurement@2.0.0"));
    settle(&mut app);
    assert_eq!(app.impact.report().unwrap().replayed, 1500);
    assert!(!app.impact.cancelled());
}

#[test]
fn a_bad_filter_is_refused_and_says_why() {
    let dir = tempfile::tempdir().unwrap();
    let mut app = impact_app(dir.path());
    filter(&mut app, "version:nope@1.0.0");
    let (msg, kind) = app.message.clone().unwrap();
    assert_eq!(kind, MessageKind::Error);
    assert!(msg.contains("no such version"), "{msg}");
    assert_eq!(app.impact.filter().version_id, None);
    filter(&mut app, "since:yesterday");
    assert!(app.message.as_ref().unwrap().0.contains("since:yesterday"));
    // A filter that matches nothing: r says there is nothing to replay.
    filter(&mut app, "outcome:NOPE");
    settle(&mut app);
    assert!(
        app.message
            .as_ref()
            .unwrap()
            .0
            .starts_with("0 decisions match")
    );
    press(&mut app, "r");
    assert!(app.overlay.is_none(), "no picker");
    let (msg, kind) = app.message.clone().unwrap();
    assert_eq!(kind, MessageKind::Error);
    assert!(msg.contains("nothing to replay"), "{msg}");
}

#[test]
fn the_diff_screen_can_ask_for_an_impact() {
    let dir = tempfile::tempdir().unwrap();
    let mut app = seeded_app(dir.path());
    settle(&mut app);
    let from = version_id(&app, "dpdp-consent@1.0.0");
    let against = gavel::store::VersionRef::parse("dpdp-consent@2.0.0").unwrap();
    app.apply_effects(vec![Effect::RunImpact {
        filter: DecisionFilter {
            version_id: Some(from),
            ..DecisionFilter::default()
        },
        against: Some(against),
        label: "dpdp-consent@1.0.0 -> dpdp-consent@2.0.0".into(),
    }]);
    assert_eq!(app.tab, Tab::Impact);
    assert!(app.impact.running());
    settle(&mut app);
    let report = app.impact.report().expect("a report");
    assert!(report.replayed > 0);
    let screen = render(&app, 120, 40);
    assert!(
        screen.contains("decisions: version:dpdp-consent@1.0.0"),
        "the filter written out: {screen}"
    );
    assert!(
        screen.contains("report: dpdp-consent@1.0.0 -> dpdp-consent@2.0.0"),
        "{screen}"
    );
    // `/` starts from the same filter, written out.
    press(&mut app, "/");
    match &app.overlay {
        Some(gavel::tui::app::Overlay::Prompt { text, .. }) => {
            assert_eq!(text, "version:dpdp-consent@1.0.0")
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn empty_store_does_not_panic() {
    let dir = tempfile::tempdir().unwrap();
    let mut app = empty_app(dir.path());
    settle(&mut app);
    press(&mut app, "4");
    for keys in ["jkgG", "<enter>", "<tab><tab>", "<esc>", "<space>"] {
        press(&mut app, keys);
        settle(&mut app);
        for (w, h) in [(120, 40), (80, 24)] {
            render(&app, w, h);
            let (screen, swept) = draw_screen(&app, w, h);
            assert_eq!(swept, 0);
            assert!(screen.contains("Replay stored decisions"), "{screen}");
        }
    }
    press(&mut app, "r");
    let (msg, kind) = app.message.clone().unwrap();
    assert_eq!(kind, MessageKind::Error);
    assert!(msg.contains("nothing to replay"), "{msg}");
    filter(&mut app, "outcome:BLOCK");
    settle(&mut app);
    let (screen, _) = draw_screen(&app, 80, 24);
    assert!(screen.contains("outcome:BLOCK  (0 match)"), "{screen}");
}

#[test]
fn snapshots_of_the_intro_and_a_report() {
    let dir = tempfile::tempdir().unwrap();
    let mut app = impact_app(dir.path());
    press(&mut app, "j");
    settle(&mut app);
    masked! {
        insta::assert_snapshot!("impact_intro_120x40", render(&app, 120, 40));
        insta::assert_snapshot!("impact_intro_80x24", render(&app, 80, 24));
    }
    filter(&mut app, "version:gfr-procurement@1.0.0");
    settle(&mut app);
    replay(&mut app, Some("gfr-procurement@1.1.0"));
    // Before the first progress report arrives: the gauge at its start.
    masked! {
        insta::assert_snapshot!("impact_running_120x40", render(&app, 120, 40));
        insta::assert_snapshot!("impact_running_80x24", render(&app, 80, 24));
    }
    settle(&mut app);
    masked! {
        insta::assert_snapshot!("impact_report_120x40", render(&app, 120, 40));
        insta::assert_snapshot!("impact_report_80x24", render(&app, 80, 24));
    }
    // Narrow: Tab puts the rules behind the changes beside the list.
    press(&mut app, "<tab>");
    masked! {
        insta::assert_snapshot!("impact_report_rules_80x24", render(&app, 80, 24));
    }
    press(&mut app, "<tab><enter>");
    settle(&mut app);
    masked! {
        insta::assert_snapshot!("impact_compare_120x40", render(&app, 120, 40));
        insta::assert_snapshot!("impact_compare_80x24", render(&app, 80, 24));
    }
}

#[test]
fn snapshots_of_an_audit_under_own_versions() {
    let dir = tempfile::tempdir().unwrap();
    let mut app = impact_app(dir.path());
    filter(&mut app, "version:dpdp-consent@1.1.0");
    replay(&mut app, None);
    settle(&mut app);
    masked! {
        insta::assert_snapshot!("impact_audit_120x40", render(&app, 120, 40));
        insta::assert_snapshot!("impact_audit_80x24", render(&app, 80, 24));
    }
}

#[test]
fn hostile_decision_text_is_escaped() {
    let dir = tempfile::tempdir().unwrap();
    let mut app = impact_app(dir.path());
    // A recorded decision whose id and outcome carry terminal controls: it
    // diverges on replay, so it reaches the matrix, the list and the
    // side-by-side view.
    let first = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("sample-decisions/gfr-procurement.jsonl"),
    )
    .unwrap()
    .lines()
    .next()
    .unwrap()
    .to_string();
    let mut event: serde_json::Value = serde_json::from_str(&first).unwrap();
    event["decision_id"] = "evil-\u{1b}]0;pwn\u{7}-\u{202e}1".into();
    event["result"] = serde_json::json!({"outcome": "APPROVE\u{1b}[2J", "reasons": []});
    let line = serde_json::to_string(&event).unwrap() + "\n";
    let summary = gavel::decision_import::import_decisions(
        &mut app.store,
        std::io::Cursor::new(line.into_bytes()),
        gavel::decision_import::ImportHooks {
            progress: &mut |_, _| {},
            rejected: &mut |e| panic!("rejected: {e:?}"),
        },
    )
    .unwrap();
    assert_eq!(summary.imported, 1);
    filter(&mut app, "evil");
    replay(&mut app, None);
    settle(&mut app);
    let report = app.impact.report().unwrap();
    assert_eq!(report.replayed, 1);
    assert_eq!(report.count(Verdict::Diverged), 1);
    for (w, h) in [(120, 40), (80, 24)] {
        let (screen, swept) = draw_screen(&app, w, h);
        assert_eq!(swept, 0, "{screen}");
        assert!(screen.contains("APPROVE^[[2J"), "{screen}");
    }
    press(&mut app, "<enter>");
    settle(&mut app);
    assert!(app.impact.compared().is_some());
    for (w, h) in [(120, 40), (80, 24)] {
        let (screen, swept) = draw_screen(&app, w, h);
        assert_eq!(swept, 0, "{screen}");
        assert!(screen.contains("evil-^[]0;pwn^G-<U+202E>1"), "{screen}");
    }
}
