//! `iaf_cond_alpha`: leaky integrate-and-fire neuron with alpha-shaped
//! conductances, as NEST's model of the same name (GSL RKF45, absolute
//! tolerance 1e-3, adapted step carried across steps), or with the faster
//! [`Solver::Rk4`] (below).
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
//!
//! ## Solvers
//! * [`Solver::Rkf45`] (default): NEST's own integration, GSL's RKF45 with
//!   its step-size control on all five state variables; V_m equals NEST's
//!   to 1e-14 mV. About two RKF45 attempts (12 right-hand sides of five
//!   components, a `powf`) per neuron and step in a driven network.
//! * [`Solver::Rk4`]: the conductances are linear and are advanced exactly,
//!   `dg_x(t) = dg_x(0)·e^{−t/τ}`, `g_x(t) = (g_x(0) + dg_x(0)·t)·e^{−t/τ}`
//!   (decay factors computed once per population); V_m takes three
//!   classical Runge-Kutta sub-steps of size h/3, each with those exact
//!   conductances at its start, middle and end. Global error O(h⁴) in V
//!   alone; on NEST's reference neuron it is closer to the exact solution
//!   than NEST's RKF45 at its 1e-3 tolerance (4.9e-6 vs 1.0e-5 mV,
//!   `models/tests/nest_reference.rs`; one or two sub-steps are not), fires
//!   in the same steps, and costs twelve cheap scalar right-hand sides per
//!   neuron and step.

use super::neuron::{Neuron, NeuronInfo, SIGNED_RECEPTOR};
use super::rkf45;
use crate::error::ModelError;
use crate::impl_neuron;
use crate::params::{p, ParamDef, ParamSet};

/// The model as a graph and `brainstream list` know it.
pub const INFO: NeuronInfo = NeuronInfo {
    name: "iaf_cond_alpha",
    doc: "Leaky integrate-and-fire neuron, alpha-shaped conductances (GSL RKF45, or rk4)",
    params: PARAMS,
    weight_unit: "nS",
    receptors: SIGNED_RECEPTOR,
    solvers: &["rkf45", "rk4"],
    heavy_step: true,
    build,
};

/// [`NeuronInfo::build`]: `solver` is `rkf45` or `rk4`.
fn build(n: usize, params: &ParamSet, h: f64, solver: &str) -> Result<Box<dyn Neuron>, ModelError> {
    let solver = Solver::named(solver)
        .ok_or_else(|| ModelError::Config(format!("iaf_cond_alpha: unknown solver `{solver}`")))?;
    Ok(Box::new(
        IafCondAlpha::new(n, params, h)?.with_solver(solver),
    ))
}

impl_neuron!(IafCondAlpha, INFO, state);

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

/// RK4 sub-steps per simulation step.
const RK4_SUBSTEPS: usize = 3;

/// How the neurons' ODEs are integrated over one simulation step.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Solver {
    /// GSL's RKF45 with the `y_new` step control at absolute tolerance
    /// `eps_abs` (NEST: 1e-3), the adapted step carried across steps.
    Rkf45 {
        /// Absolute error tolerance per sub-step, mV and nS.
        eps_abs: f64,
    },
    /// Exact conductances, three classical RK4 sub-steps for V_m (module
    /// docs).
    Rk4,
}

impl Default for Solver {
    fn default() -> Self {
        Solver::Rkf45 { eps_abs: 1e-3 }
    }
}

impl Solver {
    /// The solver a graph file names: `rkf45` (NEST's) or `rk4`.
    pub fn named(name: &str) -> Option<Self> {
        match name {
            "rkf45" => Some(Solver::default()),
            "rk4" => Some(Solver::Rk4),
            _ => None,
        }
    }
}

/// The parameters the right-hand side reads (NEST's `Parameters_`), in
/// mV, nS, pF, ms and pA.
#[derive(Debug, Clone, Copy)]
struct P {
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
}

