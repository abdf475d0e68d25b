//! Spiking regions connected through a connectome
//! (`spiking_network.region_connections`), against NEST 3.10
//! (tests/data/nest/make_refs_regions.py).

use crate::common::*;

fn ints(v: &serde_json::Value) -> Vec<u64> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|x| x.as_u64().unwrap())
        .collect()
}

/// The network of make_refs_regions.py as a graph: three regions of
/// tests/data/nest/regions3, E (4) and I (2) each, connected within by
/// `connections` and between by `region_connections`; the spike_generator's
/// four trains drive region A's E neurons one to one over an edge of 0.5 ms
/// (part of their 1 ms). The graph steps by 0.1 ms; a reference of
/// another resolution is the network's own `dt_ms`.
fn regions_graph(r: &serde_json::Value) -> String {
    let h = r["resolution_ms"].as_f64().unwrap();
    format!(
        r#"[simulation]
dt_ms = 0.1
duration_ms = {dur}
sync_ms = 0.5
[actors.drive]
kind = "spike_generator"
spike_times_ms = {times}
senders = {senders}
[actors.net]
kind = "spiking_network"
model = "iaf_psc_alpha"
{own_dt}
neuron_params = {{ I_e = {i_e:?} }}
regions = ["A", "B", "C"]
populations = {{ E = 4, I = 2 }}
connectivity = "{conn}"
speed_mm_per_ms = {speed:?}
connections = [
  {{ from = "E", to = "I", weight = 40.0, delay_ms = 1.0 }},
  {{ from = "I", to = "E", weight = -60.0, delay_ms = 1.5 }},
  {{ from = "spikes_in_2", trains = 4, to = "E", rule = "one_to_one", weight = {w_drive:?}, delay_ms = {d_drive:?}, regions = ["A"] }},
]
region_connections = [
  {{ from = "E", to = ["E", "I"], scale = 100.0 }},
  {{ from = "I", to = "I", scale = -300.0, rule = "one_to_one", source_regions = ["B"] }},
]
[actors.spikes]
kind = "hdf5_recorder"
[[edges]]
from = "drive.spikes"
to = "net.spikes_in_2"
delay_ms = {edge:?}
[[edges]]
from = "net.spikes"
to = "spikes.spikes"
"#,
        own_dt = if h == 0.1 {
            String::new()
        } else {
            format!("dt_ms = {h:?}")
        },
        dur = r["duration_ms"].as_f64().unwrap(),
        times = list(&floats(&r["drive_times_ms"])),
        senders = list(&ints(&r["drive_senders"])),
        i_e = r["I_e"].as_f64().unwrap(),
        conn = root().join("tests/data/nest/regions3").display(),
        speed = r["speed_mm_per_ms"].as_f64().unwrap(),
        w_drive = r["drive_weight"].as_f64().unwrap(),
        d_drive = r["drive_delay_ms"].as_f64().unwrap(),
        edge = r["drive_edge_ms"].as_f64().unwrap(),
    )
}

/// (time, sender) of every recorded spike, in time then sender order.
fn spikes(dir: &std::path::Path) -> Vec<(f64, u64)> {
    let (times, senders) = read_spikes(&dir.join("spikes.h5"));
    let mut s: Vec<(f64, u64)> = times
        .into_iter()
        .zip(senders.into_iter().map(u64::from))
        .collect();
    s.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)));
    s
}

#[test]
fn regions_connected_through_a_connectome_reproduce_nest() {
    let path = root().join("tests/data/nest/regions3.json");
    let r: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    let want: Vec<(f64, u64)> = floats(&r["spike_times_ms"])
        .into_iter()
        .zip(ints(&r["spike_senders"]))
        .collect();
    // regions B and C are driven only through the connectome
    let per_region = |s: &[(f64, u64)]| {
        let mut n = [0usize; 3];
        for &(_, id) in s {
            n[id as usize / 6] += 1;
        }
        n
    };
    let n_want = per_region(&want);
    assert!(n_want.iter().all(|&n| n >= 20), "reference {n_want:?}");
    let dir = tempfile::tempdir().unwrap();
    let g = write(dir.path(), "g.toml", &regions_graph(&r));
    run(&g, dir.path(), &[]).unwrap();
    let got = spikes(dir.path());
    assert_eq!(
        got.len(),
        want.len(),
        "{} spikes {:?}, NEST {} {n_want:?}",
        got.len(),
        per_region(&got),
        want.len()
    );
    for (a, b) in got.iter().zip(&want) {
        assert!(
            a.1 == b.1 && (a.0 - b.0).abs() < 1e-9,
            "spike of {} at {} ms, NEST: {} at {} ms",
            a.1,
            a.0,
            b.1,
            b.0
        );
    }
    eprintln!(
        "3 regions: {} spikes {:?} as NEST 3.10, delays {} steps",
        got.len(),
        per_region(&got),
        r["delays_steps"]
    );
    // without the connectome, B and C stay silent and A fires differently
    let dir2 = tempfile::tempdir().unwrap();
    let e = run(&g, dir2.path(), &["actors.net.region_connections=[]"])
        .unwrap_err()
        .to_string();
    assert!(e.contains("only region_connections use it"), "{e}");
    run(
        &g,
        dir2.path(),
        &[
            "actors.net.region_connections.0.scale=0.0",
            "actors.net.region_connections.1.scale=0.0",
        ],
    )
    .unwrap();
    let alone = spikes(dir2.path());
    let n = per_region(&alone);
    assert_eq!(n[1] + n[2], 0, "{n:?}");
    assert_ne!(n[0], n_want[0]);
}

