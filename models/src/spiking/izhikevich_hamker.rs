//! `izhikevich_hamker`: tvb-multiscale's NEST extension neuron of its basal
//! ganglia scenario — Izhikevich's simple model (Izhikevich 2003) with the
//! quadratic's coefficients, a capacitance-like scaling of U and three
//! conductances as modified by Baladron, Nambu & Hamker (2019) and Maith
//! et al. (2020), as tvb-multiscale's
//! `tvb_nest/nest/modules/dev/izhikevich_hamker/izhikevich_hamker.cpp`
//! (forward Euler on the simulation grid).
//!
//! ```text
//! dV/dt = n2·V² + n1·V + n0 − U/C_m + I + I_e + I_syn
//! dU/dt = a·(b·(V − V_r) − U)
//! I_syn = −g_AMPA·(V − E_rev_AMPA) − g_GABA_A·(V − E_rev_GABA_A) − g_L·V
//! dg_AMPA/dt   = −g_AMPA/τ_rise_AMPA      (receptor 0, weight > 0: += w)
//! dg_GABA_A/dt = −g_GABA_A/τ_rise_GABA_A  (receptor 0, weight < 0: += |w|)
//! dg_L/dt      = −g_L/τ_rise              (receptor 1: += w)
//! V ≥ V_th → spike, V ← c, U ← U + d, refractory (V, U frozen) for t_ref
//! ```
//! V in mV, U in mV/ms, times in ms, the conductances in nS (a spike of
//! weight w adds w), currents as given (the module calls them pA and adds
//! them to dV/dt as they are); n2 in 1/(mV·ms), n1 in 1/ms, n0 in mV/ms,
//! C_m dimensionless. The input current I is the current delivered in the
//! previous step, transformed by `current_stimulus_mode` (0: as it is, 1:
//! |I|, 2: 1 if I > 0 else 0) and scaled by `current_stimulus_scale`.
//!
//! Per step of h ms, in the module's order, with `consistent_integration`
//! (the default):
//! ```text
//! if not refractory:
//!     V ← V + h·(n2·V·V + n1·V + n0 − U/C_m + I + I_e + I_syn)   (old V, U)
//!     U ← U + h·a·(b·(V_old − V_r) − U_old)
//! g ← g + (the spikes delivered in this step); g ← g − h·g/τ; g ← max(g, 0)
//! I_syn ← −g_AMPA·(V − E_rev_AMPA) − g_GABA_A·(V − E_rev_GABA_A) − g_L·V
//! ```
//! (I_syn with the new V and g, used in the next step); without it,
//! Izhikevich's published numerics: the conductances and I_syn first, then
//! V by two half steps and U from the new V. Then V ← max(V, V_min); then,
//! if the neuron was refractory at the start of the step, the refractory
//! count goes down, else V ≥ V_th fires (V ← c, U ← U + d, refractory for
//! the steps of t_ref + 1); then the current delivered in this step.
//!
//! The refractory steps are NEST's `Time(Time::ms(t_ref)).get_steps()`:
//! t_ref rounded to tics of 0.001 ms, then up to whole steps; the module
//! counts one step more than that (its count-down is inside the step).
//! The module requires t_ref > 0; a t_ref below half a tic (e.g. 1e-4 ms)
//! is 0 steps: no refractoriness.
//!
//! The initial state is the module's `State_()`: V_m = −70 mV, U_m = −18.55
//! (its `init_state_(const Node&)`, V = c, U = b·c, is never called by NEST
//! 3); as NEST's status dictionary, the parameters `V_m` and `U_m` set it
//! (tvb-multiscale's builder does, per population).
//!
//! Receptor 1 (the module's NOISE port, the baseline conductance g_L) takes
//! weights ≥ 0 here: the module's documentation says positive weights only
//! ("error otherwise"), its code adds negative ones too and clamps g_L at 0
//! after the decay.

use super::neuron::{Neuron, NeuronInfo, Receptor, Signs};
use crate::error::ModelError;
use crate::impl_neuron;
use crate::params::{p, ParamDef, ParamSet};

