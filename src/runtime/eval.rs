//! Expressions: evaluation of every expression form, operators on numbers, strings,
//! lists and tensors (with broadcasting), attributes and indexing.

use crate::runtime::call::ArgVal;
use crate::runtime::explain::{self, Site};
use crate::runtime::interp::{Interp, OpCall, R};
use crate::runtime::value::Value;
use crate::syntax::ast::{Arg, BinOp, Expr, ExprKind, IndexItem, LogicOp};
use crate::syntax::diagnostic::Diagnostic;
use crate::syntax::span::Span;
use crate::tensor::{self, Tensor};
use std::rc::Rc;

impl Interp {
    pub fn eval(&mut self, e: &Expr) -> R<Value> {
        match &e.kind {
            ExprKind::Number(n) => Ok(Value::Number(*n)),
            ExprKind::Str(s) => Ok(Value::str(s)),
            ExprKind::Bool(b) => Ok(Value::Bool(*b)),
            ExprKind::None => Ok(Value::None),
            ExprKind::Name(n) => match self.lookup(n) {
                Some(b) => Ok(b.value.clone()),
                None => match self.builtins.find(n) {
                    Some(b) => Ok(Value::Builtin(b)),
                    None => Err(self.unknown_name(n, e.span)),
                },
            },
            ExprKind::List(items) => Ok(Value::list(self.eval_items(items)?)),
            ExprKind::Unary { op, operand } => {
                let v = self.eval(operand)?;
                if let Value::Abs(_) = v {
                    return Ok(self.domain_value(|d, it| d.unary(it, *op, v, e.span, operand)));
                }
                self.unary(*op, v, e.span, operand)
            }
            ExprKind::Binary {
                op: BinOp::MatMul,
                op_span,
                lhs,
                rhs,
            } if !self.is_abstract()
                && (super::index::is_transpose(rhs) || super::index::is_transpose(lhs)) =>
            {
                self.matmul_transposed(*op_span, lhs, rhs)
            }
            ExprKind::Binary {
                op,
                op_span,
                lhs,
                rhs,
            } => {
                let l = self.eval(lhs)?;
                let r = self.eval(rhs)?;
                let (op, op_span) = (*op, *op_span);
                self.binary_any(OpCall {
                    op,
                    op_span,
                    l,
                    r,
                    lhs,
                    rhs,
                })
            }
            ExprKind::Compare { first, rest } => {
                let mut left = self.eval(first)?;
                let mut left_expr: &Expr = first;
                let mut result = Value::Bool(true);
                for (op, op_span, right_expr) in rest {
                    let right = self.eval(right_expr)?;
                    let r = self.binary_any(OpCall {
                        op: *op,
                        op_span: *op_span,
                        l: left,
                        r: right.clone(),
                        lhs: left_expr,
                        rhs: right_expr,
                    })?;
                    match self.truth3(&r, e.span)? {
                        Some(true) => {}
                        Some(false) => return Ok(r),
                        None => return self.undecided_chain(rest, right_expr),
                    }
                    result = r;
                    left = right;
                    left_expr = right_expr;
                }
                Ok(result)
            }
            ExprKind::Logic { op, lhs, rhs } => {
                let l = self.eval(lhs)?;
                let Some(t) = self.truth3(&l, lhs.span)? else {
                    // Either operand may be the value.
                    return self.either(Ok(l), rhs);
                };
                match (op, t) {
                    (LogicOp::And, false) | (LogicOp::Or, true) => Ok(l),
                    _ => self.eval(rhs),
                }
            }
            ExprKind::Call { callee, args } => {
                let f = self.eval(callee)?;
                let argv = self.eval_args(args)?;
                self.call(&f, argv, callee.span, e.span)
            }
            ExprKind::Method {
                receiver,
                name,
                args,
            } => {
                let recv = self.eval(receiver)?;
                if let Some(f) = self.object_attribute(&recv, &name.node, name.span) {
                    let f = f?;
                    let argv = self.eval_args(args)?;
                    return self.call(&f, argv, name.span, e.span);
                }
                let user_fn = matches!(
                    self.lookup(&name.node).map(|b| &b.value),
                    Some(Value::Function(_))
                );
                // (An abstract receiver's kind is the domain's to say.)
                let kind = match &recv {
                    Value::Abs(a) => self.with_domain(|d, _| d.kind(a)).unwrap_or("value"),
                    other => other.kind(),
                };
                if let Some(b) = self.kind_method(kind, &name.node).filter(|_| !user_fn) {
                    let mut argv = Vec::with_capacity(args.len() + 1);
                    argv.push(ArgVal {
                        name: None,
                        value: recv,
                        span: receiver.span,
                    });
                    argv.extend(self.eval_args(args)?);
                    return self.call(&Value::Builtin(b), argv, name.span, e.span);
                }
                let f = match self.lookup(&name.node) {
                    Some(b) if matches!(b.value, Value::Function(_) | Value::Builtin(_)) => {
                        b.value.clone()
                    }
                    _ => match self.builtins.find(&name.node) {
                        Some(b) => Value::Builtin(b),
                        // Of a value of unknown kind, nothing is known.
                        None if kind == "value" && self.is_abstract() => {
                            self.eval_args(args)?;
                            return Ok(self.domain_value(|d, _| d.unknown()));
                        }
                        None => return Err(self.unknown_method(&name.node, name.span, kind)),
                    },
                };
                let mut argv = Vec::with_capacity(args.len() + 1);
                argv.push(ArgVal {
                    name: None,
                    value: recv,
                    span: receiver.span,
                });
                argv.extend(self.eval_args(args)?);
                self.call(&f, argv, name.span, e.span)
            }
            ExprKind::Attr { object, name } => {
                let v = self.eval(object)?;
                if let Value::Abs(_) = v {
                    let (name, at) = (name.node.as_str(), name.span);
                    return Ok(self.domain_value(|d, it| d.attribute(it, v, object, name, at)));
                }
                self.attribute(v, object, name.node.as_str(), name.span)
            }
            ExprKind::Index { object, items } => {
                let v = self.eval(object)?;
                if let Value::Abs(_) = v {
                    let items = self.eval_index_items(items)?;
                    return Ok(self.domain_value(|d, it| d.index(it, v, object, items, e.span)));
                }
                self.index(v, object, items, e.span)
            }
            ExprKind::Tuple(items) => Ok(Value::tuple(self.eval_items(items)?)),
            ExprKind::Dict(pairs) => self.eval_dict(pairs),
            ExprKind::Set(items) => {
                let mut vs = Vec::with_capacity(items.len());
                for it in items {
                    vs.push((self.eval(it)?, it.span));
                }
                self.make_set(vs)
            }
            ExprKind::FString(parts) => self.eval_fstring(parts),
            ExprKind::Comp {
                kind,
                elt,
                value,
                clauses,
            } => self.eval_comp(*kind, elt, value.as_deref(), clauses, e.span),
            ExprKind::Walrus { name, value } => {
                let v = self.eval(value)?;
                self.bind(&name.node, v.clone(), e.span);
                Ok(v)
            }
            ExprKind::IfExp { cond, then, orelse } => {
                let c = self.eval(cond)?;
                match self.truth3(&c, cond.span)? {
                    Some(true) => self.eval(then),
                    Some(false) => self.eval(orelse),
                    None => {
                        let a = self.eval(then);
                        self.either(a, orelse)
                    }
                }
            }
            ExprKind::Lambda { params, body } => self.make_lambda(params, body, e.span),
            ExprKind::Starred(_) | ExprKind::DoubleStarred(_) => {
                let (what, help) = match e.kind {
                    ExprKind::Starred(_) => (
                        "`*` unpacking is allowed only in a call or a list or tuple",
                        "write `f(*xs)` or `[*xs, y]`",
                    ),
                    _ => (
                        "`**` unpacking is allowed only in a call's arguments",
                        "write `f(**options)`",
                    ),
                };
                Err(self.fail(
                    Diagnostic::error("syntax::unexpected", what)
                        .primary(e.span, "unpacked here")
                        .help(help),
                ))
            }
        }
    }

