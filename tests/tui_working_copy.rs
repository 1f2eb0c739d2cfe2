//! The working copy: a bundle folder opened as a draft (`gavel DIR`, `O`),
//! evaluated from disk, its suite run (F6), diffed against a stored version
//! (F7) and imported as a new version (F8), all inside the workbench; and
//! the command line that opens it.

mod tui_support;

use std::path::Path;

use gavel::tui::app::{App, MessageKind, Overlay};
use gavel::tui::screens::Tab;
use gavel::working_copy::WorkingCopy;
use tui_support::*;

fn sample(name: &str, version: &str) -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("sample-policies")
        .join(name)
        .join(version)
}

/// The seeded workbench with a copy of gfr-procurement 1.1.0 open as the
/// working copy (in `root/wc`).
fn with_draft(dir: &Path, root: &Path) -> App {
    let wc = root.join("wc");
    std::fs::create_dir_all(&wc).unwrap();
    copy_dir(&sample("gfr-procurement", "1.1.0"), &wc);
    let mut app = seeded_app(dir);
    app.open_working_copy(WorkingCopy::open(&wc).unwrap());
    app
}

fn report(app: &App) -> Vec<String> {
    match &app.overlay {
        Some(Overlay::Report { lines, .. }) => lines.clone(),
        other => panic!("a report: {other:?}"),
    }
}

#[test]
fn the_draft_is_evaluated_from_disk_as_it_is_now() {
    let dir = tempfile::tempdir().unwrap();
    let root = tempfile::tempdir().unwrap();
    let mut app = with_draft(dir.path(), root.path());
    assert_eq!(app.tab, Tab::Playground);
    assert_eq!(
        app.playground.version().unwrap().to_string(),
        "gfr-procurement@working copy"
    );
    press(&mut app, "<enter>{}<c-s>");
    settle(&mut app);
    assert_eq!(app.playground.outcome(), Some("BLOCK"));
    // An edit on disk is what the next evaluation sees: no finding blocks.
    let decision = root.path().join("wc/gfr/procurement/decision.rego");
    let text = std::fs::read_to_string(&decision).unwrap();
    assert!(text.contains("count(block) > 0"), "{text}");
    std::fs::write(
        &decision,
        text.replace("count(block) > 0", "count(block) > 99"),
    )
    .unwrap();
    let rendered = render(&app, 160, 45);
    assert!(rendered.contains("draft: wc"), "{rendered}");
    press(&mut app, " <c-s>");
    settle(&mut app);
    let outcome = app.playground.outcome().expect("evaluated");
    assert_ne!(outcome, "BLOCK", "{:?}", app.message);
}

#[test]
fn f6_runs_the_drafts_suite_and_shows_failures_first() {
    let dir = tempfile::tempdir().unwrap();
    let root = tempfile::tempdir().unwrap();
    let mut app = with_draft(dir.path(), root.path());
    press(&mut app, "<f6>");
    settle(&mut app);
    let lines = report(&app);
    assert!(lines[0].contains("passed, 0 failed"), "{lines:?}");
    let runs_before = app
        .store
        .conn()
        .query_row("SELECT count(*) FROM test_runs", [], |r| r.get::<_, i64>(0))
        .unwrap();
    press(&mut app, "<esc>");
    // Break a test on disk: the next run shows it, first.
    let test = root.path().join("wc/gfr/procurement/decision_test.rego");
    let text = std::fs::read_to_string(&test).unwrap();
    std::fs::write(
        &test,
        format!("{text}\ntest_broken_on_purpose if {{ 1 == 2 }}\n"),
    )
    .unwrap();
    press(&mut app, "<f6>");
    settle(&mut app);
    let lines = report(&app);
    assert!(lines[0].contains("1 failed"), "{lines:?}");
    let first_test = lines
        .iter()
        .find(|l| l.starts_with(['✓', '✗', '!', '-']))
        .unwrap();
    assert!(
        first_test.starts_with('✗') && first_test.contains("test_broken_on_purpose"),
        "{lines:?}"
    );
    assert!(matches!(&app.message, Some((m, MessageKind::Error)) if m.contains("1 failed")));
    // Nothing recorded: the draft is not a stored version.
    let runs_after = app
        .store
        .conn()
        .query_row("SELECT count(*) FROM test_runs", [], |r| r.get::<_, i64>(0))
        .unwrap();
    assert_eq!(runs_before, runs_after);
}

