//! tvb-library's `SubSample`: every `istep = rint(period/dt)` steps, the
//! current state; time stamp `step·dt`.

use super::{period_steps, Sample};
use crate::ModelError;

/// Sub-sampling monitor.
#[derive(Debug, Clone)]
pub struct SubSample {
    istep: u64,
    dt: f64,
    offset: u64,
}

impl SubSample {
    /// `period_ms` ≥ `dt_ms`.
    pub fn new(period_ms: f64, dt_ms: f64, offset_steps: u64) -> Result<Self, ModelError> {
        Ok(Self {
            istep: period_steps(period_ms, dt_ms)? as u64,
            dt: dt_ms,
            offset: offset_steps,
        })
    }

    /// Feeds the state after simulation step `step` (first step is 1).
    pub fn sample(&mut self, step: u64, state: &[f64]) -> Option<Sample> {
        let s = step + self.offset;
        s.is_multiple_of(self.istep).then(|| Sample {
            time_ms: s as f64 * self.dt,
            values: state.to_vec(),
        })
    }
}