    pub(crate) fn eval_args(&mut self, args: &[Arg]) -> R<Vec<ArgVal>> {
        let mut out = Vec::with_capacity(args.len());
        for a in args {
            if let ExprKind::Starred(inner) = &a.value.kind {
                let v = self.eval(inner)?;
                for item in self.iter_values(&v, inner.span)? {
                    out.push(ArgVal {
                        name: None,
                        value: item,
                        span: a.value.span,
                    });
                }
                continue;
            }
            if let ExprKind::DoubleStarred(inner) = &a.value.kind {
                let v = self.eval(inner)?;
                out.extend(self.keyword_items(&v, inner.span, a.value.span)?);
                continue;
            }
            let value = self.eval(&a.value)?;
            out.push(ArgVal {
                name: a.name.as_ref().map(|n| (n.node.clone(), n.span)),
                value,
                span: a.value.span,
            });
        }
        Ok(out)
    }

    pub fn truthy(&mut self, v: &Value, span: Span) -> R<bool> {
        if let Value::Abs(a) = v {
            return self
                .abstract_truth(a, span)
                .ok_or_else(|| crate::runtime::paths::undecided(span));
        }
        if let Value::Instance(i) = v {
            // `__bool__`, else `__len__` (an empty container is false), else true.
            for (method, is_len) in [("__bool__", false), ("__len__", true)] {
                if i.class.find(method).is_some() {
                    let r = self.call_method(v.clone(), method, Vec::new(), span)?;
                    return Ok(match (&r, is_len) {
                        (Value::Bool(b), _) => *b,
                        (Value::Number(n), _) => *n != 0.0,
                        _ => true,
                    });
                }
            }
            return Ok(true);
        }
        self.truth_of(v, span)
    }

