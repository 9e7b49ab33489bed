//! Warnings for the shape bugs that numpy and PyTorch let through silently. Ops mark the
//! tensors they make when those are a likely bug's first half (a `[N, 1]` with `[N]`
//! broadcast into `[N, N]`, a row reduction of a square matrix without `keepdim`,
//! probabilities from `softmax`/`sigmoid`); the op that completes the bug (a reduction,
//! a broadcast back, a loss that expects logits) warns once per place, with the likely
//! intent and the fix. The program goes on.

use crate::runtime::interp::Interp;
use crate::runtime::value::{Args, Builtin, LintRole, Value};
use crate::syntax::ast::{BinOp, Expr};
use crate::syntax::diagnostic::Diagnostic;
use crate::syntax::span::Span;
use crate::tensor::Tensor;

pub mod marks;
use marks::{Kind, Lint, Mark};

impl Lint {
    fn get(&self, v: &Value) -> Option<&Mark> {
        match v {
            Value::Tensor(t) if !self.marks.is_empty() => self.marks.get(&t.id()),
            _ => None,
        }
    }
}

fn tensor(v: Option<&Value>) -> Option<&Tensor> {
    match v {
        Some(Value::Tensor(t)) => Some(t),
        _ => None,
    }
}

impl Interp {
    /// After a tensor binary op `lhs op rhs` made `out`.
    pub(crate) fn lint_binary(
        &mut self,
        op: BinOp,
        op_span: Span,
        lhs: &Expr,
        rhs: &Expr,
        l: &Value,
        r: &Value,
        out: &Tensor,
    ) {
        // Only broadcasting ops pair rows with elements; a product contracts them.
        if op == BinOp::MatMul {
            return;
        }
        let (Value::Tensor(a), Value::Tensor(b)) = (l, r) else {
            // A number with a marked tensor keeps the mark (`(a - b) ** 2`).
            if let Some(m) = self.lint.get(l).or(self.lint.get(r)).cloned() {
                if matches!(m.kind, Kind::Pairs { .. }) {
                    self.lint.mark(out, m);
                }
            }
            return;
        };
        let (ra, rb) = (a.ndim(), b.ndim());
        // A row reduction broadcast back along the columns of its square matrix.
        for (reduced, other) in [(l, b), (r, a)] {
            if let Some(Mark {
                kind: Kind::RowReduce { call, op: red, n },
                src_id,
                span,
            }) = self.lint.get(reduced).cloned()
            {
                if other.ndim() == 2 && other.shape() == [n, n] && n > 1 {
                    self.warn_keepdim(op, op_span, &call, red, n, src_id, span);
                }
            }
        }
        if (ra, rb) == (2, 1) || (ra, rb) == (1, 2) {
            let (col, vec, col_left) = if ra == 2 { (a, b, true) } else { (b, a, false) };
            let cs = col.shape();
            let n = vec.shape()[0];
            if cs == [n, 1] && n > 1 {
                let (ce, ve) = if col_left { (lhs, rhs) } else { (rhs, lhs) };
                let kind = Kind::Pairs {
                    col: self.text_of_span(ce.span),
                    vec: self.text_of_span(ve.span),
                    col_left,
                    op: op.symbol(),
                    n,
                };
                let m = Mark {
                    kind,
                    src_id: self.src_id,
                    span: op_span,
                };
                self.lint.mark(out, m);
                return;
            }
        }
        // An elementwise op on the pairs keeps the mark.
        for v in [l, r] {
            if let Some(m) = self.lint.get(v).cloned() {
                if matches!(m.kind, Kind::Pairs { .. }) && out.ndim() == 2 {
                    self.lint.mark(out, m);
                    return;
                }
            }
        }
    }

    /// An elementwise builtin (`abs`, `x.pow(2)`, `log`) keeps its input's mark: the pairs
    /// of `[N, 1]` with `[N]` stay pairs, and probabilities over the batch axis stay over
    /// it (`log(softmax(x, dim=0))`).
    fn lint_elementwise(&mut self, b: &'static Builtin, args: &Args, out: &Value) {
        use crate::runtime::value::Check;
        let Value::Tensor(o) = out else { return };
        let elementwise = matches!(
            b.check,
            Check::Elementwise | Check::Broadcast2 | Check::Shapes
        );
        if self.lint.marks.is_empty() || !elementwise {
            return;
        }
        for (v, _) in args.slots.iter().flatten() {
            if let Some(m) = self.lint.get(v).cloned() {
                let same = matches!(v, Value::Tensor(t) if t.shape() == o.shape());
                let keep = match m.kind {
                    _ if !same => false,
                    Kind::Pairs { .. } => o.ndim() == 2,
                    Kind::Probs(_, batch) => batch.is_some(),
                    _ => false,
                };
                if keep {
                    self.lint.mark(o, m);
                }
                return;
            }
        }
    }

