//! Tensor constructors: `tensor`, `zeros`, `ones`, `full`, `eye`, `arange`, `linspace`,
//! the seeded random ones, `randperm`, `zeros_like`, `ones_like`.

use crate::runtime::interp::{Interp, R};
use crate::runtime::value::Value;
use crate::runtime::value::{Args, Builtin, P};
use crate::syntax::diagnostic::Diagnostic;
use crate::tensor::{self, Tensor};
use ndarray::{ArrayD, IxDyn};

use P::{Kw, Opt, Req, Var};

use super::convert::*;

pub static TABLE: &[Builtin] = &[
    // ---- constructors
    b!(
        "tensor",
        [Req("data")],
        "a tensor from a number or nested lists of numbers",
        "tensor([[1, 2], [3, 4]])",
        f_tensor, pure Literal
    ),
    b!(
        "zeros",
        [Var("dims")],
        "a tensor of zeros",
        "zeros(2, 3)",
        f_zeros,
        Sized
    ),
    b!(
        "ones",
        [Var("dims")],
        "a tensor of ones",
        "ones(2, 3)",
        f_ones,
        Sized
    ),
    b!(
        "full",
        [Var("dims"), Kw("value", "0")],
        "a tensor filled with one value",
        "full(2, 3, value=0.1)",
        f_full,
        Sized
    ),
    b!(
        "eye",
        [Req("n")],
        "the n-by-n identity matrix",
        "eye(3)",
        f_eye,
        Square
    ),
    b!(
        "arange",
        [Req("start"), Opt("stop", "None"), Opt("step", "1")],
        "evenly spaced values in [start, stop)",
        "arange(9).reshape(3, 3)",
        f_arange,
        Arange
    ),
    b!(
        "linspace",
        [Req("start"), Req("stop"), Req("n")],
        "n evenly spaced values from start to stop inclusive",
        "linspace(0, 1, 5)",
        f_linspace,
        Linspace
    ),
    b!(
        "randn",
        [Var("dims"), Kw("generator", "None")],
        "normally distributed random values (see `seed`, `generator`)",
        "randn(3, 4)",
        f_randn,
        Sized
    ),
    b!(
        "rand",
        [Var("dims"), Kw("generator", "None")],
        "uniform random values in [0, 1) (see `seed`, `generator`)",
        "rand(3, 4)",
        f_rand,
        Sized
    ),
    b!(
        "seed",
        [Req("n")],
        "reset the random generator: same seed, same numbers",
        "seed(0)",
        f_seed,
        Nothing
    ),
    b!(
        "randperm",
        [Req("n"), Kw("generator", "None")],
        "a random permutation of 0 .. n-1 as a tensor",
        "randperm(10)",
        f_randperm,
        Vector
    ),
    b!(
        "empty",
        [Var("dims")],
        "a tensor to be filled (zeros: tsr has no uninitialised memory)",
        "empty(2, 3)",
        f_zeros,
        Sized
    ),
    b!(
        "empty_like",
        [Req("x")],
        "a tensor of the shape of x to be filled (zeros)",
        "empty_like(W)",
        f_zeros_like,
        LikeFirst
    ),
    b!(
        "zeros_like",
        [Req("x")],
        "zeros of the shape of x",
        "zeros_like(W)",
        f_zeros_like,
        LikeFirst
    ),
    b!(
        "ones_like",
        [Req("x")],
        "ones of the shape of x",
        "ones_like(W)",
        f_ones_like,
        LikeFirst
    ),
];

// ------------------------------------------------------------------ constructors

fn f_tensor(interp: &mut Interp, a: &mut Args) -> R<Value> {
    match a.value(0) {
        Value::Tensor(t) => tensor_value(t.detach()),
        v => {
            let t = tensor_from_value(interp, &v, a.span(0))?;
            // A tensor of bools is a mask, as PyTorch's bool tensors.
            t.set_mask(all_bools(&v));
            tensor_value(t)
        }
    }
}

/// Whether `v` is a (nested, non-empty) list holding only `True`/`False`.
fn all_bools(v: &Value) -> bool {
    match v {
        Value::Bool(_) => true,
        Value::List(l) => {
            let l = l.borrow();
            !l.is_empty() && l.iter().all(all_bools)
        }
        _ => false,
    }
}

fn sized(interp: &Interp, a: &Args, r: Result<Tensor, tensor::TensorError>) -> R<Value> {
    r.map(Value::Tensor).map_err(|e| a.fail(interp, e, &[]))
}

fn f_zeros(interp: &mut Interp, a: &mut Args) -> R<Value> {
    let s = a.shape(interp, 0)?;
    sized(interp, a, tensor::zeros(&s))
}

