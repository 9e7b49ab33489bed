//! One memory budget for the whole program: the bytes of every live tensor (its data and
//! its graph node), of the gradients a `backward` keeps and of optimiser state are counted
//! on this thread, and an op that would take the total past `--max-memory` fails with
//! `OutOfMemory` *before* it allocates. Nothing here knows of variables or spans: the
//! runtime names what holds the memory.

use std::cell::Cell;
use std::collections::HashSet;

use super::{max_tensor_bytes, Node, Tensor, TensorError};

thread_local! {
    /// Bytes charged to the budget and not yet released.
    static LIVE_BYTES: Cell<u64> = const { Cell::new(0) };
}

/// What a tensor costs beyond its data (its graph node, reference counts and shape): a
/// fixed estimate, so that budgets and messages do not change with the node's layout.
pub const NODE_BYTES: u64 = 256;

// The estimate must not fall far below the real cost.
const _: () = assert!(std::mem::size_of::<Node>() as u64 <= 2 * NODE_BYTES);

/// Bytes held by live tensors, gradients and optimiser state on this thread.
pub fn live_bytes() -> u64 {
    LIVE_BYTES.with(|c| c.get())
}

pub(crate) fn charge(bytes: u64) {
    LIVE_BYTES.with(|c| c.set(c.get().saturating_add(bytes)));
}

pub(crate) fn release(bytes: u64) {
    LIVE_BYTES.with(|c| c.set(c.get().saturating_sub(bytes)));
}

/// The data bytes of `numel` f32 elements.
pub(crate) fn data_bytes(numel: usize) -> u64 {
    (numel as u64).saturating_mul(4)
}

/// Checks that `bytes` more fit in the budget beside everything alive now. `shape` is
/// what is about to be allocated (for the message).
pub(crate) fn reserve_bytes(bytes: u64, shape: &[usize]) -> Result<(), TensorError> {
    let live = live_bytes();
    let budget = max_tensor_bytes();
    if live.saturating_add(bytes) > budget {
        return Err(TensorError::OutOfMemory {
            shape: shape.to_vec(),
            bytes,
            live,
            budget,
        });
    }
    Ok(())
}

/// Checks that a new tensor of `shape` fits in the budget (call before allocating it).
pub fn reserve(shape: &[usize]) -> Result<(), TensorError> {
    let numel = shape.iter().try_fold(1usize, |n, &d| n.checked_mul(d));
    let bytes = numel.map_or(u64::MAX, |n| data_bytes(n).saturating_add(NODE_BYTES));
    reserve_bytes(bytes, shape)
}

/// Bytes charged for as long as this value lives (gradients of a `backward`, optimiser
/// state); it can grow, and gives everything back when dropped.
#[derive(Default)]
pub(crate) struct Charge(Cell<u64>);

impl Charge {
    pub(crate) fn add(&self, bytes: u64) {
        charge(bytes);
        self.0.set(self.0.get().saturating_add(bytes));
    }
    pub(crate) fn bytes(&self) -> u64 {
        self.0.get()
    }
}

impl Drop for Charge {
    fn drop(&mut self) {
        release(self.0.get());
    }
}

/// The bytes and the number of tensors in `t` and the graph behind it (each node once;
/// walked without recursion).
pub fn footprint(t: &Tensor) -> (u64, u64) {
    let mut seen: HashSet<u64> = HashSet::new();
    let mut stack: Vec<Tensor> = vec![t.clone()];
    let (mut bytes, mut count) = (0u64, 0u64);
    while let Some(t) = stack.pop() {
        if !seen.insert(t.id()) {
            continue;
        }
        bytes = bytes.saturating_add(t.0.bytes);
        count += 1;
        let op = &t.0.op;
        for i in 0..op.num_inputs() {
            if let Some(inp) = op.input(i) {
                if !seen.contains(&inp.t.id()) {
                    stack.push(inp.t.clone());
                }
            }
        }
    }
    (bytes, count)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tensor::{binary, ones, set_max_tensor_bytes, BinaryOp};

    #[test]
    fn live_bytes_follow_tensors_and_the_total_is_bounded() {
        std::thread::spawn(|| {
            let before = live_bytes();
            let x = ones(&[1000]).unwrap();
            assert_eq!(live_bytes() - before, 4000 + NODE_BYTES);
            drop(x);
            assert_eq!(live_bytes(), before);

            set_max_tensor_bytes(100_000);
            let mut x = ones(&[1000]).unwrap();
            let c = crate::tensor::Tensor::constant(1.0);
            let mut steps = 0;
            let err = loop {
                match binary(BinaryOp::Mul, &x, &c) {
                    Ok(y) => x = y,
                    Err(e) => break e,
                }
                steps += 1;
                assert!(steps < 100, "the budget never stopped the graph");
            };
            assert!(matches!(err, TensorError::OutOfMemory { .. }), "{err}");
            assert!(live_bytes() <= 100_000);
            // x's graph: the first x, the constant and one product per step.
            let (bytes, count) = footprint(&x);
            assert_eq!(count, steps + 2);
            assert_eq!(bytes, live_bytes() - before);
            drop(x);
            drop(c);
            assert_eq!(live_bytes(), before);
        })
        .join()
        .unwrap();
    }
}
