//! `brainstream sweep`: checked before any work, one row per combination
//! with the streamed analyses, a diverging combination marked and the sweep
//! going on, resumable after a crash with the same bits, and each row equal
//! to the analyses of the same run made through the graph.

mod common;
use common::*;

use brainstream::sweep::{run_sweep, Backend, Plan, SweepError, SweepOptions, SweepSummary};
use std::path::{Path, PathBuf};

#[path = "parts/sweep_couplings.rs"]
mod sweep_couplings;
#[cfg(feature = "mpi")]
#[path = "parts/sweep_mpi.rs"]
mod sweep_mpi;
#[path = "parts/sweep_vulkan_analyses.rs"]
mod sweep_vulkan_analyses;
#[path = "parts/sweep_vulkan_batches.rs"]
mod sweep_vulkan_batches;

fn adex_sweep(dir: &Path, extra: &str) -> PathBuf {
    let g = root().join("graphs/adex68.toml");
    write(
        dir,
        "s.toml",
        &format!(
            r#"
{extra}
graph = "{}"
duration_ms = 600.0
transient_ms = 200.0
[[axes]]
param = "coupling_params.a"
values = [0.0, 0.3]
[[axes]]
param = "model_params.b_e"
linspace = [0.0, 60.0, 2]
[analysis]
rates = ["E", "I"]
fcd_window_ms = 100.0
fcd_step_ms = 50.0
updown_thresholds = [0.5e-3, 2e-3]
save_series = [3]
[[plots]]
x = "coupling_params.a"
y = "model_params.b_e"
value = "E_mean"
"#,
            g.display()
        ),
    )
}

fn sweep(file: &Path, out: &Path, threads: usize) -> SweepSummary {
    let plan = Plan::load(file, &brainstream::default_registry()).unwrap();
    sweep_plan(&plan, out, threads, Backend::Cpu).unwrap()
}

/// `plan` swept into `out` on `backend` with `threads` threads.
fn sweep_plan(
    plan: &Plan,
    out: &Path,
    threads: usize,
    backend: Backend,
) -> Result<SweepSummary, SweepError> {
    let opts = SweepOptions {
        out_dir: out.to_path_buf(),
        threads,
        backend,
        shard: None,
    };
    run_sweep(plan, &opts, |_| {})
}

/// graphs/tvb_g2d76.toml with additive noise (HeunStochastic, nsig 1e-3 on
/// V and W, noise seed 5): the stochastic Generic2dOscillator the Vulkan
/// sweep tests sweep.
fn stochastic_g2d76() -> String {
    let graph = std::fs::read_to_string(root().join("graphs/tvb_g2d76.toml"))
        .unwrap()
        .replace(
            "integrator = \"HeunDeterministic\"",
            "integrator = \"HeunStochastic\"\nnsig = [1e-3, 1e-3]\nnoise_seed = 5",
        );
    assert!(graph.contains("HeunStochastic"));
    graph
}

fn table(out: &Path) -> (Vec<usize>, Vec<f64>) {
    let f = open_h5(&out.join("sweep.h5"));
    let d = f.dataset("table").unwrap();
    (d.shape(), d.read_raw::<f64>().unwrap())
}

#[test]
fn rows_resume_after_a_crash_bit_for_bit_whatever_the_threads() {
    let dir = tempfile::tempdir().unwrap();
    let file = adex_sweep(dir.path(), "");
    let a = dir.path().join("a");
    let s = sweep(&file, &a, 2);
    assert_eq!((s.combinations, s.ran, s.diverged), (4, 4, 0));
    let (shape, full) = table(&a);
    assert_eq!(shape, vec![4, 2 + 1 + 6 + 14]);
    // everything finite but the up/down durations: 400 ms hold no complete episode
    for row in full.chunks(23) {
        assert!(
            row[..20].iter().chain(&row[22..]).all(|v| v.is_finite()),
            "{row:?}"
        );
    }
    assert!(a
        .join("heatmap_E_mean_coupling_params_a_model_params_b_e.png")
        .exists());
    // the saved signal: 400 samples of 68 regions
    let npy = std::fs::read(a.join("series/combination_000003.npy")).unwrap();
    assert!(String::from_utf8_lossy(&npy[..128]).contains("'shape': (400, 68)"));

    // one thread gives the same bits
    let b = dir.path().join("b");
    sweep(&file, &b, 1);
    assert_eq!(bits(&table(&b).1), bits(&full));

    // a crash: two rows lost, a third torn mid-line; the rerun does those
    let log = std::fs::read_to_string(a.join("rows.jsonl")).unwrap();
    let lines: Vec<&str> = log.lines().collect();
    let torn = &lines[3][..lines[3].len() / 2];
    std::fs::write(
        a.join("rows.jsonl"),
        format!("{}\n{}\n{}\n{torn}", lines[0], lines[1], lines[2]),
    )
    .unwrap();
    std::fs::remove_file(a.join("sweep.h5")).unwrap();
    let s = sweep(&file, &a, 2);
    assert_eq!(s.ran, 2);
    assert_eq!(bits(&table(&a).1), bits(&full));
    // a finished sweep run again does nothing
    assert_eq!(sweep(&file, &a, 2).ran, 0);
    assert_eq!(bits(&table(&a).1), bits(&full));

    // a changed sweep file is not mixed into these rows
    let other = adex_sweep(dir.path(), "seed = 5");
    let plan = Plan::load(&other, &brainstream::default_registry()).unwrap();
    let e = sweep_plan(&plan, &a, 1, Backend::Cpu).unwrap_err();
    assert!(e.to_string().contains("another sweep"), "{e}");
}

