//! Testing each file against its expectations, files in parallel, and the report: one
//! line per file, then for each mismatch `file:line` and a diff; in bless mode, the
//! rewritten blocks.

use super::bless::{self, Actual};
use super::compare::{diff, line_matches, lines_match, render_diff, split_lines, Tolerance};
use super::expect::{self, Expectations, Unit};
use super::worker::{self, ChildRun, Kind, Mode, Record};
use super::TestFile;
use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

pub struct Settings {
    pub exe: PathBuf,
    pub tol: Tolerance,
    pub timeout: Duration,
    pub max_memory: Option<u64>,
    pub bless: bool,
    pub color: bool,
}

#[derive(Default, Debug)]
pub struct Counts {
    pub passed: usize,
    pub failed: usize,
    pub skipped: usize,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Status {
    Pass,
    Blessed,
    Fail,
    Skip,
}

struct FileReport {
    status: Status,
    /// What follows the file's line: mismatches, or what was blessed.
    body: String,
}

impl Settings {
    fn paint(&self, code: &str, text: &str) -> String {
        if self.color {
            format!("\x1b[{code}m{text}\x1b[0m")
        } else {
            text.to_string()
        }
    }
}

/// Test `files` on `jobs` threads; print each file's report in order as soon as it and
/// every file before it are done.
pub fn run_all(
    files: &[TestFile],
    s: &Settings,
    jobs: usize,
    counts: &mut Counts,
    out: &mut dyn Write,
) {
    let next = AtomicUsize::new(0);
    let (tx, rx) = std::sync::mpsc::channel::<(usize, FileReport)>();
    std::thread::scope(|scope| {
        for _ in 0..jobs.clamp(1, files.len().max(1)) {
            let tx = tx.clone();
            let next = &next;
            scope.spawn(move || loop {
                let i = next.fetch_add(1, Ordering::SeqCst);
                if i >= files.len() || tx.send((i, check_file(&files[i], s))).is_err() {
                    break;
                }
            });
        }
        drop(tx);
        let mut pending = BTreeMap::new();
        let mut shown = 0;
        for (i, report) in rx {
            pending.insert(i, report);
            while let Some(r) = pending.remove(&shown) {
                let (word, paint) = match r.status {
                    Status::Pass => ("PASS ", "32"),
                    Status::Blessed => ("BLESS", "33"),
                    Status::Fail => ("FAIL ", "1;31"),
                    Status::Skip => ("SKIP ", "2"),
                };
                match r.status {
                    Status::Pass | Status::Blessed => counts.passed += 1,
                    Status::Fail => counts.failed += 1,
                    Status::Skip => counts.skipped += 1,
                }
                let _ = writeln!(out, "{} {}", s.paint(paint, word), files[shown].shown);
                let _ = out.write_all(r.body.as_bytes());
                let _ = out.flush();
                shown += 1;
            }
        }
    });
}

fn indent(text: &str, by: &str) -> String {
    let mut out = String::new();
    for line in text.trim_end().lines() {
        out.push_str(format!("{by}{line}").trim_end());
        out.push('\n');
    }
    out
}

fn seconds(d: Duration) -> String {
    format!("{} s", d.as_secs_f64())
}

/// Where a run stopped early, if it did.
fn stopped(run: &ChildRun, s: &Settings) -> Option<String> {
    if run.timed_out {
        Some(format!("timed out after {}", seconds(s.timeout)))
    } else {
        run.crashed.clone()
    }
}

fn check_file(f: &TestFile, s: &Settings) -> FileReport {
    let fail = |body: String| FileReport {
        status: Status::Fail,
        body,
    };
    let text = match std::fs::read(&f.path) {
        Ok(b) => String::from_utf8_lossy(&b).into_owned(),
        Err(e) => return fail(format!("  {}: cannot read: {e}\n", f.shown)),
    };
    let dir = match f.path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
        _ => PathBuf::from("."),
    };
    let name = f
        .path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let exp = expect::parse(&text, s.tol);
    let out_path = f.path.with_extension("out");
    let has_out = out_path.is_file();
    if !exp.has_blocks() && !has_out {
        let out_name = Path::new(&name).with_extension("out");
        return FileReport {
            status: Status::Skip,
            body: format!(
                "  nothing to compare: no `#>` or `#!` lines and no {}\n",
                out_name.display()
            ),
        };
    }
    let mut body = String::new();
    let mut failed = false;
    let mut blessed = false;
    if exp.has_blocks() {
        let (f1, b1) = check_inline(f, s, &dir, &name, &text, &exp, &mut body);
        failed |= f1;
        blessed |= b1;
    }
    if has_out {
        let (f2, b2) = check_sidecar(f, s, &dir, &name, &text, &out_path, &mut body);
        failed |= f2;
        blessed |= b2;
    }
    let status = if failed {
        Status::Fail
    } else if blessed {
        Status::Blessed
    } else {
        Status::Pass
    };
    FileReport { status, body }
}

