//! The builtin functions themselves and the table that lists them (see `builtins.rs`).

use crate::runtime::builtins::{Args, Builtin, P};
use crate::runtime::interp::{Interp, R};
use crate::runtime::value::{Optimizer, Value};
use crate::syntax::diagnostic::Diagnostic;
use crate::syntax::span::Span;
use crate::tensor::{self, Tensor};
use ndarray::{ArrayD, IxDyn};
use std::cell::RefCell;
use std::rc::Rc;

macro_rules! b {
    ($name:literal, [$($p:expr),*], $doc:literal, $ex:literal, $f:expr) => {
        Builtin { name: $name, params: &[$($p),*], doc: $doc, example: $ex, func: $f }
    };
}

use P::{Kw, Opt, Req, Var};

pub static TABLE: &[Builtin] = &[
    // ---- core
    b!(
        "print",
        [Var("values")],
        "print values separated by spaces",
        "print(\"loss\", item(loss))",
        f_print
    ),
    b!(
        "len",
        [Req("x")],
        "length of a list, string or range, or the first axis of a tensor",
        "len([1, 2, 3])",
        f_len
    ),
    b!(
        "range",
        [Req("start"), Opt("stop", "None"), Opt("step", "1")],
        "whole numbers from start (default 0) up to stop",
        "for i in range(10): ...",
        f_range
    ),
    b!("str", [Req("x")], "the text of a value", "str(3)", f_str),
    b!(
        "float",
        [Req("x")],
        "a number from a number, bool, string or one-element tensor",
        "float(\"2.5\")",
        f_float
    ),
    b!(
        "int",
        [Req("x")],
        "a whole number, truncated toward zero",
        "int(2.7)",
        f_int
    ),
    b!(
        "round",
        [Req("x"), Opt("digits", "0")],
        "round a number (half to even), or a tensor elementwise",
        "round(2.567, 2)",
        f_round
    ),
    b!(
        "list",
        [Req("x")],
        "a list of the items of a list, range, string or tensor's first axis",
        "list(range(3))",
        f_list
    ),
    b!(
        "append",
        [Req("list"), Req("value")],
        "add a value at the end of a list, in place",
        "losses.append(item(loss))",
        f_append
    ),
    b!(
        "sorted",
        [Req("list")],
        "a new list of the numbers (or strings) in ascending order",
        "sorted(times)",
        f_sorted
    ),
    b!(
        "type",
        [Req("x")],
        "the kind of a value as a string",
        "type(3)",
        f_type
    ),
    b!(
        "perf_counter",
        [],
        "seconds from a fixed point, for timing (not deterministic)",
        "t0 = perf_counter()",
        f_perf_counter
    ),
    // ---- constructors
    b!(
        "tensor",
        [Req("data")],
        "a tensor from a number or nested lists of numbers",
        "tensor([[1, 2], [3, 4]])",
        f_tensor
    ),
    b!(
        "zeros",
        [Var("dims")],
        "a tensor of zeros",
        "zeros(2, 3)",
        f_zeros
    ),
    b!(
        "ones",
        [Var("dims")],
        "a tensor of ones",
        "ones(2, 3)",
        f_ones
    ),
    b!(
        "full",
        [Var("dims"), Kw("value", "0")],
        "a tensor filled with one value",
        "full(2, 3, value=0.1)",
        f_full
    ),
    b!(
        "eye",
        [Req("n")],
        "the n-by-n identity matrix",
        "eye(3)",
        f_eye
    ),
    b!(
        "arange",
        [Req("start"), Opt("stop", "None"), Opt("step", "1")],
        "evenly spaced values in [start, stop)",
        "arange(9).reshape(3, 3)",
        f_arange
    ),
    b!(
        "linspace",
        [Req("start"), Req("stop"), Req("n")],
        "n evenly spaced values from start to stop inclusive",
        "linspace(0, 1, 5)",
        f_linspace
    ),
    b!(
        "randn",
        [Var("dims")],
        "normally distributed random values (see `seed`)",
        "randn(3, 4)",
        f_randn
    ),
    b!(
        "rand",
        [Var("dims")],
        "uniform random values in [0, 1) (see `seed`)",
        "rand(3, 4)",
        f_rand
    ),
    b!(
        "seed",
        [Req("n")],
        "reset the random generator: same seed, same numbers",
        "seed(0)",
        f_seed
    ),
    b!(
        "randperm",
        [Req("n")],
        "a random permutation of 0 .. n-1 as a tensor",
        "randperm(10)",
        f_randperm
    ),
    b!(
        "zeros_like",
        [Req("x")],
        "zeros of the shape of x",
        "zeros_like(W)",
        f_zeros_like
    ),
    b!(
        "ones_like",
        [Req("x")],
        "ones of the shape of x",
        "ones_like(W)",
        f_ones_like
    ),
    // ---- shapes
    b!(
        "reshape",
        [Req("x"), Var("dims")],
        "the same values in a new shape; one size may be -1",
        "reshape(x, 3, -1)",
        f_reshape
    ),
    b!(
        "flatten",
        [Req("x")],
        "the values as a 1-D tensor",
        "flatten(x)",
        f_flatten
    ),
    b!(
        "transpose",
        [Req("x"), Req("axis0"), Req("axis1")],
        "swap two axes",
        "transpose(x, 0, 1)",
        f_transpose
    ),
    b!(
        "squeeze",
        [Req("x"), Opt("axis", "None")],
        "remove an axis of size 1 (all of them without axis)",
        "squeeze(x, 1)",
        f_squeeze
    ),
    b!(
        "unsqueeze",
        [Req("x"), Req("axis")],
        "insert an axis of size 1",
        "unsqueeze(x, 0)",
        f_unsqueeze
    ),
    b!(
        "cat",
        [Req("tensors"), Opt("axis", "0")],
        "join tensors along an existing axis",
        "cat([a, b], axis=0)",
        f_cat
    ),
    b!(
        "stack",
        [Req("tensors"), Opt("axis", "0")],
        "join tensors along a new axis",
        "stack([a, b])",
        f_stack
    ),
    b!(
        "numel",
        [Req("x")],
        "the number of elements of a tensor",
        "numel(x)",
        f_numel
    ),
    // ---- elementwise
    b!(
        "exp",
        [Req("x")],
        "e to the power x, elementwise",
        "exp(x)",
        f_exp
    ),
    b!(
        "log",
        [Req("x")],
        "natural logarithm, elementwise",
        "log(x)",
        f_log
    ),
    b!(
        "sqrt",
        [Req("x")],
        "square root, elementwise",
        "sqrt(x)",
        f_sqrt
    ),
    b!(
        "abs",
        [Req("x")],
        "absolute value, elementwise",
        "abs(x)",
        f_abs
    ),
    b!(
        "relu",
        [Req("x")],
        "max(x, 0), elementwise",
        "relu(X @ W.T)",
        f_relu
    ),
    b!(
        "sigmoid",
        [Req("x")],
        "1 / (1 + exp(-x)), elementwise",
        "sigmoid(z)",
        f_sigmoid
    ),
    b!(
        "tanh",
        [Req("x")],
        "hyperbolic tangent, elementwise",
        "tanh(z)",
        f_tanh
    ),
    b!(
        "leaky_relu",
        [Req("x"), Opt("slope", "0.01")],
        "x where x > 0, slope * x elsewhere",
        "leaky_relu(z, slope=0.1)",
        f_leaky_relu
    ),
    b!(
        "clamp",
        [Req("x"), Opt("lo", "None"), Opt("hi", "None")],
        "limit values to [lo, hi]",
        "clamp(p, 1e-7, 1)",
        f_clamp
    ),
    b!(
        "maximum",
        [Req("a"), Req("b")],
        "elementwise maximum of two tensors (broadcasting)",
        "maximum(x, 0)",
        f_maximum
    ),
    b!(
        "minimum",
        [Req("a"), Req("b")],
        "elementwise minimum of two tensors (broadcasting)",
        "minimum(x, 1)",
        f_minimum
    ),
    // ---- reductions
    b!(
        "sum",
        [Req("x"), Opt("axis", "None"), Opt("keepdim", "False")],
        "sum of all values, or along an axis",
        "sum(x, axis=1, keepdim=True)",
        f_sum
    ),
    b!(
        "mean",
        [Req("x"), Opt("axis", "None"), Opt("keepdim", "False")],
        "mean of all values, or along an axis",
        "mean(x, axis=0)",
        f_mean
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
        f_max
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
        f_min
    ),
    b!(
        "argmax",
        [Req("x"), Opt("axis", "None")],
        "index of the largest value (flat, or along an axis)",
        "argmax(logits, 1)",
        f_argmax
    ),
    b!(
        "argmin",
        [Req("x"), Opt("axis", "None")],
        "index of the smallest value (flat, or along an axis)",
        "argmin(x)",
        f_argmin
    ),
    b!(
        "softmax",
        [Req("x"), Opt("axis", "-1")],
        "exp(x) normalised to sum 1 along an axis",
        "softmax(logits)",
        f_softmax
    ),
    b!(
        "log_softmax",
        [Req("x"), Opt("axis", "-1")],
        "log of softmax, computed stably",
        "log_softmax(logits)",
        f_log_softmax
    ),
    // ---- losses
    b!(
        "mse",
        [Req("pred"), Req("target")],
        "mean squared error; both shapes must be equal",
        "mse(pred, y)",
        f_mse
    ),
    b!(
        "bce",
        [Req("prob"), Req("target")],
        "binary cross-entropy of probabilities (logs clamped at -100)",
        "bce(sigmoid(z), y)",
        f_bce
    ),
    b!(
        "bce_logits",
        [Req("logits"), Req("target")],
        "binary cross-entropy of logits, computed stably",
        "bce_logits(z, y)",
        f_bce_logits
    ),
    b!(
        "cross_entropy",
        [Req("logits"), Req("target")],
        "softmax cross-entropy; target is class indices [N] or probabilities [N, C]",
        "cross_entropy(logits, labels)",
        f_cross_entropy
    ),
    // ---- autodiff
    b!(
        "item",
        [Req("x")],
        "the number in a one-element tensor",
        "item(loss)",
        f_item
    ),
    b!(
        "backward",
        [Req("loss")],
        "compute d loss / d t for every tensor the loss depends on",
        "backward(loss)",
        f_backward
    ),
    b!(
        "grad",
        [Req("x")],
        "the gradient of x from the last backward",
        "grad(W)",
        f_grad
    ),
    b!(
        "detach",
        [Req("x")],
        "a leaf copy of x, outside any graph",
        "detach(h)",
        f_detach
    ),
    b!(
        "gradcheck",
        [Req("f"), Var("tensors")],
        "compare autodiff gradients of f() with finite differences",
        "gradcheck(loss_fn, W)",
        f_gradcheck
    ),
    b!(
        "sgd",
        [Req("params"), Opt("lr", "0.01"), Kw("momentum", "0.0")],
        "stochastic gradient descent over a list of tensors",
        "opt = sgd([W1, W2], lr=0.1)",
        f_sgd
    ),
    b!(
        "adam",
        [
            Req("params"),
            Opt("lr", "0.001"),
            Kw("betas", "[0.9, 0.999]"),
            Kw("eps", "1e-08")
        ],
        "the Adam optimiser over a list of tensors",
        "opt = adam([W1, W2], lr=0.01)",
        f_adam
    ),
    b!(
        "step",
        [Req("opt")],
        "apply the gradients of the last backward with an optimiser",
        "step(opt)",
        f_step
    ),
    b!(
        "zero_grad",
        [Req("opt")],
        "does nothing: tsr's gradients never accumulate (kept for PyTorch habits)",
        "zero_grad(opt)",
        f_zero_grad
    ),
];

