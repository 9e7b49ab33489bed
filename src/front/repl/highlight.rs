//! Syntax highlighting of the edited line from the lexer's raw tokens: numbers, strings,
//! keywords, builtins, comments, `:` commands, and the bracket matching the one at the
//! cursor. Only SGR escape sequences are inserted, so the display width never changes.

use crate::runtime::builtins;
use crate::syntax::lexer::{LexError, Token};
use logos::Logos;

const RESET: &str = "\x1b[0m";
const NUMBER: &str = "\x1b[36m";
const STRING: &str = "\x1b[32m";
const KEYWORD: &str = "\x1b[35m";
const BUILTIN: &str = "\x1b[34m";
const COMMENT: &str = "\x1b[90m";
const COMMAND: &str = "\x1b[1;33m";
const ERROR: &str = "\x1b[31m";
const MATCHED: &str = "\x1b[1;4m";

/// The style of each byte range, in order; unstyled text is left out.
fn styles(line: &str) -> Vec<(usize, usize, &'static str)> {
    let mut out = Vec::new();
    let mut offset = 0;
    let trimmed = line.trim_start();
    if trimmed.starts_with(':') {
        let lead = line.len() - trimmed.len();
        let end = trimmed
            .find(char::is_whitespace)
            .map_or(line.len(), |i| lead + i);
        out.push((lead, end, COMMAND));
        offset = end;
    }
    let code = &line[offset..];
    let mut last_end = 0;
    for (token, range) in Token::lexer(code).spanned() {
        comments_in(code, last_end, range.start, offset, &mut out);
        last_end = range.end;
        let style = match token {
            Ok(Token::Number(_)) => NUMBER,
            Ok(Token::Str(_) | Token::FStr(..)) | Err(LexError::UnterminatedString(..)) => STRING,
            Ok(Token::Name(n)) if builtins::find(&n).is_some() => BUILTIN,
            Ok(t) if t.is_keyword() => KEYWORD,
            Err(_) => ERROR,
            Ok(_) => continue,
        };
        out.push((offset + range.start, offset + range.end, style));
    }
    comments_in(code, last_end, code.len(), offset, &mut out);
    out
}

/// A comment is the part of a gap between tokens from `#` to the end of its line.
fn comments_in(
    code: &str,
    from: usize,
    to: usize,
    offset: usize,
    out: &mut Vec<(usize, usize, &'static str)>,
) {
    let mut at = from;
    while let Some(i) = code[at..to].find('#') {
        let start = at + i;
        let end = code[start..to].find('\n').map_or(to, |j| start + j);
        out.push((offset + start, offset + end, COMMENT));
        at = end;
    }
}

/// The byte offsets of the bracket at (or just before) `cursor` and of its partner.
pub fn matching_bracket(line: &str, cursor: usize) -> Option<(usize, usize)> {
    let mut stack: Vec<usize> = Vec::new();
    let mut pairs: Vec<(usize, usize)> = Vec::new();
    for (token, range) in Token::lexer(line).spanned() {
        match token {
            Ok(Token::LParen | Token::LBracket | Token::LBrace) => stack.push(range.start),
            Ok(Token::RParen | Token::RBracket | Token::RBrace) => {
                if let Some(open) = stack.pop() {
                    pairs.push((open, range.start));
                }
            }
            _ => {}
        }
    }
    let find = |at: usize| {
        pairs.iter().find_map(|&(a, b)| {
            if a == at {
                Some((a, b))
            } else if b == at {
                Some((b, a))
            } else {
                None
            }
        })
    };
    find(cursor).or_else(|| cursor.checked_sub(1).and_then(find))
}

/// `line` with ANSI colours; `cursor`, when given, also marks the matching bracket.
pub fn highlight(line: &str, cursor: Option<usize>) -> String {
    let mut spans = styles(line);
    let mut brackets: Vec<usize> = Vec::new();
    if let Some((a, b)) = cursor.and_then(|c| matching_bracket(line, c)) {
        brackets = vec![a.min(b), a.max(b)];
    }
    spans.sort_by_key(|s| s.0);
    let mut out = String::with_capacity(line.len() * 2);
    let mut at = 0;
    let push_plain = |out: &mut String, from: usize, to: usize| {
        let mut i = from;
        for &b in brackets.iter().filter(|&&b| b >= from && b < to) {
            out.push_str(&line[i..b]);
            out.push_str(MATCHED);
            out.push_str(&line[b..b + 1]);
            out.push_str(RESET);
            i = b + 1;
        }
        out.push_str(&line[i..to]);
    };
    for (start, end, style) in spans {
        if start < at || end > line.len() {
            continue;
        }
        push_plain(&mut out, at, start);
        out.push_str(style);
        out.push_str(&line[start..end]);
        out.push_str(RESET);
        at = end;
    }
    push_plain(&mut out, at, line.len());
    out
}

/// `text` without ANSI escape sequences (`ESC [ ... letter`).
pub fn strip_ansi(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '\x1b' && chars.peek() == Some(&'[') {
            chars.next();
            for d in chars.by_ref() {
                if d.is_ascii_alphabetic() || d == '~' {
                    break;
                }
            }
            continue;
        }
        out.push(c);
    }
    out
}