fn f_ones(interp: &mut Interp, a: &mut Args) -> R<Value> {
    let s = a.shape(interp, 0)?;
    sized(interp, a, tensor::ones(&s))
}

fn f_full(interp: &mut Interp, a: &mut Args) -> R<Value> {
    let s = a.shape(interp, 0)?;
    let v = a.number_or(interp, 1, 0.0)?;
    sized(interp, a, tensor::full(&s, v as f32))
}

fn f_eye(interp: &mut Interp, a: &mut Args) -> R<Value> {
    let n = a.shape(interp, 0)?;
    let Some(&n) = n.first() else {
        return Err(interp.fail(
            Diagnostic::error(
                "type::shape",
                "`eye` needs a size n for an n x n identity, got an empty shape",
            )
            .primary(a.span(0), "no size")
            .help("write `eye(3)` for the 3 x 3 identity"),
        ));
    };
    sized(interp, a, tensor::eye(n))
}

fn f_arange(interp: &mut Interp, a: &mut Args) -> R<Value> {
    let first = a.number(interp, 0)?;
    let (start, stop) = match a.get(1) {
        Some(_) => (first, a.number(interp, 1)?),
        None => (0.0, first),
    };
    let step = a.number_or(interp, 2, 1.0)?;
    sized(interp, a, tensor::arange(start, stop, step))
}

fn f_linspace(interp: &mut Interp, a: &mut Args) -> R<Value> {
    let start = a.number(interp, 0)?;
    let stop = a.number(interp, 1)?;
    let n = a.int(interp, 2)?;
    if n < 0 {
        return Err(interp.fail(
            Diagnostic::error("type::shape", "`linspace` needs a count of 0 or more")
                .primary(a.span(2), format!("{n}")),
        ));
    }
    sized(interp, a, tensor::linspace(start, stop, n))
}

fn f_randn(interp: &mut Interp, a: &mut Args) -> R<Value> {
    let s = a.shape(interp, 0)?;
    let r = super::indexing::with_rng(interp, a, 1, |rng| tensor::randn(&s, rng))?;
    sized(interp, a, r)
}

fn f_rand(interp: &mut Interp, a: &mut Args) -> R<Value> {
    let s = a.shape(interp, 0)?;
    let r = super::indexing::with_rng(interp, a, 1, |rng| tensor::rand(&s, rng))?;
    sized(interp, a, r)
}

fn f_seed(interp: &mut Interp, a: &mut Args) -> R<Value> {
    let n = a.int(interp, 0)?;
    interp.rng = tensor::Rng::seeded(n as u64);
    Ok(Value::None)
}

fn f_randperm(interp: &mut Interp, a: &mut Args) -> R<Value> {
    let Some(&n) = a.shape(interp, 0)?.first() else {
        return Err(interp.fail(
            Diagnostic::error(
                "type::shape",
                "`randperm` needs a number n, got an empty shape",
            )
            .primary(a.span(0), "no size")
            .help("write `randperm(10)` for a permutation of 0..9"),
        ));
    };
    // The size is budgeted before anything is allocated (a campaign mutant asked for
    // `randperm(1e9)`), and a long shuffle stops at Ctrl-C.
    tensor::shape::checked_numel(&[n])
        .and_then(|_| tensor::budget::reserve(&[n]))
        .map_err(|e| a.fail(interp, e, &[]))?;
    let interrupt = interp.interrupt.clone();
    // Fisher–Yates over the session's generator: same seed, same permutation.
    let mut perm: Vec<f32> = (0..n).map(|i| i as f32).collect();
    super::indexing::with_rng(interp, a, 1, |rng| {
        for i in (1..n).rev() {
            if i % (1 << 20) == 0 && interrupt.load(std::sync::atomic::Ordering::Relaxed) {
                return;
            }
            let j = (rng.next_u64() % (i as u64 + 1)) as usize;
            perm.swap(i, j);
        }
    })?;
    interp.check_interrupt(a.call, || None)?;
    let check = tensor::zeros(&[n]);
    sized(
        interp,
        a,
        check.map(|_| Tensor::leaf(ArrayD::from_shape_vec(IxDyn(&[n]), perm).expect("length n"))),
    )
}

fn f_zeros_like(interp: &mut Interp, a: &mut Args) -> R<Value> {
    let t = a.tensor(interp, 0)?;
    sized(interp, a, tensor::zeros(&t.shape()))
}

fn f_ones_like(interp: &mut Interp, a: &mut Args) -> R<Value> {
    let t = a.tensor(interp, 0)?;
    sized(interp, a, tensor::ones(&t.shape()))
}
