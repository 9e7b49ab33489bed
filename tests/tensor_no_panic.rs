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
    match pick(rng, 38) {
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
            match pick(rng, 3) {
                0 => sort_along(a, rand_axis(rng), pick(rng, 2) == 0, k).map(|(v, _)| v),
                1 => pick_along(a, rand_axis(rng), pick(rng, 2) == 0, "median", |l| {
                    kth_position(l, l.len().saturating_sub(1) / 2)
                })
                .map(|(v, _)| v),
                _ => pick_along(a, rand_axis(rng), pick(rng, 2) == 0, "mode", mode_position)
                    .map(|(v, _)| v),
            }
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
        25 => {
            let r = if pick(rng, 2) == 0 {
                set_index(a, &[IndexItem::At(rand_axis(rng))], b)
            } else {
                update_in_place(a, InPlaceOp::Add, b)
            };
            r.map(|_| a.clone())
        }
        _ => index_op(rng, a, b),
    }
}

/// A random index item: positions (in range or not, whole or not), masks of random
/// shapes, `None`, `...`, slices with any step.
fn rand_item(rng: &mut Rng, b: &Tensor) -> IndexItem {
    match pick(rng, 6) {
        0 => IndexItem::NewAxis,
        1 => IndexItem::Ellipsis,
        2 => IndexItem::Array {
            values: b.data().to_owned(),
            mask: pick(rng, 2) == 0,
        },
        3 => {
            let s = rand_shape(rng);
            let v = rand_tensor(rng, &s)
                .data()
                .mapv(|x| if pick(rng, 9) == 0 { x + 0.5 } else { x });
            IndexItem::Array {
                values: v,
                mask: false,
            }
        }
        4 => IndexItem::Slice {
            start: opt(rng),
            stop: opt(rng),
            step: pick(rng, 7) as isize - 3,
        },
        _ => IndexItem::At(rand_axis(rng)),
    }
}

fn small_ints(rng: &mut Rng, k: u64) -> Vec<i64> {
    (0..pick(rng, k)).map(|_| pick(rng, 9) as i64 - 4).collect()
}

fn index_op(rng: &mut Rng, a: &Tensor, b: &Tensor) -> Result<Tensor, TensorError> {
    match pick(rng, 18) {
        0 => {
            let k = pick(rng, 4) as usize;
            let items: Vec<IndexItem> = (0..k).map(|_| rand_item(rng, b)).collect();
            index(a, &items)
        }
        1 => {
            let items = vec![rand_item(rng, b)];
            set_index(a, &items, b).map(|_| a.clone())
        }
        2 => gather(a, rand_axis(rng), b),
        3 => index_select(a, rand_axis(rng), b),
        4 => embedding(b, a),
        5 => where_(b, a, &Tensor::constant(1.0)),
        6 => masked_fill(a, b, &Tensor::constant(-1.0)),
        7 => tri(a, pick(rng, 5) as i64 - 2, pick(rng, 2) == 0),
        8 => logical(LogicalOp::And, a, Some(b)),
        9 => expand(a, &small_ints(rng, 5)),
        10 => repeat(a, &small_ints(rng, 5), "repeat"),
        11 => {
            let dims: Vec<isize> = (0..pick(rng, 3)).map(|_| rand_axis(rng)).collect();
            flip(a, &dims)
        }
        12 => {
            let dims: Vec<isize> = (0..pick(rng, 3)).map(|_| rand_axis(rng)).collect();
            let shifts = small_ints(rng, 3);
            roll(
                a,
                &shifts,
                if pick(rng, 2) == 0 { None } else { Some(&dims) },
            )
        }
        13 => pad(a, &small_ints(rng, 7), 0.5),
        14 => {
            let dims: Vec<isize> = (0..pick(rng, 5)).map(|_| rand_axis(rng)).collect();
            permute(a, &dims)
        }
        15 => {
            let eqs = [
                "ij,jk->ik",
                "ii->i",
                "ii",
                "ij->",
                "i,j->ij",
                "...ij->...ji",
                "ij,ij->i",
                "bij,bjk->bik",
                "ijk",
                "ab,b",
                "...,...->...",
                "i->ii",
                "ij,jk",
                "iij->j",
            ];
            let eq = eqs[pick(rng, eqs.len() as u64) as usize];
            let ops = if pick(rng, 2) == 0 {
                vec![a.clone()]
            } else {
                vec![a.clone(), b.clone()]
            };
            einsum(eq, &ops)
        }
        16 => {
            let mut g = Rng::seeded(pick(rng, 100));
            multinomial(
                &unary(UnaryOp::Abs, a),
                pick(rng, 5) as usize,
                pick(rng, 2) == 0,
                &mut g,
            )
        }
        _ => {
            let mut g = Rng::seeded(pick(rng, 100));
            let s = rand_shape(rng);
            randint(pick(rng, 5) as i64 - 2, pick(rng, 5) as i64 - 2, &s, &mut g)
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

/// A random convolution geometry (zeros included: the rule must refuse them).
fn rand_geom(rng: &mut Rng) -> ConvGeom {
    let mut two = |lo: u64, n: u64| [(lo + pick(rng, n)) as usize, (lo + pick(rng, n)) as usize];
    ConvGeom {
        stride: two(0, 3),
        pad_lo: two(0, 3),
        pad_hi: two(0, 3),
        dilation: two(0, 3),
        groups: pick(rng, 4) as usize,
    }
}

/// Layer ops (conv2d, the pools) on random shapes and parameters, then backward through
/// them: a value or an error, never a panic.
#[test]
fn random_layer_ops_never_panic() {
    let mut rng = Rng::seeded(14);
    let mut ok = 0;
    for _ in 0..4000 {
        let rank = 2 + pick(&mut rng, 4) as usize;
        let sx: Vec<usize> = (0..rank).map(|_| pick(&mut rng, 6) as usize).collect();
        let sw: Vec<usize> = (0..3 + pick(&mut rng, 2) as usize)
            .map(|_| pick(&mut rng, 4) as usize)
            .collect();
        let x = rand_tensor(&mut rng, &sx);
        let w = rand_tensor(&mut rng, &sw);
        let two = |rng: &mut Rng, lo: u64, n: u64| {
            [(lo + pick(rng, n)) as usize, (lo + pick(rng, n)) as usize]
        };
        let out = match pick(&mut rng, 4) {
            0 => conv2d("conv2d", &x, &w, &rand_geom(&mut rng)),
            1 | 2 => {
                let spec = PoolSpec {
                    kernel: two(&mut rng, 1, 4),
                    stride: two(&mut rng, 1, 3),
                    padding: two(&mut rng, 0, 2),
                    dilation: two(&mut rng, 1, 2),
                    ceil_mode: pick(&mut rng, 2) == 0,
                };
                let max = pick(&mut rng, 2) == 0;
                pool2d(
                    &x,
                    if max { "max_pool2d" } else { "avg_pool2d" },
                    max,
                    &spec,
                    pick(&mut rng, 2) == 0,
                )
            }
            _ => {
                let size = [Some(pick(&mut rng, 4) as usize), None];
                adaptive_avg_pool2d(&x, size)
            }
        };
        match out {
            Ok(y) => {
                ok += 1;
                let s = reduce(ReduceOp::Sum, &y, None, false).unwrap();
                if let Ok(store) = backward(&s) {
                    let _ = store.grad(&x);
                    let _ = store.grad(&w);
                }
            }
            Err(e) => assert!(!e.to_string().is_empty()),
        }
    }
    assert!(ok > 500, "{ok}");
}
