//! Arguments of a builtin call as the checker binds them: an abstract value per
//! parameter beside the real binder's `Args` (known values, placeholders elsewhere),
//! whose conversions and errors are the evaluator's own.

use super::value::AVal;
use crate::runtime::value::{Args, Builtin, P};
use crate::syntax::span::Span;

/// Arguments bound to a builtin: abstract values per parameter, and the real binder's
/// `Args` (known values, placeholders elsewhere) for its conversions and errors.
pub struct CArgs {
    pub b: &'static Builtin,
    pub(super) slots: Vec<Option<(AVal, Span)>>,
    pub(super) rest: Vec<(AVal, Span)>,
    pub(super) real: Args,
    pub callee: Span,
}

impl CArgs {
    pub(super) fn get(&self, i: usize) -> Option<&AVal> {
        match self.slots.get(i) {
            Some(Some((v, _))) if !matches!(v, AVal::None) => Some(v),
            _ => None,
        }
    }

    pub(super) fn val(&self, i: usize) -> AVal {
        self.get(i).cloned().unwrap_or(AVal::None)
    }

    pub(super) fn span(&self, i: usize) -> Span {
        self.real.span(i)
    }

    /// Whether slot `i` holds a known value (or nothing).
    pub(super) fn known(&self, i: usize) -> bool {
        match self.slots.get(i) {
            Some(Some((v, _))) => v.is_known(),
            _ => true,
        }
    }

    pub(super) fn all_known(&self) -> bool {
        (0..self.slots.len()).all(|i| self.known(i)) && self.rest.iter().all(|(v, _)| v.is_known())
    }

    /// Dimension values from slot `first` on and the variadic rest.
    pub(super) fn dim_values(&self, first: usize) -> Vec<AVal> {
        let mut vals: Vec<AVal> = Vec::new();
        for i in first..self.slots.len() {
            if matches!(self.b.params[i], P::Req(_) | P::Opt(..)) {
                if let Some((v, _)) = &self.slots[i] {
                    vals.push(v.clone());
                }
            }
        }
        vals.extend(self.rest.iter().map(|(v, _)| v.clone()));
        if vals.len() == 1 {
            if let AVal::List(_) = &vals[0] {
                return match vals[0].exact_items() {
                    Some(items) => items,
                    None => vec![AVal::Unknown; 0],
                };
            }
        }
        vals
    }
}
