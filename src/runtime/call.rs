//! Calls of builtins: the ONE argument binder (positional, keyword, variadic; arity and
//! keyword diagnostics with did-you-mean) and the conversions of bound arguments that
//! every builtin uses (`a.tensor(interp, 0)`, `a.axis(interp, 1)`, ...).

use crate::runtime::builtins::convert;
use crate::runtime::explain::{self, Site};
use crate::runtime::interp::{
    Binding, Env, Flow, Frame, Interp, Origin, MAX_CALL_DEPTH, MAX_CONTEXT_NOTES, R,
};
use crate::runtime::value::{Args, Builtin, UserFn, Value, P};
use crate::syntax::diagnostic::Diagnostic;
use crate::syntax::span::Span;
use crate::tensor::Tensor;
use std::rc::Rc;

pub fn bind_args(
    interp: &Interp,
    b: &'static Builtin,
    args: Vec<ArgVal>,
    callee: Span,
    call: Span,
) -> R<Args> {
    let mut slots: Vec<Option<(Value, Span)>> = vec![None; b.params.len()];
    let mut rest = Vec::new();
    let mut kwargs: Vec<(String, Span, Value, Span)> = Vec::new();
    let has_var_kw = b.params.iter().any(|p| matches!(p, P::VarKw(_)));
    let is_positional = |p: &P| matches!(p, P::Req(_) | P::Opt(..));
    // The slot of the next positional parameter: a cursor, no allocation per call.
    let next_positional =
        |from: usize| (from..b.params.len()).find(|&i| is_positional(&b.params[i]));
    let has_var = b.params.iter().any(|p| matches!(p, P::Var(_)));
    let mut next = next_positional(0);
    let n_positional = args.iter().filter(|a| a.name.is_none()).count();
    for a in args {
        match a.name {
            None => {
                if let Some(i) = next {
                    slots[i] = Some((a.value, a.span));
                    next = next_positional(i + 1);
                } else if has_var {
                    rest.push((a.value, a.span));
                } else {
                    let max = b.params.iter().filter(|p| is_positional(p)).count();
                    return Err(interp.fail(
                        Diagnostic::error(
                            "call::arity",
                            format!(
                                "`{}` takes {} positional argument{} but {} were given",
                                b.name,
                                max,
                                if max == 1 { "" } else { "s" },
                                n_positional
                            ),
                        )
                        .primary(a.span, "unexpected extra argument")
                        .label(callee, format!("`{}` is called here", b.name))
                        .help(format!("the signature is `{}`", b.signature())),
                    ));
                }
            }
            Some((name, span)) => match keyword_slot(b, &name) {
                Some(i) => {
                    if slots[i].is_some() {
                        return Err(interp.fail(
                            Diagnostic::error(
                                "call::keyword",
                                format!("`{}` got two values for `{name}`", b.name),
                            )
                            .primary(span, "given again here")
                            .help(format!("the signature is `{}`", b.signature())),
                        ));
                    }
                    slots[i] = Some((a.value, a.span));
                }
                None if has_var_kw => {
                    if kwargs.iter().any(|(n, ..)| *n == name) {
                        return Err(interp.fail(
                            Diagnostic::error(
                                "call::keyword",
                                format!("`{}` got two values for `{name}`", b.name),
                            )
                            .primary(span, "given again here")
                            .help(format!("the signature is `{}`", b.signature())),
                        ));
                    }
                    kwargs.push((name, span, a.value, a.span));
                }
                None => {
                    let names = b
                        .params
                        .iter()
                        .filter(|p| !matches!(p, P::Var(_) | P::VarKw(_)))
                        .map(|p| p.name().to_string());
                    let mut d = Diagnostic::error(
                        "call::keyword",
                        format!("`{}` has no parameter `{name}`", b.name),
                    )
                    .primary(span, "unknown keyword");
                    let alias = match name.as_str() {
                        "dim" | "axes" | "ax" => Some("axis"),
                        "keepdims" => Some("keepdim"),
                        "learning_rate" => Some("lr"),
                        _ => None,
                    };
                    let suggestion = alias
                        .filter(|a| b.params.iter().any(|p| p.name() == *a))
                        .map(|s| s.to_string())
                        .or_else(|| explain::did_you_mean(&name, names));
                    d = match suggestion {
                        Some(s) => d.help(format!(
                            "did you mean `{s}=`? the signature is `{}`",
                            b.signature()
                        )),
                        None => d.help(format!("the signature is `{}`", b.signature())),
                    };
                    return Err(interp.fail(d));
                }
            },
        }
    }
    // PyTorch's `full(size, fill_value)`: sizes given as one tuple or list end the sizes,
    // and the positional argument after them is the keyword parameter that follows.
    if rest.len() == 2 && matches!(rest[0].0, Value::List(_) | Value::Tuple(_)) {
        let var = b
            .params
            .iter()
            .position(|p| matches!(p, P::Var("dims" | "shape")));
        if let Some(k) = var
            .map(|v| v + 1)
            .filter(|&k| matches!(b.params.get(k), Some(P::Kw(..))) && slots[k].is_none())
        {
            slots[k] = rest.pop();
        }
    }
    for (i, p) in b.params.iter().enumerate() {
        if let P::Req(n) = p {
            if slots[i].is_none() {
                return Err(interp.fail(
                    Diagnostic::error(
                        "call::arity",
                        format!("`{}` is missing the argument `{n}`", b.name),
                    )
                    .primary(call, format!("no value for `{n}`"))
                    .help(format!("the signature is `{}`", b.signature())),
                ));
            }
        }
    }
    Ok(Args {
        builtin: b,
        slots,
        rest,
        kwargs,
        callee,
        call,
    })
}