#[test]
fn f7_diffs_the_draft_against_a_stored_version() {
    let dir = tempfile::tempdir().unwrap();
    let root = tempfile::tempdir().unwrap();
    let mut app = with_draft(dir.path(), root.path());
    std::fs::write(
        root.path().join("wc/gfr/procurement/extra.rego"),
        "package gfr.procurement\n\nextra_rule if input.x\n",
    )
    .unwrap();
    press(&mut app, "<f7>");
    let Some(Overlay::Picker { items, cursor, .. }) = &app.overlay else {
        panic!("{:?}", app.overlay);
    };
    // It starts on the newest stored version of the same bundle.
    assert_eq!(items[cursor.selected], "gfr-procurement@2.0.0");
    press(&mut app, "<up><enter>");
    settle(&mut app);
    assert_eq!(app.tab, Tab::Diff);
    let d = app.diff.diff().expect("a diff");
    assert_eq!(d.from.reference().to_string(), "gfr-procurement@1.1.0");
    assert_eq!(d.to.version, "working copy");
    assert_eq!(d.summary.files_added, 1);
    assert_eq!(d.rules.added.len(), 1, "{:?}", d.rules);
    // Impact needs a stored version: said so.
    press(&mut app, "i");
    assert!(matches!(&app.message, Some((m, MessageKind::Error)) if m.contains("not stored")));
}

#[test]
fn f8_imports_the_draft_as_a_new_version() {
    let dir = tempfile::tempdir().unwrap();
    let root = tempfile::tempdir().unwrap();
    let mut app = with_draft(dir.path(), root.path());
    std::fs::write(
        root.path().join("wc/gfr/procurement/extra.rego"),
        "package gfr.procurement\n\nextra_rule if input.x\n",
    )
    .unwrap();
    // A version already stored is refused before anything runs.
    press(&mut app, "<f8><c-u>1.1.0<enter>");
    assert!(matches!(&app.message, Some((m, MessageKind::Error)) if m.contains("already stored")));
    press(&mut app, "<f8>");
    let Some(Overlay::Prompt { text, .. }) = &app.overlay else {
        panic!("{:?}", app.overlay);
    };
    // The next patch after the newest stored version.
    assert_eq!(text, "2.0.1");
    press(&mut app, "<enter>");
    settle(&mut app);
    assert!(
        matches!(&app.message, Some((m, MessageKind::Info)) if m.contains("imported gfr-procurement@2.0.1")),
        "{:?}",
        app.message
    );
    assert!(
        app.versions
            .iter()
            .any(|v| v.name == "gfr-procurement" && v.version == "2.0.1")
    );
    let stored = app
        .store
        .bundle_of(
            app.versions
                .iter()
                .find(|v| v.version == "2.0.1")
                .unwrap()
                .id,
        )
        .unwrap();
    assert!(stored.files.iter().any(|f| f.path.ends_with("extra.rego")));
}

