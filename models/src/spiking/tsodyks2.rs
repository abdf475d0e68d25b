//! NEST 3.10's `tsodyks2_synapse`: short-term depression and facilitation
//! (Tsodyks & Markram 1997, Fuhrmann et al. 2002; Maass & Markram 2002's
//! eqs. 4–5), a per-connection state (u, x) that scales the weight of each
//! spike the connection carries.
//!
//! At a presynaptic spike of time t (NEST: the spike's stamp in ms, tics ×
//! 0.001, [`nest_ms`]), h = t − t_last (t_last: the connection's previous
//! spike), every spike but the connection's first first updates, in NEST's
//! order,
//!
//! ```text
//!   x ← 1 + (x − x·u − 1)·exp(−h/τ_rec)
//!   u ← U + u·(1 − U)·exp(−h/τ_fac)        (τ_fac = 0: the exp is 0)
//! ```
//!
//! then sends the weight `x·u·weight`, which acts after the connection's
//! delay as a static synapse's weight would. The first spike sends the
//! initial `x·u·weight` unchanged. Spikes at the same time (h = 0, e.g. a
//! train's repeated times) are updated one after the other, as NEST 3
//! delivers each copy of a spike of multiplicity m through the synapse.
//!
//! Parameters (NEST's names, defaults and checks): U ∈ [0, 1] (0.5), the
//! initial u ∈ [0, 1] (0.5 — as NEST, u does not follow U: set both),
//! the initial x (1.0; here in [0, 1], where NEST checks nothing),
//! τ_rec > 0 ms (800), τ_fac ≥ 0 ms (0: no facilitation).

use crate::error::ModelError;
use crate::params::{p, ParamDef};

/// NEST's name.
pub const NAME: &str = "tsodyks2_synapse";

/// The parameters and initial state a graph may set, NEST's names and
/// defaults (`tau_rec` must be > 0, checked by [`Tsodyks2::from_overrides`]).
pub const PARAMS: &[ParamDef] = &[
    p("U", 0.5, 0.0, 1.0, "1", "Increment of u at each spike (U1)"),
    p(
        "u",
        0.5,
        0.0,
        1.0,
        "1",
        "Initial release probability (U_se); NEST's default does not follow U: set both",
    ),
    p(
        "x",
        1.0,
        0.0,
        1.0,
        "1",
        "Initial fraction of available resources, scaling the weight",
    ),
    p(
        "tau_rec",
        800.0,
        0.0,
        f64::INFINITY,
        "ms",
        "Recovery time constant of x (> 0)",
    ),
    p(
        "tau_fac",
        0.0,
        0.0,
        f64::INFINITY,
        "ms",
        "Facilitation time constant of u (0: no facilitation)",
    ),
];

/// A connection's parameters and initial state.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Tsodyks2 {
    /// U, the increment of u.
    pub u_inc: f64,
    /// Initial u.
    pub u: f64,
    /// Initial x.
    pub x: f64,
    /// τ_rec, ms.
    pub tau_rec: f64,
    /// τ_fac, ms (0: no facilitation).
    pub tau_fac: f64,
}

impl Default for Tsodyks2 {
    /// NEST's defaults.
    fn default() -> Self {
        Self {
            u_inc: 0.5,
            u: 0.5,
            x: 1.0,
            tau_rec: 800.0,
            tau_fac: 0.0,
        }
    }
}

impl Tsodyks2 {
    /// NEST's defaults overridden by `(name, value)` pairs; unknown names
    /// and values outside NEST's ranges are refused, naming the parameter.
    pub fn from_overrides<'a>(
        values: impl IntoIterator<Item = (&'a str, f64)>,
    ) -> Result<Self, ModelError> {
        let mut s = Self::default();
        for (name, v) in values {
            let def = PARAMS.iter().find(|d| d.name == name).ok_or_else(|| {
                ModelError::UnknownParameter {
                    owner: NAME.into(),
                    name: name.into(),
                    known: PARAMS.iter().map(|d| d.name).collect::<Vec<_>>().join(", "),
                }
            })?;
            if name == "tau_rec" && !(v.is_finite() && v > 0.0) {
                return Err(ModelError::Config(format!(
                    "{NAME}.tau_rec = {v} must be > 0 ms"
                )));
            }
            if !(v.is_finite() && v >= def.lo && v <= def.hi) {
                return Err(ModelError::ParameterOutsideLimits {
                    owner: NAME.into(),
                    name: name.into(),
                    value: v,
                    lo: def.lo,
                    hi: def.hi,
                    unit: def.unit,
                });
            }
            match name {
                "U" => s.u_inc = v,
                "u" => s.u = v,
                "x" => s.x = v,
                "tau_rec" => s.tau_rec = v,
                _ => s.tau_fac = v,
            }
        }
        Ok(s)
    }

    /// The state of a new connection: no spike yet.
    pub fn state(&self) -> Tsodyks2State {
        Tsodyks2State {
            u: self.u,
            x: self.x,
            t_last: -1.0,
        }
    }
}

