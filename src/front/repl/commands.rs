//! The REPL's `:` commands: `:help`, `:vars`, `:load`, `:reset`, `:graph`, `:time`,
//! `:check`, `:test`, `:quit`. Their output goes to the session's writers; mistakes are diagnostics.

use super::graph;
use super::Repl;
use crate::front::session::{Outcome, Session};
use crate::runtime::builtins;
use crate::runtime::explain;
use crate::runtime::value::Value;
use crate::syntax::ast::StmtKind;
use crate::syntax::diagnostic::Diagnostic;
use std::time::{Duration, Instant};

pub struct Command {
    pub name: &'static str,
    pub args: &'static str,
    pub doc: &'static str,
}

pub const COMMANDS: &[Command] = &[
    Command {
        name: ":help",
        args: "[NAME]",
        doc: "this overview, or the signature, doc and example of NAME",
    },
    Command {
        name: ":vars",
        args: "",
        doc: "the variables: kind, shape, gradient, size in bytes",
    },
    Command {
        name: ":load",
        args: "FILE",
        doc: "run a script into this session",
    },
    Command {
        name: ":reset",
        args: "",
        doc: "forget every variable and gradient",
    },
    Command {
        name: ":graph",
        args: "EXPR",
        doc: "the autodiff graph of a tensor, as a tree",
    },
    Command {
        name: ":time",
        args: "[-n N] STMT",
        doc: "run STMT and print the wall time (-n N: repeat it N times)",
    },
    Command {
        name: ":check",
        args: "[FILE]",
        doc: "find shape errors without running: this session's inputs, or FILE",
    },
    Command {
        name: ":test",
        args: "[--bless] [PATHS]",
        doc: "golden-output tests of scripts, as `tsr test` (`:test --help`)",
    },
    Command {
        name: ":quit",
        args: "",
        doc: "leave the REPL (also Ctrl-D)",
    },
];

/// What the loop does after a command.
pub enum Next {
    Continue,
    Quit(u8),
}

fn say(session: &mut Session, text: &str) {
    let _ = session.interp.write_out(text);
}

fn complain(session: &mut Session, code: &'static str, message: String, help: Option<String>) {
    let mut d = Diagnostic::error(code, message);
    if let Some(h) = help {
        d = d.help(h);
    }
    session.report(&d);
}

/// Run the command line `line` (it starts with `:`).
pub fn run(session: &mut Session, repl: &mut Repl, line: &str) -> Next {
    let (name, arg) = match line.find(char::is_whitespace) {
        Some(i) => (&line[..i], line[i..].trim()),
        None => (line, ""),
    };
    match name {
        ":help" | ":h" | ":?" => help(session, arg),
        ":vars" | ":whos" => vars(session),
        ":load" | ":run" => load(session, arg),
        ":reset" => reset(session),
        ":graph" => graph_command(session, repl, arg),
        ":time" | ":timeit" => time(session, repl, line),
        ":check" => check(session, arg),
        ":test" => test(session, arg),
        ":quit" | ":q" | ":exit" => return Next::Quit(0),
        _ => {
            let help = match closest_command(name) {
                Some(s) => format!("did you mean `{s}`? `:help` lists the commands"),
                None => "`:help` lists the commands".to_string(),
            };
            complain(
                session,
                "repl::command",
                format!("unknown command `{name}`"),
                Some(help),
            );
        }
    }
    Next::Continue
}

/// The command `name` was probably meant to be: a prefix of one (`:he`), or one a
/// typo away, counting a swap of two neighbouring letters as one typo (`:hepl`).
fn closest_command(name: &str) -> Option<&'static str> {
    if name.len() > 1 {
        if let Some(c) = COMMANDS.iter().find(|c| c.name.starts_with(name)) {
            return Some(c.name);
        }
    }
    let mut best: Option<(usize, &'static str)> = None;
    for c in COMMANDS {
        let d = typo_distance(name, c.name);
        if d <= 2 && best.is_none_or(|(bd, _)| d < bd) {
            best = Some((d, c.name));
        }
    }
    best.map(|(_, n)| n)
}

