//! Losses, each a rank-0 mean, with PyTorch's float32 formulas: mse, bce (logs clamped
//! at -100), bce_logits (via log-sigmoid), cross_entropy (class indices or probabilities).

use ndarray::{ArrayD, Axis, IxDyn, Zip};

use super::kernels::{sum_all, zip_map};
use super::reduce::softmax_array;
use super::shape::{cross_entropy_shape, loss_shape};
use super::{ClassTargetKind, Input, Op, Tensor, TensorError};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LossOp {
    Mse,
    Bce,
    BceLogits,
    /// `classes`: the target holds class indices (else probabilities).
    CrossEntropy {
        classes: bool,
    },
}

impl LossOp {
    pub fn name(self) -> &'static str {
        match self {
            LossOp::Mse => "mse",
            LossOp::Bce => "bce",
            LossOp::BceLogits => "bce_logits",
            LossOp::CrossEntropy { .. } => "cross_entropy",
        }
    }
}

fn scalar(v: f32) -> ArrayD<f32> {
    ArrayD::from_elem(IxDyn(&[]), v)
}

fn make(op: LossOp, p: &Tensor, t: &Tensor, v: f32) -> Tensor {
    Tensor::from_op(scalar(v), Op::Loss(op, Input::new(p), Input::new(t)))
}

/// `log(sigmoid(x))`, stable.
fn log_sigmoid(x: f32) -> f32 {
    x.min(0.0) - (-x.abs()).exp().ln_1p()
}

/// Mean squared error.
pub fn mse(pred: &Tensor, target: &Tensor) -> Result<Tensor, TensorError> {
    let v = {
        let (p, t) = (pred.data(), target.data());
        let s = loss_shape("mse", p.shape(), t.shape())?;
        let d = zip_map(&p, &t, p.shape(), |a, b| (a - b) * (a - b));
        debug_assert!(s.is_empty());
        sum_all(&d) / p.len() as f32
    };
    Ok(make(LossOp::Mse, pred, target, v))
}

/// Binary cross entropy of probabilities, each log clamped at -100.
pub fn bce(prob: &Tensor, target: &Tensor) -> Result<Tensor, TensorError> {
    let v = {
        let (p, t) = (prob.data(), target.data());
        loss_shape("bce", p.shape(), t.shape())?;
        if let Some(bad) = p.iter().find(|&&x| !(0.0..=1.0).contains(&x)) {
            return Err(TensorError::Value(format!(
                "`bce` needs probabilities between 0 and 1, got {bad} (use `bce_logits` for raw scores)"
            )));
        }
        let d = zip_map(&p, &t, p.shape(), |x, y| {
            (y - 1.0) * (-x).ln_1p().max(-100.0) - y * x.ln().max(-100.0)
        });
        sum_all(&d) / p.len() as f32
    };
    Ok(make(LossOp::Bce, prob, target, v))
}

/// Binary cross entropy of logits: `mean((1 - t) x - log_sigmoid(x))`.
pub fn bce_logits(logits: &Tensor, target: &Tensor) -> Result<Tensor, TensorError> {
    let v = {
        let (x, t) = (logits.data(), target.data());
        loss_shape("bce_logits", x.shape(), t.shape())?;
        let d = zip_map(&x, &t, x.shape(), |a, y| (1.0 - y) * a - log_sigmoid(a));
        sum_all(&d) / x.len() as f32
    };
    Ok(make(LossOp::BceLogits, logits, target, v))
}

/// Validates class indices against `classes` and returns them.
fn class_indices(t: &ArrayD<f32>, classes: usize) -> Result<Vec<usize>, TensorError> {
    t.iter()
        .enumerate()
        .map(|(i, &v)| {
            if v.fract() != 0.0 || !v.is_finite() {
                Err(TensorError::ClassTarget {
                    kind: ClassTargetKind::NotInteger {
                        position: i,
                        value: v,
                    },
                })
            } else if v < 0.0 || v >= classes as f32 {
                Err(TensorError::ClassTarget {
                    kind: ClassTargetKind::OutOfRange {
                        position: i,
                        value: v,
                        classes,
                    },
                })
            } else {
                Ok(v as usize)
            }
        })
        .collect()
}

