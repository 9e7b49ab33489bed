//! `tsr check` on the evaluator's own walker (`runtime::domain`): the checker's abstract
//! values, rules and reports plugged in as the evaluator's `Domain`. Runs beside the
//! checker's own walker (`stmt.rs`, `expr.rs`) until it matches it over the test suites
//! (`tests/check.rs` compares the two); then that walker goes.

use super::expr::AArg;
use super::items::Items;
use super::rules::AItem;
use super::value::{ANum, AVal, SeqKind};
use super::{CheckReport, Checker, Note, NoteText, State};
use crate::runtime::call::ArgVal;
use crate::runtime::domain::{Abs, AbsItems, Domain, IdxVal};
use crate::runtime::interp::{Env, Flow, Interp, OpCall};
use crate::runtime::value::{Builtin, UserFn, Value};
use crate::syntax::ast::{Expr, Stmt, StmtKind, Target, UnaryOp};
use crate::syntax::diagnostic::Diagnostic;
use crate::syntax::diagnostic::Source;
use crate::syntax::span::Span;
use std::any::Any;
use std::rc::Rc;

/// The checker as the evaluator's abstract domain.
struct CheckDomain {
    c: Checker,
    /// Per statement being run: its start and the name it assigns (for `--shapes`).
    stmts: Vec<(usize, Option<String>)>,
    /// Per user call being followed: the function, and the locals it replaced.
    /// The functions being run (with the object of a method) and the names each hid.
    calls: Vec<(usize, Option<usize>, Option<super::Env>, Option<Source>)>,
}

/// The checker's view of a value.
fn to_aval(v: &Value) -> AVal {
    match v {
        Value::Abs(a) => a.downcast_ref::<AVal>().cloned().unwrap_or(AVal::Unknown),
        Value::List(l) => AVal::sequence(l.borrow().iter().map(to_aval).collect(), SeqKind::List),
        Value::Tuple(t) => AVal::tuple(t.iter().map(to_aval).collect()),
        other => AVal::from_value(other),
    }
}

/// What the checker's record of names keeps of a value (`Checker::names`): abstract
/// values (tensors) as they are, the rest only as there (a long list is not converted
/// at every binding).
fn mirrored(v: &Value) -> AVal {
    match v {
        Value::Abs(_) => to_aval(v),
        _ => AVal::Unknown,
    }
}

/// A value of the evaluator for an abstract one: known values as they are, the rest
/// abstract.
fn to_value(a: AVal) -> Value {
    match &a {
        AVal::None => return Value::None,
        AVal::Bool(Some(b)) => return Value::Bool(*b),
        AVal::Num(ANum::Known(n)) => return Value::Number(*n),
        AVal::Str(Some(s)) => return Value::Str(s.clone()),
        AVal::Range(Some((start, stop, step))) => {
            return Value::Range {
                start: *start,
                stop: *stop,
                step: *step,
            }
        }
        AVal::Builtin(b) => return Value::Builtin(b),
        AVal::Module(m) => return Value::Module(m),
        AVal::List(_) => {
            if let Some(items) = a.exact_items() {
                let items: Vec<Value> = items.into_iter().map(to_value).collect();
                return match a.seq_kind() {
                    Some(SeqKind::Tuple) => Value::tuple(items),
                    _ => Value::list(items),
                };
            }
        }
        _ => {}
    }
    Value::Abs(Rc::new(a) as Abs)
}

fn abs_of(a: &Abs) -> AVal {
    a.downcast_ref::<AVal>().cloned().unwrap_or(AVal::Unknown)
}

fn items_of(items: Vec<IdxVal>) -> Vec<AItem> {
    items
        .into_iter()
        .map(|i| match i {
            IdxVal::At(v, s) => AItem::At(to_aval(&v), s),
            IdxVal::Slice(parts, s) => {
                AItem::Slice(parts.map(|p| p.map(|(v, s)| (to_aval(&v), s))), s)
            }
            IdxVal::Ellipsis(_) => AItem::Ellipsis,
        })
        .collect()
}

