//! Central finite-difference gradient checks shared by the gradient suites.

use ndarray::{ArrayD, IxDyn};
use tsr::tensor::*;

pub fn arr(shape: &[usize], rng: &mut Rng, lo: f32, hi: f32) -> ArrayD<f32> {
    let n: usize = shape.iter().product();
    ArrayD::from_shape_vec(
        IxDyn(shape),
        (0..n).map(|_| lo + (hi - lo) * rng.uniform_f32()).collect(),
    )
    .unwrap()
}

/// Values in [lo, hi] with magnitude at least `gap` away from zero (for kinks at 0).
pub fn arr_off0(shape: &[usize], rng: &mut Rng, gap: f32) -> ArrayD<f32> {
    let n: usize = shape.iter().product();
    let v = (0..n)
        .map(|_| {
            let m = gap + (1.0 - gap) * rng.uniform_f32();
            if rng.uniform_f32() < 0.5 {
                -m
            } else {
                m
            }
        })
        .collect();
    ArrayD::from_shape_vec(IxDyn(shape), v).unwrap()
}

/// loss = sum(f(inputs) * w) for fixed random w; compares autodiff gradients of every
/// input against central differences computed in f64 from the f32 outputs.
pub fn check(name: &str, inputs: Vec<ArrayD<f32>>, f: impl Fn(&[Tensor]) -> Tensor) {
    check_tol(name, inputs, 2e-2, f)
}

pub fn check_tol(name: &str, inputs: Vec<ArrayD<f32>>, tol: f64, f: impl Fn(&[Tensor]) -> Tensor) {
    let leaves: Vec<Tensor> = inputs.iter().map(|a| Tensor::leaf(a.clone())).collect();
    let out = f(&leaves);
    let mut rng = Rng::seeded(99);
    let w = arr(&out.shape(), &mut rng, 0.5, 1.5);
    let wt = Tensor::leaf(w.clone());
    let loss = reduce(
        ReduceOp::Sum,
        &binary(BinaryOp::Mul, &out, &wt).unwrap(),
        None,
        false,
    )
    .unwrap();
    let store = backward(&loss).unwrap();
    let eval = |xs: &[ArrayD<f32>]| -> f64 {
        let ls: Vec<Tensor> = xs.iter().map(|a| Tensor::leaf(a.clone())).collect();
        let o = f(&ls);
        let d = o.data();
        d.iter()
            .zip(w.iter())
            .map(|(&a, &b)| a as f64 * b as f64)
            .sum()
    };
    for (k, leaf) in leaves.iter().enumerate() {
        let g = store.grad(leaf).unwrap();
        assert_eq!(g.shape(), leaf.shape(), "{name}: grad shape of input {k}");
        let gd = g.data().clone();
        let n = inputs[k].len();
        for e in 0..n {
            let h = 1e-3f32 * inputs[k].iter().nth(e).unwrap().abs().max(1.0);
            let mut xs = inputs.clone();
            let mut plus = xs[k].clone();
            *plus.iter_mut().nth(e).unwrap() += h;
            xs[k] = plus;
            let lp = eval(&xs);
            let mut minus = inputs[k].clone();
            *minus.iter_mut().nth(e).unwrap() -= h;
            xs[k] = minus;
            let lm = eval(&xs);
            // the actual step taken in f32
            let x0 = *inputs[k].iter().nth(e).unwrap();
            let step = ((x0 + h) as f64) - ((x0 - h) as f64);
            let num = (lp - lm) / step;
            let ana = *gd.iter().nth(e).unwrap() as f64;
            let err = (ana - num).abs();
            assert!(
                err <= tol * (1.0 + num.abs().max(ana.abs())),
                "{name}: input {k} element {e}: autodiff {ana} vs numeric {num}"
            );
        }
    }
    // The gradients above were deferred (nobody wanted the leaves at backward time);
    // `grad` marked them wanted, so a second backward computes them eagerly: same values.
    let eager = backward(&loss).unwrap();
    for (k, leaf) in leaves.iter().enumerate() {
        let a = store.grad(leaf).unwrap().data().clone();
        let b = eager.grad(leaf).unwrap().data().clone();
        assert_eq!(a, b, "{name}: deferred vs eager gradient of input {k}");
    }
}
