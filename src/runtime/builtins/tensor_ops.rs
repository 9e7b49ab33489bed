//! Tensor ops as builtins: shapes and movement, elementwise functions, reductions and
//! losses. Each converts its arguments and calls one op of the tensor core.

use crate::runtime::interp::{Interp, R};
use crate::runtime::value::Value;
use crate::runtime::value::{Args, Builtin, P};
use crate::syntax::diagnostic::Diagnostic;
use crate::tensor;

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
        [Req("x"), Opt("start_dim", "0"), Opt("end_dim", "-1")],
        "the axes start_dim..end_dim merged into one (all of them: a 1-D tensor)",
        "flatten(x, 1)",
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
        f_sigmoid, pure Elementwise, lint Probs
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
        [Req("x"), Opt("min", "None"), Opt("max", "None")],
        "limit values to [min, max]; either bound may be left out",
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
        "sum of all values, or along an axis or a list of axes",
        "sum(x, axis=1, keepdim=True)",
        f_sum,
        Sum, lint Reduction
    ),
    b!(
        "mean",
        [Req("x"), Opt("axis", "None"), Opt("keepdim", "False")],
        "mean of all values, or along an axis or a list of axes",
        "mean(x, axis=0)",
        f_mean,
        Reduce, lint Reduction
    ),
    b!(
        "max",
        [
            Req("x"),
            Opt("other", "None"),
            Var("more"),
            Kw("axis", "None"),
            Kw("keepdim", "False"),
            Kw("key", "None"),
            Kw("default", "None")
        ],
        "largest value (along an axis); max(a, b) is elementwise; of a list or of several numbers, Python's max (key=, default=)",
        "max(x, axis=1)",
        f_max,
        Extreme, lint Reduction
    ),
    b!(
        "min",
        [
            Req("x"),
            Opt("other", "None"),
            Var("more"),
            Kw("axis", "None"),
            Kw("keepdim", "False"),
            Kw("key", "None"),
            Kw("default", "None")
        ],
        "smallest value (along an axis); min(a, b) is elementwise; of a list or of several numbers, Python's min (key=, default=)",
        "min(x, axis=1)",
        f_min,
        Extreme, lint Reduction
    ),
    b!(
        "argmax",
        [Req("x"), Opt("axis", "None"), Opt("keepdim", "False")],
        "index of the largest value (flat, or along an axis)",
        "argmax(logits, 1)",
        f_argmax,
        ArgExtreme
    ),
    b!(
        "argmin",
        [Req("x"), Opt("axis", "None"), Opt("keepdim", "False")],
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
        Softmax, lint Probs
    ),
    b!(
        "log_softmax",
        [Req("x"), Opt("axis", "-1")],
        "log of softmax, computed stably",
        "log_softmax(logits)",
        f_log_softmax,
        Softmax, lint Probs
    ),
    // ---- losses
    b!(
        "mse",
        [Req("pred"), Req("target"), Kw("reduction", "'mean'")],
        "mean squared error; both shapes must be equal (reduction 'mean', 'sum' or 'none')",
        "mse(pred, y)",
        f_mse,
        Loss, lint Loss
    ),
    b!(
        "bce",
        [Req("prob"), Req("target"), Kw("reduction", "'mean'")],
        "binary cross-entropy of probabilities (logs clamped at -100)",
        "bce(sigmoid(z), y)",
        f_bce,
        Loss, lint Loss
    ),
    b!(
        "bce_logits",
        [Req("logits"), Req("target"), Kw("reduction", "'mean'")],
        "binary cross-entropy of logits, computed stably",
        "bce_logits(z, y)",
        f_bce_logits,
        Loss, lint LogitLoss
    ),
    b!(
        "cross_entropy",
        [
            Req("logits"),
            Req("target"),
            Opt("weight", "None"),
            Kw("ignore_index", "-100"),
            Kw("reduction", "'mean'"),
            Kw("label_smoothing", "0.0")
        ],
        "softmax cross-entropy; target is class indices [N] or probabilities [N, C]",
        "cross_entropy(logits, labels)",
        f_cross_entropy,
        CrossEntropy, lint LogitLoss
    ),
];

