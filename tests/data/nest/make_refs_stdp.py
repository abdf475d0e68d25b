#!/usr/bin/env python3
"""NEST 3.10 references for the stdp_synapse (spike-timing dependent plasticity).

stdp_network: four regular iaf_psc_alpha neurons (pre, I_e 380/420/470/520 pA)
all_to_all through stdp_synapses (weight 90 pA, delay 1.5 ms, tau_plus = 15 ms,
lambda = 0.05, alpha = 1.1, mu_plus = 0.4, mu_minus = 0.7, Wmax = 250 pA)
onto three iaf_psc_alpha neurons (post, I_e 340/355/370 pA, tau_minus = 30 ms),
and one regular neuron (inh, I_e = 450 pA) through inhibitory stdp_synapses
(weight -40 pA, delay 2.3 ms, Wmax = -100 pA, lambda = 0.02, Kplus = 0.5,
NEST's other defaults) onto the same three; resolution 0.1 ms, 1000 ms.
Records every spike, the final weight of every stdp_synapse
(GetConnections: source, target, weight; ids from 0 in creation order:
pre 0-3, inh 4, post 5-7) and the posts' V_m every step.

stdp_parrot: one iaf_psc_alpha (I_e = 370 pA) driven by two irregular
spike_generator trains (bursts, one repeated time), each through a
parrot_neuron (delay 0.2 ms; NEST connects plastic synapses from neurons
only) and an stdp_synapse: excitatory (weight 200 pA, delay 1.5 ms,
lambda = 0.1, mu_plus = 0.5, Wmax = 500 pA) and inhibitory (weight -100 pA,
delay 3.0 ms, lambda = 0.05, Wmax = -300 pA); the neuron's tau_minus 25 ms;
500 ms. Records the neuron's spikes, V_m every step and the final weights.

Run: target/pyenv/bin/python tests/data/nest/make_refs_stdp.py
"""
import json
import os

import nest

HERE = os.path.dirname(os.path.abspath(__file__))
RESOLUTION = 0.1
PRE_I_E = [380.0, 420.0, 470.0, 520.0]
POST_I_E = [340.0, 355.0, 370.0]
INH_I_E = 450.0
TAU_MINUS = 30.0
SYN_EX = dict(tau_plus=15.0, lambda_=0.05, alpha=1.1, mu_plus=0.4, mu_minus=0.7, Wmax=250.0)
SYN_IN = dict(Wmax=-100.0, lambda_=0.02, Kplus=0.5)
W_EX, D_EX = 90.0, 1.5
W_IN, D_IN = -40.0, 2.3
DURATION = 1000.0


def nest_keys(d):
    return {("lambda" if k == "lambda_" else k): v for k, v in d.items()}


def network():
    nest.ResetKernel()
    nest.resolution = RESOLUTION
    nest.set_verbosity("M_ERROR")
    pre = nest.Create("iaf_psc_alpha", 4)
    for k, i_e in enumerate(PRE_I_E):
        pre[k].I_e = i_e
    inh = nest.Create("iaf_psc_alpha", 1, params={"I_e": INH_I_E})
    post = nest.Create("iaf_psc_alpha", 3, params={"tau_minus": TAU_MINUS})
    for k, i_e in enumerate(POST_I_E):
        post[k].I_e = i_e
    nest.Connect(pre, post, "all_to_all",
                 syn_spec=dict(synapse_model="stdp_synapse", weight=W_EX, delay=D_EX, **nest_keys(SYN_EX)))
    nest.Connect(inh, post, "all_to_all",
                 syn_spec=dict(synapse_model="stdp_synapse", weight=W_IN, delay=D_IN, **nest_keys(SYN_IN)))
    sr = nest.Create("spike_recorder")
    nest.Connect(pre + inh + post, sr)
    mm = nest.Create("multimeter", params={"record_from": ["V_m"], "interval": RESOLUTION})
    nest.Connect(mm, post)
    nest.Simulate(DURATION)
    ev = mm.get("events")
    s = sr.get("events")
    vm = [ev["V_m"][ev["senders"] == i].tolist() for i in post.tolist()]
    c = nest.GetConnections(synapse_model="stdp_synapse")
    conns = sorted(zip((c.source), (c.target), c.weight, c.delay))
    out = dict(
        model="iaf_psc_alpha",
        pre_I_e=PRE_I_E,
        post_I_e=POST_I_E,
        inh_I_e=INH_I_E,
        tau_minus=TAU_MINUS,
        ex_weight=W_EX,
        ex_delay_ms=D_EX,
        ex_synapse=nest_keys(SYN_EX),
        in_weight=W_IN,
        in_delay_ms=D_IN,
        in_synapse=nest_keys(SYN_IN),
        resolution_ms=RESOLUTION,
        duration_ms=DURATION,
        spike_senders=(s["senders"] - 1).tolist(),
        spike_times_ms=s["times"].tolist(),
        vm_mV=vm,
        final_sources=[x[0] - 1 for x in conns],
        final_targets=[x[1] - 1 for x in conns],
        final_weights=[x[2] for x in conns],
        final_delays_ms=[x[3] for x in conns],
        nest_version=nest.__version__,
    )
    with open(os.path.join(HERE, "stdp_network.json"), "w") as f:
        json.dump(out, f)
    post_spikes = [t for i, t in zip(out["spike_senders"], out["spike_times_ms"]) if i >= 5]
    print("stdp_network: %d spikes, %d of post; weights %s" % (
        len(out["spike_times_ms"]), len(post_spikes), [round(w, 4) for w in out["final_weights"]]))


