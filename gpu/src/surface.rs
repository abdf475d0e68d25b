//! A cortical-surface simulation on the device: the Vulkan backend of the
//! `surface` kind, stepping what [`brainstream_models::surface::SurfaceSim`]
//! steps on the CPU (tvb-library 2.10's `Simulator` with a `Cortex`):
//! Generic2dOscillator on every vertex with the local coupling
//! `lc = (cs·L)·V` of the sparse matrix `L` (CSR rows, ascending columns,
//! summed from 0), the delayed long-range coupling of the region
//! connectome through the region mapping (region averages in a float32
//! history ring, `c_r = post(Σ_j w_rj·pre(x̄_r, x̄_j(t − d_rj)))` with
//! float32 products summed as numpy's `add.reduceat` sums), Euler or Heun
//! with every stage clamped, and tvb-library's `StimuliSurface`
//! (`u_v = S_v·T((k − 1)·dt)`, `T` evaluated on the host per step).
//!
//! A window of `W` steps is one submission of `4·W` dispatches of
//! `shaders/surface.wgsl` (region coupling, first stage, second stage,
//! region averages); the state stays on the device, and what the `surface`
//! kind emits — the chosen variables of every `stride`-th vertex and every
//! variable averaged over each region, after each step — is read back once
//! per window.
//!
//! The state and right-hand side are f64 where the device has
//! shaderFloat64 (the CPU engine's arithmetic, operation for operation:
//! the same sums in the same order), f32 elsewhere or on request; the
//! history and the long-range coupling's products are float32 as on the
//! CPU.

use std::sync::{Arc, Mutex, OnceLock};

use brainstream_models::coupling::CouplingKind;
use brainstream_models::integrator::Scheme;
use brainstream_models::stimulus::Temporal;
use brainstream_models::surface::{SurfaceConfig, SurfaceSim, SURFACE_MODELS};
use brainstream_models::ModelInfo;
use vulkano::buffer::{BufferContents, BufferUsage, Subbuffer};
use vulkano::command_buffer::{
    AutoCommandBufferBuilder, CommandBufferUsage, PrimaryAutoCommandBuffer,
    PrimaryCommandBufferAbstract,
};
use vulkano::descriptor_set::{DescriptorSet, WriteDescriptorSet};
use vulkano::pipeline::{ComputePipeline, Pipeline, PipelineBindPoint};
use vulkano::sync::GpuFuture;

use crate::buffers::{compute_pipeline, copy_and_wait, host_buffer, upload};
use crate::device::GpuDevice;
use crate::error::{vk, GpuError};
use crate::shaders::{self, Precision};

/// Threads per workgroup (surface.wgsl's workgroup_size).
const WG: u32 = 64;

/// The step kernel of a surface.
pub const SURFACE_WGSL: &str = include_str!("../shaders/surface.wgsl");

/// The WGSL of the surface kernel of `model` in `precision`.
pub fn surface_wgsl(model: &ModelInfo, precision: Precision) -> String {
    let cvar: Vec<String> = model.cvar.iter().map(|c| format!("{c}u")).collect();
    format!(
        "const NVAR: u32 = {}u;\nconst NC: u32 = {}u;\nconst CVAR: array<u32, {}> = array<u32, {}>({});\n{}\n{}",
        model.nvar(),
        model.cvar.len(),
        cvar.len(),
        cvar.len(),
        cvar.join(", "),
        SURFACE_WGSL.replace("$S", precision.ty()),
        brainstream_modeldecl::wgsl::library(precision),
    )
}

