//! A recursive-descent parser for OPA's Rego grammar, v0 and v1 (OPA's
//! `v1/ast/parser.go` is the reference). One pass, no backtracking: a
//! comprehension is told from a literal by the token after its first term,
//! as OPA does, so parse time is linear in the source whatever the nesting.
//! Nesting is bounded ([`MAX_NESTING`]) so hostile input is refused with
//! its place instead of exhausting the stack.

use super::SyntaxError;
use super::ast::*;
use super::lexer::{Token, TokenKind, tokenize};

/// Terms, brackets, bodies and operators open at once. A person writes a
/// few dozen at most (generated JSON literals reach 30-odd); thousands are
/// an attack on the parser's stack.
pub const MAX_NESTING: usize = 200;

/// Future keywords a v0 module turned on (v1 has all of them).
#[derive(Debug, Clone, Copy, Default)]
struct Keywords {
    r#if: bool,
    contains: bool,
    r#in: bool,
    every: bool,
}

pub struct Parser<'a> {
    src: &'a str,
    toks: Vec<Token>,
    pos: usize,
    v1: bool,
    kw: Keywords,
    depth: usize,
}

type PResult<T> = Result<T, SyntaxError>;

/// Parses one module. `rego_v1`: the engine's default grammar (a v0 module
/// can still turn v1 on with `import rego.v1`).
pub fn parse_module(src: &str, rego_v1: bool) -> PResult<Module> {
    let (toks, comments) = tokenize(src)?;
    let mut p = Parser {
        src,
        toks,
        pos: 0,
        v1: false,
        kw: Keywords::default(),
        depth: 0,
    };
    if rego_v1 {
        p.turn_on_v1();
    }
    let mut module = p.module()?;
    module.comments = comments;
    Ok(module)
}

impl<'a> Parser<'a> {
    fn turn_on_v1(&mut self) {
        self.v1 = true;
        self.kw = Keywords {
            r#if: true,
            contains: true,
            r#in: true,
            every: true,
        };
    }

    // ---- tokens ----

    fn peek(&self) -> &Token {
        &self.toks[self.pos.min(self.toks.len() - 1)]
    }

    fn peek_at(&self, n: usize) -> &Token {
        &self.toks[(self.pos + n).min(self.toks.len() - 1)]
    }

