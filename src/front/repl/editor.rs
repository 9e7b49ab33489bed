//! The terminal line source: a rustyline editor with tsr's helper (validator, completer,
//! hinter, highlighter) and a history file.

use super::complete::{self, Scope};
use super::highlight;
use super::{LineSource, Read, HISTORY_SIZE};
use rustyline::completion::Completer;
use rustyline::error::ReadlineError;
use rustyline::highlight::{CmdKind, Highlighter};
use rustyline::hint::{Hint, Hinter};
use rustyline::history::FileHistory;
use rustyline::validate::{ValidationContext, ValidationResult, Validator};
use rustyline::{CompletionType, Config, Context, Editor, Helper};
use std::borrow::Cow;
use std::cell::Cell;
use std::io;
use std::path::PathBuf;

/// A hint that is only shown: a signature must never be inserted by the right arrow.
pub struct SignatureHint(String);

impl Hint for SignatureHint {
    fn display(&self) -> &str {
        &self.0
    }
    fn completion(&self) -> Option<&str> {
        None
    }
}

pub struct TsrHelper {
    scope: Scope,
    /// The lines of the current input already read (before this `... ` prompt).
    pending: String,
    /// Whether the next highlight marks the bracket matching the cursor's (not on the
    /// final redraw of an accepted line).
    show_bracket: Cell<bool>,
}

impl Helper for TsrHelper {}

impl Validator for TsrHelper {
    /// Never `Invalid`: syntax errors are reported by the parser once the input runs. A
    /// one-line buffer is accepted so that the loop can show `... ` for the next line;
    /// a buffer of several lines (a paste, a recalled block) stays open until complete.
    fn validate(&self, ctx: &mut ValidationContext) -> rustyline::Result<ValidationResult> {
        let input = ctx.input();
        if !input.contains('\n') {
            return Ok(ValidationResult::Valid(None));
        }
        let whole = if self.pending.is_empty() {
            input.to_string()
        } else {
            format!("{}\n{input}", self.pending)
        };
        Ok(if super::needs_more(&whole) {
            ValidationResult::Incomplete
        } else {
            ValidationResult::Valid(None)
        })
    }
}

impl Completer for TsrHelper {
    type Candidate = String;

    fn complete(
        &self,
        line: &str,
        pos: usize,
        _ctx: &Context<'_>,
    ) -> rustyline::Result<(usize, Vec<String>)> {
        if line[..pos].is_empty() && !self.pending.is_empty() {
            return Ok((pos, vec!["    ".to_string()]));
        }
        Ok(complete::complete(&self.scope, line, pos))
    }
}

impl Hinter for TsrHelper {
    type Hint = SignatureHint;

    fn hint(&self, line: &str, pos: usize, _ctx: &Context<'_>) -> Option<SignatureHint> {
        complete::hint(&self.scope, line, pos).map(SignatureHint)
    }
}

impl Highlighter for TsrHelper {
    fn highlight<'l>(&self, line: &'l str, pos: usize) -> Cow<'l, str> {
        let cursor = if self.show_bracket.get() {
            Some(pos)
        } else {
            None
        };
        Cow::Owned(highlight::highlight(line, cursor))
    }

    fn highlight_prompt<'b, 's: 'b, 'p: 'b>(
        &'s self,
        prompt: &'p str,
        _default: bool,
    ) -> Cow<'b, str> {
        Cow::Owned(format!("\x1b[32m{prompt}\x1b[0m"))
    }

    fn highlight_hint<'h>(&self, hint: &'h str) -> Cow<'h, str> {
        Cow::Owned(format!("\x1b[90m{hint}\x1b[0m"))
    }

    fn highlight_char(&self, _line: &str, _pos: usize, kind: CmdKind) -> bool {
        self.show_bracket.set(kind != CmdKind::ForcedRefresh);
        // Every edit and cursor move may change the bracket to mark.
        kind != CmdKind::ForcedRefresh
    }
}

/// The indentation the next line of an input starts with: after a line ending in `:`,
/// one level deeper than it; inside an indented block, the block's; else none.
pub fn next_indent(pending: &str) -> String {
    let Some(last) = pending.lines().last() else {
        return String::new();
    };
    let mut indent: String = last
        .chars()
        .take_while(|c| *c == ' ' || *c == '\t')
        .collect();
    let code = match last.find('#') {
        Some(i) if !last[..i].contains(['"', '\'']) => &last[..i],
        _ => last,
    };
    if code.trim_end().ends_with(':') {
        indent.push_str("    ");
    }
    indent
}

/// The rustyline editor as a line source.
pub struct EditorSource {
    editor: Editor<TsrHelper, FileHistory>,
    history: Option<PathBuf>,
}

impl EditorSource {
    pub fn new(history: Option<PathBuf>) -> rustyline::Result<EditorSource> {
        let config = Config::builder()
            .max_history_size(HISTORY_SIZE)?
            .history_ignore_dups(true)?
            .history_ignore_space(false)
            .auto_add_history(false)
            .completion_type(CompletionType::List)
            .tab_stop(4)
            .indent_size(4)
            .bracketed_paste(true)
            .build();
        let mut editor: Editor<TsrHelper, FileHistory> = Editor::with_config(config)?;
        editor.set_helper(Some(TsrHelper {
            scope: Scope::default(),
            pending: String::new(),
            show_bracket: Cell::new(true),
        }));
        if let Some(path) = &history {
            // A missing file is the normal first run; a damaged one only loses history.
            let _ = editor.load_history(path);
        }
        Ok(EditorSource { editor, history })
    }
}

impl LineSource for EditorSource {
    fn read(&mut self, prompt: &str, pending: &str) -> io::Result<Read> {
        if let Some(h) = self.editor.helper_mut() {
            h.pending = pending.to_string();
        }
        let indent = next_indent(pending);
        match self.editor.readline_with_initial(prompt, (&indent, "")) {
            // A line of only the indentation given (or typed) is the empty line that
            // closes the block.
            Ok(line) if !pending.is_empty() && line.trim().is_empty() => {
                Ok(Read::Line(String::new()))
            }
            // Indentation typed after the indentation given (a user who indents by hand,
            // as in Python's REPL) replaces it: a block's lines never go deeper than the
            // indentation offered, so the two are never meant together.
            Ok(line)
                if !indent.is_empty()
                    && line.starts_with(&indent)
                    && line[indent.len()..].starts_with([' ', '\t']) =>
            {
                Ok(Read::Line(line[indent.len()..].to_string()))
            }
            Ok(line) => Ok(Read::Line(line)),
            Err(ReadlineError::Interrupted) => Ok(Read::Interrupted),
            Err(ReadlineError::Eof) => Ok(Read::Eof),
            Err(ReadlineError::Io(e)) => Err(e),
            Err(e) => Err(io::Error::other(e.to_string())),
        }
    }

    fn set_scope(&mut self, scope: Scope) {
        if let Some(h) = self.editor.helper_mut() {
            h.scope = scope;
        }
    }

    fn add_history(&mut self, entry: &str) -> io::Result<()> {
        let added = self
            .editor
            .add_history_entry(entry)
            .map_err(|e| io::Error::other(e.to_string()))?;
        let Some(path) = &self.history else {
            return Ok(());
        };
        if !added {
            return Ok(());
        }
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir)?;
        }
        self.editor.append_history(path).map_err(|e| match e {
            ReadlineError::Io(e) => e,
            other => io::Error::other(other.to_string()),
        })
    }
}
