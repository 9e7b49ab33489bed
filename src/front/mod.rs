//! Front-ends over one `Session`: the REPL, `tsr check` and `tsr test`.

pub mod check;
pub mod repl;
pub mod snapshot;
