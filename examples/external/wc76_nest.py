"""The spiking regions of graphs/cosim_wc76_nest.toml, in NEST.

brainstream starts this script (the `external` actor's `command`) and
talks to it over ZeroMQ. The script builds, for each proxy region, the
same network as the built-in `spiking_network` of cosim_wc76_spiking.toml
— 800 excitatory and 200 inhibitory iaf_psc_alpha neurons, fixed in-degree
recurrence, Poisson background — and names the proxies; the adapter
creates the proxy devices, runs NEST window by window and sends spikes
and population rates back. (`build` is also used by
benches/compare_external.py to run the same network in NEST alone.)
"""

import nest

# the mean field's Poisson proxy trains: 100 per region, each neuron
# drawing 10 of them (as the built-in network's `input`)
SPIKES_IN = {"trains_per_region": 100, "targets": ["E", "I"], "indegree": 10,
             "weight": 20.0, "delay_ms": 0.1}


def build(labels, dt_ms, seed, threads=1, scale=1):
    """The network: {region label: {"E": neurons, "I": neurons}}; `scale`
    multiplies the population sizes (in-degrees stay)."""
    if hasattr(nest, "VerbosityLevel"):
        nest.verbosity = nest.VerbosityLevel.ERROR
    else:
        nest.set_verbosity("M_ERROR")
    nest.ResetKernel()
    nest.resolution = dt_ms
    nest.local_num_threads = threads
    nest.rng_seed = seed % (2**31 - 1) + 1
    regions = {}
    background = nest.Create("poisson_generator", params={"rate": 4000.0})
    for label in labels:
        E = nest.Create("iaf_psc_alpha", 800 * scale)
        I = nest.Create("iaf_psc_alpha", 200 * scale)
        nest.Connect(background, E + I, syn_spec={"weight": 20.0, "delay": 0.1})
        for src, tgt, k, w in [(E, E, 80, 20.0), (E, I, 80, 20.0), (I, E, 20, -100.0),
                               (I, I, 20, -100.0)]:
            nest.Connect(src, tgt, {"rule": "fixed_indegree", "indegree": k},
                         {"weight": w, "delay": 1.5})
        regions[label] = {"E": E, "I": I}
    return regions


if __name__ == "__main__":
    from brainstream_client import Session
    from brainstream_client.nest import NestInterface

    session = Session()  # connects to brainstream, reads dt, seed, regions, config
    regions = build(session.regions, session.dt_ms, session.seed,
                    int(session.config.get("threads", 1)), int(session.config.get("scale", 1)))
    # config `v_m = true`: also the populations' mean membrane potential
    v_m = bool(session.config.get("v_m", False))
    if session.config.get("input", "spikes") == "rates":
        # the rates of the proxy trains instead: NEST draws the trains
        # (one inhomogeneous Poisson generator per region, 100 parrots)
        NestInterface(session, regions, rates_in={
            "targets": ["E", "I"], "parrots_per_region": 100, "indegree": 10,
            "weight": 20.0, "delay_ms": 0.1}, record_v_m=v_m).run()
    else:
        NestInterface(session, regions, spikes_in=SPIKES_IN, record_v_m=v_m).run()
