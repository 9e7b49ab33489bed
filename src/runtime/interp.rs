//! The tree-walking evaluator: statements, expressions, scopes and calls. It attaches
//! spans, call context and variable provenance to the errors of the layers below.

use crate::runtime::builtins::{self, Builtin};
use crate::runtime::explain::{self, Operand, Site};
use crate::runtime::value::{UserFn, Value};
use crate::syntax::ast::{BinOp, Expr, ExprKind, IndexItem, Stmt, StmtKind, Target};
use crate::syntax::diagnostic::{render, Diagnostic, RenderStyle, Source};
use crate::syntax::span::Span;
use crate::tensor::{self, GradStore, Rng, Tensor};
use std::collections::{HashMap, HashSet};
use std::hash::{BuildHasherDefault, Hasher};
use std::io::Write;
use std::rc::Rc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

/// Errors travel boxed: the happy path stays small.
pub type R<T> = Result<T, Box<Diagnostic>>;

/// User-function call depth limit (LANGUAGE.md "Errors").
pub const MAX_CALL_DEPTH: usize = 1000;

/// Graph-size limit: op nodes alive at once. A training loop that rebinds `W = W - ...`
/// grows its graph every step; this stops it with a hint long before memory runs out.
pub const MAX_GRAPH_NODES: u64 = 2_000_000;

/// A small, fast, deterministic hasher for variable names (FNV-1a). Iteration order of
/// these maps never reaches the output: `:vars` sorts by name.
#[derive(Default)]
pub struct FnvHasher(u64);

impl Hasher for FnvHasher {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        let mut h = if self.0 == 0 {
            0xcbf29ce484222325
        } else {
            self.0
        };
        for b in bytes {
            h ^= *b as u64;
            h = h.wrapping_mul(0x100000001b3);
        }
        self.0 = h;
    }
}

pub type Env = HashMap<Rc<str>, Binding, BuildHasherDefault<FnvHasher>>;

/// Where a variable got its current value: the statement that last bound it.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Origin {
    pub src_id: usize,
    pub span: Span,
}

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
}

/// What a statement did to the flow of control.
pub enum Flow {
    Normal,
    Break,
    Continue,
    Return(Value),
}

struct Frame {
    locals: Env,
}

pub struct Interp {
    pub globals: Env,
    frames: Vec<Frame>,
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
    call_depth: usize,
    /// Set from a Ctrl-C handler; checked at loop iterations and calls.
    pub interrupt: Arc<AtomicBool>,
    /// Where tensors (by id) were last changed in place: `-=`, an indexed assignment,
    /// `step`. Read by the `grad::stale` diagnostic; cleared when it grows past
    /// `MAX_CHANGED` (the diagnostic then just lacks that label).
    changed: HashMap<u64, Origin, BuildHasherDefault<FnvHasher>>,
}

/// Entries of `Interp::changed` kept at most.
const MAX_CHANGED: usize = 4096;

/// Context notes added to an error as it leaves calls and loops: at most this many.
const MAX_CONTEXT_NOTES: usize = 4;

impl Interp {
    pub fn new(out: Box<dyn Write>, err: Box<dyn Write>, style: RenderStyle) -> Interp {
        Interp {
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
            interrupt: Arc::new(AtomicBool::new(false)),
            changed: HashMap::default(),
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
        });
        self.sources.len() - 1
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

    // ------------------------------------------------------------ variables

    pub fn lookup(&self, name: &str) -> Option<&Binding> {
        if let Some(frame) = self.frames.last() {
            if let Some(b) = frame.locals.get(name) {
                return Some(b);
            }
        }
        self.globals.get(name)
    }

    pub fn bind(&mut self, name: &str, value: Value, span: Span) {
        let origin = Origin {
            src_id: self.src_id,
            span,
        };
        let env = match self.frames.last_mut() {
            Some(f) => &mut f.locals,
            None => &mut self.globals,
        };
        match env.get_mut(name) {
            Some(b) => {
                b.value = value;
                b.origin = origin;
            }
            None => {
                env.insert(Rc::from(name), Binding { value, origin });
            }
        }
    }

