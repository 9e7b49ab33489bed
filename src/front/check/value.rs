//! Abstract values of the checker: numbers, strings and lists tracked when they are
//! computed from constants, tensors that carry a shape (with symbolic sizes) instead of
//! data, and how two values that reach the same point by different paths are joined.

use crate::runtime::builtins::Builtin;
use crate::runtime::value::Value;
use std::cell::RefCell;
use std::collections::{BTreeMap, BTreeSet};
use std::rc::Rc;

use super::dims::{is_sym, Dim, Shape, SymTable};

/// A number: known, a symbolic size (`x.shape[0]` of loaded data), or unknown.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum ANum {
    Known(f64),
    /// A size known only when the program runs (a symbolic size).
    Dim(Dim),
    Unknown,
}

/// A tensor without data: its shape (`None` when even the rank is unknown), the runtime
/// tensors it may be, and the tensors it may depend on through the autodiff graph.
#[derive(Clone, Debug)]
pub struct ATensor {
    pub shape: Option<Shape>,
    /// Possible identities (several after two branches were joined).
    pub ids: Rc<Vec<u32>>,
    /// Every tensor this one may depend on, itself included (an over-approximation).
    pub anc: Rc<BTreeSet<u32>>,
    /// The tensors its graph certainly used as an op's input, each with its version
    /// (in-place changes) at that use: an under-approximation, for `grad::stale`.
    pub used: Rc<BTreeMap<u32, u32>>,
    /// Whether it is a mask (made by a comparison or logical op), which indexes by
    /// selecting: `None` when that is not known.
    pub mask: Option<bool>,
}

/// A list: exact items, or (after `append` or a join of different lengths) only an
/// approximation of its elements.
#[derive(Clone, Debug)]
pub enum AList {
    Exact(Vec<AVal>),
    Approx(AVal),
}

#[derive(Clone)]
pub enum AVal {
    /// Anything: nothing is known about this value.
    Unknown,
    None,
    Bool(Option<bool>),
    Num(ANum),
    Str(Option<Rc<str>>),
    List(Rc<RefCell<AList>>),
    Range(Option<(i64, i64, i64)>),
    Tensor(Rc<ATensor>),
    Builtin(&'static Builtin),
    Optimizer,
    /// An imported module (`np`, `torch`, `F`): its members are builtins.
    Module(&'static crate::runtime::py::modules::Module),
}

impl std::fmt::Debug for AVal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}", self.kind())
    }
}

impl AVal {
    pub fn num(n: f64) -> AVal {
        AVal::Num(ANum::Known(n))
    }

    pub fn list(items: Vec<AVal>) -> AVal {
        AVal::List(Rc::new(RefCell::new(AList::Exact(items))))
    }

    /// A tuple: a list the checker knows to be a tuple (`isinstance(x, tuple)`).
    pub fn tuple(items: Vec<AVal>) -> AVal {
        AVal::sequence(items, SeqKind::Tuple)
    }

    /// A list or tuple whose kind is known.
    pub fn sequence(items: Vec<AVal>, kind: SeqKind) -> AVal {
        let v = AVal::list(items);
        if let AVal::List(l) = &v {
            seq_kinds::mark(l, kind);
        }
        v
    }

    /// `Some(Tuple)` or `Some(List)` when the checker knows which a sequence is.
    pub fn seq_kind(&self) -> Option<SeqKind> {
        match self {
            AVal::List(l) => seq_kinds::kind_of(l),
            _ => None,
        }
    }

