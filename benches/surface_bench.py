#!/usr/bin/env python3
"""Issue 20's cortical-surface row: tvb-library 2.10 against brainstream's
`surface` kind on the CPU and on Vulkan, the run of graphs/surface_g2d.toml
(tvb-data's 16k cortex, Generic2dOscillator a = 2, Gaussian local
connectivity σ 3 mm cut off at 10 mm with strength 0.05, the 76-region
connectome with Linear coupling, HeunDeterministic dt 0.1 ms), every vertex's
V and W sampled every 1 ms on both sides (tvb-library's SubSample(period=1),
brainstream's subsample + HDF5 recorder with vertex_stride = 8: the HDF5
recorder cannot name 16384 nodes in one attribute; the stepping is the same).

  cargo build --release --bin brainstream
  /work/notes/venv/bin/python benches/surface_bench.py [--ms 200] [--reps 3]

The tvb-library side runs in this process (tvb-library, tvb-data and
tvb-gdist importable): the local connectivity is computed once (tvb-gdist,
timed apart), then each repetition times `Simulator.configure()` and
`sim.run(simulation_length=MS)` — and right after it the brainstream
commands (`brainstream run`, whole process, timed from outside: start,
validation, the local connectivity, the run, the HDF5 file), so the three
alternate. Each brainstream run's log gives its local connectivity time,
subtracted for the "stepping" column. Medians over the repetitions, every
run printed, the load average before and after each.
"""
import argparse
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
import warnings

os.environ.setdefault("NPY_DISABLE_CPU_FEATURES", "X86_V4 X86_V3")
warnings.filterwarnings("ignore")
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "tests", "data", "tvb_cases"))


def load():
    return "%.1f" % os.getloadavg()[0]


def tvb_setup():
    import numpy as np
    from make_refs import CONN
    from make_refs_surface import make_cortex
    from tvb.simulator.lab import connectivity

    conn = connectivity.Connectivity.from_file(CONN)
    conn.speed = np.array([3.0])
    conn.configure()
    t0 = time.perf_counter()
    ctx, lc = make_cortex(conn)
    return conn, ctx, time.perf_counter() - t0, lc.matrix.nnz


def tvb_run(conn, ctx, ms):
    import numpy as np
    from make_refs import golden_ic
    from tvb.simulator.lab import coupling, integrators, models, monitors, simulator

    model = models.Generic2dOscillator(a=np.array([2.0]))
    model.variables_of_interest = ("V", "W")
    sim = simulator.Simulator(model=model, connectivity=conn,
                              coupling=coupling.Linear(a=np.array([0.0042])),
                              integrator=integrators.HeunDeterministic(dt=0.1),
                              monitors=(monitors.SubSample(period=1.0),), surface=ctx)
    conn.set_idelays(0.1)
    horizon = int(conn.idelays.max()) + 1
    nv = len(ctx.region_mapping)
    sim.initial_conditions = np.repeat(golden_ic(model, nv)[None, :, :, None], horizon, axis=0)
    t0 = time.perf_counter()
    sim.configure()
    t1 = time.perf_counter()
    (t, y), = sim.run(simulation_length=ms)
    t2 = time.perf_counter()
    assert y.shape[0] == int(ms), y.shape
    return t1 - t0, t2 - t1


def ours(binary, backend, ms, out):
    cmd = [binary, "run", os.path.join(ROOT, "graphs", "surface_g2d.toml"), "--out", out, "--force",
           "--quiet", "--set", f"simulation.duration_ms={ms}", "--set", "actors.cortex.vertex_stride=8",
           "--set", f"actors.cortex.backend=\"{backend}\""]
    env = dict(os.environ, RUST_LOG="info")
    t0 = time.perf_counter()
    p = subprocess.run(cmd, capture_output=True, text=True, env=env)
    wall = time.perf_counter() - t0
    if p.returncode != 0:
        raise SystemExit(f"{' '.join(cmd)} failed:\n{p.stdout}\n{p.stderr}")
    text = p.stdout + p.stderr
    m = re.search(r"local connectivity computed.*?seconds[=:] ?([0-9.e-]+)", text)
    if not m:
        m = re.search(r"seconds[=:] ?([0-9.e-]+).*?local connectivity computed", text)
    lc = float(m.group(1)) if m else float("nan")
    dev = re.search(r"surface on Vulkan.*", text)
    return wall, lc, cmd, (dev.group(0) if dev else "")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--ms", type=float, default=200.0)
    ap.add_argument("--reps", type=int, default=3)
    ap.add_argument("--bin", default=os.path.join(ROOT, "target", "release", "brainstream"))
    a = ap.parse_args()
    conn, ctx, gdist_s, nnz = tvb_setup()
    print(f"tvb-library local connectivity (tvb-gdist): {gdist_s:.2f} s, nnz {nnz}", flush=True)
    rows = {"tvb": [], "cpu": [], "vulkan": []}
    lcs = {"cpu": [], "vulkan": []}
    with tempfile.TemporaryDirectory() as tmp:
        for r in range(a.reps):
            l0 = load()
            cfg, run = tvb_run(conn, ctx, a.ms)
            rows["tvb"].append(run)
            print(f"rep {r}: tvb-library configure {cfg:.2f} s, run {run:.2f} s (load {l0} -> {load()})",
                  flush=True)
            for b in ("cpu", "vulkan"):
                l0 = load()
                wall, lc, cmd, dev = ours(a.bin, b, a.ms, os.path.join(tmp, b))
                rows[b].append(wall)
                lcs[b].append(lc)
                print(f"rep {r}: brainstream {b}: {wall:.2f} s whole process, local connectivity "
                      f"{lc:.2f} s (load {l0} -> {load()}) {dev}", flush=True)
        print("command:", " ".join(cmd))
    med = {k: statistics.median(v) for k, v in rows.items()}
    print(f"\nmedians over {a.reps}, {a.ms:g} ms simulated ({int(a.ms * 10)} steps):")
    print(f"  tvb-library sim.run: {med['tvb']:.2f} s")
    for b in ("cpu", "vulkan"):
        lc = statistics.median(lcs[b])
        print(f"  brainstream {b}: {med[b]:.2f} s whole process, {med[b] - lc:.2f} s without the "
              f"local connectivity ({lc:.2f} s); tvb-library / this = {med['tvb'] / (med[b] - lc):.2f}x")


if __name__ == "__main__":
    main()