/// Surface kernels compiled in this process, by model and precision.
type Cache = Mutex<Vec<((&'static str, Precision), Arc<[u32]>)>>;
static KERNELS: OnceLock<Cache> = OnceLock::new();

/// The SPIR-V of the surface kernel of `model` in `precision`, compiled
/// once per process.
pub fn surface_kernel(model: &ModelInfo, precision: Precision) -> Result<Arc<[u32]>, GpuError> {
    let poisoned = || GpuError::Vulkan("the surface kernel cache was poisoned by a panic".into());
    let cache = KERNELS.get_or_init(Default::default);
    let key = (model.name, precision);
    if let Some((_, w)) = cache
        .lock()
        .map_err(|_| poisoned())?
        .iter()
        .find(|(k, _)| *k == key)
    {
        return Ok(w.clone());
    }
    let t0 = std::time::Instant::now();
    let words: Arc<[u32]> = crate::spirv::compile(&surface_wgsl(model, precision))
        .map_err(|cause| GpuError::Kernel {
            model: model.name.into(),
            cause: format!(
                "the {} surface kernel does not compile: {cause}",
                precision.ty()
            ),
        })?
        .into();
    tracing::info!(
        model = model.name,
        precision = precision.ty(),
        ms = t0.elapsed().as_secs_f64() * 1e3,
        "compiled the Vulkan surface kernel"
    );
    cache
        .lock()
        .map_err(|_| poisoned())?
        .push((key, words.clone()));
    Ok(words)
}

/// What the surface kernel cannot run of `cfg`, found without a device
/// (`None`: it runs it). The CPU stepper's own refusals come first, from
/// [`SurfaceSim::new`].
pub fn surface_unsupported(cfg: &SurfaceConfig) -> Option<String> {
    if !SURFACE_MODELS.contains(&cfg.model.name) || cfg.model.name != "Generic2dOscillator" {
        return Some(format!(
            "model {} on a surface (the Vulkan surface kernel steps Generic2dOscillator)",
            cfg.model.name
        ));
    }
    if !matches!(
        cfg.coupling.kind,
        CouplingKind::Linear
            | CouplingKind::Scaling
            | CouplingKind::Difference
            | CouplingKind::Kuramoto
    ) {
        return Some(format!(
            "coupling {} on a surface (Linear, Scaling, Difference, Kuramoto)",
            cfg.coupling.info.name
        ));
    }
    None
}

/// Push constants (`struct Push`).
#[derive(BufferContents, Clone, Copy)]
#[repr(C)]
struct Push {
    s: u32,
    phase: u32,
}

/// The state-typed buffers (f64 or f32 as the precision).
#[derive(Clone)]
enum Real {
    F64(Subbuffer<[f64]>),
    F32(Subbuffer<[f32]>),
}

impl Real {
    fn upload(dev: &GpuDevice, prec: Precision, data: &[f64]) -> Result<Self, GpuError> {
        let data: Vec<f64> = if data.is_empty() {
            vec![0.0]
        } else {
            data.to_vec()
        };
        Ok(match prec {
            Precision::F64 => Real::F64(upload(dev, &data)?),
            Precision::F32 => Real::F32(upload(
                dev,
                &data.iter().map(|v| *v as f32).collect::<Vec<_>>(),
            )?),
        })
    }
    fn host(dev: &GpuDevice, prec: Precision, len: usize) -> Result<Self, GpuError> {
        let len = len.max(1);
        let usage = BufferUsage::STORAGE_BUFFER;
        Ok(match prec {
            Precision::F64 => Real::F64(host_buffer(dev, usage, std::iter::repeat_n(0f64, len))?),
            Precision::F32 => Real::F32(host_buffer(dev, usage, std::iter::repeat_n(0f32, len))?),
        })
    }
    fn write(&self, data: &[f64]) -> Result<(), GpuError> {
        match self {
            Real::F64(b) => b.write().map_err(vk)?[..data.len()].copy_from_slice(data),
            Real::F32(b) => {
                let mut w = b.write().map_err(vk)?;
                for (d, s) in w.iter_mut().zip(data) {
                    *d = *s as f32;
                }
            }
        }
        Ok(())
    }
    fn read(&self, at: usize, out: &mut [f64]) -> Result<(), GpuError> {
        match self {
            Real::F64(b) => out.copy_from_slice(&b.read().map_err(vk)?[at..at + out.len()]),
            Real::F32(b) => {
                let (r, n) = (b.read().map_err(vk)?, out.len());
                for (d, s) in out.iter_mut().zip(&r[at..at + n]) {
                    *d = *s as f64;
                }
            }
        }
        Ok(())
    }
    fn descriptor(&self, binding: u32) -> WriteDescriptorSet {
        match self {
            Real::F64(b) => WriteDescriptorSet::buffer(binding, b.clone()),
            Real::F32(b) => WriteDescriptorSet::buffer(binding, b.clone()),
        }
    }
}

/// The per-window buffers, for windows of up to `cap` steps.
struct Window {
    cap: usize,
    /// whether `win_t` holds a value per vertex and step (a stimulus from
    /// outside) rather than one per step
    per_vertex: bool,
    win_u: Subbuffer<[u32]>,
    win_t: Real,
    trace: Real,
    set: Arc<DescriptorSet>,
    /// recorded window command buffers by length
    recorded: Vec<(usize, Arc<PrimaryAutoCommandBuffer>)>,
}

/// The device-resident buffers every window's descriptor set binds.
struct Resident {
    ints: Subbuffer<[u32]>,
    wts: Subbuffer<[f32]>,
    reals: Real,
    lcol: Subbuffer<[u32]>,
    lval: Real,
    x: Real,
    work: Real,
    cplr: Real,
    hist: Subbuffer<[f32]>,
}

/// A surface simulation on the device.
pub struct GpuSurface {
    dev: Arc<GpuDevice>,
    pipeline: Arc<ComputePipeline>,
    buf: Resident,
    window: Option<Window>,
    nv: usize,
    nr: usize,
    nvar: usize,
    /// the chosen variables and the recorded vertices' count
    nq: usize,
    nsel: usize,
    stimulus: Option<Temporal>,
    has_stvar: bool,
    dt: f64,
    steps_done: u64,
    precision: Precision,
}

impl std::fmt::Debug for GpuSurface {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "GpuSurface({} vertices, {} regions, {} on {})",
            self.nv,
            self.nr,
            self.precision.ty(),
            self.dev.name
        )
    }
}

