//! Statements: assignment (plain, augmented, indexed; in-place updates of tensors),
//! `if`/`while`/`for`, `def`, `return`/`break`/`continue`. Errors leave with the loop
//! and call context the user needs to find the failing iteration.

use crate::runtime::explain::{self, Operand, Site};
use crate::runtime::interp::*;
use crate::runtime::value::{UserFn, Value};
use crate::syntax::ast::{BinOp, Expr, ExprKind, IndexItem, Stmt, StmtKind, Target};
use crate::syntax::diagnostic::Diagnostic;
use crate::syntax::span::Span;
use crate::tensor::{self, Tensor};
use std::rc::Rc;

impl Interp {
    // ------------------------------------------------------------ statements

    pub fn exec_block(&mut self, body: &[Stmt]) -> R<Flow> {
        for s in body {
            match self.exec(s)? {
                Flow::Normal => {}
                other => return Ok(other),
            }
        }
        Ok(Flow::Normal)
    }

    pub fn exec(&mut self, stmt: &Stmt) -> R<Flow> {
        if self.is_abstract() {
            return self.exec_abstract(stmt);
        }
        self.exec_stmt(stmt)
    }

    pub(crate) fn exec_stmt(&mut self, stmt: &Stmt) -> R<Flow> {
        if tensor::live_op_nodes() > MAX_GRAPH_NODES {
            return Err(self.fail(
                Diagnostic::error("limit::graph", format!("the autodiff graph has grown past {MAX_GRAPH_NODES} operations"))
                    .primary(stmt.span, "stopped before running this statement")
                    .help("a loop that rebinds a tensor to an expression of itself (`W = W - lr * grad(W)`, `x = x * 1.0`) keeps every step's history: update in place with `-=`, or cut the history with `detach(x)`"),
            ));
        }
        match &stmt.kind {
            StmtKind::Expr(e) => {
                self.eval(e)?;
                Ok(Flow::Normal)
            }
            StmtKind::Assign {
                target,
                op,
                op_span,
                value,
            } => {
                self.exec_assign(stmt, target, *op, *op_span, value)?;
                Ok(Flow::Normal)
            }
            StmtKind::If {
                branches,
                else_body,
            } if self.is_abstract() => self.exec_if_abstract(branches, else_body.as_deref()),
            StmtKind::While { cond, body } if self.is_abstract() => {
                self.exec_while_abstract(cond, body)
            }
            StmtKind::If {
                branches,
                else_body,
            } => {
                for (cond, body) in branches {
                    let c = self.eval(cond)?;
                    if self.truthy(&c, cond.span)? {
                        return self.exec_block(body);
                    }
                }
                match else_body {
                    Some(body) => self.exec_block(body),
                    None => Ok(Flow::Normal),
                }
            }
            StmtKind::While { cond, body } => {
                let mut iteration: u64 = 0;
                loop {
                    self.check_interrupt(cond.span, || {
                        Some(format!("after {iteration} iterations of this `while` loop"))
                    })?;
                    let c = self.eval(cond)?;
                    if !self.truthy(&c, cond.span)? {
                        break;
                    }
                    let flow = self.exec_block(body).map_err(|e| {
                        if iteration == 0 {
                            return e;
                        }
                        self.loop_note(
                            e,
                            cond.span,
                            format!("in iteration {iteration} of this loop"),
                        )
                    })?;
                    iteration += 1;
                    match flow {
                        Flow::Break => break,
                        Flow::Return(v) => return Ok(Flow::Return(v)),
                        Flow::Continue | Flow::Normal => {}
                    }
                }
                Ok(Flow::Normal)
            }
            StmtKind::For { target, iter, body } => self.exec_for(target, iter, body),
            StmtKind::Def {
                name,
                params,
                body,
                no_grad,
                decorators,
            } => {
                let mut defaults = Vec::with_capacity(params.len());
                for p in params {
                    defaults.push(match &p.default {
                        Some(d) => Some(self.eval(d)?),
                        None => None,
                    });
                }
                let f = UserFn {
                    name: name.node.clone(),
                    params: params.clone(),
                    defaults,
                    body: body.clone(),
                    src_id: self.src_id,
                    def_span: name.span,
                    captured: std::cell::RefCell::new(self.capture()),
                    no_grad: *no_grad,
                    owner: std::cell::RefCell::new(None),
                    isolated: self.frames.last().is_some_and(|f| f.isolated),
                };
                let mut f = Value::Function(Rc::new(f));
                // `@d1 @d2 def f` is `f = d1(d2(f))`; each decorator is evaluated first.
                let decos: Vec<(Value, Span)> = decorators
                    .iter()
                    .map(|d| Ok((self.eval(d)?, d.span)))
                    .collect::<R<_>>()?;
                for (d, span) in decos.into_iter().rev() {
                    let arg = crate::runtime::call::ArgVal {
                        name: None,
                        value: f,
                        span: name.span,
                    };
                    f = self.call(&d, vec![arg], span, span)?;
                }
                self.bind(&name.node, f, stmt.span);
                Ok(Flow::Normal)
            }
            StmtKind::Return(e) => {
                let v = match e {
                    Some(e) => self.eval(e)?,
                    None => Value::None,
                };
                Ok(Flow::Return(v))
            }
            StmtKind::Break => Ok(Flow::Break),
            StmtKind::Continue => Ok(Flow::Continue),
            StmtKind::Pass => Ok(Flow::Normal),
            _ => self.exec_python(stmt).unwrap_or(Ok(Flow::Normal)),
        }
    }

