//! Calls of builtins: arguments are bound by the ONE binder of `builtins.rs` (so arity
//! and keyword errors are the evaluator's own), pure builtins on known values run for
//! real, and every tensor builtin computes its result's shape with its op's rule.

use super::dims::{is_sym, Dim, RuleOut, Shape, ANON};
use super::expr::{dim_number, known_numel, AArg};
use super::value::{AList, ANum, ATensor, AVal};
use super::{Backward, Checker};
use crate::runtime::builtins::{self, Builtin, P};
use crate::runtime::call::ArgVal;
use crate::runtime::explain::Site;
use crate::runtime::interp::R;
use crate::runtime::value::Check;
use crate::runtime::value::Value;
use crate::syntax::diagnostic::Diagnostic;
use crate::syntax::span::Span;
use crate::tensor::{shape, TensorError};
use std::cell::RefCell;
use std::rc::Rc;

pub fn find_builtin(name: &str) -> Option<&'static Builtin> {
    builtins::find(name)
}

/// A placeholder runtime value standing for argument `k` (no real range has step 0).
fn placeholder(k: usize) -> Value {
    Value::Range {
        start: k as i64,
        stop: i64::MIN,
        step: 0,
    }
}

/// A size from a number value: real, symbolic, or unknown (`ANON`).
fn size_of(v: &AVal) -> Option<Dim> {
    match v {
        AVal::Num(ANum::Known(n)) if *n >= 0.0 && n.fract() == 0.0 => Some(Dim::Known(*n as usize)),
        AVal::Num(ANum::Known(_)) => None,
        AVal::Num(ANum::Dim(d)) => Some(*d),
        _ => Some(ANON),
    }
}

use super::args::CArgs;
use super::value::list_shape;

/// Items a list built by `append` keeps exactly.
const MAX_EXACT_APPEND: usize = 256;

impl Checker {
    pub fn call(&mut self, f: &AVal, args: Vec<AArg>, callee_span: Span, call_span: Span) -> AVal {
        match f {
            AVal::Builtin(b) => self.call_builtin(b, args, callee_span, call_span),
            AVal::Unknown => AVal::Unknown,
            other => {
                let kind = other.kind();
                self.report(
                    Diagnostic::error("type::not_callable", format!("a {kind} is not a function"))
                        .primary(callee_span, format!("this is a {kind}, not a function")),
                );
                AVal::Unknown
            }
        }
    }

    pub(super) fn call_builtin(
        &mut self,
        b: &'static Builtin,
        args: Vec<AArg>,
        callee: Span,
        call: Span,
    ) -> AVal {
        let args: Vec<AArg> = args
            .into_iter()
            .filter(|a| {
                !crate::runtime::call::is_torch_option(b, a.name.as_ref().map(|n| n.0.as_str()))
            })
            .collect();
        let argvals: Vec<ArgVal> = args
            .iter()
            .enumerate()
            .map(|(k, a)| ArgVal {
                name: a.name.clone(),
                value: a.value.realize().unwrap_or_else(|| placeholder(k)),
                span: a.span,
            })
            .collect();
        let real = match crate::runtime::call::bind_args(&self.interp, b, argvals, callee, call) {
            Ok(r) => r,
            Err(d) => {
                self.report(*d);
                return AVal::Unknown;
            }
        };
        // The same assignment of arguments to parameters as the binder's.
        let mut slots: Vec<Option<(AVal, Span)>> = vec![None; b.params.len()];
        let mut rest = Vec::new();
        let positional: Vec<usize> = b
            .params
            .iter()
            .enumerate()
            .filter(|(_, p)| matches!(p, P::Req(_) | P::Opt(..)))
            .map(|(i, _)| i)
            .collect();
        let mut next = 0;
        for a in args {
            match &a.name {
                None if next < positional.len() => {
                    slots[positional[next]] = Some((a.value, a.span));
                    next += 1;
                }
                None => rest.push((a.value, a.span)),
                Some((name, _)) => {
                    if let Some(i) = crate::runtime::call::keyword_slot(b, name) {
                        slots[i] = Some((a.value, a.span));
                    }
                }
            }
        }
        let mut ca = CArgs {
            b,
            slots,
            rest,
            real,
            callee,
        };
        if b.pure && ca.all_known() {
            return match (b.func)(&mut self.interp, &mut ca.real) {
                Ok(Value::Tensor(t)) => self.from_run(&t, &[]),
                Ok(v) => AVal::from_value(&v),
                Err(d) => {
                    self.report(*d);
                    AVal::Unknown
                }
            };
        }
        let out = self.builtin(&mut ca, call);
        super::tensors::with_mask(out, &ca)
    }

