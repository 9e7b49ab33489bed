//! Each op's shape with symbolic sizes, through the op's own rule in `tensor::shape`:
//! sizes that the rule needs equal are unified, a mismatch of real sizes is an error,
//! and a mismatch that depends on a size known only at run time is undecided.

use super::dims::{call_rule, has_sym, is_sym, RuleOut, ANON};
use super::value::AVal;
use super::Checker;
use crate::runtime::explain::{self, shape_str, Operand, Site};
use crate::syntax::diagnostic::Diagnostic;
use crate::syntax::span::Span;
use crate::tensor::{shape, IndexItem, MatMulKind, TensorError};

/// One item of an index expression, possibly unknown.
#[derive(Clone, Debug)]
pub enum AIdx {
    At(Option<isize>),
    /// `start:stop:step`; `None` when a bound is not known.
    Slice(Option<(Option<isize>, Option<isize>, isize)>),
    /// A tensor, list, `None` or `...` (advanced indexing: the result shape is not
    /// followed yet; `tensor::take::index_plan` is its rule).
    Advanced,
}

const MAX_RETRIES: usize = 16;

impl Checker {
    pub fn canon(&self, s: &[usize]) -> Vec<usize> {
        self.st.syms.canon_shape(s)
    }

    /// Make the sizes `a` and `b` equal where a rule needs them equal; false when both
    /// are real sizes that differ.
    fn equate(&mut self, a: usize, b: usize, at: Span) -> bool {
        self.st.syms.unify(a, b, at)
    }

    /// `a op b` for every broadcasting operator.
    pub fn rule_broadcast(&mut self, a: &[usize], b: &[usize]) -> RuleOut {
        let (mut a, mut b) = (self.canon(a), self.canon(b));
        let mut undecided: Option<String> = None;
        for _ in 0..MAX_RETRIES {
            match call_rule(&[a.clone(), b.clone()], &[], |s, _| {
                shape::broadcast_shapes(&s[0], &s[1])
            }) {
                Ok(out) => {
                    return match undecided {
                        Some(msg) => RuleOut::Undecided(msg, Some(out)),
                        None => RuleOut::Ok(out),
                    }
                }
                Err(TensorError::Broadcast {
                    lhs,
                    rhs,
                    lhs_axis,
                    rhs_axis,
                }) => {
                    let (x, y) = (lhs[lhs_axis], rhs[rhs_axis]);
                    if !is_sym(x) && !is_sym(y) {
                        return RuleOut::Error(TensorError::Broadcast {
                            lhs,
                            rhs,
                            lhs_axis,
                            rhs_axis,
                        });
                    }
                    if (x != ANON && is_sym(x)) || (y != ANON && is_sym(y)) {
                        undecided.get_or_insert_with(|| {
                            format!("whether {} and {} broadcast depends on sizes known only when the program runs", shape_str(&lhs), shape_str(&rhs))
                        });
                    } else if (x == ANON && !is_sym(y) && y > 1)
                        || (y == ANON && !is_sym(x) && x > 1)
                    {
                        // A size the check could not follow (a slice with bounds from data,
                        // a list grown in a loop) against a real one: say so, not nothing.
                        undecided.get_or_insert_with(|| {
                            format!("whether {} and {} broadcast depends on a size `?` known only when the program runs (from data, or from a loop whose length is not known)", shape_str(&lhs), shape_str(&rhs))
                        });
                    }
                    if is_sym(x) && !is_sym(y) {
                        a[lhs_axis] = 1;
                    } else if !is_sym(x) {
                        b[rhs_axis] = 1;
                    } else {
                        a[lhs_axis] = 1;
                        b[rhs_axis] = ANON;
                    }
                }
                Err(e) => return self.sym_error(e, &[&a, &b]),
            }
        }
        RuleOut::Undecided(String::new(), None)
    }

    /// A rule error: real when no symbolic size is involved.
    fn sym_error(&self, e: TensorError, shapes: &[&[usize]]) -> RuleOut {
        if shapes.iter().any(|s| has_sym(s)) {
            RuleOut::Undecided(String::new(), None)
        } else {
            RuleOut::Error(e)
        }
    }

