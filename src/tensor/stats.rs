//! Reductions over any set of axes (`logsumexp`, `var`, `std`, `prod`, `norm`, `amax`,
//! `amin`), scans along one axis (`cumsum`, `cumprod`), and `sort` / `topk`: each views
//! its input as lanes (the reduced axes moved last, row-major) and works lane by lane.

use ndarray::{ArrayD, IxDyn};

use super::kernels::{from_vec, standard};
use super::shape::checked_numel;
use super::shape_math::{along_shape, dims_extreme_shape, dims_shape, topk_shape};
use super::{Input, Op, Tensor, TensorError};

#[derive(Clone, Copy, Debug, PartialEq)]
pub enum LaneOp {
    LogSumExp,
    /// Variance with `correction` (Bessel's is 1).
    Var(f32),
    Std(f32),
    Prod,
    /// The vector p-norm; `p` may be 0, inf or -inf.
    Norm(f32),
    AMax,
    AMin,
}

impl LaneOp {
    pub fn name(self) -> &'static str {
        match self {
            LaneOp::LogSumExp => "logsumexp",
            LaneOp::Var(_) => "var",
            LaneOp::Std(_) => "std",
            LaneOp::Prod => "prod",
            LaneOp::Norm(_) => "norm",
            LaneOp::AMax => "amax",
            LaneOp::AMin => "amin",
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ScanOp {
    CumSum,
    CumProd,
}

impl ScanOp {
    pub fn name(self) -> &'static str {
        match self {
            ScanOp::CumSum => "cumsum",
            ScanOp::CumProd => "cumprod",
        }
    }
}

/// The axis order that puts `axes` last (the others first, each in order).
fn lane_perm(ndim: usize, axes: &[usize]) -> Vec<usize> {
    let mut perm: Vec<usize> = (0..ndim).filter(|a| !axes.contains(a)).collect();
    perm.extend_from_slice(axes);
    perm
}

/// `x` with `axes` moved last, as a row-major vector, and the lane length.
fn to_lanes(x: &ArrayD<f32>, axes: &[usize]) -> (Vec<f32>, usize) {
    let k: usize = axes.iter().map(|&a| x.shape()[a]).product();
    let perm = lane_perm(x.ndim(), axes);
    let p = standard(&x.view().permuted_axes(IxDyn(&perm)));
    (p.iter().copied().collect(), k)
}

/// The inverse of `to_lanes`: lanes back in `shape` (the input's).
fn from_lanes(v: Vec<f32>, shape: &[usize], axes: &[usize]) -> ArrayD<f32> {
    let perm = lane_perm(shape.len(), axes);
    let pshape: Vec<usize> = perm.iter().map(|&a| shape[a]).collect();
    let mut inv = vec![0; perm.len()];
    for (i, &a) in perm.iter().enumerate() {
        inv[a] = i;
    }
    standard(&from_vec(&pshape, v).view().permuted_axes(IxDyn(&inv)))
}

/// NaN-propagating extreme of a lane.
fn extreme(max: bool, lane: &[f32]) -> f32 {
    let mut m = if max {
        f32::NEG_INFINITY
    } else {
        f32::INFINITY
    };
    for &v in lane {
        if v.is_nan() {
            return v;
        }
        if (max && v > m) || (!max && v < m) {
            m = v;
        }
    }
    m
}

fn mean64(lane: &[f32]) -> f64 {
    lane.iter().map(|&v| v as f64).sum::<f64>() / lane.len() as f64
}

/// Variance (accumulated in f64, as PyTorch on the CPU); `NaN`/`inf` when the divisor
/// `n - correction` is not positive, as PyTorch.
fn variance(lane: &[f32], correction: f32) -> f32 {
    let m = mean64(lane);
    let ss: f64 = lane.iter().map(|&v| (v as f64 - m) * (v as f64 - m)).sum();
    (ss / (lane.len() as f64 - correction as f64).max(0.0)) as f32
}

fn lane_value(op: LaneOp, lane: &[f32]) -> f32 {
    match op {
        LaneOp::LogSumExp => {
            let m = extreme(true, lane);
            let m = if m.is_infinite() { 0.0 } else { m };
            lane.iter().map(|&v| (v - m).exp()).sum::<f32>().ln() + m
        }
        LaneOp::Var(c) => variance(lane, c),
        LaneOp::Std(c) => variance(lane, c).sqrt(),
        LaneOp::Prod => lane.iter().map(|&v| v as f64).product::<f64>() as f32,
        LaneOp::Norm(p) => norm(lane, p),
        LaneOp::AMax => extreme(true, lane),
        LaneOp::AMin => extreme(false, lane),
    }
}

/// The p-norm of a vector (inf: the largest magnitude, 0: the count of non-zeros).
pub(crate) fn vector_norm(lane: &[f32], p: f32) -> f32 {
    norm(lane, p)
}

fn norm(lane: &[f32], p: f32) -> f32 {
    let abs = lane.iter().map(|&v| (v as f64).abs());
    if p == f32::INFINITY {
        extreme(true, &lane.iter().map(|v| v.abs()).collect::<Vec<_>>())
    } else if p == f32::NEG_INFINITY {
        extreme(false, &lane.iter().map(|v| v.abs()).collect::<Vec<_>>())
    } else if p == 0.0 {
        lane.iter().filter(|&&v| v != 0.0).count() as f32
    } else if p == 1.0 {
        abs.sum::<f64>() as f32
    } else if p == 2.0 {
        abs.map(|a| a * a).sum::<f64>().sqrt() as f32
    } else {
        abs.map(|a| a.powf(p as f64))
            .sum::<f64>()
            .powf(1.0 / p as f64) as f32
    }
}

/// `d op / d lane` times the lane's upstream gradient `g`, given the lane's value `y`.
fn lane_grad(op: LaneOp, lane: &[f32], y: f32, g: f32, out: &mut [f32]) {
    let k = lane.len();
    match op {
        // g exp(x - y)
        LaneOp::LogSumExp => {
            for (o, &v) in out.iter_mut().zip(lane) {
                *o = g * (v - y).exp();
            }
        }
        // 2 g (x - mean) / (n - correction); for std, g / (2 y) first (0 where y == 0)
        LaneOp::Var(c) | LaneOp::Std(c) => {
            let gv = match op {
                LaneOp::Std(_) if y == 0.0 => 0.0,
                LaneOp::Std(_) => g / (2.0 * y),
                _ => g,
            };
            let m = mean64(lane) as f32;
            let s = 2.0 * gv / (k as f32 - c);
            for (o, &v) in out.iter_mut().zip(lane) {
                *o = s * (v - m);
            }
        }
        // g times the product of the others (exact with zeros: prefix times suffix)
        LaneOp::Prod => {
            let mut pre = 1.0f64;
            for (o, &v) in out.iter_mut().zip(lane) {
                *o = pre as f32;
                pre *= v as f64;
            }
            let mut suf = 1.0f64;
            for (o, &v) in out.iter_mut().zip(lane).rev() {
                *o = g * (*o as f64 * suf) as f32;
                suf *= v as f64;
            }
        }
        LaneOp::Norm(p) => norm_grad(p, lane, y, g, out),
        // g split evenly among the elements equal to the extreme
        LaneOp::AMax | LaneOp::AMin => {
            let count = lane.iter().filter(|&&v| v == y).count() as f32;
            for (o, &v) in out.iter_mut().zip(lane) {
                *o = if v == y { g / count } else { 0.0 };
            }
        }
    }
}

/// PyTorch's `linalg_vector_norm_backward`: `g sgn(x) |x|^(p-1) / y^(p-1)` (0 where
/// y == 0); inf-norms split `g sgn(x)` among the elements at the extreme; 0-norm: 0.
fn norm_grad(p: f32, lane: &[f32], y: f32, g: f32, out: &mut [f32]) {
    let sgn = |v: f32| {
        if v > 0.0 {
            1.0
        } else if v < 0.0 {
            -1.0
        } else {
            0.0
        }
    };
    if p == 0.0 {
        out.iter_mut().for_each(|o| *o = 0.0);
    } else if p.is_infinite() {
        let hit = |v: f32| v.abs() == y || v.is_nan();
        let count = lane.iter().filter(|&&v| hit(v)).count() as f32;
        for (o, &v) in out.iter_mut().zip(lane) {
            *o = if hit(v) { sgn(v) * g / count } else { 0.0 };
        }
    } else if p == 1.0 {
        for (o, &v) in out.iter_mut().zip(lane) {
            *o = sgn(v) * g;
        }
    } else {
        let scale = if y == 0.0 { 0.0 } else { g / y.powf(p - 1.0) };
        for (o, &v) in out.iter_mut().zip(lane) {
            let scaled = if p == 2.0 {
                v
            } else if v == 0.0 {
                0.0
            } else {
                sgn(v) * v.abs().powf(p - 1.0)
            };
            *o = scaled * scale;
        }
    }
}

/// `op(x, dims, keepdim)` over the axes in `dims` (all of them for `None`).
pub fn lanes(
    op: LaneOp,
    t: &Tensor,
    dims: Option<&[isize]>,
    keepdim: bool,
) -> Result<Tensor, TensorError> {
    let shape = t.shape();
    let (out, axes) = match op {
        LaneOp::AMax | LaneOp::AMin => dims_extreme_shape(op.name(), &shape, dims, keepdim)?,
        _ => dims_shape(&shape, dims, keepdim)?,
    };
    super::budget::reserve(&out)?;
    let data = {
        let (v, k) = to_lanes(&t.data(), &axes);
        let vals: Vec<f32> = if k == 0 {
            let m = checked_numel(&out)?;
            vec![lane_value(op, &[]); m]
        } else {
            v.chunks_exact(k).map(|l| lane_value(op, l)).collect()
        };
        from_vec(&out, vals)
    };
    Ok(Tensor::from_op(
        data,
        Op::Lanes(op, Input::new(t), axes, keepdim),
    ))
}

/// The gradient of a lane reduction (`y` its output, `g` the output's gradient).
pub(crate) fn lanes_grad(
    op: LaneOp,
    x: &ArrayD<f32>,
    y: &ArrayD<f32>,
    g: &ArrayD<f32>,
    axes: &[usize],
) -> ArrayD<f32> {
    let (v, k) = to_lanes(x, axes);
    let mut d = vec![0.0f32; v.len()];
    if k > 0 {
        for (((lane, o), &yv), &gv) in v
            .chunks_exact(k)
            .zip(d.chunks_exact_mut(k))
            .zip(y.iter())
            .zip(g.iter())
        {
            lane_grad(op, lane, yv, gv, o);
        }
    }
    from_lanes(d, x.shape(), axes)
}

/// `cumsum`/`cumprod(x, dim)`, accumulated in f64 as PyTorch on the CPU.
pub fn scan(op: ScanOp, t: &Tensor, dim: isize) -> Result<Tensor, TensorError> {
    let shape = t.shape();
    let (_, ax) = along_shape(&shape, dim)?;
    super::budget::reserve(&shape)?;
    let axes: Vec<usize> = if shape.is_empty() { vec![] } else { vec![ax] };
    let data = {
        let (mut v, k) = to_lanes(&t.data(), &axes);
        if k > 0 {
            for lane in v.chunks_exact_mut(k) {
                let mut acc = if op == ScanOp::CumSum { 0.0f64 } else { 1.0 };
                for e in lane.iter_mut() {
                    match op {
                        ScanOp::CumSum => acc += *e as f64,
                        ScanOp::CumProd => acc *= *e as f64,
                    }
                    *e = acc as f32;
                }
            }
        }
        from_lanes(v, &shape, &axes)
    };
    Ok(Tensor::from_op(data, Op::Scan(op, Input::new(t), ax)))
}

/// The gradient of a scan along `ax` (`y` its output).
pub(crate) fn scan_grad(
    op: ScanOp,
    x: &ArrayD<f32>,
    y: &ArrayD<f32>,
    g: &ArrayD<f32>,
    ax: usize,
) -> ArrayD<f32> {
    let axes: Vec<usize> = if x.ndim() == 0 { vec![] } else { vec![ax] };
    let (xv, k) = to_lanes(x, &axes);
    let (gv, _) = to_lanes(g, &axes);
    let (yv, _) = to_lanes(y, &axes);
    let mut d = vec![0.0f32; xv.len()];
    if k > 0 {
        for (((xl, gl), yl), dl) in xv
            .chunks_exact(k)
            .zip(gv.chunks_exact(k))
            .zip(yv.chunks_exact(k))
            .zip(d.chunks_exact_mut(k))
        {
            match op {
                // the reversed cumulative sum of g
                ScanOp::CumSum => {
                    let mut acc = 0.0f64;
                    for i in (0..k).rev() {
                        acc += gl[i] as f64;
                        dl[i] = acc as f32;
                    }
                }
                ScanOp::CumProd => cumprod_lane_grad(xl, gl, yl, dl),
            }
        }
    }
    from_lanes(d, x.shape(), &axes)
}

/// `dx_i = sum_{j >= i} g_j prod_{k <= j, k != i} x_k`: before the first zero `z` this is
/// `sum_{j >= i} g_j y_j / x_i`; at `z` the product skips `x_z`; after it, 0.
fn cumprod_lane_grad(x: &[f32], g: &[f32], y: &[f32], d: &mut [f32]) {
    let k = x.len();
    let z = x.iter().position(|&v| v == 0.0).unwrap_or(k);
    let mut acc = 0.0f64;
    for i in (0..z).rev() {
        acc += g[i] as f64 * y[i] as f64;
        d[i] = (acc / x[i] as f64) as f32;
    }
    if z < k {
        let before = if z == 0 { 1.0 } else { y[z - 1] as f64 };
        let mut run = before;
        let mut sum = 0.0f64;
        for j in z..k {
            if j > z {
                run *= x[j] as f64;
            }
            sum += g[j] as f64 * run;
        }
        d[z] = sum as f32;
    }
}

/// Sorted positions of each lane along `ax` (stable; NaN counts as the largest value).
fn sorted_lanes(x: &ArrayD<f32>, ax: usize, descending: bool) -> (Vec<usize>, usize) {
    let axes: Vec<usize> = if x.ndim() == 0 { vec![] } else { vec![ax] };
    let (v, k) = to_lanes(x, &axes);
    let mut idx = Vec::with_capacity(v.len());
    if k > 0 {
        for lane in v.chunks_exact(k) {
            let mut order: Vec<usize> = (0..k).collect();
            let cmp = |a: &usize, b: &usize| {
                let (p, q) = (lane[*a], lane[*b]);
                let o = match (p.is_nan(), q.is_nan()) {
                    (true, true) => std::cmp::Ordering::Equal,
                    (true, false) => std::cmp::Ordering::Greater,
                    (false, true) => std::cmp::Ordering::Less,
                    _ => p.partial_cmp(&q).unwrap_or(std::cmp::Ordering::Equal),
                };
                if descending {
                    o.reverse()
                } else {
                    o
                }
            };
            order.sort_by(cmp);
            idx.extend(order);
        }
    }
    (idx, k)
}

/// `sort(x, dim, descending)` (stable) or the first `k` of it (`topk`): the values, an op
/// that gathers along the axis, and the positions as a leaf.
pub fn sort_along(
    t: &Tensor,
    dim: isize,
    descending: bool,
    k: Option<i64>,
) -> Result<(Tensor, Tensor), TensorError> {
    let shape = t.shape();
    let (out, ax) = match k {
        Some(k) => topk_shape(&shape, k, dim)?,
        None => along_shape(&shape, dim)?,
    };
    // Values and positions.
    super::budget::reserve_bytes(
        super::budget::data_bytes(out.iter().product()).saturating_mul(2),
        &out,
    )?;
    let axes: Vec<usize> = if shape.is_empty() { vec![] } else { vec![ax] };
    let (values, positions, picks) = {
        let x = t.data();
        let (idx, n) = sorted_lanes(&x, ax, descending);
        let keep = k.map_or(n, |k| k as usize);
        let (v, _) = to_lanes(&x, &axes);
        let mut picks = Vec::with_capacity(idx.len());
        if n > 0 {
            for lane in idx.chunks_exact(n) {
                picks.extend_from_slice(&lane[..keep]);
            }
        }
        let vals: Vec<f32> = picks
            .iter()
            .enumerate()
            .map(|(j, &p)| v[(j / keep.max(1)) * n + p])
            .collect();
        let pos: Vec<f32> = picks.iter().map(|&p| p as f32).collect();
        (
            from_lanes(vals, &out, &axes),
            from_lanes(pos, &out, &axes),
            picks,
        )
    };
    let name = if k.is_some() { "topk" } else { "sort" };
    let v = Tensor::from_op(values, Op::TakeAlong(Input::new(t), ax, picks, name));
    Ok((v, Tensor::leaf(positions)))
}

/// The gradient of `TakeAlong`: each output's gradient added at the position it came from.
pub(crate) fn take_along_grad(
    x_shape: &[usize],
    g: &ArrayD<f32>,
    ax: usize,
    picks: &[usize],
) -> ArrayD<f32> {
    let axes: Vec<usize> = if x_shape.is_empty() { vec![] } else { vec![ax] };
    let n = x_shape.get(ax).copied().unwrap_or(1);
    let (gv, k) = to_lanes(g, &axes);
    let lanes = x_shape
        .iter()
        .product::<usize>()
        .checked_div(n)
        .unwrap_or(0);
    let mut d = vec![0.0f32; lanes * n];
    if k > 0 {
        for (lane, (ps, gs)) in picks.chunks_exact(k).zip(gv.chunks_exact(k)).enumerate() {
            for (&p, &gj) in ps.iter().zip(gs) {
                d[lane * n + p] += gj;
            }
        }
    }
    from_lanes(d, x_shape, &axes)
}

/// One value of each lane along `dim`, at the position `choose` picks in the lane
/// (`median`, `mode`): the values, an op whose gradient goes to the picked positions, and
/// the positions as a leaf. The axis is kept with size 1 (`keepdim`) or removed.
pub fn pick_along(
    t: &Tensor,
    dim: isize,
    keepdim: bool,
    name: &'static str,
    choose: impl Fn(&[f32]) -> usize,
) -> Result<(Tensor, Tensor), TensorError> {
    let shape = t.shape();
    let out = super::shape::extreme_shape(name, &shape, Some(dim), keepdim)?;
    let (_, ax) = along_shape(&shape, dim)?;
    let axes: Vec<usize> = if shape.is_empty() { vec![] } else { vec![ax] };
    let mut kept = shape.clone();
    if let Some(size) = kept.get_mut(ax) {
        *size = 1;
    }
    super::budget::reserve_bytes(
        super::budget::data_bytes(out.iter().product()).saturating_mul(2),
        &out,
    )?;
    let (values, positions, picks) = {
        let x = t.data();
        let (v, n) = to_lanes(&x, &axes);
        let mut picks = Vec::with_capacity(v.len() / n.max(1));
        let mut vals = Vec::with_capacity(picks.capacity());
        for lane in v.chunks_exact(n.max(1)) {
            let p = choose(lane);
            picks.push(p);
            vals.push(lane[p]);
        }
        let pos: Vec<f32> = picks.iter().map(|&p| p as f32).collect();
        (
            from_lanes(vals, &kept, &axes),
            from_lanes(pos, &kept, &axes),
            picks,
        )
    };
    let v = Tensor::from_op(values, Op::TakeAlong(Input::new(t), ax, picks, name));
    let i = Tensor::leaf(positions);
    if keepdim || shape.is_empty() {
        return Ok((v, i));
    }
    let axis = Some(ax as isize);
    Ok((super::squeeze(&v, axis)?, super::squeeze(&i, axis)?))
}

/// Positions of a lane in ascending order (stable; NaN last).
fn ascending(lane: &[f32]) -> Vec<usize> {
    let mut order: Vec<usize> = (0..lane.len()).collect();
    order.sort_by(|&a, &b| {
        let (p, q) = (lane[a], lane[b]);
        match (p.is_nan(), q.is_nan()) {
            (true, true) => std::cmp::Ordering::Equal,
            (true, false) => std::cmp::Ordering::Greater,
            (false, true) => std::cmp::Ordering::Less,
            _ => p.partial_cmp(&q).unwrap_or(std::cmp::Ordering::Equal),
        }
    });
    order
}

/// The `k`-th smallest value's position in a lane (`median`: `k = (n - 1) / 2`, the
/// lower of the two middle values, as PyTorch); a NaN anywhere is the answer, as
/// PyTorch's `median` propagates NaN.
pub fn kth_position(lane: &[f32], k: usize) -> usize {
    if let Some(p) = lane.iter().position(|v| v.is_nan()) {
        return p;
    }
    ascending(lane)[k.min(lane.len().saturating_sub(1))]
}

/// The position of a lane's most frequent value (`mode`): the smallest value among
/// those that occur most often, at its last occurrence, as PyTorch's CPU `mode`.
pub fn mode_position(lane: &[f32]) -> usize {
    let order = ascending(lane);
    let (mut best, mut best_count) = (0, 0);
    let mut i = 0;
    while i < order.len() {
        let mut j = i + 1;
        while j < order.len() && lane[order[j]] == lane[order[i]] {
            j += 1;
        }
        if j - i > best_count {
            best_count = j - i;
            // The run is stable, so its last entry is the value's last occurrence.
            best = order[j - 1];
        }
        i = j;
    }
    best
}
