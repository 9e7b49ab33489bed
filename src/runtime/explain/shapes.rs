//! Shape errors explained: broadcasting, matrix products, reshapes, `cat`/`stack` and
//! loss arguments, each with a fix checked against the op's own shape rule.

use super::names::plural;
use super::*;

pub(super) fn broadcast(
    cx: &dyn Context,
    site: &Site,
    lhs: &[usize],
    rhs: &[usize],
    lhs_axis: usize,
    rhs_axis: usize,
) -> Diagnostic {
    let (lo, ro) = site.pair(lhs, rhs);
    let ln = lo.map(|o| o.name()).unwrap_or_else(|| "left".into());
    let rn = ro.map(|o| o.name()).unwrap_or_else(|| "right".into());
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
    let (lname, rname) = (short(lo, "left"), short(ro, "right"));
    let picture = aligned(&[(lname, lhs), (rname, rhs)], from_right);
    let help = format!("shapes broadcast when, aligned from the right, each pair of sizes is equal or one of them is 1:{picture}");
    let d = Diagnostic::error("shape::broadcast", msg).primary(site.primary, primary);
    // A chosen fix replaces the picture: the labels show both shapes already.
    with_proposals(d.help(help), broadcast_fixes(cx, site, lhs, rhs))
}

/// A rewrite proposed by an explanation: `replacement` for the text under `span`,
/// and the sentence of the help that suggests it.
pub(crate) struct Proposal {
    pub span: Span,
    pub replacement: String,
    pub text: String,
}

pub(super) fn propose(span: Span, replacement: String, text: String) -> Proposal {
    Proposal {
        span,
        replacement,
        text,
    }
}

/// `d` with each proposal as a candidate fix, best first.
pub(crate) fn with_proposals(mut d: Diagnostic, proposals: Vec<Proposal>) -> Diagnostic {
    for p in proposals {
        d = d.with_fix(p.span, p.replacement, p.text);
    }
    d
}

/// Fixes for a broadcast error, best first, each passing the broadcast rule.
pub(super) fn broadcast_fixes(
    cx: &dyn Context,
    site: &Site,
    lhs: &[usize],
    rhs: &[usize],
) -> Vec<Proposal> {
    let ok = |a: &[usize], b: &[usize]| shape::broadcast_shapes(a, b).is_ok();
    let mut out = Vec::new();
    let (Some(l), Some(r)) = site.pair(lhs, rhs) else {
        return out;
    };
    // A variable made by a reduction without keepdim: fix it where it was made.
    for (op, other, mine) in [(r, lhs, rhs), (l, rhs, lhs)] {
        let fits = (0..=mine.len()).any(|k| {
            let mut kept = mine.to_vec();
            kept.insert(k, 1);
            ok(other, &kept)
        });
        if fits {
            out.extend(super::cause::keepdim_at_cause(cx, op));
        }
    }
    // A reduction without keepdim: `x - mean(x, axis=1)`.
    for (op, other, mine) in [(r, lhs, rhs), (l, rhs, lhs)] {
        if op.text.contains("axis") && !op.text.contains("keepdim") && op.text.ends_with(')') {
            for k in 0..=mine.len() {
                let mut kept = mine.to_vec();
                kept.insert(k, 1);
                if ok(other, &kept) {
                    let fixed = format!("{}, keepdim=True)", &op.text[..op.text.len() - 1]);
                    let text = format!("did you mean `{fixed}`? keeping the reduced axis as size 1 lets it broadcast");
                    out.push(propose(op.span, fixed, text));
                    break;
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
                let fixed = format!("{}.reshape({}, 1)", op.postfix_text(), mine[0]);
                let text = format!(
                    "to apply {} row by row, make it a column: `{fixed}` (shape [{}, 1])",
                    op.name(),
                    mine[0]
                );
                out.push(propose(op.span, fixed, text));
                break;
            }
        }
    }
    // A transposed operand, when the result keeps one operand's shape: a `.T` that
    // stretches both (a column [n, 1] against a row [1, m]) pairs every element with
    // every other, which is not what a mismatch of one axis means. Not when a reduction
    // without keepdim explains the mismatch (`X - X.mean(dim=1)`): transposing `X` would
    // subtract across the wrong axis.
    let reduced = !out.is_empty() && out.iter().any(|p| p.replacement.ends_with("keepdim=True)"));
    for (op, other, mine, is_left) in [(r, lhs, rhs, false), (l, rhs, lhs, true)] {
        if reduced {
            break;
        }
        if mine.len() == 2 {
            let t: Vec<usize> = mine.iter().rev().copied().collect();
            let result = if is_left {
                shape::broadcast_shapes(&t, other)
            } else {
                shape::broadcast_shapes(other, &t)
            };
            if result.is_ok_and(|o| o == other || o == t) {
                let fixed = format!("{}.T", op.postfix_text());
                let text = format!(
                    "did you mean `{fixed}`? its shape {} would broadcast",
                    shape_str(&t)
                );
                out.push(propose(op.span, fixed, text));
                break;
            }
        }
    }
    // A vector made by a constructor with the wrong length (a bias): resize it where
    // it was made.
    for (op, other_op, other, mine) in [(r, l, lhs, rhs), (l, r, rhs, lhs)] {
        if let ([n], Some(&want)) = (mine, other.last()) {
            if *n != want {
                let why = format!(
                    "{} needs {} to match the last axis of {} {}",
                    op.name(),
                    plural(want, "values"),
                    other_op.name(),
                    shape_str(other)
                );
                out.extend(super::cause::resize_at_cause(cx, op, mine, 0, want, why));
            }
        }
    }
    out
}

pub(super) fn matmul(
    cx: &dyn Context,
    site: &Site,
    lhs: &[usize],
    rhs: &[usize],
    kind: tensor::MatMulKind,
) -> Diagnostic {
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
        tensor::MatMulKind::Batch => with_proposals(
            Diagnostic::error(
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
            matmul_fixes(site, lhs, rhs, Vec::new()),
        ),
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
            // Which operand must change, and to what size (a layer's size is usually
            // the one that is wrong: the right operand is named first).
            let help = match (site.lhs(), site.rhs()) {
                (Some(l), Some(r)) if l.is_short() && r.is_short() => format!(
                    "`a @ b` needs the last axis of `a` to match {} of `b`: {} needs {} to take {} {}, or {} needs {}",
                    if rhs.len() == 1 { "the length" } else { "the second-to-last axis" },
                    rn,
                    plural(k_left, right_what),
                    ln,
                    shape_str(lhs),
                    ln,
                    plural(k_right, left_what)
                ),
                _ => format!(
                    "`a @ b` needs the last axis of `a` to match {} of `b`",
                    if rhs.len() == 1 { "the length" } else { "the second-to-last axis" }
                ),
            };
            let d = Diagnostic::error("shape::matmul", msg)
                .primary(site.primary, primary)
                .help(help);
            let resize = resize_fixes(cx, site, lhs, rhs, k_left, k_right);
            with_proposals(d, matmul_fixes(site, lhs, rhs, resize))
        }
    }
}

