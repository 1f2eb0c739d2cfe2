//! Gavel's syntax tree of a Rego module, v0 and v1 alike, with the exact
//! place of every node. It keeps what the author wrote (`=` or `:=`, a v0
//! `p[x] { }` or a v1 `p contains x if { }`, parentheses, several bodies);
//! readers ask it what a construct means (see [`Rule::kind`]).

/// Where a node is: byte range, and the line and column (1-based, columns
/// in characters) of its first character; `end_line` and `end_col` where
/// it ends (the column just past its last character).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub struct Span {
    pub start: u32,
    pub end: u32,
    pub line: u32,
    pub col: u32,
    pub end_line: u32,
    pub end_col: u32,
}

impl Span {
    /// From the start of `self` to the end of `other`.
    pub fn to(self, other: Span) -> Span {
        Span {
            end: other.end,
            end_line: other.end_line,
            end_col: other.end_col,
            ..self
        }
    }

    /// The source text of the span.
    pub fn text(self, source: &str) -> &str {
        source
            .get(self.start as usize..self.end as usize)
            .unwrap_or("")
    }
}

#[derive(Debug, Clone)]
pub struct Module {
    pub package: Package,
    pub imports: Vec<Import>,
    pub rules: Vec<Rule>,
    pub comments: Vec<super::lexer::Comment>,
    /// Parsed with v1's grammar (the engine's default, or `import rego.v1`).
    pub rego_v1: bool,
}

#[derive(Debug, Clone)]
pub struct Package {
    pub span: Span,
    /// `a.b["c-d"]`, without `data.`.
    pub path: Vec<PathSegment>,
}

/// One step of a package or import path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PathSegment {
    pub name: String,
    pub span: Span,
}

#[derive(Debug, Clone)]
pub struct Import {
    pub span: Span,
    /// `data.a.b`, `input.x`, `future.keywords.in`, `rego.v1`.
    pub path: Expr,
    pub alias: Option<(String, Span)>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AssignOp {
    /// `:=`
    Assign,
    /// `=`
    Unify,
}

impl AssignOp {
    pub fn as_str(self) -> &'static str {
        match self {
            AssignOp::Assign => ":=",
            AssignOp::Unify => "=",
        }
    }
}

#[derive(Debug, Clone)]
pub struct Rule {
    pub span: Span,
    pub default: bool,
    pub head: Head,
    /// The bodies after the head: none (a constant), one, or several
    /// (`p if { a } { b }`: one definition per body, as OPA has it).
    pub bodies: Vec<Body>,
    /// `else` branches, in order.
    pub elses: Vec<Else>,
}

#[derive(Debug, Clone)]
pub struct Head {
    pub span: Span,
    /// The rule's reference: a name (`allow`) or a ref (`a.b[x]`).
    pub reference: Expr,
    /// A function's arguments.
    pub args: Option<Vec<Expr>>,
    /// `contains x`.
    pub contains: Option<Expr>,
    /// `:= v` or `= v`.
    pub value: Option<(AssignOp, Expr)>,
    /// `if` was written.
    pub has_if: bool,
}

#[derive(Debug, Clone)]
pub struct Body {
    pub span: Span,
    /// `{ ... }` (or the single statement after `if`, unbraced).
    pub braced: bool,
    pub literals: Vec<Literal>,
}

#[derive(Debug, Clone)]
pub struct Else {
    pub span: Span,
    pub value: Option<(AssignOp, Expr)>,
    pub has_if: bool,
    pub body: Option<Body>,
}

/// What a rule defines, in OPA's terms.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RuleKind {
    /// `r := v`, `r if ...`: one value.
    Complete,
    /// `r contains x`, v0 `r[x] { }`: a set built by many definitions.
    PartialSet,
    /// `r[k] := v`: an object built key by key.
    PartialObject,
    Function,
    Default,
}

#[derive(Debug, Clone)]
pub struct Literal {
    pub span: Span,
    pub kind: LiteralKind,
    pub with: Vec<With>,
}

