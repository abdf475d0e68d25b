//! `iaf_cond_ww_deco`: tvb-multiscale's NEST extension neuron of the
//! spiking Wong-Wang model of Deco et al. (2013, 2014) — a leaky
//! integrate-and-fire neuron with AMPA, NMDA (with its slow second-order
//! gating) and GABA_A synapses of the local populations and one AMPA
//! synapse per external source (`receptor_type` 1, 2, …), as tvb-multiscale's
//! `tvb_nest/nest/modules/dev/iaf_cond_ww_deco/iaf_cond_ww_deco.cpp`
//! (integrated by GSL's RKF45 with `gsl_odeiv_control_yp_new(tol, tol)`,
//! the adapted step carried across steps).
//!
//! ```text
//! C_m·dV/dt   = −(I_L + I_AMPA + I_GABA + I_NMDA + Σ_k I_AMPA_ext,k) + I_e + I_stim
//! I_L         = g_L·(V − E_L)
//! I_AMPA      = w_E·g_AMPA·(V − E_ex)·s_AMPA
//! I_NMDA      = w_E·N_E·g_NMDA / (1 + λ_NMDA·e^{−β·V})·(V − E_ex)·s_NMDA
//! I_GABA      = w_I·g_GABA_A·(V − E_in)·s_GABA
//! I_AMPA_ext,k = g_AMPA_ext·w_E_ext[k]·(V − E_ex)·s_AMPA_ext,k
//! ds_AMPA/dt  = −s_AMPA/τ_AMPA            ds_GABA/dt = −s_GABA/τ_GABA_A
//! dx_NMDA/dt  = −x_NMDA/τ_rise,NMDA
//! ds_NMDA/dt  = −s_NMDA/τ_decay,NMDA + (α/N_E)·x_NMDA·(1 − ε·s_NMDA)
//! ds_AMPA_ext,k/dt = −s_AMPA_ext,k/τ_AMPA
//! ```
//! V in mV, conductances in nS, currents in pA, times in ms, α in 1/ms;
//! the gating variables count spikes (a spike of weight w adds w).
//! While refractory V is taken as V_reset in the right-hand side and
//! dV/dt = 0.
//!
//! Per step of h ms, in NEST's order: RKF45 sub-steps until h; after each,
//! the gating variables are clamped (s_AMPA, s_NMDA to [0, N_E], x_NMDA
//! ≥ 0, s_GABA to [0, N_I], s_AMPA_ext,k to [0, s_AMPA_ext_max[k]]), then V
//! is clamped to V_reset while refractory, or V ≥ V_th fires (V ← V_reset,
//! refractory for t_ref, stamped at the end of the step); then the
//! refractory count goes down; then the spikes delivered in this step:
//! receptor 0 with weight w > 0 adds w to s_AMPA and x_NMDA (the local
//! excitatory population), w < 0 adds |w| to s_GABA (the local inhibitory
//! one); receptor k ≥ 1 adds w ≥ 0 to s_AMPA_ext,k−1 (NEST refuses w < 0
//! there); then the current delivered in this step, acting from the next.
//!
//! NEST's `w_E_ext` (and `s_AMPA_ext_max`) are lists whose length is the
//! number of external receptors; here `n_receptors` (1 to [`MAX_EXT`])
//! says how many of the elements of `w_E_ext` and `s_AMPA_ext_max` are
//! used, NEST's neuron with lists of that length. NEST's
//! `NumericalInstability` (V < −1000 mV) is not raised.

use super::neuron::{Neuron, NeuronInfo, Receptor, Signs};
use super::rkf45::{self, Control, DynScratch};
use crate::error::ModelError;
use crate::impl_neuron;
use crate::params::{p, ParamDef, ParamSet};

/// The most external AMPA receptors (ports 1..=MAX_EXT) a population may
/// have: one per region of the largest connectome shipped (998 regions),
/// as tvb-multiscale's Deco 2014 builder gives each neuron. Only the
/// parameter lists are this long (2 × 8 kB per population); a neuron holds
/// `n_receptors` gating variables.
pub const MAX_EXT: usize = 1000;

