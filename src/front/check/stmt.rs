//! Statements: assignments, in-place updates, branches (both arms when the condition is
//! not known, then joined), loops (iterated until every variable keeps its shape, or a
//! bounded number of times), function definitions and calls of user functions.

use super::rules::{AIdx, AItem};
use super::value::{AFunc, AList, ANum, AVal};
use super::{Checker, Env, Note, State};
use crate::runtime::explain::{self, Site};
use crate::syntax::ast::{BinOp, Expr, IndexItem, Stmt, StmtKind, Target};
use crate::syntax::diagnostic::Diagnostic;
use crate::syntax::span::Span;
use std::rc::Rc;

/// Whether control may continue after a statement.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Flow {
    Normal,
    /// Every path left by `break`, `continue` or `return`.
    Jump,
}

/// Loops with at most this many known items are unrolled with each item's value.
const UNROLL: usize = 128;
/// Other loops are followed at most this many iterations before their state is widened.
const MAX_ITERS: usize = 8;
/// User calls nested deeper than this are not followed (their result is unknown).
pub(super) const MAX_CALL_DEPTH: usize = 24;

/// What a `for` loop walks over.
pub(super) enum Items {
    /// Each item known: one iteration per item, with its value.
    Exact(Vec<AVal>),
    /// Items alike (`elem`), the first one possibly known (`first`); their number when
    /// known.
    Alike {
        elem: AVal,
        first: Option<AVal>,
        count: Option<usize>,
    },
}

impl Checker {
    pub fn exec_top(&mut self, stmts: &[Stmt]) {
        for s in stmts {
            if self.exec(s) == Flow::Jump {
                break;
            }
        }
    }

    pub fn exec_block(&mut self, body: &[Stmt]) -> Flow {
        for s in body {
            if self.exec(s) == Flow::Jump {
                return Flow::Jump;
            }
        }
        Flow::Normal
    }

    /// One statement. A run stops at a statement's first error, so after one error the
    /// rest of the statement reports nothing more (an error inside a call it makes counts
    /// as its error too).
    pub fn exec(&mut self, stmt: &Stmt) -> Flow {
        let outer = std::mem::replace(&mut self.stmt_failed, false);
        let flow = self.exec_stmt(stmt);
        self.stmt_failed |= outer;
        flow
    }

    fn exec_stmt(&mut self, stmt: &Stmt) -> Flow {
        self.fuel = self.fuel.saturating_sub(1);
        match &stmt.kind {
            StmtKind::Expr(e) => {
                self.eval(e);
                Flow::Normal
            }
            StmtKind::Assign {
                target,
                op,
                op_span,
                value,
            } => {
                self.exec_assign(stmt.span, target, *op, *op_span, value);
                Flow::Normal
            }
            StmtKind::If {
                branches,
                else_body,
            } => self.exec_if(branches, else_body.as_deref()),
            StmtKind::While { cond, body } => self.exec_loop(None, Some(cond), cond.span, body),
            StmtKind::For { target, iter, body } => {
                let it = self.eval(iter);
                let header = target.span().to(iter.span);
                // A loop over several names (`for i, x in ...`) sees them as unknown.
                let (var, it) = match target {
                    Target::Name(n) => (n.node.as_str(), it),
                    other => {
                        self.bind_target(other, AVal::Unknown, stmt.span);
                        ("for target", AVal::Unknown)
                    }
                };
                let items = match it {
                    AVal::Unknown => Some(Items::Alike {
                        elem: AVal::Unknown,
                        first: None,
                        count: None,
                    }),
                    it => self.loop_items(&it, iter.span),
                };
                match items {
                    Some(items) => {
                        self.exec_loop(Some((var, target.span(), items)), None, header, body)
                    }
                    None => Flow::Normal,
                }
            }
            StmtKind::Def {
                name, decorators, ..
            } if !decorators.is_empty() => {
                // What a decorator returns is not followed (`property`, a wrapper): the
                // name is unknown, so nothing is claimed about how it is called.
                for d in decorators {
                    self.eval(d);
                }
                self.bind(&name.node, AVal::Unknown, stmt.span);
                Flow::Normal
            }
            StmtKind::Def {
                name, params, body, ..
            } => {
                let mut defaults = Vec::with_capacity(params.len());
                for p in params {
                    defaults.push(p.default.as_ref().map(|d| self.eval(d)));
                }
                let f = AFunc {
                    name: name.node.clone(),
                    params: params.clone(),
                    defaults,
                    body: body.clone(),
                    captured: if self.in_class_body {
                        None
                    } else {
                        self.st.locals.clone()
                    },
                    no_grad: matches!(stmt.kind, StmtKind::Def { no_grad: true, .. }),
                };
                self.bind(&name.node, AVal::Func(Rc::new(f)), stmt.span);
                Flow::Normal
            }
            StmtKind::Return(e) => {
                self.returns_seen += 1;
                let v = match e {
                    Some(e) => self.eval(e),
                    None => AVal::None,
                };
                if let Some(slot) = self.returns.last_mut() {
                    *slot = Some(match slot.take() {
                        Some(old) => old.join(&v),
                        None => v,
                    });
                }
                Flow::Jump
            }
            StmtKind::Break => {
                let st = self.st.clone();
                if let Some(l) = self.loops.last_mut() {
                    l.0.push(st);
                }
                Flow::Jump
            }
            StmtKind::Continue => {
                let st = self.st.clone();
                if let Some(l) = self.loops.last_mut() {
                    l.1.push(st);
                }
                Flow::Jump
            }
            StmtKind::Pass => Flow::Normal,
            _ => self.exec_python(stmt).unwrap_or(Flow::Normal),
        }
    }

