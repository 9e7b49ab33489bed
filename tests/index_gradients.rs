//! Finite-difference checks of the gradients of indexing (integer tensors with repeated
//! positions, masks, `None`, `...`, negative steps), selection and movement ops.

mod common;

use common::fd::{arr, check};
use ndarray::{ArrayD, IxDyn};
use tsr::tensor::*;

fn positions(shape: &[usize], v: &[f32]) -> ArrayD<f32> {
    ArrayD::from_shape_vec(IxDyn(shape), v.to_vec()).unwrap()
}

fn ints(shape: &[usize], v: &[i32]) -> IndexItem {
    let v: Vec<f32> = v.iter().map(|&p| p as f32).collect();
    IndexItem::Array {
        values: positions(shape, &v),
        mask: false,
    }
}

fn full() -> IndexItem {
    IndexItem::Slice {
        start: None,
        stop: None,
        step: 1,
    }
}

#[test]
fn advanced_indexing() {
    let mut rng = Rng::seeded(5);
    let x43 = || vec![arr(&[4, 3], &mut Rng::seeded(1), -2.0, 2.0)];
    // repeated and negative positions accumulate
    check("rows", x43(), |t| {
        index(&t[0], &[ints(&[2, 3], &[0, 3, -1, 1, 1, 0])]).unwrap()
    });
    check("pairs", x43(), |t| {
        index(
            &t[0],
            &[ints(&[4], &[0, 1, 1, 3]), ints(&[4], &[2, 2, 2, 0])],
        )
        .unwrap()
    });
    let x234 = vec![arr(&[2, 3, 4], &mut rng, -2.0, 2.0)];
    check("separated", x234.clone(), |t| {
        index(
            &t[0],
            &[ints(&[3], &[1, 0, 1]), full(), ints(&[3], &[3, 3, 0])],
        )
        .unwrap()
    });
    check("broadcast pair", x234.clone(), |t| {
        index(
            &t[0],
            &[full(), ints(&[2, 1], &[0, 2]), ints(&[3], &[1, 3, 1])],
        )
        .unwrap()
    });
    check("mask", x234.clone(), |t| {
        let m = positions(&[2, 3], &[1., 0., 1., 0., 1., 1.]);
        index(
            &t[0],
            &[IndexItem::Array {
                values: m,
                mask: true,
            }],
        )
        .unwrap()
    });
    check("none, ellipsis, reverse", x234.clone(), |t| {
        index(
            &t[0],
            &[
                IndexItem::NewAxis,
                IndexItem::Slice {
                    start: None,
                    stop: None,
                    step: -1,
                },
                IndexItem::Ellipsis,
                IndexItem::Slice {
                    start: Some(3),
                    stop: Some(0),
                    step: -2,
                },
            ],
        )
        .unwrap()
    });
    check("plain negative step", x43(), |t| {
        index(
            &t[0],
            &[IndexItem::Slice {
                start: Some(-1),
                stop: None,
                step: -2,
            }],
        )
        .unwrap()
    });
}

#[test]
fn selection() {
    let mut rng = Rng::seeded(6);
    let x34 = arr(&[3, 4], &mut rng, -2.0, 2.0);
    let idx = Tensor::leaf(positions(&[3, 2], &[0., 0., 3., 1., 2., 2.]));
    check("gather", vec![x34.clone()], |t| {
        gather(&t[0], 1, &idx).unwrap()
    });
    let rows = Tensor::leaf(positions(&[4], &[2., 2., 0., 1.]));
    check("index_select", vec![x34.clone()], |t| {
        index_select(&t[0], 0, &rows).unwrap()
    });
    let ids = Tensor::leaf(positions(&[2, 2], &[1., 1., 0., 2.]));
    check("embedding", vec![x34.clone()], |t| {
        embedding(&ids, &t[0]).unwrap()
    });
    let c = Tensor::leaf(positions(&[3, 1], &[1., 0., 1.]));
    check(
        "where",
        vec![x34.clone(), arr(&[4], &mut rng, -1.0, 1.0)],
        |t| where_(&c, &t[0], &t[1]).unwrap(),
    );
    let m = Tensor::leaf(positions(&[1, 4], &[0., 1., 1., 0.]));
    check("masked_fill", vec![x34.clone()], |t| {
        masked_fill(&t[0], &m, &Tensor::constant(-3.0)).unwrap()
    });
    check("tril", vec![x34.clone()], |t| tri(&t[0], 0, false).unwrap());
    check("triu", vec![x34.clone()], |t| tri(&t[0], 1, true).unwrap());
}

#[test]
fn movement() {
    let mut rng = Rng::seeded(7);
    let x = arr(&[2, 3], &mut rng, -2.0, 2.0);
    let col = arr(&[3, 1], &mut rng, -2.0, 2.0);
    check("expand", vec![col], |t| expand(&t[0], &[2, 3, 4]).unwrap());
    check("repeat", vec![x.clone()], |t| {
        repeat(&t[0], &[2, 2, 1], "repeat").unwrap()
    });
    check("flip", vec![x.clone()], |t| flip(&t[0], &[0, 1]).unwrap());
    check("roll", vec![x.clone()], |t| {
        roll(&t[0], &[1, -1], Some(&[0, 1])).unwrap()
    });
    check("roll flat", vec![x.clone()], |t| {
        roll(&t[0], &[4], None).unwrap()
    });
    check("pad", vec![x.clone()], |t| {
        pad(&t[0], &[2, -1, 1, 0], 0.5).unwrap()
    });
    check("permute", vec![arr(&[2, 3, 4], &mut rng, -1.0, 1.0)], |t| {
        permute(&t[0], &[2, 0, 1]).unwrap()
    });
}

#[test]
fn einsum_forms() {
    let mut rng = Rng::seeded(8);
    let a = arr(&[3, 4], &mut rng, -1.0, 1.0);
    let b = arr(&[4, 2], &mut rng, -1.0, 1.0);
    let sq = arr(&[3, 3], &mut rng, -1.0, 1.0);
    let batch = arr(&[2, 3, 4], &mut rng, -1.0, 1.0);
    let batch2 = arr(&[2, 4, 2], &mut rng, -1.0, 1.0);
    for (eq, ins) in [
        ("ij,jk->ik", vec![a.clone(), b.clone()]),
        ("ij->ji", vec![a.clone()]),
        ("ij->j", vec![a.clone()]),
        ("ijk->", vec![batch.clone()]),
        ("ii->i", vec![sq.clone()]),
        ("ii", vec![sq.clone()]),
        ("ij,ij->i", vec![a.clone(), a.clone()]),
        ("bij,bjk->bik", vec![batch.clone(), batch2.clone()]),
        (
            "i,j->ij",
            vec![
                arr(&[3], &mut rng, -1.0, 1.0),
                arr(&[2], &mut rng, -1.0, 1.0),
            ],
        ),
        ("...ij->...ji", vec![batch.clone()]),
        (
            "iij,jk->ik",
            vec![arr(&[2, 2, 4], &mut rng, -1.0, 1.0), b.clone()],
        ),
    ] {
        check(eq, ins, |t| einsum(eq, t).unwrap());
    }
}
