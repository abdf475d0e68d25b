//! The compiled shaders (SPIR-V made by build.rs with naga) and which model
//! each one steps. Adding a GPU model: write `shaders/models/<stem>.wgsl`
//! (its `// params:` line lists the model's parameters in table order; a
//! test checks it) and add one line to [`MODEL_SHADERS`].

use crate::error::GpuError;

include!(concat!(env!("OUT_DIR"), "/shaders.rs"));

/// tvb-library model name → shader file stem.
pub const MODEL_SHADERS: &[(&str, &str)] = &[
    ("Generic2dOscillator", "generic_2d_oscillator"),
    ("ReducedWongWangExcInh", "reduced_wong_wang_exc_inh"),
    ("MontbrioPazoRoxin", "montbrio_pazo_roxin"),
    (
        "ZerlautAdaptationSecondOrder",
        "zerlaut_adaptation_second_order",
    ),
];

/// The SPIR-V of `model`'s step, and whether it computes in f64.
pub fn shader_for(model: &str) -> Result<(&'static [u8], bool), GpuError> {
    let known = || {
        MODEL_SHADERS
            .iter()
            .map(|m| m.0)
            .collect::<Vec<_>>()
            .join(", ")
    };
    let stem = MODEL_SHADERS
        .iter()
        .find(|m| m.0 == model)
        .map(|m| m.1)
        .ok_or_else(|| GpuError::NoShader(model.into(), known()))?;
    SHADERS
        .iter()
        .find(|s| s.0 == stem)
        .map(|s| (s.1, s.2))
        .ok_or_else(|| GpuError::NoShader(model.into(), known()))
}