// ------------------------------------------------------------------ helpers

fn tensor_value(t: Tensor) -> R<Value> {
    Ok(Value::Tensor(t))
}

/// Nested lists of numbers (or a number) as a leaf tensor.
pub fn tensor_from_value(interp: &Interp, v: &Value, span: Span) -> R<Tensor> {
    let mut shape: Vec<usize> = Vec::new();
    let mut data: Vec<f32> = Vec::new();
    fn walk(
        interp: &Interp,
        v: &Value,
        depth: usize,
        shape: &mut Vec<usize>,
        data: &mut Vec<f32>,
        span: Span,
    ) -> R<()> {
        match v {
            Value::List(items) => {
                let items = items.borrow();
                if depth >= 6 {
                    return Err(interp.fail(
                        Diagnostic::error("shape::rank", "tensors have at most 6 axes")
                            .primary(span, "nested more than 6 lists deep"),
                    ));
                }
                if shape.len() == depth {
                    if depth > 0 && !data.is_empty() {
                        return Err(ragged(interp, span));
                    }
                    shape.push(items.len());
                } else if shape[depth] != items.len() {
                    return Err(ragged(interp, span));
                }
                for it in items.iter() {
                    walk(interp, it, depth + 1, shape, data, span)?;
                }
                Ok(())
            }
            Value::Number(n) => {
                if shape.len() != depth {
                    return Err(ragged(interp, span));
                }
                data.push(*n as f32);
                Ok(())
            }
            Value::Bool(b) => {
                if shape.len() != depth {
                    return Err(ragged(interp, span));
                }
                data.push(*b as i32 as f32);
                Ok(())
            }
            Value::Tensor(t) if t.numel() == 1 && shape.len() == depth => {
                data.push(t.item().unwrap_or(0.0));
                Ok(())
            }
            other => Err(interp.fail(
                Diagnostic::error(
                    "type::tensor",
                    format!("a tensor holds numbers, found a {}", other.kind()),
                )
                .primary(span, format!("contains a {}", other.kind())),
            )),
        }
    }
    fn ragged(interp: &Interp, span: Span) -> Box<Diagnostic> {
        interp.fail(
            Diagnostic::error("shape::ragged", "the nested lists have different lengths")
                .primary(span, "every row must have the same length")
                .help("a tensor is rectangular: pad the short rows or build it with `cat`"),
        )
    }
    walk(interp, v, 0, &mut shape, &mut data, span)?;
    let arr = ArrayD::from_shape_vec(IxDyn(&shape), data).map_err(|_| ragged(interp, span))?;
    Ok(Tensor::leaf(arr))
}

