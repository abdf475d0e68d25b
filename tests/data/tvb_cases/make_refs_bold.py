#!/usr/bin/env python3
"""Reference runs of tvb-library 2.10's Bold monitor with its other
haemodynamic kernels (`hrf_kernel`: Gamma, DoubleExponential,
MixtureOfGammas), as make_refs.py's g2d_bold (Generic2dOscillator, 76
regions, Heun, period 500 ms, 3000 ms, the default 20 s kernel), and
bold_kernels.json: each kernel's `hemodynamic_response_function` (reversed
G, every 7th of its 5000 samples) with its defaults and with other
parameters, for the kernel-level tests of models/src/monitors/bold.rs.

Run:  python make_refs_bold.py   (needs tvb-library, tvb-data; about a minute)
"""
import json
import os
import sys
import warnings

os.environ.setdefault("NPY_DISABLE_CPU_FEATURES", "X86_V4 X86_V3")
import numpy as np  # noqa: E402

warnings.filterwarnings("ignore")
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from make_refs import OUT, case  # noqa: E402
from tvb.datatypes import equations  # noqa: E402
from tvb.simulator.lab import coupling, integrators, models, monitors  # noqa: E402

KERNELS = [
    ("FirstOrderVolterra", dict(tau_s=0.65, tau_f=0.41, k_1=5.0, V_0=0.03)),
    ("Gamma", dict(tau=0.9, n=4.0, a=0.2)),
    ("DoubleExponential", dict(tau_1=5.0, f_1=0.05, amp_1=0.2, tau_2=6.0, f_2=0.1, amp_2=0.05, a=0.3)),
    ("MixtureOfGammas", dict(a_1=5.5, a_2=12.0, l=1.2, c=0.35)),
]


def kernels():
    out = []
    for name, other in KERNELS:
        for p in (None, other):
            k = getattr(equations, name)()
            if p is not None:
                k.parameters.update({kk: float(v) for kk, v in p.items()})
            m = monitors.Bold(hrf_kernel=k)
            m.dt = 0.1
            m.compute_hrf()
            h = m.hemodynamic_response_function[0]
            out.append(dict(name=name, params={} if p is None else p, len=int(h.size),
                            every=7, values=[float(v) for v in h[::7]]))
    json.dump(out, open(os.path.join(OUT, "bold_kernels.json"), "w"))
    print("bold_kernels.json", len(out))


def main():
    kernels()
    dt = 0.1
    for name, short in [("Gamma", "gamma"), ("DoubleExponential", "dexp"), ("MixtureOfGammas", "mog")]:
        case("g2d_bold_" + short, models.Generic2dOscillator(), coupling.Linear(a=np.array([0.0042])),
             integrators.HeunDeterministic(dt=dt),
             monitors.Bold(period=500.0, hrf_kernel=getattr(equations, name)()), 3000.0,
             meta=dict(coupling_params=dict(a=0.0042, b=0.0), period_ms=500.0, hrf_kernel=name))


if __name__ == "__main__":
    sys.exit(main())
