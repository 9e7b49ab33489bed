//! `Session`: parse and run a source text (a file, stdin or one REPL input) against one
//! interpreter, rendering diagnostics and warnings to the error writer.

use crate::runtime::interp::{Flow, Interp};
use crate::syntax::ast::{Stmt, StmtKind};
use crate::syntax::diagnostic::{render, Diagnostic, RenderStyle};
use crate::syntax::parser;
use std::io::Write;

#[derive(Clone, Copy, Debug)]
pub struct SessionOptions {
    pub style: RenderStyle,
    /// The memory budget of all live tensors together, in bytes; `None` keeps the default.
    pub max_memory: Option<u64>,
}

impl Default for SessionOptions {
    fn default() -> Self {
        SessionOptions {
            style: RenderStyle::TEST,
            max_memory: None,
        }
    }
}

/// How running a source text ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Outcome {
    Ok,
    /// Syntax errors: nothing ran.
    SyntaxError,
    /// A runtime error stopped the program; what ran before it keeps its effects.
    RuntimeError,
}

/// Shows the value of a bare top-level expression instead of printing it (the notebook
/// kernel's `execute_result`); the flag says whether it is the input's last statement.
pub type ShowValue = Box<dyn FnMut(&crate::runtime::value::Value, bool)>;

pub struct Session {
    pub interp: Interp,
    /// The code of the diagnostic that stopped the last run (`interrupt` after Ctrl-C).
    pub last_error: Option<&'static str>,
    /// When set, bare expressions' values go here instead of to the output writer.
    pub show_value: Option<ShowValue>,
    /// When set, error diagnostics are collected here instead of being rendered
    /// (warnings are still rendered to the error writer).
    pub capture_errors: Option<Vec<Diagnostic>>,
}

impl Session {
    pub fn new(out: Box<dyn Write>, err: Box<dyn Write>, options: SessionOptions) -> Session {
        if let Some(bytes) = options.max_memory {
            crate::tensor::set_max_tensor_bytes(bytes);
        }
        Session {
            interp: Interp::new(out, err, options.style, crate::runtime::builtins::all()),
            last_error: None,
            show_value: None,
            capture_errors: None,
        }
    }

    /// Render a diagnostic to the error writer.
    pub fn report(&mut self, d: &Diagnostic) {
        if let Some(errors) = self.capture_errors.as_mut() {
            if d.is_error() {
                errors.push(d.clone());
                return;
            }
        }
        let _ = self.interp.out.flush();
        let text = render_input(d, self.interp.style);
        let _ = self.interp.err.write_all(text.as_bytes());
        let _ = self.interp.err.flush();
    }

    /// Parse `text`; on syntax errors report every one and return them.
    pub fn parse(&mut self, name: &str, text: &str) -> Result<(usize, Vec<Stmt>), Outcome> {
        let src_id = self.interp.add_source(name, text);
        let (program, errors) = parser::parse(text);
        if !errors.is_empty() {
            let source = self.interp.source(src_id).clone();
            for e in errors {
                self.report(&e.with_source(&source));
            }
            return Err(Outcome::SyntaxError);
        }
        Ok((src_id, program.stmts))
    }

    /// Run a whole script: nothing runs if it has a syntax error; it stops at the first
    /// runtime error. A bare expression at top level prints its value.
    pub fn run_source(&mut self, name: &str, text: &str) -> Outcome {
        let (src_id, stmts) = match self.parse(name, text) {
            Ok(p) => p,
            Err(o) => return o,
        };
        self.run_stmts(src_id, &stmts, false)
    }

    /// Run one REPL input: like a script, and `_` holds the last printed value.
    pub fn run_repl_input(&mut self, name: &str, text: &str) -> Outcome {
        let (src_id, stmts) = match self.parse(name, text) {
            Ok(p) => p,
            Err(o) => return o,
        };
        self.run_stmts(src_id, &stmts, true)
    }

    fn run_stmts(&mut self, src_id: usize, stmts: &[Stmt], repl: bool) -> Outcome {
        self.last_error = None;
        for (i, stmt) in stmts.iter().enumerate() {
            let result = self.run_stmt(src_id, stmt, repl, i + 1 == stmts.len());
            if let Err(mut d) = result {
                self.last_error = Some(d.code);
                if d.code == "io::stdout" {
                    return Outcome::RuntimeError;
                }
                self.verify_fix(src_id, &mut d, repl);
                self.report(&d);
                return Outcome::RuntimeError;
            }
        }
        Outcome::Ok
    }

    /// Keep the error's first candidate fix with which the program gets past the
    /// failing line (`check::choose_fix`). A REPL input is checked with the session's
    /// variables; a fix in another source than the one being run is not shown.
    fn verify_fix(&self, src_id: usize, d: &mut Diagnostic, repl: bool) {
        if d.fixes.is_empty() {
            return;
        }
        let src = self.interp.source(src_id);
        let same = d
            .source
            .as_ref()
            .is_some_and(|s| std::sync::Arc::ptr_eq(s, src));
        let seed = if repl { Some(&self.interp) } else { None };
        if same {
            crate::front::check::choose_fix(src.name(), src.inner(), d, seed);
        } else {
            d.fixes.clear();
        }
    }

