//! Mutation testing: programs made by mutating the examples and the golden cases (numbers,
//! operators and names swapped, lines deleted, duplicated, swapped and re-indented,
//! loops, recursion and large shapes spliced in, bytes edited) run through lexer →
//! parser → evaluator, each under a small memory budget and a time bound. A run may end
//! in output, in diagnostics, or — still running at the bound — in the `interrupt`
//! diagnostic of an honest infinite loop; a panic, or a run that does not stop after the
//! interrupt, fails the test.
//!
//! `cargo test` runs a fixed-seed set of a few thousand mutants. With
//! `TSR_CAMPAIGN_MINUTES=N` (see `fuzz/campaign.sh`) the same runner mutates for N minutes
//! from `TSR_CAMPAIGN_SEED` and prints executions and outcomes.

mod common;

use common::{Ending, Gen};
use std::path::PathBuf;
use std::time::{Duration, Instant};

/// Each mutant's memory budget: small, so that growing graphs end quickly.
const MAX_MEMORY: u64 = 64 << 20;
/// When a mutant is interrupted.
const LIMIT: Duration = Duration::from_millis(150);
/// How long an interrupted mutant may take to stop before it counts as a hang.
const GRACE: Duration = Duration::from_secs(10);
/// Mutants of each file in the fixed-seed test.
const PER_FILE: usize = 10;

/// The folder the mutants' files go to, removed when the test ends. A mutant that
/// mangles the folder's own name fails to write (the folder it names does not exist).
struct Private(PathBuf);

