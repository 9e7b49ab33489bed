//! Elementwise math builtins with PyTorch's names and defaults: activations (`gelu`,
//! `silu`, `softplus`, `elu`, ...), trig and hyperbolic functions, logs and exponentials,
//! rounding, two-argument functions (`pow`, `atan2`, `fmod`, `lerp`, ...) and the masks
//! `isnan`/`isinf`/`isfinite`. On numbers they return numbers.

use crate::runtime::builtins::{Args, Builtin, P};
use crate::runtime::interp::{Interp, R};
use crate::runtime::value::Value;
use crate::syntax::diagnostic::Diagnostic;
use crate::tensor::{self, BinaryOp, Tensor, UnaryOp};

use P::{Opt, Req};

use super::convert::*;

/// A row for a one-argument function `name(x)`.
macro_rules! un {
    ($name:literal, $doc:literal, $f:expr) => {
        Builtin {
            name: $name,
            params: &[Req("x")],
            doc: $doc,
            example: concat!($name, "(x)"),
            func: $f,
            check: crate::runtime::value::Check::Elementwise,
            pure: true,
            lint: crate::runtime::value::LintRole::Other,
        }
    };
}

/// The function of a row: the tensor op, and the f64 function on numbers (`None`: the
/// op's own f32 formula).
macro_rules! unary_fns {
    ($($fname:ident => $op:expr, $num:expr;)*) => {
        $(fn $fname(i: &mut Interp, a: &mut Args) -> R<Value> {
            unary(i, a, $op, $num)
        })*
    };
}

pub static TABLE: &[Builtin] = &[
    // ---- activations
    b!(
        "gelu",
        [Req("x"), Opt("approximate", "'none'")],
        "x * Phi(x) (the normal CDF); approximate='tanh' for the tanh form",
        "gelu(h, approximate='tanh')",
        f_gelu,
        Shapes
    ),
    un!("silu", "x * sigmoid(x) (swish)", f_silu),
    b!(
        "softplus",
        [Req("x"), Opt("beta", "1"), Opt("threshold", "20")],
        "log(1 + exp(beta x)) / beta, x itself where beta x > threshold",
        "softplus(x, beta=2)",
        f_softplus,
        Shapes
    ),
    b!(
        "elu",
        [Req("x"), Opt("alpha", "1.0")],
        "x above 0, alpha (exp(x) - 1) below",
        "elu(x, alpha=0.5)",
        f_elu,
        Shapes
    ),
    un!(
        "selu",
        "scale * elu(x, alpha) with SELU's fixed constants",
        f_selu
    ),
    b!(
        "celu",
        [Req("x"), Opt("alpha", "1.0")],
        "max(0, x) + min(0, alpha (exp(x / alpha) - 1))",
        "celu(x, alpha=2.0)",
        f_celu,
        Shapes
    ),
    un!("mish", "x * tanh(softplus(x))", f_mish),
    b!(
        "hardtanh",
        [Req("x"), Opt("min_val", "-1.0"), Opt("max_val", "1.0")],
        "clamp to [min_val, max_val]; gradient 0 at the bounds",
        "hardtanh(x, -2, 2)",
        f_hardtanh,
        Shapes
    ),
    un!("relu6", "min(max(x, 0), 6)", f_relu6),
    un!("hardswish", "x * relu6(x + 3) / 6", f_hardswish),
    un!("hardsigmoid", "relu6(x + 3) / 6", f_hardsigmoid),
    // ---- logs, exponentials, trig
    un!("log1p", "log(1 + x), accurate near 0", f_log1p),
    un!("expm1", "exp(x) - 1, accurate near 0", f_expm1),
    un!("log2", "base-2 logarithm", f_log2),
    un!("log10", "base-10 logarithm", f_log10),
    un!("exp2", "2 to the power x", f_exp2),
    un!("sin", "sine (radians)", f_sin),
    un!("cos", "cosine (radians)", f_cos),
    un!("tan", "tangent (radians)", f_tan),
    un!("asin", "inverse sine", f_asin),
    un!("acos", "inverse cosine", f_acos),
    un!("atan", "inverse tangent", f_atan),
    un!("sinh", "hyperbolic sine", f_sinh),
    un!("cosh", "hyperbolic cosine", f_cosh),
    un!("asinh", "inverse hyperbolic sine", f_asinh),
    un!("acosh", "inverse hyperbolic cosine", f_acosh),
    un!("atanh", "inverse hyperbolic tangent", f_atanh),
    un!("erf", "the error function", f_erf),
    un!("reciprocal", "1 / x", f_reciprocal),
    un!("rsqrt", "1 / sqrt(x)", f_rsqrt),
    un!("square", "x * x", f_square),
    // ---- steps (gradient 0)
    un!("sign", "-1, 0 or 1 by the sign of x (0 for NaN)", f_sign),
    un!("floor", "the largest whole number <= x", f_floor),
    un!("ceil", "the smallest whole number >= x", f_ceil),
    un!("trunc", "x rounded toward 0", f_trunc),
    // ---- two arguments
    b!(
        "pow",
        [Req("input"), Req("exponent")],
        "input ** exponent (either may be a number)",
        "pow(x, 2)",
        f_pow,
        Shapes
    ),
    b!(
        "atan2",
        [Req("input"), Req("other")],
        "the angle of the point (other, input): atan(input / other) in the right quadrant",
        "atan2(y, x)",
        f_atan2,
        Shapes
    ),
    b!(
        "fmod",
        [Req("input"), Req("other")],
        "remainder with the sign of input (C's fmod)",
        "fmod(x, 3)",
        f_fmod,
        Shapes
    ),
    b!(
        "remainder",
        [Req("input"), Req("other")],
        "remainder with the sign of other (Python's %)",
        "remainder(x, 3)",
        f_remainder,
        Shapes
    ),
    b!(
        "logaddexp",
        [Req("input"), Req("other")],
        "log(exp(input) + exp(other)), computed stably",
        "logaddexp(a, b)",
        f_logaddexp,
        Shapes
    ),
    b!(
        "lerp",
        [Req("input"), Req("end"), Req("weight")],
        "input + weight * (end - input)",
        "lerp(a, b, 0.25)",
        f_lerp,
        Shapes
    ),
    // ---- masks
    un!(
        "isnan",
        "1. where x is NaN, else 0. (a mask; no gradient)",
        f_isnan
    ),
    un!(
        "isinf",
        "1. where x is +inf or -inf, else 0. (a mask)",
        f_isinf
    ),
    un!(
        "isfinite",
        "1. where x is neither NaN nor infinite, else 0. (a mask)",
        f_isfinite
    ),
];

