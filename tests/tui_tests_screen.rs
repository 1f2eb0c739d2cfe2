//! Tab 2, Tests: key sequences in, state out (a run of a sample suite, a
//! suite with every kind of failure, coverage marks, cases opened in the
//! playground, cancelling, past runs, an empty store), and snapshots of the
//! screen in its main states at 120x40 and 80x24.

mod tui_support;

use std::path::Path;

use gavel::engine::testing::{TestKind, TestStatus};
use gavel::tui::action::Action;
use gavel::tui::app::{App, MessageKind};
use gavel::tui::screens::{Ctx, Effect, Tab};
use serde_json::json;
use tui_support::*;

/// A small bundle with one of everything a run can report: a pass, a
/// failure with an undefined value, a failure with a value, a `print`, a
/// skipped `todo_` test, an evaluation error, a failing case with a
/// hostile name, an uncovered rule, and a `not` that Gavel warns about.
const POLICY: &str = r#"package demo

# METADATA
# title: Small orders are allowed
# custom:
#   citations:
#     - {regulation: "Demo Act", clause: "s 1"}
allow if input.amount < 100

# METADATA
# title: Bulk orders need review
bulk if {
	input.amount > 1000
	input.kind == "bulk"
}

# METADATA
# entrypoint: true
default decision := {"outcome": "BLOCK", "reasons": []}

decision := {"outcome": "APPROVE", "reasons": []} if allow

odd_kind if not input.kind in {"bulk", "retail"}

c := 1 if true

c := 2 if true
"#;

const TESTS: &str = r#"package demo_test

import data.demo

test_allows_small if demo.allow with input as {"amount": 5}

test_fails_on_purpose if demo.allow with input as {"amount": 500}

test_prints if {
	print("looking at \u001b[31mred\u001b[0m", 42)
	false
}

todo_test_later if false

test_value := 7

test_errors if demo.c == 1
"#;

fn cases() -> String {
    json!([
        {"name": "small order approves", "input": {"amount": 5}, "expect": {"outcome": "APPROVE"}},
        {"name": "big order \u{1b}]0;pwn\u{7} approves", "input": {"amount": 5000}, "expect": {"outcome": "APPROVE"}},
        {"name": "small order gives a reason", "input": {"amount": 5}, "expect": {"result": {"outcome": "APPROVE", "reasons": ["small"]}}}
    ])
    .to_string()
}

/// The seeded workbench, its start-up work (counting decisions) done, so
/// only the jobs a test starts are running.
fn seeded(dir: &Path) -> App {
    let mut app = seeded_app(dir);
    settle(&mut app);
    app
}

/// The seeded workbench with `broken@1.0.0` (the bundle above) imported.
fn broken_app(dir: &Path) -> App {
    let mut app = seeded(dir);
    import_broken(&mut app, dir);
    app
}

fn import_broken(app: &mut App, dir: &Path) {
    let b = dir.join("broken");
    std::fs::create_dir_all(b.join("cases")).unwrap();
    std::fs::write(b.join("policy.rego"), POLICY).unwrap();
    std::fs::write(b.join("policy_test.rego"), TESTS).unwrap();
    std::fs::write(b.join("cases/demo.json"), cases()).unwrap();
    gavel::import::import_bundle(
        &mut app.store,
        &b,
        &gavel::import::ImportOptions {
            name: Some("broken".into()),
            version: Some("1.0.0".into()),
            ..Default::default()
        },
    )
    .unwrap();
    app.reload().unwrap();
    settle(app);
}

/// Opens tab 2 and selects `label` (NAME@VERSION) in the versions pane.
fn select(app: &mut App, label: &str) {
    press(app, "2");
    // Back out to the versions pane (Esc also leaves the coverage view).
    for _ in 0..4 {
        if app.tests.focus() == gavel::tui::screens::tests::Focus::Versions {
            break;
        }
        press(app, "<esc>");
    }
    let i = app
        .versions
        .iter()
        .position(|v| v.reference().to_string() == label)
        .unwrap_or_else(|| panic!("{label} is not in the store"));
    press(app, "g");
    for _ in 0..i {
        press(app, "j");
    }
    assert_eq!(
        app.tests
            .selected_version()
            .map(|v| v.to_string())
            .as_deref(),
        Some(label)
    );
}

