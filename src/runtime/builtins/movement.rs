//! Shape and movement: `expand`, `repeat`, `tile`, `flip`, `roll`, `pad`, `chunk`,
//! `split`, `permute`, `movedim`, `einsum`.

use crate::runtime::interp::{Interp, R};
use crate::runtime::value::Value;
use crate::runtime::value::{Args, Builtin, P};
use crate::syntax::diagnostic::Diagnostic;
use crate::tensor::{self, IndexItem, Tensor, TensorError};

use P::{Opt, Req, Var};

pub static TABLE: &[Builtin] = &[
    b!(
        "hstack",
        [Req("tensors")],
        "join tensors side by side: along axis 1, or axis 0 when they are 1-D (numpy's and PyTorch's `hstack`)",
        "hstack([ones(2), zeros(3)])",
        f_hstack,
        Shapes
    ),
    b!(
        "vstack",
        [Req("tensors")],
        "join tensors as rows: 1-D ones become rows of a matrix, then along axis 0 (`vstack`)",
        "vstack([ones(3), zeros(3)])",
        f_vstack,
        Shapes
    ),
    b!(
        "diag",
        [Req("input"), Opt("diagonal", "0")],
        "a vector's diagonal matrix, or a matrix's diagonal (PyTorch's `diag`)",
        "diag(tensor([1, 2]))",
        f_diag,
        Shapes
    ),
    b!(
        "expand",
        [Req("input"), Var("sizes")],
        "size-1 axes stretched to the given sizes (-1 keeps a size; no copy of values in PyTorch)",
        "x.expand(3, -1)",
        f_expand,
        Expand
    ),
    b!(
        "repeat",
        [Req("input"), Var("sizes")],
        "the tensor tiled sizes[d] times along each axis",
        "x.repeat(2, 1)",
        f_repeat,
        Repeat
    ),
    b!(
        "tile",
        [Req("input"), Req("dims")],
        "repeat, with missing leading counts taken as 1",
        "tile(x, [2])",
        f_tile,
        Shapes
    ),
    b!(
        "flip",
        [Req("input"), Req("dims")],
        "the elements in reverse order along the given axes",
        "flip(x, [0])",
        f_flip,
        Shapes
    ),
    b!(
        "roll",
        [Req("input"), Req("shifts"), Opt("dims", "None")],
        "elements shifted along axes, wrapping around (flattened without dims)",
        "roll(x, 1, 0)",
        f_roll,
        Shapes
    ),
    b!(
        "pad",
        [
            Req("input"),
            Req("pad"),
            Opt("mode", "\"constant\""),
            Opt("value", "None")
        ],
        "widths [left, right, top, bottom, ...] from the last axis; negative widths crop",
        "pad(x, [1, 1], value=0)",
        f_pad,
        Pad
    ),
    b!(
        "chunk",
        [Req("input"), Req("chunks"), Opt("dim", "0")],
        "a tuple of at most `chunks` pieces of equal size (the last may be smaller)",
        "a, b = chunk(x, 2)",
        f_chunk,
        Shapes
    ),
    b!(
        "unbind",
        [Req("input"), Opt("dim", "0")],
        "a tuple of the slices along an axis, that axis removed (`tuple(x)` along `dim`)",
        "a, b = unbind(x, dim=1)",
        f_unbind,
        Shapes
    ),
    b!(
        "split",
        [
            Req("tensor"),
            Req("split_size_or_sections"),
            Opt("dim", "0")
        ],
        "a tuple of pieces of the given size, or of the listed sizes",
        "split(x, [1, 2], dim=1)",
        f_split,
        Shapes
    ),
    b!(
        "permute",
        [Req("input"), Var("dims")],
        "the axes in a new order: output axis i is input axis dims[i]",
        "x.permute(2, 0, 1)",
        f_permute,
        Permute
    ),
    b!(
        "movedim",
        [Req("input"), Req("source"), Req("destination")],
        "axes moved to new positions, the others keeping their order",
        "movedim(x, 0, -1)",
        f_movedim,
        Shapes
    ),
    b!(
        "einsum",
        [Req("equation"), Var("operands")],
        "Einstein summation over one or two operands (products, traces, transposes)",
        "einsum(\"ij,jk->ik\", a, b)",
        f_einsum,
        Shapes
    ),
];

