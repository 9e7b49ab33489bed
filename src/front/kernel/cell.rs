//! What a notebook cell holds and how its results look: the cell split into code and
//! `:` command lines (IPython's `%time`/`%%time` read as `:time`, `%matplotlib` accepted,
//! other magics refused), and the HTML tables of small tensors and of `:vars`.

use crate::runtime::value::Value;
use crate::syntax::diagnostic::Diagnostic;
use crate::tensor::Tensor;

/// One piece of a cell, run in order.
#[derive(Debug, PartialEq, Eq)]
pub enum Part {
    /// Statements, run as one REPL input.
    Code(String),
    /// A REPL `:` command line (with the indented lines after it).
    Command(String),
}

fn magic_error(word: &str) -> Box<Diagnostic> {
    let (message, help) = if word.starts_with('!') {
        (
            format!("`{word}` is an IPython shell escape; a tsr cell cannot run shell commands"),
            "run it in a terminal, or in a Python notebook".to_string(),
        )
    } else {
        (
            format!("`{word}` is an IPython magic that tsr does not have"),
            "tsr cells take the REPL's `:` commands (`:help` lists them); `%time` and \
             `%%time` run as `:time`, and `%matplotlib inline` is accepted (plots are inline)"
                .to_string(),
        )
    };
    Box::new(Diagnostic::error("kernel::magic", message).help(help))
}

/// The first word of a line and the rest after it.
fn word_and_rest(line: &str) -> (&str, &str) {
    let line = line.trim();
    match line.find(char::is_whitespace) {
        Some(i) => (&line[..i], line[i..].trim_start()),
        None => (line, ""),
    }
}

/// Split a cell. An unknown magic anywhere refuses the whole cell before anything runs.
pub fn split(cell: &str) -> Result<Vec<Part>, Box<Diagnostic>> {
    let lines: Vec<&str> = cell.lines().collect();
    if let Some(first) = lines.iter().position(|l| !l.trim().is_empty()) {
        let head = lines[first].trim_start();
        if head.starts_with("%%") {
            let (word, args) = word_and_rest(head);
            return match word {
                "%%time" | "%%timeit" => {
                    let body = lines[first + 1..].join("\n");
                    let args = if args.is_empty() {
                        String::new()
                    } else {
                        format!("{args} ")
                    };
                    if body.trim().is_empty() {
                        return Ok(vec![Part::Command(
                            format!(":time {args}").trim().to_string(),
                        )]);
                    }
                    Ok(vec![Part::Command(format!(":time {args}{body}"))])
                }
                _ => Err(magic_error(word)),
            };
        }
    }
    let mut parts = Vec::new();
    let mut code = String::new();
    let mut i = 0;
    while i < lines.len() {
        let line = lines[i];
        let first = line.chars().next();
        if !matches!(first, Some(':' | '%' | '!')) {
            code.push_str(line);
            code.push('\n');
            i += 1;
            continue;
        }
        if !code.trim().is_empty() {
            parts.push(Part::Code(std::mem::take(&mut code)));
        }
        code.clear();
        let mut command = line.trim_end().to_string();
        while i + 1 < lines.len() && lines[i + 1].starts_with([' ', '\t']) {
            command.push('\n');
            command.push_str(lines[i + 1]);
            i += 1;
        }
        let (word, rest) = word_and_rest(&command);
        match first {
            Some(':') => parts.push(Part::Command(command.clone())),
            Some('%') => match word {
                "%time" | "%timeit" => parts.push(Part::Command(
                    format!(":time {rest}").trim_end().to_string(),
                )),
                "%matplotlib" => {}
                _ => return Err(magic_error(word)),
            },
            _ => return Err(magic_error(word)),
        }
        i += 1;
    }
    if !code.trim().is_empty() {
        parts.push(Part::Code(code));
    }
    Ok(parts)
}

/// Escape text for HTML.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            _ => out.push(c),
        }
    }
    out
}

