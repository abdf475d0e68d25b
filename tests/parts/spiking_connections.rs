//! Connections into spiking populations (`spiking_network.connections`):
//! device trains of either sign, with their own delays, through graph
//! edges, against NEST 3.10 (tests/data/nest/make_refs_two_trains.py).

use crate::common::*;

/// The graph of a reference: the excitatory spike_generator on
/// `spikes_in_2` over an edge without delay, the inhibitory one on
/// `spikes_in_3` over an edge of 0.5 ms (part of its 2.3 ms).
fn two_trains_graph(r: &serde_json::Value) -> String {
    format!(
        r#"[simulation]
dt_ms = {h}
duration_ms = {dur}
sync_ms = 0.5
[actors.ex]
kind = "spike_generator"
spike_times_ms = {ex}
[actors.inh]
kind = "spike_generator"
spike_times_ms = {inh}
[actors.net]
kind = "spiking_network"
model = "{model}"
neuron_params = {{ I_e = {i_e:?} }}
regions = ["r"]
populations = {{ n = 1 }}
record_v_m = [0]
connections = [
  {{ from = "spikes_in_2", to = "n", weight = {w_ex:?}, delay_ms = {d_ex:?} }},
  {{ from = "spikes_in_3", to = "n", rule = "one_to_one", weight = {w_in:?}, delay_ms = {d_in:?} }},
]
[actors.spikes]
kind = "hdf5_recorder"
[actors.vm]
kind = "hdf5_recorder"
[[edges]]
from = "ex.spikes"
to = "net.spikes_in_2"
[[edges]]
from = "inh.spikes"
to = "net.spikes_in_3"
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
        ex = list(&floats(&r["ex_times_ms"])),
        inh = list(&floats(&r["in_times_ms"])),
        model = r["model"].as_str().unwrap(),
        i_e = r["params"]["I_e"].as_f64().unwrap(),
        w_ex = r["ex_weight"].as_f64().unwrap(),
        d_ex = r["ex_delay_ms"].as_f64().unwrap(),
        w_in = r["in_weight"].as_f64().unwrap(),
        d_in = r["in_delay_ms"].as_f64().unwrap(),
    )
}

#[test]
fn two_trains_of_opposite_sign_reproduce_nest_for_every_model() {
    for model in [
        "iaf_psc_alpha",
        "iaf_psc_exp",
        "iaf_cond_alpha",
        "iaf_cond_exp",
        "aeif_cond_exp",
        "aeif_cond_alpha",
        "izhikevich",
        "hh_psc_alpha",
    ] {
        let path = root().join(format!("tests/data/nest/{model}_two_trains.json"));
        let r: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
        assert!(r["in_weight"].as_f64().unwrap() < 0.0);
        let dir = tempfile::tempdir().unwrap();
        let g = write(dir.path(), "g.toml", &two_trains_graph(&r));
        run(&g, dir.path(), &[]).unwrap();
        let want = floats(&r["spike_times_ms"]);
        let want_vm = floats(&r["vm_mV"]);
        let times = read_spikes(&dir.path().join("spikes.h5")).0;
        assert!(want.len() >= 5, "{model}: the reference must fire");
        assert_eq!(
            times.len(),
            want.len(),
            "{model}: {times:?} vs NEST {want:?}"
        );
        for (a, b) in times.iter().zip(&want) {
            assert!(
                (a - b).abs() < 1e-9,
                "{model}: spike at {a} ms, NEST {b} ms"
            );
        }
        let (_, vm, _) = read_h5(&dir.path().join("vm.h5"));
        assert!(vm.len() >= want_vm.len(), "{model}: V_m samples");
        let err = vm
            .iter()
            .zip(&want_vm)
            .map(|(a, b)| (a - b).abs())
            .fold(0.0, f64::max);
        eprintln!(
            "{model}: {} spikes as NEST, max |ΔV_m| {err:.2e} mV",
            want.len()
        );
        assert!(err < 1e-9, "{model}: max |ΔV_m| {err:e} mV");
        // without the inhibitory train the neuron fires differently: the
        // negative weight did act
        let dir2 = tempfile::tempdir().unwrap();
        run(&g, dir2.path(), &["actors.net.connections.1.weight=0.0"]).unwrap();
        let alone = read_spikes(&dir2.path().join("spikes.h5")).0;
        assert_ne!(
            alone, times,
            "{model}: the inhibitory train changed nothing"
        );
    }
}

