//! Shared by the workbench tests: a store seeded with the bundled samples
//! (seeded once, then copied per test), key presses, and renders through
//! ratatui's TestBackend.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::sync::OnceLock;
use std::time::Duration;

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use gavel::store::Store;
use gavel::tui::action::KeyMap;
use gavel::tui::app::App;
use gavel::tui::theme::Theme;
use ratatui::Terminal;
use ratatui::backend::TestBackend;

/// A seeded store file, made once per test binary.
fn template() -> &'static PathBuf {
    static TEMPLATE: OnceLock<PathBuf> = OnceLock::new();
    TEMPLATE.get_or_init(|| {
        let dir = std::env::temp_dir().join(format!("gavel-tui-template-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("template.db");
        let _ = std::fs::remove_file(&path);
        let mut store = Store::open(&path).unwrap();
        gavel::samples::seed(&mut store, &mut |_, _, _| {}).unwrap();
        // Fold the WAL into the file so a plain copy holds everything.
        store
            .conn()
            .execute_batch("PRAGMA wal_checkpoint(TRUNCATE);")
            .unwrap();
        drop(store);
        path
    })
}

/// A fresh copy of the seeded store in `dir`, named `gavel.db`.
pub fn seeded_db(dir: &Path) -> PathBuf {
    let path = dir.join("gavel.db");
    std::fs::copy(template(), &path).unwrap();
    path
}

/// The workbench on a fresh copy of the seeded store (no mouse, dark theme
/// without colours so snapshots hold text only).
/// The app's opening jobs (the decision count) are settled first, so a
/// render does not race them.
pub fn seeded_app(dir: &Path) -> App {
    let db = seeded_db(dir);
    let mut app = App::new(db, KeyMap::default(), plain_theme(), false).unwrap();
    app.use_log_key(dir.join("keys/log.key"));
    settle(&mut app);
    app
}

pub fn empty_app(dir: &Path) -> App {
    let mut app = App::new(
        dir.join("gavel.db"),
        KeyMap::default(),
        plain_theme(),
        false,
    )
    .unwrap();
    app.use_log_key(dir.join("keys/log.key"));
    settle(&mut app);
    app
}

pub fn plain_theme() -> Theme {
    Theme::load("dark", true).unwrap()
}

/// Presses keys: plain characters, or `<name>` for `<esc>`, `<enter>`,
/// `<tab>`, `<s-tab>`, `<up>`, `<down>`, `<left>`, `<right>`, `<pgdn>`,
/// `<pgup>`, `<bs>`, `<f5>` (any F key), `<c-x>` (Ctrl-x).
pub fn press(app: &mut App, keys: &str) {
    let mut chars = keys.chars().peekable();
    while let Some(c) = chars.next() {
        let event = if c == '<' && chars.peek().is_some_and(|n| *n != '>') {
            let name: String = chars.by_ref().take_while(|c| *c != '>').collect();
            key_named(&name)
        } else {
            KeyEvent::new(KeyCode::Char(c), KeyModifiers::NONE)
        };
        app.on_key(event);
    }
}

fn key_named(name: &str) -> KeyEvent {
    let plain = |code| KeyEvent::new(code, KeyModifiers::NONE);
    match name {
        "esc" => plain(KeyCode::Esc),
        "enter" => plain(KeyCode::Enter),
        "tab" => plain(KeyCode::Tab),
        "s-tab" => KeyEvent::new(KeyCode::BackTab, KeyModifiers::SHIFT),
        "up" => plain(KeyCode::Up),
        "down" => plain(KeyCode::Down),
        "left" => plain(KeyCode::Left),
        "right" => plain(KeyCode::Right),
        "pgdn" => plain(KeyCode::PageDown),
        "pgup" => plain(KeyCode::PageUp),
        "bs" => plain(KeyCode::Backspace),
        "space" => plain(KeyCode::Char(' ')),
        "lt" => plain(KeyCode::Char('<')),
        f if f.len() > 1 && f.starts_with('f') && f[1..].parse::<u8>().is_ok() => {
            plain(KeyCode::F(f[1..].parse().unwrap()))
        }
        ctrl if ctrl.starts_with("c-") => KeyEvent::new(
            KeyCode::Char(ctrl.chars().nth(2).unwrap()),
            KeyModifiers::CONTROL,
        ),
        other => panic!("unknown key <{other}>"),
    }
}

/// Waits for the app's background jobs to finish and folds their results in.
pub fn settle(app: &mut App) {
    app.wait_for_jobs(Duration::from_secs(120));
    assert!(
        app.jobs.running.is_empty(),
        "jobs still running after 120 s: {:?}",
        app.jobs.running
    );
}

/// One screen drawn alone into a buffer of `w` x `h` (without the app's
/// tab bar, status line or first-run screen): its text, and how many cells
/// held characters that must never reach a terminal.
pub fn draw_alone(
    app: &App,
    w: u16,
    h: u16,
    draw: impl Fn(&mut ratatui::Frame, ratatui::layout::Rect, &gavel::tui::draw::View),
) -> (String, usize) {
    let mut terminal = Terminal::new(TestBackend::new(w, h)).unwrap();
    let mut swept = 0;
    terminal
        .draw(|f| {
            let view = gavel::tui::draw::View {
                theme: &app.theme,
                keys: &app.keys,
                jobs: &app.jobs.running,
                versions: &app.versions,
                zoom: app.zoom,
            };
            draw(f, f.area(), &view);
            swept = gavel::tui::terminal::sweep(f.buffer_mut());
        })
        .unwrap();
    let buf = terminal.backend().buffer().clone();
    let mut out = String::new();
    for y in 0..buf.area.height {
        for x in 0..buf.area.width {
            out.push_str(buf[(x, y)].symbol());
        }
        out.push('\n');
    }
    (out, swept)
}

/// The screen as text, one line per row, trailing spaces cut.
pub fn render(app: &App, width: u16, height: u16) -> String {
    let mut terminal = Terminal::new(TestBackend::new(width, height)).unwrap();
    terminal
        .draw(|f| {
            gavel::tui::draw::draw(f, app);
            gavel::tui::terminal::sweep(f.buffer_mut());
        })
        .unwrap();
    let buf = terminal.backend().buffer().clone();
    let mut out = String::new();
    for y in 0..buf.area.height {
        let mut line = String::new();
        for x in 0..buf.area.width {
            line.push_str(buf[(x, y)].symbol());
        }
        out.push_str(line.trim_end());
        out.push('\n');
    }
    out
}

/// Copies the folder `from` into `to` (made when missing), as a bundle the
/// test may change.
pub fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), target).unwrap();
        }
    }
}
