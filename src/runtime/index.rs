//! Index expressions on tensors: the items of `x[...]` (numbers, slices with any step,
//! `None`, `...`, lists, integer tensors and masks) evaluated into the tensor core's
//! `IndexItem`s, and `x[...]` itself with its diagnostics; subscripts of lists, tuples,
//! strings, ranges, dicts and objects.

use crate::runtime::builtins::convert::tensor_from_value;
use crate::runtime::call::ArgVal;
use crate::runtime::explain::{self, Site};
use crate::runtime::interp::{Interp, R};
use crate::runtime::value::Value;
use crate::syntax::ast::{BinOp, Expr, IndexItem, UnaryOp};
use crate::syntax::diagnostic::Diagnostic;
use crate::syntax::span::Span;
use crate::tensor::{self, Tensor, TensorError};
use ndarray::{ArrayD, IxDyn};

impl Interp {
    /// The tensor index items of `x[items]`, with the source span of each.
    pub(crate) fn tensor_index_items(
        &mut self,
        items: &[IndexItem],
    ) -> R<(Vec<tensor::IndexItem>, Vec<Span>)> {
        let mut out = Vec::with_capacity(items.len());
        let mut spans = Vec::with_capacity(items.len());
        for it in items {
            match it {
                IndexItem::Ellipsis(span) => {
                    out.push(tensor::IndexItem::Ellipsis);
                    spans.push(*span);
                }
                IndexItem::Index(e) => {
                    let v = self.eval(e)?;
                    out.push(self.index_value(&v, e.span)?);
                    spans.push(e.span);
                }
                IndexItem::Slice {
                    start,
                    stop,
                    step,
                    span,
                } => {
                    let (start, stop, step) = self.slice_parts(start, stop, step, *span)?;
                    out.push(tensor::IndexItem::Slice { start, stop, step });
                    spans.push(*span);
                }
            }
        }
        Ok((out, spans))
    }

    /// One index value: a number (one position), `None` (a new axis), a mask (a tensor
    /// made by a comparison or logical op, or a list of bools), or integer positions (any
    /// other tensor, a list, a range).
    pub(crate) fn index_value(&self, v: &Value, span: Span) -> R<tensor::IndexItem> {
        Ok(match v {
            Value::None => tensor::IndexItem::NewAxis,
            Value::Bool(b) => tensor::IndexItem::Array {
                values: ArrayD::from_elem(IxDyn(&[]), *b as i32 as f32),
                mask: true,
            },
            Value::Tensor(t) if t.is_mask() => tensor::IndexItem::Array {
                values: t.data().to_owned(),
                mask: true,
            },
            Value::Tensor(t) if t.ndim() == 0 => {
                tensor::IndexItem::At(self.int_of(v, span)? as isize)
            }
            Value::Tensor(t) => tensor::IndexItem::Array {
                values: t.data().to_owned(),
                mask: false,
            },
            Value::List(l) => {
                let all_bool = {
                    let l = l.borrow();
                    !l.is_empty() && l.iter().all(|x| matches!(x, Value::Bool(_)))
                };
                let t = tensor_from_value(self, v, span)?;
                let values = t.data().to_owned();
                tensor::IndexItem::Array {
                    values,
                    mask: all_bool,
                }
            }
            Value::Range { start, stop, step } => {
                let n = Value::range_len(*start, *stop, *step).max(0) as usize;
                tensor::shape::checked_numel(&[n]).map_err(|e| {
                    self.fail(explain::tensor_error(
                        self,
                        e,
                        &Site::call("indexing", span, vec![]),
                    ))
                })?;
                let vals = (0..n as i64).map(|i| (start + i * step) as f32).collect();
                tensor::IndexItem::Array {
                    values: ArrayD::from_shape_vec(IxDyn(&[n]), vals).expect("1-D"),
                    mask: false,
                }
            }
            _ => tensor::IndexItem::At(self.int_of(v, span)? as isize),
        })
    }

