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
//! * Coloured (either kind with a correlation time `ntau` = τ > 0 ms):
//!   increment `g_k·dt·sqrt(1/τ)·η` with `η` an Ornstein–Uhlenbeck process
//!   of unit variance ([`ColouredNoise`]), tvb-library's `Noise.coloured`.

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
    /// The generator's whole state: the Mersenne Twister's 624 words, its
    /// position, and the second normal of a pair, if one is held (numpy's
    /// `get_state()`: key, pos, has_gauss, cached_gaussian).
    pub fn get_state(&self) -> (Vec<u32>, usize, Option<f64>) {
        (self.mt.to_vec(), self.idx, self.gauss)
    }

    /// Continues from a state [`get_state`](Self::get_state) returned.
    pub fn set_state(&mut self, mt: &[u32], idx: usize, gauss: Option<f64>) -> Result<(), String> {
        if mt.len() != 624 || idx > 624 {
            return Err(format!(
                "a Mersenne Twister state has 624 words and a position ≤ 624, got {} and {idx}",
                mt.len()
            ));
        }
        self.mt.copy_from_slice(mt);
        self.idx = idx;
        self.gauss = gauss;
        Ok(())
    }

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
    /// Correlation time τ of coloured noise, ms (tvb-library's `ntau`):
    /// 0 for white noise, > 0 for exponentially correlated noise
    /// ([`ColouredNoise`]; numpy stream only). Finite and ≥ 0.
    pub ntau_ms: f64,
}

/// tvb-library 2.10's exponentially correlated ("coloured",
/// Ornstein–Uhlenbeck) noise: `Noise.configure_coloured` and
/// `Noise.coloured` (Fox, Gatland, Roy & Vemuri 1988), reproduced operation
/// for operation.
///
/// With τ = `ntau` (ms), λ = 1/τ (1/ms) and `E = exp(−dt/τ)`:
/// * at configuration, before any step draws, `η₀ = z₀`: one standard
///   normal per state variable and region, `normal(size=(nvar, N, 1))`;
/// * each step draws fresh normals `z` (same shape, same stream) and sets
///   `η ← η·E + sqrt(1 − E²)·z`: a stationary AR(1) process of unit
///   variance, correlation `exp(−|t − s|/τ)` between steps at times t, s;
/// * the step's noise is `dt·sqrt(λ)·η` (ms·ms^-½, i.e. ms^½), which the
///   integrator multiplies by `g(x)` (state/ms^½) as it does white noise's
///   `sqrt(dt)·z`: an increment in the state's units.
///
/// Note on scale (tvb-library's choice, kept): the continuous noise
/// `ξ(t) = sqrt(2D)·sqrt(λ)·η(t)` has correlation `2D·λ·exp(−λ|t − s|)`,
/// whose integral is 4D, so over times much longer than τ the coloured
/// increments add up to a variance `4D·T`, twice white noise's `2D·T` with
/// the same `nsig` = D; per step its variance is `2D·dt²/τ`, smaller than
/// white noise's `2D·dt` when τ > dt.
#[derive(Debug, Clone, PartialEq)]
pub struct ColouredNoise {
    /// `exp(−dt/τ)`
    e: f64,
    /// `sqrt(1 − E²)`
    sqrt_1_e2: f64,
    /// `dt·sqrt(1/τ)`, ms^½
    dt_sqrt_lambda: f64,
    /// the process η, dimensionless, `nvar × N` (state-variable major)
    eta: Vec<f64>,
}

/// Reorders one step's normals, drawn in tvb-library's C order of its
/// `(nvar, N, modes)` noise array (variable, region, mode innermost), into
/// the engine's layout of a model with modes: row `v·modes + m` (variable
/// `v`, mode `m`), region innermost. `z` holds whole steps of `nv·modes·n`
/// values; nothing changes with one mode.
pub fn tvb_mode_order(z: &mut [f64], nv: usize, n: usize, modes: usize) {
    if modes <= 1 {
        return;
    }
    let len = nv * modes * n;
    let mut tmp = vec![0.0; len];
    for step in z.chunks_exact_mut(len) {
        for v in 0..nv {
            for i in 0..n {
                for m in 0..modes {
                    tmp[(v * modes + m) * n + i] = step[(v * n + i) * modes + m];
                }
            }
        }
        step.copy_from_slice(&tmp);
    }
}

impl ColouredNoise {
    /// tvb-library's `configure_coloured(dt, (nvar, N, 1))`: the constants
    /// from `dt_ms` and `ntau_ms` (both > 0 and finite), and the initial η
    /// of `len` values drawn from `rng`.
    pub fn new(dt_ms: f64, ntau_ms: f64, rng: &mut NumpyRandomState, len: usize) -> Self {
        // numpy: E = exp(-dt / ntau); sqrt((1.0 - E ** 2)); dt * sqrt(1.0 / ntau)
        let e = (-dt_ms / ntau_ms).exp();
        let sqrt_1_e2 = (1.0 - e * e).sqrt();
        let dt_sqrt_lambda = dt_ms * (1.0 / ntau_ms).sqrt();
        let mut eta = vec![0.0; len];
        rng.fill_normal(&mut eta);
        Self {
            e,
            sqrt_1_e2,
            dt_sqrt_lambda,
            eta,
        }
    }

