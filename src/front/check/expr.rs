//! Operators on abstract values (the real evaluator's arithmetic when both sides are
//! known, a shape rule when a tensor is involved), truth values, properties and indexing:
//! what the evaluator's walker asks the domain (`walker.rs`) when a value is abstract.

use super::dims::{Dim, Shape, ANON};
use super::rules::AItem;
use super::value::{AList, ANum, ATensor, AVal};
use super::Checker;
use crate::runtime::explain::{self, Site};
use crate::runtime::value::Value;
use crate::syntax::ast::{BinOp, Expr, UnaryOp};
use crate::syntax::diagnostic::Diagnostic;
use crate::syntax::span::Span;
use std::cell::RefCell;
use std::rc::Rc;

/// One evaluated argument of a call.
pub struct AArg {
    pub name: Option<(String, Span)>,
    pub value: AVal,
    pub span: Span,
}

impl Checker {
    /// Truth value if known; reports a tensor with more than one element.
    pub fn truthy(&mut self, v: &AVal, span: Span) -> Option<bool> {
        match v {
            AVal::None => Some(false),
            AVal::Bool(b) => *b,
            AVal::Num(ANum::Known(n)) => Some(*n != 0.0),
            AVal::Str(Some(s)) => Some(!s.is_empty()),
            AVal::List(l) => match &*l.borrow() {
                AList::Exact(items) => Some(!items.is_empty()),
                AList::Approx(_) => None,
            },
            AVal::Range(Some((a, b, s))) => Some(Value::range_len(*a, *b, *s) > 0),
            AVal::Builtin(_) | AVal::Optimizer => Some(true),
            AVal::Tensor(t) => {
                if let Some(s) = &t.shape {
                    let s = self.canon(s);
                    if let Some(n) = known_numel(&s) {
                        if n != 1 {
                            self.report(
                                Diagnostic::error("type::ambiguous_truth", format!("the truth value of a tensor with {n} elements is ambiguous"))
                                    .primary(span, format!("a tensor of shape {}", explain::shape_str(&super::dims::shown(&s))))
                                    .help("reduce it to one element first, e.g. `all(...)` is spelled `min(x) > 0`, `any(...)` is `max(x) > 0`"),
                            );
                        }
                    }
                }
                None
            }
            _ => None,
        }
    }

    pub(super) fn unary(&mut self, op: UnaryOp, v: AVal, span: Span, operand: &Expr) -> AVal {
        match op {
            UnaryOp::Not => AVal::Bool(self.truthy(&v, operand.span).map(|b| !b)),
            // `~m`: a mask of the same shape, no gradient.
            UnaryOp::Invert => match v {
                AVal::Tensor(t) => self.new_tensor_mask(t.shape.clone(), &[], Some(true)),
                _ => AVal::Unknown,
            },
            UnaryOp::Plus | UnaryOp::Neg => match v {
                AVal::Num(ANum::Known(n)) => AVal::num(if op == UnaryOp::Neg { -n } else { n }),
                AVal::Bool(Some(b)) => AVal::num(if op == UnaryOp::Neg {
                    -(b as i32 as f64)
                } else {
                    b as i32 as f64
                }),
                AVal::Num(_) | AVal::Bool(None) => AVal::Num(ANum::Unknown),
                AVal::Tensor(t) if op == UnaryOp::Neg => self.new_tensor(t.shape.clone(), &[&t]),
                AVal::Tensor(t) => AVal::Tensor(t),
                AVal::Unknown => AVal::Unknown,
                other => {
                    let sign = if op == UnaryOp::Neg { "-" } else { "+" };
                    self.report(
                        Diagnostic::error(
                            "type::operator",
                            format!("unary `{sign}` does not apply to a {}", other.kind()),
                        )
                        .primary(span, format!("this is a {}", other.kind())),
                    );
                    AVal::Unknown
                }
            },
        }
    }