impl Args {
    pub fn get(&self, i: usize) -> Option<&Value> {
        match self.slots.get(i) {
            Some(Some((v, _))) if !matches!(v, Value::None) => Some(v),
            _ => None,
        }
    }

    pub fn span(&self, i: usize) -> Span {
        match self.slots.get(i) {
            Some(Some((_, s))) => *s,
            _ => self.call,
        }
    }

    pub fn value(&self, i: usize) -> Value {
        self.get(i).cloned().unwrap_or(Value::None)
    }

    fn type_error(&self, interp: &Interp, i: usize, want: &str, got: &Value) -> Box<Diagnostic> {
        self.wrong_kind(interp, i, want, got.kind())
    }

    /// Argument `i` is a `got` where the builtin needs `want` (`"a tensor"`): the
    /// diagnostic of the evaluator and of `tsr check`.
    pub fn wrong_kind(&self, interp: &Interp, i: usize, want: &str, got: &str) -> Box<Diagnostic> {
        let pname = self
            .builtin
            .params
            .get(i)
            .map(|p| p.name())
            .unwrap_or("argument");
        interp.fail(
            Diagnostic::error(
                "type::argument",
                format!(
                    "`{}` needs {want} for `{pname}`, found a {got}",
                    self.builtin.name,
                ),
            )
            .primary(self.span(i), format!("this is a {got}"))
            .help(format!("the signature is `{}`", self.builtin.signature())),
        )
    }

    /// A tensor argument; numbers become constant rank-0 tensors.
    pub fn tensor(&self, interp: &Interp, i: usize) -> R<Tensor> {
        let v = self.value(i);
        match &v {
            Value::Tensor(t) => Ok(t.clone()),
            Value::Number(n) => Ok(Tensor::constant(*n as f32)),
            Value::Bool(b) => Ok(Tensor::constant(*b as i32 as f32)),
            Value::List(_) | Value::Tuple(_) => {
                convert::tensor_from_value(interp, &v, self.span(i))
            }
            other => Err(self.type_error(interp, i, "a tensor", other)),
        }
    }

    pub fn number(&self, interp: &Interp, i: usize) -> R<f64> {
        let v = self.value(i);
        match &v {
            Value::Number(n) => Ok(*n),
            Value::Bool(b) => Ok(*b as i32 as f64),
            Value::Tensor(t) if t.numel() == 1 => Ok(t.item().unwrap_or(0.0) as f64),
            other => Err(self.type_error(interp, i, "a number", other)),
        }
    }

    pub fn number_or(&self, interp: &Interp, i: usize, default: f64) -> R<f64> {
        match self.get(i) {
            None => Ok(default),
            Some(_) => self.number(interp, i),
        }
    }

    pub fn int(&self, interp: &Interp, i: usize) -> R<i64> {
        interp.int_of(&self.value(i), self.span(i))
    }

    pub fn bool_or(&self, interp: &Interp, i: usize, default: bool) -> R<bool> {
        match self.get(i) {
            None => Ok(default),
            Some(v) => interp.truth_of(v, self.span(i)),
        }
    }

    pub fn axis(&self, interp: &Interp, i: usize) -> R<Option<isize>> {
        match self.get(i) {
            None => Ok(None),
            Some(v) => Ok(Some(interp.int_of(v, self.span(i))? as isize)),
        }
    }

