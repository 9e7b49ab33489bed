//! Our own f32 matrix product for x86-64 CPUs with AVX2 and FMA, or AVX-512 (picked at
//! run time): the right operand packed in panels of `NR` columns, the left one broadcast
//! straight from its (any-strided) memory, `MR`×`NR` register tiles (6×16 on AVX2, 8×32
//! on AVX-512), split over the pool's threads by column panels. At the shapes of a
//! training step it runs well ahead of the `gemm` crate (see the README's benchmarks).

use std::arch::x86_64::*;
use std::cell::RefCell;
use std::sync::atomic::{AtomicBool, Ordering::Relaxed};

/// A register tile and its blocking: the kernel computes an `MR`×`NR` tile of the
/// product over a depth of at most `KC` from a packed micro-panel of the right operand.
trait Micro {
    /// Rows of a register tile (broadcast from the left operand).
    const MR: usize;
    /// Columns of a register tile (vectors of the packed right operand).
    const NR: usize;
    /// Most of the depth packed at once: an `NR`-column micro-panel of `KC` rows stays
    /// in L1 while the row tiles of a block pass over it.
    const KC: usize;
    /// Rows of the left operand walked against one packed block before the next
    /// micro-panel (their KC-long stretches stay in L2).
    const MC: usize;
    /// `c (+)= Σ_p a[r][p] · panel[p]` over `kc` steps for the MR×NR tile, where row r
    /// of the left operand starts at `rowp[r]` with stride `acs` along the depth. With
    /// `check`, true when a stored value is nan or infinite (else false).
    ///
    /// # Safety
    /// The CPU has the kernel's features; every `rowp[r] + p·acs` (r < MR, p < kc)
    /// readable, `panel` readable for kc × NR floats, `c` writable (and readable when
    /// `add`) for MR rows of NR at row stride `ldc`.
    unsafe fn kernel(
        kc: usize,
        rowp: &[*const f32; MAX_MR],
        acs: isize,
        panel: *const f32,
        c: *mut f32,
        ldc: isize,
        add: bool,
        check: bool,
    ) -> bool;
}

/// The exponent bits of an f32: all ones exactly for nan and ±inf.
const EXP: u32 = 0x7f80_0000;

/// The widest tile of any kernel (the size of the scratch tile of ragged edges).
const MAX_MR: usize = 8;
const MAX_NR: usize = 32;

/// 6×16 tiles of two 8-lane vectors (AVX2 and FMA).
struct Avx2;
/// 8×32 tiles of two 16-lane vectors (AVX-512F).
struct Avx512;

/// A read-only strided matrix operand.
#[derive(Clone, Copy)]
pub(crate) struct Mat {
    pub ptr: *const f32,
    pub rs: isize,
    pub cs: isize,
}

/// The destination: row stride `rs`, unit column stride.
#[derive(Clone, Copy)]
struct Dst {
    ptr: *mut f32,
    rs: isize,
}

/// The pointers of one product, shared by its tasks: every task reads `a` and `b` and
/// writes a disjoint block of `dst`.
struct Job {
    k: usize,
    a: Mat,
    b: Mat,
    dst: Dst,
    /// Set when a tile's final values hold a nan or an infinity.
    nonfinite: AtomicBool,
}

// SAFETY: a `Job` is only built by `gemm`, whose caller guarantees that `a` and `b` are
// readable and `dst` writable for the duration of the call, which outlives every task;
// tasks write disjoint column or row ranges of `dst`.
unsafe impl Send for Job {}
unsafe impl Sync for Job {}

/// Columns packed at once by one task (kc × NC floats stay in L2).
const NC: usize = 256;

/// Whether this CPU runs this module (AVX2 and FMA, or AVX-512F).
pub(crate) fn available() -> bool {
    avx512() || (is_x86_feature_detected!("avx2") && is_x86_feature_detected!("fma"))
}

/// Products above this many multiply-adds go to the `gemm` crate on AVX-512 CPUs: it
/// packs the left operand too, which pays once its rows are far apart. Measured on an
/// Intel AVX-512 VM (session 8): 2048³ at 308–321 GFLOP/s with `gemm` against 276–304
/// here; 1024³ at 256–293 with `gemm` against 290–308 here.
const LARGE_AVX512: usize = 1 << 31;

