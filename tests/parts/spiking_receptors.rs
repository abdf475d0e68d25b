//! NEST's `receptor_type` beyond 0 at graph level: tvb-multiscale's
//! `iaf_cond_ww_deco` (the one built-in model with several receptor ports:
//! receptor 0 the local AMPA + NMDA / GABA_A synapses by the weight's sign,
//! 1..=`n_receptors` its external AMPA synapses) takes inputs on receptors
//! 1, 2 and 3 through `connections` from a device's port, the `input` table
//! and `region_connections`, and the `background` on the receptor it names.
//! NEST 3.10 cannot load the module, so the reference is
//! tests/data/ww_deco/make_refs_ww_deco_graph.py: the same network built of
//! make_refs_ww_deco.py's port of the module and GSL's RKF45 (the port the
//! single-neuron test in models/tests/nest_reference.rs matches to the
//! bit), wired as NEST wires it.

use crate::common::*;

/// A spike_generator's times and senders for the trains `trains`
/// (train k's sender is k).
fn generator(trains: &[Vec<f64>]) -> (String, String) {
    let (mut t, mut s) = (vec![], vec![]);
    for (k, times) in trains.iter().enumerate() {
        t.extend(times.iter().copied());
        s.extend(std::iter::repeat_n(k, times.len()));
    }
    (list(&t), list(&s))
}

/// The Deco 2014 E neuron's parameters of the reference (its three
/// external receptors' weights and ceilings as lists).
fn neuron_params(p: &serde_json::Value) -> String {
    let mut kv = vec![];
    for (k, v) in p.as_object().unwrap() {
        match v {
            serde_json::Value::Array(a) => {
                kv.push(format!("n_receptors = {}.0", a.len()));
                kv.push(format!("{k} = {}", list(&floats(v))));
            }
            _ => kv.push(format!("{k} = {:?}", v.as_f64().unwrap())),
        }
    }
    kv.sort();
    kv.dedup();
    format!("{{ {} }}", kv.join(", "))
}

/// make_refs_ww_deco_graph.py's network as a graph.
fn receptors_graph(r: &serde_json::Value) -> String {
    let r1: Vec<Vec<f64>> = r["r1_times_ms"]
        .as_array()
        .unwrap()
        .iter()
        .map(floats)
        .collect();
    let r2: Vec<Vec<f64>> = r["r2_times_ms"]
        .as_array()
        .unwrap()
        .iter()
        .map(floats)
        .collect();
    let (r1_t, r1_s) = generator(&r1);
    let (r2_t, r2_s) = generator(&r2);
    format!(
        r#"[simulation]
dt_ms = {h:?}
duration_ms = {dur:?}
sync_ms = 0.5
[actors.r1]
kind = "spike_generator"
spike_times_ms = {r1_t}
senders = {r1_s}
[actors.inh]
kind = "spike_generator"
spike_times_ms = {inh}
[actors.r2]
kind = "spike_generator"
spike_times_ms = {r2_t}
senders = {r2_s}
[actors.net]
kind = "spiking_network"
model = "iaf_cond_ww_deco"
neuron_params = {params}
regions = ["A", "B"]
populations = {{ E = 2 }}
connectivity = "{conn}"
speed_mm_per_ms = 3.0
record_v_m = [0, 3]
input = {{ trains_per_region = 1, targets = ["E"], indegree = 1, weight = 0.5, delay_ms = 0.5, receptor = 2 }}
connections = [
  {{ from = "E", to = "E", weight = 1.0, delay_ms = 0.1 }},
  {{ from = "spikes_in_3", to = "E", weight = -1.0, delay_ms = 1.0 }},
  {{ from = "spikes_in_2", trains = [0, 1], to = "E", rule = "one_to_one", weight = 1.0, delay_ms = 1.0, receptor = 1, regions = ["A"] }},
  {{ from = "spikes_in_2", trains = [2, 3], to = "E", rule = "one_to_one", weight = 1.0, delay_ms = 1.0, receptor = 1, regions = ["B"] }},
]
region_connections = [{{ from = "E", to = "E", scale = 2.0, receptor = 3 }}]
[actors.spikes]
kind = "hdf5_recorder"
[actors.vm]
kind = "hdf5_recorder"
[[edges]]
from = "r1.spikes"
to = "net.spikes_in_2"
[[edges]]
from = "inh.spikes"
to = "net.spikes_in_3"
[[edges]]
from = "r2.spikes"
to = "net.spikes_in"
delay_ms = 0.5
[[edges]]
from = "net.spikes"
to = "spikes.spikes"
[[edges]]
from = "net.v_m"
to = "vm.input"
"#,
        h = r["h"].as_f64().unwrap(),
        dur = r["steps"].as_f64().unwrap() * r["h"].as_f64().unwrap(),
        inh = list(&floats(&r["inh_times_ms"])),
        params = neuron_params(&r["params"]),
        conn = root().join("tests/data/nest/regions3").display(),
    )
}

