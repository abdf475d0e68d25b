"""Reference of tvb-multiscale's NEST neuron iaf_cond_ww_deco, without NEST.

NEST 3.10 (target/pyenv) has no SLI any more (no DictionaryDatum, no
dynamic module loading of the old API), so tvb-multiscale's module
(tvb_multiscale/tvb_nest/nest/modules/dev/iaf_cond_ww_deco/iaf_cond_ww_deco.cpp)
cannot be built against it. This script is an independent reference in
two parts:

1. `gsl_port`: a line-by-line port to Python floats (IEEE double, math.exp
   = glibc's exp) of what NEST runs for this neuron: the module's update()
   loop and iaf_cond_ww_deco_dynamics(), and GSL 2.x's rkf45.c (rkf45_apply),
   cstd.c (std_control_hadjust with a_y = 0, a_dydt = 1: control_yp_new)
   and evolve.c (gsl_odeiv_evolve_apply), written from those C sources;
2. `scipy_check`: the same equations integrated by scipy's solve_ivp
   (DOP853, rtol = atol = 1e-12) between the input spikes on a subthreshold
   stretch (no spike, no refractoriness): an independent check of the
   equations and of (1) at the solver's accuracy.

One neuron with the Deco 2014 excitatory parameters (tvb-multiscale's
WWDeco2014Builder: N_E = 160, N_I = 40, w_E = 1.4), two external AMPA
receptors (w_E_ext = [1.0, 0.7]), driven by four Poisson trains (receptor 0
excitatory and inhibitory, receptors 1 and 2) and a step current, 300 ms
at h = 0.1 ms. Writes ww_deco_ref.json: inputs per step, spike steps,
V_m and the gating variables after every step.

  target/pyenv/bin/python3 tests/data/ww_deco/make_refs_ww_deco.py
"""
import json
import math
import os

import numpy as np

H = 0.1
STEPS = 3000

P = dict(V_th=-50.0, V_reset=-55.0, E_L=-70.0, E_ex=0.0, E_in=-70.0, t_ref=2.0,
         tau_decay_AMPA=2.0, tau_rise_NMDA=2.0, tau_decay_NMDA=100.0, tau_decay_GABA_A=10.0,
         C_m=500.0, g_L=25.0, g_AMPA_ext=3.37, g_AMPA=0.065, g_NMDA=0.20, g_GABA_A=10.94,
         w_E=1.4, w_I=1.0, w_E_ext=[1.0, 0.7], s_AMPA_ext_max=[160.0, 160.0],
         N_E=160, N_I=40, epsilon=1.0, alpha=0.5, beta=0.062, lambda_NMDA=0.28,
         I_e=0.0, gsl_error_tol=1e-6)

V_M, S_AMPA, X_NMDA, S_NMDA, S_GABA, S_EXT0 = range(6)


