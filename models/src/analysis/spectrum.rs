//! Power spectrum by Welch's method, streamed: segments of `nfft` samples
//! with 50 % overlap, each detrended by its mean and tapered by a Hann
//! window, their one-sided periodograms averaged over segments and signals,
//!
//! ```text
//! P(f_k) = c_k·|Σ_t w_t (x_t − x̄) e^{−2πikt/nfft}|² / (f_s·Σ_t w_t²),
//! c_k = 2 except at DC and Nyquist (1),  f_k = k·f_s/nfft
//! ```
//! in signal²/Hz. From it: the peak frequency (largest power above
//! `f_min`) and band powers `Σ_{f_k ∈ [lo, hi)} P(f_k)·Δf` for the classical
//! bands (Hz): delta [0.5, 4), theta [4, 8), alpha [8, 13), beta [13, 30),
//! gamma [30, 80), and the total over [0.5, f_s/2].

use rustfft::{num_complex::Complex, Fft, FftPlanner};
use std::sync::Arc;

/// The classical EEG bands, Hz.
pub const BANDS: [(&str, f64, f64); 5] = [
    ("delta", 0.5, 4.0),
    ("theta", 4.0, 8.0),
    ("alpha", 8.0, 13.0),
    ("beta", 13.0, 30.0),
    ("gamma", 30.0, 80.0),
];

/// Streaming Welch spectrum of N signals.
#[derive(Clone)]
pub struct Welch {
    n: usize,
    nfft: usize,
    fs_hz: f64,
    fft: Arc<dyn Fft<f64>>,
    window: Vec<f64>,
    /// per signal: ring of the last nfft samples
    ring: Vec<Vec<f64>>,
    seen: usize,
    psd_sum: Vec<f64>,
    segments: usize,
    scratch: Vec<Complex<f64>>,
}

impl std::fmt::Debug for Welch {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Welch")
            .field("n", &self.n)
            .field("nfft", &self.nfft)
            .field("fs_hz", &self.fs_hz)
            .field("segments", &self.segments)
            .finish()
    }
}

/// Number of frequency bins `k·fs/nfft` (k = 0..=nfft/2) in `[lo, hi)` Hz:
/// a band with none cannot be measured with segments of `nfft` samples.
pub fn bins_in(fs_hz: f64, nfft: usize, lo: f64, hi: f64) -> usize {
    let df = fs_hz / nfft as f64;
    (0..=nfft / 2)
        .filter(|k| (lo..hi).contains(&(*k as f64 * df)))
        .count()
}

/// Spectral summary.
#[derive(Debug, Clone, PartialEq)]
pub struct SpectrumSummary {
    /// Frequency of the largest power above 0.5 Hz, Hz (NaN without segments
    /// or without power: a flat signal).
    pub peak_hz: f64,
    /// Band powers in [`BANDS`] order, signal² (NaN for a band that holds no
    /// frequency bin: too narrow for the resolution, or above Nyquist).
    pub bands: [f64; 5],
    /// Power over [0.5 Hz, Nyquist], signal².
    pub total: f64,
}

impl Welch {
    /// For `n` signals sampled at `fs_hz`, segments of `nfft` samples.
    pub fn new(n: usize, nfft: usize, fs_hz: f64) -> Self {
        assert!(nfft >= 4);
        let fft = FftPlanner::new().plan_fft_forward(nfft);
        let window = (0..nfft).map(|t| Self::hann(t, nfft)).collect();
        Self {
            n,
            nfft,
            fs_hz,
            fft,
            window,
            ring: vec![vec![0.0; nfft]; n],
            seen: 0,
            psd_sum: vec![0.0; nfft / 2 + 1],
            segments: 0,
            scratch: vec![Complex::default(); nfft],
        }
    }

    /// A finished spectrum accumulated elsewhere (a sweep's device), for
    /// [`psd`](Self::psd) and [`summary`](Self::summary) only: `psd_sum`,
    /// the sum over `segments` segments and the `n` signals of each
    /// segment's one-sided periodogram as [`push`](Self::push) adds it
    /// (`nfft/2 + 1` values). None when its length does not fit `nfft`.
    pub fn from_psd_sum(
        n: usize,
        nfft: usize,
        fs_hz: f64,
        psd_sum: Vec<f64>,
        segments: usize,
    ) -> Option<Self> {
        if nfft < 4 || psd_sum.len() != nfft / 2 + 1 {
            return None;
        }
        let mut w = Self::new(n, nfft, fs_hz);
        w.ring = vec![];
        w.psd_sum = psd_sum;
        w.segments = segments;
        Some(w)
    }

    /// The Hann window's value at sample `t` of a segment of `nfft`, as
    /// the segments are tapered: `0.5 − 0.5·cos(2πt/nfft)`.
    pub fn hann(t: usize, nfft: usize) -> f64 {
        0.5 - 0.5 * (2.0 * std::f64::consts::PI * t as f64 / nfft as f64).cos()
    }

    /// Whether the `seen`-th sample (counting from 1) completes a segment
    /// of `nfft` samples (segments overlap by half).
    pub fn completes_segment(seen: usize, nfft: usize) -> bool {
        seen >= nfft && (seen - nfft).is_multiple_of(nfft / 2)
    }

