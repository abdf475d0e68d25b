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


BRUNEL = dict(n_e=800, n_i=200, k_e=80, k_i=20, w_e=20.0, w_i=-100.0, delay=1.5,
              bg_rate=4500.0, bg_weight=20.0, bg_delay=0.1, t_sim=1100.0, t_skip=100.0)


def iaf_psc_alpha_brunel(seed):
    """E/I network of 800 + 200 iaf_psc_alpha (NEST defaults), fixed in-degree
    80 excitatory (+20 pA) and 20 inhibitory (-100 pA) inputs per neuron,
    delay 1.5 ms, Poisson background 4.5 kHz of +20 pA (delay 0.1 ms)."""
    b = BRUNEL
    nest.ResetKernel()
    nest.resolution = 0.1
    nest.rng_seed = seed
    e = nest.Create("iaf_psc_alpha", b["n_e"])
    i = nest.Create("iaf_psc_alpha", b["n_i"])
    for src, k, w in [(e, b["k_e"], b["w_e"]), (i, b["k_i"], b["w_i"])]:
        for dst in (e, i):
            nest.Connect(src, dst, {"rule": "fixed_indegree", "indegree": k},
                         {"weight": w, "delay": b["delay"]})
    pg = nest.Create("poisson_generator", params={"rate": b["bg_rate"]})
    nest.Connect(pg, e + i, syn_spec={"weight": b["bg_weight"], "delay": b["bg_delay"]})
    sr_e = nest.Create("spike_recorder", params={"start": b["t_skip"]})
    sr_i = nest.Create("spike_recorder", params={"start": b["t_skip"]})
    nest.Connect(e, sr_e)
    nest.Connect(i, sr_i)
    nest.Simulate(b["t_sim"])
    span = (b["t_sim"] - b["t_skip"]) / 1000.0
    return sr_e.get("n_events") / b["n_e"] / span, sr_i.get("n_events") / b["n_i"] / span


def brunel():
    rates = [iaf_psc_alpha_brunel(seed) for seed in (1, 2, 3)]
    out = dict(BRUNEL, model="iaf_psc_alpha", resolution_ms=0.1,
               rate_e_hz=float(np.mean([r[0] for r in rates])),
               rate_i_hz=float(np.mean([r[1] for r in rates])),
               rates_per_seed=rates, nest_version=nest.__version__)
    json.dump(out, open(os.path.join(HERE, "iaf_psc_alpha_brunel.json"), "w"), indent=1)
    print("iaf_psc_alpha_brunel: E %.2f Hz, I %.2f Hz (seeds %s)" % (out["rate_e_hz"], out["rate_i_hz"], rates))


if __name__ == "__main__":
    iaf_psc_alpha_single()
    brunel()
