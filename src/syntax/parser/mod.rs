//! The parser: recursive descent over the lexer's tokens, one function per rule of
//! `grammar.md` (same names), with Pratt binding powers for the binary operators.
//!
//! It reports every syntax error of a program: after an error it skips to the end of
//! the statement (the next NEWLINE, or the DEDENT closing the block) and goes on.
//! Errors the lexer already reported (`Token::Error`) make the statement fail silently,
//! so one mistake gives one diagnostic. Recursion is bounded: expressions nest at most
//! `MAX_DEPTH` levels and blocks at most `MAX_BLOCKS`, whatever the input.
//!
//! Spans: every node covers the source it came from. A parenthesised expression keeps
//! its own node but its span is widened to include the parentheses, so a label under
//! `(a + b)` underlines what the user wrote.

use crate::syntax::ast::{
    Arg, BinOp, Expr, ExprKind, IndexItem, LogicOp, Param, Program, Stmt, StmtKind, Target, UnaryOp,
};
use crate::syntax::diagnostic::Diagnostic;
use crate::syntax::lexer::{lex, Token};
use crate::syntax::span::{Span, Spanned};
use std::rc::Rc;

/// The deepest expression nesting accepted (brackets, operators, postfix chains).
pub const MAX_DEPTH: usize = 200;
/// The deepest block nesting accepted.
pub const MAX_BLOCKS: usize = 100;

/// Parse a whole program. Returns the statements that parsed and every syntax error
/// (lexer and parser) in source order; the program is only meaningful if there are none.
pub fn parse(src: &str) -> (Program, Vec<Diagnostic>) {
    let lexed = lex(src);
    let mut diagnostics = lexed.diagnostics;
    let mut parser = Parser {
        src,
        tokens: lexed.tokens,
        pos: 0,
        last_end: 0,
        diagnostics: Vec::new(),
        unclosed: lexed.unclosed,
        unterminated: lexed.unterminated,
        open_brackets: Vec::new(),
        depth: 0,
        blocks: 0,
        in_def: false,
        in_loop: false,
        recovered: false,
        orphan_branch_ok: false,
    };
    let program = parser.program();
    diagnostics.append(&mut parser.diagnostics);
    diagnostics.sort_by_key(|d| d.primary_span().map_or(usize::MAX, |s| s.start));
    (program, diagnostics)
}

/// For the REPL: true when `src` cannot be complete yet and the user should be asked
/// for another line. That is when it ends inside a bracket, its last line ends in `:`,
/// a binary operator or `\`, or it has opened an indented block and its last line is
/// not empty. An unterminated string is an error, not incomplete input.
pub fn is_incomplete(src: &str) -> bool {
    if src.trim().is_empty() {
        return false;
    }
    let lexed = lex(src);
    if !lexed.unterminated.is_empty() {
        return false;
    }
    if lexed.open_at_end || lexed.ends_with_backslash {
        return true;
    }
    let last = lexed.tokens.iter().rev().find(|t| {
        !matches!(
            t.node,
            Token::Newline | Token::Indent | Token::Dedent | Token::Eof
        )
    });
    if let Some(last) = last {
        if last.node == Token::Colon || last.node.is_operator() {
            return true;
        }
    }
    let last_line = src.rsplit('\n').next().unwrap_or("");
    let opened_block = lexed.tokens.iter().any(|t| t.node == Token::Indent);
    opened_block && !last_line.trim().is_empty()
}

/// A diagnostic has been recorded; unwind to the statement and recover there.
#[derive(Debug)]
struct Fail;

type PResult<T> = Result<T, Fail>;

/// Binding powers (left, right) of the binary operators; higher binds tighter.
const OR_BP: (u8, u8) = (1, 2);
const AND_BP: (u8, u8) = (3, 4);
/// The operand of `not` is parsed at this power; `not` may not stand where an operand
/// of a tighter operator is expected (`a == not b` is an error, as in Python).
const NOT_BP: u8 = 5;
const CMP_BP: (u8, u8) = (7, 8);
/// `|` and `&` bind tighter than comparisons and looser than `+`, as in Python (so
/// masks are combined as `(x > 0) & (y > 0)`).
const BITOR_BP: (u8, u8) = (9, 10);
const BITAND_BP: (u8, u8) = (11, 12);
const SUM_BP: (u8, u8) = (13, 14);
const TERM_BP: (u8, u8) = (15, 16);
/// The operand of unary `-`/`+`/`~`: tighter than `*`, looser than `**`, so `-x**2` is
/// `-(x**2)`.
const UNARY_BP: u8 = 17;
/// `**` is right-associative: its right side is parsed at a lower power than its left.
const POW_BP: (u8, u8) = (20, 19);

enum Infix {
    Logic(LogicOp, (u8, u8)),
    Compare,
    Binary(BinOp, (u8, u8)),
}

fn infix(token: &Token) -> Option<Infix> {
    Some(match token {
        Token::Or => Infix::Logic(LogicOp::Or, OR_BP),
        Token::And => Infix::Logic(LogicOp::And, AND_BP),
        Token::Plus => Infix::Binary(BinOp::Add, SUM_BP),
        Token::Minus => Infix::Binary(BinOp::Sub, SUM_BP),
        Token::Star => Infix::Binary(BinOp::Mul, TERM_BP),
        Token::Slash => Infix::Binary(BinOp::Div, TERM_BP),
        Token::Percent => Infix::Binary(BinOp::Mod, TERM_BP),
        Token::At => Infix::Binary(BinOp::MatMul, TERM_BP),
        Token::StarStar => Infix::Binary(BinOp::Pow, POW_BP),
        Token::Amp => Infix::Binary(BinOp::BitAnd, BITAND_BP),
        Token::Pipe => Infix::Binary(BinOp::BitOr, BITOR_BP),
        t => {
            comparison_op(t)?;
            Infix::Compare
        }
    })
}

fn comparison_op(token: &Token) -> Option<BinOp> {
    Some(match token {
        Token::EqEq => BinOp::Eq,
        Token::NotEq => BinOp::Ne,
        Token::Lt => BinOp::Lt,
        Token::Le => BinOp::Le,
        Token::Gt => BinOp::Gt,
        Token::Ge => BinOp::Ge,
        _ => return None,
    })
}

