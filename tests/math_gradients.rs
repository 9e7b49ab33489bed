//! Central finite-difference checks of the math ops' gradients on seeded random inputs
//! (away from kinks and ties): every new unary and binary op (binary ones over every
//! broadcasting pattern), the lane reductions over single axes and lists of axes, the
//! scans, sort/topk, median/mode, and every loss with every reduction.

mod common;

use common::fd::{arr, arr_off0, check, check_tol};
use ndarray::{ArrayD, IxDyn};
use std::rc::Rc;
use tsr::tensor::*;

fn un(op: UnaryOp) -> impl Fn(&[Tensor]) -> Tensor {
    move |t: &[Tensor]| unary(op, &t[0])
}

#[test]
fn unary_math_ops() {
    let mut rng = Rng::seeded(11);
    let wide = || {
        let mut r = Rng::seeded(5);
        arr_off0(&[3, 4], &mut r, 0.2)
    };
    for op in [
        UnaryOp::Gelu(false),
        UnaryOp::Gelu(true),
        UnaryOp::Silu,
        UnaryOp::Softplus {
            beta: 1.0,
            threshold: 20.0,
        },
        UnaryOp::Softplus {
            beta: 2.0,
            threshold: 1.0,
        },
        UnaryOp::Elu(1.0),
        UnaryOp::Elu(0.3),
        UnaryOp::Selu,
        UnaryOp::Celu(2.0),
        UnaryOp::Mish,
        UnaryOp::Sin,
        UnaryOp::Cos,
        UnaryOp::Atan,
        UnaryOp::Sinh,
        UnaryOp::Cosh,
        UnaryOp::Asinh,
        UnaryOp::Erf,
        UnaryOp::Expm1,
        UnaryOp::Exp2,
        UnaryOp::Square,
        UnaryOp::Reciprocal,
        UnaryOp::Hardtanh(-0.5, 0.5),
    ] {
        check(&format!("{op:?}"), vec![wide()], un(op));
    }
    // Hard activations away from their kinks at -3 and 3.
    let mut r = Rng::seeded(6);
    let h = arr(&[20], &mut r, -2.9, 2.9);
    check("hardswish", vec![h.clone()], un(UnaryOp::Hardswish));
    check(
        "hardsigmoid",
        vec![h.clone().mapv(|v| v * 2.0)],
        un(UnaryOp::Hardsigmoid),
    );
    let pos = arr(&[3, 4], &mut rng, 0.2, 3.0);
    for op in [
        UnaryOp::Log1p,
        UnaryOp::Log2,
        UnaryOp::Log10,
        UnaryOp::Rsqrt,
        UnaryOp::Tan,
    ] {
        check(
            &format!("{op:?}"),
            vec![pos.clone().mapv(|v| v * 0.4)],
            un(op),
        );
    }
    let unit = arr(&[3, 4], &mut rng, -0.8, 0.8);
    for op in [UnaryOp::Asin, UnaryOp::Acos, UnaryOp::Atanh] {
        check(&format!("{op:?}"), vec![unit.clone()], un(op));
    }
    check("acosh", vec![pos.mapv(|v| v + 1.2)], un(UnaryOp::Acosh));
    // Steps: gradient 0 (their finite differences are 0 away from the steps).
    let steps = arr(&[10], &mut rng, 0.1, 0.4).mapv(|v| v + 1.0);
    for op in [
        UnaryOp::Sign,
        UnaryOp::Floor,
        UnaryOp::Ceil,
        UnaryOp::Trunc,
        UnaryOp::Round(0),
    ] {
        check(&format!("{op:?}"), vec![steps.clone()], un(op));
    }
}

const PATTERNS: &[(&[usize], &[usize])] = &[
    (&[3, 4], &[3, 4]),
    (&[3, 4], &[4]),
    (&[3, 4], &[3, 1]),
    (&[3, 4], &[]),
    (&[], &[3, 4]),
    (&[3, 1], &[1, 4]),
    (&[2, 1, 4], &[3, 1]),
];

