//! Matrix product with NumPy `matmul` rules (1-D, 2-D and broadcast-batched N-D) on
//! views: transposed operands are never copied; tiny products use a plain loop.

use std::cell::Cell;

use ndarray::{ArrayD, ArrayView2, ArrayViewD, ArrayViewMutD, Axis, Ix1, Ix2, IxDyn};

use super::kernels::{from_vec, reshape_owned, zip_map};
use super::shape::{broadcast_shapes, matmul_shape};
use super::{Input, Op, Tensor, TensorError};

thread_local! {
    /// Whether the products since the last `take_finite` stored only finite values, as
    /// their kernels checked; `None` once a product was not checked.
    static FINITE: Cell<Option<bool>> = const { Cell::new(Some(true)) };
}

fn note_finite(known: Option<bool>) {
    FINITE.with(|c| {
        c.set(match (c.get(), known) {
            (Some(a), Some(b)) => Some(a && b),
            _ => None,
        })
    });
}

/// What the products since the last call found (and a fresh start for the next ones).
fn take_finite() -> Option<bool> {
    FINITE.with(|c| c.replace(Some(true)))
}

/// A product's result, with what its kernels found out about its finiteness (the lint
/// then need not read it again).
fn product(data: impl FnOnce() -> ArrayD<f32>, op: Op) -> Tensor {
    take_finite();
    let data = data();
    let t = Tensor::from_op(data, op);
    t.set_finite(take_finite());
    t
}

/// `a @ b`.
pub fn matmul(a: &Tensor, b: &Tensor) -> Result<Tensor, TensorError> {
    let out = matmul_shape(&a.shape(), &b.shape())?;
    super::budget::reserve(&out)?;
    Ok(product(
        || matmul_arrays(&a.data().view(), &b.data().view(), &out),
        Op::MatMul(Input::new(a), Input::new(b)),
    ))
}

/// Which operand of a fused product is read transposed in place.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Transposed {
    /// `a.T @ b` for `a` [k, m] and `b` [k, n], as a hand-written backward computes
    /// `G.T @ X`.
    Left,
    /// `a @ b.T` for `a` [m, k] and `b` [n, k], as a layer computes `x @ W.T`.
    Right,
}

/// `a.T @ b` or `a @ b.T` (`side`) for two matrices whose shared axis fits: the product
/// reads the transposed operand in place, so its transpose is never made, and its
/// gradient goes straight to it. `None` for any other operands (the caller takes the
/// general path, whose diagnostics name the `.T`).
pub fn matmul_transposed(
    a: &Tensor,
    b: &Tensor,
    side: Transposed,
) -> Option<Result<Tensor, TensorError>> {
    let (sa, sb) = (a.shape(), b.shape());
    // The axis both operands share, and the one each brings to the result.
    let (inner, outer) = match side {
        Transposed::Left => (0, 1),
        Transposed::Right => (1, 0),
    };
    if sa.len() != 2 || sb.len() != 2 || sa[inner] != sb[inner] {
        return None;
    }
    let run = || {
        super::budget::reserve(&[sa[outer], sb[outer]])?;
        Ok(product(
            || {
                let (a, b) = (a.data(), b.data());
                let (a2, b2) = (to2(a.view()), to2(b.view()));
                match side {
                    Transposed::Left => mm2(&a2.t(), &b2),
                    Transposed::Right => mm2(&a2, &b2.t()),
                }
            },
            Op::MatMulT(Input::new(a), Input::new(b), side),
        ))
    };
    Some(run())
}

/// The gradients of `matmul_transposed` (both matrices, as it checked): for `a @ b.T`,
/// dA = G B and dB = Gᵀ A; for `a.T @ b`, dA = B Gᵀ and dB = A G.
pub(crate) fn matmul_transposed_grads(
    a: &ArrayD<f32>,
    b: &ArrayD<f32>,
    g: &ArrayD<f32>,
    need: [bool; 2],
    side: Transposed,
) -> [Option<ArrayD<f32>>; 2] {
    let (a2, b2, g2) = (to2(a.view()), to2(b.view()), to2(g.view()));
    match side {
        Transposed::Left => [
            need[0].then(|| mm2(&b2, &g2.t())),
            need[1].then(|| mm2(&a2, &g2)),
        ],
        Transposed::Right => [
            need[0].then(|| mm2(&g2, &b2)),
            need[1].then(|| mm2(&g2.t(), &a2)),
        ],
    }
}

