//! `iaf_psc_alpha`: leaky integrate-and-fire neuron with alpha-shaped
//! post-synaptic currents, integrated exactly (Rotter & Diesmann 1999), as
//! NEST's model of the same name.
//!
//! ```text
//! dV/dt   = −(V − E_L)/τ_m + (I_syn,ex + I_syn,in + I_e + I_0)/C_m
//! I_syn,x = Σ_spikes w · (e/τ_syn,x) · t · exp(−t/τ_syn,x)      (peak w at t = τ_syn,x)
//! V ≥ V_th  →  spike, V ← V_reset, clamped for t_ref
//! ```
//! V in mV, currents in pA, C_m in pF, times in ms. Weights > 0 go to the
//! excitatory synapse, < 0 to the inhibitory one. `I_0` is the current input
//! (e.g. a step current generator), applied from the step after it arrives.
//!
//! Exact propagators for step h (NEST's `IAFPropagatorAlpha`):
//! `P11 = P22 = e^{−h/τ_syn}`, `P21 = h·P11`, `P30 = −τ_m/C_m·expm1(−h/τ_m)`,
//! `β = τ_syn·τ_m/(τ_m − τ_syn)`, `γ = β/C_m`,
//! `P32 = γ·e^{−h/τ_syn}·expm1(h/β)`, `P31 = γ·e^{−h/τ_syn}·(β·expm1(h/β) − h)`;
//! for |τ_m − τ_syn| < 0.01 ms the singular limits `P32 = h/C_m·e^{−h/τ_m}`,
//! `P31 = h²/(2C_m)·e^{−h/τ_m}`.

use super::neuron::{Neuron, NeuronInfo, SIGNED_RECEPTOR};
use crate::error::ModelError;
use crate::impl_neuron;
use crate::params::{p, ParamDef, ParamSet};

/// The model as a graph and `brainstream list` know it.
pub const INFO: NeuronInfo = NeuronInfo {
    name: "iaf_psc_alpha",
    doc: "Leaky integrate-and-fire neuron, alpha-shaped post-synaptic currents, exact integration",
    params: PARAMS,
    weight_unit: "pA",
    receptors: SIGNED_RECEPTOR,
    solvers: &[],
    heavy_step: false,
    build,
};

/// [`NeuronInfo::build`] (one integration: `solver` is not used).
fn build(
    n: usize,
    params: &ParamSet,
    h: f64,
    _solver: &str,
) -> Result<Box<dyn Neuron>, ModelError> {
    Ok(Box::new(IafPscAlpha::new(n, params, h)?))
}

impl_neuron!(IafPscAlpha, INFO, state);