    /// Names visible here: locals, globals and builtins (for did-you-mean).
    pub fn visible_names(&self) -> Vec<String> {
        let mut names: Vec<String> = Vec::new();
        if let Some(f) = self.frames.last() {
            names.extend(f.locals.keys().map(|k| k.to_string()));
        }
        names.extend(self.globals.keys().map(|k| k.to_string()));
        names.extend(builtins::table().iter().map(|b| b.name.to_string()));
        names.sort();
        names.dedup();
        names
    }

    /// Stop with an `interrupt` error if Ctrl-C was pressed. `progress` says how far the
    /// loop being checked got; it is only built when the check fires.
    fn check_interrupt(&self, span: Span, progress: impl FnOnce() -> Option<String>) -> R<()> {
        if self.interrupt.load(Ordering::Relaxed) {
            self.interrupt.store(false, Ordering::Relaxed);
            let message = match progress() {
                Some(p) => format!("interrupted {p}"),
                None => "interrupted".to_string(),
            };
            return Err(self.fail(
                Diagnostic::error("interrupt", message)
                    .primary(span, "stopped here")
                    .help("every statement that completed before this point keeps its effect"),
            ));
        }
        Ok(())
    }

    // ------------------------------------------------------------ statements

    pub fn exec_block(&mut self, body: &[Stmt]) -> R<Flow> {
        for s in body {
            match self.exec(s)? {
                Flow::Normal => {}
                other => return Ok(other),
            }
        }
        Ok(Flow::Normal)
    }

    pub fn exec(&mut self, stmt: &Stmt) -> R<Flow> {
        if tensor::live_op_nodes() > MAX_GRAPH_NODES {
            return Err(self.fail(
                Diagnostic::error("limit::graph", format!("the autodiff graph has grown past {MAX_GRAPH_NODES} operations"))
                    .primary(stmt.span, "stopped before running this statement")
                    .help("a loop that rebinds a tensor to an expression of itself (`W = W - lr * grad(W)`, `x = x * 1.0`) keeps every step's history: update in place with `-=`, or cut the history with `detach(x)`"),
            ));
        }
        match &stmt.kind {
            StmtKind::Expr(e) => {
                self.eval(e)?;
                Ok(Flow::Normal)
            }
            StmtKind::Assign {
                target,
                op,
                op_span,
                value,
            } => {
                self.exec_assign(stmt, target, *op, *op_span, value)?;
                Ok(Flow::Normal)
            }
            StmtKind::If {
                branches,
                else_body,
            } => {
                for (cond, body) in branches {
                    let c = self.eval(cond)?;
                    if self.truthy(&c, cond.span)? {
                        return self.exec_block(body);
                    }
                }
                match else_body {
                    Some(body) => self.exec_block(body),
                    None => Ok(Flow::Normal),
                }
            }
            StmtKind::While { cond, body } => {
                let mut iteration: u64 = 0;
                loop {
                    self.check_interrupt(cond.span, || {
                        Some(format!("after {iteration} iterations of this `while` loop"))
                    })?;
                    let c = self.eval(cond)?;
                    if !self.truthy(&c, cond.span)? {
                        break;
                    }
                    let flow = self.exec_block(body).map_err(|e| {
                        self.loop_note(
                            e,
                            cond.span,
                            format!("in iteration {iteration} of this loop"),
                        )
                    })?;
                    iteration += 1;
                    match flow {
                        Flow::Break => break,
                        Flow::Return(v) => return Ok(Flow::Return(v)),
                        Flow::Continue | Flow::Normal => {}
                    }
                }
                Ok(Flow::Normal)
            }
            StmtKind::For { var, iter, body } => {
                self.exec_for(var.node.as_str(), var.span, iter, body)
            }
            StmtKind::Def { name, params, body } => {
                let mut defaults = Vec::with_capacity(params.len());
                for p in params {
                    defaults.push(match &p.default {
                        Some(d) => Some(self.eval(d)?),
                        None => None,
                    });
                }
                let f = UserFn {
                    name: name.node.clone(),
                    params: params.clone(),
                    defaults,
                    body: body.clone(),
                    src_id: self.src_id,
                    def_span: name.span,
                };
                self.bind(&name.node, Value::Function(Rc::new(f)), stmt.span);
                Ok(Flow::Normal)
            }
            StmtKind::Return(e) => {
                let v = match e {
                    Some(e) => self.eval(e)?,
                    None => Value::None,
                };
                Ok(Flow::Return(v))
            }
            StmtKind::Break => Ok(Flow::Break),
            StmtKind::Continue => Ok(Flow::Continue),
            StmtKind::Pass => Ok(Flow::Normal),
        }
    }

