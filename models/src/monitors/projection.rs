//! tvb-library's sensor-space monitors of a region simulation — `EEG`,
//! `MEG` and `iEEG` (`Projection.sample`, tvb-library 2.10):
//!
//! * every step, the lead field applied to the observed state is added up:
//!   `acc[s][v] += Σ_r g[s][r]·x_v[r]` (sensors `s`, variables `v`,
//!   regions `r`; `g` from [`crate::leadfield`]);
//! * every `p = int(period/dt)` steps (truncated, as tvb-library does: its
//!   default 1e3/1024 ms at dt 0.1 ms is 9 steps), the sample is
//!   `y = acc/p`, stamped `(step − p/2)·dt`, and `acc` restarts from 0.
//!   Counting from the run's first step, tvb-library's first sample comes
//!   at the first step that is a multiple of `p` (with its phase: step
//!   `horizon`, 513 for the 76-region connectome at dt 0.1 ms, is one), so
//!   it holds fewer than `p` steps while still divided by `p`: reproduced.
//! * observation noise (optional; tvb-library's default `obsnoise`, an
//!   `Additive` noise with its own `RandomState(42)`): `y[s][v] +=
//!   sqrt(dt)·z[s][v]`, `z` drawn sensor-major — tvb-library's
//!   `Noise.white`, whose `nsig` is not applied;
//! * EEG only, a reference: `y[v][s] −= Σ_s' ref[s']·y[v][s']`, `ref` the
//!   one-hot vector of the reference electrode or `1/S` for the average
//!   reference.
//!
//! Units: the sample is in the lead field's units times the observed
//! variables' (tvb-library does not state them).

use super::Sample;
use crate::leadfield::LeadField;
use crate::noise::NumpyRandomState;
use crate::ModelError;

/// The EEG reference.
#[derive(Debug, Clone, PartialEq)]
pub enum Reference {
    /// Reference-free (tvb-library's default).
    None,
    /// The mean over every sensor.
    Average,
    /// One electrode, by index.
    Sensor(usize),
}

/// A sensor-space projection monitor.
#[derive(Debug, Clone)]
pub struct Projection {
    lead: LeadField,
    nvar: usize,
    istep: u64,
    dt: f64,
    offset: u64,
    /// `sensors × nvar`, as tvb-library's `_state`.
    acc: Vec<f64>,
    reference: Reference,
    noise: Option<NumpyRandomState>,
    col: Vec<f64>,
}

/// Period in ms → steps as `Projection.config_for_sim`: `int(period/dt)`.
pub fn projection_period_steps(period_ms: f64, dt_ms: f64) -> Result<u64, ModelError> {
    let s = (period_ms / dt_ms).trunc();
    if !(period_ms.is_finite() && (1.0..1e15).contains(&s)) {
        return Err(ModelError::Config(format!(
            "monitor period {period_ms} ms must be finite and at least one step (dt = {dt_ms} ms)"
        )));
    }
    Ok(s as u64)
}

impl Projection {
    /// A monitor of `nvar` observed variables of `lead.regions` regions,
    /// sampling every `int(period_ms/dt_ms)` steps (step counter offset by
    /// `offset_steps`, as the other monitors), with observation noise from
    /// `RandomState(noise_seed)` when given.
    pub fn new(
        lead: LeadField,
        nvar: usize,
        period_ms: f64,
        dt_ms: f64,
        offset_steps: u64,
        reference: Reference,
        noise_seed: Option<u32>,
    ) -> Result<Self, ModelError> {
        let istep = projection_period_steps(period_ms, dt_ms)?;
        if let Reference::Sensor(k) = reference {
            if k >= lead.sensors {
                return Err(ModelError::Config(format!(
                    "reference sensor {k} of {}",
                    lead.sensors
                )));
            }
        }
        Ok(Self {
            acc: vec![0.0; lead.sensors * nvar],
            col: vec![0.0; lead.regions],
            lead,
            nvar,
            istep,
            dt: dt_ms,
            offset: offset_steps,
            reference,
            noise: noise_seed.map(NumpyRandomState::new),
        })
    }

    /// Steps per sample.
    pub fn period_steps(&self) -> u64 {
        self.istep
    }

