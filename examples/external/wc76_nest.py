"""The spiking regions of graphs/cosim_wc76_nest.toml, in NEST.

brainstream starts this script (the `external` actor's `command`) and
talks to it over ZeroMQ. The script builds, for each proxy region, the
same network as the built-in `spiking_network` of cosim_wc76_spiking.toml
— 800 excitatory and 200 inhibitory iaf_psc_alpha neurons, fixed in-degree
recurrence, Poisson background — and names the proxies; the adapter
creates the proxy devices, runs NEST window by window and sends spikes
and population rates back.
"""

import nest

from brainstream_client import Session
from brainstream_client.nest import NestInterface

session = Session()  # connects to brainstream, reads dt, seed, regions, config
cfg = session.config

nest.set_verbosity("M_ERROR")
nest.ResetKernel()
nest.resolution = session.dt_ms
nest.local_num_threads = int(cfg.get("threads", 1))
nest.rng_seed = session.seed % (2**31 - 1) + 1

regions = {}
background = nest.Create("poisson_generator", params={"rate": 4000.0})
for label in session.regions:
    E = nest.Create("iaf_psc_alpha", 800)
    I = nest.Create("iaf_psc_alpha", 200)
    nest.Connect(background, E + I, syn_spec={"weight": 20.0, "delay": 0.1})
    for src, tgt, k, w in [(E, E, 80, 20.0), (E, I, 80, 20.0), (I, E, 20, -100.0), (I, I, 20, -100.0)]:
        nest.Connect(src, tgt, {"rule": "fixed_indegree", "indegree": k},
                     {"weight": w, "delay": 1.5})
    regions[label] = {"E": E, "I": I}

NestInterface(
    session,
    regions,
    # the mean field's Poisson proxy trains: 100 per region, each neuron
    # drawing 10 of them (as the built-in network's `input`)
    spikes_in={"trains_per_region": 100, "targets": ["E", "I"], "indegree": 10,
               "weight": 20.0, "delay_ms": 0.1},
).run()
