//! 2-D pooling over the last two axes (`max_pool2d`, `avg_pool2d`,
//! `adaptive_avg_pool2d`): one kernel over per-axis window lists from the shape rules.

use ndarray::ArrayD;

use super::conv::contig;
use super::kernels::from_vec;
use super::shape_nn::{adaptive_pool2d_shape, pool2d_shape, PoolSpec, Win};
use super::{Input, Op, Tensor, TensorError};

/// Max or average, and what backward needs.
pub enum PoolKind {
    /// The flat input position each output came from (the first maximum; NaN wins).
    Max(Vec<usize>),
    /// Average dividing by the padded window size (`count_include_pad`) or the count of
    /// input elements in the window.
    Avg { include_pad: bool },
}

/// A pooling op's plan: its name, kind and windows along H and W.
pub struct PoolPlan {
    pub name: &'static str,
    pub kind: PoolKind,
    pub wins: [Vec<Win>; 2],
}

/// The taps of a window that fall inside `0..size`.
fn taps(w: &Win, size: usize) -> impl Iterator<Item = usize> + '_ {
    (0..w.len).filter_map(move |j| {
        let p = w.start + (j * w.dil) as isize;
        (p >= 0 && (p as usize) < size).then_some(p as usize)
    })
}

fn divisor(kind: &PoolKind, wy: &Win, wx: &Win, h: usize, w: usize) -> f32 {
    match kind {
        PoolKind::Avg { include_pad: true } => (wy.incl * wx.incl) as f32,
        _ => (taps(wy, h).count() * taps(wx, w).count()) as f32,
    }
}

fn run(
    x: &Tensor,
    name: &'static str,
    max: bool,
    include_pad: bool,
    out: Vec<usize>,
    wins: [Vec<Win>; 2],
) -> Tensor {
    let xd = x.data();
    let nd = xd.ndim();
    let (h, w) = (xd.shape()[nd - 2], xd.shape()[nd - 1]);
    let planes: usize = xd.shape()[..nd - 2].iter().product();
    let xs = contig(&xd);
    let (oh, ow) = (wins[0].len(), wins[1].len());
    let mut y = Vec::with_capacity(planes * oh * ow);
    let mut arg = Vec::with_capacity(if max { planes * oh * ow } else { 0 });
    let kind = if max {
        PoolKind::Max(Vec::new())
    } else {
        PoolKind::Avg { include_pad }
    };
    for p in 0..planes {
        let plane = &xs[p * h * w..(p + 1) * h * w];
        for wy in &wins[0] {
            for wx in &wins[1] {
                if max {
                    let mut best = f32::NEG_INFINITY;
                    let mut at = usize::MAX;
                    for iy in taps(wy, h) {
                        for ix in taps(wx, w) {
                            let v = plane[iy * w + ix];
                            if at == usize::MAX || v > best || v.is_nan() {
                                best = v;
                                at = iy * w + ix;
                            }
                        }
                    }
                    y.push(if at == usize::MAX {
                        f32::NEG_INFINITY
                    } else {
                        best
                    });
                    arg.push(if at == usize::MAX {
                        usize::MAX
                    } else {
                        p * h * w + at
                    });
                } else {
                    let mut s = 0.0f32;
                    for iy in taps(wy, h) {
                        for ix in taps(wx, w) {
                            s += plane[iy * w + ix];
                        }
                    }
                    y.push(s / divisor(&kind, wy, wx, h, w));
                }
            }
        }
    }
    let kind = if max { PoolKind::Max(arg) } else { kind };
    drop(xd);
    Tensor::from_op(
        from_vec(&out, y),
        Op::Pool(Input::new(x), Box::new(PoolPlan { name, kind, wins })),
    )
}

/// `max_pool2d` / `avg_pool2d` of x [N, C, H, W] or [C, H, W].
pub fn pool2d(
    x: &Tensor,
    name: &'static str,
    max: bool,
    spec: &PoolSpec,
    include_pad: bool,
) -> Result<Tensor, TensorError> {
    let (out, wins) = pool2d_shape(name, &x.shape(), spec)?;
    Ok(run(x, name, max, include_pad, out, wins))
}

/// `adaptive_avg_pool2d(x, output_size)`.
pub fn adaptive_avg_pool2d(x: &Tensor, size: [Option<usize>; 2]) -> Result<Tensor, TensorError> {
    let (out, wins) = adaptive_pool2d_shape(&x.shape(), size)?;
    Ok(run(x, "adaptive_avg_pool2d", false, false, out, wins))
}

/// The input gradient of a pooling op: max sends g to the position it took, average
/// spreads g / divisor over the window's input elements (overlapping windows add up).
pub(crate) fn pool_grad(x_shape: &[usize], plan: &PoolPlan, g: &ArrayD<f32>) -> ArrayD<f32> {
    let n: usize = x_shape.iter().product();
    let mut dx = vec![0.0f32; n];
    let gs = contig(g);
    match &plan.kind {
        PoolKind::Max(arg) => {
            for (&at, &v) in arg.iter().zip(gs.iter()) {
                if at != usize::MAX {
                    dx[at] += v;
                }
            }
        }
        PoolKind::Avg { .. } => {
            let nd = x_shape.len();
            let (h, w) = (x_shape[nd - 2], x_shape[nd - 1]);
            let planes: usize = x_shape[..nd - 2].iter().product();
            let mut k = 0;
            for p in 0..planes {
                let plane = &mut dx[p * h * w..(p + 1) * h * w];
                for wy in &plan.wins[0] {
                    for wx in &plan.wins[1] {
                        let v = gs[k] / divisor(&plan.kind, wy, wx, h, w);
                        k += 1;
                        for iy in taps(wy, h) {
                            for ix in taps(wx, w) {
                                plane[iy * w + ix] += v;
                            }
                        }
                    }
                }
            }
        }
    }
    from_vec(x_shape, dx)
}
