//! The wire decoder on arbitrary bytes: it must return a message or an
//! error naming the edge, never panic, never allocate beyond its limit.
//!
//!   cargo +nightly fuzz run wire_decode fuzz/corpus/wire_decode fuzz/seeds/wire_decode -- -max_total_time=600
#![no_main]

use std::sync::Arc;

use brainstream_runtime::wire::{decode, Limits};
use brainstream_runtime::SeriesMeta;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let meta = Arc::new(SeriesMeta::new(
        vec!["E".into(), "I".into()],
        (0..3).map(|i| format!("r{i}")).collect(),
        "",
    ));
    let limits = Limits {
        max_payload: 1 << 20,
    };
    let _ = decode("fuzz", data, &limits, None);
    let _ = decode("fuzz", data, &limits, Some(&meta));
});
