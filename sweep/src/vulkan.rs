//! The Vulkan backend of a sweep: combinations in batches on the devices
//! (`brainstream-gpu`; one worker per device, every GPU of the host), each
//! batch as large as the device's memory and limits allow
//! (`brainstream_gpu::batch_size`, said in the log). The analyses are
//! streamed on the device (`brainstream_gpu::analysis`: moments, FC, FCD,
//! spectrum, up/down states as running sums, read back once per batch and
//! finished by the CPU analyses' own code), so no period's averages come
//! back unless a combination's series is saved; with
//! `BRAINSTREAM_SWEEP_ANALYSES=host` ([`ANALYSES_VAR`]) each period's
//! averages are read back and analysed on the host instead (threads over
//! combinations), as before. The log says which.
//!
//! What the kernels cover is checked before any work: a model with a
//! kernel (every built-in model; a user's model's kernel is generated and
//! compiled here), a coupling with a kernel (every built-in coupling,
//! and users' couplings: generated from the declaration),
//! Heun or Euler, additive noise, one conduction speed for the whole
//! sweep.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use brainstream_gpu::analysis::AnalysisShape;
use brainstream_gpu::batch_size::{self, BatchShape};
use brainstream_gpu::{AnalysisSpec, BatchSpec, GpuBatch, GpuDevice, Precision};
use brainstream_models::analysis::{Analyzer, Parts};
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

/// Opens every device a sweep in one process uses: every one of the best
/// kind there is (`GpuDevice::open_all`: the GPUs of the host; lavapipe
/// only where there is no other, or those `BRAINSTREAM_VULKAN_DEVICE`
/// names), one worker each.
pub fn open_all() -> Result<Vec<Arc<GpuDevice>>, SweepError> {
    GpuDevice::open_all()
        .map(|d| d.into_iter().map(Arc::new).collect())
        .map_err(|e| refuse(e.to_string()))
}

/// Most combinations in one batch: 8192 × 68 regions is over half a
/// million threads a dispatch, enough to fill a GPU, and a batch
/// interrupted is lost (rows are written after each batch).
pub const MAX_BATCH: usize = 8192;

/// For testing: at most this many combinations per batch (the sizes the
/// device's memory gives are too large to see batches on a small sweep).
/// The rows are the same whatever the batch.
pub const BATCH_VAR: &str = "BRAINSTREAM_SWEEP_BATCH";

/// Where the analyses run: `device` (the default: streamed on the device,
/// `brainstream_gpu::analysis`) or `host` (each period's averages read back
/// and analysed on the CPU). The rows agree within f32's tolerance where
/// the device has no f64 and to ~1e-12 where it has.
pub const ANALYSES_VAR: &str = "BRAINSTREAM_SWEEP_ANALYSES";

/// Whether the analyses run on the device ([`ANALYSES_VAR`]).
fn analyses_on_device() -> Result<bool, SweepError> {
    match std::env::var(ANALYSES_VAR) {
        Err(_) => Ok(true),
        Ok(v) => match v.trim() {
            "device" => Ok(true),
            "host" => Ok(false),
            _ => Err(refuse(format!(
                "{ANALYSES_VAR}={v}: give device (the default) or host"
            ))),
        },
    }
}

/// The cap on a batch: [`BATCH_VAR`] if set, else [`MAX_BATCH`].
fn batch_cap() -> Result<usize, SweepError> {
    match std::env::var(BATCH_VAR) {
        Err(_) => Ok(MAX_BATCH),
        Ok(v) => match v.trim().parse::<usize>() {
            Ok(k) if k >= 1 => Ok(k),
            _ => Err(refuse(format!(
                "{BATCH_VAR}={v}: give a number of combinations per batch, at least 1"
            ))),
        },
    }
}

