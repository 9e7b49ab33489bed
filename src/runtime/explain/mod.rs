//! Turns the tensor layer's plain errors into diagnostics: operand labels with shapes,
//! where each variable got its shape, and fixes that were checked against the op's own
//! shape rule before being suggested.

use crate::syntax::ast::BinOp;
use crate::syntax::diagnostic::{Diagnostic, Source};
use crate::syntax::span::Span;
use crate::tensor::{self, shape, TensorError};

mod cause;
mod concat;
pub mod index;
pub mod layers;
pub mod math;
mod names;
mod shapes;

use concat::cat;
use names::comparison_symbol;
pub(crate) use names::{axes, plural};
pub use names::{did_you_mean, operator_type_error, unknown_property, xor_needs_masks};
use shapes::{broadcast, loss_shape, matmul, reshape};

/// Where a variable got its current value: the statement that last bound it.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Origin {
    pub src_id: usize,
    pub span: Span,
}

/// What an explanation may ask of the program being run or checked: source text,
/// where variables were bound, which variable holds a tensor, where a tensor was last
/// changed in place. The evaluator implements it; explaining never runs anything.
pub trait Context {
    /// The source text under `span` in the current source.
    fn text_of(&self, span: Span) -> String;
    /// Where the visible variable `name` was last bound.
    fn origin_of(&self, name: &str) -> Option<Origin>;
    /// The source whose spans are being evaluated now.
    fn current_source(&self) -> usize;
    fn source(&self, id: usize) -> &Source;
    fn source_name(&self, id: usize) -> &str;
    /// A visible variable bound to the tensor with this id.
    fn name_of_tensor(&self, id: u64) -> Option<String>;
    /// Where the tensor with this id was last changed in place.
    fn changed_at(&self, id: u64) -> Option<Origin>;
    /// `limit::memory` for a tensor of shape `wanted` needing `bytes` more while `live`
    /// of `limit` are held: it names what in the program holds the memory.
    fn out_of_memory(
        &self,
        site: &Site,
        wanted: &[usize],
        bytes: u64,
        live: u64,
        limit: u64,
    ) -> Diagnostic;
}

/// A shape as tsr writes it: `[4, 3]`, `[]` for a 0-d tensor.
pub fn shape_str(s: &[usize]) -> String {
    let parts: Vec<String> = s.iter().map(|d| d.to_string()).collect();
    format!("[{}]", parts.join(", "))
}

/// One operand of a failing op: its source text, shape and provenance.
pub struct Operand {
    pub span: Span,
    pub text: String,
    pub shape: Option<Vec<usize>>,
    pub kind: &'static str,
    /// Where the variable named by `text` got its value, if `text` is a variable.
    pub origin: Option<Origin>,
}

impl Operand {
    /// The operand under `span` holding a value of `kind` (a tensor of `shape`).
    pub fn new(
        cx: &dyn Context,
        span: Span,
        shape: Option<Vec<usize>>,
        kind: &'static str,
    ) -> Operand {
        Operand::named(cx.text_of(span), span, shape, kind, |name| {
            cx.origin_of(name)
        })
    }

    /// The operand whose source text is `text`; `origin_of` finds where a variable of
    /// that name was bound (asked only when `text` is a plain name).
    pub fn named(
        text: String,
        span: Span,
        shape: Option<Vec<usize>>,
        kind: &'static str,
        origin_of: impl FnOnce(&str) -> Option<Origin>,
    ) -> Operand {
        let is_ident = !text.is_empty()
            && text.chars().all(|c| c.is_alphanumeric() || c == '_')
            && !text.starts_with(|c: char| c.is_ascii_digit());
        let origin = if is_ident { origin_of(&text) } else { None };
        Operand {
            span,
            text,
            shape,
            kind,
            origin,
        }
    }

    /// "`W` is [1, 3]" or "this is [1, 3]" or "a number".
    fn describe(&self) -> String {
        match &self.shape {
            Some(s) if self.is_short() => format!("`{}` is {}", self.text, shape_str(s)),
            Some(s) => format!("this is {}", shape_str(s)),
            None => format!("a {}", self.kind),
        }
    }

