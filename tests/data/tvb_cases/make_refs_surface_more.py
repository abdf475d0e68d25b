#!/usr/bin/env python3
"""Reference surface runs of tvb-library 2.10 beyond make_refs_surface.py's:
sensor-space monitors on a surface simulation, and a local connectivity
read from a file. The brain is make_refs_surface.py's surface_g2d
(tvb-data's cortex_16384 with regionMapping_16k_76, the 76-region
connectome at 3 mm/ms, Generic2dOscillator a = 2, Linear coupling a = 0.0042,
HeunDeterministic dt 0.1 ms, the golden initial state per vertex held over
the initial history).

* surface_eeg_*: the Gaussian local connectivity of surface_g2d (cutoff
  10 mm, sigma 3, strength 0.05), 20 ms, recorded by
  - EEG (eeg_brainstorm_65.txt, projection_eeg_65_surface_16k.npy: 65 ×
    16384 vertices, used as is on a surface: Σ_v G_sv·x_v), average
    reference, no observation noise;
  - EEG with electrode Fp1 as reference and tvb-library's default
    observation noise (white, sqrt(dt)·N(0, 1) from RandomState(42));
  - MEG (meg_brainstorm_276.txt, projection_meg_276_surface_16k.npy), no
    noise (every third sensor kept);
  each at the default period 1e3/1024 ms (int(period/dt) = 9 steps):
  surface_eeg_<name>_data.npy (time, variable, sensor), _time.npy, .json.
* surface_lcfile_*: tvb-data's local_connectivity_16384.mat read by
  `LocalConnectivity.from_file()` (its `LocalCoupling`, a sparse 16384 ×
  16384 matrix: each vertex averages its mesh neighbours), strength 0.05,
  10 ms: V and W of every 128th vertex and V averaged per region every 1 ms
  (as surface_g2d), plus surface_lcfile.json with the matrix's nnz, sum
  and a few entries.

* surface_stim_*: a StimuliSurface (tvb-library's surface stimulus: a
  PulseTrain in time times, per vertex, the sum over focal points of a
  Gaussian (sigma 3 mm) of the geodesic distance from the first vertex of each focal
  triangle) on surface_g2d, 10 ms: as surface_lcfile, plus the spatial
  pattern of every 128th vertex (surface_stim_spatial.npy).

* surface_analytic_*: the sensor-space monitors without a projection
  matrix on surface_g2d (10 ms): tvb-library's `Projection.config_for_sim`
  then computes the lead field analytically on the sources — the
  surface's vertices and vertex normals (the cortex zip's
  vertex_normals.txt) — with each monitor's `analytic`: iEEG (seeg_588.txt,
  Sarvas 1987 eq. 12, point dipole in a homogeneous medium, sigma 1), EEG
  (eeg_brainstorm_65.txt, eq. 12 with the sensors moved onto a sphere
  around the sources, sigma 1, average reference) and MEG
  (meg_brainstorm_276.txt, eq. 25, the field's magnitude), no observation
  noise, the region mapping given to the monitor (tvb-library 2.10 reads
  the monitor's, not the surface's): surface_analytic_<name>_data.npy
  (time, variable, every `sensor_stride`-th sensor), _time.npy, .json, and
  surface_analytic_<name>_gain.npy (every `sensor_stride`-th row, every
  128th vertex).

* surface_stimregion_*: a StimuliRegion (make_refs_stimulus.py's pulse
  train times weights on four regions) on surface_g2d, 10 ms: tvb-library
  spreads each region's weight to its vertices through the region mapping
  (`weight[region_mapping]`); saved as surface_stim.

* surface_boldroi_*: tvb-library's BoldRegionROI (the Bold monitor with its
  default FirstOrderVolterra kernel on every vertex, then each region's
  mean) on surface_g2d, period 20 ms, 200 ms: surface_boldroi_data.npy
  (time, variable, region), _time.npy, .json.

Run (about a minute):  python make_refs_surface_more.py [lcfile] [sensors]
[stimulus] [analytic] [stimregion] [boldroi]   (needs tvb-library, tvb-data and tvb-gdist)
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
from make_refs_surface import CS, DT, G2D_A, LIN_A, STRIDE, make_cortex  # noqa: E402
from tvb.datatypes import cortex, equations, local_connectivity, patterns  # noqa: E402
from tvb.simulator.backend.ref import RefSurface  # noqa: E402
from tvb.simulator.lab import (connectivity, coupling, integrators, models,  # noqa: E402
                               monitors, simulator)


def run(conn, ctx, mons, length, stimulus=None):
    """surface_g2d on the cortex `ctx` with the monitors `mons` (and a
    stimulus, if given) for `length` ms: the monitors' outputs, the horizon."""
    model = models.Generic2dOscillator(a=np.array([G2D_A]))
    model.variables_of_interest = tuple(model.state_variables)
    sim = simulator.Simulator(model=model, connectivity=conn,
                              coupling=coupling.Linear(a=np.array([LIN_A])),
                              integrator=integrators.HeunDeterministic(dt=DT),
                              monitors=mons, surface=ctx, stimulus=stimulus)
    conn.set_idelays(DT)
    horizon = int(conn.idelays.max()) + 1
    ic = golden_ic(model, len(ctx.region_mapping))
    sim.initial_conditions = np.repeat(ic[None, :, :, None], horizon, axis=0)
    sim.configure()
    return sim.run(simulation_length=length), horizon


