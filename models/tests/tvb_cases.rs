//! The engine, its couplings, integrators, noise and monitors against real
//! tvb-library 2.10 runs made by `tests/data/tvb_cases/make_refs.py` (76
//! regions, speed 3 mm/ms, dt 0.1 ms, constant initial history, every state
//! variable). Tolerance: max |ours − TVB| ≤ 1e-6 · max |TVB| over every
//! sample and variable (the bar); the measured errors are printed.

use brainstream_models::coupling::Coupling;
use brainstream_models::integrator::Scheme;
use brainstream_models::monitors::{Bold, SubSample, TemporalAverage};
use brainstream_models::*;
use std::path::PathBuf;

/// Minimal reader of a little-endian float64 C-order `.npy` file.
fn npy(name: &str) -> (Vec<usize>, Vec<f64>) {
    let p = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../tests/data/tvb_cases")
        .join(name);
    let b = std::fs::read(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display()));
    assert_eq!(&b[..6], b"\x93NUMPY");
    let (hlen, start) = if b[6] == 1 {
        (u16::from_le_bytes([b[8], b[9]]) as usize, 10)
    } else {
        (u32::from_le_bytes([b[8], b[9], b[10], b[11]]) as usize, 12)
    };
    let header = std::str::from_utf8(&b[start..start + hlen]).unwrap();
    assert!(
        header.contains("'descr': '<f8'") && header.contains("'fortran_order': False"),
        "{header}"
    );
    let sh = &header[header.find("'shape': (").unwrap() + 10..];
    let sh = &sh[..sh.find(')').unwrap()];
    let shape: Vec<usize> = sh
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

enum Mon {
    Raw,
    Tavg(f64),
    Sub(f64),
    Bold(f64),
}

struct Case {
    name: &'static str,
    model: &'static str,
    coupling: &'static str,
    cparams: &'static [(&'static str, f64)],
    scheme: Scheme,
    noise: Option<(f64, u32)>,
    multiplicative: bool,
    mon: Mon,
    length_ms: f64,
}

const HORIZON: u64 = 513;

fn check(c: &Case) -> f64 {
    let info = model_info(c.model).unwrap();
    let cfg = MeanFieldConfig {
        model: info,
        model_params: ParamSet::defaults(info.params),
        coupling: Coupling::new(c.coupling, c.cparams.iter().copied()).unwrap(),
        connectivity: Connectivity::tvb76(),
        speed_mm_per_ms: 3.0,
        dt_ms: 0.1,
        scheme: c.scheme,
        noise: c.noise.map(|(nsig, seed)| NoiseConfig {
            kind: if c.multiplicative {
                NoiseKind::Multiplicative { a: 1.0, b: 0.0 }
            } else {
                NoiseKind::Additive
            },
            nsig: vec![nsig],
            seed,
        }),
        initial: InitialConditions::Golden,
        proxy_nodes: vec![],
    };
    let mut sim = MeanFieldSim::new(cfg).unwrap();
    assert_eq!(sim.horizon() as u64, HORIZON);
    let n = 76;
    let nv = info.nvar();
    let steps = (c.length_ms / 0.1).round() as usize;
    let mut raw = vec![0.0; steps * nv * n];
    sim.run(steps, &mut raw).unwrap();
    let state = |k: usize| &raw[k * nv * n..(k + 1) * nv * n];
    // our samples: (time, values)
    let ours: Vec<(f64, Vec<f64>)> = match c.mon {
        // TVB's Raw stamps step s at s·dt with s counted from the end of the
        // initial history; make_refs.py keeps every 10th sample.
        Mon::Raw => (0..steps)
            .filter(|k| (k + 1) % 10 == 0)
            .map(|k| {
                (
                    ((k as u64 + 1) + HORIZON - 1) as f64 * 0.1,
                    state(k).to_vec(),
                )
            })
            .collect(),
        Mon::Tavg(p) => {
            let mut m = TemporalAverage::new(p, 0.1, HORIZON - 1, nv * n).unwrap();
            (0..steps)
                .filter_map(|k| m.sample(k as u64 + 1, state(k)))
                .map(|s| (s.time_ms, s.values))
                .collect()
        }
        Mon::Sub(p) => {
            let mut m = SubSample::new(p, 0.1, HORIZON - 1).unwrap();
            (0..steps)
                .filter_map(|k| m.sample(k as u64 + 1, state(k)))
                .map(|s| (s.time_ms, s.values))
                .collect()
        }
        Mon::Bold(p) => {
            let mut m = Bold::new(p, 20000.0, 0.1, HORIZON - 1, nv * n).unwrap();
            (0..steps)
                .filter_map(|k| m.sample(k as u64 + 1, state(k)))
                .map(|s| (s.time_ms, s.values))
                .collect()
        }
    };
    let (shape, want) = npy(&format!("{}_data.npy", c.name));
    let (_, times) = npy(&format!("{}_time.npy", c.name));
    assert_eq!(
        shape,
        vec![ours.len(), nv, n],
        "{}: sample count or shape",
        c.name
    );
    let mut max_err: f64 = 0.0;
    let mut max_ref: f64 = 0.0;
    for (s, (t, v)) in ours.iter().enumerate() {
        assert!(
            (t - times[s]).abs() < 1e-9,
            "{}: time {t} vs TVB {}",
            c.name,
            times[s]
        );
        let mut e_s: f64 = 0.0;
        for (a, b) in v.iter().zip(&want[s * nv * n..(s + 1) * nv * n]) {
            e_s = e_s.max((a - b).abs());
            max_err = max_err.max((a - b).abs());
            max_ref = max_ref.max(b.abs());
        }
        if std::env::var("TVB_CASE_TRACE").is_ok() {
            eprintln!("{} sample {s} t {t}: max|err| {e_s:.3e}", c.name);
        }
    }
    let rel = max_err / max_ref;
    eprintln!("{:<24} max|err| {max_err:.3e}  relative {rel:.3e}", c.name);
    rel
}

