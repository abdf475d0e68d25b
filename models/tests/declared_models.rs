//! Every built-in model is its declaration: the Rust generated from
//! `models/decl/NAME.toml` at build time and the same declaration loaded
//! as a user's model (evaluated by the batch evaluator, no compiler) give
//! the same bits — for the right-hand side on random states, couplings and
//! parameters, and for whole runs of the engine on TVB's 76-region
//! connectome, deterministic and stochastic.

use brainstream_models::coupling::Coupling;
use brainstream_models::integrator::Scheme;
use brainstream_models::models::{with_model, Dfun, ModelVisitor, MODELS};
use brainstream_models::user_model::info_of;
use brainstream_models::*;
use rand::{Rng, SeedableRng};

/// Evaluates a model's right-hand side over many rows.
struct Rhs<'a> {
    nv: usize,
    nt: usize,
    x: &'a [f64],
    c: &'a [f64],
}

impl ModelVisitor for Rhs<'_> {
    type Out = Vec<f64>;
    fn visit<M: Dfun>(self, m: M) -> Vec<f64> {
        let mut dx = vec![0.0; self.x.len()];
        m.dfun_rows(0, self.nv, self.nt, self.x, self.c, &mut dx);
        dx
    }
}

fn user(info: &'static ModelInfo) -> &'static ModelInfo {
    let (p, _) = brainstream_models::modeldecl::compile(info.name, info.source).unwrap();
    let u = info_of(p, info.source);
    assert!(u.user.is_some());
    u
}

fn bits(v: &[f64]) -> Vec<u64> {
    v.iter().map(|x| x.to_bits()).collect()
}

#[test]
fn generated_and_evaluated_right_hand_sides_are_bit_identical() {
    let mut rng = rand::rngs::StdRng::seed_from_u64(7);
    for &info in MODELS {
        let u = user(info);
        assert_eq!(u.params.len(), info.params.len(), "{}", info.name);
        assert_eq!(u.state_variables, info.state_variables);
        assert_eq!(u.cvar, info.cvar);
        let (nv, nt) = (info.nvar(), info.cvar.len());
        // rows: states in and around the initial-condition ranges, couplings
        // of either sign; 300 rows (more than one evaluation block)
        let rows = 300;
        let x: Vec<f64> = (0..rows * nv)
            .map(|k| {
                let (lo, hi) = info.range[k % nv];
                let w = (hi - lo).max(1e-3);
                rng.gen_range(lo - 0.2 * w..hi + 0.2 * w)
            })
            .collect();
        let c: Vec<f64> = (0..rows * nt).map(|_| rng.gen_range(-0.5..0.5)).collect();
        for trial in 0..3 {
            // defaults, then random values within each parameter's range
            let mut ps = ParamSet::defaults(info.params);
            if trial > 0 {
                for d in info.params {
                    let (lo, hi) = (d.lo.max(-1e6), d.hi.min(1e6));
                    for k in 0..d.len {
                        let v = if hi > lo { rng.gen_range(lo..=hi) } else { lo };
                        let name = if d.is_vector() {
                            format!("{}[{k}]", d.name)
                        } else {
                            d.name.to_string()
                        };
                        ps.set(info.name, &name, v).unwrap();
                    }
                }
            }
            let a = with_model(
                info,
                &ps,
                Rhs {
                    nv,
                    nt,
                    x: &x,
                    c: &c,
                },
            );
            let b = with_model(
                u,
                &ps,
                Rhs {
                    nv,
                    nt,
                    x: &x,
                    c: &c,
                },
            );
            assert_eq!(bits(&a), bits(&b), "{} (parameters {trial})", info.name);
            assert!(
                a.iter().any(|v| v.is_finite() && *v != 0.0),
                "{}",
                info.name
            );
        }
    }
}

fn run(info: &'static ModelInfo, stochastic: bool, coupling: &str) -> Vec<f64> {
    let nv = info.nvar();
    let cfg = MeanFieldConfig {
        model: info,
        model_params: ParamSet::defaults(info.params),
        coupling: Coupling::new(coupling, [("a", 0.01)]).unwrap(),
        connectivity: Connectivity::tvb76(),
        speed_mm_per_ms: 3.0,
        dt_ms: 0.1,
        scheme: Scheme::Heun,
        noise: stochastic.then(|| NoiseConfig {
            kind: NoiseKind::Additive,
            nsig: vec![1e-6; nv],
            seed: 3,
            stream: Default::default(),
            ntau_ms: 0.0,
        }),
        initial: InitialConditions::Golden,
        proxy_nodes: vec![],
    };
    let mut sim = MeanFieldSim::new(cfg).unwrap();
    let steps = 300;
    let mut out = vec![0.0; steps * nv * 76];
    match sim.run(steps, &mut out) {
        Ok(()) => out,
        // a model that diverges under this coupling diverges the same way in
        // both: what was computed before is compared
        Err(ModelError::Diverged { step, .. }) => out[..(step as usize - 1) * nv * 76].to_vec(),
        Err(e) => panic!("{}: {e}", info.name),
    }
}

#[test]
fn whole_runs_of_generated_and_evaluated_models_are_bit_identical() {
    for &info in MODELS {
        let coupling = if info.name == "Kuramoto" {
            "Kuramoto"
        } else {
            "Linear"
        };
        let u = user(info);
        for stochastic in [false, true] {
            let (a, b) = (
                run(info, stochastic, coupling),
                run(u, stochastic, coupling),
            );
            // (a model that diverges at once under these settings compares
            // its empty output; its right-hand side is compared above)
            assert_eq!(bits(&a), bits(&b), "{} stochastic={stochastic}", info.name);
        }
    }
}

/// With per-region parameters too: the generated models (one parameter set
/// per region) and the evaluated declaration (per-region values read per
/// row) give the same bits.
#[test]
fn per_region_parameters_are_bit_identical_both_ways() {
    for name in [
        "ReducedWongWang",
        "Generic2dOscillator",
        "ZerlautAdaptationSecondOrder",
    ] {
        let info = model_info(name).unwrap();
        let u = user(info);
        let mut ps = ParamSet::defaults(info.params);
        // the first scalar parameter (and a vector element if any) varies
        let first = info.params.iter().find(|p| !p.is_vector()).unwrap();
        let vals: Vec<f64> = (0..76)
            .map(|i| first.lo + (first.hi - first.lo) * (0.25 + 0.5 * ((i as f64 * 0.618) % 1.0)))
            .collect();
        ps.set_regional(info.name, first.name, &vals).unwrap();
        if let Some(v) = info.params.iter().find(|p| p.is_vector()) {
            let e: Vec<f64> = (0..76)
                .map(|i| v.defaults[1] * (1.0 + 0.01 * (i % 5) as f64))
                .collect();
            ps.set_regional(info.name, &format!("{}[1]", v.name), &e)
                .unwrap();
        }
        let run_with = |info: &'static ModelInfo| {
            let nv = info.nvar();
            let mut sim = MeanFieldSim::new(MeanFieldConfig {
                model: info,
                model_params: ps.clone(),
                coupling: Coupling::new("Linear", [("a", 0.01)]).unwrap(),
                connectivity: Connectivity::tvb76(),
                speed_mm_per_ms: 3.0,
                dt_ms: 0.1,
                scheme: Scheme::Heun,
                noise: None,
                initial: InitialConditions::Golden,
                proxy_nodes: vec![],
            })
            .unwrap();
            let mut out = vec![0.0; 200 * nv * 76];
            sim.run(200, &mut out).unwrap();
            out
        };
        let (a, b) = (run_with(info), run_with(u));
        assert_eq!(bits(&a), bits(&b), "{name}");
        // and the per-region values matter
        let uniform = {
            let mut q = ps.clone();
            q.set(info.name, first.name, vals[0]).unwrap();
            q
        };
        assert!(uniform.regional().len() < ps.regional().len());
    }
}

