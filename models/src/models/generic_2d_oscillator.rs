//! Generic 2-D oscillator (Sanz-Leon et al. 2015), tvb-library's
//! `Generic2dOscillator`.
//!
//! ```text
//! dV/dt = d·τ·(α·W − f·V³ + e·V² + g·V + γ·I + γ·c)
//! dW/dt = d·(a + b·V + c_p·V² − β·W) / τ
//! ```
//! `c` is the coupling of `V`, `c_p` the parameter tvb-library calls `c`.
//! Time in ms; V and W are dimensionless.

use super::{get, Dfun, ModelInfo, FREE};
use crate::params::{p, ParamDef, ParamSet};

/// Parameters, as tvb-library 2.10 declares them.
pub const PARAMS: &[ParamDef] = &[
    p(
        "tau",
        1.0,
        1.0,
        5.0,
        "1",
        "Time-scale hierarchy between V and W",
    ),
    p(
        "I",
        0.0,
        -5.0,
        5.0,
        "1",
        "Baseline shift of the cubic nullcline",
    ),
    p(
        "a",
        -2.0,
        -5.0,
        5.0,
        "1",
        "Vertical shift of the configurable nullcline",
    ),
    p(
        "b",
        -10.0,
        -20.0,
        15.0,
        "1",
        "Linear slope of the configurable nullcline",
    ),
    p(
        "c",
        0.0,
        -10.0,
        10.0,
        "1",
        "Parabolic term of the configurable nullcline",
    ),
    p("d", 0.02, 0.0001, 1.0, "kHz", "Temporal scale factor"),
    p(
        "e",
        3.0,
        -5.0,
        5.0,
        "1",
        "Coefficient of the quadratic term of the cubic nullcline",
    ),
    p(
        "f",
        1.0,
        -5.0,
        5.0,
        "1",
        "Coefficient of the cubic term of the cubic nullcline",
    ),
    p(
        "g",
        0.0,
        -5.0,
        5.0,
        "1",
        "Coefficient of the linear term of the cubic nullcline",
    ),
    p(
        "alpha",
        1.0,
        -5.0,
        5.0,
        "1",
        "Constant parameter to scale the rate of feedback from W to V",
    ),
    p(
        "beta",
        1.0,
        -5.0,
        5.0,
        "1",
        "Constant parameter to scale the rate of feedback from W to W",
    ),
    p(
        "gamma",
        1.0,
        -1.0,
        1.0,
        "1",
        "Constant parameter to reproduce FHN dynamics",
    ),
];

/// Static description.
pub static INFO: ModelInfo = ModelInfo {
    name: "Generic2dOscillator",
    doc: "Generic 2-D oscillator with cubic and configurable nullclines (Sanz-Leon et al. 2015, NeuroImage 111:385)",
    params: PARAMS,
    state_variables: &["V", "W"],
    cvar: &[0],
    range: &[(-2.0, 4.0), (-6.0, 6.0)],
    bounds: &[FREE, FREE],
    voi: &["V"],
};

/// Parameter values.
#[derive(Debug, Clone)]
pub struct Generic2dOscillator {
    tau: f64,
    i: f64,
    a: f64,
    b: f64,
    c: f64,
    d: f64,
    e: f64,
    f: f64,
    g: f64,
    alpha: f64,
    beta: f64,
    gamma: f64,
}

impl Generic2dOscillator {
    /// From a validated parameter set of [`PARAMS`].
    pub fn new(p: &ParamSet) -> Self {
        Self {
            tau: get(p, "tau"),
            i: get(p, "I"),
            a: get(p, "a"),
            b: get(p, "b"),
            c: get(p, "c"),
            d: get(p, "d"),
            e: get(p, "e"),
            f: get(p, "f"),
            g: get(p, "g"),
            alpha: get(p, "alpha"),
            beta: get(p, "beta"),
            gamma: get(p, "gamma"),
        }
    }
}

impl Dfun for Generic2dOscillator {
    #[inline(always)]
    fn dfun(&self, x: &[f64], c: &[f64], dx: &mut [f64]) {
        // Operation order as tvb-library's numba kernel `_numba_dfun_g2d`
        // (local coupling term lc_0 = 0).
        let v = x[0];
        let v2 = v * v;
        let w = x[1];
        dx[0] = self.d
            * self.tau
            * (self.alpha * w - self.f * v2 * v
                + self.e * v2
                + self.g * v
                + self.gamma * self.i
                + self.gamma * c[0]
                + 0.0);
        dx[1] = self.d * (self.a + self.b * v + self.c * v2 - self.beta * w) / self.tau;
    }
}
