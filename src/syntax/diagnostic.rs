//! The one diagnostic type of tsr (errors and warnings from every stage) and its
//! deterministic miette rendering.
//!
//! Every diagnostic has a stable code (`shape::matmul`, `syntax::unclosed`, ...), a
//! lowercase message without a trailing period, labelled spans into one source text, an
//! optional help line and related diagnostics that may point into other sources (an
//! earlier REPL input, the file a function was defined in).

use crate::syntax::span::Span;
use miette::{GraphicalReportHandler, GraphicalTheme, LabeledSpan, NamedSource, SourceCode};
use std::fmt;
use std::sync::Arc;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Severity {
    Error,
    Warning,
    Advice,
}

/// A labelled span. The primary label marks the failing operator or call.
#[derive(Clone, Debug, PartialEq)]
pub struct Label {
    pub span: Span,
    pub text: String,
    pub primary: bool,
}

/// A named source text that diagnostics point into.
pub type Source = Arc<Lines>;

pub fn source(name: &str, text: &str) -> Source {
    Arc::new(Lines(
        NamedSource::new(name, text.to_string()).with_language("python"),
    ))
}

/// A source text whose snippets are whole lines: a diagnostic shows the lines its
/// labels are on, and no lines around them (the render asks for context lines only to
/// tell this read from a label's own).
#[derive(Debug)]
pub struct Lines(NamedSource<String>);

impl std::ops::Deref for Lines {
    type Target = NamedSource<String>;
    fn deref(&self) -> &NamedSource<String> {
        &self.0
    }
}

impl SourceCode for Lines {
    fn read_span<'a>(
        &'a self,
        span: &miette::SourceSpan,
        before: usize,
        after: usize,
    ) -> Result<Box<dyn miette::SpanContents<'a> + 'a>, miette::MietteError> {
        let text = self.0.inner().as_bytes();
        let (from, to) = (span.offset(), span.offset() + span.len());
        // miette asks with no context for a label's own position (the header's line and
        // column), and with the handler's context for the lines to show: those are the
        // labels' whole lines, without lines around them.
        if (before == 0 && after == 0) || to > text.len() {
            return self.0.read_span(span, before, after);
        }
        let start = text[..from]
            .iter()
            .rposition(|&b| b == b'\n')
            .map_or(0, |i| i + 1);
        let end = text[to..]
            .iter()
            .position(|&b| b == b'\n' || b == b'\r')
            .map_or(text.len(), |i| to + i);
        let lines = self.0.read_span(&(start..end).into(), 0, 0)?;
        // miette joins two labels' snippets when the first one's `line + line_count`
        // reaches the second's line: with the count of lines shown, exactly when the
        // labels are on the same or adjacent lines.
        let count = lines.data().iter().filter(|&&b| b == b'\n').count() + 1;
        Ok(Box::new(miette::MietteSpanContents::new_named(
            self.0.name().to_string(),
            lines.data(),
            *lines.span(),
            lines.line(),
            0,
            count,
        )))
    }
}

/// A rewrite of the program that the help may suggest: `replacement` in place of the
/// text under `span` (in the diagnostic's own source), explained by `help`. A front-end
/// verifies the candidates by running the rewritten program's shape rules; the first
/// that passes is shown, and when none does the diagnostic's own help is.
#[derive(Clone, Debug, PartialEq)]
pub struct Fix {
    pub span: Span,
    pub replacement: String,
    pub help: String,
}

impl Fix {
    /// `text` with the fix applied. A replacement that is not a single postfix expression
    /// is parenthesised unless it replaces a whole line's expression, so that operator
    /// precedence around it cannot change its meaning.
    pub fn apply(&self, text: &str) -> Option<String> {
        let (start, end) = (self.span.start, self.span.end);
        if start > end
            || end > text.len()
            || !text.is_char_boundary(start)
            || !text.is_char_boundary(end)
        {
            return None;
        }
        let before = &text[..start];
        let after = &text[end..];
        let line_start = before.rfind('\n').map(|i| i + 1).unwrap_or(0);
        let head = before[line_start..].trim();
        let alone =
            (head.is_empty() || head.ends_with('=') && !head.ends_with("==") || head == "return")
                && after.split('\n').next().unwrap_or("").trim().is_empty();
        let r = &self.replacement;
        // An operator token, arguments (`xs, axis=1`) or an insertion (an empty span) are
        // replaced as they are.
        let operator = !text[start..end]
            .chars()
            .any(|c| c.is_alphanumeric() || c == '_')
            || has_top_level_comma(r);
        if alone || operator || is_postfix_expr(r) {
            Some(format!("{before}{r}{after}"))
        } else {
            Some(format!("{before}({r}){after}"))
        }
    }

