//! Reduced Wong-Wang model with excitatory and inhibitory populations
//! (Deco et al. 2014, J Neurosci 34:7886, equations 5–10), tvb-library's
//! `ReducedWongWangExcInh`.
//!
//! ```text
//! cc   = G·J_N·c
//! x_e  = a_e·(w_p·J_N·S_e − J_i·S_i + W_e·I_o + cc + I_ext) − b_e     (Hz after gain)
//! H_e  = x_e / (1 − exp(−d_e·x_e))
//! dS_e/dt = −S_e/τ_e + (1 − S_e)·H_e·γ_e
//! x_i  = a_i·(J_N·S_e − S_i + W_i·I_o + λ·cc) − b_i
//! H_i  = x_i / (1 − exp(−d_i·x_i))
//! dS_i/dt = −S_i/τ_i + H_i·γ_i
//! ```
//! `c` is the coupling of `S_e`; both gating variables are clamped to [0, 1].
//! Time in ms, rates in Hz (hence γ in 1/1000).

use super::{get, Dfun, ModelInfo};
use crate::params::{p, ParamDef, ParamSet};

/// Parameters, as tvb-library 2.10 declares them.
pub const PARAMS: &[ParamDef] = &[
    p(
        "a_e",
        310.0,
        0.0,
        500.0,
        "n/C",
        "Excitatory population input gain",
    ),
    p(
        "b_e",
        125.0,
        0.0,
        200.0,
        "Hz",
        "Excitatory population input shift",
    ),
    p(
        "d_e",
        0.160,
        0.0,
        0.2,
        "s",
        "Excitatory population parameter chosen to fit numerical solutions",
    ),
    p(
        "gamma_e",
        0.641 / 1000.0,
        0.0,
        1.0 / 1000.0,
        "1",
        "Excitatory population kinetic parameter",
    ),
    p(
        "tau_e",
        100.0,
        50.0,
        150.0,
        "ms",
        "Excitatory population NMDA decay time constant",
    ),
    p(
        "w_p",
        1.4,
        0.0,
        2.0,
        "1",
        "Excitatory population recurrence weight",
    ),
    p("J_N", 0.15, 0.001, 0.5, "nA", "NMDA current"),
    p(
        "W_e",
        1.0,
        0.0,
        2.0,
        "1",
        "Excitatory population external input scaling weight",
    ),
    p(
        "a_i",
        615.0,
        0.0,
        1000.0,
        "n/C",
        "Inhibitory population input gain",
    ),
    p(
        "b_i",
        177.0,
        0.0,
        200.0,
        "Hz",
        "Inhibitory population input shift",
    ),
    p(
        "d_i",
        0.087,
        0.0,
        0.2,
        "s",
        "Inhibitory population parameter chosen to fit numerical solutions",
    ),
    p(
        "gamma_i",
        1.0 / 1000.0,
        0.0,
        2.0 / 1000.0,
        "1",
        "Inhibitory population kinetic parameter",
    ),
    p(
        "tau_i",
        10.0,
        5.0,
        100.0,
        "ms",
        "Inhibitory population GABA decay time constant",
    ),
    p("J_i", 1.0, 0.001, 2.0, "nA", "Local inhibitory current"),
    p(
        "W_i",
        0.7,
        0.0,
        1.0,
        "1",
        "Inhibitory population external input scaling weight",
    ),
    p("I_o", 0.382, 0.0, 1.0, "nA", "Effective external input"),
    p("I_ext", 0.0, 0.0, 1.0, "nA", "External stimulation input"),
    p("G", 2.0, 0.0, 10.0, "1", "Global coupling scaling"),
    p(
        "lamda",
        0.0,
        0.0,
        1.0,
        "1",
        "Inhibitory global coupling scaling",
    ),
];

/// Static description.
pub static INFO: ModelInfo = ModelInfo {
    name: "ReducedWongWangExcInh",
    doc: "Reduced Wong-Wang with excitatory and inhibitory pools (Deco et al. 2014, J Neurosci 34:7886)",
    params: PARAMS,
    state_variables: &["S_e", "S_i"],
    cvar: &[0],
    range: &[(0.0, 1.0), (0.0, 1.0)],
    bounds: &[(0.0, 1.0), (0.0, 1.0)],
    voi: &["S_e", "S_i"],
};

/// Parameter values.
#[derive(Debug, Clone)]
pub struct ReducedWongWangExcInh {
    a_e: f64,
    b_e: f64,
    d_e: f64,
    gamma_e: f64,
    tau_e: f64,
    w_p: f64,
    j_n: f64,
    w_e: f64,
    a_i: f64,
    b_i: f64,
    d_i: f64,
    gamma_i: f64,
    tau_i: f64,
    j_i: f64,
    w_i: f64,
    i_o: f64,
    i_ext: f64,
    g: f64,
    lamda: f64,
}

impl ReducedWongWangExcInh {
    /// From a validated parameter set of [`PARAMS`].
    pub fn new(p: &ParamSet) -> Self {
        Self {
            a_e: get(p, "a_e"),
            b_e: get(p, "b_e"),
            d_e: get(p, "d_e"),
            gamma_e: get(p, "gamma_e"),
            tau_e: get(p, "tau_e"),
            w_p: get(p, "w_p"),
            j_n: get(p, "J_N"),
            w_e: get(p, "W_e"),
            a_i: get(p, "a_i"),
            b_i: get(p, "b_i"),
            d_i: get(p, "d_i"),
            gamma_i: get(p, "gamma_i"),
            tau_i: get(p, "tau_i"),
            j_i: get(p, "J_i"),
            w_i: get(p, "W_i"),
            i_o: get(p, "I_o"),
            i_ext: get(p, "I_ext"),
            g: get(p, "G"),
            lamda: get(p, "lamda"),
        }
    }
}

impl Dfun for ReducedWongWangExcInh {
    #[inline(always)]
    fn dfun(&self, s: &[f64], c: &[f64], dx: &mut [f64]) {
        // Operation order as tvb-library's numba kernel.
        let cc = self.g * self.j_n * c[0];
        let jn_se = self.j_n * s[0];
        let x = self.w_p * jn_se - self.j_i * s[1] + self.w_e * self.i_o + cc + self.i_ext;
        let x = self.a_e * x - self.b_e;
        let h = x / (1.0 - (-self.d_e * x).exp());
        dx[0] = -(s[0] / self.tau_e) + (1.0 - s[0]) * h * self.gamma_e;
        let x = jn_se - s[1] + self.w_i * self.i_o + self.lamda * cc;
        let x = self.a_i * x - self.b_i;
        let h = x / (1.0 - (-self.d_i * x).exp());
        dx[1] = -(s[1] / self.tau_i) + h * self.gamma_i;
    }
}
