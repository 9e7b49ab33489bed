//! Evaluation of Python's value constructs: tuples, dicts and sets, f-strings,
//! comprehensions, conditional expressions, `lambda`, `in`/`is`, iteration over any
//! sequence, and unpacking into targets.

use crate::runtime::interp::{Binding, Interp, R};
use crate::runtime::py::format::format_value;
use crate::runtime::value::{ArgVal, UserFn, Value};
use crate::runtime::value::{Dict, Key};
use crate::syntax::ast::{BinOp, CompFor, CompKind, Expr, FPart, Param, Stmt, Target};
use crate::syntax::diagnostic::Diagnostic;
use crate::syntax::span::Span;
use crate::tensor;
use std::cell::RefCell;
use std::rc::Rc;

impl Interp {
    pub(crate) fn eval_items(&mut self, items: &[Expr]) -> R<Vec<Value>> {
        let mut out = Vec::with_capacity(items.len());
        for e in items {
            match &e.kind {
                crate::syntax::ast::ExprKind::Starred(inner) => {
                    let v = self.eval(inner)?;
                    out.extend(self.iter_values(&v, inner.span)?);
                }
                _ => out.push(self.eval(e)?),
            }
        }
        Ok(out)
    }

    /// The keyword arguments of `**v` in a call (`span`: the `**v` argument): a dict's
    /// items, whose keys must be strings.
    pub(crate) fn keyword_items(&mut self, v: &Value, inner: Span, span: Span) -> R<Vec<ArgVal>> {
        let Value::Dict(d) = v else {
            if let Value::Abs(_) = v {
                return Err(crate::runtime::paths::undecided(span));
            }
            return Err(self.fail(
                Diagnostic::error(
                    "type::mismatch",
                    format!("`**` unpacks a dict into keyword arguments, not a {}", v.kind()),
                )
                .primary(inner, format!("this is a {}", v.kind()))
                .help("pass a dict of names to values (`f(**{\"lr\": 0.1})`), or `*` for a list of positional arguments"),
            ));
        };
        let entries = d.borrow().entries.clone();
        let mut out = Vec::with_capacity(entries.len());
        for (k, value) in entries {
            let Value::Str(name) = &k else {
                return Err(self.fail(
                    Diagnostic::error(
                        "type::mismatch",
                        format!("keyword names must be strings, not a {}", k.kind()),
                    )
                    .primary(inner, format!("this dict has the key {}", k.repr()))
                    .help("a dict unpacked with `**` maps parameter names (strings) to values"),
                ));
            };
            out.push(ArgVal {
                name: Some((name.to_string(), span)),
                value,
                span,
            });
        }
        Ok(out)
    }

    /// The key of `v` in a dict or set, or a diagnostic at `span`.
    pub(crate) fn key_of(&self, v: &Value, span: Span) -> R<Key> {
        if let Value::Abs(_) = v {
            return Err(crate::runtime::paths::undecided(span));
        }
        Key::of(v).ok_or_else(|| {
            self.fail(
                Diagnostic::error("type::unhashable", format!("a {} cannot be a dict key or set item", v.kind()))
                    .primary(span, format!("this is a {}", v.kind()))
                    .help("keys are numbers, strings, `None` or tuples of them; for a tensor use `t.item()` or `tuple(t.tolist())`"),
            )
        })
    }

    pub(crate) fn eval_dict(&mut self, pairs: &[(Expr, Expr)]) -> R<Value> {
        let mut d = Dict::default();
        for (k, v) in pairs {
            let key = self.eval(k)?;
            let value = self.eval(v)?;
            let h = self.key_of(&key, k.span)?;
            d.insert(h, key, value);
        }
        Ok(Value::dict(d))
    }

    pub(crate) fn make_set(&self, items: Vec<(Value, Span)>) -> R<Value> {
        let mut d = Dict::default();
        for (v, span) in items {
            let h = self.key_of(&v, span)?;
            d.insert(h, v, Value::None);
        }
        Ok(Value::Set(Rc::new(RefCell::new(d))))
    }

