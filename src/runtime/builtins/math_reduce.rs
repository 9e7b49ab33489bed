//! Reduction builtins with PyTorch's names and defaults: `logsumexp`, `var`, `std`,
//! `prod`, `norm`, `amax`, `amin`, `all`, `any` over one axis or a list of axes;
//! `cumsum`, `cumprod`; `sort`, `argsort`, `topk` (values and indices as a pair);
//! `median`, `mode` (one value of each lane, and its position).

use crate::runtime::builtins::{Args, Builtin, P};
use crate::runtime::interp::{Interp, R};
use crate::runtime::py::class::named_pair;
use crate::runtime::value::Value;
use crate::syntax::diagnostic::Diagnostic;
use crate::tensor::{self, BinaryOp, LaneOp, ReduceOp, ScanOp, Tensor};

use P::{Kw, Opt, Req};

use super::convert::*;

pub static TABLE: &[Builtin] =
    &[
        b!(
            "logsumexp",
            [Req("x"), Req("dim"), Opt("keepdim", "False")],
            "log(sum(exp(x))) along axes, computed stably",
            "logsumexp(logits, dim=1)",
            f_logsumexp,
            Shapes, lint Reduction
        ),
        b!(
            "var",
            [
                Req("x"),
                Opt("dim", "None"),
                Opt("unbiased", "None"),
                Opt("keepdim", "False"),
                Kw("correction", "1")
            ],
            "variance (divisor n - correction; unbiased=False means correction=0)",
            "var(x, dim=0)",
            f_var,
            Shapes, lint Reduction
        ),
        b!(
            "std",
            [
                Req("x"),
                Opt("dim", "None"),
                Opt("unbiased", "None"),
                Opt("keepdim", "False"),
                Kw("correction", "1")
            ],
            "standard deviation, sqrt(var); gradient 0 where it is 0",
            "std(x, dim=1, keepdim=True)",
            f_std,
            Shapes, lint Reduction
        ),
        b!(
            "prod",
            [Req("x"), Opt("dim", "None"), Opt("keepdim", "False")],
            "product of all values, or along axes",
            "prod(x, dim=0)",
            f_prod,
            Shapes, lint Reduction
        ),
        b!(
        "norm",
        [
            Req("x"),
            Opt("p", "'fro'"),
            Opt("dim", "None"),
            Opt("keepdim", "False")
        ],
        "vector p-norm (p = 'fro' or 2, 1, inf, -inf, 0, any p > 0) of all values or along axes",
        "norm(x, p=1, dim=1)",
        f_norm, Shapes, lint Reduction
    ),
        b!(
            "amax",
            [Req("x"), Opt("dim", "None"), Opt("keepdim", "False")],
            "largest value along axes; the gradient is shared among ties",
            "amax(x, dim=[0, 1])",
            f_amax,
            Shapes, lint Reduction
        ),
        b!(
            "amin",
            [Req("x"), Opt("dim", "None"), Opt("keepdim", "False")],
            "smallest value along axes; the gradient is shared among ties",
            "amin(x, dim=1)",
            f_amin,
            Shapes, lint Reduction
        ),
        b!(
            "all",
            [Req("x"), Opt("dim", "None"), Opt("keepdim", "False")],
            "whether every value is non-zero (a 0./1. mask tensor); for a list, Python's all",
            "all(x > 0)",
            f_all,
            Shapes, lint Reduction
        ),
        b!(
            "any",
            [Req("x"), Opt("dim", "None"), Opt("keepdim", "False")],
            "whether some value is non-zero (a 0./1. mask tensor); for a list, Python's any",
            "any(isnan(x))",
            f_any,
            Shapes, lint Reduction
        ),
        b!(
            "cumsum",
            [Req("x"), Req("dim")],
            "running sum along an axis",
            "cumsum(x, dim=0)",
            f_cumsum,
            Shapes
        ),
        b!(
            "cumprod",
            [Req("x"), Req("dim")],
            "running product along an axis",
            "cumprod(x, dim=0)",
            f_cumprod,
            Shapes
        ),
        b!(
            "sort",
            [
                Req("x"),
                Opt("dim", "-1"),
                Opt("descending", "False"),
                Kw("stable", "False")
            ],
            "(values, indices) sorted along an axis (always stable; NaN counts as largest)",
            "values, idx = sort(x)",
            f_sort,
            ShapesPair
        ),
        b!(
            "argsort",
            [
                Req("x"),
                Opt("dim", "-1"),
                Opt("descending", "False"),
                Kw("stable", "False")
            ],
            "the indices that sort x along an axis (stable)",
            "argsort(x, descending=True)",
            f_argsort,
            Shapes
        ),
        b!(
            "median",
            [Req("input"), Opt("dim", "None"), Opt("keepdim", "False")],
            "median(x): the lower of the two middle values of all of x (0-d); median(x, dim): the (values, indices) pair along dim",
            "values, idx = median(x, dim=1)",
            f_median,
            ShapesPair
        ),
        b!(
            "mode",
            [Req("input"), Opt("dim", "-1"), Opt("keepdim", "False")],
            "(values, indices) of the most frequent value along an axis (the smallest of ties, at its last position)",
            "values, idx = mode(labels, dim=0)",
            f_mode,
            ShapesPair
        ),
        b!(
        "topk",
        [
            Req("x"),
            Req("k"),
            Opt("dim", "-1"),
            Opt("largest", "True"),
            Opt("sorted", "True")
        ],
        "(values, indices) of the k largest (or smallest) along an axis; ties: lower index first",
        "topk(probs, 3)",
        f_topk, ShapesPair
    ),
    ];

