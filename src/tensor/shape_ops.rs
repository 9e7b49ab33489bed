//! Shape ops: transpose, `.T`, reshape family, cat, stack, indexing and slicing.

use ndarray::{ArrayD, ArrayViewD, ArrayViewMutD, Axis, IxDyn, Slice, SliceInfo, SliceInfoElem};

use super::kernels::standard;
use super::layout::reshape_owned;
use super::shape::{
    cat_shape, flatten_shape, reshape_shape, resolve_index, reverse_shape, squeeze_shape,
    stack_shape, transpose_shape, unsqueeze_shape, IndexItem, Resolved,
};
use super::{Input, Op, Tensor, TensorError};

pub(crate) fn permute(t: &Tensor, axes: Vec<usize>, name: &'static str) -> Tensor {
    let data = standard(&t.data().view().permuted_axes(IxDyn(&axes)));
    Tensor::from_op(data, Op::Permute(Input::new(t), axes, name))
}

/// `transpose(x, a, b)`: swaps two axes.
pub fn transpose(t: &Tensor, a: isize, b: isize) -> Result<Tensor, TensorError> {
    let n = t.ndim();
    let (_, a, b) = transpose_shape(&t.shape(), a, b)?;
    super::budget::reserve(&t.shape())?;
    let mut axes: Vec<usize> = (0..n).collect();
    axes.swap(a, b);
    Ok(permute(t, axes, "transpose"))
}

/// `x.T`, once the memory budget has room for the result (what the runtime calls).
pub fn try_t_reverse(t: &Tensor) -> Result<Tensor, TensorError> {
    super::budget::reserve(&t.shape())?;
    Ok(t_reverse(t))
}

/// `x.T`: reverses all axes (without the memory budget's check).
pub fn t_reverse(t: &Tensor) -> Tensor {
    let n = t.ndim();
    debug_assert_eq!(reverse_shape(&t.shape()).len(), n);
    let data = standard(&t.data().view().reversed_axes());
    Tensor::from_op(
        data,
        Op::Permute(Input::new(t), (0..n).rev().collect(), "T"),
    )
}

fn reshaped(t: &Tensor, shape: &[usize], name: &'static str) -> Result<Tensor, TensorError> {
    super::budget::reserve(shape)?;
    let data = reshape_owned(t.data().clone(), shape);
    Ok(Tensor::from_op(data, Op::Reshape(Input::new(t), name)))
}

/// `reshape(x, spec)` with at most one `-1`.
pub fn reshape(t: &Tensor, spec: &[isize]) -> Result<Tensor, TensorError> {
    let s = reshape_shape(&t.shape(), spec)?;
    reshaped(t, &s, "reshape")
}

/// `flatten(x)`: all elements in one axis.
pub fn flatten(t: &Tensor) -> Result<Tensor, TensorError> {
    let s = flatten_shape(&t.shape())?;
    reshaped(t, &s, "flatten")
}

/// `squeeze(x, axis)` (the axis must have size 1), or `squeeze(x)` for all size-1 axes.
pub fn squeeze(t: &Tensor, axis: Option<isize>) -> Result<Tensor, TensorError> {
    let s = squeeze_shape(&t.shape(), axis)?;
    reshaped(t, &s, "squeeze")
}

/// `unsqueeze(x, axis)`: inserts a size-1 axis.
pub fn unsqueeze(t: &Tensor, axis: isize) -> Result<Tensor, TensorError> {
    let (s, _) = unsqueeze_shape(&t.shape(), axis)?;
    reshaped(t, &s, "unsqueeze")
}

/// `cat(list, axis)`.
pub fn cat(ts: &[Tensor], axis: isize) -> Result<Tensor, TensorError> {
    let shapes: Vec<Vec<usize>> = ts.iter().map(|t| t.shape()).collect();
    let refs: Vec<&[usize]> = shapes.iter().map(|s| s.as_slice()).collect();
    let (out, ax) = cat_shape(&refs, axis)?;
    super::budget::reserve(&out)?;
    let data = {
        let ds: Vec<_> = ts.iter().map(|t| t.data()).collect();
        let views: Vec<ArrayViewD<f32>> = ds.iter().map(|d| d.view()).collect();
        ndarray::concatenate(Axis(ax), &views).expect("shapes checked")
    };
    Ok(Tensor::from_op(
        data,
        Op::Cat(ts.iter().map(Input::new).collect(), ax),
    ))
}

