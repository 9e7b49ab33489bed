//! The literals of the lexer: numbers (`1_000`, `2.5e-3`, with anything glued on
//! making them malformed), strings with their prefixes and escapes, and the extent of an
//! f-string (its parts are parsed by `parser/fstring.rs`). logos calls these back from
//! the `Token` patterns.

use super::{LexError, Token};

pub(super) fn is_name_char(c: char) -> bool {
    c == '_' || c.is_alphanumeric()
}

/// Scan a whole number from the start of the match: digits, an optional fraction and
/// an optional exponent. Anything glued on (`2x`, `1e`, `1.2.3`) makes it malformed.
pub(super) fn lex_number(lex: &mut logos::Lexer<Token>) -> Result<f64, LexError> {
    let start = lex.span().start;
    let rest = &lex.source()[start..];
    let bytes = rest.as_bytes();
    // Digits, with Python's single `_` between two digits (`1_000`).
    let digits = |mut i: usize| {
        while i < bytes.len()
            && (bytes[i].is_ascii_digit()
                || bytes[i] == b'_'
                    && i > 0
                    && bytes[i - 1].is_ascii_digit()
                    && bytes.get(i + 1).is_some_and(u8::is_ascii_digit))
        {
            i += 1;
        }
        i
    };
    let mut end = digits(0);
    if end < bytes.len() && bytes[end] == b'.' {
        end = digits(end + 1);
    }
    let mut problem: Option<&'static str> = None;
    if end < bytes.len() && (bytes[end] == b'e' || bytes[end] == b'E') {
        let mut j = end + 1;
        if j < bytes.len() && (bytes[j] == b'+' || bytes[j] == b'-') {
            j += 1;
        }
        let k = digits(j);
        if k > j {
            end = k;
        } else {
            end = j;
            problem = Some("an exponent needs digits, as in `1e-3`");
        }
    }
    // Glued-on name characters or a second fraction make one malformed token, so that
    // the user sees `2x` reported once rather than a number followed by a name.
    loop {
        let tail = &rest[end..];
        match tail.chars().next() {
            Some(c) if is_name_char(c) => {
                end += c.len_utf8();
                problem.get_or_insert(
                    "a number cannot run into a name; put an operator or a space between them",
                );
            }
            Some('.') if tail[1..].starts_with(|c: char| c.is_ascii_digit()) => {
                end = digits(end + 1);
                problem.get_or_insert("a number has at most one decimal point");
            }
            _ => break,
        }
    }
    let matched = lex.slice().len();
    lex.bump(end - matched);
    match problem {
        Some(hint) => Err(LexError::BadNumber(hint)),
        None => rest[..end]
            .replace('_', "")
            .parse::<f64>()
            .map_err(|_| LexError::BadNumber("write a number such as `3`, `0.5` or `1e-3`")),
    }
}

/// How a string literal opens: its prefix letters, its quote and whether it is
/// triple-quoted. `lex` has matched the prefix and the first quote.
fn string_opening(lex: &mut logos::Lexer<Token>) -> (bool, char, bool) {
    let slice = lex.slice();
    let quote = slice.chars().last().unwrap_or('"');
    let raw = slice[..slice.len() - 1].contains(['r', 'R']);
    let triple = lex.remainder().starts_with(&format!("{quote}{quote}")[..]);
    if triple {
        lex.bump(2);
    }
    (raw, quote, triple)
}

