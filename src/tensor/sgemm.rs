//! Our own f32 matrix product for x86-64 CPUs with AVX2 and FMA (picked at run time):
//! the right operand packed in panels of 16 columns, the left one broadcast straight
//! from its (any-strided) memory, 6×16 register tiles, split over the pool's threads
//! by column panels. At the shapes of a training step it runs at about twice the speed
//! of the `gemm` crate on this machine kind (see the README's benchmarks).

use std::arch::x86_64::*;
use std::cell::RefCell;

/// Rows of a register tile (broadcast from the left operand).
const MR: usize = 6;
/// Columns of a register tile (two 8-lane vectors of the packed right operand).
const NR: usize = 16;
/// Most of the depth packed at once: a 16-column micro-panel of `KC_MAX` rows is 20 KB
/// and stays in L1 while the row tiles of a block pass over it.
const KC_MAX: usize = 320;
/// Columns packed at once by one task (kc × NC floats stay in L2).
const NC: usize = 256;
/// Rows of the left operand walked against one packed block before the next micro-panel
/// (their kc-long stretches stay in L2).
const MC: usize = 72;

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
#[derive(Clone, Copy)]
struct Job {
    k: usize,
    a: Mat,
    b: Mat,
    dst: Dst,
}

// SAFETY: a `Job` is only built by `gemm`, whose caller guarantees that `a` and `b` are
// readable and `dst` writable for the duration of the call, which outlives every task;
// tasks write disjoint column or row ranges of `dst`.
unsafe impl Send for Job {}
unsafe impl Sync for Job {}

/// Whether this CPU runs this module (AVX2 and FMA, and no AVX-512: there the `gemm`
/// crate's AVX-512 kernels are used, as before).
pub(crate) fn available() -> bool {
    is_x86_feature_detected!("avx2")
        && is_x86_feature_detected!("fma")
        && !is_x86_feature_detected!("avx512f")
}

/// `dst = a @ b` for an m×k `a` and a k×n `b` into the m×n row-major block at `dst`
/// (row stride `drs`, unit column stride), in `tasks` pieces on the current rayon pool
/// (1: on this thread). Every element of `dst` is written, none is read.
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
) {
    let job = Job {
        k,
        a,
        b,
        dst: Dst { ptr: dst, rs: drs },
    };
    if m == 0 || n == 0 {
        return;
    }
    if k == 0 {
        for i in 0..m {
            for j in 0..n {
                // SAFETY: (i, j) is inside the destination block.
                unsafe { *dst.offset(i as isize * drs + j as isize) = 0.0 };
            }
        }
        return;
    }
    let strips = n.div_ceil(NR);
    let tasks = tasks.max(1);
    if tasks == 1 {
        // SAFETY: the whole product, as this function's contract.
        unsafe { block(&job, 0, m, 0, n) };
        return;
    }
    // Column panels when there are enough of them (no operand packed twice), else rows
    // (each task packs the narrow right operand itself).
    let by_cols = strips >= 2 * tasks;
    let units = if by_cols { strips } else { m.div_ceil(MR) };
    let tasks = tasks.min(units);
    let range = |t: usize| (t * units / tasks, (t + 1) * units / tasks);
    let run = |t: usize| {
        let (u0, u1) = range(t);
        // SAFETY: task t covers columns (or rows) [u0, u1) in units of tiles, disjoint
        // from every other task's; the rest as this function's contract.
        unsafe {
            if by_cols {
                block(&job, 0, m, u0 * NR, (u1 * NR).min(n));
            } else {
                block(&job, u0 * MR, (u1 * MR).min(m), 0, n);
            }
        }
    };
    rayon::scope(|s| {
        for t in 1..tasks {
            let run = &run;
            s.spawn(move |_| run(t));
        }
        run(0);
    });
}

thread_local! {
    /// Each thread's packing buffer, kept across products.
    static PACK: RefCell<Vec<f32>> = const { RefCell::new(Vec::new()) };
}