    /// Add "in iteration ..." context to an error leaving a loop body.
    fn loop_note(&self, mut e: Box<Diagnostic>, header: Span, text: String) -> Box<Diagnostic> {
        // An interrupt names only the innermost loop it stopped in.
        if (e.code == "interrupt" && !e.related.is_empty()) || e.related.len() >= MAX_CONTEXT_NOTES
        {
            return e;
        }
        let note = Diagnostic::advice("note::loop", text.clone())
            .primary(header, text)
            .with_source(self.source(self.src_id));
        e.related.push(note);
        e
    }

    fn exec_for(&mut self, var: &str, var_span: Span, iter: &Expr, body: &[Stmt]) -> R<Flow> {
        let it = self.eval(iter)?;
        let run =
            |this: &mut Interp, item: Value, label: &dyn Fn(&Value) -> String| -> R<Option<Flow>> {
                let shown = label(&item);
                this.check_interrupt(iter.span, || {
                    Some(format!(
                        "before running {}",
                        shown.trim_start_matches("in ")
                    ))
                })?;
                this.bind(var, item, var_span);
                let flow = this
                    .exec_block(body)
                    .map_err(|e| this.loop_note(e, var_span.to(iter.span), shown))?;
                Ok(match flow {
                    Flow::Break => Some(Flow::Normal),
                    Flow::Return(v) => Some(Flow::Return(v)),
                    Flow::Continue | Flow::Normal => None,
                })
            };
        let name_label = |v: &Value| -> String {
            match v {
                Value::Tensor(t) => format!(
                    "in the iteration where `{var}` is a tensor of shape {}",
                    explain::shape_str(&t.shape())
                ),
                other => format!("in the iteration where `{var} = {}`", other.repr()),
            }
        };
        match it {
            Value::Range { start, stop, step } => {
                let n = Value::range_len(start, stop, step);
                for i in 0..n {
                    let v = Value::Number((start + i * step) as f64);
                    if let Some(f) = run(self, v, &name_label)? {
                        return Ok(f);
                    }
                }
            }
            Value::List(items) => {
                let snapshot: Vec<Value> = items.borrow().clone();
                for v in snapshot {
                    if let Some(f) = run(self, v, &name_label)? {
                        return Ok(f);
                    }
                }
            }
            Value::Str(s) => {
                for c in s.chars() {
                    if let Some(f) = run(self, Value::str(&c.to_string()), &name_label)? {
                        return Ok(f);
                    }
                }
            }
            Value::Tensor(t) => {
                let shape = t.shape();
                if shape.is_empty() {
                    return Err(self.fail(
                        Diagnostic::error("type::not_iterable", "cannot loop over a 0-d tensor")
                            .primary(iter.span, "this tensor has no axes")
                            .help("a `for` loop over a tensor walks its first axis; use `item(t)` for the number"),
                    ));
                }
                for i in 0..shape[0] {
                    let row =
                        tensor::index(&t, &[tensor::IndexItem::At(i as isize)]).map_err(|e| {
                            self.fail(explain::tensor_error(
                                self,
                                e,
                                &Site::call("index", iter.span, vec![]),
                            ))
                        })?;
                    let label =
                        |_: &Value| format!("in iteration {i} over the rows of this tensor");
                    if let Some(f) = run(self, Value::Tensor(row), &label)? {
                        return Ok(f);
                    }
                }
            }
            other => {
                return Err(self.fail(
                    Diagnostic::error(
                        "type::not_iterable",
                        format!("cannot loop over a {}", other.kind()),
                    )
                    .primary(iter.span, format!("this is a {}", other.kind()))
                    .help("loop over `range(n)`, a list or a tensor"),
                ))
            }
        }
        Ok(Flow::Normal)
    }

