"""Python actors: numpy windows in and out with stamps, the same numbers as a
built-in actor, determinism, and errors that stop the run with their
traceback."""

from __future__ import annotations

import sys
import traceback

import numpy as np
import pytest

import brainstream as bs
from conftest import GRAPHS

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    from conftest import import_or_skip

    tomllib = import_or_skip("tomli", "Python 3.10 reads TOML with tomli (pip install tomli)")


def cosim_without(actor: str, duration_ms: float = 50.0, **sim) -> dict:
    """The WC co-simulation graph as a dict, without `actor` and its edges,
    and without plots."""
    d = tomllib.loads((GRAPHS / "cosim_wc76_spiking.toml").read_text())
    d["simulation"]["duration_ms"] = duration_ms
    d["simulation"].update(sim)
    drop = {actor} | {k for k, a in d["actors"].items() if a["kind"] == "png_plot"}
    for k in drop:
        del d["actors"][k]
    d["edges"] = [e for e in d["edges"] if e["from"].split(".")[0] not in drop and e["to"].split(".")[0] not in drop]
    return d


def to_wc(window: bs.Window, inputs):
    """The graph's `gain` actor (100 Hz = activity 1) in Python."""
    r = inputs["input"]
    return {"output": bs.Series(r.data * 0.01 + 0.0, r.stamps, r.times, r.variables, r.nodes, r.unit)}


def with_python_transformer(fn=to_wc, **sim) -> bs.Graph:
    g = bs.Graph(cosim_without("to_wc", **sim))
    g.add_actor("to_wc", bs.PyActor(fn, inputs=["input"], outputs=["output"]))
    g.connect("filt.output", "to_wc.input")
    g.connect("to_wc.output", "brain.proxy", delay_ms=1.0)
    return g


def test_a_python_transformer_gives_the_built_in_actors_numbers_bit_for_bit():
    builtin = bs.Graph(cosim_without("raster")).run(progress=False)
    python = with_python_transformer().run(progress=False)
    for name in ("raw", "rates"):
        assert np.array_equal(builtin[name].values, python[name].values), name
    assert builtin["spikes"].equals(python["spikes"])
    assert "python:to_wc" in python["raw"].attrs["graph"]


def test_the_same_bits_in_both_schemes_and_every_run():
    a = with_python_transformer(scheme="parallel").run(progress=False)["raw"].values
    b = with_python_transformer(scheme="serial").run(progress=False)["raw"].values
    c = with_python_transformer(scheme="parallel").run(progress=False)["raw"].values
    assert np.array_equal(a, b) and np.array_equal(a, c)


def test_windows_and_inputs_carry_stamps_and_labels():
    seen = []

    def probe(window, inputs):
        s = inputs["x"]
        seen.append((window, s))
        return None

    g = bs.Graph(GRAPHS / "tvb_rww76.toml", set={"simulation.duration_ms": 300})
    g.add_actor("probe", bs.PyActor(probe, inputs={"x": "series"}))
    g.connect("brain.state", "probe.x")
    g.run(progress=False)
    assert [w.index for w, _ in seen] == [0, 1, 2]
    w, s = seen[1]
    assert (w.start_step, w.n_steps, w.dt_ms) == (1000, 1000, 0.1)
    assert w.start_ms == 100.0 and w.end_ms == 200.0
    # a raw state after step k is stamped k: the window's steps produce k = 1001 .. 2000
    assert s.stamps[0] == 1001 and s.stamps[-1] == 2000 and s.stamps.dtype == np.uint64
    assert s.data.shape == (1000, 1, 76) and s.variables == ["S"] and s.nodes[0] == "rA1"
    assert np.allclose(s.times, s.stamps * 0.1)


def test_a_python_device_emits_seeded_spikes_deterministically():
    def start(ctx):
        assert ctx.name == "dev" and ctx.window_steps == 100

    def poisson(window, inputs):
        rng = np.random.default_rng([window.seed, window.index])
        k = rng.binomial(1, 0.02, size=(window.n_steps, 10))
        steps, senders = np.nonzero(k)
        return {"spikes": bs.Spikes(senders, window.start_step + steps)}

    def run():
        g = bs.Graph({"simulation": {"dt_ms": 0.1, "duration_ms": 50.0, "seed": 5, "sync_ms": 10.0}, "actors": {"rec": {"kind": "hdf5_recorder"}}})
        g.add_actor("dev", bs.PyActor(poisson, outputs={"spikes": "spikes"}, start=start))
        g.connect("dev.spikes", "rec.spikes")
        return g.run(progress=False)["rec"]

    a, b = run(), run()
    assert len(a) > 50 and a.equals(b)
    assert a["time_ms"].max() < 50.0 and a["sender"].max() < 10
    assert np.allclose(a["time_ms"], a["step"] * 0.1)


