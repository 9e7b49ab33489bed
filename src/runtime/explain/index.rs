//! Diagnostics for the errors of tensor indexing, `gather`, `index_select` and the other
//! ops that take index tensors or masks.

use crate::runtime::explain::{shape_str, Site};
use crate::runtime::print::format_number;
use crate::syntax::diagnostic::Diagnostic;
use crate::syntax::span::Span;
use crate::tensor::TensorError;

/// `seq[i, j]` on a list, tuple, string or range (`kind`), which take one index.
pub fn too_many_indices(kind: &str, given: usize, span: Span) -> Diagnostic {
    Diagnostic::error("shape::index", format!("too many indices for a {kind}"))
        .primary(span, format!("{given} indices given, a {kind} takes one"))
}

/// The diagnostic for an index error (`IndexValue`, `MaskShape`, `IndexBroadcast`).
pub fn index_error(e: TensorError, site: &Site) -> Diagnostic {
    match e {
        TensorError::IndexValue {
            position,
            value,
            axis,
            size,
            ..
        } => {
            let v = format_number(value as f64);
            let at = shape_str(&position);
            if value.is_finite() && value.fract() == 0.0 {
                let valid = if size == 0 {
                    format!("axis {axis} has size 0: no position is valid")
                } else {
                    format!(
                        "valid positions along axis {axis} are {} to {}",
                        -(size as isize),
                        size - 1
                    )
                };
                Diagnostic::error(
                    "shape::index",
                    format!(
                        "index {v} at position {at} is out of range for axis {axis} of size {size}"
                    ),
                )
                .primary(
                    site.primary,
                    format!("the index holds {v} at position {at}"),
                )
                .help(format!("{valid} (negative positions count from the end)"))
            } else {
                Diagnostic::error(
                    "value::index",
                    format!("index {v} at position {at} is not a whole number"),
                )
                .primary(
                    site.primary,
                    format!("the index holds {v} at position {at}"),
                )
                .help(
                    "an index tensor holds whole-number positions; to select where a \
                     condition holds, index with a comparison such as `x[x > 0]` (a mask)",
                )
            }
        }
        TensorError::MaskShape {
            mask,
            indexed,
            axis,
            ..
        } => Diagnostic::error(
            "shape::index",
            format!(
                "a mask of shape {} cannot index axes of shape {} (from axis {axis})",
                shape_str(&mask),
                shape_str(&indexed)
            ),
        )
        .primary(
            site.primary,
            format!("a mask of shape {}", shape_str(&mask)),
        )
        .help("a mask selects elements of the axes it covers: its shape must equal theirs"),
        TensorError::IndexBroadcast { shapes } => {
            let s: Vec<String> = shapes.iter().map(|s| shape_str(s)).collect();
            Diagnostic::error(
                "shape::index",
                format!(
                    "index tensors of shapes {} do not broadcast together",
                    s.join(", ")
                ),
            )
            .primary(
                site.primary,
                "these index tensors are paired element by element",
            )
            .help("index tensors on several axes must broadcast to one shape, as `+` does")
        }
        TensorError::OpShape { code, msg, help } => {
            let d = Diagnostic::error(code, msg).primary(
                site.primary,
                format!("`{}`", site.op.trim_start_matches('.')),
            );
            match help {
                Some(h) => d.help(h),
                None => d,
            }
        }
        other => Diagnostic::error("value::invalid", other.to_string())
            .primary(site.primary, format!("in `{}`", site.op)),
    }
}
