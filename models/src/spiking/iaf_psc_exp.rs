//! `iaf_psc_exp`: leaky integrate-and-fire neuron with exponentially
//! decaying post-synaptic currents, integrated exactly (Rotter & Diesmann
//! 1999), as NEST 3.10's model of the same name (its deterministic
//! threshold: NEST's escape noise `delta > 0` is not provided).
//!
//! ```text
//! dV/dt     = −(V − E_L)/τ_m + (I_syn,ex + I_syn,in + I_e + I_0)/C_m
//! dI_syn,x/dt = −I_syn,x/τ_syn,x,   a spike of weight w: I_syn,x += w
//! V ≥ V_th  →  spike, V ← V_reset, clamped for t_ref
//! ```
//! V in mV (kept relative to E_L, as NEST does), currents in pA, C_m in pF,
//! times in ms. Weights > 0 go to the excitatory synapse, ≤ 0 to the
//! inhibitory one. `I_0` is the current input (NEST's `receptor_type` 0 of
//! a current: a step current generator), applied from the step after it
//! arrives.
//!
//! Per step h, in NEST's order: V (if not refractory, else the refractory
//! counter counts down) from the currents of the previous step,
//! `V ← P22·V + P21ex·I_ex + P21in·I_in + P20·(I_e + I_0)`; then the
//! currents decay, `I_x ← P11x·I_x`, and take the spikes delivered in this
//! step; then the threshold; then `I_0` takes the current delivered in this
//! step. Propagators: `P11x = e^{−h/τ_syn,x}`, `P22 = e^{−h/τ_m}`,
//! `P20 = τ_m/C_m·(1 − P22)`, and NEST's `IAFPropagatorExp`:
//! `P21x = γ·e^{−h/τ_syn,x}·expm1(h/β)` with `β = τ_syn·τ_m/(τ_m − τ_syn)`,
//! `γ = β/C_m`, replaced by its limit `h/C_m·e^{−h/τ_m}` where that is not
//! a positive normal number (τ_syn = τ_m, or too close for the floating
//! point).

use super::neuron::{Neuron, NeuronInfo, SIGNED_RECEPTOR};
use crate::error::ModelError;
use crate::impl_neuron;
use crate::params::{p, ParamDef, ParamSet};

/// The model as a graph and `brainstream list` know it.
pub const INFO: NeuronInfo = NeuronInfo {
    name: "iaf_psc_exp",
    doc: "Leaky integrate-and-fire neuron, exponential post-synaptic currents, exact integration",
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
    Ok(Box::new(IafPscExp::new(n, params, h)?))
}

impl_neuron!(IafPscExp, INFO, state);

/// Parameters, as NEST 3.10 declares them (less the escape noise `rho`,
/// `delta`).
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
    p("I_e", 0.0, -1e9, 1e9, "pA", "Constant input current"),
    p(
        "tau_syn_ex",
        2.0,
        1e-6,
        1e9,
        "ms",
        "Time constant of the excitatory synaptic current",
    ),
    p(
        "tau_syn_in",
        2.0,
        1e-6,
        1e9,
        "ms",
        "Time constant of the inhibitory synaptic current",
    ),
];

/// NEST's `IAFPropagatorExp(tau_syn, tau_m, c_m).evaluate(h)`: the
/// propagator from a synaptic current to V over `h`.
pub fn p21(tau_syn: f64, tau_m: f64, c_m: f64, h: f64) -> f64 {
    // as NEST: inverses computed first, beta = inf when tau_m == tau_syn
    let beta = tau_syn * tau_m / (tau_m - tau_syn);
    let gamma = beta / c_m;
    let inv_tau_syn = 1.0 / tau_syn;
    let inv_tau_m = 1.0 / tau_m;
    let inv_c_m = 1.0 / c_m;
    let inv_beta = (tau_m - tau_syn) / (tau_syn * tau_m);
    let exp_h_tau_syn = (-h * inv_tau_syn).exp();
    let expm1_h_tau = (h * inv_beta).exp_m1();
    let p32 = gamma * exp_h_tau_syn * expm1_h_tau;
    if p32.is_normal() && p32 > 0.0 {
        p32
    } else {
        h * inv_c_m * (-h * inv_tau_m).exp()
    }
}

