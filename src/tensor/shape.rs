//! Shape rules: one pure function per op, called by the forward op before any data is
//! touched and by the static checker instead of computing.

use super::error::{CatKind, MatMulKind, ReshapeReason, TensorError};
use ndarray::ArrayD;

/// One item of an index expression `x[i, a:b:s, ...]`.
#[derive(Clone, Debug, PartialEq)]
pub enum IndexItem {
    /// A single position (negative counts from the end); removes the axis.
    At(isize),
    /// A Python slice; `step` must not be 0 (negative steps walk backwards).
    Slice {
        start: Option<isize>,
        stop: Option<isize>,
        step: isize,
    },
    /// A list of positions; keeps the axis with `len` entries (advanced indexing, as
    /// a 1-D `Array`).
    Positions(Vec<isize>),
    /// `None`: a new axis of size 1.
    NewAxis,
    /// `...`: as many full slices as the other items leave axes.
    Ellipsis,
    /// A tensor used as an index: integer positions of any shape (PyTorch's integer
    /// array indexing), or a mask (`mask`) selecting where it is non-zero.
    Array { values: ArrayD<f32>, mask: bool },
}

impl IndexItem {
    /// The index `x[:, ..., :, item]` that applies `item` to axis `axis` (full slices
    /// before it).
    pub fn along(axis: usize, item: IndexItem) -> Vec<IndexItem> {
        let mut items: Vec<IndexItem> = (0..axis)
            .map(|_| IndexItem::Slice {
                start: None,
                stop: None,
                step: 1,
            })
            .collect();
        items.push(item);
        items
    }

    /// Whether the item needs the general (gathering) path rather than a slice view.
    pub fn is_advanced(&self) -> bool {
        matches!(
            self,
            IndexItem::NewAxis
                | IndexItem::Ellipsis
                | IndexItem::Array { .. }
                | IndexItem::Positions(_)
        )
    }
}

/// An index item with positions resolved against the axis size.
#[derive(Clone, Debug, PartialEq)]
pub enum Resolved {
    At(usize),
    Slice {
        start: usize,
        len: usize,
        step: isize,
    },
    Positions(Vec<usize>),
}

/// Element count of `shape`, or `TooLarge` when it overflows or exceeds the per-tensor
/// byte budget.
pub fn checked_numel(shape: &[usize]) -> Result<usize, TensorError> {
    let budget = super::max_tensor_bytes();
    let overflow = || TensorError::TooLarge {
        shape: shape.to_vec(),
        bytes: None,
        budget,
    };
    // ndarray needs the product of the non-zero axis lengths to fit in isize, even for
    // tensors with no elements.
    let mut nonzero: usize = 1;
    for &d in shape {
        if d != 0 {
            nonzero = nonzero
                .checked_mul(d)
                .filter(|&v| v <= isize::MAX as usize)
                .ok_or_else(overflow)?;
        }
    }
    let n = if shape.contains(&0) { 0 } else { nonzero };
    let bytes = (n as u64).checked_mul(4);
    match bytes {
        Some(b) if b <= budget => Ok(n),
        _ => Err(TensorError::TooLarge {
            shape: shape.to_vec(),
            bytes,
            budget,
        }),
    }
}

/// Normalises a possibly negative axis for a tensor of `ndim` axes.
pub fn normalize_axis(axis: isize, ndim: usize) -> Result<usize, TensorError> {
    let n = ndim as isize;
    let a = if axis < 0 { axis + n } else { axis };
    if a < 0 || a >= n {
        Err(TensorError::Axis { axis, ndim })
    } else {
        Ok(a as usize)
    }
}

/// PyTorch lets a 0-d tensor be reduced (or squeezed) along axis 0 or -1, as if it had
/// one axis of size 1; the result is 0-d again.
pub fn scalar_axis(s: &[usize], axis: Option<isize>) -> bool {
    s.is_empty() && matches!(axis, Some(0) | Some(-1))
}

