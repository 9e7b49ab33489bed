//! A killed `save` never destroys the file it replaces: the binary saves two different
//! 4 MB tensors over one existing `.npy` in a loop and is killed (SIGKILL) at varied
//! moments, many times; after every kill the file is byte for byte one of the two
//! complete files.

#![cfg(unix)]

use std::io::BufRead;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Duration;

fn scratch() -> PathBuf {
    let d = std::env::temp_dir().join(format!("tsr-kill-save-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

fn run_script(dir: &Path, text: &str) -> std::process::Child {
    let script = dir.join("script.tsr");
    std::fs::write(&script, text).unwrap();
    Command::new(env!("CARGO_BIN_EXE_tsr"))
        .arg("run")
        .arg(&script)
        .current_dir(dir)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap()
}

fn temporaries(dir: &Path) -> Vec<PathBuf> {
    std::fs::read_dir(dir)
        .unwrap()
        .filter_map(|e| e.ok())
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == "tmp"))
        .collect()
}

#[test]
fn killed_saves_leave_the_old_file_or_the_new_one_whole() {
    let dir = scratch();
    let make = "a = zeros(1024, 1024)\nb = ones(1024, 1024)\n";
    // The two complete files, and the existing file the loop saves over.
    let status = run_script(
        &dir,
        &format!("{make}save(a, \"a.npy\")\nsave(b, \"b.npy\")\nsave(a, \"target.npy\")\n"),
    )
    .wait()
    .unwrap();
    assert!(status.success());
    let a = std::fs::read(dir.join("a.npy")).unwrap();
    let b = std::fs::read(dir.join("b.npy")).unwrap();
    assert!(a.len() > 4 << 20 && a != b);

    let looping = format!(
        "{make}print(\"ready\")\nwhile True:\n    save(b, \"target.npy\")\n    save(a, \"target.npy\")\n"
    );
    let mut seed: u64 = 0x2545F4914F6CDD1D;
    let (mut kills, mut mid_write, mut saw_a, mut saw_b) = (0, 0, 0, 0);
    for _ in 0..40 {
        let mut child = run_script(&dir, &looping);
        let mut line = String::new();
        std::io::BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut line)
            .unwrap();
        assert_eq!(line, "ready\n");
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        std::thread::sleep(Duration::from_micros(seed % 300_000));
        child.kill().unwrap();
        child.wait().unwrap();
        kills += 1;
        let now = std::fs::read(dir.join("target.npy")).unwrap();
        assert!(
            now == a || now == b,
            "after kill {kills} the file is neither whole file ({} bytes)",
            now.len()
        );
        if now == a {
            saw_a += 1;
        } else {
            saw_b += 1;
        }
        // A kill in the middle of a write leaves its temporary file (never the target).
        let tmps = temporaries(&dir);
        if !tmps.is_empty() {
            mid_write += 1;
        }
        for t in tmps {
            std::fs::remove_file(t).unwrap();
        }
    }
    eprintln!("{kills} kills: {mid_write} in the middle of a write; the file was the first tensor {saw_a} times, the second {saw_b} times");
    assert!(mid_write > 0, "no kill landed in the middle of a write");
    let _ = std::fs::remove_dir_all(&dir);
}
