//! Selection, masks and sampling: `where`, `masked_fill`, `gather`, `index_select`,
//! `embedding`, `tril`/`triu`, the logical ops and `bool`, `multinomial`, `randint` and
//! generator objects (`generator`, `manual_seed`).

use crate::runtime::interp::{Interp, R};
use crate::runtime::value::Value;
use crate::runtime::value::{Args, Builtin, P};
use crate::syntax::diagnostic::Diagnostic;
use crate::tensor::{self, Rng, Tensor};
use std::cell::RefCell;
use std::rc::Rc;

use P::{Kw, Opt, Req};

pub static TABLE: &[Builtin] = &[
    b!(
        "where",
        [Req("condition"), Req("input"), Req("other")],
        "input where condition is non-zero, else other (all three broadcast)",
        "where(x > 0, x, 0)",
        f_where,
        Shapes
    ),
    b!(
        "masked_fill",
        [Req("input"), Req("mask"), Req("value")],
        "input with value where mask is non-zero (mask broadcasts to input)",
        "masked_fill(scores, tril(ones(T, T)) == 0, -1e9)",
        f_masked_fill,
        Shapes
    ),
    b!(
        "gather",
        [Req("input"), Req("dim"), Req("index")],
        "values picked along dim: out[i][j] = input[index[i][j]][j] for dim=0",
        "gather(probs, 1, y.reshape(-1, 1))",
        f_gather,
        Shapes
    ),
    b!(
        "index_select",
        [Req("input"), Req("dim"), Req("index")],
        "the entries at the positions index (1-D) along dim",
        "index_select(x, 0, tensor([0, 2]))",
        f_index_select,
        Shapes
    ),
    b!(
        "embedding",
        [Req("input"), Req("weight")],
        "rows of weight [num, dim] at the integer positions input: weight[input]",
        "embedding(X, C)",
        f_embedding,
        Shapes
    ),
    b!(
        "tril",
        [Req("input"), Opt("diagonal", "0")],
        "the lower triangle of the last two axes (above the diagonal set to 0)",
        "tril(ones(3, 3))",
        f_tril,
        Shapes
    ),
    b!(
        "triu",
        [Req("input"), Opt("diagonal", "0")],
        "the upper triangle of the last two axes (below the diagonal set to 0)",
        "triu(ones(3, 3), diagonal=1)",
        f_triu,
        Shapes
    ),
    b!(
        "eq",
        [Req("input"), Req("other")],
        "a mask: 1 where `input == other` (PyTorch's `torch.eq`; the same as the operator)",
        "pred.eq(y)",
        f_eq,
        Broadcast2
    ),
    b!(
        "ne",
        [Req("input"), Req("other")],
        "a mask: 1 where `input != other` (PyTorch's `torch.ne`; the same as the operator)",
        "ne(x, 0)",
        f_ne,
        Broadcast2
    ),
    b!(
        "lt",
        [Req("input"), Req("other")],
        "a mask: 1 where `input < other` (PyTorch's `torch.lt`; the same as the operator)",
        "lt(x, 0.5)",
        f_lt,
        Broadcast2
    ),
    b!(
        "le",
        [Req("input"), Req("other")],
        "a mask: 1 where `input <= other` (PyTorch's `torch.le`; the same as the operator)",
        "le(x, 0.5)",
        f_le,
        Broadcast2
    ),
    b!(
        "gt",
        [Req("input"), Req("other")],
        "a mask: 1 where `input > other` (PyTorch's `torch.gt`; the same as the operator)",
        "x.gt(0)",
        f_gt,
        Broadcast2
    ),
    b!(
        "ge",
        [Req("input"), Req("other")],
        "a mask: 1 where `input >= other` (PyTorch's `torch.ge`; the same as the operator)",
        "ge(x, 0)",
        f_ge,
        Broadcast2
    ),
    b!(
        "logical_not",
        [Req("input")],
        "a mask: 1 where input is 0",
        "logical_not(x > 0)",
        f_logical_not,
        Shapes
    ),
    b!(
        "logical_and",
        [Req("input"), Req("other")],
        "a mask: 1 where both are non-zero (also `a & b`)",
        "logical_and(x > 0, x < 1)",
        f_logical_and,
        Shapes
    ),
    b!(
        "logical_or",
        [Req("input"), Req("other")],
        "a mask: 1 where either is non-zero (also `a | b`)",
        "logical_or(x < 0, x > 1)",
        f_logical_or,
        Shapes
    ),
    b!(
        "logical_xor",
        [Req("input"), Req("other")],
        "a mask: 1 where exactly one is non-zero",
        "logical_xor(a > 0, b > 0)",
        f_logical_xor,
        Shapes
    ),
    b!(
        "bool",
        [Req("x")],
        "a tensor as a mask (1 where non-zero); other values as True/False",
        "x[m.bool()]",
        f_bool,
        Shapes
    ),
    b!(
        "multinomial",
        [
            Req("input"),
            Req("num_samples"),
            Opt("replacement", "False"),
            Kw("generator", "None")
        ],
        "category positions drawn with probability proportional to each row of input",
        "multinomial(probs, 1, generator=g)",
        f_multinomial
    ),
    b!(
        "randint",
        [
            Req("low"),
            Opt("high", "None"),
            Opt("size", "None"),
            Kw("generator", "None")
        ],
        "whole numbers uniform in low .. high-1 (randint(high, size) starts at 0)",
        "randint(0, 10, [3, 4])",
        f_randint,
        Shapes
    ),
    b!(
        "generator",
        [Opt("seed", "67280421310721")],
        "a random generator of its own, for the generator= of random functions",
        "g = generator(42)",
        f_generator
    ),
    b!(
        "manual_seed",
        [Req("generator"), Opt("seed", "None")],
        "g.manual_seed(s) reseeds g and returns it; manual_seed(s) is seed(s)",
        "g = generator().manual_seed(2147483647)",
        f_manual_seed
    ),
];

