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
