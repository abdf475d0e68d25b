//! `iaf_cond_exp`: leaky integrate-and-fire neuron with exponentially
//! decaying conductances, as NEST 3.10's model of the same name (GSL RKF45,
//! absolute tolerance 1e-3, the adapted step carried across steps).
//!
//! ```text
//! C_m·dV/dt = −g_L(V − E_L) + I_stim + I_e − g_ex(V − E_ex) − g_in(V − E_in)
//! dg_x/dt   = −g_x/τ_syn,x,   a spike of weight w adds |w| nS to g_x
//! V ≥ V_th at the end of a step → spike, V ← V_reset, clamped for t_ref
//! ```
//! In the right-hand side V is bounded by V_th (and is V_reset while
//! refractory, when dV/dt = 0), as NEST does. V in mV, g in nS, currents in
//! pA, times in ms. Weights > 0 are excitatory conductances, ≤ 0 inhibitory
//! (their magnitude). Update order per step, as NEST: integrate, then the
//! spikes delivered in this step, then refractoriness and threshold, then
//! the current input delivered in this step (acting from the next).

use super::neuron::{Neuron, NeuronInfo, SIGNED_RECEPTOR};
use super::rkf45;
use crate::error::ModelError;
use crate::impl_neuron;
use crate::params::{p, ParamDef, ParamSet};

/// The model as a graph and `brainstream list` know it.
pub const INFO: NeuronInfo = NeuronInfo {
    name: "iaf_cond_exp",
    doc: "Leaky integrate-and-fire neuron, exponential conductances (GSL RKF45)",
    params: PARAMS,
    weight_unit: "nS",
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
    Ok(Box::new(IafCondExp::new(n, params, h)?))
}

impl_neuron!(IafCondExp, INFO, state);

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
        "Time constant of the excitatory synaptic conductance",
    ),
    p(
        "tau_syn_in",
        2.0,
        1e-6,
        1e9,
        "ms",
        "Time constant of the inhibitory synaptic conductance",
    ),
    p("I_e", 0.0, -1e9, 1e9, "pA", "Constant input current"),
];

/// NEST's absolute tolerance of the RKF45 step control, mV and nS.
const EPS_ABS: f64 = 1e-3;

/// A population of `iaf_cond_exp` neurons sharing parameters.
#[derive(Debug, Clone)]
pub struct IafCondExp {
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
    /// [V (mV), g_ex (nS), g_in (nS)] per neuron
    y: Vec<[f64; 3]>,
    /// refractory steps left
    r: Vec<u32>,
    /// current input applied this step, pA
    i_stim: Vec<f64>,
    /// adapted integration step per neuron, ms
    step: Vec<f64>,
}

