//! Python's statements beyond the core: chained and unpacking assignment, `class`,
//! `with`, `import`, `assert`, `raise`, `del`, `global`; and what objects do: attributes,
//! methods (bound to their instance), construction through `__init__`, `__call__`,
//! and `__repr__`/`__str__` when they are shown.

use crate::runtime::call::ArgVal;
use crate::runtime::interp::{Flow, Interp, R};
use crate::runtime::py::class::{Class, Instance};
use crate::runtime::py::modules::{find_module, Module};
use crate::runtime::value::{Descriptor, Value};
use crate::syntax::ast::{Expr, Stmt, StmtKind, Target};
use crate::syntax::diagnostic::Diagnostic;
use crate::syntax::span::{Span, Spanned};
use std::rc::Rc;

impl Interp {
    /// The statements of Python this module runs; `None` for the core ones.
    pub(crate) fn exec_python(&mut self, stmt: &Stmt) -> Option<R<Flow>> {
        Some(match &stmt.kind {
            StmtKind::MultiAssign { targets, value } => (|| {
                let v = self.eval(value)?;
                for t in targets {
                    self.assign_to(t, v.clone(), stmt.span)?;
                }
                Ok(Flow::Normal)
            })(),
            StmtKind::Class { name, base, body } => {
                self.exec_class(name, base.as_ref(), body, stmt.span)
            }
            StmtKind::With { items, body } => self.exec_with(items, body),
            StmtKind::Import { module, alias } => {
                self.exec_import(module, alias.as_ref(), stmt.span)
            }
            StmtKind::FromImport { module, names } => {
                self.exec_from_import(module, names, stmt.span)
            }
            StmtKind::Assert { cond, msg } => (|| {
                let c = self.eval(cond)?;
                if self.truthy(&c, cond.span)? {
                    return Ok(Flow::Normal);
                }
                let text = match msg {
                    Some(m) => {
                        let v = self.eval(m)?;
                        self.show(&v, false)?
                    }
                    None => String::new(),
                };
                let what = self.text_of(cond.span);
                let message = if text.is_empty() {
                    format!("assertion failed: `{what}`")
                } else {
                    format!("assertion failed: {text}")
                };
                Err(self.fail(
                    Diagnostic::error("assert::failed", message)
                        .primary(cond.span, "this condition is false")
                        .help("the `assert` stops the program when its condition does not hold"),
                ))
            })(),
            StmtKind::Raise(value) => (|| {
                if self.is_abstract() {
                    // The path ends here (a check follows no `raise`).
                    if let Some(e) = value {
                        self.eval(e)?;
                    }
                    self.abs_raised = true;
                    return Ok(Flow::Return(Value::None));
                }
                let (name, text) = match value {
                    None => ("RuntimeError".to_string(), "re-raised".to_string()),
                    Some(e) => {
                        let v = self.eval(e)?;
                        match &v {
                            Value::Instance(i) => {
                                let msg = i
                                    .get("args")
                                    .map(|a| self.show(&a, false))
                                    .transpose()?
                                    .unwrap_or_default();
                                (i.class.name.clone(), msg)
                            }
                            Value::Builtin(b) => (b.name.to_string(), String::new()),
                            other => ("Exception".to_string(), self.show(other, false)?),
                        }
                    }
                };
                let span = value.as_ref().map_or(stmt.span, |e| e.span);
                let message = if text.is_empty() {
                    name.clone()
                } else {
                    format!("{name}: {text}")
                };
                Err(self.fail(
                    Diagnostic::error("raise::exception", message)
                        .primary(span, format!("{name} raised here"))
                        .help("tsr has no `try`; the program stops at a `raise`"),
                ))
            })(),
            StmtKind::Del(targets) => (|| {
                for t in targets {
                    self.delete(t)?;
                }
                Ok(Flow::Normal)
            })(),
            StmtKind::Global(names) => {
                if let Some(frame) = self.frames.last_mut() {
                    for n in names {
                        frame.globals_declared.push(n.node.clone());
                    }
                }
                Ok(Flow::Normal)
            }
            _ => return None,
        })
    }

