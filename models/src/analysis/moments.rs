//! Running mean, standard deviation and maximum of a stream of values
//! (Welford's update, numerically stable for long runs).

/// Moments of every value pushed so far.
#[derive(Debug, Clone, Default)]
pub struct Moments {
    n: u64,
    mean: f64,
    m2: f64,
    max: f64,
}

impl Moments {
    /// No values yet.
    pub fn new() -> Self {
        Self {
            max: f64::NEG_INFINITY,
            ..Default::default()
        }
    }

    /// The moments of `n` values accumulated elsewhere (a sweep's device)
    /// with the same update: running mean, `m2 = Σ (x − mean)²` as
    /// Welford's update leaves it, and the maximum.
    pub fn from_parts(n: u64, mean: f64, m2: f64, max: f64) -> Self {
        Self { n, mean, m2, max }
    }

    /// Adds one value.
    pub fn push(&mut self, x: f64) {
        self.n += 1;
        let d = x - self.mean;
        self.mean += d / self.n as f64;
        self.m2 += d * (x - self.mean);
        self.max = self.max.max(x);
    }

    /// Mean (NaN when empty).
    pub fn mean(&self) -> f64 {
        if self.n == 0 {
            f64::NAN
        } else {
            self.mean
        }
    }

    /// Population standard deviation (NaN when empty).
    pub fn std(&self) -> f64 {
        if self.n == 0 {
            f64::NAN
        } else {
            (self.m2 / self.n as f64).sqrt()
        }
    }

    /// Maximum (NaN when empty).
    pub fn max(&self) -> f64 {
        if self.n == 0 {
            f64::NAN
        } else {
            self.max
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_values() {
        let mut m = Moments::new();
        for x in [2.0, 4.0, 4.0, 4.0, 5.0, 5.0, 7.0, 9.0] {
            m.push(x);
        }
        assert_eq!(m.mean(), 5.0);
        assert!((m.std() - 2.0).abs() < 1e-15);
        assert_eq!(m.max(), 9.0);
        assert!(Moments::new().mean().is_nan());
    }
}
