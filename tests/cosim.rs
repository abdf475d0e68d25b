//! In-process co-simulation: Wilson-Cowan with two spiking regions
//! (graphs/cosim_wc76_spiking.toml).

mod common;
use common::*;

fn h5(path: &std::path::Path, ds: &str) -> (Vec<usize>, Vec<f64>) {
    let f = open_h5(path);
    let d = f.dataset(ds).unwrap();
    (d.shape(), d.read_raw::<f64>().unwrap())
}

#[test]
fn spiking_rates_replace_the_proxy_regions_one_millisecond_later() {
    let dir = tempfile::tempdir().unwrap();
    run(
        &root().join("graphs/cosim_wc76_spiking.toml"),
        dir.path(),
        &["simulation.duration_ms=200"],
    )
    .unwrap();
    let (rs, rates) = h5(&dir.path().join("rates.h5"), "data"); // (steps, [E, I], [rM1, lM1], 1)
    let (ws, raw) = h5(&dir.path().join("raw.h5"), "data"); // (steps, [E, I], 76, 1)
    assert_eq!(rs, vec![2000, 2, 2, 1]);
    assert_eq!(ws, vec![2000, 2, 76, 1]);
    // rates are stamped at the end of their step: row r is stamp r + 1
    let rate = |stamp: usize, var: usize, reg: usize| rates[((stamp - 1) * 2 + var) * 2 + reg];
    let wc = |stamp: usize, var: usize, node: usize| raw[((stamp - 1) * 2 + var) * 76 + node];
    // the state of rM1 (12) and lM1 (50) at stamp k is 0.01 × the filtered
    // rate stamped k − 10 (1 ms edge delay), exactly
    for k in 11..2000 {
        for (reg, node) in [(0, 12), (1, 50)] {
            for var in 0..2 {
                assert_eq!(
                    wc(k, var, node),
                    0.01 * rate(k - 10, var, reg),
                    "stamp {k} region {node} var {var}"
                );
            }
        }
    }
    // the spiking regions are active at plausible rates
    let tail: f64 = (1000..2000).map(|k| rate(k, 0, 0)).sum::<f64>() / 1000.0;
    assert!((5.0..200.0).contains(&tail), "E rate of rM1 {tail} Hz");
    let f = open_h5(&dir.path().join("spikes.h5"));
    let senders = f
        .dataset("spikes/senders")
        .unwrap()
        .read_raw::<u32>()
        .unwrap();
    assert!(senders.len() > 1000 && senders.iter().all(|&s| s < 2000));
}

#[test]
fn serial_and_parallel_co_simulations_are_bit_identical() {
    let (d1, d2) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let g = root().join("graphs/cosim_wc76_spiking.toml");
    run(
        &g,
        d1.path(),
        &["simulation.duration_ms=50", "simulation.scheme=\"serial\""],
    )
    .unwrap();
    run(
        &g,
        d2.path(),
        &[
            "simulation.duration_ms=50",
            "simulation.scheme=\"parallel\"",
        ],
    )
    .unwrap();
    for (f, ds) in [
        ("raw.h5", "data"),
        ("rates.h5", "data"),
        ("spikes.h5", "spikes/times"),
    ] {
        let (a, b) = (h5(&d1.path().join(f), ds).1, h5(&d2.path().join(f), ds).1);
        assert!(!a.is_empty());
        assert_eq!(
            a.iter().map(|x| x.to_bits()).collect::<Vec<_>>(),
            b.iter().map(|x| x.to_bits()).collect::<Vec<_>>(),
            "{f}"
        );
    }
}

