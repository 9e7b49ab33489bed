//! The REPL loop as data: every `tests/repl/*.txt` is a transcript. Lines that start with
//! `>>> ` or `... ` are typed (`^C` is Ctrl-C at the prompt, `^D` is Ctrl-D); all other
//! lines are the expected output (stdout and stderr interleaved, diagnostics rendered at
//! 80 columns without colour), ending with `[exit N]`. A first line `# max-memory: 16M`
//! runs the transcript under that memory budget (and is kept as it is). Durations printed by `:time` are
//! masked as `<time>`. `UPDATE_EXPECT=1 cargo test --release --test repl` rewrites the
//! transcripts after a deliberate change — review the diff.
//!
//! Below the harness: completion, hints, highlighting, the validator's rule and the
//! history path, which need no terminal, and Ctrl-C during evaluation.

mod common;

use std::cell::RefCell;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::rc::Rc;
use tsr::repl::{self, Scope};
use tsr::{Session, SessionOptions};

/// One buffer that stdout, stderr and the echoed input all write to, in order.
#[derive(Clone, Default)]
struct Shared(Rc<RefCell<Vec<u8>>>);

impl Write for Shared {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.borrow_mut().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

fn session(buf: &Shared) -> Session {
    Session::new(
        Box::new(buf.clone()),
        Box::new(buf.clone()),
        SessionOptions::default(),
    )
}

/// The typed lines of a transcript.
fn inputs(transcript: &str) -> Vec<String> {
    transcript
        .lines()
        .filter_map(|l| {
            for prompt in [">>>", "..."] {
                if l == prompt {
                    return Some(String::new());
                }
                if let Some(rest) = l.strip_prefix(prompt).and_then(|r| r.strip_prefix(' ')) {
                    return Some(rest.to_string());
                }
            }
            None
        })
        .collect()
}

/// Replace `1.23 ms`-style durations with `<time>`.
fn mask_durations(text: &str) -> String {
    let words: Vec<&str> = text.split(' ').collect();
    let mut out: Vec<String> = Vec::new();
    let mut i = 0;
    while i < words.len() {
        let unit_word = words.get(i + 1).copied().unwrap_or("");
        let unit = unit_word.trim_end_matches([',', ')']);
        if words[i].parse::<f64>().is_ok() && matches!(unit, "ns" | "µs" | "ms" | "s") {
            out.push(format!("<time>{}", &unit_word[unit.len()..]));
            i += 2;
        } else {
            out.push(words[i].to_string());
            i += 1;
        }
    }
    out.join(" ")
}

fn run_transcript(header: Option<&str>, lines: Vec<String>) -> String {
    let buf = Shared::default();
    // The budget is per thread: put it back for the next transcript.
    let budget = tsr::tensor::max_tensor_bytes();
    let mut session = Session::new(
        Box::new(buf.clone()),
        Box::new(buf.clone()),
        SessionOptions {
            max_memory: header.and_then(common::max_memory_of),
            ..SessionOptions::default()
        },
    );
    if let Some(h) = header {
        buf.0
            .borrow_mut()
            .extend_from_slice(format!("{h}\n").as_bytes());
    }
    let mut source = repl::Scripted::new(lines, Box::new(buf.clone()));
    let code = repl::run_with(&mut session, &mut source);
    drop(source);
    drop(session);
    tsr::tensor::set_max_tensor_bytes(budget);
    let mut text = String::from_utf8_lossy(&buf.0.borrow()).into_owned();
    text.push_str(&format!("[exit {code}]\n"));
    text.lines()
        .map(|l| mask_durations(l.trim_end()))
        .collect::<Vec<_>>()
        .join("\n")
        + "\n"
}

fn transcript_files() -> Vec<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/repl");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "txt"))
        .collect();
    files.sort();
    files
}

#[test]
fn transcripts() {
    let update = std::env::var_os("UPDATE_EXPECT").is_some();
    let files = transcript_files();
    assert!(
        files.len() >= 8,
        "expected the REPL transcripts in tests/repl, found {}",
        files.len()
    );
    let mut failures = Vec::new();
    for path in files {
        let expected = std::fs::read_to_string(&path).unwrap();
        let header = expected
            .lines()
            .next()
            .filter(|l| l.starts_with("# max-memory:"));
        let actual = run_transcript(header, inputs(&expected));
        if actual == expected {
            continue;
        }
        if update {
            std::fs::write(&path, &actual).unwrap();
            continue;
        }
        failures.push(format!(
            "--- {}\n{}",
            path.display(),
            first_difference(&expected, &actual)
        ));
    }
    assert!(
        failures.is_empty(),
        "transcripts differ (UPDATE_EXPECT=1 rewrites them):\n{}",
        failures.join("\n")
    );
}

