#!/usr/bin/env python3
"""Reference runs of tvb-library 2.10's AfferentCoupling and
AfferentCouplingTemporalAverage monitors (the coupling term each region
receives), for `mean_field.coupling_regions = "all"` (tests/recording.rs):
Generic2dOscillator, Linear coupling a = 0.0042, HeunDeterministic, dt 0.1
ms, 60 ms, the 76-region connectome and make_refs.py's constant initial
history; the temporal average with period 1 ms.

  afferent_raw_{data,time}.npy   (600, 1, 76): c_V at every step
  afferent_tavg_{data,time}.npy  (60, 1, 76)

Run:  python make_refs_afferent.py   (needs tvb-library, tvb-data; seconds)
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
from tvb.simulator.lab import (connectivity, coupling, integrators, models,  # noqa: E402
                               monitors, simulator)


def main():
    dt = 0.1
    conn = connectivity.Connectivity.from_file(CONN)
    conn.speed = np.array([3.0])
    conn.configure()
    model = models.Generic2dOscillator()
    integ = integrators.HeunDeterministic(dt=dt)
    mons = (monitors.AfferentCoupling(), monitors.AfferentCouplingTemporalAverage(period=1.0))
    sim = simulator.Simulator(model=model, connectivity=conn,
                              coupling=coupling.Linear(a=np.array([0.0042])),
                              integrator=integ, monitors=mons)
    conn.set_idelays(dt)
    horizon = int(conn.idelays.max()) + 1
    ic = golden_ic(model, conn.number_of_regions)
    sim.initial_conditions = np.repeat(ic[None, :, :, None], horizon, axis=0)
    sim.configure()
    (t0, y0), (t1, y1) = sim.run(simulation_length=60.0)
    for name, t, y in [("afferent_raw", t0, y0), ("afferent_tavg", t1, y1)]:
        y = y[..., 0]
        np.save(os.path.join(OUT, name + "_data.npy"), y.astype(np.float64))
        np.save(os.path.join(OUT, name + "_time.npy"), np.asarray(t, dtype=np.float64))
        print(name, y.shape, "t0", t[0], "t1", t[-1])
    json.dump(dict(model="Generic2dOscillator", coupling="Linear", coupling_params=dict(a=0.0042, b=0.0),
                   integrator="HeunDeterministic", dt_ms=dt, length_ms=60.0, horizon=horizon,
                   monitors=["AfferentCoupling", "AfferentCouplingTemporalAverage(period=1.0)"]),
              open(os.path.join(OUT, "afferent.json"), "w"), indent=1)


if __name__ == "__main__":
    sys.exit(main())
