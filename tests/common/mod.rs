//! Shared helpers of the integration tests: run a source text in-process with captured
//! output (or under a time bound, telling an honest infinite loop from a hang), show a
//! readable diff, and mutate programs from a fixed-seed generator (the robustness and
//! mutation tests).

#![allow(dead_code)]

pub mod fd;
pub mod json;

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
            tsr::data::set_base_dir(Some(cwd));
            let out = Capture::default();
            let err = Capture::default();
            let mut session = Session::new(
                Box::new(out.clone()),
                Box::new(err.clone()),
                SessionOptions {
                    style: RenderStyle::TEST,
                    max_memory: Some(max_memory_of(&text).unwrap_or(1 << 30)),
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

/// The memory budget a case asks for on its first line, `# max-memory: 16M` (as the
/// command line's `--max-memory 16M`).
pub fn max_memory_of(text: &str) -> Option<u64> {
    let spec = text.lines().next()?.strip_prefix("# max-memory:")?.trim();
    let (num, unit) = spec.split_at(spec.find(|c: char| c.is_ascii_alphabetic())?);
    let mult: u64 = match unit {
        "K" => 1 << 10,
        "M" => 1 << 20,
        "G" => 1 << 30,
        _ => return None,
    };
    num.trim().parse::<u64>().ok().map(|n| n * mult)
}

/// How a bounded run ended.
pub enum Ending {
    /// The program ended by itself or at the interrupt (`interrupted`: it was still
    /// running at the time bound — an honest long or infinite loop).
    Finished {
        exit: i32,
        interrupted: bool,
    },
    Panicked(String),
    /// Still running `grace` after the interrupt: a loop or op that does not stop.
    Hung,
}

/// A writer that keeps at most 64 KiB (a mutant may print forever).
#[derive(Clone, Default)]
pub struct Capped(Rc<RefCell<Vec<u8>>>);

impl Write for Capped {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let mut v = self.0.borrow_mut();
        let room = (64usize << 10).saturating_sub(v.len());
        v.extend_from_slice(&buf[..buf.len().min(room)]);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// Runs `text` on its own large-stack thread under a memory budget; at `limit` the
/// interrupt flag is set (as Ctrl-C does), and a run still going `grace` later is a hang
/// (its thread is left behind).
pub fn run_bounded(text: &str, max_memory: u64, limit: Duration, grace: Duration) -> Ending {
    use std::sync::atomic::AtomicBool;
    use std::sync::mpsc;
    use std::sync::Arc;
    let text = text.to_string();
    let flag = Arc::new(AtomicBool::new(false));
    let worker_flag = flag.clone();
    let (tx, rx) = mpsc::channel();
    let handle = std::thread::Builder::new()
        .stack_size(1 << 30)
        .spawn(move || {
            let out = Capped::default();
            let mut session = Session::new(
                Box::new(out.clone()),
                Box::new(out.clone()),
                SessionOptions {
                    style: RenderStyle::TEST,
                    max_memory: Some(max_memory),
                },
            );
            session.interp.interrupt = worker_flag;
            let outcome = session.run_source("mutant.tsr", &text);
            let exit = i32::from(outcome != Outcome::Ok);
            let interrupted = session.last_error == Some("interrupt");
            let _ = tx.send((exit, interrupted));
        })
        .expect("spawn a mutant's thread");
    let mut got = rx.recv_timeout(limit);
    if matches!(got, Err(mpsc::RecvTimeoutError::Timeout)) {
        flag.store(true, Ordering::SeqCst);
        got = rx.recv_timeout(grace);
    }
    match got {
        Ok((exit, interrupted)) => {
            let _ = handle.join();
            Ending::Finished { exit, interrupted }
        }
        Err(mpsc::RecvTimeoutError::Timeout) => Ending::Hung,
        Err(mpsc::RecvTimeoutError::Disconnected) => match handle.join() {
            Err(e) => Ending::Panicked(
                e.downcast_ref::<String>()
                    .cloned()
                    .or_else(|| e.downcast_ref::<&str>().map(|s| s.to_string()))
                    .unwrap_or_default(),
            ),
            Ok(()) => Ending::Panicked("the run ended without an outcome".into()),
        },
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

// ------------------------------------------------------------------ mutation

/// xorshift64*: a fixed, dependency-free generator so the variants are the same each run.
pub struct Gen(pub u64);

impl Gen {
    pub fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545F4914F6CDD1D)
    }
    pub fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
    pub fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len())]
    }
}

/// Byte strings that often matter to a lexer or parser.
pub const INTERESTING: &[&[u8]] = &[
    b"(", b")", b"[", b"]", b":", b"\n", b"\t", b"    ", b"@", b"**", b"-1", b"1e308", b"\"",
    b"\xff", b"def ", b"for ", b".T", b",", b"=", b"0",
];