/// An axis argument: `None`, one axis, or a list or tuple of axes.
pub(super) fn dims_arg(interp: &Interp, a: &Args, i: usize) -> R<Option<Vec<isize>>> {
    match a.get(i).cloned().map(Value::listlike).as_ref() {
        None => Ok(None),
        Some(Value::List(l)) => {
            let items = l.borrow().clone();
            let mut out = Vec::with_capacity(items.len());
            for v in &items {
                out.push(interp.int_of(v, a.span(i))? as isize);
            }
            Ok(Some(out))
        }
        Some(v) => Ok(Some(vec![interp.int_of(v, a.span(i))? as isize])),
    }
}

fn lanes(interp: &mut Interp, a: &mut Args, op: LaneOp, dim: usize, keep: usize) -> R<Value> {
    let t = a.tensor(interp, 0)?;
    let dims = dims_arg(interp, a, dim)?;
    let keepdim = a.bool_or(interp, keep, false)?;
    let out =
        tensor::lanes(op, &t, dims.as_deref(), keepdim).map_err(|e| a.fail(interp, e, &[0]))?;
    interp.check_finite(&out, &[&t], a.callee, a.builtin.name);
    tensor_value(out)
}

fn f_logsumexp(interp: &mut Interp, a: &mut Args) -> R<Value> {
    lanes(interp, a, LaneOp::LogSumExp, 1, 2)
}

/// `correction=` wins; `unbiased=False` means 0; the default is 1.
fn correction(interp: &Interp, a: &Args) -> R<f32> {
    if a.get(4).is_some() {
        return Ok(a.number(interp, 4)? as f32);
    }
    Ok(if a.bool_or(interp, 2, true)? {
        1.0
    } else {
        0.0
    })
}

fn f_var(interp: &mut Interp, a: &mut Args) -> R<Value> {
    let c = correction(interp, a)?;
    lanes(interp, a, LaneOp::Var(c), 1, 3)
}

fn f_std(interp: &mut Interp, a: &mut Args) -> R<Value> {
    let c = correction(interp, a)?;
    lanes(interp, a, LaneOp::Std(c), 1, 3)
}

fn f_prod(interp: &mut Interp, a: &mut Args) -> R<Value> {
    lanes(interp, a, LaneOp::Prod, 1, 2)
}

fn f_amax(interp: &mut Interp, a: &mut Args) -> R<Value> {
    lanes(interp, a, LaneOp::AMax, 1, 2)
}

fn f_amin(interp: &mut Interp, a: &mut Args) -> R<Value> {
    lanes(interp, a, LaneOp::AMin, 1, 2)
}