#[test]
fn a_row_equals_the_analysis_of_the_same_graph_run() {
    let dir = tempfile::tempdir().unwrap();
    let file = adex_sweep(dir.path(), "");
    let out = dir.path().join("s");
    sweep(&file, &out, 2);
    let (_, t) = table(&out);
    let cols = 23;
    // combination 0 (a = 0, b_e = 0): its noise is the Philox stream's
    // combination 0, which a graph run draws with noise_stream = "philox"
    let row = &t[..cols];
    assert_eq!((row[0], row[1]), (0.0, 0.0));
    let g = tempfile::tempdir().unwrap();
    run(
        &root().join("graphs/adex68.toml"),
        g.path(),
        &[
            "simulation.duration_ms=600",
            "actors.brain.coupling_params.a=0.0",
            "actors.brain.model_params.b_e=0",
            "actors.brain.noise_stream=\"philox\"",
        ],
    )
    .unwrap();
    let (shape, data, _) = read_h5(&g.path().join("rec.h5"));
    assert_eq!(&shape[..3], &[600, 3, 68]);
    // E is variable 0 of the recording; samples 200.. are after the transient
    let e: Vec<f64> = (200..600)
        .flat_map(|s| data[s * 3 * 68..s * 3 * 68 + 68].to_vec())
        .collect();
    let mean = e.iter().sum::<f64>() / e.len() as f64;
    let max = e.iter().copied().fold(f64::MIN, f64::max);
    assert!(
        (row[3] - mean).abs() <= 1e-12 * mean.abs(),
        "E_mean {} vs graph {mean}",
        row[3]
    );
    assert!(
        (row[5] - max).abs() <= 1e-12 * max.abs(),
        "E_max {} vs graph {max}",
        row[5]
    );
}

#[test]
fn a_diverging_combination_is_marked_and_the_sweep_goes_on() {
    let dir = tempfile::tempdir().unwrap();
    let file = write(
        dir.path(),
        "d.toml",
        &format!(
            r#"
graph = "{}"
duration_ms = 100.0
transient_ms = 50.0
[[axes]]
param = "coupling_params.a"
values = [0.0042, 1.0]
[[axes]]
param = "model_params.d"
values = [0.02, 1.0]
[analysis]
fcd = false
"#,
            root().join("graphs/tvb_g2d76.toml").display()
        ),
    );
    let out = dir.path().join("o");
    let s = sweep(&file, &out, 2);
    assert_eq!(s.diverged, 1);
    let (shape, t) = table(&out);
    let c = shape[1];
    for i in 0..4 {
        let row = &t[i * c..(i + 1) * c];
        if i == 3 {
            assert_eq!(row[2], 1.0);
            assert!(row[3..].iter().all(|v| v.is_nan()));
        } else {
            assert_eq!(row[2], 0.0);
            assert!(row[3].is_finite());
        }
    }
    let log = std::fs::read_to_string(out.join("rows.jsonl")).unwrap();
    assert!(log.contains("diverged at step"), "{log}");
}

