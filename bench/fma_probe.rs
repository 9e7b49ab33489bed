//! The machine's f32 multiply-add peak, for bench/run.sh: independent FMA chains on the
//! widest vectors the CPU has (AVX-512, else AVX2+FMA, else scalar), on 1 and on 2
//! threads. Built by the script with `rustc -O` (no dependency); prints
//! `peak<TAB>threadsN<TAB>GFLOP/s<TAB>GFLOP/s` lines (the best wall-clock rate of many
//! short runs) and `peak<TAB>per_core_cpu<TAB>...` (per second of the thread's own CPU
//! time, which other processes on a shared machine do not dilute), and the instruction
//! set used.

use std::time::Instant;

const CHAINS: usize = 12;

/// FLOPs done by `run` in one call of `iters` iterations.
fn flops(lanes: usize, iters: u64) -> f64 {
    2.0 * (CHAINS * lanes) as f64 * iters as f64
}

#[cfg(target_arch = "x86_64")]
mod x86 {
    use std::arch::x86_64::*;

    #[target_feature(enable = "avx2,fma")]
    pub unsafe fn avx2(iters: u64) -> f32 {
        let mut acc = [_mm256_set1_ps(1.0); super::CHAINS];
        let m = _mm256_set1_ps(0.999_999);
        let a = _mm256_set1_ps(1e-7);
        for _ in 0..iters {
            for c in acc.iter_mut() {
                *c = _mm256_fmadd_ps(*c, m, a);
            }
        }
        let mut s = _mm256_setzero_ps();
        for c in acc {
            s = _mm256_add_ps(s, c);
        }
        _mm256_cvtss_f32(s)
    }

    #[target_feature(enable = "avx512f")]
    pub unsafe fn avx512(iters: u64) -> f32 {
        let mut acc = [_mm512_set1_ps(1.0); super::CHAINS];
        let m = _mm512_set1_ps(0.999_999);
        let a = _mm512_set1_ps(1e-7);
        for _ in 0..iters {
            for c in acc.iter_mut() {
                *c = _mm512_fmadd_ps(*c, m, a);
            }
        }
        let mut s = _mm512_setzero_ps();
        for c in acc {
            s = _mm512_add_ps(s, c);
        }
        _mm512_reduce_add_ps(s)
    }
}

fn scalar(iters: u64) -> f32 {
    let mut acc = [1.0f32; CHAINS];
    for _ in 0..iters {
        for c in acc.iter_mut() {
            *c = c.mul_add(0.999_999, 1e-7);
        }
    }
    acc.iter().sum()
}

/// The kernel to use, its name and its vector width in f32 lanes.
fn pick() -> (fn(u64) -> f32, &'static str, usize) {
    #[cfg(target_arch = "x86_64")]
    {
        if is_x86_feature_detected!("avx512f") {
            // SAFETY: the CPU has AVX-512F (checked just above).
            return (|n| unsafe { x86::avx512(n) }, "avx512", 16);
        }
        if is_x86_feature_detected!("avx2") && is_x86_feature_detected!("fma") {
            // SAFETY: the CPU has AVX2 and FMA (checked just above).
            return (|n| unsafe { x86::avx2(n) }, "avx2+fma", 8);
        }
    }
    (scalar, "scalar", 1)
}

#[repr(C)]
struct Timespec {
    sec: i64,
    nsec: i64,
}

extern "C" {
    fn clock_gettime(clock: i32, ts: *mut Timespec) -> i32;
}

/// This thread's CPU time in seconds (Linux `CLOCK_THREAD_CPUTIME_ID`).
fn thread_cpu() -> f64 {
    let mut ts = Timespec { sec: 0, nsec: 0 };
    // SAFETY: `ts` is a valid timespec for the call to fill.
    unsafe { clock_gettime(3, &mut ts) };
    ts.sec as f64 + ts.nsec as f64 * 1e-9
}

fn main() {
    let (kernel, isa, lanes) = pick();
    println!("peak\tisa\t{isa}\tinfo");
    // Short runs (about a millisecond each at full speed), the best of many: on a shared
    // machine some of them run uninterrupted.
    let iters = 400_000u64;
    let mut per_cpu = 0.0f64;
    for threads in [1usize, 2] {
        let mut best = 0.0f64;
        for _ in 0..200 {
            let t0 = Instant::now();
            let hs: Vec<_> = (0..threads)
                .map(|_| {
                    std::thread::spawn(move || {
                        let c0 = thread_cpu();
                        std::hint::black_box(kernel(std::hint::black_box(iters)));
                        thread_cpu() - c0
                    })
                })
                .collect();
            for h in hs {
                let cpu = h.join().unwrap();
                if cpu > 0.0 {
                    per_cpu = per_cpu.max(flops(lanes, iters) / cpu / 1e9);
                }
            }
            let g = flops(lanes, iters) * threads as f64 / t0.elapsed().as_secs_f64() / 1e9;
            best = best.max(g);
        }
        println!("peak\tthreads{threads}\t{best:.1}\tGFLOP/s");
    }
    println!("peak\tper_core_cpu\t{per_cpu:.1}\tGFLOP/s");
}
