//! Spiking network throughput: the 1000-neuron iaf_cond_alpha network of
//! `shared/peers/nest_ref.py --recurrent` (the co-simulation benchmark's
//! spiking region) and the 1000-neuron iaf_psc_alpha Brunel network of
//! `tests/data/nest`, 1 s simulated at 0.1 ms, single thread, best of 3.
//! `benches/compare_nest.py` runs NEST on the same networks in the same run.
//! A third network has the shape of `shared/peers/annarchy_ref.py
//! --recurrent` (PyNN's IF_cond_alpha parameters as iaf_cond_alpha, 1000
//! shared 20 Hz Poisson sources, 100 per neuron, Bernoulli per step as
//! ANNarchy's PoissonPopulation); `benches/compare_nest.py --annarchy` runs
//! ANNarchy on it (explicit Euler there, GSL's RKF45 here).
//!
//! `cargo bench --bench spiking` (prints one JSON line per network).

use std::hint::black_box;
use std::time::Instant;

use rand::{Rng, SeedableRng};

use brainstream::models::params::ParamSet;
use brainstream::models::spiking::iaf_cond_alpha::{IafCondAlpha, Solver, PARAMS as COND};
use brainstream::models::spiking::iaf_psc_alpha::{IafPscAlpha, PARAMS as PSC};
use brainstream::models::spiking::{Network, Rule};

fn cond(seed: u64) -> Network {
    cond_with(seed, Solver::default())
}

fn cond_rk4(seed: u64) -> Network {
    cond_with(seed, Solver::Rk4)
}

fn cond_with(seed: u64, solver: Solver) -> Network {
    let t = IafCondAlpha::new(1, &ParamSet::defaults(COND), 0.1)
        .unwrap()
        .with_solver(solver);
    let mut net = Network::new(&[("E".into(), 800), ("I".into(), 200)], &t, 0.1, seed).unwrap();
    net.randomize_v_m(-70.0, -55.0);
    for dst in [0, 1] {
        net.connect(0, dst, Rule::FixedIndegree(80), 0.5, 1.5)
            .unwrap();
        net.connect(1, dst, Rule::FixedIndegree(20), -2.0, 1.5)
            .unwrap();
        net.background(dst, 8000.0, 1.5, 1.0).unwrap();
    }
    net.build();
    net
}

/// The network of `annarchy_ref.py --recurrent`, and its Poisson sources:
/// (network, targets of each source, source spike probability per step).
fn annarchy_shaped(seed: u64, solver: Solver) -> (Network, Vec<Vec<u32>>, f64) {
    // PyNN IF_cond_alpha: cm 1 nF, tau_m 20 ms, v_rest = v_reset −65 mV,
    // v_thresh −50 mV, tau_syn 5 ms, e_rev 0 / −70 mV; tau_refrac 2 ms
    let params = ParamSet::from_overrides(
        "iaf_cond_alpha",
        COND,
        [
            ("C_m", 1000.0),
            ("g_L", 50.0),
            ("E_L", -65.0),
            ("V_reset", -65.0),
            ("V_th", -50.0),
            ("t_ref", 2.0),
            ("tau_syn_ex", 5.0),
            ("tau_syn_in", 5.0),
            ("E_ex", 0.0),
            ("E_in", -70.0),
        ],
    )
    .unwrap();
    let t = IafCondAlpha::new(1, &params, 0.1)
        .unwrap()
        .with_solver(solver);
    let mut net = Network::new(&[("E".into(), 800), ("I".into(), 200)], &t, 0.1, seed).unwrap();
    net.randomize_v_m(-65.0, -50.0);
    // weights in nS (ANNarchy's µS × 1000)
    for dst in [0, 1] {
        net.connect(0, dst, Rule::FixedIndegree(80), 0.5, 1.5)
            .unwrap();
        net.connect(1, dst, Rule::FixedIndegree(20), -2.0, 1.5)
            .unwrap();
    }
    net.build();
    // each neuron draws 100 distinct of the 1000 sources
    let mut rng = rand::rngs::StdRng::seed_from_u64(seed ^ 0x5eed);
    let mut targets = vec![vec![]; 1000];
    for n in 0..1000u32 {
        for s in rand::seq::index::sample(&mut rng, 1000, 100) {
            targets[s].push(n);
        }
    }
    (net, targets, 20.0 * 1e-4)
}

