#!/usr/bin/env python3
"""Issue 21's spiking network at 10 000 and 100 000 neurons, one network in
brainstream, NEST 3.10 and ANNarchy 5 (benches/peer_table.py's rows
`scale10k` and `scale100k` run it; this file holds the network and each
simulator's side of it).

The network (NEST's names and units; the 1000-neuron `cond1000` row's shape
with the in-degree kept, so every size sees the same input per neuron):
  * N iaf_cond_alpha neurons, NEST 3.10's defaults (C_m 250 pF, g_L 16.6667 nS,
    E_L −70, V_th −55, V_reset −60 mV, t_ref 2 ms, E_ex 0, E_in −85 mV,
    tau_syn_ex 0.2, tau_syn_in 2 ms); 80 % excitatory (E), 20 % inhibitory (I);
    V_m drawn uniform in [−70, −55) mV; resolution 0.1 ms
  * E → E+I and I → E+I: `fixed_indegree`, 80 from E at +0.5 nS and 20 from I
    at −2 nS (autapses and multapses allowed, NEST's defaults), delay 1.5 ms
  * every neuron an independent 8 kHz Poisson train at 1.5 nS, delay 1 ms
    (NEST: one poisson_generator connected to all; brainstream: `background`;
    ANNarchy: a Poisson count per neuron and step, below)
  * spikes of all neurons recorded; the rate is spikes / N / duration.

ANNarchy has no iaf_cond_alpha: its neuron here is written out from NEST's
equations with brainstream's `rk4` numerics (conductances advanced exactly,
V_m by three RK4 sub-steps of h/3, V bounded by V_th in the right-hand side,
held at V_reset for t_ref, input added after the threshold as NEST does).
Its drive is Binomial(10^5, 0.8·10^-5) spikes per neuron and step: NEST's
Poisson count of mean 0.8 with a variance short by 8e-6 relative (ANNarchy's
PoissonPopulation fires at most once per step, which at 8 kHz would cut the
drive's variance by 80 %).

  python3 benches/spiking_scale.py graph --n 10000 [--threads 1] [--solver rk4] [--t 1000]
  python3 benches/spiking_scale.py nest --n 10000 [--threads 2] [--t 1000]      # NEST's python
  python3 benches/spiking_scale.py annarchy --n 10000 [--threads 2] --dir D     # ANNarchy's python

`nest` and `annarchy` print one JSON line: build_s (create + connect),
simulate_s (the simulation loop alone), rate_hz, synapses, threads, version;
`annarchy` also compile_s (its C++ compile, not part of build_s).
"""
import argparse
import json
import math
import os
import sys
import time

DT = 0.1
K_E, K_I = 80, 20              # in-degree from E and from I
W_E, W_I = 0.5, -2.0           # nS
DELAY = 1.5                    # ms
BG_RATE, BG_W, BG_DELAY = 8000.0, 1.5, 1.0
V0 = (-70.0, -55.0)
NEST_COND_ALPHA = dict(C_m=250.0, g_L=16.6667, E_L=-70.0, V_th=-55.0, V_reset=-60.0, t_ref=2.0,
                       E_ex=0.0, E_in=-85.0, tau_syn_ex=0.2, tau_syn_in=2.0, I_e=0.0)


def sizes(n):
    ne = int(0.8 * n)
    return ne, n - ne


def graph(n, threads=1, solver=None, t_ms=1000.0, seed=12345):
    """The brainstream graph of the network (one region, spikes recorded)."""
    ne, ni = sizes(n)
    g = (f"[simulation]\ndt_ms = {DT}\nduration_ms = {t_ms}\nseed = {seed}\n\n[actors.net]\n"
         f"kind = \"spiking_network\"\nmodel = \"iaf_cond_alpha\"\nregions = [\"r0\"]\n"
         f"populations = {{ E = {ne}, I = {ni} }}\n"
         f"background = {{ rate_hz = {BG_RATE}, weight = {BG_W}, delay_ms = {BG_DELAY} }}\n"
         f"v_m_init = [{V0[0]}, {V0[1]}]\nthreads = {threads}\n")
    if solver:
        g += f"solver = \"{solver}\"\n"
    for src, k, w in [("E", K_E, W_E), ("I", K_I, W_I)]:
        for dst in ("E", "I"):
            g += (f"\n[[actors.net.connections]]\nfrom = \"{src}\"\nto = \"{dst}\"\nrule = \"fixed_indegree\"\n"
                  f"indegree = {k}\nweight = {w}\ndelay_ms = {DELAY}\n")
    g += "\n[actors.spikes]\nkind = \"hdf5_recorder\"\n\n[[edges]]\nfrom = \"net.spikes\"\nto = \"spikes.spikes\"\n"
    return g


