//! Tensor ops as builtins: shapes and movement, elementwise functions, reductions and
//! losses. Each converts its arguments and calls one op of the tensor core.

use crate::runtime::interp::{Interp, R};
use crate::runtime::value::Value;
use crate::runtime::value::{Args, Builtin, P};
use crate::syntax::diagnostic::Diagnostic;
use crate::tensor::{self, Tensor};

use P::{Kw, Opt, Req, Var};

use super::convert::*;

pub static TABLE: &[Builtin] = &[
    // ---- shapes
    b!(
        "reshape",
        [Req("x"), Var("dims")],
        "the same values in a new shape; one size may be -1",
        "reshape(x, 3, -1)",
        f_reshape,
        Reshape
    ),
    b!(
        "flatten",
        [Req("x")],
        "the values as a 1-D tensor",
        "flatten(x)",
        f_flatten,
        Flatten
    ),
    b!(
        "transpose",
        [Req("x"), Req("axis0"), Req("axis1")],
        "swap two axes",
        "transpose(x, 0, 1)",
        f_transpose,
        Transpose
    ),
    b!(
        "squeeze",
        [Req("x"), Opt("axis", "None")],
        "remove an axis of size 1 (all of them without axis)",
        "squeeze(x, 1)",
        f_squeeze,
        Squeeze
    ),
    b!(
        "unsqueeze",
        [Req("x"), Req("axis")],
        "insert an axis of size 1",
        "unsqueeze(x, 0)",
        f_unsqueeze,
        Unsqueeze
    ),
    b!(
        "cat",
        [Req("tensors"), Opt("axis", "0")],
        "join tensors along an existing axis",
        "cat([a, b], axis=0)",
        f_cat,
        Cat
    ),
    b!(
        "stack",
        [Req("tensors"), Opt("axis", "0")],
        "join tensors along a new axis",
        "stack([a, b])",
        f_stack,
        Stack
    ),
    b!(
        "numel",
        [Req("x")],
        "the number of elements of a tensor",
        "numel(x)",
        f_numel,
        Numel
    ),
    // ---- elementwise
    b!(
        "exp",
        [Req("x")],
        "e to the power x, elementwise",
        "exp(x)",
        f_exp, pure Elementwise
    ),
    b!(
        "log",
        [Req("x")],
        "natural logarithm, elementwise",
        "log(x)",
        f_log, pure Elementwise
    ),
    b!(
        "sqrt",
        [Req("x")],
        "square root, elementwise",
        "sqrt(x)",
        f_sqrt, pure Elementwise
    ),
    b!(
        "abs",
        [Req("x")],
        "absolute value, elementwise",
        "abs(x)",
        f_abs, pure Elementwise
    ),
    b!(
        "relu",
        [Req("x")],
        "max(x, 0), elementwise",
        "relu(X @ W.T)",
        f_relu, pure Elementwise
    ),
    b!(
        "sigmoid",
        [Req("x")],
        "1 / (1 + exp(-x)), elementwise",
        "sigmoid(z)",
        f_sigmoid, pure Elementwise
    ),
    b!(
        "tanh",
        [Req("x")],
        "hyperbolic tangent, elementwise",
        "tanh(z)",
        f_tanh, pure Elementwise
    ),
    b!(
        "leaky_relu",
        [Req("x"), Opt("slope", "0.01")],
        "x where x > 0, slope * x elsewhere",
        "leaky_relu(z, slope=0.1)",
        f_leaky_relu, pure Elementwise
    ),
    b!(
        "clamp",
        [Req("x"), Opt("lo", "None"), Opt("hi", "None")],
        "limit values to [lo, hi]",
        "clamp(p, 1e-7, 1)",
        f_clamp, pure Elementwise
    ),
    b!(
        "maximum",
        [Req("a"), Req("b")],
        "elementwise maximum of two tensors (broadcasting)",
        "maximum(x, 0)",
        f_maximum, pure Broadcast2
    ),
    b!(
        "minimum",
        [Req("a"), Req("b")],
        "elementwise minimum of two tensors (broadcasting)",
        "minimum(x, 1)",
        f_minimum, pure Broadcast2
    ),
    // ---- reductions
    b!(
        "sum",
        [Req("x"), Opt("axis", "None"), Opt("keepdim", "False")],
        "sum of all values, or along an axis",
        "sum(x, axis=1, keepdim=True)",
        f_sum,
        Sum
    ),
    b!(
        "mean",
        [Req("x"), Opt("axis", "None"), Opt("keepdim", "False")],
        "mean of all values, or along an axis",
        "mean(x, axis=0)",
        f_mean,
        Reduce
    ),
    b!(
        "max",
        [
            Req("x"),
            Opt("other", "None"),
            Kw("axis", "None"),
            Kw("keepdim", "False")
        ],
        "largest value (along an axis); max(a, b) is elementwise",
        "max(x, axis=1)",
        f_max,
        Extreme
    ),
    b!(
        "min",
        [
            Req("x"),
            Opt("other", "None"),
            Kw("axis", "None"),
            Kw("keepdim", "False")
        ],
        "smallest value (along an axis); min(a, b) is elementwise",
        "min(x, axis=1)",
        f_min,
        Extreme
    ),
    b!(
        "argmax",
        [Req("x"), Opt("axis", "None")],
        "index of the largest value (flat, or along an axis)",
        "argmax(logits, 1)",
        f_argmax,
        ArgExtreme
    ),
    b!(
        "argmin",
        [Req("x"), Opt("axis", "None")],
        "index of the smallest value (flat, or along an axis)",
        "argmin(x)",
        f_argmin,
        ArgExtreme
    ),
    b!(
        "softmax",
        [Req("x"), Opt("axis", "-1")],
        "exp(x) normalised to sum 1 along an axis",
        "softmax(logits)",
        f_softmax,
        Softmax
    ),
    b!(
        "log_softmax",
        [Req("x"), Opt("axis", "-1")],
        "log of softmax, computed stably",
        "log_softmax(logits)",
        f_log_softmax,
        Softmax
    ),
    // ---- losses
    b!(
        "mse",
        [Req("pred"), Req("target")],
        "mean squared error; both shapes must be equal",
        "mse(pred, y)",
        f_mse,
        Loss
    ),
    b!(
        "bce",
        [Req("prob"), Req("target")],
        "binary cross-entropy of probabilities (logs clamped at -100)",
        "bce(sigmoid(z), y)",
        f_bce,
        Loss
    ),
    b!(
        "bce_logits",
        [Req("logits"), Req("target")],
        "binary cross-entropy of logits, computed stably",
        "bce_logits(z, y)",
        f_bce_logits,
        Loss
    ),
    b!(
        "cross_entropy",
        [Req("logits"), Req("target")],
        "softmax cross-entropy; target is class indices [N] or probabilities [N, C]",
        "cross_entropy(logits, labels)",
        f_cross_entropy,
        CrossEntropy
    ),
];

