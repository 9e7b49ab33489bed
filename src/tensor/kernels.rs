//! Elementwise kernels over `ArrayD<f32>` with fast paths for contiguous and scalar
//! operands (ArrayD iteration is several times slower than a slice loop on tiny tensors).

use ndarray::{ArrayD, ArrayViewD, Axis, Ix2, IxDyn, Zip};
use std::mem::MaybeUninit;
use std::sync::Mutex;

pub(crate) use super::layout::{from_vec, reshape_owned, standard};

/// Elements from which one elementwise pass is shared with the matrix products' helper
/// thread (`pair::split`), which is idle between products: a 784×128 layer's SGD update
/// is 100,352 elements, and a hidden layer's activations of a 256-row batch 32,768.
const PAR_ELEMS: usize = 1 << 15;

/// `f(offset, part)` for the two halves of `out` on this thread and the helper when `out`
/// is long, else `f(0, out)` here.
fn halves<T: Send>(out: &mut [T], f: &(dyn Fn(usize, &mut [T]) + Sync)) {
    if out.len() < PAR_ELEMS {
        f(0, out);
        return;
    }
    // The cut on a 64-byte line (16 floats), so the threads write no line in common.
    let mid = out.len() / 32 * 16;
    let (lo, hi) = out.split_at_mut(mid);
    let parts = [Mutex::new(lo), Mutex::new(hi)];
    super::pair::split(2, &|t| {
        // Each task locks only its own half, once: the lock is never contended nor
        // poisoned (a panicking task ends the whole split), and the half is always run,
        // as `collect_halves` relies on.
        let mut part = parts[t].lock().unwrap_or_else(|e| e.into_inner());
        f(t * mid, &mut part);
    });
}

/// A new vector of `len` values, `f(offset, part)` writing the values of each part (on
/// two threads when long: `halves`).
///
/// # Safety
/// `f` must write every element of the part it is given.
unsafe fn collect_halves(
    len: usize,
    f: &(dyn Fn(usize, &mut [MaybeUninit<f32>]) + Sync),
) -> Vec<f32> {
    let mut v = Vec::with_capacity(len);
    halves(&mut v.spare_capacity_mut()[..len], f);
    // SAFETY: `f` wrote each value of both halves (this function's contract), which
    // together are the first `len`.
    unsafe { v.set_len(len) };
    v
}

/// `f(x[i], y[i])` for two slices of the same length, collected.
fn zip_slices<F: Fn(f32, f32) -> f32 + Sync>(x: &[f32], y: &[f32], f: F) -> Vec<f32> {
    let n = x.len().min(y.len());
    // SAFETY: the parts split `n`, so from its offset on each part is no longer than
    // `x[at..]` or `y[at..]`, and the zip writes all of it.
    unsafe {
        collect_halves(n, &|at, part| {
            for ((o, &p), &q) in part.iter_mut().zip(&x[at..]).zip(&y[at..]) {
                o.write(f(p, q));
            }
        })
    }
}

