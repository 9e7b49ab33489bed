//! PyTorch's and numpy's comparisons and selections built on the tensor core:
//! `isclose` (and `allclose` over the same test), `outer` (through the graph, so it has
//! a gradient), and the data-dependent `nonzero` and `unique`, whose results have no
//! gradient (positions and distinct values).

use crate::runtime::interp::{Interp, R};
use crate::runtime::value::{Args, Builtin, Value, P};
use crate::tensor::{self, Tensor, TensorError};
use ndarray::{ArrayD, IxDyn};

use P::{Kw, Opt, Req};

pub static TABLE: &[Builtin] = &[
    b!("isclose", [Req("input"), Req("other"), Opt("rtol", "1e-05"), Opt("atol", "1e-08"), Kw("equal_nan", "False")], "a mask: where |input - other| <= atol + rtol * |other| (broadcast)", "torch.isclose(a, b, atol=1e-6)", f_isclose, Shapes),
    b!("allclose", [Req("input"), Req("other"), Opt("rtol", "1e-05"), Opt("atol", "1e-08"), Kw("equal_nan", "False")], "whether |input - other| <= atol + rtol * |other| everywhere (broadcast)", "torch.allclose(a, b)", f_allclose),
    b!("outer", [Req("a"), Req("b")], "the outer product of two 1-D tensors: out[i, j] = a[i] * b[j] (with its gradient)", "torch.outer(u, v)", f_outer, Shapes),
    b!("nonzero", [Req("input"), Kw("as_tuple", "False")], "the positions of the non-zero elements: a [count, ndim] tensor (as_tuple=True: one 1-D tensor per axis)", "torch.nonzero(y == 1)", f_nonzero),
    b!("np.nonzero", [Req("a")], "numpy's nonzero: a tuple of 1-D tensors, the positions of the non-zero elements along each axis", "rows, cols = np.nonzero(A)", f_np_nonzero),
    b!("unique", [Req("input"), Kw("sorted", "True"), Kw("return_inverse", "False"), Kw("return_counts", "False"), Kw("dim", "None")], "the distinct values, sorted (with return_inverse / return_counts: a tuple with each element's position among them / how often each occurs)", "classes, counts = torch.unique(y, return_counts=True)", f_unique),
];

/// Where `|x - y| <= atol + rtol * |y|`, over the broadcast shape of the first two
/// arguments (`equal_nan`: two nans are close).
fn close_mask(interp: &mut Interp, a: &Args) -> R<ArrayD<bool>> {
    let (x, y) = (a.tensor(interp, 0)?, a.tensor(interp, 1)?);
    let rtol = a.number_or(interp, 2, 1e-5)?;
    let atol = a.number_or(interp, 3, 1e-8)?;
    let equal_nan = a.bool_or(interp, 4, false)?;
    // The broadcast shape, and its errors, are the subtraction's.
    let diff = tensor::binary(tensor::BinaryOp::Sub, &x.detach(), &y.detach())
        .map_err(|e| a.fail(interp, e, &[0, 1]))?;
    let d = diff.data();
    let (xs, ys) = (x.data(), y.data());
    let (Some(xb), Some(yb)) = (xs.broadcast(d.raw_dim()), ys.broadcast(d.raw_dim())) else {
        return Ok(ArrayD::from_elem(d.raw_dim(), false));
    };
    let mut out = ArrayD::from_elem(d.raw_dim(), false);
    ndarray::Zip::from(&mut out)
        .and(&xb)
        .and(&yb)
        .for_each(|o, &p, &q| {
            let (p, q) = (f64::from(p), f64::from(q));
            *o = if p.is_nan() || q.is_nan() {
                equal_nan && p.is_nan() && q.is_nan()
            } else if p == q {
                // Equal infinities are close.
                true
            } else {
                (p - q).abs() <= atol + rtol * q.abs()
            };
        });
    Ok(out)
}

fn f_isclose(interp: &mut Interp, a: &mut Args) -> R<Value> {
    let mask = close_mask(interp, a)?;
    let t = Tensor::leaf(mask.mapv(|b| f32::from(u8::from(b))));
    t.set_mask(true);
    Ok(Value::Tensor(t))
}

fn f_allclose(interp: &mut Interp, a: &mut Args) -> R<Value> {
    Ok(Value::Bool(close_mask(interp, a)?.iter().all(|&b| b)))
}

