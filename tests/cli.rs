//! The `tsr` binary itself: subcommands, standard input, exit codes and streams.

use std::io::Write;
use std::process::{Command, Stdio};

fn tsr() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_tsr"));
    c.env("NO_COLOR", "1").env_remove("RUST_BACKTRACE");
    c
}

fn run_with_stdin(args: &[&str], input: &str) -> (i32, String, String) {
    let mut child = tsr()
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(input.as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn temp_script(name: &str, text: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("tsr-cli-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let p = dir.join(name);
    std::fs::write(&p, text).unwrap();
    p
}

#[test]
fn run_file_prints_and_exits_zero() {
    let p = temp_script("ok.tsr", "x = tensor([1, 2])\nprint(x * 2)\nx.sum()\n");
    let out = tsr().arg("run").arg(&p).output().unwrap();
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        "tensor([2., 4.])\ntensor(3.)\n"
    );
    assert!(out.stderr.is_empty());
}

#[test]
fn bare_file_argument_runs_it() {
    let p = temp_script("bare.tsr", "print(1 + 1)\n");
    let out = tsr().arg(&p).output().unwrap();
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(String::from_utf8_lossy(&out.stdout), "2\n");
}

#[test]
fn dash_reads_standard_input() {
    let (code, out, _) = run_with_stdin(&["run", "-"], "print('from stdin')\n");
    assert_eq!(code, 0);
    assert_eq!(out, "from stdin\n");
}

#[test]
fn non_terminal_stdin_without_arguments_is_a_script() {
    let (code, out, _) = run_with_stdin(&[], "1 + 2\n");
    assert_eq!(code, 0);
    assert_eq!(out, "3\n");
}

#[test]
fn runtime_error_exits_one_and_keeps_earlier_output() {
    let (code, out, err) = run_with_stdin(
        &["run", "-"],
        "print('before')\nx = ones(2, 3) @ ones(2, 3)\nprint('after')\n",
    );
    assert_eq!(code, 1);
    assert_eq!(out, "before\n");
    assert!(err.contains("shape::matmul"), "{err}");
    assert!(err.contains("[2, 3]"), "{err}");
}

#[test]
fn syntax_error_runs_nothing_and_exits_one() {
    let (code, out, err) = run_with_stdin(&["run", "-"], "print('never')\nx = (1 +\n");
    assert_eq!(code, 1);
    assert_eq!(out, "");
    assert!(err.contains("syntax::"), "{err}");
}

#[test]
fn bad_command_line_use_exits_two() {
    let out = tsr().arg("--no-such-flag").output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    let out = tsr().args(["run", "/no/such/file.tsr"]).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("no such file"));
    let out = tsr().args(["run", "a.tsr", "b.tsr"]).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn version_and_help() {
    let out = tsr().arg("--version").output().unwrap();
    assert_eq!(out.status.code(), Some(0));
    assert!(String::from_utf8_lossy(&out.stdout).starts_with("tsr "));
    let out = tsr().arg("--help").output().unwrap();
    assert_eq!(out.status.code(), Some(0));
    let help = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        help.contains("run") && help.contains("--max-memory"),
        "{help}"
    );
}

#[test]
fn max_memory_limits_tensor_size() {
    let (code, _, err) = run_with_stdin(
        &["--max-memory", "1M", "run", "-"],
        "x = zeros(1000, 1000)\n",
    );
    assert_eq!(code, 1);
    assert!(err.contains("limit::memory"), "{err}");
    let (code, _, _) = run_with_stdin(&["--max-memory", "1M", "run", "-"], "x = zeros(100, 100)\n");
    assert_eq!(code, 0);
}

#[test]
fn invalid_utf8_is_not_a_crash() {
    let p = temp_script("bytes.tsr", "");
    std::fs::write(&p, b"x = 1\n\xff\xfe = 2\nprint(x)\n").unwrap();
    let out = tsr().arg("run").arg(&p).output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(!String::from_utf8_lossy(&out.stderr).contains("panicked"));
}

#[test]
fn deep_recursion_is_a_diagnostic() {
    let (code, out, err) = run_with_stdin(
        &["run", "-"],
        "print('started')\ndef f(n):\n    return f(n + 1)\nf(0)\n",
    );
    assert_eq!(code, 1);
    assert_eq!(out, "started\n");
    assert!(err.contains("limit::recursion"), "{err}");
}

/// Ctrl-C during `tsr run`: the script stops at the next loop iteration with a diagnostic
/// naming the line and the iteration, and the exit status is 130.
#[cfg(unix)]
#[test]
fn sigint_stops_a_running_script_with_130() {
    use std::io::BufRead;
    let p = temp_script("spin.tsr", "print(\"started\")\nwhile True: pass\n");
    let mut child = tsr()
        .arg("run")
        .arg(&p)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // Wait until the script runs (its first line is printed and flushed).
    let mut first = String::new();
    std::io::BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut first)
        .unwrap();
    assert_eq!(first, "started\n");
    std::thread::sleep(std::time::Duration::from_millis(100));
    let killed = Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(killed.success());
    let out = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(130), "stderr: {stderr}");
    assert!(stderr.contains("interrupt"), "{stderr}");
    assert!(
        stderr.contains("iterations of this `while` loop"),
        "{stderr}"
    );
    assert!(stderr.contains("spin.tsr:2:"), "names line 2: {stderr}");
    assert!(stderr.contains("2 │ while True: pass"), "{stderr}");
}
