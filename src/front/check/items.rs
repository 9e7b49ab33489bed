//! What iterating an abstract value gives (`loop_items`), what an index into it means
//! (`index_items`), and assignments into it: in-place updates (`W -= g`) and indexed
//! assignments, each checked with the op's shape rule.

use super::rules::{AIdx, AItem};
use super::value::{AList, ANum, AVal};
use super::Checker;
use crate::runtime::explain::{self, Site};
use crate::syntax::ast::{BinOp, Expr};
use crate::syntax::diagnostic::Diagnostic;
use crate::syntax::span::Span;
use crate::tensor::IndexItem;
use std::rc::Rc;

use crate::runtime::domain::UNROLL;

/// What a `for` loop walks over.
pub(super) enum Items {
    /// Each item known: one iteration per item, with its value.
    Exact(Vec<AVal>),
    /// Items alike (`elem`), and their number when known.
    Alike { elem: AVal, count: Option<usize> },
}

impl Checker {
    /// What a `for` loop iterates over; `None` after reporting a value that cannot be
    /// looped over.
    pub(super) fn loop_items(&mut self, it: &AVal, span: Span) -> Option<Items> {
        match it {
            AVal::Range(Some(_)) | AVal::List(_) => match it.exact_items() {
                Some(items) if items.len() <= UNROLL => Some(Items::Exact(items)),
                Some(items) => {
                    let elem = match it {
                        AVal::Range(_) => AVal::Num(ANum::Unknown),
                        _ => it.element_approx(),
                    };
                    Some(Items::Alike {
                        elem,
                        count: Some(items.len()),
                    })
                }
                None => Some(Items::Alike {
                    elem: it.element_approx(),
                    count: None,
                }),
            },
            AVal::Range(None) => Some(Items::Alike {
                elem: AVal::Num(ANum::Unknown),
                count: None,
            }),
            AVal::Str(_) => Some(Items::Alike {
                elem: AVal::Str(None),
                count: None,
            }),
            AVal::Tensor(t) => match &t.shape {
                Some(s) if s.is_empty() => {
                    self.report(
                        Diagnostic::error("type::not_iterable", "cannot loop over a 0-d tensor")
                            .primary(span, "this tensor has no axes")
                            .help("a `for` loop over a tensor walks its first axis; use `item(t)` for the number"),
                    );
                    None
                }
                Some(s) => {
                    let rows = s[1..].to_vec();
                    let count = self.st.syms.canon(s[0]);
                    let count = count.known();
                    Some(Items::Alike {
                        elem: self.new_tensor(Some(rows), &[t]),
                        count,
                    })
                }
                None => Some(Items::Alike {
                    elem: AVal::Tensor(self.unknown_tensor()),
                    count: None,
                }),
            },
            AVal::Unknown => Some(Items::Alike {
                elem: AVal::Unknown,
                count: None,
            }),
            other => {
                self.report(
                    Diagnostic::error(
                        "type::not_iterable",
                        format!("cannot loop over a {}", other.kind()),
                    )
                    .primary(span, format!("this is a {}", other.kind()))
                    .help("loop over `range(n)`, a list or a tensor"),
                );
                None
            }
        }
    }

    /// `W -= e`: `e` must broadcast to exactly `W`'s shape.
    pub(super) fn update_in_place(
        &mut self,
        t: &Rc<super::value::ATensor>,
        op: BinOp,
        op_span: Span,
        target_span: Span,
        value: &Expr,
        rhs: &AVal,
    ) {
        if !matches!(op, BinOp::Add | BinOp::Sub | BinOp::Mul | BinOp::Div) {
            self.report(
                Diagnostic::error(
                    "syntax::augmented",
                    format!("`{}=` is not an update operator", op.symbol()),
                )
                .primary(op_span, "use `+=`, `-=`, `*=` or `/=`"),
            );
            return;
        }
        let Some(r) = self.tensor_shape_of(rhs, value.span) else {
            return;
        };
        let Some(target) = &t.shape else { return };
        let Some(r) = r else { return };
        let out = self.rule_in_place(target, &r);
        let site = Site {
            op: format!("{}=", op.symbol()),
            primary: op_span,
            operands: vec![
                self.operand(target_span, &AVal::Tensor(t.clone())),
                self.operand(value.span, rhs),
            ],
            in_place: true,
            axis: None,
        };
        self.settle(out, &site, &[target, &r]);
    }

