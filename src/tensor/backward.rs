//! Reverse mode: `backward` walks a topological order once (iteratively) and fills a
//! `GradStore` keyed by node id. Edges into leaves nobody asked for (the input batch)
//! are deferred and computed on demand by `GradStore::grad`.

use ndarray::ArrayD;
use std::cell::Cell;
use std::cell::RefCell;
use std::rc::{Rc, Weak};

use super::budget::{data_bytes, reserve_bytes, Charge};
use super::derivatives::input_grads;
use super::kernels::{add_assign, unbroadcast};
use super::{peek_next_id, NotReachedWhy, Op, Tensor, TensorError};

type Grads = Vec<Option<ArrayD<f32>>>;

/// The gradients of one `backward` call.
pub struct GradStore(Rc<Inner>);

struct Inner {
    /// Every tensor reached, inputs before consumers (the loss last).
    nodes: Vec<Tensor>,
    /// (id, slot) sorted by id.
    index: Vec<(u64, usize)>,
    grads: RefCell<Grads>,
    /// Edges into leaves not computed yet: (leaf slot, consumer slot, input index).
    deferred: RefCell<Vec<(usize, usize, usize)>>,
    /// Tensors with this id or larger were created after the backward.
    next_id: u64,
    /// The gradients' bytes in the memory budget.
    charge: Charge,
    /// Copies of tensors that changed in place while deferred edges still read them:
    /// (id, version the graph saw, data then).
    saved: RefCell<Vec<(u64, u64, Rc<ArrayD<f32>>)>>,
}

thread_local! {
    static GENERATION: Cell<u64> = const { Cell::new(0) };
    static LATEST: RefCell<Weak<Inner>> = const { RefCell::new(Weak::new()) };
    /// The copies a deferred gradient being computed reads instead of changed tensors.
    static SAVED: RefCell<Vec<(u64, u64, Rc<ArrayD<f32>>)>> = const { RefCell::new(Vec::new()) };
}

/// The kept copy of tensor `id` at `version`, while a deferred gradient is computed.
pub(crate) fn saved_data(id: u64, version: u64) -> Option<Rc<ArrayD<f32>>> {
    SAVED.with(|s| {
        let s = s.borrow();
        if s.is_empty() {
            return None;
        }
        s.iter()
            .find(|(i, v, _)| *i == id && *v == version)
            .map(|(_, _, d)| d.clone())
    })
}

/// Puts a store's kept copies where `Input::d` finds them, for as long as it lives.
struct Installed;

impl Installed {
    fn new(saved: Vec<(u64, u64, Rc<ArrayD<f32>>)>) -> Installed {
        SAVED.with(|s| *s.borrow_mut() = saved);
        Installed
    }
}

impl Drop for Installed {
    fn drop(&mut self) {
        SAVED.with(|s| s.borrow_mut().clear());
    }
}

/// `Stale` if an input saved by `t`'s op (or `t`'s own output, when its rule reads it)
/// changed in place since the op was built (and no copy of it was kept).
fn check_fresh(t: &Tensor) -> Result<(), TensorError> {
    let op = &t.0.op;
    for i in 0..op.num_inputs() {
        if let Some(inp) = op.input(i) {
            let now = inp.t.version();
            if now != inp.version && saved_data(inp.t.id(), inp.version).is_none() {
                return Err(TensorError::Stale {
                    op: op.name(),
                    tensor: inp.t.id(),
                    input_version: inp.version,
                    now_version: now,
                });
            }
        }
    }
    if op.uses_output() && t.version() != 0 {
        return Err(TensorError::Stale {
            op: op.name(),
            tensor: t.id(),
            input_version: 0,
            now_version: t.version(),
        });
    }
    Ok(())
}

/// Whether the edge `op` → input `i` carries a gradient at all.
fn edge_live(op: &Op, i: usize) -> Option<&Tensor> {
    let inp = op.input(i)?;
    (op.differentiable(i) && !inp.t.is_constant()).then_some(&inp.t)
}