    /// The factor of a step's noise, `dt·sqrt(1/τ)` (ms^½): what multiplies
    /// η where white noise has `sqrt(dt)`.
    pub fn scale(&self) -> f64 {
        self.dt_sqrt_lambda
    }

    /// The initial η of a model with modes, drawn in tvb-library's order,
    /// into the engine's layout ([`tvb_mode_order`]; `nv` declared
    /// variables, `n` regions).
    pub fn mode_order(&mut self, nv: usize, n: usize, modes: usize) {
        tvb_mode_order(&mut self.eta, nv, n, modes);
    }

    /// Continues from η saved by [`eta`](Self::eta) (a checkpoint).
    pub fn set_eta(&mut self, eta: &[f64]) -> Result<(), String> {
        if eta.len() != self.eta.len() {
            return Err(format!(
                "coloured noise: {} values of η saved, {} needed",
                eta.len(),
                self.eta.len()
            ));
        }
        self.eta.copy_from_slice(eta);
        Ok(())
    }

    /// The current η, `nvar × N`.
    pub fn eta(&self) -> &[f64] {
        &self.eta
    }

    /// One step: `z` holds the step's standard normals (as many as η) and
    /// receives the new `η = η·E + sqrt(1 − E²)·z`.
    ///
    /// # Panics
    /// If `z` and η differ in length (a caller's bug).
    pub fn advance(&mut self, z: &mut [f64]) {
        assert_eq!(z.len(), self.eta.len(), "coloured noise: one normal per η");
        for (eta, z) in self.eta.iter_mut().zip(z.iter_mut()) {
            // numpy: h = sqrt_1_E2 * normal; eta = eta * E + h
            let h = self.sqrt_1_e2 * *z;
            *eta = *eta * self.e + h;
            *z = *eta;
        }
    }
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
    fn modes_are_reordered_from_tvb_library_s_draws() {
        // 2 variables, 3 regions, 2 modes; draw k of a step is tvb's
        // (v, i, m) = (k / 6, k / 2 % 3, k % 2)
        let mut z: Vec<f64> = (0..24).map(f64::from).collect();
        tvb_mode_order(&mut z, 2, 3, 2);
        // row v·2 + m, region i: tvb's index (v·3 + i)·2 + m
        assert_eq!(
            &z[..12],
            &[0.0, 2.0, 4.0, 1.0, 3.0, 5.0, 6.0, 8.0, 10.0, 7.0, 9.0, 11.0]
        );
        assert_eq!(z[12], 12.0);
        let mut one: Vec<f64> = (0..6).map(f64::from).collect();
        tvb_mode_order(&mut one, 2, 3, 1);
        assert_eq!(one, [0.0, 1.0, 2.0, 3.0, 4.0, 5.0]);
    }

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

    /// tvb-library's own coloured noise, to the bit:
    /// `Additive(ntau=2.5, noise_seed=42)`, `configure_coloured(0.1, (2, 3, 1))`
    /// then `generate((2, 3, 1))` twice (tvb-library 2.10, numpy's baseline
    /// loops).
    #[test]
    fn coloured_matches_tvb_library() {
        let mut r = NumpyRandomState::new(42);
        let mut c = ColouredNoise::new(0.1, 2.5, &mut r, 6);
        assert_eq!(c.e, 0.9607894391523232);
        assert_eq!(c.sqrt_1_e2, 0.27727901762189694);
        assert_eq!(c.scale(), 0.0632455532033676);
        assert_eq!(
            c.eta(),
            [
                0.4967141530112327,
                -0.13826430117118466,
                0.6476885381006925,
                1.5230298564080254,
                -0.23415337472333597,
                -0.23413695694918055
            ]
        );
        let want = [
            [
                0.05787728902602161,
                0.00505652418941211,
                0.03112420626026004,
                0.10206260745307191,
                -0.02235528503015023,
                -0.022394833227922795,
            ],
            [
                0.059851099328472344,
                -0.028694299396080952,
                -0.000345497265003092,
                0.088200027417339,
                -0.039240401684489855,
                -0.016005869101721668,
            ],
        ];
        for w in want {
            let mut z = vec![0.0; 6];
            r.fill_normal(&mut z);
            c.advance(&mut z);
            let got: Vec<f64> = z.iter().map(|eta| c.scale() * eta).collect();
            assert_eq!(got, w);
        }
    }
}
