//! Python's dict (and set): insertion-ordered, keyed by hashable values (None, bools,
//! numbers, strings and tuples of them), with `True == 1 == 1.0` as Python has it.

use crate::runtime::value::Value;
use std::collections::HashMap;

/// A hashable value reduced to what equality looks at.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Key {
    None,
    /// A number (or a bool) by its bits; `-0.0` and `0.0` are one key.
    Num(u64),
    Str(std::rc::Rc<str>),
    Tuple(Vec<Key>),
    /// An instance of a user class: hashed by identity, as Python's default.
    Id(usize),
}

impl Key {
    /// The key of a value, or `None` when the value cannot be a key (a list, a tensor).
    pub fn of(v: &Value) -> Option<Key> {
        Some(match v {
            Value::None => Key::None,
            Value::Bool(b) => Key::Num(if *b { 1f64 } else { 0f64 }.to_bits()),
            Value::Number(n) => Key::Num(if *n == 0.0 {
                0f64.to_bits()
            } else {
                n.to_bits()
            }),
            Value::Str(s) => Key::Str(s.clone()),
            Value::Tuple(items) => Key::Tuple(items.iter().map(Key::of).collect::<Option<_>>()?),
            // By identity, unless the class defines `__eq__` without `__hash__` (then, as
            // in Python, its instances cannot be keys).
            Value::Instance(i) => {
                if i.class.find("__eq__").is_some() && i.class.find("__hash__").is_none() {
                    return None;
                }
                Key::Id(std::rc::Rc::as_ptr(i) as usize)
            }
            _ => return None,
        })
    }
}

/// An ordered map from keys to values; a set is a `Dict` whose values are `None`.
#[derive(Clone, Default)]
pub struct Dict {
    pub entries: Vec<(Value, Value)>,
    index: HashMap<Key, usize>,
}

impl Dict {
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    pub fn get(&self, key: &Key) -> Option<&Value> {
        self.index.get(key).map(|&i| &self.entries[i].1)
    }

    pub fn contains(&self, key: &Key) -> bool {
        self.index.contains_key(key)
    }

    /// Set `key` to `value`; a new key goes last, an existing one keeps its place.
    pub fn insert(&mut self, key: Key, k: Value, value: Value) {
        match self.index.get(&key) {
            Some(&i) => self.entries[i].1 = value,
            None => {
                self.index.insert(key, self.entries.len());
                self.entries.push((k, value));
            }
        }
    }

    pub fn remove(&mut self, key: &Key) -> Option<Value> {
        let i = self.index.remove(key)?;
        let (_, v) = self.entries.remove(i);
        for slot in self.index.values_mut() {
            if *slot > i {
                *slot -= 1;
            }
        }
        Some(v)
    }

    pub fn keys(&self) -> impl Iterator<Item = &Value> {
        self.entries.iter().map(|(k, _)| k)
    }
}