#[test]
fn bad_sweeps_are_refused_before_any_work() {
    let dir = tempfile::tempdir().unwrap();
    let g = root().join("graphs/adex68.toml");
    let cases: &[(&str, &[&str])] = &[
        (
            r#"param = "model_params.nope"
values = [1.0]"#,
            &["axes[0].param", "no parameter `nope`"],
        ),
        (
            r#"param = "model_params.b_e"
linspace = [10.0, 10.0, 4]"#,
            &["axes[0].linspace", "empty range"],
        ),
        (
            r#"param = "model_params.b_e"
linspace = [0.0, nan, 4]"#,
            &["axes[0].linspace", "non-finite"],
        ),
        (
            r#"param = "dt_ms"
values = [0.1]"#,
            &["axes[0].param", "cannot sweep"],
        ),
        (
            r#"param = "model_params.b_e"
values = []"#,
            &["axes[0].values", "empty"],
        ),
    ];
    for (axis, want) in cases {
        let f = write(
            dir.path(),
            "bad.toml",
            &format!(
                "graph = \"{}\"\ntransient_ms = 10.0\n[[axes]]\n{axis}\n",
                g.display()
            ),
        );
        let e = Plan::load(&f, &brainstream::default_registry())
            .unwrap_err()
            .to_string();
        assert!(e.starts_with(&f.display().to_string()), "{e}");
        for w in *want {
            assert!(e.contains(w), "expected `{w}` in: {e}");
        }
    }
    // a value outside the documented range is used (with a warning), and
    // refused where the graph asks for strict ranges
    let out_of_range = |graph: &Path| {
        write(
            dir.path(),
            "range.toml",
            &format!(
                "graph = \"{}\"\ntransient_ms = 10.0\n[[axes]]\nparam = \"model_params.b_e\"\nvalues = [500.0]\n[analysis]\nfcd = false\n",
                graph.display()
            ),
        )
    };
    assert!(Plan::load(&out_of_range(&g), &brainstream::default_registry()).is_ok());
    let strict = write(
        dir.path(),
        "strict.toml",
        &std::fs::read_to_string(&g)
            .unwrap()
            .replace("[simulation]", "[simulation]\nstrict_ranges = true")
            .replace("../data/", &format!("{}/data/", root().display()))
            .replace(
                "\"adex68_initial.csv\"",
                &format!("\"{}\"", root().join("graphs/adex68_initial.csv").display()),
            ),
    );
    let e = Plan::load(&out_of_range(&strict), &brainstream::default_registry())
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("axes[0].param") && e.contains("b_e") && e.contains("500"),
        "{e}"
    );
    let f = write(dir.path(), "t.toml", &format!("graph = \"{}\"\ntransient_ms = 5000.0\n[[axes]]\nparam = \"model_params.b_e\"\nvalues = [1.0]\n", g.display()));
    let e = Plan::load(&f, &brainstream::default_registry())
        .unwrap_err()
        .to_string();
    assert!(e.contains("transient_ms") && e.contains("nothing"), "{e}");
    let f = write(
        dir.path(),
        "u.toml",
        "graph = \"missing.toml\"\ntransient_ms = 1.0\naxes = []\n",
    );
    let e = Plan::load(&f, &brainstream::default_registry())
        .unwrap_err()
        .to_string();
    assert!(e.contains("missing.toml"), "{e}");
    let f = write(dir.path(), "v.toml", &format!("graph = \"{}\"\ntransient_ms = 10.0\ncolour = 3\n[[axes]]\nparam = \"model_params.b_e\"\nvalues = [1.0]\n", g.display()));
    let e = Plan::load(&f, &brainstream::default_registry())
        .unwrap_err()
        .to_string();
    assert!(e.contains("colour"), "{e}");
    // what the kernels cannot run (here a parameter of some regions: they
    // take one parameter set per combination) is refused on the Vulkan
    // backend with what to do, before anything is written
    let f = write(
        dir.path(),
        "rww.toml",
        &format!(
            "graph = \"{}\"\nduration_ms = 50.0\ntransient_ms = 10.0\n[[axes]]\nparam = \"model_params.J_N\"\nvalues = [0.3]\nregions = [\"rM1\"]\n[analysis]\nfcd = false\n",
            root().join("graphs/tvb_rww76.toml").display()
        ),
    );
    let plan = Plan::load(&f, &brainstream::default_registry()).unwrap();
    let out = dir.path().join("vk");
    let e = sweep_plan(&plan, &out, 1, Backend::Vulkan)
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("per-region model parameters") && e.contains("--backend cpu"),
        "{e}"
    );
    assert!(!out.exists());
}

/// A sweep may vary one element of a vector parameter (`P_e[0]` of the
/// AdEx threshold polynomial); an element past the end is refused.
#[test]
fn a_sweep_varies_one_element_of_a_vector_parameter() {
    let dir = tempfile::tempdir().unwrap();
    let g = root().join("graphs/adex68.toml");
    let sweep = |axis: &str| {
        write(
            dir.path(),
            "v.toml",
            &format!(
                "graph = \"{}\"\nduration_ms = 100.0\ntransient_ms = 10.0\n[[axes]]\nparam = \"{axis}\"\nvalues = [-0.05, -0.04]\n[analysis]\nfcd = false\n",
                g.display()
            ),
        )
    };
    let plan = Plan::load(
        &sweep("model_params.P_e[0]"),
        &brainstream::default_registry(),
    )
    .unwrap();
    let info = plan.base.model;
    let slot = info
        .value_names()
        .iter()
        .position(|n| n == "P_e[0]")
        .unwrap();
    for (k, want) in [(0, -0.05), (1, -0.04)] {
        let cfg = plan.config(k).unwrap();
        assert_eq!(cfg.model_params.values()[slot], want);
        // the rest of the vector keeps its defaults
        assert_eq!(
            cfg.model_params.values()[slot + 1],
            info.params
                .iter()
                .find(|p| p.name == "P_e")
                .unwrap()
                .defaults[1]
        );
    }
    let e = Plan::load(
        &sweep("model_params.P_e[10]"),
        &brainstream::default_registry(),
    )
    .unwrap_err()
    .to_string();
    assert!(
        e.contains("axes[0].param") && e.contains("P_e[0] to P_e[9]"),
        "{e}"
    );
}

