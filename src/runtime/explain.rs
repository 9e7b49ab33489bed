//! Turns the tensor layer's plain errors into diagnostics: operand labels with shapes,
//! where each variable got its shape, and fixes that were checked against the op's own
//! shape rule before being suggested.

use crate::runtime::interp::{Interp, Origin};
use crate::runtime::value::Value;
use crate::syntax::ast::{BinOp, Expr};
use crate::syntax::diagnostic::Diagnostic;
use crate::syntax::span::Span;
use crate::tensor::{self, shape, TensorError};

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
    pub fn new(interp: &Interp, span: Span, value: Option<&Value>, _var: Option<Span>) -> Operand {
        let text = interp.text_of(span);
        let shape = match value {
            Some(Value::Tensor(t)) => Some(t.shape()),
            _ => None,
        };
        let kind = value.map(|v| v.kind()).unwrap_or("value");
        let is_ident = !text.is_empty()
            && text.chars().all(|c| c.is_alphanumeric() || c == '_')
            && !text
                .chars()
                .next()
                .map(|c| c.is_ascii_digit())
                .unwrap_or(true);
        let origin = if is_ident {
            interp.lookup(&text).map(|b| b.origin)
        } else {
            None
        };
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

    fn is_short(&self) -> bool {
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
    fn postfix_text(&self) -> String {
        let simple = self
            .text
            .chars()
            .all(|c| c.is_alphanumeric() || c == '_' || c == '.')
            || self.text.ends_with(')') && !self.text.contains(' ')
            || self.text.ends_with(']') && !self.text.contains(' ');
        if simple {
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
}

impl Site {
    pub fn call(op: &str, primary: Span, operands: Vec<Operand>) -> Site {
        Site {
            op: op.to_string(),
            primary,
            operands,
            in_place: false,
        }
    }

    fn lhs(&self) -> Option<&Operand> {
        self.operands.first()
    }

    fn rhs(&self) -> Option<&Operand> {
        self.operands.get(1)
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
        BinOp::MatMul => return None,
    })
}

/// Edit distance for did-you-mean.
fn distance(a: &str, b: &str) -> usize {
    let a: Vec<char> = a.chars().collect();
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    let mut cur = vec![0; b.len() + 1];
    for i in 1..=a.len() {
        cur[0] = i;
        for j in 1..=b.len() {
            let cost = if a[i - 1] == b[j - 1] { 0 } else { 1 };
            cur[j] = (prev[j] + 1).min(cur[j - 1] + 1).min(prev[j - 1] + cost);
        }
        std::mem::swap(&mut prev, &mut cur);
    }
    prev[b.len()]
}

/// The closest candidate within a small edit distance, ties broken alphabetically.
pub fn did_you_mean(name: &str, candidates: impl Iterator<Item = String>) -> Option<String> {
    let limit = (name.chars().count() / 3).max(1);
    let mut best: Option<(usize, String)> = None;
    for c in candidates {
        if c == name {
            continue;
        }
        let d = distance(&name.to_lowercase(), &c.to_lowercase());
        if d <= limit
            && best
                .as_ref()
                .map(|(bd, bs)| d < *bd || (d == *bd && c < *bs))
                .unwrap_or(true)
        {
            best = Some((d, c));
        }
    }
    best.map(|(_, s)| s)
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
fn at_origin(
    interp: &Interp,
    d: Diagnostic,
    origin: Origin,
    text: String,
    note: Option<String>,
) -> Diagnostic {
    if origin.src_id == interp.src_id {
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
                .with_source(interp.source(origin.src_id)),
        ),
        None => d,
    }
}

/// Add provenance labels (same source) or related notes (other sources) for operands
/// that are variables, never overlapping another label.
fn with_provenance(interp: &Interp, mut d: Diagnostic, site: &Site) -> Diagnostic {
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
            op.text, interp.sources[origin.src_id].name
        );
        d = at_origin(interp, d, origin, text, Some(note));
    }
    d
}

fn operand_labels(mut d: Diagnostic, site: &Site) -> Diagnostic {
    let mut last: Option<Span> = None;
    for op in &site.operands {
        // Operands that overlap the primary label or each other are not labelled twice.
        let clash = d
            .labels
            .iter()
            .any(|l| l.span.start < op.span.end && op.span.start < l.span.end);
        if clash || last == Some(op.span) {
            continue;
        }
        d = d.label(op.span, op.describe());
        last = Some(op.span);
    }
    d
}

