//! The engine, its couplings, integrators, noise and monitors against real
//! tvb-library 2.10 runs made by `tests/data/tvb_cases/make_refs.py` (76
//! regions, speed 3 mm/ms, dt 0.1 ms (0.01 ms for three models), constant
//! initial history, every state variable). Tolerance: max |ours − TVB| ≤
//! 1e-6 · max |TVB| over every sample, for every state variable on its own
//! scale (the bar); the measured errors are printed. The stimulus
//! cases (`make_refs_stimulus.py`) and the coloured-noise cases
//! (`make_refs_noise.py`) are bit-identical.

use brainstream_models::coupling::Coupling;
use brainstream_models::integrator::Scheme;
use brainstream_models::monitors::{Bold, SubSample, TemporalAverage};
use brainstream_models::*;
use std::path::PathBuf;

#[path = "parts/analytic_gain.rs"]
mod analytic_gain;
#[path = "parts/surface.rs"]
mod surface;

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
    /// Bold with another of tvb-library's kernels (its defaults)
    BoldKernel(f64, &'static str),
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

/// The initial history of the dt = 0.1 ms cases, steps (the longest delay of
/// tvb76 at 3 mm/ms, + 1).
const HORIZON: u64 = 513;

fn check(c: &Case) -> f64 {
    check_at(c, 0.1)
}

/// `check` at time step `dt` (ms): the case's JSON gives its initial history
/// (`horizon`), and one sample per ms is compared (every 10th step at 0.1 ms,
/// every 100th at 0.01 ms), as make_refs.py keeps them.
fn check_at(c: &Case, dt: f64) -> f64 {
    check_stim(c, dt, true)
}

/// tvb-library's stimulus of a case (its JSON's `stimulus`: a temporal
/// equation and weights by label) for `steps` steps: `steps × N` values,
/// `weight_i · temporal(k·dt)` for step k (tvb-library's time grid starts
/// at 0 with the run). Checks the JSON's `stvar` against the model's.
fn stimulus_of(meta: &serde_json::Value, info: &ModelInfo, steps: usize, dt: f64) -> Vec<f64> {
    let st = &meta["stimulus"];
    let stvar: Vec<usize> = serde_json::from_value(st["stvar"].clone()).unwrap();
    assert_eq!(stvar, info.stimulus, "{}: stvar", info.name);
    let params: Vec<(String, f64)> = st["params"]
        .as_object()
        .unwrap()
        .iter()
        .map(|(k, v)| (k.clone(), v.as_f64().unwrap()))
        .collect();
    let eq = stimulus::Temporal::new(
        st["equation"].as_str().unwrap(),
        params.iter().map(|(k, v)| (k.as_str(), *v)),
    )
    .unwrap();
    let conn = Connectivity::tvb76();
    let mut w = vec![0.0; conn.n];
    for (label, v) in st["weights"].as_object().unwrap() {
        let i = conn.labels.iter().position(|l| l == label).unwrap();
        w[i] = v.as_f64().unwrap();
    }
    let mut out = vec![0.0; steps * conn.n];
    for k in 0..steps {
        let v = eq.eval(k as f64 * dt);
        for (i, wi) in w.iter().enumerate() {
            out[k * conn.n + i] = wi * v;
        }
    }
    out
}

/// `check_at`, with the case's stimulus (if its JSON has one) applied or
/// not (`with_stimulus`).
fn check_stim(c: &Case, dt: f64, with_stimulus: bool) -> f64 {
    check_with(c, dt, with_stimulus, None, &[])
}

/// `check_stim` with the noise's correlation time `ntau` (ms): the case's
/// JSON's (`ntau`, 0 without it) unless `ntau` is given; the run is made in
/// calls of `chunks` steps, then one call for the rest.
fn check_with(c: &Case, dt: f64, with_stimulus: bool, ntau: Option<f64>, chunks: &[usize]) -> f64 {
    let info = model_info(c.model).unwrap();
    let mut model_params =
        ParamSet::from_overrides(info.name, info.params, c.mparams.iter().copied()).unwrap();
    // per-region parameter arrays, as the case's JSON gives them
    let meta: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(
            PathBuf::from(env!("CARGO_MANIFEST_DIR"))
                .join("../tests/data/tvb_cases")
                .join(format!("{}.json", c.name)),
        )
        .unwrap(),
    )
    .unwrap();
    if let Some(regional) = meta.get("regional").and_then(|r| r.as_object()) {
        for (k, v) in regional {
            let v: Vec<f64> = serde_json::from_value(v.clone()).unwrap();
            model_params.set_regional(info.name, k, &v).unwrap();
        }
    }
    let cfg = MeanFieldConfig {
        model: info,
        model_params,
        coupling: Coupling::new(c.coupling, c.cparams.iter().copied()).unwrap(),
        connectivity: Connectivity::tvb76(),
        speed_mm_per_ms: 3.0,
        dt_ms: dt,
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
            ntau_ms: ntau.unwrap_or_else(|| meta.get("ntau").map_or(0.0, |t| t.as_f64().unwrap())),
        }),
        initial: if c.ic_file {
            InitialConditions::Values(npy(&format!("{}_ic.npy", c.name)).1)
        } else {
            InitialConditions::Golden
        },
        proxy_nodes: vec![],
    };
    let mut sim = MeanFieldSim::new(cfg).unwrap();
    let horizon = meta["horizon"].as_u64().unwrap();
    assert_eq!(sim.horizon() as u64, horizon);
    if dt == 0.1 {
        assert_eq!(horizon, HORIZON);
    }
    let decimate = (1.0 / dt).round() as usize;
    let n = 76;
    let nv = info.nvar();
    let steps = (c.length_ms / dt).round() as usize;
    let mut raw = vec![0.0; steps * nv * n];
    match meta.get("stimulus").filter(|_| with_stimulus) {
        Some(_) => {
            let values = stimulus_of(&meta, info, steps, dt);
            sim.run_stimulated(
                steps,
                &mut raw,
                None,
                None,
                Some(StimulusInput { values: &values }),
            )
            .unwrap()
        }
        None => {
            let mut done = 0;
            for &k in chunks.iter().chain(std::iter::once(&usize::MAX)) {
                let k = k.min(steps - done);
                sim.run(k, &mut raw[done * nv * n..(done + k) * nv * n])
                    .unwrap();
                done += k;
            }
        }
    }
    let state = |k: usize| &raw[k * nv * n..(k + 1) * nv * n];
    // our samples: (time, values)
    let ours: Vec<(f64, Vec<f64>)> = match c.mon {
        // TVB's Raw stamps step s at s·dt with s counted from the end of the
        // initial history; make_refs.py keeps one sample per ms.
        Mon::Raw => (0..steps)
            .filter(|k| (k + 1) % decimate == 0)
            .map(|k| {
                (
                    ((k as u64 + 1) + horizon - 1) as f64 * dt,
                    state(k).to_vec(),
                )
            })
            .collect(),
        Mon::Tavg(p) => {
            let mut m = TemporalAverage::new(p, dt, horizon - 1, nv * n).unwrap();
            (0..steps)
                .filter_map(|k| m.sample(k as u64 + 1, state(k)))
                .map(|s| (s.time_ms, s.values))
                .collect()
        }
        Mon::Sub(p) => {
            let mut m = SubSample::new(p, dt, horizon - 1).unwrap();
            (0..steps)
                .filter_map(|k| m.sample(k as u64 + 1, state(k)))
                .map(|s| (s.time_ms, s.values))
                .collect()
        }
        Mon::Bold(p) => {
            let mut m = Bold::new(p, 20000.0, dt, horizon - 1, nv * n).unwrap();
            (0..steps)
                .filter_map(|k| m.sample(k as u64 + 1, state(k)))
                .map(|s| (s.time_ms, s.values))
                .collect()
        }
        Mon::BoldKernel(p, kernel) => {
            let k = brainstream_models::monitors::HrfKernel::new(kernel, []).unwrap();
            let mut m = Bold::with_kernel(&k, p, 20000.0, dt, horizon - 1, nv * n).unwrap();
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

/// Bit-identical: SigmoidalJansenRit is a dense coupling in tvb-library
/// (every source, zero weights included, `sum(axis=2)` starting from 0 in
/// numpy 2: `0 + pairwise(all N)`); summing the non-zero weights only, or
/// from the first term as `reduceat` does, left 4e-18 relative.
#[test]
fn jansen_rit_sigmoidal_jansen_rit_heun() {
    let rel = check(&Case {
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
    assert_eq!(rel, 0.0, "not bit-identical: {rel:e}");
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

/// tvb-library's other haemodynamic kernels (make_refs_bold.py): the BOLD
/// of the g2d_bold run with `Gamma`, `DoubleExponential` and
/// `MixtureOfGammas` at their defaults (no `− 1` and `k_1·V_0` scaling:
/// tvb-library applies those to the Volterra kernel only).
#[test]
fn bold_monitor_with_other_kernels() {
    for (name, kernel) in [
        ("g2d_bold_gamma", "Gamma"),
        ("g2d_bold_dexp", "DoubleExponential"),
        ("g2d_bold_mog", "MixtureOfGammas"),
    ] {
        let rel = check(&Case {
            name,
            model: "Generic2dOscillator",
            coupling: "Linear",
            cparams: LIN,
            scheme: Scheme::Heun,
            noise: None,
            multiplicative: false,
            mon: Mon::BoldKernel(500.0, kernel),
            length_ms: 3000.0,
            mparams: &[],
            ic_file: false,
        });
        println!("{name}: relative error {rel:e}");
        assert!(rel <= 1e-12, "{name}: relative error {rel:e} exceeds 1e-12");
    }
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

/// Per-region parameters (`make_refs_regional.py`): tvb-library's numba
/// kernel reads each region's value; the engine steps each region with its
/// own parameter set — bit-identical.
#[test]
fn reduced_wong_wang_per_region_parameters() {
    let rel = check(&Case {
        name: "rww_regional_heun",
        model: "ReducedWongWang",
        coupling: "Linear",
        cparams: LIN,
        scheme: Scheme::Heun,
        noise: None,
        multiplicative: false,
        mon: Mon::Raw,
        length_ms: 200.0,
        mparams: &[],
        ic_file: false,
    });
    assert_eq!(rel, 0.0, "not bit-identical: {rel:e}");
}

#[test]
fn generic_2d_oscillator_per_region_parameter_with_noise() {
    let rel = check(&Case {
        name: "g2d_regional_stochastic",
        model: "Generic2dOscillator",
        coupling: "Linear",
        cparams: LIN,
        scheme: Scheme::Heun,
        noise: Some((&[1e-3], 11)),
        multiplicative: false,
        mon: Mon::Raw,
        length_ms: 200.0,
        mparams: &[],
        ic_file: false,
    });
    assert_eq!(rel, 0.0, "not bit-identical: {rel:e}");
}

// The models declared after the first nine (issue 17), one case each from
// make_refs.py `model_cases` (references made with numpy's baseline loops,
// NPY_DISABLE_CPU_FEATURES="X86_V4 X86_V3": its exp, log, tanh are glibc's,
// as the numba kernels' and ours). Heun, 200 ms, one sample per ms; the
// parameters the cases set are in each JSON. Tolerance as above: 1e-6 of
// each variable's scale. The comment of each case says whether it is
// bit-identical and why.

/// One of these cases at time step `dt` (ms); `ic_file`: the initial state
/// is NAME_ic.npy.
#[allow(clippy::too_many_arguments)]
fn model_case(
    name: &'static str,
    model: &'static str,
    coupling: &'static str,
    cparams: &'static [(&'static str, f64)],
    mparams: &'static [(&'static str, f64)],
    noise: Option<(&'static [f64], u32)>,
    dt: f64,
    ic_file: bool,
) {
    let c = Case {
        name,
        model,
        coupling,
        cparams,
        scheme: Scheme::Heun,
        noise,
        multiplicative: false,
        mon: Mon::Raw,
        length_ms: 200.0,
        mparams,
        ic_file,
    };
    let rel = check_at(&c, dt);
    assert!(rel <= 1e-6, "{name}: relative error {rel:e} exceeds 1e-6");
}

/// Bit-identical: numba kernel, arithmetic only, in the kernel's order.
/// a = 0.1: a limit cycle (the default a = −0.5 decays in ~20 ms).
#[test]
fn sup_hopf_heun() {
    model_case(
        "suphopf_heun",
        "SupHopf",
        "Linear",
        &[("a", 0.01), ("b", 0.0)],
        &[("a", 0.1)],
        None,
        0.1,
        false,
    );
}

/// Bit-identical: numpy dfun, arithmetic only; the noise is tvb-library's
/// (Heun stochastic, additive, nsig 1e-3, seed 5).
#[test]
fn linear_heun_stochastic() {
    model_case(
        "linear_heun_stochastic",
        "Linear",
        "Linear",
        LIN,
        &[],
        Some((&[1e-3], 5)),
        0.1,
        false,
    );
}

/// Bit-identical: numpy dfun in its order; its five tanh are glibc's in
/// the reference (numpy's baseline loop) as here. With numpy's AVX-512
/// tanh the same run differs from glibc's in the last bit of ~30 % of
/// arguments.
#[test]
fn larter_breakspear_heun() {
    model_case(
        "larter_breakspear_heun",
        "LarterBreakspear",
        "Linear",
        LIN,
        &[],
        None,
        0.1,
        false,
    );
}

/// Bit-identical: numpy dfun, arithmetic only (π² the same constant).
/// dt = 0.01 ms: the defaults (η = 20) diverge at 0.1 ms in tvb-library too.
#[test]
fn coombes_byrne_heun() {
    model_case(
        "coombes_byrne_heun",
        "CoombesByrne",
        "Linear",
        LIN,
        &[],
        None,
        0.01,
        false,
    );
}

/// Bit-identical: numpy dfun, arithmetic only.
#[test]
fn coombes_byrne_2d_heun() {
    model_case(
        "coombes_byrne_2d_heun",
        "CoombesByrne2D",
        "Linear",
        &[("a", 0.05), ("b", 0.0)],
        &[],
        None,
        0.1,
        false,
    );
}

/// Bit-identical: numpy dfun, arithmetic only; cv = 0.5 so that the
/// coupling of V is read too.
#[test]
fn gast_schmidt_knosche_sd_heun() {
    model_case(
        "gsk_sd_heun",
        "GastSchmidtKnosche_SD",
        "Linear",
        &[("a", 0.05), ("b", 0.0)],
        &[("cv", 0.5)],
        None,
        0.1,
        false,
    );
}

/// Bit-identical: numpy dfun, arithmetic only. dt = 0.01 ms: the defaults
/// (α = 10) diverge at 0.1 ms in tvb-library too.
#[test]
fn gast_schmidt_knosche_sf_heun() {
    model_case(
        "gsk_sf_heun",
        "GastSchmidtKnosche_SF",
        "Linear",
        LIN,
        &[],
        None,
        0.01,
        false,
    );
}

/// Bit-identical: numpy dfun, arithmetic only.
#[test]
fn dumont_gutkin_heun() {
    model_case(
        "dumont_gutkin_heun",
        "DumontGutkin",
        "Linear",
        LIN,
        &[],
        None,
        0.1,
        false,
    );
}

/// Bit-identical: numba kernel in its order (z⁷ as numba's repeated
/// multiplication, exp glibc's). modification = 1 (the nonlinear branch),
/// K_s = −0.2 with Difference coupling (all K are 0 by default).
#[test]
fn epileptor_2d_heun() {
    model_case(
        "epileptor2d_heun",
        "Epileptor2D",
        "Difference",
        &[("a", 1.0)],
        &[("Ks", -0.2), ("modification", 1.0)],
        None,
        0.1,
        false,
    );
}

/// The Epileptor's K (0 by default) as the cases set them.
const EPI: &[(&str, f64)] = &[("Ks", -0.2), ("Kf", 0.1), ("Kvf", 0.1)];

/// Bit-identical: numba kernel in its order (x2³, z⁷ as numba's repeated
/// multiplications), Difference coupling; modification = 0 (the default).
#[test]
fn epileptor_heun() {
    model_case(
        "epileptor_heun",
        "Epileptor",
        "Difference",
        &[("a", 1.0)],
        EPI,
        None,
        0.1,
        false,
    );
}

/// Bit-identical: as `epileptor_heun`, with tvb-library's noise on x2 and
/// y2 (nsig [0, 0, 0, 1e-3, 1e-3, 0], the Epileptor docstring's, seed 13).
#[test]
fn epileptor_heun_stochastic() {
    model_case(
        "epileptor_heun_stochastic",
        "Epileptor",
        "Difference",
        &[("a", 1.0)],
        EPI,
        Some((&[0.0, 0.0, 0.0, 1e-3, 1e-3, 0.0], 13)),
        0.1,
        false,
    );
}

/// Bit-identical: numba kernel in its order (not its numpy dfun's), three
/// coupled variables.
#[test]
fn epileptor_resting_state_heun() {
    model_case(
        "epileptor_rs_heun",
        "EpileptorRestingState",
        "Linear",
        LIN,
        EPI,
        None,
        0.1,
        false,
    );
}

/// Bit-identical: numba kernel in its order (exp glibc's). M_i = 1.1 (the
/// default 1 would hide where the gain multiplies).
#[test]
fn deco_balanced_exc_inh_heun() {
    model_case(
        "deco_balanced_heun",
        "DecoBalancedExcInh",
        "Linear",
        LIN,
        &[("M_i", 1.1)],
        None,
        0.1,
        false,
    );
}

/// Bit-identical: numpy dfun in its order, the sigmoid's exp glibc's in the
/// reference (numpy's baseline loop) as here.
#[test]
fn zetterberg_jansen_heun() {
    model_case(
        "zetterberg_jansen_heun",
        "ZetterbergJansen",
        "Linear",
        LIN,
        &[],
        None,
        0.1,
        false,
    );
}

/// Bit-identical: numpy dfun in its order, exp and log glibc's in the
/// reference (numpy's baseline loops) as here. dt = 0.01 ms (V is too fast
/// for 0.1 ms); the initial state (NAME_ic.npy) is the golden one in
/// brainstream's ranges of DKi and Kg, narrower than tvb-library's, in
/// which the extracellular potassium can be negative (models/decl/KIonEx.toml).
#[test]
fn k_ion_exchange_heun() {
    model_case(
        "kionex_heun",
        "KIonEx",
        "Linear",
        &[("a", 0.1), ("b", 0.0)],
        &[],
        None,
        0.01,
        true,
    );
}

/// Hopfield (static form) under the Sigmoidal coupling, tvb-library's
/// defaults.
#[test]
fn hopfield_sigmoidal_heun() {
    model_case(
        "hopfield_sigmoidal_heun",
        "Hopfield",
        "Sigmoidal",
        &[],
        &[],
        None,
        0.1,
        false,
    );
}

// The couplings HyperbolicTangent and PreSigmoidal, from
// make_refs_couplings.py (numpy's baseline loops: tanh glibc's, as ours).
// Heun, 200 ms, one sample per ms; tolerance as above, 1e-6 of each
// variable's scale; each is bit-identical (asserted), for the reason given.

/// A coupling case: `model_case`'s run, asserted bit-identical too.
fn coupling_case(
    name: &'static str,
    model: &'static str,
    coupling: &'static str,
    cparams: &'static [(&'static str, f64)],
) {
    let c = Case {
        name,
        model,
        coupling,
        cparams,
        scheme: Scheme::Heun,
        noise: None,
        multiplicative: false,
        mon: Mon::Raw,
        length_ms: 200.0,
        mparams: &[],
        ic_file: false,
    };
    let rel = check(&c);
    assert!(rel <= 1e-6, "{name}: relative error {rel:e} exceeds 1e-6");
    assert_eq!(rel, 0.0, "{name}: not bit-identical: {rel:e}");
}

/// HyperbolicTangent under Generic2dOscillator, every parameter away from
/// its default. Bit-identical: a sparse coupling whose `pre` is float64
/// (float64 parameters times the float32 history), float64 products and
/// `reduceat` sum in numpy's order, rounded to float32 where TVB stores the
/// sums, identity `post`; tanh is glibc's on both sides.
#[test]
fn generic_2d_oscillator_hyperbolic_tangent_heun() {
    coupling_case(
        "g2d_htanh_heun",
        "Generic2dOscillator",
        "HyperbolicTangent",
        &[("a", 0.005), ("b", 0.8), ("midpoint", 0.2), ("sigma", 1.5)],
    );
}

/// PreSigmoidal's static form under Hopfield (static), θ = 0.3, G = 10.
/// Bit-identical: tvb-library's transposed sum `Σ_i w_ji·A(X(i, j))`
/// (a region's own delayed state, zero where w_ij = 0), float64, summed
/// from 0 in ascending i as numpy's `sum(axis=0)` does.
#[test]
fn hopfield_pre_sigmoidal_static_heun() {
    coupling_case(
        "hopfield_presig_static_heun",
        "Hopfield",
        "PreSigmoidal",
        &[("dynamic", 0.0), ("theta", 0.3), ("G", 10.0)],
    );
}

/// PreSigmoidal's dynamic form (its default) under HopfieldDynamic
/// (tvb-library's Hopfield with dynamic = 1). Bit-identical: c_0 as
/// tvb-library sums it (`Σ_i w_ij·A(P·x(i, j) − θ(i, j))`, over the target
/// index), c_1 the diagonal term (66 of tvb76's 76 diagonal weights are not
/// zero; H·Q for the others).
#[test]
fn hopfield_dynamic_pre_sigmoidal_heun() {
    coupling_case(
        "hopfield_dynamic_presig_heun",
        "HopfieldDynamic",
        "PreSigmoidal",
        &[],
    );
}

/// As above with H, Q, G, P away from their defaults. Bit-identical.
#[test]
fn hopfield_dynamic_pre_sigmoidal_parameters_heun() {
    coupling_case(
        "hopfield_dynamic_presig_params_heun",
        "HopfieldDynamic",
        "PreSigmoidal",
        &[("H", 0.2), ("Q", 0.8), ("G", 5.0), ("P", 1.3)],
    );
}

// A stimulus (tvb-library's StimuliRegion: a pulse train on rM1, lM1, rV1
// and lPFCDL, one negative weight) entering the model's stimulus variables,
// against tests/data/tvb_cases/make_refs_stimulus.py's runs.

fn stim_case(name: &'static str, scheme: Scheme, noise: Option<(&'static [f64], u32)>) -> Case {
    Case {
        name,
        model: "Generic2dOscillator",
        coupling: "Linear",
        cparams: LIN,
        scheme,
        noise,
        multiplicative: false,
        mon: Mon::Raw,
        length_ms: 200.0,
        mparams: &[],
        ic_file: false,
    }
}

