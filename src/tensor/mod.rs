//! Tensors with reverse-mode automatic differentiation: the data model (`Tensor`, `Node`,
//! `Op`), the memory budget's setting (its accounting is `budget.rs`), and the re-exports
//! of every op.
//!
//! A `Tensor` is a cheap handle (`Rc<Node>`). Every op checks its shape rule
//! (`shape.rs`) before touching ndarray, so no user input can panic.

use ndarray::ArrayD;
use std::cell::{Cell, Ref, RefCell};
use std::rc::Rc;

mod backward;
pub mod budget;
mod construct;
mod conv;
mod derivatives;
mod einsum;
mod elementwise;
mod error;
mod kernels;
mod layout;
mod loss;
mod math;
mod matmul;
pub mod movement;
mod optim;
#[cfg(target_arch = "x86_64")]
mod pair;
mod pool;
mod reduce;
mod sample;
#[cfg(target_arch = "x86_64")]
mod sgemm;
pub mod shape;
pub mod shape_math;
pub mod shape_nn;
mod shape_ops;
mod stats;
pub mod take;

pub use backward::{backward, GradStore};
pub use construct::{arange, eye, full, linspace, ones, rand, randn, zeros, Rng};
pub use conv::conv2d;
pub use einsum::einsum;
pub use elementwise::{binary, try_unary, unary, BinaryOp, UnaryOp};
pub use error::{
    CatKind, ClassTargetKind, MatMulKind, MathError, NotReachedWhy, ReshapeReason, ShapeFmt,
    TensorError,
};
pub use loss::{bce, bce_logits, cross_entropy, loss, mse, LossKind, LossOp, Reduction};
pub use math::{erf64, unary_scalar};
pub use matmul::{matmul, matmul_transposed, Transposed};
pub use movement::{diagonal_axes, expand, flip, pad, repeat, roll};
pub use optim::{clip_grad_norm, set_index, update_in_place, Adam, InPlaceOp, RmsProp, Sgd};
pub use pool::{adaptive_avg_pool2d, pool2d, PoolKind, PoolPlan};
pub use reduce::{argmax, argmin, log_softmax, reduce, softmax, ReduceOp};
pub use sample::{multinomial, multinomial_shape, randint, tri};
pub use shape::{IndexItem, Resolved};
pub use shape_nn::{ConvGeom, LayerError, PoolSpec};
pub use shape_ops::{
    cat, flatten, index, reshape, squeeze, stack, t_reverse, transpose, try_t_reverse, unsqueeze,
};
pub use stats::{kth_position, lanes, mode_position, pick_along, scan, sort_along, LaneOp, ScanOp};
pub use take::{
    embedding, gather, index_select, logical, masked_fill, permute, take_offsets, where_,
    LogicalOp, FILL,
};

thread_local! {
    static NEXT_ID: Cell<u64> = const { Cell::new(1) };
    static MAX_BYTES: Cell<u64> = Cell::new(default_budget());
}

/// Keeps glibc from handing large tensors back to the kernel after every op: with its
/// default dynamic thresholds, each training step's large results are fresh mmaps or a
/// re-grown heap, and page faults cost ~10% of an MLP step. Called once per thread with
/// the first tensor; a no-op elsewhere.
pub fn tune_allocator() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    {
        extern "C" {
            fn mallopt(
                param: std::os::raw::c_int,
                value: std::os::raw::c_int,
            ) -> std::os::raw::c_int;
        }
        const M_TRIM_THRESHOLD: std::os::raw::c_int = -1;
        const M_MMAP_THRESHOLD: std::os::raw::c_int = -3;
        // SAFETY: mallopt only adjusts allocator parameters; any value is accepted.
        unsafe {
            mallopt(M_MMAP_THRESHOLD, 32 << 20);
            mallopt(M_TRIM_THRESHOLD, 256 << 20);
        }
    }
}

