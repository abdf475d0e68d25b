//! Montbrió-Pazó-Roxin exact mean field of quadratic integrate-and-fire
//! neurons (Montbrió, Pazó & Roxin 2015), tvb-library's `MontbrioPazoRoxin`.
//!
//! ```text
//! dr/dt = (Δ/(π·τ) + 2·V·r) / τ
//! dV/dt = (V² − π²·τ²·r² + η + J·τ·r + I + c_r·C_r + c_v·C_V) / τ
//! ```
//! `C_r`, `C_V` are the couplings of `r` and `V`; `r ≥ 0` is clamped.
//! Time in ms (dimensionless in the original, scaled by τ).

use super::{get, Dfun, ModelInfo, FREE};
use crate::params::{p, ParamDef, ParamSet};

/// Parameters, as tvb-library 2.10 declares them.
pub const PARAMS: &[ParamDef] = &[
    p("tau", 1.0, 0.001, 15.0, "ms", "Characteristic time"),
    p("I", 0.0, -10.0, 10.0, "1", "External current"),
    p(
        "Delta",
        1.0,
        0.0,
        10.0,
        "1",
        "Half-width of the heterogeneous noise distribution",
    ),
    p("J", 15.0, -25.0, 25.0, "1", "Mean synaptic weight"),
    p(
        "eta",
        -5.0,
        -10.0,
        10.0,
        "1",
        "Constant parameter to scale the rate of feedback from the firing rate variable to itself",
    ),
    p(
        "Gamma",
        0.0,
        0.0,
        10.0,
        "1",
        "Half-width of synaptic weight distribution (unused, as in tvb-library)",
    ),
    p(
        "cr",
        1.0,
        0.0,
        1.0,
        "1",
        "Global coupling scaling of the firing rate coupling",
    ),
    p(
        "cv",
        0.0,
        0.0,
        1.0,
        "1",
        "Global coupling scaling of the membrane potential coupling",
    ),
];

/// Static description.
pub static INFO: ModelInfo = ModelInfo {
    name: "MontbrioPazoRoxin",
    doc: "Montbrió-Pazó-Roxin next-generation neural mass of QIF neurons (Montbrió et al. 2015, Phys Rev X 5:021028)",
    params: PARAMS,
    state_variables: &["r", "V"],
    cvar: &[0, 1],
    range: &[(0.0, 2.0), (-2.0, 1.5)],
    bounds: &[(0.0, f64::INFINITY), FREE],
    voi: &["r", "V"],
};

/// Parameter values.
#[derive(Debug, Clone)]
pub struct MontbrioPazoRoxin {
    tau: f64,
    i: f64,
    delta: f64,
    j: f64,
    eta: f64,
    cr: f64,
    cv: f64,
}

impl MontbrioPazoRoxin {
    /// From a validated parameter set of [`PARAMS`].
    pub fn new(p: &ParamSet) -> Self {
        Self {
            tau: get(p, "tau"),
            i: get(p, "I"),
            delta: get(p, "Delta"),
            j: get(p, "J"),
            eta: get(p, "eta"),
            cr: get(p, "cr"),
            cv: get(p, "cv"),
        }
    }
}

impl Dfun for MontbrioPazoRoxin {
    #[inline(always)]
    fn dfun(&self, x: &[f64], c: &[f64], dx: &mut [f64]) {
        use std::f64::consts::PI;
        let (r, v, tau) = (x[0], x[1], self.tau);
        // Operation order as tvb-library's numpy dfun.
        dx[0] = 1.0 / tau * (self.delta / (PI * tau) + 2.0 * v * r);
        dx[1] = 1.0 / tau
            * (v.powi(2) - PI.powi(2) * tau.powi(2) * r.powi(2)
                + self.eta
                + self.j * tau * r
                + self.i
                + self.cr * c[0]
                + self.cv * c[1]);
    }
}
