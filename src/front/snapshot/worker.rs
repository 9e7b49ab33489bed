//! Each test file runs in a child process of the same binary (`tsr test --worker MODE
//! --worker-name NAME`, the script on standard input), started in the file's folder.
//!
//! Why a process and not a thread: the working directory that relative paths in
//! `load`/`save` resolve against is per process, and so are the tensor memory budget
//! and a crash; and a timeout must stop a run even inside one long op, which only
//! killing a process can do. Starting a process costs about a millisecond.
//!
//! The child reports on its standard output, one record per statement (inline mode) or
//! one for the whole script (sidecar mode): `KIND INDEX CODE OUT_LEN ERR_LEN\n` followed
//! by the statement's output and rendered diagnostics, byte counts first so that any
//! output is carried unchanged.

use crate::front::session::{Outcome, Session, SessionOptions};
use crate::syntax::diagnostic::{render, RenderStyle};
use std::cell::RefCell;
use std::io::{Read, Write};
use std::path::Path;
use std::process::{Command, Stdio};
use std::rc::Rc;
use std::time::{Duration, Instant};

/// How the child runs the script.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Mode {
    /// Statement by statement, REPL-style: a failing statement changes nothing.
    Inline,
    /// As `tsr run` would, for a `.out` file beside the script.
    Whole,
}

impl Mode {
    fn arg(self) -> &'static str {
        match self {
            Mode::Inline => "inline",
            Mode::Whole => "whole",
        }
    }
}

/// What one record says.
#[derive(Clone, Debug, PartialEq)]
pub enum Kind {
    /// A statement ran (index into the parsed program).
    Stmt(usize),
    /// The whole script ran, with this exit status.
    Whole(i32),
    /// The script has syntax errors; nothing ran.
    Syntax,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Record {
    pub kind: Kind,
    /// The code of the diagnostic that stopped the statement.
    pub code: Option<String>,
    pub out: String,
    /// Rendered diagnostics and warnings.
    pub err: String,
}

#[derive(Clone, Default)]
struct Capture(Rc<RefCell<Vec<u8>>>);

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
    fn take(&self) -> Vec<u8> {
        std::mem::take(&mut *self.0.borrow_mut())
    }
}

fn write_record(
    w: &mut dyn Write,
    kind: &str,
    index: i64,
    code: Option<&str>,
    out: &[u8],
    err: &[u8],
) -> std::io::Result<()> {
    let code: String = code
        .unwrap_or("-")
        .chars()
        .map(|c| if c.is_whitespace() { '_' } else { c })
        .collect();
    writeln!(w, "{kind} {index} {code} {} {}", out.len(), err.len())?;
    w.write_all(out)?;
    w.write_all(err)?;
    w.flush()
}

/// The child's side: run the script read from standard input, named `name`, and
/// report on standard output. Returns the process's exit status.
pub fn run_child(mode: Mode, name: &str, max_memory: Option<u64>) -> u8 {
    let mut text = Vec::new();
    if std::io::stdin().read_to_end(&mut text).is_err() {
        return 2;
    }
    let text = String::from_utf8_lossy(&text).into_owned();
    let out = Capture::default();
    let err = Capture::default();
    let mut session = Session::new(
        Box::new(out.clone()),
        Box::new(err.clone()),
        SessionOptions {
            style: RenderStyle::TEST,
            max_memory,
        },
    );
    let stdout = std::io::stdout();
    let mut w = stdout.lock();
    let written = match mode {
        Mode::Whole => {
            let exit = match session.run_source(name, &text) {
                Outcome::Ok => 0,
                _ => 1,
            };
            write_record(&mut w, "whole", exit, None, &out.take(), &err.take())
        }
        Mode::Inline => match session.parse(name, &text) {
            Err(_) => write_record(&mut w, "syntax", 0, None, &[], &err.take()),
            Ok((src_id, stmts)) => {
                let mut result = Ok(());
                for (i, stmt) in stmts.iter().enumerate() {
                    session
                        .interp
                        .interrupt
                        .store(false, std::sync::atomic::Ordering::SeqCst);
                    let outcome = session.run_statement(src_id, stmt);
                    let mut e = err.take();
                    let code = match &outcome {
                        Ok(()) => None,
                        Err(d) => {
                            e.extend_from_slice(render(d, RenderStyle::TEST).as_bytes());
                            Some(d.code.to_string())
                        }
                    };
                    result =
                        write_record(&mut w, "stmt", i as i64, code.as_deref(), &out.take(), &e);
                    if result.is_err() {
                        break;
                    }
                }
                result
            }
        },
    };
    u8::from(written.is_err())
}

/// How a child run ended, as the parent saw it.
#[derive(Debug, Default)]
pub struct ChildRun {
    pub records: Vec<Record>,
    /// The run took longer than the timeout and was killed.
    pub timed_out: bool,
    /// The child ended without reporting everything (a crash): its exit status and
    /// what it wrote to standard error.
    pub crashed: Option<String>,
}

