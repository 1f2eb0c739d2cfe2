//! Nothing meaningful cut: `z` gives the focused pane the whole screen on
//! every tab that has panes, h/l scroll the source and the matrix sideways,
//! and the matrix shows every clause whole at 80x24.

mod tui_support;

use gavel::tui::app::App;
use gavel::tui::widgets::FOCUS_MARK;
use tui_support::*;

/// The pane titles on screen (the text after each `┌`).
fn focused_titles(screen: &str) -> usize {
    screen.matches(FOCUS_MARK).count()
}

fn pane_count(screen: &str) -> usize {
    screen.matches('┌').count()
}

fn zoom_check(app: &mut App, what: &str) {
    let before = render(app, 80, 24);
    assert!(pane_count(&before) >= 2, "{what}: several panes\n{before}");
    press(app, "z");
    let zoomed = render(app, 80, 24);
    assert!(
        pane_count(&zoomed) < pane_count(&before),
        "{what}: only the focused pane\n{zoomed}"
    );
    assert_eq!(
        focused_titles(&zoomed),
        1,
        "{what}: the focused one\n{zoomed}"
    );
    assert!(zoomed.contains("ZOOMED (z restores)"), "{what}\n{zoomed}");
    press(app, "z");
    assert_eq!(render(app, 80, 24), before, "{what}: z restores");
}

#[test]
fn z_zooms_the_focused_pane_on_every_tab() {
    let dir = tempfile::tempdir().unwrap();
    let mut app = seeded_app(dir.path());
    zoom_check(&mut app, "policies, versions");
    press(&mut app, "<tab><tab>");
    zoom_check(&mut app, "policies, source");
    press(&mut app, "2");
    zoom_check(&mut app, "tests");
    press(&mut app, "3<enter>");
    settle(&mut app);
    press(&mut app, "<tab>");
    zoom_check(&mut app, "decisions, the explanation");
    // Zoomed, the explanation gets every row of the screen.
    press(&mut app, "z");
    let zoomed = render(&app, 80, 24);
    assert!(zoomed.contains("decision"), "{zoomed}");
    press(&mut app, "z");
    press(&mut app, "6");
    zoom_check(&mut app, "playground");
    press(&mut app, "7");
    zoom_check(&mut app, "certify, versions");
    press(&mut app, "<tab>");
    zoom_check(&mut app, "certify, detail");
    press(&mut app, "5");
    press(&mut app, "v<enter><enter>");
    settle(&mut app);
    zoom_check(&mut app, "diff");
    // A replay's report: the changed decisions alone.
    press(&mut app, "4r<enter>");
    settle(&mut app);
    zoom_check(&mut app, "replay report");
}

#[test]
fn h_and_l_scroll_the_source_sideways() {
    let dir = tempfile::tempdir().unwrap();
    let mut app = seeded_app(dir.path());
    press(&mut app, "<tab><tab>");
    let before = render(&app, 80, 24);
    press(&mut app, "l");
    let after = render(&app, 80, 24);
    assert_ne!(before, after, "l moved the source");
    press(&mut app, "h");
    assert_eq!(render(&app, 80, 24), before, "h moved it back");
    // h at the left edge goes back to the rules.
    press(&mut app, "h");
    let back = render(&app, 80, 24);
    assert!(
        back.contains(&format!("{FOCUS_MARK}modules and rules")),
        "{back}"
    );
}

#[test]
fn the_matrix_shows_every_clause_whole_at_80x24() {
    let dir = tempfile::tempdir().unwrap();
    let mut app = seeded_app(dir.path());
    // gfr-procurement 1.0.0: its clauses are long ("Award of contracts on
    // nomination basis") and share a regulation.
    let index = app
        .versions
        .iter()
        .position(|v| v.name == "gfr-procurement")
        .unwrap();
    press(&mut app, &"j".repeat(index));
    press(&mut app, "mz");
    let version = &app.versions[index];
    let rules = app.store.rules_of(version.id).unwrap();
    let matrix = gavel::matrix::Matrix::build(&rules, None);
    let mut seen = String::new();
    for _ in 0..(matrix.rows.len() * 2 / 20 + 2) {
        seen.push_str(&render(&app, 80, 24));
        press(&mut app, "<pgdn>");
    }
    for r in &matrix.rows {
        assert!(seen.contains(&r.regulation), "{}", r.regulation);
        assert!(
            seen.contains(&format!("  {}", r.clause)),
            "clause {} whole",
            r.clause
        );
        assert!(seen.contains(&r.rule), "rule {} whole\n{seen}", r.rule);
    }
}

#[test]
fn snapshots_at_80x24_and_160x45() {
    let dir = tempfile::tempdir().unwrap();
    let mut app = seeded_app(dir.path());
    let index = app
        .versions
        .iter()
        .position(|v| v.name == "gfr-procurement")
        .unwrap();
    press(&mut app, &"j".repeat(index));
    press(&mut app, "m");
    for (w, h) in [(80, 24), (160, 45)] {
        insta::assert_snapshot!(format!("matrix_{w}x{h}"), render(&app, w, h));
    }
    // A working copy open in the playground (its folder's path masked).
    let wc = dir.path().join("wc");
    copy_dir(
        &std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("sample-policies/gfr-procurement/1.1.0"),
        &wc,
    );
    app.open_working_copy(gavel::working_copy::WorkingCopy::open(&wc).unwrap());
    let real = regex_escape(&std::fs::canonicalize(&wc).unwrap().display().to_string());
    insta::with_settings!({filters => vec![(real.as_str(), "[WC]")]}, {
        for (w, h) in [(80, 24), (160, 45)] {
            insta::assert_snapshot!(format!("working_copy_{w}x{h}"), render(&app, w, h));
        }
    });
}

fn regex_escape(s: &str) -> String {
    s.chars()
        .flat_map(|c| {
            if c.is_ascii_alphanumeric() || c == '/' || c == '_' || c == '-' {
                vec![c]
            } else {
                vec!['\\', c]
            }
        })
        .collect()
}
