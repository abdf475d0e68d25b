//! The sweep file: a plain typed serde struct, read and checked before any
//! work starts (the graph's own checks included).
//!
//! ```toml
//! graph = "adex68.toml"          # relative to this file
//! actor = "brain"                # the mean_field actor to sweep (optional if only one)
//! duration_ms = 5000.0           # default: the graph's
//! transient_ms = 1000.0          # discarded before the analyses
//! sampling = "grid"              # or "random" (with `samples`)
//! seed = 1
//!
//! [[axes]]
//! param = "coupling_params.a"    # model_params.NAME, coupling_params.NAME,
//! linspace = [0.0, 0.6, 13]      # speed_mm_per_ms or noise_seed; exactly one of
//!                                # values = [..], linspace = [lo, hi, n],
//!                                # logspace = [lo_exp, hi_exp, n] (base 10)
//! # regions = ["rM1", "lM1"]     # a model parameter of these regions only
//! #                              # (column model_params.NAME@rM1+lM1)
//! [analysis]
//! signal = "E"                   # FC, FCD, spectra and up/down states
//! rates = ["E", "I"]             # mean/std/max columns
//! period_ms = 1.0
//! fcd_window_ms = 2000.0         # at least 3 windows must fit after the transient
//! fcd_step_ms = 500.0            # (fcd = false: no FCD columns)
//! resolution_hz = 0.5            # optional; spectrum = false: no spectral columns
//! updown_thresholds = [0.5e-3, 2e-3]
//! save_series = [0, 7]           # combinations whose signal is saved
//!
//! [[plots]]
//! x = "coupling_params.a"
//! y = "model_params.b_e"
//! value = "E_mean"
//! # format = "svg"               # default png
//! ```

use serde::Deserialize;
use std::path::{Path, PathBuf};

use brainstream_runtime::graph::load::{
    apply_override, explain_toml, key_path_at, line_col, MAX_GRAPH_BYTES,
};

use crate::error::SweepError;

/// The sweep file as written.
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct SweepFile {
    /// The graph file, relative to the sweep file.
    pub graph: PathBuf,
    /// The `mean_field` actor to sweep.
    pub actor: Option<String>,
    /// Simulated time per combination, ms (default: the graph's duration).
    pub duration_ms: Option<f64>,
    /// Time discarded before the analyses, ms.
    pub transient_ms: f64,
    /// `grid` (every combination of the axes' values) or `random`.
    #[serde(default = "default_sampling")]
    pub sampling: String,
    /// Number of random combinations.
    pub samples: Option<usize>,
    /// Seed of random sampling, and of the noise and random initial
    /// conditions where the graph does not fix them.
    #[serde(default)]
    pub seed: u64,
    /// The parameters varied.
    pub axes: Vec<AxisDesc>,
    #[serde(default)]
    pub analysis: AnalysisDesc,
    #[serde(default)]
    pub plots: Vec<PlotDesc>,
}

fn default_sampling() -> String {
    "grid".into()
}

/// One swept parameter.
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct AxisDesc {
    pub param: String,
    pub values: Option<Vec<f64>>,
    pub linspace: Option<(f64, f64, usize)>,
    pub logspace: Option<(f64, f64, usize)>,
    /// Regions (labels or indices) whose value of a model parameter is
    /// varied; the others keep the graph's (default: every region).
    pub regions: Option<Vec<String>>,
}

/// The analyses.
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct AnalysisDesc {
    /// Variable analysed for FC, FCD, spectra, up/down (default: the model's
    /// first variable of interest).
    pub signal: Option<String>,
    /// Variables whose mean, std and max are reported (default: `signal`).
    pub rates: Option<Vec<String>>,
    /// Sampling period of the analysed signals (averages of the raw states), ms.
    #[serde(default = "one")]
    pub period_ms: f64,
    /// Whether the FCD is computed (`fcd_var`, `fcd_mean`).
    #[serde(default = "yes")]
    pub fcd: bool,
    /// FCD window, ms; at least three must fit in the analysed span.
    #[serde(default = "fcd_window")]
    pub fcd_window_ms: f64,
    /// A new FCD window every this many ms.
    #[serde(default = "fcd_step")]
    pub fcd_step_ms: f64,
    /// Whether the spectrum is computed (`peak_freq_hz`, `power_*`).
    #[serde(default = "yes")]
    pub spectrum: bool,
    /// Longest Welch segment, samples (the segment is the largest power of
    /// two ≤ this and ≤ the analysed samples).
    #[serde(default = "max_segment")]
    pub max_segment: usize,
    /// Spectral resolution wanted, Hz: the segment is the smallest power of
    /// two with `1000/(period_ms·nfft) ≤ resolution_hz`, refused when
    /// longer than the analysed span (overrides `max_segment`).
    pub resolution_hz: Option<f64>,
    /// Up/down thresholds [lo, hi] on the signal, in its unit.
    pub updown_thresholds: Option<(f64, f64)>,
    /// Combinations whose analysed signal is written to `series.h5`.
    #[serde(default)]
    pub save_series: Vec<usize>,
}

