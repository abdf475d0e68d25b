#!/usr/bin/env python3
"""Reference runs of tvb-library 2.10's GlobalAverage and SpatialAverage
monitors on make_refs_stimulus.py's g2d_stimulus_heun brain (as
make_refs_sensors.py: Generic2dOscillator on the 76-region connectome, a
pulse train into four regions, Heun, dt 0.1 ms), 60 ms, period 1 ms:
  * GlobalAverage: the mean over all regions;
  * SpatialAverage with spatial_mask (i·7) mod 5 (five groups of 15–16
    regions, interleaved);
  * SpatialAverage with the hemispheres by label (r… → 0, l… → 1).
Writes averages_<name>_data.npy (time, variable, group), _time.npy, .json.

Run:  python make_refs_averages.py   (needs tvb-library, tvb-data; a few seconds)
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
from make_refs_stimulus import PULSE, WEIGHTS  # noqa: E402
from tvb.datatypes import equations, patterns  # noqa: E402
from tvb.simulator.lab import (connectivity, coupling, integrators, models,  # noqa: E402
                               monitors, simulator)


def main():
    dt, length = 0.1, 60.0
    conn = connectivity.Connectivity.from_file(CONN)
    conn.speed = np.array([3.0])
    conn.configure()
    labels = [str(x) for x in conn.region_labels]
    w = np.zeros(conn.number_of_regions)
    for k, v in WEIGHTS.items():
        w[labels.index(k)] = v
    stim = patterns.StimuliRegion(temporal=equations.PulseTrain(parameters=dict(PULSE)),
                                  connectivity=conn, weight=w)
    model = models.Generic2dOscillator()
    model.variables_of_interest = ("V", "W")
    mask5 = np.array([(i * 7) % 5 for i in range(76)])
    hemi = np.array([0 if l.startswith("r") else 1 for l in labels])
    mons = [("global", monitors.GlobalAverage(period=1.0), None),
            ("mask5", monitors.SpatialAverage(period=1.0, spatial_mask=mask5), mask5),
            ("hemispheres", monitors.SpatialAverage(period=1.0, spatial_mask=hemi), hemi)]
    integ = integrators.HeunDeterministic(dt=dt)
    sim = simulator.Simulator(model=model, connectivity=conn, coupling=coupling.Linear(a=np.array([0.0042])),
                              integrator=integ, monitors=[m for _, m, _ in mons], stimulus=stim)
    conn.set_idelays(dt)
    horizon = int(conn.idelays.max()) + 1
    ic = golden_ic(model, conn.number_of_regions)
    sim.initial_conditions = np.repeat(ic[None, :, :, None], horizon, axis=0)
    sim.configure()
    out = sim.run(simulation_length=length)
    for (name, m, mask), (t, y) in zip(mons, out):
        y = y[..., 0]
        np.save(os.path.join(OUT, "averages_" + name + "_data.npy"), y.astype(np.float64))
        np.save(os.path.join(OUT, "averages_" + name + "_time.npy"), np.asarray(t, dtype=np.float64))
        meta = dict(monitor=type(m).__name__, period_ms=m.period, istep=int(m.istep), horizon=horizon,
                    length_ms=length, dt_ms=dt, shape=list(y.shape), brain="g2d_stimulus_heun",
                    spatial_mask=None if mask is None else [int(x) for x in mask])
        json.dump(meta, open(os.path.join(OUT, "averages_" + name + ".json"), "w"), indent=1)
        print(name, y.shape, "t0", t[0], "t1", t[-1])


if __name__ == "__main__":
    sys.exit(main())