/// NumPy broadcasting of two shapes.
pub fn broadcast_shapes(a: &[usize], b: &[usize]) -> Result<Vec<usize>, TensorError> {
    if a == b {
        return Ok(a.to_vec());
    }
    let n = a.len().max(b.len());
    let mut out = vec![0; n];
    for i in 0..n {
        let da = if i < a.len() { a[a.len() - 1 - i] } else { 1 };
        let db = if i < b.len() { b[b.len() - 1 - i] } else { 1 };
        out[n - 1 - i] = if da == db || db == 1 {
            da
        } else if da == 1 {
            db
        } else {
            return Err(TensorError::Broadcast {
                lhs: a.to_vec(),
                rhs: b.to_vec(),
                lhs_axis: a.len() - 1 - i,
                rhs_axis: b.len() - 1 - i,
            });
        };
    }
    checked_numel(&out)?;
    Ok(out)
}

/// Shape of an in-place update `target op= value`: `value` must broadcast to exactly
/// `target`'s shape.
pub fn in_place_shape(target: &[usize], value: &[usize]) -> Result<Vec<usize>, TensorError> {
    let out = broadcast_shapes(target, value)?;
    if out != target {
        return Err(TensorError::InPlace {
            target: target.to_vec(),
            value: value.to_vec(),
        });
    }
    Ok(out)
}

/// NumPy `matmul` rule.
pub fn matmul_shape(a: &[usize], b: &[usize]) -> Result<Vec<usize>, TensorError> {
    let err = |kind| TensorError::MatMul {
        lhs: a.to_vec(),
        rhs: b.to_vec(),
        kind,
    };
    if a.is_empty() || b.is_empty() {
        return Err(err(MatMulKind::ZeroDim));
    }
    let ka = a[a.len() - 1];
    let kb = if b.len() == 1 { b[0] } else { b[b.len() - 2] };
    if ka != kb {
        return Err(err(MatMulKind::Inner));
    }
    let ab = if a.len() >= 2 {
        &a[..a.len() - 2]
    } else {
        &[][..]
    };
    let bb = if b.len() >= 2 {
        &b[..b.len() - 2]
    } else {
        &[][..]
    };
    let mut out = match broadcast_shapes(ab, bb) {
        Ok(s) => s,
        Err(TensorError::Broadcast { .. }) => return Err(err(MatMulKind::Batch)),
        Err(e) => return Err(e),
    };
    if a.len() >= 2 {
        out.push(a[a.len() - 2]);
    }
    if b.len() >= 2 {
        out.push(b[b.len() - 1]);
    }
    checked_numel(&out)?;
    Ok(out)
}

/// `transpose(x, a, b)`: swaps two axes. Returns the normalised axes too.
pub fn transpose_shape(
    s: &[usize],
    a: isize,
    b: isize,
) -> Result<(Vec<usize>, usize, usize), TensorError> {
    let a = normalize_axis(a, s.len())?;
    let b = normalize_axis(b, s.len())?;
    let mut out = s.to_vec();
    out.swap(a, b);
    Ok((out, a, b))
}

/// `x.T`: reverses all axes.
pub fn reverse_shape(s: &[usize]) -> Vec<usize> {
    s.iter().rev().copied().collect()
}

/// `reshape(x, spec)` with at most one `-1`.
pub fn reshape_shape(from: &[usize], spec: &[isize]) -> Result<Vec<usize>, TensorError> {
    check_rank(spec.len())?;
    let err = |reason| TensorError::Reshape {
        from: from.to_vec(),
        spec: spec.to_vec(),
        reason,
    };
    let n = checked_numel(from)?;
    let mut infer = None;
    let mut known: usize = 1;
    for (i, &d) in spec.iter().enumerate() {
        if d == -1 {
            if infer.is_some() {
                return Err(err(ReshapeReason::TwoInferred));
            }
            infer = Some(i);
        } else if d < 0 {
            return Err(err(ReshapeReason::Negative));
        } else {
            known = match known.checked_mul(d as usize) {
                Some(k) => k,
                None => return Err(err(ReshapeReason::Size)),
            };
        }
    }
    let mut out: Vec<usize> = spec.iter().map(|&d| d.max(0) as usize).collect();
    match infer {
        Some(i) => {
            if known == 0 || n % known != 0 {
                return Err(err(ReshapeReason::CannotInfer));
            }
            out[i] = n / known;
        }
        None => {
            if known != n {
                return Err(err(ReshapeReason::Size));
            }
        }
    }
    Ok(out)
}

/// `flatten(x)`: one axis with all elements.
pub fn flatten_shape(s: &[usize]) -> Result<Vec<usize>, TensorError> {
    Ok(vec![checked_numel(s)?])
}