def run_nest(a):
    import nest
    nest.set_verbosity("M_ERROR")
    nest.ResetKernel()
    nest.SetKernelStatus({"resolution": DT, "local_num_threads": a.threads, "rng_seed": a.seed,
                          "print_time": False})
    ne, ni = sizes(a.n)
    t0 = time.perf_counter()
    pop = nest.Create("iaf_cond_alpha", a.n)
    pop.V_m = nest.random.uniform(*V0)
    e, i = pop[:ne], pop[ne:]
    nest.Connect(e, pop, {"rule": "fixed_indegree", "indegree": K_E}, {"weight": W_E, "delay": DELAY})
    nest.Connect(i, pop, {"rule": "fixed_indegree", "indegree": K_I}, {"weight": W_I, "delay": DELAY})
    pg = nest.Create("poisson_generator", params={"rate": BG_RATE})
    nest.Connect(pg, pop, syn_spec={"weight": BG_W, "delay": BG_DELAY})
    sr = nest.Create("spike_recorder")
    nest.Connect(pop, sr)
    nest.Prepare()   # NEST builds its connection tables here; counted with the build
    nest.Cleanup()
    build = time.perf_counter() - t0
    t0 = time.perf_counter()
    nest.Simulate(a.t)
    sim = time.perf_counter() - t0
    n_spk = sr.get("n_events")
    print(json.dumps(dict(build_s=build, simulate_s=sim, rate_hz=n_spk / a.n / (a.t / 1000.0), spikes=n_spk,
                          synapses=nest.GetKernelStatus("num_connections"), threads=a.threads,
                          version=nest.__version__)))


def annarchy_neuron(ann, dt):
    """NEST's iaf_cond_alpha as ANNarchy assignments, brainstream's `rk4` numerics (see the docstring)."""
    p = NEST_COND_ALPHA
    sub = 3
    hs = dt / sub
    n_bg = 100000
    params = dict(v_th=p["V_th"], v_reset=p["V_reset"], gleak=p["g_L"], c_m=p["C_m"], e_ex=p["E_ex"],
                  e_in=p["E_in"], e_l=p["E_L"], i_e=p["I_e"], hs=hs,
                  exh=math.exp(-hs / (2 * p["tau_syn_ex"])), exf=math.exp(-hs / p["tau_syn_ex"]),
                  inh=math.exp(-hs / (2 * p["tau_syn_in"])), inf=math.exp(-hs / p["tau_syn_in"]),
                  ps_ex=math.e / p["tau_syn_ex"], ps_in=math.e / p["tau_syn_in"],
                  ref_steps=float(round(p["t_ref"] / dt)), w_bg=BG_W)
    # `gleak`, not `g_l`: ANNarchy takes every g_* as a synaptic input, zeroed each step
    par = "\n".join(f"{k} = {v!r} : population" for k, v in params.items())

    def f(name, v, ge, gi):
        # the stage's V bounded by V_th (ANNarchy takes a conditional only as a whole right-hand side)
        return [f"u{name} = {v}", f"w{name} = if u{name} < v_th : u{name} else : v_th",
                f"{name} = (i_e - gleak*(w{name} - e_l) - {ge}*(w{name} - e_ex) - {gi}*(w{name} - e_in))/c_m"]
    eq = ["act = if rc > 0.5 : 0.0 else : 1.0"]
    v, dge, ge, dgi, gi = "v", "dge", "ge", "dgi", "gi"
    for s in range(sub):
        last = s == sub - 1
        eq += [f"geh{s} = ({ge} + 0.5*hs*{dge})*exh", f"gih{s} = ({gi} + 0.5*hs*{dgi})*inh",
               f"gef{s} = ({ge} + hs*{dge})*exf", f"gif{s} = ({gi} + hs*{dgi})*inf"]
        eq += f(f"ka{s}", v, ge, gi)
        eq += f(f"kb{s}", f"{v} + 0.5*hs*ka{s}", f"geh{s}", f"gih{s}")
        eq += f(f"kc{s}", f"{v} + 0.5*hs*kb{s}", f"geh{s}", f"gih{s}")
        eq += f(f"kd{s}", f"{v} + hs*kc{s}", f"gef{s}", f"gif{s}")
        nv = "vn" if last else f"v{s}"
        eq += [f"{nv} = {v} + act*(hs/6.0)*(ka{s} + 2.0*(kb{s} + kc{s}) + kd{s})"]
        ndge, ndgi = ("dgen", "dgin") if last else (f"dge{s}", f"dgi{s}")
        nge, ngi = ("ge", "gi") if last else (f"gef{s}", f"gif{s}")
        eq += [f"{ndge} = {dge}*exf", f"{ndgi} = {dgi}*inf"]
        if last:
            eq += [f"ge = gef{s}", f"gi = gif{s}"]
        v, dge, ge, dgi, gi = nv, ndge, nge, ndgi, ngi
    # NEST's order after the integration: refractory count and clamp, threshold and reset, then the input
    eq += ["spk = if (rc < 0.5) and (vn >= v_th) : 1.0 else : 0.0",
           "v = if (rc > 0.5) or (spk > 0.5) : v_reset else : vn",
           "rc = if rc > 0.5 : rc - 1.0 else : spk*ref_steps",
           f"dge = dgen + ps_ex*(g_exc + w_bg*Binomial({n_bg}, {BG_RATE * dt * 1e-3 / n_bg!r}))",
           "dgi = dgin + ps_in*g_inh"]
    return ann.Neuron(parameters=par, equations="\n".join(eq), spike="spk > 0.5", reset="")