fn f_hstack(interp: &mut Interp, a: &mut Args) -> R<Value> {
    let ts = super::convert::tensor_list(interp, a, 0)?;
    let axis = if ts.iter().all(|t| t.ndim() == 1) {
        0
    } else {
        1
    };
    done(interp, a, tensor::cat(&ts, axis), &[0])
}

fn f_vstack(interp: &mut Interp, a: &mut Args) -> R<Value> {
    let ts = super::convert::tensor_list(interp, a, 0)?;
    let mut rows = Vec::with_capacity(ts.len());
    for t in ts {
        rows.push(
            match t.ndim() {
                0 => tensor::reshape(&t, &[1, 1]),
                1 => tensor::reshape(&t, &[1, -1]),
                _ => Ok(t),
            }
            .map_err(|e| a.fail(interp, e, &[0]))?,
        );
    }
    done(interp, a, tensor::cat(&rows, 0), &[0])
}

/// `diag(v)`: the matrix with `v` on its diagonal (`eye(n) * v`, so that gradients
/// flow); `diag(M)`: the diagonal of a square or rectangular matrix.
fn f_diag(interp: &mut Interp, a: &mut Args) -> R<Value> {
    let t = a.tensor(interp, 0)?;
    let k = a.number_or(interp, 1, 0.0)?;
    if k != 0.0 {
        return Err(interp.fail(
            Diagnostic::error(
                "value::argument",
                format!("`diag` with diagonal={k}: tsr takes the main diagonal only"),
            )
            .primary(a.span(1), "an offset diagonal")
            .help("leave out `diagonal`, or shift the matrix with `roll` first"),
        ));
    }
    match t.ndim() {
        1 => {
            let n = t.shape()[0];
            let r = tensor::eye(n).and_then(|e| tensor::binary(tensor::BinaryOp::Mul, &e, &t));
            done(interp, a, r, &[0])
        }
        2 => {
            // A rectangular matrix: the diagonal of its leading square.
            let s = t.shape();
            let k = s[0].min(s[1]) as isize;
            let cut = IndexItem::Slice {
                start: None,
                stop: Some(k),
                step: 1,
            };
            let r = tensor::index(&t, &[cut.clone(), cut])
                .and_then(|sq| tensor::diagonal_axes(&sq, &[vec![0, 1]]));
            done(interp, a, r, &[0])
        }
        d => Err(interp.fail(
            Diagnostic::error(
                "shape::rank",
                format!("`diag` takes a vector or a matrix, this tensor has {d} axes"),
            )
            .primary(a.span(0), format!("{d} axes"))
            .help("for the diagonals of a batch of matrices use `einsum('...ii->...i', x)`"),
        )),
    }
}

fn done(interp: &Interp, a: &Args, r: Result<Tensor, TensorError>, operands: &[usize]) -> R<Value> {
    r.map(Value::Tensor)
        .map_err(|e| a.fail(interp, e, operands))
}

/// A whole number or a list of whole numbers from slot `i`.
fn ints(interp: &Interp, a: &Args, i: usize) -> R<Vec<i64>> {
    match a.value(i).listlike() {
        Value::List(l) => {
            let items = l.borrow().clone();
            items.iter().map(|v| interp.int_of(v, a.span(i))).collect()
        }
        v => Ok(vec![interp.int_of(&v, a.span(i))?]),
    }
}

fn axes(v: Vec<i64>) -> Vec<isize> {
    v.into_iter().map(|d| d as isize).collect()
}

fn f_expand(interp: &mut Interp, a: &mut Args) -> R<Value> {
    let t = a.tensor(interp, 0)?;
    let (sizes, _) = a.dims(interp, 1)?;
    done(interp, a, tensor::expand(&t, &sizes), &[0])
}

fn f_repeat(interp: &mut Interp, a: &mut Args) -> R<Value> {
    let t = a.tensor(interp, 0)?;
    let (sizes, _) = a.dims(interp, 1)?;
    done(interp, a, tensor::repeat(&t, &sizes, "repeat"), &[0])
}

