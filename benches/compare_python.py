#!/usr/bin/env python3
"""From Python, in one process: `brainstream` (the package, results in
memory) against tvb-library on the same run — ReducedWongWang on the
76-region connectome, Linear coupling a = 0.0042, HeunDeterministic dt 0.1
ms, 1 s simulated, Raw monitor (graphs/tvb_rww76.toml; benches/tvb_peer.py
builds the same simulator). Interleaved, median of --reps, after one warm-up
of each (tvb-library's numba JIT, brainstream's first connectome load).

  BRAINSTREAM_PYAPI_RELEASE=1 scripts/pyapi.sh --tvb       # the release wheel, with tvb-library
  target/pyapi/bin/python benches/compare_python.py --reps 5

Timed: brainstream `bs.Graph(path).run()` (validation, connectome, run, the
result as an xarray DataArray) and its run alone; tvb-library building the
simulator and `sim.run()`, and the run alone.
"""
import argparse
import os
import statistics
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "benches"))


def tvb_sim(conn_zip, tvb):
    import numpy as np
    connectivity, coupling, integrators, models, monitors, simulator = tvb
    conn = connectivity.Connectivity.from_file(conn_zip)
    conn.speed = np.array([3.0])
    conn.configure()
    sim = simulator.Simulator(model=models.ReducedWongWang(), connectivity=conn,
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


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--reps", type=int, default=5)
    a = ap.parse_args()
    import warnings
    warnings.filterwarnings("ignore")
    import brainstream as bs
    from tvb.simulator.lab import connectivity, coupling, integrators, models, monitors, simulator
    tvb = (connectivity, coupling, integrators, models, monitors, simulator)
    conn_zip = os.path.join(ROOT, "data", "connectivity", "connectivity_76.zip")
    graph = os.path.join(ROOT, "graphs", "tvb_rww76.toml")
    # warm-ups
    bs.Graph(graph, set={"simulation.duration_ms": 10}).run()
    tvb_sim(conn_zip, tvb).run(simulation_length=1.0)
    rows = {"bs_total": [], "bs_run": [], "tvb_total": [], "tvb_run": []}
    for _ in range(a.reps):
        t0 = time.perf_counter()
        g = bs.Graph(graph)
        t1 = time.perf_counter()
        res = g.run()
        raw = res["raw"]
        t2 = time.perf_counter()
        assert raw.shape == (10000, 1, 76, 1), raw.shape
        rows["bs_total"].append(t2 - t0)
        rows["bs_run"].append(t2 - t1)
        t0 = time.perf_counter()
        sim = tvb_sim(conn_zip, tvb)
        t1 = time.perf_counter()
        (t, y), = sim.run(simulation_length=1000.0)
        t2 = time.perf_counter()
        assert y.shape == (10000, 1, 76, 1), y.shape
        rows["tvb_total"].append(t2 - t0)
        rows["tvb_run"].append(t2 - t1)
    m = {k: statistics.median(v) for k, v in rows.items()}
    print(f"reps {a.reps}; medians (s); min..max in brackets")
    for k, v in rows.items():
        print(f"  {k:10} {m[k]:.4f} [{min(v):.4f}..{max(v):.4f}]")
    print("| from Python, RWW 76 regions, 1 s simulated | brainstream | tvb-library | tvb-library / brainstream |")
    print("|---|---|---|---|")
    print(f"| build + run, result in memory | {m['bs_total']*1e3:.0f} ms | {m['tvb_total']*1e3:.0f} ms | {m['tvb_total']/m['bs_total']:.1f}× |")
    print(f"| run alone | {m['bs_run']*1e3:.0f} ms | {m['tvb_run']*1e3:.0f} ms | {m['tvb_run']/m['bs_run']:.1f}× |")


if __name__ == "__main__":
    main()