/// Computes d loss / d t for every tensor `t` the one-element `loss` depends on.
pub fn backward(loss: &Tensor) -> Result<GradStore, TensorError> {
    if loss.numel() != 1 {
        return Err(TensorError::NotScalar {
            shape: loss.shape(),
        });
    }
    let next_id = peek_next_id();
    let gen = GENERATION.with(|g| {
        g.set(g.get() + 1);
        g.get()
    });
    // Iterative post-order DFS: inputs get smaller slots than their consumers. A node is
    // visited when its mark is this generation.
    let mut nodes: Vec<Tensor> = Vec::with_capacity(32);
    let mut stack: Vec<(Tensor, usize)> = Vec::with_capacity(32);
    stack.push((loss.clone(), 0));
    loss.mark().set(gen);
    while let Some(top) = stack.last_mut() {
        let i = top.1;
        if i == 0 {
            check_fresh(&top.0)?;
        }
        if i < top.0 .0.op.num_inputs() {
            top.1 += 1;
            let child = match edge_live(&top.0 .0.op, i) {
                Some(c) if c.mark().get() != gen => c.clone(),
                _ => continue,
            };
            child.mark().set(gen);
            stack.push((child, 0));
        } else if let Some((t, _)) = stack.pop() {
            t.slot().set(nodes.len());
            nodes.push(t);
        }
    }
    // Reverse pass.
    let mut grads: Grads = vec![None; nodes.len()];
    let last = nodes.len() - 1;
    let charge = Charge::default();
    grads[last] = Some(ArrayD::from_elem(loss.data().raw_dim(), 1.0));
    charge.add(data_bytes(1));
    let mut deferred = Vec::with_capacity(8);
    let mut need = Vec::with_capacity(8);
    for s in (0..nodes.len()).rev() {
        let t = &nodes[s];
        let op = &t.0.op;
        let k = op.num_inputs();
        if k == 0 {
            continue;
        }
        let Some(g) = grads[s].take() else { continue };
        need.clear();
        for i in 0..k {
            let wanted = match edge_live(op, i) {
                Some(inp) if inp.is_leaf() && !inp.grad_wanted() => {
                    deferred.push((inp.slot().get(), s, i));
                    false
                }
                Some(_) => true,
                None => false,
            };
            need.push(wanted);
        }
        if need.iter().any(|&w| w) {
            // The gradients about to be computed must fit in the memory budget.
            let bytes = (0..k)
                .filter(|&i| need[i])
                .filter_map(|i| op.input(i))
                .map(|inp| data_bytes(g.len().max(inp.t.numel())))
                .fold(0u64, u64::saturating_add);
            reserve_bytes(bytes, g.shape())?;
            for (i, gi) in input_grads(&t.0, &g, &need).into_iter().enumerate() {
                let (Some(gi), Some(inp)) = (gi, op.input(i)) else {
                    continue;
                };
                let gi = unbroadcast(gi, inp.t.data().shape());
                let slot = &mut grads[inp.t.slot().get()];
                if slot.is_none() {
                    charge.add(data_bytes(gi.len()));
                }
                accumulate(slot, gi);
            }
        }
        grads[s] = Some(g);
    }
    let mut index: Vec<(u64, usize)> = nodes.iter().enumerate().map(|(s, t)| (t.id(), s)).collect();
    index.sort_unstable();
    let inner = Rc::new(Inner {
        nodes,
        index,
        grads: RefCell::new(grads),
        deferred: RefCell::new(deferred),
        next_id,
        charge,
        saved: RefCell::new(Vec::new()),
    });
    LATEST.with(|l| *l.borrow_mut() = Rc::downgrade(&inner));
    Ok(GradStore(inner))
}

/// When `target` is an ancestor of `loss` only along paths that cross an edge without a
/// gradient, the op of the first such edge on one of them (searched iteratively, each
/// node once).
fn dead_edge_to(loss: &Tensor, target: &Tensor) -> Option<&'static str> {
    let mut seen = std::collections::HashSet::new();
    // (node, the first gradient-less op on the path to it)
    let mut stack: Vec<(Tensor, Option<&'static str>)> = vec![(loss.clone(), None)];
    while let Some((t, dead)) = stack.pop() {
        if t.ptr_eq(target) {
            if dead.is_some() {
                return dead;
            }
            continue;
        }
        if !seen.insert((t.id(), dead.is_some())) {
            continue;
        }
        let op = &t.0.op;
        for i in 0..op.num_inputs() {
            if let Some(inp) = op.input(i) {
                let d = dead.or((!op.differentiable(i)).then(|| op.name()));
                stack.push((inp.t.clone(), d));
            }
        }
    }
    None
}

fn accumulate(slot: &mut Option<ArrayD<f32>>, g: ArrayD<f32>) {
    match slot {
        Some(acc) => add_assign(acc, &g),
        None => *slot = Some(g),
    }
}

