//! Integration schemes, tvb-library's definitions.
//!
//! With `f` the model's right-hand side, `c` the coupling (held fixed for
//! every stage of one step, as tvb-library does), `clamp` the model's
//! state-variable boundaries applied after every stage, and `η = g·sqrt(dt)·z`
//! the noise increment:
//!
//! * Euler: `x' = clamp(x + dt·f(x))`; stochastic: `x' = clamp(x + f(x)·dt + η)`.
//! * Heun: `k1 = f(x)`, `x̃ = clamp(x + dt·k1 [+ η])`, `k2 = f(x̃)`,
//!   `x' = clamp(x + (k1 + k2)·dt/2 [+ η])`.
//! * RK4: the classical four stages with clamped intermediates; stochastic:
//!   `x' = clamp(x + dt/6·(k1 + 2k2 + 2k3 + k4) + η)` (tvb-library has no
//!   stochastic RK4; this is the same additive increment as Euler-Maruyama).

use crate::error::ModelError;

/// The scheme.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scheme {
    Euler,
    Heun,
    Rk4,
}

/// Integrator names accepted in graph files: tvb-library's class names.
pub const INTEGRATORS: &[(&str, Scheme, bool)] = &[
    ("HeunDeterministic", Scheme::Heun, false),
    ("HeunStochastic", Scheme::Heun, true),
    ("EulerDeterministic", Scheme::Euler, false),
    ("EulerStochastic", Scheme::Euler, true),
    ("RungeKutta4thOrderDeterministic", Scheme::Rk4, false),
    ("RungeKutta4thOrderStochastic", Scheme::Rk4, true),
];

/// Looks up an integrator name; returns the scheme and whether it is stochastic.
pub fn integrator(name: &str) -> Result<(Scheme, bool), ModelError> {
    INTEGRATORS
        .iter()
        .find(|(n, _, _)| *n == name)
        .map(|(_, s, st)| (*s, *st))
        .ok_or_else(|| ModelError::UnknownName {
            what: "integrator",
            name: name.to_string(),
            known: INTEGRATORS
                .iter()
                .map(|i| i.0)
                .collect::<Vec<_>>()
                .join(", "),
        })
}
