#!/usr/bin/env python3
"""Sweep throughput of the TVB-AdEx model (ZerlautAdaptationSecondOrder, the
settings of graphs/adex68.toml: 68 regions, HeunStochastic, dt 0.1 ms), in
combination·region·steps per second, measured in one benchmark run:

  - brainstream sweep, CPU backend, all cores (whole process: start, graph,
    every combination, analyses, HDF5 table);
  - brainstream sweep, Vulkan backend on whatever device the machine has
    (lavapipe here: for correctness, not speed);
  - tvb-library 2.10, one combination, its simulation loop alone (after a
    numba warm-up run), the same model, connectome and integrator.

  cargo build --release
  python3 benches/compare_adex_sweep.py --python /tmp/brainstream-peers/venv/bin/python
"""
import argparse
import os
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

# tvb-library's TVB-AdEx with graphs/adex68.toml's settings and a warm-up
# run: `sim(ms)` times its loop (benches/peer_table.py uses it too); a
# template for str.format(conn=..., length=...)
TVB_ADEX_SETUP = r'''
import time, warnings, numpy as np
warnings.filterwarnings("ignore")
from tvb.simulator.lab import connectivity, coupling, integrators, models, monitors, noise, simulator
conn = connectivity.Connectivity.from_file("{conn}")
conn.speed = np.array([4.0])
conn.configure()
m = models.ZerlautAdaptationSecondOrder(**{{k: np.array([v]) for k, v in dict(E_L_e=-63.0, E_L_i=-65.0, T=40.0,
    a_e=0.0, b_e=60.0, tau_w_e=500.0, external_input_ex_ex=0.315e-3, external_input_in_ex=0.315e-3,
    weight_noise=1e-4, Q_e=1.5, Q_i=5.0).items()}})
def sim(length):
    s = simulator.Simulator(model=m, connectivity=conn, coupling=coupling.Linear(a=np.array([0.3])),
        integrator=integrators.HeunStochastic(dt=0.1, noise=noise.Additive(nsig=np.array([0.0]*7 + [1.0]), noise_seed=10)),
        monitors=(monitors.TemporalAverage(period=1.0),))
    s.configure()
    t = time.perf_counter()
    s.run(simulation_length=length)
    return time.perf_counter() - t
sim(10.0)
'''

TVB = TVB_ADEX_SETUP + r'''print(sim({length}))
'''

SWEEP = '''
graph = "{graph}"
duration_ms = {length}
transient_ms = 100.0
[[axes]]
param = "coupling_params.a"
linspace = [0.0, 0.6, {na}]
[[axes]]
param = "model_params.b_e"
linspace = [0.0, 120.0, {nb}]
[analysis]
rates = ["E", "I"]
fcd_window_ms = 200.0
fcd_step_ms = 100.0
'''


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--python", default=sys.executable, help="a python with tvb-library")
    ap.add_argument("--length", type=float, default=1000.0, help="simulated ms per combination")
    ap.add_argument("--tvb-length", type=float, default=300.0)
    ap.add_argument("--combos", type=int, nargs=2, default=[4, 2], help="grid a × b_e")
    a = ap.parse_args()
    bs = os.path.join(ROOT, "target", "release", "brainstream")
    n_comb = a.combos[0] * a.combos[1]
    steps = round(a.length / 0.1)
    rows = []
    with tempfile.TemporaryDirectory() as d:
        sweep = os.path.join(d, "s.toml")
        with open(sweep, "w") as f:
            f.write(SWEEP.format(graph=os.path.join(ROOT, "graphs", "adex68.toml"), length=a.length,
                                 na=a.combos[0], nb=a.combos[1]))
        for backend in ["cpu", "vulkan"]:
            out = os.path.join(d, backend)
            t = time.perf_counter()
            r = subprocess.run([bs, "sweep", sweep, "--out", out, "--backend", backend, "-q"],
                               capture_output=True, text=True)
            wall = time.perf_counter() - t
            if r.returncode != 0:
                print(f"{backend}: not run: {r.stderr.strip().splitlines()[0]}")
                continue
            line = r.stdout.splitlines()[0]
            rows.append((f"brainstream sweep --backend {backend}", n_comb, wall, line))
        script = TVB.format(conn=os.path.join(ROOT, "data", "connectivity", "connectivity_68.zip"),
                            length=a.tvb_length)
        try:
            r = subprocess.run([a.python, "-c", script], capture_output=True, text=True, check=True)
            t_tvb = float(r.stdout.strip().splitlines()[-1])
            rows.append(("tvb-library 2.10, 1 combination, loop only", 1, t_tvb * a.length / a.tvb_length,
                         f"{a.tvb_length} ms in {t_tvb:.2f} s, scaled to {a.length} ms"))
        except Exception as e:  # noqa: BLE001
            print("tvb-library: not run:", e)
    print(f"TVB-AdEx, 68 regions, {steps} steps of 0.1 ms per combination, {os.cpu_count()} cores")
    base = None
    for name, n, wall, note in rows:
        thr = n * 68 * steps / wall
        if name.startswith("tvb"):
            base = thr
        print(f"{name:<48} {n:>4} comb  {wall:8.2f} s  {thr:12.4g} comb·region·steps/s   {note}")
    if base:
        for name, n, wall, _ in rows:
            if not name.startswith("tvb"):
                print(f"{name:<48} {n * 68 * steps / wall / base:8.1f}× tvb-library")


if __name__ == "__main__":
    main()
