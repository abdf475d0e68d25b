//! One combination on the CPU: the TVB-exact engine stepped on one thread,
//! its states averaged over each analysis period and streamed into the
//! analyses; nothing of the time series is kept unless the combination's
//! signal is to be saved.

use brainstream_models::analysis::Analyzer;
use brainstream_models::{MeanFieldSim, ModelError};
use brainstream_runtime::Cancel;

use crate::error::SweepError;
use crate::plan::Plan;

/// What one combination gives.
#[derive(Debug, Clone, PartialEq)]
pub struct Outcome {
    pub index: usize,
    /// The table row, in [`Plan::columns`] order.
    pub row: Vec<f64>,
    /// The analysed signal (`samples × regions`), when asked for.
    pub series: Option<Vec<f64>>,
    /// Where it diverged, if it did.
    pub diverged: Option<String>,
}

/// Runs combination `index` of `plan`.
pub fn run_combination(plan: &Plan, index: usize) -> Result<Outcome, SweepError> {
    let never = Cancel::new();
    run_combination_until(plan, index, &never)?.ok_or_else(|| SweepError::Combination {
        index,
        cause: "stopped without being asked to (please report)".into(),
    })
}

/// Runs combination `index` of `plan` unless `stop` is cancelled first
/// (checked every analysis period): None, nothing of it kept.
pub fn run_combination_until(
    plan: &Plan,
    index: usize,
    stop: &Cancel,
) -> Result<Option<Outcome>, SweepError> {
    let fail = |cause: String| SweepError::Combination { index, cause };
    let cfg = plan.config(index).map_err(fail)?;
    let n = cfg.connectivity.n;
    let nv = cfg.model.nvar();
    let weights = cfg.connectivity.weights.clone();
    let mut sim = MeanFieldSim::with_threads(cfg, 1).map_err(|e| fail(e.to_string()))?;
    let mut analyzer = Analyzer::new(plan.analysis.clone(), n, &weights);
    let p = plan.period_steps;
    let mut buf = vec![0.0; p * nv * n];
    let mut rates = vec![0.0; plan.rates.len() * n];
    let mut signal = vec![0.0; n];
    let mut series = plan.save_series.contains(&index).then(Vec::new);
    let mut diverged = None;
    let inv_p = 1.0 / p as f64;
    for block in 0..plan.steps / p {
        if stop.is_cancelled() {
            return Ok(None);
        }
        match sim.run(p, &mut buf) {
            Ok(()) => {}
            Err(e @ ModelError::Diverged { .. }) => {
                diverged = Some(e.to_string());
                break;
            }
            Err(e) => return Err(fail(e.to_string())),
        }
        if block * p < plan.transient_steps {
            continue;
        }
        // period averages (TVB's TemporalAverage over the block)
        let avg = |var: usize, out: &mut [f64]| {
            out.fill(0.0);
            for s in 0..p {
                let x = &buf[s * nv * n + var * n..s * nv * n + (var + 1) * n];
                for (o, v) in out.iter_mut().zip(x) {
                    *o += v;
                }
            }
            out.iter_mut().for_each(|o| *o *= inv_p);
        };
        for (k, &var) in plan.rates.iter().enumerate() {
            avg(var, &mut rates[k * n..(k + 1) * n]);
        }
        avg(plan.signal, &mut signal);
        analyzer.push(&rates, &signal);
        if let Some(s) = series.as_mut() {
            s.extend_from_slice(&signal);
        }
    }
    let row = plan.row(index, diverged.is_none().then(|| analyzer.row()));
    Ok(Some(Outcome {
        index,
        row,
        series,
        diverged,
    }))
}
