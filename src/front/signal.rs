//! Ctrl-C while a statement runs: a SIGINT handler that sets the interpreter's interrupt
//! flag (checked at loop iterations, calls and builtins). If the flag is still set when
//! a second SIGINT arrives, an op that cannot be interrupted is running: exit with 130.
//!
//! At the prompt the terminal is in raw mode, so Ctrl-C reaches rustyline as a key (it
//! clears the line) rather than as a signal.

use std::sync::atomic::AtomicBool;
use std::sync::Arc;

/// Restores the previous SIGINT disposition when dropped.
pub struct SigintGuard {
    #[cfg(unix)]
    inner: unix::Installed,
    #[cfg(not(unix))]
    _flag: Arc<AtomicBool>,
}

pub fn install(flag: Arc<AtomicBool>) -> SigintGuard {
    #[cfg(unix)]
    {
        SigintGuard {
            inner: unix::install(flag),
        }
    }
    #[cfg(not(unix))]
    {
        SigintGuard { _flag: flag }
    }
}

#[cfg(unix)]
impl Drop for SigintGuard {
    fn drop(&mut self) {
        self.inner.restore();
    }
}

#[cfg(unix)]
mod unix {
    use std::sync::atomic::{AtomicBool, AtomicPtr, Ordering};
    use std::sync::Arc;

    // The few C library functions needed, declared here rather than through the `libc`
    // crate; their signatures and SIGINT's number are the same on every Unix.
    const SIGINT: i32 = 2;
    const SIG_ERR: usize = usize::MAX;
    extern "C" {
        fn signal(signum: i32, handler: usize) -> usize;
        fn write(fd: i32, buf: *const u8, count: usize) -> isize;
        fn _exit(status: i32) -> !;
    }

    /// The flag the handler sets; null when no script or REPL is running.
    static FLAG: AtomicPtr<AtomicBool> = AtomicPtr::new(std::ptr::null_mut());

    pub struct Installed {
        /// Keeps the flag alive while `FLAG` points at it.
        _flag: Arc<AtomicBool>,
        previous: Option<usize>,
    }

    /// Only async-signal-safe work here: atomics, `write` and `_exit`.
    extern "C" fn on_sigint(_signal: i32) {
        let flag = FLAG.load(Ordering::SeqCst);
        // SAFETY: `FLAG` is either null or points into the `Arc` that `Installed` holds
        // until it resets `FLAG` to null.
        let already_set = !flag.is_null() && unsafe { (*flag).swap(true, Ordering::SeqCst) };
        if flag.is_null() || already_set {
            let msg = b"\ninterrupted twice: exiting\n";
            // SAFETY: `write` and `_exit` are async-signal-safe.
            unsafe {
                write(2, msg.as_ptr(), msg.len());
                _exit(130);
            }
        }
    }

    pub fn install(flag: Arc<AtomicBool>) -> Installed {
        FLAG.store(Arc::as_ptr(&flag).cast_mut(), Ordering::SeqCst);
        // SAFETY: installs a handler that only does async-signal-safe work. `signal`
        // keeps the handler installed and restarts interrupted reads (BSD semantics, as
        // glibc, musl and macOS give it).
        let previous = unsafe { signal(SIGINT, on_sigint as extern "C" fn(i32) as usize) };
        Installed {
            _flag: flag,
            previous: (previous != SIG_ERR).then_some(previous),
        }
    }

    impl Installed {
        pub fn restore(&mut self) {
            if let Some(previous) = self.previous.take() {
                // SAFETY: puts back the disposition `install` replaced.
                unsafe {
                    signal(SIGINT, previous);
                }
            }
            FLAG.store(std::ptr::null_mut(), Ordering::SeqCst);
        }
    }
}
