#!/usr/bin/env python3
"""NEST 3.10 reference runs for brainstream's spiking neuron models.

iaf_psc_alpha_single: one iaf_psc_alpha neuron (NEST defaults, I_e = 376 pA,
just above rheobase) driven by a spike_generator through an excitatory
(+120 pA) and an inhibitory (-90 pA) static synapse, delay 1.0 ms,
resolution 0.1 ms, 300 ms. Records the output spike times and V_m every
step (multimeter interval 0.1 ms).

Run: python make_refs.py   (needs `pip install nest-simulator`)
"""
import json
import os

import nest
import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))


def iaf_psc_alpha_single():
    nest.ResetKernel()
    nest.resolution = 0.1
    nest.set_verbosity("M_ERROR")
    n = nest.Create("iaf_psc_alpha", params={"I_e": 376.0})
    rng = np.random.default_rng(1)
    t_ex = np.round(np.sort(rng.uniform(1.0, 290.0, 60)), 1)
    t_in = np.round(np.sort(rng.uniform(1.0, 290.0, 40)), 1)
    t_ex = np.unique(t_ex)
    t_in = np.unique(t_in)
    g_ex = nest.Create("spike_generator", params={"spike_times": t_ex.tolist()})
    g_in = nest.Create("spike_generator", params={"spike_times": t_in.tolist()})
    nest.Connect(g_ex, n, syn_spec={"weight": 120.0, "delay": 1.0})
    nest.Connect(g_in, n, syn_spec={"weight": -90.0, "delay": 1.0})
    sr = nest.Create("spike_recorder")
    nest.Connect(n, sr)
    mm = nest.Create("multimeter", params={"record_from": ["V_m"], "interval": 0.1})
    nest.Connect(mm, n)
    nest.Simulate(300.0)
    ev = mm.get("events")
    out = dict(
        model="iaf_psc_alpha",
        params=dict(I_e=376.0),
        resolution_ms=0.1,
        duration_ms=300.0,
        delay_ms=1.0,
        ex_times_ms=t_ex.tolist(),
        ex_weight_pA=120.0,
        in_times_ms=t_in.tolist(),
        in_weight_pA=-90.0,
        spike_times_ms=sr.get("events")["times"].tolist(),
        vm_times_ms=ev["times"].tolist(),
        vm_mV=ev["V_m"].tolist(),
        nest_version=nest.__version__,
    )
    json.dump(out, open(os.path.join(HERE, "iaf_psc_alpha_single.json"), "w"))
    print("iaf_psc_alpha_single: %d output spikes, first %s" % (len(out["spike_times_ms"]), out["spike_times_ms"][:5]))


if __name__ == "__main__":
    iaf_psc_alpha_single()