#[test]
fn co_simulation_bad_input_is_refused_with_the_actor_and_parameter() {
    let g = root().join("graphs/cosim_wc76_spiking.toml");
    let cases: &[(&[&str], &str)] = &[
        (
            &["actors.brain.proxy_nodes=[12, 76]"],
            "actors.brain.proxy_nodes[1]: region 76 is outside the connectome",
        ),
        (
            &["actors.brain.proxy_nodes=[\"rM1\", \"lMl\"]"],
            "no region labelled `lMl`",
        ),
        (
            &["actors.net.input.targets=[\"E\", \"X\"]"],
            "actors.net.input.targets[1]: no population `X`",
        ),
        (
            &["simulation.sync_ms=2.0"],
            "longer than the smallest edge delay",
        ),
        (
            &["actors.net.model=\"pp_psc_delta\""],
            "neuron model `pp_psc_delta` is not available yet",
        ),
        (
            &["actors.net.connections.0.rule=\"random\""],
            "unknown rule `random`",
        ),
        (
            &["actors.net.connections.0.weight={ dist = \"gamma\", mean = 1.0 }"],
            "unknown distribution `gamma`",
        ),
        (
            &["actors.net.connections.0.weight={ dist = \"uniform\", low = 2.0, high = 1.0 }"],
            "low 2 must be below high 1",
        ),
    ];
    for (set, want) in cases {
        let e = match brainstream::load_graph(&g, set.iter().map(|s| s.to_string()).collect()) {
            Ok(_) => panic!("{set:?} accepted"),
            Err(e) => e.to_string(),
        };
        assert!(e.contains(want), "{set:?}: {e}");
    }
    // negative rates reaching a Poisson generator stop the run, naming it
    let dir = tempfile::tempdir().unwrap();
    let e = run(
        &g,
        dir.path(),
        &[
            "simulation.duration_ms=10",
            "actors.brain.coupling_params.a=-0.02",
        ],
    )
    .unwrap_err()
    .to_string();
    assert!(
        e.contains("actor `gen`") && e.contains("must be finite and ≥ 0"),
        "{e}"
    );
}

#[test]
fn rww_co_simulation_replaces_s_e_and_s_i_through_the_rww_filters() {
    let dir = tempfile::tempdir().unwrap();
    run(
        &root().join("graphs/cosim_rww76_spiking.toml"),
        dir.path(),
        &["simulation.duration_ms=100"],
    )
    .unwrap();
    let (_, rates) = h5(&dir.path().join("rates.h5"), "data"); // (steps, [E, I], [rM1, lM1], 1), rate over step k at row k
    let (ws, raw) = h5(&dir.path().join("raw.h5"), "data"); // (steps, [S_e, S_i], 76, 1)
    assert_eq!(ws, vec![1000, 2, 76, 1]);
    // recompute the RWW filters from the recorded rates, exactly as the actor
    let (te, ti, ge, gi, dt) = (100.0f64, 10.0f64, 0.641e-3f64, 1e-3f64, 0.1f64);
    let mut s = [(0.0f64, 0.0f64); 2];
    let mut filtered = vec![[(0.0, 0.0); 2]; 1001]; // by stamp
    for k in 1..=1000 {
        for reg in 0..2 {
            let (re, ri) = (
                rates[((k - 1) * 2) * 2 + reg],
                rates[((k - 1) * 2 + 1) * 2 + reg],
            );
            let ke = 1.0 / te + ge * re;
            let se_inf = ge * re / ke;
            s[reg].0 = se_inf + (s[reg].0 - se_inf) * (-ke * dt).exp();
            let si_inf = gi * ri * ti;
            s[reg].1 = si_inf + (s[reg].1 - si_inf) * (-dt / ti).exp();
            filtered[k][reg] = s[reg];
        }
    }
    for k in 11..=1000 {
        for (reg, node) in [(0usize, 12usize), (1, 50)] {
            let (se, si) = (
                raw[((k - 1) * 2) * 76 + node],
                raw[((k - 1) * 2 + 1) * 76 + node],
            );
            assert_eq!((se, si), filtered[k - 10][reg], "stamp {k} region {node}");
        }
    }
}

