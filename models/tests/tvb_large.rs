//! The engine's batched coupling on large connectomes against tvb-library
//! 2.10 (`tests/data/tvb_large/make_refs.py`): ReducedWongWang, Linear
//! coupling, Heun, dt 0.1 ms, speed 3 mm/ms, 1000 steps on synthetic
//! connectomes whose edges all reach past a batch (998 regions at 10 %; 300
//! at 50 %, rows longer than numpy's 128-term blocks) or mix zero-length
//! self-connections (rows summed step by step) with such edges. Every kept
//! sample must equal tvb-library's to the bit, stepped in odd chunks on 1, 2
//! and 3 engine threads (the threads meet once per batch there).

use brainstream_models::connectivity::Matrix;
use brainstream_models::coupling::Coupling;
use brainstream_models::integrator::Scheme;
use brainstream_models::*;
use std::path::PathBuf;

/// Minimal reader of a little-endian float64 C-order `.npy` file.
fn npy(name: &str) -> (Vec<usize>, Vec<f64>) {
    let p = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../tests/data/tvb_large")
        .join(name);
    let b = std::fs::read(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display()));
    assert_eq!(&b[..6], b"\x93NUMPY");
    let (hlen, start) = (u16::from_le_bytes([b[8], b[9]]) as usize, 10);
    let header = std::str::from_utf8(&b[start..start + hlen]).unwrap();
    assert!(header.contains("'descr': '<f8'") && header.contains("'fortran_order': False"));
    let sh = &header[header.find("'shape': (").unwrap() + 10..];
    let shape: Vec<usize> = sh[..sh.find(')').unwrap()]
        .split(',')
        .filter(|s| !s.trim().is_empty())
        .map(|s| s.trim().parse().unwrap())
        .collect();
    let data: Vec<f64> = b[start + hlen..]
        .chunks_exact(8)
        .map(|c| f64::from_le_bytes(c.try_into().unwrap()))
        .collect();
    assert_eq!(data.len(), shape.iter().product::<usize>());
    (shape, data)
}

/// benches/synthetic_connectome.py's connectome (xorshift64 from seed 42),
/// with a zero-length self-connection of weight 0.5 on every
/// `self_every`-th region when non-zero.
fn synthetic(n: usize, density: f64, self_every: usize) -> Connectivity {
    let mut s: u64 = 42;
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
    if self_every > 0 {
        for i in (0..n).step_by(self_every) {
            w[i * n + i] = 0.5;
            l[i * n + i] = 0.0;
        }
    }
    let m = |data| Matrix {
        rows: n,
        cols: n,
        data,
    };
    Connectivity::from_parts(m(w), m(l), None, None, "synthetic").unwrap()
}

fn check(name: &str, conn: Connectivity) {
    let info = model_info("ReducedWongWang").unwrap();
    let n = conn.n;
    let cfg = MeanFieldConfig {
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
    };
    let (shape, want) = npy(&format!("{name}_data.npy"));
    let (_, time) = npy(&format!("{name}_time.npy"));
    assert_eq!(shape, [20, n]);
    for threads in [1, 2, 3] {
        let mut sim = MeanFieldSim::with_threads(cfg.clone(), threads).unwrap();
        let mut all = vec![];
        for chunk in [40usize, 7, 300, 33, 620] {
            let mut o = vec![0.0; chunk * n];
            sim.run(chunk, &mut o).unwrap();
            all.extend(o);
        }
        for (k, t) in time.iter().enumerate() {
            // sample s is the state after s + 1 steps, at t = (s + 1)·dt
            let s = (t / 0.1).round() as usize - 1;
            for i in 0..n {
                assert_eq!(
                    all[s * n + i].to_bits(),
                    want[k * n + i].to_bits(),
                    "{name}, {threads} thread(s): region {i} at {t} ms: {} vs tvb-library {}",
                    all[s * n + i],
                    want[k * n + i]
                );
            }
        }
    }
}

#[test]
fn rww_on_998_synthetic_regions_is_tvbs_to_the_bit() {
    check("rww_syn998", synthetic(998, 0.1, 0));
}

#[test]
fn rows_longer_than_128_terms_are_tvbs_to_the_bit() {
    check("rww_syn300_dense", synthetic(300, 0.5, 0));
}

#[test]
fn batched_and_step_wise_rows_together_are_tvbs_to_the_bit() {
    check("rww_syn300_self", synthetic(300, 0.1, 3));
}
