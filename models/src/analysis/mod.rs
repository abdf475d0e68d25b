//! Analyses of the emergent dynamics of a whole-brain run, streamed sample
//! by sample so that no time series is kept: moments of the rates,
//! functional connectivity and its agreement with the structural one, FCD,
//! spectra and up/down states. One concept per file; [`Analyzer`] combines
//! them into one row of named values per simulation (a parameter sweep's
//! row).

pub mod fc;
pub mod fcd;
pub mod moments;
pub mod spectrum;
pub mod spike_stats;
pub mod updown;

use fc::{finite_mean, pearson, StreamingFc};
use fcd::StreamingFcd;
use moments::Moments;
use spectrum::{Welch, BANDS};
use updown::UpDown;

/// What to compute, in samples of the analysed signal.
#[derive(Debug, Clone, PartialEq)]
pub struct AnalysisConfig {
    /// Names of the rate variables whose moments are reported
    /// (`<name>_mean`, `<name>_std`, `<name>_max`).
    pub rates: Vec<String>,
    /// Sampling period of the analysed signals, ms.
    pub period_ms: f64,
    /// Samples that will be pushed (after the transient).
    pub expected_samples: usize,
    /// FCD window and step, samples (`fcd_*` columns), or no FCD.
    pub fcd: Option<(usize, usize)>,
    /// Welch segment length, samples, a power of two ≥ 4 (see
    /// [`Welch::segment_len`]) (`peak_freq_hz` and `power_*` columns), or no
    /// spectrum.
    pub spectrum: Option<usize>,
    /// Up/down thresholds (lo, hi) on the signal, or none.
    pub updown: Option<(f64, f64)>,
}

/// Streaming analyses of one simulation.
#[derive(Debug, Clone)]
pub struct Analyzer {
    cfg: AnalysisConfig,
    n: usize,
    moments: Vec<Moments>,
    fc: StreamingFc,
    fcd: Option<StreamingFcd>,
    welch: Option<Welch>,
    updown: Option<UpDown>,
    /// structural connectivity, upper triangle of (W + Wᵀ)/2
    sc_upper: Vec<f64>,
}

impl Analyzer {
    /// Column names of [`row`](Self::row), in order.
    pub fn columns(cfg: &AnalysisConfig) -> Vec<String> {
        let mut c = vec![];
        for r in &cfg.rates {
            for s in ["mean", "std", "max"] {
                c.push(format!("{r}_{s}"));
            }
        }
        c.extend(["fc_mean", "fc_sc_corr"].map(String::from));
        if cfg.fcd.is_some() {
            c.extend(["fcd_var", "fcd_mean"].map(String::from));
        }
        if cfg.spectrum.is_some() {
            c.push("peak_freq_hz".into());
            c.extend(BANDS.iter().map(|b| format!("power_{}", b.0)));
            c.push("power_total".into());
        }
        c.extend(["up_mean_ms", "down_mean_ms", "up_fraction"].map(String::from));
        c
    }

    /// For `n` regions with structural weights `weights` (`n × n`).
    pub fn new(cfg: AnalysisConfig, n: usize, weights: &[f64]) -> Self {
        let fs_hz = 1000.0 / cfg.period_ms;
        let mut sc_upper = Vec::with_capacity(n * (n - 1) / 2);
        for i in 0..n {
            for j in i + 1..n {
                sc_upper.push(0.5 * (weights[i * n + j] + weights[j * n + i]));
            }
        }
        Self {
            moments: vec![Moments::new(); cfg.rates.len()],
            fc: StreamingFc::new(n),
            fcd: cfg
                .fcd
                .map(|(w, s)| StreamingFcd::new(n, w.max(2), s.max(1))),
            welch: cfg.spectrum.map(|nfft| Welch::new(n, nfft.max(4), fs_hz)),
            updown: cfg
                .updown
                .map(|(lo, hi)| UpDown::new(n, lo, hi, cfg.period_ms)),
            sc_upper,
            n,
            cfg,
        }
    }

    /// Adds one sample: `rates` holds the rate variables (`rates.len() × n`,
    /// variable-major), `signal` the analysed signal (`n`).
    pub fn push(&mut self, rates: &[f64], signal: &[f64]) {
        for (m, r) in self.moments.iter_mut().zip(rates.chunks_exact(self.n)) {
            for v in r {
                m.push(*v);
            }
        }
        self.fc.push(signal);
        if let Some(f) = &mut self.fcd {
            f.push(signal);
        }
        if let Some(w) = &mut self.welch {
            w.push(signal);
        }
        if let Some(u) = &mut self.updown {
            u.push(signal);
        }
    }

    /// The row, in [`columns`](Self::columns) order.
    pub fn row(&self) -> Vec<f64> {
        let mut row = vec![];
        for m in &self.moments {
            row.extend([m.mean(), m.std(), m.max()]);
        }
        let fc = self.fc.upper();
        row.extend([finite_mean(&fc), pearson(&fc, &self.sc_upper)]);
        if let Some(f) = &self.fcd {
            let s = f.summary();
            row.extend([s.var, s.mean]);
        }
        if let Some(w) = &self.welch {
            let sp = w.summary();
            row.push(sp.peak_hz);
            row.extend(sp.bands);
            row.push(sp.total);
        }
        match &self.updown {
            Some(u) => {
                let s = u.summary();
                row.extend([s.up_ms, s.down_ms, s.up_fraction]);
            }
            None => row.extend([f64::NAN; 3]),
        }
        row
    }

    /// The configuration.
    pub fn config(&self) -> &AnalysisConfig {
        &self.cfg
    }

    /// An upper bound of the heap bytes one analyzer of `cfg` over `n`
    /// regions holds by the end of its samples (a sweep sizes its Vulkan
    /// batches with it): the FC sums, `n + n + n(n+1)/2` f64; FCD's open
    /// windows (at most ⌈window/step⌉ FC sums) and closed ones (one
    /// `n(n−1)/2` triangle each, `expected_samples/step + 1` of them; the
    /// FCD's pairs, `8·m²` bytes for `m` windows, are held only while
    /// [`row`](Self::row) runs, one analyzer at a time in a sweep, and are
    /// not counted);
    /// Welch's rings `n·nfft`, window, PSD and scratch; up/down states,
    /// 24 bytes a region; and the structural triangle.
    pub fn bytes(cfg: &AnalysisConfig, n: usize) -> u64 {
        let n = n as u64;
        let fc = 8 * (2 * n + n * (n + 1) / 2);
        let tri = 8 * (n * n.saturating_sub(1) / 2);
        let fcd = cfg.fcd.map_or(0, |(w, s)| {
            let (w, s) = (w.max(2) as u64, s.max(1) as u64);
            w.div_ceil(s) * fc + (cfg.expected_samples as u64 / s + 1) * tri
        });
        let welch = cfg.spectrum.map_or(0, |nfft| {
            let nfft = nfft.max(4) as u64;
            8 * (n * nfft + nfft + nfft / 2 + 1) + 16 * nfft
        });
        let updown = if cfg.updown.is_some() { 24 * n } else { 0 };
        fc + tri + fcd + welch + updown + 48 * cfg.rates.len() as u64
    }
}
