//! Argument conversions shared by the builtins: nested lists to tensors, unary
//! functions over numbers or tensors.

use crate::runtime::interp::{Interp, R};
use crate::runtime::value::Args;
use crate::runtime::value::Value;
use crate::syntax::diagnostic::Diagnostic;
use crate::syntax::span::Span;
use crate::tensor::{self, Tensor};
use ndarray::{ArrayD, IxDyn};

// ------------------------------------------------------------------ helpers

pub(crate) fn tensor_value(t: Tensor) -> R<Value> {
    Ok(Value::Tensor(t))
}

/// Nested lists of numbers (or a number) as a leaf tensor.
pub fn tensor_from_value(interp: &Interp, v: &Value, span: Span) -> R<Tensor> {
    let mut shape: Vec<usize> = Vec::new();
    let mut data: Vec<f32> = Vec::new();
    fn walk(
        interp: &Interp,
        v: &Value,
        depth: usize,
        shape: &mut Vec<usize>,
        data: &mut Vec<f32>,
        span: Span,
    ) -> R<()> {
        if let Value::Tuple(_) = v {
            return walk(interp, &v.clone().listlike(), depth, shape, data, span);
        }
        match v {
            Value::List(items) => {
                let items = items.borrow();
                let max = tensor::shape::MAX_RANK;
                if depth >= max {
                    return Err(interp.fail(
                        Diagnostic::error(
                            "shape::rank",
                            format!("tensors have at most {max} axes"),
                        )
                        .primary(span, format!("nested more than {max} lists deep")),
                    ));
                }
                if shape.len() == depth {
                    if depth > 0 && !data.is_empty() {
                        return Err(ragged(interp, span));
                    }
                    shape.push(items.len());
                } else if shape[depth] != items.len() {
                    return Err(ragged(interp, span));
                }
                for it in items.iter() {
                    walk(interp, it, depth + 1, shape, data, span)?;
                }
                Ok(())
            }
            Value::Number(n) => {
                if shape.len() != depth {
                    return Err(ragged(interp, span));
                }
                data.push(*n as f32);
                Ok(())
            }
            Value::Bool(b) => {
                if shape.len() != depth {
                    return Err(ragged(interp, span));
                }
                data.push(*b as i32 as f32);
                Ok(())
            }
            Value::Tensor(t) if t.numel() == 1 && shape.len() == depth => {
                data.push(t.item().unwrap_or(0.0));
                Ok(())
            }
            other => Err(interp.fail(
                Diagnostic::error(
                    "type::tensor",
                    format!("a tensor holds numbers, found a {}", other.kind()),
                )
                .primary(span, format!("contains a {}", other.kind())),
            )),
        }
    }
    fn ragged(interp: &Interp, span: Span) -> Box<Diagnostic> {
        interp.fail(
            Diagnostic::error("shape::ragged", "the nested lists have different lengths")
                .primary(span, "every row must have the same length")
                .help("a tensor is rectangular: pad the short rows or build it with `cat`"),
        )
    }
    walk(interp, v, 0, &mut shape, &mut data, span)?;
    let arr = ArrayD::from_shape_vec(IxDyn(&shape), data).map_err(|_| ragged(interp, span))?;
    Ok(Tensor::leaf(arr))
}

pub(crate) fn unary_fn(
    interp: &mut Interp,
    a: &mut Args,
    op: tensor::UnaryOp,
    number: fn(f64) -> f64,
) -> R<Value> {
    match a.value(0) {
        Value::Number(n) => Ok(Value::Number(number(n))),
        Value::Bool(b) => Ok(Value::Number(number(b as i32 as f64))),
        _ => {
            let t = a.tensor(interp, 0)?;
            let out = tensor::try_unary(op, &t).map_err(|e| a.fail(interp, e, &[0]))?;
            interp.check_finite(&out, &[&t], a.callee, a.builtin.name);
            tensor_value(out)
        }
    }
}

pub(crate) fn tensor_list(interp: &Interp, a: &Args, i: usize) -> R<Vec<Tensor>> {
    match a.value(i).listlike() {
        Value::List(l) => {
            let items = l.borrow().clone();
            let mut out = Vec::with_capacity(items.len());
            for v in &items {
                out.push(match v {
                    Value::Tensor(t) => t.clone(),
                    Value::Number(n) => Tensor::constant(*n as f32),
                    other => {
                        return Err(interp.fail(
                            Diagnostic::error(
                                "type::argument",
                                format!(
                                    "`{}` needs a list of tensors, found a {} in it",
                                    a.builtin.name,
                                    other.kind()
                                ),
                            )
                            .primary(a.span(i), "this list"),
                        ))
                    }
                });
            }
            Ok(out)
        }
        other => Err(interp.fail(
            Diagnostic::error(
                "type::argument",
                format!(
                    "`{}` needs a list of tensors, found a {}",
                    a.builtin.name,
                    other.kind()
                ),
            )
            .primary(a.span(i), format!("this is a {}", other.kind()))
            .help(format!("write `{}([a, b], axis=0)`", a.builtin.name)),
        )),
    }
}
