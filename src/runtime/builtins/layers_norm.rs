//! Normalisation, dropout and initialisers as torch.nn.functional / torch.nn.init:
//! `layer_norm`, `batch_norm` (running statistics updated in place), `group_norm`,
//! `dropout`, `kaiming_uniform`, `xavier_uniform`, `normal`. The norms are built from
//! the core's mean, subtraction, division and square root, so their gradients are
//! those ops' rules.

use crate::runtime::interp::{Interp, R};
use crate::runtime::value::Value;
use crate::runtime::value::{Args, Builtin, P};
use crate::syntax::diagnostic::Diagnostic;
use crate::tensor::shape_nn::{channels_shape, group_norm_shape, layer_norm_shape, param_shape};
use crate::tensor::{self, BinaryOp, InPlaceOp, ReduceOp, Tensor, TensorError, UnaryOp};

use P::{Kw, Opt, Req, Var};

use super::convert::tensor_value;
use super::layers::{fail, ints, opt_tensor, reshape};

pub static TABLE: &[Builtin] = &[
    b!(
        "layer_norm",
        [Req("input"), Req("normalized_shape"), Opt("weight", "None"), Opt("bias", "None"), Opt("eps", "1e-05")],
        "normalise over the last axes (mean 0, variance 1), then scale and shift",
        "layer_norm(x, [64], g, b)",
        f_layer_norm, Shapes
    ),
    b!(
        "batch_norm",
        [Req("input"), Req("running_mean"), Req("running_var"), Opt("weight", "None"), Opt("bias", "None"), Opt("training", "False"), Opt("momentum", "0.1"), Opt("eps", "1e-05")],
        "normalise each channel of [N, C, ...]; training uses batch statistics and updates the running ones in place",
        "batch_norm(x, rm, rv, training=True)",
        f_batch_norm, Shapes
    ),
    b!(
        "group_norm",
        [Req("input"), Req("num_groups"), Opt("weight", "None"), Opt("bias", "None"), Opt("eps", "1e-05")],
        "normalise groups of channels of [N, C, ...], then scale and shift per channel",
        "group_norm(x, 2, g, b)",
        f_group_norm, Shapes
    ),
    b!(
        "dropout",
        [Req("input"), Opt("p", "0.5"), Opt("training", "True")],
        "zero each element with probability p (from the seeded generator) and scale the rest by 1/(1-p)",
        "dropout(h, 0.2)",
        f_dropout, Shapes
    ),
    b!(
        "kaiming_uniform",
        [Var("shape"), Kw("a", "sqrt(5)")],
        "U(-b, b) with b = sqrt(6 / ((1 + a²) fan_in)): PyTorch's default Linear/Conv weight init, U(±1/sqrt(fan_in))",
        "kaiming_uniform(10, 64)",
        f_kaiming_uniform, Shapes
    ),
    b!(
        "xavier_uniform",
        [Var("shape"), Kw("gain", "1")],
        "U(-b, b) with b = gain · sqrt(6 / (fan_in + fan_out))",
        "xavier_uniform(10, 64)",
        f_xavier_uniform, Shapes
    ),
    b!(
        "normal",
        [Req("mean"), Req("std"), Var("size")],
        "samples of N(mean, std²) in the given shape",
        "normal(0, 0.02, 10, 64)",
        f_normal, Shapes
    ),
];

fn bin(op: BinaryOp, a: &Tensor, b: &Tensor) -> Result<Tensor, TensorError> {
    tensor::binary(op, a, b)
}

/// (x - mean) / sqrt(var + eps) over axis 1 of a 2-D `x` (biased variance); also the
/// mean and the biased variance, [rows, 1].
fn standardize(x: &Tensor, eps: f32) -> Result<(Tensor, Tensor, Tensor), TensorError> {
    let mu = tensor::reduce(ReduceOp::Mean, x, Some(1), true)?;
    let xc = bin(BinaryOp::Sub, x, &mu)?;
    let var = tensor::reduce(
        ReduceOp::Mean,
        &bin(BinaryOp::Mul, &xc, &xc)?,
        Some(1),
        true,
    )?;
    let sd = tensor::unary(
        UnaryOp::Sqrt,
        &bin(BinaryOp::Add, &var, &Tensor::constant(eps))?,
    );
    Ok((bin(BinaryOp::Div, &xc, &sd)?, mu, var))
}