    /// The truth of a value that is not an instance of a user class (`bool_or`'s).
    pub fn truth_of(&self, v: &Value, span: Span) -> R<bool> {
        Ok(match v {
            Value::Abs(_) => return Err(crate::runtime::paths::undecided(span)),
            Value::None => false,
            Value::Bool(b) => *b,
            Value::Number(n) => *n != 0.0,
            Value::Str(s) => !s.is_empty(),
            Value::List(l) => !l.borrow().is_empty(),
            Value::Tuple(t) => !t.is_empty(),
            Value::Dict(d) | Value::Set(d) => !d.borrow().is_empty(),
            Value::Range { start, stop, step } => Value::range_len(*start, *stop, *step) > 0,
            Value::Tensor(t) => match t.item() {
                Some(x) => x != 0.0,
                None => {
                    return Err(self.fail(
                        Diagnostic::error(
                            "type::ambiguous_truth",
                            format!("the truth value of a tensor with {} elements is ambiguous", t.numel()),
                        )
                        .primary(span, format!("a tensor of shape {}", explain::shape_str(&t.shape())))
                        .help("reduce it to one element first, e.g. `all(...)` is spelled `min(x) > 0`, `any(...)` is `max(x) > 0`"),
                    ))
                }
            },
            Value::Function(_)
            | Value::Builtin(_)
            | Value::Optimizer(_)
            | Value::Generator(_)
            | Value::Class(_)
            | Value::Instance(_)
            | Value::BoundMethod(_)
            | Value::Super(_)
            | Value::File(_)
            | Value::Descriptor(_)
            | Value::Module(_) => true,
        })
    }

    /// A number, a bool or a tensor as a tensor (numbers become constants).
    pub fn to_tensor(&self, v: &Value, span: Span) -> R<Tensor> {
        match v {
            Value::Tensor(t) => Ok(t.clone()),
            Value::Number(n) => Ok(Tensor::constant(*n as f32)),
            Value::Bool(b) => Ok(Tensor::constant(if *b { 1.0 } else { 0.0 })),
            other => Err(self.fail(
                Diagnostic::error(
                    "type::tensor",
                    format!("expected a tensor or a number, found a {}", other.kind()),
                )
                .primary(span, format!("this is a {}", other.kind())),
            )),
        }
    }

