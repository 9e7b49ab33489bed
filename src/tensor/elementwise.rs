//! Elementwise binary ops (NumPy broadcasting) and unary ops: forward only; their
//! derivatives are arms of the one backward `match`.

use super::kernels::{map, zip_map};
use super::shape::broadcast_shapes;
use super::{Input, Op, Tensor, TensorError};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BinaryOp {
    Add,
    Sub,
    Mul,
    Div,
    Pow,
    /// `%`: remainder with the divisor's sign (Python, `torch.remainder`).
    Rem,
    Maximum,
    Minimum,
    /// `atan2(y, x)`: the angle of the point (x, y).
    Atan2,
    /// C's `fmod`: remainder with the dividend's sign (`torch.fmod`).
    Fmod,
    /// `log(exp(a) + exp(b))`, stable.
    LogAddExp,
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
}

impl BinaryOp {
    pub fn name(self) -> &'static str {
        match self {
            BinaryOp::Add => "add",
            BinaryOp::Sub => "sub",
            BinaryOp::Mul => "mul",
            BinaryOp::Div => "div",
            BinaryOp::Pow => "pow",
            BinaryOp::Rem => "rem",
            BinaryOp::Maximum => "maximum",
            BinaryOp::Minimum => "minimum",
            BinaryOp::Atan2 => "atan2",
            BinaryOp::Fmod => "fmod",
            BinaryOp::LogAddExp => "logaddexp",
            BinaryOp::Eq => "eq",
            BinaryOp::Ne => "ne",
            BinaryOp::Lt => "lt",
            BinaryOp::Le => "le",
            BinaryOp::Gt => "gt",
            BinaryOp::Ge => "ge",
        }
    }
    /// Comparisons give 0./1. and pass no gradient.
    pub fn is_comparison(self) -> bool {
        matches!(
            self,
            BinaryOp::Eq | BinaryOp::Ne | BinaryOp::Lt | BinaryOp::Le | BinaryOp::Gt | BinaryOp::Ge
        )
    }
}

#[derive(Clone, Copy, Debug, PartialEq)]
pub enum UnaryOp {
    Neg,
    Exp,
    Log,
    Sqrt,
    Abs,
    Relu,
    Sigmoid,
    Tanh,
    /// `x > 0 ? x : slope * x`.
    LeakyRelu(f32),
    /// `min(max(x, lo), hi)`.
    Clamp(f32, f32),
    /// `x * Phi(x)`; `true`: PyTorch's tanh approximation.
    Gelu(bool),
    Silu,
    /// `log(1 + exp(beta x)) / beta`, `x` where `beta x > threshold`.
    Softplus {
        beta: f32,
        threshold: f32,
    },
    /// `x > 0 ? x : alpha (exp(x) - 1)`.
    Elu(f32),
    Selu,
    /// `max(0, x) + min(0, alpha (exp(x / alpha) - 1))`.
    Celu(f32),
    Mish,
    /// `clamp(x, lo, hi)` with no gradient at the bounds (`relu6` is `Hardtanh(0, 6)`).
    Hardtanh(f32, f32),
    Hardswish,
    Hardsigmoid,
    Log1p,
    Expm1,
    Log2,
    Log10,
    Exp2,
    Sin,
    Cos,
    Tan,
    Asin,
    Acos,
    Atan,
    Sinh,
    Cosh,
    Asinh,
    Acosh,
    Atanh,
    Erf,
    Reciprocal,
    Rsqrt,
    Square,
    /// Steps with gradient 0: `sign`, `floor`, `ceil`, `trunc`, `round` (half to even, at
    /// `decimals` places).
    Sign,
    Floor,
    Ceil,
    Trunc,
    Round(i32),
}