    pub(crate) fn eval_fstring(&mut self, parts: &[FPart]) -> R<Value> {
        Ok(Value::str(&self.fstring_text(parts)?))
    }

    fn fstring_text(&mut self, parts: &[FPart]) -> R<String> {
        let mut out = String::new();
        for p in parts {
            match p {
                FPart::Lit(s) => out.push_str(s),
                FPart::Field {
                    expr,
                    debug,
                    conv,
                    spec,
                } => {
                    let v = self.eval(expr)?;
                    if let Value::Abs(_) = v {
                        // The text is not known (a check).
                        return Err(crate::runtime::paths::undecided(expr.span));
                    }
                    let spec_text = self.fstring_text(spec)?;
                    if let Some(d) = debug {
                        out.push_str(d);
                    }
                    let v = match conv {
                        Some('r' | 'a') => Value::str(&self.show(&v, true)?),
                        Some(_) => Value::str(&self.show(&v, false)?),
                        // `{x=}` shows the repr unless a spec is given.
                        None if debug.is_some() && spec.is_empty() => {
                            Value::str(&self.show(&v, true)?)
                        }
                        None => v,
                    };
                    let text = match &v {
                        Value::Instance(_) if spec_text.is_empty() => self.show(&v, false)?,
                        _ => format_value(&v, &spec_text).map_err(|m| {
                            self.fail(
                                Diagnostic::error("type::format", m)
                                    .primary(expr.span, format!("this is a {}", v.kind())),
                            )
                        })?,
                    };
                    out.push_str(&text);
                }
            }
        }
        Ok(out)
    }

    /// The items a `for` walks over `v`, as Python iterates it: a list's or tuple's
    /// items, a range's numbers, a string's characters, a dict's keys, a set's items, a
    /// tensor's rows.
    pub fn iter_values(&mut self, v: &Value, span: Span) -> R<Vec<Value>> {
        Ok(match v {
            Value::Abs(a) => {
                let items = self.with_domain(|d, it| d.items(it, a, span));
                match items {
                    Some(crate::runtime::domain::AbsItems::Exact(v)) => v,
                    Some(crate::runtime::domain::AbsItems::Alike(e, Some(n)))
                        if n <= crate::runtime::domain::UNROLL =>
                    {
                        vec![e; n]
                    }
                    _ => return Err(crate::runtime::paths::undecided(span)),
                }
            }
            Value::List(items) => items.borrow().clone(),
            Value::Tuple(items) => items.as_ref().clone(),
            Value::Range { start, stop, step } => {
                let n = Value::range_len(*start, *stop, *step);
                if n > 100_000_000 {
                    return Err(self.fail(
                        Diagnostic::error(
                            "limit::memory",
                            "this range is too long to build as a list",
                        )
                        .primary(span, format!("{n} numbers"))
                        .help("loop over the range with `for` instead"),
                    ));
                }
                (0..n)
                    .map(|i| Value::Number((start + i * step) as f64))
                    .collect()
            }
            Value::Str(s) => s.chars().map(Value::char).collect(),
            Value::Dict(d) | Value::Set(d) => d.borrow().keys().cloned().collect(),
            Value::File(f) => f.1.split_inclusive('\n').map(Value::str).collect(),
            Value::Tensor(t) => {
                let shape = t.shape();
                if shape.is_empty() {
                    return Err(self.fail(
                        Diagnostic::error("type::not_iterable", "cannot iterate over a 0-d tensor")
                            .primary(span, "this tensor has no axes")
                            .help("use `t.item()` for its number"),
                    ));
                }
                let mut rows = Vec::with_capacity(shape[0]);
                for i in 0..shape[0] {
                    let row =
                        tensor::index(t, &[tensor::IndexItem::At(i as isize)]).map_err(|e| {
                            self.fail(crate::runtime::explain::tensor_error(
                                self,
                                e,
                                &crate::runtime::explain::Site::call("index", span, vec![]),
                            ))
                        })?;
                    rows.push(Value::Tensor(row));
                }
                rows
            }
            Value::Instance(i) => {
                use crate::runtime::builtins::iterators::is_iterator;
                if i.class.find("__iter__").is_some() {
                    let items = self.call_method(v.clone(), "__iter__", Vec::new(), span)?;
                    let same = matches!(&items, Value::Instance(j) if Rc::ptr_eq(i, j));
                    if !same {
                        return self.iter_values(&items, span);
                    }
                }
                if !is_iterator(v) {
                    return Err(self.fail(
                        Diagnostic::error(
                            "type::not_iterable",
                            format!("a `{}` object is not iterable", i.class.name),
                        )
                        .primary(span, "this object has no items to loop over")
                        .help("give its class `__iter__` returning a list, or `__iter__` returning `self` with a `__next__`"),
                    ));
                }
                return self.drain(v, span);
            }
            other => {
                return Err(self.fail(
                    Diagnostic::error(
                        "type::not_iterable",
                        format!("a {} is not iterable", other.kind()),
                    )
                    .primary(span, format!("this is a {}", other.kind()))
                    .help("iterate over a list, tuple, string, dict, range or tensor"),
                ))
            }
        })
    }

