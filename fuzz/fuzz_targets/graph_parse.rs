//! The graph parser on arbitrary text: TOML or JSON, then `--set`
//! overrides, then the descriptor, with its error located in the text. It
//! must return a graph or an error naming the place, never panic, hang or
//! allocate without bound.
//!
//! Input: byte 0 selects the syntax (even: TOML, odd: JSON); the rest up to
//! the first NUL is the graph text, each line after it one `--set`
//! override.
//!
//!   cargo +nightly fuzz run graph_parse fuzz/corpus/graph_parse fuzz/seeds/graph_parse -- -max_total_time=600
#![no_main]

use brainstream_runtime::GraphSource;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Some((&sel, rest)) = data.split_first() else {
        return;
    };
    let (text, sets) = match rest.iter().position(|b| *b == 0) {
        Some(k) => (&rest[..k], &rest[k + 1..]),
        None => (rest, &[][..]),
    };
    let Ok(text) = std::str::from_utf8(text) else {
        return;
    };
    let sets: Vec<String> = String::from_utf8_lossy(sets)
        .lines()
        .map(str::to_string)
        .collect();
    let mut src = GraphSource::from_toml(text).with_overrides(sets);
    src.json = sel % 2 == 1;
    match src.parse() {
        Ok(desc) => {
            // what validation and provenance do with a parsed graph
            let _ = toml::to_string(&desc);
            let _ = src.provenance();
        }
        Err(e) => {
            let _ = e.to_string();
        }
    }
});
