//! The interactive read-eval-print loop: reads inputs from a `LineSource` (the rustyline
//! editor on a terminal, a scripted list of lines in tests), runs them in the session,
//! and dispatches `:` commands. Errors and Ctrl-C never end the session.
//!
//! Typed lines come back from the line source one at a time, so that each continuation
//! line gets its own `... ` prompt (rustyline cannot draw a prompt inside a multi-line
//! buffer); the loop joins them until `needs_more` says the input is complete. A buffer
//! that already holds several lines (a bracketed paste, a block recalled from history)
//! is kept open by the editor's validator, which asks the same `needs_more`.

pub(crate) mod commands;
mod complete;
mod editor;
mod graph;
mod highlight;

pub use complete::{complete, hint, Scope};
pub use editor::next_indent;
pub use highlight::{highlight, strip_ansi};

use crate::front::session::Session;
use crate::front::signal;
use crate::syntax::diagnostic::Diagnostic;
use crate::syntax::lexer::{self, Token};
use crate::syntax::parser;
use std::collections::VecDeque;
use std::io::{self, Write};
use std::path::PathBuf;
use std::sync::atomic::Ordering;

pub const PROMPT: &str = ">>> ";
pub const CONTINUATION: &str = "... ";
/// Entries kept in the history file.
pub const HISTORY_SIZE: usize = 10_000;

/// What one read from a line source gave.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Read {
    /// A line without its line break (a paste may hold several lines).
    Line(String),
    /// Ctrl-C at the prompt: drop what was typed.
    Interrupted,
    /// Ctrl-D on an empty line, or the end of the script.
    Eof,
}

/// Where the loop gets its input: the rustyline editor, or scripted lines in tests.
pub trait LineSource {
    /// Read one line after showing `prompt`; `pending` holds the lines of the current
    /// input read so far (empty at the `>>> ` prompt).
    fn read(&mut self, prompt: &str, pending: &str) -> io::Result<Read>;
    /// The session's names changed: completion and hints should offer these.
    fn set_scope(&mut self, _scope: Scope) {}
    /// A complete input was entered: remember it in the history.
    fn add_history(&mut self, _entry: &str) -> io::Result<()> {
        Ok(())
    }
}

/// Lines given in advance (tests). Each read echoes the prompt and the line to `echo`,
/// so that the echo and the session's output interleave into a transcript. The line
/// `^C` stands for Ctrl-C at the prompt and `^D` for Ctrl-D.
pub struct Scripted {
    lines: VecDeque<String>,
    echo: Box<dyn Write>,
}

impl Scripted {
    pub fn new(lines: impl IntoIterator<Item = String>, echo: Box<dyn Write>) -> Scripted {
        Scripted {
            lines: lines.into_iter().collect(),
            echo,
        }
    }
}

impl LineSource for Scripted {
    fn read(&mut self, prompt: &str, _pending: &str) -> io::Result<Read> {
        let Some(line) = self.lines.pop_front() else {
            return Ok(Read::Eof);
        };
        writeln!(self.echo, "{}", format!("{prompt}{line}").trim_end())?;
        self.echo.flush()?;
        Ok(match line.as_str() {
            "^C" => Read::Interrupted,
            "^D" => Read::Eof,
            _ => Read::Line(line),
        })
    }
}

/// True when `text` cannot be complete yet and another line should be read: a bracket
/// is open, the last line ends in `:`, a binary operator or `\`, or an indented block
/// has not been closed by an empty line — unless a syntax error already sits before the
/// end, which no further line can fix (`def f(:`), so the parser should report it now.
/// A `:` command is one line, except that the statement of `:time` may open a block.
pub fn needs_more(text: &str) -> bool {
    let trimmed = text.trim_start();
    if trimmed.starts_with(':') {
        return match commands::time_statement(trimmed) {
            Some(Ok((_, statement))) => needs_more(statement),
            _ => false,
        };
    }
    if !parser::is_incomplete(text) || dedented_out(text) {
        return false;
    }
    // An error at or after the end of the last token only says the input ran out.
    let joined = join_operator_lines(text);
    let last_token_end = lexer::lex(&joined)
        .tokens
        .iter()
        .rev()
        .find(|t| {
            !matches!(
                t.node,
                Token::Newline | Token::Indent | Token::Dedent | Token::Eof
            )
        })
        .map_or(0, |t| t.span.end);
    let (_, errors) = parser::parse(&joined);
    errors.iter().all(|e| {
        e.code == "syntax::unclosed" || e.primary_span().is_none_or(|s| s.start >= last_token_end)
    })
}

