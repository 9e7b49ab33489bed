//! `tsr check`: runs a program on the evaluator's own walker with values that carry
//! shapes instead of data (this module is the abstract domain plugged into it, see
//! `runtime::domain`), calling the same shape rule for every op as a run, and reports
//! every shape error it can prove (a run with the same input shapes would hit it) plus
//! advice where it cannot decide. No tensor arithmetic runs; data files are read only as
//! far as their shapes.
//!
//! - `walker.rs`: the checker as the evaluator's `Domain` (values in and out, call and
//!   loop notes, the variables' provenance); `value.rs`: abstract values and how they
//!   join; `dims.rs`: symbolic sizes and rule calls; `rules.rs`: each op's shape with
//!   symbolic sizes; `calls.rs`, `tensor_calls.rs`: the builtins by their rows' `Check`
//!   rules; `expr.rs`: operators, properties and indexing; `items.rs`: iteration, index
//!   items, in-place and indexed assignment; `autodiff.rs`: `backward` and `grad`;
//!   `data.rs`: shapes from `.npy` headers and CSV header lines.

mod advanced;
mod args;
mod autodiff;
mod by_running;
mod calls;
mod data;
mod dims;
mod expr;
mod items;
mod python;
mod rules;
mod tensor_calls;
mod tensors;
mod value;
mod verify;
mod walker;

pub use verify::{choose_fix, line_of};

use crate::runtime::interp::Interp;
use crate::syntax::diagnostic::{Diagnostic, Severity};
use crate::syntax::parser;
use crate::syntax::span::Span;
use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::rc::Rc;

use dims::{Dim, SymTable};
use value::AVal;

/// What `check_source` found.
pub struct CheckReport {
    /// Syntax errors, shape errors and advice, in source order.
    pub diagnostics: Vec<Diagnostic>,
    /// `(line, text)` for every assignment: `W = [1, 3]`.
    pub shapes: Vec<(usize, String)>,
    /// Statements and calls the check simulated (its work, bounded by its fuel).
    pub steps: u64,
}

impl CheckReport {
    pub fn has_errors(&self) -> bool {
        self.diagnostics
            .iter()
            .any(|d| d.severity == Severity::Error)
    }

    /// The `--shapes` listing: `line 3: W = [1, 3]`.
    pub fn shapes_text(&self) -> String {
        self.shapes
            .iter()
            .map(|(line, s)| format!("line {line}: {s}\n"))
            .collect()
    }
}

/// An evaluator that prints nothing, with `text` as its current source: what a check
/// runs its builtins and explanations against.
pub(crate) fn silent_interp(name: &str, text: &str) -> Interp {
    let mut interp = Interp::new(
        Box::new(std::io::sink()),
        Box::new(std::io::sink()),
        crate::syntax::diagnostic::RenderStyle::TEST,
        crate::runtime::builtins::all(),
    );
    interp.src_id = interp.add_source(name, text);
    interp
}

/// Check a whole program text. A program with syntax errors reports those only.
pub fn check_source(name: &str, text: &str) -> CheckReport {
    check_with(name, text, true)
}

/// `check_source` without the `--shapes` listing (`shapes` left empty): what `tsr check`
/// without `--shapes`, the REPL's `:check` and the fix verifier need. Each assignment's
/// value is then not described as the check goes.
pub fn check_errors(name: &str, text: &str) -> CheckReport {
    check_with(name, text, false)
}

fn check_with(name: &str, text: &str, shapes: bool) -> CheckReport {
    let (program, errors) = parser::parse(text);
    if !errors.is_empty() {
        let interp = silent_interp(name, text);
        let source = interp.source(interp.src_id).clone();
        return CheckReport {
            diagnostics: errors.into_iter().map(|e| e.with_source(&source)).collect(),
            shapes: Vec::new(),
            steps: 0,
        };
    }
    let mut report = walker::check_program(name, text, &program.stmts, None, shapes);
    verify::verify_all(name, text, &mut report.diagnostics);
    report
}