/// Edit distance where a swap of neighbouring characters costs 1 (optimal string
/// alignment).
fn typo_distance(a: &str, b: &str) -> usize {
    let (a, b): (Vec<char>, Vec<char>) = (a.chars().collect(), b.chars().collect());
    let mut d = vec![vec![0usize; b.len() + 1]; a.len() + 1];
    for (i, row) in d.iter_mut().enumerate() {
        row[0] = i;
    }
    for (j, cell) in d[0].iter_mut().enumerate() {
        *cell = j;
    }
    for i in 1..=a.len() {
        for j in 1..=b.len() {
            let cost = usize::from(a[i - 1] != b[j - 1]);
            d[i][j] = (d[i - 1][j] + 1)
                .min(d[i][j - 1] + 1)
                .min(d[i - 1][j - 1] + cost);
            if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                d[i][j] = d[i][j].min(d[i - 2][j - 2] + 1);
            }
        }
    }
    d[a.len()][b.len()]
}

/// Words laid out in lines of at most `width` columns, indented by two spaces.
fn columns(words: &[&str], width: usize) -> String {
    let mut out = String::new();
    let mut line = String::from(" ");
    for w in words {
        if line.len() + 1 + w.len() > width && line.len() > 1 {
            out.push_str(&line);
            out.push('\n');
            line = String::from(" ");
        }
        line.push(' ');
        line.push_str(w);
    }
    if line.len() > 1 {
        out.push_str(&line);
        out.push('\n');
    }
    out
}

fn help(session: &mut Session, arg: &str) {
    if arg.is_empty() {
        let mut text = String::from("commands:\n");
        for c in COMMANDS {
            let usage = format!("{} {}", c.name, c.args);
            text.push_str(&format!("  {:<20} {}\n", usage.trim_end(), c.doc));
        }
        text.push_str(
            "keys: Tab completes, ↑/↓ walk the history, Ctrl-C clears the line or stops a running\n\
             statement, Ctrl-D exits. A block (`for`, `def`, ...) ends with an empty line.\n",
        );
        text.push_str("builtins (`:help NAME` for one):\n");
        let names: Vec<&str> = builtins::table().iter().map(|b| b.name).collect();
        text.push_str(&columns(&names, 78));
        say(session, &text);
        return;
    }
    let name = arg.trim_start_matches(':');
    if let Some(c) = COMMANDS.iter().find(|c| &c.name[1..] == name) {
        say(
            session,
            &format!("{} {}\n    {}\n", c.name, c.args, c.doc).replace(" \n", "\n"),
        );
        return;
    }
    if let Some(b) = session.interp.lookup(name).map(|b| b.value.clone()) {
        let text = match &b {
            Value::Function(f) => {
                let sig = super::Scope::of(&session.interp)
                    .signature(name)
                    .unwrap_or_else(|| format!("{name}(...)"));
                let src = &session.interp.sources[f.src_id];
                format!(
                    "{sig}\n    defined in {}, line {}\n",
                    src.name,
                    graph::line_of(&src.text, f.def_span.start)
                )
            }
            Value::Tensor(t) => format!(
                "{name}: tensor of shape {}\n",
                explain::shape_str(&t.shape())
            ),
            other => format!("{name}: {}\n", other.kind()),
        };
        say(session, &text);
        return;
    }
    match builtins::find(name) {
        Some(b) => {
            let mut text = format!("{}\n    {}\n", b.signature(), b.doc);
            if !b.example.is_empty() {
                text.push_str(&format!("    example: {}\n", b.example));
            }
            say(session, &text);
        }
        None => {
            let candidates = builtins::table()
                .iter()
                .map(|b| b.name.to_string())
                .chain(session.interp.globals.keys().map(|k| k.to_string()))
                .chain(COMMANDS.iter().map(|c| c.name[1..].to_string()));
            let help =
                explain::did_you_mean(name, candidates).map(|s| format!("did you mean `{s}`?"));
            complain(
                session,
                "repl::help",
                format!("no builtin, variable or command is called `{name}`"),
                help,
            );
        }
    }
}

