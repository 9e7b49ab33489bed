//! Value printing: tensors exactly as PyTorch's default `str(tensor)`, numbers and strings as Python's `repr`.
//!
//! Tensor printing follows the rules of PyTorch 2.x `torch/_tensor_str.py` with default
//! print options (precision 4, threshold 1000, edge items 3, line width 80, automatic
//! scientific mode), minus any `grad_fn`/`requires_grad` suffix:
//!
//! * One formatter is chosen for the whole tensor from its finite non-zero values (only
//!   the shown edge elements when the tensor is summarised): integer mode (`1.`), fixed
//!   mode (`0.2500`) or scientific mode (`1.0000e-05`), and a common column width.
//! * Every element is right-aligned to that width; non-finite values (`nan`, `inf`) and
//!   zeros do not take part in choosing the width and are simply padded (or overflow it,
//!   as `-0.` does in `tensor([-0., 1.])`).
//! * Rows of the last dimension wrap so that a line holds
//!   `floor((80 - indent) / (width + 2))` elements; tensors with more than 1000 elements
//!   show 3 leading and 3 trailing items of every long dimension around `...`.
//!
//! Values are formatted as the f32 converted to f64 with round-half-even on the exact
//! binary value, as Python's `format` does.

use ndarray::{ArrayD, ArrayViewD, Axis};

const PRECISION: usize = 4;
const THRESHOLD: usize = 1000;
const EDGEITEMS: usize = 3;
const LINEWIDTH: usize = 80;
const PREFIX: &str = "tensor(";

/// Prints a float32 tensor byte for byte as PyTorch's `str(t)` (without `grad_fn`).
pub fn format_tensor(data: &ArrayD<f32>) -> String {
    let indent = PREFIX.len();
    let mut suffixes: Vec<String> = Vec::new();
    let body = if data.is_empty() {
        if data.ndim() != 1 {
            suffixes.push(format!("size={}", python_tuple(data.shape())));
        }
        "[]".to_string()
    } else {
        let summarize = data.len() > THRESHOLD;
        let mut shown = Vec::new();
        if summarize {
            collect_edges(&data.view(), &mut shown);
        } else {
            shown.extend(data.iter().copied());
        }
        let formatter = Formatter::new(&shown);
        let mut out = String::new();
        write_tensor(&mut out, &data.view(), indent, summarize, &formatter);
        out
    };
    add_suffixes(&format!("{PREFIX}{body}"), &suffixes, indent)
}

/// Python's `str(tuple)` of a shape: `(2, 0, 3)`, `(0,)`, `()`.
fn python_tuple(shape: &[usize]) -> String {
    match shape.len() {
        0 => "()".to_string(),
        1 => format!("({},)", shape[0]),
        _ => {
            let parts: Vec<String> = shape.iter().map(|d| d.to_string()).collect();
            format!("({})", parts.join(", "))
        }
    }
}

/// Appends `, suffix` items and the closing parenthesis, moving a suffix to its own
/// line when the current last line would grow past the line width.
fn add_suffixes(head: &str, suffixes: &[String], indent: usize) -> String {
    let mut out = head.to_string();
    // PyTorch measures the last line as len - rfind('\n') + 1 (rfind gives -1 when absent).
    let last_nl: i64 = head.rfind('\n').map(|p| p as i64).unwrap_or(-1);
    let mut last_line_len = head.len() as i64 - last_nl + 1;
    for suffix in suffixes {
        let len = suffix.chars().count() as i64;
        if last_line_len + len + 2 > LINEWIDTH as i64 {
            out.push_str(",\n");
            out.push_str(&" ".repeat(indent));
            out.push_str(suffix);
            last_line_len = indent as i64 + len;
        } else {
            out.push_str(", ");
            out.push_str(suffix);
            last_line_len += len + 2;
        }
    }
    out.push(')');
    out
}

/// Gathers the elements that a summarised print shows (edge items of every long
/// dimension), in order: these alone decide the formatter.
fn collect_edges(view: &ArrayViewD<f32>, out: &mut Vec<f32>) {
    match view.ndim() {
        0 => out.push(view[[]]),
        1 => {
            let n = view.len();
            if n > 2 * EDGEITEMS {
                out.extend(view.iter().take(EDGEITEMS).copied());
                out.extend(view.iter().skip(n - EDGEITEMS).copied());
            } else {
                out.extend(view.iter().copied());
            }
        }
        _ => {
            for i in shown_indices(view.len_of(Axis(0)), true)
                .into_iter()
                .flatten()
            {
                collect_edges(&view.index_axis(Axis(0), i), out);
            }
        }
    }
}

