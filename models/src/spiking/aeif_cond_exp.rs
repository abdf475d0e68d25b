//! `aeif_cond_exp`: adaptive exponential integrate-and-fire neuron (AdEx,
//! Brette & Gerstner 2005) with exponential conductances, as NEST's model of
//! the same name (GSL RKF45, `control_yp` with tolerance `gsl_error_tol`).
//!
//! ```text
//! C_m·dV/dt = −g_L(V − E_L) + g_L·Δ_T·e^{(V − V_th)/Δ_T} − g_ex(V − E_ex) − g_in(V − E_in) − w + I_e + I_stim
//! τ_w·dw/dt = a(V − E_L) − w
//! dg_x/dt   = −g_x/τ_syn,x,   a spike adds its weight (nS) to g_x
//! V ≥ V_peak (V_th if Δ_T = 0) → spike, V ← V_reset, w ← w + b, clamped for t_ref
//! ```
//! Spikes are detected after every RKF45 sub-step, as NEST does (the
//! adaptation jump matters within the step). V in mV, g in nS, w and
//! currents in pA, times in ms.

use super::lane_exp;
use super::neuron::{Neuron, NeuronInfo, SIGNED_RECEPTOR};
use super::rkf45::{self, Control};
use crate::error::ModelError;
use crate::impl_neuron;
use crate::params::{p, ParamDef, ParamSet};

/// The model as a graph and `brainstream list` know it.
pub const INFO: NeuronInfo = NeuronInfo {
    name: "aeif_cond_exp",
    doc: "Adaptive exponential integrate-and-fire neuron (AdEx), exponential conductances (GSL RKF45)",
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
    Ok(Box::new(AeifCondExp::new(n, params, h)?))
}

impl_neuron!(AeifCondExp, INFO, state);

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
        "Excitatory synaptic time constant",
    ),
    p(
        "tau_syn_in",
        2.0,
        1e-6,
        1e9,
        "ms",
        "Inhibitory synaptic time constant",
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
    v_peak_param: f64,
    v_peak: f64,
    tol: f64,
    ref_counts: u32,
    h: f64,
}

/// A population of `aeif_cond_exp` neurons sharing parameters.
#[derive(Debug, Clone)]
pub struct AeifCondExp {
    p: P,
    /// [V, g_ex, g_in, w]
    y: Vec<[f64; 4]>,
    r: Vec<u32>,
    i_stim: Vec<f64>,
    step: Vec<f64>,
}

impl AeifCondExp {
    /// `n` neurons at V = E_L, simulation step `h` ms.
    pub fn new(n: usize, params: &ParamSet, h: f64) -> Result<Self, ModelError> {
        let g = |k: &str| params.get(k);
        if g("V_peak") < g("V_th") {
            return Err(ModelError::Config(
                "aeif_cond_exp: V_peak >= V_th required".into(),
            ));
        }
        if g("V_reset") >= g("V_peak") {
            return Err(ModelError::Config(
                "aeif_cond_exp: V_reset < V_peak required".into(),
            ));
        }
        if g("Delta_T") > 0.0 {
            let max_exp_arg = (f64::MAX / 1e20).ln();
            if (g("V_peak") - g("V_th")) / g("Delta_T") >= max_exp_arg {
                return Err(ModelError::Config(
                    "aeif_cond_exp: V_peak, V_th and Delta_T overflow the exponential at spike time".into(),
                ));
            }
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
            ref_counts: (g("t_ref") / h).round() as u32,
            h,
        };
        Ok(Self {
            p,
            y: vec![[p.e_l, 0.0, 0.0, 0.0]; n],
            r: vec![0; n],
            i_stim: vec![0.0; n],
            // NEST 3.10: IntegrationStep_ = resolution at the start
            step: vec![h; n],
        })
    }

