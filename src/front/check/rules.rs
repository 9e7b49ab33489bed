//! Each op's shape with symbolic sizes, through the op's own rule in `tensor::shape`:
//! sizes that the rule needs equal are unified, a mismatch of real sizes is an error,
//! and a mismatch that depends on a size known only at run time is undecided.

use super::dims::{
    call_rule, has_sym, is_sym, shown, shown_dim, unshown, Dim, RuleOut, Shape, ANON,
};
use super::value::AVal;
use super::Checker;
use crate::runtime::explain::{self, shape_str, Operand, Site};
use crate::syntax::diagnostic::Diagnostic;
use crate::syntax::span::Span;
use crate::tensor::{shape, IndexItem, MatMulKind, TensorError};

/// An index item with its parts evaluated: the value at one position, a slice's start,
/// stop and step, or `...`; with their spans.
pub enum AItem {
    At(AVal, Span),
    Slice([Option<(AVal, Span)>; 3], Span),
    Ellipsis,
}

/// One item of an index expression, possibly unknown.
#[derive(Clone, Debug)]
pub enum AIdx {
    At(Option<isize>),
    /// `start:stop:step`; `None` when a bound is not known.
    Slice(Option<(Option<isize>, Option<isize>, isize)>),
    /// A known index value that is not a plain position: `...`, `None`, a list, a range,
    /// a bool (the run's own item).
    Item(IndexItem),
    /// A tensor of known shape used as an index: positions, or a mask (`Some(true)`);
    /// `None` when it is not known which.
    Array(Shape, Option<bool>),
    /// A value not known well enough to follow (the result shape is undecided).
    Advanced,
}

/// One size of a `reshape` spec: a size (real or symbolic), or a negative number (`-1`
/// infers the size; any other is an error).
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum SpecDim {
    Size(Dim),
    Neg(isize),
}

const MAX_RETRIES: usize = 16;

impl Checker {
    pub fn canon(&self, s: &[Dim]) -> Shape {
        self.st.syms.canon_shape(s)
    }

    /// Make the sizes `a` and `b` equal where a rule needs them equal; false when both
    /// are real sizes that differ.
    fn equate(&mut self, a: Dim, b: Dim, at: Span) -> bool {
        self.st.syms.unify(a, b, at)
    }

