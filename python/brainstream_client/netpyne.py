"""NetPyNE 1.1 / NEURON 9 adapter: the proxy inputs of the interface
delivered to the user's NetPyNE network (built with `sim.create`), NEURON
advanced in lockstep with the graph (`pc.psolve` to each window's end).

Neuron models. NEURON offers no NEST model as such; its built-in
integrate-and-fire cells are NetPyNE point cells (`cellModel`), and
`point_neuron(model, **params)` maps a NEST model name with its NEST
parameters (mV, ms, pF, pA) onto one of them:

- `iaf_psc_delta` → `IntFire1` (tau = tau_m, refrac = t_ref; a weight of
  w mV is a jump of w / (V_th − E_L) in IntFire1's normalized m).
- `iaf_psc_exp` → `IntFire4`: excitation an exponential PSC of time
  constant taue = tau_syn_ex, exact; inhibition IntFire4's difference of
  exponentials (taui1 = tau_syn_in / 10, taui2 = tau_syn_in), nearly
  exponential. No refractory period (IntFire4 has none).
- `iaf_psc_alpha` → `IntFire4`: inhibition IntFire4's near-alpha PSC
  (taui1 ≈ taui2 = tau_syn_in; NEURON nudges them apart by 0.5 %),
  excitation an exponential PSC (taue = tau_syn_ex) of the alpha PSC's
  charge (amplitude e·w for a peak of w pA). No refractory period.
- `IntFire1`, `IntFire2`, `IntFire4` → themselves, with NEURON's own
  parameters and weights in NEURON's normalized units.

IntFire4 normalizes a weight to the peak of the response in m, so a PSC
of amplitude A pA becomes the weight max_t V(t) / (V_th − E_L), V the
membrane's response C dV/dt = −C V / tau_m + I(t). m is V − E_L in units
of V_th − E_L: threshold 1, reset 0 (V_reset must equal E_L, I_e be 0).
Any other model name is refused by name.

In: `spikes_in` → one `NetCon` (no source) per proxy train and target
neuron, each neuron drawing `indegree` trains of its region (with
replacement, as NEST's fixed_indegree); a spike of step k is delivered with
`NetCon.event((k + 1)·dt + delay)`. The weight is in the model's unit (pA,
mV for iaf_psc_delta), converted by the model. `rates_in` → the adapter
draws the Poisson trains itself, as NEST's `inhomogeneous_poisson_generator`
(a rate stamped j holds from step j + 1 on; in step s a train fires
Poisson(rate·dt) spikes at (s + 1)·dt): `parrots_per_region` = k > 0 shared
trains per region, each target neuron drawing `indegree` of them, one step
later as through NEST's parrots; k = 0 one train per target neuron. The
trains are delivered as `spikes_in`'s. `current_in` and `record_v_m` are
refused (the NEST adapter has them).
Out: `pc.spike_record` of every neuron of the populations; NEURON's
integrate-and-fire cells fire at continuous times t, stamped step
⌈t/dt⌉ − 1 (the step that ends at or after t, as NEST stamps).
"""

import math

import numpy as np

from .interface import Interface
from .session import SessionError

try:
    import neuron
    from neuron import h
    import netpyne
    from netpyne import sim
except ImportError as e:  # pragma: no cover - depends on the environment
    raise ImportError("brainstream_client.netpyne needs NEURON and NetPyNE: pip install neuron netpyne") from e


# NEST 3.10's defaults of the iaf_psc_* models (mV, ms, pF, pA)
NEST_DEFAULTS = {"C_m": 250.0, "tau_m": 10.0, "t_ref": 2.0, "E_L": -70.0, "V_reset": -70.0,
                 "V_th": -55.0, "tau_syn_ex": 2.0, "tau_syn_in": 2.0, "I_e": 0.0}
DELTA_DEFAULTS = {"tau_m": 10.0, "t_ref": 2.0, "E_L": -70.0, "V_reset": -70.0, "V_th": -55.0,
                  "I_e": 0.0, "C_m": 250.0}
