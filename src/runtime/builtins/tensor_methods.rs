//! PyTorch's tensor methods whose names tsr's functions do not already carry with the
//! same meaning: `x.view`, `x.t()`, `x.long()`, `x.float()`, `x.numpy()`, `x.tolist()`,
//! `x.clone()`, `x.size()`, `x.dim()`, `x.requires_grad_()`, `x.zero_()`. They are rows
//! named `tensor.NAME`, found only through method syntax on a tensor (`int(x)` stays
//! Python's `int`). Also `reversed`.

use crate::runtime::interp::{Interp, R};
use crate::runtime::value::{Args, Builtin, Value, P};
use crate::syntax::diagnostic::Diagnostic;
use crate::tensor::{self, Tensor};

use P::{Opt, Req, Var};

pub static TABLE: &[Builtin] = &[
    b!(
        "tensor.view",
        [Req("x"), Var("dims")],
        "x.view(*shape): the same values in a new shape (reshape)",
        "x.view(-1, 4)",
        f_view,
        Reshape
    ),
    b!(
        "tensor.t",
        [Req("x")],
        "x.t(): the transpose of a matrix (a vector stays as it is)",
        "W.t()",
        f_t
    ),
    b!(
        "tensor.long",
        [Req("x")],
        "x.long(): whole numbers, truncated toward zero, outside the graph (tensors stay f32)",
        "y.long()",
        f_long,
        LikeFirst
    ),
    b!(
        "tensor.int",
        [Req("x")],
        "x.int(): as x.long()",
        "y.int()",
        f_long,
        LikeFirst
    ),
    b!(
        "tensor.float",
        [Req("x")],
        "x.float(): the tensor itself (tensors are f32)",
        "x.float()",
        f_same,
        LikeFirst
    ),
    b!(
        "tensor.double",
        [Req("x")],
        "x.double(): the tensor itself (tensors are f32)",
        "x.double()",
        f_same,
        LikeFirst
    ),
    b!(
        "tensor.numpy",
        [Req("x")],
        "x.numpy(): the tensor itself, outside the graph",
        "x.numpy()",
        f_numpy,
        LikeFirst
    ),
    b!(
        "tensor.tolist",
        [Req("x")],
        "x.tolist(): nested lists of numbers (a number for a 0-d tensor)",
        "x.tolist()",
        f_tolist
    ),
    b!(
        "tensor.clone",
        [Req("x")],
        "x.clone(): a copy that stays in the graph",
        "h.clone()",
        f_clone,
        LikeFirst
    ),
    b!(
        "tensor.size",
        [Req("x"), Opt("dim", "None")],
        "x.size(): the shape; x.size(d): the size of axis d",
        "x.size(0)",
        f_size
    ),
    b!(
        "tensor.dim",
        [Req("x")],
        "x.dim(): the number of axes",
        "x.dim()",
        f_dim
    ),
    b!(
        "tensor.requires_grad_",
        [Req("x"), Opt("requires_grad", "True")],
        "x.requires_grad_(): x itself (every tensor can take a gradient in tsr)",
        "W.requires_grad_()",
        f_same,
        LikeFirst
    ),
    b!(
        "tensor.zero_",
        [Req("x")],
        "x.zero_(): set every value to 0, in place",
        "W.grad.zero_()",
        f_zero
    ),
    b!(
        "reversed",
        [Req("seq")],
        "the items of a sequence in reverse order, as a list",
        "for i in reversed(range(3)): ...",
        f_reversed
    ),
];

/// The row for `x.name(...)` on a tensor, when PyTorch's method differs from tsr's
/// function of that name (or tsr has none).
pub fn tensor_method(name: &str) -> Option<&'static str> {
    Some(match name {
        "view" => "tensor.view",
        "t" => "tensor.t",
        "long" => "tensor.long",
        "int" => "tensor.int",
        "float" => "tensor.float",
        "double" => "tensor.double",
        "numpy" => "tensor.numpy",
        "tolist" => "tensor.tolist",
        "clone" => "tensor.clone",
        "size" => "tensor.size",
        "dim" => "tensor.dim",
        "requires_grad_" => "tensor.requires_grad_",
        "zero_" => "tensor.zero_",
        "nelement" => "numel",
        "ravel" => "flatten",
        _ => return None,
    })
}