/// Indices shown along a dimension of length `n`; `None` marks the `...` gap.
fn shown_indices(n: usize, summarize: bool) -> Vec<Option<usize>> {
    if summarize && n > 2 * EDGEITEMS {
        let mut v: Vec<Option<usize>> = (0..EDGEITEMS).map(Some).collect();
        v.push(None);
        v.extend((n - EDGEITEMS..n).map(Some));
        v
    } else {
        (0..n).map(Some).collect()
    }
}

fn write_tensor(
    out: &mut String,
    view: &ArrayViewD<f32>,
    indent: usize,
    summarize: bool,
    f: &Formatter,
) {
    let dim = view.ndim();
    if dim == 0 {
        out.push_str(&f.format(view[[]]));
        return;
    }
    if dim == 1 {
        write_vector(out, view, indent, summarize, f);
        return;
    }
    let mut sep = String::from(",");
    for _ in 0..dim - 1 {
        sep.push('\n');
    }
    sep.push_str(&" ".repeat(indent + 1));
    out.push('[');
    for (k, idx) in shown_indices(view.len_of(Axis(0)), summarize)
        .into_iter()
        .enumerate()
    {
        if k > 0 {
            out.push_str(&sep);
        }
        match idx {
            Some(i) => write_tensor(out, &view.index_axis(Axis(0), i), indent + 1, summarize, f),
            None => out.push_str("..."),
        }
    }
    out.push(']');
}

fn write_vector(
    out: &mut String,
    view: &ArrayViewD<f32>,
    indent: usize,
    summarize: bool,
    f: &Formatter,
) {
    // Each element takes its width plus ", ".
    let element_length = f.max_width + 2;
    let per_line = if LINEWIDTH > indent {
        ((LINEWIDTH - indent) / element_length).max(1)
    } else {
        1
    };
    let items: Vec<String> = shown_indices(view.len(), summarize)
        .into_iter()
        .map(|idx| match idx {
            Some(i) => f.format(view[[i]]),
            None => " ...".to_string(),
        })
        .collect();
    let line_sep = format!(",\n{}", " ".repeat(indent + 1));
    out.push('[');
    for (k, chunk) in items.chunks(per_line).enumerate() {
        if k > 0 {
            out.push_str(&line_sep);
        }
        out.push_str(&chunk.join(", "));
    }
    out.push(']');
}

/// The element formatter PyTorch picks for a float tensor.
struct Formatter {
    int_mode: bool,
    sci_mode: bool,
    max_width: usize,
}

impl Formatter {
    fn new(values: &[f32]) -> Formatter {
        let mut f = Formatter {
            int_mode: true,
            sci_mode: false,
            max_width: 1,
        };
        let vals: Vec<f32> = values
            .iter()
            .copied()
            .filter(|v| v.is_finite() && *v != 0.0)
            .collect();
        if vals.is_empty() {
            return f;
        }
        let mut min = f64::INFINITY;
        let mut max = 0.0f64;
        for &v in &vals {
            let a = (v as f64).abs();
            min = min.min(a);
            max = max.max(a);
        }
        f.int_mode = vals.iter().all(|v| *v == v.ceil());
        let ratio_or_huge = max / min > 1000.0 || max > 1.0e8;
        f.sci_mode = if f.int_mode {
            ratio_or_huge
        } else {
            ratio_or_huge || min < 1.0e-4
        };
        for &v in &vals {
            let x = v as f64;
            let w = if f.sci_mode {
                sci(x, PRECISION).len()
            } else if f.int_mode {
                format!("{x:.0}").len() + 1
            } else {
                format!("{x:.PRECISION$}").len()
            };
            f.max_width = f.max_width.max(w);
        }
        f
    }

    fn format(&self, v: f32) -> String {
        let x = v as f64;
        let s = if !x.is_finite() {
            nonfinite(x).to_string()
        } else if self.sci_mode {
            sci(x, PRECISION)
        } else if self.int_mode {
            format!("{x:.0}.")
        } else {
            format!("{x:.PRECISION$}")
        };
        let len = s.len();
        if len < self.max_width {
            let mut padded = " ".repeat(self.max_width - len);
            padded.push_str(&s);
            padded
        } else {
            s
        }
    }
}

fn nonfinite(x: f64) -> &'static str {
    if x.is_nan() {
        "nan"
    } else if x > 0.0 {
        "inf"
    } else {
        "-inf"
    }
}

/// The mantissa and the exponent of Rust's `{:e}` output (`"1.5e-7"` → `("1.5", -7)`).
/// Its output always has both; a string without them reads as exponent 0.
fn split_exp(s: &str) -> (&str, i32) {
    let (mantissa, exp) = s.split_once('e').unwrap_or((s, "0"));
    (mantissa, exp.parse().unwrap_or(0))
}

