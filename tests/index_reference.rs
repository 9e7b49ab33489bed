//! Indexing, selection and movement against PyTorch float32 (`tests/fixtures/index.json`,
//! written by `tests/fixtures/gen_index.py`): each case's tsr program runs in a session
//! and its `out` and the gradients of `sum(out * weight)` must match PyTorch's.

mod common;

use common::json::{assert_close, J};
use ndarray::ArrayD;
use tsr::diagnostic::RenderStyle;
use tsr::runtime::value::Value;
use tsr::{Outcome, Session, SessionOptions};

/// A tsr literal for a fixture input: floats and positions as numbers, masks as bools.
fn input_line(inp: &J) -> String {
    let name = inp.get("name").str();
    let shape: Vec<String> = inp
        .get("shape")
        .arr()
        .iter()
        .map(|d| format!("{}", d.num() as usize))
        .collect();
    let data: Vec<String> = inp
        .get("data")
        .arr()
        .iter()
        .map(|v| match inp.get("kind").str() {
            "bool" => if v.num() != 0.0 { "True" } else { "False" }.to_string(),
            _ => format!("{:?}", v.num()),
        })
        .collect();
    format!(
        "{name} = tensor([{}]).reshape([{}])\n",
        data.join(", "),
        shape.join(", ")
    )
}

fn tensor_var(s: &Session, name: &str) -> ArrayD<f32> {
    match s.interp.lookup(name).map(|b| &b.value) {
        Some(Value::Tensor(t)) => t.data().to_owned(),
        other => panic!("`{name}` is not a tensor: {:?}", other.map(|v| v.repr())),
    }
}

#[test]
fn index_ops_match_pytorch() {
    let j = common::json::load("index.json");
    let cases = j.get("cases").arr();
    assert!(cases.len() >= 80, "{} cases", cases.len());
    let mut failures = Vec::new();
    for c in cases {
        let name = c.get("name").str();
        let mut src = String::new();
        for inp in c.get("inputs").arr() {
            src.push_str(&input_line(inp));
        }
        src.push_str(c.get("tsr").str());
        src.push('\n');
        let grads: Vec<(String, ArrayD<f32>)> = match c.get("grads") {
            J::Obj(v) => v.iter().map(|(k, g)| (k.clone(), g.tensor())).collect(),
            _ => vec![],
        };
        if !grads.is_empty() {
            src.push_str(
                "backward(sum(out * (1 + 0.1 * (arange(numel(out)) % 7)).reshape(out.shape)))\n",
            );
            for (k, _) in &grads {
                src.push_str(&format!("grad_{k} = grad({k})\n"));
            }
        }
        let err = common::Capture::default();
        let mut s = Session::new(
            Box::new(std::io::sink()),
            Box::new(err.clone()),
            SessionOptions {
                style: RenderStyle::TEST,
                max_memory: Some(1 << 30),
            },
        );
        if !matches!(s.run_source(name, &src), Outcome::Ok) {
            failures.push(format!("{name}: the program failed\n{src}\n{}", err.text()));
            continue;
        }
        let run = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            assert_close(
                &format!("{name}: out"),
                &tensor_var(&s, "out"),
                &c.get("out").tensor(),
            );
            for (k, want) in &grads {
                assert_close(
                    &format!("{name}: grad of {k}"),
                    &tensor_var(&s, &format!("grad_{k}")),
                    want,
                );
            }
        }));
        if let Err(e) = run {
            let msg = e
                .downcast_ref::<String>()
                .cloned()
                .unwrap_or_else(|| "mismatch".to_string());
            failures.push(format!("{msg}\n{src}"));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}
