"""ANNarchy 5 adapter: the proxy populations of the interface inside the
user's ANNarchy `Network`, compiled by the adapter, advanced in lockstep.

In: `spikes_in` → one `SpikeSourceArray` neuron per proxy train (each
window's spikes, at their steps), projected with `fixed_number_pre` onto the
target populations of its region; `rates_in` → one
`TimedPoissonPopulation` per region (`parrots_per_region` shared trains,
or one train per target neuron), its rate schedule set per step of each
window; `current_in` → per region and target population a `TimedArray`
(one value per step of each window, the same for every neuron) injected
with `CurrentInjection` into the neurons' `g_<target>` (`target`, default
"exc"): the neuron model must use that variable as a current, in its own
unit — `scale` (default 1) converts from the graph's pA (0.001 for nA).
Out: a spike `Monitor` per population (read and emptied every window) and,
with `record_v_m`, a monitor of the membrane variable (`v` by default).

Construct the interface after creating the populations and before
`compile()`: the adapter adds its devices, then compiles the network.
"""

import sys

import numpy as np

from .interface import Interface
from .session import SessionError

try:
    import ANNarchy as ann
except ImportError as e:  # pragma: no cover - depends on the environment
    raise ImportError("brainstream_client.annarchy needs ANNarchy: pip install annarchy cmake") from e