/// Moves the results cursor (the results pane focused) to the test named
/// `name`.
fn select_test(app: &mut App, name: &str) {
    for _ in 0..4 {
        if app.tests.focus() == gavel::tui::screens::tests::Focus::Versions {
            break;
        }
        press(app, "<esc>");
    }
    press(app, "<tab>g");
    for _ in 0..50 {
        if app.tests.selected_test().is_some_and(|t| t.name == name) {
            return;
        }
        press(app, "j");
    }
    panic!("no result named {name}");
}

fn runs_of(app: &App, label: &str) -> Vec<gavel::store::test_runs::TestRun> {
    let v = app
        .versions
        .iter()
        .find(|v| v.reference().to_string() == label)
        .unwrap();
    app.store.test_runs(v.id, 100).unwrap()
}

/// Snapshot settings: wall-clock times, durations and run ids masked.
macro_rules! masked {
    ($($body:tt)*) => {
        insta::with_settings!({filters => vec![
            (r"\d{4}-\d\d-\d\d[T ][0-9:.]+Z?", "[time]"),
            // The padding around a time too: its width varies with it.
            (r"[ \t]*\b\d+(\.\d+)?\s?(ms|µs|s)\b[ \t]*", " [dur] "),
            (r"#\d+", "#[id]"),
        ]}, { $($body)* })
    };
}

/// The tests screen alone (see `draw_alone`).
fn draw_screen(app: &App, w: u16, h: u16) -> (String, usize) {
    draw_alone(app, w, h, |f, area, view| app.tests.draw(f, area, view))
}

#[test]
fn running_a_sample_suite_passes_and_records_a_run() {
    let dir = tempfile::tempdir().unwrap();
    let mut app = seeded(dir.path());
    select(&mut app, "gfr-procurement@1.0.0");
    assert!(app.tests.runs().is_empty(), "the template has no runs");
    assert!(app.tests.results().is_empty());
    press(&mut app, "r");
    assert!(app.tests.running());
    let screen = render(&app, 120, 40);
    assert!(
        screen.contains("testing gfr-procurement@1.0.0") && screen.contains("(Esc cancels)"),
        "a gauge while it runs:\n{screen}"
    );
    settle(&mut app);
    assert!(!app.tests.running());
    let results = app.tests.results();
    assert_eq!(results.len(), 56, "every test and case of the suite");
    assert!(
        results.iter().all(|t| t.result == TestStatus::Pass),
        "{:?}",
        results
            .iter()
            .filter(|t| t.result != TestStatus::Pass)
            .map(|t| &t.name)
            .collect::<Vec<_>>()
    );
    assert!(results.iter().any(|t| t.kind == TestKind::Case));
    let runs = runs_of(&app, "gfr-procurement@1.0.0");
    assert_eq!(runs.len(), 1, "the run is recorded in the store");
    assert_eq!(runs[0].summary.pass, 56);
    assert_eq!(runs[0].coverage, Some(100.0));
    assert_eq!(app.tests.shown_run(), Some(runs[0].id));
    assert_eq!(app.tests.runs().len(), 1, "the runs pane is refreshed");
    let screen = render(&app, 120, 40);
    assert!(screen.contains("PASS 56/56"), "{screen}");
    assert!(screen.contains("✓ PASS  test_"), "{screen}");
    assert!(
        screen.contains("56✓ 0✗ 0! 0-  100.0%"),
        "runs pane: {screen}"
    );
    // The case file's group, at the end of the list.
    press(&mut app, "<tab>G");
    let screen = render(&app, 120, 40);
    assert!(
        screen.contains("▾ cases/procurement_awards.json 16✓"),
        "{screen}"
    );
    assert!(screen.contains("✓ PASS  Single tender"), "{screen}");
    let msg = app.message.clone().unwrap();
    assert!(msg.0.contains("56 passed"), "{msg:?}");
}

#[test]
fn a_recorded_run_is_shown_on_selection_without_running_anything() {
    let dir = tempfile::tempdir().unwrap();
    let mut app = seeded(dir.path());
    select(&mut app, "pmla-kyc@1.0.0");
    press(&mut app, "r");
    settle(&mut app);
    let run = app.tests.shown_run();
    assert!(run.is_some());
    // A new workbench on the same store: nothing in memory.
    let db = app.store.path().to_path_buf();
    drop(app);
    let mut app = App::new(db, Default::default(), plain_theme(), false).unwrap();
    settle(&mut app);
    select(&mut app, "pmla-kyc@1.0.0");
    assert!(app.jobs.running.is_empty(), "selecting runs nothing");
    assert_eq!(app.tests.shown_run(), run);
    assert_eq!(app.tests.results().len(), 56);
    // Another version without runs, then back.
    press(&mut app, "k");
    assert!(app.tests.results().is_empty());
    let screen = render(&app, 80, 24);
    assert!(
        screen.contains("no recorded run of gfr-procurement@2.0.0"),
        "{screen}"
    );
    press(&mut app, "j");
    assert_eq!(app.tests.shown_run(), run);
}