    /// How many lines the fix adds (negative: removes) after its own line.
    pub fn line_delta(&self, text: &str) -> isize {
        let old = text
            .get(self.span.start..self.span.end)
            .map(|s| s.matches('\n').count())
            .unwrap_or(0);
        self.replacement.matches('\n').count() as isize - old as isize
    }
}

fn has_top_level_comma(s: &str) -> bool {
    let mut depth = 0i32;
    for c in s.chars() {
        match c {
            '(' | '[' | '{' => depth += 1,
            ')' | ']' | '}' => depth -= 1,
            ',' if depth == 0 => return true,
            _ => {}
        }
    }
    false
}

/// Whether `s` is one primary expression with postfixes (`x`, `f(a, b)`, `x.T`,
/// `w[0].reshape(3, 1)`): nothing outside brackets and strings but names and dots.
pub fn is_postfix_expr(s: &str) -> bool {
    let mut depth = 0i32;
    let mut quote: Option<char> = None;
    for c in s.chars() {
        if let Some(q) = quote {
            if c == q {
                quote = None;
            }
            continue;
        }
        match c {
            '\'' | '"' => quote = Some(c),
            '(' | '[' | '{' => depth += 1,
            ')' | ']' | '}' => depth -= 1,
            c if depth == 0 && !(c.is_alphanumeric() || c == '_' || c == '.') => return false,
            _ => {}
        }
    }
    !s.is_empty() && depth == 0
}

#[derive(Clone, Debug)]
pub struct Diagnostic {
    pub code: &'static str,
    pub message: String,
    pub severity: Severity,
    pub labels: Vec<Label>,
    pub help: Option<String>,
    pub related: Vec<Diagnostic>,
    /// The text the labels point into; attached by the session once the stage is known.
    pub source: Option<Source>,
    /// Candidate rewrites, best first; the help shows the first (once verified, the
    /// one that passed).
    pub fixes: Vec<Fix>,
}

impl Diagnostic {
    pub fn error(code: &'static str, message: impl Into<String>) -> Diagnostic {
        Diagnostic {
            code,
            message: message.into(),
            severity: Severity::Error,
            labels: Vec::new(),
            help: None,
            related: Vec::new(),
            source: None,
            fixes: Vec::new(),
        }
    }

    pub fn warning(code: &'static str, message: impl Into<String>) -> Diagnostic {
        Diagnostic {
            severity: Severity::Warning,
            ..Diagnostic::error(code, message)
        }
    }

    pub fn advice(code: &'static str, message: impl Into<String>) -> Diagnostic {
        Diagnostic {
            severity: Severity::Advice,
            ..Diagnostic::error(code, message)
        }
    }

    /// The primary label: the operator, call or token that failed.
    pub fn primary(mut self, span: Span, text: impl Into<String>) -> Diagnostic {
        self.labels.push(Label {
            span,
            text: text.into(),
            primary: true,
        });
        self
    }

    /// A secondary label (an operand with its shape, where a variable got its shape).
    pub fn label(mut self, span: Span, text: impl Into<String>) -> Diagnostic {
        self.labels.push(Label {
            span,
            text: text.into(),
            primary: false,
        });
        self
    }

    pub fn help(mut self, help: impl Into<String>) -> Diagnostic {
        self.help = Some(help.into());
        self
    }

    /// Add a candidate fix: `replacement` for the text under `span`, explained by
    /// `help` (shown instead of the diagnostic's help when the fix is chosen).
    pub fn with_fix(
        mut self,
        span: Span,
        replacement: impl Into<String>,
        help: impl Into<String>,
    ) -> Diagnostic {
        self.fixes.push(Fix {
            span,
            replacement: replacement.into(),
            help: help.into(),
        });
        self
    }

    /// This diagnostic, raised inside library code, moved to the user's `call` in
    /// `caller` (the callee `name`): the primary label goes to the call, and the
    /// library's labels become one note after it. The notes of calls inside the library
    /// and the fixes (which point into the library's text) are dropped.
    pub fn reanchored(mut self, call: Span, caller: &Source, name: &str) -> Diagnostic {
        let primary = self
            .labels
            .iter()
            .find(|l| l.primary)
            .map(|l| l.text.clone())
            .unwrap_or_default();
        let mut inside = Diagnostic::advice("note::library", format!("inside `{name}`"));
        inside.labels = std::mem::take(&mut self.labels);
        inside.source = self.source.take();
        self.related = vec![inside];
        self.fixes.clear();
        self.source = Some(caller.clone());
        self.primary(call, primary)
    }