#[test]
fn devices_in_a_graph_reproduce_nest() {
    // step_current_generator → spiking_network: the NEST reference run of
    // tests/data/nest (step_current.json), through actors and edges
    let dir = tempfile::tempdir().unwrap();
    run(
        &root().join("tests/graphs/good/step_current_neuron.toml"),
        dir.path(),
        &[],
    )
    .unwrap();
    let reference: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(root().join("tests/data/nest/step_current.json")).unwrap(),
    )
    .unwrap();
    let want: Vec<f64> = reference["spike_times_ms"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_f64().unwrap())
        .collect();
    let want_vm: Vec<f64> = reference["vm_mV"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_f64().unwrap())
        .collect();
    let f = open_h5(&dir.path().join("spikes.h5"));
    let times = f
        .dataset("spikes/times")
        .unwrap()
        .read_raw::<f64>()
        .unwrap();
    assert_eq!(times.len(), want.len());
    for (a, b) in times.iter().zip(&want) {
        assert!((a - b).abs() < 1e-9, "{a} vs {b}");
    }
    let (shape, vm) = h5(&dir.path().join("vm.h5"), "data");
    assert_eq!(shape, vec![2000, 1, 1, 1]);
    let err = vm
        .iter()
        .zip(&want_vm)
        .map(|(a, b)| (a - b).abs())
        .fold(0.0, f64::max);
    assert!(err < 1e-9, "max |ΔV_m| {err} mV");
}

#[test]
fn spike_generator_emits_its_times_and_refuses_off_grid_ones() {
    let dir = tempfile::tempdir().unwrap();
    let g = write(dir.path(), "g.toml", "[simulation]\ndt_ms = 0.1\nduration_ms = 5.0\nsync_ms = 1.0\n[actors.gen]\nkind = \"spike_generator\"\nspike_times_ms = [0.5, 1.0, 1.0, 4.9]\nsenders = [0, 1, 2, 0]\n[actors.rec]\nkind = \"hdf5_recorder\"\n[[edges]]\nfrom = \"gen.spikes\"\nto = \"rec.spikes\"\n");
    run(&g, dir.path(), &[]).unwrap();
    let f = open_h5(&dir.path().join("rec.h5"));
    assert_eq!(
        f.dataset("spikes/times")
            .unwrap()
            .read_raw::<f64>()
            .unwrap(),
        vec![0.5, 1.0, 1.0, 4.9]
    );
    assert_eq!(
        f.dataset("spikes/senders")
            .unwrap()
            .read_raw::<u32>()
            .unwrap(),
        vec![0, 1, 2, 0]
    );
    let e = brainstream::load_graph(
        &g,
        vec![
            "actors.gen.spike_times_ms=[0.55]".into(),
            "actors.gen.senders=[0]".into(),
        ],
    )
    .unwrap_err()
    .to_string();
    assert!(
        e.contains("actors.gen.spike_times_ms[0]: 0.55 ms is not a positive multiple of dt"),
        "{e}"
    );
}

#[test]
fn co_simulation_graphs_draw_their_plots() {
    let dir = tempfile::tempdir().unwrap();
    run(
        &root().join("graphs/cosim_wc76_spiking.toml"),
        dir.path(),
        &["simulation.duration_ms=30"],
    )
    .unwrap();
    for png in ["raster.png", "rates_plot.png", "brain_plot.png"] {
        let bytes = std::fs::read(dir.path().join(png)).unwrap();
        assert!(
            bytes.len() > 10_000 && bytes.starts_with(b"\x89PNG\r\n\x1a\n"),
            "{png}"
        );
    }
}

#[test]
fn distributed_weights_and_delays_run() {
    let dir = tempfile::tempdir().unwrap();
    run(
        &root().join("graphs/cosim_wc76_spiking.toml"),
        dir.path(),
        &[
            "simulation.duration_ms=20",
            "actors.net.connections.0.weight={ dist = \"normal\", mean = 20.0, std = 2.0 }",
            "actors.net.connections.0.delay_ms={ dist = \"uniform\", low = 1.0, high = 2.0 }",
        ],
    )
    .unwrap();
}

