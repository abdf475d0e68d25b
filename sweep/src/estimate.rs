//! What a sweep would cost, without running it (`brainstream sweep
//! --dry-run`): its combinations, the time they would take on the CPU
//! (from a short calibration: the first combination stepped for about
//! half a second), and the disk its output needs. Nothing is written.

use std::path::Path;
use std::time::{Duration, Instant};

use brainstream_models::{MeanFieldSim, ModelError};

use crate::error::SweepError;
use crate::output;
use crate::plan::Plan;

/// What a sweep would cost.
#[derive(Debug, Clone)]
pub struct Estimate {
    pub combinations: usize,
    /// Combinations of this sweep already done in the output folder (a
    /// sweep resumed; 0 where it holds another sweep's rows).
    pub done: usize,
    /// Worker threads the estimate assumes.
    pub threads: usize,
    /// Steps the calibration ran, and in how long (seconds of one thread).
    pub calibration_steps: usize,
    pub calibration_s: f64,
    /// Whether the calibration's combination diverged (the time per step
    /// is then from the steps before it).
    pub calibration_diverged: bool,
    /// Seconds of one thread per combination (simulation only: the
    /// analyses add a few per cent).
    pub combination_s: f64,
    /// Wall time of the combinations left, seconds, on `threads` threads.
    pub total_s: f64,
    /// Bytes written: `rows.jsonl`, `sweep.h5`, saved series, heat maps.
    pub disk_bytes: u64,
}

/// About what one heat map takes on disk (a 900 × 700 PNG, or its SVG).
const HEATMAP_BYTES: u64 = 120 << 10;

/// Estimates `plan` run into `out` on `threads` threads (0: one per core),
/// calibrating for about `budget` of one thread.
pub fn estimate(
    plan: &Plan,
    out: &Path,
    threads: usize,
    budget: Duration,
) -> Result<Estimate, SweepError> {
    // another sweep's rows count as none (the sweep would refuse them)
    let done = output::rows_done(out, plan).ok().flatten().unwrap_or(0);
    let combinations = plan.points.len();
    let threads = match threads {
        0 => std::thread::available_parallelism()
            .map(|n| n.get())
            .unwrap_or(1),
        n => n,
    };
    let fail = |cause: String| SweepError::Combination { index: 0, cause };
    let cfg = plan.config(0).map_err(fail)?;
    let n = cfg.connectivity.n;
    let nv = cfg.model.nvar();
    let p = plan.period_steps;
    let mut sim = MeanFieldSim::with_threads(cfg, 1).map_err(|e| fail(e.to_string()))?;
    let mut buf = vec![0.0; p * nv * n];
    let t0 = Instant::now();
    let mut steps = 0;
    let mut diverged = false;
    while steps < plan.steps && t0.elapsed() < budget {
        match sim.run(p, &mut buf) {
            Ok(()) => steps += p,
            Err(ModelError::Diverged { .. }) => {
                diverged = true;
                break;
            }
            Err(e) => return Err(fail(e.to_string())),
        }
    }
    let calibration_s = t0.elapsed().as_secs_f64();
    let per_step = calibration_s / steps.max(1) as f64;
    let combination_s = per_step * plan.steps as f64;
    let left = combinations - done.min(combinations);
    let waves = left.div_ceil(threads.max(1)) as f64;
    let total_s = combination_s * waves;
    Ok(Estimate {
        combinations,
        done,
        threads,
        calibration_steps: steps,
        calibration_s,
        calibration_diverged: diverged,
        combination_s,
        total_s,
        disk_bytes: disk_bytes(plan),
    })
}

/// Bytes the sweep's output takes: `rows.jsonl` (about 24 bytes a value),
/// `sweep.h5` (the table twice, as `/table` and `/columns`, with the sweep
/// and graph texts), each saved signal (`samples × regions` float64) and
/// each heat map.
pub fn disk_bytes(plan: &Plan) -> u64 {
    let n = plan.points.len() as u64;
    let cols = plan.columns().len() as u64;
    let rows = 300 + n * (40 + 24 * cols);
    let table = 2 * n * cols * 8
        + 8 * n
        + 64 * cols
        + (plan.text.len() + plan.graph_text.len()) as u64
        + (64 << 10);
    let samples = ((plan.steps - plan.transient_steps) / plan.period_steps.max(1)) as u64;
    let series =
        plan.save_series.len() as u64 * (128 + samples * plan.base.connectivity.n as u64 * 8);
    let plots = plan.plots.len() as u64 * HEATMAP_BYTES;
    rows + table + series + plots
}
