//! First-order AdEx mean field of TVB-AdEx (Zerlaut et al. 2018; di Volo et
//! al. 2019), tvb-library's `ZerlautAdaptationFirstOrder`.
//!
//! ```text
//! ν_e^ext = max(c + w_noise·OU, 0)            (clamped only if K_ext_e·ν_e^ext < 0)
//! T·dE/dt   = F_e(E, I, ν_e^ext + ext_ex_ex, ext_ex_in, W_e) − E
//! T·dI/dt   = F_i(E, I, ν_e^ext + ext_in_ex, ext_in_in, W_i) − I
//! dW_e/dt   = −W_e/τ_w_e + b_e·E + a_e·(μ_V,e − E_L_e)/τ_w_e
//! dW_i/dt   = −W_i/τ_w_i + b_i·I + a_i·(μ_V,i − E_L_i)/τ_w_i
//! dOU/dt    = −OU/τ_OU                         (noise enters through the integrator)
//! ```
//! `F` is the transfer function of [`zerlaut_transfer_function`](super::zerlaut_transfer_function),
//! `c` the long-range coupling of `E`. Rates `E`, `I` in kHz (clamped ≥ 0),
//! `W` in pA, time in ms.

use super::zerlaut_transfer_function::{Cells, Population, PARAMS, RATE_RANGE};
use super::{get, Dfun, ModelInfo, FREE};
use crate::params::ParamSet;

/// Static description.
pub static INFO: ModelInfo = ModelInfo {
    name: "ZerlautAdaptationFirstOrder",
    doc: "First-order AdEx mean field with adaptation (Zerlaut et al. 2018, J Comput Neurosci 44:45; di Volo et al. 2019), TVB-AdEx",
    params: PARAMS,
    state_variables: &["E", "I", "W_e", "W_i", "ou_drift"],
    cvar: &[0],
    range: &[RATE_RANGE, RATE_RANGE, (0.0, 200.0), (0.0, 0.0), (0.0, 0.0)],
    bounds: &[(0.0, f64::INFINITY), (0.0, f64::INFINITY), FREE, FREE, FREE],
    voi: &["E"],
};

/// Parameter values.
#[derive(Debug, Clone)]
pub struct ZerlautAdaptationFirstOrder {
    pub(super) cells: Cells,
    pub(super) exc: Population,
    pub(super) inh: Population,
    pub(super) b_e: f64,
    pub(super) a_e: f64,
    pub(super) b_i: f64,
    pub(super) a_i: f64,
    pub(super) tau_w_e: f64,
    pub(super) tau_w_i: f64,
    pub(super) t: f64,
    pub(super) ext_ex_ex: f64,
    pub(super) ext_ex_in: f64,
    pub(super) ext_in_ex: f64,
    pub(super) ext_in_in: f64,
    pub(super) tau_ou: f64,
    pub(super) weight_noise: f64,
    pub(super) s_i: f64,
}

impl ZerlautAdaptationFirstOrder {
    /// From a validated parameter set of [`PARAMS`].
    pub fn new(p: &ParamSet) -> Self {
        Self {
            cells: Cells::new(p),
            exc: Population::new(p, 'e'),
            inh: Population::new(p, 'i'),
            b_e: get(p, "b_e"),
            a_e: get(p, "a_e"),
            b_i: get(p, "b_i"),
            a_i: get(p, "a_i"),
            tau_w_e: get(p, "tau_w_e"),
            tau_w_i: get(p, "tau_w_i"),
            t: get(p, "T"),
            ext_ex_ex: get(p, "external_input_ex_ex"),
            ext_ex_in: get(p, "external_input_ex_in"),
            ext_in_ex: get(p, "external_input_in_ex"),
            ext_in_in: get(p, "external_input_in_in"),
            tau_ou: get(p, "tau_OU"),
            weight_noise: get(p, "weight_noise"),
            s_i: get(p, "S_i"),
        }
    }

    /// Adaptation derivative: `−W/τ_w + b·ν + a·(μ_V − E_L)/τ_w`.
    #[inline(always)]
    pub(super) fn adaptation(
        w: f64,
        tau_w: f64,
        b: f64,
        rate: f64,
        a: f64,
        mu_v: f64,
        e_l: f64,
    ) -> f64 {
        -w / tau_w + b * rate + a * (mu_v - e_l) / tau_w
    }
}

impl Dfun for ZerlautAdaptationFirstOrder {
    #[inline(always)]
    fn dfun(&self, x: &[f64], c: &[f64], dx: &mut [f64]) {
        let (e, i, w_e, w_i, ou) = (x[0], x[1], x[2], x[3], x[4]);
        // tvb-library: Fe_ext = c_0 + lc_E + weight_noise·ou (lc = 0),
        // zeroed where Fe_ext·K_ext_e < 0; Fi_ext = lc_I = 0.
        let mut fe_ext = c[0] + 0.0 + self.weight_noise * ou;
        if fe_ext * self.cells.k_ext_e < 0.0 {
            fe_ext = 0.0;
        }
        let (e_in_e, i_in_e) = (fe_ext + self.ext_ex_ex, 0.0 + self.ext_ex_in);
        let (e_in_i, i_in_i) = (fe_ext + self.ext_in_ex, 0.0 + self.ext_in_in);
        let cl = &self.cells;
        dx[0] = (cl.tf(&self.exc, e, i, e_in_e, i_in_e, w_e) - e) / self.t;
        dx[1] = (cl.tf(&self.inh, e, i, e_in_i, i_in_i, w_i) - i) / self.t;
        let mu_ve = cl.fluct(e, i, e_in_e, i_in_e, w_e, self.exc.e_l)[0];
        dx[2] = Self::adaptation(
            w_e,
            self.tau_w_e,
            self.b_e,
            e,
            self.a_e,
            mu_ve,
            self.exc.e_l,
        );
        let mu_vi = cl.fluct(e, i, e_in_i, i_in_i, w_i, self.inh.e_l)[0];
        dx[3] = Self::adaptation(
            w_i,
            self.tau_w_i,
            self.b_i,
            i,
            self.a_i,
            mu_vi,
            self.inh.e_l,
        );
        dx[4] = -ou / self.tau_ou;
    }
}
