//! OPA builtins on text that regorus 0.14.1 lacks, registered as Gavel
//! extensions:
//!
//! - `strings.render_template(template, vars)`: Go's `text/template`
//!   executed on `vars` with the option `missingkey=error`, as OPA's
//!   `v1/topdown/template.go` does: a missing key is an error (OPA's PR
//!   #8128, early 2026, drops the option: newer releases print the key as
//!   `<undefined>`; the case files Gavel runs expect the error). OPA hands the
//!   template `vars` decoded from their Rego text with `UseNumber`: objects
//!   become `map[string]any`, arrays `[]any`, numbers `json.Number`, which
//!   Go treats as a string (printed as written, compared as text, `.n.Int64`
//!   to get an integer), and a set or a non-string key is a JSON syntax
//!   error. Implemented here: the lexer and parser of `text/template/parse`
//!   and the evaluation of `text/template` (fields, variables, pipelines,
//!   `if`/`with`/`range`/`define`/`template`/`block`, `break`/`continue`,
//!   the builtin functions), with Go's `fmt` printing of those values
//!   (`map[k:v]`, `[a b]`, `%!d(json.Number=5)`, floats as `%g`).
//!   The crate `gtmpl` was not used: it is only passively maintained, has
//!   no `missingkey` option, no `json.Number` semantics and no bound on its
//!   output.
//! - `regex.globs_match(glob1, glob2)`: whether two regex-globs (`.`, `+`,
//!   `*`, classes `[a-z]`, `\` escapes) match a common non-empty string,
//!   answered as OPA answers it, by the algorithm of
//!   `github.com/yashtewari/glob-intersection`: tokenize, merge repeated
//!   flagged tokens, trim equal ends, then match token by token, letting a
//!   flagged token swallow tokens of the other glob.
//!
//! Hostile input is bounded: a template's output (and any string a
//! function builds), its evaluation steps and its nesting; a glob pair's
//! search steps and its flagged tokens. Past a bound the builtin fails with
//! an error naming it. Recursion runs on `stacker`'s extra stack segments
//! when the caller's stack runs low.

use regorus::Value;

use crate::engine::extra_builtins::{string_operand, type_name};

/// Each builtin's name and number of arguments.
pub const BUILTINS: &[(&str, u8)] = &[("regex.globs_match", 2), ("strings.render_template", 2)];

/// Answers one call of the builtin `name` (registered by extra_builtins.rs).
pub(crate) fn call(name: &str, args: &[Value]) -> anyhow::Result<Value> {
    match name {
        "strings.render_template" => {
            let text = string_operand(name, args, 0)?;
            let vars = match args.get(1) {
                Some(v @ Value::Object(_)) => v,
                other => anyhow::bail!(
                    "{name}: operand 2 must be object but got {}",
                    other.map_or("undefined", type_name)
                ),
            };
            let out = template::render(text, vars).map_err(|e| anyhow::anyhow!("{name}: {e}"))?;
            Ok(Value::from(out))
        }
        "regex.globs_match" => {
            let a = string_operand(name, args, 0)?;
            let b = string_operand(name, args, 1)?;
            let m = glob::non_empty(a, b).map_err(|e| anyhow::anyhow!("{name}: {e}"))?;
            Ok(Value::from(m))
        }
        _ => anyhow::bail!("{name}: not a Gavel builtin"),
    }
}

/// Runs `f` on a fresh stack segment when little of this one is left:
/// templates, data and globs nest, and regorus may call in from deep down
/// a small thread stack. The bounds below keep the total finite.
fn deep<T>(f: impl FnOnce() -> T) -> T {
    stacker::maybe_grow(128 << 10, 2 << 20, f)
}

/// Go's `text/template`, on the values OPA hands it.
mod template {
    use std::collections::{BTreeMap, HashMap};
    use std::fmt::Write as _;
    use std::rc::Rc;

    use regorus::Value;

    use super::deep;

    /// The longest output, and the longest string a function may build
    /// (a Gavel bound; Go has none).
    const MAX_OUTPUT: usize = 4 << 20;
    /// Nodes walked and loop iterations one rendering may take.
    const MAX_STEPS: u64 = 5_000_000;
    /// Nesting of control structures and parentheses, and depth of
    /// `{{template}}` calls: each is recursion here.
    const MAX_NESTING: usize = 100;
    /// Nesting of the data handed in.
    const MAX_VALUE_DEPTH: usize = 512;
    /// Go's `fmt` refuses widths and precisions past this.
    const MAX_FMT_NUM: usize = 1_000_000;
    /// The name OPA gives the template.
    const MAIN: &str = "template";

    type R<T> = std::result::Result<T, String>;

    pub(super) fn render(text: &str, vars: &Value) -> R<String> {
        // As OPA: the data first, then the parse, then the execution.
        let data = from_rego(vars, 0)?;
        let trees = Parser::new(text).parse()?;
        let mut state = State {
            src: text,
            trees: &trees,
            vars: vec![("$".to_string(), data.clone())],
            out: String::new(),
            steps: 0,
            depth: 0,
            name: MAIN.to_string(),
        };
        let root = trees.get(MAIN).map_or(&[][..], |t| t.as_slice());
        state.walk(&data, root)?;
        Ok(state.out)
    }

    // ---- Values ----------------------------------------------------------

    /// A Go value as the template sees it.
    #[derive(Clone, Debug)]
    enum Tv {
        /// A nil interface (JSON null, a missing `index` entry).
        Nil,
        Bool(bool),
        /// An `int`: template constants, `len`, range indices.
        Int(i64),
        /// A `float64` template constant.
        Float(f64),
        Str(Rc<str>),
        /// A `json.Number`: a string to Go, printed as its text.
        Num(Rc<str>),
        List(Rc<Vec<Tv>>),
        Map(Rc<BTreeMap<String, Tv>>),
    }

    impl Tv {
        fn type_name(&self) -> &'static str {
            match self {
                Tv::Nil => "<nil>",
                Tv::Bool(_) => "bool",
                Tv::Int(_) => "int",
                Tv::Float(_) => "float64",
                Tv::Str(_) => "string",
                Tv::Num(_) => "json.Number",
                Tv::List(_) => "[]interface {}",
                Tv::Map(_) => "map[string]interface {}",
            }
        }

