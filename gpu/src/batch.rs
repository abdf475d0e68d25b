//! A batch of parameter combinations of one model on the device: buffers
//! laid out with the combination index innermost, one compute dispatch per
//! integration step, and a command buffer per sampling period that sums
//! the output variables over the period and copies the sums back.
//!
//! The step is `shaders/step.wgsl` preceded by the model part generated
//! from the model's declaration (see the layouts there; `shaders.rs`). History: a ring
//! of `H = max delay + 2` slots, so that the slot a step writes is never
//! one another thread of the same step reads.

use std::sync::Arc;

use brainstream_modeldecl::coupling::Sum;
use brainstream_models::coupling::CouplingInfo;
use brainstream_models::ModelInfo;
use vulkano::buffer::{BufferContents, BufferUsage, Subbuffer};
use vulkano::command_buffer::{
    AutoCommandBufferBuilder, CommandBufferUsage, CopyBufferInfo, PrimaryAutoCommandBuffer,
    PrimaryCommandBufferAbstract,
};
use vulkano::descriptor_set::{DescriptorSet, WriteDescriptorSet};
use vulkano::pipeline::{ComputePipeline, Pipeline, PipelineBindPoint};
use vulkano::sync::GpuFuture;

use crate::analysis::{AnalysisSpec, DeviceAnalyses, DeviceRow};
use crate::buffers::{compute_pipeline, copy_and_wait, device_buffer, host_buffer, upload};
use crate::device::GpuDevice;
use crate::error::{vk, GpuError};
use crate::shaders::{self, Precision};
use crate::sum_rule::PresigmoidalEntries;

/// Threads per workgroup along the combinations (the shader's workgroup_size).
const WG: u32 = 64;

/// Everything a batch needs, in model units (ms, the model's state units).
#[derive(Debug, Clone)]
pub struct BatchSpec {
    pub model: &'static ModelInfo,
    /// Per combination, the model parameters in the model's table order.
    pub params: Vec<Vec<f64>>,
    /// The coupling (any whose declaration has a kernel:
    /// [`shaders::kernel`]).
    pub coupling_info: &'static CouplingInfo,
    /// Per combination, the coupling's parameter values in its table order.
    pub coupling: Vec<Vec<f64>>,
    /// Regions.
    pub n: usize,
    /// Weights `w[i·n + j]` (target i, source j).
    pub weights: Vec<f64>,
    /// Delays in steps, same layout.
    pub delays: Vec<usize>,
    pub dt_ms: f64,
    /// Heun (true) or Euler.
    pub heun: bool,
    /// Additive noise: D per state variable and the seed.
    pub noise: Option<(Vec<f64>, u64)>,
    /// Initial state (`nvar × n`), the same for every combination; the
    /// history before t = 0 is constant and equal to it.
    pub initial: Vec<f64>,
    /// State variables summed over each period and read back.
    pub outputs: Vec<usize>,
    /// Global index of the first combination (keys the noise).
    pub first_combination: u32,
    /// Arithmetic of the right-hand side; `None`: f64 where the device has
    /// shaderFloat64, f32 elsewhere ([`shaders::precision_for`]).
    pub precision: Option<Precision>,
}

/// Push constants: the step within the period (`struct Push` of
/// step.wgsl), 8 bytes, 8-byte aligned; checked against the pipeline layout.
#[derive(BufferContents, Clone, Copy)]
#[repr(C, align(8))]
struct Push {
    t: u32,
    pad: u32,
}

/// What a period's command buffer does besides the steps.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Recording {
    steps: u32,
    /// copy the period sums back
    read_back: bool,
    /// the device analyses' kernel
    analyses: bool,
    /// a sample the analyses count (else their divergence check alone)
    analysed: bool,
    /// the spectrum's FFT after it
    fft: bool,
}

/// A batch on the device.
pub struct GpuBatch {
    dev: Arc<GpuDevice>,
    pipeline: Arc<ComputePipeline>,
    set: Arc<DescriptorSet>,
    clock: Subbuffer<[u32]>,
    x: Subbuffer<[f32]>,
    acc: Subbuffer<[f32]>,
    download: Subbuffer<[f32]>,
    x_download: Subbuffer<[f32]>,
    /// recorded period command buffers by length, read-back of the sums
    /// and the spectrum's FFT
    recorded: Vec<(Recording, Arc<PrimaryAutoCommandBuffer>)>,
    /// the analyses on the device, if attached
    analyses: Option<DeviceAnalyses>,
    c: usize,
    n: usize,
    nvar: usize,
    nout: usize,
    steps_done: u64,
    precision: Precision,
}

impl std::fmt::Debug for GpuBatch {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "GpuBatch({} combinations × {} regions on {})",
            self.c, self.n, self.dev.name
        )
    }
}

