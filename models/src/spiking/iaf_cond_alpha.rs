//! `iaf_cond_alpha`: leaky integrate-and-fire neuron with alpha-shaped
//! conductances, as NEST's model of the same name (GSL RKF45, absolute
//! tolerance 1e-3, adapted step carried across steps).
//!
//! ```text
//! C_m·dV/dt = −g_L(V − E_L) − g_ex(V − E_ex) − g_in(V − E_in) + I_e + I_stim
//! g_x(t)    = Σ_spikes w · (e/τ_syn,x) · t · e^{−t/τ_syn,x}     (peak w nS at t = τ_syn,x)
//! V ≥ V_th at the end of a step → spike, V ← V_reset, clamped for t_ref
//! ```
//! In the right-hand side V is bounded by V_th (and V_reset while
//! refractory, when dV/dt = 0), as NEST does. V in mV, g in nS, currents in
//! pA, times in ms. Weights > 0 are excitatory conductances, < 0 inhibitory
//! (their magnitude). Update order per step, as NEST: integrate, then
//! refractoriness and threshold, then the spikes delivered in this step.

use super::rkf45;
use crate::error::ModelError;
use crate::params::{p, ParamDef, ParamSet};

/// Parameters, as NEST 3.10 declares them.
pub const PARAMS: &[ParamDef] = &[
    p("V_th", -55.0, -1e6, 1e6, "mV", "Spike threshold"),
    p("V_reset", -60.0, -1e6, 1e6, "mV", "Reset potential"),
    p(
        "t_ref",
        2.0,
        0.0,
        1e9,
        "ms",
        "Duration of the refractory period",
    ),
    p("g_L", 16.6667, 1e-9, 1e9, "nS", "Leak conductance"),
    p("C_m", 250.0, 1e-6, 1e9, "pF", "Membrane capacitance"),
    p(
        "E_ex",
        0.0,
        -1e6,
        1e6,
        "mV",
        "Excitatory reversal potential",
    ),
    p(
        "E_in",
        -85.0,
        -1e6,
        1e6,
        "mV",
        "Inhibitory reversal potential",
    ),
    p(
        "E_L",
        -70.0,
        -1e6,
        1e6,
        "mV",
        "Leak reversal potential (resting potential)",
    ),
    p(
        "tau_syn_ex",
        0.2,
        1e-6,
        1e9,
        "ms",
        "Rise time of the excitatory synaptic alpha function",
    ),
    p(
        "tau_syn_in",
        2.0,
        1e-6,
        1e9,
        "ms",
        "Rise time of the inhibitory synaptic alpha function",
    ),
    p("I_e", 0.0, -1e9, 1e9, "pA", "Constant input current"),
];

/// A population of `iaf_cond_alpha` neurons sharing parameters.
#[derive(Debug, Clone)]
pub struct IafCondAlpha {
    v_th: f64,
    v_reset: f64,
    g_l: f64,
    c_m: f64,
    e_ex: f64,
    e_in: f64,
    e_l: f64,
    tau_ex: f64,
    tau_in: f64,
    i_e: f64,
    ref_steps: u32,
    h: f64,
    ps_ex: f64,
    ps_in: f64,
    /// [V, dg_ex, g_ex, dg_in, g_in] per neuron
    y: Vec<[f64; 5]>,
    r: Vec<u32>,
    i_stim: Vec<f64>,
    /// adapted integration step per neuron
    step: Vec<f64>,
}

impl IafCondAlpha {
    /// `n` neurons at V = E_L, simulation step `h` ms.
    pub fn new(n: usize, params: &ParamSet, h: f64) -> Result<Self, ModelError> {
        let g = |k: &str| params.get(k);
        if g("V_reset") >= g("V_th") {
            return Err(ModelError::Config(format!(
                "iaf_cond_alpha: V_reset ({}) must be below V_th ({})",
                g("V_reset"),
                g("V_th")
            )));
        }
        Ok(Self {
            v_th: g("V_th"),
            v_reset: g("V_reset"),
            g_l: g("g_L"),
            c_m: g("C_m"),
            e_ex: g("E_ex"),
            e_in: g("E_in"),
            e_l: g("E_L"),
            tau_ex: g("tau_syn_ex"),
            tau_in: g("tau_syn_in"),
            i_e: g("I_e"),
            ref_steps: (g("t_ref") / h).round() as u32,
            h,
            ps_ex: std::f64::consts::E / g("tau_syn_ex"),
            ps_in: std::f64::consts::E / g("tau_syn_in"),
            y: vec![[g("E_L"), 0.0, 0.0, 0.0, 0.0]; n],
            r: vec![0; n],
            i_stim: vec![0.0; n],
            step: vec![h; n],
        })
    }

