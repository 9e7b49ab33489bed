//! `tsr test`: golden-output tests of users' scripts. Expected output sits under the
//! statement that prints it as `#>` lines (`#! CODE` for an expected diagnostic), or in a
//! `NAME.out` file beside `NAME.tsr`; each file runs in a child process in its own
//! folder (`worker.rs`), files in parallel; numbers compare within a tolerance
//! (`compare.rs`); `--bless` rewrites the expectations that failed (`bless.rs`).

pub mod bless;
pub mod compare;
pub mod expect;
mod report;
pub mod worker;

pub use report::check_text;

use compare::Tolerance;
use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::time::Duration;

/// The options of `tsr test` (and of the REPL's `:test`).
#[derive(clap::Args, Clone, Debug)]
pub struct TestArgs {
    /// Files and folders to test (default: the current folder). A folder is searched
    /// for `.tsr` files with `#>`/`#!` lines or a `.out` file beside them.
    pub paths: Vec<PathBuf>,
    /// Rewrite the expectations that do not match with what the run printed.
    #[arg(long)]
    pub bless: bool,
    /// Only the files whose path contains TEXT (may be repeated).
    #[arg(short = 'k', value_name = "TEXT")]
    pub select: Vec<String>,
    /// Absolute tolerance of numbers.
    #[arg(long, value_name = "X", default_value_t = 1e-3, value_parser = parse_tolerance)]
    pub atol: f64,
    /// Relative tolerance of numbers (of the expected value).
    #[arg(long, value_name = "X", default_value_t = 2e-3, value_parser = parse_tolerance)]
    pub rtol: f64,
    /// Seconds a file may run before it fails.
    #[arg(long, value_name = "SECONDS", default_value = "60", value_parser = parse_seconds)]
    pub timeout: Duration,
    /// Files run at once (default: the available cores).
    #[arg(short = 'j', long, value_name = "N", value_parser = clap::value_parser!(u16).range(1..))]
    pub jobs: Option<u16>,
    /// Internal: run one script as a child of `tsr test`.
    #[arg(long, hide = true, value_enum)]
    pub worker: Option<worker::Mode>,
    /// Internal: the name of the script the child runs.
    #[arg(long, hide = true, default_value = "<stdin>")]
    pub worker_name: String,
}

/// `:test` in the REPL: the same options after the command name.
#[derive(clap::Parser)]
#[command(
    name = ":test",
    about = "Run golden-output tests of scripts, as `tsr test`."
)]
struct TestCommand {
    #[command(flatten)]
    args: TestArgs,
}

/// Why words did not parse as `tsr test` options.
pub enum Words {
    /// `--help`: the text to show.
    Help(String),
    /// A mistake, explained.
    Usage(String),
}

/// Parse the words after `:test`.
pub fn parse_words<'a>(words: impl Iterator<Item = &'a str>) -> Result<TestArgs, Words> {
    use clap::Parser;
    match TestCommand::try_parse_from(std::iter::once(":test").chain(words)) {
        Ok(c) => Ok(c.args),
        Err(e) if !e.use_stderr() => Err(Words::Help(e.render().to_string())),
        Err(e) => {
            let text = e.render().to_string();
            let first = text.lines().next().unwrap_or("bad options");
            Err(Words::Usage(
                first.trim_start_matches("error: ").to_string(),
            ))
        }
    }
}

fn parse_tolerance(s: &str) -> Result<f64, String> {
    match s.trim().parse::<f64>() {
        Ok(x) if x >= 0.0 && x.is_finite() => Ok(x),
        _ => Err(format!("`{s}` is not a tolerance (a number >= 0)")),
    }
}

fn parse_seconds(s: &str) -> Result<Duration, String> {
    let t = s.trim();
    let t = t.strip_suffix('s').unwrap_or(t);
    match t.trim().parse::<f64>() {
        Ok(x) if x > 0.0 && x < 1e9 => Ok(Duration::from_secs_f64(x)),
        _ => Err(format!("`{s}` is not a number of seconds (e.g. 60 or 0.5)")),
    }
}

/// `tsr test` from the command line: the exit status (0 all passed, 1 a failure, 2 bad
/// usage).
pub fn main(args: TestArgs, max_memory: Option<u64>) -> u8 {
    if let Some(mode) = args.worker {
        return worker::run_child(mode, &args.worker_name, max_memory);
    }
    let exe = match std::env::current_exe() {
        Ok(e) => e,
        Err(e) => {
            eprintln!("error: cannot find the tsr executable to run the tests: {e}");
            return 2;
        }
    };
    let color = std::io::stdout().is_terminal() && std::env::var_os("NO_COLOR").is_none();
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    match run(&args, &exe, max_memory, &mut out, color) {
        Ok(code) => code,
        Err(msg) => {
            let _ = out.flush();
            eprintln!("error: {msg}");
            2
        }
    }
}

