//! Builtins whose abstract result the checker finds by running them: `Check::Shapes`
//! runs the row's own function on zero tensors of the arguments' known shapes (its
//! errors are the run's own); a builtin without a rule gives a tensor of unknown shape
//! that depends on every tensor argument.

use super::args::CArgs;
use super::dims::Dim;
use super::value::{ANum, ATensor, AVal};
use super::Checker;
use crate::runtime::value::Value;
use std::rc::Rc;

/// Every tensor in `v`: itself, or the items of a list (what a result may depend on).
fn tensors_in(v: &AVal, out: &mut Vec<Rc<ATensor>>) {
    match v {
        AVal::Tensor(t) => out.push(t.clone()),
        AVal::List(_) => match v.exact_items() {
            Some(items) => items.iter().for_each(|i| tensors_in(i, out)),
            None => tensors_in(&v.element_approx(), out),
        },
        _ => {}
    }
}

impl Checker {
    /// A builtin without a rule: a tensor of unknown shape that depends on every tensor
    /// argument (so gradients still reach them), or unknown.
    pub(super) fn unknown_result(&mut self, a: &CArgs) -> AVal {
        let mut ins: Vec<Rc<ATensor>> = Vec::new();
        for (v, _) in a.slots.iter().flatten().chain(a.rest.iter()) {
            tensors_in(v, &mut ins);
        }
        if ins.is_empty() {
            return AVal::Unknown;
        }
        let refs: Vec<&ATensor> = ins.iter().map(|t| &**t).collect();
        self.new_tensor(None, &refs)
    }

    /// `Check::Shapes`: the builtin run for real with zero tensors of the arguments'
    /// shapes, when every tensor argument's shape is known and small and every other
    /// argument is known; its error is the run's own. `None` when it cannot be run.
    pub(super) fn run_on_zeros(&mut self, a: &CArgs) -> Option<AVal> {
        const MAX_ELEMENTS: usize = 1 << 20;
        let mut inputs: Vec<Rc<ATensor>> = Vec::new();
        let real = |v: &AVal, inputs: &mut Vec<Rc<ATensor>>| -> Option<Value> {
            match v {
                AVal::Tensor(t) => {
                    let s = Dim::real(&self.canon(t.shape.as_ref()?))?;
                    let n = s.iter().try_fold(1usize, |n, &d| n.checked_mul(d))?;
                    if n > MAX_ELEMENTS {
                        return None;
                    }
                    inputs.push(t.clone());
                    let z = ndarray::ArrayD::<f32>::zeros(ndarray::IxDyn(&s));
                    let z = crate::tensor::Tensor::leaf(z);
                    z.set_mask(t.mask == Some(true));
                    Some(Value::Tensor(z))
                }
                other => other.realize(),
            }
        };
        // A list of tensors (`cat`, `hstack`): each item as a zero tensor.
        let real = |v: &AVal, inputs: &mut Vec<Rc<ATensor>>| -> Option<Value> {
            match (v, v.exact_items()) {
                (AVal::List(_), Some(items))
                    if items.iter().any(|i| matches!(i, AVal::Tensor(_))) =>
                {
                    let mut out = Vec::with_capacity(items.len());
                    for it in &items {
                        out.push(real(it, inputs)?);
                    }
                    Some(Value::list(out))
                }
                _ => real(v, inputs),
            }
        };
        let mut slots = Vec::with_capacity(a.slots.len());
        for slot in &a.slots {
            slots.push(match slot {
                Some((v, span)) => Some((real(v, &mut inputs)?, *span)),
                None => None,
            });
        }
        let mut rest = Vec::with_capacity(a.rest.len());
        for (v, span) in &a.rest {
            rest.push((real(v, &mut inputs)?, *span));
        }
        let mut args = crate::runtime::value::Args {
            builtin: a.b,
            slots,
            rest,
            kwargs: a.real.kwargs.clone(),
            callee: a.real.callee,
            call: a.real.call,
        };
        let refs: Vec<&ATensor> = inputs.iter().map(|t| &**t).collect();
        match (a.b.func)(&mut self.interp, &mut args) {
            Ok(Value::Tensor(t)) => Some(self.from_run(&t, &refs)),
            // The checker keeps a tuple as a list of the same items.
            Ok(v @ (Value::List(_) | Value::Tuple(_))) => {
                let kind = match v {
                    Value::Tuple(_) => super::value::SeqKind::Tuple,
                    _ => super::value::SeqKind::List,
                };
                let items: Vec<Value> = match v {
                    Value::List(l) => l.borrow().clone(),
                    Value::Tuple(t) => t.as_ref().clone(),
                    _ => Vec::new(),
                };
                let out = items
                    .iter()
                    .map(|v| match v {
                        Value::Tensor(t) => self.from_run(t, &refs),
                        other => AVal::from_value(other),
                    })
                    .collect();
                Some(AVal::sequence(out, kind))
            }
            // PyTorch's (values, indices) pair (`sort`, `topk`, `x.max(1)`): both made
            // from the inputs, as a tuple the walker gives back as the pair.
            Ok(Value::Instance(i)) if i.class.name.starts_with("torch.return_types.") => {
                let mut out = Vec::with_capacity(2);
                for field in ["values", "indices"] {
                    out.push(match i.attrs.get(field) {
                        Some(Value::Tensor(t)) => {
                            self.new_tensor(Some(Dim::shape(&t.shape())), &refs)
                        }
                        _ => AVal::Unknown,
                    });
                }
                Some(AVal::sequence(out, super::value::SeqKind::Tuple))
            }
            Ok(Value::Number(_)) => Some(AVal::Num(ANum::Unknown)),
            Ok(v) => Some(AVal::from_value(&v)),
            Err(d) => {
                self.report(*d);
                Some(AVal::Unknown)
            }
        }
    }
}
