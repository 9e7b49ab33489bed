//! Runtime values of tsr (`Value`), user functions, and how each value is shown.

use crate::runtime::interp::{Interp, R};
use crate::runtime::print;
use crate::syntax::ast::{Param, Stmt};
use crate::syntax::span::Span;
use crate::tensor::{Adam, RmsProp, Sgd, Tensor};
use std::cell::RefCell;
use std::collections::HashMap;
use std::rc::Rc;

/// A user-defined function: its parameters with default values evaluated at `def` time
/// (as Python does), its body, and where it was written.
pub struct UserFn {
    pub name: String,
    pub params: Vec<Param>,
    pub defaults: Vec<Option<Value>>,
    pub body: Rc<Vec<Stmt>>,
    /// The source (file or REPL input) the body's spans point into.
    pub src_id: usize,
    pub def_span: Span,
    /// The enclosing function's variables when it was defined inside one (by value).
    /// (A cell: the functions of a module written in tsr get the module's whole
    /// namespace once it has run, so they see names defined after them.)
    pub captured: RefCell<Option<Rc<crate::runtime::interp::Env>>>,
    /// Decorated with `@no_grad()`: its ops record no graph.
    pub no_grad: bool,
    /// The class whose body defined it (for `super()`).
    pub owner: RefCell<Option<std::rc::Weak<Class>>>,
    /// Part of a module written in tsr (`torch.nn`): it sees its module and the
    /// builtins, never the user's variables (a user's `relu = ...` cannot change it).
    pub isolated: bool,
}

pub enum Optimizer {
    Sgd(Sgd),
    /// Adam, or AdamW when `decoupled`.
    Adam(Adam),
    RmsProp(RmsProp),
}

#[derive(Clone)]
pub enum Value {
    None,
    Bool(bool),
    Number(f64),
    Str(Rc<str>),
    List(Rc<RefCell<Vec<Value>>>),
    Range {
        start: i64,
        stop: i64,
        step: i64,
    },
    Tensor(Tensor),
    Function(Rc<UserFn>),
    Builtin(&'static Builtin),
    Optimizer(Rc<RefCell<Optimizer>>),
    /// A random generator of its own (`generator(42)`), for `generator=` arguments.
    Generator(Rc<RefCell<crate::tensor::Rng>>),
    Tuple(Rc<Vec<Value>>),
    Dict(Rc<RefCell<Dict>>),
    /// A set: a dict whose values are unused.
    Set(Rc<RefCell<Dict>>),
    Class(Rc<Class>),
    Instance(Rc<Instance>),
    /// A method read from an instance: `(self, function)`.
    BoundMethod(Rc<(Value, Value)>),
    Module(&'static Module),
    /// A text file opened to read: its path and its whole text.
    File(Rc<(String, Rc<str>)>),
    /// `super()`: the instance, and the class whose methods it reaches.
    Super(Rc<(Value, Option<Rc<Class>>)>),
    /// A function wrapped by `property`, `staticmethod` or `classmethod`: what reading it
    /// from an instance or a class gives.
    Descriptor(Rc<(Descriptor, Value)>),
    /// An abstract value of `tsr check` (a shape, an unknown number): only the abstract
    /// domain plugged into the evaluator reads it.
    Abs(Abs),
}

/// One evaluated argument of a call.
pub struct ArgVal {
    pub name: Option<(String, Span)>,
    pub value: Value,
    pub span: Span,
}

/// An abstract value, opaque to the runtime.
pub type Abs = Rc<dyn std::any::Any>;

#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Descriptor {
    /// `obj.name` calls the function with `obj`.
    Property,
    /// `obj.name` and `Class.name` are the function itself.
    Static,
    /// `obj.name` and `Class.name` are the function bound to the class.
    ClassMethod,
}

impl Value {
    /// Whether `v` is abstract or holds an abstract value (in a list, tuple or dict).
    pub fn has_abs(&self) -> bool {
        match self {
            Value::Abs(_) => true,
            Value::List(l) => l.borrow().iter().any(Value::has_abs),
            Value::Tuple(t) => t.iter().any(Value::has_abs),
            _ => false,
        }
    }

    pub fn list(items: Vec<Value>) -> Value {
        Value::List(Rc::new(RefCell::new(items)))
    }

    pub fn str(s: &str) -> Value {
        Value::Str(Rc::from(s))
    }

