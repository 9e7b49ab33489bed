//! Builtins whose meaning in a library's namespace differs from tsr's function of the
//! same name: `torch.max(x, dim)` / `torch.min(x, dim)` and the methods `x.max(dim)` /
//! `x.min(dim)` return PyTorch's (values, indices) pair (tsr's `max(x, axis=1)` and
//! `x.max(axis=1)` return the values, as numpy's do), and
//! `np.std` / `np.var` divide by n (`ddof=0`) where PyTorch divides by n - 1, and
//! `np.median` averages the two middle values where PyTorch's takes the lower.

use crate::runtime::call::ArgVal;
use crate::runtime::interp::{Interp, R};
use crate::runtime::py::class::named_pair;
use crate::runtime::value::{Args, Builtin, Value, P};
use crate::tensor;

use P::{Kw, Opt, Req};

pub static TABLE: &[Builtin] = &[
    b!("torch.max", [Req("input"), Opt("dim", "None"), Opt("keepdim", "False")], "torch.max(x): the largest value; torch.max(x, dim): the (values, indices) pair along dim; torch.max(a, b): elementwise", "values, indices = torch.max(logits, 1)", f_torch_max, ShapesPair),
    b!("torch.min", [Req("input"), Opt("dim", "None"), Opt("keepdim", "False")], "torch.min(x): the smallest value; torch.min(x, dim): the (values, indices) pair along dim; torch.min(a, b): elementwise", "values, indices = torch.min(d, 0)", f_torch_min, ShapesPair),
    b!("tensor.max", [Req("x"), Opt("dim", "None"), Opt("keepdim", "False"), Kw("axis", "None")], "x.max(): the largest value; x.max(dim) / x.max(dim=1): PyTorch's (values, indices) pair; x.max(axis=1): numpy's values", "_, predicted = outputs.max(1)", f_tensor_max, ShapesPair),
    b!("tensor.min", [Req("x"), Opt("dim", "None"), Opt("keepdim", "False"), Kw("axis", "None")], "x.min(): the smallest value; x.min(dim) / x.min(dim=1): PyTorch's (values, indices) pair; x.min(axis=1): numpy's values", "values, indices = d.min(0)", f_tensor_min, ShapesPair),
    b!("torch.cuda.is_available", [], "False: tsr computes on the CPU", "torch.cuda.is_available()", f_false),
    b!("torch.device", [Req("kind")], "the device's name (tsr computes on the CPU whatever it is)", "device = torch.device(\"cpu\")", f_device),
    b!("np.median", [Req("a"), Opt("axis", "None"), Kw("keepdims", "False")], "numpy's median: the mean of the two middle values when there are an even number", "np.median(x, axis=0)", f_np_median, Shapes),
    b!("np.sort", [Req("a"), Opt("axis", "-1")], "numpy's sort: the sorted values along an axis (a copy)", "np.sort(v)", f_np_sort, Shapes),
    b!("np.std", [Req("a"), Opt("axis", "None"), Kw("ddof", "0"), Kw("keepdims", "False")], "numpy's standard deviation: divides by n - ddof (n by default)", "np.std(x, axis=0)", f_np_std),
    b!("np.var", [Req("a"), Opt("axis", "None"), Kw("ddof", "0"), Kw("keepdims", "False")], "numpy's variance: divides by n - ddof (n by default)", "np.var(x, axis=0)", f_np_var),
];

fn torch_extreme(interp: &mut Interp, a: &mut Args, largest: bool) -> R<Value> {
    let name = if largest { "max" } else { "min" };
    let dim = match a.get(1) {
        None | Some(Value::None) => None,
        Some(Value::Number(_)) => Some(a.int(interp, 1)? as isize),
        // `torch.max(a, b)`: elementwise, as tsr's `max(a, b)`.
        Some(_) => {
            let args = vec![
                ArgVal {
                    name: None,
                    value: a.value(0),
                    span: a.span(0),
                },
                ArgVal {
                    name: None,
                    value: a.value(1),
                    span: a.span(1),
                },
            ];
            return call_named(interp, name, args, a);
        }
    };
    let Some(dim) = dim else {
        let args = vec![ArgVal {
            name: None,
            value: a.value(0),
            span: a.span(0),
        }];
        return call_named(interp, name, args, a);
    };
    let keep = a.bool_or(interp, 2, false)?;
    let x = a.tensor(interp, 0)?;
    let op = if largest {
        tensor::ReduceOp::Max
    } else {
        tensor::ReduceOp::Min
    };
    let values = tensor::reduce(op, &x, Some(dim), keep).map_err(|e| a.fail(interp, e, &[0]))?;
    let pick = if largest {
        tensor::argmax
    } else {
        tensor::argmin
    };
    let mut indices = pick(&x, Some(dim)).map_err(|e| a.fail(interp, e, &[0]))?;
    if keep {
        indices = tensor::unsqueeze(&indices, dim).map_err(|e| a.fail(interp, e, &[0]))?;
    }
    Ok(named_pair(
        name,
        Value::Tensor(values),
        Value::Tensor(indices),
        interp.builtins,
    ))
}

