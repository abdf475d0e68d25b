"""Reference of tvb-multiscale's NEST neuron izhikevich_hamker, and its
reduction to NEST 3.10's own izhikevich.

NEST 3.10 (target/pyenv) has no SLI any more, so tvb-multiscale's module
(tvb_multiscale/tvb_nest/nest/modules/dev/izhikevich_hamker/izhikevich_hamker.cpp,
the version on master; tvb-multiscale moved it to dev/ in Nov 2025 "until
corrected", unchanged) cannot be loaded. This script has two parts:

1. `Hamker`: a port to Python floats (IEEE double, the same operations in
   the same order) of what the module does in NEST 3.x: the State_
   constructor's initial state (V_m = -70, U_m = -18.55; the module's
   init_state_(const Node&) overload is never called by NEST 3, whose
   Node::init_state_() takes no argument), pre_run_hook's refractory count
   (Time(Time::ms(t_ref)).get_steps(): t_ref rounded to tics of 0.001 ms,
   then up to whole steps), update() for both values of
   consistent_integration, and handle(SpikeEvent) (receptor 0: weight >= 0
   -> g_AMPA, < 0 -> g_GABA_A with |w|; receptor 1: g_L) and
   handle(CurrentEvent). Spikes and currents are given per step, as the
   ring buffers hand them to update(): the value delivered in step k.
   Three cases (`cases`): the module's tvb-multiscale basal ganglia
   parameter sets (GPe "I", STN "E", striatum "IdSN"), each driven by
   excitatory and inhibitory spikes on receptor 0, baseline spikes on
   receptor 1 and a step current, 100 ms at h = 0.1 ms: V_m after every
   step, U_m, g_L, g_AMPA, g_GABA_A and I_syn after every 10th step (the
   last one included), and the spike steps.

2. `nest_reduction`: with no synaptic input, n2 = 0.04, n1 = 5, n0 = 140,
   C_m = 1, V_r = 0 and t_ref = 1e-4 ms (positive, as the module demands,
   but below half a tic: 0 refractory steps) the module's update is, term
   by term, NEST's izhikevich update (v_old*v_old*0.04 + 5*v_old + 140 -
   u_old/1 + I + I_e [+ I_syn = 0]; u += h*a*(b*(v_old - 0) - u_old); the
   same V_min, threshold and reset). NEST 3.10's izhikevich (V_m, U_m set to
   the module's initial state) driven by a step_current_generator (delay
   one step) is run for both integrations; the port must equal it to the
   bit (checked here, and by the Rust test against NEST's traces).

Writes izhikevich_hamker_ref.json.

  target/pyenv/bin/python3 tests/data/izhikevich_hamker/make_refs_izhikevich_hamker.py
"""
import json
import os

import numpy as np

H = 0.1
STEPS = 1000
# the traces other than V_m are kept every EVERY-th step (after steps
# EVERY-1, 2*EVERY-1, ...), to keep the file small
EVERY = 10
TICS_PER_MS = 1000  # NEST's default tics per ms

# the module's Parameters_() defaults
DEFAULTS = dict(E_rev_AMPA=0.0, E_rev_GABA_A=-90.0, V_th=30.0, V_min=-1.7976931348623157e308,
                V_r=0.0, C_m=1.0, I_e=0.0, t_ref=10.0, tau_rise=1.0, tau_rise_AMPA=10.0,
                tau_rise_GABA_A=10.0, n0=140.0, n1=5.0, n2=0.04, a=0.02, b=0.2, c=-72.0, d=6.0,
                current_stimulus_scale=1.0, current_stimulus_mode=0, consistent_integration=True,
                V_m=-70.0, U_m=-18.55)

