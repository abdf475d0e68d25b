//! Model declarations on arbitrary text (`model = "mine.toml"`, `brainstream
//! model check`): the parser, the checks and the lowering must return a
//! program or located problems, never panic, hang or allocate without
//! bound; a program that checks must then evaluate (the batch evaluator,
//! on states spread through its ranges) and be written as WGSL (both
//! precisions) without a panic — NaN and infinities are values, not
//! failures.
//!
//!   cargo +nightly fuzz run model_decl fuzz/corpus/model_decl fuzz/seeds/model_decl -- -max_total_time=600
#![no_main]

use brainstream_models::modeldecl::{self, eval::Tape, wgsl};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let Ok((p, _warnings)) = modeldecl::compile("fuzz.toml", text) else {
        return;
    };
    let values = p.default_values();
    let tape = Tape::new(&p, &values, &[]);
    let (nv, nt) = (p.states.len(), p.cvar.len());
    let rows = 3;
    let x: Vec<f64> = (0..rows * nv)
        .map(|k| {
            let (lo, hi) = p.states[k % nv].range;
            lo + (hi - lo) * (k as f64 * 0.618).fract()
        })
        .collect();
    let c = vec![0.25; rows * nt];
    let mut dx = vec![0.0; rows * p.derivatives.len()];
    let mut scratch = vec![];
    tape.eval(&mut scratch, 0, nt, &x, &c, &mut dx);
    for prec in [wgsl::Precision::F64, wgsl::Precision::F32] {
        let _ = wgsl::model(&p, prec);
    }
    let _ = wgsl::f32_error(&p, &values);
});
