//! Names and kinds explained: close-name suggestions, unknown properties, operators
//! applied to values of the wrong kind.

use super::*;

/// Edit distance for did-you-mean.
pub(super) fn distance(a: &str, b: &str) -> usize {
    let a: Vec<char> = a.chars().collect();
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    let mut cur = vec![0; b.len() + 1];
    for i in 1..=a.len() {
        cur[0] = i;
        for j in 1..=b.len() {
            let cost = if a[i - 1] == b[j - 1] { 0 } else { 1 };
            cur[j] = (prev[j] + 1).min(cur[j - 1] + 1).min(prev[j - 1] + cost);
        }
        std::mem::swap(&mut prev, &mut cur);
    }
    prev[b.len()]
}

/// The closest candidate within a small edit distance, ties broken alphabetically.
pub fn did_you_mean(name: &str, candidates: impl Iterator<Item = String>) -> Option<String> {
    let limit = (name.chars().count() / 3).max(1);
    let mut best: Option<(usize, String)> = None;
    for c in candidates {
        if c == name {
            continue;
        }
        let d = distance(&name.to_lowercase(), &c.to_lowercase());
        if d <= limit
            && best
                .as_ref()
                .map(|(bd, bs)| d < *bd || (d == *bd && c < *bs))
                .unwrap_or(true)
        {
            best = Some((d, c));
        }
    }
    best.map(|(_, s)| s)
}

/// An operator applied to values it does not support (`"a" + tensor`, `None * 2`).
/// `l` and `r` are the operands' kinds in the user's words (`Value::kind`).
pub fn operator_type_error(
    op: BinOp,
    op_span: Span,
    l: &str,
    r: &str,
    lhs: Span,
    rhs: Span,
) -> Diagnostic {
    let mut d = Diagnostic::error(
        "type::operator",
        format!("`{}` does not apply to a {} and a {}", op.symbol(), l, r),
    )
    .primary(op_span, "unsupported operands")
    .label(lhs, format!("a {l}"))
    .label(rhs, format!("a {r}"));
    if matches!(
        (l, r),
        ("string", "number" | "tensor") | ("number" | "tensor", "string")
    ) && op == BinOp::Add
    {
        d = d.help("to join text and a value, write `\"text\" + str(x)` or `print(\"text\", x)`");
    } else if l == "list" || r == "list" {
        d = d.help("to compute with a list of numbers, make it a tensor: `tensor([...])`");
    }
    d
}

/// `x ^ 2` with a tensor of numbers: `^` is exclusive or (of masks and bools), which
/// PyTorch refuses on float tensors; a power was almost surely meant. Each operand comes
/// with what it is ("a mask", "a number", ...); `texts` are their source text, for the fix.
pub fn xor_needs_masks(
    op_span: Span,
    operands: [(Span, &str); 2],
    texts: [String; 2],
) -> Diagnostic {
    let mut d = Diagnostic::error(
        "type::operator",
        "`^` is exclusive or, of masks and bools: a tensor of numbers has no exclusive or",
    )
    .primary(op_span, "exclusive or");
    for (span, what) in operands {
        d = d.label(span, what.to_string());
    }
    let [l, r] = texts;
    let whole = operands[0].0.to(operands[1].0);
    if operands[0].1 == "a mask" || operands[1].1 != "a number" {
        return d
            .help("to combine masks, make both masks: `(x > 0) ^ (y > 0)`; a power is `x ** y`");
    }
    d.with_fix(
        whole,
        format!("{l} ** {r}"),
        format!("a power is `**`: `{l} ** {r}`"),
    )
}

/// "1 row", "3 rows", "length 3".
/// "1 axis", "3 axes".
pub(crate) fn axes(n: usize) -> String {
    if n == 1 {
        "1 axis".to_string()
    } else {
        format!("{n} axes")
    }
}

pub(crate) fn plural(n: usize, word: &str) -> String {
    match (n, word) {
        (_, "length") => format!("length {n}"),
        (1, "columns") => "1 column".to_string(),
        (1, "rows") => "1 row".to_string(),
        (1, "values") => "1 value".to_string(),
        (1, "items") => "1 item".to_string(),
        _ => format!("{n} {word}"),
    }
}

/// `x.nosuch`: an unknown property, with a did-you-mean among the tensor properties or a
/// hint that a function must be called. Shared by the evaluator and `tsr check`.
/// `is_function`: whether `name` is a builtin, which `x.name()` would call.
pub fn unknown_property(
    kind: &str,
    is_tensor: bool,
    is_function: bool,
    name: &str,
    object_span: Span,
    span: Span,
) -> Diagnostic {
    let known = ["shape", "ndim", "T", "mT", "grad"];
    let d = Diagnostic::error(
        "name::property",
        format!("a {kind} has no property `{name}`"),
    )
    .primary(span, "unknown property")
    .label(object_span, format!("this is a {kind}"));
    if is_function {
        return d.help(format!("`{name}` is a function: call it as `.{name}()`"));
    }
    if kind == "optimizer" {
        return d.help("an optimiser has `.lr` and `.param_groups` (change the rate with `set_lr(opt, lr)` or `opt.param_groups[0][\"lr\"] = lr`)");
    }
    if is_tensor && (name == "values" || name == "indices") {
        // `x.max(dim=1).values`: tsr's `max` with an axis returns the values.
        return d.help("tsr's `x.max(dim=1)` returns the values tensor itself (as numpy's `max`); for PyTorch's (values, indices) pair write `torch.max(x, 1)`, and `argmax(x, 1)` for the indices");
    }
    if !is_tensor {
        return d;
    }
    match did_you_mean(name, known.iter().map(|s| s.to_string())) {
        Some(s) => d.help(format!("did you mean `.{s}`?")),
        None => d.help("tensors have `.shape`, `.ndim`, `.T` and `.grad`"),
    }
}

/// The operator of a comparison op's name (`gt` → `>`), `None` for other ops.
pub(super) fn comparison_symbol(op: &str) -> Option<&'static str> {
    Some(match op {
        "eq" => "==",
        "ne" => "!=",
        "lt" => "<",
        "le" => "<=",
        "gt" => ">",
        "ge" => ">=",
        _ => return None,
    })
}