    /// The fix the help shows: the first candidate.
    pub fn fix(&self) -> Option<&Fix> {
        self.fixes.first()
    }

    /// Keep only the candidate fixes for which `passes` holds, and of those the first.
    pub fn choose_fix(&mut self, mut passes: impl FnMut(&Diagnostic, &Fix) -> bool) {
        let candidates = std::mem::take(&mut self.fixes);
        for f in candidates {
            if passes(self, &f) {
                self.fixes = vec![f];
                return;
            }
        }
    }

    /// The help as shown: the chosen fix's, else the diagnostic's own.
    pub fn shown_help(&self) -> Option<&str> {
        self.fixes
            .first()
            .map(|f| f.help.as_str())
            .or(self.help.as_deref())
    }

    pub fn with_related(mut self, related: Diagnostic) -> Diagnostic {
        self.related.push(related);
        self
    }

    pub fn with_source(mut self, src: &Source) -> Diagnostic {
        if self.source.is_none() {
            self.source = Some(src.clone());
        }
        self
    }

    pub fn is_error(&self) -> bool {
        self.severity == Severity::Error
    }

    /// The span of the primary label, or of the first label.
    pub fn primary_span(&self) -> Option<Span> {
        self.labels
            .iter()
            .find(|l| l.primary)
            .or(self.labels.first())
            .map(|l| l.span)
    }
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.message)
    }
}

impl std::error::Error for Diagnostic {}

/// Clamp a span so that it lies inside `text` and on character boundaries; miette
/// misrenders labels past the end of input or inside a multi-byte character.
fn clamp_span(span: Span, text: &str) -> Span {
    let len = text.len();
    let mut start = span.start.min(len);
    let mut end = span.end.min(len).max(start);
    while start > 0 && !text.is_char_boundary(start) {
        start -= 1;
    }
    while end < len && !text.is_char_boundary(end) {
        end += 1;
    }
    // A label at the very end of input (an unexpected end of file) is moved onto the
    // last character so that it is drawn under visible text.
    if start == len && len > 0 {
        let mut s = len - 1;
        while s > 0 && !text.is_char_boundary(s) {
            s -= 1;
        }
        // Skip back over trailing newlines so that the label sits on a real line.
        let bytes = text.as_bytes();
        while s > 0 && (bytes[s] == b'\n' || bytes[s] == b'\r') {
            s -= 1;
        }
        while s > 0 && !text.is_char_boundary(s) {
            s -= 1;
        }
        start = s;
        end = s + text[s..].chars().next().map(char::len_utf8).unwrap_or(0);
    }
    Span { start, end }
}

impl miette::Diagnostic for Diagnostic {
    fn code<'a>(&'a self) -> Option<Box<dyn fmt::Display + 'a>> {
        Some(Box::new(self.code))
    }

    fn severity(&self) -> Option<miette::Severity> {
        Some(match self.severity {
            Severity::Error => miette::Severity::Error,
            Severity::Warning => miette::Severity::Warning,
            Severity::Advice => miette::Severity::Advice,
        })
    }

    fn help<'a>(&'a self) -> Option<Box<dyn fmt::Display + 'a>> {
        self.shown_help()
            .map(|h| Box::new(h.to_string()) as Box<dyn fmt::Display>)
    }

    fn source_code(&self) -> Option<&dyn SourceCode> {
        self.source.as_ref().map(|s| &**s as &dyn SourceCode)
    }

    fn labels(&self) -> Option<Box<dyn Iterator<Item = LabeledSpan> + '_>> {
        let text = self
            .source
            .as_ref()
            .map(|s| s.inner().as_str())
            .unwrap_or("");
        if self.source.is_none() || self.labels.is_empty() {
            return None;
        }
        let mut labels: Vec<LabeledSpan> = Vec::new();
        for l in &self.labels {
            let s = clamp_span(l.span, text);
            let label = if l.text.is_empty() {
                None
            } else {
                Some(l.text.clone())
            };
            let ls = if l.primary {
                LabeledSpan::new_primary_with_span(label, (s.start, s.end - s.start))
            } else {
                LabeledSpan::new_with_span(label, (s.start, s.end - s.start))
            };
            labels.push(ls);
        }
        Some(Box::new(labels.into_iter()))
    }

    fn related<'a>(&'a self) -> Option<Box<dyn Iterator<Item = &'a dyn miette::Diagnostic> + 'a>> {
        if self.related.is_empty() {
            return None;
        }
        Some(Box::new(
            self.related.iter().map(|d| d as &dyn miette::Diagnostic),
        ))
    }
}

