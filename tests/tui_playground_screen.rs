//! Tab 6, Playground: an input opened from a decision, edited, evaluated
//! (outcome, rules, lines that ran), invalid JSON caught inline and never
//! evaluated, saved as a case, the quit guard for unsaved edits, the
//! version picker, an empty store, and render snapshots at 120x40 and 80x24.

mod tui_support;

use gavel::tui::app::{App, MessageKind, Overlay};
use gavel::tui::screens::Tab;
use gavel::tui::screens::playground::PlaygroundFocus;
use serde_json::Value;
use tui_support::*;

/// The selected decision opened in the playground with `3` then `e`.
fn opened(dir: &std::path::Path) -> (App, String) {
    let mut app = seeded_app(dir);
    press(&mut app, "3");
    let id = app.decisions.selected_id().expect("a decision is selected");
    press(&mut app, "e");
    // Whatever the other screens started in the background, done with.
    settle(&mut app);
    assert_eq!(app.tab, Tab::Playground);
    assert!(app.playground.editing(), "the editor has the keys");
    (app, id)
}

/// An evaluation job is in flight (other screens may run jobs of their own).
fn evaluating(app: &App) -> bool {
    app.jobs
        .running
        .iter()
        .any(|j| j.label.starts_with("evaluating"))
}

fn recorded_outcome(app: &App, id: &str) -> String {
    let (_, rec) = app.store.get_decision(id).unwrap().unwrap();
    rec.outcome
}

/// Durations and wall-clock times differ between runs.
macro_rules! masked {
    ($body:block) => {
        insta::with_settings!({filters => vec![
            (r"outcome in \d+\.\d+ ms ─*", "outcome in [ms] ──"),
        ]}, $body)
    };
}

#[test]
fn a_decision_opens_edits_and_evaluates() {
    let dir = tempfile::tempdir().unwrap();
    let (mut app, id) = opened(dir.path());
    let text = app.playground.text();
    let (_, rec) = app.store.get_decision(&id).unwrap().unwrap();
    let parsed: Value = serde_json::from_str(&text).expect("pre-filled with JSON");
    assert_eq!(&parsed, rec.input(), "the decision's input, pretty");
    assert!(text.lines().count() > 3, "pretty-printed: {text}");
    let (name, version) = rec.bundle().unwrap();
    assert_eq!(
        app.playground.version().map(|v| v.to_string()),
        Some(format!("{name}@{version}")),
        "the decision's own version"
    );
    assert!(!app.playground.unsaved());

    // An edit that keeps the JSON valid and the value the same.
    press(&mut app, " ");
    assert!(app.playground.unsaved());
    press(&mut app, "<c-s>");
    assert!(app.playground.is_evaluating());
    settle(&mut app);
    let outcome = app.playground.outcome().expect("evaluated").to_string();
    // Same input, same version, time pinned to the decision's: the same
    // outcome as recorded.
    assert_eq!(outcome, recorded_outcome(&app, &id));
    assert!(app.playground.editing(), "Ctrl-S keeps the editor");

    for (w, h) in [(120, 40), (80, 24)] {
        let screen = render(&app, w, h);
        assert!(screen.contains(&outcome), "{w}x{h}:\n{screen}");
        assert!(screen.contains("cited rules"), "{w}x{h}:\n{screen}");
        assert!(screen.contains("(decision's)"), "{w}x{h}:\n{screen}");
    }
    // The lines that ran are below the rules that fired: scroll to them.
    let e = app.playground.evaluation().unwrap();
    assert!(!e.lines_ran.is_empty());
    let (file, _) = e.lines_ran.iter().next().unwrap();
    let head = format!("{file}: ");
    press(&mut app, "<esc>");
    let mut screen = render(&app, 120, 40);
    for _ in 0..100 {
        // The causes name their file too ("ran in FILE: "): the section
        // of every file's lines is the one looked for.
        if screen.contains("lines that ran:") && screen.contains(&head) {
            break;
        }
        press(&mut app, "j");
        screen = render(&app, 120, 40);
    }
    assert!(screen.contains("lines that ran:"), "{screen}");
    assert!(screen.contains(&head), "{screen}");
    // Compact ranges: at least one run of consecutive lines.
    assert!(
        screen.lines().any(|l| l.contains(&head) && l.contains('-')),
        "{screen}"
    );
    press(&mut app, "<enter>");
    assert!(app.playground.editing());
    // F5 evaluates too.
    press(&mut app, "<f5>");
    assert!(app.playground.is_evaluating());
    settle(&mut app);
    assert_eq!(app.playground.outcome(), Some(outcome.as_str()));
}