#[test]
fn failures_show_their_location_error_values_and_print_output() {
    let dir = tempfile::tempdir().unwrap();
    let mut app = broken_app(dir.path());
    select(&mut app, "broken@1.0.0");
    press(&mut app, "r");
    settle(&mut app);
    let count = |s: TestStatus| app.tests.results().iter().filter(|t| t.result == s).count();
    assert_eq!(
        (
            count(TestStatus::Pass),
            count(TestStatus::Fail),
            count(TestStatus::Error),
            count(TestStatus::Skip)
        ),
        (2, 5, 1, 1)
    );
    // The cursor starts on the first failure.
    assert_eq!(
        app.tests.selected_test().map(|t| t.name.as_str()),
        Some("test_fails_on_purpose")
    );
    let screen = render(&app, 120, 40);
    assert!(screen.contains("FAIL 2/9"), "{screen}");
    assert!(
        screen.contains("▾ policy_test.rego 1✓ 3✗ 1! 1-"),
        "file header with counts: {screen}"
    );
    for row in [
        "✓ PASS  test_allows_small",
        "✗ FAIL  test_fails_on_purpose",
        "- SKIP  todo_test_later",
        "! ERROR test_errors",
    ] {
        assert!(screen.contains(row), "{row}: {screen}");
    }
    assert!(screen.contains("location: policy_test.rego:7"), "{screen}");
    assert!(screen.contains("produced:"), "{screen}");

    select_test(&mut app, "test_value");
    let screen = render(&app, 120, 40);
    assert!(
        screen.contains("produced:") && screen.contains("  7"),
        "{screen}"
    );

    select_test(&mut app, "test_errors");
    let screen = render(&app, 120, 40);
    assert!(screen.contains("rule conflicts"), "{screen}");

    select_test(&mut app, "test_prints");
    let screen = render(&app, 120, 40);
    assert!(screen.contains("print output:"), "{screen}");
    assert!(
        screen.contains("policy_test.rego:10: looking at") && screen.contains("^[[31mred^[[0m 42"),
        "print output escaped: {screen}"
    );

    let hostile = "big order \u{1b}]0;pwn\u{7} approves";
    select_test(&mut app, hostile);
    let screen = render(&app, 120, 40);
    for text in [
        "big order ^[]0;pwn^G approves",
        "location: cases/demo.json (case 2)",
        "expected outcome APPROVE, got BLOCK",
        "expected:",
        "actual:",
        "\"outcome\": \"BLOCK\"",
    ] {
        assert!(screen.contains(text), "{text}: {screen}");
    }
    // A case that expects a result: the diff, with its gutters.
    select_test(&mut app, "small order gives a reason");
    // Enter moves to the detail pane; G scrolls to its end.
    press(&mut app, "<enter>G");
    let screen = render(&app, 120, 40);
    for text in [
        "diff (- expected, + actual):",
        "-    \"small\"",
        "+  \"reasons\": []",
    ] {
        assert!(screen.contains(text), "{text}: {screen}");
    }
    // Nothing the sweep would have to catch: every string was escaped.
    let (_, swept) = draw_screen(&app, 120, 40);
    assert_eq!(swept, 0);
    let (_, swept) = draw_screen(&app, 80, 24);
    assert_eq!(swept, 0);
}

#[test]
fn warnings_are_shown_as_gavel_test_prints_them() {
    let dir = tempfile::tempdir().unwrap();
    let mut app = broken_app(dir.path());
    // The DPDP sample's `not` warning was a false alarm: an earlier
    // statement requires the term (`purpose_stated`).
    select(&mut app, "dpdp-consent@1.0.0");
    assert!(app.tests.warnings().is_empty());
    select(&mut app, "broken@1.0.0");
    assert_eq!(app.tests.warnings().len(), 1);
    let screen = render(&app, 120, 40);
    assert!(screen.contains("warnings (1)"), "{screen}");
    assert!(
        screen.contains("⚠ warning:") && screen.contains("policy.rego:23:"),
        "{screen}"
    );
    assert!(app.tests.warnings()[0].starts_with("policy.rego:23:"));
    // Narrow: the warnings join the detail pane.
    let screen = render(&app, 80, 24);
    assert!(screen.contains("⚠ warning: policy.rego:23"), "{screen}");
    select(&mut app, "gfr-procurement@1.0.0");
    assert!(app.tests.warnings().is_empty());
    assert!(!render(&app, 120, 40).contains("warning"));
}