        /// A string to Go's `reflect` (what `fmt.Sprint` and `eq` go by).
        fn text(&self) -> Option<&str> {
            match self {
                Tv::Str(s) | Tv::Num(s) => Some(s),
                _ => None,
            }
        }
    }

    /// `vars` as OPA's `ast.As` decodes them: from the value's Rego text,
    /// which is JSON except for sets, non-string keys and strings Go quotes
    /// with escapes JSON lacks. Those fail as Go's decoder fails on them.
    fn from_rego(v: &Value, depth: usize) -> R<Tv> {
        if depth > MAX_VALUE_DEPTH {
            return Err("exceeded max depth".to_string());
        }
        Ok(match v {
            Value::Null => Tv::Nil,
            Value::Bool(b) => Tv::Bool(*b),
            Value::Number(n) => Tv::Num(n.format_decimal().into()),
            Value::String(s) => {
                go_quotable(s)?;
                Tv::Str(Rc::from(&**s))
            }
            Value::Array(items) => Tv::List(Rc::new(
                items
                    .iter()
                    .map(|x| deep(|| from_rego(x, depth + 1)))
                    .collect::<R<Vec<_>>>()?,
            )),
            Value::Set(items) => {
                // `{a, b}` read as an object: its first element is a key.
                let mut it = items.iter();
                return Err(match it.next() {
                    None => "invalid character 's' looking for beginning of value".to_string(),
                    Some(Value::String(_)) => format!(
                        "invalid character '{}' after object key",
                        if it.next().is_some() { ',' } else { '}' }
                    ),
                    Some(first) => key_error(first),
                });
            }
            Value::Object(fields) => {
                let mut map = BTreeMap::new();
                for (k, x) in fields.iter() {
                    let Value::String(k) = k else {
                        return Err(key_error(k));
                    };
                    go_quotable(k)?;
                    map.insert(k.to_string(), deep(|| from_rego(x, depth + 1))?);
                }
                Tv::Map(Rc::new(map))
            }
            Value::Undefined => return Err("undefined value".to_string()),
        })
    }

    fn key_error(key: &Value) -> String {
        let first = match key {
            Value::Null => 'n',
            Value::Bool(true) => 't',
            Value::Bool(false) => 'f',
            Value::Number(n) => n.format_decimal().chars().next().unwrap_or('0'),
            Value::Array(_) => '[',
            Value::Set(s) if s.is_empty() => 's',
            _ => '{',
        };
        format!("invalid character '{first}' looking for beginning of object key string")
    }

    /// Go's `strconv.Quote` writes some characters with escapes JSON has
    /// not (`\a`, `\v`, `\x..`, `\U........`): OPA's decoding then fails.
    fn go_quotable(s: &str) -> R<()> {
        for c in s.chars() {
            let escape = match c {
                '\u{7}' => 'a',
                '\u{b}' => 'v',
                '\u{8}' | '\t' | '\n' | '\u{c}' | '\r' => continue,
                c if c < ' ' || c == '\u{7f}' => 'x',
                c if u32::from(c) > 0xFFFF && !go_printable(c) => 'U',
                _ => continue,
            };
            return Err(format!(
                "invalid character '{escape}' in string escape code"
            ));
        }
        Ok(())
    }

    // ---- Lexer (text/template/parse/lex.go) ------------------------------

    #[derive(Clone, Copy, PartialEq, Eq, Debug)]
    enum K {
        Text,
        LeftDelim,
        RightDelim,
        Space,
        Field,
        Variable,
        Ident,
        Dot,
        Nil,
        Bool,
        Number,
        CharConst,
        Str,
        RawStr,
        LParen,
        RParen,
        Pipe,
        Assign,
        Declare,
        Char,
        Eof,
        Error,
        Block,
        Break,
        Continue,
        Define,
        Else,
        End,
        If,
        Range,
        Template,
        With,
    }

    #[derive(Clone, Debug)]
    struct Item {
        k: K,
        val: String,
        pos: usize,
    }

    impl Item {
        /// As Go's `item.String`, for "unexpected ..." errors.
        fn show(&self) -> String {
            use K::*;
            match self.k {
                Eof => "EOF".to_string(),
                Error => self.val.clone(),
                Block | Break | Continue | Dot | Define | Else | End | If | Nil | Range
                | Template | With => format!("<{}>", self.val),
                _ if self.val.chars().count() > 10 => {
                    let head: String = self.val.chars().take(10).collect();
                    format!("{}...", go_quote(&head, false))
                }
                _ => go_quote(&self.val, false),
            }
        }
    }

    fn is_space(c: char) -> bool {
        matches!(c, ' ' | '\t' | '\r' | '\n')
    }

    fn is_alnum(c: char) -> bool {
        c == '_' || c.is_alphanumeric()
    }

    fn at(src: &str, p: usize) -> &str {
        src.get(p..).unwrap_or("")
    }

    /// A closing delimiter at `p`: its length, and whether it trims the
    /// text after it (` -}}`).
    fn right_delim(src: &str, p: usize) -> Option<(usize, bool)> {
        let rest = at(src, p);
        if rest.starts_with(is_space) && at(rest, 1).starts_with("-}}") {
            return Some((4, true));
        }
        rest.starts_with("}}").then_some((2, false))
    }

    fn lex(src: &str) -> Vec<Item> {
        let mut lx = Lexer {
            src,
            items: Vec::new(),
        };
        lx.run();
        lx.items
    }

    struct Lexer<'a> {
        src: &'a str,
        items: Vec<Item>,
    }

    impl Lexer<'_> {
        fn emit(&mut self, k: K, start: usize, end: usize) {
            let val = self.src.get(start..end).unwrap_or("").to_string();
            self.items.push(Item { k, val, pos: start });
        }

        fn fail(&mut self, pos: usize, msg: impl Into<String>) {
            self.items.push(Item {
                k: K::Error,
                val: msg.into(),
                pos,
            });
        }

        fn run(&mut self) {
            let src = self.src;
            let mut pos = 0;
            let mut trim_next = false;
            loop {
                let open = at(src, pos).find("{{").map(|i| pos + i);
                let mut start = pos;
                let mut end = open.unwrap_or(src.len());
                if trim_next {
                    while start < end && at(src, start).starts_with(is_space) {
                        start += 1;
                    }
                }
                // `{{- ` trims the text before it.
                let left_trim = open.is_some_and(|o| {
                    let rest = at(src, o + 2);
                    rest.starts_with('-') && at(rest, 1).starts_with(is_space)
                });
                if left_trim {
                    while end > start && src.get(..end).is_some_and(|t| t.ends_with(is_space)) {
                        end -= 1;
                    }
                }
                if end > start {
                    self.emit(K::Text, start, end);
                }
                let Some(open) = open else {
                    self.emit(K::Eof, src.len(), src.len());
                    return;
                };
                let p = open + if left_trim { 4 } else { 2 };
                if at(src, p).starts_with("/*") {
                    let Some(close) = at(src, p + 2).find("*/") else {
                        return self.fail(open, "unclosed comment");
                    };
                    let after = p + 2 + close + 2;
                    let Some((n, trim)) = right_delim(src, after) else {
                        return self.fail(open, "comment ends before closing delimiter");
                    };
                    pos = after + n;
                    trim_next = trim;
                    continue;
                }
                self.emit(K::LeftDelim, open, open + 2);
                match self.action(p) {
                    Some((next, trim)) => {
                        pos = next;
                        trim_next = trim;
                    }
                    None => return,
                }
            }
        }

        fn at_terminator(&self, p: usize) -> bool {
            let rest = at(self.src, p);
            match rest.chars().next() {
                None => true,
                Some(c) => {
                    is_space(c)
                        || matches!(c, '.' | ',' | '|' | ':' | ')' | '(')
                        || rest.starts_with("}}")
                }
            }
        }

        fn scan_alnum(&self, mut p: usize) -> usize {
            while let Some(c) = at(self.src, p).chars().next().filter(|&c| is_alnum(c)) {
                p += c.len_utf8();
            }
            p
        }

        /// A word must end at a terminator; if not, the error Go gives.
        fn terminated(&mut self, p: usize) -> bool {
            if self.at_terminator(p) {
                return true;
            }
            let c = at(self.src, p).chars().next().unwrap_or(' ');
            self.fail(p, format!("bad character {}", go_rune(c)));
            false
        }

        /// Inside `{{ }}` from `p`: the position after the closing
        /// delimiter and whether it trims, or None after an error item.
        fn action(&mut self, mut p: usize) -> Option<(usize, bool)> {
            let src = self.src;
            let mut parens = 0usize;
            loop {
                if let Some((n, trim)) = right_delim(src, p) {
                    if parens > 0 {
                        self.fail(p, "unclosed left paren");
                        return None;
                    }
                    self.emit(K::RightDelim, p, p + n);
                    return Some((p + n, trim));
                }
                let rest = at(src, p);
                let Some(c) = rest.chars().next() else {
                    self.fail(p, "unclosed action");
                    return None;
                };
                let start = p;
                match c {
                    c if is_space(c) => {
                        while at(src, p).starts_with(is_space) {
                            p += 1;
                        }
                        // The space of ` -}}` belongs to the delimiter.
                        if at(src, p).starts_with("-}}") {
                            p -= 1;
                        }
                        if p > start {
                            self.emit(K::Space, start, p);
                        }
                    }
                    '=' => {
                        p += 1;
                        self.emit(K::Assign, start, p);
                    }
                    ':' => {
                        if !rest.starts_with(":=") {
                            self.fail(p, "expected :=");
                            return None;
                        }
                        p += 2;
                        self.emit(K::Declare, start, p);
                    }
                    '|' => {
                        p += 1;
                        self.emit(K::Pipe, start, p);
                    }
                    '"' | '\'' => {
                        let (kind, what) = if c == '"' {
                            (K::Str, "unterminated quoted string")
                        } else {
                            (K::CharConst, "unterminated character constant")
                        };
                        let mut q = p + 1;
                        loop {
                            let Some(d) = at(src, q).chars().next().filter(|&d| d != '\n') else {
                                self.fail(p, what);
                                return None;
                            };
                            q += d.len_utf8();
                            if d == '\\' {
                                let Some(e) = at(src, q).chars().next().filter(|&e| e != '\n')
                                else {
                                    self.fail(p, what);
                                    return None;
                                };
                                q += e.len_utf8();
                            } else if d == c {
                                break;
                            }
                        }
                        p = q;
                        self.emit(kind, start, p);
                    }
                    '`' => {
                        let Some(close) = at(src, p + 1).find('`') else {
                            self.fail(p, "unterminated raw quoted string");
                            return None;
                        };
                        p += close + 2;
                        self.emit(K::RawStr, start, p);
                    }
                    '$' => {
                        p = self.scan_alnum(p + 1);
                        if !self.terminated(p) {
                            return None;
                        }
                        self.emit(K::Variable, start, p);
                    }
                    '.' if !at(src, p + 1).starts_with(|d: char| d.is_ascii_digit()) => {
                        p = self.scan_alnum(p + 1);
                        if !self.terminated(p) {
                            return None;
                        }
                        let kind = if p == start + 1 { K::Dot } else { K::Field };
                        self.emit(kind, start, p);
                    }
                    '+' | '-' | '.' | '0'..='9' => match scan_number(src, p) {
                        Ok(q) => {
                            p = q;
                            self.emit(K::Number, start, p);
                        }
                        Err(q) => {
                            let text = src.get(start..q).unwrap_or("");
                            self.fail(p, format!("bad number syntax: {}", go_quote(text, false)));
                            return None;
                        }
                    },
                    c if c == '_' || c.is_alphabetic() => {
                        p = self.scan_alnum(p);
                        if !self.terminated(p) {
                            return None;
                        }
                        let kind = match src.get(start..p).unwrap_or("") {
                            "block" => K::Block,
                            "break" => K::Break,
                            "continue" => K::Continue,
                            "define" => K::Define,
                            "else" => K::Else,
                            "end" => K::End,
                            "if" => K::If,
                            "range" => K::Range,
                            "nil" => K::Nil,
                            "template" => K::Template,
                            "with" => K::With,
                            "true" | "false" => K::Bool,
                            _ => K::Ident,
                        };
                        self.emit(kind, start, p);
                    }
                    '(' => {
                        parens += 1;
                        p += 1;
                        self.emit(K::LParen, start, p);
                    }
                    ')' => {
                        if parens == 0 {
                            self.fail(p, "unexpected right paren");
                            return None;
                        }
                        parens -= 1;
                        p += 1;
                        self.emit(K::RParen, start, p);
                    }
                    c if c.is_ascii() && !c.is_ascii_control() => {
                        p += 1;
                        self.emit(K::Char, start, p);
                    }
                    c => {
                        self.fail(
                            p,
                            format!("unrecognized character in action: {}", go_rune(c)),
                        );
                        return None;
                    }
                }
            }
        }
    }

    /// Go's `scanNumber`: the end of the number at `p`, or where its
    /// syntax failed.
    fn scan_number(src: &str, p: usize) -> std::result::Result<usize, usize> {
        let b = src.as_bytes();
        let mut q = p;
        let accept = |q: &mut usize, set: &str| -> bool {
            match b.get(*q) {
                Some(c) if set.as_bytes().contains(c) => {
                    *q += 1;
                    true
                }
                _ => false,
            }
        };
        accept(&mut q, "+-");
        let mut digits = "0123456789_";
        if accept(&mut q, "0") {
            if accept(&mut q, "xX") {
                digits = "0123456789abcdefABCDEF_";
            } else if accept(&mut q, "oO") {
                digits = "01234567_";
            } else if accept(&mut q, "bB") {
                digits = "01_";
            }
        }
        while accept(&mut q, digits) {}
        if accept(&mut q, ".") {
            while accept(&mut q, digits) {}
        }
        if digits.len() == 11 && accept(&mut q, "eE") {
            accept(&mut q, "+-");
            while accept(&mut q, "0123456789_") {}
        }
        if digits.len() == 23 && accept(&mut q, "pP") {
            accept(&mut q, "+-");
            while accept(&mut q, "0123456789_") {}
        }
        accept(&mut q, "i");
        match at(src, q).chars().next() {
            // Complex numbers (`1+2i`) are not supported.
            Some(c) if is_alnum(c) || c == '+' || c == '-' => Err(q + c.len_utf8()),
            _ => Ok(q),
        }
    }

    // ---- Parser (text/template/parse/parse.go) ---------------------------

    #[derive(Clone, Copy, Debug)]
    enum Konst {
        Int(i64),
        Float(f64),
    }

    #[derive(Debug)]
    enum Arg {
        Dot,
        Nil,
        Bool(bool),
        Num(Konst, String),
        Str(Rc<str>, String),
        Field {
            pos: usize,
            idents: Vec<String>,
        },
        Var {
            pos: usize,
            name: String,
            idents: Vec<String>,
        },
        Ident {
            pos: usize,
            name: String,
        },
        Pipe(Box<Pipe>),
        Chain {
            pos: usize,
            node: Box<Arg>,
            fields: Vec<String>,
        },
    }

    #[derive(Debug)]
    struct Cmd {
        pos: usize,
        args: Vec<Arg>,
    }

    #[derive(Debug)]
    struct Pipe {
        pos: usize,
        is_assign: bool,
        decl: Vec<String>,
        cmds: Vec<Cmd>,
    }

    #[derive(Debug)]
    struct Control {
        pipe: Pipe,
        list: Vec<Node>,
        else_list: Option<Vec<Node>>,
    }

    #[derive(Debug)]
    enum Node {
        Text(String),
        Action(Pipe),
        If(Control),
        With(Control),
        Range(Control),
        Template {
            pos: usize,
            name: String,
            pipe: Option<Pipe>,
        },
        Break,
        Continue,
    }

    // Go's `String` of nodes: the context of execution errors.
    impl Arg {
        fn show(&self) -> String {
            let path = |head: &str, idents: &[String]| {
                idents
                    .iter()
                    .fold(head.to_string(), |acc, i| format!("{acc}.{i}"))
            };
            match self {
                Arg::Dot => ".".to_string(),
                Arg::Nil => "nil".to_string(),
                Arg::Bool(b) => b.to_string(),
                Arg::Num(_, text) | Arg::Str(_, text) => text.clone(),
                Arg::Field { idents, .. } => path("", idents),
                Arg::Var { name, idents, .. } => path(name, idents),
                Arg::Ident { name, .. } => name.clone(),
                Arg::Pipe(p) => format!("({})", p.show()),
                Arg::Chain { node, fields, .. } => path(&node.show(), fields),
            }
        }
    }

    impl Cmd {
        fn show(&self) -> String {
            let args: Vec<String> = self.args.iter().map(Arg::show).collect();
            args.join(" ")
        }
    }

    impl Pipe {
        fn show(&self) -> String {
            let mut s = String::new();
            if !self.decl.is_empty() {
                s = format!(
                    "{} {} ",
                    self.decl.join(", "),
                    if self.is_assign { "=" } else { ":=" }
                );
            }
            let cmds: Vec<String> = self.cmds.iter().map(Cmd::show).collect();
            s + &cmds.join(" | ")
        }
    }

    /// What ends an item list.
    #[derive(Clone, Copy, PartialEq, Eq)]
    enum Stop {
        End,
        Else,
    }

    impl Stop {
        fn show(self) -> &'static str {
            match self {
                Stop::End => "{{end}}",
                Stop::Else => "{{else}}",
            }
        }
    }

    enum Parsed {
        Node(Node),
        Stop(Stop),
    }

    /// The builtin functions: name, fixed arguments, variadic.
    const FUNCS: &[(&str, usize, bool)] = &[
        ("and", 1, true),
        ("call", 1, true),
        ("eq", 1, true),
        ("ge", 2, false),
        ("gt", 2, false),
        ("html", 0, true),
        ("index", 1, true),
        ("js", 0, true),
        ("le", 2, false),
        ("len", 1, false),
        ("lt", 2, false),
        ("ne", 2, false),
        ("not", 1, false),
        ("or", 1, true),
        ("print", 0, true),
        ("printf", 1, true),
        ("println", 0, true),
        ("slice", 1, true),
        ("urlquery", 0, true),
    ];

    type Trees = HashMap<String, Vec<Node>>;

    struct Parser<'a> {
        src: &'a str,
        items: Vec<Item>,
        i: usize,
        /// Where the token read last starts: errors give its line.
        last: usize,
        vars: Vec<String>,
        range_depth: usize,
        nesting: usize,
        trees: Trees,
    }

    impl<'a> Parser<'a> {
        fn new(src: &'a str) -> Parser<'a> {
            Parser {
                src,
                items: lex(src),
                i: 0,
                last: 0,
                vars: vec!["$".to_string()],
                range_depth: 0,
                nesting: 0,
                trees: HashMap::new(),
            }
        }

        fn item(&self, i: usize) -> Item {
            // The lexer's items end with EOF or an error: past the end,
            // that last item again.
            self.items
                .get(i)
                .or(self.items.last())
                .cloned()
                .unwrap_or(Item {
                    k: K::Eof,
                    val: String::new(),
                    pos: self.src.len(),
                })
        }

        fn next(&mut self) -> Item {
            let it = self.item(self.i);
            self.i += 1;
            self.last = it.pos;
            it
        }

        fn backup(&mut self) {
            self.i = self.i.saturating_sub(1);
        }

        fn peek(&self) -> Item {
            self.item(self.i)
        }

        fn next_non_space(&mut self) -> Item {
            loop {
                let it = self.next();
                if it.k != K::Space {
                    return it;
                }
            }
        }

        fn peek_non_space(&mut self) -> Item {
            let it = self.next_non_space();
            self.backup();
            it
        }

        fn err<T>(&self, msg: impl std::fmt::Display) -> R<T> {
            let (line, _) = line_col(self.src, self.last);
            Err(format!("template: {MAIN}:{line}: {msg}"))
        }

        fn unexpected<T>(&self, it: &Item, context: &str) -> R<T> {
            if it.k == K::Error {
                return self.err(&it.val);
            }
            self.err(format!("unexpected {} in {context}", it.show()))
        }

        fn expect(&mut self, k: K, context: &str) -> R<Item> {
            let it = self.next_non_space();
            if it.k != k {
                return self.unexpected(&it, context);
            }
            Ok(it)
        }

        fn nest(&mut self) -> R<()> {
            self.nesting += 1;
            if self.nesting > MAX_NESTING {
                return self.err("max expression depth exceeded");
            }
            Ok(())
        }

        fn parse(mut self) -> R<Trees> {
            let mut root = Vec::new();
            loop {
                let it = self.peek();
                if it.k == K::Eof {
                    break;
                }
                if it.k == K::LeftDelim {
                    let save = self.i;
                    self.next();
                    if self.next_non_space().k == K::Define {
                        self.definition()?;
                        continue;
                    }
                    self.i = save;
                }
                match self.text_or_action()? {
                    Parsed::Node(n) => root.push(n),
                    Parsed::Stop(s) => return self.err(format!("unexpected {}", s.show())),
                }
            }
            self.add(MAIN, root)?;
            Ok(self.trees)
        }

        /// Adds a template; one that has only spaces gives way, as Go's.
        fn add(&mut self, name: &str, list: Vec<Node>) -> R<()> {
            match self.trees.get(name) {
                Some(old) if !is_empty_tree(old) => {
                    if !is_empty_tree(&list) {
                        return self.err(format!(
                            "template: multiple definition of template {}",
                            go_quote(name, false)
                        ));
                    }
                }
                _ => {
                    self.trees.insert(name.to_string(), list);
                }
            }
            Ok(())
        }

        fn definition(&mut self) -> R<()> {
            const CONTEXT: &str = "define clause";
            let it = self.next_non_space();
            let name = self.template_name(&it, CONTEXT)?;
            self.expect(K::RightDelim, CONTEXT)?;
            let list = self.sub_tree(CONTEXT)?;
            self.add(&name, list)
        }

        /// The body of a `define` or `block`: a template of its own, with
        /// only `$` in scope.
        fn sub_tree(&mut self, context: &str) -> R<Vec<Node>> {
            self.nest()?;
            let vars = std::mem::replace(&mut self.vars, vec!["$".to_string()]);
            let range_depth = std::mem::take(&mut self.range_depth);
            let parsed = deep(|| self.item_list());
            self.vars = vars;
            self.range_depth = range_depth;
            self.nesting -= 1;
            let (list, stop) = parsed?;
            if stop != Stop::End {
                return self.err(format!("unexpected {} in {context}", stop.show()));
            }
            Ok(list)
        }

        fn item_list(&mut self) -> R<(Vec<Node>, Stop)> {
            let mut list = Vec::new();
            loop {
                if self.peek_non_space().k == K::Eof {
                    return self.err("unexpected EOF");
                }
                match self.text_or_action()? {
                    Parsed::Node(n) => list.push(n),
                    Parsed::Stop(s) => return Ok((list, s)),
                }
            }
        }

        fn text_or_action(&mut self) -> R<Parsed> {
            let it = self.next_non_space();
            match it.k {
                K::Text => Ok(Parsed::Node(Node::Text(it.val))),
                K::LeftDelim => self.action(),
                _ => self.unexpected(&it, "input"),
            }
        }

        fn action(&mut self) -> R<Parsed> {
            let it = self.next_non_space();
            let node = match it.k {
                K::Block => self.block()?,
                K::Break | K::Continue => {
                    let context = format!("{{{{{}}}}}", it.val);
                    let t = self.next_non_space();
                    if t.k != K::RightDelim {
                        return self.unexpected(&t, &context);
                    }
                    if self.range_depth == 0 {
                        return self.err(format!("{context} outside {{{{range}}}}"));
                    }
                    if it.k == K::Break {
                        Node::Break
                    } else {
                        Node::Continue
                    }
                }
                K::Else => {
                    // `{{else if}}` / `{{else with}}`: the keyword is left
                    // for the enclosing control to read.
                    let p = self.peek_non_space();
                    if !matches!(p.k, K::If | K::With) {
                        self.expect(K::RightDelim, "else")?;
                    }
                    return Ok(Parsed::Stop(Stop::Else));
                }
                K::End => {
                    self.expect(K::RightDelim, "end")?;
                    return Ok(Parsed::Stop(Stop::End));
                }
                K::If => Node::If(self.control("if")?),
                K::Range => Node::Range(self.control("range")?),
                K::With => Node::With(self.control("with")?),
                K::Template => {
                    const CONTEXT: &str = "template clause";
                    let t = self.next_non_space();
                    let name = self.template_name(&t, CONTEXT)?;
                    let pipe = if self.next_non_space().k == K::RightDelim {
                        None
                    } else {
                        self.backup();
                        Some(self.pipeline(CONTEXT, K::RightDelim)?)
                    };
                    Node::Template {
                        pos: t.pos,
                        name,
                        pipe,
                    }
                }
                _ => {
                    self.backup();
                    Node::Action(self.pipeline("command", K::RightDelim)?)
                }
            };
            Ok(Parsed::Node(node))
        }

        fn block(&mut self) -> R<Node> {
            const CONTEXT: &str = "block clause";
            let t = self.next_non_space();
            let name = self.template_name(&t, CONTEXT)?;
            let pipe = self.pipeline(CONTEXT, K::RightDelim)?;
            let list = self.sub_tree(CONTEXT)?;
            self.add(&name, list)?;
            Ok(Node::Template {
                pos: t.pos,
                name,
                pipe: Some(pipe),
            })
        }

        fn template_name(&self, it: &Item, context: &str) -> R<String> {
            match it.k {
                K::Str => match unquote(&it.val) {
                    Some(s) => Ok(s),
                    None => self.err("invalid syntax"),
                },
                K::RawStr => Ok(raw(&it.val)),
                _ => self.unexpected(it, context),
            }
        }

        fn control(&mut self, context: &str) -> R<Control> {
            // Variables declared in the control go out of scope at its end.
            let nvars = self.vars.len();
            self.nest()?;
            let pipe = self.pipeline(context, K::RightDelim)?;
            let in_range = context == "range";
            if in_range {
                self.range_depth += 1;
            }
            let (list, stop) = deep(|| self.item_list())?;
            if in_range {
                self.range_depth -= 1;
            }
            let else_list = match stop {
                Stop::End => None,
                Stop::Else => {
                    let p = self.peek();
                    if (context == "if" && p.k == K::If) || (context == "with" && p.k == K::With) {
                        // `{{else if b}}...{{end}}` as `{{else}}{{if b}}...{{end}}{{end}}`.
                        self.next();
                        let inner = deep(|| self.control(context))?;
                        Some(vec![if p.k == K::If {
                            Node::If(inner)
                        } else {
                            Node::With(inner)
                        }])
                    } else {
                        let (list, stop) = self.item_list()?;
                        if stop != Stop::End {
                            return self.err(format!("expected end; found {}", stop.show()));
                        }
                        Some(list)
                    }
                }
            };
            self.vars.truncate(nvars);
            self.nesting -= 1;
            Ok(Control {
                pipe,
                list,
                else_list,
            })
        }

        fn pipeline(&mut self, context: &str, end: K) -> R<Pipe> {
            let start = self.peek_non_space();
            let mut pipe = Pipe {
                pos: start.pos,
                is_assign: false,
                decl: Vec::new(),
                cmds: Vec::new(),
            };
            // Declarations: `$x :=`, `$x =`, and in a range `$i, $v :=`.
            loop {
                let v = self.peek_non_space();
                if v.k != K::Variable {
                    break;
                }
                let at_var = self.i;
                self.next();
                let nx = self.peek_non_space();
                match nx.k {
                    K::Assign | K::Declare => {
                        pipe.is_assign = nx.k == K::Assign;
                        self.next_non_space();
                        pipe.decl.push(v.val.clone());
                        self.vars.push(v.val);
                        break;
                    }
                    K::Char if nx.val == "," => {
                        self.next_non_space();
                        pipe.decl.push(v.val.clone());
                        self.vars.push(v.val);
                        if context == "range" && pipe.decl.len() < 2 {
                            match self.peek_non_space().k {
                                K::Variable | K::RightDelim | K::RParen => continue,
                                _ => return self.err("range can only initialize variables"),
                            }
                        }
                        return self.err(format!("too many declarations in {context}"));
                    }
                    _ => {
                        self.i = at_var;
                        break;
                    }
                }
            }
            loop {
                let it = self.next_non_space();
                if it.k == end {
                    self.check_pipeline(&pipe, context)?;
                    return Ok(pipe);
                }
                match it.k {
                    K::Bool
                    | K::CharConst
                    | K::Dot
                    | K::Field
                    | K::Ident
                    | K::Number
                    | K::Nil
                    | K::RawStr
                    | K::Str
                    | K::Variable
                    | K::LParen => {
                        self.backup();
                        let cmd = self.command()?;
                        pipe.cmds.push(cmd);
                    }
                    _ => return self.unexpected(&it, context),
                }
            }
        }

        fn check_pipeline(&self, pipe: &Pipe, context: &str) -> R<()> {
            if pipe.cmds.is_empty() {
                return self.err(format!("missing value for {context}"));
            }
            for (i, c) in pipe.cmds.iter().enumerate().skip(1) {
                if matches!(
                    c.args.first(),
                    Some(Arg::Bool(_) | Arg::Dot | Arg::Nil | Arg::Num(..) | Arg::Str(..))
                ) {
                    return self.err(format!(
                        "non executable command in pipeline stage {}",
                        i + 1
                    ));
                }
            }
            Ok(())
        }

        fn command(&mut self) -> R<Cmd> {
            let pos = self.peek_non_space().pos;
            let mut args = Vec::new();
            loop {
                self.peek_non_space();
                if let Some(op) = self.operand()? {
                    args.push(op);
                }
                let it = self.next();
                match it.k {
                    K::Space => continue,
                    K::RightDelim | K::RParen => self.backup(),
                    K::Pipe => {}
                    _ => return self.unexpected(&it, "operand"),
                }
                break;
            }
            if args.is_empty() {
                return self.err("empty command");
            }
            Ok(Cmd { pos, args })
        }

        fn operand(&mut self) -> R<Option<Arg>> {
            let Some(node) = self.term()? else {
                return Ok(None);
            };
            if self.peek().k != K::Field {
                return Ok(Some(node));
            }
            let chain_pos = self.peek().pos;
            let mut fields = Vec::new();
            while self.peek().k == K::Field {
                let f = self.next();
                fields.push(f.val.get(1..).unwrap_or("").to_string());
            }
            Ok(Some(match node {
                Arg::Field { pos, mut idents } => {
                    idents.extend(fields);
                    Arg::Field { pos, idents }
                }
                Arg::Var {
                    pos,
                    name,
                    mut idents,
                } => {
                    idents.extend(fields);
                    Arg::Var { pos, name, idents }
                }
                Arg::Bool(_) | Arg::Str(..) | Arg::Num(..) | Arg::Nil | Arg::Dot => {
                    return self.err(format!(
                        "unexpected . after term {}",
                        go_quote(&node.show(), false)
                    ));
                }
                other => Arg::Chain {
                    pos: chain_pos,
                    node: Box::new(other),
                    fields,
                },
            }))
        }

        fn term(&mut self) -> R<Option<Arg>> {
            let it = self.next_non_space();
            Ok(Some(match it.k {
                K::Ident => {
                    if !FUNCS.iter().any(|f| f.0 == it.val) {
                        return self
                            .err(format!("function {} not defined", go_quote(&it.val, false)));
                    }
                    Arg::Ident {
                        pos: it.pos,
                        name: it.val,
                    }
                }
                K::Dot => Arg::Dot,
                K::Nil => Arg::Nil,
                K::Variable => {
                    if !self.vars.contains(&it.val) {
                        return self
                            .err(format!("undefined variable {}", go_quote(&it.val, false)));
                    }
                    Arg::Var {
                        pos: it.pos,
                        name: it.val,
                        idents: Vec::new(),
                    }
                }
                K::Field => Arg::Field {
                    pos: it.pos,
                    idents: vec![it.val.get(1..).unwrap_or("").to_string()],
                },
                K::Bool => Arg::Bool(it.val == "true"),
                K::CharConst | K::Number => match parse_number(&it.val, it.k == K::CharConst) {
                    Ok(k) => Arg::Num(k, it.val),
                    Err(e) => return self.err(e),
                },
                K::LParen => {
                    self.nest()?;
                    let p = deep(|| self.pipeline("parenthesized pipeline", K::RParen))?;
                    self.nesting -= 1;
                    Arg::Pipe(Box::new(p))
                }
                K::Str => match unquote(&it.val) {
                    Some(s) => Arg::Str(s.into(), it.val),
                    None => return self.err("invalid syntax"),
                },
                K::RawStr => Arg::Str(raw(&it.val).into(), it.val),
                _ => {
                    self.backup();
                    return Ok(None);
                }
            }))
        }
    }

    /// Go's `IsEmptyTree`: nothing but spaces.
    fn is_empty_tree(list: &[Node]) -> bool {
        list.iter()
            .all(|n| matches!(n, Node::Text(t) if t.trim().is_empty()))
    }

    /// A number constant as Go's `parse.NumberNode` and `idealConstant`
    /// read it: an `int`, unless written with `.`, `e` or `E`.
    fn parse_number(text: &str, is_char: bool) -> std::result::Result<Konst, String> {
        if is_char {
            let inner = text
                .strip_prefix('\'')
                .and_then(|t| t.strip_suffix('\''))
                .unwrap_or("");
            return match unquote_char(inner, '\'') {
                Some((c, "")) => Ok(Konst::Int(c.value())),
                _ => Err(format!("malformed character constant: {text}")),
            };
        }
        let illegal = || format!("illegal number syntax: {}", go_quote(text, false));
        let clean: String = text.chars().filter(|&c| c != '_').collect();
        let (neg, body) = match clean.strip_prefix('-') {
            Some(b) => (true, b.to_ascii_lowercase()),
            None => (
                false,
                clean
                    .strip_prefix('+')
                    .unwrap_or(&clean)
                    .to_ascii_lowercase(),
            ),
        };
        let digits = |s: &str, radix: u32| -> Option<i128> {
            if s.is_empty() {
                return None;
            }
            i128::from_str_radix(s, radix).ok()
        };
        let int = if let Some(h) = body.strip_prefix("0x") {
            Some(digits(h, 16).ok_or_else(illegal)?)
        } else if let Some(o) = body.strip_prefix("0o") {
            Some(digits(o, 8).ok_or_else(illegal)?)
        } else if let Some(b) = body.strip_prefix("0b") {
            Some(digits(b, 2).ok_or_else(illegal)?)
        } else if !body.is_empty() && body.bytes().all(|c| c.is_ascii_digit()) {
            // A leading 0 is octal, as Go's `ParseInt(s, 0, 64)`.
            let (s, radix) = match body.strip_prefix('0') {
                Some(rest) if !rest.is_empty() => (rest, 8),
                _ => (body.as_str(), 10),
            };
            Some(digits(s, radix).ok_or_else(illegal)?)
        } else {
            None
        };
        if let Some(v) = int {
            let v = if neg { -v } else { v };
            return i64::try_from(v)
                .map(Konst::Int)
                .map_err(|_| format!("{text} overflows int"));
        }
        if body.ends_with('i') || body.contains('p') || !body.contains(['.', 'e']) {
            return Err(illegal());
        }
        match body.parse::<f64>() {
            Ok(f) if f.is_finite() => Ok(Konst::Float(if neg { -f } else { f })),
            _ => Err(illegal()),
        }
    }

    /// One character of a quoted literal: a char, or a raw byte (`\x..`,
    /// octal) as Go's `UnquoteChar` gives it.
    enum Unq {
        Char(char),
        Byte(u8),
    }

    impl Unq {
        fn value(&self) -> i64 {
            match self {
                Unq::Char(c) => i64::from(u32::from(*c)),
                Unq::Byte(b) => i64::from(*b),
            }
        }
    }

    fn unquote_char(s: &str, quote: char) -> Option<(Unq, &str)> {
        let c = s.chars().next()?;
        let rest = at(s, c.len_utf8());
        if c == quote {
            return None;
        }
        if c != '\\' {
            return Some((Unq::Char(c), rest));
        }
        let e = rest.chars().next()?;
        let rest = at(rest, e.len_utf8());
        let hex = |n: usize| -> Option<(u32, &str)> {
            let h = rest.get(..n)?;
            Some((u32::from_str_radix(h, 16).ok()?, at(rest, n)))
        };
        Some(match e {
            'a' => (Unq::Char('\u{7}'), rest),
            'b' => (Unq::Char('\u{8}'), rest),
            'f' => (Unq::Char('\u{c}'), rest),
            'n' => (Unq::Char('\n'), rest),
            'r' => (Unq::Char('\r'), rest),
            't' => (Unq::Char('\t'), rest),
            'v' => (Unq::Char('\u{b}'), rest),
            '\\' => (Unq::Char('\\'), rest),
            '\'' | '"' if e == quote => (Unq::Char(e), rest),
            'x' => {
                let (v, tail) = hex(2)?;
                (Unq::Byte(u8::try_from(v).ok()?), tail)
            }
            'u' => {
                let (v, tail) = hex(4)?;
                (Unq::Char(char::from_u32(v)?), tail)
            }
            'U' => {
                let (v, tail) = hex(8)?;
                (Unq::Char(char::from_u32(v)?), tail)
            }
            '0'..='7' => {
                let o = s.get(1..4)?;
                let v = u32::from_str_radix(o, 8).ok()?;
                (Unq::Byte(u8::try_from(v).ok()?), at(s, 4))
            }
            _ => return None,
        })
    }

    /// Go's `strconv.Unquote` of a `"..."` literal.
    fn unquote(lit: &str) -> Option<String> {
        let mut rest = lit.strip_prefix('"')?.strip_suffix('"')?;
        let mut bytes = Vec::with_capacity(rest.len());
        while !rest.is_empty() {
            let (u, tail) = unquote_char(rest, '"')?;
            match u {
                Unq::Char(c) => bytes.extend_from_slice(c.encode_utf8(&mut [0; 4]).as_bytes()),
                Unq::Byte(b) => bytes.push(b),
            }
            rest = tail;
        }
        Some(String::from_utf8_lossy(&bytes).into_owned())
    }

    /// A raw `` `...` `` literal: Go drops its carriage returns.
    fn raw(lit: &str) -> String {
        let inner = lit.get(1..lit.len().saturating_sub(1)).unwrap_or("");
        inner.chars().filter(|&c| c != '\r').collect()
    }

    fn line_col(src: &str, pos: usize) -> (usize, usize) {
        let before = src.get(..pos).unwrap_or(src);
        let line = 1 + before.matches('\n').count();
        let col = before.rfind('\n').map_or(pos, |i| pos - i - 1);
        (line, col)
    }

    // ---- Execution (text/template/exec.go) -------------------------------

    #[derive(Clone, Copy, PartialEq, Eq)]
    enum Flow {
        Normal,
        Break,
        Continue,
    }

    /// Where an error happened: a command, or a node of one.
    #[derive(Clone, Copy)]
    enum Site<'n> {
        Cmd(&'n Cmd),
        Arg(usize, &'n Arg),
        Pipe(&'n Pipe),
    }

    impl Site<'_> {
        fn pos(&self) -> usize {
            match self {
                Site::Cmd(c) => c.pos,
                Site::Arg(pos, _) => *pos,
                Site::Pipe(p) => p.pos,
            }
        }

        fn show(&self) -> String {
            match self {
                Site::Cmd(c) => c.show(),
                Site::Arg(_, a) => a.show(),
                Site::Pipe(p) => p.show(),
            }
        }
    }

    struct State<'t> {
        src: &'t str,
        trees: &'t Trees,
        vars: Vec<(String, Tv)>,
        out: String,
        steps: u64,
        depth: usize,
        name: String,
    }

    impl State<'_> {
        fn fail(&self, site: Site<'_>, msg: impl std::fmt::Display) -> String {
            let (line, col) = line_col(self.src, site.pos());
            format!(
                "template: {MAIN}:{line}:{col}: executing {} at <{}>: {msg}",
                go_quote(&self.name, false),
                site.show()
            )
        }

        fn step(&mut self) -> R<()> {
            self.steps += 1;
            if self.steps > MAX_STEPS {
                return Err(format!(
                    "template: {MAIN}: execution takes more than {MAX_STEPS} steps (Gavel's limit)"
                ));
            }
            Ok(())
        }

        fn write(&mut self, s: &str) -> R<()> {
            if self.out.len() + s.len() > MAX_OUTPUT {
                return Err(format!(
                    "template: {MAIN}: output longer than {MAX_OUTPUT} bytes (Gavel's limit)"
                ));
            }
            self.out.push_str(s);
            Ok(())
        }

        /// Walks a list of nodes. Control bodies and template calls nest
        /// walks: their depth together is bounded, as each is recursion.
        fn walk(&mut self, dot: &Tv, list: &[Node]) -> R<Flow> {
            if self.depth >= MAX_NESTING {
                return Err(format!(
                    "template: {MAIN}: exceeded maximum template depth ({MAX_NESTING})"
                ));
            }
            self.depth += 1;
            let walked = deep(|| self.walk_nodes(dot, list));
            self.depth -= 1;
            walked
        }

        fn walk_nodes(&mut self, dot: &Tv, list: &[Node]) -> R<Flow> {
            for node in list {
                self.step()?;
                match node {
                    Node::Text(t) => self.write(t)?,
                    Node::Action(pipe) => {
                        let v = self.eval_pipeline(dot, pipe)?;
                        if pipe.decl.is_empty() {
                            match v {
                                // Go's text/template prints an invalid value so.
                                Tv::Nil => self.write("<no value>")?,
                                v => self.write(&fmt_v(&v))?,
                            }
                        }
                    }
                    Node::If(c) | Node::With(c) => {
                        let mark = self.vars.len();
                        let v = self.eval_pipeline(dot, &c.pipe)?;
                        let flow = if is_true(&v) {
                            let dot = if matches!(node, Node::With(_)) {
                                &v
                            } else {
                                dot
                            };
                            self.walk(dot, &c.list)?
                        } else if let Some(e) = &c.else_list {
                            self.walk(dot, e)?
                        } else {
                            Flow::Normal
                        };
                        self.vars.truncate(mark);
                        if flow != Flow::Normal {
                            return Ok(flow);
                        }
                    }
                    Node::Range(c) => {
                        let flow = self.walk_range(dot, c)?;
                        if flow != Flow::Normal {
                            return Ok(flow);
                        }
                    }
                    Node::Template { pos, name, pipe } => {
                        self.walk_template(dot, *pos, name, pipe.as_ref())?;
                    }
                    Node::Break => return Ok(Flow::Break),
                    Node::Continue => return Ok(Flow::Continue),
                }
            }
            Ok(Flow::Normal)
        }

        fn walk_template(
            &mut self,
            dot: &Tv,
            pos: usize,
            name: &str,
            pipe: Option<&Pipe>,
        ) -> R<()> {
            let site_arg = Arg::Str(Rc::from(name), go_quote(name, false));
            let site = Site::Arg(pos, &site_arg);
            let trees = self.trees;
            let Some(tree) = trees.get(name) else {
                return Err(self.fail(
                    site,
                    format!("template {} not defined", go_quote(name, false)),
                ));
            };
            if self.depth >= MAX_NESTING {
                return Err(self.fail(
                    site,
                    format!("exceeded maximum template depth ({MAX_NESTING})"),
                ));
            }
            // Variables the pipeline declares stay in the caller's scope.
            let v = match pipe {
                Some(p) => self.eval_pipeline(dot, p)?,
                None => Tv::Nil,
            };
            // No dynamic scoping: the callee sees only `$`.
            let vars = std::mem::replace(&mut self.vars, vec![("$".to_string(), v.clone())]);
            let caller = std::mem::replace(&mut self.name, name.to_string());
            let walked = self.walk(&v, tree);
            self.vars = vars;
            self.name = caller;
            walked.map(|_| ())
        }

        fn walk_range(&mut self, dot: &Tv, c: &Control) -> R<Flow> {
            let mark = self.vars.len();
            let v = self.eval_pipeline(dot, &c.pipe)?;
            let mut ran = false;
            let mut flow = Flow::Normal;
            let mut each = |st: &mut Self, index: Tv, elem: Tv| -> R<bool> {
                ran = true;
                st.step()?;
                Ok(st.iteration(c, index, elem)? == Flow::Break)
            };
            match &v {
                Tv::List(items) => {
                    for (i, e) in items.iter().enumerate() {
                        if each(
                            self,
                            Tv::Int(i64::try_from(i).unwrap_or(i64::MAX)),
                            e.clone(),
                        )? {
                            break;
                        }
                    }
                }
                Tv::Map(m) => {
                    for (k, e) in m.iter() {
                        if each(self, Tv::Str(Rc::from(k.as_str())), e.clone())? {
                            break;
                        }
                    }
                }
                Tv::Int(n) => {
                    if c.pipe.decl.len() > 1 {
                        return Err(self.fail(
                            Site::Pipe(&c.pipe),
                            format!("can't use {n} to iterate over more than one variable"),
                        ));
                    }
                    for i in 0..*n {
                        if each(self, Tv::Int(i), Tv::Int(i))? {
                            break;
                        }
                    }
                }
                // A nil value ranges over nothing.
                Tv::Nil => {}
                other => {
                    return Err(self.fail(
                        Site::Pipe(&c.pipe),
                        format!("range can't iterate over {}", fmt_v(other)),
                    ));
                }
            }
            if !ran && let Some(e) = &c.else_list {
                // `{{break}}` in the else part belongs to an outer range.
                flow = self.walk(dot, e)?;
            }
            self.vars.truncate(mark);
            Ok(flow)
        }

        fn iteration(&mut self, c: &Control, index: Tv, elem: Tv) -> R<Flow> {
            let decl = &c.pipe.decl;
            let n = self.vars.len();
            // One variable takes the element; two, the index and the element.
            if c.pipe.is_assign {
                match decl.as_slice() {
                    [v] => self.set_var(v, elem.clone(), Site::Pipe(&c.pipe))?,
                    [i, v, ..] => {
                        self.set_var(i, index, Site::Pipe(&c.pipe))?;
                        self.set_var(v, elem.clone(), Site::Pipe(&c.pipe))?;
                    }
                    [] => {}
                }
            } else {
                if !decl.is_empty()
                    && let Some(top) = n.checked_sub(1).and_then(|t| self.vars.get_mut(t))
                {
                    top.1 = elem.clone();
                }
                if decl.len() > 1
                    && let Some(second) = n.checked_sub(2).and_then(|t| self.vars.get_mut(t))
                {
                    second.1 = index;
                }
            }
            let mark = self.vars.len();
            let flow = self.walk(&elem, &c.list);
            self.vars.truncate(mark);
            flow
        }

        fn set_var(&mut self, name: &str, v: Tv, site: Site<'_>) -> R<()> {
            match self.vars.iter_mut().rev().find(|(n, _)| n == name) {
                Some(slot) => {
                    slot.1 = v;
                    Ok(())
                }
                None => Err(self.fail(site, format!("undefined variable: {name}"))),
            }
        }

        fn var(&self, name: &str, site: Site<'_>) -> R<Tv> {
            match self.vars.iter().rev().find(|(n, _)| n == name) {
                Some((_, v)) => Ok(v.clone()),
                None => Err(self.fail(site, format!("undefined variable: {name}"))),
            }
        }

        fn eval_pipeline(&mut self, dot: &Tv, pipe: &Pipe) -> R<Tv> {
            let mut value = None;
            for cmd in &pipe.cmds {
                value = Some(self.eval_command(dot, cmd, value)?);
            }
            let v = value.unwrap_or(Tv::Nil);
            for name in &pipe.decl {
                if pipe.is_assign {
                    self.set_var(name, v.clone(), Site::Pipe(pipe))?;
                } else {
                    self.vars.push((name.clone(), v.clone()));
                }
            }
            Ok(v)
        }

        fn eval_command(&mut self, dot: &Tv, cmd: &Cmd, last: Option<Tv>) -> R<Tv> {
            let Some(first) = cmd.args.first() else {
                return Err(self.fail(Site::Cmd(cmd), "empty command"));
            };
            let has_args = cmd.args.len() > 1 || last.is_some();
            let site = Site::Cmd(cmd);
            match first {
                Arg::Field { pos, idents } => {
                    self.field_chain(dot.clone(), idents, has_args, Site::Arg(*pos, first))
                }
                Arg::Chain { pos, node, fields } => {
                    self.chain(dot, node, fields, has_args, Site::Arg(*pos, first))
                }
                Arg::Ident { name, .. } => {
                    self.eval_function(dot, name, cmd.args.get(1..).unwrap_or(&[]), last, site)
                }
                Arg::Var { pos, name, idents } => {
                    let v = self.var(name, Site::Arg(*pos, first))?;
                    if idents.is_empty() {
                        self.not_a_function(cmd, has_args)?;
                        Ok(v)
                    } else {
                        self.field_chain(v, idents, has_args, Site::Arg(*pos, first))
                    }
                }
                Arg::Pipe(p) => {
                    self.not_a_function(cmd, has_args)?;
                    deep(|| self.eval_pipeline(dot, p))
                }
                Arg::Nil => Err(self.fail(site, "nil is not a command")),
                _ => {
                    self.not_a_function(cmd, has_args)?;
                    self.eval_arg(dot, first)
                }
            }
        }

        fn not_a_function(&self, cmd: &Cmd, has_args: bool) -> R<()> {
            if has_args {
                let first = cmd.args.first().map(Arg::show).unwrap_or_default();
                return Err(self.fail(
                    Site::Cmd(cmd),
                    format!("can't give argument to non-function {first}"),
                ));
            }
            Ok(())
        }

        fn eval_arg(&mut self, dot: &Tv, arg: &Arg) -> R<Tv> {
            Ok(match arg {
                Arg::Dot => dot.clone(),
                Arg::Nil => Tv::Nil,
                Arg::Bool(b) => Tv::Bool(*b),
                Arg::Num(Konst::Int(i), _) => Tv::Int(*i),
                Arg::Num(Konst::Float(f), _) => Tv::Float(*f),
                Arg::Str(s, _) => Tv::Str(s.clone()),
                Arg::Field { pos, idents } => {
                    self.field_chain(dot.clone(), idents, false, Site::Arg(*pos, arg))?
                }
                Arg::Var { pos, name, idents } => {
                    let v = self.var(name, Site::Arg(*pos, arg))?;
                    if idents.is_empty() {
                        v
                    } else {
                        self.field_chain(v, idents, false, Site::Arg(*pos, arg))?
                    }
                }
                Arg::Pipe(p) => deep(|| self.eval_pipeline(dot, p))?,
                Arg::Ident { pos, name } => {
                    self.eval_function(dot, name, &[], None, Site::Arg(*pos, arg))?
                }
                Arg::Chain { pos, node, fields } => {
                    self.chain(dot, node, fields, false, Site::Arg(*pos, arg))?
                }
            })
        }

        fn chain(
            &mut self,
            dot: &Tv,
            node: &Arg,
            fields: &[String],
            has_args: bool,
            site: Site<'_>,
        ) -> R<Tv> {
            if matches!(node, Arg::Nil) {
                return Err(self.fail(
                    site,
                    format!("indirection through explicit nil in {}", site.show()),
                ));
            }
            let v = self.eval_arg(dot, node)?;
            self.field_chain(v, fields, has_args, site)
        }

        fn field_chain(
            &self,
            recv: Tv,
            idents: &[String],
            has_args: bool,
            site: Site<'_>,
        ) -> R<Tv> {
            let mut v = recv;
            for (i, name) in idents.iter().enumerate() {
                v = self.field(&v, name, has_args && i + 1 == idents.len(), site)?;
            }
            Ok(v)
        }

        fn field(&self, recv: &Tv, name: &str, has_args: bool, site: Site<'_>) -> R<Tv> {
            match recv {
                Tv::Map(m) => {
                    if has_args {
                        return Err(
                            self.fail(site, format!("{name} is not a method but has arguments"))
                        );
                    }
                    // missingkey=error, as OPA sets it.
                    m.get(name).cloned().ok_or_else(|| {
                        self.fail(
                            site,
                            format!("map has no entry for key {}", go_quote(name, false)),
                        )
                    })
                }
                // json.Number's methods.
                Tv::Num(n) if matches!(name, "Int64" | "Float64" | "String") => {
                    if has_args {
                        return Err(self.fail(
                            site,
                            format!("wrong number of args for {name}: want 0 got 1"),
                        ));
                    }
                    json_number_method(n, name)
                        .map_err(|e| self.fail(site, format!("error calling {name}: {e}")))
                }
                Tv::Nil => Err(self.fail(
                    site,
                    format!("nil pointer evaluating interface {{}}.{name}"),
                )),
                other => Err(self.fail(
                    site,
                    format!("can't evaluate field {name} in type {}", other.type_name()),
                )),
            }
        }

        fn eval_function(
            &mut self,
            dot: &Tv,
            name: &str,
            args: &[Arg],
            last: Option<Tv>,
            site: Site<'_>,
        ) -> R<Tv> {
            let Some(&(_, fixed, variadic)) = FUNCS.iter().find(|f| f.0 == name) else {
                return Err(self.fail(
                    site,
                    format!("{} is not a defined function", go_quote(name, false)),
                ));
            };
            let got = args.len() + usize::from(last.is_some());
            if variadic && got < fixed {
                return Err(self.fail(
                    site,
                    format!(
                        "wrong number of args for {name}: want at least {fixed} got {}",
                        args.len()
                    ),
                ));
            }
            if !variadic && got != fixed {
                return Err(self.fail(
                    site,
                    format!("wrong number of args for {name}: want {fixed} got {got}"),
                ));
            }
            if name == "and" || name == "or" {
                // Short-circuit: the first argument that decides, else the last.
                let mut v = Tv::Nil;
                for a in args {
                    v = self.eval_arg(dot, a)?;
                    if is_true(&v) == (name == "or") {
                        return Ok(v);
                    }
                }
                return Ok(last.unwrap_or(v));
            }
            let mut vals = Vec::with_capacity(got);
            for a in args {
                vals.push(self.eval_arg(dot, a)?);
            }
            vals.extend(last);
            call_func(name, &vals)
                .map_err(|e| self.fail(site, format!("error calling {name}: {e}")))
        }
    }

    fn json_number_method(n: &str, name: &str) -> R<Tv> {
        match name {
            "Int64" => n.parse::<i64>().map(Tv::Int).map_err(|e| {
                let why = match e.kind() {
                    std::num::IntErrorKind::PosOverflow | std::num::IntErrorKind::NegOverflow => {
                        "value out of range"
                    }
                    _ => "invalid syntax",
                };
                format!("strconv.ParseInt: parsing {}: {why}", go_quote(n, false))
            }),
            "Float64" => n.parse::<f64>().map(Tv::Float).map_err(|_| {
                format!(
                    "strconv.ParseFloat: parsing {}: invalid syntax",
                    go_quote(n, false)
                )
            }),
            _ => Ok(Tv::Str(Rc::from(n))),
        }
    }

    /// Go's `isTrue`: false, 0, nil and empty things are false. A
    /// json.Number is a non-empty string: always true.
    fn is_true(v: &Tv) -> bool {
        match v {
            Tv::Nil => false,
            Tv::Bool(b) => *b,
            Tv::Int(i) => *i != 0,
            Tv::Float(f) => *f != 0.0,
            Tv::Str(s) | Tv::Num(s) => !s.is_empty(),
            Tv::List(l) => !l.is_empty(),
            Tv::Map(m) => !m.is_empty(),
        }
    }

    fn call_func(name: &str, vals: &[Tv]) -> R<Tv> {
        let arg = |i: usize| vals.get(i).unwrap_or(&Tv::Nil);
        let bounded = |s: String| -> R<Tv> {
            if s.len() > MAX_OUTPUT {
                return Err(format!(
                    "result longer than {MAX_OUTPUT} bytes (Gavel's limit)"
                ));
            }
            Ok(Tv::Str(s.into()))
        };
        match name {
            "not" => Ok(Tv::Bool(!is_true(arg(0)))),
            "len" => match arg(0) {
                Tv::Str(s) | Tv::Num(s) => Ok(Tv::Int(len_i64(s.len()))),
                Tv::List(l) => Ok(Tv::Int(len_i64(l.len()))),
                Tv::Map(m) => Ok(Tv::Int(len_i64(m.len()))),
                Tv::Nil => Err("len of nil pointer".to_string()),
                other => Err(format!("len of type {}", other.type_name())),
            },
            "index" => index(vals),
            "slice" => slice(vals),
            "print" => bounded(sprint(vals)),
            "println" => {
                let mut s = String::new();
                for (i, v) in vals.iter().enumerate() {
                    if i > 0 {
                        s.push(' ');
                    }
                    fmt_value(&mut s, v, 'v', &Spec::default(), true);
                }
                s.push('\n');
                bounded(s)
            }
            "printf" => match vals.split_first() {
                Some((Tv::Str(f), rest)) => bounded(sprintf(f, rest)?),
                Some((other, _)) => Err(format!(
                    "wrong type for value; expected string; got {}",
                    other.type_name()
                )),
                None => Err("missing format".to_string()),
            },
            "html" => bounded(html_escape(&escaper_text(vals))),
            "js" => bounded(js_escape(&escaper_text(vals))),
            "urlquery" => bounded(query_escape(&escaper_text(vals))),
            "eq" => match vals.split_first() {
                Some((a, rest)) => eq(a, rest).map(Tv::Bool),
                None => Err("missing argument for comparison".to_string()),
            },
            "ne" => eq(arg(0), std::slice::from_ref(arg(1))).map(|b| Tv::Bool(!b)),
            "lt" => lt(arg(0), arg(1)).map(Tv::Bool),
            "le" => le(arg(0), arg(1)).map(Tv::Bool),
            "gt" => le(arg(0), arg(1)).map(|b| Tv::Bool(!b)),
            "ge" => lt(arg(0), arg(1)).map(|b| Tv::Bool(!b)),
            "call" => Err(match arg(0) {
                Tv::Nil => "call of nil".to_string(),
                other => format!("non-function of type {}", other.type_name()),
            }),
            _ => Err(format!("{name} is not a defined function")),
        }
    }

    fn len_i64(n: usize) -> i64 {
        i64::try_from(n).unwrap_or(i64::MAX)
    }

    /// The text `html`, `js` and `urlquery` escape: a lone string as it
    /// is, anything else as `fmt.Sprint` prints it.
    fn escaper_text(vals: &[Tv]) -> String {
        match vals {
            [Tv::Str(s)] => s.to_string(),
            _ => sprint(vals),
        }
    }

    #[derive(Clone, Copy, PartialEq, Eq)]
    enum Basic {
        Bool,
        Int,
        Float,
        Str,
        Other,
    }

    fn basic(v: &Tv) -> Basic {
        match v {
            Tv::Bool(_) => Basic::Bool,
            Tv::Int(_) => Basic::Int,
            Tv::Float(_) => Basic::Float,
            Tv::Str(_) | Tv::Num(_) => Basic::Str,
            _ => Basic::Other,
        }
    }

    /// Go's `eq`: true if the first argument equals any other. Kinds must
    /// agree (an int constant against a json.Number is an error), except
    /// that nil equals only nil.
    fn eq(a: &Tv, rest: &[Tv]) -> R<bool> {
        if rest.is_empty() {
            return Err("missing argument for comparison".to_string());
        }
        let ka = basic(a);
        for b in rest {
            let truth = if ka != basic(b) {
                if !matches!(a, Tv::Nil) && !matches!(b, Tv::Nil) {
                    return Err("incompatible types for comparison".to_string());
                }
                false
            } else {
                match (a, b) {
                    (Tv::Bool(x), Tv::Bool(y)) => x == y,
                    (Tv::Int(x), Tv::Int(y)) => x == y,
                    (Tv::Float(x), Tv::Float(y)) => x == y,
                    (Tv::Nil, _) | (_, Tv::Nil) => matches!((a, b), (Tv::Nil, Tv::Nil)),
                    _ => match (a.text(), b.text()) {
                        (Some(x), Some(y)) => x == y,
                        _ => {
                            return Err(format!(
                                "non-comparable type {}: {}",
                                fmt_v(b),
                                b.type_name()
                            ));
                        }
                    },
                }
            };
            if truth {
                return Ok(true);
            }
        }
        Ok(false)
    }

    fn lt(a: &Tv, b: &Tv) -> R<bool> {
        let (ka, kb) = (basic(a), basic(b));
        if ka == Basic::Other || kb == Basic::Other {
            return Err("invalid type for comparison".to_string());
        }
        if ka != kb {
            return Err("incompatible types for comparison".to_string());
        }
        match (a, b) {
            (Tv::Int(x), Tv::Int(y)) => Ok(x < y),
            (Tv::Float(x), Tv::Float(y)) => Ok(x < y),
            _ => match (a.text(), b.text()) {
                (Some(x), Some(y)) => Ok(x < y),
                _ => Err("invalid type for comparison".to_string()),
            },
        }
    }

    fn le(a: &Tv, b: &Tv) -> R<bool> {
        if lt(a, b)? {
            return Ok(true);
        }
        eq(a, std::slice::from_ref(b))
    }

    fn index_arg(ix: &Tv, len: usize) -> R<usize> {
        match ix {
            Tv::Int(x) => usize::try_from(*x)
                .ok()
                .filter(|&i| i < len)
                .ok_or_else(|| format!("index out of range: {x}")),
            Tv::Nil => Err("cannot index slice/array with nil".to_string()),
            other => Err(format!(
                "cannot index slice/array with type {}",
                other.type_name()
            )),
        }
    }

    fn index(vals: &[Tv]) -> R<Tv> {
        let Some((item, idxs)) = vals.split_first() else {
            return Err("index of untyped nil".to_string());
        };
        if matches!(item, Tv::Nil) {
            return Err("index of untyped nil".to_string());
        }
        let mut item = item.clone();
        for ix in idxs {
            item = match &item {
                Tv::List(l) => l.get(index_arg(ix, l.len())?).cloned().unwrap_or(Tv::Nil),
                // Indexing a string gives a byte, printed as a number.
                Tv::Str(s) | Tv::Num(s) => {
                    let b = s
                        .as_bytes()
                        .get(index_arg(ix, s.len())?)
                        .copied()
                        .unwrap_or(0);
                    Tv::Int(i64::from(b))
                }
                // A missing key is the zero value, whatever missingkey says.
                Tv::Map(m) => match ix {
                    Tv::Str(k) => m.get(&**k).cloned().unwrap_or(Tv::Nil),
                    Tv::Nil => return Err("value is nil; should be of type string".to_string()),
                    other => {
                        return Err(format!(
                            "value has type {}; should be string",
                            other.type_name()
                        ));
                    }
                },
                Tv::Nil => return Err("index of nil pointer".to_string()),
                other => return Err(format!("can't index item of type {}", other.type_name())),
            };
        }
        Ok(item)
    }

    fn slice(vals: &[Tv]) -> R<Tv> {
        let Some((item, idxs)) = vals.split_first() else {
            return Err("slice of untyped nil".to_string());
        };
        if idxs.len() > 3 {
            return Err(format!("too many slice indexes: {}", idxs.len()));
        }
        let len = match item {
            Tv::Str(s) | Tv::Num(s) => {
                if idxs.len() == 3 {
                    return Err("cannot 3-index slice a string".to_string());
                }
                s.len()
            }
            Tv::List(l) => l.len(),
            Tv::Nil => return Err("slice of untyped nil".to_string()),
            other => return Err(format!("can't slice item of type {}", other.type_name())),
        };
        let mut idx = [0, len, len];
        for (slot, ix) in idx.iter_mut().zip(idxs) {
            // A slice bound may be the length itself.
            *slot = index_arg(ix, len + 1)?;
        }
        let [lo, hi, max] = idx;
        if lo > hi {
            return Err(format!("invalid slice index: {lo} > {hi}"));
        }
        if idxs.len() == 3 && hi > max {
            return Err(format!("invalid slice index: {hi} > {max}"));
        }
        Ok(match item {
            Tv::Str(s) | Tv::Num(s) => {
                let part = String::from_utf8_lossy(s.as_bytes().get(lo..hi).unwrap_or(&[]));
                let part: Rc<str> = part.into();
                if matches!(item, Tv::Num(_)) {
                    Tv::Num(part)
                } else {
                    Tv::Str(part)
                }
            }
            Tv::List(l) => Tv::List(Rc::new(l.get(lo..hi).unwrap_or(&[]).to_vec())),
            _ => Tv::Nil,
        })
    }

    // ---- Go's fmt ---------------------------------------------------------

    #[derive(Clone, Copy, Default)]
    struct Spec {
        plus: bool,
        minus: bool,
        sharp: bool,
        space: bool,
        zero: bool,
        width: Option<usize>,
        prec: Option<usize>,
    }

    /// `fmt.Sprint` of one value.
    fn fmt_v(v: &Tv) -> String {
        let mut s = String::new();
        fmt_value(&mut s, v, 'v', &Spec::default(), true);
        s
    }

    /// `fmt.Sprint`: a space between operands when neither is a string.
    fn sprint(vals: &[Tv]) -> String {
        let mut s = String::new();
        let mut prev_str = false;
        for (i, v) in vals.iter().enumerate() {
            let is_str = v.text().is_some();
            if i > 0 && !is_str && !prev_str {
                s.push(' ');
            }
            fmt_value(&mut s, v, 'v', &Spec::default(), true);
            prev_str = is_str;
        }
        s
    }

    /// `fmt.Sprintf`, for the verbs of Go's fmt on these values.
    fn sprintf(format: &str, args: &[Tv]) -> R<String> {
        let mut out = String::new();
        let mut argn = 0;
        let mut rest = format;
        while !rest.is_empty() {
            let Some(pct) = rest.find('%') else {
                out.push_str(rest);
                break;
            };
            out.push_str(rest.get(..pct).unwrap_or(""));
            rest = at(rest, pct + 1);
            let mut sp = Spec::default();
            while let Some(c) = rest.chars().next() {
                match c {
                    '#' => sp.sharp = true,
                    '0' => sp.zero = !sp.minus,
                    '+' => sp.plus = true,
                    '-' => {
                        sp.minus = true;
                        sp.zero = false;
                    }
                    ' ' => sp.space = true,
                    _ => break,
                }
                rest = at(rest, 1);
            }
            // Width, then precision: digits, or `*` taking an int argument.
            let mut star = |rest: &mut &str, out: &mut String, what: &str| -> Option<Option<i64>> {
                if !rest.starts_with('*') {
                    return None;
                }
                *rest = at(rest, 1);
                let v = match args.get(argn) {
                    Some(Tv::Int(n)) if n.unsigned_abs() <= MAX_FMT_NUM as u64 => Some(*n),
                    _ => {
                        out.push_str(what);
                        None
                    }
                };
                argn += 1;
                Some(v)
            };
            match star(&mut rest, &mut out, "%!(BADWIDTH)") {
                Some(Some(w)) => {
                    if w < 0 {
                        sp.minus = true;
                        sp.zero = false;
                    }
                    sp.width = usize::try_from(w.unsigned_abs()).ok();
                }
                Some(None) => {}
                None => match parse_num(&mut rest) {
                    Ok(w) => sp.width = w,
                    // A number too long swallows the rest, as Go's parsenum.
                    Err(()) => rest = "",
                },
            }
            if rest.starts_with('.') {
                rest = at(rest, 1);
                match star(&mut rest, &mut out, "%!(BADPREC)") {
                    Some(Some(p)) => sp.prec = usize::try_from(p).ok(),
                    Some(None) => {}
                    None => match parse_num(&mut rest) {
                        Ok(p) => sp.prec = Some(p.unwrap_or(0)),
                        Err(()) => rest = "",
                    },
                }
            }
            let Some(verb) = rest.chars().next() else {
                out.push_str("%!(NOVERB)");
                break;
            };
            rest = at(rest, verb.len_utf8());
            if verb == '%' {
                out.push('%');
                continue;
            }
            let Some(arg) = args.get(argn) else {
                let _ = write!(out, "%!{verb}(MISSING)");
                continue;
            };
            argn += 1;
            if verb == 'v' {
                // `%+v` and `%#v` are Go-syntax forms; here they print as %v.
                sp.plus = false;
                sp.sharp = false;
            }
            fmt_value(&mut out, arg, verb, &sp, true);
            if out.len() > MAX_OUTPUT {
                return Err(format!(
                    "result longer than {MAX_OUTPUT} bytes (Gavel's limit)"
                ));
            }
        }
        if let Some(extra) = args.get(argn..).filter(|e| !e.is_empty()) {
            out.push_str("%!(EXTRA ");
            for (i, a) in extra.iter().enumerate() {
                if i > 0 {
                    out.push_str(", ");
                }
                match a {
                    Tv::Nil => out.push_str("<nil>"),
                    a => {
                        let _ = write!(out, "{}={}", a.type_name(), fmt_v(a));
                    }
                }
            }
            out.push(')');
        }
        Ok(out)
    }

    /// Digits of a width or precision: None if there are none, Err past
    /// Go's limit.
    fn parse_num(rest: &mut &str) -> std::result::Result<Option<usize>, ()> {
        let n = rest.bytes().take_while(u8::is_ascii_digit).count();
        if n == 0 {
            return Ok(None);
        }
        let digits = rest.get(..n).unwrap_or("");
        *rest = at(rest, n);
        match digits.parse::<usize>() {
            Ok(v) if v <= MAX_FMT_NUM => Ok(Some(v)),
            _ => Err(()),
        }
    }

    /// One value under a verb, as Go's `fmt` prints it; `top` is an operand
    /// itself, not an element of one.
    fn fmt_value(out: &mut String, v: &Tv, verb: char, sp: &Spec, top: bool) {
        if verb == 'T' && top {
            return pad(out, v.type_name(), sp, false);
        }
        match v {
            Tv::Nil => {
                if top && verb != 'v' {
                    let _ = write!(out, "%!{verb}(<nil>)");
                } else {
                    pad(out, "<nil>", sp, false);
                }
            }
            Tv::Bool(b) => match verb {
                't' | 'v' => pad(out, if *b { "true" } else { "false" }, sp, false),
                _ => bad_verb(out, v, verb),
            },
            Tv::Int(i) => fmt_int(out, *i, verb, sp),
            Tv::Float(f) => fmt_float(out, *f, verb, sp),
            Tv::Str(s) | Tv::Num(s) => {
                if !fmt_str(out, s, verb, sp) {
                    bad_verb(out, v, verb);
                }
            }
            Tv::List(items) => {
                out.push('[');
                for (i, x) in items.iter().enumerate() {
                    if i > 0 {
                        out.push(' ');
                    }
                    deep(|| fmt_value(out, x, verb, sp, false));
                }
                out.push(']');
            }
            Tv::Map(m) => {
                out.push_str("map[");
                for (i, (k, x)) in m.iter().enumerate() {
                    if i > 0 {
                        out.push(' ');
                    }
                    if !fmt_str(out, k, verb, sp) {
                        bad_verb(out, &Tv::Str(Rc::from(k.as_str())), verb);
                    }
                    out.push(':');
                    deep(|| fmt_value(out, x, verb, sp, false));
                }
                out.push(']');
            }
        }
    }

    fn bad_verb(out: &mut String, v: &Tv, verb: char) {
        let _ = write!(out, "%!{verb}({}={})", v.type_name(), fmt_v(v));
    }

    /// Pads to the width: spaces, or zeros when `zero_ok` and asked for.
    fn pad(out: &mut String, s: &str, sp: &Spec, zero_ok: bool) {
        let n = s.chars().count();
        let fill = sp.width.unwrap_or(0).saturating_sub(n);
        if sp.minus {
            out.push_str(s);
            out.extend(std::iter::repeat_n(' ', fill));
        } else {
            let c = if zero_ok && sp.zero { '0' } else { ' ' };
            out.extend(std::iter::repeat_n(c, fill));
            out.push_str(s);
        }
    }

    /// A string under a verb; false if the verb is not one for strings.
    fn fmt_str(out: &mut String, s: &str, verb: char, sp: &Spec) -> bool {
        let truncated: String = match sp.prec {
            Some(p) => s.chars().take(p).collect(),
            None => s.to_string(),
        };
        match verb {
            'v' | 's' => pad(out, &truncated, sp, false),
            'q' => {
                let q = if sp.sharp && !truncated.contains(['`', '\n', '\r']) {
                    format!("`{truncated}`")
                } else {
                    go_quote(&truncated, sp.plus)
                };
                pad(out, &q, sp, false);
            }
            'x' | 'X' => {
                let bytes = match sp.prec {
                    Some(p) => s.as_bytes().get(..p).unwrap_or(s.as_bytes()),
                    None => s.as_bytes(),
                };
                let mut h = String::new();
                for (i, b) in bytes.iter().enumerate() {
                    if sp.space && i > 0 {
                        h.push(' ');
                    }
                    if sp.sharp && (sp.space || i == 0) {
                        h.push_str(if verb == 'x' { "0x" } else { "0X" });
                    }
                    let _ = if verb == 'x' {
                        write!(h, "{b:02x}")
                    } else {
                        write!(h, "{b:02X}")
                    };
                }
                pad(out, &h, sp, false);
            }
            _ => return false,
        }
        true
    }

    fn fmt_int(out: &mut String, v: i64, verb: char, sp: &Spec) {
        let (base, upper) = match verb {
            'v' | 'd' => (10, false),
            'b' => (2, false),
            'o' | 'O' => (8, false),
            'x' => (16, false),
            'X' => (16, true),
            'c' => {
                let c = u32::try_from(v)
                    .ok()
                    .and_then(char::from_u32)
                    .unwrap_or('\u{FFFD}');
                return pad(out, c.encode_utf8(&mut [0; 4]), sp, false);
            }
            'q' => {
                let c = u32::try_from(v)
                    .ok()
                    .and_then(char::from_u32)
                    .unwrap_or('\u{FFFD}');
                return pad(out, &go_quote_rune(c, sp.plus), sp, false);
            }
            'U' => {
                let mut s = format!("U+{:04X}", v);
                if sp.sharp
                    && let Some(c) = u32::try_from(v).ok().and_then(char::from_u32)
                {
                    let _ = write!(s, " '{c}'");
                }
                return pad(out, &s, sp, false);
            }
            _ => return bad_verb(out, &Tv::Int(v), verb),
        };
        let neg = v < 0;
        let u = v.unsigned_abs();
        let mut digits = match (base, upper) {
            (2, _) => format!("{u:b}"),
            (8, _) => format!("{u:o}"),
            (16, false) => format!("{u:x}"),
            (16, true) => format!("{u:X}"),
            _ => u.to_string(),
        };
        let min = match (sp.prec, sp.width) {
            (Some(0), _) if u == 0 => {
                // Precision 0 prints nothing for zero, only the padding.
                return pad(out, "", sp, false);
            }
            (Some(p), _) => p,
            (None, Some(w)) if sp.zero && !sp.minus => {
                w.saturating_sub(usize::from(neg || sp.plus || sp.space))
            }
            _ => 0,
        };
        if digits.len() < min {
            digits = "0".repeat(min - digits.len()) + &digits;
        }
        let mut s = String::new();
        if neg {
            s.push('-');
        } else if sp.plus {
            s.push('+');
        } else if sp.space {
            s.push(' ');
        }
        if sp.sharp {
            match base {
                2 => s.push_str("0b"),
                8 if !digits.starts_with('0') => s.push('0'),
                16 => s.push_str(if upper { "0X" } else { "0x" }),
                _ => {}
            }
        }
        if verb == 'O' {
            s.push_str("0o");
        }
        s.push_str(&digits);
        pad(out, &s, sp, false);
    }

    fn fmt_float(out: &mut String, v: f64, verb: char, sp: &Spec) {
        let a = v.abs();
        let body = if v.is_nan() {
            "NaN".to_string()
        } else if v.is_infinite() {
            "Inf".to_string()
        } else {
            match verb {
                'v' | 'g' => fmt_g(a, sp.prec, 'e'),
                'G' => fmt_g(a, sp.prec, 'E'),
                'e' | 'E' => fmt_e(a, sp.prec.unwrap_or(6), if verb == 'e' { 'e' } else { 'E' }),
                'f' | 'F' => format!("{:.*}", sp.prec.unwrap_or(6), a),
                _ => return bad_verb(out, &Tv::Float(v), verb),
            }
        };
        let sign = if v.is_sign_negative() && !v.is_nan() {
            "-"
        } else if sp.plus {
            "+"
        } else if sp.space {
            " "
        } else {
            ""
        };
        let finite = v.is_finite();
        let width = sp.width.unwrap_or(0);
        let len = sign.len() + body.len();
        if !sign.is_empty() && finite && sp.zero && !sp.minus && width > len {
            // Zero padding goes between the sign and the digits.
            out.push_str(sign);
            out.extend(std::iter::repeat_n('0', width - len));
            out.push_str(&body);
        } else {
            pad(out, &format!("{sign}{body}"), sp, finite);
        }
    }

    /// Decimal digits (no leading zeros but for zero itself) and the
    /// exponent of the first: shortest round-trip, or `prec` significant.
    fn float_digits(a: f64, prec: Option<usize>) -> (String, i32) {
        let s = match prec {
            None => format!("{a:e}"),
            Some(p) => format!("{:.*e}", p.saturating_sub(1), a),
        };
        let (mant, exp) = s.split_once('e').unwrap_or((&s, "0"));
        let mut digits: String = mant.chars().filter(char::is_ascii_digit).collect();
        while digits.len() > 1 && digits.ends_with('0') {
            digits.pop();
        }
        (digits, exp.parse().unwrap_or(0))
    }

    fn exp_suffix(e: char, exp: i32) -> String {
        format!(
            "{e}{}{:02}",
            if exp < 0 { '-' } else { '+' },
            exp.unsigned_abs()
        )
    }

    /// Go's `%e` with `prec` decimals.
    fn fmt_e(a: f64, prec: usize, e: char) -> String {
        let s = format!("{a:.prec$e}");
        let (mant, exp) = s.split_once('e').unwrap_or((&s, "0"));
        format!("{mant}{}", exp_suffix(e, exp.parse().unwrap_or(0)))
    }

    /// Go's `%g`: `%e` for large and small exponents, else `%f`, with no
    /// trailing zeros; shortest digits without a precision.
    fn fmt_g(a: f64, prec: Option<usize>, e: char) -> String {
        let p = prec.map(|p| p.max(1));
        let (digits, exp) = float_digits(a, p);
        let nd = i32::try_from(digits.len()).unwrap_or(i32::MAX);
        let dp = exp + 1;
        let eprec = match p {
            None => 6,
            Some(p) => {
                let p = i32::try_from(p).unwrap_or(i32::MAX);
                if p > nd && nd >= dp { nd } else { p }
            }
        };
        let digit = |i: i32| -> char {
            usize::try_from(i)
                .ok()
                .and_then(|i| digits.as_bytes().get(i))
                .map_or('0', |&b| char::from(b))
        };
        let mut s = String::new();
        if exp < -4 || exp >= eprec {
            s.push(digit(0));
            if nd > 1 {
                s.push('.');
                (1..nd).for_each(|i| s.push(digit(i)));
            }
            s.push_str(&exp_suffix(e, exp));
        } else {
            if dp > 0 {
                (0..dp).for_each(|i| s.push(digit(i)));
            } else {
                s.push('0');
            }
            let decimals = (nd - dp).max(0);
            if decimals > 0 {
                s.push('.');
                (0..decimals).for_each(|i| s.push(digit(dp + i)));
            }
        }
        s
    }

    /// Go's `unicode.IsPrint`, near enough: graphic characters and the
    /// ASCII space.
    fn go_printable(c: char) -> bool {
        if c == ' ' {
            return true;
        }
        let u = u32::from(c);
        !(c.is_control()
            || c.is_whitespace()
            || matches!(u, 0xAD | 0x200B..=0x200F | 0x2028..=0x202E | 0x2060..=0x206F | 0xFEFF)
            || (0xE000..=0xF8FF).contains(&u)
            || (0xE0000..=0xE007F).contains(&u)
            || u >= 0xF0000)
    }

    fn go_escape(out: &mut String, c: char, quote: char, ascii: bool) {
        match c {
            c if c == quote || c == '\\' => {
                out.push('\\');
                out.push(c);
            }
            c if go_printable(c) && (!ascii || c.is_ascii()) => out.push(c),
            '\u{7}' => out.push_str("\\a"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{b}' => out.push_str("\\v"),
            c if c < ' ' || c == '\u{7f}' => {
                let _ = write!(out, "\\x{:02x}", u32::from(c));
            }
            c if u32::from(c) < 0x10000 => {
                let _ = write!(out, "\\u{:04x}", u32::from(c));
            }
            c => {
                let _ = write!(out, "\\U{:08x}", u32::from(c));
            }
        }
    }

    /// Go's `strconv.Quote` (`QuoteToASCII` with `ascii`).
    fn go_quote(s: &str, ascii: bool) -> String {
        let mut out = String::with_capacity(s.len() + 2);
        out.push('"');
        for c in s.chars() {
            go_escape(&mut out, c, '"', ascii);
        }
        out.push('"');
        out
    }

    fn go_quote_rune(c: char, ascii: bool) -> String {
        let mut out = String::from("'");
        go_escape(&mut out, c, '\'', ascii);
        out.push('\'');
        out
    }

    /// Go's `%#U`, as its lexer errors show a character.
    fn go_rune(c: char) -> String {
        format!("U+{:04X} '{c}'", u32::from(c))
    }

    /// Go's `template.HTMLEscapeString`.
    fn html_escape(s: &str) -> String {
        let mut out = String::with_capacity(s.len());
        for c in s.chars() {
            match c {
                '"' => out.push_str("&#34;"),
                '\'' => out.push_str("&#39;"),
                '&' => out.push_str("&amp;"),
                '<' => out.push_str("&lt;"),
                '>' => out.push_str("&gt;"),
                '\0' => out.push('\u{FFFD}'),
                c => out.push(c),
            }
        }
        out
    }

    /// Go's `template.JSEscapeString`.
    fn js_escape(s: &str) -> String {
        let mut out = String::with_capacity(s.len());
        for c in s.chars() {
            match c {
                '\\' => out.push_str("\\\\"),
                '\'' => out.push_str("\\'"),
                '"' => out.push_str("\\\""),
                '<' => out.push_str("\\u003C"),
                '>' => out.push_str("\\u003E"),
                '&' => out.push_str("\\u0026"),
                '=' => out.push_str("\\u003D"),
                c if c < ' ' => {
                    let _ = write!(out, "\\u{:04X}", u32::from(c));
                }
                c if c.is_ascii() || go_printable(c) => out.push(c),
                c => {
                    let _ = write!(out, "\\u{:04X}", u32::from(c));
                }
            }
        }
        out
    }

    /// Go's `url.QueryEscape`.
    fn query_escape(s: &str) -> String {
        let mut out = String::with_capacity(s.len());
        for b in s.bytes() {
            match b {
                b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                    out.push(char::from(b));
                }
                b' ' => out.push('+'),
                b => {
                    let _ = write!(out, "%{b:02X}");
                }
            }
        }
        out
    }

    #[cfg(test)]
    pub(super) fn render_json(text: &str, vars: &str) -> R<String> {
        let vars = Value::from_json_str(vars).map_err(|e| e.to_string())?;
        render(text, &vars)
    }

    #[cfg(test)]
    pub(super) fn format_float(verb: char, prec: Option<usize>, v: f64) -> String {
        let mut s = String::new();
        let sp = Spec {
            prec,
            ..Spec::default()
        };
        fmt_float(&mut s, v, verb, &sp);
        s
    }
}

