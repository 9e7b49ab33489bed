//! In-place updates (`W -= e`, `x[i] = e`) and the SGD / Adam optimisers with
//! torch.optim's float32 arithmetic.

use ndarray::{ArrayD, Axis, Zip};

use super::kernels::{update_with, update_with2};

use super::backward::{flush_pending, GradStore};
use super::shape::{in_place_shape, resolve_index, IndexItem};
use super::shape_ops::{positions_axis, slice_info};
use super::{Tensor, TensorError};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum InPlaceOp {
    Add,
    Sub,
    Mul,
    Div,
}

fn apply(op: InPlaceOp, d: &mut ArrayD<f32>, r: &ArrayD<f32>) {
    let f = |p: &mut f32, q: f32| match op {
        InPlaceOp::Add => *p += q,
        InPlaceOp::Sub => *p -= q,
        InPlaceOp::Mul => *p *= q,
        InPlaceOp::Div => *p /= q,
    };
    if d.shape() == r.shape() {
        update_with(d, r, f);
        return;
    }
    if r.len() == 1 {
        let q = r.iter().next().copied().unwrap_or(0.0);
        d.map_inplace(|p| f(p, q));
        return;
    }
    Zip::from(d).and_broadcast(r).for_each(|p, &q| f(p, q));
}

/// `t op= rhs` in place: same tensor (same id), not recorded, version bumped. `rhs` must
/// broadcast to exactly `t`'s shape.
pub fn update_in_place(t: &Tensor, op: InPlaceOp, rhs: &Tensor) -> Result<(), TensorError> {
    in_place_shape(&t.shape(), &rhs.shape())?;
    flush_pending(t);
    if t.ptr_eq(rhs) {
        let r = rhs.data().clone();
        apply(op, &mut t.data_mut(), &r);
    } else {
        apply(op, &mut t.data_mut(), &rhs.data());
    }
    t.bump_version();
    t.mark_wanted();
    Ok(())
}

/// `t[items] = value` in place (version bumped); `value` must broadcast to the indexed
/// region's shape.
pub fn set_index(t: &Tensor, items: &[IndexItem], value: &Tensor) -> Result<(), TensorError> {
    if items.iter().any(IndexItem::is_advanced) {
        return super::take::advanced_set(t, items, value);
    }
    let (res, region) = resolve_index(&t.shape(), items)?;
    in_place_shape(&region, &value.shape())?;
    flush_pending(t);
    let v = if t.ptr_eq(value) {
        value.data().clone()
    } else {
        value.data().to_owned()
    };
    {
        let mut d = t.data_mut();
        let nd = d.ndim();
        let mut view = d.slice_mut(slice_info(&res, nd));
        let vb = v.broadcast(region.as_slice()).expect("shape checked");
        match positions_axis(&res) {
            None => view.assign(&vb),
            Some((ax, ps)) => {
                for (j, &p) in ps.iter().enumerate() {
                    view.index_axis_mut(Axis(ax), p)
                        .assign(&vb.index_axis(Axis(ax), j));
                }
            }
        }
    }
    t.bump_version();
    Ok(())
}

/// The gradient of `p`, `None` when the backward did not reach it (skipped, as PyTorch
/// skips parameters whose `.grad` is `None`).
fn grad_of<'a>(
    store: &'a GradStore,
    p: &Tensor,
) -> Result<Option<std::cell::Ref<'a, ArrayD<f32>>>, TensorError> {
    if !store.contains(p) {
        return Ok(None);
    }
    store.grad_ref(p).map(Some)
}

fn check_grad_shape(p: &Tensor, g: &ArrayD<f32>) -> Result<(), TensorError> {
    in_place_shape(&p.shape(), g.shape()).map(|_| ())
}

/// `torch.optim.SGD` (no dampening, no weight decay, no Nesterov).
pub struct Sgd {
    pub params: Vec<Tensor>,
    pub lr: f32,
    pub momentum: f32,
    bufs: Vec<Option<ArrayD<f32>>>,
}

impl Sgd {
    pub fn new(params: Vec<Tensor>, lr: f32, momentum: f32) -> Sgd {
        for p in &params {
            p.mark_wanted();
        }
        let bufs = vec![None; params.len()];
        Sgd {
            params,
            lr,
            momentum,
            bufs,
        }
    }

