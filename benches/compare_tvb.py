#!/usr/bin/env python3
"""Whole-process comparison of `brainstream run` with tvb-library on the same
run (ReducedWongWang, 1 s simulated at dt 0.1 ms, Raw monitor), measured in
one benchmark run, interleaved, median of --reps.

  cargo build --release
  python3 benches/compare_tvb.py --python /tmp/brainstream-peers/venv/bin/python

brainstream's time includes process start, graph validation, connectome
loading and writing the HDF5 recordings (raw and 1 ms average). tvb-library
is timed twice: the whole process (python start, imports, numba JIT, build,
run), and its in-process simulation loop alone (after a JIT warm-up).
"""
import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def timed(cmd, **kw):
    t = time.perf_counter()
    out = subprocess.run(cmd, check=True, capture_output=True, text=True, **kw)
    return time.perf_counter() - t, out.stdout


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--python", default=sys.executable, help="a python with tvb-library and tvb-data")
    ap.add_argument("--reps", type=int, default=3)
    a = ap.parse_args()
    bs = os.path.join(ROOT, "target", "release", "brainstream")
    conns = os.path.join(ROOT, "data", "connectivity")
    rows = []
    for name, zipname, sets in [
        ("RWW, 76 regions", "connectivity_76.zip", []),
        ("RWW, 192 regions", "connectivity_192.zip",
         ["--set", "actors.brain.connectivity=\"../data/connectivity/connectivity_192.zip\"",
          "--set", "actors.brain.initial_conditions=\"random\""]),
    ]:
        bs_t, tvb_whole, tvb_run = [], [], []
        for _ in range(a.reps):
            with tempfile.TemporaryDirectory() as d:
                t, _ = timed([bs, "run", os.path.join(ROOT, "graphs", "tvb_rww76.toml"), "-q", "--out", d] + sets)
                bs_t.append(t)
            t, out = timed([a.python, os.path.join(ROOT, "benches", "tvb_peer.py"), "--conn",
                            os.path.join(conns, zipname)])
            tvb_whole.append(t)
            _, out = timed([a.python, os.path.join(ROOT, "benches", "tvb_peer.py"), "--conn",
                            os.path.join(conns, zipname), "--warmup"])
            tvb_run.append(json.loads(out.strip().splitlines()[-1])["run_s"])
        m = statistics.median
        rows.append((name, m(bs_t), m(tvb_whole), m(tvb_run)))
    print("| run (1 s simulated) | brainstream whole process | tvb-library whole process | tvb-library simulation loop only | whole/whole | loop/whole |")
    print("|---|---|---|---|---|---|")
    for name, b, tw, tr in rows:
        print(f"| {name} | {b*1e3:.0f} ms | {tw:.2f} s | {tr:.2f} s | {tw/b:.0f}× | {tr/b:.0f}× |")
    print(f"\nload average: {os.getloadavg()}")


if __name__ == "__main__":
    main()