#[test]
fn binary_math_ops_broadcast() {
    let mut rng = Rng::seeded(12);
    for &(sa, sb) in PATTERNS {
        let a = arr(sa, &mut rng, -2.0, 2.0);
        let b = arr(sb, &mut rng, -2.0, 2.0);
        let bin = |op| move |t: &[Tensor]| binary(op, &t[0], &t[1]).unwrap();
        check(
            &format!("atan2 {sa:?} {sb:?}"),
            vec![a.clone(), b.clone()],
            bin(BinaryOp::Atan2),
        );
        check(
            &format!("logaddexp {sa:?} {sb:?}"),
            vec![a.clone(), b.clone()],
            bin(BinaryOp::LogAddExp),
        );
        // fmod away from its jumps: |a| < |b| ranges that do not cross a multiple.
        let fa = a.mapv(|v| v * 0.4);
        let fb = b.mapv(|v| if v < 0.0 { v - 1.0 } else { v + 1.0 });
        check(
            &format!("fmod {sa:?} {sb:?}"),
            vec![fa, fb],
            bin(BinaryOp::Fmod),
        );
    }
}

fn lanes_f(op: LaneOp, dims: Option<Vec<isize>>, keep: bool) -> impl Fn(&[Tensor]) -> Tensor {
    move |t: &[Tensor]| lanes(op, &t[0], dims.as_deref(), keep).unwrap()
}

#[test]
fn lane_reductions() {
    let mut rng = Rng::seeded(13);
    let x = arr(&[2, 3, 4], &mut rng, -2.0, 2.0);
    let dims: Vec<Option<Vec<isize>>> = vec![
        None,
        Some(vec![0]),
        Some(vec![-1]),
        Some(vec![0, 2]),
        Some(vec![1, 2]),
        Some(vec![]),
    ];
    for d in &dims {
        for keep in [false, true] {
            for op in [
                LaneOp::LogSumExp,
                LaneOp::Var(1.0),
                LaneOp::Var(0.0),
                LaneOp::Std(1.0),
                LaneOp::Prod,
                LaneOp::Norm(2.0),
                LaneOp::Norm(1.0),
                LaneOp::Norm(3.0),
                LaneOp::Norm(1.5),
                LaneOp::Norm(f32::INFINITY),
                LaneOp::AMax,
                LaneOp::AMin,
            ] {
                check(
                    &format!("{op:?} {d:?} keepdim={keep}"),
                    vec![x.clone()],
                    lanes_f(op, d.clone(), keep),
                );
            }
        }
    }
    // A 0-d tensor along axis 0.
    let s = ArrayD::from_elem(IxDyn(&[]), 1.3f32);
    check(
        "logsumexp 0-d",
        vec![s.clone()],
        lanes_f(LaneOp::LogSumExp, Some(vec![0]), false),
    );
    check("prod 0-d", vec![s], lanes_f(LaneOp::Prod, None, false));
}

