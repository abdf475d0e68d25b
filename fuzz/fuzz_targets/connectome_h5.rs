//! The HDF5 connectome reader on arbitrary files (`weights`,
//! `tract_lengths`, optional `centres` and `region_labels` datasets): a
//! connectome or an error naming the file and the cause, never a panic,
//! hang or unbounded read. libhdf5 itself parses the file: a crash inside
//! it is a libhdf5 fault, reported as such.
//!
//!   cargo +nightly fuzz run connectome_h5 fuzz/corpus/connectome_h5 fuzz/seeds/connectome_h5 -- -max_total_time=600
#![no_main]

use brainstream_models::Connectivity;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let dir = tempfile::tempdir().expect("a temporary folder");
    std::fs::write(dir.path().join("c.h5"), data).expect("write");
    match Connectivity::load("c.h5", dir.path()) {
        Ok(c) => {
            assert!(c.n > 0);
            let _ = c.delays_steps(3.0, 0.1);
        }
        Err(e) => {
            let _ = e.to_string();
        }
    }
});