    fn text(&self, t: &Token) -> &'a str {
        t.span.text(self.src)
    }

    fn peek_text(&self) -> &'a str {
        self.text(self.peek())
    }

    fn at_eof(&self) -> bool {
        self.peek().kind == TokenKind::Eof
    }

    fn at(&self, sym: &str) -> bool {
        let t = self.peek();
        t.kind == TokenKind::Symbol && self.text(t) == sym
    }

    /// At the identifier `word` (a keyword where it is one).
    fn at_word(&self, word: &str) -> bool {
        let t = self.peek();
        t.kind == TokenKind::Ident && self.text(t) == word
    }

    fn keyword_on(&self, word: &str) -> bool {
        match word {
            "if" => self.kw.r#if,
            "contains" => self.kw.contains,
            "in" => self.kw.r#in,
            "every" => self.kw.every,
            _ => true,
        }
    }

    fn at_keyword(&self, word: &str) -> bool {
        self.at_word(word) && self.keyword_on(word)
    }

    fn bump(&mut self) -> Token {
        let t = self.peek().clone();
        if self.pos < self.toks.len() - 1 {
            self.pos += 1;
        }
        t
    }

    /// The span of the last token taken.
    fn prev_span(&self) -> Span {
        self.toks[self.pos.saturating_sub(1)].span
    }

    fn error_here(&self, message: impl Into<String>) -> SyntaxError {
        let t = self.peek();
        SyntaxError::at(t.span.line, t.span.col, message)
    }

    fn unexpected(&self, context: &str) -> SyntaxError {
        let t = self.peek();
        let what = match t.kind {
            TokenKind::Eof => "end of file".to_string(),
            _ => format!("`{}`", self.text(t).lines().next().unwrap_or("")),
        };
        self.error_here(format!("unexpected {what} {context}"))
    }

    fn expect(&mut self, sym: &str, context: &str) -> PResult<Span> {
        if self.at(sym) {
            Ok(self.bump().span)
        } else {
            Err(self.unexpected(&format!("(expected `{sym}` {context})")))
        }
    }

    fn enter(&mut self) -> PResult<()> {
        self.depth += 1;
        if self.depth > MAX_NESTING {
            return Err(self.error_here(format!(
                "expression nested too deeply: more than {MAX_NESTING} terms, brackets and bodies \
                 open at once"
            )));
        }
        Ok(())
    }

    fn leave(&mut self) {
        self.depth -= 1;
    }

    /// The next token follows the last one with no space between.
    fn adjacent(&self) -> bool {
        !self.peek().space_before
    }

    // ---- module ----

    fn module(&mut self) -> PResult<Module> {
        while self.at(";") {
            self.bump();
        }
        if !self.at_word("package") {
            return Err(self.unexpected("(a module starts with `package`)"));
        }
        let package = self.package()?;
        let mut imports = Vec::new();
        let mut rules = Vec::new();
        loop {
            while self.at(";") {
                self.bump();
            }
            if self.at_eof() {
                break;
            }
            if self.at_word("import") {
                imports.push(self.import()?);
            } else if self.at_word("package") {
                return Err(self.error_here("a module has one `package`"));
            } else {
                rules.push(self.rule()?);
            }
        }
        Ok(Module {
            package,
            imports,
            rules,
            comments: Vec::new(),
            rego_v1: self.v1,
        })
    }

    fn package(&mut self) -> PResult<Package> {
        let start = self.bump().span;
        let path_expr = self.term()?;
        let mut path = Vec::new();
        flatten_path(&path_expr, &mut path).ok_or_else(|| {
            SyntaxError::at(
                path_expr.span.line,
                path_expr.span.col,
                "a package path is names and string keys",
            )
        })?;
        if path.first().is_some_and(|s| s.name == "data") && path.len() > 1 {
            path.remove(0);
        }
        Ok(Package {
            span: start.to(self.prev_span()),
            path,
        })
    }

    fn import(&mut self) -> PResult<Import> {
        let start = self.bump().span;
        let path = self.term()?;
        let Some(steps) = path.static_path() else {
            return Err(SyntaxError::at(
                path.span.line,
                path.span.col,
                "an import path is names and string keys",
            ));
        };
        match steps.first().map(String::as_str) {
            Some("data" | "input") => {}
            Some("future") if steps.get(1).map(String::as_str) == Some("keywords") => {
                match steps.get(2).map(String::as_str) {
                    None => {
                        self.kw = Keywords {
                            r#if: true,
                            contains: true,
                            r#in: true,
                            every: true,
                        }
                    }
                    Some("if") => self.kw.r#if = true,
                    Some("contains") => self.kw.contains = true,
                    Some("in") => self.kw.r#in = true,
                    Some("every") => {
                        self.kw.every = true;
                        // `every` brings `in` with it, as in OPA.
                        self.kw.r#in = true;
                    }
                    Some(other) => {
                        return Err(SyntaxError::at(
                            path.span.line,
                            path.span.col,
                            format!("unknown future keyword `{other}`"),
                        ));
                    }
                }
            }
            Some("rego") if steps.len() == 2 && steps[1] == "v1" => self.turn_on_v1(),
            _ => {
                return Err(SyntaxError::at(
                    path.span.line,
                    path.span.col,
                    "an import must start with `data`, `input`, `future.keywords` or `rego.v1`",
                ));
            }
        }
        let alias = if self.at_word("as") {
            self.bump();
            let t = self.peek().clone();
            if t.kind != TokenKind::Ident {
                return Err(self.unexpected("(expected a name after `as`)"));
            }
            self.bump();
            Some((self.text(&t).to_string(), t.span))
        } else {
            None
        };
        Ok(Import {
            span: start.to(self.prev_span()),
            path,
            alias,
        })
    }

    // ---- rules ----

    fn rule(&mut self) -> PResult<Rule> {
        let start = self.peek().span;
        let default = self.at_word("default");
        if default {
            self.bump();
        }
        let head_start = self.peek().span;
        if self.peek().kind != TokenKind::Ident {
            return Err(self.unexpected("(expected a rule)"));
        }
        let mut reference = self.rule_ref()?;
        let args = if self.at("(") && self.adjacent() {
            self.bump();
            let args = self.expr_list(")")?;
            Some(args)
        } else {
            None
        };
        let mut contains = None;
        if self.at_keyword("contains") && !default {
            self.bump();
            contains = Some(self.in_expr()?);
        }
        let mut value = None;
        if self.at(":=") || self.at("=") {
            let op = if self.peek_text() == ":=" {
                AssignOp::Assign
            } else {
                AssignOp::Unify
            };
            self.bump();
            value = Some((op, self.in_expr()?));
        }
        if default {
            if value.is_none() {
                return Err(self.unexpected("(a default rule needs `:=` and a value)"));
            }
            let head = Head {
                span: head_start.to(self.prev_span()),
                reference,
                args,
                contains,
                value,
                has_if: false,
            };
            return Ok(Rule {
                span: start.to(self.prev_span()),
                default,
                head,
                bodies: Vec::new(),
                elses: Vec::new(),
            });
        }
        // v0: `p[x] { }` (no value, no `if`) is a partial set, as OPA reads
        // it; with `if` it is an object of `true`s (OPA's refheads cases).
        if !self.v1
            && !self.at_keyword("if")
            && value.is_none()
            && contains.is_none()
            && args.is_none()
            && let ExprKind::Ref { head, path } = &mut reference.kind
            && matches!(head.kind, ExprKind::Var(_))
            && let [RefArg::Index(key)] = path.as_mut_slice()
        {
            let at = head.span;
            let key = std::mem::replace(key, Expr::new(at, ExprKind::Null));
            let name = std::mem::replace(head.as_mut(), Expr::new(at, ExprKind::Null));
            contains = Some(key);
            reference = name;
        }
        let head_end = self.prev_span();
        let mut has_if = false;
        let mut bodies = Vec::new();
        if self.at_keyword("if") {
            has_if = true;
            self.bump();
            bodies.push(self.rule_body()?);
        } else if self.at("{") {
            self.v0_body_allowed()?;
            bodies.push(self.braced_body()?);
        }
        while self.at("{") && bodies.last().is_some_and(|b| b.braced) {
            bodies.push(self.braced_body()?);
        }
        let head = Head {
            span: head_start.to(head_end),
            reference,
            args,
            contains,
            value,
            has_if,
        };
        let mut elses = Vec::new();
        while self.at_word("else") {
            let else_start = self.bump().span;
            let mut value = None;
            if self.at(":=") || self.at("=") {
                let op = if self.peek_text() == ":=" {
                    AssignOp::Assign
                } else {
                    AssignOp::Unify
                };
                self.bump();
                value = Some((op, self.in_expr()?));
            }
            let mut has_if = false;
            let body = if self.at_keyword("if") {
                has_if = true;
                self.bump();
                Some(self.rule_body()?)
            } else if self.at("{") {
                self.v0_body_allowed()?;
                Some(self.braced_body()?)
            } else {
                None
            };
            elses.push(Else {
                span: else_start.to(self.prev_span()),
                value,
                has_if,
                body,
            });
        }
        if bodies.is_empty()
            && head.value.is_none()
            && head.contains.is_none()
            && head.args.is_none()
        {
            return Err(SyntaxError::at(
                head_start.line,
                head_start.col,
                "a rule needs a value (`:=`) or a body",
            ));
        }
        Ok(Rule {
            span: start.to(self.prev_span()),
            default: false,
            head,
            bodies,
            elses,
        })
    }

    /// v1 (OPA 1.x) requires `if` before a rule body.
    fn v0_body_allowed(&self) -> PResult<()> {
        if self.v1 {
            return Err(self.error_here("`if` keyword is required before rule body"));
        }
        Ok(())
    }

    /// A rule's name and any `.a` / `[x]` steps after it.
    fn rule_ref(&mut self) -> PResult<Expr> {
        let t = self.bump();
        let name = self.text(&t).to_string();
        if is_reserved(&name) && self.keyword_on(&name) {
            return Err(SyntaxError::at(
                t.span.line,
                t.span.col,
                format!("unexpected keyword `{name}` (expected a rule)"),
            ));
        }
        let var = Expr::new(t.span, ExprKind::Var(name));
        self.postfix(var, false)
    }

    /// After `if`: a braced body or one statement. `if {x: 1 | ...}` is
    /// the second, as OPA reads it: when the braces do not hold a body,
    /// they open a term (a bounded retry, once per rule).
    fn rule_body(&mut self) -> PResult<Body> {
        if self.at("{") {
            let (pos, depth) = (self.pos, self.depth);
            match self.braced_body() {
                Ok(body) => return Ok(body),
                Err(body_error) => {
                    self.pos = pos;
                    self.depth = depth;
                    let Ok(lit) = self.literal() else {
                        return Err(body_error);
                    };
                    return Ok(Body {
                        span: lit.span,
                        braced: false,
                        literals: vec![lit],
                    });
                }
            }
        }
        let lit = self.literal()?;
        Ok(Body {
            span: lit.span,
            braced: false,
            literals: vec![lit],
        })
    }

    fn braced_body(&mut self) -> PResult<Body> {
        let open = self.expect("{", "to open a body")?;
        self.enter()?;
        let literals = self.query("}")?;
        self.leave();
        let close = self.expect("}", "to close the body")?;
        Ok(Body {
            span: open.to(close),
            braced: true,
            literals,
        })
    }

    /// Statements up to (not including) `end`, separated by `;` or lines.
    fn query(&mut self, end: &str) -> PResult<Vec<Literal>> {
        let mut out = Vec::new();
        loop {
            while self.at(";") {
                self.bump();
            }
            if self.at(end) {
                break;
            }
            if self.at_eof() {
                return Err(self.unexpected(&format!("(expected `{end}`)")));
            }
            out.push(self.literal()?);
            if self.at(";") || self.at(end) || self.peek().newline_before {
                continue;
            }
            return Err(self.unexpected("after a statement (expected `;` or a new line)"));
        }
        Ok(out)
    }

    fn literal(&mut self) -> PResult<Literal> {
        let start = self.peek().span;
        let kind = if self.at_word("some") {
            self.bump();
            self.some()?
        } else if self.at_keyword("every") {
            self.bump();
            self.every()?
        } else if self.at_word("not") {
            self.bump();
            LiteralKind::Not(self.in_expr()?)
        } else {
            LiteralKind::Expr(self.statement_expr()?)
        };
        let mut with = Vec::new();
        while self.at_word("with") {
            let w = self.bump().span;
            let target = self.term()?;
            if !self.at_word("as") {
                return Err(self.unexpected("(expected `as` in `with`)"));
            }
            self.bump();
            let value = self.in_expr()?;
            with.push(With {
                span: w.to(self.prev_span()),
                target,
                value,
            });
        }
        Ok(Literal {
            span: start.to(self.prev_span()),
            kind,
            with,
        })
    }

    fn some(&mut self) -> PResult<LiteralKind> {
        let first = self.relation()?;
        let mut second = None;
        if self.at(",") {
            self.bump();
            second = Some(self.relation()?);
        }
        if self.at_keyword("in") {
            self.bump();
            let collection = self.relation()?;
            let (key, value) = match second {
                Some(v) => (Some(first), v),
                None => (None, first),
            };
            return Ok(LiteralKind::SomeIn {
                key,
                value,
                collection,
            });
        }
        let mut vars = Vec::new();
        for e in std::iter::once(first).chain(second) {
            vars.push(some_var(e)?);
        }
        while self.at(",") {
            self.bump();
            let e = self.term()?;
            vars.push(some_var(e)?);
        }
        Ok(LiteralKind::SomeVars(vars))
    }

    fn every(&mut self) -> PResult<LiteralKind> {
        let first = self.relation()?;
        let mut key = None;
        let mut value = first;
        if self.at(",") {
            self.bump();
            key = Some(value);
            value = self.relation()?;
        }
        if !self.at_keyword("in") {
            return Err(self.unexpected("(expected `in` in `every`)"));
        }
        self.bump();
        let domain = self.relation()?;
        let body = self.braced_body()?;
        Ok(LiteralKind::Every {
            key,
            value,
            domain,
            body,
        })
    }

    // ---- expressions ----

    /// A statement's expression: `k, v in c`, `a := b`, `a = b`, or any
    /// expression.
    fn statement_expr(&mut self) -> PResult<Expr> {
        let lhs = self.key_value_in_expr()?;
        if self.at(":=") || self.at("=") {
            let op = if self.peek_text() == ":=" {
                AssignOp::Assign
            } else {
                AssignOp::Unify
            };
            self.bump();
            let rhs = self.key_value_in_expr()?;
            let span = lhs.span.to(rhs.span);
            return Ok(Expr::new(
                span,
                ExprKind::Assign {
                    op,
                    lhs: Box::new(lhs),
                    rhs: Box::new(rhs),
                },
            ));
        }
        Ok(lhs)
    }

    /// An expression that may be `key, value in collection` (a statement,
    /// or inside parentheses).
    fn key_value_in_expr(&mut self) -> PResult<Expr> {
        let lhs = self.in_expr()?;
        if !(self.at(",") && self.kw.r#in) {
            return Ok(lhs);
        }
        self.bump();
        let value = self.relation()?;
        if !self.at_keyword("in") {
            return Err(self.unexpected("(expected `in` after `key, value`)"));
        }
        self.bump();
        let collection = self.relation()?;
        let span = lhs.span.to(collection.span);
        let membership = Expr::new(
            span,
            ExprKind::Membership {
                key: Some(Box::new(lhs)),
                value: Box::new(value),
                collection: Box::new(collection),
            },
        );
        self.in_tail(membership)
    }

    /// `relation (in relation)*`
    pub(crate) fn in_expr(&mut self) -> PResult<Expr> {
        let lhs = self.relation()?;
        self.in_tail(lhs)
    }

    fn in_tail(&mut self, mut lhs: Expr) -> PResult<Expr> {
        while self.at_keyword("in") {
            self.bump();
            let collection = self.relation()?;
            let span = lhs.span.to(collection.span);
            lhs = Expr::new(
                span,
                ExprKind::Membership {
                    key: None,
                    value: Box::new(lhs),
                    collection: Box::new(collection),
                },
            );
        }
        Ok(lhs)
    }

    fn relation(&mut self) -> PResult<Expr> {
        let lhs = self.term()?;
        self.binary_from(lhs, 1)
    }

    /// Operators after an already-parsed left operand, binding at least
    /// `min` (precedence climbing: left-associative, no recursion per
    /// operator of one level).
    fn binary_from(&mut self, mut lhs: Expr, min: u8) -> PResult<Expr> {
        loop {
            let t = self.peek();
            if t.kind != TokenKind::Symbol {
                return Ok(lhs);
            }
            let Some(op) = BinOp::from_symbol(self.text(t)) else {
                return Ok(lhs);
            };
            let prec = op.precedence();
            if prec < min {
                return Ok(lhs);
            }
            self.bump();
            self.enter()?;
            let mut rhs = self.term()?;
            loop {
                let t = self.peek();
                let next = (t.kind == TokenKind::Symbol)
                    .then(|| BinOp::from_symbol(self.text(t)))
                    .flatten();
                match next {
                    Some(n) if n.precedence() > prec => {
                        rhs = self.binary_from(rhs, prec + 1)?;
                    }
                    _ => break,
                }
            }
            self.leave();
            let span = lhs.span.to(rhs.span);
            lhs = Expr::new(
                span,
                ExprKind::Binary {
                    op,
                    lhs: Box::new(lhs),
                    rhs: Box::new(rhs),
                },
            );
        }
    }

    /// An expression whose first term is already parsed.
    fn continue_expr(&mut self, first: Expr) -> PResult<Expr> {
        let lhs = self.binary_from(first, 1)?;
        self.in_tail(lhs)
    }

    /// A term with its refs and calls: no binary operator.
    pub(crate) fn term(&mut self) -> PResult<Expr> {
        self.enter()?;
        let out = self.term_inner();
        self.leave();
        out
    }

    fn term_inner(&mut self) -> PResult<Expr> {
        let t = self.peek().clone();
        let text = self.text(&t);
        let base = match t.kind {
            TokenKind::Number => {
                self.bump();
                Expr::new(t.span, ExprKind::Number(text.to_string()))
            }
            TokenKind::String => {
                self.bump();
                let value = serde_json::from_str::<String>(text).map_err(|e| {
                    SyntaxError::at(t.span.line, t.span.col, format!("invalid string: {e}"))
                })?;
                Expr::new(t.span, ExprKind::String { value, raw: false })
            }
            TokenKind::RawString => {
                self.bump();
                let value = text[1..text.len() - 1].to_string();
                Expr::new(t.span, ExprKind::String { value, raw: true })
            }
            TokenKind::Symbol => match text {
                "(" => {
                    self.bump();
                    let inner = self.key_value_in_expr()?;
                    let close = self.expect(")", "to close `(`")?;
                    Expr::new(t.span.to(close), ExprKind::Paren(Box::new(inner)))
                }
                "[" => self.array()?,
                "{" => self.brace()?,
                "-" => {
                    self.bump();
                    let inner = self.term()?;
                    let span = t.span.to(inner.span);
                    return Ok(Expr::new(span, ExprKind::Neg(Box::new(inner))));
                }
                _ => return Err(self.unexpected("(expected a term)")),
            },
            TokenKind::Ident => {
                self.bump();
                match text {
                    "null" => Expr::new(t.span, ExprKind::Null),
                    "true" => Expr::new(t.span, ExprKind::Bool(true)),
                    "false" => Expr::new(t.span, ExprKind::Bool(false)),
                    "set"
                        if self.at("(") && self.adjacent() && {
                            let n = self.peek_at(1);
                            n.kind == TokenKind::Symbol && self.text(n) == ")"
                        } =>
                    {
                        self.bump();
                        let close = self.bump().span;
                        Expr::new(t.span.to(close), ExprKind::Set(Vec::new()))
                    }
                    // `contains` is also a builtin: a name in expressions.
                    _ if is_reserved(text) && text != "contains" && self.keyword_on(text) => {
                        return Err(SyntaxError::at(
                            t.span.line,
                            t.span.col,
                            format!("unexpected keyword `{text}`"),
                        ));
                    }
                    _ => Expr::new(t.span, ExprKind::Var(text.to_string())),
                }
            }
            TokenKind::Eof => return Err(self.unexpected("(expected a term)")),
        };
        self.postfix(base, true)
    }

    /// `.name`, `[index]` and `(args)` straight after a term.
    fn postfix(&mut self, mut expr: Expr, calls: bool) -> PResult<Expr> {
        let mut path: Vec<RefArg> = Vec::new();
        loop {
            if !self.adjacent() {
                break;
            }
            if self.at(".") {
                self.bump();
                let t = self.peek().clone();
                if t.kind != TokenKind::Ident || !self.adjacent() {
                    return Err(self.unexpected("(expected a name after `.`)"));
                }
                self.bump();
                path.push(RefArg::Dot {
                    name: self.text(&t).to_string(),
                    span: t.span,
                });
            } else if self.at("[") {
                self.bump();
                self.enter()?;
                let index = self.in_expr()?;
                self.leave();
                self.expect("]", "to close a reference `[`")?;
                path.push(RefArg::Index(index));
            } else if calls && self.at("(") {
                if !path.is_empty() {
                    let span = expr.span.to(self.prev_span());
                    expr = Expr::new(
                        span,
                        ExprKind::Ref {
                            head: Box::new(expr),
                            path: std::mem::take(&mut path),
                        },
                    );
                }
                if !matches!(expr.kind, ExprKind::Var(_) | ExprKind::Ref { .. }) {
                    return Err(self.error_here("only a name or a reference can be called"));
                }
                self.bump();
                self.enter()?;
                let args = self.expr_list(")")?;
                self.leave();
                let span = expr.span.to(self.prev_span());
                expr = Expr::new(
                    span,
                    ExprKind::Call {
                        func: Box::new(expr),
                        args,
                    },
                );
            } else {
                break;
            }
        }
        if !path.is_empty() {
            let span = expr.span.to(self.prev_span());
            expr = Expr::new(
                span,
                ExprKind::Ref {
                    head: Box::new(expr),
                    path,
                },
            );
        }
        Ok(expr)
    }

    /// Expressions separated by commas up to `close` (taken), a trailing
    /// comma allowed.
    fn expr_list(&mut self, close: &str) -> PResult<Vec<Expr>> {
        let mut out = Vec::new();
        loop {
            if self.at(close) {
                self.bump();
                return Ok(out);
            }
            out.push(self.in_expr()?);
            if self.at(",") {
                self.bump();
            } else if !self.at(close) {
                return Err(self.unexpected(&format!("(expected `,` or `{close}`)")));
            }
        }
    }

    fn array(&mut self) -> PResult<Expr> {
        let open = self.bump().span;
        if self.at("]") {
            let close = self.bump().span;
            return Ok(Expr::new(open.to(close), ExprKind::Array(Vec::new())));
        }
        // OPA still accepts a leading comma (`[, x]`), and then no comprehension.
        let leading_comma = self.at(",");
        if leading_comma {
            self.bump();
        }
        let head = self.term()?;
        if self.at("|") && !leading_comma {
            self.bump();
            let body = self.compr_body(open, "]")?;
            let span = open.to(self.prev_span());
            return Ok(Expr::new(
                span,
                ExprKind::ArrayCompr {
                    term: Box::new(head),
                    body,
                },
            ));
        }
        let first = self.continue_expr(head)?;
        let mut items = vec![first];
        if self.at(",") {
            self.bump();
            items.extend(self.expr_list("]")?);
        } else {
            self.expect("]", "to close the array")?;
        }
        Ok(Expr::new(open.to(self.prev_span()), ExprKind::Array(items)))
    }

    /// `{}`, an object, a set, or a set or object comprehension.
    fn brace(&mut self) -> PResult<Expr> {
        let open = self.bump().span;
        if self.at("}") {
            let close = self.bump().span;
            return Ok(Expr::new(open.to(close), ExprKind::Object(Vec::new())));
        }
        let head = self.term()?;
        if self.at("|") {
            self.bump();
            let body = self.compr_body(open, "}")?;
            let span = open.to(self.prev_span());
            return Ok(Expr::new(
                span,
                ExprKind::SetCompr {
                    term: Box::new(head),
                    body,
                },
            ));
        }
        let first = self.continue_expr(head)?;
        if !self.at(":") {
            let mut items = vec![first];
            if self.at(",") {
                self.bump();
                items.extend(self.expr_list("}")?);
            } else {
                self.expect("}", "to close the set")?;
            }
            return Ok(Expr::new(open.to(self.prev_span()), ExprKind::Set(items)));
        }
        self.bump();
        let value_head = self.term()?;
        if self.at("|") {
            self.bump();
            let body = self.compr_body(open, "}")?;
            let span = open.to(self.prev_span());
            return Ok(Expr::new(
                span,
                ExprKind::ObjectCompr {
                    key: Box::new(first),
                    value: Box::new(value_head),
                    body,
                },
            ));
        }
        let value = self.continue_expr(value_head)?;
        let mut fields = vec![(first, value)];
        loop {
            if self.at("}") {
                self.bump();
                break;
            }
            self.expect(",", "between object fields")?;
            if self.at("}") {
                self.bump();
                break;
            }
            let key = self.in_expr()?;
            self.expect(":", "after an object key")?;
            let value = self.in_expr()?;
            fields.push((key, value));
        }
        Ok(Expr::new(
            open.to(self.prev_span()),
            ExprKind::Object(fields),
        ))
    }

    fn compr_body(&mut self, open: Span, close: &str) -> PResult<Body> {
        self.enter()?;
        let literals = self.query(close)?;
        self.leave();
        let end = self.expect(close, "to close the comprehension")?;
        Ok(Body {
            span: open.to(end),
            braced: true,
            literals,
        })
    }
}

