//! tvb-library's `TemporalAverage`: every `istep = rint(period/dt)` steps,
//! the mean of the last `istep` states, summed in step order and divided by
//! `istep`; time stamp `(step − istep/2)·dt`.

use super::{period_steps, Sample};
use crate::ModelError;

/// Temporal-average monitor.
#[derive(Debug, Clone)]
pub struct TemporalAverage {
    istep: u64,
    dt: f64,
    offset: u64,
    /// `istep × len`, slot `(step mod istep) − 1` (slot −1 is the last)
    stock: Vec<f64>,
    len: usize,
}

impl TemporalAverage {
    /// `len` values per state.
    pub fn new(
        period_ms: f64,
        dt_ms: f64,
        offset_steps: u64,
        len: usize,
    ) -> Result<Self, ModelError> {
        let istep = period_steps(period_ms, dt_ms)?;
        Ok(Self {
            istep: istep as u64,
            dt: dt_ms,
            offset: offset_steps,
            stock: vec![0.0; istep * len],
            len,
        })
    }

    /// The states of the period in progress, `period steps × len` (a
    /// checkpoint).
    pub fn stock(&self) -> &[f64] {
        &self.stock
    }

    /// Continues from the states [`stock`](Self::stock) returned.
    pub fn set_stock(&mut self, stock: &[f64]) -> Result<(), ModelError> {
        if stock.len() != self.stock.len() {
            return Err(ModelError::Config(format!(
                "temporal average: {} saved values, {} needed",
                stock.len(),
                self.stock.len()
            )));
        }
        self.stock.copy_from_slice(stock);
        Ok(())
    }

    /// Feeds the state after simulation step `step` (first step is 1).
    pub fn sample(&mut self, step: u64, state: &[f64]) -> Option<Sample> {
        let s = step + self.offset;
        let r = (s % self.istep) as usize;
        let slot = if r == 0 {
            self.istep as usize - 1
        } else {
            r - 1
        };
        self.stock[slot * self.len..(slot + 1) * self.len].copy_from_slice(state);
        if r != 0 {
            return None;
        }
        let mut sum = vec![0.0; self.len];
        for row in self.stock.chunks_exact(self.len) {
            for (a, b) in sum.iter_mut().zip(row) {
                *a += b;
            }
        }
        for a in &mut sum {
            *a /= self.istep as f64;
        }
        Some(Sample {
            time_ms: (s as f64 - self.istep as f64 / 2.0) * self.dt,
            values: sum,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    #[test]
    fn averages_a_ramp() {
        let mut m = TemporalAverage::new(1.0, 0.25, 0, 1).unwrap();
        let out: Vec<_> = (1..=8).filter_map(|k| m.sample(k, &[k as f64])).collect();
        assert_eq!(out.len(), 2);
        assert_eq!(out[0].values, vec![2.5]);
        assert_eq!(out[0].time_ms, 0.5);
        assert_eq!(out[1].values, vec![6.5]);
    }
}