class AnnarchyInterface(Interface):
    simulator = f"ANNarchy {getattr(ann, '__version__', '?')}"
    CURRENT_IN = ("targets", "target", "scale")

    def __init__(self, session, network, regions, compile_dir="annarchy_build",
                 v_m_variable="v", **kw):
        self.net = network
        self.compile_dir = compile_dir
        self.v_m_variable = v_m_variable
        super().__init__(session, regions, **kw)

    def _size(self, pop):
        return pop.size

    def _project(self, src, tgt, spec, number):
        w = float(spec["weight"])
        proj = self.net.connect(src, tgt, target="exc" if w >= 0 else "inh")
        proj.fixed_number_pre(number=int(number), weights=abs(w),
                              delays=float(spec.get("delay_ms", self.dt)))

    def _build(self):
        dt = self.net.dt if hasattr(self.net, "dt") else None
        if dt is not None and abs(float(dt) - self.dt) > 1e-12:
            raise SessionError(f"the ANNarchy network's dt is {dt} ms, the graph's is {self.dt} ms: "
                               "create it with ann.Network(dt=session.dt_ms)")
        labels = list(self.regions)
        if self.spikes_in is not None:
            d = self.spikes_in
            self.src = self.net.create(ann.SpikeSourceArray(
                spike_times=[[] for _ in range(self.trains * len(labels))]))
            for r, label in enumerate(labels):
                view = self.src[r * self.trains:(r + 1) * self.trains]
                for tgt in self.targets(label, d):
                    self._project(view, tgt, d, d["indegree"])
        # whether this window's inputs were set (else the sources are cleared
        # or the last rate held before the window runs)
        self._src_set = False
        self._rates_set = False
        self.window_ms = self.session.window_steps * self.dt
        self.last_rate = np.zeros(len(labels))
        if self.rates_in is not None:
            d = self.rates_in
            self.tpp = []
            n = self.session.window_steps
            for r, label in enumerate(labels):
                k = int(d.get("parrots_per_region", 0))
                tgts = self.targets(label, d)
                size = k if k > 0 else sum(t.size for t in tgts)
                p = self.net.create(ann.TimedPoissonPopulation(
                    geometry=size, rates=[0.0] * n, schedule=[i * self.dt for i in range(n)],
                    period=self.window_ms))
                self.tpp.append(p)
                if k > 0:
                    for tgt in tgts:
                        self._project(p, tgt, d, d["indegree"])
                else:
                    first = 0
                    for tgt in tgts:
                        w = float(d["weight"])
                        proj = self.net.connect(p[first:first + tgt.size], tgt,
                                                target="exc" if w >= 0 else "inh")
                        proj.one_to_one(weights=abs(w), delays=float(d.get("delay_ms", self.dt)))
                        first += tgt.size
        self._current_set = False
        self.last_current = np.zeros(len(labels))
        if self.current_in is not None:
            d = self.current_in
            self.current_scale = float(d.get("scale", 1.0))
            # per region: the TimedArrays of its target populations
            self.currents = []
            for label in labels:
                arrays = []
                for tgt in self.targets(label, d):
                    ta = self.net.create(ann.TimedArray(geometry=tgt.size))
                    proj = self.net.connect(ann.CurrentInjection(ta, tgt, str(d.get("target", "exc"))))
                    proj.connect_current()
                    arrays.append((ta, tgt.size))
                self.currents.append(arrays)
        self.mons = [self.net.monitor(pop, ["spike"]) for _, _, pop in self.populations()]
        # a monitor of a PopulationView reports ranks in the whole population
        self.rank_luts = []
        for _, _, pop in self.populations():
            ranks = np.asarray(getattr(pop, "ranks", range(pop.size)), dtype=np.int64)
            lut = np.full(int(ranks.max()) + 1, -1, dtype=np.int64)
            lut[ranks] = np.arange(len(ranks))
            self.rank_luts.append(lut)
        if self.record_v_m:
            self.vmons = [self.net.monitor(pop, [self.v_m_variable]) for _, _, pop in self.populations()]
        # a line brainstream shows as it comes ("note: ..."): ANNarchy
        # generates and compiles C++ (slow the first time, cached after)
        print(f"brainstream-notice: compiling the ANNarchy network in {self.compile_dir} "
              "(C++; the first time takes a minute or more)...", file=sys.stderr, flush=True)
        self.net.compile(directory=self.compile_dir, silent=True)

    def _set_spikes(self, w, sp):
        times = [[] for _ in range(self.src.size)]
        trains, per_train = self._trains_by_source(sp)
        for k, t in zip(trains, per_train):
            # relative to the window; a spike of step j is emitted in step j
            times[k] = np.round(np.asarray(t) - self.dt - w.start_ms, 9).tolist()
        self.src.spike_times = times
        self._src_set = True

    @staticmethod
    def _held(last, w, stamps, values, shift=0):
        """(table[step, region], last value) for a window: each sample, set
        at row stamp − start + shift, holds until the next; before the first
        the value `last` holds. A sample at row n (shift 1, the window's last
        step) holds from the next window on."""
        n = w.n_steps
        table = np.repeat(last[None, :], n, axis=0)
        for i, v in zip(stamps.astype(np.int64) - w.start_step + shift, values):
            if 0 <= i < n:
                table[i:, :] = v
            if 0 <= i <= n:
                last = np.array(v, dtype=float)
        return table, last

    def _set_rates(self, w, stamps, values):
        rates, self.last_rate = self._held(self.last_rate, w, stamps, values)
        for r, p in enumerate(self.tpp):
            self._schedule(p, rates[:, r].tolist())
        self._rates_set = True

    def _set_current(self, w, stamps, values):
        # CurrentInjection hands step k the value the TimedArray held at step
        # k − 1: a value stamped j, set at row j + 1 − start (the next
        # window's first row for the window's last step), acts from step
        # j + 2 — one step later than in the built-in engine, as with NEST
        cur, self.last_current = self._held(self.last_current, w, stamps, values, shift=1)
        self._inject(cur)
        self._current_set = True

    def _inject(self, cur):
        """cur[step, region] (pA) → each region's TimedArrays for this window."""
        for r, arrays in enumerate(self.currents):
            for ta, size in arrays:
                self._schedule(ta, np.repeat(cur[:, r:r + 1] * self.current_scale, size, axis=1))

    def _schedule(self, p, rates):
        # the schedule's clock (of a TimedPoissonPopulation or a TimedArray)
        # restarts at the window: one row per step
        p.reset()
        p.schedule = [i * self.dt for i in range(len(rates))]
        p.rates = rates
        p.period = len(rates) * self.dt

    def _advance(self, w):
        if self.spikes_in is not None:
            if not self._src_set:
                self.src.spike_times = [[] for _ in range(self.src.size)]
            # the source's clock restarts at the window (times are relative)
            self.src.reset()
            self._src_set = False
        if self.rates_in is not None:
            if not self._rates_set:
                for r, p in enumerate(self.tpp):
                    self._schedule(p, [float(self.last_rate[r])] * w.n_steps)
            self._rates_set = False
        if self.current_in is not None:
            if not self._current_set:
                self._inject(np.repeat(self.last_current[None, :], w.n_steps, axis=0))
            self._current_set = False
        self.net.simulate(w.n_steps * self.dt)

    def _spikes(self, w):
        gids, stamps = [], []
        for k, m in enumerate(self.mons):
            for rank, steps in m.get("spike").items():
                if len(steps):
                    gids.append(np.full(len(steps), self.firsts[k] + self.rank_luts[k][rank],
                                        dtype=np.int64))
                    stamps.append(np.asarray(steps, dtype=np.int64))
        if not gids:
            return np.zeros(0, np.int64), np.zeros(0, np.int64)
        return np.concatenate(gids), np.concatenate(stamps)

    def _v_m(self, w):
        npop = len(self.pop_names)
        out = np.zeros((w.n_steps, npop, len(self.regions)))
        for k, m in enumerate(self.vmons):
            v = np.asarray(m.get(self.v_m_variable))
            v = v.reshape(v.shape[0], -1).mean(axis=1)[-w.n_steps:]
            out[-len(v):, k % npop, k // npop] = v
        # recorded after each step of the window: stamps at the steps' ends
        return np.arange(w.start_step + 1, w.start_step + w.n_steps + 1, dtype=np.uint64), out
