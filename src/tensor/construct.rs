//! Constructors (all leaves) and the seeded, machine-independent random generator.

use ndarray::{ArrayD, IxDyn};
use rand_chacha::ChaCha8Rng;
use rand_core::{RngCore, SeedableRng};

use super::budget::reserve;
use super::kernels::from_vec;
use super::shape::{arange_len, checked_numel, linspace_shape};
use super::{Tensor, TensorError};

/// A named, seeded generator: ChaCha8, so the same seed gives the same numbers everywhere.
pub struct Rng(ChaCha8Rng);

impl Rng {
    pub fn seeded(seed: u64) -> Rng {
        Rng(ChaCha8Rng::seed_from_u64(seed))
    }
    pub fn next_u64(&mut self) -> u64 {
        self.0.next_u64()
    }
    /// Uniform in `[0, 1)` with 24 random bits.
    pub fn uniform_f32(&mut self) -> f32 {
        (self.0.next_u32() >> 8) as f32 * (1.0 / 16_777_216.0)
    }
    /// Uniform in `(0, 1]` with 53 random bits.
    fn open_unit(&mut self) -> f64 {
        ((self.0.next_u64() >> 11) + 1) as f64 * (1.0 / 9_007_199_254_740_992.0)
    }
    /// Two independent standard normals (Box–Muller).
    pub fn normal_pair(&mut self) -> (f64, f64) {
        let u1 = self.open_unit();
        let u2 = self.open_unit();
        let r = (-2.0 * u1.ln()).sqrt();
        let th = 2.0 * std::f64::consts::PI * u2;
        (r * th.cos(), r * th.sin())
    }
}

pub fn full(shape: &[usize], v: f32) -> Result<Tensor, TensorError> {
    let n = checked_numel(shape)?;
    reserve(shape)?;
    // A failed allocation (the machine is out of memory although the tensor is within the
    // budget) is an error, not an abort.
    let mut data: Vec<f32> = Vec::new();
    if data.try_reserve_exact(n).is_err() {
        let bytes = (n as u64).saturating_mul(4);
        return Err(TensorError::TooLarge {
            shape: shape.to_vec(),
            bytes: Some(bytes),
            budget: super::max_tensor_bytes().min(bytes.saturating_sub(1)),
        });
    }
    data.resize(n, v);
    Ok(Tensor::leaf(
        ArrayD::from_shape_vec(IxDyn(shape), data).expect("n elements for this shape"),
    ))
}

pub fn zeros(shape: &[usize]) -> Result<Tensor, TensorError> {
    full(shape, 0.0)
}

pub fn ones(shape: &[usize]) -> Result<Tensor, TensorError> {
    full(shape, 1.0)
}

/// The `n x n` identity.
pub fn eye(n: usize) -> Result<Tensor, TensorError> {
    checked_numel(&[n, n])?;
    reserve(&[n, n])?;
    let mut a = ArrayD::zeros(IxDyn(&[n, n]));
    for i in 0..n {
        a[[i, i]] = 1.0;
    }
    Ok(Tensor::leaf(a))
}

/// `start, start + step, ...` below `stop` (above for a negative step); computed in f64
/// and rounded to f32, as PyTorch does.
pub fn arange(start: f64, stop: f64, step: f64) -> Result<Tensor, TensorError> {
    let n = arange_len(start, stop, step)?;
    reserve(&[n])?;
    Ok(Tensor::leaf(from_vec(
        &[n],
        (0..n).map(|i| (start + step * i as f64) as f32).collect(),
    )))
}

/// `n` evenly spaced points from `start` to `stop`, with PyTorch's f32 formula (the first
/// half counts up from `start`, the second half down from `stop`).
pub fn linspace(start: f64, stop: f64, n: i64) -> Result<Tensor, TensorError> {
    let shape = linspace_shape(n)?;
    reserve(&shape)?;
    let n = shape[0];
    let (a, b) = (start as f32, stop as f32);
    let v: Vec<f32> = if n == 0 {
        vec![]
    } else if n == 1 {
        vec![a]
    } else {
        let step = (b - a) / (n - 1) as f32;
        let half = n / 2;
        (0..n)
            .map(|i| {
                if i < half {
                    a + step * i as f32
                } else {
                    b - step * (n - i - 1) as f32
                }
            })
            .collect()
    };
    Ok(Tensor::leaf(from_vec(&shape, v)))
}

/// Standard normal samples (Box–Muller on the ChaCha stream).
pub fn randn(shape: &[usize], rng: &mut Rng) -> Result<Tensor, TensorError> {
    let n = checked_numel(shape)?;
    reserve(shape)?;
    let mut v = Vec::with_capacity(n);
    while v.len() < n {
        let (z0, z1) = rng.normal_pair();
        v.push(z0 as f32);
        if v.len() < n {
            v.push(z1 as f32);
        }
    }
    Ok(Tensor::leaf(from_vec(shape, v)))
}

/// Uniform samples in `[0, 1)`.
pub fn rand(shape: &[usize], rng: &mut Rng) -> Result<Tensor, TensorError> {
    let n = checked_numel(shape)?;
    reserve(shape)?;
    Ok(Tensor::leaf(from_vec(
        shape,
        (0..n).map(|_| rng.uniform_f32()).collect(),
    )))
}
