//! Losses with PyTorch's float32 formulas and `reduction` ("mean", "sum", "none", and
//! "batchmean" for `kl_div`): elementwise ones (mse, l1, smooth_l1, huber, bce with logs
//! clamped at -100, bce_logits via log-sigmoid, kl_div) and the class losses
//! (cross_entropy with class indices or probabilities, nll_loss) with class weights,
//! `ignore_index` and label smoothing.

use ndarray::{ArrayD, Axis, IxDyn};
use std::rc::Rc;

use super::conv::contig;
use super::kernels::{from_vec, sum_all};
use super::reduce::softmax_array;
use super::shape::{cross_entropy_shape, loss_shape};
use super::{ClassTargetKind, Input, MathError, Op, Tensor, TensorError};

/// How a loss combines its per-element (per-row) values.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Reduction {
    Mean,
    Sum,
    None,
    /// The sum divided by the batch size (the first axis): `kl_div` only.
    BatchMean,
}

impl Reduction {
    /// PyTorch's spelling; `None` for an unknown word.
    pub fn parse(s: &str) -> Option<Reduction> {
        Some(match s {
            "mean" => Reduction::Mean,
            "sum" => Reduction::Sum,
            "none" => Reduction::None,
            "batchmean" => Reduction::BatchMean,
            _ => return None,
        })
    }
}

#[derive(Clone, Copy, Debug, PartialEq)]
pub enum LossKind {
    Mse,
    Bce,
    BceLogits,
    L1,
    /// `beta`: quadratic below it (`smooth_l1_loss`).
    SmoothL1(f32),
    /// `delta`: quadratic below it (`huber_loss`).
    Huber(f32),
    /// The input holds log-probabilities; `log_target`: so does the target.
    KlDiv(bool),
    /// `classes`: the target holds class indices (else probabilities).
    CrossEntropy {
        classes: bool,
    },
    /// Log-probabilities `[N, C]` against class indices `[N]`.
    Nll,
}

/// A loss with its options (class weights and `ignore_index` only for the class losses,
/// label smoothing only for `cross_entropy`).
#[derive(Clone, Debug, PartialEq)]
pub struct LossOp {
    pub kind: LossKind,
    pub reduction: Reduction,
    pub weight: Option<Rc<[f32]>>,
    pub ignore_index: i64,
    pub label_smoothing: f32,
    /// A class loss's forward parts, kept for its backward (as PyTorch keeps the
    /// log-softmax it computed): set by `loss`.
    pub saved: Saved,
}

/// What a class loss's forward pass leaves for its backward.
#[derive(Clone, Default)]
pub struct Saved(Option<Rc<ClassParts>>);

/// Two ops are alike whatever they saved.
impl PartialEq for Saved {
    fn eq(&self, _: &Saved) -> bool {
        true
    }
}

impl std::fmt::Debug for Saved {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(if self.0.is_some() {
            "Saved(parts)"
        } else {
            "Saved(none)"
        })
    }
}

impl LossOp {
    pub fn new(kind: LossKind) -> LossOp {
        LossOp {
            kind,
            reduction: Reduction::Mean,
            weight: None,
            ignore_index: -100,
            label_smoothing: 0.0,
            saved: Saved::default(),
        }
    }

    pub fn name(&self) -> &'static str {
        match self.kind {
            LossKind::Mse => "mse",
            LossKind::Bce => "bce",
            LossKind::BceLogits => "bce_logits",
            LossKind::L1 => "l1_loss",
            LossKind::SmoothL1(_) => "smooth_l1_loss",
            LossKind::Huber(_) => "huber_loss",
            LossKind::KlDiv(_) => "kl_div",
            LossKind::CrossEntropy { .. } => "cross_entropy",
            LossKind::Nll => "nll_loss",
        }
    }

    /// Whether the target holds class indices (and so gets no gradient).
    pub fn class_indices(&self) -> bool {
        matches!(
            self.kind,
            LossKind::Nll | LossKind::CrossEntropy { classes: true }
        )
    }
}

/// `log(sigmoid(x))`, stable.
fn log_sigmoid(x: f32) -> f32 {
    x.min(0.0) - (-x.abs()).exp().ln_1p()
}

fn sgn(d: f32) -> f32 {
    if d > 0.0 {
        1.0
    } else if d < 0.0 {
        -1.0
    } else {
        0.0
    }
}

