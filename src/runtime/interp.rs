//! The tree-walking evaluator: statements, expressions, scopes and calls. It attaches
//! spans, call context and variable provenance to the errors of the layers below.

pub use crate::runtime::explain::Origin;
use crate::runtime::explain::{self, Operand};
use crate::runtime::fnv::FnvMap;
use crate::runtime::value::{Abs, ArgVal, Builtin, Builtins, UserFn, Value};
use crate::syntax::ast::{BinOp, Expr, Stmt, UnaryOp};
use crate::syntax::diagnostic::{render, Diagnostic, RenderStyle, Source};
use crate::syntax::span::Span;
use crate::tensor::{GradStore, Rng, Tensor};
use std::any::Any;
use std::collections::{HashMap, HashSet};
use std::io::Write;
use std::rc::Rc;
use std::sync::atomic::AtomicBool;
use std::sync::Arc;

/// Errors travel boxed: the happy path stays small.
pub type R<T> = Result<T, Box<Diagnostic>>;

/// User calls followed at most this deep in abstract mode (deeper ones give an unknown
/// value).
pub const MAX_ABSTRACT_DEPTH: usize = 24;
/// User-function call depth limit (LANGUAGE.md "Errors").
pub const MAX_CALL_DEPTH: usize = 1000;

/// Graph-size limit: op nodes alive at once. A training loop that rebinds `W = W - ...`
/// grows its graph every step; this stops it with a hint long before memory runs out.
pub const MAX_GRAPH_NODES: u64 = 2_000_000;

pub type Env = FnvMap<Rc<str>, Binding>;

#[derive(Clone)]
pub struct Binding {
    pub value: Value,
    pub origin: Origin,
}

/// One source text the session has seen: a file, a REPL input, stdin.
pub struct SourceFile {
    pub name: String,
    pub text: Arc<str>,
    pub source: Source,
    /// tsr's own code (a module written in tsr, such as `torch.nn`), not the user's.
    pub library: bool,
}

/// A figure being built by `plt` calls.
#[derive(Default)]
pub struct Figure {
    pub series: Vec<(Value, Span)>,
    pub labels: Vec<Option<String>>,
    pub title: Option<String>,
}

/// What a statement did to the flow of control.
pub enum Flow {
    Normal,
    Break,
    Continue,
    Return(Value),
}

#[derive(Default)]
pub(crate) struct Frame {
    pub(crate) locals: Env,
    /// Variables of the enclosing function a nested `def`/`lambda` saw when defined.
    pub(crate) captured: Option<Rc<Env>>,
    /// Names declared `global` in this call.
    pub(crate) globals_declared: Vec<String>,
    /// The user function this frame runs (for `super()`).
    pub(crate) func: Option<Rc<crate::runtime::value::UserFn>>,
    /// A class body: its names are the class's, not seen by the methods it defines.
    pub(crate) class_body: bool,
    /// Code of a module written in tsr: names resolve in it and the builtins only.
    pub(crate) isolated: bool,
}

