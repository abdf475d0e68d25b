//! The `backend` of the `mean_field` actor: the CPU engine
//! ([`MeanFieldSim`], TVB-exact) or a Vulkan device
//! ([`brainstream_gpu::GpuNetwork`]: a whole window of steps per
//! submission, every step's state read back once per window), behind one
//! [`Engine`] with the CPU engine's calls.
//!
//! * `cpu`: the CPU engine.
//! * `vulkan`: the device, or an error naming what it cannot do (no
//!   device; tvb-library's numpy noise stream, which is CPU-only — the
//!   Philox stream is drawn the same on both; coloured noise; f64 on a
//!   device without shaderFloat64; f32 for a model f32 cannot resolve),
//!   never a silent fallback. Every coupling runs there, PreSigmoidal's
//!   own sum included.
//! * `auto`: a GPU (not a CPU implementation such as lavapipe, slower than
//!   the CPU engine) where there is one and it runs the configuration, else
//!   the CPU engine, the choice and its reason in the log.
//!
//! On the device the state and right-hand side are f64 where it has
//! shaderFloat64 (`precision = "f32"` asks for f32), the history and the
//! coupling sums f32 as on the CPU (PreSigmoidal's sums in the state's
//! type, float64 on the CPU): the raw state agrees with the CPU
//! engine's to ~1e-7 of each variable's scale in f64 (the order of the f32
//! coupling sums differs), more for chaotic or stiff models
//! (`gpu/tests/parts/network.rs` states each).

use std::sync::{Arc, OnceLock};

use brainstream_gpu::network::{GpuNetwork, NetworkSpec, WindowTicket};
use brainstream_gpu::{GpuDevice, GpuError, Precision};
use brainstream_models::{
    MeanFieldConfig, MeanFieldSim, ModelError, ModelInfo, NoiseStream, ProxyInput, StimulusInput,
};
use brainstream_runtime::{ActorError, BuildError};

/// Where the mean field steps.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Cpu,
    Vulkan,
    Auto,
}

impl Backend {
    /// `cpu`, `vulkan` or `auto`.
    pub fn parse(s: &str) -> Result<Self, String> {
        match s {
            "cpu" => Ok(Self::Cpu),
            "vulkan" => Ok(Self::Vulkan),
            "auto" => Ok(Self::Auto),
            o => Err(format!("unknown backend `{o}`: cpu, vulkan or auto")),
        }
    }
}

/// `precision`: `auto` (f64 where the device has shaderFloat64), `f64`
/// or `f32`.
pub fn parse_precision(s: &str) -> Result<Option<Precision>, String> {
    match s {
        "auto" => Ok(None),
        "f64" => Ok(Some(Precision::F64)),
        "f32" => Ok(Some(Precision::F32)),
        o => Err(format!("unknown precision `{o}`: auto, f64 or f32")),
    }
}

/// What the Vulkan kernel cannot run of `cfg`, found without a device.
pub fn vulkan_unsupported(cfg: &MeanFieldConfig, precision: Option<Precision>) -> Option<String> {
    if let Some(nz) = &cfg.noise {
        if nz.stream == NoiseStream::Numpy {
            return Some(
                "noise_stream = \"numpy\" (tvb-library's own stream) is CPU-only; use noise_stream = \"philox\", which the Vulkan kernel and the CPU engine draw alike".into(),
            );
        }
    }
    if let Err(e) = brainstream_gpu::shaders::coupling_program(cfg.coupling.info) {
        return Some(e.to_string());
    }
    if precision == Some(Precision::F32) {
        match brainstream_gpu::shaders::f32_error(cfg.model) {
            Ok(e) if e > brainstream_gpu::shaders::F32_LIMIT => {
                return Some(format!(
                    "{}'s right-hand side cannot be computed in f32 (it differs from f64 by {e:.1e} of its scale); use precision = \"f64\"",
                    cfg.model.name
                ))
            }
            Ok(_) => {}
            Err(e) => return Some(e.to_string()),
        }
    }
    None
}

