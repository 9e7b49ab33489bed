//! String formatting as Python does it: the format-spec mini-language of f-strings and
//! `str.format` (`{x:>8.3f}`, `{n:,d}`, `{p:.1%}`, `{x:.2e}`), `%` formatting
//! (`"%.3f" % v`, `"%d/%d" % (i, n)`), and `str.format`'s template fields. Errors are
//! plain messages; the evaluator puts them on the span that caused them.

use crate::runtime::print::format_number;
use crate::runtime::value::Value;

/// A parsed format spec: `[[fill]align][sign][#][0][width][,|_][.precision][type]`.
#[derive(Default, Debug)]
struct Spec {
    fill: Option<char>,
    align: Option<char>,
    sign: Option<char>,
    alternate: bool,
    zero: bool,
    width: usize,
    grouping: Option<char>,
    precision: Option<usize>,
    kind: Option<char>,
}

fn parse_spec(spec: &str) -> Result<Spec, String> {
    let chars: Vec<char> = spec.chars().collect();
    let mut s = Spec::default();
    let mut i = 0;
    let is_align = |c: char| matches!(c, '<' | '>' | '^' | '=');
    if chars.len() >= 2 && is_align(chars[1]) {
        s.fill = Some(chars[0]);
        s.align = Some(chars[1]);
        i = 2;
    } else if !chars.is_empty() && is_align(chars[0]) {
        s.align = Some(chars[0]);
        i = 1;
    }
    if i < chars.len() && matches!(chars[i], '+' | '-' | ' ') {
        s.sign = Some(chars[i]);
        i += 1;
    }
    if i < chars.len() && chars[i] == '#' {
        s.alternate = true;
        i += 1;
    }
    if i < chars.len() && chars[i] == '0' {
        s.zero = true;
        i += 1;
    }
    let digits = |i: &mut usize| {
        let start = *i;
        while *i < chars.len() && chars[*i].is_ascii_digit() {
            *i += 1;
        }
        chars[start..*i]
            .iter()
            .collect::<String>()
            .parse::<usize>()
            .ok()
    };
    /// The largest width and precision formatted (Rust's own limit); Python's is the
    /// memory it has.
    const MAX: usize = 65_535;
    let digits_start = i;
    if let Some(w) = digits(&mut i) {
        s.width = w;
    }
    if i > digits_start && (s.width > MAX || chars[digits_start..i].len() > 5) {
        return Err(format!("a format width of at most {MAX} is supported"));
    }
    if i < chars.len() && matches!(chars[i], ',' | '_') {
        s.grouping = Some(chars[i]);
        i += 1;
    }
    if i < chars.len() && chars[i] == '.' {
        i += 1;
        let start = i;
        match digits(&mut i) {
            Some(p) if p <= MAX && i - start <= 5 => s.precision = Some(p),
            Some(_) => return Err(format!("a format precision of at most {MAX} is supported")),
            None if i > start => {
                return Err(format!("a format precision of at most {MAX} is supported"))
            }
            None => return Err("format specifier missing precision".to_string()),
        }
    }
    if i < chars.len() {
        s.kind = Some(chars[i]);
        i += 1;
    }
    if i < chars.len() {
        return Err(format!("invalid format specifier `{spec}`"));
    }
    Ok(s)
}

/// Python's `format(value, spec)`. A one-element tensor formats as its number.
pub fn format_value(v: &Value, spec: &str) -> Result<String, String> {
    let number = match v {
        Value::Number(n) => Some(*n),
        Value::Bool(b) if !spec.is_empty() => Some(if *b { 1.0 } else { 0.0 }),
        Value::Tensor(t) => match t.item() {
            Some(x) => Some(x as f64),
            None if spec.is_empty() => return Ok(v.display()),
            None => {
                return Err(format!(
                    "a tensor of shape {:?} has no single number to format with `{spec}`; format `t.item()` or a slice of it",
                    t.shape()
                ))
            }
        },
        _ => None,
    };
    let s = parse_spec(spec)?;
    match number {
        Some(x) => format_number_spec(x, &s, spec),
        None => {
            if spec.is_empty() {
                return Ok(v.display());
            }
            match v {
                Value::Str(text) => {
                    if !matches!(s.kind, None | Some('s')) {
                        return Err(format!(
                            "unknown format code `{}` for a string",
                            s.kind.unwrap_or(' ')
                        ));
                    }
                    let mut t: String = text.to_string();
                    if let Some(p) = s.precision {
                        t = t.chars().take(p).collect();
                    }
                    Ok(pad(&t, &s, '<'))
                }
                other => Err(format!(
                    "a {} cannot be formatted with `{spec}`",
                    other.kind()
                )),
            }
        }
    }
}

