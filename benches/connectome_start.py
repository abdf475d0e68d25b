#!/usr/bin/env python3
"""Start-up with a large TVB zip connectome, alternated: the 998-region
synthetic connectome (benches/synthetic_connectome.py) in
graphs/tvb_rww76.toml, 0.1 ms (start-up and one step) and 1 s simulated,
threads = 1; each round runs OLD (default environment), NEW with a filled
parsed-connectome cache (a private BRAINSTREAM_CACHE_DIR) and NEW with the
cache off. Prints wall and CPU (user + sys) medians.

  python3 benches/connectome_start.py OLD_BINARY [NEW_BINARY] [--reps 5]
"""
import argparse
import os
import resource
import shutil
import statistics
import subprocess
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("old")
    ap.add_argument("new", nargs="?", default=os.path.join(ROOT, "target", "release", "brainstream"))
    ap.add_argument("--reps", type=int, default=5)
    a = ap.parse_args()
    conn = os.path.join(os.environ.get("TMPDIR", "/tmp"), "syn998.zip")
    if not os.path.exists(conn):
        subprocess.run(["python3", os.path.join(ROOT, "benches", "synthetic_connectome.py"), "--n", "998",
                        "--density", "0.1", "--out", conn], check=True)
    graph = os.path.join(ROOT, "graphs", "tvb_rww76.toml")

    def run(b, dur, env):
        d = tempfile.mkdtemp()
        r0 = resource.getrusage(resource.RUSAGE_CHILDREN)
        t = time.perf_counter()
        subprocess.run([b, "run", graph, "-q", "--out", d, "--force", "--set", f"actors.brain.connectivity={conn}",
                        "--set", "actors.brain.threads=1", "--set", "actors.tavg.offset_steps=0",
                        "--set", f"simulation.duration_ms={dur}"], check=True, capture_output=True, env=env)
        w = time.perf_counter() - t
        r1 = resource.getrusage(resource.RUSAGE_CHILDREN)
        shutil.rmtree(d)
        return w, (r1.ru_utime - r0.ru_utime) + (r1.ru_stime - r0.ru_stime)

    cache = tempfile.mkdtemp()
    runs = [("old", a.old, dict(os.environ)),
            ("new, cache hit", a.new, dict(os.environ, BRAINSTREAM_CACHE_DIR=cache)),
            ("new, cache off", a.new, dict(os.environ, BRAINSTREAM_CACHE_DIR="off"))]
    first = run(a.new, "0.1", runs[1][2])
    print(f"new, first run (fills the cache), 0.1 ms: {first[0]:.3f} s wall, {first[1]:.3f} s CPU")
    res = {}
    for dur in ["0.1", "1000"]:
        for _ in range(a.reps):
            for name, b, env in runs:
                res.setdefault((dur, name), []).append(run(b, dur, env))
        print(f"load average after the {dur} ms runs: {os.getloadavg()}")
    shutil.rmtree(cache)
    for (dur, name), v in res.items():
        print(f"{dur} ms, {name}: wall median {statistics.median(x[0] for x in v):.3f} s, "
              f"CPU median {statistics.median(x[1] for x in v):.3f} s; walls {[round(x[0], 3) for x in v]}")


if __name__ == "__main__":
    main()
