//! Python's values beyond numbers, strings and lists: dicts and sets (`dict.rs`),
//! classes and instances (`class.rs`), modules (`modules.rs`), formatting of strings
//! (`format.rs`), and the evaluation of the constructs that make them (`eval.rs`,
//! `exec.rs`).

pub mod class;
pub mod dict;
pub mod dunder;
pub mod eval;
pub mod exec;
pub mod format;
pub mod modules;
pub mod sequence;