def test_an_exception_stops_the_run_with_its_traceback_and_keeps_what_was_recorded():
    def failing(window, inputs):
        if window.index == 3:
            return {"output": 1 // 0}
        return to_wc(window, inputs)

    with pytest.raises(bs.RunError) as ei:
        with_python_transformer(failing, duration_ms=20.0).run(progress=False)
    e = ei.value
    assert e.actor == "to_wc" and e.window == 3
    assert "ZeroDivisionError" in str(e)
    assert isinstance(e.__cause__, ZeroDivisionError)
    tb = "".join(traceback.format_exception(e.__cause__))
    assert "in failing" in tb
    # what came before the failure is there
    raw = e.results["raw"]
    assert not e.results.complete and 0 < raw.shape[0] < 200
    assert raw["step"].values[0] == 1 and np.all(np.diff(raw["step"].values) == 1)


@pytest.mark.parametrize(
    "bad, message",
    [
        (lambda w, i: [1, 2], "return a dict"),
        (lambda w, i: {"nope": None}, "does not declare"),
        (lambda w, i: {"output": bs.Series(np.zeros((3, 2, 2)), [1, 2])}, "2 stamps for 3 samples"),
        (lambda w, i: {"output": bs.Series(np.zeros((2, 1, 2)), [2, 1])}, "stamps must increase"),
        (lambda w, i: {"output": bs.Series(np.zeros((2, 1, 2)), [1.5, 2])}, "whole steps"),
        (lambda w, i: {"output": bs.Spikes([1], [1])}, "expected a brainstream.Series"),
    ],
)
def test_bad_outputs_are_named(bad, message):
    with pytest.raises(bs.RunError) as ei:
        with_python_transformer(bad, duration_ms=5.0).run(progress=False)
    assert message in str(ei.value.__cause__), str(ei.value.__cause__)


def test_declared_ports_are_checked_before_the_run():
    with pytest.raises(ValueError, match="type 'rates'"):
        bs.PyActor(to_wc, inputs={"input": "rates"})
    g = bs.Graph(GRAPHS / "tvb_rww76.toml")
    g.add_actor("p", bs.PyActor(to_wc, inputs={"input": "spikes"}))
    g.connect("brain.state", "p.input")
    with pytest.raises(bs.GraphError, match="spikes"):
        g.validate()


def test_series_carry_one_unit_per_variable_in_and_out():
    """AdEx's state reaches a Python actor with its units (kHz, kHz, pA);
    the actor's output gives one unit per variable, which the recorder
    keeps; a count of units other than of variables stops the run naming
    the actor and port."""
    seen = {}

    def split(window, inputs):
        s = inputs["x"]
        seen["units"], seen["unit"] = list(s.units), s.unit
        seen.setdefault("E", s.data[:, 0, :].copy())
        # E in Hz, W_e as it is: two variables, two units
        out = np.stack([s.data[:, 0, :] * 1000.0, s.data[:, 2, :]], axis=1)
        return {"y": bs.Series(out, s.stamps, s.times, ["E", "W_e"], s.nodes, units=["Hz", "pA"])}

    g = bs.Graph(GRAPHS / "adex68.toml", set={"simulation.duration_ms": 20})
    g.add_actor("split", bs.PyActor(split, inputs=["x"], outputs=["y"]))
    g.add_actor("split_rec", {"kind": "hdf5_recorder"})
    g.connect("brain.state", "split.x")
    g.connect("split.y", "split_rec.input")
    res = g.run(progress=False)
    assert seen["units"] == ["kHz", "kHz", "pA"] and seen["unit"] == ""
    rec = res["split_rec"]
    assert list(rec["unit"].values) == ["Hz", "pA"]
    assert "units" not in rec.attrs  # they differ: no shared unit
    first = seen["E"]
    assert np.array_equal(rec.values[: len(first), 0, :, 0], first * 1000.0)
    assert list(res["rec"]["unit"].values) == ["kHz", "kHz", "pA"]

    def wrong(window, inputs):
        s = inputs["x"]
        return {"y": bs.Series(s.data, s.stamps, s.times, s.variables, s.nodes, units=["Hz"])}

    g = bs.Graph(GRAPHS / "adex68.toml", set={"simulation.duration_ms": 5})
    g.add_actor("split", bs.PyActor(wrong, inputs=["x"], outputs=["y"]))
    g.connect("brain.state", "split.x")
    with pytest.raises(bs.RunError) as ei:
        g.run(progress=False)
    msg = str(ei.value)
    assert ei.value.actor == "split" and "1 units for data of 3 variables (E, I, W_e)" in msg, msg
