//! `aeif_cond_alpha`: adaptive exponential integrate-and-fire neuron (AdEx,
//! Brette & Gerstner 2005) with alpha-shaped conductances, as NEST 3.10's
//! model of the same name (GSL RKF45, `control_yp` with tolerance
//! `gsl_error_tol`, the adapted step carried across steps).
//!
//! ```text
//! C_m·dV/dt = −g_L(V − E_L) + g_L·Δ_T·e^{(V − V_th)/Δ_T} − g_ex(V − E_ex) − g_in(V − E_in) − w + I_e + I_stim
//! τ_w·dw/dt = a(V − E_L) − w
//! dg_x/dt   = dg_x − g_x/τ_syn,x,   d(dg_x)/dt = −dg_x/τ_syn,x
//! a spike of weight w adds |w|·e/τ_syn,x to dg_x (peak conductance |w| nS at t = τ_syn,x)
//! V ≥ V_peak (V_th if Δ_T = 0) → spike, V ← V_reset, w ← w + b, clamped for t_ref
//! ```
//! In the right-hand side V is bounded by V_peak (and is V_reset while
//! refractory, when dV/dt = 0). Spikes are detected after every RKF45
//! sub-step, as NEST does (the adaptation jump matters within the step).
//! V in mV, g in nS, w and currents in pA, times in ms. Weights > 0 are
//! excitatory, ≤ 0 inhibitory (their magnitude). Update order per step, as
//! NEST: integrate (spikes within), count the refractory step down, then
//! the spikes delivered in this step, then the current input delivered in
//! this step (acting from the next).

use super::neuron::{Neuron, NeuronInfo, SIGNED_RECEPTOR};
use super::rkf45::{self, Control};
use crate::error::ModelError;
use crate::impl_neuron;
use crate::params::{p, ParamDef, ParamSet};

/// The model as a graph and `brainstream list` know it.
pub const INFO: NeuronInfo = NeuronInfo {
    name: "aeif_cond_alpha",
    doc: "Adaptive exponential integrate-and-fire neuron (AdEx), alpha-shaped conductances (GSL RKF45)",
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
    Ok(Box::new(AeifCondAlpha::new(n, params, h)?))
}

impl_neuron!(AeifCondAlpha, INFO, state);

/// Parameters, as NEST 3.10 declares them.
pub const PARAMS: &[ParamDef] = &[
    p("C_m", 281.0, 1e-6, 1e9, "pF", "Membrane capacitance"),
    p("V_th", -50.4, -1e6, 1e6, "mV", "Spike initiation threshold"),
    p(
        "t_ref",
        0.0,
        0.0,
        1e9,
        "ms",
        "Duration of the refractory period",
    ),
    p("g_L", 30.0, 1e-9, 1e9, "nS", "Leak conductance"),
    p("E_L", -70.6, -1e6, 1e6, "mV", "Leak reversal potential"),
    p("V_reset", -60.0, -1e6, 1e6, "mV", "Reset potential"),
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
    p("a", 4.0, -1e9, 1e9, "nS", "Subthreshold adaptation"),
    p("b", 80.5, -1e9, 1e9, "pA", "Spike-triggered adaptation"),
    p("Delta_T", 2.0, 0.0, 1e6, "mV", "Slope factor"),
    p("tau_w", 144.0, 1e-6, 1e9, "ms", "Adaptation time constant"),
    p("I_e", 0.0, -1e9, 1e9, "pA", "Constant input current"),
    p("V_peak", 0.0, -1e6, 1e6, "mV", "Spike detection threshold"),
    p(
        "gsl_error_tol",
        1e-6,
        1e-15,
        1.0,
        "1",
        "Tolerance of the adaptive integrator",
    ),
];

/// Indices of the state vector, NEST's order.
const V_M: usize = 0;
const DG_EXC: usize = 1;
const G_EXC: usize = 2;
const DG_INH: usize = 3;
const G_INH: usize = 4;
const W: usize = 5;

#[derive(Debug, Clone, Copy)]
struct P {
    c_m: f64,
    v_th: f64,
    g_l: f64,
    e_l: f64,
    v_reset: f64,
    e_ex: f64,
    e_in: f64,
    tau_ex: f64,
    tau_in: f64,
    a: f64,
    b: f64,
    delta_t: f64,
    tau_w: f64,
    i_e: f64,
    /// V_peak as given: the bound of V in the right-hand side
    v_peak_param: f64,
    /// spike detection: V_peak, or V_th if Δ_T = 0
    v_peak: f64,
    tol: f64,
    /// e/τ_syn_ex, e/τ_syn_in: 1/ms
    g0_ex: f64,
    g0_in: f64,
    ref_counts: u32,
    h: f64,
}

/// A population of `aeif_cond_alpha` neurons sharing parameters.
#[derive(Debug, Clone)]
pub struct AeifCondAlpha {
    p: P,
    /// [V, dg_ex, g_ex, dg_in, g_in, w] per neuron
    y: Vec<[f64; 6]>,
    /// refractory steps left
    r: Vec<u32>,
    /// current input applied this step, pA
    i_stim: Vec<f64>,
    /// adapted integration step per neuron, ms
    step: Vec<f64>,
}

