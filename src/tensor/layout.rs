//! Materialising views in row-major order. Transposes and permutations are copied with
//! this, so every tensor and gradient the matrix product and the optimisers see is
//! row-major (gemm is up to 40% slower on a column-major right operand, and the
//! optimisers' update loops run over plain slices). Also the two basic constructors of
//! row-major arrays the kernels share: `from_vec` and `reshape_owned`.

use ndarray::{ArrayD, ArrayView2, ArrayViewD, Axis, Dimension, Ix2, IxDyn};

/// `v` copied into a fresh row-major array. A 2-D view, or the trailing two axes of an
/// N-D one, is copied tile by tile; a transposed view goes through an 8×8 register
/// transpose where the CPU has AVX. `[128, 784]` transposed: about 40 us through
/// scalar tiles, about 370 us through `ArrayD::as_standard_layout`.
pub(crate) fn standard(v: &ArrayViewD<f32>) -> ArrayD<f32> {
    let n = v.ndim();
    if n < 2 || v.is_standard_layout() {
        return v.to_owned();
    }
    let (rows, cols) = (v.shape()[n - 2], v.shape()[n - 1]);
    let total = v.len();
    let mut out: Vec<f32> = Vec::with_capacity(total);
    if rows * cols > 0 {
        let dst = out.as_mut_ptr();
        for (k, idx) in ndarray::indices(&v.shape()[..n - 2])
            .into_iter()
            .enumerate()
        {
            let mut sub = v.view();
            for &i in idx.as_array_view().iter() {
                sub = sub.index_axis_move(Axis(0), i);
            }
            let sub = sub.into_dimensionality::<Ix2>().expect("2-d");
            // SAFETY: block k of the output, rows × cols elements starting at
            // k·rows·cols, lies inside the allocation of `total` elements.
            unsafe { copy_2d(&sub, dst.add(k * rows * cols)) };
        }
    }
    // SAFETY: `copy_2d` wrote every one of the `total` elements.
    unsafe { out.set_len(total) };
    from_vec(v.shape(), out)
}

/// Writes `src` row-major to `dst`.
///
/// # Safety
/// `dst` must be valid for writes of `src.len()` elements.
unsafe fn copy_2d(src: &ArrayView2<f32>, dst: *mut f32) {
    #[cfg(target_arch = "x86_64")]
    {
        if src.strides()[0] == 1 && std::arch::is_x86_feature_detected!("avx") {
            // SAFETY: AVX is available (checked); `dst` as required by this function.
            unsafe { avx::copy_transposed(src, dst) };
            return;
        }
    }
    // SAFETY: as required by this function.
    unsafe { copy_tiled(src, dst) };
}

/// Scalar copy in tiles of 64 rows by 8 columns (the best of 8×8 … 64×8 measured on
/// transposed views).
///
/// # Safety
/// `dst` must be valid for writes of `src.len()` elements.
unsafe fn copy_tiled(src: &ArrayView2<f32>, dst: *mut f32) {
    const TI: usize = 64;
    const TJ: usize = 8;
    let (rows, cols) = src.dim();
    let (s0, s1) = (src.strides()[0], src.strides()[1]);
    let p = src.as_ptr();
    for i0 in (0..rows).step_by(TI) {
        for j0 in (0..cols).step_by(TJ) {
            for i in i0..(i0 + TI).min(rows) {
                for j in j0..(j0 + TJ).min(cols) {
                    // SAFETY: i < rows and j < cols: inside the view and inside `dst`.
                    unsafe {
                        *dst.add(i * cols + j) = *p.offset(i as isize * s0 + j as isize * s1)
                    };
                }
            }
        }
    }
}

#[cfg(target_arch = "x86_64")]
pub(super) use avx::transpose8;

#[cfg(target_arch = "x86_64")]
mod avx {
    use ndarray::ArrayView2;
    use std::arch::x86_64::*;