    #[allow(clippy::too_many_arguments)]
    pub(super) fn assign_index(
        &mut self,
        obj: AVal,
        object: &Expr,
        items: &[AItem],
        span: Span,
        op_span: Span,
        value: &Expr,
        rhs: AVal,
    ) {
        match &obj {
            AVal::List(l) => {
                let elem = obj.element_approx().join(&rhs);
                *l.borrow_mut() = AList::Approx(elem);
            }
            AVal::Tensor(t) => {
                let idx = self.index_items(items);
                let Some(shape) = &t.shape else { return };
                let Some(Some(r)) = self.tensor_shape_of(&rhs, value.span) else {
                    return;
                };
                let region = match self.rule_index(shape, &idx) {
                    super::dims::RuleOut::Ok(s) => s,
                    super::dims::RuleOut::Error(e) => {
                        let site = Site::call("index", span, vec![]);
                        self.tensor_error(e, &site, &[shape]);
                        return;
                    }
                    super::dims::RuleOut::Undecided(..) => return,
                };
                let out = self.rule_in_place(&region, &r);
                let site = Site {
                    op: "indexed assignment".to_string(),
                    primary: op_span,
                    operands: vec![self.operand_unknown(span), self.operand(value.span, &rhs)],
                    in_place: true,
                    axis: None,
                };
                self.settle(out, &site, &[shape, &r]);
            }
            AVal::Unknown => {}
            other => {
                let kind = other.kind();
                self.report(
                    Diagnostic::error("type::index", format!("cannot assign into a {kind}"))
                        .primary(object.span, format!("this is a {kind}")),
                );
            }
        }
    }

    /// An operand with no value to show (an indexed region).
    fn operand_unknown(&self, span: Span) -> explain::Operand {
        explain::Operand {
            span,
            text: self.text_of(span),
            shape: None,
            kind: "value",
            origin: None,
        }
    }

    /// Index items as far as they are known.
    pub fn index_items(&mut self, items: &[AItem]) -> Vec<AIdx> {
        let mut out = Vec::with_capacity(items.len());
        for it in items {
            out.push(match it {
                AItem::Ellipsis => AIdx::Item(IndexItem::Ellipsis),
                // Tensors, lists, ranges, bools and `None` index as PyTorch's advanced
                // indexing; a value of unknown kind may be one of them.
                AItem::At(AVal::Tensor(t), _) => match &t.shape {
                    Some(s) => AIdx::Array(s.clone(), t.mask),
                    None => AIdx::Advanced,
                },
                AItem::At(
                    v @ (AVal::List(_) | AVal::None | AVal::Range(_) | AVal::Bool(_)),
                    span,
                ) => match v.realize() {
                    Some(real) => match self.interp.index_value(&real, *span) {
                        Ok(IndexItem::At(i)) => AIdx::At(Some(i)),
                        Ok(item) => AIdx::Item(item),
                        Err(d) => {
                            self.report(*d);
                            AIdx::Advanced
                        }
                    },
                    None => AIdx::Advanced,
                },
                AItem::At(AVal::Unknown, _) => AIdx::Advanced,
                AItem::At(v, span) => AIdx::At(self.known_int(v, *span)),
                AItem::Slice(parts, _) => {
                    let mut out = [None, None, None];
                    let mut known = true;
                    for (k, part) in parts.iter().enumerate() {
                        if let Some((v, span)) = part {
                            if matches!(v, AVal::None) {
                                continue;
                            }
                            match self.known_int(v, *span) {
                                Some(n) => out[k] = Some(n),
                                None => known = false,
                            }
                        }
                    }
                    AIdx::Slice(known.then(|| (out[0], out[1], out[2].unwrap_or(1))))
                }
            });
        }
        out
    }

    /// A whole number when known; reports what the evaluator would for a known value
    /// that is not one.
    pub fn known_int(&mut self, v: &AVal, span: Span) -> Option<isize> {
        match v.realize() {
            Some(real) => match self.interp.int_of(&real, span) {
                Ok(n) => Some(n as isize),
                Err(d) => {
                    self.report(*d);
                    None
                }
            },
            None => None,
        }
    }
}

impl Default for AList {
    fn default() -> Self {
        AList::Exact(Vec::new())
    }
}