// ------------------------------------------------------------------ shapes

fn f_reshape(interp: &mut Interp, a: &mut Args) -> R<Value> {
    let t = a.tensor(interp, 0)?;
    let (dims, _) = a.dims(interp, 1)?;
    let spec: Vec<isize> = dims.iter().map(|&d| d as isize).collect();
    tensor::reshape(&t, &spec)
        .map(Value::Tensor)
        .map_err(|e| a.fail(interp, e, &[0]))
}

fn f_flatten(interp: &mut Interp, a: &mut Args) -> R<Value> {
    let t = a.tensor(interp, 0)?;
    tensor::flatten(&t)
        .map(Value::Tensor)
        .map_err(|e| a.fail(interp, e, &[0]))
}

fn f_transpose(interp: &mut Interp, a: &mut Args) -> R<Value> {
    let t = a.tensor(interp, 0)?;
    let x = a.int(interp, 1)? as isize;
    let y = a.int(interp, 2)? as isize;
    tensor::transpose(&t, x, y)
        .map(Value::Tensor)
        .map_err(|e| a.fail(interp, e, &[0]))
}

fn f_squeeze(interp: &mut Interp, a: &mut Args) -> R<Value> {
    let t = a.tensor(interp, 0)?;
    let axis = a.axis(interp, 1)?;
    tensor::squeeze(&t, axis)
        .map(Value::Tensor)
        .map_err(|e| a.fail(interp, e, &[0]))
}

fn f_unsqueeze(interp: &mut Interp, a: &mut Args) -> R<Value> {
    let t = a.tensor(interp, 0)?;
    let axis = a.int(interp, 1)? as isize;
    tensor::unsqueeze(&t, axis)
        .map(Value::Tensor)
        .map_err(|e| a.fail(interp, e, &[0]))
}

fn f_cat(interp: &mut Interp, a: &mut Args) -> R<Value> {
    let ts = tensor_list(interp, a, 0)?;
    let axis = a.axis(interp, 1)?.unwrap_or(0);
    tensor::cat(&ts, axis)
        .map(Value::Tensor)
        .map_err(|e| a.fail(interp, e, &[0]))
}

fn f_stack(interp: &mut Interp, a: &mut Args) -> R<Value> {
    let ts = tensor_list(interp, a, 0)?;
    let axis = a.axis(interp, 1)?.unwrap_or(0);
    tensor::stack(&ts, axis)
        .map(Value::Tensor)
        .map_err(|e| a.fail(interp, e, &[0]))
}