    /// Run one top-level statement of the source `src_id` (from `parse`) as a REPL input
    /// would: a bare expression prints its value and binds `_`; a failing statement
    /// changes nothing. The error is returned, not reported (`tsr test` compares codes).
    pub fn run_statement(&mut self, src_id: usize, stmt: &Stmt) -> Result<(), Box<Diagnostic>> {
        self.run_stmt(src_id, stmt, true, true)
    }

    /// `last`: the statement is its input's last (a shown value is then the result).
    fn run_stmt(
        &mut self,
        src_id: usize,
        stmt: &Stmt,
        repl: bool,
        last: bool,
    ) -> Result<(), Box<Diagnostic>> {
        self.interp.src_id = src_id;
        let result = match &stmt.kind {
            StmtKind::Expr(e) => match self.interp.eval(e) {
                Ok(crate::runtime::value::Value::None) => Ok(()),
                // PyTorch's in-place methods (`W.normal_()`) and a module's `eval()` /
                // `train()` / `to(device)` return their receiver for chaining; as
                // statements they are run for their effect, not shown.
                Ok(_) if is_effect_call(e) => Ok(()),
                Ok(v) if self.show_value.is_some() => {
                    if let Some(show) = self.show_value.as_mut() {
                        show(&v, last);
                    }
                    if repl {
                        self.interp.bind("_", v, stmt.span);
                    }
                    Ok(())
                }
                Ok(v) => {
                    let mut text = self.interp.show(&v, true)?;
                    text.push('\n');
                    if repl {
                        self.interp.bind("_", v, stmt.span);
                    }
                    self.interp.write_out(&text)
                }
                Err(e) => Err(e),
            },
            _ => match self.interp.exec(stmt) {
                Ok(Flow::Normal) => Ok(()),
                // The parser rejects these outside functions and loops.
                Ok(_) => Ok(()),
                Err(e) => Err(e),
            },
        };
        let _ = self.interp.out.flush();
        result
    }
}

fn source_name(d: &Diagnostic) -> Option<&str> {
    d.source.as_ref().map(|s| s.name())
}

fn is_input(name: &str) -> bool {
    name.starts_with("<input")
}

/// How a diagnostic is drawn; for one of a REPL or notebook input (`<input N>`), a
/// related note that points into an earlier input is one line,
/// `  ☞ `x` got its shape [2, 3] here, in <input 1>: x = ones(2, 3)`, instead of a
/// snippet, so that an input that refers to many earlier ones stays short.
pub fn render_input(d: &Diagnostic, style: RenderStyle) -> String {
    let main = source_name(d);
    if !main.is_some_and(is_input) {
        return render(d, style);
    }
    let mut short = d.clone();
    let mut notes = Vec::new();
    short.related.retain(|r| match source_name(r) {
        Some(name) if is_input(name) && Some(name) != main => {
            notes.push(one_line(r, name));
            false
        }
        _ => true,
    });
    let mut text = render(&short, style);
    for note in notes {
        text.push_str(&note);
        text.push('\n');
    }
    text
}

/// A related note as one line: what its label says, and the line of the input it is on.
fn one_line(r: &Diagnostic, name: &str) -> String {
    let src = r.source.as_ref().map_or("", |s| s.inner().as_str());
    let Some(label) = r.labels.iter().find(|l| l.primary).or(r.labels.first()) else {
        return format!("  ☞ {}", r.message);
    };
    let start = label.span.start.min(src.len());
    let line_no = src[..start].matches('\n').count() + 1;
    let line_start = src[..start].rfind('\n').map_or(0, |i| i + 1);
    let line_end = src[start..].find('\n').map_or(src.len(), |i| start + i);
    let code = src.get(line_start..line_end).unwrap_or("").trim();
    let code: String = if code.chars().count() > 60 {
        code.chars().take(59).chain(std::iter::once('…')).collect()
    } else {
        code.to_string()
    };
    let place = if src.trim_end().contains('\n') {
        format!("{name}:{line_no}")
    } else {
        name.to_string()
    };
    let what = if label.text.is_empty() {
        &r.message
    } else {
        &label.text
    };
    format!("  ☞ {what}, in {place}: {code}")
}

/// A method call whose value is its receiver, made for its effect: `x.add_(1)`,
/// `model.eval()`.
fn is_effect_call(e: &crate::syntax::ast::Expr) -> bool {
    match &e.kind {
        crate::syntax::ast::ExprKind::Method { name, .. } => {
            let n = name.node.as_str();
            (n.ends_with('_') && !n.starts_with('_'))
                || matches!(n, "eval" | "train" | "to" | "cpu" | "cuda")
        }
        _ => false,
    }
}
