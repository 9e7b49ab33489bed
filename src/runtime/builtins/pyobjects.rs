//! Builtins on Python's values: `enumerate`, `zip`, `tuple`, `dict`, `set`, `repr`,
//! `isinstance`, `no_grad`, exceptions, and the methods of dicts (`dict.items` ...),
//! lists (`list.pop` ...) and sets (`set.add` ...), which `x.name(...)` finds by the
//! receiver's type (strings' methods are in `strings.rs`).

use crate::runtime::interp::{Interp, R};
use crate::runtime::value::Dict;
use crate::runtime::value::{Args, Builtin, Value, P};
use crate::syntax::diagnostic::Diagnostic;

use P::{Kw, Opt, Req, Var, VarKw};

pub static TABLE: &[Builtin] = &[
    b!("dict.setdefault", [Req("d"), Req("key"), Opt("default", "None")], "the value of key, first setting it to default when missing", "groups.setdefault(k, []).append(x)", f_setdefault),
    b!("dict.pop", [Req("d"), Req("key"), Opt("default", "None")], "remove key and return its value (or default when missing)", "d.pop(\"lr\", 0.1)", f_dict_pop),
    b!("dict.update", [Req("d"), Req("other")], "set every (key, value) of another dict or list of pairs", "d.update(other)", f_dict_update),
    b!("getattr", [Req("object"), Req("name"), Opt("default", "None")], "the attribute of that name (or default when it has none)", "getattr(model, \"fc1\")", f_getattr),
    b!("setattr", [Req("object"), Req("name"), Req("value")], "set the attribute of that name", "setattr(model, \"scale\", 2)", f_setattr),
    b!("hasattr", [Req("object"), Req("name")], "whether the object has an attribute of that name", "hasattr(m, \"weight\")", f_hasattr),
    b!("callable", [Req("x")], "whether x can be called", "callable(f)", f_callable),
    b!("property", [Req("fget")], "as a method's decorator, `obj.name` calls it with `obj` (read-only)", "@property", f_property),
    b!("staticmethod", [Req("function")], "as a method's decorator, the function is called without `self`", "@staticmethod", f_staticmethod),
    b!("classmethod", [Req("function")], "as a method's decorator, the function gets the class as its first argument", "@classmethod", f_classmethod),
    b!("ord", [Req("c")], "the code point of a one-character string", "ord(\"a\")", f_ord),
    b!("chr", [Req("i")], "the one-character string of a code point", "chr(97)", f_chr),
    b!("enumerate", [Req("iterable"), Opt("start", "0")], "pairs (index, item) of an iterable", "for i, x in enumerate(xs): ...", f_enumerate),
    b!("zip", [Var("iterables")], "tuples of the items at the same position of each iterable, as long as the shortest", "for x, y in zip(xs, ys): ...", f_zip),
    b!("tuple", [Opt("iterable", "None")], "a tuple of the items of an iterable", "tuple([1, 2])", f_tuple, pure List),
    b!("dict", [Opt("pairs", "None"), VarKw("items")], "a dict from (key, value) pairs or keyword arguments", "dict(lr=0.1)", f_dict),
    b!("set", [Opt("iterable", "None")], "a set of the distinct items of an iterable, in first-seen order", "set(\"hello\")", f_set),
    b!("repr", [Req("x")], "the text of a value as it prints as a result (strings quoted)", "repr(\"a\")", f_repr),
    b!("isinstance", [Req("x"), Req("kind")], "whether x is of a class (or a builtin type: int, float, str, list, tuple, dict)", "isinstance(m, Linear)", f_isinstance, IsInstance),
    b!("matmul", [Req("a"), Req("b")], "the matrix product `a @ b` (numpy's `dot` and `matmul`)", "matmul(X, W.T)", f_matmul, Shapes),
    b!("super", [Opt("type", "None"), Opt("obj", "None")], "inside a method: the instance, with the methods of its class's base (`super(Net, self)`, Python 2's spelling, is the same)", "super().__init__()", f_super),
    b!("object.__init__", [Var("args")], "the base `__init__` of every class: does nothing", "super().__init__()", f_nothing),
    b!("Exception", [Opt("message", "None")], "an exception to `raise`: `raise Exception(\"message\")`", "raise Exception(\"bad input\")", f_exception),
    b!("ValueError", [Opt("message", "None")], "an exception to `raise` for a bad value", "raise ValueError(\"x must be positive\")", f_exception),
    b!("TypeError", [Opt("message", "None")], "an exception to `raise` for a value of the wrong kind", "raise TypeError(\"expected a list\")", f_exception),
    b!("RuntimeError", [Opt("message", "None")], "an exception to `raise` for a failure at run time", "raise RuntimeError(\"diverged\")", f_exception),
    b!("IndexError", [Opt("message", "None")], "an exception to `raise` for a position out of range", "raise IndexError(\"no such row\")", f_exception),
    b!("KeyError", [Opt("message", "None")], "an exception to `raise` for a missing key", "raise KeyError(\"lr\")", f_exception),
    b!("NotImplementedError", [Opt("message", "None")], "an exception to `raise` in a method a subclass must define", "raise NotImplementedError()", f_exception),
    b!("AssertionError", [Opt("message", "None")], "an exception to `raise` for a broken assumption", "raise AssertionError(\"unreachable\")", f_exception),
    b!("no_grad", [], "a context (`with no_grad():`) or decorator (`@no_grad()`) inside which ops record no graph", "with no_grad():\n    W -= 0.1 * W.grad", f_no_grad),
    b!("dict.items", [Req("d")], "the (key, value) pairs of a dict, in insertion order", "for k, v in d.items(): ...", f_items),
    b!("dict.keys", [Req("d")], "the keys of a dict, in insertion order", "list(d.keys())", f_keys),
    b!("dict.values", [Req("d")], "the values of a dict, in insertion order", "sum(d.values())", f_values),
    b!("dict.get", [Req("d"), Req("key"), Opt("default", "None")], "the value of key, or default when the dict has no such key", "d.get(\"lr\", 0.1)", f_get),
    b!("list.pop", [Req("l"), Opt("index", "-1")], "remove and return the item at index (default: the last)", "xs.pop()", f_pop),
    b!("list.extend", [Req("l"), Req("items")], "add the items of an iterable at the end, in place", "xs.extend([4, 5])", f_extend),
    b!("list.insert", [Req("l"), Req("index"), Req("value")], "insert value before index, in place", "xs.insert(0, v)", f_insert),
    b!("list.index", [Req("l"), Req("value")], "the position of the first item equal to value", "xs.index(3)", f_index),
    b!("list.count", [Req("l"), Req("value")], "how many items equal value", "xs.count(3)", f_count),
    b!("list.copy", [Req("l")], "a shallow copy of the list", "ys = xs.copy()", f_copy),
    b!("list.sort", [Req("l"), Kw("key", "None"), Kw("reverse", "False")], "sort the list in place (stable; by key(item) when given)", "xs.sort(key=len, reverse=True)", f_sort),
    b!("list.reverse", [Req("l")], "reverse the list in place", "xs.reverse()", f_reverse),
    b!("list.remove", [Req("l"), Req("value")], "remove the first item equal to value", "xs.remove(3)", f_remove),
    b!("list.clear", [Req("l")], "remove every item", "xs.clear()", f_clear),
    b!("return_types.__iter__", [Req("pair")], "the fields of a (values, indices) result, for unpacking", "values, indices = topk(x, 2)", f_pair_iter),
    b!("return_types.__getitem__", [Req("pair"), Req("i")], "field i of a (values, indices) result", "topk(x, 2)[0]", f_pair_item),
    b!("return_types.__len__", [Req("pair")], "2: a (values, indices) result has two fields", "len(topk(x, 2))", f_pair_len),
    b!("return_types.__repr__", [Req("pair")], "how a (values, indices) result prints", "print(sort(x))", f_pair_repr),
    b!("set.add", [Req("s"), Req("item")], "add an item to the set", "seen.add(x)", f_set_add),
    b!("set.update", [Req("s"), Req("items")], "add the items of an iterable to the set", "seen.update(xs)", f_set_update),
    b!("set.discard", [Req("s"), Req("item")], "remove the item if the set has it", "seen.discard(x)", f_set_discard),
    b!("vars", [Req("object")], "the attributes of an object as a dict, in the order they were set", "vars(model)", f_vars),
    b!("id", [Req("x")], "a number that identifies a tensor, list, dict or object while it lives", "id(W)", f_id),
    b!("divmod", [Req("a"), Req("b")], "the pair (a // b, a % b)", "divmod(7, 2)", f_divmod),
    b!("map", [Req("function"), Var("iterables")], "a list of function(item) for each item (of several iterables side by side)", "list(map(str, [1, 2]))", f_map),
    b!("filter", [Req("function"), Req("iterable")], "a list of the items for which function(item) is true (None: the true items)", "list(filter(None, [0, 1, 2]))", f_filter),

];

