//! Fixes at the cause: when an operand of a failing op is a variable, the statement that
//! made it is read again, and the fix goes there — `keepdim=True` on the reduction that
//! dropped an axis, the size of a constructor (`randn(3, 2)`) that made a layer the
//! wrong size — rather than a reshape at the symptom.

use super::shapes::{propose, Proposal};
use super::{Context, Operand};
use crate::syntax::ast::{Arg, Expr, ExprKind, StmtKind};
use crate::syntax::parser;
use crate::syntax::span::Span;

/// The call that made a variable: whether it was written as a method (`X.mean(...)`), its arguments and where it is (absolute spans).
pub(crate) struct MadeBy {
    pub method: bool,
    pub args: Vec<Arg>,
    pub span: Span,
    pub text: String,
}

impl MadeBy {
    pub fn has_kw(&self, kw: &[&str]) -> bool {
        self.args.iter().any(|a| {
            a.name
                .as_ref()
                .is_some_and(|n| kw.contains(&n.node.as_str()))
        })
    }

    pub fn positional(&self) -> Vec<&Expr> {
        self.args
            .iter()
            .filter(|a| a.name.is_none())
            .map(|a| &a.value)
            .collect()
    }
}

/// Shift every span of `e` by `by` bytes (a statement parsed on its own).
fn shift(e: &mut Expr, by: usize) {
    e.span = Span::new(e.span.start + by, e.span.end + by);
}

/// The statement at `origin` parsed on its own (spans relative to its start) and its
/// text, when it is in the source being explained.
fn parse_at(cx: &dyn Context, origin: super::Origin) -> Option<(crate::syntax::ast::Stmt, String)> {
    if origin.src_id != cx.current_source() {
        return None;
    }
    let text = cx.text_of(origin.span);
    let (program, errors) = parser::parse(&text);
    if !errors.is_empty() {
        return None;
    }
    Some((program.stmts.into_iter().next()?, text))
}

/// The call that produced `op`'s value, when `op` is a variable assigned from a call in
/// the source being explained (`m = mean(X, axis=1)`, `W = randn(3, 2) * 0.1`).
pub(crate) fn made_by(cx: &dyn Context, op: &Operand, names: &[&str]) -> Option<MadeBy> {
    let mut origin = op.origin?;
    // A parameter's origin is the argument of the call; a name there is followed to
    // where it was made (a few steps at most).
    for _ in 0..3 {
        let (stmt, text) = parse_at(cx, origin)?;
        let value = match &stmt.kind {
            StmtKind::Expr(e) => e,
            StmtKind::Assign {
                value, op: None, ..
            } => value,
            _ => return None,
        };
        if let ExprKind::Name(n) = &value.kind {
            origin = cx.origin_of(n)?;
            continue;
        }
        let call = find_call(value, names)?;
        let (method, args) = match &call.kind {
            ExprKind::Call { args, .. } => (false, args.clone()),
            ExprKind::Method { args, .. } => (true, args.clone()),
            _ => return None,
        };
        let by = origin.span.start;
        let args = args
            .into_iter()
            .map(|mut a| {
                shift(&mut a.value, by);
                a
            })
            .collect();
        return Some(MadeBy {
            method,
            args,
            span: Span::new(call.span.start + by, call.span.end + by),
            text: text.get(call.span.start..call.span.end)?.to_string(),
        });
    }
    None
}

/// `randn`, `torch.randn`, `np.random.randn`: the last name of a callee.
fn callee_name(e: &Expr) -> Option<String> {
    match &e.kind {
        ExprKind::Name(n) => Some(n.clone()),
        ExprKind::Attr { name, .. } => Some(name.node.clone()),
        _ => None,
    }
}

/// The first call named one of `names` that the value is made from: the value itself,
/// an operand of arithmetic on it (`randn(3, 2) * 0.1`), or the receiver of a method
/// that keeps its shape (`randn(3, 2).requires_grad_()`).
fn find_call<'a>(e: &'a Expr, names: &[&str]) -> Option<&'a Expr> {
    match &e.kind {
        ExprKind::Call { callee, .. }
            if callee_name(callee).is_some_and(|n| names.contains(&n.as_str())) =>
        {
            Some(e)
        }
        ExprKind::Method { name, .. } if names.contains(&name.node.as_str()) => Some(e),
        ExprKind::Method { receiver, name, .. }
            if matches!(
                name.node.as_str(),
                "requires_grad_" | "float" | "detach" | "clone"
            ) =>
        {
            find_call(receiver, names)
        }
        ExprKind::Binary { lhs, rhs, .. } => {
            find_call(lhs, names).or_else(|| find_call(rhs, names))
        }
        _ => None,
    }
}

/// The reductions that take `keepdim`.
const REDUCTIONS: &[&str] = &[
    "sum",
    "mean",
    "max",
    "min",
    "amax",
    "amin",
    "var",
    "std",
    "prod",
    "logsumexp",
    "norm",
    "argmax",
    "argmin",
];