impl Inner {
    /// Computes the deferred gradient of the leaf in `slot`, if it has pending edges.
    fn resolve(&self, slot: usize) -> Result<(), TensorError> {
        let pending: Vec<(usize, usize, usize)> = self
            .deferred
            .borrow()
            .iter()
            .copied()
            .filter(|&(leaf, _, _)| leaf == slot)
            .collect();
        if pending.is_empty() {
            return Ok(());
        }
        // The inputs each consumer reads the leaf through, consumers in first-seen order
        // (one pass: a leaf used by every step of a long loop has that many consumers).
        let mut groups: Vec<(usize, Vec<usize>)> = Vec::new();
        let mut group_of: std::collections::HashMap<usize, usize> = Default::default();
        for &(_, consumer, input) in &pending {
            let k = *group_of.entry(consumer).or_insert_with(|| {
                groups.push((consumer, Vec::new()));
                groups.len() - 1
            });
            groups[k].1.push(input);
        }
        let mut acc: Option<ArrayD<f32>> = None;
        // What changed in place since the backward is read from the copies kept of it.
        let saved = self.saved.borrow().clone();
        let _installed = Installed::new(saved);
        for (consumer, inputs) in &groups {
            let consumer = *consumer;
            let c = &self.nodes[consumer];
            check_fresh(c)?;
            let need: Vec<bool> = (0..c.0.op.num_inputs())
                .map(|i| inputs.contains(&i))
                .collect();
            let grads = self.grads.borrow();
            let Some(g) = grads[consumer].as_ref() else {
                continue;
            };
            for (i, gi) in input_grads(&c.0, g, &need).into_iter().enumerate() {
                let (Some(gi), Some(inp)) = (gi, c.0.op.input(i)) else {
                    continue;
                };
                accumulate(&mut acc, unbroadcast(gi, inp.t.data().shape()));
            }
        }
        self.nodes[slot].mark_wanted();
        self.deferred
            .borrow_mut()
            .retain(|&(leaf, _, _)| leaf != slot);
        let mut grads = self.grads.borrow_mut();
        if let Some(a) = acc {
            if grads[slot].is_none() {
                self.charge.add(data_bytes(a.len()));
            }
            accumulate(&mut grads[slot], a);
        }
        Ok(())
    }

    fn slot_of(&self, t: &Tensor) -> Option<usize> {
        let i = self
            .index
            .binary_search_by_key(&t.id(), |&(id, _)| id)
            .ok()?;
        Some(self.index[i].1)
    }

    fn grad_ref(&self, t: &Tensor) -> Result<std::cell::Ref<'_, ArrayD<f32>>, TensorError> {
        let slot = self.reached_slot(t)?;
        self.resolve(slot)?;
        {
            let mut grads = self.grads.borrow_mut();
            if grads[slot].is_none() {
                reserve_bytes(data_bytes(t.numel()), &t.shape())?;
                self.charge.add(data_bytes(t.numel()));
                grads[slot] = Some(ArrayD::zeros(t.data().raw_dim()));
            }
        }
        Ok(std::cell::Ref::map(self.grads.borrow(), |g| {
            g[slot].as_ref().expect("set above")
        }))
    }

    fn reached_slot(&self, t: &Tensor) -> Result<usize, TensorError> {
        self.slot_of(t).ok_or_else(|| TensorError::NotReached {
            why: self.why_not_reached(t),
        })
    }

    /// Why the backward did not reach `t`.
    fn why_not_reached(&self, t: &Tensor) -> NotReachedWhy {
        if t.is_constant() {
            NotReachedWhy::Constant
        } else if t.id() >= self.next_id {
            NotReachedWhy::CreatedAfter
        } else {
            self.nodes
                .last()
                .and_then(|loss| dead_edge_to(loss, t))
                .map_or(NotReachedWhy::NotAncestor, NotReachedWhy::Through)
        }
    }

    fn grad_array(&self, t: &Tensor) -> Result<ArrayD<f32>, TensorError> {
        let slot = self.reached_slot(t)?;
        self.resolve(slot)?;
        let grads = self.grads.borrow();
        Ok(match &grads[slot] {
            Some(g) => g.clone(),
            None => ArrayD::zeros(t.data().raw_dim()),
        })
    }
}

impl GradStore {
    /// d loss / d t as a new leaf of `t`'s shape.
    pub fn grad(&self, t: &Tensor) -> Result<Tensor, TensorError> {
        super::budget::reserve(&t.shape())?;
        Ok(Tensor::leaf(self.0.grad_array(t)?))
    }

    /// The bytes of the gradients this store keeps (charged to the memory budget).
    pub fn bytes(&self) -> u64 {
        self.0.charge.bytes()
    }

    /// d loss / d t as an array.
    pub fn grad_array(&self, t: &Tensor) -> Result<ArrayD<f32>, TensorError> {
        self.0.grad_array(t)
    }

