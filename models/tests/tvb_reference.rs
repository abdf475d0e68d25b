//! The engine against tvb-library 2.10 reference runs (`tests/data/tvb/`, made
//! by `shared/peers/tvb_ref.py`): 76 regions, Linear coupling a = 0.0042,
//! HeunDeterministic, dt = 0.1 ms, speed 3 mm/ms, constant initial history.
//! Tolerance: max |ours − TVB| ≤ 1e-6 · max |TVB| at every millisecond (the
//! issue's bar); we also hold ourselves to 1e-12 (measured: 0, bit-identical).

use brainstream_models::coupling::Coupling;
use brainstream_models::integrator::Scheme;
use brainstream_models::*;
use std::path::PathBuf;

fn data(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../tests/data/tvb")
        .join(name)
}

fn load_ts(name: &str) -> (Vec<f64>, Vec<Vec<f64>>) {
    let text = std::fs::read_to_string(data(name)).unwrap();
    let mut t = vec![];
    let mut rows = vec![];
    for line in text.lines().skip(1) {
        let v: Vec<f64> = line.split(',').map(|s| s.parse().unwrap()).collect();
        t.push(v[0]);
        rows.push(v[1..].to_vec());
    }
    (t, rows)
}

fn run(model: &str, params: &[(&str, f64)], ts: &str) -> f64 {
    let info = model_info(model).unwrap();
    let cfg = MeanFieldConfig {
        model: info,
        model_params: ParamSet::from_overrides(model, info.params, params.iter().copied()).unwrap(),
        coupling: Coupling::new("Linear", [("a", 0.0042), ("b", 0.0)]).unwrap(),
        connectivity: Connectivity::tvb76(),
        speed_mm_per_ms: 3.0,
        dt_ms: 0.1,
        scheme: Scheme::Heun,
        noise: None,
        initial: InitialConditions::Golden,
        proxy_nodes: vec![],
    };
    let mut sim = MeanFieldSim::new(cfg).unwrap();
    let (t, rows) = load_ts(ts);
    let n = 76;
    let nv = info.nvar();
    let nsteps = 10_000;
    let mut out = vec![0.0; nsteps * nv * n];
    sim.run(nsteps, &mut out).unwrap();
    let mut max_err: f64 = 0.0;
    let mut max_ref: f64 = 0.0;
    for (tm, row) in t.iter().zip(&rows) {
        let k = (tm / 0.1).round() as usize - 1; // sample k is the state after k+1 steps
        for i in 0..n {
            let ours = out[k * nv * n + i];
            max_err = max_err.max((ours - row[i]).abs());
            max_ref = max_ref.max(row[i].abs());
        }
    }
    max_err / max_ref
}

#[test]
fn reduced_wong_wang_matches_tvb() {
    let rel = run("ReducedWongWang", &[], "rww_conn76_ts_1ms.csv");
    eprintln!("RWW rel err {rel:e}");
    assert!(rel <= 1e-6, "relative error {rel:e}");
    // In practice the engine reproduces tvb-library to the last bit (float32
    // history, numpy's pairwise summation order); 1e-12 leaves room for a
    // libm whose exp differs in the last place.
    assert!(rel <= 1e-12, "no longer bit-exact: {rel:e}");
}

#[test]
fn generic_2d_oscillator_matches_tvb() {
    let rel = run("Generic2dOscillator", &[], "g2d_conn76_ts_1ms.csv");
    eprintln!("G2D rel err {rel:e}");
    assert!(rel <= 1e-6, "relative error {rel:e}");
    assert!(rel <= 1e-12, "no longer bit-exact: {rel:e}");
}

#[test]
fn tvb_zip_reader_matches_the_embedded_connectome() {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../data/connectivity");
    let z = Connectivity::load("connectivity_76.zip", &dir).unwrap();
    let b = Connectivity::tvb76();
    assert_eq!(z.n, 76);
    assert_eq!(z.weights, b.weights);
    assert_eq!(z.tract_lengths, b.tract_lengths);
    assert_eq!(z.labels, b.labels);
    let big = Connectivity::load("connectivity_192.zip", &dir).unwrap();
    assert_eq!(big.n, 192);
    assert!(big.centres.is_some());
}

#[test]
fn stepping_in_odd_chunks_changes_nothing() {
    // the coupling is gathered eight steps at a time; runs cut anywhere must
    // give the same bits
    let mk = || {
        let info = model_info("ReducedWongWang").unwrap();
        MeanFieldSim::new(MeanFieldConfig {
            model: info,
            model_params: ParamSet::defaults(info.params),
            coupling: Coupling::new("Linear", [("a", 0.0042)]).unwrap(),
            connectivity: Connectivity::tvb76(),
            speed_mm_per_ms: 3.0,
            dt_ms: 0.1,
            scheme: Scheme::Heun,
            noise: None,
            initial: InitialConditions::Golden,
            proxy_nodes: vec![],
        })
        .unwrap()
    };
    let mut a = mk();
    let mut whole = vec![0.0; 1001 * 76];
    a.run(1001, &mut whole).unwrap();
    let mut b = mk();
    let mut parts = vec![];
    for chunk in [1usize, 7, 8, 3, 500, 13, 469] {
        let mut o = vec![0.0; chunk * 76];
        b.run(chunk, &mut o).unwrap();
        parts.extend(o);
    }
    assert_eq!(parts.len(), whole.len());
    assert!(parts
        .iter()
        .zip(&whole)
        .all(|(x, y)| x.to_bits() == y.to_bits()));
}

