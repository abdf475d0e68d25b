#!/usr/bin/env python3
"""Reference runs of tvb-library 2.10 for brainstream's engine tests.

Each case is a real tvb-library simulation on the 76-region connectome of
tvb-data (connectivity_76.zip), speed 3 mm/ms, dt 0.1 ms, with the
deterministic constant initial history of shared/peers/tvb_ref.py, every
state variable recorded. For each case NAME it writes

  NAME_data.npy   float64 (samples, state variables, regions)
  NAME_time.npy   float64 (samples,) tvb-library's time stamps, ms
  NAME.json       model, parameters, coupling, integrator, noise, monitor

Raw cases keep every 10th step (1 ms) to stay small.

Run (about a minute):  python make_refs.py [adex]   (needs tvb-library, tvb-data;
`adex` makes only the TVB-AdEx cases)
"""
import json
import os
import sys
import warnings

import numpy as np

warnings.filterwarnings("ignore")
from tvb.simulator.lab import (connectivity, coupling, integrators, models,
                               monitors, noise, simulator)
import tvb_data

HERE = os.path.dirname(os.path.abspath(__file__))
CONN = os.path.join(os.path.dirname(tvb_data.__file__), "connectivity", "connectivity_76.zip")


def golden_ic(model, n, ranges=None):
    phi = 0.6180339887498949
    ic = np.zeros((len(model.state_variables), n))
    for k, sv in enumerate(model.state_variables):
        lo, hi = np.asarray((ranges or {}).get(sv, model.state_variable_range[sv]), dtype=float)
        frac = np.mod(np.arange(n) * phi + k * 0.1, 1.0)
        ic[k] = lo + (hi - lo) * (0.25 + 0.5 * frac)
    return ic


def case(name, model, cpl, integ, monitor, length, decimate=10, meta=None):
    conn = connectivity.Connectivity.from_file(CONN)
    conn.speed = np.array([3.0])
    conn.configure()
    model.variables_of_interest = tuple(model.state_variables)
    sim = simulator.Simulator(model=model, connectivity=conn, coupling=cpl,
                              integrator=integ, monitors=(monitor,))
    conn.set_idelays(integ.dt)
    horizon = int(conn.idelays.max()) + 1
    ic = golden_ic(model, conn.number_of_regions, ADEX_RANGES if name.startswith("adex") else None)
    if name.startswith("adex"):
        np.save(os.path.join(HERE, name + "_ic.npy"), ic)
    sim.initial_conditions = np.repeat(ic[None, :, :, None], horizon, axis=0)
    sim.configure()
    (t, y), = sim.run(simulation_length=length)
    y = y[..., 0]
    if isinstance(monitor, monitors.Raw):
        idx = np.arange(decimate - 1, y.shape[0], decimate)
        t, y = t[idx], y[idx]
    np.save(os.path.join(HERE, name + "_data.npy"), y.astype(np.float64))
    np.save(os.path.join(HERE, name + "_time.npy"), np.asarray(t, dtype=np.float64))
    m = dict(model=type(model).__name__, coupling=type(cpl).__name__,
             integrator=type(integ).__name__, monitor=type(monitor).__name__,
             horizon=horizon, length_ms=length, shape=list(y.shape))
    m.update(meta or {})
    json.dump(m, open(os.path.join(HERE, name + ".json"), "w"), indent=1)
    print(name, y.shape, "t0", t[0], "t1", t[-1])


ADEX_G = 0.3
ADEX = dict(E_L_e=-63.0, E_L_i=-65.0, T=40.0, a_e=0.0, b_e=60.0,
            external_input_ex_ex=0.315e-3, external_input_in_ex=0.315e-3,
            tau_w_e=500.0, weight_noise=1e-4, Q_e=1.5, Q_i=5.0)


def adex(cls):
    """The TVB-AdEx settings of Goldman et al. 2020 (b_e 60 pA)."""
    m = cls(**{k: np.array([v]) for k, v in ADEX.items()})
    return m


# start in the low-activity regime: golden_ic draws from these ranges, and the
# initial state is saved as NAME_ic.npy for the Rust tests
ADEX_RANGES = dict(E=[1e-3, 10e-3], I=[1e-3, 20e-3], W_e=[0.0, 50.0])


