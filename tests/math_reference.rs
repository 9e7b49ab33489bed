//! Checks the math builtins (elementwise functions, reductions, sorting, losses) against
//! PyTorch float32 values and gradients (`tests/fixtures/math.json`, written by
//! `tests/fixtures/gen_math.py`): each case is a tsr expression run through the
//! interpreter, so names, keywords and defaults are checked with the numbers. Also the
//! optimisers' trajectories against torch.optim, with clipping and a learning-rate change.

mod common;

use common::json::{assert_close, close, load, J};
use ndarray::{ArrayD, IxDyn};
use tsr::runtime::value::Value;
use tsr::syntax::span::Span;
use tsr::tensor::*;
use tsr::{Outcome, Session, SessionOptions};

fn session() -> (Session, common::Capture) {
    let err = common::Capture::default();
    let s = Session::new(
        Box::new(common::Capture::default()),
        Box::new(err.clone()),
        SessionOptions::default(),
    );
    (s, err)
}

/// Runs `src` with `vars` bound as leaf tensors; the value of `name` afterwards.
fn run(
    s: &mut Session,
    err: &common::Capture,
    vars: &[(&str, Tensor)],
    src: &str,
    name: &str,
) -> Value {
    for (n, t) in vars {
        s.interp
            .bind(n, Value::Tensor(t.clone()), Span { start: 0, end: 0 });
    }
    let outcome = s.run_source("case.tsr", src);
    assert_eq!(outcome, Outcome::Ok, "{src}\n{}", err.text());
    s.interp
        .lookup(name)
        .unwrap_or_else(|| panic!("{src}: no `{name}`"))
        .value
        .clone()
}

#[test]
fn math_ops_match_pytorch() {
    let j = load("math.json");
    let cases = j.get("cases").arr();
    assert!(cases.len() > 150, "{} cases", cases.len());
    for c in cases {
        let name = c.get("name").str();
        let expr = c.get("expr").str();
        let inputs: Vec<Tensor> = c
            .get("inputs")
            .arr()
            .iter()
            .map(|a| Tensor::leaf(a.tensor()))
            .collect();
        let names: Vec<String> = (0..inputs.len()).map(|i| format!("x{i}")).collect();
        let vars: Vec<(&str, Tensor)> = names
            .iter()
            .map(|n| n.as_str())
            .zip(inputs.iter().cloned())
            .collect();
        let (mut s, err) = session();
        let out = match run(&mut s, &err, &vars, &format!("out = {expr}\n"), "out") {
            Value::Tensor(t) => t,
            other => panic!("{name}: `{expr}` gave a {}", other.kind()),
        };
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
        let weighted = binary(BinaryOp::Mul, &out, &Tensor::leaf(w)).unwrap();
        let loss = reduce(ReduceOp::Sum, &weighted, None, false).unwrap();
        let store = backward(&loss).unwrap();
        for (k, g) in grads.iter().enumerate() {
            if matches!(g, J::Null) {
                continue;
            }
            let got = store
                .grad(&inputs[k])
                .unwrap_or_else(|e| panic!("{name}: grad of input {k}: {e}"));
            assert_close(
                &format!("{name}: grad of input {k}"),
                &got.data(),
                &g.tensor(),
            );
        }
    }
}

#[test]
fn optimisers_match_torch_optim() {
    let j = load("math.json");
    let runs = j.get("optim").arr();
    assert!(runs.len() >= 10);
    for r in runs {
        let name = r.get("name").str();
        let (mut s, err) = session();
        let w = Tensor::leaf(r.get("W0").tensor());
        let b = Tensor::leaf(r.get("b0").tensor());
        let vars = [
            ("X", Tensor::leaf(r.get("X").tensor())),
            ("Y", Tensor::leaf(r.get("Y").tensor())),
            ("W", w.clone()),
            ("b", b.clone()),
        ];
        let clip = match r.get("clip") {
            J::Null => String::new(),
            c => {
                let c = c.arr();
                let norm = c[1].num();
                let norm = if norm.is_infinite() {
                    "float('inf')".to_string()
                } else {
                    norm.to_string()
                };
                format!(
                    "    norms.append(item(clip_grad_norm([W, b], {}, {norm})))\n",
                    c[0].num()
                )
            }
        };
        let change = match r.get("lr_change") {
            J::Null => String::new(),
            c => {
                let c = c.arr();
                format!(
                    "    if s == {}:\n        set_lr(opt, {})\n",
                    c[0].num(),
                    c[1].num()
                )
            }
        };
        let src = format!(
            "opt = {}\nlosses = []\nnorms = []\nfor s in range({}):\n{change}    loss = mse(X @ W.T + b, Y)\n    backward(loss)\n{clip}    step(opt)\n    losses.append(item(loss))\n",
            r.get("ctor").str(),
            r.get("steps").num()
        );
        let losses = run(&mut s, &err, &vars, &src, "losses");
        let norms = run(&mut s, &err, &[], "", "norms");
        let as_nums = |v: Value| -> Vec<f64> {
            match v {
                Value::List(l) => l
                    .borrow()
                    .iter()
                    .map(|x| match x {
                        Value::Number(n) => *n,
                        _ => f64::NAN,
                    })
                    .collect(),
                _ => vec![],
            }
        };
        for (what, got, want) in [
            ("loss", as_nums(losses), r.get("losses")),
            ("clip norm", as_nums(norms), r.get("norms")),
        ] {
            let want: Vec<f64> = want.arr().iter().map(|x| x.num()).collect();
            assert_eq!(got.len(), want.len(), "{name}: {what} count");
            for (i, (g, w)) in got.iter().zip(&want).enumerate() {
                assert!(
                    close(*g as f32, *w as f32),
                    "{name}: {what} at step {i}: {g} vs torch {w}"
                );
            }
        }
        assert_close(&format!("{name}: W"), &w.data(), &r.get("W").tensor());
        assert_close(&format!("{name}: b"), &b.data(), &r.get("b").tensor());
    }
}
