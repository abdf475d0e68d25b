"""Ctrl-C (SIGINT) during a run or a sweep: a clean stop through the run's
cancel path, a KeyboardInterrupt raised, what was recorded kept."""

from __future__ import annotations

import time

import numpy as np
import pytest

import brainstream as bs
from conftest import GRAPHS, SigintAfter


def slow_graph(seconds_per_window: float = 0.02) -> bs.Graph:
    """RWW 76 for 20 s in windows of 10 ms, one Python probe sleeping in each
    window: about 2000 × 20 ms = 40 s unless stopped."""

    def slow(window, inputs):
        time.sleep(seconds_per_window)

    g = bs.Graph(GRAPHS / "tvb_rww76.toml", set={"simulation.duration_ms": 20000, "simulation.sync_ms": 10.0})
    g.add_actor("slow", bs.PyActor(slow, inputs=["x"]))
    g.connect("brain.state", "slow.x")
    return g


def test_ctrl_c_stops_a_run_cleanly_and_keeps_the_recordings(tmp_path, h5py):
    t0 = time.monotonic()
    with SigintAfter(1.0), pytest.raises(KeyboardInterrupt) as ei:
        slow_graph().run(out=tmp_path, progress=False)
    took = time.monotonic() - t0
    e = ei.value
    assert isinstance(e, bs.Interrupted), type(e)
    assert took < 10.0, took
    assert "stopped by KeyboardInterrupt in window" in str(e)
    res = e.results
    raw = res["raw"]
    assert not res.complete
    n = raw.shape[0]
    assert 0 < n < 200000
    # whole windows, from the first step, nothing missing
    assert n % 100 == 0 and raw["step"].values[0] == 1 and np.all(np.diff(raw["step"].values) == 1)
    # complete up to where every recorder is (the raw one may be a window
    # ahead of the 1 ms average)
    c = res.complete_ms
    assert 0 < c <= n * 0.1 + 1e-9 and n * 0.1 - c <= 10.0 + 1e-9, (c, n)
    # the file holds the same windows, marked incomplete
    with h5py.File(tmp_path / "raw.h5") as f:
        assert not bool(f.attrs["complete"])
        data = f["data"][()]
    assert np.array_equal(data, raw.values[: data.shape[0]])
    assert data.shape[0] == n
    assert e.complete_ms == pytest.approx(c)


def test_ctrl_c_in_memory_says_how_far_the_results_go():
    with SigintAfter(0.5), pytest.raises(bs.Interrupted) as ei:
        slow_graph().run(progress=False)
    e = ei.value
    # complete up to where every recorder is: the raw recorder may hold a
    # window more than the 1 ms average when the stop came between them
    c = e.results.complete_ms
    n = e.results["raw"].shape[0]
    assert 0 < c <= n * 0.1 + 1e-9 and n * 0.1 - c <= 10.0 + 1e-9, (c, n)
    assert f"the results in memory are complete up to t = {c:g} ms" in str(e).replace(".0 ms", " ms")
    assert e.complete_ms == pytest.approx(c)


def test_ctrl_c_stops_a_sweep_and_returns_the_finished_rows():
    sweep = {
        "graph": str(GRAPHS / "tvb_rww76.toml"),
        "duration_ms": 4000.0,
        "transient_ms": 1000.0,
        "axes": [{"param": "coupling_params.a", "linspace": [0.0, 0.01, 40]}],
        "analysis": {"signal": "S", "period_ms": 1.0, "fcd": False},
    }
    with SigintAfter(1.5), pytest.raises(bs.Interrupted) as ei:
        bs.sweep(sweep, threads=1, backend="cpu", progress=False)
    e = ei.value
    assert e.total == 40 and e.done is not None and e.done < 40
    tab = e.results
    assert len(tab) == e.done
    assert list(tab.columns[:2]) == ["coupling_params.a", "diverged"]
    assert "stopped by KeyboardInterrupt" in str(e)


def test_the_process_still_takes_ctrl_c_after_a_stopped_run():
    with SigintAfter(0.5), pytest.raises(bs.Interrupted):
        slow_graph().run(progress=False)
    # a later KeyboardInterrupt is Python's as usual
    with pytest.raises(KeyboardInterrupt):
        with SigintAfter(0.1):
            time.sleep(5)