#[test]
fn connectome_delays_reach_the_target_region_in_the_step_tvb_says() {
    // one neuron per region of tvb76's rM1 and lM1; rM1's neuron fires,
    // driven by one strong input spike; lM1's takes its spike after
    // d = rint(L / v / dt) steps
    let conn = brainstream::models::Connectivity::tvb76();
    let n = conn.n;
    let (i, j) = (
        conn.labels.iter().position(|l| l == "lM1").unwrap(),
        conn.labels.iter().position(|l| l == "rM1").unwrap(),
    );
    assert!(conn.weights[i * n + j] > 0.0);
    let d = (conn.tract_lengths[i * n + j] / 2.5 / 0.1).round_ties_even() as usize;
    let dir = tempfile::tempdir().unwrap();
    let g = write(
        dir.path(),
        "g.toml",
        r#"[simulation]
dt_ms = 0.1
duration_ms = 120.0
[actors.gen]
kind = "spike_generator"
spike_times_ms = [5.0]
[actors.net]
kind = "spiking_network"
regions = ["rM1", "lM1"]
populations = { E = 1 }
record_v_m = [0, 1]
speed_mm_per_ms = 2.5
connections = [{ from = "spikes_in_2", to = "E", weight = 5000.0, delay_ms = 1.0, regions = ["rM1"] }]
region_connections = [{ from = "E", to = "E", scale = 50.0 }]
[actors.spikes]
kind = "hdf5_recorder"
[actors.vm]
kind = "hdf5_recorder"
[[edges]]
from = "gen.spikes"
to = "net.spikes_in_2"
[[edges]]
from = "net.spikes"
to = "spikes.spikes"
[[edges]]
from = "net.v_m"
to = "vm.input"
"#,
    );
    run(&g, dir.path(), &[]).unwrap();
    let s = spikes(dir.path());
    // rM1's neuron fires (the first spike counts), lM1's never
    assert!(!s.is_empty() && s.iter().all(|x| x.1 == 0), "{s:?}");
    // a spike of time t over d steps moves V_m from sample t/dt + d on, as
    // a device's spike of time t does over a connection of d steps
    // (device_trains_reach_the_neurons_their_rules_and_delays_say)
    let t = (s[0].0 / 0.1).round() as usize;
    let (_, vm, _) = read_h5(&dir.path().join("vm.h5"));
    let trace: Vec<f64> = (0..1200).map(|k| vm[k * 2 + 1]).collect();
    let onset = trace
        .iter()
        .position(|&v| v != -70.0)
        .expect("a PSP in lM1");
    assert_eq!(onset, t + d, "spike at {} ms, delay {d} steps", s[0].0);
    assert!(trace[onset] > -70.0);
}

#[test]
fn regions_on_a_step_of_their_own_reproduce_nest_at_that_resolution() {
    // the same network at 0.05 ms under the graph's 0.1 ms: connectome
    // delays rint(L / v / 0.05) steps, spikes between the graph's steps
    let path = root().join("tests/data/nest/regions3_h0.05.json");
    let r: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    assert_eq!(r["resolution_ms"].as_f64(), Some(0.05));
    let want: Vec<(f64, u64)> = floats(&r["spike_times_ms"])
        .into_iter()
        .zip(ints(&r["spike_senders"]))
        .collect();
    assert!(want
        .iter()
        .any(|s| ((s.0 / 0.1).round() * 0.1 - s.0).abs() > 0.01));
    let dir = tempfile::tempdir().unwrap();
    let g = write(dir.path(), "g.toml", &regions_graph(&r));
    run(&g, dir.path(), &[]).unwrap();
    let got = spikes(dir.path());
    assert_eq!(got.len(), want.len());
    for (a, b) in got.iter().zip(&want) {
        assert!(
            a.1 == b.1 && (a.0 - b.0).abs() < 1e-9,
            "spike of {} at {} ms, NEST at 0.05 ms: {} at {} ms",
            a.1,
            a.0,
            b.1,
            b.0
        );
    }
    eprintln!(
        "3 regions at 0.05 ms under 0.1 ms: {} spikes as NEST 3.10, delays {} steps",
        got.len(),
        r["delays_steps"]
    );
}
