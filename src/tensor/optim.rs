//! In-place updates (`W -= e`, `x[i] = e`) and the SGD / Adam / AdamW / RMSprop
//! optimisers with torch.optim's float32 arithmetic, and gradient-norm clipping.

use ndarray::{ArrayD, Axis, Zip};

use super::kernels::{update_with, update_with2, zip_map};

use super::backward::{flush_pending, keep_copy, keep_replaced, prepare_change, GradStore};
use super::budget::{data_bytes, reserve_bytes, Charge};
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
        return advanced_set(t, items, value);
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

/// `torch.optim.SGD` (no dampening), with `weight_decay` and Nesterov momentum.
pub struct Sgd {
    pub params: Vec<Tensor>,
    pub lr: f64,
    pub momentum: f32,
    pub weight_decay: f32,
    pub nesterov: bool,
    bufs: Vec<Option<ArrayD<f32>>>,
    /// The momentum buffers' bytes in the memory budget.
    charge: Charge,
}

impl Sgd {
    pub fn new(params: Vec<Tensor>, lr: impl Into<f64>, momentum: f32) -> Sgd {
        let lr = lr.into();
        for p in &params {
            p.mark_wanted();
        }
        let bufs = vec![None; params.len()];
        Sgd {
            params,
            lr,
            momentum,
            weight_decay: 0.0,
            nesterov: false,
            bufs,
            charge: Charge::default(),
        }
    }

    /// One step: `d = g + wd p`; with momentum `buf = d` then `buf = momentum buf + d`,
    /// and `d = buf` (Nesterov: `d + momentum buf`); `p -= lr d`.
    pub fn step(&mut self, store: &GradStore) -> Result<(), TensorError> {
        for (p, buf) in self.params.iter().zip(self.bufs.iter_mut()) {
            // Deferred gradients that read `p` are computed before it changes (and before
            // the store's gradients are borrowed below); when they read `p` itself, its
            // old array is kept for them and the update makes a new one (no copy).
            let keep = prepare_change(p);
            let g = match grad_of(store, p) {
                Ok(Some(g)) => g,
                other => {
                    if keep {
                        keep_copy(p);
                    }
                    other?;
                    continue;
                }
            };
            if let Err(e) = check_grad_shape(p, &g) {
                if keep {
                    keep_copy(p);
                }
                return Err(e);
            }
            let a = -(self.lr as f32);
            // `p += a u`, in place or into the new array that replaces the kept one.
            let add_scaled = |u: &ArrayD<f32>| {
                if keep {
                    let new = zip_map(&p.data(), u, &p.shape(), |w, u| w + a * u);
                    keep_replaced(p, new);
                } else {
                    update_with(&mut p.data_mut(), u, |w, u| *w += a * u);
                }
            };
            let decayed;
            let mut d: &ArrayD<f32> = &g;
            if self.weight_decay != 0.0 {
                let wd = self.weight_decay;
                let mut v = g.to_owned();
                update_with(&mut v, &p.data(), |v, w| *v += wd * w);
                decayed = v;
                d = &decayed;
            }
            if self.momentum != 0.0 {
                let m = self.momentum;
                let b = match buf {
                    None => {
                        reserve_bytes(data_bytes(d.len()), d.shape())?;
                        self.charge.add(data_bytes(d.len()));
                        buf.insert(d.to_owned())
                    }
                    Some(b) => {
                        update_with(b, d, |b, g| *b = *b * m + g);
                        b
                    }
                };
                if self.nesterov {
                    if keep {
                        keep_copy(p);
                    }
                    update_with2(&mut p.data_mut(), d, b, |w, g, b| *w += a * (g + m * b));
                } else {
                    add_scaled(b);
                }
            } else {
                add_scaled(d);
            }
            p.bump_version();
        }
        Ok(())
    }
}

/// `torch.optim.Adam` (no amsgrad) with L2 `weight_decay`, or `torch.optim.AdamW`
/// (`decoupled`: the weights shrink by `lr * weight_decay` before the step).
pub struct Adam {
    pub params: Vec<Tensor>,
    pub lr: f64,
    pub beta1: f64,
    pub beta2: f64,
    pub eps: f64,
    pub weight_decay: f64,
    pub decoupled: bool,
    pub t: Vec<u64>,
    m: Vec<Option<ArrayD<f32>>>,
    v: Vec<Option<ArrayD<f32>>>,
    /// The moment estimates' bytes in the memory budget.
    charge: Charge,
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
            weight_decay: 0.0,
            decoupled: false,
            t: vec![0; n],
            m: vec![None; n],
            v: vec![None; n],
            charge: Charge::default(),
        }
    }

    /// One step, per parameter with a gradient (after weight decay):
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
            if self.m[i].is_none() {
                let bytes = data_bytes(g.len()).saturating_mul(2);
                reserve_bytes(bytes, g.shape())?;
                self.charge.add(bytes);
            }
            let decayed;
            let mut g: &ArrayD<f32> = &g;
            if self.weight_decay != 0.0 {
                if self.decoupled {
                    let k = (1.0 - self.lr * self.weight_decay) as f32;
                    p.data_mut().mapv_inplace(|w| w * k);
                } else {
                    let wd = self.weight_decay as f32;
                    let mut v = g.to_owned();
                    update_with(&mut v, &p.data(), |v, w| *v += wd * w);
                    decayed = v;
                    g = &decayed;
                }
            }
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

