//! Semantics of backward and gradients: replacement not accumulation, intermediates,
//! shared tensors, why a tensor was not reached, staleness after in-place changes,
//! deferred leaf gradients, very deep graphs, optimisers, and shape errors.

use ndarray::{ArrayD, IxDyn};
use tsr::tensor::*;

fn t(shape: &[usize], v: &[f32]) -> Tensor {
    Tensor::leaf(ArrayD::from_shape_vec(IxDyn(shape), v.to_vec()).unwrap())
}

fn vals(x: &Tensor) -> Vec<f32> {
    x.data().iter().copied().collect()
}

fn add(a: &Tensor, b: &Tensor) -> Tensor {
    binary(BinaryOp::Add, a, b).unwrap()
}
fn mul(a: &Tensor, b: &Tensor) -> Tensor {
    binary(BinaryOp::Mul, a, b).unwrap()
}
fn sum(a: &Tensor) -> Tensor {
    reduce(ReduceOp::Sum, a, None, false).unwrap()
}
fn c(v: f32) -> Tensor {
    Tensor::constant(v)
}

#[test]
fn gradients_replace_not_accumulate() {
    let x = t(&[3], &[1.0, 2.0, 3.0]);
    let loss = sum(&mul(&x, &x));
    let g1 = backward(&loss).unwrap().grad(&x).unwrap();
    let g2 = backward(&loss).unwrap().grad(&x).unwrap();
    assert_eq!(vals(&g1), vec![2.0, 4.0, 6.0]);
    assert_eq!(vals(&g2), vals(&g1));
    assert!(!g1.ptr_eq(&g2));
    assert!(g1.is_leaf());
}

#[test]
fn grad_of_loss_is_ones_and_intermediates_have_gradients() {
    let x = t(&[2], &[1.0, -2.0]);
    let h = mul(&x, &c(3.0));
    let loss = sum(&mul(&h, &h));
    let s = backward(&loss).unwrap();
    assert_eq!(vals(&s.grad(&loss).unwrap()), vec![1.0]);
    assert_eq!(s.grad(&loss).unwrap().shape(), Vec::<usize>::new());
    assert_eq!(vals(&s.grad(&h).unwrap()), vec![6.0, -12.0]);
    assert_eq!(vals(&s.grad(&x).unwrap()), vec![18.0, -36.0]);
    assert!(s.contains(&h) && s.contains(&x) && s.contains(&loss));
}

#[test]
fn tensor_used_twice_sums_both_paths() {
    let x = t(&[2], &[1.0, 2.0]);
    let y = add(&x, &x);
    let z = add(&mul(&y, &c(2.0)), &x);
    let s = backward(&sum(&z)).unwrap();
    assert_eq!(vals(&s.grad(&x).unwrap()), vec![5.0, 5.0]);
    assert_eq!(vals(&s.grad(&y).unwrap()), vec![2.0, 2.0]);
}

#[test]
fn not_reached_reasons() {
    let x = t(&[2], &[1.0, 2.0]);
    let unrelated = t(&[2], &[0.0, 0.0]);
    let k = c(2.0);
    let loss = sum(&mul(&x, &k));
    let s = backward(&loss).unwrap();
    let later = mul(&x, &c(1.0));
    let why = |r: Result<Tensor, TensorError>| match r {
        Err(TensorError::NotReached { why }) => why,
        other => panic!("expected NotReached, got {other:?}"),
    };
    assert_eq!(why(s.grad(&k)), NotReachedWhy::Constant);
    assert_eq!(why(s.grad(&unrelated)), NotReachedWhy::NotAncestor);
    assert_eq!(why(s.grad(&later)), NotReachedWhy::CreatedAfter);
    assert!(!s.contains(&unrelated));
    // only through a comparison: no gradient path
    let a = t(&[2], &[1.0, 5.0]);
    let l2 = sum(&mul(&binary(BinaryOp::Lt, &a, &c(3.0)).unwrap(), &x));
    let s2 = backward(&l2).unwrap();
    assert_eq!(why(s2.grad(&a)), NotReachedWhy::Through("lt"));
    assert_eq!(vals(&s2.grad(&x).unwrap()), vec![1.0, 0.0]);
    // argmax gives a leaf
    let am = argmax(&x, None).unwrap();
    assert!(am.is_leaf());
}

