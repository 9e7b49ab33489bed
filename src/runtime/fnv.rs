//! FNV-1a: a small, fast, deterministic hasher for the evaluator's maps (variable names,
//! tensor ids). Imports nothing of the runtime, so every runtime file may use it.

use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};

/// A small, fast, deterministic hasher for variable names (FNV-1a). Iteration order of
/// these maps never reaches the output: `:vars` sorts by name.
#[derive(Default)]
pub struct FnvHasher(u64);

impl Hasher for FnvHasher {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        let mut h = if self.0 == 0 {
            0xcbf29ce484222325
        } else {
            self.0
        };
        for b in bytes {
            h ^= *b as u64;
            h = h.wrapping_mul(0x100000001b3);
        }
        self.0 = h;
    }
}

/// A `HashMap` hashed with FNV-1a.
pub type FnvMap<K, V> = HashMap<K, V, BuildHasherDefault<FnvHasher>>;

/// A hash set with FNV-1a.
pub type FnvSet<K> = std::collections::HashSet<K, BuildHasherDefault<FnvHasher>>;

/// Binds `name` in a scope: replaces its binding (the key's allocation is kept) or adds
/// one. The evaluator's scopes and the checker's abstract ones bind through it.
#[inline]
pub fn rebind<B>(env: &mut FnvMap<std::rc::Rc<str>, B>, name: &str, binding: B) {
    match env.get_mut(name) {
        Some(old) => *old = binding,
        None => {
            env.insert(std::rc::Rc::from(name), binding);
        }
    }
}