/// Runs the combinations `todo` in batches on the devices `devs` (one
/// worker thread each, taking the next consecutive combinations as it
/// frees up; each with batches sized from its memory, at most its share
/// of `todo`), calling `done` on the calling thread with each batch's
/// outcomes as it finishes. An error from `done` stops the workers after
/// their batch. The analyses use `threads` threads in all.
pub fn run(
    plan: &Plan,
    devs: &[Arc<GpuDevice>],
    todo: &[usize],
    threads: usize,
    mut done: impl FnMut(Vec<Outcome>) -> Result<(), SweepError>,
) -> Result<(), SweepError> {
    check(plan)?;
    if devs.is_empty() {
        return Err(refuse("no device to run on"));
    }
    let base = &plan.base;
    let info = base.model;
    let n = base.connectivity.n;
    let delays = base
        .connectivity
        .delays_steps(base.speed_mm_per_ms, base.dt_ms)
        .map_err(|e| refuse(e.to_string()))?;
    let max_delay = delays.iter().copied().max().unwrap_or(0);
    // output variables: the rates, then the signal if it is not one of them
    let mut outputs = plan.rates.clone();
    if !outputs.contains(&plan.signal) {
        outputs.push(plan.signal);
    }
    // a common precision, so that every device computes the same bits
    let precision = (!devs.iter().all(|d| d.has_f64)).then_some(Precision::F32);
    let on_device = analyses_on_device()?;
    let cap = batch_cap()?;
    let host = batch_size::host_available();
    // the analyses on the device, FCD included while one combination's
    // windows fit every device; else FCD on the host
    let real = if precision.is_some() { 4 } else { 8 };
    let shape_of = |fcd_on_device: bool| {
        let analyses = on_device.then(|| {
            let mut cfg = plan.analysis.clone();
            if !fcd_on_device {
                cfg.fcd = None;
            }
            AnalysisShape::new(&cfg, n, real)
        });
        let host_parts = match (on_device, fcd_on_device) {
            (false, _) => Parts::ALL,
            (true, true) => Parts::NONE,
            (true, false) => Parts {
                fcd: true,
                ..Parts::NONE
            },
        }
        .of(&plan.analysis);
        let shape = BatchShape {
            model: info,
            coupling_values: base.coupling.params.values().len(),
            n,
            nnz: base
                .connectivity
                .weights
                .iter()
                .filter(|&&w| w != 0.0)
                .count(),
            max_delay,
            outputs: outputs.len(),
            analyses,
        };
        (shape, host_parts)
    };
    let (mut shape, mut host_parts) = shape_of(true);
    if on_device
        && plan.analysis.fcd.is_some()
        && devs.iter().any(|d| {
            let bytes = Analyzer::bytes_of(&plan.analysis, n, host_parts);
            batch_size::fit(d, &shape, bytes, host, cap).combinations == 0
        })
    {
        (shape, host_parts) = shape_of(false);
        tracing::warn!(
            "FCD stays on the host: one combination's FCD windows ({:.1} MiB of sums) do not fit a device",
            shape_of(true).0.analyses.map_or(0, |a| a.device_buffers()[1]) as f64 / 1048576.0
        );
    }
    let analyses = Analyzer::bytes_of(&plan.analysis, n, host_parts);
    let device_parts = if on_device {
        Parts {
            fcd: !host_parts.fcd,
            ..Parts::ALL
        }
    } else {
        Parts::NONE
    };
    tracing::info!(
        on_device = %device_parts.of(&plan.analysis).names(),
        on_host = %host_parts.names(),
        "Vulkan sweep analyses"
    );
    // no device takes more than its share while others wait
    let share = todo.len().div_ceil(devs.len()).max(1);
    let mut sizes = Vec::with_capacity(devs.len());
    for (k, dev) in devs.iter().enumerate() {
        let fit = batch_size::fit(dev, &shape, analyses, host, cap);
        if fit.combinations == 0 {
            return Err(refuse(format!(
                "one combination ({n} regions, a history of {} steps) does not fit device {k} ({}): {} ({} MiB of memory, storage buffers of {} MiB; {:.1} MiB on the device and {:.1} MiB on the host per combination)",
                max_delay + 2,
                dev.name,
                fit.bound,
                dev.memory_heap >> 20,
                dev.max_storage_buffer >> 20,
                fit.device_per_combination as f64 / 1048576.0,
                fit.host_per_combination as f64 / 1048576.0,
            )));
        }
        let size = fit.combinations.min(share);
        tracing::info!(
            device = %dev.name,
            worker = k,
            batch = size,
            bound = %if size < fit.combinations { "its share of the sweep".to_string() } else { fit.bound.to_string() },
            device_mib = (size as u64 * fit.device_per_combination) >> 20,
            device_budget_mib = fit.device_budget >> 20,
            host_mib = (size as u64 * fit.host_per_combination) >> 20,
            host_budget_mib = fit.host_budget.map(|b| b >> 20),
            "Vulkan sweep batches"
        );
        sizes.push(size);
    }
    // as many batches if the devices run equally fast (they take turns)
    let (mut left, mut batches) = (todo.len(), 0usize);
    while left > 0 {
        for &b in &sizes {
            if left > 0 {
                left -= b.min(left);
                batches += 1;
            }
        }
    }
    tracing::info!(
        combinations = todo.len(),
        devices = devs.len(),
        batches,
        "Vulkan sweep"
    );
    let job = Job {
        plan,
        outputs: &outputs,
        delays: &delays,
        precision,
        on_device,
        host_parts,
        threads: (threads / devs.len()).max(1),
    };
    let next = std::sync::Mutex::new(0usize);
    let stop = AtomicBool::new(false);
    std::thread::scope(|s| {
        let (tx, rx) = std::sync::mpsc::channel::<Result<Vec<Outcome>, SweepError>>();
        for (k, (dev, &size)) in devs.iter().zip(&sizes).enumerate() {
            let tx = tx.clone();
            let (next, stop, job) = (&next, &stop, &job);
            s.spawn(move || {
                let (mut batches, mut ran) = (0usize, 0usize);
                loop {
                    if stop.load(Ordering::Relaxed) {
                        break;
                    }
                    let chunk = {
                        let Ok(mut at) = next.lock() else { break };
                        let from = *at;
                        *at = (from + size).min(todo.len());
                        &todo[from..*at]
                    };
                    if chunk.is_empty() {
                        break;
                    }
                    let r = job.chunk(dev, chunk);
                    let failed = r.is_err();
                    batches += 1;
                    ran += chunk.len();
                    if tx.send(r).is_err() || failed {
                        break;
                    }
                }
                tracing::info!(
                    device = %dev.name,
                    worker = k,
                    batches,
                    combinations = ran,
                    "Vulkan worker done"
                );
            });
        }
        drop(tx);
        // outcomes on this thread, in the order batches finish
        for r in rx {
            if let Err(e) = r.and_then(&mut done) {
                stop.store(true, Ordering::Relaxed);
                return Err(e);
            }
        }
        Ok(())
    })
}