    fn exec_class(
        &mut self,
        name: &Spanned<String>,
        base: Option<&Expr>,
        body: &[Stmt],
        span: Span,
    ) -> R<Flow> {
        let base = match base {
            None => None,
            Some(e) => match self.eval(e)? {
                Value::Class(c) => Some(c),
                // `class Net(nn.Module)` / `(object)`: the base is not a tsr class.
                Value::Module(_) | Value::None | Value::Builtin(_) => None,
                other => {
                    return Err(self.fail(
                        Diagnostic::error(
                            "type::class",
                            format!("a class cannot derive from a {}", other.kind()),
                        )
                        .primary(e.span, format!("this is a {}", other.kind())),
                    ))
                }
            },
        };
        // The body runs in a scope of its own; what it binds becomes the class's. Its
        // methods see the variables of the function the class is defined in.
        let captured = self.capture();
        let isolated = self.frames.last().is_some_and(|f| f.isolated);
        self.frames.push(crate::runtime::interp::Frame {
            captured,
            class_body: true,
            isolated,
            ..Default::default()
        });
        let result = self.exec_block(body);
        let frame = self.frames.pop().unwrap_or_default();
        result?;
        let mut attrs: Vec<(String, Value)> = frame
            .locals
            .into_iter()
            .map(|(k, b)| (k.to_string(), b.value))
            .collect();
        // Definition order, for a stable listing.
        attrs.sort_by_key(|(k, _)| {
            body.iter()
                .position(|s| defines(s, k))
                .unwrap_or(usize::MAX)
        });
        let class = Rc::new(Class {
            name: name.node.clone(),
            base,
            attrs: crate::runtime::value::Attrs::new(attrs),
        });
        for (_, v) in class.attrs.borrow().iter() {
            if let Value::Function(f) = v {
                *f.owner.borrow_mut() = Some(Rc::downgrade(&class));
            }
        }
        self.bind(&name.node, Value::Class(class), span);
        Ok(Flow::Normal)
    }

    fn exec_with(&mut self, items: &[(Expr, Option<Target>)], body: &[Stmt]) -> R<Flow> {
        let mut no_grad = false;
        for (e, target) in items {
            let v = self.eval(e)?;
            if is_no_grad(&v) {
                no_grad = true;
            }
            if let Some(t) = target {
                self.assign_to(t, v, e.span)?;
            }
        }
        if no_grad {
            let _guard = crate::tensor::NoGradGuard::new();
            return self.exec_block(body);
        }
        self.exec_block(body)
    }

    fn exec_import(
        &mut self,
        module: &Spanned<String>,
        alias: Option<&Spanned<String>>,
        span: Span,
    ) -> R<Flow> {
        let m = self.module(module)?;
        match alias {
            Some(a) => self.bind(&a.node, Value::Module(m), span),
            None => {
                // `import torch.nn.functional` binds `torch`.
                let top = module.node.split('.').next().unwrap_or("");
                let root = find_module(top).unwrap_or(m);
                self.bind(top, Value::Module(root), span);
            }
        }
        Ok(Flow::Normal)
    }

    fn exec_from_import(
        &mut self,
        module: &Spanned<String>,
        names: &[(Spanned<String>, Option<Spanned<String>>)],
        span: Span,
    ) -> R<Flow> {
        let m = self.module(module)?;
        for (n, alias) in names {
            let v = self.module_member(m, &n.node, n.span)?;
            self.bind(&alias.as_ref().unwrap_or(n).node, v, span);
        }
        Ok(Flow::Normal)
    }

