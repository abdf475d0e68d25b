#!/usr/bin/env python3
"""tvb-library side of the engine benchmark: ReducedWongWang, Linear coupling
a = 0.0042, HeunDeterministic dt 0.1 ms, speed 3 mm/ms, Raw monitor, the
deterministic initial history of shared/peers/tvb_ref.py.

Prints one JSON line: the in-process run time (after a short JIT warm-up run)
and the build time. The whole-process time is taken by the caller.
"""
import argparse
import json
import time
import warnings

import numpy as np

warnings.filterwarnings("ignore")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--conn", required=True, help="TVB connectivity zip")
    ap.add_argument("--length", type=float, default=1000.0)
    ap.add_argument("--warmup", action="store_true")
    a = ap.parse_args()
    from tvb.simulator.lab import connectivity, coupling, integrators, models, monitors, simulator

    def build():
        conn = connectivity.Connectivity.from_file(a.conn)
        conn.speed = np.array([3.0])
        conn.configure()
        model = models.ReducedWongWang()
        sim = simulator.Simulator(model=model, connectivity=conn,
                                  coupling=coupling.Linear(a=np.array([0.0042])),
                                  integrator=integrators.HeunDeterministic(dt=0.1),
                                  monitors=(monitors.Raw(),))
        conn.set_idelays(0.1)
        h = int(conn.idelays.max()) + 1
        n = conn.number_of_regions
        frac = np.mod(np.arange(n) * 0.6180339887498949, 1.0)
        ic = (0.25 + 0.5 * frac)[None, :]
        sim.initial_conditions = np.repeat(ic[None, :, :, None], h, axis=0)
        sim.configure()
        return sim

    if a.warmup:
        build().run(simulation_length=1.0)
    t0 = time.perf_counter()
    sim = build()
    t1 = time.perf_counter()
    (t, y), = sim.run(simulation_length=a.length)
    t2 = time.perf_counter()
    print(json.dumps(dict(build_s=t1 - t0, run_s=t2 - t1, samples=int(y.shape[0]), regions=int(y.shape[2]))))


if __name__ == "__main__":
    main()