    /// A stand-in runtime value of the same kind, for the evaluator's kind checks.
    fn representative(&self, v: &AVal) -> Option<Value> {
        if let Some(real) = v.realize() {
            return Some(real);
        }
        Some(match v {
            AVal::Num(_) => Value::Number(1.0),
            AVal::Bool(_) => Value::Bool(true),
            AVal::Str(_) => Value::str("s"),
            AVal::List(_) => Value::list(Vec::new()),
            AVal::Range(_) => Value::Range {
                start: 0,
                stop: 1,
                step: 1,
            },
            AVal::Tensor(_) => Value::Tensor(crate::tensor::Tensor::constant(0.0)),
            _ => return None,
        })
    }

    pub fn binary(
        &mut self,
        op: BinOp,
        op_span: Span,
        l: AVal,
        r: AVal,
        lhs: &Expr,
        rhs: &Expr,
    ) -> AVal {
        if matches!(op, BinOp::Eq | BinOp::Ne)
            && (matches!(l, AVal::None) || matches!(r, AVal::None))
        {
            // `x == None`: only None equals None.
            return match (&l, &r) {
                (AVal::None, AVal::None) => AVal::Bool(Some(op == BinOp::Eq)),
                (AVal::Unknown, _) | (_, AVal::Unknown) => AVal::Bool(None),
                _ => AVal::Bool(Some(op == BinOp::Ne)),
            };
        }
        if op == BinOp::Mod && matches!(l, AVal::Str(_)) {
            // `%` formatting: its arguments may be a tuple, which the checker keeps as a
            // list; the text is not needed.
            return AVal::Str(None);
        }
        if op.is_membership_or_identity() {
            return match (l.realize(), r.realize()) {
                (Some(a), Some(b)) => match self.interp.binary(op, op_span, a, b, lhs, rhs) {
                    Ok(v) => AVal::from_value(&v),
                    Err(_) => AVal::Bool(None),
                },
                _ => AVal::Bool(None),
            };
        }
        if matches!(l, AVal::Tensor(_)) || matches!(r, AVal::Tensor(_)) {
            // `^` needs masks or bools: a number is never a mask, and a tensor's kind is
            // known when it was made by a comparison or by arithmetic.
            if op == BinOp::BitXor {
                let what = |v: &AVal| match v {
                    AVal::Num(_) => Some("a number"),
                    AVal::Bool(_) => Some("a bool"),
                    AVal::Tensor(t) => Some(match t.mask {
                        Some(true) => "a mask",
                        Some(false) => "a tensor of numbers",
                        None => "a tensor",
                    }),
                    _ => None,
                };
                if let (Some(lw), Some(rw)) = (what(&l), what(&r)) {
                    let decided = lw == "a number"
                        || rw == "a number"
                        || (lw != "a tensor" && rw != "a tensor");
                    let texts = [self.text_of(lhs.span), self.text_of(rhs.span)];
                    let operands = [(lhs.span, lw), (rhs.span, rw)];
                    if let Some(d) = decided
                        .then(|| crate::runtime::index::xor_error(op_span, operands, texts))
                        .flatten()
                    {
                        self.report(d);
                        return AVal::Unknown;
                    }
                }
            }
            // `a // b` has the shape of `a / b`.
            let op = if op == BinOp::FloorDiv {
                BinOp::Div
            } else {
                op
            };
            return self.tensor_binary(op, op_span, &l, &r, lhs, rhs);
        }
        if let (Some(a), Some(b)) = (l.realize(), r.realize()) {
            return match self.interp.binary(op, op_span, a, b, lhs, rhs) {
                Ok(v) => AVal::from_value(&v),
                Err(d) => {
                    self.report(*d);
                    AVal::Unknown
                }
            };
        }
        if let (AVal::List(a), AVal::List(b), BinOp::Add) = (&l, &r, op) {
            return match (&*a.borrow(), &*b.borrow()) {
                (AList::Exact(x), AList::Exact(y)) => {
                    AVal::list(x.iter().chain(y).cloned().collect())
                }
                _ => AVal::List(Rc::new(RefCell::new(AList::Approx(
                    l.element_approx().join(&r.element_approx()),
                )))),
            };
        }
        let (Some(a), Some(b)) = (self.representative(&l), self.representative(&r)) else {
            return AVal::Unknown;
        };
        match self.interp.binary(op, op_span, a, b, lhs, rhs) {
            Ok(v) => match v {
                Value::Number(_) => AVal::Num(ANum::Unknown),
                Value::Bool(_) => AVal::Bool(None),
                Value::Str(_) => AVal::Str(None),
                Value::List(_) => AVal::List(Rc::new(RefCell::new(AList::Approx(
                    l.element_approx().join(&r.element_approx()),
                )))),
                _ => AVal::Unknown,
            },
            Err(d) => {
                // Only errors that depend on the kinds alone are certain.
                if d.code == "type::operator"
                    || (d.code == "value::zero_division" && r.realize().is_some())
                {
                    self.report(*d);
                }
                AVal::Unknown
            }
        }
    }

