//! The workbench's frame: tabs, help, palette, first run, quitting, small
//! terminals; and the Policies and Decisions screens.

mod tui_support;

use gavel::tui::app::Overlay;
use gavel::tui::screens::Tab;
use tui_support::*;

#[test]
fn tabs_switch_by_number() {
    let dir = tempfile::tempdir().unwrap();
    let mut app = seeded_app(dir.path());
    assert!(!app.first_run);
    for (key, tab) in [
        ("2", Tab::Tests),
        ("3", Tab::Decisions),
        ("4", Tab::Impact),
        ("5", Tab::Diff),
        ("6", Tab::Playground),
        ("1", Tab::Policies),
    ] {
        press(&mut app, key);
        assert_eq!(app.tab, tab);
    }
    press(&mut app, "q");
    assert!(app.quit);
}

#[test]
fn policies_screen_renders() {
    let dir = tempfile::tempdir().unwrap();
    let mut app = seeded_app(dir.path());
    press(&mut app, "<tab>jj");
    let screen = render(&app, 120, 40);
    println!("{screen}");
    assert!(screen.contains("ai-change-audit"), "{screen}");
}

#[test]
fn decisions_screen_lists_and_filters() {
    let dir = tempfile::tempdir().unwrap();
    let mut app = seeded_app(dir.path());
    press(&mut app, "3");
    let screen = render(&app, 120, 40);
    println!("{screen}");
    assert!(screen.contains("decisions 1 of 1500"), "{screen}");
    press(
        &mut app,
        "/outcome:BLOCK version:gfr-procurement@1.0.0<enter>",
    );
    let screen = render(&app, 120, 40);
    println!("{screen}");
    assert!(!screen.contains("APPROVE "), "{screen}");
    press(&mut app, "G");
    let screen = render(&app, 80, 24);
    println!("{screen}");
}