/// Bytes a value holds (tensor elements are f32); `None` for functions and optimisers.
fn size_of(v: &Value, depth: usize) -> Option<usize> {
    match v {
        Value::Tensor(t) => Some(t.numel() * 4),
        Value::Number(_) => Some(8),
        Value::Bool(_) => Some(1),
        Value::None => Some(0),
        Value::Str(s) => Some(s.len()),
        Value::Range { .. } => Some(24),
        Value::List(items) => {
            if depth > 20 {
                return Some(0);
            }
            let items = items.try_borrow().ok()?;
            Some(items.iter().filter_map(|i| size_of(i, depth + 1)).sum())
        }
        Value::Tuple(items) if depth <= 20 => {
            Some(items.iter().filter_map(|i| size_of(i, depth + 1)).sum())
        }
        Value::Dict(d) | Value::Set(d) if depth <= 20 => {
            let d = d.try_borrow().ok()?;
            Some(
                d.entries
                    .iter()
                    .filter_map(|(k, v)| Some(size_of(k, depth + 1)? + size_of(v, depth + 1)?))
                    .sum(),
            )
        }
        _ => None,
    }
}

/// The rows of `:vars` (name, kind, shape, grad, bytes), sorted by name; empty when
/// there are no variables.
pub(crate) fn var_rows(session: &Session) -> Vec<[String; 5]> {
    let interp = &session.interp;
    let mut names: Vec<&str> = interp
        .globals
        .keys()
        .map(|k| &**k)
        .filter(|k| *k != "_")
        .collect();
    names.sort();
    let mut rows = Vec::new();
    for name in names {
        let value = &interp.globals[name].value;
        let (shape, grad) = match value {
            Value::Tensor(t) => {
                let has = interp.grads.as_ref().is_some_and(|g| g.contains(t));
                (
                    explain::shape_str(&t.shape()),
                    if has { "yes" } else { "no" }.to_string(),
                )
            }
            Value::List(items) => (
                format!("len {}", items.try_borrow().map_or(0, |i| i.len())),
                String::new(),
            ),
            _ => (String::new(), String::new()),
        };
        let bytes = size_of(value, 0).map_or(String::new(), |b| b.to_string());
        rows.push([
            name.to_string(),
            value.kind().to_string(),
            shape,
            grad,
            bytes,
        ]);
    }
    rows
}

/// The header of the `:vars` table.
pub(crate) const VAR_HEADER: [&str; 5] = ["name", "kind", "shape", "grad", "bytes"];

/// The `:vars` table as text.
pub(crate) fn vars_text(session: &Session) -> String {
    let body = var_rows(session);
    if body.is_empty() {
        return "no variables\n".to_string();
    }
    let mut rows: Vec<[String; 5]> = vec![VAR_HEADER.map(String::from)];
    rows.extend(body);
    let widths: Vec<usize> = (0..5)
        .map(|c| rows.iter().map(|r| r[c].chars().count()).max().unwrap_or(0))
        .collect();
    let mut text = String::new();
    for row in &rows {
        let line = format!(
            "{:<w0$}  {:<w1$}  {:<w2$}  {:<w3$}  {:>w4$}",
            row[0],
            row[1],
            row[2],
            row[3],
            row[4],
            w0 = widths[0],
            w1 = widths[1],
            w2 = widths[2],
            w3 = widths[3],
            w4 = widths[4]
        );
        text.push_str(line.trim_end());
        text.push('\n');
    }
    text
}

fn vars(session: &mut Session) {
    let text = vars_text(session);
    say(session, &text);
}

fn load(session: &mut Session, arg: &str) {
    let path = arg.trim().trim_matches(|c| c == '"' || c == '\'');
    if path.is_empty() {
        complain(
            session,
            "repl::load",
            "`:load` needs a file name".to_string(),
            Some("`:load train.tsr`".to_string()),
        );
        return;
    }
    match std::fs::read(path) {
        Ok(bytes) => {
            session
                .interp
                .interrupt
                .store(false, std::sync::atomic::Ordering::SeqCst);
            session.run_source(path, &String::from_utf8_lossy(&bytes));
        }
        Err(e) => {
            let reason = match e.kind() {
                std::io::ErrorKind::NotFound => "no such file".to_string(),
                _ => e.to_string(),
            };
            complain(
                session,
                "repl::load",
                format!("cannot read `{path}`: {reason}"),
                None,
            );
        }
    }
}