/// The model as a graph and `brainstream list` know it.
pub const INFO: NeuronInfo = NeuronInfo {
    name: "iaf_cond_ww_deco",
    doc: "tvb-multiscale's spiking Wong-Wang neuron (Deco 2014): AMPA, NMDA, GABA_A and external AMPA receptors (GSL RKF45)",
    params: PARAMS,
    weight_unit: "1 (gating increment)",
    receptors: &RECEPTORS,
    solvers: &[],
    heavy_step: true,
    build,
};

/// Receptor 0 (the local populations, by the weight's sign) and the
/// external AMPA receptors 1..=[`MAX_EXT`] (32 kB: used once, through
/// [`INFO`]'s reference, which makes it a single static).
#[allow(clippy::large_const_arrays)]
const RECEPTORS: [Receptor; MAX_EXT + 1] = {
    let mut r = [Receptor {
        id: 0,
        signs: Signs::NonNegative,
        doc: "external AMPA synapse k (s_AMPA_ext,k−1 += w; up to n_receptors)",
    }; MAX_EXT + 1];
    r[0] = Receptor {
        id: 0,
        signs: Signs::Either,
        doc: "w > 0: local excitatory (s_AMPA and x_NMDA += w), w < 0: local inhibitory (s_GABA += |w|)",
    };
    let mut k = 1;
    while k <= MAX_EXT {
        r[k].id = k;
        k += 1;
    }
    r
};

/// [`NeuronInfo::build`] (one integration: `solver` is not used).
fn build(
    n: usize,
    params: &ParamSet,
    h: f64,
    _solver: &str,
) -> Result<Box<dyn Neuron>, ModelError> {
    Ok(Box::new(IafCondWwDeco::new(n, params, h)?))
}

impl_neuron!(IafCondWwDeco, INFO, state, receptors);

/// A vector parameter of [`MAX_EXT`] elements.
const fn pv(name: &'static str, defaults: &'static [f64], lo: f64, doc: &'static str) -> ParamDef {
    ParamDef {
        name,
        default: defaults[0],
        lo,
        hi: 1e9,
        unit: "1",
        doc,
        len: MAX_EXT,
        defaults,
        min: lo,
        max: 1e9,
    }
}

/// Parameters, as tvb-multiscale's module declares them (its defaults).
pub const PARAMS: &[ParamDef] = &[
    p("V_th", -50.0, -1e6, 1e6, "mV", "Spike threshold"),
    p("V_reset", -55.0, -1e6, 1e6, "mV", "Reset potential"),
    p("E_L", -70.0, -1e6, 1e6, "mV", "Leak reversal potential"),
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
        -70.0,
        -1e6,
        1e6,
        "mV",
        "Inhibitory reversal potential",
    ),
    p("t_ref", 2.0, 0.0, 1e9, "ms", "Refractory period"),
    p("tau_decay_AMPA", 2.0, 1e-9, 1e9, "ms", "AMPA decay time"),
    p("tau_rise_NMDA", 2.0, 1e-9, 1e9, "ms", "NMDA rise time"),
    p("tau_decay_NMDA", 100.0, 1e-9, 1e9, "ms", "NMDA decay time"),
    p(
        "tau_decay_GABA_A",
        10.0,
        1e-9,
        1e9,
        "ms",
        "GABA_A decay time",
    ),
    p("C_m", 500.0, 1e-9, 1e9, "pF", "Membrane capacitance"),
    p("g_L", 25.0, 0.0, 1e9, "nS", "Leak conductance"),
    p(
        "g_AMPA_ext",
        2.496,
        0.0,
        1e9,
        "nS",
        "External AMPA conductance",
    ),
    p(
        "g_AMPA",
        0.104,
        0.0,
        1e9,
        "nS",
        "Recurrent AMPA conductance",
    ),
    p(
        "g_NMDA",
        0.327,
        0.0,
        1e9,
        "nS",
        "Recurrent NMDA conductance",
    ),
    p(
        "g_GABA_A",
        4.375,
        0.0,
        1e9,
        "nS",
        "Recurrent GABA_A conductance",
    ),
    p(
        "w_E",
        1.55,
        0.0,
        1e9,
        "1",
        "Weight of the local excitatory synapses (AMPA, NMDA)",
    ),
    p(
        "w_I",
        1.0,
        0.0,
        1e9,
        "1",
        "Weight of the local inhibitory synapses (GABA_A)",
    ),
    p(
        "n_receptors",
        1.0,
        1.0,
        MAX_EXT as f64,
        "1",
        "Number of external AMPA receptors (ports 1..=n_receptors): NEST's len(w_E_ext)",
    ),
    pv(
        "w_E_ext",
        &[1.0; MAX_EXT],
        0.0,
        "Weights of the external AMPA receptors (the first n_receptors used)",
    ),
    pv(
        "s_AMPA_ext_max",
        &[1.0; MAX_EXT],
        1.0,
        "Ceilings of the external AMPA gating variables (the first n_receptors used)",
    ),
    p(
        "N_E",
        1.0,
        1.0,
        1e9,
        "1",
        "Excitatory neurons of the population (NMDA scaling; ceiling of s_AMPA, s_NMDA)",
    ),
    p(
        "N_I",
        1.0,
        1.0,
        1e9,
        "1",
        "Inhibitory neurons of the population (ceiling of s_GABA)",
    ),
    p(
        "epsilon",
        1.0,
        0.0,
        1.0,
        "1",
        "Scaling of s_NMDA in ds_NMDA/dt",
    ),
    p("alpha", 0.5, 0.0, 1e9, "1/ms", "NMDA gating rate"),
    p(
        "beta",
        0.062,
        0.0,
        1e9,
        "1/mV",
        "Voltage dependence of the NMDA Mg block",
    ),
    p(
        "lambda_NMDA",
        0.28,
        0.0,
        1e9,
        "1",
        "Mg block factor of NMDA",
    ),
    p("I_e", 0.0, -1e9, 1e9, "pA", "Constant input current"),
    p(
        "gsl_error_tol",
        1e-6,
        1e-300,
        1e9,
        "1",
        "GSL error tolerance (absolute and relative, control_yp)",
    ),
];

