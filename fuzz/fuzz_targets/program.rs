//! Any bytes as a program, through lexer → parser → `tsr check` → run, under a 64 MiB
//! memory budget and a 200 ms time bound (the interrupt an honest infinite loop ends in).
//! A panic or an abort is a finding; so is a run that libFuzzer's `-timeout` stops, as
//! the interrupt should have ended it first.

#![no_main]

use libfuzzer_sys::fuzz_target;
use std::sync::atomic::Ordering;
use std::time::Duration;
use tsr::diagnostic::RenderStyle;
use tsr::{Session, SessionOptions};

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let _ = tsr::check::check_source("fuzz.tsr", &text);
    let mut session = Session::new(
        Box::new(std::io::sink()),
        Box::new(std::io::sink()),
        SessionOptions {
            style: RenderStyle::TEST,
            max_memory: Some(64 << 20),
        },
    );
    let flag = session.interp.interrupt.clone();
    std::thread::spawn(move || {
        std::thread::sleep(Duration::from_millis(200));
        flag.store(true, Ordering::SeqCst);
    });
    let _ = session.run_source("fuzz.tsr", &text);
});
