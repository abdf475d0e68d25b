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
Out: a spike recorder on every neuron, and a `multimeter` for `v_m`. They
write to brainstream's own recording backend where it can be built
(`nest_native`: one call of a few µs per window hands the window's events
over); otherwise to NEST's memory backend, read as follows.

Where the native code builds, whole windows are served in C++
(nest_loop.cpp through `nest_native`): the stream read, the generators
set, NEST run, the answer sent, without returning to Python — the same
messages, bit for bit, as the Python path below.

NEST runs with `nest.Prepare()` once and `nest.Run(window)` per window.
A recorder keeps every event until `n_events` is reset, which NEST allows
only outside Prepare/Cleanup, and hands all of them out on every read
(~60 ns each). So the adapter rotates 16 spike recorders, each recording
one window (`start`/`stop`): a window's read copies only its own events,
and every 16 windows all are emptied and re-assigned (Cleanup, reset,
Prepare). The multimeter is reset as well when re-reading its accumulated
samples has cost as much as a reset — cost linear in the run length,
results identical to one long Simulate.
"""

import os
import sys
import time

import numpy as np

from . import nest_native
from .interface import Interface
from .session import INPUT_PORTS, NATIVE_FAILED, OUTPUT_PORTS, SessionError

try:
    import nest
except ImportError as e:  # pragma: no cover - depends on the environment
    raise ImportError("brainstream_client.nest needs NEST: pip install nest-simulator") from e


# NEST's low-level API, where it has the calls below (3.8 and later): setting
# a generator through NodeCollection.set costs ~60 µs a call, most of it
# looking up `local` on every call, and resetting the recorder through it
# ~300 µs (it reads the recorder's events first); straight to the kernel,
# 1-6 µs
try:
    from nest import nestkernel_api as _kernel

    _set_status = _kernel.llapi_set_nc_status
    _get_status = _kernel.llapi_get_nc_status
except (ImportError, AttributeError):  # pragma: no cover - older NEST
    _kernel = None


def _setter(nodes):
    """A function setting the status of `nodes` from a dict, or from a list
    of dicts, one per node."""
    if _kernel is not None:
        datum = nodes._datum
        return lambda d: _set_status(datum, d if isinstance(d, list) else [d])
    return nodes.set


def _getter(node, key):
    """A function reading one status entry of one node."""
    if _kernel is not None:
        datum = node._datum
        return lambda: _get_status(datum, key)
    return lambda: node.get(key)


def _sum(pops):
    nc = pops[0]
    for p in pops[1:]:
        nc = nc + p
    return nc


class NestInterface(Interface):
    simulator = f"NEST {getattr(nest, '__version__', '?')}"

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
            self.set_gen = [_setter(self.gens[k]) for k in range(len(self.gens))]
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
        # the spikes: through brainstream's own recording backend where it
        # can be built (nest_native), else from NEST's memory backend
        self.native = nest_native.load(nest)
        if self.native is not None:
            self.recs = nest.Create("spike_recorder", params={"record_to": "brainstream"})
            nest.Connect(self.all, self.recs)
            print("brainstream_client: NEST's spikes through the native recording backend",
                  file=sys.stderr, flush=True)
        else:
            # one spike recorder per window of a rotation: each records only
            # its window (start/stop), so that a window's reading copies only
            # that window's events; all are emptied and re-assigned every
            # RECORDERS windows, outside Prepare/Cleanup as NEST requires
            self.recs = nest.Create("spike_recorder", self.RECORDERS)
            nest.Connect(self.all, self.recs)
            self.rec_events = [_getter(self.recs[j], "events") for j in range(self.RECORDERS)]
            self.set_recs = _setter(self.recs)
            self._assign(0)
        if self.record_v_m:
            params = {"record_from": ["V_m"], "interval": self.dt}
            if self.native is not None:
                params["record_to"] = "brainstream"
            self.mm = nest.Create("multimeter", params=params)
            nest.Connect(self.mm, self.all)
            self.mm_events, self.set_mm = _getter(self.mm, "events"), _setter(self.mm)
        self.prepared = False
        self.seen_mm = 0  # the samples the multimeter holds (re-read on every read)
        self.mm_last = -1  # the last stamp read
        self.excess = 0.0
        self.reset_cost = 1e-3

    def _set_spikes(self, w, sp):
        for k, times in zip(*self._trains_by_source(sp)):
            self.set_gen[k]({"spike_times": times})

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

    # spike recorders in the rotation: a reset (Cleanup, Prepare: ~0.2 ms
    # for 2000 neurons, ~0.9 ms for 10 000) every 16 windows; spikes also
    # go to the recorders not recording, which costs NEST nothing measurable
    RECORDERS = 16
    # copying one accumulated multimeter sample out of NEST costs about this (s)
    EVENT_COPY_S = 6e-8

    def _assign(self, first):
        """Empties the recorders; recorder j records window first + j."""
        n = self.session.window_steps
        params = [{"n_events": 0, "start": round((first + j) * n * self.dt, 9),
                   "stop": round((first + j + 1) * n * self.dt, 9)}
                  for j in range(self.RECORDERS)]
        self.set_recs(params)
        self.first = first

    def _reset_if_due(self, w):
        """After window w: a reset when the rotation is used up, or when
        re-reading the multimeter's accumulated samples has cost as much as
        a reset (the growing cost of one against the fixed cost of the other
        keeps the total linear in the run's length)."""
        if self.record_v_m:
            self.excess += self.seen_mm * self.EVENT_COPY_S
        used_up = self.native is None and w.index + 1 - self.first >= self.RECORDERS
        if not used_up and not (self.record_v_m and self.excess >= self.reset_cost):
            return
        t = time.perf_counter()
        nest.Cleanup()
        if self.native is None:
            self._assign(w.index + 1)
        if self.record_v_m:
            self.set_mm({"n_events": 0})
            self.seen_mm = 0
        nest.Prepare()
        self.reset_cost = time.perf_counter() - t
        self.excess = 0.0

    def _spikes(self, w):
        if self.native is not None:
            senders, steps = self.native.take()
            if not self.record_v_m:
                self._reset_if_due(w)
            return self.lut[senders], steps - 1
        ev = self.rec_events[w.index - self.first]()
        senders = np.asarray(ev["senders"], dtype=np.int64)
        times = np.asarray(ev["times"], dtype=float)
        if not self.record_v_m:
            self._reset_if_due(w)
        return self.lut[senders], np.rint(times / self.dt).astype(np.int64) - 1

    def _v_m(self, w):
        if self.native is not None:
            senders, st, v = self.native.take_samples()
        else:
            ev = self.mm_events()
            st = np.rint(np.asarray(ev["times"], dtype=float) / self.dt).astype(np.int64)
            # the samples not read before: those after the last stamp read
            # (a step's samples all come in one window; with threads NEST
            # lists each thread's events after the other's, so the new ones
            # are not only at the end)
            new = st > self.mm_last
            senders = np.asarray(ev["senders"], dtype=np.int64)[new]
            v = np.asarray(ev["V_m"], dtype=float)[new]
            self.seen_mm = len(st)
            st = st[new]
            if len(st):
                self.mm_last = int(st.max())
            self._reset_if_due(w)
        # NEST's multimeter has the sample of time t only after the step
        # that follows: a window brings its last sample in the next one
        npop, nreg = len(self.pop_names), len(self.regions)
        stamps = np.unique(st)
        idx = np.searchsorted(stamps, st)
        k = np.searchsorted(self.firsts, self.lut[senders], side="right") - 1
        acc = np.zeros((len(stamps), npop, nreg))
        np.add.at(acc, (idx, k % npop, k // npop), v)
        return stamps.astype(np.uint64), acc / self.sizes[None, :, None]

    def _native_loop(self):
        """The window loop in C++ (nest_loop.cpp) on the stream, where the
        native backend was built. BRAINSTREAM_NEST_LOOP=0 keeps the windows
        in Python."""
        fd = self.session.stream_fd()
        if (self.native is None or fd is None
                or os.environ.get("BRAINSTREAM_NEST_LOOP", "1") == "0"):
            return None
        gens = self.gens.tolist() if self.spikes_in is not None else []
        rate_gens = self.ipgs.tolist() if self.rates_in is not None else None
        current_gens = self.scgs.tolist() if self.current_in is not None else None
        self.native.configure(fd, self.dt, gens, rate_gens, current_gens, self.lut, self.cell,
                              self.sizes, len(self.regions), OUTPUT_PORTS.index("spikes"),
                              OUTPUT_PORTS.index("rates"),
                              OUTPUT_PORTS.index("v_m") if self.record_v_m else -1)
        print("brainstream_client: windows served by the native loop", file=sys.stderr, flush=True)

        def loop(pending, meta):
            if not self.prepared:
                nest.Prepare()
                self.prepared = True
            for port in ("rates_in", "current_in"):
                m = meta.get(INPUT_PORTS.index(port))
                if m is not None:
                    self.native.meta(INPUT_PORTS.index(port), len(m["variables"]), len(m["nodes"]))
            code, left, n, run_s, first, why = self.native.serve(pending)
            self.windows += n
            self.sim_s += run_s
            if code == nest_native.NEST_FAILED:
                raise nest_native.NativeError(why)
            return (NATIVE_FAILED if code == nest_native.FAILED else code), left, first, why
        return loop

    def _finish(self):
        if self.prepared:
            nest.Cleanup()
            self.prepared = False