fn f_norm(interp: &mut Interp, a: &mut Args) -> R<Value> {
    let p = match a.get(1) {
        None => 2.0,
        Some(Value::Str(s)) if &**s == "fro" => 2.0,
        Some(Value::Str(s)) if &**s == "inf" => f64::INFINITY,
        Some(Value::Str(s)) => {
            return Err(interp.fail(
                Diagnostic::error("value::argument", format!("`norm` has no p = '{s}'"))
                    .primary(a.span(1), "unsupported norm")
                    .help("vector norms: p = 'fro' (2, the default), 1, 2, float('inf'), float('-inf'), 0, or any p > 0"),
            ))
        }
        Some(_) => a.number(interp, 1)?,
    };
    if p.is_nan() || p < 0.0 && p != f64::NEG_INFINITY {
        return Err(interp.fail(
            Diagnostic::error("value::argument", format!("`norm` needs p >= 0 or -inf, found {p}"))
                .primary(a.span(1), "this p")
                .help("vector norms: p = 'fro' (2, the default), 1, 2, float('inf'), float('-inf'), 0, or any p > 0"),
        ));
    }
    lanes(interp, a, LaneOp::Norm(p as f32), 2, 3)
}

/// `all`/`any` of a tensor as comparisons: `sum(x == 0) == 0` and `sum(x != 0) > 0`, so the
/// result is a mask made on the same path as `==`.
fn all_any(interp: &mut Interp, a: &mut Args, all: bool) -> R<Value> {
    if let Value::List(l) = a.value(0).listlike() {
        let items = l.borrow().clone();
        for v in &items {
            if interp.truthy(v, a.span(0))? != all {
                return Ok(Value::Bool(!all));
            }
        }
        return Ok(Value::Bool(all));
    }
    if !matches!(a.value(0), Value::Tensor(_)) {
        let v = a.value(0);
        return Err(interp.fail(
            Diagnostic::error(
                "type::argument",
                format!(
                    "`{}` needs a tensor or a list, found a {}",
                    a.builtin.name,
                    v.kind()
                ),
            )
            .primary(a.span(0), format!("this is a {}", v.kind())),
        ));
    }
    let t = a.tensor(interp, 0)?;
    let dims = dims_arg(interp, a, 1)?;
    let keepdim = a.bool_or(interp, 2, false)?;
    let zero = Tensor::constant(0.0);
    let r = (|| {
        let hits = tensor::binary(if all { BinaryOp::Eq } else { BinaryOp::Ne }, &t, &zero)?;
        let count = sum_dims(&hits, dims.as_deref(), keepdim)?;
        tensor::binary(if all { BinaryOp::Eq } else { BinaryOp::Gt }, &count, &zero)
    })();
    r.map(Value::Tensor).map_err(|e| a.fail(interp, e, &[0]))
}

/// `sum`/`mean` over one axis, a list of axes (each in turn, last first), or all.
pub(super) fn sum_dims_op(
    op: ReduceOp,
    t: &Tensor,
    dims: Option<&[isize]>,
    keepdim: bool,
) -> Result<Tensor, tensor::TensorError> {
    let shape = t.shape();
    match dims {
        None => tensor::reduce(op, t, None, keepdim),
        Some([d]) => tensor::reduce(op, t, Some(*d), keepdim),
        Some(ds) => {
            // The shape rule checks the list (range, repeats) before anything runs.
            let (_, axes) = tensor::shape_math::dims_shape(&shape, Some(ds), keepdim)?;
            if shape.is_empty() || axes.len() == shape.len() {
                return tensor::reduce(op, t, None, keepdim);
            }
            let mut cur = t.clone();
            for &ax in axes.iter().rev() {
                cur = tensor::reduce(op, &cur, Some(ax as isize), keepdim)?;
            }
            Ok(cur)
        }
    }
}

fn sum_dims(
    t: &Tensor,
    dims: Option<&[isize]>,
    keepdim: bool,
) -> Result<Tensor, tensor::TensorError> {
    sum_dims_op(ReduceOp::Sum, t, dims, keepdim)
}

fn f_all(interp: &mut Interp, a: &mut Args) -> R<Value> {
    all_any(interp, a, true)
}

fn f_any(interp: &mut Interp, a: &mut Args) -> R<Value> {
    all_any(interp, a, false)
}

fn scan(interp: &mut Interp, a: &mut Args, op: ScanOp) -> R<Value> {
    let t = a.tensor(interp, 0)?;
    let dim = a.int(interp, 1)? as isize;
    let out = tensor::scan(op, &t, dim).map_err(|e| a.fail(interp, e, &[0]))?;
    tensor_value(out)
}

fn f_cumsum(interp: &mut Interp, a: &mut Args) -> R<Value> {
    scan(interp, a, ScanOp::CumSum)
}

fn f_cumprod(interp: &mut Interp, a: &mut Args) -> R<Value> {
    scan(interp, a, ScanOp::CumProd)
}

