//! OPA's `graphql.*` builtins, which regorus 0.14.1 lacks, registered as
//! Gavel extensions: `graphql.is_valid`, `graphql.schema_is_valid`,
//! `graphql.parse_schema`, `graphql.parse_query`, `graphql.parse` and
//! `graphql.parse_and_verify`.
//!
//! OPA (`v1/topdown/graphql.go`) answers with Go's gqlparser/v2, and its
//! answers are gqlparser's: which documents parse, the parse errors' text and
//! location, the AST returned (gqlparser's structs marshalled to JSON, then
//! pruned of `Position`, nulls and empty arrays / objects), and a schema
//! validation of its own that is laxer than the spec in places (an
//! `extend type` of a missing type is allowed, no query root is required)
//! and stricter in others. So this module carries a port of gqlparser's
//! lexer, parser, AST shape and schema validation (as of gqlparser v2.5.31,
//! the version whose AST has `ExpectedTypeHasDefault` and comments), and
//! hands only the validation of a query against its schema (the spec's
//! executable-document rules) to `apollo-compiler`, whose graphql-js
//! compatible messages are the ones gqlparser also uses.
//!
//! A schema or query may also be given as such an AST object; it is read
//! back as Go's `encoding/json` reads it into gqlparser's structs (so, as in
//! OPA, every selection of an AST object reads as a field).

use std::collections::{BTreeMap, HashMap};
use std::sync::OnceLock;

use apollo_compiler::ast;
use apollo_compiler::validation::Valid;
use apollo_compiler::{Name, Node};
use regorus::Value;

use crate::engine::extra_builtins::{string_operand, type_name};

/// Each builtin's name and number of arguments.
pub const BUILTINS: &[(&str, u8)] = &[
    ("graphql.is_valid", 2),
    ("graphql.schema_is_valid", 1),
    ("graphql.parse_schema", 1),
    ("graphql.parse_query", 1),
    ("graphql.parse", 2),
    ("graphql.parse_and_verify", 2),
];

/// Deepest nesting of selection sets, values and types a document may have
/// (gqlparser has no limit; Go's stack grows where Rust's would overflow).
const MAX_DEPTH: usize = 200;

/// Answers one call of the builtin `name` (registered by extra_builtins.rs).
pub(crate) fn call(name: &str, args: &[Value]) -> anyhow::Result<Value> {
    match name {
        "graphql.parse_query" => {
            let text = string_operand(name, args, 0)?;
            let doc =
                parse_query(text).map_err(|e| anyhow::anyhow!("{name}: {}", e.parse_msg()))?;
            Ok(doc.to_value())
        }
        "graphql.parse_schema" => {
            let text = string_operand(name, args, 0)?;
            let doc =
                parse_schema(text).map_err(|e| anyhow::anyhow!("{name}: {}", e.parse_msg()))?;
            Ok(doc.to_value())
        }
        "graphql.schema_is_valid" => {
            let ok = match args.first() {
                Some(v @ (Value::String(_) | Value::Object(_))) => {
                    schema_operand(v).is_ok_and(|doc| Merged::build(&doc).is_ok())
                }
                _ => false,
            };
            Ok(Value::from(ok))
        }
        "graphql.is_valid" => Ok(Value::from(verify(args).is_ok())),
        "graphql.parse_and_verify" => Ok(match verify(args) {
            Ok((q, s)) => Value::from(vec![Value::from(true), q, s]),
            Err(_) => Value::from(vec![
                Value::from(false),
                Value::new_object(),
                Value::new_object(),
            ]),
        }),
        "graphql.parse" => {
            let (q, s) = verify(args).map_err(|e| anyhow::anyhow!("{name}: {e}"))?;
            Ok(Value::from(vec![q, s]))
        }
        _ => anyhow::bail!("{name}: not a Gavel builtin"),
    }
}

/// The work shared by `graphql.parse`, `parse_and_verify` and `is_valid`:
/// both documents read, their ASTs taken (before validation, as OPA does),
/// the schema validated, then the query against it. The error is as
/// `graphql.parse` words it (OPA passes operand positions 0 and 1 here).
fn verify(args: &[Value]) -> std::result::Result<(Value, Value), String> {
    let query_arg = args.first();
    let query = match query_arg {
        Some(Value::String(s)) => parse_query(s).map_err(|e| e.parse_msg())?,
        Some(v @ Value::Object(_)) => decode_query(v)?,
        other => {
            return Err(format!(
                "operand 0 must be one of {{string, object}} but got {}",
                other.map_or("undefined", type_name)
            ));
        }
    };
    let schema = match args.get(1) {
        Some(v @ (Value::String(_) | Value::Object(_))) => schema_operand(v)?,
        other => {
            return Err(format!(
                "operand 1 must be one of {{string, object}} but got {}",
                other.map_or("undefined", type_name)
            ));
        }
    };
    let (query_ast, schema_ast) = (query.to_value(), schema.to_value());
    let merged = Merged::build(&schema).map_err(|e| {
        format!(
            "Error in gqlparser SchemaDocument to Schema conversion: {}",
            e.go_text()
        )
    })?;
    let source = match query_arg {
        Some(Value::String(s)) => Some(s.as_ref()),
        _ => None,
    };
    merged.validate_query(&query, source)?;
    Ok((query_ast, schema_ast))
}

fn schema_operand(v: &Value) -> std::result::Result<SchemaDocument, String> {
    match v {
        Value::String(s) => parse_schema(s).map_err(|e| e.parse_msg()),
        other => decode_schema(other),
    }
}

// ---------------------------------------------------------------------------
// Errors

/// A gqlparser error: its message and, where it has one, its line and
/// column (in characters, from 1).
#[derive(Debug, Clone)]
struct GqlError {
    msg: String,
    loc: Option<(i64, i64)>,
}

impl GqlError {
    fn at(line: i64, col: i64, msg: impl Into<String>) -> Self {
        GqlError {
            msg: msg.into(),
            loc: Some((line, col)),
        }
    }

    fn at_pos(pos: Option<Pos>, msg: impl Into<String>) -> Self {
        // gqlparser reports a missing position (an AST object's) as -1:-1.
        let (line, col) = pos.map_or((-1, -1), |p| (p.line, p.col));
        GqlError::at(line, col, msg)
    }

    /// Go's `gqlerror.Error.Error()`: `input:LINE:COL: message`.
    fn go_text(&self) -> String {
        match self.loc {
            Some((l, c)) => format!("input:{l}:{c}: {}", self.msg),
            None => format!("input: {}", self.msg),
        }
    }

    /// A parse error as OPA rewords it.
    fn parse_msg(&self) -> String {
        match self.loc {
            Some((l, c)) => format!("{} in GraphQL string at location {l}:{c}", self.msg),
            None => format!("{} in GraphQL string", self.msg),
        }
    }
}

type GResult<T> = std::result::Result<T, GqlError>;

// ---------------------------------------------------------------------------
// Lexer (gqlparser's lexer/lexer.go)

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Tk {
    Invalid,
    Eof,
    Bang,
    Dollar,
    Amp,
    ParenL,
    ParenR,
    Spread,
    Colon,
    Equals,
    At,
    BracketL,
    BracketR,
    BraceL,
    BraceR,
    Pipe,
    Name,
    Int,
    Float,
    Str,
    BlockStr,
    Comment,
}

impl Tk {
    /// Go's `Type.String()`.
    fn text(self) -> &'static str {
        match self {
            Tk::Invalid => "<Invalid>",
            Tk::Eof => "<EOF>",
            Tk::Bang => "!",
            Tk::Dollar => "$",
            Tk::Amp => "&",
            Tk::ParenL => "(",
            Tk::ParenR => ")",
            Tk::Spread => "...",
            Tk::Colon => ":",
            Tk::Equals => "=",
            Tk::At => "@",
            Tk::BracketL => "[",
            Tk::BracketR => "]",
            Tk::BraceL => "{",
            Tk::BraceR => "}",
            Tk::Pipe => "|",
            Tk::Name => "Name",
            Tk::Int => "Int",
            Tk::Float => "Float",
            Tk::Str => "String",
            Tk::BlockStr => "BlockString",
            Tk::Comment => "Comment",
        }
    }
}

#[derive(Clone, Debug)]
struct Token {
    kind: Tk,
    value: String,
    line: i64,
    col: i64,
}

impl Token {
    fn pos(&self) -> Option<Pos> {
        Some(Pos {
            line: self.line,
            col: self.col,
        })
    }

    /// Go's `Token.String()`.
    fn describe(&self) -> String {
        if self.value.is_empty() {
            self.kind.text().to_string()
        } else {
            format!("{} {}", self.kind.text(), go_quote(&self.value))
        }
    }
}

/// Go's `strconv.Quote`, near enough for messages.
fn go_quote(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{7}' => out.push_str("\\a"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            '\u{b}' => out.push_str("\\v"),
            c if (c as u32) < 0x20 || c == '\u{7f}' => {
                out.push_str(&format!("\\x{:02x}", c as u32));
            }
            c if c.is_control() => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

struct Lexer<'a> {
    input: &'a str,
    bytes: &'a [u8],
    start: usize,
    start_runes: i64,
    end: usize,
    end_runes: i64,
    line: i64,
    line_start_runes: i64,
}

/// A token and the lexer error found reading it (gqlparser raises that
/// error only when the parser consumes the token).
type Lexed = (Token, Option<GqlError>);

impl<'a> Lexer<'a> {
    fn new(input: &'a str) -> Self {
        Lexer {
            input,
            bytes: input.as_bytes(),
            start: 0,
            start_runes: 0,
            end: 0,
            end_runes: 0,
            line: 1,
            line_start_runes: 0,
        }
    }

    fn byte(&self, i: usize) -> Option<u8> {
        self.bytes.get(i).copied()
    }

    /// The text between two byte offsets (lossy where they split a character).
    fn slice(&self, a: usize, b: usize) -> String {
        let b = b.min(self.bytes.len());
        match self.input.get(a..b) {
            Some(s) => s.to_string(),
            None => String::from_utf8_lossy(self.bytes.get(a..b).unwrap_or_default()).into_owned(),
        }
    }

    fn peek_char(&self) -> Option<char> {
        self.input.get(self.end..).and_then(|s| s.chars().next())
    }

    fn value_token(&self, kind: Tk, value: String) -> Lexed {
        (
            Token {
                kind,
                value,
                line: self.line,
                col: self.start_runes - self.line_start_runes + 1,
            },
            None,
        )
    }

    fn token(&self, kind: Tk) -> Lexed {
        self.value_token(kind, self.slice(self.start, self.end))
    }

    fn error(&self, msg: String) -> Lexed {
        let col = self.end_runes - self.line_start_runes + 1;
        (
            Token {
                kind: Tk::Invalid,
                value: String::new(),
                line: self.line,
                col,
            },
            Some(GqlError::at(self.line, col, msg)),
        )
    }

    fn read_token(&mut self) -> Lexed {
        self.ws();
        self.start = self.end;
        self.start_runes = self.end_runes;
        let Some(r) = self.byte(self.start) else {
            return self.token(Tk::Eof);
        };
        self.end += 1;
        self.end_runes += 1;
        let punct = |k| Some(k);
        let kind = match r {
            b'!' => punct(Tk::Bang),
            b'$' => punct(Tk::Dollar),
            b'&' => punct(Tk::Amp),
            b'(' => punct(Tk::ParenL),
            b')' => punct(Tk::ParenR),
            b'.' => {
                if self.bytes.get(self.start..self.start + 3) == Some(b"...") {
                    self.end += 2;
                    self.end_runes += 2;
                    punct(Tk::Spread)
                } else {
                    None
                }
            }
            b':' => punct(Tk::Colon),
            b'=' => punct(Tk::Equals),
            b'@' => punct(Tk::At),
            b'[' => punct(Tk::BracketL),
            b']' => punct(Tk::BracketR),
            b'{' => punct(Tk::BraceL),
            b'}' => punct(Tk::BraceR),
            b'|' => punct(Tk::Pipe),
            b'#' => return self.read_comment(),
            b'_' | b'a'..=b'z' | b'A'..=b'Z' => return self.read_name(),
            b'-' | b'0'..=b'9' => return self.read_number(),
            b'"' => {
                if self.bytes.get(self.start..self.start + 3) == Some(b"\"\"\"") {
                    return self.read_block_string();
                }
                return self.read_string();
            }
            _ => None,
        };
        if let Some(kind) = kind {
            return self.value_token(kind, String::new());
        }
        self.end -= 1;
        self.end_runes -= 1;
        if r < 0x20 && r != b'\t' && r != b'\n' && r != b'\r' {
            // Go formats the byte with %04d: decimal, as gqlparser does.
            return self.error(format!(
                "Cannot contain the invalid character \"\\u{r:04}\""
            ));
        }
        if r == b'\'' {
            return self.error(
                "Unexpected single quote character ('), did you mean to use a double quote (\")?"
                    .to_string(),
            );
        }
        self.error(format!(
            "Cannot parse the unexpected character \"{}\".",
            char::from(r)
        ))
    }

    fn ws(&mut self) {
        while let Some(b) = self.byte(self.end) {
            match b {
                b'\t' | b' ' | b',' => {
                    self.end += 1;
                    self.end_runes += 1;
                }
                b'\n' => {
                    self.end += 1;
                    self.end_runes += 1;
                    self.line += 1;
                    self.line_start_runes = self.end_runes;
                }
                b'\r' => {
                    self.end += 1;
                    self.end_runes += 1;
                    self.line += 1;
                    self.line_start_runes = self.end_runes;
                    if self.byte(self.end) == Some(b'\n') {
                        self.end += 1;
                        self.end_runes += 1;
                    }
                }
                0xef if self.bytes.get(self.end + 1..self.end + 3) == Some(&[0xbb, 0xbf]) => {
                    self.end += 3;
                    self.end_runes += 1;
                }
                _ => return,
            }
        }
    }

    fn read_comment(&mut self) -> Lexed {
        while let Some(c) = self.peek_char() {
            if c as u32 > 0x1f || c == '\t' {
                self.end += c.len_utf8();
                self.end_runes += 1;
            } else {
                break;
            }
        }
        self.token(Tk::Comment)
    }

    fn accept_byte(&mut self, accepted: &[u8]) -> bool {
        match self.byte(self.end) {
            Some(b) if accepted.contains(&b) => {
                self.end += 1;
                self.end_runes += 1;
                true
            }
            _ => false,
        }
    }

    fn accept_digits(&mut self) -> usize {
        let mut n = 0;
        while matches!(self.byte(self.end), Some(b'0'..=b'9')) {
            self.end += 1;
            self.end_runes += 1;
            n += 1;
        }
        n
    }

    fn describe_next(&self) -> String {
        match self.byte(self.end) {
            Some(b) => format!("\"{}\"", char::from(b)),
            None => "<EOF>".to_string(),
        }
    }