/// `f(a, b)` elementwise with `a` and `b` broadcast to `out` (checked by the caller).
pub(crate) fn zip_map<F: Fn(f32, f32) -> f32 + Sync>(
    a: &ArrayD<f32>,
    b: &ArrayD<f32>,
    out: &[usize],
    f: F,
) -> ArrayD<f32> {
    if let (Some(x), Some(y)) = (a.as_slice(), b.as_slice()) {
        if a.shape() == b.shape() {
            return from_vec(out, zip_slices(x, y, f));
        }
        if y.len() == 1 && a.shape() == out {
            let q = y[0];
            return from_vec(out, x.iter().map(|&p| f(p, q)).collect());
        }
        if x.len() == 1 && b.shape() == out {
            let p = x[0];
            return from_vec(out, y.iter().map(|&q| f(p, q)).collect());
        }
        // One operand repeated along leading axes (a bias row added to every row).
        if a.shape() == out && !y.is_empty() && is_trailing(b.shape(), out) {
            return from_vec(
                out,
                rows_map(x, y, |row, q| row.iter().zip(q).map(|(&p, &q)| f(p, q))),
            );
        }
        if b.shape() == out && !x.is_empty() && is_trailing(a.shape(), out) {
            return from_vec(
                out,
                rows_map(y, x, |row, p| p.iter().zip(row).map(|(&p, &q)| f(p, q))),
            );
        }
        // One operand constant along trailing axes (a channel bias [C, 1, 1] added to
        // [N, C, H, W], a column [N, 1] with [N, M]): each of its values meets one
        // contiguous run of the other's.
        if a.shape() == out && !y.is_empty() {
            if let Some(run) = run_length(b.shape(), out) {
                return from_vec(out, runs_map(x, y, run, |p, q| f(p, q)));
            }
        }
        if b.shape() == out && !x.is_empty() {
            if let Some(run) = run_length(a.shape(), out) {
                return from_vec(out, runs_map(y, x, run, |q, p| f(p, q)));
            }
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

/// Whether `small` broadcasts to `out` by repetition along leading axes only: without
/// its leading 1s it is a suffix of `out`.
fn is_trailing(small: &[usize], out: &[usize]) -> bool {
    let lead = small.iter().take_while(|&&d| d == 1).count();
    let s = &small[lead..];
    s.len() <= out.len() && out.ends_with(s)
}

/// When `small` broadcasts to `out` by repetition along leading axes and is constant
/// along trailing ones (`[1.., mid.., 1..]` against `[lead.., mid.., tail..]`, at least
/// one trailing axis): the length of the run of `out` that one of its values covers.
fn run_length(small: &[usize], out: &[usize]) -> Option<usize> {
    if small.len() > out.len() {
        return None;
    }
    let pad = out.len() - small.len();
    let tail = small.iter().rev().take_while(|&&d| d == 1).count();
    let lead = small.iter().take_while(|&&d| d == 1).count();
    if tail == 0 || lead + tail >= small.len() {
        return None;
    }
    let mid = &small[lead..small.len() - tail];
    let at = pad + lead;
    (out[at..at + mid.len()] == *mid).then(|| out[at + mid.len()..].iter().product())
}

/// `f(big, small)` where each value of `small` covers a run of `run` values of `big`, the
/// runs cycling through `small` in order.
fn runs_map(big: &[f32], small: &[f32], run: usize, f: impl Fn(f32, f32) -> f32) -> Vec<f32> {
    let mut v = Vec::with_capacity(big.len());
    if run == 0 {
        return v;
    }
    for (i, chunk) in big.chunks_exact(run).enumerate() {
        let q = small[i % small.len()];
        v.extend(chunk.iter().map(|&p| f(p, q)));
    }
    v
}

/// `row_fn(row, rep)` for each consecutive `rep.len()`-long row of `big`, collected.
fn rows_map<'a, I: Iterator<Item = f32>>(
    big: &'a [f32],
    rep: &'a [f32],
    row_fn: impl Fn(&'a [f32], &'a [f32]) -> I,
) -> Vec<f32> {
    let mut v = Vec::with_capacity(big.len());
    for row in big.chunks_exact(rep.len()) {
        v.extend(row_fn(row, rep));
    }
    v
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
pub(crate) fn update_with<F: Fn(&mut f32, f32) + Sync>(d: &mut ArrayD<f32>, a: &ArrayD<f32>, f: F) {
    if d.shape() == a.shape() {
        if let (Some(x), Some(y)) = (d.as_slice_mut(), a.as_slice()) {
            halves(x, &|at, part| {
                for (p, &q) in part.iter_mut().zip(&y[at..]) {
                    f(p, q);
                }
            });
            return;
        }
    }
    Zip::from(d).and(a).for_each(|p, &q| f(p, q));
}

/// `f(d, a, b)` for each element of `d` and the same-shaped `a` and `b`, as `update_with`.
pub(crate) fn update_with2<F: Fn(&mut f32, f32, f32) + Sync>(
    d: &mut ArrayD<f32>,
    a: &ArrayD<f32>,
    b: &ArrayD<f32>,
    f: F,
) {
    if d.shape() == a.shape() && d.shape() == b.shape() {
        if let (Some(x), Some(y), Some(z)) = (d.as_slice_mut(), a.as_slice(), b.as_slice()) {
            halves(x, &|at, part| {
                for ((p, &q), &r) in part.iter_mut().zip(&y[at..]).zip(&z[at..]) {
                    f(p, q, r);
                }
            });
            return;
        }
    }
    Zip::from(d).and(a).and(b).for_each(|p, &q, &r| f(p, q, r));
}

/// Sum of all elements (8 accumulators on contiguous data).
pub(crate) fn sum_all(a: &ArrayD<f32>) -> f32 {
    a.sum()
}

/// Sum over axis `ax`, adding the subviews along it one after another as ndarray's
/// `sum_axis` does (the same numbers), but over slices of a row-major array instead of a
/// fresh `ArrayD` per subview (5x faster for a bias gradient `[256, 128]` -> `[128]`).
/// Sums along the last axis keep ndarray's lane sums.
pub(crate) fn sum_axis(x: &ArrayD<f32>, ax: usize) -> ArrayD<f32> {
    let shape = x.shape();
    let inner: usize = shape[ax + 1..].iter().product();
    let Some(data) = x.as_slice().filter(|_| inner > 1) else {
        return x.sum_axis(Axis(ax));
    };
    let n = shape[ax];
    let outer: usize = shape[..ax].iter().product();
    let mut out = vec![0.0f32; outer * inner];
    for (o, acc) in out.chunks_exact_mut(inner).enumerate() {
        for row in data[o * n * inner..(o + 1) * n * inner].chunks_exact(inner) {
            for (a, &v) in acc.iter_mut().zip(row) {
                *a += v;
            }
        }
    }
    let mut rest = shape.to_vec();
    rest.remove(ax);
    from_vec(&rest, out)
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
            None => reshape_owned(g, shape),
            Some(v) => ArrayD::from_elem(IxDyn(shape), v),
        };
    }
    let lead = g.ndim() - shape.len();
    let mut g = g;
    for _ in 0..lead {
        g = sum_axis(&g, 0);
    }
    for (ax, &s) in shape.iter().enumerate() {
        if s == 1 && g.shape()[ax] != 1 {
            g = sum_axis(&g, ax).insert_axis(Axis(ax));
        }
    }
    g
}

/// `unbroadcast(g.clone(), shape)` without copying `g` when it has extra leading axes
/// (the first sum reads `g` in place): the same numbers.
pub(crate) fn unbroadcast_ref(g: &ArrayD<f32>, shape: &[usize]) -> ArrayD<f32> {
    if g.ndim() > shape.len() && g.shape() != shape {
        unbroadcast(sum_axis(g, 0), shape)
    } else {
        unbroadcast(g.clone(), shape)
    }
}

/// A view broadcast to `shape`, materialised in row-major order.
pub(crate) fn broadcast_to(a: &ArrayViewD<f32>, shape: &[usize]) -> ArrayD<f32> {
    a.broadcast(shape).expect("shape checked").to_owned()
}

/// Whether every element is finite (no nan, no ±inf): the lint reads each op's result.
pub(crate) fn all_finite(a: &ArrayD<f32>) -> bool {
    match a.as_slice_memory_order() {
        Some(xs) => {
            #[cfg(target_arch = "x86_64")]
            if is_x86_feature_detected!("avx2") {
                // SAFETY: the CPU has AVX2.
                return unsafe { finite_avx2(xs) };
            }
            finite_slice(xs)
        }
        None => a.iter().all(|x| x.is_finite()),
    }
}

/// `finite_slice` compiled for AVX2 (32 floats per step instead of SSE2's 4).
///
/// # Safety
/// The CPU must have AVX2.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
unsafe fn finite_avx2(xs: &[f32]) -> bool {
    finite_slice(xs)
}

/// An f32 is nan or inf exactly when its exponent bits are all ones; OR-ing the masked
/// bits of a chunk vectorises, unlike a short-circuiting `all`.
#[inline(always)]
fn finite_slice(xs: &[f32]) -> bool {
    const EXP: u32 = 0x7f80_0000;
    let mut chunks = xs.chunks_exact(64);
    for c in &mut chunks {
        let mut bad = 0u32;
        for x in c {
            bad |= u32::from(x.to_bits() & EXP == EXP);
        }
        if bad != 0 {
            return false;
        }
    }
    chunks.remainder().iter().all(|x| x.is_finite())
}

#[cfg(test)]
mod tests {
    use super::{all_finite, run_length, sum_axis, zip_map};
    use ndarray::{ArrayD, Axis, IxDyn, Zip};

    fn numbers(shape: &[usize]) -> ArrayD<f32> {
        let n: usize = shape.iter().product();
        let v = (0..n)
            .map(|i| ((i * 7919) % 1000) as f32 / 7.0 - 60.0)
            .collect();
        ArrayD::from_shape_vec(IxDyn(shape), v).unwrap()
    }

    /// One nan or infinity anywhere (in a full chunk or the remainder, contiguous or
    /// not) makes a tensor non-finite.
    #[test]
    fn all_finite_finds_every_bad_element() {
        let n = 64 * 3 + 5;
        assert!(all_finite(&numbers(&[n])));
        for bad in [f32::NAN, f32::INFINITY, f32::NEG_INFINITY] {
            for at in [0, 1, 63, 64, 130, n - 6, n - 1] {
                let mut a = numbers(&[n]);
                a[[at]] = bad;
                assert!(!all_finite(&a), "{bad} at {at}");
            }
        }
        // Transposed in place (memory order only) and with every other column dropped
        // (no contiguous memory at all).
        let mut a = numbers(&[20, 30]);
        a[[19, 28]] = f32::NAN;
        let t = a.clone().reversed_axes();
        assert!(!t.is_standard_layout() && !all_finite(&t));
        let mut every_other = a.clone();
        every_other.slice_collapse(ndarray::s![.., ..;2]);
        assert!(every_other.as_slice_memory_order().is_none() && !all_finite(&every_other));
        every_other[[19, 14]] = 1.0;
        assert!(all_finite(&every_other));
        assert!(all_finite(&numbers(&[0])));
    }

    /// The fast paths of `zip_map` give ndarray's broadcast numbers, with either operand
    /// the small one, and the run path is taken where it should be.
    #[test]
    fn zip_map_fast_paths_match_broadcasting() {
        for (small, out, run) in [
            (vec![16, 1, 1], vec![4, 16, 5, 5], Some(25)),
            (vec![5, 1], vec![5, 7], Some(7)),
            (vec![3, 1], vec![2, 3, 4], Some(4)),
            (vec![1, 3, 1], vec![2, 3, 4], Some(4)),
            (vec![2, 3, 1, 1], vec![2, 3, 2, 2], Some(4)),
            (vec![4], vec![3, 4], None),
            (vec![1, 1], vec![3, 4], None),
            (vec![3, 4], vec![3, 4], None),
        ] {
            assert_eq!(run_length(&small, &out), run, "{small:?} -> {out:?}");
            let (a, b) = (numbers(&out), numbers(&small));
            let theirs = Zip::from(&a.view())
                .and(&b.broadcast(out.as_slice()).unwrap())
                .map_collect(|&p, &q| p - 2.0 * q);
            let ours = zip_map(&a, &b, &out, |p, q| p - 2.0 * q);
            assert_eq!(ours, theirs, "{small:?} -> {out:?}");
            let theirs = Zip::from(&b.broadcast(out.as_slice()).unwrap())
                .and(&a.view())
                .map_collect(|&q, &p| q - 2.0 * p);
            let ours = zip_map(&b, &a, &out, |q, p| q - 2.0 * p);
            assert_eq!(ours, theirs, "{small:?} <- {out:?}");
        }
    }

    /// The slice loop gives exactly ndarray's numbers, on every axis of several shapes.
    #[test]
    fn sum_axis_matches_ndarray_bitwise() {
        for shape in [
            vec![7],
            vec![256, 128],
            vec![3, 1, 5],
            vec![4, 6, 10],
            vec![2, 3, 4, 5],
            vec![0, 3],
        ] {
            let n: usize = shape.iter().product();
            let v = (0..n)
                .map(|i| ((i * 7919) % 1000) as f32 / 7.0 - 60.0)
                .collect();
            let x = ArrayD::from_shape_vec(IxDyn(&shape), v).unwrap();
            for ax in 0..shape.len() {
                let (ours, theirs) = (sum_axis(&x, ax), x.sum_axis(Axis(ax)));
                assert_eq!(ours.shape(), theirs.shape(), "{shape:?} axis {ax}");
                let same = ours
                    .iter()
                    .zip(theirs.iter())
                    .all(|(a, b)| a.to_bits() == b.to_bits());
                assert!(same, "{shape:?} axis {ax}");
            }
        }
    }
}
