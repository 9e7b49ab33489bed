//! The methods of strings, rows named `str.NAME` that `s.NAME(...)` finds by the
//! receiver's type: `split`, `join`, `strip`, `replace`, `format`, `count`, ...

use crate::runtime::interp::{Interp, R};
use crate::runtime::py::format::{format_value, parse_template};
use crate::runtime::value::{Args, Builtin, Value, P};
use crate::syntax::diagnostic::Diagnostic;

use P::{Opt, Req, Var, VarKw};

pub static TABLE: &[Builtin] = &[
    b!(
        "str.rjust",
        [Req("s"), Req("width"), Opt("fillchar", "' '")],
        "the string right-aligned in width characters",
        "\"7\".rjust(3)",
        f_rjust
    ),
    b!(
        "str.ljust",
        [Req("s"), Req("width"), Opt("fillchar", "' '")],
        "the string left-aligned in width characters",
        "\"a\".ljust(3)",
        f_ljust
    ),
    b!(
        "str.center",
        [Req("s"), Req("width"), Opt("fillchar", "' '")],
        "the string centred in width characters",
        "\"a\".center(5)",
        f_center
    ),
    b!(
        "str.zfill",
        [Req("s"), Req("width")],
        "the string padded with zeros on the left to width (after a sign)",
        "\"7\".zfill(3)",
        f_zfill
    ),
    b!(
        "str.rsplit",
        [Req("s"), Opt("sep", "None"), Opt("maxsplit", "-1")],
        "the words of a string, splitting from the right",
        "\"a.b.c\".rsplit(\".\", 1)",
        f_rsplit
    ),
    b!(
        "str.partition",
        [Req("s"), Req("sep")],
        "(before, sep, after) at the first sep",
        "\"k=v\".partition(\"=\")",
        f_partition
    ),
    b!(
        "str.split",
        [Req("s"), Opt("sep", "None"), Opt("maxsplit", "-1")],
        "the words of a string (split at whitespace, or at sep)",
        "\"a b\".split()",
        f_split
    ),
    b!(
        "str.join",
        [Req("sep"), Req("items")],
        "the strings of items joined by sep",
        "\", \".join(names)",
        f_join
    ),
    b!(
        "str.strip",
        [Req("s"), Opt("chars", "None")],
        "the string without leading and trailing whitespace (or chars)",
        "\" a \".strip()",
        f_strip
    ),
    b!(
        "str.lstrip",
        [Req("s"), Opt("chars", "None")],
        "the string without leading whitespace (or chars)",
        "\" a\".lstrip()",
        f_lstrip
    ),
    b!(
        "str.rstrip",
        [Req("s"), Opt("chars", "None")],
        "the string without trailing whitespace (or chars)",
        "\"a\\n\".rstrip()",
        f_rstrip
    ),
    b!(
        "str.upper",
        [Req("s")],
        "the string in upper case",
        "\"a\".upper()",
        f_upper
    ),
    b!(
        "str.lower",
        [Req("s")],
        "the string in lower case",
        "\"A\".lower()",
        f_lower
    ),
    b!(
        "str.replace",
        [Req("s"), Req("old"), Req("new")],
        "the string with every old replaced by new",
        "\"a-b\".replace(\"-\", \"_\")",
        f_replace
    ),
    b!(
        "str.startswith",
        [Req("s"), Req("prefix")],
        "whether the string starts with prefix",
        "name.startswith(\"a\")",
        f_startswith
    ),
    b!(
        "str.endswith",
        [Req("s"), Req("suffix")],
        "whether the string ends with suffix",
        "path.endswith(\".npy\")",
        f_endswith
    ),
    b!(
        "str.splitlines",
        [Req("s")],
        "the lines of a string",
        "text.splitlines()",
        f_splitlines
    ),
    b!(
        "str.format",
        [Req("template"), Var("args"), VarKw("kwargs")],
        "the template with each {} field replaced by the next argument, formatted by its spec",
        "\"{} {:.2f}\".format(\"loss\", 0.5)",
        f_format
    ),
    b!(
        "str.capitalize",
        [Req("s")],
        "the string with its first letter upper case and the rest lower case",
        "\"emma\".capitalize()",
        f_capitalize
    ),
    b!(
        "str.title",
        [Req("s")],
        "the string with each word capitalised",
        "\"the end\".title()",
        f_title
    ),
    b!(
        "str.count",
        [Req("s"), Req("sub")],
        "how many times sub occurs (without overlapping)",
        "\"banana\".count(\"a\")",
        f_str_count
    ),
    b!(
        "str.find",
        [Req("s"), Req("sub")],
        "the position of the first sub, or -1",
        "\"banana\".find(\"n\")",
        f_find
    ),
    b!(
        "str.isdigit",
        [Req("s")],
        "whether the string is non-empty and all digits",
        "\"42\".isdigit()",
        f_isdigit
    ),
    b!(
        "str.isalpha",
        [Req("s")],
        "whether the string is non-empty and all letters",
        "\"ab\".isalpha()",
        f_isalpha
    ),
    b!(
        "str.isupper",
        [Req("s")],
        "whether the string has letters and they are all upper case",
        "\"AB\".isupper()",
        f_isupper
    ),
    b!(
        "str.islower",
        [Req("s")],
        "whether the string has letters and they are all lower case",
        "\"ab\".islower()",
        f_islower
    ),
    b!(
        "str.isspace",
        [Req("s")],
        "whether the string is non-empty and all whitespace",
        "\" \".isspace()",
        f_isspace
    ),
];