    /// The same neurons' parameters for a population of `n`, at rest.
    pub fn resized(&self, n: usize) -> Self {
        let mut c = self.clone();
        c.y = vec![[self.e_l, 0.0, 0.0, 0.0, 0.0]; n];
        c.r = vec![0; n];
        c.i_stim = vec![0.0; n];
        c.step = vec![self.h; n];
        c
    }

    /// Number of neurons.
    pub fn len(&self) -> usize {
        self.y.len()
    }

    /// The neurons `r` as a population of their own.
    pub fn take_range(&self, r: std::ops::Range<usize>) -> Self {
        let mut c = self.resized(0);
        c.y = self.y[r.clone()].to_vec();
        c.r = self.r[r.clone()].to_vec();
        c.i_stim = self.i_stim[r.clone()].to_vec();
        c.step = self.step[r].to_vec();
        c
    }

    /// Writes back a part taken with [`take_range`](Self::take_range).
    pub fn put_range(&mut self, start: usize, part: &Self) {
        let r = start..start + part.len();
        self.y[r.clone()].copy_from_slice(&part.y);
        self.r[r.clone()].copy_from_slice(&part.r);
        self.i_stim[r.clone()].copy_from_slice(&part.i_stim);
        self.step[r].copy_from_slice(&part.step);
    }

    /// Whether the population is empty.
    pub fn is_empty(&self) -> bool {
        self.y.is_empty()
    }

    /// Membrane potential of neuron `i`, mV.
    pub fn v_m(&self, i: usize) -> f64 {
        self.y[i][0]
    }

    /// Sets the membrane potential of neuron `i`, mV.
    pub fn set_v_m(&mut self, i: usize, v: f64) {
        self.y[i][0] = v;
    }

    /// One step of every neuron; `syn[i]` = (excitatory, inhibitory) summed
    /// weights (nS) delivered in this step (inhibitory ones negative).
    pub fn step(&mut self, syn: &[(f64, f64)], current: Option<&[f64]>, fired: &mut Vec<u32>) {
        for i in 0..self.y.len() {
            let refractory = self.r[i] > 0;
            let (v_th, v_reset, g_l, c_m) = (self.v_th, self.v_reset, self.g_l, self.c_m);
            let (e_ex, e_in, e_l, tau_ex, tau_in) =
                (self.e_ex, self.e_in, self.e_l, self.tau_ex, self.tau_in);
            let i_ext = self.i_stim[i] + self.i_e;
            let f = |y: &[f64; 5], d: &mut [f64; 5]| {
                let v = if refractory { v_reset } else { y[0].min(v_th) };
                let i_syn_ex = y[2] * (v - e_ex);
                let i_syn_in = y[4] * (v - e_in);
                let i_leak = g_l * (v - e_l);
                d[0] = if refractory {
                    0.0
                } else {
                    (-i_leak - i_syn_ex - i_syn_in + i_ext) / c_m
                };
                d[1] = -y[1] / tau_ex;
                d[2] = y[1] - y[2] / tau_ex;
                d[3] = -y[3] / tau_in;
                d[4] = y[3] - y[4] / tau_in;
            };
            rkf45::evolve(f, &mut self.y[i], self.h, &mut self.step[i], 1e-3);
            if self.r[i] > 0 {
                self.r[i] -= 1;
                self.y[i][0] = self.v_reset;
            } else if self.y[i][0] >= self.v_th {
                self.r[i] = self.ref_steps;
                self.y[i][0] = self.v_reset;
                fired.push(i as u32);
            }
            let (ex, inh) = syn[i];
            self.y[i][1] += ex * self.ps_ex;
            self.y[i][3] += -inh * self.ps_in;
            self.i_stim[i] = current.map_or(0.0, |c| c[i]);
        }
    }
}
