//! Spiking network throughput: the 1000-neuron iaf_cond_alpha network of
//! `shared/peers/nest_ref.py --recurrent` (the co-simulation benchmark's
//! spiking region) and the 1000-neuron iaf_psc_alpha Brunel network of
//! `tests/data/nest`, 1 s simulated at 0.1 ms, single thread, best of 3.
//! `benches/compare_nest.py` runs NEST on the same networks in the same run.
//!
//! `cargo bench --bench spiking` (prints one JSON line per network).

use std::hint::black_box;
use std::time::Instant;

use brainstream::models::params::ParamSet;
use brainstream::models::spiking::iaf_cond_alpha::{IafCondAlpha, PARAMS as COND};
use brainstream::models::spiking::iaf_psc_alpha::{IafPscAlpha, PARAMS as PSC};
use brainstream::models::spiking::{Network, Neurons, Rule};

fn cond(seed: u64) -> Network {
    let t = Neurons::CondAlpha(IafCondAlpha::new(1, &ParamSet::defaults(COND), 0.1).unwrap());
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

fn brunel(seed: u64) -> Network {
    let t = Neurons::PscAlpha(IafPscAlpha::new(1, &ParamSet::defaults(PSC), 0.1).unwrap());
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
    let (reps, steps) = if bench { (3, 10_000) } else { (1, 200) };
    let cores = std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(1);
    let nets = [
        ("iaf_cond_alpha_n1000_rec", cond as fn(u64) -> Network),
        ("iaf_psc_alpha_brunel_n1000", brunel),
    ];
    for (name, make) in nets {
        let counts = if cores > 1 { vec![1, cores] } else { vec![1] };
        for threads in counts {
            let mut best = f64::INFINITY;
            let mut rate = 0.0;
            for r in 0..reps {
                let mut net = make(12345 + r as u64);
                let t = Instant::now();
                let mut spikes = 0usize;
                net.run(steps, threads, |_, f| spikes += f.len());
                let wall = t.elapsed().as_secs_f64();
                black_box(spikes);
                best = best.min(wall);
                rate = spikes as f64 / net.len() as f64 / (steps as f64 * 1e-4);
            }
            println!(
                "{{\"network\": \"{name}\", \"threads\": {threads}, \"simulated_s\": {}, \"wall_s\": {best:.4}, \"wall_s_per_sim_s\": {:.4}, \"mean_rate_hz\": {rate:.2}}}",
                steps as f64 * 1e-4,
                best / (steps as f64 * 1e-4)
            );
        }
    }
}
