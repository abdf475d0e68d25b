"""One NEST iaf_psc_alpha neuron as an external actor, for the runtime's
tests: its step current comes from the graph (`current_in`), its spikes
and membrane potential go back (`spikes`, `v_m`; the actor's
`config = { v_m = false }`: spikes only)."""

import nest

from brainstream_client import Session
from brainstream_client.nest import NestInterface

s = Session()
if hasattr(nest, "VerbosityLevel"):
    nest.verbosity = nest.VerbosityLevel.ERROR
nest.ResetKernel()
nest.resolution = s.dt_ms
n = nest.Create("iaf_psc_alpha", 1)
NestInterface(s, {s.regions[0]: {"n": n}}, current_in={"targets": ["n"]},
              record_v_m=bool(s.config.get("v_m", True))).run()