    /// The kind of value in the user's words (as `Value::kind`).
    pub fn kind(&self) -> &'static str {
        match self {
            AVal::Unknown => "value",
            AVal::None => "None",
            AVal::Bool(_) => "bool",
            AVal::Num(_) => "number",
            AVal::Str(_) => "string",
            AVal::List(_) => "list",
            AVal::Range(_) => "range",
            AVal::Tensor(_) => "tensor",
            AVal::Builtin(_) => "function",
            AVal::Optimizer => "optimizer",
            AVal::Module(_) => "module",
        }
    }

    pub fn as_known_number(&self) -> Option<f64> {
        match self {
            AVal::Num(ANum::Known(n)) => Some(*n),
            AVal::Bool(Some(b)) => Some(*b as i32 as f64),
            _ => None,
        }
    }

    /// The value as a real runtime value, when it is fully known (scalars, strings,
    /// ranges, builtins and lists of those).
    pub fn realize(&self) -> Option<Value> {
        Some(match self {
            AVal::None => Value::None,
            AVal::Bool(Some(b)) => Value::Bool(*b),
            AVal::Num(ANum::Known(n)) => Value::Number(*n),
            AVal::Str(Some(s)) => Value::Str(s.clone()),
            AVal::Range(Some((start, stop, step))) => Value::Range {
                start: *start,
                stop: *stop,
                step: *step,
            },
            AVal::Builtin(b) => Value::Builtin(b),
            AVal::Module(m) => Value::Module(m),
            AVal::List(l) => match &*l.borrow() {
                AList::Exact(items) => {
                    let mut out = Vec::with_capacity(items.len());
                    for it in items {
                        out.push(it.realize()?);
                    }
                    Value::list(out)
                }
                AList::Approx(_) => return None,
            },
            _ => return None,
        })
    }

    /// Whether `realize` gives a value (without building it).
    pub fn is_known(&self) -> bool {
        match self {
            AVal::None
            | AVal::Bool(Some(_))
            | AVal::Num(ANum::Known(_))
            | AVal::Str(Some(_))
            | AVal::Range(Some(_))
            | AVal::Builtin(_)
            | AVal::Module(_) => true,
            AVal::List(l) => match &*l.borrow() {
                AList::Exact(items) => items.iter().all(AVal::is_known),
                AList::Approx(_) => false,
            },
            _ => false,
        }
    }

    /// Whether the value is as known as a run would have it: a known value, a tensor of
    /// known rank, a function. What a recursive call may be followed with.
    pub fn is_settled(&self) -> bool {
        match self {
            AVal::Tensor(t) => t.shape.is_some(),
            AVal::Optimizer => true,
            AVal::List(_) => match self.exact_items() {
                Some(items) => items.iter().all(|v| v.is_settled()),
                None => false,
            },
            other => other.is_known(),
        }
    }

    /// The abstract form of a runtime value produced by running a pure builtin.
    pub fn from_value(v: &Value) -> AVal {
        match v {
            Value::None => AVal::None,
            Value::Bool(b) => AVal::Bool(Some(*b)),
            Value::Number(n) => AVal::num(*n),
            Value::Str(s) => AVal::Str(Some(s.clone())),
            Value::List(l) => AVal::sequence(
                l.borrow().iter().map(AVal::from_value).collect(),
                SeqKind::List,
            ),
            Value::Tuple(t) => AVal::tuple(t.iter().map(AVal::from_value).collect()),
            Value::Range { start, stop, step } => AVal::Range(Some((*start, *stop, *step))),
            Value::Builtin(b) => AVal::Builtin(b),
            Value::Module(m) => AVal::Module(m),
            _ => AVal::Unknown,
        }
    }

    /// Items of a list, string or range when they are all known.
    pub fn exact_items(&self) -> Option<Vec<AVal>> {
        match self {
            AVal::List(l) => match &*l.borrow() {
                AList::Exact(items) => Some(items.clone()),
                AList::Approx(_) => None,
            },
            AVal::Range(Some((start, stop, step))) => {
                let n = Value::range_len(*start, *stop, *step);
                if n > 1 << 16 {
                    return None;
                }
                Some(
                    (0..n)
                        .map(|i| AVal::num((start + i * step) as f64))
                        .collect(),
                )
            }
            _ => None,
        }
    }

    fn is_empty_list(&self) -> bool {
        matches!(self, AVal::List(l) if matches!(&*l.borrow(), AList::Exact(items) if items.is_empty()))
    }

    /// What the items of this list are like, once `item` is added to it.
    pub fn element_approx_or(&self, item: AVal) -> AVal {
        if self.is_empty_list() {
            item
        } else {
            self.element_approx().join(&item)
        }
    }

    /// One value that stands for every element of a list whose items are not known.
    pub fn element_approx(&self) -> AVal {
        match self {
            AVal::List(l) => match &*l.borrow() {
                AList::Exact(items) => items
                    .iter()
                    .skip(1)
                    .fold(items.first().cloned().unwrap_or(AVal::Unknown), |a, b| {
                        a.join(b)
                    }),
                AList::Approx(e) => e.clone(),
            },
            AVal::Range(_) => AVal::Num(ANum::Unknown),
            AVal::Str(_) => AVal::Str(None),
            _ => AVal::Unknown,
        }
    }

    /// The value that covers both `self` and `other` (after two branches meet).
    pub fn join(&self, other: &AVal) -> AVal {
        match (self, other) {
            (AVal::None, AVal::None) => AVal::None,
            (AVal::Bool(a), AVal::Bool(b)) => AVal::Bool(if a == b { *a } else { None }),
            (AVal::Num(a), AVal::Num(b)) => AVal::Num(if a == b { *a } else { ANum::Unknown }),
            (AVal::Str(a), AVal::Str(b)) => AVal::Str(if a == b { a.clone() } else { None }),
            (AVal::Range(a), AVal::Range(b)) => AVal::Range(if a == b { *a } else { None }),
            (AVal::Tensor(a), AVal::Tensor(b)) => AVal::Tensor(if Rc::ptr_eq(a, b) {
                a.clone()
            } else {
                Rc::new(a.join(b))
            }),
            (AVal::List(a), AVal::List(b)) => {
                if Rc::ptr_eq(a, b) {
                    return self.clone();
                }
                let (la, lb) = (a.borrow(), b.borrow());
                match (&*la, &*lb) {
                    (AList::Exact(x), AList::Exact(y)) if x.len() == y.len() => {
                        AVal::list(x.iter().zip(y).map(|(p, q)| p.join(q)).collect())
                    }
                    _ => {
                        drop((la, lb));
                        // An empty list has no items to stand for.
                        let e = match (self.is_empty_list(), other.is_empty_list()) {
                            (true, _) => other.element_approx(),
                            (_, true) => self.element_approx(),
                            _ => self.element_approx().join(&other.element_approx()),
                        };
                        AVal::List(Rc::new(RefCell::new(AList::Approx(e))))
                    }
                }
            }
            (AVal::Builtin(a), AVal::Builtin(b)) if std::ptr::eq(*a, *b) => self.clone(),
            (AVal::Optimizer, AVal::Optimizer) => AVal::Optimizer,
            (AVal::Module(a), AVal::Module(b)) if std::ptr::eq(*a, *b) => self.clone(),
            _ => AVal::Unknown,
        }
    }

    /// Whether two values are the same for the checker's purposes (a loop has reached
    /// a fixed point when every variable stays the same): same kind, same known scalars,
    /// same shapes, where any two unknown sizes count as equal.
    pub fn same(&self, other: &AVal, syms: &SymTable) -> bool {
        match (self, other) {
            (AVal::Unknown, AVal::Unknown)
            | (AVal::None, AVal::None)
            | (AVal::Optimizer, AVal::Optimizer) => true,
            (AVal::Module(a), AVal::Module(b)) => std::ptr::eq(*a, *b),
            (AVal::Bool(a), AVal::Bool(b)) => a == b,
            (AVal::Num(a), AVal::Num(b)) => match (a, b) {
                (ANum::Dim(x), ANum::Dim(y)) => {
                    syms.canon(*x) == syms.canon(*y) || (syms.is_anon(*x) && syms.is_anon(*y))
                }
                _ => a == b,
            },
            (AVal::Str(a), AVal::Str(b)) => a == b,
            (AVal::Range(a), AVal::Range(b)) => a == b,
            (AVal::Tensor(a), AVal::Tensor(b)) => match (&a.shape, &b.shape) {
                (None, None) => true,
                (Some(x), Some(y)) => {
                    x.len() == y.len()
                        && x.iter().zip(y).all(|(&p, &q)| {
                            let (p, q) = (syms.canon(p), syms.canon(q));
                            p == q || (is_sym(p) && is_sym(q) && syms.is_anon(p) && syms.is_anon(q))
                        })
                }
                _ => false,
            },
            (AVal::List(a), AVal::List(b)) => {
                if Rc::ptr_eq(a, b) {
                    return true;
                }
                match (&*a.borrow(), &*b.borrow()) {
                    (AList::Exact(x), AList::Exact(y)) => {
                        x.len() == y.len() && x.iter().zip(y).all(|(p, q)| p.same(q, syms))
                    }
                    (AList::Approx(x), AList::Approx(y)) => x.same(y, syms),
                    _ => false,
                }
            }
            (AVal::Builtin(a), AVal::Builtin(b)) => std::ptr::eq(*a, *b),
            _ => false,
        }
    }
}

