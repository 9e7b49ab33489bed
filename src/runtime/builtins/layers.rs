//! Layers as functions, as torch.nn.functional: `linear`, `conv1d`, `conv2d`, the 2-D
//! pools. Each runs its shape rule on the user's shapes first, then the tensor core.

use crate::runtime::interp::{Interp, R};
use crate::runtime::value::Value;
use crate::runtime::value::{Args, Builtin, P};
use crate::syntax::diagnostic::Diagnostic;
use crate::tensor::shape_nn::{conv1d_shape, conv2d_shape, linear_shape, to_2d};
use crate::tensor::{self, BinaryOp, ConvGeom, PoolSpec, Tensor, TensorError};

use P::{Opt, Req};

use super::convert::tensor_value;

pub static TABLE: &[Builtin] = &[
    b!(
        "linear",
        [Req("input"), Req("weight"), Opt("bias", "None")],
        "input @ weight.T + bias, with PyTorch's [out_features, in_features] weight",
        "linear(x, W, b)",
        f_linear,
        Shapes
    ),
    b!(
        "conv1d",
        [
            Req("input"),
            Req("weight"),
            Opt("bias", "None"),
            Opt("stride", "1"),
            Opt("padding", "0"),
            Opt("dilation", "1"),
            Opt("groups", "1")
        ],
        "1-D convolution of [N, C, L] (or [C, L]) with a [out, C/groups, k] weight",
        "conv1d(x, w, b, padding=1)",
        f_conv1d,
        Shapes
    ),
    b!(
        "conv2d",
        [
            Req("input"),
            Req("weight"),
            Opt("bias", "None"),
            Opt("stride", "1"),
            Opt("padding", "0"),
            Opt("dilation", "1"),
            Opt("groups", "1")
        ],
        "2-D convolution of [N, C, H, W] (or [C, H, W]) with a [out, C/groups, kH, kW] weight",
        "conv2d(x, w, b, stride=1, padding=1)",
        f_conv2d,
        Shapes
    ),
    b!(
        "max_pool2d",
        [
            Req("input"),
            Req("kernel_size"),
            Opt("stride", "None"),
            Opt("padding", "0"),
            Opt("dilation", "1"),
            Opt("ceil_mode", "False")
        ],
        "the largest value of each window over the last two axes (stride defaults to kernel_size)",
        "max_pool2d(x, 2)",
        f_max_pool2d,
        Shapes
    ),
    b!(
        "avg_pool2d",
        [
            Req("input"),
            Req("kernel_size"),
            Opt("stride", "None"),
            Opt("padding", "0"),
            Opt("ceil_mode", "False"),
            Opt("count_include_pad", "True")
        ],
        "the mean of each window over the last two axes (padding counts by default)",
        "avg_pool2d(x, 2)",
        f_avg_pool2d,
        Shapes
    ),
    b!(
        "adaptive_avg_pool2d",
        [Req("input"), Req("output_size")],
        "average pooling to a given [H, W] output size (None keeps that axis)",
        "adaptive_avg_pool2d(x, 1)",
        f_adaptive_avg_pool2d,
        Shapes
    ),
];

// ------------------------------------------------------------------ helpers

fn bad(interp: &Interp, a: &Args, i: usize, msg: String, help: &str) -> Box<Diagnostic> {
    interp.fail(
        Diagnostic::error("value::argument", msg)
            .primary(a.span(i), "here")
            .help(format!(
                "{help}; the signature is `{}`",
                a.builtin.signature()
            )),
    )
}

/// An int or a list of `n` ints (one int is repeated; `n == 0`: any number), each at
/// least `min`.
pub(crate) fn ints(interp: &Interp, a: &Args, i: usize, n: usize, min: i64) -> R<Vec<usize>> {
    let name = a.builtin.params[i].name();
    let vals: Vec<i64> = match a.value(i).listlike() {
        Value::List(l) => {
            let items = l.borrow().clone();
            let mut out = Vec::new();
            for v in &items {
                out.push(interp.int_of(v, a.span(i))?);
            }
            if out.len() == 1 && n > 0 {
                vec![out[0]; n]
            } else {
                out
            }
        }
        v => vec![interp.int_of(&v, a.span(i))?; n.max(1)],
    };
    if n > 0 && vals.len() != n {
        let msg = format!(
            "`{}` needs {name} as one int or {n} ints, got {}",
            a.builtin.name,
            vals.len()
        );
        return Err(bad(interp, a, i, msg, "give one value or one per axis"));
    }
    if let Some(&v) = vals.iter().find(|&&v| v < min) {
        let msg = format!(
            "`{}` needs {name} of at least {min}, got {v}",
            a.builtin.name
        );
        return Err(bad(
            interp,
            a,
            i,
            msg,
            "sizes, strides and dilations are positive",
        ));
    }
    Ok(vals.into_iter().map(|v| v as usize).collect())
}

