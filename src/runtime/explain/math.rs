//! Diagnostics for misuse of the math ops: `topk` asking for more values than the axis
//! has, an axis repeated in a list of axes, a class `weight` of the wrong length,
//! `reduction="batchmean"` outside `kl_div`, and `nll_loss` targets that are not class
//! indices. Hooked into `explain::tensor_error`, which adds operand shapes and provenance.

use crate::runtime::explain::{shape_str, Site};
use crate::syntax::diagnostic::Diagnostic;
use crate::tensor::MathError;

pub fn math_error(site: &Site, m: MathError) -> Diagnostic {
    match m {
        MathError::TopK { shape, axis, k } => {
            let size = shape.get(axis).copied().unwrap_or(1);
            let d = Diagnostic::error(
                "shape::topk",
                format!(
                    "`topk` asks for {k} values along axis {axis}, which has {size} (shape {})",
                    shape_str(&shape)
                ),
            )
            .primary(site.primary, format!("k = {k}"));
            if k < 0 {
                d.help("k counts values: it must be 0 or more")
            } else {
                d.help(format!(
                    "k can be at most {size} here; `sort(x, dim={axis}, descending=True)` gives all of them in order"
                ))
            }
        }
        MathError::RepeatedAxis { shape, axis } => Diagnostic::error(
            "shape::axis",
            format!(
                "axis {axis} appears twice in the list of axes of `{}` (shape {})",
                site.op,
                shape_str(&shape)
            ),
        )
        .primary(site.primary, "each axis can be reduced once")
        .help("a negative axis counts from the end: -1 is the same axis as the last one; list each axis once"),
        MathError::ClassWeight {
            loss,
            classes,
            given,
        } => Diagnostic::error(
            "shape::loss",
            format!("`{loss}` has a `weight` of {given} values for {classes} classes"),
        )
        .primary(site.primary, format!("needs one weight per class: {classes}"))
        .help(format!(
            "the classes are the last axis of the input; give `weight` {classes} values"
        )),
        MathError::BatchMean { loss } => Diagnostic::error(
            "value::reduction",
            format!("`{loss}` has no reduction \"batchmean\""),
        )
        .primary(site.primary, "only `kl_div` has \"batchmean\"")
        .help("write reduction='mean', 'sum' or 'none'"),
    }
}

/// `nll_loss` of log-probabilities `[N, C]` (or `[C]`) needs class indices `[N]` (or `[]`).
pub fn nll_shape(site: &Site, pred: &[usize], target: &[usize]) -> Diagnostic {
    let want = match pred {
        [n, _] => format!("[{n}]"),
        [_] => "[]".to_string(),
        _ => {
            return Diagnostic::error(
                "shape::loss",
                format!(
                    "`nll_loss` needs log-probabilities of shape [N, C] or [C], found {}",
                    shape_str(pred)
                ),
            )
            .primary(site.primary, "one row per example, one column per class")
            .help("reshape the input to [N, C]")
        }
    };
    let d = Diagnostic::error(
        "shape::loss",
        format!(
            "`nll_loss` of log-probabilities {} needs class indices of shape {want}, found {}",
            shape_str(pred),
            shape_str(target)
        ),
    )
    .primary(site.primary, "target does not fit the input");
    if target == pred {
        let t = site
            .rhs()
            .filter(|o| o.is_short())
            .map(|o| format!("`{}`", o.text))
            .unwrap_or_else(|| "the target".into());
        let text = site.rhs().map(|o| o.text.as_str()).unwrap_or("target");
        let arg = if pred.len() == 2 {
            format!("argmax({text}, dim=1)")
        } else {
            format!("argmax({text})")
        };
        let help = format!(
            "{t} has the input's shape, as probabilities or one-hot rows would: for one-hot rows pass their class indices, `{arg}`"
        );
        match site.rhs() {
            Some(o) => d.help(help.clone()).with_fix(o.span, arg, help),
            None => d.help(help),
        }
    } else {
        d.help(format!(
            "the target holds one class index per row: shape {want}"
        ))
    }
}