/// A run of `info` under `coupling` (`[("a", 0.01)]`-like overrides given)
/// on `connectivity`, its raw states up to the end or to a divergence.
fn run_coupled(
    info: &'static ModelInfo,
    coupling: Coupling,
    connectivity: Connectivity,
) -> Vec<f64> {
    let nv = info.nvar();
    let n = connectivity.n;
    let mut sim = MeanFieldSim::new(MeanFieldConfig {
        model: info,
        model_params: ParamSet::defaults(info.params),
        coupling,
        connectivity,
        speed_mm_per_ms: 3.0,
        dt_ms: 0.1,
        scheme: Scheme::Heun,
        noise: Some(NoiseConfig {
            kind: NoiseKind::Additive,
            nsig: vec![1e-6; nv],
            seed: 5,
            stream: Default::default(),
            ntau_ms: 0.0,
        }),
        initial: InitialConditions::Golden,
        proxy_nodes: vec![],
    })
    .unwrap();
    let steps = 300;
    let mut out = vec![0.0; steps * nv * n];
    match sim.run(steps, &mut out) {
        Ok(()) => out,
        Err(ModelError::Diverged { step, .. }) => out[..(step as usize - 1) * nv * n].to_vec(),
        Err(e) => panic!("{}: {e}", info.name),
    }
}