    /// Feeds the observed state after step `step` (first step 1): `nvar ×
    /// regions`, variable-major. Returns a sample of `nvar × sensors`.
    pub fn sample(&mut self, step: u64, state: &[f64]) -> Option<Sample> {
        let (ns, nr, nv) = (self.lead.sensors, self.lead.regions, self.nvar);
        debug_assert_eq!(state.len(), nv * nr);
        for v in 0..nv {
            self.col.copy_from_slice(&state[v * nr..(v + 1) * nr]);
            for s in 0..ns {
                let g = &self.lead.gain[s * nr..(s + 1) * nr];
                let mut dot = 0.0;
                for (a, b) in g.iter().zip(&self.col) {
                    dot += a * b;
                }
                self.acc[s * nv + v] += dot;
            }
        }
        let s = step + self.offset;
        if !s.is_multiple_of(self.istep) {
            return None;
        }
        let p = self.istep as f64;
        let mut y: Vec<f64> = self.acc.iter().map(|a| a / p).collect();
        if let Some(rng) = &mut self.noise {
            let sq = self.dt.sqrt();
            for x in y.iter_mut() {
                *x += sq * rng.gauss();
            }
        }
        self.acc.iter_mut().for_each(|a| *a = 0.0);
        // sensors × nvar → nvar × sensors
        let mut out = vec![0.0; nv * ns];
        for si in 0..ns {
            for v in 0..nv {
                out[v * ns + si] = y[si * nv + v];
            }
        }
        for v in 0..nv {
            let row = &mut out[v * ns..(v + 1) * ns];
            let r = match self.reference {
                Reference::None => continue,
                Reference::Sensor(k) => row[k],
                Reference::Average => {
                    let w = 1.0 / ns as f64;
                    row.iter().map(|x| w * x).sum::<f64>()
                }
            };
            for x in row.iter_mut() {
                *x -= r;
            }
        }
        Some(Sample {
            time_ms: (s as f64 - p / 2.0) * self.dt,
            values: out,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lead() -> LeadField {
        // 2 sensors × 3 regions
        LeadField {
            sensors: 2,
            regions: 3,
            gain: vec![1.0, 0.0, 2.0, 0.5, 0.5, 0.5],
            source: "t".into(),
        }
    }

    #[test]
    fn averages_the_projection_over_truncated_periods() {
        // period 0.35 ms at dt 0.1 ms: int(3.5) = 3 steps
        let mut m = Projection::new(lead(), 1, 0.35, 0.1, 0, Reference::None, None).unwrap();
        assert_eq!(m.period_steps(), 3);
        let mut out = vec![];
        for k in 1..=6u64 {
            let x = k as f64;
            if let Some(s) = m.sample(k, &[x, 2.0 * x, 0.0]) {
                out.push(s);
            }
        }
        assert_eq!(out.len(), 2);
        // steps 1..3: sensor 0 sees x, sensor 1 sees 1.5·x; mean x = 2
        assert_eq!(out[0].values, vec![2.0, 3.0]);
        assert!((out[0].time_ms - 0.15).abs() < 1e-12);
        assert_eq!(out[1].values, vec![5.0, 7.5]);
    }

    #[test]
    fn references_subtract_an_electrode_or_the_mean() {
        let mut m = Projection::new(lead(), 1, 0.1, 0.1, 0, Reference::Sensor(1), None).unwrap();
        assert_eq!(
            m.sample(1, &[1.0, 1.0, 1.0]).unwrap().values,
            vec![1.5, 0.0]
        );
        let mut m = Projection::new(lead(), 1, 0.1, 0.1, 0, Reference::Average, None).unwrap();
        assert_eq!(
            m.sample(1, &[1.0, 1.0, 1.0]).unwrap().values,
            vec![0.75, -0.75]
        );
        assert!(Projection::new(lead(), 1, 0.1, 0.1, 0, Reference::Sensor(2), None).is_err());
        assert!(Projection::new(lead(), 1, 0.05, 0.1, 0, Reference::None, None).is_err());
    }

    #[test]
    fn observation_noise_is_sqrt_dt_times_numpy_normals() {
        let mut m = Projection::new(lead(), 1, 0.25, 0.25, 0, Reference::None, Some(42)).unwrap();
        let y = m.sample(1, &[0.0; 3]).unwrap().values;
        // numpy.random.RandomState(42).normal(size=(2, 1)) · sqrt(0.25)
        assert_eq!(
            y,
            vec![0.5 * 0.4967141530112327, 0.5 * -0.13826430117118466]
        );
    }
}
