#!/usr/bin/env python3
"""Reference runs of tvb-library 2.10 on large synthetic connectomes, for the
engine's batched coupling and its threads (models/tests/tvb_large.rs).

The connectome is benches/synthetic_connectome.py's (the generator of
benches/engine.rs: xorshift64, seed 42, weights non-zero with probability
`density`, tract lengths uniform in [10, 200) mm), built in memory, so the
test makes the same float64 matrices without a file. ReducedWongWang
(defaults), Linear coupling a = 0.0042, HeunDeterministic dt 0.1 ms, speed
3 mm/ms (delays 33–667 steps: every edge reaches past a batch of 32 steps),
the constant golden initial history of benches/tvb_peer.py, Raw monitor,
1000 steps (past the horizon, so the ring wraps); every 50th sample is kept.
Cases: 998 regions at 10 % (rows of about 100), 300 at 50 % (rows over 128:
numpy's pairwise halves), 300 at 10 % with a zero-length self-connection on
every third region (rows summed step by step beside batched ones).

For each case NAME it writes NAME_data.npy (samples, regions) float64 and
NAME_time.npy (samples,) ms since the start (the state after t/dt steps;
tvb-library itself stamps its first step horizon·dt).

NPY_DISABLE_CPU_FEATURES as in ../tvb_cases/make_refs.py (numpy's baseline
loops call glibc, as numba and brainstream do).

Run (about a minute):  python make_refs.py
"""
import os
import sys
import warnings

os.environ["NPY_DISABLE_CPU_FEATURES"] = "X86_V4 X86_V3"
import numpy as np  # noqa: E402

warnings.filterwarnings("ignore")
from tvb.simulator.lab import connectivity, coupling, integrators, models, monitors, simulator  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "..", "..", "benches"))
from synthetic_connectome import generate  # noqa: E402

STEPS = 1000
KEEP = 50


def case(name, n, density, self_every=0):
    w, lengths = generate(n, density, 42)
    if self_every:
        # self-connections of zero length on every k-th region: those rows
        # have a delay-0 edge and are summed step by step
        for i in range(0, n, self_every):
            w[i][i] = 0.5
            lengths[i][i] = 0.0
    conn = connectivity.Connectivity(
        weights=np.array(w), tract_lengths=np.array(lengths),
        region_labels=np.array(["r%d" % i for i in range(n)]),
        centres=np.zeros((n, 3)))
    conn.speed = np.array([3.0])
    conn.configure()
    sim = simulator.Simulator(model=models.ReducedWongWang(), connectivity=conn,
                              coupling=coupling.Linear(a=np.array([0.0042])),
                              integrator=integrators.HeunDeterministic(dt=0.1),
                              monitors=(monitors.Raw(),))
    conn.set_idelays(0.1)
    h = int(conn.idelays.max()) + 1
    frac = np.mod(np.arange(n) * 0.6180339887498949, 1.0)
    ic = (0.25 + 0.5 * frac)[None, :]
    sim.initial_conditions = np.repeat(ic[None, :, :, None], h, axis=0)
    sim.configure()
    (t, y), = sim.run(simulation_length=STEPS * 0.1)
    keep = slice(KEEP - 1, None, KEEP)
    np.save(os.path.join(HERE, name + "_data.npy"), np.ascontiguousarray(y[keep, 0, :, 0]))
    # tvb-library stamps the first step `horizon`·dt; kept here from the start
    assert np.allclose(t - t[0], np.arange(STEPS) * 0.1)
    np.save(os.path.join(HERE, name + "_time.npy"), np.arange(1, STEPS + 1)[keep] * 0.1)
    print(name, y.shape, "min delay", conn.idelays[conn.weights != 0].min(), "horizon", h)


if __name__ == "__main__":
    case("rww_syn998", 998, 0.1)
    case("rww_syn300_dense", 300, 0.5)
    case("rww_syn300_self", 300, 0.1, self_every=3)