    pub(crate) fn is_short(&self) -> bool {
        !self.text.is_empty() && self.text.len() <= 24 && !self.text.contains('\n')
    }

    fn name(&self) -> String {
        if self.is_short() {
            format!("`{}`", self.text)
        } else {
            "the operand".to_string()
        }
    }

    /// The operand's text, wrapped in parentheses when a postfix like `.T` needs them.
    pub(crate) fn postfix_text(&self) -> String {
        if crate::syntax::diagnostic::is_postfix_expr(&self.text) {
            self.text.clone()
        } else {
            format!("({})", self.text)
        }
    }
}

/// Where an op failed: its name as the user wrote it, the span to mark, its operands.
pub struct Site {
    pub op: String,
    pub primary: Span,
    pub operands: Vec<Operand>,
    pub in_place: bool,
    /// The span of the call's axis argument (`axis=`/`dim=`), when one was given.
    pub axis: Option<Span>,
}

impl Site {
    pub fn call(op: &str, primary: Span, operands: Vec<Operand>) -> Site {
        Site {
            op: op.to_string(),
            primary,
            operands,
            in_place: false,
            axis: None,
        }
    }

    pub(crate) fn lhs(&self) -> Option<&Operand> {
        self.operands.first()
    }

    pub(crate) fn rhs(&self) -> Option<&Operand> {
        self.operands.get(1)
    }

    /// The two operands whose shapes `lhs` and `rhs` failed together: the first two,
    /// unless the op has more (`where(c, x, y)`) and others hold exactly those shapes.
    pub(crate) fn pair(
        &self,
        lhs: &[usize],
        rhs: &[usize],
    ) -> (Option<&Operand>, Option<&Operand>) {
        if self.operands.len() > 2 {
            let has = |o: &&Operand, s: &[usize]| o.shape.as_deref() == Some(s);
            if let Some(i) = self.operands.iter().position(|o| has(&o, lhs)) {
                let j = self
                    .operands
                    .iter()
                    .enumerate()
                    .rposition(|(j, o)| j != i && has(&o, rhs));
                if let Some(j) = j {
                    return (self.operands.get(i), self.operands.get(j));
                }
            }
        }
        (self.lhs(), self.rhs())
    }
}

/// The tensor op of a binary operator (`@` is separate: `tensor::matmul`).
pub fn binary_kind(op: BinOp) -> Option<tensor::BinaryOp> {
    use tensor::BinaryOp as B;
    Some(match op {
        BinOp::Add => B::Add,
        BinOp::Sub => B::Sub,
        BinOp::Mul => B::Mul,
        BinOp::Div => B::Div,
        BinOp::Mod => B::Rem,
        BinOp::Pow => B::Pow,
        BinOp::Eq => B::Eq,
        BinOp::Ne => B::Ne,
        BinOp::Lt => B::Lt,
        BinOp::Le => B::Le,
        BinOp::Gt => B::Gt,
        BinOp::Ge => B::Ge,
        BinOp::MatMul
        | BinOp::BitAnd
        | BinOp::BitOr
        | BinOp::BitXor
        | BinOp::FloorDiv
        | BinOp::In
        | BinOp::NotIn
        | BinOp::Is
        | BinOp::IsNot => return None,
    })
}

/// Name an axis the way a user thinks of it.
fn axis_words(axis: usize, ndim: usize) -> String {
    if ndim == 2 {
        return match axis {
            0 => "axis 0 (rows)".to_string(),
            _ => "axis 1 (columns)".to_string(),
        };
    }
    if axis + 1 == ndim {
        format!("axis {axis} (the last axis)")
    } else {
        format!("axis {axis}")
    }
}

