//! The co-simulation with its mean field on Vulkan
//! (`--set actors.brain.backend=vulkan`, lavapipe in CI): proxy regions
//! replaced at their stamps, their coupling exported to the spiking
//! regions, every window one submission. The spiking populations' rates
//! agree with the CPU run's within 2 %. Without a Vulkan device it says so
//! and passes, unless BRAINSTREAM_REQUIRE_VULKAN is set (as CI sets it).

use super::*;

#[test]
fn co_simulation_with_the_mean_field_on_vulkan_gives_the_cpu_s_rates() {
    if common::vulkan_device("the co-simulation on Vulkan").is_none() {
        return;
    }
    let g = root().join("graphs/cosim_wc76_spiking.toml");
    let rates = |backend: &str| {
        let dir = tempfile::tempdir().unwrap();
        run(
            &g,
            dir.path(),
            &[
                "simulation.duration_ms=300",
                &format!("actors.brain.backend=\"{backend}\""),
            ],
        )
        .unwrap();
        let (shape, r) = h5(&dir.path().join("rates.h5"), "data");
        assert_eq!(shape, vec![3000, 2, 2, 1]);
        let (ws, raw) = h5(&dir.path().join("raw.h5"), "data");
        assert_eq!(ws, vec![3000, 2, 76, 1]);
        (r, raw)
    };
    let (cpu, cpu_raw) = rates("cpu");
    let (vk, vk_raw) = rates("vulkan");
    // per population and region, the mean over the last 200 ms
    for k in 0..4 {
        let mean = |r: &[f64]| (1000..3000).map(|s| r[s * 4 + k]).sum::<f64>() / 2000.0;
        let (a, b) = (mean(&cpu), mean(&vk));
        eprintln!("population {k}: CPU {a:.3} Hz, Vulkan {b:.3} Hz");
        assert!(a > 1.0, "population {k}: {a} Hz");
        assert!(
            (a - b).abs() <= 0.02 * a,
            "population {k}: CPU {a} Hz, Vulkan {b} Hz"
        );
    }
    // the mean field itself: the proxy regions hold the spiking rates, the
    // others follow the CPU's trajectory
    let worst = cpu_raw
        .iter()
        .zip(&vk_raw)
        .map(|(a, b)| (a - b).abs())
        .fold(0.0, f64::max);
    let scale = cpu_raw.iter().map(|a| a.abs()).fold(0.0, f64::max);
    eprintln!("mean field: worst |Vulkan − CPU| {worst:.2e} of {scale:.2e}");
    assert!(worst <= 0.02 * scale, "{worst} of {scale}");
}