impl AeifCondAlpha {
    /// `n` neurons at V = E_L, simulation step `h` ms. Refuses what NEST's
    /// `set_status` refuses.
    pub fn new(n: usize, params: &ParamSet, h: f64) -> Result<Self, ModelError> {
        let g = |k: &str| params.get(k);
        if g("V_reset") >= g("V_peak") {
            return Err(ModelError::Config(format!(
                "aeif_cond_alpha: V_reset ({}) must be below V_peak ({})",
                g("V_reset"),
                g("V_peak")
            )));
        }
        if g("Delta_T") > 0.0 {
            // NEST keeps a margin of 1e20 below the largest double
            let max_exp_arg = (f64::MAX / 1e20).ln();
            if (g("V_peak") - g("V_th")) / g("Delta_T") >= max_exp_arg {
                return Err(ModelError::Config(
                    "aeif_cond_alpha: V_peak, V_th and Delta_T overflow the exponential at spike time"
                        .into(),
                ));
            }
        }
        if g("V_peak") < g("V_th") {
            return Err(ModelError::Config(format!(
                "aeif_cond_alpha: V_peak ({}) must be at least V_th ({})",
                g("V_peak"),
                g("V_th")
            )));
        }
        if !(h.is_finite() && h > 0.0) {
            return Err(ModelError::Config(format!("aeif_cond_alpha: step {h} ms")));
        }
        let p = P {
            c_m: g("C_m"),
            v_th: g("V_th"),
            g_l: g("g_L"),
            e_l: g("E_L"),
            v_reset: g("V_reset"),
            e_ex: g("E_ex"),
            e_in: g("E_in"),
            tau_ex: g("tau_syn_ex"),
            tau_in: g("tau_syn_in"),
            a: g("a"),
            b: g("b"),
            delta_t: g("Delta_T"),
            tau_w: g("tau_w"),
            i_e: g("I_e"),
            v_peak_param: g("V_peak"),
            v_peak: if g("Delta_T") > 0.0 {
                g("V_peak")
            } else {
                g("V_th")
            },
            tol: g("gsl_error_tol"),
            // NEST: 1.0 * numerics::e / tau
            g0_ex: std::f64::consts::E / g("tau_syn_ex"),
            g0_in: std::f64::consts::E / g("tau_syn_in"),
            // NEST: Time(Time::ms(t_ref)).get_steps(), i.e. rounded to the grid
            ref_counts: (g("t_ref") / h).round() as u32,
            h,
        };
        Ok(Self {
            p,
            y: vec![Self::rest(&p); n],
            r: vec![0; n],
            i_stim: vec![0.0; n],
            // NEST 3.10: IntegrationStep_ = resolution at the start
            step: vec![h; n],
        })
    }

    fn rest(p: &P) -> [f64; 6] {
        [p.e_l, 0.0, 0.0, 0.0, 0.0, 0.0]
    }

