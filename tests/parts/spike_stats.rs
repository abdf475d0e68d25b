//! `spike_stats` against Elephant (issue 21): the co-simulation of
//! graphs/cosim_wc76_spiking.toml records its spikes and the actor's
//! statistics; Elephant 1.2 (installed by scripts/pyenv.sh) computes them
//! again from the recorded spikes, and both must agree.

use crate::common::*;

/// Two analysis windows [100, 200) and [200, 300) ms after a 100 ms
/// transient, per population of rM1 and lM1: rate, CV of ISIs, Fano factor
/// and pairwise correlation equal Elephant's `mean_firing_rate`,
/// `cv(isi)`, `fanofactor` and `correlation_coefficient(BinnedSpikeTrain)`
/// within 1e-9 (relative; the sums run in another order), and the synchrony
/// χ its numpy definition on the same binned trains. The statistics are
/// recorded (HDF5, as users open them with xarray) and drawn (png_plot).
#[test]
fn spike_statistics_equal_elephants_on_the_same_trains() {
    let dir = tempfile::tempdir().unwrap();
    let base = std::fs::read_to_string(root().join("graphs/cosim_wc76_spiking.toml")).unwrap();
    let graph = format!(
        r#"{base}
[actors.stats]
kind = "spike_stats"
regions = ["rM1", "lM1"]
populations = {{ E = 800, I = 200 }}
t_start_ms = 100.0
period_ms = 100.0
bin_ms = 5.0
corr_neurons = 60

[actors.stats_h5]
kind = "hdf5_recorder"

[actors.stats_plot]
kind = "png_plot"
title = "population rates per analysis window"
variable = "rate"

[[edges]]
from = "net.spikes"
to = "stats.spikes"

[[edges]]
from = "stats.stats"
to = "stats_h5.input"

[[edges]]
from = "stats.stats"
to = "stats_plot.series"
"#
    );
    let g = write(dir.path(), "stats.toml", &graph);
    run(&g, dir.path(), &["simulation.duration_ms=300"]).unwrap();
    assert!(dir.path().join("stats_plot.png").is_file());
    let script = format!(
        r#"
import sys, warnings
import numpy as np, xarray as xr
try:
    import neo, quantities as pq, elephant
    from elephant.statistics import mean_firing_rate, isi, cv, fanofactor
    from elephant.conversion import BinnedSpikeTrain
    from elephant.spike_train_correlation import correlation_coefficient
except ImportError as e:
    sys.exit(f"Elephant is missing ({{e}}): run scripts/pyenv.sh")
warnings.simplefilter("ignore")
import logging; logging.disable(logging.WARNING)
sp = xr.open_dataset({spikes:?}, engine="h5netcdf", group="spikes")
times, senders = sp["times"].values, sp["senders"].values
st = xr.open_dataset({stats:?}, engine="h5netcdf")
d = st["data"]
assert d.dims == ("time", "variable", "region", "mode"), d.dims
assert list(st["variable"].values) == ["rate", "cv_isi", "fano", "corr", "sync"]
assert list(st["region"].values) == ["rM1.E", "rM1.I", "lM1.E", "lM1.I"]
assert list(st["unit"].values) == ["Hz", "1", "1", "1", "1"]
assert list(st["time"].values) == [200.0, 300.0], st["time"].values
firsts = list(sp["first_sender"].values)
sizes = list(sp["population_size"].values)
worst = 0.0
for w, (t0, t1) in enumerate([(100.0, 200.0), (200.0, 300.0)]):
    for g, (f, n) in enumerate(zip(firsts, sizes)):
        trains = []
        for i in range(n):
            t = times[(senders == f + i) & (times >= t0) & (times < t1)]
            trains.append(neo.SpikeTrain(np.sort(t), units="ms", t_start=t0, t_stop=t1))
        rate = np.mean([mean_firing_rate(s).rescale("Hz").magnitude for s in trains])
        cvs = [cv(isi(s.magnitude)) for s in trains if len(s) >= 2]
        cv_isi = np.mean(cvs) if cvs else np.nan
        fano = fanofactor(trains)
        b = BinnedSpikeTrain(trains[:60], bin_size=5.0 * pq.ms, t_start=t0 * pq.ms, t_stop=t1 * pq.ms)
        cc = correlation_coefficient(b)
        corr = np.nanmean(cc[np.triu_indices(60, 1)])
        x = b.to_array().astype(float)
        sync = np.sqrt(x.mean(axis=0).var() / x.var(axis=1).mean())
        want = [rate, cv_isi, fano, corr, sync]
        got = d.values[w, :, g, 0]
        for name, a, e in zip(["rate", "cv_isi", "fano", "corr", "sync"], got, want):
            assert np.isfinite(e), (w, g, name, e)
            rel = abs(a - e) / max(abs(e), 1e-300)
            worst = max(worst, rel)
            assert rel <= 1e-9, (w, g, name, a, e)
        assert rate > 1.0, (w, g, rate)
print("ok", elephant.__version__, worst)
print(np.round(d.values[:, :, :, 0], 3).tolist())
"#,
        spikes = dir.path().join("spikes.h5"),
        stats = dir.path().join("stats_h5.h5"),
    );
    if let Some(out) = python_xarray(&script) {
        assert!(out.starts_with("ok 1."), "{out}");
        eprintln!("spike_stats vs Elephant: {out}");
    }
}