impl GpuBatch {
    /// History slots for a largest delay of `max_delay` steps.
    pub fn horizon(max_delay: usize) -> usize {
        max_delay + 2
    }

    /// Most combinations one batch can hold on `dev` (its largest storage
    /// binding bounds the history, `H × coupled variables × n`, and the
    /// state, `nvar × n`, f32 per combination; `batch_size::fit` checks
    /// every buffer).
    pub fn max_combinations(
        dev: &GpuDevice,
        model: &ModelInfo,
        n: usize,
        max_delay: usize,
    ) -> usize {
        let words = (Self::horizon(max_delay) * model.cvar.len()).max(model.nvar());
        let per = (words * n * 4) as u64;
        (dev.max_storage_buffer / per.max(1)) as usize
    }

    /// Uploads a batch.
    pub fn new(dev: Arc<GpuDevice>, spec: &BatchSpec) -> Result<Self, GpuError> {
        let info = spec.model;
        let precision = shaders::precision_for(info, spec.precision, dev.has_f64, &dev.name)?;
        let kernel = shaders::kernel(info, spec.coupling_info, precision)?;
        let cprog = shaders::coupling_program(spec.coupling_info)?;
        let ncp = cprog.n_values;
        tracing::debug!(
            model = info.name,
            precision = precision.ty(),
            "Vulkan kernel"
        );
        let c = spec.params.len();
        let n = spec.n;
        let nv = info.nvar();
        let nc = info.cvar.len();
        if c == 0 || spec.coupling.len() != c {
            return Err(GpuError::Unsupported(
                "a batch needs one set of coupling parameters per combination".into(),
            ));
        }
        if let Some(cp) = spec.coupling.iter().find(|cp| cp.len() != ncp) {
            return Err(GpuError::Unsupported(format!(
                "{} coupling parameters given, {} has {ncp}",
                cp.len(),
                spec.coupling_info.name
            )));
        }
        let max_delay = spec.delays.iter().copied().max().unwrap_or(0);
        if Self::max_combinations(&dev, info, n, max_delay) < c {
            return Err(GpuError::Unsupported(format!(
                "{c} combinations do not fit one storage buffer of {} MiB",
                dev.max_storage_buffer >> 20
            )));
        }
        let h = Self::horizon(max_delay);
        // sparse rows: target i, sources j with w_ij != 0
        let mut row_ptr = vec![0u32];
        let (mut col, mut dly, mut w) = (vec![], vec![], vec![]);
        for i in 0..n {
            for j in 0..n {
                let wij = spec.weights[i * n + j];
                if wij != 0.0 {
                    col.push(j as u32);
                    dly.push(spec.delays[i * n + j] as u32);
                    w.push(wij as f32);
                }
            }
            row_ptr.push(col.len() as u32);
        }
        let nnz = col.len();
        let (seed, noise_on, nsig) = match &spec.noise {
            Some((d, seed)) => {
                if d.len() != nv && d.len() != 1 {
                    return Err(GpuError::Unsupported(format!(
                        "nsig has {} values for {nv} state variables",
                        d.len()
                    )));
                }
                // one nsig applies to the model's noisy variables (every
                // one unless its declaration names some), as on the CPU
                let nsig: Vec<f32> = (0..nv)
                    .map(|v| match (d.len(), info.noise) {
                        (1, Some(noisy)) if !noisy.contains(&v) => 0.0,
                        (1, _) => d[0] as f32,
                        _ => d[v] as f32,
                    })
                    .collect();
                (*seed, 1u32, nsig)
            }
            None => (0, 0, vec![0.0; nv]),
        };
        let nout = spec.outputs.len();
        // the presigmoidal sum's entries (shaders/presigmoidal_sum.wgsl)
        let ps = if cprog.sum == Sum::PreSigmoidal {
            PresigmoidalEntries::new(n, &spec.weights, &spec.delays)
        } else {
            PresigmoidalEntries::default()
        };
        let header_len = 22u32;
        let off_row = header_len;
        let off_col = off_row + row_ptr.len() as u32;
        let off_dly = off_col + nnz as u32;
        let off_outv = off_dly + nnz as u32;
        let off_ps = off_outv + nout as u32;
        let off_w = 1u32;
        let off_psw = off_w + nnz as u32;
        let off_lo = off_psw + ps.w.len() as u32;
        let off_hi = off_lo + nv as u32;
        let off_nsig = off_hi + nv as u32;
        let off_params = off_nsig + nv as u32;
        let mut ints = vec![
            c as u32,
            n as u32,
            h as u32,
            spec.heun as u32,
            noise_on,
            seed as u32,
            (seed >> 32) as u32,
            nout as u32,
            off_row,
            off_col,
            off_dly,
            off_outv,
            off_w,
            off_lo,
            off_hi,
            off_nsig,
            off_params,
            spec.first_combination,
            off_ps,
            off_ps + ps.ptr.len() as u32,
            off_ps + (ps.ptr.len() + ps.dly.len()) as u32,
            off_psw,
        ];
        ints.extend(&row_ptr);
        ints.extend(&col);
        ints.extend(&dly);
        ints.extend(spec.outputs.iter().map(|&o| o as u32));
        ints.extend(&ps.ptr);
        ints.extend(&ps.dly);
        ints.extend(&ps.diag);
        let np = info.n_values();
        let mut floats = vec![spec.dt_ms as f32];
        floats.extend(&w);
        floats.extend(&ps.w);
        floats.extend(info.bounds.iter().map(|b| b.0 as f32));
        floats.extend(info.bounds.iter().map(|b| b.1 as f32));
        floats.extend(&nsig);
        for k in 0..np {
            for p in &spec.params {
                if p.len() != np {
                    return Err(GpuError::Unsupported(format!(
                        "{} parameters given, {} has {np}",
                        p.len(),
                        info.name
                    )));
                }
                floats.push(p[k] as f32);
            }
        }
        for k in 0..ncp {
            floats.extend(spec.coupling.iter().map(|cp| cp[k] as f32));
        }
        // state and constant history
        let mut x0 = vec![0f32; nv * n * c];
        for v in 0..nv {
            for i in 0..n {
                let val = spec.initial[v * n + i] as f32;
                x0[(v * n + i) * c..(v * n + i + 1) * c].fill(val);
            }
        }
        let mut h0 = vec![0f32; h * nc * n * c];
        for s in 0..h {
            for (k, &cv) in info.cvar.iter().enumerate() {
                for i in 0..n {
                    let off = ((s * nc + k) * n + i) * c;
                    h0[off..off + c].copy_from_slice(&x0[(cv * n + i) * c..(cv * n + i + 1) * c]);
                }
            }
        }
        let ints_b = upload(&dev, &ints)?;
        let floats_b = upload(&dev, &floats)?;
        let x = upload(&dev, &x0)?;
        let hist = upload(&dev, &h0)?;
        let acc = device_buffer::<f32>(&dev, nout * n * c)?;
        let clock = host_buffer(&dev, BufferUsage::STORAGE_BUFFER, [0u32, 0].into_iter())?;
        let download = host_buffer(
            &dev,
            BufferUsage::TRANSFER_DST,
            std::iter::repeat_n(0f32, (nout * n * c).max(1)),
        )?;
        let x_download = host_buffer(
            &dev,
            BufferUsage::TRANSFER_DST,
            std::iter::repeat_n(0f32, nv * n * c),
        )?;

        // the kernel: naga's output for a kernel generated from a checked
        // declaration, validated by naga (at build time for a built-in model,
        // just now for a user's); its push constants our 8-byte `Push`
        let pipeline = compute_pipeline(
            &dev,
            &kernel.words,
            std::mem::size_of::<Push>(),
            "the shader",
        )?;
        let set = DescriptorSet::new(
            dev.descriptors.clone(),
            pipeline.layout().set_layouts()[0].clone(),
            [
                WriteDescriptorSet::buffer(0, ints_b),
                WriteDescriptorSet::buffer(1, floats_b),
                WriteDescriptorSet::buffer(2, x.clone()),
                WriteDescriptorSet::buffer(3, hist),
                WriteDescriptorSet::buffer(4, acc.clone()),
                WriteDescriptorSet::buffer(5, clock.clone()),
            ],
            [],
        )
        .map_err(vk)?;
        Ok(Self {
            dev,
            pipeline,
            set,
            clock,
            x,
            acc,
            download,
            x_download,
            recorded: vec![],
            analyses: None,
            c,
            n,
            nvar: nv,
            nout,
            steps_done: 0,
            precision,
        })
    }