/// A connection's state.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Tsodyks2State {
    /// Release probability.
    pub u: f64,
    /// Fraction of available resources.
    pub x: f64,
    /// Time of the previous spike, ms (< 0: none yet).
    pub t_last: f64,
}

impl Tsodyks2State {
    /// A spike of time `t_spike` ms over the connection `p`: the factor
    /// x·u scaling its weight (NEST's `send`, in its order of operations;
    /// the weight sent is `factor * weight`).
    pub fn spike(&mut self, p: &Tsodyks2, t_spike: f64) -> f64 {
        if self.t_last >= 0.0 {
            let h = t_spike - self.t_last;
            let x_decay = (-h / p.tau_rec).exp();
            let u_decay = if p.tau_fac == 0.0 {
                0.0
            } else {
                (-h / p.tau_fac).exp()
            };
            self.x = 1. + (self.x - self.x * self.u - 1.) * x_decay;
            self.u = p.u_inc + self.u * (1. - p.u_inc) * u_decay;
        }
        self.t_last = t_spike;
        self.x * self.u
    }
}

/// NEST's time in ms of `steps` steps of `tics_per_step` tics each
/// (`Time::get_ms`: tics × 0.001, NEST's default 1000 tics per ms).
pub fn nest_ms(steps: u64, tics_per_step: u64) -> f64 {
    0.001 * (steps * tics_per_step) as f64
}

/// The tics of a step of `h` ms, if `h` is a whole number of NEST's tics
/// (0.001 ms), as NEST requires of its resolution.
pub fn tics_per_step(h: f64) -> Result<u64, ModelError> {
    let t = (h * 1000.0).round();
    if t >= 1.0 && (t - h * 1000.0).abs() <= 1e-6 * t {
        Ok(t as u64)
    } else {
        Err(ModelError::Config(format!(
            "{NAME} needs a time step that is a whole number of NEST's tics (0.001 ms), not {h} ms"
        )))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_first_spike_sends_the_initial_state_then_nest_s_update() {
        let p = Tsodyks2::from_overrides([
            ("U", 0.3),
            ("u", 0.3),
            ("tau_rec", 120.0),
            ("tau_fac", 300.0),
        ])
        .unwrap();
        let mut s = p.state();
        assert_eq!(s.spike(&p, 5.0), 0.3);
        assert_eq!((s.u, s.x, s.t_last), (0.3, 1.0, 5.0));
        // 10 ms later: x = 1 + (1 − 0.3 − 1)·e^(−10/120), u = 0.3 + 0.3·0.7·e^(−10/300)
        let f = s.spike(&p, 15.0);
        let x = 1. + (1.0 - 1.0 * 0.3 - 1.) * (-10.0f64 / 120.0).exp();
        let u = 0.3 + 0.3 * (1. - 0.3) * (-10.0f64 / 300.0).exp();
        assert_eq!((s.x, s.u), (x, u));
        assert_eq!(f, x * u);
        // the same time again (h = 0): depressed once more, u facilitated
        let (x0, u0) = (s.x, s.u);
        s.spike(&p, 15.0);
        assert_eq!(s.x, 1. + (x0 - x0 * u0 - 1.));
        assert_eq!(s.u, 0.3 + u0 * 0.7);
    }

    #[test]
    fn tau_fac_zero_keeps_u_at_u_after_the_first_spike_and_x_recovers() {
        let p = Tsodyks2::from_overrides([("U", 0.6), ("u", 0.2), ("x", 0.9)]).unwrap();
        assert_eq!(p.tau_fac, 0.0);
        let mut s = p.state();
        assert_eq!(s.spike(&p, 1.0), 0.9 * 0.2);
        s.spike(&p, 2.0);
        assert_eq!(s.u, 0.6);
        // long after: x back to 1 within e^(−h/τ_rec)
        s.spike(&p, 1e6);
        assert!((s.x - 1.0).abs() < 1e-12);
    }

    #[test]
    fn nest_s_ranges_are_enforced_at_the_parameter() {
        for (name, v) in [
            ("U", 1.5),
            ("u", -0.1),
            ("x", 2.0),
            ("tau_rec", 0.0),
            ("tau_fac", -1.0),
            ("U", f64::NAN),
        ] {
            let e = Tsodyks2::from_overrides([(name, v)])
                .unwrap_err()
                .to_string();
            assert!(e.starts_with(&format!("tsodyks2_synapse.{name} = ")), "{e}");
        }
        let e = Tsodyks2::from_overrides([("tau_psc", 1.0)])
            .unwrap_err()
            .to_string();
        assert!(e.contains("has no parameter `tau_psc`"), "{e}");
        Tsodyks2::from_overrides([("tau_fac", 0.0), ("U", 1.0), ("u", 0.0)]).unwrap();
    }

    #[test]
    fn times_are_nest_s_tics() {
        assert_eq!(tics_per_step(0.1).unwrap(), 100);
        assert_eq!(tics_per_step(0.05).unwrap(), 50);
        assert!(tics_per_step(0.0001).is_err());
        // tics × 0.001, as NEST's Time::get_ms
        assert_eq!(nest_ms(23, 100), 0.001 * 2300.0);
        assert_eq!(nest_ms(3, 50), 0.15);
    }
}