fn unary_fn(
    interp: &mut Interp,
    a: &mut Args,
    op: tensor::UnaryOp,
    number: fn(f64) -> f64,
) -> R<Value> {
    match a.value(0) {
        Value::Number(n) => Ok(Value::Number(number(n))),
        Value::Bool(b) => Ok(Value::Number(number(b as i32 as f64))),
        _ => {
            let t = a.tensor(interp, 0)?;
            let out = tensor::try_unary(op, &t).map_err(|e| a.fail(interp, e, &[0]))?;
            interp.check_finite(&out, &[&t], a.callee, a.builtin.name);
            tensor_value(out)
        }
    }
}

// ------------------------------------------------------------------ core

fn f_print(interp: &mut Interp, a: &mut Args) -> R<Value> {
    let parts: Vec<String> = a.rest.iter().map(|(v, _)| v.display()).collect();
    let mut line = parts.join(" ");
    line.push('\n');
    interp.write_out(&line)?;
    Ok(Value::None)
}

fn f_len(interp: &mut Interp, a: &mut Args) -> R<Value> {
    let n = match a.value(0) {
        Value::List(l) => l.borrow().len(),
        Value::Str(s) => s.chars().count(),
        Value::Range { start, stop, step } => Value::range_len(start, stop, step) as usize,
        Value::Tensor(t) => match t.shape().first() {
            Some(&d) => d,
            None => {
                return Err(interp.fail(
                    Diagnostic::error("type::len", "a 0-d tensor has no length")
                        .primary(a.span(0), "0-d tensor")
                        .help("use `numel(x)` or `item(x)`"),
                ))
            }
        },
        other => {
            return Err(interp.fail(
                Diagnostic::error("type::len", format!("a {} has no length", other.kind()))
                    .primary(a.span(0), format!("this is a {}", other.kind())),
            ))
        }
    };
    Ok(Value::Number(n as f64))
}

