#!/usr/bin/env python3
"""NEST 3.10 references for plastic synapses of the `input` table
(`spiking_network.input.synapse`): proxy trains into two spiking regions.

Two regions (a, b), each with populations E (2 iaf_psc_alpha neurons,
I_e = 350 pA) and I (1 neuron, I_e = 365 pA), ids in the graph's order
(a.E 0-1, a.I 2, b.E 3-4, b.I 5). One irregular spike train per region
(bursts, a repeated time in region a's), each from a spike_generator
through a parrot_neuron (delay 0.2 ms; NEST connects plastic synapses from
neurons only), reaches every neuron of its region twice (the input table's
trains_per_region = 1, indegree = 2: two synapses of the same train, each
with its own state), delay 1.5 ms from the parrot's spike (in the graph:
an edge of 0.5 ms into spikes_in and input.delay_ms = 1.0 after it).

input_tsodyks2: tsodyks2_synapse, weight 400 pA, U = u = 0.2, x = 1,
tau_rec = 150 ms, tau_fac = 250 ms (facilitating and depressing).
input_stdp: stdp_synapse, weight 150 pA, tau_plus = 15 ms, lambda = 0.1,
alpha = 1.2, mu_plus = 0.5, mu_minus = 0.8, Wmax = 400 pA; the neurons'
tau_minus 25 ms.

Resolution 0.1 ms, 300 ms. Records every spike, V_m of neurons 0, 2 and 4
every step, and (stdp) the final weight of every synapse.

Run: target/pyenv/bin/python tests/data/nest/make_refs_input_plastic.py
"""
import json
import os

import nest
import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
RESOLUTION = 0.1
DURATION = 300.0
VM_OF = [0, 2, 4]  # a.E, a.I, b.E
PARROT_DELAY = 0.2
DELAY = 1.5
I_E = {"E": 350.0, "I": 365.0}
TAU_MINUS = 25.0
TSODYKS2 = dict(U=0.2, u=0.2, x=1.0, tau_rec=150.0, tau_fac=250.0)
STDP = dict(tau_plus=15.0, lambda_=0.1, alpha=1.2, mu_plus=0.5, mu_minus=0.8, Wmax=400.0)
W_TSODYKS2 = 400.0
W_STDP = 150.0


def nest_keys(d):
    return {("lambda" if k == "lambda_" else k): v for k, v in d.items()}


def train(seed, n, lo, hi):
    rng = np.random.default_rng(seed)
    t = list(rng.uniform(lo, hi, n))
    for c in rng.uniform(lo, hi - 20.0, 3):
        t += list(c + np.cumsum(rng.uniform(0.5, 2.0, 8)))
    return np.round(np.sort(t), 1)


def trains():
    a = train(31, 40, 1.0, 280.0)
    a = np.sort(np.concatenate([a, a[[9]]]))  # a repeated time
    b = train(32, 30, 1.0, 280.0)
    return a, b


def run(model, weight, syn):
    nest.ResetKernel()
    nest.resolution = RESOLUTION
    nest.set_verbosity("M_ERROR")
    neurons = []
    regions = []
    for _ in range(2):
        e = nest.Create("iaf_psc_alpha", 2, params={"I_e": I_E["E"], "tau_minus": TAU_MINUS})
        i = nest.Create("iaf_psc_alpha", 1, params={"I_e": I_E["I"], "tau_minus": TAU_MINUS})
        regions.append(e + i)
        neurons.append(e + i)
    every = neurons[0] + neurons[1]
    ids = every.tolist()
    for times, region in zip(trains(), regions):
        g = nest.Create("spike_generator", params={"spike_times": times.tolist()})
        p = nest.Create("parrot_neuron")
        nest.Connect(g, p, syn_spec=dict(delay=PARROT_DELAY))
        for _ in range(2):  # indegree 2 from the region's one train
            nest.Connect(p, region, "all_to_all",
                         syn_spec=dict(synapse_model=model, weight=weight, delay=DELAY, **nest_keys(syn)))
    sr = nest.Create("spike_recorder")
    nest.Connect(every, sr)
    mm = nest.Create("multimeter", params={"record_from": ["V_m"], "interval": RESOLUTION})
    nest.Connect(mm, every)
    nest.Simulate(DURATION)
    ev = mm.get("events")
    s = sr.get("events")
    vm = [ev["V_m"][ev["senders"] == ids[k]].tolist() for k in VM_OF]
    c = nest.GetConnections(synapse_model=model)
    out = dict(
        model="iaf_psc_alpha",
        synapse_model=model,
        weight=weight,
        synapse=nest_keys(syn),
        spike_senders=[ids.index(x) for x in s["senders"]],
        spike_times_ms=s["times"].tolist(),
        vm_mV=vm,
        final_weights=sorted(c.weight) if model == "stdp_synapse" else [],
    )
    return out


if __name__ == "__main__":
    a, b = trains()
    ts = run("tsodyks2_synapse", W_TSODYKS2, TSODYKS2)
    st = run("stdp_synapse", W_STDP, STDP)
    static = run("static_synapse", W_STDP, {})
    out = dict(
        resolution_ms=RESOLUTION,
        duration_ms=DURATION,
        parrot_delay_ms=PARROT_DELAY,
        delay_ms=DELAY,
        I_e=I_E,
        tau_minus=TAU_MINUS,
        vm_of=VM_OF,
        train_a_ms=a.tolist(),
        train_b_ms=b.tolist(),
        tsodyks2=ts,
        stdp=st,
        static_stdp_weight_spikes=len(static["spike_times_ms"]),
        nest_version=nest.__version__,
    )
    with open(os.path.join(HERE, "input_plastic.json"), "w") as f:
        json.dump(out, f)
    print("input_tsodyks2: %d spikes; input_stdp: %d spikes (static: %d), weights %.1f..%.1f" % (
        len(ts["spike_times_ms"]), len(st["spike_times_ms"]), len(static["spike_times_ms"]),
        min(st["final_weights"]), max(st["final_weights"])))
