//! Plastic synapses of the `input` table (`input.synapse`, tvb-multiscale's
//! proxy trains into spiking regions) against NEST 3.10
//! (tests/data/nest/make_refs_input_plastic.py): two regions of E (2) and I
//! (1) iaf_psc_alpha neurons, one irregular train per region through a
//! parrot_neuron onto every neuron of its region twice (trains_per_region
//! = 1, indegree = 2), through tsodyks2_synapses or stdp_synapses: every
//! spike at NEST's step and sender, V_m within 1e-12 relative.

use crate::common::*;

/// `{ model = "…", k = v, … }` of a reference's synapse.
fn spec(model: &str, s: &serde_json::Value) -> String {
    let mut kv = vec![format!("model = \"{model}\"")];
    for (k, v) in s.as_object().unwrap() {
        kv.push(format!("{k} = {:?}", v.as_f64().unwrap()));
    }
    format!("{{ {} }}", kv.join(", "))
}

/// The graph of the reference, with `synapse` on the input table.
fn graph(r: &serde_json::Value, weight: f64, synapse: &str) -> String {
    let mut spikes: Vec<(f64, u32)> = floats(&r["train_a_ms"])
        .into_iter()
        .map(|t| (t, 0))
        .chain(floats(&r["train_b_ms"]).into_iter().map(|t| (t, 1)))
        .collect();
    spikes.sort_by(|a, b| a.0.total_cmp(&b.0));
    let times: Vec<String> = spikes.iter().map(|s| format!("{:?}", s.0)).collect();
    let senders: Vec<String> = spikes.iter().map(|s| s.1.to_string()).collect();
    let parrot = r["parrot_delay_ms"].as_f64().unwrap();
    // NEST's delay from the parrot's spike: the edge's 0.5 ms and the table's
    let after_edge = r["delay_ms"].as_f64().unwrap() - 0.5;
    format!(
        r#"[simulation]
dt_ms = {h:?}
duration_ms = {dur:?}
[actors.gen]
kind = "spike_generator"
spike_times_ms = [{times}]
senders = [{senders}]
[actors.parrots]
kind = "parrot_neuron"
n = 2
[actors.net]
kind = "spiking_network"
model = "iaf_psc_alpha"
neuron_params = {{ I_e = {ie:?}, tau_minus = {tm:?} }}
population_params = {{ I = {{ I_e = {ii:?} }} }}
regions = ["a", "b"]
populations = {{ E = 2, I = 1 }}
record_v_m = [{vm_of}]
input = {{ trains_per_region = 1, targets = ["E", "I"], indegree = 2, weight = {weight:?}, delay_ms = {after_edge:?}, synapse = {synapse} }}
[actors.spikes]
kind = "hdf5_recorder"
[actors.vm]
kind = "hdf5_recorder"
[[edges]]
from = "gen.spikes"
to = "parrots.spikes"
delay_ms = {parrot:?}
[[edges]]
from = "parrots.spikes"
to = "net.spikes_in"
delay_ms = 0.5
[[edges]]
from = "net.spikes"
to = "spikes.spikes"
[[edges]]
from = "net.v_m"
to = "vm.input"
"#,
        h = r["resolution_ms"].as_f64().unwrap(),
        dur = r["duration_ms"].as_f64().unwrap(),
        times = times.join(", "),
        senders = senders.join(", "),
        ie = r["I_e"]["E"].as_f64().unwrap(),
        ii = r["I_e"]["I"].as_f64().unwrap(),
        tm = r["tau_minus"].as_f64().unwrap(),
        vm_of = floats(&r["vm_of"])
            .iter()
            .map(|x| (*x as usize).to_string())
            .collect::<Vec<_>>()
            .join(", "),
    )
}

/// Runs a graph: its spikes as sorted (step, sender) and the V_m series.
fn run_graph(g: &str) -> (Vec<(u64, u32)>, Vec<f64>) {
    let dir = tempfile::tempdir().unwrap();
    let gp = write(dir.path(), "g.toml", g);
    run(&gp, dir.path(), &[]).unwrap();
    let (times, senders) = read_spikes(&dir.path().join("spikes.h5"));
    let mut spikes: Vec<(u64, u32)> = times
        .iter()
        .zip(senders)
        .map(|(t, s)| ((t * 10.0).round() as u64, s))
        .collect();
    spikes.sort_unstable();
    let (_, vm, _) = read_h5(&dir.path().join("vm.h5"));
    (spikes, vm)
}