#[test]
fn invalid_json_is_shown_inline_and_not_evaluated() {
    let dir = tempfile::tempdir().unwrap();
    let (mut app, _) = opened(dir.path());
    // `,{` at the start of line 1: column 1 is where serde_json stops.
    press(&mut app, ",");
    press(&mut app, "<c-s>");
    assert!(!evaluating(&app), "no job for invalid JSON");
    assert!(!app.playground.is_evaluating());
    let e = app.playground.invalid().expect("the error is kept");
    assert_eq!((e.line, e.column), (1, 1), "{e:?}");
    for (w, h) in [(120, 40), (80, 24)] {
        let screen = render(&app, w, h);
        assert!(screen.contains("invalid JSON at 1:1"), "{w}x{h}:\n{screen}");
    }
    assert!(
        matches!(&app.message, Some((m, MessageKind::Error)) if m.contains("1:1")),
        "{:?}",
        app.message
    );

    // The cursor went to the error (before the `,`): delete it.
    press(&mut app, "<right><bs>");
    assert!(serde_json::from_str::<Value>(&app.playground.text()).is_ok());
    // An error further down reports its own line and column.
    let lines = app.playground.text().lines().count();
    assert!(lines > 2);
    // Down to line 2, past its indent, then a stray character.
    press(&mut app, "<down>");
    press(&mut app, "<right><right>@");
    press(&mut app, "<f5>");
    assert!(!evaluating(&app));
    let e = app.playground.invalid().unwrap();
    assert_eq!(e.line, 2, "{e:?}");
    let at = format!("invalid JSON at 2:{}", e.column);
    assert!(render(&app, 120, 40).contains(&at));

    // Editing clears the stale message; valid again evaluates.
    press(&mut app, "<right><bs>");
    assert!(app.playground.invalid().is_none());
    press(&mut app, "<c-s>");
    assert!(evaluating(&app));
    settle(&mut app);
    assert!(app.playground.outcome().is_some());
}

/// A copy of the sample bundle of the playground's version, opened as the
/// working copy (the playground then evaluates it, from disk).
fn with_working_copy(app: &mut App) -> tempfile::TempDir {
    let version = app.playground.version().unwrap().clone();
    let bundle = tempfile::tempdir().unwrap();
    let src = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("sample-policies")
        .join(&version.name)
        .join(&version.version);
    copy_dir(&src, bundle.path());
    app.open_working_copy(gavel::working_copy::WorkingCopy::open(bundle.path()).unwrap());
    bundle
}

