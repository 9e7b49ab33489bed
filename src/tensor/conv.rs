//! 2-D convolution (PyTorch's `conv2d`, cross-correlation) through im2col and the
//! matrix product of `@` (`mm2`); backward through the transposed products and col2im.
//! One product per group over the whole batch: [O/g, K] @ [K, N·OH·OW].

use std::borrow::Cow;

use ndarray::{ArrayD, ArrayView2};

use super::kernels::{from_vec, standard};
use super::matmul::mm2;
use super::shape_nn::{conv2d_col_shape, conv2d_shape, ConvGeom};
use super::{Input, Op, Tensor, TensorError};

/// `conv2d(x [N, C, H, W], w [O, C/groups, kH, kW])` (no bias; `op` names the user's op).
pub fn conv2d(
    op: &'static str,
    x: &Tensor,
    w: &Tensor,
    g: &ConvGeom,
) -> Result<Tensor, TensorError> {
    let data = {
        let (xd, wd) = (x.data(), w.data());
        let out = conv2d_shape(op, xd.shape(), wd.shape(), g)?;
        if xd.ndim() != 4 {
            return Err(TensorError::Value(format!(
                "`{op}` kernel needs a batched input"
            )));
        }
        conv2d_col_shape(xd.shape(), wd.shape(), &out)?;
        conv_forward(&xd, &wd, g, &out)
    };
    Ok(Tensor::from_op(
        data,
        Op::Conv2d(Input::new(x), Input::new(w), g.clone(), op),
    ))
}

/// Sizes of one convolution: batch, channels, input plane, kernel, output plane.
struct Dims {
    n: usize,
    c: usize,
    h: usize,
    w: usize,
    kh: usize,
    kw: usize,
    oh: usize,
    ow: usize,
}

impl Dims {
    fn new(x: &[usize], w: &[usize], out: &[usize]) -> Dims {
        Dims {
            n: x[0],
            c: x[1],
            h: x[2],
            w: x[3],
            kh: w[2],
            kw: w[3],
            oh: out[2],
            ow: out[3],
        }
    }
    fn l(&self) -> usize {
        self.oh * self.ow
    }
}

/// The output positions `o < n` whose tap `o * s + off` lies inside `0..size`.
fn valid_range(n: usize, s: usize, off: isize, size: usize) -> (usize, usize) {
    let (s_i, size_i) = (s as isize, size as isize);
    let lo = if off >= 0 {
        0
    } else {
        ((-off) + s_i - 1) / s_i
    };
    let hi = if off >= size_i {
        0
    } else {
        (size_i - 1 - off) / s_i + 1
    };
    let lo = (lo as usize).min(n);
    (lo, (hi as usize).clamp(lo, n))
}

/// The (channel, tap) rows of group `grp`'s im2col matrix: [Cg·kH·kW, N·OH·OW], written
/// in order (no zero-fill pass: padding positions are written as zeros where they fall).
fn im2col(x: &[f32], d: &Dims, g: &ConvGeom, c0: usize, cg: usize) -> Vec<f32> {
    let mut col: Vec<f32> = Vec::with_capacity(cg * d.kh * d.kw * d.n * d.l());
    for c in 0..cg {
        for ki in 0..d.kh {
            let offy = (ki * g.dilation[0]) as isize - g.pad_lo[0] as isize;
            let (y0, y1) = valid_range(d.oh, g.stride[0], offy, d.h);
            for kj in 0..d.kw {
                let offx = (kj * g.dilation[1]) as isize - g.pad_lo[1] as isize;
                let (x0, x1) = valid_range(d.ow, g.stride[1], offx, d.w);
                for b in 0..d.n {
                    let plane = &x[((b * d.c + c0 + c) * d.h) * d.w..][..d.h * d.w];
                    col.extend(std::iter::repeat_n(0.0, y0 * d.ow));
                    for oy in y0..y1 {
                        let iy = (oy * g.stride[0]) as isize + offy;
                        let src = &plane[iy as usize * d.w..][..d.w];
                        col.extend(std::iter::repeat_n(0.0, x0));
                        if g.stride[1] == 1 {
                            let ix0 = (x0 as isize + offx) as usize;
                            col.extend_from_slice(&src[ix0..ix0 + (x1 - x0)]);
                        } else {
                            col.extend(
                                (x0..x1)
                                    .map(|ox| src[((ox * g.stride[1]) as isize + offx) as usize]),
                            );
                        }
                        col.extend(std::iter::repeat_n(0.0, d.ow - x1));
                    }
                    col.extend(std::iter::repeat_n(0.0, (d.oh - y1) * d.ow));
                }
            }
        }
    }
    debug_assert_eq!(col.len(), cg * d.kh * d.kw * d.n * d.l());
    col
}