fn first_difference(expected: &str, actual: &str) -> String {
    let (e, a): (Vec<&str>, Vec<&str>) = (expected.lines().collect(), actual.lines().collect());
    let i = e
        .iter()
        .zip(&a)
        .position(|(x, y)| x != y)
        .unwrap_or(e.len().min(a.len()));
    format!(
        "line {}:\n  expected: {:?}\n  actual:   {:?}\nactual transcript:\n{actual}",
        i + 1,
        e.get(i).unwrap_or(&"<end>"),
        a.get(i).unwrap_or(&"<end>")
    )
}

/// The overview is not a transcript: it lists every builtin, and the table grows.
#[test]
fn help_lists_every_command_and_builtin() {
    let out = run_transcript(None, vec![":help".to_string()]);
    for command in [
        ":help", ":vars", ":load", ":reset", ":graph", ":time", ":quit",
    ] {
        assert!(
            out.contains(&format!("\n  {command}")),
            "{command} missing:\n{out}"
        );
    }
    for b in tsr::builtins::table() {
        assert!(
            out.split_whitespace().any(|w| w == b.name),
            "{} missing:\n{out}",
            b.name
        );
    }
    assert!(out.lines().all(|l| l.chars().count() <= 90), "{out}");
}

#[test]
fn the_harness_masks_durations_only() {
    assert_eq!(mask_durations("time: 1.25 ms"), "time: <time>");
    assert_eq!(
        mask_durations("time: 3.10 µs per run (mean of 10 runs), best 2.00 µs"),
        "time: <time> per run (mean of 10 runs), best <time>"
    );
    assert_eq!(
        mask_durations("tensor([1., 2.]) 3 s"),
        "tensor([1., 2.]) <time>"
    );
    assert_eq!(mask_durations("10 runs"), "10 runs");
}

// ------------------------------------------------------------------ completion

fn scope_with(src: &str) -> Scope {
    let buf = Shared::default();
    let mut s = session(&buf);
    s.run_repl_input("<setup>", src);
    Scope::of(&s.interp)
}

fn candidates(scope: &Scope, line: &str) -> (usize, Vec<String>) {
    repl::complete(scope, line, line.len())
}

#[test]
fn completes_variables_builtins_and_keywords() {
    let scope = scope_with("learning_rate = 0.1\nlearn_steps = 3\n");
    assert_eq!(
        candidates(&scope, "x = learn"),
        (
            4,
            vec!["learn_steps".to_string(), "learning_rate".to_string()]
        )
    );
    assert_eq!(candidates(&scope, "sigm").1, vec!["sigmoid"]);
    assert_eq!(candidates(&scope, "whi").1, vec!["while"]);
    assert_eq!(candidates(&scope, "Tr").1, vec!["True"]);
    assert!(candidates(&scope, "zzz").1.is_empty());
    // Nothing typed: Tab offers nothing rather than every name.
    assert!(candidates(&scope, "x = ").1.is_empty());
}

#[test]
fn completes_properties_and_functions_after_a_dot() {
    let scope = scope_with("W = ones(2, 2)\ndef norm2(t):\n    return sum(t * t)\n");
    assert_eq!(candidates(&scope, "W.sh"), (2, vec!["shape".to_string()]));
    assert_eq!(candidates(&scope, "W.nd").1, vec!["ndim"]);
    // The user's function among the builtins with the same prefix (`normal`, ...).
    assert!(candidates(&scope, "W.nor").1.contains(&"norm2".to_string()));
    assert!(!candidates(&scope, "W.nor").1.contains(&"ndim".to_string()));
    assert!(candidates(&scope, "W.").1.contains(&"T".to_string()));
    assert!(candidates(&scope, "W.").1.contains(&"grad".to_string()));
    assert!(candidates(&scope, "W.").1.contains(&"reshape".to_string()));
    // `1.` is a number being typed, not a receiver.
    assert!(candidates(&scope, "x = 1.").1.is_empty());
}

