#!/usr/bin/env python3
"""NEST 3.10 reference runs for brainstream's spiking neuron models.

iaf_psc_alpha_single: one iaf_psc_alpha neuron (NEST defaults, I_e = 376 pA,
just above rheobase) driven by a spike_generator through an excitatory
(+120 pA) and an inhibitory (-90 pA) static synapse, delay 1.0 ms,
resolution 0.1 ms, 300 ms. Records the output spike times and V_m every
step (multimeter interval 0.1 ms).

Other models, one function or call each (files: how they are made):
- iaf_psc_exp_single, iaf_psc_exp_step_current: iaf_psc_exp()
- iaf_cond_exp_single: single("iaf_cond_exp", ...) in __main__
- aeif_cond_exp_single, aeif_cond_exp_step_current: aeif_cond_exp()
- aeif_cond_alpha_single, aeif_cond_alpha_step_current: aeif_cond_alpha()
- izhikevich_single, izhikevich_step_current: izhikevich()
- hh_psc_alpha_single, hh_psc_alpha_step_current: hh_psc_alpha()

Run: python make_refs.py   (needs `pip install nest-simulator`);
one model's: python -c 'import make_refs; make_refs.iaf_psc_exp()' from
this folder.
"""
import json
import os

import nest
import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))


def single(model, I_e, w_ex, w_in, fname):
    """One `model` neuron (NEST defaults, I_e) driven by a spike_generator
    through an excitatory and an inhibitory static synapse (delay 1 ms),
    resolution 0.1 ms, 300 ms; spike times and V_m every step."""
    nest.ResetKernel()
    nest.resolution = 0.1
    n = nest.Create(model, params={"I_e": I_e})
    rng = np.random.default_rng(1)
    t_ex = np.unique(np.round(np.sort(rng.uniform(1.0, 290.0, 60)), 1))
    t_in = np.unique(np.round(np.sort(rng.uniform(1.0, 290.0, 40)), 1))
    g_ex = nest.Create("spike_generator", params={"spike_times": t_ex.tolist()})
    g_in = nest.Create("spike_generator", params={"spike_times": t_in.tolist()})
    nest.Connect(g_ex, n, syn_spec={"weight": w_ex, "delay": 1.0})
    nest.Connect(g_in, n, syn_spec={"weight": w_in, "delay": 1.0})
    sr = nest.Create("spike_recorder")
    nest.Connect(n, sr)
    mm = nest.Create("multimeter", params={"record_from": ["V_m"], "interval": 0.1})
    nest.Connect(mm, n)
    nest.Simulate(300.0)
    ev = mm.get("events")
    out = dict(model=model, params=dict(I_e=I_e), resolution_ms=0.1, duration_ms=300.0, delay_ms=1.0,
               ex_times_ms=t_ex.tolist(), ex_weight_pA=w_ex, in_times_ms=t_in.tolist(), in_weight_pA=w_in,
               spike_times_ms=sr.get("events")["times"].tolist(), vm_times_ms=ev["times"].tolist(),
               vm_mV=ev["V_m"].tolist(), nest_version=nest.__version__)
    json.dump(out, open(os.path.join(HERE, fname), "w"))
    print("%s: %d output spikes, first %s" % (fname, len(out["spike_times_ms"]), out["spike_times_ms"][:5]))


def step_current(model="iaf_psc_alpha", times=(50.0, 150.0), duration=200.0, fname="step_current.json", params=None,
                 amplitude=400.0):
    """One `model` neuron (NEST defaults, I_e = 0, or `params`) driven by a
    step_current_generator (`amplitude` pA from times[0], 0 from times[1];
    delay 0.1 ms), `duration` ms."""
    nest.ResetKernel()
    nest.resolution = 0.1
    n = nest.Create(model, params=params or {})
    sc = nest.Create("step_current_generator", params={"amplitude_times": list(times), "amplitude_values": [amplitude, 0.0]})
    nest.Connect(sc, n, syn_spec={"delay": 0.1})
    sr = nest.Create("spike_recorder")
    nest.Connect(n, sr)
    mm = nest.Create("multimeter", params={"record_from": ["V_m"], "interval": 0.1})
    nest.Connect(mm, n)
    nest.Simulate(duration)
    ev = mm.get("events")
    out = dict(model=model, amplitude_times_ms=list(times), amplitude_values_pA=[amplitude, 0.0],
               delay_ms=0.1, resolution_ms=0.1, duration_ms=duration, spike_times_ms=sr.get("events")["times"].tolist(),
               vm_mV=ev["V_m"].tolist(), nest_version=nest.__version__)
    if params:
        out["params"] = params
    json.dump(out, open(os.path.join(HERE, fname), "w"))
    print("%s: %d spikes, first %s" % (fname, len(out["spike_times_ms"]), out["spike_times_ms"][:3]))


def iaf_psc_exp():
    """iaf_psc_exp_single.json (as `single`) and iaf_psc_exp_step_current.json
    (a step current of 400 pA from 20 to 70 ms, 100 ms)."""
    single("iaf_psc_exp", 376.0, 120.0, -90.0, "iaf_psc_exp_single.json")
    step_current("iaf_psc_exp", (20.0, 70.0), 100.0, "iaf_psc_exp_step_current.json")


