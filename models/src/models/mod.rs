//! Neural mass models. Each built-in model is one declaration file in
//! `models/decl/` (its parameters, state variables, coupled variables and
//! derivatives as expressions; format in `docs/models.md`), from which
//! `build.rs` generates, at build time, its parameter table, its
//! [`ModelInfo`], a struct implementing [`Dfun`], the [`MODELS`] list and
//! the [`with_model`] dispatch. A declaration that does
//! not check is a compile error, never a run-time panic.
//!
//! Adding a built-in model: its declaration in `models/decl/` and its
//! reference test. A user's model (`model = "mine.toml"` in a graph) runs
//! the same declaration through [`crate::user_model`], with no compiler.

use crate::params::{ParamDef, ParamSet};

/// The right-hand side of a model: `dx = f(x, c)`.
///
/// `x` holds a node's state variables in the order of
/// [`ModelInfo::state_variables`], `c` its coupling terms (one per entry of
/// [`ModelInfo::cvar`], or one for SigmoidalJansenRit), `dx` receives the
/// time derivatives per ms.
pub trait Dfun: Send + Sync + Clone + 'static {
    /// Evaluates the derivatives of one node.
    fn dfun(&self, x: &[f64], c: &[f64], dx: &mut [f64]);

    /// Evaluates the derivatives of consecutive nodes, the first being
    /// region `first`: `x` and `dx` hold `nv` values per node, `c` holds
    /// `nt` terms per node (row-major). Built-in models evaluate node by
    /// node (the compiler inlines `dfun` into this loop); users' models
    /// evaluate whole blocks at once; per-region parameter sets pick each
    /// region's.
    #[inline(always)]
    fn dfun_rows(&self, first: usize, nv: usize, nt: usize, x: &[f64], c: &[f64], dx: &mut [f64]) {
        let _ = first;
        for ((xs, cs), ds) in x
            .chunks_exact(nv)
            .zip(c.chunks_exact(nt))
            .zip(dx.chunks_exact_mut(nv))
        {
            self.dfun(xs, cs, ds);
        }
    }
}

/// Static description of a model: everything but the equations.
#[derive(Debug)]
pub struct ModelInfo {
    /// tvb-library's class name (or the user's model name).
    pub name: &'static str,
    /// One paragraph: what it models and its reference.
    pub doc: &'static str,
    /// Parameter table.
    pub params: &'static [ParamDef],
    /// Modes per region (tvb-library's `number_of_modes`; 1 for most
    /// models). With more, `state_variables`, `cvar`, `voi`, `noise`,
    /// `stimulus` and `observables` list every (variable, mode) as its own
    /// variable, variable major, named `xi[0]`, `xi[1]`, ...
    /// (`brainstream_modeldecl::modes`).
    pub modes: usize,
    /// State variable names.
    pub state_variables: &'static [&'static str],
    /// Unit of each state variable.
    pub units: &'static [&'static str],
    /// Indices of the coupled state variables (tvb-library's `cvar`).
    pub cvar: &'static [usize],
    /// `state_variable_range`: the range of random initial conditions.
    pub range: &'static [(f64, f64)],
    /// `state_variable_boundaries`: states are clamped into these after each
    /// integration stage (±∞ where unbounded).
    pub bounds: &'static [(f64, f64)],
    /// Default variables of interest: state variables or observables.
    pub voi: &'static [&'static str],
    /// Observables: expressions of the state recorded like state variables
    /// (their names; [`crate::observe::Observer`] evaluates them).
    pub observables: &'static [&'static str],
    /// The variables a single noise intensity applies to (`None`: all, as
    /// tvb-library's integrators do).
    pub noise: Option<&'static [usize]>,
    /// The variables a stimulus enters (tvb-library's `stvar`: the coupled
    /// variables unless the declaration names others).
    pub stimulus: &'static [usize],
    /// The declaration, as written (`brainstream model show`).
    pub source: &'static str,
    /// A user's model: the checked declaration the engine evaluates.
    pub user: Option<&'static brainstream_modeldecl::Program>,
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
    /// Number of parameter values (a vector counts its elements).
    pub fn n_values(&self) -> usize {
        self.params.iter().map(|p| p.len).sum()
    }
    /// The name of every parameter value: a scalar's name, `NAME[k]` for a
    /// vector's elements.
    pub fn value_names(&self) -> Vec<String> {
        self.params
            .iter()
            .flat_map(|p| {
                if p.is_vector() {
                    (0..p.len).map(|k| format!("{}[{k}]", p.name)).collect()
                } else {
                    vec![p.name.to_string()]
                }
            })
            .collect()
    }
}

/// Unbounded.
pub const FREE: (f64, f64) = (f64::NEG_INFINITY, f64::INFINITY);

/// A built-in model with a parameter set per region (tvb-library's
/// per-region parameter arrays): region `i` is stepped by `models[i]`,
/// whose parameter-only operations were computed from region `i`'s values.
#[derive(Debug, Clone)]
pub struct Regional<M> {
    models: Vec<M>,
}

impl<M: Dfun> Dfun for Regional<M> {
    fn dfun(&self, x: &[f64], c: &[f64], dx: &mut [f64]) {
        self.models[0].dfun(x, c, dx);
    }

    #[inline(always)]
    fn dfun_rows(&self, first: usize, nv: usize, nt: usize, x: &[f64], c: &[f64], dx: &mut [f64]) {
        for (((m, xs), cs), ds) in self.models[first..]
            .iter()
            .zip(x.chunks_exact(nv))
            .zip(c.chunks_exact(nt))
            .zip(dx.chunks_exact_mut(nv))
        {
            m.dfun(xs, cs, ds);
        }
    }
}

/// Builds a built-in model from `params` (one per region where some values
/// are per region) and hands it to `v`.
fn build<M: Dfun, V: ModelVisitor>(params: &ParamSet, new: fn(&ParamSet) -> M, v: V) -> V::Out {
    match params.n_regions() {
        None => v.visit(new(params)),
        Some(n) => v.visit(Regional {
            models: (0..n).map(|i| new(&params.for_region(i))).collect(),
        }),
    }
}

/// Something to do with a model whatever its type: [`with_model`] calls
/// `visit` with the concrete model (a generic "closure", so that the engine
/// is monomorphised per model and the right-hand side inlines into the
/// integrator loop).
pub trait ModelVisitor {
    type Out;
    fn visit<M: Dfun>(self, m: M) -> Self::Out;
}

// The built-in models (one module each), `MODELS` and `with_model`.
include!(concat!(env!("OUT_DIR"), "/models.rs"));

/// Finds a built-in model by tvb-library class name.
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
