//! Python's constructs over the values of `value.rs` (tuples, dicts, sets, classes,
//! instances, modules): PyTorch's named results (`class.rs`), the modules a program
//! imports (`modules.rs`, and `prelude/` for those written in tsr), string formatting
//! (`format.rs`), sequence operators and methods by receiver type (`sequence.rs`),
//! operators on instances (`dunder.rs`), the binding of a call's arguments to a
//! user function's parameters (`params.rs`), and the evaluation of the constructs
//! (`eval.rs`, `exec.rs`).

pub mod class;
pub mod dunder;
pub mod eval;
pub mod exec;
pub mod format;
pub mod modules;
pub mod params;
pub mod sequence;
