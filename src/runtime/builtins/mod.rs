//! The ONE builtin table (name, parameters, doc line, example, function) used by calls,
//! arity and keyword errors, `:help` and completion; and the argument binder.

use crate::runtime::explain::{self, Operand, Site};
use crate::runtime::interp::{ArgVal, Interp, R};
use crate::runtime::value::Value;
/// One row of a builtin table: `b!("name", [params], "doc", "example", function)`.
macro_rules! b {
    ($name:literal, [$($p:expr),*], $doc:literal, $ex:literal, $f:expr) => {
        Builtin { name: $name, params: &[$($p),*], doc: $doc, example: $ex, func: $f }
    };
}

mod autodiff;
mod construct;
pub mod convert;
mod gradcheck;
mod layers;
mod layers_norm;
mod python;
mod tensor_ops;

use crate::syntax::diagnostic::Diagnostic;
use crate::syntax::span::Span;
use crate::tensor::Tensor;
use std::collections::HashMap;
use std::sync::OnceLock;

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
}

impl Builtin {
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

/// Every builtin, in table order: the core library, then data and pictures.
pub fn table() -> &'static [&'static Builtin] {
    static ALL: OnceLock<Vec<&'static Builtin>> = OnceLock::new();
    ALL.get_or_init(|| {
        python::TABLE
            .iter()
            .chain(construct::TABLE.iter())
            .chain(tensor_ops::TABLE.iter())
            .chain(autodiff::TABLE.iter())
            .chain(layers::TABLE.iter())
            .chain(layers_norm::TABLE.iter())
            .chain(crate::runtime::data::TABLE.iter())
            .collect()
    })
}

pub fn find(name: &str) -> Option<&'static Builtin> {
    type Index = HashMap<
        &'static str,
        usize,
        std::hash::BuildHasherDefault<crate::runtime::interp::FnvHasher>,
    >;
    static INDEX: OnceLock<Index> = OnceLock::new();
    let index = INDEX.get_or_init(|| {
        table()
            .iter()
            .enumerate()
            .map(|(i, b)| (b.name, i))
            .collect()
    });
    index.get(name).map(|&i| table()[i])
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

