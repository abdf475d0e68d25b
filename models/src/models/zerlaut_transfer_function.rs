//! The transfer function shared by the AdEx mean-field models of TVB-AdEx
//! (`ZerlautAdaptationFirstOrder`, `ZerlautAdaptationSecondOrder`): the
//! stationary output rate of a population of conductance-based adaptive
//! exponential integrate-and-fire neurons given its excitatory and
//! inhibitory input rates (Zerlaut et al. 2018, J Comput Neurosci 44:45;
//! di Volo et al. 2019, Neural Comput 31:653).
//!
//! Rates are in kHz (spikes per ms), time in ms, conductances in nS,
//! potentials in mV, currents (adaptation `W`) in pA.
//!
//! ```text
//! f_e  = (ν_e + 1e-6)·(1 − g)·p_e·N_tot + ν_e^ext·K_ext_e    (rate of excitatory events, kHz)
//! f_i  = (ν_i + 1e-6)·g·p_i·N_tot       + ν_i^ext·K_ext_i
//! μ_Ge = Q_e·τ_e·f_e,   μ_Gi = Q_i·τ_i·f_i,   μ_G = g_L + μ_Ge + μ_Gi
//! T_m  = C_m / μ_G
//! μ_V  = (μ_Ge·E_e + μ_Gi·E_i + g_L·E_L − W) / μ_G
//! U_s  = Q_s/μ_G·(E_s − μ_V)                                  (s ∈ {e, i})
//! σ_V  = sqrt(Σ_s f_s·(U_s·τ_s)² / (2·(τ_s + T_m)))
//! T_V  = Σ_s f_s·(U_s·τ_s)² / Σ_s f_s·(U_s·τ_s)²/(τ_s + T_m)
//! V    = (μ_V + 60)/10,  S = (σ_V − 4)/6,  T = T_V·g_L/C_m − 0.5
//! V_thre = 1e3·(P0 + P1·V + P2·S + P3·T + P4·V² + P5·S² + P6·T² + P7·V·S + P8·V·T + P9·S·T)
//! F    = erfc((V_thre − μ_V) / (√2·σ_V)) / (2·T_V)            (kHz)
//! ```
//! Every operation is written in tvb-library's order so that the results
//! agree to rounding (its numba kernels and numpy expressions).

use super::get;
use crate::params::{p, ParamDef, ParamSet};

