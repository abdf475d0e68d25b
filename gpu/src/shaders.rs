//! The kernels and which model and coupling each one steps. A kernel is a
//! model part generated from the model's declaration
//! (`brainstream_modeldecl::wgsl`), a coupling part generated from the
//! coupling's (`brainstream_modeldecl::wgsl_coupling`) and
//! `shaders/step.wgsl`: a built-in model's with Linear coupling by
//! `build.rs` (SPIR-V in the binary, [`KERNELS`]), any other model and
//! coupling — a user's model or coupling, another built-in coupling — at
//! run time (naga, once per model, coupling and precision per process).
//! Nothing is written by hand per model or coupling: adding a built-in one
//! is its declaration.
//!
//! Each model has two kernels: the right-hand side in f64 (devices with
//! shaderFloat64, the default there) and in f32 (devices without it, or on
//! request). A model whose right-hand side f32 cannot resolve
//! ([`F32_LIMIT`]) is refused in f32.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use brainstream_modeldecl::coupling::{CouplingProgram, Sum};
pub use brainstream_modeldecl::wgsl::Precision;
use brainstream_modeldecl::Program;
use brainstream_models::coupling::CouplingInfo;
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

/// The step kernel every model part is followed by (with the coupling's
/// sum rule between its markers: `sum_rule.rs`, [`kernel_wgsl`]).
pub const STEP_WGSL: &str = include_str!("../shaders/step.wgsl");
/// The Philox4x32-10 generator (`mulhilo`, `philox`) shared by the step and
/// the network kernel, appended after each: the noise's bits equal
/// `brainstream_models::philox`'s.
pub const PHILOX_WGSL: &str = include_str!("../shaders/philox.wgsl");

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

/// Kernels compiled in this process, by model program, coupling program
/// and precision.
type Cache = Mutex<HashMap<(usize, usize, Precision), Arc<[u32]>>>;
static RUNTIME_KERNELS: std::sync::OnceLock<Cache> = std::sync::OnceLock::new();

/// Built-in declarations compiled in this process (for kernels not in the
/// binary), by name.
static MODEL_PROGRAMS: std::sync::OnceLock<Mutex<HashMap<String, &'static Program>>> =
    std::sync::OnceLock::new();
static COUPLING_PROGRAMS: std::sync::OnceLock<Mutex<HashMap<String, &'static CouplingProgram>>> =
    std::sync::OnceLock::new();

/// `info`'s program: a user's as checked, a built-in's compiled from its
/// declaration once per process.
pub fn model_program(info: &ModelInfo) -> Result<&'static Program, GpuError> {
    if let Some(p) = info.user {
        return Ok(p);
    }
    let cache = MODEL_PROGRAMS.get_or_init(Default::default);
    let mut c = cache.lock().map_err(|_| poisoned())?;
    if let Some(p) = c.get(info.name) {
        return Ok(p);
    }
    let (p, _) =
        brainstream_modeldecl::compile(info.name, info.source).map_err(|e| GpuError::Kernel {
            model: info.name.into(),
            cause: e.to_string(),
        })?;
    let p: &'static Program = Box::leak(Box::new(p));
    c.insert(info.name.into(), p);
    Ok(p)
}

/// `info`'s program: a user's coupling as checked, a built-in's compiled
/// from its declaration once per process.
pub fn coupling_program(info: &CouplingInfo) -> Result<&'static CouplingProgram, GpuError> {
    if let Some(p) = info.user {
        return Ok(p);
    }
    let cache = COUPLING_PROGRAMS.get_or_init(Default::default);
    let mut c = cache.lock().map_err(|_| poisoned())?;
    if let Some(p) = c.get(info.name) {
        return Ok(p);
    }
    let (p, _) = brainstream_modeldecl::coupling::compile(info.name, info.source).map_err(|e| {
        GpuError::Kernel {
            model: format!("coupling {}", info.name),
            cause: e.to_string(),
        }
    })?;
    let p: &'static CouplingProgram = Box::leak(Box::new(p));
    c.insert(info.name.into(), p);
    Ok(p)
}