/// A sweep may vary a model parameter in some regions only (by label or
/// index); the others keep the graph's value.
#[test]
fn a_sweep_varies_a_parameter_of_some_regions() {
    let dir = tempfile::tempdir().unwrap();
    let g = root().join("graphs/tvb_rww76.toml");
    let sweep = |regions: &str| {
        write(
            dir.path(),
            "r.toml",
            &format!(
                "graph = \"{}\"\nduration_ms = 100.0\ntransient_ms = 10.0\n[[axes]]\nparam = \"model_params.J_N\"\nvalues = [0.3, 0.4]\nregions = {regions}\n[analysis]\nfcd = false\n",
                g.display()
            ),
        )
    };
    let plan = Plan::load(&sweep("[\"rM1\", \"5\"]"), &brainstream::default_registry()).unwrap();
    assert_eq!(plan.columns()[0], "model_params.J_N@rM1+5");
    let labels = &plan.base.connectivity.labels;
    let rm1 = labels.iter().position(|l| l == "rM1").unwrap();
    let cfg = plan.config(1).unwrap();
    let (_, per_region) = &cfg.model_params.regional()[0];
    for (i, v) in per_region.iter().enumerate() {
        let want = if i == rm1 || i == 5 { 0.4 } else { 0.2609 };
        assert_eq!(*v, want, "region {i}");
    }
    // the run of a combination goes (per-region values reach the engine)
    let out = dir.path().join("o");
    sweep_plan(&plan, &out, 1, Backend::Cpu).unwrap();
    let (_, t) = table(&out);
    let c = plan.columns().len();
    assert_ne!(t[3], t[c + 3], "S_mean equal for both values");
    let e = Plan::load(&sweep("[\"xM1\"]"), &brainstream::default_registry())
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("axes[0].regions") && e.contains("no region `xM1`"),
        "{e}"
    );
}

/// Analyses the sweep's span cannot hold are refused when the file is
/// checked, with the numbers that would make them valid: an FCD window
/// longer than the span, a spectral resolution finer than it allows, a
/// heat map of a column that could only be NaN.
#[test]
fn analyses_the_span_cannot_hold_are_refused_with_the_numbers() {
    let dir = tempfile::tempdir().unwrap();
    let g = root().join("graphs/adex68.toml");
    let cases: &[(&str, &[&str])] = &[
        (
            "fcd_window_ms = 1000.0\nfcd_step_ms = 250.0",
            &[
                "analysis.fcd_window_ms",
                "1000 + 2 × 250 = 1500 ms",
                "400 − 100 = 300 ms",
                "duration_ms ≥ 1600 ms",
                "fcd_window_ms = 150 with fcd_step_ms = 75",
                "analysis.fcd = false",
            ],
        ),
        (
            "fcd = false\nresolution_hz = 0.5",
            &[
                "analysis.resolution_hz",
                "0.5 Hz needs segments of 2048 ms",
                "the analysed span is 300 ms",
                "resolution_hz ≥ 3.90625 Hz",
                "duration_ms ≥ 2148 ms",
            ],
        ),
        (
            "fcd = false\nmax_segment = 64\n[[plots]]\nx = \"coupling_params.a\"\ny = \"model_params.b_e\"\nvalue = \"power_delta\"",
            &[
                "plots[0].value",
                "`power_delta` cannot be measured",
                "segments of 64 samples resolve 15.625 Hz",
                "max_segment ≥ 256",
            ],
        ),
        (
            "fcd = false\n[[plots]]\nx = \"coupling_params.a\"\ny = \"model_params.b_e\"\nvalue = \"up_mean_ms\"",
            &["plots[0].value", "updown_thresholds"],
        ),
        (
            "fcd = false\n[[plots]]\nx = \"coupling_params.a\"\ny = \"model_params.b_e\"\nvalue = \"fcd_var\"",
            &["plots[0].value", "no column `fcd_var` (analysis.fcd = false)"],
        ),
    ];
    for (analysis, want) in cases {
        let f = write(
            dir.path(),
            "bad.toml",
            &format!(
                "graph = \"{}\"\nduration_ms = 400.0\ntransient_ms = 100.0\n[[axes]]\nparam = \"coupling_params.a\"\nvalues = [0.0, 0.1]\n[[axes]]\nparam = \"model_params.b_e\"\nvalues = [0.0, 1.0]\n[analysis]\n{analysis}\n",
                g.display()
            ),
        );
        let e = Plan::load(&f, &brainstream::default_registry())
            .unwrap_err()
            .to_string();
        for w in *want {
            assert!(e.contains(w), "expected `{w}` in: {e}");
        }
    }
}