/// `x log y`, 0 where `x == 0` (PyTorch's `xlogy`).
fn xlogy(x: f32, y: f32) -> f32 {
    if x == 0.0 && !y.is_nan() {
        0.0
    } else {
        x * y.ln()
    }
}

/// One element's loss for the elementwise losses.
fn element(kind: LossKind, p: f32, t: f32) -> f32 {
    match kind {
        LossKind::Mse => (p - t) * (p - t),
        LossKind::Bce => (t - 1.0) * (-p).ln_1p().max(-100.0) - t * p.ln().max(-100.0),
        LossKind::BceLogits => (1.0 - t) * p - log_sigmoid(p),
        LossKind::L1 => (p - t).abs(),
        LossKind::SmoothL1(beta) => {
            let d = (p - t).abs();
            if d < beta {
                0.5 * d * d / beta
            } else {
                d - 0.5 * beta
            }
        }
        LossKind::Huber(delta) => {
            let d = (p - t).abs();
            if d < delta {
                0.5 * d * d
            } else {
                delta * (d - 0.5 * delta)
            }
        }
        LossKind::KlDiv(false) => xlogy(t, t) - t * p,
        LossKind::KlDiv(true) => t.exp() * (t - p),
        LossKind::CrossEntropy { .. } | LossKind::Nll => f32::NAN,
    }
}

/// One element's derivatives `(d/dp, d/dt)` for the elementwise losses.
fn element_grad(kind: LossKind, p: f32, t: f32) -> (f32, f32) {
    match kind {
        // 2 (p - t), -2 (p - t)
        LossKind::Mse => (2.0 * (p - t), -2.0 * (p - t)),
        // (p - t) / max(p (1 - p), 1e-12), -logit(p)
        LossKind::Bce => ((p - t) / ((1.0 - p) * p).max(1e-12), -(p / (1.0 - p)).ln()),
        // sigmoid(x) - t, -x
        LossKind::BceLogits => (super::elementwise::sigmoid(p) - t, -p),
        // sign(p - t), -sign(p - t)
        LossKind::L1 => (sgn(p - t), -sgn(p - t)),
        // d / beta inside (-beta, beta), sign(d) outside (sign(d) for beta == 0)
        LossKind::SmoothL1(beta) => {
            let d = p - t;
            let v = if beta == 0.0 || d.abs() >= beta {
                sgn(d)
            } else {
                d / beta
            };
            (v, -v)
        }
        // d inside [-delta, delta], delta sign(d) outside
        LossKind::Huber(delta) => {
            let d = p - t;
            let v = if d < -delta {
                -delta
            } else if d > delta {
                delta
            } else {
                d
            };
            (v, -v)
        }
        // -t, log t + 1 - p (NaN at t == 0, as PyTorch)
        LossKind::KlDiv(false) => {
            let dt = if t == 0.0 { f32::NAN } else { t.ln() + 1.0 - p };
            (-t, dt)
        }
        // -exp(t), exp(t) (t - p + 1)
        LossKind::KlDiv(true) => (-t.exp(), t.exp() * (t - p + 1.0)),
        LossKind::CrossEntropy { .. } | LossKind::Nll => (f32::NAN, f32::NAN),
    }
}

/// The number the summed loss is divided by: all elements for a mean, the first axis
/// for `batchmean`.
fn divisor(r: Reduction, shape: &[usize]) -> f32 {
    match r {
        Reduction::Mean => shape.iter().product::<usize>() as f32,
        Reduction::BatchMean => shape.first().copied().unwrap_or(1) as f32,
        Reduction::Sum | Reduction::None => 1.0,
    }
}

fn reduced(r: Reduction, per: ArrayD<f32>, div: f32) -> ArrayD<f32> {
    match r {
        Reduction::None => per,
        _ => ArrayD::from_elem(IxDyn(&[]), sum_all(&per) / div),
    }
}