def save_every_ms(name, conn, ctx, out):
    """A Raw monitor's `out` kept every 1 ms (the last step of each, as
    surface_g2d's SubSample) into surface_NAME_data.npy (every STRIDE-th
    vertex), _regions.npy (V and W averaged per region) and _time.npy:
    the kept times and states, and the decimation."""
    t, y = out
    y = y[..., 0]
    dec = int(round(1.0 / DT))
    idx = np.arange(dec - 1, y.shape[0], dec)
    t, y = t[idx], y[idx]
    regions = np.stack([RefSurface.surface_state_to_rois(ctx.region_mapping, conn.number_of_regions,
                                                         yk[:, :, None])[0, :, 0] for yk in y])
    base = os.path.join(OUT, "surface_" + name)
    np.save(base + "_data.npy", y[:, :, ::STRIDE].astype(np.float64))
    np.save(base + "_regions.npy", regions.astype(np.float64))
    np.save(base + "_time.npy", np.asarray(t, dtype=np.float64))
    return t, y, dec


def sensors_case(conn):
    ctx, _ = make_cortex(conn)
    eeg = monitors.EEG.from_file("eeg_brainstorm_65.txt", "projection_eeg_65_surface_16k.npy",
                                 reference="average", obsnoise=None)
    eeg_noisy = monitors.EEG.from_file("eeg_brainstorm_65.txt", "projection_eeg_65_surface_16k.npy",
                                       reference="Fp1")
    meg = monitors.MEG.from_file("meg_brainstorm_276.txt", "projection_meg_276_surface_16k.npy",
                                 obsnoise=None)
    mons = [("eeg", eeg), ("eeg_noisy", eeg_noisy), ("meg", meg)]
    length = 20.0
    out, horizon = run(conn, ctx, [m for _, m in mons], length)
    for (name, m), (t, y) in zip(mons, out):
        # on a surface tvb-library uses the vertex-level gain as is
        assert m.gain.shape[1] == 16384, m.gain.shape
        y = y[..., 0]
        stride = 3 if name == "meg" else 1
        y = y[:, :, ::stride]
        base = os.path.join(OUT, "surface_eeg_" + name)
        np.save(base + "_data.npy", y.astype(np.float64))
        np.save(base + "_time.npy", np.asarray(t, dtype=np.float64))
        meta = dict(monitor=type(m).__name__, period_ms=m.period, period_steps=m._period_in_steps,
                    horizon=horizon, length_ms=length, dt_ms=DT, shape=list(y.shape),
                    sensor_stride=stride, gain_shape=list(m.gain.shape),
                    reference=getattr(m, "reference", None),
                    obsnoise=None if m.obsnoise is None else dict(
                        kind=type(m.obsnoise).__name__, seed=m.obsnoise.noise_seed, ntau=m.obsnoise.ntau),
                    brain="surface_g2d")
        json.dump(meta, open(base + ".json", "w"), indent=1)
        print(name, y.shape, "t0", t[0], "t1", t[-1], "gain", m.gain.shape)