/// The model as a graph and `brainstream list` know it.
pub const INFO: NeuronInfo = NeuronInfo {
    name: "izhikevich_hamker",
    doc: "tvb-multiscale's Izhikevich neuron with AMPA, GABA_A and baseline conductances (its basal ganglia scenario; Euler on the grid)",
    params: PARAMS,
    weight_unit: "nS",
    receptors: RECEPTORS,
    solvers: &[],
    heavy_step: false,
    build,
};

/// The module's ACTIVITY (0) and NOISE (1) ports.
pub const RECEPTORS: &[Receptor] = &[
    Receptor {
        id: 0,
        signs: Signs::Either,
        doc: "w > 0: g_AMPA += w, w < 0: g_GABA_A += |w| (the module's ACTIVITY port)",
    },
    Receptor {
        id: 1,
        signs: Signs::NonNegative,
        doc: "baseline conductance g_L += w (the module's NOISE port)",
    },
];

/// [`NeuronInfo::build`] (one integration: `solver` is not used).
fn build(
    n: usize,
    params: &ParamSet,
    h: f64,
    _solver: &str,
) -> Result<Box<dyn Neuron>, ModelError> {
    Ok(Box::new(IzhikevichHamker::new(n, params, h)?))
}

impl_neuron!(IzhikevichHamker, INFO, state, receptors);

/// Parameters, as tvb-multiscale's module declares them (its defaults);
/// `V_m`, `U_m`: the initial state.
pub const PARAMS: &[ParamDef] = &[
    p(
        "E_rev_AMPA",
        0.0,
        -1e6,
        1e6,
        "mV",
        "AMPA reversal potential",
    ),
    p(
        "E_rev_GABA_A",
        -90.0,
        -1e6,
        1e6,
        "mV",
        "GABA_A reversal potential",
    ),
    p("V_th", 30.0, -1e6, 1e6, "mV", "Spike threshold"),
    p(
        "V_min",
        -f64::MAX,
        -f64::MAX,
        1e6,
        "mV",
        "Absolute lower bound of V_m (the module: none, the lowest double)",
    ),
    p(
        "V_r",
        0.0,
        -1e6,
        1e6,
        "mV",
        "Offset of V in dU/dt = a·(b·(V − V_r) − U)",
    ),
    p(
        "C_m",
        1.0,
        0.0,
        1e9,
        "1",
        "Scaling of U in dV/dt (−U/C_m); > 0",
    ),
    p("I_e", 0.0, -1e9, 1e9, "pA", "Constant input current"),
    p(
        "t_ref",
        10.0,
        0.0,
        1e9,
        "ms",
        "Refractory period (V, U frozen); > 0",
    ),
    p(
        "tau_rise",
        1.0,
        0.0,
        1e9,
        "ms",
        "Decay time of the baseline conductance g_L; > 0",
    ),
    p(
        "tau_rise_AMPA",
        10.0,
        0.0,
        1e9,
        "ms",
        "Decay time of g_AMPA; > 0",
    ),
    p(
        "tau_rise_GABA_A",
        10.0,
        0.0,
        1e9,
        "ms",
        "Decay time of g_GABA_A; > 0",
    ),
    p("n0", 140.0, -1e9, 1e9, "mV/ms", "Constant term of dV/dt"),
    p("n1", 5.0, -1e9, 1e9, "1/ms", "Linear coefficient of dV/dt"),
    p(
        "n2",
        0.04,
        -1e9,
        1e9,
        "1/(mV·ms)",
        "Quadratic coefficient of dV/dt",
    ),
    p(
        "a",
        0.02,
        -1e9,
        1e9,
        "1/ms",
        "Time scale of the recovery variable U",
    ),
    p("b", 0.2, -1e9, 1e9, "1/ms", "Sensitivity of U to V − V_r"),
    p(
        "c",
        -72.0,
        -1e6,
        1e6,
        "mV",
        "After-spike reset value of V_m",
    ),
    p("d", 6.0, -1e9, 1e9, "mV/ms", "After-spike increment of U"),
    p(
        "current_stimulus_scale",
        1.0,
        -1e9,
        1e9,
        "1",
        "Factor of the input current (after current_stimulus_mode)",
    ),
    p(
        "current_stimulus_mode",
        0.0,
        0.0,
        2.0,
        "1",
        "Input current transformation: 0 none, 1 |I|, 2 a square pulse (1 if I > 0 else 0)",
    ),
    p(
        "consistent_integration",
        1.0,
        0.0,
        1.0,
        "1",
        "1: forward Euler (the module's default), 0: Izhikevich's published numerics",
    ),
    p("V_m", -70.0, -1e6, 1e6, "mV", "Initial membrane potential"),
    p(
        "U_m",
        -18.55,
        -1e9,
        1e9,
        "mV/ms",
        "Initial recovery variable",
    ),
];