/// Bit-identical: tvb-library's Heun adds `dt·(dX + stimulus)` in the
/// predictor and `dt·stimulus` after the corrector, in that order.
#[test]
fn stimulus_pulse_train_heun_is_tvb_to_the_bit() {
    let c = stim_case("g2d_stimulus_heun", Scheme::Heun, None);
    assert_eq!(check(&c), 0.0, "{}: not bit-identical", c.name);
    // the stimulus matters: without it the run is far from tvb-library's
    let off = check_stim(&c, 0.1, false);
    assert!(
        off > 1e-2,
        "{}: without the stimulus, relative error only {off:e}",
        c.name
    );
}

/// Bit-identical with tvb-library's noise: `X + dt·dX + noise + dt·stimulus`.
#[test]
fn stimulus_pulse_train_heun_stochastic_is_tvb_to_the_bit() {
    let c = stim_case(
        "g2d_stimulus_heun_stochastic",
        Scheme::Heun,
        Some((&[1e-3], 42)),
    );
    assert_eq!(check(&c), 0.0, "{}: not bit-identical", c.name);
}

/// Bit-identical: Euler's `X + dt·(dX + stimulus)`.
#[test]
fn stimulus_pulse_train_euler_is_tvb_to_the_bit() {
    let c = stim_case("g2d_stimulus_euler", Scheme::Euler, None);
    assert_eq!(check(&c), 0.0, "{}: not bit-identical", c.name);
}

