//! Sweeps on Vulkan with couplings other than Linear: the kernel's
//! coupling part is generated from the coupling's declaration at run time
//! (modeldecl/src/wgsl_coupling.rs), a user's declaration included.

use super::*;

/// A user's coupling (`coupling = "my_sigmoid.toml"`: tvb-library's
/// Sigmoidal declaration under another name) swept over its `a` and the
/// model's `I` on Vulkan and on the CPU: the tables agree within f32
/// tolerance (1e-5 of each column's largest value), noise included, and the
/// coupling matters (its strengths give different rates).
#[test]
fn a_users_coupling_sweeps_on_vulkan_as_on_the_cpu() {
    if let Err(e) = brainstream::gpu::GpuDevice::open() {
        if std::env::var("BRAINSTREAM_REQUIRE_VULKAN").is_ok() {
            panic!("{e}");
        }
        eprintln!("no Vulkan device, not checked here: {e}");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let sigmoidal =
        std::fs::read_to_string(root().join("models/decl/couplings/Sigmoidal.toml")).unwrap();
    let mine = sigmoidal.replace("name = \"Sigmoidal\"", "name = \"MySigmoid\"");
    assert_ne!(mine, sigmoidal);
    write(dir.path(), "my_sigmoid.toml", &mine);
    let graph = std::fs::read_to_string(root().join("graphs/tvb_g2d76.toml"))
        .unwrap()
        .replace(
            "coupling = \"Linear\"\ncoupling_params = { a = 0.0042, b = 0.0 }",
            "coupling = \"my_sigmoid.toml\"\ncoupling_params = { sigma = 2.0 }",
        )
        .replace(
            "integrator = \"HeunDeterministic\"",
            "integrator = \"HeunStochastic\"\nnsig = [1e-3, 1e-3]\nnoise_seed = 5",
        );
    assert!(graph.contains("my_sigmoid.toml") && graph.contains("HeunStochastic"));
    write(dir.path(), "g.toml", &graph);
    let file = write(
        dir.path(),
        "s.toml",
        r#"
graph = "g.toml"
duration_ms = 300.0
transient_ms = 100.0
[[axes]]
param = "coupling_params.a"
values = [0.5, 2.0]
[[axes]]
param = "model_params.I"
values = [0.0, 0.5]
[analysis]
rates = ["V", "W"]
fcd = false
"#,
    );
    let plan = Plan::load(&file, &brainstream::default_registry()).unwrap();
    let [(shape, cpu), (_, vk)] = cpu_and_vulkan_tables(&plan, dir.path());
    let cols = plan.columns();
    let v_mean = cols.iter().position(|c| c == "V_mean").expect("V_mean");
    // rows 0 and 2 (I = 0): a = 0.5 and 2.0 on the same model
    let (r0, r2) = (cpu[v_mean], cpu[2 * shape[1] + v_mean]);
    assert!(
        (r0 - r2).abs() > 1e-3 * r0.abs().max(r2.abs()),
        "the coupling's strength changes nothing: {r0} vs {r2}"
    );
    columns_agree(&cols, &shape, &cpu, &vk, 1e-5);
}

/// A PreSigmoidal sweep on Vulkan is refused before any work, naming the
/// coupling.
#[test]
fn a_presigmoidal_sweep_is_refused_on_vulkan() {
    let dir = tempfile::tempdir().unwrap();
    let graph = std::fs::read_to_string(root().join("graphs/tvb_g2d76.toml"))
        .unwrap()
        .replace("model = \"Generic2dOscillator\"", "model = \"Hopfield\"")
        .replace(
            "coupling = \"Linear\"\ncoupling_params = { a = 0.0042, b = 0.0 }",
            "coupling = \"PreSigmoidal\"\ncoupling_params = { dynamic = 0.0 }",
        )
        .replace("variables = [\"V\"]", "variables = [\"x\"]");
    assert!(graph.contains("PreSigmoidal"));
    write(dir.path(), "g.toml", &graph);
    let file = write(
        dir.path(),
        "s.toml",
        "graph = \"g.toml\"\nduration_ms = 50.0\ntransient_ms = 0.0\n[[axes]]\nparam = \"coupling_params.H\"\nvalues = [0.5, 1.0]\n[analysis]\nrates = [\"x\"]\nfcd = false\nspectrum = false\n",
    );
    let plan = Plan::load(&file, &brainstream::default_registry()).unwrap();
    let e = run_sweep(
        &plan,
        &SweepOptions {
            out_dir: dir.path().join("out"),
            threads: 1,
            backend: Backend::Vulkan,
            shard: None,
        },
        |_| {},
    )
    .unwrap_err()
    .to_string();
    assert!(e.contains("PreSigmoidal") && e.contains("cpu"), "{e}");
    assert!(!dir.path().join("out/sweep.h5").exists());
}