impl GpuSurface {
    /// Uploads the surface simulation of `cfg`; each step sends back
    /// variables `voi` of vertices `0, stride, 2·stride, …` and every
    /// variable averaged over each region. `precision`: `None`, f64 where
    /// the device has shaderFloat64 and f32 elsewhere.
    pub fn new(
        dev: Arc<GpuDevice>,
        cfg: &SurfaceConfig,
        voi: &[usize],
        stride: usize,
        precision: Option<Precision>,
    ) -> Result<Self, GpuError> {
        let bad = |m: String| GpuError::Unsupported(m);
        // the CPU stepper's checks, and its initial (clamped) state
        let cpu = SurfaceSim::new(cfg.clone()).map_err(|e| bad(e.to_string()))?;
        if let Some(why) = surface_unsupported(cfg) {
            return Err(bad(why));
        }
        let m = cfg.model;
        let precision = shaders::precision_for(m, precision, dev.has_f64, &dev.name)?;
        let (nv, nr, nvar, nc) = (cpu.n_vertices(), cpu.n_regions(), m.nvar(), m.cvar.len());
        if stride == 0 || voi.is_empty() || voi.iter().any(|&q| q >= nvar) {
            return Err(bad(format!(
                "recorded variables {voi:?} every {stride} vertices: at least one of the model's {nvar} variables, a stride ≥ 1"
            )));
        }
        let nsel = nv.div_ceil(stride);
        let conn = &cfg.connectivity;
        let delays = conn
            .delays_steps(cfg.speed_mm_per_ms, cfg.dt_ms)
            .map_err(|e| bad(e.to_string()))?;
        let h = cpu.horizon();
        let hist_len = h * nc * nr;
        // the connectome's rows: non-zero weights (f32), their sources and delays
        let (mut eptr, mut ecol, mut edly, mut wts) = (vec![0u32], vec![], vec![], vec![]);
        for i in 0..nr {
            for j in 0..nr {
                let w = conn.weights[i * nr + j];
                if w != 0.0 {
                    ecol.push(j as u32);
                    edly.push(delays[i * nr + j] as u32);
                    wts.push(w as f32);
                }
            }
            eptr.push(ecol.len() as u32);
        }
        // each region's vertices, ascending, and the counts
        let rmap = cpu.region_mapping();
        let mut count = vec![0.0f64; nr];
        for &r in rmap {
            count[r] += 1.0;
        }
        let mut rptr = vec![0u32];
        let mut rvert: Vec<u32> = Vec::with_capacity(nv);
        let mut by_region: Vec<Vec<u32>> = vec![vec![]; nr];
        for (v, &r) in rmap.iter().enumerate() {
            by_region[r].push(v as u32);
        }
        for list in &by_region {
            rvert.extend(list);
            rptr.push(rvert.len() as u32);
        }
        // cs·L, as the CPU stepper scales it
        let (lptr, lcol, lval): (Vec<u32>, Vec<u32>, Vec<f64>) = match &cfg.local {
            Some(l) => (
                l.row_start.iter().map(|&p| p as u32).collect(),
                l.col.clone(),
                l.val.iter().map(|v| v * cfg.coupling_strength).collect(),
            ),
            None => (vec![0; nv + 1], vec![], vec![]),
        };
        if u32::try_from(lcol.len()).is_err() || u32::try_from(nv * nvar * 2).is_err() {
            return Err(bad(format!(
                "{} local connectivity entries on {nv} vertices: more than 2³² words in a buffer",
                lcol.len()
            )));
        }
        let word = match precision {
            Precision::F64 => 8u64,
            Precision::F32 => 4,
        };
        for (what, bytes) in [
            ("the local connectivity's values", lval.len() as u64 * word),
            ("the local connectivity's columns", lcol.len() as u64 * 4),
            ("the state's two stages", (2 * nvar * nv) as u64 * word),
            ("the delay history", hist_len as u64 * 4),
        ] {
            if bytes > dev.max_storage_buffer {
                return Err(bad(format!(
                    "{what} ({} MiB) exceed the device's {} MiB storage buffers",
                    bytes >> 20,
                    dev.max_storage_buffer >> 20
                )));
            }
        }
        let p = &cfg.model_params;
        let g2d = [
            "tau", "I", "a", "b", "c", "d", "e", "f", "g", "alpha", "beta", "gamma",
        ];
        let cvals = cfg.coupling.params.values();
        let mut reals = vec![cfg.dt_ms];
        reals.extend(m.bounds.iter().map(|b| b.0));
        reals.extend(m.bounds.iter().map(|b| b.1));
        reals.extend(g2d.iter().map(|k| p.get(k)));
        reals.extend((0..2).map(|k| cvals.get(k).copied().unwrap_or(0.0)));
        let off_count = reals.len();
        reals.extend(&count);
        let off_spatial = reals.len();
        if let Some(st) = &cfg.stimulus {
            reals.extend(&st.spatial);
        }
        let header = 22u32;
        let off_stv = header;
        let off_rmap = off_stv + m.stimulus.len() as u32;
        let off_lptr = off_rmap + nv as u32;
        let off_rptr = off_lptr + lptr.len() as u32;
        let off_rvert = off_rptr + rptr.len() as u32;
        let off_eptr = off_rvert + rvert.len() as u32;
        let off_ecol = off_eptr + eptr.len() as u32;
        let off_edly = off_ecol + ecol.len() as u32;
        let off_voi = off_edly + edly.len() as u32;
        let mut ints = vec![
            nv as u32,
            nr as u32,
            h as u32,
            match cfg.scheme {
                Scheme::Euler => 0,
                _ => 1,
            },
            cfg.stimulus.is_some() as u32,
            m.stimulus.len() as u32,
            off_stv,
            off_rmap,
            off_lptr,
            off_rptr,
            off_rvert,
            off_eptr,
            off_ecol,
            off_edly,
            voi.len() as u32,
            off_voi,
            stride as u32,
            nsel as u32,
            match cfg.coupling.kind {
                CouplingKind::Linear => 0,
                CouplingKind::Scaling => 1,
                CouplingKind::Difference => 2,
                _ => 3,
            },
            cfg.local.is_some() as u32,
            off_count as u32,
            off_spatial as u32,
        ];
        ints.extend(m.stimulus.iter().map(|&v| v as u32));
        ints.extend(rmap.iter().map(|&r| r as u32));
        ints.extend(&lptr);
        ints.extend(&rptr);
        ints.extend(&rvert);
        ints.extend(&eptr);
        ints.extend(&ecol);
        ints.extend(&edly);
        ints.extend(voi.iter().map(|&q| q as u32));
        // the constant initial history: every slot holds the initial averages
        let x0 = cpu.state();
        let mut avg = vec![0.0; nr];
        let mut h0 = vec![0f32; hist_len];
        for (ci, &k) in m.cvar.iter().enumerate() {
            cpu.region_average(x0, k, &mut avg);
            for slot in 0..h {
                for (r, a) in avg.iter().enumerate() {
                    h0[(slot * nc + ci) * nr + r] = *a as f32;
                }
            }
        }
        let words = surface_kernel(m, precision)?;
        let pipeline = compute_pipeline(
            &dev,
            &words,
            std::mem::size_of::<Push>(),
            "the surface shader",
        )?;
        let buf = Resident {
            ints: upload(&dev, &ints)?,
            wts: upload(&dev, if wts.is_empty() { &[0f32][..] } else { &wts })?,
            reals: Real::upload(&dev, precision, &reals)?,
            lcol: upload(&dev, if lcol.is_empty() { &[0u32][..] } else { &lcol })?,
            lval: Real::upload(&dev, precision, &lval)?,
            x: Real::upload(&dev, precision, x0)?,
            work: Real::upload(&dev, precision, &vec![0.0; 2 * nvar * nv])?,
            cplr: Real::upload(&dev, precision, &vec![0.0; nr * nc])?,
            hist: upload(&dev, &h0)?,
        };
        tracing::debug!(
            vertices = nv,
            regions = nr,
            nnz = lcol.len(),
            horizon = h,
            precision = precision.ty(),
            "Vulkan surface"
        );
        Ok(Self {
            dev,
            pipeline,
            buf,
            window: None,
            nv,
            nr,
            nvar,
            nq: voi.len(),
            nsel,
            stimulus: cfg.stimulus.as_ref().map(|s| s.temporal.clone()),
            has_stvar: !m.stimulus.is_empty(),
            dt: cfg.dt_ms,
            steps_done: 0,
            precision,
        })
    }