    pub fn string(&self, interp: &Interp, i: usize) -> R<String> {
        match self.value(i) {
            Value::Str(s) => Ok(s.to_string()),
            other => Err(self.type_error(interp, i, "a string", &other)),
        }
    }

    /// Dimensions given as `f(2, 3)`, `f([2, 3])` or `f(x.shape)`, from slot `first` on
    /// and the variadic rest.
    pub fn dims(&self, interp: &Interp, first: usize) -> R<(Vec<i64>, Span)> {
        let mut vals: Vec<(Value, Span)> = Vec::new();
        for i in first..self.slots.len() {
            if matches!(self.builtin.params[i], P::Req(_) | P::Opt(..)) {
                if let Some((v, s)) = &self.slots[i] {
                    vals.push((v.clone().listlike(), *s));
                }
            }
        }
        vals.extend(self.rest.iter().map(|(v, s)| (v.clone().listlike(), *s)));
        let span = match (vals.first(), vals.last()) {
            (Some(a), Some(b)) => a.1.to(b.1),
            _ => self.call,
        };
        if vals.len() == 1 {
            if let Value::List(l) = &vals[0].0 {
                let items = l.borrow().clone();
                let mut out = Vec::new();
                for v in items {
                    out.push(interp.int_of(&v, vals[0].1)?);
                }
                return Ok((out, span));
            }
        }
        let mut out = Vec::new();
        for (v, s) in &vals {
            out.push(interp.int_of(v, *s)?);
        }
        Ok((out, span))
    }

    /// Dimensions that must be non-negative sizes.
    pub fn shape(&self, interp: &Interp, first: usize) -> R<Vec<usize>> {
        let (dims, span) = self.dims(interp, first)?;
        let mut out = Vec::with_capacity(dims.len());
        for d in dims {
            if d < 0 {
                return Err(interp.fail(
                    Diagnostic::error(
                        "type::shape",
                        format!(
                            "`{}` needs sizes that are 0 or more, found {d}",
                            self.builtin.name
                        ),
                    )
                    .primary(span, "a negative size")
                    .help(format!("the signature is `{}`", self.builtin.signature())),
                ));
            }
            out.push(d as usize);
        }
        if out.len() > crate::tensor::shape::MAX_RANK {
            return Err(interp.fail(
                Diagnostic::error(
                    "shape::rank",
                    format!(
                        "tensors have at most {} axes, `{}` was asked for {}",
                        crate::tensor::shape::MAX_RANK,
                        self.builtin.name,
                        out.len()
                    ),
                )
                .primary(span, "too many sizes"),
            ));
        }
        Ok(out)
    }

    /// The call site for a tensor error, with the given argument slots as operands.
    pub fn site(&self, interp: &Interp, operands: &[usize]) -> Site {
        Site {
            op: self.builtin.name.to_string(),
            primary: self.callee,
            operands: operands
                .iter()
                .filter(|&&i| self.slots.get(i).map(|s| s.is_some()).unwrap_or(false))
                .map(|&i| interp.operand(self.span(i), self.get(i)))
                .collect(),
            in_place: false,
            axis: self
                .builtin
                .axis_slot()
                .filter(|&i| matches!(self.slots.get(i), Some(Some(_))))
                .map(|i| self.span(i)),
        }
    }

    /// Turn a tensor-layer error into a diagnostic at this call.
    pub fn fail(
        &self,
        interp: &Interp,
        e: crate::tensor::TensorError,
        operands: &[usize],
    ) -> Box<Diagnostic> {
        interp.fail(explain::tensor_error(
            interp,
            e,
            &self.site(interp, operands),
        ))
    }
}

/// The parameter slot a keyword argument binds to. PyTorch's and NumPy's spellings of
/// the same parameter are one parameter (`dim=`/`axis=`, `keepdims=`/`keepdim=`,
/// `num_classes=`/`n=`); the evaluator's binder and `tsr check` both use this.
pub fn keyword_slot(b: &Builtin, name: &str) -> Option<usize> {
    let slot_of = |n: &str| {
        b.params
            .iter()
            .position(|p| p.name() == n && !matches!(p, P::Var(_) | P::VarKw(_)))
    };
    slot_of(name).or_else(|| match name {
        "dim" => slot_of("axis"),
        "axis" => slot_of("dim"),
        "keepdims" => slot_of("keepdim"),
        "keepdim" => slot_of("keepdims"),
        "num_classes" => slot_of("n"),
        "input" => slot_of("x"),
        _ => None,
    })
}