/// `flatten(x, start_dim, end_dim)`: the axes `start_dim..=end_dim` merged into one (a
/// 0-d tensor becomes `[1]`, as PyTorch's).
pub fn flatten_range_shape(
    s: &[usize],
    start: isize,
    end: isize,
) -> Result<Vec<usize>, TensorError> {
    if s.is_empty() {
        normalize_axis(start, 1)?;
        normalize_axis(end, 1)?;
        return Ok(vec![1]);
    }
    let (a, b) = (
        normalize_axis(start, s.len())?,
        normalize_axis(end, s.len())?,
    );
    if a > b {
        return Err(TensorError::Value(format!(
            "`flatten`: start_dim {start} comes after end_dim {end}"
        )));
    }
    let mut out = s[..a].to_vec();
    out.push(checked_numel(&s[a..=b])?);
    out.extend_from_slice(&s[b + 1..]);
    Ok(out)
}

/// `squeeze(x)` removes all size-1 axes; `squeeze(x, axis)` removes that axis, which must
/// have size 1.
pub fn squeeze_shape(s: &[usize], axis: Option<isize>) -> Result<Vec<usize>, TensorError> {
    if scalar_axis(s, axis) {
        return Ok(vec![]);
    }
    match axis {
        None => Ok(s.iter().copied().filter(|&d| d != 1).collect()),
        Some(a) => {
            let a = normalize_axis(a, s.len())?;
            if s[a] != 1 {
                return Err(TensorError::Squeeze {
                    axis: a,
                    size: s[a],
                });
            }
            let mut out = s.to_vec();
            out.remove(a);
            Ok(out)
        }
    }
}

/// Tensors have at most this many axes (rank 0 to 16).
pub const MAX_RANK: usize = 16;

/// The rank of an op's result must not pass `MAX_RANK`.
pub fn check_rank(ndim: usize) -> Result<(), TensorError> {
    if ndim > MAX_RANK {
        return Err(TensorError::Rank { ndim });
    }
    Ok(())
}

/// `unsqueeze(x, axis)`: inserts a size-1 axis; `axis` ranges over `-(ndim+1)..=ndim`.
pub fn unsqueeze_shape(s: &[usize], axis: isize) -> Result<(Vec<usize>, usize), TensorError> {
    check_rank(s.len() + 1)?;
    let a = normalize_axis(axis, s.len() + 1)?;
    let mut out = s.to_vec();
    out.insert(a, 1);
    Ok((out, a))
}

/// `cat(list, axis)`: same rank, same sizes except along `axis`.
pub fn cat_shape(shapes: &[&[usize]], axis: isize) -> Result<(Vec<usize>, usize), TensorError> {
    let all = || shapes.iter().map(|s| s.to_vec()).collect::<Vec<_>>();
    let first = match shapes.first() {
        Some(f) => *f,
        None => {
            return Err(TensorError::Cat {
                axis,
                shapes: vec![],
                which: 0,
                kind: CatKind::Empty,
            })
        }
    };
    let ax = normalize_axis(axis, first.len())?;
    let mut out = first.to_vec();
    out[ax] = 0;
    for (i, s) in shapes.iter().enumerate() {
        if s.len() != first.len() {
            return Err(TensorError::Cat {
                axis,
                shapes: all(),
                which: i,
                kind: CatKind::Rank,
            });
        }
        for (d, (&x, &y)) in s.iter().zip(first.iter()).enumerate() {
            if d != ax && x != y {
                return Err(TensorError::Cat {
                    axis,
                    shapes: all(),
                    which: i,
                    kind: CatKind::Size,
                });
            }
        }
        out[ax] = out[ax].checked_add(s[ax]).ok_or(TensorError::TooLarge {
            shape: s.to_vec(),
            bytes: None,
            budget: super::max_tensor_bytes(),
        })?;
    }
    checked_numel(&out)?;
    Ok((out, ax))
}