    /// The shape a value has as a tensor operand: numbers are 0-d; `None` when not
    /// known (the outer `None` also after reporting a value that is not a tensor).
    pub fn tensor_shape_of(&mut self, v: &AVal, span: Span) -> Option<Option<Shape>> {
        match v {
            AVal::Tensor(t) => Some(t.shape.clone()),
            AVal::Num(_) | AVal::Bool(_) => Some(Some(Vec::new())),
            AVal::Unknown => None,
            other => {
                self.report(
                    Diagnostic::error(
                        "type::tensor",
                        format!("expected a tensor or a number, found a {}", other.kind()),
                    )
                    .primary(span, format!("this is a {}", other.kind())),
                );
                None
            }
        }
    }

    fn tensor_binary(
        &mut self,
        op: BinOp,
        op_span: Span,
        l: &AVal,
        r: &AVal,
        lhs: &Expr,
        rhs: &Expr,
    ) -> AVal {
        let is_operand = |v: &AVal| {
            matches!(
                v,
                AVal::Tensor(_) | AVal::Num(_) | AVal::Bool(_) | AVal::Unknown
            )
        };
        if !is_operand(l) || !is_operand(r) {
            if let (Some(a), Some(b)) = (self.representative(l), self.representative(r)) {
                let d = explain::operator_type_error(
                    op,
                    op_span,
                    a.kind(),
                    b.kind(),
                    lhs.span,
                    rhs.span,
                );
                self.report(d);
            }
            return AVal::Unknown;
        }
        let inputs: Vec<Rc<ATensor>> = [l, r]
            .into_iter()
            .filter_map(|v| {
                if let AVal::Tensor(t) = v {
                    Some(t.clone())
                } else {
                    None
                }
            })
            .collect();
        let refs: Vec<&ATensor> = inputs.iter().map(|t| &**t).collect();
        let shapes = (
            self.tensor_shape_of(l, lhs.span).flatten(),
            self.tensor_shape_of(r, rhs.span).flatten(),
        );
        let (Some(a), Some(b)) = shapes else {
            return self.new_tensor(None, &refs);
        };
        let out = match op {
            BinOp::MatMul => self.rule_matmul(&a, &b, op_span),
            _ => self.rule_broadcast(&a, &b),
        };
        let site = Site {
            op: op.symbol().to_string(),
            primary: op_span,
            operands: vec![self.operand(lhs.span, l), self.operand(rhs.span, r)],
            in_place: false,
            axis: None,
        };
        let shape = self.settle(out, &site, &[&a, &b]);
        // A comparison passes no gradient: its result depends on nothing for backward.
        let refs = if op.is_comparison() { Vec::new() } else { refs };
        // Comparisons and `&`, `|`, `^` on tensors make masks; arithmetic never does.
        let mask = op.is_comparison() || matches!(op, BinOp::BitAnd | BinOp::BitOr | BinOp::BitXor);
        self.new_tensor_mask(shape, &refs, Some(mask))
    }