/// How diagnostics are drawn: the fixed, colourless 80-column form used by tests, or
/// the terminal's form (colour unless `NO_COLOR`, the terminal's width).
#[derive(Clone, Copy, Debug)]
pub struct RenderStyle {
    pub width: usize,
    pub color: bool,
}

impl RenderStyle {
    pub const TEST: RenderStyle = RenderStyle {
        width: 80,
        color: false,
    };
}

/// Split text into words for wrapping, but never inside `[...]`, a call's `(...)` or
/// backticks, so that a shape like `[4, 3]` or a suggested fix is never broken across
/// lines. A parenthesis that opens after a space is prose (an aside), and wraps.
fn split_words(line: &str) -> Box<dyn Iterator<Item = textwrap::core::Word<'_>> + '_> {
    let mut words = Vec::new();
    // The open brackets, each with whether it keeps its contents on one line.
    let mut open: Vec<bool> = Vec::new();
    let mut depth: i32 = 0;
    let mut in_code = false;
    let mut start = 0;
    let bytes = line.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'[' | b'(' if !in_code => {
                let aside = bytes[i] == b'(' && (i == 0 || bytes[i - 1] == b' ');
                open.push(!aside);
                depth += i32::from(!aside);
            }
            b']' | b')' if !in_code => {
                if open.pop().unwrap_or(false) {
                    depth -= 1;
                }
            }
            b'`' => in_code = !in_code,
            b' ' if depth == 0 && !in_code => {
                let mut end = i;
                while end < bytes.len() && bytes[end] == b' ' {
                    end += 1;
                }
                words.push(textwrap::core::Word::from(&line[start..end]));
                start = end;
                i = end;
                continue;
            }
            _ => {}
        }
        i += 1;
    }
    if start < line.len() {
        words.push(textwrap::core::Word::from(&line[start..]));
    }
    Box::new(words.into_iter())
}

/// The diagnostic as it is shown: a note that says where a failing function was called
/// or which loop iteration failed (`note::call`, `note::loop`) becomes a label of the
/// diagnostic itself when it points into the same source, clear of its labels, instead
/// of a second snippet with its own title. A call is labelled at its callee's name.
fn fold_notes(diag: &Diagnostic) -> Option<Diagnostic> {
    if !diag
        .related
        .iter()
        .any(|r| matches!(r.code, "note::call" | "note::loop"))
    {
        return None;
    }
    let src = diag.source.as_ref()?;
    let text = src.inner().as_str();
    let mut out = diag.clone();
    out.related.clear();
    for r in &diag.related {
        let same = r.source.as_ref().is_some_and(|s| Arc::ptr_eq(s, src));
        let label = r.labels.iter().find(|l| l.primary);
        let folded = match (same, label, r.code) {
            (true, Some(l), "note::call" | "note::loop") => {
                let mut span = l.span;
                if r.code == "note::call" {
                    let call = text.get(span.start..span.end).unwrap_or("");
                    if let Some(open) = call.find('(') {
                        span.end = span.start + call[..open].trim_end().len();
                    }
                }
                let clear = out
                    .labels
                    .iter()
                    .all(|o| o.span.end <= span.start || span.end <= o.span.start);
                (clear && !span.is_empty()).then(|| Label {
                    span,
                    text: l.text.clone(),
                    primary: false,
                })
            }
            _ => None,
        };
        match folded {
            Some(l) => out.labels.push(l),
            None => out.related.push(r.clone()),
        }
    }
    (out.related.len() != diag.related.len()).then_some(out)
}

/// Render one diagnostic to text, deterministically for a given style.
pub fn render(diag: &Diagnostic, style: RenderStyle) -> String {
    let folded = fold_notes(diag);
    let diag = folded.as_ref().unwrap_or(diag);
    let theme = if style.color {
        GraphicalTheme::unicode()
    } else {
        GraphicalTheme::unicode_nocolor()
    };
    let handler = GraphicalReportHandler::new_themed(theme)
        .with_width(style.width)
        .with_context_lines(1)
        .without_syntax_highlighting()
        .with_word_separator(textwrap::WordSeparator::Custom(split_words))
        .with_break_words(false);
    let mut out = String::new();
    if handler.render_report(&mut out, diag).is_err() {
        out = format!("{}: {}\n", diag.code, diag.message);
    }
    out
}
