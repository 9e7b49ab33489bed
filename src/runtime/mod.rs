//! The runtime layer: values, the tree-walking evaluator, argument binding, the builtins
//! (by subject), and tensor errors explained as diagnostics. Imports `syntax` and
//! `tensor`, never a front-end.

pub mod builtins;
pub mod data;
pub mod eval;
pub mod explain;
pub mod explain_layers;
pub mod interp;
pub mod print;
pub mod session;
pub mod value;