/// `op(x)`: a graph op on tensors; on numbers `number` (or the op's f32 formula).
fn unary(
    interp: &mut Interp,
    a: &mut Args,
    op: UnaryOp,
    number: Option<fn(f64) -> f64>,
) -> R<Value> {
    let n = match a.value(0) {
        Value::Number(n) => Some(n),
        Value::Bool(b) => Some(b as i32 as f64),
        _ => None,
    };
    if let Some(n) = n {
        return Ok(Value::Number(match number {
            Some(f) => f(n),
            None => tensor::unary_scalar(op, n as f32) as f64,
        }));
    }
    let t = a.tensor(interp, 0)?;
    let out = tensor::try_unary(op, &t).map_err(|e| a.fail(interp, e, &[0]))?;
    interp.check_finite(&out, &[&t], a.callee, a.builtin.name);
    tensor_value(out)
}

fn sign64(x: f64) -> f64 {
    if x > 0.0 {
        1.0
    } else if x < 0.0 {
        -1.0
    } else {
        0.0
    }
}

unary_fns! {
    f_silu => UnaryOp::Silu, None;
    f_selu => UnaryOp::Selu, None;
    f_mish => UnaryOp::Mish, None;
    f_relu6 => UnaryOp::Hardtanh(0.0, 6.0), None;
    f_hardswish => UnaryOp::Hardswish, None;
    f_hardsigmoid => UnaryOp::Hardsigmoid, None;
    f_log1p => UnaryOp::Log1p, Some(f64::ln_1p);
    f_expm1 => UnaryOp::Expm1, Some(f64::exp_m1);
    f_log2 => UnaryOp::Log2, Some(f64::log2);
    f_log10 => UnaryOp::Log10, Some(f64::log10);
    f_exp2 => UnaryOp::Exp2, Some(f64::exp2);
    f_sin => UnaryOp::Sin, Some(f64::sin);
    f_cos => UnaryOp::Cos, Some(f64::cos);
    f_tan => UnaryOp::Tan, Some(f64::tan);
    f_asin => UnaryOp::Asin, Some(f64::asin);
    f_acos => UnaryOp::Acos, Some(f64::acos);
    f_atan => UnaryOp::Atan, Some(f64::atan);
    f_sinh => UnaryOp::Sinh, Some(f64::sinh);
    f_cosh => UnaryOp::Cosh, Some(f64::cosh);
    f_asinh => UnaryOp::Asinh, Some(f64::asinh);
    f_acosh => UnaryOp::Acosh, Some(f64::acosh);
    f_atanh => UnaryOp::Atanh, Some(f64::atanh);
    f_erf => UnaryOp::Erf, Some(tensor::erf64);
    f_reciprocal => UnaryOp::Reciprocal, Some(|x| 1.0 / x);
    f_rsqrt => UnaryOp::Rsqrt, Some(|x| 1.0 / x.sqrt());
    f_square => UnaryOp::Square, Some(|x| x * x);
    f_sign => UnaryOp::Sign, Some(sign64);
    f_floor => UnaryOp::Floor, Some(f64::floor);
    f_ceil => UnaryOp::Ceil, Some(f64::ceil);
    f_trunc => UnaryOp::Trunc, Some(f64::trunc);
}