#[test]
fn poisson_devices_in_a_graph_give_their_rates_reproducibly() {
    // inhomogeneous_poisson_generator (50 trains: 10 Hz, then 80 Hz from
    // 500 ms) → spike_rates (one population of 50) → recorder
    let dir = tempfile::tempdir().unwrap();
    let g = write(
        dir.path(),
        "g.toml",
        r#"[simulation]
dt_ms = 0.1
duration_ms = 1000.0
sync_ms = 1.0
seed = 11
[actors.gen]
kind = "inhomogeneous_poisson_generator"
rate_times = [0.0, 500.0]
rate_values = [10.0, 80.0]
n_trains = 50
[actors.rates]
kind = "spike_rates"
regions = ["r"]
populations = { E = 50 }
[actors.rec]
kind = "hdf5_recorder"
[[edges]]
from = "gen.spikes"
to = "rates.spikes"
[[edges]]
from = "rates.rates"
to = "rec.input"
"#,
    );
    run(&g, dir.path(), &[]).unwrap();
    let (shape, r) = h5(&dir.path().join("rec.h5"), "data");
    assert_eq!(shape, vec![10_000, 1, 1, 1]);
    // mean of the per-step histogram rate over each half: 50 trains × 0.5 s
    // give 250 and 2000 spikes expected; 4 sd
    let mean = |a: usize, b: usize| r[a..b].iter().sum::<f64>() / (b - a) as f64;
    let (lo, hi) = (mean(0, 5000), mean(5000, 10_000));
    assert!((lo - 10.0).abs() < 4.0 * 10.0 / 250f64.sqrt(), "{lo} Hz");
    assert!((hi - 80.0).abs() < 4.0 * 80.0 / 2000f64.sqrt(), "{hi} Hz");
    // the same seed gives the same trains
    let again = tempfile::tempdir().unwrap();
    run(&g, again.path(), &[]).unwrap();
    assert_eq!(h5(&again.path().join("rec.h5"), "data").1, r);
}

#[test]
fn the_rk4_solver_gives_nests_rates_through_a_graph() {
    // the 1000-neuron iaf_cond_alpha network of `shared/peers/nest_ref.py
    // --recurrent` in a graph, once with NEST's RKF45 and once with `rk4`:
    // the runs differ (the solver is used) and their mean rates agree
    // within 5 % (NEST's rate of this network: 28.5 Hz)
    let dir = tempfile::tempdir().unwrap();
    let g = dir.path().join("g.toml");
    let mut text = String::from(
        r#"[simulation]
dt_ms = 0.1
duration_ms = 300.0
sync_ms = 1.0
seed = 5
[actors.net]
kind = "spiking_network"
model = "iaf_cond_alpha"
regions = ["r"]
populations = { E = 800, I = 200 }
v_m_init = [-70.0, -55.0]
background = { rate_hz = 8000.0, weight = 1.5, delay_ms = 1.0 }
[actors.rec]
kind = "hdf5_recorder"
[[edges]]
from = "net.rates"
to = "rec.input"
"#,
    );
    for (from, to, k, w) in [
        ("E", "E", 80, 0.5),
        ("E", "I", 80, 0.5),
        ("I", "E", 20, -2.0),
        ("I", "I", 20, -2.0),
    ] {
        text += &format!(
            "[[actors.net.connections]]\nfrom = \"{from}\"\nto = \"{to}\"\nrule = \"fixed_indegree\"\nindegree = {k}\nweight = {w}\ndelay_ms = 1.5\n"
        );
    }
    std::fs::write(&g, text).unwrap();
    let rate = |solver: &str| {
        let out = dir.path().join(solver);
        run(&g, &out, &[&format!("actors.net.solver=\"{solver}\"")]).unwrap();
        let (shape, r) = h5(&out.join("rec.h5"), "data");
        assert_eq!(shape, vec![3000, 2, 1, 1]);
        // E and I populations weighted by size, after 50 ms
        let (mut e, mut i) = (0.0, 0.0);
        for k in 500..3000 {
            e += r[2 * k];
            i += r[2 * k + 1];
        }
        (r, (0.8 * e + 0.2 * i) / 2500.0)
    };
    let (a, nest) = rate("rkf45");
    let (b, rk4) = rate("rk4");
    eprintln!("mean rate: rkf45 {nest:.2} Hz, rk4 {rk4:.2} Hz");
    assert_ne!(a, b, "the solver must change the run");
    assert!(nest > 10.0, "the network must fire: {nest} Hz");
    assert!(
        (rk4 - nest).abs() <= 0.05 * nest,
        "rk4 {rk4} Hz, rkf45 {nest} Hz"
    );
}

