//! Shape rules of the layer ops (`linear`, `conv2d`, pooling, normalisation): one pure
//! function per op over `&[usize]` shapes, called before any kernel and by `tsr check`.

pub use super::error::LayerError;
use super::error::TensorError;
use super::shape::checked_numel;

fn err(e: LayerError) -> TensorError {
    TensorError::Layer(Box::new(e))
}

/// Stride, padding (before / after), dilation and groups of a 2-D convolution.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ConvGeom {
    pub stride: [usize; 2],
    pub pad_lo: [usize; 2],
    pub pad_hi: [usize; 2],
    pub dilation: [usize; 2],
    pub groups: usize,
}

/// `conv2d(x [N, C, H, W] or [C, H, W], w [O, C/groups, kH, kW])`: the output shape.
/// `op` names the user's op (`conv1d` runs as a `conv2d` of height 1).
pub fn conv2d_shape(
    op: &'static str,
    x: &[usize],
    w: &[usize],
    g: &ConvGeom,
) -> Result<Vec<usize>, TensorError> {
    let (want_x, want_w) = if op == "conv1d" {
        (
            "[N, C, L] or [C, L]",
            "[out_channels, in_channels/groups, k]",
        )
    } else {
        (
            "[N, C, H, W] or [C, H, W]",
            "[out_channels, in_channels/groups, kH, kW]",
        )
    };
    if x.len() != 3 && x.len() != 4 {
        return Err(err(LayerError::Rank {
            op,
            arg: "an input",
            want: want_x,
            shape: x.to_vec(),
        }));
    }
    if w.len() != 4 {
        return Err(err(LayerError::Rank {
            op,
            arg: "a weight",
            want: want_w,
            shape: w.to_vec(),
        }));
    }
    if g.groups == 0 || g.stride.contains(&0) || g.dilation.contains(&0) {
        return Err(TensorError::Value(format!(
            "`{op}` needs groups, strides and dilations of at least 1"
        )));
    }
    let ca = x.len() - 3;
    let (o, cg) = (w[0], w[1]);
    let groups = g.groups;
    if !x[ca].is_multiple_of(groups) {
        return Err(err(LayerError::Groups {
            op,
            groups,
            channels: x[ca],
            what: "input",
        }));
    }
    if !o.is_multiple_of(groups) {
        return Err(err(LayerError::Groups {
            op,
            groups,
            channels: o,
            what: "output",
        }));
    }
    if x[ca] != cg * groups {
        return Err(err(LayerError::Channels {
            op,
            input: x.to_vec(),
            weight: w.to_vec(),
            axis: ca,
            have: x[ca],
            want: cg * groups,
        }));
    }
    let mut out = x[..ca].to_vec();
    out.push(o);
    for i in 0..2 {
        let padded = x[ca + 1 + i] + g.pad_lo[i] + g.pad_hi[i];
        let window = g.dilation[i] * (w[2 + i].max(1) - 1) + 1;
        if padded < window || w[2 + i] == 0 {
            return Err(err(LayerError::Window {
                op,
                input: x.to_vec(),
                axis: ca + 1 + i,
                padded,
                window,
            }));
        }
        out.push((padded - window) / g.stride[i].max(1) + 1);
    }
    checked_numel(&out)?;
    Ok(out)
}

/// The sizes the im2col buffer of a convolution needs: [C/groups · kH · kW, N · OH · OW].
pub fn conv2d_col_shape(x: &[usize], w: &[usize], out: &[usize]) -> Result<(), TensorError> {
    let n = if x.len() == 4 { x[0] } else { 1 };
    let k = w[1].saturating_mul(w[2]).saturating_mul(w[3]);
    let l = out[out.len() - 2].saturating_mul(out[out.len() - 1]);
    checked_numel(&[k, n.saturating_mul(l)])?;
    Ok(())
}

/// One output position of a pooling window along one axis: taps at `start + j * dil`
/// for `j < len` (those inside `0..size` are read) and the divisor share `incl` that
/// `count_include_pad` uses.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Win {
    pub start: isize,
    pub len: usize,
    pub dil: usize,
    pub incl: usize,
}

/// Pooling parameters along H and W (PyTorch's `max_pool2d` / `avg_pool2d`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PoolSpec {
    pub kernel: [usize; 2],
    pub stride: [usize; 2],
    pub padding: [usize; 2],
    pub dilation: [usize; 2],
    pub ceil_mode: bool,
}