/// What every batch of a sweep shares.
struct Job<'a> {
    plan: &'a Plan,
    outputs: &'a [usize],
    delays: &'a [usize],
    precision: Option<Precision>,
    /// Analyses streamed on the device (else on the host).
    on_device: bool,
    /// The analyses computed on the host.
    host_parts: Parts,
    /// Analysis threads of one worker.
    threads: usize,
}

impl Job<'_> {
    /// Runs the combinations `batch_idx` (one batch) on `dev`.
    fn chunk(&self, dev: &Arc<GpuDevice>, batch_idx: &[usize]) -> Result<Vec<Outcome>, SweepError> {
        let (plan, threads) = (self.plan, self.threads);
        let base = &plan.base;
        let info = base.model;
        let n = base.connectivity.n;
        let sig_o = self
            .outputs
            .iter()
            .position(|&o| o == plan.signal)
            .unwrap_or(0);
        let blocks = plan.steps / plan.period_steps;
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
                delays: self.delays.to_vec(),
                dt_ms: base.dt_ms,
                heun: base.scheme == Scheme::Heun,
                noise: noise.clone(),
                initial: initial.clone(),
                outputs: self.outputs.to_vec(),
                first_combination: g[0] as u32,
                precision: self.precision,
            };
            outcomes.extend(run_batch(
                plan,
                dev,
                &spec,
                g,
                blocks,
                sig_o,
                threads,
                self.on_device.then_some(self.host_parts),
            )?);
        }
        Ok(outcomes)
    }
}