    /// The per-window buffers for windows of `steps` steps (made anew, with
    /// a new descriptor set, when a longer window comes).
    fn window(&mut self, steps: usize, per_vertex: bool) -> Result<&mut Window, GpuError> {
        if self
            .window
            .as_ref()
            .is_none_or(|w| w.cap < steps || (per_vertex && !w.per_vertex))
        {
            let cap = steps.max(self.window.as_ref().map_or(0, |w| w.cap));
            let per_vertex = per_vertex || self.window.as_ref().is_some_and(|w| w.per_vertex);
            let dev = &self.dev;
            let win_u = host_buffer(dev, BufferUsage::STORAGE_BUFFER, [0u32; 3].into_iter())?;
            let win_t = Real::host(
                dev,
                self.precision,
                cap * if per_vertex { self.nv } else { 1 },
            )?;
            let trace = Real::host(
                dev,
                self.precision,
                cap * (self.nq * self.nsel + self.nvar * self.nr),
            )?;
            let b = &self.buf;
            let set = DescriptorSet::new(
                dev.descriptors.clone(),
                self.pipeline.layout().set_layouts()[0].clone(),
                [
                    WriteDescriptorSet::buffer(0, b.ints.clone()),
                    WriteDescriptorSet::buffer(1, b.wts.clone()),
                    b.reals.descriptor(2),
                    WriteDescriptorSet::buffer(3, b.lcol.clone()),
                    b.lval.descriptor(4),
                    b.x.descriptor(5),
                    b.work.descriptor(6),
                    b.cplr.descriptor(7),
                    WriteDescriptorSet::buffer(8, b.hist.clone()),
                    WriteDescriptorSet::buffer(9, win_u.clone()),
                    win_t.descriptor(10),
                    trace.descriptor(11),
                ],
                [],
            )
            .map_err(vk)?;
            self.window = Some(Window {
                cap,
                per_vertex,
                win_u,
                win_t,
                trace,
                set,
                recorded: vec![],
            });
        }
        self.window
            .as_mut()
            .ok_or_else(|| GpuError::Vulkan("no window buffers".into()))
    }

