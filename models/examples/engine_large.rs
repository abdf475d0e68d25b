//! The mean-field engine on a large connectome, alone: ReducedWongWang,
//! Linear coupling, HeunDeterministic, dt 0.1 ms, speed 3 mm/ms, on
//! benches/engine.rs's synthetic connectome (or a TVB zip), 1 and `threads`
//! engine threads, best of `reps`. Builds in seconds (the models crate
//! only), for iterating on the engine:
//!
//!   cargo run --release -p brainstream-models --example engine_large -- [N|FILE.zip] [steps] [reps] [threads]

use std::hint::black_box;
use std::path::Path;
use std::time::Instant;

use brainstream_models::connectivity::Matrix;
use brainstream_models::coupling::Coupling;
use brainstream_models::integrator::Scheme;
use brainstream_models::*;

fn synthetic(n: usize, density: f64, seed: u64) -> Connectivity {
    // xorshift, as benches/engine.rs and benches/synthetic_connectome.py
    let mut s = seed;
    let mut next = || {
        s ^= s << 13;
        s ^= s >> 7;
        s ^= s << 17;
        (s >> 11) as f64 / (1u64 << 53) as f64
    };
    let mut w = vec![0.0; n * n];
    let mut l = vec![0.0; n * n];
    for i in 0..n {
        for j in 0..n {
            if i != j && next() < density {
                w[i * n + j] = 3.0 * next() + 1e-3;
            }
            l[i * n + j] = 10.0 + 190.0 * next();
        }
    }
    let m = |data| Matrix {
        rows: n,
        cols: n,
        data,
    };
    Connectivity::from_parts(m(w), m(l), None, None, "synthetic").expect("synthetic connectome")
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let what = args.get(1).map_or("998", String::as_str);
    let steps: usize = args.get(2).and_then(|s| s.parse().ok()).unwrap_or(10_000);
    let reps: usize = args.get(3).and_then(|s| s.parse().ok()).unwrap_or(3);
    let threads: usize = args.get(4).and_then(|s| s.parse().ok()).unwrap_or(2);
    let conn = match what.parse::<usize>() {
        Ok(n) => synthetic(n, 0.1, 42),
        Err(_) => Connectivity::load(what, Path::new(".")).expect("connectome"),
    };
    let info = model_info("ReducedWongWang").expect("model");
    let make = |t: usize| {
        MeanFieldSim::with_threads(
            MeanFieldConfig {
                model: info,
                model_params: ParamSet::defaults(info.params),
                coupling: Coupling::new("Linear", [("a", 0.0042)]).expect("coupling"),
                connectivity: conn.clone(),
                speed_mm_per_ms: 3.0,
                dt_ms: 0.1,
                scheme: Scheme::Heun,
                noise: None,
                initial: InitialConditions::Golden,
                proxy_nodes: vec![],
            },
            t,
        )
        .expect("engine")
    };
    let n = conn.n;
    let mut last = vec![];
    for t in [1, threads] {
        let mut best = f64::INFINITY;
        for _ in 0..reps {
            let mut s = make(t);
            let mut out = vec![0.0; 1000 * n];
            let t0 = Instant::now();
            for _ in 0..steps / 1000 {
                s.run(1000, &mut out).expect("run");
            }
            best = best.min(t0.elapsed().as_secs_f64());
            black_box(&out);
            last = out;
        }
        let sum: f64 = last.iter().sum();
        println!(
            "{what}: {n} regions, nnz {}, {t} thread(s): {:.1} ms per {steps} steps (checksum {sum:.17e})",
            make(1).nnz(),
            best * 1e3
        );
    }
}
