#!/usr/bin/env python3
"""Reference runs of tvb-library 2.10's multi-mode models for brainstream:
ReducedSetFitzHughNagumo and ReducedSetHindmarshRose (3 modes per region),
as make_refs.py's cases (76-region connectome of tvb-data, speed 3 mm/ms,
dt 0.1 ms (0.05 for the Hindmarsh-Rose set), Heun, deterministic, constant initial history, Linear coupling),
100 ms (1000 and 2000 steps), one sample per ms kept; FHN also with
additive noise (nsig 1e-3 on every variable, seed 17).

The state is tvb-library's (variable, region, mode); the files store it as
brainstream's engine lays it out, one row per (variable, mode), variable
major: NAME_data.npy is (samples, variables·modes, regions), row v·3 + m,
and NAME_ic.npy the initial state (variables·modes, regions) drawn as
make_refs.golden_ic draws it with k = v·3 + m.

numpy.dot(xi, Aik) (76×3 by 3×3) is OpenBLAS's dgemm: its x86-64 kernels
from Haswell on accumulate with fused multiply-adds, fma(x2, A2i,
fma(x1, A1i, x0·A0i)); the Sandybridge kernel (no FMA) computes
(x0·A0i + x1·A1i) + x2·A2i, what the declarations write. The reference
pins that kernel (OPENBLAS_CORETYPE=Sandybridge, set before numpy is
imported, as NPY_DISABLE_CPU_FEATURES pins numpy's own loops), so it does
not depend on the CPU that made it; the same run with the Haswell kernel
(what OpenBLAS picks on Haswell, Zen and later x86-64) is also made and its distance to the pinned one stored in the JSON
(`default_blas_max_abs_diff`, `default_blas_relative`): what brainstream
differs by from tvb-library with an FMA kernel.

The derived parameters (tvb-library's update_derived_parameters: integrals
of the modes over scipy.stats.norm.ppf samples, computed at configuration)
are printed with repr, as models/decl/ReducedSet*.toml declare them.

Run:  python make_refs_modes.py   (needs tvb-library, tvb-data)
"""
import json
import os
import subprocess
import sys
import warnings

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.environ.get("TVB_CASES_OUT", HERE)
# MODES_DEFAULT_BLAS marks the comparison run, made with the Haswell kernel
os.environ["OPENBLAS_CORETYPE"] = "Haswell" if "MODES_DEFAULT_BLAS" in os.environ else "Sandybridge"
os.environ["NPY_DISABLE_CPU_FEATURES"] = "X86_V4 X86_V3"
import numpy as np  # noqa: E402

warnings.filterwarnings("ignore")
from tvb.simulator.lab import connectivity, coupling, integrators, models, monitors, noise, simulator  # noqa: E402
import tvb_data  # noqa: E402

CONN = os.path.join(os.path.dirname(tvb_data.__file__), "connectivity", "connectivity_76.zip")
M = 3


def golden_ic(model, n):
    """make_refs.golden_ic over the flat (variable, mode) rows."""
    phi = 0.6180339887498949
    svs = model.state_variables
    ic = np.zeros((len(svs) * M, n))
    for v, sv in enumerate(svs):
        lo, hi = np.asarray(model.state_variable_range[sv], dtype=float)
        for m in range(M):
            k = v * M + m
            frac = np.mod(np.arange(n) * phi + k * 0.1, 1.0)
            ic[k] = lo + (hi - lo) * (0.25 + 0.5 * frac)
    return ic


def case(name, model, a, length=100.0, dt=0.1, out=OUT, nsig=None, seed=None):
    conn = connectivity.Connectivity.from_file(CONN)
    conn.speed = np.array([3.0])
    conn.configure()
    model.variables_of_interest = tuple(model.state_variables)
    if nsig is None:
        integ = integrators.HeunDeterministic(dt=dt)
    else:
        integ = integrators.HeunStochastic(dt=dt, noise=noise.Additive(nsig=np.array(nsig), noise_seed=seed))
    sim = simulator.Simulator(model=model, connectivity=conn, coupling=coupling.Linear(a=np.array([a])),
                              integrator=integ, monitors=(monitors.Raw(),))
    conn.set_idelays(dt)
    horizon = int(conn.idelays.max()) + 1
    n = conn.number_of_regions
    nv = len(model.state_variables)
    ic = golden_ic(model, n)
    sim.initial_conditions = np.repeat(ic.reshape(nv, M, n).transpose(0, 2, 1)[None], horizon, axis=0)
    sim.configure()
    assert sim.model.number_of_modes == M
    (t, y), = sim.run(simulation_length=length)
    decimate = int(round(1.0 / dt))
    idx = np.arange(decimate - 1, y.shape[0], decimate)
    t, y = t[idx], y[idx]
    # (time, variable, region, mode) -> (time, variable·mode, region)
    flat = y.transpose(0, 1, 3, 2).reshape(y.shape[0], nv * M, n).astype(np.float64)
    np.save(os.path.join(out, name + "_data.npy"), flat)
    np.save(os.path.join(out, name + "_time.npy"), np.asarray(t, dtype=np.float64))
    np.save(os.path.join(out, name + "_ic.npy"), ic)
    meta = dict(model=type(model).__name__, coupling="Linear", integrator=type(integ).__name__,
                monitor="Raw", horizon=horizon, length_ms=length, shape=list(flat.shape),
                dt_ms=dt, decimate=decimate, modes=M, coupling_params=dict(a=a, b=0.0), model_params={},
                layout="(time, variable*3 + mode, region)", openblas_coretype=os.environ.get("OPENBLAS_CORETYPE"))
    if nsig is not None:
        meta.update(nsig=nsig, noise_seed=seed)
    print(name, flat.shape, "t0", t[0], "t1", t[-1], "max", np.abs(flat).max(), file=sys.stderr)
    return flat, meta, sim.model