/// Draw shapes aligned from the right, one per line, with a caret under the mismatch.
fn aligned(rows: &[(String, &[usize])], mismatch_from_right: usize) -> String {
    let name_w = rows
        .iter()
        .map(|(n, _)| n.chars().count())
        .max()
        .unwrap_or(0);
    let max_rank = rows.iter().map(|(_, s)| s.len()).max().unwrap_or(0);
    let cell_w = rows
        .iter()
        .flat_map(|(_, s)| s.iter().map(|d| d.to_string().len()))
        .max()
        .unwrap_or(1);
    let mut out = String::new();
    for (name, s) in rows {
        let mut cells: Vec<String> = vec![" ".repeat(cell_w); max_rank - s.len()];
        cells.extend(s.iter().map(|d| format!("{:>cell_w$}", d)));
        out.push_str(&format!("\n  {:<name_w$}  {}", name, cells.join("  ")));
    }
    let caret_col = (max_rank - 1 - mismatch_from_right) * (cell_w + 2) + cell_w - 1;
    out.push_str(&format!(
        "\n  {:<name_w$}  {}^ these differ",
        "",
        " ".repeat(caret_col)
    ));
    out
}

/// `text` at `origin`: a label when it is in the source being run (unless it would
/// overlap another label), else a related note titled `note` (nothing when `None`).
pub(crate) fn at_origin(
    cx: &dyn Context,
    d: Diagnostic,
    origin: Origin,
    text: String,
    note: Option<String>,
) -> Diagnostic {
    if origin.src_id == cx.current_source() {
        let overlaps = d
            .labels
            .iter()
            .any(|l| l.span.start < origin.span.end && origin.span.start < l.span.end);
        return if overlaps {
            d
        } else {
            d.label(origin.span, text)
        };
    }
    match note {
        Some(title) => d.with_related(
            Diagnostic::advice("note::provenance", title)
                .primary(origin.span, text)
                .with_source(cx.source(origin.src_id)),
        ),
        None => d,
    }
}

/// Add provenance labels (same source) or related notes (other sources) for operands
/// that are variables, never overlapping another label.
fn with_provenance(cx: &dyn Context, mut d: Diagnostic, site: &Site) -> Diagnostic {
    let mut seen: Vec<String> = Vec::new();
    for op in &site.operands {
        let (Some(origin), Some(shape)) = (op.origin, &op.shape) else {
            continue;
        };
        if seen.contains(&op.text) {
            continue;
        }
        seen.push(op.text.clone());
        let text = format!("`{}` got its shape {} here", op.text, shape_str(shape));
        // A parameter's value comes from the call site, which may be in another source
        // or, for a recursive call, the same statement.
        let note = format!(
            "`{}` was last assigned in {}",
            op.text,
            cx.source_name(origin.src_id)
        );
        d = at_origin(cx, d, origin, text, Some(note));
    }
    d
}

/// Whether `op` will be labelled with its shape where it was made (a variable bound in
/// this source, away from the labels and operands of the failing line): then a second
/// label with the same shape on the operand itself is noise.
fn shown_at_origin(cx: &dyn Context, d: &Diagnostic, site: &Site, op: &Operand) -> bool {
    let (Some(origin), Some(_)) = (op.origin, &op.shape) else {
        return false;
    };
    let o = origin.span;
    let apart = |s: Span| !(s.start < o.end && o.start < s.end);
    origin.src_id == cx.current_source()
        && d.labels.iter().all(|l| apart(l.span))
        && site.operands.iter().all(|x| apart(x.span))
}

fn operand_labels(cx: &dyn Context, mut d: Diagnostic, site: &Site) -> Diagnostic {
    let mut last: Option<Span> = None;
    let at_origin: Vec<bool> = site
        .operands
        .iter()
        .map(|op| shown_at_origin(cx, &d, site, op))
        .collect();
    for (op, shown) in site.operands.iter().zip(at_origin) {
        if shown {
            continue;
        }
        // Operands that overlap the primary label or each other are not labelled twice.
        let clash = d
            .labels
            .iter()
            .any(|l| l.span.start < op.span.end && op.span.start < l.span.end);
        // The sizes of a reshape are the call's own text: no label.
        if clash || last == Some(op.span) || op.kind == "sizes" {
            continue;
        }
        d = d.label(op.span, op.describe());
        last = Some(op.span);
    }
    d
}

/// `grad::stale`: names the variable that changed and points at the change when the
/// interpreter recorded it.
fn stale(cx: &dyn Context, site: &Site, op: &str, tensor: u64, was: u64, now: u64) -> Diagnostic {
    let var = cx.name_of_tensor(tensor);
    stale_graph(cx, site, Some(op), var, (was, now), cx.changed_at(tensor))
}

