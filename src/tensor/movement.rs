//! Movement ops as gathers (`Op::Take`): `expand`, `repeat`, `flip`, `roll`, `pad`,
//! and the diagonal of repeated axes (for `einsum`). Each output axis reads one input
//! position per index (or none: the fill value), so the offsets are sums of per-axis
//! contributions. One shape rule each, run before any offset is computed.

use super::shape::{check_rank, checked_numel, normalize_axis};
use super::take::{strides, take_offsets, FILL};
use super::{ShapeFmt, Tensor, TensorError};

/// The offsets of a take whose output axis `d` adds `blocks[d][i]` at position `i`
/// (`FILL` anywhere makes the element a fill).
fn axis_offsets(blocks: &[Vec<usize>]) -> Vec<usize> {
    let mut cur = vec![0usize];
    for b in blocks {
        let mut next = Vec::with_capacity(cur.len() * b.len());
        for &o in &cur {
            next.extend(
                b.iter()
                    .map(|&c| if o == FILL || c == FILL { FILL } else { o + c }),
            );
        }
        cur = next;
    }
    cur
}

fn take_axes(t: &Tensor, blocks: Vec<Vec<usize>>, name: &'static str, fill: f32) -> Tensor {
    let out: Vec<usize> = blocks.iter().map(|b| b.len()).collect();
    take_offsets(t, axis_offsets(&blocks), &out, name, fill)
}

/// `expand(x, *sizes)`: size-1 axes stretched (and new leading axes); `-1` keeps a size.
pub fn expand_shape(s: &[usize], sizes: &[i64]) -> Result<Vec<usize>, TensorError> {
    let err = |why: String| {
        TensorError::op_shape(
            "shape::expand",
            format!("cannot expand shape {} to {:?}: {why}", ShapeFmt(s), sizes),
        )
    };
    if sizes.len() < s.len() {
        return Err(err(format!(
            "give at least {} sizes, one per axis",
            s.len()
        )));
    }
    check_rank(sizes.len())?;
    let lead = sizes.len() - s.len();
    let mut out = Vec::with_capacity(sizes.len());
    for (d, &n) in sizes.iter().enumerate() {
        if d < lead {
            if n < 0 {
                return Err(err(format!("a new leading axis ({d}) cannot be -1")));
            }
            out.push(n as usize);
        } else {
            let have = s[d - lead];
            let want = if n == -1 { have as i64 } else { n };
            if want < 0 {
                return Err(err(format!("size {n} is negative")));
            }
            if have != 1 && want as usize != have {
                return Err(err(format!(
                    "axis {} has size {have}, only size-1 axes can be expanded",
                    d - lead
                )));
            }
            out.push(want as usize);
        }
    }
    checked_numel(&out)?;
    Ok(out)
}

pub fn expand(t: &Tensor, sizes: &[i64]) -> Result<Tensor, TensorError> {
    let s = t.shape();
    let out = expand_shape(&s, sizes)?;
    let st = strides(&s);
    let lead = out.len() - s.len();
    let blocks = out
        .iter()
        .enumerate()
        .map(|(d, &n)| {
            if d < lead || s[d - lead] == 1 {
                vec![0; n]
            } else {
                (0..n).map(|i| i * st[d - lead]).collect()
            }
        })
        .collect();
    Ok(take_axes(t, blocks, "expand", 0.0))
}

/// `repeat(x, *sizes)`: the tensor tiled `sizes[d]` times along each axis (leading sizes
/// add axes). `tile` pads short `sizes` with leading 1s first.
pub fn repeat_shape(s: &[usize], reps: &[i64]) -> Result<Vec<usize>, TensorError> {
    if reps.len() < s.len() {
        return Err(TensorError::op_shape(
"shape::repeat", format!(
            "`repeat` needs at least as many sizes as the tensor has axes ({} for shape {}), got {}",
            s.len(),
            ShapeFmt(s),
            reps.len()
        )));
    }
    check_rank(reps.len())?;
    let lead = reps.len() - s.len();
    let mut out = Vec::with_capacity(reps.len());
    for (d, &r) in reps.iter().enumerate() {
        if r < 0 {
            return Err(TensorError::Value(format!(
                "`repeat` counts must be 0 or more, got {r}"
            )));
        }
        let have = if d < lead { 1 } else { s[d - lead] };
        let n = have.checked_mul(r as usize).ok_or(TensorError::TooLarge {
            shape: vec![have, r as usize],
            bytes: None,
            budget: super::max_tensor_bytes(),
        })?;
        out.push(n);
    }
    checked_numel(&out)?;
    Ok(out)
}

pub fn repeat(t: &Tensor, reps: &[i64], name: &'static str) -> Result<Tensor, TensorError> {
    let s = t.shape();
    let out = repeat_shape(&s, reps)?;
    let lead = out.len() - s.len();
    let mut padded = vec![1; lead];
    padded.extend_from_slice(&s);
    let st = strides(&padded);
    let blocks = out
        .iter()
        .enumerate()
        .map(|(d, &n)| {
            (0..n)
                .map(|i| {
                    if padded[d] == 0 {
                        0
                    } else {
                        (i % padded[d]) * st[d]
                    }
                })
                .collect()
        })
        .collect();
    Ok(take_axes(t, blocks, name, 0.0))
}

/// Distinct normalised axes.
pub fn axes_set(s: &[usize], dims: &[isize], op: &str) -> Result<Vec<usize>, TensorError> {
    let mut out = Vec::with_capacity(dims.len());
    for &d in dims {
        let a = normalize_axis(d, s.len())?;
        if out.contains(&a) {
            return Err(TensorError::op_shape(
                "shape::axis",
                format!("`{op}` got axis {a} twice"),
            ));
        }
        out.push(a);
    }
    Ok(out)
}

