//! Hostile data: decisions whose ids, paths, inputs and results carry OSC
//! and CSI sequences, C1 controls and bidi overrides are imported, every
//! screen is drawn through the real crossterm backend into a byte buffer,
//! and no escape sequence but ratatui's own (cursor moves, colours, clears)
//! may reach it.

mod tui_support;

use std::cell::RefCell;
use std::io::{Cursor, Write};
use std::rc::Rc;

use gavel::decision_import::{ImportHooks, import_decisions};
use gavel::sanitize::needs_escape;
use gavel::store::Store;
use gavel::tui::app::App;
use ratatui::backend::CrosstermBackend;
use ratatui::layout::Rect;
use ratatui::{Terminal, TerminalOptions, Viewport};
use serde_json::json;
use tui_support::*;

const HOSTILE: &[&str] = &[
    "\u{1b}]0;pwned\u{7}",             // OSC: set the window title
    "\u{1b}]52;c;ZXZpbA==\u{7}",       // OSC 52: write the clipboard
    "\u{1b}[2J\u{1b}[H",               // CSI: clear the screen
    "\u{1b}[31mred\u{1b}[0m",          // CSI: colours
    "\u{9b}31m\u{9d}0;c1\u{9c}",       // C1 CSI, OSC and ST
    "abc\u{202e}fed\u{2066}x\u{2069}", // bidi override and isolates
    "bell\u{7}back\u{8}\r\n\ttab",     // C0 controls
    "\u{1b}P1$r0m\u{1b}\\",            // DCS
];

fn hostile_log() -> String {
    let mut out = String::new();
    for (i, h) in HOSTILE.iter().enumerate() {
        let event = json!({
            "decision_id": format!("hostile-{i}-{h}"),
            "path": format!("gfr/procurement/decision{h}"),
            "input": {
                "note": h,
                format!("key{h}"): [h, {"nested": h}],
                "amount": 1000,
            },
            "result": {"outcome": format!("BLOCK{h}"), "reasons": [
                {"message": h, "rule": h},
                // A rule that fires on this input: its message is a cause's.
                {"message": format!("no value{h}"), "rule": "contract_value_invalid"},
            ]},
            "timestamp": format!("2026-11-2{}T10:00:00Z", i % 9),
            "bundles": {"gfr-procurement": {"revision": "1.0.0"}},
            "labels": {"app": h},
        });
        out.push_str(&event.to_string());
        out.push('\n');
    }
    out
}

/// Every byte the terminal would receive, checked: an ESC must open a CSI
/// whose final byte is one ratatui/crossterm use; nothing else may be a
/// control character or a bidi/format character.
fn assert_clean(bytes: &[u8], screen: &str) {
    let text = String::from_utf8_lossy(bytes);
    let chars: Vec<char> = text.chars().collect();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        if c == '\u{1b}' {
            assert_eq!(
                chars.get(i + 1),
                Some(&'['),
                "{screen}: ESC not followed by [ at char {i}: {:?}",
                context(&chars, i)
            );
            let mut j = i + 2;
            while j < chars.len() && ('\u{30}'..='\u{3f}').contains(&chars[j]) {
                j += 1;
            }
            while j < chars.len() && ('\u{20}'..='\u{2f}').contains(&chars[j]) {
                j += 1;
            }
            let fin = chars.get(j).copied();
            assert!(
                matches!(
                    fin,
                    Some('H' | 'm' | 'J' | 'K' | 'h' | 'l' | 'G' | 'A' | 'B' | 'C' | 'D')
                ),
                "{screen}: unexpected CSI final {fin:?}: {:?}",
                context(&chars, i)
            );
            i = j + 1;
            continue;
        }
        assert!(
            !needs_escape(c),
            "{screen}: control or format char U+{:04X} reached the terminal: {:?}",
            u32::from(c),
            context(&chars, i)
        );
        i += 1;
    }
}

fn context(chars: &[char], i: usize) -> String {
    chars[i.saturating_sub(20)..(i + 20).min(chars.len())]
        .iter()
        .collect()
}

/// A writer whose bytes the test can read back.
#[derive(Clone, Default)]
struct Captured(Rc<RefCell<Vec<u8>>>);

