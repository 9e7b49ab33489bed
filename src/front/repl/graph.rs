//! `:graph EXPR`: the autodiff graph of a tensor as an indented tree. Each line shows the
//! op, the shape, and for a tensor held by a variable its name and the input that bound
//! it. The walk is iterative (graphs of 10^6 ops are normal after a long loop); a node
//! reached again is shown once and then referenced by its number.

use crate::runtime::explain;
use crate::runtime::interp::Interp;
use crate::runtime::value::Value;
use crate::tensor::Tensor;
use std::collections::HashMap;

/// At most this many lines are printed; a long chain is cut with a note.
const MAX_LINES: usize = 200;
/// Deeper nodes are not expanded, so that indentation stays readable.
const MAX_DEPTH: usize = 60;

/// The 1-based line of byte offset `at` in `text`.
pub fn line_of(text: &str, at: usize) -> usize {
    text.as_bytes()[..at.min(text.len())]
        .iter()
        .filter(|&&b| b == b'\n')
        .count()
        + 1
}

/// Global variables holding tensors, by tensor id: name and where it was bound.
fn tensor_names(interp: &Interp) -> HashMap<u64, (String, String)> {
    let mut names: Vec<(&str, &crate::runtime::interp::Binding)> =
        interp.globals.iter().map(|(k, b)| (&**k, b)).collect();
    // Sorted so that a tensor bound to two names always shows the same one.
    names.sort_by(|a, b| (a.0 == "_").cmp(&(b.0 == "_")).then(a.0.cmp(b.0)));
    let mut out = HashMap::new();
    for (name, binding) in names {
        if let Value::Tensor(t) = &binding.value {
            let origin = binding.origin;
            let place = match interp.sources.get(origin.src_id) {
                Some(src) => format!("{}:{}", src.name, line_of(&src.text, origin.span.start)),
                None => String::new(),
            };
            out.entry(t.id()).or_insert((name.to_string(), place));
        }
    }
    out
}

fn describe(t: &Tensor, names: &HashMap<u64, (String, String)>, interp: &Interp) -> String {
    let shape = explain::shape_str(&t.shape());
    let mut text = if t.is_constant() {
        format!(
            "constant {}",
            crate::runtime::print::format_number(t.item().unwrap_or(f32::NAN) as f64)
        )
    } else {
        format!("{} {shape}", t.op_name())
    };
    if let Some((name, place)) = names.get(&t.id()) {
        text = format!("{name} = {text}");
        if !place.is_empty() {
            text.push_str(&format!("  ({place})"));
        }
    }
    if interp.grads.as_ref().is_some_and(|g| g.contains(t)) && !t.is_constant() {
        text.push_str("  ∇");
    }
    text
}

/// The tree under `root`; `expr` is how the user wrote it.
pub fn render(interp: &Interp, root: &Tensor, expr: &str) -> String {
    let names = tensor_names(interp);
    // Count how many parents each node has, so that shared nodes get a number.
    let mut parents: HashMap<u64, usize> = HashMap::new();
    let mut seen: HashMap<u64, ()> = HashMap::new();
    let mut stack = vec![root.clone()];
    seen.insert(root.id(), ());
    while let Some(t) = stack.pop() {
        for input in t.inputs() {
            *parents.entry(input.id()).or_insert(0) += 1;
            if seen.insert(input.id(), ()).is_none() {
                stack.push(input);
            }
        }
    }
    let mut numbers: HashMap<u64, usize> = HashMap::new();
    // The expression is repeated as a title unless the tree's first line names it.
    let titled = names
        .get(&root.id())
        .is_none_or(|(name, _)| name != expr.trim());
    let mut out = if titled {
        format!("{expr}\n")
    } else {
        String::new()
    };
    let mut any_gradient = false;
    let mut lines = 0;
    let mut cut = false;
    // (tensor, prefix for its own line, prefix for its children, depth)
    let mut todo: Vec<(Tensor, String, String, usize)> =
        vec![(root.clone(), String::new(), String::new(), 0)];
    while let Some((t, own, child_prefix, depth)) = todo.pop() {
        if lines >= MAX_LINES {
            cut = true;
            break;
        }
        lines += 1;
        if let Some(n) = numbers.get(&t.id()) {
            out.push_str(&format!(
                "{own}{} {} → #{n} above\n",
                t.op_name(),
                explain::shape_str(&t.shape())
            ));
            continue;
        }
        let text = describe(&t, &names, interp);
        any_gradient |= text.ends_with('∇');
        let mut line = format!("{own}{text}");
        if parents.get(&t.id()).copied().unwrap_or(0) > 1 && !t.inputs().is_empty() {
            let n = numbers.len() + 1;
            numbers.insert(t.id(), n);
            line.push_str(&format!("  #{n}"));
        }
        out.push_str(&line);
        out.push('\n');
        let inputs = t.inputs();
        if inputs.is_empty() {
            continue;
        }
        if depth >= MAX_DEPTH {
            out.push_str(&format!(
                "{child_prefix}└─ … ({} deeper levels not shown)\n",
                depth_below(&t)
            ));
            lines += 1;
            continue;
        }
        let last = inputs.len() - 1;
        // Pushed in reverse so that the first input is printed first.
        for (i, input) in inputs.into_iter().enumerate().rev() {
            let (branch, next) = if i == last {
                ("└─ ", "   ")
            } else {
                ("├─ ", "│  ")
            };
            todo.push((
                input,
                format!("{child_prefix}{branch}"),
                format!("{child_prefix}{next}"),
                depth + 1,
            ));
        }
    }
    if cut {
        out.push_str(&format!("… cut after {MAX_LINES} lines\n"));
    }
    if any_gradient {
        out.push_str("∇ has a gradient from the last `backward`\n");
    }
    out
}

/// How many levels of ops lie below `t` (iteratively, along every path).
fn depth_below(t: &Tensor) -> usize {
    let mut best = 0;
    let mut visited: HashMap<u64, usize> = HashMap::new();
    let mut stack = vec![(t.clone(), 0usize)];
    while let Some((t, d)) = stack.pop() {
        best = best.max(d);
        for input in t.inputs() {
            if visited.get(&input.id()).is_some_and(|&seen| seen > d) {
                continue;
            }
            visited.insert(input.id(), d + 1);
            stack.push((input, d + 1));
        }
    }
    best
}