    /// A one-character string; ASCII characters are shared, not allocated (iterating
    /// over a text, `set` of a text, indexing one character).
    pub fn char(c: char) -> Value {
        thread_local! {
            static ASCII: Vec<Rc<str>> =
                (0u8..128).map(|b| Rc::from(char::from(b).to_string())).collect();
        }
        match u8::try_from(c) {
            Ok(b) if b < 128 => ASCII.with(|t| Value::Str(t[usize::from(b)].clone())),
            _ => Value::str(c.encode_utf8(&mut [0; 4])),
        }
    }

    /// A tuple as a list (for the builtins that take either); anything else as it is.
    pub fn listlike(self) -> Value {
        match self {
            Value::Tuple(items) => Value::list(items.as_ref().clone()),
            other => other,
        }
    }

    pub fn tuple(items: Vec<Value>) -> Value {
        Value::Tuple(Rc::new(items))
    }

    pub fn dict(d: Dict) -> Value {
        Value::Dict(Rc::new(RefCell::new(d)))
    }

    /// The kind of value, in the user's words, for type errors and `:vars`.
    pub fn kind(&self) -> &'static str {
        match self {
            Value::None => "None",
            Value::Bool(_) => "bool",
            Value::Number(_) => "number",
            Value::Str(_) => "string",
            Value::List(_) => "list",
            Value::Range { .. } => "range",
            Value::Tensor(_) => "tensor",
            Value::Function(_) | Value::Builtin(_) => "function",
            Value::Optimizer(_) => "optimizer",
            Value::Generator(_) => "generator",
            Value::Tuple(_) => "tuple",
            Value::Dict(_) => "dict",
            Value::Set(_) => "set",
            Value::Class(_) => "class",
            Value::Instance(_) => "object",
            Value::BoundMethod(_) => "method",
            Value::Module(_) => "module",
            Value::Super(_) => "super",
            Value::File(_) => "file",
            Value::Descriptor(d) => match d.0 {
                Descriptor::Property => "property",
                Descriptor::Static => "staticmethod",
                Descriptor::ClassMethod => "classmethod",
            },
            Value::Abs(_) => "value",
        }
    }

    /// Number of elements of a range, Python's rule.
    pub fn range_len(start: i64, stop: i64, step: i64) -> i64 {
        if step > 0 && start < stop {
            (stop - start + step - 1) / step
        } else if step < 0 && start > stop {
            (start - stop - step - 1) / (-step)
        } else {
            0
        }
    }

    /// How a value prints as the result of a bare expression (Python's `repr`).
    pub fn repr(&self) -> String {
        let mut out = String::new();
        self.write(&mut out, true, 0);
        out
    }

    /// How `print` shows a value (Python's `str`: strings without quotes).
    pub fn display(&self) -> String {
        let mut out = String::new();
        self.write(&mut out, false, 0);
        out
    }