fn f_enumerate(interp: &mut Interp, a: &mut Args) -> R<Value> {
    let start = a.number_or(interp, 1, 0.0)?;
    let items = interp.iter_values(&a.value(0), a.span(0))?;
    Ok(Value::list(
        items
            .into_iter()
            .enumerate()
            .map(|(i, v)| Value::tuple(vec![Value::Number(start + i as f64), v]))
            .collect(),
    ))
}

fn f_zip(interp: &mut Interp, a: &mut Args) -> R<Value> {
    let mut seqs = Vec::new();
    for (v, s) in a.rest.clone() {
        seqs.push(interp.iter_values(&v, s)?);
    }
    let n = seqs.iter().map(Vec::len).min().unwrap_or(0);
    Ok(Value::list(
        (0..n)
            .map(|i| Value::tuple(seqs.iter().map(|s| s[i].clone()).collect()))
            .collect(),
    ))
}

fn f_tuple(interp: &mut Interp, a: &mut Args) -> R<Value> {
    match a.get(0) {
        None | Some(Value::None) => Ok(Value::tuple(Vec::new())),
        Some(v) => {
            let v = v.clone();
            Ok(Value::tuple(interp.iter_values(&v, a.span(0))?))
        }
    }
}

fn f_dict(interp: &mut Interp, a: &mut Args) -> R<Value> {
    let mut d = Dict::default();
    match a.get(0).cloned() {
        None | Some(Value::None) => {}
        Some(Value::Dict(src)) => d = src.borrow().clone(),
        Some(v) => {
            for pair in interp.iter_values(&v, a.span(0))? {
                let kv = interp.iter_values(&pair, a.span(0))?;
                let [k, v] = <[Value; 2]>::try_from(kv).map_err(|_| {
                    interp.fail(
                        Diagnostic::error("type::argument", "`dict` needs (key, value) pairs")
                            .primary(a.span(0), "an item is not a pair"),
                    )
                })?;
                let h = interp.key_of(&k, a.span(0))?;
                d.insert(h, k, v);
            }
        }
    }
    for (name, _, v, _) in a.kwargs.clone() {
        let k = Value::str(&name);
        let h = interp.key_of(&k, a.call)?;
        d.insert(h, k, v);
    }
    Ok(Value::dict(d))
}

