//! Tab completion and signature hints over a snapshot of the session's names: variables,
//! builtins, keywords, `:` commands, properties and functions after `.`, and file names
//! inside the string argument of `load("...")` and the other file functions.

use crate::runtime::builtins;
use crate::runtime::interp::Interp;
use crate::runtime::value::Value;

/// The keywords of the language (LANGUAGE.md "Lexical structure").
pub const KEYWORDS: &[&str] = &[
    "and", "break", "continue", "def", "elif", "else", "False", "for", "if", "in", "None", "not",
    "or", "pass", "return", "True", "while",
];

/// What `x.` may be followed by besides functions.
pub const PROPERTIES: &[&str] = &["T", "grad", "mT", "ndim", "shape"];

/// The builtins offered after `x.` for a variable of each kind (a receiver whose kind is
/// not known gets every builtin). User functions are offered for every kind.
const TENSOR_METHODS: &[&str] = &[
    "abs",
    "accuracy",
    "argmax",
    "argmin",
    "backward",
    "bce",
    "bce_logits",
    "clamp",
    "cross_entropy",
    "detach",
    "dot",
    "exp",
    "flatten",
    "grad",
    "item",
    "leaky_relu",
    "len",
    "log",
    "log_softmax",
    "max",
    "maximum",
    "mean",
    "min",
    "minimum",
    "mse",
    "numel",
    "one_hot",
    "ones_like",
    "plot",
    "relu",
    "reshape",
    "save",
    "sigmoid",
    "softmax",
    "sqrt",
    "squeeze",
    "str",
    "sum",
    "tanh",
    "transpose",
    "type",
    "unsqueeze",
    "zeros_like",
];
const LIST_METHODS: &[&str] = &[
    "append", "cat", "len", "list", "plot", "sorted", "stack", "str", "tensor", "type",
];
const STRING_METHODS: &[&str] = &[
    "csv_columns",
    "float",
    "int",
    "len",
    "load",
    "load_csv",
    "str",
    "type",
];
const NUMBER_METHODS: &[&str] = &["float", "int", "round", "str", "type"];
const DICT_METHODS: &[&str] = &["get", "items", "keys", "values"];
const SET_METHODS: &[&str] = &["add", "discard", "update"];
const OPTIMIZER_METHODS: &[&str] = &["step", "type", "zero_grad"];

/// What `x.` offers for a value of `kind` (`None`: every builtin).
fn methods_of(kind: &str) -> Option<&'static [&'static str]> {
    Some(match kind {
        "tensor" => TENSOR_METHODS,
        "list" | "range" => LIST_METHODS,
        "string" => STRING_METHODS,
        "number" | "bool" => NUMBER_METHODS,
        "optimizer" => OPTIMIZER_METHODS,
        "dict" => DICT_METHODS,
        "set" => SET_METHODS,
        _ => return None,
    })
}

/// Builtins whose string arguments are file paths.
const FILE_FUNCTIONS: &[&str] = &["load", "load_csv", "save", "dot", "plot"];

