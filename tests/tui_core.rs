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
        ("7", Tab::Certify),
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
    settle(&mut app);
    let screen = render(&app, 120, 40);
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

#[test]
fn rule_panel_shows_the_not_warning() {
    let dir = tempfile::tempdir().unwrap();
    let bundle = dir.path().join("access").join("1.0.0");
    std::fs::create_dir_all(bundle.join("access")).unwrap();
    std::fs::write(
        bundle.join("access/policy.rego"),
        "package access\n\n# METADATA\n# title: Only admins may delete\n# custom:\n#   citations: [\"SOC 2 CC6.1\"]\ndeny if {\n\tinput.action == \"delete\"\n\tnot is_admin(input.user)\n}\n\nis_admin(u) if u.role == \"admin\"\n",
    )
    .unwrap();
    let db = dir.path().join("gavel.db");
    {
        let mut store = gavel::store::Store::open(&db).unwrap();
        gavel::import::import_bundle(&mut store, &bundle, &Default::default()).unwrap();
    }
    let mut app = gavel::tui::app::App::new(
        db,
        gavel::tui::action::KeyMap::default(),
        plain_theme(),
        false,
    )
    .unwrap();
    // Versions -> rules; the module row, then the first rule.
    press(&mut app, "<tab>j");
    assert_eq!(
        app.policies.selected_rule().map(|r| r.name.as_str()),
        Some("deny")
    );
    let screen = render(&app, 120, 40);
    assert!(
        screen.contains("warning:") && screen.contains("is undefined when"),
        "the rule panel warns about `not is_admin(input.user)`:\n{screen}"
    );
    // And a rule filter narrows the list.
    press(&mut app, "/is_adm<enter>");
    let screen = render(&app, 120, 40);
    assert!(screen.contains("rules /is_adm (1)"), "{screen}");
}

#[test]
fn first_run_offers_the_samples_and_loads_them() {
    let dir = tempfile::tempdir().unwrap();
    let mut app = empty_app(dir.path());
    assert!(app.first_run);
    let screen = render(&app, 80, 24);
    assert!(screen.contains("This store is empty"), "{screen}");
    assert!(screen.contains("to load the bundled samples"), "{screen}");
    press(&mut app, "L");
    settle(&mut app);
    assert!(!app.first_run);
    assert_eq!(app.versions.len(), 13);
    let screen = render(&app, 80, 24);
    assert!(screen.contains("gfr-proc"), "{screen}");
}

#[test]
fn help_and_palette_come_from_the_key_table() {
    let dir = tempfile::tempdir().unwrap();
    let mut app = seeded_app(dir.path());
    press(&mut app, "3?");
    assert!(matches!(app.overlay, Some(Overlay::Help { .. })));
    let screen = render(&app, 120, 40);
    for text in [
        "Decisions",
        "replay under its own version",
        "Ctrl-P",
        "everywhere",
    ] {
        assert!(screen.contains(text), "help lists {text:?}:\n{screen}");
    }
    press(&mut app, "<esc>:replay-ag");
    let entries = app.palette_entries("replay-ag");
    assert_eq!(entries.len(), 1, "{entries:?}");
    let screen = render(&app, 120, 40);
    assert!(screen.contains("replay-against"), "{screen}");
    // Enter runs it: the version picker opens.
    press(&mut app, "<enter>");
    assert!(
        matches!(app.overlay, Some(Overlay::Picker { .. })),
        "{:?}",
        app.overlay
    );
    press(&mut app, "<esc>");
    assert!(app.overlay.is_none());
}

#[test]
fn small_terminals_get_a_clear_message() {
    let dir = tempfile::tempdir().unwrap();
    let app = seeded_app(dir.path());
    let screen = render(&app, 70, 20);
    assert!(screen.contains("at least 80x24"), "{screen}");
    let screen = render(&app, 80, 24);
    assert!(screen.contains("[1 Policies]"), "{screen}");
}