    /// Add "in iteration ..." context to an error leaving a loop body.
    fn loop_note(&self, mut e: Box<Diagnostic>, header: Span, text: String) -> Box<Diagnostic> {
        // An interrupt names only the innermost loop it stopped in.
        if (e.code == "interrupt" && !e.related.is_empty()) || e.related.len() >= MAX_CONTEXT_NOTES
        {
            return e;
        }
        let note = Diagnostic::advice("note::loop", text.clone())
            .primary(header, text)
            .with_source(self.source(self.src_id));
        e.related.push(note);
        e
    }

    fn exec_for(&mut self, target: &Target, iter: &Expr, body: &[Stmt]) -> R<Flow> {
        let it = self.eval(iter)?;
        if self.is_abstract() {
            if let Some(flow) = self.exec_for_abstract(target, iter, &it, body)? {
                return Ok(flow);
            }
        }
        let var_span = target.span();
        let var_text = self.text_of(var_span);
        let var = var_text.as_str();
        let it = match it {
            Value::Tuple(_)
            | Value::Dict(_)
            | Value::Set(_)
            | Value::Instance(_)
            | Value::File(_) => Value::list(self.iter_values(&it, iter.span)?),
            other => other,
        };
        // `first`: the first iteration, whose errors need no note saying so.
        let run = |this: &mut Interp,
                   item: Value,
                   label: &dyn Fn(&Value) -> String,
                   first: bool|
         -> R<Option<Flow>> {
            let shown = label(&item);
            this.check_interrupt(iter.span, || {
                Some(format!(
                    "before running {}",
                    shown.trim_start_matches("in ")
                ))
            })?;
            this.assign_to(target, item, var_span)?;
            let flow = this.exec_block(body).map_err(|e| {
                if first {
                    e
                } else {
                    this.loop_note(e, var_span.to(iter.span), shown)
                }
            })?;
            Ok(match flow {
                Flow::Break => Some(Flow::Normal),
                Flow::Return(v) => Some(Flow::Return(v)),
                Flow::Continue | Flow::Normal => None,
            })
        };
        let name_label = |v: &Value| -> String {
            match v {
                Value::Tensor(t) => format!(
                    "in the iteration where `{var}` is a tensor of shape {}",
                    explain::shape_str(&t.shape())
                ),
                other => format!("in the iteration where `{var} = {}`", other.repr()),
            }
        };
        match it {
            Value::Range { start, stop, step } => {
                let n = Value::range_len(start, stop, step);
                for i in 0..n {
                    let v = Value::Number((start + i * step) as f64);
                    if let Some(f) = run(self, v, &name_label, i == 0)? {
                        return Ok(f);
                    }
                }
            }
            Value::List(items) => {
                let snapshot: Vec<Value> = items.borrow().clone();
                for (i, v) in snapshot.into_iter().enumerate() {
                    if let Some(f) = run(self, v, &name_label, i == 0)? {
                        return Ok(f);
                    }
                }
            }
            Value::Str(s) => {
                for (i, c) in s.chars().enumerate() {
                    if let Some(f) = run(self, Value::char(c), &name_label, i == 0)? {
                        return Ok(f);
                    }
                }
            }
            Value::Tensor(t) => {
                let shape = t.shape();
                if shape.is_empty() {
                    return Err(self.fail(
                        Diagnostic::error("type::not_iterable", "cannot loop over a 0-d tensor")
                            .primary(iter.span, "this tensor has no axes")
                            .help("a `for` loop over a tensor walks its first axis; use `item(t)` for the number"),
                    ));
                }
                for i in 0..shape[0] {
                    let row =
                        tensor::index(&t, &[tensor::IndexItem::At(i as isize)]).map_err(|e| {
                            self.fail(explain::tensor_error(
                                self,
                                e,
                                &Site::call("index", iter.span, vec![]),
                            ))
                        })?;
                    let label =
                        |_: &Value| format!("in iteration {i} over the rows of this tensor");
                    if let Some(f) = run(self, Value::Tensor(row), &label, i == 0)? {
                        return Ok(f);
                    }
                }
            }
            other => {
                return Err(self.fail(
                    Diagnostic::error(
                        "type::not_iterable",
                        format!("cannot loop over a {}", other.kind()),
                    )
                    .primary(iter.span, format!("this is a {}", other.kind()))
                    .help("loop over `range(n)`, a list or a tensor"),
                ))
            }
        }
        Ok(Flow::Normal)
    }

