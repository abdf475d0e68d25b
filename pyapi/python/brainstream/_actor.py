"""Python actors: a function called once per window of a graph.

A :class:`PyActor` joins a graph with ``Graph.add_actor(name, PyActor(...))``
and edges to and from its ports (``Graph.connect``). Each window, the
function gets the window (:class:`Window`) and a dict of its inputs, port
by port (:class:`Series` or :class:`Spikes`, numpy arrays with integer time
stamps), and returns a dict of its outputs. The runtime calls it on the
actor's own thread, taking the GIL for that call only; the same inputs in
the same order every run, so a function whose randomness is seeded from
``window.seed`` (or ``Context.seed``) gives the same outputs every run,
whatever the scheme or the machine.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable, Mapping, Optional, Sequence, Union

import numpy as np

__all__ = ["Context", "Control", "PyActor", "Series", "Spikes", "Window"]

PORT_TYPES = ("series", "current", "spikes", "control")


@dataclass(frozen=True)
class Window:
    """The window being computed: steps ``start_step .. start_step + n_steps``
    of ``dt_ms`` each.

    A series sample stamped ``k`` is the value at ``k·dt`` (a state after
    ``k`` steps is stamped ``k``); a spike stamped ``k`` happened during step
    ``k``. ``seed`` is the actor's own seed (from the graph's seed and the
    actor's name), the same every run.
    """

    index: int
    start_step: int
    n_steps: int
    dt_ms: float
    seed: int

    @property
    def start_ms(self) -> float:
        """Start time, ms."""
        return self.start_step * self.dt_ms

    @property
    def end_ms(self) -> float:
        """End time, ms."""
        return (self.start_step + self.n_steps) * self.dt_ms

    @property
    def steps(self) -> np.ndarray:
        """The window's steps, ``start_step .. start_step + n_steps - 1``."""
        return np.arange(self.start_step, self.start_step + self.n_steps, dtype=np.uint64)


@dataclass(frozen=True)
class Context:
    """What a Python actor learns when the run starts (its ``start`` hook):
    its name, its seed and the graph's, the step (ms), the run's steps and
    the steps per window."""

    name: str
    seed: int
    graph_seed: int
    dt_ms: float
    total_steps: int
    window_steps: int


@dataclass
class Series:
    """A window of a time series.

    Attributes:
        data: ``samples × variables × nodes`` float64 (a 2-D array is one
            variable: ``samples × nodes``).
        stamps: integer time stamp of each sample (the value at
            ``stamp·dt``), increasing.
        times: time of each sample, ms (default ``stamps·dt``).
        variables: one name per variable (default ``v0, v1, …``).
        nodes: one label per node (default ``0, 1, …``).
        unit: the unit of every variable (``"1"`` dimensionless, ``""`` not
            known); on an input, the unit the variables share (``""`` when
            they differ: see ``units``).
        units: one unit per variable (e.g. ``["kHz", "kHz", "pA"]`` for
            AdEx's E, I, W_e); give ``unit`` or ``units``, not both. On an
            input, always the list.
    """

    data: Any
    stamps: Any
    times: Any = None
    variables: Optional[Sequence[str]] = None
    nodes: Optional[Sequence[str]] = None
    unit: str = ""
    units: Optional[Sequence[str]] = None

    def __len__(self) -> int:
        return len(self.stamps)


@dataclass
class Spikes:
    """A window of spikes, in time order.

    Attributes:
        senders: index of the emitting neuron (or proxy) of each spike.
        stamps: step during which each spike happened, non-decreasing.
        times: spike times, ms (default ``stamps·dt``).
    """

    senders: Any
    stamps: Any
    times: Any = None

    def __len__(self) -> int:
        return len(self.stamps)


@dataclass
class Control:
    """Parameter changes sent on a ``control`` output, to the ``control``
    input of the actor it steers (``mean_field``, ``stimulus``,
    ``poisson_generator``; docs/live.md, "Steering from an actor").

    Attributes:
        values: steerable key of the target (without its name, e.g.
            ``"coupling_params.a"``) → its new value; NaN leaves a key as
            it is.
        stamp: the step from which they apply (default: the next window's
            first step, ``window.start_step + window.n_steps``); after the
            edge's delay, they apply before the window holding the stamp.
    """

    values: Mapping[str, float]
    stamp: Optional[int] = None


Ports = Union[Mapping[str, Any], Sequence[str], None]


def _ports(ports: Ports, what: str) -> tuple[dict[str, str], dict[str, list[str]]]:
    """The ports by name → type, and the keys each ``control`` output
    declares (``{"u": ("control", ["coupling_params.a"])}``)."""
    if ports is None:
        return {}, {}
    if isinstance(ports, str):
        ports = [ports]
    if not isinstance(ports, Mapping):
        ports = {p: "series" for p in ports}
    out = {}
    keys: dict[str, list[str]] = {}
    for name, ty in ports.items():
        if not isinstance(name, str) or not name or "." in name:
            raise ValueError(f"{what} port {name!r}: a name without dots")
        if isinstance(ty, tuple) and len(ty) == 2 and ty[0] == "control":
            declared = [ty[1]] if isinstance(ty[1], str) else list(ty[1])
            if not declared or not all(isinstance(k, str) and k for k in declared):
                raise ValueError(f"{what} port {name!r}: ('control', [KEY, ...]) names the steerable keys it sends")
            keys[name] = declared
            ty = "control"
        if ty not in PORT_TYPES:
            raise ValueError(f"{what} port {name!r}: type {ty!r} is not one of {', '.join(PORT_TYPES)}")
        if ty == "control" and what == "input":
            raise ValueError(
                f"input port {name!r}: `control` is an output type (a Python actor steers others; it has no steerable parameter of its own)"
            )
        out[name] = ty
    return out, keys


