//! `einsum(equation, a)` and `einsum(equation, a, b)`, composed of ops that have their own
//! backward rules (diagonal takes, sums, permutes, reshapes, one matrix product), so the
//! gradient comes with them.

use super::movement::diagonal_axes;
use super::reduce::{reduce, ReduceOp};
use super::shape::checked_numel;
use super::shape_ops::{permute, reshape};
use super::{matmul, Tensor, TensorError};

fn err(msg: String) -> TensorError {
    TensorError::op_shape("shape::einsum", format!("einsum: {msg}"))
}

/// Subscript labels: letters, and the axes an ellipsis covers as labels from 256 up
/// (aligned to the right across operands, as broadcasting aligns them).
type Label = u32;

fn parse_operand(sub: &str, ndim: usize, which: usize) -> Result<Vec<Label>, TensorError> {
    let parts: Vec<&str> = sub.split("...").collect();
    if parts.len() > 2 {
        return Err(err(format!(
            "operand {which}'s subscripts `{sub}` have more than one `...`"
        )));
    }
    let letters = |p: &str| -> Result<Vec<Label>, TensorError> {
        p.chars()
            .map(|c| {
                if c.is_ascii_alphabetic() {
                    Ok(c as Label)
                } else {
                    Err(err(format!(
                        "subscripts are letters, found `{c}` in `{sub}`"
                    )))
                }
            })
            .collect()
    };
    let head = letters(parts[0])?;
    let tail = if parts.len() == 2 {
        letters(parts[1])?
    } else {
        vec![]
    };
    let named = head.len() + tail.len();
    if parts.len() == 1 {
        if named != ndim {
            return Err(err(format!(
                "operand {which} has {ndim} axes but the subscripts `{sub}` name {named}"
            )));
        }
        return Ok(head);
    }
    if named > ndim {
        return Err(err(format!(
            "operand {which} has {ndim} axes but the subscripts `{sub}` name {named}"
        )));
    }
    let k = ndim - named;
    let mut out = head;
    out.extend((0..k).map(|i| 256 + (k - 1 - i) as Label));
    out.extend(tail);
    Ok(out)
}

/// The output labels for an explicit `->` part, with the ellipsis labels `ell` (in
/// order) standing for `...`.
fn parse_output(sub: &str, ell: &[Label]) -> Result<Vec<Label>, TensorError> {
    let parts: Vec<&str> = sub.split("...").collect();
    if parts.len() > 2 {
        return Err(err(format!("the output `{sub}` has more than one `...`")));
    }
    let mut out = Vec::new();
    for (i, p) in parts.iter().enumerate() {
        if i == 1 {
            out.extend_from_slice(ell);
        }
        for c in p.chars() {
            if !c.is_ascii_alphabetic() {
                return Err(err(format!(
                    "subscripts are letters, found `{c}` in `{sub}`"
                )));
            }
            let l = c as Label;
            if out.contains(&l) {
                return Err(err(format!("the output `{sub}` names `{c}` twice")));
            }
            out.push(l);
        }
    }
    Ok(out)
}

fn show(l: Label) -> String {
    if l >= 256 {
        "...".to_string()
    } else {
        char::from_u32(l).map(String::from).unwrap_or_default()
    }
}

/// One operand with distinct labels: repeated labels become a diagonal, labels used
/// nowhere else are summed away.
fn prepare(
    t: &Tensor,
    labels: &[Label],
    keep: &dyn Fn(Label) -> bool,
) -> Result<(Tensor, Vec<Label>), TensorError> {
    let mut uniq: Vec<Label> = Vec::new();
    let mut groups: Vec<Vec<usize>> = Vec::new();
    for (ax, &l) in labels.iter().enumerate() {
        match uniq.iter().position(|&u| u == l) {
            Some(k) => groups[k].push(ax),
            None => {
                uniq.push(l);
                groups.push(vec![ax]);
            }
        }
    }
    let mut t = if groups.iter().any(|g| g.len() > 1) {
        diagonal_axes(t, &groups)?
    } else {
        t.clone()
    };
    let mut ls = uniq;
    for ax in (0..ls.len()).rev() {
        if !keep(ls[ax]) {
            t = reduce(ReduceOp::Sum, &t, Some(ax as isize), false)?;
            ls.remove(ax);
        }
    }
    Ok((t, ls))
}

/// `t` with axes ordered as `want` (a permutation of `have`).
fn arrange(t: Tensor, have: &[Label], want: &[Label]) -> Tensor {
    let axes: Vec<usize> = want
        .iter()
        .map(|l| have.iter().position(|h| h == l).expect("same labels"))
        .collect();
    if axes.iter().enumerate().all(|(i, &a)| i == a) {
        t
    } else {
        permute(&t, axes, "einsum")
    }
}