fn f_set(interp: &mut Interp, a: &mut Args) -> R<Value> {
    let items = match a.get(0).cloned() {
        None | Some(Value::None) => Vec::new(),
        // The set of a text's characters (a character model's vocabulary): one string
        // made per distinct character, in the order first seen, not one per character.
        Some(Value::Str(s)) => {
            let mut seen = crate::runtime::fnv::FnvSet::default();
            s.chars()
                .filter(|&c| seen.insert(c))
                .map(Value::char)
                .collect()
        }
        Some(v) => interp.iter_values(&v, a.span(0))?,
    };
    let span = a.span(0);
    interp.make_set(items.into_iter().map(|v| (v, span)).collect())
}

fn f_repr(interp: &mut Interp, a: &mut Args) -> R<Value> {
    Ok(Value::str(&interp.show(&a.value(0), true)?))
}

fn f_isinstance(_: &mut Interp, a: &mut Args) -> R<Value> {
    let x = a.value(0);
    let kinds = match a.value(1) {
        Value::Tuple(t) => t.as_ref().clone(),
        k => vec![k],
    };
    let hit = kinds.iter().any(|k| match (k, &x) {
        (Value::Class(c), Value::Instance(i)) => i.class.is_a(c),
        (Value::Builtin(b), v) => {
            matches!(
                (b.name, v),
                ("int", Value::Number(n)) if n.fract() == 0.0
            ) || matches!(
                (b.name, v),
                ("float", Value::Number(_))
                    | ("str", Value::Str(_))
                    | ("list", Value::List(_))
                    | ("tuple", Value::Tuple(_))
                    | ("dict", Value::Dict(_))
                    | ("set", Value::Set(_))
                    | ("bool", Value::Bool(_))
                    | ("tensor", Value::Tensor(_))
            )
        }
        _ => false,
    });
    Ok(Value::Bool(hit))
}