#[test]
fn backward_needs_one_element() {
    let x = t(&[2], &[1.0, 2.0]);
    match backward(&mul(&x, &x)) {
        Err(TensorError::NotScalar { shape }) => assert_eq!(shape, vec![2]),
        other => panic!("{:?}", other.map(|_| ())),
    }
    let one = t(&[1, 1], &[3.0]);
    let s = backward(&mul(&one, &one)).unwrap();
    assert_eq!(vals(&s.grad(&one).unwrap()), vec![6.0]);
    assert!(TensorError::NotScalar { shape: vec![2, 3] }
        .to_string()
        .contains("[2, 3]"));
}

#[test]
fn stale_after_in_place_change() {
    let x = t(&[2], &[1.0, 2.0]);
    let w = t(&[2], &[3.0, 4.0]);
    let loss = sum(&mul(&x, &w));
    assert!(backward(&loss).is_ok());
    update_in_place(&w, InPlaceOp::Sub, &c(1.0)).unwrap();
    match backward(&loss) {
        Err(TensorError::Stale {
            op,
            tensor,
            input_version,
            now_version,
        }) => {
            assert_eq!(op, "mul");
            assert_eq!(tensor, w.id(), "the changed tensor is named");
            assert_eq!((input_version, now_version), (0, 1));
        }
        other => panic!("{:?}", other.map(|_| ())),
    }
    // An op that reads its own output (sigmoid), whose output was changed in place.
    let s = unary(UnaryOp::Sigmoid, &x);
    update_in_place(&s, InPlaceOp::Add, &c(1.0)).unwrap();
    match backward(&sum(&s)) {
        Err(TensorError::Stale { op, tensor, .. }) => {
            assert_eq!(op, "sigmoid");
            assert_eq!(tensor, s.id());
        }
        other => panic!("{:?}", other.map(|_| ())),
    }
    // set_index bumps the version too
    let y = t(&[2], &[1.0, 2.0]);
    let l = sum(&mul(&y, &y));
    set_index(&y, &[IndexItem::At(0)], &c(5.0)).unwrap();
    assert_eq!(vals(&y), vec![5.0, 2.0]);
    assert!(matches!(backward(&l), Err(TensorError::Stale { .. })));
}

#[test]
fn in_place_keeps_identity_and_is_not_recorded() {
    let w = t(&[2, 2], &[1.0, 2.0, 3.0, 4.0]);
    let id = w.id();
    update_in_place(&w, InPlaceOp::Sub, &t(&[2], &[1.0, 1.0])).unwrap();
    update_in_place(&w, InPlaceOp::Mul, &c(2.0)).unwrap();
    update_in_place(&w, InPlaceOp::Div, &t(&[2, 1], &[1.0, 2.0])).unwrap();
    update_in_place(&w, InPlaceOp::Add, &w.clone()).unwrap();
    assert_eq!(w.id(), id);
    assert!(w.is_leaf());
    assert_eq!(w.version(), 4);
    assert_eq!(vals(&w), vec![0.0, 4.0, 4.0, 6.0]);
    match update_in_place(&w, InPlaceOp::Sub, &t(&[3], &[1.0, 1.0, 1.0])) {
        Err(TensorError::Broadcast {
            lhs_axis, rhs_axis, ..
        }) => assert_eq!((lhs_axis, rhs_axis), (1, 0)),
        other => panic!("{other:?}"),
    }
    assert!(matches!(
        update_in_place(&w, InPlaceOp::Sub, &t(&[2, 2, 2], &[0.0; 8])),
        Err(TensorError::InPlace { .. })
    ));
    assert_eq!(w.version(), 4);
}