    fn write(&self, out: &mut String, repr: bool, depth: usize) {
        match self {
            Value::Abs(_) => out.push_str("<unknown>"),
            Value::None => out.push_str("None"),
            Value::Bool(b) => out.push_str(if *b { "True" } else { "False" }),
            Value::Number(n) => out.push_str(&print::format_number(*n)),
            Value::Str(s) => {
                if repr {
                    out.push_str(&print::format_string_repr(s))
                } else {
                    out.push_str(s)
                }
            }
            Value::List(items) => {
                // A list that holds itself shows `[...]` where it recurs, as Python.
                if depth > 50 || writing(Rc::as_ptr(items) as *const u8 as usize) {
                    out.push_str("[...]");
                    return;
                }
                let _mark = Writing::enter(Rc::as_ptr(items) as *const u8 as usize);
                out.push('[');
                // A list may contain itself through `append`; borrow may fail then.
                match items.try_borrow() {
                    Ok(items) => {
                        for (i, v) in items.iter().enumerate() {
                            if i > 0 {
                                out.push_str(", ");
                            }
                            v.write(out, true, depth + 1);
                        }
                    }
                    Err(_) => out.push_str("..."),
                }
                out.push(']');
            }
            Value::Range { start, stop, step } => {
                if *step == 1 {
                    out.push_str(&format!("range({start}, {stop})"))
                } else {
                    out.push_str(&format!("range({start}, {stop}, {step})"))
                }
            }
            Value::Tensor(t) => out.push_str(&print::format_tensor(&t.data())),
            Value::Function(f) => out.push_str(&format!("<function {}>", f.name)),
            Value::Builtin(b) => out.push_str(&format!("<builtin {}>", b.name)),
            Value::Optimizer(o) => out.push_str(match &*o.borrow() {
                Optimizer::Sgd(_) => "<sgd optimizer>",
                Optimizer::Adam(a) if a.decoupled => "<adamw optimizer>",
                Optimizer::Adam(_) => "<adam optimizer>",
                Optimizer::RmsProp(_) => "<rmsprop optimizer>",
            }),
            Value::Generator(_) => out.push_str("<generator>"),
            Value::Tuple(items) => {
                if depth > 50 {
                    out.push_str("(...)");
                    return;
                }
                out.push('(');
                for (i, v) in items.iter().enumerate() {
                    if i > 0 {
                        out.push_str(", ");
                    }
                    v.write(out, true, depth + 1);
                }
                if items.len() == 1 {
                    out.push(',');
                }
                out.push(')');
            }
            Value::Dict(d) => {
                if depth > 50 || writing(Rc::as_ptr(d) as *const u8 as usize) {
                    out.push_str("{...}");
                    return;
                }
                let _mark = Writing::enter(Rc::as_ptr(d) as *const u8 as usize);
                out.push('{');
                match d.try_borrow() {
                    Ok(d) => {
                        for (i, (k, v)) in d.entries.iter().enumerate() {
                            if i > 0 {
                                out.push_str(", ");
                            }
                            k.write(out, true, depth + 1);
                            out.push_str(": ");
                            v.write(out, true, depth + 1);
                        }
                    }
                    Err(_) => out.push_str("..."),
                }
                out.push('}');
            }
            Value::Set(d) => match d.try_borrow() {
                Ok(d) if d.is_empty() => out.push_str("set()"),
                Ok(d) => {
                    out.push('{');
                    for (i, k) in d.keys().enumerate() {
                        if i > 0 {
                            out.push_str(", ");
                        }
                        k.write(out, true, depth + 1);
                    }
                    out.push('}');
                }
                Err(_) => out.push_str("{...}"),
            },
            Value::Class(c) => out.push_str(&format!("<class '{}'>", c.name)),
            Value::Instance(i) => out.push_str(&format!("<{} object>", i.class.name)),
            Value::BoundMethod(m) => {
                let class = match &m.0 {
                    Value::Instance(i) => i.class.name.clone(),
                    other => other.kind().to_string(),
                };
                let name = match &m.1 {
                    Value::Function(f) => f.name.clone(),
                    Value::Builtin(b) => b.name.to_string(),
                    _ => "?".to_string(),
                };
                out.push_str(&format!("<bound method {class}.{name}>"))
            }
            Value::Module(m) => out.push_str(&format!("<module '{}'>", m.name)),
            Value::Super(_) => out.push_str("<super>"),
            Value::Descriptor(_) => out.push_str(&format!("<{} object>", self.kind())),
            Value::File(f) => out.push_str(&format!("<file '{}'>", f.0)),
        }
    }
}

thread_local! {
    /// The lists and dicts being written now (outermost first), to show a container
    /// that holds itself as `[...]`.
    static WRITING: RefCell<Vec<usize>> = const { RefCell::new(Vec::new()) };
}

fn writing(p: usize) -> bool {
    WRITING.with(|w| w.borrow().contains(&p))
}

/// Marks a container as being written until dropped.
struct Writing;

impl Writing {
    fn enter(p: usize) -> Writing {
        WRITING.with(|w| w.borrow_mut().push(p));
        Writing
    }
}

impl Drop for Writing {
    fn drop(&mut self) {
        WRITING.with(|w| {
            w.borrow_mut().pop();
        });
    }
}

// ------------------------------------------------------------ builtins