    pub fn rule_matmul(&mut self, a: &[usize], b: &[usize], at: Span) -> RuleOut {
        let (mut a, mut b) = (self.canon(a), self.canon(b));
        for _ in 0..MAX_RETRIES {
            match call_rule(&[a.clone(), b.clone()], &[], |s, _| {
                shape::matmul_shape(&s[0], &s[1])
            }) {
                Ok(out) => return RuleOut::Ok(out),
                Err(TensorError::MatMul {
                    lhs,
                    rhs,
                    kind: MatMulKind::Inner,
                }) => {
                    let ia = lhs.len() - 1;
                    let ib = if rhs.len() == 1 { 0 } else { rhs.len() - 2 };
                    let (x, y) = (lhs[ia], rhs[ib]);
                    if !is_sym(x) && !is_sym(y) {
                        return RuleOut::Error(TensorError::MatMul {
                            lhs,
                            rhs,
                            kind: MatMulKind::Inner,
                        });
                    }
                    if x == ANON {
                        a[ia] = y;
                    } else if y == ANON {
                        b[ib] = x;
                    } else {
                        self.equate(x, y, at);
                        a = self.canon(&a);
                        b = self.canon(&b);
                    }
                }
                Err(
                    e @ TensorError::MatMul {
                        kind: MatMulKind::Batch,
                        ..
                    },
                ) => return self.sym_error(e, &[&a, &b]),
                Err(e) => return self.sym_error(e, &[&a, &b]),
            }
        }
        RuleOut::Undecided(String::new(), None)
    }

    /// Make two same-rank shapes equal size by size (a rule needs them identical).
    fn equate_shapes(&mut self, a: &mut [usize], b: &mut [usize], at: Span) {
        for i in 0..a.len().min(b.len()) {
            let (x, y) = (self.st.syms.canon(a[i]), self.st.syms.canon(b[i]));
            if x == y || (!is_sym(x) && !is_sym(y)) {
                continue;
            }
            if x == ANON {
                a[i] = y;
            } else if y == ANON {
                b[i] = x;
            } else {
                self.equate(x, y, at);
            }
        }
        let (ca, cb) = (self.canon(a), self.canon(b));
        a.copy_from_slice(&ca);
        b.copy_from_slice(&cb);
    }

    /// `mse`, `bce`, `bce_logits`: both shapes identical.
    pub fn rule_loss(&mut self, loss: &'static str, p: &[usize], t: &[usize], at: Span) -> RuleOut {
        let (mut p, mut t) = (self.canon(p), self.canon(t));
        if p.len() == t.len() {
            self.equate_shapes(&mut p, &mut t, at);
        }
        match shape::loss_shape(loss, &p, &t) {
            Ok(out) => RuleOut::Ok(out),
            Err(e) => RuleOut::Error(e),
        }
    }

    pub fn rule_cross_entropy(&mut self, l: &[usize], t: &[usize], at: Span) -> RuleOut {
        let (mut l, mut t) = (self.canon(l), self.canon(t));
        if (1..=2).contains(&l.len()) {
            if t.len() == l.len() {
                self.equate_shapes(&mut l, &mut t, at);
            } else if t.len() + 1 == l.len() {
                let n = t.len();
                self.equate_shapes(&mut l[..n], &mut t, at);
            }
        }
        match call_rule(&[l.clone(), t.clone()], &[], |s, _| {
            shape::cross_entropy_shape(&s[0], &s[1]).map(|r| r.0)
        }) {
            Ok(out) => RuleOut::Ok(out),
            Err(e) => RuleOut::Error(e),
        }
    }

    /// `cat` (`stack == false`) or `stack` of known shapes along `axis`.
    pub fn rule_cat(
        &mut self,
        shapes: &[Vec<usize>],
        axis: isize,
        stack: bool,
        at: Span,
    ) -> RuleOut {
        let mut shapes: Vec<Vec<usize>> = shapes.iter().map(|s| self.canon(s)).collect();
        let first_rank = shapes.first().map(|s| s.len()).unwrap_or(0);
        let ax = if stack {
            None
        } else {
            shape::normalize_axis(axis, first_rank).ok()
        };
        if shapes.iter().all(|s| s.len() == first_rank) {
            for i in 1..shapes.len() {
                let (head, rest) = shapes.split_at_mut(i);
                let (first, other) = (&mut head[0], &mut rest[0]);
                for d in 0..first_rank {
                    if Some(d) == ax {
                        continue;
                    }
                    let (x, y) = (self.st.syms.canon(first[d]), self.st.syms.canon(other[d]));
                    if x == y || (!is_sym(x) && !is_sym(y)) {
                        continue;
                    }
                    if x == ANON {
                        first[d] = y;
                    } else if y == ANON {
                        other[d] = x;
                    } else {
                        self.st.syms.unify(x, y, at);
                        first[d] = self.st.syms.canon(x);
                        other[d] = first[d];
                    }
                }
            }
        }
        let result = call_rule(&shapes, &[shapes.len()], |s, _| {
            let refs: Vec<&[usize]> = s.iter().map(|v| v.as_slice()).collect();
            if stack {
                shape::stack_shape(&refs, axis).map(|r| r.0)
            } else {
                shape::cat_shape(&refs, axis).map(|r| r.0)
            }
        });
        match result {
            Ok(mut out) => {
                if let Some(ax) = ax {
                    if shapes.iter().any(|s| is_sym(s[ax])) {
                        out[ax] = if shapes.len() == 1 {
                            shapes[0][ax]
                        } else {
                            ANON
                        };
                    }
                }
                RuleOut::Ok(out)
            }
            Err(e) => {
                let refs: Vec<&[usize]> = shapes.iter().map(|v| v.as_slice()).collect();
                match &e {
                    TensorError::Cat { .. } | TensorError::Axis { .. } => RuleOut::Error(e),
                    _ => self.sym_error(e, &refs),
                }
            }
        }
    }