fn f_no_grad(_: &mut Interp, a: &mut Args) -> R<Value> {
    Ok(Value::Builtin(a.builtin))
}

fn dict_of(interp: &Interp, a: &Args) -> R<std::rc::Rc<std::cell::RefCell<Dict>>> {
    match a.value(0) {
        Value::Dict(x) => Ok(x),
        other => Err(receiver_error(interp, a, "dict", &other)),
    }
}

fn f_items(interp: &mut Interp, a: &mut Args) -> R<Value> {
    let d = dict_of(interp, a)?;
    let items = d
        .borrow()
        .entries
        .iter()
        .map(|(k, v)| Value::tuple(vec![k.clone(), v.clone()]))
        .collect();
    Ok(Value::list(items))
}

fn f_keys(interp: &mut Interp, a: &mut Args) -> R<Value> {
    let d = dict_of(interp, a)?;
    let keys = d.borrow().keys().cloned().collect();
    Ok(Value::list(keys))
}

fn f_values(interp: &mut Interp, a: &mut Args) -> R<Value> {
    let d = dict_of(interp, a)?;
    let values = d.borrow().entries.iter().map(|(_, v)| v.clone()).collect();
    Ok(Value::list(values))
}

fn f_get(interp: &mut Interp, a: &mut Args) -> R<Value> {
    let d = dict_of(interp, a)?;
    let h = interp.key_of(&a.value(1), a.span(1))?;
    let found = d.borrow().get(&h).cloned();
    Ok(found.unwrap_or_else(|| a.get(2).cloned().unwrap_or(Value::None)))
}

fn list_of(interp: &Interp, a: &Args) -> R<std::rc::Rc<std::cell::RefCell<Vec<Value>>>> {
    match a.value(0) {
        Value::List(x) => Ok(x),
        other => Err(receiver_error(interp, a, "list", &other)),
    }
}

fn f_pop(interp: &mut Interp, a: &mut Args) -> R<Value> {
    let l = list_of(interp, a)?;
    let len = l.borrow().len();
    if len == 0 {
        return Err(interp.fail(
            Diagnostic::error("value::index", "pop from an empty list")
                .primary(a.span(0), "this list is empty"),
        ));
    }
    let i = a.get(1).cloned().unwrap_or(Value::Number(-1.0));
    let pos = interp.list_position(&i, a.span(1), len)?;
    let v = l.borrow_mut().remove(pos);
    Ok(v)
}

fn f_extend(interp: &mut Interp, a: &mut Args) -> R<Value> {
    let l = list_of(interp, a)?;
    let items = interp.iter_values(&a.value(1), a.span(1))?;
    l.borrow_mut().extend(items);
    Ok(Value::None)
}

fn f_insert(interp: &mut Interp, a: &mut Args) -> R<Value> {
    let l = list_of(interp, a)?;
    let len = l.borrow().len() as i64;
    let i = a.int(interp, 1)?;
    let pos = if i < 0 { (len + i).max(0) } else { i.min(len) } as usize;
    l.borrow_mut().insert(pos, a.value(2));
    Ok(Value::None)
}

fn f_index(interp: &mut Interp, a: &mut Args) -> R<Value> {
    let l = list_of(interp, a)?;
    let v = a.value(1);
    let pos = l
        .borrow()
        .iter()
        .position(|x| crate::runtime::eval::values_equal(x, &v));
    match pos {
        Some(p) => Ok(Value::Number(p as f64)),
        None => Err(interp.fail(
            Diagnostic::error(
                "value::not_found",
                format!("{} is not in the list", v.repr()),
            )
            .primary(a.span(1), "not in the list"),
        )),
    }
}