#[test]
fn deferred_leaf_gradient_equals_eager_and_survives_updates() {
    let x = t(&[2, 3], &[0.5, -1.0, 2.0, 1.5, 0.3, -0.7]);
    let w = t(&[3, 3], &[0.1, 0.2, -0.3, 0.4, -0.5, 0.6, 0.7, 0.8, -0.9]);
    w.mark_wanted();
    let loss = sum(&unary(UnaryOp::Tanh, &matmul(&x, &w).unwrap()));
    // x is not wanted: its edge is deferred
    let s = backward(&loss).unwrap();
    // updating w in place flushes the deferred gradient of x first
    let gw = s.grad(&w).unwrap();
    update_in_place(&w, InPlaceOp::Sub, &mul(&c(0.5), &gw)).unwrap();
    let deferred = s.grad(&x).unwrap();
    // eager: a fresh graph with the original w
    let x2 = x.detach();
    x2.mark_wanted();
    let w2 = t(&[3, 3], &[0.1, 0.2, -0.3, 0.4, -0.5, 0.6, 0.7, 0.8, -0.9]);
    let l2 = sum(&unary(UnaryOp::Tanh, &matmul(&x2, &w2).unwrap()));
    let eager = backward(&l2).unwrap().grad(&x2).unwrap();
    assert_eq!(vals(&deferred), vals(&eager));
    // grad marked x wanted: the next backward computes it eagerly
    assert!(x.grad_wanted());
}

#[test]
fn million_step_chain_backward_and_drop() {
    let x = t(&[], &[1.5]);
    let one = c(1.0);
    let mut y = x.clone();
    for _ in 0..1_000_000 {
        y = mul(&y, &one);
    }
    let s = backward(&y).unwrap();
    assert_eq!(vals(&s.grad(&x).unwrap()), vec![1.0]);
    drop(s);
    drop(y);
    // and a graph dropped without any backward
    let mut z = x.clone();
    for _ in 0..1_000_000 {
        z = add(&z, &one);
    }
    assert_eq!(z.item(), Some(1_000_001.5));
    drop(z);
}

#[test]
fn sgd_momentum_by_hand() {
    let p = t(&[], &[1.0]);
    let mut opt = Sgd::new(vec![p.clone()], 0.1, 0.9);
    let mut seen = vec![];
    for _ in 0..3 {
        let s = backward(&mul(&p, &p)).unwrap();
        opt.step(&s).unwrap();
        seen.push(p.item().unwrap());
    }
    // g=2 buf=2 p=.8; g=1.6 buf=3.4 p=.46; g=.92 buf=3.98 p=.062
    for (a, b) in seen.iter().zip([0.8, 0.46, 0.062]) {
        assert!((a - b).abs() < 1e-6, "{seen:?}");
    }
}

#[test]
fn adam_by_hand_and_skips_unreached() {
    let p = t(&[], &[1.0]);
    let q = t(&[], &[7.0]);
    let mut opt = Adam::new(vec![p.clone(), q.clone()], 0.1, 0.9, 0.999, 1e-8);
    let s = backward(&mul(&p, &p)).unwrap();
    opt.step(&s).unwrap();
    // first step moves by lr * sign(g)
    assert!((p.item().unwrap() - 0.9).abs() < 1e-6);
    assert_eq!(q.item(), Some(7.0));
    assert_eq!(q.version(), 0);
}

