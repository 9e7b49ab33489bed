//! Builtins on Python values: `print`, `len`, `range`, `str`, `float`, `int`, `round`,
//! `list`, `append`, `sorted`, `type`, `perf_counter`.

use crate::runtime::interp::{Interp, R};
use crate::runtime::value::Value;
use crate::runtime::value::{Args, Builtin, P};
use crate::syntax::diagnostic::Diagnostic;
use crate::tensor;

use P::{Kw, Opt, Req, Var};

pub static TABLE: &[Builtin] = &[
    // ---- core
    b!(
        "print",
        [
            Var("values"),
            Kw("sep", "' '"),
            Kw("end", "'\\n'"),
            Kw("flush", "False"),
            Kw("file", "None")
        ],
        "print values separated by sep (a space) and followed by end (a line break)",
        "print(\"loss\", item(loss))",
        f_print,
        Nothing
    ),
    b!(
        "len",
        [Req("x")],
        "length of a list, string or range, or the first axis of a tensor",
        "len([1, 2, 3])",
        f_len, pure Len
    ),
    b!(
        "range",
        [Req("start"), Opt("stop", "None"), Opt("step", "1")],
        "whole numbers from start (default 0) up to stop",
        "for i in range(10): ...",
        f_range, pure Range
    ),
    b!("str", [Opt("x", "''")], "the text of a value", "str(3)", f_str, pure Text),
    b!(
        "float",
        [Opt("x", "0")],
        "a number from a number, bool, string or one-element tensor",
        "float(\"2.5\")",
        f_float, pure Number
    ),
    b!(
        "int",
        [Opt("x", "0")],
        "a whole number, truncated toward zero",
        "int(2.7)",
        f_int, pure Int
    ),
    b!(
        "round",
        [Req("x"), Opt("ndigits", "None"), Kw("decimals", "0")],
        "round a number or a tensor elementwise, half to even, to ndigits (or decimals) places",
        "round(2.567, 2)",
        f_round, pure Elementwise
    ),
    b!(
        "list",
        [Opt("x", "[]")],
        "a list of the items of a list, range, string or tensor's first axis",
        "list(range(3))",
        f_list, pure List
    ),
    b!(
        "append",
        [Req("list"), Req("value")],
        "add a value at the end of a list, in place",
        "losses.append(item(loss))",
        f_append,
        Append
    ),
    b!(
        "sorted",
        [Req("list"), Kw("key", "None"), Kw("reverse", "False")],
        "a new list of the items in ascending order (by key(item) when given; stable)",
        "sorted(times)",
        f_sorted, pure Sorted
    ),
    b!(
        "type",
        [Req("x")],
        "the kind of a value as a string",
        "type(3)",
        f_type, pure TypeName
    ),
    b!(
        "perf_counter",
        [],
        "seconds from a fixed point, for timing (not deterministic)",
        "t0 = perf_counter()",
        f_perf_counter,
        Number
    ),
];

// ------------------------------------------------------------------ core

fn f_print(interp: &mut Interp, a: &mut Args) -> R<Value> {
    let mut parts: Vec<String> = Vec::with_capacity(a.rest.len());
    for (v, _) in &a.rest {
        parts.push(interp.show(v, false)?);
    }
    // Slots: 0 the values (variadic), 1 sep, 2 end, 3 flush, 4 file.
    let text = |interp: &Interp, i: usize, default: &str| -> R<String> {
        match a.get(i) {
            None | Some(Value::None) => Ok(default.to_string()),
            Some(_) => a.string(interp, i),
        }
    };
    let sep = text(interp, 1, " ")?;
    let end = text(interp, 2, "\n")?;
    let mut line = parts.join(&sep);
    line.push_str(&end);
    interp.write_out(&line)?;
    Ok(Value::None)
}