/// Python's `'{:.Ne}'.format(x)` for finite `x`: `1.0000e-05`, `-2.5000e+12`.
fn sci(x: f64, precision: usize) -> String {
    let s = format!("{x:.precision$e}");
    let (mantissa, exp) = split_exp(&s);
    let sign = if exp < 0 { '-' } else { '+' };
    format!("{mantissa}e{sign}{:02}", exp.abs())
}

/// How tsr prints its number type: integer-valued finite numbers below 1e16 in magnitude
/// as integers (`3`, `-2`, `0`), everything else as Python's `repr(float)`
/// (`0.1`, `1e-05`, `1e+16`, `nan`, `-inf`).
pub fn format_number(x: f64) -> String {
    if !x.is_finite() {
        return nonfinite(x).to_string();
    }
    if x == x.trunc() && x.abs() < 1e16 {
        // `as i64` is exact here; -0.0 becomes 0.
        return (x as i64).to_string();
    }
    python_float_repr(x)
}

/// Python's `repr(float)` for a finite value: shortest round-trip digits, positional
/// when the decimal exponent is in -4..16, otherwise `d.ddde±XX`.
fn python_float_repr(x: f64) -> String {
    // Rust's `{:e}` yields the shortest round-trip digits: `1.5e-7`, `1e16`. When two
    // strings of that length round-trip equally well (the exact value lies halfway),
    // Python takes the correctly rounded (ties-to-even) one, which exact-precision
    // formatting gives.
    let a = x.abs();
    let mut s = format!("{a:e}");
    let sig_digits = s
        .split('e')
        .next()
        .unwrap_or("")
        .chars()
        .filter(char::is_ascii_digit)
        .count();
    if sig_digits > 1 {
        let nearest = format!("{a:.prec$e}", prec = sig_digits - 1);
        if nearest.parse::<f64>() == Ok(a) {
            s = nearest;
        }
    }
    let (mantissa, exp) = split_exp(&s);
    let mut digits: String = mantissa.chars().filter(|c| *c != '.').collect();
    while digits.len() > 1 && digits.ends_with('0') {
        digits.pop();
    }
    let sign = if x.is_sign_negative() { "-" } else { "" };
    if !(-4..16).contains(&exp) {
        let mut m = digits[..1].to_string();
        if digits.len() > 1 {
            m.push('.');
            m.push_str(&digits[1..]);
        }
        let esign = if exp < 0 { '-' } else { '+' };
        return format!("{sign}{m}e{esign}{:02}", exp.abs());
    }
    if exp < 0 {
        let zeros = "0".repeat((-exp - 1) as usize);
        return format!("{sign}0.{zeros}{digits}");
    }
    let int_len = exp as usize + 1;
    if digits.len() <= int_len {
        let zeros = "0".repeat(int_len - digits.len());
        format!("{sign}{digits}{zeros}.0")
    } else {
        format!("{sign}{}.{}", &digits[..int_len], &digits[int_len..])
    }
}

/// Python's `repr(str)`: single quotes unless the text holds `'` and no `"`; escapes
/// backslash, the quote, `\n`, `\r`, `\t` and other non-printable characters.
pub fn format_string_repr(s: &str) -> String {
    let quote = if s.contains('\'') && !s.contains('"') {
        '"'
    } else {
        '\''
    };
    let mut out = String::with_capacity(s.len() + 2);
    out.push(quote);
    for c in s.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if c == quote => {
                out.push('\\');
                out.push(c);
            }
            c if !is_printable(c) => {
                let code = c as u32;
                if code < 0x100 {
                    out.push_str(&format!("\\x{code:02x}"));
                } else if code < 0x10000 {
                    out.push_str(&format!("\\u{code:04x}"));
                } else {
                    out.push_str(&format!("\\U{code:08x}"));
                }
            }
            c => out.push(c),
        }
    }
    out.push(quote);
    out
}

