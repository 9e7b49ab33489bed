//! The checker's tensors: a new one made by an op from its inputs (its identity, the
//! tensors it may depend on, the leaves it certainly used and their versions), and the
//! in-place changes that give a leaf a new version (for `grad::stale`).

use super::value::{ATensor, AVal};
use super::Checker;
use crate::syntax::span::Span;
use std::collections::{BTreeMap, BTreeSet};
use std::rc::Rc;

impl Checker {
    /// A new tensor computed from `inputs` (it may depend on all of them).
    pub fn new_tensor(&mut self, shape: Option<super::dims::Shape>, inputs: &[&ATensor]) -> AVal {
        AVal::Tensor(self.make_tensor(shape, inputs))
    }

    fn make_tensor(
        &mut self,
        shape: Option<super::dims::Shape>,
        inputs: &[&ATensor],
    ) -> Rc<ATensor> {
        let id = self.fresh_id();
        let mut anc: BTreeSet<u32> = BTreeSet::new();
        for t in inputs {
            anc.extend(t.anc.iter().copied());
        }
        anc.insert(id);
        // The leaves the graph certainly used, at their versions then. Inside `with
        // no_grad()` or a `@no_grad()` function (the evaluator opens the tensor core's
        // scope in a check too) the op records no graph.
        let mut used: BTreeMap<u32, u32> = BTreeMap::new();
        if crate::tensor::grad_enabled() {
            for t in inputs {
                for (&k, &v) in t.used.iter() {
                    let e = used.entry(k).or_insert(v);
                    *e = (*e).min(v);
                }
                // Only leaves are counted (what programs change in place: parameters,
                // data), which keeps the map as small as the graph's set of leaves.
                if let ([k], 1) = (&t.ids[..], t.anc.len()) {
                    let k = *k;
                    let v = self.version_of(k);
                    let e = used.entry(k).or_insert(v);
                    *e = (*e).min(v);
                }
            }
        }
        Rc::new(ATensor {
            shape,
            ids: Rc::new(vec![id]),
            anc: Rc::new(anc),
            used: Rc::new(used),
            mask: None,
        })
    }

    /// A new tensor known to be a mask (`Some(true)`), known not to be one, or either.
    pub fn new_tensor_mask(
        &mut self,
        shape: Option<super::dims::Shape>,
        inputs: &[&ATensor],
        mask: Option<bool>,
    ) -> AVal {
        let mut t = self.make_tensor(shape, inputs);
        if let Some(t) = Rc::get_mut(&mut t) {
            t.mask = mask;
        }
        AVal::Tensor(t)
    }

    /// The abstract form of a tensor that running a builtin gave, made from `inputs`:
    /// its shape, and whether it is a mask (known when the run saw every input's kind).
    pub fn from_run(&mut self, t: &crate::tensor::Tensor, inputs: &[&ATensor]) -> AVal {
        let mask = if t.is_mask() {
            Some(true)
        } else if inputs.iter().all(|i| i.mask.is_some()) {
            Some(false)
        } else {
            None
        };
        self.new_tensor_mask(Some(super::dims::Dim::shape(&t.shape())), inputs, mask)
    }

    /// A new leaf tensor (constructors, `detach`, `grad`).
    pub fn leaf(&mut self, shape: Option<super::dims::Shape>) -> AVal {
        self.new_tensor(shape, &[])
    }

    pub fn unknown_tensor(&mut self) -> Rc<ATensor> {
        self.make_tensor(None, &[])
    }

    /// How many times the tensor `id` has certainly been changed in place.
    pub fn version_of(&self, id: u32) -> u32 {
        self.st.versions.get(&id).map_or(0, |v| v.0)
    }

    /// The tensor `t` is changed in place at `span` (on this path).
    pub fn changed_in_place(&mut self, t: &ATensor, span: Span) {
        if let [id] = t.ids[..] {
            let n = self.version_of(id) + 1;
            Rc::make_mut(&mut self.st.versions).insert(id, (n, span));
        }
    }
}

/// Whether a builtin's tensor is a mask, by its row's rule, as in the run: a constructor
/// never makes one, and a reshape or transpose of a mask is a mask. Otherwise as made.
pub(super) fn with_mask(out: AVal, a: &super::args::CArgs) -> AVal {
    let mask = match a.b.check {
        crate::runtime::value::Check::Sized
        | crate::runtime::value::Check::Square
        | crate::runtime::value::Check::Vector
        | crate::runtime::value::Check::Arange
        | crate::runtime::value::Check::Linspace => Some(false),
        crate::runtime::value::Check::Reshape
        | crate::runtime::value::Check::Flatten
        | crate::runtime::value::Check::Transpose
        | crate::runtime::value::Check::Squeeze
        | crate::runtime::value::Check::Unsqueeze
        | crate::runtime::value::Check::Permute => match a.val(0) {
            AVal::Tensor(t) => t.mask,
            _ => None,
        },
        _ => return out,
    };
    match out {
        AVal::Tensor(mut t) => {
            Rc::make_mut(&mut t).mask = mask;
            AVal::Tensor(t)
        }
        other => other,
    }
}
