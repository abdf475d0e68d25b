//! A user's model against the same model built in: the declaration of a
//! built-in model (`models/decl/NAME.toml`), loaded as a user's file is
//! (checked at run time, evaluated by the batch evaluator, no compiler),
//! against the Rust generated from it at build time. ms of wall time per
//! simulated second on one engine thread, Heun, dt 0.1 ms; the two
//! alternate, five rounds, the minimum of each kept.
//!
//! `cargo bench --bench models` (add `-- --quick` for one round).

use std::path::Path;
use std::time::Instant;

use brainstream::models::coupling::Coupling;
use brainstream::models::integrator::Scheme;
use brainstream::models::user_model::info_of;
use brainstream::models::*;

fn sim(info: &'static ModelInfo, conn: &Connectivity, a: f64, speed: f64) -> MeanFieldSim {
    MeanFieldSim::with_threads(
        MeanFieldConfig {
            model: info,
            model_params: ParamSet::defaults(info.params),
            coupling: Coupling::new("Linear", [("a", a), ("b", 0.0)]).expect("coupling"),
            connectivity: conn.clone(),
            speed_mm_per_ms: speed,
            dt_ms: 0.1,
            scheme: Scheme::Heun,
            noise: None,
            initial: InitialConditions::Golden,
            proxy_nodes: vec![],
        },
        1,
    )
    .expect("engine")
}

/// ms per simulated second of `steps` steps.
fn time(info: &'static ModelInfo, conn: &Connectivity, a: f64, speed: f64, steps: usize) -> f64 {
    let mut s = sim(info, conn, a, speed);
    let mut out = vec![0.0; 1000 * info.nvar() * conn.n];
    let t0 = Instant::now();
    let mut left = steps;
    while left > 0 {
        let k = left.min(1000);
        s.run(k, &mut out[..k * info.nvar() * conn.n]).expect("run");
        left -= k;
    }
    t0.elapsed().as_secs_f64() * 1e3 * (10_000.0 / steps as f64)
}

fn main() {
    let quick = std::env::args().any(|a| a == "--quick");
    let rounds = if quick { 1 } else { 5 };
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let adex = Connectivity::load("data/connectivity/connectivity_68.zip", root)
        .expect("data/connectivity/connectivity_68.zip");
    let cases: [(&str, Connectivity, f64, f64, usize); 2] = [
        (
            "ReducedWongWang",
            Connectivity::tvb76(),
            0.0042,
            3.0,
            10_000,
        ),
        ("ZerlautAdaptationSecondOrder", adex, 0.3, 4.0, 2_000),
    ];
    println!("| model | regions | built in, ms per s simulated | user's file, ms per s | user / built in |");
    println!("|---|---|---|---|---|");
    for (name, conn, a, speed, steps) in cases {
        let builtin = model_info(name).expect("model");
        let (program, _) = modeldecl::compile(name, builtin.source).expect("declaration");
        let user = info_of(program, builtin.source);
        let (mut b, mut u) = (f64::INFINITY, f64::INFINITY);
        for _ in 0..rounds {
            b = b.min(time(builtin, &conn, a, speed, steps));
            u = u.min(time(user, &conn, a, speed, steps));
        }
        println!("| {name} | {} | {b:.1} | {u:.1} | {:.2} |", conn.n, u / b);
    }
}