pub fn bind_args(
    interp: &Interp,
    b: &'static Builtin,
    args: Vec<ArgVal>,
    callee: Span,
    call: Span,
) -> R<Args> {
    let mut slots: Vec<Option<(Value, Span)>> = vec![None; b.params.len()];
    let mut rest = Vec::new();
    let mut kwargs: Vec<(String, Span, Value, Span)> = Vec::new();
    let has_var_kw = b.params.iter().any(|p| matches!(p, P::VarKw(_)));
    let is_positional = |p: &P| matches!(p, P::Req(_) | P::Opt(..));
    // The slot of the next positional parameter: a cursor, no allocation per call.
    let next_positional =
        |from: usize| (from..b.params.len()).find(|&i| is_positional(&b.params[i]));
    let has_var = b.params.iter().any(|p| matches!(p, P::Var(_)));
    let mut next = next_positional(0);
    let n_positional = args.iter().filter(|a| a.name.is_none()).count();
    for a in args {
        match a.name {
            None => {
                if let Some(i) = next {
                    slots[i] = Some((a.value, a.span));
                    next = next_positional(i + 1);
                } else if has_var {
                    rest.push((a.value, a.span));
                } else {
                    let max = b.params.iter().filter(|p| is_positional(p)).count();
                    return Err(interp.fail(
                        Diagnostic::error(
                            "call::arity",
                            format!(
                                "`{}` takes {} positional argument{} but {} were given",
                                b.name,
                                max,
                                if max == 1 { "" } else { "s" },
                                n_positional
                            ),
                        )
                        .primary(a.span, "unexpected extra argument")
                        .label(callee, format!("`{}` is called here", b.name))
                        .help(format!("the signature is `{}`", b.signature())),
                    ));
                }
            }
            Some((name, span)) => {
                let found = b
                    .params
                    .iter()
                    .position(|p| p.name() == name && !matches!(p, P::Var(_) | P::VarKw(_)));
                match found {
                    Some(i) => {
                        if slots[i].is_some() {
                            return Err(interp.fail(
                                Diagnostic::error(
                                    "call::keyword",
                                    format!("`{}` got two values for `{name}`", b.name),
                                )
                                .primary(span, "given again here")
                                .help(format!("the signature is `{}`", b.signature())),
                            ));
                        }
                        slots[i] = Some((a.value, a.span));
                    }
                    None if has_var_kw => {
                        if kwargs.iter().any(|(n, ..)| *n == name) {
                            return Err(interp.fail(
                                Diagnostic::error(
                                    "call::keyword",
                                    format!("`{}` got two values for `{name}`", b.name),
                                )
                                .primary(span, "given again here")
                                .help(format!("the signature is `{}`", b.signature())),
                            ));
                        }
                        kwargs.push((name, span, a.value, a.span));
                    }
                    None => {
                        let names = b
                            .params
                            .iter()
                            .filter(|p| !matches!(p, P::Var(_) | P::VarKw(_)))
                            .map(|p| p.name().to_string());
                        let mut d = Diagnostic::error(
                            "call::keyword",
                            format!("`{}` has no parameter `{name}`", b.name),
                        )
                        .primary(span, "unknown keyword");
                        let alias = match name.as_str() {
                            "dim" | "axes" | "ax" => Some("axis"),
                            "keepdims" => Some("keepdim"),
                            "learning_rate" => Some("lr"),
                            _ => None,
                        };
                        let suggestion = alias
                            .filter(|a| b.params.iter().any(|p| p.name() == *a))
                            .map(|s| s.to_string())
                            .or_else(|| explain::did_you_mean(&name, names));
                        d = match suggestion {
                            Some(s) => d.help(format!(
                                "did you mean `{s}=`? the signature is `{}`",
                                b.signature()
                            )),
                            None => d.help(format!("the signature is `{}`", b.signature())),
                        };
                        return Err(interp.fail(d));
                    }
                }
            }
        }
    }
    for (i, p) in b.params.iter().enumerate() {
        if let P::Req(n) = p {
            if slots[i].is_none() {
                return Err(interp.fail(
                    Diagnostic::error(
                        "call::arity",
                        format!("`{}` is missing the argument `{n}`", b.name),
                    )
                    .primary(call, format!("no value for `{n}`"))
                    .help(format!("the signature is `{}`", b.signature())),
                ));
            }
        }
    }
    Ok(Args {
        builtin: b,
        slots,
        rest,
        kwargs,
        callee,
        call,
    })
}

impl Args {
    pub fn get(&self, i: usize) -> Option<&Value> {
        match self.slots.get(i) {
            Some(Some((v, _))) if !matches!(v, Value::None) => Some(v),
            _ => None,
        }
    }

    pub fn span(&self, i: usize) -> Span {
        match self.slots.get(i) {
            Some(Some((_, s))) => *s,
            _ => self.call,
        }
    }

    pub fn value(&self, i: usize) -> Value {
        self.get(i).cloned().unwrap_or(Value::None)
    }

    fn type_error(&self, interp: &Interp, i: usize, want: &str, got: &Value) -> Box<Diagnostic> {
        let pname = self
            .builtin
            .params
            .get(i)
            .map(|p| p.name())
            .unwrap_or("argument");
        interp.fail(
            Diagnostic::error(
                "type::argument",
                format!(
                    "`{}` needs {want} for `{pname}`, found a {}",
                    self.builtin.name,
                    got.kind()
                ),
            )
            .primary(self.span(i), format!("this is a {}", got.kind()))
            .help(format!("the signature is `{}`", self.builtin.signature())),
        )
    }

    /// A tensor argument; numbers become constant rank-0 tensors.
    pub fn tensor(&self, interp: &Interp, i: usize) -> R<Tensor> {
        let v = self.value(i);
        match &v {
            Value::Tensor(t) => Ok(t.clone()),
            Value::Number(n) => Ok(Tensor::constant(*n as f32)),
            Value::Bool(b) => Ok(Tensor::constant(*b as i32 as f32)),
            Value::List(_) => convert::tensor_from_value(interp, &v, self.span(i)),
            other => Err(self.type_error(interp, i, "a tensor", other)),
        }
    }

    pub fn number(&self, interp: &Interp, i: usize) -> R<f64> {
        let v = self.value(i);
        match &v {
            Value::Number(n) => Ok(*n),
            Value::Bool(b) => Ok(*b as i32 as f64),
            Value::Tensor(t) if t.numel() == 1 => Ok(t.item().unwrap_or(0.0) as f64),
            other => Err(self.type_error(interp, i, "a number", other)),
        }
    }

