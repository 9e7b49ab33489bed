//! Abstract mode's control flow (`domain.rs`): a statement whose error is recorded
//! instead of ending the run; a branch whose condition is not decided, both arms from the
//! same state, joined; a loop whose trip count is not known, run until its state stops
//! changing. Decided conditions and short loops run as `exec.rs` runs them.

use crate::runtime::domain::{AbsItems, Domain, Snapshot, MAX_ITERS, UNROLL, UNROLL_STEPS};
use crate::runtime::interp::{Flow, Interp, OpCall, R};
use crate::runtime::value::Value;
use crate::syntax::ast::{BinOp, Expr, Stmt, StmtKind, Target};
use crate::syntax::diagnostic::Diagnostic;
use crate::syntax::span::Span;

/// What abstract mode raises where a value it does not know decides what a statement
/// does, and no hook of the domain covers the place: the statement's targets become
/// unknown, and nothing is reported.
pub fn undecided(span: Span) -> Box<Diagnostic> {
    Box::new(Diagnostic::advice(UNDECIDED, "decided only when the program runs").primary(span, ""))
}

/// The code of `undecided`.
pub const UNDECIDED: &str = "check::undecided";

/// How one path through a block ended.
enum End {
    Flow(Flow),
    /// A `raise`: the path stops here and nothing joins from it.
    Raised,
}

impl Interp {
    /// The truth of a condition; `None` when it is abstract and not decided (abstract
    /// mode only).
    pub fn truth3(&mut self, v: &Value, span: Span) -> R<Option<bool>> {
        if let Value::Abs(a) = v {
            return Ok(self.abstract_truth(a, span));
        }
        self.truthy(v, span).map(Some)
    }

    /// An operator: the domain's when an operand is abstract (abstract mode).
    pub(crate) fn binary_any(&mut self, o: OpCall) -> R<Value> {
        if matches!(o.l, Value::Abs(_)) || matches!(o.r, Value::Abs(_)) {
            return Ok(self.domain_value(|d, it| d.binary(it, o)));
        }
        self.binary(o.op, o.op_span, o.l, o.r, o.lhs, o.rhs)
    }

    /// `target op= rhs` where the target's value or `rhs` is abstract: the value the
    /// target has afterwards (the domain's `update`).
    pub(crate) fn abstract_update(&mut self, op: OpCall, stmt: Span) -> Value {
        self.domain_value(|d, it| d.update(it, op, stmt))
    }

    /// What the domain's hook `f` gives.
    pub(crate) fn domain_value(
        &mut self,
        f: impl FnOnce(&mut dyn Domain, &mut Interp) -> Value,
    ) -> Value {
        self.with_domain(f).unwrap_or(Value::None)
    }

    /// `a` or the value of `b` (a condition not decided chose between them).
    pub(crate) fn either(&mut self, a: R<Value>, b: &Expr) -> R<Value> {
        let a = a?;
        let b = self.eval(b)?;
        Ok(self.domain_value(|d, _| d.join(&a, &b)))
    }

    /// A comparison chain whose link at `at` is not decided: the rest is evaluated (its
    /// errors found) and the chain's value is not known.
    pub(crate) fn undecided_chain(&mut self, rest: &[(BinOp, Span, Expr)], at: &Expr) -> R<Value> {
        for (_, _, more) in rest.iter().skip_while(|x| !std::ptr::eq(&x.2, at)).skip(1) {
            self.eval(more)?;
        }
        Ok(self.unknown())
    }

    fn unknown(&mut self) -> Value {
        self.with_domain(|d, _| d.unknown()).unwrap_or(Value::None)
    }

    /// One statement in abstract mode: an error is recorded by the domain and the names
    /// the statement would have bound become unknown; the program goes on.
    pub(crate) fn exec_abstract(&mut self, stmt: &Stmt) -> R<Flow> {
        if !self.with_domain(|d, _| d.fuel()).unwrap_or(false) {
            return Ok(Flow::Normal);
        }
        self.abs_steps += 1;
        let mut saved = false;
        self.with_domain(|d, _| d.statement(Some(stmt), &mut saved));
        let out = match self.exec_stmt(stmt) {
            Err(e) if e.code == "interrupt" => Err(e),
            Err(e) => {
                if e.code != UNDECIDED {
                    self.with_domain(|d, it| d.report(it, *e));
                }
                self.unknown_targets(stmt);
                // A `return` whose value failed returns a value not known.
                Ok(match stmt.kind {
                    StmtKind::Return(_) => Flow::Return(self.unknown()),
                    _ => Flow::Normal,
                })
            }
            ok => ok,
        };
        self.with_domain(|d, _| d.statement(None, &mut saved));
        out
    }

