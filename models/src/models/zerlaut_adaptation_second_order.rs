//! Second-order AdEx mean field of TVB-AdEx (Zerlaut et al. 2018; di Volo et
//! al. 2019; Goldman et al. 2020), tvb-library's
//! `ZerlautAdaptationSecondOrder`: rates, their covariances and adaptation.
//!
//! ```text
//! ν_e^in,e = max(c + ext_ex_ex + w_noise·OU, 0)      ν_i^in,e = ext_ex_in
//! ν_e^in,i = max(S_i·c + ext_in_ex + w_noise·OU, 0)  ν_i^in,i = ext_in_in
//! F_μ = F_μ(E, I, ν_e^in,μ, ν_i^in,μ, W_μ)                        μ ∈ {e, i}
//! T·dν_μ/dt  = F_μ − ν_μ + ½·Σ_λη c_λη·∂²F_μ/∂ν_λ∂ν_η
//! T·dc_λη/dt = δ_λη·F_λ(1/T − F_λ)/N_λ + (F_λ − ν_λ)(F_η − ν_η)
//!              + Σ_μ (c_λμ·∂F_μ/∂ν_η + c_μη·∂F_μ/∂ν_λ) − 2·c_λη
//! dW_μ/dt    = −W_μ/τ_w_μ + b_μ·ν_μ + a_μ·(μ_V,μ − E_L_μ)/τ_w_μ
//! dOU/dt     = −OU/τ_OU
//! ```
//! with `N_e = N_tot·(1 − g)`, `N_i = N_tot·g`, and the derivatives of `F`
//! taken as tvb-library does: central differences with step `df = 1e-7` kHz,
//! divided by `df·1e3` (so per Hz), both mixed second derivatives evaluated.
//! `c` is the long-range coupling of `E`. Rates in kHz (clamped ≥ 0),
//! covariances in kHz², `W` in pA, time in ms.

use super::zerlaut_adaptation_first_order::ZerlautAdaptationFirstOrder;
use super::zerlaut_transfer_function::{Cells, Population, PARAMS, RATE_RANGE};
use super::{Dfun, ModelInfo, FREE};
use crate::params::ParamSet;

/// Static description.
pub static INFO: ModelInfo = ModelInfo {
    name: "ZerlautAdaptationSecondOrder",
    doc: "Second-order AdEx mean field with adaptation, the model of TVB-AdEx (Zerlaut et al. 2018; di Volo et al. 2019; Goldman et al. 2020)",
    params: PARAMS,
    state_variables: &["E", "I", "C_ee", "C_ei", "C_ii", "W_e", "W_i", "ou_drift"],
    cvar: &[0],
    range: &[
        RATE_RANGE,
        RATE_RANGE,
        (0.0e-3, 0.5e-3),
        (-0.5e-3, 0.5e-3),
        (0.0e-3, 0.5e-3),
        (0.0, 200.0),
        (0.0, 0.0),
        (0.0, 0.0),
    ],
    bounds: &[
        (0.0, f64::INFINITY),
        (0.0, f64::INFINITY),
        FREE,
        FREE,
        FREE,
        FREE,
        FREE,
        FREE,
    ],
    voi: &["E"],
};

/// Parameter values (the first-order model's).
#[derive(Debug, Clone)]
pub struct ZerlautAdaptationSecondOrder(ZerlautAdaptationFirstOrder);

impl ZerlautAdaptationSecondOrder {
    /// From a validated parameter set of [`PARAMS`].
    pub fn new(p: &ParamSet) -> Self {
        Self(ZerlautAdaptationFirstOrder::new(p))
    }
}

/// Finite-difference step of tvb-library, kHz.
const DF: f64 = 1e-7;

/// One population's transfer function and its finite-difference derivatives
/// at (E, I), evaluated as tvb-library's `_diff*` helpers do.
struct Derivs {
    f: f64,
    d_fe: f64,
    d_fi: f64,
    d2_fe_fe: f64,
    d2_fe_fi: f64,
    d2_fi_fe: f64,
    d2_fi_fi: f64,
}

