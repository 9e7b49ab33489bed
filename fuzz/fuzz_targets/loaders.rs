//! Any bytes as a `.npy` file, a `.npz` archive and a CSV file: each loader returns a
//! value or an error, never a panic, and never allocates past its budget.

#![no_main]

use libfuzzer_sys::fuzz_target;
use tsr::data::{csv, npy, npz};

/// The budget the loaders are given (as `--max-memory`).
const MAX: u64 = 64 << 20;

fn load_npy(bytes: &[u8]) {
    let Ok(h) = npy::read_header(bytes) else {
        return;
    };
    // As the runtime does: the size is checked before any data is read.
    if npy::numel(&h.shape).is_none_or(|n| n as u64 * 4 > MAX) {
        return;
    }
    let _ = npy::read_data(&h, bytes);
}

fuzz_target!(|data: &[u8]| {
    tsr::tensor::set_max_tensor_bytes(MAX);
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
});