    fn read_number(&mut self) -> Lexed {
        let mut float = false;
        self.end -= 1;
        self.end_runes -= 1;
        self.accept_byte(b"-");
        if self.accept_byte(b"0") {
            let consumed = self.accept_digits();
            if consumed != 0 {
                self.end -= consumed;
                self.end_runes -= consumed as i64;
                return self.error(format!(
                    "Invalid number, unexpected digit after 0: {}.",
                    self.describe_next()
                ));
            }
        } else if self.accept_digits() == 0 {
            return self.error(format!(
                "Invalid number, expected digit but got: {}.",
                self.describe_next()
            ));
        }
        if self.accept_byte(b".") {
            float = true;
            if self.accept_digits() == 0 {
                return self.error(format!(
                    "Invalid number, expected digit but got: {}.",
                    self.describe_next()
                ));
            }
        }
        if self.accept_byte(b"eE") {
            float = true;
            self.accept_byte(b"-+");
            if self.accept_digits() == 0 {
                return self.error(format!(
                    "Invalid number, expected digit but got: {}.",
                    self.describe_next()
                ));
            }
        }
        self.token(if float { Tk::Float } else { Tk::Int })
    }

    fn read_string(&mut self) -> Lexed {
        let len = self.bytes.len();
        // Built only once an escape turns up, as gqlparser does.
        let mut buf: Option<String> = None;
        self.start += 1;
        self.start_runes += 1;
        while let Some(r) = self.byte(self.end) {
            if r == b'\n' || r == b'\r' {
                break;
            }
            if r < 0x20 && r != b'\t' {
                return self.error(format!("Invalid character within String: \"\\u{r:04}\"."));
            }
            match r {
                b'"' => {
                    let (mut t, e) = self.token(Tk::Str);
                    if let Some(b) = buf {
                        t.value = b;
                    }
                    self.end += 1;
                    self.end_runes += 1;
                    return (t, e);
                }
                b'\\' => {
                    if self.end + 1 >= len {
                        self.end += 1;
                        self.end_runes += 1;
                        return self.error("Invalid character escape sequence.".to_string());
                    }
                    let b = buf.get_or_insert_with(|| self.slice(self.start, self.end));
                    let escape = self.byte(self.end + 1).unwrap_or(0);
                    if escape == b'u' {
                        if self.end + 6 >= len {
                            self.end += 1;
                            self.end_runes += 1;
                            let rest = self.slice(self.end, len);
                            return self
                                .error(format!("Invalid character escape sequence: \\{rest}."));
                        }
                        match self.bytes.get(self.end + 2..self.end + 6).and_then(unhex) {
                            Some(v) => {
                                b.push(char::from_u32(v).unwrap_or('\u{fffd}'));
                                self.end += 6;
                                self.end_runes += 6;
                            }
                            None => {
                                self.end += 1;
                                self.end_runes += 1;
                                let seq = self.slice(self.end, self.end + 5);
                                return self
                                    .error(format!("Invalid character escape sequence: \\{seq}."));
                            }
                        }
                    } else {
                        let c = match escape {
                            b'"' | b'/' | b'\\' => char::from(escape),
                            b'b' => '\u{8}',
                            b'f' => '\u{c}',
                            b'n' => '\n',
                            b'r' => '\r',
                            b't' => '\t',
                            _ => {
                                self.end += 1;
                                self.end_runes += 1;
                                return self.error(format!(
                                    "Invalid character escape sequence: \\{}.",
                                    char::from(escape)
                                ));
                            }
                        };
                        b.push(c);
                        self.end += 2;
                        self.end_runes += 2;
                    }
                }
                _ => {
                    let c = self.peek_char().unwrap_or('\u{fffd}');
                    self.end += c.len_utf8();
                    self.end_runes += 1;
                    if let Some(b) = buf.as_mut() {
                        b.push(c);
                    }
                }
            }
        }
        self.error("Unterminated string.".to_string())
    }

    fn read_block_string(&mut self) -> Lexed {
        let len = self.bytes.len();
        let mut buf = String::new();
        self.start += 3;
        self.start_runes += 3;
        self.end += 2;
        self.end_runes += 2;
        while let Some(r) = self.byte(self.end) {
            if r == b'"' {
                let mut quotes = 1;
                while self.byte(self.end + quotes) == Some(b'"') {
                    quotes += 1;
                }
                if quotes >= 3 {
                    for _ in 0..quotes - 3 {
                        buf.push('"');
                    }
                    let t = self.value_token(Tk::BlockStr, block_string_value(&buf));
                    self.end += quotes;
                    self.end_runes += quotes as i64;
                    return t;
                }
            }
            if r < 0x20 && r != b'\t' && r != b'\n' && r != b'\r' {
                return self.error(format!("Invalid character within String: \"\\u{r:04}\"."));
            }
            if r == b'\\' && self.bytes.get(self.end..self.end + 4) == Some(b"\\\"\"\"") {
                buf.push_str("\"\"\"");
                self.end += 4;
                self.end_runes += 4;
            } else if r == b'\r' {
                if self.end + 1 < len && self.byte(self.end + 1) == Some(b'\n') {
                    self.end += 1;
                    self.end_runes += 1;
                }
                buf.push('\n');
                self.end += 1;
                self.end_runes += 1;
                self.line += 1;
                self.line_start_runes = self.end_runes;
            } else {
                let c = self.peek_char().unwrap_or('\u{fffd}');
                self.end += c.len_utf8();
                self.end_runes += 1;
                buf.push(c);
                if r == b'\n' {
                    self.line += 1;
                    self.line_start_runes = self.end_runes;
                }
            }
        }
        self.error("Unterminated string.".to_string())
    }

    fn read_name(&mut self) -> Lexed {
        while matches!(
            self.byte(self.end),
            Some(b'0'..=b'9' | b'A'..=b'Z' | b'a'..=b'z' | b'_')
        ) {
            self.end += 1;
            self.end_runes += 1;
        }
        self.token(Tk::Name)
    }
}

fn unhex(b: &[u8]) -> Option<u32> {
    let mut v = 0u32;
    for &c in b {
        v = (v << 4)
            | match c {
                b'0'..=b'9' => u32::from(c - b'0'),
                b'a'..=b'f' => u32::from(c - b'a' + 10),
                b'A'..=b'F' => u32::from(c - b'A' + 10),
                _ => return None,
            };
    }
    Some(v)
}

/// gqlparser's `blockStringValue` (its common indent counts the first line
/// too, unlike the spec's).
fn block_string_value(raw: &str) -> String {
    fn leading_ws(line: &str) -> usize {
        line.bytes()
            .position(|b| b != b' ' && b != b'\t')
            .unwrap_or(usize::MAX)
    }
    let mut lines: Vec<&str> = raw.split('\n').collect();
    let mut common = usize::MAX;
    for line in &lines {
        let indent = leading_ws(line);
        if indent < line.len() && indent < common {
            common = indent;
            if common == 0 {
                break;
            }
        }
    }
    if common != usize::MAX {
        for line in lines.iter_mut().skip(1) {
            *line = line.get(common..).unwrap_or("");
        }
    }
    let mut start = 0;
    let mut end = lines.len();
    while start < end
        && lines
            .get(start)
            .is_some_and(|l| leading_ws(l) == usize::MAX)
    {
        start += 1;
    }
    while start < end
        && lines
            .get(end - 1)
            .is_some_and(|l| leading_ws(l) == usize::MAX)
    {
        end -= 1;
    }
    lines.get(start..end).unwrap_or_default().join("\n")
}

// ---------------------------------------------------------------------------
// AST (gqlparser's ast package; positions kept only for error messages)

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Pos {
    line: i64,
    col: i64,
}

/// A `*CommentGroup`: `None` is nil; the comments' text, `#` included.
type Comments = Option<Vec<String>>;

#[derive(Clone, Debug, Default)]
struct GValue {
    raw: String,
    children: Vec<ChildValue>,
    kind: i64,
    comment: Comments,
}

#[derive(Clone, Debug, Default)]
struct ChildValue {
    name: String,
    value: Option<GValue>,
    comment: Comments,
}

#[derive(Clone, Debug, Default)]
struct GType {
    named: String,
    elem: Option<Box<GType>>,
    non_null: bool,
    pos: Option<Pos>,
}

impl GType {
    /// `Type.Name()`; `None` where Go would dereference nil.
    fn name(&self) -> Option<&str> {
        let mut t = self;
        for _ in 0..=MAX_DEPTH {
            if !t.named.is_empty() {
                return Some(&t.named);
            }
            t = t.elem.as_deref()?;
        }
        None
    }

    /// `Type.String()`.
    fn render(&self) -> String {
        let bang = if self.non_null { "!" } else { "" };
        if !self.named.is_empty() {
            return format!("{}{bang}", self.named);
        }
        match &self.elem {
            Some(e) => format!("[{}]{bang}", e.render()),
            None => format!("[<nil>]{bang}"),
        }
    }

    /// `Type.IsCompatible`.
    fn is_compatible(&self, other: &GType) -> bool {
        if self.named != other.named {
            return false;
        }
        match (&self.elem, &other.elem) {
            (Some(_), None) => return false,
            (Some(a), Some(b)) if !a.is_compatible(b) => return false,
            _ => {}
        }
        if other.non_null {
            return self.non_null;
        }
        true
    }
}

#[derive(Clone, Debug, Default)]
struct Directive {
    name: String,
    arguments: Vec<Argument>,
    location: String,
    pos: Option<Pos>,
}

#[derive(Clone, Debug, Default)]
struct Argument {
    name: String,
    value: Option<GValue>,
    comment: Comments,
    pos: Option<Pos>,
}

#[derive(Clone, Debug)]
enum Selection {
    Field(Field),
    Spread(FragmentSpread),
    Inline(InlineFragment),
}

#[derive(Clone, Debug, Default)]
struct Field {
    alias: String,
    name: String,
    arguments: Vec<Argument>,
    directives: Vec<Directive>,
    selection_set: Vec<Selection>,
    comment: Comments,
}

#[derive(Clone, Debug, Default)]
struct FragmentSpread {
    name: String,
    directives: Vec<Directive>,
    comment: Comments,
}

#[derive(Clone, Debug, Default)]
struct InlineFragment {
    type_condition: String,
    directives: Vec<Directive>,
    selection_set: Vec<Selection>,
    comment: Comments,
}

#[derive(Clone, Debug, Default)]
struct VariableDefinition {
    variable: String,
    ty: Option<GType>,
    default_value: Option<GValue>,
    directives: Vec<Directive>,
    comment: Comments,
    used: bool,
}

#[derive(Clone, Debug, Default)]
struct OperationDefinition {
    operation: String,
    name: String,
    variable_definitions: Vec<VariableDefinition>,
    directives: Vec<Directive>,
    selection_set: Vec<Selection>,
    comment: Comments,
}

#[derive(Clone, Debug, Default)]
struct FragmentDefinition {
    name: String,
    variable_definition: Vec<VariableDefinition>,
    type_condition: String,
    directives: Vec<Directive>,
    selection_set: Vec<Selection>,
    comment: Comments,
}

#[derive(Clone, Debug, Default)]
struct QueryDocument {
    operations: Vec<OperationDefinition>,
    fragments: Vec<FragmentDefinition>,
    comment: Comments,
}

#[derive(Clone, Debug, Default)]
struct SchemaDefinition {
    description: String,
    directives: Vec<Directive>,
    operation_types: Vec<OperationTypeDefinition>,
    before: Comments,
    after: Comments,
    end: Comments,
    pos: Option<Pos>,
}

#[derive(Clone, Debug, Default)]
struct OperationTypeDefinition {
    operation: String,
    ty: String,
    comment: Comments,
    pos: Option<Pos>,
}

#[derive(Clone, Debug, Default)]
struct Definition {
    kind: String,
    description: String,
    name: String,
    directives: Vec<Directive>,
    interfaces: Vec<String>,
    fields: Vec<FieldDefinition>,
    types: Vec<String>,
    enum_values: Vec<EnumValueDefinition>,
    built_in: bool,
    before: Comments,
    after: Comments,
    end: Comments,
    pos: Option<Pos>,
}

/// A field definition; an argument definition is the same less `Arguments`.
#[derive(Clone, Debug, Default)]
struct FieldDefinition {
    description: String,
    name: String,
    arguments: Vec<FieldDefinition>,
    default_value: Option<GValue>,
    ty: Option<GType>,
    directives: Vec<Directive>,
    before: Comments,
    after: Comments,
    pos: Option<Pos>,
}

#[derive(Clone, Debug, Default)]
struct EnumValueDefinition {
    description: String,
    name: String,
    directives: Vec<Directive>,
    before: Comments,
    after: Comments,
}

#[derive(Clone, Debug, Default)]
struct DirectiveDefinition {
    /// One of the prelude's (never part of an AST answer).
    built_in: bool,
    description: String,
    name: String,
    arguments: Vec<FieldDefinition>,
    locations: Vec<String>,
    is_repeatable: bool,
    before: Comments,
    after: Comments,
    pos: Option<Pos>,
}

#[derive(Clone, Debug, Default)]
struct SchemaDocument {
    schema: Vec<SchemaDefinition>,
    schema_extension: Vec<SchemaDefinition>,
    directives: Vec<DirectiveDefinition>,
    definitions: Vec<Definition>,
    extensions: Vec<Definition>,
    comment: Comments,
}

// ---------------------------------------------------------------------------
// Parser (gqlparser's parser package)

struct Parser<'a> {
    lexer: Lexer<'a>,
    peeked: bool,
    peek_token: Token,
    peek_error: Option<GqlError>,
    prev: Token,
    comment: Comments,
    comment_consuming: bool,
    depth: usize,
}

#[derive(Default)]
struct Description {
    text: String,
    comment: Comments,
}

fn parse_query(text: &str) -> GResult<QueryDocument> {
    Parser::new(text).query_document()
}

fn parse_schema(text: &str) -> GResult<SchemaDocument> {
    Parser::new(text).schema_document()
}

impl<'a> Parser<'a> {
    fn new(text: &'a str) -> Self {
        let blank = Token {
            kind: Tk::Invalid,
            value: String::new(),
            line: 0,
            col: 0,
        };
        Parser {
            lexer: Lexer::new(text),
            peeked: false,
            peek_token: blank.clone(),
            peek_error: None,
            prev: blank,
            comment: None,
            comment_consuming: false,
            depth: 0,
        }
    }

    // The comment handling is gqlparser's: a run of comments is gathered
    // when the token after it is peeked, and belongs to that token.
    fn consume_comment_group(&mut self) {
        if self.comment_consuming {
            return;
        }
        self.comment_consuming = true;
        let mut comments = Vec::new();
        loop {
            let tok = self.peek();
            if tok.kind != Tk::Comment {
                break;
            }
            // A comment token carries no lexer error.
            let _ = self.next();
            comments.push(tok.value);
        }
        self.comment = Some(comments);
        self.comment_consuming = false;
    }

    fn peek(&mut self) -> Token {
        if !self.peeked {
            let (tok, err) = self.lexer.read_token();
            self.peek_token = tok;
            self.peek_error = err;
            self.peeked = true;
            if self.peek_token.kind == Tk::Comment {
                self.consume_comment_group();
            }
        }
        self.peek_token.clone()
    }

