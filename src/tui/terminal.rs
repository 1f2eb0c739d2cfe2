//! One place owns the terminal: entering (raw mode, alternate screen, mouse
//! capture, bracketed paste) and leaving, from a guard's `Drop` and from a
//! chained panic hook, so every exit path, panic included, restores it.
//! Also the last line of defence against hostile text: the frame buffer is
//! swept for control characters before it is flushed.

use std::io::{self, Stdout, Write};
use std::sync::atomic::{AtomicBool, Ordering};

use crossterm::event::{
    DisableBracketedPaste, DisableMouseCapture, EnableBracketedPaste, EnableMouseCapture,
};
use crossterm::execute;
use crossterm::terminal::{
    EnterAlternateScreen, LeaveAlternateScreen, disable_raw_mode, enable_raw_mode,
};
use ratatui::Terminal;
use ratatui::backend::CrosstermBackend;
use ratatui::buffer::Buffer;

use crate::sanitize::needs_escape;

static ACTIVE: AtomicBool = AtomicBool::new(false);
static MOUSE: AtomicBool = AtomicBool::new(false);

pub type Term = Terminal<CrosstermBackend<Stdout>>;

/// Restores the terminal when dropped.
pub struct TerminalGuard {
    pub terminal: Term,
}

impl TerminalGuard {
    pub fn enter(mouse: bool) -> io::Result<TerminalGuard> {
        install_panic_hook();
        enable_raw_mode()?;
        ACTIVE.store(true, Ordering::SeqCst);
        MOUSE.store(mouse, Ordering::SeqCst);
        let mut out = io::stdout();
        let entered = execute!(out, EnterAlternateScreen, EnableBracketedPaste).and_then(|_| {
            if mouse {
                execute!(out, EnableMouseCapture)
            } else {
                Ok(())
            }
        });
        if let Err(e) = entered {
            restore();
            return Err(e);
        }
        let terminal = match Terminal::new(CrosstermBackend::new(io::stdout())) {
            Ok(t) => t,
            Err(e) => {
                restore();
                return Err(e);
            }
        };
        Ok(TerminalGuard { terminal })
    }
}

impl Drop for TerminalGuard {
    fn drop(&mut self) {
        restore();
    }
}

/// Undoes everything `enter` did; safe to call more than once.
pub fn restore() {
    if !ACTIVE.swap(false, Ordering::SeqCst) {
        return;
    }
    let mut out = io::stdout();
    if MOUSE.load(Ordering::SeqCst) {
        let _ = execute!(out, DisableMouseCapture);
    }
    let _ = execute!(
        out,
        DisableBracketedPaste,
        LeaveAlternateScreen,
        crossterm::cursor::Show
    );
    let _ = disable_raw_mode();
    let _ = out.flush();
}

fn install_panic_hook() {
    static INSTALLED: AtomicBool = AtomicBool::new(false);
    if INSTALLED.swap(true, Ordering::SeqCst) {
        return;
    }
    let previous = std::panic::take_hook();
    // Only a panic of the thread that owns the terminal ends the workbench;
    // a worker's panic is caught and reported as that job's error.
    let ui_thread = std::thread::current().id();
    std::panic::set_hook(Box::new(move |info| {
        if std::thread::current().id() == ui_thread {
            // The terminal first, so the panic message is readable.
            restore();
            previous(info);
        }
    }));
}

/// Replaces any cell that would send a control character (or a bidi
/// override) to the terminal. Text is escaped where it is drawn; this is
/// the net under that.
pub fn sweep(buffer: &mut Buffer) -> usize {
    let mut swept = 0;
    for cell in &mut buffer.content {
        if cell.symbol().chars().any(needs_escape) {
            cell.set_symbol("?");
            swept += 1;
        }
    }
    swept
}

#[cfg(test)]
mod tests {
    use super::*;
    use ratatui::layout::Rect;

    #[test]
    fn sweep_replaces_control_cells() {
        let mut buf = Buffer::empty(Rect::new(0, 0, 4, 1));
        buf.content[0].set_symbol("\x1b");
        buf.content[1].set_symbol("a");
        buf.content[2].set_symbol("\u{202e}");
        buf.content[3].set_symbol("\u{9b}");
        assert_eq!(sweep(&mut buf), 3);
        let text: String = buf.content.iter().map(|c| c.symbol()).collect();
        assert_eq!(text, "?a??");
    }
}
