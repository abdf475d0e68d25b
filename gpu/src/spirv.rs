//! WGSL → SPIR-V 1.3 with naga, the same way for the built-in models'
//! kernels (`build.rs`, which includes this file) and users' models (at
//! run time): validated with push constants and f64 allowed (a kernel that
//! uses no f64 declares no Float64 capability, so it runs on a device
//! without shaderFloat64).

/// The SPIR-V words of the compute entry point `main` of `src`, or naga's
/// message (with the lines of `src` it points at).
pub fn compile(src: &str) -> Result<Vec<u32>, String> {
    let module = naga::front::wgsl::parse_str(src).map_err(|e| e.emit_to_string(src))?;
    let info = naga::valid::Validator::new(
        naga::valid::ValidationFlags::all(),
        naga::valid::Capabilities::PUSH_CONSTANT | naga::valid::Capabilities::FLOAT64,
    )
    .validate(&module)
    .map_err(|e| e.emit_to_string(src))?;
    let options = naga::back::spv::Options {
        lang_version: (1, 3),
        ..Default::default()
    };
    let pipeline = naga::back::spv::PipelineOptions {
        shader_stage: naga::ShaderStage::Compute,
        entry_point: "main".into(),
    };
    naga::back::spv::write_vec(&module, &info, &options, Some(&pipeline))
        .map_err(|e| format!("SPIR-V: {e}"))
}
