"""The TVB bridge: a tvb-library simulator as a brainstream graph, and
brainstream's results as TVB time series.

``from_tvb(sim)`` reads a configured (or configurable)
``tvb.simulator.simulator.Simulator`` — connectivity, model and its
parameters, coupling, integrator and noise, monitors, initial conditions,
simulation length — and gives the :class:`brainstream.Graph` that runs the
same simulation; anything brainstream cannot express is refused by name
(:class:`TvbError`) rather than approximated. Its results equal
``sim.run()``'s to the tolerance of brainstream's reference tests (to the
last bit for most models).

``to_tvb(da, connectivity)`` wraps a result (an ``xarray.DataArray`` of a
run) as a ``tvb.datatypes.time_series.TimeSeriesRegion``, so that TVB's
analyzers and plots work on it.

tvb-library is imported only when these are called.
"""

from __future__ import annotations

import os
import tempfile
from typing import Any, Optional

import numpy as np

from ._errors import BrainstreamError

__all__ = ["TvbError", "from_tvb", "to_tvb"]

#: tvb-library monitors and the actor kind each becomes
MONITORS = {"Raw": None, "TemporalAverage": "temporal_average", "SubSample": "subsample", "Bold": "bold"}
#: recorder names of the monitors' results
RESULT_NAMES = {"Raw": "raw", "TemporalAverage": "tavg", "SubSample": "subsample", "Bold": "bold"}


class TvbError(BrainstreamError, ValueError):
    """A tvb-library simulator with something brainstream cannot express;
    the message names it."""


def _trait_default(obj: Any, name: str) -> Any:
    for cls in type(obj).__mro__:
        if name in cls.__dict__:
            return getattr(cls.__dict__[name], "default", None)
    return None


def _numeric_traits(obj: Any) -> list[str]:
    """The numeric array traits of a tvb-library object (its parameters)."""
    out = []
    for name in getattr(type(obj), "declarative_attrs", ()):
        desc = None
        for cls in type(obj).__mro__:
            if name in cls.__dict__:
                desc = cls.__dict__[name]
                break
        if type(desc).__name__ == "NArray":
            out.append(name)
    return out


def _same(a: Any, b: Any) -> bool:
    try:
        return np.array_equal(np.asarray(a, dtype=float), np.asarray(b, dtype=float))
    except (TypeError, ValueError):
        return a is b


def _refuse_unknown(obj: Any, known: set[str], what: str, ignore: set[str] = frozenset()) -> None:
    for name in _numeric_traits(obj):
        if name in known or name in ignore:
            continue
        if not _same(getattr(obj, name), _trait_default(obj, name)):
            raise TvbError(
                f"{what}.{name} = {np.asarray(getattr(obj, name)).tolist()} differs from tvb-library's default, "
                f"and brainstream's {type(obj).__name__} has no such parameter"
            )


def _scalar(v: Any, where: str) -> float:
    a = np.asarray(v, dtype=float).ravel()
    if a.size != 1:
        raise TvbError(f"{where} has {a.size} values; brainstream takes one here")
    return float(a[0])


def _num(x: float) -> str:
    return repr(float(x))


def _write_connectivity(conn: Any, folder: str) -> tuple[int, float]:
    """Writes weights, tract lengths and centres (with labels) as text, every
    float exactly (shortest round-trip form). Returns (regions, speed)."""
    weights = np.asarray(conn.weights, dtype=float)
    lengths = np.asarray(conn.tract_lengths, dtype=float)
    n = weights.shape[0]
    if weights.shape != (n, n) or lengths.shape != (n, n):
        raise TvbError(f"connectivity: weights {weights.shape} and tract_lengths {lengths.shape} are not N×N")
    speed = _scalar(conn.speed, "connectivity.speed")
    labels = [str(x) for x in np.asarray(conn.region_labels).ravel()] if conn.region_labels is not None else []
    if len(labels) != n:
        labels = [f"r{k}" for k in range(n)]
    for lab in labels:
        if not lab or any(c.isspace() for c in lab) or "," in lab or lab.startswith("#"):
            raise TvbError(f"connectivity.region_labels: {lab!r} cannot be written (spaces, commas or a leading #)")
    centres = np.asarray(conn.centres, dtype=float) if conn.centres is not None else np.zeros((0, 3))
    if centres.shape != (n, 3):
        centres = np.zeros((n, 3))
    for name, m in (("weights.txt", weights), ("tract_lengths.txt", lengths)):
        with open(os.path.join(folder, name), "w") as f:
            for row in m:
                f.write(" ".join(_num(x) for x in row) + "\n")
    with open(os.path.join(folder, "centres.txt"), "w") as f:
        for lab, c in zip(labels, centres):
            f.write(f"{lab} {_num(c[0])} {_num(c[1])} {_num(c[2])}\n")
    return n, speed