/// One file to test.
#[derive(Clone, Debug)]
pub struct TestFile {
    pub path: PathBuf,
    /// The path as shown: as given, or under the folder given.
    pub shown: String,
    /// Named on the command line (tested or reported as skipped even without
    /// expectations).
    pub explicit: bool,
}

/// Whether a `.tsr` file found in a folder is a test: it has `#>`/`#!` lines or a
/// `.out` beside it.
fn is_test(path: &Path) -> bool {
    path.with_extension("out").is_file()
        || std::fs::read(path).is_ok_and(|b| expect::has_marks(&String::from_utf8_lossy(&b)))
}

fn walk(dir: &Path, shown: &str, out: &mut Vec<TestFile>) -> std::io::Result<()> {
    let mut entries: Vec<(String, PathBuf, bool)> = std::fs::read_dir(dir)?
        .filter_map(|e| e.ok())
        .filter_map(|e| {
            let name = e.file_name().to_string_lossy().into_owned();
            let is_dir = e.file_type().ok()?.is_dir();
            Some((name, e.path(), is_dir))
        })
        .collect();
    entries.sort();
    for (name, path, is_dir) in entries {
        if name.starts_with('.') {
            continue;
        }
        let shown = if shown.is_empty() {
            name.clone()
        } else if shown.ends_with('/') {
            format!("{shown}{name}")
        } else {
            format!("{shown}/{name}")
        };
        if is_dir {
            // An unreadable folder below the one given is left out, not fatal.
            let _ = walk(&path, &shown, out);
        } else if name.ends_with(".tsr") && is_test(&path) {
            out.push(TestFile {
                path,
                shown,
                explicit: false,
            });
        }
    }
    Ok(())
}

/// The files that `paths` name, in order; an error message for a path that is not
/// there.
pub fn collect(paths: &[PathBuf]) -> Result<Vec<TestFile>, String> {
    let default = [PathBuf::from(".")];
    let paths = if paths.is_empty() {
        &default[..]
    } else {
        paths
    };
    let mut files: Vec<TestFile> = Vec::new();
    for p in paths {
        let shown = p.to_string_lossy().replace('\\', "/");
        let meta = std::fs::metadata(p)
            .map_err(|e| format!("cannot read `{shown}`: {}", io_reason(&e)))?;
        if meta.is_dir() {
            let base = if shown == "." || shown == "./" {
                ""
            } else {
                &shown
            };
            walk(p, base, &mut files)
                .map_err(|e| format!("cannot read `{shown}`: {}", io_reason(&e)))?;
        } else {
            files.push(TestFile {
                path: p.clone(),
                shown,
                explicit: true,
            });
        }
    }
    let mut seen = std::collections::HashSet::new();
    files.retain(|f| seen.insert(f.path.canonicalize().unwrap_or_else(|_| f.path.clone())));
    Ok(files)
}

fn io_reason(e: &std::io::Error) -> String {
    match e.kind() {
        std::io::ErrorKind::NotFound => "no such file or folder".to_string(),
        std::io::ErrorKind::PermissionDenied => "permission denied".to_string(),
        _ => e.to_string(),
    }
}

/// Run the tests that `args` select, writing the report to `out`; `exe` is the tsr
/// binary that runs each file. `Err` is a usage mistake (exit status 2).
pub fn run(
    args: &TestArgs,
    exe: &Path,
    max_memory: Option<u64>,
    out: &mut dyn Write,
    color: bool,
) -> Result<u8, String> {
    let files = collect(&args.paths)?;
    let settings = report::Settings {
        exe: exe.to_path_buf(),
        tol: Tolerance {
            atol: args.atol,
            rtol: args.rtol,
        },
        timeout: args.timeout,
        max_memory,
        bless: args.bless,
        color,
    };
    let (chosen, deselected): (Vec<TestFile>, Vec<TestFile>) = files.into_iter().partition(|f| {
        args.select.is_empty() || args.select.iter().any(|k| f.shown.contains(k.as_str()))
    });
    let jobs = args
        .jobs
        .map(usize::from)
        .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()));
    let mut counts = report::Counts {
        skipped: deselected.len(),
        ..Default::default()
    };
    report::run_all(&chosen, &settings, jobs, &mut counts, out);
    let mut last = format!("{} passed, {} failed", counts.passed, counts.failed);
    if counts.skipped > 0 {
        last.push_str(&format!(", {} skipped", counts.skipped));
    }
    let _ = writeln!(out, "{last}");
    let _ = out.flush();
    Ok(u8::from(counts.failed > 0))
}