/// Whether a keyword is one of PyTorch's tensor options (`dtype=`, `device=`,
/// `requires_grad=`) that the builtin `b` has no parameter for: it is dropped.
pub fn is_torch_option(b: &Builtin, name: Option<&str>) -> bool {
    matches!(
        name,
        Some("dtype" | "device" | "requires_grad" | "pin_memory")
    ) && !b.params.iter().any(|p| Some(p.name()) == name)
}

pub use crate::runtime::value::ArgVal;

/// `a, b=1`: a user function's parameters as its signature shows them.
impl Interp {
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
            Value::BoundMethod(m) => {
                let (obj, f) = (m.0.clone(), m.1.clone());
                let mut argv = Vec::with_capacity(args.len() + 1);
                argv.push(ArgVal {
                    name: None,
                    value: obj,
                    span: callee_span,
                });
                argv.extend(args);
                self.call(&f, argv, callee_span, call_span)
            }
            Value::Class(c) => self.construct(c, args, callee_span, call_span),
            Value::Instance(_) => self.call_method(f.clone(), "__call__", args, call_span),
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
        let args = if args.iter().any(|a| a.name.is_some()) {
            self.drop_torch_options(b, args)
        } else {
            args
        };
        if self.is_abstract() && !runs_for_real(b, &args) {
            let out = self.with_domain(|d, it| d.call_builtin(it, b, args, callee_span, call_span));
            return Ok(out.unwrap_or(Value::None));
        }
        let mut bound = bind_args(self, b, args, callee_span, call_span)?;
        let out = (b.func)(self, &mut bound)?;
        self.lint_call(b, &bound, &out);
        Ok(out)
    }

    /// PyTorch's `dtype=`, `device=` and `requires_grad=` on a builtin that has no such
    /// parameter: tensors are f32 on the CPU and every tensor can take a gradient, so
    /// they are dropped, with a warning (once per place) when `dtype` asks for another type.
    fn drop_torch_options(&mut self, b: &'static Builtin, args: Vec<ArgVal>) -> Vec<ArgVal> {
        let mut kept = Vec::with_capacity(args.len());
        for a in args {
            let name = a.name.as_ref().map(|n| n.0.as_str());
            if !is_torch_option(b, name) {
                kept.push(a);
                continue;
            }
            if name == Some("dtype") {
                let asked = a.value.display();
                if !matches!(asked.as_str(), "float32" | "float" | "None") {
                    let d = Diagnostic::warning(
                        "type::dtype",
                        format!("tensors in tsr are always float32; `dtype={asked}` is ignored"),
                    )
                    .primary(a.span, "this dtype")
                    .help("whole numbers are stored exactly in float32 up to 2**24; `.long()` truncates toward zero");
                    self.warn_once(a.span, "dtype", d);
                }
            }
        }
        kept
    }

    fn call_user(
        &mut self,
        f: Rc<UserFn>,
        args: Vec<ArgVal>,
        callee_span: Span,
        call_span: Span,
    ) -> R<Value> {
        if self.is_abstract() && self.call_depth >= crate::runtime::interp::MAX_ABSTRACT_DEPTH {
            // Not followed deeper: what it returns is unknown.
            return Ok(self.with_domain(|d, _| d.unknown()).unwrap_or(Value::None));
        }
        if self.call_depth >= MAX_CALL_DEPTH {
            return Err(self.fail(
                Diagnostic::error("limit::recursion", format!("too deep: more than {MAX_CALL_DEPTH} nested calls of user functions"))
                    .primary(call_span, format!("the call of `{}` that went past the limit", f.name))
                    .help("a function that calls itself needs a case that returns without calling it again"),
            ));
        }
        self.check_interrupt(call_span, || None)?;
        let bound = crate::runtime::py::params::bind_user_args(
            &f.name,
            &f.params,
            &f.defaults,
            args.into_iter().map(|a| (a.name, a.value, a.span)),
            callee_span,
            call_span,
        )
        .map_err(|d| self.fail(d))?;
        let mut locals = Env::default();
        for (p, (value, arg_span)) in f.params.iter().zip(bound) {
            // Where each parameter got its value: the argument at the call site, or the
            // default in the `def`.
            let origin = match arg_span {
                Some(span) => Origin {
                    src_id: self.src_id,
                    span,
                },
                None => Origin {
                    src_id: f.src_id,
                    span: p.name.span,
                },
            };
            locals.insert(Rc::from(p.name.node.as_str()), Binding { value, origin });
        }
        // A function defined inside another can call itself by name (its captured
        // variables were taken before its own `def` bound it).
        let captured = f.captured.borrow().clone();
        let is_method = f.owner.borrow().is_some();
        if let (Some(c), false) = (&captured, is_method) {
            if !c.contains_key(f.name.as_str()) && !locals.contains_key(f.name.as_str()) {
                let origin = Origin {
                    src_id: f.src_id,
                    span: f.def_span,
                };
                locals.insert(
                    Rc::from(f.name.as_str()),
                    Binding {
                        value: Value::Function(f.clone()),
                        origin,
                    },
                );
            }
        }
        if self.is_abstract()
            && !self
                .with_domain(|d, it| d.enter_call(it, &f, &locals, call_span))
                .unwrap_or(true)
        {
            return Ok(self.with_domain(|d, _| d.unknown()).unwrap_or(Value::None));
        }
        let caller_src = self.src_id;
        self.frames.push(Frame {
            locals,
            captured,
            globals_declared: Vec::new(),
            func: Some(f.clone()),
            class_body: false,
            isolated: f.isolated,
        });
        self.src_id = f.src_id;
        self.call_depth += 1;
        let guard = f.no_grad.then(crate::tensor::NoGradGuard::new);
        let abstract_mode = self.is_abstract();
        if abstract_mode {
            self.abs_returns.push(Vec::new());
        }
        let mut result = self.exec_block(&f.body);
        if abstract_mode {
            // Returns on paths that a branch left (both arms were followed) join the value
            // the body ends with.
            let others = self.abs_returns.pop().unwrap_or_default();
            if std::mem::take(&mut self.abs_raised) {
                // Every path raised: what the call gives is not known.
                result = Ok(Flow::Return(
                    self.with_domain(|d, _| d.unknown()).unwrap_or(Value::None),
                ));
            }
            if let Ok(flow) = &mut result {
                for v in others {
                    let now = match std::mem::replace(flow, Flow::Normal) {
                        Flow::Return(r) => r,
                        _ => Value::None,
                    };
                    let j = self.with_domain(|d, _| d.join(&now, &v)).unwrap_or(now);
                    *flow = Flow::Return(j);
                }
            }
        }
        drop(guard);
        if abstract_mode {
            self.with_domain(|d, _| d.leave_call());
        }
        self.call_depth -= 1;
        self.src_id = caller_src;
        self.frames.pop();
        match result {
            Ok(Flow::Return(v)) => Ok(v),
            Ok(_) => Ok(Value::None),
            Err(mut e) => {
                // Where the error points now: its source, or the callee's if none yet.
                let in_library = match &e.source {
                    Some(src) => self.is_library_text(src),
                    None => self.library_source(f.src_id).is_some(),
                };
                if self.library_source(caller_src).is_some() {
                    // A call made by the library's own code is not the user's concern.
                    return Err(e);
                }
                if in_library && e.code != "interrupt" {
                    // An error inside tsr's own code (a layer's `forward`) is shown at
                    // the user's call; the library's lines follow as a note.
                    return Err(Box::new(e.reanchored(
                        call_span,
                        self.source(caller_src),
                        &f.name,
                    )));
                }
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
}

/// Whether abstract mode runs a builtin call for real: a Python-level builtin (on lists,
/// dicts, strings, objects) whose arguments are all known, or one that only stores an
/// abstract argument (`append`, `setattr`). Every other call goes to the domain.
pub fn runs_for_real(b: &Builtin, args: &[ArgVal]) -> bool {
    use crate::runtime::value::Check;
    let stores = matches!(b.check, Check::Append)
        || matches!(
            b.name,
            "setattr"
                | "list.insert"
                | "dict.setdefault"
                | "set.add"
                | "print"
                | "id"
                | "callable"
                | "getattr"
                | "hasattr"
                | "super"
                | "object.__init__"
                | "property"
                | "staticmethod"
                | "classmethod"
        );
    // (Into a container that is itself known.)
    if stores
        && !args
            .first()
            .is_some_and(|a| matches!(a.value, Value::Abs(_)))
    {
        return true;
    }
    if args.iter().any(|a| a.value.has_abs()) {
        return false;
    }
    matches!(
        b.check,
        Check::Len
            | Check::Range
            | Check::Int
            | Check::List
            | Check::Sorted
            | Check::Text
            | Check::TypeName
            | Check::IsInstance
            | Check::Unknown
    )
}