    fn record(
        &self,
        set: &Arc<DescriptorSet>,
        steps: usize,
    ) -> Result<Arc<PrimaryAutoCommandBuffer>, GpuError> {
        let dev = &self.dev;
        let mut b = AutoCommandBufferBuilder::primary(
            dev.commands.clone(),
            dev.queue.queue_family_index(),
            CommandBufferUsage::MultipleSubmit,
        )
        .map_err(vk)?;
        b.bind_pipeline_compute(self.pipeline.clone()).map_err(vk)?;
        b.bind_descriptor_sets(
            PipelineBindPoint::Compute,
            self.pipeline.layout().clone(),
            0,
            set.clone(),
        )
        .map_err(vk)?;
        let regions = [(self.nr as u32).div_ceil(WG), 1, 1];
        let vertices = [(self.nv as u32).div_ceil(WG), 1, 1];
        for s in 0..steps as u32 {
            for (phase, groups) in [(0, regions), (1, vertices), (2, vertices), (3, regions)] {
                b.push_constants(self.pipeline.layout().clone(), 0, Push { s, phase })
                    .map_err(vk)?;
                // SAFETY: the shader bounds-checks its thread index against
                // the regions or vertices and indexes only inside the
                // buffers it was built for (the window's hold `cap` ≥
                // `steps` steps); vulkano puts a barrier between
                // dispatches that write and read the same buffer.
                unsafe { b.dispatch(groups) }.map_err(vk)?;
            }
        }
        b.build().map_err(vk)
    }