// ------------------------------------------------------------------ shapes

fn f_reshape(interp: &mut Interp, a: &mut Args) -> R<Value> {
    let t = a.tensor(interp, 0)?;
    let (dims, sizes) = a.dims(interp, 1)?;
    let spec: Vec<isize> = dims.iter().map(|&d| d as isize).collect();
    tensor::reshape(&t, &spec).map(Value::Tensor).map_err(|e| {
        // The sizes are the second operand: a fix may rewrite them.
        let mut site = a.site(interp, &[0]);
        site.operands.push(crate::runtime::explain::Operand::new(
            interp, sizes, None, "sizes",
        ));
        interp.fail(crate::runtime::explain::tensor_error(interp, e, &site))
    })
}

fn f_flatten(interp: &mut Interp, a: &mut Args) -> R<Value> {
    let t = a.tensor(interp, 0)?;
    let start = a.axis(interp, 1)?.unwrap_or(0);
    let end = a.axis(interp, 2)?.unwrap_or(-1);
    if (start, end) == (0, -1) {
        return tensor::flatten(&t)
            .map(Value::Tensor)
            .map_err(|e| a.fail(interp, e, &[0]));
    }
    let spec: Vec<isize> = tensor::shape::flatten_range_shape(&t.shape(), start, end)
        .map_err(|e| a.fail(interp, e, &[0]))?
        .iter()
        .map(|&d| d as isize)
        .collect();
    tensor::reshape(&t, &spec)
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
    tensor_value(
        tensor::try_unary(tensor::UnaryOp::LeakyRelu(slope as f32), &t)
            .map_err(|e| a.fail(interp, e, &[0]))?,
    )
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
    tensor_value(
        tensor::try_unary(tensor::UnaryOp::Clamp(lo as f32, hi as f32), &t)
            .map_err(|e| a.fail(interp, e, &[0]))?,
    )
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
    let keep = a.bool_or(interp, keep_slot, false)?;
    let out = if let Some(Value::List(_) | Value::Tuple(_)) = a.get(axis_slot) {
        // A list or tuple of axes (PyTorch's tuple of dims).
        let dims = super::math_reduce::dims_arg(interp, a, axis_slot)?;
        super::math_reduce::sum_dims_op(op, &t, dims.as_deref(), keep)
    } else {
        let axis = a.axis(interp, axis_slot)?;
        tensor::reduce(op, &t, axis, keep)
    };
    out.map(Value::Tensor).map_err(|e| a.fail(interp, e, &[0]))
}

/// `start + items[0] + items[1] + ...`, each `+` as the program's own (dunders, the
/// graph, broadcasting).
fn python_sum(
    interp: &mut Interp,
    span: crate::syntax::span::Span,
    start: Value,
    items: Vec<Value>,
) -> R<Value> {
    let site = crate::syntax::ast::Expr::new(crate::syntax::ast::ExprKind::None, span);
    let mut total = start;
    for x in items {
        total = interp.binary(crate::syntax::ast::BinOp::Add, span, total, x, &site, &site)?;
    }
    Ok(total)
}

fn f_sum(interp: &mut Interp, a: &mut Args) -> R<Value> {
    let v = a.value(0);
    // `sum(xs, start)` on a Python sequence is Python's (`sum(lists, [])` joins them);
    // on a tensor the second argument is the axis.
    // Python's containers and iterable objects, as against tensors and nested lists.
    let python_seq = matches!(
        v,
        Value::List(_)
            | Value::Tuple(_)
            | Value::Range { .. }
            | Value::Set(_)
            | Value::Dict(_)
            | Value::Instance(_)
    );
    let start = match a.get(1) {
        Some(s) if python_seq => Some(s.clone()),
        _ => None,
    };
    if let Some(start) = start {
        let items = interp.iter_values(&v, a.span(0))?;
        return python_sum(interp, a.span(0), start, items);
    }
    if python_seq && a.get(1).is_none() {
        // Python's sum: the items added in order, from 0 (numbers stay numbers, tensors
        // add elementwise and stay in the graph, objects add by their `__add__` /
        // `__radd__`). Nested lists are a tensor's rows.
        let items = interp.iter_values(&v, a.span(0))?;
        if !items
            .iter()
            .any(|x| matches!(x, Value::List(_) | Value::Tuple(_)))
        {
            let items = items
                .into_iter()
                .map(|x| match x {
                    Value::Bool(b) => Value::Number(b as i32 as f64),
                    other => other,
                })
                .collect();
            return python_sum(interp, a.span(0), Value::Number(0.0), items);
        }
    }
    reduce(interp, a, tensor::ReduceOp::Sum, 1, 2)
}

