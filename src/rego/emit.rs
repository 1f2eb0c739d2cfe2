//! Writes a syntax tree back as Rego text for regorus, in v1 syntax
//! whatever the module was written in (regorus's v1 parser reads it as OPA
//! reads the original). Every token goes on the line it came from, so
//! regorus's errors, coverage and prints still name the user's lines;
//! tokens Gavel adds sit on the line where they are needed. Comments and
//! imports are left out: aliases are spelled out by a rewrite before this,
//! and future-keyword imports mean nothing in v1.
//!
//! One more thing is written differently: regorus's parser tries the first
//! element of every array, set and object (and an object's first value) as
//! the head of a comprehension, then parses it again, so each such level
//! doubles its parse time. Where a literal nests past [`MAX_DOUBLINGS`] of
//! them, the emitter hands regorus an equal value it parses once per level:
//! an object's or set's entries in another order, or, for a value known
//! before evaluation, the element as a one-element comprehension.

use std::collections::HashMap;

use super::ast::*;
use super::walk::{for_each_child, for_each_rule_expr};

/// Levels of regorus's double parse one path may go through (2^5 times
/// the innermost level's cost at most).
pub const MAX_DOUBLINGS: usize = 5;

/// What to write besides the tree itself.
#[derive(Debug, Clone, Copy, Default)]
pub struct EmitOptions {
    /// The module was written in v0: names that are v1 keywords are
    /// renamed where they are vars.
    pub from_v0: bool,
}

pub fn emit(module: &Module, opts: EmitOptions) -> String {
    let mut fixes = HashMap::new();
    for rule in &module.rules {
        for_each_rule_expr(rule, &mut |e| {
            plan(e, &mut fixes);
        });
    }
    let mut e = Emitter {
        out: String::new(),
        line: 1,
        col: 1,
        opts,
        fixes,
    };
    e.module(module);
    e.out.push('\n');
    e.out
}

struct Emitter {
    out: String,
    /// The line and column being written (1-based).
    line: u32,
    col: u32,
    opts: EmitOptions,
    /// Literals written so that regorus parses them once (see [`plan`]).
    fixes: HashMap<u32, Fix>,
}

/// Place marker for tokens with no source position: the current line.
const HERE: u32 = 0;

impl Emitter {
    /// Writes `text` on `line` (or later), a space before it unless `glue`.
    fn tok(&mut self, text: &str, line: u32, glue: bool) {
        self.place(text, line, 0, glue);
    }

    /// Writes `text` where `at` starts: its line, and its column when the
    /// line has room (so regorus's columns are the user's too).
    fn tok_at(&mut self, text: &str, at: Span, glue: bool) {
        self.place(text, at.line, at.col, glue);
    }

    /// Writes a closing token (`)`, `]`, `}`) where `span` ends.
    fn close(&mut self, text: &str, span: Span, glue: bool) {
        self.place(text, span.end_line, span.end_col.saturating_sub(1), glue);
    }

    fn place(&mut self, text: &str, line: u32, col: u32, glue: bool) {
        if line > self.line && !glue {
            for _ in self.line..line {
                self.out.push('\n');
            }
            self.line = line;
            self.col = 1;
        }
        if !glue {
            if col > self.col {
                for _ in self.col..col {
                    self.out.push(' ');
                }
                self.col = col;
            } else if self.col > 1
                && (col == 0 || col < self.col || merges(&self.out, text))
                && !self.out.ends_with(['(', '['])
                && !text.starts_with([')', ']', ','])
            {
                self.out.push(' ');
                self.col += 1;
            }
        }
        self.out.push_str(text);
        match text.rfind('\n') {
            Some(i) => {
                self.line += text.matches('\n').count() as u32;
                self.col = text[i + 1..].chars().count() as u32 + 1;
            }
            None => self.col += text.chars().count() as u32,
        }
    }

    fn module(&mut self, m: &Module) {
        self.tok_at("package", m.package.span, false);
        for (i, seg) in m.package.path.iter().enumerate() {
            if i == 0 {
                if is_identifier(&seg.name) {
                    self.tok_at(&seg.name, seg.span, false);
                } else {
                    // A first segment that is not a name cannot be written
                    // in v1 either: keep it as a string key of `data`.
                    self.tok_at("data", seg.span, false);
                    self.index_string(&seg.name, seg.span.line);
                }
            } else if is_identifier(&seg.name) {
                self.tok_at(".", seg.span, true);
                self.tok_at(&seg.name, seg.span, true);
            } else {
                self.index_string(&seg.name, seg.span.line);
            }
        }
        for rule in &m.rules {
            self.rule(rule);
        }
    }