    fn peek_kind(&mut self) -> Tk {
        self.peek().kind
    }

    fn peek_pos(&mut self) -> Option<Pos> {
        self.peek().pos()
    }

    fn next(&mut self) -> GResult<Token> {
        if self.peeked {
            self.peeked = false;
            self.comment = None;
            self.prev = self.peek_token.clone();
            if let Some(e) = self.peek_error.take() {
                return Err(e);
            }
        } else {
            let (tok, err) = self.lexer.read_token();
            self.prev = tok;
            if let Some(e) = err {
                return Err(e);
            }
            if self.prev.kind == Tk::Comment {
                self.consume_comment_group();
            }
        }
        Ok(self.prev.clone())
    }

    fn error<T>(tok: &Token, msg: String) -> GResult<T> {
        Err(GqlError::at(tok.line, tok.col, msg))
    }

    fn expect_keyword(&mut self, value: &str) -> GResult<(Token, Comments)> {
        let tok = self.peek();
        let comment = self.comment.clone();
        if tok.kind == Tk::Name && tok.value == value {
            return Ok((self.next()?, comment));
        }
        Self::error(
            &tok,
            format!("Expected {}, found {}", go_quote(value), tok.describe()),
        )
    }

    fn expect(&mut self, kind: Tk) -> GResult<(Token, Comments)> {
        let tok = self.peek();
        let comment = self.comment.clone();
        if tok.kind == kind {
            return Ok((self.next()?, comment));
        }
        Self::error(
            &tok,
            format!("Expected {}, found {}", kind.text(), tok.kind.text()),
        )
    }

    fn skip(&mut self, kind: Tk) -> GResult<bool> {
        if self.peek_kind() != kind {
            return Ok(false);
        }
        self.next()?;
        Ok(true)
    }

    fn unexpected<T>(&mut self) -> GResult<T> {
        let tok = self.peek();
        Self::unexpected_token(&tok)
    }

    fn unexpected_token<T>(tok: &Token) -> GResult<T> {
        Self::error(tok, format!("Unexpected {}", tok.describe()))
    }

    fn many<T>(
        &mut self,
        start: Tk,
        end: Tk,
        mut f: impl FnMut(&mut Self) -> GResult<T>,
    ) -> GResult<Vec<T>> {
        let mut out = Vec::new();
        if !self.skip(start)? {
            return Ok(out);
        }
        while self.peek_kind() != end {
            out.push(f(self)?);
        }
        self.next()?;
        Ok(out)
    }

    fn some<T>(
        &mut self,
        start: Tk,
        end: Tk,
        mut f: impl FnMut(&mut Self) -> GResult<T>,
    ) -> GResult<(Vec<T>, Comments)> {
        let mut out = Vec::new();
        if !self.skip(start)? {
            return Ok((out, None));
        }
        while self.peek_kind() != end {
            out.push(f(self)?);
        }
        if out.is_empty() {
            let tok = self.peek();
            return Self::error(
                &tok,
                format!(
                    "expected at least one definition, found {}",
                    tok.kind.text()
                ),
            );
        }
        let comment = self.comment.clone();
        self.next()?;
        Ok((out, comment))
    }

    fn enter(&mut self) -> GResult<()> {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            let tok = self.peek();
            return Self::error(
                &tok,
                format!("document nested deeper than {MAX_DEPTH} levels"),
            );
        }
        Ok(())
    }

    fn leave(&mut self) {
        self.depth = self.depth.saturating_sub(1);
    }

    fn name(&mut self) -> GResult<String> {
        Ok(self.expect(Tk::Name)?.0.value)
    }

    // --- executable documents (parser/query.go)

    fn query_document(&mut self) -> GResult<QueryDocument> {
        let mut doc = QueryDocument::default();
        loop {
            let tok = self.peek();
            match tok.kind {
                Tk::Eof => break,
                Tk::Name => match tok.value.as_str() {
                    "query" | "mutation" | "subscription" => {
                        let op = self.operation_definition()?;
                        doc.operations.push(op);
                    }
                    "fragment" => {
                        let f = self.fragment_definition()?;
                        doc.fragments.push(f);
                    }
                    _ => return Self::unexpected_token(&tok),
                },
                Tk::BraceL => {
                    let op = self.operation_definition()?;
                    doc.operations.push(op);
                }
                _ => return Self::unexpected_token(&tok),
            }
        }
        Ok(doc)
    }

    fn operation_definition(&mut self) -> GResult<OperationDefinition> {
        if self.peek_kind() == Tk::BraceL {
            let comment = self.comment.clone();
            return Ok(OperationDefinition {
                operation: "query".to_string(),
                comment,
                selection_set: self.required_selection_set()?,
                ..Default::default()
            });
        }
        let mut od = OperationDefinition {
            comment: self.comment.clone(),
            operation: self.operation_type()?,
            ..Default::default()
        };
        if self.peek_kind() == Tk::Name {
            od.name = self.next()?.value;
        }
        od.variable_definitions = self.variable_definitions()?;
        od.directives = self.directives(false)?;
        od.selection_set = self.required_selection_set()?;
        Ok(od)
    }

    fn operation_type(&mut self) -> GResult<String> {
        let tok = self.next()?;
        match tok.value.as_str() {
            "query" | "mutation" | "subscription" => Ok(tok.value),
            _ => Self::unexpected_token(&tok),
        }
    }

    fn variable_definitions(&mut self) -> GResult<Vec<VariableDefinition>> {
        Ok(self
            .some(Tk::ParenL, Tk::ParenR, Self::variable_definition)?
            .0)
    }

    fn variable_definition(&mut self) -> GResult<VariableDefinition> {
        self.peek();
        let mut def = VariableDefinition {
            comment: self.comment.clone(),
            variable: self.variable()?,
            ..Default::default()
        };
        self.expect(Tk::Colon)?;
        def.ty = Some(self.type_reference()?);
        if self.skip(Tk::Equals)? {
            def.default_value = Some(self.value_literal(true)?);
        }
        def.directives = self.directives(false)?;
        Ok(def)
    }

    fn variable(&mut self) -> GResult<String> {
        self.expect(Tk::Dollar)?;
        self.name()
    }

    fn optional_selection_set(&mut self) -> GResult<Vec<Selection>> {
        self.enter()?;
        let set = self.some(Tk::BraceL, Tk::BraceR, Self::selection)?.0;
        self.leave();
        Ok(set)
    }

    fn required_selection_set(&mut self) -> GResult<Vec<Selection>> {
        let tok = self.peek();
        if tok.kind != Tk::BraceL {
            return Self::error(
                &tok,
                format!("Expected {}, found {}", Tk::BraceL.text(), tok.kind.text()),
            );
        }
        self.optional_selection_set()
    }

    fn selection(&mut self) -> GResult<Selection> {
        if self.peek_kind() == Tk::Spread {
            return self.fragment();
        }
        Ok(Selection::Field(self.field()?))
    }

    fn field(&mut self) -> GResult<Field> {
        self.peek();
        let mut field = Field {
            comment: self.comment.clone(),
            alias: self.name()?,
            ..Default::default()
        };
        field.name = if self.skip(Tk::Colon)? {
            self.name()?
        } else {
            field.alias.clone()
        };
        field.arguments = self.arguments(false)?;
        field.directives = self.directives(false)?;
        if self.peek_kind() == Tk::BraceL {
            field.selection_set = self.optional_selection_set()?;
        }
        Ok(field)
    }

    fn arguments(&mut self, is_const: bool) -> GResult<Vec<Argument>> {
        Ok(self
            .some(Tk::ParenL, Tk::ParenR, |p| p.argument(is_const))?
            .0)
    }

    fn argument(&mut self, is_const: bool) -> GResult<Argument> {
        let pos = self.peek_pos();
        let mut arg = Argument {
            pos,
            comment: self.comment.clone(),
            name: self.name()?,
            ..Default::default()
        };
        self.expect(Tk::Colon)?;
        arg.value = Some(self.value_literal(is_const)?);
        Ok(arg)
    }

    fn fragment(&mut self) -> GResult<Selection> {
        let (_, comment) = self.expect(Tk::Spread)?;
        let peek = self.peek();
        if peek.kind == Tk::Name && peek.value != "on" {
            return Ok(Selection::Spread(FragmentSpread {
                comment,
                name: self.fragment_name()?,
                directives: self.directives(false)?,
            }));
        }
        let mut def = InlineFragment {
            comment,
            ..Default::default()
        };
        if self.peek().value == "on" {
            self.next()?;
            def.type_condition = self.name()?;
        }
        def.directives = self.directives(false)?;
        def.selection_set = self.required_selection_set()?;
        Ok(Selection::Inline(def))
    }

    fn fragment_definition(&mut self) -> GResult<FragmentDefinition> {
        self.peek();
        let mut def = FragmentDefinition {
            comment: self.comment.clone(),
            ..Default::default()
        };
        self.expect_keyword("fragment")?;
        def.name = self.fragment_name()?;
        def.variable_definition = self.variable_definitions()?;
        self.expect_keyword("on")?;
        def.type_condition = self.name()?;
        def.directives = self.directives(false)?;
        def.selection_set = self.required_selection_set()?;
        Ok(def)
    }

    fn fragment_name(&mut self) -> GResult<String> {
        if self.peek().value == "on" {
            return self.unexpected();
        }
        self.name()
    }

    fn value_literal(&mut self, is_const: bool) -> GResult<GValue> {
        let token = self.peek();
        let kind = match token.kind {
            Tk::BracketL | Tk::BraceL => {
                self.enter()?;
                let comment = self.comment.clone();
                let (end, kind) = if token.kind == Tk::BracketL {
                    (Tk::BracketR, 8)
                } else {
                    (Tk::BraceR, 9)
                };
                let children = self.many(token.kind, end, |p| {
                    if kind == 8 {
                        Ok(ChildValue {
                            value: Some(p.value_literal(is_const)?),
                            ..Default::default()
                        })
                    } else {
                        p.object_field(is_const)
                    }
                })?;
                self.leave();
                return Ok(GValue {
                    children,
                    kind,
                    comment,
                    ..Default::default()
                });
            }
            Tk::Dollar => {
                if is_const {
                    return self.unexpected();
                }
                let comment = self.comment.clone();
                return Ok(GValue {
                    comment,
                    raw: self.variable()?,
                    kind: 0,
                    ..Default::default()
                });
            }
            Tk::Int => 1,
            Tk::Float => 2,
            Tk::Str => 3,
            Tk::BlockStr => 4,
            Tk::Name => match token.value.as_str() {
                "true" | "false" => 5,
                "null" => 6,
                _ => 7,
            },
            _ => return self.unexpected(),
        };
        self.next()?;
        Ok(GValue {
            raw: token.value.clone(),
            kind,
            comment: self.comment.clone(),
            ..Default::default()
        })
    }

    fn object_field(&mut self, is_const: bool) -> GResult<ChildValue> {
        self.peek();
        let mut field = ChildValue {
            comment: self.comment.clone(),
            name: self.name()?,
            ..Default::default()
        };
        self.expect(Tk::Colon)?;
        field.value = Some(self.value_literal(is_const)?);
        Ok(field)
    }

    fn directives(&mut self, is_const: bool) -> GResult<Vec<Directive>> {
        let mut out = Vec::new();
        while self.peek_kind() == Tk::At {
            self.expect(Tk::At)?;
            let pos = self.peek_pos();
            out.push(Directive {
                pos,
                name: self.name()?,
                arguments: self.arguments(is_const)?,
                location: String::new(),
            });
        }
        Ok(out)
    }

    fn type_reference(&mut self) -> GResult<GType> {
        self.enter()?;
        let mut ty = GType::default();
        if self.skip(Tk::BracketL)? {
            ty.pos = self.peek_pos();
            ty.elem = Some(Box::new(self.type_reference()?));
            self.expect(Tk::BracketR)?;
        } else {
            ty.pos = self.peek_pos();
            ty.named = self.name()?;
        }
        if self.skip(Tk::Bang)? {
            ty.non_null = true;
        }
        self.leave();
        Ok(ty)
    }

    // --- schema documents (parser/schema.go)

    fn schema_document(&mut self) -> GResult<SchemaDocument> {
        let mut doc = SchemaDocument::default();
        while self.peek_kind() != Tk::Eof {
            let mut description = Description::default();
            if matches!(self.peek_kind(), Tk::BlockStr | Tk::Str) {
                description = self.description()?;
            }
            let tok = self.peek();
            if tok.kind != Tk::Name {
                return Self::unexpected_token(&tok);
            }
            match tok.value.as_str() {
                "scalar" | "type" | "interface" | "union" | "enum" | "input" => {
                    let def = self.type_system_definition(description)?;
                    doc.definitions.push(def);
                }
                "schema" => {
                    let def = self.schema_definition(description)?;
                    doc.schema.push(def);
                }
                "directive" => {
                    let def = self.directive_definition(description)?;
                    doc.directives.push(def);
                }
                "extend" => {
                    if !description.text.is_empty() {
                        let prev = self.prev.clone();
                        return Self::unexpected_token(&prev);
                    }
                    self.type_system_extension(&mut doc)?;
                }
                _ => return Self::unexpected_token(&tok),
            }
        }
        // Comments at the end of the file.
        doc.comment = self.comment.clone();
        Ok(doc)
    }

    fn description(&mut self) -> GResult<Description> {
        if !matches!(self.peek_kind(), Tk::BlockStr | Tk::Str) {
            return Ok(Description::default());
        }
        let comment = self.comment.clone();
        Ok(Description {
            comment,
            text: self.next()?.value,
        })
    }

    fn type_system_definition(&mut self, d: Description) -> GResult<Definition> {
        let tok = self.peek();
        let (kind, keyword) = match tok.value.as_str() {
            "scalar" => ("SCALAR", "scalar"),
            "type" => ("OBJECT", "type"),
            "interface" => ("INTERFACE", "interface"),
            "union" => ("UNION", "union"),
            "enum" => ("ENUM", "enum"),
            "input" => ("INPUT_OBJECT", "input"),
            _ => return Self::unexpected_token(&tok),
        };
        let (_, comment) = self.expect_keyword(keyword)?;
        let mut def = Definition {
            pos: self.peek_pos(),
            kind: kind.to_string(),
            before: d.comment,
            description: d.text,
            after: comment,
            name: self.name()?,
            ..Default::default()
        };
        match kind {
            "SCALAR" => def.directives = self.directives(true)?,
            "OBJECT" | "INTERFACE" => {
                def.interfaces = self.implements_interfaces()?;
                def.directives = self.directives(true)?;
                (def.fields, def.end) =
                    self.some(Tk::BraceL, Tk::BraceR, Self::field_definition)?;
            }
            "UNION" => {
                def.directives = self.directives(true)?;
                def.types = self.union_member_types()?;
            }
            "ENUM" => {
                def.directives = self.directives(true)?;
                (def.enum_values, def.end) =
                    self.some(Tk::BraceL, Tk::BraceR, Self::enum_value_definition)?;
            }
            _ => {
                def.directives = self.directives(true)?;
                (def.fields, def.end) =
                    self.some(Tk::BraceL, Tk::BraceR, |p| p.input_value_def(false))?;
            }
        }
        Ok(def)
    }

    fn schema_definition(&mut self, d: Description) -> GResult<SchemaDefinition> {
        let (_, comment) = self.expect_keyword("schema")?;
        let mut def = SchemaDefinition {
            pos: self.peek_pos(),
            before: d.comment,
            description: d.text,
            after: comment,
            directives: self.directives(true)?,
            ..Default::default()
        };
        (def.operation_types, def.end) =
            self.some(Tk::BraceL, Tk::BraceR, Self::operation_type_definition)?;
        Ok(def)
    }

    fn operation_type_definition(&mut self) -> GResult<OperationTypeDefinition> {
        let pos = self.peek_pos();
        let mut op = OperationTypeDefinition {
            pos,
            comment: self.comment.clone(),
            operation: self.operation_type()?,
            ..Default::default()
        };
        self.expect(Tk::Colon)?;
        op.ty = self.name()?;
        Ok(op)
    }

    fn implements_interfaces(&mut self) -> GResult<Vec<String>> {
        let mut types = Vec::new();
        if self.peek().value == "implements" {
            self.next()?;
            self.skip(Tk::Amp)?;
            types.push(self.name()?);
            while self.skip(Tk::Amp)? {
                types.push(self.name()?);
            }
        }
        Ok(types)
    }

    fn field_definition(&mut self) -> GResult<FieldDefinition> {
        self.input_value_def(true)
    }

    /// A field definition (`with_args`), an input field or an argument.
    fn input_value_def(&mut self, with_args: bool) -> GResult<FieldDefinition> {
        let mut def = FieldDefinition {
            pos: self.peek_pos(),
            ..Default::default()
        };
        let desc = self.description()?;
        if !desc.text.is_empty() {
            def.before = desc.comment;
            def.description = desc.text;
        }
        self.peek();
        def.after = self.comment.clone();
        def.name = self.name()?;
        if with_args {
            def.arguments = self.argument_defs()?;
        }
        self.expect(Tk::Colon)?;
        def.ty = Some(self.type_reference()?);
        if !with_args && self.skip(Tk::Equals)? {
            def.default_value = Some(self.value_literal(true)?);
        }
        def.directives = self.directives(true)?;
        Ok(def)
    }

    fn argument_defs(&mut self) -> GResult<Vec<FieldDefinition>> {
        Ok(self
            .some(Tk::ParenL, Tk::ParenR, |p| p.input_value_def(false))?
            .0)
    }

    fn union_member_types(&mut self) -> GResult<Vec<String>> {
        let mut types = Vec::new();
        if self.skip(Tk::Equals)? {
            self.skip(Tk::Pipe)?;
            types.push(self.name()?);
            while self.skip(Tk::Pipe)? {
                types.push(self.name()?);
            }
        }
        Ok(types)
    }

    fn enum_value_definition(&mut self) -> GResult<EnumValueDefinition> {
        let mut def = EnumValueDefinition::default();
        let desc = self.description()?;
        if !desc.text.is_empty() {
            def.before = desc.comment;
            def.description = desc.text;
        }
        self.peek();
        def.after = self.comment.clone();
        def.name = self.name()?;
        def.directives = self.directives(true)?;
        Ok(def)
    }

    fn type_system_extension(&mut self, doc: &mut SchemaDocument) -> GResult<()> {
        let (_, comment) = self.expect_keyword("extend")?;
        let tok = self.peek();
        let (kind, keyword) = match tok.value.as_str() {
            "schema" => {
                self.expect_keyword("schema")?;
                let mut def = SchemaDefinition {
                    pos: self.peek_pos(),
                    after: comment,
                    directives: self.directives(true)?,
                    ..Default::default()
                };
                (def.operation_types, def.end) =
                    self.some(Tk::BraceL, Tk::BraceR, Self::operation_type_definition)?;
                if def.directives.is_empty() && def.operation_types.is_empty() {
                    return self.unexpected();
                }
                doc.schema_extension.push(def);
                return Ok(());
            }
            "scalar" => ("SCALAR", "scalar"),
            "type" => ("OBJECT", "type"),
            "interface" => ("INTERFACE", "interface"),
            "union" => ("UNION", "union"),
            "enum" => ("ENUM", "enum"),
            "input" => ("INPUT_OBJECT", "input"),
            _ => return Self::unexpected_token(&tok),
        };
        self.expect_keyword(keyword)?;
        let mut def = Definition {
            pos: self.peek_pos(),
            after: comment,
            kind: kind.to_string(),
            name: self.name()?,
            ..Default::default()
        };
        let empty = match kind {
            "SCALAR" => {
                def.directives = self.directives(true)?;
                def.directives.is_empty()
            }
            "OBJECT" => {
                def.interfaces = self.implements_interfaces()?;
                def.directives = self.directives(true)?;
                (def.fields, def.end) =
                    self.some(Tk::BraceL, Tk::BraceR, Self::field_definition)?;
                def.interfaces.is_empty() && def.directives.is_empty() && def.fields.is_empty()
            }
            "INTERFACE" => {
                def.directives = self.directives(true)?;
                (def.fields, def.end) =
                    self.some(Tk::BraceL, Tk::BraceR, Self::field_definition)?;
                def.directives.is_empty() && def.fields.is_empty()
            }
            "UNION" => {
                def.directives = self.directives(true)?;
                def.types = self.union_member_types()?;
                def.directives.is_empty() && def.types.is_empty()
            }
            "ENUM" => {
                def.directives = self.directives(true)?;
                (def.enum_values, def.end) =
                    self.some(Tk::BraceL, Tk::BraceR, Self::enum_value_definition)?;
                def.directives.is_empty() && def.enum_values.is_empty()
            }
            _ => {
                def.directives = self.directives(false)?;
                (def.fields, def.end) =
                    self.some(Tk::BraceL, Tk::BraceR, |p| p.input_value_def(false))?;
                def.directives.is_empty() && def.fields.is_empty()
            }
        };
        if empty {
            return self.unexpected();
        }
        doc.extensions.push(def);
        Ok(())
    }

    fn directive_definition(&mut self, d: Description) -> GResult<DirectiveDefinition> {
        let (_, comment) = self.expect_keyword("directive")?;
        self.expect(Tk::At)?;
        let mut def = DirectiveDefinition {
            pos: self.peek_pos(),
            before: d.comment,
            description: d.text,
            after: comment,
            name: self.name()?,
            arguments: self.argument_defs()?,
            ..Default::default()
        };
        let peek = self.peek();
        if peek.kind == Tk::Name && peek.value == "repeatable" {
            def.is_repeatable = true;
            self.skip(Tk::Name)?;
        }
        self.expect_keyword("on")?;
        self.skip(Tk::Pipe)?;
        def.locations.push(self.directive_location()?);
        while self.skip(Tk::Pipe)? {
            def.locations.push(self.directive_location()?);
        }
        Ok(def)
    }

    fn directive_location(&mut self) -> GResult<String> {
        let (tok, _) = self.expect(Tk::Name)?;
        if DIRECTIVE_LOCATIONS.contains(&tok.value.as_str()) {
            Ok(tok.value)
        } else {
            Self::unexpected_token(&tok)
        }
    }
}