/// OPA's `regex.globs_match`, by the algorithm of
/// `github.com/yashtewari/glob-intersection`.
mod glob {
    use std::collections::HashMap;

    use super::deep;

    /// Flagged (`*`, `+`) tokens of both globs, after simplification: the
    /// search recurses about four levels for each.
    const MAX_FLAGGED: usize = 256;
    /// Token comparisons one answer may take.
    const MAX_STEPS: u64 = 4_000_000;

    #[derive(Clone, Debug, PartialEq)]
    enum Atom {
        Char(char),
        /// Any character.
        Dot,
        /// Sorted, merged ranges of code points (possibly none).
        Set(Vec<(u32, u32)>),
    }

    #[derive(Clone, Copy, Debug, PartialEq, Eq)]
    enum Flag {
        None,
        Plus,
        Star,
    }

    #[derive(Clone, Debug)]
    struct Token {
        atom: Atom,
        flag: Flag,
    }

    type R<T> = std::result::Result<T, String>;

    pub(super) fn non_empty(lhs: &str, rhs: &str) -> R<bool> {
        let g1 = new_glob(lhs)?;
        let g2 = new_glob(rhs)?;
        let Some((a, b)) = trim(&g1, &g2) else {
            return Ok(false);
        };
        let flagged = a.iter().chain(b).filter(|t| t.flag != Flag::None).count();
        if flagged > MAX_FLAGGED {
            return Err(format!(
                "more than {MAX_FLAGGED} flagged tokens to intersect (Gavel's limit)"
            ));
        }
        let mut search = Search {
            globs: [a, b],
            memo: HashMap::new(),
            steps: 0,
        };
        search.normal(View { g: 0, off: 0 }, View { g: 1, off: 0 })
    }

