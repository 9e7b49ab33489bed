//! Whatever the bytes of a script, tsr ends with output and/or diagnostics — never a
//! panic or a hang. Every case file is cut at many byte offsets and edited at random
//! positions (a fixed-seed generator), and each variant must run to an outcome.

mod common;

use std::path::PathBuf;
use std::time::Duration;

#[test]
fn cut_and_edited_programs_never_panic() {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let mut files = Vec::new();
    common::collect(&root.join("tests/cases"), &mut files);
    common::collect(&root.join("examples"), &mut files);
    files.sort();
    assert!(!files.is_empty());
    let mut gen = common::Gen(0x9E3779B97F4A7C15);
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
            programs.push(common::edit_bytes(&bytes, &mut gen));
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