/// 2-D product into a fresh row-major array.
pub(crate) fn mm2(a: &ArrayView2<f32>, b: &ArrayView2<f32>) -> ArrayD<f32> {
    let (m, n) = (a.nrows(), b.ncols());
    let mut c: Vec<f32> = Vec::with_capacity(m * n);
    // SAFETY: `c` has room for the m×n row-major destination, and `mm_into` writes every
    // element of it before the length is set.
    unsafe {
        mm_into(a, b, c.as_mut_ptr(), [n as isize, 1]);
        c.set_len(m * n);
    }
    from_vec(&[m, n], c)
}

/// Products of at most this many multiply-adds (m·n·k) use a plain loop: gemm's fixed
/// cost (~0.3 us) dominates them. Above it gemm beats matrixmultiply at every shape
/// measured (8³ … 200³, skinny 256×128×10, vector-matrix), by 15–80%.
const SMALL_WORK: usize = 1024;

/// From this many multiply-adds gemm may split a product over the pool's two threads
/// (100×64×128 takes 10 us on two, 17 us on one); smaller ones stay on one.
const PARALLEL_WORK: usize = 1 << 19;

/// `dst = a @ b` for an m×k `a` and a k×n `b` (strided views: transposed operands are
/// read in place) into the m×n matrix at `dst` with row and column strides `ds`. Every
/// element of `dst` is written, none is read.
///
/// # Safety
/// `dst` with strides `ds` must be valid for writes of m×n elements that do not overlap
/// `a` or `b`.
unsafe fn mm_into(a: &ArrayView2<f32>, b: &ArrayView2<f32>, dst: *mut f32, ds: [isize; 2]) {
    let (m, k) = a.dim();
    let n = b.ncols();
    debug_assert_eq!(b.nrows(), k);
    if m * n * k <= SMALL_WORK {
        // SAFETY: as required by this function.
        unsafe { small_mm(a, b, dst, ds) };
        note_finite(None);
        return;
    }
    // The `gemm` crate (CPUs without AVX2) splits a product over the pool's two threads
    // in four tasks: when the other worker wakes late (it sleeps between products, and
    // waking it costs tens of microseconds), the interpreter's thread goes on with the
    // remaining tasks instead of waiting for it. Measured with 200 us of other work
    // between the w2 products: 521 us for the pair with four tasks, 625 us with two
    // (475 us back to back). `sgemm` takes the same four, or two halves when its own
    // helper thread is awake (see `pair`).
    let parallelism = if m * n * k >= PARALLEL_WORK {
        gemm::Parallelism::Rayon(4)
    } else {
        gemm::Parallelism::None
    };
    let (ars, acs) = (a.strides()[0], a.strides()[1]);
    let (brs, bcs) = (b.strides()[0], b.strides()[1]);
    #[cfg(target_arch = "x86_64")]
    if ds[1] == 1 && super::sgemm::takes(m, n, k) {
        let tasks = if m * n * k >= PARALLEL_WORK { 4 } else { 1 };
        let am = super::sgemm::Mat {
            ptr: a.as_ptr(),
            rs: ars,
            cs: acs,
        };
        let bm = super::sgemm::Mat {
            ptr: b.as_ptr(),
            rs: brs,
            cs: bcs,
        };
        // SAFETY: the CPU has AVX2 and FMA, or AVX-512F (`takes`); `a`, `b` are live m×k
        // and k×n views and `dst` as this function's caller vouches, with a unit column
        // stride.
        let finite = unsafe { super::sgemm::gemm(m, n, k, am, bm, dst, ds[0], tasks) };
        note_finite(Some(finite));
        return;
    }
    // SAFETY: the pointers and strides describe the live views `a` (m×k) and `b` (k×n)
    // and the destination this function's caller vouches for; gemm reads only inside `a`
    // and `b`, and with `read_dst` false and k > 0 it writes every element of `dst`
    // without reading it.
    unsafe {
        gemm::gemm(
            m,
            n,
            k,
            dst,
            ds[1],
            ds[0],
            false,
            a.as_ptr(),
            acs,
            ars,
            b.as_ptr(),
            bcs,
            brs,
            0.0f32,
            1.0f32,
            false,
            false,
            false,
            parallelism,
        );
    }
    note_finite(None);
}

