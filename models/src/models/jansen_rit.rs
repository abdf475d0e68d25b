//! Jansen-Rit neural mass (Jansen & Rit 1995), tvb-library's `JansenRit`.
//!
//! ```text
//! S(v)  = 2·ν_max / (1 + exp(r·(v0 − v)))                   (kHz)
//! dy0 = y3            dy1 = y4            dy2 = y5           (mV/ms)
//! dy3 = A·a·S(y1 − y2) − 2a·y3 − a²·y0
//! dy4 = A·a·(μ + a2·J·S(a1·J·y0) + c) − 2a·y4 − a²·y1
//! dy5 = B·b·(a4·J·S(a3·J·y0)) − 2b·y5 − b²·y2
//! ```
//! `c` is the coupling term (with `SigmoidalJansenRit`, the sigmoid of the
//! delayed `y1 − y2`). Time in ms, potentials in mV.

use super::{get, Dfun, ModelInfo, FREE};
use crate::params::{p, ParamDef, ParamSet};

/// Parameters, as tvb-library 2.10 declares them.
pub const PARAMS: &[ParamDef] = &[
    p("A", 3.25, 2.6, 9.75, "mV", "Maximum amplitude of EPSP"),
    p("B", 22.0, 17.6, 110.0, "mV", "Maximum amplitude of IPSP"),
    p(
        "a",
        0.1,
        0.05,
        0.15,
        "ms^-1",
        "Reciprocal of the time constant of passive membrane and dendritic delays (excitatory)",
    ),
    p(
        "b",
        0.05,
        0.025,
        0.075,
        "ms^-1",
        "Reciprocal of the time constant (inhibitory)",
    ),
    p(
        "v0",
        5.52,
        3.12,
        6.0,
        "mV",
        "Firing threshold (PSP) for which 50% of the firing rate is achieved",
    ),
    p(
        "nu_max",
        0.0025,
        0.00125,
        0.00375,
        "ms^-1",
        "Maximum firing rate",
    ),
    p(
        "r",
        0.56,
        0.28,
        0.84,
        "mV^-1",
        "Steepness of the sigmoidal transformation",
    ),
    p(
        "J",
        135.0,
        65.0,
        1350.0,
        "1",
        "Average number of synapses between populations",
    ),
    p(
        "a_1",
        1.0,
        0.5,
        1.5,
        "1",
        "Average probability of synapse formation, feedback excitatory loop",
    ),
    p(
        "a_2",
        0.8,
        0.4,
        1.2,
        "1",
        "Average probability of synapse formation, slow feedback excitatory loop",
    ),
    p(
        "a_3",
        0.25,
        0.125,
        0.375,
        "1",
        "Average probability of synapse formation, feedback inhibitory loop",
    ),
    p(
        "a_4",
        0.25,
        0.125,
        0.375,
        "1",
        "Average probability of synapse formation, slow feedback inhibitory loop",
    ),
    p(
        "p_min",
        0.12,
        0.0,
        0.12,
        "ms^-1",
        "Minimum input firing rate",
    ),
    p(
        "p_max",
        0.32,
        0.0,
        0.32,
        "ms^-1",
        "Maximum input firing rate",
    ),
    p("mu", 0.22, 0.0, 0.22, "ms^-1", "Mean input firing rate"),
];

/// Static description.
pub static INFO: ModelInfo = ModelInfo {
    name: "JansenRit",
    doc: "Jansen-Rit cortical column of pyramidal, excitatory and inhibitory interneuron populations (Jansen & Rit 1995, Biol Cybern 73:357)",
    params: PARAMS,
    state_variables: &["y0", "y1", "y2", "y3", "y4", "y5"],
    cvar: &[1, 2],
    range: &[
        (-1.0, 1.0),
        (-500.0, 500.0),
        (-50.0, 50.0),
        (-6.0, 6.0),
        (-20.0, 20.0),
        (-500.0, 500.0),
    ],
    bounds: &[FREE, FREE, FREE, FREE, FREE, FREE],
    voi: &["y0", "y1", "y2", "y3"],
};

/// Parameter values.
#[derive(Debug, Clone)]
pub struct JansenRit {
    a_big: f64,
    b_big: f64,
    a: f64,
    b: f64,
    v0: f64,
    nu_max: f64,
    r: f64,
    j: f64,
    a_1: f64,
    a_2: f64,
    a_3: f64,
    a_4: f64,
    mu: f64,
}

impl JansenRit {
    /// From a validated parameter set of [`PARAMS`].
    pub fn new(p: &ParamSet) -> Self {
        Self {
            a_big: get(p, "A"),
            b_big: get(p, "B"),
            a: get(p, "a"),
            b: get(p, "b"),
            v0: get(p, "v0"),
            nu_max: get(p, "nu_max"),
            r: get(p, "r"),
            j: get(p, "J"),
            a_1: get(p, "a_1"),
            a_2: get(p, "a_2"),
            a_3: get(p, "a_3"),
            a_4: get(p, "a_4"),
            mu: get(p, "mu"),
        }
    }
}

impl Dfun for JansenRit {
    #[inline(always)]
    fn dfun(&self, y: &[f64], c: &[f64], dx: &mut [f64]) {
        // Operation order as tvb-library's numba kernel `_numba_dfun_jr`
        // (local coupling src = 0).
        let s12 = 2.0 * self.nu_max / (1.0 + (self.r * (self.v0 - (y[1] - y[2]))).exp());
        let s01 =
            2.0 * self.nu_max / (1.0 + (self.r * (self.v0 - (self.a_1 * self.j * y[0]))).exp());
        let s03 =
            2.0 * self.nu_max / (1.0 + (self.r * (self.v0 - (self.a_3 * self.j * y[0]))).exp());
        let a = self.a;
        let b = self.b;
        dx[0] = y[3];
        dx[1] = y[4];
        dx[2] = y[5];
        dx[3] = self.a_big * a * s12 - 2.0 * a * y[3] - a.powi(2) * y[0];
        dx[4] = self.a_big * a * (self.mu + self.a_2 * self.j * s01 + c[0] + 0.0)
            - 2.0 * a * y[4]
            - a.powi(2) * y[1];
        dx[5] = self.b_big * b * (self.a_4 * self.j * s03) - 2.0 * b * y[5] - b.powi(2) * y[2];
    }
}