const V_M: usize = 0;
const S_AMPA: usize = 1;
const X_NMDA: usize = 2;
const S_NMDA: usize = 3;
const S_GABA: usize = 4;
/// The first external AMPA gating variable.
const S_EXT0: usize = 5;

/// What the right-hand side and the update read (NEST's `Parameters_` and
/// `Variables_`).
#[derive(Debug, Clone)]
struct P {
    v_th: f64,
    v_reset: f64,
    e_ex: f64,
    e_in: f64,
    c_m: f64,
    e_l: f64,
    g_l: f64,
    /// g_L·E_L, pA
    g_l_e_l: f64,
    minus_beta: f64,
    lambda_nmda: f64,
    epsilon: f64,
    minus_tau_ampa: f64,
    minus_tau_gaba: f64,
    minus_tau_rise_nmda: f64,
    minus_tau_decay_nmda: f64,
    /// w_E·g_AMPA
    w_e_g_ampa: f64,
    /// w_E·N_E·g_NMDA
    w_e_n_e_g_nmda: f64,
    /// α/N_E
    alpha_n_e: f64,
    /// w_I·g_GABA_A
    w_i_g_gaba: f64,
    /// g_AMPA_ext·w_E_ext[k]
    w_ext_g: Vec<f64>,
    s_ext_max: Vec<f64>,
    s_exc_max: f64,
    s_inh_max: f64,
    i_e: f64,
    tol: f64,
    ref_counts: u32,
    h: f64,
}

impl P {
    fn dim(&self) -> usize {
        S_EXT0 + self.w_ext_g.len()
    }
}

/// A population of `iaf_cond_ww_deco` neurons sharing parameters.
#[derive(Debug, Clone)]
pub struct IafCondWwDeco {
    p: P,
    /// [V, s_AMPA, x_NMDA, s_NMDA, s_GABA, s_AMPA_ext…] per neuron, flat
    y: Vec<f64>,
    /// refractory steps left
    r: Vec<u32>,
    /// current input applied this step, pA
    i_stim: Vec<f64>,
    /// adapted integration step per neuron, ms
    step: Vec<f64>,
    scratch: DynScratch,
}