#[test]
fn o_walks_folders_and_opens_a_bundle() {
    let dir = tempfile::tempdir().unwrap();
    let root = tempfile::tempdir().unwrap();
    let mut app = with_draft(dir.path(), root.path());
    let other = root.path().join("pmla-kyc/1.0.0");
    std::fs::create_dir_all(&other).unwrap();
    copy_dir(&sample("pmla-kyc", "1.0.0"), &other);
    // Starts beside the working copy's folder.
    press(&mut app, "O");
    let Some(Overlay::Picker { items, .. }) = &app.overlay else {
        panic!("{:?}", app.overlay);
    };
    assert!(items.contains(&"wc/  (bundle)".to_string()), "{items:?}");
    let at = items.iter().position(|i| i == "pmla-kyc/").unwrap();
    press(&mut app, &format!("{}<enter>", "<down>".repeat(at)));
    let Some(Overlay::Picker { items, .. }) = &app.overlay else {
        panic!("{:?}", app.overlay);
    };
    let at = items.iter().position(|i| i == "1.0.0/  (bundle)").unwrap();
    press(&mut app, &format!("{}<enter>", "<down>".repeat(at)));
    // In the bundle: the first item opens it.
    press(&mut app, "<enter>");
    assert!(app.overlay.is_none(), "{:?}", app.overlay);
    let wc = app.working_copy.as_ref().unwrap();
    assert_eq!(wc.name, "pmla-kyc");
    assert_eq!(
        app.playground.version().unwrap().to_string(),
        "pmla-kyc@working copy"
    );
    // A folder that is no bundle is refused, the working copy kept.
    press(&mut app, "O<up><enter>");
    let _ = &app.overlay;
    press(&mut app, "<esc>");
    assert_eq!(app.working_copy.as_ref().unwrap().name, "pmla-kyc");
}

#[test]
fn f_keys_without_a_working_copy_say_how_to_open_one() {
    let dir = tempfile::tempdir().unwrap();
    let mut app = seeded_app(dir.path());
    press(&mut app, "6<f6>");
    assert!(matches!(&app.message, Some((m, MessageKind::Error)) if m.contains("O opens")));
}

#[test]
fn the_command_line_opens_a_draft_only_without_a_command() {
    let dir = tempfile::tempdir().unwrap();
    let db = seeded_db(dir.path());
    // A directory and a command: refused.
    let out = assert_cmd::Command::cargo_bin("gavel")
        .unwrap()
        .arg("--db")
        .arg(&db)
        .arg(sample("gfr-procurement", "1.1.0"))
        .arg("versions")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("gavel test DIR"));
    // Options before a command still reach the command.
    let out = assert_cmd::Command::cargo_bin("gavel")
        .unwrap()
        .arg("--db")
        .arg(&db)
        .arg("versions")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains("gfr-procurement"));
    // A folder that is not a bundle: refused before the terminal is taken.
    let out = assert_cmd::Command::cargo_bin("gavel")
        .unwrap()
        .arg("--db")
        .arg(&db)
        .arg(dir.path().join("missing"))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("not a directory"));
    // A mistyped command is named as one, with the nearest.
    let out = assert_cmd::Command::cargo_bin("gavel")
        .unwrap()
        .current_dir(dir.path())
        .arg("verfy")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("'verfy' is neither a command nor a directory"),
        "{err}"
    );
    assert!(err.contains("did you mean `gavel verify`?"), "{err}");
}

#[test]
fn on_an_empty_store_a_working_copy_is_worked_on_and_imported() {
    let dir = tempfile::tempdir().unwrap();
    let root = tempfile::tempdir().unwrap();
    let wc = root.path().join("kyc");
    std::fs::create_dir_all(&wc).unwrap();
    copy_dir(&sample("pmla-kyc", "1.0.0"), &wc);
    let mut app = empty_app(dir.path());
    assert!(app.first_run);
    // The first-run screen offers it.
    assert!(render(&app, 120, 40).contains("as a working copy: O"));
    app.open_working_copy(WorkingCopy::open(&wc).unwrap());
    assert!(!app.first_run, "the draft is something to work on");
    press(&mut app, "<enter>{}<c-s>");
    settle(&mut app);
    assert!(app.playground.outcome().is_some(), "{:?}", app.message);
    press(&mut app, "<f8>");
    let Some(Overlay::Prompt { text, .. }) = &app.overlay else {
        panic!("{:?}", app.overlay);
    };
    // The manifest's revision, as `gavel import` would take it.
    assert!(!text.is_empty());
    press(&mut app, "<enter>");
    settle(&mut app);
    assert_eq!(app.versions.len(), 1, "{:?}", app.message);
}
