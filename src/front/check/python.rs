//! The checker's reading of Python's value constructs (tuples, dicts, f-strings,
//! comprehensions, classes, imports, ...). Their sub-expressions are checked like any
//! other, so a shape error inside an f-string or a comprehension is found; what they
//! build is mostly unknown to the checker, which never raises an alarm it cannot prove.

use super::stmt::Flow;
use super::value::{ANum, AVal, SeqKind};
use super::Checker;
use crate::syntax::ast::{CompFor, Expr, ExprKind, FPart, Stmt, StmtKind, Target};
use crate::syntax::span::Span;
use std::rc::Rc;

impl Checker {
    /// The abstract value of a Python construct; `None` for the core expressions.
    pub(super) fn eval_python(&mut self, e: &Expr) -> Option<AVal> {
        Some(match &e.kind {
            ExprKind::Tuple(items) => {
                let vs = items.iter().map(|it| self.eval(it)).collect();
                if items
                    .iter()
                    .any(|it| matches!(it.kind, ExprKind::Starred(_)))
                {
                    AVal::Unknown
                } else {
                    AVal::tuple(vs)
                }
            }
            ExprKind::Dict(pairs) => {
                for (k, v) in pairs {
                    self.eval(k);
                    self.eval(v);
                }
                AVal::Unknown
            }
            ExprKind::Set(items) => {
                for it in items {
                    self.eval(it);
                }
                AVal::Unknown
            }
            ExprKind::FString(parts) => {
                self.eval_fparts(parts);
                AVal::Str(None)
            }
            ExprKind::Comp {
                elt,
                value,
                clauses,
                ..
            } => {
                self.eval_comp(clauses, elt, value.as_deref());
                AVal::Unknown
            }
            ExprKind::IfExp { cond, then, orelse } => {
                let c = self.eval(cond);
                match c {
                    AVal::Bool(Some(true)) => self.eval(then),
                    AVal::Bool(Some(false)) => self.eval(orelse),
                    _ => {
                        let a = self.eval(then);
                        let b = self.eval(orelse);
                        a.join(&b)
                    }
                }
            }
            ExprKind::Lambda { .. } => AVal::Unknown,
            ExprKind::Walrus { name, value } => {
                let v = self.eval(value);
                self.bind(&name.node, v.clone(), e.span);
                v
            }
            ExprKind::Starred(inner) => {
                self.eval(inner);
                AVal::Unknown
            }
            _ => return None,
        })
    }

    fn eval_fparts(&mut self, parts: &[FPart]) {
        for p in parts {
            if let FPart::Field { expr, spec, .. } = p {
                self.eval(expr);
                self.eval_fparts(spec);
            }
        }
    }

    /// A comprehension's clauses in order, its loop variables unknown, then its element.
    fn eval_comp(&mut self, clauses: &[CompFor], elt: &Expr, value: Option<&Expr>) {
        let mut names = Vec::new();
        for c in clauses {
            c.target.names(&mut names);
        }
        let saved: Vec<Option<AVal>> = names
            .iter()
            .map(|n| self.lookup(&n.node).map(|b| b.value.clone()))
            .collect();
        for c in clauses {
            self.eval(&c.iter);
            self.bind_target(&c.target, AVal::Unknown, c.target.span());
            for cond in &c.conds {
                self.eval(cond);
            }
        }
        self.eval(elt);
        if let Some(v) = value {
            self.eval(v);
        }
        for (n, old) in names.iter().zip(saved) {
            self.bind(&n.node, old.unwrap_or(AVal::Unknown), n.span);
        }
    }

    /// Bind a target: names get the value (a tuple target unpacks an exact list of
    /// the right length item by item, anything else makes its names unknown).
    pub(super) fn bind_target(&mut self, target: &Target, value: AVal, span: Span) {
        match target {
            Target::Name(n) => self.bind(&n.node, value, span),
            Target::Tuple { items, span: names } => {
                if let Some(parts) = value.exact_items() {
                    if parts.len() != items.len() {
                        self.report(crate::runtime::py::eval::unpack_error(
                            items.len(),
                            parts.len(),
                            *names,
                        ));
                    }
                }
                let parts = value.exact_items().filter(|v| v.len() == items.len());
                match parts {
                    Some(parts) => {
                        for (t, v) in items.iter().zip(parts) {
                            self.bind_target(t, v, span);
                        }
                    }
                    None => {
                        for t in items {
                            self.bind_target(t, AVal::Unknown, span);
                        }
                    }
                }
            }
            Target::Attr { object, name, .. } => {
                if let AVal::Object(o) = self.eval(object) {
                    o.set(&name.node, value);
                }
            }
            Target::Index { object, items, .. } => {
                self.eval(object);
                for it in items {
                    if let crate::syntax::ast::IndexItem::Index(e) = it {
                        self.eval(e);
                    }
                }
            }
        }
    }