fn f_range(interp: &mut Interp, a: &mut Args) -> R<Value> {
    let first = a.int(interp, 0)?;
    let (start, stop) = match a.get(1) {
        Some(_) => (first, a.int(interp, 1)?),
        None => (0, first),
    };
    let step = match a.get(2) {
        Some(_) => a.int(interp, 2)?,
        None => 1,
    };
    if step == 0 {
        return Err(interp.fail(
            Diagnostic::error("value::range_step", "`range` step cannot be zero")
                .primary(a.span(2), "step is 0"),
        ));
    }
    Ok(Value::Range { start, stop, step })
}

fn f_str(_: &mut Interp, a: &mut Args) -> R<Value> {
    Ok(Value::str(&a.value(0).display()))
}

fn f_float(interp: &mut Interp, a: &mut Args) -> R<Value> {
    match a.value(0) {
        Value::Str(s) => match s.trim().parse::<f64>() {
            Ok(n) => Ok(Value::Number(n)),
            Err(_) => Err(interp.fail(
                Diagnostic::error(
                    "value::parse",
                    format!(
                        "cannot read {} as a number",
                        crate::runtime::print::format_string_repr(&s)
                    ),
                )
                .primary(a.span(0), "not a number"),
            )),
        },
        _ => Ok(Value::Number(a.number(interp, 0)?)),
    }
}