impl ATensor {
    pub fn join(&self, other: &ATensor) -> ATensor {
        let shape = match (&self.shape, &other.shape) {
            (Some(a), Some(b)) if a.len() == b.len() => Some(
                a.iter()
                    .zip(b)
                    .map(|(&x, &y)| if x == y { x } else { super::dims::ANON })
                    .collect(),
            ),
            _ => None,
        };
        let ids = if self.ids == other.ids {
            self.ids.clone()
        } else {
            let mut ids: Vec<u32> = self.ids.iter().chain(other.ids.iter()).copied().collect();
            ids.sort_unstable();
            ids.dedup();
            Rc::new(ids)
        };
        // Most joins are of one tensor with its next loop pass: the same ancestors.
        let anc = if Rc::ptr_eq(&self.anc, &other.anc) || self.anc.is_superset(&other.anc) {
            self.anc.clone()
        } else if other.anc.is_superset(&self.anc) {
            other.anc.clone()
        } else {
            Rc::new(self.anc.union(&other.anc).copied().collect())
        };
        // Used on both paths, at the later of the two versions.
        let used = if Rc::ptr_eq(&self.used, &other.used) {
            self.used.clone()
        } else {
            Rc::new(
                self.used
                    .iter()
                    .filter_map(|(id, v)| other.used.get(id).map(|w| (*id, (*v).max(*w))))
                    .collect(),
            )
        };
        ATensor {
            shape,
            ids,
            anc,
            used,
            mask: if self.mask == other.mask {
                self.mask
            } else {
                None
            },
        }
    }
}