def adex_cases(dt):
    H = integrators.HeunDeterministic
    meta = dict(coupling_params=dict(a=ADEX_G, b=0.0), model_params=ADEX)
    case("adex2_heun", adex(models.ZerlautAdaptationSecondOrder), coupling.Linear(a=np.array([ADEX_G])),
         H(dt=dt), monitors.Raw(), 200.0, meta=meta)
    case("adex1_heun", adex(models.ZerlautAdaptationFirstOrder), coupling.Linear(a=np.array([ADEX_G])),
         H(dt=dt), monitors.Raw(), 200.0, meta=meta)
    nsig = [0.0] * 7 + [1.0]
    case("adex2_heun_stochastic", adex(models.ZerlautAdaptationSecondOrder), coupling.Linear(a=np.array([ADEX_G])),
         integrators.HeunStochastic(dt=dt, noise=noise.Additive(nsig=np.array(nsig), noise_seed=11)),
         monitors.Raw(), 200.0, meta=dict(meta, nsig=nsig, noise_seed=11))


def main():
    dt = 0.1
    if sys.argv[1:] == ["adex"]:
        return adex_cases(dt)
    H = integrators.HeunDeterministic
    case("rwwei_heun", models.ReducedWongWangExcInh(), coupling.Linear(a=np.array([0.0042])),
         H(dt=dt), monitors.Raw(), 100.0, meta=dict(coupling_params=dict(a=0.0042, b=0.0)))
    case("jr_sjr_heun", models.JansenRit(), coupling.SigmoidalJansenRit(a=np.array([1.0])),
         H(dt=dt), monitors.Raw(), 100.0, meta=dict(coupling_params=dict(a=1.0)))
    case("wc_heun", models.WilsonCowan(), coupling.Linear(a=np.array([0.0042])),
         H(dt=dt), monitors.Raw(), 100.0, meta=dict(coupling_params=dict(a=0.0042, b=0.0)))
    case("kuramoto_euler", models.Kuramoto(), coupling.Kuramoto(a=np.array([0.02])),
         integrators.EulerDeterministic(dt=dt), monitors.Raw(), 100.0,
         meta=dict(coupling_params=dict(a=0.02)))
    case("mpr_rk4", models.MontbrioPazoRoxin(), coupling.Linear(a=np.array([0.0042])),
         integrators.RungeKutta4thOrderDeterministic(dt=dt), monitors.Raw(), 100.0,
         meta=dict(coupling_params=dict(a=0.0042, b=0.0)))
    case("g2d_difference_heun", models.Generic2dOscillator(), coupling.Difference(a=np.array([0.05])),
         H(dt=dt), monitors.Raw(), 100.0, meta=dict(coupling_params=dict(a=0.05)))
    case("g2d_sigmoidal_heun", models.Generic2dOscillator(), coupling.Sigmoidal(),
         H(dt=dt), monitors.Raw(), 100.0, meta=dict(coupling_params={}))
    case("g2d_heun_stochastic", models.Generic2dOscillator(), coupling.Linear(a=np.array([0.0042])),
         integrators.HeunStochastic(dt=dt, noise=noise.Additive(nsig=np.array([1e-3]), noise_seed=42)),
         monitors.Raw(), 100.0, meta=dict(coupling_params=dict(a=0.0042, b=0.0), nsig=[1e-3], noise_seed=42))
    case("rww_euler_stochastic", models.ReducedWongWang(), coupling.Linear(a=np.array([0.0042])),
         integrators.EulerStochastic(dt=dt, noise=noise.Additive(nsig=np.array([1e-5]), noise_seed=7)),
         monitors.Raw(), 100.0, meta=dict(coupling_params=dict(a=0.0042, b=0.0), nsig=[1e-5], noise_seed=7))
    case("g2d_heun_multiplicative", models.Generic2dOscillator(), coupling.Linear(a=np.array([0.0042])),
         integrators.HeunStochastic(dt=dt, noise=noise.Multiplicative(nsig=np.array([1e-4]), noise_seed=3)),
         monitors.Raw(), 100.0, meta=dict(coupling_params=dict(a=0.0042, b=0.0), nsig=[1e-4], noise_seed=3,
                                          noise="multiplicative, b = Linear(a=1, b=0)"))
    case("rww_tavg", models.ReducedWongWang(), coupling.Linear(a=np.array([0.0042])),
         H(dt=dt), monitors.TemporalAverage(period=1.0), 100.0,
         meta=dict(coupling_params=dict(a=0.0042, b=0.0), period_ms=1.0))
    case("rww_subsample", models.ReducedWongWang(), coupling.Linear(a=np.array([0.0042])),
         H(dt=dt), monitors.SubSample(period=2.0), 100.0,
         meta=dict(coupling_params=dict(a=0.0042, b=0.0), period_ms=2.0))
    case("g2d_bold", models.Generic2dOscillator(), coupling.Linear(a=np.array([0.0042])),
         H(dt=dt), monitors.Bold(period=500.0), 3000.0,
         meta=dict(coupling_params=dict(a=0.0042, b=0.0), period_ms=500.0))
    adex_cases(dt)


if __name__ == "__main__":
    sys.exit(main())