/// NEST's default tics per ms (`Time` resolution 0.001 ms).
const TICS_PER_MS: f64 = 1000.0;

/// NEST's `Time(Time::ms(t)).get_steps()` at resolution `h` ms: t rounded
/// to tics, then up to whole steps (as NEST computes it, through
/// `TICS_PER_STEP_INV`).
fn nest_steps(t: f64, h: f64) -> u32 {
    let tics = (t * TICS_PER_MS + 0.5) as i64;
    let per_step = (h * TICS_PER_MS + 0.5) as i64;
    ((tics + per_step - 1) as f64 * (1.0 / per_step as f64)) as u32
}

/// What the update reads (the module's `Parameters_` and `Variables_`).
#[derive(Debug, Clone)]
struct P {
    e_ampa: f64,
    e_gaba: f64,
    v_th: f64,
    v_min: f64,
    v_r: f64,
    c_m: f64,
    i_e: f64,
    tau_l: f64,
    tau_ampa: f64,
    tau_gaba: f64,
    n0: f64,
    n1: f64,
    n2: f64,
    a: f64,
    b: f64,
    c: f64,
    d: f64,
    scale: f64,
    mode: u8,
    consistent: bool,
    v_init: f64,
    u_init: f64,
    ref_counts: u32,
    h: f64,
}

/// A population of `izhikevich_hamker` neurons sharing parameters.
#[derive(Debug, Clone)]
pub struct IzhikevichHamker {
    p: P,
    /// membrane potential, mV
    v: Vec<f64>,
    /// recovery variable, mV/ms
    u: Vec<f64>,
    /// baseline conductance (receptor 1), nS
    g_l: Vec<f64>,
    /// AMPA conductance, nS
    g_ampa: Vec<f64>,
    /// GABA_A conductance, nS
    g_gaba: Vec<f64>,
    /// synaptic current of the last step, pA
    i_syn: Vec<f64>,
    /// input current (transformed) applied this step, pA
    i_in: Vec<f64>,
    /// refractory steps left
    r: Vec<u32>,
}

impl IzhikevichHamker {
    /// `n` neurons in the initial state `V_m`, `U_m`, simulation step `h`
    /// ms. Refuses what the module's `set_status` refuses (t_ref, the τs
    /// and C_m ≤ 0, current_stimulus_mode not 0, 1 or 2) and a
    /// consistent_integration other than 0 or 1.
    pub fn new(n: usize, params: &ParamSet, h: f64) -> Result<Self, ModelError> {
        let g = |k: &str| params.get(k);
        if !(h.is_finite() && h > 0.0) {
            return Err(ModelError::Config(format!(
                "izhikevich_hamker: step {h} ms"
            )));
        }
        for k in [
            "t_ref",
            "tau_rise",
            "tau_rise_AMPA",
            "tau_rise_GABA_A",
            "C_m",
        ] {
            if g(k) <= 0.0 {
                return Err(ModelError::Config(format!(
                    "izhikevich_hamker: {k} = {} must be positive",
                    g(k)
                )));
            }
        }
        for k in ["current_stimulus_mode", "consistent_integration"] {
            if g(k).fract() != 0.0 {
                return Err(ModelError::Config(format!(
                    "izhikevich_hamker: {k} = {} must be a whole number",
                    g(k)
                )));
            }
        }
        let p = P {
            e_ampa: g("E_rev_AMPA"),
            e_gaba: g("E_rev_GABA_A"),
            v_th: g("V_th"),
            v_min: g("V_min"),
            v_r: g("V_r"),
            c_m: g("C_m"),
            i_e: g("I_e"),
            tau_l: g("tau_rise"),
            tau_ampa: g("tau_rise_AMPA"),
            tau_gaba: g("tau_rise_GABA_A"),
            n0: g("n0"),
            n1: g("n1"),
            n2: g("n2"),
            a: g("a"),
            b: g("b"),
            c: g("c"),
            d: g("d"),
            scale: g("current_stimulus_scale"),
            mode: g("current_stimulus_mode") as u8,
            consistent: g("consistent_integration") == 1.0,
            v_init: g("V_m"),
            u_init: g("U_m"),
            ref_counts: nest_steps(g("t_ref"), h),
            h,
        };
        Ok(Self::at_rest(p, n))
    }

