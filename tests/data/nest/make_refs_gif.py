#!/usr/bin/env python3
"""NEST 3.10 references for gif_cond_exp.

gif_hard: one gif_cond_exp with a hard threshold (Delta_V = 1e-9 mV,
lambda_0 = 1e12 /s: the escape probability is 1 just above the moving
threshold V_T and 0 below it, so the spikes do not depend on the random
draws), I_e = 150 pA, V_T_star = -50 mV, threshold adaptation
q_sfa = [5, 2] mV (tau_sfa = [100, 20] ms), spike-triggered currents
q_stc = [20, -5] (tau_stc = [30, 5] ms), driven by an excitatory
(+3 nS, delay 1.0 ms) and an inhibitory (-4 nS, delay 2.0 ms)
spike_generator; resolution 0.1 ms, 500 ms. Records the spike times and
V_m, E_sfa, I_stc every step.

gif_rate: 400 gif_cond_exp with NEST's escape noise (lambda_0 = 20 /s,
Delta_V = 2 mV, V_T_star = -60 mV, I_e = 40 pA, q_sfa = [3] mV /
tau_sfa = [50] ms, q_stc = [10] / tau_stc = [20] ms), 2000 ms: the
population's spike count (the draws are NEST's, not comparable spike by
spike).

Run: target/pyenv/bin/python tests/data/nest/make_refs_gif.py
"""
import json
import os

import nest

HERE = os.path.dirname(os.path.abspath(__file__))
RESOLUTION = 0.1

HARD = dict(I_e=150.0, Delta_V=1e-9, lambda_0=1e12, V_T_star=-50.0,
            q_sfa=[5.0, 2.0], tau_sfa=[100.0, 20.0], q_stc=[20.0, -5.0], tau_stc=[30.0, 5.0])
EX_TIMES = [20.0, 21.5, 40.0, 41.0, 42.0, 120.3, 250.0, 251.0, 252.5, 400.0]
IN_TIMES = [60.0, 61.0, 150.0, 300.5, 301.0, 302.0, 303.0, 450.0]
RATE = dict(lambda_0=20.0, Delta_V=2.0, V_T_star=-60.0, I_e=40.0,
            q_sfa=[3.0], tau_sfa=[50.0], q_stc=[10.0], tau_stc=[20.0])
N_RATE = 400


def hard():
    nest.ResetKernel()
    nest.resolution = RESOLUTION
    nest.set_verbosity("M_ERROR")
    n = nest.Create("gif_cond_exp", params=HARD)
    ge = nest.Create("spike_generator", params={"spike_times": EX_TIMES})
    gi = nest.Create("spike_generator", params={"spike_times": IN_TIMES})
    nest.Connect(ge, n, syn_spec=dict(weight=3.0, delay=1.0))
    nest.Connect(gi, n, syn_spec=dict(weight=-4.0, delay=2.0))
    sr = nest.Create("spike_recorder")
    nest.Connect(n, sr)
    mm = nest.Create("multimeter", params={"record_from": ["V_m", "E_sfa", "I_stc"], "interval": RESOLUTION})
    nest.Connect(mm, n)
    nest.Simulate(500.0)
    ev = mm.get("events")
    out = dict(
        params=HARD,
        ex_times_ms=EX_TIMES, ex_weight=3.0, ex_delay_ms=1.0,
        in_times_ms=IN_TIMES, in_weight=-4.0, in_delay_ms=2.0,
        resolution_ms=RESOLUTION, duration_ms=500.0,
        spike_times_ms=sr.get("events")["times"].tolist(),
        vm_mV=ev["V_m"].tolist(), e_sfa_mV=ev["E_sfa"].tolist(), i_stc=ev["I_stc"].tolist(),
        nest_version=nest.__version__,
    )
    with open(os.path.join(HERE, "gif_hard.json"), "w") as f:
        json.dump(out, f)
    print("gif_hard: %d spikes %s" % (len(out["spike_times_ms"]), out["spike_times_ms"][:8]))


def rate():
    nest.ResetKernel()
    nest.resolution = RESOLUTION
    nest.set_verbosity("M_ERROR")
    pop = nest.Create("gif_cond_exp", N_RATE, params=RATE)
    sr = nest.Create("spike_recorder")
    nest.Connect(pop, sr)
    nest.Simulate(2000.0)
    n = sr.get("n_events")
    out = dict(params=RATE, neurons=N_RATE, resolution_ms=RESOLUTION, duration_ms=2000.0,
               spikes=n, nest_version=nest.__version__)
    with open(os.path.join(HERE, "gif_rate.json"), "w") as f:
        json.dump(out, f)
    print("gif_rate: %d spikes, %.2f Hz" % (n, n / N_RATE / 2.0))


if __name__ == "__main__":
    hard()
    rate()
