//! Temporal equations of stimuli: tvb-library 2.10's
//! `TemporalApplicableEquation`s (`tvb/datatypes/equations.py`), the time
//! course of a `StimuliRegion`, with its parameters, defaults and
//! operation order.
//!
//! tvb-library evaluates an equation's string with numexpr (optimisation
//! `aggressive`: `x**2` becomes `x*x`; `%` on floats is
//! `a - floor(a/b)·b`), element-wise in float64, left to right as Python
//! parses it; exp, sin and cos are the C library's. Each [`Temporal::eval`]
//! below is that order written out, so that its values are tvb-library's to
//! the last bit (`models/tests/stimulus_equations.rs` against sampled values
//! from tvb-library). Time `t` is in ms, as in tvb-library's stimuli; the
//! value multiplies each region's weight and is added, times `dt`, to the
//! model's stimulus variables (`ModelInfo::stimulus`) at every step (see
//! [`crate::engine::StimulusInput`]).

use crate::error::ModelError;
use std::f64::consts::TAU;

/// One temporal equation: its name, its parameters with tvb-library's
/// defaults (in tvb-library's order), and its formula as tvb-library writes
/// it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct EquationInfo {
    /// tvb-library's class name.
    pub name: &'static str,
    /// `(name, default)`; times in ms, frequencies in 1/ms (kHz).
    pub params: &'static [(&'static str, f64)],
    /// tvb-library's equation string (`var` is the time in ms).
    pub formula: &'static str,
}

/// Every temporal equation tvb-library 2.10 accepts as a `StimuliRegion`'s
/// `temporal` (its `TemporalApplicableEquation` subclasses).
pub const EQUATIONS: &[EquationInfo] = &[
    EquationInfo {
        name: "PulseTrain",
        params: &[("T", 42.0), ("tau", 13.0), ("amp", 1.0), ("onset", 30.0)],
        formula: "where((var>onset)&(((var-onset) % T) < tau), amp, 0)",
    },
    EquationInfo {
        name: "Sinusoid",
        params: &[("amp", 1.0), ("frequency", 0.01)],
        formula: "amp * sin(6.283185307179586 * frequency * var)",
    },
    EquationInfo {
        name: "Cosine",
        params: &[("amp", 1.0), ("frequency", 0.01)],
        formula: "amp * cos(6.283185307179586 * frequency * var)",
    },
    EquationInfo {
        name: "Gaussian",
        params: &[
            ("amp", 1.0),
            ("sigma", 1.0),
            ("midpoint", 0.0),
            ("offset", 0.0),
        ],
        formula: "(amp * exp(-((var-midpoint)**2 / (2.0 * sigma**2))))+offset",
    },
    EquationInfo {
        name: "DoubleGaussian",
        params: &[
            ("amp_1", 0.5),
            ("sigma_1", 20.0),
            ("midpoint_1", 0.0),
            ("amp_2", 1.0),
            ("sigma_2", 10.0),
            ("midpoint_2", 0.0),
        ],
        formula: "(amp_1 * exp(-((var-midpoint_1)**2 / (2.0 * sigma_1**2)))) - (amp_2 * exp(-((var-midpoint_2)**2 / (2.0 * sigma_2**2))))",
    },
    EquationInfo {
        name: "Sigmoid",
        params: &[("amp", 1.0), ("radius", 5.0), ("sigma", 1.0), ("offset", 0.0)],
        formula: "(amp / (1.0 + exp(-1.8137993642342178 * (radius-var)/sigma))) + offset",
    },
    EquationInfo {
        name: "GeneralizedSigmoid",
        params: &[
            ("low", 0.0),
            ("high", 1.0),
            ("midpoint", 1.0),
            ("sigma", 0.3),
        ],
        formula: "low + (high - low) / (1.0 + exp(-1.8137993642342178 * (var-midpoint)/sigma))",
    },
    EquationInfo {
        name: "Linear",
        params: &[("a", 1.0), ("b", 0.0)],
        formula: "a * var + b",
    },
    EquationInfo {
        name: "Alpha",
        params: &[("onset", 0.5), ("alpha", 13.0), ("beta", 42.0)],
        formula: "where((var-onset) > 0, (alpha * beta) / (beta - alpha) * (exp(-alpha * (var-onset))  - exp(-beta * (var-onset))), 0.0 * var)",
    },
    EquationInfo {
        name: "DiscreteEquation",
        params: &[],
        formula: "var",
    },
];

/// tvb-library's hemodynamic kernels: equations its `StimuliRegion`
/// refuses as a temporal equation (they are not
/// `TemporalApplicableEquation`s), named in the error.
const HRF_KERNELS: &[&str] = &[
    "DoubleExponential",
    "Gamma",
    "FirstOrderVolterra",
    "MixtureOfGammas",
];

/// A temporal equation with its parameter values.
#[derive(Debug, Clone, PartialEq)]
pub struct Temporal {
    /// Which equation.
    pub info: &'static EquationInfo,
    /// One value per parameter of `info.params`, in that order.
    pub values: Vec<f64>,
}

