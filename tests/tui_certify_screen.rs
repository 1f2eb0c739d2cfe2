//! The Certify screen (tab 7): versions with their certification, sign-off
//! from prompts, refusals, exceptions added and resolved, the overdue count
//! in the status bar; snapshots at 120x40 and 80x24.

mod tui_support;

use std::path::Path;

use chrono::{DateTime, Utc};
use gavel::certify::Status;
use gavel::tui::app::{App, MessageKind, Overlay};
use gavel::tui::screens::Tab;
use tui_support::*;

const V: &str = "gfr-procurement@1.0.0";

fn at(t: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(t).unwrap().with_timezone(&Utc)
}

/// The binary on the test's store (to record a test run and a replay), on
/// the app's clock.
fn gavel(db: &Path, args: &[&str]) {
    let out = assert_cmd::Command::cargo_bin("gavel")
        .unwrap()
        .env_remove("GAVEL_DB")
        .env("GAVEL_KEY_DIR", db.parent().unwrap().join("keys"))
        .env("GAVEL_NOW", "2026-11-20T09:00:00Z")
        .arg("--db")
        .arg(db)
        .args(args)
        .output()
        .unwrap();
    assert!(out.status.success(), "{args:?}: {out:?}");
}

/// The seeded store with gfr-procurement@1.0.0 tested and replayed, the
/// app on tab 7 with a fixed clock and a key in the temp dir, and the
/// cursor on that version.
fn certify_app(dir: &Path) -> App {
    let db = seeded_db(dir);
    gavel(&db, &["test", V, "--coverage"]);
    gavel(&db, &["replay", "--all", "--version", V]);
    let mut app = App::new(
        db,
        gavel::tui::action::KeyMap::default(),
        plain_theme(),
        false,
    )
    .unwrap();
    app.pin_clock(at("2026-11-20T09:00:00Z"));
    // One key per role, each trusted for its role alone (a key the screen
    // is pointed at must exist, as `--key` must).
    let mut signers = String::new();
    for role in ["legal", "compliance", "audit", "security"] {
        let key = dir.join(format!("keys/{role}.key"));
        let made = gavel::certify::SignerKey::load_or_create(&key).unwrap();
        signers.push_str(&format!("* {} roles={role}\n", made.public_text()));
    }
    let trust = dir.join("allowed_signers");
    std::fs::write(&trust, signers).unwrap();
    app.certify.settings.load_trust(Some(&trust), None).unwrap();
    app.certify.key_file = Some(dir.join("keys/legal.key"));
    app.use_log_key(dir.join("keys/log.key"));
    app.reload().unwrap();
    settle(&mut app);
    press(&mut app, "7");
    let index = app
        .versions
        .iter()
        .position(|v| v.reference().to_string() == V)
        .unwrap();
    for _ in 0..index {
        press(&mut app, "j");
    }
    app
}

fn message(app: &App) -> String {
    app.message
        .as_ref()
        .map(|m| m.0.clone())
        .unwrap_or_default()
}

/// Signs as `role` with that role's key.
fn sign(app: &mut App, role: &str, signer: &str) {
    let key = app.certify.key_file.clone().unwrap();
    app.certify.key_file = Some(key.with_file_name(format!("{role}.key")));
    press(app, "c");
    match &app.overlay {
        Some(Overlay::Prompt { title, .. }) => assert!(title.contains("sign off"), "{title}"),
        other => panic!("no role prompt: {other:?}"),
    }
    // The prompt offers the first missing role; replace it.
    for _ in 0..20 {
        press(app, "<bs>");
    }
    press(
        app,
        &format!("{role}<enter>{signer}<enter>fit to enforce<enter>"),
    );
}

#[test]
fn tab_seven_lists_versions_with_their_status() {
    let dir = tempfile::tempdir().unwrap();
    let app = certify_app(dir.path());
    assert_eq!(app.tab, Tab::Certify);
    assert_eq!(app.certify.statuses().len(), app.versions.len());
    assert!(
        app.certify
            .statuses()
            .iter()
            .all(|s| s.status == Status::Draft)
    );
    let c = app.certify.selected_certification().unwrap();
    assert_eq!(c.version, V);
    assert_eq!(
        c.missing_roles,
        ["legal", "compliance", "audit", "security"]
    );
    let screen = render(&app, 120, 40);
    assert!(screen.contains("[7 Certify]"), "{screen}");
    assert!(screen.contains("ready to sign"), "{screen}");
    assert!(screen.contains("○ legal"), "{screen}");
}

