//! Calls of user functions: arguments bound to parameters (the evaluator's rules and
//! diagnostics), then the body checked with those values, its returns joined.

use super::stmt::{Flow, MAX_CALL_DEPTH};
use super::value::{AFunc, AVal};
use super::{Checker, Note};
use crate::runtime::call::bind_user_args;
use crate::syntax::span::Span;
use std::rc::Rc;

impl Checker {
    /// Call a user function with argument values, checking its body with them.
    pub fn call_user(
        &mut self,
        f: Rc<AFunc>,
        args: Vec<super::expr::AArg>,
        callee_span: Span,
        call_span: Span,
    ) -> AVal {
        let bound = bind_user_args(
            &f.name,
            &f.params,
            &f.defaults,
            |v: &AVal| {
                v.realize()
                    .map(|r| r.repr())
                    .unwrap_or_else(|| "...".into())
            },
            AVal::list,
            args.into_iter().map(|a| (a.name, a.value, a.span)),
            callee_span,
            call_span,
        );
        let bound = match bound {
            Ok(b) => b,
            Err(d) => {
                self.report(d);
                return AVal::Unknown;
            }
        };
        // A nested function sees the enclosing function's variables, and itself.
        let mut locals = f.captured.clone().unwrap_or_default();
        if f.captured.is_some() && !locals.contains_key(f.name.as_str()) {
            locals.insert(
                Rc::from(f.name.as_str()),
                super::ABind {
                    value: AVal::Func(f.clone()),
                    origin: call_span,
                },
            );
        }
        for (p, (value, arg_span)) in f.params.iter().zip(bound) {
            // A parameter got its value at the call site (as the evaluator records it).
            locals.insert(
                Rc::from(p.name.node.as_str()),
                super::ABind {
                    value,
                    origin: arg_span.unwrap_or(p.name.span),
                },
            );
        }
        if self.call_depth >= MAX_CALL_DEPTH || self.fuel == 0 {
            return AVal::Unknown;
        }
        // A call costs fuel like a statement, so a call tree cannot outlast the budget.
        self.fuel = self.fuel.saturating_sub(1);
        // Recursion is followed only while every argument is known (a count that runs
        // down to its base case); otherwise the tree of calls could be explored forever.
        let id = Rc::as_ptr(&f) as usize;
        if self.active_calls.contains(&id) && !locals.values().all(|b| b.value.is_settled()) {
            if !self.cut_recursions.insert(id) {
                return AVal::Unknown;
            }
            self.advise(
                call_span,
                format!(
                    "`{}` calls itself with arguments known only when the program runs: this call is not followed",
                    f.name
                ),
                Some("its result is taken as unknown; errors inside it are found at its other calls".into()),
            );
            return AVal::Unknown;
        }
        let saved = std::mem::replace(&mut self.st.locals, Some(locals));
        let saved_loops = std::mem::take(&mut self.loops);
        self.call_depth += 1;
        self.active_calls.push(id);
        self.returns.push(None);
        self.notes.push(Note {
            quiet: false,
            span: call_span,
            message: format!("in the call of `{}`", f.name),
            label: format!("`{}` was called from here", f.name),
            code: "note::call",
        });
        self.graph_off += usize::from(f.no_grad);
        let flow = self.exec_block(&f.body);
        self.graph_off -= usize::from(f.no_grad);
        self.notes.pop();
        let ret = self.returns.pop().flatten();
        self.call_depth -= 1;
        self.active_calls.pop();
        self.loops = saved_loops;
        self.st.locals = saved;
        match (ret, flow) {
            (Some(v), Flow::Jump) => v,
            (Some(v), Flow::Normal) => v.join(&AVal::None),
            (None, _) => AVal::None,
        }
    }
}
