//! The ONE builtin table (name, parameters, doc line, example, function) used by calls,
//! arity and keyword errors, `:help` and completion, assembled from the tables of each
//! subject. A row's type (`Builtin`) lives in `value.rs`; the binder in `call.rs`.

pub use crate::runtime::value::{Args, Builtin, Builtins, P};

mod autodiff;
mod construct;
pub mod convert;
mod gradcheck;
mod indexing;
pub(crate) mod iterators;
mod layers;
mod layers_norm;
mod math;
mod math_reduce;
mod movement;
mod namespaces;
mod pyobjects;
pub mod pyplot;
mod pyrandom;
mod python;
mod select;
mod strings;
pub mod tensor_methods;
mod tensor_ops;
mod training;

use std::sync::OnceLock;

/// Every builtin, in table order: the core library, then data and pictures.
pub fn table() -> &'static [&'static Builtin] {
    static ALL: OnceLock<Vec<&'static Builtin>> = OnceLock::new();
    ALL.get_or_init(|| {
        python::TABLE
            .iter()
            .chain(construct::TABLE.iter())
            .chain(tensor_ops::TABLE.iter())
            .chain(autodiff::TABLE.iter())
            .chain(math::TABLE.iter())
            .chain(math_reduce::TABLE.iter())
            .chain(training::TABLE.iter())
            .chain(indexing::TABLE.iter())
            .chain(movement::TABLE.iter())
            .chain(layers::TABLE.iter())
            .chain(layers_norm::TABLE.iter())
            .chain(crate::runtime::data::TABLE.iter())
            .chain(pyobjects::TABLE.iter())
            .chain(iterators::TABLE.iter())
            .chain(select::TABLE.iter())
            .chain(strings::TABLE.iter())
            .chain(tensor_methods::TABLE.iter())
            .chain(pyrandom::TABLE.iter())
            .chain(pyplot::TABLE.iter())
            .chain(namespaces::TABLE.iter())
            .collect()
    })
}

/// The table with its name index, as the evaluator holds it.
pub fn all() -> &'static Builtins {
    static ALL: OnceLock<Builtins> = OnceLock::new();
    ALL.get_or_init(|| Builtins::new(table()))
}

pub fn find(name: &str) -> Option<&'static Builtin> {
    all().find(name)
}