fn assign_op(token: &Token) -> Option<Option<BinOp>> {
    Some(match token {
        Token::Assign => None,
        Token::PlusAssign => Some(BinOp::Add),
        Token::MinusAssign => Some(BinOp::Sub),
        Token::StarAssign => Some(BinOp::Mul),
        Token::SlashAssign => Some(BinOp::Div),
        _ => return None,
    })
}

/// Tokens that can begin an expression; used to guess that an operator or `,` is missing.
fn starts_expression(token: &Token) -> bool {
    matches!(
        token,
        Token::Number(_)
            | Token::Str(_)
            | Token::Name(_)
            | Token::True
            | Token::False
            | Token::None
            | Token::LParen
            | Token::LBracket
            | Token::Not
    )
}

struct Parser<'s> {
    src: &'s str,
    tokens: Vec<Spanned<Token>>,
    pos: usize,
    /// End of the last consumed token that is visible text (not NEWLINE/INDENT/DEDENT).
    last_end: usize,
    diagnostics: Vec<Diagnostic>,
    /// Opening brackets the lexer found never closed.
    unclosed: Vec<Span>,
    /// Starts of unterminated strings; an unclosed bracket before one is its
    /// consequence (`print("abc`) and is not reported again.
    unterminated: Vec<usize>,
    /// Brackets open at the current point of the statement being parsed.
    open_brackets: Vec<(Span, Token)>,
    depth: usize,
    blocks: usize,
    in_def: bool,
    in_loop: bool,
    /// The last statement failed and was skipped; a following indented block or
    /// `elif`/`else` belongs to it and is not reported again.
    recovered: bool,
    orphan_branch_ok: bool,
}