/// A quarter of physical memory (from `/proc/meminfo`), or 4 GiB when unknown.
fn default_budget() -> u64 {
    tune_allocator();
    let fallback = 4u64 << 30;
    let Ok(s) = std::fs::read_to_string("/proc/meminfo") else {
        return fallback;
    };
    for line in s.lines() {
        if let Some(rest) = line.strip_prefix("MemTotal:") {
            let kb: Option<u64> = rest.trim().trim_end_matches("kB").trim().parse().ok();
            if let Some(kb) = kb {
                return kb.saturating_mul(1024) / 4;
            }
        }
    }
    fallback
}

/// The memory budget (this thread): the most bytes all live tensors, gradients and
/// optimiser state may take together (so also the largest one tensor may take).
pub fn max_tensor_bytes() -> u64 {
    MAX_BYTES.with(|m| m.get())
}

/// Sets the memory budget (this thread).
pub fn set_max_tensor_bytes(bytes: u64) {
    MAX_BYTES.with(|m| m.set(bytes));
}

fn next_id() -> u64 {
    NEXT_ID.with(|c| {
        let id = c.get();
        c.set(id + 1);
        id
    })
}

/// The id the next tensor will get (every existing tensor has a smaller one).
pub(crate) fn peek_next_id() -> u64 {
    NEXT_ID.with(|c| c.get())
}

/// An input saved by an op, with its version when the op was built.
pub struct Input {
    pub(crate) t: Tensor,
    pub(crate) version: u64,
}

impl Input {
    pub(crate) fn new(t: &Tensor) -> Input {
        Input {
            t: t.clone(),
            version: t.version(),
        }
    }
    pub fn tensor(&self) -> &Tensor {
        &self.t
    }
    /// The input's data as the op saw it: the tensor's own, or (while a deferred
    /// gradient is computed after the tensor changed in place) the copy kept of it.
    pub(crate) fn d(&self) -> InputData<'_> {
        if let Some(saved) = backward::saved_data(self.t.id(), self.version) {
            return InputData::Saved(saved);
        }
        InputData::Live(self.t.0.data.borrow())
    }
}

/// A borrow of an input's data, or the copy kept of it (`Input::d`).
pub(crate) enum InputData<'a> {
    Live(Ref<'a, ArrayD<f32>>),
    Saved(Rc<ArrayD<f32>>),
}

impl std::ops::Deref for InputData<'_> {
    type Target = ArrayD<f32>;
    fn deref(&self) -> &ArrayD<f32> {
        match self {
            InputData::Live(r) => r,
            InputData::Saved(s) => s,
        }
    }
}