pub struct Interp {
    /// The builtins every name falls back to.
    pub builtins: &'static Builtins,
    pub globals: Env,
    pub(crate) frames: Vec<Frame>,
    pub sources: Vec<SourceFile>,
    /// The source whose spans are being evaluated now.
    pub src_id: usize,
    /// The gradients of the last `backward`.
    pub grads: Option<GradStore>,
    pub rng: Rng,
    pub out: Box<dyn Write>,
    /// Where diagnostics and warnings are rendered, as they happen.
    pub err: Box<dyn Write>,
    pub style: RenderStyle,
    pub(crate) warned: HashSet<(usize, usize, &'static str)>,
    pub(crate) call_depth: usize,
    /// Each optimiser's `param_groups` once a program has read it: one dict, the same
    /// object at every read, whose `"lr"` the optimiser takes (`training.rs`).
    pub(crate) param_groups: Vec<(
        std::rc::Weak<std::cell::RefCell<crate::runtime::value::Optimizer>>,
        Value,
    )>,
    /// Set from a Ctrl-C handler; checked at loop iterations and calls.
    pub interrupt: Arc<AtomicBool>,
    /// Where tensors (by id) were last changed in place: `-=`, an indexed assignment,
    /// `step`. Read by the `grad::stale` diagnostic; cleared when it grows past
    /// `MAX_CHANGED` (the diagnostic then just lacks that label).
    changed: FnvMap<u64, Origin>,
    /// The figure `plt.plot` and friends are building.
    pub figure: Option<Figure>,
    /// The members of modules written in tsr (`torch.nn`), by module name, once loaded.
    pub preludes: HashMap<&'static str, Rc<HashMap<String, Value>>>,
    /// Tensors that may be the first half of a silent shape bug (`runtime::lint`).
    pub(crate) lint: crate::runtime::lint::marks::Lint,
    /// `tsr check`'s abstract domain, when the evaluator runs in abstract mode.
    pub domain: Option<Box<dyn Domain>>,
    /// Abstract mode: per user call being followed, the values returned on paths a
    /// branch with an undecided condition left.
    pub(crate) abs_returns: Vec<Vec<Value>>,
    /// Abstract mode: the path being followed ended at a `raise`.
    pub(crate) abs_raised: bool,
    /// Abstract mode: how many times one arm of a branch left (`return`, `raise`,
    /// `break`) while the other went on; a loop whose body did so may have ended, so
    /// its later iterations report nothing.
    pub(crate) abs_left: usize,
    /// Abstract mode: the comprehension being built has items that are not known.
    pub(crate) abs_inexact: bool,
    /// Abstract mode: loops being run item by item, innermost last (deeper ones run to a
    /// fixed point instead, as their items multiply).
    pub(crate) abs_unrolled: usize,
    /// Abstract mode: statements run so far (what an unrolled loop has cost).
    pub(crate) abs_steps: usize,
}

/// Entries of `Interp::changed` kept at most.
const MAX_CHANGED: usize = 4096;

/// Context notes added to an error as it leaves calls and loops: at most this many.
pub(crate) const MAX_CONTEXT_NOTES: usize = 4;

impl Interp {
    /// An evaluator over the builtin table `builtins` (`runtime::builtins::all()`).
    pub fn new(
        out: Box<dyn Write>,
        err: Box<dyn Write>,
        style: RenderStyle,
        builtins: &'static Builtins,
    ) -> Interp {
        Interp {
            builtins,
            globals: Env::default(),
            frames: Vec::new(),
            sources: Vec::new(),
            src_id: 0,
            grads: None,
            rng: Rng::seeded(0),
            out,
            err,
            style,
            warned: HashSet::new(),
            call_depth: 0,
            param_groups: Vec::new(),
            interrupt: Arc::new(AtomicBool::new(false)),
            changed: HashMap::default(),
            figure: None,
            preludes: HashMap::new(),
            lint: Default::default(),
            domain: None,
            abs_returns: Vec::new(),
            abs_raised: false,
            abs_left: 0,
            abs_inexact: false,
            abs_unrolled: 0,
            abs_steps: 0,
        }
    }

    /// Records that `t` was changed in place by the code at `span`.
    pub fn note_changed(&mut self, t: &Tensor, span: Span) {
        if self.changed.len() >= MAX_CHANGED {
            self.changed.clear();
        }
        let origin = Origin {
            src_id: self.src_id,
            span,
        };
        self.changed.insert(t.id(), origin);
    }

    /// Where the tensor with this id was last changed in place, if known.
    pub fn changed_at(&self, id: u64) -> Option<Origin> {
        self.changed.get(&id).copied()
    }

    /// The name of a visible variable bound to the tensor with this id (the first in
    /// name order when several are).
    pub fn name_of_tensor(&self, id: u64) -> Option<String> {
        let locals = self.frames.last().map(|f| &f.locals);
        let mut names: Vec<&str> = locals
            .into_iter()
            .chain(std::iter::once(&self.globals))
            .flat_map(|env| env.iter())
            .filter(|(_, b)| matches!(&b.value, Value::Tensor(t) if t.id() == id))
            .map(|(n, _)| &**n)
            .collect();
        names.sort_unstable();
        names.first().map(|n| n.to_string())
    }

    pub fn add_source(&mut self, name: &str, text: &str) -> usize {
        let text: Arc<str> = Arc::from(text);
        self.sources.push(SourceFile {
            name: name.to_string(),
            text: text.clone(),
            source: crate::syntax::diagnostic::source(name, &text),
            library: false,
        });
        self.sources.len() - 1
    }

    /// The source `id` when it is tsr's own library code (a module written in tsr).
    pub fn library_source(&self, id: usize) -> Option<&Source> {
        self.sources
            .get(id)
            .filter(|s| s.library)
            .map(|s| &s.source)
    }

    /// Whether `src` is the text of tsr's own library code.
    pub fn is_library_text(&self, src: &Source) -> bool {
        self.sources
            .iter()
            .any(|s| s.library && Arc::ptr_eq(&s.source, src))
    }

    pub fn source(&self, id: usize) -> &Source {
        &self.sources[id].source
    }

    /// The source text under `span` in the current source.
    pub fn text_of(&self, span: Span) -> String {
        let text = &self.sources[self.src_id].text;
        text.get(span.start.min(text.len())..span.end.min(text.len()))
            .unwrap_or("")
            .to_string()
    }

    /// Attach the current source to a diagnostic and box it.
    pub fn fail(&self, diag: Diagnostic) -> Box<Diagnostic> {
        Box::new(diag.with_source(self.source(self.src_id)))
    }

