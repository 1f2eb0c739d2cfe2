//! A decision's explanation as lines, the same on every screen that shows
//! one (Decisions, Playground): the causes with their messages and the
//! lines of theirs that ran, then the helpers, then the rules that did not
//! fire, each under a heading with its count. Every rule is listed: the
//! panes scroll.

use ratatui::text::{Line, Span};
use unicode_width::UnicodeWidthStr;

use super::safe;
use crate::engine::RuleOutcome;
use crate::explain::{CauseBasis, Explanation, line_ranges};
use crate::sanitize;
use crate::tui::theme::{Slot, Theme};

/// The fired rules: the causes (with their messages and lines that ran),
/// then the helpers.
pub fn fired_section(e: &Explanation, width: usize, theme: &Theme) -> Vec<Line<'static>> {
    let mut lines = Vec::new();
    let heading = match e.basis {
        CauseBasis::None => format!("causes: {}", e.basis.describe()),
        basis => format!("causes ({}): {}", basis.describe(), e.causes.len()),
    };
    lines.push(Line::from(Span::styled(heading, theme.style(Slot::Muted))));
    for c in &e.causes {
        lines.push(rule_line(c.rule, true, theme));
        for m in &c.messages {
            for (i, chunk) in wrap_words(&sanitize::escape(m), width.saturating_sub(6))
                .into_iter()
                .enumerate()
            {
                let lead = if i == 0 { "    “ " } else { "      " };
                lines.push(Line::from(vec![
                    Span::styled(lead, theme.style(Slot::Muted)),
                    Span::styled(chunk, theme.style(Slot::Text)),
                ]));
            }
        }
        if let Some(ran) = &c.lines_ran {
            let head = format!("    ran in {}: ", sanitize::escape(&c.rule.file));
            if ran.is_empty() {
                lines.push(Line::from(Span::styled(
                    format!("{head}none"),
                    theme.style(Slot::Muted),
                )));
            } else {
                lines.extend(ranges_lines(&head, ran, width, theme));
            }
        }
    }
    if !e.helpers.is_empty() {
        lines.push(Line::from(Span::styled(
            format!(
                "helpers (fired, not named in the result): {}",
                e.helpers.len()
            ),
            theme.style(Slot::Muted),
        )));
        for o in &e.helpers {
            lines.push(rule_line(o, true, theme));
        }
    }
    lines
}

/// The cited rules that did not fire, under their heading.
pub fn not_fired_section(e: &Explanation, theme: &Theme) -> Vec<Line<'static>> {
    if e.not_fired.is_empty() {
        return Vec::new();
    }
    let mut lines = vec![Line::from(Span::styled(
        format!("not fired: {}", e.not_fired.len()),
        theme.style(Slot::Muted),
    ))];
    lines.extend(e.not_fired.iter().map(|o| rule_line(o, false, theme)));
    lines
}

/// `head` then line ranges, wrapped at commas to `width`; on a narrow pane
/// the ranges go under the head.
pub fn ranges_lines(head: &str, ran: &[u32], width: usize, theme: &Theme) -> Vec<Line<'static>> {
    let mut lines = Vec::new();
    let mut indent = head.width();
    let mut head = head.to_string();
    if width.saturating_sub(indent) < 16 {
        lines.push(Line::from(Span::styled(head, theme.style(Slot::Muted))));
        head = "      ".into();
        indent = 6;
    }
    for (i, chunk) in wrap_list(&line_ranges(ran), width.saturating_sub(indent))
        .into_iter()
        .enumerate()
    {
        let lead = if i == 0 {
            head.clone()
        } else {
            " ".repeat(indent)
        };
        lines.push(Line::from(vec![
            Span::styled(lead, theme.style(Slot::Muted)),
            Span::styled(chunk, theme.style(Slot::Covered)),
        ]));
    }
    lines
}

/// `● rule  citations` (fired) or `○ rule  citations`; the mark carries
/// the meaning without colour.
pub fn rule_line(o: &RuleOutcome, fired: bool, theme: &Theme) -> Line<'static> {
    let cites = o
        .citations
        .iter()
        .map(|c| c.label())
        .collect::<Vec<_>>()
        .join("; ");
    let (mark, style) = if fired {
        ("  ● ", theme.style(Slot::Fail))
    } else {
        ("  ○ ", theme.style(Slot::Muted))
    };
    Line::from(vec![
        Span::styled(mark, style),
        safe(&o.rule, theme.style(Slot::Text)),
        safe(&format!("  {cites}"), theme.style(Slot::Info)),
    ])
}

/// Items joined by ", " into lines of at most `width` columns.
pub fn wrap_list(items: &[String], width: usize) -> Vec<String> {
    let width = width.max(8);
    let mut out = Vec::new();
    let mut line = String::new();
    for (i, item) in items.iter().enumerate() {
        let piece = if i + 1 < items.len() {
            format!("{item},")
        } else {
            item.clone()
        };
        if !line.is_empty() && line.width() + 1 + piece.width() > width {
            out.push(std::mem::take(&mut line));
        }
        if !line.is_empty() {
            line.push(' ');
        }
        line.push_str(&piece);
    }
    if !line.is_empty() {
        out.push(line);
    }
    out
}

/// Already escaped text cut at spaces into lines of at most `width`
/// columns (a word longer than a line is cut where it must be); the text's
/// indentation starts every line.
pub fn wrap_words(text: &str, width: usize) -> Vec<String> {
    use unicode_width::UnicodeWidthChar;
    let body = text.trim_start_matches(' ');
    let indent = &text[..text.len() - body.len()];
    let width = width.saturating_sub(indent.len()).max(8);
    let mut out = Vec::new();
    let mut line = String::new();
    for word in body.split(' ') {
        if !line.is_empty() && line.width() + 1 + word.width() > width {
            out.push(std::mem::take(&mut line));
        }
        if !line.is_empty() {
            line.push(' ');
        }
        for c in word.chars() {
            if line.width() + c.width().unwrap_or(0) > width {
                out.push(std::mem::take(&mut line));
            }
            line.push(c);
        }
    }
    if !line.is_empty() || out.is_empty() {
        out.push(line);
    }
    out.into_iter().map(|l| format!("{indent}{l}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn list_wraps_at_commas() {
        let items: Vec<String> = ["1-3", "5", "7-8", "10"].map(String::from).to_vec();
        assert_eq!(wrap_list(&items, 8), ["1-3, 5,", "7-8, 10"]);
    }

    #[test]
    fn words_wrap_at_spaces_and_long_words_are_cut() {
        assert_eq!(
            wrap_words("two quotes; three required", 12),
            ["two quotes;", "three", "required"]
        );
        assert_eq!(wrap_words("abcdefghijkl", 8), ["abcdefgh", "ijkl"]);
        assert_eq!(
            wrap_words("    \"message\": \"two quotes\"", 18),
            ["    \"message\":", "    \"two quotes\""]
        );
    }
}