/// `stack(list, axis)`: all shapes equal; a new axis at `axis` (`-(ndim+1)..=ndim`).
pub fn stack_shape(shapes: &[&[usize]], axis: isize) -> Result<(Vec<usize>, usize), TensorError> {
    check_rank(shapes.first().map(|f| f.len()).unwrap_or(0) + 1)?;
    let first = match shapes.first() {
        Some(f) => *f,
        None => {
            return Err(TensorError::Cat {
                axis,
                shapes: vec![],
                which: 0,
                kind: CatKind::Empty,
            })
        }
    };
    let ax = normalize_axis(axis, first.len() + 1)?;
    for (i, s) in shapes.iter().enumerate() {
        if *s != first {
            let kind = if s.len() != first.len() {
                CatKind::Rank
            } else {
                CatKind::Size
            };
            return Err(TensorError::Cat {
                axis,
                shapes: shapes.iter().map(|s| s.to_vec()).collect(),
                which: i,
                kind,
            });
        }
    }
    let mut out = first.to_vec();
    out.insert(ax, shapes.len());
    checked_numel(&out)?;
    Ok((out, ax))
}

fn resolve_position(i: isize, axis: usize, size: usize) -> Result<usize, TensorError> {
    let j = if i < 0 { i + size as isize } else { i };
    if j < 0 || j >= size as isize {
        Err(TensorError::IndexOutOfRange {
            axis,
            index: i,
            size,
        })
    } else {
        Ok(j as usize)
    }
}

/// Resolves an index expression against `shape` (Python semantics: negative positions
/// count from the end, slices are clamped) and gives the result shape.
pub fn resolve_index(
    shape: &[usize],
    items: &[IndexItem],
) -> Result<(Vec<Resolved>, Vec<usize>), TensorError> {
    if items.len() > shape.len() {
        return Err(TensorError::TooManyIndices {
            given: items.len(),
            ndim: shape.len(),
        });
    }
    let mut out = Vec::with_capacity(shape.len());
    let mut res = Vec::with_capacity(items.len());
    let mut lists = 0;
    for (axis, item) in items.iter().enumerate() {
        let size = shape[axis];
        match item {
            IndexItem::At(i) => res.push(Resolved::At(resolve_position(*i, axis, size)?)),
            IndexItem::Slice { start, stop, step } => {
                let (s, len) = slice_range(size, *start, *stop, *step)?;
                out.push(len);
                res.push(Resolved::Slice {
                    start: s,
                    len,
                    step: *step,
                });
            }
            IndexItem::Positions(ps) => {
                lists += 1;
                if lists > 1 {
                    return Err(TensorError::Value(
                        "only one tensor of positions is supported in an index".to_string(),
                    ));
                }
                let r = ps
                    .iter()
                    .map(|&p| resolve_position(p, axis, size))
                    .collect::<Result<Vec<_>, _>>()?;
                out.push(r.len());
                res.push(Resolved::Positions(r));
            }
            IndexItem::NewAxis | IndexItem::Ellipsis | IndexItem::Array { .. } => {
                return Err(TensorError::Value(
                    "internal: an advanced index item on the slicing path".to_string(),
                ))
            }
        }
    }
    out.extend_from_slice(&shape[items.len()..]);
    checked_numel(&out)?;
    Ok((res, out))
}

/// The first position and the length of the Python slice `start:stop:step` over an axis
/// of `size` (the step may be negative, not 0).
pub fn slice_range(
    size: usize,
    start: Option<isize>,
    stop: Option<isize>,
    step: isize,
) -> Result<(usize, usize), TensorError> {
    if step == 0 {
        return Err(TensorError::Value("slice step cannot be zero".to_string()));
    }
    let n = size as isize;
    if step > 0 {
        let clamp = |v: Option<isize>, default: isize| match v {
            None => default,
            Some(v) if v < 0 => (v + n).max(0),
            Some(v) => v.min(n),
        };
        let s = clamp(start, 0);
        let e = clamp(stop, n);
        let len = if e > s { (e - s - 1) / step + 1 } else { 0 };
        Ok((s as usize, len as usize))
    } else {
        // Backwards: positions run from `s` down to just above `e`, both in -1..=n-1.
        let clamp = |v: Option<isize>, default: isize| match v {
            None => default,
            Some(v) if v < 0 => (v + n).max(-1),
            Some(v) => v.min(n - 1),
        };
        let s = clamp(start, n - 1);
        let e = clamp(stop, -1);
        let k = step.checked_neg().unwrap_or(isize::MAX);
        let len = if s > e { (s - e - 1) / k + 1 } else { 0 };
        Ok((s.max(0) as usize, len as usize))
    }
}