    /// Render a diagnostic to the error writer now (stdout is flushed first, so that
    /// on a terminal the two streams appear in order).
    pub fn report(&mut self, d: &Diagnostic) {
        let _ = self.out.flush();
        let text = render(d, self.style);
        let _ = self.err.write_all(text.as_bytes());
        let _ = self.err.flush();
    }

    /// Report a warning once per source location and kind.
    pub fn warn_once(&mut self, span: Span, kind: &'static str, diag: Diagnostic) {
        if self.warned.insert((self.src_id, span.start, kind)) {
            let d = diag.with_source(self.source(self.src_id));
            self.report(&d);
        }
    }

    /// An operand of a failing op: the value under `span` (`None`: not known).
    pub fn operand(&self, span: Span, value: Option<&Value>) -> Operand {
        let shape = match value {
            Some(Value::Tensor(t)) => Some(t.shape()),
            _ => None,
        };
        Operand::new(
            self,
            span,
            shape,
            value.map(|v| v.kind()).unwrap_or("value"),
        )
    }

    // ------------------------------------------------------------ variables

    pub fn lookup(&self, name: &str) -> Option<&Binding> {
        if let Some(frame) = self.frames.last() {
            if let Some(b) = frame.locals.get(name) {
                return Some(b);
            }
            if let Some(b) = frame.captured.as_ref().and_then(|c| c.get(name)) {
                return Some(b);
            }
            if frame.isolated {
                return None;
            }
        }
        self.globals.get(name)
    }

    pub fn bind(&mut self, name: &str, value: Value, span: Span) {
        if self.domain.is_some() {
            self.with_domain(|d, it| d.bound(it, name, &value, span));
        }
        let origin = Origin {
            src_id: self.src_id,
            span,
        };
        let env = match self.frames.last_mut() {
            Some(f) if !f.globals_declared.iter().any(|g| g == name) => &mut f.locals,
            _ => &mut self.globals,
        };
        super::fnv::rebind(env, name, Binding { value, origin });
    }

    /// Names visible here: locals, globals and builtins (for did-you-mean).
    pub fn visible_names(&self) -> Vec<String> {
        let mut names: Vec<String> = Vec::new();
        if let Some(f) = self.frames.last() {
            names.extend(f.locals.keys().map(|k| k.to_string()));
        }
        names.extend(self.globals.keys().map(|k| k.to_string()));
        names.extend(self.builtins.rows.iter().map(|b| b.name.to_string()));
        names.sort();
        names.dedup();
        names
    }

    // ------------------------------------------------------------ errors

    pub fn unknown_name(&self, name: &str, span: Span) -> Box<Diagnostic> {
        let mut d = Diagnostic::error("name::unknown", format!("`{name}` is not defined"))
            .primary(span, "not defined");
        if let Some(s) = explain::did_you_mean(name, self.visible_names().into_iter()) {
            d = d.help(format!("did you mean `{s}`?"));
            if let Some(b) = self.lookup(&s) {
                if b.origin.src_id == self.src_id {
                    d = d.label(b.origin.span, format!("`{s}` is defined here"));
                }
            }
        }
        self.fail(d)
    }

    pub(crate) fn unknown_method(&self, name: &str, span: Span, kind: &str) -> Box<Diagnostic> {
        let mut d = Diagnostic::error(
            "name::unknown",
            format!("there is no function `{name}` to call on a {kind}"),
        )
        .primary(span, "no such function");
        let fns = self.builtins.rows.iter().map(|b| b.name.to_string());
        if let Some(s) = explain::did_you_mean(name, fns) {
            d = d.help(format!("did you mean `.{s}(...)`?"));
        } else {
            d = d.help("`x.f(a)` calls `f(x, a)`: `f` must be a builtin or a function you defined");
        }
        self.fail(d)
    }

    pub fn set_grads(&mut self, store: GradStore) {
        self.grads = Some(store);
    }

    pub fn write_out(&mut self, text: &str) -> R<()> {
        if self.out.write_all(text.as_bytes()).is_err() {
            // A closed stdout (e.g. piped into `head`) ends the program quietly.
            return Err(Box::new(Diagnostic::error(
                "io::stdout",
                "standard output is closed",
            )));
        }
        Ok(())
    }
}

/// An index item with its parts evaluated.
pub enum IdxVal {
    At(Value, Span),
    Slice([Option<(Value, Span)>; 3], Span),
    Ellipsis(Span),
}

/// What iterating an abstract value gives.
pub enum AbsItems {
    /// Each item, known.
    Exact(Vec<Value>),
    /// Items alike: one value standing for every item, and their number when known.
    Alike(Value, Option<usize>),
}

/// An operator as the walker applies it: `lhs op rhs` (or `lhs op= rhs`), the operands'
/// values (`l`, `r`) and expressions.
pub struct OpCall<'a> {
    pub op: BinOp,
    pub op_span: Span,
    pub l: Value,
    pub r: Value,
    pub lhs: &'a Expr,
    pub rhs: &'a Expr,
}