#[test]
fn decisions_keyset_paging_reaches_both_ends() {
    let dir = tempfile::tempdir().unwrap();
    let mut app = seeded_app(dir.path());
    press(&mut app, "3");
    settle(&mut app);
    // Down past several pages, to the end and back to the top.
    for _ in 0..40 {
        press(&mut app, "<pgdn>");
    }
    let screen = render(&app, 120, 40);
    assert!(screen.contains("of 1500"), "{screen}");
    press(&mut app, "G");
    let screen = render(&app, 120, 40);
    assert!(screen.contains("decisions 1500 of 1500"), "{screen}");
    for _ in 0..40 {
        press(&mut app, "<pgup>");
    }
    press(&mut app, "g");
    let screen = render(&app, 120, 40);
    assert!(screen.contains("decisions 1 of 1500"), "{screen}");
    // The same top row as before any paging.
    let fresh = seeded_app(tempfile::tempdir().unwrap().path());
    assert_eq!(app.decisions.selected_id(), {
        let mut f = fresh;
        press(&mut f, "3");
        f.decisions.selected_id()
    });
}

#[test]
fn snapshots_of_policies_and_decisions() {
    let dir = tempfile::tempdir().unwrap();
    let mut app = seeded_app(dir.path());
    // gfr-procurement@1.1.0, its second module's first rule.
    press(&mut app, "jjjjjjjjj<tab>jjjjjjjjjjjjjjj");
    for (w, h) in [(120, 40), (80, 24)] {
        insta::assert_snapshot!(format!("policies_rule_{w}x{h}"), render(&app, w, h));
    }
    press(&mut app, "m");
    for (w, h) in [(120, 40), (80, 24)] {
        insta::assert_snapshot!(format!("policies_matrix_{w}x{h}"), render(&app, w, h));
    }
    press(&mut app, "3/outcome:ESCALATE<enter>jj");
    settle(&mut app);
    app.message = None;
    for (w, h) in [(120, 40), (80, 24)] {
        insta::assert_snapshot!(format!("decisions_{w}x{h}"), render(&app, w, h));
    }
}

#[test]
fn replay_and_explain_from_the_decisions_screen() {
    let dir = tempfile::tempdir().unwrap();
    let mut app = seeded_app(dir.path());
    press(&mut app, "3/version:gfr-procurement@1.0.0<enter>");
    press(&mut app, "<enter>");
    settle(&mut app);
    let screen = render(&app, 120, 40);
    assert!(screen.contains("cited rules:"), "{screen}");
    press(&mut app, "r");
    settle(&mut app);
    let (msg, _) = app.message.clone().unwrap();
    assert!(msg.contains("DETERMINISTIC"), "{msg}");
    let screen = render(&app, 120, 40);
    assert!(
        screen.contains("replayed") && screen.contains("DETERMINISTIC"),
        "{screen}"
    );
    // Against another version: the picker, then the verdict.
    press(&mut app, "a");
    let Some(Overlay::Picker { items, cursor, .. }) = &app.overlay else {
        panic!("a opens the version picker");
    };
    let target = items
        .iter()
        .position(|i| i == "gfr-procurement@1.1.0")
        .unwrap();
    // It starts on the decision's own version, the one before.
    assert_eq!(items[cursor.selected], "gfr-procurement@1.0.0");
    for _ in cursor.selected..target {
        press(&mut app, "j");
    }
    press(&mut app, "<enter>");
    settle(&mut app);
    let (msg, _) = app.message.clone().unwrap();
    assert!(
        msg.contains("UNCHANGED") || msg.contains("CHANGED"),
        "{msg}"
    );
}

#[test]
fn a_replay_that_is_the_vms_unchecked_answer_says_so() {
    let dir = tempfile::tempdir().unwrap();
    let db = seeded_db(dir.path());
    let mut store = gavel::store::Store::open(&db).unwrap();
    let id = store
        .list_decisions(
            &gavel::store::decisions::DecisionFilter {
                path: Some("gfr/procurement/decision".into()),
                ..Default::default()
            },
            None,
            1,
        )
        .unwrap()
        .remove(0)
        .decision_id;
    let against = gavel::store::VersionRef::parse("gfr-procurement@2.0.0").unwrap();
    gavel::replay::replay_one(
        &mut store,
        &id,
        Some(&against),
        std::time::Duration::from_secs(5),
    )
    .unwrap();
    // Batch replay records the flag (src/replay tests); here, only how it
    // is shown.
    store
        .conn()
        .execute("UPDATE replays SET vm_unchecked = 1", [])
        .unwrap();
    drop(store);
    let mut app = gavel::tui::app::App::new(
        db,
        gavel::tui::action::KeyMap::default(),
        plain_theme(),
        false,
    )
    .unwrap();
    settle(&mut app);
    press(&mut app, &format!("3/{id}<enter>"));
    settle(&mut app);
    let screen = render(&app, 120, 40);
    assert!(
        screen.contains("(VM, unchecked): UNCHANGED against")
            || screen.contains("(VM, unchecked): CHANGED against"),
        "{screen}"
    );
}

