//! Compiles the compute shaders to SPIR-V with naga at build time (no
//! shaderc, no Vulkan SDK): for each model in `shaders/models/`, the model
//! file followed by `shaders/step.wgsl` becomes `$OUT_DIR/<model>.spv`.

use std::path::Path;

fn main() {
    let dir = Path::new("shaders");
    let step = std::fs::read_to_string(dir.join("step.wgsl")).expect("shaders/step.wgsl");
    println!("cargo:rerun-if-changed=shaders");
    let out = std::env::var("OUT_DIR").expect("OUT_DIR");
    let mut models: Vec<_> = std::fs::read_dir(dir.join("models"))
        .expect("shaders/models")
        .map(|e| e.expect("dir entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == "wgsl"))
        .collect();
    models.sort();
    let mut list = String::from("/// (model file stem, SPIR-V bytes, needs shaderFloat64) of every compiled shader.\npub const SHADERS: &[(&str, &[u8], bool)] = &[\n");
    for m in &models {
        let stem = m.file_stem().and_then(|s| s.to_str()).expect("utf-8 name");
        let model_src = std::fs::read_to_string(m).expect("model shader");
        let uses_f64 = model_src.contains("const USES_F64: bool = true;");
        let src = format!("{model_src}\n{step}");
        let module = naga::front::wgsl::parse_str(&src)
            .unwrap_or_else(|e| panic!("{}: {}", m.display(), e.emit_to_string(&src)));
        let info = naga::valid::Validator::new(
            naga::valid::ValidationFlags::all(),
            naga::valid::Capabilities::PUSH_CONSTANT | naga::valid::Capabilities::FLOAT64,
        )
        .validate(&module)
        .unwrap_or_else(|e| panic!("{}: {}", m.display(), e.emit_to_string(&src)));
        let options = naga::back::spv::Options {
            lang_version: (1, 3),
            ..Default::default()
        };
        let pipeline = naga::back::spv::PipelineOptions {
            shader_stage: naga::ShaderStage::Compute,
            entry_point: "main".into(),
        };
        let words = naga::back::spv::write_vec(&module, &info, &options, Some(&pipeline))
            .unwrap_or_else(|e| panic!("{}: SPIR-V: {e}", m.display()));
        let bytes: Vec<u8> = words.iter().flat_map(|w| w.to_le_bytes()).collect();
        let path = Path::new(&out).join(format!("{stem}.spv"));
        std::fs::write(&path, bytes).expect("write SPIR-V");
        list.push_str(&format!(
            "    ({stem:?}, include_bytes!(concat!(env!(\"OUT_DIR\"), \"/{stem}.spv\")), {uses_f64}),\n"
        ));
    }
    list.push_str("];\n");
    std::fs::write(Path::new(&out).join("shaders.rs"), list).expect("write shaders.rs");
}