/// `torch.optim.RMSprop` (optionally centered), with weight decay and momentum.
pub struct RmsProp {
    pub params: Vec<Tensor>,
    pub lr: f64,
    pub alpha: f32,
    pub eps: f32,
    pub weight_decay: f32,
    pub momentum: f32,
    pub centered: bool,
    square_avg: Vec<Option<ArrayD<f32>>>,
    grad_avg: Vec<Option<ArrayD<f32>>>,
    bufs: Vec<Option<ArrayD<f32>>>,
    /// The state's bytes in the memory budget.
    charge: Charge,
}

impl RmsProp {
    pub fn new(params: Vec<Tensor>, lr: impl Into<f64>, alpha: f32, eps: f32) -> RmsProp {
        let lr = lr.into();
        for p in &params {
            p.mark_wanted();
        }
        let n = params.len();
        RmsProp {
            params,
            lr,
            alpha,
            eps,
            weight_decay: 0.0,
            momentum: 0.0,
            centered: false,
            square_avg: vec![None; n],
            grad_avg: vec![None; n],
            bufs: vec![None; n],
            charge: Charge::default(),
        }
    }

    /// One step: `g += wd p`; `v = alpha v + (1 - alpha) g²`; `avg = sqrt(v) + eps`
    /// (centered: `sqrt(v - m²) + eps` with `m = lerp(m, g, 1 - alpha)`); with momentum
    /// `buf = momentum buf + g / avg`, `p -= lr buf`, else `p -= lr g / avg`.
    pub fn step(&mut self, store: &GradStore) -> Result<(), TensorError> {
        for i in 0..self.params.len() {
            let p = &self.params[i];
            flush_pending(p);
            let Some(g) = grad_of(store, p)? else {
                continue;
            };
            check_grad_shape(p, &g)?;
            if self.square_avg[i].is_none() {
                let copies = 1 + self.centered as u64 + (self.momentum > 0.0) as u64;
                let bytes = data_bytes(g.len()).saturating_mul(copies);
                reserve_bytes(bytes, g.shape())?;
                self.charge.add(bytes);
            }
            let mut g: ArrayD<f32> = g.to_owned();
            if self.weight_decay != 0.0 {
                let wd = self.weight_decay;
                update_with(&mut g, &p.data(), |v, w| *v += wd * w);
            }
            let (al, one_m) = (self.alpha, 1.0 - self.alpha);
            let v = self.square_avg[i].get_or_insert_with(|| ArrayD::zeros(g.raw_dim()));
            update_with(v, &g, |v, g| *v = *v * al + one_m * g * g);
            let mut avg = v.clone();
            if self.centered {
                let m = self.grad_avg[i].get_or_insert_with(|| ArrayD::zeros(g.raw_dim()));
                update_with(m, &g, |m, g| *m += one_m * (g - *m));
                update_with(&mut avg, m, |a, m| *a -= m * m);
            }
            let eps = self.eps;
            avg.mapv_inplace(|a| a.sqrt() + eps);
            let lr = self.lr as f32;
            if self.momentum > 0.0 {
                let mo = self.momentum;
                let b = self.bufs[i].get_or_insert_with(|| ArrayD::zeros(g.raw_dim()));
                update_with2(b, &g, &avg, |b, g, a| *b = *b * mo + g / a);
                update_with(&mut p.data_mut(), b, |w, b| *w -= lr * b);
            } else {
                update_with2(&mut p.data_mut(), &g, &avg, |w, g, a| *w += -lr * (g / a));
            }
            p.bump_version();
        }
        Ok(())
    }
}

/// `torch.nn.utils.clip_grad_norm_`: the `norm_type` norm of all the gradients together
/// (`inf`: the largest magnitude); when it is over `max_norm`, every gradient is scaled
/// by `max_norm / (norm + 1e-6)`. Returns the norm before clipping. Parameters the
/// backward did not reach are skipped.
pub fn clip_grad_norm(
    store: &GradStore,
    params: &[Tensor],
    max_norm: f32,
    norm_type: f32,
) -> Result<f32, TensorError> {
    let mut norms = Vec::with_capacity(params.len());
    for p in params {
        if let Some(g) = grad_of(store, p)? {
            let v: Vec<f32> = g.iter().copied().collect();
            norms.push(super::stats::vector_norm(&v, norm_type));
        }
    }
    let total = super::stats::vector_norm(&norms, norm_type);
    let coef = (max_norm / (total + 1e-6)).min(1.0);
    for p in params {
        if store.contains(p) {
            store.scale_grad(p, coef)?;
        }
    }
    Ok(total)
}

/// `x[items] = value` with advanced items (a repeated position keeps the last value).
fn advanced_set(t: &Tensor, items: &[IndexItem], value: &Tensor) -> Result<(), TensorError> {
    let plan = super::take::index_plan(&t.shape(), items)?;
    super::shape::in_place_shape(&plan.out, &value.shape())?;
    let offs = plan.offsets();
    flush_pending(t);
    let v = value
        .data()
        .broadcast(ndarray::IxDyn(&plan.out))
        .expect("shape checked")
        .to_owned();
    {
        let mut d = t.data_mut();
        if d.as_slice().is_none() {
            *d = d.as_standard_layout().to_owned();
        }
        let s = d.as_slice_mut().expect("standard layout");
        for (&o, &x) in offs.iter().zip(v.iter()) {
            s[o] = x;
        }
    }
    t.bump_version();
    Ok(())
}