/// MontbrioPazoRoxin's stimulus enters V only (tvb-library's stvar = [1],
/// while r and V are coupled), after RK4's last stage: `X + dX + dt·stimulus`;
/// bit-identical.
#[test]
fn stimulus_sinusoid_rk4_enters_stvar_only() {
    let c = Case {
        name: "mpr_stimulus_rk4",
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
    };
    assert_eq!(check(&c), 0.0, "{}: not bit-identical", c.name);
}

/// Every built-in model's stimulus variables are tvb-library 2.10's
/// `stvar`: its `cvar`, except MontbrioPazoRoxin's and KIonEx's `[1]` (V).
#[test]
fn stimulus_variables_are_tvb_stvar() {
    for m in MODELS {
        let want: &[usize] = match m.name {
            "MontbrioPazoRoxin" | "KIonEx" => &[1],
            _ => m.cvar,
        };
        assert_eq!(m.stimulus, want, "{}", m.name);
    }
}

// Coloured (Ornstein–Uhlenbeck) noise: tvb-library's `Additive` and
// `Multiplicative` with `ntau > 0`, against
// tests/data/tvb_cases/make_refs_noise.py's runs (nsig, seed and ntau in
// each case's JSON). Bit-identical: the initial η is the stream's first
// draw, then every step draws as white noise does.