#[test]
fn shape_errors_carry_their_data() {
    let a = t(&[2, 3], &[0.0; 6]);
    let b = t(&[4, 3], &[0.0; 12]);
    match binary(BinaryOp::Add, &a, &b) {
        Err(e @ TensorError::Broadcast { .. }) => {
            assert_eq!(
                e,
                TensorError::Broadcast {
                    lhs: vec![2, 3],
                    rhs: vec![4, 3],
                    lhs_axis: 0,
                    rhs_axis: 0
                }
            );
            assert!(e.to_string().contains("[2, 3]"));
        }
        other => panic!("{other:?}"),
    }
    let v = t(&[3], &[0.0; 3]);
    let e = binary(
        BinaryOp::Add,
        &t(&[5, 4, 2], &[0.0; 40]),
        &t(&[4, 3], &[0.0; 12]),
    )
    .unwrap_err();
    assert_eq!(
        e,
        TensorError::Broadcast {
            lhs: vec![5, 4, 2],
            rhs: vec![4, 3],
            lhs_axis: 2,
            rhs_axis: 1
        }
    );
    let kind = |r: Result<Tensor, TensorError>| match r {
        Err(TensorError::MatMul { kind, .. }) => kind,
        other => panic!("{other:?}"),
    };
    assert_eq!(kind(matmul(&a, &a)), MatMulKind::Inner);
    assert_eq!(kind(matmul(&c(1.0), &a)), MatMulKind::ZeroDim);
    assert_eq!(
        kind(matmul(
            &t(&[2, 2, 3], &[0.0; 12]),
            &t(&[3, 3, 1], &[0.0; 9])
        )),
        MatMulKind::Batch
    );
    assert_eq!(kind(matmul(&v, &t(&[2], &[0.0; 2]))), MatMulKind::Inner);
    let reason = |spec: &[isize]| match reshape(&a, spec) {
        Err(TensorError::Reshape { reason, .. }) => reason,
        other => panic!("{other:?}"),
    };
    assert_eq!(reason(&[4, 2]), ReshapeReason::Size);
    assert_eq!(reason(&[-1, -1]), ReshapeReason::TwoInferred);
    assert_eq!(reason(&[-2, -3]), ReshapeReason::Negative);
    assert_eq!(reason(&[4, -1]), ReshapeReason::CannotInfer);
    assert_eq!(reshape(&a, &[3, -1]).unwrap().shape(), vec![3, 2]);
    assert_eq!(
        squeeze(&a, Some(0)).unwrap_err(),
        TensorError::Squeeze { axis: 0, size: 2 }
    );
    assert_eq!(
        squeeze(&a, Some(2)).unwrap_err(),
        TensorError::Axis { axis: 2, ndim: 2 }
    );
    assert_eq!(
        index(&a, &[IndexItem::At(0), IndexItem::At(-4)]).unwrap_err(),
        TensorError::IndexOutOfRange {
            axis: 1,
            index: -4,
            size: 3
        }
    );
    assert_eq!(
        index(&a, &[IndexItem::At(0), IndexItem::At(0), IndexItem::At(0)]).unwrap_err(),
        TensorError::TooManyIndices { given: 3, ndim: 2 }
    );
    assert!(matches!(
        index(
            &a,
            &[IndexItem::Slice {
                start: None,
                stop: None,
                step: 0
            }]
        ),
        Err(TensorError::Value(_))
    ));
    assert_eq!(
        index(
            &a,
            &[IndexItem::Slice {
                start: Some(5),
                stop: Some(9),
                step: 1
            }]
        )
        .unwrap()
        .shape(),
        vec![0, 3]
    );
    assert!(matches!(
        cat(&[], 0),
        Err(TensorError::Cat {
            kind: CatKind::Empty,
            ..
        })
    ));
    assert!(matches!(
        cat(&[a.clone(), v.clone()], 0),
        Err(TensorError::Cat {
            kind: CatKind::Rank,
            which: 1,
            ..
        })
    ));
    assert!(matches!(
        cat(&[a.clone(), b.clone()], 1),
        Err(TensorError::Cat {
            kind: CatKind::Size,
            which: 1,
            ..
        })
    ));
    assert_eq!(cat(&[a.clone(), b.clone()], 0).unwrap().shape(), vec![6, 3]);
    assert!(matches!(
        stack(&[a.clone(), b.clone()], 0),
        Err(TensorError::Cat {
            kind: CatKind::Size,
            ..
        })
    ));
    assert_eq!(
        mse(&t(&[3, 1], &[0.0; 3]), &v).unwrap_err(),
        TensorError::LossShape {
            loss: "mse",
            pred: vec![3, 1],
            target: vec![3]
        }
    );
    let logits = t(&[2, 3], &[0.0; 6]);
    assert!(matches!(
        cross_entropy(&logits, &t(&[2], &[0.0, 3.0])),
        Err(TensorError::ClassTarget {
            kind: ClassTargetKind::OutOfRange {
                position: 1,
                classes: 3,
                ..
            }
        })
    ));
    assert!(matches!(
        cross_entropy(&logits, &t(&[2], &[0.5, 1.0])),
        Err(TensorError::ClassTarget {
            kind: ClassTargetKind::NotInteger { position: 0, .. }
        })
    ));
    assert!(matches!(
        cross_entropy(&logits, &t(&[3], &[0.0; 3])),
        Err(TensorError::LossShape { .. })
    ));
    assert!(matches!(arange(0.0, 1.0, 0.0), Err(TensorError::Value(_))));
    assert!(matches!(linspace(0.0, 1.0, -1), Err(TensorError::Value(_))));
    assert!(matches!(
        reduce(ReduceOp::Max, &t(&[0], &[]), None, false),
        Err(TensorError::Value(_))
    ));
    assert_eq!(
        reduce(ReduceOp::Sum, &t(&[0], &[]), None, false)
            .unwrap()
            .item(),
        Some(0.0)
    );
}

