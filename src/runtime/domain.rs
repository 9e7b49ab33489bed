//! The evaluator's abstract mode: the hooks through which `tsr check` runs a program on
//! the same walker as `run` (`eval.rs`, `exec.rs`, `call.rs`), with values that carry a
//! shape instead of data. The runtime never looks inside an abstract value (`Abs`): the
//! `Domain` plugged into the evaluator made it and is asked whenever one reaches an
//! operator, a builtin, an index, an attribute, a branch or a loop. Everything else
//! (names, lists, dicts, user functions and classes, f-strings, ...) runs as it does in
//! a real run.
//!
//! What is genuinely different from a run is small: a branch whose condition is not
//! known runs both arms from the same state and joins them; a loop whose trip count is
//! not known runs its body until the state stops changing; an error does not end the
//! program (the domain records it and the statement's targets become unknown).

use crate::runtime::interp::{Binding, Env, Interp, MAX_ABSTRACT_DEPTH};
use crate::runtime::value::{Attrs, Instance, Value};
use crate::syntax::ast::IndexItem;
use crate::syntax::span::Span;
use std::any::Any;
use std::cell::RefCell;
use std::collections::HashMap;
use std::rc::Rc;

pub use crate::runtime::interp::{AbsItems, Domain, IdxVal};
pub use crate::runtime::value::Abs;

/// Loops with at most this many known items are run item by item in abstract mode.
pub const UNROLL: usize = 128;
/// An unrolled loop whose items have run this many statements so far (nested loops and
/// calls included) runs the rest of its items as a loop over many items does: a long
/// loop over known data (50 names of a file, each with a loop over its characters)
/// stays exact for its first items without running every item's statements.
pub const UNROLL_STEPS: usize = 256;
/// A loop that runs its known items alike (many, or past `UNROLL_STEPS`) runs each of
/// them as it is instead when they are at most this many distinct values.
pub const DISTINCT: usize = 8;
/// Other loops are run at most this many times before their state is taken as settled.
pub const MAX_ITERS: usize = 8;

impl Interp {
    /// Evaluate the parts of index items.
    pub fn eval_index_items(
        &mut self,
        items: &[IndexItem],
    ) -> crate::runtime::interp::R<Vec<IdxVal>> {
        let mut out = Vec::with_capacity(items.len());
        for it in items {
            out.push(match it {
                IndexItem::Ellipsis(span) => IdxVal::Ellipsis(*span),
                IndexItem::Index(e) => IdxVal::At(self.eval(e)?, e.span),
                IndexItem::Slice {
                    start,
                    stop,
                    step,
                    span,
                } => {
                    let mut parts = [None, None, None];
                    for (k, part) in [start, stop, step].into_iter().enumerate() {
                        if let Some(e) = part {
                            parts[k] = Some((self.eval(e)?, e.span));
                        }
                    }
                    IdxVal::Slice(parts, *span)
                }
            });
        }
        Ok(out)
    }
}

impl Interp {
    /// Whether a domain is plugged in (`tsr check`).
    pub fn is_abstract(&self) -> bool {
        self.domain.is_some()
    }

    /// Run `f` with the plugged-in domain (taken out of `self` for the call).
    pub fn with_domain<T>(
        &mut self,
        f: impl FnOnce(&mut dyn Domain, &mut Interp) -> T,
    ) -> Option<T> {
        let mut d = self.domain.take()?;
        let out = f(&mut *d, self);
        self.domain = Some(d);
        Some(out)
    }

    /// The domain's verdict on an abstract value's truth (`None` when undecided).
    pub fn abstract_truth(&mut self, v: &Abs, span: Span) -> Option<bool> {
        self.with_domain(|d, _| d.truth(v, span)).flatten()
    }
}

/// The variables of a program at one point (the globals and every call's locals), with
/// the lists, dicts and objects they reach copied, so that running one arm of a branch
/// cannot change what the other arm starts from; and the domain's own state.
pub struct Snapshot {
    globals: Env,
    frames: Vec<Env>,
    domain: Option<Box<dyn Any>>,
}

impl Snapshot {
    /// Leave these variables out (of the globals and every frame).
    pub fn forget(&mut self, names: &[String]) {
        for n in names {
            self.globals.remove(n.as_str());
            for f in &mut self.frames {
                f.remove(n.as_str());
            }
        }
    }
}

