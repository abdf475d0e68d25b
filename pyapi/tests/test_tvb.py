"""The TVB bridge: from_tvb(sim) runs what sim.run() runs, in the same
process, with the same numbers; to_tvb gives TVB its time series back.
Skipped with a message where tvb-library is absent, required in CI
(BRAINSTREAM_REQUIRE_TVB=1)."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

import brainstream as bs
from conftest import REPO, tvb_or_skip

CONN = REPO / "data" / "connectivity" / "connectivity_76.zip"


@pytest.fixture(scope="module")
def lab():
    tvb_or_skip()
    warnings.filterwarnings("ignore")
    from tvb.simulator import lab

    return lab


def golden_ic(model, n):
    """A deterministic state inside each variable's range (tests/data/tvb_cases/make_refs.py)."""
    phi = 0.6180339887498949
    ic = np.zeros((len(model.state_variables), n))
    for k, sv in enumerate(model.state_variables):
        lo, hi = np.asarray(model.state_variable_range[sv], dtype=float)
        ic[k] = lo + (hi - lo) * (0.25 + 0.5 * np.mod(np.arange(n) * phi + k * 0.1, 1.0))
    return ic


def simulator(lab, model, cpl, integ, monitors, length=100.0):
    conn = lab.connectivity.Connectivity.from_file(str(CONN))
    conn.speed = np.array([3.0])
    conn.configure()
    model.variables_of_interest = tuple(model.state_variables)
    sim = lab.simulator.Simulator(
        model=model, connectivity=conn, coupling=cpl, integrator=integ, monitors=monitors, simulation_length=length
    )
    conn.set_idelays(integ.dt)
    horizon = int(conn.idelays.max()) + 1
    ic = golden_ic(model, conn.number_of_regions)
    sim.initial_conditions = np.repeat(ic[None, :, :, None], horizon, axis=0)
    return sim


def compare(sim, exact: bool, names=("raw",)):
    g = bs.from_tvb(sim)  # before configure: from_tvb reads the settings
    sim.configure()
    out = sim.run()
    res = g.run(progress=False)
    for name, (t, y) in zip(names, out):
        da = res[name]
        assert da.shape == y.shape, (name, da.shape, y.shape)
        # tvb-library numbers its first step after the initial history
        # (horizon − 1 steps on): its Raw times are ours shifted by that; the
        # monitors' actors reproduce its phase and times (offset_steps)
        shift = (sim.connectivity.idelays.max()) * sim.integrator.dt if name == "raw" else 0.0
        assert np.allclose(da["time"].values + shift, t, rtol=0, atol=1e-9), name
        if exact:
            assert np.array_equal(da.values, y), f"{name}: max diff {np.abs(da.values - y).max()}"
        else:
            for v in range(y.shape[1]):
                scale = np.abs(y[:, v]).max()
                assert np.abs(da.values[:, v] - y[:, v]).max() <= 1e-6 * scale, name
    return res


def test_rww_equals_tvb_bit_for_bit(lab):
    sim = simulator(
        lab,
        lab.models.ReducedWongWang(),
        lab.coupling.Linear(a=np.array([0.0042])),
        lab.integrators.HeunDeterministic(dt=0.1),
        (lab.monitors.Raw(), lab.monitors.TemporalAverage(period=1.0)),
    )
    compare(sim, exact=True, names=("raw", "tavg"))


def test_g2d_equals_tvb_bit_for_bit(lab):
    sim = simulator(
        lab,
        lab.models.Generic2dOscillator(a=np.array([-0.5])),
        lab.coupling.Linear(a=np.array([0.0042])),
        lab.integrators.HeunDeterministic(dt=0.1),
        (lab.monitors.Raw(),),
    )
    compare(sim, exact=True)


def test_jansen_rit_equals_tvb(lab):
    sim = simulator(
        lab,
        lab.models.JansenRit(),
        lab.coupling.SigmoidalJansenRit(a=np.array([1.0])),
        lab.integrators.HeunDeterministic(dt=0.1),
        (lab.monitors.Raw(),),
    )
    compare(sim, exact=False)


