//! Runs every `tests/parser/*.tsr` case through `tsr::parser::parse` and compares the
//! result with the `.ast` file beside it; `UPDATE_EXPECT=1` rewrites the `.ast` files.
//!
//! A case without syntax errors expects the program's S-expression (`Program`'s
//! `Display`); a case with errors expects one `code @ line:col message` line per
//! diagnostic, in source order.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use tsr::parser::parse;

fn cases_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests")
        .join("parser")
}

fn case_files() -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(cases_dir())
        .expect("tests/parser exists")
        .map(|entry| entry.expect("readable directory entry").path())
        .filter(|path| path.extension().is_some_and(|ext| ext == "tsr"))
        .collect();
    files.sort();
    files
}

/// 1-based line and column (in characters) of byte offset `offset`.
fn line_col(src: &str, offset: usize) -> (usize, usize) {
    let mut offset = offset.min(src.len());
    while !src.is_char_boundary(offset) {
        offset -= 1;
    }
    let before = &src[..offset];
    let line = before.matches('\n').count() + 1;
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    (line, before[line_start..].chars().count() + 1)
}

fn actual(src: &str) -> String {
    let (program, diagnostics) = parse(src);
    if diagnostics.is_empty() {
        return program.to_string();
    }
    let mut out = String::new();
    for diagnostic in &diagnostics {
        let (line, col) = line_col(src, diagnostic.primary_span().map_or(0, |s| s.start));
        writeln!(
            out,
            "{} @ {line}:{col} {}",
            diagnostic.code, diagnostic.message
        )
        .expect("write to string");
    }
    out
}

#[test]
fn parser_cases() {
    let update = std::env::var_os("UPDATE_EXPECT").is_some();
    let files = case_files();
    assert!(
        files.len() >= 25,
        "expected at least 25 parser cases, found {}",
        files.len()
    );
    let mut failures = Vec::new();
    for path in &files {
        let src = std::fs::read_to_string(path).expect("readable case");
        let got = actual(&src);
        let expect_path = path.with_extension("ast");
        if update {
            std::fs::write(&expect_path, &got).expect("writable .ast file");
            continue;
        }
        let expected = std::fs::read_to_string(&expect_path).unwrap_or_default();
        if got != expected {
            failures.push(format!(
                "--- {}\nexpected:\n{expected}\nactual:\n{got}",
                path.display()
            ));
        }
    }
    assert!(
        failures.is_empty(),
        "{} case(s) differ (UPDATE_EXPECT=1 rewrites):\n{}",
        failures.len(),
        failures.join("\n")
    );
}

/// A tiny deterministic generator, so that the same edits are tried on every run.
struct XorShift(u64);

impl XorShift {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
}

#[test]
fn parse_survives_truncations_and_random_edits() {
    const SAMPLE: &str = "def f(a, b=1):\n    if a < b <= 3:\n        return -a ** 2 @ x.T\n    elif not a: pass\n    else:\n        while True: break\n    return [1, 'x\\n', (a + b)][0:2, ::-1]\nfor i in range(10):\n    W -= 0.5 * grad(W)  # step\n    x[i, :] = f(i, b=\\\n      2)\n";
    let mut samples = vec![SAMPLE.to_string()];
    for path in case_files() {
        samples.push(std::fs::read_to_string(path).expect("readable case"));
    }
    // Every truncation of the sample programs.
    for src in &samples {
        for end in (0..=src.len()).filter(|&i| src.is_char_boundary(i)) {
            let _ = parse(&src[..end]);
            let _ = tsr::parser::is_incomplete(&src[..end]);
        }
    }
    // Random byte edits: replace, insert or delete, biased to the bytes that matter.
    let interesting: &[u8] = b"()[]:,.=\n \t\"'\\#;+-*@<>!x1e\xc3\xa9\xff\x00";
    let mut rng = XorShift(0x9E37_79B9_7F4A_7C15);
    for round in 0..3000 {
        let mut bytes = samples[round % samples.len()].clone().into_bytes();
        for _ in 0..1 + rng.below(4) {
            let at = rng.below(bytes.len() + 1);
            let byte = if rng.below(4) == 0 {
                rng.next() as u8
            } else {
                interesting[rng.below(interesting.len())]
            };
            match rng.below(3) {
                0 if at < bytes.len() => bytes[at] = byte,
                1 if at < bytes.len() => {
                    bytes.remove(at);
                }
                _ => bytes.insert(at, byte),
            }
        }
        let src = String::from_utf8_lossy(&bytes);
        let (_, diagnostics) = parse(&src);
        for diagnostic in &diagnostics {
            for label in &diagnostic.labels {
                assert!(
                    label.span.start <= label.span.end && label.span.end <= src.len(),
                    "span out of range in {src:?}"
                );
                assert!(
                    src.is_char_boundary(label.span.start) && src.is_char_boundary(label.span.end),
                    "span inside a character in {src:?}"
                );
            }
        }
        let _ = tsr::parser::is_incomplete(&src);
    }
}

#[test]
fn deep_nesting_gives_one_diagnostic() {
    for src in [
        "(".repeat(100_000),
        "x = ".to_string() + &"[".repeat(100_000),
        "-".repeat(100_000) + "1",
    ] {
        let (_, diagnostics) = parse(&src);
        let codes: Vec<&str> = diagnostics.iter().map(|d| d.code).collect();
        assert_eq!(codes, ["syntax::too_deep"], "{}", &src[..10]);
    }
}