/// The product restricted to rows `i0..i1` and columns `j0..j1` of the destination.
///
/// # Safety
/// As `gemm`, with the ranges inside the destination.
unsafe fn block(job: &Job, i0: usize, i1: usize, j0: usize, j1: usize) {
    PACK.with(|cell| {
        let mut buf = cell.borrow_mut();
        let kc_max = job.k.min(KC_MAX);
        // 64-byte alignment for the packed panels: 16 spare floats.
        let need = kc_max * NC.min((j1 - j0).div_ceil(NR) * NR) + 16;
        if buf.len() < need {
            buf.resize(need, 0.0);
        }
        let base = buf.as_mut_ptr();
        // (`align_offset` may decline to answer; the address arithmetic cannot.)
        let packed = base.wrapping_add((64 - base as usize % 64) % 64 / 4);
        // Depth chunks of equal size, none above KC_MAX.
        let chunks = job.k.div_ceil(KC_MAX);
        let kc_even = job.k.div_ceil(chunks);
        for jc in (j0..j1).step_by(NC) {
            let nc = NC.min(j1 - jc);
            let strips = nc.div_ceil(NR);
            for c in 0..chunks {
                let pc = c * kc_even;
                let kc = kc_even.min(job.k - pc);
                // SAFETY: `packed` has room for strips × kc × NR floats (`need`, with
                // kc ≤ kc_max and strips × NR ≤ NC rounded); the source range is inside b.
                unsafe { pack_b(job.b, pc, kc, jc, nc, packed) };
                let first = c == 0;
                for ic in (i0..i1).step_by(MC) {
                    let ie = (ic + MC).min(i1);
                    for s in 0..strips {
                        let j = jc + s * NR;
                        let cols = NR.min(jc + nc - j);
                        let panel = packed.wrapping_add(s * kc * NR);
                        for ir in (ic..ie).step_by(MR) {
                            let rows = MR.min(ie - ir);
                            // SAFETY: rows ir..ir + rows and columns j..j + cols are inside
                            // the destination block and `a`; `panel` holds kc × NR floats.
                            unsafe { tile(job, ir, rows, j, cols, pc, kc, panel, first) };
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
unsafe fn tile(
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
    let mut rowp = [std::ptr::null::<f32>(); MR];
    for (r, p) in rowp.iter_mut().enumerate() {
        let ri = i + r.min(rows - 1);
        *p = a
            .ptr
            .wrapping_offset(ri as isize * a.rs + pc as isize * a.cs);
    }
    let d = job
        .dst
        .ptr
        .wrapping_offset(i as isize * job.dst.rs + j as isize);
    if rows == MR && cols == NR {
        // SAFETY: the full tile is inside the destination (contract of `block`).
        unsafe { kernel(kc, &rowp, a.cs, panel, d, job.dst.rs, !first) };
        return;
    }
    let mut tmp = [0.0f32; MR * NR];
    // SAFETY: `tmp` is a 6×16 row-major tile.
    unsafe { kernel(kc, &rowp, a.cs, panel, tmp.as_mut_ptr(), NR as isize, false) };
    for r in 0..rows {
        for c in 0..cols {
            // SAFETY: (r, c) is inside the valid part of the tile.
            unsafe {
                let q = d.offset(r as isize * job.dst.rs + c as isize);
                let v = tmp[r * NR + c];
                *q = if first { v } else { *q + v };
            }
        }
    }
}

/// The 6×16 register tile: `c (+)= Σ_p a[r][p] · panel[p]` over `kc` steps, where row r
/// of the left operand starts at `rowp[r]` with stride `acs` along the depth.
///
/// # Safety
/// The CPU must have AVX2 and FMA; every `rowp[r] + p·acs` (p < kc) readable, `panel`
/// readable for kc × 16 floats, `c` writable (and readable when `add`) for 6 rows of 16
/// at row stride `ldc`.
#[target_feature(enable = "avx2,fma")]
unsafe fn kernel(
    kc: usize,
    rowp: &[*const f32; MR],
    acs: isize,
    panel: *const f32,
    c: *mut f32,
    ldc: isize,
    add: bool,
) {
    let mut acc = [_mm256_setzero_ps(); 2 * MR];
    let [mut p0, mut p1, mut p2, mut p3, mut p4, mut p5] = *rowp;
    let mut bp = panel;
    for _ in 0..kc {
        // SAFETY: inside the panel and the left operand's rows (this function's contract).
        unsafe {
            let b0 = _mm256_loadu_ps(bp);
            let b1 = _mm256_loadu_ps(bp.add(8));
            let x = _mm256_broadcast_ss(&*p0);
            acc[0] = _mm256_fmadd_ps(x, b0, acc[0]);
            acc[1] = _mm256_fmadd_ps(x, b1, acc[1]);
            let x = _mm256_broadcast_ss(&*p1);
            acc[2] = _mm256_fmadd_ps(x, b0, acc[2]);
            acc[3] = _mm256_fmadd_ps(x, b1, acc[3]);
            let x = _mm256_broadcast_ss(&*p2);
            acc[4] = _mm256_fmadd_ps(x, b0, acc[4]);
            acc[5] = _mm256_fmadd_ps(x, b1, acc[5]);
            let x = _mm256_broadcast_ss(&*p3);
            acc[6] = _mm256_fmadd_ps(x, b0, acc[6]);
            acc[7] = _mm256_fmadd_ps(x, b1, acc[7]);
            let x = _mm256_broadcast_ss(&*p4);
            acc[8] = _mm256_fmadd_ps(x, b0, acc[8]);
            acc[9] = _mm256_fmadd_ps(x, b1, acc[9]);
            let x = _mm256_broadcast_ss(&*p5);
            acc[10] = _mm256_fmadd_ps(x, b0, acc[10]);
            acc[11] = _mm256_fmadd_ps(x, b1, acc[11]);
        }
        p0 = p0.wrapping_offset(acs);
        p1 = p1.wrapping_offset(acs);
        p2 = p2.wrapping_offset(acs);
        p3 = p3.wrapping_offset(acs);
        p4 = p4.wrapping_offset(acs);
        p5 = p5.wrapping_offset(acs);
        bp = bp.wrapping_add(NR);
    }
    for r in 0..MR {
        // SAFETY: row r of the tile (this function's contract).
        unsafe {
            let q = c.offset(r as isize * ldc);
            let (mut v0, mut v1) = (acc[2 * r], acc[2 * r + 1]);
            if add {
                v0 = _mm256_add_ps(v0, _mm256_loadu_ps(q));
                v1 = _mm256_add_ps(v1, _mm256_loadu_ps(q.add(8)));
            }
            _mm256_storeu_ps(q, v0);
            _mm256_storeu_ps(q.add(8), v1);
        }
    }
}

/// Packs rows `pc..pc + kc` and columns `jc..jc + nc` of `b` as micro-panels of 16
/// columns (strip s at `dst + s·kc·16`, row p of it at `+ p·16`), zero-padded on the right.
///
/// # Safety
/// The CPU must have AVX; the source range inside `b`; `dst` writable for
/// ceil(nc / 16) × kc × 16 floats.
unsafe fn pack_b(b: Mat, pc: usize, kc: usize, jc: usize, nc: usize, dst: *mut f32) {
    let strips = nc.div_ceil(NR);
    for s in 0..strips {
        let j = jc + s * NR;
        let cols = NR.min(jc + nc - j);
        let out = dst.wrapping_add(s * kc * NR);
        let src = b
            .ptr
            .wrapping_offset(pc as isize * b.rs + j as isize * b.cs);
        // SAFETY: rows pc..pc + kc and columns j..j + cols are inside `b`; `out` has
        // kc × 16 floats (this function's contract).
        unsafe {
            if cols == NR && b.cs == 1 {
                pack_rows(src, b.rs, kc, out);
            } else if cols == NR && b.rs == 1 && kc >= 8 {
                pack_cols(src, b.cs, kc, out);
            } else {
                for p in 0..kc {
                    for c in 0..NR {
                        *out.add(p * NR + c) = if c < cols {
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

/// 16 contiguous columns per row, rows `rs` apart.
///
/// # Safety
/// As `pack_b` for one full strip.
#[target_feature(enable = "avx")]
unsafe fn pack_rows(src: *const f32, rs: isize, kc: usize, out: *mut f32) {
    for p in 0..kc {
        // SAFETY: row p of the strip and of `out`.
        unsafe {
            let s = src.offset(p as isize * rs);
            _mm256_storeu_ps(out.add(p * NR), _mm256_loadu_ps(s));
            _mm256_storeu_ps(out.add(p * NR + 8), _mm256_loadu_ps(s.add(8)));
        }
    }
}

/// 16 columns `cs` apart, each contiguous along the depth (a transposed view): 8×8
/// register transposes, the last kc % 8 rows scalar.
///
/// # Safety
/// As `pack_b` for one full strip, with kc ≥ 8.
#[target_feature(enable = "avx")]
unsafe fn pack_cols(src: *const f32, cs: isize, kc: usize, out: *mut f32) {
    let k8 = kc / 8 * 8;
    for p in (0..k8).step_by(8) {
        for h in 0..2 {
            // SAFETY: columns 8h..8h + 8, rows p..p + 8 of the strip; rows p..p + 8 and
            // columns 8h..8h + 8 of `out`.
            unsafe {
                let col = |q: usize| _mm256_loadu_ps(src.offset((8 * h + q) as isize * cs).add(p));
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
                    _mm256_storeu_ps(out.add((p + q) * NR + 8 * h), v);
                }
            }
        }
    }
    for p in k8..kc {
        for c in 0..NR {
            // SAFETY: inside the strip and `out`.
            unsafe { *out.add(p * NR + c) = *src.offset(c as isize * cs).add(p) };
        }
    }
}

#[cfg(test)]
mod tests {
    use super::{available, gemm, Mat};

    fn numbers(n: usize, seed: u32) -> Vec<f32> {
        (0..n)
            .map(|i| {
                ((i as u32).wrapping_mul(2_654_435_761).wrapping_add(seed) >> 20) as f32 / 4096.0
                    - 0.5
            })
            .collect()
    }

    /// Every shape class (ragged tiles, several depth chunks and column blocks, tiny and
    /// empty sizes) and layout (row- and column-major, reversed, broadcast with stride 0),
    /// on 1 and 4 tasks, against a plain f64 triple loop.
    #[test]
    fn matches_plain_products() {
        if !available() {
            return;
        }
        let shapes = [
            (1, 1, 1),
            (6, 1, 16),
            (7, 9, 17),
            (13, 8, 40),
            (64, 700, 300),
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
                    for tasks in [1, 4] {
                        let at = |i: usize, p: usize| {
                            a[(ao as isize + i as isize * ars + p as isize * acs) as usize]
                        };
                        let bt = |p: usize, j: usize| {
                            b[(bo as isize + p as isize * brs + j as isize * bcs) as usize]
                        };
                        let ld = n + 3;
                        let mut c = vec![f32::NAN; m * ld];
                        // SAFETY: AVX2/FMA checked; every index the strides reach is
                        // inside `a`, `b` (checked by `at`/`bt` above for the same
                        // ranges) and the m×n block of `c` with row stride ld.
                        unsafe {
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
                        for i in 0..m {
                            for j in 0..n {
                                let want: f64 =
                                    (0..k).map(|p| at(i, p) as f64 * bt(p, j) as f64).sum();
                                let got = c[i * ld + j] as f64;
                                assert!(
                                    (got - want).abs() <= 1e-4 * (1.0 + want.abs()),
                                    "{m}x{k}x{n} a{:?} b{:?} tasks {tasks} at ({i}, {j}): {got} vs {want}",
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