/// The loss `op` of `pred` against `target` (shapes checked first).
pub fn loss(op: LossOp, pred: &Tensor, target: &Tensor) -> Result<Tensor, TensorError> {
    // At most the prediction's size (reduction "none"), plus per-element work of that size.
    super::budget::reserve_bytes(
        super::budget::data_bytes(pred.numel()).saturating_mul(2),
        &pred.shape(),
    )?;
    let mut saved = Saved::default();
    let data = {
        let (p, t) = (pred.data(), target.data());
        match op.kind {
            LossKind::CrossEntropy { .. } | LossKind::Nll => {
                let (out, parts) = class_loss(&op, &p, &t)?;
                saved = Saved(Some(Rc::new(parts)));
                out
            }
            kind => {
                loss_shape(op.name(), p.shape(), t.shape())?;
                if op.reduction == Reduction::BatchMean && !matches!(kind, LossKind::KlDiv(_)) {
                    return Err(TensorError::Math(MathError::BatchMean { loss: op.name() }));
                }
                if kind == LossKind::Bce {
                    if let Some(bad) = p.iter().find(|&&x| !(0.0..=1.0).contains(&x)) {
                        return Err(TensorError::Value(format!(
                            "`bce` needs probabilities between 0 and 1, got {bad} (use `bce_logits` for raw scores)"
                        )));
                    }
                }
                let per = super::kernels::zip_map(&p, &t, p.shape(), |a, b| element(kind, a, b));
                reduced(op.reduction, per, divisor(op.reduction, p.shape()))
            }
        }
    };
    let op = match op.kind {
        LossKind::CrossEntropy { .. } => {
            let classes = cross_entropy_shape(&pred.shape(), &target.shape())?.1;
            LossOp {
                kind: LossKind::CrossEntropy { classes },
                saved,
                ..op
            }
        }
        _ => LossOp { saved, ..op },
    };
    Ok(Tensor::from_op(
        data,
        Op::Loss(op, Input::new(pred), Input::new(target)),
    ))
}

/// Mean squared error.
pub fn mse(pred: &Tensor, target: &Tensor) -> Result<Tensor, TensorError> {
    loss(LossOp::new(LossKind::Mse), pred, target)
}

/// Binary cross entropy of probabilities, each log clamped at -100.
pub fn bce(prob: &Tensor, target: &Tensor) -> Result<Tensor, TensorError> {
    loss(LossOp::new(LossKind::Bce), prob, target)
}

/// Binary cross entropy of logits: `mean((1 - t) x - log_sigmoid(x))`.
pub fn bce_logits(logits: &Tensor, target: &Tensor) -> Result<Tensor, TensorError> {
    loss(LossOp::new(LossKind::BceLogits), logits, target)
}

/// Cross entropy of logits `[N, C]` (or `[C]`) against class indices `[N]` (or `[]`) or
/// probabilities of the logits' shape; the mean over the N rows.
pub fn cross_entropy(logits: &Tensor, target: &Tensor) -> Result<Tensor, TensorError> {
    loss(
        LossOp::new(LossKind::CrossEntropy { classes: true }),
        logits,
        target,
    )
}

/// Validates class indices against `classes` (`ignore` may be anything) and returns
/// them, `None` for an ignored row.
fn class_indices(
    t: &ArrayD<f32>,
    classes: usize,
    ignore: i64,
) -> Result<Vec<Option<usize>>, TensorError> {
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
            } else if v == ignore as f32 {
                Ok(None)
            } else if v < 0.0 || v >= classes as f32 {
                let one_based = t
                    .iter()
                    .all(|&u| u.fract() == 0.0 && u >= 1.0 && u <= classes as f32);
                Err(TensorError::ClassTarget {
                    kind: ClassTargetKind::OutOfRange {
                        position: i,
                        value: v,
                        classes,
                        one_based,
                    },
                })
            } else {
                Ok(Some(v as usize))
            }
        })
        .collect()
}

/// Rows as `[N, C]` (a `[C]` vector becomes one row).
fn rows(x: &ArrayD<f32>) -> ArrayD<f32> {
    if x.ndim() == 1 {
        x.view().insert_axis(Axis(0)).to_owned()
    } else {
        x.to_owned()
    }
}

/// What the class losses compute once for both passes.
pub struct ClassParts {
    /// Log-probabilities `[N, C]`.
    logp: ArrayD<f32>,
    /// Class weight per class (ones without `weight`).
    w: Vec<f32>,
    /// The class of each row (`None`: ignored), or `None` for probability targets.
    idx: Option<Vec<Option<usize>>>,
    /// Per-row loss and the mean's divisor.
    per: Vec<f32>,
    div: f32,
}