/// `y * weight + bias`, each reshaped to `shape` when given.
fn affine(
    y: Tensor,
    w: Option<Tensor>,
    b: Option<Tensor>,
    shape: &[usize],
) -> Result<Tensor, TensorError> {
    let mut y = y;
    if let Some(w) = w {
        y = bin(BinaryOp::Mul, &y, &reshape(&w, shape)?)?;
    }
    if let Some(b) = b {
        y = bin(BinaryOp::Add, &y, &reshape(&b, shape)?)?;
    }
    Ok(y)
}

fn f_layer_norm(interp: &mut Interp, a: &mut Args) -> R<Value> {
    let x = a.tensor(interp, 0)?;
    let ns = ints(interp, a, 1, 0, 0)?;
    let w = opt_tensor(interp, a, 2)?;
    let b = opt_tensor(interp, a, 3)?;
    let eps = a.number_or(interp, 4, 1e-5)? as f32;
    let err = fail(interp, a, &[0, 2, 3]);
    let xs = x.shape();
    layer_norm_shape(&xs, &ns).map_err(&err)?;
    for (t, name) in [(&w, "weight"), (&b, "bias")] {
        if let Some(t) = t {
            param_shape("layer_norm", name, &t.shape(), &ns).map_err(&err)?;
        }
    }
    let m: usize = ns.iter().product();
    let rows: usize = xs[..xs.len() - ns.len()].iter().product();
    let x2 = reshape(&x, &[rows, m]).map_err(&err)?;
    let (y, ..) = standardize(&x2, eps).map_err(&err)?;
    let y = reshape(&y, &xs).map_err(&err)?;
    tensor_value(affine(y, w, b, &ns).map_err(&err)?)
}

/// The shape [C, 1, ...] that broadcasts a per-channel vector over x [N, C, ...].
fn channel_shape(xs: &[usize]) -> Vec<usize> {
    let mut s = vec![xs[1]];
    s.extend(std::iter::repeat_n(1, xs.len() - 2));
    s
}

