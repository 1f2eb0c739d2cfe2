//! Drawing helpers shared by the screens: escaped text, scrolled lists,
//! folded JSON, panes with focus-aware borders.

pub mod explain;
pub mod json;
pub mod list;

use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders};

use super::theme::{Slot, Theme};
use crate::sanitize;

/// Untrusted text as a span: escaped first, always.
pub fn safe<'a>(text: &str, style: Style) -> Span<'a> {
    Span::styled(sanitize::escape(text).into_owned(), style)
}

/// Untrusted multi-line text as lines, each escaped.
pub fn safe_lines(text: &str, style: Style) -> Vec<Line<'static>> {
    sanitize::escape_multiline(text)
        .lines()
        .map(|l| Line::from(Span::styled(l.to_string(), style)))
        .collect()
}

/// A pane: borders in the focus colour and a title.
pub fn pane<'a>(title: &str, focused: bool, theme: &Theme) -> Block<'a> {
    Block::default()
        .borders(Borders::ALL)
        .border_style(theme.border(focused))
        .title(Span::styled(
            // Focus is marked in the title too, not by colour alone (a
            // terminal without colour, NO_COLOR, a colour-blind reader).
            format!(
                " {}{} ",
                if focused { FOCUS_MARK } else { "" },
                sanitize::escape(title)
            ),
            theme.title(focused),
        ))
}

/// A pane of long lines: when focused, its bottom border says how to see
/// them whole (sideways scroll, zoom).
pub fn wide_pane<'a>(title: &str, focused: bool, theme: &Theme) -> Block<'a> {
    let block = pane(title, focused, theme);
    if focused {
        block.title_bottom(Span::styled(
            " h/l sideways · z zoom ",
            theme.style(Slot::Key),
        ))
    } else {
        block
    }
}

/// What a focused pane's title starts with.
pub const FOCUS_MARK: &str = "▶ ";

/// `label: value` with the label muted.
pub fn field<'a>(label: &str, value: &str, theme: &Theme) -> Line<'a> {
    Line::from(vec![
        Span::styled(format!("{label}: "), theme.style(Slot::Muted)),
        safe(value, theme.style(Slot::Text)),
    ])
}

/// A centred rectangle of at most `w` x `h` inside `area`.
pub fn centered(area: Rect, w: u16, h: u16) -> Rect {
    let w = w.min(area.width);
    let h = h.min(area.height);
    Rect {
        x: area.x + (area.width - w) / 2,
        y: area.y + (area.height - h) / 2,
        width: w,
        height: h,
    }
}

/// Cuts a string to `width` display columns with an ellipsis.
pub fn truncate(s: &str, width: usize) -> String {
    use unicode_width::UnicodeWidthChar;
    let mut out = String::new();
    let mut used = 0;
    let total: usize = s.chars().map(|c| c.width().unwrap_or(0)).sum();
    if total <= width {
        return s.to_string();
    }
    for c in s.chars() {
        let w = c.width().unwrap_or(0);
        if used + w + 1 > width {
            break;
        }
        used += w;
        out.push(c);
    }
    out.push('…');
    out
}

/// Columns one h/l moves a pane of long lines sideways.
pub const HSTEP: usize = 8;

/// Wraps lines at `width` display columns, at a space when there is one
/// (styles kept per piece), so a scroll offset counts rows as drawn.
pub fn wrap_lines(lines: Vec<Line<'static>>, width: usize) -> Vec<Line<'static>> {
    use unicode_width::UnicodeWidthChar;
    let width = width.max(1);
    let mut out = Vec::with_capacity(lines.len());
    for line in lines {
        if line.width() <= width {
            out.push(line);
            continue;
        }
        let cells: Vec<(char, Style)> = line
            .spans
            .iter()
            .flat_map(|s| s.content.chars().map(move |c| (c, s.style)))
            .collect();
        let mut start = 0;
        let mut first = true;
        while start < cells.len() {
            // Continuation rows are indented to show they continue.
            let room = if first || width <= 4 {
                width
            } else {
                width - 2
            };
            let (mut used, mut end, mut space) = (0, start, None);
            while end < cells.len() {
                let w = cells[end].0.width().unwrap_or(0);
                if used + w > room {
                    break;
                }
                if cells[end].0 == ' ' {
                    space = Some(end);
                }
                used += w;
                end += 1;
            }
            if end < cells.len()
                && let Some(sp) = space.filter(|sp| *sp > start)
            {
                end = sp + 1;
            }
            if end == start {
                end = start + 1;
            }
            let mut spans: Vec<Span<'static>> = Vec::new();
            if !first && room < width {
                spans.push(Span::raw("  "));
            }
            let mut piece = String::new();
            let mut style = cells[start].1;
            for (c, st) in &cells[start..end] {
                if *st != style && !piece.is_empty() {
                    spans.push(Span::styled(std::mem::take(&mut piece), style));
                }
                style = *st;
                piece.push(*c);
            }
            if !piece.is_empty() {
                spans.push(Span::styled(piece, style));
            }
            out.push(Line::from(spans));
            start = end;
            first = false;
        }
    }
    out
}