/// A population of `iaf_psc_exp` neurons sharing parameters.
#[derive(Debug, Clone)]
pub struct IafPscExp {
    e_l: f64,
    i_e: f64,
    /// V_th − E_L
    theta: f64,
    /// V_reset − E_L
    v_reset: f64,
    p11_ex: f64,
    p11_in: f64,
    p22: f64,
    p21_ex: f64,
    p21_in: f64,
    p20: f64,
    ref_steps: u32,
    /// membrane potential relative to E_L, mV
    v: Vec<f64>,
    /// excitatory synaptic current, pA
    i_ex: Vec<f64>,
    /// inhibitory synaptic current, pA
    i_in: Vec<f64>,
    /// current input applied this step, pA
    i_0: Vec<f64>,
    /// refractory steps left
    r: Vec<u32>,
}

impl IafPscExp {
    /// `n` neurons at rest (V_m = E_L), step `h` ms.
    pub fn new(n: usize, params: &ParamSet, h: f64) -> Result<Self, ModelError> {
        let g = |k: &str| params.get(k);
        let (c_m, tau_m, tau_ex, tau_in) = (g("C_m"), g("tau_m"), g("tau_syn_ex"), g("tau_syn_in"));
        let e_l = g("E_L");
        if g("V_reset") >= g("V_th") {
            return Err(ModelError::Config(format!(
                "iaf_psc_exp: V_reset ({}) must be below V_th ({})",
                g("V_reset"),
                g("V_th")
            )));
        }
        if !(h.is_finite() && h > 0.0) {
            return Err(ModelError::Config(format!("iaf_psc_exp: step {h} ms")));
        }
        let p22 = (-h / tau_m).exp();
        Ok(Self {
            e_l,
            i_e: g("I_e"),
            theta: g("V_th") - e_l,
            v_reset: g("V_reset") - e_l,
            p11_ex: (-h / tau_ex).exp(),
            p11_in: (-h / tau_in).exp(),
            p22,
            p21_ex: p21(tau_ex, tau_m, c_m, h),
            p21_in: p21(tau_in, tau_m, c_m, h),
            p20: tau_m / c_m * (1.0 - p22),
            // NEST: Time(Time::ms(t_ref)).get_steps(), i.e. rounded to the grid
            ref_steps: (g("t_ref") / h).round() as u32,
            v: vec![0.0; n],
            i_ex: vec![0.0; n],
            i_in: vec![0.0; n],
            i_0: vec![0.0; n],
            r: vec![0; n],
        })
    }

    /// The same neurons' parameters for a population of `n`, at rest.
    pub fn resized(&self, n: usize) -> Self {
        let mut c = self.clone();
        for v in [&mut c.v, &mut c.i_ex, &mut c.i_in, &mut c.i_0] {
            *v = vec![0.0; n];
        }
        c.r = vec![0; n];
        c
    }

    /// Number of neurons.
    pub fn len(&self) -> usize {
        self.v.len()
    }

    /// Whether the population is empty.
    pub fn is_empty(&self) -> bool {
        self.v.is_empty()
    }

    /// The neurons `r` as a population of their own.
    pub fn take_range(&self, r: std::ops::Range<usize>) -> Self {
        let mut c = self.clone();
        c.v = self.v[r.clone()].to_vec();
        c.i_ex = self.i_ex[r.clone()].to_vec();
        c.i_in = self.i_in[r.clone()].to_vec();
        c.i_0 = self.i_0[r.clone()].to_vec();
        c.r = self.r[r].to_vec();
        c
    }

    /// Writes back a part taken with [`take_range`](Self::take_range).
    pub fn put_range(&mut self, start: usize, part: &Self) {
        let r = start..start + part.len();
        self.v[r.clone()].copy_from_slice(&part.v);
        self.i_ex[r.clone()].copy_from_slice(&part.i_ex);
        self.i_in[r.clone()].copy_from_slice(&part.i_in);
        self.i_0[r.clone()].copy_from_slice(&part.i_0);
        self.r[r].copy_from_slice(&part.r);
    }

    /// Membrane potential of neuron `i`, mV.
    pub fn v_m(&self, i: usize) -> f64 {
        self.v[i] + self.e_l
    }

    /// Sets the membrane potential of neuron `i`, mV.
    pub fn set_v_m(&mut self, i: usize, v: f64) {
        self.v[i] = v - self.e_l;
    }