/// A population of `iaf_cond_alpha` neurons sharing parameters.
#[derive(Debug, Clone)]
pub struct IafCondAlpha {
    p: P,
    ref_steps: u32,
    h: f64,
    ps_ex: f64,
    ps_in: f64,
    solver: Solver,
    /// e^{−s/2τ_ex}, e^{−s/τ_ex}, e^{−s/2τ_in}, e^{−s/τ_in} for the RK4
    /// sub-step s = h / RK4_SUBSTEPS
    decay: [f64; 4],
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
        let sub = RK4_SUBSTEPS as f64;
        Ok(Self {
            p: P {
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
            },
            ref_steps: (g("t_ref") / h).round() as u32,
            h,
            ps_ex: std::f64::consts::E / g("tau_syn_ex"),
            ps_in: std::f64::consts::E / g("tau_syn_in"),
            solver: Solver::default(),
            decay: [
                (-h / (2.0 * sub * g("tau_syn_ex"))).exp(),
                (-h / (sub * g("tau_syn_ex"))).exp(),
                (-h / (2.0 * sub * g("tau_syn_in"))).exp(),
                (-h / (sub * g("tau_syn_in"))).exp(),
            ],
            y: vec![[g("E_L"), 0.0, 0.0, 0.0, 0.0]; n],
            r: vec![0; n],
            i_stim: vec![0.0; n],
            step: vec![h; n],
        })
    }

    /// The same neurons integrated by `solver`.
    pub fn with_solver(mut self, solver: Solver) -> Self {
        self.solver = solver;
        self
    }

    /// The same neurons' parameters for a population of `n`, at rest.
    pub fn resized(&self, n: usize) -> Self {
        let mut c = self.clone();
        c.y = vec![[self.p.e_l, 0.0, 0.0, 0.0, 0.0]; n];
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
        match self.solver {
            Solver::Rkf45 { eps_abs } => self.integrate_rkf45(eps_abs),
            Solver::Rk4 => self.integrate_rk4(),
        }
        self.threshold_and_input(syn, current, fired);
    }

    /// After the integration of a step: refractoriness, threshold and
    /// reset, then the step's input (NEST's order).
    fn threshold_and_input(
        &mut self,
        syn: &[(f64, f64)],
        current: Option<&[f64]>,
        fired: &mut Vec<u32>,
    ) {
        for i in 0..self.y.len() {
            if self.r[i] > 0 {
                self.r[i] -= 1;
                self.y[i][0] = self.p.v_reset;
            } else if self.y[i][0] >= self.p.v_th {
                self.r[i] = self.ref_steps;
                self.y[i][0] = self.p.v_reset;
                fired.push(i as u32);
            }
            let (ex, inh) = syn[i];
            self.y[i][1] += ex * self.ps_ex;
            self.y[i][3] += -inh * self.ps_in;
            self.i_stim[i] = current.map_or(0.0, |c| c[i]);
        }
    }

    /// Advances every neuron's state over one step with NEST's RKF45,
    /// [`rkf45::LANES`] neurons side by side (each with its own step
    /// control; the scalar solver's arithmetic per neuron).
    fn integrate_rkf45(&mut self, eps_abs: f64) {
        let mut ode = LaneRhs {
            p: self.p,
            r: &self.r,
            i_stim: &self.i_stim,
        };
        rkf45::evolve_lanes(
            &mut ode,
            &mut self.y,
            &mut self.step,
            self.h,
            rkf45::Control::Y { eps_abs },
        );
    }

    /// NEST's RKF45 one neuron at a time (the reference the lanes of
    /// [`integrate_rkf45`](Self::integrate_rkf45) equal to the bit).
    #[cfg(test)]
    fn integrate_rkf45_scalar(&mut self, eps_abs: f64) {
        for i in 0..self.y.len() {
            let refractory = self.r[i] > 0;
            let P {
                v_th,
                v_reset,
                g_l,
                c_m,
                e_ex,
                e_in,
                e_l,
                tau_ex,
                tau_in,
                i_e,
            } = self.p;
            let i_ext = self.i_stim[i] + i_e;
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
            rkf45::evolve(f, &mut self.y[i], self.h, &mut self.step[i], eps_abs);
        }
    }

    /// Advances every neuron's state over one step: conductances exactly,
    /// V_m by RK4_SUBSTEPS RK4 sub-steps (V bounded by V_th in the
    /// right-hand side, held while refractory, as with RKF45).
    fn integrate_rk4(&mut self) {
        // LANES neurons at a time, their state transposed into arrays so
        // that the arithmetic runs on SIMD lanes
        const LANES: usize = 4;
        let h = self.h / RK4_SUBSTEPS as f64;
        let [ex_half, ex_full, in_half, in_full] = self.decay;
        let P {
            v_th,
            g_l,
            e_l,
            i_e,
            e_ex,
            e_in,
            c_m,
            ..
        } = self.p;
        let inv_c = 1.0 / c_m;
        let f = |v: f64, g_e: f64, g_i: f64, i_ext: f64| {
            // a compare-select (one SIMD min), where `f64::min` would add
            // NaN handling that keeps the loop scalar
            let v = if v < v_th { v } else { v_th };
            (i_ext - g_l * (v - e_l) - g_e * (v - e_ex) - g_i * (v - e_in)) * inv_c
        };
        let n = self.y.len();
        let mut start = 0;
        while start < n {
            let m = (n - start).min(LANES);
            let mut x = [[0.0; LANES]; 5];
            let mut i_ext = [0.0; LANES];
            // 1 while integrating V, 0 while refractory (V held)
            let mut active = [0.0; LANES];
            for l in 0..m {
                let k = start + l;
                for (c, xc) in x.iter_mut().enumerate() {
                    xc[l] = self.y[k][c];
                }
                i_ext[l] = self.i_stim[k] + i_e;
                active[l] = if self.r[k] == 0 { 1.0 } else { 0.0 };
            }
            let [mut v, mut dge, mut ge, mut dgi, mut gi] = x;
            for _ in 0..RK4_SUBSTEPS {
                for l in 0..LANES {
                    let ge_half = (ge[l] + 0.5 * h * dge[l]) * ex_half;
                    let gi_half = (gi[l] + 0.5 * h * dgi[l]) * in_half;
                    let ge_full = (ge[l] + h * dge[l]) * ex_full;
                    let gi_full = (gi[l] + h * dgi[l]) * in_full;
                    let k1 = f(v[l], ge[l], gi[l], i_ext[l]);
                    let k2 = f(v[l] + 0.5 * h * k1, ge_half, gi_half, i_ext[l]);
                    let k3 = f(v[l] + 0.5 * h * k2, ge_half, gi_half, i_ext[l]);
                    let k4 = f(v[l] + h * k3, ge_full, gi_full, i_ext[l]);
                    v[l] += active[l] * (h / 6.0) * (k1 + 2.0 * (k2 + k3) + k4);
                    dge[l] *= ex_full;
                    ge[l] = ge_full;
                    dgi[l] *= in_full;
                    gi[l] = gi_full;
                }
            }
            for l in 0..m {
                self.y[start + l] = [v[l], dge[l], ge[l], dgi[l], gi[l]];
            }
            start += LANES;
        }
    }
}