/// PreSigmoidal's two forms, each on its model with parameters off the
/// defaults, as tvb_cases.rs's references: static (`theta`, the weights
/// transposed) and dynamic (the threshold the second coupled variable, the
/// direct output the second term).
const PRESIGMOIDAL_CASES: &[(&str, &[(&str, f64)])] = &[
    ("Hopfield", &[("dynamic", 0.0), ("theta", 0.3), ("G", 10.0)]),
    (
        "HopfieldDynamic",
        &[("H", 0.2), ("Q", 0.8), ("G", 5.0), ("P", 1.3)],
    ),
];

/// Every built-in coupling's declaration (`models/decl/couplings/`),
/// loaded as a user's coupling under another name and evaluated from it,
/// gives the built-in's runs to the last bit: sparse and dense sums,
/// float32 and float64 products, the target's own state (Difference,
/// Kuramoto), two coupled variables combined into one term
/// (SigmoidalJansenRit), a term per coupled variable (SupHopf, two), and
/// tvb-library 2.10's PreSigmoidal sum (`sum = "presigmoidal"`: static on
/// Hopfield, dynamic on HopfieldDynamic).
#[test]
fn declared_couplings_give_the_built_ins_bits() {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/decl/couplings");
    let mut checked = 0;
    for e in std::fs::read_dir(dir).unwrap() {
        let path = e.unwrap().path();
        let text = std::fs::read_to_string(&path).unwrap();
        let name = path.file_stem().unwrap().to_str().unwrap().to_string();
        let renamed = text.replace(
            &format!("name = \"{name}\""),
            &format!("name = \"My{name}\""),
        );
        assert_ne!(text, renamed, "{name}: its declaration names it so");
        // its own name is refused: that of a built-in
        let e = brainstream_models::user_coupling::compile("c.toml", &text).unwrap_err();
        assert!(e.to_string().contains("built-in coupling"), "{e}");
        let info = brainstream_models::user_coupling::compile("c.toml", &renamed).unwrap();
        // loaded as a user's, the declaration gives the table the build
        // generated from it for the built-in: names, defaults, ranges (a
        // coupling's range is also its limit), units and docs
        let builtin = brainstream_models::coupling::coupling_info(&name).unwrap();
        let table = |ps: &[ParamDef]| -> Vec<String> {
            ps.iter()
                .map(|p| {
                    format!(
                        "{} {} {} {} {} {} {} {}",
                        p.name, p.default, p.lo, p.hi, p.min, p.max, p.unit, p.doc
                    )
                })
                .collect()
        };
        assert_eq!(table(builtin.params), table(info.params), "{name}");
        assert_eq!(
            builtin.doc,
            info.doc.split(" (tvb-library").next().unwrap(),
            "{name}"
        );
        // the models it couples, each with a parameter set off the
        // defaults, as a graph would give
        let over: Vec<(&str, f64)> = match name.as_str() {
            "Linear" => vec![("a", 0.01), ("b", 0.001)],
            "Sigmoidal" => vec![("a", 2.0), ("sigma", 1.5), ("midpoint", 0.1)],
            "SigmoidalJansenRit" => vec![("a", 2.0)],
            "HyperbolicTangent" => vec![("a", 0.01), ("b", 0.5)],
            _ => vec![("a", 0.01)],
        };
        let cases: Vec<(&str, Vec<(&str, f64)>)> = match name.as_str() {
            "SigmoidalJansenRit" => vec![("JansenRit", over)],
            "Kuramoto" => vec![("Kuramoto", over)],
            "PreSigmoidal" => PRESIGMOIDAL_CASES
                .iter()
                .map(|(m, over)| (*m, over.to_vec()))
                .collect(),
            _ => vec![("Generic2dOscillator", over.clone()), ("SupHopf", over)],
        };
        for (m, over) in &cases {
            let model = model_info(m).unwrap();
            let built_in = Coupling::new(&name, over.iter().copied()).unwrap();
            let mine = Coupling::from_info(info, over.iter().copied()).unwrap();
            assert_eq!(
                built_in.n_terms(model.cvar.len()),
                mine.n_terms(model.cvar.len()),
                "{name} {m}"
            );
            let (a, b) = (
                run_coupled(model, built_in, Connectivity::tvb76()),
                run_coupled(model, mine, Connectivity::tvb76()),
            );
            assert!(
                a.len() > 76 * model.nvar() * 10,
                "{name} {m} diverged at once"
            );
            assert_eq!(bits(&a), bits(&b), "{name} on {m}");
            checked += 1;
        }
    }
    assert_eq!(checked, 2 * 5 + 2 + 2, "every coupling file checked");
}

