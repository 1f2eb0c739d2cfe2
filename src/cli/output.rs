//! Output helpers: text tables that fit the terminal, JSON documents, and
//! escaping of untrusted text before it reaches a terminal.

use std::io::{IsTerminal, Write};

use serde::Serialize;
use unicode_width::{UnicodeWidthChar, UnicodeWidthStr};

use crate::sanitize;

/// `--format`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    Text,
    Json,
    /// JUnit XML, for `gavel test`.
    Junit,
    /// Markdown, for `gavel packet`.
    Md,
    /// HTML, for `gavel packet`.
    Html,
}

/// Writes a value as pretty JSON and a newline. C1 controls, bidi
/// overrides and the other characters the text output escapes are written
/// as `\uXXXX` escapes: the JSON reads the same, and a terminal it reaches
/// is driven by none of them.
pub fn write_json<T: Serialize>(out: &mut dyn Write, value: &T) -> anyhow::Result<()> {
    let formatter = sanitize::JsonEscaping(serde_json::ser::PrettyFormatter::new());
    let mut ser = serde_json::Serializer::with_formatter(&mut *out, formatter);
    value.serialize(&mut ser)?;
    writeln!(out)?;
    Ok(())
}

/// The width text tables must fit: `COLUMNS` when set, the terminal's width
/// when stdout is one, otherwise none (a pipe gets whole values).
pub fn terminal_width() -> Option<usize> {
    if let Some(cols) = std::env::var("COLUMNS").ok().and_then(|c| c.parse().ok()) {
        return Some(cols);
    }
    if std::io::stdout().is_terminal() {
        return crossterm::terminal::size()
            .ok()
            .map(|(w, _)| usize::from(w));
    }
    None
}

/// How a column gives way when a table is too wide.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Shrink {
    /// Never truncated.
    Fixed,
    /// Truncated at the end (`Long titl…`), down to `min` columns.
    End { min: usize },
    /// Truncated at the start (`…bidding.rego:20`), for paths.
    Start { min: usize },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Align {
    Left,
    Right,
}

/// A text table. Every cell is escaped; columns shrink in the order they
/// were declared shrinkable, last first, until the table fits.
pub struct Table {
    headers: Vec<String>,
    shrink: Vec<Shrink>,
    align: Vec<Align>,
    rows: Vec<Row>,
    indent: usize,
}

enum Row {
    Cells(Vec<String>),
    /// A heading line between rows, printed whole at the left margin.
    Section(String),
}

impl Table {
    pub fn new(columns: &[(&str, Shrink, Align)]) -> Table {
        Table {
            headers: columns.iter().map(|c| c.0.to_string()).collect(),
            shrink: columns.iter().map(|c| c.1).collect(),
            align: columns.iter().map(|c| c.2).collect(),
            rows: Vec::new(),
            indent: 0,
        }
    }

    pub fn indent(mut self, n: usize) -> Table {
        self.indent = n;
        self
    }

    pub fn row(&mut self, cells: Vec<String>) {
        self.rows.push(Row::Cells(
            cells
                .into_iter()
                .map(|c| sanitize::escape(&c).into_owned())
                .collect(),
        ));
    }

    /// A heading line that groups the rows after it.
    pub fn section(&mut self, text: &str) {
        self.rows
            .push(Row::Section(sanitize::escape(text).into_owned()));
    }

    pub fn is_empty(&self) -> bool {
        self.rows.is_empty()
    }

    /// Renders to lines fitting `width` where it can.
    pub fn render(&self, width: Option<usize>) -> String {
        let n = self.headers.len();
        let mut widths: Vec<usize> = (0..n)
            .map(|i| {
                self.rows
                    .iter()
                    .map(|r| match r {
                        Row::Cells(cells) => cells.get(i).map_or(0, |c| c.width()),
                        Row::Section(_) => 0,
                    })
                    .chain([self.headers[i].width()])
                    .max()
                    .unwrap_or(0)
            })
            .collect();
        if let Some(width) = width {
            let total =
                |w: &[usize]| self.indent + w.iter().sum::<usize>() + 2 * n.saturating_sub(1);
            for i in (0..n).rev() {
                let over = total(&widths).saturating_sub(width);
                if over == 0 {
                    break;
                }
                let min = match self.shrink[i] {
                    Shrink::Fixed => continue,
                    Shrink::End { min } | Shrink::Start { min } => min.max(self.headers[i].width()),
                };
                widths[i] = widths[i].saturating_sub(over).max(min);
            }
        }
        let mut out = String::new();
        let header = Row::Cells(self.headers.iter().map(|h| h.to_string()).collect());
        for row in std::iter::once(&header).chain(self.rows.iter()) {
            let row = match row {
                Row::Cells(cells) => cells,
                Row::Section(text) => {
                    out.push_str(&fit(
                        text,
                        width.unwrap_or(usize::MAX),
                        Shrink::End { min: 0 },
                    ));
                    out.push('\n');
                    continue;
                }
            };
            let mut line = " ".repeat(self.indent);
            for (i, (&width, (&shrink, &align))) in widths
                .iter()
                .zip(self.shrink.iter().zip(&self.align))
                .enumerate()
            {
                let cell = row.get(i).map_or("", String::as_str);
                let cell = fit(cell, width, shrink);
                let pad = width.saturating_sub(cell.width());
                let last = i + 1 == n;
                match align {
                    Align::Left => {
                        line.push_str(&cell);
                        if !last {
                            line.push_str(&" ".repeat(pad));
                        }
                    }
                    Align::Right => {
                        line.push_str(&" ".repeat(pad));
                        line.push_str(&cell);
                    }
                }
                if !last {
                    line.push_str("  ");
                }
            }
            out.push_str(line.trim_end());
            out.push('\n');
        }
        out
    }
}