/// The right-hand side of [`IafCondAlpha::integrate_rkf45`] for
/// [`rkf45::LANES`] neurons: inputs per lane `[refractory (1 or 0),
/// I_stim + I_e]`.
struct LaneRhs<'a> {
    p: P,
    r: &'a [u32],
    i_stim: &'a [f64],
}

impl rkf45::LaneOde<5, 2> for LaneRhs<'_> {
    #[inline(always)]
    fn aux(&self, i: usize) -> [f64; 2] {
        [
            if self.r[i] > 0 { 1.0 } else { 0.0 },
            self.i_stim[i] + self.p.i_e,
        ]
    }

    /// Per lane: V = V_reset while refractory, else min(V, V_th);
    /// `dV = (−g_L(V − E_L) − g_ex(V − E_ex) − g_in(V − E_in) + I)/C_m`
    /// (0 while refractory), the alpha conductances' `dg' = −g'/τ`,
    /// `dg = g' − g/τ` — the scalar right-hand side's operations in its
    /// order.
    #[inline(always)]
    fn rhs(&self, aux: &[rkf45::Lane; 2], y: &[rkf45::Lane; 5], d: &mut [rkf45::Lane; 5]) {
        let p = &self.p;
        for l in 0..rkf45::LANES {
            let refractory = aux[0][l] != 0.0;
            // `f64::min` as a compare-select (SIMD): the same value (a
            // NaN V gives V_th in both)
            let v_min = if y[0][l] < p.v_th { y[0][l] } else { p.v_th };
            let v = if refractory { p.v_reset } else { v_min };
            let i_syn_ex = y[2][l] * (v - p.e_ex);
            let i_syn_in = y[4][l] * (v - p.e_in);
            let i_leak = p.g_l * (v - p.e_l);
            let dv = (-i_leak - i_syn_ex - i_syn_in + aux[1][l]) / p.c_m;
            d[0][l] = if refractory { 0.0 } else { dv };
            d[1][l] = -y[1][l] / p.tau_ex;
            d[2][l] = y[1][l] - y[2][l] / p.tau_ex;
            d[3][l] = -y[3][l] / p.tau_in;
            d[4][l] = y[3][l] - y[4][l] / p.tau_in;
        }
    }
}