    /// `src` (unit row stride: its columns are contiguous) written row-major to `dst`:
    /// 8×8 blocks are loaded as 8 column vectors, transposed in registers and stored
    /// as 8 row vectors; the ragged right and bottom edges go through scalar code.
    ///
    /// # Safety
    /// The CPU must have AVX, `src.strides()[0]` must be 1 and `dst` valid for writes
    /// of `src.len()` elements.
    #[target_feature(enable = "avx")]
    pub(super) unsafe fn copy_transposed(src: &ArrayView2<f32>, dst: *mut f32) {
        let (rows, cols) = src.dim();
        let s1 = src.strides()[1];
        let p = src.as_ptr();
        let (r8, c8) = (rows / 8 * 8, cols / 8 * 8);
        // 16×16 tiles of 8×8 blocks: the best of 8×8 … 64×64 measured on [128, 784],
        // [784, 128] and [1024, 1024] transposes.
        for i0 in (0..r8).step_by(16) {
            for j0 in (0..c8).step_by(16) {
                for j in (j0..(j0 + 16).min(c8)).step_by(8) {
                    for i in (i0..(i0 + 16).min(r8)).step_by(8) {
                        // SAFETY: i + 8 <= rows and j + 8 <= cols; column j + q of the
                        // view holds rows i..i + 8 contiguously (unit row stride).
                        unsafe {
                            let col =
                                |q: usize| _mm256_loadu_ps(p.offset((j + q) as isize * s1).add(i));
                            let t = transpose8([
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
                                _mm256_storeu_ps(dst.add((i + q) * cols + j), v);
                            }
                        }
                    }
                }
            }
        }
        // Bottom rows r8.. (all columns) and right columns c8.. (rows ..r8).
        for i in r8..rows {
            for j in 0..cols {
                // SAFETY: inside the view and `dst`.
                unsafe { *dst.add(i * cols + j) = *p.offset(j as isize * s1).add(i) };
            }
        }
        for i in 0..r8 {
            for j in c8..cols {
                // SAFETY: inside the view and `dst`.
                unsafe { *dst.add(i * cols + j) = *p.offset(j as isize * s1).add(i) };
            }
        }
    }

    /// The 8×8 matrix whose rows are `r` transposed: lane k of output q is lane q of
    /// input k.
    #[inline]
    #[target_feature(enable = "avx")]
    pub(crate) fn transpose8(r: [__m256; 8]) -> [__m256; 8] {
        // Interleave pairs of rows, then pairs of pairs, then swap 128-bit halves.
        let a0 = _mm256_unpacklo_ps(r[0], r[1]);
        let a1 = _mm256_unpackhi_ps(r[0], r[1]);
        let a2 = _mm256_unpacklo_ps(r[2], r[3]);
        let a3 = _mm256_unpackhi_ps(r[2], r[3]);
        let a4 = _mm256_unpacklo_ps(r[4], r[5]);
        let a5 = _mm256_unpackhi_ps(r[4], r[5]);
        let a6 = _mm256_unpacklo_ps(r[6], r[7]);
        let a7 = _mm256_unpackhi_ps(r[6], r[7]);
        let b0 = _mm256_shuffle_ps::<0x44>(a0, a2);
        let b1 = _mm256_shuffle_ps::<0xEE>(a0, a2);
        let b2 = _mm256_shuffle_ps::<0x44>(a1, a3);
        let b3 = _mm256_shuffle_ps::<0xEE>(a1, a3);
        let b4 = _mm256_shuffle_ps::<0x44>(a4, a6);
        let b5 = _mm256_shuffle_ps::<0xEE>(a4, a6);
        let b6 = _mm256_shuffle_ps::<0x44>(a5, a7);
        let b7 = _mm256_shuffle_ps::<0xEE>(a5, a7);
        [
            _mm256_permute2f128_ps::<0x20>(b0, b4),
            _mm256_permute2f128_ps::<0x20>(b1, b5),
            _mm256_permute2f128_ps::<0x20>(b2, b6),
            _mm256_permute2f128_ps::<0x20>(b3, b7),
            _mm256_permute2f128_ps::<0x31>(b0, b4),
            _mm256_permute2f128_ps::<0x31>(b1, b5),
            _mm256_permute2f128_ps::<0x31>(b2, b6),
            _mm256_permute2f128_ps::<0x31>(b3, b7),
        ]
    }
}

#[cfg(test)]
mod tests {
    use super::standard;
    use ndarray::{s, ArrayD, IxDyn};

    fn numbered(shape: &[usize]) -> ArrayD<f32> {
        let n: usize = shape.iter().product();
        ArrayD::from_shape_vec(IxDyn(shape), (0..n).map(|i| i as f32).collect()).unwrap()
    }

    /// Every element lands where the logical index says: transposes of ragged and
    /// 8-aligned sizes (both kernels), N-D permutations, sliced and reversed views.
    #[test]
    fn standard_matches_logical_order() {
        for &(r, c) in &[
            (1, 1),
            (3, 5),
            (8, 8),
            (9, 17),
            (16, 24),
            (63, 65),
            (128, 784),
        ] {
            let a = numbered(&[r, c]);
            let t = a.view().reversed_axes();
            let got = standard(&t);
            assert!(got.is_standard_layout());
            assert_eq!(got, t.to_owned(), "{r}x{c} transposed");
        }
        let a = numbered(&[3, 10, 12]);
        for axes in [[0, 2, 1], [2, 1, 0], [1, 0, 2], [2, 0, 1]] {
            let v = a.view().permuted_axes(IxDyn(&axes));
            assert_eq!(standard(&v), v.to_owned(), "{axes:?}");
        }
        let b = numbered(&[20, 30]);
        let sl = b.slice(s![2..19;3, ..;-2]).into_dyn();
        assert_eq!(standard(&sl), sl.to_owned());
        let slt = sl.clone().reversed_axes();
        assert_eq!(standard(&slt), slt.to_owned());
        let e = numbered(&[0, 4]);
        assert_eq!(standard(&e.view().reversed_axes()).shape(), &[4, 0]);
    }
}

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

/// Row-major reshape of an owned array (copies only when not in standard layout).
pub(crate) fn reshape_owned(a: ArrayD<f32>, shape: &[usize]) -> ArrayD<f32> {
    let a = if a.is_standard_layout() {
        a
    } else {
        standard(&a.view())
    };
    a.into_shape_with_order(IxDyn(shape))
        .expect("same element count")
}