    fn at_rest(p: P, n: usize) -> Self {
        Self {
            v: vec![p.v_init; n],
            u: vec![p.u_init; n],
            g_l: vec![0.0; n],
            g_ampa: vec![0.0; n],
            g_gaba: vec![0.0; n],
            i_syn: vec![0.0; n],
            i_in: vec![0.0; n],
            r: vec![0; n],
            p,
        }
    }

    /// The same neurons' parameters for a population of `n`, in the
    /// initial state.
    pub fn resized(&self, n: usize) -> Self {
        Self::at_rest(self.p.clone(), n)
    }

    /// The neurons `r` as a population of their own.
    pub fn take_range(&self, r: std::ops::Range<usize>) -> Self {
        Self {
            p: self.p.clone(),
            v: self.v[r.clone()].to_vec(),
            u: self.u[r.clone()].to_vec(),
            g_l: self.g_l[r.clone()].to_vec(),
            g_ampa: self.g_ampa[r.clone()].to_vec(),
            g_gaba: self.g_gaba[r.clone()].to_vec(),
            i_syn: self.i_syn[r.clone()].to_vec(),
            i_in: self.i_in[r.clone()].to_vec(),
            r: self.r[r].to_vec(),
        }
    }

    /// Writes back a part taken with [`take_range`](Self::take_range).
    pub fn put_range(&mut self, start: usize, part: &Self) {
        let r = start..start + part.len();
        self.v[r.clone()].copy_from_slice(&part.v);
        self.u[r.clone()].copy_from_slice(&part.u);
        self.g_l[r.clone()].copy_from_slice(&part.g_l);
        self.g_ampa[r.clone()].copy_from_slice(&part.g_ampa);
        self.g_gaba[r.clone()].copy_from_slice(&part.g_gaba);
        self.i_syn[r.clone()].copy_from_slice(&part.i_syn);
        self.i_in[r.clone()].copy_from_slice(&part.i_in);
        self.r[r].copy_from_slice(&part.r);
    }

    /// Number of neurons.
    pub fn len(&self) -> usize {
        self.v.len()
    }

    /// Whether the population is empty.
    pub fn is_empty(&self) -> bool {
        self.v.is_empty()
    }

    /// Receptor 1 (the baseline conductance).
    pub fn extra_receptors(&self) -> usize {
        1
    }

    /// Membrane potential of neuron `i`, mV.
    pub fn v_m(&self, i: usize) -> f64 {
        self.v[i]
    }

    /// Sets the membrane potential of neuron `i`, mV.
    pub fn set_v_m(&mut self, i: usize, v: f64) {
        self.v[i] = v;
    }

    /// Neuron `i`'s state, the module's recordables: [V_m, U_m, g_L,
    /// g_AMPA, g_GABA_A, I_syn].
    pub fn state_of(&self, i: usize) -> [f64; 6] {
        [
            self.v[i],
            self.u[i],
            self.g_l[i],
            self.g_ampa[i],
            self.g_gaba[i],
            self.i_syn[i],
        ]
    }

    /// One step with receptor 0 only (no baseline input).
    pub fn step(&mut self, syn: &[(f64, f64)], current: Option<&[f64]>, fired: &mut Vec<u32>) {
        self.step_receptors(syn, &[], 0, current, fired)
    }