    /// The items an iterator gives: its `__next__` called until it raises
    /// `StopIteration`.
    fn drain(&mut self, it: &Value, span: Span) -> R<Vec<Value>> {
        if self.is_abstract() {
            // How many items it gives is not known before running.
            return Err(crate::runtime::paths::undecided(span));
        }
        let mut out = Vec::new();
        loop {
            match self.call_method(it.clone(), "__next__", Vec::new(), span) {
                Ok(v) => out.push(v),
                Err(e) if crate::runtime::builtins::iterators::is_stop_iteration(&e) => {
                    return Ok(out)
                }
                Err(e) => return Err(e),
            }
        }
    }

    /// Bind `value` to `target`: a name, an attribute, an index, or several targets that
    /// unpack it (`a, (b, c) = ...`).
    pub fn assign_to(&mut self, target: &Target, value: Value, stmt_span: Span) -> R<()> {
        match target {
            Target::Name(n) => {
                self.bind(&n.node, value, stmt_span);
                Ok(())
            }
            Target::Tuple { items, span } => {
                let values = match &value {
                    Value::Tensor(_)
                    | Value::Dict(_)
                    | Value::Set(_)
                    | Value::Str(_)
                    | Value::List(_)
                    | Value::Tuple(_)
                    | Value::Range { .. }
                    | Value::Instance(_)
                    | Value::Abs(_)
                    | Value::File(_) => self.iter_values(&value, *span)?,
                    other => {
                        return Err(self.fail(
                            Diagnostic::error(
                                "type::unpack",
                                format!(
                                    "cannot unpack a {} into {} names",
                                    other.kind(),
                                    items.len()
                                ),
                            )
                            .primary(*span, format!("{} names", items.len()))
                            .help("unpack a tuple or list with as many items as names"),
                        ))
                    }
                };
                let star = items
                    .iter()
                    .position(|t| matches!(t, Target::Starred { .. }));
                let Some(s) = star else {
                    if values.len() != items.len() {
                        return Err(self.fail(unpack_error(items.len(), values.len(), *span)));
                    }
                    for (t, v) in items.iter().zip(values) {
                        self.assign_to(t, v, stmt_span)?;
                    }
                    return Ok(());
                };
                // `a, *mid, z = xs`: the names around the starred one take one item each,
                // and it takes the rest as a list.
                let fixed = items.len() - 1;
                if values.len() < fixed {
                    return Err(self.fail(
                        Diagnostic::error(
                            "type::unpack",
                            format!(
                                "not enough values to unpack: {} into at least {fixed} names",
                                crate::runtime::explain::plural(values.len(), "values")
                            ),
                        )
                        .primary(*span, format!("{fixed} names besides the starred one"))
                        .help(format!(
                            "the value has {}; the starred name may take none, the others need one each",
                            crate::runtime::explain::plural(values.len(), "items")
                        )),
                    ));
                }
                let mut values = values;
                let after = values.split_off(values.len() - (fixed - s));
                let middle = values.split_off(s);
                let seq = values
                    .into_iter()
                    .chain(std::iter::once(Value::list(middle)))
                    .chain(after);
                for (t, v) in items.iter().zip(seq) {
                    self.assign_to(t, v, stmt_span)?;
                }
                Ok(())
            }
            Target::Starred { target, .. } => self.assign_to(target, value, stmt_span),
            Target::Attr { object, name, .. } => {
                let obj = self.eval(object)?;
                self.set_attribute(&obj, object.span, &name.node, name.span, value)
            }
            Target::Index {
                object,
                items,
                span,
            } => {
                let obj = self.eval(object)?;
                let value_expr = Expr::new(crate::syntax::ast::ExprKind::None, *span);
                self.assign_index(obj, object, items, *span, None, *span, &value_expr, value)
            }
        }
    }

