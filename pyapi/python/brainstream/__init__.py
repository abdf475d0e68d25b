"""brainstream: multiscale brain co-simulation, from Python.

Graphs of actors (TVB-exact mean-field networks, spiking populations,
monitors, transformers, your own Python functions) run by the Rust library,
with results in memory as xarray and pandas objects::

    import brainstream as bs
    g = bs.Graph("graphs/tvb_rww76.toml", set={"simulation.duration_ms": 500})
    g.validate()                 # raises bs.GraphError, located like the CLI
    res = g.run()                # in memory; g.run(out="dir") writes the files too
    raw = res["raw"]             # xarray.DataArray (time, variable, region, mode)
    tab = bs.sweep("graphs/adex68_sweep.toml", set={"duration_ms": 2000})

``docs/python.md`` is the guide; ``bs.from_tvb(sim)`` turns a configured
tvb-library simulator into a graph, ``bs.to_tvb(da, conn)`` gives TVB a
result back.
"""

from ._native import version as _version

__version__ = _version()

from ._actor import Context, Control, PyActor, Series, Spikes, Window
from ._catalog import couplings, integrators, kinds, model_source, models
from ._errors import BrainstreamError, GraphError, Interrupted, Issue, RunError, SweepError
from ._graph import Graph
from ._results import Results
from ._sweep import sweep
from .tvb import TvbError, from_tvb, to_tvb

__all__ = [
    "BrainstreamError",
    "Context",
    "Control",
    "Graph",
    "GraphError",
    "Interrupted",
    "Issue",
    "PyActor",
    "Results",
    "RunError",
    "Series",
    "Spikes",
    "SweepError",
    "TvbError",
    "Window",
    "couplings",
    "from_tvb",
    "integrators",
    "kinds",
    "model_source",
    "models",
    "sweep",
    "to_tvb",
]