impl IafCondAlpha {
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

    /// The lanes give every neuron the scalar solver's state to the bit:
    /// 37 neurons (not a multiple of the lanes), random excitatory and
    /// inhibitory input, currents and refractory periods, 3000 steps.
    #[test]
    fn lanes_equal_the_scalar_rkf45_to_the_bit() {
        let params = ParamSet::from_overrides("iaf_cond_alpha", PARAMS, [("I_e", 300.0)]).unwrap();
        let mut lanes = IafCondAlpha::new(37, &params, 0.1).unwrap();
        for i in 0..37 {
            lanes.set_v_m(i, -70.0 + 0.4 * i as f64);
        }
        let mut scalar = lanes.clone();
        let mut rng = rand::rngs::SmallRng::seed_from_u64(7);
        let (mut f1, mut f2) = (vec![], vec![]);
        let mut spikes = 0;
        for _ in 0..3000 {
            let syn: Vec<(f64, f64)> = (0..37)
                .map(|_| {
                    let ex = if rng.gen::<f64>() < 0.3 {
                        rng.gen_range(0.0..6.0)
                    } else {
                        0.0
                    };
                    let inh = if rng.gen::<f64>() < 0.02 {
                        -rng.gen_range(0.0..4.0)
                    } else {
                        0.0
                    };
                    (ex, inh)
                })
                .collect();
            let cur: Vec<f64> = (0..37).map(|_| rng.gen_range(-50.0..150.0)).collect();
            f1.clear();
            f2.clear();
            lanes.integrate_rkf45(1e-3);
            lanes.threshold_and_input(&syn, Some(&cur), &mut f1);
            scalar.integrate_rkf45_scalar(1e-3);
            scalar.threshold_and_input(&syn, Some(&cur), &mut f2);
            assert_eq!(f1, f2);
            spikes += f1.len();
            for i in 0..37 {
                assert_eq!(lanes.y[i].map(f64::to_bits), scalar.y[i].map(f64::to_bits));
                assert_eq!(lanes.step[i].to_bits(), scalar.step[i].to_bits());
            }
        }
        assert!(
            spikes > 100,
            "{spikes} spikes: the neurons fire and go refractory"
        );
    }
}
