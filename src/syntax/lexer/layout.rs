//! The indentation pass: turns line starts into NEWLINE / INDENT / DEDENT tokens
//! (Python's rules: tabs and spaces may not be mixed, a dedent must return to an
//! enclosing level), skipping lines inside brackets and blank or comment-only lines.

use super::*;

pub(super) struct Level {
    pub(super) width: usize,
    /// False for a level opened by an "unexpected indent" (no INDENT token was emitted,
    /// so leaving it emits no DEDENT).
    pub(super) real: bool,
}

pub(super) struct Layout<'s> {
    pub(super) src: &'s str,
    pub(super) out: Lexed,
    pub(super) levels: Vec<Level>,
    /// Open brackets: the token and the span of the opener.
    pub(super) brackets: Vec<(Token, Span)>,
    pub(super) line_has_tokens: bool,
    pub(super) newline_in_brackets: bool,
    /// Whether the current / previous logical line starts with a block keyword.
    pub(super) first_opens_block: bool,
    pub(super) prev_first_opens_block: bool,
    /// Whether the current / previous logical line ends with `:`.
    pub(super) last_is_colon: bool,
    pub(super) prev_last_is_colon: bool,
    pub(super) colon_in_line: bool,
    pub(super) prev_colon: bool,
    /// The first indentation character of the file and where it was used.
    pub(super) indent_char: Option<(char, Span)>,
    /// Columns a tab stands for when a mixed line has to be measured for recovery.
    pub(super) tab_width: usize,
    pub(super) prev_line_mixed: bool,
    pub(super) pending_invalid: Option<Span>,
}

/// `a, b and c`.
fn join_and(items: &[String]) -> String {
    match items.split_last() {
        Some((last, rest)) if !rest.is_empty() => format!("{} and {last}", rest.join(", ")),
        _ => items.join(""),
    }
}

/// Widen a span so that it covers whole characters (logos reports invalid input bytewise).
pub(super) fn char_span(src: &str, span: Span) -> Span {
    let mut start = span.start.min(src.len());
    while start > 0 && !src.is_char_boundary(start) {
        start -= 1;
    }
    let mut end = span.end.clamp(start, src.len());
    while end < src.len() && !src.is_char_boundary(end) {
        end += 1;
    }
    if end == start && start < src.len() {
        end = start + src[start..].chars().next().map_or(1, char::len_utf8);
    }
    Span::new(start, end)
}