/// What completion and hints know of the session, taken before each prompt (the editor
/// cannot borrow the session while the loop runs it).
#[derive(Clone, Debug, Default)]
pub struct Scope {
    /// Global variable names, sorted.
    pub variables: Vec<String>,
    /// User functions and their signatures, `f(a, b=1)`.
    pub functions: Vec<(String, String)>,
    /// The kind of each global variable (`tensor`, `list`, ...), by name.
    pub kinds: Vec<(String, &'static str)>,
    /// What `name.` offers for an object, a class or a module: its attributes and
    /// methods (instance attributes first), or the module's members.
    pub members: Vec<(String, Vec<String>)>,
    /// The string keys of each dict variable, for `d["`.
    pub dict_keys: Vec<(String, Vec<String>)>,
}

impl Scope {
    pub fn of(interp: &Interp) -> Scope {
        let mut variables: Vec<String> = interp.globals.keys().map(|k| k.to_string()).collect();
        variables.sort();
        let mut functions = Vec::new();
        let kinds = variables
            .iter()
            .filter_map(|n| Some((n.clone(), interp.globals.get(n.as_str())?.value.kind())))
            .collect();
        for name in &variables {
            if let Some(Value::Function(f)) = interp.globals.get(name.as_str()).map(|b| &b.value) {
                let text = &interp.sources[f.src_id].text;
                let params: Vec<String> = f
                    .params
                    .iter()
                    .map(|p| match &p.default {
                        Some(d) => format!(
                            "{}={}",
                            p.name.node,
                            text.get(d.span.start..d.span.end).unwrap_or("…")
                        ),
                        None => p.name.node.clone(),
                    })
                    .collect();
                functions.push((name.clone(), format!("{name}({})", params.join(", "))));
            }
        }
        let mut members = Vec::new();
        let mut dict_keys = Vec::new();
        for name in &variables {
            let Some(b) = interp.globals.get(name.as_str()) else {
                continue;
            };
            let class_names = |c: &crate::runtime::py::class::Class| {
                let mut out: Vec<String> = Vec::new();
                let mut class = Some(c);
                while let Some(k) = class {
                    out.extend(k.attrs.borrow().iter().map(|(n, _)| n.clone()));
                    class = k.base.as_deref();
                }
                out
            };
            let names: Vec<String> = match &b.value {
                Value::Instance(i) => {
                    let mut out: Vec<String> =
                        i.attrs.borrow().iter().map(|(n, _)| n.clone()).collect();
                    out.extend(class_names(&i.class));
                    out
                }
                Value::Class(c) => class_names(c),
                Value::Module(m) => m.names(interp.builtins),
                Value::Dict(d) => {
                    let keys = d
                        .borrow()
                        .keys()
                        .filter_map(|k| match k {
                            Value::Str(s) => Some(s.to_string()),
                            _ => None,
                        })
                        .collect();
                    dict_keys.push((name.clone(), keys));
                    continue;
                }
                _ => continue,
            };
            let mut names: Vec<String> =
                names.into_iter().filter(|n| !n.starts_with("__")).collect();
            names.dedup();
            members.push((name.clone(), names));
        }
        Scope {
            variables,
            functions,
            kinds,
            members,
            dict_keys,
        }
    }

    /// The kind of the variable `name`, if it is one.
    pub fn kind_of(&self, name: &str) -> Option<&'static str> {
        self.kinds.iter().find(|(n, _)| n == name).map(|(_, k)| *k)
    }

    /// The signature of a user function or builtin called `name`.
    pub fn signature(&self, name: &str) -> Option<String> {
        if let Some((_, sig)) = self.functions.iter().find(|(n, _)| n == name) {
            return Some(sig.clone());
        }
        if self.variables.iter().any(|v| v == name) {
            return None;
        }
        builtins::find(name).map(|b| b.signature())
    }
}

fn is_name_char(c: char) -> bool {
    c == '_' || c.is_alphanumeric()
}

/// Where the identifier that ends at `pos` starts.
fn word_start(line: &str, pos: usize) -> usize {
    line[..pos]
        .char_indices()
        .rev()
        .take_while(|(_, c)| is_name_char(*c))
        .last()
        .map_or(pos, |(i, _)| i)
}

/// The byte offset of the opening quote when `pos` is inside a string literal.
fn open_string(line: &str, pos: usize) -> Option<usize> {
    let mut open: Option<(usize, char)> = None;
    let mut escaped = false;
    for (i, c) in line[..pos].char_indices() {
        match open {
            Some((_, q)) => {
                if escaped {
                    escaped = false;
                } else if c == '\\' {
                    escaped = true;
                } else if c == q {
                    open = None;
                }
            }
            None if c == '#' => return None,
            None if c == '"' || c == '\'' => open = Some((i, c)),
            None => {}
        }
    }
    open.map(|(i, _)| i)
}