fn f_outer(interp: &mut Interp, a: &mut Args) -> R<Value> {
    let (u, v) = (a.tensor(interp, 0)?, a.tensor(interp, 1)?);
    for (i, t) in [(0, &u), (1, &v)] {
        if t.ndim() != 1 {
            let e = TensorError::OpShape {
                code: "shape::outer",
                msg: format!(
                    "`outer` needs two 1-D tensors; `{}` has shape {:?}",
                    ["a", "b"][i],
                    t.shape()
                ),
                help: Some(
                    "flatten it first (`x.flatten()`); for the outer products of rows, write `u[:, :, None] * v[:, None, :]`"
                        .to_string(),
                ),
            };
            return Err(a.fail(interp, e, &[i]));
        }
    }
    // u[:, None] * v[None, :], recorded in the graph.
    let col = tensor::unsqueeze(&u, 1).map_err(|e| a.fail(interp, e, &[0]))?;
    let row = tensor::unsqueeze(&v, 0).map_err(|e| a.fail(interp, e, &[1]))?;
    let out = tensor::binary(tensor::BinaryOp::Mul, &col, &row)
        .map_err(|e| a.fail(interp, e, &[0, 1]))?;
    Ok(Value::Tensor(out))
}

fn f_nonzero(interp: &mut Interp, a: &mut Args) -> R<Value> {
    let as_tuple = a.bool_or(interp, 1, false)?;
    nonzero(&a.tensor(interp, 0)?, as_tuple)
}

fn f_np_nonzero(interp: &mut Interp, a: &mut Args) -> R<Value> {
    nonzero(&a.tensor(interp, 0)?, true)
}

/// The positions of `x`'s non-zero elements, in row-major order: a [count, ndim] tensor,
/// or (`as_tuple`) one 1-D tensor per axis.
fn nonzero(x: &Tensor, as_tuple: bool) -> R<Value> {
    let data = x.data();
    let shape = data.shape().to_vec();
    let ndim = shape.len();
    let positions: Vec<Vec<usize>> = data
        .indexed_iter()
        .filter(|(_, &v)| v != 0.0)
        .map(|(ix, _)| (0..ndim).map(|k| ix[k]).collect())
        .collect();
    let count = positions.len();
    if as_tuple {
        // One 1-D tensor of positions per axis (a 0-d input counts as 1-D).
        let axes = ndim.max(1);
        let tensors = (0..axes)
            .map(|k| {
                let col: Vec<f32> = positions
                    .iter()
                    .map(|p| p.get(k).copied().unwrap_or(0) as f32)
                    .collect();
                Value::Tensor(Tensor::leaf(
                    ArrayD::from_shape_vec(IxDyn(&[count]), col)
                        .unwrap_or_else(|_| ArrayD::zeros(IxDyn(&[0]))),
                ))
            })
            .collect();
        return Ok(Value::tuple(tensors));
    }
    let flat: Vec<f32> = positions.iter().flatten().map(|&i| i as f32).collect();
    let out = ArrayD::from_shape_vec(IxDyn(&[count, ndim]), flat)
        .unwrap_or_else(|_| ArrayD::zeros(IxDyn(&[0, ndim])));
    Ok(Value::Tensor(Tensor::leaf(out)))
}

fn f_unique(interp: &mut Interp, a: &mut Args) -> R<Value> {
    let x = a.tensor(interp, 0)?;
    let inverse = a.bool_or(interp, 2, false)?;
    let counts = a.bool_or(interp, 3, false)?;
    if a.get(4).is_some() {
        return Err(interp.fail(
            crate::syntax::diagnostic::Diagnostic::error(
                "call::unsupported",
                "tsr's `unique` finds distinct values, not distinct rows or slices (`dim=`)",
            )
            .primary(a.span(4), "`dim` is not supported")
            .help("for distinct rows, compare rows with `==` and `.all(dim=1)`, or leave out `dim` for distinct values"),
        ));
    }
    let data = x.data();
    let vals: Vec<f32> = data.iter().copied().collect();
    let mut distinct = vals.clone();
    // nan sorts last and each nan is distinct, as PyTorch's sorted unique.
    distinct.sort_by(|p, q| p.total_cmp(q));
    distinct.dedup_by(|p, q| p == q);
    let n = distinct.len();
    let values = Value::Tensor(Tensor::leaf(
        ArrayD::from_shape_vec(IxDyn(&[n]), distinct.clone())
            .unwrap_or_else(|_| ArrayD::zeros(IxDyn(&[0]))),
    ));
    if !inverse && !counts {
        return Ok(values);
    }
    let position = |v: f32| distinct.partition_point(|d| d.total_cmp(&v).is_lt());
    let mut out = vec![values];
    if inverse {
        let inv: Vec<f32> = vals.iter().map(|&v| position(v) as f32).collect();
        let inv = ArrayD::from_shape_vec(data.raw_dim(), inv)
            .unwrap_or_else(|_| ArrayD::zeros(IxDyn(&[0])));
        out.push(Value::Tensor(Tensor::leaf(inv)));
    }
    if counts {
        let mut c = vec![0f32; n];
        for &v in &vals {
            if let Some(slot) = c.get_mut(position(v)) {
                *slot += 1.0;
            }
        }
        let c =
            ArrayD::from_shape_vec(IxDyn(&[n]), c).unwrap_or_else(|_| ArrayD::zeros(IxDyn(&[0])));
        out.push(Value::Tensor(Tensor::leaf(c)));
    }
    Ok(Value::tuple(out))
}
