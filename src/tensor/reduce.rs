//! Reductions (sum, mean, max, min over one axis or all), argmax/argmin, and the
//! numerically stable softmax / log_softmax.

use ndarray::{ArrayD, ArrayView1, Axis, IxDyn, Zip};

use super::kernels::{broadcast_to, standard, sum_all, sum_axis};
use super::shape::{extreme_shape, normalize_axis, reduce_shape, scalar_axis, softmax_shape};
use super::{Input, Op, Tensor, TensorError};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ReduceOp {
    Sum,
    Mean,
    Max,
    Min,
}

impl ReduceOp {
    pub fn name(self) -> &'static str {
        match self {
            ReduceOp::Sum => "sum",
            ReduceOp::Mean => "mean",
            ReduceOp::Max => "max",
            ReduceOp::Min => "min",
        }
    }
}

/// NaN-propagating max/min step (`max == true` for max).
fn pick(max: bool, acc: f32, v: f32) -> f32 {
    if acc.is_nan() {
        acc
    } else if v.is_nan() || (max && v > acc) || (!max && v < acc) {
        v
    } else {
        acc
    }
}

/// Index of the first maximum (or minimum) of a lane; NaN counts as the extreme (first NaN).
pub(crate) fn arg_lane(max: bool, lane: ArrayView1<f32>) -> usize {
    let mut best = 0;
    let mut bv = f32::NAN;
    for (i, &v) in lane.iter().enumerate() {
        if i == 0 {
            bv = v;
            if v.is_nan() {
                return 0;
            }
            continue;
        }
        if v.is_nan() {
            return i;
        }
        if (max && v > bv) || (!max && v < bv) {
            best = i;
            bv = v;
        }
    }
    best
}

/// The forward value of a reduction (shape checked by the caller).
pub(crate) fn reduce_array(
    op: ReduceOp,
    x: &ArrayD<f32>,
    axis: Option<usize>,
    keepdim: bool,
) -> ArrayD<f32> {
    match axis {
        None => {
            let v = match op {
                ReduceOp::Sum => sum_all(x),
                ReduceOp::Mean => sum_all(x) / x.len() as f32,
                ReduceOp::Max => x.iter().fold(f32::NEG_INFINITY, |a, &v| pick(true, a, v)),
                ReduceOp::Min => x.iter().fold(f32::INFINITY, |a, &v| pick(false, a, v)),
            };
            let shape = if keepdim { vec![1; x.ndim()] } else { vec![] };
            ArrayD::from_elem(IxDyn(&shape), v)
        }
        Some(ax) => {
            let n = x.shape()[ax];
            let r = match op {
                ReduceOp::Sum => sum_axis(x, ax),
                ReduceOp::Mean => {
                    let mut s = sum_axis(x, ax);
                    s.mapv_inplace(|v| v / n as f32);
                    s
                }
                ReduceOp::Max => {
                    x.fold_axis(Axis(ax), f32::NEG_INFINITY, |&a, &v| pick(true, a, v))
                }
                ReduceOp::Min => x.fold_axis(Axis(ax), f32::INFINITY, |&a, &v| pick(false, a, v)),
            };
            if keepdim {
                r.insert_axis(Axis(ax))
            } else {
                r
            }
        }
    }
}

/// `sum/mean/max/min(x, axis, keepdim)`; `axis == None` reduces everything.
pub fn reduce(
    op: ReduceOp,
    t: &Tensor,
    axis: Option<isize>,
    keepdim: bool,
) -> Result<Tensor, TensorError> {
    let shape = t.shape();
    let out = match op {
        ReduceOp::Max | ReduceOp::Min => extreme_shape(op.name(), &shape, axis, keepdim)?,
        ReduceOp::Sum | ReduceOp::Mean => reduce_shape(&shape, axis, keepdim)?,
    };
    super::budget::reserve(&out)?;
    let ax = match axis {
        _ if scalar_axis(&shape, axis) => None,
        Some(a) => Some(normalize_axis(a, shape.len())?),
        None => None,
    };
    let data = reduce_array(op, &t.data(), ax, keepdim);
    Ok(Tensor::from_op(
        data,
        Op::Reduce(op, Input::new(t), ax, keepdim),
    ))
}