/// A tensor result, or the call's diagnostic naming the given argument slots.
fn done(
    interp: &Interp,
    a: &Args,
    r: Result<Tensor, tensor::TensorError>,
    operands: &[usize],
) -> R<Value> {
    r.map(Value::Tensor)
        .map_err(|e| a.fail(interp, e, operands))
}

fn f_where(interp: &mut Interp, a: &mut Args) -> R<Value> {
    let c = a.tensor(interp, 0)?;
    let x = a.tensor(interp, 1)?;
    let y = a.tensor(interp, 2)?;
    done(interp, a, tensor::where_(&c, &x, &y), &[0, 1, 2])
}

fn f_masked_fill(interp: &mut Interp, a: &mut Args) -> R<Value> {
    let x = a.tensor(interp, 0)?;
    let m = a.tensor(interp, 1)?;
    let v = a.tensor(interp, 2)?;
    done(interp, a, tensor::masked_fill(&x, &m, &v), &[0, 1])
}

/// Like `done`, but an error about an index value points at the index argument `slot`.
fn done_index(
    interp: &Interp,
    a: &Args,
    r: Result<Tensor, tensor::TensorError>,
    operands: &[usize],
    slot: usize,
) -> R<Value> {
    r.map(Value::Tensor).map_err(|e| {
        let mut site = a.site(interp, operands);
        if matches!(e, tensor::TensorError::IndexValue { .. }) {
            site.primary = a.span(slot);
            site.operands.retain(|o| o.span != site.primary);
        }
        interp.fail(crate::runtime::explain::tensor_error(interp, e, &site))
    })
}

fn f_gather(interp: &mut Interp, a: &mut Args) -> R<Value> {
    let x = a.tensor(interp, 0)?;
    let d = a.int(interp, 1)? as isize;
    let i = a.tensor(interp, 2)?;
    done_index(interp, a, tensor::gather(&x, d, &i), &[0, 2], 2)
}

