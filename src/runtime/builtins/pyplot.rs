//! `matplotlib.pyplot` as notebooks call it (`plt.plot(losses)`, `plt.title(...)`,
//! `plt.show()`), drawn by tsr's own `plot`: the calls collect a figure, `show()`
//! draws it (in the terminal, or inline in a notebook) and `savefig(path)` writes it
//! as SVG. x values given to `plot(xs, ys)` are not used: points are drawn at their
//! positions, in order.

use crate::runtime::call::ArgVal;
use crate::runtime::interp::{Interp, R};
use crate::runtime::value::{Args, Builtin, Value, P};
use crate::syntax::diagnostic::Diagnostic;

use P::{Kw, Opt, Req, Var};

pub static TABLE: &[Builtin] = &[
    b!(
        "plt.plot",
        [Var("values"), Kw("label", "None")],
        "add a line to the figure: plot(ys) or plot(xs, ys)",
        "plt.plot(losses, label=\"train\")",
        f_plot_line,
        Nothing
    ),
    b!(
        "plt.hist",
        [Req("values"), Opt("bins", "10")],
        "add a histogram (the count in each of `bins` equal bins) to the figure",
        "plt.hist(w.flatten().tolist(), bins=20)",
        f_hist,
        Nothing
    ),
    b!(
        "plt.title",
        [Req("text")],
        "the figure's title",
        "plt.title(\"loss\")",
        f_title,
        Nothing
    ),
    b!(
        "plt.xlabel",
        [Req("text")],
        "accepted; the terminal and SVG plots draw no axis names",
        "plt.xlabel(\"step\")",
        f_ignore,
        Nothing
    ),
    b!(
        "plt.ylabel",
        [Req("text")],
        "accepted; the terminal and SVG plots draw no axis names",
        "plt.ylabel(\"loss\")",
        f_ignore,
        Nothing
    ),
    b!(
        "plt.legend",
        [Var("args")],
        "accepted; lines with a `label=` are named in the legend",
        "plt.legend()",
        f_ignore,
        Nothing
    ),
    b!(
        "plt.grid",
        [Var("args")],
        "accepted; grid lines are always drawn",
        "plt.grid(True)",
        f_ignore,
        Nothing
    ),
    b!(
        "plt.figure",
        [Var("args"), Kw("figsize", "None")],
        "start a new figure",
        "plt.figure(figsize=(6, 4))",
        f_figure,
        Nothing
    ),
    b!(
        "plt.show",
        [],
        "draw the figure (in the terminal, or inline in a notebook) and start a new one",
        "plt.show()",
        f_show,
        Nothing
    ),
    b!(
        "plt.savefig",
        [Req("path")],
        "write the figure to an SVG file and start a new one",
        "plt.savefig(\"loss.svg\")",
        f_savefig,
        Nothing
    ),
    b!(
        "plt.close",
        [Var("args")],
        "drop the figure",
        "plt.close()",
        f_figure,
        Nothing
    ),
];

fn f_plot_line(interp: &mut Interp, a: &mut Args) -> R<Value> {
    let Some((ys, span)) = a.rest.last().cloned() else {
        return Err(interp.fail(
            Diagnostic::error("call::arity", "`plt.plot` needs values")
                .primary(a.call, "nothing to plot"),
        ));
    };
    let label = match a.get(1) {
        Some(Value::None) | None => None,
        Some(v) => Some(v.display()),
    };
    let fig = interp.figure.get_or_insert_with(Default::default);
    fig.series.push((ys, span));
    fig.labels.push(label);
    Ok(Value::None)
}

fn f_hist(interp: &mut Interp, a: &mut Args) -> R<Value> {
    let values = interp.iter_values(&a.value(0).listlike(), a.span(0))?;
    let mut xs = Vec::with_capacity(values.len());
    for v in values {
        match v {
            Value::Tensor(t) => xs.extend(t.data().iter().map(|&x| x as f64)),
            other => match crate::runtime::eval::as_number(&other) {
                Some(x) => xs.push(x),
                None => {
                    return Err(interp.fail(
                        Diagnostic::error(
                            "type::argument",
                            format!("`hist` needs numbers, found a {}", other.kind()),
                        )
                        .primary(a.span(0), "these values"),
                    ))
                }
            },
        }
    }
    let bins = a.int(interp, 1)?.clamp(1, 1000) as usize;
    let (lo, hi) = xs
        .iter()
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(l, h), &x| {
            (l.min(x), h.max(x))
        });
    let mut counts = vec![0.0; bins];
    if lo.is_finite() && hi.is_finite() {
        let width = if hi > lo {
            (hi - lo) / bins as f64
        } else {
            1.0
        };
        for x in xs {
            let i = (((x - lo) / width) as usize).min(bins - 1);
            counts[i] += 1.0;
        }
    }
    let fig = interp.figure.get_or_insert_with(Default::default);
    fig.series.push((
        Value::list(counts.into_iter().map(Value::Number).collect()),
        a.span(0),
    ));
    fig.labels.push(Some("count".to_string()));
    Ok(Value::None)
}

fn f_title(interp: &mut Interp, a: &mut Args) -> R<Value> {
    let text = a.value(0).display();
    interp.figure.get_or_insert_with(Default::default).title = Some(text);
    Ok(Value::None)
}

fn f_ignore(_: &mut Interp, _: &mut Args) -> R<Value> {
    Ok(Value::None)
}

fn f_figure(interp: &mut Interp, _: &mut Args) -> R<Value> {
    interp.figure = None;
    Ok(Value::None)
}

/// Draw the pending figure with `plot`, to `file` when given.
fn draw(interp: &mut Interp, a: &Args, file: Option<Value>) -> R<Value> {
    let Some(fig) = interp.figure.take() else {
        return Err(interp.fail(
            Diagnostic::error("value::empty", "there is no figure to draw")
                .primary(a.call, "nothing was plotted")
                .help("call `plt.plot(values)` first"),
        ));
    };
    let Some(plot) = interp.builtins.find("plot") else {
        return Ok(Value::None);
    };
    let mut args: Vec<ArgVal> = fig
        .series
        .into_iter()
        .map(|(value, span)| ArgVal {
            name: None,
            value,
            span,
        })
        .collect();
    let kw = |name: &str, value: Value| ArgVal {
        name: Some((name.to_string(), a.call)),
        value,
        span: a.call,
    };
    if fig.labels.iter().any(Option::is_some) {
        let names = fig
            .labels
            .iter()
            .enumerate()
            .map(|(i, l)| Value::str(&l.clone().unwrap_or(format!("series {}", i + 1))))
            .collect();
        args.push(kw("labels", Value::list(names)));
    }
    if let Some(t) = fig.title {
        args.push(kw("title", Value::str(&t)));
    }
    if let Some(f) = file {
        args.push(kw("file", f));
    }
    interp.call(&Value::Builtin(plot), args, a.callee, a.call)
}

fn f_show(interp: &mut Interp, a: &mut Args) -> R<Value> {
    draw(interp, a, None)
}

fn f_savefig(interp: &mut Interp, a: &mut Args) -> R<Value> {
    let path = a.value(0);
    draw(interp, a, Some(path))
}
