"""One leaky integrator in ANNarchy as an external actor, for the runtime's
tests: its step current comes from the graph (`current_in`, injected into
`g_exc`), its membrane potential goes back (`v_m`). It never fires; between
spikes it is the built-in iaf_psc_alpha neuron under a step current, and
the exponential method integrates it exactly."""

import os

import ANNarchy as ann

from brainstream_client import Session
from brainstream_client.annarchy import AnnarchyInterface

s = Session()
net = ann.Network(dt=s.dt_ms)
neuron = ann.Neuron(
    parameters="tau_m = 10.0\nC_m = 250.0\nE_L = -70.0",
    equations="tau_m * dv/dt = E_L - v + g_exc * tau_m / C_m : init = -70.0, exponential",
    spike="v > 1e9",
    reset="v = E_L",
)
n = net.create(1, neuron)
build = os.path.join(os.environ.get("TMPDIR", "/tmp"), "brainstream_annarchy_one_neuron")
AnnarchyInterface(s, net, {s.regions[0]: {"n": n}}, current_in={"targets": ["n"]},
                  record_v_m=True, compile_dir=build).run()