/// Whether this module runs an m×k by k×n product on this CPU.
pub(crate) fn takes(m: usize, n: usize, k: usize) -> bool {
    if avx512() {
        m.saturating_mul(n).saturating_mul(k) <= LARGE_AVX512
    } else {
        available()
    }
}

fn avx512() -> bool {
    is_x86_feature_detected!("avx512f")
}

/// `dst = a @ b` for an m×k `a` and a k×n `b` into the m×n row-major block at `dst`
/// (row stride `drs`, unit column stride), in `tasks` pieces on the current rayon pool
/// (1: on this thread), with the widest kernel the CPU has. Every element of `dst` is
/// written, none is read. Returns whether every element written is finite (no nan, no
/// ±inf), checked as the tiles are stored.
///
/// # Safety
/// `available()` must be true; `a` and `b` must be valid for reads of every element of
/// their m×k and k×n index ranges with their strides, and `dst` valid for writes of the
/// m×n block with row stride `drs`, not overlapping `a` or `b`.
#[allow(clippy::too_many_arguments)]
pub(crate) unsafe fn gemm(
    m: usize,
    n: usize,
    k: usize,
    a: Mat,
    b: Mat,
    dst: *mut f32,
    drs: isize,
    tasks: usize,
) -> bool {
    // SAFETY: as this function's contract; the kernel matches the CPU.
    unsafe {
        if avx512() {
            gemm_with::<Avx512>(m, n, k, a, b, dst, drs, tasks)
        } else {
            gemm_with::<Avx2>(m, n, k, a, b, dst, drs, tasks)
        }
    }
}

/// `gemm` with the kernel `K`.
///
/// # Safety
/// As `gemm`, with a CPU that has `K`'s features.
#[allow(clippy::too_many_arguments)]
unsafe fn gemm_with<K: Micro>(
    m: usize,
    n: usize,
    k: usize,
    a: Mat,
    b: Mat,
    dst: *mut f32,
    drs: isize,
    tasks: usize,
) -> bool {
    let job = Job {
        k,
        a,
        b,
        dst: Dst { ptr: dst, rs: drs },
        nonfinite: AtomicBool::new(false),
    };
    if m == 0 || n == 0 {
        return true;
    }
    if k == 0 {
        for i in 0..m {
            for j in 0..n {
                // SAFETY: (i, j) is inside the destination block.
                unsafe { *dst.offset(i as isize * drs + j as isize) = 0.0 };
            }
        }
        return true;
    }
    if 2 * n <= K::NR && m > n {
        // A result narrower than half a register tile (the 10 classes of a classifier's
        // last layer) and taller than wide, as `Cᵀ = Bᵀ Aᵀ`: the long side then fills
        // the vectors. Each element is the same sum in the same order, so the values are
        // the same. (Bᵀ and Aᵀ are `b` and `a` with their strides swapped.)
        let swap = |x: Mat| Mat {
            ptr: x.ptr,
            rs: x.cs,
            cs: x.rs,
        };
        let mut t = vec![0.0f32; m * n];
        // SAFETY: as this function's contract, for the transposed operands; `t` holds
        // the n×m result, row stride m.
        let finite =
            unsafe { gemm_with::<K>(n, m, k, swap(b), swap(a), t.as_mut_ptr(), m as isize, tasks) };
        for (j, col) in t.chunks_exact(m).enumerate() {
            for (i, &v) in col.iter().enumerate() {
                // SAFETY: (i, j) is inside the m×n destination (this function's contract).
                unsafe { *dst.offset(i as isize * drs + j as isize) = v };
            }
        }
        return finite;
    }
    let strips = n.div_ceil(K::NR);
    // Two halves when the helper is awake; else more, smaller tasks, so that this
    // thread goes on with them while the helper wakes.
    let tasks = if tasks > 1 && super::pair::helper_awake() {
        2
    } else {
        tasks.max(1)
    };
    if tasks == 1 {
        // SAFETY: the whole product, as this function's contract.
        unsafe { block::<K>(&job, 0, m, 0, n) };
        return !job.nonfinite.load(Relaxed);
    }
    // Column panels when there are enough of them (no operand packed twice), else rows
    // (each task packs the narrow right operand itself).
    let by_cols = strips >= 2 * tasks;
    let units = if by_cols { strips } else { m.div_ceil(K::MR) };
    let tasks = tasks.min(units);
    // The first tasks get the larger shares: the calling thread claims task 0 before the
    // helper arrives, and with columns the ragged last strip costs a whole one.
    let start = |t: usize| (t * units).div_ceil(tasks);
    let range = |t: usize| (start(t), start(t + 1));
    let run = |t: usize| {
        let (u0, u1) = range(t);
        // SAFETY: task t covers columns (or rows) [u0, u1) in units of tiles, disjoint
        // from every other task's; the rest as this function's contract.
        unsafe {
            if by_cols {
                block::<K>(&job, 0, m, u0 * K::NR, (u1 * K::NR).min(n));
            } else {
                block::<K>(&job, u0 * K::MR, (u1 * K::MR).min(m), 0, n);
            }
        }
    };
    super::pair::split(tasks, &run);
    !job.nonfinite.load(Relaxed)
}