/// `grad::stale` from what run or check knows: the op that used the tensor (when known),
/// the variable holding it, its versions then and now, and where it changed.
pub fn stale_graph(
    cx: &dyn Context,
    site: &Site,
    op: Option<&str>,
    var: Option<String>,
    (was, now): (u64, u64),
    changed: Option<Origin>,
) -> Diagnostic {
    let loss = site
        .lhs()
        .map(|o| o.text.clone())
        .unwrap_or_else(|| "the loss".into());
    let who = var
        .as_ref()
        .map(|v| format!("`{v}`"))
        .unwrap_or_else(|| "a tensor".into());
    let mut d = Diagnostic::error(
        "grad::stale",
        match op {
            Some(op) => {
                format!("{who} was changed in place after the graph of `{loss}` used it in `{op}`")
            }
            None => format!("{who} was changed in place after the graph of `{loss}` used it"),
        },
    )
    .primary(site.primary, "backward through a graph with stale values");
    if let Some(o) = site.lhs().and_then(|o| o.origin) {
        d = at_origin(cx, d, o, format!("`{loss}` computed here"), None);
    }
    if let Some(at) = changed {
        let text = format!("{who} changed here (version {was} → {now})");
        let note = format!("{who} was changed in {}", cx.source_name(at.src_id));
        d = at_origin(cx, d, at, text, Some(note));
    }
    let (old, new) = match &var {
        Some(v) => (format!("version {was} of `{v}`"), format!("the new `{v}`")),
        None => (
            format!("version {was} of that tensor"),
            "the new values".to_string(),
        ),
    };
    let d = d.help(format!(
        "the graph of `{loss}` was built from {old}; compute `{loss}` again from {new}, then call `backward` — or call `backward` before the update"
    ));
    // The change itself made out of place, else the loss computed again after it.
    let fixes = changed
        .and_then(|at| cause::out_of_place_at_change(cx, at))
        .into_iter()
        .chain(
            site.lhs()
                .and_then(|l| cause::recompute_before(cx, l, site.primary)),
        );
    shapes::with_proposals(d, fixes.collect())
}