fn f_numel(interp: &mut Interp, a: &mut Args) -> R<Value> {
    let t = a.tensor(interp, 0)?;
    Ok(Value::Number(t.numel() as f64))
}

// ------------------------------------------------------------------ elementwise

fn f_exp(i: &mut Interp, a: &mut Args) -> R<Value> {
    unary_fn(i, a, tensor::UnaryOp::Exp, f64::exp)
}
fn f_log(i: &mut Interp, a: &mut Args) -> R<Value> {
    unary_fn(i, a, tensor::UnaryOp::Log, f64::ln)
}
fn f_sqrt(i: &mut Interp, a: &mut Args) -> R<Value> {
    unary_fn(i, a, tensor::UnaryOp::Sqrt, f64::sqrt)
}
fn f_abs(i: &mut Interp, a: &mut Args) -> R<Value> {
    unary_fn(i, a, tensor::UnaryOp::Abs, f64::abs)
}
fn f_relu(i: &mut Interp, a: &mut Args) -> R<Value> {
    unary_fn(
        i,
        a,
        tensor::UnaryOp::Relu,
        |x| if x > 0.0 { x } else { 0.0 },
    )
}
fn f_sigmoid(i: &mut Interp, a: &mut Args) -> R<Value> {
    unary_fn(i, a, tensor::UnaryOp::Sigmoid, |x| 1.0 / (1.0 + (-x).exp()))
}
fn f_tanh(i: &mut Interp, a: &mut Args) -> R<Value> {
    unary_fn(i, a, tensor::UnaryOp::Tanh, f64::tanh)
}

fn f_leaky_relu(interp: &mut Interp, a: &mut Args) -> R<Value> {
    let slope = a.number_or(interp, 1, 0.01)?;
    if let Value::Number(x) = a.value(0) {
        return Ok(Value::Number(if x > 0.0 { x } else { slope * x }));
    }
    let t = a.tensor(interp, 0)?;
    tensor_value(tensor::unary(tensor::UnaryOp::LeakyRelu(slope as f32), &t))
}

fn f_clamp(interp: &mut Interp, a: &mut Args) -> R<Value> {
    let lo = match a.get(1) {
        Some(_) => a.number(interp, 1)?,
        None => f64::NEG_INFINITY,
    };
    let hi = match a.get(2) {
        Some(_) => a.number(interp, 2)?,
        None => f64::INFINITY,
    };
    if let Value::Number(x) = a.value(0) {
        return Ok(Value::Number(x.max(lo).min(hi)));
    }
    let t = a.tensor(interp, 0)?;
    tensor_value(tensor::unary(
        tensor::UnaryOp::Clamp(lo as f32, hi as f32),
        &t,
    ))
}

fn elementwise2(
    interp: &mut Interp,
    a: &mut Args,
    op: tensor::BinaryOp,
    number: fn(f64, f64) -> f64,
    i: usize,
    j: usize,
) -> R<Value> {
    if let (Value::Number(x), Value::Number(y)) = (a.value(i), a.value(j)) {
        return Ok(Value::Number(number(x, y)));
    }
    let x = a.tensor(interp, i)?;
    let y = a.tensor(interp, j)?;
    tensor::binary(op, &x, &y)
        .map(Value::Tensor)
        .map_err(|e| a.fail(interp, e, &[i, j]))
}

fn f_maximum(interp: &mut Interp, a: &mut Args) -> R<Value> {
    elementwise2(interp, a, tensor::BinaryOp::Maximum, f64::max, 0, 1)
}

fn f_minimum(interp: &mut Interp, a: &mut Args) -> R<Value> {
    elementwise2(interp, a, tensor::BinaryOp::Minimum, f64::min, 0, 1)
}

// ------------------------------------------------------------------ reductions

fn reduce(
    interp: &mut Interp,
    a: &mut Args,
    op: tensor::ReduceOp,
    axis_slot: usize,
    keep_slot: usize,
) -> R<Value> {
    let t = a.tensor(interp, 0)?;
    let axis = a.axis(interp, axis_slot)?;
    let keep = a.bool_or(interp, keep_slot, false)?;
    tensor::reduce(op, &t, axis, keep)
        .map(Value::Tensor)
        .map_err(|e| a.fail(interp, e, &[0]))
}

fn f_sum(interp: &mut Interp, a: &mut Args) -> R<Value> {
    if let Value::List(l) = a.value(0) {
        // Python's sum over a list of numbers.
        let mut total = 0.0;
        for v in l.borrow().iter() {
            match v {
                Value::Number(n) => total += n,
                Value::Bool(b) => total += *b as i32 as f64,
                _ => return reduce(interp, a, tensor::ReduceOp::Sum, 1, 2),
            }
        }
        return Ok(Value::Number(total));
    }
    reduce(interp, a, tensor::ReduceOp::Sum, 1, 2)
}

