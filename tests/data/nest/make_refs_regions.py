#!/usr/bin/env python3
"""NEST 3.10 reference for spiking regions connected through a connectome.

Three regions A, B, C (tests/data/nest/regions3: weights, row = target
region as in TVB, and tract lengths in mm), each with populations E (4)
and I (2) of iaf_psc_alpha neurons (I_e = 250 pA: at rest 10 mV below threshold),
wired within each region E -> I (+40 pA, 1.0 ms) and I -> E (-60 pA, 1.5
ms), all_to_all. Between regions, as tvb-multiscale's spiking network
builder connects them (`nodes_connections`: for every source region j and
target region i != j, Connect(pop of j, pop of i, conn_spec,
{"weight": scale * w_ij, "delay": tvb_delay_ij})), with TVB's delays
d_ij = rint(L_ij / speed / dt) steps (speed 3 mm/ms) and pairs of zero
weight left out:

  E -> [E, I]   scale  +100 pA   all_to_all   every pair of regions
  I -> I        scale  -300 pA   one_to_one   from B only

A spike_generator of 4 trains drives the E neurons of A one to one
(+800 pA, 1.0 ms). Resolution 0.1 ms, 300 ms. Node ids are created in
brainstream's global order (region-major, populations by name), so that
NEST's id - 1 is brainstream's sender. Written to regions3.json;
tests/parts/spiking_regions.rs runs the same network as a graph
(spiking_network.region_connections).

With an argument 0.05: the same at resolution 0.05 ms (delays rint(L / speed
/ 0.05) steps), written to regions3_h0.05.json, for a network on a time
step of its own (spiking_network.dt_ms = 0.05 under a graph of 0.1 ms).

Run: target/pyenv/bin/python tests/data/nest/make_refs_regions.py [0.05]
"""
import json
import os
import sys

import nest
import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
CONN = os.path.join(HERE, "regions3")
RESOLUTION, DURATION = 0.1, 300.0
SPEED = 3.0
REGIONS = ["A", "B", "C"]
POPS = [("E", 4), ("I", 2)]
I_E = 250.0
WITHIN = [  # from, to, weight, delay
    ("E", "I", 40.0, 1.0),
    ("I", "E", -60.0, 1.5),
]
BETWEEN = [  # from, [to], scale, rule, source regions
    ("E", ["E", "I"], 100.0, "all_to_all", REGIONS),
    ("I", ["I"], -300.0, "one_to_one", ["B"]),
]
DRIVE_WEIGHT, DRIVE_DELAY, DRIVE_EDGE = 800.0, 1.0, 0.5


def matrix(name):
    return np.loadtxt(os.path.join(CONN, name + ".txt"))


def trains():
    rng = np.random.default_rng(21)
    times, senders = [], []
    for k in range(4):
        t = np.unique(np.round(np.sort(rng.uniform(2.0, 280.0, 25)), 1))
        times.extend(t.tolist())
        senders.extend([k] * len(t))
    order = np.argsort(times, kind="stable")
    return [times[i] for i in order], [senders[i] for i in order]


def main(name):
    w = matrix("weights")
    lengths = matrix("tract_lengths")
    # TVB: numpy.rint(tract_lengths / speed / dt), half to even
    steps = np.rint(lengths / SPEED / RESOLUTION).astype(int)
    nest.ResetKernel()
    nest.resolution = RESOLUTION
    nest.set_verbosity("M_ERROR")
    pops = {}
    for r in REGIONS:
        for p, n in POPS:
            pops[(r, p)] = nest.Create("iaf_psc_alpha", n, params={"I_e": I_E})
    for r in REGIONS:
        for src, dst, weight, delay in WITHIN:
            nest.Connect(pops[(r, src)], pops[(r, dst)], "all_to_all",
                         {"weight": weight, "delay": delay})
    synapses = 0
    for src, dsts, scale, rule, sources in BETWEEN:
        for j, rj in enumerate(REGIONS):
            if rj not in sources:
                continue
            for i, ri in enumerate(REGIONS):
                if i == j or w[i, j] == 0.0:
                    continue
                for dst in dsts:
                    nest.Connect(pops[(rj, src)], pops[(ri, dst)], rule,
                                 {"weight": scale * w[i, j],
                                  "delay": steps[i, j] * RESOLUTION})
                    synapses += len(nest.GetConnections(pops[(rj, src)], pops[(ri, dst)]))
    times, senders = trains()
    gens = []
    for k in range(4):
        t = [x for x, s in zip(times, senders) if s == k]
        gens.append(nest.Create("spike_generator", params={"spike_times": t}))
    for k, g in enumerate(gens):
        nest.Connect(g, pops[("A", "E")][k], syn_spec={"weight": DRIVE_WEIGHT, "delay": DRIVE_DELAY})
    sr = nest.Create("spike_recorder")
    for r in REGIONS:
        for p, _ in POPS:
            nest.Connect(pops[(r, p)], sr)
    nest.Simulate(DURATION)
    ev = sr.get("events")
    order = np.lexsort((ev["senders"], ev["times"]))
    out = dict(
        resolution_ms=RESOLUTION,
        duration_ms=DURATION,
        speed_mm_per_ms=SPEED,
        I_e=I_E,
        drive_times_ms=times,
        drive_senders=senders,
        drive_weight=DRIVE_WEIGHT,
        drive_delay_ms=DRIVE_DELAY,
        drive_edge_ms=DRIVE_EDGE,
        delays_steps=steps.tolist(),
        between_synapses=synapses,
        spike_times_ms=ev["times"][order].tolist(),
        spike_senders=(ev["senders"][order] - 1).tolist(),
        nest_version=nest.__version__,
    )
    with open(os.path.join(HERE, name), "w") as f:
        json.dump(out, f)
    per_region = {}
    for s in out["spike_senders"]:
        per_region[REGIONS[s // 6]] = per_region.get(REGIONS[s // 6], 0) + 1
    print("%s: %d spikes %s, %d synapses between regions, delays %s"
          % (name, len(out["spike_times_ms"]), per_region, synapses, steps.tolist()))


if __name__ == "__main__":
    if len(sys.argv) > 1:
        RESOLUTION = float(sys.argv[1])
        main("regions3_h%s.json" % sys.argv[1])
    else:
        main("regions3.json")
