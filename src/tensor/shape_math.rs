//! Shape rules of the math ops: reductions over a list of axes (`var`, `std`, `prod`,
//! `norm`, `logsumexp`, `amax`), scans (`cumsum`), `sort` / `topk`, and the losses with a
//! `reduction`. Re-exported by `shape.rs`; each is called before any kernel.

use super::error::{MathError, ShapeFmt};
use super::shape::{checked_numel, normalize_axis, scalar_axis};
use super::TensorError;

/// `f(x, dim, keepdim)` with `dim` one axis, a list of axes, or `None` (every axis).
/// Returns the result's shape and the reduced axes, ascending. A 0-d tensor takes axis 0
/// or -1 (PyTorch's rule) and reduces nothing.
pub fn dims_shape(
    s: &[usize],
    dims: Option<&[isize]>,
    keepdim: bool,
) -> Result<(Vec<usize>, Vec<usize>), TensorError> {
    let axes: Vec<usize> = match dims {
        None => (0..s.len()).collect(),
        Some(ds) if s.is_empty() => {
            for &d in ds {
                if !scalar_axis(s, Some(d)) {
                    return Err(TensorError::Axis { axis: d, ndim: 0 });
                }
            }
            vec![]
        }
        // An empty list reduces every axis, as PyTorch's `dim=[]`.
        Some([]) => (0..s.len()).collect(),
        Some(ds) => {
            let mut v = Vec::with_capacity(ds.len());
            for &d in ds {
                let a = normalize_axis(d, s.len())?;
                if v.contains(&a) {
                    return Err(TensorError::Math(MathError::RepeatedAxis {
                        shape: s.to_vec(),
                        axis: a,
                    }));
                }
                v.push(a);
            }
            v.sort_unstable();
            v
        }
    };
    let mut out = Vec::with_capacity(s.len());
    for (i, &d) in s.iter().enumerate() {
        if !axes.contains(&i) {
            out.push(d);
        } else if keepdim {
            out.push(1);
        }
    }
    Ok((out, axes))
}

/// `amax`/`amin` also need something to pick from along the reduced axes.
pub fn dims_extreme_shape(
    name: &str,
    s: &[usize],
    dims: Option<&[isize]>,
    keepdim: bool,
) -> Result<(Vec<usize>, Vec<usize>), TensorError> {
    let (out, axes) = dims_shape(s, dims, keepdim)?;
    if axes.iter().any(|&a| s[a] == 0) {
        return Err(TensorError::Value(format!(
            "`{name}` of an empty tensor (shape {}) along the reduced axes",
            ShapeFmt(s)
        )));
    }
    Ok((out, axes))
}

/// `cumsum`/`cumprod`/`sort`/`argsort(x, dim)`: the same shape; the axis normalised (0
/// for a 0-d tensor).
pub fn along_shape(s: &[usize], dim: isize) -> Result<(Vec<usize>, usize), TensorError> {
    if scalar_axis(s, Some(dim)) {
        return Ok((vec![], 0));
    }
    let a = normalize_axis(dim, s.len())?;
    Ok((s.to_vec(), a))
}

/// `topk(x, k, dim)`: `k` of the axis' values, `0 <= k <= size`.
pub fn topk_shape(s: &[usize], k: i64, dim: isize) -> Result<(Vec<usize>, usize), TensorError> {
    let (mut out, a) = along_shape(s, dim)?;
    let size = s.get(a).copied().unwrap_or(1);
    // A 0-d tensor has one value to pick, and its result keeps the shape `[]`.
    let low = if s.is_empty() { 1 } else { 0 };
    if k < low || k as u64 > size as u64 {
        return Err(TensorError::Math(MathError::TopK {
            shape: s.to_vec(),
            axis: a,
            k,
        }));
    }
    if !out.is_empty() {
        out[a] = k as usize;
    }
    checked_numel(&out)?;
    Ok((out, a))
}

/// `nll_loss(logp, target)`: log-probabilities `[N, C]` with class indices `[N]`, or `[C]`
/// with one index `[]`. Returns `[]` and `true` (the target holds class indices).
pub fn nll_shape(logp: &[usize], target: &[usize]) -> Result<(Vec<usize>, bool), TensorError> {
    let fits = matches!(logp.len(), 1 | 2) && target == &logp[..logp.len() - 1];
    if !fits {
        return Err(TensorError::LossShape {
            loss: "nll_loss",
            pred: logp.to_vec(),
            target: target.to_vec(),
        });
    }
    Ok((vec![], true))
}

/// The result shape of a loss with `reduction`: `[]`, or with "none" the prediction's
/// shape (elementwise losses) or one value per row (`cross_entropy`, `nll_loss`: `[N]`,
/// or `[]` for one row `[C]`). `rule` is the loss's own shape rule, run first.
pub fn reduced_loss_shape(
    pred: &[usize],
    class_loss: bool,
    none: bool,
    rule: Result<Vec<usize>, TensorError>,
) -> Result<Vec<usize>, TensorError> {
    rule?;
    Ok(match (none, class_loss) {
        (false, _) => vec![],
        (true, false) => pred.to_vec(),
        (true, true) if pred.len() == 2 => vec![pred[0]],
        (true, true) => vec![],
    })
}
