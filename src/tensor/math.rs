//! Scalar formulas of the elementwise math ops (activations, trig, rounding) with
//! PyTorch's float32 definitions and kink conventions, and an `erf` accurate to f32.

use super::elementwise::{sigmoid, UnaryOp};

/// SELU's constants (Klambauer et al.), as PyTorch spells them.
pub(crate) const SELU_ALPHA: f32 = 1.673_263_2;
pub(crate) const SELU_SCALE: f32 = 1.050_701;

/// `sqrt(2 / pi)` and the cubic coefficient of GELU's tanh approximation.
pub(crate) const GELU_BETA: f32 = 0.797_884_6;
pub(crate) const GELU_KAPPA: f32 = 0.044_715;

/// `erf(x)` in f64: the everywhere-positive series `2/sqrt(pi) e^(-x²) Σ 2ⁿ x^(2n+1) /
/// (2n+1)!!` below |x| = 3, the continued fraction of `erfc` above.
pub fn erf64(x: f64) -> f64 {
    if x.is_nan() {
        return x;
    }
    let a = x.abs();
    let r = if a < 3.0 {
        let mut term = a;
        let mut sum = a;
        let mut n = 0.0;
        while term > 1e-17 * sum {
            n += 1.0;
            term *= 2.0 * a * a / (2.0 * n + 1.0);
            sum += term;
        }
        2.0 / std::f64::consts::PI.sqrt() * (-a * a).exp() * sum
    } else if a < 30.0 {
        // erfc(a) = e^(-a²) / sqrt(pi) / (a + (1/2) / (a + 1 / (a + (3/2) / (a + ...))))
        let mut f = a;
        for k in (1..=80).rev() {
            f = a + (k as f64 / 2.0) / f;
        }
        1.0 - (-a * a).exp() / (std::f64::consts::PI.sqrt() * f)
    } else {
        1.0
    };
    if x < 0.0 {
        -r
    } else {
        r
    }
}

pub(crate) fn erf(x: f32) -> f32 {
    erf64(x as f64) as f32
}

/// The standard normal CDF `0.5 (1 + erf(x / sqrt 2))`.
pub(crate) fn phi(x: f32) -> f32 {
    (0.5 * (1.0 + erf64(x as f64 / std::f64::consts::SQRT_2))) as f32
}

/// `alpha * scale * (exp(x * input_scale) - 1)` below 0, `scale * x` above: PyTorch's one
/// ELU kernel behind `elu`, `selu` and `celu`.
fn elu_like(x: f32, alpha: f32, scale: f32, input_scale: f32) -> f32 {
    if x <= 0.0 {
        (x * input_scale).exp_m1() * alpha * scale
    } else {
        x * scale
    }
}

/// Its derivative (the negative branch at 0, as PyTorch's `elu_backward`).
pub(crate) fn elu_like_grad(x: f32, alpha: f32, scale: f32, input_scale: f32) -> f32 {
    if x <= 0.0 {
        input_scale * alpha * scale * (x * input_scale).exp()
    } else {
        scale
    }
}

/// `log(1 + exp(beta x)) / beta`, linear above the threshold.
pub(crate) fn softplus(x: f32, beta: f32, threshold: f32) -> f32 {
    if x * beta > threshold {
        x
    } else {
        (x * beta).exp().ln_1p() / beta
    }
}

/// Half to even at `decimals` places, as `torch.round` (negative decimals round to tens).
pub(crate) fn round_decimals(x: f32, decimals: i32) -> f32 {
    if decimals == 0 {
        return x.round_ties_even();
    }
    let ten = 10f32.powi(decimals.abs());
    if decimals > 0 {
        (x * ten).round_ties_even() / ten
    } else {
        (x / ten).round_ties_even() * ten
    }
}