/// True when the last line of `text` leaves an indented block for the top level with a
/// complete statement (`print(total)` after a loop's body): that dedent closes the
/// block as an empty line would, and the input runs. `else`, `elif` and comments do not.
fn dedented_out(text: &str) -> bool {
    let Some((before, last)) = text.rsplit_once('\n') else {
        return false;
    };
    let opened_block = before
        .lines()
        .any(|l| l.starts_with([' ', '\t']) && !l.trim().is_empty());
    let word = last
        .split(|c: char| !(c == '_' || c.is_alphanumeric()))
        .next()
        .unwrap_or("");
    if !opened_block
        || last.trim().is_empty()
        || last.starts_with([' ', '\t', '#'])
        || matches!(word, "else" | "elif")
        || parser::is_incomplete(last)
    {
        return false;
    }
    // The line before must have ended its statement: no open bracket, no `\\`, no
    // trailing operator.
    let lexed = lexer::lex(before);
    let last_token = lexed.tokens.iter().rev().find(|t| {
        !matches!(
            t.node,
            Token::Newline | Token::Indent | Token::Dedent | Token::Eof
        )
    });
    !lexed.open_at_end
        && !lexed.ends_with_backslash
        && !last_token.is_some_and(|t| t.node.is_operator() || t.node == Token::Colon)
}

/// A line that ends in a binary operator continues on the next line, as if it ended in
/// `\`: the REPL kept the input open for that line, so it must also join it.
pub fn join_operator_lines(text: &str) -> String {
    let lexed = lexer::lex(text);
    // (end of the operator, the line break after it)
    let mut joins = Vec::new();
    let mut previous: Option<&crate::syntax::span::Spanned<Token>> = None;
    for t in &lexed.tokens {
        if t.node == Token::Newline && text[t.span.start..].starts_with('\n') {
            if let Some(op) = previous.filter(|p| p.node.is_operator()) {
                joins.push((op.span.end, t.span.start));
            }
        }
        if !matches!(t.node, Token::Indent | Token::Dedent) {
            previous = Some(t);
        }
    }
    let mut out = text.to_string();
    // A comment after the operator would swallow the `\`, so it goes.
    for (op_end, line_break) in joins.into_iter().rev() {
        out.replace_range(op_end..line_break, " \\");
    }
    out
}

/// Where the history lives: `$TSR_HISTORY` (empty turns history off), else
/// `$XDG_STATE_HOME/tsr/history`, else `~/.local/state/tsr/history`.
pub fn history_path() -> Option<PathBuf> {
    history_path_from(|name| std::env::var_os(name))
}

/// `history_path` over any environment (tests pass a map).
pub fn history_path_from(var: impl Fn(&str) -> Option<std::ffi::OsString>) -> Option<PathBuf> {
    if let Some(p) = var("TSR_HISTORY") {
        return if p.is_empty() {
            None
        } else {
            Some(PathBuf::from(p))
        };
    }
    if let Some(state) = var("XDG_STATE_HOME").filter(|s| PathBuf::from(s).is_absolute()) {
        return Some(PathBuf::from(state).join("tsr").join("history"));
    }
    let home = var("HOME").filter(|h| !h.is_empty())?;
    Some(
        PathBuf::from(home)
            .join(".local")
            .join("state")
            .join("tsr")
            .join("history"),
    )
}

