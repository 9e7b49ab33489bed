//! Training builtins with PyTorch's names: the losses' shared argument handling
//! (`reduction`, `weight`, `ignore_index`, `label_smoothing`) and the losses added beside
//! the original four (`nll_loss`, `l1_loss`, `smooth_l1_loss`, `huber_loss`, `kl_div`,
//! and the `torch.nn.functional` spellings), the optimisers `adamw` and `rmsprop`,
//! `clip_grad_norm`, and the learning-rate setter `set_lr` (`opt.lr` reads it).

use crate::runtime::builtins::{Args, Builtin, P};
use crate::runtime::interp::{Interp, R};
use crate::runtime::value::{Optimizer, Value};
use crate::syntax::diagnostic::Diagnostic;
use crate::tensor::{self, LossKind, LossOp, Reduction, Tensor};
use std::cell::RefCell;
use std::rc::Rc;

use P::{Kw, Opt, Req};

use super::convert::*;

pub static TABLE: &[Builtin] = &[
    // ---- losses
    b!(
        "mse_loss",
        [Req("input"), Req("target"), Kw("reduction", "'mean'")],
        "mean squared error (same as `mse`)",
        "mse_loss(pred, y, reduction='sum')",
        f_mse_loss, Shapes, lint Loss
    ),
    b!(
        "binary_cross_entropy",
        [Req("input"), Req("target"), Kw("reduction", "'mean'")],
        "binary cross-entropy of probabilities (same as `bce`)",
        "binary_cross_entropy(sigmoid(z), y)",
        f_bce_loss, Shapes, lint Loss
    ),
    b!(
        "binary_cross_entropy_with_logits",
        [Req("input"), Req("target"), Kw("reduction", "'mean'")],
        "binary cross-entropy of logits (same as `bce_logits`)",
        "binary_cross_entropy_with_logits(z, y)",
        f_bce_logits_loss, Shapes, lint LogitLoss
    ),
    b!(
        "nll_loss",
        [
            Req("input"),
            Req("target"),
            Opt("weight", "None"),
            Kw("ignore_index", "-100"),
            Kw("reduction", "'mean'")
        ],
        "negative log-likelihood of log-probabilities [N, C] at class indices [N]",
        "nll_loss(log_softmax(logits), labels)",
        f_nll_loss, Shapes, lint Loss
    ),
    b!(
        "l1_loss",
        [Req("input"), Req("target"), Kw("reduction", "'mean'")],
        "mean absolute error; both shapes must be equal",
        "l1_loss(pred, y)",
        f_l1_loss, Shapes, lint Loss
    ),
    b!(
        "smooth_l1_loss",
        [
            Req("input"),
            Req("target"),
            Kw("reduction", "'mean'"),
            Kw("beta", "1.0")
        ],
        "0.5 d² / beta where |d| < beta, |d| - beta / 2 elsewhere (d = input - target)",
        "smooth_l1_loss(pred, y, beta=0.5)",
        f_smooth_l1_loss, Shapes, lint Loss
    ),
    b!(
        "huber_loss",
        [
            Req("input"),
            Req("target"),
            Opt("reduction", "'mean'"),
            Opt("delta", "1.0")
        ],
        "0.5 d² where |d| < delta, delta (|d| - delta / 2) elsewhere",
        "huber_loss(pred, y, delta=2.0)",
        f_huber_loss, Shapes, lint Loss
    ),
    b!(
        "kl_div",
        [
            Req("input"),
            Req("target"),
            Kw("reduction", "'mean'"),
            Kw("log_target", "False")
        ],
        "KL divergence of log-probabilities input from target; reduction='batchmean' is the true KL",
        "kl_div(log_softmax(z), p, reduction='batchmean')",
        f_kl_div, Shapes
    ),
    // ---- optimisers
    b!(
        "adamw",
        [
            Req("params"),
            Opt("lr", "0.001"),
            Kw("betas", "[0.9, 0.999]"),
            Kw("eps", "1e-08"),
            Kw("weight_decay", "0.01")
        ],
        "Adam with decoupled weight decay (torch.optim.AdamW)",
        "opt = adamw([W1, W2], lr=0.001)",
        f_adamw, Optimizer
    ),
    b!(
        "rmsprop",
        [
            Req("params"),
            Opt("lr", "0.01"),
            Kw("alpha", "0.99"),
            Kw("eps", "1e-08"),
            Kw("weight_decay", "0"),
            Kw("momentum", "0"),
            Kw("centered", "False")
        ],
        "the RMSprop optimiser over a list of tensors (torch.optim.RMSprop)",
        "opt = rmsprop([W], lr=0.01)",
        f_rmsprop, Optimizer
    ),
    b!(
        "clip_grad_norm",
        [Req("parameters"), Req("max_norm"), Opt("norm_type", "2")],
        "scale the last backward's gradients so their joint norm is at most max_norm; returns the norm",
        "clip_grad_norm([W1, W2], 1.0)",
        f_clip_grad_norm
    ),
    b!(
        "clip_grad_norm_",
        [Req("parameters"), Req("max_norm"), Opt("norm_type", "2")],
        "same as `clip_grad_norm` (PyTorch's in-place spelling)",
        "clip_grad_norm_([W1, W2], 1.0)",
        f_clip_grad_norm
    ),
    b!(
        "set_lr",
        [Req("opt"), Req("lr")],
        "change an optimiser's learning rate (read it with `opt.lr`)",
        "set_lr(opt, 0.5 * opt.lr)",
        f_set_lr, Nothing
    ),
];