/// `keepdim=True` on the reduction that made `op` (`m = mean(X, axis=1)`).
pub(crate) fn keepdim_at_cause(cx: &dyn Context, op: &Operand) -> Option<Proposal> {
    let call = made_by(cx, op, REDUCTIONS)?;
    let axis_given =
        call.has_kw(&["axis", "dim"]) || call.positional().len() >= if call.method { 1 } else { 2 };
    if !axis_given || call.has_kw(&["keepdim", "keepdims"]) || !call.text.ends_with(')') {
        return None;
    }
    let fixed = format!("{}, keepdim=True)", &call.text[..call.text.len() - 1]);
    let text = format!(
        "`{}` lost the reduced axis where it was made: write `{fixed}` there, so that it keeps the axis as size 1 and broadcasts",
        op.text
    );
    Some(propose(call.span, fixed, text))
}

/// The constructors whose positional arguments are the sizes.
const CONSTRUCTORS: &[&str] = &["randn", "rand", "zeros", "ones", "empty"];

/// Make `op` (a variable from `randn(3, 2)`) have `size` on `axis` where it is made:
/// `W` needs 4 rows to take `x` [5, 4].
pub(crate) fn resize_at_cause(
    cx: &dyn Context,
    op: &Operand,
    shape: &[usize],
    axis: usize,
    size: usize,
    why: String,
) -> Option<Proposal> {
    let call = made_by(cx, op, CONSTRUCTORS)?;
    let sizes = call.positional();
    if sizes.len() != shape.len()
        || call.args.len() != sizes.len() && !call.has_kw(&["requires_grad"])
    {
        return None;
    }
    let literal = |e: &Expr, want: usize| matches!(e.kind, ExprKind::Number(n) if n == want as f64);
    if !sizes.iter().zip(shape).all(|(e, &d)| literal(e, d)) {
        return None;
    }
    let at = sizes[axis].span;
    let rel = (at.start - call.span.start, at.end - call.span.start);
    let new_call = format!("{}{size}{}", &call.text[..rel.0], &call.text[rel.1..]);
    let line = 1 + cx
        .source(cx.current_source())
        .inner()
        .get(..call.span.start)
        .map(|s| s.matches('\n').count())
        .unwrap_or(0);
    let text = format!("{why}: make it `{new_call}` where it is made (line {line})");
    Some(propose(at, size.to_string(), text))
}

/// `h -= mean(h)` changed a tensor the graph had saved: the out-of-place form
/// `h = h - mean(h)` leaves the saved version alone. Not for a weight update that uses
/// the gradient (`W -= lr * grad(W)`), whose fix is to compute the loss again.
pub(crate) fn out_of_place_at_change(cx: &dyn Context, at: super::Origin) -> Option<Proposal> {
    let (stmt, text) = parse_at(cx, at)?;
    let StmtKind::Assign {
        target: crate::syntax::ast::Target::Name(name),
        op: Some(op),
        value,
        ..
    } = &stmt.kind
    else {
        return None;
    };
    let rhs = text.get(value.span.start..value.span.end)?;
    if rhs.contains("grad") {
        return None;
    }
    let rhs = if crate::syntax::diagnostic::is_postfix_expr(rhs) {
        rhs.to_string()
    } else {
        format!("({rhs})")
    };
    let n = &name.node;
    let fixed = format!("{n} = {n} {} {rhs}", op.symbol());
    let why = format!("update `{n}` out of place, `{fixed}`: the graph keeps the version it saved");
    Some(propose(at.span, fixed, why))
}

/// `backward(loss)` after a tensor that `loss` was computed from changed: compute `loss`
/// again just before the `backward`, with the statement that made it, when that is one
/// plain assignment (`loss = ...`) earlier in this source.
pub(crate) fn recompute_before(cx: &dyn Context, loss: &Operand, at: Span) -> Option<Proposal> {
    let origin = loss.origin?;
    let (stmt, text) = parse_at(cx, origin)?;
    let StmtKind::Assign {
        target: crate::syntax::ast::Target::Name(name),
        op: None,
        ..
    } = &stmt.kind
    else {
        return None;
    };
    if name.node != loss.text || text.contains('\n') {
        return None;
    }
    let src = cx.source(cx.current_source()).inner().as_str();
    let line = src.get(..at.start)?.rfind('\n').map_or(0, |i| i + 1);
    let indent: String = src[line..]
        .chars()
        .take_while(|c| *c == ' ' || *c == '\t')
        .collect();
    let pos = line + indent.len();
    if origin.span.end > line {
        return None;
    }
    let why = format!(
        "compute `{}` again from the updated tensors just before `backward`: `{text}`",
        loss.text
    );
    Some(propose(
        Span::new(pos, pos),
        format!("{text}\n{indent}"),
        why,
    ))
}
