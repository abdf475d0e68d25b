//! HDF5 recordings: h5py reads every file; the layout is TVB's; a run cut off
//! by a diverging model keeps everything up to its last complete window and
//! says where it diverged. A stimulus actor's run is tvb-library's.

mod common;
use common::*;

#[path = "parts/afferent.rs"]
mod afferent;

#[path = "parts/surface_graph.rs"]
mod surface_graph;

#[path = "parts/surface_vulkan.rs"]
mod surface_vulkan;

#[path = "parts/recording_modes.rs"]
mod recording_modes;

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
print(f["spikes/times"][:].tolist(), f["spikes/senders"][:].tolist(), f["spikes/times"].attrs["units"], bool(f.attrs["complete"]), "data" in f)
"#,
        p = dir.path().join("spk.h5").display().to_string()
    ));
    assert_eq!(out.trim(), "[0.25, 0.71, 1.5] [3, 1, 2] ms True False");
}

/// Rows, last time stamp, `complete` and whether every value is finite, of
/// each recorder file, read by h5py (which must open every one of them).
fn h5py_summary(files: &[std::path::PathBuf]) -> Vec<(usize, f64, bool, bool)> {
    let script = format!(
        r#"
import h5py, numpy as np
for p in {files:?}:
    f = h5py.File(p, "r")
    d, t = f["data"][:], f["time"][:]
    assert d.shape[0] == t.shape[0], (p, d.shape, t.shape)
    print(d.shape[0], t[-1] if len(t) else 0.0, int(bool(f.attrs["complete"])), int(bool(np.isfinite(d).all())))
"#,
        files = files
            .iter()
            .map(|p| p.display().to_string())
            .collect::<Vec<_>>()
    );
    python_h5py(&script)
        .lines()
        .map(|l| {
            let v: Vec<&str> = l.split_whitespace().collect();
            (
                v[0].parse().unwrap(),
                v[1].parse().unwrap(),
                v[2] == "1",
                v[3] == "1",
            )
        })
        .collect()
}

/// What a run stopped by a full disk (or a file size limit) must leave:
/// both recorders' files readable; `raw.h5` (100 ms windows of 1000 steps)
/// holds whole windows up to the time the error names, the other its own
/// samples; both marked incomplete.
fn check_stopped_by_space(stderr: &str, out: &std::path::Path, cause: &str) {
    let s = h5py_summary(&[out.join("raw.h5"), out.join("tavg_rec.h5")]);
    assert!(stderr.contains(cause), "{stderr}");
    assert!(stderr.contains("actor `raw` failed in window"), "{stderr}");
    assert!(
        !stderr.contains("HDF5"),
        "HDF5 itself hit the error: {stderr}"
    );
    let (rows, t_last, complete, finite) = s[0];
    assert!(rows >= 1000 && rows % 1000 == 0, "raw.h5: {rows} rows");
    assert!((t_last - rows as f64 * 0.1).abs() < 1e-9, "{t_last}");
    assert!(
        stderr.contains(&format!("keeps everything before t = {} ms", rows / 10)),
        "{stderr} ({rows} rows)"
    );
    assert!(!complete && finite);
    let (rows, _, complete, finite) = s[1];
    assert!(rows > 0 && !complete && finite, "tavg_rec.h5: {:?}", s[1]);
}