fn format_number_spec(x: f64, s: &Spec, spec: &str) -> Result<String, String> {
    let integral = x.fract() == 0.0 && x.is_finite();
    let neg = x.is_sign_negative() && !(x == 0.0 && integral);
    let a = x.abs();
    let mut body = match s.kind {
        None if s.precision.is_none() => format_number(a),
        None => general(a, s.precision.unwrap_or(6).max(1), false, true),
        Some('d' | 'n') => {
            if !integral {
                return Err(format!(
                    "`{spec}` formats whole numbers; {} is not one (use `.0f` to round it)",
                    format_number(x)
                ));
            }
            format!("{a:.0}")
        }
        Some('f' | 'F') => fixed(a, s.precision.unwrap_or(6)),
        Some(c @ ('e' | 'E')) => {
            let t = exponent(a, s.precision.unwrap_or(6));
            if c == 'E' {
                t.to_uppercase()
            } else {
                t
            }
        }
        Some(c @ ('g' | 'G')) => {
            let t = general(a, s.precision.unwrap_or(6).max(1), s.alternate, false);
            if c == 'G' {
                t.to_uppercase()
            } else {
                t
            }
        }
        Some('%') => format!("{}%", fixed(a * 100.0, s.precision.unwrap_or(6))),
        Some(c @ ('x' | 'X' | 'o' | 'b')) => {
            if !integral {
                return Err(format!(
                    "`{spec}` formats whole numbers; {} is not one",
                    format_number(x)
                ));
            }
            let n = a as u64;
            let (digits, prefix) = match c {
                'x' => (format!("{n:x}"), "0x"),
                'X' => (format!("{n:X}"), "0X"),
                'o' => (format!("{n:o}"), "0o"),
                _ => (format!("{n:b}"), "0b"),
            };
            if s.alternate {
                format!("{prefix}{digits}")
            } else {
                digits
            }
        }
        Some('c') => match char::from_u32(a as u32) {
            Some(ch) if integral => ch.to_string(),
            _ => {
                return Err(format!(
                    "`%c` needs a character code, not {}",
                    format_number(x)
                ))
            }
        },
        Some('s') => return Err("unknown format code `s` for a number".to_string()),
        Some(c) => return Err(format!("unknown format code `{c}` for a number")),
    };
    if let Some(sep) = s.grouping {
        body = group(&body, sep);
    }
    let sign = if neg {
        "-"
    } else {
        match s.sign {
            Some('+') => "+",
            Some(' ') => " ",
            _ => "",
        }
    };
    if s.zero && s.align.is_none() || s.align == Some('=') {
        let fill = if s.align == Some('=') {
            s.fill.unwrap_or(' ')
        } else {
            '0'
        };
        let len = sign.chars().count() + body.chars().count();
        let padding: String = std::iter::repeat_n(fill, s.width.saturating_sub(len)).collect();
        return Ok(format!("{sign}{padding}{body}"));
    }
    Ok(pad(&format!("{sign}{body}"), s, '>'))
}

fn fixed(a: f64, precision: usize) -> String {
    if !a.is_finite() {
        return format_number(a);
    }
    format!("{a:.precision$}")
}

/// `1.50e-03`: Rust's `{:e}` with Python's exponent (a sign and at least two digits).
fn exponent(a: f64, precision: usize) -> String {
    if !a.is_finite() {
        return format_number(a);
    }
    let t = format!("{a:.precision$e}");
    let (mantissa, exp) = t.split_once('e').unwrap_or((&t, "0"));
    let e: i32 = exp.parse().unwrap_or(0);
    format!("{mantissa}e{}{:02}", if e < 0 { '-' } else { '+' }, e.abs())
}

/// Python's `g`: `precision` significant digits, positional when the exponent is in
/// `-4..precision`, trailing zeros removed unless `#`. `repr_like` is the form of a spec
/// with a precision and no type (which keeps at least one digit after the point).
fn general(a: f64, precision: usize, alternate: bool, repr_like: bool) -> String {
    if !a.is_finite() {
        return format_number(a);
    }
    if a == 0.0 {
        return if repr_like {
            "0.0".to_string()
        } else {
            "0".to_string()
        };
    }
    let e_form = exponent(a, precision - 1);
    let exp: i32 = e_form
        .split_once('e')
        .map_or(0, |(_, e)| e.parse().unwrap_or(0));
    let strip = |t: String| -> String {
        if alternate || !t.contains('.') {
            return t;
        }
        let t = t.trim_end_matches('0').trim_end_matches('.').to_string();
        t
    };
    if exp >= -4 && exp < precision as i32 {
        let decimals = (precision as i32 - 1 - exp).max(0) as usize;
        let t = strip(format!("{a:.decimals$}"));
        if repr_like && !t.contains('.') {
            return format!("{t}.0");
        }
        t
    } else {
        let (mantissa, e) = e_form.split_once('e').unwrap_or((&e_form, "+00"));
        format!("{}e{e}", strip(mantissa.to_string()))
    }
}