/// The transpose of `im2col`: adds each column entry back into `dx`.
fn col2im(col: &[f32], d: &Dims, g: &ConvGeom, c0: usize, cg: usize, dx: &mut [f32]) {
    let (l, cols) = (d.l(), d.n * d.l());
    for c in 0..cg {
        for ki in 0..d.kh {
            let offy = (ki * g.dilation[0]) as isize - g.pad_lo[0] as isize;
            let (y0, y1) = valid_range(d.oh, g.stride[0], offy, d.h);
            for kj in 0..d.kw {
                let offx = (kj * g.dilation[1]) as isize - g.pad_lo[1] as isize;
                let (x0, x1) = valid_range(d.ow, g.stride[1], offx, d.w);
                let row = (c * d.kh + ki) * d.kw + kj;
                let src = &col[row * cols..(row + 1) * cols];
                for b in 0..d.n {
                    let plane = &mut dx[((b * d.c + c0 + c) * d.h) * d.w..][..d.h * d.w];
                    for oy in y0..y1 {
                        let iy = (oy * g.stride[0]) as isize + offy;
                        let dst = &mut plane[iy as usize * d.w..][..d.w];
                        let s = &src[b * l + oy * d.ow..][..d.ow];
                        if g.stride[1] == 1 {
                            // One contiguous run: a vectorised add.
                            let ix0 = (x0 as isize + offx) as usize;
                            for (t, &v) in dst[ix0..ix0 + (x1 - x0)].iter_mut().zip(&s[x0..x1]) {
                                *t += v;
                            }
                        } else {
                            for ox in x0..x1 {
                                dst[((ox * g.stride[1]) as isize + offx) as usize] += s[ox];
                            }
                        }
                    }
                }
            }
        }
    }
}

/// The elements of `a` in row-major order, borrowed when `a` is already laid out so.
pub(crate) fn contig(a: &ArrayD<f32>) -> Cow<'_, [f32]> {
    match a.as_slice() {
        Some(s) => Cow::Borrowed(s),
        None => Cow::Owned(standard(&a.view()).into_raw_vec_and_offset().0),
    }
}

fn view2(v: &[f32], r: usize, c: usize) -> ArrayView2<'_, f32> {
    ArrayView2::from_shape((r, c), v).expect("sizes checked by the shape rule")
}

fn forward_dims(x: &ArrayD<f32>, w: &ArrayD<f32>, g: &ConvGeom) -> Dims {
    let out = conv2d_shape("conv2d", x.shape(), w.shape(), g).expect("checked before");
    Dims::new(x.shape(), w.shape(), &out)
}

fn conv_forward(x: &ArrayD<f32>, w: &ArrayD<f32>, g: &ConvGeom, out: &[usize]) -> ArrayD<f32> {
    let d = Dims::new(x.shape(), w.shape(), out);
    let (xs, ws) = (contig(x), contig(w));
    let o = w.shape()[0];
    let (og, cg) = (o / g.groups, d.c / g.groups);
    let k = cg * d.kh * d.kw;
    let l = d.l();
    // One product per group, [Og, N·L] each; then y[b, grp·Og + o, :] in order.
    let rs: Vec<ArrayD<f32>> = (0..g.groups)
        .map(|grp| {
            let col = im2col(&xs, &d, g, grp * cg, cg);
            let wg = view2(&ws[grp * og * k..(grp + 1) * og * k], og, k);
            mm2(&wg, &view2(&col, k, d.n * l))
        })
        .collect();
    let mut y: Vec<f32> = Vec::with_capacity(d.n * o * l);
    for b in 0..d.n {
        for r in &rs {
            let r = r.as_slice().expect("row-major");
            for oi in 0..og {
                y.extend_from_slice(&r[oi * d.n * l + b * l..][..l]);
            }
        }
    }
    from_vec(out, y)
}

/// Gradients of `conv2d` for x and w given the output gradient `gy` [N, O, OH, OW]:
/// dW_g = gy_g @ col_gᵀ, dcol_g = W_gᵀ @ gy_g, dx = col2im(dcol).
pub(crate) fn conv2d_grads(
    x: &ArrayD<f32>,
    w: &ArrayD<f32>,
    gy: &ArrayD<f32>,
    g: &ConvGeom,
    need: [bool; 2],
) -> [Option<ArrayD<f32>>; 2] {
    let d = forward_dims(x, w, g);
    let (xs, ws, gs) = (contig(x), contig(w), contig(gy));
    let o = w.shape()[0];
    let (og, cg) = (o / g.groups, d.c / g.groups);
    let k = cg * d.kh * d.kw;
    let l = d.l();
    let mut dx = need[0].then(|| vec![0.0f32; x.len()]);
    let mut dw = need[1].then(|| vec![0.0f32; w.len()]);
    for grp in 0..g.groups {
        // gy_g as [Og, N·L]
        let mut gg = vec![0.0f32; og * d.n * l];
        for oi in 0..og {
            for b in 0..d.n {
                gg[oi * d.n * l + b * l..][..l]
                    .copy_from_slice(&gs[(b * o + grp * og + oi) * l..][..l]);
            }
        }
        let ggv = view2(&gg, og, d.n * l);
        if let Some(dw) = dw.as_mut() {
            let col = im2col(&xs, &d, g, grp * cg, cg);
            let r = mm2(&ggv, &view2(&col, k, d.n * l).t());
            dw[grp * og * k..(grp + 1) * og * k].copy_from_slice(r.as_slice().expect("row-major"));
        }
        if let Some(dx) = dx.as_mut() {
            let wg = view2(&ws[grp * og * k..(grp + 1) * og * k], og, k);
            let dcol = mm2(&wg.t(), &ggv);
            col2im(dcol.as_slice().expect("row-major"), &d, g, grp * cg, cg, dx);
        }
    }
    [
        dx.map(|v| from_vec(x.shape(), v)),
        dw.map(|v| from_vec(w.shape(), v)),
    ]
}