/// Parameters of both TVB-AdEx models, as tvb-library 2.10 declares them
/// (`zerlaut.py`). Ranges are tvb-library's, widened where TVB-AdEx's
/// published settings fall outside (`T` up to 100 ms). The polynomial fits
/// `P_e`, `P_i` are ten scalars each (`P_e0` … `P_e9`); a graph file may
/// also give the whole list, `P_e = [ … ]`.
pub const PARAMS: &[ParamDef] = &[
    p("g_L", 10.0, 0.1, 100.0, "nS", "Leak conductance"),
    p(
        "E_L_e",
        -65.0,
        -90.0,
        -60.0,
        "mV",
        "Leak reversal potential of excitatory cells",
    ),
    p(
        "E_L_i",
        -65.0,
        -90.0,
        -60.0,
        "mV",
        "Leak reversal potential of inhibitory cells",
    ),
    p("C_m", 200.0, 10.0, 500.0, "pF", "Membrane capacitance"),
    p(
        "b_e",
        60.0,
        0.0,
        150.0,
        "pA",
        "Spike-triggered adaptation increment of excitatory cells",
    ),
    p(
        "a_e",
        4.0,
        0.0,
        20.0,
        "nS",
        "Subthreshold adaptation conductance of excitatory cells",
    ),
    p(
        "b_i",
        0.0,
        0.0,
        100.0,
        "pA",
        "Spike-triggered adaptation increment of inhibitory cells",
    ),
    p(
        "a_i",
        0.0,
        0.0,
        20.0,
        "nS",
        "Subthreshold adaptation conductance of inhibitory cells",
    ),
    p(
        "tau_w_e",
        500.0,
        1.0,
        1000.0,
        "ms",
        "Adaptation time constant of excitatory cells",
    ),
    p(
        "tau_w_i",
        1.0,
        1.0,
        1000.0,
        "ms",
        "Adaptation time constant of inhibitory cells",
    ),
    p(
        "E_e",
        0.0,
        -20.0,
        20.0,
        "mV",
        "Excitatory reversal potential",
    ),
    p(
        "E_i",
        -80.0,
        -100.0,
        -60.0,
        "mV",
        "Inhibitory reversal potential",
    ),
    p("Q_e", 1.5, 0.0, 5.0, "nS", "Excitatory quantal conductance"),
    p(
        "Q_i",
        5.0,
        0.0,
        10.0,
        "nS",
        "Inhibitory quantal conductance",
    ),
    p(
        "tau_e",
        5.0,
        1.0,
        10.0,
        "ms",
        "Excitatory synaptic decay time",
    ),
    p(
        "tau_i",
        5.0,
        0.5,
        10.0,
        "ms",
        "Inhibitory synaptic decay time",
    ),
    p(
        "N_tot",
        10000.0,
        1000.0,
        50000.0,
        "1",
        "Number of cells of the modelled network",
    ),
    p(
        "p_connect_e",
        0.05,
        0.001,
        0.2,
        "1",
        "Connection probability from excitatory cells",
    ),
    p(
        "p_connect_i",
        0.05,
        0.001,
        0.2,
        "1",
        "Connection probability from inhibitory cells",
    ),
    p("g", 0.2, 0.01, 0.4, "1", "Fraction of inhibitory cells"),
    p(
        "K_ext_e",
        400.0,
        0.0,
        10000.0,
        "1",
        "Number of excitatory connections from outside the network",
    ),
    p(
        "K_ext_i",
        0.0,
        0.0,
        10000.0,
        "1",
        "Number of inhibitory connections from outside the network",
    ),
    p(
        "T",
        20.0,
        1.0,
        100.0,
        "ms",
        "Time scale of the Markovian (master equation) description",
    ),
    p(
        "P_e0",
        -0.04983106,
        -1.0,
        1.0,
        "V",
        "Threshold polynomial of excitatory cells: constant term",
    ),
    p("P_e1", 0.005063550882777035, -1.0, 1.0, "V", "… V term"),
    p("P_e2", -0.023470121807314552, -1.0, 1.0, "V", "… S term"),
    p("P_e3", 0.0022951513725067503, -1.0, 1.0, "V", "… T term"),
    p("P_e4", -0.0004105302652029825, -1.0, 1.0, "V", "… V² term"),
    p("P_e5", 0.010547051343547399, -1.0, 1.0, "V", "… S² term"),
    p("P_e6", -0.03659252821136933, -1.0, 1.0, "V", "… T² term"),
    p("P_e7", 0.007437487505797858, -1.0, 1.0, "V", "… V·S term"),
    p("P_e8", 0.001265064721846073, -1.0, 1.0, "V", "… V·T term"),
    p("P_e9", -0.04072161294490446, -1.0, 1.0, "V", "… S·T term"),
    p(
        "P_i0",
        -0.05149122024209484,
        -1.0,
        1.0,
        "V",
        "Threshold polynomial of inhibitory cells: constant term",
    ),
    p("P_i1", 0.004003689190271077, -1.0, 1.0, "V", "… V term"),
    p("P_i2", -0.008352013668528155, -1.0, 1.0, "V", "… S term"),
    p("P_i3", 0.0002414237992765705, -1.0, 1.0, "V", "… T term"),
    p("P_i4", -0.0005070645080016026, -1.0, 1.0, "V", "… V² term"),
    p("P_i5", 0.0014345394104282397, -1.0, 1.0, "V", "… S² term"),
    p("P_i6", -0.014686689498949967, -1.0, 1.0, "V", "… T² term"),
    p("P_i7", 0.004502706285435741, -1.0, 1.0, "V", "… V·S term"),
    p("P_i8", 0.0028472190352532454, -1.0, 1.0, "V", "… V·T term"),
    p("P_i9", -0.015357804594594548, -1.0, 1.0, "V", "… S·T term"),
    p(
        "external_input_ex_ex",
        0.0,
        0.0,
        0.1,
        "kHz",
        "External excitatory drive of excitatory cells",
    ),
    p(
        "external_input_ex_in",
        0.0,
        0.0,
        0.1,
        "kHz",
        "External inhibitory drive of excitatory cells",
    ),
    p(
        "external_input_in_ex",
        0.0,
        0.0,
        0.1,
        "kHz",
        "External excitatory drive of inhibitory cells",
    ),
    p(
        "external_input_in_in",
        0.0,
        0.0,
        0.1,
        "kHz",
        "External inhibitory drive of inhibitory cells",
    ),
    p(
        "tau_OU",
        5.0,
        0.1,
        10.0,
        "ms",
        "Time constant of the Ornstein-Uhlenbeck noise drive",
    ),
    p(
        "weight_noise",
        10.5,
        0.0,
        50.0,
        "kHz",
        "Weight of the Ornstein-Uhlenbeck drive in the excitatory input",
    ),
    p(
        "S_i",
        1.0,
        0.0,
        2.0,
        "1",
        "Scaling of the long-range input of inhibitory cells relative to excitatory ones",
    ),
];

/// Ranges of random initial conditions shared by both models (kHz, pA).
pub(super) const RATE_RANGE: (f64, f64) = (1e-3, 250e-3);