fn arg(max: bool, t: &Tensor, axis: Option<isize>) -> Result<Tensor, TensorError> {
    let shape = t.shape();
    extreme_shape(if max { "argmax" } else { "argmin" }, &shape, axis, false)?;
    let x = t.data();
    let axis = if scalar_axis(&shape, axis) {
        None
    } else {
        axis
    };
    let data = match axis {
        None => {
            let flat = x.iter().copied().collect::<Vec<f32>>();
            let i = arg_lane(max, ArrayView1::from(&flat[..]));
            ArrayD::from_elem(IxDyn(&[]), i as f32)
        }
        Some(a) => {
            let ax = normalize_axis(a, shape.len())?;
            x.map_axis(Axis(ax), |lane| arg_lane(max, lane) as f32)
        }
    };
    Ok(Tensor::leaf(data))
}

/// Index of the first maximum (flat when `axis` is `None`), as f32 values; no gradient.
pub fn argmax(t: &Tensor, axis: Option<isize>) -> Result<Tensor, TensorError> {
    arg(true, t, axis)
}

/// Index of the first minimum (flat when `axis` is `None`), as f32 values; no gradient.
pub fn argmin(t: &Tensor, axis: Option<isize>) -> Result<Tensor, TensorError> {
    arg(false, t, axis)
}

/// Gradient of a max/min reduction: all of `g` to the extreme PyTorch picks (the first
/// along an axis), or split evenly among ties for a full reduction.
pub(crate) fn extreme_grad(
    max: bool,
    x: &ArrayD<f32>,
    g: &ArrayD<f32>,
    axis: Option<usize>,
) -> ArrayD<f32> {
    match axis {
        None => {
            let m = reduce_array(
                if max { ReduceOp::Max } else { ReduceOp::Min },
                x,
                None,
                false,
            );
            let m = m.iter().next().copied().unwrap_or(0.0);
            let hit = |v: f32| v == m || (v.is_nan() && m.is_nan());
            let count = x.iter().filter(|&&v| hit(v)).count() as f32;
            let gv = g.iter().next().copied().unwrap_or(0.0) / count;
            x.mapv(|v| if hit(v) { gv } else { 0.0 })
        }
        Some(ax) => {
            let mut z = ArrayD::<f32>::zeros(x.raw_dim());
            let idx = x.map_axis(Axis(ax), |lane| arg_lane(max, lane));
            let gs = if g.ndim() == x.ndim() {
                g.index_axis(Axis(ax), 0)
            } else {
                g.view()
            };
            Zip::from(z.lanes_mut(Axis(ax)))
                .and(&idx)
                .and(&gs)
                .for_each(|mut lane, &i, &gv| lane[i] = gv);
            z
        }
    }
}

/// Gradient of sum/mean: `g` spread back over the reduced axes (divided by the count for
/// a mean).
pub(crate) fn spread_grad(
    mean: bool,
    x_shape: &[usize],
    g: &ArrayD<f32>,
    axis: Option<usize>,
    keepdim: bool,
) -> ArrayD<f32> {
    let n: usize = match axis {
        None => x_shape.iter().product(),
        Some(ax) => x_shape[ax],
    };
    let gv = match (axis, keepdim) {
        (Some(ax), false) => g.view().insert_axis(Axis(ax)),
        _ => g.view(),
    };
    // A full reduction's gradient is one number: filled, not broadcast element by element.
    let mut out = match gv.as_slice() {
        Some(&[v]) => ArrayD::from_elem(IxDyn(x_shape), v),
        _ => broadcast_to(&gv, x_shape),
    };
    if mean {
        out.mapv_inplace(|v| v / n as f32);
    }
    out
}

fn softmax_lane(o: &mut [f32], log: bool) {
    let m = o.iter().fold(f32::NEG_INFINITY, |a, &v| pick(true, a, v));
    let m = if m.is_infinite() { 0.0 } else { m };
    if log {
        let s: f32 = o.iter().map(|&v| (v - m).exp()).sum();
        let l = s.ln();
        o.iter_mut().for_each(|v| *v = *v - m - l);
    } else {
        let mut s = 0.0f32;
        o.iter_mut().for_each(|v| {
            let e = (*v - m).exp();
            s += e;
            *v = e;
        });
        let r = 1.0 / s;
        o.iter_mut().for_each(|v| *v *= r);
    }
}

