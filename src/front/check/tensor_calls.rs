//! Tensor builtins whose abstract rule needs more than one shape rule call: broadcasting
//! pairs, reductions with `axis`/`keepdim`, `reshape` with known or symbolic sizes,
//! `cat`/`stack` over lists of known or unknown length.

use super::args::CArgs;
use super::dims::{Dim, RuleOut, Shape, ANON};
use super::rules::SpecDim;
use super::value::{ANum, ATensor, AVal};
use super::Checker;
use crate::runtime::value::Check;
use crate::syntax::diagnostic::Diagnostic;
use crate::tensor::shape;
use std::rc::Rc;

impl Checker {
    /// `x.size()`: the sizes, as `x.shape` gives them; `x.size(d)`: one size. An axis out
    /// of range is the run's own error (the builtin run on a tensor of that rank).
    pub(super) fn size(&mut self, a: &mut CArgs) -> AVal {
        let Some(s) = self.arg_shape(a, 0) else {
            return match a.get(1) {
                Some(_) => AVal::Num(ANum::Unknown),
                None => AVal::Unknown,
            };
        };
        let s = self.canon(&s);
        if a.get(1).is_none() {
            return AVal::list(s.into_iter().map(super::expr::dim_number).collect());
        }
        let Some(d) = a.val(1).as_known_number() else {
            return AVal::Num(ANum::Unknown);
        };
        let n = s.len() as f64;
        let i = if d < 0.0 { d + n } else { d };
        if i >= 0.0 && i < n && i.fract() == 0.0 {
            return super::expr::dim_number(s[i as usize]);
        }
        let ones = ndarray::ArrayD::<f32>::zeros(ndarray::IxDyn(&vec![1; s.len()]));
        if let Some(slot) = a.real.slots.get_mut(0) {
            *slot = slot.take().map(|(_, span)| {
                (
                    crate::runtime::value::Value::Tensor(crate::tensor::Tensor::leaf(ones)),
                    span,
                )
            });
        }
        if let Err(d) = (a.b.func)(&mut self.interp, &mut a.real) {
            self.report(*d);
        }
        AVal::Num(ANum::Unknown)
    }

    pub(super) fn elementwise2(&mut self, a: &mut CArgs) -> AVal {
        if matches!((a.val(0), a.val(1)), (AVal::Num(_), AVal::Num(_))) {
            return AVal::Num(ANum::Unknown);
        }
        let (x, y) = (self.arg_shape(a, 0), self.arg_shape(a, 1));
        match (x, y) {
            (Some(x), Some(y)) => {
                let out = self.rule_broadcast(&x, &y);
                self.from_rule(a, out, &[0, 1], &[&x, &y])
            }
            _ => self.from_rule(a, RuleOut::Undecided(String::new(), None), &[0, 1], &[]),
        }
    }

    /// `sum`, `mean`, `max`, `min`, `argmax`, `argmin` with the axis and keepdim slots.
    pub(super) fn reduce(
        &mut self,
        a: &mut CArgs,
        axis_slot: usize,
        keep_slot: usize,
        extreme: bool,
    ) -> AVal {
        let Some(s) = self.arg_shape(a, 0) else {
            return self.from_rule(a, RuleOut::Undecided(String::new(), None), &[0], &[]);
        };
        if let AVal::List(_) = a.val(axis_slot) {
            // Several axes (a list or tuple): the builtin itself, on zeros of the shape.
            return match self.run_on_zeros(a) {
                Some(v) => v,
                None => self.unknown_result(a),
            };
        }
        let axis = if a.get(axis_slot).is_none() {
            Some(None)
        } else {
            self.int_arg(a, axis_slot).map(Some)
        };
        let keep = if keep_slot == usize::MAX || a.get(keep_slot).is_none() {
            Some(false)
        } else if a.known(keep_slot) {
            self.take(a.real.bool_or(&self.interp, keep_slot, false))
        } else {
            None
        };
        let (Some(axis), Some(keep)) = (axis, keep) else {
            return self.from_rule(a, RuleOut::Undecided(String::new(), None), &[0], &[]);
        };
        let name = a.b.name;
        let out = self.rule_simple(&s, |sh| {
            if extreme {
                shape::extreme_shape(name, sh, axis, keep)
            } else {
                shape::reduce_shape(sh, axis, keep)
            }
        });
        self.from_rule(a, out, &[0], &[&s])
    }