fn call_named(interp: &mut Interp, name: &str, args: Vec<ArgVal>, a: &Args) -> R<Value> {
    match interp.builtins.find(name) {
        Some(b) => interp.call(&Value::Builtin(b), args, a.callee, a.call),
        None => Ok(Value::None),
    }
}

fn f_torch_max(interp: &mut Interp, a: &mut Args) -> R<Value> {
    torch_extreme(interp, a, true)
}

fn f_torch_min(interp: &mut Interp, a: &mut Args) -> R<Value> {
    torch_extreme(interp, a, false)
}

fn f_tensor_max(interp: &mut Interp, a: &mut Args) -> R<Value> {
    tensor_extreme(interp, a, true)
}

fn f_tensor_min(interp: &mut Interp, a: &mut Args) -> R<Value> {
    tensor_extreme(interp, a, false)
}

/// `x.max(...)` / `x.min(...)`: with `axis=` (numpy's keyword) the values, as tsr's
/// `max(x, axis=...)`; otherwise PyTorch's method, as `torch.max(x, ...)`.
fn tensor_extreme(interp: &mut Interp, a: &mut Args, largest: bool) -> R<Value> {
    let Some(axis) = a.get(3).filter(|v| !matches!(v, Value::None)).cloned() else {
        return torch_extreme(interp, a, largest);
    };
    let mut args = vec![
        ArgVal {
            name: None,
            value: a.value(0),
            span: a.span(0),
        },
        ArgVal {
            name: Some(("axis".to_string(), a.call)),
            value: axis,
            span: a.span(3),
        },
    ];
    if let Some(k) = a.get(2) {
        args.push(ArgVal {
            name: Some(("keepdim".to_string(), a.call)),
            value: k.clone(),
            span: a.span(2),
        });
    }
    call_named(interp, if largest { "max" } else { "min" }, args, a)
}

/// `np.std` / `np.var` as tsr's `std` / `var` with `correction=ddof`.
fn numpy_spread(interp: &mut Interp, a: &mut Args, name: &str) -> R<Value> {
    let ddof = a.number_or(interp, 2, 0.0)?;
    let mut args = vec![ArgVal {
        name: None,
        value: a.value(0),
        span: a.span(0),
    }];
    if let Some(axis) = a.get(1) {
        args.push(ArgVal {
            name: None,
            value: axis.clone(),
            span: a.span(1),
        });
    }
    args.push(ArgVal {
        name: Some(("correction".to_string(), a.call)),
        value: Value::Number(ddof),
        span: a.call,
    });
    if let Some(k) = a.get(3) {
        args.push(ArgVal {
            name: Some(("keepdim".to_string(), a.call)),
            value: k.clone(),
            span: a.span(3),
        });
    }
    call_named(interp, name, args, a)
}

fn f_np_std(interp: &mut Interp, a: &mut Args) -> R<Value> {
    numpy_spread(interp, a, "std")
}

fn f_np_var(interp: &mut Interp, a: &mut Args) -> R<Value> {
    numpy_spread(interp, a, "var")
}

fn f_false(_: &mut Interp, _: &mut Args) -> R<Value> {
    Ok(Value::Bool(false))
}

fn f_device(_: &mut Interp, a: &mut Args) -> R<Value> {
    Ok(Value::str(&a.value(0).display()))
}

fn f_np_median(interp: &mut Interp, a: &mut Args) -> R<Value> {
    super::math_reduce::numpy_median(interp, a)
}

fn f_np_sort(interp: &mut Interp, a: &mut Args) -> R<Value> {
    let mut args = vec![ArgVal {
        name: None,
        value: a.value(0),
        span: a.span(0),
    }];
    if let Some(axis) = a.get(1) {
        args.push(ArgVal {
            name: None,
            value: axis.clone(),
            span: a.span(1),
        });
    }
    let pair = call_named(interp, "sort", args, a)?;
    match &pair {
        Value::Instance(i) => Ok(i.get("values").unwrap_or(Value::None)),
        _ => Ok(pair),
    }
}