/// Checks a `backend` at validation: `vulkan` with a configuration the
/// kernel cannot run is an error at `backend`.
pub fn check_backend(
    cfg: &MeanFieldConfig,
    backend: Backend,
    precision: Option<Precision>,
) -> Result<(), BuildError> {
    if backend == Backend::Vulkan {
        if let Some(why) = vulkan_unsupported(cfg, precision) {
            return Err(
                BuildError::at("backend", format!("backend = \"vulkan\": {why}"))
                    .hint("backend = \"auto\" runs such a configuration on the CPU"),
            );
        }
    }
    Ok(())
}

/// Whether `backend = "auto"` takes the device for `cfg`: a GPU (not a
/// CPU implementation such as lavapipe) that runs the configuration.
pub fn auto_takes_a_gpu(cfg: &MeanFieldConfig, precision: Option<Precision>) -> bool {
    device().is_ok_and(|d| !d.is_cpu) && vulkan_unsupported(cfg, precision).is_none()
}

/// The process's Vulkan device, opened once (every mean field shares it).
fn device() -> Result<Arc<GpuDevice>, String> {
    static DEV: OnceLock<Result<Arc<GpuDevice>, String>> = OnceLock::new();
    DEV.get_or_init(|| GpuDevice::open().map(Arc::new).map_err(|e| e.to_string()))
        .clone()
}

/// A network on the device with the CPU engine's interface.
pub struct VulkanSim {
    net: GpuNetwork,
    model: &'static ModelInfo,
    labels: Vec<String>,
    proxy_nodes: Vec<usize>,
    every: bool,
    n: usize,
    dt: f64,
    cpl: Vec<f64>,
}

impl VulkanSim {
    /// As [`MeanFieldSim::set_coupling_param`]: coupling parameter `name`
    /// of `coupling` set to `value` on the device from the next window on
    /// (steering); `coupling` updated; the value it had.
    pub fn set_coupling_param(
        &mut self,
        coupling: &mut brainstream_models::Coupling,
        name: &str,
        value: f64,
    ) -> Result<f64, String> {
        let (c, old) = coupling
            .with_param(name, value)
            .map_err(|e| e.to_string())?;
        self.net
            .set_coupling(c.params.values())
            .map_err(|e| e.to_string())?;
        *coupling = c;
        Ok(old)
    }

    fn new(cfg: &MeanFieldConfig, precision: Option<Precision>) -> Result<Self, GpuError> {
        if let Some(why) = vulkan_unsupported(cfg, precision) {
            return Err(GpuError::Unsupported(why));
        }
        let dev = device().map_err(GpuError::NoDevice)?;
        let spec = NetworkSpec::from_config(cfg, precision)?;
        let net = GpuNetwork::new(dev, &spec)?;
        Ok(Self {
            net,
            model: cfg.model,
            labels: cfg.connectivity.labels.clone(),
            proxy_nodes: cfg.proxy_nodes.clone(),
            every: false,
            n: cfg.connectivity.n,
            dt: cfg.dt_ms,
            cpl: vec![],
        })
    }

    fn run(
        &mut self,
        nsteps: usize,
        out: &mut [f64],
        proxy: Option<ProxyInput<'_>>,
        coupling_out: Option<&mut [f64]>,
        stimulus: Option<StimulusInput<'_>>,
    ) -> Result<(), ModelError> {
        if self.net.in_flight() > 0 {
            return Err(ModelError::Config(
                "Vulkan: a window run while others are in flight".into(),
            ));
        }
        let t = self.submit(nsteps, proxy, coupling_out.is_some(), stimulus)?;
        self.collect(t, out, coupling_out)
    }