/// One parameter of a builtin.
#[derive(Clone, Copy, Debug)]
pub enum P {
    /// Required, positional or keyword.
    Req(&'static str),
    /// Optional, positional or keyword, with the default as the user would write it.
    Opt(&'static str, &'static str),
    /// Any number of further positional arguments (`*dims`).
    Var(&'static str),
    /// Keyword-only, with its default.
    Kw(&'static str, &'static str),
    /// Any number of further keyword arguments with names of the caller's choosing
    /// (`**arrays`), kept in call order.
    VarKw(&'static str),
}

impl P {
    pub fn name(self) -> &'static str {
        match self {
            P::Req(n) | P::Opt(n, _) | P::Var(n) | P::Kw(n, _) | P::VarKw(n) => n,
        }
    }
}

pub type BuiltinFn = fn(&mut Interp, &mut Args) -> R<Value>;

pub struct Builtin {
    pub name: &'static str,
    pub params: &'static [P],
    pub doc: &'static str,
    pub example: &'static str,
    pub func: BuiltinFn,
    /// How `tsr check` finds the result without running it.
    pub check: Check,
    /// Whether `tsr check` may run it for real when every argument is known (it
    /// computes only with numbers, strings, lists and small literal tensors).
    pub pure: bool,
    /// What it is to the silent-bug lint (`runtime::lint`).
    pub lint: LintRole,
}

/// What a builtin is to the lint that warns of silent shape bugs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LintRole {
    /// Makes probabilities (`softmax`, `sigmoid`).
    Probs,
    /// A loss that expects logits (`cross_entropy`, `bce_logits`).
    LogitLoss,
    /// A reduction (it may also make a row reduction).
    Reduction,
    /// A loss that reduces elementwise terms (`mse`, `l1_loss`).
    Loss,
    Other,
}

/// A builtin's abstract rule: what `tsr check` computes for a call instead of running
/// it. Most tensor builtins share a rule (every unary elementwise op is `Elementwise`),
/// and each rule calls the op's own shape rule in `tensor::shape`; `front/check` holds
/// the one interpretation of each variant. A builtin without one gives an unknown value
/// (never a false alarm).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Check {
    /// Nothing is known of the result.
    Unknown,
    /// A statement-like call whose result is `None` (`print`, `seed`, `save`).
    Nothing,
    /// A number about which nothing is known (`float`, `perf_counter`).
    Number,
    /// A string about which nothing is known.
    Text,
    Len,
    Range,
    Int,
    List,
    Append,
    Sorted,
    TypeName,
    /// A tensor from nested lists.
    Literal,
    /// A tensor whose sizes are the arguments from the first on (`zeros(2, 3)`).
    Sized,
    /// `eye(n)`: `[n, n]`.
    Square,
    /// `randperm(n)`: `[n]`.
    Vector,
    Arange,
    Linspace,
    /// A new tensor of the first argument's shape (`zeros_like`, `detach`).
    LikeFirst,
    /// The first argument itself (`x.float()`, `x.to(device)`, `x.contiguous()`).
    Same,
    /// A new tensor computed from the first argument, of its shape (`x.clone()`).
    Copy,
    Reshape,
    Flatten,
    Transpose,
    Squeeze,
    Unsqueeze,
    Cat,
    Stack,
    /// `permute`, `expand`, `repeat`, `pad`: their shape rules when the sizes are known.
    Permute,
    Expand,
    Repeat,
    Pad,
    /// Several tensors in a list (`chunk`, `split`, `topk`, `sort`).
    Pieces,
    /// The result's shape and the call's errors depend only on the shapes of its tensor
    /// arguments and the values of the others: the checker runs it for real on zero
    /// tensors of those shapes (when they are known and small).
    Shapes,
    /// `isinstance(x, kind)`: decided from what is known of `x`'s kind, so that a branch
    /// guarded by it is not followed with a value it excludes.
    IsInstance,
    /// As `Shapes`, for a builtin whose result is not one tensor (a (values, indices)
    /// pair): when it cannot be run, the result is unknown rather than a tensor.
    ShapesPair,
    Numel,
    /// `x.size()` (the sizes) and `x.size(d)` (one size).
    Size,
    /// `x.dim()`: the number of axes.
    Ndim,
    /// The first argument's shape, through the graph (`exp`, `relu`); a number stays a
    /// number.
    Elementwise,
    /// The first two arguments broadcast (`maximum`).
    Broadcast2,
    /// `mean` with `axis` and `keepdim`.
    Reduce,
    /// `sum`: a reduction, and a list's sum is a number.
    Sum,
    /// `max`/`min`: with a second tensor elementwise, else a reduction.
    Extreme,
    /// `argmax`/`argmin`: a reduction with no gradient.
    ArgExtreme,
    Softmax,
    /// `mse`, `bce`, `bce_logits`: the loss rule of the tensor core, by name.
    Loss,
    CrossEntropy,
    Item,
    Backward,
    Grad,
    Gradcheck,
    Optimizer,
    Step,
    Load,
    LoadCsv,
    /// Reads a file other than data (`torch.load`, `csv_columns`): the checker runs it
    /// when the file is there, and takes its result as unknown when it is not (the
    /// program may write the file before it reads it).
    ReadsFile,
    OneHot,
    Accuracy,
}