fn class_parts(op: &LossOp, x: &ArrayD<f32>, t: &ArrayD<f32>) -> Result<ClassParts, TensorError> {
    let nll = op.kind == LossKind::Nll;
    let (_, classes) = if nll {
        super::shape_math::nll_shape(x.shape(), t.shape())?
    } else {
        cross_entropy_shape(x.shape(), t.shape())?
    };
    let c = x.shape()[x.ndim() - 1];
    let w: Vec<f32> = match &op.weight {
        Some(w) if w.len() != c => {
            return Err(TensorError::Math(MathError::ClassWeight {
                loss: op.name(),
                classes: c,
                given: w.len(),
            }))
        }
        Some(w) => w.to_vec(),
        None => vec![1.0; c],
    };
    let logp = if nll {
        rows(x)
    } else {
        softmax_array(&rows(x), 1, true)
    };
    let n = logp.shape()[0];
    // Row-major [N, C]: row i is lp[i * c..(i + 1) * c].
    let lp = contig(&logp);
    let row = |i: usize| &lp[i * c..(i + 1) * c];
    let eps = op.label_smoothing;
    let cf = c as f32;
    let mut per = vec![0.0f32; n];
    let (idx, div) = if classes {
        let idx = class_indices(t, c, op.ignore_index)?;
        let mut div = 0.0f32;
        for (i, k) in idx.iter().enumerate() {
            let Some(k) = *k else { continue };
            div += w[k];
            let row = row(i);
            let nll_i = -w[k] * row[k];
            per[i] = if eps > 0.0 {
                let smooth: f32 = -row.iter().zip(&w).map(|(&l, &wc)| l * wc).sum::<f32>();
                (1.0 - eps) * nll_i + eps / cf * smooth
            } else {
                nll_i
            };
        }
        (Some(idx), div)
    } else {
        let tr = rows(t);
        let tr = contig(&tr);
        for (i, per) in per.iter_mut().enumerate() {
            // (Not `chunks_exact`: there may be no classes, c = 0.)
            let trow = &tr[i * c..(i + 1) * c];
            *per = -row(i)
                .iter()
                .zip(trow.iter())
                .zip(&w)
                .map(|((&l, &tv), &wc)| l * wc * (tv * (1.0 - eps) + eps / cf))
                .sum::<f32>();
        }
        (None, n as f32)
    };
    Ok(ClassParts {
        logp,
        w,
        idx,
        per,
        div,
    })
}

/// The forward value of a class loss, and the parts its backward reads.
fn class_loss(
    op: &LossOp,
    x: &ArrayD<f32>,
    t: &ArrayD<f32>,
) -> Result<(ArrayD<f32>, ClassParts), TensorError> {
    let mut parts = class_parts(op, x, t)?;
    let per = std::mem::take(&mut parts.per);
    let out = match op.reduction {
        Reduction::None => {
            let shape: &[usize] = if x.ndim() == 1 { &[] } else { &x.shape()[..1] };
            from_vec(shape, per)
        }
        Reduction::Sum => ArrayD::from_elem(IxDyn(&[]), per.iter().sum()),
        Reduction::Mean => ArrayD::from_elem(IxDyn(&[]), per.iter().sum::<f32>() / parts.div),
        Reduction::BatchMean => {
            return Err(TensorError::Math(MathError::BatchMean { loss: op.name() }))
        }
    };
    Ok((out, parts))
}

/// The upstream gradient of element (row) `i`, with the reduction's scale.
fn scale_of(r: Reduction, g: &ArrayD<f32>, div: f32) -> impl Fn(usize) -> f32 {
    let s = g.iter().next().copied().unwrap_or(0.0);
    let each: Vec<f32> = match r {
        Reduction::None => g.iter().copied().collect(),
        _ => vec![],
    };
    move |i| match r {
        Reduction::None => each.get(i).copied().unwrap_or(0.0),
        Reduction::Sum => s,
        Reduction::Mean | Reduction::BatchMean => s / div,
    }
}