impl IafCondExp {
    /// `n` neurons at V = E_L, simulation step `h` ms.
    pub fn new(n: usize, params: &ParamSet, h: f64) -> Result<Self, ModelError> {
        let g = |k: &str| params.get(k);
        if g("V_reset") >= g("V_th") {
            return Err(ModelError::Config(format!(
                "iaf_cond_exp: V_reset ({}) must be below V_th ({})",
                g("V_reset"),
                g("V_th")
            )));
        }
        if !(h.is_finite() && h > 0.0) {
            return Err(ModelError::Config(format!("iaf_cond_exp: step {h} ms")));
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
            // NEST: Time(Time::ms(t_ref)).get_steps(), i.e. rounded to the grid
            ref_steps: (g("t_ref") / h).round() as u32,
            h,
            y: vec![[g("E_L"), 0.0, 0.0]; n],
            r: vec![0; n],
            i_stim: vec![0.0; n],
            step: vec![h; n],
        })
    }

    /// The same neurons' parameters for a population of `n`, at rest.
    pub fn resized(&self, n: usize) -> Self {
        let mut c = self.clone();
        c.y = vec![[self.e_l, 0.0, 0.0]; n];
        c.r = vec![0; n];
        c.i_stim = vec![0.0; n];
        c.step = vec![self.h; n];
        c
    }

    /// Number of neurons.
    pub fn len(&self) -> usize {
        self.y.len()
    }

    /// Whether the population is empty.
    pub fn is_empty(&self) -> bool {
        self.y.is_empty()
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

    /// Membrane potential of neuron `i`, mV.
    pub fn v_m(&self, i: usize) -> f64 {
        self.y[i][0]
    }

    /// Sets the membrane potential of neuron `i`, mV.
    pub fn set_v_m(&mut self, i: usize, v: f64) {
        self.y[i][0] = v;
    }

    /// One step of every neuron; `syn[i]` = (excitatory, inhibitory) summed
    /// weights (nS) delivered in this step (inhibitory ones ≤ 0);
    /// `current[i]`: current input (pA) arriving in this step, effective
    /// from the next. Indices of the neurons that fire are appended to
    /// `fired`.
    pub fn step(&mut self, syn: &[(f64, f64)], current: Option<&[f64]>, fired: &mut Vec<u32>) {
        let (v_th, v_reset, g_l, c_m) = (self.v_th, self.v_reset, self.g_l, self.c_m);
        let (e_ex, e_in, e_l, tau_ex, tau_in) =
            (self.e_ex, self.e_in, self.e_l, self.tau_ex, self.tau_in);
        let i_e = self.i_e;
        for i in 0..self.y.len() {
            let refractory = self.r[i] > 0;
            let i_stim = self.i_stim[i];
            // NEST's iaf_cond_exp_dynamics, its order of the sum
            let f = |y: &[f64; 3], d: &mut [f64; 3]| {
                let v = if refractory { v_reset } else { y[0].min(v_th) };
                let i_syn_exc = y[1] * (v - e_ex);
                let i_syn_inh = y[2] * (v - e_in);
                let i_l = g_l * (v - e_l);
                d[0] = if refractory {
                    0.0
                } else {
                    (-i_l + i_stim + i_e - i_syn_exc - i_syn_inh) / c_m
                };
                d[1] = -y[1] / tau_ex;
                d[2] = -y[2] / tau_in;
            };
            rkf45::evolve(f, &mut self.y[i], self.h, &mut self.step[i], EPS_ABS);
            let (ex, inh) = syn[i];
            self.y[i][1] += ex;
            self.y[i][2] += -inh;
            if self.r[i] > 0 {
                self.r[i] -= 1;
                self.y[i][0] = self.v_reset;
            } else if self.y[i][0] >= self.v_th {
                self.r[i] = self.ref_steps;
                self.y[i][0] = self.v_reset;
                fired.push(i as u32);
            }
            self.i_stim[i] = current.map_or(0.0, |c| c[i]);
        }
    }
}

impl IafCondExp {
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
    fn spikes_open_conductances_of_their_sign_and_refractoriness_holds_v() {
        let params = ParamSet::defaults(PARAMS);
        let mut n = IafCondExp::new(1, &params, 0.1).unwrap();
        let mut fired = Vec::new();
        n.step(&[(3.0, -2.0)], None, &mut fired);
        // conductances took the spikes after this step's integration
        assert_eq!(n.y[0], [-70.0, 3.0, 2.0]);
        n.step(&[(0.0, 0.0)], None, &mut fired);
        // g_ex pulls V towards 0 mV more than g_in towards -85 mV
        assert!(n.v_m(0) > -70.0);
        assert!(n.y[0][1] < 3.0 && n.y[0][2] < 2.0);
        n.set_v_m(0, -54.0);
        n.step(&[(0.0, 0.0)], None, &mut fired);
        assert_eq!(fired, vec![0]);
        for _ in 0..20 {
            n.step(&[(1e3, 0.0)], None, &mut fired);
            assert_eq!(n.v_m(0), -60.0);
        }
        assert_eq!(fired, vec![0]);
        n.step(&[(0.0, 0.0)], None, &mut fired);
        assert_eq!(fired, vec![0, 0]);
    }
}
