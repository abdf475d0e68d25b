//! Functional connectivity streamed sample by sample: the Pearson
//! correlation of every pair of region signals,
//!
//! ```text
//! FC_ij = Σ_t (x_i − x̄_i)(x_j − x̄_j) / sqrt(Σ_t (x_i − x̄_i)² · Σ_t (x_j − x̄_j)²)
//! ```
//! accumulated as sums of the signals shifted by their first sample (so that
//! a large mean does not cancel a small variance). Memory: N² sums.

/// Streaming Pearson correlation of N signals.
#[derive(Debug, Clone)]
pub struct StreamingFc {
    n: usize,
    count: u64,
    shift: Vec<f64>,
    sum: Vec<f64>,
    /// upper triangle with diagonal, row-major
    sum2: Vec<f64>,
}

impl StreamingFc {
    /// For `n` signals.
    pub fn new(n: usize) -> Self {
        Self {
            n,
            count: 0,
            shift: vec![0.0; n],
            sum: vec![0.0; n],
            sum2: vec![0.0; n * (n + 1) / 2],
        }
    }

    /// The state after `count` samples, from its sums as another
    /// implementation accumulated them (a sweep's device): `shift`, the
    /// first sample (`n`); `sum`, `Σ_t (x_i − shift_i)` (`n`); `sum2`,
    /// `Σ_t (x_i − shift_i)(x_j − shift_j)` over the upper triangle with the
    /// diagonal, row-major (`n(n+1)/2`). None when the lengths do not fit
    /// `n`.
    pub fn from_sums(
        n: usize,
        count: u64,
        shift: Vec<f64>,
        sum: Vec<f64>,
        sum2: Vec<f64>,
    ) -> Option<Self> {
        (shift.len() == n && sum.len() == n && sum2.len() == n * (n + 1) / 2).then_some(Self {
            n,
            count,
            shift,
            sum,
            sum2,
        })
    }

    /// Number of samples pushed.
    pub fn count(&self) -> u64 {
        self.count
    }

    /// Adds one sample of the `n` signals.
    pub fn push(&mut self, x: &[f64]) {
        debug_assert_eq!(x.len(), self.n);
        if self.count == 0 {
            self.shift.copy_from_slice(x);
        }
        self.count += 1;
        let mut k = 0;
        for i in 0..self.n {
            let a = x[i] - self.shift[i];
            self.sum[i] += a;
            for (xj, sj) in x[i..].iter().zip(&self.shift[i..]) {
                self.sum2[k] += a * (xj - sj);
                k += 1;
            }
        }
    }

    /// The upper triangle of FC without the diagonal (`i < j`, row-major),
    /// `n(n−1)/2` values; NaN where a signal is constant or fewer than two
    /// samples were pushed.
    pub fn upper(&self) -> Vec<f64> {
        let c = self.count as f64;
        let n = self.n;
        let idx = |i: usize, j: usize| i * n - i * (i + 1) / 2 + j;
        let var: Vec<f64> = (0..n)
            .map(|i| self.sum2[idx(i, i)] - self.sum[i] * self.sum[i] / c)
            .collect();
        let mut out = Vec::with_capacity(n * (n - 1) / 2);
        for i in 0..n {
            for j in i + 1..n {
                let cov = self.sum2[idx(i, j)] - self.sum[i] * self.sum[j] / c;
                let d = (var[i] * var[j]).sqrt();
                out.push(if self.count < 2 || d <= 0.0 {
                    f64::NAN
                } else {
                    cov / d
                });
            }
        }
        out
    }
}

/// Pearson correlation of two equally long vectors, skipping pairs where
/// either is NaN; NaN when fewer than two pairs remain or one is constant.
pub fn pearson(a: &[f64], b: &[f64]) -> f64 {
    let pairs: Vec<(f64, f64)> = a
        .iter()
        .zip(b)
        .filter(|(x, y)| x.is_finite() && y.is_finite())
        .map(|(x, y)| (*x, *y))
        .collect();
    let n = pairs.len() as f64;
    if pairs.len() < 2 {
        return f64::NAN;
    }
    let (ma, mb) = (
        pairs.iter().map(|p| p.0).sum::<f64>() / n,
        pairs.iter().map(|p| p.1).sum::<f64>() / n,
    );
    let (mut sab, mut saa, mut sbb) = (0.0, 0.0, 0.0);
    for (x, y) in pairs {
        sab += (x - ma) * (y - mb);
        saa += (x - ma) * (x - ma);
        sbb += (y - mb) * (y - mb);
    }
    let d = (saa * sbb).sqrt();
    if d > 0.0 {
        sab / d
    } else {
        f64::NAN
    }
}

/// Mean of the finite values (NaN when none).
pub fn finite_mean(v: &[f64]) -> f64 {
    let f: Vec<f64> = v.iter().copied().filter(|x| x.is_finite()).collect();
    if f.is_empty() {
        f64::NAN
    } else {
        f.iter().sum::<f64>() / f.len() as f64
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn matches_a_direct_pearson_and_survives_large_offsets() {
        // three signals: b = 2a + 1e6 (corr 1), c = −a + noise-free sine
        let t: Vec<f64> = (0..500).map(|k| k as f64 * 0.01).collect();
        let a: Vec<f64> = t.iter().map(|x| x.sin()).collect();
        let b: Vec<f64> = a.iter().map(|x| 2.0 * x + 1e6).collect();
        let c: Vec<f64> = t.iter().map(|x| -x.sin() + (3.0 * x).cos()).collect();
        let mut fc = StreamingFc::new(3);
        for k in 0..t.len() {
            fc.push(&[a[k], b[k], c[k]]);
        }
        let u = fc.upper();
        assert!((u[0] - 1.0).abs() < 1e-9, "{u:?}");
        assert!((u[1] - pearson(&a, &c)).abs() < 1e-12);
        assert!((u[2] - pearson(&b, &c)).abs() < 1e-9);
    }

    #[test]
    fn constant_signals_give_nan() {
        let mut fc = StreamingFc::new(2);
        for k in 0..10 {
            fc.push(&[1.0, k as f64]);
        }
        assert!(fc.upper()[0].is_nan());
    }
}
