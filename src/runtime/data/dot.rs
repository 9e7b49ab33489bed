//! The autodiff graph of a tensor in Graphviz DOT: one node per tensor (its op, shape,
//! and the norm of its gradient when the last `backward` reached it), one edge from each
//! input to the op that used it.
//!
//! Nodes are numbered in breadth-first order from the tensor drawn, by an explicit queue:
//! graphs can be a million nodes deep.

use crate::tensor::{GradStore, Tensor};
use std::collections::{HashMap, VecDeque};
use std::fmt::Write;

/// How a node is shown; `names` maps tensor ids to the variable that holds them.
pub fn dot(root: &Tensor, grads: Option<&GradStore>, names: &HashMap<u64, String>) -> String {
    let mut ids: HashMap<u64, usize> = HashMap::new();
    let mut order: Vec<Tensor> = Vec::new();
    let mut queue = VecDeque::new();
    ids.insert(root.id(), 0);
    order.push(root.clone());
    queue.push_back(root.clone());
    let mut edges: Vec<(usize, usize, usize)> = Vec::new();
    while let Some(t) = queue.pop_front() {
        let consumer = ids[&t.id()];
        let inputs = t.inputs();
        let several = inputs.len() > 1;
        for (k, input) in inputs.into_iter().enumerate() {
            let next = ids.len();
            let id = *ids.entry(input.id()).or_insert(next);
            if id == next {
                order.push(input.clone());
                queue.push_back(input);
            }
            edges.push((id, consumer, if several { k + 1 } else { 0 }));
        }
    }
    let mut out = String::new();
    out.push_str("digraph tsr {\n");
    out.push_str("  node [shape=box, style=\"rounded,filled\", fillcolor=\"#f0f0f0\", fontname=\"monospace\"];\n");
    for (i, t) in order.iter().enumerate() {
        let _ = writeln!(out, "  n{i} [{}];", attributes(t, grads, names));
    }
    for (from, to, k) in edges {
        match k {
            0 => {
                let _ = writeln!(out, "  n{from} -> n{to};");
            }
            k => {
                let _ = writeln!(out, "  n{from} -> n{to} [label=\"{k}\"];");
            }
        }
    }
    out.push_str("}\n");
    out
}

fn shape_text(shape: &[usize]) -> String {
    let dims: Vec<String> = shape.iter().map(|d| d.to_string()).collect();
    format!("[{}]", dims.join(", "))
}

fn attributes(t: &Tensor, grads: Option<&GradStore>, names: &HashMap<u64, String>) -> String {
    if t.is_constant() {
        let v = t
            .item()
            .map(|v| crate::runtime::print::format_number(v as f64))
            .unwrap_or_default();
        return format!("label=\"{v}\", shape=plaintext, style=\"\"");
    }
    let mut lines = Vec::new();
    let head = match (names.get(&t.id()), t.is_leaf()) {
        (Some(n), true) => n.clone(),
        (Some(n), false) => format!("{n} = {}", t.op_name()),
        (None, true) => "leaf".to_string(),
        (None, false) => t.op_name().to_string(),
    };
    lines.push(head);
    lines.push(shape_text(&t.shape()));
    if let Some(store) = grads {
        if store.contains(t) {
            if let Ok(g) = store.grad_array(t) {
                let norm = g
                    .iter()
                    .map(|&x| (x as f64) * (x as f64))
                    .sum::<f64>()
                    .sqrt();
                lines.push(format!("grad norm {}", super::plot::format_sig(norm, 4)));
            }
        }
    }
    let label = lines.join("\\n").replace('"', "\\\"");
    if t.is_leaf() {
        format!("label=\"{label}\", fillcolor=\"#cfe2f3\"")
    } else {
        format!("label=\"{label}\"")
    }
}