/// Parse the records of a child's standard output; a cut-off last record is dropped.
pub fn parse_records(bytes: &[u8]) -> (Vec<Record>, bool) {
    let mut records = Vec::new();
    let mut pos = 0;
    while pos < bytes.len() {
        let Some(nl) = bytes[pos..].iter().position(|&b| b == b'\n') else {
            return (records, false);
        };
        let header = String::from_utf8_lossy(&bytes[pos..pos + nl]).into_owned();
        let parts: Vec<&str> = header.split(' ').collect();
        let parsed = (|| {
            let [kind, index, code, out_len, err_len] = parts.as_slice() else {
                return None;
            };
            let index: i64 = index.parse().ok()?;
            let kind = match *kind {
                "stmt" => Kind::Stmt(usize::try_from(index).ok()?),
                "whole" => Kind::Whole(i32::try_from(index).ok()?),
                "syntax" => Kind::Syntax,
                _ => return None,
            };
            let code = (*code != "-").then(|| code.to_string());
            Some((
                kind,
                code,
                out_len.parse::<usize>().ok()?,
                err_len.parse::<usize>().ok()?,
            ))
        })();
        let Some((kind, code, out_len, err_len)) = parsed else {
            return (records, false);
        };
        let body = pos + nl + 1;
        let Some(end) = body
            .checked_add(out_len)
            .and_then(|x| x.checked_add(err_len))
        else {
            return (records, false);
        };
        if end > bytes.len() {
            return (records, false);
        }
        records.push(Record {
            kind,
            code,
            out: String::from_utf8_lossy(&bytes[body..body + out_len]).into_owned(),
            err: String::from_utf8_lossy(&bytes[body + out_len..end]).into_owned(),
        });
        pos = end;
    }
    (records, true)
}

/// Run `text` (the file `name` in folder `dir`) in a child process of `exe`, killing
/// it after `timeout`.
pub fn run(
    exe: &Path,
    dir: &Path,
    name: &str,
    text: &str,
    mode: Mode,
    timeout: Duration,
    max_memory: Option<u64>,
) -> std::io::Result<ChildRun> {
    let mut cmd = Command::new(exe);
    if let Some(bytes) = max_memory {
        cmd.arg("--max-memory").arg(bytes.to_string());
    }
    cmd.args(["test", "--worker", mode.arg(), "--worker-name", name])
        .current_dir(dir)
        .env("NO_COLOR", "1")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = cmd.spawn()?;
    let stdout = child.stdout.take();
    let stderr = child.stderr.take();
    let read_all = |pipe: Option<Box<dyn Read + Send>>| {
        std::thread::spawn(move || {
            let mut buf = Vec::new();
            if let Some(mut p) = pipe {
                let _ = p.read_to_end(&mut buf);
            }
            buf
        })
    };
    let out_reader = read_all(stdout.map(|p| Box::new(p) as Box<dyn Read + Send>));
    let err_reader = read_all(stderr.map(|p| Box::new(p) as Box<dyn Read + Send>));
    if let Some(mut stdin) = child.stdin.take() {
        // A child that stops early closes its end: that shows up in its report.
        let _ = stdin.write_all(text.as_bytes());
    }
    let start = Instant::now();
    let mut pause = Duration::from_millis(1);
    let mut timed_out = false;
    let status = loop {
        if let Some(status) = child.try_wait()? {
            break Some(status);
        }
        if start.elapsed() >= timeout {
            let _ = child.kill();
            let _ = child.wait();
            timed_out = true;
            break None;
        }
        std::thread::sleep(pause.min(timeout.saturating_sub(start.elapsed())));
        pause = (pause * 2).min(Duration::from_millis(20));
    };
    let out = out_reader.join().unwrap_or_default();
    let err = err_reader.join().unwrap_or_default();
    let (records, complete) = parse_records(&out);
    let crashed = match status {
        Some(s) if !s.success() || !complete => {
            let mut msg = match s.code() {
                Some(c) => format!("the run stopped with exit status {c}"),
                None => "the run was killed by a signal".to_string(),
            };
            let err = String::from_utf8_lossy(&err);
            if !err.trim().is_empty() {
                msg.push_str(":\n");
                msg.push_str(err.trim_end());
            }
            Some(msg)
        }
        _ => None,
    };
    Ok(ChildRun {
        records,
        timed_out,
        crashed,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn records_round_trip() {
        let mut buf = Vec::new();
        write_record(
            &mut buf,
            "stmt",
            3,
            Some("shape::matmul"),
            b"a\nb 5 6\n",
            b"x",
        )
        .unwrap();
        write_record(&mut buf, "whole", 1, None, b"", b"").unwrap();
        let (records, complete) = parse_records(&buf);
        assert!(complete);
        assert_eq!(records.len(), 2);
        assert_eq!(records[0].kind, Kind::Stmt(3));
        assert_eq!(records[0].code.as_deref(), Some("shape::matmul"));
        assert_eq!(records[0].out, "a\nb 5 6\n");
        assert_eq!(records[0].err, "x");
        assert_eq!(records[1].kind, Kind::Whole(1));
        let (cut, complete) = parse_records(&buf[..buf.len() - 20]);
        assert!(!complete);
        assert_eq!(cut.len(), 0);
    }
}