#[test]
fn save_a_decision_as_a_case() {
    let dir = tempfile::tempdir().unwrap();
    let mut app = seeded_app(dir.path());
    // Without a working copy: the name, then a folder picker.
    press(&mut app, "3s");
    let Some(Overlay::Prompt { text, .. }) = &app.overlay else {
        panic!("s asks for the case's name");
    };
    assert!(text.starts_with("decision "), "{text}");
    press(&mut app, "<c-u>overdue kyc<enter>");
    let Some(Overlay::Picker { title, items, .. }) = &app.overlay else {
        panic!("then a folder picker: {:?}", app.overlay);
    };
    assert!(title.contains("overdue kyc"), "{title}");
    assert!(items[0].starts_with("✓ save into "), "{items:?}");
    press(&mut app, "<esc>");
    // With a working copy open, the case goes into it.
    let bundle = dir.path().join("bundle");
    let sample =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("sample-policies/pmla-kyc/1.0.0");
    copy_dir(&sample, &bundle);
    app.open_working_copy(gavel::working_copy::WorkingCopy::open(&bundle).unwrap());
    press(&mut app, "3s<c-u>overdue kyc<enter>");
    let (msg, _) = app.message.clone().unwrap();
    assert!(msg.contains("regressions.json"), "{msg}");
    let cases: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(bundle.join("cases/regressions.json")).unwrap(),
    )
    .unwrap();
    let case = &cases[0];
    assert_eq!(case["name"], "overdue kyc");
    assert!(case["decision_id"].is_string());
    assert!(case["expect"]["outcome"].is_string());
    assert!(case["input"].is_object());
}

#[test]
fn the_decisions_screen_shows_the_signed_log_and_the_checkpoint_last_exported() {
    let dir = tempfile::tempdir().unwrap();
    let mut app = seeded_app(dir.path());
    // Signed and written out for an auditor, as `gavel checkpoint --out` does.
    let cp = app.store.checkpoint_now("checkpoint").unwrap();
    app.store.record_export(cp.id, "/audit/kept.txt").unwrap();
    app.reload().unwrap();
    press(&mut app, "3");
    settle(&mut app);
    let screen = render(&app, 160, 40);
    assert!(
        screen.contains(&format!(
            "log 1500 · checkpoint #{} · ✓ extends kept.txt (1500)",
            cp.id
        )),
        "{screen}"
    );
    // The stored tree changed behind Gavel's back (the indicator reads the
    // stored hashes; `gavel verify --checkpoint` recomputes them all).
    app.store
        .conn()
        .execute_batch(
            "DROP TRIGGER log_nodes_no_update; UPDATE log_nodes SET hash = zeroblob(32) WHERE level = 10;",
        )
        .unwrap();
    app.reload().unwrap();
    settle(&mut app);
    let screen = render(&app, 160, 40);
    assert!(
        screen.contains("✗ NOT extending kept.txt (1500)"),
        "{screen}"
    );
}

#[test]
fn focus_shows_without_colour_and_messages_stay_on_their_tab() {
    let dir = tempfile::tempdir().unwrap();
    let mut app = seeded_app(dir.path());
    // The plain theme has no colours: the focused pane says so in its title.
    let screen = render(&app, 120, 30);
    assert_eq!(screen.matches('▶').count(), 1, "{screen}");
    press(&mut app, "<tab>");
    let after = render(&app, 120, 30);
    assert_eq!(after.matches('▶').count(), 1, "{after}");
    assert_ne!(
        screen.lines().find(|l| l.contains('▶')),
        after.lines().find(|l| l.contains('▶')),
        "Tab moved the mark"
    );
    // A message belongs to the tab it was said on.
    app.info("said on the Policies tab".into());
    assert!(render(&app, 120, 30).contains("said on the Policies tab"));
    press(&mut app, "3");
    assert!(!render(&app, 120, 30).contains("said on the Policies tab"));
    press(&mut app, "1");
    assert!(render(&app, 120, 30).contains("said on the Policies tab"));
}

#[test]
fn the_palette_says_when_nothing_matches() {
    let dir = tempfile::tempdir().unwrap();
    let mut app = seeded_app(dir.path());
    press(&mut app, ":zzqx");
    assert!(matches!(app.overlay, Some(Overlay::Palette { .. })));
    let screen = render(&app, 120, 30);
    assert!(screen.contains("no match for \"zzqx\""), "{screen}");
}

