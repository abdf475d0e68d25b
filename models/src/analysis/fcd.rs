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

    /// A finished FCD from its complete windows' FCs accumulated elsewhere
    /// (a sweep's device): window `k`'s upper triangle (as
    /// [`StreamingFc::upper`] gives it) in `closed[k]`; for
    /// [`matrix`](Self::matrix) and [`summary`](Self::summary) (samples may
    /// not follow).
    pub fn from_windows(n: usize, window: usize, step: usize, closed: Vec<Vec<f64>>) -> Self {
        Self {
            n,
            window: window.max(2),
            step: step.max(1),
            seen: 0,
            open: vec![],
            closed,
        }
    }

    /// Windows of `window` samples every `step` that `samples` samples
    /// complete: window `k` holds samples `k·step .. k·step + window`.
    pub fn complete_windows(samples: usize, window: usize, step: usize) -> usize {
        if samples < window {
            0
        } else {
            (samples - window) / step + 1
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

    /// Window length and step, samples.
    pub fn window_and_step(&self) -> (usize, usize) {
        (self.window, self.step)
    }

    /// Number of complete windows so far; window `k` holds samples
    /// `k·step .. k·step + window`.
    pub fn windows(&self) -> usize {
        self.closed.len()
    }

    /// The FCD matrix over the complete windows, `m × m` row-major (`m` =
    /// [`windows`](Self::windows)): `FCD_ab` is the Pearson correlation of
    /// windows `a` and `b`'s FC upper triangles (pairs where either FC is
    /// NaN skipped); 1 on the diagonal, NaN where a window's FC does not
    /// vary (or is NaN).
    pub fn matrix(&self) -> Vec<f64> {
        let m = self.closed.len();
        let mut out = vec![f64::NAN; m * m];
        for a in 0..m {
            let own = pearson(&self.closed[a], &self.closed[a]);
            out[a * m + a] = if own.is_finite() { 1.0 } else { f64::NAN };
            for b in a + 1..m {
                let r = pearson(&self.closed[a], &self.closed[b]);
                out[a * m + b] = r;
                out[b * m + a] = r;
            }
        }
        out
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
        Self::stats(vals, m)
    }

    /// The summary of the upper triangle of `matrix`, an FCD over `m`
    /// windows (as [`matrix`](Self::matrix) gives it).
    pub fn summary_of(matrix: &[f64], m: usize) -> FcdSummary {
        let mut vals = Vec::with_capacity(m * m.saturating_sub(1) / 2);
        for a in 0..m {
            for b in a + 1..m {
                vals.push(matrix[a * m + b]);
            }
        }
        Self::stats(vals, m)
    }

    fn stats(vals: Vec<f64>, m: usize) -> FcdSummary {
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
        // the matrix's upper triangle gives the same summary
        let m = switching.matrix();
        assert_eq!(StreamingFcd::summary_of(&m, 19), a);
    }

    /// A hand-computed case: 3 signals, non-overlapping windows of 4
    /// samples. In each window the signals are ±(1, −1, 1, −1), so every
    /// FC is ±1: FC upper triangles (r01, r02, r12) are A = (1, −1, −1),
    /// B = (−1, 1, −1), C = (−1, −1, 1), then A again. Each has mean −1/3;
    /// A and B less their means are (4/3, −2/3, −2/3) and (−2/3, 4/3, −2/3),
    /// whose product is −12/9 and squared norms 24/9: corr(A, B) = −1/2,
    /// and so for every pair of different ones; A with A is 1.
    #[test]
    fn the_matrix_of_a_hand_computed_case() {
        let mut f = StreamingFcd::new(3, 4, 4);
        // signs of signals 1 and 2 relative to signal 0, per window
        for (s1, s2) in [(1.0, -1.0), (-1.0, 1.0), (-1.0, -1.0), (1.0, -1.0)] {
            for k in 0..4 {
                let x = if k % 2 == 0 { 1.0 } else { -1.0 };
                f.push(&[x, s1 * x, s2 * x]);
            }
        }
        assert_eq!(f.windows(), 4);
        let m = f.matrix();
        #[rustfmt::skip]
        let want = [
            1.0, -0.5, -0.5, 1.0,
            -0.5, 1.0, -0.5, -0.5,
            -0.5, -0.5, 1.0, -0.5,
            1.0, -0.5, -0.5, 1.0,
        ];
        for (k, (a, b)) in m.iter().zip(want).enumerate() {
            assert!(
                (a - b).abs() < 1e-12,
                "FCD[{}][{}] = {a}, not {b}",
                k / 4,
                k % 4
            );
        }
        // a window in which nothing varies has no FC: NaN row and column
        let mut g = StreamingFcd::new(3, 3, 3);
        for x in [[1.0, 2.0, 3.0]; 3] {
            g.push(&x);
        }
        for x in [[0.0, 1.0, 2.0], [1.0, 0.0, 2.0], [2.0, 2.0, 0.0]] {
            g.push(&x);
        }
        let m = g.matrix();
        assert!(m[..3].iter().all(|v| v.is_nan()) && m[3] == 1.0, "{m:?}");
    }
}