def lcfile_case(conn):
    ctx = cortex.Cortex.from_file(source_file="cortex_16384.zip",
                                  region_mapping_file="regionMapping_16k_76.txt")
    ctx.region_mapping_data.connectivity = conn
    lc = local_connectivity.LocalConnectivity.from_file()
    ctx.local_connectivity = lc
    ctx.coupling_strength = np.array([CS])
    ctx.configure()
    m = lc.matrix.tocsr()
    length = 10.0
    (out,), horizon = run(conn, ctx, (monitors.Raw(),), length)
    t, y, dec = save_every_ms("lcfile", conn, ctx, out)
    base = os.path.join(OUT, "surface_lcfile")
    picks = [(0, 1), (0, 7972), (100, int(m[100].indices[0])), (16383, int(m[16383].indices[-1]))]
    meta = dict(file="local_connectivity_16384.mat", matrix_name="LocalCoupling", nnz=int(m.nnz),
                total=float(m.data.sum()), entries=[[i, j, float(m[i, j])] for i, j in picks],
                coupling_strength=CS, length_ms=length, horizon=horizon, vertex_stride=STRIDE,
                decimate=dec, shape=list(y[:, :, ::STRIDE].shape), brain="surface_g2d")
    json.dump(meta, open(base + ".json", "w"), indent=1)
    print("surface_lcfile", y.shape, "nnz", m.nnz, "t0", t[0], "t1", t[-1])


# the surface stimulus: a pulse train spread by a Gaussian of the geodesic
# distance from the first vertex of each focal triangle
STIM_TRIANGLES = [0, 9000, 21000]
STIM_SPATIAL = dict(amp=1.0, sigma=3.0, midpoint=0.0, offset=0.0)
STIM_PULSE = dict(T=4.0, tau=1.5, amp=0.8, onset=1.0)


def stimulus_case(conn):
    ctx, _ = make_cortex(conn)
    surf = ctx.region_mapping_data.surface
    surf.configure()   # number_of_vertices, which configure_space reads
    stim = patterns.StimuliSurface(surface=surf,
                                   focal_points_triangles=np.array(STIM_TRIANGLES),
                                   temporal=equations.PulseTrain(parameters=dict(STIM_PULSE)),
                                   spatial=equations.Gaussian(parameters=dict(STIM_SPATIAL)))
    length = 10.0
    (out,), horizon = run(conn, ctx, (monitors.Raw(),), length, stimulus=stim)
    t, y, dec = save_every_ms("stim", conn, ctx, out)
    base = os.path.join(OUT, "surface_stim")
    # the spatial pattern (sum over the foci of the Gaussian of the distance)
    np.save(base + "_spatial.npy", stim.spatial_pattern[::STRIDE, 0].astype(np.float64))
    meta = dict(focal_triangles=STIM_TRIANGLES, focal_vertices=[int(v) for v in stim.focal_points_surface],
                spatial=dict(STIM_SPATIAL, equation="Gaussian"), temporal=dict(STIM_PULSE, equation="PulseTrain"),
                length_ms=length, horizon=horizon, vertex_stride=STRIDE, decimate=dec,
                shape=list(y[:, :, ::STRIDE].shape), brain="surface_g2d",
                spatial_sum=float(stim.spatial_pattern.sum()))
    json.dump(meta, open(base + ".json", "w"), indent=1)
    print("surface_stim", y.shape, "foci", meta["focal_vertices"], "t0", t[0], "t1", t[-1])


# sensor strides of the saved analytic cases (the files stay small)
ANALYTIC = [("ieeg", 7), ("eeg", 1), ("meg", 3)]


