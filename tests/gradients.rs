//! Central finite-difference checks of every op's gradient on seeded random inputs
//! (away from kinks and ties), including every broadcasting pattern and matmul form.

use ndarray::{ArrayD, IxDyn};
use tsr::tensor::*;

mod common;

use common::fd::{arr, arr_off0, check};

fn bin(op: BinaryOp) -> impl Fn(&[Tensor]) -> Tensor {
    move |t: &[Tensor]| binary(op, &t[0], &t[1]).unwrap()
}

const PATTERNS: &[(&[usize], &[usize])] = &[
    (&[3, 4], &[3, 4]),
    (&[3, 4], &[4]),
    (&[3, 4], &[3, 1]),
    (&[3, 4], &[]),
    (&[], &[3, 4]),
    (&[3, 1], &[1, 4]),
    (&[2, 3, 4], &[3, 4]),
    (&[4], &[2, 3, 4]),
    (&[2, 1, 4], &[3, 1]),
    (&[1], &[2, 3]),
];

#[test]
fn binary_ops_all_broadcast_patterns() {
    let mut rng = Rng::seeded(1);
    for &(sa, sb) in PATTERNS {
        for op in [
            BinaryOp::Add,
            BinaryOp::Sub,
            BinaryOp::Mul,
            BinaryOp::Maximum,
            BinaryOp::Minimum,
        ] {
            let a = arr(sa, &mut rng, -2.0, 2.0);
            let b = arr(sb, &mut rng, -2.0, 2.0);
            check(&format!("{op:?} {sa:?} {sb:?}"), vec![a, b], bin(op));
        }
        let a = arr(sa, &mut rng, -2.0, 2.0);
        let b = arr_off0(sb, &mut rng, 0.5);
        check(
            &format!("div {sa:?} {sb:?}"),
            vec![a, b],
            bin(BinaryOp::Div),
        );
        let a = arr(sa, &mut rng, 0.5, 2.0);
        let b = arr(sb, &mut rng, -2.0, 2.0);
        check(
            &format!("pow {sa:?} {sb:?}"),
            vec![a, b],
            bin(BinaryOp::Pow),
        );
        // rem: keep a / b away from integers (no jumps)
        let b = arr(sb, &mut rng, 1.0, 2.0);
        let a = b
            .mapv(|q| q * 1.5)
            .broadcast(IxDyn(sa))
            .map(|v| v.to_owned())
            .unwrap_or_else(|| arr(sa, &mut rng, 0.2, 0.8));
        let _ = a;
        let a = arr(sa, &mut rng, 0.2, 0.8);
        check(
            &format!("rem {sa:?} {sb:?}"),
            vec![a.mapv(|v| v + 3.0), b.clone()],
            bin(BinaryOp::Rem),
        );
        check(
            &format!("rem neg {sa:?} {sb:?}"),
            vec![a.mapv(|v| -v - 3.0), b],
            bin(BinaryOp::Rem),
        );
    }
}

#[test]
fn binary_with_constants() {
    let mut rng = Rng::seeded(2);
    let a = arr(&[3, 2], &mut rng, 0.5, 2.0);
    for op in [
        BinaryOp::Add,
        BinaryOp::Sub,
        BinaryOp::Mul,
        BinaryOp::Div,
        BinaryOp::Pow,
        BinaryOp::Maximum,
    ] {
        check(&format!("{op:?} const rhs"), vec![a.clone()], move |t| {
            binary(op, &t[0], &Tensor::constant(1.3)).unwrap()
        });
        check(&format!("{op:?} const lhs"), vec![a.clone()], move |t| {
            binary(op, &Tensor::constant(1.3), &t[0]).unwrap()
        });
    }
    for e in [2.0, 0.5, 1.0, 3.0, -1.0] {
        check(&format!("pow {e}"), vec![a.clone()], move |t| {
            binary(BinaryOp::Pow, &t[0], &Tensor::constant(e)).unwrap()
        });
    }
    // same tensor on both sides: both paths add up
    check("x*x", vec![a.clone()], |t| {
        binary(BinaryOp::Mul, &t[0], &t[0]).unwrap()
    });
    check("x/x+x", vec![a], |t| {
        binary(
            BinaryOp::Add,
            &binary(BinaryOp::Div, &t[0], &t[0]).unwrap(),
            &t[0],
        )
        .unwrap()
    });
}

