//! Statistics of the spike trains of neuron populations over one analysis
//! window `[t₀, t₁)` (ms), as Elephant 1.2 computes them for
//! tvb-multiscale users, streamed spike by spike (no train is kept, except
//! the binned counts of the neurons sampled for correlations).
//!
//! For a population of `N` neurons, neuron `i` firing `n_i` spikes at
//! times `t_i,1 < … < t_i,n_i` in the window (`T = t₁ − t₀`):
//!
//! * **rate** (Hz): `ν = Σ_i n_i / (N·T)`, `T` in s — the mean over all `N`
//!   neurons (silent ones included) of `elephant.statistics.mean_firing_rate`
//!   of each neuron's `neo.SpikeTrain` on `[t₀, t₁)`.
//! * **cv_isi** (1): the mean, over the neurons with at least
//!   `cv_min_spikes` spikes, of `CV_i = σ(ISI_i)/μ(ISI_i)` with
//!   `ISI_i,k = t_i,k+1 − t_i,k` and σ the population standard deviation
//!   (`ddof = 0`): `elephant.statistics.cv(elephant.statistics.isi(t_i))`,
//!   where `cv` is `scipy.stats.variation` with its default `ddof = 0`.
//!   NaN when no neuron has enough spikes.
//! * **fano** (1): `F = Var(n)/E(n)` over the `N` neurons' counts, the
//!   variance with `ddof = 0`: `elephant.statistics.fanofactor` of the
//!   population's trains. NaN when no neuron fired.
//! * **corr** (1): the mean over pairs `i < j` of the `K = min(N,
//!   corr_neurons)` first neurons of the population (lowest sender ids) of
//!   Pearson's coefficient of their binned counts `b_i(l)`, `l = 0…L−1`:
//!   `C_ij = (Σ_l b_i b_j − B_i B_j/L) / √((Σ_l b_i² − B_i²/L)(Σ_l b_j² − B_j²/L))`
//!   with `B_i = Σ_l b_i(l)`, as
//!   `elephant.spike_train_correlation.correlation_coefficient(BinnedSpikeTrain(trains, bin_size, t_start=t₀, t_stop=t₁), binary)`
//!   computes it; pairs where it is NaN (a neuron with constant counts,
//!   e.g. silent) are left out of the mean (`numpy.nanmean` of the upper
//!   triangle). NaN when no pair is left.
//! * **sync** (1): Golomb's synchrony χ on the same binned counts,
//!   `χ = √(Var_l(A) / (1/K · Σ_i Var_l(b_i)))` with `A(l) = (1/K)·Σ_i b_i(l)`,
//!   variances over the `L` bins with `ddof = 0` (not an Elephant function;
//!   0 for independent trains as K grows, 1 for identical ones). NaN when
//!   every sampled neuron has constant counts.
//!
//! Binning follows `elephant.conversion.BinnedSpikeTrain` (tolerance
//! `1e-8`): `L = ⌊T·(1/Δ)⌋` bins of `Δ = bin_ms`, a spike at `t` goes to bin
//! `⌊(t − t₀)·(1/Δ)⌋`, moved to the next bin when the fraction is within
//! `1e-8` of 1, and spikes in bins `≥ L` (a window that is not a whole number
//! of bins) are dropped. With `binary`, counts are clipped to 1.

/// What to compute over one analysis window.
#[derive(Debug, Clone, PartialEq)]
pub struct SpikeStatsConfig {
    /// Start of the window (included), ms.
    pub t_start_ms: f64,
    /// End of the window (excluded), ms; `> t_start_ms`.
    pub t_stop_ms: f64,
    /// Bin of the correlation and synchrony counts, ms; `> 0`.
    pub bin_ms: f64,
    /// Most neurons per population whose pairs are correlated (the first
    /// ones); fewer than 2 gives NaN for `corr` and `sync`.
    pub corr_neurons: usize,
    /// Clip binned counts to 1 (Elephant's `binary`).
    pub binary: bool,
    /// Fewest spikes in the window for a neuron to enter the CV mean (≥ 2).
    pub cv_min_spikes: usize,
}

/// Elephant's tolerance for spikes on bin edges
/// (`elephant.utils.round_binning_errors`).
pub const BIN_TOLERANCE: f64 = 1e-8;