    /// Streams `spec`'s analyses of every combination on the device from
    /// the next period on ([`run_period_analysed`](Self::run_period_analysed),
    /// [`analyses`](Self::analyses)): sums in the kernel's precision
    /// (`crate::analysis`).
    pub fn attach_analyses(&mut self, spec: &AnalysisSpec) -> Result<(), GpuError> {
        self.analyses = Some(DeviceAnalyses::new(
            &self.dev,
            spec,
            &self.acc,
            self.n,
            self.nout,
            self.c,
            self.precision,
        )?);
        Ok(())
    }

    /// Advances `steps` steps; with analyses attached, adds the period to
    /// them (`analysed`: its sample counts; else the divergence check
    /// alone). With `read_back`, returns the period sums as
    /// [`run_period`](Self::run_period) does.
    pub fn run_period_analysed(
        &mut self,
        steps: u32,
        analysed: bool,
        read_back: bool,
    ) -> Result<Option<Vec<f32>>, GpuError> {
        let fft = self
            .analyses
            .as_ref()
            .is_some_and(|a| a.next_completes_segment(analysed));
        let rec = Recording {
            steps,
            read_back,
            analyses: self.analyses.is_some(),
            analysed,
            fft,
        };
        if let Some(a) = &self.analyses {
            a.before(analysed)?;
        }
        self.submit(rec)?;
        if let Some(a) = &mut self.analyses {
            a.after(analysed, fft);
        }
        if !read_back {
            return Ok(None);
        }
        let out = self.download.read().map_err(vk)?;
        Ok(Some(out[..self.nout * self.n * self.c].to_vec()))
    }

