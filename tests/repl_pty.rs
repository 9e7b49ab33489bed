//! The `tsr` REPL on a real pseudo-terminal: typing a block, Ctrl-C during a running
//! loop and at the prompt, a second Ctrl-C during an op, Tab completion, hints and
//! colours, bracketed paste, history, `-i FILE`, Ctrl-D. HOME, XDG_STATE_HOME and
//! TSR_HISTORY point into a fresh temporary directory, so nothing is written to `$HOME`.
//!
//! The pseudo-terminal comes from `posix_openpt` (std has no pty API), through the few C
//! library functions declared in `sys` below; like the conformance runner, the reader
//! answers the cursor-position query that rustyline sends before each prompt.
#![cfg(any(target_os = "linux", target_os = "macos"))]

use std::fs::File;
use std::io::{Read, Write};
use std::os::fd::FromRawFd;
use std::os::unix::process::{CommandExt, ExitStatusExt};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// The C library calls a pseudo-terminal needs, with each platform's ioctl numbers.
mod sys {
    use std::ffi::{c_char, c_int, c_ulong};

    #[repr(C)]
    pub struct Winsize {
        pub rows: u16,
        pub cols: u16,
        pub x_pixels: u16,
        pub y_pixels: u16,
    }

    pub const O_RDWR: c_int = 2;
    pub const SIGINT: c_int = 2;
    #[cfg(target_os = "linux")]
    pub const O_NOCTTY: c_int = 0o400;
    #[cfg(target_os = "macos")]
    pub const O_NOCTTY: c_int = 0x20000;
    #[cfg(target_os = "linux")]
    pub const TIOCSWINSZ: c_ulong = 0x5414;
    #[cfg(target_os = "macos")]
    pub const TIOCSWINSZ: c_ulong = 0x8008_7467;
    #[cfg(target_os = "linux")]
    pub const TIOCSCTTY: c_ulong = 0x540E;
    #[cfg(target_os = "macos")]
    pub const TIOCSCTTY: c_ulong = 0x2000_7461;

    extern "C" {
        pub fn posix_openpt(flags: c_int) -> c_int;
        pub fn grantpt(fd: c_int) -> c_int;
        pub fn unlockpt(fd: c_int) -> c_int;
        pub fn ptsname(fd: c_int) -> *const c_char;
        pub fn ioctl(fd: c_int, request: c_ulong, ...) -> c_int;
        pub fn setsid() -> c_int;
        pub fn kill(pid: c_int, signal: c_int) -> c_int;
    }
}

struct Pty {
    master: File,
    child: Child,
    output: Arc<Mutex<Vec<u8>>>,
    /// Where the next `expect` starts looking.
    mark: usize,
}

/// A test's own state directory, removed when the test ends (pass or fail).
struct TempDir(PathBuf);