fn yes() -> bool {
    true
}
fn one() -> f64 {
    1.0
}
fn fcd_window() -> f64 {
    2000.0
}
fn fcd_step() -> f64 {
    500.0
}
fn max_segment() -> usize {
    1024
}

impl Default for AnalysisDesc {
    fn default() -> Self {
        Self {
            signal: None,
            rates: None,
            period_ms: one(),
            fcd: true,
            fcd_window_ms: fcd_window(),
            fcd_step_ms: fcd_step(),
            spectrum: true,
            max_segment: max_segment(),
            resolution_hz: None,
            updown_thresholds: None,
            save_series: vec![],
        }
    }
}

/// A heat map of one column over two axes.
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct PlotDesc {
    pub x: String,
    pub y: String,
    pub value: String,
    /// `png` (default) or `svg`.
    pub format: Option<PlotFormat>,
}

/// The file format of a figure.
#[derive(Debug, Clone, Copy, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum PlotFormat {
    Png,
    Svg,
}

impl SweepFile {
    /// Reads and parses a sweep file (TOML), with the limits of graph
    /// files (at most 16 MiB, UTF-8); errors name the line, column and key.
    pub fn read(path: &Path) -> Result<(Self, String), SweepError> {
        Self::read_with(path, &[])
    }

    /// [`read`](Self::read), then `--set KEY=VALUE` overrides of the sweep
    /// file's keys applied in order (as a graph's: the value read as TOML,
    /// numeric segments index arrays, e.g. `axes.0.values=[1, 2]`). The text
    /// returned is the file's followed by one `# --set KEY=VALUE` line per
    /// override (what `sweep.h5` records and the sweep's hash covers). A
    /// problem with an overridden key says which override set it.
    pub fn read_with(path: &Path, overrides: &[String]) -> Result<(Self, String), SweepError> {
        let file_err = |cause: String| SweepError::File {
            path: path.to_path_buf(),
            cause,
        };
        let meta = std::fs::metadata(path).map_err(|e| file_err(format!("cannot read: {e}")))?;
        if meta.len() > MAX_GRAPH_BYTES {
            return Err(file_err(format!(
                "file is {} bytes; sweep files are at most 16 MiB",
                meta.len()
            )));
        }
        let bytes = std::fs::read(path).map_err(|e| file_err(format!("cannot read: {e}")))?;
        let text = String::from_utf8(bytes).map_err(|e| {
            file_err(format!(
                "not UTF-8 text (invalid byte at offset {})",
                e.utf8_error().valid_up_to()
            ))
        })?;
        let invalid = |at, key, cause, hint| SweepError::Invalid {
            path: path.to_path_buf(),
            at,
            key,
            cause,
            hint,
        };
        // syntax first, explained as in graph files (duplicate keys with the
        // line of the first, integers out of range)
        if let Err(e) = toml::from_str::<toml::Table>(&text) {
            let (at, key, cause, hint) = explain_toml(&text, &e);
            return Err(invalid(at, key, cause, hint));
        }
        if overrides.is_empty() {
            let file: SweepFile = toml::from_str(&text).map_err(|e| {
                let at = e.span().map(|s| line_col(&text, s.start));
                let key = match e.span() {
                    Some(s) if s.start > 0 || s.end < text.len() => key_path_at(&text, s.start),
                    _ => String::new(),
                };
                invalid(at, key, e.message().trim_end().to_string(), None)
            })?;
            return Ok((file, text));
        }
        let mut table: toml::Table = toml::from_str(&text).map_err(|e| {
            invalid(
                None,
                String::new(),
                e.message().trim_end().to_string(),
                None,
            )
        })?;
        for o in overrides {
            apply_override(&mut table, o).map_err(|e| SweepError::File {
                path: path.to_path_buf(),
                cause: e.to_string(),
            })?;
        }
        // the overridden file, as text: its errors name their key (their
        // line is that of the rewritten text, so not given)
        let rewritten = toml::to_string(&table)
            .map_err(|e| invalid(None, String::new(), format!("after --set: {e}"), None))?;
        let file: SweepFile = toml::from_str(&rewritten).map_err(|e| {
            let key = match e.span() {
                Some(s) if s.start > 0 || s.end < rewritten.len() => {
                    key_path_at(&rewritten, s.start)
                }
                _ => String::new(),
            };
            invalid(None, key, e.message().trim_end().to_string(), None)
        })?;
        let mut provenance = text;
        for o in overrides {
            provenance.push_str(&format!("\n# --set {o}"));
        }
        Ok((file, provenance))
    }
}