    fn exec_assign(
        &mut self,
        stmt: &Stmt,
        target: &Target,
        op: Option<BinOp>,
        op_span: Span,
        value: &Expr,
    ) -> R<()> {
        match target {
            Target::Name(name) => match op {
                None => {
                    let v = self.eval(value)?;
                    if let Value::Tensor(_) = &v {
                        self.check_rebind_update(&name.node, value, op_span);
                    }
                    self.bind(&name.node, v, stmt.span);
                    Ok(())
                }
                Some(op) => {
                    let current = self.lookup(&name.node).map(|b| b.value.clone());
                    let current = match current {
                        Some(v) => v,
                        None => return Err(self.unknown_name(&name.node, name.span)),
                    };
                    let rhs = self.eval(value)?;
                    if let Value::Tensor(t) = &current {
                        self.update_in_place(t, op, op_span, name.span, value, rhs)?;
                        return Ok(());
                    }
                    let target_expr = Expr::new(ExprKind::Name(name.node.clone()), name.span);
                    let v = self.binary(op, op_span, current, rhs, &target_expr, value)?;
                    self.bind(&name.node, v, stmt.span);
                    Ok(())
                }
            },
            Target::Index {
                object,
                items,
                span,
            } => {
                let obj = self.eval(object)?;
                let rhs = self.eval(value)?;
                self.assign_index(obj, object, items, *span, op, op_span, value, rhs)
            }
        }
    }

    /// `W -= e` on a tensor: the same tensor, new values, not recorded.
    fn update_in_place(
        &mut self,
        t: &Tensor,
        op: BinOp,
        op_span: Span,
        target_span: Span,
        value: &Expr,
        rhs: Value,
    ) -> R<()> {
        let kind = match op {
            BinOp::Add => tensor::InPlaceOp::Add,
            BinOp::Sub => tensor::InPlaceOp::Sub,
            BinOp::Mul => tensor::InPlaceOp::Mul,
            BinOp::Div => tensor::InPlaceOp::Div,
            _ => {
                return Err(self.fail(
                    Diagnostic::error(
                        "syntax::augmented",
                        format!("`{}=` is not an update operator", op.symbol()),
                    )
                    .primary(op_span, "use `+=`, `-=`, `*=` or `/=`"),
                ))
            }
        };
        let r = self.to_tensor(&rhs, value.span)?;
        self.note_changed(t, target_span.to(value.span));
        tensor::update_in_place(t, kind, &r).map_err(|e| {
            let site = Site {
                op: format!("{}=", op.symbol()),
                primary: op_span,
                operands: vec![
                    Operand::new(
                        self,
                        target_span,
                        Some(&Value::Tensor(t.clone())),
                        Some(target_span),
                    ),
                    Operand::new(self, value.span, Some(&rhs), None),
                ],
                in_place: true,
            };
            self.fail(explain::tensor_error(self, e, &site))
        })
    }