fn delegate(interp: &mut Interp, a: &mut Args, name: &str) -> R<Value> {
    match interp.builtins.find(name) {
        Some(b) => (b.func)(interp, a),
        None => Err(interp.fail(
            Diagnostic::error("name::unknown", format!("no builtin `{name}`"))
                .primary(a.call, "here"),
        )),
    }
}

fn f_view(interp: &mut Interp, a: &mut Args) -> R<Value> {
    delegate(interp, a, "reshape")
}

fn f_t(interp: &mut Interp, a: &mut Args) -> R<Value> {
    let t = a.tensor(interp, 0)?;
    if t.ndim() > 2 {
        return Err(interp.fail(
            Diagnostic::error(
                "shape::rank",
                format!(
                    "`t()` takes a tensor of at most 2 axes, this one has {}",
                    t.ndim()
                ),
            )
            .primary(a.span(0), format!("shape {:?}", t.shape()))
            .help("swap the last two axes with `x.mT` or `transpose(x, -2, -1)`"),
        ));
    }
    tensor::try_t_reverse(&t)
        .map(Value::Tensor)
        .map_err(|e| a.fail(interp, e, &[0]))
}

fn f_long(interp: &mut Interp, a: &mut Args) -> R<Value> {
    let t = a.tensor(interp, 0)?;
    Ok(Value::Tensor(tensor::unary(
        tensor::UnaryOp::Trunc,
        &t.detach(),
    )))
}

fn f_same(interp: &mut Interp, a: &mut Args) -> R<Value> {
    Ok(Value::Tensor(a.tensor(interp, 0)?))
}

fn f_numpy(interp: &mut Interp, a: &mut Args) -> R<Value> {
    Ok(Value::Tensor(a.tensor(interp, 0)?.detach()))
}

fn f_tolist(interp: &mut Interp, a: &mut Args) -> R<Value> {
    let t = a.tensor(interp, 0)?;
    let data = t.data();
    fn nest(data: &ndarray::ArrayViewD<f32>) -> Value {
        if data.ndim() == 0 {
            return Value::Number(data.iter().next().copied().unwrap_or(0.0) as f64);
        }
        Value::list(data.outer_iter().map(|row| nest(&row)).collect())
    }
    Ok(nest(&data.view()))
}

fn f_clone(interp: &mut Interp, a: &mut Args) -> R<Value> {
    let t = a.tensor(interp, 0)?;
    tensor::binary(tensor::BinaryOp::Add, &t, &Tensor::constant(0.0))
        .map(Value::Tensor)
        .map_err(|e| a.fail(interp, e, &[0]))
}

fn f_size(interp: &mut Interp, a: &mut Args) -> R<Value> {
    let t = a.tensor(interp, 0)?;
    let shape = t.shape();
    match a.axis(interp, 1)? {
        None => Ok(Value::list(
            shape.iter().map(|&d| Value::Number(d as f64)).collect(),
        )),
        Some(d) => {
            let n = shape.len() as isize;
            let i = if d < 0 { d + n } else { d };
            if i < 0 || i >= n {
                return Err(interp.fail(
                    Diagnostic::error(
                        "shape::axis",
                        format!(
                            "axis {d} is out of range for a tensor of {} ax{}",
                            n,
                            if n == 1 { "is" } else { "es" }
                        ),
                    )
                    .primary(a.span(1), "this axis")
                    .help("use an axis from -ndim to ndim - 1, e.g. `-1` for the last"),
                ));
            }
            Ok(Value::Number(shape[i as usize] as f64))
        }
    }
}

fn f_dim(interp: &mut Interp, a: &mut Args) -> R<Value> {
    Ok(Value::Number(a.tensor(interp, 0)?.ndim() as f64))
}

fn f_zero(interp: &mut Interp, a: &mut Args) -> R<Value> {
    let t = a.tensor(interp, 0)?;
    interp.note_changed(&t, a.call);
    tensor::set_index(&t, &[], &Tensor::constant(0.0)).map_err(|e| a.fail(interp, e, &[0]))?;
    Ok(Value::Tensor(t))
}

fn f_reversed(interp: &mut Interp, a: &mut Args) -> R<Value> {
    let mut items = interp.iter_values(&a.value(0), a.span(0))?;
    items.reverse();
    Ok(Value::list(items))
}