    fn index_string(&mut self, s: &str, line: u32) {
        self.tok("[", line, true);
        self.tok(&json_string(s), line, true);
        self.tok("]", line, true);
    }

    fn rule(&mut self, r: &Rule) {
        if r.default {
            self.tok_at("default", r.span, false);
            self.head(&r.head, r.head.span.line);
            return;
        }
        let line = r.head.span.line;
        self.head(&r.head, line);
        let mut bodies = r.bodies.iter();
        match bodies.next() {
            Some(b) => {
                self.tok("if", b.span.line, false);
                self.body(b);
            }
            None => {
                if r.head.value.is_none() && r.head.contains.is_none() {
                    // `f("a")`: OPA defines it as true.
                    self.tok(":=", HERE, false);
                    self.tok("true", HERE, false);
                }
            }
        }
        // Several bodies: one definition each, the head written again.
        for b in bodies {
            self.head(&r.head, b.span.line);
            self.tok("if", b.span.line, false);
            self.body(b);
        }
        for e in &r.elses {
            self.tok_at("else", e.span, false);
            if let Some((op, v)) = &e.value {
                self.tok_at(op.as_str(), v.span, false);
                self.expr(v);
            }
            if let Some(b) = &e.body {
                self.tok("if", b.span.line, false);
                self.body(b);
            }
        }
    }

    /// The head, its first token on `line` (later bodies repeat it).
    fn head(&mut self, h: &Head, line: u32) {
        let at = self.line.max(line);
        let shift = |l: u32| if line == h.span.line { l } else { at };
        self.expr_at(&h.reference, shift(h.reference.span.line));
        if let Some(args) = &h.args {
            self.tok("(", HERE, true);
            for (i, a) in args.iter().enumerate() {
                if i > 0 {
                    self.tok(",", HERE, true);
                }
                self.expr_at(a, shift(a.span.line));
            }
            self.tok(")", HERE, true);
        }
        if let Some(c) = &h.contains {
            self.tok("contains", shift(c.span.line), false);
            self.expr_at(c, shift(c.span.line));
        }
        if let Some((op, v)) = &h.value {
            self.tok(op.as_str(), shift(v.span.line), false);
            self.expr_at(v, shift(v.span.line));
        }
    }

    /// An expression whose first token goes on `line` instead of its own
    /// (a repeated head); the rest follows on the current line.
    fn expr_at(&mut self, e: &Expr, line: u32) {
        if line == e.span.line {
            self.expr(e);
        } else {
            let mut copy = e.clone();
            flatten_lines(&mut copy, line);
            self.expr(&copy);
        }
    }

    fn body(&mut self, b: &Body) {
        self.tok_at("{", b.span, false);
        self.literals(&b.literals);
        self.close("}", b.span, false);
    }

    fn literals(&mut self, lits: &[Literal]) {
        for (i, l) in lits.iter().enumerate() {
            if i > 0 {
                self.tok(";", HERE, true);
            }
            self.literal(l);
        }
    }

    fn literal(&mut self, l: &Literal) {
        match &l.kind {
            LiteralKind::Expr(e) => self.expr(e),
            LiteralKind::Not(e) => {
                self.tok_at("not", l.span, false);
                self.expr(e);
            }
            LiteralKind::SomeVars(vars) => {
                self.tok_at("some", l.span, false);
                for (i, (v, span)) in vars.iter().enumerate() {
                    if i > 0 {
                        self.tok(",", HERE, true);
                    }
                    let name = self.var_name(v);
                    self.tok_at(&name, *span, false);
                }
            }
            LiteralKind::SomeIn {
                key,
                value,
                collection,
            } => {
                self.tok_at("some", l.span, false);
                self.key_value_in(key.as_ref(), value, collection);
            }
            LiteralKind::Every {
                key,
                value,
                domain,
                body,
            } => {
                self.tok_at("every", l.span, false);
                self.key_value_in(key.as_ref(), value, domain);
                self.body(body);
            }
        }
        for w in &l.with {
            self.tok_at("with", w.span, false);
            self.expr(&w.target);
            self.tok("as", HERE, false);
            self.expr(&w.value);
        }
    }