#[test]
fn receptors_beyond_0_take_the_inputs_every_route_sends_them() {
    let path = root().join("tests/data/ww_deco/ww_deco_graph_ref.json");
    let r: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let g = write(dir.path(), "g.toml", &receptors_graph(&r));
    run(&g, dir.path(), &[]).unwrap();
    let (times, senders) = read_spikes(&dir.path().join("spikes.h5"));
    let mut got: Vec<(f64, u32)> = times.into_iter().zip(senders).collect();
    got.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)));
    let want: Vec<(f64, u32)> = floats(&r["spike_times_ms"])
        .into_iter()
        .zip(r["spike_senders"].as_array().unwrap().iter())
        .map(|(t, s)| (t, s.as_u64().unwrap() as u32))
        .collect();
    assert!(
        want.len() >= 20,
        "the reference fires {} spikes",
        want.len()
    );
    assert_eq!(got.len(), want.len(), "{got:?}\nreference {want:?}");
    for (a, b) in got.iter().zip(&want) {
        assert!(
            a.1 == b.1 && (a.0 - b.0).abs() < 1e-9,
            "spike of {} at {} ms, reference: {} at {} ms",
            a.1,
            a.0,
            b.1,
            b.0
        );
    }
    // V_m of neurons 0 (region A) and 3 (region B) after every step
    let (shape, vm, _) = read_h5(&dir.path().join("vm.h5"));
    let want_vm: Vec<Vec<f64>> = r["v_m"].as_array().unwrap().iter().map(floats).collect();
    assert_eq!(shape, vec![want_vm.len(), 1, 2, 1]);
    let mut worst: f64 = 0.0;
    for (k, w) in want_vm.iter().enumerate() {
        for n in 0..2 {
            worst = worst.max((vm[k * 2 + n] - w[n]).abs() / w[n].abs());
        }
    }
    eprintln!(
        "iaf_cond_ww_deco, receptors 0-3 through a graph: {} spikes as the reference, V_m within {worst:.1e} relative",
        want.len()
    );
    assert!(worst <= 1e-12, "V_m differs by {worst:e} relative");
}

/// The spikes (sorted) and V_m of `graph`, run into `dir`.
fn spikes_and_v_m(dir: &std::path::Path, graph: &str) -> (Vec<(f64, u32)>, Vec<f64>) {
    let g = write(dir, "g.toml", graph);
    run(&g, dir, &[]).unwrap();
    let (times, senders) = read_spikes(&dir.join("spikes.h5"));
    let mut s: Vec<(f64, u32)> = times.into_iter().zip(senders).collect();
    s.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)));
    (s, read_h5(&dir.join("vm.h5")).1)
}