    /// The statements of Python beyond the core; `None` for the core ones.
    pub(super) fn exec_python(&mut self, stmt: &Stmt) -> Option<Flow> {
        match &stmt.kind {
            StmtKind::MultiAssign { targets, value } => {
                let v = self.eval(value);
                for t in targets {
                    self.bind_target(t, v.clone(), stmt.span);
                }
            }
            StmtKind::Class { name, base, body } => {
                self.exec_class(name, base.as_ref(), body, stmt.span)
            }
            StmtKind::With { items, body } => {
                for (e, t) in items {
                    self.eval(e);
                    if let Some(t) = t {
                        self.bind_target(t, AVal::Unknown, stmt.span);
                    }
                }
                // Any `with` may be `no_grad()`: what its body computes is not counted
                // as used by a graph (no `grad::stale` is claimed through it).
                self.graph_off += 1;
                let flow = self.exec_block(body);
                self.graph_off -= 1;
                return Some(flow);
            }
            StmtKind::Import { .. } | StmtKind::FromImport { .. } => {
                // The evaluator's own import: it binds modules and their members.
                if let Err(d) = self.interp.exec(stmt) {
                    self.report(*d);
                }
                let mut bound = Vec::new();
                match &stmt.kind {
                    StmtKind::Import { module, alias } => bound.push(match alias {
                        Some(a) => a.node.clone(),
                        None => module.node.split('.').next().unwrap_or("").to_string(),
                    }),
                    StmtKind::FromImport { names, .. } => bound.extend(
                        names
                            .iter()
                            .map(|(n, a)| a.as_ref().unwrap_or(n).node.clone()),
                    ),
                    _ => {}
                }
                for name in bound {
                    let v = self
                        .interp
                        .lookup(&name)
                        .map(|b| AVal::from_value(&b.value))
                        .unwrap_or(AVal::Unknown);
                    self.bind(&name, v, stmt.span);
                }
            }
            StmtKind::Assert { cond, msg } => {
                self.eval(cond);
                if let Some(m) = msg {
                    self.eval(m);
                }
            }
            StmtKind::Raise(Some(e)) => {
                self.eval(e);
                return Some(Flow::Jump);
            }
            StmtKind::Raise(None) => return Some(Flow::Jump),
            StmtKind::Del(targets) => {
                for t in targets {
                    let mut names = Vec::new();
                    t.names(&mut names);
                    for n in names {
                        self.bind(&n.node, AVal::Unknown, stmt.span);
                    }
                }
            }
            StmtKind::Global(_) => {}
            _ => return None,
        }
        Some(Flow::Normal)
    }

    /// `isinstance(x, kind)`: true or false when `x`'s kind is known (so a branch it
    /// excludes is not followed), else unknown.
    pub(super) fn isinstance(&mut self, a: &super::args::CArgs) -> AVal {
        let kinds = match a.val(1) {
            AVal::List(_) => a.val(1).exact_items().unwrap_or_default(),
            k => vec![k],
        };
        let x = a.val(0);
        let mut answer = Some(false);
        for k in &kinds {
            let hit = match (k, &x) {
                (_, AVal::Unknown) => None,
                // A class the checker does not follow (`nn.Linear`) holds no strings,
                // numbers, lists or tensors.
                (
                    AVal::Unknown,
                    AVal::Str(_) | AVal::Num(_) | AVal::Bool(_) | AVal::None | AVal::Tensor(_),
                ) => Some(false),
                (AVal::Class(c), AVal::Object(o)) => {
                    let mut class = Some(o.class.clone());
                    let mut found = false;
                    while let Some(cl) = class {
                        if Rc::ptr_eq(&cl, c) {
                            found = true;
                            break;
                        }
                        class = cl.base.clone();
                    }
                    Some(found)
                }
                (AVal::Class(_), _) => Some(false),
                (AVal::Builtin(b), v) => builtin_kind_test(b.name, v),
                _ => None,
            };
            answer = match (answer, hit) {
                (_, Some(true)) => return AVal::Bool(Some(true)),
                (Some(false), Some(false)) => Some(false),
                _ => None,
            };
        }
        AVal::Bool(answer)
    }
}

/// `isinstance(v, T)` for a builtin type `T`, as the evaluator decides it, when `v`'s
/// kind is known (a list may stand for a tuple, so those two stay unknown).
fn builtin_kind_test(name: &str, v: &AVal) -> Option<bool> {
    const TYPES: &[&str] = &[
        "list", "str", "float", "int", "bool", "dict", "tuple", "set", "tensor",
    ];
    if !TYPES.contains(&name) {
        return None;
    }
    Some(match v {
        AVal::Unknown => return None,
        AVal::Num(ANum::Known(n)) => match name {
            "float" => true,
            "int" => n.fract() == 0.0,
            _ => false,
        },
        AVal::Num(_) => match name {
            "float" => true,
            "int" => return None,
            _ => false,
        },
        AVal::Str(_) => name == "str",
        AVal::Bool(_) => name == "bool",
        AVal::List(_) => match (name, v.seq_kind()) {
            ("list", Some(k)) => k == SeqKind::List,
            ("tuple", Some(k)) => k == SeqKind::Tuple,
            ("list" | "tuple", None) => return None,
            _ => false,
        },
        AVal::Tensor(_) => name == "tensor",
        AVal::None | AVal::Object(_) | AVal::Func(_) | AVal::Class(_) | AVal::Optimizer => false,
        _ => return None,
    })
}