class Node:
    """The module's Parameters_, Variables_ (pre_run_hook) and State_."""

    def __init__(self, p):
        self.p = p
        n_rec = len(p["w_E_ext"])
        self.y = [0.0] * (5 + n_rec)
        self.y[V_M] = p["E_L"]
        self.r = 0
        self.B_I_e = 0.0
        self.refractory_counts = int(round(p["t_ref"] / H))
        self.g_L_E_L = p["g_L"] * p["E_L"]
        self.minus_beta = -p["beta"]
        self.m_tau_ampa = -p["tau_decay_AMPA"]
        self.m_tau_gaba = -p["tau_decay_GABA_A"]
        self.m_tau_rise = -p["tau_rise_NMDA"]
        self.m_tau_decay_nmda = -p["tau_decay_NMDA"]
        self.w_E_g_AMPA = p["w_E"] * p["g_AMPA"]
        self.w_E_N_E_g_NMDA = p["w_E"] * float(p["N_E"]) * p["g_NMDA"]
        self.alpha_N_E = p["alpha"] / float(p["N_E"])
        self.w_I_g_GABA_A = p["w_I"] * p["g_GABA_A"]
        self.w_ext_g = [p["g_AMPA_ext"] * w for w in p["w_E_ext"]]
        self.s_exc_max = float(p["N_E"])
        self.s_inh_max = float(p["N_I"])
        self.IntegrationStep = H  # init_buffers_: IntegrationStep_ = step_

    def dynamics(self, y):
        """iaf_cond_ww_deco_dynamics, its operations in its order."""
        p = self.p
        f = [0.0] * len(y)
        refr = self.r > 0
        V = p["V_reset"] if refr else y[V_M]
        Vex = V - p["E_ex"]
        I_L = p["g_L"] * V - self.g_L_E_L
        I_AMPA = self.w_E_g_AMPA * Vex * y[S_AMPA]
        I_GABA = self.w_I_g_GABA_A * (V - p["E_in"]) * y[S_GABA]
        I_NMDA = self.w_E_N_E_g_NMDA / (1 + p["lambda_NMDA"] * math.exp(self.minus_beta * V)) * Vex * y[S_NMDA]
        I_ext = 0.0
        for k in range(len(self.w_ext_g)):
            I_ext += self.w_ext_g[k] * Vex * y[S_EXT0 + k]
            f[S_EXT0 + k] = y[S_EXT0 + k] / self.m_tau_ampa
        f[V_M] = 0.0 if refr else (-(I_L + I_AMPA + I_GABA + I_NMDA + I_ext) + p["I_e"] + self.B_I_e) / p["C_m"]
        f[S_AMPA] = y[S_AMPA] / self.m_tau_ampa
        f[S_GABA] = y[S_GABA] / self.m_tau_gaba
        f[X_NMDA] = y[X_NMDA] / self.m_tau_rise
        f[S_NMDA] = y[S_NMDA] / self.m_tau_decay_nmda + self.alpha_N_E * y[X_NMDA] * (1 - p["epsilon"] * y[S_NMDA])
        return f


# GSL rkf45.c: Runge-Kutta-Fehlberg coefficients
ah = [1.0 / 4.0, 3.0 / 8.0, 12.0 / 13.0, 1.0, 1.0 / 2.0]
b3 = [3.0 / 32.0, 9.0 / 32.0]
b4 = [1932.0 / 2197.0, -7200.0 / 2197.0, 7296.0 / 2197.0]
b5 = [8341.0 / 4104.0, -32832.0 / 4104.0, 29440.0 / 4104.0, -845.0 / 4104.0]
b6 = [-6080.0 / 20520.0, 41040.0 / 20520.0, -28352.0 / 20520.0, 9295.0 / 20520.0, -5643.0 / 20520.0]
c1 = 902880.0 / 7618050.0
c3 = 3953664.0 / 7618050.0
c4 = 3855735.0 / 7618050.0
c5 = -1371249.0 / 7618050.0
c6 = 277020.0 / 7618050.0
ec = [0.0, 1.0 / 360.0, 0.0, -128.0 / 4275.0, -2197.0 / 75240.0, 1.0 / 50.0, 2.0 / 55.0]


def rkf45_apply(f, y, h, dydt_in):
    """rkf45_apply: y <- 5th order solution, returns (yerr, dydt_out)."""
    dim = len(y)
    y0 = list(y)
    k1 = list(dydt_in)
    ytmp = [y[i] + ah[0] * h * k1[i] for i in range(dim)]
    k2 = f(ytmp)
    ytmp = [y[i] + h * (b3[0] * k1[i] + b3[1] * k2[i]) for i in range(dim)]
    k3 = f(ytmp)
    ytmp = [y[i] + h * (b4[0] * k1[i] + b4[1] * k2[i] + b4[2] * k3[i]) for i in range(dim)]
    k4 = f(ytmp)
    ytmp = [y[i] + h * (b5[0] * k1[i] + b5[1] * k2[i] + b5[2] * k3[i] + b5[3] * k4[i]) for i in range(dim)]
    k5 = f(ytmp)
    ytmp = [y[i] + h * (b6[0] * k1[i] + b6[1] * k2[i] + b6[2] * k3[i] + b6[3] * k4[i] + b6[4] * k5[i])
            for i in range(dim)]
    k6 = f(ytmp)
    for i in range(dim):
        d_i = c1 * k1[i] + c3 * k3[i] + c4 * k4[i] + c5 * k5[i] + c6 * k6[i]
        y[i] += h * d_i
    dydt_out = f(y)
    yerr = [h * (ec[1] * k1[i] + ec[3] * k3[i] + ec[4] * k4[i] + ec[5] * k5[i] + ec[6] * k6[i])
            for i in range(dim)]
    del y0
    return yerr, dydt_out


