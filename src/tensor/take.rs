//! Gathering ops: PyTorch's advanced indexing (integer tensors, masks, `None`, `...`),
//! `gather`, `index_select`, `embedding`, `where`, `masked_fill`, logical ops.
//!
//! Every gather is one `Op::Take`: output element `e` is input element `offsets[e]`
//! (row-major), so its backward is one scatter-add (repeated offsets accumulate, as
//! `index_add` does).

use ndarray::{ArrayD, IxDyn};

use super::kernels::from_vec;
use super::shape::{
    broadcast_shapes, check_rank, checked_numel, in_place_shape, normalize_axis, slice_range,
    IndexItem,
};
use super::{Input, Op, Tensor, TensorError};

/// An offset meaning "no input element": the output holds the op's fill value there.
pub const FILL: usize = usize::MAX;

/// Row-major strides of `shape`.
pub(crate) fn strides(shape: &[usize]) -> Vec<usize> {
    let mut st = vec![1; shape.len()];
    for i in (0..shape.len().saturating_sub(1)).rev() {
        st[i] = st[i + 1] * shape[i + 1];
    }
    st
}

/// The multi-index of flat position `flat` in `shape`.
pub(crate) fn unravel(mut flat: usize, shape: &[usize]) -> Vec<usize> {
    let mut out = vec![0; shape.len()];
    for i in (0..shape.len()).rev() {
        if shape[i] > 0 {
            out[i] = flat % shape[i];
            flat /= shape[i];
        }
    }
    out
}

/// A whole number from an f32 index value, or `None`.
fn whole(v: f32) -> Option<isize> {
    (v.is_finite() && v.fract() == 0.0 && v.abs() < 9.0e15).then_some(v as isize)
}

/// Checks one index value against an axis of `size`: a whole number in `-size..size`.
/// `item` is the index item's number, `at` the flat position in its tensor of `ishape`.
fn check_value(
    v: f32,
    item: usize,
    at: usize,
    ishape: &[usize],
    axis: usize,
    size: usize,
) -> Result<usize, TensorError> {
    let bad = || TensorError::IndexValue {
        item,
        position: unravel(at, ishape),
        value: v,
        axis,
        size,
    };
    let p = whole(v).ok_or_else(bad)?;
    let q = if p < 0 { p + size as isize } else { p };
    if q < 0 || q >= size as isize {
        return Err(bad());
    }
    Ok(q as usize)
}

/// How `x[items]` reads `x`: the result shape and, per block of output axes, the offset
/// each position adds (the advanced indices form one block); `base` from the integers.
pub struct IndexPlan {
    pub out: Vec<usize>,
    blocks: Vec<Vec<usize>>,
    base: usize,
}

impl IndexPlan {
    /// The input offset of every output element, row-major.
    pub fn offsets(&self) -> Vec<usize> {
        let mut cur = vec![self.base];
        for b in &self.blocks {
            let mut next = Vec::with_capacity(cur.len() * b.len());
            for &o in &cur {
                next.extend(b.iter().map(|&c| o + c));
            }
            cur = next;
        }
        cur
    }
}

enum Block {
    Basic(Vec<usize>),
    Advanced,
}