#[test]
fn sign_off_by_every_role_through_prompts() {
    let dir = tempfile::tempdir().unwrap();
    let mut app = certify_app(dir.path());
    sign(&mut app, "legal", "A. Rao");
    assert!(
        message(&app).contains("legal signed off gfr-procurement@1.0.0 (sign-off #1)"),
        "{:?}",
        app.message
    );
    let c = app.certify.selected_certification().unwrap();
    assert_eq!(c.status, Status::PartiallySigned);
    assert_eq!(c.missing_roles, ["compliance", "audit", "security"]);
    assert_eq!(
        c.signoffs[0].row.statement.as_deref(),
        Some("fit to enforce")
    );
    assert!(c.signoffs[0].valid);
    for role in ["compliance", "audit", "security"] {
        sign(&mut app, role, &format!("{role} officer"));
        assert_eq!(
            app.message.as_ref().map(|m| m.1.clone()),
            Some(MessageKind::Info),
            "{:?}",
            app.message
        );
    }
    let c = app.certify.selected_certification().unwrap();
    assert_eq!(c.status, Status::Certified);
    // The version list agrees, and the next version did not inherit it.
    let i = app
        .versions
        .iter()
        .position(|v| v.reference().to_string() == V)
        .unwrap();
    assert_eq!(app.certify.statuses()[i].status, Status::Certified);
    assert_eq!(app.certify.statuses()[i + 1].status, Status::Draft);
    // A second sign-off by a role is refused with the reason.
    sign(&mut app, "legal", "someone");
    assert_eq!(
        app.message.as_ref().map(|m| m.1.clone()),
        Some(MessageKind::Error)
    );
    assert!(
        message(&app).contains("legal already signed off"),
        "{}",
        message(&app)
    );
}

#[test]
fn sign_off_is_refused_without_evidence() {
    let dir = tempfile::tempdir().unwrap();
    let mut app = certify_app(dir.path());
    press(&mut app, "j");
    assert_eq!(
        app.certify.selected_certification().unwrap().version,
        "gfr-procurement@1.1.0"
    );
    let screen = render(&app, 120, 40);
    assert!(
        screen.contains("· tests   no run yet; the suite runs with coverage when"),
        "{screen}"
    );
    assert!(
        screen.contains("✗ replay  150 decisions, none replayed"),
        "{screen}"
    );
    sign(&mut app, "legal", "A. Rao");
    let m = message(&app);
    assert!(
        m.starts_with(
            "refused: gfr-procurement@1.1.0 has 150 stored decisions and none was replayed"
        ),
        "{m}"
    );
    assert_eq!(
        app.certify.selected_certification().unwrap().status,
        Status::Draft
    );
}

#[test]
fn exceptions_are_added_age_into_overdue_and_resolve() {
    let dir = tempfile::tempdir().unwrap();
    let mut app = certify_app(dir.path());
    let id = app
        .store
        .list_decisions(&Default::default(), None, 1)
        .unwrap()[0]
        .decision_id
        .clone();
    press(
        &mut app,
        &format!("x{id}<enter>board waiver<enter>R. Iyer<enter>"),
    );
    assert!(
        message(&app).starts_with("logged exception #1"),
        "{:?}",
        app.message
    );
    assert_eq!(app.certify.exceptions().len(), 1);
    assert_eq!(app.overdue_exceptions, 0);
    let screen = render(&app, 120, 40);
    assert!(!screen.contains("overdue exception"), "{screen}");
    // The decision view shows it was excepted (its state there follows the
    // wall clock, not this test's pinned one).
    press(&mut app, "3");
    settle(&mut app);
    let screen = render(&app, 120, 40);
    assert!(
        screen.contains(" exception #1 ") && screen.contains("owner R. Iyer"),
        "{screen}"
    );
    press(&mut app, "7");

    // 49 hours later: overdue, flagged in the status bar on every tab.
    app.certify.now_override = Some(at("2026-11-22T10:00:00Z"));
    app.reload().unwrap();
    settle(&mut app);
    assert_eq!(app.overdue_exceptions, 1);
    assert_eq!(app.certify.overdue(), 1);
    press(&mut app, "1");
    let screen = render(&app, 120, 40);
    assert!(screen.contains("! 1 overdue exception (7)"), "{screen}");
    press(&mut app, "7");

    // Resolve it from the exceptions pane.
    press(&mut app, "<tab><tab>vratified by the board<enter>");
    assert!(
        message(&app).contains("resolved exception #1: resolved 1h 0m after due"),
        "{:?}",
        app.message
    );
    assert_eq!(app.overdue_exceptions, 0);
    let screen = render(&app, 120, 40);
    assert!(!screen.contains("overdue exception"), "{screen}");
    // An unknown decision is refused with the reason.
    press(&mut app, "xnope<enter>r<enter>o<enter>");
    assert!(
        message(&app).contains("no decision nope"),
        "{:?}",
        app.message
    );
}

