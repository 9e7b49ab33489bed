//! Checks the layer builtins (`conv1d`, `conv2d`, pools, `linear`, norms) end to end
//! against PyTorch float32: each case of `tests/fixtures/layers.json` (written by
//! `tests/fixtures/gen_layers.py`) runs as a tsr program; its output, the gradients of
//! sum(out * weight) and in-place updates (batch_norm's running statistics) must match.

use ndarray::ArrayD;
use tsr::runtime::value::Value;
use tsr::{Outcome, Session, SessionOptions};

mod common;
use common::json::J;

fn close(a: f32, b: f32) -> bool {
    (a - b).abs() <= 1e-4 * a.abs().max(b.abs()) + 2e-5
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

/// `tensor([...]).reshape([...])` with every f32 written to round-trip exactly.
fn literal(a: &ArrayD<f32>) -> String {
    let vals: Vec<String> = a.iter().map(|v| format!("{v:?}")).collect();
    let shape: Vec<String> = a.shape().iter().map(|d| d.to_string()).collect();
    format!(
        "tensor([{}]).reshape([{}])",
        vals.join(", "),
        shape.join(", ")
    )
}

fn tensor_of(s: &Session, name: &str) -> ArrayD<f32> {
    match s.interp.lookup(name).map(|b| &b.value) {
        Some(Value::Tensor(t)) => t.data().clone(),
        other => panic!("`{name}` is not a tensor: {:?}", other.map(|v| v.kind())),
    }
}

#[test]
fn layers_match_pytorch() {
    let root = common::json::load("layers.json");
    let cases = root.get("cases").arr();
    assert!(cases.len() >= 40, "fixture has {} cases", cases.len());
    for c in cases {
        let name = c.get("name").str();
        let inputs: Vec<ArrayD<f32>> = c.get("inputs").arr().iter().map(J::tensor).collect();
        let want_out = c.get("out").tensor();
        let mut prog = String::new();
        for (i, x) in inputs.iter().enumerate() {
            prog.push_str(&format!("x{i} = {}\n", literal(x)));
        }
        prog.push_str(&format!("out = {}\n", c.get("tsr").str()));
        let n = want_out.len();
        let w: Vec<String> = (0..n)
            .map(|i| format!("{:?}", (1.0 + 0.1 * (i % 7) as f64) as f32))
            .collect();
        prog.push_str(&format!(
            "backward(sum(out * tensor([{}]).reshape(out.shape)))\n",
            w.join(", ")
        ));
        let grads = c.get("grads").arr();
        for (i, g) in grads.iter().enumerate() {
            if !matches!(g, J::Null) {
                prog.push_str(&format!("g{i} = grad(x{i})\n"));
            }
        }
        let mut s = Session::new(
            Box::new(std::io::sink()),
            Box::new(std::io::sink()),
            SessionOptions::default(),
        );
        let outcome = s.run_source(name, &prog);
        assert_eq!(outcome, Outcome::Ok, "{name}: the program failed:\n{prog}");
        assert_close(&format!("{name}: out"), &tensor_of(&s, "out"), &want_out);
        for (i, g) in grads.iter().enumerate() {
            if !matches!(g, J::Null) {
                assert_close(
                    &format!("{name}: grad x{i}"),
                    &tensor_of(&s, &format!("g{i}")),
                    &g.tensor(),
                );
            }
        }
        for (i, p) in c.get("post").arr().iter().enumerate() {
            if !matches!(p, J::Null) {
                assert_close(
                    &format!("{name}: x{i} after"),
                    &tensor_of(&s, &format!("x{i}")),
                    &p.tensor(),
                );
            }
        }
    }
}