/// The shape rule of indexing with any items, as PyTorch: integers remove their axis,
/// slices (any non-zero step) keep it, `None` inserts a size-1 axis, `...` stands for the
/// untouched axes, integer tensors are broadcast together and their shape replaces the
/// axes they index — in place when they are adjacent, first otherwise — and a mask
/// indexes as many axes as it has, selecting where it is non-zero (a 1-D result block).
pub fn index_plan(shape: &[usize], items: &[IndexItem]) -> Result<IndexPlan, TensorError> {
    let ndim = shape.len();
    let mut ellipses = 0;
    let mut consumed = 0;
    for it in items {
        match it {
            IndexItem::Ellipsis => ellipses += 1,
            IndexItem::NewAxis => {}
            IndexItem::Array { values, mask: true } => consumed += values.ndim(),
            _ => consumed += 1,
        }
    }
    if ellipses > 1 {
        return Err(TensorError::op_shape(
            "shape::index",
            "an index can only have a single ellipsis (`...`)".to_string(),
        ));
    }
    if consumed > ndim {
        return Err(TensorError::TooManyIndices {
            given: consumed,
            ndim,
        });
    }
    let st = strides(shape);
    let full = |axis: usize| (0..shape[axis]).map(|j| j * st[axis]).collect::<Vec<_>>();
    let mut axis = 0;
    let mut base = 0usize;
    let mut blocks: Vec<Block> = Vec::new();
    // Advanced arrays (offset contributions) and where each stood among the non-integer items.
    let mut arrays: Vec<ArrayD<usize>> = Vec::new();
    let mut adv_at: Vec<usize> = Vec::new();
    let mut k = 0;
    let push_adv = |blocks: &mut Vec<Block>, k: &mut usize, adv_at: &mut Vec<usize>| {
        if adv_at.is_empty() {
            blocks.push(Block::Advanced);
        }
        adv_at.push(*k);
        *k += 1;
    };
    for (no, it) in items.iter().enumerate() {
        match it {
            IndexItem::At(i) => {
                let size = shape[axis];
                let p = check_value(*i as f32, no, 0, &[], axis, size).map_err(|_| {
                    TensorError::IndexOutOfRange {
                        axis,
                        index: *i,
                        size,
                    }
                })?;
                base += p * st[axis];
                axis += 1;
            }
            IndexItem::Slice { start, stop, step } => {
                let (s, len) = slice_range(shape[axis], *start, *stop, *step)?;
                let c = (0..len)
                    .map(|j| (s as isize + j as isize * step) as usize * st[axis])
                    .collect();
                blocks.push(Block::Basic(c));
                axis += 1;
                k += 1;
            }
            IndexItem::NewAxis => {
                blocks.push(Block::Basic(vec![0]));
                k += 1;
            }
            IndexItem::Ellipsis => {
                for _ in 0..ndim - consumed {
                    blocks.push(Block::Basic(full(axis)));
                    axis += 1;
                    k += 1;
                }
            }
            IndexItem::Positions(ps) => {
                let size = shape[axis];
                let mut c = Vec::with_capacity(ps.len());
                for (j, &p) in ps.iter().enumerate() {
                    let q = check_value(p as f32, no, j, &[ps.len()], axis, size)?;
                    c.push(q * st[axis]);
                }
                arrays.push(ArrayD::from_shape_vec(IxDyn(&[ps.len()]), c).expect("1-D"));
                push_adv(&mut blocks, &mut k, &mut adv_at);
                axis += 1;
            }
            IndexItem::Array {
                values,
                mask: false,
            } => {
                let size = shape[axis];
                let mut c = Vec::with_capacity(values.len());
                for (j, &v) in values.iter().enumerate() {
                    c.push(check_value(v, no, j, values.shape(), axis, size)? * st[axis]);
                }
                arrays.push(ArrayD::from_shape_vec(IxDyn(values.shape()), c).expect("shape"));
                push_adv(&mut blocks, &mut k, &mut adv_at);
                axis += 1;
            }
            IndexItem::Array { values, mask: true } => {
                let m = values.ndim();
                if values.shape() != &shape[axis..axis + m] {
                    return Err(TensorError::MaskShape {
                        item: no,
                        mask: values.shape().to_vec(),
                        indexed: shape[axis..axis + m].to_vec(),
                        axis,
                    });
                }
                let mshape = values.shape().to_vec();
                let mut c = Vec::new();
                for (j, &v) in values.iter().enumerate() {
                    if v != 0.0 {
                        let at = unravel(j, &mshape);
                        c.push(at.iter().enumerate().map(|(d, &p)| p * st[axis + d]).sum());
                    }
                }
                arrays.push(ArrayD::from_shape_vec(IxDyn(&[c.len()]), c).expect("1-D"));
                push_adv(&mut blocks, &mut k, &mut adv_at);
                axis += m;
            }
        }
    }
    while axis < ndim {
        blocks.push(Block::Basic(full(axis)));
        axis += 1;
    }
    // The advanced block: the index arrays broadcast together.
    let mut bshape: Vec<usize> = Vec::new();
    if !arrays.is_empty() {
        bshape = arrays[0].shape().to_vec();
        for a in &arrays[1..] {
            bshape =
                broadcast_shapes(&bshape, a.shape()).map_err(|_| TensorError::IndexBroadcast {
                    shapes: arrays.iter().map(|a| a.shape().to_vec()).collect(),
                })?;
        }
    }
    let adjacent = adv_at.windows(2).all(|w| w[1] == w[0] + 1);
    if !adjacent {
        blocks.retain(|b| !matches!(b, Block::Advanced));
        blocks.insert(0, Block::Advanced);
    }
    let mut out = Vec::new();
    for b in &blocks {
        match b {
            Block::Basic(c) => out.push(c.len()),
            Block::Advanced => out.extend_from_slice(&bshape),
        }
    }
    check_rank(out.len())?;
    checked_numel(&out)?;
    let mut adv = Vec::new();
    if !arrays.is_empty() {
        let mut off = ArrayD::<usize>::zeros(IxDyn(&bshape));
        for a in &arrays {
            off += a;
        }
        adv = off.iter().copied().collect();
    }
    let mut taken = Some(adv);
    let blocks = blocks
        .into_iter()
        .map(|b| match b {
            Block::Basic(c) => c,
            Block::Advanced => taken.take().unwrap_or_default(),
        })
        .collect();
    Ok(IndexPlan { out, blocks, base })
}