/// Words that cannot name a var or rule (`contains`, `if`, `in`, `every`
/// only where they are keywords).
fn is_reserved(word: &str) -> bool {
    matches!(
        word,
        "package"
            | "import"
            | "as"
            | "default"
            | "else"
            | "not"
            | "some"
            | "with"
            | "if"
            | "in"
            | "every"
            | "contains"
    )
}

fn some_var(e: Expr) -> PResult<(String, Span)> {
    match e.kind {
        ExprKind::Var(v) => Ok((v, e.span)),
        _ => Err(SyntaxError::at(
            e.span.line,
            e.span.col,
            "`some` declares names (or `some x in collection`)",
        )),
    }
}

/// A package path: names and string keys only.
fn flatten_path(e: &Expr, out: &mut Vec<PathSegment>) -> Option<()> {
    match &e.kind {
        ExprKind::Var(v) => out.push(PathSegment {
            name: v.clone(),
            span: e.span,
        }),
        ExprKind::Ref { head, path } => {
            flatten_path(head, out)?;
            for step in path {
                match step {
                    RefArg::Dot { name, span } => out.push(PathSegment {
                        name: name.clone(),
                        span: *span,
                    }),
                    RefArg::Index(Expr {
                        kind: ExprKind::String { value, .. },
                        span,
                    }) => out.push(PathSegment {
                        name: value.clone(),
                        span: *span,
                    }),
                    RefArg::Index(_) => return None,
                }
            }
        }
        _ => return None,
    }
    Some(())
}