# tvb-multiscale's BasalGangliaIzhikevichBuilder (tvb_nest/nest_models/models/
# basal_ganglia_izhikevich.py): params_common and the populations' updates
COMMON = dict(E_rev_AMPA=0.0, E_rev_GABA_A=-90.0, V_th=30.0, c=-65.0, C_m=1.0, I_e=0.0,
              current_stimulus_scale=1.0, current_stimulus_mode=0, t_ref=10.0, tau_rise=1.0,
              tau_rise_AMPA=10.0, tau_rise_GABA_A=10.0, n0=140.0, n1=5.0, n2=0.04,
              V_m=-72.0, U_m=-14.0)
GPE = dict(COMMON, a=0.005, b=0.585, d=4.0, V_m=-70.0, U_m=-18.55, I_e=12.0)
STN = dict(COMMON, a=0.005, b=0.265, d=2.0, I_e=3.0)
STR = dict(COMMON, V_th=40.0, C_m=50.0, n0=61.65119, n1=2.594639, n2=0.022799,
           a=0.05, b=-20.0, c=-55.0, d=377.0, V_m=-70.0, U_m=-18.55)


def refractory_counts(t_ref, h):
    """Time(Time::ms(t_ref)).get_steps(): tics = (long)(t_ref*TICS_PER_MS
    + 0.5), then (tics + TICS_PER_STEP - 1) * (1.0 / TICS_PER_STEP),
    truncated."""
    tics = int(t_ref * TICS_PER_MS + 0.5)
    tps = int(h * TICS_PER_MS + 0.5)
    return int((tics + tps - 1) * (1.0 / tps))


class Hamker:
    """The module's Parameters_, State_ and update(), one neuron."""

    def __init__(self, p):
        self.p = dict(DEFAULTS, **p)
        q = self.p
        self.v = q["V_m"]
        self.u = q["U_m"]
        self.g_L = 0.0
        self.g_AMPA = 0.0
        self.g_GABA_A = 0.0
        self.I_syn = 0.0
        self.I = 0.0
        self.r = 0
        self.counts = refractory_counts(q["t_ref"], H)

    def step(self, exc, inh, base, current):
        """One update() lag: exc >= 0, inh >= 0 (|w| of the negative
        weights), base (receptor 1), current: what the ring buffers hold
        for this step. Returns whether it fired."""
        q = self.p
        h = H
        is_refractory = self.r > 0
        if q["consistent_integration"]:
            v_old = self.v
            u_old = self.u
            if not is_refractory:
                self.v += h * (q["n2"] * v_old * v_old + q["n1"] * v_old + q["n0"] - u_old / q["C_m"]
                               + self.I + q["I_e"] + self.I_syn)
                self.u += h * q["a"] * (q["b"] * (v_old - q["V_r"]) - u_old)
            self.conductances(exc, inh, base)
        else:
            self.conductances(exc, inh, base)
            if not is_refractory:
                self.v += h * 0.5 * (q["n2"] * self.v * self.v + q["n1"] * self.v + q["n0"]
                                     - self.u / q["C_m"] + self.I + q["I_e"] + self.I_syn)
                self.v += h * 0.5 * (q["n2"] * self.v * self.v + q["n1"] * self.v + q["n0"]
                                     - self.u / q["C_m"] + self.I + q["I_e"] + self.I_syn)
                self.u += h * q["a"] * (q["b"] * (self.v - q["V_r"]) - self.u)
        self.v = q["V_min"] if self.v < q["V_min"] else self.v
        fired = False
        if is_refractory:
            self.r -= 1
        elif self.v >= q["V_th"]:
            self.v = q["c"]
            self.u += q["d"]
            fired = True
            self.r = self.counts + 1 if self.counts > 0 else 0
        i = current
        if q["current_stimulus_mode"] == 1:
            i = abs(i)
        elif q["current_stimulus_mode"] == 2:
            i = 1.0 if i > 0.0 else 0.0
        i *= q["current_stimulus_scale"]
        self.I = i
        return fired

    def conductances(self, exc, inh, base):
        q = self.p
        h = H
        self.g_L += base
        self.g_AMPA += exc
        self.g_GABA_A += inh
        self.g_L -= h * self.g_L / q["tau_rise"]
        self.g_AMPA -= h * self.g_AMPA / q["tau_rise_AMPA"]
        self.g_GABA_A -= h * self.g_GABA_A / q["tau_rise_GABA_A"]
        self.g_L = 0.0 if self.g_L < 0.0 else self.g_L
        self.g_AMPA = 0.0 if self.g_AMPA < 0.0 else self.g_AMPA
        self.g_GABA_A = 0.0 if self.g_GABA_A < 0.0 else self.g_GABA_A
        i_syn_ex = -self.g_AMPA * (self.v - q["E_rev_AMPA"])
        i_syn_in = -self.g_GABA_A * (self.v - q["E_rev_GABA_A"])
        self.I_syn = i_syn_ex + i_syn_in - self.g_L * self.v