#[test]
fn a_file_size_limit_stops_the_run_and_every_file_stays_readable() {
    // `ulimit -f` of 2.5 MB, SIGXFSZ ignored so that a write past it fails
    // with EFBIG instead of killing the process: raw.h5 (608 bytes a step)
    // reaches it after a few windows, tavg_rec.h5 (a tenth) never
    let dir = tempfile::tempdir().unwrap();
    let out = std::process::Command::new("sh")
        .arg("-c")
        .arg(r#"trap '' XFSZ; exec prlimit --fsize=2500000 -- "$@""#)
        .arg("sh")
        .arg(env!("CARGO_BIN_EXE_brainstream"))
        .args(["run", "graphs/tvb_rww76.toml", "-q", "--out"])
        .arg(dir.path())
        .current_dir(root())
        .output()
        .expect("sh and prlimit (util-linux)");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    check_stopped_by_space(&stderr, dir.path(), "file size limit (ulimit -f)");
}

#[test]
fn a_full_disk_stops_the_run_and_every_file_stays_readable() {
    // a 3 MB tmpfs in a private mount namespace (as root, or as anyone
    // where unprivileged user namespaces are allowed); the files are copied
    // out before the namespace, and the tmpfs with it, goes away.
    // --allow-large: the run's estimated output (7 MB) would be refused up
    // front; here the disk fills during the run, as when another program
    // fills it
    let dir = tempfile::tempdir().unwrap();
    let (disk, kept) = (dir.path().join("disk"), dir.path().join("kept"));
    std::fs::create_dir(&disk).unwrap();
    std::fs::create_dir(&kept).unwrap();
    let uid = std::process::Command::new("id").arg("-u").output().unwrap();
    let ns = if String::from_utf8_lossy(&uid.stdout).trim() == "0" {
        "--mount"
    } else {
        "--mount --map-root-user"
    };
    let out = std::process::Command::new("sh")
        .arg("-c")
        .arg(format!(
            r#"exec unshare {ns} sh -c 'mount -t tmpfs -o size=3m tmpfs "$0" || exit 97
"$2" run graphs/tvb_rww76.toml -q --allow-large --out "$0"; rc=$?; cp "$0"/* "$1"/; exit $rc' "$@""#
        ))
        .arg("sh")
        .arg(&disk)
        .arg(&kept)
        .arg(env!("CARGO_BIN_EXE_brainstream"))
        .current_dir(root())
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_ne!(
        out.status.code(),
        Some(97),
        "this test mounts a tmpfs in a private mount namespace (unshare): it needs root or unprivileged user namespaces\n{stderr}"
    );
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    check_stopped_by_space(&stderr, &kept, "no space left on the device");
}

#[test]
fn a_divergence_names_the_window_it_happened_in() {
    // the issue's run: diverges at step 1442 (t = 144.2 ms), in the second
    // 100 ms window (index 1); the mean field sends the finite samples of
    // that window first and reports the divergence when the next window
    // starts — or from `finish` when it was the last window (200 ms)
    for duration in ["1000", "200"] {
        let dir = tempfile::tempdir().unwrap();
        let err = run(
            &root().join("graphs/tvb_g2d76.toml"),
            dir.path(),
            &[
                "actors.brain.coupling_params.a=0.33",
                "actors.brain.model_params.d=1.0",
                &format!("simulation.duration_ms={duration}"),
            ],
        )
        .unwrap_err()
        .to_string();
        let step: u64 = err
            .split("diverged at step ")
            .nth(1)
            .and_then(|s| s.split(' ').next())
            .and_then(|s| s.parse().ok())
            .unwrap_or_else(|| panic!("{err}"));
        // step k produces the state stamped k: window (k - 1) / 1000
        let w = (step - 1) / 1000;
        assert_eq!(w, 1, "{err}");
        assert!(
            err.contains(&format!(
                "actor `brain` failed in window {w} (t = {} ms)",
                w * 100
            )),
            "{duration} ms: {err}"
        );
    }
}

/// Every series file opens in xarray (h5netcdf) with named dimensions and
/// coordinates, the sample period and the phase convention of its times,
/// the run's clock (`step`), and what produced it: the connectome and every
/// resolved model parameter per region (issue 19).
#[test]
fn xarray_opens_recordings_with_dimensions_coordinates_and_provenance() {
    let dir = tempfile::tempdir().unwrap();
    let g = root().join("graphs/tvb_rww76.toml");
    run(
        &g,
        dir.path(),
        &[
            "simulation.duration_ms=30",
            "actors.brain.model_params.J_N=0.25",
        ],
    )
    .unwrap();
    // AdEx records E, I (kHz) and W_e (pA): one unit per variable
    let adex = tempfile::tempdir().unwrap();
    run(
        &root().join("graphs/adex68.toml"),
        adex.path(),
        &["simulation.duration_ms=20"],
    )
    .unwrap();
    let script = format!(
        r#"
import xarray as xr, numpy as np
ad = xr.open_dataset({adex:?}, engine="h5netcdf")
assert list(ad["variable"].values) == ["E", "I", "W_e"]
assert list(ad["unit"].values) == ["kHz", "kHz", "pA"], ad["unit"].values
assert list(ad["unit"].sel(variable=["E", "W_e"]).values) == ["kHz", "pA"]
# no one unit for /data when the variables differ
assert "units" not in ad["data"].attrs and ad["data"].attrs["unit"] == ""
raw = xr.open_dataset({raw:?}, engine="h5netcdf")
tavg = xr.open_dataset({tavg:?}, engine="h5netcdf")
for ds in (raw, tavg):
    d = ds["data"]
    assert d.dims == ("time", "variable", "region", "mode"), d.dims
    assert list(ds["variable"].values) == ["S"]
    assert list(ds["region"].values[:2]) == ["rA1", "rA2"] and ds.sizes["region"] == 76
    assert ds["time"].attrs["units"] == "ms"
    assert ds["unit"].dims == ("variable",)
    assert list(ds["unit"].values) == ["1"] and ds["data"].attrs["units"] == "1"
    assert ds["step"].dims == ("time",)
    assert ds.attrs["dt_ms"] == 0.1 and bool(ds.attrs["complete"])
# raw: the state after `step` steps, at step·dt
assert raw.sizes["time"] == 300
assert np.allclose(raw["time"].values, raw["step"].values * 0.1)
assert raw["time"].attrs["sample_period_ms"] == 0.1 or abs(raw["time"].attrs["sample_period_ms"] - 0.1) < 1e-12
assert abs(raw["time"].attrs["first_sample_ms"] - 0.1) < 1e-12
# tavg: tvb-library's times, 51.2 ms ahead of the run's clock; the
# convention says so, and `step` gives the run's clock
tt = tavg["time"]
assert abs(tt.attrs["first_sample_ms"] - 51.5) < 1e-9 and abs(tt.attrs["sample_period_ms"] - 1.0) < 1e-9
assert "51.2 ms ahead" in tt.attrs["convention"], tt.attrs["convention"]
assert np.allclose(tt.values - tavg["step"].values * 0.1, 51.2 - 0.5)
# what produced them
conn = xr.open_dataset({raw:?}, engine="h5netcdf", group="connectivity")
assert conn["weights"].dims == ("region", "source") and conn["weights"].shape == (76, 76)
assert conn["tract_lengths"].attrs["units"] == "mm" and conn["centres"].shape == (76, 3)
assert conn.attrs["source"] == "builtin:tvb76"
ref = np.loadtxt({w:?}, delimiter=",")
assert np.array_equal(conn["weights"].values, ref)
par = xr.open_dataset({raw:?}, engine="h5netcdf", group="parameters")
assert par.attrs["model"] == "ReducedWongWang"
m = par["model"]
assert m.dims == ("parameter", "region") and m.shape[1] == 76
assert (m.sel(parameter="J_N").values == 0.25).all()
assert (m.sel(parameter="tau_s").values == 100.0).all()
assert str(par["unit"].sel(parameter="tau_s").values) == "ms"
assert par["coupling"].sel(coupling_parameter="a").item() == 0.0042
print("ok")
"#,
        raw = dir.path().join("raw.h5").display().to_string(),
        tavg = dir.path().join("tavg_rec.h5").display().to_string(),
        adex = adex.path().join("rec.h5").display().to_string(),
        w = root()
            .join("models/data/tvb76_weights.csv")
            .display()
            .to_string(),
    );
    if let Some(out) = python_xarray(&script) {
        assert!(out.starts_with("ok"), "{out}");
    }
}

/// A spike file maps every sender to its region, population and index in
/// the population, and gives each population's size (issue 19).
#[test]
fn spike_files_map_senders_to_regions_and_populations() {
    let dir = tempfile::tempdir().unwrap();
    let g = root().join("graphs/cosim_wc76_spiking.toml");
    run(&g, dir.path(), &["simulation.duration_ms=20"]).unwrap();
    let script = format!(
        r#"
import xarray as xr, numpy as np
s = xr.open_dataset({p:?}, engine="h5netcdf", group="spikes")
assert s.attrs["producer"] == "net" and s.attrs["producer_kind"] == "spiking_network"
assert list(s["population_region"].values) == ["rM1", "rM1", "lM1", "lM1"]
assert list(s["population_name"].values) == ["E", "I", "E", "I"]
assert list(s["population_size"].values) == [800, 200, 800, 200]
assert list(s["first_sender"].values) == [0, 800, 1000, 1800]
assert s.sizes["sender"] == 2000 and s.sizes["spike"] > 0
snd = s["senders"].values
assert snd.max() < 2000
reg = s["sender_region"].values[snd]
pop = s["sender_population"].values[snd]
idx = s["sender_neuron"].values[snd]
assert (reg[snd < 1000] == "rM1").all() and (reg[snd >= 1000] == "lM1").all()
assert (pop[(snd % 1000) < 800] == "E").all() and (pop[(snd % 1000) >= 800] == "I").all()
assert (idx == np.where((snd % 1000) < 800, snd % 1000, snd % 1000 - 800)).all()
assert s["times"].attrs["units"] == "ms"
print("ok", len(snd))
"#,
        p = dir.path().join("spikes.h5").display().to_string(),
    );
    if let Some(out) = python_xarray(&script) {
        assert!(out.starts_with("ok"), "{out}");
    }
}

/// The figures of a run (issue 19): `png_plot` by region label as SVG,
/// smoothed, AdEx's kHz rates drawn in Hz; `fc_plot` with region labels;
/// `spectrum_plot` on log axes.
#[test]
fn figures_carry_units_labels_and_come_as_svg() {
    let dir = tempfile::tempdir().unwrap();
    let g = dir.path().join("figures.toml");
    std::fs::write(
        &g,
        r#"
[simulation]
dt_ms = 0.1
duration_ms = 300.0
[actors.brain]
kind = "mean_field"
[actors.tavg]
kind = "temporal_average"
period_ms = 1.0
[actors.plot]
kind = "png_plot"
nodes = ["rM1", "lA1"]
smooth_ms = 2.0
format = "svg"
[actors.fc]
kind = "fc_plot"
transient_ms = 100.0
format = "svg"
[actors.psd]
kind = "spectrum_plot"
nodes = ["rM1", "lM1"]
[[edges]]
from = "brain.state"
to = "tavg.input"
[[edges]]
from = "brain.state"
to = "plot.series"
[[edges]]
from = "tavg.output"
to = "fc.series"
[[edges]]
from = "brain.state"
to = "psd.series"
"#,
    )
    .unwrap();
    let out = dir.path().join("out");
    run(&g, &out, &[]).unwrap();
    let svg = std::fs::read_to_string(out.join("plot.svg")).unwrap();
    assert!(svg.starts_with("<svg"), "{svg:.100}");
    for s in ["rM1", "lA1", "t (ms)", "smoothed: mean over"] {
        assert!(svg.contains(s), "plot.svg lacks {s}");
    }
    let fc = std::fs::read_to_string(out.join("fc.svg")).unwrap();
    for s in ["Pearson r", "region", "rA1", "functional connectivity of S"] {
        assert!(fc.contains(s), "fc.svg lacks {s}");
    }
    let psd = std::fs::read(out.join("psd.png")).unwrap();
    assert!(psd.starts_with(b"\x89PNG"));
    // AdEx's E is computed in kHz and drawn in Hz
    let adex = tempfile::tempdir().unwrap();
    run(
        &root().join("graphs/adex68.toml"),
        adex.path(),
        &["simulation.duration_ms=20", "actors.plot.format=\"svg\""],
    )
    .unwrap();
    let svg = std::fs::read_to_string(adex.path().join("plot.svg")).unwrap();
    assert!(svg.contains("E (Hz)") && !svg.contains("kHz"), "no E (Hz)");
}

/// `fcd_plot` (issue 19) agrees with an independent FCD: numpy's corrcoef
/// over the recorded series in windows of 500 samples every 250 (Hansen et
/// al. 2015's definition), on the Epileptor graph, whose seizure makes FC
/// change: the same number of windows, and the variance and mean of the
/// FCD's upper triangle written under the figure's title.
#[test]
fn fcd_plot_agrees_with_numpy() {
    let dir = tempfile::tempdir().unwrap();
    let text = std::fs::read_to_string(root().join("graphs/epileptor76.toml")).unwrap();
    let init = root().join("graphs/epileptor76_initial.csv");
    let text = text.replace(
        "\"epileptor76_initial.csv\"",
        &format!("\"{}\"", init.display()),
    ) + r#"
[actors.fcd]
kind = "fcd_plot"
variable = "x2 - x1"
window_ms = 500.0
step_ms = 250.0
format = "svg"

[[edges]]
from = "tavg.output"
to = "fcd.series"
"#;
    assert!(text.contains(&init.display().to_string()));
    let g = write(dir.path(), "g.toml", &text);
    let out = dir.path().join("out");
    run(&g, &out, &["simulation.duration_ms=2500"]).unwrap();
    let svg = std::fs::read_to_string(out.join("fcd.svg")).unwrap();
    for s in [
        "functional connectivity dynamics of x2 - x1",
        "window centre t (ms)",
        "Pearson r between windows",
        "500 ms windows every 250 ms (9 windows",
    ] {
        assert!(svg.contains(s), "fcd.svg lacks {s}");
    }
    let after = &svg[svg.find("upper triangle: variance ").unwrap() + 25..];
    let number = |s: &str| -> f64 {
        let end = s
            .find(|c: char| !(c.is_ascii_digit() || c == '.' || c == '-' || c == 'e'))
            .unwrap_or(s.len());
        s[..end].parse().unwrap()
    };
    let var = number(after);
    let mean = number(&after[after.find("mean ").unwrap() + 5..]);
    let script = format!(
        r#"
import h5py, numpy as np
f = h5py.File("{p}", "r")
names = [v.decode() if isinstance(v, bytes) else str(v) for v in f["variable"][:]]
x = f["data"][:, names.index("x2 - x1"), :, 0]
t = f["time"][:]
w, s = int(round(500 / (t[1] - t[0]))), int(round(250 / (t[1] - t[0])))
iu = np.triu_indices(x.shape[1], 1)
fc = np.array([np.corrcoef(x[k:k + w].T)[iu] for k in range(0, len(x) - w + 1, s)])
fcd = np.corrcoef(fc)
u = fcd[np.triu_indices(len(fc), 1)]
print(len(fc), u.var(), u.mean())
"#,
        p = out.join("tavg.h5").display()
    );
    let Some(got) = python_xarray(&script) else {
        return;
    };
    let v: Vec<f64> = got.split_whitespace().map(|x| x.parse().unwrap()).collect();
    assert_eq!(v[0], 9.0, "{got}");
    // the figure writes 3 or 4 significant digits
    assert!(
        (var - v[1]).abs() <= 2e-3 * v[1].abs(),
        "variance {var} vs numpy {}",
        v[1]
    );
    assert!(
        (mean - v[2]).abs() <= 2e-3 * v[2].abs(),
        "mean {mean} vs numpy {}",
        v[2]
    );
    assert!(
        v[1] > 1e-3,
        "the seizure makes FC change: variance {}",
        v[1]
    );
}

/// A little-endian float64 C-order `.npy` file of tests/data/tvb_cases.
fn tvb_case_npy(name: &str) -> (Vec<usize>, Vec<f64>) {
    let b = std::fs::read(root().join("tests/data/tvb_cases").join(name)).unwrap();
    assert_eq!(&b[..8], b"\x93NUMPY\x01\x00", "{name}: npy version 1");
    let hlen = u16::from_le_bytes([b[8], b[9]]) as usize;
    let header = std::str::from_utf8(&b[10..10 + hlen]).unwrap();
    assert!(header.contains("'descr': '<f8'") && header.contains("'fortran_order': False"));
    let sh = &header[header.find("'shape': (").unwrap() + 10..];
    let shape = sh[..sh.find(')').unwrap()]
        .split(',')
        .filter(|s| !s.trim().is_empty())
        .map(|s| s.trim().parse().unwrap())
        .collect();
    let data = b[10 + hlen..]
        .chunks_exact(8)
        .map(|c| f64::from_le_bytes(c.try_into().unwrap()))
        .collect();
    (shape, data)
}

/// A `stimulus` actor wired into `mean_field.stimulus` gives tvb-library
/// 2.10's run with the same StimuliRegion (make_refs_stimulus.py's
/// g2d_stimulus_heun: a pulse train on four regions, one weight negative)
/// to the last bit, through the graph's windows and recorder.
#[test]
fn a_stimulus_actor_drives_the_mean_field_as_tvb_stimuli_region() {
    let dir = tempfile::tempdir().unwrap();
    let g = write(
        dir.path(),
        "g.toml",
        r#"
[simulation]
dt_ms = 0.1
duration_ms = 200.0
sync_ms = 7.0
[actors.pulse]
kind = "stimulus"
equation = "PulseTrain"
equation_params = { T = 50.0, tau = 10.0, amp = 0.5, onset = 20.0 }
weights = { rM1 = 1.0, lM1 = 0.5, rV1 = 0.8, lPFCDL = -0.6 }
[actors.brain]
kind = "mean_field"
model = "Generic2dOscillator"
coupling = "Linear"
coupling_params = { a = 0.0042, b = 0.0 }
integrator = "HeunDeterministic"
initial_conditions = "golden"
variables = ["V", "W"]
[actors.raw]
kind = "hdf5_recorder"
[[edges]]
from = "pulse.stimulus"
to = "brain.stimulus"
[[edges]]
from = "brain.state"
to = "raw.input"
"#,
    );
    let out = dir.path().join("out");
    run(&g, &out, &[]).unwrap();
    let (shape, ours, _) = read_h5(&out.join("raw.h5"));
    assert_eq!(shape, vec![2000, 2, 76, 1]);
    // tvb-library keeps the state after every 10th step: ours after step 10j + 10
    let (tshape, tvb) = tvb_case_npy("g2d_stimulus_heun_data.npy");
    assert_eq!(tshape, vec![200, 2, 76]);
    let per = 2 * 76;
    for j in 0..200 {
        let a = &ours[(10 * j + 9) * per..(10 * j + 10) * per];
        let b = &tvb[j * per..(j + 1) * per];
        assert_eq!(a, b, "sample {j} (t = {} ms) differs", (j + 1) as f64);
    }
    // without the stimulus edge the run is another one
    let edge = "[[edges]]\nfrom = \"pulse.stimulus\"\nto = \"brain.stimulus\"\n";
    let text = std::fs::read_to_string(&g).unwrap();
    assert!(text.contains(edge));
    let g2 = write(dir.path(), "plain.toml", &text.replacen(edge, "", 1));
    let plain = dir.path().join("plain");
    run(&g2, &plain, &[]).unwrap();
    let (_, unstim, _) = read_h5(&plain.join("raw.h5"));
    assert_ne!(unstim, ours);
}

/// Every actor starts before any steps a window (issue 16's "nothing
/// recorded is lost" made deterministic): a recorder that cannot start
/// (its file's path is a directory) stops the run before the other
/// recorder has written a window, whatever the threads' timing — with
/// actors starting while others already ran, a full disk was taken by
/// whichever recorder came first (tests/recording.rs's full-disk test
/// failed under load).
#[test]
fn a_start_that_fails_stops_the_run_before_any_window() {
    for _ in 0..3 {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir(dir.path().join("tavg_rec.h5")).unwrap();
        let err = run(&root().join("graphs/tvb_rww76.toml"), dir.path(), &[])
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("tavg_rec") && err.contains("could not start"),
            "{err}"
        );
        let f = open_h5(&dir.path().join("raw.h5"));
        let rows = f.dataset("data").map(|d| d.shape()[0]).unwrap_or(0);
        assert_eq!(rows, 0, "raw.h5 holds {rows} samples: a window ran");
        assert!(!f.attr("complete").unwrap().read_scalar::<bool>().unwrap());
    }
}

/// `noise_ntau` on a mean field gives tvb-library 2.10's coloured noise
/// (make_refs_noise.py's g2d_heun_coloured: `Additive(nsig=1e-3, ntau=1.0,
/// noise_seed=42)`, HeunStochastic) to the last bit, through the graph's
/// windows (7 ms: the process η carries over between them) and recorder.
#[test]
fn noise_ntau_gives_tvb_coloured_noise_through_a_graph() {
    let dir = tempfile::tempdir().unwrap();
    let g = write(
        dir.path(),
        "g.toml",
        r#"
[simulation]
dt_ms = 0.1
duration_ms = 100.0
sync_ms = 7.0
[actors.brain]
kind = "mean_field"
model = "Generic2dOscillator"
coupling = "Linear"
coupling_params = { a = 0.0042, b = 0.0 }
integrator = "HeunStochastic"
nsig = [1e-3]
noise_seed = 42
noise_ntau = 1.0
initial_conditions = "golden"
variables = ["V", "W"]
[actors.raw]
kind = "hdf5_recorder"
[[edges]]
from = "brain.state"
to = "raw.input"
"#,
    );
    let out = dir.path().join("out");
    run(&g, &out, &[]).unwrap();
    let (shape, ours, _) = read_h5(&out.join("raw.h5"));
    assert_eq!(shape, vec![1000, 2, 76, 1]);
    // tvb-library keeps the state after every 10th step: ours after step 10j + 10
    let (tshape, tvb) = tvb_case_npy("g2d_heun_coloured_data.npy");
    assert_eq!(tshape, vec![100, 2, 76]);
    let per = 2 * 76;
    for j in 0..100 {
        let a = &ours[(10 * j + 9) * per..(10 * j + 10) * per];
        let b = &tvb[j * per..(j + 1) * per];
        assert_eq!(a, b, "sample {j} (t = {} ms) differs", (j + 1) as f64);
    }
    // white noise (noise_ntau = 0) is another run
    let white = dir.path().join("white");
    run(&g, &white, &["actors.brain.noise_ntau=0.0"]).unwrap();
    let (_, w, _) = read_h5(&white.join("raw.h5"));
    assert_ne!(w, ours);
}

/// The sensor-space monitors of make_refs_sensors.py's run (the stimulus
/// brain above, 60 ms): tvb-library 2.10's EEG (average reference), EEG
/// with its default observation noise and electrode Fp1 as reference, MEG
/// and iEEG, each at its default period (int(0.9765625/0.1) = 9 steps) and
/// tvb-library's phase (`offset_steps = horizon − 1`). Equal to within
/// 1e-13 of each series' largest value: tvb-library's `gain.dot(state)`
/// is a BLAS product whose summation order is the library's (measured:
/// ≤ 4e-16). The files name their `sensor` dimension and carry the
/// sensors' positions as a coordinate. An iEEG without projection file
/// (`projection = "analytic"`, tvb-library's `iEEG.analytic` on the
/// connectome's centres and orientations) records the same bits as the
/// builtin lead field made from it.
#[test]
fn eeg_meg_and_ieeg_monitors_are_tvb_library_s() {
    let dir = tempfile::tempdir().unwrap();
    let mut text = String::from(
        r#"
[simulation]
dt_ms = 0.1
duration_ms = 60.0
sync_ms = 7.0
[actors.pulse]
kind = "stimulus"
equation = "PulseTrain"
equation_params = { T = 50.0, tau = 10.0, amp = 0.5, onset = 20.0 }
weights = { rM1 = 1.0, lM1 = 0.5, rV1 = 0.8, lPFCDL = -0.6 }
[actors.brain]
kind = "mean_field"
model = "Generic2dOscillator"
coupling = "Linear"
coupling_params = { a = 0.0042, b = 0.0 }
integrator = "HeunDeterministic"
initial_conditions = "golden"
variables = ["V", "W"]
[actors.eeg]
kind = "eeg"
reference = "average"
offset_steps = 512
[actors.eeg_noisy]
kind = "eeg"
reference = "Fp1"
observation_noise = true
offset_steps = 512
[actors.meg]
kind = "meg"
offset_steps = 512
[actors.ieeg]
kind = "ieeg"
offset_steps = 512
[actors.ieeg_analytic]
kind = "ieeg"
projection = "analytic"
connectivity = "builtin:tvb76"
offset_steps = 512
[[edges]]
from = "pulse.stimulus"
to = "brain.stimulus"
"#,
    );
    // the sensor traces as a figure
    text.push_str("[actors.traces]\nkind = \"png_plot\"\nlayout = \"traces\"\n[[edges]]\nfrom = \"eeg.output\"\nto = \"traces.series\"\n");
    for m in ["eeg", "eeg_noisy", "meg", "ieeg", "ieeg_analytic"] {
        text.push_str(&format!(
            "[actors.{m}_rec]\nkind = \"hdf5_recorder\"\n[[edges]]\nfrom = \"brain.state\"\nto = \"{m}.input\"\n[[edges]]\nfrom = \"{m}.output\"\nto = \"{m}_rec.input\"\n"
        ));
    }
    let g = write(dir.path(), "g.toml", &text);
    let out = dir.path().join("out");
    run(&g, &out, &[]).unwrap();
    let mut eeg = vec![];
    for (m, sensors, stride) in [
        ("eeg", 65, 1),
        ("eeg_noisy", 65, 1),
        ("meg", 276, 3),
        ("ieeg", 103, 1),
    ] {
        let (shape, ours, times) = read_h5(&out.join(format!("{m}_rec.h5")));
        assert_eq!(shape, vec![67, 2, sensors, 1], "{m}");
        let (tshape, tvb) = tvb_case_npy(&format!("sensors_{m}_data.npy"));
        let (_, ttimes) = tvb_case_npy(&format!("sensors_{m}_time.npy"));
        assert_eq!(times, ttimes, "{m}: time stamps");
        let kept = sensors.div_ceil(stride);
        assert_eq!(tshape, vec![67, 2, kept]);
        let big = tvb.iter().fold(0.0f64, |a, b| a.max(b.abs()));
        assert!(big > 0.0);
        let mut worst = 0.0f64;
        for (k, want) in tvb.iter().enumerate() {
            let (row, s) = (k / kept, k % kept);
            let got = ours[row * sensors + s * stride];
            worst = worst.max((got - want).abs() / big);
        }
        assert!(worst <= 1e-13, "{m}: relative difference {worst:e}");
        if m.starts_with("eeg") {
            eeg.push(ours);
        }
    }
    // without a projection file (projection = "analytic" on the connectome's
    // centres and average orientations) the iEEG is tvb-library's analytic
    // one, from which builtin:seeg39_tvb76 was made: the same bits
    let (_, ieeg, _) = read_h5(&out.join("ieeg_rec.h5"));
    let (_, analytic, _) = read_h5(&out.join("ieeg_analytic_rec.h5"));
    assert!(
        ieeg == analytic,
        "analytic iEEG differs from builtin:seeg39_tvb76's"
    );
    assert!(std::fs::metadata(out.join("traces.png")).unwrap().len() > 10_000);
    // the noise and the reference matter: the two EEGs are other signals
    let d = eeg[0]
        .iter()
        .zip(&eeg[1])
        .fold(0.0f64, |a, (x, y)| a.max((x - y).abs()));
    assert!(d > 0.1, "noisy and clean EEG differ by only {d}");
    let p = out.join("meg_rec.h5").display().to_string();
    if let Some(o) = python_xarray(&format!(
        r#"
import xarray as xr
ds = xr.open_dataset({p:?}, engine="h5netcdf")
d = ds["data"]
assert d.dims == ("time", "variable", "sensor", "mode"), d.dims
assert list(ds["sensor"].values[2:4]) == ["MLzA", "MLyA"], ds["sensor"].values[:4]
pos = ds["sensor_position"]
assert pos.dims == ("sensor", "xyz") and pos.attrs["units"] == "mm"
assert abs(float(pos.sel(sensor="MLzA", xyz="x")) - 54.505607) < 1e-9
assert ds["sensor"].attrs["modality"] == "MEG"
print("ok")
"#
    )) {
        assert!(o.contains("ok"), "{o}");
    }
}

/// tvb-data's own files, as a tvb-library user gives them, reduce to the
/// builtin lead fields bit for bit: the 16384-vertex projections (.npy)
/// summed with regionMapping_16k_76.txt, as tvb-library's `numpy.add.at`
/// sums them; the 62-electrode .mat (level 5, compressed) reads as scipy
/// reads it. tvb-data comes from target/pyenv (scripts/pyenv.sh).
#[test]
fn tvb_data_projections_reduce_to_the_builtin_lead_fields() {
    use brainstream_models::leadfield::{read_any_matrix, LeadField, MAX_GAIN_VALUES};
    let Some(dir) = python_xarray("import tvb_data, os; print(os.path.dirname(tvb_data.__file__))")
    else {
        return;
    };
    let td = std::path::PathBuf::from(dir.trim());
    let rm = td.join("regionMapping/regionMapping_16k_76.txt");
    let rm = rm.to_str().unwrap();
    for (file, builtin, sensors) in [
        (
            "projectionMatrix/projection_eeg_65_surface_16k.npy",
            "builtin:eeg65_tvb76",
            65,
        ),
        (
            "projectionMatrix/projection_meg_276_surface_16k.npy",
            "builtin:meg276_tvb76",
            276,
        ),
    ] {
        let p = td.join(file);
        let full = LeadField::load(p.to_str().unwrap(), Some(rm), &td, sensors, 76).unwrap();
        let ship = LeadField::load(builtin, None, &td, sensors, 76).unwrap();
        assert!(full.gain == ship.gain, "{file} reduced is not {builtin}");
    }
    let m = read_any_matrix(
        &td.join("projectionMatrix/projection_eeg_62_surface_16k.mat"),
        "projection",
        MAX_GAIN_VALUES,
    )
    .unwrap();
    assert_eq!((m.rows, m.cols), (62, 16384));
    // scipy.io.loadmat(...)["ProjectionMatrix"][0, 0], [61, 16383], [17, 4242]
    assert_eq!(m.data[0], -0.0013798520843294891);
    assert_eq!(m.data[61 * 16384 + 16383], -0.0005647004037157919);
    assert_eq!(m.data[17 * 16384 + 4242], 0.02630015983951538);
    // its sensors: eeg_unitvector_62.txt.bz2 gives 62 labels for 62 rows
    let s = brainstream_models::sensors::Sensors::load(
        "sensors/eeg_unitvector_62.txt.bz2",
        &td,
        brainstream_models::sensors::Modality::Eeg,
    )
    .unwrap();
    assert_eq!(s.len(), 62);
}

/// tvb-library 2.10's GlobalAverage and SpatialAverage (make_refs_averages.py:
/// the stimulus brain, 60 ms, period 1 ms; one mask of five interleaved
/// groups, one of the hemispheres): `global_average` gives its numbers to
/// the last bit (numpy's pairwise mean), `spatial_average` within 1e-14 of
/// the largest value (the mask's weights 1/n rounded once, multiplied and
/// summed in region order; tvb-library's `numpy.dot` sums with BLAS's ddot,
/// whose order is the kernel's), both stamped `step·dt` on tvb-library's
/// clock.
#[test]
fn spatial_and_global_averages_are_tvb_library_s() {
    let dir = tempfile::tempdir().unwrap();
    let mask5: Vec<String> = (0..76).map(|i| ((i * 7) % 5).to_string()).collect();
    let labels = brainstream_models::Connectivity::tvb76().labels;
    let hemi: Vec<&str> = labels
        .iter()
        .map(|l| if l.starts_with('r') { "0" } else { "1" })
        .collect();
    let mut text = format!(
        r#"
[simulation]
dt_ms = 0.1
duration_ms = 60.0
sync_ms = 7.0
[actors.pulse]
kind = "stimulus"
equation = "PulseTrain"
equation_params = {{ T = 50.0, tau = 10.0, amp = 0.5, onset = 20.0 }}
weights = {{ rM1 = 1.0, lM1 = 0.5, rV1 = 0.8, lPFCDL = -0.6 }}
[actors.brain]
kind = "mean_field"
model = "Generic2dOscillator"
coupling = "Linear"
coupling_params = {{ a = 0.0042, b = 0.0 }}
integrator = "HeunDeterministic"
initial_conditions = "golden"
variables = ["V", "W"]
[actors.global]
kind = "global_average"
period_ms = 1.0
offset_steps = 512
[actors.mask5]
kind = "spatial_average"
spatial_mask = [{}]
period_ms = 1.0
offset_steps = 512
[actors.hemispheres]
kind = "spatial_average"
spatial_mask = [{}]
group_names = ["right", "left"]
period_ms = 1.0
offset_steps = 512
[[edges]]
from = "pulse.stimulus"
to = "brain.stimulus"
"#,
        mask5.join(", "),
        hemi.join(", ")
    );
    for m in ["global", "mask5", "hemispheres"] {
        text.push_str(&format!(
            "[actors.{m}_rec]\nkind = \"hdf5_recorder\"\n[[edges]]\nfrom = \"brain.state\"\nto = \"{m}.input\"\n[[edges]]\nfrom = \"{m}.output\"\nto = \"{m}_rec.input\"\n"
        ));
    }
    let g = write(dir.path(), "g.toml", &text);
    let out = dir.path().join("out");
    run(&g, &out, &[]).unwrap();
    for (m, groups) in [("global", 1), ("mask5", 5), ("hemispheres", 2)] {
        let (shape, ours, times) = read_h5(&out.join(format!("{m}_rec.h5")));
        assert_eq!(shape, vec![60, 2, groups, 1], "{m}");
        let (tshape, tvb) = tvb_case_npy(&format!("averages_{m}_data.npy"));
        let (_, ttimes) = tvb_case_npy(&format!("averages_{m}_time.npy"));
        assert_eq!(tshape, vec![60, 2, groups]);
        assert_eq!(times, ttimes, "{m}: time stamps");
        if m == "global" {
            assert_eq!(ours, tvb, "{m}: not tvb-library's to the bit");
        } else {
            // numpy.dot(spatial_mean, state) on a 3-D state sums each row
            // with BLAS's ddot, in the BLAS kernel's order: last bits differ
            let big = tvb.iter().fold(0.0f64, |a, b| a.max(b.abs()));
            let worst = ours
                .iter()
                .zip(&tvb)
                .fold(0.0f64, |a, (x, y)| a.max((x - y).abs() / big));
            assert!(worst <= 1e-14, "{m}: relative difference {worst:e}");
        }
    }
    let f = open_h5(&out.join("hemispheres_rec.h5"));
    let nodes: Vec<String> = f
        .dataset("region")
        .unwrap()
        .read_raw::<hdf5::types::VarLenUnicode>()
        .unwrap()
        .iter()
        .map(|s| s.to_string())
        .collect();
    assert_eq!(nodes, ["right", "left"]);
}

/// `/parameters/model` holds each region's own value of a parameter set
/// per region (it held the parameter's one default for every region): the
/// Epileptor graph's x0, −1.6 in the epileptogenic zone, −1.8 in the
/// propagation zone, −2.4 elsewhere.
#[test]
fn per_region_parameters_are_recorded_per_region() {
    let dir = tempfile::tempdir().unwrap();
    run(
        &root().join("graphs/epileptor76.toml"),
        dir.path(),
        &["simulation.duration_ms=5"],
    )
    .unwrap();
    let f = open_h5(&dir.path().join("tavg.h5"));
    let g = f.group("parameters").unwrap();
    let names: Vec<String> = g
        .dataset("parameter")
        .unwrap()
        .read_raw::<hdf5::types::VarLenUnicode>()
        .unwrap()
        .iter()
        .map(|s| s.to_string())
        .collect();
    let labels = brainstream_models::Connectivity::tvb76().labels;
    let m = g.dataset("model").unwrap().read_raw::<f64>().unwrap();
    let k = names.iter().position(|n| n == "x0").unwrap();
    let x0 = &m[k * 76..(k + 1) * 76];
    for (l, v) in labels.iter().zip(x0) {
        let want = match l.as_str() {
            "lPHC" | "lHC" | "lAMYG" => -1.6,
            "lTCI" | "lTCV" => -1.8,
            _ => -2.4,
        };
        assert_eq!(*v, want, "x0 of {l}");
    }
}