/// Largest tensors shown as a table: 1-D up to this many elements, 2-D up to
/// `MAX_ROWS` × `MAX_COLS`.
const MAX_1D: usize = 64;
const MAX_ROWS: usize = 32;
const MAX_COLS: usize = 16;

fn cell_number(x: f32) -> String {
    if x.is_nan() {
        "nan".to_string()
    } else if x.is_infinite() {
        if x > 0.0 { "inf" } else { "-inf" }.to_string()
    } else {
        // The shortest text that reads back as the same f32.
        format!("{x}")
    }
}

/// A small 1-D or 2-D tensor as an HTML table (`None` for others).
pub fn tensor_html(t: &Tensor) -> Option<String> {
    let shape = t.shape();
    let data = t.data();
    let values: Vec<f32> = data.iter().copied().collect();
    let (rows, cols) = match shape.as_slice() {
        [n] if *n <= MAX_1D && *n > 0 => (1, *n),
        [r, c] if *r <= MAX_ROWS && *c <= MAX_COLS && *r > 0 && *c > 0 => (*r, *c),
        _ => return None,
    };
    let mut html = String::from("<table class=\"tsr-tensor\">\n<thead><tr><th></th>");
    for c in 0..cols {
        html.push_str(&format!("<th>{c}</th>"));
    }
    html.push_str("</tr></thead>\n<tbody>\n");
    for r in 0..rows {
        html.push_str(&format!("<tr><th>{r}</th>"));
        for c in 0..cols {
            html.push_str(&format!(
                "<td style=\"text-align: right\">{}</td>",
                cell_number(values[r * cols + c])
            ));
        }
        html.push_str("</tr>\n");
    }
    let dims: Vec<String> = shape.iter().map(|d| d.to_string()).collect();
    html.push_str(&format!(
        "</tbody>\n</table>\n<p><small>tensor of shape [{}]</small></p>",
        dims.join(", ")
    ));
    Some(html)
}

/// The MIME bundle of a value: tsr's printing, and a table for a small tensor.
pub fn mime_bundle(v: &Value) -> serde_json::Value {
    let mut data = serde_json::Map::new();
    data.insert("text/plain".into(), v.repr().into());
    if let Value::Tensor(t) = v {
        if let Some(html) = tensor_html(t) {
            data.insert("text/html".into(), html.into());
        }
    }
    serde_json::Value::Object(data)
}

/// The `:vars` rows as an HTML table.
pub fn vars_html(header: &[&str; 5], rows: &[[String; 5]]) -> String {
    let mut html = String::from("<table class=\"tsr-vars\">\n<thead><tr>");
    for h in header {
        html.push_str(&format!("<th>{h}</th>"));
    }
    html.push_str("</tr></thead>\n<tbody>\n");
    for row in rows {
        html.push_str("<tr>");
        for (i, cell) in row.iter().enumerate() {
            let align = if i == 4 { "right" } else { "left" };
            html.push_str(&format!(
                "<td style=\"text-align: {align}\">{}</td>",
                escape(cell)
            ));
        }
        html.push_str("</tr>\n");
    }
    html.push_str("</tbody>\n</table>");
    html
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_commands_and_magics() {
        let parts = split("x = 1\n:vars\ny = 2\n%time z = x + y\n%matplotlib inline\n").unwrap();
        assert_eq!(
            parts,
            vec![
                Part::Code("x = 1\n".into()),
                Part::Command(":vars".into()),
                Part::Code("y = 2\n".into()),
                Part::Command(":time z = x + y".into()),
            ]
        );
        assert_eq!(
            split("%%time\nfor i in range(3):\n    x = i\n").unwrap(),
            vec![Part::Command(":time for i in range(3):\n    x = i".into())]
        );
        let e = split("x = 1\n%who\n").unwrap_err();
        assert!(e.message.contains("`%who`"), "{}", e.message);
        let e = split("!ls -l\n").unwrap_err();
        assert!(e.message.contains("`!ls`"), "{}", e.message);
    }
}
