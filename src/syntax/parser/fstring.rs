//! f-strings: the text between the quotes is split into literal parts and replacement
//! fields `{expr=!r:spec}`; each field's expression is lexed and parsed in place, so
//! its spans point into the source like any other expression's.

use super::*;
use crate::syntax::lexer::lex_range;

impl Parser<'_> {
    /// The parts of the f-string whose text is `src[start..end]`.
    pub(super) fn fstring_parts(&mut self, start: usize, end: usize) -> PResult<Vec<FPart>> {
        let token = self.span();
        let prefix = &self.src[token.start..start];
        let raw = prefix.contains(['r', 'R']);
        self.fstring_range(start, end, raw, 0)
    }

    fn fstring_range(
        &mut self,
        start: usize,
        end: usize,
        raw: bool,
        nest: usize,
    ) -> PResult<Vec<FPart>> {
        let text = &self.src[start..end];
        let bytes = text.as_bytes();
        let mut parts = Vec::new();
        let mut lit = String::new();
        let mut i = 0;
        while i < bytes.len() {
            match bytes[i] {
                b'{' if bytes.get(i + 1) == Some(&b'{') && nest == 0 => {
                    lit.push('{');
                    i += 2;
                }
                b'}' if bytes.get(i + 1) == Some(&b'}') && nest == 0 => {
                    lit.push('}');
                    i += 2;
                }
                b'{' => {
                    if !lit.is_empty() {
                        parts.push(FPart::Lit(std::mem::take(&mut lit)));
                    }
                    let (part, next) = self.fstring_field(start, start + i + 1, end, raw, nest)?;
                    parts.push(part);
                    i = next - start;
                }
                b'}' => {
                    let at = Span::new(start + i, start + i + 1);
                    self.error(
                        Diagnostic::error("syntax::fstring", "single `}` in an f-string")
                            .primary(at, "this `}` closes no field")
                            .help("write `}}` for a literal brace"),
                    );
                    return Err(Fail);
                }
                b'\\' if !raw => {
                    let rest = &text[i + 1..];
                    let next = rest.chars().next().unwrap_or('\\');
                    let decoded = match next {
                        'n' => Some('\n'),
                        't' => Some('\t'),
                        'r' => Some('\r'),
                        '0' => Some('\0'),
                        '\\' | '"' | '\'' => Some(next),
                        _ => None,
                    };
                    match decoded {
                        Some(c) => {
                            lit.push(c);
                            i += 1 + next.len_utf8();
                        }
                        None => {
                            lit.push('\\');
                            i += 1;
                        }
                    }
                }
                _ => {
                    let c = text[i..].chars().next().unwrap_or(' ');
                    lit.push(c);
                    i += c.len_utf8();
                }
            }
        }
        if !lit.is_empty() {
            parts.push(FPart::Lit(lit));
        }
        Ok(parts)
    }

    /// One field whose expression starts at `from`; returns it and the position after
    /// its closing `}`.
    fn fstring_field(
        &mut self,
        open: usize,
        from: usize,
        end: usize,
        raw: bool,
        nest: usize,
    ) -> PResult<(FPart, usize)> {
        let bytes = self.src.as_bytes();
        // The expression ends at a top-level `}`, `!` (not `!=`), `:` or a final `=`.
        let mut depth = 0usize;
        let mut quote: Option<u8> = None;
        let mut i = from;
        let mut debug_at = None;
        while i < end {
            let c = bytes[i];
            match (quote, c) {
                (Some(q), c) if c == q => quote = None,
                (Some(_), _) => {}
                (None, b'\'' | b'"') => quote = Some(c),
                (None, b'(' | b'[' | b'{') => depth += 1,
                (None, b')' | b']') => depth = depth.saturating_sub(1),
                (None, b'}') if depth > 0 => depth -= 1,
                (None, b'}') => break,
                (None, b'!') if depth == 0 && bytes.get(i + 1) != Some(&b'=') => break,
                (None, b':') if depth == 0 => break,
                (None, b'=') if depth == 0 => {
                    let prev = if i > from { bytes[i - 1] } else { b' ' };
                    let next = bytes.get(i + 1).copied().unwrap_or(b'}');
                    if !matches!(prev, b'=' | b'!' | b'<' | b'>')
                        && matches!(next, b'}' | b'!' | b':')
                    {
                        debug_at = Some(i);
                        break;
                    }
                    if next == b'=' {
                        i += 1;
                    }
                }
                _ => {}
            }
            i += 1;
        }
        let expr_end = i;
        let field_span = Span::new(open.saturating_sub(1), expr_end.min(end));
        if i >= end {
            self.error(
                Diagnostic::error("syntax::fstring", "unclosed `{` in an f-string")
                    .primary(field_span, "this field is never closed")
                    .help("close the field with `}`, or write `{{` for a literal brace"),
            );
            return Err(Fail);
        }
        if self.src[from..expr_end].trim().is_empty() {
            self.error(
                Diagnostic::error("syntax::fstring", "empty field in an f-string")
                    .primary(
                        Span::new(from - 1, expr_end + 1),
                        "no expression inside `{}`",
                    )
                    .help(
                        "put an expression inside the braces, or write `{{}}` for literal braces",
                    ),
            );
            return Err(Fail);
        }
        let expr = self.fragment_expression(from, expr_end)?;
        let debug = debug_at.map(|_| self.src[from..=expr_end].to_string());
        if debug_at.is_some() {
            i += 1;
        }
        let mut conv = None;
        if i < end && bytes[i] == b'!' {
            let c = self.src[i + 1..].chars().next().unwrap_or(' ');
            if !matches!(c, 'r' | 's' | 'a') {
                self.error(
                    Diagnostic::error("syntax::fstring", "unknown conversion in an f-string")
                        .primary(
                            Span::new(i, i + 1 + c.len_utf8()),
                            "expected `!r`, `!s` or `!a`",
                        )
                        .help("write `{x!r}` for the repr of `x`"),
                );
                return Err(Fail);
            }
            conv = Some(c);
            i += 2;
        }
        let mut spec = Vec::new();
        if i < end && bytes[i] == b':' {
            // The spec runs to the matching `}`; it may hold nested fields.
            let spec_start = i + 1;
            let mut depth = 0usize;
            let mut j = spec_start;
            while j < end && !(bytes[j] == b'}' && depth == 0) {
                match bytes[j] {
                    b'{' => depth += 1,
                    b'}' => depth -= 1,
                    _ => {}
                }
                j += 1;
            }
            if nest > 1 {
                self.error(
                    Diagnostic::error("syntax::fstring", "format spec nested too deeply")
                        .primary(
                            Span::new(spec_start, j),
                            "a spec inside a spec inside a spec",
                        )
                        .help("compute the spec in a variable first"),
                );
                return Err(Fail);
            }
            spec = self.fstring_range(spec_start, j, raw, nest + 1)?;
            i = j;
        }
        if i >= end || bytes[i] != b'}' {
            self.error(
                Diagnostic::error("syntax::fstring", "unclosed `{` in an f-string")
                    .primary(
                        Span::new(open - 1, i.min(end)),
                        "expected `}` to close this field",
                    )
                    .help("a field is `{expression}`, `{expression:spec}` or `{expression!r}`"),
            );
            return Err(Fail);
        }
        Ok((
            FPart::Field {
                expr,
                debug,
                conv,
                spec,
            },
            i + 1,
        ))
    }

    /// Parse `src[start..end]` as one expression.
    fn fragment_expression(&mut self, start: usize, end: usize) -> PResult<Expr> {
        let lexed = lex_range(self.src, start, end);
        let (mut sub, diagnostics) = Parser::new(self.src, lexed);
        sub.last_end = start;
        let fail = !diagnostics.is_empty();
        self.diagnostics.extend(diagnostics);
        if fail {
            return Err(Fail);
        }
        let result = sub.expression_list();
        let trailing = !matches!(sub.peek(), Token::Eof | Token::Newline);
        let result = match result {
            Ok(e) if trailing => sub.unexpected::<Expr>("`}`", None).map(|_| e),
            other => other,
        };
        self.diagnostics.append(&mut sub.diagnostics);
        result
    }
}