    /// Apply a binary operator; `lhs`/`rhs` are the operand expressions for diagnostics.
    pub fn binary(
        &mut self,
        op: BinOp,
        op_span: Span,
        l: Value,
        r: Value,
        lhs: &Expr,
        rhs: &Expr,
    ) -> R<Value> {
        use Value::*;
        if op.is_membership_or_identity() {
            return self.membership(op, &l, &r, lhs.span, rhs.span);
        }
        if let Some(v) = self.instance_binary(op, op_span, &l, &r, lhs.span, rhs.span) {
            return v;
        }
        if matches!(op, BinOp::Eq | BinOp::Ne)
            && (matches!(l, Value::None) || matches!(r, Value::None))
        {
            // `x == None`: only None equals None (a tensor is never None).
            let same = matches!((&l, &r), (Value::None, Value::None));
            return Ok(Value::Bool(same == (op == BinOp::Eq)));
        }
        if let (BinOp::Mod, Str(_)) = (op, &l) {
            // `"%.3f" % t`: formatting, whatever the arguments are.
            if let Some(v) = self.sequence_binary(op, op_span, &l, &r)? {
                return Ok(v);
            }
        }
        match (&l, &r) {
            (Tensor(_), _) | (_, Tensor(_)) => {
                return self.tensor_binary(op, op_span, &l, &r, lhs, rhs)
            }
            _ => {}
        }
        if let Some(v) = self.sequence_binary(op, op_span, &l, &r)? {
            return Ok(v);
        }
        if let (BinOp::BitAnd | BinOp::BitOr | BinOp::BitXor, Bool(a), Bool(b)) = (op, &l, &r) {
            return Ok(Bool(match op {
                BinOp::BitAnd => *a && *b,
                BinOp::BitOr => *a || *b,
                _ => *a != *b,
            }));
        }
        if let (Some(a), Some(b)) = (as_number(&l), as_number(&r)) {
            return self.number_binary(op, op_span, a, b, lhs, rhs);
        }
        match (op, &l, &r) {
            (BinOp::Add, Str(a), Str(b)) => Ok(Value::str(&format!("{a}{b}"))),
            (BinOp::Add, List(a), List(b)) => {
                let mut v = a.borrow().clone();
                v.extend(b.borrow().iter().cloned());
                Ok(Value::list(v))
            }
            (BinOp::Mul, Str(s), n) | (BinOp::Mul, n, Str(s)) if as_number(n).is_some() => {
                let k = as_number(n).unwrap_or(0.0).max(0.0) as usize;
                if s.len().saturating_mul(k) > 1 << 30 {
                    return Err(self.fail(
                        Diagnostic::error("limit::memory", "string too large").primary(op_span, ""),
                    ));
                }
                Ok(Value::str(&s.repeat(k)))
            }
            (BinOp::Mul, List(items), n) | (BinOp::Mul, n, List(items))
                if as_number(n).is_some() =>
            {
                let k = as_number(n).unwrap_or(0.0).max(0.0) as usize;
                let items = items.borrow();
                if items.len().saturating_mul(k) > 1 << 26 {
                    return Err(self.fail(
                        Diagnostic::error("limit::memory", "list too large").primary(op_span, ""),
                    ));
                }
                let mut v = Vec::with_capacity(items.len() * k);
                for _ in 0..k {
                    v.extend(items.iter().cloned());
                }
                Ok(Value::list(v))
            }
            (BinOp::Eq, _, _) => Ok(Bool(values_equal(&l, &r))),
            (BinOp::Ne, _, _) => Ok(Bool(!values_equal(&l, &r))),
            (BinOp::Lt | BinOp::Le | BinOp::Gt | BinOp::Ge, Str(a), Str(b)) => Ok(Bool(match op {
                BinOp::Lt => a < b,
                BinOp::Le => a <= b,
                BinOp::Gt => a > b,
                _ => a >= b,
            })),
            _ => Err(self.fail(explain::operator_type_error(
                op,
                op_span,
                l.kind(),
                r.kind(),
                lhs.span,
                rhs.span,
            ))),
        }
    }