#[test]
fn completes_attributes_of_objects_modules_and_dict_keys() {
    let scope = scope_with(
        "import numpy as np\nclass Lin:\n    def __init__(self):\n        self.weight = ones(2)\n    def forward(self, x):\n        return x\n\nm = Lin()\nconfig = {\"lr\": 0.1, \"layers\": 2}\n",
    );
    assert_eq!(candidates(&scope, "m.we"), (2, vec!["weight".to_string()]));
    assert_eq!(candidates(&scope, "m.fo").1, vec!["forward"]);
    assert!(candidates(&scope, "np.").1.contains(&"dot".to_string()));
    assert_eq!(candidates(&scope, "np.conc").1, vec!["concatenate"]);
    assert_eq!(
        candidates(&scope, "config[\"l"),
        (8, vec!["layers".to_string(), "lr".to_string()])
    );
    assert_eq!(candidates(&scope, "config.it").1, vec!["items"]);
}

#[test]
fn a_class_body_reads_on_until_a_blank_line() {
    assert!(repl::needs_more("class A:"));
    assert!(repl::needs_more(
        "class A:\n    def f(self):\n        return 1"
    ));
    assert!(!repl::needs_more(
        "class A:\n    def f(self):\n        return 1\n"
    ));
}

#[test]
fn a_dedent_to_the_top_level_closes_the_block() {
    assert!(repl::needs_more("for i in range(3):\n    x = i"));
    assert!(!repl::needs_more("for i in range(3):\n    x = i\nprint(x)"));
    assert!(repl::needs_more("if x:\n    y = 1\nelse:"));
    assert!(repl::needs_more("if x:\n    y = 1\nelse"));
    assert!(repl::needs_more(
        "for i in range(3):\n    x = i\nfor j in range(2):"
    ));
}

#[test]
fn the_line_after_a_colon_starts_indented() {
    assert_eq!(repl::next_indent(""), "");
    assert_eq!(repl::next_indent("for i in range(3):"), "    ");
    assert_eq!(repl::next_indent("for i in range(3):  # loop"), "    ");
    assert_eq!(repl::next_indent("def f(x):\n    if x:"), "        ");
    assert_eq!(repl::next_indent("def f(x):\n    y = x"), "    ");
    assert_eq!(repl::next_indent("y = (1 +"), "");
}

#[test]
fn a_dot_offers_what_applies_to_the_variables_kind() {
    let scope = scope_with("W = ones(2, 2)\nlosses = [1, 2]\nname = \"a.csv\"\nopt = sgd([W])\n");
    let tensor = candidates(&scope, "W.").1;
    assert!(tensor.contains(&"relu".to_string()) && tensor.contains(&"shape".to_string()));
    assert!(!tensor.contains(&"append".to_string()) && !tensor.contains(&"zeros".to_string()));
    assert_eq!(candidates(&scope, "losses.ap").1, vec!["append"]);
    assert!(!candidates(&scope, "losses.")
        .1
        .contains(&"relu".to_string()));
    assert_eq!(candidates(&scope, "name.load_").1, vec!["load_csv"]);
    assert_eq!(candidates(&scope, "opt.st").1, vec!["step"]);
    // An expression's kind is not known: every builtin.
    assert!(candidates(&scope, "(W + 1).zer")
        .1
        .contains(&"zeros".to_string()));
}

#[test]
fn completes_commands_and_help_topics() {
    let scope = Scope::default();
    assert_eq!(candidates(&scope, ":"), (0, repl_commands()));
    assert_eq!(candidates(&scope, ":g").1, vec![":graph"]);
    assert_eq!(candidates(&scope, ":help relu").1, vec!["relu", "relu6"]);
    assert_eq!(candidates(&scope, ":help va").1, vec!["var", "vars"]);
    assert_eq!(candidates(&scope, ":graph sigm").1, vec!["sigmoid"]);
}

