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
    ];
    let rops = [ReduceOp::Sum, ReduceOp::Mean, ReduceOp::Max, ReduceOp::Min];
    match pick(rng, 22) {
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
