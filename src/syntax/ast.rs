//! The syntax tree: `Expr` and `Stmt`, each carrying the `Span` of its source text,
//! and a compact S-expression `Display` used by the parser's tests.

use crate::syntax::span::{Span, Spanned};
use std::fmt;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BinOp {
    Add,
    Sub,
    Mul,
    Div,
    Mod,
    MatMul,
    Pow,
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
    /// `&`: logical and of masks (bitwise and of whole numbers).
    BitAnd,
    /// `|`: logical or of masks (bitwise or of whole numbers).
    BitOr,
    /// `^`: logical exclusive or of masks (bitwise xor of whole numbers).
    BitXor,
    /// `//`: floor division (Python's: rounds toward negative infinity).
    FloorDiv,
    /// `in` / `not in`: membership in a list, tuple, string, dict or range.
    In,
    NotIn,
    /// `is` / `is not`: identity (`x is None`).
    Is,
    IsNot,
}

impl BinOp {
    /// The operator as the user wrote it.
    pub fn symbol(self) -> &'static str {
        match self {
            BinOp::Add => "+",
            BinOp::Sub => "-",
            BinOp::Mul => "*",
            BinOp::Div => "/",
            BinOp::Mod => "%",
            BinOp::MatMul => "@",
            BinOp::Pow => "**",
            BinOp::Eq => "==",
            BinOp::Ne => "!=",
            BinOp::Lt => "<",
            BinOp::Le => "<=",
            BinOp::Gt => ">",
            BinOp::Ge => ">=",
            BinOp::BitAnd => "&",
            BinOp::BitOr => "|",
            BinOp::BitXor => "^",
            BinOp::FloorDiv => "//",
            BinOp::In => "in",
            BinOp::NotIn => "not in",
            BinOp::Is => "is",
            BinOp::IsNot => "is not",
        }
    }

    pub fn is_comparison(self) -> bool {
        matches!(
            self,
            BinOp::Eq
                | BinOp::Ne
                | BinOp::Lt
                | BinOp::Le
                | BinOp::Gt
                | BinOp::Ge
                | BinOp::In
                | BinOp::NotIn
                | BinOp::Is
                | BinOp::IsNot
        )
    }

    /// Membership and identity tests: they compare Python values, never elementwise.
    pub fn is_membership_or_identity(self) -> bool {
        matches!(self, BinOp::In | BinOp::NotIn | BinOp::Is | BinOp::IsNot)
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum UnaryOp {
    Neg,
    Plus,
    Not,
    /// `~`: logical not of a mask (bitwise not of a whole number).
    Invert,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LogicOp {
    And,
    Or,
}

/// One argument of a call: positional (`name == None`) or keyword (`name=value`).
/// A positional argument may be `*xs` (its `value` is then `ExprKind::Starred`).
#[derive(Clone, Debug, PartialEq)]
pub struct Arg {
    pub name: Option<Spanned<String>>,
    pub value: Expr,
}

/// One piece of an f-string: literal text, or a replacement field `{expr!r:spec}`.
#[derive(Clone, Debug, PartialEq)]
pub enum FPart {
    Lit(String),
    Field {
        expr: Expr,
        /// `{x=}`: the expression's source text, printed before its value.
        debug: Option<String>,
        /// `!r`, `!s` or `!a`.
        conv: Option<char>,
        /// The format spec after `:`; it may hold fields of its own (`{x:{w}.2f}`).
        spec: Vec<FPart>,
    },
}

/// Which display a comprehension builds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CompKind {
    List,
    Set,
    Dict,
    /// A generator expression; tsr builds it eagerly as a list.
    Gen,
}

/// One `for target in iter if cond ...` clause of a comprehension.
#[derive(Clone, Debug, PartialEq)]
pub struct CompFor {
    pub target: Target,
    pub iter: Expr,
    pub conds: Vec<Expr>,
}

/// One item inside `x[...]`: a plain index expression or a slice `start:stop:step`.
#[derive(Clone, Debug, PartialEq)]
pub enum IndexItem {
    Index(Expr),
    /// `...`: the axes the other items leave.
    Ellipsis(Span),
    Slice {
        start: Option<Expr>,
        stop: Option<Expr>,
        step: Option<Expr>,
        span: Span,
    },
}

#[derive(Clone, Debug, PartialEq)]
pub enum ExprKind {
    Number(f64),
    Str(String),
    Bool(bool),
    None,
    Name(String),
    List(Vec<Expr>),
    Unary {
        op: UnaryOp,
        operand: Box<Expr>,
    },
    /// Arithmetic, `@`, `**` and a single comparison. `op_span` is the operator token.
    Binary {
        op: BinOp,
        op_span: Span,
        lhs: Box<Expr>,
        rhs: Box<Expr>,
    },
    /// A chain `a < b <= c` of two or more comparisons (Python semantics: pairwise, `and`-ed).
    Compare {
        first: Box<Expr>,
        rest: Vec<(BinOp, Span, Expr)>,
    },
    Logic {
        op: LogicOp,
        lhs: Box<Expr>,
        rhs: Box<Expr>,
    },
    Call {
        callee: Box<Expr>,
        args: Vec<Arg>,
    },
    /// `receiver.name(args)`: uniform call syntax for `name(receiver, args)`.
    Method {
        receiver: Box<Expr>,
        name: Spanned<String>,
        args: Vec<Arg>,
    },
    /// `object.name` without a call: a property such as `.shape`, `.T`, `.grad`.
    Attr {
        object: Box<Expr>,
        name: Spanned<String>,
    },
    Index {
        object: Box<Expr>,
        items: Vec<IndexItem>,
    },
    /// `(a, b)`, `a, b` or `(a,)`.
    Tuple(Vec<Expr>),
    /// `{k: v, ...}`.
    Dict(Vec<(Expr, Expr)>),
    /// `{a, b}`.
    Set(Vec<Expr>),
    /// `f"..."`.
    FString(Vec<FPart>),
    /// `[elt for ...]`, `{k: v for ...}` (`value` holds `v`), `{x for ...}`, `(x for ...)`.
    Comp {
        kind: CompKind,
        elt: Box<Expr>,
        value: Option<Box<Expr>>,
        clauses: Vec<CompFor>,
    },
    /// `then if cond else orelse`.
    IfExp {
        cond: Box<Expr>,
        then: Box<Expr>,
        orelse: Box<Expr>,
    },
    /// `lambda params: body`; the body is one `return` statement.
    Lambda {
        params: Vec<Param>,
        body: std::rc::Rc<Vec<Stmt>>,
    },
    /// `*xs` inside a call's arguments or a list/tuple display.
    Starred(Box<Expr>),
    /// `**d` among a call's arguments: the dict's items as keyword arguments.
    DoubleStarred(Box<Expr>),
    /// `name := value`: binds `name` in the current scope and is `value`.
    Walrus {
        name: Spanned<String>,
        value: Box<Expr>,
    },
}

#[derive(Clone, Debug, PartialEq)]
pub struct Expr {
    pub kind: ExprKind,
    pub span: Span,
}

impl Expr {
    pub fn new(kind: ExprKind, span: Span) -> Expr {
        Expr { kind, span }
    }
}

/// The left side of an assignment.
#[derive(Clone, Debug, PartialEq)]
pub enum Target {
    Name(Spanned<String>),
    Index {
        object: Box<Expr>,
        items: Vec<IndexItem>,
        span: Span,
    },
    /// `obj.name = ...`.
    Attr {
        object: Box<Expr>,
        name: Spanned<String>,
        span: Span,
    },
    /// `a, b = ...`, `(a, b)`, `[a, b]`: unpacking, nested as written.
    Tuple {
        items: Vec<Target>,
        span: Span,
    },
    /// `*rest` among a tuple's targets: the items the others leave, as a list.
    Starred {
        target: Box<Target>,
        span: Span,
    },
}

impl Target {
    pub fn span(&self) -> Span {
        match self {
            Target::Name(n) => n.span,
            Target::Index { span, .. }
            | Target::Attr { span, .. }
            | Target::Tuple { span, .. }
            | Target::Starred { span, .. } => *span,
        }
    }

    /// Every name the target binds, in order (`a, (b, c)` binds `a`, `b`, `c`).
    pub fn names(&self, out: &mut Vec<Spanned<String>>) {
        match self {
            Target::Name(n) => out.push(n.clone()),
            Target::Tuple { items, .. } => items.iter().for_each(|t| t.names(out)),
            Target::Starred { target, .. } => target.names(out),
            Target::Index { .. } | Target::Attr { .. } => {}
        }
    }
}

/// A parameter: plain (`a`, `a=1`), collecting the extra positional arguments
/// (`*args`), keyword-only (after `*args` or a bare `*`), or collecting the extra
/// keyword arguments (`**kwargs`, last).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ParamKind {
    Plain,
    Star,
    KwOnly,
    StarStar,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Param {
    pub name: Spanned<String>,
    pub default: Option<Expr>,
    pub kind: ParamKind,
}

#[derive(Clone, Debug, PartialEq)]
pub enum StmtKind {
    Expr(Expr),
    /// `target = value` (`op == None`) or `target op= value`; `op_span` is the `=`/`op=` token.
    Assign {
        target: Target,
        op: Option<BinOp>,
        op_span: Span,
        value: Expr,
    },
    If {
        branches: Vec<(Expr, Vec<Stmt>)>,
        else_body: Option<Vec<Stmt>>,
    },
    While {
        cond: Expr,
        body: Vec<Stmt>,
    },
    For {
        target: Target,
        iter: Expr,
        body: Vec<Stmt>,
    },
    Def {
        name: Spanned<String>,
        params: Vec<Param>,
        body: std::rc::Rc<Vec<Stmt>>,
        /// Decorated with `@no_grad()` / `@torch.no_grad()`.
        no_grad: bool,
        /// The other decorators, top to bottom (applied bottom-up: `f = d1(d2(f))`).
        decorators: Vec<Expr>,
    },
    Return(Option<Expr>),
    Break,
    Continue,
    Pass,
    /// `a = b = value`: the value is evaluated once and bound to each target, left first.
    MultiAssign {
        targets: Vec<Target>,
        value: Expr,
    },
    Class {
        name: Spanned<String>,
        base: Option<Expr>,
        body: std::rc::Rc<Vec<Stmt>>,
    },
    /// `with ctx [as target], ...:` (`no_grad()` and `open(path)`).
    With {
        items: Vec<(Expr, Option<Target>)>,
        body: Vec<Stmt>,
    },
    /// `import a.b [as c]`.
    Import {
        module: Spanned<String>,
        alias: Option<Spanned<String>>,
    },
    /// `from a.b import x [as y], ...`.
    FromImport {
        module: Spanned<String>,
        names: Vec<(Spanned<String>, Option<Spanned<String>>)>,
    },
    Assert {
        cond: Expr,
        msg: Option<Expr>,
    },
    Raise(Option<Expr>),
    Del(Vec<Target>),
    /// `global a, b` (and `nonlocal`).
    Global(Vec<Spanned<String>>),
}

#[derive(Clone, Debug, PartialEq)]
pub struct Stmt {
    pub kind: StmtKind,
    pub span: Span,
}

/// A parsed file or REPL input.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Program {
    pub stmts: Vec<Stmt>,
}