    /// Report the error of a real `Args` conversion; `None` then.
    pub(super) fn take<T>(&mut self, r: R<T>) -> Option<T> {
        match r {
            Ok(v) => Some(v),
            Err(d) => {
                self.report(*d);
                None
            }
        }
    }

    pub(super) fn site(&self, a: &CArgs, operands: &[usize]) -> Site {
        Site {
            op: a.b.name.to_string(),
            primary: a.callee,
            operands: operands
                .iter()
                .filter(|&&i| a.slots.get(i).map(|s| s.is_some()).unwrap_or(false))
                .map(|&i| self.operand(a.span(i), &a.val(i)))
                .collect(),
            in_place: false,
            axis: a
                .b
                .axis_slot()
                .filter(|&i| matches!(a.slots.get(i), Some(Some(_))))
                .map(|i| a.span(i)),
        }
    }

    /// The shape of a tensor argument (lists become tensors, numbers 0-d tensors).
    pub(super) fn arg_shape(&mut self, a: &CArgs, i: usize) -> Option<Shape> {
        match a.val(i) {
            AVal::List(_) => list_shape(&a.val(i)),
            AVal::Unknown => None,
            v @ (AVal::Tensor(_) | AVal::Num(_) | AVal::Bool(_)) => {
                self.tensor_shape_of(&v, a.span(i)).flatten()
            }
            other => {
                let d = a.real.wrong_kind(&self.interp, i, "a tensor", other.kind());
                self.report(*d);
                None
            }
        }
    }

    pub(super) fn inputs(a: &CArgs, idx: &[usize]) -> Vec<Rc<ATensor>> {
        idx.iter()
            .filter_map(|&i| {
                if let AVal::Tensor(t) = a.val(i) {
                    Some(t)
                } else {
                    None
                }
            })
            .collect()
    }

    /// A result computed from arguments `idx` through a rule.
    pub(super) fn from_rule(
        &mut self,
        a: &CArgs,
        out: RuleOut,
        operands: &[usize],
        raw: &[&[Dim]],
    ) -> AVal {
        let site = self.site(a, operands);
        let shape = self.settle(out, &site, raw);
        let ins = Self::inputs(a, operands);
        let refs: Vec<&ATensor> = ins.iter().map(|t| &**t).collect();
        self.new_tensor(shape, &refs)
    }

    /// A tensor with the shape given by size arguments from `first` on.
    pub(super) fn sized(&mut self, a: &mut CArgs, first: usize) -> AVal {
        if a.all_known() {
            let Some(s) = self.take(a.real.shape(&self.interp, first)) else {
                return AVal::Unknown;
            };
            if let Err(e) = shape::checked_numel(&s) {
                let site = self.site(a, &[]);
                self.tensor_error(e, &site, &[]);
                return self.leaf(None);
            }
            return self.leaf(Some(Dim::shape(&s)));
        }
        let vals = a.dim_values(first);
        if vals.is_empty() && !a.rest.is_empty() {
            return self.leaf(None);
        }
        let dims: Option<Shape> = vals.iter().map(size_of).collect();
        self.leaf(dims)
    }

