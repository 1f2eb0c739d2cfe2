//! The Certify screen (tab 7): versions with their certification, sign-off
//! from prompts, refusals, exceptions added and resolved, the overdue count
//! in the status bar; snapshots at 120x40 and 80x24.

mod tui_support;

use std::path::Path;

use chrono::{DateTime, Utc};
use gavel::certify::Status;
use gavel::tui::app::{App, MessageKind, Overlay};
use gavel::tui::screens::certify::Panel;
use gavel::tui::screens::{Pick, Prompt, Tab};
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

/// The roles the open role list offers, in its order.
fn offered_roles(app: &App) -> Vec<String> {
    match &app.overlay {
        Some(Overlay::Picker {
            pick: Pick::CertifyRole { roles, .. },
            ..
        }) => roles.clone(),
        other => panic!("no role list: {other:?}"),
    }
}

/// `c`, then `role` picked from the list.
fn pick_role(app: &mut App, role: &str) {
    press(app, "c");
    let roles = offered_roles(app);
    let i = roles.iter().position(|r| r == role).unwrap();
    press(app, &"j".repeat(i));
    press(app, "<enter>");
}

/// Signs as `role` with that role's key.
fn sign(app: &mut App, role: &str, signer: &str) {
    let key = app.certify.key_file.clone().unwrap();
    app.certify.key_file = Some(key.with_file_name(format!("{role}.key")));
    pick_role(app, role);
    match &app.overlay {
        Some(Overlay::Prompt { title, .. }) => assert!(title.contains("signer"), "{title}"),
        other => panic!("no signer prompt: {other:?} {:?}", app.message),
    }
    press(app, &format!("{signer}<enter>fit to enforce<enter>"));
}

/// Logs an exception from `x`: the last outcome item (none granted) and
/// the default due time.
fn except(app: &mut App, id: &str, reason: &str, owner: &str) {
    x_typed(app);
    press(
        app,
        &format!("{id}<enter>{reason}<enter>{owner}<enter>G<enter><enter>"),
    );
}

