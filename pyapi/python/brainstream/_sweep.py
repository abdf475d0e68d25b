"""Parameter sweeps of a graph's mean-field model, as a pandas table."""

from __future__ import annotations

import json
import os
from typing import Any, Mapping, Optional, Union

from . import _native
from ._graph import jsonable, overrides
from ._progress import Bar

__all__ = ["sweep"]


def sweep(
    source: Union[str, "os.PathLike[str]", Mapping[str, Any]],
    set: Optional[Mapping[str, Any]] = None,
    out: Optional[Union[str, "os.PathLike[str]"]] = None,
    threads: int = 0,
    backend: str = "auto",
    progress: Optional[bool] = None,
):
    """Runs a parameter sweep (``brainstream sweep``) and returns its table.

    Args:
        source: a sweep file (TOML), or a dict of the same keys (``graph``
            relative to the working folder).
        set: overrides of the sweep file's keys, e.g.
            ``{"duration_ms": 2000, "axes.0.linspace": [0, 0.5, 6]}``.
        out: keep the sweep's files there (``rows.jsonl``, ``sweep.h5``,
            heat maps); a sweep stopped there continues where it stopped
            when run again with the same ``out``. Default: a temporary
            folder, removed.
        threads: worker threads (0: one per core).
        backend: ``"auto"``, ``"cpu"`` or ``"vulkan"``.
        progress: a progress bar over combinations (default: in a terminal
            or a notebook).

    Returns:
        a ``pandas.DataFrame``, one row per combination (index
        ``combination``): the axes' values, ``diverged``, then every
        analysis (rates' mean/std/max, FC, FCD, spectra, up/down states).
        ``df.attrs["summary"]`` says how it ran.

    Raises :class:`SweepError` (located in the sweep file) or
    :class:`GraphError` (in its graph) before any work; Ctrl-C raises
    :class:`Interrupted` with the finished combinations' table in
    ``results``.
    """
    import pandas as pd

    kw: dict[str, Any] = dict(overrides=overrides(set), threads=int(threads), backend=backend)
    if isinstance(source, Mapping):
        kw["text"] = json.dumps(jsonable(source, "sweep"))
    else:
        kw["path"] = os.fspath(source)
    if out is not None:
        kw["out"] = os.fspath(out)
    bar = Bar(progress, None, "combination", "sweeping")
    try:
        columns, index, table, summary, error = _native.sweep(progress=bar.sweep_callback(), **kw)
    finally:
        bar.close()
    df = pd.DataFrame(table, columns=list(columns), index=pd.Index(index, name="combination"))
    df.attrs["summary"] = summary
    if error is not None:
        error.results = df
        raise error
    return df