/// The shape of nested lists as a tensor (numbers and 0-d tensors at the leaves).
pub(super) fn list_shape(v: &AVal) -> Option<Shape> {
    match v {
        AVal::Num(_) | AVal::Bool(_) => Some(Vec::new()),
        AVal::Tensor(t) => t.shape.as_ref().filter(|s| s.is_empty()).cloned(),
        AVal::List(_) => {
            let items = v.exact_items()?;
            let mut inner: Option<Shape> = None;
            for it in &items {
                let s = list_shape(it)?;
                match &inner {
                    None => inner = Some(s),
                    Some(prev) if *prev == s => {}
                    Some(_) => return None,
                }
            }
            let mut out = vec![Dim::Known(items.len())];
            out.extend(inner.unwrap_or_default());
            Some(out)
        }
        _ => None,
    }
}

/// Whether an abstract sequence is a Python list or a tuple. The checker keeps both as
/// `AVal::List`; a side table, keyed by the list's allocation, remembers the sequences
/// whose kind is known (made by a list or tuple display, or a builtin's result).
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum SeqKind {
    List,
    Tuple,
}

pub mod seq_kinds {
    use super::{AList, SeqKind};
    use std::cell::RefCell;
    use std::collections::HashMap;
    use std::rc::{Rc, Weak};

    type Entry = (Weak<RefCell<AList>>, SeqKind);

    thread_local! {
        static KINDS: RefCell<HashMap<usize, Entry>> = RefCell::new(HashMap::new());
    }

    pub fn mark(l: &Rc<RefCell<AList>>, kind: SeqKind) {
        KINDS.with(|k| {
            let mut k = k.borrow_mut();
            if k.len() >= 1 << 14 {
                // Forget the sequences that are gone (an address may be reused).
                k.retain(|_, (w, _)| w.strong_count() > 0);
            }
            k.insert(Rc::as_ptr(l) as usize, (Rc::downgrade(l), kind));
        });
    }

    pub fn kind_of(l: &Rc<RefCell<AList>>) -> Option<SeqKind> {
        KINDS.with(|k| {
            let k = k.borrow();
            let (w, kind) = k.get(&(Rc::as_ptr(l) as usize))?;
            w.upgrade().filter(|x| Rc::ptr_eq(x, l)).map(|_| *kind)
        })
    }
}