/// Parameters, as NEST 3.10 declares them.
pub const PARAMS: &[ParamDef] = &[
    p("C_m", 250.0, 1e-6, 1e9, "pF", "Membrane capacitance"),
    p("tau_m", 10.0, 1e-6, 1e9, "ms", "Membrane time constant"),
    p(
        "t_ref",
        2.0,
        0.0,
        1e9,
        "ms",
        "Duration of the refractory period",
    ),
    p("E_L", -70.0, -1e6, 1e6, "mV", "Resting membrane potential"),
    p("V_th", -55.0, -1e6, 1e6, "mV", "Spike threshold"),
    p("V_reset", -70.0, -1e6, 1e6, "mV", "Reset potential"),
    p(
        "V_min",
        f64::NEG_INFINITY,
        f64::NEG_INFINITY,
        1e6,
        "mV",
        "Lower bound of the membrane potential",
    ),
    p("I_e", 0.0, -1e9, 1e9, "pA", "Constant input current"),
    p(
        "tau_syn_ex",
        2.0,
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
];

/// NEST's threshold below which τ_m and τ_syn count as equal.
const SINGULAR: f64 = 0.01;

/// `(P31, P32)` of NEST's `IAFPropagatorAlpha`.
fn propagators(tau_syn: f64, tau_m: f64, c_m: f64, h: f64) -> (f64, f64) {
    if (tau_m - tau_syn).abs() < SINGULAR {
        let e = (-h / tau_m).exp();
        return (0.5 * h * h / c_m * e, h / c_m * e);
    }
    let beta = tau_syn * tau_m / (tau_m - tau_syn);
    let gamma = beta / c_m;
    let inv_beta = (tau_m - tau_syn) / (tau_syn * tau_m);
    let exp_h_tau_syn = (-h * (1.0 / tau_syn)).exp();
    let expm1_h_tau = (h * inv_beta).exp_m1();
    let p32 = gamma * exp_h_tau_syn * expm1_h_tau;
    let p31 = gamma * exp_h_tau_syn * (beta * expm1_h_tau - h);
    (p31, p32)
}

/// A population of `iaf_psc_alpha` neurons sharing parameters.
#[derive(Debug, Clone)]
pub struct IafPscAlpha {
    e_l: f64,
    i_e: f64,
    theta: f64,
    v_reset: f64,
    lower: f64,
    p11_ex: f64,
    p21_ex: f64,
    p11_in: f64,
    p21_in: f64,
    p30: f64,
    p31_ex: f64,
    p32_ex: f64,
    p31_in: f64,
    p32_in: f64,
    expm1_tau_m: f64,
    epsc0: f64,
    ipsc0: f64,
    ref_steps: u32,
    /// membrane potential relative to E_L
    y3: Vec<f64>,
    i_ex: Vec<f64>,
    di_ex: Vec<f64>,
    i_in: Vec<f64>,
    di_in: Vec<f64>,
    /// current input applied this step
    y0: Vec<f64>,
    r: Vec<u32>,
}

impl IafPscAlpha {
    /// `n` neurons at rest (V_m = E_L), step `h` ms.
    pub fn new(n: usize, params: &ParamSet, h: f64) -> Result<Self, ModelError> {
        let g = |k: &str| params.get(k);
        let (c_m, tau_m, tau_ex, tau_in) = (g("C_m"), g("tau_m"), g("tau_syn_ex"), g("tau_syn_in"));
        let e_l = g("E_L");
        if g("V_reset") >= g("V_th") {
            return Err(ModelError::Config(format!(
                "iaf_psc_alpha: V_reset ({}) must be below V_th ({})",
                g("V_reset"),
                g("V_th")
            )));
        }
        if !(h.is_finite() && h > 0.0) {
            return Err(ModelError::Config(format!("iaf_psc_alpha: step {h} ms")));
        }
        let (p31_ex, p32_ex) = propagators(tau_ex, tau_m, c_m, h);
        let (p31_in, p32_in) = propagators(tau_in, tau_m, c_m, h);
        let p11_ex = (-h / tau_ex).exp();
        let p11_in = (-h / tau_in).exp();
        Ok(Self {
            e_l,
            i_e: g("I_e"),
            theta: g("V_th") - e_l,
            v_reset: g("V_reset") - e_l,
            lower: g("V_min") - e_l,
            p11_ex,
            p21_ex: h * p11_ex,
            p11_in,
            p21_in: h * p11_in,
            p30: -tau_m / c_m * (-h / tau_m).exp_m1(),
            p31_ex,
            p32_ex,
            p31_in,
            p32_in,
            expm1_tau_m: (-h / tau_m).exp_m1(),
            epsc0: std::f64::consts::E / tau_ex,
            ipsc0: std::f64::consts::E / tau_in,
            // NEST: Time(Time::ms(t_ref)).get_steps(), i.e. rounded to the grid
            ref_steps: (g("t_ref") / h).round() as u32,
            y3: vec![0.0; n],
            i_ex: vec![0.0; n],
            di_ex: vec![0.0; n],
            i_in: vec![0.0; n],
            di_in: vec![0.0; n],
            y0: vec![0.0; n],
            r: vec![0; n],
        })
    }

    /// The same neurons' parameters for a population of `n`, at rest.
    pub fn resized(&self, n: usize) -> Self {
        let mut c = self.clone();
        for v in [
            &mut c.y3,
            &mut c.i_ex,
            &mut c.di_ex,
            &mut c.i_in,
            &mut c.di_in,
            &mut c.y0,
        ] {
            *v = vec![0.0; n];
        }
        c.r = vec![0; n];
        c
    }

    /// Number of neurons.
    pub fn len(&self) -> usize {
        self.y3.len()
    }

    /// The neurons `r` as a population of their own.
    pub fn take_range(&self, r: std::ops::Range<usize>) -> Self {
        let mut c = self.clone();
        c.y3 = self.y3[r.clone()].to_vec();
        c.i_ex = self.i_ex[r.clone()].to_vec();
        c.di_ex = self.di_ex[r.clone()].to_vec();
        c.i_in = self.i_in[r.clone()].to_vec();
        c.di_in = self.di_in[r.clone()].to_vec();
        c.y0 = self.y0[r.clone()].to_vec();
        c.r = self.r[r].to_vec();
        c
    }

    /// Writes back a part taken with [`take_range`](Self::take_range).
    pub fn put_range(&mut self, start: usize, part: &Self) {
        let r = start..start + part.len();
        self.y3[r.clone()].copy_from_slice(&part.y3);
        self.i_ex[r.clone()].copy_from_slice(&part.i_ex);
        self.di_ex[r.clone()].copy_from_slice(&part.di_ex);
        self.i_in[r.clone()].copy_from_slice(&part.i_in);
        self.di_in[r.clone()].copy_from_slice(&part.di_in);
        self.y0[r.clone()].copy_from_slice(&part.y0);
        self.r[r].copy_from_slice(&part.r);
    }

    /// Whether the population is empty.
    pub fn is_empty(&self) -> bool {
        self.y3.is_empty()
    }

    /// Membrane potential of neuron `i`, mV.
    pub fn v_m(&self, i: usize) -> f64 {
        self.y3[i] + self.e_l
    }

    /// Sets the membrane potential of neuron `i`, mV.
    pub fn set_v_m(&mut self, i: usize, v: f64) {
        self.y3[i] = v - self.e_l;
    }

    /// One step of every neuron. `syn[i]`: the summed weights (pA) of the
    /// spikes delivered to neuron `i` in this step, positive and negative
    /// kept apart as (excitatory, inhibitory); `current[i]`: current input
    /// (pA) arriving in this step, effective from the next. Indices of the
    /// neurons that fire are appended to `fired`.
    pub fn step(&mut self, syn: &[(f64, f64)], current: Option<&[f64]>, fired: &mut Vec<u32>) {
        for i in 0..self.y3.len() {
            if self.r[i] == 0 {
                let y3 = self.p30 * (self.y0[i] + self.i_e)
                    + self.p31_ex * self.di_ex[i]
                    + self.p32_ex * self.i_ex[i]
                    + self.p31_in * self.di_in[i]
                    + self.p32_in * self.i_in[i]
                    + self.expm1_tau_m * self.y3[i]
                    + self.y3[i];
                self.y3[i] = if y3 < self.lower { self.lower } else { y3 };
            } else {
                self.r[i] -= 1;
            }
            let (ex, inh) = syn[i];
            self.i_ex[i] = self.p21_ex * self.di_ex[i] + self.p11_ex * self.i_ex[i];
            self.di_ex[i] *= self.p11_ex;
            self.di_ex[i] += self.epsc0 * ex;
            self.i_in[i] = self.p21_in * self.di_in[i] + self.p11_in * self.i_in[i];
            self.di_in[i] *= self.p11_in;
            self.di_in[i] += self.ipsc0 * inh;
            if self.y3[i] >= self.theta {
                self.r[i] = self.ref_steps;
                self.y3[i] = self.v_reset;
                fired.push(i as u32);
            }
            self.y0[i] = current.map_or(0.0, |c| c[i]);
        }
    }
}

impl IafPscAlpha {
    /// Every per-neuron state variable (checkpoints).
    fn state_slices(&mut self) -> Vec<crate::spiking::neuron::StateSlice<'_>> {
        use crate::spiking::neuron::StateSlice;
        vec![
            StateSlice::F64(&mut self.y3),
            StateSlice::F64(&mut self.i_ex),
            StateSlice::F64(&mut self.di_ex),
            StateSlice::F64(&mut self.i_in),
            StateSlice::F64(&mut self.di_in),
            StateSlice::F64(&mut self.y0),
            StateSlice::U32(&mut self.r),
        ]
    }
}
