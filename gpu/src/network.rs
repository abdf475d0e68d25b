//! One whole-brain network on the device, stepped window by window: the
//! Vulkan backend of a graph's `mean_field` actor (where [`crate::batch`]
//! steps many parameter combinations for a sweep).
//!
//! The kernel is the model part generated from the model's declaration
//! with the state in the right-hand side's type
//! ([`brainstream_modeldecl::wgsl::model_with_state`]: f64 where the
//! device has shaderFloat64, f32 on request or elsewhere), the coupling
//! part generated from the coupling's, and `shaders/network.wgsl`, which
//! does what the CPU engine (`brainstream_models::engine`) does in a step:
//! delayed coupling from a float32 history ring, Euler, Heun or RK4 with
//! every stage clamped, additive or multiplicative white noise from the
//! Philox stream (the CPU's `noise_stream = "philox"`), a stimulus, and
//! proxy states replacing the proxy regions' own at their stamps.
//!
//! A window of `W` steps is one submission: a command buffer of `W`
//! dispatches (recorded once per window length), the window's stimulus
//! and proxy states uploaded before it, and every step's state (and the
//! coupling, when asked) read back once after it.
//!
//! Windows can be in flight together ([`GpuNetwork::submit_window`], then
//! [`GpuNetwork::collect_window`] in the same order): each has its own
//! slot of per-window buffers (stimulus and proxy states in, trace and
//! coupling out; a ring that grows to the windows in flight), and window
//! w + 1's submission waits on a semaphore that window w's signals, so
//! the device runs them in order with their writes to the state and the
//! history visible to the next (a full memory dependency, which
//! consecutive submissions on one queue do not have by themselves). The
//! host reads window w's slot while the device computes window w + 1: the
//! results are those of one window at a time, bit for bit
//! ([`GpuNetwork::run_window`] is the two calls back to back).

use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex, OnceLock};

use brainstream_modeldecl::coupling::{CouplingProgram, Sum};
use brainstream_modeldecl::Program;
use brainstream_models::coupling::CouplingInfo;
use brainstream_models::integrator::Scheme;
use brainstream_models::{
    MeanFieldConfig, MeanFieldSim, ModelInfo, NoiseKind, NoiseStream, ProxyInput,
};
use vulkano::buffer::{Buffer, BufferContents, BufferCreateInfo, BufferUsage, Subbuffer};
use vulkano::command_buffer::{
    AutoCommandBufferBuilder, CommandBufferSubmitInfo, CommandBufferUsage,
    PrimaryAutoCommandBuffer, SemaphoreSubmitInfo, SubmitInfo,
};
use vulkano::descriptor_set::{DescriptorSet, WriteDescriptorSet};
use vulkano::memory::allocator::{AllocationCreateInfo, MemoryTypeFilter};
use vulkano::pipeline::{ComputePipeline, Pipeline, PipelineBindPoint};
use vulkano::sync::fence::{Fence, FenceCreateInfo};
use vulkano::sync::semaphore::{Semaphore, SemaphoreCreateInfo};

use crate::buffers::{compute_pipeline, copy_and_wait, host_buffer, upload};
use crate::device::GpuDevice;
use crate::error::{vk, GpuError};
use crate::shaders::{self, Precision};
use crate::sum_rule::PresigmoidalEntries;

/// Threads per workgroup along the regions (network.wgsl's workgroup_size).
const WG: u32 = 64;

/// The step kernel of a single network.
pub const NETWORK_WGSL: &str = include_str!("../shaders/network.wgsl");

/// Integration scheme (tvb-library's Euler, Heun, RungeKutta4thOrder).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NetScheme {
    Euler,
    Heun,
    Rk4,
}

/// White noise from the Philox stream.
#[derive(Debug, Clone)]
pub struct NetNoise {
    /// `sqrt(2·nsig)` per state variable (state/ms^½; 0: no noise there).
    pub g: Vec<f64>,
    /// Multiplicative noise `g·(a·x + b)`; `None`: additive.
    pub multiplicative: Option<(f64, f64)>,
    /// Philox key (`brainstream_models::philox::key(seed, combination)`).
    pub key: [u32; 2],
}