pub(crate) fn softmax_array(x: &ArrayD<f32>, ax: usize, log: bool) -> ArrayD<f32> {
    if x.ndim() == 0 {
        return softmax_array(&lane(x), 0, log).remove_axis(Axis(0));
    }
    let mut out = standard(&x.view());
    let n = out.shape()[ax];
    if ax + 1 == out.ndim() && n > 0 {
        // Lanes along the last axis of a row-major array are consecutive slices.
        if let Some(s) = out.as_slice_mut() {
            s.chunks_exact_mut(n)
                .for_each(|lane| softmax_lane(lane, log));
            return out;
        }
    }
    let mut buf = Vec::with_capacity(n);
    for mut lane in out.lanes_mut(Axis(ax)) {
        buf.clear();
        buf.extend(lane.iter());
        softmax_lane(&mut buf, log);
        lane.iter_mut().zip(&buf).for_each(|(o, &v)| *o = v);
    }
    out
}

/// `softmax(x, axis)`, stable (the lane's max is subtracted first).
pub fn softmax(t: &Tensor, axis: isize) -> Result<Tensor, TensorError> {
    let ax = softmax_axis(t, axis)?;
    let data = softmax_array(&t.data(), ax, false);
    Ok(Tensor::from_op(data, Op::Softmax(Input::new(t), ax)))
}

/// `log_softmax(x, axis) = x - max - log(sum(exp(x - max)))`.
pub fn log_softmax(t: &Tensor, axis: isize) -> Result<Tensor, TensorError> {
    let ax = softmax_axis(t, axis)?;
    let data = softmax_array(&t.data(), ax, true);
    Ok(Tensor::from_op(data, Op::LogSoftmax(Input::new(t), ax)))
}

/// The checked axis of a softmax; a 0-d tensor counts as one lane of one element (axis
/// 0 or -1, as in PyTorch).
fn softmax_axis(t: &Tensor, axis: isize) -> Result<usize, TensorError> {
    let shape = t.shape();
    softmax_shape(&shape, axis)?;
    super::budget::reserve(&shape)?;
    if shape.is_empty() {
        return Ok(0);
    }
    normalize_axis(axis, shape.len())
}

/// A 0-d array as the one-element lane `[x]` (softmax works on lanes).
fn lane(x: &ArrayD<f32>) -> ArrayD<f32> {
    x.clone().insert_axis(Axis(0))
}

/// Softmax backward: `dx = y * (g - sum(g * y))` per lane (`y` the output).
pub(crate) fn softmax_grad(y: &ArrayD<f32>, g: &ArrayD<f32>, ax: usize) -> ArrayD<f32> {
    if y.ndim() == 0 {
        return softmax_grad(&lane(y), &lane(g), 0).remove_axis(Axis(0));
    }
    let mut out = ArrayD::<f32>::zeros(y.raw_dim());
    Zip::from(out.lanes_mut(Axis(ax)))
        .and(y.lanes(Axis(ax)))
        .and(g.lanes(Axis(ax)))
        .for_each(|mut o, yl, gl| {
            let s: f32 = yl.iter().zip(gl.iter()).map(|(&a, &b)| a * b).sum();
            Zip::from(&mut o)
                .and(&yl)
                .and(&gl)
                .for_each(|o, &a, &b| *o = a * (b - s));
        });
    out
}

/// Log-softmax backward: `dx = g - exp(y) * sum(g)` per lane (`y` the output).
pub(crate) fn log_softmax_grad(y: &ArrayD<f32>, g: &ArrayD<f32>, ax: usize) -> ArrayD<f32> {
    if y.ndim() == 0 {
        return log_softmax_grad(&lane(y), &lane(g), 0).remove_axis(Axis(0));
    }
    let mut out = ArrayD::<f32>::zeros(y.raw_dim());
    Zip::from(out.lanes_mut(Axis(ax)))
        .and(y.lanes(Axis(ax)))
        .and(g.lanes(Axis(ax)))
        .for_each(|mut o, yl, gl| {
            let s: f32 = gl.iter().sum();
            Zip::from(&mut o)
                .and(&yl)
                .and(&gl)
                .for_each(|o, &a, &b| *o = b - a.exp() * s);
        });
    out
}