/// The innermost `(` still open before `pos` (outside strings), and the function name
/// written before it.
fn open_call(line: &str, pos: usize) -> Option<(usize, &str)> {
    let mut stack: Vec<(usize, char)> = Vec::new();
    let mut quote: Option<char> = None;
    let mut escaped = false;
    for (i, c) in line[..pos].char_indices() {
        if let Some(q) = quote {
            if escaped {
                escaped = false;
            } else if c == '\\' {
                escaped = true;
            } else if c == q {
                quote = None;
            }
            continue;
        }
        match c {
            '"' | '\'' => quote = Some(c),
            '#' => break,
            '(' | '[' => stack.push((i, c)),
            ')' | ']' => {
                stack.pop();
            }
            _ => {}
        }
    }
    let (paren, _) = stack.into_iter().rev().find(|(_, c)| *c == '(')?;
    let before = line[..paren].trim_end();
    let start = word_start(before, before.len());
    let name = &before[start..];
    if name.is_empty() || name.starts_with(|c: char| c.is_ascii_digit()) {
        return None;
    }
    Some((paren, name))
}

fn with_prefix<'a>(candidates: impl Iterator<Item = &'a str>, prefix: &str) -> Vec<String> {
    let mut out: Vec<String> = candidates
        .filter(|c| c.starts_with(prefix))
        .map(str::to_string)
        .collect();
    out.sort();
    out.dedup();
    out
}

/// Completions for the text before `pos`: the byte offset where the replaced word
/// starts, and the candidates, sorted.
pub fn complete(scope: &Scope, line: &str, pos: usize) -> (usize, Vec<String>) {
    let pos = pos.min(line.len());
    let before = &line[..pos];
    // Tab in the indentation of a line indents, as in Python's REPL.
    if !before.is_empty() && before.trim().is_empty() {
        return (pos, vec!["    ".to_string()]);
    }
    let first = before.trim_start();
    if first.starts_with(':') {
        return complete_command(scope, line, pos);
    }
    if let Some(quote) = open_string(line, pos) {
        // `d["` : the keys of the dict `d`.
        let before_quote = line[..quote].trim_end();
        if let Some(subject) = before_quote.strip_suffix('[') {
            let name = &subject[word_start(subject, subject.len())..];
            if let Some((_, keys)) = scope.dict_keys.iter().find(|(n, _)| n == name) {
                let typed = &line[quote + 1..pos];
                return (
                    quote + 1,
                    with_prefix(keys.iter().map(String::as_str), typed),
                );
            }
        }
        return match open_call(line, quote) {
            Some((_, name)) if FILE_FUNCTIONS.contains(&name) => {
                complete_path(line, quote + 1, pos)
            }
            _ => (pos, Vec::new()),
        };
    }
    complete_expression(scope, line, pos)
}

fn complete_expression(scope: &Scope, line: &str, pos: usize) -> (usize, Vec<String>) {
    let start = word_start(line, pos);
    let prefix = &line[start..pos];
    if prefix.starts_with(|c: char| c.is_ascii_digit()) {
        return (start, Vec::new());
    }
    let after_dot =
        line[..start].trim_end().ends_with('.') && !line[..start].trim_end().ends_with("..");
    if after_dot {
        let receiver = line[..start].trim_end().trim_end_matches('.');
        // `1.` is a number, not a receiver.
        if receiver.ends_with(|c: char| c.is_ascii_digit())
            && word_start(receiver, receiver.len()) < receiver.len()
        {
            let w = &receiver[word_start(receiver, receiver.len())..];
            if w.chars().all(|c| c.is_ascii_digit()) {
                return (start, Vec::new());
            }
        }
        // A variable's kind narrows the list: `x.` on a tensor offers tensor functions
        // and properties, on a list list functions, ...
        let receiver_start = word_start(receiver, receiver.len());
        let plain_name = receiver_start < receiver.len()
            && !receiver[..receiver_start].trim_end().ends_with('.');
        let kind = plain_name
            .then(|| scope.kind_of(&receiver[receiver_start..]))
            .flatten();
        let user = scope.functions.iter().map(|(n, _)| n.as_str());
        // An object's attributes and methods, a module's members.
        if plain_name {
            let name = &receiver[receiver_start..];
            if let Some((_, names)) = scope.members.iter().find(|(n, _)| n == name) {
                return (start, with_prefix(names.iter().map(String::as_str), prefix));
            }
        }
        if let Some(methods) = kind.and_then(methods_of) {
            let properties = if kind == Some("tensor") {
                PROPERTIES
            } else {
                &[]
            };
            let names = properties.iter().chain(methods.iter()).copied().chain(user);
            return (start, with_prefix(names, prefix));
        }
        let names = PROPERTIES
            .iter()
            .copied()
            .chain(builtins::table().iter().map(|b| b.name))
            .chain(user);
        return (start, with_prefix(names, prefix));
    }
    if prefix.is_empty() {
        return (start, Vec::new());
    }
    let names = scope
        .variables
        .iter()
        .map(String::as_str)
        .chain(builtins::table().iter().map(|b| b.name))
        .chain(KEYWORDS.iter().copied());
    (start, with_prefix(names, prefix))
}