thread_local! {
    /// Each thread's packing buffer, kept across products.
    static PACK: RefCell<Vec<f32>> = const { RefCell::new(Vec::new()) };
}

/// The product restricted to rows `i0..i1` and columns `j0..j1` of the destination.
///
/// # Safety
/// As `gemm`, with the ranges inside the destination.
unsafe fn block<K: Micro>(job: &Job, i0: usize, i1: usize, j0: usize, j1: usize) {
    PACK.with(|cell| {
        let mut buf = cell.borrow_mut();
        let kc_max = job.k.min(K::KC);
        // 64-byte alignment for the packed panels: 16 spare floats.
        let need = kc_max * NC.min((j1 - j0).div_ceil(K::NR) * K::NR) + 16;
        if buf.len() < need {
            buf.resize(need, 0.0);
        }
        let base = buf.as_mut_ptr();
        // (`align_offset` may decline to answer; the address arithmetic cannot.)
        let packed = base.wrapping_add((64 - base as usize % 64) % 64 / 4);
        // Depth chunks of equal size, none above K::KC.
        let chunks = job.k.div_ceil(K::KC);
        let kc_even = job.k.div_ceil(chunks);
        for jc in (j0..j1).step_by(NC) {
            let nc = NC.min(j1 - jc);
            let strips = nc.div_ceil(K::NR);
            for c in 0..chunks {
                let pc = c * kc_even;
                let kc = kc_even.min(job.k - pc);
                // SAFETY: `packed` has room for strips × kc × NR floats (`need`, with
                // kc ≤ kc_max and strips × NR ≤ NC rounded); the source range is inside b.
                unsafe { pack_b::<K>(job.b, pc, kc, jc, nc, packed) };
                let first = c == 0;
                for ic in (i0..i1).step_by(K::MC) {
                    let ie = (ic + K::MC).min(i1);
                    for s in 0..strips {
                        let j = jc + s * K::NR;
                        let cols = K::NR.min(jc + nc - j);
                        let panel = packed.wrapping_add(s * kc * K::NR);
                        for ir in (ic..ie).step_by(K::MR) {
                            let rows = K::MR.min(ie - ir);
                            // SAFETY: rows ir..ir + rows and columns j..j + cols are inside
                            // the destination block and `a`; `panel` holds kc × NR floats.
                            unsafe { tile::<K>(job, ir, rows, j, cols, pc, kc, panel, first) };
                        }
                    }
                }
            }
        }
    });
}