fn f_len(interp: &mut Interp, a: &mut Args) -> R<Value> {
    let n = match a.value(0) {
        Value::List(l) => l.borrow().len(),
        Value::Tuple(t) => t.len(),
        v @ Value::Instance(_) => {
            let n = interp.call_method(v, "__len__", Vec::new(), a.span(0))?;
            return Ok(n);
        }
        Value::Dict(d) | Value::Set(d) => d.borrow().len(),
        Value::Str(s) => s.chars().count(),
        Value::Range { start, stop, step } => Value::range_len(start, stop, step) as usize,
        Value::Tensor(t) => match t.shape().first() {
            Some(&d) => d,
            None => {
                return Err(interp.fail(
                    Diagnostic::error("type::len", "a 0-d tensor has no length")
                        .primary(a.span(0), "0-d tensor")
                        .help("use `numel(x)` or `item(x)`"),
                ))
            }
        },
        other => {
            return Err(interp.fail(
                Diagnostic::error("type::len", format!("a {} has no length", other.kind()))
                    .primary(a.span(0), format!("this is a {}", other.kind())),
            ))
        }
    };
    Ok(Value::Number(n as f64))
}

fn f_range(interp: &mut Interp, a: &mut Args) -> R<Value> {
    let first = a.int(interp, 0)?;
    let (start, stop) = match a.get(1) {
        Some(_) => (first, a.int(interp, 1)?),
        None => (0, first),
    };
    let step = match a.get(2) {
        Some(_) => a.int(interp, 2)?,
        None => 1,
    };
    if step == 0 {
        return Err(interp.fail(
            Diagnostic::error("value::range_step", "`range` step cannot be zero")
                .primary(a.span(2), "step is 0"),
        ));
    }
    Ok(Value::Range { start, stop, step })
}

fn f_str(interp: &mut Interp, a: &mut Args) -> R<Value> {
    match a.get(0) {
        None => Ok(Value::str("")),
        Some(v) => {
            let v = v.clone();
            Ok(Value::str(&interp.show(&v, false)?))
        }
    }
}

fn f_float(interp: &mut Interp, a: &mut Args) -> R<Value> {
    if a.get(0).is_none() {
        return Ok(Value::Number(0.0));
    }
    match a.value(0) {
        Value::Str(s) => match s.trim().parse::<f64>() {
            Ok(n) => Ok(Value::Number(n)),
            Err(_) => Err(interp.fail(
                Diagnostic::error(
                    "value::parse",
                    format!(
                        "cannot read {} as a number",
                        crate::runtime::print::format_string_repr(&s)
                    ),
                )
                .primary(a.span(0), "not a number"),
            )),
        },
        _ => Ok(Value::Number(a.number(interp, 0)?)),
    }
}

fn f_int(interp: &mut Interp, a: &mut Args) -> R<Value> {
    if a.get(0).is_none() {
        return Ok(Value::Number(0.0));
    }
    let n = match a.value(0) {
        Value::Str(s) => match s.trim().parse::<f64>() {
            Ok(n) => n,
            Err(_) => {
                return Err(interp.fail(
                    Diagnostic::error(
                        "value::parse",
                        format!(
                            "cannot read {} as a number",
                            crate::runtime::print::format_string_repr(&s)
                        ),
                    )
                    .primary(a.span(0), "not a number"),
                ))
            }
        },
        _ => a.number(interp, 0)?,
    };
    Ok(Value::Number(n.trunc()))
}

fn f_round(interp: &mut Interp, a: &mut Args) -> R<Value> {
    let digits = match a.get(1) {
        Some(_) => a.number(interp, 1)?,
        None => a.number_or(interp, 2, 0.0)?,
    };
    let digits = digits.clamp(-400.0, 400.0) as i32;
    match a.value(0) {
        Value::Tensor(t) => tensor::try_unary(tensor::UnaryOp::Round(digits), &t)
            .map(Value::Tensor)
            .map_err(|e| a.fail(interp, e, &[0])),
        _ => {
            let x = a.number(interp, 0)?;
            if digits >= 0 && x.is_finite() {
                // Python rounds the exact binary value (`round(2.675, 2)` is 2.67): the
                // correctly rounded decimal text of it, read back.
                let text = format!("{x:.prec$}", prec = digits as usize);
                return Ok(Value::Number(text.parse().unwrap_or(x)));
            }
            let scale = 10f64.powi(digits);
            Ok(Value::Number(round_half_even(x * scale) / scale))
        }
    }
}

fn round_half_even(x: f64) -> f64 {
    let r = x.round();
    if (x - x.trunc()).abs() == 0.5 {
        2.0 * (x / 2.0).round()
    } else {
        r
    }
}