/// A finite, non-zero number parameter (`alpha`, `beta`).
fn param(interp: &Interp, a: &Args, i: usize, default: f64, nonzero: bool) -> R<f32> {
    let v = a.number_or(interp, i, default)?;
    let pname = a.builtin.params[i].name();
    if !v.is_finite() || (nonzero && v == 0.0) {
        let want = if nonzero {
            "a finite number other than 0"
        } else {
            "a finite number"
        };
        return Err(interp.fail(
            Diagnostic::error(
                "value::argument",
                format!("`{}` needs {want} for `{pname}`, found {v}", a.builtin.name),
            )
            .primary(a.span(i), "this value")
            .help(format!("the signature is `{}`", a.builtin.signature())),
        ));
    }
    Ok(v as f32)
}

fn f_gelu(interp: &mut Interp, a: &mut Args) -> R<Value> {
    let tanh =
        match a.get(1) {
            None => false,
            Some(_) => match a.string(interp, 1)?.as_str() {
                "none" => false,
                "tanh" => true,
                other => return Err(interp.fail(
                    Diagnostic::error(
                        "value::argument",
                        format!("`gelu` has no approximation '{other}'"),
                    )
                    .primary(a.span(1), "not 'none' or 'tanh'")
                    .help(
                        "write `approximate='none'` (exact, the default) or `approximate='tanh'`",
                    ),
                )),
            },
        };
    unary(interp, a, UnaryOp::Gelu(tanh), None)
}

fn f_softplus(interp: &mut Interp, a: &mut Args) -> R<Value> {
    let beta = param(interp, a, 1, 1.0, true)?;
    let threshold = param(interp, a, 2, 20.0, false)?;
    unary(interp, a, UnaryOp::Softplus { beta, threshold }, None)
}

fn f_elu(interp: &mut Interp, a: &mut Args) -> R<Value> {
    let alpha = param(interp, a, 1, 1.0, false)?;
    unary(interp, a, UnaryOp::Elu(alpha), None)
}

fn f_celu(interp: &mut Interp, a: &mut Args) -> R<Value> {
    let alpha = param(interp, a, 1, 1.0, true)?;
    unary(interp, a, UnaryOp::Celu(alpha), None)
}

fn f_hardtanh(interp: &mut Interp, a: &mut Args) -> R<Value> {
    let lo = a.number_or(interp, 1, -1.0)?;
    let hi = a.number_or(interp, 2, 1.0)?;
    if lo > hi || lo.is_nan() || hi.is_nan() {
        return Err(interp.fail(
            Diagnostic::error(
                "value::argument",
                format!("`hardtanh` needs min_val <= max_val, found {lo} and {hi}"),
            )
            .primary(a.call, "empty range")
            .help("swap the bounds"),
        ));
    }
    unary(interp, a, UnaryOp::Hardtanh(lo as f32, hi as f32), None)
}

/// `op(a, b)` with broadcasting; two numbers give a number.
fn binary2(
    interp: &mut Interp,
    a: &mut Args,
    op: BinaryOp,
    number: fn(f64, f64) -> f64,
) -> R<Value> {
    let num = |v: Value| match v {
        Value::Number(n) => Some(n),
        Value::Bool(b) => Some(b as i32 as f64),
        _ => None,
    };
    if let (Some(x), Some(y)) = (num(a.value(0)), num(a.value(1))) {
        return Ok(Value::Number(number(x, y)));
    }
    let x = a.tensor(interp, 0)?;
    let y = a.tensor(interp, 1)?;
    let out = tensor::binary(op, &x, &y).map_err(|e| a.fail(interp, e, &[0, 1]))?;
    interp.check_finite(&out, &[&x, &y], a.callee, a.builtin.name);
    tensor_value(out)
}

