//! Tab 5, Diff: picking two versions, the semantic summary, the file list,
//! unified and side-by-side diffs, `i` for the impact, an empty store, and
//! render snapshots at 120x40 and 80x24.

mod tui_support;

use gavel::diff::FileStatus;
use gavel::tui::app::{App, MessageKind, Overlay};
use gavel::tui::screens::Tab;
use gavel::tui::screens::diff::DiffFocus;
use tui_support::*;

/// The picker position of a version (the pickers list `app.versions`).
fn position(app: &App, reference: &str) -> usize {
    app.versions
        .iter()
        .position(|v| v.reference().to_string() == reference)
        .unwrap_or_else(|| panic!("{reference} is not in the seeded store"))
}

/// `v`, then the two versions picked by moving down the picker lists.
fn pick(app: &mut App, from: &str, to: &str) {
    let (a, b) = (position(app, from), position(app, to));
    press(app, "5v");
    assert!(
        matches!(app.overlay, Some(Overlay::Picker { .. })),
        "v opens the first picker"
    );
    // Pickers start on the version in hand: g goes to the top first.
    press(app, "g");
    press(app, &"j".repeat(a));
    press(app, "<enter>");
    assert!(
        matches!(app.overlay, Some(Overlay::Picker { .. })),
        "the second picker follows the first"
    );
    press(app, "g");
    press(app, &"j".repeat(b));
    press(app, "<enter>");
    assert!(app.overlay.is_none());
    settle(app);
}

fn diffed(dir: &std::path::Path) -> App {
    let mut app = seeded_app(dir);
    pick(&mut app, "gfr-procurement@1.0.0", "gfr-procurement@1.1.0");
    app
}

/// Selects the file at `path` in the file list.
fn select_file(app: &mut App, path: &str) {
    press(app, "g");
    for _ in 0..50 {
        if app.diff.selected_file().is_some_and(|f| f.path == path) {
            return;
        }
        press(app, "j");
    }
    panic!("{path} is not in the file list");
}

#[test]
fn picks_two_versions_and_shows_the_semantic_summary() {
    let dir = tempfile::tempdir().unwrap();
    let app = diffed(dir.path());
    let d = app.diff.diff().expect("the diff arrived");
    assert_eq!(d.from.reference().to_string(), "gfr-procurement@1.0.0");
    assert_eq!(d.to.reference().to_string(), "gfr-procurement@1.1.0");
    let c = d
        .constants
        .iter()
        .find(|c| c.name == "competitive_bidding_threshold")
        .expect("the threshold changed");
    assert_eq!(c.before.as_deref(), Some("250000"));
    assert_eq!(c.after.as_deref(), Some("300000"));

    for (w, h) in [(120, 40), (80, 24)] {
        let screen = render(&app, w, h);
        assert!(
            screen.contains("competitive_bidding_threshold: 250000 -> 300000"),
            "{w}x{h}:\n{screen}"
        );
        assert!(screen.contains("rules: 2 added"), "{w}x{h}:\n{screen}");
        assert!(screen.contains("7 differ, 6 same"), "{w}x{h}:\n{screen}");
        assert!(screen.contains(".manifest"), "{w}x{h}:\n{screen}");
    }
    let wide = render(&app, 120, 40);
    assert!(
        wide.contains("rationale_min_length: 50 -> 100  gfr/procurement/params.rego:34"),
        "{wide}"
    );
    assert!(
        wide.contains("+ emergency_certificate_missing  partial_set"),
        "{wide}"
    );
    assert!(
        wide.contains("~ emergency_exemption: body, description"),
        "{wide}"
    );
}

