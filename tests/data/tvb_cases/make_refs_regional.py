#!/usr/bin/env python3
"""Reference runs of tvb-library 2.10 with per-region (heterogeneous) model
parameters, as make_refs.py makes the others (same connectome, initial
state, monitor and files; see its docstring). The parameter arrays are in
each case's JSON (`regional`).

Run:  python make_refs_regional.py   (needs tvb-library, tvb-data)
"""
import os
import sys

os.environ.setdefault("NPY_DISABLE_CPU_FEATURES", "X86_V4 X86_V3")
import numpy as np  # noqa: E402

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from make_refs import case  # noqa: E402
from tvb.simulator.lab import coupling, integrators, models, monitors  # noqa: E402

PHI = 0.6180339887498949


def frac(k, shift):
    return np.mod(np.arange(76) * PHI + shift, 1.0)


def main():
    dt = 0.1
    j_n = 0.2609 + 0.2 * frac(76, 0.0)
    i_o = 0.3 + 0.1 * frac(76, 0.5)
    m = models.ReducedWongWang(J_N=j_n, I_o=i_o)
    case("rww_regional_heun", m, coupling.Linear(a=np.array([0.0042])),
         integrators.HeunDeterministic(dt=dt), monitors.Raw(), 200.0,
         meta=dict(coupling_params=dict(a=0.0042, b=0.0),
                   regional=dict(J_N=j_n.tolist(), I_o=i_o.tolist())))
    # a per-region parameter of a two-variable model, with noise
    a = -2.0 + 0.5 * frac(76, 0.25)
    m = models.Generic2dOscillator(a=a)
    case("g2d_regional_stochastic", m, coupling.Linear(a=np.array([0.0042])),
         integrators.HeunStochastic(dt=dt, noise=__import__("tvb.simulator.noise", fromlist=["Additive"]).Additive(
             nsig=np.array([1e-3]), noise_seed=11)),
         monitors.Raw(), 200.0,
         meta=dict(coupling_params=dict(a=0.0042, b=0.0), nsig=[1e-3], noise_seed=11,
                   regional=dict(a=a.tolist())))


if __name__ == "__main__":
    sys.exit(main())