/// Test the `#>`/`#!` blocks of a script given as text, as `tsr test` tests a file
/// (for scripts that live elsewhere, such as the examples of `docs/language.md`): it
/// runs in a child process of `exe` in folder `dir`, reported under `name`. Returns the
/// report of its mismatches, empty when every block matches. Never blesses.
pub fn check_text(exe: &Path, dir: &Path, name: &str, text: &str, timeout: Duration) -> String {
    let s = Settings {
        exe: exe.to_path_buf(),
        tol: Tolerance::default(),
        timeout,
        max_memory: None,
        bless: false,
        color: false,
    };
    let f = TestFile {
        path: dir.join(name),
        shown: name.to_string(),
        explicit: true,
    };
    let exp = expect::parse(text, s.tol);
    let mut body = String::new();
    if !exp.has_blocks() {
        body.push_str(&format!("  {name}: no `#>` or `#!` lines to check\n"));
        return body;
    }
    let (failed, _) = check_inline(&f, &s, dir, name, text, &exp, &mut body);
    if failed && body.is_empty() {
        body.push_str(&format!("  {name}: failed\n"));
    }
    body
}

/// The statements' `#>`/`#!` blocks: (failed, blessed).
fn check_inline(
    f: &TestFile,
    s: &Settings,
    dir: &Path,
    name: &str,
    text: &str,
    exp: &Expectations,
    body: &mut String,
) -> (bool, bool) {
    let run = match worker::run(
        &s.exe,
        dir,
        name,
        text,
        Mode::Inline,
        s.timeout,
        s.max_memory,
    ) {
        Ok(r) => r,
        Err(e) => {
            let _ = writeln!(body, "  {}: cannot start tsr: {e}", f.shown);
            return (true, false);
        }
    };
    if let Some(r) = run.records.iter().find(|r| r.kind == Kind::Syntax) {
        let _ = writeln!(body, "  {}: syntax error, nothing ran:", f.shown);
        body.push_str(&indent(&r.err, "    "));
        return (true, false);
    }
    let mut failed = false;
    for line in &exp.stray {
        let _ = writeln!(
            body,
            "  {}:{line}: this `#>`/`#!` line is not right under a top-level statement, so it checks nothing",
            f.shown
        );
        failed = true;
    }
    let mut by_stmt: Vec<Option<&Record>> = Vec::new();
    for r in &run.records {
        if let Kind::Stmt(i) = r.kind {
            if by_stmt.len() <= i {
                by_stmt.resize(i + 1, None);
            }
            by_stmt[i] = Some(r);
        }
    }
    let mut changes: Vec<(&Unit, Vec<String>)> = Vec::new();
    let mut complete = true;
    for unit in &exp.units {
        let recs: Vec<&Record> = (unit.first_stmt..unit.end_stmt)
            .filter_map(|i| by_stmt.get(i).copied().flatten())
            .collect();
        let at = format!("{}:{}", f.shown, unit.line);
        if recs.len() < unit.end_stmt - unit.first_stmt {
            let why = stopped(&run, s).unwrap_or_else(|| "the run ended early".to_string());
            let _ = writeln!(
                body,
                "  {at}: {} in this statement",
                why.lines().next().unwrap_or("")
            );
            body.push_str(&indent(
                &why.lines().skip(1).collect::<Vec<_>>().join("\n"),
                "    ",
            ));
            complete = false;
            failed = true;
            break;
        }
        let output: String = recs.iter().map(|r| r.out.as_str()).collect();
        let err: String = recs.iter().map(|r| r.err.as_str()).collect();
        let codes: Vec<String> = recs.iter().filter_map(|r| r.code.clone()).collect();
        let block = unit.block.as_ref();
        let tol = block.and_then(|b| b.tol).unwrap_or(s.tol);
        let want_codes: &[String] = block.map_or(&[], |b| &b.codes);
        let printed = split_lines(&output);
        let out_ok =
            block.is_none_or(|b| !b.checks_output || lines_match(&b.output, &printed, tol));
        let codes_ok = codes == want_codes;
        if out_ok && codes_ok {
            continue;
        }
        if s.bless {
            let new = bless::new_block(
                block,
                &Actual {
                    output: &printed,
                    codes: &codes,
                },
            );
            changes.push((unit, new));
            continue;
        }
        failed = true;
        if !out_ok {
            let b = block.expect("only a block checks output");
            let _ = writeln!(body, "  {at}: output differs (- expected, + printed)");
            body.push_str(&render_diff(
                &diff(&b.output, &printed, tol),
                "    ",
                s.color,
            ));
        }
        if !codes_ok {
            let list = |v: &[String]| {
                v.iter()
                    .map(|c| format!("`{c}`"))
                    .collect::<Vec<_>>()
                    .join(", ")
            };
            let msg = match (want_codes.is_empty(), codes.is_empty()) {
                (true, _) => format!("unexpected diagnostic {}", list(&codes)),
                (false, true) => format!(
                    "expected diagnostic {}, but none was raised",
                    list(want_codes)
                ),
                (false, false) => format!(
                    "expected diagnostic {}, got {}",
                    list(want_codes),
                    list(&codes)
                ),
            };
            let _ = writeln!(body, "  {at}: {msg}");
            if !codes.is_empty() {
                body.push_str(&indent(&err, "    "));
            }
        }
    }
    if complete {
        if let Some(why) = stopped(&run, s) {
            let _ = writeln!(body, "  {}: {why}", f.shown);
            failed = true;
        }
    }
    if !s.bless || changes.is_empty() {
        return (failed, false);
    }
    if failed {
        let _ = writeln!(
            body,
            "  {}: not blessed: fix the failures above first",
            f.shown
        );
        return (true, false);
    }
    let new_text = bless::rewrite(text, &changes);
    if let Err(e) = crate::runtime::data::atomic::write_atomic(&f.path, new_text.as_bytes()) {
        let _ = writeln!(body, "  {}: cannot write: {e}", f.shown);
        return (true, false);
    }
    let old_lines: Vec<&str> = text.lines().collect();
    for (unit, new) in &changes {
        let old: Vec<String> = match &unit.block {
            Some(b) => old_lines[b.first_line..b.end_line.min(old_lines.len())]
                .iter()
                .map(|l| l.trim_end_matches('\r').to_string())
                .collect(),
            None => Vec::new(),
        };
        let _ = writeln!(body, "  {}:{}: blessed", f.shown, unit.line);
        body.push_str(&render_diff(
            &diff(
                &old,
                new,
                Tolerance {
                    atol: 0.0,
                    rtol: 0.0,
                },
            ),
            "    ",
            s.color,
        ));
    }
    (false, true)
}

