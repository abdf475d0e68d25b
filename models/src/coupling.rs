//! Long-range coupling functions, tvb-library's definitions and names.
//!
//! For target region `i`, delayed source states `x_j = x_j(t − d_ij)` of the
//! coupled variables and weights `w_ij`:
//!
//! | name | pre(x_i, x_j) | post(gx) |
//! |---|---|---|
//! | `Linear` | `x_j` | `a·gx + b` |
//! | `Scaling` | `x_j` | `a·gx` |
//! | `Sigmoidal` | `x_j` | `cmin + (cmax − cmin)/(1 + exp(−a·(gx − midpoint)/σ))` |
//! | `SigmoidalJansenRit` | `cmin + (cmax − cmin)/(1 + exp(r·(midpoint − (x_j,0 − x_j,1))))` | `a·gx` |
//! | `Difference` | `x_j − x_i` | `a·gx` |
//! | `Kuramoto` | `sin(x_j − x_i)` | `a/n_cvar·gx` |
//!
//! with `gx = Σ_j w_ij·pre(x_i, x_j)`. `SigmoidalJansenRit` turns the two
//! coupled variables of Jansen-Rit (`y1`, `y2`) into one coupling term.
//!
//! Precision, as tvb-library 2.10: the history and the weights are stored in
//! float32; for every coupling but `SigmoidalJansenRit` the products and the
//! sum are float32 (summed in ascending `j`), and `post` is float64. For
//! `SigmoidalJansenRit` the difference `x_j,0 − x_j,1` is float32 and the rest
//! float64. TVB's `Kuramoto` divides by `gx.shape[0]`, which is the number of
//! coupled variables (1), not the number of regions: we do the same.

use crate::error::ModelError;
use crate::params::{p, ParamDef, ParamSet};

/// The coupling functions.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CouplingKind {
    Linear,
    Scaling,
    Sigmoidal,
    SigmoidalJansenRit,
    Difference,
    Kuramoto,
}

/// A coupling function's declaration.
#[derive(Debug)]
pub struct CouplingInfo {
    pub kind: CouplingKind,
    pub name: &'static str,
    pub doc: &'static str,
    pub params: &'static [ParamDef],
}

/// Every coupling function.
pub const COUPLINGS: &[CouplingInfo] = &[
    CouplingInfo {
        kind: CouplingKind::Linear,
        name: "Linear",
        doc: "c = a·Σ w_ij x_j(t−d_ij) + b",
        params: &[
            p(
                "a",
                0.00390625,
                -100.0,
                100.0,
                "1",
                "Rescales the connection strength",
            ),
            p(
                "b",
                0.0,
                -100.0,
                100.0,
                "1",
                "Shifts the base of the connection strength",
            ),
        ],
    },
    CouplingInfo {
        kind: CouplingKind::Scaling,
        name: "Scaling",
        doc: "c = a·Σ w_ij x_j(t−d_ij)",
        params: &[p(
            "a",
            0.00390625,
            -100.0,
            100.0,
            "1",
            "Rescales the connection strength",
        )],
    },
    CouplingInfo {
        kind: CouplingKind::Sigmoidal,
        name: "Sigmoidal",
        doc: "c = cmin + (cmax−cmin)/(1 + exp(−a((gx − midpoint)/sigma))), gx = Σ w_ij x_j(t−d_ij)",
        params: &[
            p("cmin", -1.0, -1000.0, 1000.0, "1", "Minimum of the sigmoid"),
            p("cmax", 1.0, -1000.0, 1000.0, "1", "Maximum of the sigmoid"),
            p(
                "midpoint",
                0.0,
                -1000.0,
                1000.0,
                "1",
                "Midpoint of the linear portion of the sigmoid",
            ),
            p(
                "a",
                1.0,
                0.01,
                1000.0,
                "1",
                "Scaling of the sigmoid's argument",
            ),
            p(
                "sigma",
                230.0,
                0.01,
                1000.0,
                "1",
                "Standard deviation of the sigmoid",
            ),
        ],
    },
    CouplingInfo {
        kind: CouplingKind::SigmoidalJansenRit,
        name: "SigmoidalJansenRit",
        doc: "c = a·Σ w_ij (cmin + (cmax−cmin)/(1 + exp(r(midpoint − (y1_j − y2_j)(t−d_ij)))))",
        params: &[
            p(
                "cmin",
                0.0,
                -1000.0,
                1000.0,
                "ms^-1",
                "Minimum of the sigmoid",
            ),
            p(
                "cmax",
                2.0 * 0.0025,
                -1000.0,
                1000.0,
                "ms^-1",
                "Maximum of the sigmoid",
            ),
            p(
                "midpoint",
                6.0,
                -1000.0,
                1000.0,
                "mV",
                "Midpoint of the linear portion of the sigmoid",
            ),
            p(
                "r",
                0.56,
                0.01,
                1000.0,
                "mV^-1",
                "The steepness of the sigmoidal transformation",
            ),
            p("a", 1.0, 0.01, 1000.0, "1", "Scaling of the coupling term"),
        ],
    },
    CouplingInfo {
        kind: CouplingKind::Difference,
        name: "Difference",
        doc: "c = a·Σ w_ij (x_j(t−d_ij) − x_i(t))",
        params: &[p(
            "a",
            0.1,
            -100.0,
            100.0,
            "1",
            "Rescales the connection strength",
        )],
    },
    CouplingInfo {
        kind: CouplingKind::Kuramoto,
        name: "Kuramoto",
        doc: "c = a/n_cvar·Σ w_ij sin(x_j(t−d_ij) − x_i(t))",
        params: &[p(
            "a",
            1.0,
            -100.0,
            100.0,
            "1",
            "Rescales the connection strength",
        )],
    },
];