/// Gradients of a loss for the inputs in `need`, given the upstream gradient `g` (a
/// scalar, or one per element for `reduction="none"`).
pub(crate) fn loss_grads(
    op: &LossOp,
    p: &ArrayD<f32>,
    t: &ArrayD<f32>,
    g: &ArrayD<f32>,
    need: [bool; 2],
) -> [Option<ArrayD<f32>>; 2] {
    let s = p.shape();
    if let LossKind::CrossEntropy { .. } | LossKind::Nll = op.kind {
        return class_grads(op, p, t, g, need);
    }
    let div = divisor(op.reduction, s);
    let gs: Vec<f32> = match op.reduction {
        Reduction::None => g.iter().copied().collect(),
        _ => vec![g.iter().next().copied().unwrap_or(0.0) / div; 1],
    };
    let at = |i: usize| if gs.len() == 1 { gs[0] } else { gs[i] };
    let pick = |which: usize| {
        let v: Vec<f32> = p
            .iter()
            .zip(t.iter())
            .enumerate()
            .map(|(i, (&a, &b))| {
                let (dp, dt) = element_grad(op.kind, a, b);
                at(i) * if which == 0 { dp } else { dt }
            })
            .collect();
        from_vec(s, v)
    };
    [need[0].then(|| pick(0)), need[1].then(|| pick(1))]
}

/// d/dlogp = -scale_i ((1 - eps) w[t_i] [c == t_i] + eps / C w_c) for index targets,
/// -scale_i w_c t'_ic for probabilities; cross_entropy then goes through log_softmax:
/// dx = dlogp - softmax(x) sum(dlogp). d/dt = -scale_i (1 - eps) w_c logp_ic.
fn class_grads(
    op: &LossOp,
    p: &ArrayD<f32>,
    t: &ArrayD<f32>,
    g: &ArrayD<f32>,
    need: [bool; 2],
) -> [Option<ArrayD<f32>>; 2] {
    let recomputed;
    let parts = match &op.saved.0 {
        Some(parts) => &**parts,
        None => {
            let Ok(parts) = class_parts(op, p, t) else {
                return [None, None];
            };
            recomputed = parts;
            &recomputed
        }
    };
    let scale = scale_of(op.reduction, g, parts.div);
    let (n, c) = (parts.logp.shape()[0], parts.logp.shape()[1]);
    let eps = op.label_smoothing;
    let cf = c as f32;
    let w = &parts.w;
    let dx = need[0].then(|| {
        // Row-major [N, C] slices: row i is [i * c..(i + 1) * c].
        let mut d = vec![0.0f32; n * c];
        let tr = parts.idx.is_none().then(|| rows(t));
        let tr = tr.as_ref().map(contig);
        let tr = tr.as_deref();
        let lp = contig(&parts.logp);
        for i in 0..n {
            // (Not `chunks_exact_mut`: there may be no classes, c = 0.)
            let row = &mut d[i * c..(i + 1) * c];
            let k = scale(i);
            match (&parts.idx, tr) {
                (Some(idx), _) => {
                    // An ignored row keeps zeros.
                    if let Some(cls) = idx[i] {
                        for (ci, o) in row.iter_mut().enumerate() {
                            let hit = if ci == cls { (1.0 - eps) * w[cls] } else { 0.0 };
                            *o = -k * (hit + eps / cf * w[ci]);
                        }
                    }
                }
                (None, Some(tr)) => {
                    let trow = &tr[i * c..(i + 1) * c];
                    for ((o, &tv), &wc) in row.iter_mut().zip(trow).zip(w) {
                        *o = -k * wc * (tv * (1.0 - eps) + eps / cf);
                    }
                }
                (None, None) => {}
            }
            if op.kind != LossKind::Nll {
                // log_softmax's backward: minus softmax(x) times the row's sum (summed
                // as ndarray sums a row).
                let tot: f32 = ndarray::ArrayView1::from(&*row).sum();
                let lrow = &lp[i * c..(i + 1) * c];
                row.iter_mut()
                    .zip(lrow)
                    .for_each(|(o, &l)| *o -= l.exp() * tot);
            }
        }
        from_vec(p.shape(), d)
    });
    let dt = (need[1] && parts.idx.is_none()).then(|| {
        let mut d = parts.logp.clone();
        for (i, mut row) in d.rows_mut().into_iter().enumerate() {
            let k = scale(i);
            row.iter_mut()
                .zip(w)
                .for_each(|(o, &wc)| *o *= -k * wc * (1.0 - eps));
        }
        d.into_shape_with_order(IxDyn(t.shape()))
            .expect("same size")
    });
    [dx, dt]
}