/// One register tile: destination rows `i..i + rows`, columns `j..j + cols`, over depth
/// `pc..pc + kc`, written (`first`) or added.
///
/// # Safety
/// As `block`; `panel` holds the packed kc × NR micro-panel for columns j...
#[allow(clippy::too_many_arguments)]
unsafe fn tile<K: Micro>(
    job: &Job,
    i: usize,
    rows: usize,
    j: usize,
    cols: usize,
    pc: usize,
    kc: usize,
    panel: *const f32,
    first: bool,
) {
    let a = job.a;
    // Rows past the end read the last row again; their results are dropped.
    let mut rowp = [std::ptr::null::<f32>(); MAX_MR];
    for (r, p) in rowp.iter_mut().enumerate().take(K::MR) {
        let ri = i + r.min(rows - 1);
        *p = a
            .ptr
            .wrapping_offset(ri as isize * a.rs + pc as isize * a.cs);
    }
    let d = job
        .dst
        .ptr
        .wrapping_offset(i as isize * job.dst.rs + j as isize);
    // The values are final after the last depth chunk.
    let last = pc + kc == job.k;
    if rows == K::MR && cols == K::NR {
        // SAFETY: the full tile is inside the destination (contract of `block`).
        if unsafe { K::kernel(kc, &rowp, a.cs, panel, d, job.dst.rs, !first, last) } {
            job.nonfinite.store(true, Relaxed);
        }
        return;
    }
    let mut tmp = [0.0f32; MAX_MR * MAX_NR];
    // SAFETY: `tmp` holds an MR×NR row-major tile.
    unsafe {
        K::kernel(
            kc,
            &rowp,
            a.cs,
            panel,
            tmp.as_mut_ptr(),
            K::NR as isize,
            false,
            false,
        )
    };
    let mut bad = false;
    for r in 0..rows {
        for c in 0..cols {
            // SAFETY: (r, c) is inside the valid part of the tile.
            unsafe {
                let q = d.offset(r as isize * job.dst.rs + c as isize);
                let v = tmp[r * K::NR + c];
                *q = if first { v } else { *q + v };
                bad |= (*q).to_bits() & EXP == EXP;
            }
        }
    }
    if last && bad {
        job.nonfinite.store(true, Relaxed);
    }
}

impl Micro for Avx2 {
    const MR: usize = 6;
    const NR: usize = 16;
    /// A 16-column micro-panel of 320 rows is 20 KB.
    const KC: usize = 320;
    const MC: usize = 72;

    #[target_feature(enable = "avx2,fma")]
    unsafe fn kernel(
        kc: usize,
        rowp: &[*const f32; MAX_MR],
        acs: isize,
        panel: *const f32,
        c: *mut f32,
        ldc: isize,
        add: bool,
        check: bool,
    ) -> bool {
        let mut acc = [_mm256_setzero_ps(); 12];
        let mut bp = panel;
        let mut off = 0isize;
        for _ in 0..kc {
            // SAFETY: inside the panel and the left operand's rows (the trait's contract).
            unsafe {
                let b0 = _mm256_loadu_ps(bp);
                let b1 = _mm256_loadu_ps(bp.add(8));
                for r in 0..6 {
                    let x = _mm256_broadcast_ss(&*rowp[r].wrapping_offset(off));
                    acc[2 * r] = _mm256_fmadd_ps(x, b0, acc[2 * r]);
                    acc[2 * r + 1] = _mm256_fmadd_ps(x, b1, acc[2 * r + 1]);
                }
            }
            off += acs;
            bp = bp.wrapping_add(16);
        }
        let exp = _mm256_set1_epi32(EXP as i32);
        let mut bad = _mm256_setzero_si256();
        for r in 0..6 {
            // SAFETY: row r of the tile (the trait's contract).
            unsafe {
                let q = c.offset(r as isize * ldc);
                let (mut v0, mut v1) = (acc[2 * r], acc[2 * r + 1]);
                if add {
                    v0 = _mm256_add_ps(v0, _mm256_loadu_ps(q));
                    v1 = _mm256_add_ps(v1, _mm256_loadu_ps(q.add(8)));
                }
                _mm256_storeu_ps(q, v0);
                _mm256_storeu_ps(q.add(8), v1);
                if check {
                    for v in [v0, v1] {
                        let e = _mm256_and_si256(_mm256_castps_si256(v), exp);
                        bad = _mm256_or_si256(bad, _mm256_cmpeq_epi32(e, exp));
                    }
                }
            }
        }
        _mm256_testz_si256(bad, bad) == 0
    }
}