    fn module(&self, module: &Spanned<String>) -> R<&'static Module> {
        // `import matplotlib.pyplot as plt` and others tsr draws itself are not modules yet.
        find_module(&module.node).ok_or_else(|| {
            self.fail(
                Diagnostic::error("import::unknown", format!("tsr has no module `{}`", module.node))
                    .primary(module.span, "not a module tsr provides")
                    .help("tsr provides `numpy`, `torch` (with `torch.nn`, `torch.nn.functional`, `torch.optim`), `math`, `random`, `time`, `collections` and `matplotlib.pyplot`, over its own builtins"),
            )
        })
    }

    pub(crate) fn module_member(&mut self, m: &'static Module, name: &str, span: Span) -> R<Value> {
        if let Some(v) = m.member(name, self.builtins) {
            return Ok(v);
        }
        if m.prelude.is_some() {
            if let Some(v) = self.prelude(m, span)?.get(name) {
                return Ok(v.clone());
            }
        }
        let mut d = Diagnostic::error(
            "name::unknown",
            format!("tsr's `{}` has no `{name}`", m.name),
        )
        .primary(span, format!("`{name}` is not in tsr's `{}`", m.name));
        let mut names = m.names(self.builtins);
        if let Some(p) = self.preludes.get(m.name) {
            names.extend(p.keys().filter(|k| !k.starts_with('_')).cloned());
        }
        d = match crate::runtime::explain::did_you_mean(name, names.into_iter()) {
            Some(s) => d.help(format!("the nearest tsr has is `{s}`")),
            None => d.help("the tsr builtins are listed in docs/language.md"),
        };
        Err(self.fail(d))
    }

    /// The members a module's tsr prelude defines, running it the first time.
    fn prelude(
        &mut self,
        m: &'static Module,
        span: Span,
    ) -> R<Rc<std::collections::HashMap<String, Value>>> {
        if let Some(p) = self.preludes.get(m.name) {
            return Ok(p.clone());
        }
        let text = m.prelude.unwrap_or("");
        let (program, errors) = crate::syntax::parser::parse(text);
        if let Some(e) = errors.into_iter().next() {
            return Err(self.fail(
                Diagnostic::error(
                    "import::prelude",
                    format!("tsr's own `{}` does not parse: {}", m.name, e.message),
                )
                .primary(span, "while loading this"),
            ));
        }
        let src = self.add_source(&format!("<{}>", m.name), text);
        self.sources[src].library = true;
        let caller = std::mem::replace(&mut self.src_id, src);
        self.frames.push(crate::runtime::interp::Frame {
            isolated: true,
            ..Default::default()
        });
        let result = self.exec_block(&program.stmts);
        let frame = self.frames.pop().unwrap_or_default();
        self.src_id = caller;
        result?;
        // Every function of the module sees the whole module (Python's module globals):
        // a method of `Module` refers to `Module`, defined after the method.
        let env = Rc::new(frame.locals);
        let share = |f: &crate::runtime::value::UserFn| {
            let mut full = (*env).clone();
            if let Some(own) = f.captured.borrow().as_ref() {
                for (k, v) in own.iter() {
                    full.insert(k.clone(), v.clone());
                }
            }
            *f.captured.borrow_mut() = Some(Rc::new(full));
        };
        for b in env.values() {
            match &b.value {
                Value::Function(f) => share(f),
                Value::Class(c) => {
                    for (_, v) in c.attrs.borrow().iter() {
                        if let Value::Function(f) = v {
                            share(f);
                        }
                    }
                }
                _ => {}
            }
        }
        let values: std::collections::HashMap<String, Value> = env
            .iter()
            .map(|(k, b)| (k.to_string(), b.value.clone()))
            .collect();
        let values = Rc::new(values);
        self.preludes.insert(m.name, values.clone());
        Ok(values)
    }

    fn delete(&mut self, t: &Target) -> R<()> {
        match t {
            Target::Name(n) => {
                let env = match self.frames.last_mut() {
                    Some(f) => &mut f.locals,
                    None => &mut self.globals,
                };
                if env.remove(n.node.as_str()).is_none() {
                    return Err(self.unknown_name(&n.node, n.span));
                }
                Ok(())
            }
            Target::Index {
                object,
                items,
                span,
            } => {
                let obj = self.eval(object)?;
                let [crate::syntax::ast::IndexItem::Index(ie)] = items.as_slice() else {
                    return Err(self.fail(
                        Diagnostic::error("type::index", "`del` takes one index")
                            .primary(*span, "here"),
                    ));
                };
                let i = self.eval(ie)?;
                match &obj {
                    Value::List(l) => {
                        let len = l.borrow().len();
                        let pos = self.list_position(&i, ie.span, len)?;
                        l.borrow_mut().remove(pos);
                        Ok(())
                    }
                    Value::Dict(d) => {
                        let k = self.key_of(&i, ie.span)?;
                        if d.borrow_mut().remove(&k).is_none() {
                            return Err(self.missing_key(&obj, &i, ie.span));
                        }
                        Ok(())
                    }
                    other => Err(self.fail(
                        Diagnostic::error(
                            "type::index",
                            format!("cannot `del` an item of a {}", other.kind()),
                        )
                        .primary(object.span, format!("this is a {}", other.kind())),
                    )),
                }
            }
            Target::Attr { object, name, .. } => {
                let obj = self.eval(object)?;
                match &obj {
                    Value::Instance(i) if i.remove(&name.node) => Ok(()),
                    _ => Err(self.fail(
                        Diagnostic::error(
                            "name::attribute",
                            format!("no attribute `{}` to delete", name.node),
                        )
                        .primary(name.span, "here"),
                    )),
                }
            }
            Target::Tuple { items, .. } => {
                for t in items {
                    self.delete(t)?;
                }
                Ok(())
            }
            Target::Starred { target, .. } => self.delete(target),
        }
    }

    /// `name::key`: a dict has no such key; names the keys it has, and a close one.
    pub(crate) fn missing_key(&self, dict: &Value, key: &Value, span: Span) -> Box<Diagnostic> {
        if self.is_abstract() {
            // A check may have left keys out (stored under keys it did not know).
            return crate::runtime::paths::undecided(span);
        }
        let keys: Vec<String> = match dict {
            Value::Dict(d) => d.borrow().keys().map(|k| k.repr()).collect(),
            _ => Vec::new(),
        };
        let shown: Vec<String> = keys.iter().take(10).cloned().collect();
        let more = if keys.len() > 10 { ", ..." } else { "" };
        let mut d = Diagnostic::error("name::key", format!("the dict has no key {}", key.repr()))
            .primary(span, "no such key");
        let close = crate::runtime::explain::did_you_mean(&key.repr(), keys.iter().cloned());
        d = match close {
            Some(c) => d.help(format!(
                "did you mean {c}? the keys are {}{more}",
                shown.join(", ")
            )),
            None if keys.is_empty() => d.help(
                "the dict is empty; use `d.get(k, default)` to read a key that may be missing",
            ),
            None => d.help(format!(
                "the keys are {}{more}; use `d.get(k, default)` for a key that may be missing",
                shown.join(", ")
            )),
        };
        self.fail(d)
    }

    /// `obj.name = value`.
    pub(crate) fn set_attribute(
        &mut self,
        obj: &Value,
        obj_span: Span,
        name: &str,
        name_span: Span,
        value: Value,
    ) -> R<()> {
        if let Value::Abs(_) = obj {
            // A tensor's `.requires_grad`, `.grad` or `.data` (a check follows no data).
            return Ok(());
        }
        match obj {
            Value::Instance(i)
                if matches!(
                    i.class.find(name),
                    Some(Value::Descriptor(d)) if d.0 == Descriptor::Property
                ) =>
            {
                Err(self.fail(
                    Diagnostic::error(
                        "type::attribute",
                        format!("`{name}` is a property of `{}`: it cannot be set", i.class.name),
                    )
                    .primary(name_span, "a property without a setter")
                    .help(format!(
                        "tsr's properties are read-only (there is no `@{name}.setter`): set the attribute the property reads instead"
                    )),
                ))
            }
            Value::Instance(i) => {
                i.set(name, value);
                Ok(())
            }
            Value::Class(c) => {
                c.attrs.set(name, value);
                Ok(())
            }
            // PyTorch's tensor flags: every tensor takes a gradient (`requires_grad`),
            // `backward` replaces gradients (`p.grad = None` has nothing to clear), and
            // `p.data = t` sets the values in place.
            Value::Tensor(_)
                if name == "requires_grad" || (name == "grad" && matches!(value, Value::None)) =>
            {
                Ok(())
            }
            Value::Tensor(t) if name == "data" => {
                let new = self.to_tensor(&value, name_span)?;
                self.note_changed(t, name_span);
                crate::tensor::set_index(t, &[], &new).map_err(|e| {
                    self.fail(crate::runtime::explain::tensor_error(
                        self,
                        e,
                        &crate::runtime::explain::Site::call("data", name_span, vec![]),
                    ))
                })
            }
            other => {
                Err(self.fail(
                    Diagnostic::error("type::attribute", format!("cannot set an attribute on a {}", other.kind()))
                        .primary(obj_span, format!("this is a {}", other.kind()))
                        .help("attributes can be set on instances of your classes; a tensor's `.grad` is set by `backward`"),
                ))
            }
        }
    }

    /// `obj.name` on an instance, class or module; `None` when the object is not one.
    pub(crate) fn object_attribute(
        &mut self,
        obj: &Value,
        name: &str,
        span: Span,
    ) -> Option<R<Value>> {
        // A property (or static/class method) is read through the class before the
        // instance's own attributes, as Python's data descriptors are.
        if let Value::Instance(i) = obj {
            if let Some(Value::Descriptor(d)) = i.class.find(name) {
                return Some(self.descriptor_get(&d, Some(obj), &i.class, span));
            }
        }
        Some(match obj {
            Value::Instance(i) if name == "__class__" => Ok(Value::Class(i.class.clone())),
            Value::Class(c) if name == "__name__" => Ok(Value::str(&c.name)),
            Value::Instance(i) => match i.get(name) {
                Some(v) => Ok(v),
                None => match i.class.find(name) {
                    Some(f @ (Value::Function(_) | Value::Builtin(_))) => {
                        Ok(Value::BoundMethod(Rc::new((obj.clone(), f))))
                    }
                    Some(v) => Ok(v),
                    None => Err(self.no_attribute(&i.class, name, span)),
                },
            },
            Value::Class(c) => match c.find(name) {
                Some(Value::Descriptor(d)) => self.descriptor_get(&d, None, c, span),
                Some(v) => Ok(v),
                None => Err(self.no_attribute(c, name, span)),
            },
            Value::Module(m) => self.module_member(m, name, span),
            Value::Super(s) => match s.1.as_ref().and_then(|c| c.find(name)) {
                Some(f @ Value::Function(_)) => Ok(Value::BoundMethod(Rc::new((s.0.clone(), f)))),
                Some(v) => Ok(v),
                // `object`'s own `__init__` takes nothing and does nothing.
                None if name == "__init__" => match self.builtins.find("object.__init__") {
                    Some(b) => Ok(Value::Builtin(b)),
                    None => Err(self.fail(
                        Diagnostic::error("name::unknown", "no `object.__init__`")
                            .primary(span, "here"),
                    )),
                },
                None => Err(self.fail(
                    Diagnostic::error(
                        "name::attribute",
                        format!("the base class has no attribute `{name}`"),
                    )
                    .primary(span, "not found by `super()`"),
                )),
            },
            _ => return None,
        })
    }

    /// `super()` inside a method: the instance (its first parameter) seen from the base
    /// of the class that defined the method.
    pub(crate) fn super_object(&self, span: Span) -> R<Value> {
        let frame = self.frames.last();
        let func = frame.and_then(|f| f.func.clone());
        let owner = func
            .as_ref()
            .and_then(|f| f.owner.borrow().as_ref().and_then(|w| w.upgrade()));
        let (Some(func), Some(owner)) = (func, owner) else {
            return Err(self.fail(
                Diagnostic::error("type::super", "`super()` is used outside a method")
                    .primary(span, "not inside a method of a class")
                    .help("call `super().method(...)` inside `def method(self, ...)` of a class"),
            ));
        };
        let this = func
            .params
            .first()
            .and_then(|p| self.lookup(&p.name.node))
            .map(|b| b.value.clone())
            .unwrap_or(Value::None);
        Ok(Value::Super(Rc::new((this, owner.base.clone()))))
    }

    fn no_attribute(&self, class: &Class, name: &str, span: Span) -> Box<Diagnostic> {
        let mut names: Vec<String> = class
            .attrs
            .borrow()
            .iter()
            .map(|(n, _)| n.clone())
            .collect();
        let mut base = class.base.clone();
        while let Some(b) = base {
            names.extend(b.attrs.borrow().iter().map(|(n, _)| n.clone()));
            base = b.base.clone();
        }
        let mut d = Diagnostic::error(
            "name::attribute",
            format!("a `{}` object has no attribute `{name}`", class.name),
        )
        .primary(
            span,
            format!("not an attribute or method of `{}`", class.name),
        );
        d = match crate::runtime::explain::did_you_mean(name, names.into_iter()) {
            Some(s) => d.help(format!("did you mean `{s}`?")),
            None => d.help(format!("set it in `__init__` (`self.{name} = ...`) or define `def {name}(self, ...)` in the class")),
        };
        self.fail(d)
    }

    /// What `obj.name` (or `Class.name` when `obj` is `None`) gives for a function
    /// wrapped by `property`, `staticmethod` or `classmethod`.
    fn descriptor_get(
        &mut self,
        d: &Rc<(Descriptor, Value)>,
        obj: Option<&Value>,
        class: &Rc<Class>,
        span: Span,
    ) -> R<Value> {
        match (d.0, obj) {
            (Descriptor::Property, Some(obj)) => {
                let arg = ArgVal {
                    name: None,
                    value: obj.clone(),
                    span,
                };
                self.call(&d.1, vec![arg], span, span)
            }
            (Descriptor::Property, None) => Ok(Value::Descriptor(d.clone())),
            (Descriptor::Static, _) => Ok(d.1.clone()),
            (Descriptor::ClassMethod, _) => Ok(Value::BoundMethod(Rc::new((
                Value::Class(class.clone()),
                d.1.clone(),
            )))),
        }
    }

    /// Call `obj.name(args)` on an instance; errors if it has no such method.
    pub(crate) fn call_method(
        &mut self,
        obj: Value,
        name: &str,
        args: Vec<ArgVal>,
        span: Span,
    ) -> R<Value> {
        let f = match self.object_attribute(&obj, name, span) {
            Some(r) => r?,
            None => return Err(self.unknown_method(name, span, obj.kind())),
        };
        self.call(&f, args, span, span)
    }

    /// Construct an instance: a new object, then `__init__` with the arguments.
    pub(crate) fn construct(
        &mut self,
        class: &Rc<Class>,
        args: Vec<ArgVal>,
        callee: Span,
        call: Span,
    ) -> R<Value> {
        let obj = Value::Instance(Rc::new(Instance {
            class: class.clone(),
            attrs: crate::runtime::value::Attrs::new(Vec::new()),
        }));
        match class.find("__init__") {
            Some(init) => {
                let mut argv = vec![ArgVal {
                    name: None,
                    value: obj.clone(),
                    span: callee,
                }];
                argv.extend(args);
                self.call(&init, argv, callee, call)?;
            }
            None if is_exception_name(&class.name) || class_is_exception(class) => {
                // `raise ValueError("msg")`: the message is kept as `args`.
                if let Value::Instance(i) = &obj {
                    if let Some(a) = args.into_iter().next() {
                        i.set("args", a.value);
                    }
                }
            }
            None if !args.is_empty() => {
                return Err(self.fail(
                    Diagnostic::error(
                        "call::arity",
                        format!("`{}()` takes no arguments", class.name),
                    )
                    .primary(call, format!("{} arguments given", args.len()))
                    .help(format!(
                        "define `def __init__(self, ...)` in `{}` to take arguments",
                        class.name
                    )),
                ))
            }
            None => {}
        }
        Ok(obj)
    }

    /// How a value is shown by `print` (`repr == false`) or as a result: an instance
    /// with `__str__`/`__repr__` runs it; containers show their items the same way.
    pub fn show(&mut self, v: &Value, repr: bool) -> R<String> {
        match v {
            Value::Instance(i) => {
                let method = if repr { "__repr__" } else { "__str__" };
                let f = i.class.find(method).or_else(|| i.class.find("__repr__"));
                match f {
                    Some(f @ (Value::Function(_) | Value::Builtin(_))) => {
                        let bound = Value::BoundMethod(Rc::new((v.clone(), f)));
                        let out =
                            self.call(&bound, Vec::new(), Span::new(0, 0), Span::new(0, 0))?;
                        Ok(out.display())
                    }
                    _ => Ok(v.repr()),
                }
            }
            Value::List(items) if contains_instance(v) => {
                let items = items.borrow().clone();
                let parts: R<Vec<String>> = items.iter().map(|x| self.show(x, true)).collect();
                Ok(format!("[{}]", parts?.join(", ")))
            }
            Value::Tuple(items) if contains_instance(v) => {
                let parts: R<Vec<String>> = items.iter().map(|x| self.show(x, true)).collect();
                let parts = parts?;
                let comma = if parts.len() == 1 { "," } else { "" };
                Ok(format!("({}{comma})", parts.join(", ")))
            }
            _ if repr => Ok(v.repr()),
            _ => Ok(v.display()),
        }
    }
}