impl Parser<'_> {
    // ------------------------------------------------------------------ token access

    fn peek(&self) -> &Token {
        self.nth(0)
    }

    fn nth(&self, k: usize) -> &Token {
        let i = (self.pos + k).min(self.tokens.len() - 1);
        &self.tokens[i].node
    }

    fn span(&self) -> Span {
        self.tokens[self.pos.min(self.tokens.len() - 1)].span
    }

    fn at(&self, token: &Token) -> bool {
        self.peek() == token
    }

    /// Consume the current token (never moving past `Eof`) and return its span.
    fn bump(&mut self) -> Span {
        let token = &self.tokens[self.pos.min(self.tokens.len() - 1)];
        let span = token.span;
        let visible = !matches!(
            token.node,
            Token::Newline | Token::Indent | Token::Dedent | Token::Eof
        );
        if token.node != Token::Eof {
            self.pos += 1;
        }
        if visible {
            self.last_end = span.end;
        }
        span
    }

    fn eat(&mut self, token: &Token) -> Option<Span> {
        if self.at(token) {
            Some(self.bump())
        } else {
            None
        }
    }

    fn text(&self, span: Span) -> &str {
        self.src.get(span.start..span.end).unwrap_or("")
    }

    fn found(&self) -> String {
        let span = self.span();
        // The empty NEWLINE the lexer inserts before a statement keyword inside an
        // unclosed bracket: name the keyword the user wrote instead.
        if *self.peek() == Token::Newline && span.is_empty() && span.start < self.src.len() {
            let next = &self.tokens[(self.pos + 1).min(self.tokens.len() - 1)];
            return next.node.describe(self.text(next.span));
        }
        self.peek().describe(self.text(span))
    }

    /// An empty span just after the last visible token: where something is missing.
    fn after_last(&self) -> Span {
        Span::new(self.last_end, self.last_end)
    }

    fn at_statement_end(&self) -> bool {
        matches!(
            self.peek(),
            Token::Newline | Token::Semicolon | Token::Eof | Token::Dedent
        )
    }

    // ------------------------------------------------------------------ reporting

    fn error(&mut self, diagnostic: Diagnostic) {
        self.diagnostics.push(diagnostic);
    }

    /// Report "expected X, found Y" at the current token and fail. A token the lexer
    /// already reported fails silently.
    fn unexpected<T>(&mut self, expected: &str, help: Option<String>) -> PResult<T> {
        if self.at(&Token::Error) {
            return Err(Fail);
        }
        // Reaching the end of the line inside a bracket the user never closed: that
        // bracket is the error, whatever else was expected here.
        if matches!(self.peek(), Token::Newline | Token::Eof) {
            if let Some((open, closer)) = self.open_brackets.last().cloned() {
                if self.unclosed.contains(&open) {
                    return self.report_unclosed(open, &closer);
                }
            }
        }
        let found = self.found();
        let mut diagnostic = Diagnostic::error(
            "syntax::unexpected",
            format!("expected {expected}, found {found}"),
        )
        .primary(self.span(), format!("expected {expected}"));
        if let Some(help) = help {
            diagnostic = diagnostic.help(help);
        }
        self.error(diagnostic);
        Err(Fail)
    }

    fn expect_name(&mut self, expected: &str, help: Option<String>) -> PResult<Spanned<String>> {
        match self.peek().clone() {
            Token::Name(name) => Ok(Spanned::new(name, self.bump())),
            token if token.is_keyword() => {
                let text = self.text(self.span()).to_string();
                self.unexpected(
                    expected,
                    Some(help.unwrap_or(format!(
                        "`{text}` is a keyword and cannot be used as a name"
                    ))),
                )
            }
            _ => self.unexpected(expected, help),
        }
    }

    /// Consume the closing bracket for `open`, or report it missing: `syntax::unclosed`
    /// on the opener when the lexer saw it never closed, else "expected X, found Y".
    fn open(&mut self, closer: Token) -> Span {
        let open = self.bump();
        self.open_brackets.push((open, closer));
        open
    }

    fn report_unclosed<T>(&mut self, open: Span, closer: &Token) -> PResult<T> {
        // `print("abc`: the unterminated string already explains the open bracket.
        if self.unterminated.iter().any(|&s| s > open.start) {
            return Err(Fail);
        }
        let open_text = self.text(open).to_string();
        let close_text = if *closer == Token::RParen { ")" } else { "]" };
        let here = self.span();
        self.error(
            Diagnostic::error("syntax::unclosed", format!("unclosed `{open_text}`"))
                .primary(open, format!("this `{open_text}` is never closed"))
                .label(
                    here,
                    format!("expected `{close_text}` before {}", self.found()),
                )
                .help(format!("add the missing `{close_text}`")),
        );
        Err(Fail)
    }

    fn close(&mut self, open: Span, closer: Token, expected: &str, inside: &str) -> PResult<Span> {
        if let Some(span) = self.eat(&closer) {
            self.open_brackets.pop();
            return Ok(span);
        }
        if self.at(&Token::Error) {
            return Err(Fail);
        }
        if self.unclosed.contains(&open) {
            return self.report_unclosed(open, &closer);
        }
        let open_text = self.text(open).to_string();
        let close_text = if closer == Token::RParen { ")" } else { "]" };
        let help = match self.peek() {
            Token::Comma if closer == Token::RParen && inside == "parenthesised" => {
                "tsr has no tuples; use a list `[a, b]`".to_string()
            }
            Token::Assign if inside == "call" => {
                "a keyword argument's name must be a plain name, as in `f(axis=1)`".to_string()
            }
            Token::Assign => "did you mean `==`?".to_string(),
            t if starts_expression(t) && inside == "parenthesised" => {
                "perhaps an operator is missing".to_string()
            }
            t if starts_expression(t) => "perhaps a `,` is missing".to_string(),
            _ => format!("close the `{open_text}` with `{close_text}`"),
        };
        let found = self.found();
        let here = self.span();
        self.error(
            Diagnostic::error(
                "syntax::unexpected",
                format!("expected {expected}, found {found}"),
            )
            .primary(here, format!("expected {expected}"))
            .label(open, format!("the {inside} `{open_text}` opened here"))
            .help(help),
        );
        Err(Fail)
    }

    /// Skip the rest of the failed statement: up to and including the next NEWLINE, or
    /// up to the DEDENT closing the block.
    fn recover(&mut self) {
        while !matches!(self.peek(), Token::Newline | Token::Dedent | Token::Eof) {
            self.bump();
        }
        self.eat(&Token::Newline);
        self.recovered = true;
        self.open_brackets.clear();
    }

    // ------------------------------------------------------------------ statements

    /// program = { NEWLINE | statement } EOF
    fn program(&mut self) -> Program {
        let mut stmts = Vec::new();
        loop {
            match self.peek() {
                Token::Eof => break,
                Token::Newline | Token::Dedent => {
                    self.bump();
                }
                Token::Indent => self.stray_block(),
                _ => self.statement(&mut stmts),
            }
        }
        Program { stmts }
    }

    /// statement = compound_stmt | simple_stmts
    fn statement(&mut self, out: &mut Vec<Stmt>) {
        let start = self.pos;
        let orphan_ok = std::mem::take(&mut self.orphan_branch_ok);
        let result = match self.peek() {
            Token::If | Token::While | Token::For | Token::Def => {
                self.compound_stmt().map(|s| out.push(s))
            }
            Token::Elif | Token::Else if orphan_ok => {
                // The `if` this branch belongs to failed and was reported; parse the
                // branch for its own errors and drop it.
                let result = self.orphan_branch();
                if result.is_ok() {
                    self.orphan_branch_ok = true;
                }
                result
            }
            Token::Elif | Token::Else => {
                let keyword = self.text(self.span()).to_string();
                let span = self.span();
                self.error(
                    Diagnostic::error("syntax::unexpected", format!("`{keyword}` without a matching `if`"))
                        .primary(span, format!("this `{keyword}` follows no `if` block"))
                        .help(format!(
                            "`{keyword}` must come right after an `if` block, at the same indentation as the `if`"
                        )),
                );
                Err(Fail)
            }
            _ => self.simple_stmts(out),
        };
        match result {
            Ok(()) => self.recovered = false,
            Err(Fail) => {
                let was_if = matches!(
                    self.tokens.get(start).map(|t| &t.node),
                    Some(Token::If | Token::Elif | Token::Else)
                );
                self.recover();
                self.orphan_branch_ok = was_if;
            }
        }
        if self.pos == start && !matches!(self.peek(), Token::Eof | Token::Dedent) {
            self.bump();
        }
    }

    /// An `elif`/`else` whose `if` failed to parse: checked, then dropped.
    fn orphan_branch(&mut self) -> PResult<()> {
        let is_elif = self.at(&Token::Elif);
        let keyword = self.bump();
        if is_elif {
            self.expression(0)?;
        }
        self.header_colon(keyword)?;
        self.block(keyword)?;
        Ok(())
    }

    /// An indented block where none was expected, after a statement that failed (the
    /// lexer reports a real unexpected indent). Its statements are checked and dropped;
    /// they may belong to a failed `def` or loop, so no context errors are reported.
    fn stray_block(&mut self) {
        if !self.recovered {
            let span = self.span();
            self.error(
                Diagnostic::error("syntax::indent", "unexpected indent")
                    .primary(span, "this line is indented more than the line before it")
                    .help("remove the extra indentation"),
            );
        }
        let (in_def, in_loop) = (self.in_def, self.in_loop);
        self.in_def = true;
        self.in_loop = true;
        let orphan = self.orphan_branch_ok;
        let _ = self.indented_block();
        self.in_def = in_def;
        self.in_loop = in_loop;
        self.orphan_branch_ok = orphan;
        self.recovered = true;
    }

    /// simple_stmts = simple_stmt { ";" simple_stmt } [ ";" ] NEWLINE
    fn simple_stmts(&mut self, out: &mut Vec<Stmt>) -> PResult<()> {
        loop {
            if let Some(stmt) = self.simple_stmt()? {
                out.push(stmt);
            }
            if self.eat(&Token::Semicolon).is_none()
                || matches!(self.peek(), Token::Newline | Token::Eof)
            {
                break;
            }
        }
        if matches!(self.peek(), Token::Newline | Token::Eof | Token::Dedent) {
            self.eat(&Token::Newline);
            return Ok(());
        }
        let help = match self.peek() {
            Token::Assign
            | Token::PlusAssign
            | Token::MinusAssign
            | Token::StarAssign
            | Token::SlashAssign => {
                "tsr assigns one target per statement; split it into separate assignments"
                    .to_string()
            }
            Token::Comma => "tsr has no tuples; use a list `[a, b]`".to_string(),
            Token::Colon => {
                "only `if`, `elif`, `else`, `while`, `for` and `def` lines end with `:`".to_string()
            }
            Token::RParen | Token::RBracket => "remove it: it closes nothing".to_string(),
            t if starts_expression(t) => match out.last().map(|s| &s.kind) {
                Some(StmtKind::Expr(Expr {
                    kind: ExprKind::Name(name),
                    ..
                })) => {
                    format!("to call `{name}`, write `{name}(...)`")
                }
                _ => "perhaps an operator or `,` is missing, or `;` between two statements"
                    .to_string(),
            },
            _ => "end the statement here, or put the next one on a new line".to_string(),
        };
        self.unexpected("end of line", Some(help))
    }

    /// simple_stmt = pass_stmt | break_stmt | continue_stmt | return_stmt | expr_stmt
    fn simple_stmt(&mut self) -> PResult<Option<Stmt>> {
        match self.peek() {
            Token::Pass => self.pass_stmt().map(Some),
            Token::Break | Token::Continue => self.break_stmt().map(Some),
            Token::Return => self.return_stmt().map(Some),
            _ => self.expr_stmt(),
        }
    }

    /// pass_stmt = "pass"
    fn pass_stmt(&mut self) -> PResult<Stmt> {
        let span = self.bump();
        Ok(Stmt {
            kind: StmtKind::Pass,
            span,
        })
    }

    /// break_stmt = "break" | "continue"
    fn break_stmt(&mut self) -> PResult<Stmt> {
        let is_break = self.at(&Token::Break);
        let span = self.bump();
        let (kind, word) = if is_break {
            (StmtKind::Break, "break")
        } else {
            (StmtKind::Continue, "continue")
        };
        if !self.in_loop {
            self.error(
                Diagnostic::error("syntax::break_outside", format!("`{word}` outside a loop"))
                    .primary(
                        span,
                        format!("`{word}` is not inside a `for` or `while` loop"),
                    )
                    .help(format!(
                        "`{word}` can only be used inside a loop (a `def` starts a new context)"
                    )),
            );
        }
        Ok(Stmt { kind, span })
    }

    /// return_stmt = "return" [ expression ]
    fn return_stmt(&mut self) -> PResult<Stmt> {
        let keyword = self.bump();
        if !self.in_def {
            self.error(
                Diagnostic::error("syntax::return_outside", "`return` outside a function")
                    .primary(keyword, "`return` is not inside a `def`")
                    .help("`return` can only be used inside a function body"),
            );
        }
        let value = if self.at_statement_end() {
            None
        } else {
            Some(self.expression(0)?)
        };
        let end = value.as_ref().map_or(keyword, |v| v.span);
        Ok(Stmt {
            kind: StmtKind::Return(value),
            span: keyword.to(end),
        })
    }

    /// expr_stmt = expression [ assign_op expression ]
    /// assign_op = "=" | "+=" | "-=" | "*=" | "/="
    fn expr_stmt(&mut self) -> PResult<Option<Stmt>> {
        let expr = self.expression(0)?;
        let Some(op) = assign_op(self.peek()) else {
            let span = expr.span;
            return Ok(Some(Stmt {
                kind: StmtKind::Expr(expr),
                span,
            }));
        };
        let op_span = self.bump();
        let target = self.target(expr, op_span);
        let value = self.expression(0)?;
        let Some(target) = target else {
            return Ok(None);
        };
        let span = target.span().to(value.span);
        Ok(Some(Stmt {
            kind: StmtKind::Assign {
                target,
                op,
                op_span,
                value,
            },
            span,
        }))
    }

    /// target = NAME | postfix_expr subscript   (checked on the parsed left side)
    fn target(&mut self, expr: Expr, op_span: Span) -> Option<Target> {
        let span = expr.span;
        let what = match expr.kind {
            ExprKind::Name(name) => return Some(Target::Name(Spanned::new(name, span))),
            ExprKind::Index { object, items } => {
                return Some(Target::Index {
                    object,
                    items,
                    span,
                })
            }
            ExprKind::Call { .. } => "a function call",
            ExprKind::Method { .. } => "a method call",
            ExprKind::Attr { .. } => "an attribute",
            ExprKind::Number(_) | ExprKind::Str(_) | ExprKind::Bool(_) | ExprKind::None => {
                "a literal"
            }
            ExprKind::List(_) => "a list",
            ExprKind::Compare { .. } => "a comparison",
            ExprKind::Binary { op, .. } if op.is_comparison() => "a comparison",
            _ => "an expression",
        };
        let help = match what {
            "an attribute" => "properties such as `.T` or `.grad` are read-only; assign to a name instead".to_string(),
            "a comparison" => "to compare, write `==` alone; to assign, put a name on the left".to_string(),
            _ => "the left side of an assignment must be a name (`x = ...`) or an index (`x[i] = ...`)".to_string(),
        };
        self.error(
            Diagnostic::error("syntax::assign_target", format!("cannot assign to {what}"))
                .primary(span, format!("{what} cannot be assigned to"))
                .label(op_span, "assignment here")
                .help(help),
        );
        None
    }

    /// compound_stmt = if_stmt | while_stmt | for_stmt | def_stmt
    fn compound_stmt(&mut self) -> PResult<Stmt> {
        match self.peek() {
            Token::If => self.if_stmt(),
            Token::While => self.while_stmt(),
            Token::For => self.for_stmt(),
            _ => self.def_stmt(),
        }
    }

    /// if_stmt = "if" condition ":" block { "elif" condition ":" block } [ "else" ":" block ]
    fn if_stmt(&mut self) -> PResult<Stmt> {
        let keyword = self.bump();
        let mut branches = Vec::new();
        let cond = self.condition()?;
        self.header_colon(keyword)?;
        branches.push((cond, self.block(keyword)?));
        let mut else_body = None;
        loop {
            match self.peek() {
                Token::Elif => {
                    let elif = self.bump();
                    let cond = self.condition()?;
                    self.header_colon(elif)?;
                    branches.push((cond, self.block(elif)?));
                }
                Token::Else => {
                    let else_span = self.bump();
                    self.header_colon(else_span)?;
                    else_body = Some(self.block(else_span)?);
                    break;
                }
                _ => break,
            }
        }
        let span = keyword.to(Span::new(self.last_end, self.last_end));
        Ok(Stmt {
            kind: StmtKind::If {
                branches,
                else_body,
            },
            span,
        })
    }

    /// while_stmt = "while" condition ":" block
    fn while_stmt(&mut self) -> PResult<Stmt> {
        let keyword = self.bump();
        let cond = self.condition()?;
        self.header_colon(keyword)?;
        let in_loop = std::mem::replace(&mut self.in_loop, true);
        let body = self.block(keyword);
        self.in_loop = in_loop;
        let span = keyword.to(Span::new(self.last_end, self.last_end));
        Ok(Stmt {
            kind: StmtKind::While { cond, body: body? },
            span,
        })
    }

    /// for_stmt = "for" NAME "in" expression ":" block
    fn for_stmt(&mut self) -> PResult<Stmt> {
        let keyword = self.bump();
        let var = self.expect_name("a loop variable name after `for`", None)?;
        if !self.at(&Token::In) {
            let help = if self.at(&Token::Comma) {
                "tsr has no tuple unpacking; loop over one name".to_string()
            } else {
                "write `for name in values:`".to_string()
            };
            return self.unexpected("`in`", Some(help));
        }
        self.bump();
        let iter = self.expression(0)?;
        self.header_colon(keyword)?;
        let in_loop = std::mem::replace(&mut self.in_loop, true);
        let body = self.block(keyword);
        self.in_loop = in_loop;
        let span = keyword.to(Span::new(self.last_end, self.last_end));
        Ok(Stmt {
            kind: StmtKind::For {
                var,
                iter,
                body: body?,
            },
            span,
        })
    }

    /// def_stmt = "def" NAME parameters ":" block
    fn def_stmt(&mut self) -> PResult<Stmt> {
        let keyword = self.bump();
        let name = self.expect_name("a function name after `def`", None)?;
        let params = self.parameters()?;
        self.header_colon(keyword)?;
        let in_def = std::mem::replace(&mut self.in_def, true);
        let in_loop = std::mem::replace(&mut self.in_loop, false);
        let body = self.block(keyword);
        self.in_def = in_def;
        self.in_loop = in_loop;
        let span = keyword.to(Span::new(self.last_end, self.last_end));
        Ok(Stmt {
            kind: StmtKind::Def {
                name,
                params,
                body: Rc::new(body?),
            },
            span,
        })
    }

    /// parameters = "(" [ param { "," param } [ "," ] ] ")"
    fn parameters(&mut self) -> PResult<Vec<Param>> {
        if !self.at(&Token::LParen) {
            return self.unexpected(
                "`(` after the function name",
                Some("write `def name(a, b):`".to_string()),
            );
        }
        let open = self.open(Token::RParen);
        let mut params: Vec<Param> = Vec::new();
        while !self.at(&Token::RParen) {
            let param = self.param()?;
            if let Some(earlier) = params.iter().find(|p| p.name.node == param.name.node) {
                let earlier = earlier.name.span;
                self.error(
                    Diagnostic::error(
                        "syntax::param",
                        format!("duplicate parameter `{}`", param.name.node),
                    )
                    .primary(param.name.span, "defined again here")
                    .label(earlier, "first defined here")
                    .help("give each parameter a different name"),
                );
            } else if param.default.is_none() {
                if let Some(with_default) = params.iter().find(|p| p.default.is_some()) {
                    let earlier = with_default.name.span;
                    let earlier_name = with_default.name.node.clone();
                    self.error(
                        Diagnostic::error(
                            "syntax::param",
                            "parameter without a default follows a parameter with a default",
                        )
                        .primary(param.name.span, "this parameter has no default")
                        .label(earlier, "this one has a default")
                        .help(format!(
                            "give `{}` a default too, or move it before `{earlier_name}`",
                            param.name.node
                        )),
                    );
                }
            }
            params.push(param);
            if self.eat(&Token::Comma).is_none() {
                break;
            }
        }
        self.close(open, Token::RParen, "`,` or `)`", "parameter list")?;
        Ok(params)
    }

    /// param = NAME [ "=" expression ]
    fn param(&mut self) -> PResult<Param> {
        let name = self.expect_name("a parameter name", None)?;
        let default = if self.eat(&Token::Assign).is_some() {
            Some(self.expression(0)?)
        } else {
            None
        };
        Ok(Param { name, default })
    }

    /// condition = expression   (a following `=` is reported as a likely `==`)
    fn condition(&mut self) -> PResult<Expr> {
        let cond = self.expression(0)?;
        if self.at(&Token::Assign) {
            let span = self.bump();
            self.error(
                Diagnostic::error("syntax::unexpected", "expected `:`, found `=`")
                    .primary(span, "assignment is not allowed in a condition")
                    .help("did you mean `==`?"),
            );
            // Read on as if `==` had been written, so the block is still checked.
            self.expression(0)?;
        }
        Ok(cond)
    }

    /// The `:` ending a block header. A missing `:` at the end of the line is reported
    /// and parsing goes on as if it were there.
    fn header_colon(&mut self, keyword: Span) -> PResult<()> {
        if self.eat(&Token::Colon).is_some() {
            return Ok(());
        }
        let word = self.text(keyword).to_string();
        if matches!(self.peek(), Token::Newline | Token::Eof) {
            let found = self.found();
            let at = self.after_last();
            self.error(
                Diagnostic::error("syntax::unexpected", format!("expected `:`, found {found}"))
                    .primary(at, "expected `:` here")
                    .label(keyword, format!("this `{word}` line opens a block"))
                    .help("add `:` at the end of the line"),
            );
            return Ok(());
        }
        let help = if starts_expression(self.peek()) {
            "perhaps an operator is missing in the condition".to_string()
        } else {
            format!("end the `{word}` line with `:`")
        };
        self.unexpected("`:`", Some(help))
    }

    /// block = simple_stmts | NEWLINE indented_block
    fn block(&mut self, opener: Span) -> PResult<Vec<Stmt>> {
        if self.eat(&Token::Newline).is_none() {
            let mut body = Vec::new();
            if self.simple_stmts(&mut body).is_err() {
                // Recover here, so that an `elif`/`else` on the next line still attaches.
                self.recover();
            }
            return Ok(body);
        }
        if self.at(&Token::Indent) {
            return self.indented_block();
        }
        let word = self.text(opener).to_string();
        let found = self.found();
        let span = self.span();
        self.error(
            Diagnostic::error(
                "syntax::indent",
                format!("expected an indented block after `{word}`, found {found}"),
            )
            .primary(span, "expected an indented line here")
            .label(opener, format!("this `{word}` needs a body"))
            .help("indent the body (4 spaces is usual); write `pass` for an empty body"),
        );
        Ok(Vec::new())
    }

    /// indented_block = INDENT statement { statement } DEDENT
    fn indented_block(&mut self) -> PResult<Vec<Stmt>> {
        let indent = self.bump();
        self.blocks += 1;
        if self.blocks > MAX_BLOCKS {
            self.blocks -= 1;
            self.error(
                Diagnostic::error(
                    "syntax::too_deep",
                    format!("blocks nested more than {MAX_BLOCKS} deep"),
                )
                .primary(indent, "too deeply nested")
                .help("move the inner code into a function"),
            );
            // Skip the whole block without recursing into it.
            let mut open = 1usize;
            while open > 0 && !self.at(&Token::Eof) {
                match self.peek() {
                    Token::Indent => open += 1,
                    Token::Dedent => open -= 1,
                    _ => {}
                }
                self.bump();
            }
            self.recovered = true;
            return Err(Fail);
        }
        let mut body = Vec::new();
        loop {
            match self.peek() {
                Token::Dedent => {
                    self.bump();
                    break;
                }
                Token::Eof => break,
                Token::Newline => {
                    self.bump();
                }
                Token::Indent => self.stray_block(),
                _ => self.statement(&mut body),
            }
        }
        self.blocks -= 1;
        Ok(body)
    }

    // ------------------------------------------------------------------ expressions

    /// expression = prefix_expr { binary_op prefix_expr }
    ///
    /// Pratt parsing: `min_bp` is the weakest operator this call may take. Each call
    /// adds one level of nesting; each operator applied in the loop adds one more, so
    /// that the tree built stays within `MAX_DEPTH` and nothing that walks it can
    /// overflow the stack.
    fn expression(&mut self, min_bp: u8) -> PResult<Expr> {
        let saved_depth = self.depth;
        let result = self.expression_inner(min_bp);
        self.depth = saved_depth;
        result
    }

    fn deeper(&mut self) -> PResult<()> {
        self.depth += 1;
        if self.depth <= MAX_DEPTH {
            return Ok(());
        }
        let span = self.span();
        self.error(
            Diagnostic::error(
                "syntax::too_deep",
                format!("expression nested more than {MAX_DEPTH} levels deep"),
            )
            .primary(span, "nesting passes the limit here")
            .help("split the expression into smaller parts with intermediate variables"),
        );
        Err(Fail)
    }

    fn expression_inner(&mut self, min_bp: u8) -> PResult<Expr> {
        self.deeper()?;
        let mut lhs = self.prefix_expr(min_bp)?;
        while let Some(op) = infix(self.peek()) {
            match op {
                Infix::Logic(op, (l_bp, r_bp)) => {
                    if l_bp < min_bp {
                        break;
                    }
                    self.bump();
                    let rhs = self.expression(r_bp)?;
                    let span = lhs.span.to(rhs.span);
                    lhs = Expr::new(
                        ExprKind::Logic {
                            op,
                            lhs: Box::new(lhs),
                            rhs: Box::new(rhs),
                        },
                        span,
                    );
                }
                Infix::Binary(op, (l_bp, r_bp)) => {
                    if l_bp < min_bp {
                        break;
                    }
                    let op_span = self.bump();
                    let rhs = self.expression(r_bp)?;
                    let span = lhs.span.to(rhs.span);
                    lhs = Expr::new(
                        ExprKind::Binary {
                            op,
                            op_span,
                            lhs: Box::new(lhs),
                            rhs: Box::new(rhs),
                        },
                        span,
                    );
                }
                Infix::Compare => {
                    if CMP_BP.0 < min_bp {
                        break;
                    }
                    lhs = self.comparison(lhs)?;
                }
            }
            self.deeper()?;
        }
        Ok(lhs)
    }

    /// comparison = expression comp_op expression { comp_op expression }
    /// (operands parsed above comparison power; entered with the first one parsed)
    fn comparison(&mut self, first: Expr) -> PResult<Expr> {
        let mut rest = Vec::new();
        while let Some(op) = comparison_op(self.peek()) {
            let op_span = self.bump();
            let rhs = self.expression(CMP_BP.1)?;
            rest.push((op, op_span, rhs));
        }
        let span = first.span.to(rest.last().map_or(first.span, |r| r.2.span));
        if rest.len() == 1 {
            let (op, op_span, rhs) = rest.pop().expect("one comparison");
            return Ok(Expr::new(
                ExprKind::Binary {
                    op,
                    op_span,
                    lhs: Box::new(first),
                    rhs: Box::new(rhs),
                },
                span,
            ));
        }
        Ok(Expr::new(
            ExprKind::Compare {
                first: Box::new(first),
                rest,
            },
            span,
        ))
    }

    /// prefix_expr = ( "-" | "+" ) expression | "not" expression | postfix_expr
    /// (the operand of `-`/`+` binds tighter than `*`, that of `not` tighter than `and`)
    fn prefix_expr(&mut self, min_bp: u8) -> PResult<Expr> {
        let op = match self.peek() {
            Token::Minus => UnaryOp::Neg,
            Token::Plus => UnaryOp::Plus,
            Token::Tilde => UnaryOp::Invert,
            Token::Not if min_bp > NOT_BP => {
                return self.unexpected(
                    "an expression",
                    Some(
                        "a `not` inside a comparison or arithmetic needs parentheses: `(not x)`"
                            .to_string(),
                    ),
                );
            }
            Token::Not => UnaryOp::Not,
            _ => return self.postfix_expr(),
        };
        let op_span = self.bump();
        let operand = self.expression(if op == UnaryOp::Not { NOT_BP } else { UNARY_BP })?;
        let span = op_span.to(operand.span);
        Ok(Expr::new(
            ExprKind::Unary {
                op,
                operand: Box::new(operand),
            },
            span,
        ))
    }

    /// postfix_expr = atom { arguments | subscript | "." NAME [ arguments ] }
    fn postfix_expr(&mut self) -> PResult<Expr> {
        let mut expr = self.atom()?;
        loop {
            match self.peek() {
                Token::LParen => {
                    let (args, close) = self.arguments()?;
                    let span = expr.span.to(close);
                    expr = Expr::new(
                        ExprKind::Call {
                            callee: Box::new(expr),
                            args,
                        },
                        span,
                    );
                }
                Token::LBracket => {
                    let (items, close) = self.subscript()?;
                    let span = expr.span.to(close);
                    expr = Expr::new(
                        ExprKind::Index {
                            object: Box::new(expr),
                            items,
                        },
                        span,
                    );
                }
                Token::Dot => {
                    self.bump();
                    let name = self.expect_name(
                        "a name after `.`",
                        Some(
                            "write a property or method name, as in `x.T` or `x.sum()`".to_string(),
                        ),
                    )?;
                    if self.at(&Token::LParen) {
                        let (args, close) = self.arguments()?;
                        let span = expr.span.to(close);
                        expr = Expr::new(
                            ExprKind::Method {
                                receiver: Box::new(expr),
                                name,
                                args,
                            },
                            span,
                        );
                    } else {
                        let span = expr.span.to(name.span);
                        expr = Expr::new(
                            ExprKind::Attr {
                                object: Box::new(expr),
                                name,
                            },
                            span,
                        );
                    }
                }
                _ => break,
            }
            self.deeper()?;
        }
        Ok(expr)
    }

    /// arguments = "(" [ argument { "," argument } [ "," ] ] ")"
    fn arguments(&mut self) -> PResult<(Vec<Arg>, Span)> {
        let open = self.open(Token::RParen);
        let mut args: Vec<Arg> = Vec::new();
        while !self.at(&Token::RParen) {
            let arg = self.argument()?;
            match &arg.name {
                Some(name) => {
                    if let Some(earlier) = args
                        .iter()
                        .filter_map(|a| a.name.as_ref())
                        .find(|n| n.node == name.node)
                    {
                        let earlier = earlier.span;
                        self.error(
                            Diagnostic::error(
                                "syntax::argument",
                                format!("keyword argument `{}` repeated", name.node),
                            )
                            .primary(name.span, "given again here")
                            .label(earlier, "first given here")
                            .help("give each keyword argument once"),
                        );
                    }
                }
                None => {
                    if let Some(keyword) = args.iter().find_map(|a| a.name.as_ref()) {
                        let keyword = keyword.span;
                        self.error(
                            Diagnostic::error(
                                "syntax::argument",
                                "positional argument after keyword argument",
                            )
                            .primary(arg.value.span, "positional argument")
                            .label(keyword, "keyword argument before it")
                            .help("put positional arguments before keyword arguments"),
                        );
                    }
                }
            }
            args.push(arg);
            if self.eat(&Token::Comma).is_none() {
                break;
            }
        }
        let close = self.close(open, Token::RParen, "`,` or `)`", "call")?;
        Ok((args, close))
    }

    /// argument = [ NAME "=" ] expression
    fn argument(&mut self) -> PResult<Arg> {
        if let (Token::Name(name), Token::Assign) = (self.peek(), self.nth(1)) {
            let name = name.clone();
            let name_span = self.bump();
            self.bump();
            let value = self.expression(0)?;
            return Ok(Arg {
                name: Some(Spanned::new(name, name_span)),
                value,
            });
        }
        Ok(Arg {
            name: None,
            value: self.expression(0)?,
        })
    }

    /// subscript = "[" index_item { "," index_item } [ "," ] "]"
    fn subscript(&mut self) -> PResult<(Vec<IndexItem>, Span)> {
        let open = self.open(Token::RBracket);
        if self.at(&Token::RBracket) {
            return self.unexpected(
                "an index",
                Some("write an index such as `x[0]` or a slice such as `x[1:3]`".to_string()),
            );
        }
        let mut items = Vec::new();
        while !self.at(&Token::RBracket) {
            items.push(self.index_item()?);
            if self.eat(&Token::Comma).is_none() {
                break;
            }
        }
        let close = self.close(open, Token::RBracket, "`,` or `]`", "index")?;
        Ok((items, close))
    }

    /// index_item = expression | [ expression ] ":" [ expression ] [ ":" [ expression ] ]
    fn index_item(&mut self) -> PResult<IndexItem> {
        let first = self.span();
        if self.at(&Token::Ellipsis) {
            let span = self.bump();
            return Ok(IndexItem::Ellipsis(span));
        }
        let start = if self.at(&Token::Colon) {
            None
        } else {
            Some(self.expression(0)?)
        };
        if !self.at(&Token::Colon) {
            return Ok(IndexItem::Index(start.expect("an index expression")));
        }
        self.bump();
        let slice_end = |t: &Token| matches!(t, Token::Colon | Token::Comma | Token::RBracket);
        let stop = if slice_end(self.peek()) {
            None
        } else {
            Some(self.expression(0)?)
        };
        let mut step = None;
        if self.eat(&Token::Colon).is_some()
            && !matches!(self.peek(), Token::Comma | Token::RBracket)
        {
            step = Some(self.expression(0)?);
        }
        let span = first.to(Span::new(self.last_end, self.last_end));
        Ok(IndexItem::Slice {
            start,
            stop,
            step,
            span,
        })
    }

    /// atom = NUMBER | STRING | "True" | "False" | "None" | NAME | list_display | paren_expr
    fn atom(&mut self) -> PResult<Expr> {
        let span = self.span();
        let kind = match self.peek().clone() {
            Token::Number(n) => ExprKind::Number(n),
            Token::Str(s) => ExprKind::Str(s),
            Token::True => ExprKind::Bool(true),
            Token::False => ExprKind::Bool(false),
            Token::None => ExprKind::None,
            Token::Name(name) => ExprKind::Name(name),
            Token::LBracket => return self.list_display(),
            Token::LParen => return self.paren_expr(),
            token => return self.missing_expression(&token),
        };
        self.bump();
        Ok(Expr::new(kind, span))
    }

    /// Report a token found where an expression should start, with a help for the
    /// usual causes.
    fn missing_expression<T>(&mut self, token: &Token) -> PResult<T> {
        let previous = self.pos.checked_sub(1).map(|i| self.tokens[i].clone());
        let help = match token {
            Token::Newline | Token::Eof | Token::Semicolon | Token::Dedent => match previous {
                Some(p) if p.node.is_operator() => {
                    format!("add the missing operand after `{}`", self.text(p.span))
                }
                _ => "write an expression here".to_string(),
            },
            Token::RParen | Token::RBracket | Token::Comma => match previous {
                Some(p) if p.node == Token::Comma => "remove the extra `,`".to_string(),
                _ => "write an expression here".to_string(),
            },
            Token::Assign => "did you mean `==`?".to_string(),
            t if t.is_keyword() => {
                format!(
                    "`{}` is a keyword; it cannot start an expression",
                    self.text(self.span())
                )
            }
            Token::StarStar
            | Token::Star
            | Token::Slash
            | Token::Percent
            | Token::At
            | Token::Amp
            | Token::Pipe => "this operator needs an operand on its left".to_string(),
            _ => "write an expression here".to_string(),
        };
        self.unexpected("an expression", Some(help))
    }

    /// list_display = "[" [ expression { "," expression } [ "," ] ] "]"
    fn list_display(&mut self) -> PResult<Expr> {
        let open = self.open(Token::RBracket);
        let mut items = Vec::new();
        while !self.at(&Token::RBracket) {
            items.push(self.expression(0)?);
            if self.eat(&Token::Comma).is_none() {
                break;
            }
        }
        let close = self.close(open, Token::RBracket, "`,` or `]`", "list")?;
        Ok(Expr::new(ExprKind::List(items), open.to(close)))
    }

    /// paren_expr = "(" expression ")"
    fn paren_expr(&mut self) -> PResult<Expr> {
        let open = self.open(Token::RParen);
        if self.at(&Token::RParen) {
            return self.unexpected(
                "an expression",
                Some("tsr has no tuples; put an expression inside `( )`".to_string()),
            );
        }
        let mut inner = self.expression(0)?;
        let close = self.close(open, Token::RParen, "`)`", "parenthesised")?;
        inner.span = open.to(close);
        Ok(inner)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sexp(src: &str) -> String {
        let (program, diagnostics) = parse(src);
        assert!(diagnostics.is_empty(), "{src:?}: {diagnostics:?}");
        program.to_string().trim_end().to_string()
    }

    fn codes(src: &str) -> Vec<&'static str> {
        parse(src).1.iter().map(|d| d.code).collect()
    }

    #[test]
    fn precedence() {
        assert_eq!(sexp("-x**2"), "(neg (** x 2))");
        assert_eq!(sexp("2**-1"), "(** 2 (neg 1))");
        assert_eq!(sexp("2**3**2"), "(** 2 (** 3 2))");
        assert_eq!(sexp("a - b - c"), "(- (- a b) c)");
        assert_eq!(sexp("not a == b"), "(not (== a b))");
        assert_eq!(sexp("x.T @ w"), "(@ (. x T) w)");
        assert_eq!(sexp("a < b < c"), "(cmp a < b < c)");
        assert_eq!(sexp("a or b and not c"), "(or a (and b (not c)))");
        assert_eq!(sexp("-2 ** -1 * 3"), "(* (neg (** 2 (neg 1))) 3)");
    }

    #[test]
    fn spans() {
        let (program, _) = parse("y = (a + b) * c.sum(1)\n");
        let StmtKind::Assign { value, .. } = &program.stmts[0].kind else {
            panic!()
        };
        let ExprKind::Binary { lhs, rhs, .. } = &value.kind else {
            panic!()
        };
        assert_eq!(lhs.span, Span::new(4, 11));
        assert_eq!(rhs.span, Span::new(14, 22));
        assert_eq!(program.stmts[0].span, Span::new(0, 22));
    }

    #[test]
    fn deep_nesting_is_one_diagnostic() {
        for src in [
            "(".repeat(100_000),
            "-".repeat(100_000) + "1",
            "[".repeat(100_000),
            "x".to_string() + &".a".repeat(100_000),
        ] {
            assert_eq!(codes(&src), ["syntax::too_deep"]);
        }
        let sum = vec!["1"; 100_000].join("+");
        assert_eq!(codes(&sum), ["syntax::too_deep"]);
        let mut blocks = String::new();
        for i in 0..150 {
            blocks += &" ".repeat(i);
            blocks += "if x:\n";
        }
        blocks += &" ".repeat(150);
        blocks += "pass\n";
        assert_eq!(codes(&blocks), ["syntax::too_deep"]);
    }

    #[test]
    fn incomplete() {
        for src in [
            "f(1,",
            "if x:",
            "x = 1 +",
            "x = 1 \\",
            "def f():\n    return 1",
            "[1,\n 2",
        ] {
            assert!(is_incomplete(src), "{src:?}");
        }
        for src in [
            "",
            "x = 1",
            "if x:\n    y = 1\n",
            "while True: pass",
            "print('abc",
            "f(\"abc",
        ] {
            assert!(!is_incomplete(src), "{src:?}");
        }
    }
}