/// The operation that produced a tensor, holding its inputs and parameters.
pub enum Op {
    Leaf,
    Binary(BinaryOp, Input, Input),
    Unary(UnaryOp, Input),
    MatMul(Input, Input),
    /// `a @ b.T` or `a.T @ b` of two matrices, the transpose never made (a layer's
    /// `x @ W.T`, a hand-written backward's `G.T @ X`).
    MatMulT(Input, Input, Transposed),
    /// Output axis `i` is input axis `axes[i]`; the name is `transpose` or `T`.
    Permute(Input, Vec<usize>, &'static str),
    /// Same elements, another shape: `reshape`, `flatten`, `squeeze`, `unsqueeze`.
    Reshape(Input, &'static str),
    Cat(Vec<Input>, usize),
    Stack(Vec<Input>, usize),
    Index(Input, Vec<Resolved>),
    /// Output element `e` is input element `offsets[e]` (row-major), or a constant where
    /// the offset is `FILL`: advanced indexing, gather, expand, flip, roll, pad, ...
    Take(Input, Box<[usize]>, &'static str),
    /// `where(cond, a, b)`: `cond` (no gradient) broadcast to the output shape.
    Where(ArrayD<f32>, Input, Input),
    /// Reduction over one axis (`Some`) or all; `keepdim`.
    Reduce(ReduceOp, Input, Option<usize>, bool),
    Softmax(Input, usize),
    LogSoftmax(Input, usize),
    Loss(LossOp, Input, Input),
    /// A reduction over the listed axes (ascending); `keepdim`.
    Lanes(LaneOp, Input, Vec<usize>, bool),
    /// A cumulative op along one axis.
    Scan(ScanOp, Input, usize),
    /// Values picked along an axis (`sort`, `topk`): the input position of each output
    /// element along the axis, lane by lane.
    TakeAlong(Input, usize, Vec<usize>, &'static str),
    /// `conv2d(x, w)` of a batched input (bias and `conv1d` are built around it); the
    /// name is the user's op.
    Conv2d(Input, Input, ConvGeom, &'static str),
    /// `max_pool2d`, `avg_pool2d`, `adaptive_avg_pool2d` over the last two axes.
    Pool(Input, Box<PoolPlan>),
}

impl Op {
    pub fn name(&self) -> &'static str {
        match self {
            Op::Leaf => "leaf",
            Op::Binary(b, ..) => b.name(),
            Op::Unary(u, _) => u.name(),
            Op::MatMul(..) | Op::MatMulT(..) => "matmul",
            Op::Permute(_, _, n) => n,
            Op::Reshape(_, n) => n,
            Op::Cat(..) => "cat",
            Op::Stack(..) => "stack",
            Op::Index(..) => "index",
            Op::Take(_, _, n) => n,
            Op::Where(..) => "where",
            Op::Reduce(r, ..) => r.name(),
            Op::Softmax(..) => "softmax",
            Op::LogSoftmax(..) => "log_softmax",
            Op::Loss(l, ..) => l.name(),
            Op::Lanes(l, ..) => l.name(),
            Op::Scan(c, ..) => c.name(),
            Op::TakeAlong(.., n) => n,
            Op::Conv2d(.., n) => n,
            Op::Pool(_, plan) => plan.name,
        }
    }

    pub(crate) fn num_inputs(&self) -> usize {
        match self {
            Op::Leaf => 0,
            Op::Binary(..)
            | Op::MatMul(..)
            | Op::MatMulT(..)
            | Op::Loss(..)
            | Op::Where(..)
            | Op::Conv2d(..) => 2,
            Op::Cat(v, _) | Op::Stack(v, _) => v.len(),
            Op::Unary(..)
            | Op::Permute(..)
            | Op::Reshape(..)
            | Op::Index(..)
            | Op::Take(..)
            | Op::Reduce(..)
            | Op::Softmax(..)
            | Op::LogSoftmax(..)
            | Op::Lanes(..)
            | Op::Scan(..)
            | Op::TakeAlong(..)
            | Op::Pool(..) => 1,
        }
    }

    pub(crate) fn input(&self, i: usize) -> Option<&Input> {
        match self {
            Op::Leaf => None,
            Op::Binary(_, a, b)
            | Op::MatMul(a, b)
            | Op::MatMulT(a, b, _)
            | Op::Loss(_, a, b)
            | Op::Where(_, a, b)
            | Op::Conv2d(a, b, ..) => match i {
                0 => Some(a),
                1 => Some(b),
                _ => None,
            },
            Op::Cat(v, _) | Op::Stack(v, _) => v.get(i),
            Op::Unary(_, a)
            | Op::Permute(a, ..)
            | Op::Reshape(a, _)
            | Op::Index(a, _)
            | Op::Take(a, ..)
            | Op::Reduce(_, a, ..)
            | Op::Softmax(a, _)
            | Op::LogSoftmax(a, _)
            | Op::Lanes(_, a, ..)
            | Op::Scan(_, a, _)
            | Op::TakeAlong(a, ..)
            | Op::Pool(a, _) => (i == 0).then_some(a),
        }
    }

    /// Whether gradients flow into input `i` (comparisons and class indices have none).
    pub(crate) fn differentiable(&self, i: usize) -> bool {
        match self {
            Op::Binary(b, ..) => !b.is_comparison(),
            Op::Loss(l, ..) if l.class_indices() => i == 0,
            _ => true,
        }
    }

    /// Whether the backward rule reads the op's own output (so in-place changes to the
    /// output make it stale).
    pub(crate) fn uses_output(&self) -> bool {
        match self {
            Op::Unary(u, _) => matches!(
                u,
                UnaryOp::Exp
                    | UnaryOp::Sqrt
                    | UnaryOp::Sigmoid
                    | UnaryOp::Tanh
                    | UnaryOp::Expm1
                    | UnaryOp::Exp2
                    | UnaryOp::Tan
                    | UnaryOp::Reciprocal
                    | UnaryOp::Rsqrt
            ),
            Op::Softmax(..)
            | Op::LogSoftmax(..)
            | Op::Lanes(..)
            | Op::Scan(ScanOp::CumProd, ..) => true,
            _ => false,
        }
    }

    /// Moves the input handles out (for the iterative drop).
    fn take_inputs(self, out: &mut Vec<Tensor>) {
        match self {
            Op::Leaf => {}
            Op::Binary(_, a, b)
            | Op::MatMul(a, b)
            | Op::MatMulT(a, b, _)
            | Op::Loss(_, a, b)
            | Op::Where(_, a, b)
            | Op::Conv2d(a, b, ..) => {
                push_if_last(a.t, out);
                push_if_last(b.t, out);
            }
            Op::Cat(v, _) | Op::Stack(v, _) => {
                for a in v {
                    push_if_last(a.t, out);
                }
            }
            Op::Unary(_, a)
            | Op::Permute(a, ..)
            | Op::Reshape(a, _)
            | Op::Index(a, _)
            | Op::Take(a, ..)
            | Op::Reduce(_, a, ..)
            | Op::Softmax(a, _)
            | Op::LogSoftmax(a, _)
            | Op::Lanes(_, a, ..)
            | Op::Scan(_, a, _)
            | Op::TakeAlong(a, ..)
            | Op::Pool(a, _) => push_if_last(a.t, out),
        }
    }
}

/// Keeps `t` for later dismantling only when dropping it would free its node.
fn push_if_last(t: Tensor, out: &mut Vec<Tensor>) {
    if Rc::strong_count(&t.0) == 1 && !matches!(t.0.op, Op::Leaf) {
        out.push(t);
    }
}

pub struct Node {
    id: u64,
    /// What this tensor is charged in the memory budget (`budget.rs`): its data and node.
    bytes: u64,
    data: RefCell<ArrayD<f32>>,
    version: Cell<u64>,
    op: Op,
    constant: bool,
    /// Made by a comparison or a logical op (or a view of one): used as an index, it
    /// selects where it is non-zero instead of holding positions.
    mask: Cell<bool>,
    /// Whether the data are all finite, when the op that made them checked (a matrix
    /// product's kernel does, as it stores the result); forgotten at any change.
    finite: Cell<Option<bool>>,
    grad_wanted: Cell<bool>,
    /// The `backward` pass (generation) that last visited this node, and its slot there.
    mark: Cell<u64>,
    slot: Cell<usize>,
    /// For a basic index `x[i, a:b]`, the tensor it was taken from and the items: a
    /// change in place of this tensor is written back there, as a write through one of
    /// PyTorch's views (`N[i][j] += 1`, `x[0].fill_(1)`).
    view_of: std::cell::OnceCell<Box<(Tensor, Vec<IndexItem>)>>,
}

thread_local! {
    /// Graph nodes (non-leaf tensors) alive now, for the graph-size limit.
    static LIVE_OP_NODES: Cell<u64> = const { Cell::new(0) };
    /// Open `no_grad` scopes: while any is open, ops record no graph.
    static NO_GRAD: Cell<u32> = const { Cell::new(0) };
}

/// While one lives, ops make constant leaves instead of graph nodes (PyTorch's
/// `torch.no_grad()`): their results have no history and no gradient flows into them.
pub struct NoGradGuard(());

impl NoGradGuard {
    pub fn new() -> NoGradGuard {
        NO_GRAD.with(|c| c.set(c.get() + 1));
        NoGradGuard(())
    }
}

impl Default for NoGradGuard {
    fn default() -> Self {
        NoGradGuard::new()
    }
}

impl Drop for NoGradGuard {
    fn drop(&mut self) {
        NO_GRAD.with(|c| c.set(c.get().saturating_sub(1)));
    }
}

/// Whether ops record a graph now (no `no_grad` scope is open on this thread).
pub fn grad_enabled() -> bool {
    NO_GRAD.with(|c| c.get()) == 0
}

/// How many op nodes (tensors that record an op) are alive on this thread.
pub fn live_op_nodes() -> u64 {
    LIVE_OP_NODES.with(|c| c.get())
}

impl Drop for Node {
    /// Dismantles the graph below without recursion: inputs that this node owns alone
    /// are moved onto an explicit stack and their ops emptied before they drop.
    fn drop(&mut self) {
        budget::release(self.bytes);
        if !matches!(self.op, Op::Leaf) {
            LIVE_OP_NODES.with(|c| c.set(c.get().saturating_sub(1)));
        }
        if matches!(self.op, Op::Leaf) {
            return;
        }
        let mut stack = Vec::new();
        std::mem::replace(&mut self.op, Op::Leaf).take_inputs(&mut stack);
        while let Some(mut t) = stack.pop() {
            if let Some(node) = Rc::get_mut(&mut t.0) {
                if !matches!(node.op, Op::Leaf) {
                    // This node's own drop will now see a leaf: count it here.
                    LIVE_OP_NODES.with(|c| c.set(c.get().saturating_sub(1)));
                }
                std::mem::replace(&mut node.op, Op::Leaf).take_inputs(&mut stack);
            }
        }
    }
}

/// A tensor: a shared handle to a node of the computation graph.
#[derive(Clone)]
pub struct Tensor(Rc<Node>);

impl Tensor {
    fn make(data: ArrayD<f32>, op: Op, constant: bool) -> Tensor {
        // Whether it is a mask, from the op that made it (also under `no_grad`, which
        // records no op).
        let mask = match &op {
            Op::Binary(b, ..) => b.is_comparison(),
            Op::Index(a, _) | Op::Reshape(a, _) | Op::Permute(a, ..) | Op::Take(a, ..) => {
                a.t.is_mask()
            }
            Op::Cat(v, _) | Op::Stack(v, _) => !v.is_empty() && v.iter().all(|a| a.t.is_mask()),
            _ => false,
        };
        let (op, constant) = if !matches!(op, Op::Leaf) && NO_GRAD.with(|c| c.get()) > 0 {
            (Op::Leaf, true)
        } else {
            (op, constant)
        };
        if !matches!(op, Op::Leaf) {
            LIVE_OP_NODES.with(|c| c.set(c.get() + 1));
        }
        let bytes = budget::data_bytes(data.len()).saturating_add(budget::NODE_BYTES);
        budget::charge(bytes);
        Tensor(Rc::new(Node {
            id: next_id(),
            bytes,
            data: RefCell::new(data),
            version: Cell::new(0),
            op,
            constant,
            mask: Cell::new(mask),
            finite: Cell::new(None),
            grad_wanted: Cell::new(false),
            mark: Cell::new(0),
            slot: Cell::new(usize::MAX),
            view_of: std::cell::OnceCell::new(),
        }))
    }

    /// A leaf holding `data`.
    pub fn leaf(data: ArrayD<f32>) -> Tensor {
        Tensor::make(data, Op::Leaf, false)
    }

    /// A rank-0 constant (a number mixed with tensors); never gets a gradient.
    pub fn constant(v: f32) -> Tensor {
        Tensor::make(ArrayD::from_elem(ndarray::IxDyn(&[]), v), Op::Leaf, true)
    }

    pub(crate) fn from_op(data: ArrayD<f32>, op: Op) -> Tensor {
        Tensor::make(data, op, false)
    }

    /// A leaf copy.
    pub fn detach(&self) -> Tensor {
        let t = Tensor::leaf(self.0.data.borrow().clone());
        t.set_mask(self.is_mask());
        t
    }

    pub fn id(&self) -> u64 {
        self.0.id
    }
    pub fn shape(&self) -> Vec<usize> {
        self.0.data.borrow().shape().to_vec()
    }
    pub fn ndim(&self) -> usize {
        self.0.data.borrow().ndim()
    }
    pub fn numel(&self) -> usize {
        self.0.data.borrow().len()
    }
    pub fn data(&self) -> Ref<'_, ArrayD<f32>> {
        self.0.data.borrow()
    }
    /// Whether no element is nan or ±inf. The answer is kept until the data change
    /// (`data_mut` forgets it), so each tensor is scanned at most once.
    pub fn all_finite(&self) -> bool {
        match self.0.finite.get() {
            Some(known) => known,
            None => {
                let known = kernels::all_finite(&self.0.data.borrow());
                self.0.finite.set(Some(known));
                known
            }
        }
    }
    /// What is known of `all_finite` without scanning the data.
    pub(crate) fn known_finite(&self) -> Option<bool> {
        self.0.finite.get()
    }
    /// Records what the op that made this tensor found out about its finiteness.
    pub(crate) fn set_finite(&self, known: Option<bool>) {
        self.0.finite.set(known);
    }
    pub fn is_leaf(&self) -> bool {
        matches!(self.0.op, Op::Leaf)
    }
    pub fn is_constant(&self) -> bool {
        self.0.constant
    }
    /// Whether this tensor is a mask (see `Node::mask`).
    pub fn is_mask(&self) -> bool {
        self.0.mask.get()
    }
    /// Marks this tensor as a mask (`isnan`, `.bool()`, logical ops).
    pub fn set_mask(&self, on: bool) {
        self.0.mask.set(on);
    }
    pub fn version(&self) -> u64 {
        self.0.version.get()
    }
    pub fn op(&self) -> &Op {
        &self.0.op
    }
    pub fn op_name(&self) -> &'static str {
        self.0.op.name()
    }
    pub fn inputs(&self) -> Vec<Tensor> {
        (0..self.0.op.num_inputs())
            .filter_map(|i| self.0.op.input(i).map(|x| x.t.clone()))
            .collect()
    }
    /// The value of a one-element tensor.
    pub fn item(&self) -> Option<f32> {
        let d = self.0.data.borrow();
        if d.len() == 1 {
            d.iter().next().copied()
        } else {
            None
        }
    }
    pub fn ptr_eq(&self, other: &Tensor) -> bool {
        Rc::ptr_eq(&self.0, &other.0)
    }
    /// Asks future `backward` calls to compute this leaf's gradient eagerly (optimisers
    /// and in-place updates call it; `GradStore::grad` does on first request).
    pub fn mark_wanted(&self) {
        self.0.grad_wanted.set(true);
    }
    pub fn grad_wanted(&self) -> bool {
        self.0.grad_wanted.get()
    }

    pub(crate) fn bump_version(&self) {
        self.0.version.set(self.0.version.get() + 1);
        if let Some(v) = self.0.view_of.get() {
            let (base, items) = &**v;
            // The region still has this tensor's shape (a view's shape never changes).
            let _ = optim::set_index(base, items, self);
        }
    }

    /// Record that this tensor is the region `items` (basic items only) of `base`.
    pub(crate) fn set_view_of(&self, base: &Tensor, items: &[IndexItem]) {
        let _ = self.0.view_of.set(Box::new((base.clone(), items.to_vec())));
    }
    pub(crate) fn mark(&self) -> &Cell<u64> {
        &self.0.mark
    }
    pub(crate) fn slot(&self) -> &Cell<usize> {
        &self.0.slot
    }
    pub(crate) fn data_mut(&self) -> std::cell::RefMut<'_, ArrayD<f32>> {
        self.0.finite.set(None);
        self.0.data.borrow_mut()
    }
}

impl std::fmt::Debug for Tensor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "Tensor(id={}, op={}, data={:?})",
            self.id(),
            self.op_name(),
            self.data()
        )
    }
}