impl Temporal {
    /// The equation `name` with tvb-library's defaults, overridden by
    /// `overrides` (`(parameter, value)`).
    pub fn new<'a>(
        name: &str,
        overrides: impl IntoIterator<Item = (&'a str, f64)>,
    ) -> Result<Self, ModelError> {
        let info = EQUATIONS.iter().find(|e| e.name == name).ok_or_else(|| {
            if HRF_KERNELS.contains(&name) {
                ModelError::Config(format!(
                    "`{name}` is one of tvb-library's hemodynamic kernels, which its StimuliRegion refuses as a temporal equation; temporal equations: {}",
                    names()
                ))
            } else {
                ModelError::UnknownName {
                    what: "temporal equation",
                    name: name.to_string(),
                    known: names(),
                }
            }
        })?;
        let mut values: Vec<f64> = info.params.iter().map(|p| p.1).collect();
        for (k, v) in overrides {
            let i = info.params.iter().position(|p| p.0 == k).ok_or_else(|| {
                ModelError::UnknownParameter {
                    owner: info.name.to_string(),
                    name: k.to_string(),
                    known: if info.params.is_empty() {
                        "none".to_string()
                    } else {
                        info.params
                            .iter()
                            .map(|p| p.0)
                            .collect::<Vec<_>>()
                            .join(", ")
                    },
                }
            })?;
            if !v.is_finite() {
                return Err(ModelError::ParameterOutsideLimits {
                    owner: info.name.to_string(),
                    name: k.to_string(),
                    value: v,
                    lo: f64::NEG_INFINITY,
                    hi: f64::INFINITY,
                    unit: "",
                });
            }
            values[i] = v;
        }
        Ok(Self { info, values })
    }

    /// The value at time `t` (ms), in tvb-library's operation order.
    pub fn eval(&self, t: f64) -> f64 {
        let p = &self.values;
        match self.info.name {
            "PulseTrain" => {
                let (period, tau, amp, onset) = (p[0], p[1], p[2], p[3]);
                let a = t - onset;
                // numexpr's float `%`
                let m = a - (a / period).floor() * period;
                if t > onset && m < tau {
                    amp
                } else {
                    0.0
                }
            }
            // tvb-library's 6.283185307179586 is TAU to the bit
            "Sinusoid" => p[0] * (TAU * p[1] * t).sin(),
            "Cosine" => p[0] * (TAU * p[1] * t).cos(),
            "Gaussian" => gauss(p[0], p[1], p[2], t) + p[3],
            "DoubleGaussian" => gauss(p[0], p[1], p[2], t) - gauss(p[3], p[4], p[5], t),
            "Sigmoid" => {
                let (amp, radius, sigma, offset) = (p[0], p[1], p[2], p[3]);
                amp / (1.0 + (-1.8137993642342178 * (radius - t) / sigma).exp()) + offset
            }
            "GeneralizedSigmoid" => {
                let (low, high, midpoint, sigma) = (p[0], p[1], p[2], p[3]);
                low + (high - low) / (1.0 + (-1.8137993642342178 * (t - midpoint) / sigma).exp())
            }
            "Linear" => p[0] * t + p[1],
            "Alpha" => {
                let (onset, alpha, beta) = (p[0], p[1], p[2]);
                let d = t - onset;
                if d > 0.0 {
                    (alpha * beta) / (beta - alpha) * ((-alpha * d).exp() - (-beta * d).exp())
                } else {
                    0.0 * t
                }
            }
            "DiscreteEquation" => t,
            other => unreachable!("temporal equation {other} has no evaluation"),
        }
    }
}

/// `amp * exp(-((t-midpoint)**2 / (2.0 * sigma**2)))`, numexpr's order
/// (`x**2` is `x*x`).
fn gauss(amp: f64, sigma: f64, midpoint: f64, t: f64) -> f64 {
    let d = t - midpoint;
    amp * (-(d * d / (2.0 * (sigma * sigma)))).exp()
}

/// The names of every temporal equation, comma-separated.
pub fn names() -> String {
    EQUATIONS
        .iter()
        .map(|e| e.name)
        .collect::<Vec<_>>()
        .join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tau_is_tvb_constant() {
        // tvb-library's literal, parsed
        assert_eq!(TAU, "6.283185307179586".parse::<f64>().unwrap());
    }

    #[test]
    fn pulse_train_defaults_follow_tvb() {
        let p = Temporal::new("PulseTrain", []).unwrap();
        // onset 30, period 42, width 13: on in (30, 43), off in [43, 72)
        assert_eq!(p.eval(30.0), 0.0);
        assert_eq!(p.eval(30.1), 1.0);
        assert_eq!(p.eval(42.9), 1.0);
        assert_eq!(p.eval(43.0), 0.0);
        assert_eq!(p.eval(72.1), 1.0);
    }

    #[test]
    fn unknown_names_and_parameters_are_refused() {
        let e = Temporal::new("Pulse", []).unwrap_err().to_string();
        assert!(e.contains("unknown temporal equation `Pulse`"), "{e}");
        assert!(e.contains("PulseTrain"), "{e}");
        let e = Temporal::new("PulseTrain", [("period", 1.0)])
            .unwrap_err()
            .to_string();
        assert!(e.contains("PulseTrain has no parameter `period`"), "{e}");
        assert!(e.contains("T, tau, amp, onset"), "{e}");
        let e = Temporal::new("DoubleExponential", [])
            .unwrap_err()
            .to_string();
        assert!(e.contains("hemodynamic kernels"), "{e}");
        let e = Temporal::new("Linear", [("a", f64::NAN)])
            .unwrap_err()
            .to_string();
        assert!(e.contains("Linear.a = NaN is outside its limits"), "{e}");
    }
}