/// A `Take` op: output element `e` of `shape` is `t`'s element `offsets[e]` (row-major),
/// or `fill` where the offset is `FILL`. Offsets must be in range (the callers' shape
/// rules check them).
pub fn take_offsets(
    t: &Tensor,
    offsets: Vec<usize>,
    shape: &[usize],
    name: &'static str,
    fill: f32,
) -> Tensor {
    let data = {
        let d = t.data();
        let src = d.as_standard_layout();
        let s = src.as_slice().expect("standard layout");
        offsets
            .iter()
            .map(|&o| if o == FILL { fill } else { s[o] })
            .collect()
    };
    Tensor::from_op(
        from_vec(shape, data),
        Op::Take(Input::new(t), offsets.into_boxed_slice(), name),
    )
}

/// The adjoint of a take: `g` scatter-added into zeros of `shape`.
pub(crate) fn take_grad(shape: &[usize], offsets: &[usize], g: &ArrayD<f32>) -> ArrayD<f32> {
    let n: usize = shape.iter().product();
    let mut z = vec![0f32; n];
    for (&o, &v) in offsets.iter().zip(g.iter()) {
        if o != FILL {
            z[o] += v;
        }
    }
    from_vec(shape, z)
}

/// `x[items]` with advanced items.
pub(crate) fn advanced_index(t: &Tensor, items: &[IndexItem]) -> Result<Tensor, TensorError> {
    let plan = index_plan(&t.shape(), items)?;
    Ok(take_offsets(t, plan.offsets(), &plan.out, "index", 0.0))
}

/// `permute(x, dims)`: output axis `i` is input axis `dims[i]`; each axis once.
pub fn permute_shape(s: &[usize], dims: &[isize]) -> Result<Vec<usize>, TensorError> {
    if dims.len() != s.len() {
        return Err(TensorError::op_shape(
            "shape::permute",
            format!(
                "`permute` needs {} axes for a tensor of shape {}, got {}",
                s.len(),
                super::ShapeFmt(s),
                dims.len()
            ),
        ));
    }
    let mut axes = Vec::with_capacity(dims.len());
    for &d in dims {
        let a = normalize_axis(d, s.len())?;
        if axes.contains(&a) {
            return Err(TensorError::op_shape(
                "shape::permute",
                format!("`permute` got axis {a} twice: each axis must appear once"),
            ));
        }
        axes.push(a);
    }
    Ok(axes)
}

/// `permute(x, dims)`.
pub fn permute(t: &Tensor, dims: &[isize]) -> Result<Tensor, TensorError> {
    let axes = permute_shape(&t.shape(), dims)?;
    Ok(super::shape_ops::permute(t, axes, "permute"))
}

