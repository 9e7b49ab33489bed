//! Python's iterators: `iter(x)` gives a `list_iterator` whose position advances with
//! each `next(it)` (a loop over it takes the items it has left), and `next` also calls
//! the `__next__` of a user's class, whose `raise StopIteration` ends it. The loops of
//! `Interp::iter_values` drain such objects the same way.

use crate::runtime::interp::{Interp, R};
use crate::runtime::value::{Args, Attrs, Builtin, Instance, Value, P};
use crate::syntax::diagnostic::Diagnostic;
use crate::syntax::span::Span;
use std::rc::Rc;

use P::{Opt, Req};

pub static TABLE: &[Builtin] = &[
    b!("iter", [Req("iterable")], "an iterator over the items of an iterable: `next(it)` takes them one at a time, a loop takes the rest", "xb, yb = next(iter(loader))", f_iter),
    b!("next", [Req("iterator"), Opt("default", "<none>")], "the next item of an iterator (default when it has none left; without a default that stops with StopIteration)", "xb, yb = next(iter(loader))", f_next),
    b!("list_iterator.__iter__", [Req("it")], "the items an iterator has left, for a loop (which takes them all)", "for x in it: ...", f_it_iter),
    b!("list_iterator.__next__", [Req("it")], "the next item of the iterator; StopIteration when none is left", "next(it)", f_it_next),
    b!("StopIteration", [Opt("message", "None")], "the exception a `__next__` raises when its iterator has no items left", "raise StopIteration", super::pyobjects::f_exception),
];

/// Whether an error is a `raise StopIteration` (the end of an iterator).
pub(crate) fn is_stop_iteration(d: &Diagnostic) -> bool {
    d.code == "raise::exception"
        && (d.message == "StopIteration" || d.message.starts_with("StopIteration:"))
}

/// Whether `v` is an iterator: an object whose class has `__next__`.
pub(crate) fn is_iterator(v: &Value) -> bool {
    matches!(v, Value::Instance(i) if i.class.find("__next__").is_some())
}

fn f_iter(interp: &mut Interp, a: &mut Args) -> R<Value> {
    let v = a.value(0);
    if is_iterator(&v) {
        // `iter(it)` of an iterator is the iterator itself.
        return Ok(v);
    }
    let items = interp.iter_values(&v, a.span(0))?;
    let class = crate::runtime::py::class::builtin_class(
        "list_iterator",
        "list_iterator",
        &["__iter__", "__next__"],
        &interp.builtins,
    );
    Ok(Value::Instance(Rc::new(Instance {
        class,
        attrs: Attrs::new(vec![
            ("_items".to_string(), Value::list(items)),
            ("_next".to_string(), Value::Number(0.0)),
        ]),
    })))
}

fn f_next(interp: &mut Interp, a: &mut Args) -> R<Value> {
    let it = a.value(0);
    let default = a
        .slots
        .get(1)
        .and_then(|s| s.as_ref())
        .map(|(v, _)| v.clone());
    if !is_iterator(&it) {
        let what = it.kind();
        let text = crate::runtime::explain::Context::text_of(interp, a.span(0));
        let help = if matches!(it, Value::Instance(_) | Value::Dict(_) | Value::Set(_)) {
            format!("take an iterator of it first: `next(iter({text}))`")
        } else {
            format!(
                "take an iterator of the {what} first, `next(iter({text}))`, or index it: `{text}[0]`"
            )
        };
        return Err(interp.fail(
            Diagnostic::error("type::not_iterator", format!("a {what} is not an iterator"))
                .primary(a.span(0), format!("this is a {what}"))
                .help(help),
        ));
    }
    match interp.call_method(it, "__next__", Vec::new(), a.call) {
        Err(e) if is_stop_iteration(&e) && default.is_some() => Ok(default.unwrap_or(Value::None)),
        r => r,
    }
}

/// The items and position of a `list_iterator`.
fn state(a: &Args) -> Option<(Rc<Instance>, Vec<Value>, usize)> {
    let Value::Instance(i) = a.value(0) else {
        return None;
    };
    let Some(Value::List(items)) = i.get("_items") else {
        return None;
    };
    let next = match i.get("_next") {
        Some(Value::Number(n)) => n as usize,
        _ => 0,
    };
    let items = items.borrow().clone();
    Some((i, items, next))
}

fn f_it_iter(_: &mut Interp, a: &mut Args) -> R<Value> {
    let Some((i, items, next)) = state(a) else {
        return Ok(Value::list(Vec::new()));
    };
    i.set("_next", Value::Number(items.len() as f64));
    Ok(Value::list(items.get(next..).unwrap_or_default().to_vec()))
}

fn f_it_next(interp: &mut Interp, a: &mut Args) -> R<Value> {
    match state(a) {
        Some((i, items, next)) if next < items.len() => {
            i.set("_next", Value::Number((next + 1) as f64));
            Ok(items[next].clone())
        }
        _ => Err(stop_iteration(interp, a.call)),
    }
}

/// The `StopIteration` of an iterator with no items left.
fn stop_iteration(interp: &Interp, span: Span) -> Box<Diagnostic> {
    interp.fail(
        Diagnostic::error("raise::exception", "StopIteration")
            .primary(span, "the iterator has no items left")
            .help("give a default for the end, `next(it, None)`, or loop over it with `for`"),
    )
}