    fn exec_assign(
        &mut self,
        stmt: &Stmt,
        target: &Target,
        op: Option<BinOp>,
        op_span: Span,
        value: &Expr,
    ) -> R<()> {
        match target {
            Target::Name(name) => match op {
                None => {
                    let v = self.eval(value)?;
                    if let Value::Tensor(_) = &v {
                        self.check_rebind_update(&name.node, value, op_span);
                    }
                    if let Value::Abs(a) = &v {
                        let tensor = self.with_domain(|d, _| d.kind(a) == "tensor");
                        if tensor == Some(true) {
                            let warning = rebind_update_warning(&name.node, value, op_span, &|s| {
                                self.text_of(s)
                            });
                            if let Some(w) = warning {
                                self.with_domain(|d, it| d.report(it, w));
                            }
                        }
                    }
                    self.bind(&name.node, v, stmt.span);
                    Ok(())
                }
                Some(op) => {
                    let current = self.lookup(&name.node).map(|b| b.value.clone());
                    let current = match current {
                        Some(v) => v,
                        None => return Err(self.unknown_name(&name.node, name.span)),
                    };
                    let rhs = self.eval(value)?;
                    if let Value::Tensor(t) = &current {
                        self.update_in_place(t, op, op_span, name.span, value, rhs)?;
                        return Ok(());
                    }
                    let target_expr = Expr::new(ExprKind::Name(name.node.clone()), name.span);
                    if matches!(current, Value::Abs(_)) || matches!(rhs, Value::Abs(_)) {
                        let v = self.abstract_update(
                            OpCall {
                                op,
                                op_span,
                                l: current,
                                r: rhs,
                                lhs: &target_expr,
                                rhs: value,
                            },
                            stmt.span,
                        );
                        self.bind(&name.node, v, stmt.span);
                        return Ok(());
                    }
                    let v = self.binary(op, op_span, current, rhs, &target_expr, value)?;
                    self.bind(&name.node, v, stmt.span);
                    Ok(())
                }
            },
            Target::Index {
                object,
                items,
                span,
            } => {
                let obj = self.eval(object)?;
                let rhs = self.eval(value)?;
                if let Value::Abs(_) = obj {
                    let items = self.eval_index_items(items)?;
                    let target = (obj, &**object, items, *span);
                    self.with_domain(|d, it| d.set_index(it, target, (op_span, value, rhs)));
                    return Ok(());
                }
                self.assign_index(obj, object, items, *span, op, op_span, value, rhs)
            }
            Target::Attr { object, name, span } => {
                let obj = self.eval(object)?;
                let rhs = self.eval(value)?;
                let Some(op) = op else {
                    return self.set_attribute(&obj, object.span, &name.node, name.span, rhs);
                };
                let current = match &obj {
                    Value::Abs(_) => self
                        .with_domain(|d, it| {
                            d.attribute(it, obj.clone(), object, &name.node, name.span)
                        })
                        .unwrap_or(Value::None),
                    _ => self.attribute(obj.clone(), object, &name.node, name.span)?,
                };
                if matches!(current, Value::Abs(_)) || matches!(rhs, Value::Abs(_)) {
                    let target_expr = Expr::new(
                        ExprKind::Attr {
                            object: object.clone(),
                            name: name.clone(),
                        },
                        *span,
                    );
                    let v = self.abstract_update(
                        OpCall {
                            op,
                            op_span,
                            l: current,
                            r: rhs,
                            lhs: &target_expr,
                            rhs: value,
                        },
                        stmt.span,
                    );
                    return self.set_attribute(&obj, object.span, &name.node, name.span, v);
                }
                if let Value::Tensor(t) = &current {
                    // `self.W -= lr * g`: the same leaf, new values.
                    return self.update_in_place(t, op, op_span, *span, value, rhs);
                }
                let target_expr = Expr::new(
                    ExprKind::Attr {
                        object: object.clone(),
                        name: name.clone(),
                    },
                    *span,
                );
                let v = self.binary(op, op_span, current, rhs, &target_expr, value)?;
                self.set_attribute(&obj, object.span, &name.node, name.span, v)
            }
            Target::Tuple { .. } | Target::Starred { .. } => {
                let v = self.eval(value)?;
                self.assign_to(target, v, stmt.span)
            }
        }
    }

