//! Neural mass models, one per file, with tvb-library's names, parameters,
//! defaults, ranges and equations.
//!
//! Adding a model: write `models/<name>.rs` with a parameter table, a struct
//! built from a [`ParamSet`], an implementation of [`Dfun`] and a
//! [`ModelInfo`]; then add one line to [`MODELS`] and one arm to
//! [`with_model!`](crate::with_model).

use crate::params::{ParamDef, ParamSet};

pub mod generic_2d_oscillator;
pub mod jansen_rit;
pub mod kuramoto;
pub mod montbrio_pazo_roxin;
pub mod reduced_wong_wang;
pub mod reduced_wong_wang_exc_inh;
pub mod wilson_cowan;
pub mod zerlaut_adaptation_first_order;
pub mod zerlaut_adaptation_second_order;
pub mod zerlaut_transfer_function;

/// The right-hand side of a model for one node: `dx = f(x, c)`.
///
/// `x` holds the node's state variables in the order of
/// [`ModelInfo::state_variables`], `c` its coupling terms (one per entry of
/// [`ModelInfo::cvar`], or one for SigmoidalJansenRit), `dx` receives the
/// time derivatives per ms.
pub trait Dfun: Send + Sync + Clone + 'static {
    /// Evaluates the derivatives.
    fn dfun(&self, x: &[f64], c: &[f64], dx: &mut [f64]);
}

/// Static description of a model: everything but the equations.
#[derive(Debug)]
pub struct ModelInfo {
    /// tvb-library's class name.
    pub name: &'static str,
    /// One paragraph: what it models and its reference.
    pub doc: &'static str,
    /// Parameter table.
    pub params: &'static [ParamDef],
    /// State variable names.
    pub state_variables: &'static [&'static str],
    /// Indices of the coupled state variables (tvb-library's `cvar`).
    pub cvar: &'static [usize],
    /// `state_variable_range`: the range of random initial conditions.
    pub range: &'static [(f64, f64)],
    /// `state_variable_boundaries`: states are clamped into these after each
    /// integration stage (±∞ where unbounded).
    pub bounds: &'static [(f64, f64)],
    /// Default variables of interest.
    pub voi: &'static [&'static str],
}

impl ModelInfo {
    /// Number of state variables.
    pub fn nvar(&self) -> usize {
        self.state_variables.len()
    }
    /// Whether any state variable has a finite boundary.
    pub fn has_bounds(&self) -> bool {
        self.bounds
            .iter()
            .any(|(lo, hi)| lo.is_finite() || hi.is_finite())
    }
    /// Index of a state variable.
    pub fn var_index(&self, name: &str) -> Option<usize> {
        self.state_variables.iter().position(|v| *v == name)
    }
}

/// Unbounded.
pub const FREE: (f64, f64) = (f64::NEG_INFINITY, f64::INFINITY);

/// Every model, for lookup and listing.
pub const MODELS: &[&ModelInfo] = &[
    &reduced_wong_wang::INFO,
    &reduced_wong_wang_exc_inh::INFO,
    &generic_2d_oscillator::INFO,
    &jansen_rit::INFO,
    &wilson_cowan::INFO,
    &kuramoto::INFO,
    &montbrio_pazo_roxin::INFO,
    &zerlaut_adaptation_first_order::INFO,
    &zerlaut_adaptation_second_order::INFO,
];

/// Finds a model by tvb-library class name.
pub fn model_info(name: &str) -> Result<&'static ModelInfo, crate::ModelError> {
    MODELS
        .iter()
        .copied()
        .find(|m| m.name == name)
        .ok_or_else(|| crate::ModelError::UnknownName {
            what: "model",
            name: name.to_string(),
            known: MODELS.iter().map(|m| m.name).collect::<Vec<_>>().join(", "),
        })
}

/// Calls `$body` with `$m` bound to the concrete model struct named by
/// `$info.name`, built from `$params`; monomorphises the engine per model.
#[macro_export]
macro_rules! with_model {
    ($info:expr, $params:expr, |$m:ident| $body:expr) => {{
        use $crate::models::*;
        match $info.name {
            "ReducedWongWang" => {
                let $m = reduced_wong_wang::ReducedWongWang::new($params);
                $body
            }
            "ReducedWongWangExcInh" => {
                let $m = reduced_wong_wang_exc_inh::ReducedWongWangExcInh::new($params);
                $body
            }
            "Generic2dOscillator" => {
                let $m = generic_2d_oscillator::Generic2dOscillator::new($params);
                $body
            }
            "JansenRit" => {
                let $m = jansen_rit::JansenRit::new($params);
                $body
            }
            "WilsonCowan" => {
                let $m = wilson_cowan::WilsonCowan::new($params);
                $body
            }
            "Kuramoto" => {
                let $m = kuramoto::Kuramoto::new($params);
                $body
            }
            "MontbrioPazoRoxin" => {
                let $m = montbrio_pazo_roxin::MontbrioPazoRoxin::new($params);
                $body
            }
            "ZerlautAdaptationFirstOrder" => {
                let $m = zerlaut_adaptation_first_order::ZerlautAdaptationFirstOrder::new($params);
                $body
            }
            "ZerlautAdaptationSecondOrder" => {
                let $m =
                    zerlaut_adaptation_second_order::ZerlautAdaptationSecondOrder::new($params);
                $body
            }
            other => unreachable!("model {other} is in MODELS but not in with_model!"),
        }
    }};
}

/// Helper for model constructors.
pub(crate) fn get(p: &ParamSet, n: &str) -> f64 {
    p.get(n)
}
