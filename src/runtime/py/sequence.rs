//! Operators on Python sequences beyond lists' `+`/`*`: tuples, `%` formatting of
//! strings, ordering of strings, lists and tuples (lexicographic), and where a method
//! of a Python value (`s.split()`, `d.items()`) is found.

use crate::runtime::interp::{Interp, R};
use crate::runtime::py::format::percent_format;
use crate::runtime::value::{Builtin, Value};
use crate::syntax::ast::BinOp;
use crate::syntax::diagnostic::Diagnostic;
use std::cmp::Ordering;
use std::rc::Rc;

impl Interp {
    /// `a op b` when it is an operation on sequences; `None` to fall through.
    pub(crate) fn sequence_binary(
        &mut self,
        op: BinOp,
        op_span: crate::syntax::span::Span,
        l: &Value,
        r: &Value,
    ) -> R<Option<Value>> {
        use Value::*;
        Ok(Some(match (op, l, r) {
            (BinOp::Add, Tuple(a), Tuple(b)) => {
                let mut v = a.as_ref().clone();
                v.extend(b.iter().cloned());
                Value::tuple(v)
            }
            (BinOp::Mul, Tuple(items), Number(k)) | (BinOp::Mul, Number(k), Tuple(items)) => {
                let k = k.max(0.0) as usize;
                if items.len().saturating_mul(k) > 1 << 26 {
                    return Err(self.fail(
                        Diagnostic::error("limit::memory", "tuple too large").primary(op_span, ""),
                    ));
                }
                let mut v = Vec::with_capacity(items.len() * k);
                for _ in 0..k {
                    v.extend(items.iter().cloned());
                }
                Value::tuple(v)
            }
            (BinOp::BitOr | BinOp::BitAnd | BinOp::BitXor | BinOp::Sub, Set(x), Set(y)) => {
                // `a | b`, `a & b`, `a ^ b`, `a - b` on sets, in `a`'s order then `b`'s.
                let (x, y) = (x.borrow(), y.borrow());
                let mut out = crate::runtime::value::Dict::default();
                for k in x.keys() {
                    let Some(h) = crate::runtime::value::Key::of(k) else {
                        continue;
                    };
                    let in_y = y.contains(&h);
                    let keep = match op {
                        BinOp::BitOr => true,
                        BinOp::BitXor => !in_y,
                        BinOp::BitAnd => in_y,
                        _ => !in_y,
                    };
                    if keep {
                        out.insert(h, k.clone(), Value::None);
                    }
                }
                if matches!(op, BinOp::BitOr | BinOp::BitXor) {
                    for k in y.keys() {
                        if let Some(h) = crate::runtime::value::Key::of(k) {
                            if op == BinOp::BitXor && x.contains(&h) {
                                continue;
                            }
                            out.insert(h, k.clone(), Value::None);
                        }
                    }
                }
                Value::Set(std::rc::Rc::new(std::cell::RefCell::new(out)))
            }
            (BinOp::Mod, Str(template), args) => {
                let args: Vec<Value> = match args {
                    Tuple(items) => items.as_ref().clone(),
                    other => vec![other.clone()],
                };
                match percent_format(template, &args) {
                    Ok(s) => Value::str(&s),
                    Err(m) => {
                        return Err(self.fail(
                            Diagnostic::error("type::format", m)
                                .primary(op_span, "`%` formatting")
                                .help("give one value per `%` field, several as a tuple: `\"%d/%d\" % (i, n)`"),
                        ))
                    }
                }
            }
            (
                BinOp::Lt | BinOp::Le | BinOp::Gt | BinOp::Ge,
                List(_) | Tuple(_),
                List(_) | Tuple(_),
            ) if std::mem::discriminant(l) == std::mem::discriminant(r) => {
                let ord = compare_values(l, r).ok_or_else(|| {
                    self.fail(
                        Diagnostic::error(
                            "type::operator",
                            format!("cannot order a {} and a {}", l.kind(), r.kind()),
                        )
                        .primary(op_span, "these items cannot be compared"),
                    )
                })?;
                Value::Bool(match op {
                    BinOp::Lt => ord == Ordering::Less,
                    BinOp::Le => ord != Ordering::Greater,
                    BinOp::Gt => ord == Ordering::Greater,
                    _ => ord != Ordering::Less,
                })
            }
            _ => return Ok(Option::None),
        }))
    }

    /// The builtin implementing `recv.name(...)` for a Python value: `str.split`,
    /// `dict.items`, `list.pop`, ...
    pub(crate) fn type_method(&self, recv: &Value, name: &str) -> Option<&'static Builtin> {
        self.kind_method(recv.kind(), name)
    }

    /// The method `name` of values of a kind (`Value::kind`: `string`, `tensor`, ...).
    pub(crate) fn kind_method(&self, kind: &str, name: &str) -> Option<&'static Builtin> {
        let prefix = match kind {
            "string" => "str",
            "dict" | "list" | "tuple" | "set" | "file" => kind,
            "tensor" => {
                let row = crate::runtime::builtins::tensor_methods::tensor_method(name)?;
                return self.builtins.find(row);
            }
            _ => return None,
        };
        self.builtins.method(prefix, name)
    }
}

/// Python's ordering of numbers, strings, and (lexicographically) lists and tuples;
/// `None` when the two cannot be ordered.
pub fn compare_values(a: &Value, b: &Value) -> Option<Ordering> {
    compare_at(a, b, 0)
}

fn compare_at(a: &Value, b: &Value, depth: usize) -> Option<Ordering> {
    use Value::*;
    if depth > 200 {
        return Option::None;
    }
    match (a, b) {
        (Str(x), Str(y)) => Some(x.cmp(y)),
        (List(x), List(y)) if Rc::ptr_eq(x, y) => Some(Ordering::Equal),
        (List(x), List(y)) => compare_seq(&x.try_borrow().ok()?, &y.try_borrow().ok()?, depth),
        (Tuple(x), Tuple(y)) => compare_seq(x, y, depth),
        _ => {
            // A one-element tensor compares as its value (as `a < b` on two losses does).
            let number = |v: &Value| match v {
                Tensor(t) if t.numel() == 1 => t.item().map(f64::from),
                other => crate::runtime::eval::as_number(other),
            };
            number(a)?.partial_cmp(&number(b)?)
        }
    }
}

fn compare_seq(x: &[Value], y: &[Value], depth: usize) -> Option<Ordering> {
    for (p, q) in x.iter().zip(y.iter()) {
        if crate::runtime::eval::values_equal(p, q) {
            continue;
        }
        return compare_at(p, q, depth + 1);
    }
    Some(x.len().cmp(&y.len()))
}