/// The shipped AdEx sweep shortened as a user trying it quickly would
/// (400 ms, 100 ms transient): refused at once for its FCD window, with
/// the numbers; with the window the hint proposes, all 98 combinations run
/// and every heat map is drawn — `diverged` (one value everywhere) and
/// `up_mean_ms` (no up state below a 1 kHz threshold: no finite value)
/// among them — under a watchdog (the heat map of a column with no finite value once
/// spun forever).
#[test]
fn the_shortened_adex_sweep_finishes_under_a_watchdog() {
    use std::time::{Duration, Instant};
    let dir = tempfile::tempdir().unwrap();
    let shipped = std::fs::read_to_string(root().join("graphs/adex68_sweep.toml")).unwrap();
    let short = shipped
        .replace("duration_ms = 6000.0", "duration_ms = 400.0")
        .replace("transient_ms = 1000.0", "transient_ms = 100.0")
        .replace(
            "graph = \"adex68.toml\"",
            &format!(
                "graph = \"{}\"",
                root().join("graphs/adex68.toml").display()
            ),
        );
    assert!(short.contains("duration_ms = 400.0") && short.contains("transient_ms = 100.0"));
    assert!(short.contains("updown_thresholds = [0.5e-3, 2e-3]"));
    let file = write(dir.path(), "short.toml", &short);
    let out = dir.path().join("o");
    let t0 = Instant::now();
    let mut child = bs()
        .args(["sweep", file.to_str().unwrap(), "--backend", "cpu", "--out"])
        .arg(&out)
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let status = exit_within(&mut child, t0, Duration::from_secs(60), "the refused sweep");
    let mut err = String::new();
    std::io::Read::read_to_string(&mut child.stderr.take().unwrap(), &mut err).unwrap();
    assert!(!status.success(), "{err}");
    assert!(
        err.contains("analysis.fcd_window_ms")
            && err.contains("fcd_window_ms = 150 with fcd_step_ms = 75"),
        "{err}"
    );
    assert!(
        !out.join("rows.jsonl").exists(),
        "work was done before the refusal"
    );

    // as the hint says, with an up threshold no rate reaches (1 kHz: every
    // up/down column without a finite value) and one more heat map
    let fixed = short
        .replace("fcd_window_ms = 1000.0", "fcd_window_ms = 150.0")
        .replace("fcd_step_ms = 250.0", "fcd_step_ms = 75.0")
        .replace("updown_thresholds = [0.5e-3, 2e-3]", "updown_thresholds = [0.9, 1.0]")
        + "\n[[plots]]\nx = \"coupling_params.a\"\ny = \"model_params.b_e\"\nvalue = \"diverged\"\n";
    let file = write(dir.path(), "fixed.toml", &fixed);
    let t0 = Instant::now();
    let mut child = bs()
        .args([
            "sweep",
            file.to_str().unwrap(),
            "--backend",
            "cpu",
            "-q",
            "--out",
        ])
        .arg(&out)
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let status = exit_within(
        &mut child,
        t0,
        Duration::from_secs(600),
        "the shortened sweep",
    );
    let mut err = String::new();
    std::io::Read::read_to_string(&mut child.stderr.take().unwrap(), &mut err).unwrap();
    assert!(status.success(), "{err}");
    let (shape, t) = table(&out);
    assert_eq!(shape[0], 98);
    let up = Plan::load(&file, &brainstream::default_registry())
        .unwrap()
        .columns()
        .iter()
        .position(|c| c == "up_mean_ms")
        .unwrap();
    assert!(
        (0..98).all(|r| t[r * shape[1] + up].is_nan()),
        "up_mean_ms was meant to have no finite value"
    );
    for v in ["E_mean", "fcd_var", "up_mean_ms", "diverged"] {
        let png = out.join(format!(
            "heatmap_{v}_coupling_params_a_model_params_b_e.png"
        ));
        assert!(png.exists(), "{} missing", png.display());
    }
    assert!(
        err.contains("up_mean_ms") && err.contains("no finite value"),
        "{err}"
    );
}

/// The Vulkan backend (lavapipe in CI) and the CPU backend give the same
/// table within f32 tolerance, noise included (both draw the Philox stream).
#[test]
fn vulkan_and_cpu_sweeps_agree() {
    if common::vulkan_device("the Vulkan sweep").is_none() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "g.toml", &stochastic_g2d76());
    let file = write(
        dir.path(),
        "s.toml",
        r#"
graph = "g.toml"
duration_ms = 400.0
transient_ms = 100.0
[[axes]]
param = "coupling_params.a"
linspace = [0.0, 0.02, 3]
[[axes]]
param = "model_params.I"
values = [0.0, 0.5]
[analysis]
rates = ["V", "W"]
fcd_window_ms = 100.0
fcd_step_ms = 50.0
"#,
    );
    let plan = Plan::load(&file, &brainstream::default_registry()).unwrap();
    let [(shape, cpu), (_, vk)] = cpu_and_vulkan_tables(&plan, dir.path());
    // every column to 1e-5 of its largest value (measured: ≤ 1.2e-6)
    columns_agree(&plan.columns(), &shape, &cpu, &vk, 1e-5);
}