impl Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.borrow_mut().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

fn frame_bytes(app: &App, w: u16, h: u16) -> Vec<u8> {
    let captured = Captured::default();
    let backend = CrosstermBackend::new(captured.clone());
    let mut terminal = Terminal::with_options(
        backend,
        TerminalOptions {
            viewport: Viewport::Fixed(Rect::new(0, 0, w, h)),
        },
    )
    .unwrap();
    terminal
        .draw(|f| {
            gavel::tui::draw::draw(f, app);
            gavel::tui::terminal::sweep(f.buffer_mut());
        })
        .unwrap();
    drop(terminal);
    captured.0.borrow().clone()
}

#[test]
fn hostile_decisions_never_reach_the_terminal_raw() {
    let dir = tempfile::tempdir().unwrap();
    let db = seeded_db(dir.path());
    {
        let mut store = Store::open(&db).unwrap();
        let log = hostile_log();
        let summary = import_decisions(
            &mut store,
            Cursor::new(log.into_bytes()),
            ImportHooks {
                progress: &mut |_, _| {},
                rejected: &mut |_| {},
            },
        )
        .unwrap();
        assert_eq!(summary.imported, HOSTILE.len() as u64, "{summary:?}");
    }
    let mut app = App::new(
        db,
        gavel::tui::action::KeyMap::default(),
        gavel::tui::theme::Theme::default(),
        false,
    )
    .unwrap();
    // Decisions, filtered to the hostile ones, each selected in turn, with
    // the input and result panes focused and unfolded.
    press(&mut app, "3/hostile<enter>");
    let screen = render(&app, 120, 40);
    assert!(
        screen.contains("hostile-"),
        "the hostile decisions are listed:\n{screen}"
    );
    assert!(
        screen.contains("^["),
        "their escapes are drawn in caret form:\n{screen}"
    );
    let mut checked = 0;
    let mut explained = 0;
    for i in 0..HOSTILE.len() {
        for (w, h) in [(120, 40), (80, 24)] {
            assert_clean(&frame_bytes(&app, w, h), &format!("decisions #{i} {w}x{h}"));
            checked += 1;
        }
        // Explained under its version: the causes carry the result's
        // messages.
        press(&mut app, "<enter>");
        settle(&mut app);
        if render(&app, 160, 45).contains("causes (named in the result)") {
            explained += 1;
        }
        for (w, h) in [(120, 40), (80, 24)] {
            assert_clean(
                &frame_bytes(&app, w, h),
                &format!("decisions #{i} explained {w}x{h}"),
            );
            checked += 1;
        }
        // The decision pane, the input and the result, focused and unfolded.
        press(
            &mut app,
            "<tab>G<tab><space><tab><space><s-tab><s-tab><s-tab>j",
        );
    }
    assert!(explained > 0, "a hostile message was shown as a cause's");
    // Replay one under its own version and against another, then open it
    // in the playground, evaluate it, and visit every tab.
    press(&mut app, "gr");
    settle(&mut app);
    press(&mut app, "e");
    press(&mut app, "<c-s>");
    settle(&mut app);
    for keys in [
        "<esc>1", "2", "3", "4", "5", "6", "7", "1m", "?", "<esc>:", "<esc>",
    ] {
        press(&mut app, keys);
        for (w, h) in [(120, 40), (80, 24), (60, 20)] {
            assert_clean(
                &frame_bytes(&app, w, h),
                &format!("after {keys:?} at {w}x{h}"),
            );
            checked += 1;
        }
    }
    assert!(checked > 40);
}

#[test]
fn the_checker_catches_a_raw_sequence() {
    let caught = std::panic::catch_unwind(|| assert_clean(b"ok \x1b]0;pwned\x07", "probe"));
    assert!(caught.is_err(), "an OSC sequence must fail the check");
    let caught = std::panic::catch_unwind(|| assert_clean("x\u{202e}y".as_bytes(), "probe"));
    assert!(caught.is_err(), "a bidi override must fail the check");
    assert_clean(b"\x1b[1;1H\x1b[38;5;2mok\x1b[0m", "probe");
}