    /// `reshape(x, spec)`; sizes in `spec` may be symbolic.
    pub fn rule_reshape(&mut self, from: &[usize], spec: &[isize]) -> RuleOut {
        let from = self.canon(from);
        let spec: Vec<isize> = spec
            .iter()
            .map(|&d| {
                if d >= 0 && is_sym(d as usize) {
                    self.st.syms.canon(d as usize) as isize
                } else {
                    d
                }
            })
            .collect();
        let spec_syms: Vec<usize> = spec
            .iter()
            .filter(|&&d| d >= 0 && is_sym(d as usize))
            .map(|&d| d as usize)
            .collect();
        if !has_sym(&from) && spec_syms.is_empty() {
            return match shape::reshape_shape(&from, &spec) {
                Ok(out) => RuleOut::Ok(out),
                Err(e) => RuleOut::Error(e),
            };
        }
        let undecided = |what: &str| {
            RuleOut::Undecided(
                format!(
                    "whether {} can be reshaped to {} depends on {what}",
                    shape_str(&from),
                    spec_text(&spec)
                ),
                None,
            )
        };
        if spec.iter().filter(|&&d| d == -1).count() > 1 || spec.iter().any(|&d| d < -1) {
            let small: Vec<isize> = spec
                .iter()
                .map(|&d| if d >= 0 && is_sym(d as usize) { 2 } else { d })
                .collect();
            return match shape::reshape_shape(&[], &small) {
                Err(TensorError::Reshape { reason, .. }) => RuleOut::Error(TensorError::Reshape {
                    from: from.clone(),
                    spec: spec.clone(),
                    reason,
                }),
                _ => undecided("sizes known only when the program runs"),
            };
        }
        if from.contains(&ANON) || spec_syms.contains(&ANON) {
            let out: Vec<usize> = spec
                .iter()
                .map(|&d| if d == -1 { ANON } else { d as usize })
                .collect();
            // Fixed sizes against a count the check could not follow (a slice of data:
            // the last batch of a loop may be shorter): say so.
            let fixed: u128 = spec
                .iter()
                .filter(|&&d| d >= 0 && !is_sym(d as usize))
                .map(|&d| d as u128)
                .product();
            if from.contains(&ANON) && fixed > 1 {
                return RuleOut::Undecided(
                    format!(
                        "whether {} can be reshaped to {} depends on a size `?` known only when the program runs\na slice of data (the last batch of a loop) may be shorter than the sizes written here; sizes taken from the tensor itself, such as `x.shape[0]`, always fit",
                        shape_str(&from),
                        spec_text(&spec)
                    ),
                    Some(out),
                );
            }
            return RuleOut::Ok(out);
        }
        let mut from_syms: Vec<usize> = from.iter().copied().filter(|&d| is_sym(d)).collect();
        let from_real: u128 = from
            .iter()
            .filter(|&&d| !is_sym(d))
            .map(|&d| d as u128)
            .product();
        let spec_real: u128 = spec
            .iter()
            .filter(|&&d| d >= 0 && !is_sym(d as usize))
            .map(|&d| d as u128)
            .product();
        for s in &spec_syms {
            match from_syms.iter().position(|x| x == s) {
                Some(i) => {
                    from_syms.remove(i);
                }
                None => return undecided("sizes known only when the program runs"),
            }
        }
        let infer = spec.iter().position(|&d| d == -1);
        let dims = |fill: usize| {
            spec.iter()
                .map(|&d| if d == -1 { fill } else { d as usize })
                .collect::<Vec<usize>>()
        };
        match infer {
            None if from_syms.is_empty() && from_real == spec_real => RuleOut::Ok(dims(0)),
            None => undecided("sizes known only when the program runs"),
            Some(_) if spec_real != 0 && from_real.is_multiple_of(spec_real) => {
                let factor = (from_real / spec_real) as usize;
                match (from_syms.len(), factor) {
                    (0, f) => RuleOut::Ok(dims(f)),
                    (1, 1) => RuleOut::Ok(dims(from_syms[0])),
                    _ => RuleOut::Ok(dims(ANON)),
                }
            }
            Some(_) => undecided("sizes known only when the program runs"),
        }
    }