def run_annarchy(a):
    sys.argv = sys.argv[:1]   # ANNarchy parses the command line at import (its own --trace, …)
    import ANNarchy as ann
    ne, ni = sizes(a.n)
    t0 = time.perf_counter()
    net = ann.Network(dt=DT, seed=a.seed)
    net.config(num_threads=a.threads)
    pop = net.create(geometry=a.n, neuron=annarchy_neuron(ann, DT))
    pop.v = ann.Uniform(*V0)
    e, i = pop[:ne], pop[ne:]
    pe = net.connect(e, pop, target="exc")
    pe.fixed_number_pre(number=K_E, weights=W_E, delays=DELAY, allow_self_connections=True)
    pi = net.connect(i, pop, target="inh")
    pi.fixed_number_pre(number=K_I, weights=-W_I, delays=DELAY, allow_self_connections=True)
    m = net.monitor(pop, ["spike"])
    build = time.perf_counter() - t0
    t0 = time.perf_counter()
    net.compile(directory=os.path.join(a.dir, "annarchy_build"), silent=True)
    compile_s = time.perf_counter() - t0
    t0 = time.perf_counter()
    net.simulate(a.t)
    sim = time.perf_counter() - t0
    n_spk = sum(len(v) for v in m.get("spike").values())
    print(json.dumps(dict(build_s=build, compile_s=compile_s, simulate_s=sim, rate_hz=n_spk / a.n / (a.t / 1000.0),
                          spikes=n_spk, synapses=pe.nb_synapses + pi.nb_synapses, threads=a.threads,
                          version=ann.__version__)))


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("what", choices=["graph", "nest", "annarchy"])
    ap.add_argument("--n", type=int, default=10000)
    ap.add_argument("--t", type=float, default=1000.0, help="simulated ms")
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--solver", help="brainstream's iaf_cond_alpha solver (rkf45, NEST's, by default; rk4)")
    ap.add_argument("--seed", type=int, default=12345)
    ap.add_argument("--dir", default=".", help="ANNarchy's build folder goes here")
    a = ap.parse_args()
    if a.what == "graph":
        sys.stdout.write(graph(a.n, a.threads, a.solver, a.t, a.seed))
    elif a.what == "nest":
        run_nest(a)
    else:
        run_annarchy(a)


if __name__ == "__main__":
    main()
