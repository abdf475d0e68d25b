"""The spiking regions of graphs/cosim_wc76_netpyne.toml, in NetPyNE/NEURON.

brainstream starts this script (the `external` actor's `command`). For
each proxy region it builds with NetPyNE the network of
cosim_wc76_nest.toml — 800 excitatory and 200 inhibitory neurons, fixed
in-degree recurrence (E→E, E→I 80 of 20 pA, I→E, I→I 20 of −100 pA, 1.5 ms),
a 4 kHz Poisson background of 20 pA per neuron — with NEURON's cell for
the graph's `config.model` (default iaf_psc_alpha, NEST's defaults:
IntFire4, see brainstream_client.netpyne). A model NEURON has no cell for
is refused by name. The adapter delivers the proxy trains (or, with
`config.input = "rates"`, draws them from the rates) and runs NEURON
window by window.
"""

import numpy as np
from netpyne import sim, specs

from brainstream_client import Session, SessionError
from brainstream_client.netpyne import NetpyneInterface, point_neuron

session = Session()
cfg = session.config
try:
    # NEST's model name and parameters (iaf_psc_alpha's defaults unless
    # `config.params` says otherwise) → NEURON's cell; refused by name
    neuron = point_neuron(cfg.get("model", "iaf_psc_alpha"), **cfg.get("params", {}))
except SessionError as e:
    session.fail(str(e))
    raise

net = specs.NetParams()
sim_cfg = specs.SimConfig()
sim_cfg.dt = session.dt_ms
sim_cfg.duration = session.total_steps * session.dt_ms
sim_cfg.verbose = False
sim_cfg.printRunTime = False
sim_cfg.printPopAvgRates = False
sim_cfg.timing = False
sim_cfg.progressBar = 0
sim_cfg.createNEURONObj = True
sim_cfg.createPyStruct = False
sim_cfg.gatherOnlySimData = True
sim_cfg.saveDataInclude = []
seed = session.seed % (2**31 - 1)
sim_cfg.seeds = {"conn": seed, "stim": seed + 1, "loc": seed + 2, "cell": seed + 3}

rng = np.random.default_rng(seed)


def fixed_indegree(n_pre, n_post, k, autapses):
    """NEST's fixed_indegree: [pre, post] pairs, each post drawing k of the
    n_pre, with multapses; without autapses within a population, as NetPyNE
    drops them from a list (NEST would keep ~0.1 % of these connections).
    (NetPyNE's own `convergence` takes ~100 µs a connection, a list less.)"""
    post = np.repeat(np.arange(n_post), k).reshape(n_post, k)
    if autapses:
        pre = rng.integers(0, n_pre, size=(n_post, k))
    else:
        pre = rng.integers(0, n_pre - 1, size=(n_post, k))
        pre += pre >= post
    return np.stack([pre.ravel(), post.ravel()], axis=1).tolist()


sizes = {"E": 800, "I": 200}
regions = {}
for label in session.regions:
    names = {p: f"{label}.{p}" for p in sizes}
    for p, n in sizes.items():
        net.popParams[names[p]] = dict(neuron.cell_params, numCells=n)
        # the Poisson background: one 4 kHz NetStim per neuron, 20 pA
        net.popParams[f"{names[p]}.bg"] = {"cellModel": "NetStim", "numCells": n, "rate": 4000.0,
                                          "noise": 1.0, "start": 0.0, "number": 1e9}
        net.connParams[f"{names[p]}.bg->{names[p]}"] = {
            "preConds": {"pop": f"{names[p]}.bg"}, "postConds": {"pop": names[p]},
            "connList": [[i, i] for i in range(n)], "weight": neuron.weight(20.0), "delay": 0.1}
    for src, tgt, k, w in [("E", "E", 80, 20.0), ("E", "I", 80, 20.0), ("I", "E", 20, -100.0),
                           ("I", "I", 20, -100.0)]:
        net.connParams[f"{names[src]}->{names[tgt]}"] = {
            "preConds": {"pop": names[src]}, "postConds": {"pop": names[tgt]},
            "connList": fixed_indegree(sizes[src], sizes[tgt], k, src != tgt), "weight": neuron.weight(w),
            "delay": 1.5}
    regions[label] = names
sim.create(netParams=net, simConfig=sim_cfg, output=False)

if cfg.get("input", "spikes") == "rates":
    # the rates of the proxy trains instead: the adapter draws the trains
    # (100 shared per region, as NEST's inhomogeneous_poisson_generator and parrots)
    NetpyneInterface(session, regions, neuron, rates_in={
        "targets": ["E", "I"], "parrots_per_region": 100, "indegree": 10,
        "weight": 20.0, "delay_ms": 0.1}).run()
else:
    NetpyneInterface(session, regions, neuron,
                     spikes_in={"trains_per_region": 100, "targets": ["E", "I"], "indegree": 10,
                                "weight": 20.0, "delay_ms": 0.1}).run()