fn complete_command(scope: &Scope, line: &str, pos: usize) -> (usize, Vec<String>) {
    let lead = line.len() - line.trim_start().len();
    let word_end = line[lead..]
        .find(char::is_whitespace)
        .map_or(line.len(), |i| lead + i);
    if pos <= word_end {
        let names = super::commands::COMMANDS.iter().map(|c| c.name);
        return (lead, with_prefix(names, &line[lead..pos]));
    }
    let command = &line[lead..word_end];
    let arg_start = line[word_end..pos].len() - line[word_end..pos].trim_start().len() + word_end;
    match command {
        ":load" => complete_path(line, arg_start.min(pos), pos),
        ":help" => {
            let start = word_start(line, pos);
            let names = builtins::table()
                .iter()
                .map(|b| b.name)
                .chain(scope.functions.iter().map(|(n, _)| n.as_str()))
                .chain(super::commands::COMMANDS.iter().map(|c| &c.name[1..]));
            (start, with_prefix(names, &line[start..pos]))
        }
        _ => complete_expression(scope, line, pos),
    }
}

/// File names for the path typed between `start` and `pos`; directories end in `/`.
fn complete_path(line: &str, start: usize, pos: usize) -> (usize, Vec<String>) {
    let typed = &line[start..pos];
    let (dir, file_prefix, replace_from) = match typed.rfind('/') {
        Some(i) => (
            if i == 0 { "/" } else { &typed[..i] },
            &typed[i + 1..],
            start + i + 1,
        ),
        None => (".", typed, start),
    };
    let dir_path = match dir.strip_prefix("~/") {
        Some(rest) => std::env::var_os("HOME").map(|h| std::path::PathBuf::from(h).join(rest)),
        None => Some(std::path::PathBuf::from(dir)),
    };
    let Some(entries) = dir_path.and_then(|d| std::fs::read_dir(d).ok()) else {
        return (replace_from, Vec::new());
    };
    let mut out = Vec::new();
    for entry in entries.flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        if !name.starts_with(file_prefix)
            || (name.starts_with('.') && !file_prefix.starts_with('.'))
        {
            continue;
        }
        let is_dir = entry.file_type().map(|t| t.is_dir()).unwrap_or(false);
        out.push(if is_dir { format!("{name}/") } else { name });
    }
    out.sort();
    (replace_from, out)
}

/// The grey hint shown after the cursor at the end of the line: right after `name(` the
/// parameters of the builtin or user function; inside the arguments, its signature.
pub fn hint(scope: &Scope, line: &str, pos: usize) -> Option<String> {
    let command = line.trim_start().starts_with(':');
    if pos != line.len() || (command && !line.trim_start().starts_with(":time")) {
        return None;
    }
    if open_string(line, pos).is_some() {
        return None;
    }
    let (paren, name) = open_call(line, pos)?;
    let signature = scope.signature(name)?;
    if line[paren + 1..].trim().is_empty() {
        let params = &signature[signature.find('(')? + 1..];
        if line.ends_with(' ') || params == ")" {
            return None;
        }
        return Some(params.to_string());
    }
    Some(format!("  # {signature}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn method_lists_name_builtins() {
        for list in [
            TENSOR_METHODS,
            LIST_METHODS,
            STRING_METHODS,
            NUMBER_METHODS,
            OPTIMIZER_METHODS,
        ] {
            for name in list {
                assert!(builtins::find(name).is_some(), "`{name}` is not a builtin");
            }
        }
    }
}