    /// One step of every neuron. `syn[i]`: the summed weights (pA) of the
    /// spikes delivered to neuron `i` in this step, positive and negative
    /// kept apart as (excitatory, inhibitory); `current[i]`: current input
    /// (pA) arriving in this step, effective from the next. Indices of the
    /// neurons that fire are appended to `fired`.
    pub fn step(&mut self, syn: &[(f64, f64)], current: Option<&[f64]>, fired: &mut Vec<u32>) {
        for i in 0..self.v.len() {
            if self.r[i] == 0 {
                // NEST's order of the sum
                self.v[i] = self.v[i] * self.p22
                    + self.i_ex[i] * self.p21_ex
                    + self.i_in[i] * self.p21_in
                    + (self.i_e + self.i_0[i]) * self.p20;
            } else {
                self.r[i] -= 1;
            }
            let (ex, inh) = syn[i];
            self.i_ex[i] *= self.p11_ex;
            self.i_in[i] *= self.p11_in;
            self.i_ex[i] += ex;
            self.i_in[i] += inh;
            if self.v[i] >= self.theta {
                self.r[i] = self.ref_steps;
                self.v[i] = self.v_reset;
                fired.push(i as u32);
            }
            self.i_0[i] = current.map_or(0.0, |c| c[i]);
        }
    }
}

impl IafPscExp {
    /// Every per-neuron state variable (checkpoints).
    fn state_slices(&mut self) -> Vec<crate::spiking::neuron::StateSlice<'_>> {
        use crate::spiking::neuron::StateSlice;
        vec![
            StateSlice::F64(&mut self.v),
            StateSlice::F64(&mut self.i_ex),
            StateSlice::F64(&mut self.i_in),
            StateSlice::F64(&mut self.i_0),
            StateSlice::U32(&mut self.r),
        ]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn params(over: &[(&str, f64)]) -> ParamSet {
        ParamSet::from_overrides("iaf_psc_exp", PARAMS, over.iter().copied()).unwrap()
    }

    #[test]
    fn p21_takes_nests_limit_when_the_time_constants_meet() {
        let (c_m, h) = (250.0, 0.1);
        // tau_syn == tau_m: beta = inf, gamma·expm1 = inf·0 = NaN -> limit
        let eq = p21(10.0, 10.0, c_m, h);
        assert_eq!(eq, h / c_m * (-h / 10.0_f64).exp());
        // regular case, and continuous towards the limit
        let near = p21(10.0 - 1e-6, 10.0, c_m, h);
        assert!(near.is_normal() && near != eq);
        assert!((near - eq).abs() < 1e-9 * eq);
        // the exact solution of the two linear ODEs over h
        let (ts, tm) = (2.0_f64, 10.0_f64);
        let exact = ts * tm / (tm - ts) / c_m * ((-h / tm).exp() - (-h / ts).exp());
        assert!((p21(ts, tm, c_m, h) - exact).abs() < 1e-15);
    }

    #[test]
    fn a_spike_is_an_instant_jump_of_current_and_decays() {
        let mut n = IafPscExp::new(1, &params(&[]), 0.1).unwrap();
        let mut fired = Vec::new();
        n.step(&[(100.0, -40.0)], None, &mut fired);
        // V took the previous (zero) currents: unchanged in this step
        assert_eq!(n.v_m(0), -70.0);
        assert_eq!((n.i_ex[0], n.i_in[0]), (100.0, -40.0));
        n.step(&[(0.0, 0.0)], None, &mut fired);
        assert_eq!(n.v_m(0), -70.0 + 100.0 * n.p21_ex - 40.0 * n.p21_in);
        assert_eq!(n.i_ex[0], 100.0 * (-0.1_f64 / 2.0).exp());
        assert!(fired.is_empty());
    }

    #[test]
    fn current_input_acts_from_the_next_step_and_refractoriness_holds_v() {
        let mut n = IafPscExp::new(1, &params(&[("t_ref", 0.3)]), 0.1).unwrap();
        let mut fired = Vec::new();
        n.step(&[(0.0, 0.0)], Some(&[1e6]), &mut fired);
        assert_eq!(n.v_m(0), -70.0);
        n.step(&[(0.0, 0.0)], Some(&[0.0]), &mut fired);
        assert_eq!(fired, vec![0]);
        assert_eq!(n.v_m(0), -70.0);
        // three refractory steps (0.3 ms): V held at V_reset whatever the input
        for _ in 0..3 {
            n.step(&[(1e6, 0.0)], None, &mut fired);
            assert_eq!(n.v_m(0), -70.0);
        }
        assert_eq!(fired, vec![0]);
        // then V integrates the accumulated current and fires again
        n.step(&[(0.0, 0.0)], None, &mut fired);
        assert_eq!(fired, vec![0, 0]);
    }
}
