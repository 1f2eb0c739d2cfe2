//! Rego's tokens, as OPA's scanner reads them: identifiers, numbers,
//! strings (`"..."` with JSON escapes, raw `` `...` `` across lines),
//! operators and punctuation. Comments are kept aside (METADATA lives in
//! them); whitespace is not a token, but each token says whether a space
//! or a newline came before it (refs and calls stop at whitespace, a
//! newline ends a body's statement).

use super::SyntaxError;
use super::ast::Span;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenKind {
    Ident,
    Number,
    String,
    RawString,
    /// Operators and punctuation; the text says which.
    Symbol,
    Eof,
}

#[derive(Debug, Clone)]
pub struct Token {
    pub kind: TokenKind,
    pub span: Span,
    /// Whitespace (or a comment) between the previous token and this one.
    pub space_before: bool,
    /// A line break between the previous token and this one.
    pub newline_before: bool,
}

/// A `#` comment, without its newline.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Comment {
    pub line: u32,
    pub col: u32,
    /// The text after `#`.
    pub text: String,
}

/// Operators, longest first so `:=` wins over `:`.
const SYMBOLS: &[&str] = &[
    ":=", "==", "!=", "<=", ">=", "<", ">", "=", "+", "-", "*", "/", "%", "&", "|", "(", ")", "[",
    "]", "{", "}", ",", ";", ".", ":",
];

/// Splits `text` into tokens (the last is `Eof`) and comments.
pub fn tokenize(text: &str) -> Result<(Vec<Token>, Vec<Comment>), SyntaxError> {
    let b = text.as_bytes();
    let mut tokens = Vec::with_capacity(text.len() / 3);
    let mut comments = Vec::new();
    let (mut line, mut line_start) = (1u32, 0usize);
    let (mut space, mut newline) = (false, false);
    let mut i = 0usize;
    let col_of = |i: usize, line_start: usize| -> u32 {
        // Columns count characters, as OPA's and regorus's messages do.
        text.get(line_start..i)
            .map_or(i - line_start, |s| s.chars().count()) as u32
            + 1
    };
    while i < b.len() {
        let c = b[i];
        match c {
            b'\n' => {
                line += 1;
                line_start = i + 1;
                space = true;
                newline = true;
                i += 1;
                continue;
            }
            b' ' | b'\t' | b'\r' => {
                space = true;
                i += 1;
                continue;
            }
            b'#' => {
                let start = i;
                while i < b.len() && b[i] != b'\n' {
                    i += 1;
                }
                comments.push(Comment {
                    line,
                    col: col_of(start, line_start),
                    text: text[start + 1..i].trim_end_matches('\r').to_string(),
                });
                space = true;
                continue;
            }
            _ => {}
        }
        let start = i;
        let (start_line, start_col) = (line, col_of(start, line_start));
        let kind = if c.is_ascii_alphabetic() || c == b'_' {
            while i < b.len() && (b[i].is_ascii_alphanumeric() || b[i] == b'_') {
                i += 1;
            }
            TokenKind::Ident
        } else if c.is_ascii_digit() {
            i = number_end(b, i);
            TokenKind::Number
        } else if c == b'"' {
            i += 1;
            loop {
                match b.get(i) {
                    None | Some(b'\n') => {
                        return Err(SyntaxError::at(
                            start_line,
                            start_col,
                            "unterminated string",
                        ));
                    }
                    Some(b'\\') => i += 2,
                    Some(b'"') => {
                        i += 1;
                        break;
                    }
                    Some(_) => i += 1,
                }
            }
            TokenKind::String
        } else if c == b'`' {
            i += 1;
            loop {
                match b.get(i) {
                    None => {
                        return Err(SyntaxError::at(
                            start_line,
                            start_col,
                            "unterminated raw string",
                        ));
                    }
                    Some(b'`') => {
                        i += 1;
                        break;
                    }
                    Some(b'\n') => {
                        line += 1;
                        line_start = i + 1;
                        i += 1;
                    }
                    Some(_) => i += 1,
                }
            }
            TokenKind::RawString
        } else if let Some(sym) = SYMBOLS.iter().find(|s| b[i..].starts_with(s.as_bytes())) {
            i += sym.len();
            TokenKind::Symbol
        } else {
            let ch = text[i..].chars().next().unwrap_or('?');
            return Err(SyntaxError::at(
                start_line,
                start_col,
                format!("illegal character {ch:?}"),
            ));
        };
        tokens.push(Token {
            kind,
            span: Span {
                start: start as u32,
                end: i as u32,
                line: start_line,
                col: start_col,
                end_line: line,
                end_col: col_of(i, line_start),
            },
            space_before: space,
            newline_before: newline,
        });
        space = false;
        newline = false;
    }
    let end = b.len() as u32;
    tokens.push(Token {
        kind: TokenKind::Eof,
        span: Span {
            start: end,
            end,
            line,
            col: col_of(b.len(), line_start),
            end_line: line,
            end_col: col_of(b.len(), line_start),
        },
        space_before: space,
        newline_before: newline,
    });
    Ok((tokens, comments))
}

