//! Functional connectivity dynamics (Hansen et al. 2015): FC in sliding
//! windows of `window` samples every `step` samples, and the matrix of
//! Pearson correlations between the windows' FC upper triangles,
//!
//! ```text
//! FCD_ab = corr(triu(FC_a), triu(FC_b))
//! ```
//! summarised by the variance and mean of its upper triangle (`a < b`). A
//! high FCD variance marks switching between FC states. Streamed: at most
//! ⌈window/step⌉ windows are open at a time, and only each closed window's
//! FC triangle (N(N−1)/2 values) is kept.

use super::fc::{pearson, StreamingFc};

/// Streaming FCD of N signals.
#[derive(Debug, Clone)]
pub struct StreamingFcd {
    n: usize,
    window: usize,
    step: usize,
    seen: usize,
    open: Vec<StreamingFc>,
    closed: Vec<Vec<f64>>,
}

/// FCD summary.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct FcdSummary {
    /// Variance of the FCD upper triangle (NaN with fewer than 2 windows).
    pub var: f64,
    /// Mean of the FCD upper triangle.
    pub mean: f64,
    /// Number of complete windows.
    pub windows: usize,
}

impl StreamingFcd {
    /// Windows of `window` samples, a new one every `step` samples.
    pub fn new(n: usize, window: usize, step: usize) -> Self {
        assert!(window >= 2 && step >= 1);
        Self {
            n,
            window,
            step,
            seen: 0,
            open: vec![],
            closed: vec![],
        }
    }

    /// Adds one sample of the N signals.
    pub fn push(&mut self, x: &[f64]) {
        if self.seen.is_multiple_of(self.step) {
            self.open.push(StreamingFc::new(self.n));
        }
        self.seen += 1;
        for w in &mut self.open {
            w.push(x);
        }
        if let Some(first) = self.open.first() {
            if first.count() as usize == self.window {
                let done = self.open.remove(0);
                self.closed.push(done.upper());
            }
        }
    }

    /// The FCD matrix's upper-triangle statistics over the closed windows.
    pub fn summary(&self) -> FcdSummary {
        let m = self.closed.len();
        let mut vals = Vec::with_capacity(m * m.saturating_sub(1) / 2);
        for a in 0..m {
            for b in a + 1..m {
                vals.push(pearson(&self.closed[a], &self.closed[b]));
            }
        }
        let f: Vec<f64> = vals.into_iter().filter(|v| v.is_finite()).collect();
        if f.len() < 2 {
            return FcdSummary {
                var: f64::NAN,
                mean: f.first().copied().unwrap_or(f64::NAN),
                windows: m,
            };
        }
        let mean = f.iter().sum::<f64>() / f.len() as f64;
        let var = f.iter().map(|v| (v - mean) * (v - mean)).sum::<f64>() / f.len() as f64;
        FcdSummary {
            var,
            mean,
            windows: m,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Two regimes: the first half correlated (x, x), the second anti-
    /// correlated (x, −x), for three signals: the FCD has high variance; a
    /// stationary regime has FCD ≈ 1 and variance ≈ 0.
    #[test]
    fn switching_fc_gives_fcd_variance_stationary_does_not() {
        let sig = |k: usize| ((k as f64) * 0.37).sin() + ((k as f64) * 0.11).cos();
        let mut switching = StreamingFcd::new(3, 100, 50);
        let mut steady = StreamingFcd::new(3, 100, 50);
        for k in 0..1000 {
            let x = sig(k);
            let y = sig(k + 17);
            let s = if k < 500 { 1.0 } else { -1.0 };
            switching.push(&[x, s * x + 0.1 * y, y]);
            steady.push(&[x, x + 0.1 * y, y]);
        }
        let (a, b) = (switching.summary(), steady.summary());
        assert_eq!(a.windows, 19);
        assert!(a.var > 0.1, "{a:?}");
        assert!(b.var < 1e-3 && b.mean > 0.99, "{b:?}");
    }
}