fn f_int(interp: &mut Interp, a: &mut Args) -> R<Value> {
    let n = match a.value(0) {
        Value::Str(s) => match s.trim().parse::<f64>() {
            Ok(n) => n,
            Err(_) => {
                return Err(interp.fail(
                    Diagnostic::error(
                        "value::parse",
                        format!(
                            "cannot read {} as a number",
                            crate::runtime::print::format_string_repr(&s)
                        ),
                    )
                    .primary(a.span(0), "not a number"),
                ))
            }
        },
        _ => a.number(interp, 0)?,
    };
    Ok(Value::Number(n.trunc()))
}

fn f_round(interp: &mut Interp, a: &mut Args) -> R<Value> {
    let digits = a.number_or(interp, 1, 0.0)? as i32;
    match a.value(0) {
        Value::Tensor(t) => {
            let scale = 10f32.powi(digits);
            let data = t
                .data()
                .mapv(|x| round_half_even((x * scale) as f64) as f32 / scale);
            Ok(Value::Tensor(Tensor::leaf(data)))
        }
        _ => {
            let x = a.number(interp, 0)?;
            let scale = 10f64.powi(digits);
            Ok(Value::Number(round_half_even(x * scale) / scale))
        }
    }
}

fn round_half_even(x: f64) -> f64 {
    let r = x.round();
    if (x - x.trunc()).abs() == 0.5 {
        2.0 * (x / 2.0).round()
    } else {
        r
    }
}

fn f_list(interp: &mut Interp, a: &mut Args) -> R<Value> {
    Ok(match a.value(0) {
        Value::List(l) => Value::list(l.borrow().clone()),
        Value::Range { start, stop, step } => {
            let n = Value::range_len(start, stop, step);
            if n > 1 << 26 {
                return Err(interp.fail(
                    Diagnostic::error("limit::memory", "range too long to make a list")
                        .primary(a.span(0), ""),
                ));
            }
            Value::list(
                (0..n)
                    .map(|i| Value::Number((start + i * step) as f64))
                    .collect(),
            )
        }
        Value::Str(s) => Value::list(s.chars().map(|c| Value::str(&c.to_string())).collect()),
        Value::Tensor(t) => {
            let n = t.shape().first().copied().unwrap_or(0);
            let mut out = Vec::with_capacity(n);
            for i in 0..n {
                let row = tensor::index(&t, &[tensor::IndexItem::At(i as isize)])
                    .map_err(|e| a.fail(interp, e, &[0]))?;
                out.push(if row.ndim() == 0 {
                    Value::Number(row.item().unwrap_or(0.0) as f64)
                } else {
                    Value::Tensor(row)
                });
            }
            Value::list(out)
        }
        other => {
            return Err(interp.fail(
                Diagnostic::error(
                    "type::argument",
                    format!("cannot make a list from a {}", other.kind()),
                )
                .primary(a.span(0), ""),
            ))
        }
    })
}

fn f_append(interp: &mut Interp, a: &mut Args) -> R<Value> {
    match a.value(0) {
        Value::List(l) => {
            l.borrow_mut().push(a.value(1));
            Ok(Value::None)
        }
        other => Err(interp.fail(
            Diagnostic::error(
                "type::argument",
                format!("`append` needs a list, found a {}", other.kind()),
            )
            .primary(a.span(0), format!("this is a {}", other.kind())),
        )),
    }
}