fn coloured_case(
    name: &'static str,
    model: &'static str,
    scheme: Scheme,
    noise: (&'static [f64], u32),
    multiplicative: bool,
) -> Case {
    Case {
        name,
        model,
        coupling: "Linear",
        cparams: LIN,
        scheme,
        noise: Some(noise),
        multiplicative,
        mon: Mon::Raw,
        length_ms: 100.0,
        mparams: &[],
        ic_file: false,
    }
}

/// `c` bit for bit, and far from the same run with white noise (ntau = 0):
/// the correlation time is in effect.
fn coloured_is_tvb_to_the_bit(c: &Case) {
    assert_eq!(check(c), 0.0, "{}: not bit-identical", c.name);
    let white = check_with(c, 0.1, true, Some(0.0), &[]);
    assert!(
        white > 1e-3,
        "{}: with white noise, relative error only {white:e}",
        c.name
    );
}

/// G2D, HeunStochastic, `Additive(nsig=1e-3, ntau=1.0, noise_seed=42)`.
#[test]
fn coloured_noise_heun_additive_is_tvb_to_the_bit() {
    coloured_is_tvb_to_the_bit(&coloured_case(
        "g2d_heun_coloured",
        "Generic2dOscillator",
        Scheme::Heun,
        (&[1e-3], 42),
        false,
    ));
}

/// G2D, HeunStochastic, `Multiplicative(nsig=1e-4, ntau=2.5, noise_seed=3)`
/// (b = Linear(a=1, b=0)).
#[test]
fn coloured_noise_heun_multiplicative_is_tvb_to_the_bit() {
    coloured_is_tvb_to_the_bit(&coloured_case(
        "g2d_heun_coloured_multiplicative",
        "Generic2dOscillator",
        Scheme::Heun,
        (&[1e-4], 3),
        true,
    ));
}

/// ReducedWongWang, EulerStochastic, `Additive(nsig=1e-5, ntau=0.5,
/// noise_seed=7)`.
#[test]
fn coloured_noise_euler_additive_is_tvb_to_the_bit() {
    coloured_is_tvb_to_the_bit(&coloured_case(
        "rww_euler_coloured",
        "ReducedWongWang",
        Scheme::Euler,
        (&[1e-5], 7),
        false,
    ));
}

/// The process η carries over from one `run` call to the next: the
/// additive case stepped in odd chunks is still tvb-library's to the bit.
#[test]
fn coloured_noise_in_odd_chunks_is_still_tvb() {
    let c = coloured_case(
        "g2d_heun_coloured",
        "Generic2dOscillator",
        Scheme::Heun,
        (&[1e-3], 42),
        false,
    );
    let rel = check_with(&c, 0.1, true, None, &[1, 7, 500, 13, 2]);
    assert_eq!(
        rel, 0.0,
        "{}: in chunks, not bit-identical: {rel:e}",
        c.name
    );
}

/// A correlation time that is negative, not finite or too small for a
/// finite step factor, and coloured noise on the Philox stream (sweeps and
/// GPU kernels draw white noise only), are refused with the reason, never
/// run as white noise.
#[test]
fn bad_coloured_noise_is_refused() {
    let info = model_info("Generic2dOscillator").unwrap();
    let cfg = |ntau_ms: f64, stream: NoiseStream| MeanFieldConfig {
        model: info,
        model_params: ParamSet::defaults(info.params),
        coupling: Coupling::new("Linear", LIN.iter().copied()).unwrap(),
        connectivity: Connectivity::tvb76(),
        speed_mm_per_ms: 3.0,
        dt_ms: 0.1,
        scheme: Scheme::Heun,
        noise: Some(NoiseConfig {
            kind: NoiseKind::Additive,
            nsig: vec![1e-3],
            seed: 42,
            stream,
            ntau_ms,
        }),
        initial: InitialConditions::Golden,
        proxy_nodes: vec![],
    };
    let err = |ntau: f64, stream: NoiseStream| match MeanFieldSim::new(cfg(ntau, stream)) {
        Ok(_) => panic!("ntau {ntau} on {stream:?} was accepted"),
        Err(e) => e.to_string(),
    };
    for bad in [-1.0, f64::NAN, f64::INFINITY] {
        let e = err(bad, NoiseStream::Numpy);
        assert!(e.contains("noise ntau must be finite and ≥ 0 ms"), "{e}");
    }
    let e = err(5e-324, NoiseStream::Numpy);
    assert!(e.contains("too small"), "{e}");
    let philox = NoiseStream::Philox {
        seed: 1,
        combination: 0,
    };
    let e = err(1.0, philox);
    assert!(
        e.contains("coloured noise (ntau = 1 ms)") && e.contains("Philox"),
        "{e}"
    );
    // white noise on either stream, and coloured on numpy's, build
    assert!(MeanFieldSim::new(cfg(0.0, philox)).is_ok());
    assert!(MeanFieldSim::new(cfg(1.0, NoiseStream::Numpy)).is_ok());
}

/// A multi-mode model's case (`make_refs_modes.py`): 100 ms, Linear
/// a = 0.0042, the initial state from NAME_ic.npy; its state is compared
/// row by row, (variable, mode) variable major, as the engine keeps it.
/// Bit-identical: tvb-library's numpy dfun in its order, its numpy.dot by
/// OpenBLAS's kernel without FMA (pinned by the script; with the Haswell
/// kernel's FMAs tvb-library's own run moves by the `default_blas_relative`
/// the case's JSON records, 1.0e-12 and 1.7e-13 of the largest value).
fn modes_case(name: &'static str, model: &'static str, dt: f64) {
    modes_case_noise(name, model, dt, None);
}

/// `modes_case` with tvb-library's additive noise (nsig, seed): drawn
/// (nvar, N, modes) in C order per step, which the engine reorders into
/// its (variable·mode, region) rows.
fn modes_case_noise(
    name: &'static str,
    model: &'static str,
    dt: f64,
    noise: Option<(&'static [f64], u32)>,
) {
    let info = model_info(model).unwrap();
    assert_eq!(info.modes, 3, "{model}: modes");
    let c = Case {
        name,
        model,
        coupling: "Linear",
        cparams: LIN,
        scheme: Scheme::Heun,
        noise,
        multiplicative: false,
        mon: Mon::Raw,
        length_ms: 100.0,
        mparams: &[],
        ic_file: true,
    };
    let rel = check_at(&c, dt);
    assert_eq!(
        rel, 0.0,
        "{name}: not bit-identical (relative error {rel:e})"
    );
}

#[test]
fn reduced_set_fitzhugh_nagumo_heun() {
    modes_case("rs_fhn_heun", "ReducedSetFitzHughNagumo", 0.1);
}

/// Bit-identical with tvb-library's noise (nsig 1e-3 on every variable and
/// mode, seed 17).
#[test]
fn reduced_set_fitzhugh_nagumo_heun_stochastic() {
    modes_case_noise(
        "rs_fhn_heun_stochastic",
        "ReducedSetFitzHughNagumo",
        0.1,
        Some((&[1e-3], 17)),
    );
}

/// At dt = 0.05 ms: from these initial states the set diverges at 0.1 ms,
/// in tvb-library as here.
#[test]
fn reduced_set_hindmarsh_rose_heun() {
    modes_case("rs_hr_heun", "ReducedSetHindmarshRose", 0.05);
}

/// EpileptorCodim3 (`make_refs_codim3.py`), 200 ms, Linear a = 0.0042 with
/// K_s = 1, on branch `n` of the resting state. Bit-identical: the numba
/// kernel's complex sqrt, power and products written out in real and
/// imaginary parts, in its order (models/decl/EpileptorCodim3.toml).
fn codim3_case(name: &'static str, mparams: &'static [(&'static str, f64)]) {
    let c = Case {
        name,
        model: "EpileptorCodim3",
        coupling: "Linear",
        cparams: LIN,
        scheme: Scheme::Heun,
        noise: None,
        multiplicative: false,
        mon: Mon::Raw,
        length_ms: 200.0,
        mparams,
        ic_file: false,
    };
    let rel = check(&c);
    assert_eq!(
        rel, 0.0,
        "{name}: not bit-identical (relative error {rel:e})"
    );
}

#[test]
fn epileptor_codim3_heun() {
    codim3_case("epileptor_codim3_heun", &[("Ks", 1.0), ("N", 1.0)]);
}

/// Branch N = 2: Cardano's other roots, the complex constants
/// −(1 ∓ i√3)/2 as CPython folds them.
#[test]
fn epileptor_codim3_branch_2_heun() {
    codim3_case("epileptor_codim3_n2_heun", &[("Ks", 1.0), ("N", 2.0)]);
}

/// EpileptorCodim3SlowMod (`make_refs_codim3.py`), 200 ms, Linear
/// a = 0.0042 with K_s = 1. Not bit-identical: the kernel normalises A and
/// (A × B) × A every step with numba's numpy.linalg.norm, BLAS dnrm2
/// (scipy's OpenBLAS, with more precision than doubles: on 20 000 random
/// 3-vectors it equals the correctly rounded norm 99.95 % of the time,
/// √(a₀a₀ + a₁a₁ + a₂a₂) in doubles 82 %), which the declaration writes
/// in doubles; the rest is the numba kernel's order. Within
/// 1e-12 of each variable's largest value (measured: 2.1e-15 for y, 3.7e-16
/// overall; the bar is 1e-6).
#[test]
fn epileptor_codim3_slowmod_heun() {
    let c = Case {
        name: "epileptor_codim3_slowmod_heun",
        model: "EpileptorCodim3SlowMod",
        coupling: "Linear",
        cparams: LIN,
        scheme: Scheme::Heun,
        noise: None,
        multiplicative: false,
        mon: Mon::Raw,
        length_ms: 200.0,
        mparams: &[("Ks", 1.0)],
        ic_file: false,
    };
    let rel = check(&c);
    assert!(rel <= 1e-12, "relative error {rel:e} exceeds 1e-12");
}
