//! Untrusted text made safe to print: control characters in caret form
//! (`ESC` -> `^[`), C1 controls and bidi/invisible format characters as
//! `<U+XXXX>`. Both the CLI and the TUI print through this, so no byte from a
//! bundle, a decision log or an input can drive the terminal.

use std::borrow::Cow;

/// Escapes one line of untrusted text; newlines and tabs are escaped too.
pub fn escape(text: &str) -> Cow<'_, str> {
    if !text.chars().any(needs_escape) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        push_escaped(&mut out, c);
    }
    Cow::Owned(out)
}

/// Escapes untrusted multi-line text, keeping its newlines (and tabs, as
/// spaces) so it still reads as lines.
pub fn escape_multiline(text: &str) -> Cow<'_, str> {
    if !text.chars().any(|c| c != '\n' && needs_escape(c)) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        match c {
            '\n' => out.push('\n'),
            '\t' => out.push_str("    "),
            c => push_escaped(&mut out, c),
        }
    }
    Cow::Owned(out)
}

fn push_escaped(out: &mut String, c: char) {
    match c {
        // C0 controls and DEL in caret notation, as `cat -v` shows them.
        '\0'..='\x1f' => {
            out.push('^');
            out.push(char::from(
                u8::try_from(u32::from(c) + 0x40).unwrap_or(b'?'),
            ));
        }
        '\x7f' => out.push_str("^?"),
        c if needs_escape(c) => out.push_str(&format!("<U+{:04X}>", u32::from(c))),
        c => out.push(c),
    }
}

/// Whether a character must not reach the terminal as it is.
pub fn needs_escape(c: char) -> bool {
    matches!(c,
        '\0'..='\x1f' | '\x7f'
        // C1 controls, including CSI (U+009B) and OSC (U+009D).
        | '\u{80}'..='\u{9f}'
        // Bidi embeddings, overrides and isolates; marks that reorder text.
        | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}' | '\u{200e}' | '\u{200f}' | '\u{061c}'
        // Zero-width and invisible formatting that can hide text.
        | '\u{200b}'..='\u{200d}' | '\u{2060}'..='\u{2064}' | '\u{feff}'
        // Line and paragraph separators break layout like a newline.
        | '\u{2028}' | '\u{2029}'
        // Unassigned-to-text specials and private-use interchange codes.
        | '\u{fff9}'..='\u{fffb}'
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_text_is_borrowed() {
        assert!(matches!(
            escape("GFR 2017 Rule 173 — ₹2,50,000"),
            Cow::Borrowed(_)
        ));
    }

    #[test]
    fn escapes_terminal_sequences() {
        assert_eq!(escape("a\x1b[31mred"), "a^[[31mred");
        assert_eq!(escape("\x1b]0;title\x07"), "^[]0;title^G");
        assert_eq!(escape("x\u{9b}2J"), "x<U+009B>2J");
        assert_eq!(escape("abc\u{202e}fed"), "abc<U+202E>fed");
        assert_eq!(escape("a\nb\tc\r"), "a^Jb^Ic^M");
        assert_eq!(escape("\x7f"), "^?");
    }

    #[test]
    fn multiline_keeps_newlines() {
        assert_eq!(escape_multiline("a\n\x1b[2Jb\tc"), "a\n^[[2Jb    c");
        assert!(matches!(escape_multiline("a\nb"), Cow::Borrowed(_)));
    }

    #[test]
    fn output_never_holds_an_escapable_char() {
        let nasty: String = (0u32..0x3000).filter_map(char::from_u32).collect();
        assert!(!escape(&nasty).chars().any(needs_escape));
        assert!(
            !escape_multiline(&nasty)
                .chars()
                .any(|c| c != '\n' && needs_escape(c))
        );
    }
}