    pub(super) fn reshape(&mut self, a: &mut CArgs) -> AVal {
        let Some(s) = self.arg_shape(a, 0) else {
            return self.from_rule(a, RuleOut::Undecided(String::new(), None), &[0], &[]);
        };
        let number = |n: isize| match usize::try_from(n) {
            Ok(n) => SpecDim::Size(Dim::Known(n)),
            Err(_) => SpecDim::Neg(n),
        };
        let spec: Option<Vec<SpecDim>> = if a.all_known() {
            match self.take(a.real.dims(&self.interp, 1)) {
                Some((dims, _)) => Some(dims.iter().map(|&d| number(d as isize)).collect()),
                None => return AVal::Unknown,
            }
        } else {
            let vals = a.dim_values(1);
            vals.iter()
                .map(|v| match v {
                    AVal::Num(ANum::Known(n)) if n.fract() == 0.0 => Some(number(*n as isize)),
                    AVal::Num(ANum::Dim(d)) => Some(SpecDim::Size(*d)),
                    _ => None,
                })
                .collect::<Option<Vec<SpecDim>>>()
                .filter(|v| !v.is_empty() || vals.is_empty())
        };
        let out = match spec {
            Some(spec) => self.rule_reshape(&s, &spec),
            None => RuleOut::Ok(vec![ANON; a.dim_values(1).len()]),
        };
        self.from_rule(a, out, &[0], &[&s])
    }

    pub(super) fn cat(&mut self, a: &mut CArgs) -> AVal {
        let stack = a.b.check == Check::Stack;
        let axis = if a.get(1).is_none() {
            Some(0)
        } else {
            self.int_arg(a, 1)
        };
        let list = a.val(0);
        let items = match &list {
            AVal::List(_) => list.exact_items(),
            AVal::Unknown => return self.leaf(None),
            other => {
                self.report(
                    Diagnostic::error(
                        "type::argument",
                        format!(
                            "`{}` needs a list of tensors, found a {}",
                            a.b.name,
                            other.kind()
                        ),
                    )
                    .primary(a.span(0), format!("this is a {}", other.kind()))
                    .help(format!("write `{}([a, b], axis=0)`", a.b.name)),
                );
                return AVal::Unknown;
            }
        };
        let Some(items) = items else {
            // A list of unknown length: every item is like `elem`.
            let elem = list.element_approx();
            let shape = match (&elem, axis) {
                (AVal::Tensor(t), Some(axis)) => t.shape.as_ref().and_then(|s| {
                    let rank = if stack { s.len() + 1 } else { s.len() };
                    let ax = shape::normalize_axis(axis, rank).ok()?;
                    let mut s = s.clone();
                    if stack {
                        s.insert(ax, ANON);
                    } else {
                        s[ax] = ANON;
                    }
                    Some(s)
                }),
                _ => None,
            };
            return self.leaf(shape);
        };
        let mut shapes: Vec<Shape> = Vec::with_capacity(items.len());
        let mut inputs: Vec<Rc<ATensor>> = Vec::new();
        for it in &items {
            match it {
                AVal::Tensor(t) => {
                    inputs.push(t.clone());
                    match &t.shape {
                        Some(s) => shapes.push(s.clone()),
                        None => return self.leaf(None),
                    }
                }
                AVal::Num(_) => shapes.push(Vec::new()),
                AVal::Unknown => return self.leaf(None),
                other => {
                    self.report(
                        Diagnostic::error(
                            "type::argument",
                            format!(
                                "`{}` needs a list of tensors, found a {} in it",
                                a.b.name,
                                other.kind()
                            ),
                        )
                        .primary(a.span(0), "this list"),
                    );
                    return AVal::Unknown;
                }
            }
        }
        let Some(axis) = axis else {
            return self.leaf(None);
        };
        let out = self.rule_cat(&shapes, axis, stack, a.callee);
        let site = self.site(a, &[0]);
        let raw: Vec<&[Dim]> = shapes.iter().map(|s| s.as_slice()).collect();
        let shape = self.settle(out, &site, &raw);
        let refs: Vec<&ATensor> = inputs.iter().map(|t| &**t).collect();
        self.new_tensor(shape, &refs)
    }
}
