//! `tsr kernel`: a Jupyter kernel (messaging protocol 5.3) over ZeroMQ, and the
//! `install` / `uninstall` of its kernelspec.
//!
//! Two threads: the I/O thread (`io`) owns the sockets and a small tokio runtime; the
//! interpreter runs where `run` is called (the big-stack worker of the command line's
//! pool) and answers shell requests one at a time (`handlers`). Shell requests reach it
//! through a channel; what it writes goes back through another, in order.

pub mod cell;
mod handlers;
pub mod install;
pub mod io;
pub mod wire;

use install::Location;

const USAGE: &str = "Usage: tsr kernel CONNECTION_FILE\n       tsr kernel install [--user | --sys-prefix | --prefix DIR]\n       tsr kernel uninstall [--user | --sys-prefix | --prefix DIR]";

/// `tsr kernel ARGS...`; returns the exit status.
pub fn main(args: &[String], max_memory: Option<u64>) -> u8 {
    match args.first().map(String::as_str) {
        Some("install") | Some("uninstall") => {
            let location = match location(&args[1..]) {
                Ok(l) => l,
                Err(e) => {
                    eprintln!("error: {e}\n\n{USAGE}");
                    return 2;
                }
            };
            if args[0] == "install" {
                match install::install(&location) {
                    Ok(dir) => {
                        println!("installed the tsr kernelspec in {}", dir.display());
                        0
                    }
                    Err(e) => {
                        eprintln!("error: {e}");
                        1
                    }
                }
            } else {
                match install::uninstall(&location) {
                    Ok(Some(dir)) => {
                        println!("removed {}", dir.display());
                        0
                    }
                    Ok(None) => {
                        println!("no tsr kernelspec to remove");
                        0
                    }
                    Err(e) => {
                        eprintln!("error: {e}");
                        1
                    }
                }
            }
        }
        Some(file) if args.len() == 1 && !file.starts_with('-') => run(file, max_memory),
        _ => {
            eprintln!(
                "error: `tsr kernel` needs a connection file, `install` or `uninstall`\n\n{USAGE}"
            );
            2
        }
    }
}

fn location(args: &[String]) -> Result<Location, String> {
    match args {
        [] => Ok(Location::User),
        [flag] if flag == "--user" => Ok(Location::User),
        [flag] if flag == "--sys-prefix" => Ok(Location::SysPrefix),
        [flag, dir] if flag == "--prefix" => Ok(Location::Prefix(dir.into())),
        [flag] if flag.starts_with("--prefix=") => {
            Ok(Location::Prefix(flag["--prefix=".len()..].into()))
        }
        _ => Err(format!("unexpected arguments `{}`", args.join(" "))),
    }
}

/// Run the kernel for a connection file until a shutdown request.
pub fn run(connection_file: &str, max_memory: Option<u64>) -> u8 {
    let conn = match std::fs::read_to_string(connection_file)
        .map_err(|e| e.to_string())
        .and_then(|text| io::Connection::parse(&text))
    {
        Ok(c) => c,
        Err(e) => {
            eprintln!("error: cannot use the connection file `{connection_file}`: {e}");
            return 2;
        }
    };
    let (out_tx, out_rx) = tokio::sync::mpsc::unbounded_channel();
    let (req_tx, req_rx) = std::sync::mpsc::channel();
    let mut kernel = handlers::Kernel::new(out_tx, max_memory);
    let interrupt = kernel.interrupt_flag();
    // Ctrl-C in the terminal that started the notebook server interrupts, as the
    // interrupt button does (a second one while an op cannot stop exits).
    let _sigint = crate::front::signal::install(interrupt.clone());
    if let Err(e) = io::start(conn, req_tx, out_rx, interrupt) {
        eprintln!("error: {e}");
        return 1;
    }
    while let Ok(msg) = req_rx.recv() {
        kernel.handle(msg);
    }
    0
}