/// Containers longer than this are shared between snapshots (see `Copier::copy`).
const SHARED_LEN: usize = 64;

fn key<T: ?Sized>(r: &Rc<T>) -> usize {
    Rc::as_ptr(r) as *const () as usize
}

/// Copies of mutable containers, by address, so that aliasing survives a copy.
#[derive(Default)]
struct Copier {
    seen: HashMap<usize, Value>,
}

impl Copier {
    fn copy(&mut self, v: &Value) -> Value {
        match v {
            // A long list is shared, not copied: copying the data a program reads
            // (thousands of rows or words) at every branch and loop pass costs more than
            // the check itself. A change to it on one arm of an undecided branch is then
            // seen on the other too (a precision the check gives up, not a false alarm:
            // at worst a length it then takes as known).
            Value::List(l) if l.borrow().len() > SHARED_LEN => v.clone(),
            Value::Dict(d) | Value::Set(d) if d.borrow().len() > SHARED_LEN => v.clone(),
            Value::List(l) => {
                if let Some(c) = self.seen.get(&key(l)) {
                    return c.clone();
                }
                let fresh = Rc::new(RefCell::new(Vec::new()));
                self.seen.insert(key(l), Value::List(fresh.clone()));
                let items: Vec<Value> = l.borrow().iter().map(|x| self.copy(x)).collect();
                *fresh.borrow_mut() = items;
                Value::List(fresh)
            }
            Value::Tuple(t) if needs_copy(v) => {
                Value::Tuple(Rc::new(t.iter().map(|x| self.copy(x)).collect()))
            }
            Value::Dict(d) | Value::Set(d) => {
                if let Some(c) = self.seen.get(&key(d)) {
                    return c.clone();
                }
                let mut copied = d.borrow().clone();
                for e in &mut copied.entries {
                    if needs_copy(&e.1) {
                        e.1 = self.copy(&e.1);
                    }
                }
                let fresh = Rc::new(RefCell::new(copied));
                let out = match v {
                    Value::Set(_) => Value::Set(fresh),
                    _ => Value::Dict(fresh),
                };
                self.seen.insert(key(d), out.clone());
                out
            }
            Value::Instance(i) => {
                if let Some(c) = self.seen.get(&key(i)) {
                    return c.clone();
                }
                let fresh = Rc::new(Instance {
                    class: i.class.clone(),
                    attrs: Attrs::new(Vec::new()),
                });
                let out = Value::Instance(fresh.clone());
                self.seen.insert(key(i), out.clone());
                let attrs: Vec<(String, Value)> = i.attrs.borrow().clone();
                for (k, x) in attrs {
                    let c = self.copy(&x);
                    fresh.attrs.borrow_mut().push((k, c));
                }
                out
            }
            other => other.clone(),
        }
    }

    fn env(&mut self, e: &Env) -> Env {
        let mut out = Env::with_capacity_and_hasher(e.len(), Default::default());
        for (k, b) in e {
            out.insert(
                k.clone(),
                Binding {
                    value: self.copy(&b.value),
                    origin: b.origin,
                },
            );
        }
        out
    }
}

/// Whether a copy of `v` differs from `v` itself (it holds a mutable container).
fn needs_copy(v: &Value) -> bool {
    match v {
        Value::List(_) | Value::Dict(_) | Value::Set(_) | Value::Instance(_) => true,
        Value::Tuple(t) => t.iter().any(needs_copy),
        _ => false,
    }
}

/// Joins of two states' values, by the pair of addresses of containers (aliasing kept).
struct Joiner<'a> {
    d: &'a mut dyn Domain,
    seen: HashMap<(usize, usize), Value>,
}

