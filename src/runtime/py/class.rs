//! Classes and their instances: attributes by name in definition order, methods found
//! on the class and then its base, `__init__`, `__call__` and `__repr__`.

use crate::runtime::value::Value;
use std::cell::RefCell;
use std::rc::Rc;

pub struct Class {
    pub name: String,
    pub base: Option<Rc<Class>>,
    /// Methods and class attributes, in the order the body defined them.
    pub attrs: RefCell<Vec<(String, Value)>>,
}

impl Class {
    /// A method or class attribute, from this class or the nearest base that has it.
    pub fn find(&self, name: &str) -> Option<Value> {
        if let Some((_, v)) = self.attrs.borrow().iter().find(|(n, _)| n == name) {
            return Some(v.clone());
        }
        self.base.as_ref().and_then(|b| b.find(name))
    }

    /// Whether this class is `other` or derives from it.
    pub fn is_a(&self, other: &Class) -> bool {
        std::ptr::eq(self, other) || self.base.as_ref().is_some_and(|b| b.is_a(other))
    }
}

pub struct Instance {
    pub class: Rc<Class>,
    pub attrs: RefCell<Vec<(String, Value)>>,
}

impl Instance {
    pub fn get(&self, name: &str) -> Option<Value> {
        self.attrs
            .borrow()
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.clone())
    }

    pub fn set(&self, name: &str, value: Value) {
        let mut attrs = self.attrs.borrow_mut();
        match attrs.iter_mut().find(|(n, _)| n == name) {
            Some(slot) => slot.1 = value,
            None => attrs.push((name.to_string(), value)),
        }
    }

    pub fn remove(&self, name: &str) -> bool {
        let mut attrs = self.attrs.borrow_mut();
        let before = attrs.len();
        attrs.retain(|(n, _)| n != name);
        attrs.len() != before
    }
}

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
        attrs: RefCell::new(methods),
    });
    Value::Instance(Rc::new(Instance {
        class,
        attrs: RefCell::new(vec![
            ("values".to_string(), values),
            ("indices".to_string(), indices),
        ]),
    }))
}