fn f_sorted(interp: &mut Interp, a: &mut Args) -> R<Value> {
    let items: Vec<Value> = match a.value(0) {
        Value::List(l) => l.borrow().clone(),
        Value::Range { start, stop, step } => (0..Value::range_len(start, stop, step).min(1 << 24))
            .map(|i| Value::Number((start + i * step) as f64))
            .collect(),
        other => {
            return Err(interp.fail(
                Diagnostic::error(
                    "type::argument",
                    format!("`sorted` needs a list, found a {}", other.kind()),
                )
                .primary(a.span(0), ""),
            ))
        }
    };
    if items
        .iter()
        .all(|v| crate::runtime::eval::as_number(v).is_some())
    {
        let mut nums: Vec<f64> = items
            .iter()
            .filter_map(crate::runtime::eval::as_number)
            .collect();
        nums.sort_by(|x, y| x.total_cmp(y));
        return Ok(Value::list(nums.into_iter().map(Value::Number).collect()));
    }
    if items.iter().all(|v| matches!(v, Value::Str(_))) {
        let mut strs: Vec<String> = items.iter().map(|v| v.display()).collect();
        strs.sort();
        return Ok(Value::list(strs.iter().map(|s| Value::str(s)).collect()));
    }
    Err(interp.fail(
        Diagnostic::error(
            "type::argument",
            "`sorted` needs a list of numbers or a list of strings",
        )
        .primary(a.span(0), "mixed or unsortable values"),
    ))
}

fn f_perf_counter(_: &mut Interp, _: &mut Args) -> R<Value> {
    static START: std::sync::OnceLock<std::time::Instant> = std::sync::OnceLock::new();
    Ok(Value::Number(
        START
            .get_or_init(std::time::Instant::now)
            .elapsed()
            .as_secs_f64(),
    ))
}

fn f_type(_: &mut Interp, a: &mut Args) -> R<Value> {
    Ok(Value::str(a.value(0).kind()))
}

// ------------------------------------------------------------------ constructors

fn f_tensor(interp: &mut Interp, a: &mut Args) -> R<Value> {
    match a.value(0) {
        Value::Tensor(t) => tensor_value(t.detach()),
        v => tensor_value(tensor_from_value(interp, &v, a.span(0))?),
    }
}

fn sized(interp: &Interp, a: &Args, r: Result<Tensor, tensor::TensorError>) -> R<Value> {
    r.map(Value::Tensor).map_err(|e| a.fail(interp, e, &[]))
}

fn f_zeros(interp: &mut Interp, a: &mut Args) -> R<Value> {
    let s = a.shape(interp, 0)?;
    sized(interp, a, tensor::zeros(&s))
}

fn f_ones(interp: &mut Interp, a: &mut Args) -> R<Value> {
    let s = a.shape(interp, 0)?;
    sized(interp, a, tensor::ones(&s))
}

fn f_full(interp: &mut Interp, a: &mut Args) -> R<Value> {
    let s = a.shape(interp, 0)?;
    let v = a.number_or(interp, 1, 0.0)?;
    sized(interp, a, tensor::full(&s, v as f32))
}

fn f_eye(interp: &mut Interp, a: &mut Args) -> R<Value> {
    let n = a.shape(interp, 0)?;
    let Some(&n) = n.first() else {
        return Err(interp.fail(
            Diagnostic::error(
                "type::shape",
                "`eye` needs a size n for an n x n identity, got an empty shape",
            )
            .primary(a.span(0), "no size")
            .help("write `eye(3)` for the 3 x 3 identity"),
        ));
    };
    sized(interp, a, tensor::eye(n))
}

fn f_arange(interp: &mut Interp, a: &mut Args) -> R<Value> {
    let first = a.number(interp, 0)?;
    let (start, stop) = match a.get(1) {
        Some(_) => (first, a.number(interp, 1)?),
        None => (0.0, first),
    };
    let step = a.number_or(interp, 2, 1.0)?;
    sized(interp, a, tensor::arange(start, stop, step))
}

fn f_linspace(interp: &mut Interp, a: &mut Args) -> R<Value> {
    let start = a.number(interp, 0)?;
    let stop = a.number(interp, 1)?;
    let n = a.int(interp, 2)?;
    if n < 0 {
        return Err(interp.fail(
            Diagnostic::error("type::shape", "`linspace` needs a count of 0 or more")
                .primary(a.span(2), format!("{n}")),
        ));
    }
    sized(interp, a, tensor::linspace(start, stop, n))
}

fn f_randn(interp: &mut Interp, a: &mut Args) -> R<Value> {
    let s = a.shape(interp, 0)?;
    let r = tensor::randn(&s, &mut interp.rng);
    sized(interp, a, r)
}

fn f_rand(interp: &mut Interp, a: &mut Args) -> R<Value> {
    let s = a.shape(interp, 0)?;
    let r = tensor::rand(&s, &mut interp.rng);
    sized(interp, a, r)
}