const DIRECTIVE_LOCATIONS: &[&str] = &[
    "QUERY",
    "MUTATION",
    "SUBSCRIPTION",
    "FIELD",
    "FRAGMENT_DEFINITION",
    "FRAGMENT_SPREAD",
    "INLINE_FRAGMENT",
    "VARIABLE_DEFINITION",
    "SCHEMA",
    "SCALAR",
    "OBJECT",
    "FIELD_DEFINITION",
    "ARGUMENT_DEFINITION",
    "INTERFACE",
    "UNION",
    "ENUM",
    "ENUM_VALUE",
    "INPUT_OBJECT",
    "INPUT_FIELD_DEFINITION",
];

// ---------------------------------------------------------------------------
// AST to Rego value: Go's JSON marshalling of gqlparser's structs, pruned as
// OPA's `pruneIrrelevantGraphQLASTNodes` prunes it (no `Position`, no null,
// no empty array or object, recursively).

/// An object under construction; members that prune away are not added.
#[derive(Default)]
struct Obj(BTreeMap<Value, Value>);

impl Obj {
    fn put(mut self, key: &str, v: Value) -> Self {
        let keep = match &v {
            Value::Null | Value::Undefined => false,
            Value::Array(a) => !a.is_empty(),
            Value::Object(o) => !o.is_empty(),
            _ => true,
        };
        if keep {
            self.0.insert(Value::from(key), v);
        }
        self
    }

    fn s(self, key: &str, v: &str) -> Self {
        self.put(key, Value::from(v))
    }

    fn opt<T>(self, key: &str, v: &Option<T>, f: impl Fn(&T) -> Value) -> Self {
        match v {
            Some(x) => self.put(key, f(x)),
            None => self,
        }
    }

    fn list<T>(self, key: &str, items: &[T], f: impl Fn(&T) -> Value) -> Self {
        self.put(key, arr(items.iter().map(f)))
    }

    fn comments(self, key: &str, c: &Comments) -> Self {
        self.opt(key, c, |list| {
            Obj::default()
                .list("List", list, |v| Obj::default().s("Value", v).done())
                .done()
        })
    }

    fn done(self) -> Value {
        Value::from(self.0)
    }
}

/// An array less the elements that prune away.
fn arr(items: impl Iterator<Item = Value>) -> Value {
    Value::from(
        items
            .filter(|v| match v {
                Value::Null | Value::Undefined => false,
                Value::Array(a) => !a.is_empty(),
                Value::Object(o) => !o.is_empty(),
                _ => true,
            })
            .collect::<Vec<Value>>(),
    )
}

fn strings(items: &[String]) -> Value {
    arr(items.iter().map(|s| Value::from(s.as_str())))
}

impl GValue {
    fn to_value(&self) -> Value {
        Obj::default()
            .s("Raw", &self.raw)
            .list("Children", &self.children, |c| {
                Obj::default()
                    .s("Name", &c.name)
                    .opt("Value", &c.value, GValue::to_value)
                    .comments("Comment", &c.comment)
                    .done()
            })
            .put("Kind", Value::from(self.kind))
            .comments("Comment", &self.comment)
            .put("ExpectedTypeHasDefault", Value::from(false))
            .done()
    }
}

impl GType {
    fn to_value(&self) -> Value {
        Obj::default()
            .s("NamedType", &self.named)
            .opt("Elem", &self.elem, |e| e.to_value())
            .put("NonNull", Value::from(self.non_null))
            .done()
    }
}

fn directives_value(dirs: &[Directive]) -> Value {
    arr(dirs.iter().map(|d| {
        Obj::default()
            .s("Name", &d.name)
            .put("Arguments", arguments_value(&d.arguments))
            .s("Location", &d.location)
            .done()
    }))
}

fn arguments_value(args: &[Argument]) -> Value {
    arr(args.iter().map(|a| {
        Obj::default()
            .s("Name", &a.name)
            .opt("Value", &a.value, GValue::to_value)
            .comments("Comment", &a.comment)
            .done()
    }))
}

fn selections_value(set: &[Selection]) -> Value {
    arr(set.iter().map(|s| match s {
        Selection::Field(f) => Obj::default()
            .s("Alias", &f.alias)
            .s("Name", &f.name)
            .put("Arguments", arguments_value(&f.arguments))
            .put("Directives", directives_value(&f.directives))
            .put("SelectionSet", selections_value(&f.selection_set))
            .comments("Comment", &f.comment)
            .done(),
        Selection::Spread(f) => Obj::default()
            .s("Name", &f.name)
            .put("Directives", directives_value(&f.directives))
            .comments("Comment", &f.comment)
            .done(),
        Selection::Inline(f) => Obj::default()
            .s("TypeCondition", &f.type_condition)
            .put("Directives", directives_value(&f.directives))
            .put("SelectionSet", selections_value(&f.selection_set))
            .comments("Comment", &f.comment)
            .done(),
    }))
}

fn variables_value(vars: &[VariableDefinition]) -> Value {
    arr(vars.iter().map(|v| {
        Obj::default()
            .s("Variable", &v.variable)
            .opt("Type", &v.ty, GType::to_value)
            .opt("DefaultValue", &v.default_value, GValue::to_value)
            .put("Directives", directives_value(&v.directives))
            .comments("Comment", &v.comment)
            .put("Used", Value::from(v.used))
            .done()
    }))
}

impl QueryDocument {
    fn to_value(&self) -> Value {
        Obj::default()
            .list("Operations", &self.operations, |o| {
                Obj::default()
                    .s("Operation", &o.operation)
                    .s("Name", &o.name)
                    .put(
                        "VariableDefinitions",
                        variables_value(&o.variable_definitions),
                    )
                    .put("Directives", directives_value(&o.directives))
                    .put("SelectionSet", selections_value(&o.selection_set))
                    .comments("Comment", &o.comment)
                    .done()
            })
            .list("Fragments", &self.fragments, |f| {
                Obj::default()
                    .s("Name", &f.name)
                    .put(
                        "VariableDefinition",
                        variables_value(&f.variable_definition),
                    )
                    .s("TypeCondition", &f.type_condition)
                    .put("Directives", directives_value(&f.directives))
                    .put("SelectionSet", selections_value(&f.selection_set))
                    .comments("Comment", &f.comment)
                    .done()
            })
            .comments("Comment", &self.comment)
            .done()
    }
}

impl FieldDefinition {
    fn to_value(&self) -> Value {
        Obj::default()
            .s("Description", &self.description)
            .s("Name", &self.name)
            .list("Arguments", &self.arguments, FieldDefinition::to_value)
            .opt("DefaultValue", &self.default_value, GValue::to_value)
            .opt("Type", &self.ty, GType::to_value)
            .put("Directives", directives_value(&self.directives))
            .comments("BeforeDescriptionComment", &self.before)
            .comments("AfterDescriptionComment", &self.after)
            .done()
    }
}

impl Definition {
    fn to_value(&self) -> Value {
        Obj::default()
            .s("Kind", &self.kind)
            .s("Description", &self.description)
            .s("Name", &self.name)
            .put("Directives", directives_value(&self.directives))
            .put("Interfaces", strings(&self.interfaces))
            .list("Fields", &self.fields, FieldDefinition::to_value)
            .put("Types", strings(&self.types))
            .list("EnumValues", &self.enum_values, |e| {
                Obj::default()
                    .s("Description", &e.description)
                    .s("Name", &e.name)
                    .put("Directives", directives_value(&e.directives))
                    .comments("BeforeDescriptionComment", &e.before)
                    .comments("AfterDescriptionComment", &e.after)
                    .done()
            })
            .put("BuiltIn", Value::from(self.built_in))
            .comments("BeforeDescriptionComment", &self.before)
            .comments("AfterDescriptionComment", &self.after)
            .comments("EndOfDefinitionComment", &self.end)
            .done()
    }
}