fn pool_out_size(size: usize, k: usize, s: usize, p: usize, d: usize, ceil: bool) -> isize {
    let (size, k, s, p, d) = (
        size as isize,
        k as isize,
        s as isize,
        p as isize,
        d as isize,
    );
    let num = size + 2 * p - d * (k - 1) - 1 + if ceil { s - 1 } else { 0 };
    let mut out = num.div_euclid(s) + 1;
    if ceil && (out - 1) * s >= size + p {
        out -= 1;
    }
    out
}

/// `max_pool2d` / `avg_pool2d` of x [N, C, H, W] or [C, H, W]: the output shape and the
/// windows along H and W.
pub fn pool2d_shape(
    op: &'static str,
    x: &[usize],
    p: &PoolSpec,
) -> Result<(Vec<usize>, [Vec<Win>; 2]), TensorError> {
    if x.len() != 3 && x.len() != 4 {
        let want = "[N, C, H, W] or [C, H, W]";
        return Err(err(LayerError::Rank {
            op,
            arg: "an input",
            want,
            shape: x.to_vec(),
        }));
    }
    let ax = x.len() - 2;
    let mut out = x[..ax].to_vec();
    let mut wins: [Vec<Win>; 2] = [Vec::new(), Vec::new()];
    for i in 0..2 {
        let (k, s, pad, d) = (
            p.kernel[i].max(1),
            p.stride[i].max(1),
            p.padding[i],
            p.dilation[i].max(1),
        );
        if pad > k / 2 {
            return Err(err(LayerError::Padding { op, pad, kernel: k }));
        }
        let size = x[ax + i];
        let window = d * (k - 1) + 1;
        let n = pool_out_size(size, k, s, pad, d, p.ceil_mode);
        if n < 1 || size + 2 * pad < window {
            return Err(err(LayerError::Window {
                op,
                input: x.to_vec(),
                axis: ax + i,
                padded: size + 2 * pad,
                window,
            }));
        }
        let n = n as usize;
        for o in 0..n {
            let start = (o * s) as isize - pad as isize;
            let end = (start + k as isize).min((size + pad) as isize);
            wins[i].push(Win {
                start,
                len: k,
                dil: d,
                incl: (end - start).max(0) as usize,
            });
        }
        out.push(n);
    }
    checked_numel(&out)?;
    Ok((out, wins))
}

/// `adaptive_avg_pool2d(x, output_size)`: the output shape and windows (start
/// floor(i·H/O), end ceil((i+1)·H/O)), as PyTorch's.
pub fn adaptive_pool2d_shape(
    x: &[usize],
    size: [Option<usize>; 2],
) -> Result<(Vec<usize>, [Vec<Win>; 2]), TensorError> {
    let op = "adaptive_avg_pool2d";
    if x.len() != 3 && x.len() != 4 {
        let want = "[N, C, H, W] or [C, H, W]";
        return Err(err(LayerError::Rank {
            op,
            arg: "an input",
            want,
            shape: x.to_vec(),
        }));
    }
    let ax = x.len() - 2;
    let mut out = x[..ax].to_vec();
    out.extend((0..2).map(|i| size[i].unwrap_or(x[ax + i])));
    // The output's size is checked before a window is listed for each of its positions.
    checked_numel(&out)?;
    super::budget::reserve(&out)?;
    out.truncate(ax);
    let mut wins: [Vec<Win>; 2] = [Vec::new(), Vec::new()];
    for i in 0..2 {
        let inp = x[ax + i];
        let o = size[i].unwrap_or(inp);
        if inp == 0 && o > 0 {
            return Err(err(LayerError::Window {
                op,
                input: x.to_vec(),
                axis: ax + i,
                padded: 0,
                window: 1,
            }));
        }
        for j in 0..o {
            let start = j * inp / o;
            let end = ((j + 1) * inp).div_ceil(o);
            wins[i].push(Win {
                start: start as isize,
                len: end - start,
                dil: 1,
                incl: end - start,
            });
        }
        out.push(o);
    }
    checked_numel(&out)?;
    Ok((out, wins))
}