/// A one-neuron iaf_psc_alpha network with `connections` and edges from one
/// spike_generator (trains 0, 1 and 2 spike at 5 ms) into `port` over an
/// edge of `edge_ms`.
fn one_spike(connections: &str, port: &str, edge_ms: f64) -> String {
    format!(
        r#"[simulation]
dt_ms = 0.1
duration_ms = 20.0
sync_ms = 0.5
[actors.gen]
kind = "spike_generator"
spike_times_ms = [5.0, 5.0, 5.0]
senders = [0, 1, 2]
[actors.net]
kind = "spiking_network"
regions = ["r"]
populations = {{ a = 2, b = 3 }}
record_v_m = [0, 1, 2, 3, 4]
connections = {connections}
[actors.vm]
kind = "hdf5_recorder"
[[edges]]
from = "gen.spikes"
to = "net.{port}"
delay_ms = {edge_ms:?}
[[edges]]
from = "net.v_m"
to = "vm.input"
"#
    )
}

#[test]
fn device_trains_reach_the_neurons_their_rules_and_delays_say() {
    // trains 0 and 1 one_to_one onto `a` (+100 pA, 1 ms), train 2 onto
    // every neuron of `b` (−50 pA, 2 ms); the edge's 0.5 ms is part of the
    // delays. V_m leaves rest in the step the spike acts in: 5 ms + delay.
    let dir = tempfile::tempdir().unwrap();
    let g = write(
        dir.path(),
        "g.toml",
        &one_spike(
            r#"[
  { from = "spikes_in", trains = [0, 1], to = "a", rule = "one_to_one", weight = 100.0, delay_ms = 1.0 },
  { from = "spikes_in", trains = [2], to = "b", weight = -50.0, delay_ms = 2.0 },
]"#,
            "spikes_in",
            0.5,
        ),
    );
    run(&g, dir.path(), &[]).unwrap();
    let (shape, vm, _) = read_h5(&dir.path().join("vm.h5"));
    assert_eq!(shape, vec![200, 1, 5, 1]);
    let trace = |i: usize| -> Vec<f64> { (0..200).map(|k| vm[k * 5 + i]).collect() };
    for i in 0..5 {
        let v = trace(i);
        // step k ends at (k+1)·0.1 ms; the PSC starts in the step the spike
        // acts in, V_m moves after it
        let onset = v.iter().position(|&x| x != -70.0).expect("a PSP");
        let (delay, up) = if i < 2 { (1.0, true) } else { (2.0, false) };
        assert_eq!(
            onset,
            ((5.0 + delay) / 0.1f64).round() as usize,
            "neuron {i}"
        );
        assert_eq!(v[onset] > -70.0, up, "neuron {i}: sign");
    }
    // one_to_one: both neurons of `a` got one spike each, the same PSP
    assert_eq!(trace(0), trace(1));
    assert_eq!(trace(2), trace(4));
}

#[test]
fn a_device_delay_not_longer_than_its_edge_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let g = write(
        dir.path(),
        "g.toml",
        &one_spike(
            r#"[{ from = "spikes_in_2", to = "a", weight = 1.0, delay_ms = 0.5 }]"#,
            "spikes_in_2",
            0.5,
        ),
    );
    let e = run(&g, dir.path(), &[]).unwrap_err().to_string();
    assert!(
        e.contains("connections[0].delay_ms = 0.5 ms is not longer than the edge into spikes_in_2 (0.5 ms)"),
        "{e}"
    );
}

