//! A selection over a list of known length, and the window of it that fits
//! a pane. The scroll offset is a hint kept across frames (a `Cell`, since
//! drawing only reads state) so the list scrolls like a pager, not jumps.

use std::cell::Cell;

use crate::tui::action::Action;

#[derive(Debug, Default, Clone)]
pub struct Cursor {
    pub selected: usize,
    offset: Cell<usize>,
    /// The height of the pane when last drawn, for PgUp/PgDn.
    page: Cell<usize>,
}

impl Cursor {
    /// Moves for a navigation action; returns whether it was one.
    pub fn apply(&mut self, action: Action, len: usize) -> bool {
        let page = self.page.get().max(1);
        let last = len.saturating_sub(1);
        self.selected = match action {
            Action::Up => self.selected.saturating_sub(1),
            Action::Down => (self.selected + 1).min(last),
            Action::Top => 0,
            Action::Bottom => last,
            Action::PageUp => self.selected.saturating_sub(page),
            Action::PageDown => (self.selected + page).min(last),
            _ => return false,
        };
        true
    }

    pub fn select(&mut self, i: usize, len: usize) {
        self.selected = i.min(len.saturating_sub(1));
    }

    pub fn clamp(&mut self, len: usize) {
        self.selected = self.selected.min(len.saturating_sub(1));
    }

    /// The rows to draw in a pane `height` rows high: `start..end`.
    pub fn window(&self, len: usize, height: usize) -> std::ops::Range<usize> {
        let height = height.max(1);
        self.page.set(height);
        let mut offset = self.offset.get().min(len.saturating_sub(1));
        if self.selected < offset {
            offset = self.selected;
        } else if self.selected >= offset + height {
            offset = self.selected + 1 - height;
        }
        if offset + height > len {
            offset = len.saturating_sub(height);
        }
        self.offset.set(offset);
        offset..(offset + height).min(len)
    }

    /// The visible rows of `items` in a pane `height` rows high, each drawn
    /// by `row`, the selected one in `selected` style.
    pub fn lines<'a, T>(
        &self,
        items: &[T],
        height: usize,
        selected: ratatui::style::Style,
        row: impl Fn(&T) -> ratatui::text::Line<'a>,
    ) -> Vec<ratatui::text::Line<'a>> {
        let range = self.window(items.len(), height);
        items[range.clone()]
            .iter()
            .zip(range)
            .map(|(item, i)| {
                let line = row(item);
                if i == self.selected {
                    line.style(selected)
                } else {
                    line
                }
            })
            .collect()
    }

    /// The row at screen line `y` of the pane (for mouse clicks).
    pub fn row_at(&self, y: usize, len: usize) -> Option<usize> {
        let i = self.offset.get() + y;
        (i < len).then_some(i)
    }

    pub fn page_size(&self) -> usize {
        self.page.get().max(1)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn window_follows_the_selection() {
        let mut c = Cursor::default();
        assert_eq!(c.window(100, 10), 0..10);
        for _ in 0..15 {
            c.apply(Action::Down, 100);
        }
        assert_eq!(c.window(100, 10), 6..16);
        c.apply(Action::Bottom, 100);
        assert_eq!(c.window(100, 10), 90..100);
        c.apply(Action::PageUp, 100);
        assert_eq!(c.selected, 89);
        assert_eq!(c.window(100, 10), 89..99);
        assert_eq!(c.window(3, 10), 0..3);
        c.clamp(0);
        assert_eq!(c.window(0, 10), 0..0);
    }
}
