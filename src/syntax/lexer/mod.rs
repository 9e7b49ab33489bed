//! The lexer: a logos `Token` enum for the raw tokens, then an indentation pass that
//! produces Python-style NEWLINE / INDENT / DEDENT tokens and lexical diagnostics.
//!
//! The pass ignores newlines inside `()` and `[]`, skips blank and comment-only lines,
//! joins a line ending in `\` with the next one, and never stops at an error: an invalid
//! character or a malformed number becomes an `Error` token (the parser skips the
//! statement holding it without reporting again) and an unterminated string becomes a
//! `Str` token holding what was read.

use crate::syntax::diagnostic::Diagnostic;
use crate::syntax::span::{Span, Spanned};
use logos::Logos;

mod layout;
mod literals;
use layout::{char_span, Layout, Level};
use literals::{lex_fstring, lex_number, lex_string};

/// What went wrong in one raw token. logos needs a `Default` for input it cannot match.
#[derive(Clone, Debug, Default, PartialEq)]
pub enum LexError {
    #[default]
    InvalidChar,
    /// A string with no closing quote on its line (or, triple-quoted, before the end of
    /// the input); holds the text decoded so far and whether it was triple-quoted.
    UnterminatedString(String, bool),
    /// A number such as `1e`, `2x` or `1.2.3`; holds a hint for the help line.
    BadNumber(&'static str),
}

#[derive(Logos, Clone, Debug, PartialEq)]
#[logos(error = LexError)]
#[logos(skip r"[ \t\f\r]+")]
#[logos(skip(r"#[^\n]*", allow_greedy = true))]
pub enum Token {
    #[regex(r"[0-9]", lex_number)]
    #[regex(r"\.[0-9]", lex_number)]
    Number(f64),
    /// A string literal, any quotes, with an optional `r`/`b`/`u` prefix; escapes decoded.
    #[regex(r#"([rRbBuU]|[bB][rR]|[rR][bB])?["']"#, lex_string)]
    Str(String),
    /// An f-string: the byte range of its text between the quotes, which the parser
    /// splits into literal parts and replacement fields.
    #[regex(r#"([fF]|[fF][rR]|[rR][fF])["']"#, lex_fstring)]
    FStr((usize, usize)),
    #[regex(r"[\p{XID_Start}_]\p{XID_Continue}*", |lex| lex.slice().to_string())]
    Name(String),

    #[token("for")]
    For,
    #[token("in")]
    In,
    #[token("while")]
    While,
    #[token("if")]
    If,
    #[token("elif")]
    Elif,
    #[token("else")]
    Else,
    #[token("def")]
    Def,
    #[token("return")]
    Return,
    #[token("break")]
    Break,
    #[token("continue")]
    Continue,
    #[token("pass")]
    Pass,
    #[token("and")]
    And,
    #[token("or")]
    Or,
    #[token("not")]
    Not,
    #[token("True")]
    True,
    #[token("False")]
    False,
    #[token("None")]
    None,
    #[token("class")]
    Class,
    #[token("lambda")]
    Lambda,
    #[token("import")]
    Import,
    #[token("from")]
    From,
    #[token("as")]
    As,
    #[token("with")]
    With,
    #[token("assert")]
    Assert,
    #[token("raise")]
    Raise,
    #[token("del")]
    Del,
    #[token("global")]
    Global,
    #[token("nonlocal")]
    Nonlocal,
    #[token("is")]
    Is,

    #[token("+")]
    Plus,
    #[token("-")]
    Minus,
    #[token("*")]
    Star,
    #[token("/")]
    Slash,
    #[token("//")]
    SlashSlash,
    #[token("%")]
    Percent,
    #[token("@")]
    At,
    #[token("**")]
    StarStar,
    #[token("==")]
    EqEq,
    #[token("!=")]
    NotEq,
    #[token("<")]
    Lt,
    #[token("<=")]
    Le,
    #[token(">")]
    Gt,
    #[token(">=")]
    Ge,
    #[token("=")]
    Assign,
    #[token("+=")]
    PlusAssign,
    #[token("-=")]
    MinusAssign,
    #[token("*=")]
    StarAssign,
    #[token("/=")]
    SlashAssign,
    #[token("//=")]
    SlashSlashAssign,
    #[token("%=")]
    PercentAssign,
    #[token("**=")]
    StarStarAssign,
    #[token("@=")]
    AtAssign,
    #[token("{")]
    LBrace,
    #[token("}")]
    RBrace,
    #[token("->")]
    Arrow,
    #[token("(")]
    LParen,
    #[token(")")]
    RParen,
    #[token("[")]
    LBracket,
    #[token("]")]
    RBracket,
    #[token(",")]
    Comma,
    #[token(":")]
    Colon,
    #[token(".")]
    Dot,
    #[token("...")]
    Ellipsis,
    #[token("~")]
    Tilde,
    #[token("&")]
    Amp,
    #[token("|")]
    Pipe,
    #[token("^")]
    Caret,
    #[token(":=")]
    ColonEq,
    #[token(";")]
    Semicolon,