/// `gather(x, dim, index)`: `out[i][j][k] = x[index[i][j][k]][j][k]` (for `dim = 0`); the
/// index has `x`'s rank and no larger sizes off `dim`; the result has the index's shape.
pub fn gather_offsets(
    s: &[usize],
    dim: isize,
    index: &ArrayD<f32>,
) -> Result<Vec<usize>, TensorError> {
    let d = if s.is_empty() && matches!(dim, 0 | -1) {
        0
    } else {
        normalize_axis(dim, s.len())?
    };
    let xs: Vec<usize> = if s.is_empty() { vec![1] } else { s.to_vec() };
    let is: Vec<usize> = if index.ndim() == 0 {
        vec![1]
    } else {
        index.shape().to_vec()
    };
    let fits = |is: &[usize]| {
        is.len() == xs.len()
            && is
                .iter()
                .zip(&xs)
                .enumerate()
                .all(|(k, (&a, &b))| k == d || a <= b)
    };
    if !fits(&is) {
        // One axis short: the index with a size-1 axis inserted at `dim` may fit.
        let mut with_axis = index.shape().to_vec();
        let help = (with_axis.len() + 1 == xs.len())
            .then(|| {
                with_axis.insert(d, 1);
                fits(&with_axis).then(|| {
                    format!(
                        "give the index the input's rank: `index.unsqueeze({d})` has shape {}",
                        super::ShapeFmt(&with_axis)
                    )
                })
            })
            .flatten();
        return Err(TensorError::OpShape {
            code: "shape::gather",
            msg: format!(
                "`gather` needs an index with the input's rank and sizes no larger off axis {d}: input {}, index {}",
                super::ShapeFmt(s),
                super::ShapeFmt(index.shape())
            ),
            help,
        });
    }
    checked_numel(index.shape())?;
    let st = strides(&xs);
    let mut out = Vec::with_capacity(index.len());
    for (j, &v) in index.iter().enumerate() {
        let at = unravel(j, &is);
        let p = check_value(v, 2, j, index.shape(), d, xs[d])?;
        let mut o = p * st[d];
        for (k, &a) in at.iter().enumerate() {
            if k != d {
                o += a * st[k];
            }
        }
        out.push(o);
    }
    Ok(out)
}

/// `gather(x, dim, index)`.
pub fn gather(t: &Tensor, dim: isize, index: &Tensor) -> Result<Tensor, TensorError> {
    let idx = index.data().to_owned();
    let offs = gather_offsets(&t.shape(), dim, &idx)?;
    Ok(take_offsets(t, offs, idx.shape(), "gather", 0.0))
}

/// `index_select(x, dim, index)`: `x` with axis `dim` replaced by the rows `index` (1-D).
pub fn index_select(t: &Tensor, dim: isize, index: &Tensor) -> Result<Tensor, TensorError> {
    let s = t.shape();
    let d = normalize_axis(dim, s.len())?;
    let idx = index.data().to_owned();
    if idx.ndim() > 1 {
        return Err(TensorError::op_shape(
            "shape::index_select",
            format!(
                "`index_select` needs a 1-D index, got shape {}",
                super::ShapeFmt(idx.shape())
            ),
        ));
    }
    let n = idx.len();
    let values = idx.into_shape_with_order(IxDyn(&[n])).expect("1-D");
    let items = IndexItem::along(
        d,
        IndexItem::Array {
            values,
            mask: false,
        },
    );
    let plan = index_plan(&s, &items).map_err(|e| renumber(e, 2))?;
    Ok(take_offsets(
        t,
        plan.offsets(),
        &plan.out,
        "index_select",
        0.0,
    ))
}

/// `embedding(input, weight)`: `weight[input]` for a 2-D weight.
pub fn embedding(input: &Tensor, weight: &Tensor) -> Result<Tensor, TensorError> {
    let ws = weight.shape();
    if ws.len() != 2 {
        return Err(TensorError::op_shape(
            "shape::embedding",
            format!(
                "`embedding` needs a 2-D weight [num_embeddings, embedding_dim], got shape {}",
                super::ShapeFmt(&ws)
            ),
        ));
    }
    // PyTorch's embedding takes no position from the end: a negative index is an error.
    if let Some((j, &v)) = input.data().iter().enumerate().find(|(_, &v)| v < 0.0) {
        let at = super::ShapeFmt(&unravel(j, input.data().shape())).to_string();
        return Err(TensorError::OpShape {
            code: "shape::embedding",
            msg: format!(
                "`embedding` index {v} at position {at} is negative: the table has {} rows, numbered 0 to {}",
                ws[0],
                ws[0].saturating_sub(1)
            ),
            help: Some(
                "an embedding index is a row number from 0; unlike `x[i]`, it does not count \
                 from the end (a padding or unknown token needs a row of its own)"
                    .to_string(),
            ),
        });
    }
    let items = [IndexItem::Array {
        values: input.data().to_owned(),
        mask: false,
    }];
    let plan = index_plan(&ws, &items)?;
    Ok(take_offsets(
        weight,
        plan.offsets(),
        &plan.out,
        "embedding",
        0.0,
    ))
}

/// Index errors from a builtin name the argument, not the index item.
fn renumber(e: TensorError, item: usize) -> TensorError {
    match e {
        TensorError::IndexValue {
            position,
            value,
            axis,
            size,
            ..
        } => TensorError::IndexValue {
            item,
            position,
            value,
            axis,
            size,
        },
        e => e,
    }
}