/// Thousands separators in the integer part.
fn group(body: &str, sep: char) -> String {
    let (int, rest) = match body.find(|c: char| !c.is_ascii_digit()) {
        Some(i) => body.split_at(i),
        None => (body, ""),
    };
    let mut out = String::new();
    for (i, c) in int.chars().enumerate() {
        if i > 0 && (int.len() - i) % 3 == 0 {
            out.push(sep);
        }
        out.push(c);
    }
    out + rest
}

fn pad(text: &str, s: &Spec, default_align: char) -> String {
    let len = text.chars().count();
    if len >= s.width {
        return text.to_string();
    }
    let fill = s.fill.unwrap_or(' ');
    let n = s.width - len;
    let repeat = |k: usize| std::iter::repeat_n(fill, k).collect::<String>();
    match s.align.unwrap_or(default_align) {
        '<' => format!("{text}{}", repeat(n)),
        '^' => format!("{}{text}{}", repeat(n / 2), repeat(n - n / 2)),
        _ => format!("{}{text}", repeat(n)),
    }
}

/// `template % args`: each `%[flags][width][.precision]type` takes the next argument
/// (`args` is the tuple's items, or the one value).
pub fn percent_format(template: &str, args: &[Value]) -> Result<String, String> {
    let mut out = String::new();
    let mut next = 0usize;
    let mut chars = template.chars().peekable();
    while let Some(c) = chars.next() {
        if c != '%' {
            out.push(c);
            continue;
        }
        let mut flags = String::new();
        while let Some(&f) = chars.peek() {
            if matches!(f, '-' | '+' | ' ' | '0' | '#') {
                flags.push(f);
                chars.next();
            } else {
                break;
            }
        }
        let mut width = String::new();
        while let Some(&d) = chars.peek() {
            if d.is_ascii_digit() {
                width.push(d);
                chars.next();
            } else {
                break;
            }
        }
        let mut precision = String::new();
        if chars.peek() == Some(&'.') {
            chars.next();
            precision.push('.');
            while let Some(&d) = chars.peek() {
                if d.is_ascii_digit() {
                    precision.push(d);
                    chars.next();
                } else {
                    break;
                }
            }
            if precision == "." {
                precision.push('0');
            }
        }
        let Some(kind) = chars.next() else {
            return Err("incomplete format: the template ends after `%`".to_string());
        };
        if kind == '%' {
            out.push('%');
            continue;
        }
        let Some(arg) = args.get(next) else {
            return Err(format!(
                "not enough arguments for the format string: it needs more than {}",
                args.len()
            ));
        };
        next += 1;
        let align = if flags.contains('-') { "<" } else { "" };
        let sign = if flags.contains('+') {
            "+"
        } else if flags.contains(' ') {
            " "
        } else {
            ""
        };
        let zero = if flags.contains('0') && align.is_empty() {
            "0"
        } else {
            ""
        };
        let alt = if flags.contains('#') { "#" } else { "" };
        let piece = match kind {
            's' | 'r' | 'a' => {
                // `%10s` pads on the left, `%-10s` on the right.
                let text = if kind == 's' {
                    arg.display()
                } else {
                    arg.repr()
                };
                let align = if align.is_empty() { ">" } else { align };
                format_value(&Value::str(&text), &format!("{align}{width}{precision}"))?
            }
            'i' | 'u' | 'd' => {
                let x = number_of(arg)
                    .ok_or_else(|| format!("%{kind} needs a number, not a {}", arg.kind()))?;
                format_value(
                    &Value::Number(x.trunc()),
                    &format!("{align}{sign}{zero}{width}d"),
                )?
            }
            'f' | 'F' | 'e' | 'E' | 'g' | 'G' | 'x' | 'X' | 'o' | 'c' => {
                let x = number_of(arg)
                    .ok_or_else(|| format!("%{kind} needs a number, not a {}", arg.kind()))?;
                let p = if precision.is_empty() && matches!(kind, 'f' | 'F' | 'e' | 'E' | 'g' | 'G')
                {
                    ".6".to_string()
                } else {
                    precision.clone()
                };
                format_value(
                    &Value::Number(x),
                    &format!("{align}{sign}{alt}{zero}{width}{p}{kind}"),
                )?
            }
            other => return Err(format!("unsupported format character `{other}`")),
        };
        out.push_str(&piece);
    }
    if next < args.len() {
        return Err(format!(
            "not all arguments converted: the format string takes {next}, {} were given",
            args.len()
        ));
    }
    Ok(out)
}