#[test]
fn ctrl_t_saves_the_input_and_outcome_as_a_named_case() {
    let dir = tempfile::tempdir().unwrap();
    let (mut app, id) = opened(dir.path());
    let bundle = with_working_copy(&mut app);

    // Not evaluated yet: nothing to expect.
    press(&mut app, "<c-t>");
    assert!(app.overlay.is_none());
    assert!(matches!(&app.message, Some((m, MessageKind::Error)) if m.contains("evaluate")));
    // Invalid: says so.
    press(&mut app, "x<c-t>");
    assert!(app.overlay.is_none());
    assert!(
        matches!(&app.message, Some((m, MessageKind::Error)) if m.contains("invalid JSON at 1:1"))
    );
    // The cursor sits on the error: step over the `x` and delete it.
    press(&mut app, "<right><bs><c-s>");
    settle(&mut app);
    let outcome = app.playground.outcome().unwrap().to_string();

    // The name is asked, pre-filled; the case goes into the working copy.
    press(&mut app, "<c-t>");
    let Some(Overlay::Prompt { title, text, .. }) = &app.overlay else {
        panic!("Ctrl-T asks for the case's name: {:?}", app.overlay);
    };
    assert!(title.contains("working copy"), "{title}");
    assert!(
        text.starts_with(&format!("playground {outcome} ")),
        "{text}"
    );
    press(&mut app, "<enter>");
    assert!(app.overlay.is_none());

    let path = bundle.path().join("cases").join("regressions.json");
    let message = match &app.message {
        Some((m, MessageKind::Info)) => m.clone(),
        other => panic!("{other:?}"),
    };
    assert!(message.contains("regressions.json"), "{message}");
    let cases: Vec<Value> = serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    assert_eq!(cases.len(), 1);
    let case = &cases[0];
    assert_eq!(case["expect"]["outcome"], Value::String(outcome.clone()));
    assert!(
        case["name"]
            .as_str()
            .unwrap()
            .starts_with(&format!("playground {outcome} "))
    );
    let text: Value = serde_json::from_str(&app.playground.text()).unwrap();
    assert_eq!(case["input"], text);
    assert_eq!(case["decision_id"], Value::String(id));
    assert!(case["now"].as_str().is_some(), "{case}");
    // The case file is one the suite reads.
    let _: Vec<gavel::engine::cases::Case> =
        serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    assert!(!app.playground.unsaved(), "saving marks the input saved");

    // A name the user types (Ctrl-U clears the offered one).
    press(&mut app, "<c-t><c-u>late invoice<enter>");
    let cases: Vec<Value> = serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    assert_eq!(cases.len(), 2);
    assert_eq!(cases[1]["name"], "late invoice");

    // No name: refused, nothing written.
    press(&mut app, "<c-t><c-u><enter>");
    assert!(matches!(&app.message, Some((m, MessageKind::Error)) if m.contains("needs a name")));
    let cases: Vec<Value> = serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    assert_eq!(cases.len(), 2);
}

#[test]
fn without_a_working_copy_a_case_goes_into_a_folder_picked() {
    let dir = tempfile::tempdir().unwrap();
    let (mut app, _) = opened(dir.path());
    // A version imported from a folder: the picker starts there.
    let version = app.playground.version().unwrap().clone();
    let bundle = tempfile::tempdir().unwrap();
    copy_dir(
        &std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("sample-policies")
            .join(&version.name)
            .join(&version.version),
        bundle.path(),
    );
    gavel::import::import_bundle(
        &mut app.store,
        bundle.path(),
        &gavel::import::ImportOptions {
            version: Some("9.9.9".into()),
            ..Default::default()
        },
    )
    .unwrap();
    app.reload().unwrap();
    press(&mut app, "<c-v>");
    let Some(Overlay::Picker { items, .. }) = &app.overlay else {
        panic!("{:?}", app.overlay);
    };
    let at = items
        .iter()
        .position(|i| *i == format!("{}@9.9.9", version.name))
        .unwrap();
    let from = items
        .iter()
        .position(|i| *i == version.to_string())
        .unwrap();
    let keys = if at > from {
        "<down>".repeat(at - from)
    } else {
        "<up>".repeat(from - at)
    };
    press(&mut app, &format!("{keys}<enter>"));
    assert_eq!(
        app.playground.version().unwrap().to_string(),
        format!("{}@9.9.9", version.name)
    );
    press(&mut app, "<enter><c-s>");
    settle(&mut app);
    press(&mut app, "<c-t><c-u>picked<enter>");
    let Some(Overlay::Picker { items, .. }) = &app.overlay else {
        panic!("a folder picker: {:?}", app.overlay);
    };
    let real = std::fs::canonicalize(bundle.path()).unwrap();
    assert_eq!(items[0], format!("✓ save into {}", real.display()));
    assert!(items.iter().any(|i| i == "cases/"), "{items:?}");
    press(&mut app, "<enter>");
    let cases: Vec<Value> = serde_json::from_str(
        &std::fs::read_to_string(bundle.path().join("cases/regressions.json")).unwrap(),
    )
    .unwrap();
    assert!(cases.iter().any(|c| c["name"] == "picked"), "{cases:?}");
}

