#!/usr/bin/env python3
"""The NEST co-simulation (graphs/cosim_wc76_nest.toml: Wilson-Cowan on 76
regions, rM1 and lM1 as 2 × 1000 iaf_psc_alpha neurons in real NEST,
spikes both ways every 1 ms window) against NEST alone on the same network,
measured in one benchmark run, alternating, median of --reps:

  - co-simulation: `brainstream run`; its wall time from the first window
    to the last as the client measures it (`brainstream_client: ... in X s`
    in OUT/net.log), and the part NEST spent in nest.Run;
  - NEST alone: the same network (examples/external/wc76_nest.py `build`),
    the same 200 proxy spike generators fed up front with the very spike
    trains the co-simulation sent (recorded from it), one nest.Simulate;
  - NEST alone in 1 ms windows (Prepare, Run per window, Cleanup), no
    exchange: what lockstep costs NEST itself;
  - the Python adapter alone: brainstream_client.nest's Python window
    function (the fallback of its native loop) fed the same trains window
    by window, without a session: its devices, NEST calls and numpy work,
    without the exchange.

Exchange overhead = co-simulation loop / NEST alone − 1.

  cargo build --release && scripts/pyenv.sh
  python3 benches/compare_external.py [--python target/pyenv/bin/python3] [--reps 3]
"""
import argparse
import json
import os
import re
import statistics
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

ALONE = r'''
import json, sys, time, importlib.util
import numpy as np, nest
spec = importlib.util.spec_from_file_location("wc76", "{root}/examples/external/wc76_nest.py")
wc = importlib.util.module_from_spec(spec); spec.loader.exec_module(wc)
f = np.load("{spikes}")
senders, times = f["senders"], f["times"]
out = {{}}
from brainstream_client.nest import NestInterface
from brainstream_client.session import Window
from brainstream_client.wire import Spikes


class Alone:
    """What the adapter needs of a session, without one."""
    actor, dt_ms, window_steps, regions, populations = "net", 0.1, 10, ["rM1", "lM1"], [("E", 800 * {scale}), ("I", 200 * {scale})]


for mode in ("simulate", "windows", "adapter"):
    if mode == "adapter":
        # the adapter itself, window by window, fed the same trains: its
        # devices, NEST calls and numpy work, without any exchange
        regions = wc.build(["rM1", "lM1"], 0.1, 11, 1, {scale})
        steps = np.rint(times / 0.1).astype(np.int64) - 1
        order = np.argsort(steps, kind="stable")
        st, se = steps[order], senders[order]
        bounds = np.searchsorted(st, np.arange(0, int(round({dur} * 10)) + 1, 10))
        wins = []
        for w in range(int(round({dur}))):
            a, b = bounds[w], bounds[w + 1]
            sp = Spikes(st[a:b].astype(np.uint64), (st[a:b] + 1) * 0.1, se[a:b].astype(np.uint32))
            wins.append(Window(w, 10 * w, 10, 0.1, {{"spikes_in": sp}}))
        iface = NestInterface(Alone(), regions, spikes_in=wc.SPIKES_IN)
        iface.sim_s, iface.windows = 0.0, 0
        n = 0
        t0 = time.perf_counter()
        for win in wins:
            n += len(iface._window(win)["spikes"].senders)
        iface._finish()
        out[mode] = time.perf_counter() - t0
        out[mode + "_rate_hz"] = n / (2000 * {scale}) / ({dur} / 1000)
        continue
    regions = wc.build(["rM1", "lM1"], 0.1, 11, 1, {scale})
    d = wc.SPIKES_IN; T = d["trains_per_region"]
    gens = nest.Create("spike_generator", 2 * T)
    for r, label in enumerate(regions):
        tgt = regions[label]["E"] + regions[label]["I"]
        nest.Connect(gens[r * T:(r + 1) * T], tgt, {{"rule": "fixed_indegree", "indegree": d["indegree"]}},
                     {{"weight": d["weight"], "delay": d["delay_ms"]}})
    params = []
    for k in range(2 * T):
        t = np.sort(times[senders == k])
        params.append({{"spike_times": np.round(t, 9).tolist()}})
    gens.set(params)
    allpops = regions["rM1"]["E"] + regions["rM1"]["I"] + regions["lM1"]["E"] + regions["lM1"]["I"]
    rec = nest.Create("spike_recorder"); nest.Connect(allpops, rec)
    t0 = time.perf_counter()
    if mode == "simulate":
        nest.Simulate({dur})
    else:
        nest.Prepare()
        for w in range(int(round({dur}))):
            nest.Run(1.0)
        nest.Cleanup()
    out[mode] = time.perf_counter() - t0
    out[mode + "_rate_hz"] = rec.n_events / (2000 * {scale}) / ({dur} / 1000)
print(json.dumps(out))
'''