impl Builtin {
    /// The slot of the axis parameter (`axis` or `dim`), if it has one.
    pub fn axis_slot(&self) -> Option<usize> {
        self.params
            .iter()
            .position(|p| matches!(p.name(), "axis" | "dim"))
    }

    /// `sum(x, axis=None, keepdim=False)`
    pub fn signature(&self) -> String {
        let parts: Vec<String> = self
            .params
            .iter()
            .map(|p| match p {
                P::Req(n) => n.to_string(),
                P::Opt(n, d) | P::Kw(n, d) => format!("{n}={d}"),
                P::Var(n) => format!("*{n}"),
                P::VarKw(n) => format!("**{n}"),
            })
            .collect();
        format!("{}({})", self.name, parts.join(", "))
    }
}

/// Arguments bound to a builtin's parameters: one slot per non-variadic parameter, and
/// the extra positional values for a `Var` parameter, the extra keyword arguments for a
/// `VarKw` parameter.
pub struct Args {
    pub builtin: &'static Builtin,
    pub slots: Vec<Option<(Value, Span)>>,
    pub rest: Vec<(Value, Span)>,
    /// `(name, name span, value, value span)` in call order.
    pub kwargs: Vec<(String, Span, Value, Span)>,
    pub callee: Span,
    pub call: Span,
}

/// Every builtin with an index by name: what the evaluator looks names up in.
pub struct Builtins {
    pub rows: Vec<&'static Builtin>,
    index: NameIndex<usize>,
    /// Methods by kind and name: `list.append` under `"list"`, `"append"` (a lookup at
    /// every method call, without building the dotted name).
    methods: NameIndex<NameIndex<usize>>,
}

type NameIndex<V> =
    HashMap<&'static str, V, std::hash::BuildHasherDefault<crate::runtime::fnv::FnvHasher>>;

impl Builtins {
    pub fn new(rows: &[&'static Builtin]) -> Builtins {
        let index = rows.iter().enumerate().map(|(i, b)| (b.name, i)).collect();
        let mut methods: NameIndex<NameIndex<usize>> = HashMap::default();
        for (i, b) in rows.iter().enumerate() {
            if let Some((kind, name)) = b.name.split_once('.') {
                methods.entry(kind).or_default().insert(name, i);
            }
        }
        Builtins {
            rows: rows.to_vec(),
            index,
            methods,
        }
    }

    pub fn find(&self, name: &str) -> Option<&'static Builtin> {
        self.index.get(name).map(|&i| self.rows[i])
    }

    /// The builtin named `kind.name` (`list.append`).
    pub fn method(&self, kind: &str, name: &str) -> Option<&'static Builtin> {
        self.methods.get(kind)?.get(name).map(|&i| self.rows[i])
    }
}

// ------------------------------------------------------------ Python's values

/// The attributes of a class or an object, in the order they were first set (the run's
/// values and the check's abstract ones alike).
pub struct Attrs<V>(RefCell<Vec<(String, V)>>);

impl<V: Clone> Attrs<V> {
    pub fn new(items: Vec<(String, V)>) -> Attrs<V> {
        Attrs(RefCell::new(items))
    }

    pub fn get(&self, name: &str) -> Option<V> {
        let attrs = self.0.borrow();
        attrs
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.clone())
    }

    /// Set `name` to `value`, or, when it is set already, to `merge(old, value)`.
    pub fn set_with(&self, name: &str, value: V, merge: impl FnOnce(&V, V) -> V) {
        let mut attrs = self.0.borrow_mut();
        match attrs.iter_mut().find(|(n, _)| n == name) {
            Some(slot) => slot.1 = merge(&slot.1, value),
            None => attrs.push((name.to_string(), value)),
        }
    }

    pub fn set(&self, name: &str, value: V) {
        self.set_with(name, value, |_, v| v)
    }
}

impl<V> std::ops::Deref for Attrs<V> {
    type Target = RefCell<Vec<(String, V)>>;
    fn deref(&self) -> &Self::Target {
        &self.0
    }
}

/// A class: its methods and class attributes, and its base.
pub struct Class {
    pub name: String,
    pub base: Option<Rc<Class>>,
    /// Methods and class attributes, in the order the body defined them.
    pub attrs: Attrs<Value>,
}

impl Class {
    /// A method or class attribute, from this class or the nearest base that has it.
    pub fn find(&self, name: &str) -> Option<Value> {
        self.attrs
            .get(name)
            .or_else(|| self.base.as_ref().and_then(|b| b.find(name)))
    }