    /// One step of every neuron: `syn[i]` = (excitatory, inhibitory)
    /// summed weights of receptor 0 delivered in this step (inhibitory
    /// ones ≤ 0), `rec[i·stride]` those of receptor 1 (`stride` 0: none),
    /// `current[i]` the current (pA) arriving in this step, effective from
    /// the next. Indices of the neurons that fire are appended to `fired`.
    pub fn step_receptors(
        &mut self,
        syn: &[(f64, f64)],
        rec: &[f64],
        stride: usize,
        current: Option<&[f64]>,
        fired: &mut Vec<u32>,
    ) {
        let p = &self.p;
        let h = p.h;
        for i in 0..self.v.len() {
            let refractory = self.r[i] > 0;
            let (exc, inh) = syn[i];
            let base = if stride > 0 { rec[i * stride] } else { 0.0 };
            // the module's update(), its operations in its order
            let (mut v, mut u) = (self.v[i], self.u[i]);
            let (mut g_l, mut g_ampa, mut g_gaba) = (self.g_l[i], self.g_ampa[i], self.g_gaba[i]);
            let mut conductances = |v: f64| {
                g_l += base;
                g_ampa += exc;
                g_gaba += -inh;
                g_l -= h * g_l / p.tau_l;
                g_ampa -= h * g_ampa / p.tau_ampa;
                g_gaba -= h * g_gaba / p.tau_gaba;
                g_l = if g_l < 0.0 { 0.0 } else { g_l };
                g_ampa = if g_ampa < 0.0 { 0.0 } else { g_ampa };
                g_gaba = if g_gaba < 0.0 { 0.0 } else { g_gaba };
                let i_syn_ex = -g_ampa * (v - p.e_ampa);
                let i_syn_in = -g_gaba * (v - p.e_gaba);
                i_syn_ex + i_syn_in - g_l * v
            };
            let i_in = self.i_in[i];
            let i_syn;
            if p.consistent {
                if !refractory {
                    let (v_old, u_old) = (v, u);
                    v += h
                        * (p.n2 * v_old * v_old + p.n1 * v_old + p.n0 - u_old / p.c_m
                            + i_in
                            + p.i_e
                            + self.i_syn[i]);
                    u += h * p.a * (p.b * (v_old - p.v_r) - u_old);
                }
                i_syn = conductances(v);
            } else {
                i_syn = conductances(v);
                if !refractory {
                    let half = h * 0.5;
                    let f =
                        |v: f64| p.n2 * v * v + p.n1 * v + p.n0 - u / p.c_m + i_in + p.i_e + i_syn;
                    v += half * f(v);
                    v += half * f(v);
                    u += h * p.a * (p.b * (v - p.v_r) - u);
                }
            }
            v = if v < p.v_min { p.v_min } else { v };
            if refractory {
                self.r[i] -= 1;
            } else if v >= p.v_th {
                v = p.c;
                u += p.d;
                fired.push(i as u32);
                // the module: + 1 for its count-down; 0 without refractory steps
                self.r[i] = if p.ref_counts > 0 {
                    p.ref_counts + 1
                } else {
                    0
                };
            }
            let c = current.map_or(0.0, |c| c[i]);
            let c = match p.mode {
                1 => c.abs(),
                2 => {
                    if c > 0.0 {
                        1.0
                    } else {
                        0.0
                    }
                }
                _ => c,
            };
            self.i_in[i] = c * p.scale;
            self.v[i] = v;
            self.u[i] = u;
            self.g_l[i] = g_l;
            self.g_ampa[i] = g_ampa;
            self.g_gaba[i] = g_gaba;
            self.i_syn[i] = i_syn;
        }
    }

    /// Every per-neuron state variable (checkpoints).
    fn state_slices(&mut self) -> Vec<crate::spiking::neuron::StateSlice<'_>> {
        use crate::spiking::neuron::StateSlice;
        vec![
            StateSlice::F64(&mut self.v),
            StateSlice::F64(&mut self.u),
            StateSlice::F64(&mut self.g_l),
            StateSlice::F64(&mut self.g_ampa),
            StateSlice::F64(&mut self.g_gaba),
            StateSlice::F64(&mut self.i_syn),
            StateSlice::F64(&mut self.i_in),
            StateSlice::U32(&mut self.r),
        ]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pop(overrides: &[(&str, f64)]) -> IzhikevichHamker {
        let params = ParamSet::from_overrides(
            "izhikevich_hamker",
            PARAMS,
            overrides.iter().map(|(k, v)| (*k, *v)),
        )
        .unwrap();
        IzhikevichHamker::new(1, &params, 0.1).unwrap()
    }

