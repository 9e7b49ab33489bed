//! Checks forward values and gradients of every op and loss, constructors, and SGD/Adam
//! trajectories against PyTorch float32 (`tests/fixtures/autodiff.json`, written by
//! `tests/fixtures/gen_autodiff.py`). Relative tolerance 1e-4.

use ndarray::{ArrayD, IxDyn};
use tsr::tensor::*;

#[path = "common/json.rs"]
mod json;
use json::J;

fn load() -> J {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/autodiff.json");
    let text =
        std::fs::read_to_string(path).expect("autodiff.json (run tests/fixtures/gen_autodiff.py)");
    json::parse(&text)
}

// ---- comparisons -----------------------------------------------------------------------

fn close(a: f32, b: f32) -> bool {
    if a.is_nan() || b.is_nan() {
        return a.is_nan() && b.is_nan();
    }
    if a.is_infinite() || b.is_infinite() {
        return a == b;
    }
    (a - b).abs() <= 1e-4 * a.abs().max(b.abs()) + 1e-6
}

fn assert_close(what: &str, got: &ArrayD<f32>, want: &ArrayD<f32>) {
    assert_eq!(got.shape(), want.shape(), "{what}: shape");
    for (i, (&g, &w)) in got.iter().zip(want.iter()).enumerate() {
        assert!(
            close(g, w),
            "{what}: element {i}: got {g}, torch {w}\n got {got}\n torch {want}"
        );
    }
}

// ---- the ops ---------------------------------------------------------------------------

fn items(p: &J) -> Vec<IndexItem> {
    p.get("items")
        .arr()
        .iter()
        .map(|it| {
            let v = it.arr();
            match v[0].str() {
                "at" => IndexItem::At(v[1].num() as isize),
                "slice" => IndexItem::Slice {
                    start: v[1].opt_num().map(|x| x as isize),
                    stop: v[2].opt_num().map(|x| x as isize),
                    step: v[3].num() as isize,
                },
                "pos" => IndexItem::Positions(v[1..].iter().map(|x| x.num() as isize).collect()),
                k => panic!("item {k}"),
            }
        })
        .collect()
}

fn apply(op: &str, p: &J, t: &[Tensor]) -> Tensor {
    let bin = |b| binary(b, &t[0], &t[1]).unwrap();
    let un = |u| unary(u, &t[0]);
    let axis = || p.get("axis").opt_num().map(|a| a as isize);
    let keep = || p.get("keepdim").bool();
    match op {
        "add" => bin(BinaryOp::Add),
        "sub" => bin(BinaryOp::Sub),
        "mul" => bin(BinaryOp::Mul),
        "div" => bin(BinaryOp::Div),
        "pow" => bin(BinaryOp::Pow),
        "rem" => bin(BinaryOp::Rem),
        "maximum" => bin(BinaryOp::Maximum),
        "minimum" => bin(BinaryOp::Minimum),
        "eq" => bin(BinaryOp::Eq),
        "ne" => bin(BinaryOp::Ne),
        "lt" => bin(BinaryOp::Lt),
        "le" => bin(BinaryOp::Le),
        "gt" => bin(BinaryOp::Gt),
        "ge" => bin(BinaryOp::Ge),
        "neg" => un(UnaryOp::Neg),
        "exp" => un(UnaryOp::Exp),
        "log" => un(UnaryOp::Log),
        "sqrt" => un(UnaryOp::Sqrt),
        "abs" => un(UnaryOp::Abs),
        "relu" => un(UnaryOp::Relu),
        "sigmoid" => un(UnaryOp::Sigmoid),
        "tanh" => un(UnaryOp::Tanh),
        "leaky_relu" => un(UnaryOp::LeakyRelu(p.get("slope").num() as f32)),
        "clamp" => un(UnaryOp::Clamp(
            p.get("lo").num() as f32,
            p.get("hi").num() as f32,
        )),
        "matmul" => matmul(&t[0], &t[1]).unwrap(),
        "matmul_bt" => matmul(&t[0], &t_reverse(&t[1])).unwrap(),
        "transpose" => {
            transpose(&t[0], p.get("a").num() as isize, p.get("b").num() as isize).unwrap()
        }
        "T" => t_reverse(&t[0]),
        "reshape" => {
            let spec: Vec<isize> = p
                .get("spec")
                .arr()
                .iter()
                .map(|d| d.num() as isize)
                .collect();
            reshape(&t[0], &spec).unwrap()
        }
        "flatten" => flatten(&t[0]).unwrap(),
        "squeeze" => squeeze(&t[0], axis()).unwrap(),
        "unsqueeze" => unsqueeze(&t[0], axis().unwrap()).unwrap(),
        "cat" => cat(t, axis().unwrap()).unwrap(),
        "stack" => stack(t, axis().unwrap()).unwrap(),
        "index" => index(&t[0], &items(p)).unwrap(),
        "sum" => reduce(ReduceOp::Sum, &t[0], axis(), keep()).unwrap(),
        "mean" => reduce(ReduceOp::Mean, &t[0], axis(), keep()).unwrap(),
        "max" => reduce(ReduceOp::Max, &t[0], axis(), keep()).unwrap(),
        "min" => reduce(ReduceOp::Min, &t[0], axis(), keep()).unwrap(),
        "argmax" => argmax(&t[0], axis()).unwrap(),
        "argmin" => argmin(&t[0], axis()).unwrap(),
        "softmax" => softmax(&t[0], axis().unwrap()).unwrap(),
        "log_softmax" => log_softmax(&t[0], axis().unwrap()).unwrap(),
        "mse" => mse(&t[0], &t[1]).unwrap(),
        "bce" => bce(&t[0], &t[1]).unwrap(),
        "bce_logits" => bce_logits(&t[0], &t[1]).unwrap(),
        "cross_entropy" => cross_entropy(&t[0], &t[1]).unwrap(),
        other => panic!("unknown op {other}"),
    }
}