fn f_pow(interp: &mut Interp, a: &mut Args) -> R<Value> {
    binary2(interp, a, BinaryOp::Pow, f64::powf)
}

fn f_atan2(interp: &mut Interp, a: &mut Args) -> R<Value> {
    binary2(interp, a, BinaryOp::Atan2, f64::atan2)
}

fn f_fmod(interp: &mut Interp, a: &mut Args) -> R<Value> {
    binary2(interp, a, BinaryOp::Fmod, |x, y| x % y)
}

fn f_remainder(interp: &mut Interp, a: &mut Args) -> R<Value> {
    binary2(interp, a, BinaryOp::Rem, |x, y| {
        let m = x % y;
        if m != 0.0 && ((y < 0.0) != (m < 0.0)) {
            m + y
        } else {
            m
        }
    })
}

fn f_logaddexp(interp: &mut Interp, a: &mut Args) -> R<Value> {
    binary2(interp, a, BinaryOp::LogAddExp, |x, y| {
        if x.is_infinite() && x == y {
            x
        } else {
            x.max(y) + (-(x - y).abs()).exp().ln_1p()
        }
    })
}

/// `input + weight * (end - input)`, built from the broadcasting binary ops (so every
/// input gets its gradient: `1 - weight`, `weight`, `end - input`).
fn f_lerp(interp: &mut Interp, a: &mut Args) -> R<Value> {
    let nums: Vec<Option<f64>> = (0..3)
        .map(|i| match a.value(i) {
            Value::Number(n) => Some(n),
            _ => None,
        })
        .collect();
    if let [Some(x), Some(y), Some(w)] = nums[..] {
        return Ok(Value::Number(x + w * (y - x)));
    }
    let x = a.tensor(interp, 0)?;
    let y = a.tensor(interp, 1)?;
    let w = a.tensor(interp, 2)?;
    // The shape rule first, in the order of the arguments, so a mismatch names them.
    let xy = tensor::shape::broadcast_shapes(&x.shape(), &y.shape())
        .map_err(|e| a.fail(interp, e, &[0, 1]))?;
    tensor::shape::broadcast_shapes(&xy, &w.shape()).map_err(|e| a.fail(interp, e, &[0, 2]))?;
    let fail = |interp: &Interp, e| a.fail(interp, e, &[0, 1, 2]);
    let d = tensor::binary(BinaryOp::Sub, &y, &x).map_err(|e| fail(interp, e))?;
    let s = tensor::binary(BinaryOp::Mul, &w, &d).map_err(|e| fail(interp, e))?;
    let out = tensor::binary(BinaryOp::Add, &x, &s).map_err(|e| fail(interp, e))?;
    tensor_value(out)
}

/// Masks are comparisons (`x != x`, `|x| == inf`, `|x| < inf`), so they are 0./1.
/// tensors without gradient made on the same path as `==`; on numbers they are bools.
fn mask(interp: &mut Interp, a: &mut Args, test: fn(f64) -> bool) -> R<Value> {
    if let Value::Number(n) = a.value(0) {
        return Ok(Value::Bool(test(n)));
    }
    let t = a.tensor(interp, 0)?;
    let inf = Tensor::constant(f32::INFINITY);
    let out =
        match a.builtin.name {
            "isnan" => tensor::binary(BinaryOp::Ne, &t, &t),
            "isinf" => tensor::try_unary(UnaryOp::Abs, &t)
                .and_then(|m| tensor::binary(BinaryOp::Eq, &m, &inf)),
            _ => tensor::try_unary(UnaryOp::Abs, &t)
                .and_then(|m| tensor::binary(BinaryOp::Lt, &m, &inf)),
        };
    out.map(Value::Tensor).map_err(|e| a.fail(interp, e, &[0]))
}

fn f_isnan(interp: &mut Interp, a: &mut Args) -> R<Value> {
    mask(interp, a, f64::is_nan)
}

fn f_isinf(interp: &mut Interp, a: &mut Args) -> R<Value> {
    mask(interp, a, f64::is_infinite)
}

fn f_isfinite(interp: &mut Interp, a: &mut Args) -> R<Value> {
    mask(interp, a, f64::is_finite)
}