#[test]
fn spikes_on_a_port_no_connection_names_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let g = write(
        dir.path(),
        "g.toml",
        &one_spike(
            r#"[{ from = "a", to = "b", weight = 1.0, delay_ms = 1.0 }]"#,
            "spikes_in_4",
            0.5,
        ),
    );
    let e = run(&g, dir.path(), &[]).unwrap_err().to_string();
    assert!(
        e.contains("receives spikes on spikes_in_4 but no connection has from = \"spikes_in_4\""),
        "{e}"
    );
}

#[test]
fn population_params_give_one_population_its_own_neurons() {
    // a and b share neuron_params; b's own I_e drives it above threshold,
    // a rests; b fires as a lone neuron with b's parameters as
    // neuron_params, in both regions
    let dir = tempfile::tempdir().unwrap();
    let g = write(
        dir.path(),
        "g.toml",
        r#"[simulation]
dt_ms = 0.1
duration_ms = 100.0
[actors.net]
kind = "spiking_network"
regions = ["r1", "r2"]
populations = { a = 1, b = 1 }
neuron_params = { tau_m = 20.0 }
population_params = { b = { I_e = 400.0, t_ref = 5.0 } }
record_v_m = [0, 1, 2, 3]
[actors.spikes]
kind = "hdf5_recorder"
[actors.vm]
kind = "hdf5_recorder"
[[edges]]
from = "net.spikes"
to = "spikes.spikes"
[[edges]]
from = "net.v_m"
to = "vm.input"
"#,
    );
    run(&g, dir.path(), &[]).unwrap();
    let (times, senders) = read_spikes(&dir.path().join("spikes.h5"));
    // neurons 1 (r1.b) and 3 (r2.b) fire, in step; 0 and 2 never
    assert!(senders.iter().all(|&s| s == 1 || s == 3), "{senders:?}");
    let of = |n: u32| -> Vec<f64> {
        senders
            .iter()
            .zip(&times)
            .filter(|(s, _)| **s == n)
            .map(|(_, t)| *t)
            .collect()
    };
    assert!(of(1).len() >= 3);
    assert_eq!(of(1), of(3));
    // the same neuron alone, with its parameters as neuron_params
    let dir2 = tempfile::tempdir().unwrap();
    run(
        &g,
        dir2.path(),
        &[
            "actors.net.regions=[\"r1\"]",
            "actors.net.populations={ b = 1 }",
            "actors.net.neuron_params={ tau_m = 20.0, I_e = 400.0, t_ref = 5.0 }",
            "actors.net.population_params={}",
            "actors.net.record_v_m=[0]",
        ],
    )
    .unwrap();
    let alone = read_spikes(&dir2.path().join("spikes.h5")).0;
    assert_eq!(of(1), alone);
    let (_, vm, _) = read_h5(&dir.path().join("vm.h5"));
    assert!((0..1000).all(|k| vm[k * 4] == -70.0 && vm[k * 4 + 2] == -70.0));
}

#[test]
fn list_shows_the_spiking_models_their_parameters_and_receptors() {
    let l = |args: &[&str]| bs().arg("list").args(args).output().unwrap();
    let o = l(&["iaf_cond_alpha"]);
    let t = String::from_utf8_lossy(&o.stdout);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert!(
        t.starts_with("spiking neuron model (spiking_network.model"),
        "{t}"
    );
    assert!(t.contains("weights in nS"), "{t}");
    assert!(
        t.contains("receptor 0: weight > 0: excitatory synapse"),
        "{t}"
    );
    assert!(t.contains("solvers: rkf45, rk4"), "{t}");
    assert!(t.contains("tau_syn_ex     = 0.2"), "{t}");
    let all = String::from_utf8_lossy(&l(&[]).stdout).to_string();
    assert!(all.contains("SPIKING NEURON MODELS"), "{all}");
    for m in [
        "iaf_psc_alpha —",
        "iaf_psc_exp —",
        "iaf_cond_alpha —",
        "iaf_cond_exp —",
        "aeif_cond_exp —",
        "aeif_cond_alpha —",
        "izhikevich —",
        "hh_psc_alpha —",
    ] {
        assert!(all.contains(m), "{m}");
    }
    let j: serde_json::Value =
        serde_json::from_slice(&l(&["--json", "aeif_cond_exp"]).stdout).unwrap();
    let n = &j["neurons"][0];
    assert_eq!(n["name"], "aeif_cond_exp");
    assert_eq!(n["weight_unit"], "nS");
    assert_eq!(n["receptors"][0]["signs"], "either");
    assert!(n["params"]
        .as_array()
        .unwrap()
        .iter()
        .any(|p| p["name"] == "Delta_T" && p["unit"] == "mV"));
}