    /// The device analyses of every combination so far (None: none
    /// attached).
    pub fn analyses(&self) -> Result<Option<Vec<DeviceRow>>, GpuError> {
        self.analyses
            .as_ref()
            .map(|a| a.results(&self.dev))
            .transpose()
    }

    fn record(&self, rec: Recording) -> Result<Arc<PrimaryAutoCommandBuffer>, GpuError> {
        let steps = rec.steps;
        let dev = &self.dev;
        let mut b = AutoCommandBufferBuilder::primary(
            dev.commands.clone(),
            dev.queue.queue_family_index(),
            CommandBufferUsage::MultipleSubmit,
        )
        .map_err(vk)?;
        let acc_words = self.acc.clone().reinterpret::<[u32]>();
        b.fill_buffer(acc_words, 0).map_err(vk)?;
        b.bind_pipeline_compute(self.pipeline.clone()).map_err(vk)?;
        b.bind_descriptor_sets(
            PipelineBindPoint::Compute,
            self.pipeline.layout().clone(),
            0,
            self.set.clone(),
        )
        .map_err(vk)?;
        let groups = [(self.c as u32).div_ceil(WG), self.n as u32, 1];
        for s in 0..steps {
            b.push_constants(self.pipeline.layout().clone(), 0, Push { t: s, pad: 0 })
                .map_err(vk)?;
            // SAFETY: the shader bounds-checks (c, i) against the header and
            // indexes only inside the buffers it was built for.
            unsafe { b.dispatch(groups) }.map_err(vk)?;
        }
        if let (true, Some(a)) = (rec.analyses, &self.analyses) {
            a.record(&mut b, rec.analysed, rec.fft)?;
        }
        if rec.read_back {
            b.copy_buffer(CopyBufferInfo::buffers(
                self.acc.clone(),
                self.download.clone(),
            ))
            .map_err(vk)?;
        }
        b.build().map_err(vk)
    }

    /// Submits the period `rec` and waits for it.
    fn submit(&mut self, rec: Recording) -> Result<(), GpuError> {
        let cb = match self.recorded.iter().find(|r| r.0 == rec) {
            Some(r) => r.1.clone(),
            None => {
                let cb = self.record(rec)?;
                self.recorded.push((rec, cb.clone()));
                cb
            }
        };
        {
            let mut clk = self.clock.write().map_err(vk)?;
            clk[0] = self.steps_done as u32;
        }
        cb.execute(self.dev.queue.clone())
            .map_err(vk)?
            .then_signal_fence_and_flush()
            .map_err(vk)?
            .wait(None)
            .map_err(vk)?;
        self.steps_done += rec.steps as u64;
        Ok(())
    }

    /// Advances `steps` steps and returns the period sums of the output
    /// variables, `outputs × n × C` (divide by `steps` for averages).
    pub fn run_period(&mut self, steps: u32) -> Result<Vec<f32>, GpuError> {
        self.submit(Recording {
            steps,
            read_back: true,
            analyses: false,
            analysed: false,
            fft: false,
        })?;
        let out = self.download.read().map_err(vk)?;
        Ok(out[..self.nout * self.n * self.c].to_vec())
    }

    /// The current state, `nvar × n × C`.
    pub fn state(&self) -> Result<Vec<f32>, GpuError> {
        let dev = &self.dev;
        copy_and_wait(dev, self.x.clone(), self.x_download.clone())?;
        let r = self.x_download.read().map_err(vk)?;
        Ok(r[..self.nvar * self.n * self.c].to_vec())
    }

    /// Steps done.
    pub fn steps_done(&self) -> u64 {
        self.steps_done
    }

    /// Arithmetic of the kernel's right-hand side.
    pub fn precision(&self) -> Precision {
        self.precision
    }

    /// Combinations in the batch.
    pub fn combinations(&self) -> usize {
        self.c
    }
}