/// `stack(list, axis)`.
pub fn stack(ts: &[Tensor], axis: isize) -> Result<Tensor, TensorError> {
    let shapes: Vec<Vec<usize>> = ts.iter().map(|t| t.shape()).collect();
    let refs: Vec<&[usize]> = shapes.iter().map(|s| s.as_slice()).collect();
    let (out, ax) = stack_shape(&refs, axis)?;
    super::budget::reserve(&out)?;
    let data = {
        let ds: Vec<_> = ts.iter().map(|t| t.data()).collect();
        let views: Vec<ArrayViewD<f32>> = ds.iter().map(|d| d.view()).collect();
        ndarray::stack(Axis(ax), &views).expect("shapes checked")
    };
    Ok(Tensor::from_op(
        data,
        Op::Stack(ts.iter().map(Input::new).collect(), ax),
    ))
}

/// The ndarray slice for resolved items (a list of positions becomes a full slice).
pub(crate) fn slice_info(
    res: &[Resolved],
    ndim: usize,
) -> SliceInfo<Vec<SliceInfoElem>, IxDyn, IxDyn> {
    let mut elems: Vec<SliceInfoElem> = res
        .iter()
        .map(|r| match r {
            Resolved::At(i) => SliceInfoElem::Index(*i as isize),
            Resolved::Slice { start, len, step } => {
                // ndarray walks a negative step from the end of `start..end`.
                let (s, e) = if *len == 0 {
                    (*start as isize, *start as isize)
                } else if *step > 0 {
                    let s = *start as isize;
                    (s, s + (*len as isize - 1) * step + 1)
                } else {
                    let hi = *start as isize;
                    (hi + (*len as isize - 1) * step, hi + 1)
                };
                SliceInfoElem::Slice {
                    start: s,
                    end: Some(e),
                    step: *step,
                }
            }
            Resolved::Positions(_) => SliceInfoElem::Slice {
                start: 0,
                end: None,
                step: 1,
            },
        })
        .collect();
    while elems.len() < ndim {
        elems.push(SliceInfoElem::Slice {
            start: 0,
            end: None,
            step: 1,
        });
    }
    SliceInfo::try_from(elems).expect("valid slice")
}

/// The axis (in the sliced view) and the positions of a list index, if any.
pub(crate) fn positions_axis(res: &[Resolved]) -> Option<(usize, &[usize])> {
    let mut ax = 0;
    for r in res {
        match r {
            Resolved::At(_) => {}
            Resolved::Slice { .. } => ax += 1,
            Resolved::Positions(p) => return Some((ax, p)),
        }
    }
    None
}

/// `x[items]` on an array (items resolved against its shape).
pub(crate) fn index_array(a: &ArrayD<f32>, res: &[Resolved]) -> ArrayD<f32> {
    let v = a.slice(slice_info(res, a.ndim()));
    match positions_axis(res) {
        None => v.to_owned(),
        Some((ax, ps)) => v.select(Axis(ax), ps),
    }
}

/// Adds `g` into the region `res` of `z` (the scatter that is indexing's adjoint; with a
/// list index, repeated positions add up).
pub(crate) fn index_add(z: &mut ArrayD<f32>, res: &[Resolved], g: &ArrayViewD<f32>) {
    let nd = z.ndim();
    let mut v: ArrayViewMutD<f32> = z.slice_mut(slice_info(res, nd));
    match positions_axis(res) {
        None => v += g,
        Some((ax, ps)) => {
            for (j, &p) in ps.iter().enumerate() {
                let mut dst = v.index_axis_mut(Axis(ax), p);
                dst += &g.index_axis(Axis(ax), j);
            }
        }
    }
}

/// `x[i, a:b:s, ...]` with Python semantics; with `None`, `...` or tensors among the
/// items, PyTorch's advanced indexing (a gather, see `take.rs`).
pub fn index(t: &Tensor, items: &[IndexItem]) -> Result<Tensor, TensorError> {
    if items.iter().any(IndexItem::is_advanced) {
        return super::take::advanced_index(t, items);
    }
    let (res, out) = resolve_index(&t.shape(), items)?;
    super::budget::reserve(&out)?;
    let data = index_array(&t.data(), &res);
    let out = Tensor::from_op(data, Op::Index(Input::new(t), res));
    out.set_view_of(t, items);
    Ok(out)
}

/// Gradient of `cat` for input `i`: its slab of `g` along `ax`.
pub(crate) fn cat_piece(g: &ArrayD<f32>, ax: usize, offset: usize, len: usize) -> ArrayD<f32> {
    g.slice_axis(Axis(ax), Slice::from(offset..offset + len))
        .to_owned()
}
