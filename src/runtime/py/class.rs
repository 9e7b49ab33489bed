//! PyTorch's named results: `torch.return_types.topk(values=..., indices=...)` as an
//! instance that unpacks and indexes like the pair it is. Classes and instances
//! themselves are values (`runtime/value.rs`).

use crate::runtime::value::Value;
pub use crate::runtime::value::{Class, Instance};
use std::rc::Rc;

thread_local! {
    /// The classes whose methods are builtins, made once per name.
    static BUILTIN_CLASSES: std::cell::RefCell<Vec<Rc<Class>>> =
        const { std::cell::RefCell::new(Vec::new()) };
}

/// A class named `name` whose methods are the builtins `PREFIX.METHOD` (`list_iterator`,
/// `torch.return_types.topk`), made the first time it is asked for.
pub fn builtin_class(
    name: &str,
    prefix: &str,
    methods: &[&str],
    builtins: &crate::runtime::value::Builtins,
) -> Rc<Class> {
    if let Some(c) = BUILTIN_CLASSES.with(|c| c.borrow().iter().find(|k| k.name == name).cloned()) {
        return c;
    }
    let methods = methods
        .iter()
        .filter_map(|m| {
            builtins
                .find(&format!("{prefix}.{m}"))
                .map(|b| (m.to_string(), Value::Builtin(b)))
        })
        .collect();
    let class = Rc::new(Class {
        name: name.to_string(),
        base: None,
        attrs: crate::runtime::value::Attrs::new(methods),
    });
    BUILTIN_CLASSES.with(|c| c.borrow_mut().push(class.clone()));
    class
}

/// PyTorch's `torch.return_types.NAME(values=..., indices=...)`: an instance with the
/// fields as attributes that also unpacks, indexes and prints as the pair it is.
pub fn named_pair(
    name: &str,
    values: Value,
    indices: Value,
    builtins: &crate::runtime::value::Builtins,
) -> Value {
    let class = builtin_class(
        &format!("torch.return_types.{name}"),
        "return_types",
        &["__iter__", "__getitem__", "__len__", "__repr__"],
        builtins,
    );
    Value::Instance(Rc::new(Instance {
        class,
        attrs: crate::runtime::value::Attrs::new(vec![
            ("values".to_string(), values),
            ("indices".to_string(), indices),
        ]),
    }))
}