def hadjust(eps_abs, eps_rel, y, yerr, yp, h):
    """cstd.c std_control_hadjust, a_y = 0, a_dydt = 1 (control_yp_new); ord = 5."""
    S = 0.9
    h_old = h
    rmax = 2.2250738585072014e-308  # DBL_MIN
    for i in range(len(y)):
        D0 = eps_rel * (0.0 * abs(y[i]) + 1.0 * abs(h_old * yp[i])) + eps_abs
        r = abs(yerr[i]) / abs(D0)
        rmax = max(r, rmax)
    if rmax > 1.1:
        r = S / rmax ** (1.0 / 5)
        if r < 0.2:
            r = 0.2
        return -1, r * h_old
    elif rmax < 0.5:
        r = S / rmax ** (1.0 / (5 + 1.0))
        if r > 5.0:
            r = 5.0
        if r < 1.0:
            r = 1.0
        return 1, r * h_old
    return 0, h_old


def evolve_apply(node, t, t1, h, y):
    """evolve.c gsl_odeiv_evolve_apply with rkf45 (can_use_dydt_in): returns (t, h)."""
    eps = node.p["gsl_error_tol"]
    t0 = t
    h0 = h
    dt = t1 - t0
    y0 = list(y)
    dydt_in = node.dynamics(y)
    while True:
        if h0 > dt:
            h0 = dt
            final_step = True
        else:
            final_step = False
        yerr, dydt_out = rkf45_apply(node.dynamics, y, h0, dydt_in)
        t = t1 if final_step else t0 + h0
        h_old = h0
        status, h0 = hadjust(eps, eps, y, yerr, dydt_out, h0)
        if status == -1:
            t_curr = t
            t_next = t + h0
            if abs(h0) < abs(h_old) and t_next != t_curr:
                y[:] = y0
                continue
            h0 = h_old
        return t, h0


def step(node, lag, ex, inh, ext, cur):
    """One step of the module's update(): integration over the step with
    the gating limits and the threshold after every sub-step, the
    refractory count, then the spikes delivered in this step (ex, inh:
    receptor 0's local excitatory and inhibitory sums; ext[i]: receptor
    i + 1's) and the current of this step, acting from the next. Returns
    whether the neuron fired."""
    p = node.p
    fired = False
    t = 0.0
    while t < H:
        t, node.IntegrationStep = evolve_apply(node, t, H, node.IntegrationStep, node.y)
        y = node.y
        y[S_AMPA] = 0.0 if y[S_AMPA] < 0.0 else y[S_AMPA]
        y[S_AMPA] = node.s_exc_max if y[S_AMPA] > node.s_exc_max else y[S_AMPA]
        y[X_NMDA] = 0.0 if y[X_NMDA] < 0.0 else y[X_NMDA]
        y[S_NMDA] = 0.0 if y[S_NMDA] < 0.0 else y[S_NMDA]
        y[S_NMDA] = node.s_exc_max if y[S_NMDA] > node.s_exc_max else y[S_NMDA]
        y[S_GABA] = 0.0 if y[S_GABA] < 0.0 else y[S_GABA]
        y[S_GABA] = node.s_inh_max if y[S_GABA] > node.s_inh_max else y[S_GABA]
        for i in range(len(node.w_ext_g)):
            m = p["s_AMPA_ext_max"][i]
            y[S_EXT0 + i] = 0.0 if y[S_EXT0 + i] < 0.0 else y[S_EXT0 + i]
            y[S_EXT0 + i] = m if y[S_EXT0 + i] > m else y[S_EXT0 + i]
        if node.r > 0:
            y[V_M] = p["V_reset"]
        elif y[V_M] >= p["V_th"]:
            y[V_M] = p["V_reset"]
            node.r = node.refractory_counts + 1 if node.refractory_counts > 0 else 0
            fired = True
    if node.r > 0:
        node.r -= 1
    node.y[S_AMPA] += ex
    node.y[X_NMDA] += ex
    node.y[S_GABA] += inh
    for i in range(len(node.w_ext_g)):
        node.y[S_EXT0 + i] += ext[i]
    node.B_I_e = cur
    return fired


