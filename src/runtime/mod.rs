//! The runtime layer: values, the tree-walking evaluator, argument binding, the builtins
//! (by subject), and tensor errors explained as diagnostics. Imports `syntax` and
//! `tensor`, never a front-end.

/// One row of a builtin table:
/// `b!("name", [params], "doc", "example", function)`, optionally followed by the
/// `Check` rule of `tsr check`, itself optionally marked `pure` (run for real by the
/// checker when every argument is known), and by `lint ROLE`, what the op is to the
/// silent-bug lint (`LintRole`).
macro_rules! b {
    ($name:literal, [$($p:expr),*], $doc:literal, $ex:literal, $f:expr) => {
        b!($name, [$($p),*], $doc, $ex, $f, Unknown)
    };
    ($name:literal, [$($p:expr),*], $doc:literal, $ex:literal, $f:expr, pure $c:ident $(, lint $r:ident)?) => {
        $crate::runtime::value::Builtin {
            name: $name, params: &[$($p),*], doc: $doc, example: $ex, func: $f,
            check: $crate::runtime::value::Check::$c, pure: true,
            lint: b!(@lint $($r)?),
        }
    };
    ($name:literal, [$($p:expr),*], $doc:literal, $ex:literal, $f:expr, $c:ident $(, lint $r:ident)?) => {
        $crate::runtime::value::Builtin {
            name: $name, params: &[$($p),*], doc: $doc, example: $ex, func: $f,
            check: $crate::runtime::value::Check::$c, pure: false,
            lint: b!(@lint $($r)?),
        }
    };
    (@lint) => { $crate::runtime::value::LintRole::Other };
    (@lint $r:ident) => { $crate::runtime::value::LintRole::$r };
}

pub mod builtins;
pub mod call;
mod context;
pub mod data;
pub mod domain;
pub mod eval;
pub mod exec;
pub mod explain;
pub mod fnv;
pub mod index;
pub mod interp;
pub mod lint;
pub mod memory;
pub(crate) mod param_groups;
pub mod paths;
pub mod print;
pub mod py;
pub mod value;