    /// Whether this class is `other` or derives from it.
    pub fn is_a(&self, other: &Class) -> bool {
        std::ptr::eq(self, other) || self.base.as_ref().is_some_and(|b| b.is_a(other))
    }
}

pub struct Instance {
    pub class: Rc<Class>,
    pub attrs: Attrs<Value>,
}

impl Instance {
    pub fn get(&self, name: &str) -> Option<Value> {
        self.attrs.get(name)
    }

    pub fn set(&self, name: &str, value: Value) {
        self.attrs.set(name, value)
    }

    pub fn remove(&self, name: &str) -> bool {
        let mut attrs = self.attrs.borrow_mut();
        let before = attrs.len();
        attrs.retain(|(n, _)| n != name);
        attrs.len() != before
    }
}

/// A hashable value reduced to what equality looks at.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Key {
    None,
    /// A number (or a bool) by its bits; `-0.0` and `0.0` are one key.
    Num(u64),
    Str(std::rc::Rc<str>),
    Tuple(Vec<Key>),
    /// An instance of a user class: hashed by identity, as Python's default.
    Id(usize),
}

impl Key {
    /// The key of a value, or `None` when the value cannot be a key (a list, a tensor).
    pub fn of(v: &Value) -> Option<Key> {
        Some(match v {
            Value::None => Key::None,
            Value::Bool(b) => Key::Num(if *b { 1f64 } else { 0f64 }.to_bits()),
            Value::Number(n) => Key::Num(if *n == 0.0 {
                0f64.to_bits()
            } else {
                n.to_bits()
            }),
            Value::Str(s) => Key::Str(s.clone()),
            Value::Tuple(items) => Key::Tuple(items.iter().map(Key::of).collect::<Option<_>>()?),
            // By identity, unless the class defines `__eq__` without `__hash__` (then, as
            // in Python, its instances cannot be keys).
            Value::Instance(i) => {
                if i.class.find("__eq__").is_some() && i.class.find("__hash__").is_none() {
                    return None;
                }
                Key::Id(std::rc::Rc::as_ptr(i) as usize)
            }
            _ => return None,
        })
    }
}

/// An ordered map from keys to values; a set is a `Dict` whose values are `None`.
#[derive(Clone, Default)]
pub struct Dict {
    pub entries: Vec<(Value, Value)>,
    /// Shared between copies until one of them changes its keys (a check copies every
    /// dict at each branch; most never change).
    index: Rc<HashMap<Key, usize, std::hash::BuildHasherDefault<crate::runtime::fnv::FnvHasher>>>,
}

impl Dict {
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    pub fn get(&self, key: &Key) -> Option<&Value> {
        self.index.get(key).map(|&i| &self.entries[i].1)
    }

    pub fn contains(&self, key: &Key) -> bool {
        self.index.contains_key(key)
    }

    /// Set `key` to `value`; a new key goes last, an existing one keeps its place.
    pub fn insert(&mut self, key: Key, k: Value, value: Value) {
        match self.index.get(&key) {
            Some(&i) => self.entries[i].1 = value,
            None => {
                let at = self.entries.len();
                Rc::make_mut(&mut self.index).insert(key, at);
                self.entries.push((k, value));
            }
        }
    }

    pub fn remove(&mut self, key: &Key) -> Option<Value> {
        let index = Rc::make_mut(&mut self.index);
        let i = index.remove(key)?;
        let (_, v) = self.entries.remove(i);
        for slot in index.values_mut() {
            if *slot > i {
                *slot -= 1;
            }
        }
        Some(v)
    }

    pub fn keys(&self) -> impl Iterator<Item = &Value> {
        self.entries.iter().map(|(k, _)| k)
    }
}

/// A module a program imports (`numpy`, `torch.nn`): its members by name. The tables
/// and the lookup are in `py/modules.rs`.
pub enum Member {
    /// The builtin of this name.
    Builtin(&'static str),
    Const(f64),
    /// A dtype's name (`torch.long` is `"int64"`), for `dtype=`.
    Dtype(&'static str),
    /// `None` (numpy's `newaxis`).
    NoneConst,
    Sub(&'static Module),
}

pub struct Module {
    /// The full dotted name (`torch.nn.functional`).
    pub name: &'static str,
    pub members: &'static [(&'static str, Member)],
    /// Whether a member not listed is looked up among the builtins by its own name.
    pub open: bool,
    /// tsr source defining more members (classes such as `torch.nn.Linear`), run the
    /// first time one of them is read.
    pub prelude: Option<&'static str>,
}
