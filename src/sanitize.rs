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

/// A serde_json formatter that also escapes, as `\uXXXX`, every character
/// [`needs_escape`] names that JSON itself lets through raw: C1 controls
/// (`\u009b`), bidi overrides (`\u202e`), DEL and invisible formatting. The
/// text still parses to the same strings; only what reaches a terminal
/// changes. serde_json already escapes C0 controls, quotes and backslashes.
pub struct JsonEscaping<F>(pub F);

/// Forwards a formatter method unchanged to the wrapped formatter.
macro_rules! forward {
    ($($name:ident($($arg:ident: $ty:ty),*);)*) => {
        $(
            fn $name<W: ?Sized + std::io::Write>(
                &mut self,
                writer: &mut W,
                $($arg: $ty),*
            ) -> std::io::Result<()> {
                self.0.$name(writer, $($arg),*)
            }
        )*
    };
}

impl<F: serde_json::ser::Formatter> serde_json::ser::Formatter for JsonEscaping<F> {
    forward! {
        write_null();
        write_bool(value: bool);
        write_i8(value: i8);
        write_i16(value: i16);
        write_i32(value: i32);
        write_i64(value: i64);
        write_i128(value: i128);
        write_u8(value: u8);
        write_u16(value: u16);
        write_u32(value: u32);
        write_u64(value: u64);
        write_u128(value: u128);
        write_f32(value: f32);
        write_f64(value: f64);
        write_number_str(value: &str);
        begin_string();
        end_string();
        write_char_escape(char_escape: serde_json::ser::CharEscape);
        write_byte_array(value: &[u8]);
        begin_array();
        end_array();
        begin_array_value(first: bool);
        end_array_value();
        begin_object();
        end_object();
        begin_object_key(first: bool);
        end_object_key();
        begin_object_value();
        end_object_value();
        write_raw_fragment(fragment: &str);
    }

    fn write_string_fragment<W: ?Sized + std::io::Write>(
        &mut self,
        writer: &mut W,
        fragment: &str,
    ) -> std::io::Result<()> {
        let mut rest = fragment;
        while let Some((at, c)) = rest.char_indices().find(|&(_, c)| needs_escape(c)) {
            self.0.write_string_fragment(writer, &rest[..at])?;
            write!(writer, "\\u{:04x}", u32::from(c))?;
            rest = &rest[at + c.len_utf8()..];
        }
        self.0.write_string_fragment(writer, rest)
    }
}

/// Valid JSON text with every character [`needs_escape`] names written as
/// `\uXXXX`. Outside strings JSON holds only ASCII punctuation, digits,
/// letters and spaces, so every such character is inside a string, where
/// the escape means the same character.
pub fn escape_json_text(json: &str) -> Cow<'_, str> {
    if !json.chars().any(needs_escape) {
        return Cow::Borrowed(json);
    }
    let mut out = String::with_capacity(json.len() + 16);
    for c in json.chars() {
        if needs_escape(c) {
            out.push_str(&format!("\\u{:04x}", u32::from(c)));
        } else {
            out.push(c);
        }
    }
    Cow::Owned(out)
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
    fn json_escapes_what_the_text_output_escapes_and_reads_the_same() {
        let value =
            serde_json::json!({"k\u{202e}": ["a\u{9b}2J", "\u{7f}\u{1b}x\u{200b}", "plain é"]});
        let mut out = Vec::new();
        let mut ser = serde_json::Serializer::with_formatter(
            &mut out,
            JsonEscaping(serde_json::ser::PrettyFormatter::new()),
        );
        serde::Serialize::serialize(&value, &mut ser).unwrap();
        let text = String::from_utf8(out).unwrap();
        assert!(
            text.contains("\\u202e") && text.contains("a\\u009b2J"),
            "{text}"
        );
        assert!(
            text.contains("\\u007f\\u001bx\\u200b") && text.contains("plain é"),
            "{text}"
        );
        assert!(
            !text.chars().any(|c| c != '\n' && needs_escape(c)),
            "{text}"
        );
        assert_eq!(
            serde_json::from_str::<serde_json::Value>(&text).unwrap(),
            value
        );
        // The same text as serde_json's own when there is nothing to escape.
        let plain = serde_json::json!({"a": [1, "b", null, 2.5]});
        let mut out = Vec::new();
        let mut ser = serde_json::Serializer::with_formatter(
            &mut out,
            JsonEscaping(serde_json::ser::PrettyFormatter::new()),
        );
        serde::Serialize::serialize(&plain, &mut ser).unwrap();
        assert_eq!(
            String::from_utf8(out).unwrap(),
            serde_json::to_string_pretty(&plain).unwrap()
        );
        // Escaping whole JSON text gives what the formatter gives.
        let compact = serde_json::to_string(&value).unwrap();
        let escaped = escape_json_text(&compact);
        assert!(!escaped.chars().any(needs_escape));
        assert_eq!(
            serde_json::from_str::<serde_json::Value>(&escaped).unwrap(),
            value
        );
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