    /// A comprehension: list, set, dict, or a generator (built eagerly as a list). Its
    /// loop variables are its own: the names they had before are restored after.
    pub(crate) fn eval_comp(
        &mut self,
        kind: CompKind,
        elt: &Expr,
        value: Option<&Expr>,
        clauses: &[CompFor],
        span: Span,
    ) -> R<Value> {
        let mut names = Vec::new();
        for c in clauses {
            c.target.names(&mut names);
        }
        let saved: Vec<Option<Binding>> = names
            .iter()
            .map(|n| self.lookup(&n.node).cloned())
            .collect();
        let mut out: Vec<(Value, Option<Value>, Span)> = Vec::new();
        let outer = std::mem::take(&mut self.abs_inexact);
        let result = self.comp_level(clauses, elt, value, &mut out);
        for (n, old) in names.iter().zip(saved) {
            self.restore(&n.node, old);
        }
        result?;
        if std::mem::replace(&mut self.abs_inexact, outer) {
            // Abstract mode: which items there are is not known.
            return Ok(self.with_domain(|d, _| d.unknown()).unwrap_or(Value::None));
        }
        Ok(match kind {
            CompKind::List | CompKind::Gen => {
                Value::list(out.into_iter().map(|(v, ..)| v).collect())
            }
            CompKind::Set => self.make_set(out.into_iter().map(|(v, _, s)| (v, s)).collect())?,
            CompKind::Dict => {
                let mut d = Dict::default();
                for (k, v, s) in out {
                    let h = self.key_of(&k, s)?;
                    d.insert(h, k, v.unwrap_or(Value::None));
                }
                let _ = span;
                Value::dict(d)
            }
        })
    }