/// A variable's abstract value and the statement that bound it.
#[derive(Clone)]
pub(crate) struct ABind {
    pub value: AVal,
    pub origin: Span,
}

pub(crate) type Env = crate::runtime::fnv::FnvMap<Rc<str>, ABind>;

/// What is known about `backward` at a point of the program.
#[derive(Clone, Debug, PartialEq)]
pub(crate) enum Backward {
    /// No `backward` has run on any path here.
    No,
    /// One has run on some paths only.
    Maybe,
    /// One has run: the tensors it may have reached (`None`: unknown) and the first
    /// tensor id created after it.
    Yes(Option<Rc<BTreeSet<u32>>>, u32),
}

impl Backward {
    fn join(&self, other: &Backward) -> Backward {
        match (self, other) {
            (Backward::No, Backward::No) => Backward::No,
            (Backward::Yes(a, wa), Backward::Yes(b, wb)) => {
                let reached = match (a, b) {
                    (Some(a), Some(b)) if Rc::ptr_eq(a, b) => Some(a.clone()),
                    (Some(a), Some(b)) => Some(Rc::new(a.union(b).copied().collect())),
                    _ => None,
                };
                Backward::Yes(reached, (*wa).max(*wb))
            }
            _ => Backward::Maybe,
        }
    }
}

/// The checker's record of the program's variables (see `Checker::names`).
#[derive(Default)]
pub(crate) struct Names {
    pub globals: Env,
    pub locals: Option<Env>,
}

/// Everything that differs between two paths through the program.
#[derive(Clone)]
pub(crate) struct State {
    pub syms: SymTable,
    pub bw: Backward,
    /// Tensors certainly changed in place on every path here: how many times, and the
    /// last change (for `grad::stale`).
    pub versions: Rc<BTreeMap<u32, (u32, Span)>>,
    /// The tensors the last `backward` certainly reached (they have gradients, so
    /// `step(opt)` certainly updates them).
    pub grads: Rc<BTreeSet<u32>>,
}

impl State {
    pub fn join(&self, other: &State) -> State {
        State {
            syms: self.syms.join(&other.syms),
            bw: self.bw.join(&other.bw),
            versions: if Rc::ptr_eq(&self.versions, &other.versions) {
                self.versions.clone()
            } else {
                Rc::new(
                    self.versions
                        .iter()
                        .filter_map(|(id, a)| {
                            let b = other.versions.get(id)?;
                            Some((*id, if a.0 <= b.0 { *a } else { *b }))
                        })
                        .collect(),
                )
            },
            grads: if Rc::ptr_eq(&self.grads, &other.grads) {
                self.grads.clone()
            } else {
                Rc::new(self.grads.intersection(&other.grads).copied().collect())
            },
        }
    }

    /// Whether two states are the same (a loop's fixed point, or two iterations in a row
    /// that start alike). Of a `backward`, only whether one ran counts: each pass of a
    /// loop that calls it makes new tensors, so the ids it reached and the first id
    /// after it grow with every pass, and a larger reached set can only take a report
    /// away, never add one. The in-place changes and the gradients must be the same.
    pub fn same(&self, other: &State) -> bool {
        let bw = match (&self.bw, &other.bw) {
            (Backward::Yes(a, _), Backward::Yes(b, _)) => a.is_some() == b.is_some(),
            (a, b) => a == b,
        };
        bw && (Rc::ptr_eq(&self.versions, &other.versions) || self.versions == other.versions)
            && (Rc::ptr_eq(&self.grads, &other.grads) || self.grads == other.grads)
    }
}

/// Context notes attached to errors found inside loops and calls, innermost last.
pub(crate) struct Note {
    /// Not shown (a loop's first iteration: the error needs no note saying so).
    pub quiet: bool,
    /// The library source `span` points into (`None`: the program's own).
    pub src: Option<crate::syntax::diagnostic::Source>,
    pub span: Span,
    pub text: NoteText,
}

