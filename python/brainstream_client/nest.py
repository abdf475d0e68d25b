"""NEST 3.x adapter: the proxy devices of the interface inside the user's
NEST network, advanced in lockstep with the graph.

In: `spikes_in` → one `spike_generator` per proxy train, connected with
fixed in-degree to the target populations of its region; `rates_in` → one
`inhomogeneous_poisson_generator` per region, through `parrot_neuron`s
(shared trains) or straight to every target (independent trains);
`current_in` → one `step_current_generator` per region. A value stamped
step j takes effect at (j+1)*dt, NEST's first time after the window
starts: one step later than in the built-in engine, where a value of step j
acts from step j + 1 (the step current, connected with one step of delay,
moves the neurons from step j + 2).
Out: one `spike_recorder` on every population (only the window's new
events are sent), and a `multimeter` for `v_m`.

NEST runs with `nest.Prepare()` once and `nest.Run(window)` per window.
Small networks' recorders are streamed: they write to files of their own
(NEST's `ascii` recording backend, flushed at the end of every Run) in a
temporary folder, and each window reads only the lines added since the last
one. Large networks (where NEST's writing costs more than reading from
memory; see NestInterface), `stream=False`, and networks where the user has
set NEST's `data_path` or `data_prefix` (the files' names would depend on
them) keep events in memory until `n_events` is reset, which NEST allows only outside
Prepare/Cleanup: the adapter reads the new events of each window and resets
(Cleanup, reset, Prepare) when the reading of accumulated events has cost as
much as one reset — cost linear in the run length, results identical to one
long Simulate.
"""

import os
import shutil
import tempfile
import time

import numpy as np

from .interface import Interface
from .session import SessionError

try:
    import nest
except ImportError as e:  # pragma: no cover - depends on the environment
    raise ImportError("brainstream_client.nest needs NEST: pip install nest-simulator") from e


# NEST's low-level API, where it has the calls below (3.8 and later): setting
# the generators that fired through NodeCollection.set costs ~60 µs a call,
# most of it looking up `local` for every call; straight to the kernel, 6 µs
try:
    from nest import nestkernel_api as _kernel

    _take = _kernel.llapi_take_array_index
    _set_status = _kernel.llapi_set_nc_status
except (ImportError, AttributeError):  # pragma: no cover - older NEST
    _kernel = None


def _set_each(nodes, index, params):
    """nodes[index].set(params), one dict per indexed node."""
    if _kernel is not None:
        _set_status(_take(nodes._datum, np.asarray(index, dtype=np.uint64))._datum, params)
    else:
        nodes[index].set(params)


def _sum(pops):
    nc = pops[0]
    for p in pops[1:]:
        nc = nc + p
    return nc