    fn comp_level(
        &mut self,
        clauses: &[CompFor],
        elt: &Expr,
        value: Option<&Expr>,
        out: &mut Vec<(Value, Option<Value>, Span)>,
    ) -> R<()> {
        let Some((first, rest)) = clauses.split_first() else {
            let k = self.eval(elt)?;
            let v = match value {
                Some(v) => Some(self.eval(v)?),
                None => None,
            };
            out.push((k, v, elt.span));
            return Ok(());
        };
        let it = self.eval(&first.iter)?;
        let items = match &it {
            Value::Abs(a) => match self.with_domain(|d, i| d.items(i, a, first.iter.span)) {
                Some(crate::runtime::domain::AbsItems::Exact(v)) => v,
                Some(crate::runtime::domain::AbsItems::Alike(e, _)) => {
                    // One item standing for all: its errors are found, the list is not known.
                    self.abs_inexact = true;
                    vec![e]
                }
                None => Vec::new(),
            },
            _ => {
                let mut items = self.iter_values(&it, first.iter.span)?;
                if self.is_abstract() && items.len() > crate::runtime::domain::UNROLL * 8 {
                    // A check follows one item of a long comprehension (its errors are
                    // certain); the list it builds is not known.
                    items.truncate(1);
                    self.abs_inexact = true;
                }
                items
            }
        };
        'items: for item in items {
            self.check_interrupt(first.iter.span, || None)?;
            self.assign_to(&first.target, item, first.target.span())?;
            for c in &first.conds {
                let ok = self.eval(c)?;
                match self.truth3(&ok, c.span)? {
                    Some(true) => {}
                    Some(false) => continue 'items,
                    None => self.abs_inexact = true,
                }
            }
            self.comp_level(rest, elt, value, out)?;
        }
        Ok(())
    }

    /// Put back a variable's earlier binding (or remove it) after a comprehension.
    fn restore(&mut self, name: &str, old: Option<Binding>) {
        let env = match self.frames.last_mut() {
            Some(f) => &mut f.locals,
            None => &mut self.globals,
        };
        match old {
            Some(b) => {
                env.insert(Rc::from(name), b);
            }
            None => {
                env.remove(name);
            }
        }
    }

    pub(crate) fn make_lambda(
        &mut self,
        params: &[Param],
        body: &Rc<Vec<Stmt>>,
        span: Span,
    ) -> R<Value> {
        let mut defaults = Vec::with_capacity(params.len());
        for p in params {
            defaults.push(match &p.default {
                Some(d) => Some(self.eval(d)?),
                None => None,
            });
        }
        Ok(Value::Function(Rc::new(UserFn {
            name: "<lambda>".to_string(),
            params: params.to_vec(),
            defaults,
            body: body.clone(),
            src_id: self.src_id,
            def_span: span,
            captured: RefCell::new(self.capture()),
            no_grad: false,
            owner: RefCell::new(None),
            isolated: self.frames.last().is_some_and(|f| f.isolated),
        })))
    }

    /// The local variables a function defined here can see (Python's closures, by value).
    pub(crate) fn capture(&self) -> Option<Rc<crate::runtime::interp::Env>> {
        let frame = self.frames.last()?;
        if frame.class_body {
            // Methods see the scope around the class, not the class body's names.
            return frame.captured.clone();
        }
        let mut env = frame.locals.clone();
        if let Some(outer) = &frame.captured {
            for (k, v) in outer.iter() {
                env.entry(k.clone()).or_insert_with(|| v.clone());
            }
        }
        Some(Rc::new(env))
    }

    /// `in`, `not in`, `is`, `is not`.
    pub(crate) fn membership(
        &mut self,
        op: BinOp,
        l: &Value,
        r: &Value,
        lspan: Span,
        rspan: Span,
    ) -> R<Value> {
        let b = match op {
            BinOp::Is | BinOp::IsNot => {
                let same = identical(l, r);
                if op == BinOp::Is {
                    same
                } else {
                    !same
                }
            }
            _ => {
                let found = self.contains(r, l, rspan, lspan)?;
                if op == BinOp::In {
                    found
                } else {
                    !found
                }
            }
        };
        Ok(Value::Bool(b))
    }

    fn contains(&mut self, container: &Value, item: &Value, cspan: Span, ispan: Span) -> R<bool> {
        if let Value::Instance(i) = container {
            let arg = crate::runtime::call::ArgVal {
                name: None,
                value: item.clone(),
                span: ispan,
            };
            let r = if i.class.find("__contains__").is_some() {
                self.call_method(container.clone(), "__contains__", vec![arg], cspan)?
            } else {
                let items = self.iter_values(container, cspan)?;
                Value::Bool(
                    items
                        .iter()
                        .any(|v| crate::runtime::eval::values_equal(v, item)),
                )
            };
            return self.truthy(&r, cspan);
        }
        Ok(match container {
            Value::List(items) => items
                .borrow()
                .iter()
                .any(|v| crate::runtime::eval::values_equal(v, item)),
            Value::Tuple(items) => items
                .iter()
                .any(|v| crate::runtime::eval::values_equal(v, item)),
            Value::Dict(d) | Value::Set(d) => match Key::of(item) {
                Some(k) => d.borrow().contains(&k),
                None => {
                    return Err(self.key_of(item, ispan).err().unwrap_or_else(|| {
                        self.fail(
                            Diagnostic::error("type::unhashable", "unhashable").primary(ispan, ""),
                        )
                    }))
                }
            },
            Value::Str(s) => match item {
                Value::Str(sub) => s.contains(sub.as_ref()),
                other => {
                    return Err(self.fail(
                        Diagnostic::error(
                            "type::operator",
                            format!(
                                "`in <string>` needs a string on the left, not a {}",
                                other.kind()
                            ),
                        )
                        .primary(ispan, format!("this is a {}", other.kind())),
                    ))
                }
            },
            Value::Range { start, stop, step } => match crate::runtime::eval::as_number(item) {
                Some(x) if x.fract() == 0.0 => {
                    let x = x as i64;
                    let n = Value::range_len(*start, *stop, *step);
                    n > 0
                        && (x - start) % step == 0
                        && (x - start) / step >= 0
                        && (x - start) / step < n
                }
                _ => false,
            },
            Value::Tensor(t) => match crate::runtime::eval::as_number(item) {
                Some(x) => t.data().iter().any(|&v| v as f64 == x),
                None => false,
            },
            other => {
                return Err(self.fail(
                    Diagnostic::error(
                        "type::operator",
                        format!(
                            "`in` needs a container on the right, not a {}",
                            other.kind()
                        ),
                    )
                    .primary(cspan, format!("this is a {}", other.kind())),
                ))
            }
        })
    }
}