/// What a note says, worded only when an error needs it (most iterations report none).
pub(crate) enum NoteText {
    /// In the call of the function of this name.
    Call(String),
    /// In an iteration of a loop over `var`: its index, and its item when known.
    Iteration {
        var: String,
        i: usize,
        item: Option<AVal>,
    },
}

pub(crate) struct Checker {
    pub interp: Interp,
    pub text: Rc<str>,
    pub st: State,
    /// Where each variable was bound and what it holds, for diagnostics (the operand
    /// `x` came from line 3; the tensor a stale gradient belongs to). Not part of a
    /// path's state: after a branch it holds the latest binding of each name.
    pub names: Names,
    diags: Vec<Diagnostic>,
    /// (code, primary span start) of every diagnostic reported: each is reported once,
    /// with the call chain of its first occurrence.
    seen: HashSet<(&'static str, usize)>,
    /// Functions whose recursion was cut (advised once each).
    pub cut_recursions: HashSet<usize>,
    /// Whether the statement being checked has already reported an error.
    pub stmt_failed: bool,
    pub notes: Vec<Note>,
    /// The library source of the code being checked now, inside a library function
    /// (`None`: the program's own).
    pub cur_src: Option<crate::syntax::diagnostic::Source>,
    /// Assignment statement start → (variable, joined value, its description), recorded
    /// by the walker when `list_shapes`.
    assigned: BTreeMap<usize, (String, AVal, String)>,
    /// Whether the report lists what each assignment binds (`--shapes`).
    pub list_shapes: bool,
    pub next_id: u32,
    /// Statements left to simulate; loops and calls stop being followed when it runs out.
    pub fuel: u64,
    /// While > 0, errors are not reported (a pass over a widened loop state).
    pub quiet: usize,
    /// The symbolic row count of each `load_csv` call site.
    pub csv_rows: HashMap<usize, Dim>,
    /// The parameters of the program's optimiser (`None` before one is made, or once a
    /// second one makes `step(opt)` ambiguous).
    pub opt_params: Option<Option<Vec<u32>>>,
}

/// How many statements one check may simulate (loops unrolled, calls followed).
const FUEL: u64 = 400_000;

impl Checker {
    fn new(interp: Interp, text: &str) -> Checker {
        Checker {
            cur_src: None,
            interp,
            text: Rc::from(text),
            names: Names::default(),
            st: State {
                syms: SymTable::new(),
                bw: Backward::No,
                versions: Rc::default(),
                grads: Rc::default(),
            },
            diags: Vec::new(),
            seen: HashSet::new(),
            stmt_failed: false,
            cut_recursions: HashSet::new(),
            notes: Vec::new(),
            assigned: BTreeMap::new(),
            list_shapes: true,
            next_id: 1,
            fuel: FUEL,
            quiet: 0,
            csv_rows: HashMap::new(),
            opt_params: None,
        }
    }

    pub fn fresh_id(&mut self) -> u32 {
        let id = self.next_id;
        self.next_id += 1;
        id
    }

    pub fn text_of(&self, span: Span) -> String {
        self.text
            .get(span.start.min(self.text.len())..span.end.min(self.text.len()))
            .unwrap_or("")
            .to_string()
    }

    pub fn lookup(&self, name: &str) -> Option<&ABind> {
        if let Some(l) = &self.names.locals {
            if let Some(b) = l.get(name) {
                return Some(b);
            }
        }
        self.names.globals.get(name)
    }

    pub fn bind(&mut self, name: &str, value: AVal, origin: Span) {
        let env = match &mut self.names.locals {
            Some(l) => l,
            None => &mut self.names.globals,
        };
        crate::runtime::fnv::rebind(env, name, ABind { value, origin });
    }