    fn unknown_targets(&mut self, stmt: &Stmt) {
        fn names(t: &Target, out: &mut Vec<(String, crate::syntax::span::Span)>) {
            match t {
                Target::Name(n) => out.push((n.node.clone(), n.span)),
                Target::Tuple { items, .. } => items.iter().for_each(|i| names(i, out)),
                Target::Starred { target, .. } => names(target, out),
                _ => {}
            }
        }
        let mut out = Vec::new();
        match &stmt.kind {
            StmtKind::Assign { target, .. } | StmtKind::For { target, .. } => {
                names(target, &mut out)
            }
            StmtKind::MultiAssign { targets, .. } => {
                targets.iter().for_each(|t| names(t, &mut out))
            }
            _ => {}
        }
        for (n, _) in out {
            let u = self.unknown();
            self.bind(&n, u, stmt.span);
        }
    }

    /// An expression's value; when it fails, the error is recorded and the value is
    /// unknown (a condition that fails does not end the statement it guards).
    pub(crate) fn eval_or_unknown(&mut self, e: &Expr) -> Value {
        match self.eval(e) {
            Ok(v) => v,
            Err(d) => {
                if d.code != UNDECIDED {
                    self.with_domain(|dom, it| dom.report(it, *d));
                }
                self.unknown()
            }
        }
    }

    /// Run one path; how it ended and the state it left.
    fn path(&mut self, f: impl FnOnce(&mut Interp) -> R<Flow>) -> R<(End, Snapshot)> {
        let flow = f(self)?;
        let end = if std::mem::take(&mut self.abs_raised) {
            End::Raised
        } else {
            End::Flow(flow)
        };
        Ok((end, self.take_snapshot()))
    }

    /// The state and flow after two paths from the same point.
    fn join_paths(&mut self, a: (End, Snapshot), b: (End, Snapshot)) -> Flow {
        let ((ea, sa), (eb, sb)) = (a, b);
        let leaves = |e: &End| matches!(e, End::Raised | End::Flow(Flow::Return(_) | Flow::Break));
        if leaves(&ea) != leaves(&eb) {
            self.abs_left += 1;
        }
        match (ea, eb) {
            (End::Raised, End::Raised) => {
                self.abs_raised = true;
                Flow::Return(Value::None)
            }
            (End::Raised, End::Flow(f)) => {
                self.put_snapshot(sb);
                f
            }
            (End::Flow(f), End::Raised) => {
                self.put_snapshot(sa);
                f
            }
            (End::Flow(Flow::Return(x)), End::Flow(Flow::Return(y))) => {
                self.join_snapshots(sa, &sb, false);
                let j = self.with_domain(|d, _| d.join(&x, &y)).unwrap_or(y);
                Flow::Return(j)
            }
            (End::Flow(Flow::Return(x)), End::Flow(f)) => {
                self.put_snapshot(sb);
                self.returned(x);
                f
            }
            (End::Flow(f), End::Flow(Flow::Return(y))) => {
                self.put_snapshot(sa);
                self.returned(y);
                f
            }
            (End::Flow(f), End::Flow(g)) => {
                self.join_snapshots(sa, &sb, false);
                match (f, g) {
                    (Flow::Break, Flow::Break) => Flow::Break,
                    (Flow::Continue, Flow::Continue) => Flow::Continue,
                    _ => Flow::Normal,
                }
            }
        }
    }

    /// A value returned on one path of a branch: joined into the call's result.
    fn returned(&mut self, v: Value) {
        if let Some(r) = self.abs_returns.last_mut() {
            r.push(v);
        }
    }

    pub(crate) fn exec_if_abstract(
        &mut self,
        branches: &[(Expr, Vec<Stmt>)],
        else_body: Option<&[Stmt]>,
    ) -> R<Flow> {
        let Some(((cond, body), rest)) = branches.split_first() else {
            return match else_body {
                Some(b) => self.exec_block(b),
                None => Ok(Flow::Normal),
            };
        };
        let c = self.eval_or_unknown(cond);
        match self.truth3(&c, cond.span)? {
            Some(true) => self.exec_block(body),
            Some(false) => self.exec_if_abstract(rest, else_body),
            None => {
                let start = self.snapshot();
                let a = self.path(|it| it.exec_block(body))?;
                self.put_snapshot(start);
                let b = self.path(|it| it.exec_if_abstract(rest, else_body))?;
                Ok(self.join_paths(a, b))
            }
        }
    }