    fn new_glob(input: &str) -> R<Vec<Token>> {
        let runes: Vec<char> = input.chars().collect();
        Ok(simplify(tokenize(&runes)?))
    }

    fn invalid(input: &[char], pos: usize, msg: &str) -> String {
        let input: String = input.iter().collect();
        format!("input:{input}, pos:{pos}, {msg}: the input provided is invalid")
    }

    /// The rune at `i`: (next index, rune, escaped), None at the end.
    fn next_rune(input: &[char], i: usize) -> R<Option<(usize, char, bool)>> {
        match input.get(i) {
            None => Ok(None),
            Some('\\') => match input.get(i + 1) {
                Some(&c) => Ok(Some((i + 2, c, true))),
                None => Err(invalid(input, i, "input ends with a \\ (escape) character")),
            },
            Some(&c) => Ok(Some((i + 1, c, false))),
        }
    }

    fn tokenize(input: &[char]) -> R<Vec<Token>> {
        let mut tokens = Vec::new();
        let mut i = 0;
        while let Some((mut next, r, escaped)) = next_rune(input, i)? {
            let atom = match r {
                _ if escaped => Atom::Char(r),
                '.' => Atom::Dot,
                ']' => return Err(invalid(input, next, "set-close ']' with no preceding '['")),
                '[' => {
                    let (after, set) = token_set(input, next)?;
                    next = after;
                    set
                }
                '+' | '*' => {
                    let msg = format!("flag '{r}' must be preceded by a non-flag");
                    return Err(invalid(input, next, &msg));
                }
                c => Atom::Char(c),
            };
            // An unescaped flag right after the token applies to it.
            let flag = match next_rune(input, next)? {
                Some((after, '+', false)) => {
                    next = after;
                    Flag::Plus
                }
                Some((after, '*', false)) => {
                    next = after;
                    Flag::Star
                }
                _ => Flag::None,
            };
            tokens.push(Token { atom, flag });
            i = next;
        }
        Ok(tokens)
    }

