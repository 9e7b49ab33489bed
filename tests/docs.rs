//! `docs/language.md` against the implementation, so that the reference cannot fall
//! behind:
//! - every builtin of the table is listed in exactly one group of the reference (a
//!   `<!-- builtins: NAME ... -->` marker), the group's table of signatures and doc lines
//!   is the one generated from the builtin rows, and the first ```python block after the
//!   table calls every builtin of the group (its examples);
//! - every ```python block with `#>`/`#!` lines runs as `tsr test` runs a file (a child
//!   process, statement by statement, output compared within the default tolerance),
//!   and every other ```python block parses.
//!
//! `UPDATE_EXPECT=1 cargo test --test docs` rewrites the generated tables after a row
//! changed (review the diff); names missing from every group must be placed by hand.

use std::path::{Path, PathBuf};
use std::time::Duration;
use tsr::builtins::{self, Builtin, P};

const DOC: &str = "docs/language.md";
const GROUP: &str = "<!-- builtins:";
const END: &str = "<!-- end builtins -->";

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn read_doc() -> String {
    std::fs::read_to_string(repo().join(DOC)).expect("docs/language.md is readable")
}

/// A fenced block: its info string, first line (1-based, of the fence) and text.
struct Fence {
    info: String,
    line: usize,
    text: String,
}

fn fences(doc: &str) -> Vec<Fence> {
    let mut out = Vec::new();
    let mut open: Option<Fence> = None;
    for (i, line) in doc.lines().enumerate() {
        let t = line.trim_start();
        match &mut open {
            None => {
                if let Some(info) = t.strip_prefix("```") {
                    open = Some(Fence {
                        info: info.trim().to_string(),
                        line: i + 1,
                        text: String::new(),
                    });
                }
            }
            Some(f) => {
                if t.starts_with("```") {
                    out.push(open.take().unwrap());
                } else {
                    f.text.push_str(line);
                    f.text.push('\n');
                }
            }
        }
    }
    assert!(open.is_none(), "{DOC}: a ``` fence is never closed");
    out
}

/// One `<!-- builtins: ... -->` group: its names, the byte range of the generated
/// table (between the marker line and the end marker) and the marker's line.
struct Group {
    names: Vec<String>,
    table: std::ops::Range<usize>,
    line: usize,
}

fn groups(doc: &str) -> Vec<Group> {
    let mut out = Vec::new();
    let mut from = 0;
    while let Some(at) = doc[from..].find(GROUP) {
        let start = from + at;
        let close = start + doc[start..].find("-->").expect("a marker ends with -->");
        let names = doc[start + GROUP.len()..close]
            .split_whitespace()
            .map(str::to_string)
            .collect();
        let body = doc[close..].find('\n').map_or(doc.len(), |n| close + n + 1);
        let end = body
            + doc[body..]
                .find(END)
                .unwrap_or_else(|| panic!("{DOC}: a `{GROUP}` marker has no `{END}`"));
        out.push(Group {
            names,
            table: body..end,
            line: doc[..start].lines().count() + 1,
        });
        from = end;
    }
    out
}

fn cell(text: &str) -> String {
    text.replace('|', "\\|")
}

/// A row's signature as Python writes it: keyword-only parameters after a `*` (or
/// after `*dims`), `**arrays` last.
fn signature(b: &Builtin) -> String {
    let mut parts = Vec::new();
    let mut star = false;
    for p in b.params {
        match *p {
            P::Req(n) => parts.push(n.to_string()),
            P::Opt(n, d) => parts.push(format!("{n}={d}")),
            P::Var(n) => {
                star = true;
                parts.push(format!("*{n}"));
            }
            P::Kw(n, d) => {
                if !star {
                    star = true;
                    parts.push("*".to_string());
                }
                parts.push(format!("{n}={d}"));
            }
            P::VarKw(n) => parts.push(format!("**{n}")),
        }
    }
    format!("{}({})", b.name, parts.join(", "))
}

/// The table of one group, generated from the builtin rows.
fn table(names: &[String]) -> String {
    let mut t = String::from("| signature | what it does |\n|---|---|\n");
    for n in names {
        let b: &Builtin = builtins::find(n).unwrap_or_else(|| panic!("no builtin `{n}`"));
        t.push_str(&format!(
            "| `{}` | {} |\n",
            cell(&signature(b)),
            cell(b.doc)
        ));
    }
    t
}

/// Whether `code` calls `name`: `name(` or `.name` not preceded by a name character.
fn mentions(code: &str, name: &str) -> bool {
    // A method row (`str.split`, `tensor.view`) is called as `.split(`; a module row
    // (`random.seed`, `plt.plot`) as written.
    if let Some((_, method)) = name.rsplit_once('.') {
        if code.contains(&format!("{name}(")) || code.contains(&format!(".{method}(")) {
            return true;
        }
    }
    let bytes = code.as_bytes();
    code.match_indices(name).any(|(i, _)| {
        let before = i.checked_sub(1).map(|j| bytes[j]);
        let after = bytes.get(i + name.len()).copied();
        let word_start = !before.is_some_and(|c| c.is_ascii_alphanumeric() || c == b'_');
        // A decorator (`@property`) is a call too.
        let called = after == Some(b'(')
            || before == Some(b'@')
            || (before == Some(b'.') && after != Some(b'_'));
        word_start && called
    })
}