    pub(crate) fn number_binary(
        &mut self,
        op: BinOp,
        op_span: Span,
        a: f64,
        b: f64,
        lhs: &Expr,
        rhs: &Expr,
    ) -> R<Value> {
        let zero_div = |this: &Interp, what: &str| {
            this.fail(
                Diagnostic::error("value::zero_division", format!("{what} by zero"))
                    .primary(op_span, "")
                    .label(rhs.span, "this is 0"),
            )
        };
        Ok(match op {
            BinOp::Add => Value::Number(a + b),
            BinOp::Sub => Value::Number(a - b),
            BinOp::Mul => Value::Number(a * b),
            BinOp::Div => {
                if b == 0.0 {
                    return Err(zero_div(self, "division"));
                }
                Value::Number(a / b)
            }
            BinOp::Mod => {
                if b == 0.0 {
                    return Err(zero_div(self, "modulo"));
                }
                Value::Number(python_mod(a, b))
            }
            BinOp::FloorDiv => {
                if b == 0.0 {
                    return Err(zero_div(self, "integer division"));
                }
                Value::Number((a / b).floor())
            }
            BinOp::In | BinOp::NotIn | BinOp::Is | BinOp::IsNot => {
                return self.membership(
                    op,
                    &Value::Number(a),
                    &Value::Number(b),
                    lhs.span,
                    rhs.span,
                )
            }
            BinOp::Pow => {
                if a == 0.0 && b < 0.0 {
                    return Err(zero_div(self, "0 raised to a negative power: division"));
                }
                Value::Number(a.powf(b))
            }
            BinOp::MatMul => {
                return Err(self.fail(
                    Diagnostic::error("type::operator", "`@` multiplies tensors, not numbers")
                        .primary(op_span, "matrix product")
                        .label(lhs.span, "a number")
                        .label(rhs.span, "a number")
                        .help("use `*` to multiply numbers"),
                ))
            }
            BinOp::Eq => Value::Bool(a == b),
            BinOp::Ne => Value::Bool(a != b),
            BinOp::Lt => Value::Bool(a < b),
            BinOp::Le => Value::Bool(a <= b),
            BinOp::Gt => Value::Bool(a > b),
            BinOp::Ge => Value::Bool(a >= b),
            BinOp::BitAnd | BinOp::BitOr | BinOp::BitXor => {
                return crate::runtime::index::bitwise(self, op, a, b, lhs, rhs)
            }
        })
    }

    pub(crate) fn tensor_binary(
        &mut self,
        op: BinOp,
        op_span: Span,
        l: &Value,
        r: &Value,
        lhs: &Expr,
        rhs: &Expr,
    ) -> R<Value> {
        let (a, b) = match (self.to_tensor(l, lhs.span), self.to_tensor(r, rhs.span)) {
            (Ok(a), Ok(b)) => (a, b),
            _ => {
                return Err(self.fail(explain::operator_type_error(
                    op,
                    op_span,
                    l.kind(),
                    r.kind(),
                    lhs.span,
                    rhs.span,
                )))
            }
        };
        let result = match op {
            BinOp::MatMul => tensor::matmul(&a, &b),
            BinOp::FloorDiv => tensor::binary(tensor::BinaryOp::Div, &a, &b)
                .map(|q| tensor::unary(tensor::UnaryOp::Floor, &q)),
            BinOp::BitAnd => tensor::logical(tensor::LogicalOp::And, &a, Some(&b)),
            BinOp::BitOr => tensor::logical(tensor::LogicalOp::Or, &a, Some(&b)),
            BinOp::BitXor => {
                crate::runtime::index::xor_operands(self, op_span, [(l, &a, lhs), (r, &b, rhs)])?;
                tensor::logical(tensor::LogicalOp::Xor, &a, Some(&b))
            }
            _ => match explain::binary_kind(op) {
                Some(kind) => tensor::binary(kind, &a, &b),
                None => unreachable_op(),
            },
        };
        match result {
            Ok(t) => {
                self.check_finite(&t, &[&a, &b], op_span, op.symbol());
                self.lint_binary(op, op_span, lhs, rhs, l, r, &t);
                Ok(Value::Tensor(t))
            }
            Err(e) => {
                let site = Site {
                    op: op.symbol().to_string(),
                    primary: op_span,
                    operands: vec![
                        self.operand(lhs.span, Some(l)),
                        self.operand(rhs.span, Some(r)),
                    ],
                    in_place: false,
                    axis: None,
                };
                Err(self.fail(explain::tensor_error(self, e, &site)))
            }
        }
    }

