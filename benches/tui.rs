//! The workbench on a store of 1,000,000 decisions (issue 5), printed as
//! figures: time to first frame, key-press to frame at many scroll
//! positions (p50, p99, max), and peak resident memory.
//!
//! `cargo bench --bench tui` (GAVEL_BENCH_TUI_DECISIONS changes the size;
//! the store is kept in target/bench-data/ and reused when its count
//! matches).

use std::path::PathBuf;
use std::time::{Duration, Instant};

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use gavel::decision_import::{ImportHooks, import_decisions};
use gavel::store::Store;
use gavel::tui::action::KeyMap;
use gavel::tui::app::App;
use gavel::tui::theme::Theme;
use ratatui::Terminal;
use ratatui::backend::TestBackend;

#[path = "support/mod.rs"]
mod support;
use support::{peak_rss_mb, write_synthetic_log};

#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// A store with the samples and `n` generated decisions (varied outcomes,
/// versions and ~500-byte inputs), built once and kept.
fn store_with(n: usize) -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target/bench-data");
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join(format!("tui-{n}.db"));
    if let Ok(store) = Store::open(&path)
        && store.count_decisions().unwrap_or(0) as usize >= n
    {
        return path;
    }
    let _ = std::fs::remove_file(&path);
    let mut store = Store::open(&path).unwrap();
    gavel::samples::seed(&mut store, &mut |_, _, _| {}).unwrap();
    let log = dir.join("tui-log.jsonl");
    write_synthetic_log(&log, n, true);
    let started = Instant::now();
    let reader = std::io::BufReader::with_capacity(1 << 20, std::fs::File::open(&log).unwrap());
    let summary = import_decisions(
        &mut store,
        reader,
        ImportHooks {
            progress: &mut |_, _| {},
            rejected: &mut |_| {},
        },
    )
    .unwrap();
    eprintln!(
        "built the store: {} decisions in {:.1} s",
        summary.imported,
        started.elapsed().as_secs_f64()
    );
    let _ = std::fs::remove_file(&log);
    path
}

fn key(code: KeyCode) -> KeyEvent {
    KeyEvent::new(code, KeyModifiers::NONE)
}

fn draw(terminal: &mut Terminal<TestBackend>, app: &App) {
    terminal
        .draw(|f| {
            gavel::tui::draw::draw(f, app);
            gavel::tui::terminal::sweep(f.buffer_mut());
        })
        .unwrap();
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i.min(sorted.len() - 1)]
}

fn ms(d: Duration) -> String {
    format!("{:.2} ms", d.as_secs_f64() * 1000.0)
}

fn main() {
    let n: usize = std::env::var("GAVEL_BENCH_TUI_DECISIONS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1_000_000);
    let db = store_with(n);
    let rss_before = peak_rss_mb();

    // Time to first frame: open the store, build every screen's state, draw.
    let started = Instant::now();
    let mut app = App::new(db.clone(), KeyMap::default(), Theme::default(), false).unwrap();
    let mut terminal = Terminal::new(TestBackend::new(120, 40)).unwrap();
    draw(&mut terminal, &app);
    let first_frame = started.elapsed();
    // And the Decisions tab's first frame, the screen that pages the million.
    let t = Instant::now();
    app.on_key(key(KeyCode::Char('3')));
    draw(&mut terminal, &app);
    let decisions_frame = t.elapsed();

    // Key press to frame, over a walk through the list: single steps, pages,
    // both ends, a filter, and back.
    let mut samples: Vec<(String, Duration)> = Vec::new();
    let mut press = |app: &mut App, label: &str, k: KeyEvent| {
        let t = Instant::now();
        app.on_key(k);
        draw(&mut terminal, app);
        samples.push((label.to_string(), t.elapsed()));
    };
    for _ in 0..200 {
        press(&mut app, "j", key(KeyCode::Char('j')));
    }
    for _ in 0..300 {
        press(&mut app, "PgDn", key(KeyCode::PageDown));
    }
    for _ in 0..100 {
        press(&mut app, "k", key(KeyCode::Char('k')));
    }
    for _ in 0..5 {
        press(&mut app, "G", key(KeyCode::Char('G')));
        for _ in 0..50 {
            press(&mut app, "PgUp", key(KeyCode::PageUp));
        }
        press(&mut app, "g", key(KeyCode::Char('g')));
    }
    for _ in 0..20 {
        press(&mut app, "o (outcome filter)", key(KeyCode::Char('o')));
        for _ in 0..10 {
            press(&mut app, "PgDn", key(KeyCode::PageDown));
        }
    }
    for _ in 0..10 {
        press(&mut app, "Tab", key(KeyCode::Tab));
        press(&mut app, "j", key(KeyCode::Char('j')));
    }
    for tab in ['1', '2', '4', '5', '6', '3'] {
        press(&mut app, "tab switch", key(KeyCode::Char(tab)));
    }

    let mut all: Vec<Duration> = samples.iter().map(|(_, d)| *d).collect();
    all.sort();
    println!(
        "workbench on a store of {n} decisions ({}), 120x40",
        db.display()
    );
    println!("  time to first frame:            {}", ms(first_frame));
    println!("  Decisions tab first frame:      {}", ms(decisions_frame));
    println!(
        "  key press to frame ({} presses): p50 {}  p99 {}  max {}",
        all.len(),
        ms(percentile(&all, 0.5)),
        ms(percentile(&all, 0.99)),
        ms(*all.last().unwrap())
    );
    let mut labels: Vec<&str> = samples.iter().map(|(l, _)| l.as_str()).collect();
    labels.sort();
    labels.dedup();
    for label in labels {
        let mut d: Vec<Duration> = samples
            .iter()
            .filter(|(l, _)| l == label)
            .map(|(_, d)| *d)
            .collect();
        d.sort();
        println!(
            "    {label:<20} n={:<4} p50 {:>9}  p99 {:>9}  max {:>9}",
            d.len(),
            ms(percentile(&d, 0.5)),
            ms(percentile(&d, 0.99)),
            ms(*d.last().unwrap())
        );
    }
    println!(
        "  peak RSS: {:.0} MB (before opening: {rss_before:.0} MB)",
        peak_rss_mb()
    );
}