/// One neuron of rM1 fed one spike of one source region's train: the V_m
/// trace of the run and the graph's text. `input` is the `input` table.
fn one_spike_into_rm1(dir: &std::path::Path, name: &str, sender: usize, input: &str) -> Vec<f64> {
    let g = dir.join(format!("{name}.toml"));
    std::fs::write(
        &g,
        format!(
            r#"[simulation]
dt_ms = 0.1
duration_ms = 60.0
sync_ms = 1.0
[actors.gen]
kind = "spike_generator"
spike_times_ms = [5.0]
senders = [{sender}]
[actors.net]
kind = "spiking_network"
model = "iaf_psc_alpha"
regions = ["rM1"]
populations = {{ E = 1 }}
record_v_m = [0]
input = {input}
[actors.rec]
kind = "hdf5_recorder"
[[edges]]
from = "gen.spikes"
to = "net.spikes_in"
delay_ms = 1.0
[[edges]]
from = "net.v_m"
to = "rec.input"
"#
        ),
    )
    .unwrap();
    let out = dir.join(name);
    run(&g, &out, &[]).unwrap();
    h5(&out.join("rec.h5"), "data").1
}

#[test]
fn spiking_coupling_applies_the_connectomes_weight_and_delay_to_the_step() {
    // `coupling = "spiking"`: the trains of source region j reach rM1's
    // neurons with weight × w_ij and TVB's delay rint(L_ij / speed / dt)
    // counted from the spike's stamp, the edge's 1 ms included. Checked
    // against the `tvb` mode (one delay, one weight) on the same neuron.
    let conn = brainstream::models::Connectivity::tvb76();
    let n = conn.n;
    let i = conn.labels.iter().position(|l| l == "rM1").unwrap();
    // the strongest source of rM1 (not itself)
    let j = (0..n)
        .filter(|&j| j != i)
        .max_by(|&a, &b| conn.weights[i * n + a].total_cmp(&conn.weights[i * n + b]))
        .unwrap();
    let w = conn.weights[i * n + j];
    let d = (conn.tract_lengths[i * n + j] / 3.0 / 0.1).round_ties_even() as usize;
    assert!(w > 0.0 && d > 10, "w {w}, d {d} steps");
    let dir = tempfile::tempdir().unwrap();
    let onset = |v: &[f64]| v.iter().position(|&x| x != v[0]).expect("a PSP");
    let tvb = one_spike_into_rm1(
        dir.path(),
        "tvb",
        0,
        r#"{ trains_per_region = 1, targets = ["E"], indegree = 1, weight = 100.0, delay_ms = 0.5 }"#,
    );
    let spiking = one_spike_into_rm1(
        dir.path(),
        "spiking",
        j,
        r#"{ coupling = "spiking", trains_per_region = 1, targets = ["E"], indegree = 1, weight = 100.0 }"#,
    );
    // tvb: edge 10 steps + synapse 5; spiking: d in all
    assert_eq!(
        onset(&spiking) as i64 - onset(&tvb) as i64,
        d as i64 - 15,
        "PSP onset (steps)"
    );
    let peak = |v: &[f64]| v.iter().map(|x| x - v[0]).fold(0.0, f64::max);
    let ratio = peak(&spiking) / peak(&tvb);
    assert!((ratio - w).abs() < 1e-9 * w, "PSP ratio {ratio}, w_ij {w}");
    // a train of rM1 itself (a proxy node: exclusive) makes no synapse
    let own = one_spike_into_rm1(
        dir.path(),
        "own",
        i,
        r#"{ coupling = "spiking", trains_per_region = 1, targets = ["E"], indegree = 1, weight = 100.0 }"#,
    );
    assert!(own.iter().all(|&x| x == own[0]), "no self-coupling");
}

#[test]
fn spiking_coupling_refuses_delays_shorter_than_its_edge() {
    let dir = tempfile::tempdir().unwrap();
    let g = write(
        dir.path(),
        "g.toml",
        r#"[simulation]
dt_ms = 0.1
duration_ms = 10.0
[actors.gen]
kind = "spike_generator"
spike_times_ms = [5.0]
[actors.net]
kind = "spiking_network"
regions = ["rM1"]
populations = { E = 1 }
input = { coupling = "spiking", speed_mm_per_ms = 1000.0, trains_per_region = 1, targets = ["E"], indegree = 1, weight = 1.0 }
[[edges]]
from = "gen.spikes"
to = "net.spikes_in"
delay_ms = 1.0
"#,
    );
    let e = run(&g, dir.path(), &[]).unwrap_err().to_string();
    assert!(e.contains("`net`: the connectome delay from"), "{e}");
    assert!(e.contains("to rM1 is"), "{e}");
    assert!(
        e.contains("not longer than the edge into spikes_in (1 ms)"),
        "{e}"
    );
}

