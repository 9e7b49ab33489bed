//! Autodiff and training builtins: `item`, `backward`, `grad`, `detach`, `gradcheck`,
//! the optimisers `sgd` and `adam` and `step`.

use crate::runtime::interp::{Interp, R};
use crate::runtime::value::{Args, Builtin, P};
use crate::runtime::value::{Optimizer, Value};
use crate::syntax::diagnostic::Diagnostic;
use crate::tensor::{self, Tensor};
use std::cell::RefCell;
use std::rc::Rc;

use P::{Kw, Opt, Req, Var};

use super::convert::*;

pub static TABLE: &[Builtin] = &[
    // ---- autodiff
    b!(
        "item",
        [Req("x")],
        "the number in a one-element tensor",
        "item(loss)",
        f_item, pure Item
    ),
    b!(
        "backward",
        [Req("loss"), Opt("gradient", "None"), Kw("retain_graph", "None"), Kw("create_graph", "False")],
        "compute d loss / d t for every tensor the loss depends on; for a non-scalar, `gradient` weighs its elements (the backward of sum(loss * gradient)); the graph is always kept",
        "backward(loss)",
        f_backward,
        Backward
    ),
    b!(
        "grad",
        [Req("x")],
        "the gradient of x from the last backward",
        "grad(W)",
        f_grad,
        Grad
    ),
    b!(
        "detach",
        [Req("x")],
        "a leaf copy of x, outside any graph",
        "detach(h)",
        f_detach,
        LikeFirst
    ),
    b!(
        "gradcheck",
        [Req("f"), Var("tensors")],
        "compare autodiff gradients of f() with finite differences",
        "gradcheck(loss_fn, W)",
        f_gradcheck,
        Gradcheck
    ),
    b!(
        "sgd",
        [
            Req("params"),
            Opt("lr", "0.01"),
            Kw("momentum", "0.0"),
            Kw("weight_decay", "0"),
            Kw("nesterov", "False")
        ],
        "stochastic gradient descent over a list of tensors",
        "opt = sgd([W1, W2], lr=0.1)",
        f_sgd,
        Optimizer
    ),
    b!(
        "adam",
        [
            Req("params"),
            Opt("lr", "0.001"),
            Kw("betas", "[0.9, 0.999]"),
            Kw("eps", "1e-08"),
            Kw("weight_decay", "0")
        ],
        "the Adam optimiser over a list of tensors (weight_decay adds wd * p to the gradient)",
        "opt = adam([W1, W2], lr=0.01)",
        f_adam,
        Optimizer
    ),
    b!(
        "step",
        [Req("opt")],
        "apply the gradients of the last backward with an optimiser",
        "step(opt)",
        f_step,
        Step
    ),
    b!(
        "zero_grad",
        [Req("opt"), Kw("set_to_none", "True")],
        "does nothing: tsr's gradients never accumulate (kept for PyTorch habits)",
        "zero_grad(opt)",
        f_zero_grad,
        Nothing
    ),
];

fn f_item(interp: &mut Interp, a: &mut Args) -> R<Value> {
    match a.value(0) {
        Value::Number(n) => Ok(Value::Number(n)),
        Value::Tensor(t) => match t.item() {
            Some(x) => Ok(Value::Number(x as f64)),
            None => {
                let op = interp.operand(a.span(0), Some(&Value::Tensor(t.clone())));
                Err(interp.fail(crate::runtime::explain::item_not_scalar(
                    interp,
                    &op,
                    &t.shape(),
                )))
            }
        },
        other => Err(interp.fail(
            Diagnostic::error(
                "type::argument",
                format!("`item` needs a tensor, found a {}", other.kind()),
            )
            .primary(a.span(0), ""),
        )),
    }
}

fn f_backward(interp: &mut Interp, a: &mut Args) -> R<Value> {
    let t = match a.value(0) {
        Value::Tensor(t) => t,
        other => {
            return Err(interp.fail(
                Diagnostic::error(
                    "type::argument",
                    format!("`backward` needs a tensor, found a {}", other.kind()),
                )
                .primary(a.span(0), format!("this is a {}", other.kind())),
            ))
        }
    };
    // `y.backward(g)`: the gradient of sum(y * g), as PyTorch's vector-Jacobian product.
    let t = match a.get(1) {
        Some(Value::Tensor(g)) => tensor::binary(tensor::BinaryOp::Mul, &t, g)
            .and_then(|p| tensor::reduce(tensor::ReduceOp::Sum, &p, None, false))
            .map_err(|e| a.fail(interp, e, &[0, 1]))?,
        _ => t,
    };
    let store = tensor::backward(&t).map_err(|e| a.fail(interp, e, &[0]))?;
    interp.set_grads(store);
    Ok(Value::None)
}

fn f_grad(interp: &mut Interp, a: &mut Args) -> R<Value> {
    let t = match a.value(0) {
        Value::Tensor(t) => t,
        other => {
            return Err(interp.fail(
                Diagnostic::error(
                    "type::argument",
                    format!("`grad` needs a tensor, found a {}", other.kind()),
                )
                .primary(a.span(0), format!("this is a {}", other.kind())),
            ))
        }
    };
    let r = match &interp.grads {
        None => Err(tensor::TensorError::NoBackward),
        Some(store) => store.grad(&t),
    };
    r.map(Value::Tensor).map_err(|e| a.fail(interp, e, &[0]))
}