    /// The same neurons' parameters for a population of `n`, at rest.
    pub fn resized(&self, n: usize) -> Self {
        Self {
            p: self.p,
            y: vec![[self.p.e_l, 0.0, 0.0, 0.0]; n],
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
        self.y[i][0]
    }

    /// Sets the membrane potential of neuron `i`, mV.
    pub fn set_v_m(&mut self, i: usize, v: f64) {
        self.y[i][0] = v;
    }

    /// Adaptation current of neuron `i`, pA.
    pub fn w(&self, i: usize) -> f64 {
        self.y[i][3]
    }

    /// One step of every neuron; `syn[i]` = (excitatory, inhibitory) summed
    /// weights (nS) delivered in this step (inhibitory ones negative).
    /// NEST's RKF45 with [`rkf45::LANES`] neurons side by side, each with
    /// its own step control and the scalar solver's arithmetic; spikes are
    /// detected after every accepted sub-step.
    pub fn step(&mut self, syn: &[(f64, f64)], current: Option<&[f64]>, fired: &mut Vec<u32>) {
        let p = self.p;
        let from = fired.len();
        let mut ode = LaneRhs {
            p,
            r: &mut self.r,
            i_stim: &self.i_stim,
            fired,
        };
        rkf45::evolve_lanes(
            &mut ode,
            &mut self.y,
            &mut self.step,
            p.h,
            Control::Yp {
                eps_abs: p.tol,
                eps_rel: p.tol,
            },
        );
        // lanes finish their neurons out of order: NEST's order is the
        // neurons' (a neuron's spikes of one step stay together)
        fired[from..].sort_unstable();
        self.after_step(syn, current);
    }

    /// After the integration of a step: the refractory count, then the
    /// step's input.
    fn after_step(&mut self, syn: &[(f64, f64)], current: Option<&[f64]>) {
        for i in 0..self.y.len() {
            if self.r[i] > 0 {
                self.r[i] -= 1;
            }
            let (ex, inh) = syn[i];
            self.y[i][1] += ex;
            self.y[i][2] += -inh;
            self.i_stim[i] = current.map_or(0.0, |c| c[i]);
        }
    }
    /// [`step`](Self::step) one neuron at a time (the reference the lanes
    /// equal to the bit).
    #[cfg(test)]
    fn step_scalar(&mut self, syn: &[(f64, f64)], current: Option<&[f64]>, fired: &mut Vec<u32>) {
        let p = self.p;
        let _ = p.v_peak_param;
        for i in 0..self.y.len() {
            let i_stim = self.i_stim[i];
            let mut t = 0.0;
            while t < p.h {
                let refractory = self.r[i] > 0;
                let f = |y: &[f64; 4], d: &mut [f64; 4]| {
                    let v = if refractory {
                        p.v_reset
                    } else {
                        y[0].min(p.v_peak_param)
                    };
                    let (g_ex, g_in, w) = (y[1], y[2], y[3]);
                    let i_syn_exc = g_ex * (v - p.e_ex);
                    let i_syn_inh = g_in * (v - p.e_in);
                    let i_spike = if p.delta_t == 0.0 {
                        0.0
                    } else {
                        p.g_l * p.delta_t * ((v - p.v_th) / p.delta_t).exp()
                    };
                    d[0] = if refractory {
                        0.0
                    } else {
                        (-p.g_l * (v - p.e_l) + i_spike - i_syn_exc - i_syn_inh - w
                            + p.i_e
                            + i_stim)
                            / p.c_m
                    };
                    d[1] = -g_ex / p.tau_ex;
                    d[2] = -g_in / p.tau_in;
                    d[3] = (p.a * (v - p.e_l) - w) / p.tau_w;
                };
                rkf45::apply(
                    &f,
                    &mut self.y[i],
                    &mut t,
                    p.h,
                    &mut self.step[i],
                    Control::Yp {
                        eps_abs: p.tol,
                        eps_rel: p.tol,
                    },
                );
                if self.r[i] > 0 {
                    self.y[i][0] = p.v_reset;
                } else if self.y[i][0] >= p.v_peak {
                    self.y[i][0] = p.v_reset;
                    self.y[i][3] += p.b;
                    self.r[i] = if p.ref_counts > 0 {
                        p.ref_counts + 1
                    } else {
                        0
                    };
                    // NEST sends one event per crossing, even twice a step
                    fired.push(i as u32);
                }
            }
            if self.r[i] > 0 {
                self.r[i] -= 1;
            }
            let (ex, inh) = syn[i];
            self.y[i][1] += ex;
            self.y[i][2] += -inh;
            self.i_stim[i] = current.map_or(0.0, |c| c[i]);
        }
    }
}

/// The right-hand side and the spike detection of [`AeifCondExp::step`]
/// for [`rkf45::LANES`] neurons: inputs per lane `[refractory (1 or 0),
/// I_stim]`.
struct LaneRhs<'a> {
    p: P,
    r: &'a mut [u32],
    i_stim: &'a [f64],
    fired: &'a mut Vec<u32>,
}