fn number_of(v: &Value) -> Option<f64> {
    match v {
        Value::Number(n) => Some(*n),
        Value::Bool(b) => Some(if *b { 1.0 } else { 0.0 }),
        Value::Tensor(t) => t.item().map(|x| x as f64),
        _ => None,
    }
}

/// One field of a `str.format` template: which argument, its conversion and spec.
pub struct TemplateField {
    /// `None`: the next positional argument.
    pub index: Option<usize>,
    pub name: Option<String>,
    pub conv: Option<char>,
    pub spec: String,
}

/// Split a `str.format` template into literal text and fields.
pub fn parse_template(template: &str) -> Result<Vec<Result<String, TemplateField>>, String> {
    let mut parts = Vec::new();
    let mut lit = String::new();
    let mut chars = template.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '{' if chars.peek() == Some(&'{') => {
                chars.next();
                lit.push('{');
            }
            '}' if chars.peek() == Some(&'}') => {
                chars.next();
                lit.push('}');
            }
            '}' => return Err("single `}` in the format string; write `}}`".to_string()),
            '{' => {
                if !lit.is_empty() {
                    parts.push(Ok(std::mem::take(&mut lit)));
                }
                let mut field = String::new();
                let mut depth = 0;
                loop {
                    match chars.next() {
                        None => return Err("unclosed `{` in the format string".to_string()),
                        Some('{') => {
                            depth += 1;
                            field.push('{');
                        }
                        Some('}') if depth > 0 => {
                            depth -= 1;
                            field.push('}');
                        }
                        Some('}') => break,
                        Some(c) => field.push(c),
                    }
                }
                let (head, spec) = match field.split_once(':') {
                    Some((h, s)) => (h.to_string(), s.to_string()),
                    None => (field.clone(), String::new()),
                };
                let (name, conv) = match head.split_once('!') {
                    Some((n, c)) => (n.to_string(), c.chars().next()),
                    None => (head, None),
                };
                let (index, name) = if name.is_empty() {
                    (None, None)
                } else if let Ok(i) = name.parse::<usize>() {
                    (Some(i), None)
                } else {
                    (None, Some(name))
                };
                parts.push(Err(TemplateField {
                    index,
                    name,
                    conv,
                    spec,
                }));
            }
            c => lit.push(c),
        }
    }
    if !lit.is_empty() {
        parts.push(Ok(lit));
    }
    Ok(parts)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn f(x: f64, spec: &str) -> String {
        format_value(&Value::Number(x), spec).unwrap()
    }

    #[test]
    fn numbers_as_python_formats_them() {
        let cases = [
            (3.14159, ".4f", "3.1416"),
            (7.0, ">3d", "  7"),
            (0.00123, ".2e", "1.23e-03"),
            (0.256, ".1%", "25.6%"),
            (1234567.0, ",d", "1,234,567"),
            (1234.5, ",.2f", "1,234.50"),
            (-2.5, "+.1f", "-2.5"),
            (2.5, "+.1f", "+2.5"),
            (42.0, "05d", "00042"),
            (-42.0, "05d", "-0042"),
            (3.0, "<6.2f", "3.00  "),
            (3.0, "^7.1f", "  3.0  "),
            (3.0, "*>6", "*****3"),
            (0.0001234, "g", "0.0001234"),
            (123456789.0, "g", "1.23457e+08"),
            (100.0, ".3g", "100"),
            (0.5, ".3", "0.5"),
            (2.0, ".3", "2.0"),
            (255.0, "x", "ff"),
            (255.0, "#x", "0xff"),
            (1e-5, "", "1e-05"),
        ];
        for (x, spec, want) in cases {
            assert_eq!(f(x, spec), want, "format({x}, {spec:?})");
        }
        assert!(format_value(&Value::Number(2.5), "d").is_err());
        assert_eq!(format_value(&Value::str("ab"), ">4").unwrap(), "  ab");
        assert_eq!(format_value(&Value::str("abcdef"), ".3").unwrap(), "abc");
    }

    #[test]
    fn percent() {
        let args = [Value::Number(3.0), Value::str("x"), Value::Number(0.123456)];
        assert_eq!(
            percent_format(
                "%d: %s = %.3f (%5.1f%%)",
                &[
                    args[0].clone(),
                    args[1].clone(),
                    args[2].clone(),
                    Value::Number(12.34)
                ]
            )
            .unwrap(),
            "3: x = 0.123 ( 12.3%)"
        );
        assert_eq!(
            percent_format("%-4s|", &[Value::str("a")]).unwrap(),
            "a   |"
        );
        assert!(percent_format("%d %d", &[Value::Number(1.0)]).is_err());
    }
}
