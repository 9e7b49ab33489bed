//! Elementwise kernels over `ArrayD<f32>` with fast paths for contiguous and scalar
//! operands (ArrayD iteration is several times slower than a slice loop on tiny tensors).

use ndarray::{ArrayD, ArrayViewD, Axis, Ix2, IxDyn, Zip};

pub(crate) use super::layout::standard;

/// Builds an array from a row-major vector whose length matches `shape`.
pub(crate) fn from_vec(shape: &[usize], v: Vec<f32>) -> ArrayD<f32> {
    assert_eq!(
        shape.iter().product::<usize>(),
        v.len(),
        "length matches shape"
    );
    // SAFETY: the length matches the shape (asserted), and every shape reaching here was
    // validated by `checked_numel` (its size fits in isize).
    unsafe { ArrayD::from_shape_vec_unchecked(IxDyn(shape), v) }
}

/// `f(a, b)` elementwise with `a` and `b` broadcast to `out` (checked by the caller).
pub(crate) fn zip_map<F: Fn(f32, f32) -> f32>(
    a: &ArrayD<f32>,
    b: &ArrayD<f32>,
    out: &[usize],
    f: F,
) -> ArrayD<f32> {
    if let (Some(x), Some(y)) = (a.as_slice(), b.as_slice()) {
        if a.shape() == b.shape() {
            return from_vec(out, x.iter().zip(y).map(|(&p, &q)| f(p, q)).collect());
        }
        if y.len() == 1 && a.shape() == out {
            let q = y[0];
            return from_vec(out, x.iter().map(|&p| f(p, q)).collect());
        }
        if x.len() == 1 && b.shape() == out {
            let p = x[0];
            return from_vec(out, y.iter().map(|&q| f(p, q)).collect());
        }
    }
    let av = a.broadcast(out).expect("shape checked");
    let bv = b.broadcast(out).expect("shape checked");
    if out.len() == 2 {
        let av = av.into_dimensionality::<Ix2>().expect("2-d");
        let bv = bv.into_dimensionality::<Ix2>().expect("2-d");
        return Zip::from(&av)
            .and(&bv)
            .map_collect(|&p, &q| f(p, q))
            .into_dyn();
    }
    Zip::from(&av).and(&bv).map_collect(|&p, &q| f(p, q))
}

/// `f(a, b, c)` elementwise, all broadcast to `out` (checked by the caller).
pub(crate) fn zip3_map<F: Fn(f32, f32, f32) -> f32>(
    a: &ArrayD<f32>,
    b: &ArrayD<f32>,
    c: &ArrayD<f32>,
    out: &[usize],
    f: F,
) -> ArrayD<f32> {
    if let (Some(x), Some(y), Some(z)) = (a.as_slice(), b.as_slice(), c.as_slice()) {
        if a.shape() == out && b.shape() == out && c.shape() == out {
            return from_vec(
                out,
                x.iter()
                    .zip(y)
                    .zip(z)
                    .map(|((&p, &q), &r)| f(p, q, r))
                    .collect(),
            );
        }
    }
    let av = a.broadcast(out).expect("shape checked");
    let bv = b.broadcast(out).expect("shape checked");
    let cv = c.broadcast(out).expect("shape checked");
    Zip::from(&av)
        .and(&bv)
        .and(&cv)
        .map_collect(|&p, &q, &r| f(p, q, r))
}

/// `f(x)` elementwise.
pub(crate) fn map<F: Fn(f32) -> f32>(a: &ArrayD<f32>, f: F) -> ArrayD<f32> {
    if let Some(x) = a.as_slice() {
        return from_vec(a.shape(), x.iter().map(|&p| f(p)).collect());
    }
    a.mapv(f)
}

/// `a += b` with `b` broadcast to `a`'s shape (checked by the caller).
pub(crate) fn add_assign(a: &mut ArrayD<f32>, b: &ArrayD<f32>) {
    if a.shape() == b.shape() {
        update_with(a, b, |p, q| *p += q);
    } else {
        *a += b;
    }
}

/// `f(d, a)` for each element of `d` and the same-shaped `a`, over plain slices when
/// both are row-major (the optimisers' update loops).
pub(crate) fn update_with<F: FnMut(&mut f32, f32)>(d: &mut ArrayD<f32>, a: &ArrayD<f32>, mut f: F) {
    if d.shape() == a.shape() {
        if let (Some(x), Some(y)) = (d.as_slice_mut(), a.as_slice()) {
            for (p, &q) in x.iter_mut().zip(y) {
                f(p, q);
            }
            return;
        }
    }
    Zip::from(d).and(a).for_each(|p, &q| f(p, q));
}

/// `f(d, a, b)` for each element of `d` and the same-shaped `a` and `b`, as `update_with`.
pub(crate) fn update_with2<F: FnMut(&mut f32, f32, f32)>(
    d: &mut ArrayD<f32>,
    a: &ArrayD<f32>,
    b: &ArrayD<f32>,
    mut f: F,
) {
    if d.shape() == a.shape() && d.shape() == b.shape() {
        if let (Some(x), Some(y), Some(z)) = (d.as_slice_mut(), a.as_slice(), b.as_slice()) {
            for ((p, &q), &r) in x.iter_mut().zip(y).zip(z) {
                f(p, q, r);
            }
            return;
        }
    }
    Zip::from(d).and(a).and(b).for_each(|p, &q, &r| f(p, q, r));
}

/// Sum of all elements (8 accumulators on contiguous data).
pub(crate) fn sum_all(a: &ArrayD<f32>) -> f32 {
    a.sum()
}

/// Sums `g` down to `shape` (the reverse of broadcasting): leading axes are summed away,
/// axes where `shape` has 1 are summed with the axis kept. The only place gradients are
/// un-broadcast.
pub(crate) fn unbroadcast(g: ArrayD<f32>, shape: &[usize]) -> ArrayD<f32> {
    if g.shape() == shape {
        return g;
    }
    if g.ndim() < shape.len() {
        // Not produced by any rule; kept total so an internal slip cannot panic.
        let n: usize = shape.iter().product();
        let fill = if g.len() == n { None } else { Some(0.0) };
        return match fill {
            None => super::matmul::reshape_owned(g, shape),
            Some(v) => ArrayD::from_elem(IxDyn(shape), v),
        };
    }
    let lead = g.ndim() - shape.len();
    let mut g = g;
    for _ in 0..lead {
        g = g.sum_axis(Axis(0));
    }
    for (ax, &s) in shape.iter().enumerate() {
        if s == 1 && g.shape()[ax] != 1 {
            g = g.sum_axis(Axis(ax)).insert_axis(Axis(ax));
        }
    }
    g
}

/// A view broadcast to `shape`, materialised in row-major order.
pub(crate) fn broadcast_to(a: &ArrayViewD<f32>, shape: &[usize]) -> ArrayD<f32> {
    a.broadcast(shape).expect("shape checked").to_owned()
}