    fn exec_if(&mut self, branches: &[(Expr, Vec<Stmt>)], else_body: Option<&[Stmt]>) -> Flow {
        let Some(((cond, body), rest)) = branches.split_first() else {
            return match else_body {
                Some(b) => self.exec_block(b),
                None => Flow::Normal,
            };
        };
        let c = self.eval(cond);
        match self.truthy(&c, cond.span) {
            Some(true) => self.exec_block(body),
            Some(false) => self.exec_if(rest, else_body),
            None => {
                let before = self.st.clone();
                let flow_a = self.exec_block(body);
                let after_a = std::mem::replace(&mut self.st, before);
                let flow_b = self.exec_if(rest, else_body);
                match (flow_a, flow_b) {
                    (Flow::Jump, Flow::Jump) => Flow::Jump,
                    (Flow::Jump, Flow::Normal) => Flow::Normal,
                    (Flow::Normal, Flow::Jump) => {
                        self.st = after_a;
                        Flow::Normal
                    }
                    (Flow::Normal, Flow::Normal) => {
                        self.st = after_a.join(&self.st);
                        Flow::Normal
                    }
                }
            }
        }
    }

    /// What a `for` loop iterates over; `None` after reporting a value that cannot be
    /// looped over.
    pub(super) fn loop_items(&mut self, it: &AVal, span: Span) -> Option<Items> {
        let exact_ok = self.unroll_depth < 2;
        match it {
            AVal::Range(Some(_)) | AVal::List(_) => match it.exact_items() {
                Some(items) if items.len() <= UNROLL && exact_ok => Some(Items::Exact(items)),
                Some(items) => {
                    let elem = match it {
                        AVal::Range(_) => AVal::Num(ANum::Unknown),
                        _ => it.element_approx(),
                    };
                    Some(Items::Alike {
                        elem,
                        first: items.first().cloned(),
                        count: Some(items.len()),
                    })
                }
                None => Some(Items::Alike {
                    elem: it.element_approx(),
                    first: None,
                    count: None,
                }),
            },
            AVal::Range(None) => Some(Items::Alike {
                elem: AVal::Num(ANum::Unknown),
                first: None,
                count: None,
            }),
            AVal::Str(_) => Some(Items::Alike {
                elem: AVal::Str(None),
                first: None,
                count: None,
            }),
            AVal::Tensor(t) => match &t.shape {
                Some(s) if s.is_empty() => {
                    self.report(
                        Diagnostic::error("type::not_iterable", "cannot loop over a 0-d tensor")
                            .primary(span, "this tensor has no axes")
                            .help("a `for` loop over a tensor walks its first axis; use `item(t)` for the number"),
                    );
                    None
                }
                Some(s) => {
                    let rows = s[1..].to_vec();
                    let count = self.st.syms.canon(s[0]);
                    let count = count.known();
                    Some(Items::Alike {
                        elem: self.new_tensor(Some(rows), &[t]),
                        first: None,
                        count,
                    })
                }
                None => Some(Items::Alike {
                    elem: AVal::Tensor(self.unknown_tensor()),
                    first: None,
                    count: None,
                }),
            },
            AVal::Unknown => Some(Items::Alike {
                elem: AVal::Unknown,
                first: None,
                count: None,
            }),
            other => {
                self.report(
                    Diagnostic::error(
                        "type::not_iterable",
                        format!("cannot loop over a {}", other.kind()),
                    )
                    .primary(span, format!("this is a {}", other.kind()))
                    .help("loop over `range(n)`, a list or a tensor"),
                );
                None
            }
        }
    }

