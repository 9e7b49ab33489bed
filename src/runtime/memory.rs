//! The `limit::memory` diagnostic of the whole-program budget: how much the live tensors
//! hold, which variable (or the gradients of the last `backward`) holds most of it, and
//! the fix that fits — cutting a graph that a loop grows, or freeing a large tensor.

use crate::runtime::explain::{at_origin, human_bytes, shape_str, Site};
use crate::runtime::interp::{Interp, Origin};
use crate::runtime::value::Value;
use crate::syntax::diagnostic::Diagnostic;
use crate::syntax::span::Span;
use crate::tensor::{self, budget};

/// What holds memory: a variable (with the graph behind it) or the stored gradients.
struct Holder {
    /// `None` for the gradients of the last `backward`.
    name: Option<String>,
    origin: Option<Origin>,
    bytes: u64,
    tensors: u64,
    /// A list of tensors (rather than one tensor and its graph).
    list: bool,
}

/// The variable holding the most tensor bytes (ties broken by name, so the message is
/// deterministic), or the gradient store when it holds more.
fn largest_holder(interp: &Interp) -> Option<Holder> {
    let mut best: Option<Holder> = None;
    let mut consider = |h: Holder| {
        if best.as_ref().is_none_or(|b| h.bytes > b.bytes) {
            best = Some(h);
        }
    };
    for name in interp.visible_names() {
        let Some(binding) = interp.lookup(&name) else {
            continue;
        };
        let list = matches!(binding.value, Value::List(_));
        let (bytes, tensors) = match &binding.value {
            Value::Tensor(t) => budget::footprint(t),
            Value::List(items) => items
                .borrow()
                .iter()
                .filter_map(|v| match v {
                    Value::Tensor(t) => Some(budget::footprint(t)),
                    _ => None,
                })
                .fold((0, 0), |(b, n), (b2, n2)| (b + b2, n + n2)),
            _ => continue,
        };
        if tensors > 0 {
            consider(Holder {
                name: Some(name.clone()),
                origin: Some(binding.origin),
                bytes,
                tensors,
                list,
            });
        }
    }
    if let Some(g) = &interp.grads {
        consider(Holder {
            name: None,
            origin: None,
            bytes: g.bytes(),
            tensors: g.len() as u64,
            list: false,
        });
    }
    best.filter(|h| h.bytes > 0)
}

/// The line (1-based) where `origin` starts.
fn line_of(interp: &Interp, origin: Origin) -> usize {
    let text = &interp.sources[origin.src_id].text;
    let end = origin.span.start.min(text.len());
    text.as_bytes()[..end]
        .iter()
        .filter(|&&b| b == b'\n')
        .count()
        + 1
}

fn count(n: u64) -> String {
    let s = n.to_string();
    let mut out = String::new();
    for (i, c) in s.chars().enumerate() {
        if i > 0 && (s.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// `TensorError::OutOfMemory` at `site`: `bytes` more were asked for while `live` of
/// `limit` were held.
pub fn out_of_memory(
    interp: &Interp,
    site: &Site,
    wanted: &[usize],
    bytes: u64,
    live: u64,
    limit: u64,
) -> Diagnostic {
    let d = Diagnostic::error(
        "limit::memory",
        format!(
            "out of memory: live tensors hold {} of the {} limit, and `{}` needs {} more",
            human_bytes(live),
            human_bytes(limit),
            site.op,
            human_bytes(bytes)
        ),
    )
    .primary(
        site.primary,
        format!(
            "this would allocate a tensor of shape {}",
            shape_str(wanted)
        ),
    );
    with_holder(interp, d)
}

/// Checked at loop iterations and calls: tensors made where no check runs before the
/// allocation (a `detach`, a tensor literal, a loss) can take the total past the limit
/// by a little; a loop then stops here instead of growing on.
pub fn check_total(interp: &Interp, span: Span) -> Result<(), Box<Diagnostic>> {
    let (live, limit) = (budget::live_bytes(), tensor::max_tensor_bytes());
    if live <= limit {
        return Ok(());
    }
    let d = Diagnostic::error(
        "limit::memory",
        format!(
            "out of memory: live tensors hold {}, over the {} limit",
            human_bytes(live),
            human_bytes(limit)
        ),
    )
    .primary(span, "stopped here");
    Err(interp.fail(with_holder(interp, d)))
}

/// Names what holds most of the memory and the fix that fits.
fn with_holder(interp: &Interp, d: Diagnostic) -> Diagnostic {
    let raise = "or raise the limit with `--max-memory`";
    let Some(h) = largest_holder(interp) else {
        return d.help(format!("use smaller sizes, {raise}"));
    };
    let held = human_bytes(h.bytes);
    let Some(name) = h.name else {
        return d.help(format!(
            "the gradients of the last `backward` hold {held} for {} tensors: they are kept until the next `backward`; use smaller sizes, {raise}",
            count(h.tensors)
        ));
    };
    let at = h
        .origin
        .map(|o| format!(" (assigned at line {})", line_of(interp, o)))
        .unwrap_or_default();
    let (label, help) = if h.list {
        (
            format!("`{name}` holds a list of tensors ({held})"),
            format!(
                "`{name}`{at} holds {held} in a list of {} tensors: keep fewer (or smaller ones), {raise}",
                count(h.tensors)
            ),
        )
    } else if h.tensors > 1 {
        (
            format!("`{name}` holds a graph of {} tensors ({held})", count(h.tensors)),
            format!(
                "the graph behind `{name}`{at} holds {held} in {} tensors, kept for `backward`: a loop that rebinds `{name}` to an expression of itself keeps every step. Cut the history with `{name} = detach({name})`, or update in place (`{name} -= ...`, `{name} *= ...`); {raise}",
                count(h.tensors)
            ),
        )
    } else {
        (
            format!("`{name}` holds {held}"),
            format!(
                "`{name}`{at} holds {held}: free what is no longer needed (`{name} = None`), use smaller sizes, {raise}"
            ),
        )
    };
    let d = match h.origin {
        Some(o) => at_origin(
            interp,
            d,
            o,
            label,
            Some(format!("`{name}` was assigned here")),
        ),
        None => d,
    };
    d.help(help)
}
