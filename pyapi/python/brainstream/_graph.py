"""Graphs: a graph file or dict, with overrides and actors added from Python,
validated and run by the Rust library."""

from __future__ import annotations

import json
import math
import os
from typing import Any, Mapping, Optional, Union

import numpy as np

from . import _native
from ._actor import PyActor
from ._errors import Interrupted
from ._progress import Bar
from ._results import Results

__all__ = ["Graph"]

PathLike = Union[str, "os.PathLike[str]"]


def jsonable(v: Any, where: str = "value") -> Any:
    """``v`` as plain JSON data: numpy scalars and arrays become numbers and
    lists, paths strings, tuples lists. A non-finite float is refused (graph
    files cannot hold one)."""
    if isinstance(v, (bool, np.bool_)):
        return bool(v)
    if isinstance(v, (int, np.integer)):
        return int(v)
    if isinstance(v, (float, np.floating)):
        f = float(v)
        if not math.isfinite(f):
            raise ValueError(f"{where}: {f} cannot be written in a graph")
        return f
    if isinstance(v, str):
        return v
    if isinstance(v, os.PathLike):
        return os.fspath(v)
    if isinstance(v, np.ndarray):
        return jsonable(v.tolist(), where)
    if isinstance(v, Mapping):
        return {str(k): jsonable(x, f"{where}.{k}") for k, x in v.items()}
    if isinstance(v, (list, tuple)):
        return [jsonable(x, f"{where}[{i}]") for i, x in enumerate(v)]
    raise TypeError(f"{where}: {type(v).__name__} cannot be written in a graph")


def overrides(values: Optional[Mapping[str, Any]]) -> list[str]:
    """``{"simulation.duration_ms": 500}`` as ``--set`` arguments."""
    if not values:
        return []
    out = []
    for key, v in values.items():
        if v is None:
            raise ValueError(f"set: {key}: None cannot be set")
        # a JSON value is a TOML value, except tables: written inline
        out.append(f"{key}={_toml_inline(jsonable(v, key))}")
    return out


def _toml_inline(v: Any) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, (int, float)):
        return repr(v)
    if isinstance(v, str):
        return json.dumps(v)
    if isinstance(v, list):
        return "[" + ", ".join(_toml_inline(x) for x in v) + "]"
    return "{ " + ", ".join(f"{json.dumps(k)} = {_toml_inline(x)}" for k, x in v.items()) + " }"


class Graph:
    """A graph of actors: a graph file (TOML or JSON) or a dict of the same
    shape, with overrides.

    Args:
        source: a path to a graph file, or a dict (``{"simulation": {...},
            "actors": {...}, "edges": [...]}``; paths in it are relative to
            the working folder).
        set: overrides, ``{"simulation.duration_ms": 500,
            "actors.brain.model_params.J_N": 0.3}`` — ``--set`` of the
            command line.

    Nothing is read or checked until :meth:`validate` or :meth:`run` (a file
    that cannot be read raises at once).
    """

    def __init__(self, source: Union[PathLike, Mapping[str, Any]], set: Optional[Mapping[str, Any]] = None):
        if isinstance(source, Mapping):
            text = json.dumps(jsonable(source, "graph"), indent=1)
            self._native = _native.NativeGraph(text=text, json=True, overrides=overrides(set))
            self.path: Optional[str] = None
        else:
            self.path = os.fspath(source)
            self._native = _native.NativeGraph(path=self.path, overrides=overrides(set))
        self._py_actors: dict[str, PyActor] = {}
        # keeps what the graph refers to alive (from_tvb's connectome folder)
        self._keep: list[Any] = []

    def __repr__(self) -> str:
        src = self.path or "<dict>"
        extra = f", python actors: {', '.join(self._py_actors)}" if self._py_actors else ""
        return f"<brainstream.Graph {src}{extra}>"

    def set(self, values: Mapping[str, Any]) -> "Graph":
        """Adds overrides (as ``set=`` of the constructor); returns the graph."""
        self._native.set(overrides(values))
        return self

    def add_actor(self, name: str, actor: Union[PyActor, Mapping[str, Any]]) -> "Graph":
        """Adds an actor: a :class:`PyActor`, or a table of any kind
        (``{"kind": "temporal_average", "period_ms": 1.0}``). Returns the
        graph."""
        if isinstance(actor, PyActor):
            self._native.add_python_actor(
                name,
                actor,
                list(actor.inputs.items()),
                list(actor.outputs.items()),
                list(actor.control_keys.items()),
            )
            self._py_actors[name] = actor
        elif isinstance(actor, Mapping):
            if "kind" not in actor:
                raise ValueError(f"actor `{name}`: the table needs a `kind`")
            self._native.add_actor(name, json.dumps(jsonable(actor, f"actors.{name}")))
        else:
            raise TypeError(f"actor `{name}`: a brainstream.PyActor or a dict, got {type(actor).__name__}")
        return self

    def connect(self, src: str, dst: str, delay_ms: float = 0.0) -> "Graph":
        """Adds an edge from output ``src`` to input ``dst`` (``"actor.port"``),
        delayed by ``delay_ms`` (0, or at least one window). Returns the graph."""
        self._native.add_edge(src, dst, float(delay_ms))
        return self

    def validate(self, out: Optional[PathLike] = None, allow_large: bool = False) -> dict[str, Any]:
        """Checks everything, as ``brainstream validate``: every key, every
        actor built (connectomes read, models checked), every edge typed, the
        window, and the memory (and, with ``out``, the disk space) the run
        needs against what the machine has. Raises :class:`GraphError`;
        returns what the run will be (steps, window, scheme, memory and
        output bytes, warnings)."""
        return self._native.validate(None if out is None else os.fspath(out), allow_large)

    def run(
        self,
        out: Optional[PathLike] = None,
        progress: Optional[bool] = None,
        allow_large: bool = False,
    ) -> Results:
        """Runs the graph; every recorder's windows come back in memory.

        Args:
            out: also write every file (HDF5 recordings, plots) into this
                folder, as ``brainstream run --out``. Without it nothing is
                written: ``hdf5_recorder`` actors deliver to the results,
                ``png_plot`` actors are left out.
            progress: a progress bar (tqdm); default: in a terminal or a
                notebook.
            allow_large: run even when the estimated memory or output exceeds
                what the machine has.

        The GIL is released while the graph runs (Python actors take it for
        their calls). Ctrl-C stops the run cleanly (every actor finishes,
        files close with every complete window) and raises
        :class:`Interrupted`, a ``KeyboardInterrupt`` whose ``results`` hold
        what was recorded; a failure raises :class:`RunError` (or
        :class:`GraphError` before the run) with ``results`` too.
        """
        bar = Bar(progress, None, "ms", "simulating")
        try:
            recordings, summary, error = self._native.run(
                None if out is None else os.fspath(out), bar.run_callback(), allow_large
            )
        finally:
            bar.close()
        res = Results(recordings, summary)
        if error is not None:
            error.results = res
            if isinstance(error, Interrupted) and error.complete_ms is None:
                # a run kept in memory: complete up to where its results are
                error.complete_ms = res.complete_ms
            raise error
        return res

    def dot(self) -> str:
        """The graph in Graphviz DOT (``brainstream graph --dot``)."""
        return self._native.dot()

    @property
    def text(self) -> str:
        """The graph's text with the overrides and the actors added from
        Python: what recordings keep as their ``graph`` attribute."""
        return self._native.text()

    def recorders(self) -> list[str]:
        """The recorders' names: the keys of a run's results."""
        return list(self._native.recorders())