    #[test]
    fn refractory_steps_are_nests_time_conversion() {
        // t_ref rounded to 0.001 ms tics, then up to whole steps
        assert_eq!(nest_steps(10.0, 0.1), 100);
        assert_eq!(nest_steps(0.01, 0.1), 1);
        assert_eq!(nest_steps(0.16, 0.1), 2);
        assert_eq!(nest_steps(1e-4, 0.1), 0);
        assert_eq!(nest_steps(2.0, 0.05), 40);
    }

    #[test]
    fn receptors_fill_their_conductances() {
        let mut n = pop(&[]);
        let mut fired = vec![];
        n.step_receptors(&[(0.5, -0.25)], &[0.125], 1, None, &mut fired);
        let s = n.state_of(0);
        // added, then one Euler decay step: g·(1 − h/τ) as g − h·g/τ
        assert_eq!(s[3], 0.5 - 0.1 * 0.5 / 10.0);
        assert_eq!(s[4], 0.25 - 0.1 * 0.25 / 10.0);
        assert_eq!(s[2], 0.125 - 0.1 * 0.125 / 1.0);
        // I_syn with the new V and g
        let v = s[0];
        assert_eq!(s[5], -s[3] * (v - 0.0) + -s[4] * (v + 90.0) - s[2] * v);
        assert!(fired.is_empty());
    }

    #[test]
    fn a_spike_resets_and_freezes_v_and_u_for_t_ref_plus_one_step() {
        let mut n = pop(&[("I_e", 20.0), ("t_ref", 1.0)]);
        let mut fired = vec![];
        let mut k = 0;
        while fired.is_empty() {
            n.step(&[(0.0, 0.0)], None, &mut fired);
            k += 1;
            assert!(k < 10_000, "20 pA drives it over V_th");
        }
        let after = n.state_of(0);
        assert_eq!(after[0], -72.0);
        // t_ref = 1 ms: 10 steps, + 1 as the module counts
        for _ in 0..11 {
            n.step(&[(0.0, 0.0)], None, &mut fired);
            assert_eq!(&n.state_of(0)[..2], &after[..2]);
        }
        n.step(&[(0.0, 0.0)], None, &mut fired);
        assert!(n.v_m(0) != -72.0, "released after t_ref + 1 steps");
    }

    #[test]
    fn current_stimulus_modes_transform_the_input() {
        for (mode, scale, want) in [(0.0, 2.0, -6.0), (1.0, 2.0, 6.0), (2.0, 2.0, 0.0)] {
            let mut n = pop(&[
                ("current_stimulus_mode", mode),
                ("current_stimulus_scale", scale),
            ]);
            n.step(&[(0.0, 0.0)], Some(&[-3.0]), &mut vec![]);
            assert_eq!(n.i_in[0], want, "mode {mode}");
        }
        let mut n = pop(&[
            ("current_stimulus_mode", 2.0),
            ("current_stimulus_scale", 7.0),
        ]);
        n.step(&[(0.0, 0.0)], Some(&[0.01]), &mut vec![]);
        assert_eq!(n.i_in[0], 7.0);
    }

    #[test]
    fn bad_parameters_are_refused() {
        let params = |o: &[(&str, f64)]| {
            ParamSet::from_overrides("izhikevich_hamker", PARAMS, o.iter().map(|(k, v)| (*k, *v)))
        };
        for k in [
            "t_ref",
            "tau_rise",
            "tau_rise_AMPA",
            "tau_rise_GABA_A",
            "C_m",
        ] {
            let e = IzhikevichHamker::new(1, &params(&[(k, 0.0)]).unwrap(), 0.1).unwrap_err();
            assert!(e.to_string().contains(k), "{e}");
        }
        let e = IzhikevichHamker::new(1, &params(&[("current_stimulus_mode", 1.5)]).unwrap(), 0.1)
            .unwrap_err();
        assert!(e.to_string().contains("current_stimulus_mode"), "{e}");
        assert!(params(&[("current_stimulus_mode", 3.0)]).is_err());
        assert!(params(&[("consistent_integration", 2.0)]).is_err());
        assert!(params(&[("t_ref", -1.0)]).is_err());
    }
}