/// `plan` swept on the CPU and on Vulkan (2 threads, into DIR/cpu and
/// DIR/vk), no combination diverging: the two tables.
fn cpu_and_vulkan_tables(plan: &Plan, dir: &Path) -> [(Vec<usize>, Vec<f64>); 2] {
    [("cpu", Backend::Cpu), ("vk", Backend::Vulkan)].map(|(name, backend)| {
        let out = dir.join(name);
        let s = sweep_plan(plan, &out, 2, backend).unwrap();
        assert_eq!(s.diverged, 0);
        table(&out)
    })
}

/// Every column of the CPU's and Vulkan's tables (`shape`, row-major)
/// agrees within `tol` of its largest |value|, NaN where the other is NaN.
fn columns_agree(cols: &[String], shape: &[usize], cpu: &[f64], vk: &[f64], tol: f64) {
    columns_agree_by(cols, shape, ["cpu", "vulkan"], cpu, vk, tol, |_, s| s);
}

/// Every column of tables `a` and `b` (`shape`, row-major; named `names`
/// in messages) agrees within `tol` of its scale, `scale(name, largest
/// |a| of the column)`; NaN where the other is NaN.
fn columns_agree_by(
    cols: &[String],
    shape: &[usize],
    names: [&str; 2],
    a: &[f64],
    b: &[f64],
    tol: f64,
    scale_of: impl Fn(&str, f64) -> f64,
) {
    let [na, nb] = names;
    for (k, name) in cols.iter().enumerate() {
        let (mut err, mut scale) = (0.0f64, 0.0f64);
        for r in 0..shape[0] {
            let (x, y) = (a[r * shape[1] + k], b[r * shape[1] + k]);
            assert_eq!(x.is_nan(), y.is_nan(), "{name}: {na} {x}, {nb} {y}");
            if x.is_finite() {
                err = err.max((x - y).abs());
                scale = scale.max(x.abs());
            }
        }
        let scale = scale_of(name, scale);
        eprintln!("{name:<20} max|{na} − {nb}| {err:.3e} (scale {scale:.3e})");
        assert!(
            err <= tol * scale.max(1e-12),
            "{name}: {err} vs scale {scale}"
        );
    }
}

/// `brainstream -v sweep FILE --out OUT --backend vulkan --threads 2
/// --quiet` with the environment `env` (RUST_LOG, BRAINSTREAM_SWEEP_BATCH
/// and BRAINSTREAM_SWEEP_ANALYSES unset unless there): it succeeds; its
/// log (stderr).
fn vulkan_sweep_cli(file: &Path, out: &Path, env: &[(&str, &str)]) -> String {
    let mut c = bs();
    c.args(["-v", "sweep"])
        .arg(file)
        .arg("--out")
        .arg(out)
        .args(["--backend", "vulkan", "--threads", "2", "--quiet"])
        .env_remove("RUST_LOG")
        .env_remove("BRAINSTREAM_SWEEP_BATCH")
        .env_remove("BRAINSTREAM_SWEEP_ANALYSES")
        .envs(env.iter().copied());
    let o = c.output().unwrap();
    let log = String::from_utf8_lossy(&o.stderr).into_owned();
    assert!(o.status.success(), "{log}");
    log
}

/// `brainstream sweep FILE --out OUT --backend vulkan --quiet` with the bad
/// value `var=value`: refused, naming it.
fn vulkan_sweep_refuses(file: &Path, out: &Path, var: &str, value: &str) {
    let o = bs()
        .args(["sweep"])
        .arg(file)
        .arg("--out")
        .arg(out)
        .args(["--backend", "vulkan", "--quiet"])
        .env(var, value)
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(!o.status.success());
    assert!(err.contains(&format!("{var}={value}")), "{err}");
}

/// A user's model (`model = "mine.toml"`) sweeps on Vulkan: its kernel is
/// generated from the declaration and compiled by naga at run time. Made
/// from the built-in Generic2dOscillator's declaration under another name,
/// its Vulkan table has the same bits as the built-in's (the same
/// operations, the same kernel), and agrees with the CPU backend's table
/// within f32 tolerance, noise included.
#[test]
fn a_users_model_sweeps_on_vulkan_as_the_same_model_built_in() {
    if common::vulkan_device("the Vulkan sweep").is_none() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let g2d = std::fs::read_to_string(root().join("models/decl/Generic2dOscillator.toml")).unwrap();
    let mine = g2d.replace("name = \"Generic2dOscillator\"", "name = \"MyOscillator\"");
    assert_ne!(mine, g2d);
    write(dir.path(), "mine.toml", &mine);
    let graph = stochastic_g2d76();
    write(dir.path(), "builtin.toml", &graph);
    write(
        dir.path(),
        "user.toml",
        &graph.replace("model = \"Generic2dOscillator\"", "model = \"mine.toml\""),
    );
    let sweep_file = |g: &str| {
        write(
            dir.path(),
            &format!("s_{g}"),
            &format!(
                r#"
graph = "{g}"
duration_ms = 300.0
transient_ms = 100.0
[[axes]]
param = "coupling_params.a"
linspace = [0.0, 0.02, 2]
[[axes]]
param = "model_params.I"
values = [0.0, 0.5]
[analysis]
rates = ["V", "W"]
fcd_window_ms = 60.0
fcd_step_ms = 30.0
"#
            ),
        )
    };
    let run = |g: &str, backend: Backend, out: &str| {
        let plan = Plan::load(&sweep_file(g), &brainstream::default_registry()).unwrap();
        let out = dir.path().join(out);
        let s = sweep_plan(&plan, &out, 2, backend).unwrap();
        assert_eq!(s.diverged, 0);
        (plan.columns(), table(&out))
    };
    let (cols, (shape, user_vk)) = run("user.toml", Backend::Vulkan, "user_vk");
    let (_, (_, builtin_vk)) = run("builtin.toml", Backend::Vulkan, "builtin_vk");
    let (_, (_, user_cpu)) = run("user.toml", Backend::Cpu, "user_cpu");
    assert_eq!(
        bits(&user_vk),
        bits(&builtin_vk),
        "the user's kernel and the built-in one differ"
    );
    columns_agree(&cols, &shape, &user_cpu, &user_vk, 1e-5);
}

