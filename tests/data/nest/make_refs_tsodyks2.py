#!/usr/bin/env python3
"""NEST 3.10 references for the tsodyks2_synapse (short-term plasticity).

tsodyks2_single: one iaf_psc_exp neuron (NEST defaults, I_e = 365 pA)
driven by a spike_generator with an irregular train (bursts and pauses,
one repeated time) through a parrot_neuron (static synapse, delay 0.2 ms;
NEST connects plastic synapses from neurons only, not from a
spike_generator) and a tsodyks2_synapse (weight 900 pA, delay
1.5 ms, U = 0.3, u = 0.3, x = 1, tau_rec = 120 ms, tau_fac = 300 ms) and by
a second spike_generator and parrot through a depressing-only tsodyks2_synapse of
negative weight (weight -150 pA, delay 2.0 ms, U = 0.6, u = 0.6, x = 0.9,
tau_rec = 80 ms, tau_fac = 0), resolution 0.1 ms, 400 ms. Records the
output spike times, V_m every step and the weight recorder (the weight
each spike carries, x·u·weight).

tsodyks2_network: 3 iaf_psc_alpha neurons of their own I_e (pre, regular
firing) all_to_all through tsodyks2_synapses (weight 300 pA, delay 1.0 ms,
U = 0.4, u = 0.4, tau_rec = 200 ms, tau_fac = 50 ms) onto 2 iaf_psc_alpha
neurons (post, I_e = 340 pA), 300 ms; spikes of all and V_m of all every
step.

Run: target/pyenv/bin/python tests/data/nest/make_refs_tsodyks2.py
"""
import json
import os

import nest
import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
RESOLUTION = 0.1
PARROT_DELAY = 0.2

SYN_EX = dict(U=0.3, u=0.3, x=1.0, tau_rec=120.0, tau_fac=300.0)
SYN_IN = dict(U=0.6, u=0.6, x=0.9, tau_rec=80.0, tau_fac=0.0)


def train(seed, n, lo, hi):
    rng = np.random.default_rng(seed)
    # bursts (10 spikes within ~10 ms) and isolated spikes
    t = list(rng.uniform(lo, hi, n))
    for c in rng.uniform(lo, hi - 20.0, 3):
        t += list(c + np.cumsum(rng.uniform(0.5, 2.0, 8)))
    return np.round(np.sort(t), 1)


def single():
    nest.ResetKernel()
    nest.resolution = RESOLUTION
    nest.set_verbosity("M_ERROR")
    n = nest.Create("iaf_psc_exp", params={"I_e": 365.0})
    t_ex = train(11, 50, 1.0, 380.0)
    t_ex = np.sort(np.concatenate([t_ex, t_ex[[4]]]))  # a repeated time
    t_in = train(12, 15, 1.0, 380.0)
    g_ex = nest.Create("spike_generator", params={"spike_times": t_ex.tolist()})
    g_in = nest.Create("spike_generator", params={"spike_times": t_in.tolist()})
    p_ex = nest.Create("parrot_neuron")
    p_in = nest.Create("parrot_neuron")
    nest.Connect(g_ex, p_ex, syn_spec=dict(delay=PARROT_DELAY))
    nest.Connect(g_in, p_in, syn_spec=dict(delay=PARROT_DELAY))
    wr = nest.Create("weight_recorder")
    nest.CopyModel("tsodyks2_synapse", "ts_rec", {"weight_recorder": wr})
    nest.Connect(p_ex, n, syn_spec=dict(synapse_model="ts_rec", weight=900.0, delay=1.5, **SYN_EX))
    nest.Connect(p_in, n, syn_spec=dict(synapse_model="ts_rec", weight=-150.0, delay=2.0, **SYN_IN))
    sr = nest.Create("spike_recorder")
    nest.Connect(n, sr)
    mm = nest.Create("multimeter", params={"record_from": ["V_m"], "interval": RESOLUTION})
    nest.Connect(mm, n)
    nest.Simulate(400.0)
    ev = mm.get("events")
    we = wr.get("events")
    out = dict(
        model="iaf_psc_exp",
        params=dict(I_e=365.0),
        resolution_ms=RESOLUTION,
        duration_ms=400.0,
        parrot_delay_ms=PARROT_DELAY,
        ex_times_ms=t_ex.tolist(),
        ex_weight=900.0,
        ex_delay_ms=1.5,
        ex_synapse=SYN_EX,
        in_times_ms=t_in.tolist(),
        in_weight=-150.0,
        in_delay_ms=2.0,
        in_synapse=SYN_IN,
        spike_times_ms=sr.get("events")["times"].tolist(),
        vm_mV=ev["V_m"].tolist(),
        weight_senders=(we["senders"] - p_ex.global_id).tolist(),
        weight_times_ms=we["times"].tolist(),
        weights=we["weights"].tolist(),
        nest_version=nest.__version__,
    )
    with open(os.path.join(HERE, "tsodyks2_single.json"), "w") as f:
        json.dump(out, f)
    print("tsodyks2_single: %d output spikes %s, %d weights" % (
        len(out["spike_times_ms"]), out["spike_times_ms"][:6], len(out["weights"])))


SYN_NET = dict(U=0.4, u=0.4, x=1.0, tau_rec=200.0, tau_fac=50.0)
PRE_I_E = [400.0, 450.0, 520.0]
POST_I_E = 340.0


def network():
    nest.ResetKernel()
    nest.resolution = RESOLUTION
    nest.set_verbosity("M_ERROR")
    pre = nest.Create("iaf_psc_alpha", 3)
    for k, i_e in enumerate(PRE_I_E):
        pre[k].I_e = i_e
    post = nest.Create("iaf_psc_alpha", 2, params={"I_e": POST_I_E})
    nest.Connect(pre, post, "all_to_all", syn_spec=dict(synapse_model="tsodyks2_synapse", weight=300.0, delay=1.0, **SYN_NET))
    sr = nest.Create("spike_recorder")
    nest.Connect(pre + post, sr)
    mm = nest.Create("multimeter", params={"record_from": ["V_m"], "interval": RESOLUTION})
    nest.Connect(mm, pre + post)
    nest.Simulate(300.0)
    ev = mm.get("events")
    s = sr.get("events")
    # V_m per neuron (ids 1..5), every step
    vm = [ev["V_m"][ev["senders"] == i].tolist() for i in range(1, 6)]
    out = dict(
        model="iaf_psc_alpha",
        pre_I_e=PRE_I_E,
        post_I_e=POST_I_E,
        weight=300.0,
        delay_ms=1.0,
        synapse=SYN_NET,
        resolution_ms=RESOLUTION,
        duration_ms=300.0,
        spike_senders=(s["senders"] - 1).tolist(),
        spike_times_ms=s["times"].tolist(),
        vm_mV=vm,
        nest_version=nest.__version__,
    )
    with open(os.path.join(HERE, "tsodyks2_network.json"), "w") as f:
        json.dump(out, f)
    post_spikes = [t for i, t in zip(out["spike_senders"], out["spike_times_ms"]) if i >= 3]
    print("tsodyks2_network: %d spikes, %d of post %s" % (len(out["spike_times_ms"]), len(post_spikes), post_spikes[:6]))


if __name__ == "__main__":
    single()
    network()
