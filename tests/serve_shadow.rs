//! `gavel serve --shadow`: decisions received over HTTP are replayed
//! against a candidate version as they arrive, and the workbench's Replay /
//! impact tab shows the running impact, growing on reload; the live counts
//! agree with a batch replay of the same decisions against the same version.

mod serve_support;
mod tui_support;

use std::sync::atomic::AtomicBool;
use std::time::{Duration, Instant};

use gavel::replay::{BatchOptions, Verdict, replay_all};
use gavel::store::decisions::DecisionFilter;
use gavel::store::{Store, VersionRef};
use serve_support::{TOKEN, client, gzip_upload, post};
use tui_support::*;

const CANDIDATE: &str = "gfr-procurement@2.0.0";

/// The sample gfr-procurement events, with new ids (the seeded store holds
/// the originals).
fn live_events() -> Vec<serde_json::Value> {
    let text = std::fs::read_to_string(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("sample-decisions/gfr-procurement.jsonl"),
    )
    .unwrap();
    text.lines()
        .map(|l| {
            let mut e: serde_json::Value = serde_json::from_str(l).unwrap();
            let id = format!("{}-live", e["decision_id"].as_str().unwrap());
            e["decision_id"] = id.into();
            e
        })
        .collect()
}

/// Waits until the shadow batch has replayed `n` decisions.
fn wait_shadow(db: &std::path::Path, n: u64) {
    let store = Store::open(db).unwrap();
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let replayed = store
            .latest_shadow()
            .unwrap()
            .map_or(0, |(r, _)| r.replayed);
        if replayed >= n {
            assert_eq!(replayed, n, "replayed more than was received");
            return;
        }
        assert!(
            Instant::now() < deadline,
            "the shadow replayed {replayed} of {n} decisions in 60 s"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

#[test]
fn received_decisions_are_replayed_live_and_the_impact_tab_shows_the_running_impact() {
    let store = serve_support::Store::new();
    let dir = store.dir.path().to_path_buf();
    seeded_db(&dir);
    let mut server = Server::start_shadow(&store);
    server.wait_for(
        &format!("shadow replay into batch shadow:{CANDIDATE}"),
        Duration::from_secs(5),
    );
    let events = live_events();
    let url = server.url("/logs");
    let agent = client();
    let (status, body) = post(
        &agent,
        &url,
        &gzip_upload(&events[..100]),
        true,
        Some(TOKEN),
    )
    .unwrap();
    assert_eq!(status, 200, "{body}");
    wait_shadow(&store.db, 100);

    // The workbench, opened meanwhile, shows the live shadow on tab 4.
    let mut app = gavel::tui::app::App::new(
        store.db.clone(),
        gavel::tui::action::KeyMap::default(),
        plain_theme(),
        false,
    )
    .unwrap();
    settle(&mut app);
    press(&mut app, "4");
    assert!(app.impact.live().is_some(), "no live shadow on tab 4");
    let report = app.impact.report().unwrap();
    assert_eq!(report.replayed, 100);
    assert_eq!(report.against.as_ref().unwrap().to_string(), CANDIDATE);
    let screen = render(&app, 140, 40);
    assert!(screen.contains("live shadow"), "{screen}");
    assert!(screen.contains("100 replayed so far"), "{screen}");

    // More arrive; a reload (Ctrl-R) shows them.
    for chunk in events[100..].chunks(100) {
        let (status, body) = post(&agent, &url, &gzip_upload(chunk), true, Some(TOKEN)).unwrap();
        assert_eq!(status, 200, "{body}");
    }
    wait_shadow(&store.db, 300);
    press(&mut app, "<c-r>");
    settle(&mut app);
    let live = app.impact.report().unwrap().clone();
    assert_eq!(live.replayed, 300);
    assert!(render(&app, 140, 40).contains("300 replayed so far"));
    // A retried upload is neither stored nor replayed twice.
    let (status, body) = post(
        &agent,
        &url,
        &gzip_upload(&events[..100]),
        true,
        Some(TOKEN),
    )
    .unwrap();
    assert_eq!(status, 200);
    assert!(body.contains(r#""already_stored":100"#), "{body}");
    let (status, out) = server.terminate();
    assert!(status.success());
    assert!(out.contains("shadow: 300 replayed"), "{out}");

    // The live counts are a batch replay's, decision for decision.
    let mut s = Store::open(&store.db).unwrap();
    let (after_stop, _) = s.latest_shadow().unwrap().unwrap();
    assert_eq!(after_stop.replayed, 300);
    let candidate = VersionRef::parse(CANDIDATE).unwrap();
    let batch = replay_all(
        &mut s,
        &BatchOptions {
            filter: DecisionFilter {
                text: Some("-live\"".into()),
                ..DecisionFilter::default()
            },
            against: Some(&candidate),
            timeout: Duration::from_secs(5),
            threads: 1,
            interpreter_only: true,
        },
        &|_, _| {},
        &AtomicBool::new(false),
    )
    .unwrap();
    assert_eq!(batch.replayed, 300);
    assert_eq!(live.verdicts, batch.verdicts);
    assert_eq!(live.transitions, batch.transitions);
    assert_eq!(live.outcomes_after, batch.outcomes_after);
    assert!(
        batch.count(Verdict::Changed) > 0,
        "{CANDIDATE} changes none of the sample decisions: the test shows nothing"
    );
    assert_eq!(batch.count(Verdict::Error), 0, "{:?}", batch.error_sample);
    // A batch run of the user's own replaces the live view until then.
    assert_ne!(batch.batch_id, after_stop.batch_id);
}

/// The serve helper, with `--shadow` on the candidate.
struct Server;

impl Server {
    fn start_shadow(store: &serve_support::Store) -> serve_support::Server {
        serve_support::Server::start(store, &["--shadow", CANDIDATE])
    }
}