/// `:check`: run `tsr check` over the session's inputs so far (those that parse), or a file.
/// `:test ARGS`: `tsr test ARGS`, the report to the session's output.
fn test(session: &mut Session, arg: &str) {
    let args = match crate::front::snapshot::parse_words(arg.split_whitespace()) {
        Ok(a) => a,
        Err(crate::front::snapshot::Words::Help(text)) => return say(session, &text),
        Err(crate::front::snapshot::Words::Usage(msg)) => {
            return complain(
                session,
                "repl::usage",
                msg,
                Some("`:test --help` shows the options".to_string()),
            )
        }
    };
    let exe = match std::env::current_exe() {
        Ok(e) => e,
        Err(e) => {
            return complain(
                session,
                "repl::test",
                format!("cannot find the tsr executable to run the tests: {e}"),
                None,
            )
        }
    };
    let color = session.interp.style.color;
    let result = crate::front::snapshot::run(&args, &exe, None, &mut *session.interp.out, color);
    if let Err(msg) = result {
        complain(session, "repl::usage", msg, None);
    }
}

fn check(session: &mut Session, arg: &str) {
    let (name, text) = if arg.is_empty() {
        let mut text = String::new();
        for src in &session.interp.sources {
            if src.name.starts_with("<input")
                && crate::syntax::parser::parse(&src.text).1.is_empty()
            {
                text.push_str(&src.text);
                if !text.ends_with('\n') {
                    text.push('\n');
                }
            }
        }
        ("<session>".to_string(), text)
    } else {
        match std::fs::read(arg) {
            Ok(bytes) => (
                arg.to_string(),
                String::from_utf8_lossy(&bytes).into_owned(),
            ),
            Err(e) => {
                complain(
                    session,
                    "io::not_found",
                    format!("cannot read `{arg}`: {e}"),
                    None,
                );
                return;
            }
        }
    };
    let report = crate::front::check::check_errors(&name, &text);
    for d in &report.diagnostics {
        session.report(d);
    }
    let errors = report.diagnostics.iter().filter(|d| d.is_error()).count();
    say(
        session,
        &match errors {
            0 => "check: no shape errors found\n".to_string(),
            1 => "check: 1 error\n".to_string(),
            n => format!("check: {n} errors\n"),
        },
    );
}

fn reset(session: &mut Session) {
    let n = session
        .interp
        .globals
        .keys()
        .filter(|k| &***k != "_")
        .count();
    session.interp.globals.clear();
    session.interp.grads = None;
    say(
        session,
        &format!("forgot {n} variable{}\n", if n == 1 { "" } else { "s" }),
    );
}

fn graph_command(session: &mut Session, repl: &mut Repl, arg: &str) {
    if arg.is_empty() {
        complain(
            session,
            "repl::graph",
            "`:graph` needs an expression".to_string(),
            Some("`:graph loss`".to_string()),
        );
        return;
    }
    let name = repl.next_name();
    let Ok((src_id, stmts)) = session.parse(&name, &format!("{arg}\n")) else {
        return;
    };
    let expr = match stmts.as_slice() {
        [stmt] => match &stmt.kind {
            StmtKind::Expr(e) => e.clone(),
            _ => {
                complain(
                    session,
                    "repl::graph",
                    "`:graph` takes an expression, not a statement".to_string(),
                    None,
                );
                return;
            }
        },
        _ => {
            complain(
                session,
                "repl::graph",
                "`:graph` takes one expression".to_string(),
                None,
            );
            return;
        }
    };
    session.interp.src_id = src_id;
    session
        .interp
        .interrupt
        .store(false, std::sync::atomic::Ordering::SeqCst);
    match session.interp.eval(&expr) {
        Ok(Value::Tensor(t)) => {
            let text = graph::render(&session.interp, &t, arg);
            say(session, &text);
        }
        Ok(other) => complain(
            session,
            "repl::graph",
            format!("`{arg}` is a {}, not a tensor", other.kind()),
            Some("`:graph` draws the operations that made a tensor".to_string()),
        ),
        Err(d) => session.report(&d),
    }
}