    /// `x[items]` for a tensor `x`.
    pub(crate) fn index_tensor(
        &mut self,
        v: &Value,
        t: &Tensor,
        object: &Expr,
        items: &[IndexItem],
        span: Span,
    ) -> R<Value> {
        let (idx, spans) = self.tensor_index_items(items)?;
        tensor::index(t, &idx).map(Value::Tensor).map_err(|e| {
            let primary = item_span(&e, &spans).unwrap_or(span);
            let site = Site {
                op: "indexing".to_string(),
                primary,
                operands: vec![self.operand(object.span, Some(v))],
                in_place: false,
                axis: None,
            };
            self.fail(explain::tensor_error(self, e, &site))
        })
    }
}

/// The span of the index item an error is about, if it names one.
pub(crate) fn item_span(e: &TensorError, spans: &[Span]) -> Option<Span> {
    match e {
        TensorError::IndexValue { item, .. } | TensorError::MaskShape { item, .. } => {
            spans.get(*item).copied()
        }
        _ => None,
    }
}

impl Interp {
    /// `~v`: the logical not of a tensor (a mask), Python's `~n == -n - 1` on whole numbers.
    pub(crate) fn invert(&mut self, v: Value, span: Span, operand: &Expr) -> R<Value> {
        match &v {
            Value::Tensor(t) => Ok(Value::Tensor(
                tensor::logical(tensor::LogicalOp::Not, t, None)
                    .expect("a unary logical op cannot fail"),
            )),
            Value::Number(_) | Value::Bool(_) => {
                let n = self.int_of(&v, operand.span)?;
                Ok(Value::Number((-n - 1) as f64))
            }
            other => Err(self.fail(
                Diagnostic::error(
                    "type::operator",
                    format!("unary `~` does not apply to a {}", other.kind()),
                )
                .primary(span, format!("this is a {}", other.kind()))
                .help("`~` negates a mask such as `x > 0`"),
            )),
        }
    }
}

/// `a & b`, `a | b` on numbers: bitwise, on whole numbers only (as Python's ints).
pub(crate) fn bitwise(
    interp: &Interp,
    op: crate::syntax::ast::BinOp,
    a: f64,
    b: f64,
    lhs: &Expr,
    rhs: &Expr,
) -> R<Value> {
    let x = interp.int_of(&Value::Number(a), lhs.span)?;
    let y = interp.int_of(&Value::Number(b), rhs.span)?;
    Ok(Value::Number(match op {
        crate::syntax::ast::BinOp::BitAnd => x & y,
        crate::syntax::ast::BinOp::BitXor => x ^ y,
        _ => x | y,
    } as f64))
}

/// `a ^ b` with a tensor: both operands must be masks (or bools), as PyTorch's `^` is
/// defined for bool and integer tensors only; `x ^ 2` on numbers is almost surely a power.
pub(crate) fn xor_operands(
    interp: &Interp,
    op_span: Span,
    operands: [(&Value, &Tensor, &Expr); 2],
) -> R<()> {
    let what = |(v, t, _): &(&Value, &Tensor, &Expr)| match v {
        Value::Bool(_) => "a bool",
        Value::Tensor(_) if t.is_mask() => "a mask",
        Value::Tensor(_) => "a tensor of numbers",
        _ => "a number",
    };
    let [l, r] = operands;
    match xor_error(
        op_span,
        [(l.2.span, what(&l)), (r.2.span, what(&r))],
        [interp.text_of(l.2.span), interp.text_of(r.2.span)],
    ) {
        Some(d) => Err(interp.fail(d)),
        None => Ok(()),
    }
}

/// `a ^ b` by the kinds of its operands (`a mask`, `a bool`, `a tensor of numbers`, `a
/// number`; the same words in a run and in `tsr check`): the error unless both are masks
/// or bools.
pub(crate) fn xor_error(
    op_span: Span,
    operands: [(Span, &str); 2],
    texts: [String; 2],
) -> Option<Diagnostic> {
    if operands
        .iter()
        .all(|(_, what)| matches!(*what, "a mask" | "a bool"))
    {
        return None;
    }
    Some(explain::xor_needs_masks(op_span, operands, texts))
}

