"""What every simulator adapter shares: the proxy regions and their
populations, checked against the runtime's hello; the global neuron
numbering of the `spikes` output (regions in order, populations by name
within each, neurons in order); population rates per step; the routing of
proxy spike trains (`spikes_in` senders r*T + k belong to region r); the
window loop and error reporting. An adapter implements `_build`,
`_set_spikes`, `_set_rates`, `_set_current`, `_advance`, `_spikes`,
`_v_m` and `_finish`."""

import sys
import time

import numpy as np

from .session import SessionError
from .wire import Series, Spikes


def _check_keys(d, allowed, what):
    extra = set(d) - set(allowed)
    if extra:
        raise SessionError(f"{what}: unknown key(s) {sorted(extra)} (known: {sorted(allowed)})")


class Interface:
    """Base of `NestInterface`, `AnnarchyInterface` and `NetpyneInterface`.

    regions: {region label: {population name: population}}, the regions in
    the graph's order, each with the populations the graph's `populations`
    table names.
    spikes_in: {trains_per_region, targets, indegree, weight, delay_ms}:
    one spike source per proxy train, each neuron of `targets` drawing
    `indegree` of its region's trains.
    rates_in: {targets, weight, delay_ms, parrots_per_region (0: every
    target its own train), indegree}: a Poisson generator per region whose
    rate (Hz) follows the `rates_in` series.
    current_in: {targets}: a step current (pA) per region.
    record_v_m: also send the mean membrane potential of each population.
    """

    simulator = "?"
    SPIKES_IN = ("trains_per_region", "targets", "indegree", "weight", "delay_ms")
    RATES_IN = ("targets", "weight", "delay_ms", "parrots_per_region", "indegree")
    CURRENT_IN = ("targets",)

    def __init__(self, session, regions, spikes_in=None, rates_in=None, current_in=None,
                 record_v_m=False):
        self.session = session
        self.dt = session.dt_ms
        if list(regions) != list(session.regions):
            raise SessionError(f"the network has regions {list(regions)}, the graph's actor "
                               f"`{session.actor}` says {session.regions} (same labels, same order)")
        names = [n for n, _ in session.populations]
        self.pop_names = names
        self.regions = regions
        for r, pops in regions.items():
            if sorted(pops) != sorted(names):
                raise SessionError(f"region {r}: populations {sorted(pops)}, the graph says {names}")
            for n, size in session.populations:
                if self._size(pops[n]) != size:
                    raise SessionError(f"region {r}: population {n} has {self._size(pops[n])} "
                                       f"neurons, the graph says {size}")
        self.sizes = np.array([s for _, s in session.populations], dtype=float)
        per_region = int(self.sizes.sum())
        self.n_neurons = per_region * len(regions)
        # first global id of each (region, population), region-major
        self.firsts = np.array([r * per_region + int(self.sizes[:p].sum())
                                for r in range(len(regions)) for p in range(len(names))])
        # each neuron's cell in a step's (population, region) rate table
        npop, nreg = len(names), len(regions)
        block = np.searchsorted(self.firsts, np.arange(self.n_neurons), side="right") - 1
        self.cell = (block % npop) * nreg + block // npop
        self.rate_denom = self.sizes[:, None] * self.dt
        for d, keys, what in ((spikes_in, self.SPIKES_IN, "spikes_in"),
                              (rates_in, self.RATES_IN, "rates_in"),
                              (current_in, self.CURRENT_IN, "current_in")):
            if d is not None:
                _check_keys(d, keys, what)
                for t in d.get("targets", names):
                    if t not in names:
                        raise SessionError(f"{what}.targets: no population {t!r} (populations: {names})")
        self.spikes_in, self.rates_in, self.current_in = spikes_in, rates_in, current_in
        self.record_v_m = record_v_m
        if spikes_in is not None:
            self.trains = int(spikes_in["trains_per_region"])
        self._build()

    # -- for adapters --------------------------------------------------------

    def targets(self, region, spec):
        """The populations of `region` that `spec` targets (all by default)."""
        return [self.regions[region][t] for t in (spec or {}).get("targets", self.pop_names)]

    def populations(self):
        """(region index, population index, population), region-major."""
        for r, (label, pops) in enumerate(self.regions.items()):
            for p, n in enumerate(self.pop_names):
                yield r, p, pops[n]

    # -- the loop ------------------------------------------------------------

    def peer(self):
        return f"brainstream_client ({self.simulator})"

    def run(self):
        """Answers the hello and serves every window until the run's end."""
        ins = [p for p, d in (("spikes_in", self.spikes_in), ("rates_in", self.rates_in),
                              ("current_in", self.current_in)) if d is not None]
        outs = ["spikes", "rates"] + (["v_m"] if self.record_v_m else [])
        self.session.accept(ins, outs, peer=self.peer())
        self.sim_s, self.windows = 0.0, 0
        t0 = None
        native = self._native_loop()
        try:
            def step(w):
                nonlocal t0
                t0 = t0 or time.perf_counter()
                return self._window(w)

            def serve(pending, meta):
                nonlocal t0
                code, left, first, why = native(pending, meta)
                t0 = t0 or first
                return code, left, why
            self.session.run(step, peer=self.peer(), native=serve if native else None)
        finally:
            self._finish()
        if t0 is not None:
            total = time.perf_counter() - t0
            self.stats = {"windows": self.windows, "wall_s": total, "simulator_s": self.sim_s}
            print(f"brainstream_client: {self.windows} windows in {total:.3f} s, "
                  f"{self.simulator} advancing {self.sim_s:.3f} s, interface and exchange "
                  f"{total - self.sim_s:.3f} s ({100 * (total - self.sim_s) / max(self.sim_s, 1e-9):.1f}% "
                  "of the simulator's time)", file=sys.stderr, flush=True)

    def _window(self, w):
        s0, n = w.start_step, w.n_steps
        sp = w.inputs.get("spikes_in")
        if sp is not None and len(sp.senders):
            if sp.senders.max() >= self.trains * len(self.regions):
                raise SessionError(f"spikes_in: sender {int(sp.senders.max())} is not a proxy train "
                                   f"(< {self.trains * len(self.regions)}: {self.trains} per region here; "
                                   "the graph's proxy generator must send as many per region)")
            if sp.stamps.min() < s0 or sp.stamps.max() >= s0 + n:
                raise SessionError(f"spikes_in: spikes outside window {w.index}")
            self._set_spikes(w, sp)
        for port, setter in (("rates_in", self._set_rates), ("current_in", self._set_current)):
            x = w.inputs.get(port)
            if x is None or len(x.stamps) == 0:
                continue
            if x.data.shape[2] != len(self.regions):
                raise SessionError(f"{port}: {x.data.shape[2]} nodes, expected one per region "
                                   f"({len(self.regions)})")
            v = x.data[:, 0, :]
            if not np.all(np.isfinite(v)) or (port == "rates_in" and np.any(v < 0)):
                raise SessionError(f"{port}: negative or non-finite values in window {w.index}")
            setter(w, x.stamps, v)
        t = time.perf_counter()
        self._advance(w)
        self.sim_s += time.perf_counter() - t
        self.windows += 1
        gids, stamps = self._spikes(w)
        # by step, then neuron: a simulator's threads hand spikes over in
        # no fixed order, the output must not depend on it
        order = np.lexsort((gids, stamps))
        gids, stamps = gids[order], stamps[order].astype(np.int64)
        # spikes per (step, population, region) → rates in Hz
        npop, nreg = len(self.pop_names), len(self.regions)
        counts = np.bincount((stamps - s0) * (npop * nreg) + self.cell[gids],
                             minlength=n * npop * nreg).reshape(n, npop, nreg)
        rates = counts * 1000.0 / self.rate_denom
        out_stamps = np.arange(s0 + 1, s0 + n + 1, dtype=np.uint64)
        out = {
            "spikes": Spikes(stamps.astype(np.uint64), (stamps + 1) * self.dt, gids.astype(np.uint32)),
            "rates": Series(out_stamps, out_stamps * self.dt, rates),
        }
        if self.record_v_m:
            vs, vd = self._v_m(w)
            out["v_m"] = Series(vs, vs * self.dt, vd)
        return out

    def _trains_by_source(self, sp):
        """(train indices, [spike times in ms] per train) for the proxy trains
        that fired, both ascending; a spike of step k is emitted at
        (k+1)*dt, as NEST stamps its own. Plain lists: a window brings a few
        dozen spikes, where numpy's per-call cost would dominate."""
        dt = self.dt
        by_train = {}
        # stamps arrive in order (the runtime's channels keep it), so each
        # train's list is sorted as built; checked, and sorted if not
        for k, st in zip(sp.senders.tolist(), sp.stamps.tolist()):
            t = round((st + 1) * dt, 9)
            lst = by_train.get(k)
            if lst is None:
                by_train[k] = [t]
            else:
                lst.append(t)
        trains = sorted(by_train)
        out = []
        for k in trains:
            lst = by_train[k]
            if len(lst) > 1 and any(a > b for a, b in zip(lst, lst[1:])):
                lst.sort()
            out.append(lst)
        return trains, out

    # -- adapter hooks -------------------------------------------------------

    def _size(self, pop):
        return len(pop)

    def _build(self):
        raise NotImplementedError

    def _set_spikes(self, w, sp):
        raise NotImplementedError

    def _set_rates(self, w, stamps, values):
        raise NotImplementedError

    def _set_current(self, w, stamps, values):
        raise NotImplementedError

    def _advance(self, w):
        raise NotImplementedError

    def _spikes(self, w):
        raise NotImplementedError

    def _v_m(self, w):
        """(stamps, values[sample, population, region]) of the membrane
        potential samples that became available in this window."""
        raise NotImplementedError

    def _finish(self):
        pass

    def _native_loop(self):
        """A native window loop where the adapter has one for this
        interface, else None: `loop(pending, meta) -> (code, leftover, the
        time.perf_counter() its first window began or None, why)`, as
        `Session.windows`' `native`, counting self.windows and self.sim_s."""
        return None
