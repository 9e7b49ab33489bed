//! Classes and objects as the checker follows them: a class's methods are its `def`s,
//! an object's attributes are what its methods assign (`self.W = ...`), and calls of
//! methods, of `__init__` on construction and of `__call__` run the method's body
//! with `self` bound, so a shape error inside a method is found as in a function. An
//! attribute assigned twice with different values joins them; an attribute never seen
//! (one a base's `__init__` set through `super()`) is unknown, never an alarm.

use super::expr::AArg;
use super::value::{AFunc, AVal};
use super::Checker;
use crate::syntax::ast::{Expr, Stmt};
use crate::syntax::span::{Span, Spanned};
use std::rc::Rc;

pub use super::value::{AClass, AObject};

impl Checker {
    /// `class Name(Base):` — the body's `def`s and assignments, in a scope of their own.
    pub(super) fn exec_class(
        &mut self,
        name: &Spanned<String>,
        base: Option<&Expr>,
        body: &[Stmt],
        span: Span,
    ) {
        let base = match base.map(|e| self.eval(e)) {
            Some(AVal::Class(c)) => Some(c),
            _ => None,
        };
        let saved = std::mem::replace(&mut self.st.locals, Some(super::Env::default()));
        let outer = std::mem::replace(&mut self.in_class_body, true);
        self.exec_block(body);
        self.in_class_body = outer;
        let scope = std::mem::replace(&mut self.st.locals, saved).unwrap_or_default();
        let attrs = scope
            .into_iter()
            .map(|(k, b)| (k.to_string(), b.value))
            .collect();
        let class = AClass {
            base,
            attrs: crate::runtime::value::Attrs::new(attrs),
        };
        self.bind(&name.node, AVal::Class(Rc::new(class)), span);
    }

    /// A call of a class (construction), an object (`__call__`) or a bound method.
    pub(super) fn call_object(
        &mut self,
        f: &AVal,
        args: Vec<AArg>,
        callee: Span,
        call: Span,
    ) -> Option<AVal> {
        Some(match f {
            AVal::Class(c) => {
                let obj = AVal::Object(Rc::new(AObject {
                    class: c.clone(),
                    attrs: crate::runtime::value::Attrs::new(Vec::new()),
                }));
                if let Some(AVal::Func(init)) = c.find("__init__") {
                    self.call_method_with(init, obj.clone(), args, callee, call);
                }
                obj
            }
            AVal::Object(o) => match o.class.find("__call__") {
                Some(AVal::Func(m)) => self.call_method_with(m, f.clone(), args, callee, call),
                _ => AVal::Unknown,
            },
            AVal::Bound(b) => self.call_method_with(b.1.clone(), b.0.clone(), args, callee, call),
            _ => return None,
        })
    }

    fn call_method_with(
        &mut self,
        m: Rc<AFunc>,
        this: AVal,
        args: Vec<AArg>,
        callee: Span,
        call: Span,
    ) -> AVal {
        let mut argv = Vec::with_capacity(args.len() + 1);
        argv.push(AArg {
            name: None,
            value: this,
            span: callee,
        });
        argv.extend(args);
        self.call_user(m, argv, callee, call)
    }

    /// `obj.name` on an object or a class: an attribute, a bound method, or unknown.
    pub(super) fn object_attribute(&mut self, v: &AVal, name: &str) -> Option<AVal> {
        Some(match v {
            AVal::Object(o) => match o.get(name) {
                Some(a) => a,
                None => match o.class.find(name) {
                    Some(AVal::Func(m)) => AVal::Bound(Rc::new((v.clone(), m))),
                    Some(other) => other,
                    None => AVal::Unknown,
                },
            },
            AVal::Class(c) => c.find(name).unwrap_or(AVal::Unknown),
            _ => return None,
        })
    }
}