#[test]
fn unary_ops() {
    let mut rng = Rng::seeded(3);
    let s = [2, 3, 2];
    let x = arr_off0(&s, &mut rng, 0.1);
    let pos = arr(&s, &mut rng, 0.2, 3.0);
    for op in [
        UnaryOp::Neg,
        UnaryOp::Exp,
        UnaryOp::Abs,
        UnaryOp::Relu,
        UnaryOp::Sigmoid,
        UnaryOp::Tanh,
        UnaryOp::LeakyRelu(0.01),
        UnaryOp::LeakyRelu(0.3),
    ] {
        check(&format!("{op:?}"), vec![x.clone()], move |t| {
            unary(op, &t[0])
        });
    }
    for op in [UnaryOp::Log, UnaryOp::Sqrt] {
        check(&format!("{op:?}"), vec![pos.clone()], move |t| {
            unary(op, &t[0])
        });
    }
    // clamp away from its bounds
    let c = x.mapv(|v| {
        if (v - 0.5).abs() < 0.05 || (v + 0.5).abs() < 0.05 {
            v + 0.2
        } else {
            v
        }
    });
    check("clamp", vec![c], |t| {
        unary(UnaryOp::Clamp(-0.5, 0.5), &t[0])
    });
    check("scalar exp", vec![arr(&[], &mut rng, -1.0, 1.0)], |t| {
        unary(UnaryOp::Exp, &t[0])
    });
}

#[test]
fn matmul_every_form() {
    let mut rng = Rng::seeded(4);
    let forms: &[(&[usize], &[usize])] = &[
        (&[4], &[4]),
        (&[3, 4], &[4, 5]),
        (&[3, 4], &[4]),
        (&[4], &[4, 5]),
        (&[2, 3, 4], &[4, 5]),
        (&[3, 4], &[2, 4, 5]),
        (&[2, 3, 4], &[2, 4, 5]),
        (&[2, 1, 3, 4], &[3, 4, 5]),
        (&[2, 3, 4], &[4]),
        (&[4], &[2, 4, 5]),
        (&[1, 3, 4], &[2, 4, 2]),
        (&[20, 30], &[30, 25]),
    ];
    for &(sa, sb) in forms {
        let a = arr(sa, &mut rng, -1.0, 1.0);
        let b = arr(sb, &mut rng, -1.0, 1.0);
        check(&format!("matmul {sa:?} {sb:?}"), vec![a, b], |t| {
            matmul(&t[0], &t[1]).unwrap()
        });
    }
    // transposed operands (views, no copies)
    let a = arr(&[5, 3], &mut rng, -1.0, 1.0);
    let b = arr(&[4, 3], &mut rng, -1.0, 1.0);
    check("a @ b.T", vec![a.clone(), b.clone()], |t| {
        matmul(&t[0], &t_reverse(&t[1])).unwrap()
    });
    check("a.T @ a", vec![a], |t| {
        matmul(&t_reverse(&t[0]), &t[0]).unwrap()
    });
    let big_a = arr(&[40, 30], &mut rng, -1.0, 1.0);
    let big_b = arr(&[20, 30], &mut rng, -1.0, 1.0);
    check("big a @ b.T", vec![big_a, big_b], |t| {
        matmul(&t[0], &t_reverse(&t[1])).unwrap()
    });
    // `x @ W.T` (Right) and `G.T @ X` (Left) as the evaluator runs them: the transposed
    // operand read in place (`matmul_transposed`); distinct operands, then one twice.
    for (side, sa, sb) in [
        (Transposed::Right, [40, 30], [20, 30]),
        (Transposed::Left, [40, 20], [40, 30]),
    ] {
        let (a, b) = (arr(&sa, &mut rng, -1.0, 1.0), arr(&sb, &mut rng, -1.0, 1.0));
        check(&format!("{side:?} fused"), vec![a, b], |t| {
            matmul_transposed(&t[0], &t[1], side).unwrap().unwrap()
        });
        let a = arr(&[5, 3], &mut rng, -1.0, 1.0);
        check(
            &format!("{side:?} fused, one operand twice"),
            vec![a],
            |t| matmul_transposed(&t[0], &t[0], side).unwrap().unwrap(),
        );
    }
}