#[derive(Debug, Clone)]
pub enum LiteralKind {
    Expr(Expr),
    /// `not expr` (the span of `not` is the literal's start).
    Not(Expr),
    /// `some a, b`
    SomeVars(Vec<(String, Span)>),
    /// `some v in c`, `some k, v in c`
    SomeIn {
        key: Option<Expr>,
        value: Expr,
        collection: Expr,
    },
    /// `every v in c { }`, `every k, v in c { }`
    Every {
        key: Option<Expr>,
        value: Expr,
        domain: Expr,
        body: Body,
    },
}

#[derive(Debug, Clone)]
pub struct With {
    pub span: Span,
    pub target: Expr,
    pub value: Expr,
}

#[derive(Debug, Clone)]
pub struct Expr {
    pub span: Span,
    pub kind: ExprKind,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BinOp {
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
    Or,
    And,
    Add,
    Sub,
    Mul,
    Div,
    Mod,
}

impl BinOp {
    pub fn as_str(self) -> &'static str {
        match self {
            BinOp::Eq => "==",
            BinOp::Ne => "!=",
            BinOp::Lt => "<",
            BinOp::Le => "<=",
            BinOp::Gt => ">",
            BinOp::Ge => ">=",
            BinOp::Or => "|",
            BinOp::And => "&",
            BinOp::Add => "+",
            BinOp::Sub => "-",
            BinOp::Mul => "*",
            BinOp::Div => "/",
            BinOp::Mod => "%",
        }
    }

    /// Binding strength, OPA's: relations, `|`, `&`, `+ -`, `* / %`.
    pub fn precedence(self) -> u8 {
        match self {
            BinOp::Eq | BinOp::Ne | BinOp::Lt | BinOp::Le | BinOp::Gt | BinOp::Ge => 1,
            BinOp::Or => 2,
            BinOp::And => 3,
            BinOp::Add | BinOp::Sub => 4,
            BinOp::Mul | BinOp::Div | BinOp::Mod => 5,
        }
    }

    pub fn from_symbol(s: &str) -> Option<BinOp> {
        Some(match s {
            "==" => BinOp::Eq,
            "!=" => BinOp::Ne,
            "<" => BinOp::Lt,
            "<=" => BinOp::Le,
            ">" => BinOp::Gt,
            ">=" => BinOp::Ge,
            "|" => BinOp::Or,
            "&" => BinOp::And,
            "+" => BinOp::Add,
            "-" => BinOp::Sub,
            "*" => BinOp::Mul,
            "/" => BinOp::Div,
            "%" => BinOp::Mod,
            _ => return None,
        })
    }
}

/// One step after the head of a reference.
#[derive(Debug, Clone)]
pub enum RefArg {
    /// `.name`
    Dot { name: String, span: Span },
    /// `[expr]`
    Index(Expr),
}

#[derive(Debug, Clone)]
pub enum ExprKind {
    Null,
    Bool(bool),
    /// The number as written.
    Number(String),
    /// A string's value; `raw` when written in backticks.
    String {
        value: String,
        raw: bool,
    },
    Var(String),
    /// `head.a[b]...`
    Ref {
        head: Box<Expr>,
        path: Vec<RefArg>,
    },
    /// `f(a, b)`, `a.b.f(x)`: `func` is a var or a ref.
    Call {
        func: Box<Expr>,
        args: Vec<Expr>,
    },
    Array(Vec<Expr>),
    Set(Vec<Expr>),
    Object(Vec<(Expr, Expr)>),
    ArrayCompr {
        term: Box<Expr>,
        body: Body,
    },
    SetCompr {
        term: Box<Expr>,
        body: Body,
    },
    ObjectCompr {
        key: Box<Expr>,
        value: Box<Expr>,
        body: Body,
    },
    /// `-x`
    Neg(Box<Expr>),
    Binary {
        op: BinOp,
        lhs: Box<Expr>,
        rhs: Box<Expr>,
    },
    /// `x in c`, `k, v in c`
    Membership {
        key: Option<Box<Expr>>,
        value: Box<Expr>,
        collection: Box<Expr>,
    },
    /// `a := b`, `a = b` (a statement's top only).
    Assign {
        op: AssignOp,
        lhs: Box<Expr>,
        rhs: Box<Expr>,
    },
    /// `( e )`
    Paren(Box<Expr>),
}

