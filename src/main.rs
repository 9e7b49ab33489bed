//! The `tsr` command line: run a script, start the REPL; exit codes 0 (success),
//! 1 (a diagnostic in the program), 2 (bad command-line use), 130 (stopped by Ctrl-C).

use clap::{Parser, Subcommand};
use std::io::{IsTerminal, Read, Write};
use std::process::ExitCode;
use tsr::diagnostic::RenderStyle;
use tsr::{Outcome, Session, SessionOptions};

/// The interpreter runs on a thread with a large stack: deep user recursion (up to the
/// call-depth limit) must end in a diagnostic, never a stack overflow.
const STACK_BYTES: usize = 1 << 30;

#[derive(Parser)]
#[command(
    name = "tsr",
    version,
    about = "tsr — a tensor scripting language with automatic differentiation"
)]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
    /// A script to run (`-` reads standard input); without one, start the REPL.
    file: Option<String>,
    /// Run FILE, then start the REPL with its variables.
    #[arg(short = 'i', long = "interactive")]
    interactive: bool,
    /// Memory for all live tensors together, e.g. `512M`, `4G` (default: a quarter of memory).
    #[arg(long = "max-memory", value_parser = parse_size, global = true)]
    max_memory: Option<u64>,
}

#[derive(Subcommand)]
enum Command {
    /// Run a script (`-` reads standard input).
    Run { file: String },
    /// Find shape errors without running the tensor math (`-` reads standard input).
    Check {
        file: String,
        /// Print the inferred shape of every assignment.
        #[arg(long)]
        shapes: bool,
    },
    /// Run golden-output tests: `#>` lines under statements, or NAME.out beside NAME.tsr.
    Test(tsr::snapshot::TestArgs),
    /// The Jupyter kernel: `kernel CONNECTION_FILE`, `kernel install [--user |
    /// --sys-prefix | --prefix DIR]`, `kernel uninstall`.
    Kernel {
        #[arg(num_args = 1.., allow_hyphen_values = true, required = true)]
        args: Vec<String>,
    },
}

fn parse_size(s: &str) -> Result<u64, String> {
    let s = s.trim();
    let (num, mult) = match s.char_indices().find(|(_, c)| c.is_ascii_alphabetic()) {
        Some((i, _)) => {
            let unit = s[i..].to_ascii_lowercase();
            let mult: u64 = match unit.trim_end_matches("ib").trim_end_matches('b') {
                "" => 1,
                "k" => 1 << 10,
                "m" => 1 << 20,
                "g" => 1 << 30,
                "t" => 1 << 40,
                _ => {
                    return Err(format!(
                        "unknown size unit `{}` (use K, M, G or T)",
                        &s[i..]
                    ))
                }
            };
            (&s[..i], mult)
        }
        None => (s, 1),
    };
    let n: f64 = num
        .trim()
        .parse()
        .map_err(|_| format!("`{s}` is not a size like 512M or 4G"))?;
    if n.is_nan() || n < 0.0 {
        return Err(format!("`{s}` is not a size"));
    }
    Ok((n * mult as f64) as u64)
}

fn terminal_style() -> RenderStyle {
    let color = std::io::stderr().is_terminal() && std::env::var_os("NO_COLOR").is_none();
    let width = terminal_size::terminal_size_of(std::io::stderr())
        .map(|(w, _)| w.0 as usize)
        .or_else(|| std::env::var("COLUMNS").ok().and_then(|c| c.parse().ok()))
        .unwrap_or(100)
        .clamp(40, 200);
    RenderStyle { width, color }
}

fn read_script(path: &str) -> Result<(String, String), String> {
    if path == "-" {
        let mut bytes = Vec::new();
        std::io::stdin()
            .read_to_end(&mut bytes)
            .map_err(|e| format!("cannot read standard input: {e}"))?;
        return Ok((
            "<stdin>".to_string(),
            String::from_utf8_lossy(&bytes).into_owned(),
        ));
    }
    match std::fs::read(path) {
        Ok(bytes) => Ok((
            path.to_string(),
            String::from_utf8_lossy(&bytes).into_owned(),
        )),
        Err(e) => Err(format!("cannot read `{path}`: {}", io_reason(&e))),
    }
}

fn io_reason(e: &std::io::Error) -> String {
    match e.kind() {
        std::io::ErrorKind::NotFound => "no such file".to_string(),
        std::io::ErrorKind::PermissionDenied => "permission denied".to_string(),
        _ => e.to_string(),
    }
}

fn new_session(max_memory: Option<u64>) -> Session {
    let out: Box<dyn Write> = Box::new(std::io::LineWriter::new(std::io::stdout()));
    let err: Box<dyn Write> = Box::new(std::io::stderr());
    Session::new(
        out,
        err,
        SessionOptions {
            style: terminal_style(),
            max_memory,
        },
    )
}

