"""Graphs from files and dicts, validation, runs with results in memory equal
to the command line's HDF5 files, overrides, errors."""

from __future__ import annotations

import subprocess

import numpy as np
import pytest

import brainstream as bs
from conftest import GRAPHS, cli, run_cli


def test_in_memory_results_equal_the_command_lines_hdf5_bit_for_bit(tmp_path, h5py):
    sets = {"simulation.duration_ms": 300}
    res = bs.Graph(GRAPHS / "tvb_rww76.toml", set=sets).run(progress=False)
    run_cli("run", "graphs/tvb_rww76.toml", "--set", "simulation.duration_ms=300", "--out", str(tmp_path), "-q")
    for name, file in (("raw", "raw.h5"), ("tavg_rec", "tavg_rec.h5")):
        da = res[name]
        with h5py.File(tmp_path / file) as f:
            data, time = f["data"][()], f["time"][()]
            nodes = [n.decode() if isinstance(n, bytes) else n for n in f["data"].attrs["nodes"]]
        assert da.shape == data.shape
        assert np.array_equal(da.values, data), name
        assert np.array_equal(da["time"].values, time), name
        assert list(da["region"].values) == nodes
    assert res.complete and res.summary["simulated_ms"] == 300.0


def test_a_run_with_out_writes_the_files_and_keeps_the_same_values(tmp_path, h5py):
    res = bs.Graph(GRAPHS / "tvb_rww76.toml", set={"simulation.duration_ms": 100}).run(out=tmp_path, progress=False)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["raw.h5", "tavg_rec.h5"]
    assert set(res.files) == {str(tmp_path / "raw.h5"), str(tmp_path / "tavg_rec.h5")}
    with h5py.File(tmp_path / "raw.h5") as f:
        assert np.array_equal(f["data"][()], res["raw"].values)
        assert bool(f.attrs["complete"])


