//! Reduced Wong-Wang model (Wong & Wang 2006; Deco et al. 2013), tvb-library's
//! `ReducedWongWang`.
//!
//! One state variable, the NMDA gating `S ∈ [0, 1]` (clamped), per region:
//!
//! ```text
//! x   = w·J_N·S + I_o + J_N·c                       (nA)
//! H   = (a·x − b) / (1 − exp(−d·(a·x − b)))         (kHz)
//! dS/dt = −S/τ_s + (1 − S)·H·γ                      (1/ms)
//! ```
//! `c` is the long-range coupling of `S`. Time in ms.

use super::{get, Dfun, ModelInfo};
use crate::params::{p, ParamDef, ParamSet};

/// Parameters, as tvb-library 2.10 declares them.
pub const PARAMS: &[ParamDef] = &[
    p(
        "a",
        0.270,
        0.0,
        0.270,
        "n/C",
        "Input gain parameter, chosen to fit numerical solutions",
    ),
    p(
        "b",
        0.108,
        0.0,
        1.0,
        "kHz",
        "Input shift parameter chosen to fit numerical solutions",
    ),
    p(
        "d",
        154.0,
        0.0,
        200.0,
        "ms",
        "Parameter chosen to fit numerical solutions",
    ),
    p("gamma", 0.641, 0.0, 1.0, "1", "Kinetic parameter"),
    p(
        "tau_s",
        100.0,
        50.0,
        150.0,
        "ms",
        "Kinetic parameter: NMDA decay time constant",
    ),
    p("w", 0.6, 0.0, 1.0, "1", "Excitatory recurrence"),
    p("J_N", 0.2609, 0.2609, 0.5, "nA", "Excitatory recurrence"),
    p("I_o", 0.33, 0.0, 1.0, "nA", "Effective external input"),
    p(
        "sigma_noise",
        1e-9,
        0.0,
        0.005,
        "nA",
        "Noise amplitude (used by noise settings, not by dfun)",
    ),
];

/// Static description.
pub static INFO: ModelInfo = ModelInfo {
    name: "ReducedWongWang",
    doc: "Reduced Wong-Wang: one NMDA gating variable S per region (Deco et al. 2013, J Neurosci 32:11239)",
    params: PARAMS,
    state_variables: &["S"],
    cvar: &[0],
    range: &[(0.0, 1.0)],
    bounds: &[(0.0, 1.0)],
    voi: &["S"],
};

/// Parameter values.
#[derive(Debug, Clone)]
pub struct ReducedWongWang {
    a: f64,
    b: f64,
    d: f64,
    gamma: f64,
    tau_s: f64,
    w: f64,
    j_n: f64,
    i_o: f64,
}

impl ReducedWongWang {
    /// From a validated parameter set of [`PARAMS`].
    pub fn new(p: &ParamSet) -> Self {
        Self {
            a: get(p, "a"),
            b: get(p, "b"),
            d: get(p, "d"),
            gamma: get(p, "gamma"),
            tau_s: get(p, "tau_s"),
            w: get(p, "w"),
            j_n: get(p, "J_N"),
            i_o: get(p, "I_o"),
        }
    }
}

impl Dfun for ReducedWongWang {
    #[inline(always)]
    fn dfun(&self, x: &[f64], c: &[f64], dx: &mut [f64]) {
        // Operation order as tvb-library's numba kernel `_numba_dfun`.
        let s = x[0];
        let xx = self.w * self.j_n * s + self.i_o + self.j_n * c[0];
        let h = (self.a * xx - self.b) / (1.0 - (-self.d * (self.a * xx - self.b)).exp());
        dx[0] = -(s / self.tau_s) + (1.0 - s) * h * self.gamma;
    }
}