fn f_index_select(interp: &mut Interp, a: &mut Args) -> R<Value> {
    let x = a.tensor(interp, 0)?;
    let d = a.int(interp, 1)? as isize;
    let i = a.tensor(interp, 2)?;
    done_index(interp, a, tensor::index_select(&x, d, &i), &[0, 2], 2)
}

fn f_embedding(interp: &mut Interp, a: &mut Args) -> R<Value> {
    let i = a.tensor(interp, 0)?;
    let w = a.tensor(interp, 1)?;
    done_index(interp, a, tensor::embedding(&i, &w), &[0, 1], 0)
}

fn tri(interp: &mut Interp, a: &mut Args, upper: bool) -> R<Value> {
    let x = a.tensor(interp, 0)?;
    let d = match a.get(1) {
        Some(_) => a.int(interp, 1)?,
        None => 0,
    };
    done(interp, a, tensor::tri(&x, d, upper), &[0])
}

fn f_tril(interp: &mut Interp, a: &mut Args) -> R<Value> {
    tri(interp, a, false)
}

fn f_triu(interp: &mut Interp, a: &mut Args) -> R<Value> {
    tri(interp, a, true)
}

fn logical(interp: &mut Interp, a: &mut Args, op: tensor::LogicalOp) -> R<Value> {
    let x = a.tensor(interp, 0)?;
    let y = match op {
        tensor::LogicalOp::Not | tensor::LogicalOp::Bool => None,
        _ => Some(a.tensor(interp, 1)?),
    };
    done(interp, a, tensor::logical(op, &x, y.as_ref()), &[0, 1])
}

/// `eq`, `ne`, `lt`, `le`, `gt`, `ge`: the comparison operators as functions and methods.
fn compare(interp: &mut Interp, a: &mut Args, op: tensor::BinaryOp) -> R<Value> {
    let x = a.tensor(interp, 0)?;
    let y = a.tensor(interp, 1)?;
    done(interp, a, tensor::binary(op, &x, &y), &[0, 1])
}
fn f_eq(interp: &mut Interp, a: &mut Args) -> R<Value> {
    compare(interp, a, tensor::BinaryOp::Eq)
}
fn f_ne(interp: &mut Interp, a: &mut Args) -> R<Value> {
    compare(interp, a, tensor::BinaryOp::Ne)
}
fn f_lt(interp: &mut Interp, a: &mut Args) -> R<Value> {
    compare(interp, a, tensor::BinaryOp::Lt)
}
fn f_le(interp: &mut Interp, a: &mut Args) -> R<Value> {
    compare(interp, a, tensor::BinaryOp::Le)
}
fn f_gt(interp: &mut Interp, a: &mut Args) -> R<Value> {
    compare(interp, a, tensor::BinaryOp::Gt)
}
fn f_ge(interp: &mut Interp, a: &mut Args) -> R<Value> {
    compare(interp, a, tensor::BinaryOp::Ge)
}

fn f_logical_not(interp: &mut Interp, a: &mut Args) -> R<Value> {
    logical(interp, a, tensor::LogicalOp::Not)
}
fn f_logical_and(interp: &mut Interp, a: &mut Args) -> R<Value> {
    logical(interp, a, tensor::LogicalOp::And)
}
fn f_logical_or(interp: &mut Interp, a: &mut Args) -> R<Value> {
    logical(interp, a, tensor::LogicalOp::Or)
}
fn f_logical_xor(interp: &mut Interp, a: &mut Args) -> R<Value> {
    logical(interp, a, tensor::LogicalOp::Xor)
}

fn f_bool(interp: &mut Interp, a: &mut Args) -> R<Value> {
    match a.value(0) {
        Value::Tensor(_) | Value::List(_) => logical(interp, a, tensor::LogicalOp::Bool),
        v => Ok(Value::Bool(interp.truthy(&v, a.span(0))?)),
    }
}

