//! Runtime values of tsr (`Value`), user functions, and how each value is shown.

use crate::runtime::builtins::Builtin;
use crate::runtime::print;
use crate::syntax::ast::{Param, Stmt};
use crate::syntax::span::Span;
use crate::tensor::{Adam, Sgd, Tensor};
use std::cell::RefCell;
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
}

pub enum Optimizer {
    Sgd(Sgd),
    Adam(Adam),
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
}

impl Value {
    pub fn list(items: Vec<Value>) -> Value {
        Value::List(Rc::new(RefCell::new(items)))
    }

    pub fn str(s: &str) -> Value {
        Value::Str(Rc::from(s))
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
                if depth > 50 {
                    out.push_str("[...]");
                    return;
                }
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
                Optimizer::Adam(_) => "<adam optimizer>",
            }),
            Value::Generator(_) => out.push_str("<generator>"),
        }
    }
}