fn f_detach(interp: &mut Interp, a: &mut Args) -> R<Value> {
    let t = a.tensor(interp, 0)?;
    tensor_value(t.detach())
}

fn f_gradcheck(interp: &mut Interp, a: &mut Args) -> R<Value> {
    super::gradcheck::gradcheck(interp, a)
}

pub(super) fn param_list(interp: &Interp, a: &Args) -> R<Vec<Tensor>> {
    let ts = match a.value(0).listlike() {
        Value::Tensor(t) => vec![t],
        Value::List(_) => tensor_list(interp, a, 0)?,
        other => {
            return Err(interp.fail(
                Diagnostic::error(
                    "type::argument",
                    format!(
                        "`{}` needs a list of tensors, found a {}",
                        a.builtin.name,
                        other.kind()
                    ),
                )
                .primary(a.span(0), ""),
            ))
        }
    };
    if ts.is_empty() {
        // PyTorch: "optimizer got an empty parameter list".
        return Err(interp.fail(
            Diagnostic::error(
                "value::argument",
                format!(
                    "`{}` got an empty list of parameters: it would update nothing",
                    a.builtin.name
                ),
            )
            .primary(a.span(0), "no parameters")
            .help(
                "`model.parameters()` lists the layers' weights and the `nn.Parameter`s a \
                 module holds; a tensor stored as `self.w = torch.randn(...)` is not one: \
                 make it `self.w = nn.Parameter(torch.randn(...))`",
            ),
        ));
    }
    for t in &ts {
        t.mark_wanted();
    }
    Ok(ts)
}

fn f_sgd(interp: &mut Interp, a: &mut Args) -> R<Value> {
    let params = param_list(interp, a)?;
    let lr = super::training::hyper(interp, a, 1, 0.01)?;
    let momentum = a.number_or(interp, 2, 0.0)? as f32;
    let mut o = tensor::Sgd::new(params, lr, momentum);
    o.weight_decay = super::training::hyper(interp, a, 3, 0.0)? as f32;
    o.nesterov = a.bool_or(interp, 4, false)?;
    if o.nesterov && momentum <= 0.0 {
        return Err(interp.fail(
            Diagnostic::error(
                "value::argument",
                "Nesterov momentum needs a momentum above 0",
            )
            .primary(a.span(4), "nesterov=True")
            .help("give a momentum too, e.g. `sgd(params, lr=0.1, momentum=0.9, nesterov=True)`"),
        ));
    }
    Ok(Value::Optimizer(Rc::new(RefCell::new(Optimizer::Sgd(o)))))
}

/// The `betas=[b1, b2]` argument in slot `i`.
pub(super) fn betas(interp: &Interp, a: &Args, i: usize) -> R<(f64, f64)> {
    Ok(match a.get(i) {
        None => (0.9, 0.999),
        Some(v @ (Value::List(_) | Value::Tuple(_))) if matches!(v.clone().listlike(), Value::List(l) if l.borrow().len() == 2) =>
        {
            let Value::List(l) = v.clone().listlike() else {
                return Ok((0.9, 0.999));
            };
            let l = l.borrow();
            match (
                crate::runtime::eval::as_number(&l[0]),
                crate::runtime::eval::as_number(&l[1]),
            ) {
                (Some(x), Some(y)) => (x, y),
                _ => {
                    return Err(interp.fail(
                        Diagnostic::error("type::argument", "`betas` needs two numbers")
                            .primary(a.span(i), ""),
                    ))
                }
            }
        }
        Some(_) => {
            return Err(interp.fail(
                Diagnostic::error("type::argument", "`betas` needs a list of two numbers")
                    .primary(a.span(i), "")
                    .help("write `betas=[0.9, 0.999]`"),
            ))
        }
    })
}

fn f_adam(interp: &mut Interp, a: &mut Args) -> R<Value> {
    let params = param_list(interp, a)?;
    let lr = a.number_or(interp, 1, 0.001)?;
    let (b1, b2) = betas(interp, a, 2)?;
    let eps = a.number_or(interp, 3, 1e-8)?;
    let mut o = tensor::Adam::new(params, lr, b1, b2, eps);
    o.weight_decay = super::training::hyper(interp, a, 4, 0.0)?;
    Ok(Value::Optimizer(Rc::new(RefCell::new(Optimizer::Adam(o)))))
}

fn f_step(interp: &mut Interp, a: &mut Args) -> R<Value> {
    let opt = match a.value(0) {
        Value::Optimizer(o) => o,
        other => {
            return Err(interp.fail(
                Diagnostic::error(
                    "type::argument",
                    format!("`step` needs an optimiser, found a {}", other.kind()),
                )
                .primary(a.span(0), "")
                .help("make one with `opt = sgd([W1, W2], lr=0.1)` or `adam(...)`"),
            ))
        }
    };
    crate::runtime::param_groups::sync(interp, &opt);
    let Some(store) = &interp.grads else {
        return Err(a.fail(interp, tensor::TensorError::NoBackward, &[0]));
    };
    let r = opt.borrow_mut().step(store);
    r.map_err(|e| a.fail(interp, e, &[0]))?;
    let o = opt.borrow();
    for p in o.params() {
        interp.note_changed(p, a.call);
    }
    Ok(Value::None)
}

fn f_zero_grad(_: &mut Interp, _: &mut Args) -> R<Value> {
    Ok(Value::None)
}
