//! tsr: a tensor scripting language with automatic differentiation. `Session` is the one
//! entry point that the command line, the REPL and the tests call.

pub mod ast;
pub mod builtins;
pub mod check;
pub mod data;
pub mod diagnostic;
pub mod eval;
pub mod explain;
pub mod gradcheck;
pub mod interp;
pub mod lexer;
pub mod parser;
pub mod print;
pub mod repl;
pub mod session;
pub mod span;
pub mod stdlib;
pub mod tensor;
pub mod value;

pub use session::{Outcome, Session, SessionOptions};