pub(super) fn rev(s: &[usize]) -> Vec<usize> {
    s.iter().rev().copied().collect()
}

/// Fixes for `@`, each checked with the matmul shape rule, best first: `resize` (a
/// layer made with the wrong size) goes after the fixes to the right operand and before
/// a `.T` of the left one, which would sum over its rows (a batch, in `x @ W`).
pub(super) fn matmul_fixes(
    site: &Site,
    lhs: &[usize],
    rhs: &[usize],
    resize: Vec<Proposal>,
) -> Vec<Proposal> {
    let mut fixes = Vec::new();
    let ok = |a: &[usize], b: &[usize]| shape::matmul_shape(a, b).ok();
    let (Some(l), Some(r)) = (site.lhs(), site.rhs()) else {
        return fixes;
    };
    // `.T` of a batch reverses every axis: `.mT` swaps the last two.
    for (op, mine, is_left) in [(r, rhs, false), (l, lhs, true)] {
        if let (Some(base), true) = (op.text.strip_suffix(".T"), mine.len() >= 3) {
            let mut m = rev(mine);
            let k = m.len();
            m.swap(k - 2, k - 1);
            let out = if is_left { ok(&m, rhs) } else { ok(lhs, &m) };
            if let Some(out) = out {
                let fixed = format!("{base}.mT");
                let text = format!(
                    "`.T` reverses all {} axes of a batch; `{fixed}` swaps only the last two: {} → {}",
                    mine.len(),
                    shape_str(&m),
                    shape_str(&out)
                );
                fixes.push(propose(op.span, fixed, text));
            }
        }
    }
    // Dropping a `.T` the user wrote.
    if let Some(base) = r.text.strip_suffix(".T") {
        if let Some(out) = ok(lhs, &rev(rhs)) {
            let text = format!(
                "did you mean `{} @ {base}`? without the `.T` it is {} @ {} → {}",
                l.text,
                shape_str(lhs),
                shape_str(&rev(rhs)),
                shape_str(&out)
            );
            fixes.push(propose(r.span, base.to_string(), text));
        }
    }
    if rhs.len() == 2 {
        if let Some(out) = ok(lhs, &rev(rhs)) {
            let fixed = format!("{}.T", r.postfix_text());
            let text = format!(
                "did you mean `{} @ {fixed}`? {} @ {} → {}",
                l.text,
                shape_str(lhs),
                shape_str(&rev(rhs)),
                shape_str(&out)
            );
            fixes.push(propose(r.span, fixed, text));
        }
    }
    fixes.extend(resize);
    if lhs.len() == 2 {
        if let Some(out) = ok(&rev(lhs), rhs) {
            let fixed = format!("{}.T", l.postfix_text());
            let text = format!(
                "did you mean `{fixed} @ {}`? {} @ {} → {}",
                r.text,
                shape_str(&rev(lhs)),
                shape_str(rhs),
                shape_str(&out)
            );
            fixes.push(propose(l.span, fixed, text));
        }
    }
    // An elementwise product, for vectors and matrices only: a batched `@` is never
    // meant as `*`.
    if lhs.len() <= 2 && rhs.len() <= 2 && shape::broadcast_shapes(lhs, rhs).is_ok() {
        let text = format!("for an elementwise product write `{} * {}`", l.text, r.text);
        fixes.push(propose(site.primary, "*".to_string(), text));
    }
    fixes
}