/// The cell and network constants the transfer function needs.
#[derive(Debug, Clone)]
pub struct Cells {
    pub(super) g_l: f64,
    pub(super) c_m: f64,
    pub(super) e_e: f64,
    pub(super) e_i: f64,
    pub(super) q_e: f64,
    pub(super) q_i: f64,
    pub(super) tau_e: f64,
    pub(super) tau_i: f64,
    pub(super) n_tot: f64,
    pub(super) p_e: f64,
    pub(super) p_i: f64,
    pub(super) g: f64,
    pub(super) k_ext_e: f64,
    pub(super) k_ext_i: f64,
}

/// One population's transfer function: its leak potential and polynomial.
#[derive(Debug, Clone)]
pub struct Population {
    pub(super) e_l: f64,
    pub(super) poly: [f64; 10],
}

impl Cells {
    /// From a parameter set of [`PARAMS`].
    pub fn new(p: &ParamSet) -> Self {
        Self {
            g_l: get(p, "g_L"),
            c_m: get(p, "C_m"),
            e_e: get(p, "E_e"),
            e_i: get(p, "E_i"),
            q_e: get(p, "Q_e"),
            q_i: get(p, "Q_i"),
            tau_e: get(p, "tau_e"),
            tau_i: get(p, "tau_i"),
            n_tot: get(p, "N_tot"),
            p_e: get(p, "p_connect_e"),
            p_i: get(p, "p_connect_i"),
            g: get(p, "g"),
            k_ext_e: get(p, "K_ext_e"),
            k_ext_i: get(p, "K_ext_i"),
        }
    }

    /// Mean membrane potential μ_V (mV), its standard deviation σ_V (mV) and
    /// autocorrelation time T_V (ms): tvb-library's `get_fluct_regime_vars`.
    #[inline(always)]
    pub fn fluct(&self, fe: f64, fi: f64, fe_ext: f64, fi_ext: f64, w: f64, e_l: f64) -> [f64; 3] {
        let fe = (fe + 1.0e-6) * (1. - self.g) * self.p_e * self.n_tot + fe_ext * self.k_ext_e;
        let fi = (fi + 1.0e-6) * self.g * self.p_i * self.n_tot + fi_ext * self.k_ext_i;
        let mu_ge = self.q_e * self.tau_e * fe;
        let mu_gi = self.q_i * self.tau_i * fi;
        let mu_g = self.g_l + mu_ge + mu_gi;
        let t_m = self.c_m / mu_g;
        let mu_v = (mu_ge * self.e_e + mu_gi * self.e_i + self.g_l * e_l - w) / mu_g;
        let u_e = self.q_e / mu_g * (self.e_e - mu_v);
        let u_i = self.q_i / mu_g * (self.e_i - mu_v);
        let ae = u_e * self.tau_e;
        let ai = u_i * self.tau_i;
        let (ae2, ai2) = (ae * ae, ai * ai);
        let sigma_v =
            (fe * ae2 / (2. * (self.tau_e + t_m)) + fi * ai2 / (2. * (self.tau_i + t_m))).sqrt();
        let num = fe * ae2 + fi * ai2;
        let den = fe * ae2 / (self.tau_e + t_m) + fi * ai2 / (self.tau_i + t_m);
        [mu_v, sigma_v, num / den]
    }

    /// Output rate (kHz) of population `pop` for excitatory and inhibitory
    /// rates `fe`, `fi`, external inputs `fe_ext`, `fi_ext` (kHz) and
    /// adaptation `w` (pA): tvb-library's `TF`.
    #[inline(always)]
    pub fn tf(&self, pop: &Population, fe: f64, fi: f64, fe_ext: f64, fi_ext: f64, w: f64) -> f64 {
        let [mu_v, sigma_v, t_v] = self.fluct(fe, fi, fe_ext, fi_ext, w, pop.e_l);
        let tvn = t_v * self.g_l / self.c_m;
        let v = (mu_v - -60.0) / 10.0;
        let s = (sigma_v - 4.0) / 6.0;
        let t = (tvn - 0.5) / 1.;
        let pp = &pop.poly;
        let v_thre = pp[0]
            + pp[1] * v
            + pp[2] * s
            + pp[3] * t
            + pp[4] * (v * v)
            + pp[5] * (s * s)
            + pp[6] * (t * t)
            + pp[7] * v * s
            + pp[8] * v * t
            + pp[9] * s * t;
        let v_thre = v_thre * 1e3;
        libm::erfc((v_thre - mu_v) / (std::f64::consts::SQRT_2 * sigma_v)) / (2. * t_v)
    }
}

impl Population {
    /// The excitatory (`which = 'e'`) or inhibitory (`'i'`) population.
    pub fn new(p: &ParamSet, which: char) -> Self {
        let mut poly = [0.0; 10];
        for (k, c) in poly.iter_mut().enumerate() {
            *c = get(p, &format!("P_{which}{k}"));
        }
        Self {
            e_l: get(p, &format!("E_L_{which}")),
            poly,
        }
    }
}