    /// Runs `f` with errors reported only while no path has left the loop (see
    /// `abs_left`): once one may have, later iterations may not happen.
    fn iteration<T>(
        &mut self,
        left0: usize,
        quiet: &mut bool,
        f: impl FnOnce(&mut Interp) -> T,
    ) -> T {
        if !*quiet && self.abs_left != left0 {
            *quiet = true;
            self.with_domain(|d, _| d.quiet(1));
        }
        f(self)
    }

    fn end_loop(&mut self, quiet: bool) {
        if quiet {
            self.with_domain(|d, _| d.quiet(-1));
        }
    }

    pub(crate) fn exec_while_abstract(&mut self, cond: &Expr, body: &[Stmt]) -> R<Flow> {
        let (left0, mut quiet) = (self.abs_left, false);
        let out = self.while_iterations(cond, body, left0, &mut quiet);
        self.end_loop(quiet);
        out
    }

    fn while_iterations(
        &mut self,
        cond: &Expr,
        body: &[Stmt],
        left0: usize,
        quiet: &mut bool,
    ) -> R<Flow> {
        for _ in 0..UNROLL {
            let step = self.iteration(left0, quiet, |it| -> R<Option<Flow>> {
                let c = it.eval(cond)?;
                Ok(match it.truth3(&c, cond.span)? {
                    Some(false) => Some(Flow::Normal),
                    Some(true) => match it.exec_block(body)? {
                        Flow::Break => Some(Flow::Normal),
                        Flow::Return(v) => Some(Flow::Return(v)),
                        _ => None,
                    },
                    None => Some(Flow::Continue),
                })
            })?;
            match step {
                Some(Flow::Continue) => break,
                Some(f) => return Ok(f),
                None => {}
            }
            if self.abs_raised || !self.with_domain(|d, _| d.fuel()).unwrap_or(false) {
                return Ok(Flow::Normal);
            }
            if self.abs_left != left0 {
                // A path may have left the loop: how many more times it runs is not known.
                break;
            }
        }
        // Not decided (or long): the body may run any number of times.
        self.settle_loop(true, |it| {
            let c = it.eval(cond)?;
            it.truth3(&c, cond.span)?;
            it.exec_block(body)
        })
    }

    /// Run a loop body until the state stops changing (at most `MAX_ITERS` passes, the
    /// later ones quiet); with `maybe_none`, the loop may also not run at all.
    fn settle_loop(
        &mut self,
        maybe_none: bool,
        mut pass: impl FnMut(&mut Interp) -> R<Flow>,
    ) -> R<Flow> {
        // The state the loop starts from: the first pass's previous state, and with
        // `maybe_none` what the end is joined with. `prev` is `None` while it is `first`.
        let first = self.snapshot();
        let mut prev: Option<Snapshot> = None;
        for k in 0..MAX_ITERS {
            // Once the loop may have ended, later passes may not happen: quiet.
            let quiet = k > 0 && maybe_none;
            if quiet {
                self.with_domain(|d, _| d.quiet(1));
            }
            let r = pass(self);
            if quiet {
                self.with_domain(|d, _| d.quiet(-1));
            }
            let flow = r?;
            let p = prev.as_ref().unwrap_or(&first);
            if std::mem::take(&mut self.abs_raised) {
                self.restore_snapshot(p);
                break;
            }
            if let Flow::Return(v) = flow {
                self.returned(v);
                self.restore_snapshot(p);
                break;
            }
            let now = self.take_snapshot();
            self.join_snapshots(now, p, true);
            let joined = self.take_snapshot();
            let done = self.same_snapshots(p, &joined) || matches!(flow, Flow::Break);
            self.put_snapshot(joined);
            if done || !self.with_domain(|d, _| d.fuel()).unwrap_or(false) {
                break;
            }
            prev = Some(self.snapshot());
        }
        if maybe_none {
            let now = self.take_snapshot();
            self.join_snapshots(now, &first, true);
        }
        Ok(Flow::Normal)
    }