def _model(sim: Any, known: dict[str, Any], n: int) -> tuple[str, dict[str, Any], list[str]]:
    model = sim.model
    name = type(model).__name__
    if name not in known:
        raise TvbError(f"model {name} is not among brainstream's models ({', '.join(sorted(known))})")
    if int(getattr(model, "number_of_modes", 1)) != 1:
        raise TvbError(
            f"model {name} has {model.number_of_modes} modes; from_tvb translates models of one mode: "
            f'write its graph with model = "{name}" (docs/models.md, "Modes")'
        )
    info = known[name]
    params: dict[str, Any] = {}
    names = set()
    for p in info["params"]:
        pname = p["name"]
        names.add(pname)
        if not hasattr(model, pname):
            continue
        a = np.asarray(getattr(model, pname), dtype=float).ravel()
        if isinstance(p["default"], list):
            if a.size != len(p["default"]):
                raise TvbError(f"model.{pname} has {a.size} values; {name} takes {len(p['default'])}")
            params[pname] = a.tolist()
        elif a.size == 1:
            params[pname] = float(a[0])
        elif a.size == n:
            params[pname] = a.tolist()
        else:
            raise TvbError(f"model.{pname} has {a.size} values: one, or one per region ({n}), are possible")
    _refuse_unknown(model, names, "model")
    voi = [str(v) for v in model.variables_of_interest]
    for v in voi:
        if v not in info["state_variables"]:
            raise TvbError(f"model.variables_of_interest: {v!r} is not a state variable of {name}")
    return name, params, voi


def _coupling(sim: Any, known: dict[str, Any]) -> tuple[str, dict[str, float]]:
    c = sim.coupling
    name = type(c).__name__
    if name not in known:
        raise TvbError(f"coupling {name} is not among brainstream's couplings ({', '.join(sorted(known))})")
    params = {}
    names = set()
    for p in known[name]["params"]:
        names.add(p["name"])
        if hasattr(c, p["name"]):
            params[p["name"]] = _scalar(getattr(c, p["name"]), f"coupling.{p['name']}")
    _refuse_unknown(c, names, "coupling")
    return name, params


def _integrator(sim: Any, known: dict[str, bool], nvar: int) -> dict[str, Any]:
    integ = sim.integrator
    name = type(integ).__name__
    if name not in known:
        raise TvbError(f"integrator {name} is not among brainstream's integrators ({', '.join(sorted(known))})")
    if getattr(integ, "clamped_state_variable_indices", None) is not None:
        raise TvbError("integrator.clamped_state_variable_indices: clamped state variables are not supported")
    out: dict[str, Any] = {"integrator": name}
    if not known[name]:
        return out
    nz = integ.noise
    kind = type(nz).__name__
    if kind not in ("Additive", "Multiplicative"):
        raise TvbError(f"integrator.noise: {kind} noise is not supported (Additive, Multiplicative)")
    # tvb-library draws coloured noise when ntau > 0 (white otherwise, as
    # brainstream's noise_ntau = 0): brainstream's noise_ntau is the same
    # Ornstein-Uhlenbeck process from the same numpy stream
    ntau = float(getattr(nz, "ntau", 0.0))
    if ntau > 0.0:
        if not np.isfinite(ntau):
            raise TvbError(f"integrator.noise.ntau = {ntau}: the noise's correlation time must be finite")
        out["noise_ntau"] = ntau
    nsig = np.asarray(nz.nsig, dtype=float)
    if nsig.size not in (1, nvar):
        raise TvbError(f"integrator.noise.nsig has shape {nsig.shape}: one value, or one per state variable, are possible")
    out["nsig"] = nsig.ravel().tolist()
    out["noise_seed"] = int(nz.noise_seed)
    if kind == "Multiplicative":
        b = nz.b
        if type(b).__name__ != "Linear":
            raise TvbError(f"integrator.noise.b: a {type(b).__name__} equation is not supported (Linear)")
        out["noise"] = "multiplicative"
        out["multiplicative_a"] = float(b.parameters["a"])
        out["multiplicative_b"] = float(b.parameters["b"])
    return out


