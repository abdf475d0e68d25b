//! A Vulkan sweep's analyses on the device (the default) and on the host
//! (`BRAINSTREAM_SWEEP_ANALYSES=host`, each period's averages read back):
//! the same table within 1e-9 of each column's largest value (f64 sums on
//! a device with shaderFloat64, lavapipe's case; f32 sums elsewhere: 2e-4),
//! NaN where NaN; the log says where the analyses ran. A saved series
//! comes back with device analyses too.

use super::*;

/// `brainstream -v sweep FILE --out OUT --backend vulkan` with
/// `BRAINSTREAM_SWEEP_ANALYSES=where` (None: unset): its log.
fn vulkan_cli(file: &Path, out: &Path, place: Option<&str>) -> String {
    let mut c = bs();
    c.args(["-v", "sweep"])
        .arg(file)
        .arg("--out")
        .arg(out)
        .args(["--backend", "vulkan", "--threads", "2", "--quiet"])
        .env_remove("RUST_LOG")
        .env_remove("BRAINSTREAM_SWEEP_BATCH")
        .env_remove("BRAINSTREAM_SWEEP_ANALYSES");
    if let Some(p) = place {
        c.env("BRAINSTREAM_SWEEP_ANALYSES", p);
    }
    let o = c.output().unwrap();
    let log = String::from_utf8_lossy(&o.stderr).into_owned();
    assert!(o.status.success(), "{log}");
    log
}

#[test]
fn device_analyses_give_the_host_analyses_table() {
    let Some(dev) = common::vulkan_device("the Vulkan sweep's device analyses") else {
        return;
    };
    let tol = if dev.has_f64 { 1e-9 } else { 2e-4 };
    drop(dev);
    let dir = tempfile::tempdir().unwrap();
    let graph = std::fs::read_to_string(root().join("graphs/tvb_g2d76.toml"))
        .unwrap()
        .replace(
            "integrator = \"HeunDeterministic\"",
            "integrator = \"HeunStochastic\"\nnsig = [1e-3, 1e-3]\nnoise_seed = 5",
        );
    assert!(graph.contains("HeunStochastic"));
    write(dir.path(), "g.toml", &graph);
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
    let log = vulkan_cli(&file, &dv, None);
    assert!(
        log.contains("Vulkan sweep analyses")
            && log.contains("on_device=moments, FC, FCD, spectrum, up/down states")
            && log.contains("on_host=none"),
        "{log}"
    );
    let log = vulkan_cli(&file, &hs, Some("host"));
    assert!(log.contains("on_device=none"), "{log}");
    let (shape, d) = table(&dv);
    let (_, h) = table(&hs);
    let plan = Plan::load(&file, &brainstream::default_registry()).unwrap();
    let cols = plan.columns();
    for (k, name) in cols.iter().enumerate() {
        let (mut err, mut scale) = (0.0f64, 0.0f64);
        for r in 0..shape[0] {
            let (a, b) = (h[r * shape[1] + k], d[r * shape[1] + k]);
            assert_eq!(a.is_nan(), b.is_nan(), "{name}: host {a}, device {b}");
            if a.is_finite() {
                err = err.max((a - b).abs());
                scale = scale.max(a.abs());
            }
        }
        eprintln!("{name:<16} max|host − device| {err:.3e} (scale {scale:.3e})");
        assert!(
            err <= tol * scale.max(1e-12),
            "{name}: {err} vs scale {scale}"
        );
    }
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
    let o = bs()
        .args(["sweep"])
        .arg(&file)
        .arg("--out")
        .arg(dir.path().join("bad"))
        .args(["--backend", "vulkan", "--quiet"])
        .env("BRAINSTREAM_SWEEP_ANALYSES", "gpu")
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(!o.status.success());
    assert!(err.contains("BRAINSTREAM_SWEEP_ANALYSES=gpu"), "{err}");
}
