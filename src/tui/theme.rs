//! Themes are semantic slots (selection, pass, fail, added, removed...)
//! read from `themes/*.toml`. Screens ask for a meaning, never a colour.
//! Meaning never rests on colour alone: selection is reversed, outcomes have
//! glyphs and diffs have gutters, so `NO_COLOR` (every colour dropped) still
//! reads.

use std::collections::BTreeMap;
use std::str::FromStr;

use ratatui::style::{Color, Modifier, Style};
use serde::Deserialize;

pub const BUILT_IN: &[(&str, &str)] = &[
    ("dark", include_str!("../../themes/dark.toml")),
    ("light", include_str!("../../themes/light.toml")),
    (
        "high-contrast",
        include_str!("../../themes/high-contrast.toml"),
    ),
];

/// One slot as a theme file writes it.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct SlotSpec {
    fg: Option<String>,
    bg: Option<String>,
    #[serde(default)]
    bold: bool,
    #[serde(default)]
    italic: bool,
    #[serde(default)]
    underlined: bool,
    #[serde(default)]
    reversed: bool,
    #[serde(default)]
    dim: bool,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ThemeFile {
    #[serde(default)]
    slots: BTreeMap<String, SlotSpec>,
}

/// The meanings a screen can ask for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Slot {
    Text,
    Muted,
    Title,
    TitleFocused,
    Border,
    BorderFocused,
    Selection,
    Tab,
    TabActive,
    Key,
    Pass,
    Fail,
    Warn,
    Skip,
    Added,
    Removed,
    Covered,
    Uncovered,
    Highlight,
    Error,
    Info,
}

impl Slot {
    pub const ALL: &[Slot] = &[
        Slot::Text,
        Slot::Muted,
        Slot::Title,
        Slot::TitleFocused,
        Slot::Border,
        Slot::BorderFocused,
        Slot::Selection,
        Slot::Tab,
        Slot::TabActive,
        Slot::Key,
        Slot::Pass,
        Slot::Fail,
        Slot::Warn,
        Slot::Skip,
        Slot::Added,
        Slot::Removed,
        Slot::Covered,
        Slot::Uncovered,
        Slot::Highlight,
        Slot::Error,
        Slot::Info,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Slot::Text => "text",
            Slot::Muted => "muted",
            Slot::Title => "title",
            Slot::TitleFocused => "title_focused",
            Slot::Border => "border",
            Slot::BorderFocused => "border_focused",
            Slot::Selection => "selection",
            Slot::Tab => "tab",
            Slot::TabActive => "tab_active",
            Slot::Key => "key",
            Slot::Pass => "pass",
            Slot::Fail => "fail",
            Slot::Warn => "warn",
            Slot::Skip => "skip",
            Slot::Added => "added",
            Slot::Removed => "removed",
            Slot::Covered => "covered",
            Slot::Uncovered => "uncovered",
            Slot::Highlight => "highlight",
            Slot::Error => "error",
            Slot::Info => "info",
        }
    }
}

#[derive(Debug, Clone)]
pub struct Theme {
    pub name: String,
    styles: BTreeMap<Slot, Style>,
}

impl Theme {
    /// A built-in theme by name, or a theme file by path.
    pub fn load(name_or_path: &str, no_color: bool) -> Result<Theme, String> {
        let (name, text) = match BUILT_IN.iter().find(|(n, _)| *n == name_or_path) {
            Some((n, t)) => (n.to_string(), t.to_string()),
            None => {
                let text = std::fs::read_to_string(name_or_path).map_err(|e| {
                    format!(
                        "theme '{name_or_path}': not a built-in theme ({}) and not a readable file: {e}",
                        BUILT_IN
                            .iter()
                            .map(|(n, _)| *n)
                            .collect::<Vec<_>>()
                            .join(", ")
                    )
                })?;
                (name_or_path.to_string(), text)
            }
        };
        Theme::parse(&name, &text, no_color)
    }

    pub fn parse(name: &str, text: &str, no_color: bool) -> Result<Theme, String> {
        let file: ThemeFile = toml::from_str(text).map_err(|e| format!("theme {name}: {e}"))?;
        let mut styles = BTreeMap::new();
        for slot in Slot::ALL {
            let spec = file.slots.get(slot.name()).cloned().unwrap_or_default();
            styles.insert(*slot, style_of(name, slot.name(), &spec, no_color)?);
        }
        if let Some(unknown) = file
            .slots
            .keys()
            .find(|k| !Slot::ALL.iter().any(|s| s.name() == k.as_str()))
        {
            return Err(format!("theme {name}: unknown slot '{unknown}'"));
        }
        // Selection always reads without colour.
        let sel = styles[&Slot::Selection];
        styles.insert(Slot::Selection, sel.add_modifier(Modifier::REVERSED));
        Ok(Theme {
            name: name.to_string(),
            styles,
        })
    }