    /// A class after its `[`: the index after its `]` and the set.
    fn token_set(input: &[char], start: usize) -> R<(usize, Atom)> {
        let mut ranges = Vec::new();
        let mut prev: Option<char> = None;
        let mut i = start;
        while let Some((next, r, escaped)) = next_rune(input, i)? {
            i = next;
            match r {
                ']' if !escaped => return Ok((i, Atom::Set(normalize(ranges)))),
                '-' if !escaped => {
                    let Some(from) = prev else {
                        let msg = "range character '-' must be preceded by a Unicode character";
                        return Err(invalid(input, i, msg));
                    };
                    let followed = i + 1 < input.len();
                    let Some((after, to, esc)) = next_rune(input, i)?.filter(|_| followed) else {
                        let msg = "range character '-' must be followed by a Unicode character";
                        return Err(invalid(input, i, msg));
                    };
                    i = after;
                    if !esc && (to == ']' || to == '-') {
                        let msg = "range character '-' cannot be followed by a special symbol";
                        return Err(invalid(input, i, msg));
                    }
                    if to < from {
                        let msg = format!(
                            "range is out of order: '{to}' comes before '{from}' in Unicode"
                        );
                        return Err(invalid(input, i, &msg));
                    }
                    ranges.push((u32::from(from), u32::from(to)));
                    prev = None;
                }
                c => {
                    ranges.push((u32::from(c), u32::from(c)));
                    prev = Some(c);
                }
            }
        }
        Err(invalid(input, input.len(), "found [ without matching ]"))
    }