/// A user's coupling declaration (`coupling = "mine.toml"` in the graph):
/// a sweep over its parameter gives the table of the built-in coupling it
/// declares (Linear, renamed), to the last bit; a declaration that does not
/// check is refused before any work, located in its own file.
#[test]
fn a_users_coupling_runs_in_a_sweep_as_the_built_in() {
    let dir = tempfile::tempdir().unwrap();
    let decl = std::fs::read_to_string(root().join("models/decl/couplings/Linear.toml"))
        .unwrap()
        .replace("name = \"Linear\"", "name = \"MyLinear\"");
    write(dir.path(), "mylinear.toml", &decl);
    let graph = std::fs::read_to_string(root().join("graphs/tvb_g2d76.toml")).unwrap();
    assert!(graph.contains("coupling = \"Linear\""));
    write(dir.path(), "builtin.toml", &graph);
    write(
        dir.path(),
        "mine.toml",
        &graph.replace("coupling = \"Linear\"", "coupling = \"mylinear.toml\""),
    );
    let sweep = |g: &str| {
        write(
            dir.path(),
            &format!("s_{g}"),
            &format!(
                "graph = \"{g}\"\nduration_ms = 100.0\ntransient_ms = 10.0\n[[axes]]\nparam = \"coupling_params.a\"\nvalues = [0.0, 0.01]\n[analysis]\nfcd = false\n"
            ),
        )
    };
    let mut tables = vec![];
    for g in ["builtin.toml", "mine.toml"] {
        let plan = Plan::load(&sweep(g), &brainstream::default_registry()).unwrap();
        let out = dir.path().join(format!("o_{g}"));
        sweep_plan(&plan, &out, 1, Backend::Cpu).unwrap();
        tables.push(table(&out).1);
    }
    assert_eq!(bits(&tables[0]), bits(&tables[1]));
    // the two combinations differ (the coupling's parameter reached it)
    let c = tables[0].len() / 2;
    assert_ne!(bits(&tables[0][1..c]), bits(&tables[0][c + 1..]));
    // a broken declaration: refused, located in the declaration
    write(
        dir.path(),
        "mylinear.toml",
        &decl.replace("post = \"a * gx + b\"", "post = \"a * gx + c\""),
    );
    let e = Plan::load(&sweep("mine.toml"), &brainstream::default_registry())
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("mylinear.toml:") && e.contains("unknown name `c`"),
        "{e}"
    );
}

/// A sweep runs the mean field alone: one whose graph feeds it (a stimulus
/// wired into `brain.stimulus`) is refused, naming the edge, rather than
/// swept without its input.
#[test]
fn a_sweep_refuses_a_mean_field_fed_by_a_stimulus() {
    let dir = tempfile::tempdir().unwrap();
    let f = write(
        dir.path(),
        "s.toml",
        &format!(
            "graph = \"{}\"\ntransient_ms = 10.0\n[[axes]]\nparam = \"coupling_params.a\"\nvalues = [0.0042]\n",
            root().join("graphs/stimulus_pulse76.toml").display()
        ),
    );
    let e = Plan::load(&f, &brainstream::default_registry())
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("`brain` receives `brain.stimulus` from `pulse.stimulus`")
            && e.contains("sweeps run the mean field alone"),
        "{e}"
    );
}

/// Sweeps draw the Philox stream on every backend, which is white: a graph
/// with coloured noise (`noise_ntau > 0`) is refused before any work,
/// located at the actor's key, rather than swept with white noise.
#[test]
fn a_sweep_refuses_coloured_noise() {
    let dir = tempfile::tempdir().unwrap();
    let graph = std::fs::read_to_string(root().join("graphs/tvb_g2d76.toml"))
        .unwrap()
        .replace(
            "integrator = \"HeunDeterministic\"",
            "integrator = \"HeunStochastic\"\nnsig = [1e-3]\nnoise_ntau = 2.0",
        );
    assert!(graph.contains("noise_ntau"));
    write(dir.path(), "g.toml", &graph);
    let f = write(
        dir.path(),
        "s.toml",
        "graph = \"g.toml\"\ntransient_ms = 10.0\n[[axes]]\nparam = \"coupling_params.a\"\nvalues = [0.0042]\n",
    );
    let e = Plan::load(&f, &brainstream::default_registry())
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("actors.brain.noise_ntau")
            && e.contains("coloured noise (noise_ntau = 2 ms) cannot be swept"),
        "{e}"
    );
}