#[test]
fn spiking_and_tvb_coupling_graphs_agree_on_the_proxy_rates() {
    // graphs/cosim_wc76_spiking_coupling.toml gives each neuron the mean
    // drive of graphs/cosim_wc76_spiking.toml through the connectome instead
    // of the mean field's coupling sum: the populations' mean rates agree
    // within 5 %
    let mean_rate = |graph: &str| {
        let dir = tempfile::tempdir().unwrap();
        run(
            &root().join("graphs").join(graph),
            dir.path(),
            &["simulation.duration_ms=300"],
        )
        .unwrap();
        let (shape, r) = h5(&dir.path().join("rates.h5"), "data");
        assert_eq!(shape, vec![3000, 2, 2, 1]);
        r[1000 * 4..].iter().sum::<f64>() / (2000.0 * 4.0)
    };
    let tvb = mean_rate("cosim_wc76_spiking.toml");
    let spiking = mean_rate("cosim_wc76_spiking_coupling.toml");
    eprintln!("proxy regions' mean rate: tvb mode {tvb:.2} Hz, spiking mode {spiking:.2} Hz");
    assert!(tvb > 10.0, "{tvb} Hz");
    assert!(
        (spiking - tvb).abs() <= 0.05 * tvb,
        "spiking {spiking} Hz, tvb {tvb} Hz"
    );
}

#[test]
fn parrot_neurons_repeat_their_trains_one_connection_delay_later() {
    // spike_generator ─0.3 ms─▶ parrot_neuron ─▶ recorder: NEST's parrot
    // emits a spike stamped j over a delay of 3 steps at (j + 3 + 1)·dt,
    // repeated spikes stay repeated, senders are the parrots' indices
    let dir = tempfile::tempdir().unwrap();
    let g = dir.path().join("g.toml");
    let graph = |delay: &str, n: u32| {
        format!(
            "[simulation]\ndt_ms = 0.1\nduration_ms = 6.0\nsync_ms = 0.1\n[actors.gen]\nkind = \"spike_generator\"\nspike_times_ms = [0.5, 1.0, 1.0, 4.9]\nsenders = [0, 2, 2, 1]\n[actors.parrots]\nkind = \"parrot_neuron\"\nn = {n}\n[actors.rec]\nkind = \"hdf5_recorder\"\n[[edges]]\nfrom = \"gen.spikes\"\nto = \"parrots.spikes\"\ndelay_ms = {delay}\n[[edges]]\nfrom = \"parrots.spikes\"\nto = \"rec.spikes\"\n"
        )
    };
    std::fs::write(&g, graph("0.3", 3)).unwrap();
    run(&g, dir.path(), &[]).unwrap();
    let f = open_h5(&dir.path().join("rec.h5"));
    let times = f
        .dataset("spikes/times")
        .unwrap()
        .read_raw::<f64>()
        .unwrap();
    let want = [0.8, 1.3, 1.3, 5.2];
    assert_eq!(times.len(), want.len(), "{times:?}");
    for (a, b) in times.iter().zip(want) {
        assert!((a - b).abs() < 1e-9, "{times:?}");
    }
    assert_eq!(
        f.dataset("spikes/senders")
            .unwrap()
            .read_raw::<u32>()
            .unwrap(),
        vec![0, 2, 2, 1]
    );
    // a train without its parrot, and a connection faster than a step
    std::fs::write(&g, graph("0.3", 2)).unwrap();
    let e = run(&g, &dir.path().join("b"), &[]).unwrap_err().to_string();
    assert!(
        e.contains("`parrots`: a spike from train 2 at 1.3 ms, but there are 2 parrots"),
        "{e}"
    );
    std::fs::write(&g, graph("0.0", 3)).unwrap();
    let e = run(&g, &dir.path().join("c"), &[]).unwrap_err().to_string();
    assert!(e.contains("NEST's minimal delay"), "{e}");
}