def test_a_stochastic_run_draws_tvbs_noise(lab):
    sim = simulator(
        lab,
        lab.models.Generic2dOscillator(),
        lab.coupling.Linear(a=np.array([0.0042])),
        lab.integrators.HeunStochastic(dt=0.1, noise=lab.noise.Additive(nsig=np.array([1e-3]), noise_seed=42)),
        (lab.monitors.Raw(),),
    )
    compare(sim, exact=True)


def test_coloured_noise_is_tvbs_to_the_bit(lab):
    """ntau > 0: tvb-library's Ornstein-Uhlenbeck noise (its initial eta is
    the stream's first draw) becomes noise_ntau, additive and multiplicative."""
    for noise, integ in [
        (lab.noise.Additive(nsig=np.array([1e-3]), ntau=2.0, noise_seed=42), lab.integrators.HeunStochastic),
        (lab.noise.Multiplicative(nsig=np.array([1e-4]), ntau=0.5, noise_seed=3), lab.integrators.EulerStochastic),
    ]:
        sim = simulator(
            lab,
            lab.models.Generic2dOscillator(),
            lab.coupling.Linear(a=np.array([0.0042])),
            integ(dt=0.1, noise=noise),
            (lab.monitors.Raw(),),
            length=50.0,
        )
        assert "noise_ntau" in bs.from_tvb(sim).text
        compare(sim, exact=True)


def test_what_brainstream_cannot_express_is_refused_by_name(lab):
    def base(**kw):
        return simulator(
            lab,
            kw.get("model", lab.models.ReducedWongWang()),
            lab.coupling.Linear(a=np.array([0.0042])),
            kw.get("integ", lab.integrators.HeunDeterministic(dt=0.1)),
            kw.get("monitors", (lab.monitors.Raw(),)),
        )

    sim = base()
    sim.initial_conditions = None
    with pytest.raises(bs.TvbError, match="initial_conditions"):
        bs.from_tvb(sim)
    # brainstream's own random start is there for it
    assert bs.from_tvb(sim, initial_conditions="random").validate()["total_steps"] == 1000
    # a model brainstream does not have: every tvb-library model is there,
    # so a user's own subclass
    class MyOscillator(lab.models.Generic2dOscillator):
        pass

    with pytest.raises(bs.TvbError, match="model MyOscillator is not among brainstream's models"):
        bs.from_tvb(base(model=MyOscillator()))
    # a model with modes is refused by name
    with pytest.raises(bs.TvbError, match="ReducedSetFitzHughNagumo has 3 modes"):
        bs.from_tvb(base(model=lab.models.ReducedSetFitzHughNagumo()))
    with pytest.raises(bs.TvbError, match="SpatialAverage"):
        bs.from_tvb(base(monitors=(lab.monitors.SpatialAverage(),)))
    sim = base()
    sim.model.J_N = np.array([0.2609, 0.3])
    with pytest.raises(bs.TvbError, match="model.J_N has 2 values"):
        bs.from_tvb(sim)
    sim = base(integ=lab.integrators.HeunStochastic(dt=0.1, noise=lab.noise.Additive(nsig=np.array([1e-3]), ntau=np.inf)))
    with pytest.raises(bs.TvbError, match="integrator.noise.ntau = inf"):
        bs.from_tvb(sim)


def test_to_tvb_gives_a_time_series_tvbs_analyzers_take(lab):
    conn = lab.connectivity.Connectivity.from_file(str(CONN))
    conn.configure()
    res = bs.Graph(REPO / "graphs" / "tvb_rww76.toml", set={"simulation.duration_ms": 200}).run(progress=False)
    ts = bs.to_tvb(res["tavg_rec"], conn)
    assert ts.data.shape == (200, 1, 76, 1)
    assert np.array_equal(ts.data, res["tavg_rec"].values)
    assert ts.sample_period == pytest.approx(1.0) and ts.sample_period_unit == "ms"
    assert list(ts.labels_dimensions["Region"])[:2] == ["rA1", "rA2"]
    from tvb.analyzers.metric_variance_global import compute_variance_global_metric

    v = compute_variance_global_metric({"time_series": ts, "start_point": 50.0, "segment": 4})
    x = res["tavg_rec"].values[50:]
    assert v == pytest.approx((x - x.mean(axis=0)).var())
    with pytest.raises(bs.TvbError, match="regions"):
        bs.to_tvb(res["tavg_rec"].isel(region=slice(0, 10)), conn)