    /// `target op= value`: the value must broadcast to exactly the target's shape.
    pub fn rule_in_place(&mut self, target: &[usize], value: &[usize]) -> RuleOut {
        let target = self.canon(target);
        let value = self.canon(value);
        match self.rule_broadcast(&target, &value) {
            RuleOut::Ok(out) | RuleOut::Undecided(_, Some(out)) => {
                if out.len() != target.len() {
                    return RuleOut::Error(TensorError::InPlace { target, value });
                }
                for (o, t) in out.iter().zip(&target) {
                    if o != t && !is_sym(*o) && !is_sym(*t) {
                        return RuleOut::Error(TensorError::InPlace { target, value });
                    }
                }
                RuleOut::Ok(target)
            }
            other => other,
        }
    }

    /// `x[items]`.
    pub fn rule_index(&mut self, s: &[usize], items: &[AIdx]) -> RuleOut {
        if items.iter().any(|i| matches!(i, AIdx::Advanced)) {
            return RuleOut::Undecided(String::new(), None);
        }
        let s = self.canon(s);
        let mut extras: Vec<usize> = Vec::new();
        let mut real: Vec<IndexItem> = Vec::with_capacity(items.len());
        for (axis, it) in items.iter().enumerate() {
            match it {
                AIdx::At(Some(i)) => {
                    extras.push(i.unsigned_abs() + 1);
                    real.push(IndexItem::At(*i));
                }
                AIdx::At(None) => {
                    if s.get(axis).map(|&d| d == 0).unwrap_or(false) {
                        return RuleOut::Undecided(String::new(), None);
                    }
                    real.push(IndexItem::At(0));
                }
                AIdx::Slice(Some((a, b, step))) => {
                    extras.extend(a.iter().chain(b.iter()).map(|v| v.unsigned_abs() + 1));
                    real.push(IndexItem::Slice {
                        start: *a,
                        stop: *b,
                        step: *step,
                    });
                }
                AIdx::Slice(None) | AIdx::Advanced => real.push(IndexItem::Slice {
                    start: None,
                    stop: None,
                    step: 1,
                }),
            }
        }
        match call_rule(std::slice::from_ref(&s), &extras, |sh, _| {
            crate::tensor::take::index_shape(&sh[0], &real)
        }) {
            Ok(out) => {
                let mut fixed = Vec::with_capacity(out.len());
                let mut pos = 0;
                for (axis, it) in items.iter().enumerate() {
                    if let AIdx::At(_) = it {
                        continue;
                    }
                    let d = s[axis];
                    let full = matches!(it, AIdx::Slice(Some((None, None, 1))));
                    fixed.push(if is_sym(d) {
                        if full {
                            d
                        } else {
                            ANON
                        }
                    } else if matches!(it, AIdx::Slice(None)) {
                        ANON
                    } else {
                        out[pos]
                    });
                    pos += 1;
                }
                fixed.extend_from_slice(&s[items.len().min(s.len())..]);
                RuleOut::Ok(fixed)
            }
            Err(e @ TensorError::IndexOutOfRange { .. }) => self.sym_error(e, &[&s]),
            Err(e @ TensorError::TooManyIndices { .. }) => RuleOut::Error(e),
            Err(e) => self.sym_error(e, &[&s]),
        }
    }