impl Domain for CheckDomain {
    fn call_builtin(
        &mut self,
        it: &mut Interp,
        b: &'static Builtin,
        args: Vec<ArgVal>,
        callee: Span,
        call: Span,
    ) -> Value {
        let args = args
            .into_iter()
            .map(|a| AArg {
                name: a.name,
                value: to_aval(&a.value),
                span: a.span,
            })
            .collect();
        let out = self.c.call_builtin(b, args, callee, call);
        if b.check == crate::runtime::value::Check::ShapesPair {
            // The (values, indices) pair, as the run makes it (see `run_on_zeros`).
            if let Some([values, indices]) = out.exact_items().as_deref() {
                let name = b.name.rsplit('.').next().unwrap_or(b.name);
                let (v, i) = (to_value(values.clone()), to_value(indices.clone()));
                return crate::runtime::py::class::named_pair(name, v, i, &it.builtins);
            }
        }
        to_value(out)
    }

    fn binary(&mut self, _it: &mut Interp, o: OpCall) -> Value {
        to_value(
            self.c
                .binary(o.op, o.op_span, to_aval(&o.l), to_aval(&o.r), o.lhs, o.rhs),
        )
    }

    fn unary(
        &mut self,
        _it: &mut Interp,
        op: UnaryOp,
        v: Value,
        span: Span,
        operand: &Expr,
    ) -> Value {
        to_value(self.c.unary(op, to_aval(&v), span, operand))
    }

    fn index(
        &mut self,
        _it: &mut Interp,
        v: Value,
        object: &Expr,
        items: Vec<IdxVal>,
        span: Span,
    ) -> Value {
        to_value(self.c.index(to_aval(&v), object, &items_of(items), span))
    }

    fn set_index(
        &mut self,
        _it: &mut Interp,
        target: (Value, &Expr, Vec<IdxVal>, Span),
        value: (Span, &Expr, Value),
    ) {
        let (v, object, items, span) = target;
        let obj = to_aval(&v);
        if let AVal::Tensor(t) = &obj {
            self.c.changed_in_place(t, span);
        }
        let (op_span, value, rhs) = value;
        let (items, rhs) = (items_of(items), to_aval(&rhs));
        self.c
            .assign_index(obj, object, &items, span, op_span, value, rhs);
    }

    fn update(&mut self, _it: &mut Interp, o: OpCall, stmt: Span) -> Value {
        let (cur, r) = (to_aval(&o.l), to_aval(&o.r));
        if let AVal::Tensor(t) = &cur {
            self.c
                .update_in_place(t, o.op, o.op_span, o.lhs.span, o.rhs, &r);
            self.c.changed_in_place(t, stmt);
            return o.l;
        }
        to_value(self.c.binary(o.op, o.op_span, cur, r, o.lhs, o.rhs))
    }

    fn attribute(
        &mut self,
        _it: &mut Interp,
        v: Value,
        object: &Expr,
        name: &str,
        span: Span,
    ) -> Value {
        to_value(self.c.attribute(to_aval(&v), object, name, span))
    }

    fn truth(&mut self, v: &Abs, span: Span) -> Option<bool> {
        self.c.truthy(&abs_of(v), span)
    }

    fn into_any(self: Box<Self>) -> Box<dyn Any> {
        self
    }