/// The end of a number starting at `i`: digits, an optional fraction and
/// an optional exponent (OPA's JSON number grammar, sign aside).
fn number_end(b: &[u8], mut i: usize) -> usize {
    let digits = |b: &[u8], mut i: usize| {
        while i < b.len() && b[i].is_ascii_digit() {
            i += 1;
        }
        i
    };
    i = digits(b, i);
    if b.get(i) == Some(&b'.') && b.get(i + 1).is_some_and(u8::is_ascii_digit) {
        i = digits(b, i + 1);
    }
    if matches!(b.get(i), Some(b'e' | b'E')) {
        let mut j = i + 1;
        if matches!(b.get(j), Some(b'+' | b'-')) {
            j += 1;
        }
        if b.get(j).is_some_and(u8::is_ascii_digit) {
            i = digits(b, j);
        }
    }
    i
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kinds(src: &str) -> Vec<(TokenKind, String)> {
        let (t, _) = tokenize(src).unwrap();
        t.iter()
            .map(|t| {
                (
                    t.kind,
                    src[t.span.start as usize..t.span.end as usize].to_string(),
                )
            })
            .collect()
    }

    #[test]
    fn reads_every_kind_of_token() {
        let k = kinds("x := 1.5e3 + y[\"a\\\"b\"] # c\n`r\nr` != 0");
        let texts: Vec<&str> = k.iter().map(|(_, t)| t.as_str()).collect();
        assert_eq!(
            texts,
            [
                "x",
                ":=",
                "1.5e3",
                "+",
                "y",
                "[",
                "\"a\\\"b\"",
                "]",
                "`r\nr`",
                "!=",
                "0",
                ""
            ]
        );
        let (t, c) = tokenize("a # METADATA\n`# not a comment`").unwrap();
        assert_eq!(c.len(), 1);
        assert_eq!(c[0].text, " METADATA");
        assert_eq!(t[1].kind, TokenKind::RawString);
        assert!(t[1].newline_before);
    }

    #[test]
    fn positions_follow_lines_and_raw_strings() {
        let (t, _) = tokenize("a\n`x\ny` b\n  c").unwrap();
        let at: Vec<(u32, u32)> = t.iter().map(|t| (t.span.line, t.span.col)).collect();
        assert_eq!(at, [(1, 1), (2, 1), (3, 4), (4, 3), (4, 4)]);
    }

    #[test]
    fn bad_text_is_located() {
        let e = tokenize("a\n  \"open").unwrap_err();
        assert_eq!((e.line, e.col), (2, 3));
        let e = tokenize("a ~").unwrap_err();
        assert_eq!((e.line, e.col), (1, 3));
    }
}
