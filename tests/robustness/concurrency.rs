//! Concurrent use: the workbench open on a store while the CLI imports
//! into it, and two CLI writers at once. No "database is locked" reaches
//! anyone (WAL, a 30 s busy timeout, one short transaction per batch), and
//! the workbench shows the new rows when it reloads.

use std::time::{Duration, Instant};

use gavel::tui::action::{Action, KeyMap};
use gavel::tui::app::{App, MessageKind};

use crate::common::Env;
use crate::support::{decision_log, decisions, spawn, store_with_versions};
use crate::tui_support::{plain_theme, press, render, seeded_db};

/// Any error the workbench shows is a failure here; "locked" the worst.
fn assert_no_error(app: &App, when: &str) {
    if let Some((text, kind)) = &app.message {
        assert!(
            !text.to_lowercase().contains("locked") && !text.to_lowercase().contains("busy"),
            "{when}: the workbench shows {text:?}"
        );
        assert_ne!(
            *kind,
            MessageKind::Error,
            "{when}: the workbench shows {text:?}"
        );
    }
}

#[test]
fn the_workbench_browses_while_the_cli_imports_and_sees_the_new_rows() {
    let dir = tempfile::tempdir().unwrap();
    let db = seeded_db(dir.path());
    let before = decisions(&db);
    let lines = 15_000;
    let log = dir.path().join("log.jsonl");
    std::fs::write(&log, decision_log(lines, "concurrent")).unwrap();

    let mut app = App::new(db.clone(), KeyMap::default(), plain_theme(), false).unwrap();
    app.wait_for_jobs(Duration::from_secs(60));
    press(&mut app, "3");
    let mut child = spawn(&db, &["decisions", "import", log.to_str().unwrap()]);
    let started = Instant::now();
    let mut rounds_during_import = 0;
    let mut seen_growing = false;
    loop {
        let running = child.try_wait().unwrap().is_none();
        // Page, jump, reload, as a user would while waiting.
        press(&mut app, "<pgdn>jjG<pgup>g");
        app.on_action(Action::Refresh);
        app.wait_for_jobs(Duration::from_secs(60));
        let screen = render(&app, 100, 30);
        assert_no_error(&app, &format!("after {:?}", started.elapsed()));
        if running {
            rounds_during_import += 1;
            let now = decisions(&db);
            if now > before && now < before + lines as i64 {
                seen_growing = true;
            }
        } else {
            assert!(screen.contains("decisions"), "{screen}");
            break;
        }
        assert!(
            started.elapsed() < Duration::from_secs(300),
            "the import does not end"
        );
    }
    let out = child.wait_with_output().unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "the import failed: {err}");
    assert!(!err.to_lowercase().contains("locked"), "{err}");
    assert!(
        rounds_during_import >= 3,
        "only {rounds_during_import} rounds ran during the import"
    );
    eprintln!(
        "{rounds_during_import} workbench rounds during the import (saw it part-done: {seen_growing})"
    );

    // After a reload the Decisions tab counts the new rows.
    let total = before + lines as i64;
    assert_eq!(decisions(&db), total);
    app.on_action(Action::Refresh);
    app.wait_for_jobs(Duration::from_secs(60));
    assert_no_error(&app, "after the import");
    let screen = render(&app, 100, 30);
    assert!(
        screen.contains(&format!(" of {total}")),
        "the Decisions tab does not show {total} decisions:\n{screen}"
    );
}

#[test]
fn two_importers_at_once_both_finish_and_the_chain_holds() {
    let env = Env::new();
    store_with_versions(&env);
    let lines = 10_000;
    let logs: Vec<_> = ["left", "right"]
        .iter()
        .map(|name| {
            let path = env.dir.path().join(format!("{name}.jsonl"));
            std::fs::write(&path, decision_log(lines, name)).unwrap();
            path
        })
        .collect();
    let children: Vec<_> = logs
        .iter()
        .map(|log| spawn(&env.db, &["decisions", "import", log.to_str().unwrap()]))
        .collect();
    for child in children {
        let out = child.wait_with_output().unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(out.status.success(), "an import failed: {err}");
        assert!(!err.to_lowercase().contains("locked"), "{err}");
    }
    assert_eq!(decisions(&env.db), 2 * lines as i64);
    let (code, out, err) = env.run(&["verify"]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.starts_with("log OK: 20000 decisions"), "{out}");
}