#[test]
fn scans_and_sorting() {
    let mut rng = Rng::seeded(14);
    let x = arr(&[3, 4, 2], &mut rng, -2.0, 2.0);
    for ax in [0isize, 1, -1] {
        check(&format!("cumsum {ax}"), vec![x.clone()], move |t| {
            scan(ScanOp::CumSum, &t[0], ax).unwrap()
        });
        check(&format!("cumprod {ax}"), vec![x.clone()], move |t| {
            scan(ScanOp::CumProd, &t[0], ax).unwrap()
        });
        for desc in [false, true] {
            check(&format!("sort {ax} {desc}"), vec![x.clone()], move |t| {
                sort_along(&t[0], ax, desc, None).unwrap().0
            });
            check(&format!("topk {ax} {desc}"), vec![x.clone()], move |t| {
                sort_along(&t[0], ax, desc, Some(2)).unwrap().0
            });
        }
        for keepdim in [false, true] {
            check(
                &format!("median {ax} {keepdim}"),
                vec![x.clone()],
                move |t| {
                    pick_along(&t[0], ax, keepdim, "median", |l| {
                        kth_position(l, (l.len() - 1) / 2)
                    })
                    .unwrap()
                    .0
                },
            );
            check(&format!("mode {ax} {keepdim}"), vec![x.clone()], move |t| {
                pick_along(&t[0], ax, keepdim, "mode", mode_position)
                    .unwrap()
                    .0
            });
        }
    }
    // cumprod with a zero in the lane: the finite differences are exact there too.
    let z = ArrayD::from_shape_vec(
        IxDyn(&[2, 4]),
        vec![1.5, 0.0, -2.0, 0.7, 0.0, 1.2, 0.0, 2.0],
    )
    .unwrap();
    check("cumprod zeros", vec![z.clone()], |t| {
        scan(ScanOp::CumProd, &t[0], 1).unwrap()
    });
    check(
        "prod zeros",
        vec![z],
        lanes_f(LaneOp::Prod, Some(vec![1]), false),
    );
}

fn with(kind: LossKind, reduction: Reduction) -> LossOp {
    LossOp {
        reduction,
        ..LossOp::new(kind)
    }
}

#[test]
fn losses_every_reduction() {
    let mut rng = Rng::seeded(15);
    let p = arr(&[3, 4], &mut rng, -2.0, 2.0);
    let q = arr(&[3, 4], &mut rng, -2.0, 2.0);
    let probs = arr(&[3, 4], &mut rng, 0.1, 0.9);
    let pos = arr(&[3, 4], &mut rng, 0.1, 0.9);
    for r in [Reduction::Mean, Reduction::Sum, Reduction::None] {
        for (kind, a, b) in [
            (LossKind::Mse, &p, &q),
            (LossKind::L1, &p, &q),
            (LossKind::SmoothL1(1.0), &p, &q),
            (LossKind::SmoothL1(0.3), &p, &q),
            (LossKind::Huber(0.5), &p, &q),
            (LossKind::Bce, &probs, &pos),
            (LossKind::BceLogits, &p, &pos),
            (LossKind::KlDiv(false), &p, &pos),
            (LossKind::KlDiv(true), &p, &q),
        ] {
            let op = with(kind, r);
            check(
                &format!("{kind:?} {r:?}"),
                vec![a.clone(), b.clone()],
                move |t| loss(op.clone(), &t[0], &t[1]).unwrap(),
            );
        }
        let op = with(LossKind::KlDiv(false), Reduction::BatchMean);
        check("kl_div batchmean", vec![p.clone(), pos.clone()], move |t| {
            loss(op.clone(), &t[0], &t[1]).unwrap()
        });
        // Class losses: gradients of the logits (the indices have none) and of soft targets.
        let labels = ArrayD::from_shape_vec(IxDyn(&[3]), vec![3.0, -100.0, 1.0]).unwrap();
        for kind in [LossKind::CrossEntropy { classes: true }, LossKind::Nll] {
            let mut op = with(kind, r);
            op.weight = Some(Rc::from(vec![0.5f32, 1.0, 2.0, 1.5]));
            if kind != LossKind::Nll {
                op.label_smoothing = 0.2;
            }
            let l = labels.clone();
            check(&format!("{kind:?} {r:?}"), vec![p.clone()], move |t| {
                loss(op.clone(), &t[0], &Tensor::leaf(l.clone())).unwrap()
            });
        }
        let mut op = with(LossKind::CrossEntropy { classes: false }, r);
        op.label_smoothing = 0.1;
        op.weight = Some(Rc::from(vec![0.5f32, 1.0, 2.0, 1.5]));
        check_tol(
            &format!("cross_entropy soft {r:?}"),
            vec![p.clone(), probs.clone()],
            2e-2,
            move |t| loss(op.clone(), &t[0], &t[1]).unwrap(),
        );
    }
}