fn f_count(interp: &mut Interp, a: &mut Args) -> R<Value> {
    let l = list_of(interp, a)?;
    let v = a.value(1);
    let n = l
        .borrow()
        .iter()
        .filter(|x| crate::runtime::eval::values_equal(x, &v))
        .count();
    Ok(Value::Number(n as f64))
}

fn f_copy(interp: &mut Interp, a: &mut Args) -> R<Value> {
    let l = list_of(interp, a)?;
    let items = l.borrow().clone();
    Ok(Value::list(items))
}

fn f_matmul(interp: &mut Interp, a: &mut Args) -> R<Value> {
    let (x, y) = (a.tensor(interp, 0)?, a.tensor(interp, 1)?);
    crate::tensor::matmul(&x, &y)
        .map(Value::Tensor)
        .map_err(|e| a.fail(interp, e, &[0, 1]))
}

fn f_super(interp: &mut Interp, a: &mut Args) -> R<Value> {
    interp.super_object(a.call)
}

fn f_nothing(_: &mut Interp, _: &mut Args) -> R<Value> {
    Ok(Value::None)
}

/// `ValueError("msg")`: an instance of a class of that name holding the message as `args`.
pub(super) fn f_exception(_: &mut Interp, a: &mut Args) -> R<Value> {
    use crate::runtime::py::class::{Class, Instance};
    let class = std::rc::Rc::new(Class {
        name: a.builtin.name.to_string(),
        base: None,
        attrs: crate::runtime::value::Attrs::new(Vec::new()),
    });
    let obj = Instance {
        class,
        attrs: crate::runtime::value::Attrs::new(Vec::new()),
    };
    if let Some(m) = a.get(0) {
        obj.set("args", m.clone());
    }
    Ok(Value::Instance(std::rc::Rc::new(obj)))
}

fn sorted_in_place(
    interp: &mut Interp,
    a: &Args,
    items: Vec<Value>,
    key: Option<Value>,
    reverse: bool,
) -> R<Vec<Value>> {
    let mut keyed: Vec<(Value, Value)> = Vec::with_capacity(items.len());
    for v in items {
        let k = match &key {
            Some(f) if !matches!(f, Value::None) => {
                let arg = crate::runtime::call::ArgVal {
                    name: None,
                    value: v.clone(),
                    span: a.span(0),
                };
                interp.call(f, vec![arg], a.call, a.call)?
            }
            _ => v.clone(),
        };
        keyed.push((k, v));
    }
    let keyed = interp.sort_keyed(keyed, reverse, a.span(0))?;
    Ok(keyed.into_iter().map(|(_, v)| v).collect())
}

fn f_sort(interp: &mut Interp, a: &mut Args) -> R<Value> {
    let l = list_of(interp, a)?;
    let items = l.borrow().clone();
    let reverse = a.bool_or(interp, 2, false)?;
    let sorted = sorted_in_place(interp, a, items, a.get(1).cloned(), reverse)?;
    *l.borrow_mut() = sorted;
    Ok(Value::None)
}

fn f_reverse(interp: &mut Interp, a: &mut Args) -> R<Value> {
    list_of(interp, a)?.borrow_mut().reverse();
    Ok(Value::None)
}

fn f_remove(interp: &mut Interp, a: &mut Args) -> R<Value> {
    let l = list_of(interp, a)?;
    let v = a.value(1);
    let pos = l
        .borrow()
        .iter()
        .position(|x| crate::runtime::eval::values_equal(x, &v));
    match pos {
        Some(p) => {
            l.borrow_mut().remove(p);
            Ok(Value::None)
        }
        None => Err(interp.fail(
            Diagnostic::error(
                "value::not_found",
                format!("{} is not in the list", v.repr()),
            )
            .primary(a.span(1), "not in the list"),
        )),
    }
}

fn f_clear(interp: &mut Interp, a: &mut Args) -> R<Value> {
    list_of(interp, a)?.borrow_mut().clear();
    Ok(Value::None)
}