fn f_tile(interp: &mut Interp, a: &mut Args) -> R<Value> {
    let t = a.tensor(interp, 0)?;
    let mut reps = ints(interp, a, 1)?;
    while reps.len() < t.ndim() {
        reps.insert(0, 1);
    }
    done(interp, a, tensor::repeat(&t, &reps, "tile"), &[0])
}

fn f_flip(interp: &mut Interp, a: &mut Args) -> R<Value> {
    let t = a.tensor(interp, 0)?;
    let dims = axes(ints(interp, a, 1)?);
    done(interp, a, tensor::flip(&t, &dims), &[0])
}

fn f_roll(interp: &mut Interp, a: &mut Args) -> R<Value> {
    let t = a.tensor(interp, 0)?;
    let shifts = ints(interp, a, 1)?;
    let dims = match a.get(2) {
        Some(_) => Some(axes(ints(interp, a, 2)?)),
        None => None,
    };
    done(interp, a, tensor::roll(&t, &shifts, dims.as_deref()), &[0])
}

fn f_pad(interp: &mut Interp, a: &mut Args) -> R<Value> {
    let t = a.tensor(interp, 0)?;
    let widths = ints(interp, a, 1)?;
    if a.get(2).is_some() {
        let mode = a.string(interp, 2)?;
        if mode != "constant" {
            return Err(interp.fail(
                Diagnostic::error(
                    "value::invalid",
                    format!("`pad` supports mode=\"constant\" only, got \"{mode}\""),
                )
                .primary(a.span(2), "unsupported mode"),
            ));
        }
    }
    let value = a.number_or(interp, 3, 0.0)? as f32;
    done(interp, a, tensor::pad(&t, &widths, value), &[0])
}

/// `t[.., start:stop]` along axis `d` (normalised).
fn piece(t: &Tensor, d: usize, start: usize, stop: usize) -> Result<Tensor, TensorError> {
    let slice = IndexItem::Slice {
        start: Some(start as isize),
        stop: Some(stop as isize),
        step: 1,
    };
    tensor::index(t, &IndexItem::along(d, slice))
}

fn pieces(interp: &Interp, a: &Args, t: &Tensor, d: usize, sizes: &[usize]) -> R<Value> {
    let mut out = Vec::with_capacity(sizes.len());
    let mut at = 0;
    for &n in sizes {
        let p = piece(t, d, at, at + n).map_err(|e| a.fail(interp, e, &[0]))?;
        out.push(Value::Tensor(p));
        at += n;
    }
    Ok(Value::tuple(out))
}

fn f_unbind(interp: &mut Interp, a: &mut Args) -> R<Value> {
    let t = a.tensor(interp, 0)?;
    let d = axis_arg(interp, a, &t, 1)?;
    let n = t.shape()[d];
    // Each piece is a tensor of its own: budget their nodes before making any (an axis
    // of 10^8 ones would otherwise make 10^8 tensors).
    tensor::budget::reserve(&[n, (tensor::budget::NODE_BYTES / 4) as usize])
        .map_err(|e| a.fail(interp, e, &[0]))?;
    let mut out = Vec::with_capacity(n);
    for i in 0..n {
        interp.check_interrupt(a.call, || None)?;
        let p = tensor::index(&t, &IndexItem::along(d, IndexItem::At(i as isize)))
            .map_err(|e| a.fail(interp, e, &[0]))?;
        out.push(Value::Tensor(p));
    }
    Ok(Value::tuple(out))
}

fn axis_arg(interp: &Interp, a: &Args, t: &Tensor, slot: usize) -> R<usize> {
    let d = a.axis(interp, slot)?.unwrap_or(0);
    tensor::shape::normalize_axis(d, t.ndim()).map_err(|e| a.fail(interp, e, &[0]))
}

fn f_chunk(interp: &mut Interp, a: &mut Args) -> R<Value> {
    let t = a.tensor(interp, 0)?;
    let chunks = a.int(interp, 1)?;
    if chunks <= 0 {
        return Err(interp.fail(
            Diagnostic::error(
                "value::invalid",
                format!("`chunk` needs a number of chunks of 1 or more, got {chunks}"),
            )
            .primary(a.span(1), "not a positive count"),
        ));
    }
    let d = axis_arg(interp, a, &t, 2)?;
    let n = t.shape()[d];
    let chunks = chunks as usize;
    let sizes: Vec<usize> = if n == 0 {
        vec![0; chunks]
    } else {
        let size = n.div_ceil(chunks);
        (0..n.div_ceil(size))
            .map(|i| size.min(n - i * size))
            .collect()
    };
    pieces(interp, a, &t, d, &sizes)
}