/// The abstract domain `tsr check` plugs into the evaluator.
pub trait Domain {
    /// A builtin call that may make or read a tensor, or that has an abstract argument.
    fn call_builtin(
        &mut self,
        it: &mut Interp,
        b: &'static Builtin,
        args: Vec<ArgVal>,
        callee: Span,
        call: Span,
    ) -> Value;
    /// An operator with an abstract operand.
    fn binary(&mut self, it: &mut Interp, op: OpCall) -> Value;
    fn unary(
        &mut self,
        it: &mut Interp,
        op: UnaryOp,
        v: Value,
        span: Span,
        operand: &Expr,
    ) -> Value;
    /// `v[items]` for an abstract `v`.
    fn index(
        &mut self,
        it: &mut Interp,
        v: Value,
        object: &Expr,
        items: Vec<IdxVal>,
        span: Span,
    ) -> Value;
    /// `v[items] = rhs` (or `op=`) for an abstract `v`.
    #[allow(clippy::too_many_arguments)]
    /// (`target`: the value, its expression, the index items, their span; `value`: the
    /// `=` or `op=` token, the right side's expression and value.)
    fn set_index(
        &mut self,
        it: &mut Interp,
        target: (Value, &Expr, Vec<IdxVal>, Span),
        value: (Span, &Expr, Value),
    );
    /// `target op= rhs` where the target's value is abstract (`W -= lr * g`): the value
    /// the target has afterwards (the same tensor, changed in place).
    #[allow(clippy::too_many_arguments)]
    fn update(&mut self, it: &mut Interp, op: OpCall, stmt: Span) -> Value;
    /// `v.name` for an abstract `v`.
    fn attribute(
        &mut self,
        it: &mut Interp,
        v: Value,
        object: &Expr,
        name: &str,
        span: Span,
    ) -> Value;
    /// The truth of an abstract value, when known (a condition at `span`).
    fn truth(&mut self, v: &Abs, span: Span) -> Option<bool>;
    /// The domain itself, for the front-end that plugged it in to take back.
    fn into_any(self: Box<Self>) -> Box<dyn Any>;
    /// The kind of an abstract value in the user's words (`tensor`, `number`, `value`).
    fn kind(&self, v: &Abs) -> &'static str;
    /// What iterating an abstract value gives.
    fn items(&mut self, it: &mut Interp, v: &Abs, span: Span) -> AbsItems;
    /// A value that may be `a` or `b`.
    fn join(&mut self, a: &Value, b: &Value) -> Value;
    /// A value about which nothing is known.
    fn unknown(&mut self) -> Value;
    /// An error found on a path the program takes (or advice).
    fn report(&mut self, it: &Interp, d: Diagnostic);
    /// `name` was bound to `v` by the statement at `origin`.
    fn bound(&mut self, it: &Interp, name: &str, v: &Value, origin: Span);
    /// A statement starts (`Some`) or ends (`None`); the flag the domain keeps per
    /// statement (an error already reported in it) is saved and restored around nested
    /// ones.
    fn statement(&mut self, stmt: Option<&Stmt>, saved: &mut bool);
    /// A user function is called with these parameters (`locals`, each with where it got
    /// its value): `false` when the call is not to be followed (its result is unknown).
    fn enter_call(&mut self, it: &Interp, f: &Rc<UserFn>, locals: &Env, call: Span) -> bool;
    fn leave_call(&mut self);
    /// Iteration `index` of a loop (`header`) starts, binding `var` to `item` (`exact`:
    /// that item itself, not one standing for several); `None` when it ends.
    fn iteration(&mut self, at: Option<(Span, &str, &Value, usize, bool)>);
    /// The domain's own state (what `backward` reached, symbolic sizes, ...).
    fn save(&self) -> Box<dyn Any>;
    fn restore(&mut self, s: &dyn Any);
    /// The join of two saved states (both arms of a branch).
    fn join_saved(&mut self, a: &dyn Any, b: &dyn Any) -> Box<dyn Any>;
    /// Whether two saved states are the same (a loop's fixed point).
    fn same_saved(&self, a: &dyn Any, b: &dyn Any) -> bool;
    /// Whether two values are the same for a loop's fixed point.
    fn same(&self, a: &Value, b: &Value) -> bool;
    /// Errors stop being reported while > 0 (a pass over a widened loop).
    fn quiet(&mut self, delta: isize);
    /// Statements left to simulate; `false` when the work is used up.
    fn fuel(&mut self) -> bool;
}
