//! Sampling from the seeded generator (`multinomial`, `randint`) and the triangle masks
//! of `tril`/`triu`.

use ndarray::{ArrayD, IxDyn};

use super::construct::Rng;
use super::kernels::from_vec;
use super::shape::checked_numel;
use super::take::where_;
use super::{Tensor, TensorError};

/// The shape rule of `multinomial(probs, n, replacement)`: `probs` is `[C]` or `[R, C]`
/// with `C >= 1`; without replacement `n <= C`. The result is `[n]` or `[R, n]`.
pub fn multinomial_shape(
    probs: &[usize],
    n: usize,
    replacement: bool,
) -> Result<Vec<usize>, TensorError> {
    let c = match probs {
        [c] | [_, c] => *c,
        _ => {
            return Err(TensorError::op_shape(
                "shape::multinomial",
                format!(
                    "`multinomial` needs probabilities of shape [C] or [R, C], got {}",
                    super::ShapeFmt(probs)
                ),
            ))
        }
    };
    if c == 0 {
        return Err(TensorError::Value(
            "`multinomial` needs at least one category".to_string(),
        ));
    }
    if !replacement && n > c {
        return Err(TensorError::Value(format!(
            "`multinomial` cannot draw {n} samples without replacement from {c} categories"
        )));
    }
    let mut out = probs.to_vec();
    let last = out.len() - 1;
    out[last] = n;
    checked_numel(&out)?;
    Ok(out)
}

/// `multinomial(probs, n, replacement)`: category positions drawn with probability
/// proportional to each row's weights (non-negative, finite, not all 0).
pub fn multinomial(
    probs: &Tensor,
    n: usize,
    replacement: bool,
    rng: &mut Rng,
) -> Result<Tensor, TensorError> {
    let out = multinomial_shape(&probs.shape(), n, replacement)?;
    let p = probs.data();
    let c = *p.shape().last().expect("1-D or 2-D");
    let rows = p.len() / c;
    let flat: Vec<f32> = p.iter().copied().collect();
    let mut res = Vec::with_capacity(rows * n);
    for r in 0..rows {
        let mut w: Vec<f64> = flat[r * c..(r + 1) * c].iter().map(|&v| v as f64).collect();
        if let Some(bad) = w.iter().find(|v| !v.is_finite() || **v < 0.0) {
            return Err(TensorError::Value(format!(
                "`multinomial` needs finite, non-negative weights, row {r} holds {bad}"
            )));
        }
        let positive = w.iter().filter(|&&v| v > 0.0).count();
        if positive == 0 || (!replacement && n > positive) {
            return Err(TensorError::Value(format!(
                "`multinomial` row {r} has {positive} categories of non-zero weight, too few to draw {n} sample{}",
                if replacement { "s" } else { "s without replacement" }
            )));
        }
        for _ in 0..n {
            let total: f64 = w.iter().sum();
            let u = ((rng.next_u64() >> 11) as f64 / (1u64 << 53) as f64) * total;
            let mut acc = 0.0;
            let mut pick = None;
            for (k, &v) in w.iter().enumerate() {
                if v > 0.0 {
                    acc += v;
                    pick = Some(k);
                    if u < acc {
                        break;
                    }
                }
            }
            let k = pick.expect("a positive weight");
            res.push(k as f32);
            if !replacement {
                w[k] = 0.0;
            }
        }
    }
    Ok(Tensor::leaf(from_vec(&out, res)))
}

/// `randint(low, high, size)`: whole numbers uniform in `low..high`.
pub fn randint(low: i64, high: i64, size: &[usize], rng: &mut Rng) -> Result<Tensor, TensorError> {
    if high <= low {
        return Err(TensorError::Value(format!(
            "`randint` needs low < high, got low={low}, high={high}"
        )));
    }
    let n = checked_numel(size)?;
    let range = (high - low) as u128;
    let v = (0..n)
        .map(|_| (low as i128 + ((rng.next_u64() as u128 * range) >> 64) as i128) as f32)
        .collect();
    Ok(Tensor::leaf(from_vec(size, v)))
}

/// `tril(x, diagonal)` (`upper = false`) / `triu(x, diagonal)`: `x` with the elements
/// above (below) the `diagonal`-th diagonal of its last two axes set to 0.
pub fn tri(x: &Tensor, diagonal: i64, upper: bool) -> Result<Tensor, TensorError> {
    let s = x.shape();
    if s.len() < 2 {
        return Err(TensorError::op_shape(
            "shape::tril",
            format!(
                "`{}` needs a tensor with at least 2 axes, got shape {}",
                if upper { "triu" } else { "tril" },
                super::ShapeFmt(&s)
            ),
        ));
    }
    let (r, c) = (s[s.len() - 2], s[s.len() - 1]);
    checked_numel(&[r, c])?;
    let mut keep = ArrayD::<f32>::zeros(IxDyn(&[r, c]));
    for i in 0..r {
        for j in 0..c {
            let d = j as i64 - i as i64;
            let k = if upper { d >= diagonal } else { d <= diagonal };
            keep[[i, j]] = k as i32 as f32;
        }
    }
    where_(&Tensor::leaf(keep), x, &Tensor::constant(0.0))
}