#[test]
fn quitting_with_unsaved_edits_asks_first() {
    let dir = tempfile::tempdir().unwrap();
    let (mut app, _) = opened(dir.path());
    // In the editor `q` is text.
    press(&mut app, "q");
    assert!(app.overlay.is_none() && !app.quit);
    assert!(app.playground.unsaved());
    press(&mut app, "<esc>");
    assert!(!app.playground.editing());
    assert_eq!(app.playground.focus(), PlaygroundFocus::Report);
    press(&mut app, "q");
    assert!(matches!(app.overlay, Some(Overlay::ConfirmQuit)));
    assert!(!app.quit);
    press(&mut app, "n");
    assert!(app.overlay.is_none() && !app.quit);
    // Enter goes back into the editor; deleting the edit makes it clean.
    press(&mut app, "<enter>");
    assert!(app.playground.editing());
    press(&mut app, "<bs>");
    assert!(!app.playground.unsaved());
    press(&mut app, "<esc>q");
    assert!(app.quit);
}

#[test]
fn ctrl_v_picks_the_version() {
    let dir = tempfile::tempdir().unwrap();
    let (mut app, _) = opened(dir.path());
    press(&mut app, "<c-v>");
    let Some(Overlay::Picker { items, cursor, .. }) = &app.overlay else {
        panic!("{:?}", app.overlay);
    };
    assert_eq!(items.len(), app.versions.len());
    // It starts on the version in use; j picks the one after it.
    let second = items[cursor.selected + 1].clone();
    press(&mut app, "j<enter>");
    assert_eq!(
        app.playground.version().map(|v| v.to_string()),
        Some(second.clone())
    );
    assert!(app.playground.editing(), "back in the editor after picking");
    press(&mut app, "<c-s>");
    settle(&mut app);
    assert!(render(&app, 120, 40).contains(&format!("under {second}")));
}

#[test]
fn pasted_control_characters_stay_visible_escapes() {
    let dir = tempfile::tempdir().unwrap();
    let (mut app, _) = opened(dir.path());
    app.on_event(crossterm::event::Event::Paste(
        "\"\u{1b}]0;x\u{7}\u{202e}\"\r\n".into(),
    ));
    let text = app.playground.text();
    assert!(
        !text
            .chars()
            .any(|c| c != '\n' && gavel::sanitize::needs_escape(c)),
        "{text:?}"
    );
    assert!(text.contains("\\u001b]0;x\\u0007\\u202e"), "{text}");
}

#[test]
fn empty_store_does_not_panic() {
    let dir = tempfile::tempdir().unwrap();
    let mut app = empty_app(dir.path());
    app.first_run = false;
    press(&mut app, "6");
    render(&app, 80, 24);
    press(&mut app, "<enter>");
    assert!(app.playground.editing());
    press(&mut app, "<c-s>");
    assert!(!evaluating(&app));
    assert!(app.playground.invalid().is_some(), "empty input");
    press(&mut app, "{}<c-s>");
    assert!(!evaluating(&app));
    assert!(
        matches!(&app.message, Some((m, MessageKind::Error)) if m.contains("no version")),
        "{:?}",
        app.message
    );
    press(&mut app, "<c-t><c-v><esc>jkG<tab><tab><tab>g<pgdn>");
    assert!(app.overlay.is_none());
    render(&app, 120, 40);
    render(&app, 80, 24);
}

