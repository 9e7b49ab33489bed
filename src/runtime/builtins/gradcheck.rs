//! `gradcheck(f, t1, t2, ...)`: central finite differences of the scalar function `f()`
//! against the gradients autodiff computes, with tolerances suited to f32.

use crate::runtime::interp::{Interp, R};
use crate::runtime::value::Args;
use crate::runtime::value::Value;
use crate::syntax::diagnostic::Diagnostic;
use crate::tensor::{self, IndexItem, Tensor};

/// Step of the central difference, and the largest relative error still accepted.
/// f32 keeps about 7 digits: a step of 1e-2 balances rounding against truncation.
const STEP: f32 = 1e-2;
const TOLERANCE: f64 = 1e-2;
const MAX_ELEMENTS: usize = 100_000;

fn eval_loss(interp: &mut Interp, a: &Args) -> R<Tensor> {
    let f = a.value(0);
    let v = interp.call(&f, Vec::new(), a.span(0), a.call)?;
    match v {
        Value::Tensor(t) if t.numel() == 1 => Ok(t),
        Value::Tensor(t) => Err(interp.fail(
            Diagnostic::error(
                "grad::non_scalar",
                format!(
                    "`gradcheck` needs `f()` to return a one-element tensor, it returned shape {}",
                    crate::runtime::explain::shape_str(&t.shape())
                ),
            )
            .primary(a.span(0), "this function")
            .help("return `sum(...)` or `mean(...)` of the result"),
        )),
        other => Err(interp.fail(
            Diagnostic::error(
                "type::argument",
                format!(
                    "`gradcheck` needs `f()` to return a tensor, it returned a {}",
                    other.kind()
                ),
            )
            .primary(a.span(0), "this function"),
        )),
    }
}

fn value_at(t: &Tensor, flat: usize) -> f32 {
    t.data().iter().nth(flat).copied().unwrap_or(0.0)
}

fn multi_index(shape: &[usize], mut flat: usize) -> Vec<IndexItem> {
    let mut idx = vec![0usize; shape.len()];
    for ax in (0..shape.len()).rev() {
        idx[ax] = flat % shape[ax];
        flat /= shape[ax];
    }
    idx.into_iter().map(|i| IndexItem::At(i as isize)).collect()
}

pub fn gradcheck(interp: &mut Interp, a: &mut Args) -> R<Value> {
    let mut tensors: Vec<(Tensor, String)> = Vec::new();
    for (v, span) in &a.rest {
        match v {
            Value::Tensor(t) => tensors.push((t.clone(), interp.text_of(*span))),
            other => {
                return Err(interp.fail(
                    Diagnostic::error(
                        "type::argument",
                        format!("`gradcheck` checks tensors, found a {}", other.kind()),
                    )
                    .primary(*span, ""),
                ))
            }
        }
        if let Value::Tensor(t) = v {
            if t.numel() > MAX_ELEMENTS {
                return Err(interp.fail(
                    Diagnostic::error(
                        "limit::gradcheck",
                        format!("`gradcheck` of {} elements would take too long", t.numel()),
                    )
                    .primary(*span, "too large")
                    .help(format!(
                        "check a smaller tensor (at most {MAX_ELEMENTS} elements)"
                    )),
                ));
            }
        }
    }
    let saved_grads = interp.grads.take();
    let loss = eval_loss(interp, a)?;
    let store = tensor::backward(&loss).map_err(|e| a.fail(interp, e, &[0]))?;
    let mut all_ok = true;
    let mut report = String::new();
    for (k, (t, name)) in tensors.iter().enumerate() {
        let analytic: Vec<f32> = match store.grad(t) {
            Ok(g) => g.data().iter().copied().collect(),
            Err(_) => vec![0.0; t.numel()],
        };
        let shape = t.shape();
        let mut worst = 0.0f64;
        for flat in 0..t.numel() {
            let idx = multi_index(&shape, flat);
            let orig = value_at(t, flat);
            let set = |interp: &Interp, v: f32| {
                tensor::set_index(t, &idx, &Tensor::constant(v))
                    .map_err(|e| a.fail(interp, e, &[0]))
            };
            set(interp, orig + STEP)?;
            let plus = eval_loss(interp, a).map(|l| l.item().unwrap_or(0.0) as f64);
            set(interp, orig - STEP)?;
            let minus = eval_loss(interp, a).map(|l| l.item().unwrap_or(0.0) as f64);
            set(interp, orig)?;
            let numeric = (plus? - minus?) / (2.0 * STEP as f64);
            let auto = analytic[flat] as f64;
            let err = (auto - numeric).abs() / numeric.abs().max(auto.abs()).max(1.0);
            if err.is_nan() {
                worst = f64::INFINITY;
            } else {
                worst = worst.max(err);
            }
        }
        let ok = worst <= TOLERANCE;
        all_ok &= ok;
        let label = if name.is_empty() {
            format!("tensor {}", k + 1)
        } else {
            name.clone()
        };
        report.push_str(&format!(
            "gradcheck {label}: max relative error {} ({})\n",
            crate::runtime::print::format_number(
                format!("{worst:.2e}").parse::<f64>().unwrap_or(worst)
            ),
            if ok { "ok" } else { "MISMATCH" }
        ));
    }
    interp.grads = saved_grads;
    interp.write_out(&report)?;
    Ok(Value::Bool(all_ok))
}
