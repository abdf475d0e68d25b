//! Errors of the numerics crate.

use std::path::PathBuf;

/// Everything that can go wrong building or running a mean-field simulation.
#[derive(Debug, thiserror::Error)]
pub enum ModelError {
    /// A parameter name that the model or coupling does not declare.
    #[error("{owner} has no parameter `{name}` (known: {known})")]
    UnknownParameter {
        owner: String,
        name: String,
        known: String,
    },
    /// A value outside the documented range (refused where the graph asks
    /// for strict ranges) or outside the hard limits (always refused).
    #[error("{owner}.{name} = {value} is outside its documented range [{lo}, {hi}] {unit}")]
    ParameterOutOfRange {
        owner: String,
        name: String,
        value: f64,
        lo: f64,
        hi: f64,
        unit: &'static str,
    },
    /// A value outside what the model can compute (its hard limits).
    #[error("{owner}.{name} = {value} is outside its limits [{lo}, {hi}] {unit}: the model cannot compute with it")]
    ParameterOutsideLimits {
        owner: String,
        name: String,
        value: f64,
        lo: f64,
        hi: f64,
        unit: &'static str,
    },
    /// A model, coupling, integrator or monitor name that does not exist.
    #[error("unknown {what} `{name}` (known: {known})")]
    UnknownName {
        what: &'static str,
        name: String,
        known: String,
    },
    /// A connectivity file that cannot be read or parsed.
    #[error("connectivity {path}: {cause}")]
    Connectivity { path: PathBuf, cause: String },
    /// A data file (connectome matrix, centres, initial conditions) that
    /// cannot be read, located to its line and column where known.
    #[error("{}{}: {cause}", path.display(), loc.map(|(l, c)| format!(":{l}:{c}")).unwrap_or_default())]
    DataFile {
        path: PathBuf,
        loc: Option<(usize, usize)>,
        cause: String,
    },
    /// Inconsistent configuration.
    #[error("{0}")]
    Config(String),
    /// A NaN or infinite state.
    #[error("simulation diverged at step {step} (t = {} ms): state variable `{variable}` of region {region} (`{label}`) is {value}", (time_ms * 1e6).round() / 1e6)]
    Diverged {
        step: u64,
        time_ms: f64,
        region: usize,
        label: String,
        variable: &'static str,
        value: f64,
    },
}