def cosim(bs, py_bin, dur, tmp, k, scale):
    g = open(os.path.join(ROOT, "graphs/cosim_wc76_nest.toml")).read()
    g = g.replace("../examples/external/wc76_nest.py", os.path.join(ROOT, "examples/external/wc76_nest.py"))
    g += '\n[actors.proxy_spikes]\nkind = "hdf5_recorder"\n\n[[edges]]\nfrom = "gen.spikes"\nto = "proxy_spikes.spikes"\n'
    path = os.path.join(tmp, "bench.toml")
    open(path, "w").write(g)
    out = os.path.join(tmp, f"cosim{k}")
    env = dict(os.environ, PATH=py_bin + ":" + os.environ["PATH"])
    r = subprocess.run([bs, "run", path, "--out", out, "-q", "--set", f"simulation.duration_ms={dur}",
                        "--set", f"actors.net.config={{ scale = {scale} }}",
                        "--set", f"actors.net.populations={{ E = {800 * scale}, I = {200 * scale} }}"],
                       env=env, capture_output=True, text=True)
    if r.returncode:
        sys.exit(r.stderr)
    total = float(re.search(r"in ([0-9.]+) s wall", r.stdout).group(1))
    log = open(os.path.join(out, "net.log")).read()
    m = re.search(r"brainstream_client: (\d+) windows in ([0-9.]+) s, .* advancing ([0-9.]+) s", log)
    import h5py
    rates = h5py.File(os.path.join(out, "rates.h5"))["data"][:]
    import numpy as np
    f = h5py.File(os.path.join(out, "proxy_spikes.h5"))
    npz = os.path.join(tmp, f"proxy{k}.npz")
    np.savez(npz, senders=f["spikes/senders"][:], times=f["spikes/times"][:])
    return {"run_wall": total, "loop": float(m.group(2)), "nest_run": float(m.group(3)),
            "rate_hz": float(rates[len(rates) // 5:].mean())}, npz


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--python", default=os.path.join(ROOT, "target/pyenv/bin/python3"))
    ap.add_argument("--reps", type=int, default=3)
    ap.add_argument("--duration", type=float, default=1000.0)
    ap.add_argument("--scale", type=int, default=1, help="population sizes × this (in-degrees stay)")
    a = ap.parse_args()
    bs = os.path.join(ROOT, "target/release/brainstream")
    py_bin = os.path.dirname(os.path.abspath(a.python))
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for k in range(a.reps):
            c, spikes = cosim(bs, py_bin, a.duration, tmp, k, a.scale)
            r = subprocess.run([a.python, "-c", ALONE.format(root=ROOT, spikes=spikes, dur=a.duration,
                                                             scale=a.scale)],
                               capture_output=True, text=True)
            if r.returncode:
                sys.exit(r.stderr)
            alone = json.loads(r.stdout.strip().splitlines()[-1])
            rows.append((c, alone))
            print(f"rep {k}: co-sim loop {c['loop']:.3f} s (NEST Run {c['nest_run']:.3f} s, whole run "
                  f"{c['run_wall']:.3f} s), NEST alone {alone['simulate']:.3f} s, NEST alone in 1 ms "
                  f"windows {alone['windows']:.3f} s, the adapter alone {alone['adapter']:.3f} s; "
                  f"rates co-sim {c['rate_hz']:.1f} Hz, alone {alone['simulate_rate_hz']:.1f} Hz, "
                  f"adapter alone {alone['adapter_rate_hz']:.1f} Hz", flush=True)
    med = lambda f: statistics.median(f(c, al) for c, al in rows)
    alone = med(lambda c, al: al["simulate"])
    print(f"\nmedian of {a.reps}, {a.duration:.0f} ms simulated, {2000 * a.scale} neurons:")
    print(f"  NEST alone (one Simulate)          {alone:.3f} s   1.00")
    print(f"  NEST alone in 1 ms windows         {med(lambda c, al: al['windows']):.3f} s   "
          f"{med(lambda c, al: al['windows'] / al['simulate']):.2f}")
    print(f"  the Python adapter alone           {med(lambda c, al: al['adapter']):.3f} s   "
          f"{med(lambda c, al: al['adapter'] / al['simulate']):.2f}")
    print(f"  co-simulation, NEST's Run calls    {med(lambda c, al: c['nest_run']):.3f} s   "
          f"{med(lambda c, al: c['nest_run'] / al['simulate']):.2f}")
    print(f"  co-simulation, window loop         {med(lambda c, al: c['loop']):.3f} s   "
          f"{med(lambda c, al: c['loop'] / al['simulate']):.2f}")
    print(f"  exchange overhead over NEST alone: {100 * (med(lambda c, al: c['loop'] / al['simulate']) - 1):.0f}%"
          f"; over NEST in the same windows: {100 * (med(lambda c, al: c['loop'] / al['windows']) - 1):.0f}%"
          f"; over the Python adapter alone: "
          f"{100 * (med(lambda c, al: c['loop'] / al['adapter']) - 1):.0f}%")


if __name__ == "__main__":
    main()