    /// Submits a window of `nsteps` steps to the device without waiting
    /// for it (its proxy states and stimulus copied now); its results are
    /// [`Self::collect`]'s, windows collected in the order submitted.
    pub fn submit(
        &mut self,
        nsteps: usize,
        proxy: Option<ProxyInput<'_>>,
        want_coupling: bool,
        stimulus: Option<StimulusInput<'_>>,
    ) -> Result<WindowTicket, ModelError> {
        self.net
            .submit_window(nsteps, proxy, stimulus.map(|s| s.values), want_coupling)
            .map_err(|e| ModelError::Config(format!("Vulkan: {e}")))
    }

    /// Waits for window `t` and reads it back as [`MeanFieldSim::run_stimulated`]
    /// writes a window: `out` the state after each step, `coupling_out`
    /// the coupling of every region or of the proxy regions; the first
    /// non-finite state is the CPU engine's divergence error.
    pub fn collect(
        &mut self,
        t: WindowTicket,
        out: &mut [f64],
        coupling_out: Option<&mut [f64]>,
    ) -> Result<(), ModelError> {
        let (n, nt, nsteps) = (self.n, self.net.n_terms(), t.steps());
        let before = t.first_step();
        let want_cpl = coupling_out.is_some();
        self.cpl
            .resize(if want_cpl { nsteps * n * nt } else { 0 }, 0.0);
        self.net
            .collect_window(t, out, want_cpl.then_some(&mut self.cpl[..]))
            .map_err(|e| ModelError::Config(format!("Vulkan: {e}")))?;
        if let Some(co) = coupling_out {
            if self.every {
                co.copy_from_slice(&self.cpl);
            } else {
                let np = self.proxy_nodes.len();
                for s in 0..nsteps {
                    for (p, &i) in self.proxy_nodes.iter().enumerate() {
                        for t in 0..nt {
                            co[(s * np + p) * nt + t] = self.cpl[(s * n + i) * nt + t];
                        }
                    }
                }
            }
        }
        // the CPU engine stops at the first non-finite state: the same error
        let nv = self.model.nvar();
        for (s, x) in out.chunks_exact(nv * n).enumerate() {
            // lowest region, then variable, as the CPU engine reports
            let bad = (0..n)
                .flat_map(|i| (0..nv).map(move |k| (i, k)))
                .find(|&(i, k)| !x[k * n + i].is_finite());
            if let Some((i, k)) = bad {
                let step = before + s as u64 + 1;
                return Err(ModelError::Diverged {
                    step,
                    time_ms: step as f64 * self.dt,
                    region: i,
                    label: self.labels.get(i).cloned().unwrap_or_default(),
                    variable: self.model.state_variables[k],
                    value: x[k * n + i],
                });
            }
        }
        Ok(())
    }
}

/// What the `mean_field` actor asks of its engine: the CPU engine's calls,
/// which the device's network answers alike.
pub trait MeanFieldEngine {
    /// As [`MeanFieldSim::run_stimulated`].
    fn run_stimulated(
        &mut self,
        nsteps: usize,
        out: &mut [f64],
        proxy: Option<ProxyInput<'_>>,
        coupling_out: Option<&mut [f64]>,
        stimulus: Option<StimulusInput<'_>>,
    ) -> Result<(), ModelError>;
    /// As [`MeanFieldSim::run_cosim`].
    fn run_cosim(
        &mut self,
        nsteps: usize,
        out: &mut [f64],
        proxy: Option<ProxyInput<'_>>,
        coupling_out: Option<&mut [f64]>,
    ) -> Result<(), ModelError> {
        self.run_stimulated(nsteps, out, proxy, coupling_out, None)
    }
    fn steps_done(&self) -> u64;
    fn model(&self) -> &'static ModelInfo;
    fn n_regions(&self) -> usize;
    fn proxy_nodes(&self) -> &[usize];
    fn n_terms(&self) -> usize;
    /// The regions `coupling_out` holds: every region or the proxy regions.
    fn coupling_regions(&self) -> usize;
}