    /// `W -= e` on a tensor: the same tensor, new values, not recorded.
    fn update_in_place(
        &mut self,
        t: &Tensor,
        op: BinOp,
        op_span: Span,
        target_span: Span,
        value: &Expr,
        rhs: Value,
    ) -> R<()> {
        let kind = match op {
            BinOp::Add => tensor::InPlaceOp::Add,
            BinOp::Sub => tensor::InPlaceOp::Sub,
            BinOp::Mul => tensor::InPlaceOp::Mul,
            BinOp::Div => tensor::InPlaceOp::Div,
            _ => {
                return Err(self.fail(
                    Diagnostic::error(
                        "syntax::augmented",
                        format!("`{}=` is not an update operator", op.symbol()),
                    )
                    .primary(op_span, "use `+=`, `-=`, `*=` or `/=`"),
                ))
            }
        };
        let r = self.to_tensor(&rhs, value.span)?;
        self.note_changed(t, target_span.to(value.span));
        tensor::update_in_place(t, kind, &r).map_err(|e| {
            let site = Site {
                op: format!("{}=", op.symbol()),
                primary: op_span,
                operands: vec![
                    Operand::new(self, target_span, Some(t.shape()), "tensor"),
                    self.operand(value.span, Some(&rhs)),
                ],
                in_place: true,
                axis: None,
            };
            self.fail(explain::tensor_error(self, e, &site))
        })
    }

    /// Warn once when `W = W - lr * grad(W)` rebinds a tensor to an update of itself.
    fn check_rebind_update(&mut self, name: &str, value: &Expr, op_span: Span) {
        if let Some(d) = rebind_update_warning(name, value, op_span, &|s| self.text_of(s)) {
            self.warn_once(op_span, "rebind", d);
        }
    }

    #[allow(clippy::too_many_arguments)]
    pub(crate) fn assign_index(
        &mut self,
        obj: Value,
        object: &Expr,
        items: &[IndexItem],
        span: Span,
        op: Option<BinOp>,
        op_span: Span,
        value: &Expr,
        rhs: Value,
    ) -> R<()> {
        match obj {
            Value::List(list) => {
                if items.len() != 1 {
                    return Err(self.fail(
                        Diagnostic::error("type::index", "a list takes one index")
                            .primary(span, format!("{} indices given", items.len())),
                    ));
                }
                let idx_expr = match &items[0] {
                    IndexItem::Index(e) => e,
                    IndexItem::Slice { span, .. } | IndexItem::Ellipsis(span) => {
                        return Err(self.fail(
                            Diagnostic::error(
                                "type::index",
                                "assigning to a slice of a list is not supported",
                            )
                            .primary(*span, "slice"),
                        ))
                    }
                };
                let i = self.eval(idx_expr)?;
                let len = list.borrow().len();
                let pos = self.list_position(&i, idx_expr.span, len)?;
                let new = match op {
                    None => rhs,
                    Some(op) => {
                        let cur = list.borrow()[pos].clone();
                        self.binary(op, op_span, cur, rhs, object, value)?
                    }
                };
                list.borrow_mut()[pos] = new;
                Ok(())
            }
            Value::Dict(d) => {
                let key = match items {
                    [IndexItem::Index(e)] => (self.eval(e)?, e.span),
                    _ => {
                        return Err(self.fail(
                            Diagnostic::error("type::index", "a dict takes one key")
                                .primary(span, "several items"),
                        ))
                    }
                };
                let h = self.key_of(&key.0, key.1)?;
                let new = match op {
                    None => rhs,
                    Some(op) => {
                        let cur = d.borrow().get(&h).cloned();
                        let Some(cur) = cur else {
                            return Err(self.missing_key(&Value::Dict(d.clone()), &key.0, key.1));
                        };
                        self.binary(op, op_span, cur, rhs, object, value)?
                    }
                };
                d.borrow_mut().insert(h, key.0, new);
                Ok(())
            }
            Value::Tensor(t) => {
                let idx = self.index_items(items)?;
                let r = self.to_tensor(&rhs, value.span)?;
                self.note_changed(&t, span.to(value.span));
                let result = match op {
                    None => tensor::set_index(&t, &idx, &r),
                    Some(op) => {
                        let cur = tensor::index(&t, &idx).map_err(|e| {
                            self.fail(explain::tensor_error(
                                self,
                                e,
                                &Site::call("index", span, vec![]),
                            ))
                        })?;
                        let kind = explain::binary_kind(op).ok_or_else(|| {
                            self.fail(
                                Diagnostic::error("type::operator", "unsupported update operator")
                                    .primary(op_span, ""),
                            )
                        })?;
                        let newv = tensor::binary(kind, &cur.detach(), &r);
                        match newv {
                            Ok(n) => tensor::set_index(&t, &idx, &n),
                            Err(e) => Err(e),
                        }
                    }
                };
                result.map_err(|e| {
                    let site = Site {
                        op: "indexed assignment".to_string(),
                        primary: op_span,
                        operands: vec![
                            self.operand(span, None),
                            self.operand(value.span, Some(&rhs)),
                        ],
                        in_place: true,
                        axis: None,
                    };
                    self.fail(explain::tensor_error(self, e, &site))
                })
            }
            Value::Instance(_) => {
                let key = match items {
                    [IndexItem::Index(e)] => self.eval(e)?,
                    _ => {
                        return Err(self.fail(
                            Diagnostic::error("type::index", "an object's `[...] =` takes one key")
                                .primary(span, "several items"),
                        ))
                    }
                };
                let new = match op {
                    None => rhs,
                    Some(op) => {
                        let arg = crate::runtime::call::ArgVal {
                            name: None,
                            value: key.clone(),
                            span,
                        };
                        let cur = self.call_method(obj.clone(), "__getitem__", vec![arg], span)?;
                        self.binary(op, op_span, cur, rhs, object, value)?
                    }
                };
                let args = vec![
                    crate::runtime::call::ArgVal {
                        name: None,
                        value: key,
                        span,
                    },
                    crate::runtime::call::ArgVal {
                        name: None,
                        value: new,
                        span: value.span,
                    },
                ];
                self.call_method(obj, "__setitem__", args, span)?;
                Ok(())
            }
            other => Err(self.fail(
                Diagnostic::error(
                    "type::index",
                    format!("cannot assign into a {}", other.kind()),
                )
                .primary(object.span, format!("this is a {}", other.kind())),
            )),
        }
    }
}