fn ints_or(
    interp: &Interp,
    a: &Args,
    i: usize,
    n: usize,
    min: i64,
    default: usize,
) -> R<Vec<usize>> {
    match a.get(i) {
        None => Ok(vec![default; n]),
        Some(_) => ints(interp, a, i, n, min),
    }
}

pub(crate) fn opt_tensor(interp: &Interp, a: &Args, i: usize) -> R<Option<Tensor>> {
    match a.get(i) {
        None => Ok(None),
        Some(_) => a.tensor(interp, i).map(Some),
    }
}

/// The tensor error of this call, with the given slots as operands.
pub(crate) fn fail<'a>(
    interp: &'a Interp,
    a: &Args,
    ops: &[usize],
) -> impl Fn(TensorError) -> Box<Diagnostic> + 'a {
    let site = a.site(interp, ops);
    move |e| interp.fail(crate::runtime::explain::tensor_error(interp, e, &site))
}

pub(crate) fn reshape(t: &Tensor, s: &[usize]) -> Result<Tensor, TensorError> {
    let spec: Vec<isize> = s.iter().map(|&d| d as isize).collect();
    tensor::reshape(t, &spec)
}

// ------------------------------------------------------------------ linear

fn f_linear(interp: &mut Interp, a: &mut Args) -> R<Value> {
    let x = a.tensor(interp, 0)?;
    let w = a.tensor(interp, 1)?;
    let b = opt_tensor(interp, a, 2)?;
    let err = fail(interp, a, &[0, 1, 2]);
    let bs = b.as_ref().map(|b| b.shape());
    linear_shape(&x.shape(), &w.shape(), bs.as_deref()).map_err(&err)?;
    let wt = if w.ndim() == 2 {
        tensor::transpose(&w, 0, 1).map_err(&err)?
    } else {
        w
    };
    let mut y = tensor::matmul(&x, &wt).map_err(&err)?;
    if let Some(b) = b {
        y = tensor::binary(BinaryOp::Add, &y, &b).map_err(&err)?;
    }
    tensor_value(y)
}

// ------------------------------------------------------------------ convolutions

/// Stride, padding (ints, or "same" / "valid"), dilation and groups from slots 3 to 6.
fn geom(interp: &Interp, a: &Args, kernel: &[usize]) -> R<ConvGeom> {
    let n = kernel.len();
    let stride = ints_or(interp, a, 3, n, 1, 1)?;
    let dilation = ints_or(interp, a, 5, n, 1, 1)?;
    let groups = match a.get(6) {
        None => 1,
        Some(_) => ints(interp, a, 6, 1, 1)?[0],
    };
    let (lo, hi) = match a.value(4).listlike() {
        Value::Str(s) if &*s == "valid" => (vec![0; n], vec![0; n]),
        Value::Str(s) if &*s == "same" => {
            if stride.iter().any(|&s| s != 1) {
                let msg = format!("`{}` with padding='same' needs stride 1", a.builtin.name);
                return Err(bad(
                    interp,
                    a,
                    4,
                    msg,
                    "use an explicit padding with strides",
                ));
            }
            let total: Vec<usize> = (0..n)
                .map(|i| dilation[i] * kernel[i].saturating_sub(1))
                .collect();
            (
                total.iter().map(|t| t / 2).collect(),
                total.iter().map(|t| t - t / 2).collect(),
            )
        }
        Value::Str(s) => {
            let msg = format!(
                "`{}` padding must be an int, a list, 'same' or 'valid', got '{s}'",
                a.builtin.name
            );
            return Err(bad(interp, a, 4, msg, "padding='same' keeps the size"));
        }
        Value::None => (vec![0; n], vec![0; n]),
        _ => {
            let p = ints(interp, a, 4, n, 0)?;
            (p.clone(), p)
        }
    };
    let two = |v: &[usize], unit: usize| if n == 1 { [unit, v[0]] } else { [v[0], v[1]] };
    Ok(ConvGeom {
        stride: two(&stride, 1),
        pad_lo: two(&lo, 0),
        pad_hi: two(&hi, 0),
        dilation: two(&dilation, 1),
        groups,
    })
}

