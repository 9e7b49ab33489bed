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
    Arg, BinOp, CompFor, CompKind, Expr, ExprKind, FPart, IndexItem, LogicOp, Param, ParamKind,
    Program, Stmt, StmtKind, Target, UnaryOp,
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
    let (mut parser, mut diagnostics) = Parser::new(src, lex(src));
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
    if lexed.open_triple {
        return true;
    }
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
/// `|`, `^` and `&` bind tighter than comparisons and looser than `+`, as in Python (so
/// masks are combined as `(x > 0) & (y > 0)`).
const BITOR_BP: (u8, u8) = (9, 10);
const BITXOR_BP: (u8, u8) = (11, 12);
const BITAND_BP: (u8, u8) = (13, 14);
const SUM_BP: (u8, u8) = (15, 16);
const TERM_BP: (u8, u8) = (17, 18);
/// The operand of unary `-`/`+`/`~`: tighter than `*`, looser than `**`, so `-x**2` is
/// `-(x**2)`.
const UNARY_BP: u8 = 19;
/// `**` is right-associative: its right side is parsed at a lower power than its left.
const POW_BP: (u8, u8) = (22, 21);

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
        Token::SlashSlash => Infix::Binary(BinOp::FloorDiv, TERM_BP),
        Token::Percent => Infix::Binary(BinOp::Mod, TERM_BP),
        Token::At => Infix::Binary(BinOp::MatMul, TERM_BP),
        Token::StarStar => Infix::Binary(BinOp::Pow, POW_BP),
        Token::Amp => Infix::Binary(BinOp::BitAnd, BITAND_BP),
        Token::Pipe => Infix::Binary(BinOp::BitOr, BITOR_BP),
        Token::Caret => Infix::Binary(BinOp::BitXor, BITXOR_BP),
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
        Token::In => BinOp::In,
        Token::Is => BinOp::Is,
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
        Token::SlashSlashAssign => Some(BinOp::FloorDiv),
        Token::PercentAssign => Some(BinOp::Mod),
        Token::StarStarAssign => Some(BinOp::Pow),
        Token::AtAssign => Some(BinOp::MatMul),
        _ => return None,
    })
}

fn closer_text(closer: &Token) -> &'static str {
    match closer {
        Token::RParen => ")",
        Token::RBracket => "]",
        _ => "}",
    }
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
            | Token::LBrace
            | Token::FStr(..)
            | Token::Lambda
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
    /// Reading a `lambda`'s parameters, whose `:` ends the list (no annotations).
    lambda_params: bool,
}

impl<'s> Parser<'s> {
    fn new(src: &'s str, lexed: crate::syntax::lexer::Lexed) -> (Parser<'s>, Vec<Diagnostic>) {
        let parser = Parser {
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
            lambda_params: false,
        };
        (parser, lexed.diagnostics)
    }
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
        let close_text = closer_text(closer);
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
        let close_text = closer_text(&closer);
        let help = match self.peek() {
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
}

mod defs;
mod expr;
mod fstring;
mod simple;
mod stmt;

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