fn f_list(interp: &mut Interp, a: &mut Args) -> R<Value> {
    if a.get(0).is_none() {
        return Ok(Value::list(Vec::new()));
    }
    Ok(match a.value(0) {
        Value::List(l) => Value::list(l.borrow().clone()),
        v @ (Value::Tuple(_)
        | Value::Dict(_)
        | Value::Set(_)
        | Value::Str(_)
        | Value::Instance(_)) => Value::list(interp.iter_values(&v, a.span(0))?),
        Value::Range { start, stop, step } => {
            let n = Value::range_len(start, stop, step);
            if n > 1 << 26 {
                return Err(interp.fail(
                    Diagnostic::error("limit::memory", "range too long to make a list")
                        .primary(a.span(0), ""),
                ));
            }
            Value::list(
                (0..n)
                    .map(|i| Value::Number((start + i * step) as f64))
                    .collect(),
            )
        }
        Value::Tensor(t) => {
            let n = t.shape().first().copied().unwrap_or(0);
            let mut out = Vec::with_capacity(n);
            for i in 0..n {
                let row = tensor::index(&t, &[tensor::IndexItem::At(i as isize)])
                    .map_err(|e| a.fail(interp, e, &[0]))?;
                out.push(if row.ndim() == 0 {
                    Value::Number(row.item().unwrap_or(0.0) as f64)
                } else {
                    Value::Tensor(row)
                });
            }
            Value::list(out)
        }
        other => {
            return Err(interp.fail(
                Diagnostic::error(
                    "type::argument",
                    format!("cannot make a list from a {}", other.kind()),
                )
                .primary(a.span(0), ""),
            ))
        }
    })
}

fn f_append(interp: &mut Interp, a: &mut Args) -> R<Value> {
    match a.value(0) {
        Value::List(l) => {
            l.borrow_mut().push(a.value(1));
            Ok(Value::None)
        }
        other => Err(interp.fail(
            Diagnostic::error(
                "type::argument",
                format!("`append` needs a list, found a {}", other.kind()),
            )
            .primary(a.span(0), format!("this is a {}", other.kind())),
        )),
    }
}

fn f_sorted(interp: &mut Interp, a: &mut Args) -> R<Value> {
    let items: Vec<Value> = match a.value(0) {
        Value::List(l) => l.borrow().clone(),
        v @ (Value::Tuple(_)
        | Value::Dict(_)
        | Value::Set(_)
        | Value::Str(_)
        | Value::Instance(_)) => interp.iter_values(&v, a.span(0))?,
        Value::Range { start, stop, step } => (0..Value::range_len(start, stop, step).min(1 << 24))
            .map(|i| Value::Number((start + i * step) as f64))
            .collect(),
        other => {
            return Err(interp.fail(
                Diagnostic::error(
                    "type::argument",
                    format!("`sorted` needs a list, found a {}", other.kind()),
                )
                .primary(a.span(0), ""),
            ))
        }
    };
    let key = a.get(1).cloned();
    let reverse = a.bool_or(interp, 2, false)?;
    let mut keyed: Vec<(Value, Value)> = Vec::with_capacity(items.len());
    for v in items {
        let k = match &key {
            Some(f) if !matches!(f, Value::None) => {
                let arg = crate::runtime::call::ArgVal {
                    name: None,
                    value: v.clone(),
                    span: a.span(0),
                };
                interp.call(f, vec![arg], a.span(1), a.call)?
            }
            _ => v.clone(),
        };
        keyed.push((k, v));
    }
    let keyed = interp.sort_keyed(keyed, reverse, a.span(0))?;
    Ok(Value::list(keyed.into_iter().map(|(_, v)| v).collect()))
}

fn f_perf_counter(_: &mut Interp, _: &mut Args) -> R<Value> {
    static START: std::sync::OnceLock<std::time::Instant> = std::sync::OnceLock::new();
    Ok(Value::Number(
        START
            .get_or_init(std::time::Instant::now)
            .elapsed()
            .as_secs_f64(),
    ))
}

fn f_type(_: &mut Interp, a: &mut Args) -> R<Value> {
    // An instance's type is its class (`type(m).__name__`); other values name their kind.
    Ok(match a.value(0) {
        Value::Instance(i) => Value::Class(i.class.clone()),
        v => Value::str(v.kind()),
    })
}
