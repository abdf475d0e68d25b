//! `hh_psc_alpha`: Hodgkin-Huxley neuron with alpha-shaped post-synaptic
//! currents, as NEST 3.10's model of the same name (GSL RKF45, absolute
//! tolerance 1e-3, the adapted step carried across steps).
//!
//! ```text
//! C_m·dV/dt = −(g_Na·m³·h·(V − E_Na) + g_K·n⁴·(V − E_K) + g_L·(V − E_L)) + I_stim + I_e + I_ex + I_in
//! dx/dt     = α_x(V)·(1 − x) − β_x(V)·x,   x ∈ {m, h, n}
//! α_n = 0.01(V + 55)/(1 − e^{−(V+55)/10}),  β_n = 0.125·e^{−(V+65)/80}
//! α_m = 0.1(V + 40)/(1 − e^{−(V+40)/10}),   β_m = 4·e^{−(V+65)/18}
//! α_h = 0.07·e^{−(V+65)/20},                β_h = 1/(1 + e^{−(V+35)/10})
//! dI_x/dt = dI_x − I_x/τ_syn,x,   d(dI_x)/dt = −dI_x/τ_syn,x
//! a spike of weight w adds w·e/τ_syn,x to dI_x (peak current w pA at t = τ_syn,x)
//! ```
//! V in mV, conductances in nS, currents in pA, rates in 1/ms, times in
//! ms. There is no threshold and no reset: a spike is the step at whose
//! end V ≥ 0 mV and V fell during the step (just past the peak); then for
//! t_ref only the spike detection pauses. Weights > 0 go to the excitatory
//! current, ≤ 0 to the inhibitory one (signed). Every neuron starts at
//! V = −65 mV with m, h, n at their steady state there, as NEST's. Update
//! order per step, as NEST: integrate, then the spikes delivered in this
//! step, then refractoriness and spike detection, then the current input
//! delivered in this step (acting from the next).

use super::neuron::{Neuron, NeuronInfo, SIGNED_RECEPTOR};
use super::rkf45;
use crate::error::ModelError;
use crate::impl_neuron;
use crate::params::{p, ParamDef, ParamSet};

/// The model as a graph and `brainstream list` know it.
pub const INFO: NeuronInfo = NeuronInfo {
    name: "hh_psc_alpha",
    doc: "Hodgkin-Huxley neuron, alpha-shaped post-synaptic currents (GSL RKF45)",
    params: PARAMS,
    weight_unit: "pA",
    receptors: SIGNED_RECEPTOR,
    solvers: &[],
    heavy_step: true,
    build,
};

/// [`NeuronInfo::build`] (one integration: `solver` is not used).
fn build(
    n: usize,
    params: &ParamSet,
    h: f64,
    _solver: &str,
) -> Result<Box<dyn Neuron>, ModelError> {
    Ok(Box::new(HhPscAlpha::new(n, params, h)?))
}

impl_neuron!(HhPscAlpha, INFO, state);

