//! The kernels and which model each one steps. Every model's kernel is
//! generated from its declaration (`brainstream_modeldecl::wgsl`) and
//! followed by `shaders/step.wgsl`: a built-in model's by `build.rs`
//! (SPIR-V in the binary, [`KERNELS`]), a user's at run time (naga, once
//! per model and precision per process). Nothing is written by hand per
//! model: adding a built-in model is its declaration.
//!
//! Each model has two kernels: the right-hand side in f64 (devices with
//! shaderFloat64, the default there) and in f32 (devices without it, or on
//! request). A model whose right-hand side f32 cannot resolve
//! ([`F32_LIMIT`]) is refused in f32.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

pub use brainstream_modeldecl::wgsl::Precision;
use brainstream_modeldecl::Program;
use brainstream_models::ModelInfo;

use crate::error::GpuError;

/// A built-in model's compiled kernels.
#[derive(Debug, Clone, Copy)]
pub struct BuiltinKernel {
    /// The model's name (tvb-library's class name).
    pub model: &'static str,
    /// SPIR-V, right-hand side in f64.
    pub f64: &'static [u8],
    /// SPIR-V, right-hand side in f32.
    pub f32: &'static [u8],
    /// [`brainstream_modeldecl::wgsl::f32_error`] at the default parameters.
    pub f32_error: f64,
}

include!(concat!(env!("OUT_DIR"), "/kernels.rs"));

/// The step kernel every model part is followed by.
pub const STEP_WGSL: &str = include_str!("../shaders/step.wgsl");

/// Largest [`brainstream_modeldecl::wgsl::f32_error`] with which a model's
/// f32 kernel is used: f32 rounding (~1e-7) amplified a thousandfold by
/// cancellation is still far below what the agreement tests allow; a
/// right-hand side computed by finite differences with a tiny step is off
/// by O(1) or more.
pub const F32_LIMIT: f64 = 1e-4;

/// A compiled kernel, ready for `vulkano::shader::ShaderModule`.
#[derive(Debug, Clone)]
pub struct Kernel {
    /// SPIR-V words.
    pub words: Arc<[u32]>,
    /// Arithmetic of the right-hand side.
    pub precision: Precision,
}

/// The names of the models with kernels built in (every built-in model).
pub fn builtin_models() -> impl Iterator<Item = &'static str> {
    KERNELS.iter().map(|k| k.model)
}

fn builtin(model: &str) -> Result<&'static BuiltinKernel, GpuError> {
    KERNELS.iter().find(|k| k.model == model).ok_or_else(|| {
        GpuError::NoShader(
            model.into(),
            builtin_models().collect::<Vec<_>>().join(", "),
        )
    })
}

/// The SPIR-V of built-in `model`'s kernel in `precision`.
pub fn shader_for(model: &str, precision: Precision) -> Result<&'static [u8], GpuError> {
    let k = builtin(model)?;
    Ok(match precision {
        Precision::F64 => k.f64,
        Precision::F32 => k.f32,
    })
}

/// Users' kernels compiled in this process, by program and precision.
type Cache = Mutex<HashMap<(usize, Precision), Arc<[u32]>>>;
static USER_KERNELS: std::sync::OnceLock<Cache> = std::sync::OnceLock::new();

/// The WGSL of `program`'s kernel in `precision` (model part and step).
pub fn user_wgsl(program: &Program, precision: Precision) -> Result<String, GpuError> {
    let model = brainstream_modeldecl::wgsl::model(program, precision).map_err(|cause| {
        GpuError::Kernel {
            model: program.name.clone(),
            cause,
        }
    })?;
    Ok(format!("{model}\n{STEP_WGSL}"))
}

fn user_kernel(program: &'static Program, precision: Precision) -> Result<Arc<[u32]>, GpuError> {
    let key = (program as *const Program as usize, precision);
    let cache = USER_KERNELS.get_or_init(Default::default);
    if let Some(w) = cache.lock().map_err(|_| poisoned())?.get(&key) {
        return Ok(w.clone());
    }
    let src = user_wgsl(program, precision)?;
    let t0 = std::time::Instant::now();
    let words: Arc<[u32]> = crate::spirv::compile(&src)
        .map_err(|cause| GpuError::Kernel {
            model: program.name.clone(),
            cause: format!(
                "the generated {} kernel does not compile: {cause}",
                precision.ty()
            ),
        })?
        .into();
    tracing::info!(
        model = %program.name,
        precision = precision.ty(),
        ms = t0.elapsed().as_secs_f64() * 1e3,
        "compiled a user's model's Vulkan kernel"
    );
    cache
        .lock()
        .map_err(|_| poisoned())?
        .insert(key, words.clone());
    Ok(words)
}

fn poisoned() -> GpuError {
    GpuError::Vulkan("the kernel cache was poisoned by a panic".into())
}

/// How much f32 arithmetic distorts `info`'s right-hand side at its
/// default parameters ([`brainstream_modeldecl::wgsl::f32_error`]).
pub fn f32_error(info: &ModelInfo) -> Result<f64, GpuError> {
    match info.user {
        Some(p) => Ok(brainstream_modeldecl::wgsl::f32_error(
            p,
            &p.default_values(),
        )),
        None => Ok(builtin(info.name)?.f32_error),
    }
}

/// The precision `info`'s kernel computes in on a device with
/// (`has_f64`) or without shaderFloat64: `want`, or by default f64 where
/// the device has it and f32 elsewhere. Refused: f64 on a device without
/// it, f32 for a model f32 cannot resolve.
pub fn precision_for(
    info: &ModelInfo,
    want: Option<Precision>,
    has_f64: bool,
    device: &str,
) -> Result<Precision, GpuError> {
    let p = want.unwrap_or(if has_f64 {
        Precision::F64
    } else {
        Precision::F32
    });
    match p {
        Precision::F64 if !has_f64 => Err(GpuError::Unsupported(format!(
            "{}'s kernel was asked to compute in f64 and {device} has no shaderFloat64",
            info.name
        ))),
        Precision::F32 => {
            let e = f32_error(info)?;
            if e > F32_LIMIT {
                Err(GpuError::Unsupported(format!(
                    "{}'s right-hand side cannot be computed in f32 (it differs from f64 by {e:.1e} of its scale at the default parameters: finite differences or cancellation f32 cannot resolve), and {device} {}",
                    info.name,
                    if has_f64 {
                        "was asked for f32"
                    } else {
                        "has no shaderFloat64 for f64"
                    }
                )))
            } else {
                Ok(p)
            }
        }
        Precision::F64 => Ok(p),
    }
}

/// `info`'s kernel in `precision`: a built-in model's from the binary, a
/// user's generated and compiled now (or earlier in this process).
pub fn kernel(info: &ModelInfo, precision: Precision) -> Result<Kernel, GpuError> {
    let words: Arc<[u32]> = match info.user {
        Some(p) => user_kernel(p, precision)?,
        None => {
            let bytes = shader_for(info.name, precision)?;
            bytes
                .chunks_exact(4)
                .map(|b| u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
                .collect::<Vec<_>>()
                .into()
        }
    };
    Ok(Kernel { words, precision })
}

/// Whether `info` has kernels, checked before a device is opened: a
/// built-in model always; a user's model's kernels are generated and
/// compiled here (in both precisions), so that one that cannot be is
/// refused before any work.
pub fn check_model(info: &ModelInfo) -> Result<(), GpuError> {
    match info.user {
        Some(p) => {
            user_kernel(p, Precision::F64)?;
            user_kernel(p, Precision::F32)?;
            Ok(())
        }
        None => builtin(info.name).map(|_| ()),
    }
}