impl Joiner<'_> {
    fn join(&mut self, a: &Value, b: &Value) -> Value {
        if same_plain(a, b) {
            // The same value, or the same container (shared, or not copied).
            return a.clone();
        }
        if same_items(a, b) {
            // A container and its copy, neither changed: the first is the join.
            return a.clone();
        }
        match (a, b) {
            (Value::List(x), Value::List(y)) => {
                let pair = (key(x), key(y));
                if let Some(v) = self.seen.get(&pair) {
                    return v.clone();
                }
                if x.borrow().len() != y.borrow().len() {
                    return self.d.join(a, b);
                }
                let fresh = Rc::new(RefCell::new(Vec::new()));
                self.seen.insert(pair, Value::List(fresh.clone()));
                let (xs, ys) = (x.borrow().clone(), y.borrow().clone());
                let items: Vec<Value> = xs.iter().zip(&ys).map(|(p, q)| self.join(p, q)).collect();
                if self.unchanged(pair, &fresh, &xs, &items) {
                    return a.clone();
                }
                *fresh.borrow_mut() = items;
                Value::List(fresh)
            }
            (Value::Tuple(x), Value::Tuple(y)) if x.len() == y.len() => {
                let items: Vec<Value> = x
                    .iter()
                    .zip(y.iter())
                    .map(|(p, q)| self.join(p, q))
                    .collect();
                if items.iter().zip(x.iter()).all(|(p, q)| same_plain(p, q)) {
                    return a.clone();
                }
                Value::Tuple(Rc::new(items))
            }
            (Value::Instance(x), Value::Instance(y)) if Rc::ptr_eq(&x.class, &y.class) => {
                let pair = (key(x), key(y));
                if let Some(v) = self.seen.get(&pair) {
                    return v.clone();
                }
                let fresh = Rc::new(Instance {
                    class: x.class.clone(),
                    attrs: Attrs::new(Vec::new()),
                });
                self.seen.insert(pair, Value::Instance(fresh.clone()));
                let xs: Vec<(String, Value)> = x.attrs.borrow().clone();
                let mut attrs = Vec::with_capacity(xs.len());
                for (k, p) in &xs {
                    let v = match y.get(k) {
                        Some(q) => self.join(p, &q),
                        None => self.d.unknown(),
                    };
                    attrs.push((k.clone(), v));
                }
                for (k, _) in y.attrs.borrow().iter() {
                    if !xs.iter().any(|(n, _)| n == k) {
                        attrs.push((k.clone(), self.d.unknown()));
                    }
                }
                let kept = xs.len() == attrs.len()
                    && Rc::strong_count(&fresh) == 2
                    && attrs.iter().zip(&xs).all(|(p, q)| same_plain(&p.1, &q.1));
                if kept {
                    self.seen.insert(pair, a.clone());
                    return a.clone();
                }
                *fresh.attrs.borrow_mut() = attrs;
                Value::Instance(fresh)
            }
            (Value::Dict(x), Value::Dict(y)) | (Value::Set(x), Value::Set(y)) => {
                let same_keys = {
                    let (dx, dy) = (x.borrow(), y.borrow());
                    dx.entries.len() == dy.entries.len()
                        && dx
                            .entries
                            .iter()
                            .zip(&dy.entries)
                            .all(|(p, q)| same_plain(&p.0, &q.0))
                };
                if !same_keys {
                    return self.d.join(a, b);
                }
                let mut out = x.borrow().clone();
                let ys: Vec<Value> = y.borrow().entries.iter().map(|e| e.1.clone()).collect();
                let mut changed = false;
                for (e, f) in out.entries.iter_mut().zip(&ys) {
                    let j = self.join(&e.1, f);
                    changed |= !same_plain(&j, &e.1);
                    e.1 = j;
                }
                match (changed, a) {
                    (false, _) => a.clone(),
                    (true, Value::Set(_)) => Value::Set(Rc::new(RefCell::new(out))),
                    _ => Value::dict(out),
                }
            }
            _ => self.d.join(a, b),
        }
    }

    /// Whether a joined list is its first operand's items unchanged, with nothing yet
    /// referring to the fresh list made for it: then the first list itself is the join
    /// (its state is not used again), and no copy is made.
    fn unchanged(
        &mut self,
        pair: (usize, usize),
        fresh: &Rc<RefCell<Vec<Value>>>,
        xs: &[Value],
        items: &[Value],
    ) -> bool {
        let kept =
            Rc::strong_count(fresh) == 2 && items.iter().zip(xs).all(|(p, q)| same_plain(p, q));
        if kept {
            self.seen.remove(&pair);
        }
        kept
    }

    /// Join `b` into `a` in place. Each variable keeps the place it was bound at in `a`,
    /// or in `b` with `origin_of_b`.
    fn env(&mut self, a: &mut Env, b: &Env, origin_of_b: bool) {
        for (k, x) in a.iter_mut() {
            match b.get(k) {
                Some(y) => {
                    if !same_plain(&x.value, &y.value) {
                        x.value = self.join(&x.value, &y.value);
                    }
                    if origin_of_b {
                        x.origin = y.origin;
                    }
                }
                None => x.value = self.d.unknown(),
            }
        }
        for (k, y) in b {
            if !a.contains_key(k) {
                let value = self.d.unknown();
                a.insert(
                    k.clone(),
                    Binding {
                        value,
                        origin: y.origin,
                    },
                );
            }
        }
    }
}

