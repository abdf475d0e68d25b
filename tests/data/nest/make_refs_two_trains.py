#!/usr/bin/env python3
"""NEST 3.10 references for connections of either sign into one neuron.

For each built-in model: one neuron (NEST defaults, I_e just above
rheobase) driven by two spike_generators, an excitatory train (weight +w,
delay 1.0 ms) and an inhibitory one (weight -w', delay 2.3 ms), some spike
times repeated (multiplicity 2) and some shared by both trains; resolution
0.1 ms, 300 ms. Records the output spike times and V_m every step.
Written to <model>_two_trains.json; tests/cosim.rs runs the same neuron as
a graph (spike_generator -> spiking_network.spikes_in_2 / spikes_in_3).

Run: target/pyenv/bin/python tests/data/nest/make_refs_two_trains.py [MODEL ...]
(no model: all of them)
"""
import json
import os
import sys

import nest
import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))

# model: (I_e pA, excitatory weight, inhibitory weight)  (pA or nS)
MODELS = {
    "iaf_psc_alpha": (376.0, 120.0, -90.0),
    "iaf_psc_exp": (376.0, 120.0, -90.0),
    "iaf_cond_alpha": (320.0, 15.0, -10.0),
    "iaf_cond_exp": (320.0, 30.0, -20.0),
    "aeif_cond_exp": (1000.0, 20.0, -10.0),
    "aeif_cond_alpha": (1000.0, 20.0, -10.0),
    "izhikevich": (8.0, 6.0, -4.0),
    "hh_psc_alpha": (700.0, 150.0, -100.0),
}
DELAY_EX, DELAY_IN = 1.0, 2.3
RESOLUTION, DURATION = 0.1, 300.0


def trains():
    rng = np.random.default_rng(7)
    t_ex = np.round(np.sort(rng.uniform(1.0, 290.0, 60)), 1)
    t_in = np.round(np.sort(rng.uniform(1.0, 290.0, 40)), 1)
    # repeated times (multiplicity 2) and times in both trains
    t_ex = np.sort(np.concatenate([t_ex, t_ex[[5, 17]], t_in[[3, 11]]]))
    t_in = np.sort(np.concatenate([t_in, t_in[[8]]]))
    return t_ex, t_in


def run(model, I_e, w_ex, w_in):
    nest.ResetKernel()
    nest.resolution = RESOLUTION
    nest.set_verbosity("M_ERROR")
    n = nest.Create(model, params={"I_e": I_e})
    t_ex, t_in = trains()
    g_ex = nest.Create("spike_generator", params={"spike_times": t_ex.tolist()})
    g_in = nest.Create("spike_generator", params={"spike_times": t_in.tolist()})
    nest.Connect(g_ex, n, syn_spec={"weight": w_ex, "delay": DELAY_EX})
    nest.Connect(g_in, n, syn_spec={"weight": w_in, "delay": DELAY_IN})
    sr = nest.Create("spike_recorder")
    nest.Connect(n, sr)
    mm = nest.Create("multimeter", params={"record_from": ["V_m"], "interval": RESOLUTION})
    nest.Connect(mm, n)
    nest.Simulate(DURATION)
    ev = mm.get("events")
    out = dict(
        model=model,
        params=dict(I_e=I_e),
        resolution_ms=RESOLUTION,
        duration_ms=DURATION,
        ex_times_ms=t_ex.tolist(),
        ex_weight=w_ex,
        ex_delay_ms=DELAY_EX,
        in_times_ms=t_in.tolist(),
        in_weight=w_in,
        in_delay_ms=DELAY_IN,
        spike_times_ms=sr.get("events")["times"].tolist(),
        vm_times_ms=ev["times"].tolist(),
        vm_mV=ev["V_m"].tolist(),
        nest_version=nest.__version__,
    )
    name = "%s_two_trains.json" % model
    with open(os.path.join(HERE, name), "w") as f:
        json.dump(out, f)
    print("%s: %d output spikes, first %s" % (name, len(out["spike_times_ms"]), out["spike_times_ms"][:5]))


if __name__ == "__main__":
    for m in sys.argv[1:] or list(MODELS):
        run(m, *MODELS[m])