/// Whether `e` is `something.T`.
pub(crate) fn is_transpose(e: &Expr) -> bool {
    matches!(&e.kind, crate::syntax::ast::ExprKind::Attr { name, .. } if name.node == "T")
}

impl Interp {
    /// `a @ w.T` or `a.T @ b` (one side is a `.T`): two matrices whose sizes fit multiply
    /// with the transposed one read in place (`tensor::matmul_transposed`: the
    /// transpose is never made); anything else is the product as written, with its
    /// diagnostics. Python's order holds: the left side, then the right.
    pub(crate) fn matmul_transposed(&mut self, op_span: Span, lhs: &Expr, rhs: &Expr) -> R<Value> {
        use crate::syntax::ast::ExprKind;
        if is_transpose(rhs) {
            let l = self.eval(lhs)?;
            let ExprKind::Attr { object, name } = &rhs.kind else {
                let r = self.eval(rhs)?;
                return self.binary(BinOp::MatMul, op_span, l, r, lhs, rhs);
            };
            let w = self.eval(object)?;
            if let (Value::Tensor(a), Value::Tensor(wt)) = (&l, &w) {
                if let Some(out) = tensor::matmul_transposed(a, wt, tensor::Transposed::Right) {
                    return self.fused_product(out, [a, wt], op_span);
                }
            }
            let r = self.attribute(w, object, &name.node, name.span)?;
            return self.binary(BinOp::MatMul, op_span, l, r, lhs, rhs);
        }
        let ExprKind::Attr { object, name } = &lhs.kind else {
            let l = self.eval(lhs)?;
            let r = self.eval(rhs)?;
            return self.binary(BinOp::MatMul, op_span, l, r, lhs, rhs);
        };
        let at = self.eval(object)?;
        // Only a matrix's `.T` waits until the right side is evaluated (it can neither
        // fail nor have an effect).
        let a = match &at {
            Value::Tensor(a) if a.ndim() == 2 => a.clone(),
            _ => {
                let l = self.attribute(at, object, &name.node, name.span)?;
                let r = self.eval(rhs)?;
                return self.binary(BinOp::MatMul, op_span, l, r, lhs, rhs);
            }
        };
        let r = self.eval(rhs)?;
        if let Value::Tensor(b) = &r {
            if let Some(out) = tensor::matmul_transposed(&a, b, tensor::Transposed::Left) {
                return self.fused_product(out, [&a, b], op_span);
            }
        }
        let l = self.attribute(at, object, &name.node, name.span)?;
        self.binary(BinOp::MatMul, op_span, l, r, lhs, rhs)
    }

    /// The result of a fused product, as `@` reports it.
    fn fused_product(
        &mut self,
        out: Result<Tensor, TensorError>,
        inputs: [&Tensor; 2],
        op_span: Span,
    ) -> R<Value> {
        let t = out.map_err(|e| {
            self.fail(explain::tensor_error(
                self,
                e,
                &Site::call("@", op_span, vec![]),
            ))
        })?;
        self.check_finite(&t, &inputs, op_span, "@");
        Ok(Value::Tensor(t))
    }
}

/// `x.mT`: the last two axes swapped (a batch of matrices transposed).
pub(crate) fn matrix_transpose(interp: &Interp, t: &Tensor, span: Span) -> R<Value> {
    if t.ndim() < 2 {
        return Err(interp.fail(
            Diagnostic::error(
                "shape::axis",
                format!(
                    "`.mT` needs a tensor with at least 2 axes, this one has shape {}",
                    explain::shape_str(&t.shape())
                ),
            )
            .primary(span, "transposes the last two axes")
            .help("for a 1-D tensor there is nothing to transpose; `.T` reverses all axes"),
        ));
    }
    tensor::transpose(t, -2, -1)
        .map(Value::Tensor)
        .map_err(|e| {
            interp.fail(explain::tensor_error(
                interp,
                e,
                &Site::call(".mT", span, vec![]),
            ))
        })
}

