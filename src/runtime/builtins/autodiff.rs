//! Autodiff and training builtins: `item`, `backward`, `grad`, `detach`, `gradcheck`,
//! the optimisers and `step`.

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
        [Req("loss")],
        "compute d loss / d t for every tensor the loss depends on",
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
        [Req("params"), Opt("lr", "0.01"), Kw("momentum", "0.0")],
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
            Kw("eps", "1e-08")
        ],
        "the Adam optimiser over a list of tensors",
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
        [Req("opt")],
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
            None => Err(interp.fail(
                Diagnostic::error(
                    "shape::item",
                    format!(
                        "`item` needs a one-element tensor, this one has {} elements",
                        t.numel()
                    ),
                )
                .primary(
                    a.span(0),
                    format!("shape {}", crate::runtime::explain::shape_str(&t.shape())),
                )
                .help("reduce it first, e.g. `item(sum(x))` or `item(mean(x))`"),
            )),
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

fn param_list(interp: &Interp, a: &Args) -> R<Vec<Tensor>> {
    let ts = match a.value(0) {
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
    for t in &ts {
        t.mark_wanted();
    }
    Ok(ts)
}

fn f_sgd(interp: &mut Interp, a: &mut Args) -> R<Value> {
    let params = param_list(interp, a)?;
    let lr = a.number_or(interp, 1, 0.01)? as f32;
    let momentum = a.number_or(interp, 2, 0.0)? as f32;
    Ok(Value::Optimizer(Rc::new(RefCell::new(Optimizer::Sgd(
        tensor::Sgd::new(params, lr, momentum),
    )))))
}

fn f_adam(interp: &mut Interp, a: &mut Args) -> R<Value> {
    let params = param_list(interp, a)?;
    let lr = a.number_or(interp, 1, 0.001)?;
    let (b1, b2) = match a.get(2) {
        None => (0.9, 0.999),
        Some(Value::List(l)) if l.borrow().len() == 2 => {
            let l = l.borrow();
            match (
                crate::runtime::eval::as_number(&l[0]),
                crate::runtime::eval::as_number(&l[1]),
            ) {
                (Some(x), Some(y)) => (x, y),
                _ => {
                    return Err(interp.fail(
                        Diagnostic::error("type::argument", "`betas` needs two numbers")
                            .primary(a.span(2), ""),
                    ))
                }
            }
        }
        Some(_) => {
            return Err(interp.fail(
                Diagnostic::error("type::argument", "`betas` needs a list of two numbers")
                    .primary(a.span(2), "")
                    .help("write `betas=[0.9, 0.999]`"),
            ))
        }
    };
    let eps = a.number_or(interp, 3, 1e-8)?;
    Ok(Value::Optimizer(Rc::new(RefCell::new(Optimizer::Adam(
        tensor::Adam::new(params, lr, b1, b2, eps),
    )))))
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
    let store = match &interp.grads {
        Some(s) => s,
        None => return Err(a.fail(interp, tensor::TensorError::NoBackward, &[0])),
    };
    let r = match &mut *opt.borrow_mut() {
        Optimizer::Sgd(s) => s.step(store),
        Optimizer::Adam(s) => s.step(store),
    };
    r.map_err(|e| a.fail(interp, e, &[0]))?;
    let o = opt.borrow();
    let (Optimizer::Sgd(tensor::Sgd { params, .. }) | Optimizer::Adam(tensor::Adam { params, .. })) =
        &*o;
    for p in params {
        interp.note_changed(p, a.call);
    }
    Ok(Value::None)
}

fn f_zero_grad(_: &mut Interp, _: &mut Args) -> R<Value> {
    Ok(Value::None)
}