    /// After the builtin `b` returned `out` for the arguments `args`.
    pub(crate) fn lint_call(&mut self, b: &'static Builtin, args: &Args, out: &Value) {
        let name = b.name;
        let role = b.lint;
        if role == LintRole::Other {
            self.lint_elementwise(b, args, out);
            return;
        }
        let first = args.slots.first().and_then(|s| s.as_ref()).map(|(v, _)| v);
        // `max(a, b)` of two tensors is elementwise, not a reduction.
        if role == LintRole::Reduction
            && matches!(args.slots.get(1), Some(Some((Value::Tensor(_), _))))
        {
            return;
        }
        if role == LintRole::Probs {
            if let (Some(x), Value::Tensor(o)) = (tensor(first), out) {
                let batch = if name == "sigmoid" {
                    None
                } else {
                    batch_axis(b, args, x)
                };
                let m = Mark {
                    kind: Kind::Probs(name, batch),
                    src_id: self.src_id,
                    span: args.call,
                };
                self.lint.mark(o, m);
            }
            return;
        }
        if let Some(Mark {
            kind: Kind::Probs(made, batch),
            src_id,
            span,
        }) = first.and_then(|v| self.lint.get(v)).cloned()
        {
            // Probabilities over the batch axis given to a loss: each example's row
            // does not sum to 1.
            let loss = matches!(role, LintRole::Loss | LintRole::LogitLoss);
            if let (Some(axis), true) = (batch, loss) {
                self.warn_softmax_axis(made, name, src_id, axis);
            } else if role == LintRole::LogitLoss {
                let wrong = if name == "cross_entropy" {
                    made != "sigmoid"
                } else {
                    made == "sigmoid"
                };
                if wrong {
                    self.warn_probs(name, made, args, src_id, span);
                }
            }
        }
        if role == LintRole::LogitLoss {
            return;
        }
        // Pairs reduced, or compared by a loss: the likely silent bug.
        if !self.lint.marks.is_empty() {
            for (v, _) in args.slots.iter().flatten() {
                if let Some(m) = self.lint.get(v).cloned() {
                    if let Kind::Pairs { .. } = m.kind {
                        self.warn_pairs(name, args.call, &m);
                        break;
                    }
                }
            }
        }
        // A row reduction of a square matrix without keepdim.
        if role == LintRole::Reduction {
            if let (Some(x), Value::Tensor(o)) = (tensor(first), out) {
                if x.ndim() != 2 || o.ndim() != 1 {
                    return;
                }
                let slot = |i: Option<usize>| {
                    i.and_then(|i| args.slots.get(i))
                        .and_then(|s| s.as_ref())
                        .map(|(v, _)| v)
                };
                let axis = slot(b.axis_slot());
                let keep = slot(
                    b.params
                        .iter()
                        .position(|p| matches!(p.name(), "keepdim" | "keepdims")),
                );
                let kept = keep.is_some_and(|v| {
                    matches!(v, Value::Bool(true)) || matches!(v, Value::Number(n) if *n != 0.0)
                });
                let last = matches!(axis, Some(Value::Number(a)) if *a == 1.0 || *a == -1.0);
                let s = x.shape();
                if last && !kept && s[0] == s[1] && s[0] > 1 {
                    let call = self.text_of_span(args.call);
                    let m = Mark {
                        kind: Kind::RowReduce {
                            call,
                            op: name,
                            n: s[0],
                        },
                        src_id: self.src_id,
                        span: args.call,
                    };
                    self.lint.mark(o, m);
                }
            }
        }
    }

    fn text_of_span(&self, span: Span) -> String {
        crate::runtime::explain::Context::text_of(self, span)
    }

    fn warn_mark(&mut self, code: &'static str, src_id: usize, span: Span, d: Diagnostic) {
        if self.warned.insert((src_id, span.start, code)) {
            let d = d.with_source(self.source(src_id));
            self.report(&d);
        }
    }

    fn warn_pairs(&mut self, consumer: &str, at: Span, m: &Mark) {
        let Kind::Pairs {
            col,
            vec,
            col_left,
            op,
            n,
        } = &m.kind
        else {
            return;
        };
        let n = *n;
        let expr = if *col_left {
            format!("{col} {op} {vec}")
        } else {
            format!("{vec} {op} {col}")
        };
        let squeezed = format!("{}.squeeze(1)", postfix(col));
        let fixed = if *col_left {
            format!("{squeezed} {op} {vec}")
        } else {
            format!("{vec} {op} {squeezed}")
        };
        let mut d = Diagnostic::warning(
            "shape::pairwise",
            format!("`{expr}` pairs every row of [{n}, 1] with every element of [{n}]: [{n}, {n}], and `{consumer}` then reduces all {} pairs", n * n),
        )
        .primary(m.span, format!("[{n}, 1] {op} [{n}] → [{n}, {n}]"))
        .help(format!(
            "to match them element by element, give both the shape [{n}]: `{fixed}`; if every pair is meant, write `{}.reshape(1, {n})` to say so",
            postfix(vec)
        ));
        let overlaps = at.start < m.span.end && m.span.start < at.end;
        if m.src_id == self.src_id && !overlaps {
            d = d.label(at, format!("`{consumer}` of the [{n}, {n}] pairs"));
        }
        self.warn_mark("shape::pairwise", m.src_id, m.span, d);
    }