fn f_mean(interp: &mut Interp, a: &mut Args) -> R<Value> {
    // The mean of a Python list of numbers is a number (numpy's `np.mean(losses)` is a
    // float), computed in f64 as Python's are.
    if a.get(1).is_none() {
        if let Value::List(l) = a.value(0) {
            let items = l.borrow();
            let nums: Option<Vec<f64>> = items
                .iter()
                .map(|v| match v {
                    Value::Number(n) => Some(*n),
                    Value::Bool(b) => Some(*b as i32 as f64),
                    _ => None,
                })
                .collect();
            if let Some(nums) = nums.filter(|n| !n.is_empty()) {
                return Ok(Value::Number(nums.iter().sum::<f64>() / nums.len() as f64));
            }
        }
    }
    reduce(interp, a, tensor::ReduceOp::Mean, 1, 2)
}

fn max_min(
    interp: &mut Interp,
    a: &mut Args,
    op: tensor::ReduceOp,
    pair: tensor::BinaryOp,
    number: fn(f64, f64) -> f64,
) -> R<Value> {
    if let Some(v) = python_extreme(interp, a, op == tensor::ReduceOp::Max)? {
        return Ok(v);
    }
    if a.get(1).is_some() {
        // `out.max(1)` means "along axis 1" in PyTorch and numpy; in tsr it is the
        // elementwise max with 1. Say so when the number could be an axis.
        if let (Value::Tensor(t), Some(Value::Number(k))) = (a.value(0), a.get(1)) {
            let n = t.ndim() as f64;
            if n >= 2.0 && k.fract() == 0.0 && *k >= -n && *k < n {
                let name = a.builtin.name;
                let d = Diagnostic::warning(
                    "value::max_axis",
                    format!("`{name}(x, {k})` is the elementwise {name} of x and {k}, not a reduction along axis {k}"),
                )
                .primary(a.span(1), "compared with every element")
                .help(format!("for the {name} along an axis write `{name}(x, axis={k})` / `x.{name}(axis={k})`; PyTorch's (values, indices) pair is `torch.{name}(x, {k})` / `x.{name}({k})`"));
                interp.warn_once(a.span(1), "max_axis", d);
            }
        }
        return elementwise2(interp, a, pair, number, 0, 1);
    }
    if let Value::Number(_) = a.value(0) {
        return Ok(a.value(0));
    }
    reduce(interp, a, op, 3, 4)
}