#[test]
fn ops_match_pytorch() {
    let j = load();
    let cases = j.get("cases").arr();
    assert!(cases.len() > 150);
    for c in cases {
        let name = c.get("name").str();
        let inputs: Vec<Tensor> = c
            .get("inputs")
            .arr()
            .iter()
            .map(|a| Tensor::leaf(a.tensor()))
            .collect();
        let out = apply(c.get("op").str(), c.get("params"), &inputs);
        assert_close(
            &format!("{name}: forward"),
            &out.data(),
            &c.get("out").tensor(),
        );
        let grads = c.get("grads").arr();
        if grads.iter().all(|g| matches!(g, J::Null)) {
            continue;
        }
        let n = out.numel();
        let w = ArrayD::from_shape_vec(
            IxDyn(&out.shape()),
            (0..n).map(|i| 1.0 + 0.1 * (i % 7) as f32).collect(),
        )
        .unwrap();
        let loss = reduce(
            ReduceOp::Sum,
            &binary(BinaryOp::Mul, &out, &Tensor::leaf(w)).unwrap(),
            None,
            false,
        )
        .unwrap();
        let store = backward(&loss).unwrap();
        for (k, g) in grads.iter().enumerate() {
            if matches!(g, J::Null) {
                continue;
            }
            let got = store.grad(&inputs[k]).unwrap();
            assert_close(
                &format!("{name}: grad of input {k}"),
                &got.data(),
                &g.tensor(),
            );
        }
    }
}

#[test]
fn constructors_match_pytorch() {
    let j = load();
    for c in j.get("construct").arr() {
        let name = c.get("name").str();
        let p = c.get("params").arr();
        let t = match c.get("op").str() {
            "arange" => arange(p[0].num(), p[1].num(), p[2].num()).unwrap(),
            "linspace" => linspace(p[0].num(), p[1].num(), p[2].num() as i64).unwrap(),
            k => panic!("{k}"),
        };
        assert_close(name, &t.data(), &c.get("out").tensor());
    }
}

#[test]
fn optimisers_match_pytorch() {
    let j = load();
    for run in j.get("optim").arr() {
        let name = run.get("name").str();
        let x = Tensor::leaf(run.get("X").tensor());
        let y = Tensor::leaf(run.get("Y").tensor());
        let w = Tensor::leaf(run.get("W0").tensor());
        let b = Tensor::leaf(run.get("b0").tensor());
        enum O {
            S(Sgd),
            A(Adam),
        }
        let mut opt = match run.get("kind").str() {
            "sgd" => O::S(Sgd::new(
                vec![w.clone(), b.clone()],
                run.get("lr").num() as f32,
                run.get("momentum").num() as f32,
            )),
            _ => {
                let betas = run.get("betas").arr();
                O::A(Adam::new(
                    vec![w.clone(), b.clone()],
                    run.get("lr").num(),
                    betas[0].num(),
                    betas[1].num(),
                    run.get("eps").num(),
                ))
            }
        };
        for (s, step) in run.get("steps").arr().iter().enumerate() {
            let pred = binary(BinaryOp::Add, &matmul(&x, &t_reverse(&w)).unwrap(), &b).unwrap();
            let loss = mse(&pred, &y).unwrap();
            assert!(
                close(loss.item().unwrap(), step.get("loss").num() as f32),
                "{name} step {s}: loss"
            );
            let store = backward(&loss).unwrap();
            match &mut opt {
                O::S(o) => o.step(&store).unwrap(),
                O::A(o) => o.step(&store).unwrap(),
            }
            assert_close(
                &format!("{name} step {s}: W"),
                &w.data(),
                &step.get("W").tensor(),
            );
            assert_close(
                &format!("{name} step {s}: b"),
                &b.data(),
                &step.get("b").tensor(),
            );
        }
    }
}
