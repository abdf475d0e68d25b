//! The Vulkan backend of a sweep: combinations in batches on the device
//! (`brainstream-gpu`), each period's averages read back and streamed into
//! the same analyses as on the CPU (threads over combinations).
//!
//! What the kernels cover is checked before any work: a model with a
//! kernel (every built-in model; a user's model's kernel is generated and
//! compiled here), a coupling with a kernel (every built-in coupling but
//! PreSigmoidal, and users' couplings: generated from the declaration),
//! Heun or Euler, additive noise, one conduction speed for the whole
//! sweep.

use std::sync::Arc;

use brainstream_gpu::{BatchSpec, GpuBatch, GpuDevice};
use brainstream_models::analysis::Analyzer;
use brainstream_models::integrator::Scheme;
use brainstream_models::{MeanFieldSim, NoiseKind};

use crate::axes::Target;
use crate::combination::Outcome;
use crate::error::SweepError;
use crate::plan::Plan;

fn refuse(cause: impl Into<String>) -> SweepError {
    SweepError::Backend {
        backend: "vulkan".into(),
        cause: cause.into(),
    }
}

/// Why the kernels cannot run `plan`, if they cannot.
pub fn check(plan: &Plan) -> Result<(), SweepError> {
    let cfg = &plan.base;
    brainstream_gpu::shaders::check_model(cfg.model, cfg.coupling.info)
        .map_err(|e| refuse(e.to_string()))?;
    if !matches!(cfg.scheme, Scheme::Heun | Scheme::Euler) {
        return Err(refuse(
            "the kernels integrate with Heun or Euler only; run with --backend cpu",
        ));
    }
    if let Some(nz) = &cfg.noise {
        if nz.kind != NoiseKind::Additive {
            return Err(refuse(
                "the kernels add additive noise only; run with --backend cpu",
            ));
        }
    }
    if !cfg.model_params.regional().is_empty() || plan.axes.iter().any(|a| !a.regions.is_empty()) {
        return Err(refuse("the kernels take one parameter set per combination: per-region model parameters cannot run here; run with --backend cpu"));
    }
    if plan.axes.iter().any(|a| a.target == Target::NoiseSeed) {
        return Err(refuse("the kernels key noise by one seed per batch: noise_seed cannot be swept here; run with --backend cpu"));
    }
    if plan.axes.iter().any(|a| a.target == Target::Speed) {
        return Err(refuse("a batch shares one set of delays: speed_mm_per_ms cannot be swept here; run with --backend cpu"));
    }
    Ok(())
}

/// Opens the device (for `auto`: None where there is no usable one).
pub fn open() -> Result<Arc<GpuDevice>, SweepError> {
    GpuDevice::open()
        .map(Arc::new)
        .map_err(|e| refuse(e.to_string()))
}

/// Opens device `k` (modulo their count) of the best kind there is: one
/// GPU per MPI rank of a node (`GpuDevice::open_nth`).
pub fn open_nth(k: usize) -> Result<Arc<GpuDevice>, SweepError> {
    GpuDevice::open_nth(k)
        .map(Arc::new)
        .map_err(|e| refuse(e.to_string()))
}