/// Whether two values are the same for a loop's fixed point: containers item by item,
/// abstract values as the domain says (any two unknown sizes alike).
fn same_value(d: &dyn Domain, a: &Value, b: &Value, depth: usize) -> bool {
    if same_plain(a, b) {
        return true;
    }
    // A container that holds itself: ask no further (not the same, so another pass
    // runs, within `MAX_ITERS`).
    if depth > MAX_ABSTRACT_DEPTH {
        return false;
    }
    same_inside(a, b, |p, q| same_value(d, p, q, depth + 1)).unwrap_or_else(|| d.same(a, b))
}

/// Two lists, tuples, dicts, sets or objects whose items (keys and values, attributes)
/// are `same_plain`.
fn same_items(a: &Value, b: &Value) -> bool {
    same_inside(a, b, same_plain).unwrap_or(false)
}

/// Whether two containers of one kind hold the same items by `same` (keys by
/// `same_plain`); `None` when they are not two containers of one kind.
fn same_inside(a: &Value, b: &Value, same: impl Fn(&Value, &Value) -> bool) -> Option<bool> {
    let all =
        |x: &[Value], y: &[Value]| x.len() == y.len() && x.iter().zip(y).all(|(p, q)| same(p, q));
    Some(match (a, b) {
        (Value::List(x), Value::List(y)) => all(&x.borrow(), &y.borrow()),
        (Value::Tuple(x), Value::Tuple(y)) => all(x, y),
        (Value::Dict(x), Value::Dict(y)) | (Value::Set(x), Value::Set(y)) => {
            let (x, y) = (x.borrow(), y.borrow());
            x.entries.len() == y.entries.len()
                && x.entries
                    .iter()
                    .zip(&y.entries)
                    .all(|(p, q)| same_plain(&p.0, &q.0) && same(&p.1, &q.1))
        }
        (Value::Instance(x), Value::Instance(y)) => {
            let class = Rc::ptr_eq(&x.class, &y.class);
            let (x, y) = (x.attrs.borrow(), y.attrs.borrow());
            class
                && x.len() == y.len()
                && x.iter()
                    .zip(y.iter())
                    .all(|(p, q)| p.0 == q.0 && same(&p.1, &q.1))
        }
        _ => return None,
    })
}

/// The same value without looking inside containers: equal scalars and strings, the same
/// function, class, builtin or object.
fn same_plain(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::None, Value::None) => true,
        (Value::Bool(x), Value::Bool(y)) => x == y,
        (Value::Number(x), Value::Number(y)) => x == y || (x.is_nan() && y.is_nan()),
        (Value::Str(x), Value::Str(y)) => x == y,
        (
            Value::Range {
                start: a0,
                stop: a1,
                step: a2,
            },
            Value::Range {
                start: b0,
                stop: b1,
                step: b2,
            },
        ) => (a0, a1, a2) == (b0, b1, b2),
        (Value::Function(x), Value::Function(y)) => Rc::ptr_eq(x, y),
        (Value::Builtin(x), Value::Builtin(y)) => std::ptr::eq(*x, *y),
        (Value::Class(x), Value::Class(y)) => Rc::ptr_eq(x, y),
        (Value::Module(x), Value::Module(y)) => std::ptr::eq(*x, *y),
        (Value::Abs(x), Value::Abs(y)) => Rc::ptr_eq(x, y),
        (Value::List(x), Value::List(y)) => Rc::ptr_eq(x, y),
        (Value::Dict(x), Value::Dict(y)) => Rc::ptr_eq(x, y),
        (Value::Instance(x), Value::Instance(y)) => Rc::ptr_eq(x, y),
        (Value::BoundMethod(x), Value::BoundMethod(y)) => Rc::ptr_eq(x, y),
        _ => false,
    }
}