def run_port(p, exc, inh, base, cur, every=EVERY):
    n = Hamker(p)
    out = dict(spike_steps=[], v_m=[], u_m=[], g_L=[], g_AMPA=[], g_GABA_A=[], I_syn=[])
    for k in range(len(exc)):
        if n.step(exc[k], inh[k], base[k], cur[k]):
            out["spike_steps"].append(k)
        out["v_m"].append(n.v)
        if k % every == every - 1:
            for key, x in (("u_m", n.u), ("g_L", n.g_L), ("g_AMPA", n.g_AMPA),
                           ("g_GABA_A", n.g_GABA_A), ("I_syn", n.I_syn)):
                out[key].append(x)
    return out


def trains(rng, hz, weight, jitter):
    """Per step: a Poisson count at `hz` times a weight drawn in
    weight * [1 - jitter, 1 + jitter) (one spike train, weights per spike)."""
    counts = rng.poisson(hz * H / 1000.0, STEPS)
    return [float(sum(weight * rng.uniform(1.0 - jitter, 1.0 + jitter, c))) if c else 0.0
            for c in counts]


def cases():
    rng = np.random.default_rng(20190315)
    out = []
    # name, parameters, receptor 0 excitatory (Hz, weight nS), receptor 0
    # inhibitory (Hz, weight nS, as given: negative), receptor 1 (Hz,
    # weight), step current (from, to step, pA)
    specs = [
        ("gpe", GPE, (400.0, 0.05), (300.0, -0.08), (700.0, 0.02), (300, 600, -5.0)),
        ("stn_mode1", dict(STN, current_stimulus_mode=1, current_stimulus_scale=0.8),
         (600.0, 0.06), (200.0, -0.1), (500.0, 0.009), (200, 800, -6.0)),
        ("str_euler_2003", dict(STR, consistent_integration=False, current_stimulus_mode=2,
                                current_stimulus_scale=150.0),
         (800.0, 0.3), (300.0, -0.2), (400.0, 0.05), (150, 850, 2.5)),
    ]
    for name, p, (hz_e, w_e), (hz_i, w_i), (hz_b, w_b), (k0, k1, amp) in specs:
        exc = trains(rng, hz_e, w_e, 0.5)
        inh = trains(rng, hz_i, w_i, 0.5)  # <= 0, as a connection gives them
        base = trains(rng, hz_b, w_b, 0.5)
        cur = [amp if k0 <= k < k1 else 0.0 for k in range(STEPS)]
        res = run_port(p, exc, [-w for w in inh], base, cur)
        print(f"{name}: {len(res['spike_steps'])} spikes, first steps {res['spike_steps'][:6]}, "
              f"max g_AMPA {max(res['g_AMPA']):.3f} g_GABA_A {max(res['g_GABA_A']):.3f} "
              f"g_L {max(res['g_L']):.3f}")
        assert len(res["spike_steps"]) >= 3, name
        out.append(dict(name=name, params=dict(p, consistent_integration=int(p.get(
            "consistent_integration", True))), exc=exc, inh=inh, base=base, current=cur, **res))
    return out