def _horizon(sim: Any, speed: float, dt: float) -> int:
    lengths = np.asarray(sim.connectivity.tract_lengths, dtype=float)
    idelays = np.rint(lengths / speed / dt).astype(np.int32)
    return int(idelays.max()) + 1


def _initial(sim: Any, given: Optional[str], nvar: int, n: int, horizon: int, folder: str) -> str:
    if given == "random":
        return "random"
    if given is not None:
        raise TvbError(f"initial_conditions={given!r}: None (the simulator's) or 'random'")
    ic = sim.initial_conditions
    if ic is None:
        raise TvbError(
            "sim.initial_conditions is not set: tvb-library would draw a random history of "
            f"{horizon} steps, which brainstream cannot take (its initial history is constant); "
            "set sim.initial_conditions to a constant history (e.g. np.repeat(ic[None, :, :, None], horizon, 0)), "
            "or call from_tvb(sim, initial_conditions='random') for brainstream's own seeded random state"
        )
    a = np.asarray(ic, dtype=float)
    if a.ndim != 4 or a.shape[1:] != (nvar, n, 1):
        raise TvbError(f"sim.initial_conditions has shape {a.shape}; expected (time, {nvar}, {n}, 1)")
    if a.shape[0] < horizon:
        raise TvbError(
            f"sim.initial_conditions has {a.shape[0]} time points, fewer than the horizon ({horizon}): "
            "tvb-library would fill the rest at random"
        )
    hist = a[-horizon:]
    if not np.all(hist == hist[-1:]):
        raise TvbError("sim.initial_conditions changes in time; brainstream's initial history is constant")
    path = os.path.join(folder, "initial_conditions.csv")
    with open(path, "w") as f:
        for row in hist[-1, :, :, 0]:
            f.write(",".join(_num(x) for x in row) + "\n")
    return path


