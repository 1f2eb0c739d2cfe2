//! Pretty JSON with folding: a value flattened into display lines, each
//! object or array foldable at its opening line. Keys and strings are
//! untrusted and escaped.

use std::collections::BTreeSet;

use ratatui::text::{Line, Span};
use serde_json::Value;

use super::list::Cursor;
use crate::sanitize;
use crate::tui::action::Action;
use crate::tui::theme::{Slot, Theme};

/// One display line.
#[derive(Debug, Clone)]
struct JsonLine {
    depth: usize,
    /// The JSON pointer of the value this line opens or shows.
    pointer: String,
    key: Option<String>,
    text: String,
    /// Containers: the line index of the matching close, and a summary.
    close: Option<usize>,
    summary: String,
}

/// A JSON document with its fold state and cursor.
#[derive(Debug, Clone, Default)]
pub struct JsonView {
    lines: Vec<JsonLine>,
    folded: BTreeSet<String>,
    pub cursor: Cursor,
}

impl JsonView {
    pub fn new(value: &Value) -> JsonView {
        let mut lines = Vec::new();
        flatten(value, None, 0, String::new(), &mut lines);
        JsonView {
            lines,
            folded: BTreeSet::new(),
            cursor: Cursor::default(),
        }
    }

    /// A view that folds every container deeper than `depth`.
    pub fn folded_below(value: &Value, depth: usize) -> JsonView {
        let mut v = JsonView::new(value);
        v.folded = v
            .lines
            .iter()
            .filter(|l| l.close.is_some() && l.depth >= depth)
            .map(|l| l.pointer.clone())
            .collect();
        v
    }

    /// Indexes of the lines not hidden inside a folded container.
    fn visible(&self) -> Vec<usize> {
        let mut out = Vec::with_capacity(self.lines.len());
        let mut i = 0;
        while i < self.lines.len() {
            out.push(i);
            let l = &self.lines[i];
            match l.close {
                Some(close) if self.folded.contains(&l.pointer) => i = close + 1,
                _ => i += 1,
            }
        }
        out
    }

    pub fn visible_len(&self) -> usize {
        self.visible().len()
    }

    /// Navigation, and folding at the cursor (Space toggles, Left folds,
    /// Right unfolds).
    pub fn apply(&mut self, action: Action) -> bool {
        let visible = self.visible();
        match action {
            Action::ToggleFold | Action::Left | Action::Right | Action::Select => {
                let Some(&i) = visible.get(self.cursor.selected) else {
                    return false;
                };
                let l = &self.lines[i];
                if l.close.is_none() {
                    return false;
                }
                let p = l.pointer.clone();
                let fold = match action {
                    Action::Left => true,
                    Action::Right => false,
                    _ => !self.folded.contains(&p),
                };
                if fold {
                    self.folded.insert(p);
                } else {
                    self.folded.remove(&p);
                }
                true
            }
            other => self.cursor.apply(other, visible.len()),
        }
    }