/// A plain triple loop over strided views (tiny products: no kernel set-up cost).
///
/// # Safety
/// As `mm_into`.
unsafe fn small_mm(a: &ArrayView2<f32>, b: &ArrayView2<f32>, dst: *mut f32, ds: [isize; 2]) {
    let (m, k) = a.dim();
    let n = b.ncols();
    let (sa0, sa1) = (a.strides()[0], a.strides()[1]);
    let (sb0, sb1) = (b.strides()[0], b.strides()[1]);
    let (pa, pb) = (a.as_ptr(), b.as_ptr());
    for i in 0..m {
        for j in 0..n {
            let mut s = 0.0f32;
            for p in 0..k {
                // SAFETY: i < m, p < k, j < n index inside both views (dims checked by
                // the caller).
                unsafe {
                    s += *pa.offset(i as isize * sa0 + p as isize * sa1)
                        * *pb.offset(p as isize * sb0 + j as isize * sb1);
                }
            }
            // SAFETY: (i, j) is inside the m×n destination (this function's contract).
            unsafe { *dst.offset(i as isize * ds[0] + j as isize * ds[1]) = s };
        }
    }
}

fn to2<'a>(v: ArrayViewD<'a, f32>) -> ArrayView2<'a, f32> {
    v.into_dimensionality::<Ix2>().expect("2-d")
}

/// Batched product of `a [.., m, k]` and `b [.., k, n]` (both at least 2-D, batch dims
/// broadcast, checked by the caller).
pub(crate) fn bmm(a: &ArrayViewD<f32>, b: &ArrayViewD<f32>) -> ArrayD<f32> {
    let (na, nb) = (a.ndim(), b.ndim());
    let (m, k, n) = (a.shape()[na - 2], a.shape()[na - 1], b.shape()[nb - 1]);
    let batch = broadcast_shapes(&a.shape()[..na - 2], &b.shape()[..nb - 2]).expect("checked");
    let mut sa = batch.clone();
    sa.extend([m, k]);
    let mut sb = batch.clone();
    sb.extend([k, n]);
    let mut so = batch.clone();
    so.extend([m, n]);
    let af = a.broadcast(IxDyn(&sa)).expect("checked");
    let bf = b.broadcast(IxDyn(&sb)).expect("checked");
    let mut out = ArrayD::<f32>::zeros(IxDyn(&so));
    let count: usize = batch.iter().product();
    let mut idx = vec![0usize; batch.len()];
    for _ in 0..count {
        let mut av = af.view();
        let mut bv = bf.view();
        let mut ov: ArrayViewMutD<f32> = out.view_mut();
        for &i in &idx {
            av = av.index_axis_move(Axis(0), i);
            bv = bv.index_axis_move(Axis(0), i);
            ov = ov.index_axis_move(Axis(0), i);
        }
        let mut o2 = ov.into_dimensionality::<Ix2>().expect("2-d");
        let ds = [o2.strides()[0], o2.strides()[1]];
        // SAFETY: `o2` is an m×n view into the fresh `out`, apart from `a` and `b`.
        unsafe { mm_into(&to2(av), &to2(bv), o2.as_mut_ptr(), ds) };
        // Advance the batch multi-index (row-major).
        for d in (0..idx.len()).rev() {
            idx[d] += 1;
            if idx[d] < batch[d] {
                break;
            }
            idx[d] = 0;
        }
    }
    out
}

/// NumPy matmul of two views whose result shape `out` was checked by `matmul_shape`.
pub(crate) fn matmul_arrays(
    a: &ArrayViewD<f32>,
    b: &ArrayViewD<f32>,
    out: &[usize],
) -> ArrayD<f32> {
    match (a.ndim(), b.ndim()) {
        (1, 1) => {
            let x = a.view().into_dimensionality::<Ix1>().expect("1-d");
            let y = b.view().into_dimensionality::<Ix1>().expect("1-d");
            note_finite(None);
            ArrayD::from_elem(IxDyn(&[]), x.dot(&y))
        }
        (2, 2) => mm2(&to2(a.view()), &to2(b.view())),
        (2, 1) => {
            let y = b.view().insert_axis(Axis(1));
            reshape_owned(mm2(&to2(a.view()), &to2(y)), out)
        }
        (1, 2) => {
            let x = a.view().insert_axis(Axis(0));
            reshape_owned(mm2(&to2(x), &to2(b.view())), out)
        }
        _ => {
            let x = if a.ndim() == 1 {
                a.view().insert_axis(Axis(0))
            } else {
                a.view()
            };
            let y = if b.ndim() == 1 {
                b.view().insert_axis(Axis(1))
            } else {
                b.view()
            };
            reshape_owned(bmm(&x, &y), out)
        }
    }
}