/// `⌊x⌋` for `x ≥ 0`, one more when `x` is within [`BIN_TOLERANCE`] below
/// the next integer, as `elephant.utils.round_binning_errors`.
pub fn round_binning(x: f64) -> usize {
    let f = x.floor();
    if x - f >= 1.0 - BIN_TOLERANCE {
        f as usize + 1
    } else {
        f as usize
    }
}

impl SpikeStatsConfig {
    /// Number of bins `L` of the window.
    pub fn n_bins(&self) -> usize {
        round_binning((self.t_stop_ms - self.t_start_ms) * (1.0 / self.bin_ms))
    }
}

/// The statistics of one population over the window.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PopulationSummary {
    /// Mean rate, Hz.
    pub rate_hz: f64,
    /// Mean CV of the ISIs.
    pub cv_isi: f64,
    /// Fano factor of the neurons' counts.
    pub fano: f64,
    /// Mean pairwise correlation of binned counts.
    pub corr: f64,
    /// Golomb's synchrony χ.
    pub sync: f64,
}

impl PopulationSummary {
    /// Names of the statistics, in [`values`](Self::values) order.
    pub const NAMES: [&'static str; 5] = ["rate", "cv_isi", "fano", "corr", "sync"];
    /// Units of the statistics, in [`values`](Self::values) order.
    pub const UNITS: [&'static str; 5] = ["Hz", "1", "1", "1", "1"];

    /// The values, in [`NAMES`](Self::NAMES) order.
    pub fn values(&self) -> [f64; 5] {
        [self.rate_hz, self.cv_isi, self.fano, self.corr, self.sync]
    }
}

/// Accumulators of one population.
#[derive(Debug, Clone)]
struct Population {
    count: Vec<u32>,
    /// last spike time, ms (NaN: none yet)
    last: Vec<f64>,
    /// per neuron: ISIs seen, their running mean and sum of squared deviations
    isi_n: Vec<u32>,
    isi_mean: Vec<f64>,
    isi_m2: Vec<f64>,
    /// binned counts of the sampled neurons, neuron-major (`k × L`)
    bins: Vec<u32>,
    sampled: usize,
}

/// Statistics of several populations over one window, fed spike by spike.
#[derive(Debug, Clone)]
pub struct SpikeStats {
    cfg: SpikeStatsConfig,
    n_bins: usize,
    pops: Vec<Population>,
}

impl SpikeStats {
    /// For populations of `sizes` neurons.
    pub fn new(cfg: SpikeStatsConfig, sizes: &[usize]) -> Self {
        let n_bins = cfg.n_bins();
        let pops = sizes
            .iter()
            .map(|&n| {
                let sampled = n.min(cfg.corr_neurons);
                Population {
                    count: vec![0; n],
                    last: vec![f64::NAN; n],
                    isi_n: vec![0; n],
                    isi_mean: vec![0.0; n],
                    isi_m2: vec![0.0; n],
                    bins: vec![0; sampled * n_bins],
                    sampled,
                }
            })
            .collect();
        Self { cfg, n_bins, pops }
    }

    /// Bytes held for populations of `sizes` neurons (for a footprint).
    pub fn bytes(cfg: &SpikeStatsConfig, sizes: &[usize]) -> f64 {
        let l = cfg.n_bins() as f64;
        sizes
            .iter()
            .map(|&n| n as f64 * 32.0 + n.min(cfg.corr_neurons) as f64 * l * 4.0)
            .sum()
    }

    /// The window.
    pub fn config(&self) -> &SpikeStatsConfig {
        &self.cfg
    }

    /// A spike of neuron `neuron` (index in its population) of population
    /// `pop` at `t_ms`; ignored outside `[t₀, t₁)`. A neuron's spikes must
    /// come in time order.
    pub fn push(&mut self, pop: usize, neuron: usize, t_ms: f64) {
        let c = &self.cfg;
        if !(t_ms >= c.t_start_ms && t_ms < c.t_stop_ms) {
            return;
        }
        let p = &mut self.pops[pop];
        p.count[neuron] += 1;
        let last = p.last[neuron];
        if !last.is_nan() {
            // Welford's update of the ISIs' mean and squared deviations
            let isi = t_ms - last;
            p.isi_n[neuron] += 1;
            let d = isi - p.isi_mean[neuron];
            p.isi_mean[neuron] += d / p.isi_n[neuron] as f64;
            p.isi_m2[neuron] += d * (isi - p.isi_mean[neuron]);
        }
        p.last[neuron] = t_ms;
        if neuron < p.sampled {
            let b = round_binning((t_ms - c.t_start_ms) * (1.0 / c.bin_ms));
            if b < self.n_bins {
                p.bins[neuron * self.n_bins + b] += 1;
            }
        }
    }

    /// The statistics of every population, in the order of `sizes`.
    pub fn summary(&self) -> Vec<PopulationSummary> {
        let t_s = (self.cfg.t_stop_ms - self.cfg.t_start_ms) / 1000.0;
        self.pops
            .iter()
            .map(|p| {
                let n = p.count.len() as f64;
                let total: f64 = p.count.iter().map(|&c| c as f64).sum();
                let mean = total / n;
                let var = p
                    .count
                    .iter()
                    .map(|&c| (c as f64 - mean).powi(2))
                    .sum::<f64>()
                    / n;
                let fano = if total == 0.0 { f64::NAN } else { var / mean };
                let min = self.cfg.cv_min_spikes.max(2) as u32;
                let (mut cv_sum, mut cv_n) = (0.0, 0usize);
                for i in 0..p.count.len() {
                    if p.count[i] >= min {
                        let sd = (p.isi_m2[i] / p.isi_n[i] as f64).sqrt();
                        cv_sum += sd / p.isi_mean[i];
                        cv_n += 1;
                    }
                }
                let (corr, sync) = self.binned(p);
                PopulationSummary {
                    rate_hz: total / (n * t_s),
                    cv_isi: if cv_n == 0 {
                        f64::NAN
                    } else {
                        cv_sum / cv_n as f64
                    },
                    fano,
                    corr,
                    sync,
                }
            })
            .collect()
    }

    /// Mean pairwise correlation and synchrony χ of the sampled neurons.
    fn binned(&self, p: &Population) -> (f64, f64) {
        let (k, l) = (p.sampled, self.n_bins);
        if k < 2 || l == 0 {
            return (f64::NAN, f64::NAN);
        }
        let b: Vec<f64> = p
            .bins
            .iter()
            .map(|&c| {
                if self.cfg.binary {
                    c.min(1) as f64
                } else {
                    c as f64
                }
            })
            .collect();
        let row = |i: usize| &b[i * l..(i + 1) * l];
        let lf = l as f64;
        let sums: Vec<f64> = (0..k).map(|i| row(i).iter().sum()).collect();
        // Σ_l b_i² − B_i²/L = L·Var_l(b_i)
        let ss: Vec<f64> = (0..k)
            .map(|i| row(i).iter().map(|x| x * x).sum::<f64>() - sums[i] * sums[i] / lf)
            .collect();
        let (mut c_sum, mut c_n) = (0.0, 0usize);
        for i in 0..k {
            for j in i + 1..k {
                let dot: f64 = row(i).iter().zip(row(j)).map(|(x, y)| x * y).sum();
                let c = (dot - sums[i] * sums[j] / lf) / (ss[i] * ss[j]).sqrt();
                if c.is_finite() {
                    c_sum += c;
                    c_n += 1;
                }
            }
        }
        let corr = if c_n == 0 {
            f64::NAN
        } else {
            c_sum / c_n as f64
        };
        // χ² = Var_l(A) / mean_i Var_l(b_i), A the mean over the sampled neurons
        let a: Vec<f64> = (0..l)
            .map(|t| (0..k).map(|i| b[i * l + t]).sum::<f64>() / k as f64)
            .collect();
        let am = a.iter().sum::<f64>() / lf;
        let var_a = a.iter().map(|x| (x - am).powi(2)).sum::<f64>() / lf;
        let mean_var = ss.iter().sum::<f64>() / lf / k as f64;
        let sync = if mean_var > 0.0 {
            (var_a / mean_var).sqrt()
        } else {
            f64::NAN
        };
        (corr, sync)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cfg(t0: f64, t1: f64, bin: f64) -> SpikeStatsConfig {
        SpikeStatsConfig {
            t_start_ms: t0,
            t_stop_ms: t1,
            bin_ms: bin,
            corr_neurons: 100,
            binary: false,
            cv_min_spikes: 2,
        }
    }

    #[test]
    fn known_trains() {
        // Elephant's docstring examples: isi([0.3, 4.5, 6.7, 9.3]) = [4.2, 2.2, 2.6];
        // fanofactor of counts (4, 3) = 0.0714285…
        let mut s = SpikeStats::new(cfg(0.0, 10.0, 1.0), &[2]);
        for t in [0.3, 4.5, 6.7, 9.3] {
            s.push(0, 0, t);
        }
        for t in [1.4, 3.3, 8.2] {
            s.push(0, 1, t);
        }
        s.push(0, 1, 10.0); // at t₁: outside
        let r = s.summary()[0];
        assert!((r.fano - 1.0 / 14.0).abs() < 1e-15, "{}", r.fano);
        // 7 spikes of 2 neurons in 10 ms = 350 Hz
        assert!((r.rate_hz - 350.0).abs() < 1e-9);
        let cv = |isi: &[f64]| {
            let m = isi.iter().sum::<f64>() / isi.len() as f64;
            (isi.iter().map(|x| (x - m).powi(2)).sum::<f64>() / isi.len() as f64).sqrt() / m
        };
        let want = 0.5 * (cv(&[4.2, 2.2, 2.6]) + cv(&[1.9, 4.9]));
        assert!((r.cv_isi - want).abs() < 1e-12, "{} vs {want}", r.cv_isi);
        // bins of 1 ms: a = [1,0,0,0,1,0,1,0,0,1], b = [0,1,0,1,0,0,0,0,1,0]
        let a = [1., 0., 0., 0., 1., 0., 1., 0., 0., 1.];
        let b = [0., 1., 0., 1., 0., 0., 0., 0., 1., 0.];
        let (ma, mb) = (0.4, 0.3);
        let cov: f64 = a.iter().zip(&b).map(|(x, y)| (x - ma) * (y - mb)).sum();
        let va: f64 = a.iter().map(|x| (x - ma) * (x - ma)).sum();
        let vb: f64 = b.iter().map(|y| (y - mb) * (y - mb)).sum();
        assert!(
            (r.corr - cov / (va * vb).sqrt()).abs() < 1e-12,
            "{}",
            r.corr
        );
    }

    #[test]
    fn identical_trains_are_fully_synchronous() {
        let mut s = SpikeStats::new(cfg(100.0, 200.0, 5.0), &[3, 1]);
        for t in [90.0, 101.0, 120.0, 133.0, 180.0, 199.9] {
            for i in 0..3 {
                s.push(0, i, t);
            }
        }
        s.push(1, 0, 150.0);
        let r = s.summary();
        assert!((r[0].corr - 1.0).abs() < 1e-12);
        assert!((r[0].sync - 1.0).abs() < 1e-12);
        assert_eq!(r[0].fano, 0.0);
        assert!(
            r[1].corr.is_nan() && r[1].sync.is_nan(),
            "one neuron: no pair"
        );
        assert!(r[1].cv_isi.is_nan(), "one spike: no ISI");
        assert!((r[1].rate_hz - 10.0).abs() < 1e-12);
    }

    #[test]
    fn bin_edges_follow_elephant_tolerance() {
        // 0.30000000000000004 · (1/0.1) = 3.0000000000000004 → bin 3;
        // 693·0.1 = 69.3 and 69.3 · (1/1.1) = 62.99999999999999 → moved to bin 63
        assert_eq!(round_binning(0.30000000000000004 * (1.0 / 0.1)), 3);
        assert_eq!(round_binning(693.0 * 0.1 * (1.0 / 1.1)), 63);
        assert_eq!((693.0 * 0.1 * (1.0 / 1.1_f64)).floor(), 62.0);
        assert_eq!(round_binning(0.75 * (1.0 / 0.1)), 7);
        assert_eq!(cfg(0.0, 1.0, 0.1).n_bins(), 10);
        assert_eq!(cfg(0.0, 1.05, 0.1).n_bins(), 10);
    }
}