impl rkf45::LaneOde<4, 2> for LaneRhs<'_> {
    #[inline(always)]
    fn aux(&self, i: usize) -> [f64; 2] {
        [if self.r[i] > 0 { 1.0 } else { 0.0 }, self.i_stim[i]]
    }

    /// Per lane, the scalar right-hand side's operations in its order
    /// (module docs' equations; V = V_reset while refractory, else
    /// min(V, V_peak)); the spike current's `exp` is glibc's to the bit,
    /// all lanes at once ([`lane_exp::exp_lanes`]).
    #[inline(always)]
    fn rhs(&self, aux: &[rkf45::Lane; 2], y: &[rkf45::Lane; 4], d: &mut [rkf45::Lane; 4]) {
        const L: usize = rkf45::LANES;
        let p = &self.p;
        let mut v = [0.0; L];
        for l in 0..L {
            // `f64::min` as a compare-select: the same value (a NaN V
            // gives V_peak in both)
            let v_min = if y[0][l] < p.v_peak_param {
                y[0][l]
            } else {
                p.v_peak_param
            };
            v[l] = if aux[0][l] != 0.0 { p.v_reset } else { v_min };
        }
        let mut spike = [0.0; L];
        if p.delta_t != 0.0 {
            let mut arg = [0.0; L];
            for l in 0..L {
                arg[l] = (v[l] - p.v_th) / p.delta_t;
            }
            spike = lane_exp::exp_lanes(&arg);
        }
        for l in 0..L {
            let (v, g_ex, g_in, w) = (v[l], y[1][l], y[2][l], y[3][l]);
            let i_syn_exc = g_ex * (v - p.e_ex);
            let i_syn_inh = g_in * (v - p.e_in);
            let i_spike = if p.delta_t == 0.0 {
                0.0
            } else {
                p.g_l * p.delta_t * spike[l]
            };
            let dv =
                (-p.g_l * (v - p.e_l) + i_spike - i_syn_exc - i_syn_inh - w + p.i_e + aux[1][l])
                    / p.c_m;
            d[0][l] = if aux[0][l] != 0.0 { 0.0 } else { dv };
            d[1][l] = -g_ex / p.tau_ex;
            d[2][l] = -g_in / p.tau_in;
            d[3][l] = (p.a * (v - p.e_l) - w) / p.tau_w;
        }
    }

    const AFTER_APPLY: bool = true;

    /// NEST's check after every sub-step: held at V_reset while
    /// refractory; a crossing of V_peak resets V, adds b to w, starts the
    /// refractory period and sends a spike (twice in a step if it crosses
    /// twice).
    fn after_apply(&mut self, i: usize, y: &mut [f64; 4], aux: &mut [f64; 2]) {
        let p = &self.p;
        if self.r[i] > 0 {
            y[0] = p.v_reset;
        } else if y[0] >= p.v_peak {
            y[0] = p.v_reset;
            y[3] += p.b;
            self.r[i] = if p.ref_counts > 0 {
                p.ref_counts + 1
            } else {
                0
            };
            self.fired.push(i as u32);
        }
        aux[0] = if self.r[i] > 0 { 1.0 } else { 0.0 };
    }
}

impl AeifCondExp {
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
    use rand::{Rng, SeedableRng};

    /// The lanes give every neuron the scalar solver's state and spikes to
    /// the bit: 23 neurons (not a multiple of the lanes), with and without
    /// a refractory period, random input and currents, 3000 steps.
    #[test]
    fn lanes_equal_the_scalar_rkf45_to_the_bit() {
        for t_ref in [0.0, 2.0] {
            let params = ParamSet::from_overrides(
                "aeif_cond_exp",
                PARAMS,
                [("I_e", 800.0), ("t_ref", t_ref), ("b", 60.0)],
            )
            .unwrap();
            let mut lanes = AeifCondExp::new(23, &params, 0.1).unwrap();
            for i in 0..23 {
                lanes.set_v_m(i, -70.0 + 0.8 * i as f64);
            }
            let mut scalar = lanes.clone();
            let mut rng = rand::rngs::SmallRng::seed_from_u64(11);
            let (mut f1, mut f2) = (vec![], vec![]);
            let mut spikes = 0;
            for _ in 0..3000 {
                let syn: Vec<(f64, f64)> = (0..23)
                    .map(|_| {
                        let ex = if rng.gen::<f64>() < 0.3 {
                            rng.gen_range(0.0..20.0)
                        } else {
                            0.0
                        };
                        let inh = if rng.gen::<f64>() < 0.1 {
                            -rng.gen_range(0.0..20.0)
                        } else {
                            0.0
                        };
                        (ex, inh)
                    })
                    .collect();
                let cur: Vec<f64> = (0..23).map(|_| rng.gen_range(-100.0..400.0)).collect();
                f1.clear();
                f2.clear();
                lanes.step(&syn, Some(&cur), &mut f1);
                scalar.step_scalar(&syn, Some(&cur), &mut f2);
                assert_eq!(f1, f2);
                spikes += f1.len();
                for i in 0..23 {
                    assert_eq!(lanes.y[i].map(f64::to_bits), scalar.y[i].map(f64::to_bits));
                    assert_eq!(lanes.step[i].to_bits(), scalar.step[i].to_bits());
                    assert_eq!(lanes.r[i], scalar.r[i]);
                }
            }
            assert!(spikes > 100, "t_ref {t_ref}: {spikes} spikes");
        }
    }
}
