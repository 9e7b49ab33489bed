//! `tsr test` itself: the binary runs on copies of the fixture folders under
//! `tests/tsr_test/` (passing files, each kind of mismatch, a timeout, files to bless) and
//! its report and exit status are compared with `tests/tsr_test/NAME.txt`; `--bless` round
//! trips are checked byte for byte against `tests/tsr_test/bless.after/`; bad usage exits
//! with 2; `tsr test examples` passes. `UPDATE_EXPECT=1` rewrites the expected files.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn fixtures() -> PathBuf {
    root().join("tests/tsr_test")
}

fn update() -> bool {
    std::env::var_os("UPDATE_EXPECT").is_some()
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), &target).unwrap();
        }
    }
}

/// A fresh copy of the fixture folder `name` in a scratch folder of this test.
fn scratch(name: &str, test: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("tsr-test-{}-{test}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    copy_dir(&fixtures().join(name), &dir);
    dir
}

/// Every file below `dir` with its bytes, by path relative to `dir`.
fn snapshot(dir: &Path) -> Vec<(String, Vec<u8>)> {
    fn walk(base: &Path, dir: &Path, out: &mut Vec<(String, Vec<u8>)>) {
        let mut entries: Vec<_> = std::fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().path())
            .collect();
        entries.sort();
        for p in entries {
            if p.is_dir() {
                walk(base, &p, out);
            } else {
                let rel = p
                    .strip_prefix(base)
                    .unwrap()
                    .to_string_lossy()
                    .replace('\\', "/");
                out.push((rel, std::fs::read(&p).unwrap()));
            }
        }
    }
    let mut out = Vec::new();
    walk(dir, dir, &mut out);
    out
}

struct Run {
    stdout: String,
    stderr: String,
    code: i32,
}

impl Run {
    fn transcript(&self) -> String {
        format!("{}--- exit {}\n", self.stdout, self.code)
    }
}

fn tsr(dir: &Path, args: &[&str]) -> Run {
    let out = Command::new(env!("CARGO_BIN_EXE_tsr"))
        .args(args)
        .current_dir(dir)
        .env("NO_COLOR", "1")
        .output()
        .unwrap();
    Run {
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        code: out.status.code().unwrap_or(-1),
    }
}

/// Compare `actual` with `tests/tsr_test/NAME.txt` (or write it under `UPDATE_EXPECT`).
fn expect(name: &str, actual: &str) {
    let path = fixtures().join(format!("{name}.txt"));
    if update() {
        std::fs::write(&path, actual).unwrap();
        return;
    }
    let expected = std::fs::read_to_string(&path)
        .unwrap_or_else(|_| panic!("no {} (run with UPDATE_EXPECT=1)", path.display()));
    assert!(
        expected == actual,
        "{name}: the report differs from {}\n--- expected\n{expected}\n--- actual\n{actual}",
        path.display()
    );
}

fn last_line(text: &str) -> &str {
    text.lines().last().unwrap_or("")
}