    /// d loss / d t, borrowed from the store (no copy).
    pub fn grad_ref(&self, t: &Tensor) -> Result<std::cell::Ref<'_, ArrayD<f32>>, TensorError> {
        self.0.grad_ref(t)
    }

    /// Multiplies the gradient of `t` by `k` in place (`clip_grad_norm`).
    pub fn scale_grad(&self, t: &Tensor, k: f32) -> Result<(), TensorError> {
        let slot = self.0.reached_slot(t)?;
        self.0.resolve(slot)?;
        if let Some(g) = self.0.grads.borrow_mut()[slot].as_mut() {
            g.mapv_inplace(|v| v * k);
        }
        Ok(())
    }

    /// Whether this backward reached `t`.
    pub fn contains(&self, t: &Tensor) -> bool {
        self.0.slot_of(t).is_some()
    }

    /// Number of tensors reached.
    pub fn len(&self) -> usize {
        self.0.nodes.len()
    }

    pub fn is_empty(&self) -> bool {
        self.0.nodes.is_empty()
    }
}

/// Before `t` changes in place: computes now the deferred leaf gradients of the latest
/// store whose pending edges read `t`, so they still see the values of the backward.
pub(crate) fn flush_pending(t: &Tensor) {
    if prepare_change(t) {
        keep_copy(t);
    }
}

/// The first half of `flush_pending`: computes the deferred gradients that must be
/// computed now, and says whether the latest store must keep `t`'s values as they are
/// (then the caller keeps them with `keep_copy`, or with `keep_replaced` when its change
/// makes all-new data, before it changes `t`).
pub(crate) fn prepare_change(t: &Tensor) -> bool {
    let Some(inner) = LATEST.with(|l| l.borrow().upgrade()) else {
        return false;
    };
    // Edges whose consumer is `t` itself (its rule may read its output) are computed
    // now; for edges that read `t` as an input, a copy of `t` as the graph saw it is
    // kept instead (cheaper than the product a layer's input gradient would need).
    let (now, keep): (Vec<usize>, bool) = {
        let d = inner.deferred.borrow();
        if d.is_empty() {
            return false;
        }
        let mut now = Vec::new();
        let mut keep = false;
        for &(leaf, consumer, _) in d.iter() {
            let c = &inner.nodes[consumer];
            let op = &c.0.op;
            if c.ptr_eq(t) {
                now.push(leaf);
            } else if (0..op.num_inputs()).any(|i| {
                op.input(i)
                    .is_some_and(|x| x.t.ptr_eq(t) && x.version == t.version())
            }) {
                keep = true;
            }
        }
        now.dedup();
        (now, keep)
    };
    for s in now {
        let _ = inner.resolve(s);
    }
    if !keep || saved_data_in(&inner, t).is_some() {
        return false;
    }
    let bytes = data_bytes(t.numel());
    if reserve_bytes(bytes, &t.shape()).is_ok() {
        inner.charge.add(bytes);
        return true;
    }
    // No room for a copy: compute those gradients now, as they read `t`.
    let slots: Vec<usize> = inner
        .deferred
        .borrow()
        .iter()
        .filter(|&&(_, consumer, _)| {
            let op = &inner.nodes[consumer].0.op;
            (0..op.num_inputs()).any(|i| op.input(i).is_some_and(|x| x.t.ptr_eq(t)))
        })
        .map(|&(leaf, _, _)| leaf)
        .collect();
    for s in slots {
        let _ = inner.resolve(s);
    }
    false
}

/// Keeps a copy of `t`'s values for the latest store (`prepare_change` said so).
pub(crate) fn keep_copy(t: &Tensor) {
    let copy = Rc::new(t.data().to_owned());
    keep_saved(t, copy);
}

/// Puts `new` in place of `t`'s data and keeps the old array for the latest store
/// (`prepare_change` said so): a change that makes all-new data (an optimiser's
/// update), with no copy. The caller bumps the version as after any change.
pub(crate) fn keep_replaced(t: &Tensor, new: ArrayD<f32>) {
    let old = std::mem::replace(&mut *t.data_mut(), new);
    keep_saved(t, Rc::new(old));
}

fn keep_saved(t: &Tensor, data: Rc<ArrayD<f32>>) {
    if let Some(inner) = LATEST.with(|l| l.borrow().upgrade()) {
        inner.saved.borrow_mut().push((t.id(), t.version(), data));
    }
}

/// The copy a store keeps of `t` at its current version, if any.
fn saved_data_in(inner: &Inner, t: &Tensor) -> Option<Rc<ArrayD<f32>>> {
    let (id, version) = (t.id(), t.version());
    inner
        .saved
        .borrow()
        .iter()
        .find(|(i, v, _)| *i == id && *v == version)
        .map(|(_, _, d)| d.clone())
}