/// `einsum(equation, operands)` with one or two operands.
pub fn einsum(equation: &str, ops: &[Tensor]) -> Result<Tensor, TensorError> {
    let eq: String = equation.chars().filter(|c| !c.is_whitespace()).collect();
    let (lhs, rhs) = match eq.split_once("->") {
        Some((l, r)) => (l, Some(r)),
        None => (eq.as_str(), None),
    };
    let subs: Vec<&str> = lhs.split(',').collect();
    if subs.len() != ops.len() {
        return Err(err(format!(
            "the equation names {} operand{}, {} given",
            subs.len(),
            if subs.len() == 1 { "" } else { "s" },
            ops.len()
        )));
    }
    if ops.is_empty() || ops.len() > 2 {
        return Err(err(format!(
            "one or two operands are supported, {} given",
            ops.len()
        )));
    }
    let mut labels = Vec::new();
    for (i, (s, t)) in subs.iter().zip(ops).enumerate() {
        labels.push(parse_operand(s, t.ndim(), i)?);
    }
    // Sizes per label (ellipsis axes broadcast: size 1 gives way).
    let mut size: Vec<(Label, usize)> = Vec::new();
    for (i, (ls, t)) in labels.iter().zip(ops).enumerate() {
        let s = t.shape();
        for (ax, &l) in ls.iter().enumerate() {
            match size.iter_mut().find(|(m, _)| *m == l) {
                Some((_, n)) if *n == s[ax] => {}
                Some((_, n)) if l >= 256 && (*n == 1 || s[ax] == 1) => *n = (*n).max(s[ax]),
                Some((_, n)) => {
                    return Err(err(format!(
                        "subscript `{}` has size {} in one place and {} in operand {i} (axis {ax})",
                        show(l),
                        n,
                        s[ax]
                    )))
                }
                None => size.push((l, s[ax])),
            }
        }
    }
    let mut ell: Vec<Label> = size.iter().map(|&(l, _)| l).filter(|&l| l >= 256).collect();
    ell.sort_unstable_by(|a, b| b.cmp(a));
    let out: Vec<Label> = match rhs {
        Some(r) => {
            let out = parse_output(r, &ell)?;
            if rhs.is_some_and(|r| !r.contains("...")) && !ell.is_empty() {
                return Err(err(
                    "the output must contain `...` when the inputs do".to_string()
                ));
            }
            for &l in &out {
                if !size.iter().any(|&(m, _)| m == l) {
                    return Err(err(format!(
                        "output subscript `{}` appears in no input",
                        show(l)
                    )));
                }
            }
            out
        }
        None => {
            // Implicit output: `...`, then the letters used exactly once, sorted.
            let mut once: Vec<Label> = size
                .iter()
                .map(|&(l, _)| l)
                .filter(|&l| l < 256 && labels.iter().flatten().filter(|&&m| m == l).count() == 1)
                .collect();
            once.sort_unstable();
            let mut o = ell.clone();
            o.extend(once);
            o
        }
    };
    let total: Vec<usize> = out
        .iter()
        .map(|l| size.iter().find(|(m, _)| m == l).map(|p| p.1).unwrap_or(1))
        .collect();
    checked_numel(&total)?;
    if ops.len() == 1 {
        let (t, ls) = prepare(&ops[0], &labels[0], &|l| out.contains(&l))?;
        return Ok(arrange(t, &ls, &out));
    }
    let (a, la) = prepare(&ops[0], &labels[0], &|l| {
        out.contains(&l) || labels[1].contains(&l)
    })?;
    let (b, lb) = prepare(&ops[1], &labels[1], &|l| {
        out.contains(&l) || labels[0].contains(&l)
    })?;
    let batch: Vec<Label> = out
        .iter()
        .copied()
        .filter(|l| la.contains(l) && lb.contains(l))
        .collect();
    let a_only: Vec<Label> = la.iter().copied().filter(|l| !lb.contains(l)).collect();
    let b_only: Vec<Label> = lb.iter().copied().filter(|l| !la.contains(l)).collect();
    let inner: Vec<Label> = la
        .iter()
        .copied()
        .filter(|l| lb.contains(l) && !out.contains(l))
        .collect();
    let dim = |t: &Tensor, ls: &[Label], l: Label| {
        t.shape()[ls.iter().position(|&m| m == l).expect("label")]
    };
    let prod = |t: &Tensor, ls: &[Label], set: &[Label]| {
        set.iter().map(|&l| dim(t, ls, l)).product::<usize>()
    };
    // A: [batch..., M, K]; B: [batch..., K, N]; the batch axes broadcast in the product.
    let a_order: Vec<Label> = batch.iter().chain(&a_only).chain(&inner).copied().collect();
    let b_order: Vec<Label> = batch.iter().chain(&inner).chain(&b_only).copied().collect();
    let a2 = arrange(a, &la, &a_order);
    let b2 = arrange(b, &lb, &b_order);
    let mut a_spec: Vec<isize> = batch
        .iter()
        .map(|&l| dim(&a2, &a_order, l) as isize)
        .collect();
    a_spec.push(prod(&a2, &a_order, &a_only) as isize);
    a_spec.push(prod(&a2, &a_order, &inner) as isize);
    let mut b_spec: Vec<isize> = batch
        .iter()
        .map(|&l| dim(&b2, &b_order, l) as isize)
        .collect();
    b_spec.push(prod(&b2, &b_order, &inner) as isize);
    b_spec.push(prod(&b2, &b_order, &b_only) as isize);
    let c = matmul(&reshape(&a2, &a_spec)?, &reshape(&b2, &b_spec)?)?;
    let cs = c.shape();
    let mut c_spec: Vec<isize> = cs[..batch.len()].iter().map(|&d| d as isize).collect();
    c_spec.extend(a_only.iter().map(|&l| dim(&a2, &a_order, l) as isize));
    c_spec.extend(b_only.iter().map(|&l| dim(&b2, &b_order, l) as isize));
    let c = reshape(&c, &c_spec)?;
    let c_order: Vec<Label> = batch
        .iter()
        .chain(&a_only)
        .chain(&b_only)
        .copied()
        .collect();
    Ok(arrange(c, &c_order, &out))
}
