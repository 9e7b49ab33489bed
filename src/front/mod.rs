//! Front-ends over one `Session`: the REPL, `tsr check`, `tsr test`, the Jupyter
//! kernel, and the Ctrl-C handler that `tsr run` and the REPL share.

pub mod check;
pub mod kernel;
pub mod repl;
pub mod session;
pub mod signal;
pub mod snapshot;