# NEURON's own cells: their parameters and defaults
NEURON_CELLS = {
    "IntFire1": {"tau": 10.0, "refrac": 5.0},
    "IntFire2": {"taum": 10.0, "taus": 20.0, "ib": 0.0},
    "IntFire4": {"taue": 5.0, "taui1": 10.0, "taui2": 20.0, "taum": 50.0},
}
# NEST name → the NEURON cell that stands for it
NEST_MODELS = {"iaf_psc_delta": "IntFire1", "iaf_psc_exp": "IntFire4", "iaf_psc_alpha": "IntFire4"}


def models():
    """The model names `point_neuron` takes, with the NEURON cell of each."""
    return {**NEST_MODELS, **{c: c for c in NEURON_CELLS}}


def psp_peak(current, tau_m, c_m, t_max):
    """max_t V(t) (mV) of C dV/dt = −C V / tau_m + I(t), V(0) = 0, for a PSC
    I(t) (pA; t in ms) given as a function: the exact convolution, sampled
    on 200 000 points of [0, t_max]."""
    t = np.linspace(0.0, t_max, 200_001)
    f = current(t) * np.exp(t / tau_m)
    integral = np.concatenate([[0.0], np.cumsum((f[1:] + f[:-1]) * 0.5 * np.diff(t))])
    v = np.exp(-t / tau_m) * integral / c_m
    return float(np.max(np.abs(v)))


class PointNeuron:
    """A NEURON integrate-and-fire cell standing for `model`:
    `cell_params` (a NetPyNE population's cell keys: cellModel and the
    cell's parameters) and `weight(w)`, a weight in the model's unit (pA;
    mV for iaf_psc_delta; NEURON's own for IntFire*) as NEURON's."""

    def __init__(self, model, cell, cell_params, exc_per_unit, inh_per_unit):
        self.model, self.cell = model, cell
        self.cell_params = {"cellModel": cell, **cell_params}
        self._exc, self._inh = exc_per_unit, inh_per_unit

    def weight(self, w):
        w = float(w)
        return w * (self._exc if w >= 0 else self._inh)

    def __repr__(self):
        return f"{self.model} (NEURON {self.cell} {self.cell_params})"


def point_neuron(model, **params):
    """The NEURON cell for `model` with `params` (see the module's doc);
    SessionError for a model NEURON has no counterpart for, an unknown
    parameter, or parameters the cell cannot take."""
    if model in NEURON_CELLS:
        extra = set(params) - set(NEURON_CELLS[model])
        if extra:
            raise SessionError(f"NEURON's {model} has no parameter(s) {sorted(extra)} "
                               f"(it has: {sorted(NEURON_CELLS[model])})")
        return PointNeuron(model, model, {**NEURON_CELLS[model], **params}, 1.0, 1.0)
    if model not in NEST_MODELS:
        known = ", ".join(f"{k} → {v}" for k, v in models().items())
        raise SessionError(f"neuron model {model!r}: NetPyNE/NEURON has no counterpart for it "
                           f"here (models: {known})")
    defaults = DELTA_DEFAULTS if model == "iaf_psc_delta" else NEST_DEFAULTS
    extra = set(params) - set(defaults)
    if extra:
        raise SessionError(f"{model}: no parameter(s) {sorted(extra)} (it has: {sorted(defaults)})")
    p = {**defaults, **{k: float(v) for k, v in params.items()}}
    if p["V_reset"] != p["E_L"] or p["I_e"] != 0.0:
        raise SessionError(f"{model} as NEURON's {NEST_MODELS[model]}: V_reset must equal E_L and "
                           f"I_e be 0 (the cell resets to its rest and has no bias current); "
                           f"got V_reset {p['V_reset']}, E_L {p['E_L']}, I_e {p['I_e']}")
    span = p["V_th"] - p["E_L"]
    if span <= 0:
        raise SessionError(f"{model}: V_th {p['V_th']} mV must be above E_L {p['E_L']} mV")
    tm, cm = p["tau_m"], p["C_m"]
    if model == "iaf_psc_delta":
        return PointNeuron(model, "IntFire1", {"tau": tm, "refrac": p["t_ref"]}, 1 / span, 1 / span)
    te, ti = p["tau_syn_ex"], p["tau_syn_in"]
    if not (te < tm and ti < tm):
        raise SessionError(f"{model} as NEURON's IntFire4: tau_syn_ex {te} and tau_syn_in {ti} ms "
                           f"must be below tau_m {tm} ms")
    t_max = 20.0 * tm

    def exp_psc(tau, amplitude):
        return psp_peak(lambda t: amplitude * np.exp(-t / tau), tm, cm, t_max)

    if model == "iaf_psc_exp":
        cell = {"taue": te, "taui1": ti / 10.0, "taui2": ti, "taum": tm}
        exc = exp_psc(te, 1.0) / span
        inh = exp_psc(ti, 1.0) / span
    else:
        cell = {"taue": te, "taui1": ti, "taui2": ti, "taum": tm}
        exc = exp_psc(te, math.e) / span  # the alpha PSC's charge, e·w·tau
        inh = psp_peak(lambda t: math.e / ti * t * np.exp(-t / ti), tm, cm, t_max) / span
    return PointNeuron(model, "IntFire4", cell, exc, inh)