// ------------------------------------------------------------------ losses

/// The `reduction=` argument in slot `i` (`mean` when absent).
fn reduction(interp: &Interp, a: &Args, i: usize) -> R<Reduction> {
    if a.get(i).is_none() {
        return Ok(Reduction::Mean);
    }
    let s = a.string(interp, i)?;
    match Reduction::parse(&s) {
        Some(r) => Ok(r),
        None => Err(interp.fail(
            Diagnostic::error(
                "value::argument",
                format!("`{}` has no reduction '{s}'", a.builtin.name),
            )
            .primary(a.span(i), "unknown reduction")
            .help("write reduction='mean' (the default), 'sum' or 'none'"),
        )),
    }
}

/// Runs loss `op` on arguments 0 and 1.
fn run_loss(interp: &mut Interp, a: &mut Args, op: LossOp) -> R<Value> {
    let p = a.tensor(interp, 0)?;
    let t = a.tensor(interp, 1)?;
    let out = tensor::loss(op, &p, &t).map_err(|e| a.fail(interp, e, &[0, 1]))?;
    interp.check_finite(&out, &[&p, &t], a.callee, a.builtin.name);
    tensor_value(out)
}

/// An elementwise loss with its `reduction=` in slot `red`.
pub(super) fn simple_loss(
    interp: &mut Interp,
    a: &mut Args,
    kind: LossKind,
    red: usize,
) -> R<Value> {
    let op = LossOp {
        reduction: reduction(interp, a, red)?,
        ..LossOp::new(kind)
    };
    run_loss(interp, a, op)
}

/// A class loss: `weight` (slot `w`, a 1-D tensor or list), `ignore_index` (slot `ig`),
/// `reduction` (slot `red`), `label_smoothing` (slot `ls`, when the loss has it).
pub(super) fn class_loss(
    interp: &mut Interp,
    a: &mut Args,
    kind: LossKind,
    [w, ig, red, ls]: [usize; 4],
) -> R<Value> {
    let weight = match a.get(w) {
        None => None,
        Some(_) => {
            let t = a.tensor(interp, w)?;
            if t.ndim() != 1 {
                return Err(interp.fail(
                    Diagnostic::error(
                        "shape::loss",
                        format!(
                            "`{}` needs a 1-D `weight` (one value per class), found shape {}",
                            a.builtin.name,
                            crate::runtime::explain::shape_str(&t.shape())
                        ),
                    )
                    .primary(a.span(w), "this weight"),
                ));
            }
            let v: Vec<f32> = t.data().iter().copied().collect();
            Some(Rc::from(v))
        }
    };
    let smoothing = match a.builtin.params.get(ls) {
        Some(_) => a.number_or(interp, ls, 0.0)?,
        None => 0.0,
    };
    if !(0.0..=1.0).contains(&smoothing) {
        return Err(interp.fail(
            Diagnostic::error(
                "value::argument",
                format!("`label_smoothing` must be between 0 and 1, found {smoothing}"),
            )
            .primary(a.span(ls), "this value"),
        ));
    }
    let op = LossOp {
        kind,
        reduction: reduction(interp, a, red)?,
        weight,
        ignore_index: match a.get(ig) {
            None => -100,
            Some(_) => a.int(interp, ig)?,
        },
        label_smoothing: smoothing as f32,
        saved: Default::default(),
    };
    run_loss(interp, a, op)
}