def nest_reduction():
    """NEST 3.10's izhikevich against the port with the reducing
    parameters, both integrations; a step current of several levels."""
    import nest
    a, b, c, d, i_e = 0.02, 0.2, -65.0, 8.0, 3.0
    times = [10.0, 35.0, 50.0, 80.0]
    values = [9.0, -4.0, 14.0, 0.0]
    out = []
    for consistent in (True, False):
        nest.ResetKernel()
        nest.verbosity = nest.VerbosityLevel.ERROR
        nest.resolution = H
        n = nest.Create("izhikevich", params=dict(a=a, b=b, c=c, d=d, I_e=i_e, V_th=30.0,
                                                  V_m=-70.0, U_m=-18.55,
                                                  consistent_integration=consistent))
        sc = nest.Create("step_current_generator",
                         params={"amplitude_times": times, "amplitude_values": values})
        nest.Connect(sc, n, syn_spec={"delay": H})
        sr = nest.Create("spike_recorder")
        nest.Connect(n, sr)
        mm = nest.Create("multimeter", params={"record_from": ["V_m", "U_m"], "interval": H})
        nest.Connect(mm, n)
        # one step more: the multimeter hands on a step's sample in the next one
        nest.Simulate((STEPS + 1) * H)
        ev = mm.get("events")
        assert [int(round(t / H)) for t in ev["times"][:STEPS]] == list(range(1, STEPS + 1))
        spike_steps = [int(round(t / H)) - 1 for t in sr.get("events")["times"]]
        spike_steps = [k for k in spike_steps if k < STEPS]
        # the generator's level at time k·h reaches the neuron in step k
        # (delay one step) and acts from step k + 1
        cur = []
        for k in range(STEPS):
            level = 0.0
            for t, v in zip(times, values):
                if int(round(t / H)) <= k:
                    level = v
            cur.append(level)
        p = dict(DEFAULTS, n2=0.04, n1=5.0, n0=140.0, C_m=1.0, V_r=0.0, t_ref=1e-4,
                 a=a, b=b, c=c, d=d, I_e=i_e, V_th=30.0, consistent_integration=consistent)
        zeros = [0.0] * STEPS
        port = run_port(p, zeros, zeros, zeros, cur, every=1)
        assert refractory_counts(p["t_ref"], H) == 0
        vm, um = ev["V_m"][:STEPS].tolist(), ev["U_m"][:STEPS].tolist()
        assert port["spike_steps"] == spike_steps, (port["spike_steps"], spike_steps)
        if port["v_m"] != vm or port["u_m"] != um:
            bad = [(k, port["v_m"][k], vm[k], port["u_m"][k], um[k]) for k in range(STEPS) if port["v_m"][k] != vm[k] or port["u_m"][k] != um[k]]
            raise AssertionError(f"the port differs from NESTs izhikevich: {len(bad)} steps, first {bad[:3]}")
        print(f"NEST izhikevich (consistent_integration={consistent}): {len(spike_steps)} spikes, "
              f"the port's V_m and U_m equal to the bit")
        out.append(dict(params={k: p[k] for k in ("n2", "n1", "n0", "C_m", "V_r", "t_ref", "a", "b",
                                                  "c", "d", "I_e", "V_th")}
                        | dict(consistent_integration=int(consistent)),
                        current=cur, spike_steps=spike_steps, v_m=vm, u_m=um,
                        nest_version=nest.__version__))
    return out


def main():
    out = dict(h=H, steps=STEPS, cases=cases(), nest_izhikevich=nest_reduction())
    path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "izhikevich_hamker_ref.json")
    with open(path, "w") as f:
        json.dump(out, f, separators=(",", ":"))
    print("wrote", path, os.path.getsize(path), "bytes")


if __name__ == "__main__":
    main()