def aeif_cond_exp():
    """aeif_cond_exp_single.json (as `single`) and
    aeif_cond_exp_step_current.json (I_e = 300 pA and a step current of
    400 pA from 20 to 70 ms, 100 ms)."""
    single("aeif_cond_exp", 1000.0, 20.0, -10.0, "aeif_cond_exp_single.json")
    step_current("aeif_cond_exp", (20.0, 70.0), 100.0, "aeif_cond_exp_step_current.json", {"I_e": 300.0})


def aeif_cond_alpha():
    """aeif_cond_alpha_single.json (as `single`) and
    aeif_cond_alpha_step_current.json (I_e = 300 pA and a step current of
    400 pA from 20 to 70 ms, 100 ms)."""
    single("aeif_cond_alpha", 1000.0, 20.0, -10.0, "aeif_cond_alpha_single.json")
    step_current("aeif_cond_alpha", (20.0, 70.0), 100.0, "aeif_cond_alpha_step_current.json", {"I_e": 300.0})


def izhikevich():
    """izhikevich_single.json (as `single`, weights in mV) and
    izhikevich_step_current.json (a step current of 10 pA from 20 to 70 ms,
    100 ms)."""
    single("izhikevich", 8.0, 6.0, -4.0, "izhikevich_single.json")
    step_current("izhikevich", (20.0, 70.0), 100.0, "izhikevich_step_current.json", amplitude=10.0)


def hh_psc_alpha():
    """hh_psc_alpha_single.json (as `single`) and
    hh_psc_alpha_step_current.json (a step current of 800 pA from 20 to
    70 ms, 100 ms)."""
    single("hh_psc_alpha", 700.0, 150.0, -100.0, "hh_psc_alpha_single.json")
    step_current("hh_psc_alpha", (20.0, 70.0), 100.0, "hh_psc_alpha_step_current.json", amplitude=800.0)


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


COND = dict(n=1000, frac_e=0.8, w_e=0.5, w_i=-2.0, delay=1.5, bg_rate=8000.0, bg_weight=1.5,
            bg_delay=1.0, v_lo=-70.0, v_hi=-55.0, t_sim=1000.0)


def cond_network(seed):
    """shared/peers/nest_ref.py --recurrent: 1000 iaf_cond_alpha (800 E, 200 I),
    V_m uniform in [-70, -55] mV, fixed in-degree 80 E (+0.5 nS) and 20 I
    (-2 nS) onto every neuron, delay 1.5 ms; one poisson_generator (8 kHz,
    1.5 nS, delay 1 ms) onto all."""
    c = COND
    nest.ResetKernel()
    nest.resolution = 0.1
    nest.rng_seed = seed
    pop = nest.Create("iaf_cond_alpha", c["n"])
    pop.V_m = nest.random.uniform(c["v_lo"], c["v_hi"])
    pg = nest.Create("poisson_generator", params={"rate": c["bg_rate"]})
    nest.Connect(pg, pop, syn_spec={"weight": c["bg_weight"], "delay": c["bg_delay"]})
    ne = int(c["frac_e"] * c["n"])
    e, i = pop[:ne], pop[ne:]
    nest.Connect(e, pop, {"rule": "fixed_indegree", "indegree": int(0.1 * ne)}, {"weight": c["w_e"], "delay": c["delay"]})
    nest.Connect(i, pop, {"rule": "fixed_indegree", "indegree": int(0.1 * (c["n"] - ne))}, {"weight": c["w_i"], "delay": c["delay"]})
    sr = nest.Create("spike_recorder")
    nest.Connect(pop, sr)
    nest.Simulate(c["t_sim"])
    return sr.get("n_events") / c["n"] / (c["t_sim"] / 1000.0)


def cond():
    rates = [cond_network(seed) for seed in (1, 2, 3)]
    out = dict(COND, model="iaf_cond_alpha", resolution_ms=0.1, rate_hz=float(np.mean(rates)),
               rates_per_seed=rates, nest_version=nest.__version__)
    json.dump(out, open(os.path.join(HERE, "iaf_cond_alpha_network.json"), "w"), indent=1)
    print("iaf_cond_alpha_network: %.2f Hz (seeds %s)" % (out["rate_hz"], rates))


def brunel():
    rates = [iaf_psc_alpha_brunel(seed) for seed in (1, 2, 3)]
    out = dict(BRUNEL, model="iaf_psc_alpha", resolution_ms=0.1,
               rate_e_hz=float(np.mean([r[0] for r in rates])),
               rate_i_hz=float(np.mean([r[1] for r in rates])),
               rates_per_seed=rates, nest_version=nest.__version__)
    json.dump(out, open(os.path.join(HERE, "iaf_psc_alpha_brunel.json"), "w"), indent=1)
    print("iaf_psc_alpha_brunel: E %.2f Hz, I %.2f Hz (seeds %s)" % (out["rate_e_hz"], out["rate_i_hz"], rates))


if __name__ == "__main__":
    step_current()
    iaf_psc_alpha_single()
    single("iaf_cond_alpha", 320.0, 15.0, -10.0, "iaf_cond_alpha_single.json")
    aeif_cond_exp()
    iaf_psc_exp()
    single("iaf_cond_exp", 320.0, 30.0, -20.0, "iaf_cond_exp_single.json")
    aeif_cond_alpha()
    izhikevich()
    hh_psc_alpha()
    brunel()
    cond()