fn f_mse_loss(interp: &mut Interp, a: &mut Args) -> R<Value> {
    simple_loss(interp, a, LossKind::Mse, 2)
}

fn f_bce_loss(interp: &mut Interp, a: &mut Args) -> R<Value> {
    simple_loss(interp, a, LossKind::Bce, 2)
}

fn f_bce_logits_loss(interp: &mut Interp, a: &mut Args) -> R<Value> {
    simple_loss(interp, a, LossKind::BceLogits, 2)
}

fn f_nll_loss(interp: &mut Interp, a: &mut Args) -> R<Value> {
    class_loss(interp, a, LossKind::Nll, [2, 3, 4, usize::MAX])
}

fn f_l1_loss(interp: &mut Interp, a: &mut Args) -> R<Value> {
    simple_loss(interp, a, LossKind::L1, 2)
}

/// A finite, non-negative loss parameter (`beta`, `delta`).
fn nonneg(interp: &Interp, a: &Args, i: usize, default: f64, positive: bool) -> R<f32> {
    let v = a.number_or(interp, i, default)?;
    if !v.is_finite() || v < 0.0 || (positive && v == 0.0) {
        let want = if positive { "above 0" } else { "0 or more" };
        return Err(interp.fail(
            Diagnostic::error(
                "value::argument",
                format!(
                    "`{}` needs `{}` {want}, found {v}",
                    a.builtin.name,
                    a.builtin.params[i].name()
                ),
            )
            .primary(a.span(i), "this value"),
        ));
    }
    Ok(v as f32)
}

fn f_smooth_l1_loss(interp: &mut Interp, a: &mut Args) -> R<Value> {
    let beta = nonneg(interp, a, 3, 1.0, false)?;
    simple_loss(interp, a, LossKind::SmoothL1(beta), 2)
}

fn f_huber_loss(interp: &mut Interp, a: &mut Args) -> R<Value> {
    let delta = nonneg(interp, a, 3, 1.0, true)?;
    simple_loss(interp, a, LossKind::Huber(delta), 2)
}

fn f_kl_div(interp: &mut Interp, a: &mut Args) -> R<Value> {
    let log_target = a.bool_or(interp, 3, false)?;
    simple_loss(interp, a, LossKind::KlDiv(log_target), 2)
}

// ------------------------------------------------------------------ optimisers

fn new_opt(o: Optimizer) -> R<Value> {
    Ok(Value::Optimizer(Rc::new(RefCell::new(o))))
}

/// A finite hyper-parameter that must be 0 or more.
pub(super) fn hyper(interp: &Interp, a: &Args, i: usize, default: f64) -> R<f64> {
    let v = a.number_or(interp, i, default)?;
    if !v.is_finite() || v < 0.0 {
        return Err(interp.fail(
            Diagnostic::error(
                "value::argument",
                format!(
                    "`{}` needs `{}` to be a finite number >= 0, found {v}",
                    a.builtin.name,
                    a.builtin.params[i].name()
                ),
            )
            .primary(a.span(i), "this value"),
        ));
    }
    Ok(v)
}