    /// Advances `steps` steps: `vertices` (`steps × nq × nsel`) receives
    /// the chosen variables of the recorded vertices after each step,
    /// `regions` (`steps × nvar × R`) every variable averaged over each
    /// region's vertices. `drive` (`steps × V`, a stimulus from outside,
    /// as [`SurfaceSim::run_driven`]) is refused: its per-vertex upload
    /// does not yet give the CPU stepper's run.
    pub fn run_window(
        &mut self,
        steps: usize,
        vertices: &mut [f64],
        regions: &mut [f64],
        drive: Option<&[f64]>,
    ) -> Result<(), GpuError> {
        let (nq, nsel, nvar, nr) = (self.nq, self.nsel, self.nvar, self.nr);
        let bad = |m: String| Err(GpuError::Unsupported(m));
        if vertices.len() != steps * nq * nsel || regions.len() != steps * nvar * nr {
            return bad(format!(
                "outputs of {} and {} values for {steps} steps",
                vertices.len(),
                regions.len()
            ));
        }
        if drive.is_some() {
            return bad("a stimulus from outside (the surface's `stimulus` input) is stepped by the CPU surface only: backend = \"cpu\"".into());
        }
        if let Some(d) = drive {
            if self.stimulus.is_some() {
                return bad(
                    "a stimulus from outside and the surface's own stimulus at once: give one"
                        .into(),
                );
            }
            if !self.has_stvar {
                return bad("the model has no stimulus variable (tvb-library's stvar)".into());
            }
            if d.len() != steps * self.nv {
                return bad(format!(
                    "the stimulus from outside holds {} values for {steps} steps of {} vertices",
                    d.len(),
                    self.nv
                ));
            }
        }
        if steps == 0 {
            return Ok(());
        }
        // the ring's slot arithmetic, k + H, stays in 32 bits
        let base = u32::try_from(self.steps_done + steps as u64 + (1 << 24))
            .map(|_| self.steps_done as u32)
            .map_err(|_| GpuError::Unsupported("more than 2³² − 2²⁴ steps on a surface".into()))?;
        let t: Option<Vec<f64>> = self.stimulus.as_ref().map(|tm| {
            (0..steps as u64)
                .map(|s| tm.eval((self.steps_done + s) as f64 * self.dt))
                .collect()
        });
        let w = self.window(steps, drive.is_some())?;
        let off_r = w.cap * nq * nsel;
        {
            let mut u = w.win_u.write().map_err(vk)?;
            u[0] = base;
            u[1] = off_r as u32;
            u[2] = if t.is_some() {
                1
            } else {
                2 * drive.is_some() as u32
            };
        }
        if let Some(t) = &t {
            w.win_t.write(t)?;
        }
        if let Some(d) = drive {
            w.win_t.write(d)?;
        }
        let cb = match w.recorded.iter().find(|r| r.0 == steps) {
            Some(r) => r.1.clone(),
            None => {
                let set = w.set.clone();
                let cb = self.record(&set, steps)?;
                let w = self
                    .window
                    .as_mut()
                    .ok_or_else(|| GpuError::Vulkan("no window buffers".into()))?;
                w.recorded.push((steps, cb.clone()));
                cb
            }
        };
        cb.execute(self.dev.queue.clone())
            .map_err(vk)?
            .then_signal_fence_and_flush()
            .map_err(vk)?
            .wait(None)
            .map_err(vk)?;
        self.steps_done += steps as u64;
        let w = self
            .window
            .as_ref()
            .ok_or_else(|| GpuError::Vulkan("no window buffers".into()))?;
        w.trace.read(0, vertices)?;
        w.trace.read(off_r, regions)?;
        Ok(())
    }