fn repl_commands() -> Vec<String> {
    let mut c: Vec<String> = [
        ":check", ":graph", ":help", ":load", ":quit", ":reset", ":test", ":time", ":vars",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    c.sort();
    c
}

#[test]
fn completes_file_names_inside_load_strings() {
    let dir = std::env::temp_dir().join(format!("tsr-repl-complete-{}", std::process::id()));
    std::fs::create_dir_all(dir.join("weights")).unwrap();
    std::fs::write(dir.join("train.npy"), b"").unwrap();
    std::fs::write(dir.join("test.npy"), b"").unwrap();
    let d = dir.display().to_string();
    let scope = Scope::default();
    let line = format!("X = load(\"{d}/tr");
    assert_eq!(
        candidates(&scope, &line),
        (line.len() - 2, vec!["train.npy".to_string()])
    );
    let line = format!("X = load('{d}/");
    assert_eq!(
        candidates(&scope, &line).1,
        vec!["test.npy", "train.npy", "weights/"]
    );
    let line = format!(":load {d}/w");
    assert_eq!(candidates(&scope, &line).1, vec!["weights/"]);
    // Other strings are not paths.
    let line = format!("print(\"{d}/tr");
    assert!(candidates(&scope, &line).1.is_empty());
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn tab_in_the_indentation_indents() {
    assert_eq!(
        candidates(&Scope::default(), "  "),
        (2, vec!["    ".to_string()])
    );
}

// ------------------------------------------------------------------ hints

#[test]
fn hints_show_the_signature_after_an_open_call() {
    let scope = scope_with("def step_fn(w, lr=0.5):\n    return w - lr\n");
    let hint = |line: &str| repl::hint(&scope, line, line.len());
    assert_eq!(
        hint("sum(").as_deref(),
        Some("x, axis=None, keepdim=False)")
    );
    assert_eq!(
        hint("y = sum(X, ").as_deref(),
        Some("  # sum(x, axis=None, keepdim=False)")
    );
    assert_eq!(hint("step_fn(").as_deref(), Some("w, lr=0.5)"));
    assert_eq!(hint("mse(relu(").as_deref(), Some("x)"));
    assert_eq!(
        hint("mse(relu(x), ").as_deref(),
        Some("  # mse(pred, target, reduction='mean')")
    );
    assert_eq!(hint("sum(x)"), None);
    assert_eq!(hint("nosuch("), None);
    assert_eq!(hint("print(\"a("), None);
    // Only at the end of the line.
    assert_eq!(repl::hint(&scope, "sum(", 2), None);
}

// ------------------------------------------------------------------ highlighting

#[test]
fn highlighting_colours_tokens_and_keeps_the_width() {
    let line = "for i in range(3): x = relu(W) * 2.5  # step 'a'";
    let out = repl::highlight(line, None);
    assert_eq!(repl::strip_ansi(&out), line);
    assert!(out.contains("\x1b[35mfor\x1b[0m"), "{out:?}");
    assert!(out.contains("\x1b[34mrelu\x1b[0m"), "{out:?}");
    assert!(out.contains("\x1b[36m2.5\x1b[0m"), "{out:?}");
    assert!(out.contains("\x1b[90m# step 'a'\x1b[0m"), "{out:?}");
    let s = repl::highlight("print('hi')", None);
    assert!(s.contains("\x1b[32m'hi'\x1b[0m"), "{s:?}");
    let c = repl::highlight(":graph loss", None);
    assert!(c.starts_with("\x1b[1;33m:graph\x1b[0m"), "{c:?}");
}

#[test]
fn highlighting_marks_the_matching_bracket() {
    let line = "f(a[1], (b))";
    // Cursor just after the closing `)` of the call: both parentheses of `f(...)`.
    let out = repl::highlight(line, Some(line.len()));
    assert_eq!(out.matches("\x1b[1;4m").count(), 2, "{out:?}");
    assert!(out.starts_with("f\x1b[1;4m(\x1b[0m"), "{out:?}");
    // Cursor on `[`.
    let out = repl::highlight(line, Some(3));
    assert!(
        out.contains("\x1b[1;4m[\x1b[0m") && out.contains("\x1b[1;4m]\x1b[0m"),
        "{out:?}"
    );
    assert_eq!(repl::strip_ansi(&out), line);
}

/// Every prefix of every case and example, with the cursor anywhere: no panic, same text.
#[test]
fn highlighting_never_panics_and_never_changes_the_text() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut texts = vec![
        "x = 'unterminated".to_string(),
        "é = [ü, (\"ß\"".to_string(),
        "1e 2x .5 # ✓".to_string(),
    ];
    for dir in ["examples", "tests/parser"] {
        for e in std::fs::read_dir(root.join(dir)).unwrap().flatten() {
            if e.path().extension().is_some_and(|x| x == "tsr") {
                texts.push(std::fs::read_to_string(e.path()).unwrap());
            }
        }
    }
    for text in texts {
        for line in text.lines().take(60) {
            let ends: Vec<usize> = (0..=line.len())
                .filter(|&i| line.is_char_boundary(i))
                .collect();
            for &end in &ends {
                let prefix = &line[..end];
                for &cursor in ends.iter().filter(|&&c| c <= end) {
                    assert_eq!(
                        repl::strip_ansi(&repl::highlight(prefix, Some(cursor))),
                        prefix
                    );
                }
                let scope = Scope::default();
                let _ = repl::complete(&scope, prefix, prefix.len());
                let _ = repl::hint(&scope, prefix, prefix.len());
            }
        }
    }
}

// ------------------------------------------------------------------ input rules

#[test]
fn input_stays_open_while_incomplete() {
    for open in [
        "x = (1 +",
        "for i in range(3):",
        "y = 2 *",
        "z = 1 + \\",
        "W = [[1, 2],",
        "def f(x):\n    return x",
    ] {
        assert!(
            repl::needs_more(open),
            "{open:?} should ask for another line"
        );
    }
    for done in [
        "x = 1",
        "while True: pass",
        "for i in range(3):\n    print(i)\n",
        "x = 'open",
        ":vars",
        "x = )",
    ] {
        assert!(!repl::needs_more(done), "{done:?} should run");
    }
    assert!(repl::needs_more(":time for i in range(3):"));
    assert!(!repl::needs_more(":time -n 10 x = 1"));
}

#[test]
fn history_location_follows_the_environment() {
    use std::collections::HashMap;
    use std::ffi::OsString;
    let path = |vars: &[(&str, &str)]| {
        let map: HashMap<String, OsString> = vars
            .iter()
            .map(|(k, v)| (k.to_string(), OsString::from(v)))
            .collect();
        repl::history_path_from(|k| map.get(k).cloned())
    };
    assert_eq!(
        path(&[("HOME", "/home/u")]),
        Some(PathBuf::from("/home/u/.local/state/tsr/history"))
    );
    assert_eq!(
        path(&[("HOME", "/home/u"), ("XDG_STATE_HOME", "/s")]),
        Some(PathBuf::from("/s/tsr/history"))
    );
    assert_eq!(
        path(&[("HOME", "/home/u"), ("XDG_STATE_HOME", "relative")]),
        Some(PathBuf::from("/home/u/.local/state/tsr/history"))
    );
    assert_eq!(
        path(&[("HOME", "/home/u"), ("TSR_HISTORY", "/tmp/h")]),
        Some(PathBuf::from("/tmp/h"))
    );
    assert_eq!(path(&[("HOME", "/home/u"), ("TSR_HISTORY", "")]), None);
    assert_eq!(path(&[]), None);
    assert_eq!(repl::HISTORY_SIZE, 10_000);
}

// ------------------------------------------------------------------ Ctrl-C

/// Ctrl-C while a loop runs: the loop stops with an `interrupt` diagnostic that says
/// how far it got, the variables keep the values of the last completed statement, and
/// the session goes on.
#[test]
fn interrupt_stops_a_loop_and_keeps_the_session() {
    let buf = Shared::default();
    let mut s = session(&buf);
    let flag = s.interp.interrupt.clone();
    s.run_repl_input("<1>", "n = 0\nW = ones(2)\n");
    let stopper = std::thread::spawn(move || {
        std::thread::sleep(std::time::Duration::from_millis(200));
        flag.store(true, std::sync::atomic::Ordering::SeqCst);
    });
    let outcome = s.run_repl_input("<2>", "while True:\n    n += 1\n    W -= 1\n");
    stopper.join().unwrap();
    assert_eq!(outcome, tsr::Outcome::RuntimeError);
    let out = String::from_utf8_lossy(&buf.0.borrow()).into_owned();
    assert!(out.contains("interrupted after "), "{out}");
    assert!(out.contains("iterations of this `while` loop"), "{out}");
    assert!(out.contains("<2>:1:"), "the header names the line: {out}");
    let iterations: u64 = out
        .split("interrupted after ")
        .nth(1)
        .unwrap()
        .split(' ')
        .next()
        .unwrap()
        .parse()
        .unwrap();
    let mut check = repl::Scripted::new(
        ["print(n, item(W[0]))".to_string()],
        Box::new(std::io::sink()),
    );
    buf.0.borrow_mut().clear();
    repl::run_with(&mut s, &mut check);
    let after = String::from_utf8_lossy(&buf.0.borrow()).into_owned();
    assert_eq!(after, format!("{iterations} {}\n", 1 - iterations as i64));
}