/// `linear(x [..., in], w [out, in] or [in], b)`: the output shape; a weight that fits
/// only transposed is reported as such.
pub fn linear_shape(
    x: &[usize],
    w: &[usize],
    b: Option<&[usize]>,
) -> Result<Vec<usize>, TensorError> {
    let op = "linear";
    if x.is_empty() {
        return Err(err(LayerError::Rank {
            op,
            arg: "an input",
            want: "[..., in_features]",
            shape: x.to_vec(),
        }));
    }
    if w.is_empty() || w.len() > 2 {
        let want = "[out_features, in_features]";
        return Err(err(LayerError::Rank {
            op,
            arg: "a weight",
            want,
            shape: w.to_vec(),
        }));
    }
    let inn = x[x.len() - 1];
    let w_in = w[w.len() - 1];
    if w_in != inn {
        let transposed = w.len() == 2 && w[0] == inn;
        return Err(err(LayerError::Linear {
            input: x.to_vec(),
            weight: w.to_vec(),
            transposed,
        }));
    }
    let mut out = x[..x.len() - 1].to_vec();
    if w.len() == 2 {
        out.push(w[0]);
    }
    if let Some(b) = b {
        let want: Vec<usize> = if w.len() == 2 { vec![w[0]] } else { vec![] };
        let fits = super::shape::broadcast_shapes(&out, b)
            .map(|s| s == out)
            .unwrap_or(false);
        if !fits {
            return Err(err(LayerError::Param {
                op,
                arg: "bias",
                shape: b.to_vec(),
                want,
            }));
        }
    }
    checked_numel(&out)?;
    Ok(out)
}

/// A parameter (weight, bias, running statistics) must have exactly shape `want`.
pub fn param_shape(
    op: &'static str,
    arg: &'static str,
    shape: &[usize],
    want: &[usize],
) -> Result<(), TensorError> {
    if shape != want {
        return Err(err(LayerError::Param {
            op,
            arg,
            shape: shape.to_vec(),
            want: want.to_vec(),
        }));
    }
    Ok(())
}

/// `layer_norm(x, normalized_shape)`: x's trailing axes must be `normalized`.
pub fn layer_norm_shape(x: &[usize], normalized: &[usize]) -> Result<Vec<usize>, TensorError> {
    if normalized.is_empty() || normalized.len() > x.len() || !x.ends_with(normalized) {
        return Err(err(LayerError::NormShape {
            input: x.to_vec(),
            normalized: normalized.to_vec(),
        }));
    }
    Ok(x.to_vec())
}

/// `batch_norm(x [N, C, ...])` and `group_norm`: at least two axes; the channel count.
pub fn channels_shape(op: &'static str, x: &[usize]) -> Result<usize, TensorError> {
    if x.len() < 2 {
        return Err(err(LayerError::Rank {
            op,
            arg: "an input",
            want: "[N, C, ...]",
            shape: x.to_vec(),
        }));
    }
    Ok(x[1])
}

/// `group_norm(x [N, C, ...], num_groups)`: C divisible by the groups.
pub fn group_norm_shape(x: &[usize], groups: usize) -> Result<Vec<usize>, TensorError> {
    let c = channels_shape("group_norm", x)?;
    if groups == 0 || !c.is_multiple_of(groups) {
        return Err(err(LayerError::Groups {
            op: "group_norm",
            groups,
            channels: c,
            what: "input",
        }));
    }
    Ok(x.to_vec())
}

/// `conv1d(x [N, C, L] or [C, L], w [O, C/groups, k])`, as a `conv2d` of height 1 (the
/// geometry's first axis is the unit height): the output shape, errors in 1-D terms.
pub fn conv1d_shape(x: &[usize], w: &[usize], g: &ConvGeom) -> Result<Vec<usize>, TensorError> {
    let op = "conv1d";
    if x.len() != 2 && x.len() != 3 {
        return Err(err(LayerError::Rank {
            op,
            arg: "an input",
            want: "[N, C, L] or [C, L]",
            shape: x.to_vec(),
        }));
    }
    if w.len() != 3 {
        let want = "[out_channels, in_channels/groups, k]";
        return Err(err(LayerError::Rank {
            op,
            arg: "a weight",
            want,
            shape: w.to_vec(),
        }));
    }
    let (x2, w2) = (to_2d(x), to_2d(w));
    conv2d_shape(op, &x2, &w2, g)
        .map(|out| from_2d(&out))
        .map_err(|e| match e {
            TensorError::Layer(le) => err(match *le {
                LayerError::Channels {
                    op,
                    axis,
                    have,
                    want,
                    ..
                } => LayerError::Channels {
                    op,
                    input: x.to_vec(),
                    weight: w.to_vec(),
                    axis,
                    have,
                    want,
                },
                LayerError::Window {
                    op,
                    axis,
                    padded,
                    window,
                    ..
                } => LayerError::Window {
                    op,
                    input: x.to_vec(),
                    axis: axis - 1,
                    padded,
                    window,
                },
                other => other,
            }),
            other => other,
        })
}

/// A 1-D convolution shape with a unit height inserted before the last axis.
pub fn to_2d(s: &[usize]) -> Vec<usize> {
    let mut v = s.to_vec();
    v.insert(s.len() - 1, 1);
    v
}

fn from_2d(s: &[usize]) -> Vec<usize> {
    let mut v = s.to_vec();
    v.remove(s.len() - 2);
    v
}