#[test]
fn the_certify_tab_shows_a_replay_made_on_another_tab_at_once() {
    let dir = tempfile::tempdir().unwrap();
    let mut app = seeded_app(dir.path());
    press(&mut app, "7");
    let before = render(&app, 160, 45);
    assert!(before.contains("none replayed under it"), "{before}");
    // Replay the selected version's decisions from the Replay tab.
    let version = app
        .certify
        .selected_certification()
        .unwrap()
        .version
        .clone();
    let id = app
        .versions
        .iter()
        .find(|v| v.reference().to_string() == version)
        .unwrap()
        .id;
    app.apply_effects(vec![gavel::tui::screens::Effect::RunImpact {
        filter: gavel::store::decisions::DecisionFilter {
            version_id: Some(id),
            ..Default::default()
        },
        against: None,
        label: version.clone(),
    }]);
    settle(&mut app);
    press(&mut app, "7");
    let after = render(&app, 160, 45);
    assert!(!after.contains("none replayed under it"), "{after}");
    assert!(after.contains("DETERMINISTIC"), "{after}");
}

#[test]
fn the_version_chosen_on_one_tab_is_the_one_the_next_opens_on() {
    let dir = tempfile::tempdir().unwrap();
    let mut app = seeded_app(dir.path());
    press(&mut app, "jjj");
    assert_eq!(app.policies.selected_version(), 3);
    press(&mut app, "2");
    assert_eq!(app.tests.selected_version_index(), 3);
    press(&mut app, "7");
    assert_eq!(app.certify.selected_version_index(), 3);
    let chosen = app.versions[3].reference().to_string();
    assert_eq!(
        app.certify.selected_certification().unwrap().version,
        chosen
    );
    press(&mut app, "jj1");
    assert_eq!(app.policies.selected_version(), 5);
    // A tab without a version list keeps the choice for the next one.
    press(&mut app, "3");
    press(&mut app, "2");
    assert_eq!(app.tests.selected_version_index(), 5);
}

/// The rows inside the decision pane (between its borders) and its bottom
/// border, read off a rendered screen.
fn decision_pane(screen: &str) -> (Vec<String>, String) {
    let lines: Vec<Vec<char>> = screen.lines().map(|l| l.chars().collect()).collect();
    let (top, x) = lines
        .iter()
        .enumerate()
        .find_map(|(y, l)| {
            let s: String = l.iter().collect();
            let at = s.find("decision ─")?;
            let col = s[..at].rfind('┌')?;
            Some((y, s[..col].chars().count()))
        })
        .unwrap_or_else(|| panic!("no decision pane:\n{screen}"));
    let mut rows = Vec::new();
    for l in &lines[top + 1..] {
        if l.get(x) == Some(&'└') {
            return (rows, l[x..].iter().collect());
        }
        let row: String = l.get(x + 1..).unwrap_or_default().iter().collect();
        let row = row.trim_end();
        rows.push(row.strip_suffix('│').unwrap_or(row).trim_end().to_string());
    }
    panic!("the decision pane has no bottom border:\n{screen}");
}

/// Everything the decision pane holds, read by scrolling it one row at a
/// time to its end (it must have focus).
fn whole_decision_pane(app: &mut gavel::tui::app::App, w: u16, h: u16) -> Vec<String> {
    let (mut rows, mut bottom) = decision_pane(&render(app, w, h));
    let mut presses = 0;
    while bottom.contains('↓') {
        press(app, "j");
        let (now, b) = decision_pane(&render(app, w, h));
        rows.push(now.last().cloned().unwrap_or_default());
        bottom = b;
        presses += 1;
        assert!(presses < 1000, "the pane never reached its end");
    }
    rows
}

/// `cited rules: F of N fired` -> (F, N).
fn fired_of(rows: &[String]) -> (usize, usize) {
    let line = rows
        .iter()
        .find(|l| l.starts_with("cited rules: "))
        .unwrap_or_else(|| panic!("no cited rules line: {rows:#?}"));
    let words: Vec<&str> = line.split_whitespace().collect();
    (words[2].parse().unwrap(), words[4].parse().unwrap())
}

fn position(rows: &[String], prefix: &str) -> usize {
    rows.iter()
        .position(|l| l.starts_with(prefix))
        .unwrap_or_else(|| panic!("no row starts with {prefix:?}: {rows:#?}"))
}

