//! PyTorch's tensor methods whose names tsr's functions do not already carry with the
//! same meaning: `x.view`, `x.t()`, `x.long()`, `x.float()`, `x.numpy()`, `x.tolist()`,
//! `x.clone()`, `x.size()`, `x.dim()`, `x.requires_grad_()`, `x.zero_()`. They are rows
//! named `tensor.NAME`, found only through method syntax on a tensor (`int(x)` stays
//! Python's `int`). Also `reversed`.

use crate::runtime::interp::{Interp, R};
use crate::runtime::value::{Args, Builtin, Value, P};
use crate::syntax::diagnostic::Diagnostic;
use crate::tensor::{self, Tensor};

use P::{Kw, Opt, Req, Var};

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
        "tensor.view_as",
        [Req("x"), Req("other")],
        "x.view_as(other): x reshaped to other's shape (also `reshape_as`)",
        "target.view_as(pred)",
        f_view_as,
        Shapes
    ),
    b!(
        "tensor.expand_as",
        [Req("x"), Req("other")],
        "x.expand_as(other): x broadcast to other's shape",
        "b.expand_as(X)",
        f_expand_as,
        Shapes
    ),
    b!(
        "tensor.astype",
        [Req("x"), Opt("dtype", "None")],
        "x.astype(dtype): numpy's conversion: whole numbers truncated toward zero for an integer type (`int`, `np.int64`), a mask for `bool`, else the tensor itself (tensors are f32)",
        "x.astype(np.float32)",
        f_to_dtype,
        Same
    ),
    b!(
        "tensor.type_as",
        [Req("x"), Req("other")],
        "x.type_as(other): the tensor itself (tensors are f32)",
        "mask.type_as(x)",
        f_same,
        Same
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
        Same
    ),
    b!(
        "tensor.double",
        [Req("x")],
        "x.double(): the tensor itself (tensors are f32)",
        "x.double()",
        f_same,
        Same
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
        Copy
    ),
    b!(
        "tensor.size",
        [Req("x"), Opt("dim", "None")],
        "x.size(): the shape; x.size(d): the size of axis d",
        "x.size(0)",
        f_size,
        Size
    ),
    b!(
        "tensor.dim",
        [Req("x")],
        "x.dim(): the number of axes",
        "x.dim()",
        f_dim,
        Ndim
    ),
    b!(
        "tensor.requires_grad_",
        [Req("x"), Opt("requires_grad", "True")],
        "x.requires_grad_(): x itself (every tensor can take a gradient in tsr)",
        "W.requires_grad_()",
        f_same,
        Same
    ),
    b!(
        "tensor.zero_",
        [Req("x")],
        "x.zero_(): set every value to 0, in place",
        "W.grad.zero_()",
        f_zero
    ),
    b!(
        "tensor.to",
        [
            Req("x"),
            Var("args"),
            Kw("dtype", "None"),
            Kw("device", "None")
        ],
        "x.to(device): the tensor itself (tsr computes on the CPU, in float32); x.to(torch.long): whole numbers, truncated toward zero; x.to(torch.bool): a mask",
        "x.to(device)",
        f_to_dtype,
        Same
    ),
    b!(
        "tensor.cpu",
        [Req("x")],
        "x.cpu(): the tensor itself (tsr computes on the CPU)",
        "x.cpu()",
        f_same,
        Same
    ),
    b!(
        "tensor.cuda",
        [Req("x")],
        "x.cuda(): the tensor itself (tsr has no GPU; a warning says so once)",
        "x.cuda()",
        f_cuda,
        Same
    ),
    b!(
        "tensor.contiguous",
        [Req("x")],
        "x.contiguous(): the tensor itself (tsr's tensors are always contiguous)",
        "x.contiguous()",
        f_same,
        Same
    ),
    b!(
        "tensor.add_",
        [Req("x"), Req("other"), Kw("alpha", "1")],
        "x.add_(y, alpha=a): x += a * y in place, outside the graph",
        "p.data.add_(p.grad, alpha=-0.1)",
        f_add_,
        LikeFirst
    ),
    b!(
        "tensor.sub_",
        [Req("x"), Req("other"), Kw("alpha", "1")],
        "x.sub_(y, alpha=a): x -= a * y in place, outside the graph",
        "p.data.sub_(0.1 * p.grad)",
        f_sub_,
        LikeFirst
    ),
    b!(
        "tensor.mul_",
        [Req("x"), Req("other")],
        "x.mul_(y): x *= y in place",
        "W.mul_(0.9)",
        f_mul_,
        LikeFirst
    ),
    b!(
        "tensor.div_",
        [Req("x"), Req("other")],
        "x.div_(y): x /= y in place",
        "W.div_(2)",
        f_div_,
        LikeFirst
    ),
    b!(
        "tensor.fill_",
        [Req("x"), Req("value")],
        "x.fill_(v): set every value to v, in place",
        "b.fill_(0.01)",
        f_fill_,
        LikeFirst
    ),
    b!(
        "tensor.copy_",
        [Req("x"), Req("src")],
        "x.copy_(y): set x's values to y's (broadcast), in place",
        "W.copy_(W0)",
        f_copy_,
        LikeFirst
    ),
    b!(
        "tensor.normal_",
        [Req("x"), Opt("mean", "0"), Opt("std", "1")],
        "x.normal_(mean, std): fill with normal values from the seeded generator, in place",
        "W.data.normal_(0, 0.02)",
        f_normal_,
        LikeFirst
    ),
    b!(
        "tensor.uniform_",
        [Req("x"), Opt("a", "0"), Opt("b", "1")],
        "x.uniform_(a, b): fill with values uniform in [a, b) from the seeded generator, in place",
        "W.data.uniform_(-0.1, 0.1)",
        f_uniform_,
        LikeFirst
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
        "max" => "tensor.max",
        "min" => "tensor.min",
        "view_as" | "reshape_as" => "tensor.view_as",
        "expand_as" => "tensor.expand_as",
        "type_as" => "tensor.type_as",
        "astype" => "tensor.astype",
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
        "mm" | "bmm" | "dot" => "matmul",
        "to" => "tensor.to",
        "cpu" => "tensor.cpu",
        "cuda" => "tensor.cuda",
        "contiguous" => "tensor.contiguous",
        "add_" => "tensor.add_",
        "sub_" => "tensor.sub_",
        "mul_" => "tensor.mul_",
        "div_" => "tensor.div_",
        "fill_" => "tensor.fill_",
        "copy_" => "tensor.copy_",
        "normal_" => "tensor.normal_",
        "uniform_" => "tensor.uniform_",
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

fn f_view_as(interp: &mut Interp, a: &mut Args) -> R<Value> {
    let (t, other) = (a.tensor(interp, 0)?, a.tensor(interp, 1)?);
    let spec: Vec<isize> = other.shape().iter().map(|&d| d as isize).collect();
    tensor::reshape(&t, &spec)
        .map(Value::Tensor)
        .map_err(|e| a.fail(interp, e, &[0, 1]))
}

fn f_expand_as(interp: &mut Interp, a: &mut Args) -> R<Value> {
    let (t, other) = (a.tensor(interp, 0)?, a.tensor(interp, 1)?);
    let sizes: Vec<i64> = other.shape().iter().map(|&d| d as i64).collect();
    tensor::expand(&t, &sizes)
        .map(Value::Tensor)
        .map_err(|e| a.fail(interp, e, &[0, 1]))
}

/// `x.to(...)` / `x.astype(...)`: an integer dtype truncates toward zero (as `long()`),
/// `bool` makes a mask, anything else (a float type, a device) is the tensor itself.
fn f_to_dtype(interp: &mut Interp, a: &mut Args) -> R<Value> {
    let t = a.tensor(interp, 0)?;
    let kind = |v: &Value| match v {
        Value::Str(s) if s.starts_with("int") || s.starts_with("uint") => Some("int"),
        Value::Str(s) if &**s == "bool" => Some("bool"),
        Value::Builtin(b) if b.name == "int" => Some("int"),
        Value::Builtin(b) if b.name == "bool" => Some("bool"),
        _ => None,
    };
    let asked = a
        .slots
        .iter()
        .skip(1)
        .flatten()
        .map(|(v, _)| v)
        .chain(a.rest.iter().map(|(v, _)| v))
        .find_map(kind);
    Ok(Value::Tensor(match asked {
        Some("int") => tensor::unary(tensor::UnaryOp::Trunc, &t.detach()),
        Some(_) => tensor::logical(tensor::LogicalOp::Bool, &t, None)
            .map_err(|e| a.fail(interp, e, &[0]))?,
        None => t,
    }))
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

fn f_cuda(interp: &mut Interp, a: &mut Args) -> R<Value> {
    let t = a.tensor(interp, 0)?;
    let d = Diagnostic::warning(
        "device::cpu",
        "tsr has no GPU: `.cuda()` leaves the tensor on the CPU",
    )
    .primary(a.callee, "computed on the CPU")
    .help("`device = \"cuda\" if torch.cuda.is_available() else \"cpu\"` picks the CPU in tsr");
    interp.warn_once(a.callee, "cuda", d);
    Ok(Value::Tensor(t))
}

/// `x op= y` in place, outside the graph, as the `-=` statement does.
fn in_place(interp: &mut Interp, a: &Args, op: tensor::InPlaceOp, rhs: Tensor) -> R<Value> {
    let t = a.tensor(interp, 0)?;
    interp.note_changed(&t, a.call);
    tensor::update_in_place(&t, op, &rhs).map_err(|e| a.fail(interp, e, &[0, 1]))?;
    Ok(Value::Tensor(t))
}

fn scaled_other(interp: &mut Interp, a: &Args) -> R<Tensor> {
    let y = a.tensor(interp, 1)?;
    let alpha = a.number_or(interp, 2, 1.0)?;
    if alpha == 1.0 {
        return Ok(y);
    }
    tensor::binary(
        tensor::BinaryOp::Mul,
        &y.detach(),
        &Tensor::constant(alpha as f32),
    )
    .map_err(|e| a.fail(interp, e, &[1]))
}

fn f_add_(interp: &mut Interp, a: &mut Args) -> R<Value> {
    let y = scaled_other(interp, a)?;
    in_place(interp, a, tensor::InPlaceOp::Add, y)
}

fn f_sub_(interp: &mut Interp, a: &mut Args) -> R<Value> {
    let y = scaled_other(interp, a)?;
    in_place(interp, a, tensor::InPlaceOp::Sub, y)
}

fn f_mul_(interp: &mut Interp, a: &mut Args) -> R<Value> {
    let y = a.tensor(interp, 1)?;
    in_place(interp, a, tensor::InPlaceOp::Mul, y)
}

fn f_div_(interp: &mut Interp, a: &mut Args) -> R<Value> {
    let y = a.tensor(interp, 1)?;
    in_place(interp, a, tensor::InPlaceOp::Div, y)
}

/// Set `x`'s values to `src` (broadcast), in place.
fn set_all(interp: &mut Interp, a: &Args, src: &Tensor) -> R<Value> {
    let t = a.tensor(interp, 0)?;
    interp.note_changed(&t, a.call);
    tensor::set_index(&t, &[], src).map_err(|e| a.fail(interp, e, &[0]))?;
    Ok(Value::Tensor(t))
}

fn f_fill_(interp: &mut Interp, a: &mut Args) -> R<Value> {
    let v = a.number(interp, 1)?;
    set_all(interp, a, &Tensor::constant(v as f32))
}

fn f_copy_(interp: &mut Interp, a: &mut Args) -> R<Value> {
    let src = a.tensor(interp, 1)?;
    set_all(interp, a, &src.detach())
}

fn f_normal_(interp: &mut Interp, a: &mut Args) -> R<Value> {
    let t = a.tensor(interp, 0)?;
    let (mean, std) = (a.number_or(interp, 1, 0.0)?, a.number_or(interp, 2, 1.0)?);
    let z = tensor::randn(&t.shape(), &mut interp.rng).map_err(|e| a.fail(interp, e, &[0]))?;
    let v = z.data().mapv(|x| (mean + std * x as f64) as f32);
    set_all(interp, a, &Tensor::leaf(v))
}

fn f_uniform_(interp: &mut Interp, a: &mut Args) -> R<Value> {
    let t = a.tensor(interp, 0)?;
    let (lo, hi) = (a.number_or(interp, 1, 0.0)?, a.number_or(interp, 2, 1.0)?);
    let u = tensor::rand(&t.shape(), &mut interp.rng).map_err(|e| a.fail(interp, e, &[0]))?;
    let v = u.data().mapv(|x| (lo + (hi - lo) * x as f64) as f32);
    set_all(interp, a, &Tensor::leaf(v))
}