class PyActor:
    """A transformer, device or probe written in Python.

    Args:
        fn: ``fn(window, inputs) -> outputs``: ``window`` a :class:`Window`,
            ``inputs`` a dict port → :class:`Series` or :class:`Spikes` (a port
            that received nothing this window is absent), ``outputs`` a dict
            port → :class:`Series` / :class:`Spikes` / ``None`` (or ``None``
            for no output).
        inputs, outputs: the ports, ``{"name": "series" | "current" |
            "spikes"}``, or a list of names (series). An output may be
            ``"control"``, or ``("control", [KEY, ...])`` to declare the
            steerable keys it sends (checked against the steered actor
            before the run); it returns :class:`Control`.
        start: called once before the first window with a :class:`Context`.
        finish: called once at the end with ``complete`` (False after a
            failure or a stop).

    An exception in any of them stops the run (every recorder keeps what it
    received) and is raised as the ``__cause__`` of a
    :class:`brainstream.RunError`, traceback included.

    Example — a transformer from population rates (Hz) to a mean-field
    activity, as tvb-multiscale's transformers::

        def to_activity(window, inputs):
            r = inputs["rates"]
            return {"activity": bs.Series(r.data * 0.01, r.stamps, variables=r.variables, nodes=r.nodes)}

        g.add_actor("tf", bs.PyActor(to_activity, inputs=["rates"], outputs=["activity"]))
    """

    def __init__(
        self,
        fn: Callable[[Window, dict[str, Union[Series, Spikes]]], Optional[Mapping[str, Any]]],
        inputs: Ports = None,
        outputs: Ports = None,
        *,
        start: Optional[Callable[[Context], None]] = None,
        finish: Optional[Callable[[bool], None]] = None,
    ):
        if not callable(fn):
            raise TypeError(f"fn must be callable, got {type(fn).__name__}")
        self.fn = fn
        self.inputs, _ = _ports(inputs, "input")
        self.outputs, self.control_keys = _ports(outputs, "output")
        self.start = start
        self.finish = finish
        self._seed = 0
        self._dt = 0.0
        self._name = "?"
        self._next = 0

    def __repr__(self) -> str:
        name = getattr(self.fn, "__qualname__", repr(self.fn))
        return f"PyActor({name}, inputs={self.inputs}, outputs={self.outputs})"

    # --- called by the runtime (brainstream/_native), one call per window ---

    def _start(self, ctx: Mapping[str, Any]) -> None:
        self._seed = int(ctx["seed"])
        self._dt = float(ctx["dt_ms"])
        self._name = str(ctx["name"])
        if self.start is not None:
            self.start(Context(**ctx))

    def _finish(self, complete: bool) -> None:
        if self.finish is not None:
            self.finish(bool(complete))

    def _step(self, win: tuple, raw: Mapping[str, tuple]) -> dict[str, tuple]:
        window = Window(win[0], win[1], win[2], win[3], self._seed)
        inputs: dict[str, Union[Series, Spikes]] = {}
        for port, t in raw.items():
            if t[0] == "series":
                _, stamps, times, data, variables, nodes, units = t
                units = [str(u) for u in units]
                shared = units[0] if units and all(u == units[0] for u in units) else ""
                inputs[port] = Series(data, stamps, times, list(variables), list(nodes), shared, units)
            else:
                _, senders, times, stamps = t
                inputs[port] = Spikes(senders, stamps, times)
        self._next = window.start_step + window.n_steps
        outs = self.fn(window, inputs)
        if outs is None:
            return {}
        if not isinstance(outs, Mapping):
            raise TypeError(
                f"Python actor `{self._name}` returned {type(outs).__name__}: return a dict of output port → Series/Spikes (or None)"
            )
        res: dict[str, tuple] = {}
        for port, v in outs.items():
            if port not in self.outputs:
                raise KeyError(
                    f"Python actor `{self._name}` returned port {port!r}, which it does not declare (outputs: {', '.join(self.outputs) or 'none'})"
                )
            if v is None:
                continue
            ty = self.outputs[port]
            if ty == "spikes":
                res[port] = self._spikes(port, v)
            elif ty == "control":
                res[port] = self._control(port, v)
            else:
                res[port] = self._series(port, v)
        return res

    def _series(self, port: str, v: Any) -> tuple:
        where = f"Python actor `{self._name}`, output {port!r}"
        if isinstance(v, Mapping):
            v = Series(**v)
        if not isinstance(v, Series):
            raise TypeError(f"{where}: expected a brainstream.Series, got {type(v).__name__}")
        data = np.asarray(v.data, dtype=np.float64)
        if data.ndim == 2:
            data = data[:, None, :]
        if data.ndim != 3:
            raise ValueError(f"{where}: data must be samples × variables × nodes (or samples × nodes), got shape {data.shape}")
        stamps = _stamps(v.stamps, where)
        if len(stamps) != data.shape[0]:
            raise ValueError(f"{where}: {len(stamps)} stamps for {data.shape[0]} samples")
        if len(stamps) > 1 and np.any(np.diff(stamps.astype(np.int64)) <= 0):
            raise ValueError(f"{where}: stamps must increase")
        times = stamps * self._dt if v.times is None else np.asarray(v.times, dtype=np.float64)
        if times.shape != stamps.shape:
            raise ValueError(f"{where}: {len(times)} times for {len(stamps)} stamps")
        nv, nn = data.shape[1], data.shape[2]
        variables = [f"v{k}" for k in range(nv)] if v.variables is None else [str(x) for x in v.variables]
        nodes = [str(k) for k in range(nn)] if v.nodes is None else [str(x) for x in v.nodes]
        if len(variables) != nv or len(nodes) != nn:
            raise ValueError(
                f"{where}: {len(variables)} variable names and {len(nodes)} node labels for data of {nv} variables and {nn} nodes"
            )
        if v.units is None:
            units = [str(v.unit)] * nv
        else:
            if isinstance(v.units, str):
                raise TypeError(f"{where}: units is one unit per variable (a list); unit={v.units!r} gives every variable the same")
            units = [str(u) for u in v.units]
            if len(units) != nv:
                raise ValueError(f"{where}: {len(units)} units for data of {nv} variables ({', '.join(variables)})")
            if v.unit and any(u != v.unit for u in units):
                raise ValueError(f"{where}: unit={v.unit!r} and units={units!r} disagree: give one of them")
        return ("series", stamps, np.ascontiguousarray(times), np.ascontiguousarray(data), variables, nodes, units)

    def _control(self, port: str, v: Any) -> tuple:
        where = f"Python actor `{self._name}`, output {port!r}"
        if isinstance(v, Series):
            return self._series(port, v)
        if isinstance(v, Mapping):
            v = Control(v)
        if not isinstance(v, Control):
            raise TypeError(f"{where}: expected a brainstream.Control (or a dict key → value), got {type(v).__name__}")
        declared = self.control_keys.get(port)
        given = [str(k) for k in v.values]
        if declared is not None:
            extra = [k for k in given if k not in declared]
            if extra:
                raise KeyError(f"{where}: sends {', '.join(extra)}, which it does not declare ({', '.join(declared)})")
            keys = declared
        else:
            keys = given
        values = {str(k): float(x) for k, x in v.values.items()}
        data = np.array([[[values.get(k, np.nan)] for k in keys]], dtype=np.float64)
        stamp = self._next if v.stamp is None else v.stamp
        return self._series(port, Series(data, [stamp], variables=keys, nodes=["value"]))

    def _spikes(self, port: str, v: Any) -> tuple:
        where = f"Python actor `{self._name}`, output {port!r}"
        if isinstance(v, Mapping):
            v = Spikes(**v)
        if not isinstance(v, Spikes):
            raise TypeError(f"{where}: expected a brainstream.Spikes, got {type(v).__name__}")
        senders = np.asarray(v.senders)
        if senders.size and (not np.issubdtype(senders.dtype, np.integer) or senders.min() < 0 or senders.max() > 2**32 - 1):
            raise ValueError(f"{where}: senders must be integers in [0, 2^32)")
        senders = np.ascontiguousarray(senders, dtype=np.uint32)
        stamps = _stamps(v.stamps, where)
        if len(stamps) > 1 and np.any(np.diff(stamps.astype(np.int64)) < 0):
            raise ValueError(f"{where}: spikes must be in time order (stamps non-decreasing)")
        times = stamps * self._dt if v.times is None else np.asarray(v.times, dtype=np.float64)
        if not (len(senders) == len(stamps) == len(times)):
            raise ValueError(f"{where}: {len(senders)} senders, {len(stamps)} stamps, {len(times)} times")
        return ("spikes", senders, np.ascontiguousarray(times), stamps)


def _stamps(s: Any, where: str) -> np.ndarray:
    a = np.asarray(s)
    if a.ndim != 1:
        raise ValueError(f"{where}: stamps must be a 1-D array of steps")
    if a.size == 0:
        return np.zeros(0, dtype=np.uint64)
    if not np.issubdtype(a.dtype, np.integer):
        if np.issubdtype(a.dtype, np.floating) and np.all(np.isfinite(a)) and np.all(a == np.round(a)):
            a = a.astype(np.int64)
        else:
            raise ValueError(f"{where}: stamps must be whole steps, got {a.dtype}")
    if a.min() < 0:
        raise ValueError(f"{where}: stamps must be ≥ 0")
    return np.ascontiguousarray(a, dtype=np.uint64)