    pub fn style(&self, slot: Slot) -> Style {
        self.styles.get(&slot).copied().unwrap_or_default()
    }

    pub fn title(&self, focused: bool) -> Style {
        self.style(if focused {
            Slot::TitleFocused
        } else {
            Slot::Title
        })
    }

    pub fn border(&self, focused: bool) -> Style {
        self.style(if focused {
            Slot::BorderFocused
        } else {
            Slot::Border
        })
    }

    /// The style of an outcome word.
    pub fn outcome(&self, outcome: &str) -> Style {
        self.style(match outcome {
            "APPROVE" | "allow" => Slot::Pass,
            "BLOCK" | "deny" => Slot::Fail,
            "ESCALATE" | "APPROVE_WITH_AUDIT" => Slot::Warn,
            _ => Slot::Muted,
        })
    }
}

impl Default for Theme {
    fn default() -> Self {
        Theme::parse("dark", BUILT_IN[0].1, false).unwrap_or_else(|_| Theme {
            name: "plain".into(),
            styles: BTreeMap::new(),
        })
    }
}

/// The glyph an outcome or verdict carries, so it reads without colour.
pub fn outcome_glyph(outcome: &str) -> &'static str {
    match outcome {
        "APPROVE" | "allow" | "DETERMINISTIC" | "UNCHANGED" | "PASS" => "✓",
        "BLOCK" | "deny" | "DIVERGED" | "FAIL" => "✗",
        "ESCALATE" | "CHANGED" => "▲",
        "APPROVE_WITH_AUDIT" => "◐",
        "ERROR" => "!",
        "SKIP" => "-",
        _ => "·",
    }
}

fn style_of(theme: &str, slot: &str, spec: &SlotSpec, no_color: bool) -> Result<Style, String> {
    let mut style = Style::default();
    let color = |c: &Option<String>| -> Result<Option<Color>, String> {
        match c {
            None => Ok(None),
            Some(_) if no_color => Ok(None),
            Some(s) => Color::from_str(s)
                .map(Some)
                .map_err(|_| format!("theme {theme}: slot {slot}: '{s}' is not a colour")),
        }
    };
    if let Some(fg) = color(&spec.fg)? {
        style = style.fg(fg);
    }
    if let Some(bg) = color(&spec.bg)? {
        style = style.bg(bg);
    }
    for (on, m) in [
        (spec.bold, Modifier::BOLD),
        (spec.italic, Modifier::ITALIC),
        (spec.underlined, Modifier::UNDERLINED),
        (spec.reversed, Modifier::REVERSED),
        (spec.dim, Modifier::DIM),
    ] {
        if on {
            style = style.add_modifier(m);
        }
    }
    Ok(style)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_built_in_theme_loads_with_every_slot() {
        for (name, text) in BUILT_IN {
            let theme = Theme::parse(name, text, false).unwrap();
            assert!(
                theme
                    .style(Slot::Selection)
                    .add_modifier
                    .contains(Modifier::REVERSED),
                "{name}"
            );
            assert!(
                theme.style(Slot::Pass).fg.is_some(),
                "{name}: pass has a colour"
            );
        }
    }

    #[test]
    fn no_color_drops_colours_but_keeps_reversed_selection() {
        let theme = Theme::parse("dark", BUILT_IN[0].1, true).unwrap();
        for slot in Slot::ALL {
            assert_eq!(theme.style(*slot).fg, None);
            assert_eq!(theme.style(*slot).bg, None);
        }
        assert!(
            theme
                .style(Slot::Selection)
                .add_modifier
                .contains(Modifier::REVERSED)
        );
    }

    #[test]
    fn bad_theme_says_where() {
        let e = Theme::parse("x", "[slots]\npass = { fg = \"nope\" }", false).unwrap_err();
        assert!(e.contains("pass") && e.contains("nope"), "{e}");
        let e = Theme::parse("x", "[slots]\npas = { fg = \"red\" }", false).unwrap_err();
        assert!(e.contains("unknown slot 'pas'"), "{e}");
    }
}
