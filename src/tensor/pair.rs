//! The two-core split of one matrix product: the calling thread and one helper thread
//! claim the product's tasks from a shared counter. After a product the helper spins for
//! a while before it sleeps, as OpenMP's threads do under MKL, so the products of a
//! training step (tens of microseconds apart) find it awake: waking a sleeping thread
//! costs about 20 us in the VMs this was measured on, a tenth of a 256×784×128 product.
//! When the helper is asleep or busy, the caller goes on claiming tasks and never waits
//! for it to arrive.

use std::panic::{catch_unwind, resume_unwind, AssertUnwindSafe};
use std::ptr;
use std::sync::atomic::{AtomicBool, AtomicPtr, AtomicUsize, Ordering::*};
use std::sync::OnceLock;
use std::thread::{self, Thread};
use std::time::{Duration, Instant};

/// How long the helper stays awake after its last task.
const SPIN: Duration = Duration::from_millis(2);

/// One call of `split`, on the caller's stack. The helper reaches it only through
/// `POSTED`, which it empties when it takes the job, and it stops touching the job when
/// it sets `left`.
struct Job<'a> {
    f: &'a (dyn Fn(usize) + Sync),
    tasks: usize,
    next: AtomicUsize,
    /// Set by the helper after its last access to the job.
    left: AtomicBool,
    panicked: AtomicBool,
}

/// The job waiting for the helper (erased lifetime: see `split`).
static POSTED: AtomicPtr<Job<'static>> = AtomicPtr::new(ptr::null_mut());
/// True while the helper is parked (or about to park).
static SLEEPING: AtomicBool = AtomicBool::new(false);
static HELPER: OnceLock<Option<Thread>> = OnceLock::new();

fn helper() -> Option<&'static Thread> {
    HELPER
        .get_or_init(|| {
            thread::Builder::new()
                .name("tsr-mm".into())
                .spawn(helper_loop)
                .ok()
                .map(|h| h.thread().clone())
        })
        .as_ref()
}

fn helper_loop() {
    let mut idle_since = Instant::now();
    let mut spins = 0u32;
    loop {
        let p = POSTED.swap(ptr::null_mut(), AcqRel);
        if !p.is_null() {
            // SAFETY: `split` keeps the job alive until it has seen `left` (the helper
            // took the job: `POSTED` no longer holds it when `split` takes it back).
            let job = unsafe { &*p };
            run_tasks(job);
            job.left.store(true, Release);
            idle_since = Instant::now();
            continue;
        }
        spins = spins.wrapping_add(1);
        // The clock is read once every 1024 spins.
        if !spins.is_multiple_of(1024) || idle_since.elapsed() < SPIN {
            std::hint::spin_loop();
            continue;
        }
        SLEEPING.store(true, SeqCst);
        if POSTED.load(SeqCst).is_null() {
            thread::park();
        }
        SLEEPING.store(false, SeqCst);
        idle_since = Instant::now();
    }
}

/// Claims and runs tasks until none is left; a panic is recorded, not propagated.
fn run_tasks(job: &Job) {
    loop {
        let t = job.next.fetch_add(1, Relaxed);
        if t >= job.tasks {
            return;
        }
        if catch_unwind(AssertUnwindSafe(|| (job.f)(t))).is_err() {
            job.panicked.store(true, Relaxed);
        }
    }
}

/// Runs `f(0)`, …, `f(tasks - 1)`, each once, on this thread and the helper, and returns
/// when all have finished.
pub(crate) fn split(tasks: usize, f: &(dyn Fn(usize) + Sync)) {
    let job = Job {
        f,
        tasks,
        next: AtomicUsize::new(0),
        left: AtomicBool::new(false),
        panicked: AtomicBool::new(false),
    };
    let posted = if tasks > 1 {
        helper().map(|h| {
            // SAFETY (lifetime): the job outlives every use the helper makes of it; this
            // function returns only after taking the job back unseen or seeing `left`.
            let p = &job as *const Job as *mut Job<'static>;
            // Another thread's product may be posted: then this one runs alone.
            let ok = POSTED
                .compare_exchange(ptr::null_mut(), p, SeqCst, SeqCst)
                .is_ok();
            if ok && SLEEPING.load(SeqCst) {
                h.unpark();
            }
            ok.then_some(p)
        })
    } else {
        None
    }
    .flatten();
    run_tasks(&job);
    if let Some(p) = posted {
        // Either the job is still posted (the helper never saw it) or the helper took it
        // and this thread waits for it to finish its last task.
        if POSTED
            .compare_exchange(p, ptr::null_mut(), AcqRel, Acquire)
            .is_err()
        {
            while !job.left.load(Acquire) {
                std::hint::spin_loop();
            }
        }
    }
    if job.panicked.load(Relaxed) {
        resume_unwind(Box::new("a task of a split product panicked"));
    }
}

/// Whether the helper is awake (a product split in two halves will not wait for it).
pub(crate) fn helper_awake() -> bool {
    HELPER.get().is_some() && !SLEEPING.load(Relaxed)
}

#[cfg(test)]
mod tests {
    use super::split;
    use std::sync::atomic::{AtomicUsize, Ordering::Relaxed};

    /// Every task runs exactly once, whether the helper is asleep, awake or busy with
    /// another thread's product, and a panicking task's panic reaches the caller.
    #[test]
    fn every_task_runs_once() {
        let callers: Vec<_> = (0..3)
            .map(|c| {
                std::thread::spawn(move || {
                    for round in 0..300 {
                        let tasks = 1 + (round + c) % 7;
                        let counts: Vec<AtomicUsize> =
                            (0..tasks).map(|_| AtomicUsize::new(0)).collect();
                        split(tasks, &|t| {
                            counts[t].fetch_add(1, Relaxed);
                        });
                        assert!(counts.iter().all(|n| n.load(Relaxed) == 1), "round {round}");
                        if round % 100 == 99 {
                            std::thread::sleep(std::time::Duration::from_millis(3));
                        }
                    }
                })
            })
            .collect();
        for c in callers {
            c.join().expect("a caller failed");
        }
        let caught = std::panic::catch_unwind(|| {
            split(4, &|t| {
                if t == 3 {
                    panic!("task 3");
                }
            })
        });
        assert!(caught.is_err());
        let ran = AtomicUsize::new(0);
        split(4, &|_| {
            ran.fetch_add(1, Relaxed);
        });
        assert_eq!(ran.load(Relaxed), 4, "the helper survives a panicking task");
    }
}