    /// The abstract result of a builtin by its row's rule (`Check`).
    pub(super) fn builtin(&mut self, a: &mut CArgs, call: Span) -> AVal {
        let name = a.b.name;
        match a.b.check {
            Check::Nothing => AVal::None,
            Check::Len => match a.val(0) {
                AVal::Tensor(t) => match &t.shape {
                    Some(s) if s.is_empty() => {
                        self.report(
                            Diagnostic::error("type::len", "a 0-d tensor has no length")
                                .primary(a.span(0), "0-d tensor")
                                .help("use `numel(x)` or `item(x)`"),
                        );
                        AVal::Unknown
                    }
                    Some(s) => dim_number(self.st.syms.canon(s[0])),
                    None => AVal::Num(ANum::Unknown),
                },
                AVal::List(_) => match a.val(0).exact_items() {
                    Some(items) => AVal::num(items.len() as f64),
                    None => AVal::Num(ANum::Unknown),
                },
                _ => AVal::Num(ANum::Unknown),
            },
            Check::Range => AVal::Range(None),
            Check::Text => AVal::Str(None),
            Check::TypeName => match a.val(0) {
                AVal::Unknown => AVal::Str(None),
                v => AVal::Str(Some(Rc::from(v.kind()))),
            },
            Check::Accuracy => {
                // The run's own rule, applied only when every size is known (no false alarm).
                if let (Some(ls), Some(ys)) = (self.arg_shape(a, 0), self.arg_shape(a, 1)) {
                    let (ls, ys) = (Dim::real(&self.canon(&ls)), Dim::real(&self.canon(&ys)));
                    if let (Some(ls), Some(ys)) = (ls, ys) {
                        if let Some(d) = crate::runtime::data::accuracy_shape_error(
                            &ls,
                            &ys,
                            a.callee,
                            a.span(0),
                            a.span(1),
                        ) {
                            self.report(d);
                        }
                    }
                }
                AVal::Num(ANum::Unknown)
            }
            Check::Number => AVal::Num(ANum::Unknown),
            Check::Int => match a.val(0) {
                AVal::Num(ANum::Dim(d)) => AVal::Num(ANum::Dim(d)),
                _ => AVal::Num(ANum::Unknown),
            },
            Check::List => match a.val(0) {
                // `list(xs)` or `tuple(xs)`: the same items, in a sequence of its kind.
                AVal::List(_) => match a.val(0).exact_items() {
                    Some(items) if name == "tuple" => {
                        AVal::sequence(items, super::value::SeqKind::Tuple)
                    }
                    Some(items) => AVal::list(items),
                    None => AVal::List(Rc::new(RefCell::new(AList::Approx(
                        a.val(0).element_approx(),
                    )))),
                },
                AVal::Tensor(t) => {
                    let elem = match &t.shape {
                        Some(s) if s.len() == 1 => AVal::Num(ANum::Unknown),
                        Some(s) if !s.is_empty() => self.new_tensor(Some(s[1..].to_vec()), &[&t]),
                        _ => AVal::Unknown,
                    };
                    AVal::List(Rc::new(RefCell::new(AList::Approx(elem))))
                }
                _ => AVal::List(Rc::new(RefCell::new(AList::Approx(AVal::Unknown)))),
            },
            Check::Append => {
                match a.val(0) {
                    AVal::List(l) => {
                        // A list of known items stays known (a loop that runs a known
                        // number of times builds it exactly); past that, only what its
                        // items are like is kept.
                        let mut list = l.borrow_mut();
                        match &mut *list {
                            AList::Exact(items) if items.len() < MAX_EXACT_APPEND => {
                                items.push(a.val(1));
                            }
                            _ => {
                                drop(list);
                                let elem = a.val(0).element_approx_or(a.val(1));
                                *l.borrow_mut() = AList::Approx(elem);
                            }
                        }
                    }
                    AVal::Unknown => {}
                    other => self.report(
                        Diagnostic::error(
                            "type::argument",
                            format!("`append` needs a list, found a {}", other.kind()),
                        )
                        .primary(a.span(0), format!("this is a {}", other.kind())),
                    ),
                }
                AVal::None
            }
            Check::Sorted => AVal::List(Rc::new(RefCell::new(AList::Approx(AVal::Unknown)))),
            Check::Literal => match a.val(0) {
                AVal::Tensor(t) => self.leaf(t.shape.clone()),
                v => {
                    let s = list_shape(&v);
                    self.leaf(s)
                }
            },
            Check::Sized => self.sized(a, 0),
            Check::Square | Check::Vector => {
                if a.all_known() {
                    let Some(s) = self.take(a.real.shape(&self.interp, 0)) else {
                        return AVal::Unknown;
                    };
                    let Some(&n) = s.first() else {
                        return self.leaf(None);
                    };
                    let s = if a.b.check == Check::Square {
                        vec![n, n]
                    } else {
                        vec![n]
                    };
                    if let Err(e) = shape::checked_numel(&s) {
                        let site = self.site(a, &[]);
                        self.tensor_error(e, &site, &[]);
                    }
                    return self.leaf(Some(Dim::shape(&s)));
                }
                let n = size_of(&a.val(0)).unwrap_or(ANON);
                self.leaf(Some(if a.b.check == Check::Square {
                    vec![n, n]
                } else {
                    vec![n]
                }))
            }
            Check::Arange => {
                if a.all_known() {
                    let first = self.take(a.real.number(&self.interp, 0));
                    let stop = if a.get(1).is_some() {
                        self.take(a.real.number(&self.interp, 1))
                    } else {
                        None
                    };
                    let step = self.take(a.real.number_or(&self.interp, 2, 1.0));
                    let (start, stop) = match (first, a.get(1).is_some(), stop) {
                        (Some(f), true, Some(s)) => (f, s),
                        (Some(f), false, _) => (0.0, f),
                        _ => return AVal::Unknown,
                    };
                    let Some(step) = step else {
                        return AVal::Unknown;
                    };
                    return match shape::arange_len(start, stop, step) {
                        Ok(n) => self.leaf(Some(vec![Dim::Known(n)])),
                        Err(e) => {
                            let site = self.site(a, &[]);
                            self.tensor_error(e, &site, &[]);
                            self.leaf(None)
                        }
                    };
                }
                self.leaf(Some(vec![ANON]))
            }
            Check::Linspace => {
                if a.known(2) && a.get(2).is_some() {
                    let Some(n) = self.take(a.real.int(&self.interp, 2)) else {
                        return AVal::Unknown;
                    };
                    if n < 0 {
                        self.report(
                            Diagnostic::error(
                                "type::shape",
                                "`linspace` needs a count of 0 or more",
                            )
                            .primary(a.span(2), format!("{n}")),
                        );
                        return self.leaf(None);
                    }
                    return match shape::linspace_shape(n) {
                        Ok(s) => self.leaf(Some(Dim::shape(&s))),
                        Err(e) => {
                            let site = self.site(a, &[]);
                            self.tensor_error(e, &site, &[]);
                            self.leaf(None)
                        }
                    };
                }
                let n = size_of(&a.val(2)).unwrap_or(ANON);
                self.leaf(Some(vec![n]))
            }
            Check::LikeFirst => {
                let s = self.arg_shape(a, 0);
                self.leaf(s)
            }
            Check::Same => a.val(0),
            Check::Copy => match self.arg_shape(a, 0) {
                Some(s) => self.from_rule(a, RuleOut::Ok(s), &[0], &[]),
                None => self.unknown_result(a),
            },
            Check::Reshape => self.reshape(a),
            Check::Flatten => {
                let Some(s) = self.arg_shape(a, 0) else {
                    return self.from_rule(a, RuleOut::Undecided(String::new(), None), &[0], &[]);
                };
                let s = self.canon(&s);
                if a.get(1).is_some() || a.get(2).is_some() {
                    // `flatten(x, start_dim, end_dim)`: the merged axes' product, unknown
                    // when a merged size is.
                    let (start, end) = (
                        if a.get(1).is_some() {
                            self.int_arg(a, 1)
                        } else {
                            Some(0)
                        },
                        if a.get(2).is_some() {
                            self.int_arg(a, 2)
                        } else {
                            Some(-1)
                        },
                    );
                    let (Some(start), Some(end)) = (start, end) else {
                        return self.leaf(None);
                    };
                    // Symbolic sizes stand in as 1 for the rule; a merged axis with one
                    // of them is unknown.
                    let ones: Vec<usize> = s.iter().map(|&d| d.known().unwrap_or(1)).collect();
                    let out = match shape::flatten_range_shape(&ones, start, end) {
                        Err(e) => RuleOut::Error(e),
                        Ok(out) => {
                            let mut out = Dim::shape(&out);
                            let rank = s.len().max(1);
                            let lo = shape::normalize_axis(start, rank).unwrap_or(0);
                            let hi = shape::normalize_axis(end, rank).unwrap_or(0);
                            for (k, &d) in s.iter().enumerate() {
                                let at = if k < lo {
                                    k
                                } else if k <= hi {
                                    lo
                                } else {
                                    k - (hi - lo)
                                };
                                if is_sym(d) && at < out.len() {
                                    out[at] = if k < lo || k > hi || lo == hi {
                                        d
                                    } else {
                                        ANON
                                    };
                                }
                            }
                            RuleOut::Ok(out)
                        }
                    };
                    return self.from_rule(a, out, &[0], &[&s]);
                }
                let out = if let Some(real) = Dim::real(&s) {
                    shape::flatten_shape(&real)
                        .map_or_else(RuleOut::Error, |out| RuleOut::Ok(Dim::shape(&out)))
                } else {
                    let syms: Vec<Dim> = s.iter().copied().filter(|&d| is_sym(d)).collect();
                    let real_all_one = s.iter().all(|&d| is_sym(d) || d.is(1));
                    RuleOut::Ok(vec![if syms.len() == 1 && real_all_one {
                        syms[0]
                    } else {
                        ANON
                    }])
                };
                self.from_rule(a, out, &[0], &[&s])
            }
            Check::Transpose => {
                let s = self.arg_shape(a, 0);
                let (x, y) = (self.int_arg(a, 1), self.int_arg(a, 2));
                match (s, x, y) {
                    (Some(s), Some(x), Some(y)) => {
                        let out = self
                            .rule_simple(&s, |sh| shape::transpose_shape(sh, x, y).map(|r| r.0));
                        self.from_rule(a, out, &[0], &[&s])
                    }
                    (Some(s), _, _) => {
                        self.from_rule(a, RuleOut::Ok(vec![ANON; s.len()]), &[0], &[])
                    }
                    _ => self.from_rule(a, RuleOut::Undecided(String::new(), None), &[0], &[]),
                }
            }
            Check::Squeeze => {
                let s = self.arg_shape(a, 0);
                let axis = if a.get(1).is_none() {
                    Some(None)
                } else {
                    self.int_arg(a, 1).map(Some)
                };
                match (s, axis) {
                    (Some(s), Some(axis)) => {
                        let out = self.rule_squeeze(&s, axis, a.callee);
                        self.from_rule(a, out, &[0], &[&s])
                    }
                    _ => self.from_rule(a, RuleOut::Undecided(String::new(), None), &[0], &[]),
                }
            }
            Check::Unsqueeze => match (self.arg_shape(a, 0), self.int_arg(a, 1)) {
                (Some(s), Some(axis)) => {
                    let out =
                        self.rule_simple(&s, |sh| shape::unsqueeze_shape(sh, axis).map(|r| r.0));
                    self.from_rule(a, out, &[0], &[&s])
                }
                _ => self.from_rule(a, RuleOut::Undecided(String::new(), None), &[0], &[]),
            },
            Check::Cat | Check::Stack => self.cat(a),
            Check::Permute | Check::Expand | Check::Repeat | Check::Pad => self.movement_rule(a),
            Check::Size => self.size(a),
            Check::Ndim => match self.arg_shape(a, 0) {
                Some(s) => AVal::num(s.len() as f64),
                None => AVal::Num(ANum::Unknown),
            },
            Check::Numel => match self
                .arg_shape(a, 0)
                .and_then(|s| Dim::real(&self.canon(&s)))
            {
                Some(s) => AVal::num(s.iter().product::<usize>() as f64),
                _ => AVal::Num(ANum::Unknown),
            },
            Check::Elementwise => match a.val(0) {
                AVal::Num(_) | AVal::Bool(_) => AVal::Num(ANum::Unknown),
                _ => {
                    let s = self.arg_shape(a, 0);
                    let ins = Self::inputs(a, &[0]);
                    let refs: Vec<&ATensor> = ins.iter().map(|t| &**t).collect();
                    self.new_tensor(s, &refs)
                }
            },
            Check::Broadcast2 => self.elementwise2(a),
            Check::Reduce | Check::Sum => match a.val(0) {
                AVal::List(_) if a.b.check == Check::Sum => {
                    // Python's sum: a number for numbers, else the items added (tensors).
                    match a.val(0).exact_items() {
                        Some(items)
                            if items
                                .iter()
                                .all(|x| matches!(x, AVal::Num(_) | AVal::Bool(_))) =>
                        {
                            AVal::Num(ANum::Unknown)
                        }
                        _ => AVal::Unknown,
                    }
                }
                AVal::Unknown if a.b.check == Check::Sum && a.get(1).is_none() => AVal::Unknown,
                _ => self.reduce(a, 1, 2, false),
            },
            Check::Extreme => {
                let tensor_arg = matches!(a.val(0), AVal::Tensor(_))
                    || matches!(a.get(1), Some(AVal::Tensor(_)));
                if !a.rest.is_empty() || (a.get(1).is_some() && !tensor_arg) {
                    // Python's max/min of several values.
                    return AVal::Unknown;
                }
                if a.get(1).is_some() {
                    return self.elementwise2(a);
                }
                match a.val(0) {
                    AVal::Num(_) => AVal::Num(ANum::Unknown),
                    AVal::Tensor(_) => self.reduce(a, 3, 4, true),
                    _ => AVal::Unknown,
                }
            }
            Check::ArgExtreme => {
                let t = self.reduce(a, 1, 2, true);
                match t {
                    AVal::Tensor(t) => self.leaf(t.shape.clone()),
                    other => other,
                }
            }
            Check::Softmax => {
                let s = self.arg_shape(a, 0);
                let axis = if a.get(1).is_none() {
                    Some(-1)
                } else {
                    self.int_arg(a, 1)
                };
                match (s, axis) {
                    (Some(s), Some(axis)) => {
                        let out = self.rule_simple(&s, |sh| shape::softmax_shape(sh, axis));
                        self.from_rule(a, out, &[0], &[&s])
                    }
                    (Some(s), None) => self.from_rule(a, RuleOut::Ok(s), &[0], &[]),
                    // An input of unknown rank gives a result of unknown rank (not 0-d).
                    (None, _) => self.unknown_result(a),
                }
            }
            Check::Loss | Check::CrossEntropy => {
                // Options beyond the mean (`reduction="none"`, `weight=`, ...) change the
                // result or its errors: run the loss on zeros of the shapes instead.
                let has_options = (2..a.b.params.len()).any(|i| a.get(i).is_some());
                if has_options {
                    return match self.run_on_zeros(a) {
                        Some(v) => v,
                        None => self.unknown_result(a),
                    };
                }
                let (p, t) = (self.arg_shape(a, 0), self.arg_shape(a, 1));
                let (Some(p), Some(t)) = (p, t) else {
                    return self.from_rule(a, RuleOut::Ok(vec![]), &[0, 1], &[]);
                };
                let out = match a.b.check {
                    Check::CrossEntropy => self.rule_cross_entropy(&p, &t, a.callee),
                    _ => self.rule_loss(name, &p, &t, a.callee),
                };
                self.from_rule(a, out, &[0, 1], &[&p, &t])
            }
            Check::Item => match a.val(0) {
                AVal::Tensor(t) => {
                    if let Some(s) = t.shape.as_ref().and_then(|s| Dim::real(&self.canon(s))) {
                        if known_numel(&Dim::shape(&s)) != Some(1) {
                            let op = self.operand(a.span(0), &a.val(0));
                            let d = crate::runtime::explain::item_not_scalar(&self.interp, &op, &s);
                            self.report(d);
                        }
                    }
                    AVal::Num(ANum::Unknown)
                }
                AVal::Num(_) | AVal::Unknown => AVal::Num(ANum::Unknown),
                other => {
                    self.report(
                        Diagnostic::error(
                            "type::argument",
                            format!("`item` needs a tensor, found a {}", other.kind()),
                        )
                        .primary(a.span(0), ""),
                    );
                    AVal::Unknown
                }
            },
            Check::Backward => self.backward(a),
            Check::Grad => self.grad(a),
            Check::Gradcheck => AVal::Bool(None),
            Check::Optimizer => {
                // Its parameters, when the list is exact and each is one tensor.
                let params: Option<Vec<u32>> = a.val(0).exact_items().and_then(|items| {
                    items
                        .iter()
                        .map(|v| match v {
                            AVal::Tensor(t) if t.ids.len() == 1 => Some(t.ids[0]),
                            _ => None,
                        })
                        .collect()
                });
                self.opt_params = match self.opt_params {
                    None => Some(params),
                    Some(_) => Some(None),
                };
                AVal::Optimizer
            }
            Check::Step => {
                match a.val(0) {
                    AVal::Optimizer => {
                        if self.st.bw == Backward::No {
                            let site = self.site(a, &[0]);
                            self.tensor_error(TensorError::NoBackward, &site, &[]);
                        }
                        if let Some(Some(ids)) = self.opt_params.clone() {
                            // Only the parameters with a gradient change.
                            let grads = self.st.grads.clone();
                            for id in ids.into_iter().filter(|id| grads.contains(id)) {
                                let n = self.version_of(id) + 1;
                                Rc::make_mut(&mut self.st.versions).insert(id, (n, call));
                            }
                        }
                    }
                    AVal::Unknown => {}
                    other => self.report(
                        Diagnostic::error(
                            "type::argument",
                            format!("`step` needs an optimiser, found a {}", other.kind()),
                        )
                        .primary(a.span(0), "")
                        .help("make one with `opt = sgd([W1, W2], lr=0.1)` or `adam(...)`"),
                    ),
                }
                AVal::None
            }
            Check::Load => self.load(a),
            Check::LoadCsv => self.load_csv(a),
            Check::ReadsFile => self.reads_file(a),
            Check::OneHot => {
                let s = self.arg_shape(a, 0);
                let n = size_of(&a.val(1)).unwrap_or(ANON);
                self.leaf(s.map(|mut s| {
                    s.push(n);
                    s
                }))
            }
            // Several tensors in a list (`chunk`, `split`, `topk`, `sort`).
            Check::Pieces => AVal::Unknown,
            Check::Shapes => match self.run_on_zeros(a) {
                Some(v) => v,
                None => self.unknown_result(a),
            },
            Check::ShapesPair => self.run_on_zeros(a).unwrap_or(AVal::Unknown),
            Check::IsInstance => self.isinstance(a),
            Check::Unknown => self.unknown_result(a),
        }
    }