// ---------------------------------------------------------------- S-expression display

fn write_args(f: &mut fmt::Formatter<'_>, args: &[Arg]) -> fmt::Result {
    for a in args {
        match &a.name {
            Some(n) => write!(f, " (kw {} {})", n.node, a.value)?,
            None => write!(f, " {}", a.value)?,
        }
    }
    Ok(())
}

fn write_items(f: &mut fmt::Formatter<'_>, items: &[IndexItem]) -> fmt::Result {
    for it in items {
        match it {
            IndexItem::Index(e) => write!(f, " {e}")?,
            IndexItem::Ellipsis(_) => write!(f, " ...")?,
            IndexItem::Slice {
                start, stop, step, ..
            } => {
                write!(f, " (slice")?;
                for part in [start, stop, step] {
                    match part {
                        Some(e) => write!(f, " {e}")?,
                        None => write!(f, " _")?,
                    }
                }
                write!(f, ")")?;
            }
        }
    }
    Ok(())
}

impl fmt::Display for Expr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.kind {
            ExprKind::Number(n) => write!(f, "{n}"),
            ExprKind::Str(s) => write!(f, "{s:?}"),
            ExprKind::Bool(b) => write!(f, "{}", if *b { "True" } else { "False" }),
            ExprKind::None => write!(f, "None"),
            ExprKind::Name(n) => write!(f, "{n}"),
            ExprKind::List(items) => {
                write!(f, "(list")?;
                for e in items {
                    write!(f, " {e}")?;
                }
                write!(f, ")")
            }
            ExprKind::Unary { op, operand } => {
                let s = match op {
                    UnaryOp::Neg => "neg",
                    UnaryOp::Plus => "pos",
                    UnaryOp::Not => "not",
                    UnaryOp::Invert => "invert",
                };
                write!(f, "({s} {operand})")
            }
            ExprKind::Binary { op, lhs, rhs, .. } => write!(f, "({} {lhs} {rhs})", op.symbol()),
            ExprKind::Compare { first, rest } => {
                write!(f, "(cmp {first}")?;
                for (op, _, e) in rest {
                    write!(f, " {} {e}", op.symbol())?;
                }
                write!(f, ")")
            }
            ExprKind::Logic { op, lhs, rhs } => {
                let s = if *op == LogicOp::And { "and" } else { "or" };
                write!(f, "({s} {lhs} {rhs})")
            }
            ExprKind::Call { callee, args } => {
                write!(f, "(call {callee}")?;
                write_args(f, args)?;
                write!(f, ")")
            }
            ExprKind::Method {
                receiver,
                name,
                args,
            } => {
                write!(f, "(method {receiver} {}", name.node)?;
                write_args(f, args)?;
                write!(f, ")")
            }
            ExprKind::Attr { object, name } => write!(f, "(. {object} {})", name.node),
            ExprKind::Index { object, items } => {
                write!(f, "(index {object}")?;
                write_items(f, items)?;
                write!(f, ")")
            }
            ExprKind::Tuple(items) => write_list(f, "tuple", items),
            ExprKind::Set(items) => write_list(f, "set", items),
            ExprKind::Dict(pairs) => {
                write!(f, "(dict")?;
                for (k, v) in pairs {
                    write!(f, " ({k} {v})")?;
                }
                write!(f, ")")
            }
            ExprKind::FString(parts) => {
                write!(f, "(fstr")?;
                write_fparts(f, parts)?;
                write!(f, ")")
            }
            ExprKind::Comp {
                kind,
                elt,
                value,
                clauses,
            } => {
                write!(f, "({kind:?}comp {elt}")?;
                if let Some(v) = value {
                    write!(f, " {v}")?;
                }
                for c in clauses {
                    write!(f, " (for {} {}", c.target, c.iter)?;
                    for cond in &c.conds {
                        write!(f, " (if {cond})")?;
                    }
                    write!(f, ")")?;
                }
                write!(f, ")")
            }
            ExprKind::IfExp { cond, then, orelse } => write!(f, "(ifexp {cond} {then} {orelse})"),
            ExprKind::Lambda { params, body } => {
                write!(f, "(lambda (")?;
                write_params(f, params)?;
                write!(f, ") ")?;
                write_block(f, body)?;
                write!(f, ")")
            }
            ExprKind::Starred(e) => write!(f, "(* {e})"),
            ExprKind::DoubleStarred(e) => write!(f, "(** {e})"),
            ExprKind::Walrus { name, value } => write!(f, "(:= {} {value})", name.node),
        }
    }
}

