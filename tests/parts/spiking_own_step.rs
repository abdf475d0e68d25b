//! A spiking network on a time step of its own (`spiking_network.dt_ms`,
//! e.g. NEST at 0.05 ms under the mean field's 0.1 ms): exact at the
//! window boundaries — the same as the network alone on a graph of that
//! step, and as NEST 3.10 at that resolution
//! (tests/data/nest/make_refs_fine_step.py).

use crate::common::*;

/// The neuron of `<model>_two_trains.json` and its two spike_generators
/// (the inhibitory one over an edge of 0.5 ms), on a graph of step
/// `graph_dt` with `net_dt` the network's own (`None`: the graph's).
fn two_trains_graph(r: &serde_json::Value, graph_dt: f64, net_dt: Option<f64>) -> String {
    format!(
        r#"[simulation]
dt_ms = {graph_dt:?}
duration_ms = {dur:?}
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
{dt}
neuron_params = {{ I_e = {i_e:?} }}
regions = ["r"]
populations = {{ n = 1 }}
record_v_m = [0]
connections = [
  {{ from = "spikes_in_2", to = "n", weight = {w_ex:?}, delay_ms = {d_ex:?} }},
  {{ from = "spikes_in_3", to = "n", weight = {w_in:?}, delay_ms = {d_in:?} }},
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
        dur = r["duration_ms"].as_f64().unwrap(),
        ex = list(&floats(&r["ex_times_ms"])),
        inh = list(&floats(&r["in_times_ms"])),
        model = r["model"].as_str().unwrap(),
        dt = net_dt.map_or(String::new(), |h| format!("dt_ms = {h:?}")),
        i_e = r["params"]["I_e"].as_f64().unwrap(),
        w_ex = r["ex_weight"].as_f64().unwrap(),
        d_ex = r["ex_delay_ms"].as_f64().unwrap(),
        w_in = r["in_weight"].as_f64().unwrap(),
        d_in = r["in_delay_ms"].as_f64().unwrap(),
    )
}

#[test]
fn a_network_at_half_the_graphs_step_equals_nest_and_itself_alone_at_that_step() {
    for model in ["iaf_psc_alpha", "iaf_cond_alpha", "aeif_cond_exp"] {
        let read = |name: String| -> serde_json::Value {
            serde_json::from_str(
                &std::fs::read_to_string(root().join("tests/data/nest").join(name)).unwrap(),
            )
            .unwrap()
        };
        let r = read(format!("{model}_two_trains.json"));
        let nest = read(format!("{model}_fine_step.json"));
        let want = floats(&nest["spike_times_ms"]);
        let want_vm = floats(&nest["vm_mV"]);
        // under the graph's 0.1 ms, and alone on a graph of 0.05 ms
        let (under, alone) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
        let g = write(
            under.path(),
            "g.toml",
            &two_trains_graph(&r, 0.1, Some(0.05)),
        );
        run(&g, under.path(), &[]).unwrap();
        let g = write(alone.path(), "g.toml", &two_trains_graph(&r, 0.05, None));
        run(&g, alone.path(), &[]).unwrap();
        let (t_under, _) = read_spikes(&under.path().join("spikes.h5"));
        let (t_alone, _) = read_spikes(&alone.path().join("spikes.h5"));
        assert_eq!(t_under, t_alone, "{model}: spike times to the bit");
        assert_eq!(
            t_under.len(),
            want.len(),
            "{model}: {t_under:?} vs NEST {want:?}"
        );
        for (a, b) in t_under.iter().zip(&want) {
            assert!(
                (a - b).abs() < 1e-9,
                "{model}: spike at {a} ms, NEST {b} ms"
            );
        }
        // at 0.1 ms NEST fires at other times: the network did step by 0.05
        let coarse = floats(&r["spike_times_ms"]);
        assert_ne!(coarse, want, "{model}: the references must differ");
        // V_m: the network under 0.1 ms is sampled after every other step
        let (shape, vm_under, _) = read_h5(&under.path().join("vm.h5"));
        let (_, vm_alone, _) = read_h5(&alone.path().join("vm.h5"));
        assert_eq!(shape[0] * 2, vm_alone.len(), "{model}");
        assert!(
            want_vm.len() > vm_alone.len() * 9 / 10,
            "{model}: NEST's V_m"
        );
        let mut err = 0.0f64;
        for (k, v) in vm_under.iter().enumerate() {
            assert_eq!(
                v.to_bits(),
                vm_alone[2 * k + 1].to_bits(),
                "{model}: V_m after graph step {k}"
            );
            // NEST's multimeter stops short of the end (at 299 ms of 300)
            if let Some(w) = want_vm.get(2 * k + 1) {
                err = err.max((v - w).abs());
            }
        }
        assert!(err < 1e-9, "{model}: max |ΔV_m| {err:e} mV from NEST");
        eprintln!(
            "{model} at 0.05 ms under 0.1 ms: {} spikes as alone and as NEST, max |ΔV_m| {err:.2e} mV",
            want.len()
        );
    }
}

#[test]
fn a_co_simulated_network_at_its_own_step_equals_it_alone_with_the_same_trains() {
    // Wilson-Cowan at 0.1 ms drives two spiking regions at 0.05 ms through
    // Poisson proxy trains; their rates close the loop. The same network
    // alone on a graph of 0.05 ms, fed the recorded trains by a
    // spike_generator, fires the same spikes at the same times.
    let net = |dt: &str| {
        format!(
            r#"[actors.net]
kind = "spiking_network"
model = "iaf_psc_alpha"
{dt}
regions = ["rM1", "lM1"]
populations = {{ E = 80, I = 20 }}
background = {{ rate_hz = 4000.0, weight = 20.0, delay_ms = 0.1 }}
input = {{ trains_per_region = 20, targets = ["E", "I"], indegree = 5, weight = 20.0, delay_ms = 0.15 }}
record_v_m = [0, 150]
connections = [
  {{ from = "E", to = "I", rule = "fixed_indegree", indegree = 8, weight = 20.0, delay_ms = 1.55 }},
  {{ from = "E", to = "E", rule = "fixed_indegree", indegree = 8, weight = 20.0, delay_ms = 1.5 }},
  {{ from = "I", to = "E", rule = "fixed_indegree", indegree = 2, weight = -100.0, delay_ms = 0.75 }},
]
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
"#
        )
    };
    let cosim = format!(
        r#"[simulation]
dt_ms = 0.1
duration_ms = 150.0
seed = 5
[actors.brain]
kind = "mean_field"
model = "WilsonCowan"
model_params = {{ P = 1.25 }}
coupling = "Linear"
coupling_params = {{ a = 0.02 }}
variables = ["E", "I"]
proxy_nodes = ["rM1", "lM1"]
[actors.gen]
kind = "poisson_spikes"
variable = "c_E"
trains_per_node = 20
scale = 3000.0
[actors.trains]
kind = "hdf5_recorder"
[actors.rates]
kind = "hdf5_recorder"
[actors.filt]
kind = "rate_filter"
tau_ms = 10.0
[actors.to_wc]
kind = "gain"
scale = 0.01
{}
[[edges]]
from = "brain.coupling"
to = "gen.input"
[[edges]]
from = "gen.spikes"
to = "net.spikes_in"
delay_ms = 1.0
[[edges]]
from = "gen.spikes"
to = "trains.spikes"
[[edges]]
from = "net.rates"
to = "filt.input"
[[edges]]
from = "net.rates"
to = "rates.input"
[[edges]]
from = "filt.output"
to = "to_wc.input"
[[edges]]
from = "to_wc.output"
to = "brain.proxy"
delay_ms = 1.0
"#,
        net("dt_ms = 0.05")
    );
    let d1 = tempfile::tempdir().unwrap();
    let g = write(d1.path(), "g.toml", &cosim);
    run(&g, d1.path(), &[]).unwrap();
    let (t_in, s_in) = read_spikes(&d1.path().join("trains.h5"));
    let (t1, s1) = read_spikes(&d1.path().join("spikes.h5"));
    assert!(t_in.len() > 500, "{} proxy spikes", t_in.len());
    assert!(t1.len() > 500, "{} network spikes", t1.len());
    // spikes between the graph's steps: the network stepped by 0.05 ms
    assert!(
        t1.iter()
            .any(|t| ((t / 0.1).round() * 0.1 - t).abs() > 0.01),
        "every spike on the 0.1 ms grid"
    );
    // the rates the mean field got: the spikes of both 0.05 ms steps of
    // each 0.1 ms step, over 0.1 ms (E = 80 and I = 20 neurons of rM1, lM1)
    let (shape, rates, times) = read_h5(&d1.path().join("rates.h5"));
    assert_eq!(shape, vec![1500, 2, 2, 1]);
    let mut want = vec![0.0; 1500 * 4];
    for (t, s) in t1.iter().zip(&s1) {
        let fine = (t / 0.05).round() as usize - 1;
        let (region, pop) = (*s as usize / 100, usize::from(*s as usize % 100 >= 80));
        want[(fine / 2) * 4 + pop * 2 + region] += 1000.0 / ([80.0, 20.0][pop] * 0.1);
    }
    for (k, (a, b)) in rates.iter().zip(&want).enumerate() {
        assert!(
            (a - b).abs() < 1e-9,
            "rate {k}: {a} Hz, from the spikes {b} Hz"
        );
    }
    assert!((times[0] - 0.1).abs() < 1e-12 && (times[1499] - 150.0).abs() < 1e-9);
    let alone = format!(
        r#"[simulation]
dt_ms = 0.05
duration_ms = 150.0
seed = 5
[actors.gen]
kind = "spike_generator"
spike_times_ms = {}
senders = {}
{}
[[edges]]
from = "gen.spikes"
to = "net.spikes_in"
delay_ms = 1.0
"#,
        list(&t_in),
        list(&s_in),
        net("")
    );
    let d2 = tempfile::tempdir().unwrap();
    let g = write(d2.path(), "g.toml", &alone);
    run(&g, d2.path(), &[]).unwrap();
    let (t2, s2) = read_spikes(&d2.path().join("spikes.h5"));
    assert_eq!(s1, s2, "senders");
    assert_eq!(t1, t2, "spike times");
    let (_, vm1, _) = read_h5(&d1.path().join("vm.h5"));
    let (_, vm2, _) = read_h5(&d2.path().join("vm.h5"));
    assert_eq!(vm1.len() * 2, vm2.len());
    for k in 0..vm1.len() / 2 {
        for j in 0..2 {
            assert_eq!(vm1[k * 2 + j], vm2[(2 * k + 1) * 2 + j], "V_m {j} at {k}");
        }
    }
    eprintln!(
        "co-simulated at 0.05 ms under 0.1 ms: {} spikes from {} proxy spikes, as alone",
        t1.len(),
        t_in.len()
    );
}

#[test]
fn a_step_that_does_not_divide_the_graphs_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let g = write(
        dir.path(),
        "g.toml",
        "[simulation]\ndt_ms = 0.1\nduration_ms = 1.0\n[actors.net]\nkind = \"spiking_network\"\nregions = [\"r\"]\npopulations = { E = 1 }\ndt_ms = 0.03\n",
    );
    let e = run(&g, dir.path(), &[]).unwrap_err().to_string();
    assert!(
        e.contains("actors.net.dt_ms")
            && e.contains("does not divide the graph's step (0.1 ms) a whole number of times"),
        "{e}"
    );
}