    /// `[key ,] value in collection`
    fn key_value_in(&mut self, key: Option<&Expr>, value: &Expr, collection: &Expr) {
        if let Some(k) = key {
            self.expr(k);
            self.tok(",", HERE, true);
        }
        self.expr(value);
        self.tok("in", HERE, false);
        self.expr(collection);
    }

    fn var_name(&self, v: &str) -> String {
        if self.opts.from_v0 && matches!(v, "if" | "in" | "every" | "contains") {
            format!("__gavel_kw_{v}")
        } else {
            v.to_string()
        }
    }

    fn expr(&mut self, e: &Expr) {
        match &e.kind {
            ExprKind::Null => self.tok_at("null", e.span, false),
            ExprKind::Bool(b) => self.tok_at(if *b { "true" } else { "false" }, e.span, false),
            ExprKind::Number(n) => self.tok_at(n, e.span, false),
            ExprKind::String { value, raw } => {
                if *raw {
                    self.tok_at(&format!("`{value}`"), e.span, false);
                } else {
                    self.tok_at(&json_string(value), e.span, false);
                }
            }
            ExprKind::Var(v) => {
                let name = self.var_name(v);
                self.tok_at(&name, e.span, false);
            }
            ExprKind::Ref { head, path } => {
                self.expr(head);
                for step in path {
                    match step {
                        RefArg::Dot { name, span } => {
                            self.tok_at(".", *span, true);
                            self.tok_at(name, *span, true);
                        }
                        RefArg::Index(ix) => {
                            self.tok_at("[", ix.span, true);
                            self.expr(ix);
                            self.tok("]", HERE, true);
                        }
                    }
                }
            }
            ExprKind::Call { func, args } => {
                match &func.kind {
                    // A call's name is never renamed (`contains(s, x)`).
                    ExprKind::Var(v) => self.tok_at(v, func.span, false),
                    _ => self.expr(func),
                }
                self.tok("(", HERE, true);
                for (i, a) in args.iter().enumerate() {
                    if i > 0 {
                        self.tok(",", HERE, true);
                    }
                    self.expr(a);
                }
                self.close(")", e.span, true);
            }
            ExprKind::Array(_) | ExprKind::Set(_) | ExprKind::Object(_) if self.composite(e) => {}
            ExprKind::Array(items) => {
                self.tok_at("[", e.span, false);
                self.seq(items.iter());
                self.close("]", e.span, false);
            }
            ExprKind::Set(items) => {
                if items.is_empty() {
                    self.tok_at("set()", e.span, false);
                } else {
                    self.tok_at("{", e.span, false);
                    self.seq(items.iter());
                    self.close("}", e.span, false);
                }
            }
            ExprKind::Object(fields) => {
                self.fields(fields, &mut (0..fields.len()), Some(e.span));
            }
            ExprKind::ArrayCompr { term, body } => {
                self.tok_at("[", e.span, false);
                self.expr(term);
                self.tok("|", HERE, false);
                self.literals(&body.literals);
                self.close("]", body.span, false);
            }
            ExprKind::SetCompr { term, body } => {
                self.tok_at("{", e.span, false);
                self.expr(term);
                self.tok("|", HERE, false);
                self.literals(&body.literals);
                self.close("}", body.span, false);
            }
            ExprKind::ObjectCompr { key, value, body } => {
                self.tok_at("{", e.span, false);
                self.expr(key);
                self.tok(":", HERE, true);
                self.expr(value);
                self.tok("|", HERE, false);
                self.literals(&body.literals);
                self.close("}", body.span, false);
            }
            ExprKind::Neg(inner) => {
                self.tok_at("-", e.span, false);
                self.expr(inner);
            }
            ExprKind::Binary { op, lhs, rhs } => {
                self.expr(lhs);
                self.tok(op.as_str(), HERE, false);
                self.expr(rhs);
            }
            ExprKind::Membership {
                key,
                value,
                collection,
            } => self.key_value_in(key.as_deref(), value, collection),
            ExprKind::Assign { op, lhs, rhs } => {
                self.expr(lhs);
                self.tok(op.as_str(), HERE, false);
                self.expr(rhs);
            }
            ExprKind::Paren(inner) => {
                self.tok_at("(", e.span, false);
                self.expr(inner);
                self.close(")", e.span, true);
            }
        }
    }

