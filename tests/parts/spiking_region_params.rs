//! `spiking_network.region_params`: a population's parameters in one
//! region (tvb-multiscale's builders take `params` per region node), over
//! `population_params`. Two regions of the same populations, one with its
//! own parameters, fire as the two one-region networks with those
//! parameters as `population_params`, spike for spike; bad entries are
//! refused at their keys; steering keeps away from such a population.

use crate::common::*;

/// Regions `regions` of E (3) and I (1) iaf_psc_alpha neurons, E → I and
/// I → E all_to_all within each region (no randomness: the spikes depend
/// on the parameters alone), with `extra` (population_params,
/// region_params) appended to the network's table.
fn graph(regions: &str, extra: &str) -> String {
    format!(
        r#"[simulation]
dt_ms = 0.1
duration_ms = 200.0
[actors.net]
kind = "spiking_network"
model = "iaf_psc_alpha"
regions = {regions}
populations = {{ E = 3, I = 1 }}
neuron_params = {{ I_e = 380.0 }}
connections = [
  {{ from = "E", to = "I", weight = 150.0, delay_ms = 1.0 }},
  {{ from = "I", to = "E", weight = -300.0, delay_ms = 1.5 }},
]
{extra}
[actors.spikes]
kind = "hdf5_recorder"
[[edges]]
from = "net.spikes"
to = "spikes.spikes"
"#
    )
}

/// (time, sender) of every spike of a run of `g`, sorted.
fn spikes_of(g: &str) -> Vec<(f64, u32)> {
    let dir = tempfile::tempdir().unwrap();
    let path = write(dir.path(), "g.toml", g);
    run(&path, dir.path(), &[]).unwrap();
    let (t, s) = read_spikes(&dir.path().join("spikes.h5"));
    let mut v: Vec<(f64, u32)> = t.into_iter().zip(s).collect();
    v.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)));
    v
}

#[test]
fn a_region_s_own_parameters_give_its_populations_those_neurons() {
    // region B's E neurons: another I_e and tau_m, its I neuron another
    // V_th, over population_params (E's t_ref in both regions)
    let both = spikes_of(&graph(
        r#"["A", "B"]"#,
        "population_params = { E = { t_ref = 3.0 } }\n\
         region_params = { B = { E = { I_e = 450.0, tau_m = 15.0 }, I = { V_th = -60.0 } } }",
    ));
    let a = spikes_of(&graph(
        r#"["A"]"#,
        "population_params = { E = { t_ref = 3.0 } }",
    ));
    let b = spikes_of(&graph(
        r#"["B"]"#,
        "population_params = { E = { t_ref = 3.0, I_e = 450.0, tau_m = 15.0 }, I = { V_th = -60.0 } }",
    ));
    assert!(
        a.len() >= 10 && b.len() >= 10,
        "{} and {} spikes",
        a.len(),
        b.len()
    );
    assert_ne!(
        a.iter().map(|s| s.0).collect::<Vec<_>>(),
        b.iter().map(|s| s.0).collect::<Vec<_>>(),
        "the regions' parameters make no difference"
    );
    // region A holds neurons 0..4, region B 4..8
    let of = |lo: u32| -> Vec<(f64, u32)> {
        both.iter()
            .filter(|s| (lo..lo + 4).contains(&s.1))
            .map(|&(t, s)| (t, s - lo))
            .collect()
    };
    assert_eq!(of(0), a, "region A");
    assert_eq!(of(4), b, "region B");
}

#[test]
fn bad_region_params_are_refused_at_their_keys() {
    for (extra, at) in [
        (
            "region_params = { C = { E = { I_e = 1.0 } } }",
            "region_params.C",
        ),
        (
            "region_params = { B = { X = { I_e = 1.0 } } }",
            "region_params.B.X",
        ),
        (
            "region_params = { B = { E = { I_x = 1.0 } } }",
            "region_params.B.E.I_x",
        ),
        (
            "region_params = { B = { E = { tau_m = -1.0 } } }",
            "region_params.B.E.tau_m",
        ),
        (
            "region_params = { B = { E = { tau_minus = 10.0 } } }",
            "region_params.B.E.tau_minus",
        ),
        ("region_params = { B = { E = 1.0 } }", "region_params.B.E"),
        ("region_params = { B = 1.0 }", "region_params.B"),
    ] {
        let dir = tempfile::tempdir().unwrap();
        let path = write(dir.path(), "g.toml", &graph(r#"["A", "B"]"#, extra));
        let err = match brainstream::load_graph(&path, vec![]) {
            Ok(g) => brainstream::run_graph(
                g,
                &brainstream::RunOptions {
                    out_dir: dir.path().to_path_buf(),
                    ..Default::default()
                },
                |_| {},
            )
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default(),
            Err(e) => e.to_string(),
        };
        assert!(err.contains(at), "{extra}: {err}");
    }
}

/// `brainstream run --replay` of one steering event on a graph file;
/// stderr of a failed run.
fn steered(g: &str, key: &str, old: f64, new: f64) -> Result<(), String> {
    let dir = tempfile::tempdir().unwrap();
    let path = write(dir.path(), "g.toml", g);
    let events = write(
        dir.path(),
        "ev.jsonl",
        &format!("{{\"window\":2,\"key\":\"{key}\",\"old\":{old:?},\"new\":{new:?}}}\n"),
    );
    let o = bs()
        .args(["run", "-q", "--out"])
        .arg(dir.path().join("out"))
        .arg(&path)
        .arg("--replay")
        .arg(&events)
        .output()
        .unwrap();
    if o.status.success() {
        Ok(())
    } else {
        Err(String::from_utf8_lossy(&o.stderr).to_string())
    }
}

#[test]
fn a_population_with_region_params_is_not_steered_but_the_others_are() {
    // rebuilding B's E neurons from E's one parameter set would drop their
    // own values: refused naming why; I (no region_params) can change
    let g = graph(
        r#"["A", "B"]"#,
        "region_params = { B = { E = { I_e = 450.0 } } }",
    );
    let e = steered(&g, "net.population_params.E.I_e", 380.0, 400.0).unwrap_err();
    assert!(e.contains("population `E` has region_params in B"), "{e}");
    steered(&g, "net.population_params.I.I_e", 380.0, 300.0).unwrap();
}