    /// A `for` loop (`var` with its items) or a `while` loop (`cond`).
    fn exec_loop(
        &mut self,
        var: Option<(&str, Span, Items)>,
        cond: Option<&Expr>,
        header: Span,
        body: &[Stmt],
    ) -> Flow {
        let (max, count, exact) = match &var {
            Some((_, _, Items::Exact(items))) => (items.len(), Some(items.len()), true),
            Some((_, _, Items::Alike { count, .. })) => {
                (count.unwrap_or(usize::MAX).min(MAX_ITERS), *count, false)
            }
            None => (MAX_ITERS, None, false),
        };
        if exact {
            self.unroll_depth += 1;
        }
        let mut exits: Vec<State> = Vec::new();
        // Whether the number of iterations is decided (every exit seen was a false
        // condition, or an exact loop ran all its items).
        let mut decided = true;
        self.appended.push(Vec::new());
        let mut prev_head = self.st.clone();
        let mut settled = false;
        let mut ended = false;
        let mut i = 0;
        // Once the loop may have ended (a `break` or `return` on some path, a condition
        // not known), later iterations are only possible: their errors are not certain.
        let quiet_before = self.quiet;
        let mut may_end = false;
        while i < max && self.fuel > 0 {
            if (may_end || !exits.is_empty()) && self.quiet == quiet_before {
                self.quiet += 1;
            }
            if let Some(c) = cond {
                let v = self.eval(c);
                match self.truthy(&v, c.span) {
                    // The condition is false: the loop ends here, and the program goes on
                    // from this state.
                    Some(false) => {
                        exits.push(self.st.clone());
                        ended = true;
                        break;
                    }
                    Some(true) => {}
                    None => {
                        decided = false;
                        exits.push(self.st.clone());
                    }
                }
            } else if count.is_none() {
                decided = false;
                exits.push(self.st.clone());
            }
            let note = match &var {
                Some((name, span, items)) => {
                    let item = match items {
                        Items::Exact(v) => v[i].clone(),
                        Items::Alike { first: Some(f), .. } if i == 0 => f.clone(),
                        Items::Alike { elem, .. } => elem.clone(),
                    };
                    let known_item =
                        exact || (i == 0 && matches!(items, Items::Alike { first: Some(_), .. }));
                    let label = match (&item, known_item) {
                        (AVal::Tensor(t), true) => format!(
                            "in the iteration where `{name}` is a tensor of shape {}",
                            t.shape
                                .as_ref()
                                .map(|s| self.shape_text(s))
                                .unwrap_or_default()
                        ),
                        (other, true) => format!(
                            "in the iteration where `{name} = {}`",
                            other
                                .realize()
                                .map(|v| v.repr())
                                .unwrap_or_else(|| "?".into())
                        ),
                        _ if i == 0 => "in the first iteration of this loop".to_string(),
                        _ => format!("in iteration {i} of this loop or a later one"),
                    };
                    self.bind(name, item, *span);
                    label
                }
                None if i == 0 => "in the first iteration of this loop".to_string(),
                None => format!("in iteration {i} of this loop or a later one"),
            };
            self.notes.push(Note {
                quiet: i == 0,
                span: header,
                message: note.clone(),
                label: note,
                code: "note::loop",
            });
            self.loops.push((Vec::new(), Vec::new()));
            let returns_before = self.returns_seen;
            let flow = self.exec_block(body);
            let (breaks, continues) = self.loops.pop().unwrap_or_default();
            self.notes.pop();
            may_end |= self.returns_seen != returns_before;
            decided &= breaks.is_empty() && continues.is_empty() && !may_end;
            exits.extend(breaks);
            let mut head = (flow == Flow::Normal).then(|| self.st.clone());
            for c in continues {
                head = Some(match head {
                    Some(h) => h.join(&c),
                    None => c,
                });
            }
            i += 1;
            match head {
                None => {
                    ended = true;
                    break;
                }
                Some(h) => self.st = h,
            }
            if !exact && self.st.same(&prev_head) {
                settled = true;
                break;
            }
            prev_head = self.st.clone();
        }
        self.quiet = quiet_before;
        if exact {
            self.unroll_depth -= 1;
        }
        if !ended {
            let complete = count.map(|c| i >= c).unwrap_or(false) && cond.is_none();
            decided &= complete;
            if !settled && !complete {
                self.widen_loop(&prev_head, header, body, &var);
            }
            exits.push(self.st.clone());
        }
        let appended = self.appended.pop().unwrap_or_default();
        if !decided {
            for l in &appended {
                let elem = AVal::List(l.clone()).element_approx();
                *l.borrow_mut() = super::value::AList::Approx(elem);
            }
        }
        if let Some(outer) = self.appended.last_mut() {
            outer.extend(appended);
        }
        match exits.split_first() {
            None => Flow::Jump,
            Some((first, rest)) => {
                let mut st = first.clone();
                for s in rest {
                    st = st.join(s);
                }
                self.st = st;
                Flow::Normal
            }
        }
    }

