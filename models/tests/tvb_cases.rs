//! The engine, its couplings, integrators, noise and monitors against real
//! tvb-library 2.10 runs made by `tests/data/tvb_cases/make_refs.py` (76
//! regions, speed 3 mm/ms, dt 0.1 ms, constant initial history, every state
//! variable). Tolerance: max |ours − TVB| ≤ 1e-6 · max |TVB| over every
//! sample, for every state variable on its own scale (the bar); the
//! measured errors are printed.

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
    noise: Option<(&'static [f64], u32)>,
    multiplicative: bool,
    mon: Mon,
    length_ms: f64,
    /// model parameters other than tvb-library's defaults
    mparams: &'static [(&'static str, f64)],
    /// initial state from NAME_ic.npy instead of the golden one
    ic_file: bool,
}

const HORIZON: u64 = 513;

fn check(c: &Case) -> f64 {
    let info = model_info(c.model).unwrap();
    let cfg = MeanFieldConfig {
        model: info,
        model_params: ParamSet::from_overrides(info.name, info.params, c.mparams.iter().copied())
            .unwrap(),
        coupling: Coupling::new(c.coupling, c.cparams.iter().copied()).unwrap(),
        connectivity: Connectivity::tvb76(),
        speed_mm_per_ms: 3.0,
        dt_ms: 0.1,
        scheme: c.scheme,
        noise: c.noise.map(|(nsig, seed)| NoiseConfig {
            stream: Default::default(),
            kind: if c.multiplicative {
                NoiseKind::Multiplicative { a: 1.0, b: 0.0 }
            } else {
                NoiseKind::Additive
            },
            nsig: nsig.to_vec(),
            seed,
        }),
        initial: if c.ic_file {
            InitialConditions::Values(npy(&format!("{}_ic.npy", c.name)).1)
        } else {
            InitialConditions::Golden
        },
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
    // per state variable: (max |err|, max |TVB|)
    let mut per_var = vec![(0.0f64, 0.0f64); nv];
    for (s, (t, v)) in ours.iter().enumerate() {
        assert!(
            (t - times[s]).abs() < 1e-9,
            "{}: time {t} vs TVB {}",
            c.name,
            times[s]
        );
        let mut e_s: f64 = 0.0;
        for (k, (a, b)) in v
            .iter()
            .zip(&want[s * nv * n..(s + 1) * nv * n])
            .enumerate()
        {
            let pv = &mut per_var[k / n];
            pv.0 = pv.0.max((a - b).abs());
            pv.1 = pv.1.max(b.abs());
            e_s = e_s.max((a - b).abs());
            max_err = max_err.max((a - b).abs());
            max_ref = max_ref.max(b.abs());
        }
        if std::env::var("TVB_CASE_TRACE").is_ok() {
            eprintln!("{} sample {s} t {t}: max|err| {e_s:.3e}", c.name);
        }
    }
    let rel = max_err / max_ref;
    // worst relative error of any one state variable (a variable that TVB
    // keeps at exactly zero must stay exactly zero)
    let worst_var = per_var
        .iter()
        .map(|&(e, r)| {
            if r > 0.0 {
                e / r
            } else if e == 0.0 {
                0.0
            } else {
                f64::INFINITY
            }
        })
        .fold(0.0f64, f64::max);
    eprintln!(
        "{:<24} max|err| {max_err:.3e}  relative {rel:.3e}  worst variable {worst_var:.3e}",
        c.name
    );
    rel.max(worst_var)
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
        mparams: &[],
        ic_file: false,
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
        mparams: &[],
        ic_file: false,
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
        mparams: &[],
        ic_file: false,
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
        mparams: &[],
        ic_file: false,
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
        mparams: &[],
        ic_file: false,
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
        mparams: &[],
        ic_file: false,
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
        mparams: &[],
        ic_file: false,
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
        noise: Some((&[1e-3], 42)),
        multiplicative: false,
        mon: Mon::Raw,
        length_ms: 100.0,
        mparams: &[],
        ic_file: false,
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
        noise: Some((&[1e-5], 7)),
        multiplicative: false,
        mon: Mon::Raw,
        length_ms: 100.0,
        mparams: &[],
        ic_file: false,
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
        mparams: &[],
        ic_file: false,
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
        mparams: &[],
        ic_file: false,
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
        mparams: &[],
        ic_file: false,
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
        noise: Some((&[1e-4], 3)),
        multiplicative: true,
        mon: Mon::Raw,
        length_ms: 100.0,
        mparams: &[],
        ic_file: false,
    });
}

/// The TVB-AdEx settings of Goldman et al. 2020 used by make_refs.py (`ADEX`).
const ADEX: &[(&str, f64)] = &[
    ("E_L_e", -63.0),
    ("E_L_i", -65.0),
    ("T", 40.0),
    ("a_e", 0.0),
    ("b_e", 60.0),
    ("external_input_ex_ex", 0.315e-3),
    ("external_input_in_ex", 0.315e-3),
    ("tau_w_e", 500.0),
    ("weight_noise", 1e-4),
    ("Q_e", 1.5),
    ("Q_i", 5.0),
];

#[test]
fn zerlaut_adaptation_second_order_heun() {
    run(Case {
        name: "adex2_heun",
        model: "ZerlautAdaptationSecondOrder",
        coupling: "Linear",
        cparams: &[("a", 0.3), ("b", 0.0)],
        scheme: Scheme::Heun,
        noise: None,
        multiplicative: false,
        mon: Mon::Raw,
        length_ms: 200.0,
        mparams: ADEX,
        ic_file: true,
    });
}

#[test]
fn zerlaut_adaptation_first_order_heun() {
    run(Case {
        name: "adex1_heun",
        model: "ZerlautAdaptationFirstOrder",
        coupling: "Linear",
        cparams: &[("a", 0.3), ("b", 0.0)],
        scheme: Scheme::Heun,
        noise: None,
        multiplicative: false,
        mon: Mon::Raw,
        length_ms: 200.0,
        mparams: ADEX,
        ic_file: true,
    });
}

#[test]
fn zerlaut_adaptation_second_order_heun_stochastic() {
    run(Case {
        name: "adex2_heun_stochastic",
        model: "ZerlautAdaptationSecondOrder",
        coupling: "Linear",
        cparams: &[("a", 0.3), ("b", 0.0)],
        scheme: Scheme::Heun,
        noise: Some((&[0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 1.0], 11)),
        multiplicative: false,
        mon: Mon::Raw,
        length_ms: 200.0,
        mparams: ADEX,
        ic_file: true,
    });
}
