"""The spiking regions of graphs/cosim_wc76_annarchy.toml, in ANNarchy 5.

brainstream starts this script (the `external` actor's `command`). For
each proxy region it builds the network of cosim_wc76_spiking.toml with
ANNarchy's IF_curr_alpha set to NEST's iaf_psc_alpha defaults (C_m 250 pF,
tau_m 10 ms, t_ref 2 ms, E_L = V_reset -70 mV, V_th -55 mV, tau_syn 2 ms;
weights in nA): 800 E + 200 I neurons, fixed in-degree recurrence, Poisson
background (four independent 1 kHz trains per neuron, 20 pA each). The
adapter adds the proxy devices, compiles, and runs window by window.
ANNarchy integrates with exponential Euler where NEST integrates exactly,
so rates differ a little from the NEST and built-in runs.
"""

import os

import ANNarchy as ann

from brainstream_client import Session
from brainstream_client.annarchy import AnnarchyInterface

session = Session()
cfg = session.config
ann.setup(suppress_warnings=True)
net = ann.Network(dt=session.dt_ms, seed=session.seed % (2**31 - 1))

neuron = ann.IF_curr_alpha(v_rest=-70.0, cm=0.25, tau_m=10.0, tau_refrac=2.0, tau_syn_E=2.0,
                           tau_syn_I=2.0, v_thresh=-55.0, v_reset=-70.0)
regions = {}
for label in session.regions:
    pop = net.create(geometry=1000, neuron=neuron)
    pop.v = -70.0
    E, I = pop[:800], pop[800:]
    for _ in range(4):
        bg = net.create(ann.PoissonPopulation(geometry=1000, rates=1000.0))
        net.connect(bg, pop, target="exc").one_to_one(weights=0.02, delays=0.1)
    for src, tgt, k, w, t in [(E, E, 80, 0.02, "exc"), (E, I, 80, 0.02, "exc"),
                              (I, E, 20, 0.1, "inh"), (I, I, 20, 0.1, "inh")]:
        net.connect(src, tgt, target=t).fixed_number_pre(number=k, weights=w, delays=1.5)
    regions[label] = {"E": E, "I": I}

compile_dir = cfg.get("compile_dir", os.path.join(os.environ.get("TMPDIR", "/tmp"), "brainstream_annarchy"))
if cfg.get("input", "spikes") == "rates":
    # the rates of the proxy trains: ANNarchy draws them (TimedPoissonPopulation)
    AnnarchyInterface(session, net, regions, compile_dir=compile_dir + "_rates",
                      rates_in={"targets": ["E", "I"], "parrots_per_region": 100,
                                "indegree": 10, "weight": 0.02, "delay_ms": 0.1}).run()
else:
    AnnarchyInterface(session, net, regions, compile_dir=compile_dir,
                      spikes_in={"trains_per_region": 100, "targets": ["E", "I"], "indegree": 10,
                                 "weight": 0.02, "delay_ms": 0.1}).run()