fn f_divmod(interp: &mut Interp, a: &mut Args) -> R<Value> {
    let (x, y) = (a.number(interp, 0)?, a.number(interp, 1)?);
    if y == 0.0 {
        return Err(interp.fail(
            Diagnostic::error("value::zero_division", "integer division or modulo by zero")
                .primary(a.span(1), "this is 0"),
        ));
    }
    let q = (x / y).floor();
    Ok(Value::tuple(vec![
        Value::Number(q),
        Value::Number(crate::runtime::eval::python_mod(x, y)),
    ]))
}

fn f_map(interp: &mut Interp, a: &mut Args) -> R<Value> {
    let f = a.value(0);
    let mut seqs = Vec::new();
    for (v, s) in a.rest.clone() {
        seqs.push(interp.iter_values(&v, s)?);
    }
    let n = seqs.iter().map(Vec::len).min().unwrap_or(0);
    let mut out = Vec::with_capacity(n);
    for i in 0..n {
        let args = seqs
            .iter()
            .map(|s| crate::runtime::call::ArgVal {
                name: None,
                value: s[i].clone(),
                span: a.call,
            })
            .collect();
        out.push(interp.call(&f, args, a.span(0), a.call)?);
    }
    Ok(Value::list(out))
}

fn f_filter(interp: &mut Interp, a: &mut Args) -> R<Value> {
    let f = a.value(0);
    let items = interp.iter_values(&a.value(1), a.span(1))?;
    let mut out = Vec::new();
    for v in items {
        let keep = match &f {
            Value::None => v.clone(),
            f => {
                let arg = crate::runtime::call::ArgVal {
                    name: None,
                    value: v.clone(),
                    span: a.span(1),
                };
                interp.call(f, vec![arg], a.span(0), a.call)?
            }
        };
        if interp.truthy(&keep, a.span(1))? {
            out.push(v);
        }
    }
    Ok(Value::list(out))
}

fn pair_fields(interp: &Interp, a: &Args) -> R<Vec<Value>> {
    match a.value(0) {
        Value::Instance(i) => Ok(["values", "indices"]
            .iter()
            .filter_map(|f| i.get(f))
            .collect()),
        other => Err(interp.fail(
            Diagnostic::error(
                "type::argument",
                format!(
                    "expected a (values, indices) result, found a {}",
                    other.kind()
                ),
            )
            .primary(a.span(0), "not such a result"),
        )),
    }
}

fn f_pair_iter(interp: &mut Interp, a: &mut Args) -> R<Value> {
    Ok(Value::tuple(pair_fields(interp, a)?))
}

fn f_pair_item(interp: &mut Interp, a: &mut Args) -> R<Value> {
    let fields = pair_fields(interp, a)?;
    let pos = interp.list_position(&a.value(1), a.span(1), fields.len())?;
    Ok(fields[pos].clone())
}

fn f_pair_len(interp: &mut Interp, a: &mut Args) -> R<Value> {
    Ok(Value::Number(pair_fields(interp, a)?.len() as f64))
}

fn f_pair_repr(interp: &mut Interp, a: &mut Args) -> R<Value> {
    let fields = pair_fields(interp, a)?;
    let name = match a.value(0) {
        Value::Instance(i) => i.class.name.clone(),
        _ => String::new(),
    };
    let shown: Vec<String> = ["values", "indices"]
        .iter()
        .zip(&fields)
        .map(|(n, v)| format!("{n}={}", v.repr()))
        .collect();
    Ok(Value::str(&format!("{name}(\n{})", shown.join(",\n"))))
}

fn set_of(interp: &Interp, a: &Args) -> R<std::rc::Rc<std::cell::RefCell<Dict>>> {
    match a.value(0) {
        Value::Set(x) => Ok(x),
        other => Err(receiver_error(interp, a, "set", &other)),
    }
}

fn f_set_add(interp: &mut Interp, a: &mut Args) -> R<Value> {
    let s = set_of(interp, a)?;
    let v = a.value(1);
    let k = interp.key_of(&v, a.span(1))?;
    s.borrow_mut().insert(k, v, Value::None);
    Ok(Value::None)
}

