//! Front-ends over one `Session`: the REPL, `tsr check`, `tsr test` and the Jupyter
//! kernel.

pub mod check;
pub mod kernel;
pub mod repl;
pub mod snapshot;