    /// A raw `\`; the indentation pass turns `\` + newline into a line join.
    #[token("\\")]
    Backslash,
    /// A raw line break; the indentation pass turns it into `Newline` or drops it.
    #[token("\n")]
    Newline,

    /// The start of a deeper-indented block (produced by the indentation pass).
    Indent,
    /// The end of an indented block (produced by the indentation pass).
    Dedent,
    /// The end of the input; always the last token.
    Eof,
    /// Input the lexer already reported (an invalid character or malformed number).
    Error,
}

impl Token {
    /// How the token is named in "expected X, found Y" messages; `text` is its source.
    pub fn describe(&self, text: &str) -> String {
        match self {
            Token::Number(_) => format!("number `{text}`"),
            Token::Str(_) | Token::FStr(..) => {
                let shown: String = text.chars().take(20).collect();
                let dots = if shown.len() < text.len() { "…" } else { "" };
                format!("string `{shown}{dots}`")
            }
            Token::Name(n) => format!("name `{n}`"),
            Token::Newline if text.is_empty() => "end of file".to_string(),
            Token::Newline => "end of line".to_string(),
            Token::Indent => "an indented block".to_string(),
            Token::Dedent => "the end of the block".to_string(),
            Token::Eof => "end of file".to_string(),
            Token::Error => format!("`{text}`"),
            t if t.is_keyword() => format!("keyword `{text}`"),
            _ => format!("`{text}`"),
        }
    }

    pub fn is_keyword(&self) -> bool {
        matches!(
            self,
            Token::For
                | Token::In
                | Token::While
                | Token::If
                | Token::Elif
                | Token::Else
                | Token::Def
                | Token::Return
                | Token::Break
                | Token::Continue
                | Token::Pass
                | Token::And
                | Token::Or
                | Token::Not
                | Token::True
                | Token::False
                | Token::None
                | Token::Class
                | Token::Lambda
                | Token::Import
                | Token::From
                | Token::As
                | Token::With
                | Token::Assert
                | Token::Raise
                | Token::Del
                | Token::Global
                | Token::Nonlocal
                | Token::Is
        )
    }

    /// Keywords that can only begin a statement; seeing one at the start of a line inside
    /// brackets means a bracket was left open, so the lexer closes it there.
    fn starts_statement_only(&self) -> bool {
        matches!(
            self,
            Token::For
                | Token::While
                | Token::If
                | Token::Elif
                | Token::Else
                | Token::Def
                | Token::Return
                | Token::Break
                | Token::Continue
                | Token::Pass
                | Token::Class
                | Token::Import
                | Token::With
                | Token::Assert
                | Token::Raise
                | Token::Del
                | Token::Global
                | Token::Nonlocal
        )
    }

    /// Keywords whose line opens a block, used to guess that a missing `:` was meant.
    fn opens_block(&self) -> bool {
        matches!(
            self,
            Token::For
                | Token::While
                | Token::If
                | Token::Elif
                | Token::Else
                | Token::Def
                | Token::Class
                | Token::With
        )
    }