fn f_set_update(interp: &mut Interp, a: &mut Args) -> R<Value> {
    let s = set_of(interp, a)?;
    for v in interp.iter_values(&a.value(1), a.span(1))? {
        let k = interp.key_of(&v, a.span(1))?;
        s.borrow_mut().insert(k, v, Value::None);
    }
    Ok(Value::None)
}

fn f_set_discard(interp: &mut Interp, a: &mut Args) -> R<Value> {
    let s = set_of(interp, a)?;
    let k = interp.key_of(&a.value(1), a.span(1))?;
    s.borrow_mut().remove(&k);
    Ok(Value::None)
}

fn f_vars(interp: &mut Interp, a: &mut Args) -> R<Value> {
    match a.value(0) {
        Value::Instance(i) => {
            let mut d = Dict::default();
            for (k, v) in i.attrs.borrow().iter() {
                let key = Value::str(k);
                let h = interp.key_of(&key, a.span(0))?;
                d.insert(h, key, v.clone());
            }
            Ok(Value::dict(d))
        }
        other => Err(interp.fail(
            Diagnostic::error(
                "type::argument",
                format!("`vars` needs an object, found a {}", other.kind()),
            )
            .primary(a.span(0), format!("this is a {}", other.kind())),
        )),
    }
}

fn f_id(_: &mut Interp, a: &mut Args) -> R<Value> {
    let v = a.value(0);
    let n = match &v {
        Value::Tensor(t) => t.id() as usize,
        Value::List(l) => std::rc::Rc::as_ptr(l) as *const u8 as usize,
        Value::Dict(d) | Value::Set(d) => std::rc::Rc::as_ptr(d) as *const u8 as usize,
        Value::Instance(i) => std::rc::Rc::as_ptr(i) as *const u8 as usize,
        Value::Tuple(t) => std::rc::Rc::as_ptr(t) as *const u8 as usize,
        Value::Function(f) => std::rc::Rc::as_ptr(f) as *const u8 as usize,
        Value::Class(c) => std::rc::Rc::as_ptr(c) as *const u8 as usize,
        other => {
            // Numbers, strings and the like: their value is their identity.
            let text = other.repr();
            text.bytes().fold(0xcbf29ce484222325u64, |h, b| {
                (h ^ b as u64).wrapping_mul(0x100000001b3)
            }) as usize
        }
    };
    Ok(Value::Number((n % (1usize << 52)) as f64))
}

fn f_setdefault(interp: &mut Interp, a: &mut Args) -> R<Value> {
    let d = dict_of(interp, a)?;
    let key = a.value(1);
    let h = interp.key_of(&key, a.span(1))?;
    let existing = d.borrow().get(&h).cloned();
    Ok(match existing {
        Some(v) => v,
        None => {
            let v = a.get(2).cloned().unwrap_or(Value::None);
            d.borrow_mut().insert(h, key, v.clone());
            v
        }
    })
}

fn f_dict_pop(interp: &mut Interp, a: &mut Args) -> R<Value> {
    let d = dict_of(interp, a)?;
    let key = a.value(1);
    let h = interp.key_of(&key, a.span(1))?;
    let removed = d.borrow_mut().remove(&h);
    let default = a
        .slots
        .get(2)
        .and_then(|s| s.as_ref())
        .map(|(v, _)| v.clone());
    match (removed, default) {
        (Some(v), _) => Ok(v),
        (None, Some(default)) => Ok(default),
        (None, None) => Err(interp.missing_key(&Value::Dict(d.clone()), &key, a.span(1))),
    }
}

fn f_dict_update(interp: &mut Interp, a: &mut Args) -> R<Value> {
    let d = dict_of(interp, a)?;
    let pairs: Vec<(Value, Value)> = match a.value(1) {
        Value::Dict(o) => o.borrow().entries.clone(),
        other => {
            let mut out = Vec::new();
            for p in interp.iter_values(&other, a.span(1))? {
                let kv = interp.iter_values(&p, a.span(1))?;
                if kv.len() != 2 {
                    return Err(interp.fail(
                        Diagnostic::error(
                            "type::argument",
                            "`update` needs a dict or (key, value) pairs",
                        )
                        .primary(a.span(1), "an item is not a pair"),
                    ));
                }
                out.push((kv[0].clone(), kv[1].clone()));
            }
            out
        }
    };
    for (k, v) in pairs {
        let h = interp.key_of(&k, a.span(1))?;
        d.borrow_mut().insert(h, k, v);
    }
    Ok(Value::None)
}