fn cfg_for(
    model: &str,
    coupling: &str,
    cp: &[(&str, f64)],
    scheme: Scheme,
    noise: Option<NoiseConfig>,
) -> MeanFieldConfig {
    let info = model_info(model).unwrap();
    MeanFieldConfig {
        model: info,
        model_params: ParamSet::defaults(info.params),
        coupling: Coupling::new(coupling, cp.iter().copied()).unwrap(),
        connectivity: Connectivity::tvb76(),
        speed_mm_per_ms: 3.0,
        dt_ms: 0.1,
        scheme,
        noise,
        initial: InitialConditions::Golden,
        proxy_nodes: vec![],
    }
}

#[test]
fn any_thread_count_gives_the_same_bits() {
    let cases = [
        cfg_for(
            "ReducedWongWang",
            "Linear",
            &[("a", 0.0042)],
            Scheme::Heun,
            None,
        ),
        cfg_for(
            "Generic2dOscillator",
            "Linear",
            &[("a", 0.0042)],
            Scheme::Heun,
            Some(NoiseConfig {
                stream: Default::default(),
                kind: NoiseKind::Multiplicative { a: 1.0, b: 0.0 },
                nsig: vec![1e-4],
                seed: 3,
                ntau_ms: 0.0,
            }),
        ),
        cfg_for("Kuramoto", "Kuramoto", &[("a", 0.02)], Scheme::Euler, None),
        cfg_for(
            "JansenRit",
            "SigmoidalJansenRit",
            &[("a", 1.0)],
            Scheme::Rk4,
            None,
        ),
        cfg_for("Generic2dOscillator", "Sigmoidal", &[], Scheme::Heun, None),
        cfg_for(
            "Generic2dOscillator",
            "HyperbolicTangent",
            &[("a", 0.005)],
            Scheme::Heun,
            None,
        ),
        cfg_for(
            "Hopfield",
            "PreSigmoidal",
            &[("dynamic", 0.0)],
            Scheme::Heun,
            None,
        ),
        cfg_for("HopfieldDynamic", "PreSigmoidal", &[], Scheme::Heun, None),
    ];
    for cfg in cases {
        let name = cfg.model.name;
        let nv = cfg.model.nvar();
        let run = |threads: usize| {
            let mut s = MeanFieldSim::with_threads(cfg.clone(), threads).unwrap();
            let mut all = vec![];
            for chunk in [40usize, 7, 300, 33] {
                let mut o = vec![0.0; chunk * nv * 76];
                s.run(chunk, &mut o).unwrap();
                all.extend(o.into_iter().map(f64::to_bits));
            }
            all
        };
        let one = run(1);
        assert_eq!(one, run(2), "{name}: 2 threads");
        assert_eq!(one, run(3), "{name}: 3 threads");
    }
}

/// The automatic thread count (`threads = 0`) on a network large enough for
/// parts (≥ 40 000 delayed couplings, where the machine has several cores):
/// each call is stepped on one thread or in parts as measured
/// (`thread_choice`), and the bits are those of one thread whatever the
/// choices were.
#[test]
fn the_automatic_thread_choice_keeps_the_bits_of_one_thread() {
    use brainstream_models::connectivity::Matrix;
    let n = 220;
    // a dense random connectome with lengths 10–200 mm (xorshift, fixed)
    let mut state = 0x9e37_79b9_7f4a_7c15u64;
    let mut next = || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        (state >> 11) as f64 / (1u64 << 53) as f64
    };
    let (mut w, mut l) = (vec![0.0; n * n], vec![0.0; n * n]);
    for i in 0..n {
        for j in 0..n {
            if i != j {
                w[i * n + j] = next();
                l[i * n + j] = 10.0 + 190.0 * next();
            }
        }
    }
    let m = |data| Matrix {
        rows: n,
        cols: n,
        data,
    };
    let conn = Connectivity::from_parts(m(w), m(l), None, None, "synthetic").unwrap();
    let mut cfg = cfg_for(
        "ReducedWongWang",
        "Linear",
        &[("a", 0.0001)],
        Scheme::Heun,
        None,
    );
    cfg.connectivity = conn;
    let run = |threads: usize| {
        let mut s = MeanFieldSim::with_threads(cfg.clone(), threads).unwrap();
        let mut all = vec![];
        // 20 calls of ≥ 32 steps: both modes measured, then tried again
        for chunk in [40usize, 33, 64, 35].repeat(5) {
            let mut o = vec![0.0; chunk * n];
            s.run(chunk, &mut o).unwrap();
            all.extend(o.into_iter().map(f64::to_bits));
        }
        all
    };
    assert_eq!(run(1), run(0));
}

#[test]
fn divergence_is_reported_the_same_way_in_parallel() {
    let info = model_info("Generic2dOscillator").unwrap();
    let mut cfg = cfg_for(
        "Generic2dOscillator",
        "Linear",
        &[("a", 0.0042)],
        Scheme::Heun,
        None,
    );
    cfg.model_params = ParamSet::from_overrides("g2d", info.params, [("f", -0.05)]).unwrap();
    let run = |threads: usize| {
        let mut s = MeanFieldSim::with_threads(cfg.clone(), threads).unwrap();
        let mut o = vec![0.0; 200 * 2 * 76];
        let e = s.run(200, &mut o).unwrap_err().to_string();
        (e, s.steps_done())
    };
    let (e1, d1) = run(1);
    assert!(e1.contains("diverged at step"), "{e1}");
    assert_eq!(run(2), (e1.clone(), d1));
    assert_eq!(run(3), (e1, d1));
}