    pub(super) fn attribute(&mut self, v: AVal, object: &Expr, name: &str, span: Span) -> AVal {
        match (&v, name) {
            (AVal::Unknown, _) => AVal::Unknown,
            // Python's own attributes (`__name__`, `__class__`) are not followed.
            (_, n) if n.starts_with("__") => AVal::Unknown,
            (AVal::Tensor(_), "requires_grad" | "is_leaf") => AVal::Bool(None),
            (AVal::Tensor(_), "data") => v.clone(),
            (AVal::Tensor(_), "dtype") => AVal::Str(Some(Rc::from("float32"))),
            (AVal::Module(m), _) => match self.interp.module_member(m, name, span) {
                Ok(v) => AVal::from_value(&v),
                Err(d) => {
                    self.report(*d);
                    AVal::Unknown
                }
            },
            (AVal::Tensor(t), "shape") => match &t.shape {
                Some(s) => AVal::list(self.canon(s).into_iter().map(dim_number).collect()),
                None => AVal::List(Rc::new(RefCell::new(AList::Approx(AVal::Num(
                    ANum::Unknown,
                ))))),
            },
            (AVal::Tensor(t), "ndim") => match &t.shape {
                Some(s) => AVal::num(s.len() as f64),
                None => AVal::Num(ANum::Unknown),
            },
            (AVal::Tensor(t), "T") => {
                let shape = t.shape.as_ref().map(|s| s.iter().rev().copied().collect());
                self.new_tensor(shape, &[t])
            }
            (AVal::Optimizer, "lr") => AVal::Num(ANum::Unknown),
            // A list of dicts whose items a check does not follow.
            (AVal::Optimizer, "param_groups") => AVal::Unknown,
            (AVal::Tensor(t), "mT") => {
                let shape = t.shape.as_ref().filter(|s| s.len() >= 2).map(|s| {
                    let mut s = s.clone();
                    let n = s.len();
                    s.swap(n - 2, n - 1);
                    s
                });
                self.new_tensor(shape, &[t])
            }
            (AVal::Tensor(_), "grad") => {
                let args = vec![AArg {
                    name: None,
                    value: v.clone(),
                    span: object.span,
                }];
                self.call(
                    &AVal::Builtin(super::calls::find_builtin("grad").expect("grad is a builtin")),
                    args,
                    span,
                    object.span.to(span),
                )
            }
            (AVal::Tensor(t), "size") => {
                match t.shape.as_ref().and_then(|s| known_numel(&self.canon(s))) {
                    Some(n) => AVal::num(n as f64),
                    None => AVal::Num(ANum::Unknown),
                }
            }
            _ => {
                self.report(explain::unknown_property(
                    v.kind(),
                    matches!(v, AVal::Tensor(_)),
                    crate::runtime::builtins::find(name).is_some(),
                    name,
                    object.span,
                    span,
                ));
                AVal::Unknown
            }
        }
    }