    fn normalize(mut ranges: Vec<(u32, u32)>) -> Vec<(u32, u32)> {
        ranges.sort_unstable();
        let mut out: Vec<(u32, u32)> = Vec::with_capacity(ranges.len());
        for (lo, hi) in ranges {
            match out.last_mut() {
                Some(last) if lo <= last.1.saturating_add(1) => last.1 = last.1.max(hi),
                _ => out.push((lo, hi)),
            }
        }
        out
    }

    /// Adjacent equal flagged tokens merge: `t*t*` is `t*`, `t+t*` is `t+`.
    fn simplify(tokens: Vec<Token>) -> Vec<Token> {
        let mut out: Vec<Token> = Vec::with_capacity(tokens.len());
        for t in tokens {
            if let Some(last) = out.last_mut()
                && t.flag != Flag::None
                && last.flag != Flag::None
                && t.atom == last.atom
            {
                if t.flag == Flag::Plus {
                    last.flag = Flag::Plus;
                }
                continue;
            }
            out.push(t);
        }
        out
    }

    /// Whether two tokens share a character, flags aside. A dot matches
    /// any class, even an empty one, as the Go package has it.
    fn matches(a: &Token, b: &Token) -> bool {
        match (&a.atom, &b.atom) {
            (Atom::Dot, _) | (_, Atom::Dot) => true,
            (Atom::Char(x), Atom::Char(y)) => x == y,
            (Atom::Char(c), Atom::Set(s)) | (Atom::Set(s), Atom::Char(c)) => {
                let c = u32::from(*c);
                s.iter().any(|&(lo, hi)| lo <= c && c <= hi)
            }
            (Atom::Set(x), Atom::Set(y)) => {
                let (mut i, mut j) = (0, 0);
                while let (Some(&(a0, a1)), Some(&(b0, b1))) = (x.get(i), y.get(j)) {
                    if a0 <= b1 && b0 <= a1 {
                        return true;
                    }
                    if a1 < b1 {
                        i += 1;
                    } else {
                        j += 1;
                    }
                }
                false
            }
        }
    }

