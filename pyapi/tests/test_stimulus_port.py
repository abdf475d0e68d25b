"""Any actor drives a mean field's ``stimulus`` port (docs/stimuli.md,
"Driving the port yourself"): a Python actor that computes tvb-library's
PulseTrain times the regions' weights gives the run of the built-in
``stimulus`` actor bit for bit, recorded state and EEG alike."""

from __future__ import annotations

import sys

import numpy as np

import brainstream as bs
from conftest import GRAPHS

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    from conftest import import_or_skip

    tomllib = import_or_skip("tomli", "Python 3.10 reads TOML with tomli (pip install tomli)")

# graphs/stimulus_pulse76.toml's pulse: ms, and its weights by region label
T, TAU, AMP, ONSET = 200.0, 20.0, 1.0, 100.0
WEIGHTS = {"rM1": 1.0, "lM1": 1.0, "rV1": 0.5}


def pulse_graph(with_builtin_pulse: bool) -> dict:
    """graphs/stimulus_pulse76.toml over 400 ms (two pulses), without its
    plots, and without its `stimulus` actor where a Python one takes its
    place."""
    d = tomllib.loads((GRAPHS / "stimulus_pulse76.toml").read_text())
    assert d["actors"]["pulse"]["equation_params"] == {"T": T, "tau": TAU, "amp": AMP, "onset": ONSET}
    assert d["actors"]["pulse"]["weights"] == WEIGHTS
    d["simulation"]["duration_ms"] = 400.0
    drop = {k for k, a in d["actors"].items() if a["kind"] == "png_plot"}
    if not with_builtin_pulse:
        drop.add("pulse")
    for k in drop:
        del d["actors"][k]
    d["edges"] = [e for e in d["edges"] if e["from"].split(".")[0] not in drop and e["to"].split(".")[0] not in drop]
    return d


def test_a_python_actor_drives_the_stimulus_port_as_the_stimulus_actor_does():
    builtin = bs.Graph(pulse_graph(True)).run(progress=False)
    labels = [str(r) for r in builtin["tavg_rec"]["region"].values]
    weights = np.zeros(len(labels))
    for label, w in WEIGHTS.items():
        weights[labels.index(label)] = w

    def pulse(window: bs.Window, inputs) -> dict:
        k = window.steps
        # tvb-library's time grid k·dt and its PulseTrain (numexpr's float %)
        t = k.astype(np.float64) * window.dt_ms
        a = t - ONSET
        m = a - np.floor(a / T) * T
        v = np.where((t > ONSET) & (m < TAU), AMP, 0.0)
        u = weights[None, :] * v[:, None]
        return {"stimulus": bs.Series(u[:, None, :], k, t, ["stimulus"], labels)}

    g = bs.Graph(pulse_graph(False))
    g.add_actor("pulse", bs.PyActor(pulse, outputs=["stimulus"]))
    g.connect("pulse.stimulus", "brain.stimulus")
    python = g.run(progress=False)

    assert sorted(python) == sorted(builtin) == ["eeg_rec", "tavg_rec"]
    for name in builtin:
        assert np.array_equal(builtin[name].values, python[name].values), name
    # the stimulus mattered: rM1's V departs from an unstimulated run's
    quiet = bs.Graph(pulse_graph(False)).run(progress=False)
    v = lambda res: res["tavg_rec"].sel(region="rM1", variable="V").values.ravel()  # noqa: E731
    assert np.max(np.abs(v(python) - v(quiet))) > 0.1
