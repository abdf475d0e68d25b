#!/usr/bin/env python3
"""Reference runs of tvb-library 2.10 with a stimulus (a `StimuliRegion`:
a temporal equation times a weight per region), as make_refs.py makes the
others (same connectome, speed, golden initial state, Raw monitor keeping
one sample per ms, same files; see its docstring). Each case's JSON holds
the stimulus (`stimulus`: equation, parameters, weights by label).

It also writes stimulus_equations.json: every temporal equation tvb-library
accepts for a StimuliRegion, with its defaults and with other parameters,
sampled (every 7th step of the grid) through tvb-library's own path (`StimuliRegion.configure_time` on
the time grid `numpy.r_[0:length:dt]`, numexpr evaluating the equation
string), for the equation-level tests of models/src/stimulus.rs.

Run (a few seconds):  python make_refs_stimulus.py   (needs tvb-library, tvb-data)
"""
import json
import os
import sys
import warnings

os.environ.setdefault("NPY_DISABLE_CPU_FEATURES", "X86_V4 X86_V3")
import numpy as np  # noqa: E402

warnings.filterwarnings("ignore")
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from make_refs import CONN, OUT, golden_ic  # noqa: E402
from tvb.datatypes import equations, patterns  # noqa: E402
from tvb.simulator.lab import (connectivity, coupling, integrators, models,  # noqa: E402
                               monitors, noise, simulator)

# a pulse train into a few regions (weights by label; 0 elsewhere)
WEIGHTS = {"rM1": 1.0, "lM1": 0.5, "rV1": 0.8, "lPFCDL": -0.6}
PULSE = dict(T=50.0, tau=10.0, amp=0.5, onset=20.0)


def stim_case(name, model, cpl, integ, length, eq, weights, meta, decimate=10):
    conn = connectivity.Connectivity.from_file(CONN)
    conn.speed = np.array([3.0])
    conn.configure()
    labels = [str(x) for x in conn.region_labels]
    w = np.zeros(conn.number_of_regions)
    for k, v in weights.items():
        w[labels.index(k)] = v
    stim = patterns.StimuliRegion(temporal=eq, connectivity=conn, weight=w)
    model.variables_of_interest = tuple(model.state_variables)
    mon = monitors.Raw()
    sim = simulator.Simulator(model=model, connectivity=conn, coupling=cpl,
                              integrator=integ, monitors=(mon,), stimulus=stim)
    conn.set_idelays(integ.dt)
    horizon = int(conn.idelays.max()) + 1
    ic = golden_ic(model, conn.number_of_regions)
    sim.initial_conditions = np.repeat(ic[None, :, :, None], horizon, axis=0)
    sim.configure()
    # the stimulus' time grid must cover every step (tvb-library indexes it by step)
    assert len(np.r_[0.0:length:integ.dt]) == int(np.ceil(length / integ.dt))
    (t, y), = sim.run(simulation_length=length)
    y = y[..., 0]
    idx = np.arange(decimate - 1, y.shape[0], decimate)
    t, y = t[idx], y[idx]
    np.save(os.path.join(OUT, name + "_data.npy"), y.astype(np.float64))
    np.save(os.path.join(OUT, name + "_time.npy"), np.asarray(t, dtype=np.float64))
    m = dict(model=type(model).__name__, coupling=type(cpl).__name__,
             integrator=type(integ).__name__, monitor="Raw", horizon=horizon,
             length_ms=length, shape=list(y.shape), dt_ms=integ.dt, decimate=decimate,
             stimulus=dict(equation=type(eq).__name__, params=dict(eq.parameters),
                           weights=weights, stvar=[int(v) for v in model.stvar]))
    m.update(meta)
    json.dump(m, open(os.path.join(OUT, name + ".json"), "w"), indent=1)
    print(name, y.shape, "t0", t[0], "t1", t[-1], "stvar", list(model.stvar))