impl IafCondWwDeco {
    /// `n` neurons at V = E_L, every gating variable 0, simulation step
    /// `h` ms. Refuses what tvb-multiscale's `set_status` refuses
    /// (`V_reset ≥ V_th`, non-integer N_E, N_I; ranges in [`PARAMS`]).
    pub fn new(n: usize, params: &ParamSet, h: f64) -> Result<Self, ModelError> {
        let g = |k: &str| params.get(k);
        if g("V_reset") >= g("V_th") {
            return Err(ModelError::Config(format!(
                "iaf_cond_ww_deco: V_reset ({}) must be below V_th ({})",
                g("V_reset"),
                g("V_th")
            )));
        }
        for k in ["N_E", "N_I", "n_receptors"] {
            if g(k).fract() != 0.0 {
                return Err(ModelError::Config(format!(
                    "iaf_cond_ww_deco: {k} = {} must be a whole number",
                    g(k)
                )));
            }
        }
        if !(h.is_finite() && h > 0.0) {
            return Err(ModelError::Config(format!("iaf_cond_ww_deco: step {h} ms")));
        }
        let n_ext = g("n_receptors") as usize;
        let vector = |k: &str| -> Vec<f64> {
            let mut off = 0;
            for d in params.defs() {
                if d.name == k {
                    return params.values()[off..off + n_ext].to_vec();
                }
                off += d.len;
            }
            vec![]
        };
        let n_e = g("N_E");
        let g_ampa_ext = g("g_AMPA_ext");
        let p = P {
            v_th: g("V_th"),
            v_reset: g("V_reset"),
            e_ex: g("E_ex"),
            e_in: g("E_in"),
            c_m: g("C_m"),
            e_l: g("E_L"),
            g_l: g("g_L"),
            g_l_e_l: g("g_L") * g("E_L"),
            minus_beta: -g("beta"),
            lambda_nmda: g("lambda_NMDA"),
            epsilon: g("epsilon"),
            minus_tau_ampa: -g("tau_decay_AMPA"),
            minus_tau_gaba: -g("tau_decay_GABA_A"),
            minus_tau_rise_nmda: -g("tau_rise_NMDA"),
            minus_tau_decay_nmda: -g("tau_decay_NMDA"),
            w_e_g_ampa: g("w_E") * g("g_AMPA"),
            w_e_n_e_g_nmda: g("w_E") * n_e * g("g_NMDA"),
            alpha_n_e: g("alpha") / n_e,
            w_i_g_gaba: g("w_I") * g("g_GABA_A"),
            w_ext_g: vector("w_E_ext").iter().map(|w| g_ampa_ext * w).collect(),
            s_ext_max: vector("s_AMPA_ext_max"),
            s_exc_max: n_e,
            s_inh_max: g("N_I"),
            i_e: g("I_e"),
            tol: g("gsl_error_tol"),
            // NEST: Time(Time::ms(t_ref)).get_steps(), rounded to the grid
            ref_counts: (g("t_ref") / h).round() as u32,
            h,
        };
        let mut me = Self {
            y: vec![],
            r: vec![],
            i_stim: vec![],
            step: vec![],
            scratch: DynScratch::new(p.dim()),
            p,
        };
        me.y = (0..n).flat_map(|_| me.rest()).collect();
        me.r = vec![0; n];
        me.i_stim = vec![0.0; n];
        // NEST: IntegrationStep_ = resolution at the start
        me.step = vec![h; n];
        Ok(me)
    }

    fn rest(&self) -> Vec<f64> {
        let mut y = vec![0.0; self.p.dim()];
        y[V_M] = self.p.e_l;
        y
    }

    /// The same neurons' parameters for a population of `n`, at rest.
    pub fn resized(&self, n: usize) -> Self {
        let rest = self.rest();
        Self {
            p: self.p.clone(),
            y: (0..n).flat_map(|_| rest.iter().copied()).collect(),
            r: vec![0; n],
            i_stim: vec![0.0; n],
            step: vec![self.p.h; n],
            scratch: self.scratch.clone(),
        }
    }