/// Split the argument of `:time`: an optional `-n N` repeat count, then the statement.
/// `None` when `line` is not a `:time` command.
pub fn time_statement(line: &str) -> Option<Result<(Option<u64>, &str), String>> {
    let rest = line
        .strip_prefix(":timeit")
        .or_else(|| line.strip_prefix(":time"))?;
    if !rest.is_empty() && !rest.starts_with(char::is_whitespace) {
        return None;
    }
    let rest = rest.trim_start();
    let Some(after) = rest.strip_prefix("-n") else {
        return Some(Ok((None, rest)));
    };
    let after = after.trim_start();
    let end = after.find(char::is_whitespace).unwrap_or(after.len());
    match after[..end].parse::<u64>() {
        Ok(n) if n > 0 => Some(Ok((Some(n), after[end..].trim_start()))),
        _ => Some(Err(format!(
            "`-n` needs a positive whole number of runs, not `{}`",
            &after[..end]
        ))),
    }
}

/// `1.23 ms`, `456 µs`, `2.5 s`: three significant digits.
pub fn format_duration(d: Duration) -> String {
    let s = d.as_secs_f64();
    let (value, unit) = if s >= 1.0 {
        (s, "s")
    } else if s >= 1e-3 {
        (s * 1e3, "ms")
    } else if s >= 1e-6 {
        (s * 1e6, "µs")
    } else {
        (s * 1e9, "ns")
    };
    let digits = if value >= 100.0 {
        0
    } else if value >= 10.0 {
        1
    } else {
        2
    };
    format!("{value:.digits$} {unit}")
}

fn time(session: &mut Session, repl: &mut Repl, line: &str) {
    let (runs, statement) = match time_statement(line) {
        Some(Ok(parts)) => parts,
        Some(Err(message)) => {
            return complain(
                session,
                "repl::time",
                message,
                Some("`:time -n 100 x @ W`".to_string()),
            )
        }
        None => return,
    };
    if statement.trim().is_empty() {
        complain(
            session,
            "repl::time",
            "`:time` needs a statement".to_string(),
            Some("`:time x @ W`".to_string()),
        );
        return;
    }
    let start = Instant::now();
    if repl.eval(session, statement) != Outcome::Ok {
        return;
    }
    let first = start.elapsed();
    let Some(runs) = runs.filter(|&n| n > 1) else {
        let mut text = format!("time: {}\n", format_duration(first));
        if first < Duration::from_millis(1) {
            text.push_str("  a short statement: `:time -n 1000 STMT` runs it 1000 times and reports the mean\n");
        }
        return say(session, &text);
    };
    // Later runs reuse one parse and print nothing: their output would only repeat the
    // first run's.
    let name = repl.next_name();
    let Ok((src_id, stmts)) = session.parse(&name, &format!("{}\n", statement.trim_end())) else {
        return;
    };
    let out = std::mem::replace(&mut session.interp.out, Box::new(std::io::sink()));
    let mut best = first;
    let mut total = first;
    let mut done: u32 = 1;
    while u64::from(done) < runs.min(u64::from(u32::MAX)) {
        let start = Instant::now();
        session.interp.src_id = src_id;
        let failed = stmts.iter().find_map(|stmt| {
            let result = match &stmt.kind {
                StmtKind::Expr(e) => session.interp.eval(e).map(|_| ()),
                _ => session.interp.exec(stmt).map(|_| ()),
            };
            result.err()
        });
        if let Some(d) = failed {
            session.interp.out = out;
            session.report(&d);
            return;
        }
        let took = start.elapsed();
        best = best.min(took);
        total += took;
        done += 1;
    }
    session.interp.out = out;
    let mean = total / done;
    say(
        session,
        &format!(
            "time: {} per run (mean of {done} runs), best {}\n",
            format_duration(mean),
            format_duration(best)
        ),
    );
}
