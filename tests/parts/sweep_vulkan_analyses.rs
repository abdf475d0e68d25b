//! A Vulkan sweep's analyses on the device (the default) and on the host
//! (`BRAINSTREAM_SWEEP_ANALYSES=host`, each period's averages read back):
//! the same table within 1e-9 of each column's largest value (f64 sums on
//! a device with shaderFloat64, lavapipe's case; f32 sums elsewhere: 2e-4),
//! NaN where NaN; the log says where the analyses ran. A saved series
//! comes back with device analyses too.

use super::*;

#[test]
fn device_analyses_give_the_host_analyses_table() {
    let Some(dev) = common::vulkan_device("the Vulkan sweep's device analyses") else {
        return;
    };
    let tol = if dev.has_f64 { 1e-9 } else { 2e-4 };
    drop(dev);
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "g.toml", &stochastic_g2d76());
    let file = write(
        dir.path(),
        "s.toml",
        r#"
graph = "g.toml"
duration_ms = 300.0
transient_ms = 50.0
[[axes]]
param = "coupling_params.a"
linspace = [0.0, 0.02, 3]
[analysis]
rates = ["V", "W"]
fcd_window_ms = 100.0
fcd_step_ms = 50.0
max_segment = 128
updown_thresholds = [-0.5, 0.5]
save_series = [1]
"#,
    );
    let (dv, hs) = (dir.path().join("device"), dir.path().join("host"));
    let log = vulkan_sweep_cli(&file, &dv, &[]);
    assert!(
        log.contains("Vulkan sweep analyses")
            && log.contains("on_device=moments, FC, FCD, spectrum, up/down states")
            && log.contains("on_host=none"),
        "{log}"
    );
    let log = vulkan_sweep_cli(&file, &hs, &[("BRAINSTREAM_SWEEP_ANALYSES", "host")]);
    assert!(log.contains("on_device=none"), "{log}");
    let (shape, d) = table(&dv);
    let (_, h) = table(&hs);
    let plan = Plan::load(&file, &brainstream::default_registry()).unwrap();
    let cols = plan.columns();
    columns_agree_by(&cols, &shape, ["host", "device"], &h, &d, tol, |_, s| s);
    for c in ["fc_mean", "fcd_var", "power_total", "up_fraction", "V_std"] {
        let k = cols.iter().position(|x| x == c).unwrap();
        assert!(
            (0..shape[0]).all(|r| d[r * shape[1] + k].is_finite()),
            "{c}"
        );
    }
    // the saved series came back, the same bits on both
    let series = |out: &Path| std::fs::read(out.join("series/combination_000001.npy")).unwrap();
    assert_eq!(series(&dv), series(&hs));
    // a bad value is refused, naming the variable
    vulkan_sweep_refuses(
        &file,
        &dir.path().join("bad"),
        "BRAINSTREAM_SWEEP_ANALYSES",
        "gpu",
    );
}