    /// The neurons `r` as a population of their own.
    pub fn take_range(&self, r: std::ops::Range<usize>) -> Self {
        let d = self.p.dim();
        Self {
            p: self.p.clone(),
            y: self.y[r.start * d..r.end * d].to_vec(),
            r: self.r[r.clone()].to_vec(),
            i_stim: self.i_stim[r.clone()].to_vec(),
            step: self.step[r].to_vec(),
            scratch: self.scratch.clone(),
        }
    }

    /// Writes back a part taken with [`take_range`](Self::take_range).
    pub fn put_range(&mut self, start: usize, part: &Self) {
        let d = self.p.dim();
        let r = start..start + part.len();
        self.y[r.start * d..r.end * d].copy_from_slice(&part.y);
        self.r[r.clone()].copy_from_slice(&part.r);
        self.i_stim[r.clone()].copy_from_slice(&part.i_stim);
        self.step[r].copy_from_slice(&part.step);
    }

    /// Number of neurons.
    pub fn len(&self) -> usize {
        self.r.len()
    }

    /// Whether the population is empty.
    pub fn is_empty(&self) -> bool {
        self.r.is_empty()
    }

    /// External AMPA receptors (ports 1..=n).
    pub fn extra_receptors(&self) -> usize {
        self.p.w_ext_g.len()
    }

    /// Membrane potential of neuron `i`, mV.
    pub fn v_m(&self, i: usize) -> f64 {
        self.y[i * self.p.dim() + V_M]
    }

    /// Sets the membrane potential of neuron `i`, mV.
    pub fn set_v_m(&mut self, i: usize, v: f64) {
        let d = self.p.dim();
        self.y[i * d + V_M] = v;
    }

    /// Neuron `i`'s state: [V_m, s_AMPA, x_NMDA, s_NMDA, s_GABA,
    /// s_AMPA_ext_0, …].
    pub fn state_of(&self, i: usize) -> &[f64] {
        let d = self.p.dim();
        &self.y[i * d..(i + 1) * d]
    }

    /// One step with receptor 0 only (no external AMPA input).
    pub fn step(&mut self, syn: &[(f64, f64)], current: Option<&[f64]>, fired: &mut Vec<u32>) {
        self.step_receptors(syn, &[], 0, current, fired)
    }