    /// A loop that did not settle: say which shapes keep changing, then continue from a
    /// state that covers every iteration.
    fn widen_loop(
        &mut self,
        prev: &State,
        header: Span,
        body: &[Stmt],
        var: &Option<(&str, Span, Items)>,
    ) {
        let mut changing: Vec<String> = Vec::new();
        let env_now = self.st.locals.as_ref().unwrap_or(&self.st.globals);
        let env_prev: &Env = prev.locals.as_ref().unwrap_or(&prev.globals);
        let mut names: Vec<&Rc<str>> = env_now.keys().collect();
        names.sort();
        for name in names {
            if let (Some(a), Some(b)) = (env_prev.get(name), env_now.get(name)) {
                if let (AVal::Tensor(x), AVal::Tensor(y)) = (&a.value, &b.value) {
                    if !a.value.same(&b.value, &self.st.syms) {
                        let show = |t: &super::value::ATensor| {
                            t.shape
                                .as_ref()
                                .map(|s| self.shape_text(s))
                                .unwrap_or_else(|| "?".into())
                        };
                        changing.push(format!("`{name}` goes from {} to {}", show(x), show(y)));
                    }
                }
            }
        }
        if !changing.is_empty() && self.fuel > 0 {
            let d = Diagnostic::advice(
                "check::loop_shape",
                format!(
                    "shapes keep changing between iterations of this loop: {}",
                    changing.join(", ")
                ),
            )
            .primary(header, "checked for the first iterations only")
            .help("later iterations are checked with these sizes unknown");
            self.report(d);
        }
        let mut widened = prev.join(&self.st);
        self.quiet += 1;
        for _ in 0..2 {
            self.st = widened.clone();
            if let Some((name, span, items)) = var {
                let elem = match items {
                    Items::Exact(v) => v
                        .iter()
                        .skip(1)
                        .fold(v.first().cloned().unwrap_or(AVal::Unknown), |a, b| {
                            a.join(b)
                        }),
                    Items::Alike { elem, .. } => elem.clone(),
                };
                self.bind(name, elem, *span);
            }
            self.loops.push((Vec::new(), Vec::new()));
            self.exec_block(body);
            self.loops.pop();
            widened = widened.join(&self.st);
        }
        self.quiet -= 1;
        self.st = widened;
    }