def analytic_case(conn):
    """Projection monitors without a projection file on a surface."""
    from tvb.datatypes import sensors
    from tvb.datatypes.region_mapping import RegionMapping
    ctx, _ = make_cortex(conn)
    rm = RegionMapping.from_file("regionMapping_16k_76.txt")
    mons = dict(
        ieeg=monitors.iEEG(sensors=sensors.SensorsInternal.from_file("seeg_588.txt"),
                           region_mapping=rm, obsnoise=None),
        eeg=monitors.EEG(sensors=sensors.SensorsEEG.from_file("eeg_brainstorm_65.txt"),
                         region_mapping=rm, reference="average", obsnoise=None),
        meg=monitors.MEG(sensors=sensors.SensorsMEG.from_file("meg_brainstorm_276.txt"),
                         region_mapping=rm, obsnoise=None))
    length = 10.0
    out, horizon = run(conn, ctx, [mons[n] for n, _ in ANALYTIC], length)
    surf = ctx.region_mapping_data.surface
    # the sources: the zip's vertex normals (Surface._read's "normals.txt"
    # matches its member vertex_normals.txt)
    import zipfile
    import tvb_data
    z = zipfile.ZipFile(os.path.join(os.path.dirname(tvb_data.__file__), "surfaceData", "cortex_16384.zip"))
    normals = np.loadtxt(z.open("vertex_normals.txt"))
    assert np.array_equal(surf.vertex_normals, normals)
    for (name, stride), (t, y) in zip(ANALYTIC, out):
        m = mons[name]
        assert m.gain.shape[1] == 16384, m.gain.shape
        y = y[..., 0][:, :, ::stride]
        base = os.path.join(OUT, "surface_analytic_" + name)
        np.save(base + "_data.npy", y.astype(np.float64))
        np.save(base + "_time.npy", np.asarray(t, dtype=np.float64))
        np.save(base + "_gain.npy", np.ascontiguousarray(m.gain[::stride, ::STRIDE]).astype(np.float64))
        meta = dict(monitor=type(m).__name__, sensors=m.sensors.labels.size, sensor_stride=stride,
                    vertex_stride=STRIDE, period_ms=m.period, period_steps=m._period_in_steps,
                    horizon=horizon, length_ms=length, dt_ms=DT, shape=list(y.shape),
                    gain_shape=list(m.gain.shape), reference=getattr(m, "reference", None),
                    sigma=getattr(m, "sigma", None), brain="surface_g2d",
                    max_abs_gain=float(np.abs(m.gain).max()))
        json.dump(meta, open(base + ".json", "w"), indent=1)
        print("surface_analytic", name, y.shape, "gain", m.gain.shape, "t0", t[0], "t1", t[-1])


def stimregion_case(conn):
    """tvb-library's StimuliRegion on a surface simulation."""
    from make_refs_stimulus import PULSE, WEIGHTS
    ctx, _ = make_cortex(conn)
    labels = [str(x) for x in conn.region_labels]
    w = np.zeros(conn.number_of_regions)
    for k, v in WEIGHTS.items():
        w[labels.index(k)] = v
    # a faster train than make_refs_stimulus.py's, so that 10 ms hold pulses
    pulse = dict(PULSE, T=4.0, tau=1.5, onset=1.0)
    stim = patterns.StimuliRegion(temporal=equations.PulseTrain(parameters=pulse),
                                  connectivity=conn, weight=w)
    length = 10.0
    (out,), horizon = run(conn, ctx, (monitors.Raw(),), length, stimulus=stim)
    t, y, dec = save_every_ms("stimregion", conn, ctx, out)
    base = os.path.join(OUT, "surface_stimregion")
    meta = dict(weights=WEIGHTS, temporal=dict(pulse, equation="PulseTrain"), length_ms=length,
                horizon=horizon, vertex_stride=STRIDE, decimate=dec,
                shape=list(y[:, :, ::STRIDE].shape), brain="surface_g2d")
    json.dump(meta, open(base + ".json", "w"), indent=1)
    print("surface_stimregion", y.shape, "t0", t[0], "t1", t[-1])


def boldroi_case(conn):
    """tvb-library's BoldRegionROI on a surface simulation: the Bold monitor
    on every vertex, then each region's mean (numpy's mean over its
    vertices)."""
    ctx, _ = make_cortex(conn)
    period, length = 20.0, 200.0
    mon = monitors.BoldRegionROI(period=period)
    (out,), horizon = run(conn, ctx, (mon,), length)
    t, y = out
    y = y[..., 0]
    base = os.path.join(OUT, "surface_boldroi")
    np.save(base + "_data.npy", y.astype(np.float64))
    np.save(base + "_time.npy", np.asarray(t, dtype=np.float64))
    meta = dict(monitor="BoldRegionROI", period_ms=period, length_ms=length, horizon=horizon,
                hrf_kernel=type(mon.hrf_kernel).__name__, shape=list(y.shape), brain="surface_g2d")
    json.dump(meta, open(base + ".json", "w"), indent=1)
    print("surface_boldroi", y.shape, "t0", t[0], "t1", t[-1])


def main():
    conn = connectivity.Connectivity.from_file(CONN)
    conn.speed = np.array([3.0])
    conn.configure()
    which = sys.argv[1:] or ["lcfile", "sensors", "stimulus", "analytic", "stimregion", "boldroi"]
    if "lcfile" in which:
        lcfile_case(conn)
    if "sensors" in which:
        sensors_case(conn)
    if "stimulus" in which:
        stimulus_case(conn)
    if "analytic" in which:
        analytic_case(conn)
    if "stimregion" in which:
        stimregion_case(conn)
    if "boldroi" in which:
        boldroi_case(conn)


if __name__ == "__main__":
    main()