    /// The state now (`nvar × V`), read back from the device.
    pub fn state(&self) -> Result<Vec<f64>, GpuError> {
        let n = self.nvar * self.nv;
        let dev = &self.dev;
        // a host-visible copy of the device-local state
        let staging = Real::host(dev, self.precision, n)?;
        match (&self.buf.x, &staging) {
            (Real::F64(a), Real::F64(z)) => copy_and_wait(dev, a.clone(), z.clone())?,
            (Real::F32(a), Real::F32(z)) => copy_and_wait(dev, a.clone(), z.clone())?,
            _ => return Err(GpuError::Vulkan("state buffers of two precisions".into())),
        }
        let mut out = vec![0.0; n];
        staging.read(0, &mut out)?;
        Ok(out)
    }

    /// Steps done.
    pub fn steps_done(&self) -> u64 {
        self.steps_done
    }

    /// Arithmetic of the state and right-hand side.
    pub fn precision(&self) -> Precision {
        self.precision
    }

    /// The device's name.
    pub fn device(&self) -> &str {
        &self.dev.name
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// surface.wgsl's `pairwise` (an explicit stack in place of numpy's
    /// recursion), written out here statement for statement: the same
    /// additions in the same order as numpy's pairwise sum
    /// (`brainstream_models::tvb_sum::pairwise`), bit for bit, for every
    /// length up to 3000.
    #[test]
    fn the_kernel_s_pairwise_walk_is_numpy_s() {
        fn pw0(a: &[f32], start: usize, n: usize) -> f32 {
            brainstream_models::tvb_sum::pairwise(&a[start..start + n])
        }
        fn pairwise(a: &[f32], start: usize, n: usize) -> f32 {
            let (mut st, mut ln) = ([0usize; 32], [0usize; 32]);
            let (mut left, mut done) = ([0f32; 32], [false; 32]);
            let mut top = 0;
            st[0] = start;
            ln[0] = n;
            loop {
                while ln[top] > 128 {
                    let mut n2 = ln[top] / 2;
                    n2 -= n2 % 8;
                    done[top] = false;
                    st[top + 1] = st[top];
                    ln[top + 1] = n2;
                    top += 1;
                }
                let mut r = pw0(a, st[top], ln[top]);
                loop {
                    if top == 0 {
                        return r;
                    }
                    top -= 1;
                    let mut n2 = ln[top] / 2;
                    n2 -= n2 % 8;
                    if !done[top] {
                        left[top] = r;
                        done[top] = true;
                        st[top + 1] = st[top] + n2;
                        ln[top + 1] = ln[top] - n2;
                        top += 1;
                        break;
                    }
                    r += left[top]; // left + r: IEEE addition commutes
                }
            }
        }
        // values of many magnitudes, so that the order shows in the bits
        let a: Vec<f32> = (0..3000u32)
            .map(|i| {
                let h = i.wrapping_mul(2654435761);
                ((h >> 8) as f32 / 16777216.0 - 0.5) * 10f32.powi((h % 7) as i32 - 3)
            })
            .collect();
        for n in 0..3000 {
            let want = brainstream_models::tvb_sum::pairwise(&a[..n]);
            assert_eq!(pairwise(&a, 0, n).to_bits(), want.to_bits(), "n = {n}");
        }
    }

    /// The kernel compiles in both precisions (naga validates it).
    #[test]
    fn the_surface_kernel_compiles() {
        let m = brainstream_models::model_info("Generic2dOscillator").unwrap();
        for p in [Precision::F64, Precision::F32] {
            crate::spirv::compile(&surface_wgsl(m, p))
                .unwrap_or_else(|e| panic!("{}: {e}", p.ty()));
        }
    }
}
