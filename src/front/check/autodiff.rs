//! The autodiff facts that are static: `backward` of a tensor that is not one element,
//! `grad` before any `backward`, `grad` of a tensor the last `backward` cannot reach.

use super::args::CArgs;
use super::dims::Dim;
use super::expr::known_numel;
use super::value::{ATensor, AVal};
use super::{Backward, Checker};
use crate::runtime::explain::{self, Context, Origin};
use crate::syntax::diagnostic::Diagnostic;
use crate::tensor::{NotReachedWhy, TensorError};
use std::rc::Rc;

impl Checker {
    pub(super) fn backward(&mut self, a: &mut CArgs) -> AVal {
        match a.val(0) {
            AVal::Tensor(t) => {
                // `y.backward(gradient)` weighs y's elements: y need not be one element
                // (the product y * gradient is the run's own broadcast).
                let weighted = a.get(1).is_some_and(|g| !matches!(g, AVal::None));
                if let Some(s) = t
                    .shape
                    .as_ref()
                    .filter(|_| !weighted)
                    .map(|s| self.canon(s))
                {
                    match (known_numel(&s), Dim::real(&s)) {
                        (Some(1), _) => {}
                        (Some(_), Some(real)) => {
                            let site = self.site(a, &[0]);
                            self.tensor_error(TensorError::NotScalar { shape: real }, &site, &[&s]);
                        }
                        _ => {
                            let shown = self.shape_text(&s);
                            self.advise(a.callee, format!("`backward` needs a one-element tensor; this one has shape {shown}"), None);
                        }
                    }
                }
                self.stale_graph(&t, a);
                self.st.bw = Backward::Yes(Some(t.anc.clone()), self.next_id);
                self.st.grads = Rc::new(t.used.keys().copied().collect());
            }
            AVal::Unknown => {
                self.st.bw = Backward::Yes(None, self.next_id);
                self.st.grads = Rc::default();
            }
            other => self.report(
                Diagnostic::error(
                    "type::argument",
                    format!("`backward` needs a tensor, found a {}", other.kind()),
                )
                .primary(a.span(0), format!("this is a {}", other.kind())),
            ),
        }
        AVal::None
    }

    pub(super) fn grad(&mut self, a: &mut CArgs) -> AVal {
        match a.val(0) {
            AVal::Tensor(t) => {
                let why = match &self.st.bw {
                    Backward::No => Some(TensorError::NoBackward),
                    Backward::Yes(Some(reached), watermark)
                        if !t.ids.iter().any(|id| reached.contains(id)) =>
                    {
                        let why = if t.ids.iter().all(|&id| id >= *watermark) {
                            NotReachedWhy::CreatedAfter
                        } else {
                            NotReachedWhy::NotAncestor
                        };
                        Some(TensorError::NotReached { why })
                    }
                    _ => None,
                };
                if let Some(e) = why {
                    let site = self.site(a, &[0]);
                    self.tensor_error(e, &site, &[]);
                }
                self.leaf(t.shape.clone())
            }
            AVal::Unknown => self.leaf(None),
            other => {
                self.report(
                    Diagnostic::error(
                        "type::argument",
                        format!("`grad` needs a tensor, found a {}", other.kind()),
                    )
                    .primary(a.span(0), format!("this is a {}", other.kind())),
                );
                AVal::Unknown
            }
        }
    }

    /// `grad::stale`: a tensor the graph certainly used was certainly changed in place
    /// since, on every path to this `backward`.
    fn stale_graph(&mut self, t: &ATensor, a: &CArgs) {
        let hit = t.used.iter().find_map(|(&id, &was)| {
            let &(now, at) = self.st.versions.get(&id)?;
            (now > was).then_some((id, was, now, at))
        });
        let Some((id, was, now, at)) = hit else {
            return;
        };
        let var = self.name_holding(id);
        let site = self.site(a, &[0]);
        let changed = Origin {
            src_id: self.interp.current_source(),
            span: at,
        };
        let d = explain::stale_graph(
            &self.interp,
            &site,
            None,
            var,
            (u64::from(was), u64::from(now)),
            Some(changed),
        );
        self.report(d);
    }

    /// A variable bound to the tensor `id` (the first in name order).
    fn name_holding(&self, id: u32) -> Option<String> {
        let envs = self
            .names
            .locals
            .iter()
            .chain(std::iter::once(&self.names.globals));
        let mut names: Vec<&str> = envs
            .flat_map(|env| env.iter())
            .filter(|(_, b)| matches!(&b.value, AVal::Tensor(t) if t.ids[..] == [id]))
            .map(|(n, _)| &**n)
            .collect();
        names.sort_unstable();
        names.first().map(|n| n.to_string())
    }
}
