//! Random shapes and parameters through every op: each call returns a value or an error,
//! never a panic (including empty axes, 0-d tensors, bad axes and indices), and backward
//! through whatever was built works.

use ndarray::{ArrayD, IxDyn};
use tsr::tensor::*;

fn pick(rng: &mut Rng, n: u64) -> u64 {
    rng.next_u64() % n
}

fn rand_shape(rng: &mut Rng) -> Vec<usize> {
    let rank = pick(rng, 5) as usize;
    (0..rank).map(|_| pick(rng, 4) as usize).collect()
}

fn rand_tensor(rng: &mut Rng, shape: &[usize]) -> Tensor {
    let n: usize = shape.iter().product();
    let v: Vec<f32> = (0..n)
        .map(|_| (rng.uniform_f32() * 6.0 - 3.0).round())
        .collect();
    Tensor::leaf(ArrayD::from_shape_vec(IxDyn(shape), v).unwrap())
}

fn rand_axis(rng: &mut Rng) -> isize {
    pick(rng, 11) as isize - 5
}

fn opt(rng: &mut Rng) -> Option<isize> {
    if pick(rng, 3) == 0 {
        None
    } else {
        Some(rand_axis(rng))
    }
}

fn one_op(rng: &mut Rng, a: &Tensor, b: &Tensor) -> Result<Tensor, TensorError> {
    let bops = [
        BinaryOp::Add,
        BinaryOp::Sub,
        BinaryOp::Mul,
        BinaryOp::Div,
        BinaryOp::Pow,
        BinaryOp::Rem,
        BinaryOp::Maximum,
        BinaryOp::Minimum,
        BinaryOp::Eq,
        BinaryOp::Lt,
        BinaryOp::Ge,
        BinaryOp::Atan2,
        BinaryOp::Fmod,
        BinaryOp::LogAddExp,
    ];
    let uops = [
        UnaryOp::Neg,
        UnaryOp::Exp,
        UnaryOp::Log,
        UnaryOp::Sqrt,
        UnaryOp::Abs,
        UnaryOp::Relu,
        UnaryOp::Sigmoid,
        UnaryOp::Tanh,
        UnaryOp::LeakyRelu(0.1),
        UnaryOp::Clamp(-1.0, 1.0),
        UnaryOp::Gelu(false),
        UnaryOp::Gelu(true),
        UnaryOp::Silu,
        UnaryOp::Softplus {
            beta: 2.0,
            threshold: 1.0,
        },
        UnaryOp::Elu(0.5),
        UnaryOp::Selu,
        UnaryOp::Celu(2.0),
        UnaryOp::Mish,
        UnaryOp::Hardtanh(0.0, 6.0),
        UnaryOp::Hardswish,
        UnaryOp::Hardsigmoid,
        UnaryOp::Log1p,
        UnaryOp::Expm1,
        UnaryOp::Log2,
        UnaryOp::Log10,
        UnaryOp::Exp2,
        UnaryOp::Sin,
        UnaryOp::Cos,
        UnaryOp::Tan,
        UnaryOp::Asin,
        UnaryOp::Acos,
        UnaryOp::Atan,
        UnaryOp::Sinh,
        UnaryOp::Cosh,
        UnaryOp::Asinh,
        UnaryOp::Acosh,
        UnaryOp::Atanh,
        UnaryOp::Erf,
        UnaryOp::Reciprocal,
        UnaryOp::Rsqrt,
        UnaryOp::Square,
        UnaryOp::Sign,
        UnaryOp::Floor,
        UnaryOp::Ceil,
        UnaryOp::Trunc,
        UnaryOp::Round(1),
        UnaryOp::Round(-2),
    ];
    let rops = [ReduceOp::Sum, ReduceOp::Mean, ReduceOp::Max, ReduceOp::Min];
    match pick(rng, 26) {
        0 => binary(bops[pick(rng, bops.len() as u64) as usize], a, b),
        1 => Ok(unary(uops[pick(rng, uops.len() as u64) as usize], a)),
        2 => matmul(a, b),
        3 => transpose(a, rand_axis(rng), rand_axis(rng)),
        4 => Ok(t_reverse(a)),
        5 => {
            let k = pick(rng, 4) as usize;
            let spec: Vec<isize> = (0..k).map(|_| pick(rng, 6) as isize - 2).collect();
            reshape(a, &spec)
        }
        6 => flatten(a),
        7 => squeeze(a, opt(rng)),
        8 => unsqueeze(a, rand_axis(rng)),
        9 => cat(&[a.clone(), b.clone()], rand_axis(rng)),
        10 => stack(&[a.clone(), b.clone()], rand_axis(rng)),
        11 => {
            let k = pick(rng, 4) as usize;
            let items: Vec<IndexItem> = (0..k)
                .map(|_| match pick(rng, 3) {
                    0 => IndexItem::At(rand_axis(rng)),
                    1 => IndexItem::Slice {
                        start: opt(rng),
                        stop: opt(rng),
                        step: pick(rng, 4) as isize - 1,
                    },
                    _ => IndexItem::Positions((0..pick(rng, 3)).map(|_| rand_axis(rng)).collect()),
                })
                .collect();
            index(a, &items)
        }
        12 => reduce(rops[pick(rng, 4) as usize], a, opt(rng), pick(rng, 2) == 0),
        13 => argmax(a, opt(rng)),
        14 => argmin(a, opt(rng)),
        15 => softmax(a, rand_axis(rng)),
        16 => log_softmax(a, rand_axis(rng)),
        17 => mse(a, b),
        18 => bce(&unary(UnaryOp::Sigmoid, a), b),
        19 => bce_logits(a, b),
        20 => cross_entropy(a, b),
        21 => {
            let lops = [
                LaneOp::LogSumExp,
                LaneOp::Var(1.0),
                LaneOp::Std(0.0),
                LaneOp::Prod,
                LaneOp::Norm(2.0),
                LaneOp::Norm(f32::INFINITY),
                LaneOp::Norm(0.0),
                LaneOp::Norm(1.5),
                LaneOp::AMax,
                LaneOp::AMin,
            ];
            let dims: Option<Vec<isize>> =
                opt(rng).map(|_| (0..pick(rng, 4)).map(|_| rand_axis(rng)).collect());
            lanes(
                lops[pick(rng, lops.len() as u64) as usize],
                a,
                dims.as_deref(),
                pick(rng, 2) == 0,
            )
        }
        22 => {
            let op = if pick(rng, 2) == 0 {
                ScanOp::CumSum
            } else {
                ScanOp::CumProd
            };
            scan(op, a, rand_axis(rng))
        }
        23 => {
            let k = if pick(rng, 2) == 0 {
                None
            } else {
                Some(pick(rng, 5) as i64 - 1)
            };
            sort_along(a, rand_axis(rng), pick(rng, 2) == 0, k).map(|(v, _)| v)
        }
        24 => {
            let kinds = [
                LossKind::Mse,
                LossKind::L1,
                LossKind::SmoothL1(0.0),
                LossKind::Huber(1.0),
                LossKind::BceLogits,
                LossKind::KlDiv(true),
                LossKind::KlDiv(false),
                LossKind::CrossEntropy { classes: true },
                LossKind::Nll,
            ];
            let reds = [
                Reduction::Mean,
                Reduction::Sum,
                Reduction::None,
                Reduction::BatchMean,
            ];
            let mut op = LossOp::new(kinds[pick(rng, kinds.len() as u64) as usize]);
            op.reduction = reds[pick(rng, 4) as usize];
            op.label_smoothing = if pick(rng, 2) == 0 { 0.0 } else { 0.3 };
            op.ignore_index = pick(rng, 3) as i64 - 1;
            if pick(rng, 2) == 0 {
                op.weight = Some(std::rc::Rc::from(vec![1.0f32; pick(rng, 4) as usize]));
            }
            loss(op, a, b)
        }
        _ => {
            let r = if pick(rng, 2) == 0 {
                set_index(a, &[IndexItem::At(rand_axis(rng))], b)
            } else {
                update_in_place(a, InPlaceOp::Add, b)
            };
            r.map(|_| a.clone())
        }
    }
}

#[test]
fn random_ops_never_panic() {
    let mut rng = Rng::seeded(2024);
    let mut ok = 0;
    for _ in 0..20000 {
        let sa = rand_shape(&mut rng);
        let sb = if pick(&mut rng, 2) == 0 {
            sa.clone()
        } else {
            rand_shape(&mut rng)
        };
        let a = rand_tensor(&mut rng, &sa);
        let b = rand_tensor(&mut rng, &sb);
        let mut cur = a.clone();
        for _ in 0..3 {
            match one_op(&mut rng, &cur, &b) {
                Ok(t) => {
                    cur = t;
                    ok += 1;
                }
                Err(e) => {
                    assert!(!e.to_string().is_empty());
                }
            }
        }
        let s = reduce(ReduceOp::Sum, &cur, None, false).unwrap();
        if let Ok(store) = backward(&s) {
            for t in [&a, &b, &cur] {
                let _ = store.grad(t);
            }
        }
    }
    assert!(ok > 10000, "{ok}");
}