/// `where(cond, a, b)`: `a` where `cond` is non-zero, else `b`; all three broadcast.
pub fn where_(cond: &Tensor, a: &Tensor, b: &Tensor) -> Result<Tensor, TensorError> {
    let (cs, as_, bs) = (cond.shape(), a.shape(), b.shape());
    let out = broadcast_shapes(&broadcast_shapes(&cs, &as_)?, &bs)?;
    let c = cond
        .data()
        .broadcast(IxDyn(&out))
        .expect("checked")
        .to_owned();
    let data = {
        let (x, y) = (a.data(), b.data());
        let xb = x.broadcast(IxDyn(&out)).expect("checked");
        let yb = y.broadcast(IxDyn(&out)).expect("checked");
        let v: Vec<f32> = c
            .iter()
            .zip(xb.iter().zip(yb.iter()))
            .map(|(&k, (&p, &q))| if k != 0.0 { p } else { q })
            .collect();
        from_vec(&out, v)
    };
    Ok(Tensor::from_op(
        data,
        Op::Where(c, Input::new(a), Input::new(b)),
    ))
}

/// `masked_fill(x, mask, value)`: `value` where `mask` is non-zero; the mask broadcasts
/// to `x`'s shape, which the result keeps.
pub fn masked_fill(x: &Tensor, mask: &Tensor, value: &Tensor) -> Result<Tensor, TensorError> {
    in_place_shape(&x.shape(), &mask.shape())?;
    if value.ndim() != 0 {
        return Err(TensorError::op_shape(
            "shape::masked_fill",
            format!(
                "`masked_fill` needs a number or a 0-d tensor as the value, got shape {}",
                super::ShapeFmt(&value.shape())
            ),
        ));
    }
    where_(mask, value, x)
}

/// Logical ops: their results are masks (0./1.) with no gradient.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum LogicalOp {
    Not,
    And,
    Or,
    Xor,
    /// `x.bool()`: non-zero.
    Bool,
}

/// `logical_not(a)`, `logical_and(a, b)`, ... (`b` for the binary ones).
pub fn logical(op: LogicalOp, a: &Tensor, b: Option<&Tensor>) -> Result<Tensor, TensorError> {
    let x = a.data();
    let out = match b {
        Some(b) => {
            let y = b.data();
            let out = broadcast_shapes(x.shape(), y.shape())?;
            let xb = x.broadcast(IxDyn(&out)).expect("checked");
            let yb = y.broadcast(IxDyn(&out)).expect("checked");
            let f = |p: bool, q: bool| match op {
                LogicalOp::And => p && q,
                LogicalOp::Or => p || q,
                _ => p != q,
            };
            let v = xb
                .iter()
                .zip(yb.iter())
                .map(|(&p, &q)| f(p != 0.0, q != 0.0) as i32 as f32)
                .collect();
            from_vec(&out, v)
        }
        None => {
            let not = op == LogicalOp::Not;
            x.mapv(|p| ((p != 0.0) != not) as i32 as f32)
        }
    };
    let t = Tensor::leaf(out);
    t.set_mask(true);
    Ok(t)
}

impl IndexItem {
    /// The index item for a tensor used as an index: a mask selects where it is
    /// non-zero; otherwise a 0-d tensor is one position and any other tensor holds
    /// positions, which must be whole numbers.
    pub fn from_tensor(t: &Tensor) -> Result<IndexItem, TensorError> {
        let d = t.data();
        if t.is_mask() {
            return Ok(IndexItem::Array {
                values: d.to_owned(),
                mask: true,
            });
        }
        for (j, &v) in d.iter().enumerate() {
            if whole(v).is_none() {
                return Err(TensorError::IndexValue {
                    item: 0,
                    position: unravel(j, d.shape()),
                    value: v,
                    axis: 0,
                    size: 0,
                });
            }
        }
        Ok(match d.ndim() {
            0 => IndexItem::At(whole(d.iter().next().copied().unwrap_or(0.0)).unwrap_or(0)),
            _ => IndexItem::Array {
                values: d.to_owned(),
                mask: false,
            },
        })
    }
}

/// Result shape of `x[items]` (any items: slices, positions, `None`, `...`, tensors).
pub fn index_shape(shape: &[usize], items: &[IndexItem]) -> Result<Vec<usize>, TensorError> {
    if items.iter().any(IndexItem::is_advanced) {
        return Ok(index_plan(shape, items)?.out);
    }
    Ok(super::shape::resolve_index(shape, items)?.1)
}