/// Subscripts of every value: tensors (through the tensor core's index items), lists,
/// tuples, strings and ranges (Python's positions and slices), dicts (keys) and objects
/// (`__getitem__`).
impl Interp {
    pub(crate) fn index(
        &mut self,
        v: Value,
        object: &Expr,
        items: &[IndexItem],
        span: Span,
    ) -> R<Value> {
        match &v {
            Value::Tensor(t) => self.index_tensor(&v, t, object, items, span),
            Value::Dict(d) => {
                let key = match items {
                    [IndexItem::Index(e)] => (self.eval(e)?, e.span),
                    _ => {
                        let vals = self.index_key_items(items)?;
                        (Value::tuple(vals), span)
                    }
                };
                let h = self.key_of(&key.0, key.1)?;
                let found = d.borrow().get(&h).cloned();
                found.ok_or_else(|| self.missing_key(&v, &key.0, key.1))
            }
            Value::Instance(_) => {
                let key = match items {
                    [IndexItem::Index(e)] => self.eval(e)?,
                    _ => Value::tuple(self.index_key_items(items)?),
                };
                let arg = ArgVal {
                    name: None,
                    value: key,
                    span,
                };
                self.call_method(v.clone(), "__getitem__", vec![arg], span)
            }
            Value::List(l) if matches!(items, [IndexItem::Index(_)]) => {
                let [IndexItem::Index(e)] = items else {
                    return Ok(Value::None);
                };
                let i = self.eval(e)?;
                let len = l.borrow().len();
                let pos = self.list_position(&i, e.span, len)?;
                let item = l.borrow()[pos].clone();
                Ok(item)
            }
            Value::List(_) | Value::Str(_) | Value::Range { .. } | Value::Tuple(_) => {
                if items.len() != 1 {
                    return Err(self.fail(explain::index::too_many_indices(
                        v.kind(),
                        items.len(),
                        span,
                    )));
                }
                let seq: Vec<Value> = match &v {
                    Value::List(l) => l.borrow().clone(),
                    Value::Tuple(t) => t.as_ref().clone(),
                    Value::Str(s) => s.chars().map(Value::char).collect(),
                    Value::Range { start, stop, step } => {
                        let n = Value::range_len(*start, *stop, *step).min(1 << 24);
                        (0..n)
                            .map(|i| Value::Number((start + i * step) as f64))
                            .collect()
                    }
                    _ => Vec::new(),
                };
                match &items[0] {
                    IndexItem::Ellipsis(span) => Err(self.fail(
                        Diagnostic::error(
                            "type::index",
                            format!("a {} cannot be indexed with `...`", v.kind()),
                        )
                        .primary(*span, "only tensors take `...`"),
                    )),
                    IndexItem::Index(e) => {
                        let i = self.eval(e)?;
                        let pos = self.list_position(&i, e.span, seq.len())?;
                        Ok(seq[pos].clone())
                    }
                    IndexItem::Slice {
                        start,
                        stop,
                        step,
                        span,
                    } => {
                        let (start, stop, step) = self.slice_parts(start, stop, step, *span)?;
                        let picked: Vec<Value> = python_slice(seq.len(), start, stop, step)
                            .into_iter()
                            .map(|i| seq[i].clone())
                            .collect();
                        Ok(match &v {
                            Value::Str(_) => {
                                Value::str(&picked.iter().map(|p| p.display()).collect::<String>())
                            }
                            Value::Tuple(_) => Value::tuple(picked),
                            _ => Value::list(picked),
                        })
                    }
                }
            }
            other => Err(self.fail(
                Diagnostic::error(
                    "type::index",
                    format!("a {} cannot be indexed", other.kind()),
                )
                .primary(object.span, format!("this is a {}", other.kind())),
            )),
        }
    }
}