impl SchemaDefinition {
    fn to_value(&self) -> Value {
        Obj::default()
            .s("Description", &self.description)
            .put("Directives", directives_value(&self.directives))
            .list("OperationTypes", &self.operation_types, |o| {
                Obj::default()
                    .s("Operation", &o.operation)
                    .s("Type", &o.ty)
                    .comments("Comment", &o.comment)
                    .done()
            })
            .comments("BeforeDescriptionComment", &self.before)
            .comments("AfterDescriptionComment", &self.after)
            .comments("EndOfDefinitionComment", &self.end)
            .done()
    }
}

impl SchemaDocument {
    fn to_value(&self) -> Value {
        Obj::default()
            .list("Schema", &self.schema, SchemaDefinition::to_value)
            .list(
                "SchemaExtension",
                &self.schema_extension,
                SchemaDefinition::to_value,
            )
            .list("Directives", &self.directives, |d| {
                Obj::default()
                    .s("Description", &d.description)
                    .s("Name", &d.name)
                    .list("Arguments", &d.arguments, FieldDefinition::to_value)
                    .put("Locations", strings(&d.locations))
                    .put("IsRepeatable", Value::from(d.is_repeatable))
                    .comments("BeforeDescriptionComment", &d.before)
                    .comments("AfterDescriptionComment", &d.after)
                    .done()
            })
            .list("Definitions", &self.definitions, Definition::to_value)
            .list("Extensions", &self.extensions, Definition::to_value)
            .comments("Comment", &self.comment)
            .done()
    }
}

// ---------------------------------------------------------------------------
// Rego value to AST: Go's `json.Unmarshal` into gqlparser's structs. Keys
// match case-insensitively (exact first), except in the structs gqlparser
// decodes by hand (operations, fragments, fields, inline fragments); null
// leaves a member at its zero value; unknown keys are ignored.

type DResult<T> = std::result::Result<T, String>;

struct Rec<'a> {
    /// Always a `Value::Object`.
    obj: &'a Value,
    exact: bool,
    ty: &'static str,
    depth: usize,
}

fn json_type(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "bool",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) | Value::Set(_) => "array",
        _ => "object",
    }
}

fn rec<'a>(v: &'a Value, ty: &'static str, exact: bool, depth: usize) -> DResult<Rec<'a>> {
    if depth > MAX_DEPTH {
        return Err(format!("GraphQL AST nested deeper than {MAX_DEPTH} levels"));
    }
    match v {
        Value::Object(_) => Ok(Rec {
            obj: v,
            exact,
            ty,
            depth: depth + 1,
        }),
        other => Err(format!(
            "json: cannot unmarshal {} into Go value of type ast.{ty}",
            json_type(other)
        )),
    }
}

/// The elements of a JSON array (null: none).
fn elements(v: &Value) -> Option<Vec<&Value>> {
    match v {
        Value::Null => Some(Vec::new()),
        Value::Array(a) => Some(a.iter().collect()),
        Value::Set(s) => Some(s.iter().collect()),
        _ => None,
    }
}

impl<'a> Rec<'a> {
    fn get(&self, key: &str) -> Option<&'a Value> {
        let Value::Object(map) = self.obj else {
            return None;
        };
        let found = match map.get(&Value::from(key)) {
            Some(v) => Some(v),
            None if !self.exact => map.iter().find_map(|(k, v)| match k {
                Value::String(s) if s.eq_ignore_ascii_case(key) => Some(v),
                _ => None,
            }),
            None => None,
        };
        found.filter(|v| !matches!(v, Value::Null))
    }

    fn mismatch(&self, key: &str, v: &Value, want: &str) -> String {
        format!(
            "json: cannot unmarshal {} into Go struct field {}.{key} of type {want}",
            json_type(v),
            self.ty
        )
    }

    fn string(&self, key: &str) -> DResult<String> {
        match self.get(key) {
            None => Ok(String::new()),
            Some(Value::String(s)) => Ok(s.to_string()),
            Some(v) => Err(self.mismatch(key, v, "string")),
        }
    }

    fn boolean(&self, key: &str) -> DResult<bool> {
        match self.get(key) {
            None => Ok(false),
            Some(Value::Bool(b)) => Ok(*b),
            Some(v) => Err(self.mismatch(key, v, "bool")),
        }
    }

    fn int(&self, key: &str) -> DResult<i64> {
        match self.get(key) {
            None => Ok(0),
            Some(v @ Value::Number(_)) => v.as_i64().map_err(|_| self.mismatch(key, v, "int")),
            Some(v) => Err(self.mismatch(key, v, "int")),
        }
    }

    fn strings(&self, key: &str) -> DResult<Vec<String>> {
        self.list(key, |v, _| match v {
            Value::String(s) => Ok(s.to_string()),
            other => Err(format!(
                "json: cannot unmarshal {} into Go value of type string",
                json_type(other)
            )),
        })
    }

    fn list<T>(&self, key: &str, f: impl Fn(&Value, usize) -> DResult<T>) -> DResult<Vec<T>> {
        let Some(v) = self.get(key) else {
            return Ok(Vec::new());
        };
        let items = elements(v).ok_or_else(|| self.mismatch(key, v, "slice"))?;
        items
            .into_iter()
            .map(|item| match item {
                // A nil element: gqlparser would dereference it.
                Value::Null => Err(format!("{}.{key}: null element", self.ty)),
                item => f(item, self.depth),
            })
            .collect()
    }

    fn opt<T>(&self, key: &str, f: impl Fn(&Value, usize) -> DResult<T>) -> DResult<Option<T>> {
        self.get(key).map(|v| f(v, self.depth)).transpose()
    }

    fn comments(&self, key: &str) -> DResult<Comments> {
        self.opt(key, |v, d| {
            rec(v, "CommentGroup", false, d)?
                .list("List", |c, d| rec(c, "Comment", false, d)?.string("Value"))
        })
    }
}

fn decode_value(v: &Value, depth: usize) -> DResult<GValue> {
    let r = rec(v, "Value", false, depth)?;
    Ok(GValue {
        raw: r.string("Raw")?,
        children: r.list("Children", |c, d| {
            let r = rec(c, "ChildValue", false, d)?;
            Ok(ChildValue {
                name: r.string("Name")?,
                value: r.opt("Value", decode_value)?,
                comment: r.comments("Comment")?,
            })
        })?,
        kind: r.int("Kind")?,
        comment: r.comments("Comment")?,
    })
}

fn decode_type(v: &Value, depth: usize) -> DResult<GType> {
    let r = rec(v, "Type", false, depth)?;
    Ok(GType {
        named: r.string("NamedType")?,
        elem: r.opt("Elem", decode_type)?.map(Box::new),
        non_null: r.boolean("NonNull")?,
        pos: None,
    })
}

fn decode_arguments(r: &Rec, key: &str) -> DResult<Vec<Argument>> {
    r.list(key, |v, d| {
        let r = rec(v, "Argument", false, d)?;
        Ok(Argument {
            name: r.string("Name")?,
            value: r.opt("Value", decode_value)?,
            comment: r.comments("Comment")?,
            pos: None,
        })
    })
}

fn decode_directives(r: &Rec) -> DResult<Vec<Directive>> {
    r.list("Directives", |v, d| {
        let r = rec(v, "Directive", false, d)?;
        Ok(Directive {
            name: r.string("Name")?,
            arguments: decode_arguments(&r, "Arguments")?,
            location: r.string("Location")?,
            pos: None,
        })
    })
}

/// gqlparser's `UnmarshalSelectionSet`: each item is tried as a field (which
/// any object is), then a fragment spread, then an inline fragment; an item
/// none of them takes is dropped.
fn decode_selections(r: &Rec, key: &str) -> DResult<Vec<Selection>> {
    let Some(v) = r.get(key) else {
        return Ok(Vec::new());
    };
    let items = elements(v).ok_or_else(|| r.mismatch(key, v, "ast.SelectionSet"))?;
    let depth = r.depth;
    let mut out = Vec::new();
    for item in items {
        if let Value::Null = item {
            out.push(Selection::Field(Field::default()));
            continue;
        }
        let field = rec(item, "Field", true, depth).and_then(|r| {
            Ok(Field {
                alias: r.string("Alias")?,
                name: r.string("Name")?,
                arguments: decode_arguments(&r, "Arguments")?,
                directives: decode_directives(&r)?,
                selection_set: decode_selections(&r, "SelectionSet")?,
                comment: None,
            })
        });
        if let Ok(f) = field {
            out.push(Selection::Field(f));
            continue;
        }
        let spread = rec(item, "FragmentSpread", false, depth).and_then(|r| {
            Ok(FragmentSpread {
                name: r.string("Name")?,
                directives: decode_directives(&r)?,
                comment: r.comments("Comment")?,
            })
        });
        if let Ok(f) = spread {
            out.push(Selection::Spread(f));
            continue;
        }
        let inline = rec(item, "InlineFragment", true, depth).and_then(|r| {
            Ok(InlineFragment {
                type_condition: r.string("TypeCondition")?,
                directives: decode_directives(&r)?,
                selection_set: decode_selections(&r, "SelectionSet")?,
                comment: None,
            })
        });
        if let Ok(f) = inline {
            out.push(Selection::Inline(f));
        }
    }
    Ok(out)
}

fn decode_variables(r: &Rec, key: &str) -> DResult<Vec<VariableDefinition>> {
    r.list(key, |v, d| {
        let r = rec(v, "VariableDefinition", false, d)?;
        Ok(VariableDefinition {
            variable: r.string("Variable")?,
            ty: r.opt("Type", decode_type)?,
            default_value: r.opt("DefaultValue", decode_value)?,
            directives: decode_directives(&r)?,
            comment: r.comments("Comment")?,
            used: r.boolean("Used")?,
        })
    })
}

fn decode_query(v: &Value) -> DResult<QueryDocument> {
    let r = rec(v, "QueryDocument", false, 0)?;
    Ok(QueryDocument {
        operations: r.list("Operations", |v, d| {
            let r = rec(v, "OperationDefinition", true, d)?;
            Ok(OperationDefinition {
                operation: r.string("Operation")?,
                name: r.string("Name")?,
                variable_definitions: decode_variables(&r, "VariableDefinitions")?,
                directives: decode_directives(&r)?,
                selection_set: decode_selections(&r, "SelectionSet")?,
                comment: None,
            })
        })?,
        fragments: r.list("Fragments", |v, d| {
            let r = rec(v, "FragmentDefinition", true, d)?;
            Ok(FragmentDefinition {
                name: r.string("Name")?,
                variable_definition: decode_variables(&r, "VariableDefinition")?,
                type_condition: r.string("TypeCondition")?,
                directives: decode_directives(&r)?,
                selection_set: decode_selections(&r, "SelectionSet")?,
                comment: None,
            })
        })?,
        comment: r.comments("Comment")?,
    })
}

fn decode_field_definition(v: &Value, depth: usize) -> DResult<FieldDefinition> {
    let r = rec(v, "FieldDefinition", false, depth)?;
    Ok(FieldDefinition {
        description: r.string("Description")?,
        name: r.string("Name")?,
        arguments: r.list("Arguments", decode_field_definition)?,
        default_value: r.opt("DefaultValue", decode_value)?,
        ty: r.opt("Type", decode_type)?,
        directives: decode_directives(&r)?,
        before: r.comments("BeforeDescriptionComment")?,
        after: r.comments("AfterDescriptionComment")?,
        pos: None,
    })
}

fn decode_definition(v: &Value, depth: usize) -> DResult<Definition> {
    let r = rec(v, "Definition", false, depth)?;
    Ok(Definition {
        kind: r.string("Kind")?,
        description: r.string("Description")?,
        name: r.string("Name")?,
        directives: decode_directives(&r)?,
        interfaces: r.strings("Interfaces")?,
        fields: r.list("Fields", decode_field_definition)?,
        types: r.strings("Types")?,
        enum_values: r.list("EnumValues", |v, d| {
            let r = rec(v, "EnumValueDefinition", false, d)?;
            Ok(EnumValueDefinition {
                description: r.string("Description")?,
                name: r.string("Name")?,
                directives: decode_directives(&r)?,
                before: r.comments("BeforeDescriptionComment")?,
                after: r.comments("AfterDescriptionComment")?,
            })
        })?,
        built_in: r.boolean("BuiltIn")?,
        before: r.comments("BeforeDescriptionComment")?,
        after: r.comments("AfterDescriptionComment")?,
        end: r.comments("EndOfDefinitionComment")?,
        pos: None,
    })
}

fn decode_schema_definition(v: &Value, depth: usize) -> DResult<SchemaDefinition> {
    let r = rec(v, "SchemaDefinition", false, depth)?;
    Ok(SchemaDefinition {
        description: r.string("Description")?,
        directives: decode_directives(&r)?,
        operation_types: r.list("OperationTypes", |v, d| {
            let r = rec(v, "OperationTypeDefinition", false, d)?;
            Ok(OperationTypeDefinition {
                operation: r.string("Operation")?,
                ty: r.string("Type")?,
                comment: r.comments("Comment")?,
                pos: None,
            })
        })?,
        before: r.comments("BeforeDescriptionComment")?,
        after: r.comments("AfterDescriptionComment")?,
        end: r.comments("EndOfDefinitionComment")?,
        pos: None,
    })
}

fn decode_schema(v: &Value) -> DResult<SchemaDocument> {
    let r = rec(v, "SchemaDocument", false, 0)?;
    Ok(SchemaDocument {
        schema: r.list("Schema", decode_schema_definition)?,
        schema_extension: r.list("SchemaExtension", decode_schema_definition)?,
        directives: r.list("Directives", |v, d| {
            let r = rec(v, "DirectiveDefinition", false, d)?;
            Ok(DirectiveDefinition {
                built_in: false,
                description: r.string("Description")?,
                name: r.string("Name")?,
                arguments: r.list("Arguments", decode_field_definition)?,
                locations: r.strings("Locations")?,
                is_repeatable: r.boolean("IsRepeatable")?,
                before: r.comments("BeforeDescriptionComment")?,
                after: r.comments("AfterDescriptionComment")?,
                pos: None,
            })
        })?,
        definitions: r.list("Definitions", decode_definition)?,
        extensions: r.list("Extensions", decode_definition)?,
        comment: r.comments("Comment")?,
    })
}

// ---------------------------------------------------------------------------
// Schema validation (gqlparser's validator/schema.go), over the built-in
// definitions merged with the given schema as OPA's `convertSchema` does.

