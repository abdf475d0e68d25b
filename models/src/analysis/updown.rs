//! Up and down states of a rate signal, with hysteresis: a region enters
//! the up state when its signal rises above `hi` and the down state when it
//! falls below `lo` (`lo ≤ hi`). Durations of the complete episodes (the
//! first and last, cut by the recording, are not counted) are averaged over
//! episodes and regions; the up fraction is the share of classified time
//! spent up.

/// Streaming up/down-state statistics of N signals.
#[derive(Debug, Clone)]
pub struct UpDown {
    lo: f64,
    hi: f64,
    dt_ms: f64,
    /// per signal: current state (None before the first classification),
    /// whether the current episode started inside the recording, its length
    state: Vec<Option<(bool, bool, u64)>>,
    up: (f64, u64),
    down: (f64, u64),
    up_samples: u64,
    classified: u64,
}

/// Up/down summary.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct UpDownSummary {
    /// Mean duration of complete up episodes, ms (NaN when none).
    pub up_ms: f64,
    /// Mean duration of complete down episodes, ms (NaN when none).
    pub down_ms: f64,
    /// Share of classified samples in the up state.
    pub up_fraction: f64,
}

impl UpDown {
    /// `n` signals sampled every `dt_ms`, thresholds `lo ≤ hi`.
    pub fn new(n: usize, lo: f64, hi: f64, dt_ms: f64) -> Self {
        Self {
            lo,
            hi,
            dt_ms,
            state: vec![None; n],
            up: (0.0, 0),
            down: (0.0, 0),
            up_samples: 0,
            classified: 0,
        }
    }

    /// Finished statistics counted elsewhere (a sweep's device), for
    /// [`summary`](Self::summary) only (no samples can follow): the
    /// complete up and down episodes' summed lengths (samples) and counts
    /// per signal, `(up_len, up_n, down_len, down_n)`, and the up and
    /// classified samples over all signals. Durations are summed as
    /// [`push`](Self::push) does, `len·dt` per signal in order.
    pub fn from_counts(
        dt_ms: f64,
        per_signal: &[(u64, u64, u64, u64)],
        up_samples: u64,
        classified: u64,
    ) -> Self {
        let (mut up, mut down) = ((0.0, 0), (0.0, 0));
        for &(ul, un, dl, dn) in per_signal {
            up.0 += ul as f64 * dt_ms;
            up.1 += un;
            down.0 += dl as f64 * dt_ms;
            down.1 += dn;
        }
        Self {
            lo: f64::NAN,
            hi: f64::NAN,
            dt_ms,
            state: vec![],
            up,
            down,
            up_samples,
            classified,
        }
    }

    /// Adds one sample of the N signals.
    pub fn push(&mut self, x: &[f64]) {
        for (st, &v) in self.state.iter_mut().zip(x) {
            let next = match *st {
                None if v > self.hi => Some((true, false, 0)),
                None if v < self.lo => Some((false, false, 0)),
                None => None,
                Some((up, complete, len)) => {
                    let flip = if up { v < self.lo } else { v > self.hi };
                    if flip {
                        if complete {
                            let acc = if up { &mut self.up } else { &mut self.down };
                            acc.0 += len as f64 * self.dt_ms;
                            acc.1 += 1;
                        }
                        Some((!up, true, 0))
                    } else {
                        Some((up, complete, len))
                    }
                }
            };
            *st = next.map(|(u, c, l)| (u, c, l + 1));
            if let Some((u, _, _)) = *st {
                self.classified += 1;
                self.up_samples += u as u64;
            }
        }
    }

    /// The statistics so far.
    pub fn summary(&self) -> UpDownSummary {
        let mean = |(s, n): (f64, u64)| if n == 0 { f64::NAN } else { s / n as f64 };
        UpDownSummary {
            up_ms: mean(self.up),
            down_ms: mean(self.down),
            up_fraction: if self.classified == 0 {
                f64::NAN
            } else {
                self.up_samples as f64 / self.classified as f64
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn square_wave_durations() {
        // 300 ms up (value 1), 700 ms down (value 0), sampled at 1 ms, 5 cycles,
        // starting in the middle of a down state
        let mut u = UpDown::new(1, 0.2, 0.8, 1.0);
        for t in 0..5000 {
            let phase = (t + 500) % 1000;
            u.push(&[if phase < 300 { 1.0 } else { 0.0 }]);
        }
        let s = u.summary();
        assert_eq!(s.up_ms, 300.0);
        assert_eq!(s.down_ms, 700.0);
        assert!((s.up_fraction - 0.3).abs() < 0.01);
    }
}