#[test]
fn shape_ops() {
    let mut rng = Rng::seeded(5);
    let x = arr(&[2, 3, 4], &mut rng, -1.0, 1.0);
    check("transpose", vec![x.clone()], |t| {
        transpose(&t[0], 0, 2).unwrap()
    });
    check("transpose neg", vec![x.clone()], |t| {
        transpose(&t[0], -1, -2).unwrap()
    });
    check("T", vec![x.clone()], |t| t_reverse(&t[0]));
    check("T then mul", vec![x.clone()], |t| {
        binary(BinaryOp::Mul, &t_reverse(&t[0]), &t_reverse(&t[0])).unwrap()
    });
    check("reshape", vec![x.clone()], |t| {
        reshape(&t[0], &[4, -1]).unwrap()
    });
    check("reshape of T", vec![x.clone()], |t| {
        reshape(&t_reverse(&t[0]), &[-1]).unwrap()
    });
    check("flatten", vec![x.clone()], |t| flatten(&t[0]).unwrap());
    let y = arr(&[2, 1, 3], &mut rng, -1.0, 1.0);
    check("squeeze", vec![y.clone()], |t| {
        squeeze(&t[0], Some(1)).unwrap()
    });
    check("squeeze all", vec![y.clone()], |t| {
        squeeze(&t[0], None).unwrap()
    });
    check("unsqueeze", vec![y.clone()], |t| {
        unsqueeze(&t[0], -1).unwrap()
    });
    let a = arr(&[2, 3], &mut rng, -1.0, 1.0);
    let b = arr(&[2, 2], &mut rng, -1.0, 1.0);
    let c = arr(&[2, 3], &mut rng, -1.0, 1.0);
    check("cat axis 1", vec![a.clone(), b, a.clone()], |t| {
        cat(t, 1).unwrap()
    });
    check("cat axis 0", vec![a.clone(), c.clone()], |t| {
        cat(t, 0).unwrap()
    });
    check("cat same twice", vec![a.clone()], |t| {
        cat(&[t[0].clone(), t[0].clone()], -1).unwrap()
    });
    check("stack 0", vec![a.clone(), c.clone()], |t| {
        stack(t, 0).unwrap()
    });
    check("stack -1", vec![a.clone(), c.clone()], |t| {
        stack(t, -1).unwrap()
    });
    let items = vec![IndexItem::At(1)];
    check("index x[1]", vec![x.clone()], move |t| {
        index(&t[0], &items).unwrap()
    });
    let items = vec![
        IndexItem::Slice {
            start: None,
            stop: None,
            step: 1,
        },
        IndexItem::At(-1),
    ];
    check("index x[:, -1]", vec![x.clone()], move |t| {
        index(&t[0], &items).unwrap()
    });
    let items = vec![
        IndexItem::Slice {
            start: Some(-1),
            stop: Some(10),
            step: 1,
        },
        IndexItem::Slice {
            start: Some(0),
            stop: None,
            step: 2,
        },
        IndexItem::Slice {
            start: Some(1),
            stop: Some(-1),
            step: 1,
        },
    ];
    check("index slices", vec![x.clone()], move |t| {
        index(&t[0], &items).unwrap()
    });
    let items = vec![
        IndexItem::Slice {
            start: None,
            stop: None,
            step: 1,
        },
        IndexItem::Positions(vec![2, 0, 2, -1]),
    ];
    check("index positions", vec![x.clone()], move |t| {
        index(&t[0], &items).unwrap()
    });
    let items = vec![IndexItem::At(0), IndexItem::At(1), IndexItem::At(2)];
    check("index element", vec![x], move |t| {
        index(&t[0], &items).unwrap()
    });
}

#[test]
fn reductions() {
    let mut rng = Rng::seeded(6);
    let x = arr(&[3, 4, 2], &mut rng, -1.0, 1.0);
    for op in [ReduceOp::Sum, ReduceOp::Mean, ReduceOp::Max, ReduceOp::Min] {
        check(&format!("{op:?} all"), vec![x.clone()], move |t| {
            reduce(op, &t[0], None, false).unwrap()
        });
        check(&format!("{op:?} all keepdim"), vec![x.clone()], move |t| {
            reduce(op, &t[0], None, true).unwrap()
        });
        for ax in [0, 1, 2, -1] {
            for keep in [false, true] {
                check(
                    &format!("{op:?} axis {ax} keep {keep}"),
                    vec![x.clone()],
                    move |t| reduce(op, &t[0], Some(ax), keep).unwrap(),
                );
            }
        }
    }
    let v = arr(&[5], &mut rng, -1.0, 1.0);
    check("sum vector", vec![v.clone()], |t| {
        reduce(ReduceOp::Sum, &t[0], Some(0), false).unwrap()
    });
    check("max vector", vec![v], |t| {
        reduce(ReduceOp::Max, &t[0], Some(0), false).unwrap()
    });
}