    /// Warn once when `W = W - lr * grad(W)` rebinds a tensor to an update of itself.
    fn check_rebind_update(&mut self, name: &str, value: &Expr, op_span: Span) {
        if let ExprKind::Binary {
            op: op @ (BinOp::Sub | BinOp::Add),
            lhs,
            rhs,
            ..
        } = &value.kind
        {
            let is_self = matches!(&lhs.kind, ExprKind::Name(n) if n == name);
            if is_self && mentions_grad_of(rhs, name) {
                let sym = if *op == BinOp::Sub { "-=" } else { "+=" };
                let rest = self.text_of(rhs.span);
                let d = Diagnostic::warning(
                    "grad::rebind_update",
                    format!("`{name} = {name} {} ...` makes `{name}` a new tensor that records this update", op.symbol()),
                )
                .primary(op_span.to(value.span), format!("`{name}` becomes a non-leaf whose history grows every step"))
                .help(format!("update the weights in place: `{name} {sym} {rest}`"));
                self.warn_once(op_span, "rebind", d);
            }
        }
    }

    #[allow(clippy::too_many_arguments)]
    fn assign_index(
        &mut self,
        obj: Value,
        object: &Expr,
        items: &[IndexItem],
        span: Span,
        op: Option<BinOp>,
        op_span: Span,
        value: &Expr,
        rhs: Value,
    ) -> R<()> {
        match obj {
            Value::List(list) => {
                if items.len() != 1 {
                    return Err(self.fail(
                        Diagnostic::error("type::index", "a list takes one index")
                            .primary(span, format!("{} indices given", items.len())),
                    ));
                }
                let idx_expr = match &items[0] {
                    IndexItem::Index(e) => e,
                    IndexItem::Slice { span, .. } | IndexItem::Ellipsis(span) => {
                        return Err(self.fail(
                            Diagnostic::error(
                                "type::index",
                                "assigning to a slice of a list is not supported",
                            )
                            .primary(*span, "slice"),
                        ))
                    }
                };
                let i = self.eval(idx_expr)?;
                let len = list.borrow().len();
                let pos = self.list_position(&i, idx_expr.span, len)?;
                let new = match op {
                    None => rhs,
                    Some(op) => {
                        let cur = list.borrow()[pos].clone();
                        self.binary(op, op_span, cur, rhs, object, value)?
                    }
                };
                list.borrow_mut()[pos] = new;
                Ok(())
            }
            Value::Tensor(t) => {
                let idx = self.index_items(items)?;
                let r = self.to_tensor(&rhs, value.span)?;
                self.note_changed(&t, span.to(value.span));
                let result = match op {
                    None => tensor::set_index(&t, &idx, &r),
                    Some(op) => {
                        let cur = tensor::index(&t, &idx).map_err(|e| {
                            self.fail(explain::tensor_error(
                                self,
                                e,
                                &Site::call("index", span, vec![]),
                            ))
                        })?;
                        let kind = explain::binary_kind(op).ok_or_else(|| {
                            self.fail(
                                Diagnostic::error("type::operator", "unsupported update operator")
                                    .primary(op_span, ""),
                            )
                        })?;
                        let newv = tensor::binary(kind, &cur.detach(), &r);
                        match newv {
                            Ok(n) => tensor::set_index(&t, &idx, &n),
                            Err(e) => Err(e),
                        }
                    }
                };
                result.map_err(|e| {
                    let site = Site {
                        op: "indexed assignment".to_string(),
                        primary: op_span,
                        operands: vec![
                            Operand::new(self, span, None, None),
                            Operand::new(self, value.span, Some(&rhs), None),
                        ],
                        in_place: true,
                    };
                    self.fail(explain::tensor_error(self, e, &site))
                })
            }
            other => Err(self.fail(
                Diagnostic::error(
                    "type::index",
                    format!("cannot assign into a {}", other.kind()),
                )
                .primary(object.span, format!("this is a {}", other.kind())),
            )),
        }
    }

    // ------------------------------------------------------------ calls