/// The built-in scalars, directives and introspection types gqlparser's
/// prelude defines (as the GraphQL spec gives them; descriptions left out:
/// they never reach an answer).
const PRELUDE: &str = r#"
scalar Int
scalar Float
scalar String
scalar Boolean
scalar ID
directive @defer(if: Boolean = true, label: String) on FRAGMENT_SPREAD | INLINE_FRAGMENT
directive @include(if: Boolean!) on FIELD | FRAGMENT_SPREAD | INLINE_FRAGMENT
directive @skip(if: Boolean!) on FIELD | FRAGMENT_SPREAD | INLINE_FRAGMENT
directive @deprecated(reason: String = "No longer supported") on FIELD_DEFINITION | ARGUMENT_DEFINITION | INPUT_FIELD_DEFINITION | ENUM_VALUE
directive @specifiedBy(url: String!) on SCALAR
directive @oneOf on INPUT_OBJECT
type __Schema {
  description: String
  types: [__Type!]!
  queryType: __Type!
  mutationType: __Type
  subscriptionType: __Type
  directives: [__Directive!]!
}
type __Type {
  kind: __TypeKind!
  name: String
  description: String
  fields(includeDeprecated: Boolean = false): [__Field!]
  interfaces: [__Type!]
  possibleTypes: [__Type!]
  enumValues(includeDeprecated: Boolean = false): [__EnumValue!]
  inputFields(includeDeprecated: Boolean = false): [__InputValue!]
  ofType: __Type
  specifiedByURL: String
  isOneOf: Boolean
}
type __Field {
  name: String!
  description: String
  args(includeDeprecated: Boolean = false): [__InputValue!]!
  type: __Type!
  isDeprecated: Boolean!
  deprecationReason: String
}
type __InputValue {
  name: String!
  description: String
  type: __Type!
  defaultValue: String
  isDeprecated: Boolean!
  deprecationReason: String
}
type __EnumValue {
  name: String!
  description: String
  isDeprecated: Boolean!
  deprecationReason: String
}
enum __TypeKind { SCALAR OBJECT INTERFACE UNION ENUM INPUT_OBJECT LIST NON_NULL }
type __Directive {
  name: String!
  description: String
  locations: [__DirectiveLocation!]!
  args(includeDeprecated: Boolean = false): [__InputValue!]!
  isRepeatable: Boolean!
}
enum __DirectiveLocation {
  QUERY MUTATION SUBSCRIPTION FIELD FRAGMENT_DEFINITION FRAGMENT_SPREAD INLINE_FRAGMENT
  VARIABLE_DEFINITION SCHEMA SCALAR OBJECT FIELD_DEFINITION ARGUMENT_DEFINITION INTERFACE
  UNION ENUM ENUM_VALUE INPUT_OBJECT INPUT_FIELD_DEFINITION
}
"#;

/// Built-in directives a schema may define again.
const BUILTIN_DIRECTIVES: &[&str] = &[
    "include",
    "skip",
    "deprecated",
    "specifiedBy",
    "defer",
    "oneOf",
];

fn prelude() -> &'static SchemaDocument {
    static PRELUDE_DOC: OnceLock<SchemaDocument> = OnceLock::new();
    PRELUDE_DOC.get_or_init(|| {
        let mut doc = parse_schema(PRELUDE).unwrap_or_default();
        for def in &mut doc.definitions {
            def.built_in = true;
        }
        for dir in &mut doc.directives {
            dir.built_in = true;
        }
        doc
    })
}

/// A validated schema: gqlparser's `ast.Schema`, the parts of it needed.
struct Merged {
    types: BTreeMap<String, Definition>,
    directives: BTreeMap<String, DirectiveDefinition>,
    /// Each type's possible types (by name), as gqlparser records them.
    possible: HashMap<String, Vec<String>>,
    query: Option<String>,
    mutation: Option<String>,
    subscription: Option<String>,
    /// Whether the schema said its roots (a `schema` definition).
    explicit_roots: bool,
}

fn is_input_kind(kind: &str) -> bool {
    matches!(kind, "SCALAR" | "ENUM" | "INPUT_OBJECT")
}

fn validate_name(pos: Option<Pos>, name: &str) -> GResult<()> {
    if name.starts_with("__") {
        return Err(GqlError::at_pos(
            pos,
            format!(
                "Name \"{name}\" must not begin with \"__\", which is reserved by GraphQL introspection."
            ),
        ));
    }
    Ok(())
}

/// A type reference's name; a missing one (possible only in an AST object)
/// is an error where gqlparser would dereference nil.
fn type_name_of(ty: &Option<GType>) -> GResult<(&GType, &str)> {
    let t = ty
        .as_ref()
        .ok_or_else(|| GqlError::at_pos(None, "missing Type"))?;
    let name = t
        .name()
        .ok_or_else(|| GqlError::at_pos(t.pos, "missing NamedType"))?;
    Ok((t, name))
}

impl Merged {
    /// gqlparser's `ValidateSchemaDocument` over the prelude and `doc`.
    fn build(doc: &SchemaDocument) -> GResult<Merged> {
        let pre = prelude();
        let mut types: BTreeMap<String, Definition> = BTreeMap::new();
        let mut order: Vec<String> = Vec::new();
        for def in pre.definitions.iter().chain(&doc.definitions) {
            if types.contains_key(&def.name) {
                return Err(GqlError::at_pos(
                    def.pos,
                    format!("Cannot redeclare type {}.", def.name),
                ));
            }
            types.insert(def.name.clone(), def.clone());
            order.push(def.name.clone());
        }
        for ext in &doc.extensions {
            let def = types.entry(ext.name.clone()).or_insert_with(|| {
                order.push(ext.name.clone());
                Definition {
                    kind: ext.kind.clone(),
                    name: ext.name.clone(),
                    pos: ext.pos,
                    ..Default::default()
                }
            });
            if def.kind != ext.kind {
                return Err(GqlError::at_pos(
                    ext.pos,
                    format!(
                        "Cannot extend type {} because the base type is a {}, not {}.",
                        ext.name, def.kind, ext.kind
                    ),
                ));
            }
            def.directives.extend(ext.directives.iter().cloned());
            def.interfaces.extend(ext.interfaces.iter().cloned());
            def.fields.extend(ext.fields.iter().cloned());
            def.types.extend(ext.types.iter().cloned());
            def.enum_values.extend(ext.enum_values.iter().cloned());
        }
        let mut possible: HashMap<String, Vec<String>> = HashMap::new();
        for name in &order {
            let Some(def) = types.get(name) else { continue };
            match def.kind.as_str() {
                "UNION" => {
                    for t in &def.types {
                        possible
                            .entry(def.name.clone())
                            .or_default()
                            .push(t.clone());
                    }
                }
                "INPUT_OBJECT" | "OBJECT" => {
                    for i in &def.interfaces {
                        possible
                            .entry(i.clone())
                            .or_default()
                            .push(def.name.clone());
                    }
                    possible
                        .entry(def.name.clone())
                        .or_default()
                        .push(def.name.clone());
                }
                "INTERFACE" => {
                    for i in &def.interfaces {
                        possible
                            .entry(i.clone())
                            .or_default()
                            .push(def.name.clone());
                    }
                }
                _ => {}
            }
        }
        let mut directives: BTreeMap<String, DirectiveDefinition> = BTreeMap::new();
        for dir in pre.directives.iter().chain(&doc.directives) {
            if directives.contains_key(&dir.name)
                && !BUILTIN_DIRECTIVES.contains(&dir.name.as_str())
            {
                return Err(GqlError::at_pos(
                    dir.pos,
                    format!("Cannot redeclare directive {}.", dir.name),
                ));
            }
            directives.insert(dir.name.clone(), dir.clone());
        }
        let mut merged = Merged {
            types,
            directives,
            possible,
            query: None,
            mutation: None,
            subscription: None,
            explicit_roots: !doc.schema.is_empty(),
        };
        if let Some(second) = doc.schema.get(1) {
            return Err(GqlError::at_pos(
                second.pos,
                "Cannot have multiple schema entry points, consider schema extensions instead.",
            ));
        }
        for def in doc.schema.iter().chain(&doc.schema_extension) {
            for ep in &def.operation_types {
                if !merged.types.contains_key(&ep.ty) {
                    return Err(GqlError::at_pos(
                        ep.pos,
                        format!(
                            "Schema root {} refers to a type {} that does not exist.",
                            ep.operation, ep.ty
                        ),
                    ));
                }
                let root = Some(ep.ty.clone());
                match ep.operation.as_str() {
                    "query" => merged.query = root,
                    "mutation" => merged.mutation = root,
                    "subscription" => merged.subscription = root,
                    _ => {}
                }
            }
            merged.validate_directives(&def.directives, "SCHEMA", None)?;
        }
        for def in merged.types.values() {
            merged.validate_definition(def)?;
        }
        for def in merged.directives.values() {
            validate_name(def.pos, &def.name)?;
            merged.validate_args(&def.arguments, Some(&def.name))?;
        }
        if !merged.explicit_roots {
            for (slot, name) in [
                (&mut merged.query, "Query"),
                (&mut merged.mutation, "Mutation"),
                (&mut merged.subscription, "Subscription"),
            ] {
                if slot.is_none() && merged.types.contains_key(name) {
                    *slot = Some(name.to_string());
                }
            }
        }
        Ok(merged)
    }

    fn validate_type_ref(&self, ty: &Option<GType>) -> GResult<&Definition> {
        let (t, name) = type_name_of(ty)?;
        self.types
            .get(name)
            .ok_or_else(|| GqlError::at_pos(t.pos, format!("Undefined type {name}.")))
    }

    fn validate_args(&self, args: &[FieldDefinition], current: Option<&str>) -> GResult<()> {
        for arg in args {
            validate_name(arg.pos, &arg.name)?;
            let def = self.validate_type_ref(&arg.ty)?;
            if !is_input_kind(&def.kind) {
                let shown = arg.ty.as_ref().map(GType::render).unwrap_or_default();
                return Err(GqlError::at_pos(
                    arg.pos,
                    format!(
                        "cannot use {shown} as argument {} because {} is not a valid input type",
                        arg.name, def.kind
                    ),
                ));
            }
            self.validate_directives(&arg.directives, "ARGUMENT_DEFINITION", current)?;
        }
        Ok(())
    }

    fn validate_directives(
        &self,
        dirs: &[Directive],
        location: &str,
        current: Option<&str>,
    ) -> GResult<()> {
        for dir in dirs {
            validate_name(dir.pos, &dir.name)?;
            if current == Some(dir.name.as_str()) {
                return Err(GqlError::at_pos(
                    dir.pos,
                    format!("Directive {} cannot refer to itself.", dir.name),
                ));
            }
            let Some(def) = self.directives.get(&dir.name) else {
                return Err(GqlError::at_pos(
                    dir.pos,
                    format!("Undefined directive {}.", dir.name),
                ));
            };
            if !def.locations.iter().any(|l| l == location) {
                return Err(GqlError::at_pos(
                    dir.pos,
                    format!("Directive {} is not applicable on {location}.", dir.name),
                ));
            }
            for arg in &dir.arguments {
                if !def.arguments.iter().any(|a| a.name == arg.name) {
                    return Err(GqlError::at_pos(
                        arg.pos,
                        format!(
                            "Undefined argument {} for directive {}.",
                            arg.name, dir.name
                        ),
                    ));
                }
            }
            for schema_arg in &def.arguments {
                let required = schema_arg.ty.as_ref().is_some_and(|t| t.non_null)
                    && schema_arg.default_value.is_none();
                if !required {
                    continue;
                }
                let given = dir.arguments.iter().find(|a| a.name == schema_arg.name);
                let missing = match given {
                    None => true,
                    Some(a) => match &a.value {
                        Some(v) => v.kind == 6,
                        None => return Err(GqlError::at_pos(a.pos, "missing Value")),
                    },
                };
                if missing {
                    return Err(GqlError::at_pos(
                        dir.pos,
                        format!(
                            "Argument {} for directive {} cannot be null.",
                            schema_arg.name, dir.name
                        ),
                    ));
                }
            }
        }
        Ok(())
    }

    fn validate_definition(&self, def: &Definition) -> GResult<()> {
        for field in &def.fields {
            validate_name(field.pos, &field.name)?;
            self.validate_type_ref(&field.ty)?;
            self.validate_args(&field.arguments, None)?;
            let location = if def.kind == "INPUT_OBJECT" {
                "INPUT_FIELD_DEFINITION"
            } else {
                "FIELD_DEFINITION"
            };
            self.validate_directives(&field.directives, location, None)?;
        }
        for t in &def.types {
            let Some(member) = self.types.get(t) else {
                return Err(GqlError::at_pos(
                    def.pos,
                    format!("Undefined type {}.", go_quote(t)),
                ));
            };
            if member.kind != "OBJECT" {
                return Err(GqlError::at_pos(
                    def.pos,
                    format!("{} type {} must be OBJECT.", def.kind, go_quote(t)),
                ));
            }
        }
        for intf in &def.interfaces {
            self.validate_implements(def, intf)?;
        }
        match def.kind.as_str() {
            "OBJECT" | "INTERFACE" => {
                if def.fields.is_empty() {
                    return Err(GqlError::at_pos(
                        def.pos,
                        format!("{} {}: must define one or more fields.", def.kind, def.name),
                    ));
                }
                for field in &def.fields {
                    let (_, name) = type_name_of(&field.ty)?;
                    if let Some(t) = self.types.get(name)
                        && !matches!(
                            t.kind.as_str(),
                            "SCALAR" | "OBJECT" | "INTERFACE" | "UNION" | "ENUM"
                        )
                    {
                        return Err(GqlError::at_pos(
                            field.pos,
                            format!(
                                "{} {}: field must be one of SCALAR, OBJECT, INTERFACE, UNION, ENUM.",
                                def.kind, def.name
                            ),
                        ));
                    }
                }
            }
            "ENUM" => {
                if def.enum_values.is_empty() {
                    return Err(GqlError::at_pos(
                        def.pos,
                        format!(
                            "{} {}: must define one or more unique enum values.",
                            def.kind, def.name
                        ),
                    ));
                }
                for value in &def.enum_values {
                    if matches!(value.name.as_str(), "true" | "false" | "null") {
                        return Err(GqlError::at_pos(
                            def.pos,
                            format!("{} {}: non-enum value {}.", def.kind, def.name, value.name),
                        ));
                    }
                    self.validate_directives(&value.directives, "ENUM_VALUE", None)?;
                }
            }
            "INPUT_OBJECT" => {
                if def.fields.is_empty() {
                    return Err(GqlError::at_pos(
                        def.pos,
                        format!(
                            "{} {}: must define one or more input fields.",
                            def.kind, def.name
                        ),
                    ));
                }
                for field in &def.fields {
                    let (_, name) = type_name_of(&field.ty)?;
                    if let Some(t) = self.types.get(name)
                        && !is_input_kind(&t.kind)
                    {
                        return Err(GqlError::at_pos(
                            field.pos,
                            format!(
                                "{} {}: field must be one of SCALAR, ENUM, INPUT_OBJECT.",
                                t.kind, field.name
                            ),
                        ));
                    }
                }
            }
            _ => {}
        }
        for (i, f1) in def.fields.iter().enumerate() {
            if let Some(f2) = def.fields.iter().skip(i + 1).find(|f2| f2.name == f1.name) {
                return Err(GqlError::at_pos(
                    f2.pos,
                    format!("Field {}.{} can only be defined once.", def.name, f2.name),
                ));
            }
        }
        if !def.built_in {
            validate_name(def.pos, &def.name)?;
        }
        self.validate_directives(&def.directives, &def.kind, None)
    }