#[test]
fn every_builtin_is_documented_with_its_row_and_an_example() {
    let doc = read_doc();
    let groups = groups(&doc);
    assert!(!groups.is_empty(), "{DOC} has no `{GROUP}` markers");
    let mut problems = Vec::new();

    // Each builtin in exactly one group; each name in a group a builtin.
    let mut seen: std::collections::BTreeMap<&str, usize> = Default::default();
    for g in &groups {
        for n in &g.names {
            if builtins::find(n).is_none() {
                problems.push(format!(
                    "{DOC}:{}: `{n}` is not a builtin (renamed or removed?)",
                    g.line
                ));
            }
            *seen.entry(n.as_str()).or_default() += 1;
        }
    }
    for b in builtins::table() {
        match seen.get(b.name) {
            None => problems.push(format!(
                "builtin `{}` is in no group of {DOC}: add it to the right `{GROUP}` line \
                 and an example to the block under it, then run with UPDATE_EXPECT=1",
                b.name
            )),
            Some(&k) if k > 1 => {
                problems.push(format!("builtin `{}` is in {k} groups of {DOC}", b.name))
            }
            _ => {}
        }
    }
    if !problems.is_empty() {
        panic!("{}", problems.join("\n"));
    }

    // The generated tables.
    let stale: Vec<&Group> = groups
        .iter()
        .filter(|g| doc[g.table.clone()] != table(&g.names))
        .collect();
    if !stale.is_empty() {
        if std::env::var_os("UPDATE_EXPECT").is_some() {
            let mut new = String::new();
            let mut at = 0;
            for g in &groups {
                new.push_str(&doc[at..g.table.start]);
                new.push_str(&table(&g.names));
                at = g.table.end;
            }
            new.push_str(&doc[at..]);
            std::fs::write(repo().join(DOC), new).expect("write docs/language.md");
        } else {
            let lines: Vec<String> = stale.iter().map(|g| g.line.to_string()).collect();
            panic!(
                "{DOC}: the builtin tables at lines {} differ from the builtin rows; \
                 `UPDATE_EXPECT=1 cargo test --test docs` regenerates them",
                lines.join(", ")
            );
        }
    }

    // An example of each builtin in the first python block after its group's table.
    let fences = fences(&doc);
    for g in &groups {
        let end_line = doc[..g.table.end].lines().count() + 1;
        let Some(block) = fences
            .iter()
            .find(|f| f.line > end_line && f.info == "python")
        else {
            problems.push(format!(
                "{DOC}:{}: no ```python block after this group",
                g.line
            ));
            continue;
        };
        for n in &g.names {
            if !mentions(&block.text, n) {
                problems.push(format!(
                    "{DOC}:{}: the examples of the group at line {} never call `{n}`",
                    block.line, g.line
                ));
            }
        }
    }
    if !problems.is_empty() {
        panic!("{}", problems.join("\n"));
    }
}

#[test]
fn the_examples_run_as_shown() {
    let doc = read_doc();
    let blocks: Vec<Fence> = fences(&doc)
        .into_iter()
        .filter(|f| f.info == "python")
        .collect();
    assert!(
        blocks.len() > 20,
        "{DOC}: only {} python blocks",
        blocks.len()
    );
    // Every block runs in one scratch folder (files saved by one block are there for
    // the next), holding a copy of the repository's iris.csv for the data examples.
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("docs-examples");
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("scratch folder");
    std::fs::copy(repo().join("examples/data/iris.csv"), dir.join("iris.csv"))
        .expect("copy iris.csv");
    let exe = Path::new(env!("CARGO_BIN_EXE_tsr"));
    let mut failures = Vec::new();
    let mut tested = 0;
    for b in &blocks {
        if tsr::snapshot::expect::has_marks(&b.text) {
            tested += 1;
            // Blank lines in front, so that the report's line numbers are the doc's.
            let text = format!("{}{}", "\n".repeat(b.line), b.text);
            let report = tsr::snapshot::check_text(exe, &dir, DOC, &text, Duration::from_secs(60));
            if !report.is_empty() {
                failures.push(format!("the block at {DOC}:{}:\n{report}", b.line));
            }
        } else {
            let (_, errors) = tsr::parser::parse(&b.text);
            if !errors.is_empty() {
                let codes: Vec<String> = errors.iter().map(|d| d.code.to_string()).collect();
                failures.push(format!(
                    "the block at {DOC}:{} does not parse: {}",
                    b.line,
                    codes.join(", ")
                ));
            }
        }
    }
    assert!(tested > 20, "{DOC}: only {tested} blocks have `#>` lines");
    if !failures.is_empty() {
        panic!(
            "{} of {} python blocks fail:\n{}",
            failures.len(),
            blocks.len(),
            failures.join("\n")
        );
    }
}

#[test]
fn the_checks_can_fail() {
    // The helpers see what they must: a missing call, a wrong table, a failing block.
    assert!(mentions("x = zeros(2)", "zeros"));
    assert!(mentions("x.reshape(3, 3)", "reshape"));
    assert!(mentions("x.T + W.grad", "grad"));
    assert!(!mentions("zeros_like(x)", "zeros"));
    assert!(!mentions("my_sum(x)", "sum"));
    let doc = "a\n<!-- builtins: zeros -->\n| wrong |\n<!-- end builtins -->\n";
    let g = groups(doc);
    assert_eq!(g.len(), 1);
    assert_eq!(g[0].names, ["zeros"]);
    assert_eq!(&doc[g[0].table.clone()], "| wrong |\n");
    assert_ne!(&doc[g[0].table.clone()], table(&g[0].names));
    let cross_entropy = builtins::find("cross_entropy").unwrap();
    assert!(signature(cross_entropy).contains("weight=None, *, ignore_index=-100"));
    assert_eq!(
        signature(builtins::find("full").unwrap()),
        "full(*dims, value=0)"
    );
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR"));
    let report = tsr::snapshot::check_text(
        Path::new(env!("CARGO_BIN_EXE_tsr")),
        dir,
        "bad.tsr",
        "1 + 1\n#> 3\n",
        Duration::from_secs(60),
    );
    assert!(report.contains("output differs"), "{report}");
}