    pub fn number_or(&self, interp: &Interp, i: usize, default: f64) -> R<f64> {
        match self.get(i) {
            None => Ok(default),
            Some(_) => self.number(interp, i),
        }
    }

    pub fn int(&self, interp: &Interp, i: usize) -> R<i64> {
        interp.int_of(&self.value(i), self.span(i))
    }

    pub fn bool_or(&self, interp: &Interp, i: usize, default: bool) -> R<bool> {
        match self.get(i) {
            None => Ok(default),
            Some(v) => interp.truthy(v, self.span(i)),
        }
    }

    pub fn axis(&self, interp: &Interp, i: usize) -> R<Option<isize>> {
        match self.get(i) {
            None => Ok(None),
            Some(v) => Ok(Some(interp.int_of(v, self.span(i))? as isize)),
        }
    }

    pub fn string(&self, interp: &Interp, i: usize) -> R<String> {
        match self.value(i) {
            Value::Str(s) => Ok(s.to_string()),
            other => Err(self.type_error(interp, i, "a string", &other)),
        }
    }

    /// Dimensions given as `f(2, 3)`, `f([2, 3])` or `f(x.shape)`, from slot `first` on
    /// and the variadic rest.
    pub fn dims(&self, interp: &Interp, first: usize) -> R<(Vec<i64>, Span)> {
        let mut vals: Vec<(Value, Span)> = Vec::new();
        for i in first..self.slots.len() {
            if matches!(self.builtin.params[i], P::Req(_) | P::Opt(..)) {
                if let Some((v, s)) = &self.slots[i] {
                    vals.push((v.clone(), *s));
                }
            }
        }
        vals.extend(self.rest.iter().cloned());
        let span = match (vals.first(), vals.last()) {
            (Some(a), Some(b)) => a.1.to(b.1),
            _ => self.call,
        };
        if vals.len() == 1 {
            if let Value::List(l) = &vals[0].0 {
                let items = l.borrow().clone();
                let mut out = Vec::new();
                for v in items {
                    out.push(interp.int_of(&v, vals[0].1)?);
                }
                return Ok((out, span));
            }
        }
        let mut out = Vec::new();
        for (v, s) in &vals {
            out.push(interp.int_of(v, *s)?);
        }
        Ok((out, span))
    }

    /// Dimensions that must be non-negative sizes.
    pub fn shape(&self, interp: &Interp, first: usize) -> R<Vec<usize>> {
        let (dims, span) = self.dims(interp, first)?;
        let mut out = Vec::with_capacity(dims.len());
        for d in dims {
            if d < 0 {
                return Err(interp.fail(
                    Diagnostic::error(
                        "type::shape",
                        format!(
                            "`{}` needs sizes that are 0 or more, found {d}",
                            self.builtin.name
                        ),
                    )
                    .primary(span, "a negative size")
                    .help(format!("the signature is `{}`", self.builtin.signature())),
                ));
            }
            out.push(d as usize);
        }
        if out.len() > 6 {
            return Err(interp.fail(
                Diagnostic::error(
                    "shape::rank",
                    format!(
                        "tensors have at most 6 axes, `{}` was asked for {}",
                        self.builtin.name,
                        out.len()
                    ),
                )
                .primary(span, "too many sizes"),
            ));
        }
        Ok(out)
    }

    /// The call site for a tensor error, with the given argument slots as operands.
    pub fn site(&self, interp: &Interp, operands: &[usize]) -> Site {
        Site {
            op: self.builtin.name.to_string(),
            primary: self.callee,
            operands: operands
                .iter()
                .filter(|&&i| self.slots.get(i).map(|s| s.is_some()).unwrap_or(false))
                .map(|&i| Operand::new(interp, self.span(i), self.get(i), None))
                .collect(),
            in_place: false,
        }
    }

    /// Turn a tensor-layer error into a diagnostic at this call.
    pub fn fail(
        &self,
        interp: &Interp,
        e: crate::tensor::TensorError,
        operands: &[usize],
    ) -> Box<Diagnostic> {
        interp.fail(explain::tensor_error(
            interp,
            e,
            &self.site(interp, operands),
        ))
    }
}