def train(seed, n, lo, hi):
    import numpy as np
    rng = np.random.default_rng(seed)
    t = list(rng.uniform(lo, hi, n))
    for c in rng.uniform(lo, hi - 20.0, 3):
        t += list(c + np.cumsum(rng.uniform(0.5, 2.0, 8)))
    return np.round(np.sort(t), 1)


P_SYN_EX = dict(lambda_=0.1, mu_plus=0.5, Wmax=500.0)
P_SYN_IN = dict(lambda_=0.05, Wmax=-300.0)
PARROT_DELAY = 0.2


def parrot():
    import numpy as np
    nest.ResetKernel()
    nest.resolution = RESOLUTION
    nest.set_verbosity("M_ERROR")
    n = nest.Create("iaf_psc_alpha", params={"I_e": 370.0, "tau_minus": 25.0})
    t_ex = train(21, 60, 1.0, 480.0)
    t_ex = np.sort(np.concatenate([t_ex, t_ex[[7]]]))  # a repeated time
    t_in = train(22, 25, 1.0, 480.0)
    g_ex = nest.Create("spike_generator", params={"spike_times": t_ex.tolist()})
    g_in = nest.Create("spike_generator", params={"spike_times": t_in.tolist()})
    p_ex = nest.Create("parrot_neuron")
    p_in = nest.Create("parrot_neuron")
    nest.Connect(g_ex, p_ex, syn_spec=dict(delay=PARROT_DELAY))
    nest.Connect(g_in, p_in, syn_spec=dict(delay=PARROT_DELAY))
    nest.Connect(p_ex, n, syn_spec=dict(synapse_model="stdp_synapse", weight=200.0, delay=1.5, **nest_keys(P_SYN_EX)))
    nest.Connect(p_in, n, syn_spec=dict(synapse_model="stdp_synapse", weight=-100.0, delay=3.0, **nest_keys(P_SYN_IN)))
    sr = nest.Create("spike_recorder")
    nest.Connect(n, sr)
    mm = nest.Create("multimeter", params={"record_from": ["V_m"], "interval": RESOLUTION})
    nest.Connect(mm, n)
    nest.Simulate(500.0)
    c = nest.GetConnections(synapse_model="stdp_synapse")
    w = dict(zip(c.source, c.weight))
    out = dict(
        model="iaf_psc_alpha", I_e=370.0, tau_minus=25.0, resolution_ms=RESOLUTION, duration_ms=500.0,
        parrot_delay_ms=PARROT_DELAY,
        ex_times_ms=t_ex.tolist(), ex_weight=200.0, ex_delay_ms=1.5, ex_synapse=nest_keys(P_SYN_EX),
        in_times_ms=t_in.tolist(), in_weight=-100.0, in_delay_ms=3.0, in_synapse=nest_keys(P_SYN_IN),
        spike_times_ms=sr.get("events")["times"].tolist(),
        vm_mV=mm.get("events")["V_m"].tolist(),
        final_ex_weight=w[p_ex.global_id], final_in_weight=w[p_in.global_id],
        nest_version=nest.__version__,
    )
    with open(os.path.join(HERE, "stdp_parrot.json"), "w") as f:
        json.dump(out, f)
    print("stdp_parrot: %d spikes %s, final weights %s %s" % (
        len(out["spike_times_ms"]), out["spike_times_ms"][:5], out["final_ex_weight"], out["final_in_weight"]))


if __name__ == "__main__":
    network()
    parrot()