fn text(interp: &Interp, a: &Args, i: usize) -> R<String> {
    a.string(interp, i)
}

fn f_split(interp: &mut Interp, a: &mut Args) -> R<Value> {
    let s = text(interp, a, 0)?;
    let max = a.number_or(interp, 2, -1.0)?;
    let parts: Vec<String> = match a.get(1) {
        None | Some(Value::None) => {
            if max >= 0.0 {
                let mut out: Vec<String> = Vec::new();
                let mut rest = s.trim_start();
                while !rest.is_empty() && (out.len() as f64) < max {
                    let end = rest.find(char::is_whitespace).unwrap_or(rest.len());
                    out.push(rest[..end].to_string());
                    rest = rest[end..].trim_start();
                }
                if !rest.is_empty() {
                    out.push(rest.to_string());
                }
                out
            } else {
                s.split_whitespace().map(str::to_string).collect()
            }
        }
        Some(_) => {
            let sep = text(interp, a, 1)?;
            if sep.is_empty() {
                return Err(interp.fail(
                    Diagnostic::error("value::argument", "empty separator")
                        .primary(a.span(1), "an empty string"),
                ));
            }
            if max >= 0.0 {
                s.splitn(max as usize + 1, sep.as_str())
                    .map(str::to_string)
                    .collect()
            } else {
                s.split(sep.as_str()).map(str::to_string).collect()
            }
        }
    };
    Ok(Value::list(parts.iter().map(|p| Value::str(p)).collect()))
}

fn f_join(interp: &mut Interp, a: &mut Args) -> R<Value> {
    let sep = text(interp, a, 0)?;
    let items = interp.iter_values(&a.value(1), a.span(1))?;
    let mut parts = Vec::with_capacity(items.len());
    for v in items {
        match v {
            Value::Str(s) => parts.push(s.to_string()),
            other => {
                return Err(interp.fail(
                    Diagnostic::error(
                        "type::argument",
                        format!("`join` takes strings, found a {}", other.kind()),
                    )
                    .primary(a.span(1), "an item is not a string")
                    .help("convert each item: `sep.join(str(x) for x in xs)`"),
                ))
            }
        }
    }
    Ok(Value::str(&parts.join(&sep)))
}

fn strip_with(
    interp: &mut Interp,
    a: &Args,
    f: fn(&str, &dyn Fn(char) -> bool) -> String,
) -> R<Value> {
    let s = text(interp, a, 0)?;
    let chars: Option<String> = match a.get(1) {
        None | Some(Value::None) => None,
        Some(_) => Some(text(interp, a, 1)?),
    };
    let pred = move |c: char| match &chars {
        Some(cs) => cs.contains(c),
        None => c.is_whitespace(),
    };
    Ok(Value::str(&f(&s, &pred)))
}

fn f_strip(interp: &mut Interp, a: &mut Args) -> R<Value> {
    strip_with(interp, a, |s, p| s.trim_matches(|c| p(c)).to_string())
}

fn f_lstrip(interp: &mut Interp, a: &mut Args) -> R<Value> {
    strip_with(interp, a, |s, p| s.trim_start_matches(|c| p(c)).to_string())
}

fn f_rstrip(interp: &mut Interp, a: &mut Args) -> R<Value> {
    strip_with(interp, a, |s, p| s.trim_end_matches(|c| p(c)).to_string())
}

fn f_upper(interp: &mut Interp, a: &mut Args) -> R<Value> {
    Ok(Value::str(&text(interp, a, 0)?.to_uppercase()))
}

fn f_lower(interp: &mut Interp, a: &mut Args) -> R<Value> {
    Ok(Value::str(&text(interp, a, 0)?.to_lowercase()))
}

fn f_replace(interp: &mut Interp, a: &mut Args) -> R<Value> {
    let (s, old, new) = (
        text(interp, a, 0)?,
        text(interp, a, 1)?,
        text(interp, a, 2)?,
    );
    Ok(Value::str(&s.replace(&old, &new)))
}