#[allow(clippy::too_many_arguments)]
fn run_batch(
    plan: &Plan,
    dev: &Arc<GpuDevice>,
    spec: &BatchSpec,
    indices: &[usize],
    blocks: usize,
    sig_o: usize,
    threads: usize,
    device: Option<Parts>,
) -> Result<Vec<Outcome>, SweepError> {
    let c = indices.len();
    let n = spec.n;
    let p = plan.period_steps;
    let mut batch = GpuBatch::new(dev.clone(), spec).map_err(|e| {
        refuse(format!(
            "a batch of {c} combinations on {}: {e} (fewer per batch: {BATCH_VAR}=…)",
            dev.name
        ))
    })?;
    if let Some(host_parts) = device {
        let outputs = &spec.outputs;
        let at = |v: usize| outputs.iter().position(|&o| o == v).unwrap_or(0);
        batch
            .attach_analyses(&AnalysisSpec {
                config: plan.analysis.clone(),
                rate_outputs: plan.rates.iter().map(|&r| at(r)).collect(),
                signal_output: sig_o,
                period_steps: p,
                fcd: !host_parts.fcd,
            })
            .map_err(|e| refuse(format!("the device analyses on {}: {e}", dev.name)))?;
    }
    let host_parts = device.unwrap_or(Parts::ALL);
    // the period sums come back for host analyses and saved series only
    let read_back = !host_parts.is_empty() || indices.iter().any(|i| plan.save_series.contains(i));
    let weights = &spec.weights;
    struct Comb {
        analyzer: Analyzer,
        diverged: Option<String>,
        series: Option<Vec<f64>>,
    }
    let mut combs: Vec<Comb> = indices
        .iter()
        .map(|&i| Comb {
            analyzer: Analyzer::partial(plan.analysis.clone(), n, weights, host_parts),
            diverged: None,
            series: plan.save_series.contains(&i).then(Vec::new),
        })
        .collect();
    let nrates = plan.rates.len();
    let inv = 1.0 / p as f64;
    let threads = threads.max(1);
    let t_ms = |block: usize| ((block + 1) * p) as f64 * plan.base.dt_ms;
    // wall time of the batch, and of the host's part of the analyses
    let t0 = std::time::Instant::now();
    let mut host_s = 0.0;
    for block in 0..blocks {
        let analysed = block * p >= plan.transient_steps;
        let Some(sums) = batch
            .run_period_analysed(p as u32, analysed, read_back)
            .map_err(|e| refuse(e.to_string()))?
        else {
            continue;
        };
        let t_ms = t_ms(block);
        let per = c.div_ceil(threads);
        let th = std::time::Instant::now();
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
        host_s += th.elapsed().as_secs_f64();
    }
    let tr = std::time::Instant::now();
    if let Some(rows) = batch
        .analyses()
        .map_err(|e| refuse(format!("the device analyses on {}: {e}", dev.name)))?
    {
        for (cb, r) in combs.iter_mut().zip(rows) {
            if let (None, Some(block)) = (&cb.diverged, r.diverged_period) {
                cb.diverged = Some(format!(
                    "simulation diverged: a non-finite average in the period ending at t = {} ms (Vulkan backend)",
                    t_ms(block as usize)
                ));
            }
            cb.analyzer.fill(r.finished);
        }
    }
    let outcomes: Vec<Outcome> = indices
        .iter()
        .zip(combs)
        .map(|(&index, cb)| Outcome {
            index,
            row: plan.row(index, cb.diverged.is_none().then(|| cb.analyzer.row())),
            series: cb.series,
            diverged: cb.diverged,
        })
        .collect();
    // host_analyses_s: the per-period host analyses (with their reading of
    // the sums); rows_s: the device's sums read back and every row made
    tracing::info!(
        device = %dev.name,
        combinations = c,
        wall_s = t0.elapsed().as_secs_f64(),
        host_analyses_s = host_s,
        rows_s = tr.elapsed().as_secs_f64(),
        "Vulkan batch"
    );
    Ok(outcomes)
}