    fn exec_assign(
        &mut self,
        stmt_span: Span,
        target: &Target,
        op: Option<BinOp>,
        op_span: Span,
        value: &Expr,
    ) {
        match target {
            Target::Name(name) => match op {
                None => {
                    let v = self.eval(value);
                    if let AVal::Tensor(_) = &v {
                        let text = self.text.clone();
                        let text_of = |s: Span| text.get(s.start..s.end).unwrap_or("").to_string();
                        if let Some(d) = crate::runtime::exec::rebind_update_warning(
                            &name.node, value, op_span, &text_of,
                        ) {
                            self.report(d);
                        }
                    }
                    self.record_assign(stmt_span, &name.node, &v);
                    self.bind(&name.node, v, stmt_span);
                }
                Some(op) => {
                    let current = match self.lookup(&name.node) {
                        Some(b) => b.value.clone(),
                        None => {
                            self.unknown_name(&name.node, name.span);
                            return;
                        }
                    };
                    let rhs = self.eval(value);
                    if let AVal::Tensor(t) = &current {
                        self.update_in_place(t, op, op_span, name.span, value, &rhs);
                        self.changed_in_place(t, stmt_span);
                        self.record_assign(stmt_span, &name.node, &current);
                        return;
                    }
                    let target_expr = Expr::new(
                        crate::syntax::ast::ExprKind::Name(name.node.clone()),
                        name.span,
                    );
                    let v = self.binary(op, op_span, current, rhs, &target_expr, value);
                    self.record_assign(stmt_span, &name.node, &v);
                    self.bind(&name.node, v, stmt_span);
                }
            },
            Target::Index {
                object,
                items,
                span,
            } => {
                let obj = self.eval(object);
                let rhs = self.eval(value);
                if let AVal::Tensor(t) = &obj {
                    self.changed_in_place(t, stmt_span);
                }
                let items = self.eval_items(items);
                self.assign_index(obj, object, &items, *span, op_span, value, rhs);
            }
            Target::Attr { .. } | Target::Tuple { .. } => {
                let v = self.eval(value);
                let v = if op.is_some() { AVal::Unknown } else { v };
                self.bind_target(target, v, stmt_span);
            }
        }
    }

    /// `W -= e`: `e` must broadcast to exactly `W`'s shape.
    pub(super) fn update_in_place(
        &mut self,
        t: &Rc<super::value::ATensor>,
        op: BinOp,
        op_span: Span,
        target_span: Span,
        value: &Expr,
        rhs: &AVal,
    ) {
        if !matches!(op, BinOp::Add | BinOp::Sub | BinOp::Mul | BinOp::Div) {
            self.report(
                Diagnostic::error(
                    "syntax::augmented",
                    format!("`{}=` is not an update operator", op.symbol()),
                )
                .primary(op_span, "use `+=`, `-=`, `*=` or `/=`"),
            );
            return;
        }
        let Some(r) = self.tensor_shape_of(rhs, value.span) else {
            return;
        };
        let Some(target) = &t.shape else { return };
        let Some(r) = r else { return };
        let out = self.rule_in_place(target, &r);
        let site = Site {
            op: format!("{}=", op.symbol()),
            primary: op_span,
            operands: vec![
                self.operand(target_span, &AVal::Tensor(t.clone())),
                self.operand(value.span, rhs),
            ],
            in_place: true,
            axis: None,
        };
        self.settle(out, &site, &[target, &r]);
    }