    fn validate_implements(&self, def: &Definition, intf_name: &str) -> GResult<()> {
        let Some(intf) = self.types.get(intf_name) else {
            return Err(GqlError::at_pos(
                def.pos,
                format!("Undefined type {}.", go_quote(intf_name)),
            ));
        };
        if intf.kind != "INTERFACE" {
            return Err(GqlError::at_pos(
                def.pos,
                format!(
                    "{} is a non interface type {}.",
                    go_quote(intf_name),
                    intf.kind
                ),
            ));
        }
        for required in &intf.fields {
            let Some(found) = def.fields.iter().find(|f| f.name == required.name) else {
                return Err(GqlError::at_pos(
                    def.pos,
                    format!(
                        "For {} to implement {} it must have a field called {}.",
                        def.name, intf.name, required.name
                    ),
                ));
            };
            let (Some(rt), Some(ft)) = (&required.ty, &found.ty) else {
                return Err(GqlError::at_pos(found.pos, "missing Type"));
            };
            if !self.is_covariant(rt, ft, 0) {
                return Err(GqlError::at_pos(
                    found.pos,
                    format!(
                        "For {} to implement {} the field {} must have type {}.",
                        def.name,
                        intf.name,
                        required.name,
                        rt.render()
                    ),
                ));
            }
            for req_arg in &required.arguments {
                let Some(found_arg) = found.arguments.iter().find(|a| a.name == req_arg.name)
                else {
                    return Err(GqlError::at_pos(
                        found.pos,
                        format!(
                            "For {} to implement {} the field {} must have the same arguments but it is missing {}.",
                            def.name, intf.name, required.name, req_arg.name
                        ),
                    ));
                };
                let compatible = match (&req_arg.ty, &found_arg.ty) {
                    (Some(a), Some(b)) => a.is_compatible(b),
                    _ => false,
                };
                if !compatible {
                    return Err(GqlError::at_pos(
                        found_arg.pos,
                        format!(
                            "For {} to implement {} the field {} must have the same arguments but {} has the wrong type.",
                            def.name, intf.name, required.name, req_arg.name
                        ),
                    ));
                }
            }
            for extra in &found.arguments {
                let required_here =
                    extra.ty.as_ref().is_some_and(|t| t.non_null) && extra.default_value.is_none();
                if required_here && !required.arguments.iter().any(|a| a.name == extra.name) {
                    return Err(GqlError::at_pos(
                        extra.pos,
                        format!(
                            "For {} to implement {} any additional arguments on {} must be optional or have a default value but {} is required.",
                            def.name, intf.name, found.name, extra.name
                        ),
                    ));
                }
            }
        }
        for transitive in &intf.interfaces {
            if !def.interfaces.contains(transitive) {
                let msg = if *transitive == def.name {
                    format!(
                        "Type {} cannot implement {intf_name} because it would create a circular reference.",
                        def.name
                    )
                } else {
                    format!(
                        "Type {} must implement {transitive} because it is implemented by {intf_name}.",
                        def.name
                    )
                };
                return Err(GqlError::at_pos(def.pos, msg));
            }
        }
        Ok(())
    }

    fn is_covariant(&self, required: &GType, actual: &GType, depth: usize) -> bool {
        if depth > MAX_DEPTH || (required.non_null && !actual.non_null) {
            return false;
        }
        if !required.named.is_empty() {
            return required.named == actual.named
                || self
                    .possible
                    .get(&required.named)
                    .is_some_and(|p| p.contains(&actual.named));
        }
        match (&required.elem, &actual.elem) {
            (Some(r), Some(a)) => self.is_covariant(r, a, depth + 1),
            _ => false,
        }
    }
}

// ---------------------------------------------------------------------------
// Query validation: the spec's rules for executable documents, by
// apollo-compiler, against the schema validated above.

type AResult<T> = std::result::Result<T, String>;

/// An error message and its line and column, if it has them.
type Located = (String, Option<(usize, usize)>);

fn gql_name(s: &str) -> AResult<Name> {
    Name::new(s).map_err(|_| format!("Name {} is not a valid GraphQL name.", go_quote(s)))
}

/// `-?(0|[1-9][0-9]*)`, GraphQL's IntValue.
fn is_int_syntax(s: &str) -> bool {
    let digits = s.strip_prefix('-').unwrap_or(s).as_bytes();
    match digits {
        [b'0'] => true,
        [b'1'..=b'9', rest @ ..] => rest.iter().all(u8::is_ascii_digit),
        _ => false,
    }
}

/// GraphQL's FloatValue: an IntValue with a fraction, an exponent or both.
fn is_float_syntax(s: &str) -> bool {
    let (mantissa, exponent) = match s.split_once(['e', 'E']) {
        Some((m, e)) => (m, Some(e)),
        None => (s, None),
    };
    if let Some(e) = exponent {
        let e = e.strip_prefix(['+', '-']).unwrap_or(e);
        if e.is_empty() || !e.bytes().all(|b| b.is_ascii_digit()) {
            return false;
        }
    }
    match mantissa.split_once('.') {
        Some((int, frac)) => {
            is_int_syntax(int) && !frac.is_empty() && frac.bytes().all(|b| b.is_ascii_digit())
        }
        None => exponent.is_some() && is_int_syntax(mantissa),
    }
}

fn apollo_value(v: &GValue, depth: usize) -> AResult<Node<ast::Value>> {
    if depth > MAX_DEPTH {
        return Err(format!("value nested deeper than {MAX_DEPTH} levels"));
    }
    let child = |c: &ChildValue| -> AResult<Node<ast::Value>> {
        match &c.value {
            Some(v) => apollo_value(v, depth + 1),
            None => Err("missing Value".to_string()),
        }
    };
    let value = match v.kind {
        0 => ast::Value::Variable(gql_name(&v.raw)?),
        1 | 2 if is_int_syntax(&v.raw) => ast::Value::Int(ast::IntValue::new_parsed(&v.raw)),
        2 if is_float_syntax(&v.raw) => ast::Value::Float(ast::FloatValue::new_parsed(&v.raw)),
        1 => return Err(format!("Int cannot represent non-integer value: {}", v.raw)),
        2 => {
            return Err(format!(
                "Float cannot represent non numeric value: {}",
                v.raw
            ));
        }
        3 | 4 => ast::Value::String(v.raw.clone()),
        5 => ast::Value::Boolean(v.raw == "true"),
        6 => ast::Value::Null,
        7 => ast::Value::Enum(gql_name(&v.raw)?),
        8 => ast::Value::List(v.children.iter().map(child).collect::<AResult<_>>()?),
        9 => ast::Value::Object(
            v.children
                .iter()
                .map(|c| Ok((gql_name(&c.name)?, child(c)?)))
                .collect::<AResult<_>>()?,
        ),
        k => return Err(format!("unknown value kind {k}")),
    };
    Ok(Node::new(value))
}

fn apollo_type(t: &GType, depth: usize) -> AResult<ast::Type> {
    if depth > MAX_DEPTH {
        return Err(format!("type nested deeper than {MAX_DEPTH} levels"));
    }
    Ok(if !t.named.is_empty() {
        let n = gql_name(&t.named)?;
        if t.non_null {
            ast::Type::NonNullNamed(n)
        } else {
            ast::Type::Named(n)
        }
    } else {
        let elem = t.elem.as_deref().ok_or("missing Elem")?;
        let inner = Box::new(apollo_type(elem, depth + 1)?);
        if t.non_null {
            ast::Type::NonNullList(inner)
        } else {
            ast::Type::List(inner)
        }
    })
}

fn apollo_directives(dirs: &[Directive]) -> AResult<ast::DirectiveList> {
    Ok(ast::DirectiveList(
        dirs.iter()
            .map(|d| {
                Ok(Node::new(ast::Directive {
                    name: gql_name(&d.name)?,
                    arguments: apollo_arguments(&d.arguments)?,
                }))
            })
            .collect::<AResult<_>>()?,
    ))
}

fn apollo_arguments(args: &[Argument]) -> AResult<Vec<Node<ast::Argument>>> {
    args.iter()
        .map(|a| {
            let value = a.value.as_ref().ok_or("missing Value")?;
            Ok(Node::new(ast::Argument {
                name: gql_name(&a.name)?,
                value: apollo_value(value, 0)?,
            }))
        })
        .collect()
}

fn apollo_selections(set: &[Selection], depth: usize) -> AResult<Vec<ast::Selection>> {
    if depth > MAX_DEPTH {
        return Err(format!(
            "selection set nested deeper than {MAX_DEPTH} levels"
        ));
    }
    set.iter()
        .map(|s| {
            Ok(match s {
                Selection::Field(f) => ast::Selection::Field(Node::new(ast::Field {
                    // gqlparser sets Alias to Name when there is none.
                    alias: if f.alias.is_empty() || f.alias == f.name {
                        None
                    } else {
                        Some(gql_name(&f.alias)?)
                    },
                    name: gql_name(&f.name)?,
                    arguments: apollo_arguments(&f.arguments)?,
                    directives: apollo_directives(&f.directives)?,
                    selection_set: apollo_selections(&f.selection_set, depth + 1)?,
                })),
                Selection::Spread(f) => {
                    ast::Selection::FragmentSpread(Node::new(ast::FragmentSpread {
                        fragment_name: gql_name(&f.name)?,
                        directives: apollo_directives(&f.directives)?,
                    }))
                }
                Selection::Inline(f) => {
                    ast::Selection::InlineFragment(Node::new(ast::InlineFragment {
                        type_condition: if f.type_condition.is_empty() {
                            None
                        } else {
                            Some(gql_name(&f.type_condition)?)
                        },
                        directives: apollo_directives(&f.directives)?,
                        selection_set: apollo_selections(&f.selection_set, depth + 1)?,
                    }))
                }
            })
        })
        .collect()
}

fn operation_type(op: &str) -> AResult<ast::OperationType> {
    match op {
        "query" => Ok(ast::OperationType::Query),
        "mutation" => Ok(ast::OperationType::Mutation),
        "subscription" => Ok(ast::OperationType::Subscription),
        other => Err(format!("unknown operation type {}", go_quote(other))),
    }
}

/// A query built from its AST, for when it came as an object or its text is
/// not one apollo-compiler's parser takes (no source locations then).
fn apollo_query(doc: &QueryDocument) -> AResult<ast::Document> {
    let mut out = ast::Document::new();
    for op in &doc.operations {
        let variables = op
            .variable_definitions
            .iter()
            .map(|v| {
                let ty = v.ty.as_ref().ok_or("missing Type")?;
                Ok(Node::new(ast::VariableDefinition {
                    name: gql_name(&v.variable)?,
                    ty: Node::new(apollo_type(ty, 0)?),
                    default_value: v
                        .default_value
                        .as_ref()
                        .map(|d| apollo_value(d, 0))
                        .transpose()?,
                    directives: apollo_directives(&v.directives)?,
                }))
            })
            .collect::<AResult<_>>()?;
        out.definitions
            .push(ast::Definition::OperationDefinition(Node::new(
                ast::OperationDefinition {
                    operation_type: operation_type(&op.operation)?,
                    name: if op.name.is_empty() {
                        None
                    } else {
                        Some(gql_name(&op.name)?)
                    },
                    variables,
                    directives: apollo_directives(&op.directives)?,
                    selection_set: apollo_selections(&op.selection_set, 0)?,
                },
            )));
    }
    for f in &doc.fragments {
        out.definitions
            .push(ast::Definition::FragmentDefinition(Node::new(
                ast::FragmentDefinition {
                    name: gql_name(&f.name)?,
                    type_condition: gql_name(&f.type_condition)?,
                    directives: apollo_directives(&f.directives)?,
                    selection_set: apollo_selections(&f.selection_set, 0)?,
                },
            )));
    }
    Ok(out)
}

fn apollo_input_values(args: &[FieldDefinition]) -> AResult<Vec<Node<ast::InputValueDefinition>>> {
    args.iter()
        .map(|a| {
            let ty = a.ty.as_ref().ok_or("missing Type")?;
            Ok(Node::new(ast::InputValueDefinition {
                description: None,
                name: gql_name(&a.name)?,
                ty: Node::new(apollo_type(ty, 0)?),
                default_value: a
                    .default_value
                    .as_ref()
                    .map(|d| apollo_value(d, 0))
                    .transpose()?,
                directives: ast::DirectiveList::default(),
            }))
        })
        .collect()
}

fn apollo_location(l: &str) -> Option<ast::DirectiveLocation> {
    use ast::DirectiveLocation as L;
    Some(match l {
        "QUERY" => L::Query,
        "MUTATION" => L::Mutation,
        "SUBSCRIPTION" => L::Subscription,
        "FIELD" => L::Field,
        "FRAGMENT_DEFINITION" => L::FragmentDefinition,
        "FRAGMENT_SPREAD" => L::FragmentSpread,
        "INLINE_FRAGMENT" => L::InlineFragment,
        "VARIABLE_DEFINITION" => L::VariableDefinition,
        "SCHEMA" => L::Schema,
        "SCALAR" => L::Scalar,
        "OBJECT" => L::Object,
        "FIELD_DEFINITION" => L::FieldDefinition,
        "ARGUMENT_DEFINITION" => L::ArgumentDefinition,
        "INTERFACE" => L::Interface,
        "UNION" => L::Union,
        "ENUM" => L::Enum,
        "ENUM_VALUE" => L::EnumValue,
        "INPUT_OBJECT" => L::InputObject,
        "INPUT_FIELD_DEFINITION" => L::InputFieldDefinition,
        _ => return None,
    })
}

/// OPA's rewording of gqlparser's validation error list (`input:L:C: msg`
/// lines): the text after the first location, less the final ".\n".
fn opa_validation_message(errors: &[Located]) -> String {
    let mut text = String::new();
    for (msg, loc) in errors {
        match loc {
            Some((l, c)) => text.push_str(&format!("input:{l}:{c}: {msg}\n")),
            None => text.push_str(&format!("input: {msg}\n")),
        }
    }
    let parts: Vec<&str> = text.splitn(4, ':').collect();
    match parts.as_slice() {
        [_, line, col, rest] if line.parse::<i64>().is_ok() => {
            let msg = rest.trim_start_matches(' ');
            let msg = msg.strip_suffix(".\n").unwrap_or(msg);
            format!("{msg} in GraphQL query string at location {line}:{col}")
        }
        _ => {
            let msg = text.strip_prefix("input: ").unwrap_or(&text);
            let msg = msg.strip_suffix(".\n").unwrap_or(msg);
            format!("{} in GraphQL query string", msg.trim_end())
        }
    }
}