#[test]
fn palette_and_help_know_the_certify_actions() {
    let dir = tempfile::tempdir().unwrap();
    let app = certify_app(dir.path());
    let entries = app.palette_entries("exception");
    assert!(
        entries.iter().any(|(a, _)| a.name() == "add-exception"),
        "{entries:?}"
    );
    assert_eq!(
        gavel::tui::action::Action::from_name("tab-7"),
        Some(gavel::tui::action::Action::GoTab(7))
    );
}

#[test]
fn snapshots() {
    let dir = tempfile::tempdir().unwrap();
    let mut app = certify_app(dir.path());
    sign(&mut app, "legal", "A. Rao");
    sign(&mut app, "compliance", "B. Sen");
    let ids: Vec<String> = app
        .store
        .list_decisions(&Default::default(), None, 2)
        .unwrap()
        .into_iter()
        .map(|r| r.decision_id)
        .collect();
    press(
        &mut app,
        &format!("x{}<enter>board waiver<enter>R. Iyer<enter>", ids[0]),
    );
    app.certify.now_override = Some(at("2026-11-21T21:00:00Z"));
    app.reload().unwrap();
    settle(&mut app);
    press(
        &mut app,
        &format!("x{}<enter>CFO memo<enter>S. Menon<enter>", ids[1]),
    );
    app.certify.now_override = Some(at("2026-11-22T10:00:00Z"));
    app.reload().unwrap();
    settle(&mut app);
    app.message = None;
    for (w, h) in [(120, 40), (80, 24)] {
        insta::with_settings!({filters => vec![
            (r"\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d+)?Z)?", "[time]"),
            (r"SHA256:[A-Za-z0-9+/]{12}…", "SHA256:[key]…"),
            (r"/tmp/\.tmp[A-Za-z0-9]+/", "[dir]/"),
        ]}, {
            insta::assert_snapshot!(format!("certify_{w}x{h}"), render(&app, w, h));
        });
    }
}

#[test]
fn x_on_a_decision_logs_an_exception_and_a_wrong_id_stops_at_once() {
    let dir = tempfile::tempdir().unwrap();
    let mut app = certify_app(dir.path());
    // From the Decisions tab: the selected decision, reason, owner.
    press(&mut app, "3");
    let id = app.decisions.selected_id().unwrap();
    press(&mut app, "x");
    match &app.overlay {
        Some(Overlay::Prompt { title, .. }) => {
            assert!(
                title.contains(&format!("exception on {id}: reason")),
                "{title}"
            )
        }
        other => panic!("no reason prompt: {other:?}"),
    }
    press(&mut app, "board waiver<enter>R. Iyer<enter>");
    assert!(
        message(&app).contains(&format!("logged exception #1 on {id}")),
        "{}",
        message(&app)
    );
    // On the Certify tab, an id is checked when it is entered: an unknown
    // one stops there; a unique prefix is taken for the whole id.
    press(&mut app, "7x");
    press(&mut app, "nope-nope<enter>");
    assert!(app.overlay.is_none());
    assert!(
        message(&app).contains("no decision nope-nope"),
        "{}",
        message(&app)
    );
    let other = app
        .store
        .list_decisions(&Default::default(), None, 5)
        .unwrap()
        .into_iter()
        .map(|r| r.decision_id)
        .find(|d| *d != id)
        .unwrap();
    press(&mut app, &format!("x{}<enter>", &other[..8]));
    match &app.overlay {
        Some(Overlay::Prompt { title, .. }) => {
            assert!(
                title.contains(&format!("exception on {other}: reason")),
                "{title}"
            )
        }
        other => panic!("no reason prompt: {other:?}"),
    }
}