fn f_split(interp: &mut Interp, a: &mut Args) -> R<Value> {
    let t = a.tensor(interp, 0)?;
    let d = axis_arg(interp, a, &t, 2)?;
    let n = t.shape()[d];
    let sizes: Vec<usize> = match a.value(1).listlike() {
        Value::List(_) => {
            let s = ints(interp, a, 1)?;
            if s.iter().any(|&k| k < 0) || s.iter().sum::<i64>() != n as i64 {
                return Err(interp.fail(
                    Diagnostic::error(
                        "shape::split",
                        format!(
                            "`split` sizes {s:?} must be 0 or more and add up to {n}, the size of axis {d}"
                        ),
                    )
                    .primary(a.span(1), format!("these add up to {}", s.iter().sum::<i64>()))
                    .label(a.span(0), format!("axis {d} has size {n}")),
                ));
            }
            s.into_iter().map(|k| k as usize).collect()
        }
        _ => {
            let k = a.int(interp, 1)?;
            if k <= 0 && n > 0 || k < 0 {
                return Err(interp.fail(
                    Diagnostic::error(
                        "value::invalid",
                        format!("`split` needs a piece size of 1 or more, got {k}"),
                    )
                    .primary(a.span(1), "not a positive size"),
                ));
            }
            let k = k.max(1) as usize;
            if n == 0 {
                vec![0]
            } else {
                (0..n.div_ceil(k)).map(|i| k.min(n - i * k)).collect()
            }
        }
    };
    pieces(interp, a, &t, d, &sizes)
}

fn f_permute(interp: &mut Interp, a: &mut Args) -> R<Value> {
    let t = a.tensor(interp, 0)?;
    let (dims, _) = a.dims(interp, 1)?;
    done(interp, a, tensor::permute(&t, &axes(dims)), &[0])
}

fn f_movedim(interp: &mut Interp, a: &mut Args) -> R<Value> {
    let t = a.tensor(interp, 0)?;
    let n = t.ndim();
    let src = ints(interp, a, 1)?;
    let dst = ints(interp, a, 2)?;
    let r = (|| {
        if src.len() != dst.len() {
            return Err(TensorError::Value(format!(
                "`movedim` needs as many destinations as sources: {} and {}",
                src.len(),
                dst.len()
            )));
        }
        let s = tensor::movement::axes_set(&t.shape(), &axes(src.clone()), "movedim")?;
        let d = tensor::movement::axes_set(&t.shape(), &axes(dst.clone()), "movedim")?;
        let mut order: Vec<Option<usize>> = vec![None; n];
        for (&x, &y) in s.iter().zip(&d) {
            order[y] = Some(x);
        }
        let mut rest = (0..n).filter(|i| !s.contains(i));
        let perm: Vec<isize> = order
            .into_iter()
            .map(|o| o.or_else(|| rest.next()).unwrap_or(0) as isize)
            .collect();
        tensor::permute(&t, &perm)
    })();
    done(interp, a, r, &[0])
}

fn f_einsum(interp: &mut Interp, a: &mut Args) -> R<Value> {
    let eq = a.string(interp, 0)?;
    let mut ops = Vec::new();
    let mut rest = a.rest.clone();
    if let [(Value::List(l), span)] = rest.as_slice() {
        // einsum(eq, [a, b]) as well as einsum(eq, a, b).
        let span = *span;
        let items = l.borrow().clone();
        rest = items.into_iter().map(|v| (v, span)).collect();
    }
    for (v, s) in &rest {
        ops.push(match v {
            Value::Tensor(t) => t.clone(),
            Value::Number(x) => Tensor::constant(*x as f32),
            other => {
                return Err(interp.fail(
                    Diagnostic::error(
                        "type::argument",
                        format!(
                            "`einsum` needs tensors as operands, found a {}",
                            other.kind()
                        ),
                    )
                    .primary(*s, format!("this is a {}", other.kind())),
                ))
            }
        });
    }
    done(interp, a, tensor::einsum(&eq, &ops), &[])
}