def simulate(node, ex, inh, ext, cur):
    """The module's update() over STEPS steps; inputs per step."""
    spikes, vm, states = [], [], []
    for lag in range(STEPS):
        if step(node, lag, ex[lag], inh[lag], [e[lag] for e in ext], cur[lag]):
            spikes.append(lag)
        vm.append(node.y[V_M])
        states.append(list(node.y))
    return spikes, vm, states


def scipy_check(p, ex, inh, ext, cur, lo, hi):
    """solve_ivp of the same equations over steps [lo, hi) (no spike there)
    from the GSL port's state after step lo - 1; returns the largest |ΔV|
    against `vm` at the ends of the steps."""
    from scipy.integrate import solve_ivp
    node = Node(p)
    _, vm, states = simulate(node, ex, inh, ext, cur)
    y = np.array(states[lo - 1])
    i_stim = cur[lo - 1]
    worst = 0.0
    for k in range(lo, hi):
        n2 = Node(p)
        n2.B_I_e = i_stim

        def rhs(_t, yy):
            return np.array(n2.dynamics(list(yy)))
        sol = solve_ivp(rhs, (0.0, H), y, method="DOP853", rtol=1e-12, atol=1e-12)
        y = sol.y[:, -1].copy()
        worst = max(worst, abs(y[V_M] - vm[k]))
        y[S_AMPA] += ex[k]
        y[X_NMDA] += ex[k]
        y[S_GABA] += inh[k]
        for i in range(len(p["w_E_ext"])):
            y[S_EXT0 + i] += ext[i][k]
        i_stim = cur[k]
    return worst


def main():
    rng = np.random.default_rng(20141203)
    lam = lambda hz: hz * H / 1000.0
    # receptor 0: local excitatory (AMPA + NMDA) and inhibitory (GABA) spikes
    ex = (rng.poisson(lam(800.0), STEPS) * 1.0).tolist()
    inh = (rng.poisson(lam(300.0), STEPS) * 1.0).tolist()
    # receptors 1, 2: the 2400 Hz stimulus and a weaker external source
    ext = [(rng.poisson(lam(2400.0), STEPS) * 1.0).tolist(),
           (rng.poisson(lam(500.0), STEPS) * 0.5).tolist()]
    cur = [0.0] * STEPS
    for k in range(1500, 2200):
        cur[k] = 300.0
    node = Node(P)
    spikes, vm, states = simulate(node, ex, inh, ext, cur)
    # a subthreshold stretch for the scipy check: the longest run of steps
    # with no spike and not refractory
    bounds = [0] + [s + int(round(P["t_ref"] / H)) + 2 for s in spikes] + [STEPS]
    lo, hi = max(((a + 1, b) for a, b in zip(bounds, [s for s in spikes] + [STEPS])),
                 key=lambda ab: ab[1] - ab[0])
    hi = min(hi, lo + 300)
    worst = scipy_check(P, ex, inh, ext, cur, lo, hi)
    print(f"{len(spikes)} spikes; scipy DOP853 (1e-12) vs GSL port over steps {lo}..{hi}: max |dV| = {worst:.3e} mV")
    out = dict(h=H, steps=STEPS, params=P, ex=ex, inh=inh, ext=ext, current=cur,
               spike_steps=spikes, v_m=vm, final_state=states[-1],
               scipy_window=[lo, hi], scipy_max_dv=worst)
    path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "ww_deco_ref.json")
    with open(path, "w") as f:
        json.dump(out, f)
    print("wrote", path)


if __name__ == "__main__":
    main()
