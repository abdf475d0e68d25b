//! The mean field on Vulkan with windows in flight (`overlap = true`, the
//! default: window w + 1 submitted to the device before window w is read
//! back, as far as the graph's delays let the scheduler hand its inputs
//! over early) writes the same bits as one window at a time
//! (`overlap = false`): a stimulated network with monitors and recorders
//! (graphs/stimulus_pulse76.toml, on no cycle: several windows ahead) and
//! the co-simulation (graphs/cosim_wc76_spiking.toml, a window of delay
//! each way between the mean field and the spiking regions: one window
//! ahead). Lavapipe in CI; without a Vulkan device it says so and passes,
//! unless BRAINSTREAM_REQUIRE_VULKAN is set (as CI sets it).

use super::*;
use std::path::Path;

/// Runs `graph` with the mean field `brain` on Vulkan, `overlap` as given,
/// into `out`; returns how many windows ahead the scheduler hands the
/// mean field its inputs (0: one window at a time).
fn run_overlap(graph: &Path, out: &Path, set: &[&str], overlap: bool) -> u64 {
    let mut s: Vec<String> = set.iter().map(|s| s.to_string()).collect();
    s.push("actors.brain.backend=\"vulkan\"".into());
    s.push(format!("actors.brain.overlap={overlap}"));
    let mut g = brainstream::load_graph(graph, s).unwrap();
    let brain = g.actors.iter().position(|a| a.name == "brain").unwrap();
    let pipelined = g.actors[brain].actor.pipelined().is_some();
    assert_eq!(pipelined, overlap, "{}", graph.display());
    let ahead = if pipelined { g.lookahead(brain) } else { 0 };
    brainstream::run_graph(
        g,
        &brainstream::RunOptions {
            out_dir: out.to_path_buf(),
            ..Default::default()
        },
        |_| {},
    )
    .unwrap();
    ahead
}

/// Every HDF5 file of `a` has a twin in `b` with the same `data` bits (or
/// `spikes/times` and `spikes/senders`); returns how many were compared.
fn same_recordings(a: &Path, b: &Path) -> usize {
    let mut files: Vec<_> = std::fs::read_dir(a)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "h5"))
        .collect();
    files.sort();
    let mut compared = 0;
    for f in files {
        let (fa, fb) = (open_h5(&f), open_h5(&b.join(f.file_name().unwrap())));
        for ds in ["data", "spikes/times", "spikes/senders"] {
            let (Ok(da), Ok(db)) = (fa.dataset(ds), fb.dataset(ds)) else {
                continue;
            };
            assert_eq!(da.shape(), db.shape(), "{} {ds}", f.display());
            let (x, y): (Vec<u64>, Vec<u64>) = if ds == "spikes/senders" {
                let r = |d: &hdf5::Dataset| {
                    d.read_raw::<u32>()
                        .unwrap()
                        .into_iter()
                        .map(u64::from)
                        .collect()
                };
                (r(&da), r(&db))
            } else {
                let r = |d: &hdf5::Dataset| {
                    d.read_raw::<f64>()
                        .unwrap()
                        .into_iter()
                        .map(f64::to_bits)
                        .collect()
                };
                (r(&da), r(&db))
            };
            assert!(!x.is_empty(), "{} {ds} is empty", f.display());
            assert!(
                x == y,
                "{} {ds}: overlapped windows change the result",
                f.display()
            );
            compared += 1;
        }
    }
    compared
}

#[test]
fn overlapped_windows_on_vulkan_give_the_bits_of_one_at_a_time() {
    if common::vulkan_device("windows overlapped on Vulkan").is_none() {
        return;
    }
    for (graph, set, want_ahead) in [
        // the stimulus, the monitors and the recorders wait on the mean
        // field, which waits on nothing: the most windows ahead
        (
            "graphs/stimulus_pulse76.toml",
            vec!["simulation.duration_ms=100"],
            brainstream::runtime::graph::slack::MAX_LOOKAHEAD,
        ),
        // proxy states of window w + 1 need the coupling of window w − 1
        (
            "graphs/cosim_wc76_spiking.toml",
            vec!["simulation.duration_ms=50"],
            1,
        ),
    ] {
        let g = root().join(graph);
        let (on, off) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
        let ahead = run_overlap(&g, on.path(), &set, true);
        assert_eq!(ahead, want_ahead, "{graph}");
        assert_eq!(run_overlap(&g, off.path(), &set, false), 0);
        let n = same_recordings(on.path(), off.path());
        eprintln!("{graph}: {n} recordings the same bits with {ahead} windows ahead and without");
        assert!(n >= 2, "{graph}: {n} recordings compared");
    }
}