impl MeanFieldEngine for MeanFieldSim {
    fn run_stimulated(
        &mut self,
        nsteps: usize,
        out: &mut [f64],
        proxy: Option<ProxyInput<'_>>,
        coupling_out: Option<&mut [f64]>,
        stimulus: Option<StimulusInput<'_>>,
    ) -> Result<(), ModelError> {
        MeanFieldSim::run_stimulated(self, nsteps, out, proxy, coupling_out, stimulus)
    }
    fn steps_done(&self) -> u64 {
        MeanFieldSim::steps_done(self)
    }
    fn model(&self) -> &'static ModelInfo {
        MeanFieldSim::model(self)
    }
    fn n_regions(&self) -> usize {
        MeanFieldSim::n_regions(self)
    }
    fn proxy_nodes(&self) -> &[usize] {
        MeanFieldSim::proxy_nodes(self)
    }
    fn n_terms(&self) -> usize {
        MeanFieldSim::n_terms(self)
    }
    fn coupling_regions(&self) -> usize {
        MeanFieldSim::coupling_regions(self)
    }
}

impl MeanFieldEngine for VulkanSim {
    fn run_stimulated(
        &mut self,
        nsteps: usize,
        out: &mut [f64],
        proxy: Option<ProxyInput<'_>>,
        coupling_out: Option<&mut [f64]>,
        stimulus: Option<StimulusInput<'_>>,
    ) -> Result<(), ModelError> {
        self.run(nsteps, out, proxy, coupling_out, stimulus)
    }
    fn steps_done(&self) -> u64 {
        self.net.steps_done()
    }
    fn model(&self) -> &'static ModelInfo {
        self.model
    }
    fn n_regions(&self) -> usize {
        self.n
    }
    fn proxy_nodes(&self) -> &[usize] {
        &self.proxy_nodes
    }
    fn n_terms(&self) -> usize {
        self.net.n_terms()
    }
    fn coupling_regions(&self) -> usize {
        if self.every {
            self.n
        } else {
            self.proxy_nodes.len()
        }
    }
}

impl VulkanSim {
    /// The device's network where `backend` asks for it: `vulkan` this or
    /// an error, `auto` this where the device runs the configuration (else
    /// `None`, the CPU engine, said in the log with the reason), `cpu`
    /// `None`. `every`: the coupling of every region goes out (as
    /// [`MeanFieldSim::export_coupling_of_every_region`]).
    pub fn start(
        name: &str,
        cfg: &MeanFieldConfig,
        backend: Backend,
        precision: Option<Precision>,
        every: bool,
    ) -> Result<Option<Box<Self>>, ActorError> {
        let v = match backend {
            Backend::Cpu => return Ok(None),
            Backend::Vulkan => Self::new(cfg, precision)
                .map_err(|e| ActorError::new(format!("backend = \"vulkan\": {e}")))?,
            Backend::Auto => match device().map(|d| d.is_cpu) {
                // lavapipe and the like: for correctness, slower than the CPU engine
                Ok(true) => {
                    tracing::info!(
                        actor = name,
                        "mean field on the CPU (backend = \"auto\"): the only Vulkan device is a CPU implementation, slower than the CPU engine; backend = \"vulkan\" uses it anyway"
                    );
                    return Ok(None);
                }
                Err(e) => {
                    tracing::info!(actor = name, reason = %e, "mean field on the CPU (backend = \"auto\")");
                    return Ok(None);
                }
                Ok(false) => match Self::new(cfg, precision) {
                    Ok(v) => v,
                    Err(e) => {
                        tracing::info!(actor = name, reason = %e, "mean field on the CPU (backend = \"auto\")");
                        return Ok(None);
                    }
                },
            },
        };
        tracing::info!(
            actor = name,
            model = cfg.model.name,
            regions = v.n,
            device = v.net.device(),
            precision = v.net.precision().ty(),
            "mean field on Vulkan"
        );
        Ok(Some(Box::new(Self { every, ..v })))
    }
}
