//! Shape errors explained: broadcasting, matrix products, reshapes, `cat`/`stack` and
//! loss arguments, each with a fix checked against the op's own shape rule.

use super::names::plural;
use super::*;

pub(super) fn broadcast(
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
pub(super) fn broadcast_fix(site: &Site, lhs: &[usize], rhs: &[usize]) -> Option<String> {
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

pub(super) fn matmul(
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

pub(super) fn rev(s: &[usize]) -> Vec<usize> {
    s.iter().rev().copied().collect()
}

/// Fixes for `@`, each checked with the matmul shape rule.
pub(super) fn matmul_fix(site: &Site, lhs: &[usize], rhs: &[usize]) -> Option<String> {
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
    Diagnostic::error("shape::reshape", msg)
        .primary(site.primary, "reshape")
        .help(help)
}

pub(super) fn cat(
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
