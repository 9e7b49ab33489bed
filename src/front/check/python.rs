//! `isinstance` on abstract values: decided when the value's kind is known (so that a
//! branch it excludes is not followed), else unknown. Python's constructs themselves
//! (tuples, dicts, f-strings, comprehensions, classes, imports) run on the evaluator.

use super::value::{ANum, AVal, SeqKind};
use super::Checker;

impl Checker {
    /// `isinstance(x, kind)`: true or false when `x`'s kind is known (so a branch it
    /// excludes is not followed), else unknown.
    pub(super) fn isinstance(&mut self, a: &super::args::CArgs) -> AVal {
        let kinds = match a.val(1) {
            AVal::List(_) => a.val(1).exact_items().unwrap_or_default(),
            k => vec![k],
        };
        let x = a.val(0);
        let mut answer = Some(false);
        for k in &kinds {
            let hit = match (k, &x) {
                (_, AVal::Unknown) => None,
                // A class the checker does not follow (`nn.Linear`) holds no strings,
                // numbers, lists or tensors.
                (
                    AVal::Unknown,
                    AVal::Str(_) | AVal::Num(_) | AVal::Bool(_) | AVal::None | AVal::Tensor(_),
                ) => Some(false),
                (AVal::Builtin(b), v) => builtin_kind_test(b.name, v),
                _ => None,
            };
            answer = match (answer, hit) {
                (_, Some(true)) => return AVal::Bool(Some(true)),
                (Some(false), Some(false)) => Some(false),
                _ => None,
            };
        }
        AVal::Bool(answer)
    }
}

/// `isinstance(v, T)` for a builtin type `T`, as the evaluator decides it, when `v`'s
/// kind is known (a list may stand for a tuple, so those two stay unknown).
fn builtin_kind_test(name: &str, v: &AVal) -> Option<bool> {
    const TYPES: &[&str] = &[
        "list", "str", "float", "int", "bool", "dict", "tuple", "set", "tensor",
    ];
    if !TYPES.contains(&name) {
        return None;
    }
    Some(match v {
        AVal::Unknown => return None,
        AVal::Num(ANum::Known(n)) => match name {
            "float" => true,
            "int" => n.fract() == 0.0,
            _ => false,
        },
        AVal::Num(_) => match name {
            "float" => true,
            "int" => return None,
            _ => false,
        },
        AVal::Str(_) => name == "str",
        AVal::Bool(_) => name == "bool",
        AVal::List(_) => match (name, v.seq_kind()) {
            ("list", Some(k)) => k == SeqKind::List,
            ("tuple", Some(k)) => k == SeqKind::Tuple,
            ("list" | "tuple", None) => return None,
            _ => false,
        },
        AVal::Tensor(_) => name == "tensor",
        AVal::None | AVal::Optimizer => false,
        _ => return None,
    })
}