impl Interp {
    /// The program's variables and the domain's state now, copied (see `Snapshot`).
    pub fn snapshot(&mut self) -> Snapshot {
        let mut c = Copier::default();
        Snapshot {
            globals: c.env(&self.globals),
            frames: self.frames.iter().map(|f| c.env(&f.locals)).collect(),
            domain: self.domain.as_ref().map(|d| d.save()),
        }
    }

    /// The program's variables and the domain's state now, moved out (not copied): for a
    /// state that is only joined, compared or put back, never run on again as it is.
    /// The live variables are empty until `put_snapshot` or `join_snapshots` sets them.
    pub fn take_snapshot(&mut self) -> Snapshot {
        Snapshot {
            globals: std::mem::take(&mut self.globals),
            frames: self
                .frames
                .iter_mut()
                .map(|f| std::mem::take(&mut f.locals))
                .collect(),
            domain: self.domain.as_ref().map(|d| d.save()),
        }
    }

    /// Go back to a snapshot that is not needed again (moved in, not copied).
    pub fn put_snapshot(&mut self, s: Snapshot) {
        self.globals = s.globals;
        for (f, e) in self.frames.iter_mut().zip(s.frames) {
            f.locals = e;
        }
        if let (Some(d), Some(saved)) = (self.domain.as_mut(), s.domain.as_deref()) {
            d.restore(saved);
        }
    }

    /// Go back to a snapshot (copied again: it may be restored more than once).
    pub fn restore_snapshot(&mut self, s: &Snapshot) {
        let mut c = Copier::default();
        self.globals = c.env(&s.globals);
        for (f, e) in self.frames.iter_mut().zip(&s.frames) {
            f.locals = c.env(e);
        }
        if let (Some(d), Some(saved)) = (self.domain.as_mut(), s.domain.as_deref()) {
            d.restore(saved);
        }
    }

    /// Set the state to the join of two snapshots: `a` is joined into (its containers
    /// reused where nothing differs), `b` only read. Each variable keeps the place it was
    /// bound at in `a`, or in `b` with `origin_of_b` (the earlier of two loop passes).
    pub fn join_snapshots(&mut self, mut a: Snapshot, b: &Snapshot, origin_of_b: bool) {
        let Some(mut d) = self.domain.take() else {
            self.put_snapshot(a);
            return;
        };
        let mut j = Joiner {
            d: &mut *d,
            seen: HashMap::new(),
        };
        j.env(&mut a.globals, &b.globals, origin_of_b);
        for (x, y) in a.frames.iter_mut().zip(&b.frames) {
            j.env(x, y, origin_of_b);
        }
        if let (Some(x), Some(y)) = (a.domain.as_deref(), b.domain.as_deref()) {
            let joined = d.join_saved(x, y);
            d.restore(&*joined);
        }
        a.domain = None;
        self.domain = Some(d);
        self.put_snapshot(a);
    }

    /// The distinct values among `items` (by `same_value`), in first-seen order, when
    /// there are at most `DISTINCT` of them.
    pub(crate) fn distinct_items(&self, items: &[Value]) -> Option<Vec<Value>> {
        let d = self.domain.as_deref()?;
        let mut kinds: Vec<Value> = Vec::new();
        for x in items {
            if !kinds.iter().any(|k| same_value(d, k, x, 0)) {
                if kinds.len() == DISTINCT {
                    return None;
                }
                kinds.push(x.clone());
            }
        }
        Some(kinds)
    }

    /// Whether the variables of two snapshots are the same (a loop's fixed point).
    pub fn same_snapshots(&self, a: &Snapshot, b: &Snapshot) -> bool {
        let Some(d) = self.domain.as_deref() else {
            return true;
        };
        let env_same = |x: &Env, y: &Env| {
            x.len() == y.len()
                && x.iter().all(|(k, p)| {
                    y.get(k)
                        .is_some_and(|q| same_value(d, &p.value, &q.value, 0))
                })
        };
        env_same(&a.globals, &b.globals)
            && a.frames.len() == b.frames.len()
            && a.frames.iter().zip(&b.frames).all(|(x, y)| env_same(x, y))
            && match (a.domain.as_deref(), b.domain.as_deref()) {
                (Some(x), Some(y)) => d.same_saved(x, y),
                _ => true,
            }
    }
}