# every TemporalApplicableEquation of tvb-library 2.10, with other parameters
# than the defaults (times in ms)
EQUATIONS = [
    ("PulseTrain", dict(T=17.3, tau=4.1, amp=-2.5, onset=3.3)),
    ("Sinusoid", dict(amp=1.7, frequency=0.037)),
    ("Cosine", dict(amp=-0.9, frequency=0.0123)),
    ("Gaussian", dict(amp=2.0, sigma=13.7, midpoint=61.0, offset=0.25)),
    ("DoubleGaussian", dict(amp_1=0.8, sigma_1=7.0, midpoint_1=40.0,
                            amp_2=0.3, sigma_2=21.0, midpoint_2=95.0)),
    ("Sigmoid", dict(amp=1.5, radius=80.0, sigma=9.0, offset=-0.1)),
    ("GeneralizedSigmoid", dict(low=-1.0, high=2.0, midpoint=120.0, sigma=15.0)),
    ("Linear", dict(a=-0.013, b=0.7)),
    ("Alpha", dict(onset=12.5, alpha=0.05, beta=0.3)),
    ("DiscreteEquation", dict()),
]


def equation_samples(length=300.0, dt=0.1):
    time = np.r_[0.0:length:dt]
    # every 7th step of the grid (7 is prime to 10: varied fractions of a ms)
    steps = np.arange(0, len(time), 7)
    out = dict(length_ms=length, dt_ms=dt, steps=[int(k) for k in steps], equations=[])
    for name, params in EQUATIONS:
        for p in (None, params):
            eq = getattr(equations, name)()
            if p is not None:
                eq.parameters = {k: float(v) for k, v in p.items()}
            if name == "DiscreteEquation" and p is not None:
                continue
            s = patterns.StimuliRegion(temporal=eq, weight=np.array([1.0]))
            s.configure_space()
            s.configure_time(time.reshape((1, -1)))
            values = s.temporal_pattern[0]
            # the weight-1 stimulus of the one region, as the simulator reads it
            assert np.array_equal(s(5).ravel(), values[5:6])
            out["equations"].append(dict(name=name, params=dict(eq.parameters),
                                         values=[float(v) for v in values[steps]]))
    json.dump(out, open(os.path.join(OUT, "stimulus_equations.json"), "w"))
    print("stimulus_equations.json", len(out["equations"]), "series of", len(time))


def main():
    dt = 0.1
    lin = dict(coupling_params=dict(a=0.0042, b=0.0))
    pulse = lambda: equations.PulseTrain(parameters=dict(PULSE))  # noqa: E731
    stim_case("g2d_stimulus_heun", models.Generic2dOscillator(), coupling.Linear(a=np.array([0.0042])),
              integrators.HeunDeterministic(dt=dt), 200.0, pulse(), WEIGHTS, lin)
    stim_case("g2d_stimulus_heun_stochastic", models.Generic2dOscillator(),
              coupling.Linear(a=np.array([0.0042])),
              integrators.HeunStochastic(dt=dt, noise=noise.Additive(nsig=np.array([1e-3]), noise_seed=42)),
              200.0, pulse(), WEIGHTS, dict(lin, nsig=[1e-3], noise_seed=42))
    stim_case("g2d_stimulus_euler", models.Generic2dOscillator(), coupling.Linear(a=np.array([0.0042])),
              integrators.EulerDeterministic(dt=dt), 200.0, pulse(), WEIGHTS, lin)
    # stvar differs from cvar: the stimulus enters V only (r and V coupled)
    stim_case("mpr_stimulus_rk4", models.MontbrioPazoRoxin(), coupling.Linear(a=np.array([0.0042])),
              integrators.RungeKutta4thOrderDeterministic(dt=dt), 100.0,
              equations.Sinusoid(parameters=dict(amp=2.0, frequency=0.05)), WEIGHTS, lin)
    equation_samples()


if __name__ == "__main__":
    sys.exit(main())