/// Runs the combinations `todo` in batches, calling `done` with each
/// batch's outcomes as it finishes.
pub fn run(
    plan: &Plan,
    dev: Arc<GpuDevice>,
    todo: &[usize],
    threads: usize,
    mut done: impl FnMut(Vec<Outcome>) -> Result<(), SweepError>,
) -> Result<(), SweepError> {
    check(plan)?;
    let base = &plan.base;
    let info = base.model;
    let n = base.connectivity.n;
    let delays = base
        .connectivity
        .delays_steps(base.speed_mm_per_ms, base.dt_ms)
        .map_err(|e| refuse(e.to_string()))?;
    let max_delay = delays.iter().copied().max().unwrap_or(0);
    let fit = GpuBatch::max_combinations(&dev, info, n, max_delay);
    if fit == 0 {
        return Err(refuse(format!(
            "one combination's history ({} regions × {} steps) does not fit the device's {} MiB storage buffers",
            n,
            max_delay + 2,
            dev.max_storage_buffer >> 20
        )));
    }
    let chunk = fit.clamp(1, 8192);
    // output variables: the rates, then the signal if it is not one of them
    let mut outputs = plan.rates.clone();
    if !outputs.contains(&plan.signal) {
        outputs.push(plan.signal);
    }
    let sig_o = outputs.iter().position(|&o| o == plan.signal).unwrap_or(0);
    let p = plan.period_steps;
    let blocks = plan.steps / p;
    for batch_idx in todo.chunks(chunk) {
        let c = batch_idx.len();
        let mut params = Vec::with_capacity(c);
        let mut coupling = Vec::with_capacity(c);
        let mut initial = vec![];
        let mut noise = None;
        for (k, &index) in batch_idx.iter().enumerate() {
            let cfg = plan
                .config(index)
                .map_err(|cause| SweepError::Combination { index, cause })?;
            params.push(cfg.model_params.values().to_vec());
            coupling.push(cfg.coupling.params.values().to_vec());
            if k == 0 {
                initial = MeanFieldSim::new(cfg.clone())
                    .map_err(|e| SweepError::Combination {
                        index,
                        cause: e.to_string(),
                    })?
                    .state();
                noise = cfg
                    .noise
                    .as_ref()
                    .map(|nz| (nz.nsig.clone(), nz.seed as u64));
            }
        }
        // the noise is keyed by each combination's global index, as on the
        // CPU, so a batch holds consecutive indices (a resumed sweep's
        // left-overs may not be): one batch per run of consecutive indices
        let mut groups: Vec<(usize, &[usize])> = vec![];
        let mut start = 0;
        for k in 1..=c {
            if k == c || batch_idx[k] != batch_idx[k - 1] + 1 {
                groups.push((start, &batch_idx[start..k]));
                start = k;
            }
        }
        let mut outcomes = vec![];
        for (off, g) in groups {
            let spec = BatchSpec {
                model: info,
                coupling_info: base.coupling.info,
                params: params[off..off + g.len()].to_vec(),
                coupling: coupling[off..off + g.len()].to_vec(),
                n,
                weights: base.connectivity.weights.clone(),
                delays: delays.clone(),
                dt_ms: base.dt_ms,
                heun: base.scheme == Scheme::Heun,
                noise: noise.clone(),
                initial: initial.clone(),
                outputs: outputs.clone(),
                first_combination: g[0] as u32,
                precision: None,
            };
            outcomes.extend(run_batch(plan, &dev, &spec, g, blocks, sig_o, threads)?);
        }
        done(outcomes)?;
    }
    Ok(())
}

fn run_batch(
    plan: &Plan,
    dev: &Arc<GpuDevice>,
    spec: &BatchSpec,
    indices: &[usize],
    blocks: usize,
    sig_o: usize,
    threads: usize,
) -> Result<Vec<Outcome>, SweepError> {
    let c = indices.len();
    let n = spec.n;
    let p = plan.period_steps;
    let mut batch = GpuBatch::new(dev.clone(), spec).map_err(|e| refuse(e.to_string()))?;
    let weights = &spec.weights;
    struct Comb {
        analyzer: Analyzer,
        diverged: Option<String>,
        series: Option<Vec<f64>>,
    }
    let mut combs: Vec<Comb> = indices
        .iter()
        .map(|&i| Comb {
            analyzer: Analyzer::new(plan.analysis.clone(), n, weights),
            diverged: None,
            series: plan.save_series.contains(&i).then(Vec::new),
        })
        .collect();
    let nrates = plan.rates.len();
    let inv = 1.0 / p as f64;
    let threads = threads.max(1);
    for block in 0..blocks {
        let sums = batch
            .run_period(p as u32)
            .map_err(|e| refuse(e.to_string()))?;
        let analysed = block * p >= plan.transient_steps;
        let t_ms = ((block + 1) * p) as f64 * plan.base.dt_ms;
        let per = c.div_ceil(threads);
        std::thread::scope(|s| {
            for (t, part) in combs.chunks_mut(per).enumerate() {
                let sums = &sums;
                s.spawn(move || {
                    let mut rates = vec![0.0; nrates * n];
                    let mut signal = vec![0.0; n];
                    for (k, cb) in part.iter_mut().enumerate() {
                        let ci = t * per + k;
                        if cb.diverged.is_some() {
                            continue;
                        }
                        let val = |o: usize, i: usize| sums[(o * n + i) * c + ci] as f64 * inv;
                        let mut finite = true;
                        for o in 0..nrates {
                            for i in 0..n {
                                rates[o * n + i] = val(o, i);
                                finite &= rates[o * n + i].is_finite();
                            }
                        }
                        for (i, sg) in signal.iter_mut().enumerate() {
                            *sg = val(sig_o, i);
                            finite &= sg.is_finite();
                        }
                        if !finite {
                            cb.diverged = Some(format!(
                                "simulation diverged: a non-finite average in the period ending at t = {t_ms} ms (Vulkan backend)"
                            ));
                            continue;
                        }
                        if analysed {
                            cb.analyzer.push(&rates, &signal);
                            if let Some(s) = cb.series.as_mut() {
                                s.extend_from_slice(&signal);
                            }
                        }
                    }
                });
            }
        });
    }
    Ok(indices
        .iter()
        .zip(combs)
        .map(|(&index, cb)| Outcome {
            index,
            row: plan.row(index, cb.diverged.is_none().then(|| cb.analyzer.row())),
            series: cb.series,
            diverged: cb.diverged,
        })
        .collect())
}