/// Everything a network needs, in model units (ms, the model's state units).
#[derive(Debug, Clone)]
pub struct NetworkSpec {
    pub model: &'static ModelInfo,
    /// Model parameter `k` of region `i` at `k·n + i` (table order).
    pub params: Vec<f64>,
    pub coupling_info: &'static CouplingInfo,
    /// The coupling's parameter values in its table order.
    pub coupling: Vec<f64>,
    /// Regions.
    pub n: usize,
    /// Weights `w[i·n + j]` (target i, source j), the connections among
    /// proxy regions already removed.
    pub weights: Vec<f64>,
    /// Delays in steps, same layout.
    pub delays: Vec<usize>,
    pub dt_ms: f64,
    pub scheme: NetScheme,
    pub noise: Option<NetNoise>,
    /// Initial state `nvar × n` (already clamped); the history before t = 0
    /// is constant and equal to it.
    pub initial: Vec<f64>,
    /// Regions whose state comes from outside ([`ProxyInput`]).
    pub proxy_nodes: Vec<usize>,
    /// `None`: f64 where the device has shaderFloat64, f32 elsewhere.
    pub precision: Option<Precision>,
}

impl NetworkSpec {
    /// The network of a CPU engine configuration, as the CPU engine would
    /// step it, or what the Vulkan kernel cannot do: tvb-library's numpy
    /// noise stream (and coloured noise, which only it draws) is refused
    /// naming it.
    pub fn from_config(
        cfg: &MeanFieldConfig,
        precision: Option<Precision>,
    ) -> Result<Self, GpuError> {
        let info = cfg.model;
        let (n, nv) = (cfg.connectivity.n, info.nvar());
        let unsupported = |m: String| GpuError::Unsupported(m);
        let noise = match &cfg.noise {
            None => None,
            Some(nz) => {
                let key = match nz.stream {
                    NoiseStream::Numpy => {
                        return Err(unsupported(
                            "noise_stream = \"numpy\" (tvb-library's own stream, numpy's RandomState) is CPU-only; use noise_stream = \"philox\" (the counter-based stream the Vulkan kernels and the CPU engine both draw)".into(),
                        ))
                    }
                    NoiseStream::Philox { seed, combination } => {
                        brainstream_models::philox::key(seed, combination)
                    }
                };
                if nz.ntau_ms > 0.0 {
                    return Err(unsupported(format!(
                        "coloured noise (noise_ntau = {} ms) is drawn from the numpy stream only, which is CPU-only",
                        nz.ntau_ms
                    )));
                }
                if nz.nsig.len() != 1 && nz.nsig.len() != nv {
                    return Err(unsupported(format!(
                        "nsig has {} values for {nv} state variables",
                        nz.nsig.len()
                    )));
                }
                // one nsig applies to the model's noisy variables (every one
                // unless its declaration names some), as on the CPU
                let g = (0..nv)
                    .map(|k| match (nz.nsig.len(), info.noise) {
                        (1, Some(noisy)) if !noisy.contains(&k) => 0.0,
                        (1, _) => (2.0 * nz.nsig[0]).sqrt(),
                        _ => (2.0 * nz.nsig[k]).sqrt(),
                    })
                    .collect();
                Some(NetNoise {
                    g,
                    multiplicative: match nz.kind {
                        NoiseKind::Additive => None,
                        NoiseKind::Multiplicative { a, b } => Some((a, b)),
                    },
                    key,
                })
            }
        };
        // every region's parameter values, k·n + i
        let values = cfg.model_params.values();
        let mut params = Vec::with_capacity(values.len() * n);
        for &v in values {
            params.extend(std::iter::repeat_n(v, n));
        }
        for (slot, per) in cfg.model_params.regional() {
            params[slot * n..(slot + 1) * n].copy_from_slice(per);
        }
        let delays = cfg
            .connectivity
            .delays_steps(cfg.speed_mm_per_ms, cfg.dt_ms)
            .map_err(|e| unsupported(e.to_string()))?;
        // exclusive proxy nodes: no coupling among proxy regions
        let mut weights = cfg.connectivity.weights.clone();
        for &i in &cfg.proxy_nodes {
            for &j in &cfg.proxy_nodes {
                weights[i * n + j] = 0.0;
            }
        }
        let initial = MeanFieldSim::new(MeanFieldConfig {
            noise: None,
            proxy_nodes: vec![],
            ..cfg.clone()
        })
        .map_err(|e| unsupported(e.to_string()))?
        .state();
        Ok(Self {
            model: info,
            params,
            coupling_info: cfg.coupling.info,
            coupling: cfg.coupling.params.values().to_vec(),
            n,
            weights,
            delays,
            dt_ms: cfg.dt_ms,
            scheme: match cfg.scheme {
                Scheme::Euler => NetScheme::Euler,
                Scheme::Heun => NetScheme::Heun,
                Scheme::Rk4 => NetScheme::Rk4,
            },
            noise,
            initial,
            proxy_nodes: cfg.proxy_nodes.clone(),
            precision,
        })
    }
}

