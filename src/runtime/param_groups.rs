//! PyTorch's `opt.param_groups`: the dict a program reads and writes, kept per optimiser
//! in the interpreter, and the learning rate kept in step with it (read by the `opt.lr`
//! property and the `step` builtin, written by `set_lr`).

use crate::runtime::interp::Interp;
use crate::runtime::value::{Optimizer, Value};

type OptRef = std::rc::Rc<std::cell::RefCell<Optimizer>>;

/// `opt.lr` (the rate of the next step) or `opt.param_groups`.
pub(crate) fn property(interp: &mut Interp, o: &OptRef, name: &str) -> Value {
    if name == "lr" {
        sync(interp, o);
        return Value::Number(o.borrow().lr());
    }
    groups(interp, o)
}

/// PyTorch's `opt.param_groups`: a list of one dict, `{"params": [...], "lr": ...}`, the
/// same dict at every read, so that `g["lr"] = 0.01` changes the optimiser's rate (read
/// back by `sync` before a step and at `opt.lr`).
fn groups(interp: &mut Interp, o: &OptRef) -> Value {
    interp.param_groups.retain(|(w, _)| w.strong_count() > 0);
    if let Some((_, v)) = interp
        .param_groups
        .iter()
        .find(|(w, _)| std::ptr::eq(w.as_ptr(), std::rc::Rc::as_ptr(o)))
    {
        return v.clone();
    }
    let (params, lr) = {
        let opt = o.borrow();
        let params: Vec<Value> = opt.params().iter().cloned().map(Value::Tensor).collect();
        (params, opt.lr())
    };
    let mut d = crate::runtime::value::Dict::default();
    for (k, v) in [("params", Value::list(params)), ("lr", Value::Number(lr))] {
        let key = Value::str(k);
        if let Some(h) = crate::runtime::value::Key::of(&key) {
            d.insert(h, key, v);
        }
    }
    let groups = Value::list(vec![Value::dict(d)]);
    interp
        .param_groups
        .push((std::rc::Rc::downgrade(o), groups.clone()));
    groups
}

/// The group dict of `o`, if a program has read `param_groups`.
fn group_dict(interp: &Interp, o: &OptRef) -> Option<Value> {
    let (_, groups) = interp
        .param_groups
        .iter()
        .find(|(w, _)| std::ptr::eq(w.as_ptr(), std::rc::Rc::as_ptr(o)))?;
    let Value::List(l) = groups else { return None };
    l.borrow().first().cloned()
}

/// The optimiser takes the `"lr"` a program wrote into its `param_groups`.
pub(crate) fn sync(interp: &Interp, o: &OptRef) {
    let Some(Value::Dict(d)) = group_dict(interp, o) else {
        return;
    };
    let lr =
        crate::runtime::value::Key::of(&Value::str("lr")).and_then(|k| d.borrow().get(&k).cloned());
    if let Some(Value::Number(lr)) = lr {
        if lr != o.borrow().lr() {
            o.borrow_mut().set_lr(lr);
        }
    }
}

/// `set_lr` (a scheduler's step) also shows in `param_groups`.
pub(crate) fn write_lr(interp: &Interp, o: &OptRef, lr: f64) {
    if let Some(Value::Dict(d)) = group_dict(interp, o) {
        let key = Value::str("lr");
        if let Some(h) = crate::runtime::value::Key::of(&key) {
            d.borrow_mut().insert(h, key, Value::Number(lr));
        }
    }
}
