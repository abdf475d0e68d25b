#!/usr/bin/env python3
"""Reference runs of tvb-library 2.10 with coloured (Ornstein-Uhlenbeck)
integration noise, `Additive`/`Multiplicative` with `ntau > 0`, as
make_refs.py makes the others (same connectome, speed 3 mm/ms, dt 0.1 ms,
golden constant initial history, Raw monitor keeping one sample per ms, same
files; see its docstring). Each case's JSON holds `nsig`, `noise_seed` and
`ntau` (ms).

tvb-library's coloured noise (tvb/simulator/noise.py): at
`Simulator.configure()`, before the history is made, `configure_coloured`
draws the initial `eta = normal(size=(nintvar, N, modes))` from the noise's
RandomState (the first draws of the stream: the initial history given here
covers the horizon, so none is drawn for it); every step then draws
`normal(size=(nvar, N, modes))` and returns
`dt·sqrt(1/ntau)·eta` with `eta ← eta·E + sqrt(1 − E²)·z`, `E = exp(−dt/ntau)`,
multiplied by `gfun(X)` as white noise is.

Run (a few seconds):  python make_refs_noise.py   (needs tvb-library, tvb-data)
"""
import os
import sys
import warnings

os.environ.setdefault("NPY_DISABLE_CPU_FEATURES", "X86_V4 X86_V3")
import numpy as np  # noqa: E402

warnings.filterwarnings("ignore")
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from make_refs import case  # noqa: E402
from tvb.simulator.lab import coupling, integrators, models, monitors, noise  # noqa: E402

LIN = dict(coupling_params=dict(a=0.0042, b=0.0))


def lin():
    return coupling.Linear(a=np.array([0.0042]))


def main():
    dt = 0.1
    # additive, Heun: G2D with a correlation time of 1 ms (10 steps)
    nz = noise.Additive(nsig=np.array([1e-3]), ntau=1.0, noise_seed=42)
    case("g2d_heun_coloured", models.Generic2dOscillator(), lin(),
         integrators.HeunStochastic(dt=dt, noise=nz), monitors.Raw(), 100.0,
         meta=dict(LIN, nsig=[1e-3], noise_seed=42, ntau=1.0))
    # multiplicative (b = Linear(a=1, b=0)), Heun, 2.5 ms
    nz = noise.Multiplicative(nsig=np.array([1e-4]), ntau=2.5, noise_seed=3)
    case("g2d_heun_coloured_multiplicative", models.Generic2dOscillator(), lin(),
         integrators.HeunStochastic(dt=dt, noise=nz), monitors.Raw(), 100.0,
         meta=dict(LIN, nsig=[1e-4], noise_seed=3, ntau=2.5,
                   noise="multiplicative, b = Linear(a=1, b=0)"))
    # additive, Euler: ReducedWongWang (one variable), 0.5 ms
    nz = noise.Additive(nsig=np.array([1e-5]), ntau=0.5, noise_seed=7)
    case("rww_euler_coloured", models.ReducedWongWang(), lin(),
         integrators.EulerStochastic(dt=dt, noise=nz), monitors.Raw(), 100.0,
         meta=dict(LIN, nsig=[1e-5], noise_seed=7, ntau=0.5))


if __name__ == "__main__":
    sys.exit(main())