impl Merged {
    /// The schema as apollo-compiler's, taken as valid: it passed
    /// gqlparser's checks, which are what count here.
    fn apollo_schema(&self) -> AResult<Valid<apollo_compiler::Schema>> {
        let mut doc = ast::Document::new();
        for def in self.types.values().filter(|d| !d.built_in) {
            let name = gql_name(&def.name)?;
            let no_dirs = ast::DirectiveList::default;
            let fields = || -> AResult<Vec<Node<ast::FieldDefinition>>> {
                def.fields
                    .iter()
                    .map(|f| {
                        let ty = f.ty.as_ref().ok_or("missing Type")?;
                        Ok(Node::new(ast::FieldDefinition {
                            description: None,
                            name: gql_name(&f.name)?,
                            arguments: apollo_input_values(&f.arguments)?,
                            ty: apollo_type(ty, 0)?,
                            directives: no_dirs(),
                        }))
                    })
                    .collect()
            };
            let names = |list: &[String]| {
                list.iter()
                    .map(|n| gql_name(n))
                    .collect::<AResult<Vec<_>>>()
            };
            let d = match def.kind.as_str() {
                "SCALAR" => {
                    ast::Definition::ScalarTypeDefinition(Node::new(ast::ScalarTypeDefinition {
                        description: None,
                        name,
                        directives: no_dirs(),
                    }))
                }
                "OBJECT" => {
                    ast::Definition::ObjectTypeDefinition(Node::new(ast::ObjectTypeDefinition {
                        description: None,
                        name,
                        implements_interfaces: names(&def.interfaces)?,
                        directives: no_dirs(),
                        fields: fields()?,
                    }))
                }
                "INTERFACE" => ast::Definition::InterfaceTypeDefinition(Node::new(
                    ast::InterfaceTypeDefinition {
                        description: None,
                        name,
                        implements_interfaces: names(&def.interfaces)?,
                        directives: no_dirs(),
                        fields: fields()?,
                    },
                )),
                "UNION" => {
                    ast::Definition::UnionTypeDefinition(Node::new(ast::UnionTypeDefinition {
                        description: None,
                        name,
                        directives: no_dirs(),
                        members: names(&def.types)?,
                    }))
                }
                "ENUM" => ast::Definition::EnumTypeDefinition(Node::new(ast::EnumTypeDefinition {
                    description: None,
                    name,
                    directives: no_dirs(),
                    values: def
                        .enum_values
                        .iter()
                        .map(|v| {
                            Ok(Node::new(ast::EnumValueDefinition {
                                description: None,
                                value: gql_name(&v.name)?,
                                directives: no_dirs(),
                            }))
                        })
                        .collect::<AResult<_>>()?,
                })),
                "INPUT_OBJECT" => ast::Definition::InputObjectTypeDefinition(Node::new(
                    ast::InputObjectTypeDefinition {
                        description: None,
                        name,
                        directives: no_dirs(),
                        fields: apollo_input_values(&def.fields)?,
                    },
                )),
                // A kind only an AST object can give: no type to validate against.
                _ => continue,
            };
            doc.definitions.push(d);
        }
        for dir in self.directives.values() {
            // apollo-compiler has the other built-in directives itself.
            if dir.built_in && dir.name != "defer" {
                continue;
            }
            doc.definitions
                .push(ast::Definition::DirectiveDefinition(Node::new(
                    ast::DirectiveDefinition {
                        description: None,
                        name: gql_name(&dir.name)?,
                        arguments: apollo_input_values(&dir.arguments)?,
                        repeatable: dir.is_repeatable,
                        locations: dir
                            .locations
                            .iter()
                            .filter_map(|l| apollo_location(l))
                            .collect(),
                    },
                )));
        }
        let roots: Vec<Node<(ast::OperationType, Name)>> = [
            (ast::OperationType::Query, &self.query),
            (ast::OperationType::Mutation, &self.mutation),
            (ast::OperationType::Subscription, &self.subscription),
        ]
        .into_iter()
        .filter_map(|(op, ty)| ty.as_ref().map(|t| (op, t)))
        .map(|(op, t)| Ok(Node::new((op, gql_name(t)?))))
        .collect::<AResult<_>>()?;
        if !roots.is_empty() {
            doc.definitions
                .push(ast::Definition::SchemaDefinition(Node::new(
                    ast::SchemaDefinition {
                        description: None,
                        directives: ast::DirectiveList::default(),
                        root_operations: roots,
                    },
                )));
        }
        let schema = match apollo_compiler::Schema::builder().add_ast(&doc).build() {
            Ok(s) => s,
            Err(partial) => partial.partial,
        };
        Ok(Valid::assume_valid(schema))
    }

    /// Validates `query` (given as `source` text, if it was) against this
    /// schema; the error is as OPA's `graphql.parse` words it.
    fn validate_query(&self, query: &QueryDocument, source: Option<&str>) -> AResult<()> {
        let run = || -> AResult<Vec<Located>> {
            // gqlparser takes a document with no definitions; apollo's
            // parser would not.
            if query.operations.is_empty() && query.fragments.is_empty() {
                return Ok(Vec::new());
            }
            let schema = self.apollo_schema()?;
            // Parsed from the text where apollo's parser takes it, so the
            // errors carry the text's lines and columns.
            let doc = match source.map(|s| ast::Document::parse(s, "query.graphql")) {
                Some(Ok(doc)) => doc,
                _ => apollo_query(query)?,
            };
            Ok(match doc.to_executable_validate(&schema) {
                Ok(_) => Vec::new(),
                Err(e) => e
                    .errors
                    .iter()
                    .map(|d| {
                        let json = d.unstable_to_json_compat();
                        let loc = json.locations.first().map(|l| (l.line, l.column));
                        (json.message, loc)
                    })
                    .collect(),
            })
        };
        // A panic inside apollo-compiler on some odd schema must not take
        // the evaluation down: it counts as an invalid query.
        let errors = std::panic::catch_unwind(std::panic::AssertUnwindSafe(run))
            .map_err(|_| "GraphQL validation failed".to_string())?
            .map_err(|msg| opa_validation_message(&[(msg, None)]))?;
        if errors.is_empty() {
            Ok(())
        } else {
            Err(opa_validation_message(&errors))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(v: &str) -> Value {
        Value::from(v)
    }

    fn json(v: &str) -> Value {
        Value::from_json_str(v).unwrap()
    }

    /// Shapes from OPA's own cases (`test-graphql-parse-query.yaml`,
    /// `test-graphql-parse-schema.yaml`).
    #[test]
    fn ast_shapes_as_opa() {
        let q = call("graphql.parse_query", &[s("{ f(id: [1,2]) }")]).unwrap();
        let want = json(
            r#"{"Operations": [{"Name": "", "Operation": "query", "SelectionSet": [{"Alias": "f",
            "Arguments": [{"Name": "id", "Value": {"Children": [
              {"Name": "", "Value": {"ExpectedTypeHasDefault": false, "Kind": 1, "Raw": "1"}},
              {"Name": "", "Value": {"ExpectedTypeHasDefault": false, "Kind": 1, "Raw": "2"}}],
              "ExpectedTypeHasDefault": false, "Kind": 8, "Raw": ""}}], "Name": "f"}]}]}"#,
        );
        assert_eq!(q, want);
        let q = call(
            "graphql.parse_query",
            &[s(r#"{ f(long: """long""", short: "short") }"#)],
        )
        .unwrap();
        let args = &q["Operations"][0]["SelectionSet"][0]["Arguments"];
        assert_eq!(args[0]["Value"]["Kind"], Value::from(4));
        assert_eq!(args[1]["Value"]["Kind"], Value::from(3));
        let schema = call(
            "graphql.parse_schema",
            &[s("type Hello {\n  world(flag: Boolean = true): String\n}")],
        )
        .unwrap();
        let want = json(
            r#"{"Definitions": [{"BuiltIn": false, "Description": "", "Fields": [{"Arguments": [
              {"DefaultValue": {"ExpectedTypeHasDefault": false, "Kind": 5, "Raw": "true"},
               "Description": "", "Name": "flag", "Type": {"NamedType": "Boolean", "NonNull": false}}],
              "Description": "", "Name": "world", "Type": {"NamedType": "String", "NonNull": false}}],
              "Kind": "OBJECT", "Name": "Hello"}]}"#,
        );
        assert_eq!(schema, want);
    }

    /// Parse errors word and place as gqlparser's, reworded as OPA does.
    #[test]
    fn parse_errors_as_opa() {
        let err = |name: &str, text: &str| call(name, &[s(text)]).unwrap_err().to_string();
        assert_eq!(
            err("graphql.parse_query", "{"),
            "graphql.parse_query: Expected Name, found <EOF> in GraphQL string at location 1:2"
        );
        assert_eq!(
            err(
                "graphql.parse_query",
                "\n  { ...MissingOn }\n  fragment MissingOn Type\n"
            ),
            "graphql.parse_query: Expected \"on\", found Name \"Type\" in GraphQL string at location 3:22"
        );
        assert_eq!(
            err("graphql.parse_query", "{...{__typename{...{}}}}"),
            "graphql.parse_query: expected at least one definition, found } in GraphQL string at location 1:21"
        );
        assert_eq!(
            err(
                "graphql.parse_schema",
                "\n  \"Description\"\n  extend type Hello {\n    world: String\n  }\n"
            ),
            "graphql.parse_schema: Unexpected String \"Description\" in GraphQL string at location 2:4"
        );
        assert_eq!(
            err("graphql.parse_schema", "extend type Hello"),
            "graphql.parse_schema: Unexpected <EOF> in GraphQL string at location 1:18"
        );
        let err = call("graphql.parse_query", &[Value::from(1)]).unwrap_err();
        assert_eq!(
            err.to_string(),
            "graphql.parse_query: operand 1 must be string but got number"
        );
    }

    #[test]
    fn validity_as_gqlparser() {
        let valid = |q: &str, sc: &str| {
            call("graphql.is_valid", &[s(q), s(sc)]).unwrap() == Value::from(true)
        };
        let schema_valid =
            |sc: &str| call("graphql.schema_is_valid", &[s(sc)]).unwrap() == Value::from(true);
        // Extending types that were never defined is allowed.
        let ext = "extend type User { id: ID! }\nunion E = User\nextend type Query { e: E }";
        assert!(schema_valid(ext));
        assert!(valid("{ e { ... on User { id } } }", ext));
        assert!(!valid("{ e { ... on User { nope } } }", ext));
        // No query root is needed; an empty query is valid.
        assert!(valid("", "enum E { A @deprecated }"));
        assert!(!schema_valid("type Hello {}"));
        assert!(!schema_valid("type Hello implements World { f: String }"));
        assert!(!schema_valid("union U = Missing"));
        assert!(!schema_valid("type __Bad { f: String }"));
        let sch = "type Query { bar(a: Int!): String! }";
        assert!(valid("query Q($x: Int!) { bar(a: $x) }", sch));
        assert!(!valid("query Q($x: Int!) { bar(a: 1) }", sch));
        assert!(!valid("{ bar }", sch));
        assert!(!valid("mutation { bar(a: 1) }", sch));
        // The spec's executable rules, as gqlparser has them.
        let sch = "type Query { bar(a: Int!): String! hero: Hero }\ntype Hero { name: String }\ntype Subscription { a: Int b: Int }";
        assert!(valid("{ __schema { types { name } } __typename }", sch));
        assert!(valid("{ hero { ... @defer { name } } }", sch));
        assert!(valid(
            "query ($s: Boolean!) { hero @skip(if: $s) { name } }",
            sch
        ));
        assert!(!valid("{ hero }", sch));
        assert!(!valid("{ hero { name @nope } }", sch));
        assert!(!valid("subscription { a b }", sch));
        assert!(!valid("{ hero { name } } fragment F on Hero { name }", sch));
        assert!(!valid("query ($u: Int) { hero { name } }", sch));
        assert_eq!(
            call("graphql.is_valid", &[Value::from(1), s(sch)]).unwrap(),
            Value::from(false)
        );
    }

    #[test]
    fn parse_reports_validation_errors_as_opa() {
        let schema = "\n  extend type Query {\n      myAction(myEnum: Locale!): SomeResult!\n  }\n  type SomeResult {\n      id: String\n  }\n  enum Locale {\n      EN\n  }\n";
        let query = "\n  query SomeOperation {\n    # Note: no argument\n    myAction {\n      id\n    }\n  }\n";
        let err = call("graphql.parse", &[s(query), s(schema)])
            .unwrap_err()
            .to_string();
        assert_eq!(
            err,
            "graphql.parse: Field \"myAction\" argument \"myEnum\" of type \"Locale!\" is required, but it was not provided in GraphQL query string at location 4:5"
        );
        let verified = call("graphql.parse_and_verify", &[s(query), s(schema)]).unwrap();
        assert_eq!(verified[0], Value::from(false));
    }

    /// AST objects are read back and validated like text.
    #[test]
    fn ast_objects_round_trip() {
        let schema = call(
            "graphql.parse_schema",
            &[s("type Employee { id: String! salary: Int! }\nschema { query: Query }\ntype Query { employeeByID(id: String): Employee }")],
        )
        .unwrap();
        let query = call(
            "graphql.parse_query",
            &[s(r#"query { employeeByID(id: "alice") { salary }}"#)],
        )
        .unwrap();
        let out = call("graphql.parse", &[query.clone(), schema.clone()]).unwrap();
        assert_eq!(out, Value::from(vec![query.clone(), schema.clone()]));
        assert_eq!(
            call("graphql.is_valid", &[query, schema.clone()]).unwrap(),
            Value::from(true)
        );
        let bad = json(
            r#"{"Operations": [{"Operation": "query", "SelectionSet": [{"Alias": "x", "Name": "x"}]}]}"#,
        );
        assert_eq!(
            call("graphql.is_valid", &[bad, schema]).unwrap(),
            Value::from(false)
        );
    }

    /// Deep nesting is refused, not a stack overflow; odd input never panics.
    #[test]
    fn bounded_and_total() {
        let deep = format!("{}{}", "{a".repeat(5000), "}".repeat(5000));
        assert!(call("graphql.parse_query", &[s(&deep)]).is_err());
        let list = format!("{{ f(a: {}1{}) }}", "[".repeat(5000), "]".repeat(5000));
        assert!(call("graphql.parse_query", &[s(&list)]).is_err());
        for text in [
            "\"\\u12",
            "\"\\uZZZZ\"",
            "\"ਊ\\",
            "\u{feff}{a}",
            "'x'",
            "{ a(b: 01) }",
            "\"\"\"ab",
            "{ a(b: 1e) }",
            "#c\n{a}#d",
            "{ a(b: \"\\ਊ\") }",
            "query ($a: [[Int!]!]) { a }",
        ] {
            let _ = call("graphql.parse_query", &[s(text)]);
            let _ = call("graphql.parse_schema", &[s(text)]);
            let _ = call("graphql.is_valid", &[s(text), s(text)]);
        }
        let odd = json(
            r#"{"Operations": [{"Operation": "query", "SelectionSet": [null, 3, {"Name": 4}]}],
            "Definitions": [{"Kind": "OBJECT", "Name": "Query", "Fields": [{"Name": "a"}]}]}"#,
        );
        let _ = call("graphql.parse", &[odd.clone(), odd.clone()]);
        let _ = call("graphql.schema_is_valid", &[odd]);
    }

    #[test]
    fn comments_attach_as_gqlparser() {
        let q = call("graphql.parse_query", &[s("# one\n# two\n{ a }")]).unwrap();
        assert_eq!(
            q["Operations"][0]["Comment"],
            json(r##"{"List": [{"Value": "# one"}, {"Value": "# two"}]}"##)
        );
    }
}
