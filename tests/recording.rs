//! HDF5 recordings: h5py reads every file; the layout is TVB's; a run cut off
//! by a diverging model keeps everything up to its last complete window and
//! says where it diverged.

mod common;
use common::*;

#[test]
fn h5py_reads_the_recordings_of_the_default_graph() {
    let dir = tempfile::tempdir().unwrap();
    let g = root().join("graphs/tvb_rww76.toml");
    let s = run(&g, dir.path(), &["simulation.duration_ms=50"]).unwrap();
    assert_eq!(s.files.len(), 2);
    let raw = dir.path().join("raw.h5");
    let script = format!(
        r#"
import h5py, numpy as np
f = h5py.File({p:?}, "r")
d, t = f["data"], f["time"]
assert d.shape == (500, 1, 76, 1), d.shape
assert d.dtype == np.float64
assert abs(t[0] - 0.1) < 1e-12 and abs(t[-1] - 50.0) < 1e-9, (t[0], t[-1])
assert list(d.attrs["variables"]) == ["S"], d.attrs["variables"]
assert list(d.attrs["nodes"])[:2] == ["rA1", "rA2"]
assert f.attrs["dt_ms"] == 0.1 and f.attrs["seed"] == 42 and bool(f.attrs["complete"])
assert "ReducedWongWang" in f.attrs["graph"] and "duration_ms=50" in f.attrs["graph"]
assert f.attrs["version"].startswith("brainstream ")
ref = np.loadtxt({r:?}, delimiter=",", skiprows=1)
rows = ref[ref[:, 0] <= 50.0]
idx = np.rint(rows[:, 0] / 0.1).astype(int) - 1
err = np.abs(d[idx, 0, :, 0] - rows[:, 1:]).max()
assert err <= 1e-6 * np.abs(rows[:, 1:]).max(), err
print("ok", d.shape, err)
"#,
        p = raw.display().to_string(),
        r = root()
            .join("tests/data/tvb/rww_conn76_ts_1ms.csv")
            .display()
            .to_string()
    );
    let out = python_h5py(&script);
    assert!(out.starts_with("ok"), "{out}");
}

#[test]
fn a_diverging_run_stops_with_the_step_region_and_variable_and_keeps_its_file() {
    let dir = tempfile::tempdir().unwrap();
    let g = root().join("graphs/tvb_g2d76.toml");
    // a negative cubic coefficient makes V blow up in finite time (~6 ms)
    let err = run(
        &g,
        dir.path(),
        &[
            "actors.brain.model_params.f=-0.05",
            "simulation.sync_ms=1.0",
            "simulation.duration_ms=200",
        ],
    )
    .unwrap_err()
    .to_string();
    assert!(err.contains("diverged at step"), "{err}");
    assert!(err.contains("state variable `V` of region"), "{err}");
    let raw = dir.path().join("raw.h5");
    let script = format!(
        r#"
import h5py, numpy as np
f = h5py.File({p:?}, "r")
d = f["data"]
assert not bool(f.attrs["complete"])
assert d.shape[0] > 0 and np.isfinite(d[:]).all(), d.shape
print("ok", d.shape[0])
"#,
        p = raw.display().to_string()
    );
    let out = python_h5py(&script);
    let kept: usize = out.split_whitespace().nth(1).unwrap().parse().unwrap();
    // every finite sample up to the divergence step is kept
    let step: usize = err
        .split("diverged at step ")
        .nth(1)
        .unwrap()
        .split(' ')
        .next()
        .unwrap()
        .parse()
        .unwrap();
    assert_eq!(kept, step - 1, "{err}");
}

#[test]
fn monitors_record_tvb_time_stamps() {
    let dir = tempfile::tempdir().unwrap();
    let g = root().join("graphs/tvb_rww76.toml");
    run(&g, dir.path(), &["simulation.duration_ms=20"]).unwrap();
    let (shape, data, time) = read_h5(&dir.path().join("tavg_rec.h5"));
    assert_eq!(shape, vec![20, 1, 76, 1]);
    // tvb-library's TemporalAverage, offset by its horizon: 51.5, 52.5, …
    assert!((time[0] - 51.5).abs() < 1e-9, "{}", time[0]);
    let (_, raw, _) = read_h5(&dir.path().join("raw.h5"));
    // TVB step s = k + 512 (k: our step from 1); the period of 10 closes at
    // s = 520 (k = 8), whose average holds k = 1..8 and two empty (zero) slots,
    // then at k = 18 with k = 9..18. Raw row r is k = r + 1.
    let first: f64 = (0..8).map(|r| raw[r * 76]).sum::<f64>() / 10.0;
    let second: f64 = (8..18).map(|r| raw[r * 76]).sum::<f64>() / 10.0;
    assert!((data[0] - first).abs() < 1e-15, "{} vs {first}", data[0]);
    assert!(
        (data[76] - second).abs() < 1e-15,
        "{} vs {second}",
        data[76]
    );
}

#[test]
fn spikes_are_recorded_in_their_own_datasets() {
    use brainstream::runtime::{
        BuildCtx, Inputs, Outputs, Params, Payload, RunContext, Spikes, WindowInfo,
    };
    use std::sync::Arc;
    let dir = tempfile::tempdir().unwrap();
    let reg = brainstream::default_registry();
    let kind = reg.get("hdf5_recorder").unwrap();
    let table = toml::Table::new();
    let params = Params::new(&table, kind.params, dir.path());
    let mut rec = (kind.build)(&BuildCtx {
        name: "spk",
        params,
        dt_ms: 0.1,
        duration_ms: 2.0,
    })
    .unwrap();
    rec.start(&RunContext {
        name: "spk".into(),
        kind: "hdf5_recorder".into(),
        out_dir: dir.path().to_path_buf(),
        seed: 1,
        graph_seed: 1,
        dt_ms: 0.1,
        total_steps: 20,
        window_steps: 10,
        graph_text: "# test".into(),
        graph_path: None,
        input_delays: vec![],
    })
    .unwrap();
    for (w, (senders, times)) in [(vec![3u32, 1], vec![0.25, 0.71]), (vec![2], vec![1.5])]
        .into_iter()
        .enumerate()
    {
        let stamps = times.iter().map(|t: &f64| (t / 0.1) as u64).collect();
        let inputs = Inputs::from_pairs([(
            "spikes",
            Payload::Spikes(Arc::new(Spikes {
                senders,
                times_ms: times,
                stamps,
            })),
        )]);
        let win = WindowInfo {
            index: w as u64,
            start_step: w as u64 * 10,
            n_steps: 10,
            dt_ms: 0.1,
        };
        rec.step(&win, &inputs, &mut Outputs::default()).unwrap();
    }
    let files = rec.finish(true).unwrap();
    assert_eq!(files, vec![dir.path().join("spk.h5")]);
    let out = python_h5py(&format!(
        r#"
import h5py
f = h5py.File({p:?}, "r")
print(f["spikes/times"][:].tolist(), f["spikes/senders"][:].tolist(), f["spikes/times"].attrs["unit"], bool(f.attrs["complete"]), "data" in f)
"#,
        p = dir.path().join("spk.h5").display().to_string()
    ));
    assert_eq!(out.trim(), "[0.25, 0.71, 1.5] [3, 1, 2] ms True False");
}
