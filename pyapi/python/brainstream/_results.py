"""Results of a run, in memory: one entry per recorder of the graph.

A recorder that received a series gives an ``xarray.DataArray`` with dims
``("time", "variable", "region", "mode")`` — TVB's layout, the same values
as its HDF5 file's ``/data`` — whose memory is the recorder's own (handed
over from Rust without a copy); a recorder that received spikes gives a
``pandas.DataFrame`` with columns ``time_ms``, ``sender``, ``region``,
``population`` (and ``step``).
"""

from __future__ import annotations

from typing import Any, Iterator, Mapping, Optional

import numpy as np

__all__ = ["Results"]


def _version() -> str:
    from ._native import version

    return f"brainstream {version()}"


def series_array(rec: Mapping[str, Any]):
    """A recording's series as an ``xarray.DataArray`` (no copy of the data)."""
    import xarray as xr

    s = rec["series"]
    units = list(s["units"])
    time = xr.Variable("time", s["time"], attrs={"units": "ms", "long_name": "time"})
    da = xr.DataArray(
        s["data"],
        dims=("time", "variable", "region", "mode"),
        coords={
            "time": time,
            "variable": list(s["variables"]),
            "region": list(s["nodes"]),
            "mode": [0],
            "step": ("time", s["stamps"]),
            # one unit per variable, as the HDF5 file's /unit
            "unit": ("variable", units),
        },
        name=rec["actor"],
        attrs={
            "dt": rec["dt_ms"],
            "dt_units": "ms",
            "seed": rec["seed"],
            "version": _version(),
            "graph": rec["graph"],
            "actor": rec["actor"],
            "complete": bool(rec["complete"]),
        },
    )
    # the unit all variables share, if they do (the HDF5 file's /data units)
    if units and all(u == units[0] for u in units) and units[0]:
        da.attrs["units"] = units[0]
    return da


def spikes_frame(rec: Mapping[str, Any]):
    """A recording's spikes as a ``pandas.DataFrame``: ``time_ms``, ``sender``,
    ``region`` and ``population`` (categories; missing where the producer's
    numbering is not known), ``step``."""
    import pandas as pd

    s = rec["spikes"]
    n = len(s["senders"])
    if "regions" in s:
        region = pd.Categorical.from_codes(s["region_codes"], categories=list(s["regions"]))
        population = pd.Categorical.from_codes(s["population_codes"], categories=list(s["populations"]))
    else:
        region = pd.Categorical.from_codes(np.full(n, -1), categories=[])
        population = pd.Categorical.from_codes(np.full(n, -1), categories=[])
    df = pd.DataFrame(
        {
            "time_ms": s["times"],
            "sender": s["senders"],
            "region": region,
            "population": population,
            "step": s["stamps"],
        }
    )
    df.attrs.update(
        {
            "dt": rec["dt_ms"],
            "seed": rec["seed"],
            "version": _version(),
            "actor": rec["actor"],
            "complete": bool(rec["complete"]),
        }
    )
    return df


class Results(Mapping[str, Any]):
    """What a run recorded, by recorder name.

    ``res[name]`` is the recorder's series (``xarray.DataArray``) or, for a
    recorder of spikes only, its spikes (``pandas.DataFrame``);
    ``res.series(name)`` and ``res.spikes(name)`` ask for one explicitly.
    ``res.summary`` (simulated ms, wall time, windows, files written,
    time in each actor) is None for a run that did not end normally;
    ``res.complete`` tells whether every window was recorded, and
    ``res.complete_ms`` up to when everything was.
    """

    def __init__(self, recordings: Mapping[str, Mapping[str, Any]], summary: Optional[Mapping[str, Any]]):
        self._rec = dict(recordings)
        self._cache: dict[tuple[str, str], Any] = {}
        self.summary = dict(summary) if summary is not None else None

    def __getitem__(self, name: str):
        rec = self._get(name)
        if rec["series"] is not None:
            return self.series(name)
        if rec["spikes"] is not None:
            return self.spikes(name)
        raise KeyError(f"recorder `{name}` received nothing")

    def _get(self, name: str) -> Mapping[str, Any]:
        try:
            return self._rec[name]
        except KeyError:
            raise KeyError(f"no recorder `{name}` (recorders: {', '.join(self._rec) or 'none'})") from None

    def series(self, name: str):
        """Recorder ``name``'s series as an ``xarray.DataArray``."""
        rec = self._get(name)
        if rec["series"] is None:
            raise KeyError(f"recorder `{name}` received no series")
        key = (name, "series")
        if key not in self._cache:
            self._cache[key] = series_array(rec)
        return self._cache[key]

    def spikes(self, name: str):
        """Recorder ``name``'s spikes as a ``pandas.DataFrame``."""
        rec = self._get(name)
        if rec["spikes"] is None:
            raise KeyError(f"recorder `{name}` received no spikes")
        key = (name, "spikes")
        if key not in self._cache:
            self._cache[key] = spikes_frame(rec)
        return self._cache[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self._rec)

    def __len__(self) -> int:
        return len(self._rec)

    @property
    def complete(self) -> bool:
        """Whether every recorder received every window (a normal end)."""
        return all(r["complete"] for r in self._rec.values())

    @property
    def complete_ms(self) -> float:
        """Every recording holds everything before this time, ms."""
        return min((r["complete_ms"] for r in self._rec.values()), default=0.0)

    @property
    def files(self) -> list[str]:
        """The files written (with ``run(out=...)``)."""
        return list(self.summary.get("files", [])) if self.summary else []

    def __repr__(self) -> str:
        parts = []
        for name, r in self._rec.items():
            if r["series"] is not None:
                s = r["series"]
                parts.append(f"{name}: series {tuple(s['data'].shape)}")
            if r["spikes"] is not None:
                parts.append(f"{name}: {len(r['spikes']['senders'])} spikes")
            if r["series"] is None and r["spikes"] is None:
                parts.append(f"{name}: nothing")
        state = "complete" if self.complete else f"complete up to {self.complete_ms:g} ms"
        return f"<brainstream.Results ({state}): " + ", ".join(parts) + ">"