    fn seq<'e>(&mut self, items: impl Iterator<Item = &'e Expr>) {
        for (n, item) in items.enumerate() {
            if n > 0 {
                self.tok(",", HERE, true);
            }
            self.expr(item);
        }
    }

    /// Writes a literal whose first entry regorus would parse twice, with
    /// that entry parsed once: as a one-element comprehension joined to the
    /// rest (ground values only: a comprehension over an undefined value
    /// is empty, not undefined), or with a cheap entry moved first.
    fn composite(&mut self, e: &Expr) -> bool {
        let Some(fix) = self.fixes.get(&e.span.start).copied() else {
            return false;
        };
        let (line, span) = (e.span.line, e.span);
        match (&e.kind, fix) {
            (ExprKind::Array(items), Fix::Once) => {
                self.tok("array.concat(", line, false);
                self.tok("[", HERE, false);
                self.expr(&items[0]);
                self.tok("|", HERE, false);
                self.tok("true", HERE, false);
                self.tok("]", HERE, false);
                self.tok(",", HERE, true);
                self.tok("[", HERE, false);
                self.seq(items[1..].iter());
                self.tok("]", HERE, false);
                self.close(")", span, true);
            }
            (ExprKind::Set(items), Fix::Once) => {
                self.tok("(", line, false);
                self.tok("{", HERE, false);
                self.expr(&items[0]);
                self.tok("|", HERE, false);
                self.tok("true", HERE, false);
                self.tok("}", HERE, false);
                if items.len() > 1 {
                    self.tok("|", HERE, false);
                    self.tok("{", HERE, false);
                    self.seq(items[1..].iter());
                    self.tok("}", HERE, false);
                }
                self.close(")", span, true);
            }
            (ExprKind::Object(fields), Fix::Once) => {
                self.tok("object.union(", line, false);
                self.tok("{", HERE, false);
                self.expr(&fields[0].0);
                self.tok(":", HERE, true);
                self.expr(&fields[0].1);
                self.tok("|", HERE, false);
                self.tok("true", HERE, false);
                self.tok("}", HERE, false);
                self.tok(",", HERE, true);
                self.fields(&fields[1..], &mut (0..fields.len() - 1), None);
                self.close(")", span, true);
            }
            (ExprKind::Set(items), Fix::MoveFirst(i)) => {
                self.tok("{", line, false);
                let order = std::iter::once(i).chain((0..items.len()).filter(|&k| k != i));
                self.seq(order.map(|k| &items[k]));
                self.close("}", span, false);
            }
            (ExprKind::Object(fields), Fix::MoveFirst(i)) => {
                let mut order = std::iter::once(i).chain((0..fields.len()).filter(|&k| k != i));
                self.fields(fields, &mut order, Some(span));
            }
            _ => return false,
        }
        true
    }

    /// An object's fields in `order`, in braces at `span` (none: Gavel's
    /// own, on the current line).
    fn fields(
        &mut self,
        fields: &[(Expr, Expr)],
        order: &mut dyn Iterator<Item = usize>,
        span: Option<Span>,
    ) {
        let open = span.unwrap_or_else(|| crate::rego::walk::synthetic(HERE));
        if fields.is_empty() {
            self.tok_at("{}", open, false);
            return;
        }
        self.tok_at("{", open, false);
        for (n, i) in order.enumerate() {
            if n > 0 {
                self.tok(",", HERE, true);
            }
            let (k, v) = &fields[i];
            self.expr(k);
            self.tok(":", HERE, true);
            self.expr(v);
        }
        match span {
            Some(s) => self.close("}", s, false),
            None => self.tok("}", HERE, false),
        }
    }
}

/// How a literal's first entry is kept from being parsed twice.
#[derive(Debug, Clone, Copy)]
enum Fix {
    /// Written as a one-element comprehension.
    Once,
    /// The entry at this index goes first.
    MoveFirst(usize),
}