/// Run the REPL on the terminal until Ctrl-D (exit 0) or `:quit`. Ctrl-C while a
/// statement runs stops it at the next loop iteration, call or op; a second Ctrl-C
/// before that point is reached exits with 130.
pub fn run(mut session: Session) -> u8 {
    let _sigint = signal::install(session.interp.interrupt.clone());
    let mut source = match editor::EditorSource::new(history_path()) {
        Ok(s) => s,
        Err(e) => {
            session.report(&Diagnostic::error(
                "repl::editor",
                format!("cannot start the line editor: {e}"),
            ));
            return 2;
        }
    };
    let banner = format!(
        "tsr {} — `:help` for help, Ctrl-D to exit\n",
        env!("CARGO_PKG_VERSION")
    );
    let _ = session.interp.write_out(&banner);
    run_with(&mut session, &mut source)
}

/// What one trip round the loop read.
enum Input {
    Text(String),
    Interrupted,
    Eof(String),
}

/// Read lines until they make a complete input.
fn read_input(lines: &mut dyn LineSource) -> io::Result<Input> {
    let mut text = String::new();
    loop {
        let prompt = if text.is_empty() {
            PROMPT
        } else {
            CONTINUATION
        };
        match lines.read(prompt, &text)? {
            Read::Line(line) => {
                if !text.is_empty() {
                    text.push('\n');
                }
                text.push_str(&line);
                if text.trim().is_empty() || !needs_more(&text) {
                    return Ok(Input::Text(text));
                }
            }
            Read::Interrupted => return Ok(Input::Interrupted),
            Read::Eof => return Ok(Input::Eof(text)),
        }
    }
}

/// The loop over any line source; returns the exit status.
pub fn run_with(session: &mut Session, lines: &mut dyn LineSource) -> u8 {
    let mut repl = Repl {
        n_inputs: 0,
        history_failed: false,
    };
    loop {
        lines.set_scope(Scope::of(&session.interp));
        let text = match read_input(lines) {
            Ok(Input::Text(t)) => t,
            Ok(Input::Interrupted) => continue,
            Ok(Input::Eof(pending)) => {
                // Ctrl-D in the middle of a block runs what was typed, then leaves.
                if !pending.trim().is_empty() {
                    repl.eval(session, &pending);
                }
                return 0;
            }
            Err(e) => {
                session.report(&Diagnostic::error(
                    "repl::input",
                    format!("cannot read input: {e}"),
                ));
                return 1;
            }
        };
        if text.trim().is_empty() {
            continue;
        }
        if let Err(e) = lines.add_history(text.trim_end()) {
            if !repl.history_failed {
                repl.history_failed = true;
                session.report(&Diagnostic::warning(
                    "repl::history",
                    format!("cannot write the history file: {e}"),
                ));
            }
        }
        let trimmed = text.trim();
        if trimmed.starts_with(':') {
            if let commands::Next::Quit(code) = commands::run(session, &mut repl, trimmed) {
                return code;
            }
            continue;
        }
        if matches!(trimmed, "quit()" | "exit()") {
            return 0;
        }
        repl.eval(session, &text);
    }
}

/// State of one REPL run.
pub(crate) struct Repl {
    /// How many inputs ran; each gets a source name `<input N>`.
    n_inputs: usize,
    history_failed: bool,
}

impl Repl {
    pub(crate) fn new() -> Repl {
        Repl {
            n_inputs: 0,
            history_failed: false,
        }
    }

    pub(crate) fn next_name(&mut self) -> String {
        self.n_inputs += 1;
        format!("<input {}>", self.n_inputs)
    }

    /// Run one input as statements. A Ctrl-C pressed before now is stale.
    pub(crate) fn eval(
        &mut self,
        session: &mut Session,
        text: &str,
    ) -> crate::front::session::Outcome {
        let name = self.next_name();
        session.interp.interrupt.store(false, Ordering::SeqCst);
        let source = join_operator_lines(&format!("{}\n", text.trim_end()));
        let outcome = session.run_repl_input(&name, &source);
        let _ = session.interp.out.flush();
        outcome
    }
}
