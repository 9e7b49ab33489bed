//! Advanced indexing in the checker: `x[idx]`, `x[mask]`, `x[None]`, `x[..., 0]`,
//! `x[[0, 2]]`. The run's own rule (`tensor::take::index_shape`) is called twice, on
//! stand-ins for what the check does not know: once with every such item at its
//! smallest (a mask that selects nothing, an empty slice) and once larger (a mask that
//! selects one element, the whole slice). A size that differs between the two depends
//! on those values, and is unknown (`?`); every other size is the result's. Index
//! values the check knows (lists, ranges, `None`, bools) are the run's own items.

use super::dims::{call_rule, Dim, RuleOut, Shape, ANON};
use super::rules::AIdx;
use super::Checker;
use crate::tensor::IndexItem;
use ndarray::{ArrayD, IxDyn};
use std::cell::Cell;

/// A stand-in index tensor larger than this is not made: the result is undecided.
const MAX_STAND_IN: usize = 1 << 22;

fn undecided() -> RuleOut {
    RuleOut::Undecided(String::new(), None)
}

/// The stand-in for an index tensor of `shape` (sizes as the rule sees them): integer
/// positions hold zeros; a mask selects nothing, or (`wide`) its first element; a
/// tensor that may be either (1-D only) is taken as zero or one position.
fn stand_in(shape: &[usize], mask: Option<bool>, wide: bool, too_big: &Cell<bool>) -> IndexItem {
    let n = shape.iter().try_fold(1usize, |n, &d| n.checked_mul(d));
    let shape = match (mask, n) {
        (_, Some(n)) if n <= MAX_STAND_IN => match mask {
            None => vec![wide as usize],
            Some(_) => shape.to_vec(),
        },
        _ => {
            too_big.set(true);
            vec![0]
        }
    };
    let mut values = ArrayD::<f32>::zeros(IxDyn(&shape));
    if wide && mask == Some(true) {
        if let Some(first) = values.iter_mut().next() {
            *first = 1.0;
        }
    }
    IndexItem::Array {
        values,
        mask: mask == Some(true),
    }
}

impl Checker {
    /// `x[items]` when an item is advanced: its result shape, with `?` for the sizes
    /// that depend on index values known only at run time.
    pub(super) fn rule_index_advanced(&mut self, s: &[Dim], items: &[AIdx]) -> RuleOut {
        let s = self.canon(s);
        let symbolic_x = s.iter().any(|&d| super::dims::is_sym(d));
        // The shapes the rule sees: `x`'s, then each index tensor's.
        let mut shapes: Vec<Shape> = vec![s.clone()];
        let mut extras: Vec<Dim> = Vec::new();
        let mut selecting = 0;
        for it in items {
            match it {
                AIdx::Advanced => return undecided(),
                AIdx::At(None) if s.iter().any(|d| d.is(0)) => return undecided(),
                AIdx::At(Some(i)) => extras.push(Dim::Known(i.unsigned_abs() + 1)),
                AIdx::Slice(Some((a, b, _))) => extras.extend(
                    a.iter()
                        .chain(b.iter())
                        .map(|v| Dim::Known(v.unsigned_abs() + 1)),
                ),
                AIdx::Array(shape, mask) => {
                    // Which kind an index tensor is decides the result's rank, unless it
                    // is 1-D (then only the size of its block is unknown).
                    if mask.is_none() && shape.len() != 1 {
                        return undecided();
                    }
                    selecting += usize::from(*mask != Some(false));
                    shapes.push(self.canon(shape));
                }
                _ => {}
            }
        }
        // Two masks must select as many elements as each other: only the run knows.
        if selecting > 1 {
            return undecided();
        }
        let too_big = Cell::new(false);
        let run = |wide: bool| {
            call_rule(&shapes, &extras, |sh| {
                let mut real = Vec::with_capacity(items.len());
                let mut next = 1;
                for it in items {
                    real.push(match it {
                        AIdx::At(i) => IndexItem::At(i.unwrap_or(0)),
                        // A slice of a symbolic size, or with bounds not known, has a
                        // length known only at run time.
                        AIdx::Slice(Some((start, stop, step)))
                            if wide
                                || !symbolic_x
                                || (start.is_none() && stop.is_none() && *step == 1) =>
                        {
                            IndexItem::Slice {
                                start: *start,
                                stop: *stop,
                                step: *step,
                            }
                        }
                        AIdx::Slice(_) if !wide => IndexItem::Slice {
                            start: Some(0),
                            stop: Some(0),
                            step: 1,
                        },
                        AIdx::Slice(_) => IndexItem::Slice {
                            start: None,
                            stop: None,
                            step: 1,
                        },
                        AIdx::Item(item) => item.clone(),
                        AIdx::Array(_, mask) => {
                            next += 1;
                            stand_in(&sh[next - 1], *mask, wide, &too_big)
                        }
                        AIdx::Advanced => IndexItem::Ellipsis,
                    });
                }
                crate::tensor::take::index_shape(&sh[0], &real)
            })
        };
        let (narrow, wide) = (run(false), run(true));
        if too_big.get() {
            return undecided();
        }
        match (narrow, wide) {
            (Ok(a), Ok(b)) if a.len() == b.len() => RuleOut::Ok(
                a.iter()
                    .zip(&b)
                    .map(|(&x, &y)| if x == y { x } else { ANON })
                    .collect(),
            ),
            (Err(e), Err(_)) => {
                let raw: Vec<&[Dim]> = shapes.iter().map(|v| &v[..]).collect();
                self.sym_error(e, &raw)
            }
            _ => undecided(),
        }
    }
}
