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
//! | `HyperbolicTangent` | `a·(1 + tanh((b·x_j − midpoint)/σ))` | `gx` |
//! | `PreSigmoidal` | `H·(Q + tanh(G·(P·x_j − θ)))` | see below |
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
//!
//! `HyperbolicTangent` is a sparse coupling whose `pre` is float64 (its
//! parameters are float64 arrays): float64 products and `reduceat` sum,
//! rounded to float32 when TVB stores the sums (`zeros_like(x_i)`), then the
//! identity `post`.
//!
//! `PreSigmoidal` overrides tvb-library's `__call__`, and what 2.10 computes
//! is not the docstring's sum over afferents. With `X(i, v, j)` the value
//! tvb-library's `history.query` gives (region `j`'s coupled variable `v`
//! delayed by `d_ij`, **0 where `w_ij = 0`**) and `A(u) = H·(Q + tanh(G·u))`,
//! all float64, sums over `i` from 0 in order (numpy's `sum(axis=0)`):
//!
//! * static (`dynamic = 0`), one term per coupled variable:
//!   `c_v[j] = Σ_i w_ji·A(P·X(i, v, j) − θ)` (the weights transposed);
//! * dynamic (`dynamic = 1`, the default; two coupled variables `x`, `θ`,
//!   two terms): `c_0[j] = Σ_i w_ij·A(P·X(i, 0, j) − X(i, 1, j))` and the
//!   region's "direct output" `c_1[j] = A(P·X(j, 0, j) − X(j, 1, j))`
//!   (`numpy.diag`).
//!
//! Both weight a region's *own* delayed state; `c_1` is `H·Q` wherever the
//! connectome's diagonal is 0. `globalT` changes nothing in the static form
//! (`theta[0]` and `theta[:]` are the same scalar); with the dynamic form
//! tvb-library 2.10 fails at the first step (`c_1[:] = c_1.mean()` writes
//! into `numpy.diag`'s read-only view), so that combination is refused.

use std::sync::Arc;

use brainstream_modeldecl::coupling::{CouplingEval, CouplingProgram};

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
    HyperbolicTangent,
    PreSigmoidal,
    /// A user's declaration (`crate::user_coupling`), evaluated from it.
    Declared,
}

/// A coupling function's declaration.
#[derive(Debug)]
pub struct CouplingInfo {
    pub kind: CouplingKind,
    pub name: &'static str,
    pub doc: &'static str,
    pub params: &'static [ParamDef],
    /// A user's coupling: its checked declaration.
    pub user: Option<&'static CouplingProgram>,
    /// A user's coupling: the declaration's text.
    pub source: &'static str,
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
        user: None,
        source: "",
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
        user: None,
        source: "",
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
        user: None,
        source: "",
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
        user: None,
        source: "",
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
        user: None,
        source: "",
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
        user: None,
        source: "",
    },
    CouplingInfo {
        kind: CouplingKind::HyperbolicTangent,
        name: "HyperbolicTangent",
        doc: "c = Σ w_ij a(1 + tanh((b·x_j(t−d_ij) − midpoint)/sigma)), summed in float64, stored in float32",
        params: &[
            p("a", 1.0, -1000.0, 1000.0, "1", "Minimum of the sigmoid function"),
            p("b", 1.0, -1.0, 1.0, "1", "Scaling factor for the variable"),
            p(
                "midpoint",
                0.0,
                -1000.0,
                1000.0,
                "1",
                "Midpoint of the linear portion of the sigmoid",
            ),
            p(
                "sigma",
                1.0,
                0.01,
                1000.0,
                "1",
                "Standard deviation of the coupling",
            ),
        ],
        user: None,
        source: "",
    },
    CouplingInfo {
        kind: CouplingKind::PreSigmoidal,
        name: "PreSigmoidal",
        doc: "H(Q + tanh(G(P·x − θ))) before the sum, θ static or the second coupled variable (dynamic, HopfieldDynamic); as tvb-library 2.10 computes it (docs/design.md)",
        params: &[
            p("H", 0.5, -100.0, 100.0, "1", "Global factor"),
            p("Q", 1.0, -100.0, 100.0, "1", "Average"),
            p("G", 60.0, -1000.0, 1000.0, "1", "Gain"),
            p("P", 1.0, -100.0, 100.0, "1", "Excitation-inhibition ratio"),
            p("theta", 0.5, -100.0, 100.0, "1", "Threshold (static form)"),
            p(
                "dynamic",
                1.0,
                0.0,
                1.0,
                "bool",
                "1: the threshold is the second coupled variable (HopfieldDynamic's theta); 0: static threshold theta",
            ),
            p(
                "globalT",
                0.0,
                0.0,
                1.0,
                "bool",
                "1: global threshold (dynamic form); 0: local",
            ),
        ],
        user: None,
        source: "",
    },
];