fn run(cli: Cli) -> u8 {
    let (script, interactive) = match (cli.command, cli.file) {
        (Some(Command::Check { file, shapes }), None) => {
            return check(&file, shapes, cli.max_memory)
        }
        (Some(Command::Check { .. }), Some(extra)) => {
            eprintln!("error: unexpected argument `{extra}` before `check`\n\nUsage: tsr [OPTIONS] check [--shapes] FILE");
            return 2;
        }
        (Some(Command::Test(args)), None) => return tsr::snapshot::main(args, cli.max_memory),
        (Some(Command::Test(_)), Some(extra)) => {
            eprintln!("error: unexpected argument `{extra}` before `test`\n\nUsage: tsr [OPTIONS] test [PATHS]...");
            return 2;
        }
        (Some(Command::Kernel { args }), None) => {
            return tsr::front::kernel::main(&args, cli.max_memory)
        }
        (Some(Command::Kernel { .. }), Some(extra)) => {
            eprintln!("error: unexpected argument `{extra}` before `kernel`\n\nUsage: tsr kernel CONNECTION_FILE");
            return 2;
        }
        (Some(Command::Run { file }), None) => (Some(file), false),
        (Some(Command::Run { .. }), Some(extra)) => {
            eprintln!("error: unexpected argument `{extra}` before `run`\n\nUsage: tsr [OPTIONS] run FILE");
            return 2;
        }
        (None, file) => (file, cli.interactive),
    };
    if interactive && script.is_none() {
        eprintln!("error: `-i` needs a FILE to run before the REPL starts");
        return 2;
    }
    let mut session = new_session(cli.max_memory);
    match script {
        Some(path) => {
            let (name, text) = match read_script(&path) {
                Ok(s) => s,
                Err(msg) => {
                    eprintln!("error: {msg}");
                    return 2;
                }
            };
            let outcome = run_script(&mut session, &name, &text);
            if interactive {
                return tsr::repl::run(session);
            }
            outcome
        }
        None => {
            if std::io::stdin().is_terminal() {
                tsr::repl::run(session)
            } else {
                let (name, text) = match read_script("-") {
                    Ok(s) => s,
                    Err(msg) => {
                        eprintln!("error: {msg}");
                        return 2;
                    }
                };
                run_script(&mut session, &name, &text)
            }
        }
    }
}

/// Runs a whole script with Ctrl-C stopping it at the next loop iteration or call (a
/// diagnostic naming the line, exit status 130); the exit status.
fn run_script(session: &mut Session, name: &str, text: &str) -> u8 {
    let flag = session.interp.interrupt.clone();
    let sigint = tsr::front::signal::install(flag.clone());
    let outcome = session.run_source(name, text);
    drop(sigint);
    if session.last_error == Some("interrupt") {
        return 130;
    }
    if flag.load(std::sync::atomic::Ordering::SeqCst) {
        // Ctrl-C after the last point that checks for it: the script had finished.
        eprintln!("interrupted as the script ended");
        return 130;
    }
    match outcome {
        Outcome::Ok => 0,
        Outcome::SyntaxError | Outcome::RuntimeError => 1,
    }
}

/// `tsr check FILE`: diagnostics to stderr, `--shapes` to stdout; 1 when an error was found.
fn check(path: &str, shapes: bool, max_memory: Option<u64>) -> u8 {
    let (name, text) = match read_script(path) {
        Ok(s) => s,
        Err(msg) => {
            eprintln!("error: {msg}");
            return 2;
        }
    };
    if let Some(bytes) = max_memory {
        tsr::tensor::set_max_tensor_bytes(bytes);
    }
    let report = if shapes {
        tsr::check::check_source(&name, &text)
    } else {
        tsr::check::check_errors(&name, &text)
    };
    if shapes {
        print!("{}", report.shapes_text());
    }
    let style = terminal_style();
    for d in &report.diagnostics {
        eprint!("{}", tsr::diagnostic::render(d, style));
    }
    u8::from(report.has_errors())
}

/// One malloc arena for the whole process (glibc on Linux). The interpreter runs on a
/// worker thread of the pool below, which glibc would give an arena of its own; that
/// arena hands a large freed block (a product's result, a gradient) back to the kernel
/// at once, so the next one of the same size is faulted in again page by page: a
/// 2048×2048 product faulted ~2,100 pages (8 MB) each time, ~5 ms of kernel time over
/// the two threads. The main arena keeps such blocks for reuse (~250 faults a product).
/// Other threads allocate little (the products' helpers not at all), so they do not
/// contend for it.
#[cfg(all(target_os = "linux", target_env = "gnu"))]
fn one_malloc_arena() {
    extern "C" {
        fn mallopt(param: std::ffi::c_int, value: std::ffi::c_int) -> std::ffi::c_int;
    }
    /// glibc's `M_ARENA_MAX` (malloc.h).
    const M_ARENA_MAX: std::ffi::c_int = -8;
    // SAFETY: `mallopt` is glibc's, called before any other thread is started; it only
    // sets a limit for arenas created later and returns 0 if it refused.
    unsafe {
        mallopt(M_ARENA_MAX, 1);
    }
}

#[cfg(not(all(target_os = "linux", target_env = "gnu")))]
fn one_malloc_arena() {}

fn main() -> ExitCode {
    one_malloc_arena();
    let cli = match Cli::try_parse() {
        Ok(c) => c,
        Err(e) => {
            let code = if e.use_stderr() { 2 } else { 0 };
            let _ = e.print();
            return ExitCode::from(code);
        }
    };
    // The interpreter is one worker of a two-thread pool. Large matrix products split
    // over it and the other worker where the `gemm` crate computes them (between
    // products the other worker sleeps), and over it and `tensor::pair`'s helper thread
    // where our own kernels do (x86-64 with AVX2 or AVX-512).
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(2)
        .thread_name(|i| format!("tsr-{i}"))
        .stack_size(STACK_BYTES)
        .build();
    let code = match pool {
        Ok(pool) => std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            pool.install(move || run(cli))
        }))
        .unwrap_or(101),
        Err(e) => {
            eprintln!("error: cannot start the interpreter thread: {e}");
            101
        }
    };
    let _ = std::io::stdout().flush();
    ExitCode::from(code)
}