/// Runs `f` with the generator passed in slot `slot`, or the session's.
pub(crate) fn with_rng<T>(
    interp: &mut Interp,
    a: &Args,
    slot: usize,
    f: impl FnOnce(&mut Rng) -> T,
) -> R<T> {
    match a.value(slot) {
        Value::None => Ok(f(&mut interp.rng)),
        Value::Generator(g) => Ok(f(&mut g.borrow_mut())),
        other => Err(interp.fail(
            Diagnostic::error(
                "type::argument",
                format!(
                    "`{}` needs a generator for `generator`, found a {}",
                    a.builtin.name,
                    other.kind()
                ),
            )
            .primary(a.span(slot), format!("this is a {}", other.kind()))
            .help("make one with `g = generator(42)`"),
        )),
    }
}

fn f_multinomial(interp: &mut Interp, a: &mut Args) -> R<Value> {
    let p = a.tensor(interp, 0)?;
    let n = a.int(interp, 1)?;
    if n < 0 {
        return Err(interp.fail(
            Diagnostic::error(
                "value::invalid",
                format!("`multinomial` needs a number of samples of 0 or more, got {n}"),
            )
            .primary(a.span(1), "negative"),
        ));
    }
    let repl = a.bool_or(interp, 2, false)?;
    let r = with_rng(interp, a, 3, |rng| {
        tensor::multinomial(&p, n as usize, repl, rng)
    })?;
    done(interp, a, r, &[0])
}

fn f_randint(interp: &mut Interp, a: &mut Args) -> R<Value> {
    // randint(high, size) or randint(low, high, size), as PyTorch.
    let (low, high, size_slot) = match (a.get(1), a.get(2)) {
        (Some(_), Some(_)) => (a.int(interp, 0)?, a.int(interp, 1)?, 2),
        (None, Some(_)) => (0, a.int(interp, 0)?, 2),
        _ => (0, a.int(interp, 0)?, 1),
    };
    let size = match a.value(size_slot).listlike() {
        Value::List(l) => {
            let items = l.borrow().clone();
            let mut out = Vec::with_capacity(items.len());
            for v in &items {
                let d = interp.int_of(v, a.span(size_slot))?;
                if d < 0 {
                    return Err(interp.fail(
                        Diagnostic::error(
                            "type::shape",
                            format!("`randint` needs sizes that are 0 or more, found {d}"),
                        )
                        .primary(a.span(size_slot), "a negative size"),
                    ));
                }
                out.push(d as usize);
            }
            out
        }
        Value::None => {
            return Err(interp.fail(
                Diagnostic::error("call::arity", "`randint` is missing the argument `size`")
                    .primary(a.call, "no size")
                    .help("write `randint(high, [n])` or `randint(low, high, [rows, cols])`"),
            ))
        }
        v => vec![interp.int_of(&v, a.span(size_slot))?.max(0) as usize],
    };
    if size.len() > tensor::shape::MAX_RANK {
        return done(
            interp,
            a,
            Err(tensor::TensorError::Rank { ndim: size.len() }),
            &[],
        );
    }
    let r = with_rng(interp, a, 3, |rng| tensor::randint(low, high, &size, rng))?;
    done(interp, a, r, &[])
}

fn f_generator(interp: &mut Interp, a: &mut Args) -> R<Value> {
    let seed = match a.get(0) {
        Some(_) => a.int(interp, 0)?,
        None => 67280421310721,
    };
    Ok(Value::Generator(Rc::new(RefCell::new(Rng::seeded(
        seed as u64,
    )))))
}

fn f_manual_seed(interp: &mut Interp, a: &mut Args) -> R<Value> {
    match a.value(0) {
        Value::Generator(g) => {
            let seed = a.int(interp, 1)?;
            *g.borrow_mut() = Rng::seeded(seed as u64);
            Ok(Value::Generator(g))
        }
        _ => {
            let seed = a.int(interp, 0)?;
            interp.rng = Rng::seeded(seed as u64);
            Ok(Value::None)
        }
    }
}