/// PreSigmoidal's declaration as a user's coupling on a dense, asymmetric
/// connectome of 100 regions (a tenth of the weights 0, so that the static
/// form's terms with w_ji ≠ 0 but w_ij = 0 read X = 0): more terms per sum
/// than one block of `pre` (`modeldecl::coupling::BLOCK`, 64), both forms
/// give the built-in's bits; its `dynamic` switch cannot be steered.
#[test]
fn a_declared_presigmoidal_sum_over_many_blocks_gives_the_built_ins_bits() {
    let n = 100;
    let mut rng = rand::rngs::StdRng::seed_from_u64(7);
    let mut matrix = |zero: f64, scale: f64| brainstream_models::datafile::Matrix {
        rows: n,
        cols: n,
        data: (0..n * n)
            .map(|_| {
                if rng.gen::<f64>() < zero {
                    0.0
                } else {
                    scale * rng.gen::<f64>()
                }
            })
            .collect(),
    };
    let (weights, lengths) = (matrix(0.1, 0.05), matrix(0.0, 60.0));
    let conn = Connectivity::from_parts(weights, lengths, None, None, "dense100").unwrap();
    let text = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/decl/couplings/PreSigmoidal.toml"
    ))
    .unwrap()
    .replace("name = \"PreSigmoidal\"", "name = \"MyPreSigmoidalDense\"");
    let info = brainstream_models::user_coupling::compile("c.toml", &text).unwrap();
    // its `dynamic` switch sets the number of terms: not steerable
    let c = Coupling::from_info(info, []).unwrap();
    assert!(!c.steerable().contains(&"dynamic") && c.steerable().contains(&"H"));
    let e = c.with_param("dynamic", 0.0).unwrap_err().to_string();
    assert!(
        e.contains("MyPreSigmoidalDense has no parameter `dynamic`"),
        "{e}"
    );
    for &(m, over) in PRESIGMOIDAL_CASES {
        let model = model_info(m).unwrap();
        let built_in = Coupling::new("PreSigmoidal", over.iter().copied()).unwrap();
        let mine = Coupling::from_info(info, over.iter().copied()).unwrap();
        let (a, b) = (
            run_coupled(model, built_in, conn.clone()),
            run_coupled(model, mine, conn.clone()),
        );
        assert!(a.len() > n * model.nvar() * 10, "{m} diverged at once");
        assert_eq!(bits(&a), bits(&b), "{m}");
    }
}