impl Interp {
    /// `d[a, b]`: the items of a subscript as the values of a tuple key.
    fn index_key_items(&mut self, items: &[IndexItem]) -> R<Vec<Value>> {
        let mut vals = Vec::with_capacity(items.len());
        for it in items {
            match it {
                IndexItem::Index(e) => vals.push(self.eval(e)?),
                IndexItem::Slice { span, .. } | IndexItem::Ellipsis(span) => {
                    return Err(self.fail(
                        Diagnostic::error("type::index", "a dict is indexed by a key, not a slice")
                            .primary(*span, "a slice"),
                    ))
                }
            }
        }
        Ok(vals)
    }
}

impl Interp {
    /// `-x`, `+x`, `not x`, `~x` on any value (instances through `__neg__`/`__pos__`).
    pub(crate) fn unary(&mut self, op: UnaryOp, v: Value, span: Span, operand: &Expr) -> R<Value> {
        match op {
            UnaryOp::Not => Ok(Value::Bool(!self.truthy(&v, operand.span)?)),
            UnaryOp::Invert => self.invert(v, span, operand),
            UnaryOp::Plus | UnaryOp::Neg => {
                let neg = op == UnaryOp::Neg;
                if let Some(r) = self.instance_unary(neg, &v, span) {
                    return r;
                }
                match v {
                    Value::Number(n) => Ok(Value::Number(if neg { -n } else { n })),
                    Value::Bool(b) => {
                        let n = if b { 1.0 } else { 0.0 };
                        Ok(Value::Number(if neg { -n } else { n }))
                    }
                    Value::Tensor(t) => {
                        if neg {
                            tensor::try_unary(tensor::UnaryOp::Neg, &t)
                                .map(Value::Tensor)
                                .map_err(|e| {
                                    self.fail(explain::tensor_error(
                                        self,
                                        e,
                                        &Site::call("-", span, vec![]),
                                    ))
                                })
                        } else {
                            Ok(Value::Tensor(t))
                        }
                    }
                    other => Err(self.fail(
                        Diagnostic::error(
                            "type::operator",
                            format!(
                                "unary `{}` does not apply to a {}",
                                if neg { "-" } else { "+" },
                                other.kind()
                            ),
                        )
                        .primary(span, format!("this is a {}", other.kind())),
                    )),
                }
            }
        }
    }
}

impl Interp {
    /// The bounds of a slice `start:stop:step` (step 1 by default; 0 is an error), the
    /// same for tensors and for lists, tuples and strings.
    fn slice_parts(
        &mut self,
        start: &Option<Expr>,
        stop: &Option<Expr>,
        step: &Option<Expr>,
        span: Span,
    ) -> R<(Option<isize>, Option<isize>, isize)> {
        let start = self.opt_int(start)?;
        let stop = self.opt_int(stop)?;
        let step = self.opt_int(step)?.unwrap_or(1);
        if step == 0 {
            return Err(self.fail(
                Diagnostic::error("value::slice_step", "slice step cannot be zero")
                    .primary(span, "a step of 0")
                    .help("use a positive step to go forwards, a negative one (`x[::-1]`) to go backwards"),
            ));
        }
        Ok((start, stop, step))
    }
}

/// The positions a Python slice `start:stop:step` picks from a sequence of `len`.
pub fn python_slice(
    len: usize,
    start: Option<isize>,
    stop: Option<isize>,
    step: isize,
) -> Vec<usize> {
    let len = len as isize;
    let norm = |v: isize, lo: isize, hi: isize| -> isize {
        let v = if v < 0 { v + len } else { v };
        v.clamp(lo, hi)
    };
    let mut out = Vec::new();
    if step > 0 {
        let s = start.map(|v| norm(v, 0, len)).unwrap_or(0);
        let e = stop.map(|v| norm(v, 0, len)).unwrap_or(len);
        let mut i = s;
        while i < e {
            out.push(i as usize);
            i += step;
        }
    } else {
        let s = start.map(|v| norm(v, -1, len - 1)).unwrap_or(len - 1);
        let e = stop.map(|v| norm(v, -1, len - 1)).unwrap_or(-1);
        let mut i = s;
        while i > e {
            out.push(i as usize);
            i += step;
        }
    }
    out
}