/// Push constants: the step within the window (`struct Push`).
#[derive(BufferContents, Clone, Copy)]
#[repr(C, align(8))]
struct Push {
    s: u32,
    pad: u32,
}

/// The state-typed buffers (f64 or f32 as the precision).
enum Real {
    F64(Subbuffer<[f64]>),
    F32(Subbuffer<[f32]>),
}

impl Real {
    fn write(&self, at: usize, data: &[f64]) -> Result<(), GpuError> {
        match self {
            Real::F64(b) => b.write().map_err(vk)?[at..at + data.len()].copy_from_slice(data),
            Real::F32(b) => {
                let mut w = b.write().map_err(vk)?;
                for (d, s) in w[at..at + data.len()].iter_mut().zip(data) {
                    *d = *s as f32;
                }
            }
        }
        Ok(())
    }
    fn read(&self, len: usize, out: &mut [f64]) -> Result<(), GpuError> {
        match self {
            Real::F64(b) => out[..len].copy_from_slice(&b.read().map_err(vk)?[..len]),
            Real::F32(b) => {
                for (d, s) in out[..len].iter_mut().zip(b.read().map_err(vk)?.iter()) {
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

/// One slot of per-window buffers, sized for windows of up to `cap` steps.
struct Window {
    cap: usize,
    win_u: Subbuffer<[u32]>,
    win_r: Real,
    trace: Real,
    cplout: Subbuffer<[f32]>,
    set: Arc<DescriptorSet>,
    /// recorded window command buffers by length
    recorded: Vec<(usize, Arc<PrimaryAutoCommandBuffer>)>,
}

/// A window submitted and not yet collected.
struct InFlight {
    /// its number among the network's windows (submission order)
    seq: u64,
    /// the slot holding its buffers
    slot: usize,
    steps: usize,
    has_cpl: bool,
    /// signalled when the device has run it
    fence: Arc<Fence>,
    /// the semaphore its submission waited on (the window before's) and
    /// the one it signals: alive until the device is done with them
    _semaphores: (Option<Arc<Semaphore>>, Arc<Semaphore>),
}

/// A window in flight, as [`GpuNetwork::submit_window`] hands it out: what
/// [`GpuNetwork::collect_window`] takes back.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WindowTicket {
    seq: u64,
    first_step: u64,
    steps: usize,
}

impl WindowTicket {
    /// Steps done before the window (its first step computes step
    /// `first_step + 1`).
    pub fn first_step(&self) -> u64 {
        self.first_step
    }
    /// Its steps.
    pub fn steps(&self) -> usize {
        self.steps
    }
}

/// A network on the device.
pub struct GpuNetwork {
    dev: Arc<GpuDevice>,
    pipeline: Arc<ComputePipeline>,
    ints: Subbuffer<[u32]>,
    floats: Subbuffer<[f32]>,
    /// what `floats` holds, and where the coupling's values start in it
    /// (each repeated for every region)
    floats_host: Vec<f32>,
    coupling_at: usize,
    reals: Real,
    x: Real,
    hist: Subbuffer<[f32]>,
    /// the ring of per-window buffers
    slots: Vec<Window>,
    /// windows submitted and not yet collected, oldest first
    in_flight: VecDeque<InFlight>,
    /// what the last submitted window signals and the next one waits on
    last_signal: Option<Arc<Semaphore>>,
    /// windows submitted so far
    submitted: u64,
    n: usize,
    nvar: usize,
    n_terms: usize,
    n_proxy: usize,
    steps_done: u64,
    precision: Precision,
}

impl std::fmt::Debug for GpuNetwork {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "GpuNetwork({} regions, {} on {})",
            self.n,
            self.precision.ty(),
            self.dev.name
        )
    }
}

fn real_upload(dev: &GpuDevice, prec: Precision, data: &[f64]) -> Result<Real, GpuError> {
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

fn real_host(dev: &GpuDevice, prec: Precision, len: usize) -> Result<Real, GpuError> {
    let len = len.max(1);
    Ok(match prec {
        Precision::F64 => Real::F64(host_buffer(
            dev,
            BufferUsage::STORAGE_BUFFER,
            std::iter::repeat_n(0f64, len),
        )?),
        Precision::F32 => Real::F32(host_buffer(
            dev,
            BufferUsage::STORAGE_BUFFER,
            std::iter::repeat_n(0f32, len),
        )?),
    })
}

/// Network kernels compiled in this process, by model program, coupling
/// program and precision.
type Cache = Mutex<HashMap<(usize, usize, Precision), Arc<[u32]>>>;
static KERNELS: OnceLock<Cache> = OnceLock::new();

/// The WGSL of the network kernel of `program` with `coupling` in
/// `precision` (state and right-hand side).
pub fn network_wgsl(
    program: &Program,
    coupling: &CouplingProgram,
    precision: Precision,
) -> Result<String, GpuError> {
    let kernel = |cause: String| GpuError::Kernel {
        model: program.name.clone(),
        cause,
    };
    let model = brainstream_modeldecl::wgsl::model_with_state(program, precision, precision)
        .map_err(kernel)?;
    let cpl =
        brainstream_modeldecl::wgsl_coupling::coupling(coupling, program.cvar.len(), precision)
            .map_err(kernel)?;
    let step = crate::sum_rule::with_sum(
        NETWORK_WGSL,
        (coupling.sum == Sum::PreSigmoidal)
            .then(crate::sum_rule::network_presigmoidal)
            .as_deref(),
    )
    .map_err(|cause| kernel(format!("shaders/network.wgsl: {cause}")))?;
    Ok(format!(
        "{model}\n{cpl}\n{}\n{}",
        step.replace("$S", precision.ty()),
        shaders::PHILOX_WGSL
    ))
}

/// The SPIR-V of the network kernel of model `info` with `coupling` in
/// `precision`, compiled once per process.
pub fn network_kernel(
    info: &ModelInfo,
    coupling: &CouplingInfo,
    precision: Precision,
) -> Result<Arc<[u32]>, GpuError> {
    let (program, cprog) = (
        shaders::model_program(info)?,
        shaders::coupling_program(coupling)?,
    );
    let key = (
        program as *const Program as usize,
        cprog as *const CouplingProgram as usize,
        precision,
    );
    let poisoned = || GpuError::Vulkan("the network kernel cache was poisoned by a panic".into());
    let cache = KERNELS.get_or_init(Default::default);
    if let Some(w) = cache.lock().map_err(|_| poisoned())?.get(&key) {
        return Ok(w.clone());
    }
    let src = network_wgsl(program, cprog, precision)?;
    let t0 = std::time::Instant::now();
    let words: Arc<[u32]> = crate::spirv::compile(&src)
        .map_err(|cause| GpuError::Kernel {
            model: program.name.clone(),
            cause: format!(
                "the generated {} network kernel with coupling {} does not compile: {cause}",
                precision.ty(),
                cprog.name
            ),
        })?
        .into();
    tracing::info!(
        model = %program.name,
        coupling = %cprog.name,
        precision = precision.ty(),
        ms = t0.elapsed().as_secs_f64() * 1e3,
        "compiled a Vulkan network kernel"
    );
    cache
        .lock()
        .map_err(|_| poisoned())?
        .insert(key, words.clone());
    Ok(words)
}

impl GpuNetwork {
    /// History slots for a largest delay of `max_delay` steps: the slot a
    /// step writes is never one another thread of the same step reads.
    pub fn horizon(max_delay: usize) -> usize {
        max_delay + 2
    }

    /// Uploads a network.
    pub fn new(dev: Arc<GpuDevice>, spec: &NetworkSpec) -> Result<Self, GpuError> {
        let info = spec.model;
        let precision = shaders::precision_for(info, spec.precision, dev.has_f64, &dev.name)?;
        let words = network_kernel(info, spec.coupling_info, precision)?;
        let cprog = shaders::coupling_program(spec.coupling_info)?;
        let ncp = cprog.n_values;
        let n_terms = if cprog.combine > 0 {
            1
        } else {
            info.cvar.len()
        };
        let (n, nv, nc) = (spec.n, info.nvar(), info.cvar.len());
        let np = info.n_values();
        let bad = |m: String| Err(GpuError::Unsupported(m));
        if spec.params.len() != np * n {
            return bad(format!(
                "{} model parameter values given, {} × {n} regions needed",
                spec.params.len(),
                np
            ));
        }
        if spec.coupling.len() != ncp {
            return bad(format!(
                "{} coupling parameters given, {} has {ncp}",
                spec.coupling.len(),
                spec.coupling_info.name
            ));
        }
        if spec.weights.len() != n * n || spec.delays.len() != n * n {
            return bad(format!("weights and delays must be {n} × {n}"));
        }
        if spec.initial.len() != nv * n {
            return bad(format!(
                "the initial state has {} values, {nv} × {n} needed",
                spec.initial.len()
            ));
        }
        let mut g = vec![0.0; nv];
        let (mut noise_on, mut key, mut ab) = (0u32, [0u32; 2], (0.0, 0.0));
        if let Some(nz) = &spec.noise {
            if nz.g.len() != nv {
                return bad(format!(
                    "{} noise amplitudes for {nv} state variables",
                    nz.g.len()
                ));
            }
            g.clone_from(&nz.g);
            key = nz.key;
            noise_on = match nz.multiplicative {
                None => 1,
                Some(m) => {
                    ab = m;
                    2
                }
            };
        }
        let max_delay = spec.delays.iter().copied().max().unwrap_or(0);
        let h = Self::horizon(max_delay);
        let hist_len = h * nc * n;
        if (hist_len * 4) as u64 > dev.max_storage_buffer {
            return bad(format!(
                "the delay history ({h} steps × {nc} coupled variables × {n} regions) exceeds the device's {} MiB storage buffers",
                dev.max_storage_buffer >> 20
            ));
        }
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
        let mut pslot = vec![u32::MAX; n];
        for (k, &p) in spec.proxy_nodes.iter().enumerate() {
            if p >= n {
                return bad(format!("proxy region {p} is outside the connectome"));
            }
            pslot[p] = k as u32;
        }
        let ps = if cprog.sum == Sum::PreSigmoidal {
            PresigmoidalEntries::new(n, &spec.weights, &spec.delays)
        } else {
            PresigmoidalEntries::default()
        };
        let header = 19u32;
        let off_row = header;
        let off_col = off_row + row_ptr.len() as u32;
        let off_dly = off_col + col.len() as u32;
        let off_stv = off_dly + dly.len() as u32;
        let off_pslot = off_stv + info.stimulus.len() as u32;
        let off_ps = off_pslot + n as u32;
        let mut ints = vec![
            n as u32,
            h as u32,
            match spec.scheme {
                NetScheme::Euler => 0,
                NetScheme::Heun => 1,
                NetScheme::Rk4 => 2,
            },
            noise_on,
            key[0],
            key[1],
            off_row,
            off_col,
            off_dly,
            info.stimulus.len() as u32,
            off_stv,
            off_pslot,
            (w.len() + ps.w.len()) as u32, // H_PARAMS: after the weights
            0,                             // H_W
            spec.proxy_nodes.len() as u32,
            // the presigmoidal sum's entries (shaders/presigmoidal_sum.wgsl)
            off_ps,
            off_ps + ps.ptr.len() as u32,
            off_ps + (ps.ptr.len() + ps.dly.len()) as u32,
            w.len() as u32, // its weights, after the sparse ones
        ];
        ints.extend(&row_ptr);
        ints.extend(&col);
        ints.extend(&dly);
        ints.extend(info.stimulus.iter().map(|&v| v as u32));
        ints.extend(&pslot);
        ints.extend(&ps.ptr);
        ints.extend(&ps.dly);
        ints.extend(&ps.diag);
        let mut floats = w;
        floats.extend(&ps.w);
        floats.extend(spec.params.iter().map(|&v| v as f32));
        let coupling_at = floats.len();
        for &c in &spec.coupling {
            floats.extend(std::iter::repeat_n(c as f32, n));
        }
        let mut reals = vec![spec.dt_ms];
        reals.extend(info.bounds.iter().map(|b| b.0));
        reals.extend(info.bounds.iter().map(|b| b.1));
        reals.extend(&g);
        reals.extend([ab.0, ab.1, spec.dt_ms.sqrt()]);
        let mut h0 = vec![0f32; hist_len];
        for s in 0..h {
            for (k, &cv) in info.cvar.iter().enumerate() {
                for i in 0..n {
                    h0[(s * nc + k) * n + i] = spec.initial[cv * n + i] as f32;
                }
            }
        }
        let ints_b = upload(&dev, &ints)?;
        let floats_b = upload(&dev, &floats)?;
        let reals_b = real_upload(&dev, precision, &reals)?;
        let x = real_upload(&dev, precision, &spec.initial)?;
        let hist = upload(&dev, &h0)?;

        // the kernel: naga's output for a kernel generated from a checked
        // declaration, validated by naga just now
        let pipeline = compute_pipeline(
            &dev,
            &words,
            std::mem::size_of::<Push>(),
            "the network shader",
        )?;
        tracing::debug!(
            model = info.name,
            precision = precision.ty(),
            regions = n,
            nnz = col.len(),
            horizon = h,
            "Vulkan network"
        );
        Ok(Self {
            dev,
            pipeline,
            ints: ints_b,
            floats: floats_b,
            floats_host: floats,
            coupling_at,
            reals: reals_b,
            x,
            hist,
            slots: vec![],
            in_flight: VecDeque::new(),
            last_signal: None,
            submitted: 0,
            n,
            nvar: nv,
            n_terms,
            n_proxy: spec.proxy_nodes.len(),
            steps_done: 0,
            precision,
        })
    }

    /// A slot of per-window buffers for a window of `steps` steps that no
    /// window in flight uses: a free one (made anew, with a new descriptor
    /// set, when it is too short for `steps`), else a new one.
    fn free_slot(&mut self, steps: usize) -> Result<usize, GpuError> {
        let busy = |k: usize| self.in_flight.iter().any(|f| f.slot == k);
        let k = (0..self.slots.len())
            .find(|&k| !busy(k))
            .unwrap_or(self.slots.len());
        if self.slots.get(k).is_none_or(|w| w.cap < steps) {
            let cap = steps.max(self.slots.get(k).map_or(0, |w| w.cap));
            let (n, nv) = (self.n, self.nvar);
            let dev = &self.dev;
            let win_u = host_buffer(
                dev,
                BufferUsage::STORAGE_BUFFER,
                std::iter::repeat_n(0u32, 6 + nv + cap),
            )?;
            let win_r = real_host(
                dev,
                self.precision,
                cap * n + cap * self.n_proxy.max(1) * nv,
            )?;
            let trace = real_host(dev, self.precision, cap * nv * n)?;
            let cplout = host_buffer(
                dev,
                BufferUsage::STORAGE_BUFFER,
                std::iter::repeat_n(0f32, cap * n * self.n_terms),
            )?;
            let set = DescriptorSet::new(
                dev.descriptors.clone(),
                self.pipeline.layout().set_layouts()[0].clone(),
                [
                    WriteDescriptorSet::buffer(0, self.ints.clone()),
                    WriteDescriptorSet::buffer(1, self.floats.clone()),
                    self.reals.descriptor(2),
                    self.x.descriptor(3),
                    WriteDescriptorSet::buffer(4, self.hist.clone()),
                    WriteDescriptorSet::buffer(5, win_u.clone()),
                    win_r.descriptor(6),
                    trace.descriptor(7),
                    WriteDescriptorSet::buffer(8, cplout.clone()),
                ],
                [],
            )
            .map_err(vk)?;
            let w = Window {
                cap,
                win_u,
                win_r,
                trace,
                cplout,
                set,
                recorded: vec![],
            };
            if k == self.slots.len() {
                self.slots.push(w);
                tracing::debug!(slots = self.slots.len(), "Vulkan network: window slots");
            } else {
                self.slots[k] = w;
            }
        }
        Ok(k)
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
        let groups = [(self.n as u32).div_ceil(WG), 1, 1];
        for s in 0..steps as u32 {
            b.push_constants(self.pipeline.layout().clone(), 0, Push { s, pad: 0 })
                .map_err(vk)?;
            // SAFETY: the shader bounds-checks i against N and indexes only
            // inside the buffers it was built for (the window's hold `cap`
            // ≥ `steps` steps).
            unsafe { b.dispatch(groups) }.map_err(vk)?;
        }
        b.build().map_err(vk)
    }

    /// Advances `steps` steps: `out` (`steps × nvar × n`) receives the
    /// state after each, `coupling_out` (`steps × n × n_terms`) the coupling
    /// used for each (every region's), `stimulus` (`steps × n`) enters the
    /// model's stimulus variables, `proxy` replaces the proxy regions'
    /// states where present. One window at a time: none may be in
    /// flight.
    pub fn run_window(
        &mut self,
        steps: usize,
        out: &mut [f64],
        proxy: Option<ProxyInput<'_>>,
        stimulus: Option<&[f64]>,
        coupling_out: Option<&mut [f64]>,
    ) -> Result<(), GpuError> {
        if out.len() != steps * self.nvar * self.n {
            return Err(GpuError::Unsupported(format!(
                "output of {} values for {steps} steps",
                out.len()
            )));
        }
        if steps == 0 {
            return Ok(());
        }
        if !self.in_flight.is_empty() {
            return Err(GpuError::Unsupported(format!(
                "{} windows in flight: collect them before running one",
                self.in_flight.len()
            )));
        }
        let t = self.submit_window(steps, proxy, stimulus, coupling_out.is_some())?;
        self.collect_window(t, out, coupling_out)
    }

    /// Submits a window of `steps` steps (as [`Self::run_window`]: its
    /// stimulus and proxy states copied now, the coupling kept when
    /// `want_coupling`) and returns without waiting for the device; its
    /// results are [`Self::collect_window`]'s. The device runs the windows
    /// in the order they are submitted, each after the one before.
    pub fn submit_window(
        &mut self,
        steps: usize,
        proxy: Option<ProxyInput<'_>>,
        stimulus: Option<&[f64]>,
        want_coupling: bool,
    ) -> Result<WindowTicket, GpuError> {
        let (n, nv, npx) = (self.n, self.nvar, self.n_proxy);
        let bad = |m: String| Err(GpuError::Unsupported(m));
        if steps == 0 {
            return bad("a window of no steps".into());
        }
        let base = u32::try_from(self.steps_done + steps as u64)
            .map(|_| self.steps_done as u32)
            .map_err(|_| {
                GpuError::Unsupported(
                    "more than 2³² steps (the noise counter and history ring are 32-bit)".into(),
                )
            })?;
        if let Some(px) = &proxy {
            if px.present.len() != steps
                || px.vars.len() > nv
                || px.values.len() != steps * npx * px.vars.len()
                || px.vars.iter().any(|&v| v >= nv)
            {
                return bad("proxy states of the wrong shape".into());
            }
        }
        if let Some(st) = stimulus {
            if st.len() != steps * n {
                return bad(format!("stimulus of {} values for {steps} steps", st.len()));
            }
        }
        let k = self.free_slot(steps)?;
        let w = &self.slots[k];
        let cap = w.cap;
        // no window in flight uses this slot: the host may write it
        {
            let mut u = w.win_u.write().map_err(vk)?;
            u.fill(0);
            u[0] = base;
            u[1] = stimulus.is_some() as u32;
            u[4] = want_coupling as u32;
            u[5] = (cap * n) as u32;
            if let Some(px) = &proxy {
                u[2] = 1;
                u[3] = px.vars.len() as u32;
                for (k, &v) in px.vars.iter().enumerate() {
                    u[6 + k] = v as u32;
                }
                for (s, &p) in px.present.iter().enumerate() {
                    u[6 + nv + s] = p as u32;
                }
            }
        }
        if let Some(st) = stimulus {
            w.win_r.write(0, st)?;
        }
        if let Some(px) = &proxy {
            w.win_r.write(cap * n, px.values)?;
        }
        let cb = match w.recorded.iter().find(|r| r.0 == steps) {
            Some(r) => r.1.clone(),
            None => {
                let set = w.set.clone();
                let cb = self.record(&set, steps)?;
                self.slots[k].recorded.push((steps, cb.clone()));
                cb
            }
        };
        let device = &self.dev.device;
        let fence = Arc::new(Fence::new(device.clone(), FenceCreateInfo::default()).map_err(vk)?);
        let signal =
            Arc::new(Semaphore::new(device.clone(), SemaphoreCreateInfo::default()).map_err(vk)?);
        let wait = self.last_signal.take();
        let info = SubmitInfo {
            // the window before's writes (state, history) happen before
            // this one's first dispatch: a semaphore is a full memory
            // dependency on the device, which submission order is not
            wait_semaphores: wait
                .iter()
                .map(|s| SemaphoreSubmitInfo::new(s.clone()))
                .collect(),
            command_buffers: vec![CommandBufferSubmitInfo::new(cb)],
            signal_semaphores: vec![SemaphoreSubmitInfo::new(signal.clone())],
            ..Default::default()
        };
        // SAFETY: the command buffer was recorded for this slot's buffers,
        // which no other submission in flight uses (the slot is free), and
        // is not pending (a slot's windows are collected, their fence
        // waited, before it is used again); the semaphore waited on was
        // signalled by the previous submission and is waited on once; the
        // fence and the semaphores live in `in_flight` until the fence is
        // waited on (`collect_window`, `drain`, `Drop`).
        let submitted = self
            .dev
            .queue
            .with(|mut q| unsafe { q.submit(&[info], Some(&fence)) });
        if let Err(e) = submitted {
            // the chain is broken: nothing waits on a semaphore nobody
            // signals (the earlier windows are waited on by the host)
            self.drain()?;
            return Err(vk(e));
        }
        self.last_signal = Some(signal.clone());
        let t = WindowTicket {
            seq: self.submitted,
            first_step: self.steps_done,
            steps,
        };
        self.in_flight.push_back(InFlight {
            seq: t.seq,
            slot: k,
            steps,
            has_cpl: want_coupling,
            fence,
            _semaphores: (wait, signal),
        });
        self.submitted += 1;
        self.steps_done += steps as u64;
        Ok(t)
    }

    /// Waits for window `t` (the oldest in flight: windows are collected
    /// in the order they were submitted) and reads it back: `out`
    /// (`steps × nvar × n`) the state after each step, `coupling_out`
    /// (`steps × n × n_terms`, where it was submitted wanting it) the
    /// coupling used for each.
    pub fn collect_window(
        &mut self,
        t: WindowTicket,
        out: &mut [f64],
        coupling_out: Option<&mut [f64]>,
    ) -> Result<(), GpuError> {
        let (n, nv, nt) = (self.n, self.nvar, self.n_terms);
        let Some(f) = self.in_flight.front() else {
            return Err(GpuError::Unsupported(format!(
                "window {} collected, but no window is in flight",
                t.seq
            )));
        };
        if f.seq != t.seq {
            return Err(GpuError::Unsupported(format!(
                "window {} collected before window {}, submitted first",
                t.seq, f.seq
            )));
        }
        let steps = f.steps;
        if out.len() != steps * nv * n {
            return Err(GpuError::Unsupported(format!(
                "output of {} values for {steps} steps",
                out.len()
            )));
        }
        if let Some(c) = &coupling_out {
            if !f.has_cpl || c.len() != steps * n * nt {
                return Err(GpuError::Unsupported(format!(
                    "coupling output of {} values ({})",
                    c.len(),
                    if f.has_cpl {
                        "wrong length"
                    } else {
                        "not asked for at submission"
                    }
                )));
            }
        }
        f.fence.wait(None).map_err(vk)?;
        let Some(f) = self.in_flight.pop_front() else {
            return Err(GpuError::Vulkan("no window in flight".into()));
        };
        let w = &self.slots[f.slot];
        w.trace.read(steps * nv * n, out)?;
        if let Some(c) = coupling_out {
            let r = w.cplout.read().map_err(vk)?;
            for (d, s) in c.iter_mut().zip(r.iter()) {
                *d = *s as f64;
            }
        }
        Ok(())
    }

    /// Windows submitted and not yet collected.
    pub fn in_flight(&self) -> usize {
        self.in_flight.len()
    }

    /// Waits until the device has run every window in flight (their
    /// results stay for [`Self::collect_window`]): before anything is
    /// submitted outside the semaphore chain.
    fn drain(&self) -> Result<(), GpuError> {
        for f in &self.in_flight {
            f.fence.wait(None).map_err(vk)?;
        }
        Ok(())
    }

    /// Sets the coupling's parameter values (its table order) from the
    /// next window submitted on: steering a running network (the windows
    /// in flight keep the values they were submitted with).
    pub fn set_coupling(&mut self, values: &[f64]) -> Result<(), GpuError> {
        let n = self.n;
        if self.coupling_at + values.len() * n != self.floats_host.len() {
            return Err(GpuError::Unsupported(format!(
                "{} coupling parameter values given, the kernel has {}",
                values.len(),
                (self.floats_host.len() - self.coupling_at) / n.max(1)
            )));
        }
        // the copy below is not ordered after the windows in flight
        self.drain()?;
        for (k, &v) in values.iter().enumerate() {
            let at = self.coupling_at + k * n;
            self.floats_host[at..at + n].fill(v as f32);
        }
        let dev = &self.dev;
        let staging = Buffer::from_iter(
            dev.memory.clone(),
            BufferCreateInfo {
                usage: BufferUsage::TRANSFER_SRC,
                ..Default::default()
            },
            AllocationCreateInfo {
                memory_type_filter: MemoryTypeFilter::PREFER_HOST
                    | MemoryTypeFilter::HOST_SEQUENTIAL_WRITE,
                ..Default::default()
            },
            self.floats_host.iter().copied(),
        )
        .map_err(vk)?;
        copy_and_wait(dev, staging, self.floats.clone())?;
        Ok(())
    }

    /// Steps submitted (done once the windows in flight are): the next
    /// window starts after them.
    pub fn steps_done(&self) -> u64 {
        self.steps_done
    }

    /// Arithmetic of the state and right-hand side.
    pub fn precision(&self) -> Precision {
        self.precision
    }

    /// Coupling terms per region.
    pub fn n_terms(&self) -> usize {
        self.n_terms
    }

    /// The device's name.
    pub fn device(&self) -> &str {
        &self.dev.name
    }
}

impl Drop for GpuNetwork {
    /// The device may still run windows in flight: their buffers, command
    /// buffers and semaphores must outlive them.
    fn drop(&mut self) {
        if let Err(e) = self.drain() {
            tracing::warn!(error = %e, "Vulkan network dropped with windows in flight it could not wait for");
        }
    }
}