#[test]
fn memory_budget() {
    set_max_tensor_bytes(1 << 20);
    assert!(matches!(
        zeros(&[1024, 1024]),
        Err(TensorError::TooLarge {
            bytes: Some(4194304),
            ..
        })
    ));
    assert!(matches!(
        zeros(&[usize::MAX, 4]),
        Err(TensorError::TooLarge { bytes: None, .. })
    ));
    assert!(matches!(
        zeros(&[usize::MAX, 0]),
        Err(TensorError::TooLarge { bytes: None, .. })
    ));
    assert_eq!(zeros(&[1 << 40, 0]).unwrap().numel(), 0);
    let a = zeros(&[513, 1]).unwrap();
    let b = zeros(&[1, 513]).unwrap();
    assert!(matches!(
        binary(BinaryOp::Add, &a, &b),
        Err(TensorError::TooLarge { .. })
    ));
    assert!(matches!(matmul(&a, &b), Err(TensorError::TooLarge { .. })));
    assert!(matches!(
        arange(0.0, 1e12, 1.0),
        Err(TensorError::TooLarge { .. })
    ));
    set_max_tensor_bytes(u64::MAX);
}

#[test]
fn seeded_random_is_reproducible() {
    let a = randn(&[5], &mut Rng::seeded(7)).unwrap();
    let b = randn(&[5], &mut Rng::seeded(7)).unwrap();
    assert_eq!(vals(&a), vals(&b));
    let u = rand(&[1000], &mut Rng::seeded(1)).unwrap();
    assert!(u.data().iter().all(|&v| (0.0..1.0).contains(&v)));
    let n = randn(&[20000], &mut Rng::seeded(2)).unwrap();
    let mean: f32 = n.data().iter().sum::<f32>() / 20000.0;
    let var: f32 = n.data().iter().map(|v| v * v).sum::<f32>() / 20000.0;
    assert!(
        mean.abs() < 0.03 && (var - 1.0).abs() < 0.05,
        "{mean} {var}"
    );
}

#[test]
fn accessors() {
    let x = t(&[2, 3], &[1.0, 2.0, 3.0, 4.0, 5.0, 6.0]);
    let y = matmul(&x, &t_reverse(&x)).unwrap();
    assert_eq!(y.op_name(), "matmul");
    assert_eq!(x.op_name(), "leaf");
    assert_eq!(y.inputs().len(), 2);
    assert!(y.inputs()[0].ptr_eq(&x));
    assert_eq!(y.inputs()[1].op_name(), "T");
    assert_eq!((y.ndim(), y.numel()), (2, 4));
    assert_eq!(y.item(), None);
    assert!(y.id() > x.id());
    let d = y.detach();
    assert!(d.is_leaf() && vals(&d) == vals(&y));
    assert_eq!(vals(&y), vec![14.0, 32.0, 32.0, 77.0]);
    assert!(c(1.0).is_constant());
}