fn f_batch_norm(interp: &mut Interp, a: &mut Args) -> R<Value> {
    let x = a.tensor(interp, 0)?;
    let rm = opt_tensor(interp, a, 1)?;
    let rv = opt_tensor(interp, a, 2)?;
    let w = opt_tensor(interp, a, 3)?;
    let b = opt_tensor(interp, a, 4)?;
    let training = a.bool_or(interp, 5, false)?;
    let momentum = a.number_or(interp, 6, 0.1)? as f32;
    let eps = a.number_or(interp, 7, 1e-5)? as f32;
    let err = fail(interp, a, &[0, 1, 2, 3, 4]);
    let xs = x.shape();
    let c = channels_shape("batch_norm", &xs).map_err(&err)?;
    for (t, name) in [
        (&rm, "running_mean"),
        (&rv, "running_var"),
        (&w, "weight"),
        (&b, "bias"),
    ] {
        if let Some(t) = t {
            param_shape("batch_norm", name, &t.shape(), &[c]).map_err(&err)?;
        }
    }
    let cs = channel_shape(&xs);
    let n = xs.iter().product::<usize>() / c.max(1);
    let y = if training {
        if n <= 1 {
            return Err(interp.fail(
                Diagnostic::error(
                    "value::batch_norm",
                    format!("`batch_norm` in training needs more than 1 value per channel, got input {}", crate::runtime::explain::shape_str(&xs)),
                )
                .primary(a.span(0), "one value per channel")
                .help("use a batch of more than one example, or training=False"),
            ));
        }
        // [C, everything else]
        let xt = tensor::transpose(&x, 0, 1).map_err(&err)?;
        let x2 = reshape(&xt, &[c, n]).map_err(&err)?;
        let (_, mu, var) = standardize(&x2, eps).map_err(&err)?;
        let (mu, var) = (
            reshape(&mu, &cs).map_err(&err)?,
            reshape(&var, &cs).map_err(&err)?,
        );
        let sd = tensor::unary(
            UnaryOp::Sqrt,
            &bin(BinaryOp::Add, &var, &Tensor::constant(eps)).map_err(&err)?,
        );
        let y = bin(
            BinaryOp::Div,
            &bin(BinaryOp::Sub, &x, &mu).map_err(&err)?,
            &sd,
        )
        .map_err(&err)?;
        // running = (1 - momentum) running + momentum stat (the variance unbiased)
        let unbias = n as f32 / (n - 1) as f32;
        for (r, stat, k) in [(&rm, &mu, 1.0f32), (&rv, &var, unbias)] {
            if let Some(r) = r {
                let s = stat.detach();
                let upd = reshape(&s, &[c]).map_err(&err)?;
                let upd = bin(BinaryOp::Mul, &upd, &Tensor::constant(k)).map_err(&err)?;
                let upd = bin(BinaryOp::Mul, &upd, &Tensor::constant(momentum)).map_err(&err)?;
                tensor::update_in_place(r, InPlaceOp::Mul, &Tensor::constant(1.0 - momentum))
                    .map_err(&err)?;
                tensor::update_in_place(r, InPlaceOp::Add, &upd.detach()).map_err(&err)?;
            }
        }
        y
    } else {
        let (Some(rm), Some(rv)) = (rm, rv) else {
            return Err(interp.fail(
                Diagnostic::error(
                    "value::batch_norm",
                    "`batch_norm` with training=False needs running_mean and running_var",
                )
                .primary(a.call, "no running statistics")
                .help("pass the running statistics, or training=True"),
            ));
        };
        let mu = reshape(&rm, &cs).map_err(&err)?;
        let var = reshape(&rv, &cs).map_err(&err)?;
        let sd = tensor::unary(
            UnaryOp::Sqrt,
            &bin(BinaryOp::Add, &var, &Tensor::constant(eps)).map_err(&err)?,
        );
        bin(
            BinaryOp::Div,
            &bin(BinaryOp::Sub, &x, &mu).map_err(&err)?,
            &sd,
        )
        .map_err(&err)?
    };
    tensor_value(affine(y, w, b, &cs).map_err(&err)?)
}

fn f_group_norm(interp: &mut Interp, a: &mut Args) -> R<Value> {
    let x = a.tensor(interp, 0)?;
    let groups = a.int(interp, 1)?.max(0) as usize;
    let w = opt_tensor(interp, a, 2)?;
    let b = opt_tensor(interp, a, 3)?;
    let eps = a.number_or(interp, 4, 1e-5)? as f32;
    let err = fail(interp, a, &[0, 2, 3]);
    let xs = x.shape();
    group_norm_shape(&xs, groups).map_err(&err)?;
    let c = xs[1];
    for (t, name) in [(&w, "weight"), (&b, "bias")] {
        if let Some(t) = t {
            param_shape("group_norm", name, &t.shape(), &[c]).map_err(&err)?;
        }
    }
    let total: usize = xs.iter().product();
    let rows = xs[0] * groups;
    let x2 = reshape(&x, &[rows, total.checked_div(rows).unwrap_or(0)]).map_err(&err)?;
    let (y, ..) = standardize(&x2, eps).map_err(&err)?;
    let y = reshape(&y, &xs).map_err(&err)?;
    tensor_value(affine(y, w, b, &channel_shape(&xs)).map_err(&err)?)
}