fn contains_instance(v: &Value) -> bool {
    contains_instance_at(v, 0)
}

fn contains_instance_at(v: &Value, depth: usize) -> bool {
    if depth > 50 {
        return false;
    }
    match v {
        Value::Instance(_) => true,
        Value::List(items) => items
            .try_borrow()
            .map(|i| i.iter().any(|x| contains_instance_at(x, depth + 1)))
            .unwrap_or(false),
        Value::Tuple(items) => items.iter().any(|x| contains_instance_at(x, depth + 1)),
        _ => false,
    }
}

fn defines(s: &Stmt, name: &str) -> bool {
    match &s.kind {
        StmtKind::Def { name: n, .. } => n.node == name,
        StmtKind::Assign {
            target: Target::Name(n),
            ..
        } => n.node == name,
        _ => false,
    }
}

fn is_no_grad(v: &Value) -> bool {
    matches!(v, Value::Builtin(b) if b.name == "no_grad")
        || matches!(v, Value::Instance(i) if i.class.name == "no_grad")
        || matches!(v, Value::Str(s) if s.as_ref() == "<no_grad>")
}

fn is_exception_name(name: &str) -> bool {
    name.ends_with("Error") || name.ends_with("Exception") || name == "StopIteration"
}

fn class_is_exception(c: &Class) -> bool {
    is_exception_name(&c.name) || c.base.as_ref().is_some_and(|b| class_is_exception(b))
}