/// The one conversion from a tensor error to a diagnostic at `site`.
pub fn tensor_error(cx: &dyn Context, e: TensorError, site: &Site) -> Diagnostic {
    let d = match e {
        TensorError::Broadcast {
            lhs,
            rhs,
            lhs_axis,
            rhs_axis,
        } => broadcast(cx, site, &lhs, &rhs, lhs_axis, rhs_axis),
        TensorError::InPlace { target, value } => {
            let t = site
                .lhs()
                .map(|o| o.name())
                .unwrap_or_else(|| "the target".into());
            Diagnostic::error(
                "shape::broadcast",
                format!(
                    "cannot update {t} of shape {} in place with a value of shape {}",
                    shape_str(&target),
                    shape_str(&value)
                ),
            )
            .primary(
                site.primary,
                "the result would change the shape of the target",
            )
            .help(format!(
                "an in-place update keeps the shape {}: the value must broadcast to it",
                shape_str(&target)
            ))
        }
        TensorError::MatMul { lhs, rhs, kind } => matmul(cx, site, &lhs, &rhs, kind),
        TensorError::Reshape { from, spec, reason } => reshape(site, &from, &spec, reason),
        TensorError::Axis { axis, ndim } => shapes::axis(site, axis, ndim),
        TensorError::Squeeze { axis, size } => Diagnostic::error(
            "shape::squeeze",
            format!("cannot squeeze axis {axis}: its size is {size}, not 1"),
        )
        .primary(site.primary, "only axes of size 1 can be removed")
        .help("use `reshape` to change the shape, or `squeeze(x)` to drop every axis of size 1"),
        TensorError::IndexOutOfRange { axis, index, size } => Diagnostic::error(
            "shape::index",
            format!("index {index} is out of range for axis {axis} of size {size}"),
        )
        .primary(
            site.primary,
            format!(
                "axis {axis} has indices {} to {}",
                -(size as isize),
                size as isize - 1
            ),
        )
        .help("negative indices count from the end: -1 is the last"),
        TensorError::TooManyIndices { given, ndim } => Diagnostic::error(
            "shape::index",
            format!("too many indices: {given} given for a tensor with {ndim} axes"),
        )
        .primary(site.primary, format!("{given} indices"))
        .help(format!(
            "a tensor with {ndim} axes takes at most {ndim} indices"
        )),
        TensorError::Cat {
            axis,
            shapes,
            which,
            kind,
        } => cat(cx, site, axis, &shapes, which, kind),
        TensorError::LossShape {
            loss: "nll_loss",
            pred,
            target,
        } => math::nll_shape(site, &pred, &target),
        TensorError::LossShape { loss, pred, target } => loss_shape(site, loss, &pred, &target),
        TensorError::Math(m) => math::math_error(site, m),
        TensorError::ClassTarget { kind } => {
            let one_based = matches!(
                kind,
                tensor::ClassTargetKind::OutOfRange {
                    one_based: true,
                    ..
                }
            );
            let (msg, help) = match kind {
                tensor::ClassTargetKind::OutOfRange { position, value, classes, .. } => (
                    format!("class index {} at position {position} is out of range for {classes} classes", crate::runtime::print::format_number(value as f64)),
                    format!("class indices run from 0 to {}; the logits' last axis is the number of classes", classes.saturating_sub(1)),
                ),
                tensor::ClassTargetKind::NotInteger { position, value } => (
                    format!("class index {} at position {position} is not a whole number", crate::runtime::print::format_number(value as f64)),
                    "a target of shape [N] holds class indices; for probabilities pass shape [N, C]".to_string(),
                ),
            };
            let d = Diagnostic::error("shape::class_target", msg)
                .primary(site.primary, "invalid target")
                .help(help.clone());
            // Labels counted from 1 (every one in 1..=C): count them from 0.
            match site.rhs().filter(|_| one_based) {
                Some(t) => {
                    let fixed = format!("{} - 1", t.postfix_text());
                    d.with_fix(t.span, fixed.clone(), format!("every label is between 1 and the number of classes: they count from 1, class indices from 0 — pass `{fixed}`"))
                }
                None => d,
            }
        }
        TensorError::NotScalar { shape: s } => {
            let name = site
                .lhs()
                .map(|o| o.name())
                .unwrap_or_else(|| "the tensor".into());
            let n: usize = s.iter().product();
            let arg = site
                .lhs()
                .map(|o| o.text.clone())
                .unwrap_or_else(|| "loss".into());
            Diagnostic::error(
                "grad::non_scalar",
                format!(
                    "`backward` needs a one-element tensor, but {name} has shape {} ({n} elements)",
                    shape_str(&s)
                ),
            )
            .primary(site.primary, "backward of a tensor that is not one element")
            .help(format!(
                "reduce it to one number first: `backward(sum({arg}))` or `backward(mean({arg}))`"
            ))
        }
        TensorError::Stale {
            op,
            tensor,
            input_version,
            now_version,
        } => stale(cx, site, op, tensor, input_version, now_version),
        TensorError::NoBackward => {
            let name = site
                .lhs()
                .map(|o| o.name())
                .unwrap_or_else(|| "this tensor".into());
            Diagnostic::error(
                "grad::no_backward",
                format!(
                    "no gradients yet: `backward` has not been called, so {name} has no gradient"
                ),
            )
            .primary(site.primary, "asked before any backward")
            .help("compute a loss and call `backward(loss)` first")
        }
        TensorError::NotReached { why } => {
            let name = site
                .lhs()
                .map(|o| o.name())
                .unwrap_or_else(|| "this tensor".into());
            let (reason, help) = match why {
                tensor::NotReachedWhy::Constant => ("it is a constant".to_string(), "constants have no gradient".to_string()),
                tensor::NotReachedWhy::CreatedAfter => (
                    "it was created after the last `backward`".to_string(),
                    "call `backward` on a loss computed from it".to_string(),
                ),
                tensor::NotReachedWhy::Through(op) => match comparison_symbol(op) {
                    Some(sym) => (
                        format!("the loss of the last `backward` uses it only through the comparison `{sym}`, which has no gradient"),
                        format!("a comparison is a 0./1. step whose slope is zero everywhere: for a smooth version use `sigmoid(k * (a - b))`, or make the loss depend on {name} directly"),
                    ),
                    None => (
                        format!("the loss of the last `backward` uses it only as the class indices of `{op}`, which have no gradient"),
                        "class indices pick entries; they are not differentiated. Ask for the gradient of the logits instead".to_string(),
                    ),
                },
                tensor::NotReachedWhy::NotAncestor => (
                    "the loss of the last `backward` does not depend on it".to_string(),
                    "it is not used by the loss, or only through a value that left the graph (`detach`, `item`, `argmax`): use it in the loss, or ask for the gradient of a tensor the loss uses".to_string(),
                ),
            };
            Diagnostic::error(
                "grad::not_in_graph",
                format!("{name} has no gradient: {reason}"),
            )
            .primary(site.primary, "not reached by the last backward")
            .help(help)
        }
        TensorError::TooLarge {
            shape: s,
            bytes,
            budget,
        } => {
            let size = match bytes {
                Some(b) => format!("{} ({})", human_bytes(b), shape_str(&s)),
                None => format!("more elements than can be counted ({})", shape_str(&s)),
            };
            Diagnostic::error(
                "limit::memory",
                format!(
                    "tensor too large: {size} exceeds the memory limit of {}",
                    human_bytes(budget)
                ),
            )
            .primary(site.primary, "this would allocate it")
            .help("use smaller sizes, or raise the limit with `--max-memory`")
        }
        TensorError::OutOfMemory {
            shape: s,
            bytes,
            live,
            budget,
        } => cx.out_of_memory(site, &s, bytes, live, budget),
        TensorError::Rank { ndim } => Diagnostic::error(
            "shape::rank",
            format!(
                "tensors have at most {} axes, `{}` would make one with {ndim}",
                tensor::shape::MAX_RANK,
                site.op
            ),
        )
        .primary(site.primary, format!("{ndim} axes"))
        .help("merge some axes with `reshape`, e.g. `x.reshape(-1, ...)`"),
        TensorError::Layer(e) => layers::layer_error(cx, site, &e),
        TensorError::Value(msg) => Diagnostic::error("value::invalid", msg)
            .primary(site.primary, format!("in `{}`", site.op)),
        e @ (TensorError::IndexValue { .. }
        | TensorError::MaskShape { .. }
        | TensorError::IndexBroadcast { .. }
        | TensorError::OpShape { .. }) => crate::runtime::explain::index::index_error(e, site),
    };
    if !d.code.starts_with("shape::") && d.code != "grad::non_scalar" {
        return d;
    }
    let d = operand_labels(cx, d, site);
    with_provenance(cx, d, site)
}