#[test]
fn passing_files_pass_and_bless_changes_nothing() {
    let dir = scratch("pass", "pass");
    let before = snapshot(&dir);
    let run = tsr(&dir, &["test"]);
    expect("pass", &run.transcript());
    assert_eq!(run.code, 0, "{}", run.stdout);
    assert_eq!(last_line(&run.stdout), "6 passed, 0 failed");
    assert!(run.stderr.is_empty(), "{}", run.stderr);
    let bless = tsr(&dir, &["test", "--bless"]);
    assert_eq!(
        bless.stdout, run.stdout,
        "blessing passing files reports no change"
    );
    assert!(
        snapshot(&dir) == before,
        "blessing passing files changed a byte"
    );
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn each_kind_of_mismatch_is_reported() {
    let dir = scratch("mismatch", "mismatch");
    let run = tsr(&dir, &["test"]);
    expect("mismatch", &run.transcript());
    assert_eq!(run.code, 1);
    assert_eq!(last_line(&run.stdout), "0 passed, 7 failed");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn selection_and_explicit_files() {
    let dir = scratch("mismatch", "select");
    let run = tsr(&dir, &["test", "-k", "numbers", "-k", "wildcard"]);
    expect("select", &run.transcript());
    assert_eq!(last_line(&run.stdout), "0 passed, 2 failed, 5 skipped");
    let _ = std::fs::remove_dir_all(&dir);
    let dir = scratch("pass", "explicit");
    let run = tsr(&dir, &["test", "no_tests_here.tsr", "./sub/", "basics.tsr"]);
    expect("explicit", &run.transcript());
    assert_eq!(run.code, 0);
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn a_file_that_runs_too_long_fails_and_says_so() {
    let dir = scratch("timeout", "timeout");
    let start = Instant::now();
    let run = tsr(&dir, &["test", "--timeout", "2"]);
    assert!(
        start.elapsed() < Duration::from_secs(30),
        "the timeout did not stop the run"
    );
    expect("timeout", &run.transcript());
    assert_eq!(run.code, 1);
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn bless_round_trip() {
    let dir = scratch("bless", "bless");
    let first = tsr(&dir, &["test"]);
    assert_eq!(
        first.code, 1,
        "the bless fixtures must fail before blessing"
    );
    let bless = tsr(&dir, &["test", "--bless"]);
    expect("bless", &bless.transcript());
    assert_eq!(bless.code, 0);
    // The blessed files, byte for byte.
    let after = fixtures().join("bless.after");
    let blessed = snapshot(&dir);
    if update() {
        let _ = std::fs::remove_dir_all(&after);
        copy_dir(&dir, &after);
    } else {
        assert!(
            snapshot(&after) == blessed,
            "the blessed files differ from {}",
            after.display()
        );
    }
    let again = tsr(&dir, &["test"]);
    assert_eq!(again.code, 0, "blessed files must pass:\n{}", again.stdout);
    let twice = tsr(&dir, &["test", "--bless"]);
    assert_eq!(twice.code, 0);
    assert!(!twice.stdout.contains("BLESS"), "{}", twice.stdout);
    assert!(snapshot(&dir) == blessed, "blessing again changed a byte");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn bless_leaves_what_it_cannot_fix() {
    let dir = scratch("mismatch", "bless-partial");
    let before = snapshot(&dir);
    let bless = tsr(&dir, &["test", "--bless"]);
    expect("bless_partial", &bless.transcript());
    assert_eq!(bless.code, 1);
    let after = snapshot(&dir);
    for name in ["stray.tsr", "syntax.tsr"] {
        let find = |s: &[(String, Vec<u8>)]| s.iter().find(|(n, _)| n == name).cloned();
        assert_eq!(find(&before), find(&after), "{name} must be left as it was");
    }
    let again = tsr(&dir, &["test"]);
    assert_eq!(last_line(&again.stdout), "5 passed, 2 failed");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn bad_usage_exits_with_2() {
    let dir = fixtures().join("pass");
    for args in [
        &["test", "--timeout", "soon"][..],
        &["test", "--timeout", "0"],
        &["test", "--atol", "-1"],
        &["test", "--rtol", "x"],
        &["test", "--jobs", "0"],
        &["test", "--no-such-flag"],
        &["test", "no/such/folder"],
        &["basics.tsr", "test"],
    ] {
        let run = tsr(&dir, args);
        assert_eq!(run.code, 2, "{args:?}: {}{}", run.stdout, run.stderr);
        assert!(run.stdout.is_empty(), "{args:?}: {}", run.stdout);
        assert!(run.stderr.contains("error"), "{args:?}: {}", run.stderr);
    }
    let run = tsr(&dir, &["test", "no/such/folder"]);
    assert_eq!(
        run.stderr,
        "error: cannot read `no/such/folder`: no such file or folder\n"
    );
}

#[test]
fn the_examples_pass() {
    let run = tsr(&root(), &["test", "examples"]);
    assert_eq!(run.code, 0, "{}{}", run.stdout, run.stderr);
    let last = last_line(&run.stdout);
    let passed: usize = last
        .strip_suffix(" passed, 0 failed")
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("closing line: {last}"));
    assert!(passed >= 4, "{}", run.stdout);
}
