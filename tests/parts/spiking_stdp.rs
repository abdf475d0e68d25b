//! NEST's `stdp_synapse` between spiking populations
//! (`connections[k].synapse = { model = "stdp_synapse", … }`) against
//! NEST 3.10 (tests/data/nest/make_refs_stdp.py): the final weight of every
//! synapse, every spike and the targets' V_m.

use crate::common::*;

use brainstream::models::params::ParamSet;
use brainstream::models::spiking::{iaf_psc_alpha, Dist, Network, Neuron, Rule, Synapse};

fn reference() -> serde_json::Value {
    let path = root().join("tests/data/nest/stdp_network.json");
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

/// The synapse of a reference's table, as the network takes it.
fn synapse(s: &serde_json::Value) -> Synapse {
    let values: Vec<(&str, f64)> = s
        .as_object()
        .unwrap()
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_f64().unwrap()))
        .collect();
    Synapse::from_overrides("stdp_synapse", values).unwrap()
}

/// `{ model = "stdp_synapse", … }` of a reference's synapse table.
fn spec(s: &serde_json::Value) -> String {
    let kv: Vec<String> = s
        .as_object()
        .unwrap()
        .iter()
        .map(|(k, v)| format!("{k} = {:?}", v.as_f64().unwrap()))
        .collect();
    format!("{{ model = \"stdp_synapse\", {} }}", kv.join(", "))
}

/// NEST's spikes of the reference as sorted (step, neuron).
fn nest_spikes(r: &serde_json::Value) -> Vec<(u64, u32)> {
    let mut want: Vec<(u64, u32)> = floats(&r["spike_times_ms"])
        .iter()
        .zip(floats(&r["spike_senders"]))
        .map(|(t, s)| ((t * 10.0).round() as u64, s as u32))
        .collect();
    want.sort_unstable();
    want
}

#[test]
fn stdp_weights_and_spikes_of_a_network_are_nest_s_to_the_bit() {
    // four regular neurons onto three through excitatory stdp_synapses,
    // one onto the three through inhibitory ones (Wmax < 0); the targets'
    // tau_minus 30 ms; 1000 ms
    let r = reference();
    let h = r["resolution_ms"].as_f64().unwrap();
    let neuron = |i_e: f64| -> Box<dyn Neuron> {
        Box::new(
            iaf_psc_alpha::IafPscAlpha::new(
                1,
                &ParamSet::from_overrides("iaf_psc_alpha", iaf_psc_alpha::PARAMS, [("I_e", i_e)])
                    .unwrap(),
                h,
            )
            .unwrap(),
        )
    };
    let mut pops = vec![];
    let mut templates = vec![];
    for (k, i_e) in floats(&r["pre_I_e"]).into_iter().enumerate() {
        pops.push((format!("pre{k}"), 1));
        templates.push(neuron(i_e));
    }
    pops.push(("inh".to_string(), 1));
    templates.push(neuron(r["inh_I_e"].as_f64().unwrap()));
    let post_i_e = floats(&r["post_I_e"]);
    for (k, &i_e) in post_i_e.iter().enumerate() {
        pops.push((format!("post{k}"), 1));
        templates.push(neuron(i_e));
    }
    let refs: Vec<&dyn Neuron> = templates.iter().map(|t| t.as_ref()).collect();
    let mut net = Network::with_templates(&pops, &refs, h, 1).unwrap();
    let tau_minus = r["tau_minus"].as_f64().unwrap();
    for p in 5..8 {
        net.set_tau_minus(p, tau_minus).unwrap();
    }
    let (ex, inh) = (synapse(&r["ex_synapse"]), synapse(&r["in_synapse"]));
    for pre in 0..5 {
        let (syn, w, d) = if pre < 4 {
            (ex, &r["ex_weight"], &r["ex_delay_ms"])
        } else {
            (inh, &r["in_weight"], &r["in_delay_ms"])
        };
        for post in 5..8 {
            net.connect_synapse(
                pre,
                post,
                Rule::AllToAll,
                Dist::Constant(w.as_f64().unwrap()),
                Dist::Constant(d.as_f64().unwrap()),
                Some(syn),
            )
            .unwrap();
        }
    }
    net.build();
    let steps = (r["duration_ms"].as_f64().unwrap() / h).round() as usize;
    let mut got = vec![];
    net.run(steps, 1, |st, fired| {
        got.extend(fired.iter().map(|&f| (st + 1, f)))
    });
    got.sort_unstable();
    let want = nest_spikes(&r);
    let post = want.iter().filter(|s| s.1 >= 5).count();
    assert!(post >= 20, "the reference's targets must fire");
    assert_eq!(got, want, "spikes (step, neuron)");
    let syn = net.synapses();
    let want_w: Vec<(u32, u32, f64)> = floats(&r["final_sources"])
        .iter()
        .zip(floats(&r["final_targets"]))
        .zip(floats(&r["final_weights"]))
        .map(|((s, t), w)| (*s as u32, t as u32, w))
        .collect();
    assert_eq!(syn.len(), want_w.len());
    let mut moved = 0;
    for ((s, t, w, _), (ws, wt, ww)) in syn.iter().zip(&want_w) {
        assert_eq!((s, t), (ws, wt), "synapse order");
        assert_eq!(
            w.to_bits(),
            ww.to_bits(),
            "weight {s}→{t}: {w} vs NEST {ww}"
        );
        let w0 = if *s < 4 {
            r["ex_weight"].as_f64().unwrap()
        } else {
            r["in_weight"].as_f64().unwrap()
        };
        if (w - w0).abs() > 1.0 {
            moved += 1;
        }
    }
    assert!(moved >= 10, "the weights must have moved: {syn:?}");
    eprintln!(
        "stdp_network: {} spikes ({post} of the targets) and {} final weights as NEST, bit for bit",
        want.len(),
        syn.len()
    );
}