impl Expr {
    pub fn new(span: Span, kind: ExprKind) -> Expr {
        Expr { span, kind }
    }

    pub fn var_name(&self) -> Option<&str> {
        match &self.kind {
            ExprKind::Var(v) => Some(v),
            _ => None,
        }
    }

    /// Dotted text of a ref made of a var and `.name` / `["string"]` steps
    /// (`data.a.b`, `a["b"]` -> `a.b`), if it is one.
    pub fn static_path(&self) -> Option<Vec<String>> {
        match &self.kind {
            ExprKind::Var(v) => Some(vec![v.clone()]),
            ExprKind::Ref { head, path } => {
                let mut out = head.static_path()?;
                for step in path {
                    match step {
                        RefArg::Dot { name, .. } => out.push(name.clone()),
                        RefArg::Index(Expr {
                            kind: ExprKind::String { value, .. },
                            ..
                        }) => out.push(value.clone()),
                        RefArg::Index(_) => return None,
                    }
                }
                Some(out)
            }
            _ => None,
        }
    }

    /// The first var of a ref or var (`data` of `data.a[x]`).
    pub fn root_var(&self) -> Option<&str> {
        match &self.kind {
            ExprKind::Var(v) => Some(v),
            ExprKind::Ref { head, .. } => head.root_var(),
            _ => None,
        }
    }

    /// Written without a var, a ref or a call: a value known before any
    /// evaluation (comprehensions are not).
    pub fn is_ground_literal(&self) -> bool {
        match &self.kind {
            ExprKind::Null | ExprKind::Bool(_) | ExprKind::Number(_) | ExprKind::String { .. } => {
                true
            }
            ExprKind::Array(items) | ExprKind::Set(items) => {
                items.iter().all(Expr::is_ground_literal)
            }
            ExprKind::Object(fields) => fields
                .iter()
                .all(|(k, v)| k.is_ground_literal() && v.is_ground_literal()),
            ExprKind::Neg(e) => matches!(e.kind, ExprKind::Number(_)),
            ExprKind::Paren(e) => e.is_ground_literal(),
            _ => false,
        }
    }

    /// An array, set or object literal (not a comprehension).
    pub fn is_composite(&self) -> bool {
        matches!(
            self.kind,
            ExprKind::Array(_) | ExprKind::Set(_) | ExprKind::Object(_)
        )
    }
}

impl Module {
    /// The package, dotted, without `data.`: `gfr.procurement`.
    pub fn package_name(&self) -> String {
        self.package
            .path
            .iter()
            .map(|s| s.name.as_str())
            .collect::<Vec<_>>()
            .join(".")
    }
}

impl Head {
    /// The rule's name up to its first `[`: `a.b` of `a.b[x]`.
    pub fn name_path(&self) -> String {
        let mut names = Vec::new();
        let mut e = &self.reference;
        loop {
            match &e.kind {
                ExprKind::Var(v) => {
                    names.push(v.as_str());
                    break;
                }
                ExprKind::Ref { head, path } => {
                    let dots: Vec<&str> = path
                        .iter()
                        .map_while(|s| match s {
                            RefArg::Dot { name, .. } => Some(name.as_str()),
                            RefArg::Index(_) => None,
                        })
                        .collect();
                    names.extend(dots.into_iter().rev());
                    e = head;
                }
                _ => break,
            }
        }
        names.reverse();
        names.join(".")
    }
}

impl Rule {
    /// The rule's first name (`a` of `a.b[x]`).
    pub fn name(&self) -> &str {
        self.head.reference.root_var().unwrap_or("")
    }

    /// What OPA makes of this rule.
    pub fn kind(&self) -> RuleKind {
        if self.default {
            return RuleKind::Default;
        }
        if self.head.args.is_some() {
            return RuleKind::Function;
        }
        if self.head.contains.is_some() {
            return RuleKind::PartialSet;
        }
        if let ExprKind::Ref { path, .. } = &self.head.reference.kind
            && let Some(RefArg::Index(last)) = path.last()
            && !matches!(last.kind, ExprKind::String { .. })
        {
            // (The parser turned v0's `p[x] { }` into `p contains x`.)
            let _ = last;
            return RuleKind::PartialObject;
        }
        RuleKind::Complete
    }
}