impl Micro for Avx512 {
    const MR: usize = 8;
    const NR: usize = 32;
    /// A 32-column micro-panel of 256 rows is 32 KB.
    const KC: usize = 512;
    const MC: usize = 192;

    #[target_feature(enable = "avx512f")]
    unsafe fn kernel(
        kc: usize,
        rowp: &[*const f32; MAX_MR],
        acs: isize,
        panel: *const f32,
        c: *mut f32,
        ldc: isize,
        add: bool,
        check: bool,
    ) -> bool {
        let mut acc = [_mm512_setzero_ps(); 16];
        let mut bp = panel;
        let mut off = 0isize;
        for _ in 0..kc {
            // SAFETY: inside the panel and the left operand's rows (the trait's contract).
            unsafe {
                let b0 = _mm512_loadu_ps(bp);
                let b1 = _mm512_loadu_ps(bp.add(16));
                for r in 0..8 {
                    let x = _mm512_set1_ps(*rowp[r].wrapping_offset(off));
                    acc[2 * r] = _mm512_fmadd_ps(x, b0, acc[2 * r]);
                    acc[2 * r + 1] = _mm512_fmadd_ps(x, b1, acc[2 * r + 1]);
                }
            }
            off += acs;
            bp = bp.wrapping_add(32);
        }
        let exp = _mm512_set1_epi32(EXP as i32);
        let mut bad: __mmask16 = 0;
        for r in 0..8 {
            // SAFETY: row r of the tile (the trait's contract).
            unsafe {
                let q = c.offset(r as isize * ldc);
                let (mut v0, mut v1) = (acc[2 * r], acc[2 * r + 1]);
                if add {
                    v0 = _mm512_add_ps(v0, _mm512_loadu_ps(q));
                    v1 = _mm512_add_ps(v1, _mm512_loadu_ps(q.add(16)));
                }
                _mm512_storeu_ps(q, v0);
                _mm512_storeu_ps(q.add(16), v1);
                if check {
                    for v in [v0, v1] {
                        let e = _mm512_and_si512(_mm512_castps_si512(v), exp);
                        bad |= _mm512_cmpeq_epi32_mask(e, exp);
                    }
                }
            }
        }
        bad != 0
    }
}

/// Packs rows `pc..pc + kc` and columns `jc..jc + nc` of `b` as micro-panels of `NR`
/// columns (strip s at `dst + s·kc·NR`, row p of it at `+ p·NR`), zero-padded on the
/// right.
///
/// # Safety
/// The CPU must have AVX; the source range inside `b`; `dst` writable for
/// ceil(nc / NR) × kc × NR floats.
unsafe fn pack_b<K: Micro>(b: Mat, pc: usize, kc: usize, jc: usize, nc: usize, dst: *mut f32) {
    let nr = K::NR;
    let strips = nc.div_ceil(nr);
    for s in 0..strips {
        let j = jc + s * nr;
        let cols = nr.min(jc + nc - j);
        let out = dst.wrapping_add(s * kc * nr);
        let src = b
            .ptr
            .wrapping_offset(pc as isize * b.rs + j as isize * b.cs);
        // SAFETY: rows pc..pc + kc and columns j..j + cols are inside `b`; `out` has
        // kc × NR floats (this function's contract).
        unsafe {
            if cols == nr && b.cs == 1 {
                pack_rows(src, b.rs, kc, nr, out);
            } else if cols == nr && b.rs == 1 && kc >= 8 {
                pack_cols(src, b.cs, kc, nr, out);
            } else {
                for p in 0..kc {
                    for c in 0..nr {
                        *out.add(p * nr + c) = if c < cols {
                            *src.offset(p as isize * b.rs + c as isize * b.cs)
                        } else {
                            0.0
                        };
                    }
                }
            }
        }
    }
}