fn sorted(interp: &mut Interp, a: &mut Args, k: Option<i64>) -> R<(Tensor, Tensor)> {
    let t = a.tensor(interp, 0)?;
    let (dim_slot, desc) = match k {
        Some(_) => (2, a.bool_or(interp, 3, true)?),
        None => (1, a.bool_or(interp, 2, false)?),
    };
    let dim = match a.get(dim_slot) {
        None => -1,
        Some(_) => a.int(interp, dim_slot)? as isize,
    };
    tensor::sort_along(&t, dim, desc, k).map_err(|e| a.fail(interp, e, &[0]))
}

fn f_sort(interp: &mut Interp, a: &mut Args) -> R<Value> {
    let (v, i) = sorted(interp, a, None)?;
    Ok(named_pair(
        "sort",
        Value::Tensor(v),
        Value::Tensor(i),
        interp.builtins,
    ))
}

fn f_argsort(interp: &mut Interp, a: &mut Args) -> R<Value> {
    let (_, i) = sorted(interp, a, None)?;
    Ok(Value::Tensor(i))
}

fn f_topk(interp: &mut Interp, a: &mut Args) -> R<Value> {
    let k = a.int(interp, 1)?;
    let (v, i) = sorted(interp, a, Some(k))?;
    Ok(named_pair(
        "topk",
        Value::Tensor(v),
        Value::Tensor(i),
        interp.builtins,
    ))
}

/// `x` as one lane along axis 0 (`median(x)` of all values).
fn flat(interp: &Interp, a: &Args, t: &Tensor) -> R<Tensor> {
    tensor::reshape(t, &[t.numel() as isize]).map_err(|e| a.fail(interp, e, &[0]))
}

/// The lower middle position of a lane, as PyTorch's `median`.
fn lower_middle(lane: &[f32]) -> usize {
    tensor::kth_position(lane, lane.len().saturating_sub(1) / 2)
}

fn f_median(interp: &mut Interp, a: &mut Args) -> R<Value> {
    let t = a.tensor(interp, 0)?;
    let keepdim = a.bool_or(interp, 2, false)?;
    match a.axis(interp, 1)? {
        None => {
            let f = flat(interp, a, &t)?;
            let (v, _) = tensor::pick_along(&f, 0, false, "median", lower_middle)
                .map_err(|e| a.fail(interp, e, &[0]))?;
            Ok(Value::Tensor(v))
        }
        Some(d) => {
            let (v, i) = tensor::pick_along(&t, d, keepdim, "median", lower_middle)
                .map_err(|e| a.fail(interp, e, &[0]))?;
            Ok(named_pair(
                "median",
                Value::Tensor(v),
                Value::Tensor(i),
                interp.builtins,
            ))
        }
    }
}

fn f_mode(interp: &mut Interp, a: &mut Args) -> R<Value> {
    let t = a.tensor(interp, 0)?;
    let d = a.axis(interp, 1)?.unwrap_or(-1);
    let keepdim = a.bool_or(interp, 2, false)?;
    let (v, i) = tensor::pick_along(&t, d, keepdim, "mode", tensor::mode_position)
        .map_err(|e| a.fail(interp, e, &[0]))?;
    Ok(named_pair(
        "mode",
        Value::Tensor(v),
        Value::Tensor(i),
        interp.builtins,
    ))
}

/// `np.median`: the mean of the two middle values when a lane's length is even.
pub(crate) fn numpy_median(interp: &mut Interp, a: &mut Args) -> R<Value> {
    let t = a.tensor(interp, 0)?;
    let keepdims = a.bool_or(interp, 2, false)?;
    let (t, d, keepdims) = match a.axis(interp, 1)? {
        None => (flat(interp, a, &t)?, 0, false),
        Some(d) => (t, d, keepdims),
    };
    let upper = |lane: &[f32]| tensor::kth_position(lane, lane.len() / 2);
    let fail = |e| a.fail(interp, e, &[0]);
    let (lo, _) = tensor::pick_along(&t, d, keepdims, "median", lower_middle).map_err(fail)?;
    let (hi, _) = tensor::pick_along(&t, d, keepdims, "median", upper).map_err(fail)?;
    let sum = tensor::binary(BinaryOp::Add, &lo, &hi).map_err(fail)?;
    let half = tensor::full(&[], 0.5).map_err(fail)?;
    tensor::binary(BinaryOp::Mul, &sum, &half)
        .map(Value::Tensor)
        .map_err(|e| a.fail(interp, e, &[0]))
}