impl Layout<'_> {
    pub(super) fn flush_invalid(&mut self) {
        if let Some(p) = self.pending_invalid.take() {
            self.report_invalid(p);
        }
    }

    pub(super) fn report_invalid(&mut self, span: Span) {
        let text = &self.src[span.start..span.end];
        let first = text.chars().next().unwrap_or(' ');
        let help = match first {
            '!' => "use `not` for negation and `!=` for inequality".to_string(),
            '\u{201c}' | '\u{201d}' | '\u{2018}' | '\u{2019}' => {
                "this is a typographic quote; use a plain `\"` or `'`".to_string()
            }
            '{' | '}' => "tsr has no dictionaries or sets; use a list `[...]`".to_string(),
            '&' | '|' => "use `and` / `or`".to_string(),
            _ => "remove it, or put it inside a string".to_string(),
        };
        let plural = if text.chars().count() > 1 {
            "characters"
        } else {
            "character"
        };
        let shown = text.escape_debug().to_string();
        self.out.diagnostics.push(
            Diagnostic::error("syntax::char", format!("invalid {plural} `{shown}`"))
                .primary(span, "not valid in tsr source")
                .help(help),
        );
    }

    pub(super) fn push(&mut self, token: Token, span: Span) {
        self.out.tokens.push(Spanned::new(token, span));
    }

    pub(super) fn newline(&mut self, span: Span) {
        if !self.brackets.is_empty() {
            self.newline_in_brackets = true;
            return;
        }
        if self.line_has_tokens {
            self.end_line(span);
        }
    }

    pub(super) fn end_line(&mut self, span: Span) {
        self.push(Token::Newline, span);
        self.line_has_tokens = false;
        self.prev_first_opens_block = std::mem::take(&mut self.first_opens_block);
        self.prev_last_is_colon = std::mem::take(&mut self.last_is_colon);
        self.prev_colon = std::mem::take(&mut self.colon_in_line);
    }

    pub(super) fn token(&mut self, token: Token, span: Span) {
        if !self.brackets.is_empty() && self.newline_in_brackets && token.starts_statement_only() {
            // A statement keyword at the start of a line inside brackets: the bracket
            // was never closed. Closing it here lets the parser report it once and go on.
            for (_, opener) in self.brackets.drain(..) {
                self.out.unclosed.push(opener);
            }
            self.end_line(Span::new(span.start, span.start));
        }
        self.newline_in_brackets = false;
        if !self.line_has_tokens {
            self.indentation(span.start);
            self.first_opens_block = token.opens_block();
        }
        match token {
            Token::LParen | Token::LBracket | Token::LBrace => {
                self.brackets.push((token.clone(), span))
            }
            Token::RParen | Token::RBracket | Token::RBrace => {
                let opener = match token {
                    Token::RParen => Token::LParen,
                    Token::RBracket => Token::LBracket,
                    _ => Token::LBrace,
                };
                // A closer pops back to its matching opener; the openers skipped over
                // are unclosed. A closer with no opener is left to the parser.
                if let Some(pos) = self.brackets.iter().rposition(|(t, _)| *t == opener) {
                    for (_, skipped) in self.brackets.drain(pos + 1..) {
                        self.out.unclosed.push(skipped);
                    }
                    self.brackets.pop();
                }
            }
            Token::Colon if self.brackets.is_empty() => self.colon_in_line = true,
            _ => {}
        }
        self.line_has_tokens = true;
        self.last_is_colon = token == Token::Colon;
        self.push(token, span);
    }

    /// Compare the indentation of the line starting at token offset `pos` with the open
    /// levels and emit INDENT / DEDENT tokens.
    pub(super) fn indentation(&mut self, pos: usize) {
        let line_start = self.src[..pos].rfind('\n').map_or(0, |i| i + 1);
        let line = &self.src[line_start..pos];
        let ws_len = line.len() - line.trim_start_matches([' ', '\t', '\x0c']).len();
        let ws = &line[..ws_len];
        let ws_span = Span::new(line_start, line_start + ws_len);
        let ws = ws.replace('\x0c', "");
        let tabs = ws.bytes().filter(|&b| b == b'\t').count();
        let spaces = ws.len() - tabs;
        let mut report = true;
        let mut mixed = false;
        if tabs > 0 && spaces > 0 {
            mixed = true;
            if !self.prev_line_mixed {
                self.out.diagnostics.push(
                    Diagnostic::error("syntax::tabs", "indentation mixes tabs and spaces")
                        .primary(ws_span, "tabs and spaces on one line")
                        .help("indent with spaces only (or tabs only), never both"),
                );
            }
        } else if tabs + spaces > 0 {
            let ch = if tabs > 0 { '\t' } else { ' ' };
            match self.indent_char {
                None => {
                    self.indent_char = Some((ch, ws_span));
                    if ch == ' ' {
                        self.tab_width = spaces;
                    }
                }
                Some((first, first_span)) if first != ch => {
                    mixed = true;
                    if !self.prev_line_mixed {
                        let (this, other) = if ch == '\t' {
                            ("a tab", "spaces")
                        } else {
                            ("spaces", "tabs")
                        };
                        self.out.diagnostics.push(
                            Diagnostic::error(
                                "syntax::tabs",
                                format!("this line is indented with {this}, but earlier lines use {other}"),
                            )
                            .primary(ws_span, format!("indented with {this}"))
                            .label(first_span, format!("{other} first used here"))
                            .help(format!("indent with {other} only: tabs and spaces may not be mixed")),
                        );
                    }
                }
                Some(_) => {}
            }
        }
        if mixed {
            report = false;
        }
        self.prev_line_mixed = mixed;
        let width = spaces + tabs * self.tab_width;
        let top = self.levels.last().map_or(0, |l| l.width);
        if width > top {
            // A line after a header that lacks its `:` is taken as the block the user
            // meant; the parser reports the missing `:`.
            let opens =
                self.prev_last_is_colon || (!self.prev_colon && self.prev_first_opens_block);
            if opens {
                self.levels.push(Level { width, real: true });
                self.push(Token::Indent, ws_span);
            } else {
                if report {
                    self.out.diagnostics.push(
                        Diagnostic::error("syntax::indent", "unexpected indent")
                            .primary(ws_span, "this line is indented more than the line before it")
                            .help("remove the extra indentation, or end the line before with `:` to open a block"),
                    );
                }
                self.levels.push(Level { width, real: false });
            }
        } else if width < top {
            let open: Vec<String> = self.levels.iter().map(|l| l.width.to_string()).collect();
            while self.levels.len() > 1 && self.levels.last().is_some_and(|l| l.width > width) {
                if self.levels.pop().is_some_and(|l| l.real) {
                    self.push(Token::Dedent, Span::new(pos, pos));
                }
            }
            let now = self.levels.last().map_or(0, |l| l.width);
            if now != width && report {
                let unit = if tabs > 0 { "tabs" } else { "spaces" };
                self.out.diagnostics.push(
                    Diagnostic::error(
                        "syntax::indent",
                        "unindent does not match any outer indentation level",
                    )
                    .primary(ws_span, format!("indented by {} {unit}", tabs + spaces))
                    .help(format!(
                        "the open indentation levels are {} {unit}; indent to one of them",
                        join_and(&open)
                    )),
                );
            }
        }
    }

    pub(super) fn finish(mut self) -> Lexed {
        let end = self.src.len();
        if self.line_has_tokens {
            self.end_line(Span::new(end, end));
        }
        self.out.open_at_end = !self.brackets.is_empty();
        for (_, opener) in self.brackets.drain(..) {
            self.out.unclosed.push(opener);
        }
        while self.levels.len() > 1 {
            if self.levels.pop().is_some_and(|l| l.real) {
                self.push(Token::Dedent, Span::new(end, end));
            }
        }
        self.push(Token::Eof, Span::new(end, end));
        self.out.unclosed.sort_by_key(|s| s.start);
        self.out
    }
}