/// `nr` (a multiple of 8) contiguous columns per row, rows `rs` apart.
///
/// # Safety
/// As `pack_b` for one full strip.
#[target_feature(enable = "avx")]
unsafe fn pack_rows(src: *const f32, rs: isize, kc: usize, nr: usize, out: *mut f32) {
    for p in 0..kc {
        for h in (0..nr).step_by(8) {
            // SAFETY: columns h..h + 8 of row p of the strip and of `out`.
            unsafe {
                let s = src.offset(p as isize * rs);
                _mm256_storeu_ps(out.add(p * nr + h), _mm256_loadu_ps(s.add(h)));
            }
        }
    }
}

/// `nr` (a multiple of 8) columns `cs` apart, each contiguous along the depth (a
/// transposed view): 8×8 register transposes, the last kc % 8 rows scalar.
///
/// # Safety
/// As `pack_b` for one full strip, with kc ≥ 8.
#[target_feature(enable = "avx")]
unsafe fn pack_cols(src: *const f32, cs: isize, kc: usize, nr: usize, out: *mut f32) {
    let k8 = kc / 8 * 8;
    for p in (0..k8).step_by(8) {
        for h in (0..nr).step_by(8) {
            // SAFETY: columns h..h + 8, rows p..p + 8 of the strip; rows p..p + 8 and
            // columns h..h + 8 of `out`.
            unsafe {
                let col = |q: usize| _mm256_loadu_ps(src.offset((h + q) as isize * cs).add(p));
                let t = super::layout::transpose8([
                    col(0),
                    col(1),
                    col(2),
                    col(3),
                    col(4),
                    col(5),
                    col(6),
                    col(7),
                ]);
                for (q, v) in t.into_iter().enumerate() {
                    _mm256_storeu_ps(out.add((p + q) * nr + h), v);
                }
            }
        }
    }
    for p in k8..kc {
        for c in 0..nr {
            // SAFETY: inside the strip and `out`.
            unsafe { *out.add(p * nr + c) = *src.offset(c as isize * cs).add(p) };
        }
    }
}

#[cfg(test)]
mod tests {
    use super::{gemm_with, Avx2, Avx512, Mat};

    fn numbers(n: usize, seed: u32) -> Vec<f32> {
        (0..n)
            .map(|i| {
                ((i as u32).wrapping_mul(2_654_435_761).wrapping_add(seed) >> 20) as f32 / 4096.0
                    - 0.5
            })
            .collect()
    }

    type Gemm = unsafe fn(usize, usize, usize, Mat, Mat, *mut f32, isize, usize) -> bool;