/// `@` with a layer of the wrong size: the operand made by a constructor gets the size
/// the other needs, where it was made (the right operand first: the weight of `x @ W`).
fn resize_fixes(
    cx: &dyn Context,
    site: &Site,
    lhs: &[usize],
    rhs: &[usize],
    k_left: usize,
    k_right: usize,
) -> Vec<Proposal> {
    let (Some(l), Some(r)) = (site.lhs(), site.rhs()) else {
        return Vec::new();
    };
    let mut out = Vec::new();
    let (r_axis, r_what) = if rhs.len() == 1 {
        (0, "length")
    } else {
        (rhs.len() - 2, "rows")
    };
    let why = format!(
        "{} needs {} to take {} of shape {}",
        r.name(),
        plural(k_left, r_what),
        l.name(),
        shape_str(lhs)
    );
    out.extend(super::cause::resize_at_cause(
        cx, r, rhs, r_axis, k_left, why,
    ));
    let (l_axis, l_what) = (
        lhs.len() - 1,
        if lhs.len() == 1 { "length" } else { "columns" },
    );
    let why = format!(
        "{} needs {} to be multiplied by {} of shape {}",
        l.name(),
        plural(k_right, l_what),
        r.name(),
        shape_str(rhs)
    );
    out.extend(super::cause::resize_at_cause(
        cx, l, lhs, l_axis, k_right, why,
    ));
    out
}

pub(super) fn reshape(
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
    let d = Diagnostic::error("shape::reshape", msg)
        .primary(site.primary, "reshape")
        .help(help);
    // Keep the batch axis and infer the rest: `reshape(4, -1)`.
    let batch = from.first().copied().unwrap_or(0);
    let keeps_batch = from.len() >= 2 && spec.len() >= 2 && spec[0] == batch as isize && batch > 0;
    // A batch shorter than the size written (the last batch of a loop over data): the
    // batch's own size always fits.
    if let (Some(x), Some(sizes), Some(&first)) = (site.lhs(), site.rhs(), spec.first()) {
        let mut own = spec.to_vec();
        own[0] = batch as isize;
        let fits = shape::reshape_shape(from, &own).is_ok();
        if first > batch as isize && batch > 0 && fits && from.len() >= 2 {
            let rest: Vec<String> = spec[1..].iter().map(|d| d.to_string()).collect();
            let fixed = std::iter::once(format!("{}.shape[0]", x.postfix_text()))
                .chain(rest)
                .collect::<Vec<_>>()
                .join(", ");
            let text = format!(
                "{} has {batch} rows, not {first}: the last batch of a loop over data is often shorter; use its own size, `reshape({fixed})`",
                x.name()
            );
            return d.with_fix(sizes.span, fixed, text);
        }
    }
    match (keeps_batch && spec != [batch as isize, -1], site.rhs()) {
        (true, Some(sizes))
            if matches!(
                reason,
                tensor::ReshapeReason::Size | tensor::ReshapeReason::CannotInfer
            ) =>
        {
            let fixed = format!("{batch}, -1");
            let text = format!(
                "keep the batch axis of {batch} and let the rest be inferred: `reshape({fixed})` gives [{batch}, {}]",
                n / batch
            );
            d.with_fix(sizes.span, fixed, text)
        }
        _ => d,
    }
}