    fn kind(&self, v: &Abs) -> &'static str {
        abs_of(v).kind()
    }

    fn items(&mut self, _it: &mut Interp, v: &Abs, span: Span) -> AbsItems {
        match self.c.loop_items(&abs_of(v), span) {
            Some(Items::Exact(items)) => AbsItems::Exact(items.into_iter().map(to_value).collect()),
            Some(Items::Alike { elem, count, .. }) => AbsItems::Alike(to_value(elem), count),
            None => AbsItems::Alike(Value::Abs(Rc::new(AVal::Unknown) as Abs), Some(0)),
        }
    }

    fn join(&mut self, a: &Value, b: &Value) -> Value {
        to_value(to_aval(a).join(&to_aval(b)))
    }

    fn unknown(&mut self) -> Value {
        Value::Abs(Rc::new(AVal::Unknown) as Abs)
    }

    fn report(&mut self, _it: &Interp, d: Diagnostic) {
        self.c.report(d);
    }

    fn bound(&mut self, it: &Interp, name: &str, v: &Value, origin: Span) {
        // `--shapes` lists what an assignment statement of the program binds to a name
        // (the statement's name is kept only then: see `statement`), not a library's.
        let library = it.library_source(it.src_id).is_some();
        if let (Some((start, Some(n))), false) = (self.stmts.last(), library) {
            if *start == origin.start && n == name {
                self.c.record_assign(origin, name, &to_aval(v));
                if let (Value::Instance(_), Some(e)) = (v, self.c.assigned.get_mut(&origin.start)) {
                    e.2 = "object".to_string();
                }
            }
        }
        self.c.bind(name, mirrored(v), origin);
    }

    fn statement(&mut self, stmt: Option<&Stmt>, saved: &mut bool) {
        match stmt {
            Some(s) => {
                *saved = std::mem::replace(&mut self.c.stmt_failed, false);
                // (The name is wanted only for the `--shapes` listing.)
                let name = match &s.kind {
                    StmtKind::Assign {
                        target: Target::Name(n),
                        ..
                    } if self.c.list_shapes => Some(n.node.clone()),
                    _ => None,
                };
                self.stmts.push((s.span.start, name));
            }
            None => {
                self.c.stmt_failed |= *saved;
                self.stmts.pop();
            }
        }
    }

    fn enter_call(&mut self, it: &Interp, f: &Rc<UserFn>, locals: &Env, call: Span) -> bool {
        let c = &mut self.c;
        if c.fuel == 0 {
            return false;
        }
        // A call costs fuel like a statement, so a call tree cannot outlast the budget.
        c.fuel -= 1;
        // Recursion is followed only while every argument is known (a count that runs
        // down to its base case); otherwise the tree of calls could be explored forever.
        let id = Rc::as_ptr(f) as usize;
        // A method entered again for another object is not recursion: a module's
        // `__call__` runs its layers' `__call__` (objects are finite, and fuel bounds
        // the rest).
        let receiver = f
            .params
            .first()
            .and_then(|p| locals.get(p.name.node.as_str()))
            .and_then(|b| match &b.value {
                Value::Instance(i) => Some(Rc::as_ptr(i) as usize),
                _ => None,
            });
        let again = |(g, r, ..): &(usize, Option<usize>, _, _)| {
            *g == id && (receiver.is_none() || *r == receiver)
        };
        if self.calls.iter().any(again) && !locals.values().all(|b| to_aval(&b.value).is_settled())
        {
            // (Said of the program's own functions: a library's recursion, such as
            // `_collate` over nested batches, is not the user's to act on.)
            let own = it.library_source(f.src_id).is_none();
            if c.cut_recursions.insert(id) && own {
                c.advise(
                    call,
                    format!(
                        "`{}` calls itself with arguments known only when the program runs: this call is not followed",
                        f.name
                    ),
                    Some("its result is taken as unknown; errors inside it are found at its other calls".into()),
                );
            }
            return false;
        }
        let mut mirror = super::Env::default();
        for (k, b) in locals {
            let value = mirrored(&b.value);
            mirror.insert(
                k.clone(),
                super::ABind {
                    value,
                    origin: b.origin.span,
                },
            );
        }
        let saved = c.names.locals.replace(mirror);
        c.notes.push(Note {
            quiet: false,
            src: it.library_source(it.src_id).cloned(),
            span: call,
            text: NoteText::Call(f.name.to_string()),
        });
        let inner = it.library_source(f.src_id).cloned();
        self.calls.push((
            id,
            receiver,
            saved,
            std::mem::replace(&mut c.cur_src, inner),
        ));
        true
    }

    fn leave_call(&mut self) {
        if let Some((_, _, saved, src)) = self.calls.pop() {
            self.c.cur_src = src;
            self.c.notes.pop();
            self.c.names.locals = saved;
        }
    }

    fn iteration(&mut self, at: Option<(Span, &str, &Value, usize, bool)>) {
        let Some((header, var, item, i, exact)) = at else {
            self.c.notes.pop();
            return;
        };
        let item = (exact && !var.is_empty()).then(|| to_aval(item));
        self.c.notes.push(Note {
            quiet: i == 0,
            src: self.c.cur_src.clone(),
            span: header,
            text: NoteText::Iteration {
                var: var.to_string(),
                i,
                item,
            },
        });
    }

    fn save(&self) -> Box<dyn Any> {
        Box::new(self.c.st.clone())
    }

    fn restore(&mut self, s: &dyn Any) {
        if let Some(st) = s.downcast_ref::<State>() {
            self.c.st = st.clone();
        }
    }

    fn join_saved(&mut self, a: &dyn Any, b: &dyn Any) -> Box<dyn Any> {
        match (a.downcast_ref::<State>(), b.downcast_ref::<State>()) {
            (Some(x), Some(y)) => Box::new(x.join(y)),
            _ => Box::new(self.c.st.clone()),
        }
    }

    fn same_saved(&self, a: &dyn Any, b: &dyn Any) -> bool {
        match (a.downcast_ref::<State>(), b.downcast_ref::<State>()) {
            (Some(x), Some(y)) => x.same(y),
            _ => true,
        }
    }

    fn same(&self, a: &Value, b: &Value) -> bool {
        to_aval(a).same(&to_aval(b), &self.c.st.syms)
    }

    fn quiet(&mut self, delta: isize) {
        self.c.quiet = self.c.quiet.saturating_add_signed(delta);
    }

    fn fuel(&mut self) -> bool {
        self.c.fuel = self.c.fuel.saturating_sub(1);
        self.c.fuel > 0
    }
}

