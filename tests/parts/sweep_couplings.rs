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
    if common::vulkan_device("the Vulkan sweep").is_none() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let sigmoidal =
        std::fs::read_to_string(root().join("models/decl/couplings/Sigmoidal.toml")).unwrap();
    let mine = sigmoidal.replace("name = \"Sigmoidal\"", "name = \"MySigmoid\"");
    assert_ne!(mine, sigmoidal);
    write(dir.path(), "my_sigmoid.toml", &mine);
    let graph = stochastic_g2d76().replace(
        "coupling = \"Linear\"\ncoupling_params = { a = 0.0042, b = 0.0 }",
        "coupling = \"my_sigmoid.toml\"\ncoupling_params = { sigma = 2.0 }",
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

/// tvb-library's PreSigmoidal (its own sum: the weights transposed, each
/// region's own delayed state; in the dynamic form the direct output as a
/// second term) swept on Vulkan and on the CPU under HopfieldDynamic: its
/// global factor `H` and its switch `dynamic` (the static form with a
/// threshold θ = 0.3, and the dynamic form, in the same batch), additive
/// noise. The tables agree within f32 tolerance (1e-5 of each column's
/// largest value; of 1 for the correlations, of the largest band power
/// for the band powers), and the coupling matters (its factors give
/// different rates).
#[test]
fn a_presigmoidal_sweep_on_vulkan_agrees_with_the_cpu() {
    if common::vulkan_device("the Vulkan sweep").is_none() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let graph = stochastic_g2d76()
        .replace(
            "model = \"Generic2dOscillator\"",
            "model = \"HopfieldDynamic\"",
        )
        .replace(
            "coupling = \"Linear\"\ncoupling_params = { a = 0.0042, b = 0.0 }",
            "coupling = \"PreSigmoidal\"\ncoupling_params = { theta = 0.3 }",
        )
        .replace("variables = [\"V\"]", "variables = [\"x\"]");
    assert!(graph.contains("PreSigmoidal") && graph.contains("HeunStochastic"));
    write(dir.path(), "g.toml", &graph);
    let file = write(
        dir.path(),
        "s.toml",
        r#"
graph = "g.toml"
duration_ms = 200.0
transient_ms = 50.0
[[axes]]
param = "coupling_params.H"
values = [0.25, 0.5]
[[axes]]
param = "coupling_params.dynamic"
values = [0.0, 1.0]
[analysis]
rates = ["x", "theta"]
fcd = false
"#,
    );
    let plan = Plan::load(&file, &brainstream::default_registry()).unwrap();
    let [(shape, cpu), (_, vk)] = cpu_and_vulkan_tables(&plan, dir.path());
    let cols = plan.columns();
    let x_mean = cols.iter().position(|c| c == "x_mean").expect("x_mean");
    // rows r and r + 2: the same form with H = 0.25 and 0.5
    for r in [0, 1] {
        let (a, b) = (cpu[r * shape[1] + x_mean], cpu[(r + 2) * shape[1] + x_mean]);
        assert!(
            (a - b).abs() > 1e-3 * a.abs().max(b.abs()),
            "PreSigmoidal's H changes nothing: {a} vs {b}"
        );
    }
    // every column within 1e-5 of its largest value, but the correlations
    // (fc_*, in [−1, 1]; the FC mean, 0.015 here, agrees to 3.4e-7) within
    // 1e-5 of their bound 1, and the band powers within 1e-5 of the largest
    // (power_total): Hopfield relaxes, its spectrum is the noise's, 1.7e-3
    // in all, and a band's error (≤ 1.8e-9, the f32 state's rounding) is up
    // to 2.3e-5 of that band's own largest value
    let mut power_scale = 0.0f64;
    for (k, _) in cols
        .iter()
        .enumerate()
        .filter(|(_, c)| c.starts_with("power_"))
    {
        for r in 0..shape[0] {
            power_scale = power_scale.max(cpu[r * shape[1] + k].abs());
        }
    }
    columns_agree_by(
        &cols,
        &shape,
        ["cpu", "vulkan"],
        &cpu,
        &vk,
        1e-5,
        |name, s| {
            if name.starts_with("fc_") {
                1.0
            } else if name.starts_with("power_") {
                power_scale
            } else {
                s
            }
        },
    );
}