pub(super) fn loss_shape(site: &Site, loss: &str, pred: &[usize], target: &[usize]) -> Diagnostic {
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
        let help = format!("a target of shape {indices} holds one class index per example; a target of shape {probs} holds class probabilities or one-hot rows");
        let tcount: usize = target.iter().product();
        let d = Diagnostic::error(
            "shape::loss",
            format!("`cross_entropy` of logits {} needs a target of shape {indices} or {probs}, found {}", shape_str(pred), shape_str(target)),
        )
        .primary(site.primary, "target does not fit the logits")
        .help(help);
        if let (Some(p), Some(t)) = (site.lhs(), site.rhs()) {
            // `cross_entropy(y, logits)`: labels [N] first and logits [N, C] second, as
            // written in the order (positional) the call takes them.
            let swapped = pred.len() == 1 && target.len() == 2 && target[0] == pred[0];
            if swapped && p.span.end <= t.span.start {
                let fixed = format!("{}, {}", t.text, p.text);
                let text = format!(
                    "the arguments look swapped: the logits {} come first, then the labels {}: `{}({fixed})`",
                    shape_str(target),
                    shape_str(pred),
                    site.op
                );
                return d.with_fix(p.span.to(t.span), fixed, text);
            }
        }
        let (Ok(nn), Some(t)) = (n.parse::<usize>(), site.rhs()) else {
            return d;
        };
        let tp = t.postfix_text();
        if tcount == nn && target.len() > 1 {
            let fixed = format!("{tp}.reshape(-1)");
            let text = format!("the target has one value per example: flatten it with `{fixed}` to use class indices");
            return d.with_fix(t.span, fixed, text);
        } else if tcount == nn * c && target.len() != 2 {
            let fixed = format!("{tp}.reshape({nn}, {c})");
            let text =
                format!("the target has {tcount} values: `{fixed}` gives probabilities per class");
            return d.with_fix(t.span, fixed, text);
        }
        return d;
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
    let pcount: usize = pred.iter().product();
    let tcount: usize = target.iter().product();
    let mut proposals: Vec<Proposal> = Vec::new();
    if let (Some(p), Some(t)) = (site.lhs(), site.rhs()) {
        if pcount == tcount && pred.len() == target.len() + 1 && pred.last() == Some(&1) {
            let ax = pred.len() - 1;
            let fixed = format!("{}.squeeze({ax})", p.postfix_text());
            let text =
                format!("drop the prediction's last axis of size 1: `{loss}({fixed}, {tn})`");
            proposals.push(propose(p.span, fixed, text));
        } else if pcount == tcount {
            let dims = pred
                .iter()
                .map(|d| d.to_string())
                .collect::<Vec<_>>()
                .join(", ");
            let fixed = format!("{}.reshape({dims})", t.postfix_text());
            let text = format!(
                "both have {pcount} elements: reshape the target with `{loss}({pn}, {fixed})`"
            );
            proposals.push(propose(t.span, fixed, text));
        } else if let [n, c] = pred {
            // Class indices where one value per class is expected.
            if target == [*n] && *c > 1 {
                let fixed = format!("one_hot({}, {c})", t.text);
                let text = format!("the target holds one class index per example: `{fixed}` gives the [{n}, {c}] rows that `{loss}` compares with");
                proposals.push(propose(t.span, fixed, text));
            }
        }
    }
    let note = shape::broadcast_shapes(pred, target).ok().map(|b| format!("(broadcasting them would compare every prediction with every target, giving {} — PyTorch only warns and returns a wrong number)", shape_str(&b)));
    let d = Diagnostic::error("shape::loss", msg).primary(site.primary, "shapes differ");
    let rule =
        "the loss compares element by element: give both arguments the same shape".to_string();
    let d = d.help(note.clone().unwrap_or(rule));
    let proposals = proposals
        .into_iter()
        .map(|p| match &note {
            Some(n) => Proposal {
                text: format!("{}\n{n}", p.text),
                ..p
            },
            None => p,
        })
        .collect();
    with_proposals(d, proposals)
}

/// An axis out of range: `axis=-1` when the axis counts one past the last (the
/// tensor is one axis short, as a single sample without its batch axis is), else the
/// valid range.
pub(super) fn axis(site: &Site, axis: isize, ndim: usize) -> Diagnostic {
    let d = Diagnostic::error(
        "shape::axis",
        format!(
            "axis {axis} is out of range for a tensor with {}",
            super::axes(ndim)
        ),
    )
    .primary(site.primary, format!("`{}` with axis {axis}", site.op));
    if ndim == 0 {
        return d.help("a 0-d tensor has no axes: leave out `axis`");
    }
    let d = d.help(format!(
        "valid axes are {} to {} (negative axes count from the end)",
        -(ndim as isize),
        ndim - 1
    ));
    let (Some(span), true) = (site.axis, axis == ndim as isize) else {
        return d;
    };
    let mut fixes = vec![propose(
        span,
        "-1".to_string(),
        format!(
            "axis {axis} is one past the last axis: `-1` names the last axis whatever the rank"
        ),
    )];
    if let Some(x) = site.lhs().filter(|o| o.shape.is_some()) {
        let fixed = format!("{}.unsqueeze(0)", x.postfix_text());
        fixes.push(propose(
            x.span,
            fixed.clone(),
            format!("{} has {}: if it is one sample without its batch axis, add the axis with `{fixed}`", x.name(), super::axes(ndim)),
        ));
    }
    with_proposals(d, fixes)
}
