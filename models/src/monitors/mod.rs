//! Monitors: turn the raw state stream into what is recorded, with
//! tvb-library's sampling rules. Each consumes states one step at a time and
//! may emit a sample.
//!
//! tvb-library numbers steps from the end of the initial history: its first
//! step is `horizon` (e.g. 513 for the 76-region connectome at dt 0.1 ms).
//! Monitors here count steps from the start of the simulation (the first
//! step is 1) plus an `offset_steps`, so that `offset_steps = horizon − 1`
//! reproduces tvb-library's sampling phase exactly.

pub mod bold;
pub mod projection;
pub mod spatial_average;
pub mod subsample;
pub mod temporal_average;

pub use bold::{Bold, HrfKernel};
pub use projection::{Projection, Reference};
pub use spatial_average::{Grouping, SpatialAverage};
pub use subsample::SubSample;
pub use temporal_average::TemporalAverage;

/// A sample: time in ms (tvb-library's time stamp, offset included) and
/// values (`nvar × N`, state-variable major).
#[derive(Debug, Clone, PartialEq)]
pub struct Sample {
    pub time_ms: f64,
    pub values: Vec<f64>,
}

/// Period in ms → steps, as tvb-library's `iround(period / dt)`.
pub fn period_steps(period_ms: f64, dt_ms: f64) -> Result<usize, crate::ModelError> {
    let s = (period_ms / dt_ms).round_ties_even();
    if !(period_ms.is_finite() && s >= 1.0) {
        return Err(crate::ModelError::Config(format!(
            "monitor period {period_ms} ms must be finite and at least one step (dt = {dt_ms} ms)"
        )));
    }
    Ok(s as usize)
}