#[test]
fn optimiser_step_keeps_deferred_input_gradient() {
    // The step changes the weight, which the deferred gradient of `x` reads: it is
    // computed later, from the copy of the weight kept at the change. The fused form
    // `x @ p.T` (`matmul_transposed`, `p` = wᵀ) has `x` and `p` as sibling inputs of one op.
    // Plain SGD and SGD with momentum keep the old array itself and put the update in a
    // new one; Nesterov and Adam keep a copy and update in place.
    for (opt, fused) in (0..4).flat_map(|o| [(o, false), (o, true)]) {
        let x = t(&[2, 2], &[1.0, 2.0, -1.0, 0.5]);
        let (p, product) = if fused {
            let p = t(&[2, 2], &[0.3, 0.1, -0.2, 0.4]);
            let y = matmul_transposed(&x, &p, Transposed::Right)
                .unwrap()
                .unwrap();
            (p, y)
        } else {
            let p = t(&[2, 2], &[0.3, -0.2, 0.1, 0.4]);
            let y = matmul(&x, &p).unwrap();
            (p, y)
        };
        let loss = sum(&unary(UnaryOp::Sigmoid, &product));
        let s = backward(&loss).unwrap();
        let before = vals(&p);
        let gp = vals(&s.grad(&p).unwrap());
        match opt {
            0 => Adam::new(vec![p.clone()], 0.1, 0.9, 0.999, 1e-8)
                .step(&s)
                .unwrap(),
            1 => Sgd::new(vec![p.clone()], 0.5, 0.9).step(&s).unwrap(),
            2 => {
                let mut sgd = Sgd::new(vec![p.clone()], 0.5, 0.9);
                sgd.nesterov = true;
                sgd.step(&s).unwrap()
            }
            _ => Sgd::new(vec![p.clone()], 0.5, 0.0).step(&s).unwrap(),
        }
        assert_eq!(p.version(), 1);
        if opt == 3 {
            let want: Vec<f32> = before.iter().zip(&gp).map(|(w, g)| w - 0.5 * g).collect();
            assert_eq!(vals(&p), want);
        }
        let gx = s.grad(&x).unwrap();
        let x2 = x.detach();
        x2.mark_wanted();
        let w2 = t(&[2, 2], &[0.3, -0.2, 0.1, 0.4]);
        let l2 = sum(&unary(UnaryOp::Sigmoid, &matmul(&x2, &w2).unwrap()));
        assert_eq!(vals(&gx), vals(&backward(&l2).unwrap().grad(&x2).unwrap()));
    }
}

#[test]
fn tensor_positions_index_and_scatter_gradient() {
    let x = t(&[3, 2], &[1.0, 2.0, 3.0, 4.0, 5.0, 6.0]);
    let item = IndexItem::from_tensor(&t(&[3], &[2.0, 0.0, 2.0])).unwrap();
    let y = index(&x, &[item]).unwrap();
    assert_eq!(vals(&y), vec![5.0, 6.0, 1.0, 2.0, 5.0, 6.0]);
    let s = backward(&sum(&y)).unwrap();
    assert_eq!(
        vals(&s.grad(&x).unwrap()),
        vec![1.0, 1.0, 0.0, 0.0, 2.0, 2.0]
    );
    assert_eq!(IndexItem::from_tensor(&c(-1.0)).unwrap(), IndexItem::At(-1));
    assert!(IndexItem::from_tensor(&t(&[1], &[0.5])).is_err());
    // Any rank of positions indexes (PyTorch's integer array indexing).
    assert!(matches!(
        IndexItem::from_tensor(&t(&[1, 1], &[0.0])).unwrap(),
        IndexItem::Array { mask: false, .. }
    ));
    // x[[0, 2], 1] = [10, 20]
    let items = [IndexItem::Positions(vec![0, 2]), IndexItem::At(1)];
    set_index(&x, &items, &t(&[2], &[10.0, 20.0])).unwrap();
    assert_eq!(vals(&x), vec![1.0, 10.0, 3.0, 4.0, 5.0, 20.0]);
}

#[test]
fn zero_d_tensors_take_axis_0_like_pytorch() {
    let x = t(&[], &[3.0]);
    for op in [ReduceOp::Sum, ReduceOp::Mean, ReduceOp::Max, ReduceOp::Min] {
        for ax in [0, -1] {
            let r = reduce(op, &x, Some(ax), true).unwrap();
            assert_eq!((r.shape(), r.item()), (vec![], Some(3.0)));
            let s = backward(&r).unwrap();
            assert_eq!(s.grad(&x).unwrap().item(), Some(1.0));
        }
    }
    assert_eq!(argmax(&x, Some(0)).unwrap().item(), Some(0.0));
    assert_eq!(squeeze(&x, Some(-1)).unwrap().shape(), Vec::<usize>::new());
    assert_eq!(
        reduce(ReduceOp::Sum, &x, Some(1), false).unwrap_err(),
        TensorError::Axis { axis: 1, ndim: 0 }
    );
}