    /// One step of every neuron: `syn[i]` = (excitatory, inhibitory)
    /// summed weights of receptor 0 delivered in this step (inhibitory
    /// ones ≤ 0), `rec[i·stride + k − 1]` those of receptor k ≥ 1 (empty:
    /// none), `current[i]` the current (pA) arriving in this step,
    /// effective from the next. Indices of the neurons that fire are
    /// appended to `fired`.
    pub fn step_receptors(
        &mut self,
        syn: &[(f64, f64)],
        rec: &[f64],
        stride: usize,
        current: Option<&[f64]>,
        fired: &mut Vec<u32>,
    ) {
        let p = &self.p;
        let d = p.dim();
        let n_ext = p.w_ext_g.len();
        let control = Control::Yp {
            eps_abs: p.tol,
            eps_rel: p.tol,
        };
        for i in 0..self.r.len() {
            let i_stim = self.i_stim[i];
            let y = &mut self.y[i * d..(i + 1) * d];
            let mut t = 0.0;
            while t < p.h {
                let refractory = self.r[i] > 0;
                // tvb-multiscale's iaf_cond_ww_deco_dynamics, its order of
                // operations
                let f = |y: &[f64], f: &mut [f64]| {
                    let v = if refractory { p.v_reset } else { y[V_M] };
                    let v_minus_e_ex = v - p.e_ex;
                    let i_l = p.g_l * v - p.g_l_e_l;
                    let i_ampa = p.w_e_g_ampa * v_minus_e_ex * y[S_AMPA];
                    let i_gaba = p.w_i_g_gaba * (v - p.e_in) * y[S_GABA];
                    let i_nmda = p.w_e_n_e_g_nmda
                        / (1.0 + p.lambda_nmda * (p.minus_beta * v).exp())
                        * v_minus_e_ex
                        * y[S_NMDA];
                    let mut i_ext = 0.0;
                    for k in 0..n_ext {
                        i_ext += p.w_ext_g[k] * v_minus_e_ex * y[S_EXT0 + k];
                        f[S_EXT0 + k] = y[S_EXT0 + k] / p.minus_tau_ampa;
                    }
                    f[V_M] = if refractory {
                        0.0
                    } else {
                        (-(i_l + i_ampa + i_gaba + i_nmda + i_ext) + p.i_e + i_stim) / p.c_m
                    };
                    f[S_AMPA] = y[S_AMPA] / p.minus_tau_ampa;
                    f[S_GABA] = y[S_GABA] / p.minus_tau_gaba;
                    f[X_NMDA] = y[X_NMDA] / p.minus_tau_rise_nmda;
                    f[S_NMDA] = y[S_NMDA] / p.minus_tau_decay_nmda
                        + p.alpha_n_e * y[X_NMDA] * (1.0 - p.epsilon * y[S_NMDA]);
                };
                rkf45::apply_dyn(
                    &f,
                    y,
                    &mut t,
                    p.h,
                    &mut self.step[i],
                    control,
                    &mut self.scratch,
                );
                // the bounds of the gating variables, as NEST's `x < 0 ? 0
                // : x` then `x > max ? max : x` (NaN stays)
                let clamp = |x: f64, max: f64| {
                    let x = if x < 0.0 { 0.0 } else { x };
                    if x > max {
                        max
                    } else {
                        x
                    }
                };
                y[S_AMPA] = clamp(y[S_AMPA], p.s_exc_max);
                y[X_NMDA] = if y[X_NMDA] < 0.0 { 0.0 } else { y[X_NMDA] };
                y[S_NMDA] = clamp(y[S_NMDA], p.s_exc_max);
                y[S_GABA] = clamp(y[S_GABA], p.s_inh_max);
                for k in 0..n_ext {
                    y[S_EXT0 + k] = clamp(y[S_EXT0 + k], p.s_ext_max[k]);
                }
                if self.r[i] > 0 {
                    y[V_M] = p.v_reset;
                } else if y[V_M] >= p.v_th {
                    y[V_M] = p.v_reset;
                    // + 1 for the count-down after the loop; 0 without a
                    // refractory time
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
            if ex > 0.0 {
                y[S_AMPA] += ex;
                y[X_NMDA] += ex;
            }
            if inh < 0.0 {
                y[S_GABA] += -inh;
            }
            if stride > 0 {
                for k in 0..n_ext.min(stride) {
                    let w = rec[i * stride + k];
                    if w > 0.0 {
                        y[S_EXT0 + k] += w;
                    }
                }
            }
            self.i_stim[i] = current.map_or(0.0, |c| c[i]);
        }
    }

    /// Every per-neuron state variable (checkpoints).
    fn state_slices(&mut self) -> Vec<crate::spiking::neuron::StateSlice<'_>> {
        use crate::spiking::neuron::StateSlice;
        vec![
            StateSlice::F64(&mut self.y),
            StateSlice::U32(&mut self.r),
            StateSlice::F64(&mut self.i_stim),
            StateSlice::F64(&mut self.step),
        ]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pop(overrides: &[(&str, f64)]) -> IafCondWwDeco {
        let params = ParamSet::from_overrides(
            "iaf_cond_ww_deco",
            PARAMS,
            overrides.iter().map(|(k, v)| (*k, *v)),
        )
        .unwrap();
        IafCondWwDeco::new(1, &params, 0.1).unwrap()
    }

    #[test]
    fn one_receptor_per_region_of_a_76_region_connectome() {
        let mut n = pop(&[("n_receptors", 76.0), ("s_AMPA_ext_max[75]", 10.0)]);
        assert_eq!(n.extra_receptors(), 76);
        assert_eq!(n.state_of(0).len(), S_EXT0 + 76);
        let mut rec = vec![0.0; 76];
        rec[75] = 2.5;
        let mut fired = vec![];
        n.step_receptors(&[(0.0, 0.0)], &rec, 76, None, &mut fired);
        let s = n.state_of(0);
        assert_eq!(s[S_EXT0 + 75], 2.5);
        assert!(s[S_EXT0..S_EXT0 + 75].iter().all(|&x| x == 0.0));
    }

    #[test]
    fn receptors_fill_their_gating_variables() {
        let mut n = pop(&[
            ("n_receptors", 2.0),
            ("N_E", 10.0),
            ("N_I", 10.0),
            ("s_AMPA_ext_max[1]", 10.0),
        ]);
        let mut fired = vec![];
        n.step_receptors(&[(2.0, -3.0)], &[0.5, 1.5], 2, None, &mut fired);
        let s = n.state_of(0).to_vec();
        assert_eq!(s[S_AMPA], 2.0);
        assert_eq!(s[X_NMDA], 2.0);
        assert_eq!(s[S_NMDA], 0.0);
        assert_eq!(s[S_GABA], 3.0);
        assert_eq!(&s[S_EXT0..], &[0.5, 1.5]);
        // the next step: x_NMDA drives s_NMDA, AMPA and GABA decay with their τ
        n.step(&[(0.0, 0.0)], None, &mut fired);
        let s2 = n.state_of(0).to_vec();
        assert!(s2[S_NMDA] > 0.0 && s2[S_NMDA] < 0.1, "{}", s2[S_NMDA]);
        let decay = |s0: f64, s1: f64, tau: f64| (s1 / s0 - (-0.1 / tau).exp()).abs();
        assert!(decay(2.0, s2[S_AMPA], 2.0) < 1e-6);
        assert!(decay(3.0, s2[S_GABA], 10.0) < 1e-6);
        assert!(decay(1.5, s2[S_EXT0 + 1], 2.0) < 1e-6);
        assert!(fired.is_empty());
    }

    #[test]
    fn gating_variables_are_bounded_as_nest_bounds_them() {
        // N_E = 1: s_AMPA at most 1 after the first sub-step
        let mut n = pop(&[]);
        let mut fired = vec![];
        n.step(&[(5.0, -4.0)], None, &mut fired);
        n.step(&[(0.0, 0.0)], None, &mut fired);
        // clamped to 1 after the first sub-step (unclamped: 5·e^(−0.05) ≈
        // 4.76 and 4·e^(−0.01) ≈ 3.96), decaying from there
        let s = n.state_of(0);
        assert!(s[S_AMPA] <= 1.0 && s[S_AMPA] > 0.95, "{}", s[S_AMPA]);
        assert!(s[S_GABA] <= 1.0 && s[S_GABA] > 0.99, "{}", s[S_GABA]);
    }

    #[test]
    fn a_driven_neuron_fires_and_stays_at_v_reset_for_t_ref() {
        let mut n = pop(&[("I_e", 600.0)]);
        let mut fired = vec![];
        let mut first = None;
        for k in 0..2000 {
            fired.clear();
            n.step(&[(0.0, 0.0)], None, &mut fired);
            if !fired.is_empty() {
                first = Some(k);
                break;
            }
        }
        let k = first.expect("600 pA drives it over V_th");
        assert_eq!(n.v_m(0), -55.0);
        // t_ref = 2 ms = 20 steps at V_reset
        for _ in 0..20 {
            n.step(&[(0.0, 0.0)], None, &mut fired);
            assert_eq!(n.v_m(0), -55.0);
        }
        n.step(&[(0.0, 0.0)], None, &mut fired);
        assert!(n.v_m(0) > -55.0, "released after t_ref, step {k}");
    }

    #[test]
    fn bad_parameters_are_refused() {
        let params = |o: &[(&str, f64)]| {
            ParamSet::from_overrides("iaf_cond_ww_deco", PARAMS, o.iter().map(|(k, v)| (*k, *v)))
        };
        let e = IafCondWwDeco::new(1, &params(&[("V_reset", -40.0)]).unwrap(), 0.1).unwrap_err();
        assert!(e.to_string().contains("V_reset"), "{e}");
        let e = IafCondWwDeco::new(1, &params(&[("N_E", 1.5)]).unwrap(), 0.1).unwrap_err();
        assert!(e.to_string().contains("N_E"), "{e}");
        assert!(params(&[("n_receptors", (MAX_EXT + 1) as f64)]).is_err());
        assert!(params(&[("s_AMPA_ext_max[0]", 0.5)]).is_err());
        assert!(params(&[("epsilon", 1.5)]).is_err());
    }
}
