//! The connectome readers on arbitrary files: a TVB zip, or a folder of
//! `weights`, `tract_lengths` and `centres` text files (CSV or
//! whitespace-separated). They must return a connectome or an error naming
//! the file and the cause, never panic, hang or inflate without bound.
//!
//! Input: byte 0 selects the format: 0 a zip (the rest is the file); 1 a
//! folder of `.csv`, 2 of `.txt` files (the rest split at NUL bytes into
//! weights, tract lengths and, if present, centres). HDF5 files have their
//! own target (`connectome_h5`).
//!
//!   cargo +nightly fuzz run connectome fuzz/corpus/connectome fuzz/seeds/connectome -- -max_total_time=600
#![no_main]

use brainstream_models::Connectivity;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Some((&sel, rest)) = data.split_first() else {
        return;
    };
    let dir = tempfile::tempdir().expect("a temporary folder");
    let spec = match sel % 3 {
        0 => {
            std::fs::write(dir.path().join("c.zip"), rest).expect("write");
            "c.zip"
        }
        k => {
            let ext = if k == 1 { "csv" } else { "txt" };
            let c = dir.path().join("c");
            std::fs::create_dir(&c).expect("mkdir");
            let mut parts = rest.splitn(3, |b| *b == 0);
            for name in ["weights", "tract_lengths", "centres"] {
                if let Some(p) = parts.next() {
                    std::fs::write(c.join(format!("{name}.{ext}")), p).expect("write");
                }
            }
            "c"
        }
    };
    match Connectivity::load(spec, dir.path()) {
        Ok(c) => {
            assert!(c.n > 0);
            let _ = c.delays_steps(3.0, 0.1);
        }
        Err(e) => {
            let _ = e.to_string();
        }
    }
});