    #[allow(clippy::too_many_arguments)]
    pub(super) fn assign_index(
        &mut self,
        obj: AVal,
        object: &Expr,
        items: &[AItem],
        span: Span,
        op_span: Span,
        value: &Expr,
        rhs: AVal,
    ) {
        match &obj {
            AVal::List(l) => {
                let elem = obj.element_approx().join(&rhs);
                *l.borrow_mut() = AList::Approx(elem);
            }
            AVal::Tensor(t) => {
                let idx = self.index_items(items);
                let Some(shape) = &t.shape else { return };
                let Some(Some(r)) = self.tensor_shape_of(&rhs, value.span) else {
                    return;
                };
                let region = match self.rule_index(shape, &idx) {
                    super::dims::RuleOut::Ok(s) => s,
                    super::dims::RuleOut::Error(e) => {
                        let site = Site::call("index", span, vec![]);
                        self.tensor_error(e, &site, &[shape]);
                        return;
                    }
                    super::dims::RuleOut::Undecided(..) => return,
                };
                let out = self.rule_in_place(&region, &r);
                let site = Site {
                    op: "indexed assignment".to_string(),
                    primary: op_span,
                    operands: vec![self.operand_unknown(span), self.operand(value.span, &rhs)],
                    in_place: true,
                    axis: None,
                };
                self.settle(out, &site, &[shape, &r]);
            }
            AVal::Unknown => {}
            other => {
                let kind = other.kind();
                self.report(
                    Diagnostic::error("type::index", format!("cannot assign into a {kind}"))
                        .primary(object.span, format!("this is a {kind}")),
                );
            }
        }
    }

    /// An operand with no value to show (an indexed region).
    fn operand_unknown(&self, span: Span) -> explain::Operand {
        explain::Operand {
            span,
            text: self.text_of(span),
            shape: None,
            kind: "value",
            origin: None,
        }
    }

    /// Index items evaluated (by this walker).
    pub fn eval_items(&mut self, items: &[IndexItem]) -> Vec<AItem> {
        items
            .iter()
            .map(|it| match it {
                IndexItem::Ellipsis(_) => AItem::Ellipsis,
                IndexItem::Index(e) => AItem::At(self.eval(e), e.span),
                IndexItem::Slice {
                    start,
                    stop,
                    step,
                    span,
                } => {
                    let mut parts = [None, None, None];
                    for (k, part) in [start, stop, step].into_iter().enumerate() {
                        if let Some(e) = part {
                            parts[k] = Some((self.eval(e), e.span));
                        }
                    }
                    AItem::Slice(parts, *span)
                }
            })
            .collect()
    }

    /// Index items as far as they are known.
    pub fn index_items(&mut self, items: &[AItem]) -> Vec<AIdx> {
        let mut out = Vec::with_capacity(items.len());
        for it in items {
            out.push(match it {
                AItem::Ellipsis => AIdx::Advanced,
                AItem::At(v, span) => {
                    match v {
                        // Tensors, lists and `None` index as PyTorch's advanced indexing.
                        // (A value of unknown kind may be one of them.)
                        AVal::Tensor(_)
                        | AVal::List(_)
                        | AVal::None
                        | AVal::Range(_)
                        | AVal::Unknown => AIdx::Advanced,
                        _ => AIdx::At(self.known_int(v, *span)),
                    }
                }
                AItem::Slice(parts, _) => {
                    let mut out = [None, None, None];
                    let mut known = true;
                    for (k, part) in parts.iter().enumerate() {
                        if let Some((v, span)) = part {
                            if matches!(v, AVal::None) {
                                continue;
                            }
                            match self.known_int(v, *span) {
                                Some(n) => out[k] = Some(n),
                                None => known = false,
                            }
                        }
                    }
                    AIdx::Slice(known.then(|| (out[0], out[1], out[2].unwrap_or(1))))
                }
            });
        }
        out
    }

    /// A whole number when known; reports what the evaluator would for a known value
    /// that is not one.
    pub fn known_int(&mut self, v: &AVal, span: Span) -> Option<isize> {
        match v.realize() {
            Some(real) => match self.interp.int_of(&real, span) {
                Ok(n) => Some(n as isize),
                Err(d) => {
                    self.report(*d);
                    None
                }
            },
            None => None,
        }
    }
}

impl Default for AList {
    fn default() -> Self {
        AList::Exact(Vec::new())
    }
}