    /// Binary operators and assignment operators; a line ending in one continues.
    pub fn is_operator(&self) -> bool {
        matches!(
            self,
            Token::Plus
                | Token::Minus
                | Token::Star
                | Token::Slash
                | Token::SlashSlash
                | Token::Percent
                | Token::At
                | Token::StarStar
                | Token::Amp
                | Token::Pipe
                | Token::Caret
                | Token::EqEq
                | Token::NotEq
                | Token::Lt
                | Token::Le
                | Token::Gt
                | Token::Ge
                | Token::Assign
                | Token::PlusAssign
                | Token::MinusAssign
                | Token::StarAssign
                | Token::SlashAssign
                | Token::SlashSlashAssign
                | Token::PercentAssign
                | Token::StarStarAssign
                | Token::AtAssign
                | Token::And
                | Token::Or
                | Token::Not
                | Token::Is
                | Token::In
        )
    }
}

/// The tokens of one source text with their byte spans, plus what the REPL and the
/// parser need to know about brackets.
#[derive(Debug, Default)]
pub struct Lexed {
    pub tokens: Vec<Spanned<Token>>,
    pub diagnostics: Vec<Diagnostic>,
    /// Spans of opening brackets that are never closed.
    pub unclosed: Vec<Span>,
    /// True when the input ends inside a bracket.
    pub open_at_end: bool,
    /// True when the input ends with `\` (optionally followed by one line break).
    pub ends_with_backslash: bool,
    /// Where each unterminated string starts.
    pub unterminated: Vec<usize>,
    /// True when the input ends inside a triple-quoted string (the REPL asks for more).
    pub open_triple: bool,
}

/// Split `src` into tokens, ending with `Eof`. Never fails: problems become diagnostics.
pub fn lex(src: &str) -> Lexed {
    lex_range(src, 0, src.len())
}

/// Lex `src[start..end]` as a fragment of `src` (an f-string's replacement field): spans
/// stay positions in `src`, and the fragment starts mid-line, so it opens no block.
pub fn lex_range(whole: &str, start: usize, end: usize) -> Lexed {
    let src = &whole[..end];
    let mut layout = Layout {
        src,
        out: Lexed::default(),
        levels: vec![Level {
            width: 0,
            real: true,
        }],
        brackets: Vec::new(),
        line_has_tokens: start > 0,
        newline_in_brackets: false,
        first_opens_block: false,
        prev_first_opens_block: false,
        last_is_colon: false,
        prev_last_is_colon: false,
        colon_in_line: false,
        prev_colon: false,
        indent_char: None,
        tab_width: 4,
        prev_line_mixed: false,
        pending_invalid: None,
    };
    let mut raw = Token::lexer(src);
    raw.bump(start);
    while let Some(result) = raw.next() {
        let range = raw.span();
        let span = Span::new(range.start, range.end);
        if !matches!(result, Err(LexError::InvalidChar)) {
            layout.flush_invalid();
        }
        match result {
            Ok(Token::Newline) => layout.newline(span),
            Ok(Token::Backslash) => {
                let after = &src[span.end..];
                if after.is_empty() || after.trim_start_matches([' ', '\t', '\r']).is_empty() {
                    layout.out.ends_with_backslash = true;
                } else if after.starts_with('\n') || after.starts_with("\r\n") {
                    let n = if after.starts_with('\n') { 1 } else { 2 };
                    raw.bump(n);
                    if src[span.end + n..].trim().is_empty() {
                        layout.out.ends_with_backslash = true;
                    }
                } else {
                    layout.token(Token::Error, span);
                    layout.out.diagnostics.push(
                        Diagnostic::error(
                            "syntax::char",
                            "unexpected `\\` in the middle of a line",
                        )
                        .primary(span, "a `\\` joins lines only at the very end of a line")
                        .help("remove the `\\`, or end the line right after it"),
                    );
                }
            }
            Ok(token) => layout.token(token, span),
            Err(LexError::InvalidChar) => {
                let span = char_span(src, span);
                if layout.pending_invalid.is_none() {
                    layout.token(Token::Error, span);
                }
                layout.pending_invalid = Some(match layout.pending_invalid {
                    Some(p) if p.end == span.start => p.to(span),
                    Some(p) => {
                        layout.report_invalid(p);
                        span
                    }
                    None => span,
                });
            }
            Err(LexError::UnterminatedString(value, triple)) => {
                layout.token(Token::Str(value), span);
                if triple {
                    layout.out.open_triple = true;
                }
                let opening = &src[span.start..span.end];
                let quote_at = opening.find(['"', '\'']).unwrap_or(0);
                let quote = &opening[quote_at..quote_at + 1];
                layout.out.unterminated.push(span.start);
                let help = if triple {
                    format!("close it with `{0}{0}{0}`", quote)
                } else {
                    format!("add a closing `{quote}` before the end of the line (a string over several lines needs `{0}{0}{0}`)", quote)
                };
                layout.out.diagnostics.push(
                    Diagnostic::error("syntax::string", "unterminated string")
                        .primary(span, "this string is never closed")
                        .help(help),
                );
            }
            Err(LexError::BadNumber(hint)) => {
                layout.token(Token::Error, span);
                let text = &src[span.start..span.end];
                layout.out.diagnostics.push(
                    Diagnostic::error("syntax::number", format!("malformed number `{text}`"))
                        .primary(span, "not a valid number")
                        .help(hint),
                );
            }
        }
    }
    layout.flush_invalid();
    layout.finish()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kinds(src: &str) -> Vec<Token> {
        lex(src).tokens.into_iter().map(|t| t.node).collect()
    }

    fn codes(src: &str) -> Vec<&'static str> {
        lex(src).diagnostics.iter().map(|d| d.code).collect()
    }