    /// A `for` loop in abstract mode: item by item when there are at most `UNROLL`
    /// known items, else the first item and then the rest alike until the state settles.
    /// `None` when `exec_for` should run it as usual (a tensor, which is never concrete
    /// in abstract mode, or a value that cannot be iterated: `exec_for` says so).
    pub(crate) fn exec_for_abstract(
        &mut self,
        target: &Target,
        iter: &Expr,
        it: &Value,
        body: &[Stmt],
    ) -> R<Option<Flow>> {
        let (left0, mut quiet) = (self.abs_left, false);
        let out = self.for_iterations(target, iter, it, body, left0, &mut quiet);
        self.end_loop(quiet);
        out
    }

    fn for_iterations(
        &mut self,
        target: &Target,
        iter: &Expr,
        it: &Value,
        body: &[Stmt],
        left0: usize,
        quiet: &mut bool,
    ) -> R<Option<Flow>> {
        let items = match it {
            Value::Range { start, stop, step } => {
                let n = Value::range_len(*start, *stop, *step);
                if n as usize <= UNROLL {
                    AbsItems::Exact(self.iter_values(it, iter.span)?)
                } else {
                    let u = self.unknown();
                    let first = Value::Number(*start as f64);
                    return self.settle_for(
                        target,
                        body,
                        (first, true),
                        u,
                        0,
                        Some(n as usize),
                        left0,
                        quiet,
                    );
                }
            }
            Value::List(_)
            | Value::Tuple(_)
            | Value::Str(_)
            | Value::Dict(_)
            | Value::Set(_)
            | Value::Instance(_)
            | Value::File(_) => AbsItems::Exact(self.iter_values(it, iter.span)?),
            Value::Abs(a) => match self.with_domain(|d, it| d.items(it, a, iter.span)) {
                Some(items) => items,
                None => return Ok(Some(Flow::Normal)),
            },
            _ => return Ok(None),
        };
        let (first, elem, count) = match items {
            AbsItems::Exact(items) if items.len() <= UNROLL && self.abs_unrolled < 2 => {
                self.abs_unrolled += 1;
                let r = self.unrolled(target, iter, items, body, left0, quiet);
                self.abs_unrolled -= 1;
                return r;
            }
            AbsItems::Exact(items) => {
                return self.settle_items(target, body, items, 0, left0, quiet)
            }
            AbsItems::Alike(e, count) => ((e.clone(), false), e, count),
        };
        self.settle_for(target, body, first, elem, 0, count, left0, quiet)
    }

    /// Known `items` (from the loop's item `from` on), many or deep in unrolled loops.
    /// When they are a few distinct values (`[3] * 59 + [4]`), each of those as it is,
    /// in turn, until the state settles; otherwise the first as it is, then the rest
    /// alike, joined, until the state settles.
    fn settle_items(
        &mut self,
        target: &Target,
        body: &[Stmt],
        items: Vec<Value>,
        from: usize,
        left0: usize,
        quiet: &mut bool,
    ) -> R<Option<Flow>> {
        let Some(first) = items.first().cloned() else {
            return Ok(Some(Flow::Normal));
        };
        // (A body that never names the loop's variables runs alike for any item.)
        let named = self.unnamed_in(target, body).is_empty();
        if let Some(kinds) = named.then(|| self.distinct_items(&items)).flatten() {
            let span = target.span();
            let var = self.text_of(span);
            let flow = self.iteration(left0, quiet, |it| {
                it.settle_loop(false, |it| {
                    for (j, v) in kinds.iter().enumerate() {
                        // (The first is the loop's item `from`; any other comes later.)
                        let i = if j == 0 { from } else { from.max(1) };
                        it.with_domain(|d, _| d.iteration(Some((span, &var, v, i, true))));
                        let r = it
                            .assign_to(target, v.clone(), span)
                            .and_then(|_| it.exec_block(body));
                        it.with_domain(|d, _| d.iteration(None));
                        match r? {
                            f @ (Flow::Break | Flow::Return(_)) => return Ok(f),
                            _ if it.abs_raised => break,
                            _ => {}
                        }
                    }
                    Ok(Flow::Normal)
                })
            })?;
            return Ok(Some(flow));
        }
        let mut e = first.clone();
        for x in &items[1..] {
            e = self.with_domain(|d, _| d.join(&e, x)).unwrap_or(e);
        }
        let count = Some(items.len());
        self.settle_for(target, body, (first, true), e, from, count, left0, quiet)
    }