    /// `a op b` for every broadcasting operator.
    pub fn rule_broadcast(&mut self, a: &[Dim], b: &[Dim]) -> RuleOut {
        let (mut a, mut b) = (self.canon(a), self.canon(b));
        let mut undecided: Option<String> = None;
        for _ in 0..MAX_RETRIES {
            match call_rule(&[a.clone(), b.clone()], &[], |s| {
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
                    let (x, y) = (unshown(lhs[lhs_axis]), unshown(rhs[rhs_axis]));
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
                    } else if (x == ANON && y.known().is_some_and(|y| y > 1))
                        || (y == ANON && x.known().is_some_and(|x| x > 1))
                    {
                        // A size the check could not follow (a slice with bounds from data,
                        // a list grown in a loop) against a real one: say so, not nothing.
                        undecided.get_or_insert_with(|| {
                            format!("whether {} and {} broadcast depends on a size `?` known only when the program runs (from data, or from a loop whose length is not known)", shape_str(&lhs), shape_str(&rhs))
                        });
                    }
                    if is_sym(x) && !is_sym(y) {
                        a[lhs_axis] = Dim::Known(1);
                    } else if !is_sym(x) {
                        b[rhs_axis] = Dim::Known(1);
                    } else {
                        a[lhs_axis] = Dim::Known(1);
                        b[rhs_axis] = ANON;
                    }
                }
                Err(e) => return self.sym_error(e, &[&a, &b]),
            }
        }
        RuleOut::Undecided(String::new(), None)
    }

    /// A rule error: real when no symbolic size is involved.
    pub(super) fn sym_error(&self, e: TensorError, shapes: &[&[Dim]]) -> RuleOut {
        if shapes.iter().any(|s| has_sym(s)) {
            RuleOut::Undecided(String::new(), None)
        } else {
            RuleOut::Error(e)
        }
    }

    pub fn rule_matmul(&mut self, a: &[Dim], b: &[Dim], at: Span) -> RuleOut {
        let (mut a, mut b) = (self.canon(a), self.canon(b));
        for _ in 0..MAX_RETRIES {
            match call_rule(&[a.clone(), b.clone()], &[], |s| {
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
                    let (x, y) = (unshown(lhs[ia]), unshown(rhs[ib]));
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
    fn equate_shapes(&mut self, a: &mut [Dim], b: &mut [Dim], at: Span) {
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
    pub fn rule_loss(&mut self, loss: &'static str, p: &[Dim], t: &[Dim], at: Span) -> RuleOut {
        let (mut p, mut t) = (self.canon(p), self.canon(t));
        if p.len() == t.len() {
            self.equate_shapes(&mut p, &mut t, at);
        }
        match call_rule(&[p, t], &[], |s| shape::loss_shape(loss, &s[0], &s[1])) {
            Ok(out) => RuleOut::Ok(out),
            Err(e) => RuleOut::Error(e),
        }
    }

    pub fn rule_cross_entropy(&mut self, l: &[Dim], t: &[Dim], at: Span) -> RuleOut {
        let (mut l, mut t) = (self.canon(l), self.canon(t));
        if (1..=2).contains(&l.len()) {
            if t.len() == l.len() {
                self.equate_shapes(&mut l, &mut t, at);
            } else if t.len() + 1 == l.len() {
                let n = t.len();
                self.equate_shapes(&mut l[..n], &mut t, at);
            }
        }
        match call_rule(&[l.clone(), t.clone()], &[], |s| {
            shape::cross_entropy_shape(&s[0], &s[1]).map(|r| r.0)
        }) {
            Ok(out) => RuleOut::Ok(out),
            Err(e) => RuleOut::Error(e),
        }
    }

    /// `cat` (`stack == false`) or `stack` of known shapes along `axis`.
    pub fn rule_cat(&mut self, shapes: &[Shape], axis: isize, stack: bool, at: Span) -> RuleOut {
        let mut shapes: Vec<Shape> = shapes.iter().map(|s| self.canon(s)).collect();
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
        let result = call_rule(&shapes, &[Dim::Known(shapes.len())], |s| {
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
                let refs: Vec<&[Dim]> = shapes.iter().map(|v| v.as_slice()).collect();
                match &e {
                    TensorError::Cat { .. } | TensorError::Axis { .. } => RuleOut::Error(e),
                    _ => self.sym_error(e, &refs),
                }
            }
        }
    }

    /// `reshape(x, spec)`; sizes in `spec` may be symbolic.
    pub fn rule_reshape(&mut self, from: &[Dim], spec: &[SpecDim]) -> RuleOut {
        let from = self.canon(from);
        let spec: Vec<SpecDim> = spec
            .iter()
            .map(|&d| match d {
                SpecDim::Size(d) => SpecDim::Size(self.st.syms.canon(d)),
                neg => neg,
            })
            .collect();
        let spec_syms: Vec<Dim> = spec
            .iter()
            .filter_map(|d| match d {
                SpecDim::Size(d) if is_sym(*d) => Some(*d),
                _ => None,
            })
            .collect();
        // The spec as the real rule takes it, symbols written as `fill`.
        let numbers = |fill: &dyn Fn(Dim) -> usize| -> Vec<isize> {
            spec.iter()
                .map(|&d| match d {
                    SpecDim::Size(Dim::Known(n)) => n as isize,
                    SpecDim::Size(sym) => fill(sym) as isize,
                    SpecDim::Neg(n) => n,
                })
                .collect()
        };
        let shown_spec = numbers(&shown_dim);
        if let (Some(from), true) = (Dim::real(&from), spec_syms.is_empty()) {
            return match shape::reshape_shape(&from, &shown_spec) {
                Ok(out) => RuleOut::Ok(Dim::shape(&out)),
                Err(e) => RuleOut::Error(e),
            };
        }
        let undecided = |what: &str| {
            RuleOut::Undecided(
                format!(
                    "whether {} can be reshaped to {} depends on {what}",
                    shape_str(&shown(&from)),
                    spec_text(&shown_spec)
                ),
                None,
            )
        };
        let negatives = || {
            spec.iter().filter_map(|d| match d {
                SpecDim::Neg(n) => Some(*n),
                SpecDim::Size(_) => None,
            })
        };
        if negatives().filter(|&n| n == -1).count() > 1 || negatives().any(|n| n < -1) {
            return match shape::reshape_shape(&[], &numbers(&|_| 2)) {
                Err(TensorError::Reshape { reason, .. }) => RuleOut::Error(TensorError::Reshape {
                    from: shown(&from),
                    spec: shown_spec.clone(),
                    reason,
                }),
                _ => undecided("sizes known only when the program runs"),
            };
        }
        let reals = |s: &mut dyn Iterator<Item = Dim>| -> u128 {
            s.filter_map(|d| d.known()).map(|d| d as u128).product()
        };
        let spec_sizes = || {
            spec.iter().filter_map(|d| match d {
                SpecDim::Size(d) => Some(*d),
                SpecDim::Neg(_) => None,
            })
        };
        let dims = |fill: Dim| -> Shape {
            spec.iter()
                .map(|&d| match d {
                    SpecDim::Size(d) => d,
                    SpecDim::Neg(_) => fill,
                })
                .collect()
        };
        if from.contains(&ANON) || spec_syms.contains(&ANON) {
            let out = dims(ANON);
            // Fixed sizes against a count the check could not follow (a slice of data:
            // the last batch of a loop may be shorter): say so.
            let fixed = reals(&mut spec_sizes());
            if from.contains(&ANON) && fixed > 1 {
                return RuleOut::Undecided(
                    format!(
                        "whether {} can be reshaped to {} depends on a size `?` known only when the program runs\na slice of data (the last batch of a loop) may be shorter than the sizes written here; sizes taken from the tensor itself, such as `x.shape[0]`, always fit",
                        shape_str(&shown(&from)),
                        spec_text(&shown_spec)
                    ),
                    Some(out),
                );
            }
            return RuleOut::Ok(out);
        }
        let mut from_syms: Vec<Dim> = from.iter().copied().filter(|&d| is_sym(d)).collect();
        let from_real = reals(&mut from.iter().copied());
        let spec_real = reals(&mut spec_sizes());
        for s in &spec_syms {
            match from_syms.iter().position(|x| x == s) {
                Some(i) => {
                    from_syms.remove(i);
                }
                None => return undecided("sizes known only when the program runs"),
            }
        }
        let infer = spec.contains(&SpecDim::Neg(-1));
        match infer {
            false if from_syms.is_empty() && from_real == spec_real => {
                RuleOut::Ok(dims(Dim::Known(0)))
            }
            false => undecided("sizes known only when the program runs"),
            true if spec_real != 0 && from_real.is_multiple_of(spec_real) => {
                let factor = (from_real / spec_real) as usize;
                match (from_syms.len(), factor) {
                    (0, f) => RuleOut::Ok(dims(Dim::Known(f))),
                    (1, 1) => RuleOut::Ok(dims(from_syms[0])),
                    _ => RuleOut::Ok(dims(ANON)),
                }
            }
            true => undecided("sizes known only when the program runs"),
        }
    }

    /// `target op= value`: the value must broadcast to exactly the target's shape.
    pub fn rule_in_place(&mut self, target: &[Dim], value: &[Dim]) -> RuleOut {
        let target = self.canon(target);
        let value = self.canon(value);
        match self.rule_broadcast(&target, &value) {
            RuleOut::Ok(out) | RuleOut::Undecided(_, Some(out)) => {
                let error = || {
                    RuleOut::Error(TensorError::InPlace {
                        target: shown(&target),
                        value: shown(&value),
                    })
                };
                if out.len() != target.len() {
                    return error();
                }
                for (o, t) in out.iter().zip(&target) {
                    if o != t && !is_sym(*o) && !is_sym(*t) {
                        return error();
                    }
                }
                RuleOut::Ok(target)
            }
            other => other,
        }
    }

    /// `x[items]`.
    pub fn rule_index(&mut self, s: &[Dim], items: &[AIdx]) -> RuleOut {
        if items
            .iter()
            .any(|i| matches!(i, AIdx::Advanced | AIdx::Item(_) | AIdx::Array(..)))
        {
            return self.rule_index_advanced(s, items);
        }
        let s = self.canon(s);
        let mut extras: Vec<Dim> = Vec::new();
        let mut real: Vec<IndexItem> = Vec::with_capacity(items.len());
        for (axis, it) in items.iter().enumerate() {
            match it {
                AIdx::At(Some(i)) => {
                    extras.push(Dim::Known(i.unsigned_abs() + 1));
                    real.push(IndexItem::At(*i));
                }
                AIdx::At(None) => {
                    if s.get(axis).is_some_and(|&d| d.is(0)) {
                        return RuleOut::Undecided(String::new(), None);
                    }
                    real.push(IndexItem::At(0));
                }
                AIdx::Slice(Some((a, b, step))) => {
                    extras.extend(
                        a.iter()
                            .chain(b.iter())
                            .map(|v| Dim::Known(v.unsigned_abs() + 1)),
                    );
                    real.push(IndexItem::Slice {
                        start: *a,
                        stop: *b,
                        step: *step,
                    });
                }
                AIdx::Slice(None) | AIdx::Advanced | AIdx::Item(_) | AIdx::Array(..) => {
                    real.push(IndexItem::Slice {
                        start: None,
                        stop: None,
                        step: 1,
                    })
                }
            }
        }
        match call_rule(std::slice::from_ref(&s), &extras, |sh| {
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
    pub fn rule_squeeze(&mut self, s: &[Dim], axis: Option<isize>, at: Span) -> RuleOut {
        let s = self.canon(s);
        match axis {
            None if has_sym(&s) => RuleOut::Undecided(String::new(), None),
            None => RuleOut::Ok(s.iter().copied().filter(|&d| !d.is(1)).collect()),
            Some(a) => match shape::normalize_axis(a, s.len()) {
                Err(e) => RuleOut::Error(e),
                Ok(ax) if is_sym(s[ax]) => {
                    self.equate(s[ax], Dim::Known(1), at);
                    let mut out = s.clone();
                    out.remove(ax);
                    RuleOut::Ok(out)
                }
                Ok(_) => match call_rule(&[s], &[], |sh| shape::squeeze_shape(&sh[0], Some(a))) {
                    Ok(out) => RuleOut::Ok(out),
                    Err(e) => RuleOut::Error(e),
                },
            },
        }
    }

    /// A rule that only moves sizes around (transpose, reductions, softmax, ...).
    pub fn rule_simple(
        &mut self,
        s: &[Dim],
        f: impl FnOnce(&[usize]) -> Result<Vec<usize>, TensorError>,
    ) -> RuleOut {
        let s = self.canon(s);
        match call_rule(std::slice::from_ref(&s), &[], |sh| f(&sh[0])) {
            Ok(out) => RuleOut::Ok(out),
            Err(e @ TensorError::Axis { .. }) => RuleOut::Error(e),
            Err(e) => self.sym_error(e, &[&s]),
        }
    }

    // ------------------------------------------------------------ reporting

    /// An operand of a failing op, as the evaluator would describe it.
    pub fn operand(&self, span: Span, v: &AVal) -> Operand {
        let shape = match v {
            AVal::Tensor(t) => t.shape.as_ref().map(|s| shown(&self.canon(s))),
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
    pub fn settle(&mut self, out: RuleOut, site: &Site, raw: &[&[Dim]]) -> Option<Shape> {
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
    pub fn tensor_error(&mut self, e: TensorError, site: &Site, raw: &[&[Dim]]) {
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