/// `grad::stale`: names the variable that changed and points at the change when the
/// interpreter recorded it.
fn stale(interp: &Interp, site: &Site, op: &str, tensor: u64, was: u64, now: u64) -> Diagnostic {
    let loss = site
        .lhs()
        .map(|o| o.text.clone())
        .unwrap_or_else(|| "the loss".into());
    let var = interp.name_of_tensor(tensor);
    let who = var
        .as_ref()
        .map(|v| format!("`{v}`"))
        .unwrap_or_else(|| "a tensor".into());
    let mut d = Diagnostic::error(
        "grad::stale",
        format!("{who} was changed in place after the graph of `{loss}` used it in `{op}`"),
    )
    .primary(site.primary, "backward through a graph with stale values");
    if let Some(o) = site.lhs().and_then(|o| o.origin) {
        d = at_origin(interp, d, o, format!("`{loss}` computed here"), None);
    }
    if let Some(at) = interp.changed_at(tensor) {
        let text = format!("{who} changed here (version {was} → {now})");
        let note = format!("{who} was changed in {}", interp.sources[at.src_id].name);
        d = at_origin(interp, d, at, text, Some(note));
    }
    let (old, new) = match &var {
        Some(v) => (format!("version {was} of `{v}`"), format!("the new `{v}`")),
        None => (
            format!("version {was} of that tensor"),
            "the new values".to_string(),
        ),
    };
    d.help(format!(
        "the graph of `{loss}` was built from {old}; compute `{loss}` again from {new}, then call `backward` — or call `backward` before the update"
    ))
}

/// The one conversion from a tensor error to a diagnostic at `site`.
pub fn tensor_error(interp: &Interp, e: TensorError, site: &Site) -> Diagnostic {
    let d = match e {
        TensorError::Broadcast {
            lhs,
            rhs,
            lhs_axis,
            rhs_axis,
        } => broadcast(site, &lhs, &rhs, lhs_axis, rhs_axis),
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
        TensorError::MatMul { lhs, rhs, kind } => matmul(site, &lhs, &rhs, kind),
        TensorError::Reshape { from, spec, reason } => reshape(site, &from, &spec, reason),
        TensorError::Axis { axis, ndim } => {
            let d = Diagnostic::error(
                "shape::axis",
                format!("axis {axis} is out of range for a tensor with {ndim} axes"),
            )
            .primary(site.primary, format!("`{}` with axis {axis}", site.op));
            if ndim == 0 {
                d.help("a 0-d tensor has no axes: leave out `axis`")
            } else {
                d.help(format!(
                    "valid axes are {} to {} (negative axes count from the end)",
                    -(ndim as isize),
                    ndim - 1
                ))
            }
        }
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
        } => cat(site, axis, &shapes, which, kind),
        TensorError::LossShape { loss, pred, target } => loss_shape(site, loss, &pred, &target),
        TensorError::ClassTarget { kind } => {
            let (msg, help) = match kind {
                tensor::ClassTargetKind::OutOfRange { position, value, classes } => (
                    format!("class index {} at position {position} is out of range for {classes} classes", crate::runtime::print::format_number(value as f64)),
                    format!("class indices run from 0 to {}; the logits' last axis is the number of classes", classes.saturating_sub(1)),
                ),
                tensor::ClassTargetKind::NotInteger { position, value } => (
                    format!("class index {} at position {position} is not a whole number", crate::runtime::print::format_number(value as f64)),
                    "a target of shape [N] holds class indices; for probabilities pass shape [N, C]".to_string(),
                ),
            };
            Diagnostic::error("shape::class_target", msg)
                .primary(site.primary, "invalid target")
                .help(help)
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
        } => stale(interp, site, op, tensor, input_version, now_version),
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
        TensorError::Rank { ndim } => Diagnostic::error(
            "shape::rank",
            format!(
                "tensors have at most 6 axes, `{}` would make one with {ndim}",
                site.op
            ),
        )
        .primary(site.primary, format!("{ndim} axes"))
        .help("merge some axes with `reshape`, e.g. `x.reshape(-1, ...)`"),
        TensorError::Layer(e) => crate::runtime::explain_layers::layer_error(site, &e),
        TensorError::Value(msg) => Diagnostic::error("value::invalid", msg)
            .primary(site.primary, format!("in `{}`", site.op)),
    };
    if !d.code.starts_with("shape::") {
        return d;
    }
    let d = operand_labels(d, site);
    with_provenance(interp, d, site)
}

