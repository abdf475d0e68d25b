#!/usr/bin/env python3
"""The 1000-neuron networks of the co-simulation benchmark, NEST 3.10 (one
thread) against brainstream's spiking engine (one thread), in one run.

  cargo bench --bench spiking --no-run
  python3 benches/compare_nest.py --python /tmp/brainstream-peers/venv/bin/python

NEST: `../shared/peers/nest_ref.py --recurrent` (iaf_cond_alpha, 80/20 E/I,
fixed in-degree, 8 kHz Poisson drive) and the iaf_psc_alpha Brunel network of
`tests/data/nest/make_refs.py`, timing `nest.Simulate` only. brainstream:
`cargo bench --bench spiking`, timing the stepping only (1-thread lines).
Median of --reps.

--annarchy also runs `../shared/peers/annarchy_ref.py --recurrent` (ANNarchy
5, 1 thread, `net.simulate` only, compile excluded) against the bench's
`iaf_cond_alpha_n1000_annarchy_shaped` network (its parameters, sources and
connectivity; RKF45 or rk4 here, explicit Euler there). ANNarchy needs cmake on
PATH: the venv's bin directory is put first.
"""
import argparse
import json
import os
import statistics
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
NEST_BRUNEL = r'''
import json, time, nest
nest.set_verbosity("M_ERROR")
nest.ResetKernel(); nest.resolution = 0.1; nest.rng_seed = 12345
e = nest.Create("iaf_psc_alpha", 800); i = nest.Create("iaf_psc_alpha", 200)
for src, k, w in [(e, 80, 20.0), (i, 20, -100.0)]:
    for dst in (e, i):
        nest.Connect(src, dst, {"rule": "fixed_indegree", "indegree": k}, {"weight": w, "delay": 1.5})
pg = nest.Create("poisson_generator", params={"rate": 4500.0})
nest.Connect(pg, e + i, syn_spec={"weight": 20.0, "delay": 0.1})
sr = nest.Create("spike_recorder"); nest.Connect(e + i, sr)
t = time.perf_counter(); nest.Simulate(1000.0); w = time.perf_counter() - t
print(json.dumps({"wall_s": w, "mean_rate_hz": sr.get("n_events") / 1000.0}))
'''


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--python", default=sys.executable)
    ap.add_argument("--reps", type=int, default=3)
    ap.add_argument("--annarchy", action="store_true")
    a = ap.parse_args()
    ours = {}
    nest = {"iaf_cond_alpha_n1000_rec": [], "iaf_psc_alpha_brunel_n1000": []}
    annarchy = []
    for _ in range(a.reps):
        out = subprocess.run(["cargo", "bench", "--bench", "spiking"], cwd=ROOT, capture_output=True, text=True, check=True).stdout
        for line in out.splitlines():
            if line.startswith("{"):
                d = json.loads(line)
                if d["threads"] != 1:
                    continue
                ours.setdefault(d["network"], []).append((d["wall_s_per_sim_s"], d["mean_rate_hz"]))
        with open(os.devnull, "w") as null:
            o = subprocess.run([a.python, os.path.join(ROOT, "..", "shared", "peers", "nest_ref.py"), "--recurrent",
                                "--out", "/tmp/brainstream_nest_cmp"], capture_output=True, text=True, check=True)
        meta = json.load(open("/tmp/brainstream_nest_cmp/iaf_cond_alpha_n1000_rec_meta.json"))
        nest["iaf_cond_alpha_n1000_rec"].append((meta["wall_s_per_sim_s"], meta["mean_rate_hz"]))
        o = subprocess.run([a.python, "-c", NEST_BRUNEL], capture_output=True, text=True, check=True)
        d = json.loads([l for l in o.stdout.splitlines() if l.startswith("{")][-1])
        nest["iaf_psc_alpha_brunel_n1000"].append((d["wall_s"], d["mean_rate_hz"]))
        if a.annarchy:
            env = dict(os.environ, PATH=os.path.dirname(a.python) + os.pathsep + os.environ["PATH"])
            subprocess.run([a.python, os.path.join(ROOT, "..", "shared", "peers", "annarchy_ref.py"), "--recurrent",
                            "--out", "/tmp/brainstream_annarchy_cmp"], capture_output=True, text=True, check=True, env=env)
            meta = json.load(open("/tmp/brainstream_annarchy_cmp/IF_cond_alpha_n1000_rec_meta.json"))
            annarchy.append((meta["wall_s_per_sim_s"], meta["mean_rate_hz"]))
    m = statistics.median
    print("| network (1000 neurons, 1 s, 1 thread) | brainstream s per sim-s | rate Hz | NEST 3.10 s per sim-s | rate Hz | NEST/brainstream |")
    print("|---|---|---|---|---|---|")
    # each peer network against brainstream's variants of it (`_rk4`: the
    # rk4 solver of iaf_cond_alpha instead of NEST's RKF45)
    for k in nest:
        n = nest[k]
        nw = m([x[0] for x in n])
        for v in [k, k + "_rk4"]:
            if v not in ours:
                continue
            b = ours[v]
            bw = m([x[0] for x in b])
            print(f"| {v} | {bw:.3f} | {m([x[1] for x in b]):.1f} | {nw:.3f} | {m([x[1] for x in n]):.1f} | {nw / bw:.1f}× |")
    if annarchy:
        k = "iaf_cond_alpha_n1000_annarchy_shaped"
        aw = m([x[0] for x in annarchy])
        print("\n| network (1000 neurons, 1 s, 1 thread) | brainstream s per sim-s | rate Hz | ANNarchy 5 s per sim-s | rate Hz | ANNarchy/brainstream |")
        print("|---|---|---|---|---|---|")
        for v in [k, k + "_rk4"]:
            b = ours[v]
            bw = m([x[0] for x in b])
            print(f"| {v} | {bw:.3f} | {m([x[1] for x in b]):.1f} | {aw:.3f} | {m([x[1] for x in annarchy]):.1f} | {aw / bw:.2f}× |")
    print(f"\nload average: {os.getloadavg()}")


if __name__ == "__main__":
    main()