fn f_seed(interp: &mut Interp, a: &mut Args) -> R<Value> {
    let n = a.int(interp, 0)?;
    interp.rng = tensor::Rng::seeded(n as u64);
    Ok(Value::None)
}

fn f_randperm(interp: &mut Interp, a: &mut Args) -> R<Value> {
    let n = a.shape(interp, 0)?[0];
    // Fisher–Yates over the session's generator: same seed, same permutation.
    let mut perm: Vec<f32> = (0..n).map(|i| i as f32).collect();
    for i in (1..n).rev() {
        let j = (interp.rng.next_u64() % (i as u64 + 1)) as usize;
        perm.swap(i, j);
    }
    let check = tensor::zeros(&[n]);
    sized(
        interp,
        a,
        check.map(|_| Tensor::leaf(ArrayD::from_shape_vec(IxDyn(&[n]), perm).expect("length n"))),
    )
}

fn f_zeros_like(interp: &mut Interp, a: &mut Args) -> R<Value> {
    let t = a.tensor(interp, 0)?;
    sized(interp, a, tensor::zeros(&t.shape()))
}

fn f_ones_like(interp: &mut Interp, a: &mut Args) -> R<Value> {
    let t = a.tensor(interp, 0)?;
    sized(interp, a, tensor::ones(&t.shape()))
}

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