fn write_list(f: &mut fmt::Formatter<'_>, head: &str, items: &[Expr]) -> fmt::Result {
    write!(f, "({head}")?;
    for e in items {
        write!(f, " {e}")?;
    }
    write!(f, ")")
}

fn write_fparts(f: &mut fmt::Formatter<'_>, parts: &[FPart]) -> fmt::Result {
    for p in parts {
        match p {
            FPart::Lit(s) => write!(f, " {s:?}")?,
            FPart::Field {
                expr, conv, spec, ..
            } => {
                write!(f, " {{{expr}")?;
                if let Some(c) = conv {
                    write!(f, " !{c}")?;
                }
                if !spec.is_empty() {
                    write!(f, " :")?;
                    write_fparts(f, spec)?;
                }
                write!(f, "}}")?;
            }
        }
    }
    Ok(())
}

fn write_params(f: &mut fmt::Formatter<'_>, params: &[Param]) -> fmt::Result {
    for (i, p) in params.iter().enumerate() {
        if i > 0 {
            write!(f, " ")?;
        }
        let star = match p.kind {
            ParamKind::Plain => "",
            ParamKind::Star => "*",
            ParamKind::KwOnly => "kw:",
            ParamKind::StarStar => "**",
        };
        match &p.default {
            Some(d) => write!(f, "(= {star}{} {d})", p.name.node)?,
            None => write!(f, "{star}{}", p.name.node)?,
        }
    }
    Ok(())
}

