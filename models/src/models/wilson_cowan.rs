//! Wilson-Cowan excitatory/inhibitory population model (Wilson & Cowan 1972,
//! 1973), tvb-library's `WilsonCowan`.
//!
//! ```text
//! x_e = α_e·(c_ee·E − c_ei·I + P − θ_e + c)
//! x_i = α_i·(c_ie·E − c_ii·I + Q − θ_i)
//! S_e = c_e·(1/(1 + exp(−a_e·(x_e − b_e))) − 1/(1 + exp(a_e·b_e)))   (shifted sigmoid)
//! S_i = c_i·(1/(1 + exp(−a_i·(x_i − b_i))) − 1/(1 + exp(a_i·b_i)))
//! dE/dt = (−E + (k_e − r_e·E)·S_e) / τ_e
//! dI/dt = (−I + (k_i − r_i·I)·S_i) / τ_i
//! ```
//! With `shift_sigmoid = 0` the plain sigmoids `c/(1 + exp(−a(x − b)))` are
//! used. `c` is the coupling of `E` (tvb-library couples E and I, and the
//! equations use the first term only). Time in ms, E and I are proportions
//! of active cells.

use super::{get, Dfun, ModelInfo, FREE};
use crate::params::{p, ParamDef, ParamSet};

/// Parameters, as tvb-library 2.10 declares them.
pub const PARAMS: &[ParamDef] = &[
    p(
        "c_ee",
        12.0,
        11.0,
        16.0,
        "1",
        "Excitatory to excitatory coupling coefficient",
    ),
    p(
        "c_ei",
        4.0,
        2.0,
        15.0,
        "1",
        "Inhibitory to excitatory coupling coefficient",
    ),
    p(
        "c_ie",
        13.0,
        2.0,
        22.0,
        "1",
        "Excitatory to inhibitory coupling coefficient",
    ),
    p(
        "c_ii",
        11.0,
        2.0,
        15.0,
        "1",
        "Inhibitory to inhibitory coupling coefficient",
    ),
    p(
        "tau_e",
        10.0,
        0.0,
        150.0,
        "ms",
        "Excitatory population membrane time constant",
    ),
    p(
        "tau_i",
        10.0,
        0.0,
        150.0,
        "ms",
        "Inhibitory population membrane time constant",
    ),
    p("a_e", 1.2, 0.0, 1.4, "1", "Slope of the excitatory sigmoid"),
    p(
        "b_e",
        2.8,
        1.4,
        6.0,
        "1",
        "Position of the excitatory sigmoid's inflection point",
    ),
    p(
        "c_e",
        1.0,
        1.0,
        20.0,
        "1",
        "Amplitude of the excitatory sigmoid",
    ),
    p("theta_e", 0.0, 0.0, 60.0, "1", "Excitatory threshold"),
    p("a_i", 1.0, 0.0, 2.0, "1", "Slope of the inhibitory sigmoid"),
    p(
        "b_i",
        4.0,
        2.0,
        6.0,
        "1",
        "Position of the inhibitory sigmoid's inflection point",
    ),
    p("theta_i", 0.0, 0.0, 60.0, "1", "Inhibitory threshold"),
    p(
        "c_i",
        1.0,
        1.0,
        20.0,
        "1",
        "Amplitude of the inhibitory sigmoid",
    ),
    p("r_e", 1.0, 0.5, 2.0, "ms", "Excitatory refractory period"),
    p("r_i", 1.0, 0.5, 2.0, "ms", "Inhibitory refractory period"),
    p(
        "k_e",
        1.0,
        0.5,
        2.0,
        "1",
        "Maximum value of the excitatory response function",
    ),
    p(
        "k_i",
        1.0,
        0.0,
        2.0,
        "1",
        "Maximum value of the inhibitory response function",
    ),
    p(
        "P",
        0.0,
        0.0,
        20.0,
        "1",
        "External stimulus to the excitatory population",
    ),
    p(
        "Q",
        0.0,
        0.0,
        20.0,
        "1",
        "External stimulus to the inhibitory population",
    ),
    p("alpha_e", 1.0, 0.0, 20.0, "1", "Excitatory input scaling"),
    p("alpha_i", 1.0, 0.0, 20.0, "1", "Inhibitory input scaling"),
    p(
        "shift_sigmoid",
        1.0,
        0.0,
        1.0,
        "bool",
        "1: sigmoids shifted to pass through the origin (tvb-library's True); 0: plain",
    ),
];

