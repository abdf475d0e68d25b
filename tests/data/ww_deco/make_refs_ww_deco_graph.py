"""Reference of a small iaf_cond_ww_deco network whose inputs reach its
receptors 0 to 3 by every route a graph has, without NEST.

NEST 3.10 cannot load tvb-multiscale's iaf_cond_ww_deco module (see
make_refs_ww_deco.py), so the neurons here are that script's port of the
module's update loop and GSL's RKF45 (`step`), wired as NEST wires a
network (a spike emitted in step k over a delay of d steps is delivered in
step k + d, added after that step's integration; a spike_generator's spike
at t over a delay d is delivered in the step ending at t + d):

* regions A and B of tests/data/nest/regions3 (w_AB = 0.6, w_BA = 1.0,
  rows the receiving region; 12 mm at 3 mm/ms: 40 steps of 0.1 ms), each
  with one population E of 2 neurons (Deco 2014 E parameters, N_E = 160,
  three external receptors, w_E_ext = [1.0, 0.7, 0.45]);
* receptor 0, excitatory: E -> E all_to_all (autapses, as NEST), weight 1,
  delay 0.1 ms; inhibitory: one spike_generator train onto every E neuron,
  weight -1, delay 1 ms;
* receptor 1: four Poisson-like spike_generator trains, one per neuron
  (one_to_one per region), weight 1, delay 1 ms;
* receptor 2: the `input` table of the tvb coupling mode: one train per
  region on `spikes_in` (sender 0: A, 1: B) over an edge of 0.5 ms, every E
  neuron of the region takes it (trains_per_region = 1, indegree = 1),
  weight 0.5, synaptic delay 0.5 ms;
* receptor 3: `region_connections` E -> E, scale 2 (weights 2·w_ij), TVB's
  delays (40 steps).

Writes ww_deco_graph_ref.json: the trains, every spike (time, global
neuron id: A's 0, 1, B's 2, 3) and V_m of neurons 0 and 3 after every step.
tests/parts/spiking_receptors.rs builds the same network as a graph.
The script also checks that every route changes the spikes (each removed
in turn), so that a route delivering to another receptor, or nowhere,
cannot give the reference's spikes.

  target/pyenv/bin/python3 tests/data/ww_deco/make_refs_ww_deco_graph.py
"""
import json
import os

import numpy as np

from make_refs_ww_deco import H, P, V_M, Node, step

STEPS = 3000
HERE = os.path.dirname(os.path.abspath(__file__))
W_EXT = [1.0, 0.7, 0.45]
PARAMS = dict(P, w_E_ext=W_EXT, s_AMPA_ext_max=[160.0] * 3)
# regions3: row = receiving region; A <- B 0.6, B <- A 1.0; 12 mm / 3 mm/ms
W = {(0, 1): 0.6, (1, 0): 1.0}  # (target, source)
REGION_DELAY = int(np.rint(12.0 / 3.0 / H))
REGION_SCALE = 2.0
N_PER_REGION = 2
N = 2 * N_PER_REGION
DEVICE_DELAY = 10  # 1 ms in steps
INPUT_EDGE, INPUT_DELAY, INPUT_WEIGHT = 5, 5, 0.5  # 0.5 ms each


def trains(rng, hz, n):
    """n trains of Poisson counts per step (none in the first 20 steps, so
    that every spike_generator time is > 0)."""
    c = rng.poisson(hz * H / 1000.0, (n, STEPS))
    c[:, :20] = 0
    return c


def times_of(counts, lag_of_time):
    """Spike times (ms) whose delivery steps hold `counts`, repeated by
    multiplicity; lag_of_time: delivery step of a spike at step s."""
    out = []
    for lag in np.nonzero(counts)[0]:
        out += [round((lag + 1 - lag_of_time) * H, 10)] * int(counts[lag])
    return out


def run(r1, inh, r2, routes):
    """The network over STEPS steps; routes: the inputs switched on. r1,
    inh: counts per delivery step; r2: counts per sending step."""
    nodes = [Node(PARAMS) for _ in range(N)]
    # per delivery step: [ex, inh, ext1, ext2, ext3] of each neuron
    buf = np.zeros((STEPS + REGION_DELAY + 2, N, 5))
    for i in range(N):
        region = i // N_PER_REGION
        if "r1" in routes:
            buf[:STEPS, i, 2] += r1[i]
        if "inh" in routes:
            buf[:STEPS, i, 1] += inh[0]
        if "r2" in routes:
            # stamped lag - 1 + edge after the edge, acts INPUT_DELAY later
            buf[INPUT_EDGE + INPUT_DELAY:STEPS, i, 3] += \
                INPUT_WEIGHT * r2[region][:STEPS - INPUT_EDGE - INPUT_DELAY]
    spikes, vm = [], []
    for lag in range(STEPS):
        fired = []
        for i, node in enumerate(nodes):
            ex, ih, e1, e2, e3 = buf[lag, i]
            if step(node, lag, ex, ih, [e1, e2, e3], 0.0):
                fired.append(i)
        for i in fired:
            spikes.append((round((lag + 1) * H, 10), i))
            region = i // N_PER_REGION
            for j in range(N):
                if j // N_PER_REGION == region and "r0" in routes:
                    buf[lag + 1, j, 0] += 1.0
                elif j // N_PER_REGION != region and "r3" in routes:
                    buf[lag + REGION_DELAY, j, 4] += \
                        REGION_SCALE * W[(j // N_PER_REGION, region)]
        vm.append([nodes[0].y[V_M], nodes[3].y[V_M]])
    return spikes, vm


def main():
    rng = np.random.default_rng(20261203)
    r1 = trains(rng, 2400.0, N)
    inh = trains(rng, 400.0, 1)
    r2 = trains(rng, 1500.0, 2)
    all_routes = {"r0", "inh", "r1", "r2", "r3"}
    spikes, vm = run(r1, inh, r2, all_routes)
    per = [sum(1 for _, i in spikes if i == n) for n in range(N)]
    print(f"{len(spikes)} spikes, per neuron {per}")
    assert min(per) >= 5, per
    for off in sorted(all_routes):
        other, _ = run(r1, inh, r2, all_routes - {off})
        assert other != spikes, f"route {off} changes nothing"
        print(f"without {off}: {len(other)} spikes")
    out = dict(
        h=H, steps=STEPS, params=PARAMS,
        r1_times_ms=[times_of(r1[i], DEVICE_DELAY) for i in range(N)],
        inh_times_ms=times_of(inh[0], DEVICE_DELAY),
        # r2[k][m]: sent at (m + 1)·h, stamped m + edge after the edge,
        # acting INPUT_DELAY steps later
        r2_times_ms=[times_of(r2[k], 0) for k in range(2)],
        spike_times_ms=[t for t, _ in spikes],
        spike_senders=[i for _, i in spikes],
        v_m=vm,
    )
    path = os.path.join(HERE, "ww_deco_graph_ref.json")
    with open(path, "w") as f:
        json.dump(out, f)
    print("wrote", path)


if __name__ == "__main__":
    main()