#[test]
fn receptor_source_is_the_source_region_s_connectome_index_plus_one() {
    // tvb-multiscale's Deco 2014 nodes_connections: receptor = source + 1.
    // make_refs_ww_deco_graph.py's network with its region_connections on
    // receptor "source" runs to the bit as the same network with one entry
    // per source region on explicit receptors (regions3: A is connectome
    // region 0, B region 1)
    let path = root().join("tests/data/ww_deco/ww_deco_graph_ref.json");
    let r: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    let g = receptors_graph(&r);
    let line = r#"region_connections = [{ from = "E", to = "E", scale = 2.0, receptor = 3 }]"#;
    assert!(g.contains(line));
    let by_source = g.replace(
        line,
        r#"region_connections = [{ from = "E", to = "E", scale = 2.0, receptor = "source" }]"#,
    );
    let explicit = g.replace(
        line,
        r#"region_connections = [
  { from = "E", to = "E", scale = 2.0, receptor = 1, source_regions = ["A"] },
  { from = "E", to = "E", scale = 2.0, receptor = 2, source_regions = ["B"] },
]"#,
    );
    let (a, b, c) = (
        tempfile::tempdir().unwrap(),
        tempfile::tempdir().unwrap(),
        tempfile::tempdir().unwrap(),
    );
    let got = spikes_and_v_m(a.path(), &by_source);
    let want = spikes_and_v_m(b.path(), &explicit);
    assert!(got.0.len() >= 20, "{} spikes", got.0.len());
    assert_eq!(got.0, want.0, "spikes");
    assert!(got.1 == want.1, "V_m differs");
    // and not as the reference's receptor 3 for both: the receptors' weights differ
    let fixed = spikes_and_v_m(c.path(), &g);
    assert!(fixed.1 != got.1, "receptor \"source\" acts as receptor 3");
    // a source region beyond the neurons' n_receptors is refused at the entry
    // (B's receptor 2 with n_receptors = 1; the regions are connected
    // before any input arrives)
    let one = by_source.replace("n_receptors = 3.0", "n_receptors = 1.0");
    assert_ne!(one, by_source);
    let dir = tempfile::tempdir().unwrap();
    let e = run(&write(dir.path(), "g.toml", &one), dir.path(), &[])
        .unwrap_err()
        .to_string();
    assert!(e.contains("region_connections[0]"), "{e}");
}

/// One region of 4 Deco 2014 E neurons driven by the 2400 Hz `background`
/// on receptor `receptor`, the external receptors' weights one-hot at
/// `weighted` (1-based): its spikes.
fn background_on(receptor: usize, weighted: usize) -> Vec<(f64, u32)> {
    let mut w = [0.0; 3];
    w[weighted - 1] = 1.0;
    let g = format!(
        r#"[simulation]
dt_ms = 0.1
duration_ms = 300.0
seed = 3
[actors.net]
kind = "spiking_network"
model = "iaf_cond_ww_deco"
neuron_params = {{ C_m = 500.0, g_L = 25.0, t_ref = 2.0, g_AMPA_ext = 3.37, g_AMPA = 0.065, g_NMDA = 0.2, g_GABA_A = 10.94, w_E = 1.4, N_E = 160.0, N_I = 40.0, n_receptors = 3.0, w_E_ext = {w}, s_AMPA_ext_max = [160.0, 160.0, 160.0] }}
regions = ["r"]
populations = {{ E = 4 }}
background = {{ rate_hz = 2400.0, weight = 1.0, delay_ms = 0.1, receptor = {receptor} }}
[actors.spikes]
kind = "hdf5_recorder"
[[edges]]
from = "net.spikes"
to = "spikes.spikes"
"#,
        w = list(&w)
    );
    let dir = tempfile::tempdir().unwrap();
    let path = write(dir.path(), "g.toml", &g);
    run(&path, dir.path(), &[]).unwrap();
    let (t, s) = read_spikes(&dir.path().join("spikes.h5"));
    t.into_iter().zip(s).collect()
}

#[test]
fn the_background_drives_the_receptor_it_names() {
    // the external receptors are alike but for their weights: the drive on
    // receptor k with weight 1 at k (the others 0) fires the same spikes
    // for every k, to the bit, and none when the weight is elsewhere
    let on_1 = background_on(1, 1);
    assert!(on_1.len() >= 10, "{} spikes", on_1.len());
    assert_eq!(background_on(2, 2), on_1, "receptor 2");
    assert_eq!(background_on(3, 3), on_1, "receptor 3");
    assert!(
        background_on(1, 2).is_empty(),
        "receptor 1 weighted 0 fires"
    );
    assert!(
        background_on(3, 1).is_empty(),
        "receptor 3 weighted 0 fires"
    );
}

#[test]
fn list_shows_iaf_cond_ww_deco_s_receptors_on_one_line() {
    let o = bs().args(["list", "iaf_cond_ww_deco"]).output().unwrap();
    let t = String::from_utf8_lossy(&o.stdout);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert!(t.contains("  receptor 0: w > 0: local excitatory"), "{t}");
    assert!(
        t.contains("  receptors 1–1000: external AMPA synapse k"),
        "{t}"
    );
    assert!(!t.contains("receptor 2:"), "{t}");
    // gsl_error_tol's lower bound, 1e-300, in exponent form
    assert!(
        t.contains("gsl_error_tol  = 0.000001     1      in [1e-300, 1000000000]"),
        "{t}"
    );
    assert!(t.lines().all(|l| l.chars().count() < 200), "{t}");
}