/// `--- stderr` and `--- exit` lines after the output, as `tests/golden.rs` writes.
fn snapshot(r: &Record, exit: i32) -> String {
    let mut text = r.out.clone();
    if !text.is_empty() && !text.ends_with('\n') {
        text.push('\n');
    }
    if !r.err.is_empty() {
        text.push_str("--- stderr\n");
        text.push_str(&r.err);
    }
    format!("{text}--- exit {exit}\n")
}

/// The `NAME.out` file beside the script: (failed, blessed).
fn check_sidecar(
    f: &TestFile,
    s: &Settings,
    dir: &Path,
    name: &str,
    text: &str,
    out_path: &Path,
    body: &mut String,
) -> (bool, bool) {
    let shown = match f.shown.strip_suffix(".tsr") {
        Some(stem) => format!("{stem}.out"),
        None => format!("{}.out", f.shown),
    };
    let expected = match std::fs::read(out_path) {
        Ok(b) => String::from_utf8_lossy(&b).into_owned(),
        Err(e) => {
            let _ = writeln!(body, "  {shown}: cannot read: {e}");
            return (true, false);
        }
    };
    let run = match worker::run(
        &s.exe,
        dir,
        name,
        text,
        Mode::Whole,
        s.timeout,
        s.max_memory,
    ) {
        Ok(r) => r,
        Err(e) => {
            let _ = writeln!(body, "  {}: cannot start tsr: {e}", f.shown);
            return (true, false);
        }
    };
    let record = run.records.iter().find_map(|r| match r.kind {
        Kind::Whole(exit) => Some((r, exit)),
        _ => None,
    });
    let (record, exit) = match (stopped(&run, s), record) {
        (None, Some(x)) => x,
        (why, _) => {
            let why = why.unwrap_or_else(|| "the run ended early".to_string());
            let _ = writeln!(body, "  {}: {}", f.shown, why.lines().next().unwrap_or(""));
            body.push_str(&indent(
                &why.lines().skip(1).collect::<Vec<_>>().join("\n"),
                "    ",
            ));
            return (true, false);
        }
    };
    let actual = snapshot(record, exit);
    let (want, got) = (split_lines(&expected), split_lines(&actual));
    let same = want.len() == got.len()
        && want
            .iter()
            .zip(&got)
            .all(|(w, g)| line_matches(w, g, s.tol));
    if same {
        return (false, false);
    }
    if s.bless {
        if let Err(e) = crate::runtime::data::atomic::write_atomic(out_path, actual.as_bytes()) {
            let _ = writeln!(body, "  {shown}: cannot write: {e}");
            return (true, false);
        }
        let _ = writeln!(body, "  {shown}: blessed");
        body.push_str(&render_diff(&diff(&want, &got, s.tol), "    ", s.color));
        return (false, true);
    }
    let first = want
        .iter()
        .zip(&got)
        .position(|(w, g)| !line_matches(w, g, s.tol))
        .unwrap_or(want.len().min(got.len()));
    let _ = writeln!(
        body,
        "  {shown}:{}: output differs (- expected, + printed)",
        first + 1
    );
    body.push_str(&render_diff(&diff(&want, &got, s.tol), "    ", s.color));
    (true, false)
}