/// Finds the literals to write differently (keyed by their start): walks
/// bottom up, counting on each path the levels regorus parses twice after
/// the fixes below it, and fixes a level where the count would pass
/// [`MAX_DOUBLINGS`]. Returns the count for `e`.
fn plan(e: &Expr, fixes: &mut HashMap<u32, Fix>) -> usize {
    match &e.kind {
        ExprKind::Array(items) | ExprKind::Set(items) => {
            let depths: Vec<usize> = items.iter().map(|i| plan(i, fixes)).collect();
            let rest = depths.iter().skip(1).copied().max().unwrap_or(0);
            let Some(&first) = depths.first() else {
                return 0;
            };
            if first < MAX_DOUBLINGS {
                return rest.max(first + 1);
            }
            let cheap = depths
                .iter()
                .position(|&d| d == 0)
                .filter(|&i| !items[i].is_composite());
            match (&e.kind, cheap) {
                (ExprKind::Set(_), Some(i)) => {
                    fixes.insert(e.span.start, Fix::MoveFirst(i));
                    rest.max(first)
                }
                _ if items[0].is_ground_literal() => {
                    // The second entry becomes the first of the rest.
                    fixes.insert(e.span.start, Fix::Once);
                    (rest + 1).max(first)
                }
                _ => rest.max(first + 1),
            }
        }
        ExprKind::Object(fields) => {
            let depths: Vec<usize> = fields
                .iter()
                .map(|(k, v)| plan(k, fixes).max(plan(v, fixes)))
                .collect();
            let rest = depths.iter().skip(1).copied().max().unwrap_or(0);
            let Some(&first) = depths.first() else {
                return 0;
            };
            if first < MAX_DOUBLINGS {
                return rest.max(first + 1);
            }
            let cheap = (0..fields.len()).find(|&i| {
                depths[i] == 0 && !fields[i].0.is_composite() && !fields[i].1.is_composite()
            });
            if let Some(i) = cheap {
                fixes.insert(e.span.start, Fix::MoveFirst(i));
                rest.max(first)
            } else if fields[0].0.is_ground_literal() && fields[0].1.is_ground_literal() {
                fixes.insert(e.span.start, Fix::Once);
                (rest + 1).max(first)
            } else {
                rest.max(first + 1)
            }
        }
        _ => {
            let mut best = 0;
            for_each_child(e, &mut |c| best = best.max(plan(c, fixes)));
            best
        }
    }
}

/// Puts every span of `e` on `line` (a copy written out of place).
fn flatten_lines(e: &mut Expr, line: u32) {
    e.span.line = line;
    e.span.end_line = line;
    match &mut e.kind {
        ExprKind::Ref { head, path } => {
            flatten_lines(head, line);
            for step in path {
                match step {
                    RefArg::Dot { span, .. } => {
                        span.line = line;
                        span.end_line = line;
                    }
                    RefArg::Index(ix) => flatten_lines(ix, line),
                }
            }
        }
        ExprKind::Call { func, args } => {
            flatten_lines(func, line);
            args.iter_mut().for_each(|a| flatten_lines(a, line));
        }
        ExprKind::Array(items) | ExprKind::Set(items) => {
            items.iter_mut().for_each(|a| flatten_lines(a, line))
        }
        ExprKind::Object(fields) => fields.iter_mut().for_each(|(k, v)| {
            flatten_lines(k, line);
            flatten_lines(v, line);
        }),
        ExprKind::Neg(x) | ExprKind::Paren(x) => flatten_lines(x, line),
        ExprKind::Binary { lhs, rhs, .. } | ExprKind::Assign { lhs, rhs, .. } => {
            flatten_lines(lhs, line);
            flatten_lines(rhs, line);
        }
        ExprKind::Membership {
            key,
            value,
            collection,
        } => {
            if let Some(k) = key {
                flatten_lines(k, line);
            }
            flatten_lines(value, line);
            flatten_lines(collection, line);
        }
        // Heads hold no comprehensions worth placing exactly.
        _ => {}
    }
}

/// Whether `text` written straight after `out` would run into its last
/// token (two words, or two operators).
fn merges(out: &str, text: &str) -> bool {
    let (Some(a), Some(b)) = (out.chars().last(), text.chars().next()) else {
        return false;
    };
    let word = |c: char| c.is_alphanumeric() || c == '_';
    let op = |c: char| ":=!<>+-*/%&|".contains(c);
    (word(a) && word(b)) || (op(a) && op(b))
}

pub fn is_identifier(s: &str) -> bool {
    let mut chars = s.chars();
    chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

fn json_string(s: &str) -> String {
    serde_json::to_string(s).unwrap_or_else(|_| "\"\"".to_string())
}
