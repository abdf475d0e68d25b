//! Coupling declarations on arbitrary text (`coupling = "mine.toml"`): read,
//! checked and lowered into a program or located problems, never a panic;
//! a program that checks is then evaluated (`pre` over a block, `post`)
//! without a panic.
//!
//!   cargo +nightly fuzz run coupling_decl fuzz/corpus/coupling_decl fuzz/seeds/coupling_decl -- -max_total_time=600
#![no_main]

use brainstream_models::modeldecl::coupling::{compile, CouplingEval, BLOCK};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let Ok((p, _warnings)) = compile("fuzz.toml", text) else {
        return;
    };
    let ev = CouplingEval::new(&p, &p.default_values());
    let mut scratch = ev.scratch();
    let mut inputs: Vec<f64> = (0..ev.n_inputs() * BLOCK)
        .map(|k| (k as f64 * 0.618).fract() - 0.5)
        .collect();
    let mut pre = vec![0.0; BLOCK];
    ev.pre_block(&mut scratch, &inputs, BLOCK, &mut pre);
    let _ = ev.post(&mut scratch, &mut inputs, pre[0], 1.0);
});
