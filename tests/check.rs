//! `tsr check`: golden cases (`tests/check/*.tsr` against `.out`: the `--shapes`
//! listing, the rendered diagnostics, the exit status), a clean check of every example
//! and passing case (no false alarms), the catch rate over the error suite
//! (`tests/check/catch_rate.txt`), and the time to check a 1,000-line script.
//! `UPDATE_EXPECT=1` rewrites the expected files.

mod common;

use std::path::{Path, PathBuf};
use tsr::check::{check_errors, check_source, CheckReport};
use tsr::diagnostic::{render, RenderStyle, Severity};

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn rel(p: &Path) -> String {
    p.strip_prefix(root())
        .unwrap()
        .to_string_lossy()
        .replace('\\', "/")
}

/// Check a file as the command line would: an example from its own folder, a case from
/// the package root (data paths are relative to these).
fn check_file(p: &Path) -> CheckReport {
    let text = std::fs::read_to_string(p).unwrap();
    let name = rel(p);
    let dir = if name.starts_with("examples/") {
        p.parent().unwrap().to_path_buf()
    } else {
        root()
    };
    tsr::data::set_base_dir(Some(dir));
    check_source(&name, &text)
}

fn snapshot(report: &CheckReport) -> String {
    let mut s = report.shapes_text();
    s.push_str("--- diagnostics\n");
    for d in &report.diagnostics {
        s.push_str(&render(d, RenderStyle::TEST));
    }
    s.push_str(&format!("--- exit {}\n", u8::from(report.has_errors())));
    s
}

fn update() -> bool {
    std::env::var_os("UPDATE_EXPECT").is_some()
}

fn error_codes(report: &CheckReport) -> Vec<&'static str> {
    report
        .diagnostics
        .iter()
        .filter(|d| d.severity == Severity::Error)
        .map(|d| d.code)
        .collect()
}