/// Truncates `cell` to `width` display columns with an ellipsis.
fn fit(cell: &str, width: usize, shrink: Shrink) -> String {
    if cell.width() <= width || width == 0 {
        return cell.to_string();
    }
    let budget = width.saturating_sub(1);
    match shrink {
        Shrink::Start { .. } => {
            let mut kept: Vec<char> = Vec::new();
            let mut used = 0;
            for c in cell.chars().rev() {
                let w = c.width().unwrap_or(0);
                if used + w > budget {
                    break;
                }
                used += w;
                kept.push(c);
            }
            std::iter::once('…').chain(kept.into_iter().rev()).collect()
        }
        _ => {
            let mut s = String::new();
            let mut used = 0;
            for c in cell.chars() {
                let w = c.width().unwrap_or(0);
                if used + w > budget {
                    break;
                }
                used += w;
                s.push(c);
            }
            s.push('…');
            s
        }
    }
}

/// Citations as one cell: `GFR 2017 Rule 173; CVC Guidelines Contract award`.
pub fn citation_labels(citations: &[crate::bundle::Citation]) -> String {
    citations
        .iter()
        .map(|c| c.label())
        .collect::<Vec<_>>()
        .join("; ")
}

/// The cited rules of a decision, those that fired first.
pub fn rule_outcomes_table(rules: &[crate::engine::RuleOutcome], width: Option<usize>) -> String {
    let mut t = Table::new(&[
        ("FIRED", Shrink::Fixed, Align::Left),
        ("RULE", Shrink::End { min: 16 }, Align::Left),
        ("CITATION", Shrink::End { min: 14 }, Align::Left),
        ("TITLE", Shrink::End { min: 10 }, Align::Left),
    ])
    .indent(2);
    let mut ordered: Vec<&crate::engine::RuleOutcome> = rules.iter().collect();
    ordered.sort_by_key(|r| !r.fired);
    for r in ordered {
        t.row(vec![
            if r.fired { "yes".into() } else { "-".into() },
            r.rule.clone(),
            citation_labels(&r.citations),
            r.title.clone().unwrap_or_default(),
        ]);
    }
    t.render(width)
}

/// A hash shortened for tables: `sha256:1a2b3c4d5e6f`.
pub fn short_hash(hash: &str) -> String {
    match hash.strip_prefix("sha256:") {
        Some(hex) => format!("sha256:{}", hex.chars().take(12).collect::<String>()),
        None => hash.chars().take(19).collect(),
    }
}

/// An RFC 3339 time shortened for tables: `2026-11-22 10:31`.
pub fn short_time(t: &str) -> String {
    t.get(..16)
        .map_or_else(|| t.to_string(), |s| s.replace('T', " "))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tables_align_and_shrink() {
        let mut t = Table::new(&[
            ("NAME", Shrink::Fixed, Align::Left),
            ("N", Shrink::Fixed, Align::Right),
            ("TITLE", Shrink::End { min: 6 }, Align::Left),
        ]);
        t.row(vec![
            "alpha".into(),
            "7".into(),
            "A very long title indeed".into(),
        ]);
        t.row(vec!["b".into(), "12".into(), "short".into()]);
        let wide = t.render(None);
        assert_eq!(
            wide,
            "NAME    N  TITLE\nalpha   7  A very long title indeed\nb      12  short\n"
        );
        let narrow = t.render(Some(22));
        assert!(narrow.lines().all(|l| l.width() <= 22), "{narrow}");
        assert!(narrow.contains("alpha   7  A very lon…"), "{narrow}");
    }

    #[test]
    fn paths_shrink_from_the_start() {
        assert_eq!(
            fit(
                "gfr/procurement/bidding.rego:20",
                16,
                Shrink::Start { min: 8 }
            ),
            "…bidding.rego:20"
        );
    }

    #[test]
    fn cells_are_escaped() {
        let mut t = Table::new(&[("X", Shrink::Fixed, Align::Left)]);
        t.row(vec!["a\x1b[2Jb".into()]);
        assert!(t.render(None).contains("a^[[2Jb"));
    }
}