/// `sum/mean/max/min(x, axis, keepdim)`. `None` reduces every axis.
pub fn reduce_shape(
    s: &[usize],
    axis: Option<isize>,
    keepdim: bool,
) -> Result<Vec<usize>, TensorError> {
    if scalar_axis(s, axis) {
        return Ok(vec![]);
    }
    match axis {
        None => Ok(if keepdim { vec![1; s.len()] } else { vec![] }),
        Some(a) => {
            let a = normalize_axis(a, s.len())?;
            let mut out = s.to_vec();
            if keepdim {
                out[a] = 1;
            } else {
                out.remove(a);
            }
            Ok(out)
        }
    }
}

/// `max`/`min`/`argmax`/`argmin` also need something to pick from.
pub fn extreme_shape(
    name: &str,
    s: &[usize],
    axis: Option<isize>,
    keepdim: bool,
) -> Result<Vec<usize>, TensorError> {
    let out = reduce_shape(s, axis, keepdim)?;
    let axis = if scalar_axis(s, axis) { None } else { axis };
    let empty = match axis {
        None => s.contains(&0),
        Some(a) => s[normalize_axis(a, s.len())?] == 0,
    };
    if empty {
        return Err(TensorError::Value(format!(
            "`{name}` of an empty tensor (shape {})",
            super::error::ShapeFmt(s)
        )));
    }
    Ok(out)
}

/// `softmax`/`log_softmax(x, axis)`: same shape.
pub fn softmax_shape(s: &[usize], axis: isize) -> Result<Vec<usize>, TensorError> {
    if !scalar_axis(s, Some(axis)) {
        normalize_axis(axis, s.len())?;
    }
    Ok(s.to_vec())
}

/// `mse`, `bce`, `bce_logits`: both arguments of exactly the same shape; the result is 0-d.
pub fn loss_shape(
    loss: &'static str,
    pred: &[usize],
    target: &[usize],
) -> Result<Vec<usize>, TensorError> {
    if pred != target {
        return Err(TensorError::LossShape {
            loss,
            pred: pred.to_vec(),
            target: target.to_vec(),
        });
    }
    Ok(vec![])
}

/// `cross_entropy(logits, target)`: logits `[N, C]` with class indices `[N]` or
/// probabilities `[N, C]`; or logits `[C]` with a class index `[]` or probabilities `[C]`.
/// Returns `[]` and whether the target holds class indices.
pub fn cross_entropy_shape(
    logits: &[usize],
    target: &[usize],
) -> Result<(Vec<usize>, bool), TensorError> {
    let err = || TensorError::LossShape {
        loss: "cross_entropy",
        pred: logits.to_vec(),
        target: target.to_vec(),
    };
    match logits.len() {
        1 | 2 => {
            if target == logits {
                Ok((vec![], false))
            } else if target == &logits[..logits.len() - 1] {
                Ok((vec![], true))
            } else {
                Err(err())
            }
        }
        _ => Err(err()),
    }
}

/// Length of `arange(start, stop, step)`: `ceil((stop - start) / step)`, as PyTorch.
pub fn arange_len(start: f64, stop: f64, step: f64) -> Result<usize, TensorError> {
    if step == 0.0 {
        return Err(TensorError::Value(
            "`arange` step must not be zero".to_string(),
        ));
    }
    if !(start.is_finite() && stop.is_finite() && step.is_finite()) {
        return Err(TensorError::Value(
            "`arange` bounds and step must be finite".to_string(),
        ));
    }
    if (step > 0.0 && stop < start) || (step < 0.0 && stop > start) {
        return Err(TensorError::Value(format!(
            "`arange` from {start} to {stop} with step {step} goes the wrong way"
        )));
    }
    let n = ((stop - start) / step).ceil();
    if n >= 1e18 {
        return Err(TensorError::TooLarge {
            shape: vec![usize::MAX],
            bytes: None,
            budget: super::max_tensor_bytes(),
        });
    }
    let n = n as usize;
    checked_numel(&[n])?;
    Ok(n)
}

/// Shape of `linspace(start, stop, n)`.
pub fn linspace_shape(n: i64) -> Result<Vec<usize>, TensorError> {
    if n < 0 {
        return Err(TensorError::Value(format!(
            "`linspace` needs a non-negative number of points, got {n}"
        )));
    }
    let s = vec![n as usize];
    checked_numel(&s)?;
    Ok(s)
}
