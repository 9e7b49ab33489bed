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
        }
    }

    pub fn is_comparison(self) -> bool {
        matches!(
            self,
            BinOp::Eq | BinOp::Ne | BinOp::Lt | BinOp::Le | BinOp::Gt | BinOp::Ge
        )
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
#[derive(Clone, Debug, PartialEq)]
pub struct Arg {
    pub name: Option<Spanned<String>>,
    pub value: Expr,
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
}

impl Target {
    pub fn span(&self) -> Span {
        match self {
            Target::Name(n) => n.span,
            Target::Index { span, .. } => *span,
        }
    }
}

#[derive(Clone, Debug, PartialEq)]
pub struct Param {
    pub name: Spanned<String>,
    pub default: Option<Expr>,
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
        var: Spanned<String>,
        iter: Expr,
        body: Vec<Stmt>,
    },
    Def {
        name: Spanned<String>,
        params: Vec<Param>,
        body: std::rc::Rc<Vec<Stmt>>,
    },
    Return(Option<Expr>),
    Break,
    Continue,
    Pass,
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
                match target {
                    Target::Name(n) => write!(f, "({sym} {} {value})", n.node),
                    Target::Index { object, items, .. } => {
                        write!(f, "({sym} (index {object}")?;
                        write_items(f, items)?;
                        write!(f, ") {value})")
                    }
                }
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
            StmtKind::For { var, iter, body } => {
                write!(f, "(for {} {iter} ", var.node)?;
                write_block(f, body)?;
                write!(f, ")")
            }
            StmtKind::Def { name, params, body } => {
                write!(f, "(def {} (", name.node)?;
                for (i, p) in params.iter().enumerate() {
                    if i > 0 {
                        write!(f, " ")?;
                    }
                    match &p.default {
                        Some(d) => write!(f, "(= {} {d})", p.name.node)?,
                        None => write!(f, "{}", p.name.node)?,
                    }
                }
                write!(f, ") ")?;
                write_block(f, body)?;
                write!(f, ")")
            }
            StmtKind::Return(Some(e)) => write!(f, "(return {e})"),
            StmtKind::Return(None) => write!(f, "(return)"),
            StmtKind::Break => write!(f, "break"),
            StmtKind::Continue => write!(f, "continue"),
            StmtKind::Pass => write!(f, "pass"),
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
