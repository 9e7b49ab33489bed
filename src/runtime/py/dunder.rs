//! Operators on instances of user classes, as Python dispatches them: `a + b` calls
//! `a.__add__(b)`, else `b.__radd__(a)`; `-a` calls `a.__neg__()`; comparisons call
//! `__eq__`, `__lt__`, ... (`==` without `__eq__` is identity). This is what a
//! hand-written autograd `Value` class (micrograd) needs.

use crate::runtime::call::ArgVal;
use crate::runtime::interp::{Interp, R};
use crate::runtime::value::Value;
use crate::syntax::ast::BinOp;
use crate::syntax::diagnostic::Diagnostic;
use crate::syntax::span::Span;

/// The method and reflected method of a binary operator.
fn dunders(op: BinOp) -> Option<(&'static str, Option<&'static str>)> {
    Some(match op {
        BinOp::Add => ("__add__", Some("__radd__")),
        BinOp::Sub => ("__sub__", Some("__rsub__")),
        BinOp::Mul => ("__mul__", Some("__rmul__")),
        BinOp::Div => ("__truediv__", Some("__rtruediv__")),
        BinOp::FloorDiv => ("__floordiv__", Some("__rfloordiv__")),
        BinOp::Mod => ("__mod__", Some("__rmod__")),
        BinOp::Pow => ("__pow__", Some("__rpow__")),
        BinOp::MatMul => ("__matmul__", Some("__rmatmul__")),
        BinOp::Eq => ("__eq__", Some("__eq__")),
        BinOp::Ne => ("__ne__", Some("__ne__")),
        BinOp::Lt => ("__lt__", Some("__gt__")),
        BinOp::Le => ("__le__", Some("__ge__")),
        BinOp::Gt => ("__gt__", Some("__lt__")),
        BinOp::Ge => ("__ge__", Some("__le__")),
        _ => return None,
    })
}

fn has_method(v: &Value, name: &str) -> bool {
    matches!(v, Value::Instance(i) if i.class.find(name).is_some())
}

impl Interp {
    /// `l op r` when either side is an instance; `None` when neither is.
    pub(crate) fn instance_binary(
        &mut self,
        op: BinOp,
        op_span: Span,
        l: &Value,
        r: &Value,
        lspan: Span,
        rspan: Span,
    ) -> Option<R<Value>> {
        if !matches!(l, Value::Instance(_)) && !matches!(r, Value::Instance(_)) {
            return None;
        }
        let (method, reflected) = dunders(op)?;
        if has_method(l, method) {
            let arg = ArgVal {
                name: None,
                value: r.clone(),
                span: rspan,
            };
            return Some(self.call_method(l.clone(), method, vec![arg], op_span));
        }
        if let Some(rm) = reflected {
            if has_method(r, rm) {
                let arg = ArgVal {
                    name: None,
                    value: l.clone(),
                    span: lspan,
                };
                return Some(self.call_method(r.clone(), rm, vec![arg], op_span));
            }
        }
        // `==` and `!=` without `__eq__`: the same object or not.
        match op {
            BinOp::Eq => return Some(Ok(Value::Bool(crate::runtime::py::eval::identical(l, r)))),
            BinOp::Ne => return Some(Ok(Value::Bool(!crate::runtime::py::eval::identical(l, r)))),
            _ => {}
        }
        let class = |v: &Value| match v {
            Value::Instance(i) => format!("`{}` object", i.class.name),
            other => other.kind().to_string(),
        };
        Some(Err(self.fail(
            Diagnostic::error(
                "type::operator",
                format!(
                    "`{}` is not defined for a {} and a {}",
                    op.symbol(),
                    class(l),
                    class(r)
                ),
            )
            .primary(op_span, "this operator")
            .label(lspan, class(l))
            .label(rspan, class(r))
            .help(format!("define `def {method}(self, other):` in the class")),
        )))
    }

    /// `-a` / `+a` on an instance: `__neg__` / `__pos__`.
    pub(crate) fn instance_unary(&mut self, neg: bool, v: &Value, span: Span) -> Option<R<Value>> {
        let Value::Instance(i) = v else {
            return None;
        };
        let name = if neg { "__neg__" } else { "__pos__" };
        if i.class.find(name).is_none() {
            return Some(Err(self.fail(
                Diagnostic::error(
                    "type::operator",
                    format!("a `{}` object has no `{name}`", i.class.name),
                )
                .primary(span, "this operand")
                .help(format!("define `def {name}(self):` in the class")),
            )));
        }
        Some(self.call_method(v.clone(), name, Vec::new(), span))
    }
}

impl Interp {
    /// Python's ordering of two values: numbers, strings, lists and tuples by
    /// `compare_values`; instances by their `__lt__` (or the other's `__gt__`).
    pub fn order(&mut self, a: &Value, b: &Value, span: Span) -> R<Option<std::cmp::Ordering>> {
        use std::cmp::Ordering;
        if !matches!(a, Value::Instance(_)) && !matches!(b, Value::Instance(_)) {
            return Ok(crate::runtime::py::sequence::compare_values(a, b));
        }
        let less = |this: &mut Interp, x: &Value, y: &Value| -> R<Option<bool>> {
            match this.instance_binary(BinOp::Lt, span, x, y, span, span) {
                Some(Ok(v)) => Ok(Some(this.truthy(&v, span)?)),
                Some(Err(_)) | None => Ok(None),
            }
        };
        Ok(match (less(self, a, b)?, less(self, b, a)?) {
            (Some(true), _) => Some(Ordering::Less),
            (_, Some(true)) => Some(Ordering::Greater),
            (Some(false), Some(false)) => Some(Ordering::Equal),
            _ => None,
        })
    }

    /// Sort `(key, item)` pairs by key, stably, with Python's ordering (merge sort, so
    /// that an instance's `__lt__` may run and fail).
    pub fn sort_keyed(
        &mut self,
        items: Vec<(Value, Value)>,
        reverse: bool,
        span: Span,
    ) -> R<Vec<(Value, Value)>> {
        if items.len() <= 1 {
            return Ok(items);
        }
        let mut right = items;
        let left: Vec<(Value, Value)> = right.drain(..right.len() / 2).collect();
        let left = self.sort_keyed(left, reverse, span)?;
        let right = self.sort_keyed(right, reverse, span)?;
        let mut out = Vec::with_capacity(left.len() + right.len());
        let (mut l, mut r) = (left.into_iter().peekable(), right.into_iter().peekable());
        while let (Some(x), Some(y)) = (l.peek(), r.peek()) {
            let ord = self.order(&x.0, &y.0, span)?.ok_or_else(|| {
                self.fail(
                    Diagnostic::error(
                        "type::argument",
                        format!("cannot order a {} and a {}", x.0.kind(), y.0.kind()),
                    )
                    .primary(span, "these items cannot be compared")
                    .help("sort numbers, strings, lists/tuples of them, or objects whose class defines `__lt__`"),
                )
            })?;
            // Stable: take from the right only when it is strictly first.
            let take_right = if reverse {
                ord == std::cmp::Ordering::Less
            } else {
                ord == std::cmp::Ordering::Greater
            };
            let next = if take_right { r.next() } else { l.next() };
            out.extend(next);
        }
        out.extend(l);
        out.extend(r);
        Ok(out)
    }
}