def test_a_run_in_memory_writes_nothing(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    g = bs.Graph(GRAPHS / "cosim_wc76_spiking.toml", set={"simulation.duration_ms": 20})
    res = g.run(progress=False)
    assert list(tmp_path.iterdir()) == []
    # png_plot actors are left out, recorders delivered
    assert sorted(res) == ["rates", "raw", "spikes"]


def test_the_data_array_has_tvbs_layout_coordinates_and_provenance():
    res = bs.Graph(GRAPHS / "tvb_rww76.toml", set={"simulation.duration_ms": 50}).run(progress=False)
    raw = res["raw"]
    assert raw.dims == ("time", "variable", "region", "mode")
    assert raw.shape == (500, 1, 76, 1)
    assert list(raw["variable"].values) == ["S"]
    assert raw["region"].values[0] == "rA1" and len(raw["region"]) == 76
    assert raw["time"].attrs["units"] == "ms"
    assert np.allclose(raw["time"].values[:3], [0.1, 0.2, 0.3])
    assert list(raw["step"].values[:3]) == [1, 2, 3]
    assert raw.attrs["dt"] == 0.1 and raw.attrs["seed"] == 42
    assert raw.attrs["version"] == f"brainstream {bs.__version__}"
    assert "ReducedWongWang" in raw.attrs["graph"] and "# --set simulation.duration_ms=50" in raw.attrs["graph"]
    assert list(raw["unit"].values) == ["1"] and raw.attrs["units"] == "1"
    assert raw.attrs["complete"] is True
    # selection by label works as in xarray
    assert raw.sel(region="rA1", variable="S").shape == (500, 1)


def test_the_results_memory_is_the_recorders_own_not_a_copy():
    raw = bs.Graph(GRAPHS / "tvb_rww76.toml", set={"simulation.duration_ms": 20}).run(progress=False)["raw"]
    owners = []
    a = raw.values
    while a is not None:
        owners.append(type(a).__name__)
        a = getattr(a, "base", None)
    # the vector the Rust recorder filled, handed to numpy as it is
    assert "PySliceContainer" in owners, owners
    assert not raw.values.flags["OWNDATA"]


def test_a_graph_from_a_dict_equals_the_same_graph_from_its_file():
    d = {
        "simulation": {"dt_ms": 0.1, "duration_ms": 50.0, "seed": 42, "sync_ms": 10.0},
        "actors": {
            "brain": {
                "kind": "mean_field",
                "model": "ReducedWongWang",
                "connectivity": "builtin:tvb76",
                "coupling": "Linear",
                "coupling_params": {"a": 0.0042, "b": 0.0},
                "integrator": "HeunDeterministic",
                "initial_conditions": "golden",
                "variables": ["S"],
            },
            "raw": {"kind": "hdf5_recorder"},
        },
        "edges": [{"from": "brain.state", "to": "raw.input"}],
    }
    a = bs.Graph(d).run(progress=False)["raw"]
    b = bs.Graph(GRAPHS / "tvb_rww76.toml", set={"simulation.duration_ms": 50}).run(progress=False)["raw"]
    assert np.array_equal(a.values, b.values)
    # numpy values in a dict are taken as numbers
    d["actors"]["brain"]["coupling_params"]["a"] = np.float64(0.0042)
    d["simulation"]["duration_ms"] = np.int64(50)
    assert np.array_equal(bs.Graph(d).run(progress=False)["raw"].values, b.values)


def test_overrides_change_the_run():
    base = bs.Graph(GRAPHS / "tvb_rww76.toml", set={"simulation.duration_ms": 50}).run(progress=False)["raw"]
    g = bs.Graph(GRAPHS / "tvb_rww76.toml", set={"simulation.duration_ms": 50, "actors.brain.model_params.J_N": 0.3})
    other = g.run(progress=False)["raw"]
    assert other.shape == base.shape and not np.array_equal(other.values, base.values)
    assert "actors.brain.model_params.J_N=0.3" in other.attrs["graph"]
    # set() adds overrides
    g2 = bs.Graph(GRAPHS / "tvb_rww76.toml").set({"simulation.duration_ms": 20})
    assert g2.run(progress=False)["raw"].shape[0] == 200


def test_validate_reports_the_run():
    v = bs.Graph(GRAPHS / "tvb_rww76.toml").validate()
    assert v["total_steps"] == 10000 and v["windows"] == 10 and v["window_ms"] == 100.0
    assert v["kinds"]["brain"] == "mean_field"
    # in memory: what the recorders keep is memory, not disk
    assert v["disk_bytes"] == 0 and v["memory_bytes"] > 10000 * 76 * 8


def test_errors_are_located_like_the_command_lines(tmp_path):
    bad = tmp_path / "bad.toml"
    text = (GRAPHS / "tvb_rww76.toml").read_text().replace('model = "ReducedWongWang"', 'modle = "ReducedWongWang"')
    bad.write_text(text)
    with pytest.raises(bs.GraphError) as ei:
        bs.Graph(bad).validate()
    e = ei.value
    line = next(k for k, l in enumerate(text.splitlines(), 1) if l.startswith("modle"))
    assert [(i.path, i.line) for i in e.issues] == [("actors.brain.modle", line)], e.issues
    assert str(e).startswith(f"{bad}:{line}:{e.issues[0].column}: actors.brain.modle: unknown parameter")
    assert "did you mean `model`" in e.issues[0].hint
    # word for word what the command line says
    r = subprocess.run([str(cli()), "validate", str(bad)], capture_output=True, text=True)
    assert r.returncode != 0 and r.stderr.strip() == f"error: {e}"
    # an override, a dict, a missing file
    with pytest.raises(bs.GraphError, match="simulation.dt_ms"):
        bs.Graph(GRAPHS / "tvb_rww76.toml", set={"simulation.dt_ms": -1.0}).validate()
    with pytest.raises(bs.GraphError) as ei:
        bs.Graph({"simulation": {"dt_ms": 0.1, "duration_ms": 1.0}, "actors": {"x": {"kind": "nope"}}}).validate()
    assert ei.value.issues[0].path == "actors.x.kind"
    with pytest.raises(bs.GraphError, match="cannot read graph file"):
        bs.Graph(tmp_path / "missing.toml")
    # the same is raised by run, before anything runs
    with pytest.raises(bs.GraphError):
        bs.Graph(bad).run(progress=False)


def test_actors_and_edges_added_from_python():
    g = bs.Graph(GRAPHS / "tvb_rww76.toml", set={"simulation.duration_ms": 50})
    g.add_actor("sub", {"kind": "subsample", "period_ms": 1.0})
    g.add_actor("sub_rec", {"kind": "hdf5_recorder"})
    g.connect("brain.state", "sub.input").connect("sub.output", "sub_rec.input")
    res = g.run(progress=False)
    assert res["sub_rec"].shape == (50, 1, 76, 1)
    assert "[actors.sub]" in res["sub_rec"].attrs["graph"]
    with pytest.raises(bs.GraphError, match="already in the graph"):
        bs.Graph(GRAPHS / "tvb_rww76.toml").add_actor("raw", {"kind": "hdf5_recorder"}).validate()
    with pytest.raises(bs.GraphError, match="nope"):
        bs.Graph(GRAPHS / "tvb_rww76.toml").connect("brain.state", "nope.input").validate()


def test_spikes_come_as_a_data_frame_with_regions_and_populations():
    res = bs.Graph(GRAPHS / "cosim_wc76_spiking.toml", set={"simulation.duration_ms": 50}).run(progress=False)
    spk = res["spikes"]
    assert list(spk.columns) == ["time_ms", "sender", "region", "population", "step"]
    assert len(spk) > 100
    assert list(spk["region"].cat.categories) == ["rM1", "lM1"]
    assert list(spk["population"].cat.categories) == ["E", "I"]
    # 1000 neurons per region, E (800) before I (200)
    expect_region = np.where(spk["sender"] // 1000 == 0, "rM1", "lM1")
    assert (spk["region"].astype(str).values == expect_region).all()
    expect_pop = np.where(spk["sender"] % 1000 < 800, "E", "I")
    assert (spk["population"].astype(str).values == expect_pop).all()
    assert (np.diff(spk["time_ms"].values) >= 0).all()
    assert res["rates"].dims == ("time", "variable", "region", "mode")
    assert list(res["rates"]["variable"].values) == ["E", "I"]


def test_kinds_models_couplings_integrators_as_data():
    kinds = {k["name"]: k for k in bs.kinds()}
    assert "mean_field" in kinds and "hdf5_recorder" in kinds
    mf = kinds["mean_field"]
    assert any(p["name"] == "model" and p["default"] == "ReducedWongWang" for p in mf["params"])
    assert [o["name"] for o in mf["outputs"]] == ["state", "coupling"]
    models = {m["name"]: m for m in bs.models()}
    assert models["ReducedWongWang"]["state_variables"] == ["S"]
    assert any(p["name"] == "J_N" for p in models["ReducedWongWang"]["params"])
    assert "Linear" in {c["name"] for c in bs.couplings()}
    assert {"name": "HeunStochastic", "stochastic": True} in bs.integrators()
    assert "ReducedWongWang" in bs.model_source("ReducedWongWang")