#[test]
fn an_explained_decision_lists_every_cited_rule_causes_first() {
    let dir = tempfile::tempdir().unwrap();
    let mut app = seeded_app(dir.path());
    press(
        &mut app,
        "3/outcome:BLOCK version:gfr-procurement@1.0.0<enter><enter>",
    );
    settle(&mut app);
    // The decision pane takes focus and says so.
    press(&mut app, "<tab>");
    let screen = render(&app, 120, 40);
    assert!(screen.contains("┌ ▶ decision ─"), "{screen}");
    let rows = whole_decision_pane(&mut app, 120, 40);
    println!("{}", rows.join("\n"));
    let (fired, cited) = fired_of(&rows);
    assert!(
        fired > 7,
        "a decision with more than 7 fired rules: {fired}"
    );
    // Every rule is there: one row each, fired (●) or not (○).
    let marked = |m: &str| rows.iter().filter(|l| l.starts_with(m)).count();
    assert_eq!(marked("  ● "), fired, "{rows:#?}");
    assert_eq!(marked("  ○ "), cited - fired, "{rows:#?}");
    // Causes, then helpers, then the rules that did not fire.
    let causes = position(&rows, "causes (named in the result): ");
    let helpers = position(&rows, "helpers (fired, not named in the result): ");
    let quiet = position(&rows, "not fired: ");
    assert!(causes < helpers && helpers < quiet, "{rows:#?}");
    // The causes are the rules the result names, with their messages and
    // the lines of theirs that ran.
    let id = app.decisions.selected_id().unwrap();
    let (_, record) = app.store.get_decision(&id).unwrap().unwrap();
    let reasons = record.result().unwrap()["reasons"].as_array().unwrap();
    let named: Vec<&str> = reasons
        .iter()
        .map(|r| r["rule"].as_str().unwrap())
        .collect();
    let cause_rows: Vec<&String> = rows[causes..helpers]
        .iter()
        .filter(|l| l.starts_with("  ● "))
        .collect();
    assert!(!cause_rows.is_empty());
    for row in &cause_rows {
        let rule = row["  ● ".len()..].split_whitespace().next().unwrap();
        assert!(named.contains(&rule), "{rule} is not named in {named:?}");
    }
    for rule in &named {
        assert!(
            cause_rows
                .iter()
                .any(|r| r.starts_with(&format!("  ● {rule} "))),
            "{rule} is a cause: {rows:#?}"
        );
        assert!(
            !rows[helpers..quiet]
                .iter()
                .any(|r| r.starts_with(&format!("  ● {rule} "))),
            "{rule} is not a helper"
        );
    }
    assert!(
        rows[causes..helpers]
            .iter()
            .any(|l| l.starts_with("    ran in ")),
        "{rows:#?}"
    );
    let first_message = reasons[0]["message"].as_str().unwrap();
    let words: Vec<&str> = first_message.split_whitespace().take(3).collect();
    assert!(
        rows[causes..helpers]
            .iter()
            .any(|l| l.contains(&words.join(" "))),
        "the message {first_message:?} shows: {rows:#?}"
    );
    // At the top again, the same pane shows the explained decision.
    for (w, h) in [(80, 24), (160, 45)] {
        press(&mut app, "g");
        app.message = None;
        insta::assert_snapshot!(format!("decisions_explained_{w}x{h}"), render(&app, w, h));
    }
}