    /// The lines to draw in a pane `height` rows high and `width` columns
    /// wide, with the cursor line reversed when `focused`. A long value
    /// wraps onto the rows below it (indented under its key), so nothing is
    /// cut; the window keeps the cursor's line in view.
    pub fn render(
        &self,
        theme: &Theme,
        height: usize,
        width: usize,
        focused: bool,
    ) -> Vec<Line<'static>> {
        let visible = self.visible();
        let range = self.cursor.window(visible.len(), height);
        let mut entries: Vec<Vec<Line<'static>>> = Vec::with_capacity(range.len());
        for (row, &i) in visible[range.clone()].iter().enumerate() {
            let selected = focused && range.start + row == self.cursor.selected;
            entries.push(self.entry_lines(i, theme, width, selected));
        }
        // Wrapped rows may not fit: entries above the cursor give way first,
        // then those below it.
        let cursor_at = self.cursor.selected.saturating_sub(range.start);
        let mut first = 0;
        let rows = |e: &[Vec<Line>]| e.iter().map(Vec::len).sum::<usize>();
        while rows(&entries[first..]) > height && first < cursor_at.min(entries.len()) {
            first += 1;
        }
        let mut out: Vec<Line<'static>> = entries.drain(first..).flatten().collect();
        out.truncate(height.max(1));
        out
    }

    /// One JSON line, wrapped to `width` columns.
    fn entry_lines(
        &self,
        i: usize,
        theme: &Theme,
        width: usize,
        selected: bool,
    ) -> Vec<Line<'static>> {
        use unicode_width::UnicodeWidthStr;
        let l = &self.lines[i];
        let folded = l.close.is_some() && self.folded.contains(&l.pointer);
        let mut spans = vec![Span::raw("  ".repeat(l.depth))];
        if l.close.is_some() {
            spans.push(Span::styled(
                if folded { "▸ " } else { "▾ " },
                theme.style(Slot::Muted),
            ));
        }
        if let Some(k) = &l.key {
            spans.push(Span::styled(
                format!("\"{}\": ", sanitize::escape(k)),
                theme.style(Slot::Info),
            ));
        }
        let value_style = if l.text.starts_with('"') {
            theme.style(Slot::Pass)
        } else {
            theme.style(Slot::Text)
        };
        let used: usize = spans.iter().map(|s| s.content.width()).sum();
        let room = width.saturating_sub(used).max(1);
        let mut lines = Vec::new();
        if width > 0 && l.text.width() > room && !folded {
            // The value's first piece beside its key, the rest below,
            // indented one step deeper than the key.
            let indent = "  ".repeat(l.depth + 1);
            let rest_room = width.saturating_sub(indent.width()).max(8);
            let mut pieces = split_width(&l.text, room).into_iter();
            if let Some(p) = pieces.next() {
                spans.push(Span::styled(p, value_style));
            }
            lines.push(Line::from(spans));
            let rest: String = pieces.collect();
            for p in split_width(&rest, rest_room) {
                lines.push(Line::from(vec![
                    Span::raw(indent.clone()),
                    Span::styled(p, value_style),
                ]));
            }
        } else {
            spans.push(Span::styled(l.text.clone(), value_style));
            if folded {
                spans.push(Span::styled(
                    format!(" {} ", l.summary),
                    theme.style(Slot::Muted),
                ));
                spans.push(Span::styled(
                    if l.text == "{" { "}" } else { "]" },
                    theme.style(Slot::Text),
                ));
            }
            lines.push(Line::from(spans));
        }
        if selected {
            lines = lines
                .into_iter()
                .map(|line| line.style(theme.style(Slot::Selection)))
                .collect();
        }
        lines
    }
}

/// `text` cut into pieces of at most `width` columns (never splitting a
/// character).
fn split_width(text: &str, width: usize) -> Vec<String> {
    use unicode_width::UnicodeWidthChar;
    let mut out = Vec::new();
    let mut piece = String::new();
    let mut used = 0;
    for c in text.chars() {
        let w = c.width().unwrap_or(0);
        if used + w > width && !piece.is_empty() {
            out.push(std::mem::take(&mut piece));
            used = 0;
        }
        piece.push(c);
        used += w;
    }
    if !piece.is_empty() {
        out.push(piece);
    }
    out
}