    /// One step: `buf = g` then `buf = momentum buf + g`; `p -= lr buf`.
    pub fn step(&mut self, store: &GradStore) -> Result<(), TensorError> {
        for (p, buf) in self.params.iter().zip(self.bufs.iter_mut()) {
            // Deferred gradients that read `p` are computed before it changes (and before
            // the store's gradients are borrowed below).
            flush_pending(p);
            let Some(g) = grad_of(store, p)? else {
                continue;
            };
            check_grad_shape(p, &g)?;
            let a = -self.lr;
            if self.momentum != 0.0 {
                let m = self.momentum;
                let b = match buf {
                    None => buf.insert(g.to_owned()),
                    Some(b) => {
                        update_with(b, &g, |b, g| *b = *b * m + g);
                        b
                    }
                };
                update_with(&mut p.data_mut(), b, |w, u| *w += a * u);
            } else {
                update_with(&mut p.data_mut(), &g, |w, u| *w += a * u);
            }
            p.bump_version();
        }
        Ok(())
    }
}

/// `torch.optim.Adam` (no weight decay, no amsgrad).
pub struct Adam {
    pub params: Vec<Tensor>,
    pub lr: f64,
    pub beta1: f64,
    pub beta2: f64,
    pub eps: f64,
    pub t: Vec<u64>,
    m: Vec<Option<ArrayD<f32>>>,
    v: Vec<Option<ArrayD<f32>>>,
}

impl Adam {
    /// Hyper-parameters as f64 (PyTorch computes the bias corrections in double); f32
    /// arguments are accepted too.
    pub fn new(
        params: Vec<Tensor>,
        lr: impl Into<f64>,
        beta1: impl Into<f64>,
        beta2: impl Into<f64>,
        eps: impl Into<f64>,
    ) -> Adam {
        let (lr, beta1, beta2, eps) = (lr.into(), beta1.into(), beta2.into(), eps.into());
        for p in &params {
            p.mark_wanted();
        }
        let n = params.len();
        Adam {
            params,
            lr,
            beta1,
            beta2,
            eps,
            t: vec![0; n],
            m: vec![None; n],
            v: vec![None; n],
        }
    }

    /// One step, per parameter with a gradient:
    /// `m = lerp(m, g, 1 - b1)`, `v = b2 v + (1 - b2) g g`,
    /// `denom = sqrt(v) / sqrt(1 - b2^t) + eps`, `p += (-lr / (1 - b1^t)) m / denom`.
    pub fn step(&mut self, store: &GradStore) -> Result<(), TensorError> {
        for i in 0..self.params.len() {
            let p = &self.params[i];
            flush_pending(p);
            let Some(g) = grad_of(store, p)? else {
                continue;
            };
            check_grad_shape(p, &g)?;
            let g: &ArrayD<f32> = &g;
            self.t[i] += 1;
            let step = self.t[i] as i32;
            let m = self.m[i].get_or_insert_with(|| ArrayD::zeros(g.raw_dim()));
            let w1 = (1.0 - self.beta1) as f32;
            update_with(m, g, |m, g| {
                *m = if w1 < 0.5 {
                    *m + w1 * (g - *m)
                } else {
                    g - (g - *m) * (1.0 - w1)
                };
            });
            let v = self.v[i].get_or_insert_with(|| ArrayD::zeros(g.raw_dim()));
            let b2 = self.beta2 as f32;
            let w2 = (1.0 - self.beta2) as f32;
            update_with(v, g, |v, g| *v = *v * b2 + w2 * g * g);
            let bc1 = 1.0 - self.beta1.powi(step);
            let bc2 = 1.0 - self.beta2.powi(step);
            let step_size = (-(self.lr / bc1)) as f32;
            let bc2_sqrt = bc2.sqrt() as f32;
            let eps = self.eps as f32;
            update_with2(&mut p.data_mut(), m, v, |w, m, v| {
                let denom = v.sqrt() / bc2_sqrt + eps;
                *w += step_size * m / denom;
            });
            p.bump_version();
        }
        Ok(())
    }
}