def from_tvb(sim: Any, *, initial_conditions: Optional[str] = None, seed: int = 42):
    """A :class:`brainstream.Graph` running the same simulation as ``sim``.

    Args:
        sim: a ``tvb.simulator.simulator.Simulator`` (configured or not).
        initial_conditions: None: the simulator's (a constant history, as
            brainstream's; a random one is refused); ``"random"``:
            brainstream's own seeded random state.
        seed: the graph's seed (random initial conditions; noise takes the
            simulator's ``noise_seed``).

    The graph has a ``mean_field`` actor ``brain`` and one recorder per
    monitor: ``raw`` (Raw), ``tavg`` (TemporalAverage), ``subsample``,
    ``bold``; its results are keyed by those names. Coloured noise
    (``ntau > 0``) becomes ``noise_ntau``. Surfaces, stimuli,
    heterogeneous coupling or noise, other monitors and
    parameters brainstream's model does not have (when not at their
    default) raise :class:`TvbError` naming them.
    """
    from . import _native
    from ._graph import Graph

    if getattr(sim, "surface", None) is not None:
        raise TvbError("sim.surface: surface simulations are not supported (region simulations only)")
    if getattr(sim, "stimulus", None) is not None:
        raise TvbError("sim.stimulus: stimuli are not supported yet")
    models = {m["name"]: m for m in _native.models()}
    couplings = {c["name"]: c for c in _native.couplings()}
    integrators = {i["name"]: i["stochastic"] for i in _native.integrators()}

    tmp = tempfile.TemporaryDirectory(prefix="brainstream-tvb-")
    folder = tmp.name
    n, speed = _write_connectivity(sim.connectivity, folder)
    mname, mparams, voi = _model(sim, models, n)
    nvar = len(models[mname]["state_variables"])
    cname, cparams = _coupling(sim, couplings)
    integ = _integrator(sim, integrators, nvar)
    dt = float(sim.integrator.dt)
    horizon = _horizon(sim, speed, dt)
    ic = _initial(sim, initial_conditions, nvar, n, horizon, folder)
    length = float(sim.simulation_length)
    steps = int(np.ceil(length / dt))

    brain: dict[str, Any] = {
        "kind": "mean_field",
        "model": mname,
        "model_params": mparams,
        "connectivity": folder,
        "speed_mm_per_ms": speed,
        "coupling": cname,
        "coupling_params": cparams,
        "initial_conditions": ic,
        "variables": voi,
    }
    brain.update(integ)
    actors: dict[str, Any] = {"brain": brain}
    edges: list[dict[str, Any]] = []
    monitors = list(sim.monitors or ())
    if not monitors:
        raise TvbError("sim.monitors is empty: nothing would be recorded")
    for mon in monitors:
        kind = type(mon).__name__
        if kind not in MONITORS:
            raise TvbError(f"monitor {kind} is not supported ({', '.join(MONITORS)})")
        voi_m = getattr(mon, "variables_of_interest", None)
        if voi_m is not None and np.asarray(voi_m).size and not np.array_equal(np.asarray(voi_m), np.arange(len(voi))):
            raise TvbError(f"monitors[{monitors.index(mon)}].variables_of_interest: a monitor's own subset is not supported")
        base = RESULT_NAMES[kind]
        name = base
        k = 2
        while name in actors:
            name, k = f"{base}_{k}", k + 1
        actors[name] = {"kind": "hdf5_recorder"}
        if MONITORS[kind] is None:
            edges.append({"from": "brain.state", "to": f"{name}.input"})
            continue
        period = float(mon.period)
        m: dict[str, Any] = {"kind": MONITORS[kind], "period_ms": period, "offset_steps": horizon - 1}
        if kind == "Bold":
            kern = mon.hrf_kernel
            if type(kern).__name__ != "FirstOrderVolterra" or not _same(
                [kern.parameters[p] for p in ("tau_s", "tau_f", "k_1", "V_0")], [0.8, 0.4, 5.6, 0.02]
            ):
                raise TvbError("monitors: Bold with another haemodynamic kernel than the default FirstOrderVolterra")
            m["hrf_length_ms"] = float(mon.hrf_length)
        mon_name = f"{name}_monitor"
        actors[mon_name] = m
        edges.append({"from": "brain.state", "to": f"{mon_name}.input"})
        edges.append({"from": f"{mon_name}.output", "to": f"{name}.input"})
    graph = {
        "simulation": {"dt_ms": dt, "duration_ms": steps * dt, "seed": int(seed), "scheme": "serial"},
        "actors": actors,
        "edges": edges,
    }
    g = Graph(graph)
    g._keep.append(tmp)
    return g


def to_tvb(da: Any, connectivity: Any):
    """``da`` (a result of :meth:`brainstream.Graph.run`, dims ``time,
    variable, region, mode``) as a ``tvb.datatypes.time_series.TimeSeriesRegion``
    on ``connectivity`` (a ``tvb.datatypes.connectivity.Connectivity`` whose
    regions are ``da``'s, in the same order)."""
    from tvb.datatypes.time_series import TimeSeriesRegion

    if tuple(da.dims) != ("time", "variable", "region", "mode"):
        raise TvbError(f"to_tvb takes a series of dims (time, variable, region, mode), got {da.dims}")
    regions = [str(r) for r in da["region"].values]
    labels = [str(x) for x in np.asarray(connectivity.region_labels).ravel()]
    if labels != regions:
        raise TvbError(
            f"the connectivity's {len(labels)} regions are not the series' {len(regions)} regions in the same order"
        )
    time = np.asarray(da["time"].values, dtype=float)
    period = float(time[1] - time[0]) if len(time) > 1 else float(da.attrs.get("dt", 1.0))
    ts = TimeSeriesRegion(
        data=np.asarray(da.values),
        time=time,
        connectivity=connectivity,
        sample_period=period,
        sample_period_unit="ms",
        start_time=float(time[0]) if len(time) else 0.0,
        labels_ordering=("Time", "State Variable", "Region", "Mode"),
        labels_dimensions={"State Variable": [str(v) for v in da["variable"].values], "Region": regions},
        title=str(da.name or "brainstream"),
    )
    ts.configure()
    return ts