fn tensor_list(interp: &Interp, a: &Args, i: usize) -> R<Vec<Tensor>> {
    match a.value(i) {
        Value::List(l) => {
            let items = l.borrow().clone();
            let mut out = Vec::with_capacity(items.len());
            for v in &items {
                out.push(match v {
                    Value::Tensor(t) => t.clone(),
                    Value::Number(n) => Tensor::constant(*n as f32),
                    other => {
                        return Err(interp.fail(
                            Diagnostic::error(
                                "type::argument",
                                format!(
                                    "`{}` needs a list of tensors, found a {} in it",
                                    a.builtin.name,
                                    other.kind()
                                ),
                            )
                            .primary(a.span(i), "this list"),
                        ))
                    }
                });
            }
            Ok(out)
        }
        other => Err(interp.fail(
            Diagnostic::error(
                "type::argument",
                format!(
                    "`{}` needs a list of tensors, found a {}",
                    a.builtin.name,
                    other.kind()
                ),
            )
            .primary(a.span(i), format!("this is a {}", other.kind()))
            .help(format!("write `{}([a, b], axis=0)`", a.builtin.name)),
        )),
    }
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

fn f_item(interp: &mut Interp, a: &mut Args) -> R<Value> {
    match a.value(0) {
        Value::Number(n) => Ok(Value::Number(n)),
        Value::Tensor(t) => match t.item() {
            Some(x) => Ok(Value::Number(x as f64)),
            None => Err(interp.fail(
                Diagnostic::error(
                    "shape::item",
                    format!(
                        "`item` needs a one-element tensor, this one has {} elements",
                        t.numel()
                    ),
                )
                .primary(
                    a.span(0),
                    format!("shape {}", crate::runtime::explain::shape_str(&t.shape())),
                )
                .help("reduce it first, e.g. `item(sum(x))` or `item(mean(x))`"),
            )),
        },
        other => Err(interp.fail(
            Diagnostic::error(
                "type::argument",
                format!("`item` needs a tensor, found a {}", other.kind()),
            )
            .primary(a.span(0), ""),
        )),
    }
}

fn f_backward(interp: &mut Interp, a: &mut Args) -> R<Value> {
    let t = match a.value(0) {
        Value::Tensor(t) => t,
        other => {
            return Err(interp.fail(
                Diagnostic::error(
                    "type::argument",
                    format!("`backward` needs a tensor, found a {}", other.kind()),
                )
                .primary(a.span(0), format!("this is a {}", other.kind())),
            ))
        }
    };
    let store = tensor::backward(&t).map_err(|e| a.fail(interp, e, &[0]))?;
    interp.set_grads(store);
    Ok(Value::None)
}

fn f_grad(interp: &mut Interp, a: &mut Args) -> R<Value> {
    let t = match a.value(0) {
        Value::Tensor(t) => t,
        other => {
            return Err(interp.fail(
                Diagnostic::error(
                    "type::argument",
                    format!("`grad` needs a tensor, found a {}", other.kind()),
                )
                .primary(a.span(0), format!("this is a {}", other.kind())),
            ))
        }
    };
    let r = match &interp.grads {
        None => Err(tensor::TensorError::NoBackward),
        Some(store) => store.grad(&t),
    };
    r.map(Value::Tensor).map_err(|e| a.fail(interp, e, &[0]))
}

fn f_detach(interp: &mut Interp, a: &mut Args) -> R<Value> {
    let t = a.tensor(interp, 0)?;
    tensor_value(t.detach())
}

fn f_gradcheck(interp: &mut Interp, a: &mut Args) -> R<Value> {
    crate::runtime::gradcheck::gradcheck(interp, a)
}

fn param_list(interp: &Interp, a: &Args) -> R<Vec<Tensor>> {
    let ts = match a.value(0) {
        Value::Tensor(t) => vec![t],
        Value::List(_) => tensor_list(interp, a, 0)?,
        other => {
            return Err(interp.fail(
                Diagnostic::error(
                    "type::argument",
                    format!(
                        "`{}` needs a list of tensors, found a {}",
                        a.builtin.name,
                        other.kind()
                    ),
                )
                .primary(a.span(0), ""),
            ))
        }
    };
    for t in &ts {
        t.mark_wanted();
    }
    Ok(ts)
}

fn f_sgd(interp: &mut Interp, a: &mut Args) -> R<Value> {
    let params = param_list(interp, a)?;
    let lr = a.number_or(interp, 1, 0.01)? as f32;
    let momentum = a.number_or(interp, 2, 0.0)? as f32;
    Ok(Value::Optimizer(Rc::new(RefCell::new(Optimizer::Sgd(
        tensor::Sgd::new(params, lr, momentum),
    )))))
}

fn f_adam(interp: &mut Interp, a: &mut Args) -> R<Value> {
    let params = param_list(interp, a)?;
    let lr = a.number_or(interp, 1, 0.001)?;
    let (b1, b2) = match a.get(2) {
        None => (0.9, 0.999),
        Some(Value::List(l)) if l.borrow().len() == 2 => {
            let l = l.borrow();
            match (
                crate::runtime::eval::as_number(&l[0]),
                crate::runtime::eval::as_number(&l[1]),
            ) {
                (Some(x), Some(y)) => (x, y),
                _ => {
                    return Err(interp.fail(
                        Diagnostic::error("type::argument", "`betas` needs two numbers")
                            .primary(a.span(2), ""),
                    ))
                }
            }
        }
        Some(_) => {
            return Err(interp.fail(
                Diagnostic::error("type::argument", "`betas` needs a list of two numbers")
                    .primary(a.span(2), "")
                    .help("write `betas=[0.9, 0.999]`"),
            ))
        }
    };
    let eps = a.number_or(interp, 3, 1e-8)?;
    Ok(Value::Optimizer(Rc::new(RefCell::new(Optimizer::Adam(
        tensor::Adam::new(params, lr, b1, b2, eps),
    )))))
}

fn f_step(interp: &mut Interp, a: &mut Args) -> R<Value> {
    let opt = match a.value(0) {
        Value::Optimizer(o) => o,
        other => {
            return Err(interp.fail(
                Diagnostic::error(
                    "type::argument",
                    format!("`step` needs an optimiser, found a {}", other.kind()),
                )
                .primary(a.span(0), "")
                .help("make one with `opt = sgd([W1, W2], lr=0.1)` or `adam(...)`"),
            ))
        }
    };
    let store = match &interp.grads {
        Some(s) => s,
        None => return Err(a.fail(interp, tensor::TensorError::NoBackward, &[0])),
    };
    let r = match &mut *opt.borrow_mut() {
        Optimizer::Sgd(s) => s.step(store),
        Optimizer::Adam(s) => s.step(store),
    };
    r.map_err(|e| a.fail(interp, e, &[0]))?;
    let o = opt.borrow();
    let (Optimizer::Sgd(tensor::Sgd { params, .. }) | Optimizer::Adam(tensor::Adam { params, .. })) =
        &*o;
    for p in params {
        interp.note_changed(p, a.call);
    }
    Ok(Value::None)
}

fn f_zero_grad(_: &mut Interp, _: &mut Args) -> R<Value> {
    Ok(Value::None)
}