/// `type::unpack`: `want` names for a value of `got` items.
/// `1 item`, `3 items`.
pub fn unpack_error(want: usize, got: usize, span: Span) -> Diagnostic {
    let msg = if got > want {
        format!("too many values to unpack: {got} values into {want} names")
    } else {
        format!("not enough values to unpack: {got} values into {want} names")
    };
    Diagnostic::error("type::unpack", msg)
        .primary(span, format!("{want} names here"))
        .help(format!(
            "the value has {got} items: write {got} names, or index it (`v[0]`)"
        ))
}

/// Python's `is`: the same object. `None`, bools and equal small values are the same;
/// containers, tensors and objects by identity.
pub fn identical(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::None, Value::None) => true,
        (Value::Bool(x), Value::Bool(y)) => x == y,
        (Value::Number(x), Value::Number(y)) => x == y,
        (Value::Str(x), Value::Str(y)) => x == y,
        (Value::List(x), Value::List(y)) => Rc::ptr_eq(x, y),
        (Value::Tuple(x), Value::Tuple(y)) => Rc::ptr_eq(x, y),
        (Value::Dict(x), Value::Dict(y)) | (Value::Set(x), Value::Set(y)) => Rc::ptr_eq(x, y),
        (Value::Tensor(x), Value::Tensor(y)) => x.id() == y.id(),
        (Value::Instance(x), Value::Instance(y)) => Rc::ptr_eq(x, y),
        (Value::Class(x), Value::Class(y)) => Rc::ptr_eq(x, y),
        (Value::Function(x), Value::Function(y)) => Rc::ptr_eq(x, y),
        (Value::Builtin(x), Value::Builtin(y)) => std::ptr::eq(*x, *y),
        (Value::Module(x), Value::Module(y)) => std::ptr::eq(*x, *y),
        _ => false,
    }
}
