"""Sweeps from Python: the command line's table, from files with overrides
and from dicts; errors located in the sweep file."""

from __future__ import annotations

import numpy as np
import pytest

import brainstream as bs
from conftest import GRAPHS, run_cli

SMALL = {
    "duration_ms": 1200.0,
    "transient_ms": 400.0,
    "axes.0.linspace": [0.0, 0.3, 2],
    "axes.1": {"param": "model_params.b_e", "values": [60.0]},
    "axes.2.values": [0.315e-3],
    "analysis.fcd_window_ms": 400.0,
    "analysis.fcd_step_ms": 200.0,
}


def test_a_sweep_gives_the_command_lines_table(tmp_path, h5py):
    tab = bs.sweep(GRAPHS / "adex68_sweep.toml", set=SMALL, backend="cpu", progress=False)
    assert len(tab) == 2 and tab.index.name == "combination"
    assert list(tab.columns[:4]) == [
        "coupling_params.a",
        "model_params.b_e",
        "model_params.external_input_ex_ex",
        "diverged",
    ]
    assert "E_mean" in tab.columns and "fcd_var" in tab.columns
    assert sorted(set(tab["coupling_params.a"])) == [0.0, 0.3]
    assert tab.attrs["summary"]["combinations"] == 2
    # the command line, on the same sweep file written out with the same values
    sweep = (GRAPHS / "adex68_sweep.toml").read_text()
    sweep = sweep.replace("duration_ms = 6000.0", "duration_ms = 1200.0").replace("transient_ms = 1000.0", "transient_ms = 400.0")
    sweep = sweep.replace("linspace = [0.0, 0.6, 7]", "linspace = [0.0, 0.3, 2]").replace("linspace = [0.0, 120.0, 7]", "values = [60.0]")
    sweep = sweep.replace("values = [0.315e-3, 0.5e-3]", "values = [0.315e-3]")
    sweep = sweep.replace("fcd_window_ms = 1000.0", "fcd_window_ms = 400.0").replace("fcd_step_ms = 250.0", "fcd_step_ms = 200.0")
    sweep = sweep.replace('graph = "adex68.toml"', f'graph = "{GRAPHS / "adex68.toml"}"')
    f = tmp_path / "small.toml"
    f.write_text(sweep)
    run_cli("sweep", str(f), "--out", str(tmp_path / "out"), "--backend", "cpu", "-q")
    with h5py.File(tmp_path / "out" / "sweep.h5") as h:
        table = h["table"][()]
        names = [n.decode() if isinstance(n, bytes) else n for n in h.attrs["column_names"]]
    assert names == list(tab.columns)
    assert np.array_equal(table, tab.values, equal_nan=True)


def test_a_sweep_from_a_dict_with_its_files_kept(tmp_path):
    sweep = {
        "graph": str(GRAPHS / "tvb_rww76.toml"),
        "duration_ms": 1200.0,
        "transient_ms": 200.0,
        "axes": [{"param": "coupling_params.a", "values": [0.001, 0.0042]}],
        "analysis": {"signal": "S", "fcd": False},
    }
    tab = bs.sweep(sweep, out=tmp_path, backend="cpu", progress=False)
    assert list(tab["coupling_params.a"]) == [0.001, 0.0042]
    assert (tab["diverged"] == 0).all()
    assert (tmp_path / "rows.jsonl").is_file() and (tmp_path / "sweep.h5").is_file()
    # run again in the same folder: found done, the same rows
    again = bs.sweep(sweep, out=tmp_path, backend="cpu", progress=False)
    assert again.attrs["summary"]["ran"] == 0
    assert again.equals(tab)


def test_sweep_errors_are_located():
    with pytest.raises(bs.SweepError) as ei:
        bs.sweep(GRAPHS / "adex68_sweep.toml", set={"axes.0.param": "model_params.nope"}, progress=False)
    e = ei.value
    assert e.key == "axes[0].param" and "nope" in str(e)
    assert str(e).startswith(f"{GRAPHS / 'adex68_sweep.toml'} (with set)")
    with pytest.raises(bs.SweepError, match="transient_ms"):
        bs.sweep(GRAPHS / "adex68_sweep.toml", set={"transient_ms": 1e9}, progress=False)
    with pytest.raises(ValueError, match="unknown backend"):
        bs.sweep(GRAPHS / "adex68_sweep.toml", backend="quantum")


def test_graph_overrides_reach_the_sweeps_graph():
    # `graph.KEY`: the sweep's graph, as `brainstream sweep --set graph.KEY=...`
    sweep = {
        "graph": str(GRAPHS / "tvb_rww76.toml"),
        "duration_ms": 600.0,
        "transient_ms": 100.0,
        "axes": [{"param": "coupling_params.a", "values": [0.0042]}],
        "analysis": {"signal": "S", "fcd": False},
    }
    base = bs.sweep(sweep, backend="cpu", progress=False)
    moved = bs.sweep(sweep, set={"graph.actors.brain.model_params.J_N": 0.3}, backend="cpu", progress=False)
    assert base["S_mean"].iloc[0] != moved["S_mean"].iloc[0]
    with pytest.raises(bs.BrainstreamError, match="J_NN"):
        bs.sweep(sweep, set={"graph.actors.brain.model_params.J_NN": 0.3}, backend="cpu", progress=False)