/// The view with its last two axes swapped.
fn swap_last<'a>(v: ArrayViewD<'a, f32>) -> ArrayViewD<'a, f32> {
    let mut v = v;
    let n = v.ndim();
    v.swap_axes(n - 2, n - 1);
    v
}

/// Gradients of `a @ b` given the output gradient `g`, for the inputs in `need`; each in
/// a shape that `unbroadcast` sums down to the input's shape.
///   2-D: dA = G Bᵀ, dB = Aᵀ G; vectors are promoted to matrices and back.
pub(crate) fn matmul_grads(
    a: &ArrayD<f32>,
    b: &ArrayD<f32>,
    g: &ArrayD<f32>,
    need: [bool; 2],
) -> [Option<ArrayD<f32>>; 2] {
    let (na, nb) = (a.ndim(), b.ndim());
    match (na, nb) {
        (1, 1) => {
            // d(a·b)/da = b g, d/db = a g
            let s = g.iter().next().copied().unwrap_or(0.0);
            [
                need[0].then(|| b.mapv(|q| q * s)),
                need[1].then(|| a.mapv(|p| p * s)),
            ]
        }
        (2, 2) => {
            let (a2, b2, g2) = (to2(a.view()), to2(b.view()), to2(g.view()));
            [
                need[0].then(|| mm2(&g2, &b2.t())),
                need[1].then(|| mm2(&a2.t(), &g2)),
            ]
        }
        (2, 1) => {
            // y = A b: dA = g bᵀ (outer), db = Aᵀ g
            let gc = g.view().insert_axis(Axis(1)).into_owned();
            let br = b.view().insert_axis(Axis(0)).into_owned();
            let a2 = to2(a.view());
            let g2 = to2(g.view().insert_axis(Axis(1)));
            [
                need[0].then(|| zip_map(&gc, &br, &[a2.nrows(), a2.ncols()], |p, q| p * q)),
                need[1].then(|| reshape_owned(mm2(&a2.t(), &g2), &[a2.ncols()])),
            ]
        }
        (1, 2) => {
            // y = aᵀ B: da = B g, dB = a gᵀ (outer)
            let b2 = to2(b.view());
            let g2 = to2(g.view().insert_axis(Axis(1)));
            let ac = a.view().insert_axis(Axis(1)).into_owned();
            let gr = g.view().insert_axis(Axis(0)).into_owned();
            [
                need[0].then(|| reshape_owned(mm2(&b2, &g2), &[b2.nrows()])),
                need[1].then(|| zip_map(&ac, &gr, &[b2.nrows(), b2.ncols()], |p, q| p * q)),
            ]
        }
        _ => {
            // Promote vectors, work batched, un-promote.
            let x = if na == 1 {
                a.view().insert_axis(Axis(0))
            } else {
                a.view()
            };
            let y = if nb == 1 {
                b.view().insert_axis(Axis(1))
            } else {
                b.view()
            };
            let mut gs = g.shape().to_vec();
            if na == 1 {
                gs.insert(gs.len() - usize::from(nb != 1), 1);
            }
            if nb == 1 {
                gs.push(1);
            }
            let gv = g.view().into_shape_with_order(IxDyn(&gs));
            let gown;
            let gv = match gv {
                Ok(v) => v,
                Err(_) => {
                    gown = reshape_owned(g.clone(), &gs);
                    gown.view()
                }
            };
            let da = need[0].then(|| bmm(&gv, &swap_last(y.view())));
            let db = need[1].then(|| {
                let d = bmm(&swap_last(x.view()), &gv);
                if nb == 1 {
                    let last = d.ndim() - 1;
                    d.index_axis_move(Axis(last), 0)
                } else {
                    d
                }
            });
            [da, db]
        }
    }
}