#[test]
fn coverage_view_marks_covered_and_uncovered_lines() {
    let dir = tempfile::tempdir().unwrap();
    let mut app = broken_app(dir.path());
    select(&mut app, "broken@1.0.0");
    press(&mut app, "c");
    assert!(app.tests.coverage_view());
    let screen = render(&app, 120, 40);
    assert!(
        screen.contains("no recorded run measured coverage"),
        "{screen}"
    );
    press(&mut app, "r");
    settle(&mut app);
    let screen = render(&app, 120, 40);
    assert!(screen.contains("62.50% of 8 policy lines"), "{screen}");
    assert!(
        screen.contains("◐   62.5%    5/8    policy.rego"),
        "{screen}"
    );
    assert!(
        screen.contains("   8 ● allow if input.amount < 100"),
        "{screen}"
    );
    assert!(
        screen.contains("  13 ○     input.amount > 1000"),
        "{screen}"
    );
    assert!(
        screen.contains("   9   "),
        "a blank line has no mark: {screen}"
    );
    // Narrow: the source starts near the first uncovered line.
    let screen = render(&app, 80, 24);
    assert!(screen.contains("  13 ○"), "{screen}");
    // Scrolling the source (focus it with Tab) keeps within the file.
    press(&mut app, "<tab>GGjj");
    let screen = render(&app, 80, 24);
    assert!(screen.contains("  27 ● c := 2 if true"), "{screen}");
    assert!(!screen.contains("   8 ●"), "{screen}");
    press(&mut app, "<esc>");
    assert!(!app.tests.coverage_view(), "Esc leaves the coverage view");
    // A sample at 100%: every mark is ●.
    select(&mut app, "gfr-procurement@1.0.0");
    press(&mut app, "r");
    settle(&mut app);
    press(&mut app, "c");
    let screen = render(&app, 120, 40);
    assert!(screen.contains("100.00% of 206 policy lines"), "{screen}");
    assert!(
        screen.contains("  14 ● contract_rationale_missing"),
        "{screen}"
    );
    assert_eq!(
        screen.matches('○').count(),
        1,
        "only the title's ○ 0: {screen}"
    );
}

#[test]
fn e_opens_a_case_in_the_playground() {
    let dir = tempfile::tempdir().unwrap();
    let mut app = broken_app(dir.path());
    select(&mut app, "broken@1.0.0");
    press(&mut app, "r");
    settle(&mut app);
    // On a Rego test it says what e is for, and stays.
    // `e` is bound to this action in the Decisions scope only (see the
    // report): drive the action itself.
    select_test(&mut app, "test_allows_small");
    app.on_action(Action::OpenInPlayground);
    assert_eq!(app.tab, Tab::Tests);
    assert!(app.message.as_ref().unwrap().0.contains("is a Rego test"));
    select_test(&mut app, "small order approves");
    let ctx = Ctx {
        store: &app.store,
        versions: &app.versions,
        working_copy: None,
    };
    let effects = app.tests.handle(Action::OpenInPlayground, &ctx);
    match effects.as_slice() {
        [
            Effect::OpenPlayground {
                version: Some(v),
                input,
                origin,
                decision_id: None,
            },
        ] => {
            assert_eq!(v.to_string(), "broken@1.0.0");
            assert_eq!(input, &json!({"amount": 5}));
            assert_eq!(origin, "case small order approves");
        }
        other => panic!("{other:?}"),
    }
    app.on_action(Action::OpenInPlayground);
    assert_eq!(app.tab, Tab::Playground);
}

#[test]
fn esc_cancels_a_run_and_nothing_is_recorded() {
    let dir = tempfile::tempdir().unwrap();
    let mut app = seeded(dir.path());
    select(&mut app, "companies-act-sod@2.0.0");
    press(&mut app, "r<esc>");
    settle(&mut app);
    assert!(!app.tests.running());
    assert!(runs_of(&app, "companies-act-sod@2.0.0").is_empty());
    let (msg, kind) = app.message.clone().unwrap();
    assert_eq!(kind, MessageKind::Error);
    assert!(msg.contains("cancelled"), "{msg}");
    // The screen can run again after a cancel.
    press(&mut app, "r");
    settle(&mut app);
    assert_eq!(runs_of(&app, "companies-act-sod@2.0.0").len(), 1);
}