    #[allow(clippy::too_many_arguments)]
    fn warn_keepdim(
        &mut self,
        op: BinOp,
        op_span: Span,
        call: &str,
        red: &str,
        n: usize,
        src_id: usize,
        at: Span,
    ) {
        let fixed = match call.strip_suffix(')') {
            Some(head) => format!("{head}, keepdim=True)"),
            None => format!("{call} with keepdim=True"),
        };
        let mut d = Diagnostic::warning(
            "shape::keepdim",
            format!("the `{red}` of each row of a [{n}, {n}] matrix is broadcast along its rows, not its columns"),
        )
        .primary(op_span, format!("[{n}, {n}] {} [{n}]: the [{n}] lines up with axis 1", op.symbol()))
        .help(format!("each row's value lands in a column; keep the reduced axis so that each row gets its own: `{fixed}`"));
        if src_id == self.src_id {
            d = d.label(at, "reduced along axis 1 without keepdim");
        }
        self.warn_mark("shape::keepdim", self.src_id, op_span, d);
    }

    fn warn_probs(&mut self, loss: &str, made: &str, args: &Args, src_id: usize, at: Span) {
        let (wants, instead) = if loss == "cross_entropy" {
            (
                "logits: it applies log_softmax itself",
                format!("pass the logits from before `{made}`, or use `nll_loss` on `log_softmax` output"),
            )
        } else {
            (
                "logits: it applies sigmoid itself",
                "pass the logits from before `sigmoid`, or use `bce` on probabilities".to_string(),
            )
        };
        let d = Diagnostic::warning(
            "loss::probabilities",
            format!("`{loss}` is given the output of `{made}`, but it expects {wants}"),
        )
        .help(instead);
        if src_id != self.src_id {
            // The loss is called from another source (a `torch.nn` loss module written
            // in tsr): the warning points at the `softmax` in the user's code.
            let d = d.primary(at, format!("this `{made}` output reaches `{loss}`"));
            self.warn_mark("loss::probabilities", src_id, at, d);
            return;
        }
        let mut d = d.primary(args.span(0), format!("already `{made}`"));
        if at != args.span(0) {
            d = d.label(at, format!("`{made}` here"));
        }
        self.warn_mark("loss::probabilities", self.src_id, args.span(0), d);
    }

    /// `softmax(x, axis=0)` of `[N, C]` reached a loss: it normalised over the batch.
    fn warn_softmax_axis(&mut self, made: &str, loss: &str, src_id: usize, axis: Span) {
        let help = "each row (one example) should sum to 1 over its classes: `axis=1` (or `-1`)";
        let d = Diagnostic::warning(
            "shape::softmax_axis",
            format!("`{made}` over axis 0 normalises each column across the batch, and `{loss}` then reads its rows as examples"),
        )
        .primary(axis, "axis 0 is the batch axis")
        .help(help)
        .with_fix(axis, "1", help);
        self.warn_mark("shape::softmax_axis", src_id, axis, d);
    }
}

/// The span of the `axis` argument when `softmax(x, axis=0)` normalises a `[N, C]`
/// tensor (N, C > 1) over its first axis.
fn batch_axis(b: &'static Builtin, args: &Args, x: &Tensor) -> Option<Span> {
    let i = b.axis_slot()?;
    let Some(Some((Value::Number(axis), span))) = args.slots.get(i) else {
        return None;
    };
    if x.ndim() != 2 || !(*axis == 0.0 || *axis == -2.0) {
        return None;
    }
    let s = x.shape();
    (s[0] > 1 && s[1] > 1).then_some(*span)
}

/// `text` as the receiver of a method: parenthesised unless it is one postfix expression.
fn postfix(text: &str) -> String {
    if crate::syntax::diagnostic::is_postfix_expr(text) {
        text.to_string()
    } else {
        format!("({text})")
    }
}

impl Interp {
    /// Warn (once per location) when an op turns finite inputs into `nan`/`inf`.
    pub fn check_finite(&mut self, out: &Tensor, inputs: &[&Tensor], span: Span, what: &str) {
        if out.all_finite() {
            return;
        }
        if !inputs.iter().all(|t| t.all_finite()) {
            return;
        }
        if self
            .warned
            .contains(&(self.src_id, span.start, "nonfinite"))
        {
            return;
        }
        let d = Diagnostic::warning("value::non_finite", format!("`{what}` produced nan or inf from finite inputs"))
            .primary(span, "the first non-finite values appear here")
            .help("check for log of 0, division by 0 or overflow; `clamp` the input or add a small epsilon");
        self.warn_once(span, "nonfinite", d);
    }
}