impl fmt::Display for Target {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Target::Name(n) => write!(f, "{}", n.node),
            Target::Index { object, items, .. } => {
                write!(f, "(index {object}")?;
                write_items(f, items)?;
                write!(f, ")")
            }
            Target::Attr { object, name, .. } => write!(f, "(. {object} {})", name.node),
            Target::Tuple { items, .. } => {
                write!(f, "(tuple")?;
                for t in items {
                    write!(f, " {t}")?;
                }
                write!(f, ")")
            }
            Target::Starred { target, .. } => write!(f, "(* {target})"),
        }
    }
}

fn write_block(f: &mut fmt::Formatter<'_>, body: &[Stmt]) -> fmt::Result {
    write!(f, "(block")?;
    for s in body {
        write!(f, " {s}")?;
    }
    write!(f, ")")
}

impl fmt::Display for Stmt {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.kind {
            StmtKind::Expr(e) => write!(f, "{e}"),
            StmtKind::Assign {
                target, op, value, ..
            } => {
                let sym = match op {
                    Some(o) => format!("{}=", o.symbol()),
                    None => "=".to_string(),
                };
                write!(f, "({sym} {target} {value})")
            }
            StmtKind::If {
                branches,
                else_body,
            } => {
                write!(f, "(if")?;
                for (c, b) in branches {
                    write!(f, " {c} ")?;
                    write_block(f, b)?;
                }
                if let Some(b) = else_body {
                    write!(f, " else ")?;
                    write_block(f, b)?;
                }
                write!(f, ")")
            }
            StmtKind::While { cond, body } => {
                write!(f, "(while {cond} ")?;
                write_block(f, body)?;
                write!(f, ")")
            }
            StmtKind::For { target, iter, body } => {
                write!(f, "(for {target} {iter} ")?;
                write_block(f, body)?;
                write!(f, ")")
            }
            StmtKind::Def {
                name,
                params,
                body,
                no_grad,
                decorators,
            } => {
                let deco = if *no_grad { "@no_grad " } else { "" };
                write!(f, "({deco}")?;
                for d in decorators {
                    write!(f, "@{d} ")?;
                }
                write!(f, "def {} (", name.node)?;
                write_params(f, params)?;
                write!(f, ") ")?;
                write_block(f, body)?;
                write!(f, ")")
            }
            StmtKind::Return(Some(e)) => write!(f, "(return {e})"),
            StmtKind::Return(None) => write!(f, "(return)"),
            StmtKind::Break => write!(f, "break"),
            StmtKind::Continue => write!(f, "continue"),
            StmtKind::Pass => write!(f, "pass"),
            StmtKind::MultiAssign { targets, value } => {
                write!(f, "(=")?;
                for t in targets {
                    write!(f, " {t}")?;
                }
                write!(f, " {value})")
            }
            StmtKind::Class { name, base, body } => {
                write!(f, "(class {}", name.node)?;
                if let Some(b) = base {
                    write!(f, " ({b})")?;
                }
                write!(f, " ")?;
                write_block(f, body)?;
                write!(f, ")")
            }
            StmtKind::With { items, body } => {
                write!(f, "(with")?;
                for (e, t) in items {
                    match t {
                        Some(t) => write!(f, " (as {e} {t})")?,
                        None => write!(f, " {e}")?,
                    }
                }
                write!(f, " ")?;
                write_block(f, body)?;
                write!(f, ")")
            }
            StmtKind::Import { module, alias } => match alias {
                Some(a) => write!(f, "(import {} as {})", module.node, a.node),
                None => write!(f, "(import {})", module.node),
            },
            StmtKind::FromImport { module, names } => {
                write!(f, "(from {} import", module.node)?;
                for (n, a) in names {
                    match a {
                        Some(a) => write!(f, " ({} as {})", n.node, a.node)?,
                        None => write!(f, " {}", n.node)?,
                    }
                }
                write!(f, ")")
            }
            StmtKind::Assert { cond, msg } => match msg {
                Some(m) => write!(f, "(assert {cond} {m})"),
                None => write!(f, "(assert {cond})"),
            },
            StmtKind::Raise(Some(e)) => write!(f, "(raise {e})"),
            StmtKind::Raise(None) => write!(f, "(raise)"),
            StmtKind::Del(targets) => {
                write!(f, "(del")?;
                for t in targets {
                    write!(f, " {t}")?;
                }
                write!(f, ")")
            }
            StmtKind::Global(names) => {
                write!(f, "(global")?;
                for n in names {
                    write!(f, " {}", n.node)?;
                }
                write!(f, ")")
            }
        }
    }
}

impl fmt::Display for Program {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for s in &self.stmts {
            writeln!(f, "{s}")?;
        }
        Ok(())
    }
}
