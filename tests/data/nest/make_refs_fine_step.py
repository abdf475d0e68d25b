#!/usr/bin/env python3
"""NEST 3.10 references at resolution 0.05 ms for a spiking network on a
time step of its own (spiking_network.dt_ms = 0.05 under a graph's 0.1 ms).

The neuron and the two trains of <model>_two_trains.json (make_refs_two_trains.py:
I_e, an excitatory and an inhibitory spike_generator with their weights and
delays), simulated at 0.05 ms instead of 0.1 ms. Written to
<model>_fine_step.json; tests/parts/spiking_own_step.rs runs the same neuron
in a graph of dt 0.1 ms with the network's dt_ms = 0.05.

Run: target/pyenv/bin/python tests/data/nest/make_refs_fine_step.py
"""
import json
import os

import nest

HERE = os.path.dirname(os.path.abspath(__file__))
MODELS = ["iaf_psc_alpha", "iaf_cond_alpha", "aeif_cond_exp"]
RESOLUTION = 0.05


def run(model):
    with open(os.path.join(HERE, "%s_two_trains.json" % model)) as f:
        r = json.load(f)
    nest.ResetKernel()
    nest.resolution = RESOLUTION
    nest.set_verbosity("M_ERROR")
    n = nest.Create(model, params=r["params"])
    g_ex = nest.Create("spike_generator", params={"spike_times": r["ex_times_ms"]})
    g_in = nest.Create("spike_generator", params={"spike_times": r["in_times_ms"]})
    nest.Connect(g_ex, n, syn_spec={"weight": r["ex_weight"], "delay": r["ex_delay_ms"]})
    nest.Connect(g_in, n, syn_spec={"weight": r["in_weight"], "delay": r["in_delay_ms"]})
    sr = nest.Create("spike_recorder")
    nest.Connect(n, sr)
    mm = nest.Create("multimeter", params={"record_from": ["V_m"], "interval": RESOLUTION})
    nest.Connect(mm, n)
    nest.Simulate(r["duration_ms"])
    ev = mm.get("events")
    out = dict(
        model=model,
        resolution_ms=RESOLUTION,
        two_trains="%s_two_trains.json" % model,
        spike_times_ms=sr.get("events")["times"].tolist(),
        vm_times_ms=ev["times"].tolist(),
        vm_mV=ev["V_m"].tolist(),
        nest_version=nest.__version__,
    )
    with open(os.path.join(HERE, "%s_fine_step.json" % model), "w") as f:
        json.dump(out, f)
    print("%s_fine_step.json: %d spikes (%d at 0.1 ms)"
          % (model, len(out["spike_times_ms"]), len(r["spike_times_ms"])))


if __name__ == "__main__":
    for m in MODELS:
        run(m)
