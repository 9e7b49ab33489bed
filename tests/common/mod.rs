//! Shared helpers of the integration tests: run a source text in-process with captured
//! output, and show a readable diff.

#![allow(dead_code)]

use std::cell::RefCell;
use std::io::Write;
use std::path::Path;
use std::rc::Rc;
use std::sync::atomic::Ordering;
use std::time::Duration;
use tsr::diagnostic::RenderStyle;
use tsr::snapshot::compare::Tolerance;
use tsr::{Outcome, Session, SessionOptions};

#[derive(Clone, Default)]
pub struct Capture(Rc<RefCell<Vec<u8>>>);

impl Write for Capture {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.borrow_mut().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl Capture {
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.0.borrow()).into_owned()
    }
}

pub struct Run {
    pub stdout: String,
    pub stderr: String,
    pub exit: i32,
    pub panicked: bool,
}

impl Run {
    /// The golden file's text: stdout, then stderr, then the exit status.
    pub fn snapshot(&self) -> String {
        let mut s = self.stdout.clone();
        if !self.stderr.is_empty() {
            s.push_str("--- stderr\n");
            s.push_str(&self.stderr);
        }
        s.push_str(&format!("--- exit {}\n", self.exit));
        s
    }
}

/// Run `text` as a script named `name` on a thread with a large stack (as the binary
/// does), with the working directory's relative paths resolved from `cwd`. A watchdog
/// interrupts the program after `limit`.
pub fn run_with_limit(name: &str, text: &str, cwd: &Path, limit: Option<Duration>) -> Run {
    let name = name.to_string();
    let text = text.to_string();
    let cwd = cwd.to_path_buf();
    let handle = std::thread::Builder::new()
        .stack_size(1 << 30)
        .spawn(move || {
            let _ = cwd;
            let out = Capture::default();
            let err = Capture::default();
            let mut session = Session::new(
                Box::new(out.clone()),
                Box::new(err.clone()),
                SessionOptions {
                    style: RenderStyle::TEST,
                    max_memory: Some(1 << 30),
                },
            );
            if let Some(limit) = limit {
                let flag = session.interp.interrupt.clone();
                std::thread::spawn(move || {
                    std::thread::sleep(limit);
                    flag.store(true, Ordering::Relaxed);
                });
            }
            let outcome = session.run_source(&name, &text);
            let exit = match outcome {
                Outcome::Ok => 0,
                _ => 1,
            };
            (out.text(), err.text(), exit)
        })
        .unwrap();
    match handle.join() {
        Ok((stdout, stderr, exit)) => Run {
            stdout,
            stderr,
            exit,
            panicked: false,
        },
        Err(e) => {
            let msg = e
                .downcast_ref::<String>()
                .cloned()
                .or_else(|| e.downcast_ref::<&str>().map(|s| s.to_string()))
                .unwrap_or_default();
            Run {
                stdout: String::new(),
                stderr: msg,
                exit: 101,
                panicked: true,
            }
        }
    }
}

pub fn run_case(name: &str, text: &str, cwd: &Path) -> Run {
    run_with_limit(name, text, cwd, None)
}

/// A line diff good enough to read a failing snapshot.
pub fn diff(expected: &str, actual: &str) -> String {
    let e: Vec<&str> = expected.lines().collect();
    let a: Vec<&str> = actual.lines().collect();
    let mut out = String::new();
    let n = e.len().max(a.len());
    let mut shown = 0;
    for i in 0..n {
        let (x, y) = (e.get(i), a.get(i));
        if x != y {
            if let Some(x) = x {
                out.push_str(&format!("  -{:4} {}\n", i + 1, x));
            }
            if let Some(y) = y {
                out.push_str(&format!("  +{:4} {}\n", i + 1, y));
            }
            shown += 1;
            if shown > 12 {
                out.push_str("  ...\n");
                break;
            }
        }
    }
    out
}

/// The numbers in `text`, as the conformance runner finds them (the scanner of
/// `tsr test`).
pub fn numbers(text: &str) -> Vec<(f64, String)> {
    tsr::snapshot::compare::numbers(text)
}

/// Compare every number printed with the reference list (one per line), with the
/// conformance suite's tolerance.
pub fn numbers_match(stdout: &str, expect: &str) -> Result<(), String> {
    let want: Vec<f64> = expect
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| l.trim().parse::<f64>().unwrap_or(f64::NAN))
        .collect();
    let got = numbers(stdout);
    for (i, w) in want.iter().enumerate() {
        let Some((g, s)) = got.get(i) else {
            return Err(format!(
                "only {} numbers printed, expected {}",
                got.len(),
                want.len()
            ));
        };
        if !Tolerance::default().accepts(*g, *w) {
            return Err(format!("number #{i}: printed {s}, PyTorch gives {w}"));
        }
    }
    if got.len() > want.len() {
        return Err(format!(
            "{} numbers printed, expected {}",
            got.len(),
            want.len()
        ));
    }
    Ok(())
}

/// Every `.tsr` file below `dir`, sorted.
pub fn collect(dir: &Path, out: &mut Vec<std::path::PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    let mut entries: Vec<std::path::PathBuf> =
        entries.filter_map(|e| e.ok()).map(|e| e.path()).collect();
    entries.sort();
    for p in entries {
        if p.is_dir() {
            collect(&p, out);
        } else if p.extension().map(|e| e == "tsr").unwrap_or(false) {
            out.push(p);
        }
    }
}