/// Parameters, as NEST 3.10 declares them.
pub const PARAMS: &[ParamDef] = &[
    p(
        "t_ref",
        2.0,
        0.0,
        1e9,
        "ms",
        "Duration of the refractory period (of the spike detection)",
    ),
    p("g_Na", 12000.0, 0.0, 1e9, "nS", "Sodium peak conductance"),
    p("g_K", 3600.0, 0.0, 1e9, "nS", "Potassium peak conductance"),
    p("g_L", 30.0, 0.0, 1e9, "nS", "Leak conductance"),
    p("E_Na", 50.0, -1e6, 1e6, "mV", "Sodium reversal potential"),
    p(
        "E_K",
        -77.0,
        -1e6,
        1e6,
        "mV",
        "Potassium reversal potential",
    ),
    p("E_L", -54.402, -1e6, 1e6, "mV", "Leak reversal potential"),
    p("C_m", 100.0, 1e-6, 1e9, "pF", "Membrane capacitance"),
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

/// NEST's absolute tolerance of the RKF45 step control (mixed units).
const EPS_ABS: f64 = 1e-3;

/// Indices of the state vector, NEST's order.
const V_M: usize = 0;
const HH_M: usize = 1;
const HH_H: usize = 2;
const HH_N: usize = 3;
const DI_EXC: usize = 4;
const I_EXC: usize = 5;
const DI_INH: usize = 6;
const I_INH: usize = 7;

#[derive(Debug, Clone, Copy)]
struct P {
    g_na: f64,
    g_k: f64,
    g_l: f64,
    c_m: f64,
    e_na: f64,
    e_k: f64,
    e_l: f64,
    tau_ex: f64,
    tau_in: f64,
    i_e: f64,
    /// e/τ_syn_ex, e/τ_syn_in: 1/ms
    psc_init_ex: f64,
    psc_init_in: f64,
    ref_counts: u32,
    h: f64,
}

/// The gating rates at V (mV): (α_n, β_n, α_m, β_m, α_h, β_h), 1/ms, as
/// NEST writes them.
fn rates(v: f64) -> [f64; 6] {
    [
        (0.01 * (v + 55.)) / (1. - (-(v + 55.) / 10.).exp()),
        0.125 * (-(v + 65.) / 80.).exp(),
        (0.1 * (v + 40.)) / (1. - (-(v + 40.) / 10.).exp()),
        4. * (-(v + 65.) / 18.).exp(),
        0.07 * (-(v + 65.) / 20.).exp(),
        1. / (1. + (-(v + 35.) / 10.).exp()),
    ]
}

/// NEST's initial state: V = −65 mV, m, h, n at steady state, no current.
fn initial() -> [f64; 8] {
    let v = -65.0;
    let [alpha_n, beta_n, alpha_m, beta_m, alpha_h, beta_h] = rates(v);
    let mut y = [0.0; 8];
    y[V_M] = v;
    y[HH_H] = alpha_h / (alpha_h + beta_h);
    y[HH_N] = alpha_n / (alpha_n + beta_n);
    y[HH_M] = alpha_m / (alpha_m + beta_m);
    y
}

/// A population of `hh_psc_alpha` neurons sharing parameters.
#[derive(Debug, Clone)]
pub struct HhPscAlpha {
    p: P,
    /// [V, m, h, n, dI_ex, I_ex, dI_in, I_in] per neuron
    y: Vec<[f64; 8]>,
    /// refractory steps left
    r: Vec<u32>,
    /// current input applied this step, pA
    i_stim: Vec<f64>,
    /// adapted integration step per neuron, ms
    step: Vec<f64>,
}

impl HhPscAlpha {
    /// `n` neurons in NEST's initial state, simulation step `h` ms.
    pub fn new(n: usize, params: &ParamSet, h: f64) -> Result<Self, ModelError> {
        let g = |k: &str| params.get(k);
        if !(h.is_finite() && h > 0.0) {
            return Err(ModelError::Config(format!("hh_psc_alpha: step {h} ms")));
        }
        let p = P {
            g_na: g("g_Na"),
            g_k: g("g_K"),
            g_l: g("g_L"),
            c_m: g("C_m"),
            e_na: g("E_Na"),
            e_k: g("E_K"),
            e_l: g("E_L"),
            tau_ex: g("tau_syn_ex"),
            tau_in: g("tau_syn_in"),
            i_e: g("I_e"),
            // NEST: 1.0 * numerics::e / tau
            psc_init_ex: std::f64::consts::E / g("tau_syn_ex"),
            psc_init_in: std::f64::consts::E / g("tau_syn_in"),
            // NEST: Time(Time::ms(t_ref)).get_steps(), i.e. rounded to the grid
            ref_counts: (g("t_ref") / h).round() as u32,
            h,
        };
        Ok(Self {
            p,
            y: vec![initial(); n],
            r: vec![0; n],
            i_stim: vec![0.0; n],
            step: vec![h; n],
        })
    }

    /// The same neurons' parameters for a population of `n`, in NEST's
    /// initial state.
    pub fn resized(&self, n: usize) -> Self {
        Self {
            p: self.p,
            y: vec![initial(); n],
            r: vec![0; n],
            i_stim: vec![0.0; n],
            step: vec![self.p.h; n],
        }
    }

    /// The neurons `r` as a population of their own.
    pub fn take_range(&self, r: std::ops::Range<usize>) -> Self {
        Self {
            p: self.p,
            y: self.y[r.clone()].to_vec(),
            r: self.r[r.clone()].to_vec(),
            i_stim: self.i_stim[r.clone()].to_vec(),
            step: self.step[r].to_vec(),
        }
    }

    /// Writes back a part taken with [`take_range`](Self::take_range).
    pub fn put_range(&mut self, start: usize, part: &Self) {
        let r = start..start + part.len();
        self.y[r.clone()].copy_from_slice(&part.y);
        self.r[r.clone()].copy_from_slice(&part.r);
        self.i_stim[r.clone()].copy_from_slice(&part.i_stim);
        self.step[r].copy_from_slice(&part.step);
    }

    /// Number of neurons.
    pub fn len(&self) -> usize {
        self.y.len()
    }

    /// Whether the population is empty.
    pub fn is_empty(&self) -> bool {
        self.y.is_empty()
    }

    /// Membrane potential of neuron `i`, mV.
    pub fn v_m(&self, i: usize) -> f64 {
        self.y[i][V_M]
    }

    /// Sets the membrane potential of neuron `i`, mV.
    pub fn set_v_m(&mut self, i: usize, v: f64) {
        self.y[i][V_M] = v;
    }

    /// Gating variables (m, h, n) of neuron `i`.
    pub fn gates(&self, i: usize) -> (f64, f64, f64) {
        (self.y[i][HH_M], self.y[i][HH_H], self.y[i][HH_N])
    }

    /// Synaptic currents (excitatory, inhibitory) of neuron `i`, pA.
    pub fn currents(&self, i: usize) -> (f64, f64) {
        (self.y[i][I_EXC], self.y[i][I_INH])
    }

    /// One step of every neuron; `syn[i]` = (excitatory, inhibitory) summed
    /// weights (pA) delivered in this step (inhibitory ones ≤ 0);
    /// `current[i]`: current input (pA) arriving in this step, effective
    /// from the next. Indices of the neurons that fire are appended to
    /// `fired`.
    pub fn step(&mut self, syn: &[(f64, f64)], current: Option<&[f64]>, fired: &mut Vec<u32>) {
        let p = self.p;
        for i in 0..self.y.len() {
            let i_stim = self.i_stim[i];
            // NEST's hh_psc_alpha_dynamics, its order of operations
            let f = |y: &[f64; 8], d: &mut [f64; 8]| {
                let v = y[V_M];
                let (m, hh, n) = (y[HH_M], y[HH_H], y[HH_N]);
                let (di_ex, i_ex, di_in, i_in) = (y[DI_EXC], y[I_EXC], y[DI_INH], y[I_INH]);
                let [alpha_n, beta_n, alpha_m, beta_m, alpha_h, beta_h] = rates(v);
                let i_na = p.g_na * m * m * m * hh * (v - p.e_na);
                let i_k = p.g_k * n * n * n * n * (v - p.e_k);
                let i_l = p.g_l * (v - p.e_l);
                d[V_M] = (-(i_na + i_k + i_l) + i_stim + p.i_e + i_ex + i_in) / p.c_m;
                d[HH_M] = alpha_m * (1. - m) - beta_m * m;
                d[HH_H] = alpha_h * (1. - hh) - beta_h * hh;
                d[HH_N] = alpha_n * (1. - n) - beta_n * n;
                d[DI_EXC] = -di_ex / p.tau_ex;
                d[I_EXC] = di_ex - (i_ex / p.tau_ex);
                d[DI_INH] = -di_in / p.tau_in;
                d[I_INH] = di_in - (i_in / p.tau_in);
            };
            let u_old = self.y[i][V_M];
            rkf45::evolve(f, &mut self.y[i], p.h, &mut self.step[i], EPS_ABS);
            let (ex, inh) = syn[i];
            self.y[i][DI_EXC] += ex * p.psc_init_ex;
            self.y[i][DI_INH] += inh * p.psc_init_in;
            if self.r[i] > 0 {
                self.r[i] -= 1;
            } else if self.y[i][V_M] >= 0.0 && u_old > self.y[i][V_M] {
                // above 0 mV and past the peak
                self.r[i] = p.ref_counts;
                fired.push(i as u32);
            }
            self.i_stim[i] = current.map_or(0.0, |c| c[i]);
        }
    }
}

impl HhPscAlpha {
    /// Every per-neuron state variable (checkpoints).
    fn state_slices(&mut self) -> Vec<crate::spiking::neuron::StateSlice<'_>> {
        use crate::spiking::neuron::StateSlice;
        vec![
            StateSlice::F64(self.y.as_flattened_mut()),
            StateSlice::U32(&mut self.r),
            StateSlice::F64(&mut self.i_stim),
            StateSlice::F64(&mut self.step),
        ]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rests_at_nests_initial_state_without_input() {
        let params = ParamSet::defaults(PARAMS);
        let mut n = HhPscAlpha::new(1, &params, 0.1).unwrap();
        let (m, h, nn) = n.gates(0);
        assert!(
            (m - 0.0529).abs() < 1e-3 && (h - 0.596).abs() < 1e-3 && (nn - 0.3177).abs() < 1e-3
        );
        let mut fired = Vec::new();
        for _ in 0..200 {
            n.step(&[(0.0, 0.0)], None, &mut fired);
        }
        // E_L = −54.402 mV balances the currents near −65 mV
        assert!((n.v_m(0) + 65.0).abs() < 0.1, "{}", n.v_m(0));
        assert!(fired.is_empty());
    }

    #[test]
    fn a_strong_current_fires_once_per_peak_past_zero() {
        let params = ParamSet::from_overrides("hh_psc_alpha", PARAMS, [("I_e", 1000.0)]).unwrap();
        let mut n = HhPscAlpha::new(1, &params, 0.1).unwrap();
        let mut fired = Vec::new();
        let mut peaks = 0;
        let mut prev = n.v_m(0);
        let mut rising = false;
        for _ in 0..1000 {
            n.step(&[(0.0, 0.0)], None, &mut fired);
            let v = n.v_m(0);
            if rising && v < prev && prev >= 0.0 {
                peaks += 1;
            }
            rising = v > prev;
            prev = v;
        }
        assert!(fired.len() >= 5, "{}", fired.len());
        assert_eq!(fired.len(), peaks);
    }

    #[test]
    fn an_inhibitory_weight_is_a_negative_current() {
        let params = ParamSet::defaults(PARAMS);
        let mut n = HhPscAlpha::new(1, &params, 0.1).unwrap();
        let mut fired = Vec::new();
        n.step(&[(0.0, -50.0)], None, &mut fired);
        for _ in 0..20 {
            n.step(&[(0.0, 0.0)], None, &mut fired);
        }
        // the alpha current peaks at its weight after tau_syn_in = 2 ms
        let (_, i_in) = n.currents(0);
        assert!((i_in + 50.0).abs() < 0.05, "{i_in}");
        assert!(n.v_m(0) < -65.0);
    }
}