fn brunel(seed: u64) -> Network {
    let t = IafPscAlpha::new(1, &ParamSet::defaults(PSC), 0.1).unwrap();
    let mut net = Network::new(&[("E".into(), 800), ("I".into(), 200)], &t, 0.1, seed).unwrap();
    for (src, k, w) in [(0, 80, 20.0), (1, 20, -100.0)] {
        for dst in [0, 1] {
            net.connect(src, dst, Rule::FixedIndegree(k), w, 1.5)
                .unwrap();
        }
    }
    for dst in [0, 1] {
        net.background(dst, 4500.0, 20.0, 0.1).unwrap();
    }
    net.build();
    net
}

fn main() {
    let bench = std::env::args().any(|a| a == "--bench");
    // `cargo bench --bench spiking -- NAME` runs the networks whose names
    // contain NAME
    let filter = std::env::args()
        .skip(1)
        .find(|a| !a.starts_with("--"))
        .unwrap_or_default();
    let (reps, steps) = if bench { (3, 10_000) } else { (1, 200) };
    let cores = std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(1);
    let nets = [
        ("iaf_cond_alpha_n1000_rec", cond as fn(u64) -> Network),
        ("iaf_cond_alpha_n1000_rec_rk4", cond_rk4),
        ("iaf_psc_alpha_brunel_n1000", brunel),
    ];
    for (name, make) in nets {
        if !name.contains(&filter) {
            continue;
        }
        let counts = if cores > 1 { vec![1, cores] } else { vec![1] };
        for threads in counts {
            let (best, rate) = best_of(reps, steps, |r| {
                let mut net = make(12345 + r);
                let t = Instant::now();
                let mut spikes = 0usize;
                net.run(steps, threads, |_, f| spikes += f.len());
                (t.elapsed().as_secs_f64(), spikes, net.len())
            });
            report(name, threads, steps, best, rate);
        }
    }
    // the ANNarchy-shaped network: sources drawn and injected every step
    for (name, solver) in [
        ("iaf_cond_alpha_n1000_annarchy_shaped", Solver::default()),
        ("iaf_cond_alpha_n1000_annarchy_shaped_rk4", Solver::Rk4),
    ] {
        if name.contains(&filter) {
            annarchy_run(name, solver, reps, steps);
        }
    }
}

/// Runs the ANNarchy-shaped network and reports it.
fn annarchy_run(name: &str, solver: Solver, reps: usize, steps: usize) {
    let (best, rate) = best_of(reps, steps, |r| {
        let (mut net, targets, p) = annarchy_shaped(12345 + r, solver);
        let mut rng = rand::rngs::StdRng::seed_from_u64(r);
        let t = Instant::now();
        let mut spikes = 0usize;
        for _ in 0..steps {
            for tg in &targets {
                if rng.gen::<f64>() < p {
                    for &n in tg {
                        net.inject(n as usize, 1.5, 10).unwrap();
                    }
                }
            }
            spikes += net.step().len();
        }
        (t.elapsed().as_secs_f64(), spikes, net.len())
    });
    report(name, 1, steps, best, rate);
}

/// Best wall time (s) of `reps` runs of `once(rep)` → (wall s, spikes,
/// neurons), and the mean rate (Hz) of the last run.
fn best_of(
    reps: usize,
    steps: usize,
    mut once: impl FnMut(u64) -> (f64, usize, usize),
) -> (f64, f64) {
    let mut best = f64::INFINITY;
    let mut rate = 0.0;
    for r in 0..reps {
        let (wall, spikes, n) = once(r as u64);
        black_box(spikes);
        best = best.min(wall);
        rate = spikes as f64 / n as f64 / (steps as f64 * 1e-4);
    }
    (best, rate)
}

/// One JSON line.
fn report(name: &str, threads: usize, steps: usize, best: f64, rate: f64) {
    let sim_s = steps as f64 * 1e-4;
    println!(
        "{{\"network\": \"{name}\", \"threads\": {threads}, \"simulated_s\": {sim_s}, \"wall_s\": {best:.4}, \"wall_s_per_sim_s\": {:.4}, \"mean_rate_hz\": {rate:.2}}}",
        best / sim_s
    );
}
