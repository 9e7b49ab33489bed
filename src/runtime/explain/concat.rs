//! `cat` and `stack` of tensors whose shapes do not fit: which element differs, where
//! each named element got its shape, and the axis (or the op) that works.

use super::shapes::{propose, with_proposals, Proposal};
use super::*;

pub(super) fn cat(
    cx: &dyn Context,
    site: &Site,
    axis: isize,
    shapes: &[Vec<usize>],
    which: usize,
    kind: tensor::CatKind,
) -> Diagnostic {
    let first = shapes.first().cloned().unwrap_or_default();
    let other = shapes.get(which).cloned().unwrap_or_default();
    let code = if site.op == "stack" {
        "shape::stack"
    } else {
        "shape::cat"
    };
    match kind {
        tensor::CatKind::Empty => {
            Diagnostic::error(code, format!("`{}` needs at least one tensor", site.op))
                .primary(site.primary, "an empty list")
                .help("pass a list of tensors")
        }
        tensor::CatKind::Rank => {
            let d = Diagnostic::error(
                code,
                format!(
                    "`{}`: tensor {which} has {}, tensor 0 has {}",
                    site.op,
                    super::axes(other.len()),
                    super::axes(first.len())
                ),
            )
            .primary(
                site.primary,
                format!("{} and {}", shape_str(&first), shape_str(&other)),
            )
            .help("every tensor must have the same number of axes");
            list_provenance(cx, d, site, shapes, which)
        }
        tensor::CatKind::Size => {
            let what = if site.op == "stack" {
                "every axis".to_string()
            } else {
                format!("every axis except axis {axis}")
            };
            let d = Diagnostic::error(
                code,
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
            .help(format!("the tensors must have the same size on {what}"));
            let d = list_provenance(cx, d, site, shapes, which);
            with_proposals(d, cat_fixes(cx, site, axis, shapes))
        }
    }
}

/// Label the elements 0 and `which` of a list literal passed to `cat`/`stack` with their
/// shapes, and say where each named one got its shape.
fn list_provenance(
    cx: &dyn Context,
    mut d: Diagnostic,
    site: &Site,
    shapes: &[Vec<usize>],
    which: usize,
) -> Diagnostic {
    let Some(list) = site.lhs() else {
        return d;
    };
    let (program, errors) = crate::syntax::parser::parse(&list.text);
    let Some(crate::syntax::ast::StmtKind::Expr(e)) = program.stmts.first().map(|s| &s.kind) else {
        return d;
    };
    let (crate::syntax::ast::ExprKind::List(items) | crate::syntax::ast::ExprKind::Tuple(items)) =
        &e.kind
    else {
        return d;
    };
    if !errors.is_empty() {
        return d;
    }
    for k in [0, which] {
        let (Some(item), Some(shape)) = (items.get(k), shapes.get(k)) else {
            continue;
        };
        let span = Span::new(
            list.span.start + item.span.start,
            list.span.start + item.span.end,
        );
        let text = cx.text_of(span);
        let overlaps = d
            .labels
            .iter()
            .any(|l| l.span.start < span.end && span.start < l.span.end);
        if !overlaps {
            d = d.label(span, format!("tensor {k} is {}", shape_str(shape)));
        }
        if let (crate::syntax::ast::ExprKind::Name(_), Some(origin)) =
            (&item.kind, cx.origin_of(&text))
        {
            let label = format!("`{text}` got its shape {} here", shape_str(shape));
            let note = format!(
                "`{text}` was last assigned in {}",
                cx.source_name(origin.src_id)
            );
            d = super::at_origin(cx, d, origin, label, Some(note));
        }
        if which == 0 {
            break;
        }
    }
    d
}

/// The axes along which `cat` accepts these shapes (all agree on every other axis).
fn cat_axes(shapes: &[Vec<usize>]) -> Vec<usize> {
    let rank = shapes.first().map(|s| s.len()).unwrap_or(0);
    if shapes.iter().any(|s| s.len() != rank) {
        return Vec::new();
    }
    (0..rank)
        .filter(|&a| {
            shapes
                .iter()
                .all(|s| (0..rank).all(|k| k == a || s[k] == shapes[0][k]))
        })
        .collect()
}

/// `cat` on the axis that works; `stack` of tensors whose sizes differ: `cat`.
fn cat_fixes(cx: &dyn Context, site: &Site, axis: isize, shapes: &[Vec<usize>]) -> Vec<Proposal> {
    let rank = shapes.first().map(|s| s.len()).unwrap_or(0) as isize;
    let given = if axis < 0 { axis + rank } else { axis };
    let works = cat_axes(shapes);
    let mut out = Vec::new();
    if site.op == "stack" {
        let callee = cx.text_of(site.primary);
        if callee.ends_with("stack") && works.contains(&(given.max(0) as usize)) {
            let at = Span::new(site.primary.end - "stack".len(), site.primary.end);
            let text = format!("the tensors differ in size on axis {given}: `cat` joins them along it, `stack` needs equal shapes");
            out.push(propose(at, "cat".to_string(), text));
        }
        return out;
    }
    let Some(&a) = works.iter().find(|&&a| a as isize != given) else {
        return out;
    };
    let why = format!("the tensors agree on every axis but axis {a}");
    match site.axis {
        Some(span) => out.push(propose(
            span,
            a.to_string(),
            format!("{why}: join them along it with axis={a}"),
        )),
        None => {
            if let Some(list) = site.lhs() {
                let text = format!(
                    "{why}: join them along it, `{}({}, axis={a})`",
                    site.op, list.text
                );
                out.push(propose(list.span, format!("{}, axis={a}", list.text), text));
            }
        }
    }
    out
}