fn check(case: &str) {
    let r: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(root().join("tests/data/nest/input_plastic.json")).unwrap(),
    )
    .unwrap();
    let c = &r[case];
    let model = c["synapse_model"].as_str().unwrap();
    let weight = c["weight"].as_f64().unwrap();
    let g = graph(&r, weight, &spec(model, &c["synapse"]));
    let (spikes, vm) = run_graph(&g);
    let mut want: Vec<(u64, u32)> = floats(&c["spike_times_ms"])
        .iter()
        .zip(floats(&c["spike_senders"]))
        .map(|(t, s)| ((t * 10.0).round() as u64, s as u32))
        .collect();
    want.sort_unstable();
    assert!(want.len() >= 20, "the reference must fire");
    assert_eq!(spikes, want, "{case}: spikes (step, neuron) vs NEST's");
    // V_m of the recorded neurons, every step
    let n = c["vm_mV"].as_array().unwrap().len();
    let mut worst = 0.0f64;
    for (j, trace) in c["vm_mV"].as_array().unwrap().iter().enumerate() {
        let want = floats(trace);
        assert!(vm.len() >= want.len() * n, "V_m samples");
        for (k, b) in want.iter().enumerate() {
            let a = vm[k * n + j];
            worst = worst.max((a - b).abs() / b.abs());
        }
    }
    eprintln!(
        "input.synapse = {model}: {} spikes at NEST's steps and senders, V_m max relative difference {worst:.2e}",
        want.len()
    );
    assert!(
        worst < 1e-12,
        "{case}: V_m max relative difference {worst:e}"
    );
    // the same table with static synapses fires differently: the plasticity acted
    let (fixed, _) = run_graph(&graph(&r, weight, "{ model = \"static_synapse\" }"));
    assert_ne!(fixed, spikes, "{case}: the plasticity changed nothing");
}

#[test]
fn input_table_tsodyks2_synapses_reproduce_nest() {
    check("tsodyks2");
}

#[test]
fn input_table_stdp_synapses_reproduce_nest() {
    check("stdp");
}

#[test]
fn input_table_synapse_errors_name_the_place() {
    let r: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(root().join("tests/data/nest/input_plastic.json")).unwrap(),
    )
    .unwrap();
    for (weight, synapse, key, says) in [
        (
            150.0,
            "{ model = \"stdp_synapse\", Wmax = -100.0 }",
            "input.weight",
            "opposite to the synapse's Wmax",
        ),
        (
            150.0,
            "{ model = \"tsodyks2_synapse\", U = 1.5 }",
            "input.synapse.U",
            "",
        ),
        (
            150.0,
            "{ model = \"tsodyks3_synapse\" }",
            "input.synapse.model",
            "unknown synapse model",
        ),
    ] {
        let dir = tempfile::tempdir().unwrap();
        let gp = write(dir.path(), "g.toml", &graph(&r, weight, synapse));
        let e = run(&gp, dir.path(), &[]).unwrap_err().to_string();
        assert!(e.contains(key) && e.contains(says), "{synapse}: {e}");
    }
}

/// A run stopped half way at a checkpoint and resumed fires as the whole
/// run: the checkpoint keeps every tsodyks2_synapse's (u, x) of the input
/// table (and of the input ports, the same code). The Wilson-Cowan
/// co-simulation (its proxy trains through depressing synapses; the
/// devices of the NEST test above cannot be checkpointed), 100 ms.
#[test]
fn input_table_tsodyks2_states_survive_a_checkpoint() {
    let dir = tempfile::tempdir().unwrap();
    let graph = root().join("graphs/cosim_wc76_spiking.toml");
    let input = "actors.net.input={ trains_per_region = 100, targets = [\"E\", \"I\"], indegree = 10, weight = 40.0, delay_ms = 0.1, synapse = { model = \"tsodyks2_synapse\", U = 0.5, u = 0.5, tau_rec = 200.0 } }";
    let cli = |args: &[&str]| {
        let o = bs().args(args).output().unwrap();
        assert!(
            o.status.success(),
            "{args:?}: {}",
            String::from_utf8_lossy(&o.stderr)
        );
    };
    let (full, half) = (dir.path().join("full"), dir.path().join("half"));
    let g = graph.to_str().unwrap();
    let set = ["--set", "simulation.duration_ms=100", "--set", input];
    cli(&[&["run", g, "-q", "--out", full.to_str().unwrap()], &set[..]].concat());
    cli(&[
        &[
            "run",
            g,
            "-q",
            "--out",
            half.to_str().unwrap(),
            "--stop-at",
            "50",
        ],
        &set[..],
    ]
    .concat());
    let ckpt = half.join("checkpoints/t=50ms");
    cli(&[
        "resume",
        "--out",
        half.to_str().unwrap(),
        ckpt.to_str().unwrap(),
        "-q",
    ]);
    let times = |d: &std::path::Path| read_spikes(&d.join("spikes.h5")).0;
    let (a, b) = (times(&full), times(&half));
    assert!(
        a.len() >= 100 && a.iter().any(|&t| t > 60.0),
        "{} spikes",
        a.len()
    );
    assert_eq!(a, b, "the resumed run fired differently");
}