/// Check a parsed program on the evaluator's walker; `seed`: a live session whose
/// variables the program sees (a REPL input, a notebook cell), as abstract values.
pub(super) fn check_program(
    name: &str,
    text: &str,
    stmts: &[Stmt],
    seed: Option<&Interp>,
    shapes: bool,
) -> CheckReport {
    let mut checker = Checker::new(super::silent_interp(name, text), text);
    checker.list_shapes = shapes;
    let mut walker = super::silent_interp(name, text);
    // One source for both: a note folds into its error's snippet only when they share it.
    walker.sources[walker.src_id].source = checker.interp.source(checker.interp.src_id).clone();
    if let Some(live) = seed {
        let mut names: Vec<(&Rc<str>, &Value)> =
            live.globals.iter().map(|(k, b)| (k, &b.value)).collect();
        names.sort_by_key(|(k, _)| k.to_string());
        for (k, v) in names {
            let a = checker.abstract_of(v, 0);
            checker.bind(k, a.clone(), Span::default());
            walker.bind(k, to_value(a), Span::default());
        }
    }
    walker.domain = Some(Box::new(CheckDomain {
        c: checker,
        stmts: Vec::new(),
        calls: Vec::new(),
    }));
    for s in stmts {
        match walker.exec(s) {
            Ok(Flow::Return(_)) | Err(_) => break,
            Ok(_) => {}
        }
    }
    match walker
        .domain
        .take()
        .map(|d| d.into_any().downcast::<CheckDomain>())
    {
        Some(Ok(d)) => d.c.finish(),
        _ => CheckReport {
            diagnostics: Vec::new(),
            shapes: Vec::new(),
            steps: 0,
        },
    }
}