    /// A loop over known items, one iteration per item.
    fn unrolled(
        &mut self,
        target: &Target,
        iter: &Expr,
        items: Vec<Value>,
        body: &[Stmt],
        left0: usize,
        quiet: &mut bool,
    ) -> R<Option<Flow>> {
        let span = target.span();
        let var = self.text_of(span);
        // A body that never names the loop's variables (`for _ in range(8)`) runs alike
        // for every item: once the state at the top of the body stops changing (two
        // iterations in a row start the same, the variables aside), the rest add
        // nothing, and only the variables' last values are left to bind.
        let unnamed = self.unnamed_in(target, body);
        let last = items.last().cloned();
        let mut top: Option<Snapshot> = None;
        let start = self.abs_steps;
        let mut items = items.into_iter().enumerate();
        while let Some((i, v)) = items.next() {
            if !unnamed.is_empty() && (1..=3).contains(&i) {
                let mut now = self.snapshot();
                now.forget(&unnamed);
                if top.as_ref().is_some_and(|t| self.same_snapshots(t, &now)) {
                    if let Some(last) = last {
                        self.assign_to(target, last, span)?;
                    }
                    break;
                }
                top = Some(now);
            }
            // Long (and not about to settle as above): the rest run alike (see
            // `UNROLL_STEPS`).
            let settling = !unnamed.is_empty() && i <= 3;
            if !settling && self.abs_steps - start > UNROLL_STEPS && items.len() > 0 {
                let mut rest = vec![v];
                rest.extend(items.map(|(_, v)| v));
                return self.settle_items(target, body, rest, i, left0, quiet);
            }
            self.with_domain(|d, _| d.iteration(Some((span.to(iter.span), &var, &v, i, true))));
            let flow = self.iteration(left0, quiet, |it| -> R<Flow> {
                it.assign_to(target, v, span)?;
                it.exec_block(body)
            });
            self.with_domain(|d, _| d.iteration(None));
            match flow? {
                Flow::Break => break,
                Flow::Return(v) => return Ok(Some(Flow::Return(v))),
                _ => {}
            }
            if self.abs_raised || !self.with_domain(|d, _| d.fuel()).unwrap_or(false) {
                break;
            }
        }
        Ok(Some(Flow::Normal))
    }

    /// The names `target` binds when none of them is named in `body`'s text (else
    /// none): an identifier match, so a mention in a string or comment counts too.
    fn unnamed_in(&self, target: &Target, body: &[Stmt]) -> Vec<String> {
        let (Some(first), Some(last)) = (body.first(), body.last()) else {
            return Vec::new();
        };
        let text = self.text_of(first.span.to(last.span));
        let mut names = Vec::new();
        target.names(&mut names);
        let ident = |c: char| c.is_alphanumeric() || c == '_';
        let named = |n: &str| {
            text.match_indices(n).any(|(at, _)| {
                !text[..at].ends_with(ident) && !text[at + n.len()..].starts_with(ident)
            })
        };
        // The text must be this program's (the target's own text is its name).
        let ok = names
            .iter()
            .all(|n| self.text_of(n.span) == n.node && !named(&n.node));
        if ok {
            names.into_iter().map(|n| n.node).collect()
        } else {
            Vec::new()
        }
    }

    #[allow(clippy::too_many_arguments)]
    fn settle_for(
        &mut self,
        target: &Target,
        body: &[Stmt],
        (first, exact_first): (Value, bool),
        elem: Value,
        from: usize,
        count: Option<usize>,
        left0: usize,
        quiet: &mut bool,
    ) -> R<Option<Flow>> {
        let span = target.span();
        if count == Some(0) {
            return Ok(Some(Flow::Normal));
        }
        // The first item as it is, then the rest alike until the state settles.
        let var = self.text_of(span);
        self.with_domain(|d, _| d.iteration(Some((span, &var, &first, from, exact_first))));
        let flow = self.iteration(left0, quiet, |it| -> R<Flow> {
            it.assign_to(target, first, span)?;
            it.exec_block(body)
        });
        self.with_domain(|d, _| d.iteration(None));
        match flow? {
            Flow::Return(v) => return Ok(Some(Flow::Return(v))),
            Flow::Break => return Ok(Some(Flow::Normal)),
            _ => {}
        }
        if count == Some(1) {
            return Ok(Some(Flow::Normal));
        }
        let mut k = from;
        let flow = self.iteration(left0, quiet, |it| {
            it.settle_loop(count.is_none(), |it| {
                k += 1;
                it.with_domain(|d, _| d.iteration(Some((span, &var, &elem, k, false))));
                let r = it
                    .assign_to(target, elem.clone(), span)
                    .and_then(|_| it.exec_block(body));
                it.with_domain(|d, _| d.iteration(None));
                r
            })
        })?;
        Ok(Some(flow))
    }
}