#[test]
fn replay_against_shows_the_rules_that_fire_differently_and_the_result_diff() {
    // A decision whose replay under gfr-procurement@2.0.0 changes rules and
    // result, found on a copy of the store.
    let scratch = tempfile::tempdir().unwrap();
    let mut store = gavel::store::Store::open(&seeded_db(scratch.path())).unwrap();
    let against = gavel::store::VersionRef::parse("gfr-procurement@2.0.0").unwrap();
    let v1 = store
        .version_by_name("gfr-procurement", "1.0.0")
        .unwrap()
        .unwrap()
        .0;
    let rows = store
        .list_decisions(
            &gavel::store::decisions::DecisionFilter {
                version_id: Some(v1),
                ..Default::default()
            },
            None,
            300,
        )
        .unwrap();
    let expected = rows
        .iter()
        .find_map(|r| {
            let rep = gavel::replay::replay_one(
                &mut store,
                &r.decision_id,
                Some(&against),
                std::time::Duration::from_secs(5),
            )
            .unwrap();
            (rep.rule_changes.len() > 1 && rep.diff.is_some()).then_some(rep)
        })
        .expect("a decision that changes under 2.0.0");
    drop(store);

    let dir = tempfile::tempdir().unwrap();
    let mut app = seeded_app(dir.path());
    press(&mut app, &format!("3/{}<enter>", expected.decision_id));
    press(&mut app, "a");
    let Some(Overlay::Picker { items, cursor, .. }) = &app.overlay else {
        panic!("a opens the version picker");
    };
    let target = items
        .iter()
        .position(|i| i == "gfr-procurement@2.0.0")
        .unwrap();
    for _ in cursor.selected..target {
        press(&mut app, "j");
    }
    press(&mut app, "<enter>");
    settle(&mut app);
    press(&mut app, "<tab>");
    let rows = whole_decision_pane(&mut app, 120, 40);
    println!("{}", rows.join("\n"));
    let changed = position(&rows, "cited rules that fire differently: ");
    assert_eq!(
        rows[changed],
        format!(
            "cited rules that fire differently: {}",
            expected.rule_changes.len()
        )
    );
    for c in &expected.rule_changes {
        assert!(
            rows.iter()
                .any(|l| l.starts_with(&format!("  ≠ {}: ", c.rule))),
            "{} fires differently: {rows:#?}",
            c.rule
        );
    }
    let diff = position(&rows, "result diff (- original, + replayed):");
    let shown = &rows[diff + 1..];
    let diff_text = expected.diff.as_deref().unwrap();
    let signed = |p: char| diff_text.lines().filter(|l| l.starts_with(p)).count();
    assert!(signed('-') + signed('+') > 0, "{diff_text}");
    // Every line of the diff is there, in order, under its gutter sign.
    let mut at = 0;
    for l in diff_text.lines().filter(|l| l.len() < 60) {
        let want = format!("  {l}");
        let found = shown[at..]
            .iter()
            .position(|s| s.trim_end() == want.trim_end())
            .unwrap_or_else(|| panic!("diff line {l:?} missing: {shown:#?}"));
        at += found + 1;
    }
    // The changed outcome is said at the head of it.
    assert!(
        rows.iter()
            .any(|l| l.starts_with("replay ") && l.contains("against gfr-procurement@2.0.0")),
        "{rows:#?}"
    );
}

#[test]
fn a_job_finishing_behind_another_tab_keeps_its_message_for_its_tab() {
    let dir = tempfile::tempdir().unwrap();
    let mut app = seeded_app(dir.path());
    // A test run starts on Tests; the user moves on to Certify at once and
    // is told something there.
    press(&mut app, "2r7c");
    let on_certify = app
        .message
        .clone()
        .expect("Certify says why it cannot sign");
    assert_eq!(app.message_tab, Tab::Certify);
    settle(&mut app);
    assert_eq!(
        app.message,
        Some(on_certify),
        "not overwritten by the Tests job"
    );
    // Back on Tests, its run's message is there.
    press(&mut app, "2");
    let (m, _) = app.message.clone().unwrap();
    assert_eq!(app.message_tab, Tab::Tests);
    assert!(m.contains("passed"), "{m}");
}

#[test]
fn the_palette_finds_another_tabs_actions_and_goes_there() {
    let dir = tempfile::tempdir().unwrap();
    let mut app = seeded_app(dir.path());
    press(&mut app, "3");
    // The auditor's actions live on Certify; asked for from Decisions, they
    // are found, named with their tab, and run there.
    for (query, tab) in [
        ("packet", "Certify"),
        ("verify", "Certify"),
        ("export", "Certify"),
    ] {
        let entries = app.palette_entries(query);
        assert!(
            entries
                .iter()
                .any(|(_, _, text)| text.contains(&format!("on {tab}"))),
            "{query}: {entries:?}"
        );
    }
    // Search finds the filters, this tab's first.
    let entries = app.palette_entries("search");
    assert!(entries.len() >= 2, "{entries:?}");
    assert!(entries[0].2.contains("decisions"), "{entries:?}");
    press(&mut app, ":packet<enter>");
    assert_eq!(app.tab, Tab::Certify);
    assert!(
        matches!(&app.overlay, Some(Overlay::Prompt { title, .. }) if title.contains("certification packet")),
        "{:?}",
        app.overlay
    );
    // Nothing matches: said so.
    press(&mut app, "<esc>:zzzz");
    assert!(app.palette_entries("zzzz").is_empty());
    assert!(render(&app, 80, 24).contains("no match for \"zzzz\""));
}