    pub(crate) fn attribute(
        &mut self,
        v: Value,
        object: &Expr,
        name: &str,
        span: Span,
    ) -> R<Value> {
        if let Some(r) = self.object_attribute(&v, name, span) {
            return r;
        }
        match (&v, name) {
            (Value::Tensor(t), "shape") => Ok(Value::list(
                t.shape().iter().map(|&d| Value::Number(d as f64)).collect(),
            )),
            (Value::Tensor(t), "ndim") => Ok(Value::Number(t.ndim() as f64)),
            (Value::Tensor(t), "T") => tensor::try_t_reverse(t).map(Value::Tensor).map_err(|e| {
                self.fail(explain::tensor_error(
                    self,
                    e,
                    &Site::call("T", span, vec![]),
                ))
            }),
            (Value::Tensor(t), "mT") => crate::runtime::index::matrix_transpose(self, t, span),
            (Value::Tensor(_), "grad") => {
                let Some(f) = self.builtins.find("grad") else {
                    return Err(self.fail(
                        Diagnostic::error("name::unknown", "no builtin `grad`")
                            .primary(span, "here"),
                    ));
                };
                let argv = vec![ArgVal {
                    name: None,
                    value: v.clone(),
                    span: object.span,
                }];
                self.call(&Value::Builtin(f), argv, span, object.span.to(span))
            }
            (Value::Tensor(t), "size") => Ok(Value::Number(t.numel() as f64)),
            (Value::Optimizer(o), "lr" | "param_groups") => {
                Ok(crate::runtime::param_groups::property(self, o, name))
            }
            // Every tensor can take a gradient; `p.data` is the tensor itself, so that
            // `p.data -= lr * p.grad` updates it in place.
            (Value::Tensor(_), "requires_grad") => Ok(Value::Bool(true)),
            (Value::Tensor(_), "dtype") => Ok(Value::str("float32")),
            (Value::Tensor(_), "data") => Ok(v.clone()),
            (Value::Tensor(t), "is_leaf") => Ok(Value::Bool(t.is_leaf())),
            (Value::Function(f), "__name__") => Ok(Value::str(&f.name)),
            (Value::Builtin(b), "__name__") => Ok(Value::str(b.name)),
            // `d.get`, `s.split`: a method of a Python value, bound to it.
            _ if self.type_method(&v, name).is_some() => {
                let b = self
                    .type_method(&v, name)
                    .map(Value::Builtin)
                    .unwrap_or(Value::None);
                Ok(Value::BoundMethod(Rc::new((v.clone(), b))))
            }
            _ => Err(self.fail(explain::unknown_property(
                v.kind(),
                matches!(v, Value::Tensor(_)),
                self.builtins.find(name).is_some(),
                name,
                object.span,
                span,
            ))),
        }
    }

    pub(crate) fn list_position(&self, i: &Value, span: Span, len: usize) -> R<usize> {
        if let Value::Abs(_) = i {
            return Err(crate::runtime::paths::undecided(span));
        }
        let n = match as_number(i) {
            Some(n) if n.fract() == 0.0 => n as i64,
            _ => {
                return Err(self.fail(
                    Diagnostic::error("type::index", "list indices must be whole numbers")
                        .primary(span, format!("this is {}", i.repr())),
                ))
            }
        };
        let pos = if n < 0 { n + len as i64 } else { n };
        if pos < 0 || pos >= len as i64 {
            return Err(self.fail(
                Diagnostic::error(
                    "shape::index",
                    format!("list index {n} is out of range for a list of length {len}"),
                )
                .primary(
                    span,
                    format!("valid indices are {} to {}", -(len as i64), len as i64 - 1),
                ),
            ));
        }
        Ok(pos as usize)
    }

    pub(crate) fn opt_int(&mut self, e: &Option<Expr>) -> R<Option<isize>> {
        match e {
            None => Ok(None),
            Some(e) => {
                let v = self.eval(e)?;
                match v {
                    Value::None => Ok(None),
                    _ => Ok(Some(self.int_of(&v, e.span)? as isize)),
                }
            }
        }
    }

