//! The layout's rules, read from the source text: layers import only downward (syntax →
//! tensor core → runtime → front-ends), no circle of three or more files imports each
//! other, and no file of `src/` is much longer than a reader holds in mind.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

/// A file may be this long at most ("about 800 lines").
const MAX_LINES: usize = 820;

type Module = Vec<String>;

/// Every module of `src/` (its path below the crate root) and its file's text.
fn modules() -> BTreeMap<Module, String> {
    fn walk(dir: &Path, out: &mut Vec<std::path::PathBuf>) {
        for e in std::fs::read_dir(dir).expect("src is readable") {
            let p = e.expect("entry").path();
            if p.is_dir() {
                walk(&p, out);
            } else if p.extension().is_some_and(|x| x == "rs") {
                out.push(p);
            }
        }
    }
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    walk(&root, &mut files);
    files
        .into_iter()
        .map(|p| {
            let rel = p.strip_prefix(&root).expect("below src").with_extension("");
            let mut m: Module = rel
                .components()
                .map(|c| c.as_os_str().to_string_lossy().into_owned())
                .collect();
            if matches!(m.last().map(String::as_str), Some("mod" | "lib" | "main")) {
                m.pop();
            }
            (m, std::fs::read_to_string(&p).expect("source is text"))
        })
        .collect()
}

/// The code of a file without comments, string literals and its test module.
fn code(text: &str) -> String {
    let text = text.split("#[cfg(test)]").next().unwrap_or("");
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '/' if chars.peek() == Some(&'/') => {
                for c in chars.by_ref() {
                    if c == '\n' {
                        out.push('\n');
                        break;
                    }
                }
            }
            '"' => {
                while let Some(c) = chars.next() {
                    match c {
                        '\\' => {
                            chars.next();
                        }
                        '"' => break,
                        _ => {}
                    }
                }
                out.push_str("\"\"");
            }
            // A char literal ('"', '\'', 'x'); a lifetime ('a) is left as it is.
            '\'' => {
                let rest: String = chars.clone().take(3).collect();
                let len = if rest.starts_with('\\') {
                    rest.find('\'').filter(|&i| i > 1).map(|i| i + 1)
                } else if rest.chars().nth(1) == Some('\'') {
                    Some(rest.chars().next().map_or(0, char::len_utf8) + 1)
                } else {
                    None
                };
                match len {
                    Some(n) => {
                        let mut taken = 0;
                        while taken < n {
                            taken += chars.next().map_or(n, char::len_utf8);
                        }
                        out.push_str("' '");
                    }
                    None => out.push('\''),
                }
            }
            c => out.push(c),
        }
    }
    out
}

/// The paths a file names through `crate::` and `super::`, each as segments from the
/// crate root (a `{a, b::c}` group gives one path per member).
fn paths(me: &Module, code: &str) -> Vec<Module> {
    let mut out = Vec::new();
    let bytes: Vec<char> = code.chars().collect();
    let mut i = 0;
    while i < bytes.len() {
        let word_start = i == 0 || !(bytes[i - 1].is_alphanumeric() || bytes[i - 1] == '_');
        let rest: String = bytes[i..bytes.len().min(i + 7)].iter().collect();
        let kind = if rest.starts_with("crate::") {
            Some("crate")
        } else if rest.starts_with("super::") {
            Some("super")
        } else {
            None
        };
        let Some(kind) = kind.filter(|_| word_start) else {
            i += 1;
            continue;
        };
        // The path's text up to what cannot be part of it.
        let mut j = i;
        let mut depth = 0;
        while j < bytes.len() {
            let c = bytes[j];
            match c {
                '{' => depth += 1,
                '}' if depth == 0 => break,
                '}' => depth -= 1,
                c if depth == 0 && !(c.is_alphanumeric() || c == '_' || c == ':') => break,
                _ => {}
            }
            j += 1;
        }
        let text: String = bytes[i..j].iter().collect();
        let base: Module = if kind == "crate" {
            Vec::new()
        } else {
            // A module's `super` is its parent (a folder's `mod.rs` is the folder).
            let mut b = me.clone();
            b.pop();
            b
        };
        let text = text.strip_prefix(kind).unwrap_or(&text);
        expand(base, text, &mut out);
        i = j.max(i + 1);
    }
    out
}

/// `::a::super::b::{c, d::e}` below `base`, one path per member of a group.
fn expand(mut base: Module, text: &str, out: &mut Vec<Module>) {
    let mut rest = text.trim().trim_start_matches("::");
    loop {
        if let Some(group) = rest.strip_prefix('{') {
            let inner = group.strip_suffix('}').unwrap_or(group);
            let (mut depth, mut start) = (0, 0);
            for (k, c) in inner.char_indices() {
                match c {
                    '{' => depth += 1,
                    '}' => depth -= 1,
                    ',' if depth == 0 => {
                        member(&base, &inner[start..k], out);
                        start = k + 1;
                    }
                    _ => {}
                }
            }
            member(&base, &inner[start..], out);
            return;
        }
        let (seg, tail) = match rest.find("::") {
            Some(k) => (&rest[..k], &rest[k + 2..]),
            None => (rest, ""),
        };
        match seg {
            "" => {}
            "super" => {
                base.pop();
            }
            s => base.push(s.to_string()),
        }
        if tail.is_empty() {
            out.push(base);
            return;
        }
        rest = tail;
    }
}