    /// Each kernel this CPU has, by name.
    fn kernels() -> Vec<(&'static str, Gemm)> {
        let mut out: Vec<(&'static str, Gemm)> = Vec::new();
        if is_x86_feature_detected!("avx2") && is_x86_feature_detected!("fma") {
            out.push(("avx2", gemm_with::<Avx2>));
        }
        if is_x86_feature_detected!("avx512f") {
            out.push(("avx512", gemm_with::<Avx512>));
        }
        out
    }

    /// Every shape class (ragged tiles, several depth chunks and column blocks, tiny and
    /// empty sizes) and layout (row- and column-major, reversed, broadcast with stride 0),
    /// with each kernel the CPU has, on 1, 2 and 4 tasks, against a plain f64 triple loop.
    #[test]
    fn matches_plain_products() {
        for (name, gemm) in kernels() {
            check_kernel(name, gemm);
            check_finiteness(name, gemm);
        }
    }

    /// A product reports a nan or an infinity wherever in the result it is (a full tile,
    /// a ragged edge, a later depth chunk, either task), and only then.
    fn check_finiteness(name: &str, gemm: Gemm) {
        let (m, k, n) = (37, 700, 75);
        // Overflow at exactly one element: +inf, -inf, or nan (+inf plus -inf).
        for (i, p, terms) in [
            (0, 0, [1e30, 0.0]),
            (36, 698, [-1e30, 0.0]),
            (20, 400, [1e30, -1e30]),
        ] {
            for j in [0, 40, 74] {
                for tasks in [1, 2] {
                    let mut a = vec![0.5f32; m * k];
                    let mut b = vec![0.0f32; k * n];
                    for (q, t) in terms.into_iter().enumerate() {
                        a[i * k + p + q] = t;
                        b[(p + q) * n + j] = 1e30;
                    }
                    let mut c = vec![0.0f32; m * n];
                    let am = Mat {
                        ptr: a.as_ptr(),
                        rs: k as isize,
                        cs: 1,
                    };
                    let bm = Mat {
                        ptr: b.as_ptr(),
                        rs: n as isize,
                        cs: 1,
                    };
                    // SAFETY: the kernel's features checked; row-major operands and result.
                    let finite =
                        unsafe { gemm(m, n, k, am, bm, c.as_mut_ptr(), n as isize, tasks) };
                    let bad = c.iter().filter(|v| !v.is_finite()).count();
                    assert_eq!(bad, 1, "{name}: one non-finite value at ({i}, {j})");
                    assert!(!c[i * n + j].is_finite());
                    assert!(
                        !finite,
                        "{name}: {terms:?} at ({i}, {j}) with {tasks} tasks missed"
                    );
                }
            }
        }
    }

    fn check_kernel(name: &str, gemm: Gemm) {
        let shapes = [
            (1, 1, 1),
            (6, 1, 16),
            (7, 9, 17),
            (13, 8, 40),
            (64, 700, 300),
            (33, 600, 65),
            (5, 321, 3),
            (100, 50, 2),
            (4, 0, 5),
            (0, 3, 4),
        ];
        for &(m, k, n) in &shapes {
            let a = numbers(m * k + 1, 1);
            let b = numbers(k * n + 1, 2);
            // (row stride, column stride, offset of element (0, 0)) of each operand.
            let a_layouts = [
                (k as isize, 1, 0),
                (1, m as isize, 0),
                (-(k as isize), 1, (m.max(1) - 1) * k),
                (0, 1, 0),
            ];
            let b_layouts = [
                (n as isize, 1, 0),
                (1, k as isize, 0),
                (n as isize, -1, n.max(1) - 1),
            ];
            for &(ars, acs, ao) in &a_layouts {
                for &(brs, bcs, bo) in &b_layouts {
                    for tasks in [1, 2, 4] {
                        let at = |i: usize, p: usize| {
                            a[(ao as isize + i as isize * ars + p as isize * acs) as usize]
                        };
                        let bt = |p: usize, j: usize| {
                            b[(bo as isize + p as isize * brs + j as isize * bcs) as usize]
                        };
                        let ld = n + 3;
                        let mut c = vec![f32::NAN; m * ld];
                        // SAFETY: the kernel's features checked; every index the strides reach is
                        // inside `a`, `b` (checked by `at`/`bt` above for the same
                        // ranges) and the m×n block of `c` with row stride ld.
                        let finite = unsafe {
                            gemm(
                                m,
                                n,
                                k,
                                Mat {
                                    ptr: a.as_ptr().add(ao),
                                    rs: ars,
                                    cs: acs,
                                },
                                Mat {
                                    ptr: b.as_ptr().add(bo),
                                    rs: brs,
                                    cs: bcs,
                                },
                                c.as_mut_ptr(),
                                ld as isize,
                                tasks,
                            )
                        };
                        assert!(
                            finite,
                            "{name} {m}x{k}x{n}: finite numbers reported otherwise"
                        );
                        for i in 0..m {
                            for j in 0..n {
                                let want: f64 =
                                    (0..k).map(|p| at(i, p) as f64 * bt(p, j) as f64).sum();
                                let got = c[i * ld + j] as f64;
                                assert!(
                                    (got - want).abs() <= 1e-4 * (1.0 + want.abs()),
                                    "{name} {m}x{k}x{n} a{:?} b{:?} tasks {tasks} at ({i}, {j}): {got} vs {want}",
                                    (ars, acs),
                                    (brs, bcs)
                                );
                            }
                            for j in n..ld {
                                assert!(c[i * ld + j].is_nan(), "wrote outside the block");
                            }
                        }
                    }
                }
            }
        }
    }
}