/// A configured coupling function.
#[derive(Debug, Clone)]
pub struct Coupling {
    pub kind: CouplingKind,
    pub params: ParamSet,
    // cached parameter values, in table order
    v: [f64; 5],
}

impl Coupling {
    /// Looks up `name` and applies parameter overrides.
    pub fn new<'a>(
        name: &str,
        overrides: impl IntoIterator<Item = (&'a str, f64)>,
    ) -> Result<Self, ModelError> {
        let info =
            COUPLINGS
                .iter()
                .find(|c| c.name == name)
                .ok_or_else(|| ModelError::UnknownName {
                    what: "coupling",
                    name: name.to_string(),
                    known: COUPLINGS
                        .iter()
                        .map(|c| c.name)
                        .collect::<Vec<_>>()
                        .join(", "),
                })?;
        let params = ParamSet::from_overrides(name, info.params, overrides)?;
        let mut v = [0.0; 5];
        v[..params.values().len()].copy_from_slice(params.values());
        Ok(Self {
            kind: info.kind,
            params,
            v,
        })
    }

    /// Number of coupling terms handed to the model for `ncvar` coupled
    /// variables.
    pub fn n_terms(&self, ncvar: usize) -> usize {
        match self.kind {
            CouplingKind::SigmoidalJansenRit => 1,
            _ => ncvar,
        }
    }

    /// Whether `pre` needs the target's own current state `x_i`.
    pub fn uses_target_state(&self) -> bool {
        matches!(self.kind, CouplingKind::Difference | CouplingKind::Kuramoto)
    }

    /// `pre` for the float32 couplings (all but SigmoidalJansenRit).
    #[inline(always)]
    pub fn pre32(&self, xi: f32, xj: f32) -> f32 {
        match self.kind {
            CouplingKind::Difference => xj - xi,
            CouplingKind::Kuramoto => ((xj - xi) as f64).sin() as f32,
            _ => xj,
        }
    }

    /// `pre` of SigmoidalJansenRit from the float32 delayed `y1`, `y2`.
    #[inline(always)]
    pub fn pre_sjr(&self, y1: f32, y2: f32) -> f64 {
        let [cmin, cmax, midpoint, r, _a] = self.v;
        let d = (y1 - y2) as f64;
        cmin + (cmax - cmin) / (1.0 + (r * (midpoint - d)).exp())
    }

    /// `post(gx)`, in float64; `ncvar` is the number of coupled variables.
    #[inline(always)]
    pub fn post(&self, gx: f64, ncvar: usize) -> f64 {
        let v = &self.v;
        match self.kind {
            CouplingKind::Linear => v[0] * gx + v[1],
            CouplingKind::Scaling | CouplingKind::Difference | CouplingKind::SigmoidalJansenRit => {
                let a = if self.kind == CouplingKind::SigmoidalJansenRit {
                    v[4]
                } else {
                    v[0]
                };
                a * gx
            }
            CouplingKind::Sigmoidal => {
                let [cmin, cmax, midpoint, a, sigma] = *v;
                cmin + ((cmax - cmin) / (1.0 + (-a * ((gx - midpoint) / sigma)).exp()))
            }
            CouplingKind::Kuramoto => v[0] / ncvar as f64 * gx,
        }
    }
}

/// Looks up a coupling's declaration.
pub fn coupling_info(name: &str) -> Option<&'static CouplingInfo> {
    COUPLINGS.iter().find(|c| c.name == name)
}

#[cfg(test)]
mod tests {
    use super::*;
    #[test]
    fn unknown_names_and_params_are_refused() {
        assert!(Coupling::new("Nope", [])
            .unwrap_err()
            .to_string()
            .contains("Linear"));
        let e = Coupling::new("Linear", [("c", 1.0)]).unwrap_err();
        assert!(e.to_string().contains("no parameter `c`"), "{e}");
        let e = Coupling::new("Linear", [("a", f64::NAN)]).unwrap_err();
        assert!(
            e.to_string().contains("outside its documented range"),
            "{e}"
        );
        let c = Coupling::new("Linear", [("a", 0.5), ("b", 1.0)]).unwrap();
        assert_eq!(c.post(2.0, 1), 2.0);
    }
}
