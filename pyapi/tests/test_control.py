"""A Python actor closes the loop (issue 25): its `control` output steers
the mean field's coupling between windows exactly as the built-in
`proportional_control` does — the same bits, the same changes reported —
and a control output that cannot work is refused before the run, by name."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest

import brainstream as bs

# tests/parts/closed_loop.rs's loop: RWW76, 300 ms in 10 ms windows, its
# coupling `a` set each window from the mean of S over every region
LAW = dict(setpoint=0.45, gain=-0.1, initial=0.0042, min=0.0, max=0.05)


def loop() -> bs.Graph:
    return bs.Graph(
        {
            "simulation": {"dt_ms": 0.1, "duration_ms": 300.0, "seed": 42, "sync_ms": 10.0},
            "actors": {
                "brain": {
                    "kind": "mean_field",
                    "model": "ReducedWongWang",
                    "connectivity": "builtin:tvb76",
                    "speed_mm_per_ms": 3.0,
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
    )


def proportional():
    """proportional_control's law in Python, summed in its order (sample by
    sample, region by region); sends when the value changes."""
    last = [None]

    def step(window: bs.Window, inputs):
        s = inputs["input"]
        v = list(s.variables).index("S")
        total = 0.0
        for k in range(s.data.shape[0]):
            for i in range(s.data.shape[2]):
                total += float(s.data[k, v, i])
        m = total / (s.data.shape[0] * s.data.shape[2])
        u = min(max(LAW["initial"] + LAW["gain"] * (m - LAW["setpoint"]), LAW["min"]), LAW["max"])
        if last[0] is not None and last[0] == u:
            return None
        last[0] = u
        return {"control": bs.Control({"coupling_params.a": u})}

    return step


def bits(res) -> np.ndarray:
    return np.ascontiguousarray(res["raw"].values, dtype=np.float64).view(np.uint64)


def test_a_python_controller_steers_as_the_built_in_one(tmp_path):
    builtin = loop()
    builtin.add_actor("ctrl", {"kind": "proportional_control", "key": "coupling_params.a", "variable": "S", **LAW})
    builtin.connect("brain.state", "ctrl.input")
    builtin.connect("ctrl.control", "brain.control", delay_ms=10.0)
    ref = builtin.run(progress=False)

    g = loop()
    g.add_actor(
        "ctrl",
        bs.PyActor(proportional(), inputs=["input"], outputs={"control": ("control", ["coupling_params.a"])}),
    )
    g.connect("brain.state", "ctrl.input")
    g.connect("ctrl.control", "brain.control", delay_ms=10.0)
    res = g.run(out=tmp_path, progress=False)

    events = res.summary["steering"]
    assert len(events) >= 10, events
    assert all(e["key"] == "brain.coupling_params.a" and e["source"] == "control:ctrl.control" for e in events)
    assert len({e["new"] for e in events}) >= 5, "the loop hardly moved"
    # the same changes before the same windows, the same bits
    assert events == ref.summary["steering"]
    assert np.array_equal(bits(res), bits(ref))
    # written as `brainstream run` writes them
    lines = (tmp_path / "steering.jsonl").read_text().splitlines()
    assert [json.loads(x) for x in lines] == events
    assert lines[0].startswith('{"window":2,"key":"brain.coupling_params.a","old":0.0042,"new":')

    # not steered: another run
    open_loop = loop().run(progress=False)
    assert not np.array_equal(bits(open_loop), bits(ref))


def test_a_controller_without_declared_keys_is_checked_at_its_first_window():
    def bad(window, inputs):
        return {"control": bs.Control({"speed_mm_per_ms": 5.0})}

    g = loop()
    g.add_actor("ctrl", bs.PyActor(bad, inputs=["input"], outputs={"control": "control"}))
    g.connect("brain.state", "ctrl.input")
    g.connect("ctrl.control", "brain.control", delay_ms=10.0)
    with pytest.raises(bs.RunError) as e:
        g.run(progress=False)
    assert "`speed_mm_per_ms` of `brain` (mean_field) cannot change during a run: the delays are whole steps of the history, fixed when the run starts; these can: coupling_params.a, coupling_params.b, model_params.{" in str(e.value)

    def inf(window, inputs):
        return {"control": bs.Control({"coupling_params.a": math.inf})}

    g = loop()
    g.add_actor("ctrl", bs.PyActor(inf, inputs=["input"], outputs={"control": "control"}))
    g.connect("brain.state", "ctrl.input")
    g.connect("ctrl.control", "brain.control", delay_ms=10.0)
    with pytest.raises(bs.RunError) as e:
        g.run(progress=False)
    assert "`coupling_params.a` = inf (stamp 200) is not a finite number" in str(e.value)


def test_control_outputs_that_cannot_work_are_refused_before_the_run():
    def never(window, inputs):
        raise AssertionError("the run should not start")

    # a key the target cannot change, declared
    g = loop()
    g.add_actor("ctrl", bs.PyActor(never, outputs={"u": ("control", ["coupling_params.a", "speed_mm_per_ms"])}))
    g.connect("ctrl.u", "brain.control", delay_ms=10.0)
    with pytest.raises(bs.GraphError) as e:
        g.run(progress=False)
    assert (
        "`ctrl.u` sends `speed_mm_per_ms`, which `brain` (mean_field) cannot change during a run: the delays are whole steps of the history, fixed when the run starts; these can: coupling_params.a, coupling_params.b, model_params.{"
        in str(e.value)
    )
    # into an actor that cannot be steered
    g = loop()
    g.add_actor("ctrl", bs.PyActor(never, outputs={"u": "control"}))
    g.connect("ctrl.u", "raw.control", delay_ms=10.0)
    with pytest.raises(bs.GraphError) as e:
        g.run(progress=False)
    assert "`raw` (hdf5_recorder) cannot be steered: its kind has no `control` input" in str(e.value)
    # a series into a control input, changes into a series input
    g = loop()
    g.add_actor("ctrl", bs.PyActor(never, outputs={"u": "control"}))
    g.connect("ctrl.u", "brain.stimulus", delay_ms=10.0)
    with pytest.raises(bs.GraphError) as e:
        g.run(progress=False)
    assert "type mismatch: `ctrl.u` sends control but `brain.stimulus` takes series" in str(e.value)
    # a Python actor has nothing to steer
    with pytest.raises(ValueError, match="`control` is an output type"):
        bs.PyActor(never, inputs={"c": "control"})
    # a key it did not declare
    g = loop()
    g.add_actor(
        "ctrl",
        bs.PyActor(lambda w, i: {"u": {"coupling_params.b": 0.1}}, outputs={"u": ("control", ["coupling_params.a"])}),
    )
    g.connect("ctrl.u", "brain.control", delay_ms=10.0)
    with pytest.raises(bs.RunError) as e:
        g.run(progress=False)
    assert "sends coupling_params.b, which it does not declare (coupling_params.a)" in str(e.value.__cause__)
