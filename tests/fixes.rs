//! Every suggested fix is applied: for each error case under `tests/cases`, the fix that
//! the diagnostic's help shows is applied to a copy of the program, which is run again
//! and must get past the failing line. Cases whose error has a known fix pattern must
//! carry one, unless `tests/fixes/without_fix.txt` lists them with the reason.

mod common;

use std::path::{Path, PathBuf};
use tsr::diagnostic::{Diagnostic, RenderStyle};
use tsr::{Session, SessionOptions};

fn cases(dir: &Path, out: &mut Vec<PathBuf>) {
    let mut entries: Vec<_> = std::fs::read_dir(dir)
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .collect();
    entries.sort();
    for p in entries {
        if p.is_dir() {
            cases(&p, out);
        } else if p.extension().is_some_and(|e| e == "tsr") {
            out.push(p);
        }
    }
}

/// The first error of running `text`, with its verified fix.
fn first_error(name: &str, text: &str) -> Option<Diagnostic> {
    let name = name.to_string();
    let text = text.to_string();
    std::thread::Builder::new()
        .stack_size(1 << 28)
        .spawn(move || {
            let mut s = Session::new(
                Box::new(std::io::sink()),
                Box::new(std::io::sink()),
                SessionOptions {
                    style: RenderStyle::TEST,
                    max_memory: Some(1 << 30),
                },
            );
            s.capture_errors = Some(Vec::new());
            s.run_source(&name, &text);
            s.capture_errors.and_then(|e| e.into_iter().next())
        })
        .unwrap()
        .join()
        .unwrap()
}

fn line_of(text: &str, offset: usize) -> usize {
    1 + text[..offset.min(text.len())].matches('\n').count()
}

/// Error codes whose common causes have a fix pattern.
const FIXABLE: &[&str] = &[
    "shape::matmul",
    "shape::broadcast",
    "shape::loss",
    "shape::linear",
];

#[test]
fn suggested_fixes_get_past_the_failing_line() {
    let mut files = Vec::new();
    cases(Path::new("tests/cases"), &mut files);
    let allowed = std::fs::read_to_string("tests/fixes/without_fix.txt").unwrap_or_default();
    let allowed: Vec<&str> = allowed
        .lines()
        .filter(|l| !l.trim().is_empty() && !l.starts_with('#'))
        .map(|l| l.split_whitespace().next().unwrap_or(""))
        .collect();
    let (mut applied, mut failures) = (0, Vec::new());
    for path in &files {
        let name = path.to_string_lossy().replace('\\', "/");
        let text = std::fs::read_to_string(path).unwrap();
        let Some(d) = first_error(&name, &text) else {
            continue;
        };
        let Some(at) = d.primary_span() else {
            continue;
        };
        let line = line_of(&text, at.start);
        let Some(fix) = d.fix() else {
            if FIXABLE.contains(&d.code) && !allowed.contains(&name.as_str()) {
                failures.push(format!("{name}:{line}: `{}` has no fix (list it in tests/fixes/without_fix.txt with the reason if none exists)", d.code));
            }
            continue;
        };
        if allowed.contains(&name.as_str()) {
            failures.push(format!(
                "{name}: listed in without_fix.txt but now has a fix; remove it from the list"
            ));
        }
        applied += 1;
        let fixed = fix.apply(&text).expect("the fix applies to its own source");
        if let Some(e) = first_error(&name, &fixed) {
            let new_line = e
                .primary_span()
                .map(|s| line_of(&fixed, s.start))
                .unwrap_or(0);
            if new_line == line {
                failures.push(format!(
                    "{name}:{line}: the fix `{}` → `{}` still fails there: {} ({})",
                    &text[fix.span.start..fix.span.end],
                    fix.replacement,
                    e.code,
                    e.message
                ));
            }
        }
    }
    println!("{applied} fixes applied, each got past its failing line");
    assert!(applied >= 10, "only {applied} fixes were applied");
    assert!(
        failures.is_empty(),
        "{} problems:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

/// The stderr of `tsr run FILE` in `dir`, or `None` when it runs longer than 10 s (a
/// program that loops until interrupted, such as the REPL's Ctrl-C tests).
fn run_bounded(dir: &Path, file: &std::ffi::OsStr) -> Option<String> {
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_tsr"))
        .arg("run")
        .arg(file)
        .current_dir(dir)
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("tsr runs");
    let mut stderr = child.stderr.take()?;
    let reader = std::thread::spawn(move || {
        let mut s = String::new();
        let _ = std::io::Read::read_to_string(&mut stderr, &mut s);
        s
    });
    let start = std::time::Instant::now();
    loop {
        if child.try_wait().ok().flatten().is_some() {
            return reader.join().ok();
        }
        if start.elapsed() > std::time::Duration::from_secs(10) {
            let _ = child.kill();
            let _ = child.wait();
            return None;
        }
        std::thread::sleep(std::time::Duration::from_millis(5));
    }
}

/// The warnings for silent bugs: none may fire on a correct program.
const SILENT_BUG_CODES: &[&str] = &[
    "shape::pairwise",
    "shape::keepdim",
    "loss::probabilities",
    "shape::softmax_axis",
];

#[test]
fn silent_bug_warnings_stay_quiet_on_correct_programs() {
    let mut files = Vec::new();
    cases(Path::new("tests"), &mut files);
    let mut examples = Vec::new();
    cases(Path::new("examples"), &mut examples);
    let mut fired = Vec::new();
    let mut checked = 0;
    for path in files.iter().chain(&examples) {
        let name = path.to_string_lossy().replace('\\', "/");
        // The warnings' own golden cases are the programs that should warn.
        if name.contains("tests/cases/warnings/silent_") && !name.ends_with("_quiet.tsr") {
            continue;
        }
        // Each program runs from its own folder, as `tsr test` runs it, so that its
        // data files are found and it runs to the end.
        let dir = path.parent().unwrap_or(Path::new("."));
        let Some(stderr) = run_bounded(dir, path.file_name().unwrap()) else {
            continue;
        };
        checked += 1;
        for code in SILENT_BUG_CODES {
            if stderr.lines().any(|l| l.trim() == *code) {
                fired.push(format!("{name}: {code}"));
            }
        }
    }
    assert!(checked > 300, "only {checked} programs ran");
    assert!(
        fired.is_empty(),
        "warnings on correct programs:\n{}",
        fired.join("\n")
    );
}