/// Logits as `[N, C]` (a `[C]` vector becomes one row).
fn rows(x: &ArrayD<f32>) -> ArrayD<f32> {
    if x.ndim() == 1 {
        x.view().insert_axis(Axis(0)).to_owned()
    } else {
        x.to_owned()
    }
}

/// Cross entropy of logits `[N, C]` (or `[C]`) against class indices `[N]` (or `[]`) or
/// probabilities of the logits' shape; the mean over the N rows.
pub fn cross_entropy(logits: &Tensor, target: &Tensor) -> Result<Tensor, TensorError> {
    let (v, classes) = {
        let (x, t) = (logits.data(), target.data());
        let (_, classes) = cross_entropy_shape(x.shape(), t.shape())?;
        let c = x.shape()[x.ndim() - 1];
        let ls = softmax_array(&rows(&x), 1, true);
        let n = ls.shape()[0];
        let total = if classes {
            let idx = class_indices(&t, c)?;
            -idx.iter()
                .enumerate()
                .map(|(i, &k)| ls[[i, k]])
                .sum::<f32>()
        } else {
            let tr = rows(&t);
            -sum_all(&zip_map(&ls, &tr, ls.shape(), |a, b| a * b))
        };
        (total / n as f32, classes)
    };
    Ok(make(LossOp::CrossEntropy { classes }, logits, target, v))
}

/// Gradients of a loss for the inputs in `need`, given the upstream scalar `g`.
pub(crate) fn loss_grads(
    op: LossOp,
    p: &ArrayD<f32>,
    t: &ArrayD<f32>,
    g: f32,
    need: [bool; 2],
) -> [Option<ArrayD<f32>>; 2] {
    let n = p.len().max(1) as f32;
    let s = p.shape();
    match op {
        // d/dp = 2 (p - t) / n, d/dt = -d/dp
        LossOp::Mse => {
            let k = 2.0 * g / n;
            [
                need[0].then(|| zip_map(p, t, s, |a, b| k * (a - b))),
                need[1].then(|| zip_map(p, t, s, |a, b| -k * (a - b))),
            ]
        }
        // d/dp = (p - t) / max(p (1 - p), 1e-12) / n, d/dt = -logit(p) / n
        LossOp::Bce => {
            let k = g / n;
            [
                need[0].then(|| zip_map(p, t, s, |a, b| k * (a - b) / ((1.0 - a) * a).max(1e-12))),
                need[1].then(|| p.mapv(|a| -k * (a / (1.0 - a)).ln())),
            ]
        }
        // d/dx = (sigmoid(x) - t) / n, d/dt = -x / n
        LossOp::BceLogits => {
            let k = g / n;
            [
                need[0].then(|| zip_map(p, t, s, |a, b| (super::elementwise::sigmoid(a) - b) * k)),
                need[1].then(|| p.mapv(|a| -a * k)),
            ]
        }
        // d/dx = (softmax(x) * sum(t) - t) / N (indices: t one-hot), d/dt = -log_softmax(x) / N
        LossOp::CrossEntropy { classes } => {
            let xr = rows(p);
            let rows_n = xr.shape()[0];
            let c = xr.shape()[1];
            let k = g / rows_n.max(1) as f32;
            let dx = need[0].then(|| {
                let mut sm = softmax_array(&xr, 1, false);
                if classes {
                    let idx = class_indices(t, c).unwrap_or_default();
                    for (i, &cls) in idx.iter().enumerate() {
                        sm[[i, cls]] -= 1.0;
                    }
                    sm.mapv_inplace(|v| v * k);
                } else {
                    let tr = rows(t);
                    Zip::from(sm.rows_mut())
                        .and(tr.rows())
                        .for_each(|mut sr, trow| {
                            let tot: f32 = trow.sum();
                            Zip::from(&mut sr)
                                .and(&trow)
                                .for_each(|a, &b| *a = (*a * tot - b) * k);
                        });
                }
                sm.into_shape_with_order(IxDyn(s)).expect("same size")
            });
            let dt = (need[1] && !classes).then(|| {
                let ls = softmax_array(&xr, 1, true);
                ls.mapv(|v| -v * k)
                    .into_shape_with_order(IxDyn(s))
                    .expect("same size")
            });
            [dx, dt]
        }
    }
}