    pub fn int_of(&self, v: &Value, span: Span) -> R<i64> {
        let n = match v {
            Value::Number(n) => *n,
            Value::Bool(b) => *b as i64 as f64,
            Value::Tensor(t) if t.numel() == 1 => t.item().unwrap_or(0.0) as f64,
            other => {
                return Err(self.fail(
                    Diagnostic::error(
                        "type::not_integer",
                        format!("expected a whole number, found a {}", other.kind()),
                    )
                    .primary(span, format!("this is a {}", other.kind())),
                ))
            }
        };
        if n.fract() != 0.0 || !n.is_finite() || n.abs() > 9.0e15 {
            return Err(self.fail(
                Diagnostic::error(
                    "type::not_integer",
                    format!(
                        "expected a whole number, found {}",
                        crate::runtime::print::format_number(n)
                    ),
                )
                .primary(span, "not a whole number"),
            ));
        }
        Ok(n as i64)
    }

    pub(crate) fn index_items(&mut self, items: &[IndexItem]) -> R<Vec<tensor::IndexItem>> {
        Ok(self.tensor_index_items(items)?.0)
    }
}

fn unreachable_op() -> Result<Tensor, tensor::TensorError> {
    Err(tensor::TensorError::Value(
        "unsupported operator".to_string(),
    ))
}

/// The span of a plain variable operand (for provenance), if the expression is one.
pub fn var_span(e: &Expr) -> Option<Span> {
    match &e.kind {
        ExprKind::Name(_) => Some(e.span),
        _ => None,
    }
}

pub fn as_number(v: &Value) -> Option<f64> {
    match v {
        Value::Number(n) => Some(*n),
        Value::Bool(b) => Some(if *b { 1.0 } else { 0.0 }),
        _ => None,
    }
}

/// Python's `%`: the result has the sign of the divisor.
pub fn python_mod(a: f64, b: f64) -> f64 {
    let r = a % b;
    if r != 0.0 && (r < 0.0) != (b < 0.0) {
        r + b
    } else {
        r
    }
}

pub fn values_equal(a: &Value, b: &Value) -> bool {
    values_equal_at(a, b, 0)
}

/// Python's `==` on values; a list that holds itself compares by identity first, and
/// nesting past 200 levels compares unequal (Python raises RecursionError there).
fn values_equal_at(a: &Value, b: &Value, depth: usize) -> bool {
    if depth > 200 {
        return false;
    }
    let eq = |p: &Value, q: &Value| values_equal_at(p, q, depth + 1);
    match (a, b) {
        (Value::None, Value::None) => true,
        (Value::Str(x), Value::Str(y)) => x == y,
        (Value::List(x), Value::List(y)) => {
            if Rc::ptr_eq(x, y) {
                return true;
            }
            let (Ok(x), Ok(y)) = (x.try_borrow(), y.try_borrow()) else {
                return false;
            };
            x.len() == y.len() && x.iter().zip(y.iter()).all(|(p, q)| eq(p, q))
        }
        (Value::Tuple(x), Value::Tuple(y)) => {
            x.len() == y.len() && x.iter().zip(y.iter()).all(|(p, q)| eq(p, q))
        }
        // A shape is a list that compares equal to a tuple of the same sizes, as
        // `torch.Size` does: `x.shape == (2, 3)`.
        (Value::List(l), Value::Tuple(t)) | (Value::Tuple(t), Value::List(l)) => {
            let l = l.borrow();
            l.len() == t.len()
                && l.iter()
                    .chain(t.iter())
                    .all(|v| matches!(v, Value::Number(_)))
                && l.iter().zip(t.iter()).all(|(p, q)| eq(p, q))
        }
        (Value::Dict(x), Value::Dict(y)) | (Value::Set(x), Value::Set(y)) => {
            let (x, y) = (x.borrow(), y.borrow());
            x.len() == y.len()
                && x.entries.iter().all(|(k, v)| {
                    crate::runtime::value::Key::of(k)
                        .and_then(|key| y.get(&key))
                        .is_some_and(|w| eq(v, w))
                })
        }
        (Value::Instance(x), Value::Instance(y)) => Rc::ptr_eq(x, y),
        (Value::Class(x), Value::Class(y)) => Rc::ptr_eq(x, y),
        (Value::Module(x), Value::Module(y)) => std::ptr::eq(*x, *y),
        (Value::Function(x), Value::Function(y)) => Rc::ptr_eq(x, y),
        (Value::Builtin(x), Value::Builtin(y)) => std::ptr::eq(*x, *y),
        _ => match (as_number(a), as_number(b)) {
            (Some(x), Some(y)) => x == y,
            _ => false,
        },
    }
}