impl UnaryOp {
    pub fn name(self) -> &'static str {
        match self {
            UnaryOp::Neg => "neg",
            UnaryOp::Exp => "exp",
            UnaryOp::Log => "log",
            UnaryOp::Sqrt => "sqrt",
            UnaryOp::Abs => "abs",
            UnaryOp::Relu => "relu",
            UnaryOp::Sigmoid => "sigmoid",
            UnaryOp::Tanh => "tanh",
            UnaryOp::LeakyRelu(_) => "leaky_relu",
            UnaryOp::Clamp(..) => "clamp",
            UnaryOp::Gelu(_) => "gelu",
            UnaryOp::Silu => "silu",
            UnaryOp::Softplus { .. } => "softplus",
            UnaryOp::Elu(_) => "elu",
            UnaryOp::Selu => "selu",
            UnaryOp::Celu(_) => "celu",
            UnaryOp::Mish => "mish",
            UnaryOp::Hardtanh(..) => "hardtanh",
            UnaryOp::Hardswish => "hardswish",
            UnaryOp::Hardsigmoid => "hardsigmoid",
            UnaryOp::Log1p => "log1p",
            UnaryOp::Expm1 => "expm1",
            UnaryOp::Log2 => "log2",
            UnaryOp::Log10 => "log10",
            UnaryOp::Exp2 => "exp2",
            UnaryOp::Sin => "sin",
            UnaryOp::Cos => "cos",
            UnaryOp::Tan => "tan",
            UnaryOp::Asin => "asin",
            UnaryOp::Acos => "acos",
            UnaryOp::Atan => "atan",
            UnaryOp::Sinh => "sinh",
            UnaryOp::Cosh => "cosh",
            UnaryOp::Asinh => "asinh",
            UnaryOp::Acosh => "acosh",
            UnaryOp::Atanh => "atanh",
            UnaryOp::Erf => "erf",
            UnaryOp::Reciprocal => "reciprocal",
            UnaryOp::Rsqrt => "rsqrt",
            UnaryOp::Square => "square",
            UnaryOp::Sign => "sign",
            UnaryOp::Floor => "floor",
            UnaryOp::Ceil => "ceil",
            UnaryOp::Trunc => "trunc",
            UnaryOp::Round(_) => "round",
        }
    }
}

/// `torch.remainder`: `fmod`, moved to the divisor's sign.
pub(crate) fn py_rem(a: f32, b: f32) -> f32 {
    let m = a % b;
    if m != 0.0 && ((b < 0.0) != (m < 0.0)) {
        m + b
    } else {
        m
    }
}

pub(crate) fn maximum(a: f32, b: f32) -> f32 {
    if a.is_nan() || b.is_nan() {
        f32::NAN
    } else if a > b {
        a
    } else {
        b
    }
}

pub(crate) fn minimum(a: f32, b: f32) -> f32 {
    if a.is_nan() || b.is_nan() {
        f32::NAN
    } else if a < b {
        a
    } else {
        b
    }
}

pub(crate) fn sigmoid(x: f32) -> f32 {
    1.0 / (1.0 + (-x).exp())
}

/// `torch.logaddexp`: `max + log1p(exp(-|a - b|))`, and `a` for equal infinities.
pub(crate) fn logaddexp(a: f32, b: f32) -> f32 {
    if a.is_infinite() && a == b {
        a
    } else {
        maximum(a, b) + (-(a - b).abs()).exp().ln_1p()
    }
}

fn flag(c: bool) -> f32 {
    if c {
        1.0
    } else {
        0.0
    }
}

/// `a op b` with NumPy broadcasting.
pub fn binary(op: BinaryOp, a: &Tensor, b: &Tensor) -> Result<Tensor, TensorError> {
    let data = {
        let (x, y) = (a.data(), b.data());
        let out = broadcast_shapes(x.shape(), y.shape())?;
        super::budget::reserve(&out)?;
        match op {
            BinaryOp::Add => zip_map(&x, &y, &out, |p, q| p + q),
            BinaryOp::Sub => zip_map(&x, &y, &out, |p, q| p - q),
            BinaryOp::Mul => zip_map(&x, &y, &out, |p, q| p * q),
            BinaryOp::Div => zip_map(&x, &y, &out, |p, q| p / q),
            BinaryOp::Pow => match (y.len() == 1).then(|| y.iter().next().copied()).flatten() {
                // PyTorch's special cases for scalar exponents.
                Some(e) if e == 2.0 && x.shape() == out.as_slice() => map(&x, |p| p * p),
                Some(e) if e == 1.0 && x.shape() == out.as_slice() => map(&x, |p| p),
                Some(e) if e == 0.5 && x.shape() == out.as_slice() => map(&x, |p| p.sqrt()),
                _ => zip_map(&x, &y, &out, |p, q| p.powf(q)),
            },
            BinaryOp::Rem => zip_map(&x, &y, &out, py_rem),
            BinaryOp::Maximum => zip_map(&x, &y, &out, maximum),
            BinaryOp::Minimum => zip_map(&x, &y, &out, minimum),
            BinaryOp::Atan2 => zip_map(&x, &y, &out, f32::atan2),
            BinaryOp::Fmod => zip_map(&x, &y, &out, |p, q| p % q),
            BinaryOp::LogAddExp => zip_map(&x, &y, &out, logaddexp),
            BinaryOp::Eq => zip_map(&x, &y, &out, |p, q| flag(p == q)),
            BinaryOp::Ne => zip_map(&x, &y, &out, |p, q| flag(p != q)),
            BinaryOp::Lt => zip_map(&x, &y, &out, |p, q| flag(p < q)),
            BinaryOp::Le => zip_map(&x, &y, &out, |p, q| flag(p <= q)),
            BinaryOp::Gt => zip_map(&x, &y, &out, |p, q| flag(p > q)),
            BinaryOp::Ge => zip_map(&x, &y, &out, |p, q| flag(p >= q)),
        }
    };
    Ok(Tensor::from_op(
        data,
        Op::Binary(op, Input::new(a), Input::new(b)),
    ))
}