    /// `squeeze(x, axis)`.
    pub fn rule_squeeze(&mut self, s: &[usize], axis: Option<isize>, at: Span) -> RuleOut {
        let s = self.canon(s);
        match axis {
            None if has_sym(&s) => RuleOut::Undecided(String::new(), None),
            None => RuleOut::Ok(s.iter().copied().filter(|&d| d != 1).collect()),
            Some(a) => match shape::normalize_axis(a, s.len()) {
                Err(e) => RuleOut::Error(e),
                Ok(ax) if is_sym(s[ax]) => {
                    self.equate(s[ax], 1, at);
                    let mut out = s.clone();
                    out.remove(ax);
                    RuleOut::Ok(out)
                }
                Ok(_) => match shape::squeeze_shape(&s, Some(a)) {
                    Ok(out) => RuleOut::Ok(out),
                    Err(e) => RuleOut::Error(e),
                },
            },
        }
    }

    /// A rule that only moves sizes around (transpose, reductions, softmax, ...).
    pub fn rule_simple(
        &mut self,
        s: &[usize],
        f: impl FnOnce(&[usize]) -> Result<Vec<usize>, TensorError>,
    ) -> RuleOut {
        let s = self.canon(s);
        match call_rule(&[s.clone()], &[], |sh, _| f(&sh[0])) {
            Ok(out) => RuleOut::Ok(out),
            Err(e @ TensorError::Axis { .. }) => RuleOut::Error(e),
            Err(e) => self.sym_error(e, &[&s]),
        }
    }

    // ------------------------------------------------------------ reporting

    /// An operand of a failing op, as the evaluator would describe it.
    pub fn operand(&self, span: Span, v: &AVal) -> Operand {
        let shape = match v {
            AVal::Tensor(t) => t.shape.as_ref().map(|s| self.canon(s)),
            _ => None,
        };
        let kind = match v {
            AVal::Unknown => "value",
            other => other.kind(),
        };
        Operand::named(self.text_of(span), span, shape, kind, |name| {
            self.lookup(name).map(|b| crate::runtime::explain::Origin {
                src_id: self.interp.src_id,
                span: b.origin,
            })
        })
    }

    /// The result of a rule at `site`: the shape on success, `None` after reporting an
    /// error (the failing value becomes unknown) or advice.
    pub fn settle(&mut self, out: RuleOut, site: &Site, raw: &[&[usize]]) -> Option<Vec<usize>> {
        match out {
            RuleOut::Ok(s) => Some(s),
            RuleOut::Undecided(msg, s) => {
                // A rule's message may carry its help after a newline.
                match msg.split_once('\n') {
                    Some((m, help)) => {
                        self.advise(site.primary, m.to_string(), Some(help.to_string()))
                    }
                    None if !msg.is_empty() => self.advise(site.primary, msg, None),
                    None => {}
                }
                s
            }
            RuleOut::Error(e) => {
                self.tensor_error(e, site, raw);
                None
            }
        }
    }

    /// Report a tensor error through the one conversion the evaluator uses, adding where
    /// each symbolic size involved was fixed.
    pub fn tensor_error(&mut self, e: TensorError, site: &Site, raw: &[&[usize]]) {
        if !products_fit(&e) {
            self.advise(
                site.primary,
                format!(
                    "`{}` may fail for sizes known only when the program runs",
                    site.op
                ),
                None,
            );
            return;
        }
        let mut d: Diagnostic = explain::tensor_error(&self.interp, e, site);
        for (name, value, at, _) in self.st.syms.fixed_in(raw) {
            let overlaps = d
                .labels
                .iter()
                .any(|l| l.span.start < at.end && at.start < l.span.end);
            if !overlaps {
                d = d.label(at, format!("here `{name}` had to be {value}"));
            }
        }
        self.report(d);
    }
}

fn spec_text(spec: &[isize]) -> String {
    format!(
        "[{}]",
        spec.iter()
            .map(|d| d.to_string())
            .collect::<Vec<_>>()
            .join(", ")
    )
}

/// Whether every shape in the error has an element count that fits in a `usize` (the
/// diagnostics multiply sizes; several symbolic sizes would overflow).
fn products_fit(e: &TensorError) -> bool {
    let fits = |s: &[usize]| {
        s.iter()
            .try_fold(1usize, |a, &d| a.checked_mul(d))
            .is_some()
    };
    match e {
        TensorError::Broadcast { lhs, rhs, .. } | TensorError::MatMul { lhs, rhs, .. } => {
            fits(lhs) && fits(rhs)
        }
        TensorError::InPlace { target, value } => fits(target) && fits(value),
        TensorError::Reshape { from, .. } => fits(from),
        TensorError::Cat { shapes, .. } => shapes.iter().all(|s| fits(s)),
        TensorError::LossShape { pred, target, .. } => fits(pred) && fits(target),
        TensorError::NotScalar { shape } => fits(shape),
        _ => true,
    }
}
