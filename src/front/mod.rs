//! Front-ends over one `Session`: the REPL and `tsr check`.

pub mod check;
pub mod repl;
