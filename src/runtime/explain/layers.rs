//! Diagnostics for the layer ops' shape errors (`conv2d`, pooling, `linear`, norms):
//! both shapes and the axis named, and a fix only when the op's own rule accepts it.

use crate::runtime::explain::{shape_str, Context, Site};
use crate::syntax::diagnostic::Diagnostic;
use crate::tensor::shape_nn::{linear_shape, LayerError};

fn text(site: &Site, i: usize) -> Option<String> {
    site.operands
        .get(i)
        .map(|o| o.text.clone())
        .filter(|t| !t.is_empty() && t.len() <= 24 && !t.contains('\n'))
}

fn named(site: &Site, i: usize, fallback: &str) -> String {
    text(site, i)
        .map(|t| format!("`{t}`"))
        .unwrap_or_else(|| fallback.to_string())
}

/// The one conversion of a `LayerError` to a diagnostic at `site`.
pub fn layer_error(cx: &dyn Context, site: &Site, e: &LayerError) -> Diagnostic {
    match e {
        LayerError::Rank {
            op,
            arg,
            want,
            shape,
        } => Diagnostic::error(
            "shape::rank",
            format!(
                "`{op}` needs {arg} of shape {want}, got {} ({} axes)",
                shape_str(shape),
                shape.len()
            ),
        )
        .primary(
            site.primary,
            format!("{} axes where {want} is expected", shape.len()),
        )
        .help(if *arg == "an input" && want.contains("or [C") {
            "add or remove a batch axis with `unsqueeze(x, 0)` or `reshape`".to_string()
        } else {
            format!("reshape {arg} to {want}")
        }),
        LayerError::Channels {
            op,
            input,
            weight,
            axis,
            have,
            want,
        } => {
            let (x, w) = (named(site, 0, "the input"), named(site, 1, "the weight"));
            Diagnostic::error(
                "shape::conv",
                format!(
                    "`{op}`: the input has {have} channel{} (axis {axis} of {}), the weight expects {want}",
                    if *have == 1 { "" } else { "s" },
                    shape_str(input),
                ),
            )
            .primary(site.primary, format!("{x} has {have} on axis {axis}, {w} {} wants {want}", shape_str(weight)))
            .help(format!(
                "the weight is [out_channels, in_channels/groups, kernel...]: axis 1 of {w} times groups must equal axis {axis} of {x}; for {have} input channels make it [{}, {}, ...]",
                weight[0],
                *have / (*want / weight[1].max(1)).max(1)
            ))
        }
        LayerError::Groups {
            op,
            groups,
            channels,
            what,
        } => Diagnostic::error(
            "shape::conv",
            format!("`{op}`: {what} channels {channels} are not divisible by groups={groups}"),
        )
        .primary(
            site.primary,
            format!("{channels} {what} channels in {groups} groups"),
        )
        .help("groups must divide both the input and the output channels"),
        LayerError::Window {
            op,
            input,
            axis,
            padded,
            window,
        } => {
            let pool = op.contains("pool");
            Diagnostic::error(
                if pool { "shape::pool" } else { "shape::conv" },
                format!(
                    "`{op}`: the window ({window}) is larger than axis {axis} of the input {} ({padded} with padding)",
                    shape_str(input)
                ),
            )
            .primary(site.primary, format!("a window of {window} over {padded}"))
            .help(if pool {
                "use a smaller kernel_size, or pad the input (`padding=`)".to_string()
            } else {
                "use a smaller kernel, more `padding=`, or a larger input".to_string()
            })
        }
        LayerError::Padding { op, pad, kernel } => Diagnostic::error(
            "shape::pool",
            format!("`{op}`: padding {pad} is more than half the kernel size {kernel}"),
        )
        .primary(
            site.primary,
            format!("padding={pad} with kernel_size={kernel}"),
        )
        .help(format!(
            "padding may be at most {} for kernel_size={kernel}",
            kernel / 2
        )),
        LayerError::Linear {
            input,
            weight,
            transposed,
        } => {
            let inn = input.last().copied().unwrap_or(0);
            let w_in = weight.last().copied().unwrap_or(0);
            let d = Diagnostic::error(
                "shape::linear",
                format!(
                    "`linear`: the input has {inn} features (last axis of {}), the weight {} takes {w_in}",
                    shape_str(input),
                    shape_str(weight)
                ),
            )
            .primary(site.primary, format!("in_features {inn} vs weight[-1] = {w_in}"));
            let rev: Vec<usize> = weight.iter().rev().copied().collect();
            let d = d.help(format!(
                "the weight is [out_features, in_features]: its last axis must be {inn}"
            ));
            // The bias, when one was given, stays in the call and must fit the fix too.
            let bias = site.operands.get(2);
            let bias_shape = bias.and_then(|b| b.shape.as_deref());
            let d = match (
                transposed,
                linear_shape(input, &rev, bias_shape),
                site.operands.get(1),
            ) {
                (true, Ok(out), Some(w_op)) if bias.is_none() || bias_shape.is_some() => {
                    let x = text(site, 0).unwrap_or_else(|| "x".into());
                    let fixed = format!("{}.T", w_op.postfix_text());
                    let args = match bias {
                        Some(b) => format!("{x}, {fixed}, {}", b.text),
                        None => format!("{x}, {fixed}"),
                    };
                    let help = format!(
                        "the weight is [out_features, in_features], as PyTorch's: did you mean `linear({args})`? {} → {}",
                        shape_str(&rev),
                        shape_str(&out)
                    );
                    d.with_fix(w_op.span, fixed, help)
                }
                _ => d,
            };
            let resize = site
                .operands
                .get(1)
                .filter(|_| weight.len() == 2)
                .and_then(|w_op| {
                    let why = format!(
                        "{} needs {inn} columns (in_features) to take {} of shape {}",
                        w_op.name(),
                        named(site, 0, "the input"),
                        shape_str(input)
                    );
                    super::cause::resize_at_cause(cx, w_op, weight, 1, inn, why)
                });
            match resize {
                Some(p) => d.with_fix(p.span, p.replacement, p.text),
                None => d,
            }
        }
        LayerError::Param {
            op,
            arg,
            shape,
            want,
        } => Diagnostic::error(
            "shape::param",
            format!(
                "`{op}`: {arg} has shape {}, expected {}",
                shape_str(shape),
                shape_str(want)
            ),
        )
        .primary(site.primary, format!("{arg} {}", shape_str(shape)))
        .help(format!("give {arg} the shape {}", shape_str(want))),
        LayerError::NormShape { input, normalized } => {
            let k = normalized.len().min(input.len());
            Diagnostic::error(
                "shape::layer_norm",
                format!(
                    "`layer_norm`: normalized_shape {} is not the end of the input shape {}",
                    shape_str(normalized),
                    shape_str(input)
                ),
            )
            .primary(
                site.primary,
                format!("normalized_shape {}", shape_str(normalized)),
            )
            .help(format!(
                "normalized_shape lists the last axes of the input: {} here",
                shape_str(&input[input.len() - k.max(1).min(input.len())..])
            ))
        }
    }
}