#[test]
fn file_list_has_status_and_counts() {
    let dir = tempfile::tempdir().unwrap();
    let app = diffed(dir.path());
    let d = app.diff.diff().unwrap();
    assert!(d.files.iter().all(|f| f.status == FileStatus::Changed));
    let screen = render(&app, 120, 40);
    assert!(
        screen.contains("~ changed  + added  - removed"),
        "legend:\n{screen}"
    );
    // Every changed file's row carries its mark and both counts (long
    // paths are cut from the start: the file name stays).
    for f in &d.files {
        let name = f.path.rsplit('/').next().unwrap();
        let counts = format!("+{} -{}", f.added, f.removed);
        assert!(
            screen
                .lines()
                .any(|l| l.starts_with("│~ ") && l.contains(name) && l.contains(&counts)),
            "{} ({counts}) not listed:\n{screen}",
            f.path
        );
    }
}

#[test]
fn unified_and_side_by_side_diffs_have_gutters() {
    let dir = tempfile::tempdir().unwrap();
    let mut app = diffed(dir.path());
    select_file(&mut app, "gfr/procurement/params.rego");
    assert!(!app.diff.side_by_side());

    let unified = render(&app, 120, 40);
    let removed = unified
        .lines()
        .find(|l| l.contains("- competitive_bidding_threshold := 250000"))
        .unwrap_or_else(|| panic!("no removed line:\n{unified}"));
    let added = unified
        .lines()
        .find(|l| l.contains("+ competitive_bidding_threshold := 300000"))
        .unwrap_or_else(|| panic!("no added line:\n{unified}"));
    // Unified: one line each, on different rows; both carry line numbers.
    assert_ne!(removed, added);
    assert!(removed.contains(" 15 "), "old number: {removed}");
    assert!(added.contains(" 16 "), "new number: {added}");
    assert!(unified.contains("@@ -"), "hunk headers:\n{unified}");

    press(&mut app, "s");
    assert!(app.diff.side_by_side());
    let sbs = render(&app, 120, 40);
    // Side by side: the old line on the left and the new on the right of
    // one row, split by the column rule.
    let row = sbs
        .lines()
        .find(|l| l.contains("- competitive_bidding_threshold := 250000"))
        .unwrap_or_else(|| panic!("no removed line:\n{sbs}"));
    let old_at = row.find("- competitive_bidding_threshold").unwrap();
    let new_at = row
        .find("+ competitive_bidding_threshold := 300000")
        .unwrap_or_else(|| panic!("paired on one row: {row}"));
    assert!(old_at < new_at, "old left, new right: {row}");
    assert!(row[old_at..new_at].contains('│'), "split by a rule: {row}");
    let narrow = render(&app, 80, 24);
    assert!(
        narrow.lines().any(|l| {
            let (old, new) = (l.find(" - "), l.find(" + "));
            matches!((old, new), (Some(o), Some(n)) if o < n && l[o..n].contains('│'))
        }),
        "a removed and an added line side by side at 80x24:\n{narrow}"
    );
    // Sideways: l shifts the source text (not the numbers), h shifts back,
    // and h at the left edge returns to the file list.
    press(&mut app, "<tab>l");
    assert_eq!(app.diff.focus(), DiffFocus::Text);
    let shifted = render(&app, 120, 40);
    assert!(shifted.contains("from column 9"), "{shifted}");
    assert!(
        shifted.contains(" 15 - ive_bidding_threshold := 250000"),
        "{shifted}"
    );
    press(&mut app, "h");
    // The same text; only the focus mark in the pane titles moved.
    let body = |s: &str| -> String {
        s.lines()
            .filter(|l| !l.contains('┌'))
            .collect::<Vec<_>>()
            .join("\n")
    };
    assert_eq!(body(&render(&app, 120, 40)), body(&sbs));
    press(&mut app, "h");
    assert_eq!(app.diff.focus(), DiffFocus::Files);
    press(&mut app, "s");
    assert!(!app.diff.side_by_side());
}

