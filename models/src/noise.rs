//! Integration noise, bit-compatible with tvb-library.
//!
//! tvb-library draws its noise from `numpy.random.RandomState(noise_seed)`
//! (Mersenne Twister MT19937, seeded with `init_genrand`) through
//! `normal(size=shape)`, numpy's legacy polar Box–Muller generator that
//! caches the second variate. [`NumpyRandomState`] reproduces that stream bit
//! for bit, so a stochastic run with the same `noise_seed` gives the same
//! numbers as tvb-library.
//!
//! Noise terms (per state variable `k`, standard normal `z`, step `dt` in ms):
//! * Additive: `g_k = sqrt(2·nsig_k)`, increment `g_k·sqrt(dt)·z`.
//! * Multiplicative: `g_k(x) = sqrt(2·nsig_k)·(a·x_k + b)` (tvb-library's
//!   default `Linear` equation, a = 1, b = 0).

/// numpy's legacy `RandomState`: MT19937 plus the polar Gaussian with cache.
#[derive(Clone)]
pub struct NumpyRandomState {
    mt: [u32; 624],
    idx: usize,
    gauss: Option<f64>,
}

impl std::fmt::Debug for NumpyRandomState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("NumpyRandomState")
            .field("idx", &self.idx)
            .finish()
    }
}

impl NumpyRandomState {
    /// `numpy.random.RandomState(seed)` for an integer seed.
    pub fn new(seed: u32) -> Self {
        let mut mt = [0u32; 624];
        mt[0] = seed;
        for i in 1..624 {
            mt[i] = 1812433253u32
                .wrapping_mul(mt[i - 1] ^ (mt[i - 1] >> 30))
                .wrapping_add(i as u32);
        }
        Self {
            mt,
            idx: 624,
            gauss: None,
        }
    }

    fn reload(&mut self) {
        const UPPER: u32 = 0x8000_0000;
        const LOWER: u32 = 0x7fff_ffff;
        const MATRIX_A: u32 = 0x9908_b0df;
        for i in 0..624 {
            let y = (self.mt[i] & UPPER) | (self.mt[(i + 1) % 624] & LOWER);
            let mut v = self.mt[(i + 397) % 624] ^ (y >> 1);
            if y & 1 != 0 {
                v ^= MATRIX_A;
            }
            self.mt[i] = v;
        }
        self.idx = 0;
    }

    /// Next 32-bit output (`genrand_int32`).
    pub fn next_u32(&mut self) -> u32 {
        if self.idx >= 624 {
            self.reload();
        }
        let mut y = self.mt[self.idx];
        self.idx += 1;
        y ^= y >> 11;
        y ^= (y << 7) & 0x9d2c_5680;
        y ^= (y << 15) & 0xefc6_0000;
        y ^= y >> 18;
        y
    }

    /// Uniform double in [0, 1) with 53 random bits (`random_sample`).
    pub fn next_f64(&mut self) -> f64 {
        let a = (self.next_u32() >> 5) as f64;
        let b = (self.next_u32() >> 6) as f64;
        (a * 67108864.0 + b) / 9007199254740992.0
    }

    /// Standard normal variate (`legacy_gauss`).
    pub fn gauss(&mut self) -> f64 {
        if let Some(g) = self.gauss.take() {
            return g;
        }
        loop {
            let x1 = 2.0 * self.next_f64() - 1.0;
            let x2 = 2.0 * self.next_f64() - 1.0;
            let r2 = x1 * x1 + x2 * x2;
            if r2 < 1.0 && r2 != 0.0 {
                let f = (-2.0 * r2.ln() / r2).sqrt();
                self.gauss = Some(f * x1);
                return f * x2;
            }
        }
    }

    /// Fills `out` with standard normals, as `normal(size=out.len())`.
    pub fn fill_normal(&mut self, out: &mut [f64]) {
        for v in out {
            // numpy: loc + scale * gauss with loc 0, scale 1
            *v = 0.0 + 1.0 * self.gauss();
        }
    }
}

/// How noise enters the state.
#[derive(Debug, Clone, PartialEq)]
pub enum NoiseKind {
    /// `g = sqrt(2·nsig)`.
    Additive,
    /// `g = sqrt(2·nsig)·(a·x + b)`.
    Multiplicative { a: f64, b: f64 },
}

/// Noise configuration of a stochastic integrator.
#[derive(Debug, Clone, PartialEq)]
pub struct NoiseConfig {
    /// Additive or multiplicative.
    pub kind: NoiseKind,
    /// `nsig` per state variable (the diffusion coefficient D; the noise's
    /// standard deviation per sqrt(ms) is sqrt(2·nsig)).
    pub nsig: Vec<f64>,
    /// Seed of the numpy-compatible stream (tvb-library's `noise_seed`).
    pub seed: u32,
    /// Which generator draws the normal deviates.
    pub stream: NoiseStream,
}

/// The generator of a stochastic run's normal deviates.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum NoiseStream {
    /// numpy's legacy `RandomState(seed)`, drawn in tvb-library's order:
    /// tvb-library's own noise, bit for bit.
    #[default]
    Numpy,
    /// Counter-based Philox4x32-10 keyed by (`seed`, `combination`), one
    /// deviate per (step, region, variable): the stream of the GPU kernels
    /// ([`crate::philox`]), independent of how steps are grouped into calls.
    Philox { seed: u64, combination: u32 },
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn matches_numpy_randomstate_42() {
        // numpy.random.RandomState(42).normal(size=4)
        let mut r = NumpyRandomState::new(42);
        let want = [
            0.4967141530112327,
            -0.13826430117118466,
            0.6476885381006925,
            1.5230298564080254,
        ];
        for w in want {
            assert_eq!(r.gauss(), w);
        }
        // numpy.random.RandomState(0).random_sample()
        let mut r = NumpyRandomState::new(0);
        assert_eq!(r.next_f64(), 0.5488135039273248);
    }
}
