//! Kuramoto phase oscillators (Kuramoto 1975), tvb-library's `Kuramoto`.
//!
//! ```text
//! dθ/dt = ω + c
//! ```
//! `c` is the coupling term, normally the `Kuramoto` coupling
//! `a·Σ_j w_ij·sin(θ_j(t − d_ij) − θ_i)`. θ in rad, ω in rad/ms. θ is not
//! wrapped, as in tvb-library.

use super::{get, Dfun, ModelInfo, FREE};
use crate::params::{p, ParamDef, ParamSet};

/// Parameters, as tvb-library 2.10 declares them.
pub const PARAMS: &[ParamDef] = &[p(
    "omega",
    1.0,
    0.01,
    200.0,
    "rad/ms",
    "Intrinsic angular frequency of each oscillator",
)];

/// Static description.
pub static INFO: ModelInfo = ModelInfo {
    name: "Kuramoto",
    doc: "Kuramoto phase oscillators (Kuramoto 1975; Cabral et al. 2011, NeuroImage 57:130)",
    params: PARAMS,
    state_variables: &["theta"],
    cvar: &[0],
    range: &[(0.0, std::f64::consts::TAU)],
    bounds: &[FREE],
    voi: &["theta"],
};

/// Parameter values.
#[derive(Debug, Clone)]
pub struct Kuramoto {
    omega: f64,
}

impl Kuramoto {
    /// From a validated parameter set of [`PARAMS`].
    pub fn new(p: &ParamSet) -> Self {
        Self {
            omega: get(p, "omega"),
        }
    }
}

impl Dfun for Kuramoto {
    #[inline(always)]
    fn dfun(&self, _x: &[f64], c: &[f64], dx: &mut [f64]) {
        // tvb-library: I = coupling[0] + sin(local_coupling * theta), with
        // local coupling 0, so sin(0) = 0.
        dx[0] = self.omega + (c[0] + 0.0);
    }
}