#[test]
fn keys_move_between_panes_and_scroll() {
    let dir = tempfile::tempdir().unwrap();
    let mut app = diffed(dir.path());
    assert_eq!(app.diff.focus(), DiffFocus::Files);
    select_file(&mut app, "gfr/procurement/decision_test.rego");
    press(&mut app, "<tab>");
    assert_eq!(app.diff.focus(), DiffFocus::Text);
    let before = render(&app, 120, 40);
    press(&mut app, "<pgdn>");
    let after = render(&app, 120, 40);
    assert_ne!(before, after, "PgDn scrolls the diff");
    press(&mut app, "g");
    assert_eq!(render(&app, 120, 40), before, "g goes back to the top");
    press(&mut app, "<esc>");
    assert_eq!(app.diff.focus(), DiffFocus::Files);
    press(&mut app, "<s-tab>");
    assert_eq!(app.diff.focus(), DiffFocus::Summary);
    // Scrolling past the end stays at the end (the page is the one drawn last).
    render(&app, 80, 24);
    press(&mut app, &"j".repeat(100));
    let bottom = render(&app, 80, 24);
    press(&mut app, "k");
    assert_ne!(render(&app, 80, 24), bottom, "one k moves up from the end");
}

#[test]
fn impact_runs_v1_decisions_against_v2_on_tab_4() {
    let dir = tempfile::tempdir().unwrap();
    let mut app = seeded_app(dir.path());
    press(&mut app, "5i");
    assert_eq!(app.tab, Tab::Diff, "no diff yet: i stays");
    assert!(
        matches!(&app.message, Some((m, MessageKind::Error)) if m.contains("pick two versions")),
        "{:?}",
        app.message
    );
    pick(&mut app, "gfr-procurement@1.0.0", "gfr-procurement@1.1.0");
    press(&mut app, "i");
    assert_eq!(app.tab, Tab::Impact);
}

#[test]
fn same_version_twice_says_nothing_differs() {
    let dir = tempfile::tempdir().unwrap();
    let mut app = seeded_app(dir.path());
    pick(&mut app, "gfr-procurement@2.0.0", "gfr-procurement@2.0.0");
    let d = app.diff.diff().unwrap();
    assert!(d.identical && d.files.is_empty());
    let screen = render(&app, 80, 24);
    assert!(screen.contains("same content hash"), "{screen}");
    // Nothing to scroll or select, nothing breaks.
    press(&mut app, "jjGg<tab>jk<pgdn>s");
    render(&app, 80, 24);
}

#[test]
fn empty_store_shows_how_to_and_does_not_panic() {
    let dir = tempfile::tempdir().unwrap();
    let mut app = empty_app(dir.path());
    // Past the first-run screen, onto the diff screen itself.
    app.first_run = false;
    press(&mut app, "5");
    let screen = render(&app, 80, 24);
    assert!(screen.contains("v picks two versions"), "{screen}");
    press(&mut app, "v");
    assert!(app.overlay.is_none());
    assert!(matches!(app.message, Some((_, MessageKind::Error))));
    press(&mut app, "<enter>sijkG<tab><tab><pgdn><esc>");
    assert!(
        !app.jobs
            .running
            .iter()
            .any(|j| j.label.starts_with("diffing"))
    );
    render(&app, 120, 40);
    render(&app, 80, 24);
}

#[test]
fn snapshots() {
    let dir = tempfile::tempdir().unwrap();
    let mut app = seeded_app(dir.path());
    press(&mut app, "5");
    // Background work other screens start at load, finished.
    settle(&mut app);
    for (w, h) in [(120, 40), (80, 24)] {
        insta::assert_snapshot!(format!("diff_empty_{w}x{h}"), render(&app, w, h));
    }
    pick(&mut app, "gfr-procurement@1.0.0", "gfr-procurement@1.1.0");
    select_file(&mut app, "gfr/procurement/params.rego");
    for (w, h) in [(120, 40), (80, 24)] {
        insta::assert_snapshot!(format!("diff_unified_{w}x{h}"), render(&app, w, h));
    }
    press(&mut app, "s");
    for (w, h) in [(120, 40), (80, 24)] {
        insta::assert_snapshot!(format!("diff_side_by_side_{w}x{h}"), render(&app, w, h));
    }
}