/// Scan a string's body after its opening quote(s): the decoded text, or the text read
/// before the end of the line (the end of the input when triple-quoted).
fn scan_string(
    lex: &mut logos::Lexer<Token>,
    quote: char,
    triple: bool,
    raw: bool,
) -> Result<String, LexError> {
    let rest = lex.remainder();
    let closing: String = std::iter::repeat_n(quote, if triple { 3 } else { 1 }).collect();
    let mut value = String::new();
    let mut chars = rest.char_indices().peekable();
    while let Some((i, c)) = chars.next() {
        if c == quote && rest[i..].starts_with(&closing[..]) {
            lex.bump(i + closing.len());
            return Ok(value);
        }
        match c {
            '\n' | '\r' if !triple => {
                lex.bump(i);
                return Err(LexError::UnterminatedString(value, false));
            }
            '\\' if raw => {
                value.push('\\');
                // A backslash keeps the next character, even a quote, in a raw string.
                if let Some(&(_, next)) = chars.peek() {
                    if next != '\n' {
                        value.push(next);
                        chars.next();
                    }
                }
            }
            '\\' => match chars.peek().map(|&(_, next)| next) {
                // A backslash at the end of the line continues the string on the next.
                Some('\n') if triple => {
                    chars.next();
                }
                Some('\n') | Some('\r') | None => continue,
                Some(next) => {
                    chars.next();
                    decode_escape(next, &mut chars, &mut value);
                }
            },
            c => value.push(c),
        }
    }
    lex.bump(rest.len());
    Err(LexError::UnterminatedString(value, triple))
}

/// Decode the escape `\next` (Python's escapes; an unknown one keeps its backslash).
fn decode_escape(
    next: char,
    chars: &mut std::iter::Peekable<std::str::CharIndices<'_>>,
    value: &mut String,
) {
    let hex = |chars: &mut std::iter::Peekable<std::str::CharIndices<'_>>, n: usize| {
        let mut code = 0u32;
        for _ in 0..n {
            match chars.peek().and_then(|&(_, c)| c.to_digit(16)) {
                Some(d) => {
                    code = code * 16 + d;
                    chars.next();
                }
                None => return None,
            }
        }
        char::from_u32(code)
    };
    let decoded = match next {
        'n' => '\n',
        't' => '\t',
        'r' => '\r',
        '0' => '\0',
        '\\' | '"' | '\'' => next,
        'x' => match hex(chars, 2) {
            Some(c) => c,
            None => {
                value.push_str("\\x");
                return;
            }
        },
        'u' => match hex(chars, 4) {
            Some(c) => c,
            None => {
                value.push_str("\\u");
                return;
            }
        },
        other => {
            value.push('\\');
            other
        }
    };
    value.push(decoded);
}

/// A string literal: `'...'`, `"..."`, triple-quoted, raw (`r"\d"`), `b`/`u` prefixed.
pub(super) fn lex_string(lex: &mut logos::Lexer<Token>) -> Result<String, LexError> {
    let (raw, quote, triple) = string_opening(lex);
    scan_string(lex, quote, triple, raw)
}

/// An f-string: its text is scanned as a string (a replacement field may hold strings of
/// the other quote); the token keeps the byte range between the quotes.
pub(super) fn lex_fstring(lex: &mut logos::Lexer<Token>) -> Result<(usize, usize), LexError> {
    let (_, quote, triple) = string_opening(lex);
    let start = lex.span().end;
    let rest = lex.remainder();
    let closing: String = std::iter::repeat_n(quote, if triple { 3 } else { 1 }).collect();
    let mut depth = 0usize;
    let mut inner_quote: Option<char> = None;
    let mut chars = rest.char_indices();
    while let Some((i, c)) = chars.next() {
        match (inner_quote, c) {
            (Some(q), c) if c == q => inner_quote = None,
            (Some(_), _) => {}
            (None, '{') if depth > 0 || !rest[i + 1..].starts_with('{') => depth += 1,
            (None, '{') => {
                chars.next();
            }
            (None, '}') if depth > 0 => depth -= 1,
            (None, '\'' | '"') if depth > 0 && c != quote => inner_quote = Some(c),
            (None, '\\') => {
                chars.next();
            }
            (None, c) if c == quote && rest[i..].starts_with(&closing[..]) => {
                lex.bump(i + closing.len());
                return Ok((start, start + i));
            }
            (None, '\n') if !triple => {
                lex.bump(i);
                return Err(LexError::UnterminatedString(String::new(), false));
            }
            _ => {}
        }
    }
    lex.bump(rest.len());
    Err(LexError::UnterminatedString(String::new(), triple))
}