/// The forward value of a unary op at one element.
pub fn unary_scalar(op: UnaryOp, x: f32) -> f32 {
    match op {
        UnaryOp::Neg => -x,
        UnaryOp::Exp => x.exp(),
        UnaryOp::Log => x.ln(),
        UnaryOp::Sqrt => x.sqrt(),
        UnaryOp::Abs => x.abs(),
        UnaryOp::Relu => {
            if x > 0.0 || x.is_nan() {
                x
            } else {
                0.0
            }
        }
        UnaryOp::Sigmoid => sigmoid(x),
        UnaryOp::Tanh => x.tanh(),
        UnaryOp::LeakyRelu(s) => {
            if x > 0.0 {
                x
            } else {
                x * s
            }
        }
        UnaryOp::Clamp(lo, hi) | UnaryOp::Hardtanh(lo, hi) => {
            if x.is_nan() {
                x
            } else {
                x.max(lo).min(hi)
            }
        }
        UnaryOp::Gelu(false) => x * phi(x),
        UnaryOp::Gelu(true) => {
            let inner = GELU_BETA * (x + GELU_KAPPA * x * x * x);
            0.5 * x * (1.0 + inner.tanh())
        }
        UnaryOp::Silu => x * sigmoid(x),
        UnaryOp::Softplus { beta, threshold } => softplus(x, beta, threshold),
        UnaryOp::Elu(alpha) => elu_like(x, alpha, 1.0, 1.0),
        UnaryOp::Selu => elu_like(x, SELU_ALPHA, SELU_SCALE, 1.0),
        UnaryOp::Celu(alpha) => elu_like(x, alpha, 1.0, 1.0 / alpha),
        UnaryOp::Mish => x * x.exp().ln_1p().tanh(),
        UnaryOp::Hardswish => x * (x + 3.0).clamp(0.0, 6.0) / 6.0,
        UnaryOp::Hardsigmoid => (x + 3.0).clamp(0.0, 6.0) / 6.0,
        UnaryOp::Log1p => x.ln_1p(),
        UnaryOp::Expm1 => x.exp_m1(),
        UnaryOp::Log2 => x.log2(),
        UnaryOp::Log10 => x.log10(),
        UnaryOp::Exp2 => x.exp2(),
        UnaryOp::Sin => x.sin(),
        UnaryOp::Cos => x.cos(),
        UnaryOp::Tan => x.tan(),
        UnaryOp::Asin => x.asin(),
        UnaryOp::Acos => x.acos(),
        UnaryOp::Atan => x.atan(),
        UnaryOp::Sinh => x.sinh(),
        UnaryOp::Cosh => x.cosh(),
        UnaryOp::Asinh => x.asinh(),
        UnaryOp::Acosh => x.acosh(),
        UnaryOp::Atanh => x.atanh(),
        UnaryOp::Erf => erf(x),
        UnaryOp::Reciprocal => 1.0 / x,
        UnaryOp::Rsqrt => 1.0 / x.sqrt(),
        UnaryOp::Square => x * x,
        UnaryOp::Sign => {
            if x > 0.0 {
                1.0
            } else if x < 0.0 {
                -1.0
            } else {
                // 0 for 0, -0 and NaN, as `torch.sign`.
                0.0
            }
        }
        UnaryOp::Floor => x.floor(),
        UnaryOp::Ceil => x.ceil(),
        UnaryOp::Trunc => x.trunc(),
        UnaryOp::Round(d) => round_decimals(x, d),
    }
}

/// `d op(x) / dx` at one element given the input `x` (the derivative rules of the
/// activations whose formulas are too long for one line of the backward `match`).
pub(crate) fn activation_grad(op: UnaryOp, x: f32) -> f32 {
    match op {
        // Phi(x) + x phi(x)
        UnaryOp::Gelu(false) => {
            let pdf = (-0.5 * x * x).exp() / (2.0 * std::f32::consts::PI).sqrt();
            phi(x) + x * pdf
        }
        // 0.5 (1 + t) + 0.5 x (1 - t²) beta (1 + 3 kappa x²), t = tanh(beta (x + kappa x³))
        UnaryOp::Gelu(true) => {
            let t = (GELU_BETA * (x + GELU_KAPPA * x * x * x)).tanh();
            0.5 * (1.0 + t) + 0.5 * x * (1.0 - t * t) * GELU_BETA * (1.0 + 3.0 * GELU_KAPPA * x * x)
        }
        // s (1 + x (1 - s)), s = sigmoid(x)
        UnaryOp::Silu => {
            let s = sigmoid(x);
            s * (1.0 + x * (1.0 - s))
        }
        // z / (z + 1), z = exp(beta x); 1 above the threshold
        UnaryOp::Softplus { beta, threshold } => {
            if x * beta > threshold {
                1.0
            } else {
                let z = (x * beta).exp();
                z / (z + 1.0)
            }
        }
        UnaryOp::Elu(alpha) => elu_like_grad(x, alpha, 1.0, 1.0),
        UnaryOp::Selu => elu_like_grad(x, SELU_ALPHA, SELU_SCALE, 1.0),
        UnaryOp::Celu(alpha) => elu_like_grad(x, alpha, 1.0, 1.0 / alpha),
        // t + x sigmoid(x) (1 - t²), t = tanh(softplus(x))
        UnaryOp::Mish => {
            let t = x.exp().ln_1p().tanh();
            t + x * sigmoid(x) * (1.0 - t * t)
        }
        // 0 up to -3, x / 3 + 1/2 strictly inside (-3, 3), 1 from 3 on
        UnaryOp::Hardswish => {
            if x <= -3.0 {
                0.0
            } else if x < 3.0 {
                x / 3.0 + 0.5
            } else {
                1.0
            }
        }
        // 1/6 strictly inside (-3, 3)
        UnaryOp::Hardsigmoid => {
            if x > -3.0 && x < 3.0 {
                1.0 / 6.0
            } else {
                0.0
            }
        }
        _ => f32::NAN,
    }
}

#[cfg(test)]
mod tests {
    use super::erf64;

    /// Values from the defining integral (tables to 15 digits).
    #[test]
    fn erf_matches_tables() {
        for (x, want) in [
            (0.0, 0.0),
            (0.5, 0.520_499_877_813_046_5),
            (1.0, 0.842_700_792_949_714_9),
            (2.0, 0.995_322_265_018_952_7),
            (2.9, 0.999_958_902_121_900_9),
            (3.0, 0.999_977_909_503_001_4),
            (4.0, 0.999_999_984_582_742_1),
            (-1.5, -0.966_105_146_475_310_7),
        ] {
            assert!((erf64(x) - want).abs() < 1e-14, "erf({x}) = {}", erf64(x));
        }
    }
}