fn f_dropout(interp: &mut Interp, a: &mut Args) -> R<Value> {
    let x = a.tensor(interp, 0)?;
    let p = a.number_or(interp, 1, 0.5)?;
    let training = a.bool_or(interp, 2, true)?;
    if !(0.0..=1.0).contains(&p) {
        return Err(interp.fail(
            Diagnostic::error(
                "value::argument",
                format!("`dropout` needs p between 0 and 1, got {p}"),
            )
            .primary(a.span(1), "a probability")
            .help("p is the probability of zeroing an element"),
        ));
    }
    if !training || p == 0.0 {
        return tensor_value(x);
    }
    // keep with probability 1 - p (uniform >= p), scaled by 1 / (1 - p)
    let u = tensor::rand(&x.shape(), &mut interp.rng);
    let err = fail(interp, a, &[0]);
    let u = u.map_err(&err)?;
    let scale = if p >= 1.0 {
        0.0
    } else {
        (1.0 / (1.0 - p)) as f32
    };
    let keep = bin(BinaryOp::Ge, &u, &Tensor::constant(p as f32)).map_err(&err)?;
    let mask = bin(BinaryOp::Mul, &keep, &Tensor::constant(scale))
        .map_err(&err)?
        .detach();
    tensor_value(bin(BinaryOp::Mul, &x, &mask).map_err(&err)?)
}

/// fan_in = shape[1] · receptive field, fan_out = shape[0] · receptive field (as
/// torch.nn.init); at least two sizes.
fn fans(interp: &Interp, a: &Args) -> R<(Vec<usize>, f64, f64)> {
    let s = a.shape(interp, 0)?;
    if s.len() < 2 {
        return Err(interp.fail(
            Diagnostic::error(
                "shape::rank",
                format!(
                    "`{}` needs at least 2 sizes (out, in, ...) to know fan_in and fan_out",
                    a.builtin.name
                ),
            )
            .primary(a.call, format!("{} sizes", s.len()))
            .help(format!("the signature is `{}`", a.builtin.signature())),
        ));
    }
    let rf: usize = s[2..].iter().product();
    Ok((s.clone(), (s[1] * rf) as f64, (s[0] * rf) as f64))
}

fn uniform(interp: &mut Interp, a: &Args, s: &[usize], bound: f64) -> R<Value> {
    let u = tensor::rand(s, &mut interp.rng).map_err(fail(interp, a, &[]))?;
    let bound = bound as f32;
    let data = u.data().mapv(|v| (2.0 * v - 1.0) * bound);
    tensor_value(Tensor::leaf(data))
}

fn kw_number(interp: &Interp, a: &Args, name: &str, default: f64) -> R<f64> {
    let i = a
        .builtin
        .params
        .iter()
        .position(|p| p.name() == name)
        .unwrap_or(usize::MAX);
    a.number_or(interp, i, default)
}

fn f_kaiming_uniform(interp: &mut Interp, a: &mut Args) -> R<Value> {
    let (s, fan_in, _) = fans(interp, a)?;
    let aa = kw_number(interp, a, "a", 5f64.sqrt())?;
    let gain = (2.0 / (1.0 + aa * aa)).sqrt();
    let bound = 3f64.sqrt() * gain / fan_in.max(1.0).sqrt();
    uniform(interp, a, &s, bound)
}

fn f_xavier_uniform(interp: &mut Interp, a: &mut Args) -> R<Value> {
    let (s, fan_in, fan_out) = fans(interp, a)?;
    let gain = kw_number(interp, a, "gain", 1.0)?;
    let bound = gain * (6.0 / (fan_in + fan_out).max(1.0)).sqrt();
    uniform(interp, a, &s, bound)
}

fn f_normal(interp: &mut Interp, a: &mut Args) -> R<Value> {
    let mean = a.number(interp, 0)? as f32;
    let std = a.number(interp, 1)? as f32;
    if std < 0.0 {
        return Err(interp.fail(
            Diagnostic::error(
                "value::argument",
                format!("`normal` needs std of 0 or more, got {std}"),
            )
            .primary(a.span(1), "negative"),
        ));
    }
    let s = a.shape(interp, 2)?;
    let z = tensor::randn(&s, &mut interp.rng).map_err(fail(interp, a, &[]))?;
    let data = z.data().mapv(|v| v * std + mean);
    tensor_value(Tensor::leaf(data))
}