fn member(base: &Module, text: &str, out: &mut Vec<Module>) {
    let text = text.trim();
    match text.split_whitespace().next() {
        None => {}
        Some("self") => out.push(base.clone()),
        Some(_) => expand(base.clone(), text, out),
    }
}

/// Each module and the modules it imports (the longest module prefix of each path).
fn import_graph() -> BTreeMap<Module, BTreeSet<Module>> {
    let mods = modules();
    let mut graph = BTreeMap::new();
    for (m, text) in &mods {
        let mut to = BTreeSet::new();
        for p in paths(m, &code(text)) {
            let target = (0..=p.len())
                .rev()
                .map(|k| p[..k].to_vec())
                .find(|prefix| mods.contains_key(prefix));
            if let Some(t) = target.filter(|t| t != m) {
                to.insert(t);
            }
        }
        graph.insert(m.clone(), to);
    }
    graph
}

/// The strongly connected groups of the graph (Tarjan).
fn circles(graph: &BTreeMap<Module, BTreeSet<Module>>) -> Vec<Vec<Module>> {
    struct State<'a> {
        graph: &'a BTreeMap<Module, BTreeSet<Module>>,
        index: BTreeMap<&'a Module, (usize, usize)>,
        stack: Vec<&'a Module>,
        on: BTreeSet<&'a Module>,
        next: usize,
        out: Vec<Vec<Module>>,
    }
    fn visit<'a>(s: &mut State<'a>, v: &'a Module) {
        s.index.insert(v, (s.next, s.next));
        s.next += 1;
        s.stack.push(v);
        s.on.insert(v);
        for w in &s.graph[v] {
            if !s.index.contains_key(w) {
                visit(s, w);
                let low = s.index[w].1.min(s.index[v].1);
                s.index.get_mut(v).expect("visited").1 = low;
            } else if s.on.contains(w) {
                let low = s.index[w].0.min(s.index[v].1);
                s.index.get_mut(v).expect("visited").1 = low;
            }
        }
        if s.index[v].0 == s.index[v].1 {
            let mut group = Vec::new();
            while let Some(w) = s.stack.pop() {
                s.on.remove(w);
                group.push(w.clone());
                if w == v {
                    break;
                }
            }
            s.out.push(group);
        }
    }
    let mut s = State {
        graph,
        index: BTreeMap::new(),
        stack: Vec::new(),
        on: BTreeSet::new(),
        next: 0,
        out: Vec::new(),
    };
    for v in graph.keys() {
        if !s.index.contains_key(v) {
            visit(&mut s, v);
        }
    }
    s.out
}

fn layer(m: &Module) -> Option<usize> {
    ["syntax", "tensor", "runtime", "front"]
        .iter()
        .position(|l| m.first().map(String::as_str) == Some(l))
}

#[test]
fn layers_import_only_downward() {
    let mut wrong = Vec::new();
    for (m, to) in import_graph() {
        for t in to {
            let (Some(a), Some(b)) = (layer(&m), layer(&t)) else {
                continue;
            };
            // The tensor core knows nothing of spans or diagnostics.
            if b > a || (a == 1 && b == 0) {
                wrong.push(format!("{} -> {}", m.join("::"), t.join("::")));
            }
        }
    }
    assert!(
        wrong.is_empty(),
        "imports against the layers:\n{}",
        wrong.join("\n")
    );
}

#[test]
fn no_circle_of_three_or_more_files() {
    let graph = import_graph();
    // The reader sees the graph was read: the evaluator imports the values.
    let interp = vec!["runtime".to_string(), "interp".to_string()];
    assert!(graph[&interp].contains(&vec!["runtime".to_string(), "value".to_string()]));
    let big: Vec<String> = circles(&graph)
        .into_iter()
        .filter(|g| g.len() >= 3)
        .map(|g| {
            let names: Vec<String> = g.iter().map(|m| m.join("::")).collect();
            names.join(", ")
        })
        .collect();
    assert!(
        big.is_empty(),
        "files that import each other in a circle:\n{}",
        big.join("\n")
    );
}

#[test]
fn no_file_past_about_800_lines() {
    let long: Vec<String> = modules()
        .iter()
        .filter(|(_, text)| text.lines().count() > MAX_LINES)
        .map(|(m, text)| format!("{}: {} lines", m.join("::"), text.lines().count()))
        .collect();
    assert!(
        long.is_empty(),
        "files too long to hold in mind:\n{}",
        long.join("\n")
    );
}

#[test]
fn a_planted_circle_is_found() {
    let m = |s: &str| -> Module { s.split("::").map(String::from).collect() };
    let mut g = BTreeMap::new();
    g.insert(m("a"), BTreeSet::from([m("b")]));
    g.insert(m("b"), BTreeSet::from([m("c")]));
    g.insert(m("c"), BTreeSet::from([m("a")]));
    g.insert(m("d"), BTreeSet::from([m("a")]));
    let groups = circles(&g);
    assert!(groups.iter().any(|g| g.len() == 3));
    // And the path reader resolves groups, `self` and `super`.
    let mut out = Vec::new();
    let me = m("runtime::lint::marks");
    out.extend(paths(&me, &code("use super::{Kind, self};\nuse crate::tensor::{self, shape::x};\n// crate::front::x\nlet s = \"crate::front\";")));
    let got: Vec<String> = out.iter().map(|p| p.join("::")).collect();
    assert_eq!(
        got,
        [
            "runtime::lint::Kind",
            "runtime::lint",
            "tensor",
            "tensor::shape::x"
        ]
    );
}