/// Approximates Python's `str.isprintable` for one character: control characters,
/// non-space separators and common format characters are not printable.
fn is_printable(c: char) -> bool {
    let code = c as u32;
    !(code < 0x20
        || (0x7f..=0xa0).contains(&code)
        || code == 0xad
        || code == 0x1680
        || (0x2000..=0x200f).contains(&code)
        || (0x2028..=0x202f).contains(&code)
        || (0x205f..=0x2064).contains(&code)
        || code == 0x3000
        || code == 0xfeff
        || (0xd800..=0xdfff).contains(&code)
        || (0xe000..=0xf8ff).contains(&code))
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::IxDyn;

    fn t(shape: &[usize], v: &[f32]) -> String {
        format_tensor(&ArrayD::from_shape_vec(IxDyn(shape), v.to_vec()).unwrap())
    }

    #[test]
    fn tensors_basic() {
        assert_eq!(t(&[], &[0.25]), "tensor(0.2500)");
        assert_eq!(t(&[], &[-2.0]), "tensor(-2.)");
        assert_eq!(t(&[2], &[-0.0, 1.0]), "tensor([-0., 1.])");
        assert_eq!(
            t(&[3], &[1.0, 0.0, -1.0].map(|x: f32| x / 0.0)),
            "tensor([inf, nan, -inf])"
        );
        assert_eq!(t(&[0], &[]), "tensor([])");
        assert_eq!(t(&[2, 0, 3], &[]), "tensor([], size=(2, 0, 3))");
        assert_eq!(
            t(&[3], &[1e-5, 1.0, 1e3]),
            "tensor([1.0000e-05, 1.0000e+00, 1.0000e+03])"
        );
        assert_eq!(t(&[1], &[100000.0]), "tensor([100000.])");
    }

    #[test]
    fn numbers_like_python() {
        // Reference values from CPython 3.11 `repr`.
        let cases: &[(f64, &str)] = &[
            (3.0, "3"),
            (25000.0, "25000"),
            (-2.0, "-2"),
            (0.0, "0"),
            (-0.0, "0"),
            (0.5, "0.5"),
            (0.1, "0.1"),
            (-0.1, "-0.1"),
            (1e-5, "1e-05"),
            (1.5e-7, "1.5e-07"),
            (1e16, "1e+16"),
            (-1e16, "-1e+16"),
            (1.5e16, "1.5e+16"),
            (123456789012345680.0, "1.2345678901234568e+17"),
            (9999999999999998.0, "9999999999999998"),
            (0.0001, "0.0001"),
            (0.00012345, "0.00012345"),
            (0.046666670590639114, "0.046666670590639114"),
            (1.0 / 3.0, "0.3333333333333333"),
            (2.0 / 3.0, "0.6666666666666666"),
            (0.1 + 0.2, "0.30000000000000004"),
            (1e300, "1e+300"),
            (-1.5e-300, "-1.5e-300"),
            (5e-324, "5e-324"),
            (f64::MAX, "1.7976931348623157e+308"),
            (f64::MIN_POSITIVE, "2.2250738585072014e-308"),
            (123.456, "123.456"),
            (1234567.125, "1234567.125"),
            (999999999999999.9, "999999999999999.9"),
            (0.5249791741371155, "0.5249791741371155"),
            (6.02214, "6.02214"),
            (2.5e-5, "2.5e-05"),
            (f64::NAN, "nan"),
            (f64::INFINITY, "inf"),
            (f64::NEG_INFINITY, "-inf"),
            (1e22, "1e+22"),
            (1.7, "1.7"),
            (100.5, "100.5"),
            (-7.25, "-7.25"),
            (0.30000001192092896, "0.30000001192092896"),
            // exact values ...15625 and ...869.25 lie halfway between two 16/17-digit strings:
            // Python keeps the even one (Rust's shortest `{:e}` alone gives ...563 and ...869.3)
            (843.1875610351562, "843.1875610351562"),
            (-1228605930715869.2, "-1228605930715869.2"),
        ];
        for (x, want) in cases {
            assert_eq!(format_number(*x), *want, "format_number({x:e})");
        }
    }

    #[test]
    fn strings_like_python() {
        // Reference values from CPython 3.11 `repr`.
        let cases: &[(&str, &str)] = &[
            ("hello", "'hello'"),
            ("", "''"),
            ("it's", "\"it's\""),
            ("say \"hi\"", "'say \"hi\"'"),
            ("both ' and \"", "'both \\' and \"'"),
            ("a\nb", "'a\\nb'"),
            ("tab\there", "'tab\\there'"),
            ("back\\slash", "'back\\\\slash'"),
            ("cr\r", "'cr\\r'"),
            ("bell\x07", "'bell\\x07'"),
            ("del\x7f", "'del\\x7f'"),
            ("caf\u{e9}", "'caf\u{e9}'"),
            ("nbsp\u{a0}", "'nbsp\\xa0'"),
            ("zw\u{200b}", "'zw\\u200b'"),
            ("\u{4f60}\u{597d}", "'\u{4f60}\u{597d}'"),
            ("'", "\"'\""),
            ("\"", "'\"'"),
            ("'\"", "'\\'\"'"),
        ];
        for (s, want) in cases {
            assert_eq!(format_string_repr(s), *want, "format_string_repr({s:?})");
        }
    }
}
