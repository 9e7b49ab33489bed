//! Binding a call's arguments to a user function's parameters, as Python does:
//! positional parameters, `*args`, keyword-only parameters and `**kwargs`, with the
//! arity and keyword diagnostics (run and `tsr check` alike).

use crate::runtime::explain;
use crate::runtime::value::{Dict, Key, Value};
use crate::syntax::ast::{Param, ParamKind};
use crate::syntax::diagnostic::Diagnostic;
use crate::syntax::span::Span;

/// The signature's parameter list as written: `a, b=1, *args, c, **kw` (a bare `*`
/// where keyword-only parameters follow no `*args`).
fn param_list(params: &[Param], defaults: &[Option<Value>]) -> String {
    let mut parts = Vec::with_capacity(params.len() + 1);
    let mut starred = false;
    for (p, d) in params.iter().zip(defaults) {
        let name = &p.name.node;
        match p.kind {
            ParamKind::Star => {
                starred = true;
                parts.push(format!("*{name}"));
                continue;
            }
            ParamKind::StarStar => {
                parts.push(format!("**{name}"));
                continue;
            }
            ParamKind::KwOnly if !starred => {
                starred = true;
                parts.push("*".to_string());
            }
            _ => {}
        }
        parts.push(match d {
            Some(v) => format!("{name}={}", v.repr()),
            None => name.clone(),
        });
    }
    parts.join(", ")
}

/// `**kwargs`'s dict of the keyword arguments no parameter named, in their order.
fn kwargs_dict(items: Vec<(String, Value)>) -> Value {
    let mut d = Dict::default();
    for (k, v) in items {
        let k = Value::str(&k);
        if let Some(key) = Key::of(&k) {
            d.insert(key, k, v);
        }
    }
    Value::dict(d)
}

/// Binds the arguments of a call of the user function `name` to its parameters by
/// Python's rules, for the evaluator and `tsr check` alike. For each parameter: its
/// value and the span of the argument that gave it (`None`: its default, or a collected
/// `*args` tuple or `**kwargs` dict).
pub fn bind_user_args(
    name: &str,
    params: &[Param],
    defaults: &[Option<Value>],
    args: impl IntoIterator<Item = (Option<(String, Span)>, Value, Span)>,
    callee_span: Span,
    call_span: Span,
) -> Result<Vec<(Value, Option<Span>)>, Diagnostic> {
    // The positional parameters come first; `*args` collects the positional arguments
    // after them, and `**kwargs` the keywords that name no parameter.
    let n = params
        .iter()
        .take_while(|p| p.kind == ParamKind::Plain)
        .count();
    let star = params.iter().any(|p| p.kind == ParamKind::Star);
    let star_kw = params.iter().any(|p| p.kind == ParamKind::StarStar);
    let mut extra: Vec<Value> = Vec::new();
    let mut extra_kw: Vec<(String, Value)> = Vec::new();
    let sig = || {
        format!(
            "the signature is `{name}({})`",
            param_list(params, defaults)
        )
    };
    let mut slots: Vec<Option<(Value, Span)>> = vec![None; params.len()];
    let mut positional = 0;
    for (keyword, value, span) in args {
        match keyword {
            None => {
                if positional >= n && star {
                    extra.push(value);
                    continue;
                }
                if positional >= n {
                    return Err(Diagnostic::error(
                        "call::arity",
                        format!(
                            "`{name}` takes {n} {}argument{} but more were given",
                            if params.iter().any(|p| p.kind == ParamKind::KwOnly) {
                                "positional "
                            } else {
                                ""
                            },
                            if n == 1 { "" } else { "s" }
                        ),
                    )
                    .primary(span, "unexpected extra argument")
                    .label(
                        callee_span,
                        format!(
                            "`{name}` is defined with ({})",
                            param_list(params, defaults)
                        ),
                    )
                    .help(match params.iter().find(|p| p.kind == ParamKind::KwOnly) {
                        Some(p) => format!(
                            "the parameters after `*` are keyword-only: pass `{0}` as `{0}=...`; {1}",
                            p.name.node,
                            sig()
                        ),
                        None => sig(),
                    }));
                }
                slots[positional] = Some((value, span));
                positional += 1;
            }
            Some((key, key_span)) => {
                let named = params.iter().position(|p| {
                    p.name.node == key && matches!(p.kind, ParamKind::Plain | ParamKind::KwOnly)
                });
                let given_twice = match named {
                    Some(i) => slots[i].is_some(),
                    None => extra_kw.iter().any(|(k, _)| *k == key),
                };
                if given_twice {
                    return Err(Diagnostic::error(
                        "call::keyword",
                        format!("`{name}` got two values for `{key}`"),
                    )
                    .primary(key_span, "given again here")
                    .help(sig()));
                }
                match named {
                    Some(i) => slots[i] = Some((value, span)),
                    None if star_kw => extra_kw.push((key, value)),
                    None => {
                        let d = Diagnostic::error(
                            "call::keyword",
                            format!("`{name}` has no parameter `{key}`"),
                        )
                        .primary(key_span, "unknown keyword");
                        let names = params.iter().map(|p| p.name.node.clone());
                        return Err(match explain::did_you_mean(&key, names) {
                            Some(s) => d.help(format!("did you mean `{s}`? {}", sig())),
                            None => d.help(sig()),
                        });
                    }
                }
            }
        }
    }
    let mut out = Vec::with_capacity(params.len());
    for (i, p) in params.iter().enumerate() {
        match p.kind {
            ParamKind::Star => {
                out.push((Value::tuple(std::mem::take(&mut extra)), None));
                continue;
            }
            ParamKind::StarStar => {
                out.push((kwargs_dict(std::mem::take(&mut extra_kw)), None));
                continue;
            }
            ParamKind::Plain | ParamKind::KwOnly => {}
        }
        match (slots[i].take(), &defaults[i]) {
            (Some((v, span)), _) => out.push((v, Some(span))),
            (None, Some(d)) => out.push((d.clone(), None)),
            (None, None) => {
                let what = if p.kind == ParamKind::KwOnly {
                    format!("the keyword argument `{}`", p.name.node)
                } else {
                    format!("the argument `{}`", p.name.node)
                };
                let help = if p.kind == ParamKind::KwOnly {
                    format!(
                        "`{}` is keyword-only: pass it as `{}=...`; {}",
                        p.name.node,
                        p.name.node,
                        sig()
                    )
                } else {
                    sig()
                };
                return Err(Diagnostic::error(
                    "call::arity",
                    format!("`{name}` is missing {what}"),
                )
                .primary(call_span, format!("no value for `{}`", p.name.node))
                .help(help));
            }
        }
    }
    Ok(out)
}