fn f_adamw(interp: &mut Interp, a: &mut Args) -> R<Value> {
    let params = super::autodiff::param_list(interp, a)?;
    let lr = hyper(interp, a, 1, 0.001)?;
    let (b1, b2) = super::autodiff::betas(interp, a, 2)?;
    let eps = hyper(interp, a, 3, 1e-8)?;
    let wd = hyper(interp, a, 4, 0.01)?;
    let mut o = tensor::Adam::new(params, lr, b1, b2, eps);
    o.weight_decay = wd;
    o.decoupled = true;
    new_opt(Optimizer::Adam(o))
}

fn f_rmsprop(interp: &mut Interp, a: &mut Args) -> R<Value> {
    let params = super::autodiff::param_list(interp, a)?;
    let lr = hyper(interp, a, 1, 0.01)?;
    let alpha = hyper(interp, a, 2, 0.99)? as f32;
    let eps = hyper(interp, a, 3, 1e-8)? as f32;
    let mut o = tensor::RmsProp::new(params, lr, alpha, eps);
    o.weight_decay = hyper(interp, a, 4, 0.0)? as f32;
    o.momentum = hyper(interp, a, 5, 0.0)? as f32;
    o.centered = a.bool_or(interp, 6, false)?;
    new_opt(Optimizer::RmsProp(o))
}

fn f_clip_grad_norm(interp: &mut Interp, a: &mut Args) -> R<Value> {
    let params = super::autodiff::param_list(interp, a)?;
    let max_norm = a.number(interp, 1)?;
    let norm_type = match a.get(2) {
        Some(Value::Str(s)) if &**s == "inf" => f64::INFINITY,
        _ => a.number_or(interp, 2, 2.0)?,
    };
    let store = match &interp.grads {
        Some(s) => s,
        None => return Err(a.fail(interp, tensor::TensorError::NoBackward, &[0])),
    };
    let total = tensor::clip_grad_norm(store, &params, max_norm as f32, norm_type as f32)
        .map_err(|e| a.fail(interp, e, &[0]))?;
    for p in &params {
        interp.note_changed(p, a.call);
    }
    tensor_value(Tensor::leaf(ndarray::ArrayD::from_elem(
        ndarray::IxDyn(&[]),
        total,
    )))
}

fn f_set_lr(interp: &mut Interp, a: &mut Args) -> R<Value> {
    let Value::Optimizer(o) = a.value(0) else {
        let v = a.value(0);
        return Err(interp.fail(
            Diagnostic::error(
                "type::argument",
                format!("`set_lr` needs an optimiser, found a {}", v.kind()),
            )
            .primary(a.span(0), format!("this is a {}", v.kind())),
        ));
    };
    let lr = hyper(interp, a, 1, 0.0)?;
    o.borrow_mut().set_lr(lr);
    crate::runtime::param_groups::write_lr(interp, &o, lr);
    Ok(Value::None)
}

impl Optimizer {
    /// The learning rate (`opt.lr`).
    pub fn lr(&self) -> f64 {
        match self {
            Optimizer::Sgd(o) => o.lr,
            Optimizer::Adam(o) => o.lr,
            Optimizer::RmsProp(o) => o.lr,
        }
    }

    pub fn set_lr(&mut self, lr: f64) {
        match self {
            Optimizer::Sgd(o) => o.lr = lr,
            Optimizer::Adam(o) => o.lr = lr,
            Optimizer::RmsProp(o) => o.lr = lr,
        }
    }

    /// The tensors it updates.
    pub fn params(&self) -> &[Tensor] {
        match self {
            Optimizer::Sgd(o) => &o.params,
            Optimizer::Adam(o) => &o.params,
            Optimizer::RmsProp(o) => &o.params,
        }
    }

    /// One step with the gradients of `store`.
    pub fn step(&mut self, store: &tensor::GradStore) -> Result<(), tensor::TensorError> {
        match self {
            Optimizer::Sgd(o) => o.step(store),
            Optimizer::Adam(o) => o.step(store),
            Optimizer::RmsProp(o) => o.step(store),
        }
    }
}