/// `flip(x, dims)`: the order of the elements reversed along each of `dims`.
pub fn flip(t: &Tensor, dims: &[isize]) -> Result<Tensor, TensorError> {
    let s = t.shape();
    let axes = axes_set(&s, dims, "flip")?;
    let st = strides(&s);
    let blocks = s
        .iter()
        .enumerate()
        .map(|(d, &n)| {
            if axes.contains(&d) {
                (0..n).map(|i| (n - 1 - i) * st[d]).collect()
            } else {
                (0..n).map(|i| i * st[d]).collect()
            }
        })
        .collect();
    Ok(take_axes(t, blocks, "flip", 0.0))
}

/// `roll(x, shifts, dims)`: elements shifted along each axis of `dims` by its shift,
/// wrapping around; without `dims` the flattened tensor is rolled (shape kept).
pub fn roll(t: &Tensor, shifts: &[i64], dims: Option<&[isize]>) -> Result<Tensor, TensorError> {
    let s = t.shape();
    let Some(dims) = dims else {
        if shifts.len() != 1 {
            return Err(TensorError::op_shape(
                "shape::roll",
                format!("`roll` without dims takes one shift, got {}", shifts.len()),
            ));
        }
        let n = checked_numel(&s)?;
        let k = if n == 0 {
            0
        } else {
            shifts[0].rem_euclid(n as i64) as usize
        };
        let offs = (0..n).map(|i| (i + n - k) % n).collect();
        return Ok(take_offsets(t, offs, &s, "roll", 0.0));
    };
    if dims.len() != shifts.len() {
        return Err(TensorError::op_shape(
            "shape::roll",
            format!(
                "`roll` needs one shift per axis: {} shifts for {} axes",
                shifts.len(),
                dims.len()
            ),
        ));
    }
    let mut by = vec![0i64; s.len()];
    for (&d, &k) in dims.iter().zip(shifts) {
        let a = normalize_axis(d, s.len())?;
        by[a] = by[a].wrapping_add(k);
    }
    let st = strides(&s);
    let blocks = s
        .iter()
        .enumerate()
        .map(|(d, &n)| {
            let k = if n == 0 {
                0
            } else {
                by[d].rem_euclid(n as i64) as usize
            };
            (0..n).map(|i| ((i + n - k) % n) * st[d]).collect()
        })
        .collect();
    Ok(take_axes(t, blocks, "roll", 0.0))
}

/// `pad(x, [left, right, top, bottom, ...], value)`: pairs of widths from the last axis
/// backwards; negative widths crop. Returns the output shape.
pub fn pad_shape(s: &[usize], pad: &[i64]) -> Result<Vec<usize>, TensorError> {
    if !pad.len().is_multiple_of(2) || pad.len() > 2 * s.len() {
        return Err(TensorError::op_shape(
            "shape::pad",
            format!(
            "`pad` needs an even number of widths, at most 2 per axis ({} for shape {}), got {}",
            2 * s.len(),
            ShapeFmt(s),
            pad.len()
        ),
        ));
    }
    let mut out = s.to_vec();
    for (k, w) in pad.chunks(2).enumerate() {
        let d = s.len() - 1 - k;
        let n = s[d] as i128 + w[0] as i128 + w[1] as i128;
        if n < 0 {
            return Err(TensorError::op_shape(
                "shape::pad",
                format!(
                    "`pad` widths {} and {} would leave axis {d} of size {} with {n} elements",
                    w[0], w[1], s[d]
                ),
            ));
        }
        out[d] = usize::try_from(n).map_err(|_| TensorError::TooLarge {
            shape: s.to_vec(),
            bytes: None,
            budget: super::max_tensor_bytes(),
        })?;
    }
    checked_numel(&out)?;
    Ok(out)
}

pub fn pad(t: &Tensor, pad: &[i64], value: f32) -> Result<Tensor, TensorError> {
    let s = t.shape();
    let out = pad_shape(&s, pad)?;
    let st = strides(&s);
    let blocks = out
        .iter()
        .enumerate()
        .map(|(d, &n)| {
            let k = s.len() - 1 - d;
            let left = if 2 * k < pad.len() { pad[2 * k] } else { 0 };
            (0..n)
                .map(|j| {
                    let i = j as i64 - left;
                    if i >= 0 && (i as usize) < s[d] {
                        i as usize * st[d]
                    } else {
                        FILL
                    }
                })
                .collect()
        })
        .collect();
    Ok(take_axes(t, blocks, "pad", value))
}

/// Merges groups of axes that must be read together: output axis `k` walks all the input
/// axes in `groups[k]` at once (a diagonal when a group has several). The sizes in a group
/// must agree.
pub fn diagonal_axes(t: &Tensor, groups: &[Vec<usize>]) -> Result<Tensor, TensorError> {
    let s = t.shape();
    let st = strides(&s);
    let mut blocks = Vec::with_capacity(groups.len());
    for g in groups {
        let n = s[g[0]];
        if let Some(&bad) = g.iter().find(|&&a| s[a] != n) {
            return Err(TensorError::op_shape(
                "shape::einsum",
                format!(
                    "a diagonal over axes {} and {} needs equal sizes, got {n} and {}",
                    g[0], bad, s[bad]
                ),
            ));
        }
        let step: usize = g.iter().map(|&a| st[a]).sum();
        blocks.push((0..n).map(|i| i * step).collect());
    }
    Ok(take_axes(t, blocks, "diagonal", 0.0))
}