    /// Remember an assignment's value for `--shapes`.
    pub fn record_assign(&mut self, stmt_span: Span, name: &str, value: &AVal) {
        if self.quiet > 0 {
            return;
        }
        // Only the shape is described: a tensor's graph facts (its ancestors, which grow
        // along a loop) are left out, so each pass's join stays small.
        let value = match value {
            AVal::Tensor(t) => AVal::Tensor(Rc::new(value::ATensor {
                shape: t.shape.clone(),
                ids: Rc::default(),
                anc: Rc::default(),
                used: Rc::default(),
                mask: t.mask,
            })),
            other => other.clone(),
        };
        // Described now: a size unified later must not rewrite what was known here.
        let joined = match self.assigned.get(&stmt_span.start) {
            Some((_, old, _)) => old.join(&value),
            None => value,
        };
        let text = self.describe(&joined);
        self.assigned
            .insert(stmt_span.start, (name.to_string(), joined, text));
    }

    /// Report an error (or advice) found in the program.
    pub fn report(&mut self, d: Diagnostic) {
        if self.quiet > 0 {
            return;
        }
        if d.severity == Severity::Error {
            if self.stmt_failed {
                return;
            }
            self.stmt_failed = true;
        }
        let mut d = self.name_syms(d);
        // One diagnostic per code and place, with the loop and call context of its first
        // occurrence: a loop reports its first failing iteration only, a function called
        // from many places (or recursively) once.
        let key = (d.code, d.primary_span().map(|s| s.start).unwrap_or(0));
        if !self.seen.insert(key) {
            return;
        }
        let source = self.interp.source(self.interp.src_id).clone();
        let mut notes = self
            .notes
            .iter()
            .rev()
            .filter(|n| !n.quiet && n.src.is_none());
        if let Some(lib) = &self.cur_src {
            // An error inside tsr's own code is shown at the user's call into it, as the
            // run shows it.
            if let Some(call) = notes.next() {
                let name = match &call.text {
                    NoteText::Call(name) => name.as_str(),
                    NoteText::Iteration { .. } => "a loop",
                };
                d.source = Some(lib.clone());
                d = d.reanchored(call.span, &source, name);
            }
        }
        for note in notes.take(4) {
            let (code, message, label) = self.note_words(&note.text);
            d.related.push(
                Diagnostic::advice(code, message)
                    .primary(note.span, label)
                    .with_source(&source),
            );
        }
        self.diags.push(d.with_source(&source));
    }

    /// A note's code, message and label.
    fn note_words(&self, text: &NoteText) -> (&'static str, String, String) {
        let loop_note = |s: String| ("note::loop", s.clone(), s);
        match text {
            NoteText::Call(name) => (
                "note::call",
                format!("in the call of `{name}`"),
                format!("`{name}` was called from here"),
            ),
            NoteText::Iteration {
                var,
                item: Some(AVal::Tensor(t)),
                ..
            } => loop_note(format!(
                "in the iteration where `{var}` is a tensor of shape {}",
                t.shape
                    .as_ref()
                    .map(|s| self.shape_text(s))
                    .unwrap_or_default()
            )),
            NoteText::Iteration {
                var,
                item: Some(other),
                ..
            } => loop_note(format!(
                "in the iteration where `{var} = {}`",
                other
                    .realize()
                    .map(|v| v.repr())
                    .unwrap_or_else(|| "?".into())
            )),
            NoteText::Iteration { i: 0, .. } => {
                loop_note("in the first iteration of this loop".to_string())
            }
            NoteText::Iteration { i, .. } => {
                loop_note(format!("in iteration {i} of this loop or a later one"))
            }
        }
    }

    /// Advice where the checker cannot decide.
    pub fn advise(&mut self, span: Span, message: String, help: Option<String>) {
        let mut d = Diagnostic::advice("check::unknown", message)
            .primary(span, "decided only when the program runs");
        if let Some(h) = help {
            d = d.help(h);
        }
        self.report(d);
    }

