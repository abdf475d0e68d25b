#!/usr/bin/env python3
"""Reference runs of tvb-library 2.10 for the couplings HyperbolicTangent and
PreSigmoidal (static and dynamic forms), made as
make_refs.py makes the others (same connectome, initial state, monitor and
files; see its docstring), with numpy's baseline loops
(NPY_DISABLE_CPU_FEATURES="X86_V4 X86_V3": its tanh is glibc's, as ours).

tvb76's weights are not symmetric and 66 of its 76 diagonal entries are not
zero, so PreSigmoidal's transposed sums and its "direct output" (the
diagonal term, H*Q only where the diagonal is 0) are all exercised.

Run:  python make_refs_couplings.py   (needs tvb-library, tvb-data)
"""
import os
import sys

os.environ.setdefault("NPY_DISABLE_CPU_FEATURES", "X86_V4 X86_V3")
import numpy as np  # noqa: E402

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from make_refs import case  # noqa: E402
from tvb.simulator.lab import coupling, integrators, models, monitors  # noqa: E402


def main():
    dt = 0.1
    H = integrators.HeunDeterministic
    # every parameter away from its default (b: TVB's code has b·x_j, its
    # docstring not); a small a keeps the oscillators going
    htanh = dict(a=0.005, b=0.8, midpoint=0.2, sigma=1.5)
    case("g2d_htanh_heun", models.Generic2dOscillator(),
         coupling.HyperbolicTangent(**{k: np.array([v]) for k, v in htanh.items()}),
         H(dt=dt), monitors.Raw(), 200.0, meta=dict(coupling_params=htanh))
    # Hopfield's static form, PreSigmoidal's static form (globalT changes
    # nothing there: theta[0] and theta[:] are the same scalar)
    static = dict(dynamic=0.0, theta=0.3, G=10.0)
    case("hopfield_presig_static_heun", models.Hopfield(),
         coupling.PreSigmoidal(dynamic=False, theta=np.array([0.3]), G=np.array([10.0])),
         H(dt=dt), monitors.Raw(), 200.0, meta=dict(coupling_params=static))
    # the dynamic form: Hopfield(dynamic=1) couples x and theta
    # (brainstream's HopfieldDynamic); PreSigmoidal's defaults, then others.
    # globalT=True is not run: tvb-library 2.10 raises at its first step
    # (`c_1[:] = c_1.mean()` writes into numpy.diag's read-only view)
    case("hopfield_dynamic_presig_heun", models.Hopfield(dynamic=np.array([1])), coupling.PreSigmoidal(),
         H(dt=dt), monitors.Raw(), 200.0, meta=dict(coupling_params={}, model_params=dict(dynamic=1)))
    other = dict(H=0.2, Q=0.8, G=5.0, P=1.3)
    case("hopfield_dynamic_presig_params_heun", models.Hopfield(dynamic=np.array([1])),
         coupling.PreSigmoidal(**{k: np.array([v]) for k, v in other.items()}),
         H(dt=dt), monitors.Raw(), 200.0, meta=dict(coupling_params=other, model_params=dict(dynamic=1)))

if __name__ == "__main__":
    sys.exit(main())
