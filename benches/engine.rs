//! Engine throughput: ReducedWongWang, Linear coupling, HeunDeterministic,
//! dt 0.1 ms, 1 s simulated, on TVB's 76- and 192-region connectomes and a
//! synthetic 1000-region one; against the floor of the delayed coupling
//! (one float32 delayed read and one multiply-add per non-zero weight and
//! step, nothing else) on the same data.
//!
//! `cargo bench --bench engine` (add `-- --quick` for one repetition).

use std::hint::black_box;
use std::path::Path;
use std::time::Instant;

use brainstream::models::connectivity::Matrix;
use brainstream::models::coupling::Coupling;
use brainstream::models::integrator::Scheme;
use brainstream::models::*;

fn synthetic(n: usize, density: f64, seed: u64) -> Connectivity {
    // xorshift; weights in (0, 3], lengths in [10, 200) mm
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
    Connectivity::from_parts(
        Matrix {
            rows: n,
            cols: n,
            data: w,
        },
        Matrix {
            rows: n,
            cols: n,
            data: l,
        },
        None,
        None,
        "synthetic",
    )
    .unwrap()
}

fn sim(conn: Connectivity, threads: usize) -> MeanFieldSim {
    let info = model_info("ReducedWongWang").unwrap();
    MeanFieldSim::with_threads(
        MeanFieldConfig {
            model: info,
            model_params: ParamSet::defaults(info.params),
            coupling: Coupling::new("Linear", [("a", 0.0042)]).unwrap(),
            connectivity: conn,
            speed_mm_per_ms: 3.0,
            dt_ms: 0.1,
            scheme: Scheme::Heun,
            noise: None,
            initial: InitialConditions::Golden,
            proxy_nodes: vec![],
        },
        threads,
    )
    .unwrap()
}

/// The least work per step: for every non-zero weight one delayed read from
/// a float32 ring and one multiply-add, summed per target region.
fn floor(conn: &Connectivity, steps: usize) -> f64 {
    let n = conn.n;
    let d = conn.delays_steps(3.0, 0.1).unwrap();
    let h = d.iter().max().unwrap() + 1;
    let mut rows = vec![0usize; n + 1];
    let (mut w, mut off) = (vec![], vec![]);
    for i in 0..n {
        for j in 0..n {
            if conn.weights[i * n + j] != 0.0 {
                w.push(conn.weights[i * n + j] as f32);
                off.push(j * 2 * h + h - d[i * n + j]);
            }
        }
        rows[i + 1] = w.len();
    }
    let mut hist = vec![0.5f32; n * 2 * h];
    let mut c = vec![0f32; n];
    let t = Instant::now();
    for s in 0..steps {
        let p = s % h;
        for i in 0..n {
            let mut acc = 0f32;
            for e in rows[i]..rows[i + 1] {
                acc += w[e] * hist[off[e] + p];
            }
            c[i] = acc;
        }
        // feed back so nothing is optimised away
        let q = (s + 1) % h;
        for i in 0..n {
            let v = 0.5 + 1e-6 * c[i];
            hist[i * 2 * h + q] = v;
            hist[i * 2 * h + q + h] = v;
        }
    }
    black_box(&c);
    t.elapsed().as_secs_f64()
}

fn best<F: FnMut() -> f64>(reps: usize, mut f: F) -> f64 {
    (0..reps).map(|_| f()).fold(f64::INFINITY, f64::min)
}

fn main() {
    // `cargo bench` passes --bench; `cargo test --all-targets` does not, and
    // then this runs as a smoke test on small sizes.
    let bench = std::env::args().any(|a| a == "--bench");
    let quick = std::env::args().any(|a| a == "--quick");
    let reps = if quick || !bench { 1 } else { 5 };
    let data = Path::new(env!("CARGO_MANIFEST_DIR")).join("data/connectivity");
    let mut cases = vec![("tvb76", Connectivity::tvb76())];
    if bench {
        cases.push((
            "tvb192",
            Connectivity::load("connectivity_192.zip", &data).unwrap(),
        ));
        cases.push(("synthetic1000 (10% dense)", synthetic(1000, 0.1, 42)));
    }
    // 1 s at dt = 0.1 ms
    let steps = if bench { 10_000 } else { 1_000 };
    let sim_s = steps as f64 * 1e-4;
    let cores = std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(1);
    println!("| connectome | regions | nnz | engine ms per {sim_s} s simulated, 1 thread | µs/step | floor ms | engine/floor | {cores} threads, ms |");
    println!("|---|---|---|---|---|---|---|---|");
    for (name, conn) in cases {
        let nnz = conn.weights.iter().filter(|w| **w != 0.0).count();
        let n = conn.n;
        let timed = |threads: usize| {
            best(reps, || {
                let mut s = sim(conn.clone(), threads);
                let mut out = vec![0.0; 1000 * n];
                let t = Instant::now();
                for _ in 0..steps / 1000 {
                    s.run(1000, &mut out).unwrap();
                }
                black_box(&out);
                t.elapsed().as_secs_f64()
            })
        };
        let engine = timed(1);
        let par = timed(cores);
        let fl = best(reps, || floor(&conn, steps));
        println!(
            "| {name} | {n} | {nnz} | {:.1} | {:.2} | {:.1} | {:.2} | {:.1} |",
            engine * 1e3,
            engine * 1e6 / steps as f64,
            fl * 1e3,
            engine / fl,
            par * 1e3
        );
    }
}