fn run(c: Case) {
    let rel = check(&c);
    assert!(
        rel <= 1e-6,
        "{}: relative error {rel:e} exceeds 1e-6",
        c.name
    );
}

const LIN: &[(&str, f64)] = &[("a", 0.0042), ("b", 0.0)];

#[test]
fn reduced_wong_wang_exc_inh_heun() {
    run(Case {
        name: "rwwei_heun",
        model: "ReducedWongWangExcInh",
        coupling: "Linear",
        cparams: LIN,
        scheme: Scheme::Heun,
        noise: None,
        multiplicative: false,
        mon: Mon::Raw,
        length_ms: 100.0,
    });
}

#[test]
fn jansen_rit_sigmoidal_jansen_rit_heun() {
    run(Case {
        name: "jr_sjr_heun",
        model: "JansenRit",
        coupling: "SigmoidalJansenRit",
        cparams: &[("a", 1.0)],
        scheme: Scheme::Heun,
        noise: None,
        multiplicative: false,
        mon: Mon::Raw,
        length_ms: 100.0,
    });
}

#[test]
fn wilson_cowan_heun() {
    run(Case {
        name: "wc_heun",
        model: "WilsonCowan",
        coupling: "Linear",
        cparams: LIN,
        scheme: Scheme::Heun,
        noise: None,
        multiplicative: false,
        mon: Mon::Raw,
        length_ms: 100.0,
    });
}

#[test]
fn kuramoto_kuramoto_coupling_euler() {
    run(Case {
        name: "kuramoto_euler",
        model: "Kuramoto",
        coupling: "Kuramoto",
        cparams: &[("a", 0.02)],
        scheme: Scheme::Euler,
        noise: None,
        multiplicative: false,
        mon: Mon::Raw,
        length_ms: 100.0,
    });
}

#[test]
fn montbrio_pazo_roxin_rk4() {
    run(Case {
        name: "mpr_rk4",
        model: "MontbrioPazoRoxin",
        coupling: "Linear",
        cparams: LIN,
        scheme: Scheme::Rk4,
        noise: None,
        multiplicative: false,
        mon: Mon::Raw,
        length_ms: 100.0,
    });
}

#[test]
fn generic_2d_oscillator_difference_coupling() {
    run(Case {
        name: "g2d_difference_heun",
        model: "Generic2dOscillator",
        coupling: "Difference",
        cparams: &[("a", 0.05)],
        scheme: Scheme::Heun,
        noise: None,
        multiplicative: false,
        mon: Mon::Raw,
        length_ms: 100.0,
    });
}

#[test]
fn generic_2d_oscillator_sigmoidal_coupling() {
    run(Case {
        name: "g2d_sigmoidal_heun",
        model: "Generic2dOscillator",
        coupling: "Sigmoidal",
        cparams: &[],
        scheme: Scheme::Heun,
        noise: None,
        multiplicative: false,
        mon: Mon::Raw,
        length_ms: 100.0,
    });
}

#[test]
fn heun_stochastic_reproduces_tvb_noise() {
    run(Case {
        name: "g2d_heun_stochastic",
        model: "Generic2dOscillator",
        coupling: "Linear",
        cparams: LIN,
        scheme: Scheme::Heun,
        noise: Some((1e-3, 42)),
        multiplicative: false,
        mon: Mon::Raw,
        length_ms: 100.0,
    });
}

#[test]
fn euler_stochastic_reproduces_tvb_noise() {
    run(Case {
        name: "rww_euler_stochastic",
        model: "ReducedWongWang",
        coupling: "Linear",
        cparams: LIN,
        scheme: Scheme::Euler,
        noise: Some((1e-5, 7)),
        multiplicative: false,
        mon: Mon::Raw,
        length_ms: 100.0,
    });
}

#[test]
fn temporal_average_monitor() {
    run(Case {
        name: "rww_tavg",
        model: "ReducedWongWang",
        coupling: "Linear",
        cparams: LIN,
        scheme: Scheme::Heun,
        noise: None,
        multiplicative: false,
        mon: Mon::Tavg(1.0),
        length_ms: 100.0,
    });
}

#[test]
fn subsample_monitor() {
    run(Case {
        name: "rww_subsample",
        model: "ReducedWongWang",
        coupling: "Linear",
        cparams: LIN,
        scheme: Scheme::Heun,
        noise: None,
        multiplicative: false,
        mon: Mon::Sub(2.0),
        length_ms: 100.0,
    });
}

#[test]
fn bold_monitor() {
    run(Case {
        name: "g2d_bold",
        model: "Generic2dOscillator",
        coupling: "Linear",
        cparams: LIN,
        scheme: Scheme::Heun,
        noise: None,
        multiplicative: false,
        mon: Mon::Bold(500.0),
        length_ms: 3000.0,
    });
}

#[test]
fn heun_stochastic_multiplicative_noise() {
    run(Case {
        name: "g2d_heun_multiplicative",
        model: "Generic2dOscillator",
        coupling: "Linear",
        cparams: LIN,
        scheme: Scheme::Heun,
        noise: Some((1e-4, 3)),
        multiplicative: true,
        mon: Mon::Raw,
        length_ms: 100.0,
    });
}