    /// Show symbolic sizes by name (`[n, 4]`) and say where each one comes from.
    fn name_syms(&self, mut d: Diagnostic) -> Diagnostic {
        let names = self.st.syms.all_names();
        let mentioned = |s: &str| {
            names
                .iter()
                .filter(|(digits, _)| s.contains(digits.as_str()))
                .map(|(_, n)| n.clone())
                .collect::<Vec<_>>()
        };
        let mut used = mentioned(&d.message);
        let replace = |s: &str| -> String {
            let mut out = s.to_string();
            for (digits, name) in &names {
                if out.contains(digits.as_str()) {
                    out = out.replace(digits.as_str(), name);
                }
            }
            out
        };
        // A fix that would write a size known only when the program runs is no fix.
        d.fixes.retain(|f| {
            !names
                .iter()
                .any(|(digits, _)| f.replacement.contains(digits.as_str()))
        });
        d.message = replace(&d.message);
        d.help = d.help.as_deref().map(replace);
        for f in &mut d.fixes {
            f.help = replace(&f.help);
        }
        for l in &mut d.labels {
            used.extend(mentioned(&l.text));
            l.text = replace(&l.text);
        }
        used.sort();
        used.dedup();
        for name in used {
            if name == "?" {
                continue;
            }
            if let Some(origin) = self.st.syms.origin_of(&name) {
                let overlaps = d
                    .labels
                    .iter()
                    .any(|l| l.span.start < origin.end && origin.start < l.span.end);
                if !overlaps && origin.end > origin.start {
                    d = d.label(
                        origin,
                        format!("`{name}` is a size known only when the program runs"),
                    );
                }
            }
        }
        d
    }

    /// Shapes and advice in source order; the report.
    fn finish(mut self) -> CheckReport {
        let mut diags = std::mem::take(&mut self.diags);
        diags.sort_by_key(|d| d.primary_span().map(|s| s.start).unwrap_or(0));
        let assigned = std::mem::take(&mut self.assigned);
        let mut line = 1;
        let mut scanned = 0;
        let mut shapes = Vec::with_capacity(assigned.len());
        for (offset, (name, _, text)) in assigned {
            line += self.text.as_bytes()[scanned..offset.min(self.text.len())]
                .iter()
                .filter(|&&b| b == b'\n')
                .count();
            scanned = offset.min(self.text.len());
            shapes.push((line, format!("{name} = {text}")));
        }
        CheckReport {
            diagnostics: diags,
            shapes,
            steps: FUEL - self.fuel,
        }
    }

    /// A value for `--shapes`: a tensor's shape, a known number, or its kind.
    pub fn describe(&self, v: &AVal) -> String {
        match v {
            AVal::Tensor(t) => match &t.shape {
                Some(s) => self.shape_text(s),
                None => "tensor of unknown shape".to_string(),
            },
            AVal::Num(value::ANum::Known(n)) => crate::runtime::print::format_number(*n),
            AVal::Num(value::ANum::Dim(d)) => self.dim_text(*d),
            AVal::Bool(Some(b)) => if *b { "True" } else { "False" }.to_string(),
            AVal::Str(Some(s)) => crate::runtime::print::format_string_repr(s),
            AVal::List(_) => match v.exact_items() {
                Some(items)
                    if items.iter().all(|i| matches!(i, AVal::Num(_))) && items.len() <= 8 =>
                {
                    format!(
                        "[{}]",
                        items
                            .iter()
                            .map(|i| self.describe(i))
                            .collect::<Vec<_>>()
                            .join(", ")
                    )
                }
                Some(items) => format!("list of {}", items.len()),
                None => "list".to_string(),
            },
            AVal::Unknown => "unknown".to_string(),
            other => other.kind().to_string(),
        }
    }

    pub fn dim_text(&self, d: Dim) -> String {
        self.st.syms.name(self.st.syms.canon(d))
    }

    pub fn shape_text(&self, s: &[Dim]) -> String {
        format!(
            "[{}]",
            s.iter()
                .map(|&d| self.dim_text(d))
                .collect::<Vec<_>>()
                .join(", ")
        )
    }
}

impl SymTable {
    fn origin_of(&self, name: &str) -> Option<Span> {
        self.find_by_name(name)
    }
}