#[test]
fn proxy_trains_of_negative_weight_are_inhibitory_in_both_coupling_modes() {
    // the `input` table's weight takes either sign: an iaf_psc_alpha PSP
    // is linear, so −w mirrors +w about E_L exactly
    let conn = brainstream::models::Connectivity::tvb76();
    let n = conn.n;
    let i = conn.labels.iter().position(|l| l == "rM1").unwrap();
    // rM1's strongest source: its train group in the spiking mode
    let j = (0..n)
        .filter(|&j| j != i)
        .max_by(|&a, &b| conn.weights[i * n + a].total_cmp(&conn.weights[i * n + b]))
        .unwrap();
    for input in [
        "{ trains_per_region = 1, targets = [\"E\"], indegree = 1, weight = W, delay_ms = 0.5 }",
        "{ coupling = \"spiking\", trains_per_region = 1, targets = [\"E\"], indegree = 1, weight = W }",
    ] {
        let trace = |w: f64| {
            let dir = tempfile::tempdir().unwrap();
            // train 0: rM1's group in the tvb mode; train j: region j's
            // group in the spiking mode
            let sender = if input.contains("spiking") { j } else { 0 };
            let g = write(
                dir.path(),
                "g.toml",
                &format!(
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
regions = ["rM1"]
populations = {{ E = 1 }}
record_v_m = [0]
input = {}
[actors.rec]
kind = "hdf5_recorder"
[[edges]]
from = "gen.spikes"
to = "net.spikes_in"
delay_ms = 1.0
[[edges]]
from = "net.v_m"
to = "rec.input"
"#,
                    input.replace('W', &format!("{w:?}"))
                ),
            );
            run(&g, dir.path(), &[]).unwrap();
            read_h5(&dir.path().join("rec.h5")).1
        };
        let (up, down) = (trace(100.0), trace(-100.0));
        assert!(up.iter().any(|&v| v > -70.0), "{input}: a PSP");
        for (a, b) in up.iter().zip(&down) {
            assert!(((a + 70.0) + (b + 70.0)).abs() < 1e-12, "{input}: {a} vs {b}");
        }
    }
}

/// `{ model = "tsodyks2_synapse", … }` of a reference's synapse table.
fn tsodyks2_spec(s: &serde_json::Value) -> String {
    format!(
        "{{ model = \"tsodyks2_synapse\", U = {:?}, u = {:?}, x = {:?}, tau_rec = {:?}, tau_fac = {:?} }}",
        s["U"].as_f64().unwrap(),
        s["u"].as_f64().unwrap(),
        s["x"].as_f64().unwrap(),
        s["tau_rec"].as_f64().unwrap(),
        s["tau_fac"].as_f64().unwrap()
    )
}