fn f_mean(interp: &mut Interp, a: &mut Args) -> R<Value> {
    reduce(interp, a, tensor::ReduceOp::Mean, 1, 2)
}

fn max_min(
    interp: &mut Interp,
    a: &mut Args,
    op: tensor::ReduceOp,
    pair: tensor::BinaryOp,
    number: fn(f64, f64) -> f64,
) -> R<Value> {
    if a.get(1).is_some() {
        return elementwise2(interp, a, pair, number, 0, 1);
    }
    if let Value::List(l) = a.value(0) {
        let items = l.borrow().clone();
        let mut best: Option<f64> = None;
        for v in &items {
            let n = crate::runtime::eval::as_number(v).ok_or_else(|| {
                interp.fail(
                    Diagnostic::error(
                        "type::argument",
                        format!("`{}` of a list needs numbers", a.builtin.name),
                    )
                    .primary(a.span(0), ""),
                )
            })?;
            best = Some(match best {
                Some(b) => number(b, n),
                None => n,
            });
        }
        return match best {
            Some(b) => Ok(Value::Number(b)),
            None => Err(interp.fail(
                Diagnostic::error(
                    "value::empty",
                    format!("`{}` of an empty list", a.builtin.name),
                )
                .primary(a.span(0), "empty"),
            )),
        };
    }
    if let Value::Number(_) = a.value(0) {
        return Ok(a.value(0));
    }
    reduce(interp, a, op, 2, 3)
}

fn f_max(interp: &mut Interp, a: &mut Args) -> R<Value> {
    max_min(
        interp,
        a,
        tensor::ReduceOp::Max,
        tensor::BinaryOp::Maximum,
        f64::max,
    )
}

fn f_min(interp: &mut Interp, a: &mut Args) -> R<Value> {
    max_min(
        interp,
        a,
        tensor::ReduceOp::Min,
        tensor::BinaryOp::Minimum,
        f64::min,
    )
}

fn f_argmax(interp: &mut Interp, a: &mut Args) -> R<Value> {
    let t = a.tensor(interp, 0)?;
    let axis = a.axis(interp, 1)?;
    tensor::argmax(&t, axis)
        .map(Value::Tensor)
        .map_err(|e| a.fail(interp, e, &[0]))
}

fn f_argmin(interp: &mut Interp, a: &mut Args) -> R<Value> {
    let t = a.tensor(interp, 0)?;
    let axis = a.axis(interp, 1)?;
    tensor::argmin(&t, axis)
        .map(Value::Tensor)
        .map_err(|e| a.fail(interp, e, &[0]))
}

fn f_softmax(interp: &mut Interp, a: &mut Args) -> R<Value> {
    let t = a.tensor(interp, 0)?;
    let axis = a.axis(interp, 1)?.unwrap_or(-1);
    tensor::softmax(&t, axis)
        .map(Value::Tensor)
        .map_err(|e| a.fail(interp, e, &[0]))
}

fn f_log_softmax(interp: &mut Interp, a: &mut Args) -> R<Value> {
    let t = a.tensor(interp, 0)?;
    let axis = a.axis(interp, 1)?.unwrap_or(-1);
    tensor::log_softmax(&t, axis)
        .map(Value::Tensor)
        .map_err(|e| a.fail(interp, e, &[0]))
}

// ------------------------------------------------------------------ losses

fn loss(
    interp: &mut Interp,
    a: &mut Args,
    f: fn(&Tensor, &Tensor) -> Result<Tensor, tensor::TensorError>,
) -> R<Value> {
    let p = a.tensor(interp, 0)?;
    let t = a.tensor(interp, 1)?;
    let out = f(&p, &t).map_err(|e| a.fail(interp, e, &[0, 1]))?;
    interp.check_finite(&out, &[&p, &t], a.callee, a.builtin.name);
    tensor_value(out)
}

fn f_mse(interp: &mut Interp, a: &mut Args) -> R<Value> {
    loss(interp, a, tensor::mse)
}
fn f_bce(interp: &mut Interp, a: &mut Args) -> R<Value> {
    loss(interp, a, tensor::bce)
}
fn f_bce_logits(interp: &mut Interp, a: &mut Args) -> R<Value> {
    loss(interp, a, tensor::bce_logits)
}
fn f_cross_entropy(interp: &mut Interp, a: &mut Args) -> R<Value> {
    loss(interp, a, tensor::cross_entropy)
}

// ------------------------------------------------------------------ autodiff