#[test]
fn snapshots() {
    let dir = tempfile::tempdir().unwrap();
    let mut app = seeded_app(dir.path());
    press(&mut app, "6");
    settle(&mut app);
    masked!({
        for (w, h) in [(120, 40), (80, 24)] {
            insta::assert_snapshot!(format!("playground_empty_{w}x{h}"), render(&app, w, h));
        }
    });
    press(&mut app, "3e<c-s>");
    settle(&mut app);
    masked!({
        for (w, h) in [(120, 40), (80, 24)] {
            insta::assert_snapshot!(format!("playground_evaluated_{w}x{h}"), render(&app, w, h));
        }
    });
    press(&mut app, ",<c-s>");
    settle(&mut app);
    masked!({
        for (w, h) in [(120, 40), (80, 24)] {
            insta::assert_snapshot!(format!("playground_invalid_{w}x{h}"), render(&app, w, h));
        }
    });
}

/// A case saved into a copy of the version's own bundle passes `gavel test`
/// there: the input, entrypoint, time and expected outcome are right.
#[test]
fn a_saved_case_passes_in_its_bundle() {
    let dir = tempfile::tempdir().unwrap();
    let (mut app, _) = opened(dir.path());
    let bundle = with_working_copy(&mut app);
    press(&mut app, "<c-s>");
    settle(&mut app);
    let outcome = app.playground.outcome().unwrap().to_string();
    press(&mut app, "<c-t><enter>");
    assert!(
        matches!(&app.message, Some((_, MessageKind::Info))),
        "{:?}",
        app.message
    );

    let out = assert_cmd::Command::cargo_bin("gavel")
        .unwrap()
        .arg("--db")
        .arg(dir.path().join("cli.db"))
        .arg("test")
        .arg(bundle.path())
        .arg("--run")
        .arg("playground")
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        stdout.contains(&format!("PASS  playground {outcome} ")),
        "{stdout}"
    );
    assert!(stdout.contains("PASS: 1/1"), "{stdout}");
}

#[test]
fn tab_leaves_the_editor_esc_from_the_picker_too_and_ctrl_z_undoes() {
    let dir = tempfile::tempdir().unwrap();
    let (mut app, _) = opened(dir.path());
    let text = app.playground.text();
    // Tab moves focus out of the editor and inserts nothing.
    press(&mut app, "<tab>");
    assert!(!app.playground.editing());
    assert_eq!(app.playground.text(), text);
    // Back in, typing then Ctrl-Z undoes it and Ctrl-Y redoes it.
    press(&mut app, "<enter>");
    assert!(app.playground.editing());
    press(&mut app, "x");
    assert_ne!(app.playground.text(), text);
    press(&mut app, "<c-z>");
    assert_eq!(app.playground.text(), text);
    press(&mut app, "<c-y>");
    assert_ne!(app.playground.text(), text);
    press(&mut app, "<c-z>");
    // Ctrl-V, then Esc: the picker closes and so does the editor, so a
    // tab number switches tabs instead of landing in the JSON.
    press(&mut app, "<c-v>");
    assert!(app.overlay.is_some());
    press(&mut app, "<esc>");
    assert!(app.overlay.is_none());
    assert!(!app.playground.editing());
    press(&mut app, "1");
    assert_eq!(app.tab, gavel::tui::screens::Tab::Policies);
    assert_eq!(app.playground.text(), text);
}

#[test]
fn version_pickers_start_on_the_version_in_hand() {
    let dir = tempfile::tempdir().unwrap();
    let (mut app, _) = opened(dir.path());
    let current = app.playground.version().unwrap().to_string();
    press(&mut app, "<c-v>");
    match &app.overlay {
        Some(gavel::tui::app::Overlay::Picker { items, cursor, .. }) => {
            assert_eq!(items[cursor.selected], current);
            assert_ne!(cursor.selected, 0, "{current} is not the first version");
        }
        other => panic!("no picker: {other:?}"),
    }
    press(&mut app, "<esc>");
    // Diff: the second version's picker starts on the first one chosen.
    press(&mut app, "5v");
    press(&mut app, "jjj<enter>");
    match &app.overlay {
        Some(gavel::tui::app::Overlay::Picker { items, cursor, .. }) => {
            assert_eq!(cursor.selected, 3, "{items:?}");
        }
        other => panic!("no second picker: {other:?}"),
    }
}