/// `W = W - lr * grad(W)`: the warning that the update makes `W` a non-leaf (run and
/// `tsr check` both give it, for an assignment of a tensor).
pub(crate) fn rebind_update_warning(
    name: &str,
    value: &Expr,
    op_span: Span,
    text_of: &dyn Fn(Span) -> String,
) -> Option<Diagnostic> {
    let ExprKind::Binary {
        op: op @ (BinOp::Sub | BinOp::Add),
        lhs,
        rhs,
        ..
    } = &value.kind
    else {
        return None;
    };
    let is_self = matches!(&lhs.kind, ExprKind::Name(n) if n == name);
    if !is_self || !mentions_grad_of(rhs, name) {
        return None;
    }
    let sym = if *op == BinOp::Sub { "-=" } else { "+=" };
    let rest = text_of(rhs.span);
    Some(
        Diagnostic::warning(
            "grad::rebind_update",
            format!(
                "`{name} = {name} {} ...` makes `{name}` a new tensor that records this update",
                op.symbol()
            ),
        )
        .primary(
            op_span.to(value.span),
            format!("`{name}` becomes a non-leaf whose history grows every step"),
        )
        .help(format!(
            "update the weights in place: `{name} {sym} {rest}`"
        )),
    )
}

fn mentions_grad_of(e: &Expr, name: &str) -> bool {
    match &e.kind {
        ExprKind::Call { callee, args } => {
            let is_grad = matches!(&callee.kind, ExprKind::Name(n) if n == "grad");
            (is_grad
                && args
                    .iter()
                    .any(|a| matches!(&a.value.kind, ExprKind::Name(n) if n == name)))
                || args.iter().any(|a| mentions_grad_of(&a.value, name))
        }
        ExprKind::Method {
            receiver,
            name: m,
            args,
        } => {
            (m.node == "grad" && matches!(&receiver.kind, ExprKind::Name(n) if n == name))
                || mentions_grad_of(receiver, name)
                || args.iter().any(|a| mentions_grad_of(&a.value, name))
        }
        ExprKind::Attr { object, name: a } => {
            a.node == "grad" && matches!(&object.kind, ExprKind::Name(n) if n == name)
        }
        ExprKind::Binary { lhs, rhs, .. } => {
            mentions_grad_of(lhs, name) || mentions_grad_of(rhs, name)
        }
        ExprKind::Unary { operand, .. } => mentions_grad_of(operand, name),
        _ => false,
    }
}