/// The affixes to test: one string or a tuple of them (`s.startswith(("a", "b"))`).
fn affixes(interp: &Interp, a: &Args) -> R<Vec<String>> {
    match a.value(1) {
        Value::Tuple(items) => items
            .iter()
            .map(|v| match v {
                Value::Str(s) => Ok(s.to_string()),
                other => Err(interp.fail(
                    Diagnostic::error(
                        "type::argument",
                        format!("expected strings, found a {}", other.kind()),
                    )
                    .primary(a.span(1), "in this tuple"),
                )),
            })
            .collect(),
        _ => Ok(vec![text(interp, a, 1)?]),
    }
}

fn f_startswith(interp: &mut Interp, a: &mut Args) -> R<Value> {
    let s = text(interp, a, 0)?;
    Ok(Value::Bool(
        affixes(interp, a)?
            .iter()
            .any(|p| s.starts_with(p.as_str())),
    ))
}

fn f_endswith(interp: &mut Interp, a: &mut Args) -> R<Value> {
    let s = text(interp, a, 0)?;
    Ok(Value::Bool(
        affixes(interp, a)?.iter().any(|p| s.ends_with(p.as_str())),
    ))
}

fn f_splitlines(interp: &mut Interp, a: &mut Args) -> R<Value> {
    let s = text(interp, a, 0)?;
    Ok(Value::list(s.lines().map(Value::str).collect()))
}

fn f_format(interp: &mut Interp, a: &mut Args) -> R<Value> {
    let template = text(interp, a, 0)?;
    let parts = parse_template(&template).map_err(|m| {
        interp.fail(Diagnostic::error("type::format", m).primary(a.span(0), "this template"))
    })?;
    let mut next = 0usize;
    let mut out = String::new();
    for p in parts {
        match p {
            Ok(lit) => out.push_str(&lit),
            Err(field) => {
                let v = match (&field.index, &field.name) {
                    (_, Some(name)) => a.kwargs.iter().find(|k| &k.0 == name).map(|k| k.2.clone()),
                    (Some(i), None) => a.rest.get(*i).map(|r| r.0.clone()),
                    (None, None) => {
                        next += 1;
                        a.rest.get(next - 1).map(|r| r.0.clone())
                    }
                };
                let Some(v) = v else {
                    return Err(interp.fail(
                        Diagnostic::error(
                            "type::format",
                            "the template has more fields than arguments",
                        )
                        .primary(a.call, format!("{} arguments given", a.rest.len())),
                    ));
                };
                let v = match field.conv {
                    Some('r' | 'a') => Value::str(&interp.show(&v, true)?),
                    Some(_) => Value::str(&interp.show(&v, false)?),
                    None => v,
                };
                let piece = format_value(&v, &field.spec).map_err(|m| {
                    interp
                        .fail(Diagnostic::error("type::format", m).primary(a.call, "in this call"))
                })?;
                out.push_str(&piece);
            }
        }
    }
    Ok(Value::str(&out))
}

fn f_capitalize(interp: &mut Interp, a: &mut Args) -> R<Value> {
    let s = text(interp, a, 0)?;
    let mut chars = s.chars();
    let out = match chars.next() {
        Some(c) => c.to_uppercase().collect::<String>() + &chars.as_str().to_lowercase(),
        None => String::new(),
    };
    Ok(Value::str(&out))
}

fn f_title(interp: &mut Interp, a: &mut Args) -> R<Value> {
    let s = text(interp, a, 0)?;
    let mut out = String::with_capacity(s.len());
    let mut start = true;
    for c in s.chars() {
        if c.is_alphabetic() {
            if start {
                out.extend(c.to_uppercase());
            } else {
                out.extend(c.to_lowercase());
            }
            start = false;
        } else {
            out.push(c);
            start = true;
        }
    }
    Ok(Value::str(&out))
}

fn f_str_count(interp: &mut Interp, a: &mut Args) -> R<Value> {
    let (s, sub) = (text(interp, a, 0)?, text(interp, a, 1)?);
    let n = if sub.is_empty() {
        s.chars().count() + 1
    } else {
        s.matches(sub.as_str()).count()
    };
    Ok(Value::Number(n as f64))
}

fn f_find(interp: &mut Interp, a: &mut Args) -> R<Value> {
    let (s, sub) = (text(interp, a, 0)?, text(interp, a, 1)?);
    Ok(Value::Number(match s.find(sub.as_str()) {
        Some(byte) => s[..byte].chars().count() as f64,
        None => -1.0,
    }))
}

fn f_isdigit(interp: &mut Interp, a: &mut Args) -> R<Value> {
    let s = text(interp, a, 0)?;
    Ok(Value::Bool(
        !s.is_empty() && s.chars().all(|c| c.is_ascii_digit()),
    ))
}