#[test]
fn softmaxes() {
    let mut rng = Rng::seeded(7);
    let x = arr(&[3, 4], &mut rng, -2.0, 2.0);
    let x3 = arr(&[2, 3, 4], &mut rng, -2.0, 2.0);
    for ax in [0, 1, -1] {
        check(&format!("softmax {ax}"), vec![x.clone()], move |t| {
            softmax(&t[0], ax).unwrap()
        });
        check(&format!("log_softmax {ax}"), vec![x.clone()], move |t| {
            log_softmax(&t[0], ax).unwrap()
        });
    }
    for ax in [0, 1, 2] {
        check(&format!("softmax3 {ax}"), vec![x3.clone()], move |t| {
            softmax(&t[0], ax).unwrap()
        });
        check(&format!("log_softmax3 {ax}"), vec![x3.clone()], move |t| {
            log_softmax(&t[0], ax).unwrap()
        });
    }
    check("softmax T", vec![x], |t| {
        softmax(&t_reverse(&t[0]), 1).unwrap()
    });
}

#[test]
fn losses() {
    let mut rng = Rng::seeded(8);
    let p = arr(&[4, 3], &mut rng, -1.0, 1.0);
    let t = arr(&[4, 3], &mut rng, -1.0, 1.0);
    check("mse", vec![p.clone(), t.clone()], |x| {
        mse(&x[0], &x[1]).unwrap()
    });
    let prob = arr(&[4, 3], &mut rng, 0.1, 0.9);
    let tgt = arr(&[4, 3], &mut rng, 0.0, 1.0);
    check("bce", vec![prob, tgt.clone()], |x| {
        bce(&x[0], &x[1]).unwrap()
    });
    check("bce_logits", vec![p.clone(), tgt.clone()], |x| {
        bce_logits(&x[0], &x[1]).unwrap()
    });
    let big = p.mapv(|v| v * 20.0);
    check("bce_logits large", vec![big, tgt], |x| {
        bce_logits(&x[0], &x[1]).unwrap()
    });
    // class indices: gradient for the logits only
    let cls = ArrayD::from_shape_vec(IxDyn(&[4]), vec![2.0, 0.0, 1.0, 2.0]).unwrap();
    let ct = Tensor::leaf(cls);
    check("cross_entropy indices", vec![p.clone()], move |x| {
        cross_entropy(&x[0], &ct).unwrap()
    });
    let probs = softmax(&Tensor::leaf(arr(&[4, 3], &mut rng, -1.0, 1.0)), 1)
        .unwrap()
        .data()
        .clone();
    check("cross_entropy probs", vec![p.clone(), probs], |x| {
        cross_entropy(&x[0], &x[1]).unwrap()
    });
    let row = arr(&[5], &mut rng, -1.0, 1.0);
    let c0 = Tensor::leaf(ArrayD::from_elem(IxDyn(&[]), 3.0));
    check("cross_entropy 1-d", vec![row.clone()], move |x| {
        cross_entropy(&x[0], &c0).unwrap()
    });
    let pr = arr(&[5], &mut rng, 0.0, 1.0);
    check("cross_entropy 1-d probs", vec![row, pr], |x| {
        cross_entropy(&x[0], &x[1]).unwrap()
    });
}

#[test]
fn composite_mlp() {
    let mut rng = Rng::seeded(9);
    let x = arr(&[5, 4], &mut rng, -1.0, 1.0);
    let w1 = arr(&[3, 4], &mut rng, -1.0, 1.0);
    let b1 = arr(&[3], &mut rng, -1.0, 1.0);
    let w2 = arr(&[2, 3], &mut rng, -1.0, 1.0);
    check("mlp", vec![x, w1, b1, w2], |t| {
        let h = binary(
            BinaryOp::Add,
            &matmul(&t[0], &t_reverse(&t[1])).unwrap(),
            &t[2],
        )
        .unwrap();
        let h = unary(UnaryOp::Tanh, &h);
        let o = matmul(&h, &t_reverse(&t[3])).unwrap();
        log_softmax(&o, -1).unwrap()
    });
}
