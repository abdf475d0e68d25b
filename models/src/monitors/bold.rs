//! tvb-library's `Bold` monitor: the first-order Volterra kernel of the
//! Balloon–Windkessel model (Friston et al. 2000) convolved with the neural
//! signal.
//!
//! * The signal is first averaged over 4 ms windows (`interim` period,
//!   tvb-library's `_stock_sample_rate = 2⁻² /ms`), kept for `hrf_length`
//!   (20 s → 5000 samples).
//! * Kernel, `t` in s: `G(t) = 1/3·exp(−t/(2τ_s))·sin(ω·t)/ω`,
//!   `ω = sqrt(1/τ_f − 1/(4τ_s²))`, `τ_s = 0.8 s`, `τ_f = 0.4 s`.
//! * Every `period` (default 2000 ms): `BOLD = (Σ_k G_k·u_{t−k} − 1)·k_1·V_0`
//!   with `k_1 = 5.6`, `V_0 = 0.02`; time stamp `step·dt`.
//!
//! As in tvb-library the stock starts at zero, so the first 20 s of BOLD are a
//! transient.

use super::{period_steps, Sample};
use crate::ModelError;

/// Kernel parameters, tvb-library's `FirstOrderVolterra` defaults.
pub const TAU_S: f64 = 0.8;
/// Kernel parameter τ_f in s.
pub const TAU_F: f64 = 0.4;
/// Kernel parameter k_1.
pub const K_1: f64 = 5.6;
/// Resting blood volume fraction V_0.
pub const V_0: f64 = 0.02;

/// BOLD monitor.
#[derive(Debug, Clone)]
pub struct Bold {
    istep: u64,
    interim_istep: u64,
    dt: f64,
    offset: u64,
    len: usize,
    interim: Vec<f64>,
    stock: Vec<f64>,
    stock_steps: usize,
    /// reversed kernel (tvb-library's `hemodynamic_response_function`)
    hrf: Vec<f64>,
}

impl Bold {
    /// `period_ms` (tvb-library's default 2000), `hrf_length_ms` (20000).
    pub fn new(
        period_ms: f64,
        hrf_length_ms: f64,
        dt_ms: f64,
        offset_steps: u64,
        len: usize,
    ) -> Result<Self, ModelError> {
        let istep = period_steps(period_ms, dt_ms)? as u64;
        let stock_sample_rate = 0.25; // per ms
        let interim_istep = period_steps(1.0 / stock_sample_rate, dt_ms)? as u64;
        if !(hrf_length_ms.is_finite() && hrf_length_ms >= 4.0) {
            return Err(ModelError::Config(format!(
                "Bold hrf_length {hrf_length_ms} ms must be at least 4 ms"
            )));
        }
        let stock_steps = (stock_sample_rate * hrf_length_ms).ceil() as usize;
        let tmax = hrf_length_ms / 1000.0;
        let tstep = tmax / stock_steps as f64;
        let omega = (1.0 / TAU_F - 1.0 / (4.0 * TAU_S.powi(2))).sqrt();
        let g: Vec<f64> = (0..stock_steps)
            .map(|k| {
                let t = k as f64 * tstep;
                1.0 / 3.0 * (-0.5 * (t / TAU_S)).exp() * (omega * t).sin() / omega
            })
            .collect();
        let hrf: Vec<f64> = g.into_iter().rev().collect();
        Ok(Self {
            istep,
            interim_istep,
            dt: dt_ms,
            offset: offset_steps,
            len,
            interim: vec![0.0; interim_istep as usize * len],
            stock: vec![0.0; stock_steps * len],
            stock_steps,
            hrf,
        })
    }

    /// Feeds the state after simulation step `step` (first step is 1).
    pub fn sample(&mut self, step: u64, state: &[f64]) -> Option<Sample> {
        let s = step + self.offset;
        let ii = self.interim_istep;
        let r = (s % ii) as usize;
        let slot = if r == 0 { ii as usize - 1 } else { r - 1 };
        self.interim[slot * self.len..(slot + 1) * self.len].copy_from_slice(state);
        let ss = self.stock_steps as i64;
        let pos = ((s / ii) as i64 % ss) - 1;
        if r == 0 {
            let p = pos.rem_euclid(ss) as usize;
            let dst = &mut self.stock[p * self.len..(p + 1) * self.len];
            dst.fill(0.0);
            for row in self.interim.chunks_exact(self.len) {
                for (a, b) in dst.iter_mut().zip(row) {
                    *a += b;
                }
            }
            for a in dst.iter_mut() {
                *a /= ii as f64;
            }
        }
        if !s.is_multiple_of(self.istep) {
            return None;
        }
        // numpy.roll(hrf, pos): rolled[k] = hrf[(k − pos) mod S]
        let mut out = vec![0.0; self.len];
        for k in 0..self.stock_steps {
            let g = self.hrf[(k as i64 - pos).rem_euclid(ss) as usize];
            let row = &self.stock[k * self.len..(k + 1) * self.len];
            for (o, v) in out.iter_mut().zip(row) {
                *o += g * v;
            }
        }
        for o in &mut out {
            *o = (*o - 1.0) * (K_1 * V_0);
        }
        Some(Sample {
            time_ms: s as f64 * self.dt,
            values: out,
        })
    }
}
