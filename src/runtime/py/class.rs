//! PyTorch's named results: `torch.return_types.topk(values=..., indices=...)` as an
//! instance that unpacks and indexes like the pair it is. Classes and instances
//! themselves are values (`runtime/value.rs`).

use crate::runtime::value::Value;
pub use crate::runtime::value::{Class, Instance};
use std::rc::Rc;

/// PyTorch's `torch.return_types.NAME(values=..., indices=...)`: an instance with the
/// fields as attributes that also unpacks, indexes and prints as the pair it is.
pub fn named_pair(
    name: &str,
    values: Value,
    indices: Value,
    builtins: &crate::runtime::value::Builtins,
) -> Value {
    let methods = ["__iter__", "__getitem__", "__len__", "__repr__"]
        .iter()
        .filter_map(|m| {
            builtins
                .find(&format!("return_types.{m}"))
                .map(|b| (m.to_string(), Value::Builtin(b)))
        })
        .collect();
    let class = Rc::new(Class {
        name: format!("torch.return_types.{name}"),
        base: None,
        attrs: crate::runtime::value::Attrs::new(methods),
    });
    Value::Instance(Rc::new(Instance {
        class,
        attrs: crate::runtime::value::Attrs::new(vec![
            ("values".to_string(), values),
            ("indices".to_string(), indices),
        ]),
    }))
}