/// One to three random byte edits: replace a byte, insert an interesting string, delete
/// a byte.
pub fn edit_bytes(bytes: &[u8], gen: &mut Gen) -> Vec<u8> {
    let mut b = bytes.to_vec();
    for _ in 0..1 + gen.below(3) {
        let pos = gen.below(b.len() + 1);
        match gen.below(3) {
            0 if pos < b.len() => b[pos] = gen.below(256) as u8,
            1 => {
                let ins = INTERESTING[gen.below(INTERESTING.len())];
                b.splice(pos..pos, ins.iter().copied());
            }
            _ if pos < b.len() => {
                b.remove(pos);
            }
            _ => {}
        }
    }
    b
}

/// Numbers that stress shapes, indices and arithmetic.
const NUMBERS: &[&str] = &[
    "0",
    "1",
    "-1",
    "2",
    "3",
    "-2",
    "0.5",
    "1e9",
    "1e308",
    "-1e308",
    "65536",
    "100000",
    "1e-45",
    "7",
    "6",
    "float('nan')",
];

/// Tokens that can replace an operator or a name.
const TOKENS: &[&str] = &[
    "+", "-", "*", "/", "@", "**", "%", "==", "<", "and", "or", "not", ".T", "[0]", "[:, 1]",
    "[-1]", "x", "W", "loss", "grad", "backward", "sum", "reshape", "None", "True", "[]",
];

/// Whole statements worth splicing in: loops, recursion, big shapes, graph growth.
const STATEMENTS: &[&str] = &[
    "while True: pass",
    "for i in range(3): pass",
    "x = ones(3, 4)",
    "x = x @ x.T",
    "x = zeros(0, 3)",
    "W = randn(4, 4)",
    "loss = sum(W * W)",
    "backward(loss)",
    "def f(n): return f(n - 1)",
    "f(3)",
    "t = tensor([[1, 2], [3, 4]])",
    "t = t.reshape(-1)",
    "y = t[5]",
    "break",
    "return 1",
    "x = detach(x)",
];

/// A program-level mutation of `text`: numbers, operators and names swapped, lines
/// deleted, duplicated, swapped or re-indented, statements spliced in, or byte edits;
/// one to four of them.
pub fn mutate_program(text: &str, gen: &mut Gen) -> String {
    let mut lines: Vec<String> = text.lines().map(|l| l.to_string()).collect();
    for _ in 0..1 + gen.below(4) {
        if lines.is_empty() {
            lines.push(String::new());
        }
        let i = gen.below(lines.len());
        match gen.below(9) {
            0 => replace_token(&mut lines[i], gen, |w| w.parse::<f64>().is_ok(), NUMBERS),
            1 => replace_token(&mut lines[i], gen, |w| !w.is_empty(), TOKENS),
            2 => {
                lines.remove(i);
            }
            3 => {
                let l = lines[i].clone();
                lines.insert(i, l);
            }
            4 => {
                let j = gen.below(lines.len());
                lines.swap(i, j);
            }
            5 => {
                let indent = ["", "    ", "        ", "  ", "\t"];
                let l = lines[i].trim_start().to_string();
                lines[i] = format!("{}{l}", gen.pick(&indent));
            }
            6 => {
                let indent: String = lines[i].chars().take_while(|c| c.is_whitespace()).collect();
                let st = gen.pick(STATEMENTS);
                lines.insert(i, format!("{indent}{st}"));
            }
            7 => {
                let b = edit_bytes(lines[i].as_bytes(), gen);
                lines[i] = String::from_utf8_lossy(&b).into_owned();
            }
            _ => {
                // Cut the program short.
                lines.truncate(i + 1);
            }
        }
    }
    let mut out = lines.join("\n");
    out.push('\n');
    out
}

/// Replaces one word of `line` that `is_target` accepts with one of `choices`.
fn replace_token(
    line: &mut String,
    gen: &mut Gen,
    is_target: impl Fn(&str) -> bool,
    choices: &[&str],
) {
    let words: Vec<(usize, usize)> = word_spans(line)
        .into_iter()
        .filter(|&(a, b)| is_target(&line[a..b]))
        .collect();
    if words.is_empty() {
        return;
    }
    let (a, b) = *gen.pick(&words);
    let choice: &str = choices[gen.below(choices.len())];
    line.replace_range(a..b, choice);
}

/// Byte ranges of the maximal runs of word characters (letters, digits, `_`, `.`).
fn word_spans(line: &str) -> Vec<(usize, usize)> {
    let mut out = Vec::new();
    let mut start = None;
    for (i, c) in line.char_indices() {
        let word = c.is_alphanumeric() || c == '_' || c == '.';
        match (word, start) {
            (true, None) => start = Some(i),
            (false, Some(s)) => {
                out.push((s, i));
                start = None;
            }
            _ => {}
        }
    }
    if let Some(s) = start {
        out.push((s, line.len()));
    }
    out
}