    #[test]
    fn numbers() {
        for (text, value) in [
            ("3", 3.0),
            ("3.0", 3.0),
            ("3.", 3.0),
            (".5", 0.5),
            ("1e-3", 1e-3),
            ("2.5E+4", 2.5e4),
        ] {
            assert_eq!(kinds(text)[0], Token::Number(value), "{text}");
        }
        assert_eq!(codes("1e"), ["syntax::number"]);
        assert_eq!(codes("2x + 1"), ["syntax::number"]);
        assert_eq!(codes("1.2.3"), ["syntax::number"]);
        assert_eq!(kinds("x.T")[1], Token::Dot);
    }

    #[test]
    fn strings() {
        assert_eq!(
            kinds(r#""a\nb\t\\\"\'\q""#)[0],
            Token::Str("a\nb\t\\\"'\\q".to_string())
        );
        assert_eq!(kinds(r"'it\'s'")[0], Token::Str("it's".to_string()));
        assert_eq!(kinds(r#""a\\""#)[0], Token::Str("a\\".to_string()));
        assert_eq!(codes("x = \"abc\ny = 1"), ["syntax::string"]);
        assert_eq!(codes("x = 'abc\\"), ["syntax::string"]);
        assert_eq!(kinds("'é€'")[0], Token::Str("é€".to_string()));
        assert_eq!(kinds("'''a\n'b'''")[0], Token::Str("a\n'b".to_string()));
        assert_eq!(kinds(r"r'\d\''")[0], Token::Str(r"\d\'".to_string()));
        assert_eq!(kinds(r"'\x41\u00e9'")[0], Token::Str("Aé".to_string()));
        assert_eq!(kinds("f'a{x!r:>{w}}'")[0], Token::FStr((2, 13)));
        assert_eq!(kinds("f\"{d['k']}\"")[0], Token::FStr((2, 10)));
        assert_eq!(kinds("x // 2")[1], Token::SlashSlash);
        assert!(lex("'''abc\n").open_triple);
    }

    #[test]
    fn names_and_keywords() {
        assert_eq!(
            kinds("für forx for")[..3],
            [
                Token::Name("für".into()),
                Token::Name("forx".into()),
                Token::For
            ]
        );
    }

    #[test]
    fn indentation() {
        use Token::*;
        let toks = kinds("if x:\n    y\n\n    # c\n    z\nw\n");
        assert_eq!(
            toks,
            [
                If,
                Name("x".into()),
                Colon,
                Newline,
                Indent,
                Name("y".into()),
                Newline,
                Name("z".into()),
                Newline,
                Dedent,
                Name("w".into()),
                Newline,
                Eof
            ]
        );
        assert_eq!(
            kinds("f(1,\n  2)\n")
                .iter()
                .filter(|t| **t == Newline)
                .count(),
            1
        );
        assert_eq!(
            kinds("x = 1 + \\\n  2\n")
                .iter()
                .filter(|t| **t == Newline)
                .count(),
            1
        );
    }

    #[test]
    fn indentation_errors() {
        assert_eq!(codes("if x:\n    y\n\tz\n"), ["syntax::tabs"]);
        let lexed = lex("if x:\n    y\n\tz\n");
        assert_eq!(lexed.diagnostics[0].primary_span(), Some(Span::new(12, 13)));
        assert!(lexed.diagnostics[0].message.contains("tab"));
        assert_eq!(codes("if x:\n    y\n  z\n"), ["syntax::indent"]);
        assert_eq!(codes("x\n    y\n    z\n"), ["syntax::indent"]);
        assert_eq!(codes("x = 1 $ 2 €€"), ["syntax::char", "syntax::char"]);
    }

    #[test]
    fn invalid_char_span_is_whole_character() {
        let lexed = lex("x = €");
        assert_eq!(lexed.diagnostics[0].primary_span(), Some(Span::new(4, 7)));
    }
}