#[inline(always)]
fn derivs(
    cl: &Cells,
    pop: &Population,
    e: f64,
    i: f64,
    fe_ext: f64,
    fi_ext: f64,
    w: f64,
) -> Derivs {
    let tf = |a: f64, b: f64| cl.tf(pop, a, b, fe_ext, fi_ext, w);
    let h1 = 2.0 * DF * 1e3;
    let h2 = (DF * 1e3) * (DF * 1e3);
    let f = tf(e, i);
    let (ep, em, ip, im) = (tf(e + DF, i), tf(e - DF, i), tf(e, i + DF), tf(e, i - DF));
    // the four corners (each computed once; tvb-library evaluates them twice)
    let (pp, pm) = (tf(e + DF, i + DF), tf(e + DF, i - DF));
    let (mp, mm) = (tf(e - DF, i + DF), tf(e - DF, i - DF));
    Derivs {
        f,
        d_fe: (ep - em) / h1,
        d_fi: (ip - im) / h1,
        d2_fe_fe: (ep - 2.0 * f + em) / h2,
        d2_fi_fi: (ip - 2.0 * f + im) / h2,
        // _diff2_fe_fi: d/dfi of d/dfe
        d2_fe_fi: ((pp - mp) / h1 - (pm - mm) / h1) / h1,
        // _diff2_fi_fe: d/dfe of d/dfi
        d2_fi_fe: ((pp - pm) / h1 - (mp - mm) / h1) / h1,
    }
}

impl Dfun for ZerlautAdaptationSecondOrder {
    #[inline(always)]
    fn dfun(&self, x: &[f64], c: &[f64], dx: &mut [f64]) {
        let m = &self.0;
        let cl = &m.cells;
        let (e, i, c_ee, c_ei, c_ii) = (x[0], x[1], x[2], x[3], x[4]);
        let (w_e, w_i, ou) = (x[5], x[6], x[7]);
        let n_e = cl.n_tot * (1. - cl.g);
        let n_i = cl.n_tot * cl.g;
        let noise = m.weight_noise * ou;
        let mut e_in_e = c[0] + 0.0 + m.ext_ex_ex + noise;
        if e_in_e < 0.0 {
            e_in_e = 0.0;
        }
        let mut e_in_i = m.s_i * c[0] + 0.0 + m.ext_in_ex + noise;
        if e_in_i < 0.0 {
            e_in_i = 0.0;
        }
        let i_in_e = 0.0 + m.ext_ex_in;
        let i_in_i = 0.0 + m.ext_in_in;
        let de = derivs(cl, &m.exc, e, i, e_in_e, i_in_e, w_e);
        let di = derivs(cl, &m.inh, e, i, e_in_i, i_in_i, w_i);
        let t = m.t;
        dx[0] = (de.f - e
            + 0.5 * c_ee * de.d2_fe_fe
            + 0.5 * c_ei * de.d2_fe_fi
            + 0.5 * c_ei * de.d2_fi_fe
            + 0.5 * c_ii * de.d2_fi_fi)
            / t;
        dx[1] = (di.f - i
            + 0.5 * c_ee * di.d2_fe_fe
            + 0.5 * c_ei * di.d2_fe_fi
            + 0.5 * c_ei * di.d2_fi_fe
            + 0.5 * c_ii * di.d2_fi_fi)
            / t;
        let (re, ri) = (de.f - e, di.f - i);
        dx[2] =
            (de.f * (1. / t - de.f) / n_e + re * re + 2. * c_ee * de.d_fe + 2. * c_ei * de.d_fi
                - 2. * c_ee)
                / t;
        dx[3] = (re * ri + c_ee * de.d_fe + c_ei * di.d_fe + c_ei * de.d_fi + c_ii * di.d_fi
            - 2. * c_ei)
            / t;
        dx[4] =
            (di.f * (1. / t - di.f) / n_i + ri * ri + 2. * c_ii * di.d_fi + 2. * c_ei * di.d_fe
                - 2. * c_ii)
                / t;
        let mu_ve = cl.fluct(e, i, e_in_e, i_in_e, w_e, m.exc.e_l)[0];
        dx[5] = ZerlautAdaptationFirstOrder::adaptation(
            w_e, m.tau_w_e, m.b_e, e, m.a_e, mu_ve, m.exc.e_l,
        );
        let mu_vi = cl.fluct(e, i, e_in_i, i_in_i, w_i, m.inh.e_l)[0];
        dx[6] = ZerlautAdaptationFirstOrder::adaptation(
            w_i, m.tau_w_i, m.b_i, i, m.a_i, mu_vi, m.inh.e_l,
        );
        dx[7] = -ou / m.tau_ou;
    }
}