#[test]
fn stdp_synapses_in_a_graph_reproduce_nest() {
    // the same network written as a graph: populations sorted by name
    // (a0..a3 the sources, b the inhibitory one, c0..c2 the targets)
    let r = reference();
    let i_e = floats(&r["pre_I_e"]);
    let post_i_e = floats(&r["post_I_e"]);
    let (ex, inh) = (spec(&r["ex_synapse"]), spec(&r["in_synapse"]));
    let mut conns = vec![];
    for k in 0..4 {
        conns.push(format!(
            "{{ from = \"a{k}\", to = \"c\", weight = {:?}, delay_ms = {:?}, synapse = {ex} }}",
            r["ex_weight"].as_f64().unwrap(),
            r["ex_delay_ms"].as_f64().unwrap()
        ));
    }
    conns.push(format!(
        "{{ from = \"b\", to = \"c\", weight = {:?}, delay_ms = {:?}, synapse = {inh} }}",
        r["in_weight"].as_f64().unwrap(),
        r["in_delay_ms"].as_f64().unwrap()
    ));
    // one population per neuron, each with its I_e (the targets c0..c2
    // with tau_minus), ids in NEST's creation order
    let g = format!(
        r#"[simulation]
dt_ms = {h}
duration_ms = {dur}
[actors.net]
kind = "spiking_network"
model = "iaf_psc_alpha"
regions = ["r"]
populations = {{ a0 = 1, a1 = 1, a2 = 1, a3 = 1, b = 1, c0 = 1, c1 = 1, c2 = 1 }}
population_params = {{ a0 = {{ I_e = {a0:?} }}, a1 = {{ I_e = {a1:?} }}, a2 = {{ I_e = {a2:?} }}, a3 = {{ I_e = {a3:?} }}, b = {{ I_e = {b:?} }}, c0 = {{ I_e = {c0:?}, tau_minus = {tm:?} }}, c1 = {{ I_e = {c1:?}, tau_minus = {tm:?} }}, c2 = {{ I_e = {c2:?}, tau_minus = {tm:?} }} }}
record_v_m = [5, 6, 7]
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
        a0 = i_e[0],
        a1 = i_e[1],
        a2 = i_e[2],
        a3 = i_e[3],
        b = r["inh_I_e"].as_f64().unwrap(),
        c0 = post_i_e[0],
        c1 = post_i_e[1],
        c2 = post_i_e[2],
        tm = r["tau_minus"].as_f64().unwrap(),
        conns = conns
            .iter()
            .flat_map(
                |c| ["c0", "c1", "c2"].map(|t| c.replace("to = \"c\"", &format!("to = \"{t}\"")))
            )
            .collect::<Vec<_>>()
            .join(", "),
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
    got.sort_unstable();
    let want = nest_spikes(&r);
    assert_eq!(got, want, "spikes (step, neuron)");
    let (_, vm, _) = read_h5(&dir.path().join("vm.h5"));
    let mut rel: f64 = 0.0;
    for i in 0..3 {
        let want_i = floats(&r["vm_mV"][i]);
        assert!(vm.len() >= 3 * want_i.len(), "V_m samples");
        for (k, b) in want_i.iter().enumerate() {
            rel = rel.max((vm[k * 3 + i] - b).abs() / b.abs());
        }
    }
    eprintln!(
        "stdp_network as a graph: {} spikes as NEST, targets' V_m max relative difference {rel:.2e}",
        want.len()
    );
    assert!(rel < 1e-12, "V_m max relative difference {rel:e}");
    // the same graph with static synapses fires differently
    let fixed = g.replace(&ex, "{ model = \"static_synapse\" }");
    let dir2 = tempfile::tempdir().unwrap();
    let gp2 = write(dir2.path(), "g.toml", &fixed);
    run(&gp2, dir2.path(), &[]).unwrap();
    let alone = read_spikes(&dir2.path().join("spikes.h5")).0;
    assert_ne!(alone, times, "the plasticity changed nothing");
}

#[test]
fn stdp_synapse_errors_name_the_place() {
    let dir = tempfile::tempdir().unwrap();
    let graph = |conn: &str, extra: &str| {
        format!(
            r#"[simulation]
dt_ms = 0.1
duration_ms = 5.0
[actors.gen]
kind = "spike_generator"
spike_times_ms = [1.0]
[actors.net]
kind = "spiking_network"
regions = ["r"]
populations = {{ E = 2 }}
{extra}
connections = [{conn}]
[[edges]]
from = "gen.spikes"
to = "net.spikes_in_2"
"#
        )
    };
    for (conn, extra, key, what) in [
        (
            r#"{ from = "E", to = "E", weight = 10.0, delay_ms = 1.0, synapse = { model = "stdp_synapse", Wmax = -5.0 } }"#,
            "",
            "connections[0].weight",
            "same sign",
        ),
        (
            r#"{ from = "E", to = "E", weight = 10.0, delay_ms = 1.0, synapse = { model = "stdp_synapse", tau_plus = 0.0 } }"#,
            "",
            "connections[0].synapse.tau_plus",
            "must be > 0",
        ),
        (
            r#"{ from = "E", to = "E", weight = 10.0, delay_ms = 1.0, synapse = { model = "stdp_synapse", tau_minus = 5.0 } }"#,
            "",
            "connections[0].synapse",
            "unknown key `tau_minus`",
        ),
        (
            r#"{ from = "E", to = "E", weight = 10.0, delay_ms = 1.0 }"#,
            "neuron_params = { tau_minus = -1.0 }",
            "neuron_params.tau_minus",
            "must be > 0",
        ),
    ] {
        let gp = write(dir.path(), "g.toml", &graph(conn, extra));
        let e = run(&gp, dir.path(), &[]).unwrap_err().to_string();
        assert!(e.contains(key) && e.contains(what), "{key}: {e}");
    }
}

#[test]
fn list_shows_stdp_synapse_and_tau_minus() {
    let o = bs().args(["list", "stdp_synapse"]).output().unwrap();
    let t = String::from_utf8_lossy(&o.stdout);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert!(t.contains("stdp_synapse — pair-based STDP"), "{t}");
    assert!(t.contains("Wmax           = 100"), "{t}");
    let o = bs().args(["list", "iaf_cond_exp"]).output().unwrap();
    let t = String::from_utf8_lossy(&o.stdout);
    assert!(t.contains("tau_minus      = 20"), "{t}");
}

#[test]
fn plastic_synapses_between_regions() {
    // region_connections with a synapse: three regions of the tvb76
    // connectome, E → E through it. A tsodyks2_synapse that recovers at
    // once (U = u = 1, tau_rec → 0) and an stdp_synapse that does not
    // learn (lambda = 0, Wmax a power of two: w/Wmax·Wmax is exact) give
    // the static run's spikes to the bit; learning or depressing ones
    // change them
    let spikes = |synapse: &str| -> Vec<(u64, u32)> {
        let g = format!(
            r#"[simulation]
dt_ms = 0.1
duration_ms = 300.0
seed = 3
[actors.net]
kind = "spiking_network"
model = "iaf_psc_alpha"
regions = ["rM1", "rPMCDL", "rS1"]
populations = {{ E = 40 }}
background = {{ rate_hz = 4000.0, weight = 20.0, delay_ms = 0.1 }}
connectivity = "builtin:tvb76"
region_connections = [
  {{ from = "E", to = "E", scale = 300.0, rule = "fixed_indegree", indegree = 5{synapse} }},
]
[actors.spikes]
kind = "hdf5_recorder"
[[edges]]
from = "net.spikes"
to = "spikes.spikes"
"#
        );
        let dir = tempfile::tempdir().unwrap();
        let gp = write(dir.path(), "g.toml", &g);
        run(&gp, dir.path(), &[]).unwrap();
        let (times, senders) = read_spikes(&dir.path().join("spikes.h5"));
        times
            .iter()
            .zip(senders)
            .map(|(t, s)| ((t * 10.0).round() as u64, s))
            .collect()
    };
    let fixed = spikes("");
    assert!(fixed.len() > 100, "{} spikes", fixed.len());
    let instant = ", synapse = { model = \"tsodyks2_synapse\", U = 1.0, u = 1.0, tau_rec = 1e-9 }";
    assert_eq!(spikes(instant), fixed, "tsodyks2 that recovers at once");
    let still = ", synapse = { model = \"stdp_synapse\", lambda = 0.0, Wmax = 1024.0 }";
    assert_eq!(spikes(still), fixed, "stdp_synapse with lambda = 0");
    let learning = ", synapse = { model = \"stdp_synapse\", lambda = 0.2, Wmax = 1024.0 }";
    assert_ne!(spikes(learning), fixed, "stdp_synapse with lambda = 0.2");
    let depressing =
        ", synapse = { model = \"tsodyks2_synapse\", U = 0.8, u = 0.8, tau_rec = 500.0 }";
    assert_ne!(spikes(depressing), fixed, "a depressing tsodyks2_synapse");
    // Wmax of the other sign than scale is refused at the entry's scale
    let dir = tempfile::tempdir().unwrap();
    let bad = r#"[simulation]
dt_ms = 0.1
duration_ms = 1.0
[actors.net]
kind = "spiking_network"
regions = ["rM1", "rPMCDL"]
populations = { E = 2 }
region_connections = [{ from = "E", to = "E", scale = 3.0, synapse = { model = "stdp_synapse", Wmax = -10.0 } }]
"#;
    let gp = write(dir.path(), "g.toml", bad);
    let e = run(&gp, dir.path(), &[]).unwrap_err().to_string();
    assert!(
        e.contains("region_connections[0].scale") && e.contains("same sign"),
        "{e}"
    );
}

#[test]
fn stdp_synapses_from_parrots_reproduce_nest() {
    // make_refs_stdp.py, stdp_parrot: two irregular spike_generator trains
    // (bursts, a repeated time), each through a parrot_neuron (0.2 ms) and
    // an stdp_synapse (+200 pA over 1.5 ms; −100 pA over 3.0 ms, 0.5 ms
    // of it a graph edge's, not a whole number of the 0.2 ms windows) into one iaf_psc_alpha of tau_minus 25 ms
    let r: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(root().join("tests/data/nest/stdp_parrot.json")).unwrap(),
    )
    .unwrap();
    let p = r["parrot_delay_ms"].as_f64().unwrap();
    let list = |v: &serde_json::Value| {
        let l: Vec<String> = floats(v).iter().map(|x| format!("{x:?}")).collect();
        format!("[{}]", l.join(", "))
    };
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
model = "iaf_psc_alpha"
neuron_params = {{ I_e = {i_e:?}, tau_minus = {tm:?} }}
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
        ex = list(&r["ex_times_ms"]),
        inh = list(&r["in_times_ms"]),
        i_e = r["I_e"].as_f64().unwrap(),
        tm = r["tau_minus"].as_f64().unwrap(),
        w_ex = r["ex_weight"].as_f64().unwrap(),
        d_ex = r["ex_delay_ms"].as_f64().unwrap(),
        s_ex = spec(&r["ex_synapse"]),
        w_in = r["in_weight"].as_f64().unwrap(),
        d_in = r["in_delay_ms"].as_f64().unwrap(),
        s_in = spec(&r["in_synapse"]),
    );
    let dir = tempfile::tempdir().unwrap();
    let gp = write(dir.path(), "g.toml", &g);
    run(&gp, dir.path(), &[]).unwrap();
    let want = floats(&r["spike_times_ms"]);
    let times = read_spikes(&dir.path().join("spikes.h5")).0;
    assert!(want.len() >= 10, "the reference must fire");
    assert_eq!(times.len(), want.len(), "{times:?} vs NEST {want:?}");
    for (a, b) in times.iter().zip(&want) {
        assert!((a - b).abs() < 1e-9, "spike at {a} ms, NEST {b} ms");
    }
    let want_vm = floats(&r["vm_mV"]);
    let (_, vm, _) = read_h5(&dir.path().join("vm.h5"));
    assert!(vm.len() >= want_vm.len(), "V_m samples");
    let rel = vm
        .iter()
        .zip(&want_vm)
        .map(|(a, b)| (a - b).abs() / b.abs())
        .fold(0.0, f64::max);
    eprintln!(
        "stdp_parrot: {} spikes at NEST's times, V_m max relative difference {rel:.2e} (NEST's weights moved to {} and {})",
        want.len(),
        r["final_ex_weight"],
        r["final_in_weight"]
    );
    assert!(rel < 1e-12, "V_m max relative difference {rel:e}");
    // static synapses of the same weights give another V_m: the
    // plasticity acted
    let fixed = g.replace(&spec(&r["ex_synapse"]), "{ model = \"static_synapse\" }");
    let dir2 = tempfile::tempdir().unwrap();
    let gp2 = write(dir2.path(), "g.toml", &fixed);
    run(&gp2, dir2.path(), &[]).unwrap();
    let (_, vm2, _) = read_h5(&dir2.path().join("vm.h5"));
    assert_ne!(vm2, vm, "the plasticity changed nothing");
}