fn f_isalpha(interp: &mut Interp, a: &mut Args) -> R<Value> {
    let s = text(interp, a, 0)?;
    Ok(Value::Bool(
        !s.is_empty() && s.chars().all(char::is_alphabetic),
    ))
}

fn letters(s: &str) -> impl Iterator<Item = char> + '_ {
    s.chars().filter(|c| c.is_alphabetic())
}

fn f_isupper(interp: &mut Interp, a: &mut Args) -> R<Value> {
    let s = text(interp, a, 0)?;
    Ok(Value::Bool(
        letters(&s).next().is_some() && letters(&s).all(char::is_uppercase),
    ))
}

fn f_islower(interp: &mut Interp, a: &mut Args) -> R<Value> {
    let s = text(interp, a, 0)?;
    Ok(Value::Bool(
        letters(&s).next().is_some() && letters(&s).all(char::is_lowercase),
    ))
}

fn f_isspace(interp: &mut Interp, a: &mut Args) -> R<Value> {
    let s = text(interp, a, 0)?;
    Ok(Value::Bool(
        !s.is_empty() && s.chars().all(char::is_whitespace),
    ))
}

fn padded(interp: &mut Interp, a: &Args, align: char) -> R<Value> {
    let s = text(interp, a, 0)?;
    let width = a.int(interp, 1)?.clamp(0, 1 << 20) as usize;
    let fill = match a.get(2) {
        Some(Value::Str(f)) if f.chars().count() == 1 => f.chars().next().unwrap_or(' '),
        None => ' ',
        Some(_) => {
            return Err(interp.fail(
                Diagnostic::error("type::argument", "the fill character must be one character")
                    .primary(a.span(2), "this fill"),
            ))
        }
    };
    let n = width.saturating_sub(s.chars().count());
    let pad = |k: usize| std::iter::repeat_n(fill, k).collect::<String>();
    Ok(Value::str(&match align {
        '>' => format!("{}{s}", pad(n)),
        '<' => format!("{s}{}", pad(n)),
        _ => format!("{}{s}{}", pad(n / 2), pad(n - n / 2)),
    }))
}

fn f_rjust(interp: &mut Interp, a: &mut Args) -> R<Value> {
    padded(interp, a, '>')
}

fn f_ljust(interp: &mut Interp, a: &mut Args) -> R<Value> {
    padded(interp, a, '<')
}

fn f_center(interp: &mut Interp, a: &mut Args) -> R<Value> {
    padded(interp, a, '^')
}

fn f_zfill(interp: &mut Interp, a: &mut Args) -> R<Value> {
    let s = text(interp, a, 0)?;
    let width = a.int(interp, 1)?.clamp(0, 1 << 20) as usize;
    let (sign, digits) = match s.strip_prefix(['-', '+']) {
        Some(rest) => (&s[..1], rest),
        None => ("", s.as_str()),
    };
    let n = width.saturating_sub(s.chars().count());
    Ok(Value::str(&format!("{sign}{}{digits}", "0".repeat(n))))
}

fn f_rsplit(interp: &mut Interp, a: &mut Args) -> R<Value> {
    let s = text(interp, a, 0)?;
    let max = a.number_or(interp, 2, -1.0)?;
    let parts: Vec<String> = match a.get(1) {
        None | Some(Value::None) => {
            let mut words: Vec<String> = s.split_whitespace().map(str::to_string).collect();
            if max >= 0.0 && words.len() > max as usize + 1 {
                let keep = words.split_off(words.len() - max as usize);
                let head = s.trim_end();
                let mut cut = head.len();
                for w in keep.iter().rev() {
                    cut = head[..cut].rfind(w.as_str()).unwrap_or(0);
                }
                let mut out = vec![head[..cut].trim_end().to_string()];
                out.extend(keep);
                out
            } else {
                words
            }
        }
        Some(_) => {
            let sep = text(interp, a, 1)?;
            if sep.is_empty() {
                return Err(interp.fail(
                    Diagnostic::error("value::argument", "empty separator")
                        .primary(a.span(1), "an empty string"),
                ));
            }
            let mut v: Vec<String> = if max >= 0.0 {
                s.rsplitn(max as usize + 1, sep.as_str())
                    .map(str::to_string)
                    .collect()
            } else {
                s.rsplit(sep.as_str()).map(str::to_string).collect()
            };
            v.reverse();
            v
        }
    };
    Ok(Value::list(parts.iter().map(|p| Value::str(p)).collect()))
}

fn f_partition(interp: &mut Interp, a: &mut Args) -> R<Value> {
    let (s, sep) = (text(interp, a, 0)?, text(interp, a, 1)?);
    Ok(Value::tuple(match s.split_once(sep.as_str()) {
        Some((x, y)) => vec![Value::str(x), Value::str(&sep), Value::str(y)],
        None => vec![Value::str(&s), Value::str(""), Value::str("")],
    }))
}