/// A configured coupling function.
#[derive(Debug, Clone)]
pub struct Coupling {
    pub kind: CouplingKind,
    /// What it is: a built-in's table or a user's declaration.
    pub info: &'static CouplingInfo,
    pub params: ParamSet,
    // cached parameter values, in table order
    v: [f64; 8],
    /// A declared coupling's evaluator, for these parameter values.
    eval: Option<Arc<CouplingEval>>,
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
        Self::from_info(info, overrides)
    }

    /// The coupling of `info` (a built-in's or a user's,
    /// [`crate::user_coupling`]) with parameter overrides.
    pub fn from_info<'a>(
        info: &'static CouplingInfo,
        overrides: impl IntoIterator<Item = (&'a str, f64)>,
    ) -> Result<Self, ModelError> {
        let params = ParamSet::from_overrides(info.name, info.params, overrides)?;
        let mut v = [0.0; 8];
        let k = params.values().len().min(8);
        v[..k].copy_from_slice(&params.values()[..k]);
        let eval = info
            .user
            .map(|prog| Arc::new(CouplingEval::new(prog, params.values())));
        if info.kind == CouplingKind::PreSigmoidal {
            for (k, opt) in [(5, "dynamic"), (6, "globalT")] {
                if v[k] != 0.0 && v[k] != 1.0 {
                    return Err(ModelError::Config(format!(
                        "PreSigmoidal's `{opt}` is 0 or 1 (a switch), got {}",
                        v[k]
                    )));
                }
            }
            if v[5] == 1.0 && v[6] == 1.0 {
                return Err(ModelError::Config(
                    "PreSigmoidal with dynamic = 1 and globalT = 1 is refused: tvb-library 2.10 fails on it at the first step (`c_1[:] = c_1.mean()` writes into numpy.diag's read-only view), so there is nothing to reproduce; globalT = 0, or dynamic = 0 (where globalT changes nothing)".into(),
                ));
            }
        }
        Ok(Self {
            kind: info.kind,
            info,
            params,
            v,
            eval,
        })
    }

    /// A declared coupling's program and evaluator.
    pub fn declared(&self) -> Option<(&'static CouplingProgram, &CouplingEval)> {
        Some((self.info.user?, self.eval.as_deref()?))
    }

    /// Number of coupling terms handed to the model for `ncvar` coupled
    /// variables.
    pub fn n_terms(&self, ncvar: usize) -> usize {
        match self.kind {
            CouplingKind::SigmoidalJansenRit => 1,
            CouplingKind::PreSigmoidal if self.presigmoidal_dynamic() => 2,
            CouplingKind::Declared => match self.info.user {
                Some(p) => p.n_terms(ncvar, self.params.values()),
                None => ncvar,
            },
            _ => ncvar,
        }
    }

    /// PreSigmoidal's dynamic form (`dynamic = 1`).
    pub fn presigmoidal_dynamic(&self) -> bool {
        self.kind == CouplingKind::PreSigmoidal && self.v[5] != 0.0
    }

    /// `pre` of HyperbolicTangent (float64) from the float32 delayed value.
    #[inline(always)]
    pub fn pre_tanh(&self, xj: f32) -> f64 {
        let [a, b, midpoint, sigma, ..] = self.v;
        a * (1.0 + ((b * xj as f64 - midpoint) / sigma).tanh())
    }

    /// PreSigmoidal's `H·(Q + tanh(G·u))`.
    #[inline(always)]
    pub fn presig(&self, u: f64) -> f64 {
        let [h, q, g, ..] = self.v;
        h * (q + (g * u).tanh())
    }

    /// PreSigmoidal's argument `P·x − t` (x float32, promoted).
    #[inline(always)]
    pub fn presig_arg(&self, x: f32, t: f64) -> f64 {
        self.v[3] * x as f64 - t
    }

    /// PreSigmoidal's static threshold θ.
    pub fn presig_theta(&self) -> f64 {
        self.v[4]
    }

    /// Whether `pre` needs the target's own current state `x_i`.
    pub fn uses_target_state(&self) -> bool {
        match self.kind {
            CouplingKind::Difference | CouplingKind::Kuramoto => true,
            CouplingKind::Declared => self.info.user.is_some_and(|p| p.reads_x_i()),
            _ => false,
        }
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
        let [cmin, cmax, midpoint, r, ..] = self.v;
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
                let [cmin, cmax, midpoint, a, sigma, ..] = *v;
                cmin + ((cmax - cmin) / (1.0 + (-a * ((gx - midpoint) / sigma)).exp()))
            }
            CouplingKind::Kuramoto => v[0] / ncvar as f64 * gx,
            CouplingKind::HyperbolicTangent | CouplingKind::PreSigmoidal => gx,
            // the engine evaluates a declared coupling's post itself
            // (`CouplingEval::post`, with its scratch)
            CouplingKind::Declared => f64::NAN,
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