#[test]
fn currents_of_the_graphs_steps_act_for_each_of_their_fine_steps() {
    // a step current on the graph's grid of 0.1 ms: the sample stamped j
    // acts during graph step j + 1, i.e. during both its 0.05 ms steps.
    // Alone on a graph of 0.05 ms, the same current acts from the same
    // time when its changes come one fine step later (the device's own
    // step of delay is then 0.05 ms).
    let graph = |dt: f64, net_dt: &str, times: &[f64]| {
        format!(
            r#"[simulation]
dt_ms = {dt:?}
duration_ms = 100.0
sync_ms = 1.0
[actors.cur]
kind = "step_current_generator"
amplitude_times_ms = {}
amplitude_values_pA = [300.0, 520.0, 0.0, 450.0]
[actors.net]
kind = "spiking_network"
{net_dt}
regions = ["r"]
populations = {{ n = 2 }}
record_v_m = [0, 1]
[actors.spikes]
kind = "hdf5_recorder"
[actors.vm]
kind = "hdf5_recorder"
[[edges]]
from = "cur.current"
to = "net.current_in"
[[edges]]
from = "net.spikes"
to = "spikes.spikes"
[[edges]]
from = "net.v_m"
to = "vm.input"
"#,
            list(times)
        )
    };
    let times = [0.0, 20.0, 50.3, 61.7];
    let shifted: Vec<f64> = times.iter().map(|t| t + 0.05).collect();
    let (under, alone) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let g = write(under.path(), "g.toml", &graph(0.1, "dt_ms = 0.05", &times));
    run(&g, under.path(), &[]).unwrap();
    let g = write(alone.path(), "g.toml", &graph(0.05, "", &shifted));
    run(&g, alone.path(), &[]).unwrap();
    let (t1, _) = read_spikes(&under.path().join("spikes.h5"));
    let (t2, _) = read_spikes(&alone.path().join("spikes.h5"));
    assert!(t1.len() >= 3, "{t1:?}");
    assert_eq!(t1, t2);
    let (_, vm1, _) = read_h5(&under.path().join("vm.h5"));
    let (_, vm2, _) = read_h5(&alone.path().join("vm.h5"));
    assert_eq!(vm1.len() * 2, vm2.len());
    for k in 0..vm1.len() / 2 {
        assert_eq!(
            vm1[2 * k].to_bits(),
            vm2[2 * (2 * k + 1)].to_bits(),
            "V_m at {k}"
        );
    }
}