    /// A known whole-number argument (reporting a known value that is not one).
    /// `permute`, `expand`, `repeat`, `pad` through their shape rules (in
    /// `tensor::take`/`tensor::movement`) when the sizes are known.
    pub(super) fn movement_rule(&mut self, a: &mut CArgs) -> AVal {
        let undecided = RuleOut::Undecided(String::new(), None);
        let s = self.arg_shape(a, 0);
        let known =
            (1..a.slots.len()).all(|i| a.known(i)) && a.rest.iter().all(|(v, _)| v.is_known());
        let Some(s) = s.filter(|_| known) else {
            return self.from_rule(a, undecided, &[0], &[]);
        };
        let ints = if a.b.check == Check::Pad {
            match a.real.value(1) {
                Value::List(l) => {
                    let items = l.borrow().clone();
                    let span = a.span(1);
                    self.take(
                        items
                            .iter()
                            .map(|v| self.interp.int_of(v, span))
                            .collect::<R<Vec<i64>>>(),
                    )
                }
                _ => None,
            }
        } else {
            self.take(a.real.dims(&self.interp, 1)).map(|d| d.0)
        };
        let Some(ints) = ints else {
            return self.from_rule(a, undecided, &[0], &[]);
        };
        use crate::tensor::{movement, take};
        let out = match a.b.check {
            Check::Permute => {
                let dims: Vec<isize> = ints.iter().map(|&d| d as isize).collect();
                self.rule_simple(&s, |sh| {
                    take::permute_shape(sh, &dims).map(|ax| ax.iter().map(|&i| sh[i]).collect())
                })
            }
            Check::Expand => self.rule_simple(&s, |sh| movement::expand_shape(sh, &ints)),
            Check::Repeat => self.rule_simple(&s, |sh| movement::repeat_shape(sh, &ints)),
            _ => self.rule_simple(&s, |sh| movement::pad_shape(sh, &ints)),
        };
        self.from_rule(a, out, &[0], &[&s])
    }

    pub(super) fn int_arg(&mut self, a: &CArgs, i: usize) -> Option<isize> {
        if !a.known(i) {
            return None;
        }
        self.take(a.real.int(&self.interp, i)).map(|n| n as isize)
    }
}