fn flatten(
    value: &Value,
    key: Option<&str>,
    depth: usize,
    pointer: String,
    out: &mut Vec<JsonLine>,
) {
    let key = key.map(|k| k.to_string());
    match value {
        Value::Object(m) if !m.is_empty() => {
            let open = out.len();
            out.push(JsonLine {
                depth,
                pointer: pointer.clone(),
                key,
                text: "{".into(),
                close: None,
                summary: format!("{} keys", m.len()),
            });
            for (k, v) in m {
                flatten(
                    v,
                    Some(k),
                    depth + 1,
                    format!("{pointer}/{}", escape_pointer(k)),
                    out,
                );
            }
            close(out, open, depth, "}");
        }
        Value::Array(a) if !a.is_empty() => {
            let open = out.len();
            out.push(JsonLine {
                depth,
                pointer: pointer.clone(),
                key,
                text: "[".into(),
                close: None,
                summary: format!("{} items", a.len()),
            });
            for (i, v) in a.iter().enumerate() {
                flatten(v, None, depth + 1, format!("{pointer}/{i}"), out);
            }
            close(out, open, depth, "]");
        }
        scalar => out.push(JsonLine {
            depth,
            pointer,
            key,
            // serde_json escapes control characters in strings; the
            // sanitizer catches the rest (bidi, C1) that JSON allows.
            text: sanitize::escape(&scalar.to_string()).into_owned(),
            close: None,
            summary: String::new(),
        }),
    }
}

fn close(out: &mut Vec<JsonLine>, open: usize, depth: usize, text: &str) {
    let idx = out.len();
    out.push(JsonLine {
        depth,
        pointer: String::new(),
        key: None,
        text: text.into(),
        close: None,
        summary: String::new(),
    });
    out[open].close = Some(idx);
}

fn escape_pointer(k: &str) -> String {
    k.replace('~', "~0").replace('/', "~1")
}

impl JsonLine {
    #[cfg(test)]
    fn plain(&self) -> String {
        format!(
            "{}{}{}",
            "  ".repeat(self.depth),
            self.key
                .as_ref()
                .map(|k| format!("\"{k}\": "))
                .unwrap_or_default(),
            self.text
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn folds_and_unfolds() {
        let mut v = JsonView::new(&json!({"a": {"b": 1, "c": [1, 2]}, "d": "x"}));
        let plain: Vec<String> = v.lines.iter().map(JsonLine::plain).collect();
        assert_eq!(plain[0], "{");
        assert_eq!(plain[1], "  \"a\": {");
        assert_eq!(v.visible_len(), 10);
        v.apply(Action::Down);
        v.apply(Action::ToggleFold);
        assert_eq!(v.visible_len(), 4, "a folded: {{, a, d, }}");
        v.apply(Action::Right);
        assert_eq!(v.visible_len(), 10);
        let folded = JsonView::folded_below(&json!({"a": {"b": [1]}}), 1);
        assert_eq!(folded.visible_len(), 3);
    }

    #[test]
    fn hostile_keys_and_strings_are_escaped() {
        let v = JsonView::new(&json!({"\u{1b}]0;x\u{7}": "\u{202e}abc\u{9b}"}));
        let theme = Theme::default();
        for line in v.render(&theme, 10, 40, true) {
            for span in line.spans {
                assert!(
                    !span.content.chars().any(sanitize::needs_escape),
                    "{span:?}"
                );
            }
        }
    }

    #[test]
    fn long_values_wrap_under_their_key_and_the_cursor_stays_in_view() {
        let long = "x".repeat(100);
        let mut v = JsonView::new(&json!({"a": long, "b": 1, "c": 2}));
        let theme = Theme::default();
        let lines = v.render(&theme, 10, 30, true);
        let text: Vec<String> = lines
            .iter()
            .map(|l| l.spans.iter().map(|s| s.content.as_ref()).collect())
            .collect();
        // Every x shows, no row is wider than the pane.
        let xs: usize = text.iter().map(|l| l.matches('x').count()).sum();
        assert_eq!(xs, 100, "{text:?}");
        assert!(text.iter().all(|l| l.chars().count() <= 30), "{text:?}");
        // A short pane: the cursor's line (`c`) is still drawn.
        v.apply(Action::Bottom);
        v.apply(Action::Up);
        let lines = v.render(&theme, 3, 30, true);
        let text: String = lines
            .iter()
            .flat_map(|l| l.spans.iter().map(|s| s.content.to_string()))
            .collect();
        assert!(text.contains("\"c\""), "{text}");
    }
}