fn load_ref(name: &str) -> serde_json::Value {
    let path = root().join(format!("tests/data/nest/{name}"));
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

/// Largest |a − b| / |b| over the pairs.
fn max_rel(a: &[f64], b: &[f64]) -> f64 {
    a.iter()
        .zip(b)
        .map(|(x, y)| (x - y).abs() / y.abs())
        .fold(0.0, f64::max)
}

#[test]
fn tsodyks2_synapses_from_parrots_reproduce_nest() {
    // tests/data/nest/make_refs_tsodyks2.py, tsodyks2_single: two
    // spike_generators, each through a parrot_neuron (0.2 ms) and a
    // tsodyks2_synapse (facilitating and depressing +900 pA over 1.5 ms,
    // depressing −150 pA over 2.0 ms), into one iaf_psc_exp
    let r = load_ref("tsodyks2_single.json");
    let p = r["parrot_delay_ms"].as_f64().unwrap();
    let g = format!(
        r#"[simulation]
dt_ms = {h}
duration_ms = {dur}
[actors.ex]
kind = "spike_generator"
spike_times_ms = {ex}
[actors.inh]
kind = "spike_generator"
spike_times_ms = {inh}
[actors.parrot_ex]
kind = "parrot_neuron"
n = 1
[actors.parrot_in]
kind = "parrot_neuron"
n = 1
[actors.net]
kind = "spiking_network"
model = "{model}"
neuron_params = {{ I_e = {i_e:?} }}
regions = ["r"]
populations = {{ n = 1 }}
record_v_m = [0]
connections = [
  {{ from = "spikes_in_2", to = "n", weight = {w_ex:?}, delay_ms = {d_ex:?}, synapse = {s_ex} }},
  {{ from = "spikes_in_3", to = "n", weight = {w_in:?}, delay_ms = {d_in:?}, synapse = {s_in} }},
]
[actors.spikes]
kind = "hdf5_recorder"
[actors.vm]
kind = "hdf5_recorder"
[[edges]]
from = "ex.spikes"
to = "parrot_ex.spikes"
delay_ms = {p:?}
[[edges]]
from = "inh.spikes"
to = "parrot_in.spikes"
delay_ms = {p:?}
[[edges]]
from = "parrot_ex.spikes"
to = "net.spikes_in_2"
[[edges]]
from = "parrot_in.spikes"
to = "net.spikes_in_3"
[[edges]]
from = "net.spikes"
to = "spikes.spikes"
[[edges]]
from = "net.v_m"
to = "vm.input"
"#,
        h = r["resolution_ms"].as_f64().unwrap(),
        dur = r["duration_ms"].as_f64().unwrap(),
        ex = list(&floats(&r["ex_times_ms"])),
        inh = list(&floats(&r["in_times_ms"])),
        model = r["model"].as_str().unwrap(),
        i_e = r["params"]["I_e"].as_f64().unwrap(),
        w_ex = r["ex_weight"].as_f64().unwrap(),
        d_ex = r["ex_delay_ms"].as_f64().unwrap(),
        s_ex = tsodyks2_spec(&r["ex_synapse"]),
        w_in = r["in_weight"].as_f64().unwrap(),
        d_in = r["in_delay_ms"].as_f64().unwrap(),
        s_in = tsodyks2_spec(&r["in_synapse"]),
    );
    let dir = tempfile::tempdir().unwrap();
    let gp = write(dir.path(), "g.toml", &g);
    run(&gp, dir.path(), &[]).unwrap();
    let want = floats(&r["spike_times_ms"]);
    let want_vm = floats(&r["vm_mV"]);
    let times = read_spikes(&dir.path().join("spikes.h5")).0;
    assert!(want.len() >= 5, "the reference must fire");
    assert_eq!(times.len(), want.len(), "{times:?} vs NEST {want:?}");
    for (a, b) in times.iter().zip(&want) {
        assert!((a - b).abs() < 1e-9, "spike at {a} ms, NEST {b} ms");
    }
    let (_, vm, _) = read_h5(&dir.path().join("vm.h5"));
    assert!(vm.len() >= want_vm.len(), "V_m samples");
    let rel = max_rel(&vm, &want_vm);
    eprintln!(
        "tsodyks2_single: {} spikes as NEST, V_m max relative difference {rel:.2e}",
        want.len()
    );
    assert!(rel < 1e-12, "V_m max relative difference {rel:e}");
    // static synapses of the same weights fire differently: the
    // plasticity did act
    let dir2 = tempfile::tempdir().unwrap();
    let fixed = g.replace(
        &tsodyks2_spec(&r["ex_synapse"]),
        "{ model = \"static_synapse\" }",
    );
    let gp2 = write(dir2.path(), "g.toml", &fixed);
    run(&gp2, dir2.path(), &[]).unwrap();
    let alone = read_spikes(&dir2.path().join("spikes.h5")).0;
    assert_ne!(alone, times, "the synapse's plasticity changed nothing");
}

#[test]
fn tsodyks2_update_gives_nest_s_recorded_weights_to_the_bit() {
    // NEST's weight_recorder of tsodyks2_single: the weight x·u·w of every
    // spike each synapse sent, at the parrot's spike time (tics × 0.001)
    use brainstream::models::spiking::tsodyks2::nest_ms;
    use brainstream::models::spiking::Tsodyks2;
    let r = load_ref("tsodyks2_single.json");
    let p = r["parrot_delay_ms"].as_f64().unwrap();
    let h = r["resolution_ms"].as_f64().unwrap();
    let mut got = vec![];
    for (k, side) in ["ex", "in"].iter().enumerate() {
        let s = &r[format!("{side}_synapse")];
        let syn = Tsodyks2::from_overrides(
            ["U", "u", "x", "tau_rec", "tau_fac"].map(|n| (n, s[n].as_f64().unwrap())),
        )
        .unwrap();
        let w = r[format!("{side}_weight")].as_f64().unwrap();
        let mut state = syn.state();
        for t in floats(&r[format!("{side}_times_ms")]) {
            let step = ((t + p) / h).round() as u64;
            let t_spike = nest_ms(step, 100);
            got.push((t_spike.to_bits(), k as u64, w * state.spike(&syn, t_spike)));
        }
    }
    got.sort_by_key(|g| (g.0, g.1));
    let mut want: Vec<(u64, u64, f64)> = floats(&r["weight_times_ms"])
        .iter()
        .zip(floats(&r["weight_senders"]))
        .zip(floats(&r["weights"]))
        .map(|((t, s), w)| (t.to_bits(), s as u64, w))
        .collect();
    want.sort_by_key(|g| (g.0, g.1));
    assert_eq!(got.len(), want.len());
    for (g, w) in got.iter().zip(&want) {
        assert_eq!((g.0, g.1), (w.0, w.1), "time and synapse");
        assert_eq!(
            g.2.to_bits(),
            w.2.to_bits(),
            "weight {} vs NEST {}",
            g.2,
            w.2
        );
    }
}

#[test]
fn tsodyks2_synapses_between_populations_reproduce_nest() {
    // make_refs_tsodyks2.py, tsodyks2_network: three regular iaf_psc_alpha
    // neurons all_to_all through tsodyks2_synapses onto two
    let r = load_ref("tsodyks2_network.json");
    let i_e = floats(&r["pre_I_e"]);
    let syn = tsodyks2_spec(&r["synapse"]);
    let (w, d) = (
        r["weight"].as_f64().unwrap(),
        r["delay_ms"].as_f64().unwrap(),
    );
    let conns: Vec<String> = ["a", "b", "c"]
        .iter()
        .map(|f| {
            format!(
                "{{ from = \"{f}\", to = \"post\", weight = {w:?}, delay_ms = {d:?}, synapse = {syn} }}"
            )
        })
        .collect();
    let g = format!(
        r#"[simulation]
dt_ms = {h}
duration_ms = {dur}
[actors.net]
kind = "spiking_network"
model = "{model}"
regions = ["r"]
populations = {{ a = 1, b = 1, c = 1, post = 2 }}
population_params = {{ a = {{ I_e = {a:?} }}, b = {{ I_e = {b:?} }}, c = {{ I_e = {c:?} }}, post = {{ I_e = {post:?} }} }}
record_v_m = [0, 1, 2, 3, 4]
connections = [{conns}]
[actors.spikes]
kind = "hdf5_recorder"
[actors.vm]
kind = "hdf5_recorder"
[[edges]]
from = "net.spikes"
to = "spikes.spikes"
[[edges]]
from = "net.v_m"
to = "vm.input"
"#,
        h = r["resolution_ms"].as_f64().unwrap(),
        dur = r["duration_ms"].as_f64().unwrap(),
        model = r["model"].as_str().unwrap(),
        a = i_e[0],
        b = i_e[1],
        c = i_e[2],
        post = r["post_I_e"].as_f64().unwrap(),
        conns = conns.join(", "),
    );
    let dir = tempfile::tempdir().unwrap();
    let gp = write(dir.path(), "g.toml", &g);
    run(&gp, dir.path(), &[]).unwrap();
    let (times, senders) = read_spikes(&dir.path().join("spikes.h5"));
    let mut got: Vec<(u64, u32)> = times
        .iter()
        .zip(&senders)
        .map(|(t, s)| ((t * 10.0).round() as u64, *s))
        .collect();
    let mut want: Vec<(u64, u32)> = floats(&r["spike_times_ms"])
        .iter()
        .zip(floats(&r["spike_senders"]))
        .map(|(t, s)| ((t * 10.0).round() as u64, s as u32))
        .collect();
    got.sort_unstable();
    want.sort_unstable();
    let post = want.iter().filter(|s| s.1 >= 3).count();
    assert!(post >= 5, "the reference's targets must fire");
    assert_eq!(got, want, "spikes (step, neuron)");
    for (a, b) in times
        .iter()
        .zip(&senders)
        .filter(|(_, s)| **s >= 3)
        .map(|(t, _)| t)
        .zip(
            floats(&r["spike_times_ms"])
                .iter()
                .zip(floats(&r["spike_senders"]))
                .filter(|(_, s)| *s >= 3.0)
                .map(|(t, _)| *t),
        )
    {
        assert!((a - b).abs() < 1e-9, "post spike at {a} ms, NEST {b} ms");
    }
    let (_, vm, _) = read_h5(&dir.path().join("vm.h5"));
    let mut rel: f64 = 0.0;
    for i in 0..5 {
        let want_i = floats(&r["vm_mV"][i]);
        let got_i: Vec<f64> = (0..want_i.len()).map(|k| vm[k * 5 + i]).collect();
        rel = rel.max(max_rel(&got_i, &want_i));
    }
    eprintln!(
        "tsodyks2_network: {} spikes ({post} of the targets) as NEST, V_m max relative difference {rel:.2e}",
        want.len()
    );
    assert!(rel < 1e-12, "V_m max relative difference {rel:e}");
}

#[test]
fn list_shows_the_synapse_model_and_its_parameters() {
    let o = bs().args(["list", "tsodyks2_synapse"]).output().unwrap();
    let t = String::from_utf8_lossy(&o.stdout);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert!(
        t.starts_with("synapse model (spiking_network.connections[k].synapse"),
        "{t}"
    );
    assert!(t.contains("tau_rec        = 800"), "{t}");
    let all = String::from_utf8_lossy(&bs().arg("list").output().unwrap().stdout).to_string();
    assert!(all.contains("SYNAPSE MODELS"), "{all}");
    let j: serde_json::Value = serde_json::from_slice(
        &bs()
            .args(["list", "--json", "tsodyks2_synapse"])
            .output()
            .unwrap()
            .stdout,
    )
    .unwrap();
    assert_eq!(j["synapses"][0]["name"], "tsodyks2_synapse");
    assert!(j["synapses"][0]["params"]
        .as_array()
        .unwrap()
        .iter()
        .any(|p| p["name"] == "tau_fac" && p["unit"] == "ms"));
}