fn f_getattr(interp: &mut Interp, a: &mut Args) -> R<Value> {
    let obj = a.value(0);
    let name = a.string(interp, 1)?;
    let span = a.span(1);
    let got = match interp.object_attribute(&obj, &name, span) {
        Some(r) => r,
        None => {
            let e = crate::syntax::ast::Expr::new(crate::syntax::ast::ExprKind::None, a.span(0));
            interp.attribute(obj, &e, &name, span)
        }
    };
    // A default given (even `None`) answers a missing attribute.
    let default = a
        .slots
        .get(2)
        .and_then(|s| s.as_ref())
        .map(|(v, _)| v.clone());
    match (got, default) {
        (Ok(v), _) => Ok(v),
        (Err(_), Some(default)) => Ok(default),
        (Err(e), None) => Err(e),
    }
}

fn f_setattr(interp: &mut Interp, a: &mut Args) -> R<Value> {
    let name = a.string(interp, 1)?;
    interp.set_attribute(&a.value(0), a.span(0), &name, a.span(1), a.value(2))?;
    Ok(Value::None)
}

fn f_hasattr(interp: &mut Interp, a: &mut Args) -> R<Value> {
    let obj = a.value(0);
    let name = a.string(interp, 1)?;
    let span = a.span(1);
    let found = match interp.object_attribute(&obj, &name, span) {
        Some(r) => r.is_ok(),
        None => {
            let e = crate::syntax::ast::Expr::new(crate::syntax::ast::ExprKind::None, a.span(0));
            interp.attribute(obj, &e, &name, span).is_ok()
        }
    };
    Ok(Value::Bool(found))
}

fn descriptor(kind: crate::runtime::value::Descriptor, a: &Args) -> R<Value> {
    Ok(Value::Descriptor(std::rc::Rc::new((kind, a.value(0)))))
}

fn f_property(_: &mut Interp, a: &mut Args) -> R<Value> {
    descriptor(crate::runtime::value::Descriptor::Property, a)
}

fn f_staticmethod(_: &mut Interp, a: &mut Args) -> R<Value> {
    descriptor(crate::runtime::value::Descriptor::Static, a)
}

fn f_classmethod(_: &mut Interp, a: &mut Args) -> R<Value> {
    descriptor(crate::runtime::value::Descriptor::ClassMethod, a)
}

fn f_callable(_: &mut Interp, a: &mut Args) -> R<Value> {
    Ok(Value::Bool(match a.value(0) {
        Value::Function(_) | Value::Builtin(_) | Value::BoundMethod(_) | Value::Class(_) => true,
        Value::Instance(i) => i.class.find("__call__").is_some(),
        _ => false,
    }))
}

fn f_ord(interp: &mut Interp, a: &mut Args) -> R<Value> {
    let s = a.string(interp, 0)?;
    let mut chars = s.chars();
    match (chars.next(), chars.next()) {
        (Some(c), None) => Ok(Value::Number(c as u32 as f64)),
        _ => Err(interp.fail(
            Diagnostic::error(
                "type::argument",
                format!(
                    "`ord` needs one character, found a string of {}",
                    s.chars().count()
                ),
            )
            .primary(a.span(0), "not one character"),
        )),
    }
}

fn f_chr(interp: &mut Interp, a: &mut Args) -> R<Value> {
    let i = a.int(interp, 0)?;
    match u32::try_from(i).ok().and_then(char::from_u32) {
        Some(c) => Ok(Value::char(c)),
        None => Err(interp.fail(
            Diagnostic::error("value::argument", format!("{i} is not a character code"))
                .primary(a.span(0), "out of range"),
        )),
    }
}

/// The receiver of a method is not the kind the method is for.
fn receiver_error(interp: &Interp, a: &Args, want: &str, got: &Value) -> Box<Diagnostic> {
    interp.fail(
        Diagnostic::error(
            "type::argument",
            format!("expected a {want}, found a {}", got.kind()),
        )
        .primary(a.span(0), format!("this is a {}", got.kind())),
    )
}