/// Mean field → spiking in current mode (`graphs/cosim_wc76_current.toml`,
/// issue 21): the coupling into rM1 and lM1 becomes a current (400 pA per
/// unit of c_E) into their excitatory neurons. It drives them: without it
/// (scale 0) the excitatory populations fire far less; the recorded
/// coupling is the c_E the current was made of; the run is deterministic.
#[test]
fn a_current_proxy_drives_the_spiking_regions_with_the_coupling() {
    let e_spikes = |scale: &str| {
        let dir = tempfile::tempdir().unwrap();
        run(
            &root().join("graphs/cosim_wc76_current.toml"),
            dir.path(),
            &[
                "simulation.duration_ms=200",
                &format!("actors.drive.scale={scale}"),
            ],
        )
        .unwrap();
        let f = open_h5(&dir.path().join("spikes.h5"));
        let senders = f
            .dataset("spikes/senders")
            .unwrap()
            .read_raw::<u32>()
            .unwrap();
        // E of rM1: senders 0–799, E of lM1: 1000–1799
        let e = senders.iter().filter(|&&s| s % 1000 < 800).count();
        let (shape, c, _) = read_h5(&dir.path().join("coupling_rec.h5"));
        assert_eq!(&shape[1..3], &[2, 2], "c_E, c_I of rM1, lM1");
        (e, c, senders)
    };
    let (driven, c, s1) = e_spikes("400.0");
    let (idle, _, _) = e_spikes("0.0");
    // c_E into the spiking regions is about 0.3: a current of about 120 pA
    let ce = c.chunks(4).map(|x| x[0]).sum::<f64>() / (c.len() / 4) as f64;
    assert!((0.1..1.0).contains(&ce), "mean c_E into rM1 {ce}");
    assert!(
        driven as f64 > 1.5 * idle as f64 && driven > 1000,
        "E spikes with the current {driven}, without {idle}"
    );
    // deterministic
    let (_, _, s2) = e_spikes("400.0");
    assert_eq!(s1, s2);
}

// Connections into spiking populations, in this binary (one link instead of two)
#[path = "parts/spiking_connections.rs"]
mod spiking_connections;
#[path = "parts/spiking_threads.rs"]
mod spiking_threads;

// NEST's stdp_synapse against NEST, in this binary
#[path = "parts/spiking_stdp.rs"]
mod spiking_stdp;

// NEST's gif_cond_exp against NEST, in this binary
#[path = "parts/spiking_gif.rs"]
mod spiking_gif;

// Spike-train statistics against Elephant, in this binary
#[path = "parts/spike_stats.rs"]
mod spike_stats;

// Spiking regions connected through a connectome, against NEST, in this binary
#[path = "parts/spiking_regions.rs"]
mod spiking_regions;

// A spiking network on a time step of its own, in this binary
#[path = "parts/spiking_own_step.rs"]
mod spiking_own_step;

#[path = "parts/cosim_vulkan.rs"]
mod cosim_vulkan;
#[path = "parts/mean_field_overlap.rs"]
mod mean_field_overlap;

// Plastic synapses of the `input` table against NEST, in this binary
#[path = "parts/spiking_input_plastic.rs"]
mod spiking_input_plastic;

// Jansen-Rit with spiking regions (graphs/cosim_jr76_spiking.toml), in this binary
#[path = "parts/cosim_jr76.rs"]
mod cosim_jr76;

// tvb-multiscale's Deco 2014 spiking Wong-Wang (graphs/cosim_ww_deco76_spiking.toml), in this binary
#[path = "parts/cosim_ww_deco76.rs"]
mod cosim_ww_deco76;

// tvb-multiscale's basal ganglia scenario (graphs/cosim_basal_ganglia_izh.toml), in this binary
#[path = "parts/cosim_basal_ganglia.rs"]
mod cosim_basal_ganglia;

// Receptors beyond 0 (iaf_cond_ww_deco's external AMPA synapses) through every route of a graph, in this binary
#[path = "parts/spiking_receptors.rs"]
mod spiking_receptors;

// Per-region neuron parameters (spiking_network.region_params), in this binary
#[path = "parts/spiking_region_params.rs"]
mod spiking_region_params;