/// `x` on the Certify tab, then "type a decision id" (the picker's first
/// item, when the version has decisions to pick from).
fn x_typed(app: &mut App) {
    press(app, "x");
    if matches!(app.overlay, Some(Overlay::Picker { .. })) {
        press(app, "g<enter>");
    }
    assert!(
        matches!(&app.overlay, Some(Overlay::Prompt { title, .. }) if title.contains("decision id")),
        "{:?}",
        app.overlay
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
    // Nothing is left to sign: said at once, no list opens.
    press(&mut app, "c");
    assert!(app.overlay.is_none());
    assert!(message(&app).contains("is certified"), "{}", message(&app));
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
    // Said before the first prompt opens, with what to do.
    press(&mut app, "c");
    assert!(app.overlay.is_none(), "{:?}", app.overlay);
    let m = message(&app);
    assert!(
        m.starts_with(
            "cannot sign off gfr-procurement@1.1.0 yet: gfr-procurement@1.1.0 has 150 stored decisions and none was replayed"
        ) && m.contains("gavel replay --all --version gfr-procurement@1.1.0")
            && m.contains("tab 4 replays"),
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
    except(&mut app, &id, "board waiver", "R. Iyer");
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
    press(&mut app, "<tab><tab>vratified by the board<enter><enter>");
    assert!(
        message(&app).contains("resolved exception #1: resolved 1h 0m after due"),
        "{:?}",
        app.message
    );
    assert_eq!(app.overdue_exceptions, 0);
    let screen = render(&app, 120, 40);
    assert!(!screen.contains("overdue exception"), "{screen}");
    // An unknown decision is refused with the reason.
    x_typed(&mut app);
    press(&mut app, "nope<enter>r<enter>o<enter>");
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
        entries.iter().any(|(_, a, _)| a.name() == "add-exception"),
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
    except(&mut app, &ids[0], "board waiver", "R. Iyer");
    app.certify.now_override = Some(at("2026-11-21T21:00:00Z"));
    app.reload().unwrap();
    settle(&mut app);
    except(&mut app, &ids[1], "CFO memo", "S. Menon");
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
    press(&mut app, "board waiver<enter>R. Iyer<enter>G<enter><enter>");
    assert!(
        message(&app).contains(&format!("logged exception #1 on {id}")),
        "{}",
        message(&app)
    );
    // On the Certify tab, an id is checked when it is entered: an unknown
    // one stops there; a unique prefix is taken for the whole id.
    press(&mut app, "7");
    x_typed(&mut app);
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
    x_typed(&mut app);
    press(&mut app, &format!("{}<enter>", &other[..8]));
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

/// What `gavel ARGS` prints on stdout, on the test's store and clock.
fn gavel_out(db: &Path, args: &[&str]) -> Vec<u8> {
    let out = assert_cmd::Command::cargo_bin("gavel")
        .unwrap()
        .env_remove("GAVEL_DB")
        .env("GAVEL_KEY_DIR", db.parent().unwrap().join("keys"))
        .env("GAVEL_NOW", "2026-11-20T09:00:00Z")
        .env(
            "GAVEL_ALLOWED_SIGNERS",
            db.parent().unwrap().join("allowed_signers"),
        )
        .arg("--db")
        .arg(db)
        .args(args)
        .output()
        .unwrap();
    assert!(out.status.success(), "{args:?}: {out:?}");
    out.stdout
}

/// Replaces the open prompt's text.
fn retype(app: &mut App, text: &str) {
    let Some(Overlay::Prompt { text: old, .. }) = &app.overlay else {
        panic!("no prompt: {:?}", app.overlay);
    };
    let n = old.chars().count();
    press(app, &"<bs>".repeat(n));
    press(app, text);
}

#[test]
fn the_role_list_holds_the_required_roles_and_refuses_a_signed_one_when_picked() {
    let dir = tempfile::tempdir().unwrap();
    let mut app = certify_app(dir.path());
    // Only the required roles can be picked: no role can be mistyped.
    press(&mut app, "c");
    assert_eq!(
        offered_roles(&app),
        ["legal", "compliance", "audit", "security"]
    );
    press(&mut app, "<esc>");
    sign(&mut app, "legal", "A. Rao");
    assert_eq!(app.message.as_ref().unwrap().1, MessageKind::Info);
    // Those still to sign first; the signed one last, marked.
    press(&mut app, "c");
    assert_eq!(
        offered_roles(&app),
        ["compliance", "audit", "security", "legal"]
    );
    let Some(Overlay::Picker { items, .. }) = &app.overlay else {
        unreachable!()
    };
    assert!(
        items[3].contains("legal") && items[3].contains("signed by A. Rao (sign-off #1)"),
        "{items:?}"
    );
    assert!(items[0].contains("to sign"), "{items:?}");
    // Picked: refused there with the reason, the list stays open, nothing
    // else is asked.
    press(&mut app, "G<enter>");
    assert_eq!(app.message.as_ref().unwrap().1, MessageKind::Error);
    assert!(
        message(&app).contains("legal already signed off (sign-off #1 by A. Rao"),
        "{}",
        message(&app)
    );
    assert_eq!(offered_roles(&app)[3], "legal");
    press(&mut app, "<esc>");
    let c = app.certify.selected_certification().unwrap();
    assert_eq!(c.signoffs.len(), 1);
}

#[test]
fn an_untrusted_signer_is_refused_as_soon_as_entered() {
    let dir = tempfile::tempdir().unwrap();
    let mut app = certify_app(dir.path());
    // The legal key is trusted for legal alone: compliance with it is
    // refused at the signer, before any statement is asked.
    pick_role(&mut app, "compliance");
    press(&mut app, "A. Rao<enter>");
    assert_eq!(app.message.as_ref().unwrap().1, MessageKind::Error);
    assert!(
        message(&app).starts_with("refused: untrusted signer"),
        "{}",
        message(&app)
    );
    assert!(
        message(&app).contains("roles=compliance"),
        "{}",
        message(&app)
    );
    match &app.overlay {
        Some(Overlay::Prompt {
            text,
            prompt: Prompt::CertifySigner { role, .. },
            ..
        }) => {
            assert_eq!(role, "compliance");
            assert_eq!(text, "A. Rao");
        }
        other => panic!("the signer prompt should stay open: {other:?}"),
    }
    press(&mut app, "<esc>");
    // The trusted key for the role goes on to the statement.
    app.certify.key_file = Some(dir.path().join("keys/compliance.key"));
    pick_role(&mut app, "compliance");
    press(&mut app, "B. Sen<enter>");
    match &app.overlay {
        Some(Overlay::Prompt {
            prompt: Prompt::CertifyStatement { signer, .. },
            ..
        }) => assert_eq!(signer, "B. Sen"),
        other => panic!("no statement prompt: {other:?} {:?}", app.message),
    }
    assert_eq!(
        app.certify.selected_certification().unwrap().signoffs.len(),
        0
    );
}

#[test]
fn an_exception_from_the_workbench_keeps_outcome_due_owner_and_resolver() {
    let dir = tempfile::tempdir().unwrap();
    let mut app = certify_app(dir.path());
    let rec = app
        .store
        .list_decisions(&Default::default(), None, 1)
        .unwrap()[0]
        .clone();
    let id = rec.decision_id.clone();
    let (_, full) = app.store.get_decision(&id).unwrap().unwrap();
    x_typed(&mut app);
    press(&mut app, &format!("{id}<enter>"));
    // An empty reason is refused there, the prompt kept.
    press(&mut app, "<enter>");
    assert!(
        message(&app).contains("may not be empty"),
        "{}",
        message(&app)
    );
    press(
        &mut app,
        "waiver by the board, minute 14 of the meeting of 19 November<enter>R. Iyer<enter>",
    );
    // Only what the decision's policy can give, its own outcome left out.
    let outcomes = match &app.overlay {
        Some(Overlay::Picker {
            pick: Pick::ExceptionOutcome { outcomes, .. },
            ..
        }) => outcomes.clone(),
        other => panic!("no outcome list: {other:?} {:?}", app.message),
    };
    let mut known =
        gavel::exceptions::outcomes_of(&app.store, &full.outcome, full.version_id).unwrap();
    known.retain(|o| *o != full.outcome);
    let mut expected: Vec<Option<String>> = known.into_iter().map(Some).collect();
    expected.push(None);
    assert_eq!(outcomes, expected);
    let granted = outcomes[0].clone().unwrap();
    press(&mut app, "<enter>");
    // The due time: the 48-hour clock offered, read as --due is.
    match &app.overlay {
        Some(Overlay::Prompt {
            text,
            prompt: Prompt::ExceptionDue { .. },
            ..
        }) => assert_eq!(text, "48h"),
        other => panic!("no due prompt: {other:?}"),
    }
    retype(&mut app, "soon<enter>");
    assert!(message(&app).starts_with("due: "), "{}", message(&app));
    assert!(matches!(
        &app.overlay,
        Some(Overlay::Prompt {
            prompt: Prompt::ExceptionDue { .. },
            ..
        })
    ));
    retype(&mut app, "2d<enter>");
    assert!(
        message(&app).starts_with(&format!(
            "logged exception #1 on {id}: {} → {granted}, owner R. Iyer, due 2026-11-22T09:00:00",
            full.outcome
        )),
        "{}",
        message(&app)
    );
    let row = app.store.get_exception(1).unwrap().unwrap();
    assert_eq!(row.owner, "R. Iyer");
    assert_eq!(row.granted_outcome.as_deref(), Some(granted.as_str()));
    assert!(
        row.due_at.starts_with("2026-11-22T09:00:00"),
        "{}",
        row.due_at
    );
    // Resolving asks who resolved it, and keeps it.
    press(
        &mut app,
        "<tab><tab>vratified by the board<enter>C. Das<enter>",
    );
    assert!(
        message(&app).starts_with("resolved exception #1 (by C. Das)"),
        "{}",
        message(&app)
    );
    let row = app.store.get_exception(1).unwrap().unwrap();
    let res = row.resolution.unwrap();
    assert_eq!(res.resolved_by.as_deref(), Some("C. Das"));
    assert_eq!(res.note, "ratified by the board");
}

#[test]
fn the_exception_detail_shows_reason_and_note_whole() {
    let dir = tempfile::tempdir().unwrap();
    let mut app = certify_app(dir.path());
    let id = app
        .store
        .list_decisions(&Default::default(), None, 1)
        .unwrap()[0]
        .decision_id
        .clone();
    let reason = "the board waived rule 173 for this award at its meeting of 19 November \
                  (minute 14); the rationale is filed with the contract \u{1b}[31m";
    let reason_typed = reason.replace('\u{1b}', "");
    except(&mut app, &id, &reason_typed, "R. Iyer");
    press(
        &mut app,
        "<tab><tab>vthe waiver was ratified by the finance committee on 21 November; \
         the file holds its minute<enter>C. Das<enter>",
    );
    settle(&mut app);
    press(&mut app, "<enter>");
    assert_eq!(app.certify.panel(), Some(Panel::Exception(1)));
    let screen = render(&app, 80, 24);
    assert!(screen.contains("filed with the"), "{screen}");
    assert!(screen.contains("holds its minute"), "{screen}");
    insta::with_settings!({filters => vec![
        (r"\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d+)?Z)?", "[time]"),
        (r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}", "[decision]"),
    ]}, {
        insta::assert_snapshot!("exception_detail_80x24", screen);
    });
    // Text from the store is escaped where it is drawn: a reason written
    // into the file behind Gavel's back cannot drive the terminal.
    let conn = rusqlite::Connection::open(app.store.path()).unwrap();
    conn.execute_batch("DROP TRIGGER exceptions_no_update;")
        .unwrap();
    conn.execute(
        "UPDATE exceptions SET reason = ?1 WHERE id = 1",
        ["waiver \u{1b}[2J\u{202e}reversed\u{7}"],
    )
    .unwrap();
    drop(conn);
    app.reload().unwrap();
    settle(&mut app);
    assert_eq!(app.certify.panel(), Some(Panel::Exception(1)));
    let (screen, swept) = draw_alone(&app, 80, 22, |f, area, view| {
        app.certify.draw(f, area, view)
    });
    assert_eq!(swept, 0, "{screen}");
    assert!(
        screen.contains("waiver ^[[2J<U+202E>reversed^G"),
        "{screen}"
    );
    // Esc closes it; the panes are back.
    press(&mut app, "<esc>");
    assert_eq!(app.certify.panel(), None);
}

#[test]
fn a_packet_written_from_the_workbench_is_what_gavel_packet_writes() {
    let dir = tempfile::tempdir().unwrap();
    let mut app = certify_app(dir.path());
    press(&mut app, "p");
    match &app.overlay {
        Some(Overlay::Prompt { text, .. }) => {
            assert_eq!(text, "gfr-procurement-1.0.0-packet.md")
        }
        other => panic!("no packet prompt: {other:?}"),
    }
    let md = dir.path().join("out.md");
    retype(&mut app, &format!("{}<enter>", md.display()));
    settle(&mut app);
    assert!(
        message(&app).starts_with(&format!(
            "wrote the certification packet of {V} to {} (Markdown, ",
            md.display()
        )),
        "{}",
        message(&app)
    );
    let written = std::fs::read_to_string(&md).unwrap();
    let db = app.store.path().to_path_buf();
    let cli = gavel_out(&db, &["packet", V, "--format", "md"]);
    assert_eq!(written, String::from_utf8(cli).unwrap());
    // The extension chooses the format.
    let json = dir.path().join("out.json");
    press(&mut app, "p");
    retype(&mut app, &format!("{}<enter>", json.display()));
    settle(&mut app);
    let written = std::fs::read_to_string(&json).unwrap();
    let cli = gavel_out(&db, &["packet", V, "--format", "json"]);
    assert_eq!(written, String::from_utf8(cli).unwrap());
}

#[test]
fn export_writes_what_gavel_decisions_export_prints() {
    let dir = tempfile::tempdir().unwrap();
    let mut app = certify_app(dir.path());
    let out = dir.path().join("decisions.jsonl");
    press(&mut app, "e");
    retype(&mut app, &format!("{}<enter>", out.display()));
    settle(&mut app);
    assert!(
        message(&app).starts_with("exported 1500 decisions to "),
        "{}",
        message(&app)
    );
    let db = app.store.path().to_path_buf();
    let cli = gavel_out(&db, &["decisions", "export"]);
    assert_eq!(std::fs::read(&out).unwrap(), cli);
}

#[test]
fn verify_says_ok_then_damaged_after_a_blob_is_changed() {
    let dir = tempfile::tempdir().unwrap();
    let mut app = certify_app(dir.path());
    press(&mut app, "V");
    settle(&mut app);
    let (ok, _) = app.certify.verify_report().unwrap();
    assert!(ok);
    assert_eq!(app.message.as_ref().unwrap().1, MessageKind::Info);
    assert!(
        message(&app).starts_with("verify: store OK"),
        "{}",
        message(&app)
    );
    assert_eq!(app.certify.panel(), Some(Panel::Verify));
    let screen = render(&app, 80, 24);
    insta::with_settings!({filters => vec![
        (r"root [0-9a-f]{16}", "root [root]"),
        (r"gavel/decisions/[0-9a-f]{16}", "gavel/decisions/[log]"),
    ]}, {
        insta::assert_snapshot!("verify_ok_80x24", screen);
    });
    press(&mut app, "<esc>");
    assert_eq!(app.certify.panel(), None);

    let conn = rusqlite::Connection::open(app.store.path()).unwrap();
    conn.execute_batch(
        "DROP TRIGGER blobs_no_update;
         UPDATE blobs SET text = replace(text, '250000', '2500000')
         WHERE sha256 IN (SELECT f.sha256 FROM files f JOIN versions v ON v.id = f.version_id
                          WHERE f.path = 'gfr/procurement/params.rego' AND v.version = '1.0.0');",
    )
    .unwrap();
    drop(conn);
    press(&mut app, "V");
    settle(&mut app);
    let (ok, lines) = app.certify.verify_report().unwrap();
    assert!(!ok);
    assert!(
        lines
            .iter()
            .any(|(bad, l)| *bad && l.starts_with("version CHANGED: gfr-procurement@1.0.0")),
        "{lines:?}"
    );
    assert_eq!(app.message.as_ref().unwrap().1, MessageKind::Error);
    assert!(
        message(&app).starts_with("verify: store DAMAGED"),
        "{}",
        message(&app)
    );
    let screen = render(&app, 80, 24);
    assert!(screen.contains("verify: store DAMAGED"), "{screen}");
}

#[test]
fn x_on_certify_picks_a_decision_of_the_version_starting_at_the_one_chosen() {
    let dir = tempfile::tempdir().unwrap();
    let mut app = certify_app(dir.path());
    // A version with decisions, and one of them chosen on the Decisions tab.
    let v = app
        .versions
        .iter()
        .position(|v| v.name == "gfr-procurement" && v.version == "1.0.0")
        .unwrap();
    let version_id = app.versions[v].id;
    press(&mut app, "3/version:gfr-procurement@1.0.0<enter>jj");
    let chosen = app.decisions.selected_id().unwrap();
    press(&mut app, "7g");
    press(&mut app, &"j".repeat(v));
    press(&mut app, "x");
    let Some(Overlay::Picker { items, cursor, .. }) = &app.overlay else {
        panic!("a picker: {:?}", app.overlay);
    };
    assert_eq!(items[0], "type a decision id…");
    let listed = app
        .store
        .count_decisions_matching(&gavel::store::decisions::DecisionFilter {
            version_id: Some(version_id),
            ..Default::default()
        })
        .unwrap()
        .min(500);
    assert_eq!(items.len(), listed + 1);
    assert!(
        items[cursor.selected].starts_with(&chosen[..8]),
        "starts on {chosen}: {}",
        items[cursor.selected]
    );
    press(&mut app, "<enter>");
    match &app.overlay {
        Some(Overlay::Prompt { title, .. }) => {
            assert!(
                title.contains(&format!("exception on {chosen}: reason")),
                "{title}"
            )
        }
        other => panic!("the reason next: {other:?}"),
    }
}

/// How many decisions the Decisions list says it holds (`decisions 1 of N`).
fn listed(screen: &str) -> Option<usize> {
    let at = screen.find("decisions 1 of ")? + "decisions 1 of ".len();
    let digits: String = screen[at..]
        .chars()
        .take_while(char::is_ascii_digit)
        .collect();
    digits.parse().ok()
}

/// The Decisions tab's `drift:yes` filter: once gfr-procurement@1.0.0 is
/// certified (here, at 2026-11-20T09:00Z), a decision it makes later is
/// not drift; every seeded decision is (1.0.0's predate its
/// certification, the other versions are drafts), and so is one whose
/// revision the store does not know.
#[test]
fn the_decisions_filter_drift_yes_lists_decisions_of_uncertified_versions() {
    let dir = tempfile::tempdir().unwrap();
    let mut app = certify_app(dir.path());
    // A decision of 1.0.0 made after it will be certified (a sample
    // decision again, under a new id and time, so it replays as it was:
    // certifying needs every decision replayed), and one whose revision
    // the store does not know.
    let sample = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("sample-decisions/gfr-procurement.jsonl"),
    )
    .unwrap();
    let again = |id: &str, revision: &str| {
        let mut e: serde_json::Value = sample
            .lines()
            .map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap())
            .find(|e| e["bundles"]["gfr-procurement"]["revision"] == "1.0.0")
            .unwrap();
        e["decision_id"] = id.into();
        e["timestamp"] = "2026-11-21T10:00:00Z".into();
        e["bundles"]["gfr-procurement"]["revision"] = revision.into();
        e.to_string()
    };
    let log = dir.path().join("later.jsonl");
    std::fs::write(
        &log,
        format!(
            "{}\n{}\n",
            again("after-certification", "1.0.0"),
            again("unknown-revision\u{1b}[31m", "7.7.7")
        ),
    )
    .unwrap();
    let db = dir.path().join("gavel.db");
    gavel(&db, &["decisions", "import", log.to_str().unwrap()]);
    gavel(&db, &["replay", "--all", "--version", V]);
    app.decisions.settings = app.certify.settings.clone();
    app.reload().unwrap();
    settle(&mut app);

    // Nothing is certified yet: no decision is covered.
    press(&mut app, "3");
    settle(&mut app);
    let screen = render(&app, 120, 40);
    assert_eq!(listed(&screen), Some(1502), "{screen}");
    press(&mut app, "/drift:no<enter>");
    settle(&mut app);
    let screen = render(&app, 120, 40);
    assert!(!screen.contains("after-ce"), "{screen}");

    // Certified (at 2026-11-20T09:00Z) on tab 7; the filter, read again
    // on reload, now covers the later decision of that version.
    press(&mut app, "7");
    sign(&mut app, "legal", "A. Rao");
    for role in ["compliance", "audit", "security"] {
        sign(&mut app, role, &format!("{role} officer"));
    }
    assert_eq!(
        app.certify.selected_certification().unwrap().status,
        Status::Certified
    );
    app.reload().unwrap();
    settle(&mut app);
    press(&mut app, "3");
    settle(&mut app);
    let screen = render(&app, 120, 40);
    println!("{screen}");
    assert_eq!(listed(&screen), Some(1), "{screen}");
    assert!(screen.contains("after-ce"), "{screen}");

    press(&mut app, "/<c-u>drift:yes<enter>");
    settle(&mut app);
    let screen = render(&app, 120, 40);
    println!("{screen}");
    assert_eq!(listed(&screen), Some(1501), "{screen}");
    assert!(!screen.contains("after-ce"), "{screen}");
    // The newest drift is the unknown revision's, its id escaped.
    assert!(screen.contains("unknown-"), "{screen}");
    assert!(!screen.contains('\u{1b}'), "{screen}");

    // With another term, and a bad value refused with the term named.
    press(
        &mut app,
        "/<c-u>drift:yes version:gfr-procurement@1.0.0<enter>",
    );
    settle(&mut app);
    let screen = render(&app, 120, 40);
    assert_eq!(listed(&screen), Some(150), "{screen}");
    press(&mut app, "/<c-u>drift:maybe<enter>");
    assert!(
        message(&app).contains("drift:maybe: give drift:yes or drift:no"),
        "{:?}",
        app.message
    );
}
