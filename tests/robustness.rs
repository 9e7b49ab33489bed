//! Whatever the bytes of a script, tsr ends with output and/or diagnostics — never a
//! panic or a hang. Every case file is cut at many byte offsets and edited at random
//! positions (a fixed-seed generator), and each variant must run to an outcome.

mod common;

use std::path::{Path, PathBuf};
use std::time::Duration;

fn cases(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for e in entries.filter_map(|e| e.ok()) {
        let p = e.path();
        if p.is_dir() {
            cases(&p, out);
        } else if p.extension().map(|x| x == "tsr").unwrap_or(false) {
            out.push(p);
        }
    }
}

/// xorshift64*: a fixed, dependency-free generator so the variants are the same each run.
struct Gen(u64);

impl Gen {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545F4914F6CDD1D)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
}

const INTERESTING: &[&[u8]] = &[
    b"(", b")", b"[", b"]", b":", b"\n", b"\t", b"    ", b"@", b"**", b"-1", b"1e308", b"\"",
    b"\xff", b"def ", b"for ", b".T", b",", b"=", b"0",
];

#[test]
fn cut_and_edited_programs_never_panic() {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let mut files = Vec::new();
    cases(&root.join("tests/cases"), &mut files);
    cases(&root.join("examples"), &mut files);
    files.sort();
    assert!(!files.is_empty());
    let mut gen = Gen(0x9E3779B97F4A7C15);
    let mut variants = 0;
    let mut panics = Vec::new();
    for f in &files {
        let bytes = std::fs::read(f).unwrap();
        let mut programs: Vec<Vec<u8>> = Vec::new();
        // Cuts at evenly spaced offsets.
        let cuts = 8.min(bytes.len());
        for k in 1..=cuts {
            programs.push(bytes[..bytes.len() * k / (cuts + 1)].to_vec());
        }
        // Random edits: replace, insert or delete a few bytes.
        for _ in 0..8 {
            let mut b = bytes.clone();
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
            programs.push(b);
        }
        for p in programs {
            let text = String::from_utf8_lossy(&p).into_owned();
            let run =
                common::run_with_limit("fuzz.tsr", &text, &root, Some(Duration::from_millis(300)));
            variants += 1;
            if run.panicked {
                panics.push(format!(
                    "{}: variant panicked: {}\n--- program ---\n{}",
                    f.display(),
                    run.stderr,
                    text
                ));
            }
        }
    }
    eprintln!("robustness: {variants} variants of {} files", files.len());
    assert!(
        panics.is_empty(),
        "{} of {variants} variants panicked:\n{}",
        panics.len(),
        panics.join("\n\n")
    );
}