    /// The largest power of two ≤ `max_len` and ≤ `cap` (at least 4), the
    /// segment length to use for `max_len` available samples.
    pub fn segment_len(max_len: usize, cap: usize) -> usize {
        let m = max_len.min(cap).max(4);
        1 << (usize::BITS - 1 - m.leading_zeros())
    }

    /// Adds one sample of the N signals.
    pub fn push(&mut self, x: &[f64]) {
        let pos = self.seen % self.nfft;
        for (r, v) in self.ring.iter_mut().zip(x) {
            r[pos] = *v;
        }
        self.seen += 1;
        if Self::completes_segment(self.seen, self.nfft) {
            self.segment();
        }
    }

    fn segment(&mut self) {
        let start = self.seen % self.nfft; // oldest sample in the ring
        let u: f64 = self.window.iter().map(|w| w * w).sum();
        let norm = 1.0 / (self.fs_hz * u);
        for s in 0..self.n {
            let r = &self.ring[s];
            let mean = r.iter().sum::<f64>() / self.nfft as f64;
            for t in 0..self.nfft {
                let v = r[(start + t) % self.nfft] - mean;
                self.scratch[t] = Complex::new(v * self.window[t], 0.0);
            }
            self.fft.process(&mut self.scratch);
            let last = self.nfft / 2;
            for k in 0..=last {
                let c = if k == 0 || k == last { 1.0 } else { 2.0 };
                self.psd_sum[k] += c * self.scratch[k].norm_sqr() * norm;
            }
        }
        self.segments += 1;
    }

    /// The averaged one-sided PSD (signal²/Hz) and its frequencies (Hz).
    pub fn psd(&self) -> (Vec<f64>, Vec<f64>) {
        let d = (self.segments * self.n).max(1) as f64;
        let df = self.fs_hz / self.nfft as f64;
        (
            (0..self.psd_sum.len()).map(|k| k as f64 * df).collect(),
            self.psd_sum.iter().map(|p| p / d).collect(),
        )
    }

    /// Peak frequency and band powers.
    pub fn summary(&self) -> SpectrumSummary {
        if self.segments == 0 {
            return SpectrumSummary {
                peak_hz: f64::NAN,
                bands: [f64::NAN; 5],
                total: f64::NAN,
            };
        }
        let (f, p) = self.psd();
        let df = self.fs_hz / self.nfft as f64;
        // a flat signal has no power anywhere, and no peak (NaN)
        let mut peak = (f64::NAN, 0.0);
        let mut bands = [0.0; 5];
        let mut total = 0.0;
        for (fk, pk) in f.iter().zip(&p) {
            if *fk < 0.5 {
                continue;
            }
            if *pk > peak.1 {
                peak = (*fk, *pk);
            }
            total += pk * df;
            for (b, (_, lo, hi)) in bands.iter_mut().zip(BANDS) {
                if *fk >= lo && *fk < hi {
                    *b += pk * df;
                }
            }
        }
        for (b, (_, lo, hi)) in bands.iter_mut().zip(BANDS) {
            if bins_in(self.fs_hz, self.nfft, lo, hi) == 0 {
                *b = f64::NAN;
            }
        }
        SpectrumSummary {
            peak_hz: peak.0,
            bands,
            total,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_10_hz_sine_peaks_in_alpha_with_its_power() {
        // amplitude 2 → power A²/2 = 2; fs 1 kHz, 4 s
        let fs = 1000.0;
        let mut w = Welch::new(2, 1000usize.next_power_of_two(), fs);
        for t in 0..4000 {
            let x = 2.0 * (2.0 * std::f64::consts::PI * 10.0 * t as f64 / fs).sin();
            w.push(&[x, x + 5.0]);
        }
        let s = w.summary();
        assert!((s.peak_hz - 10.0).abs() < 1.0, "{s:?}");
        // the Hann window spreads the line over a few bins, all inside alpha
        assert!((s.bands[2] - 2.0).abs() < 0.05, "{s:?}");
        assert!(s.bands[2] / s.total > 0.97, "{s:?}");
        assert_eq!(Welch::segment_len(3000, 1024), 1024);
        assert_eq!(Welch::segment_len(700, 1024), 512);
    }

    #[test]
    fn a_band_without_a_bin_is_nan_not_zero() {
        // 64-sample segments at 1 kHz: bins every 15.6 Hz, none in delta,
        // theta or alpha
        let mut w = Welch::new(1, 64, 1000.0);
        for t in 0..640 {
            w.push(&[(t as f64 * 0.3).sin()]);
        }
        let s = w.summary();
        assert!(s.bands[..3].iter().all(|b| b.is_nan()), "{s:?}");
        assert!(s.bands[3].is_finite() && s.bands[4].is_finite(), "{s:?}");
        assert_eq!(bins_in(1000.0, 64, 0.5, 4.0), 0);
        assert_eq!(bins_in(1000.0, 256, 0.5, 4.0), 1);
    }

    #[test]
    fn a_flat_signal_has_no_peak_and_zero_power() {
        let mut w = Welch::new(2, 256, 1000.0);
        for _ in 0..1000 {
            w.push(&[3.0, -7.25e5]);
        }
        let s = w.summary();
        // detrended by its mean: no power anywhere, and no peak
        assert_eq!(s.total, 0.0, "{s:?}");
        assert!(s.bands.iter().all(|b| *b == 0.0), "{s:?}");
        assert!(s.peak_hz.is_nan(), "{s:?}");
    }
}
