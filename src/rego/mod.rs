//! Gavel's Rego front end: one lexer and parser for OPA's whole grammar
//! (v0 and v1), one syntax tree with the place of every node, and the
//! writer that hands regorus the same module in the syntax it reads as OPA
//! does. Everything that reads Rego source (the rule catalog, METADATA,
//! the engine's set-up, the checks) reads this tree.

pub mod ast;
pub mod emit;
pub mod lexer;
pub mod parser;
pub mod walk;

pub use ast::*;
pub use emit::{EmitOptions, emit};

use crate::error::Error;

/// A syntax error at a line and column (1-based).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SyntaxError {
    pub line: u32,
    pub col: u32,
    pub message: String,
}

impl SyntaxError {
    pub fn at(line: u32, col: u32, message: impl Into<String>) -> SyntaxError {
        SyntaxError {
            line,
            col,
            message: message.into(),
        }
    }

    /// As Gavel reports bad input: `file:line:col: message`.
    pub fn in_file(self, file: &str) -> Error {
        Error::input(format!("{file}:{}:{}", self.line, self.col), self.message)
    }
}

/// Parses a module of `file`; `rego_v0` selects v0's grammar (a module can
/// still opt into v1 with `import rego.v1`).
pub fn parse(file: &str, text: &str, rego_v0: bool) -> Result<Module, Error> {
    parser::parse_module(text, !rego_v0).map_err(|e| e.in_file(file))
}

/// Rego source with the layout taken out: each run of whitespace between
/// tokens one space, none where the source had none (`f(x)` stays), none
/// at either end; strings as written; comments kept, their own runs of
/// whitespace made one space (a changed comment is a changed text). Text
/// the lexer refuses has its whitespace runs made one space.
pub fn squeeze(src: &str) -> String {
    let Ok((tokens, comments)) = lexer::tokenize(src) else {
        return src.split_whitespace().collect::<Vec<_>>().join(" ");
    };
    let mut items: Vec<(u32, u32, bool, String)> = tokens
        .iter()
        .filter(|t| t.kind != lexer::TokenKind::Eof)
        .map(|t| {
            let text = t.span.text(src).to_string();
            (t.span.line, t.span.col, t.space_before, text)
        })
        .collect();
    for c in &comments {
        let words = c.text.split_whitespace().collect::<Vec<_>>().join(" ");
        let lead = if c.text.starts_with(char::is_whitespace) {
            " "
        } else {
            ""
        };
        items.push((c.line, c.col, true, format!("#{lead}{words}")));
    }
    items.sort_by_key(|(line, col, _, _)| (*line, *col));
    let mut out = String::with_capacity(src.len());
    for (_, _, space, text) in items {
        if space && !out.is_empty() {
            out.push(' ');
        }
        out.push_str(&text);
    }
    out
}

/// The sizes regorus accepts from Gavel's emitter. Its defaults (1 MiB,
/// 20,000 lines, 1,024 columns) guard its own parser; the text it gets has
/// passed Gavel's linear parser, so they only need to cover what people
/// write (embedded JSON documents, generated modules).
pub fn engine_length_limits() -> regorus::utils::limits::PolicyLengthConfig {
    use std::num::{NonZeroU32, NonZeroUsize};
    regorus::utils::limits::PolicyLengthConfig {
        max_col: NonZeroU32::new(1 << 20).unwrap_or(NonZeroU32::MIN),
        max_file_bytes: NonZeroUsize::new(crate::bundle::MAX_FILE_BYTES as usize)
            .unwrap_or(NonZeroUsize::MIN),
        max_lines: NonZeroUsize::new(1 << 20).unwrap_or(NonZeroUsize::MIN),
    }
}