/// `op(x)` elementwise, once the memory budget has room for the result (what the
/// runtime calls).
pub fn try_unary(op: UnaryOp, a: &Tensor) -> Result<Tensor, TensorError> {
    super::budget::reserve(&a.shape())?;
    Ok(unary(op, a))
}

/// `op(x)` elementwise, without the memory budget's check.
pub fn unary(op: UnaryOp, a: &Tensor) -> Tensor {
    let data = {
        let x = a.data();
        match op {
            UnaryOp::Neg => map(&x, |p| -p),
            UnaryOp::Exp => map(&x, f32::exp),
            UnaryOp::Log => map(&x, f32::ln),
            UnaryOp::Sqrt => map(&x, f32::sqrt),
            UnaryOp::Abs => map(&x, f32::abs),
            UnaryOp::Relu => map(&x, |p| if p > 0.0 || p.is_nan() { p } else { 0.0 }),
            UnaryOp::Sigmoid => map(&x, sigmoid),
            UnaryOp::Tanh => map(&x, f32::tanh),
            UnaryOp::LeakyRelu(s) => map(&x, |p| if p > 0.0 { p } else { p * s }),
            UnaryOp::Clamp(lo, hi) => map(&x, |p| if p.is_nan() { p } else { p.max(lo).min(hi) }),
            other => map(&x, |p| super::math::unary_scalar(other, p)),
        }
    };
    let out = Tensor::from_op(data, Op::Unary(op, Input::new(a)));
    if a.known_finite() == Some(true) && keeps_finite(op) {
        out.set_finite(Some(true));
    }
    out
}

/// Whether `op` of a finite number is always finite (no overflow, no pole).
fn keeps_finite(op: UnaryOp) -> bool {
    match op {
        UnaryOp::Neg
        | UnaryOp::Abs
        | UnaryOp::Relu
        | UnaryOp::Sigmoid
        | UnaryOp::Tanh
        | UnaryOp::Sin
        | UnaryOp::Cos
        | UnaryOp::Hardsigmoid => true,
        UnaryOp::LeakyRelu(s) => s.abs() <= 1.0,
        UnaryOp::Clamp(lo, hi) | UnaryOp::Hardtanh(lo, hi) => lo.is_finite() && hi.is_finite(),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::{unary, UnaryOp};
    use crate::tensor::Tensor;
    use ndarray::{ArrayD, IxDyn};

    fn leaf(v: &[f32]) -> Tensor {
        Tensor::leaf(ArrayD::from_shape_vec(IxDyn(&[v.len()]), v.to_vec()).unwrap())
    }

    /// A scan's answer is kept until the data change; an op that keeps finite values
    /// finite passes a known answer on, others leave it to be scanned.
    #[test]
    fn finiteness_is_scanned_once_and_passed_on_only_where_it_holds() {
        let t = leaf(&[1.0, -2.0, 3.0]);
        assert_eq!(t.known_finite(), None);
        assert!(t.all_finite());
        assert_eq!(t.known_finite(), Some(true));
        assert_eq!(unary(UnaryOp::Relu, &t).known_finite(), Some(true));
        assert_eq!(unary(UnaryOp::Tanh, &t).known_finite(), Some(true));
        assert_eq!(unary(UnaryOp::LeakyRelu(3.0), &t).known_finite(), None);
        let e = unary(UnaryOp::Exp, &t);
        assert_eq!(e.known_finite(), None);
        let big = leaf(&[100.0]);
        assert!(big.all_finite());
        assert!(!unary(UnaryOp::Exp, &big).all_finite());
        // A change in place forgets the answer, and the next scan sees the new data.
        t.data_mut()[[1]] = f32::INFINITY;
        assert_eq!(t.known_finite(), None);
        assert!(!t.all_finite());
        assert_eq!(unary(UnaryOp::Relu, &t).known_finite(), None);
        assert!(!unary(UnaryOp::Neg, &t).all_finite());
    }
}
