#!/usr/bin/env python3
"""Reference runs of tvb-library 2.10's sensor-space monitors — EEG, MEG and
iEEG (SEEG) projections of a region simulation — and the region-level lead
fields brainstream ships (models/data/sensors/).

The brain is make_refs_stimulus.py's g2d_stimulus_heun (Generic2dOscillator
on the 76-region connectome, Linear coupling, Heun, the same pulse train
into four regions), 60 ms, recorded at once by
  * EEG: tvb-data's eeg_brainstorm_65.txt and projection_eeg_65_surface_16k.npy
    (65 × 16384 vertices) with regionMapping_16k_76.txt: tvb-library sums
    the vertices' gain per region (numpy.add.at), average reference,
    observation noise off (obsnoise=None);
  * EEG with tvb-library's default observation noise (white, additive,
    sqrt(dt)·N(0, 1) from RandomState(42)) and electrode `Fp1` as reference;
  * MEG: meg_brainstorm_276.txt, projection_meg_276_surface_16k.npy, no noise;
  * iEEG: seeg_39.txt.bz2 with the region-level lead field that tvb-library's
    iEEG.analytic (Sarvas 1987, eq. 12, sigma 1) gives for the connectome's
    centres and orientations (tvb-data 3.0 has no SEEG projection matrix);
each at tvb-library's default period 1e3/1024 ms (int(period/dt) = 9 steps).

It writes, per monitor, sensors_<name>_data.npy (time, variable, sensor; MEG every third sensor), <name>_time.npy
and <name>.json; the region-level gains tvb-library computed
(models/data/sensors/*_tvb76_gain.npy, shipped as builtin: lead fields) and
seeg39_tvb76_gain.npy (the iEEG lead field, here).

With the argument `analytic` it writes instead the lead fields tvb-library
computes for a region simulation when a monitor has no projection matrix
(`Projection.config_for_sim` on the connectome's centres and
average_orientations): analytic_tvb76_<name>_gain.npy for iEEG
(seeg_588.txt, every 7th contact), EEG (eeg_brainstorm_65.txt) and MEG
(meg_brainstorm_276.txt, every 3rd sensor), and analytic_tvb76.json.

Run:  python make_refs_sensors.py [analytic]   (needs tvb-library, tvb-data; a few seconds)
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
from make_refs_stimulus import PULSE, WEIGHTS  # noqa: E402
import tvb_data  # noqa: E402
from tvb.datatypes import equations, patterns, projections, sensors  # noqa: E402
from tvb.datatypes.region_mapping import RegionMapping  # noqa: E402
from tvb.simulator.lab import (connectivity, coupling, integrators, models,  # noqa: E402
                               monitors, simulator)

HERE = os.path.dirname(os.path.abspath(__file__))
SHIP = os.path.join(HERE, "..", "..", "..", "models", "data", "sensors")
TD = os.path.dirname(tvb_data.__file__)


def main():
    dt, length = 0.1, 60.0
    conn = connectivity.Connectivity.from_file(CONN)
    conn.speed = np.array([3.0])
    conn.configure()
    labels = [str(x) for x in conn.region_labels]
    w = np.zeros(conn.number_of_regions)
    for k, v in WEIGHTS.items():
        w[labels.index(k)] = v
    stim = patterns.StimuliRegion(temporal=equations.PulseTrain(parameters=dict(PULSE)),
                                  connectivity=conn, weight=w)
    model = models.Generic2dOscillator()
    model.variables_of_interest = ("V", "W")
    rm = RegionMapping.from_file("regionMapping_16k_76.txt")

    eeg = monitors.EEG.from_file("eeg_brainstorm_65.txt", "projection_eeg_65_surface_16k.npy",
                                 reference="average", obsnoise=None)
    eeg_noisy = monitors.EEG.from_file("eeg_brainstorm_65.txt", "projection_eeg_65_surface_16k.npy",
                                       reference="Fp1")
    meg = monitors.MEG.from_file("meg_brainstorm_276.txt", "projection_meg_276_surface_16k.npy",
                                 obsnoise=None)
    # the iEEG lead field: tvb-library's analytic formula on the region centres
    seeg_sensors = sensors.SensorsInternal.from_file("seeg_39.txt.bz2")
    ieeg = monitors.iEEG(sensors=seeg_sensors, region_mapping=rm, obsnoise=None)
    seeg_gain = ieeg.analytic(conn.centres, conn.orientations)
    ieeg.projection = projections.ProjectionSurfaceSEEG(projection_data=seeg_gain)
    np.save(os.path.join(OUT, "seeg39_tvb76_gain.npy"), seeg_gain)
    mons = [("eeg", eeg), ("eeg_noisy", eeg_noisy), ("meg", meg), ("ieeg", ieeg)]
    for name, m in mons[:3]:
        m.region_mapping = rm
    assert eeg_noisy.obsnoise is not None and eeg_noisy.obsnoise is not eeg.obsnoise

    integ = integrators.HeunDeterministic(dt=dt)
    sim = simulator.Simulator(model=model, connectivity=conn, coupling=coupling.Linear(a=np.array([0.0042])),
                              integrator=integ, monitors=[m for _, m in mons], stimulus=stim)
    conn.set_idelays(dt)
    horizon = int(conn.idelays.max()) + 1
    ic = golden_ic(model, conn.number_of_regions)
    sim.initial_conditions = np.repeat(ic[None, :, :, None], horizon, axis=0)
    sim.configure()
    out = sim.run(simulation_length=length)
    os.makedirs(SHIP, exist_ok=True)
    np.save(os.path.join(SHIP, "eeg65_tvb76_gain.npy"), eeg.gain)
    np.save(os.path.join(SHIP, "meg276_tvb76_gain.npy"), meg.gain)
    for (name, m), (t, y) in zip(mons, out):
        y = y[..., 0]
        # MEG: every third sensor is kept (the file stays small)
        stride = 3 if name == "meg" else 1
        y = y[:, :, ::stride]
        np.save(os.path.join(OUT, "sensors_" + name + "_data.npy"), y.astype(np.float64))
        np.save(os.path.join(OUT, "sensors_" + name + "_time.npy"), np.asarray(t, dtype=np.float64))
        meta = dict(monitor=type(m).__name__, period_ms=m.period, period_steps=m._period_in_steps,
                    horizon=horizon, length_ms=length, dt_ms=dt, shape=list(y.shape),
                    sensors=[str(s) for s in m.sensors.labels], sensor_stride=stride, gain_shape=list(m.gain.shape),
                    reference=getattr(m, "reference", None),
                    obsnoise=None if m.obsnoise is None else dict(
                        kind=type(m.obsnoise).__name__, seed=m.obsnoise.noise_seed, ntau=m.obsnoise.ntau),
                    brain="g2d_stimulus_heun")
        json.dump(meta, open(os.path.join(OUT, "sensors_" + name + ".json"), "w"), indent=1)
        print(name, y.shape, "t0", t[0], "t1", t[-1], "gain", m.gain.shape)


def analytic():
    """Region lead fields of monitors without a projection matrix."""
    conn = connectivity.Connectivity.from_file(CONN)
    conn.speed = np.array([3.0])
    conn.configure()
    rm = RegionMapping.from_file("regionMapping_16k_76.txt")
    mons = [("ieeg", 7, monitors.iEEG(sensors=sensors.SensorsInternal.from_file("seeg_588.txt"),
                                       region_mapping=rm, obsnoise=None)),
            ("eeg", 1, monitors.EEG(sensors=sensors.SensorsEEG.from_file("eeg_brainstorm_65.txt"),
                                    region_mapping=rm, obsnoise=None)),
            ("meg", 3, monitors.MEG(sensors=sensors.SensorsMEG.from_file("meg_brainstorm_276.txt"),
                                    region_mapping=rm, obsnoise=None))]
    sim = simulator.Simulator(model=models.Generic2dOscillator(), connectivity=conn,
                              coupling=coupling.Linear(), integrator=integrators.HeunDeterministic(dt=0.1),
                              monitors=[m for _, _, m in mons])
    sim.configure()
    meta = {}
    for name, stride, m in mons:
        assert m.gain.shape[1] == 76, m.gain.shape
        g = np.ascontiguousarray(m.gain[::stride]).astype(np.float64)
        np.save(os.path.join(OUT, "analytic_tvb76_" + name + "_gain.npy"), g)
        meta[name] = dict(monitor=type(m).__name__, sensors=int(m.sensors.labels.size), sensor_stride=stride,
                          gain_shape=list(m.gain.shape), sigma=getattr(m, "sigma", None),
                          max_abs_gain=float(np.abs(m.gain).max()))
        print("analytic", name, m.gain.shape)
    json.dump(meta, open(os.path.join(OUT, "analytic_tvb76.json"), "w"), indent=1)


if __name__ == "__main__":
    sys.exit(analytic() if sys.argv[1:] == ["analytic"] else main())