/// The WGSL of the kernel of model `program` with coupling `coupling` in
/// `precision` (model part, coupling part and step).
pub fn kernel_wgsl(
    program: &Program,
    coupling: &CouplingProgram,
    precision: Precision,
) -> Result<String, GpuError> {
    let model = brainstream_modeldecl::wgsl::model(program, precision).map_err(|cause| {
        GpuError::Kernel {
            model: program.name.clone(),
            cause,
        }
    })?;
    let cpl =
        brainstream_modeldecl::wgsl_coupling::coupling(coupling, program.cvar.len(), precision)
            .map_err(|cause| GpuError::Kernel {
                model: program.name.clone(),
                cause,
            })?;
    let step = crate::sum_rule::with_sum(
        STEP_WGSL,
        (coupling.sum == Sum::PreSigmoidal)
            .then(crate::sum_rule::step_presigmoidal)
            .as_deref(),
    )
    .map_err(|cause| GpuError::Kernel {
        model: program.name.clone(),
        cause: format!("shaders/step.wgsl: {cause}"),
    })?;
    Ok(format!("{model}\n{cpl}\n{step}\n{PHILOX_WGSL}"))
}

/// The WGSL of a user's model's kernel with Linear coupling in `precision`.
pub fn user_wgsl(program: &Program, precision: Precision) -> Result<String, GpuError> {
    let linear = brainstream_models::coupling::COUPLINGS
        .iter()
        .find(|c| c.name == "Linear")
        .ok_or_else(|| GpuError::Vulkan("no built-in Linear coupling".into()))?;
    kernel_wgsl(program, coupling_program(linear)?, precision)
}

fn runtime_kernel(
    program: &'static Program,
    coupling: &'static CouplingProgram,
    precision: Precision,
) -> Result<Arc<[u32]>, GpuError> {
    let key = (
        program as *const Program as usize,
        coupling as *const CouplingProgram as usize,
        precision,
    );
    let cache = RUNTIME_KERNELS.get_or_init(Default::default);
    if let Some(w) = cache.lock().map_err(|_| poisoned())?.get(&key) {
        return Ok(w.clone());
    }
    let src = kernel_wgsl(program, coupling, precision)?;
    let t0 = std::time::Instant::now();
    let words: Arc<[u32]> = crate::spirv::compile(&src)
        .map_err(|cause| GpuError::Kernel {
            model: program.name.clone(),
            cause: format!(
                "the generated {} kernel with coupling {} does not compile: {cause}",
                precision.ty(),
                coupling.name
            ),
        })?
        .into();
    tracing::info!(
        model = %program.name,
        coupling = %coupling.name,
        precision = precision.ty(),
        ms = t0.elapsed().as_secs_f64() * 1e3,
        "compiled a Vulkan kernel"
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

/// Whether `coupling` is the built-in Linear coupling, whose kernels are
/// in the binary.
fn builtin_linear(coupling: &CouplingInfo) -> bool {
    coupling.user.is_none() && coupling.name == "Linear"
}

/// The kernel of model `info` with `coupling` in `precision`: a built-in
/// model's with Linear coupling from the binary, any other generated and
/// compiled now (or earlier in this process).
pub fn kernel(
    info: &ModelInfo,
    coupling: &CouplingInfo,
    precision: Precision,
) -> Result<Kernel, GpuError> {
    let words: Arc<[u32]> = match (info.user, builtin_linear(coupling)) {
        (None, true) => {
            let bytes = shader_for(info.name, precision)?;
            bytes
                .chunks_exact(4)
                .map(|b| u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
                .collect::<Vec<_>>()
                .into()
        }
        _ => runtime_kernel(model_program(info)?, coupling_program(coupling)?, precision)?,
    };
    Ok(Kernel { words, precision })
}

/// Whether model `info` with `coupling` has kernels, checked before a
/// device is opened: a built-in model with Linear coupling always; any
/// other pair's kernels are generated and compiled here (in both
/// precisions), so that one that cannot be is refused before any work.
pub fn check_model(info: &ModelInfo, coupling: &CouplingInfo) -> Result<(), GpuError> {
    match (info.user, builtin_linear(coupling)) {
        (None, true) => builtin(info.name).map(|_| ()),
        _ => {
            let (m, c) = (model_program(info)?, coupling_program(coupling)?);
            runtime_kernel(m, c, Precision::F64)?;
            runtime_kernel(m, c, Precision::F32)?;
            Ok(())
        }
    }
}