    pub(super) fn index(&mut self, v: AVal, object: &Expr, items: &[AItem], span: Span) -> AVal {
        match &v {
            AVal::Tensor(t) => {
                let idx = self.index_items(items);
                let Some(s) = &t.shape else {
                    return self.new_tensor(None, &[t]);
                };
                let out = self.rule_index(s, &idx);
                // An error about one index item points at it, as the run's does.
                let primary = match &out {
                    super::dims::RuleOut::Error(e) => {
                        let spans: Vec<Span> = items
                            .iter()
                            .map(|it| match it {
                                AItem::At(_, s) | AItem::Slice(_, s) => *s,
                                AItem::Ellipsis => span,
                            })
                            .collect();
                        crate::runtime::index::item_span(e, &spans).unwrap_or(span)
                    }
                    _ => span,
                };
                let site = Site {
                    op: "indexing".to_string(),
                    primary,
                    operands: vec![self.operand(object.span, &v)],
                    in_place: false,
                    axis: None,
                };
                let shape = self.settle(out, &site, &[s]);
                // Part of a mask is a mask, as in the run.
                self.new_tensor_mask(shape, &[t], t.mask)
            }
            AVal::List(_) | AVal::Str(_) | AVal::Range(_) => {
                if items.len() != 1 {
                    self.report(explain::index::too_many_indices(
                        v.kind(),
                        items.len(),
                        span,
                    ));
                    return AVal::Unknown;
                }
                let seq = match &v {
                    AVal::Str(Some(s)) => Some(
                        s.chars()
                            .map(|c| AVal::Str(Some(Rc::from(c.to_string().as_str()))))
                            .collect(),
                    ),
                    _ => v.exact_items(),
                };
                let elem = match &v {
                    AVal::Str(_) => AVal::Str(None),
                    _ => v.element_approx(),
                };
                match &items[0] {
                    AItem::Ellipsis => elem,
                    AItem::At(i, ispan) => match (seq, i.as_known_number()) {
                        (Some(seq), Some(n)) => self.list_item(&seq, n, i, *ispan),
                        _ => elem,
                    },
                    AItem::Slice(_, slice_span) => {
                        let parts = self.index_items(std::slice::from_ref(&items[0]));
                        match (seq, &parts[0]) {
                            (Some(seq), super::rules::AIdx::Slice(Some((a, b, step)))) => {
                                if *step == 0 {
                                    self.report(
                                        Diagnostic::error(
                                            "value::slice_step",
                                            "slice step cannot be zero",
                                        )
                                        .primary(*slice_span, ""),
                                    );
                                    return AVal::Unknown;
                                }
                                let picked: Vec<AVal> =
                                    crate::runtime::index::python_slice(seq.len(), *a, *b, *step)
                                        .into_iter()
                                        .map(|i| seq[i].clone())
                                        .collect();
                                match &v {
                                    AVal::Str(_) => AVal::Str(None),
                                    _ => AVal::list(picked),
                                }
                            }
                            _ => match &v {
                                AVal::Str(_) => AVal::Str(None),
                                _ => AVal::List(Rc::new(RefCell::new(AList::Approx(elem)))),
                            },
                        }
                    }
                }
            }
            // A dict, an object or a tensor: the items are checked, not converted.
            AVal::Unknown => AVal::Unknown,
            other => {
                let kind = other.kind();
                self.report(
                    Diagnostic::error("type::index", format!("a {kind} cannot be indexed"))
                        .primary(object.span, format!("this is a {kind}")),
                );
                AVal::Unknown
            }
        }
    }

    fn list_item(&mut self, seq: &[AVal], n: f64, i: &AVal, span: Span) -> AVal {
        if n.fract() != 0.0 {
            let shown = i.realize().map(|v| v.repr()).unwrap_or_default();
            self.report(
                Diagnostic::error("type::index", "list indices must be whole numbers")
                    .primary(span, format!("this is {shown}")),
            );
            return AVal::Unknown;
        }
        let len = seq.len() as i64;
        let n = n as i64;
        let pos = if n < 0 { n + len } else { n };
        if pos < 0 || pos >= len {
            self.report(
                Diagnostic::error(
                    "shape::index",
                    format!("list index {n} is out of range for a list of length {len}"),
                )
                .primary(span, format!("valid indices are {} to {}", -len, len - 1)),
            );
            return AVal::Unknown;
        }
        seq[pos as usize].clone()
    }
}

/// A size as a number value: known, symbolic, or unknown.
pub fn dim_number(d: Dim) -> AVal {
    match d {
        ANON => AVal::Num(ANum::Unknown),
        Dim::Known(n) => AVal::num(n as f64),
        sym => AVal::Num(ANum::Dim(sym)),
    }
}

/// The element count when every size is real, or when one real size makes it certain
/// that the count is not 1 (`Some(2)` stands for "more than one").
pub fn known_numel(s: &[Dim]) -> Option<usize> {
    if let Some(real) = Dim::real(s) {
        return real
            .iter()
            .try_fold(1usize, |a, &d| a.checked_mul(d))
            .or(Some(usize::MAX));
    }
    if s.contains(&Dim::Known(0)) {
        return Some(0);
    }
    if s.iter().any(|d| d.known().is_some_and(|d| d > 1)) {
        return Some(2);
    }
    None
}