/// Static description.
pub static INFO: ModelInfo = ModelInfo {
    name: "WilsonCowan",
    doc: "Wilson-Cowan excitatory/inhibitory populations (Wilson & Cowan 1972, Biophys J 12:1)",
    params: PARAMS,
    state_variables: &["E", "I"],
    cvar: &[0, 1],
    range: &[(0.0, 1.0), (0.0, 1.0)],
    bounds: &[FREE, FREE],
    voi: &["E"],
};

/// Parameter values.
#[derive(Debug, Clone)]
pub struct WilsonCowan {
    c_ee: f64,
    c_ei: f64,
    c_ie: f64,
    c_ii: f64,
    tau_e: f64,
    tau_i: f64,
    a_e: f64,
    b_e: f64,
    c_e: f64,
    theta_e: f64,
    a_i: f64,
    b_i: f64,
    theta_i: f64,
    c_i: f64,
    r_e: f64,
    r_i: f64,
    k_e: f64,
    k_i: f64,
    p: f64,
    q: f64,
    alpha_e: f64,
    alpha_i: f64,
    shift_sigmoid: bool,
}

impl WilsonCowan {
    /// From a validated parameter set of [`PARAMS`].
    pub fn new(p: &ParamSet) -> Self {
        Self {
            c_ee: get(p, "c_ee"),
            c_ei: get(p, "c_ei"),
            c_ie: get(p, "c_ie"),
            c_ii: get(p, "c_ii"),
            tau_e: get(p, "tau_e"),
            tau_i: get(p, "tau_i"),
            a_e: get(p, "a_e"),
            b_e: get(p, "b_e"),
            c_e: get(p, "c_e"),
            theta_e: get(p, "theta_e"),
            a_i: get(p, "a_i"),
            b_i: get(p, "b_i"),
            theta_i: get(p, "theta_i"),
            c_i: get(p, "c_i"),
            r_e: get(p, "r_e"),
            r_i: get(p, "r_i"),
            k_e: get(p, "k_e"),
            k_i: get(p, "k_i"),
            p: get(p, "P"),
            q: get(p, "Q"),
            alpha_e: get(p, "alpha_e"),
            alpha_i: get(p, "alpha_i"),
            shift_sigmoid: get(p, "shift_sigmoid") != 0.0,
        }
    }
}

impl Dfun for WilsonCowan {
    #[inline(always)]
    fn dfun(&self, y: &[f64], c: &[f64], dx: &mut [f64]) {
        // Operation order as tvb-library's numba kernel (local coupling 0).
        let x_e = self.alpha_e
            * (self.c_ee * y[0] - self.c_ei * y[1] + self.p - self.theta_e + c[0] + 0.0 + 0.0);
        let x_i = self.alpha_i
            * (self.c_ie * y[0] - self.c_ii * y[1] + self.q - self.theta_i + 0.0 + 0.0);
        let (s_e, s_i) = if self.shift_sigmoid {
            (
                self.c_e
                    * (1.0 / (1.0 + (-self.a_e * (x_e - self.b_e)).exp())
                        - 1.0 / (1.0 + (-self.a_e * -self.b_e).exp())),
                self.c_i
                    * (1.0 / (1.0 + (-self.a_i * (x_i - self.b_i)).exp())
                        - 1.0 / (1.0 + (-self.a_i * -self.b_i).exp())),
            )
        } else {
            (
                self.c_e / (1.0 + (-self.a_e * (x_e - self.b_e)).exp()),
                self.c_i / (1.0 + (-self.a_i * (x_i - self.b_i)).exp()),
            )
        };
        dx[0] = (-y[0] + (self.k_e - self.r_e * y[0]) * s_e) / self.tau_e;
        dx[1] = (-y[1] + (self.k_i - self.r_i * y[1]) * s_i) / self.tau_i;
    }
}