fn human_bytes(b: u64) -> String {
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

fn broadcast(
    site: &Site,
    lhs: &[usize],
    rhs: &[usize],
    lhs_axis: usize,
    rhs_axis: usize,
) -> Diagnostic {
    let ln = site
        .lhs()
        .map(|o| o.name())
        .unwrap_or_else(|| "left".into());
    let rn = site
        .rhs()
        .map(|o| o.name())
        .unwrap_or_else(|| "right".into());
    let from_right = lhs.len() - 1 - lhs_axis;
    let msg = format!(
        "cannot broadcast {} with {} in `{}`",
        shape_str(lhs),
        shape_str(rhs),
        site.op
    );
    let primary = if from_right == 0 {
        format!(
            "the last axes differ: {} vs {}",
            lhs[lhs_axis], rhs[rhs_axis]
        )
    } else if lhs_axis == rhs_axis {
        format!(
            "{} differs: {} vs {}",
            axis_words(lhs_axis, lhs.len()),
            lhs[lhs_axis],
            rhs[rhs_axis]
        )
    } else {
        format!(
            "axis {lhs_axis} of {ln} is {}, axis {rhs_axis} of {rn} is {}",
            lhs[lhs_axis], rhs[rhs_axis]
        )
    };
    let short = |o: Option<&Operand>, side: &str| {
        o.map(|o| {
            if o.is_short() {
                o.text.clone()
            } else {
                side.into()
            }
        })
        .unwrap_or_default()
    };
    let (lname, rname) = (short(site.lhs(), "left"), short(site.rhs(), "right"));
    let picture = aligned(&[(lname, lhs), (rname, rhs)], from_right);
    let mut help = format!("shapes broadcast when, aligned from the right, each pair of sizes is equal or one of them is 1:{picture}");
    if let Some(fix) = broadcast_fix(site, lhs, rhs) {
        help.push_str(&format!("\n{fix}"));
    }
    Diagnostic::error("shape::broadcast", msg)
        .primary(site.primary, primary)
        .help(help)
}

/// A fix for a broadcast error, suggested only when it passes the broadcast rule.
fn broadcast_fix(site: &Site, lhs: &[usize], rhs: &[usize]) -> Option<String> {
    let ok = |a: &[usize], b: &[usize]| shape::broadcast_shapes(a, b).is_ok();
    let (l, r) = (site.lhs()?, site.rhs()?);
    // A reduction without keepdim: `x - mean(x, axis=1)`.
    for (op, other, mine) in [(r, lhs, rhs), (l, rhs, lhs)] {
        if op.text.contains("axis") && !op.text.contains("keepdim") && op.text.ends_with(')') {
            for k in 0..=mine.len() {
                let mut kept = mine.to_vec();
                kept.insert(k, 1);
                if ok(other, &kept) {
                    let fixed = format!("{}, keepdim=True)", &op.text[..op.text.len() - 1]);
                    return Some(format!("did you mean `{fixed}`? keeping the reduced axis as size 1 lets it broadcast"));
                }
            }
        }
    }
    // A 1-D operand that matches the other's rows: make it a column.
    for (op, other, mine) in [(r, lhs, rhs), (l, rhs, lhs)] {
        if mine.len() == 1 && other.len() >= 2 {
            let mut col = mine.to_vec();
            col.push(1);
            if other[other.len() - 2] == mine[0] && ok(other, &col) {
                return Some(format!(
                    "to apply {} row by row, make it a column: `{}.reshape({}, 1)` (shape [{}, 1])",
                    op.name(),
                    op.postfix_text(),
                    mine[0],
                    mine[0]
                ));
            }
        }
    }
    // A transposed operand.
    for (op, other, mine, is_left) in [(r, lhs, rhs, false), (l, rhs, lhs, true)] {
        if mine.len() == 2 {
            let t: Vec<usize> = mine.iter().rev().copied().collect();
            let fits = if is_left {
                ok(&t, other)
            } else {
                ok(other, &t)
            };
            if fits {
                return Some(format!(
                    "did you mean `{}.T`? its shape {} would broadcast",
                    op.postfix_text(),
                    shape_str(&t)
                ));
            }
        }
    }
    None
}

fn matmul(site: &Site, lhs: &[usize], rhs: &[usize], kind: tensor::MatMulKind) -> Diagnostic {
    let ln = site
        .lhs()
        .map(|o| o.name())
        .unwrap_or_else(|| "left".into());
    let rn = site
        .rhs()
        .map(|o| o.name())
        .unwrap_or_else(|| "right".into());
    match kind {
        tensor::MatMulKind::ZeroDim => Diagnostic::error(
            "shape::matmul",
            format!(
                "`@` needs tensors with at least one axis, found {} and {}",
                shape_str(lhs),
                shape_str(rhs)
            ),
        )
        .primary(site.primary, "matrix product of a 0-d tensor")
        .help("to scale by a number, use `*`"),
        tensor::MatMulKind::Batch => Diagnostic::error(
            "shape::matmul",
            format!(
                "cannot multiply {} by {}: the batch axes {} and {} do not broadcast",
                shape_str(lhs),
                shape_str(rhs),
                shape_str(&lhs[..lhs.len().saturating_sub(2)]),
                shape_str(&rhs[..rhs.len().saturating_sub(2)])
            ),
        )
        .primary(site.primary, "batched matrix product")
        .help("all axes before the last two are batch axes and must broadcast"),
        tensor::MatMulKind::Inner => {
            let k_left = *lhs.last().unwrap_or(&0);
            let k_right = if rhs.len() == 1 {
                rhs[0]
            } else {
                rhs[rhs.len() - 2]
            };
            let left_what = if lhs.len() == 1 { "length" } else { "columns" };
            let right_what = if rhs.len() == 1 { "length" } else { "rows" };
            let msg = format!(
                "cannot multiply {} by {}: inner dimensions {k_left} and {k_right} differ",
                shape_str(lhs),
                shape_str(rhs)
            );
            let primary = format!(
                "{ln} has {}, {rn} has {}",
                plural(k_left, left_what),
                plural(k_right, right_what)
            );
            let mut help = format!(
                "`a @ b` needs the last axis of `a` to match {} of `b`",
                if rhs.len() == 1 {
                    "the length"
                } else {
                    "the second-to-last axis"
                }
            );
            if let Some(fix) = matmul_fix(site, lhs, rhs) {
                help = fix;
            }
            Diagnostic::error("shape::matmul", msg)
                .primary(site.primary, primary)
                .help(help)
        }
    }
}

fn rev(s: &[usize]) -> Vec<usize> {
    s.iter().rev().copied().collect()
}

/// Fixes for `@`, each checked with the matmul shape rule.
fn matmul_fix(site: &Site, lhs: &[usize], rhs: &[usize]) -> Option<String> {
    let ok = |a: &[usize], b: &[usize]| shape::matmul_shape(a, b).ok();
    let (l, r) = (site.lhs()?, site.rhs()?);
    // Dropping a `.T` the user wrote.
    if let Some(base) = r.text.strip_suffix(".T") {
        if let Some(out) = ok(lhs, &rev(rhs)) {
            return Some(format!(
                "did you mean `{} @ {base}`? without the `.T` it is {} @ {} → {}",
                l.text,
                shape_str(lhs),
                shape_str(&rev(rhs)),
                shape_str(&out)
            ));
        }
    }
    if rhs.len() == 2 {
        if let Some(out) = ok(lhs, &rev(rhs)) {
            return Some(format!(
                "did you mean `{} @ {}.T`? {} @ {} → {}",
                l.text,
                r.postfix_text(),
                shape_str(lhs),
                shape_str(&rev(rhs)),
                shape_str(&out)
            ));
        }
    }
    if lhs.len() == 2 {
        if let Some(out) = ok(&rev(lhs), rhs) {
            return Some(format!(
                "did you mean `{}.T @ {}`? {} @ {} → {}",
                l.postfix_text(),
                r.text,
                shape_str(&rev(lhs)),
                shape_str(rhs),
                shape_str(&out)
            ));
        }
    }
    if shape::broadcast_shapes(lhs, rhs).is_ok() {
        return Some(format!(
            "for an elementwise product write `{} * {}`",
            l.text, r.text
        ));
    }
    None
}

fn reshape(
    site: &Site,
    from: &[usize],
    spec: &[isize],
    reason: tensor::ReshapeReason,
) -> Diagnostic {
    let n: usize = from.iter().product();
    let spec_s = format!(
        "[{}]",
        spec.iter()
            .map(|d| d.to_string())
            .collect::<Vec<_>>()
            .join(", ")
    );
    let (msg, help) = match reason {
        tensor::ReshapeReason::Size => {
            let m: i128 = spec.iter().map(|&d| d as i128).product();
            (
                format!("cannot reshape {} ({n} elements) into {spec_s} ({m} elements)", shape_str(from)),
                "a reshape keeps every element: the sizes must multiply to the same count; one size may be -1 to be inferred".to_string(),
            )
        }
        tensor::ReshapeReason::TwoInferred => (
            format!("cannot reshape into {spec_s}: only one size can be -1"),
            "give every size but one; the -1 is inferred from the element count".to_string(),
        ),
        tensor::ReshapeReason::Negative => (
            format!("cannot reshape into {spec_s}: sizes must be 0 or more (or -1 to infer one)"),
            "use -1 for the one size to infer".to_string(),
        ),
        tensor::ReshapeReason::CannotInfer => {
            let known: i128 = spec
                .iter()
                .filter(|&&d| d != -1)
                .map(|&d| d as i128)
                .product();
            (
                format!("cannot reshape {} ({n} elements) into {spec_s}: {n} is not a multiple of {known}", shape_str(from)),
                "the other sizes must divide the element count for -1 to be inferred".to_string(),
            )
        }
    };
    Diagnostic::error("shape::reshape", msg)
        .primary(site.primary, "reshape")
        .help(help)
}

fn cat(
    site: &Site,
    axis: isize,
    shapes: &[Vec<usize>],
    which: usize,
    kind: tensor::CatKind,
) -> Diagnostic {
    let first = shapes.first().cloned().unwrap_or_default();
    let other = shapes.get(which).cloned().unwrap_or_default();
    match kind {
        tensor::CatKind::Empty => Diagnostic::error(
            "shape::cat",
            format!("`{}` needs at least one tensor", site.op),
        )
        .primary(site.primary, "an empty list")
        .help("pass a list of tensors"),
        tensor::CatKind::Rank => Diagnostic::error(
            "shape::cat",
            format!(
                "`{}`: tensor {which} has {} axes, tensor 0 has {}",
                site.op,
                other.len(),
                first.len()
            ),
        )
        .primary(
            site.primary,
            format!("{} and {}", shape_str(&first), shape_str(&other)),
        )
        .help("every tensor must have the same number of axes"),
        tensor::CatKind::Size => {
            let what = if site.op == "stack" {
                "every axis".to_string()
            } else {
                format!("every axis except axis {axis}")
            };
            Diagnostic::error(
                "shape::cat",
                format!(
                    "`{}` along axis {axis}: tensor {which} has shape {}, tensor 0 has {}",
                    site.op,
                    shape_str(&other),
                    shape_str(&first)
                ),
            )
            .primary(
                site.primary,
                format!("shapes {} and {}", shape_str(&first), shape_str(&other)),
            )
            .help(format!("the tensors must have the same size on {what}"))
        }
    }
}

fn loss_shape(site: &Site, loss: &str, pred: &[usize], target: &[usize]) -> Diagnostic {
    if loss == "cross_entropy" {
        let (n, c) = match pred {
            [n, c] => (format!("{n}"), *c),
            [c] => (String::new(), *c),
            _ => (String::from("N"), 0),
        };
        if pred.len() > 2 || pred.is_empty() {
            return Diagnostic::error(
                "shape::loss",
                format!(
                    "`cross_entropy` needs logits of shape [N, C] or [C], found {}",
                    shape_str(pred)
                ),
            )
            .primary(
                site.primary,
                "logits must have one row per example and one column per class",
            )
            .help("reshape the logits to [N, C]");
        }
        let indices = if n.is_empty() {
            "[]".to_string()
        } else {
            format!("[{n}]")
        };
        let probs = if n.is_empty() {
            format!("[{c}]")
        } else {
            format!("[{n}, {c}]")
        };
        let mut help = format!("a target of shape {indices} holds one class index per example; a target of shape {probs} holds class probabilities or one-hot rows");
        let tcount: usize = target.iter().product();
        let tn = site
            .rhs()
            .map(|o| o.text.clone())
            .unwrap_or_else(|| "target".into());
        if let Ok(nn) = n.parse::<usize>() {
            if tcount == nn && target.len() > 1 {
                help = format!("the target has one value per example: flatten it with `{}.reshape({nn})` to use class indices", tn);
            } else if tcount == nn * c && target.len() != 2 {
                help = format!("the target has {tcount} values: `{}.reshape({nn}, {c})` gives probabilities per class", tn);
            }
        }
        return Diagnostic::error(
            "shape::loss",
            format!("`cross_entropy` of logits {} needs a target of shape {indices} or {probs}, found {}", shape_str(pred), shape_str(target)),
        )
        .primary(site.primary, "target does not fit the logits")
        .help(help);
    }
    let pn = site
        .lhs()
        .map(|o| o.text.clone())
        .unwrap_or_else(|| "pred".into());
    let tn = site
        .rhs()
        .map(|o| o.text.clone())
        .unwrap_or_else(|| "target".into());
    let msg = format!(
        "`{loss}` needs prediction and target of the same shape, found {} and {}",
        shape_str(pred),
        shape_str(target)
    );
    let mut help = String::new();
    let pn_short = pn.len() <= 24;
    let tn_short = tn.len() <= 24;
    let pcount: usize = pred.iter().product();
    let tcount: usize = target.iter().product();
    if pcount == tcount {
        if tn_short {
            let dims = pred
                .iter()
                .map(|d| d.to_string())
                .collect::<Vec<_>>()
                .join(", ");
            help = format!("both have {pcount} elements: reshape the target with `{loss}({pn}, {tn}.reshape({dims}))`");
        }
        if pred.len() == target.len() + 1 && pred.last() == Some(&1) && pn_short {
            let ax = pred.len() - 1;
            help = format!(
                "drop the prediction's last axis of size 1: `{loss}({pn}.squeeze({ax}), {tn})`"
            );
        }
    }
    if let Ok(b) = shape::broadcast_shapes(pred, target) {
        let note = format!("(broadcasting them would compare every prediction with every target, giving {} — PyTorch only warns and returns a wrong number)", shape_str(&b));
        help = if help.is_empty() {
            note
        } else {
            format!("{help}\n{note}")
        };
    }
    if help.is_empty() {
        help = "the loss compares element by element: give both arguments the same shape".into();
    }
    Diagnostic::error("shape::loss", msg)
        .primary(site.primary, "shapes differ")
        .help(help)
}

/// An operator applied to values it does not support (`"a" + tensor`, `None * 2`).
pub fn operator_type_error(
    interp: &Interp,
    op: BinOp,
    op_span: Span,
    l: &Value,
    r: &Value,
    lhs: &Expr,
    rhs: &Expr,
) -> Diagnostic {
    let _ = interp;
    let mut d = Diagnostic::error(
        "type::operator",
        format!(
            "`{}` does not apply to a {} and a {}",
            op.symbol(),
            l.kind(),
            r.kind()
        ),
    )
    .primary(op_span, "unsupported operands")
    .label(lhs.span, format!("a {}", l.kind()))
    .label(rhs.span, format!("a {}", r.kind()));
    if matches!(
        (l, r),
        (Value::Str(_), Value::Number(_) | Value::Tensor(_))
            | (Value::Number(_) | Value::Tensor(_), Value::Str(_))
    ) && op == BinOp::Add
    {
        d = d.help("to join text and a value, write `\"text\" + str(x)` or `print(\"text\", x)`");
    } else if matches!(l, Value::List(_)) || matches!(r, Value::List(_)) {
        d = d.help("to compute with a list of numbers, make it a tensor: `tensor([...])`");
    }
    d
}

/// "1 row", "3 rows", "length 3".
fn plural(n: usize, word: &str) -> String {
    match (n, word) {
        (_, "length") => format!("length {n}"),
        (1, "columns") => "1 column".to_string(),
        (1, "rows") => "1 row".to_string(),
        _ => format!("{n} {word}"),
    }
}

/// `x.nosuch`: an unknown property, with a did-you-mean among the tensor properties or a
/// hint that a function must be called. Shared by the evaluator and `tsr check`.
pub fn unknown_property(
    kind: &str,
    is_tensor: bool,
    name: &str,
    object_span: Span,
    span: Span,
) -> Diagnostic {
    let known = ["shape", "ndim", "T", "grad"];
    let d = Diagnostic::error(
        "name::property",
        format!("a {kind} has no property `{name}`"),
    )
    .primary(span, "unknown property")
    .label(object_span, format!("this is a {kind}"));
    if crate::runtime::builtins::find(name).is_some() {
        return d.help(format!("`{name}` is a function: call it as `.{name}()`"));
    }
    if !is_tensor {
        return d;
    }
    match did_you_mean(name, known.iter().map(|s| s.to_string())) {
        Some(s) => d.help(format!("did you mean `.{s}`?")),
        None => d.help("tensors have `.shape`, `.ndim`, `.T` and `.grad`"),
    }
}

/// The operator of a comparison op's name (`gt` → `>`), `None` for other ops.
fn comparison_symbol(op: &str) -> Option<&'static str> {
    Some(match op {
        "eq" => "==",
        "ne" => "!=",
        "lt" => "<",
        "le" => "<=",
        "gt" => ">",
        "ge" => ">=",
        _ => return None,
    })
}