#[test]
fn golden_check_cases() {
    let mut cases = Vec::new();
    common::collect(&root().join("tests/check"), &mut cases);
    assert!(
        cases.len() >= 8,
        "expected check cases, found {}",
        cases.len()
    );
    let mut failures = Vec::new();
    for case in &cases {
        let report = check_file(case);
        let actual = snapshot(&report);
        // Without the `--shapes` listing the check finds the same things.
        let text = std::fs::read_to_string(case).unwrap();
        let quick = check_errors(&rel(case), &text);
        let rendered = |r: &CheckReport| {
            r.diagnostics
                .iter()
                .map(|d| render(d, RenderStyle::TEST))
                .collect::<String>()
        };
        if !quick.shapes.is_empty() || rendered(&quick) != rendered(&report) {
            failures.push(format!(
                "{}: check_errors differs from check_source",
                rel(case)
            ));
        }
        let expected_file = case.with_extension("out");
        if update() {
            std::fs::write(&expected_file, &actual).unwrap();
            continue;
        }
        match std::fs::read_to_string(&expected_file) {
            Ok(expected) if expected == actual => {}
            Ok(expected) => failures.push(format!(
                "{}: output differs\n--- expected\n{expected}\n--- actual\n{actual}",
                rel(case)
            )),
            Err(_) => failures.push(format!(
                "{}: no expected file (run with UPDATE_EXPECT=1)",
                rel(case)
            )),
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}

/// The exit status recorded in a golden `.out` file of the run.
fn recorded_exit(case: &Path) -> Option<i32> {
    let out = std::fs::read_to_string(case.with_extension("out"))
        .or_else(|_| {
            std::fs::read_to_string(
                root()
                    .join("tests/examples")
                    .join(case.file_name().unwrap())
                    .with_extension("out"),
            )
        })
        .ok()?;
    out.lines()
        .rev()
        .find_map(|l| l.strip_prefix("--- exit "))
        .and_then(|n| n.trim().parse().ok())
}

#[test]
fn no_false_alarms_on_examples_and_passing_cases() {
    let mut cases = Vec::new();
    common::collect(&root().join("examples"), &mut cases);
    common::collect(&root().join("tests/cases"), &mut cases);
    let mut alarms = Vec::new();
    let mut checked = 0;
    for case in &cases {
        let name = rel(case);
        let is_example = name.starts_with("examples/");
        if name.split('/').any(|part| part == "errors") {
            continue;
        }
        // A case that does not run cleanly today (a builtin still missing) is skipped.
        if !is_example && recorded_exit(case) != Some(0) {
            continue;
        }
        checked += 1;
        let report = check_file(case);
        if report.has_errors() {
            let shown: String = report
                .diagnostics
                .iter()
                .filter(|d| d.severity == Severity::Error)
                .map(|d| render(d, RenderStyle::TEST))
                .collect();
            alarms.push(format!(
                "{name}: check reports an error but the program runs cleanly\n{shown}"
            ));
        }
    }
    assert!(checked > 50, "expected passing cases, found {checked}");
    assert!(alarms.is_empty(), "{}", alarms.join("\n\n"));
}

/// The code of the error a run of an error case ends with, from its golden file.
fn runtime_code(case: &Path) -> Option<String> {
    let out = std::fs::read_to_string(case.with_extension("out")).ok()?;
    let lines: Vec<&str> = out.split("--- stderr\n").nth(1)?.lines().collect();
    let is_code = |l: &str| !l.is_empty() && l.contains("::") && !l.contains(' ');
    let mut code = None;
    for (i, l) in lines.iter().enumerate() {
        if is_code(l)
            && lines
                .get(i + 2)
                .map(|n| n.trim_start().starts_with('×'))
                .unwrap_or(false)
        {
            code = Some(l.to_string());
        }
    }
    code
}

#[test]
fn catch_rate_over_the_error_suite() {
    let mut cases = Vec::new();
    common::collect(&root().join("tests/cases/errors"), &mut cases);
    let mut rows = Vec::new();
    let (mut caught, mut total) = (0, 0);
    for case in &cases {
        let Some(code) = runtime_code(case) else {
            continue;
        };
        total += 1;
        let report = check_file(case);
        let found = error_codes(&report);
        let verdict = if found.contains(&code.as_str()) {
            caught += 1;
            "caught".to_string()
        } else if found.is_empty() {
            "missed".to_string()
        } else {
            format!("other: {}", found.join(", "))
        };
        let name = case.file_stem().unwrap().to_string_lossy().to_string();
        rows.push(format!("{name:<45} {code:<24} {verdict}"));
    }
    let mut table = format!("# `tsr check` on tests/cases/errors: the run's error, and what check found before running\n# caught {caught} of {total}\n");
    for r in &rows {
        table.push_str(r);
        table.push('\n');
    }
    let file = root().join("tests/check/catch_rate.txt");
    if update() {
        std::fs::write(&file, &table).unwrap();
    } else {
        let expected = std::fs::read_to_string(&file).unwrap_or_default();
        assert_eq!(
            expected, table,
            "the catch rate changed: review and run with UPDATE_EXPECT=1"
        );
    }
    assert!(
        total > 50 && caught * 10 >= total * 7,
        "check catches only {caught} of {total} error cases"
    );
}

/// A generated 1,000-line training script.
fn generated_script() -> String {
    let mut s = String::from("seed(0)\nX = randn(64, 16)\ny = randn(64, 1)\n");
    let mut lines = 3;
    let mut k = 0;
    while lines < 1000 {
        s.push_str(&format!(
            "W{k} = randn(16, 16)\nb{k} = zeros(16)\ndef layer{k}(x):\n    return relu(x @ W{k} + b{k})\nh{k} = detach(layer{k}(X))\nfor step in range(200):\n    out = h{k} @ W{k}.T\n    loss = mean((out[:, 0:1] - y) ** 2)\n    backward(loss)\n    W{k} -= 0.01 * grad(W{k})\n    if step % 50 == 0:\n        print(step, item(loss))\nz{k} = cat([h{k}, h{k}], axis=1).reshape(64, 2, 16).sum(axis=1)\n"
        ));
        lines += 13;
        k += 1;
    }
    s
}

/// The check's work on a long script is bounded by what it simulates, not timed (a timed
/// test fails on a loaded machine): 1,000 lines with 200-step loops cost a few
/// thousand simulated statements, because a loop is followed until its state settles.
#[test]
fn checks_a_thousand_lines_with_bounded_work() {
    let text = generated_script();
    assert!(text.lines().count() >= 1000);
    let report = check_source("generated.tsr", &text);
    assert!(
        !report.has_errors(),
        "{}",
        report
            .diagnostics
            .iter()
            .map(|d| render(d, RenderStyle::TEST))
            .collect::<String>()
    );
    eprintln!(
        "checked {} lines in {} simulated steps",
        text.lines().count(),
        report.steps
    );
    assert!(
        report.steps < 20_000,
        "checking 1,000 lines simulated {} steps",
        report.steps
    );
}
