#!/usr/bin/env python3
"""Reference surface simulation of tvb-library 2.10 (and its local
connectivity matrix), as make_refs.py makes the region cases: tvb-data's
cortex_16384 with regionMapping_16k_76 and the 76-region connectome (speed
3 mm/ms), a LocalConnectivity with a Gaussian equation and cutoff
(tvb-library's `compute_sparse_matrix`, geodesic distances by tvb-gdist),
Generic2dOscillator (a = 2: oscillating), Linear coupling, HeunDeterministic dt 0.1 ms, the
golden initial state per vertex (make_refs.golden_ic over the 16384
vertices) held constant over the initial history.

Files (kept small):
* surface_lc.json: the local connectivity's parameters, its nnz, the sum
  of all its entries, and the rows it stores in surface_lc_rows.npy
  (every 257th vertex: one row per entry `[row, col, value]`);
* surface_g2d.json / surface_g2d_data.npy: V and W of every 128th vertex
  every 1 ms (shape samples × 2 × 128), surface_g2d_regions.npy: V averaged
  over each region's vertices (tvb-library's own `surface_state_to_rois`,
  samples × 76), surface_g2d_time.npy;
* surface_g2d_euler_difference*: the same for EulerDeterministic and the
  Difference coupling (a = 0.05), 10 ms.

Run (about a minute):  python make_refs_surface.py   (needs tvb-library,
tvb-data and tvb-gdist)
"""
import json
import os
import sys
import warnings

os.environ.setdefault("NPY_DISABLE_CPU_FEATURES", "X86_V4 X86_V3")
import numpy as np  # noqa: E402

warnings.filterwarnings("ignore")
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from make_refs import CONN, OUT, golden_ic  # noqa: E402
from tvb.datatypes import cortex, equations, local_connectivity  # noqa: E402
from tvb.simulator.backend.ref import RefSurface  # noqa: E402
from tvb.simulator.lab import (connectivity, coupling, integrators, models,  # noqa: E402
                               monitors, simulator)

LC = dict(cutoff=10.0, sigma=3.0, amp=1.0)
CS = 0.05          # Cortex.coupling_strength
LIN_A = 0.0042
DIFF_A = 0.05
G2D_A = 2.0        # Generic2dOscillator's a: a limit cycle (the default -2 is a fixed point)
LENGTH = 20.0
DT = 0.1
STRIDE = 128       # stored vertices: 0, 128, 256, ...
LC_ROWS = 257      # stored matrix rows: 0, 257, 514, ...


def make_cortex(conn):
    ctx = cortex.Cortex.from_file(source_file="cortex_16384.zip",
                                  region_mapping_file="regionMapping_16k_76.txt")
    ctx.region_mapping_data.connectivity = conn
    lc = local_connectivity.LocalConnectivity(
        surface=ctx.region_mapping_data.surface, cutoff=LC["cutoff"],
        equation=equations.Gaussian(parameters=dict(amp=LC["amp"], sigma=LC["sigma"],
                                                     midpoint=0.0, offset=0.0)))
    lc.compute_sparse_matrix()
    ctx.local_connectivity = lc
    ctx.coupling_strength = np.array([CS])
    ctx.configure()
    return ctx, lc


def save_lc(lc):
    m = lc.matrix.tocsr()
    m.sort_indices()
    rows = []
    for i in range(0, m.shape[0], LC_ROWS):
        a, b = m.indptr[i], m.indptr[i + 1]
        for k in range(a, b):
            rows.append((i, m.indices[k], m.data[k]))
    np.save(os.path.join(OUT, "surface_lc_rows.npy"), np.asarray(rows, dtype=np.float64))
    meta = dict(LC, equation="Gaussian", midpoint=0.0, offset=0.0, nnz=int(m.nnz),
                total=float(m.data.sum()), row_stride=LC_ROWS, stored=len(rows),
                n=int(m.shape[0]))
    json.dump(meta, open(os.path.join(OUT, "surface_lc.json"), "w"), indent=1)
    print("surface_lc", meta)


def surface_case(name, conn, ctx, integ, cpl, cpl_name, cparams, length):
    model = models.Generic2dOscillator(a=np.array([G2D_A]))
    model.variables_of_interest = tuple(model.state_variables)
    sim = simulator.Simulator(model=model, connectivity=conn, coupling=cpl,
                              integrator=integ, monitors=(monitors.Raw(),), surface=ctx)
    conn.set_idelays(DT)
    horizon = int(conn.idelays.max()) + 1
    nv = len(ctx.region_mapping)
    ic = golden_ic(model, nv)
    sim.initial_conditions = np.repeat(ic[None, :, :, None], horizon, axis=0)
    sim.configure()
    (t, y), = sim.run(simulation_length=length)
    y = y[..., 0]   # time, svar, vertex
    dec = int(round(1.0 / DT))
    idx = np.arange(dec - 1, y.shape[0], dec)
    t, y = t[idx], y[idx]
    rmap = ctx.region_mapping
    regions = np.stack([RefSurface.surface_state_to_rois(rmap, conn.number_of_regions,
                                                         yk[:, :, None])[0, :, 0] for yk in y])
    np.save(os.path.join(OUT, name + "_data.npy"), y[:, :, ::STRIDE].astype(np.float64))
    np.save(os.path.join(OUT, name + "_regions.npy"), regions.astype(np.float64))
    np.save(os.path.join(OUT, name + "_time.npy"), np.asarray(t, dtype=np.float64))
    meta = dict(model="Generic2dOscillator", model_params=dict(a=G2D_A), coupling=cpl_name,
                coupling_params=cparams, integrator=type(integ).__name__, dt_ms=DT, length_ms=length,
                horizon=horizon, local_connectivity=dict(LC, equation="Gaussian"), coupling_strength=CS,
                surface="cortex_16384.zip", region_mapping="regionMapping_16k_76.txt",
                vertex_stride=STRIDE, decimate=dec, shape=list(y[:, :, ::STRIDE].shape))
    json.dump(meta, open(os.path.join(OUT, name + ".json"), "w"), indent=1)
    print(name, y.shape, "t0", t[0], "t1", t[-1], "horizon", horizon)


def main():
    conn = connectivity.Connectivity.from_file(CONN)
    conn.speed = np.array([3.0])
    conn.configure()
    ctx, lc = make_cortex(conn)
    save_lc(lc)
    surface_case("surface_g2d", conn, ctx, integrators.HeunDeterministic(dt=DT),
                 coupling.Linear(a=np.array([LIN_A])), "Linear", dict(a=LIN_A, b=0.0), LENGTH)
    # the other scheme and a coupling reading the target's own (current) state
    surface_case("surface_g2d_euler_difference", conn, ctx, integrators.EulerDeterministic(dt=DT),
                 coupling.Difference(a=np.array([DIFF_A])), "Difference", dict(a=DIFF_A), 10.0)


if __name__ == "__main__":
    main()
