//! Golden tests: every `examples/*.tsr` and every `tests/cases/**/*.tsr` runs in-process
//! and its stdout, rendered diagnostics (fixed, colourless, 80 columns) and exit status
//! are compared with the expected file kept in the repo. Cases under an `errors` folder
//! must end in a diagnostic; all others must succeed. `UPDATE_EXPECT=1` rewrites the
//! expected files after a deliberate change.

mod common;

use std::path::{Path, PathBuf};

/// Where the expected output of a case lives: beside it for tests, under
/// `tests/examples/` for the examples.
fn expected_path(root: &Path, case: &Path) -> PathBuf {
    if case.starts_with(root.join("examples")) {
        root.join("tests/examples")
            .join(case.file_name().unwrap())
            .with_extension("out")
    } else {
        case.with_extension("out")
    }
}

#[test]
fn golden_cases() {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let mut cases = Vec::new();
    common::collect(&root.join("examples"), &mut cases);
    common::collect(&root.join("tests/cases"), &mut cases);
    assert!(
        cases.len() > 10,
        "expected golden cases, found {}",
        cases.len()
    );
    let update = std::env::var_os("UPDATE_EXPECT").is_some();
    let mut failures = Vec::new();
    for case in &cases {
        let rel = case
            .strip_prefix(&root)
            .unwrap()
            .to_string_lossy()
            .replace('\\', "/");
        let text = std::fs::read_to_string(case).unwrap();
        // An example runs from its own folder, as `tsr test examples` runs it (its data
        // paths are relative to it); a case runs from the package root.
        let cwd = if case.starts_with(root.join("examples")) {
            case.parent().unwrap().to_path_buf()
        } else {
            root.clone()
        };
        let run = common::run_case(&rel, &text, &cwd);
        let is_error_case = rel.split('/').any(|part| part == "errors");
        if run.panicked {
            failures.push(format!("{rel}: PANIC\n{}", run.stderr));
            continue;
        }
        if is_error_case && (run.exit == 0 || run.stderr.trim().is_empty()) {
            failures.push(format!(
                "{rel}: an error case must end in a diagnostic (exit {})",
                run.exit
            ));
        }
        if !is_error_case && run.exit != 0 {
            failures.push(format!("{rel}: exit {}\n{}", run.exit, run.stderr));
        }
        let expect_file = case.with_extension("expect");
        if let Ok(expect) = std::fs::read_to_string(&expect_file) {
            if let Err(msg) = common::numbers_match(&run.stdout, &expect) {
                failures.push(format!("{rel}: differs from the PyTorch reference: {msg}"));
            }
        }
        let actual = run.snapshot();
        let expected_file = expected_path(&root, case);
        if update {
            std::fs::create_dir_all(expected_file.parent().unwrap()).unwrap();
            std::fs::write(&expected_file, &actual).unwrap();
            continue;
        }
        match std::fs::read_to_string(&expected_file) {
            Ok(expected) if expected == actual => {}
            Ok(expected) => failures.push(format!(
                "{rel}: output differs\n{}",
                common::diff(&expected, &actual)
            )),
            Err(_) => failures.push(format!(
                "{rel}: no expected file {} (run with UPDATE_EXPECT=1)",
                expected_file.display()
            )),
        }
    }
    eprintln!("golden: {} cases", cases.len());
    if !failures.is_empty() {
        panic!(
            "{} of {} golden cases failed:\n\n{}",
            failures.len(),
            cases.len(),
            failures.join("\n\n")
        );
    }
}