/// `item` of a tensor with several elements (run and check): the operand, where it got
/// its shape, and the reductions that make it one number.
pub fn item_not_scalar(cx: &dyn Context, op: &Operand, shape: &[usize]) -> Diagnostic {
    let n: usize = shape.iter().product();
    let x = op.postfix_text();
    let d = Diagnostic::error(
        "shape::item",
        format!("`item` needs a one-element tensor, this one has {n} elements"),
    )
    .primary(op.span, format!("shape {}", shape_str(shape)))
    .help(format!(
        "reduce it first: `{x}.sum().item()` or `{x}.mean().item()`"
    ));
    match op.origin {
        Some(o) => {
            let text = format!("`{}` got its shape {} here", op.text, shape_str(shape));
            let note = format!(
                "`{}` was last assigned in {}",
                op.text,
                cx.source_name(o.src_id)
            );
            at_origin(cx, d, o, text, Some(note))
        }
        None => d,
    }
}

pub(crate) fn human_bytes(b: u64) -> String {
    const UNITS: [&str; 5] = ["bytes", "KiB", "MiB", "GiB", "TiB"];
    let mut v = b as f64;
    let mut u = 0;
    while v >= 1024.0 && u + 1 < UNITS.len() {
        v /= 1024.0;
        u += 1;
    }
    if u == 0 {
        format!("{b} bytes")
    } else {
        format!("{v:.1} {}", UNITS[u])
    }
}
