//! Shape ops: transpose, `.T`, reshape family, cat, stack, indexing and slicing.

use ndarray::{ArrayD, ArrayViewD, ArrayViewMutD, Axis, IxDyn, Slice, SliceInfo, SliceInfoElem};

use super::kernels::standard;
use super::layout::reshape_owned;
use super::shape::{
    cat_shape, flatten_shape, reshape_shape, resolve_index, reverse_shape, squeeze_shape,
    stack_shape, transpose_shape, unsqueeze_shape, IndexItem, Resolved,
};
use super::{Input, Op, Tensor, TensorError};

fn permute(t: &Tensor, axes: Vec<usize>, name: &'static str) -> Tensor {
    let data = standard(&t.data().view().permuted_axes(IxDyn(&axes)));
    Tensor::from_op(data, Op::Permute(Input::new(t), axes, name))
}

/// `transpose(x, a, b)`: swaps two axes.
pub fn transpose(t: &Tensor, a: isize, b: isize) -> Result<Tensor, TensorError> {
    let n = t.ndim();
    let (_, a, b) = transpose_shape(&t.shape(), a, b)?;
    let mut axes: Vec<usize> = (0..n).collect();
    axes.swap(a, b);
    Ok(permute(t, axes, "transpose"))
}

/// `x.T`: reverses all axes.
pub fn t_reverse(t: &Tensor) -> Tensor {
    let n = t.ndim();
    debug_assert_eq!(reverse_shape(&t.shape()).len(), n);
    let data = standard(&t.data().view().reversed_axes());
    Tensor::from_op(
        data,
        Op::Permute(Input::new(t), (0..n).rev().collect(), "T"),
    )
}

fn reshaped(t: &Tensor, shape: &[usize], name: &'static str) -> Tensor {
    let data = reshape_owned(t.data().clone(), shape);
    Tensor::from_op(data, Op::Reshape(Input::new(t), name))
}

/// `reshape(x, spec)` with at most one `-1`.
pub fn reshape(t: &Tensor, spec: &[isize]) -> Result<Tensor, TensorError> {
    let s = reshape_shape(&t.shape(), spec)?;
    Ok(reshaped(t, &s, "reshape"))
}

/// `flatten(x)`: all elements in one axis.
pub fn flatten(t: &Tensor) -> Result<Tensor, TensorError> {
    let s = flatten_shape(&t.shape())?;
    Ok(reshaped(t, &s, "flatten"))
}

/// `squeeze(x, axis)` (the axis must have size 1), or `squeeze(x)` for all size-1 axes.
pub fn squeeze(t: &Tensor, axis: Option<isize>) -> Result<Tensor, TensorError> {
    let s = squeeze_shape(&t.shape(), axis)?;
    Ok(reshaped(t, &s, "squeeze"))
}

/// `unsqueeze(x, axis)`: inserts a size-1 axis.
pub fn unsqueeze(t: &Tensor, axis: isize) -> Result<Tensor, TensorError> {
    let (s, _) = unsqueeze_shape(&t.shape(), axis)?;
    Ok(reshaped(t, &s, "unsqueeze"))
}

/// `cat(list, axis)`.
pub fn cat(ts: &[Tensor], axis: isize) -> Result<Tensor, TensorError> {
    let shapes: Vec<Vec<usize>> = ts.iter().map(|t| t.shape()).collect();
    let refs: Vec<&[usize]> = shapes.iter().map(|s| s.as_slice()).collect();
    let (_, ax) = cat_shape(&refs, axis)?;
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
    let (_, ax) = stack_shape(&refs, axis)?;
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
                let end = if *len == 0 {
                    *start
                } else {
                    start + (len - 1) * step + 1
                };
                SliceInfoElem::Slice {
                    start: *start as isize,
                    end: Some(end as isize),
                    step: *step as isize,
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

/// `x[i, a:b:s, ...]` with Python semantics.
pub fn index(t: &Tensor, items: &[IndexItem]) -> Result<Tensor, TensorError> {
    let (res, _) = resolve_index(&t.shape(), items)?;
    let data = index_array(&t.data(), &res);
    Ok(Tensor::from_op(data, Op::Index(Input::new(t), res)))
}

/// Gradient of `cat` for input `i`: its slab of `g` along `ax`.
pub(crate) fn cat_piece(g: &ArrayD<f32>, ax: usize, offset: usize, len: usize) -> ArrayD<f32> {
    g.slice_axis(Axis(ax), Slice::from(offset..offset + len))
        .to_owned()
}

impl IndexItem {
    /// The index item for a tensor used as an index: a 0-d tensor is one position, a 1-D
    /// tensor a list of positions; the values must be whole numbers.
    pub fn from_tensor(t: &Tensor) -> Result<IndexItem, TensorError> {
        let d = t.data();
        let whole = |v: f32| -> Result<isize, TensorError> {
            if v.fract() == 0.0 && v.is_finite() && v.abs() < 9.0e15 {
                Ok(v as isize)
            } else {
                Err(TensorError::Value(format!(
                    "index values must be whole numbers, got {v}"
                )))
            }
        };
        match d.ndim() {
            0 => Ok(IndexItem::At(whole(
                d.iter().next().copied().unwrap_or(0.0),
            )?)),
            1 => Ok(IndexItem::Positions(
                d.iter().map(|&v| whole(v)).collect::<Result<_, _>>()?,
            )),
            n => Err(TensorError::Value(format!(
                "an index tensor must have 0 or 1 axes, got {n} (shape {})",
                super::ShapeFmt(d.shape())
            ))),
        }
    }
}
