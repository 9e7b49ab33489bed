//! tsr: a tensor scripting language with automatic differentiation. `Session` is the one
//! entry point that the command line, the REPL and the tests call.
//!
//! The folders are the layers, and each imports only the ones above it in this list:
//! - `syntax`: spans, lexer, parser, AST and the one diagnostic type;
//! - `tensor`: the tensor core (data model, shape rules, kernels, backward, optimisers);
//!   knows nothing of spans;
//! - `runtime`: values, the walker, argument binding, the builtins, errors explained;
//! - `front`: the REPL, `tsr check` and `tsr test`, thin over one `Session`.

pub mod front;
pub mod runtime;
pub mod syntax;
pub mod tensor;

pub use front::session::{Outcome, Session, SessionOptions};
pub use front::{check, repl, snapshot};
pub use runtime::{builtins, data, print};
pub use syntax::{diagnostic, parser};