impl std::ops::Deref for TempDir {
    type Target = Path;
    fn deref(&self) -> &Path {
        &self.0
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn temp_dir(name: &str) -> TempDir {
    let dir = std::env::temp_dir().join(format!("tsr-pty-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(dir.join("home")).unwrap();
    TempDir(dir)
}

fn open_pty() -> (File, PathBuf) {
    // `ptsname` returns a static buffer: one test at a time may use it.
    static PTSNAME: Mutex<()> = Mutex::new(());
    let _guard = PTSNAME.lock().unwrap_or_else(|e| e.into_inner());
    // SAFETY: plain C calls on a descriptor this function owns; the name is copied out
    // of `ptsname`'s buffer while the lock is held.
    unsafe {
        let fd = sys::posix_openpt(sys::O_RDWR | sys::O_NOCTTY);
        assert!(
            fd >= 0,
            "posix_openpt failed: {}",
            std::io::Error::last_os_error()
        );
        assert_eq!(sys::grantpt(fd), 0);
        assert_eq!(sys::unlockpt(fd), 0);
        let name = sys::ptsname(fd);
        assert!(!name.is_null());
        let name = std::ffi::CStr::from_ptr(name)
            .to_string_lossy()
            .into_owned();
        let size = sys::Winsize {
            rows: 24,
            cols: 120,
            x_pixels: 0,
            y_pixels: 0,
        };
        sys::ioctl(fd, sys::TIOCSWINSZ, &size as *const sys::Winsize);
        (File::from_raw_fd(fd), PathBuf::from(name))
    }
}

impl Pty {
    /// Start `tsr ARGS` on a new terminal with the state directories under `dir`.
    fn spawn(dir: &Path, args: &[&str], colour: bool) -> Pty {
        let (master, slave_path) = open_pty();
        let slave = File::options()
            .read(true)
            .write(true)
            .open(&slave_path)
            .unwrap();
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_tsr"));
        cmd.args(args)
            .current_dir(dir)
            .env("HOME", dir.join("home"))
            .env("XDG_STATE_HOME", dir.join("state"))
            .env("TSR_HISTORY", dir.join("history"))
            .env("TERM", "xterm-256color")
            .env_remove("RUST_BACKTRACE")
            .stdin(Stdio::from(slave.try_clone().unwrap()))
            .stdout(Stdio::from(slave.try_clone().unwrap()))
            .stderr(Stdio::from(slave));
        if colour {
            cmd.env_remove("NO_COLOR");
        } else {
            cmd.env("NO_COLOR", "1");
        }
        // SAFETY: only async-signal-safe calls between fork and exec.
        unsafe {
            cmd.pre_exec(|| {
                if sys::setsid() < 0 || sys::ioctl(0, sys::TIOCSCTTY, 0) < 0 {
                    return Err(std::io::Error::last_os_error());
                }
                Ok(())
            });
        }
        let child = cmd.spawn().unwrap();
        let output = Arc::new(Mutex::new(Vec::new()));
        let (mut reader, mut answer) = (master.try_clone().unwrap(), master.try_clone().unwrap());
        let sink = output.clone();
        std::thread::spawn(move || {
            let mut chunk = [0u8; 4096];
            // Ends with EIO once the child has closed its side.
            while let Ok(n) = reader.read(&mut chunk) {
                if n == 0 {
                    break;
                }
                let part = &chunk[..n];
                if part.windows(4).any(|w| w == b"\x1b[6n") {
                    let _ = answer.write_all(b"\x1b[1;1R");
                }
                sink.lock().unwrap().extend_from_slice(part);
            }
        });
        let mut pty = Pty {
            master,
            child,
            output,
            mark: 0,
        };
        pty.expect(">>> ");
        pty
    }

    fn text(&self) -> String {
        String::from_utf8_lossy(&self.output.lock().unwrap()).into_owned()
    }

    fn send(&mut self, bytes: &str) {
        self.master.write_all(bytes.as_bytes()).unwrap();
        self.master.flush().unwrap();
        std::thread::sleep(Duration::from_millis(60));
    }

    /// Type a line and press Enter.
    fn line(&mut self, text: &str) {
        self.mark = self.output.lock().unwrap().len();
        self.send(text);
        self.send("\r");
    }

    /// Wait until `needle` (colour codes included) appears anywhere on the terminal.
    fn expect_raw(&mut self, needle: &str) {
        let deadline = Instant::now() + Duration::from_secs(20);
        while !self.text().contains(needle) {
            assert!(
                Instant::now() < deadline,
                "no {needle:?} on the terminal: {:?}",
                self.text()
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// Wait until `needle` appears (colours removed) after the mark, which `line` sets.
    fn expect(&mut self, needle: &str) -> String {
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            let raw = self.output.lock().unwrap()[self.mark..].to_vec();
            let seen = tsr::repl::strip_ansi(&String::from_utf8_lossy(&raw));
            if let Some(i) = seen.find(needle) {
                return seen[..i + needle.len()].to_string();
            }
            if Instant::now() > deadline {
                panic!(
                    "no {needle:?} on the terminal; it shows:\n{}",
                    tsr::repl::strip_ansi(&self.text())
                );
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    fn wait_exit(&mut self) -> ExitStatus {
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                return status;
            }
            if Instant::now() > deadline {
                let _ = self.child.kill();
                panic!(
                    "tsr did not exit; the terminal shows:\n{}",
                    tsr::repl::strip_ansi(&self.text())
                );
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    fn ctrl_d_exits_zero(&mut self) {
        self.send("\x04");
        let status = self.wait_exit();
        assert_eq!(status.code(), Some(0), "{}", self.text());
    }
}

impl Drop for Pty {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[test]
fn typing_a_block_runs_it_once_an_empty_line_closes_it() {
    let dir = temp_dir("block");
    let mut t = Pty::spawn(&dir, &[], false);
    t.line("total = 0");
    t.line("for i in range(3):");
    t.expect("... ");
    // The prompt after a line ending in `:` is indented already; the empty line (only
    // that indentation) closes the block.
    t.line("total += i * 10");
    t.line("print('row', i)");
    t.line("");
    t.expect("row 0");
    t.expect("row 2");
    t.line("total");
    t.expect("30");
    t.line("y = (1 +");
    t.expect("... ");
    t.line("2)");
    t.line("y");
    t.expect("3");
    t.ctrl_d_exits_zero();
    assert_eq!(
        std::fs::read_dir(dir.join("home")).unwrap().count(),
        0,
        "nothing may be written to $HOME"
    );
}

#[test]
fn indentation_typed_by_hand_replaces_the_indentation_given() {
    let dir = temp_dir("typed_indent");
    let mut t = Pty::spawn(&dir, &[], false);
    t.line("total = 0");
    t.line("for i in range(4):");
    t.expect("... ");
    // Typed as in Python's REPL, each body line with its own four spaces: they replace
    // the four the prompt offered instead of adding to them.
    t.line("    total += i * 10");
    t.line("    print('row', i * 100)");
    t.line("");
    t.expect("row 300");
    t.line("total");
    t.expect("60");
    t.ctrl_d_exits_zero();
}

#[test]
fn ctrl_c_stops_a_running_loop_and_keeps_the_variables() {
    let dir = temp_dir("interrupt");
    let mut t = Pty::spawn(&dir, &[], false);
    t.line("n = 0");
    t.line("while True:");
    t.line("n += 1");
    t.line("");
    std::thread::sleep(Duration::from_millis(500));
    t.send("\x03");
    let shown = t.expect("iterations of this `while` loop");
    assert!(shown.contains("interrupted after"), "{shown}");
    t.expect(">>> ");
    t.line("print('counted', n > 0, n == int(n))");
    t.expect("counted True True");
    t.ctrl_d_exits_zero();
}

#[test]
fn ctrl_c_at_the_prompt_clears_the_line() {
    let dir = temp_dir("clear");
    let mut t = Pty::spawn(&dir, &[], false);
    t.send("1000 + 1");
    t.send("\x03");
    t.expect(">>> ");
    t.line("7 * 6");
    t.expect("42");
    assert!(
        !t.text().contains("1001"),
        "the cleared line must not run:\n{}",
        t.text()
    );
    // Ctrl-C in the middle of a block drops the whole block.
    t.line("for i in range(3):");
    t.send("\x03");
    t.line("i");
    t.expect("is not defined");
    t.ctrl_d_exits_zero();
}

#[test]
fn a_second_ctrl_c_during_an_op_exits_130() {
    let dir = temp_dir("twice");
    let mut t = Pty::spawn(&dir, &[], false);
    // A product of 5·10^11 multiply-adds: seconds even on a fast machine (4000³ once
    // finished within the 300 ms on an AVX-512 machine, before the first Ctrl-C).
    t.line("x = ones(8000, 8000) @ ones(8000, 8000)");
    std::thread::sleep(Duration::from_millis(300));
    t.send("\x03");
    t.send("\x03");
    let status = t.wait_exit();
    assert_eq!(status.code(), Some(130), "{status:?}: {}", t.text());
}

#[test]
fn tab_completes_variables_and_properties() {
    let dir = temp_dir("tab");
    let mut t = Pty::spawn(&dir, &[], false);
    t.line("learning_rate = 0.25");
    t.line("Weights = ones(2, 3)");
    t.send("learn\t");
    t.line("");
    t.expect("0.25");
    t.send("Weights.sha\t");
    t.line("");
    t.expect("[2, 3]");
    t.ctrl_d_exits_zero();
}

#[test]
fn hints_and_colours_reach_the_terminal() {
    let dir = temp_dir("colour");
    let mut t = Pty::spawn(&dir, &[], true);
    t.send("sum(");
    t.expect("x, axis=None, keepdim=False)");
    assert!(
        t.text().contains("\x1b[34msum"),
        "the builtin is coloured: {:?}",
        t.text()
    );
    t.send("\x03");
    t.line("x = 42");
    // Waited for, not read at once: on a loaded machine the echo comes late.
    t.expect_raw("\x1b[36m42");
    t.ctrl_d_exits_zero();
}

#[test]
fn a_pasted_block_runs_as_one_input() {
    let dir = temp_dir("paste");
    let mut t = Pty::spawn(&dir, &[], false);
    t.send("\x1b[200~for i in range(3):\r    print('pasted', i * 7)\r\x1b[201~");
    t.line("");
    t.expect("pasted 14");
    t.ctrl_d_exits_zero();
}

#[test]
fn history_goes_to_tsr_history_and_comes_back() {
    let dir = temp_dir("history");
    std::fs::write(dir.join("setup.tsr"), "remembered = 8\n").unwrap();
    let mut t = Pty::spawn(&dir, &[], false);
    t.line("remembered = 41 + 1");
    t.line("for i in range(2):");
    t.line("print('again', i + remembered)");
    t.line("");
    t.expect("again 43");
    t.ctrl_d_exits_zero();
    drop(t);
    let saved = std::fs::read_to_string(dir.join("history")).unwrap();
    assert!(saved.contains("remembered = 41 + 1"), "{saved}");
    let mut t = Pty::spawn(&dir, &["-i", "setup.tsr"], false);
    // Up recalls the whole block as one entry; Enter closes it, as when it was typed.
    t.mark = t.output.lock().unwrap().len();
    t.send("\x1b[A");
    t.expect("print('again', i + remembered)");
    t.line("");
    t.line("");
    t.expect("again 9");
    t.ctrl_d_exits_zero();
    assert_eq!(
        std::fs::read_dir(dir.join("home")).unwrap().count(),
        0,
        "nothing may be written to $HOME"
    );
    assert!(
        !dir.join("state").exists(),
        "TSR_HISTORY overrides XDG_STATE_HOME"
    );
}

#[test]
fn dash_i_runs_the_file_then_opens_the_repl() {
    let dir = temp_dir("dash-i");
    std::fs::write(dir.join("setup.tsr"), "w = 3\nprint('setup done')\n").unwrap();
    let mut t = Pty::spawn(&dir, &["-i", "setup.tsr"], false);
    assert!(t.text().contains("setup done"));
    t.line("w * 2");
    t.expect("6");
    t.line(":quit");
    assert_eq!(t.wait_exit().code(), Some(0));
}

#[test]
fn tsr_run_exits_on_ctrl_c() {
    let dir = temp_dir("run");
    std::fs::write(dir.join("spin.tsr"), "while True:\n    pass\n").unwrap();
    let child = Command::new(env!("CARGO_BIN_EXE_tsr"))
        .args(["run", "spin.tsr"])
        .current_dir(&*dir)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    std::thread::sleep(Duration::from_millis(300));
    // SAFETY: signals the child this test started.
    unsafe {
        sys::kill(child.id() as i32, sys::SIGINT);
    }
    let status = child.wait_with_output().unwrap().status;
    assert!(
        status.signal() == Some(sys::SIGINT) || status.code() == Some(130),
        "{status:?}"
    );
}

#[test]
fn lines_typed_ahead_of_the_prompt_are_kept() {
    let dir = temp_dir("typeahead");
    let mut t = Pty::spawn(&dir, &[], false);
    // One write: every line arrives before the REPL has shown the next prompt.
    t.send("def twice(v):\r    return v * 2\r\rtwice(21)\r");
    t.expect("42");
    t.ctrl_d_exits_zero();
}

#[test]
fn colon_test_runs_and_blesses_like_tsr_test() {
    let dir = temp_dir("colon-test");
    std::fs::write(dir.join("t.tsr"), "1 + 1\n#> 3\n").unwrap();
    let mut t = Pty::spawn(&dir, &[], false);
    t.line(":test t.tsr");
    t.expect("t.tsr:1: output differs");
    t.expect("0 passed, 1 failed");
    t.line(":test --bless t.tsr");
    t.expect("1 passed, 0 failed");
    assert_eq!(
        std::fs::read_to_string(dir.join("t.tsr")).unwrap(),
        "1 + 1\n#> 2\n"
    );
    t.line(":test");
    t.expect("PASS  t.tsr");
    t.expect("1 passed, 0 failed");
    t.ctrl_d_exits_zero();
}