    /// Drops the equal unflagged prefix and suffix, keeping one token of
    /// each (the algorithm needs non-empty globs); None on a mismatch.
    fn trim<'g>(g1: &'g [Token], g2: &'g [Token]) -> Option<(&'g [Token], &'g [Token])> {
        let unflagged = |t: &Token| t.flag == Flag::None;
        let mut l = 0;
        while let (Some(a), Some(b)) = (g1.get(l), g2.get(l)) {
            if !(unflagged(a) && unflagged(b)) {
                break;
            }
            if !matches(a, b) {
                return None;
            }
            l += 1;
        }
        l = l.saturating_sub(1);
        // Ends as lengths: the suffix trimmed is g1[e1..], g2[e2..].
        let (mut e1, mut e2) = (g1.len(), g2.len());
        while e1 > l && e2 > l {
            let (Some(a), Some(b)) = (g1.get(e1 - 1), g2.get(e2 - 1)) else {
                break;
            };
            if !(unflagged(a) && unflagged(b)) {
                break;
            }
            if !matches(a, b) {
                return None;
            }
            e1 -= 1;
            e2 -= 1;
        }
        if e1 < g1.len() {
            e1 += 1;
            e2 += 1;
        }
        match (g1.get(l..e1), g2.get(l..e2)) {
            (Some(a), Some(b)) => Some((a, b)),
            _ => None,
        }
    }

    /// A glob from a token on.
    #[derive(Clone, Copy)]
    struct View {
        g: usize,
        off: usize,
    }

    impl View {
        fn skip(self, n: usize) -> View {
            View {
                g: self.g,
                off: self.off + n,
            }
        }
    }

    #[derive(Clone, Copy, PartialEq, Eq, Hash)]
    enum Step {
        Normal,
        Special,
        Plus,
        Star,
    }

    /// The search, memoized on (step, first glob, offsets): each answer
    /// depends on those alone, and hostile globs would otherwise take
    /// exponential time.
    struct Search<'g> {
        globs: [&'g [Token]; 2],
        memo: HashMap<(Step, usize, usize, usize), bool>,
        steps: u64,
    }

    impl<'g> Search<'g> {
        fn tokens(&self, v: View) -> &'g [Token] {
            self.globs
                .get(v.g)
                .and_then(|g| g.get(v.off..))
                .unwrap_or(&[])
        }

        fn tick(&mut self) -> R<()> {
            self.steps += 1;
            if self.steps > MAX_STEPS {
                return Err(format!(
                    "globs take more than {MAX_STEPS} steps to intersect (Gavel's limit)"
                ));
            }
            Ok(())
        }

        fn memo(
            &mut self,
            step: Step,
            x: View,
            y: View,
            f: impl FnOnce(&mut Self) -> R<bool>,
        ) -> R<bool> {
            let key = (step, x.g, x.off, y.off);
            if let Some(&known) = self.memo.get(&key) {
                return Ok(known);
            }
            let answer = deep(|| f(self))?;
            self.memo.insert(key, answer);
            Ok(answer)
        }

        /// Matches token by token until a flagged one.
        fn normal(&mut self, x: View, y: View) -> R<bool> {
            self.memo(Step::Normal, x, y, |s| {
                let (tx, ty) = (s.tokens(x), s.tokens(y));
                let mut k = 0;
                while let (Some(a), Some(b)) = (tx.get(k), ty.get(k)) {
                    s.tick()?;
                    if a.flag != Flag::None || b.flag != Flag::None {
                        return s.special(x.skip(k), y.skip(k));
                    }
                    if !matches(a, b) {
                        return Ok(false);
                    }
                    k += 1;
                }
                Ok(k == tx.len() && k == ty.len())
            })
        }

        fn special(&mut self, x: View, y: View) -> R<bool> {
            self.memo(Step::Special, x, y, |s| {
                let flag = |v: View| s.tokens(v).first().map_or(Flag::None, |t| t.flag);
                Ok(match (flag(x), flag(y)) {
                    (Flag::Plus, _) => s.plus(x, y)?,
                    (Flag::Star, _) => s.star(x, y)?,
                    (_, Flag::Plus) => s.plus(y, x)?,
                    (_, Flag::Star) => s.star(y, x)?,
                    _ => false,
                })
            })
        }

        /// `p` starts with `t+`: `t` must match the other's first token.
        fn plus(&mut self, p: View, o: View) -> R<bool> {
            self.memo(Step::Plus, p, o, |s| {
                let (Some(p0), Some(o0)) = (s.tokens(p).first(), s.tokens(o).first()) else {
                    return Ok(false);
                };
                if !matches(p0, o0) {
                    return Ok(false);
                }
                // Either `t+` swallowed it and goes on as `t*`...
                if s.star(p, o.skip(1))? {
                    return Ok(true);
                }
                // ...or a flagged first token of the other swallows `t+`.
                Ok(o0.flag != Flag::None && s.normal(p.skip(1), o)?)
            })
        }

        /// `st` starts with `t*`: it swallows the other's tokens while they
        /// match `t`, trying the rest of `st` wherever its next token fits.
        fn star(&mut self, st: View, o: View) -> R<bool> {
            self.memo(Step::Star, st, o, |s| {
                let ts = s.tokens(st);
                let (Some(star), next) = (ts.first(), ts.get(1)) else {
                    return Ok(false);
                };
                for (i, t) in s.tokens(o).iter().enumerate() {
                    s.tick()?;
                    if let Some(n) = next
                        && matches(t, n)
                        && s.normal(st.skip(1), o.skip(i))?
                    {
                        return Ok(true);
                    }
                    if !matches(t, star) {
                        return Ok(false);
                    }
                }
                Ok(next.is_none())
            })
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::extra_builtins::with_code;

    fn s(v: &str) -> Value {
        Value::from(v)
    }

    fn render(text: &str, vars: &str) -> String {
        template::render_json(text, vars).unwrap_or_else(|e| panic!("{text}: {e}"))
    }

    fn render_err(text: &str, vars: &str) -> String {
        match template::render_json(text, vars) {
            Ok(out) => panic!("{text}: rendered {out:?}"),
            Err(e) => e,
        }
    }

    /// OPA's own cases (v1/test/cases/testdata/v1/rendertemplate).
    #[test]
    fn renders_opa_cases() {
        assert_eq!(
            render("{{.test}}", r#"{"test": "hello world"}"#),
            "hello world"
        );
        assert_eq!(render("{{.test}}", r#"{"test": 2023}"#), "2023");
        assert_eq!(
            render(
                "{{range $i, $name := .hellonames}}{{if $i}},{{end}}hello {{$name}}{{end}}",
                r#"{"hellonames": ["rohan", "john doe"]}"#
            ),
            "hello rohan,hello john doe"
        );
        assert_eq!(
            render_err("{{.testvarnotprovided}}", r#"{"test": "hello world"}"#),
            "template: template:1:2: executing \"template\" at <.testvarnotprovided>: \
             map has no entry for key \"testvarnotprovided\""
        );
    }

    #[test]
    fn the_builtin_checks_operands_and_codes_errors() {
        let vars = Value::from_json_str(r#"{"a": {"b": [1, 2.5, "x", null, true]}}"#).unwrap();
        assert_eq!(
            call("strings.render_template", &[s("{{.a.b}} {{.a}}"), vars]).unwrap(),
            s("[1 2.5 x <nil> true] map[b:[1 2.5 x <nil> true]]")
        );
        let err = call("strings.render_template", &[s("{{.}}"), s("x")]).unwrap_err();
        assert_eq!(
            with_code(err).to_string(),
            "eval_type_error: strings.render_template: operand 2 must be object but got string"
        );
        let err = call(
            "strings.render_template",
            &[s("{{.x}}"), Value::from_json_str("{}").unwrap()],
        )
        .unwrap_err();
        assert!(
            with_code(err)
                .to_string()
                .starts_with("eval_builtin_error: strings.render_template: template:")
        );
    }

    #[test]
    fn fields_variables_and_control() {
        let vars = r#"{"a": {"b": {"c": "deep"}}, "xs": ["p", "q", "r"], "m": {"z": 1, "y": 2},
                       "empty": [], "t": true, "f": false, "n": null, "s": ""}"#;
        let cases = [
            ("{{.a.b.c}}", "deep"),
            ("{{$x := .a.b}}{{$x.c}}", "deep"),
            ("{{$.a.b.c}}", "deep"),
            ("{{range .xs}}{{.}}{{end}}", "pqr"),
            ("{{range $v := .xs}}{{$v}}{{end}}", "pqr"),
            ("{{range $k, $v := .m}}{{$k}}={{$v}};{{end}}", "y=2;z=1;"),
            ("{{range .empty}}x{{else}}none{{end}}", "none"),
            ("{{range .n}}x{{else}}nil{{end}}", "nil"),
            ("{{range 3}}{{.}}{{end}}", "012"),
            (
                "{{range .xs}}{{if eq . \"q\"}}{{break}}{{end}}{{.}}{{end}}",
                "p",
            ),
            (
                "{{range .xs}}{{if eq . \"q\"}}{{continue}}{{end}}{{.}}{{end}}",
                "pr",
            ),
            ("{{if .f}}a{{else if .t}}b{{else}}c{{end}}", "b"),
            ("{{if .s}}a{{else if .n}}b{{else}}c{{end}}", "c"),
            ("{{with .a.b}}{{.c}}{{end}}", "deep"),
            ("{{with .empty}}x{{else with .xs}}{{index . 1}}{{end}}", "q"),
            ("{{with $y := .a}}{{$y.b.c}}{{end}}", "deep"),
            ("{{$c := 0}}{{range .xs}}{{$c = .}}{{end}}{{$c}}", "r"),
            ("a  {{- .a.b.c -}}  b", "adeepb"),
            ("a {{/* note */}} b", "a  b"),
            ("a {{- /* note */ -}} b", "ab"),
            ("{{.n}}", "<no value>"),
            ("{{print .n}}", "<nil>"),
            ("{{.m}}", "map[y:2 z:1]"),
            ("{{.xs}}", "[p q r]"),
            ("{{len .xs}} {{len .m}} {{len \"héllo\"}}", "3 2 6"),
            (
                "{{index .xs 2}}{{index .m \"y\"}}{{index .m \"w\"}}",
                "r2<no value>",
            ),
            ("{{slice .xs 1}} {{slice \"hello\" 1 3}}", "[q r] el"),
            ("{{.xs | len}}", "3"),
            ("{{\"a\" | printf \"%s-%s\" \"b\"}}", "b-a"),
            ("{{(index .xs 0) | printf \"%q\"}}", "\"p\""),
            (
                "{{and .t .s \"z\"}}|{{or .f .s \"z\"}}|{{not .f}}",
                "|z|true",
            ),
            (
                "{{define \"row\"}}<{{.}}>{{end}}{{range .xs}}{{template \"row\" .}}{{end}}",
                "<p><q><r>",
            ),
            ("{{block \"b\" .xs}}{{len .}}{{end}}", "3"),
            (
                "{{1.5}} {{1e6}} {{100000.0}} {{0x1F}} {{017}} {{'a'}} {{-3}}",
                "1.5 1e+06 100000 31 15 97 -3",
            ),
            ("{{`raw\\n`}}", "raw\\n"),
            (
                "{{$x := 1}}{{if true}}{{$x = 2}}{{$y := 3}}{{end}}{{$x}}",
                "2",
            ),
            (
                "{{print 1.5 2 \"s\" 3}} {{printf \"%.1f|%v\" 2 1.0}}",
                "1.5 2s3 %!f(int=2)|1",
            ),
            ("{{.xs | and .t}} {{.s | or .f}}", "[p q r] "),
            ("{{\"tab\\there\"}}", "tab\there"),
        ];
        for (t, want) in cases {
            assert_eq!(render(t, vars), want, "{t}");
        }
    }

    /// Numbers reach the template as json.Number: a string to Go.
    #[test]
    fn numbers_are_json_numbers() {
        let vars = r#"{"n": 5, "m": 0, "f": 1.5, "big": 12345678901234567890}"#;
        assert_eq!(render("{{if .m}}yes{{end}}", vars), "yes");
        assert_eq!(render("{{eq .n \"5\"}}", vars), "true");
        assert_eq!(
            render("{{printf \"%d|%v|%s\" .n .n .n}}", vars),
            "%!d(json.Number=5)|5|5"
        );
        assert_eq!(render("{{gt .n.Int64 3}} {{.f.Float64}}", vars), "true 1.5");
        assert_eq!(render("{{.big}}", vars), "12345678901234567890");
        assert_eq!(render("{{print .n .m}} {{print 1 2}}", vars), "50 1 2");
        assert!(
            render_err("{{eq .n 5}}", vars)
                .ends_with("error calling eq: incompatible types for comparison")
        );
        assert!(render_err("{{lt .n 5}}", vars).ends_with("incompatible types for comparison"));
        assert!(
            render_err("{{.f.Int64}}", vars)
                .contains("strconv.ParseInt: parsing \"1.5\": invalid syntax")
        );
    }

    #[test]
    fn printf_as_go_fmt() {
        let cases = [
            (
                "{{printf \"%5d|%-5d|%05d|%x|%X|%o|%b|%c|%U\" 42 42 -42 255 255 8 5 65 65}}",
                "   42|42   |-0042|ff|FF|10|101|A|U+0041",
            ),
            (
                "{{printf \"%.2f|%8.3f|%e|%g|%v\" 3.14159 2.5 1234.5678 0.000012345 100000000.0}}",
                "3.14|   2.500|1.234568e+03|1.2345e-05|1e+08",
            ),
            (
                "{{printf \"%s|%10s|%-4s|%.2s|%q\" \"go\" \"right\" \"l\" \"trunc\" \"q\\\"\"}}",
                "go|     right|l   |tr|\"q\\\"\"",
            ),
            (
                "{{printf \"%t|%v|%d\" true false \"s\"}}",
                "true|false|%!d(string=s)",
            ),
            ("{{printf \"%d %d\" 1}}", "1 %!d(MISSING)"),
            ("{{printf \"%d\" 1 2}}", "1%!(EXTRA int=2)"),
            ("{{printf \"100%%\"}}", "100%"),
            ("{{printf \"%\"}}", "%!(NOVERB)"),
            ("{{printf \"%v\" .}}", "map[k:[a 1]]"),
            ("{{printf \"%s\" .k}}", "[a 1]"),
            ("{{printf \"%d\" .k}}", "[%!d(string=a) %!d(json.Number=1)]"),
            ("{{printf \"%v %s\" nil nil}}", "<nil> %!s(<nil>)"),
            ("{{printf \"%x\" \"hi\"}}", "6869"),
            ("{{printf \"%T %T\" 1 .k}}", "int []interface {}"),
            ("{{printf \"%*d|%.*f\" 4 7 1 2.25}}", "   7|2.2"),
        ];
        for (t, want) in cases {
            assert_eq!(render(t, r#"{"k": ["a", 1]}"#), want, "{t}");
        }
        assert_eq!(template::format_float('v', None, 1234567.0), "1.234567e+06");
        assert_eq!(template::format_float('v', None, 123456.0), "123456");
        assert_eq!(template::format_float('v', None, 0.0001), "0.0001");
        assert_eq!(template::format_float('v', None, 0.00001), "1e-05");
        assert_eq!(template::format_float('g', Some(3), 1234.0), "1.23e+03");
        assert_eq!(template::format_float('g', Some(5), 1234.0), "1234");
        assert_eq!(template::format_float('E', Some(2), -0.5), "-5.00E-01");
    }

    #[test]
    fn escapers() {
        assert_eq!(
            render(
                "{{html .s}}|{{js .s}}|{{urlquery .s}}",
                r#"{"s": "<a href='x'>&\"b\"</a> =é"}"#
            ),
            "&lt;a href=&#39;x&#39;&gt;&amp;&#34;b&#34;&lt;/a&gt; =é|\
             \\u003Ca href\\u003D\\'x\\'\\u003E\\u0026\\\"b\\\"\\u003C/a\\u003E \\u003Dé|\
             %3Ca+href%3D%27x%27%3E%26%22b%22%3C%2Fa%3E+%3D%C3%A9"
        );
        assert_eq!(render("{{js \"a\\nb\"}}", "{}"), "a\\u000Ab");
        assert_eq!(render("{{html 1 2}}", "{}"), "1 2");
    }

    #[test]
    fn errors_as_go() {
        let vars = r#"{"a": {"b": null}, "s": "x", "xs": [1]}"#;
        let cases = [
            (
                "{{.a.c}}",
                "template: template:1:2: executing \"template\" at <.a.c>: map has no entry for key \"c\"",
            ),
            (
                "{{.a.b.c}}",
                "template: template:1:2: executing \"template\" at <.a.b.c>: nil pointer evaluating interface {}.c",
            ),
            (
                "\n{{.s.x}}",
                "template: template:2:2: executing \"template\" at <.s.x>: can't evaluate field x in type string",
            ),
            (
                "{{index .xs 5}}",
                "template: template:1:2: executing \"template\" at <index .xs 5>: error calling index: index out of range: 5",
            ),
            (
                "{{len 3}}",
                "template: template:1:2: executing \"template\" at <len 3>: error calling len: len of type int",
            ),
            (
                "{{range .s}}{{end}}",
                "template: template:1:8: executing \"template\" at <.s>: range can't iterate over x",
            ),
            (
                "{{template \"nope\"}}",
                "template: template:1:11: executing \"template\" at <\"nope\">: template \"nope\" not defined",
            ),
            (
                "{{.s 1}}",
                "template: template:1:2: executing \"template\" at <.s>: s is not a method but has arguments",
            ),
            (
                "{{nil}}",
                "template: template:1:2: executing \"template\" at <nil>: nil is not a command",
            ),
            (
                "{{eq}}",
                "template: template:1:2: executing \"template\" at <eq>: wrong number of args for eq: want at least 1 got 0",
            ),
            (
                "{{foo}}",
                "template: template:1: function \"foo\" not defined",
            ),
            ("{{$x}}", "template: template:1: undefined variable \"$x\""),
            ("{{if .s}}", "template: template:1: unexpected EOF"),
            ("{{end}}", "template: template:1: unexpected {{end}}"),
            ("{{.s", "template: template:1: unclosed action"),
            (
                "{{ /* c */ }}",
                "template: template:1: unexpected \"/\" in command",
            ),
            (
                "{{break}}",
                "template: template:1: {{break}} outside {{range}}",
            ),
            (
                "{{range $i, $v, $w := .xs}}{{end}}",
                "template: template:1: too many declarations in range",
            ),
            ("{{}}", "template: template:1: missing value for command"),
            (
                "{{.s | 1}}",
                "template: template:1: non executable command in pipeline stage 2",
            ),
            ("{{\"a\\q\"}}", "template: template:1: invalid syntax"),
            ("{{3x}}", "template: template:1: bad number syntax: \"3x\""),
            (
                "{{define \"a\"}}1{{end}}{{define \"a\"}}2{{end}}",
                "template: template:1: template: multiple definition of template \"a\"",
            ),
        ];
        for (t, want) in cases {
            assert_eq!(render_err(t, vars), want, "{t}");
        }
        assert!(render_err("{{.s.x 1}}", vars).ends_with("can't evaluate field x in type string"));
    }

    /// What OPA's JSON decoding of the Rego text refuses.
    #[test]
    fn vars_as_opa_decodes_them() {
        let with = |v: Value| {
            let vars = Value::from_json_str("{}").unwrap();
            let mut obj = vars.as_object().unwrap().clone();
            obj.insert(s("k"), v);
            template::render("{{.}}", &Value::from(obj)).unwrap_err()
        };
        let set = [s("a"), s("b")]
            .into_iter()
            .collect::<std::collections::BTreeSet<Value>>();
        assert_eq!(
            with(Value::from(set)),
            "invalid character ',' after object key"
        );
        let empty = std::collections::BTreeSet::<Value>::new();
        assert_eq!(
            with(Value::from(empty)),
            "invalid character 's' looking for beginning of value"
        );
        assert_eq!(
            with(s("bell\u{7}")),
            "invalid character 'a' in string escape code"
        );
        let mut numeric_key = Value::from_json_str("{}")
            .unwrap()
            .as_object()
            .unwrap()
            .clone();
        numeric_key.insert(Value::from(1), s("x"));
        assert_eq!(
            template::render("{{.}}", &Value::from(numeric_key)).unwrap_err(),
            "invalid character '1' looking for beginning of object key string"
        );
    }

    /// Hostile templates stop at Gavel's bounds instead of hanging.
    #[test]
    fn bounded() {
        let err = render_err("{{range 1000000000}}{{end}}", "{}");
        assert!(err.contains("steps (Gavel's limit)"), "{err}");
        let err = render_err(
            "{{$s := \"xxxxxxxxxxxxxxxx\"}}{{range 40}}{{$s = printf \"%s%s\" $s $s}}{{end}}",
            "{}",
        );
        assert!(err.contains("Gavel's limit"), "{err}");
        let err = render_err("{{range 100000000}}{{printf \"%1000000d\" 1}}{{end}}", "{}");
        assert!(err.contains("output longer than"), "{err}");
        let deep = "(".repeat(500) + "1" + &")".repeat(500);
        let err = render_err(&format!("{{{{{deep}}}}}"), "{}");
        assert!(err.contains("max expression depth exceeded"), "{err}");
        let err = render_err(
            "{{define \"r\"}}{{template \"r\" .}}{{end}}{{template \"r\" .}}",
            "{}",
        );
        assert!(err.contains("exceeded maximum template depth"), "{err}");
        assert!(
            render_err(&"{{if 1}}".repeat(300), "{}").contains("max expression depth exceeded")
        );
        // No input makes it panic.
        for t in [
            "{{",
            "}}",
            "{{-",
            "{{- -}}",
            "{{'",
            "{{'\\",
            "{{\"\\",
            "{{`",
            "{{$",
            "{{.",
            "{{0x",
            "{{'\\x1'}}",
            "{{((}}",
            "{{)}}",
            "{{range $a,}}{{end}}",
            "{{/*",
            "{{else}}",
            "{{define}}",
            "{{template}}",
            "{{block \"x\"}}",
        ] {
            let _ = template::render_json(t, "{}");
        }
    }

    /// The deepest inputs the bounds let through run on a small stack
    /// (regorus evaluates on 2 MiB threads, and is itself deep by then).
    #[test]
    fn deep_inputs_fit_a_small_stack() {
        std::thread::Builder::new()
            .stack_size(256 << 10)
            .spawn(|| {
                let nested = "{{if 1}}".repeat(99) + "x" + &"{{end}}".repeat(99);
                assert_eq!(render(&nested, "{}"), "x");
                let parens = "(".repeat(99) + "1" + &")".repeat(99);
                assert_eq!(render(&format!("{{{{{parens}}}}}"), "{}"), "1");
                let mut deep = Value::from(Vec::<Value>::new());
                for _ in 0..500 {
                    deep = Value::from(vec![deep]);
                }
                let mut vars = Value::from_json_str("{}")
                    .unwrap()
                    .as_object()
                    .unwrap()
                    .clone();
                vars.insert(s("xs"), deep);
                let vars = Value::from(vars);
                let printed = template::render("{{.}}", &vars).unwrap();
                assert_eq!(printed.len(), "map[xs:]".len() + 1002);
                let recursive = "{{define \"r\"}}{{range .}}{{template \"r\" .}}{{end}}{{end}}\
                                 {{template \"r\" .xs}}";
                let err = template::render(recursive, &vars).unwrap_err();
                assert!(err.contains("exceeded maximum template depth"), "{err}");
                let stars = "a*b*".repeat(64) + "c";
                assert!(!glob::non_empty(&stars, &("ab".repeat(64) + "d")).unwrap());
            })
            .unwrap()
            .join()
            .expect("ran without overflowing its stack");
    }

    fn globs(a: &str, b: &str) -> bool {
        glob::non_empty(a, b).unwrap_or_else(|e| panic!("{a} ~ {b}: {e}"))
    }

    /// The cases of glob-intersection's own tests and of OPA's.
    #[test]
    fn globs_intersect_as_opa() {
        let non_empty: &[(&str, &[&str])] = &[
            ("abcd", &["abcd", "....", "[a-d]*"]),
            ("pqrs", &[".qrs", "p.rs", "pq.s", "pqr."]),
            (".*", &["asdklfj", "jasdfh", "asdhfajfh", "asdflkasdfjl"]),
            ("d*", &["[abcd][abcd]", "d[a-z]+", ".....", "[d]*"]),
            ("[a-p]+", &["[p-z]+", "apapapaapapapap", ".*", "abcdefgh*"]),
            (
                "abcd[a-c]z+",
                &["abcd[b-d][yz]*", "abcdazzzz", "abcdbzzz", "abcdcz"],
            ),
            (r".*\\", &[".*", r"asdfasdf\\"]),
            (".a.a", &["b.b.", "c.c.", "d.d.", "e.e."]),
            (
                ".*.*.*.*.*.*.*.*.*.*.*.*.*.*.*",
                &[".*.*.*.*.*.*.*.*.*.*.*"],
            ),
            ("foo.*bar", &["foobar", "fooalkdsjfbar"]),
            ("[ab]+c", &["[bc]+", "[bc]*"]),
            ("a.a.[0-9]+z", &[".b.b2359825792*594823z"]),
            (r"[a-z]+\[[0-9]+\]", &[r"foo\[1\]"]),
        ];
        for (lhs, rhss) in non_empty {
            for rhs in *rhss {
                assert!(globs(lhs, rhs), "{lhs} ~ {rhs}");
            }
        }
        let empty: &[(&str, &[&str])] = &[
            ("abcd", &["lsdfhda", "abcdla", "asdlfk", "ksdfj"]),
            ("[a-d]+", &["xyz", "p+", "[e-f]+"]),
            ("[0-9]*", &["[a-z]", r".\*"]),
            ("mamama.*", &["dadada.*", "nanana.*"]),
            (".*mamama", &[".*dadada", ".*nanana"]),
            (".xyz.", &["paaap", ".*pqr.*"]),
            ("ab+", &["a", "b", "abc"]),
            (".*.*.*.*f", &[".*.*.*.*g"]),
            (".*", &[""]),
            ("[a-z]+", &["[0-9]*"]),
            (r"[a-z]+\[[0-9]+\]", &["foo[\"bar\"]"]),
        ];
        for (lhs, rhss) in empty {
            for rhs in *rhss {
                assert!(!globs(lhs, rhs), "{lhs} !~ {rhs}");
            }
        }
        assert_eq!(
            call("regex.globs_match", &[s("b.*"), s("bar")]).unwrap(),
            Value::from(true)
        );
    }

    #[test]
    fn invalid_globs_are_errors() {
        for g in [
            "\\",
            "+",
            "abcd\\",
            "\\[]",
            "abcd[asdjfl",
            "abcd[",
            "abcd]",
            "abcd]asdf",
            "[120-9-4]+",
            "[a-z]++",
            "[][",
            "][[",
            "pq[a-]",
            "[a-z",
            "[123a-z-]",
            "\\.**",
            "[z-a]",
        ] {
            assert!(glob::non_empty(g, "a").is_err(), "{g}");
        }
        assert_eq!(
            glob::non_empty("ab[c", "a").unwrap_err(),
            "input:ab[c, pos:4, found [ without matching ]: the input provided is invalid"
        );
        assert_eq!(
            glob::non_empty("a", "*a").unwrap_err(),
            "input:*a, pos:1, flag '*' must be preceded by a non-flag: the input provided is invalid"
        );
        let err = with_code(call("regex.globs_match", &[s("[z-a]"), s("a")]).unwrap_err());
        assert_eq!(
            err.to_string(),
            "eval_builtin_error: regex.globs_match: input:[z-a], pos:4, range is out of order: \
             'a' comes before 'z' in Unicode: the input provided is invalid"
        );
        assert!(glob::non_empty(&"a*b*".repeat(150), "b").is_err());
    }

    /// Many stars against many stars: memoized, it answers at once.
    #[test]
    fn globs_search_is_bounded() {
        let a = ".*a".repeat(100) + "b";
        let b = ".*a".repeat(100) + "c";
        assert!(!globs(&a, &b));
        let c = "[ab]*".repeat(120) + "c";
        assert!(globs(&c, &("a".repeat(2000) + "c")));
    }
}