/// Python's `max`/`min` over the items of a list (tuple, range, ...) or over several
/// plain values, with `key=` and `default=`; `None` when the call is a tensor op.
fn python_extreme(interp: &mut Interp, a: &mut Args, largest: bool) -> R<Option<Value>> {
    let (key_slot, default_slot) = (5, 6);
    let mut positional: Vec<Value> = vec![a.value(0)];
    if let Some(v) = a.get(1) {
        positional.push(v.clone());
    }
    positional.extend(a.rest.iter().map(|(v, _)| v.clone()));
    let items = if positional.len() >= 2 {
        if positional.iter().any(|v| matches!(v, Value::Tensor(_))) {
            if positional.len() > 2 {
                return Err(interp.fail(
                    Diagnostic::error(
                        "call::arity",
                        format!(
                            "`{}` of tensors takes two: `{0}(a, b)` is elementwise",
                            a.builtin.name
                        ),
                    )
                    .primary(a.call, format!("{} values given", positional.len()))
                    .help(format!(
                        "nest the calls: `{0}({0}(a, b), c)`",
                        a.builtin.name
                    )),
                ));
            }
            return Ok(None);
        }
        positional
    } else {
        match &positional[0] {
            v @ (Value::List(_)
            | Value::Tuple(_)
            | Value::Range { .. }
            | Value::Set(_)
            | Value::Dict(_)
            | Value::Str(_)
            | Value::Instance(_)) => interp.iter_values(v, a.span(0))?,
            _ => return Ok(None),
        }
    };
    if items.is_empty() {
        if let Some(d) = a.get(default_slot) {
            return Ok(Some(d.clone()));
        }
        return Err(interp.fail(
            Diagnostic::error(
                "value::empty",
                format!("`{}` of an empty sequence", a.builtin.name),
            )
            .primary(a.span(0), "empty")
            .help("give `default=` for the empty case"),
        ));
    }
    let key = a.get(key_slot).cloned();
    let mut best: Option<(Value, Value)> = None;
    for item in items {
        let k = match &key {
            Some(f) => {
                let arg = crate::runtime::call::ArgVal {
                    name: None,
                    value: item.clone(),
                    span: a.span(0),
                };
                interp.call(f, vec![arg], a.span(key_slot), a.call)?
            }
            None => item.clone(),
        };
        let better = match &best {
            None => true,
            Some((bk, _)) => match interp.order(&k, bk, a.span(0))? {
                Some(o) => {
                    if largest {
                        o == std::cmp::Ordering::Greater
                    } else {
                        o == std::cmp::Ordering::Less
                    }
                }
                None => {
                    return Err(interp.fail(
                        Diagnostic::error(
                            "type::argument",
                            format!(
                                "`{}` needs values that can be compared: a {} and a {}",
                                a.builtin.name,
                                k.kind(),
                                bk.kind()
                            ),
                        )
                        .primary(a.span(0), "these values"),
                    ))
                }
            },
        };
        if better {
            best = Some((k, item));
        }
    }
    Ok(best.map(|(_, v)| v))
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
    arg_extreme(interp, a, tensor::argmax)
}

fn f_argmin(interp: &mut Interp, a: &mut Args) -> R<Value> {
    arg_extreme(interp, a, tensor::argmin)
}

/// `argmax`/`argmin(x, axis=None, keepdim=False)`: the indices, shaped by the one
/// reduction rule (`keepdim` keeps the reduced axis as size 1).
fn arg_extreme(
    interp: &mut Interp,
    a: &mut Args,
    op: fn(&tensor::Tensor, Option<isize>) -> Result<tensor::Tensor, tensor::TensorError>,
) -> R<Value> {
    let t = a.tensor(interp, 0)?;
    let axis = a.axis(interp, 1)?;
    let keep = a.bool_or(interp, 2, false)?;
    let out = op(&t, axis).map_err(|e| a.fail(interp, e, &[0]))?;
    if !keep {
        return Ok(Value::Tensor(out));
    }
    let shape = tensor::shape::extreme_shape(a.builtin.name, &t.shape(), axis, true)
        .map_err(|e| a.fail(interp, e, &[0]))?;
    let spec: Vec<isize> = shape.iter().map(|&d| d as isize).collect();
    tensor::reshape(&out, &spec)
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

fn f_mse(interp: &mut Interp, a: &mut Args) -> R<Value> {
    super::training::simple_loss(interp, a, tensor::LossKind::Mse, 2)
}
fn f_bce(interp: &mut Interp, a: &mut Args) -> R<Value> {
    super::training::simple_loss(interp, a, tensor::LossKind::Bce, 2)
}
fn f_bce_logits(interp: &mut Interp, a: &mut Args) -> R<Value> {
    super::training::simple_loss(interp, a, tensor::LossKind::BceLogits, 2)
}
fn f_cross_entropy(interp: &mut Interp, a: &mut Args) -> R<Value> {
    let kind = tensor::LossKind::CrossEntropy { classes: true };
    super::training::class_loss(interp, a, kind, [2, 3, 4, 5])
}

// ------------------------------------------------------------------ autodiff