class NetpyneInterface(Interface):
    """regions: {region label: {population name: NetPyNE population
    name}}, the network created by `sim.create(netParams, simConfig)`
    (simConfig.dt = session.dt_ms); `neuron`: the PointNeuron of its
    populations (converts the proxy weights)."""

    simulator = f"NetPyNE {getattr(netpyne, '__version__', '?')} / NEURON {getattr(neuron, '__version__', '?')}"

    def __init__(self, session, regions, neuron, **kw):
        self.neuron = neuron
        if kw.get("current_in") is not None:
            raise SessionError("the NetPyNE adapter takes proxy spike trains (spikes_in) or "
                               "rates (rates_in), not current_in (NEURON's integrate-and-fire "
                               "cells take no current; the NEST adapter does)")
        if kw.get("record_v_m"):
            raise SessionError("the NetPyNE adapter does not record v_m (NEURON's "
                               "integrate-and-fire cells have no membrane potential in mV)")
        super().__init__(session, regions, **kw)

    def _size(self, pop):
        if pop not in sim.net.pops:
            raise SessionError(f"no NetPyNE population {pop!r} (the network has: {sorted(sim.net.pops)})")
        return len(sim.net.pops[pop].cellGids)

    def _cells(self, pop):
        return [sim.net.cells[sim.net.gid2lid[g]] for g in sim.net.pops[pop].cellGids]

    def _build(self):
        if abs(float(sim.cfg.dt) - self.dt) > 1e-12:
            raise SessionError(f"NetPyNE's dt is {sim.cfg.dt} ms, the graph's is {self.dt} ms: "
                               "set simConfig.dt = session.dt_ms")
        gids = [np.asarray(sim.net.pops[p].cellGids, dtype=np.int64) for _, _, p in self.populations()]
        self.lut = np.full(int(max(g.max() for g in gids)) + 1, -1, dtype=np.int64)
        for k, g in enumerate(gids):
            self.lut[g] = self.firsts[k] + np.arange(len(g))
        self.tvec, self.idvec = h.Vector(), h.Vector()
        for g in np.concatenate(gids).tolist():
            sim.pc.spike_record(int(g), self.tvec, self.idvec)
        rng = np.random.default_rng(self.session.seed + 7)
        if self.spikes_in is not None:
            d = self.spikes_in
            self.delay = float(d.get("delay_ms", self.dt))
            self.ncs = self._trains(d, self.trains, rng)
        if self.rates_in is not None:
            d = self.rates_in
            k = int(d.get("parrots_per_region", 0))
            # through parrots: one more step, as NEST's parrot hop
            self.rate_delay = float(d.get("delay_ms", self.dt)) + (self.dt if k > 0 else 0.0)
            per_region = k if k > 0 else sum(len(self._cells(p)) for p in self._targets(d))
            self.rate_trains = per_region
            self.rate_ncs = self._trains(d, per_region, rng, independent=k == 0)
            self.rate_rng = np.random.default_rng(self.session.seed + 11)
            self.last_rate = np.zeros(len(self.regions))
            self._rates_set = False
        sim.preRun()
        h.finitialize(float(sim.cfg.hParams.get("v_init", -65.0)))

    def _targets(self, d, label=None):
        label = label if label is not None else next(iter(self.regions))
        return [self.regions[label][t] for t in d.get("targets", self.pop_names)]

    def _trains(self, d, per_region, rng, independent=False):
        """One source-less NetCon per (train, target neuron): [NetCons of
        train r·per_region + j]. Each target neuron draws `indegree` of its
        region's trains (with replacement), or has its own (`independent`)."""
        w = self.neuron.weight(d["weight"])
        ncs = [[] for _ in range(per_region * len(self.regions))]
        for r, label in enumerate(self.regions):
            own = 0
            for pop in self._targets(d, label):
                for cell in self._cells(pop):
                    if independent:
                        js = [own]
                        own += 1
                    else:
                        js = rng.integers(0, per_region, size=int(d["indegree"])).tolist()
                    for j in js:
                        nc = h.NetCon(None, cell.hPointp)
                        nc.weight[0] = w
                        ncs[r * per_region + j].append(nc)
        return ncs

    def _set_rates(self, w, stamps, values):
        # a rate stamped j holds from step j + 1 on (NEST's rate_times
        # (j + 1)·dt); a sample stamped at the window's last step, from the next
        n = w.n_steps
        table = np.repeat(self.last_rate[None, :], n, axis=0)
        for i, v in zip(stamps.astype(np.int64) - w.start_step + 1, values):
            if 0 <= i < n:
                table[i:, :] = v
            if 0 <= i <= n:
                self.last_rate = np.array(v, dtype=float)
        self._fire(w, table)
        self._rates_set = True

    def _fire(self, w, table):
        """Draws each train's spikes for the window from rates table[step,
        region] (Hz) and delivers them."""
        n, k = w.n_steps, self.rate_trains
        for r in range(len(self.regions)):
            lam = table[:, r] * self.dt / 1000.0
            counts = self.rate_rng.poisson(lam[:, None], size=(n, k))
            for s, j in zip(*np.nonzero(counts)):
                at = round((w.start_step + int(s) + 1) * self.dt + self.rate_delay, 9)
                for _ in range(int(counts[s, j])):
                    for nc in self.rate_ncs[r * k + int(j)]:
                        nc.event(at)

    def _set_spikes(self, w, sp):
        for k, times in zip(*self._trains_by_source(sp)):
            for t in times:
                at = t + self.delay
                for nc in self.ncs[k]:
                    nc.event(at)

    def _advance(self, w):
        if self.rates_in is not None:
            if not self._rates_set:
                self._fire(w, np.repeat(self.last_rate[None, :], w.n_steps, axis=0))
            self._rates_set = False
        sim.pc.psolve(round((w.start_step + w.n_steps) * self.dt, 9))

    def _spikes(self, w):
        t = self.tvec.as_numpy().copy()
        ids = self.idvec.as_numpy().astype(np.int64)
        self.tvec.resize(0)
        self.idvec.resize(0)
        stamps = np.ceil(np.round(t / self.dt, 6)).astype(np.int64) - 1
        stamps = np.clip(stamps, w.start_step, w.start_step + w.n_steps - 1)
        return self.lut[ids], stamps
