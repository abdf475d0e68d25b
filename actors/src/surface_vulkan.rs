//! The `backend` of the `surface` kind: the CPU stepper
//! ([`SurfaceSim`], tvb-library-exact) or a Vulkan device
//! ([`GpuSurface`]: a window of steps per submission, the state kept on
//! the device, what the kind emits read back once per window), with the
//! `mean_field` kind's semantics ([`Backend`]):
//!
//! * `cpu`: the CPU stepper.
//! * `vulkan`: the device, or an error naming what it cannot do (no
//!   device; buffers over the device's limits), never a silent fallback. Everything the CPU stepper runs runs there
//!   (Generic2dOscillator, Euler and Heun, the four sparse couplings, the
//!   local connectivity, the `stimulus` parameter) but a stimulus into the
//!   `stimulus` input, refused naming it.
//! * `auto`: a GPU (not a CPU implementation such as lavapipe, slower than
//!   the CPU stepper) where there is one and it runs the configuration,
//!   else the CPU stepper, the choice and its reason in the log.
//!
//! On the device the state and right-hand side are f64 where it has
//! shaderFloat64 (f32 elsewhere), with the CPU stepper's operations in its
//! order (`tests/parts/surface_vulkan.rs` states the agreement).

use std::sync::{Arc, OnceLock};

use brainstream_gpu::surface::surface_unsupported;
use brainstream_gpu::{GpuDevice, GpuError, GpuSurface};
use brainstream_models::surface::SurfaceConfig;
use brainstream_models::ModelError;
use brainstream_runtime::{ActorError, BuildError};

pub use crate::mean_field_vulkan::Backend;

/// Checks a `backend` at validation: `vulkan` with a configuration the
/// kernel cannot run is an error at `backend`.
pub fn check_backend(cfg: &SurfaceConfig, backend: Backend) -> Result<(), BuildError> {
    if backend == Backend::Vulkan {
        if let Some(why) = surface_unsupported(cfg) {
            return Err(
                BuildError::at("backend", format!("backend = \"vulkan\": {why}"))
                    .hint("backend = \"auto\" runs such a configuration on the CPU"),
            );
        }
    }
    Ok(())
}

/// The process's Vulkan device for surfaces, opened once.
fn device() -> Result<Arc<GpuDevice>, String> {
    static DEV: OnceLock<Result<Arc<GpuDevice>, String>> = OnceLock::new();
    DEV.get_or_init(|| GpuDevice::open().map(Arc::new).map_err(|e| e.to_string()))
        .clone()
}

fn open(cfg: &SurfaceConfig, voi: &[usize], stride: usize) -> Result<GpuSurface, GpuError> {
    if let Some(why) = surface_unsupported(cfg) {
        return Err(GpuError::Unsupported(why));
    }
    let dev = device().map_err(GpuError::NoDevice)?;
    GpuSurface::new(dev, cfg, voi, stride, None)
}

/// The device's surface where `backend` asks for it: `vulkan` this or an
/// error, `auto` this where there is a GPU that runs the configuration
/// (else `None`, the CPU stepper, said in the log with the reason), `cpu`
/// `None`. Each step sends back variables `voi` of every `stride`-th
/// vertex and every variable averaged over each region.
pub fn start(
    name: &str,
    cfg: &SurfaceConfig,
    backend: Backend,
    voi: &[usize],
    stride: usize,
) -> Result<Option<Box<GpuSurface>>, ActorError> {
    let g = match backend {
        Backend::Cpu => return Ok(None),
        Backend::Vulkan => open(cfg, voi, stride)
            .map_err(|e| ActorError::new(format!("backend = \"vulkan\": {e}")))?,
        Backend::Auto => match device().map(|d| d.is_cpu) {
            Ok(true) => {
                tracing::info!(
                    actor = name,
                    "surface on the CPU (backend = \"auto\"): the only Vulkan device is a CPU implementation, slower than the CPU stepper; backend = \"vulkan\" uses it anyway"
                );
                return Ok(None);
            }
            Err(e) => {
                tracing::info!(actor = name, reason = %e, "surface on the CPU (backend = \"auto\")");
                return Ok(None);
            }
            Ok(false) => match open(cfg, voi, stride) {
                Ok(g) => g,
                Err(e) => {
                    tracing::info!(actor = name, reason = %e, "surface on the CPU (backend = \"auto\")");
                    return Ok(None);
                }
            },
        },
    };
    tracing::info!(
        actor = name,
        model = cfg.model.name,
        vertices = cfg.region_mapping.len(),
        device = g.device(),
        precision = g.precision().ty(),
        "surface on Vulkan"
    );
    Ok(Some(Box::new(g)))
}

/// Steps `g` one window of `steps` steps: `vertices` (`steps × nq ×
/// nsel`, the kind's `state`) and `regions` (`steps × nq × R`, its
/// `regions`: the averages of variables `voi`); `drive` (`steps × V`) a
/// stimulus from outside (the `stimulus` input). A non-finite state stops
/// the run as on the CPU: the first step and region whose average is not
/// finite, the vertex the first non-finite one of that region at the
/// window's end.
pub fn run_window(
    g: &mut GpuSurface,
    cfg: &SurfaceConfig,
    voi: &[usize],
    steps: usize,
    vertices: &mut [f64],
    regions: &mut [f64],
    drive: Option<&[f64]>,
) -> Result<(), ModelError> {
    let (nr, nvar, nv) = (
        cfg.connectivity.n,
        cfg.model.nvar(),
        cfg.region_mapping.len(),
    );
    let vk = |e: GpuError| ModelError::Config(format!("Vulkan: {e}"));
    let before = g.steps_done();
    let mut all = vec![0.0; steps * nvar * nr];
    g.run_window(steps, vertices, &mut all, drive).map_err(vk)?;
    for s in 0..steps {
        let avg = &all[s * nvar * nr..(s + 1) * nvar * nr];
        let bad = (0..nvar)
            .flat_map(|k| (0..nr).map(move |r| (k, r)))
            .find(|&(k, r)| !avg[k * nr + r].is_finite());
        if let Some((k, r)) = bad {
            let x = g.state().map_err(vk)?;
            let v = (0..nv)
                .find(|&v| cfg.region_mapping[v] == r && !x[k * nv + v].is_finite())
                .map_or_else(|| "?".to_string(), |v| v.to_string());
            let step = before + s as u64 + 1;
            return Err(ModelError::Diverged {
                step,
                time_ms: step as f64 * cfg.dt_ms,
                region: r,
                label: format!("vertex {v}"),
                variable: cfg.model.state_variables[k],
                value: avg[k * nr + r],
            });
        }
        for (q, &k) in voi.iter().enumerate() {
            regions[(s * voi.len() + q) * nr..(s * voi.len() + q + 1) * nr]
                .copy_from_slice(&avg[k * nr..(k + 1) * nr]);
        }
    }
    Ok(())
}