impl Private {
    fn new() -> Private {
        let dir = std::env::temp_dir().join(format!("tsr-mutation-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        Private(dir)
    }
}

impl Drop for Private {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// The seed programs: every example and golden case, with the fixed `/tmp` paths the
/// cases write to moved into `private` so that mutants never touch the golden tests'
/// files.
fn seeds(private: &Private) -> Vec<(String, String)> {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let mut files = Vec::new();
    common::collect(&root.join("examples"), &mut files);
    common::collect(&root.join("tests/cases"), &mut files);
    let private = format!("{}/", private.0.display());
    files
        .iter()
        .map(|f| {
            let text = std::fs::read_to_string(f).unwrap();
            let name = f.strip_prefix(&root).unwrap().display().to_string();
            (name, text.replace("/tmp/tsr-golden-", &private))
        })
        .collect()
}

#[derive(Default)]
struct Tally {
    executions: u64,
    ok: u64,
    diagnostics: u64,
    interrupted: u64,
    panics: Vec<String>,
    hangs: Vec<String>,
}

impl Tally {
    fn run(&mut self, origin: &str, program: &str) {
        self.executions += 1;
        match common::run_bounded(program, MAX_MEMORY, LIMIT, GRACE) {
            Ending::Finished { interrupted: true, .. } => self.interrupted += 1,
            Ending::Finished { exit: 0, .. } => self.ok += 1,
            Ending::Finished { .. } => self.diagnostics += 1,
            Ending::Panicked(msg) => self.panics.push(format!(
                "mutant of {origin} panicked: {msg}\n--- program ---\n{program}"
            )),
            Ending::Hung => self.hangs.push(format!(
                "mutant of {origin} did not stop {GRACE:?} after the interrupt\n--- program ---\n{program}"
            )),
        }
    }

    fn summary(&self, elapsed: Duration) -> String {
        format!(
            "{} executions in {:.0} s ({:.0}/s): {} ok, {} ended in a diagnostic, {} interrupted at the time bound, {} panics, {} hangs",
            self.executions,
            elapsed.as_secs_f64(),
            self.executions as f64 / elapsed.as_secs_f64().max(1e-9),
            self.ok,
            self.diagnostics,
            self.interrupted,
            self.panics.len(),
            self.hangs.len()
        )
    }
}

#[test]
fn mutants_never_panic_or_hang() {
    if let Some(minutes) = std::env::var("TSR_CAMPAIGN_MINUTES")
        .ok()
        .and_then(|m| m.parse::<f64>().ok())
    {
        return campaign(minutes);
    }
    let private = Private::new();
    let seeds = seeds(&private);
    assert!(
        seeds.len() > 100,
        "expected the examples and cases, found {}",
        seeds.len()
    );
    let mut gen = Gen(0x5EED_0017_F022_AB1E);
    let mut tally = Tally::default();
    let start = Instant::now();
    for (name, text) in &seeds {
        for _ in 0..PER_FILE {
            let program = common::mutate_program(text, &mut gen);
            tally.run(name, &program);
        }
    }
    eprintln!("mutation: {}", tally.summary(start.elapsed()));
    assert!(tally.executions >= 3000);
    // The interrupt path must have been exercised, and most mutants must do something.
    assert!(tally.interrupted > 0, "no mutant ran into the time bound");
    assert!(tally.ok > 0 && tally.diagnostics > 0);
    let failures: Vec<&String> = tally.panics.iter().chain(&tally.hangs).collect();
    assert!(
        failures.is_empty(),
        "{} of {} mutants panicked or hung:\n\n{}",
        failures.len(),
        tally.executions,
        failures
            .iter()
            .map(|s| s.as_str())
            .collect::<Vec<_>>()
            .join("\n\n")
    );
}

/// A longer campaign: mutants of mutants for `minutes`, a report every minute, the
/// programs that panicked or hung written to `TSR_CAMPAIGN_OUT` (default
/// `target/campaign`).
fn campaign(minutes: f64) {
    let seed: u64 = std::env::var("TSR_CAMPAIGN_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(1);
    let out = std::env::var("TSR_CAMPAIGN_OUT")
        .unwrap_or_else(|_| format!("{}/target/campaign", env!("CARGO_MANIFEST_DIR")));
    let _ = std::fs::create_dir_all(&out);
    let private = Private::new();
    let seeds = seeds(&private);
    let mut gen = Gen(seed.wrapping_mul(0x9E3779B97F4A7C15) | 1);
    let mut tally = Tally::default();
    let start = Instant::now();
    let deadline = start + Duration::from_secs_f64(minutes * 60.0);
    let mut next_report = start + Duration::from_secs(60);
    let mut reported = 0;
    while Instant::now() < deadline {
        let (name, text) = gen.pick(&seeds);
        // Stack up to three rounds of mutation.
        let mut program = common::mutate_program(text, &mut gen);
        for _ in 0..gen.below(3) {
            program = common::mutate_program(&program, &mut gen);
        }
        tally.run(name, &program);
        let found = tally.panics.len() + tally.hangs.len();
        if found > reported {
            for (i, f) in tally
                .panics
                .iter()
                .chain(&tally.hangs)
                .enumerate()
                .skip(reported)
            {
                let _ = std::fs::write(format!("{out}/finding-{seed}-{i}.txt"), f);
                eprintln!("FINDING {i}: {}", f.lines().next().unwrap_or(""));
            }
            reported = found;
        }
        if Instant::now() >= next_report {
            eprintln!("campaign (seed {seed}): {}", tally.summary(start.elapsed()));
            next_report += Duration::from_secs(60);
        }
    }
    println!("campaign (seed {seed}): {}", tally.summary(start.elapsed()));
    assert_eq!(reported, 0, "findings written to {out}");
}

/// The loaders on mutated files: every `.npy`/`.npz` fixture and the iris CSV, cut and
/// edited from a fixed seed, through the same steps as `load` and `load_csv` (the size
/// checked before data is read): a value or an error, never a panic.
#[test]
fn mutated_data_files_never_panic() {
    use tsr::data::{csv, npy, npz};
    const MAX: u64 = 64 << 20;
    fn load_npy(bytes: &[u8]) {
        let Ok(h) = npy::read_header(bytes) else {
            return;
        };
        if npy::numel(&h.shape).is_none_or(|n| n as u64 * 4 > MAX) {
            return;
        }
        let _ = npy::read_data(&h, bytes);
    }
    let load_all = |data: &[u8]| {
        load_npy(data);
        if let Ok(entries) = npz::entries(data) {
            for e in &entries {
                if let Ok(member) = npz::read(data, e, MAX) {
                    load_npy(&member);
                }
            }
        }
        let text = String::from_utf8_lossy(data);
        let _ = csv::parse(&text, false);
        let _ = csv::parse(&text, true);
    };
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let mut files: Vec<PathBuf> = std::fs::read_dir(root.join("tests/fixtures/npy"))
        .unwrap()
        .filter_map(|e| e.ok())
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == "npy" || x == "npz"))
        .collect();
    files.sort();
    files.push(root.join("examples/data/iris.csv"));
    let mut gen = Gen(0xDA7A_F11E_5EED_0017);
    let mut runs = 0;
    let mut panics = Vec::new();
    for f in &files {
        let bytes = std::fs::read(f).unwrap();
        let mut variants: Vec<Vec<u8>> = (1..=16)
            .map(|k| bytes[..bytes.len() * k / 17].to_vec())
            .collect();
        for _ in 0..100 {
            let mut b = common::edit_bytes(&bytes, &mut gen);
            // Edits inside the header (sizes, shapes, offsets) matter most.
            if gen.below(2) == 0 && b.len() > 8 {
                let i = gen.below(b.len().min(160));
                b[i] = *gen.pick(&[0u8, 0xff, b'9', b'(', b',', 0x7f, 1]);
            }
            variants.push(b);
        }
        for v in variants {
            runs += 1;
            if std::panic::catch_unwind(|| load_all(&v)).is_err() {
                panics.push(format!("{}: a mutated file panicked a loader", f.display()));
            }
        }
    }
    eprintln!("loaders: {runs} mutated files of {} fixtures", files.len());
    assert!(panics.is_empty(), "{}", panics.join("\n"));
}
