//! The lint's state: the marks of live tensors that may be a silent bug's first half.
//! Plain data over tensor ids, so the evaluator can hold it without importing the lint.

use crate::runtime::fnv::FnvMap;
use crate::syntax::span::Span;
use crate::tensor::Tensor;

/// What made a marked tensor.
#[derive(Clone, Debug)]
pub(super) enum Kind {
    /// `a - b` with `a` `[n, 1]` and `b` `[n]` (or the other way round): every pair.
    Pairs {
        col: String,
        vec: String,
        col_left: bool,
        op: &'static str,
        n: usize,
    },
    /// A reduction along the last axis of a square `[n, n]` matrix without keepdim.
    RowReduce {
        call: String,
        op: &'static str,
        n: usize,
    },
    /// The output of `softmax`, `log_softmax` or `sigmoid`; `batch_axis`: the span of
    /// an `axis=0` that normalised a `[N, C]` over its batch.
    Probs(&'static str, Option<Span>),
}

#[derive(Clone, Debug)]
pub(super) struct Mark {
    pub kind: Kind,
    pub src_id: usize,
    /// The op that made it (the operator token, or the call).
    pub span: Span,
}

/// The marks of live tensors, by tensor id (dropped in bulk past `MAX_MARKS`).
#[derive(Default)]
pub struct Lint {
    pub(super) marks: FnvMap<u64, Mark>,
}

const MAX_MARKS: usize = 4096;

impl Lint {
    pub(super) fn mark(&mut self, t: &Tensor, m: Mark) {
        if self.marks.len() >= MAX_MARKS {
            self.marks.clear();
        }
        self.marks.insert(t.id(), m);
    }
}