# (name, model, coupling a, dt): the Hindmarsh-Rose set diverges at dt 0.1
# from these initial states (NaN within 100 ms) and not at 0.05
def integrals(model):
    """The integrals tvb-library's update_derived_parameters computes (its
    own operations, repeated here) that models/decl/ReducedSet*.toml
    declare; checked against the model's derived parameters, to the bit."""
    from tvb.simulator.models.stefanescu_jirsa import scipy_integrate_trapz as trapz, scipy_stats_norm
    step = 1.0 / (model.nv + 2 - 1)
    assert model.nu == model.nv
    norm = scipy_stats_norm(loc=model.mu, scale=model.sigma)
    Z = norm.ppf(np.arange(step, 1.0, step))
    V = np.zeros((M, model.nv))
    per = model.nv // M
    for i in range(M):
        V[i, i * per:(i + 1) * per] = np.ones(per)
    V = V / np.tile(np.sqrt(trapz(V * V, Z, axis=1)), (model.nv, 1)).T
    cV = np.conj(V)
    out = dict(int_cV=trapz(cV, Z, axis=1), int_cV2=trapz(cV * V ** 2, Z, axis=1),
               int_cV3=trapz(cV * V ** 3, Z, axis=1))
    # U is V (nu = nv, the same samples): tvb-library's U integrals equal these
    if isinstance(model, models.ReducedSetFitzHughNagumo):
        assert np.array_equal(model.m_i.ravel(), (model.a * out["int_cV"][:, None]).T.ravel())
        assert np.array_equal(model.e_i.ravel(), out["int_cV3"])
    else:
        assert np.array_equal(model.a_i.ravel(), (model.a * out["int_cV3"]))
        assert np.array_equal(model.b_i.ravel(), (model.b * out["int_cV2"]))
        assert np.array_equal(model.c_i.ravel(), (model.c * out["int_cV"][:, None]).T.ravel())
        assert np.array_equal(model.d_i.ravel(), (model.d * out["int_cV2"]))
        assert np.array_equal(model.m_i.ravel(), (model.r * model.s * model.xo * out["int_cV"][:, None]).T.ravel())
    return out


# (name, model, coupling a, dt, nsig, seed): the stochastic case draws
# tvb-library's noise, (nvar, N, modes) in C order, one array per step
CASES = [("rs_fhn_heun", models.ReducedSetFitzHughNagumo, 0.0042, 0.1, None, None),
         ("rs_hr_heun", models.ReducedSetHindmarshRose, 0.0042, 0.05, None, None),
         ("rs_fhn_heun_stochastic", models.ReducedSetFitzHughNagumo, 0.0042, 0.1, [1e-3], 17)]


def main():
    if "MODES_DEFAULT_BLAS" in os.environ:
        for name, cls, a, dt, nsig, seed in CASES:
            case(name, cls(), a, dt=dt, out=os.environ["MODES_DEFAULT_BLAS"], nsig=nsig, seed=seed)
        return
    import tempfile
    tmp = tempfile.mkdtemp()
    env = dict(os.environ, MODES_DEFAULT_BLAS=tmp)
    subprocess.run([sys.executable, __file__], env=env, check=True)
    for name, cls, a, dt, nsig, seed in CASES:
        flat, meta, m = case(name, cls(), a, dt=dt, nsig=nsig, seed=seed)
        other = np.load(os.path.join(tmp, name + "_data.npy"))
        d = np.abs(other - flat).max()
        meta.update(default_blas_max_abs_diff=float(d), default_blas_relative=float(d / np.abs(flat).max()))
        json.dump(meta, open(os.path.join(OUT, name + ".json"), "w"), indent=1)
        print(name, "pinned vs default BLAS: max|diff|", d, "relative", d / np.abs(flat).max())
        for k, v in integrals(m).items():
            print(" ", k, [repr(float(x)) for x in v])
        for k in ["Aik", "Bik", "Cik", "A_ik", "B_ik", "C_ik", "e_i", "f_i", "IE_i", "II_i", "m_i", "n_i",
                  "a_i", "b_i", "c_i", "d_i", "h_i", "p_i"]:
            if getattr(m, k, None) is not None:
                print(" ", k, [repr(float(v)) for v in np.asarray(getattr(m, k)).ravel()])


if __name__ == "__main__":
    sys.exit(main())