class NestInterface(Interface):
    """The Interface (see there for the arguments) for a NEST network.

    stream: True streams the recorders through files, False keeps them in
    memory (read and reset), None (default) streams networks of fewer than
    STREAM_BELOW neurons. Streaming costs NEST about 1.2 µs per spike
    written, memory about 0.2 ms per window in reads and resets: measured
    (benches/compare_external.py), 2 × 1000 neurons at 45 Hz take +75 %
    streamed and +97 % in memory over NEST alone, 2 × 5000 neurons +23 % and
    +13 %."""

    simulator = f"NEST {getattr(nest, '__version__', '?')}"
    STREAM_BELOW = 4000

    def __init__(self, session, regions, stream=None, **kwargs):
        self.stream = stream
        super().__init__(session, regions, **kwargs)

    def _build(self):
        res = nest.resolution
        if abs(res - self.dt) > 1e-12:
            raise SessionError(f"NEST's resolution is {res} ms, the graph's dt is {self.dt} ms: "
                               "set nest.resolution = session.dt_ms before creating nodes")
        self.all = _sum([p for _, _, p in self.populations()])
        lut_len = max(int(max(p.tolist())) for _, _, p in self.populations()) + 1
        self.lut = np.full(lut_len, -1, dtype=np.int64)
        for k, (r, p, pop) in enumerate(self.populations()):
            self.lut[np.asarray(pop.tolist())] = self.firsts[k] + np.arange(len(pop))
        labels = list(self.regions)
        if self.spikes_in is not None:
            d = self.spikes_in
            self.gens = nest.Create("spike_generator", self.trains * len(labels))
            for r, label in enumerate(labels):
                nest.Connect(self.gens[r * self.trains:(r + 1) * self.trains],
                             _sum(self.targets(label, d)),
                             {"rule": "fixed_indegree", "indegree": int(d["indegree"])},
                             {"weight": float(d["weight"]), "delay": float(d.get("delay_ms", self.dt))})
        if self.rates_in is not None:
            d = self.rates_in
            self.ipgs = nest.Create("inhomogeneous_poisson_generator", len(labels))
            k = int(d.get("parrots_per_region", 0))
            syn = {"weight": float(d["weight"]), "delay": float(d.get("delay_ms", self.dt))}
            for r, label in enumerate(labels):
                tgt = _sum(self.targets(label, d))
                if k > 0:
                    par = nest.Create("parrot_neuron", k)
                    nest.Connect(self.ipgs[r], par, syn_spec={"delay": self.dt})
                    nest.Connect(par, tgt, {"rule": "fixed_indegree", "indegree": int(d["indegree"])}, syn)
                else:
                    nest.Connect(self.ipgs[r], tgt, syn_spec=syn)
        if self.current_in is not None:
            self.scgs = nest.Create("step_current_generator", len(labels))
            for r, label in enumerate(labels):
                nest.Connect(self.scgs[r], _sum(self.targets(label, self.current_in)),
                             syn_spec={"delay": self.dt})
        # stream spikes through a file where its name is ours to choose
        self.stream_dir = None
        if self.stream is None:
            self.stream = len(self.all) < self.STREAM_BELOW
        if self.stream and not nest.GetKernelStatus("data_path") and not nest.GetKernelStatus("data_prefix"):
            self.stream_dir = tempfile.mkdtemp(prefix="brainstream-nest-")
            self.rec = nest.Create("spike_recorder", params={
                "record_to": "ascii", "label": os.path.join(self.stream_dir, "spikes"), "precision": 9})
        else:
            self.rec = nest.Create("spike_recorder")
        self.streams = {}
        nest.Connect(self.all, self.rec)
        if self.record_v_m:
            mm = {"record_from": ["V_m"], "interval": self.dt}
            if self.stream_dir is not None:
                mm.update(record_to="ascii", label=os.path.join(self.stream_dir, "v_m"), precision=17)
            self.mm = nest.Create("multimeter", params=mm)
            nest.Connect(self.mm, self.all)
        self.prepared = False
        self.seen = 0
        self.seen_mm = 0
        self.excess = 0.0
        self.reset_cost = 1e-3

    def _set_spikes(self, w, sp):
        trains, times = self._trains_by_source(sp)
        _set_each(self.gens, trains, [{"spike_times": t.tolist()} for t in times])

    def _set_rates(self, w, stamps, values):
        times = np.round((stamps.astype(float) + 1.0) * self.dt, 9).tolist()
        for r in range(len(self.regions)):
            self.ipgs[r].set(rate_times=times, rate_values=values[:, r].tolist())

    def _set_current(self, w, stamps, values):
        times = np.round((stamps.astype(float) + 1.0) * self.dt, 9).tolist()
        for r in range(len(self.regions)):
            self.scgs[r].set(amplitude_times=times, amplitude_values=values[:, r].tolist())

    def _advance(self, w):
        if not self.prepared:
            nest.Prepare()
            self.prepared = True
        nest.Run(w.n_steps * self.dt)

    # copying one accumulated event out of NEST costs about this (s)
    EVENT_COPY_S = 6e-8

    def _reset_if_due(self):
        # (memory backend) keep what re-reading accumulated events has cost
        # since the last reset in balance with the cost of a reset (Cleanup,
        # Prepare)
        self.excess += self.seen * self.EVENT_COPY_S * (2 if self.record_v_m else 1)
        if self.excess < self.reset_cost:
            return
        t = time.perf_counter()
        nest.Cleanup()
        self.rec.n_events = 0
        self.seen = 0
        if self.record_v_m:
            self.mm.n_events = 0
            self.seen_mm = 0
        nest.Prepare()
        self.reset_cost = time.perf_counter() - t
        self.excess = 0.0

    def _streamed(self, dev, what):
        """The columns of the lines `dev`'s files gained since the last call
        (sender, time and, for a multimeter, V_m)."""
        streams = self.streams.setdefault(what, {})
        if not streams:
            for fn in dev.get("filenames"):
                f = open(fn, "r")
                head = f.readline() + f.readline() + f.readline()
                if not head.startswith("# NEST"):
                    raise SessionError(f"{fn}: unexpected NEST ascii header {head!r}")
                streams[fn] = [f, ""]
        ncols = 3 if what == "v_m" else 2
        chunks = []
        for st in streams.values():
            text = st[1] + st[0].read()
            cut = text.rfind("\n") + 1
            st[1] = text[cut:]
            if cut:
                chunks.append(np.fromstring(text[:cut], dtype=float, sep=" "))
        flat = np.concatenate(chunks) if chunks else np.zeros(0)
        cols = flat.reshape(-1, ncols)
        return (cols[:, 0].astype(np.int64),) + tuple(cols[:, k] for k in range(1, ncols))

    def _spikes(self, w):
        if self.stream_dir is not None:
            senders, times = self._streamed(self.rec, "spikes")
            return self.lut[senders], np.rint(times / self.dt).astype(np.int64) - 1
        ev = self.rec.get("events")
        senders = np.asarray(ev["senders"][self.seen:], dtype=np.int64)
        times = np.asarray(ev["times"][self.seen:], dtype=float)
        self.seen += len(senders)
        if not self.record_v_m:
            self._reset_if_due()
        return self.lut[senders], np.rint(times / self.dt).astype(np.int64) - 1

    def _v_m(self, w):
        if self.stream_dir is not None:
            senders, times, v = self._streamed(self.mm, "v_m")
        else:
            ev = self.mm.get("events")
            senders = np.asarray(ev["senders"][self.seen_mm:], dtype=np.int64)
            times = np.asarray(ev["times"][self.seen_mm:], dtype=float)
            v = np.asarray(ev["V_m"][self.seen_mm:], dtype=float)
            self.seen_mm += len(senders)
            self._reset_if_due()
        # NEST's multimeter has the sample of time t only after the step
        # that follows: a window brings its last sample in the next one
        npop, nreg = len(self.pop_names), len(self.regions)
        st = np.rint(times / self.dt).astype(np.int64)
        stamps = np.unique(st)
        idx = np.searchsorted(stamps, st)
        k = np.searchsorted(self.firsts, self.lut[senders], side="right") - 1
        acc = np.zeros((len(stamps), npop, nreg))
        np.add.at(acc, (idx, k % npop, k // npop), v)
        return stamps.astype(np.uint64), acc / self.sizes[None, :, None]

    def _finish(self):
        if self.prepared:
            nest.Cleanup()
            self.prepared = False
        for streams in self.streams.values():
            for f, _ in streams.values():
                f.close()
        self.streams = {}
        if self.stream_dir is not None:
            shutil.rmtree(self.stream_dir, ignore_errors=True)