    pub fn call(
        &mut self,
        f: &Value,
        args: Vec<ArgVal>,
        callee_span: Span,
        call_span: Span,
    ) -> R<Value> {
        match f {
            Value::Builtin(b) => self.call_builtin(b, args, callee_span, call_span),
            Value::Function(uf) => self.call_user(uf.clone(), args, callee_span, call_span),
            other => Err(self.fail(
                Diagnostic::error(
                    "type::not_callable",
                    format!("a {} is not a function", other.kind()),
                )
                .primary(
                    callee_span,
                    format!("this is a {}, not a function", other.kind()),
                ),
            )),
        }
    }

    fn call_builtin(
        &mut self,
        b: &'static Builtin,
        args: Vec<ArgVal>,
        callee_span: Span,
        call_span: Span,
    ) -> R<Value> {
        // Builtins are the op boundaries a straight run of statements can stop at.
        self.check_interrupt(call_span, || None)?;
        let mut bound = builtins::bind_args(self, b, args, callee_span, call_span)?;
        (b.func)(self, &mut bound)
    }

    fn call_user(
        &mut self,
        f: Rc<UserFn>,
        args: Vec<ArgVal>,
        callee_span: Span,
        call_span: Span,
    ) -> R<Value> {
        if self.call_depth >= MAX_CALL_DEPTH {
            return Err(self.fail(
                Diagnostic::error("limit::recursion", format!("too deep: more than {MAX_CALL_DEPTH} nested calls of user functions"))
                    .primary(call_span, format!("the call of `{}` that went past the limit", f.name))
                    .help("a function that calls itself needs a case that returns without calling it again"),
            ));
        }
        self.check_interrupt(call_span, || None)?;
        // Bind arguments to parameters, Python's rules.
        let n = f.params.len();
        let mut slots: Vec<Option<Value>> = vec![None; n];
        // Where each parameter got its value: the argument at the call site.
        let mut arg_spans: Vec<Option<Span>> = vec![None; n];
        let mut positional = 0;
        for a in args {
            match a.name {
                None => {
                    if positional >= n {
                        return Err(self.fail(
                            Diagnostic::error(
                                "call::arity",
                                format!(
                                    "`{}` takes {} argument{} but more were given",
                                    f.name,
                                    n,
                                    if n == 1 { "" } else { "s" }
                                ),
                            )
                            .primary(a.span, "unexpected extra argument")
                            .label(
                                callee_span,
                                format!("`{}` is defined with ({})", f.name, param_list(&f)),
                            )
                            .help(format!(
                                "the signature is `{}({})`",
                                f.name,
                                param_list(&f)
                            )),
                        ));
                    }
                    slots[positional] = Some(a.value);
                    arg_spans[positional] = Some(a.span);
                    positional += 1;
                }
                Some((name, span)) => match f.params.iter().position(|p| p.name.node == name) {
                    Some(i) => {
                        if slots[i].is_some() {
                            return Err(self.fail(
                                Diagnostic::error(
                                    "call::keyword",
                                    format!("`{}` got two values for `{name}`", f.name),
                                )
                                .primary(span, "given again here")
                                .help(format!(
                                    "the signature is `{}({})`",
                                    f.name,
                                    param_list(&f)
                                )),
                            ));
                        }
                        slots[i] = Some(a.value);
                        arg_spans[i] = Some(a.span);
                    }
                    None => {
                        let mut d = Diagnostic::error(
                            "call::keyword",
                            format!("`{}` has no parameter `{name}`", f.name),
                        )
                        .primary(span, "unknown keyword");
                        d = match explain::did_you_mean(
                            &name,
                            f.params.iter().map(|p| p.name.node.clone()),
                        ) {
                            Some(s) => d.help(format!(
                                "did you mean `{s}`? the signature is `{}({})`",
                                f.name,
                                param_list(&f)
                            )),
                            None => {
                                d.help(format!("the signature is `{}({})`", f.name, param_list(&f)))
                            }
                        };
                        return Err(self.fail(d));
                    }
                },
            }
        }
        let mut locals = Env::default();
        for (i, p) in f.params.iter().enumerate() {
            let v = match slots[i].take() {
                Some(v) => v,
                None => match &f.defaults[i] {
                    Some(d) => d.clone(),
                    None => {
                        return Err(self.fail(
                            Diagnostic::error(
                                "call::arity",
                                format!("`{}` is missing the argument `{}`", f.name, p.name.node),
                            )
                            .primary(call_span, format!("no value for `{}`", p.name.node))
                            .help(format!(
                                "the signature is `{}({})`",
                                f.name,
                                param_list(&f)
                            )),
                        ))
                    }
                },
            };
            let origin = match arg_spans[i] {
                Some(span) => Origin {
                    src_id: self.src_id,
                    span,
                },
                None => Origin {
                    src_id: f.src_id,
                    span: p.name.span,
                },
            };
            locals.insert(Rc::from(p.name.node.as_str()), Binding { value: v, origin });
        }
        let caller_src = self.src_id;
        self.frames.push(Frame { locals });
        self.src_id = f.src_id;
        self.call_depth += 1;
        let result = self.exec_block(&f.body);
        self.call_depth -= 1;
        self.src_id = caller_src;
        self.frames.pop();
        match result {
            Ok(Flow::Return(v)) => Ok(v),
            Ok(_) => Ok(Value::None),
            Err(mut e) => {
                if e.code != "interrupt" && e.related.len() < MAX_CONTEXT_NOTES {
                    let note =
                        Diagnostic::advice("note::call", format!("in the call of `{}`", f.name))
                            .primary(call_span, format!("`{}` was called from here", f.name))
                            .with_source(self.source(caller_src));
                    e.related.push(note);
                }
                Err(e)
            }
        }
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

    pub(crate) fn unknown_method(&self, name: &str, span: Span, recv: &Value) -> Box<Diagnostic> {
        let mut d = Diagnostic::error(
            "name::unknown",
            format!("there is no function `{name}` to call on a {}", recv.kind()),
        )
        .primary(span, "no such function");
        let fns = builtins::table().iter().map(|b| b.name.to_string());
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

/// One evaluated argument of a call.
pub struct ArgVal {
    pub name: Option<(String, Span)>,
    pub value: Value,
    pub span: Span,
}

fn param_list(f: &UserFn) -> String {
    f.params
        .iter()
        .zip(&f.defaults)
        .map(|(p, d)| match d {
            Some(v) => format!("{}={}", p.name.node, v.repr()),
            None => p.name.node.clone(),
        })
        .collect::<Vec<_>>()
        .join(", ")
}

fn mentions_grad_of(e: &Expr, name: &str) -> bool {
    match &e.kind {
        ExprKind::Call { callee, args } => {
            let is_grad = matches!(&callee.kind, ExprKind::Name(n) if n == "grad");
            (is_grad
                && args
                    .iter()
                    .any(|a| matches!(&a.value.kind, ExprKind::Name(n) if n == name)))
                || args.iter().any(|a| mentions_grad_of(&a.value, name))
        }
        ExprKind::Method {
            receiver,
            name: m,
            args,
        } => {
            (m.node == "grad" && matches!(&receiver.kind, ExprKind::Name(n) if n == name))
                || mentions_grad_of(receiver, name)
                || args.iter().any(|a| mentions_grad_of(&a.value, name))
        }
        ExprKind::Attr { object, name: a } => {
            a.node == "grad" && matches!(&object.kind, ExprKind::Name(n) if n == name)
        }
        ExprKind::Binary { lhs, rhs, .. } => {
            mentions_grad_of(lhs, name) || mentions_grad_of(rhs, name)
        }
        ExprKind::Unary { operand, .. } => mentions_grad_of(operand, name),
        _ => false,
    }
}