/// `conv1d` / `conv2d`: shape rule on the user's shapes, then one batched `conv2d` of the
/// core (unbatched inputs get a batch axis, 1-D ones a unit height), then the bias.
fn conv(interp: &mut Interp, a: &mut Args, one_d: bool) -> R<Value> {
    let x = a.tensor(interp, 0)?;
    let w = a.tensor(interp, 1)?;
    let b = opt_tensor(interp, a, 2)?;
    let err = fail(interp, a, &[0, 1, 2]);
    let (xs, ws) = (x.shape(), w.shape());
    let op = if one_d { "conv1d" } else { "conv2d" };
    // The kernel size for padding='same' (the rule below reports bad ranks).
    let kernel: Vec<usize> = ws
        .iter()
        .skip(2)
        .copied()
        .chain(std::iter::repeat(1))
        .take(if one_d { 1 } else { 2 })
        .collect();
    let g = geom(interp, a, &kernel)?;
    let out = if one_d {
        conv1d_shape(&xs, &ws, &g)
    } else {
        conv2d_shape(op, &xs, &ws, &g)
    }
    .map_err(&err)?;
    let o = ws[0];
    if let Some(b) = &b {
        tensor::shape_nn::param_shape(op, "bias", &b.shape(), &[o]).map_err(&err)?;
    }
    let (x4s, w4s) = if one_d {
        (to_2d(&xs), to_2d(&ws))
    } else {
        (xs.clone(), ws.clone())
    };
    let batched = x4s.len() == 4;
    let mut x4 = if one_d {
        reshape(&x, &x4s).map_err(&err)?
    } else {
        x.clone()
    };
    if !batched {
        x4 = tensor::unsqueeze(&x4, 0).map_err(&err)?;
    }
    let w4 = if one_d {
        reshape(&w, &w4s).map_err(&err)?
    } else {
        w.clone()
    };
    let y = tensor::conv2d(op, &x4, &w4, &g).map_err(&err)?;
    let mut y = reshape(&y, &out).map_err(&err)?;
    if let Some(b) = b {
        // bias [O] over the channel axis: [O, 1] (1-D) or [O, 1, 1] (2-D)
        let mut bs = vec![o, 1];
        if !one_d {
            bs.push(1);
        }
        let bb = reshape(&b, &bs).map_err(&err)?;
        y = tensor::binary(BinaryOp::Add, &y, &bb).map_err(&err)?;
    }
    tensor_value(y)
}

fn f_conv1d(interp: &mut Interp, a: &mut Args) -> R<Value> {
    conv(interp, a, true)
}

fn f_conv2d(interp: &mut Interp, a: &mut Args) -> R<Value> {
    conv(interp, a, false)
}

// ------------------------------------------------------------------ pooling

fn pool_spec(
    interp: &Interp,
    a: &Args,
    dilation: Option<usize>,
    ceil: Option<usize>,
) -> R<PoolSpec> {
    let k = ints(interp, a, 1, 2, 1)?;
    let stride = match a.get(2) {
        None => k.clone(),
        Some(Value::List(l)) if l.borrow().is_empty() => k.clone(),
        Some(_) => ints(interp, a, 2, 2, 1)?,
    };
    let padding = ints_or(interp, a, 3, 2, 0, 0)?;
    let dil = match dilation {
        Some(i) => ints_or(interp, a, i, 2, 1, 1)?,
        None => vec![1, 1],
    };
    let ceil_mode = match ceil {
        Some(i) => a.bool_or(interp, i, false)?,
        None => false,
    };
    Ok(PoolSpec {
        kernel: [k[0], k[1]],
        stride: [stride[0], stride[1]],
        padding: [padding[0], padding[1]],
        dilation: [dil[0], dil[1]],
        ceil_mode,
    })
}

fn f_max_pool2d(interp: &mut Interp, a: &mut Args) -> R<Value> {
    let x = a.tensor(interp, 0)?;
    let spec = pool_spec(interp, a, Some(4), Some(5))?;
    let y = tensor::pool2d(&x, "max_pool2d", true, &spec, false).map_err(fail(interp, a, &[0]))?;
    tensor_value(y)
}

fn f_avg_pool2d(interp: &mut Interp, a: &mut Args) -> R<Value> {
    let x = a.tensor(interp, 0)?;
    let spec = pool_spec(interp, a, None, Some(4))?;
    let include = a.bool_or(interp, 5, true)?;
    let y =
        tensor::pool2d(&x, "avg_pool2d", false, &spec, include).map_err(fail(interp, a, &[0]))?;
    tensor_value(y)
}

fn f_adaptive_avg_pool2d(interp: &mut Interp, a: &mut Args) -> R<Value> {
    let x = a.tensor(interp, 0)?;
    let size: [Option<usize>; 2] = match a.value(1).listlike() {
        Value::List(l) => {
            let items = l.borrow().clone();
            if items.len() != 2 {
                let msg = format!(
                    "`adaptive_avg_pool2d` needs output_size as one int or 2, got {}",
                    items.len()
                );
                return Err(bad(interp, a, 1, msg, "give [H, W]"));
            }
            let mut out = [None, None];
            for (i, v) in items.iter().enumerate() {
                if !matches!(v, Value::None) {
                    let n = interp.int_of(v, a.span(1))?;
                    if n < 0 {
                        return Err(bad(
                            interp,
                            a,
                            1,
                            format!("output sizes must be 0 or more, got {n}"),
                            "give [H, W]",
                        ));
                    }
                    out[i] = Some(n as usize);
                }
            }
            out
        }
        _ => {
            let n = ints(interp, a, 1, 1, 0)?[0];
            [Some(n), Some(n)]
        }
    };
    let y = tensor::adaptive_avg_pool2d(&x, size).map_err(fail(interp, a, &[0]))?;
    tensor_value(y)
}
