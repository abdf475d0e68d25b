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

/// Which analyses of a configuration are computed where: the parts
/// [`Analyzer::push`] computes on the host; the others are given finished
/// by [`Analyzer::fill`] (a sweep's device computes them, `brainstream_gpu`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Parts {
    /// `<rate>_mean`, `_std`, `_max`.
    pub moments: bool,
    /// `fc_mean`, `fc_sc_corr`.
    pub fc: bool,
    /// `fcd_var`, `fcd_mean`.
    pub fcd: bool,
    /// `peak_freq_hz`, `power_*`.
    pub spectrum: bool,
    /// `up_mean_ms`, `down_mean_ms`, `up_fraction`.
    pub updown: bool,
}

impl Parts {
    /// Every analysis.
    pub const ALL: Parts = Parts {
        moments: true,
        fc: true,
        fcd: true,
        spectrum: true,
        updown: true,
    };
    /// None.
    pub const NONE: Parts = Parts {
        moments: false,
        fc: false,
        fcd: false,
        spectrum: false,
        updown: false,
    };

    /// Those of `self` that `cfg` asks for (FC and moments always).
    pub fn of(self, cfg: &AnalysisConfig) -> Parts {
        Parts {
            fcd: self.fcd && cfg.fcd.is_some(),
            spectrum: self.spectrum && cfg.spectrum.is_some(),
            updown: self.updown && cfg.updown.is_some(),
            ..self
        }
    }

    /// Whether none is set.
    pub fn is_empty(self) -> bool {
        self == Parts::NONE
    }

    /// The names of those set, e.g. `"FC, FCD"` (`"none"` when empty).
    pub fn names(self) -> String {
        let v: Vec<&str> = [
            (self.moments, "moments"),
            (self.fc, "FC"),
            (self.fcd, "FCD"),
            (self.spectrum, "spectrum"),
            (self.updown, "up/down states"),
        ]
        .into_iter()
        .filter_map(|(on, name)| on.then_some(name))
        .collect();
        if v.is_empty() {
            "none".into()
        } else {
            v.join(", ")
        }
    }
}

/// Analyses finished elsewhere, for [`Analyzer::fill`]: each `Some` part
/// replaces the analyzer's own.
#[derive(Debug, Clone, Default)]
pub struct Finished {
    /// One per rate variable, in [`AnalysisConfig::rates`] order.
    pub moments: Option<Vec<Moments>>,
    pub fc: Option<StreamingFc>,
    pub fcd: Option<StreamingFcd>,
    pub spectrum: Option<Welch>,
    pub updown: Option<UpDown>,
}

/// Streaming analyses of one simulation.
#[derive(Debug, Clone)]
pub struct Analyzer {
    cfg: AnalysisConfig,
    /// the parts `push` computes
    host: Parts,
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
        Self::partial(cfg, n, weights, Parts::ALL)
    }

    /// As [`new`](Self::new), [`push`](Self::push) computing only the parts
    /// `host`; the others are given by [`fill`](Self::fill) before
    /// [`row`](Self::row) (until then they read as no samples: NaN).
    pub fn partial(cfg: AnalysisConfig, n: usize, weights: &[f64], host: Parts) -> Self {
        let fs_hz = 1000.0 / cfg.period_ms;
        let mut sc_upper = Vec::with_capacity(n * (n - 1) / 2);
        for i in 0..n {
            for j in i + 1..n {
                sc_upper.push(0.5 * (weights[i * n + j] + weights[j * n + i]));
            }
        }
        let host = host.of(&cfg);
        Self {
            moments: vec![Moments::new(); cfg.rates.len()],
            fc: StreamingFc::new(if host.fc { n } else { 0 }),
            fcd: cfg
                .fcd
                .map(|(w, s)| StreamingFcd::new(if host.fcd { n } else { 0 }, w.max(2), s.max(1))),
            welch: cfg
                .spectrum
                .map(|nfft| Welch::new(if host.spectrum { n } else { 0 }, nfft.max(4), fs_hz)),
            host,
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
        let h = self.host;
        if h.moments {
            for (m, r) in self.moments.iter_mut().zip(rates.chunks_exact(self.n)) {
                for v in r {
                    m.push(*v);
                }
            }
        }
        if h.fc {
            self.fc.push(signal);
        }
        if let Some(f) = self.fcd.as_mut().filter(|_| h.fcd) {
            f.push(signal);
        }
        if let Some(w) = self.welch.as_mut().filter(|_| h.spectrum) {
            w.push(signal);
        }
        if let Some(u) = self.updown.as_mut().filter(|_| h.updown) {
            u.push(signal);
        }
    }

    /// The parts [`push`](Self::push) computes.
    pub fn host_parts(&self) -> Parts {
        self.host
    }

    /// Replaces the parts `done` holds with those finished elsewhere (a
    /// part the configuration does not ask for is ignored).
    pub fn fill(&mut self, done: Finished) {
        if let Some(m) = done.moments {
            self.moments = m;
        }
        if let Some(f) = done.fc {
            self.fc = f;
        }
        if let (Some(f), Some(_)) = (done.fcd, &self.fcd) {
            self.fcd = Some(f);
        }
        if let (Some(w), Some(_)) = (done.spectrum, &self.welch) {
            self.welch = Some(w);
        }
        if let (Some(u), Some(_)) = (done.updown, &self.updown) {
            self.updown = Some(u);
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
        Self::bytes_of(cfg, n, Parts::ALL)
    }

    /// As [`bytes`](Self::bytes) for an analyzer whose
    /// [`push`](Self::push) computes the parts `host` only
    /// ([`partial`](Self::partial)).
    pub fn bytes_of(cfg: &AnalysisConfig, n: usize, host: Parts) -> u64 {
        let host = host.of(cfg);
        let n = n as u64;
        let fc = 8 * (2 * n + n * (n + 1) / 2);
        let tri = 8 * (n * n.saturating_sub(1) / 2);
        let fcd = cfg.fcd.filter(|_| host.fcd).map_or(0, |(w, s)| {
            let (w, s) = (w.max(2) as u64, s.max(1) as u64);
            w.div_ceil(s) * fc + (cfg.expected_samples as u64 / s + 1) * tri
        });
        let welch = cfg.spectrum.filter(|_| host.spectrum).map_or(0, |nfft| {
            let nfft = nfft.max(4) as u64;
            8 * (n * nfft + nfft + nfft / 2 + 1) + 16 * nfft
        });
        let updown = if host.updown { 24 * n } else { 0 };
        let fc = if host.fc { fc } else { 0 };
        fc + tri + fcd + welch + updown + 48 * cfg.rates.len() as u64
    }
}
