//! The derivatives: for each op, the gradients of its inputs given its output's
//! gradient. `backward` (in `backward.rs`) walks the graph and calls `input_grads` once
//! per node; adding an op means adding its arm here.

use ndarray::{ArrayD, Axis, IxDyn};

use super::conv::conv2d_grads;
use super::elementwise::{BinaryOp, UnaryOp};
use super::kernels::{map, standard, unbroadcast_ref, zip3_map, zip_map};
use super::layout::reshape_owned;
use super::loss::loss_grads;
use super::math::activation_grad;
use super::matmul::matmul_grads;
use super::pool::pool_grad;
use super::reduce::{extreme_grad, log_softmax_grad, softmax_grad, spread_grad, ReduceOp};
use super::shape_ops::{cat_piece, index_add};
use super::stats::{lanes_grad, scan_grad, take_along_grad};
use super::take::take_grad;
use super::{Node, Op};

/// The gradients of `node`'s inputs selected by `need`, given its output gradient `g`;
/// each in a shape `unbroadcast` sums down to the input's shape. The one place that knows
/// derivatives: one arm per op.
pub(super) fn input_grads(node: &Node, g: &ArrayD<f32>, need: &[bool]) -> Vec<Option<ArrayD<f32>>> {
    let n = |i: usize| need.get(i).copied().unwrap_or(false);
    let out = g.shape();
    match &node.op {
        Op::Leaf => vec![],
        Op::Binary(op, a, b) => {
            let (x, y) = (a.d(), b.d());
            match op {
                // d/da = g, d/db = g
                // (a bias broadcast over rows is summed straight from g, without a copy)
                BinaryOp::Add => vec![
                    n(0).then(|| unbroadcast_ref(g, x.shape())),
                    n(1).then(|| unbroadcast_ref(g, y.shape())),
                ],
                // d/da = g, d/db = -g
                BinaryOp::Sub => vec![
                    n(0).then(|| unbroadcast_ref(g, x.shape())),
                    n(1).then(|| map(g, |v| -v)),
                ],
                // d/da = g b, d/db = g a
                BinaryOp::Mul => vec![
                    n(0).then(|| zip_map(g, &y, out, |v, q| v * q)),
                    n(1).then(|| zip_map(g, &x, out, |v, p| v * p)),
                ],
                // d/da = g / b, d/db = -g a / b²
                BinaryOp::Div => vec![
                    n(0).then(|| zip_map(g, &y, out, |v, q| v / q)),
                    n(1).then(|| zip3_map(g, &x, &y, out, |v, p, q| -v * p / (q * q))),
                ],
                // d/da = g c a^(c-1) (0 where c == 0), d/dc = g a^c ln a (0 where a == 0 and c >= 0)
                BinaryOp::Pow => vec![
                    n(0).then(|| {
                        zip3_map(g, &x, &y, out, |v, p, c| {
                            if c == 0.0 {
                                0.0
                            } else {
                                v * (c * p.powf(c - 1.0))
                            }
                        })
                    }),
                    n(1).then(|| {
                        zip3_map(g, &x, &y, out, |v, p, c| {
                            if p == 0.0 && c >= 0.0 {
                                0.0
                            } else {
                                v * (p.powf(c) * p.ln())
                            }
                        })
                    }),
                ],
                // d/da = g, d/db = -g floor(a / b)
                BinaryOp::Rem => vec![
                    n(0).then(|| g.clone()),
                    n(1).then(|| zip3_map(g, &x, &y, out, |v, p, q| -v * (p / q).floor())),
                ],
                // g to the larger (smaller) input, half each at ties
                BinaryOp::Maximum | BinaryOp::Minimum => {
                    let max = *op == BinaryOp::Maximum;
                    let share = move |v: f32, mine: f32, other: f32| {
                        let wins = if max { mine > other } else { mine < other };
                        if wins {
                            v
                        } else if mine == other {
                            v / 2.0
                        } else {
                            0.0
                        }
                    };
                    vec![
                        n(0).then(|| zip3_map(g, &x, &y, out, |v, p, q| share(v, p, q))),
                        n(1).then(|| zip3_map(g, &x, &y, out, |v, p, q| share(v, q, p))),
                    ]
                }
                // d/dy = g x / (x² + y²), d/dx = -g y / (x² + y²)   (a = y, b = x)
                BinaryOp::Atan2 => vec![
                    n(0).then(|| zip3_map(g, &x, &y, out, |v, p, q| v * q / (p * p + q * q))),
                    n(1).then(|| zip3_map(g, &x, &y, out, |v, p, q| -v * p / (p * p + q * q))),
                ],
                // d/da = g, d/db = -g trunc(a / b)
                BinaryOp::Fmod => vec![
                    n(0).then(|| g.clone()),
                    n(1).then(|| zip3_map(g, &x, &y, out, |v, p, q| -v * (p / q).trunc())),
                ],
                // d/da = g / (1 + exp(b - a)), d/db = g / (1 + exp(a - b))
                BinaryOp::LogAddExp => vec![
                    n(0).then(|| zip3_map(g, &x, &y, out, |v, p, q| v / (1.0 + (q - p).exp()))),
                    n(1).then(|| zip3_map(g, &x, &y, out, |v, p, q| v / (1.0 + (p - q).exp()))),
                ],
                // comparisons: no gradient
                BinaryOp::Eq
                | BinaryOp::Ne
                | BinaryOp::Lt
                | BinaryOp::Le
                | BinaryOp::Gt
                | BinaryOp::Ge => vec![None, None],
            }
        }
        Op::Unary(op, a) => {
            if !n(0) {
                return vec![None];
            }
            let x = a.d();
            let y = node.data.borrow();
            let d = match op {
                // d(-x) = -g
                UnaryOp::Neg => map(g, |v| -v),
                // d exp(x) = g y
                UnaryOp::Exp => zip_map(g, &y, out, |v, e| v * e),
                // d ln(x) = g / x
                UnaryOp::Log => zip_map(g, &x, out, |v, p| v / p),
                // d sqrt(x) = g / (2 y)   (inf at 0)
                UnaryOp::Sqrt => zip_map(g, &y, out, |v, r| v / (2.0 * r)),
                // d |x| = g sign(x), 0 at 0
                UnaryOp::Abs => zip_map(g, &x, out, |v, p| {
                    if p > 0.0 {
                        v
                    } else if p < 0.0 {
                        -v
                    } else {
                        0.0
                    }
                }),
                // d relu(x) = g [x > 0]
                UnaryOp::Relu => zip_map(g, &x, out, |v, p| if p > 0.0 { v } else { 0.0 }),
                // d sigmoid(x) = g (1 - y) y
                UnaryOp::Sigmoid => zip_map(g, &y, out, |v, s| v * (1.0 - s) * s),
                // d tanh(x) = g (1 - y²)
                UnaryOp::Tanh => zip_map(g, &y, out, |v, t| v * (1.0 - t * t)),
                // d leaky_relu(x) = g [x > 0] + g slope [x <= 0]
                UnaryOp::LeakyRelu(s) => {
                    zip_map(g, &x, out, |v, p| if p > 0.0 { v } else { v * s })
                }
                // d clamp(x) = g [lo <= x <= hi]
                UnaryOp::Clamp(lo, hi) => {
                    zip_map(
                        g,
                        &x,
                        out,
                        |v, p| if p >= *lo && p <= *hi { v } else { 0.0 },
                    )
                }
                // d hardtanh(x) = g [lo < x < hi]   (0 at the bounds)
                UnaryOp::Hardtanh(lo, hi) => {
                    zip_map(g, &x, out, |v, p| if p > *lo && p < *hi { v } else { 0.0 })
                }
                // see `activation_grad`
                UnaryOp::Gelu(_)
                | UnaryOp::Silu
                | UnaryOp::Softplus { .. }
                | UnaryOp::Elu(_)
                | UnaryOp::Selu
                | UnaryOp::Celu(_)
                | UnaryOp::Mish
                | UnaryOp::Hardswish
                | UnaryOp::Hardsigmoid => zip_map(g, &x, out, |v, p| v * activation_grad(*op, p)),
                // d log1p(x) = g / (1 + x)
                UnaryOp::Log1p => zip_map(g, &x, out, |v, p| v / (1.0 + p)),
                // d expm1(x) = g (y + 1)
                UnaryOp::Expm1 => zip_map(g, &y, out, |v, e| v * (e + 1.0)),
                // d log2(x) = g / (x ln 2)
                UnaryOp::Log2 => zip_map(g, &x, out, |v, p| v / (p * std::f32::consts::LN_2)),
                // d log10(x) = g / (x ln 10)
                UnaryOp::Log10 => zip_map(g, &x, out, |v, p| v / (p * std::f32::consts::LN_10)),
                // d exp2(x) = g y ln 2
                UnaryOp::Exp2 => zip_map(g, &y, out, |v, e| v * e * std::f32::consts::LN_2),
                // d sin(x) = g cos(x)
                UnaryOp::Sin => zip_map(g, &x, out, |v, p| v * p.cos()),
                // d cos(x) = -g sin(x)
                UnaryOp::Cos => zip_map(g, &x, out, |v, p| -v * p.sin()),
                // d tan(x) = g (1 + y²)
                UnaryOp::Tan => zip_map(g, &y, out, |v, t| v * (1.0 + t * t)),
                // d asin(x) = g / sqrt(1 - x²)
                UnaryOp::Asin => zip_map(g, &x, out, |v, p| v / (1.0 - p * p).sqrt()),
                // d acos(x) = -g / sqrt(1 - x²)
                UnaryOp::Acos => zip_map(g, &x, out, |v, p| -v / (1.0 - p * p).sqrt()),
                // d atan(x) = g / (1 + x²)
                UnaryOp::Atan => zip_map(g, &x, out, |v, p| v / (1.0 + p * p)),
                // d sinh(x) = g cosh(x)
                UnaryOp::Sinh => zip_map(g, &x, out, |v, p| v * p.cosh()),
                // d cosh(x) = g sinh(x)
                UnaryOp::Cosh => zip_map(g, &x, out, |v, p| v * p.sinh()),
                // d asinh(x) = g / sqrt(x² + 1)
                UnaryOp::Asinh => zip_map(g, &x, out, |v, p| v / (p * p + 1.0).sqrt()),
                // d acosh(x) = g / sqrt(x² - 1)
                UnaryOp::Acosh => zip_map(g, &x, out, |v, p| v / (p * p - 1.0).sqrt()),
                // d atanh(x) = g / (1 - x²)
                UnaryOp::Atanh => zip_map(g, &x, out, |v, p| v / (1.0 - p * p)),
                // d erf(x) = g 2 / sqrt(pi) exp(-x²)
                UnaryOp::Erf => zip_map(g, &x, out, |v, p| {
                    v * std::f32::consts::FRAC_2_SQRT_PI * (-p * p).exp()
                }),
                // d (1 / x) = -g y²
                UnaryOp::Reciprocal => zip_map(g, &y, out, |v, r| -v * r * r),
                // d x^(-1/2) = -g y³ / 2
                UnaryOp::Rsqrt => zip_map(g, &y, out, |v, r| -0.5 * v * r * r * r),
                // d x² = 2 g x
                UnaryOp::Square => zip_map(g, &x, out, |v, p| 2.0 * v * p),
                // steps: gradient 0 everywhere (as PyTorch)
                UnaryOp::Sign
                | UnaryOp::Floor
                | UnaryOp::Ceil
                | UnaryOp::Trunc
                | UnaryOp::Round(_) => ArrayD::zeros(g.raw_dim()),
            };
            vec![Some(d)]
        }
        // dA = G Bᵀ, dB = Aᵀ G (vectors promoted, batches broadcast)
        Op::MatMul(a, b) => {
            let [da, db] = matmul_grads(&a.d(), &b.d(), g, [n(0), n(1)]);
            vec![da, db]
        }
        // out = A Bᵀ: dA = G B, dB = Gᵀ A; out = Aᵀ B: dA = B Gᵀ, dB = A G
        Op::MatMulT(a, b, side) => {
            let [da, db] =
                super::matmul::matmul_transposed_grads(&a.d(), &b.d(), g, [n(0), n(1)], *side);
            vec![da, db]
        }
        // the inverse permutation of g
        Op::Permute(_, axes, _) => {
            let mut inv = vec![0; axes.len()];
            for (i, &ax) in axes.iter().enumerate() {
                inv[ax] = i;
            }
            vec![n(0).then(|| standard(&g.view().permuted_axes(IxDyn(&inv))))]
        }
        // g in the input's shape
        Op::Reshape(a, _) => vec![n(0).then(|| reshape_owned(g.clone(), a.d().shape()))],
        // each input's slab of g
        Op::Cat(inputs, ax) => {
            let mut off = 0;
            inputs
                .iter()
                .enumerate()
                .map(|(i, a)| {
                    let len = a.d().shape()[*ax];
                    let piece = n(i).then(|| cat_piece(g, *ax, off, len));
                    off += len;
                    piece
                })
                .collect()
        }
        // each input's slice of g
        Op::Stack(inputs, ax) => (0..inputs.len())
            .map(|i| n(i).then(|| g.index_axis(Axis(*ax), i).to_owned()))
            .collect(),
        // g scattered (added) into zeros of the input's shape
        Op::Index(a, res) => vec![n(0).then(|| {
            let mut z = ArrayD::<f32>::zeros(a.d().raw_dim());
            index_add(&mut z, res, &g.view());
            z
        })],
        // g scatter-added to the offsets it was taken from (repeats accumulate)
        Op::Take(a, offs, _) => vec![n(0).then(|| take_grad(a.d().shape(), offs, g))],
        // g where cond holds to a, elsewhere to b
        Op::Where(c, _, _) => vec![
            n(0).then(|| zip_map(g, c, out, |v, k| if k != 0.0 { v } else { 0.0 })),
            n(1).then(|| zip_map(g, c, out, |v, k| if k != 0.0 { 0.0 } else { v })),
        ],
        // sum: g spread; mean: g / count spread; max/min: g to the extreme (ties: split evenly
        // for a full reduction, the first index along an axis)
        Op::Reduce(op, a, axis, keepdim) => vec![n(0).then(|| {
            let x = a.d();
            match op {
                ReduceOp::Sum => spread_grad(false, x.shape(), g, *axis, *keepdim),
                ReduceOp::Mean => spread_grad(true, x.shape(), g, *axis, *keepdim),
                ReduceOp::Max => extreme_grad(true, &x, g, *axis),
                ReduceOp::Min => extreme_grad(false, &x, g, *axis),
            }
        })],
        // dx = y (g - sum(g y))
        // dx = col2im(Wᵀ g), dW = g colᵀ (per group)
        Op::Conv2d(x, w, geom, _) => {
            let [dx, dw] = conv2d_grads(&x.d(), &w.d(), g, geom, [n(0), n(1)]);
            vec![dx, dw]
        }
        // max: g to the position taken; average: g / divisor over the window
        Op::Pool(a, plan) => vec![n(0).then(|| pool_grad(a.d().shape(), plan, g))],
        Op::Softmax(_, ax) => vec![n(0).then(|| softmax_grad(&node.data.borrow(), g, *ax))],
        // dx = g - exp(y) sum(g)
        Op::LogSoftmax(_, ax) => vec![n(0).then(|| log_softmax_grad(&node.data.borrow(), g, *ax))],
        // see `lanes_grad` (per lane, with the output y)
        Op::Lanes(op, a, axes, _) => {
            vec![n(0).then(|| lanes_grad(*op, &a.d(), &node.data.borrow(), g, axes))]
        }
        // cumsum: reversed cumsum of g; cumprod: see `scan_grad`
        Op::Scan(op, a, ax) => {
            vec![n(0).then(|| scan_grad(*op, &a.d(), &node.data.borrow(), g, *ax))]
        }
        // g added back at the positions the values came from
        Op::TakeAlong(a, ax, picks, _) => {
            vec![n(0).then(|| take_along_grad(a.d().shape(), g, *ax, picks))]
        }
        // see `loss_grads`
        Op::Loss(op, p, t) => {
            let [dp, dt] = loss_grads(op, &p.d(), &t.d(), g, [n(0), n(1)]);
            vec![dp, dt]
        }
    }
}