/// A sweep run as a Slurm job array: three shards (two given `--shard`, one
/// taking its task from SLURM_ARRAY_TASK_* into another folder) and
/// `brainstream sweep merge` give the table of one process to the bit, with
/// its heat map, its saved signal and the sweep's identity. Merging before
/// every shard is done names the missing combinations and their shard.
#[test]
fn shards_merge_into_the_table_of_one_process() {
    let dir = tempfile::tempdir().unwrap();
    let file = adex_sweep(dir.path(), "");
    let ok = |c: &mut std::process::Command| {
        let o = c.output().unwrap();
        let text = format!(
            "{}{}",
            String::from_utf8_lossy(&o.stdout),
            String::from_utf8_lossy(&o.stderr)
        );
        assert!(o.status.success(), "{text}");
        text
    };
    let sw = |out: &Path| {
        let mut c = bs();
        c.arg("sweep")
            .arg(&file)
            .arg("--out")
            .arg(out)
            .args(["--backend", "cpu", "-q"]);
        for k in [
            "SLURM_ARRAY_TASK_ID",
            "SLURM_ARRAY_TASK_COUNT",
            "SLURM_ARRAY_TASK_MIN",
        ] {
            c.env_remove(k);
        }
        c
    };
    let whole = dir.path().join("whole");
    ok(&mut sw(&whole));
    let shared = dir.path().join("shared");
    ok(sw(&shared).args(["--shard", "1/3"]));
    let t = ok(sw(&shared).args(["--shard", "2/3"]));
    assert!(t.contains("shard 2/3 done"), "{t}");
    assert!(shared.join("rows.shard-2-of-3.jsonl").exists());
    assert!(!shared.join("sweep.h5").exists(), "a shard writes no table");
    // not every shard is done: the merge says which
    let o = bs().args(["sweep", "merge"]).arg(&shared).output().unwrap();
    let e = String::from_utf8_lossy(&o.stderr);
    assert!(!o.status.success());
    assert!(
        e.contains("1 of 4 combinations have no row yet (2)") && e.contains("of shard 3/3"),
        "{e}"
    );
    // the third from a job array's environment (--array=10-12), elsewhere
    let own = dir.path().join("own3");
    let t = ok(sw(&own)
        .env("SLURM_ARRAY_TASK_ID", "12")
        .env("SLURM_ARRAY_TASK_MIN", "10")
        .env("SLURM_ARRAY_TASK_COUNT", "3"));
    assert!(t.contains("shard 3/3 (from SLURM_ARRAY_TASK_ID=12"), "{t}");
    assert!(own.join("rows.shard-3-of-3.jsonl").exists());
    let merged = dir.path().join("merged");
    let t = ok(bs()
        .args(["sweep", "merge"])
        .arg(&shared)
        .arg(&own)
        .arg("--out")
        .arg(&merged));
    assert!(t.contains("merged 4 combinations"), "{t}");
    let (shape, want) = table(&whole);
    let (mshape, got) = table(&merged);
    assert_eq!(shape, mshape);
    assert_eq!(
        bits(&got),
        bits(&want),
        "merged table differs from one process's"
    );
    let (a, b) = (
        open_h5(&whole.join("sweep.h5")),
        open_h5(&merged.join("sweep.h5")),
    );
    for attr in ["sweep", "graph", "sweep_file", "graph_file"] {
        let s = |f: &hdf5::File| {
            f.attr(attr)
                .unwrap()
                .read_scalar::<hdf5::types::VarLenUnicode>()
                .unwrap()
                .to_string()
        };
        assert_eq!(s(&a), s(&b), "attribute {attr}");
    }
    assert!(merged
        .join("heatmap_E_mean_coupling_params_a_model_params_b_e.png")
        .exists());
    // combination 3 is shard 1/3's (3 mod 3 = 0): its signal is copied over
    assert_eq!(
        std::fs::read(merged.join("series/combination_000003.npy")).unwrap(),
        std::fs::read(whole.join("series/combination_000003.npy")).unwrap()
    );
    // bad shards are refused before any work
    for (s, want) in [
        ("0/3", "between 1 and N"),
        ("4/3", "between 1 and N"),
        ("2", "give K/N"),
    ] {
        let o = sw(&dir.path().join("bad"))
            .args(["--shard", s])
            .output()
            .unwrap();
        let e = String::from_utf8_lossy(&o.stderr);
        assert!(!o.status.success() && e.contains(want), "{s}: {e}");
    }
}