#[test]
fn the_runs_pane_lists_past_runs_and_enter_shows_one() {
    let dir = tempfile::tempdir().unwrap();
    let mut app = broken_app(dir.path());
    select(&mut app, "broken@1.0.0");
    press(&mut app, "r");
    settle(&mut app);
    press(&mut app, "r");
    settle(&mut app);
    let runs = app.tests.runs().to_vec();
    assert_eq!(runs.len(), 2);
    assert_eq!(app.tests.shown_run(), Some(runs[0].id), "newest first");
    // Versions -> results -> detail -> runs.
    press(&mut app, "<tab><tab><tab>");
    assert_eq!(app.tests.focus(), gavel::tui::screens::tests::Focus::Runs);
    press(&mut app, "j<enter>");
    assert_eq!(app.tests.shown_run(), Some(runs[1].id));
    assert_eq!(app.tests.results().len(), 9);
    let screen = render(&app, 120, 40);
    assert!(screen.contains("2✓ 5✗ 1! 1-  62.5%"), "{screen}");
    // The version list marks the last run's verdict.
    assert!(screen.contains("✗ broken"), "{screen}");
}

#[test]
fn empty_store_and_empty_lists_do_not_panic() {
    let dir = tempfile::tempdir().unwrap();
    let mut app = empty_app(dir.path());
    settle(&mut app);
    press(&mut app, "2r");
    assert_eq!(
        app.message.as_ref().map(|m| m.1.clone()),
        Some(MessageKind::Error),
        "r with no version says why"
    );
    for keys in [
        "r",
        "c",
        "e",
        "jkgG",
        "<tab><tab><tab><tab>",
        "<enter>",
        "<esc>",
        "c",
    ] {
        press(&mut app, keys);
        for (w, h) in [(120, 40), (80, 24)] {
            render(&app, w, h);
            let (screen, swept) = draw_screen(&app, w, h);
            assert_eq!(swept, 0);
            assert!(screen.contains("no versions"), "{screen}");
        }
    }
    assert!(app.jobs.running.is_empty());
    // A store with one version and no run.
    import_broken(&mut app, dir.path());
    assert!(!app.first_run);
    press(&mut app, "2c<esc>e<tab>jj");
    let screen = render(&app, 80, 24);
    assert!(
        screen.contains("no recorded run of broken@1.0.0 yet"),
        "{screen}"
    );
}

#[test]
fn snapshots_of_a_passing_run() {
    let dir = tempfile::tempdir().unwrap();
    let mut app = seeded(dir.path());
    select(&mut app, "gfr-procurement@1.0.0");
    masked! {
        insta::assert_snapshot!("tests_no_run_120x40", render(&app, 120, 40));
        insta::assert_snapshot!("tests_no_run_80x24", render(&app, 80, 24));
    }
    press(&mut app, "r");
    // Before the first progress report arrives: the gauge at its start.
    masked! {
        insta::assert_snapshot!("tests_running_120x40", render(&app, 120, 40));
        insta::assert_snapshot!("tests_running_80x24", render(&app, 80, 24));
    }
    settle(&mut app);
    press(&mut app, "<tab>j");
    masked! {
        insta::assert_snapshot!("tests_passed_120x40", render(&app, 120, 40));
        insta::assert_snapshot!("tests_passed_80x24", render(&app, 80, 24));
    }
}

#[test]
fn snapshots_of_failures_and_coverage() {
    let dir = tempfile::tempdir().unwrap();
    let mut app = broken_app(dir.path());
    select(&mut app, "broken@1.0.0");
    press(&mut app, "r");
    settle(&mut app);
    select_test(&mut app, "big order \u{1b}]0;pwn\u{7} approves");
    masked! {
        insta::assert_snapshot!("tests_failed_case_120x40", render(&app, 120, 40));
        insta::assert_snapshot!("tests_failed_case_80x24", render(&app, 80, 24));
    }
    select_test(&mut app, "test_prints");
    masked! {
        insta::assert_snapshot!("tests_failed_print_120x40", render(&app, 120, 40));
        insta::assert_snapshot!("tests_failed_print_80x24", render(&app, 80, 24));
    }
    press(&mut app, "c");
    masked! {
        insta::assert_snapshot!("tests_coverage_120x40", render(&app, 120, 40));
        insta::assert_snapshot!("tests_coverage_80x24", render(&app, 80, 24));
    }
}
