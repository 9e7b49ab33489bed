//! Data in and pictures out: `.npy`/`.npz` files, CSV, plots and graph drawings.

use crate::builtins::Builtin;

pub static TABLE: &[Builtin] = &[];