    /// The same neurons' parameters for a population of `n`, at rest.
    pub fn resized(&self, n: usize) -> Self {
        Self {
            p: self.p,
            y: vec![Self::rest(&self.p); n],
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

    /// Adaptation current of neuron `i`, pA.
    pub fn w(&self, i: usize) -> f64 {
        self.y[i][W]
    }

    /// Excitatory and inhibitory conductances of neuron `i`, nS.
    pub fn g(&self, i: usize) -> (f64, f64) {
        (self.y[i][G_EXC], self.y[i][G_INH])
    }

    /// One step of every neuron; `syn[i]` = (excitatory, inhibitory) summed
    /// weights (nS) delivered in this step (inhibitory ones ≤ 0);
    /// `current[i]`: current input (pA) arriving in this step, effective
    /// from the next. Indices of the neurons that fire are appended to
    /// `fired` (twice if a neuron fires twice within the step, as NEST
    /// sends two events).
    pub fn step(&mut self, syn: &[(f64, f64)], current: Option<&[f64]>, fired: &mut Vec<u32>) {
        let p = self.p;
        let control = Control::Yp {
            eps_abs: p.tol,
            eps_rel: p.tol,
        };
        for i in 0..self.y.len() {
            let i_stim = self.i_stim[i];
            let mut t = 0.0;
            while t < p.h {
                let refractory = self.r[i] > 0;
                // NEST's aeif_cond_alpha_dynamics, its order of the sums
                let f = |y: &[f64; 6], d: &mut [f64; 6]| {
                    let v = if refractory {
                        p.v_reset
                    } else {
                        y[V_M].min(p.v_peak_param)
                    };
                    let (dg_ex, g_ex, dg_in, g_in, w) =
                        (y[DG_EXC], y[G_EXC], y[DG_INH], y[G_INH], y[W]);
                    let i_syn_exc = g_ex * (v - p.e_ex);
                    let i_syn_inh = g_in * (v - p.e_in);
                    let i_spike = if p.delta_t == 0.0 {
                        0.0
                    } else {
                        p.g_l * p.delta_t * ((v - p.v_th) / p.delta_t).exp()
                    };
                    d[V_M] = if refractory {
                        0.0
                    } else {
                        (-p.g_l * (v - p.e_l) + i_spike - i_syn_exc - i_syn_inh - w
                            + p.i_e
                            + i_stim)
                            / p.c_m
                    };
                    d[DG_EXC] = -dg_ex / p.tau_ex;
                    d[G_EXC] = dg_ex - g_ex / p.tau_ex;
                    d[DG_INH] = -dg_in / p.tau_in;
                    d[G_INH] = dg_in - g_in / p.tau_in;
                    d[W] = (p.a * (v - p.e_l) - w) / p.tau_w;
                };
                rkf45::apply(&f, &mut self.y[i], &mut t, p.h, &mut self.step[i], control);
                if self.r[i] > 0 {
                    self.y[i][V_M] = p.v_reset;
                } else if self.y[i][V_M] >= p.v_peak {
                    self.y[i][V_M] = p.v_reset;
                    self.y[i][W] += p.b;
                    // + 1 for the count-down after the loop; 0 without a
                    // refractory time (no refractoriness within the step)
                    self.r[i] = if p.ref_counts > 0 {
                        p.ref_counts + 1
                    } else {
                        0
                    };
                    fired.push(i as u32);
                }
            }
            if self.r[i] > 0 {
                self.r[i] -= 1;
            }
            let (ex, inh) = syn[i];
            self.y[i][DG_EXC] += ex * p.g0_ex;
            self.y[i][DG_INH] += -inh * p.g0_in;
            self.i_stim[i] = current.map_or(0.0, |c| c[i]);
        }
    }
}

impl AeifCondAlpha {
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
    fn a_spike_peaks_at_its_weight_after_tau_syn() {
        // V does not act on g: the conductance is the alpha function
        // w·t/τ·e^{1−t/τ}, peak w at t = τ
        let params =
            ParamSet::from_overrides("aeif_cond_alpha", PARAMS, [("tau_syn_ex", 1.0)]).unwrap();
        let mut n = AeifCondAlpha::new(1, &params, 0.1).unwrap();
        let mut fired = Vec::new();
        n.step(&[(3.0, 0.0)], None, &mut fired);
        assert_eq!(n.y[0][DG_EXC], 3.0 * std::f64::consts::E);
        assert_eq!(n.g(0), (0.0, 0.0));
        for _ in 0..10 {
            n.step(&[(0.0, 0.0)], None, &mut fired);
        }
        assert!((n.g(0).0 - 3.0).abs() < 1e-5, "{:?}", n.g(0));
        assert!(fired.is_empty());
    }

    #[test]
    fn an_inhibitory_weight_opens_g_in_by_its_magnitude() {
        let params = ParamSet::defaults(PARAMS);
        let mut n = AeifCondAlpha::new(1, &params, 0.1).unwrap();
        let mut fired = Vec::new();
        n.step(&[(0.0, -2.0)], None, &mut fired);
        assert_eq!(n.y[0][DG_INH], 2.0 * std::f64::consts::E / 2.0);
        for _ in 0..20 {
            n.step(&[(0.0, 0.0)], None, &mut fired);
        }
        // pulled towards E_in = -85 mV
        assert!(n.v_m(0) < -70.6 && n.g(0).1 > 1.9);
    }

    #[test]
    fn a_spike_resets_and_adapts() {
        let params = ParamSet::from_overrides("aeif_cond_alpha", PARAMS, [("t_ref", 0.3)]).unwrap();
        let mut n = AeifCondAlpha::new(1, &params, 0.1).unwrap();
        let mut fired = Vec::new();
        n.set_v_m(0, 1.0);
        n.step(&[(0.0, 0.0)], None, &mut fired);
        assert_eq!(fired, vec![0]);
        assert_eq!(n.v_m(0), -60.0);
        // b, plus what a(V − E_L) (V bounded by V_peak, then V_reset) added
        // over the step: at most 4·70.6/144 pA/ms for 0.1 ms
        assert!(n.w(0) > 80.5 && n.w(0) < 80.5 + 0.2, "{}", n.w(0));
        // refractory for round(0.3/0.1) = 3 steps: V held at V_reset
        for _ in 0..3 {
            n.step(&[(0.0, 0.0)], None, &mut fired);
            assert_eq!(n.v_m(0), -60.0);
        }
        n.step(&[(0.0, 0.0)], None, &mut fired);
        assert!(n.v_m(0) != -60.0);
    }

    #[test]
    fn bad_parameters_are_refused_as_nest_does() {
        for (k, v) in [("V_reset", 1.0), ("V_th", 1.0)] {
            let params = ParamSet::from_overrides("aeif_cond_alpha", PARAMS, [(k, v)]).unwrap();
            assert!(AeifCondAlpha::new(1, &params, 0.1).is_err(), "{k}");
        }
    }
}
