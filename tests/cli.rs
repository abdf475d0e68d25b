//! The binary: plain progress lines when stderr is not a terminal, a summary
//! on stdout, and a non-zero exit with a one-line cause on stderr for every
//! failure.

mod common;
use common::*;

#[test]
fn run_prints_progress_and_a_summary() {
    let dir = tempfile::tempdir().unwrap();
    let out = bs()
        .args(["run", "graphs/tvb_rww76.toml", "--out"])
        .arg(dir.path())
        .args(["--set", "simulation.duration_ms=300"])
        .current_dir(root())
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    // every plain line says how long it has run; those before the end how
    // long is left
    assert!(
        stderr.contains("progress: 100% (300.0 of 300.0 ms simulated; ")
            && stderr.contains(" s elapsed)"),
        "{stderr}"
    );
    for l in stderr.lines().filter(|l| l.starts_with("progress:")) {
        assert!(l.contains(" elapsed"), "{l}");
        let pct: u32 = l[9..13].trim().trim_end_matches('%').parse().unwrap();
        if (1..100).contains(&pct) {
            assert!(l.contains(" left)"), "{l}");
        }
    }
    assert!(stdout.contains("simulated 300.0 ms in"), "{stdout}");
    assert!(stdout.contains("real-time factor"), "{stdout}");
    // 300 ms of 0.1 ms steps in windows of 100 ms
    assert!(stdout.contains("3 windows of 1000 steps"), "{stdout}");
    assert!(stdout.contains("raw.h5"), "{stdout}");
    let one = bs()
        .args(["run", "graphs/tvb_rww76.toml", "-q", "--out"])
        .arg(dir.path().join("one"))
        .args(["--set", "simulation.duration_ms=100"])
        .current_dir(root())
        .output()
        .unwrap();
    let one_out = String::from_utf8_lossy(&one.stdout);
    assert!(one_out.contains(", 1 window of 1000 steps"), "{one_out}");
    let quiet = bs()
        .args(["run", "graphs/tvb_rww76.toml", "-q", "--out"])
        .arg(dir.path().join("quiet"))
        .args(["--set", "simulation.duration_ms=10"])
        .current_dir(root())
        .output()
        .unwrap();
    assert!(quiet.status.success());
    assert!(!String::from_utf8_lossy(&quiet.stderr).contains("progress"));
}

#[test]
fn failures_exit_non_zero_with_the_cause_first() {
    for args in [
        vec!["validate", "tests/graphs/bad/unknown_kind.toml"],
        vec!["run", "no/such/graph.toml"],
        vec!["run", "graphs/tvb_rww76.toml", "--set", "simulation"],
        vec!["graph", "tests/graphs/bad/cycle.toml", "--dot"],
    ] {
        let out = bs().args(&args).current_dir(root()).output().unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(!out.status.success(), "{args:?} succeeded");
        let first = stderr.lines().next().unwrap_or("");
        assert!(
            first.starts_with("error: ") && first.len() > 20,
            "{args:?}: {stderr}"
        );
        assert!(!stderr.contains("panicked"), "{stderr}");
    }
}

#[test]
fn validate_graph_and_list() {
    let v = bs()
        .args(["validate", "graphs/tvb_rww76.toml"])
        .current_dir(root())
        .output()
        .unwrap();
    assert!(v.status.success());
    assert!(String::from_utf8_lossy(&v.stdout).contains("ok — 4 actors, 3 edges, 10000 steps"));
    let d = bs()
        .args(["graph", "tests/graphs/good/cosim_loop.toml", "--dot"])
        .current_dir(root())
        .output()
        .unwrap();
    let dot = String::from_utf8_lossy(&d.stdout);
    assert!(dot.starts_with("digraph brainstream {"), "{dot}");
    assert!(
        dot.contains("\"a\" -> \"b\" [label=\"output → input\\nseries\\ndelay 1 ms\""),
        "{dot}"
    );
    let l = bs().arg("list").output().unwrap();
    let list = String::from_utf8_lossy(&l.stdout);
    for k in [
        "mean_field",
        "hdf5_recorder",
        "linear_ode",
        "gain",
        "temporal_average",
        "bold",
        "subsample",
    ] {
        assert!(
            list.contains(&format!("\n{k} — ")) || list.contains(&format!("{k} — ")),
            "{k} missing"
        );
    }
    assert!(
        list.contains("J_N") && list.contains("0.2609") && list.contains("nA"),
        "model parameters listed"
    );
    assert!(list.contains("SigmoidalJansenRit"));
}

#[test]
fn sweep_runs_resumes_and_refuses_what_the_gpu_kernels_cannot_run() {
    let dir = tempfile::tempdir().unwrap();
    let file = write(dir.path(), "s.toml", &format!(
            "graph = \"{}\"\nduration_ms = 60.0\ntransient_ms = 20.0\n[[axes]]\nparam = \"coupling_params.a\"\nvalues = [0.0, 0.01]\n[analysis]\nfcd_window_ms = 10.0\nfcd_step_ms = 5.0\n",
            root().join("graphs/tvb_g2d76.toml").display()
        ));
    let out = dir.path().join("o");
    let o = bs()
        .arg("sweep")
        .arg(&file)
        .arg("--out")
        .arg(&out)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&o.stdout);
    assert!(
        o.status.success(),
        "{stdout}\n{}",
        String::from_utf8_lossy(&o.stderr)
    );
    assert!(
        stdout.contains("2 combinations (2 run now, 0 found done), 0 diverged"),
        "{stdout}"
    );
    assert!(stdout.contains("sweep.h5"), "{stdout}");
    // plain progress lines (stderr is not a terminal) with the time
    let stderr = String::from_utf8_lossy(&o.stderr);
    assert!(
        stderr.contains("sweep: 1/2 combinations done (0 diverged; ")
            && stderr.contains(" elapsed, about ")
            && stderr.contains("sweep: 2/2 combinations done (0 diverged; "),
        "{stderr}"
    );
    let o = bs()
        .arg("sweep")
        .arg(&file)
        .arg("--out")
        .arg(&out)
        .output()
        .unwrap();
    assert!(String::from_utf8_lossy(&o.stdout).contains("(0 run now, 2 found done)"));
    // the kernels take one parameter set per combination: a sweep of a
    // parameter of some regions is refused by the Vulkan backend first
    let rww = write(dir.path(), "r.toml", &format!(
            "graph = \"{}\"\nduration_ms = 60.0\ntransient_ms = 20.0\n[[axes]]\nparam = \"model_params.J_N\"\nvalues = [0.3]\nregions = [\"rM1\"]\n[analysis]\nfcd = false\n",
            root().join("graphs/tvb_rww76.toml").display()
        ));
    let o = bs()
        .arg("sweep")
        .arg(&rww)
        .args(["--backend", "vulkan", "--out"])
        .arg(dir.path().join("vk"))
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(!o.status.success());
    assert!(
        err.starts_with("error: backend `vulkan`") && err.contains("--backend cpu"),
        "{err}"
    );
}

/// `brainstream model show` prints a built-in model's declaration; renamed,
/// it is a user's model that `model check` accepts and a graph runs (by
/// path) to the same bits as the built-in; `model check` locates every
/// problem of a broken declaration, and a graph naming one is refused with
/// them.
#[test]
fn a_model_from_model_show_runs_as_the_built_in_does() {
    let dir = tempfile::tempdir().unwrap();
    let o = bs()
        .args(["model", "show", "Generic2dOscillator"])
        .output()
        .unwrap();
    assert!(o.status.success());
    let shown = String::from_utf8(o.stdout).unwrap();
    let decl =
        std::fs::read_to_string(root().join("models/decl/Generic2dOscillator.toml")).unwrap();
    assert_eq!(shown.trim_end(), decl.trim_end());
    let mine = shown.replace("name = \"Generic2dOscillator\"", "name = \"MyOscillator\"");
    let model = write(dir.path(), "mine.toml", &mine);
    let o = bs().args(["model", "check"]).arg(&model).output().unwrap();
    let out = String::from_utf8_lossy(&o.stdout);
    assert!(
        o.status.success() && out.contains("model MyOscillator checks: 2 state variable(s) (V, W)"),
        "{out}"
    );

    // the built-in and the user's model, same graph otherwise
    let graph = std::fs::read_to_string(root().join("graphs/tvb_g2d76.toml"))
        .unwrap()
        .replace("duration_ms = 1000.0", "duration_ms = 200.0");
    let builtin = write(dir.path(), "builtin.toml", &graph);
    let user = write(
        dir.path(),
        "user.toml",
        &graph.replace("model = \"Generic2dOscillator\"", "model = \"mine.toml\""),
    );
    let mut data = vec![];
    for (g, out) in [(&builtin, "a"), (&user, "b")] {
        let o = bs()
            .arg("run")
            .arg(g)
            .args(["-q", "--out"])
            .arg(dir.path().join(out))
            .output()
            .unwrap();
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
        let (shape, d, _) = read_h5(&dir.path().join(out).join("raw.h5"));
        assert_eq!(shape[0], 2000);
        data.push(d.iter().map(|v| v.to_bits()).collect::<Vec<_>>());
    }
    assert_eq!(
        data[0], data[1],
        "the user's model differs from the built-in"
    );

    // a broken declaration: every problem, located
    let broken = write(
        dir.path(),
        "broken.toml",
        &mine
            .replace("W = \"d * (a + b * V", "W = \"d * (a + bb * V")
            .replace("V2 = \"V * V\"", "V2 = \"V ** 2\""),
    );
    let o = bs().args(["model", "check"]).arg(&broken).output().unwrap();
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(!o.status.success());
    assert!(
        err.contains("broken.toml:") && err.contains("`**` is written `^`"),
        "{err}"
    );
    let line_of = |pat: &str| mine.lines().position(|l| l.contains(pat)).unwrap() + 1;
    assert!(
        err.contains(&format!("broken.toml:{}:", line_of("V2 = "))),
        "{err}"
    );
    // the graph naming it is refused, naming the graph's key and the declaration's place
    let g = write(
        dir.path(),
        "g.toml",
        &graph.replace("model = \"Generic2dOscillator\"", "model = \"broken.toml\""),
    );
    let o = bs().arg("validate").arg(&g).output().unwrap();
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(!o.status.success());
    assert!(
        err.contains("actors.brain.model")
            && err.contains(&format!("broken.toml:{}:", line_of("V2 = "))),
        "{err}"
    );
    // a missing file, and a model named as a built-in
    let g = write(
        dir.path(),
        "h.toml",
        &graph.replace(
            "model = \"Generic2dOscillator\"",
            "model = \"nowhere.toml\"",
        ),
    );
    let err =
        String::from_utf8_lossy(&bs().arg("validate").arg(&g).output().unwrap().stderr).to_string();
    assert!(
        err.contains("nowhere.toml: cannot read the model declaration"),
        "{err}"
    );
    write(dir.path(), "same.toml", &shown);
    let g = write(
        dir.path(),
        "k.toml",
        &graph.replace("model = \"Generic2dOscillator\"", "model = \"same.toml\""),
    );
    let err =
        String::from_utf8_lossy(&bs().arg("validate").arg(&g).output().unwrap().stderr).to_string();
    assert!(err.contains("the name of a built-in model"), "{err}");
}

/// Per-region model parameters in each of their forms (a list of N
/// values, `{ default, regions }` by label or index, a CSV column) give the
/// same run as each other; a per-region value equal everywhere gives the
/// run of the plain value.
#[test]
fn per_region_parameters_in_every_form_give_the_same_run() {
    let dir = tempfile::tempdir().unwrap();
    let csv = root().join("tests/data/params_rww76.csv");
    let table: Vec<Vec<String>> = std::fs::read_to_string(&csv)
        .unwrap()
        .lines()
        .filter(|l| !l.starts_with('#'))
        .skip(1)
        .map(|l| l.split(',').map(|c| c.trim().to_string()).collect())
        .collect();
    assert_eq!(table.len(), 76);
    let jn: Vec<String> = table.iter().map(|r| r[1].clone()).collect();
    let graph = |params: &str| {
        std::fs::read_to_string(root().join("graphs/tvb_rww76.toml"))
            .unwrap()
            .replace("duration_ms = 1000.0", "duration_ms = 100.0")
            .replace(
                "[actors.brain]",
                &format!("[actors.brain]\nmodel_params = {{ {params} }}"),
            )
    };
    let run_with = |name: &str, params: &str| -> Vec<u64> {
        let g = write(dir.path(), &format!("{name}.toml"), &graph(params));
        let out = dir.path().join(name);
        run(&g, &out, &[]).unwrap_or_else(|e| panic!("{name}: {e}"));
        let (_, d, _) = read_h5(&out.join("raw.h5"));
        d.iter().map(|v| v.to_bits()).collect()
    };
    let list = run_with("list", &format!("J_N = [{}]", jn.join(", ")));
    let file = run_with(
        "file",
        &format!("J_N = {{ file = \"{}\", column = \"J_N\" }}", csv.display()),
    );
    assert_eq!(list, file, "CSV column and list differ");
    // two regions changed, by label and by index
    let (rm1, lm1) = (
        table.iter().position(|r| r[0] == "rM1").unwrap(),
        table.iter().position(|r| r[0] == "lM1").unwrap(),
    );
    let mut two = vec!["0.2609".to_string(); 76];
    two[rm1] = "0.3".into();
    two[lm1] = "0.35".into();
    let a = run_with("two_list", &format!("J_N = [{}]", two.join(", ")));
    let b = run_with(
        "two_regions",
        &format!("J_N = {{ default = 0.2609, regions = {{ rM1 = 0.3, \"{lm1}\" = 0.35 }} }}"),
    );
    assert_eq!(a, b, "regions table and list differ");
    assert_ne!(a, list);
    // the same value everywhere is the plain value
    let same = run_with("same", &format!("J_N = [{}]", vec!["0.3"; 76].join(", ")));
    let plain = run_with("plain", "J_N = 0.3");
    assert_eq!(same, plain);
}

/// An observable (an expression of the state declared in the model) is
/// recorded like a state variable: `variables = ["V", "V - W"]` records V
/// and V − W, computed from the same state as a run recording V and W.
#[test]
fn observables_are_recorded_like_state_variables() {
    let dir = tempfile::tempdir().unwrap();
    let decl = std::fs::read_to_string(root().join("models/decl/Generic2dOscillator.toml"))
        .unwrap()
        .replace("name = \"Generic2dOscillator\"", "name = \"Observed\"")
        + "\n[observables]\n\"V - W\" = \"V - W\"\n";
    write(dir.path(), "observed.toml", &decl);
    let graph = std::fs::read_to_string(root().join("graphs/tvb_g2d76.toml"))
        .unwrap()
        .replace("duration_ms = 1000.0", "duration_ms = 50.0")
        .replace(
            "model = \"Generic2dOscillator\"",
            "model = \"observed.toml\"",
        );
    let both = write(
        dir.path(),
        "both.toml",
        &graph.replace("variables = [\"V\"]", "variables = [\"V\", \"W\"]"),
    );
    let obs = write(
        dir.path(),
        "obs.toml",
        &graph.replace("variables = [\"V\"]", "variables = [\"V\", \"V - W\"]"),
    );
    run(&both, &dir.path().join("a"), &[]).unwrap();
    run(&obs, &dir.path().join("b"), &[]).unwrap();
    let (sa, a, _) = read_h5(&dir.path().join("a/raw.h5"));
    let (sb, b, _) = read_h5(&dir.path().join("b/raw.h5"));
    assert_eq!(sa, sb);
    let n = 76;
    for s in 0..sa[0] {
        for i in 0..n {
            let (v, w) = (a[(s * 2) * n + i], a[(s * 2 + 1) * n + i]);
            assert_eq!(b[(s * 2) * n + i].to_bits(), v.to_bits());
            assert_eq!(
                b[(s * 2 + 1) * n + i].to_bits(),
                (v - w).to_bits(),
                "sample {s} region {i}"
            );
        }
    }
    // an unknown variable names the observables too
    let bad = write(
        dir.path(),
        "bad.toml",
        &graph.replace("variables = [\"V\"]", "variables = [\"V + W\"]"),
    );
    let err = String::from_utf8_lossy(&bs().arg("validate").arg(&bad).output().unwrap().stderr)
        .to_string();
    assert!(
        err.contains("no state variable or observable `V + W`") && err.contains("V - W"),
        "{err}"
    );
}

/// The shipped Epileptor graph shows what it says: from the resting state,
/// the epileptogenic zone (lPHC, lHC, lAMYG, x0 = −1.6) seizes, the
/// propagation zone (lTCI, lTCV, x0 = −1.8) is recruited, and healthy
/// regions (rA1, lA1) stay at rest; x2 − x1 is recorded as an observable
/// (a seizure drives it from about 0.8 at rest to below −1).
#[test]
fn the_epileptor_graph_shows_a_seizure_and_its_propagation() {
    let dir = tempfile::tempdir().unwrap();
    run(
        &root().join("graphs/epileptor76.toml"),
        dir.path(),
        &["simulation.duration_ms=1500"],
    )
    .unwrap();
    let (shape, data, time) = read_h5(&dir.path().join("tavg.h5"));
    let (nt, nv, n) = (shape[0], shape[1], shape[2]);
    assert_eq!((nv, n), (2, 76));
    assert!(
        nt >= 1400 && time[nt - 1] <= 1500.0 + 1e-9,
        "{nt} {:?}",
        time.last()
    );
    let lowest = |region: usize| {
        (0..nt)
            .map(|s| data[(s * nv) * n + region])
            .fold(f64::INFINITY, f64::min)
    };
    // lPHC 62, lHC 47, lAMYG 40 (epileptogenic), lTCI 69, lTCV 72 (propagation)
    for r in [62, 47, 40, 69, 72] {
        assert!(lowest(r) < -1.0, "region {r} did not seize: {}", lowest(r));
    }
    // rA1 0, lA1 38: healthy
    for r in [0, 38] {
        assert!(lowest(r) > 0.5, "region {r} left rest: {}", lowest(r));
    }
    // the first samples are at rest everywhere (the graph's initial state)
    for (r, v) in data.iter().enumerate().take(n) {
        assert!((v - 0.78).abs() < 0.1, "region {r} starts at {v}");
    }
}

/// The files of `dir` (not its folders), by name, with their size and
/// modification time.
fn listing(dir: &std::path::Path) -> Vec<(String, u64, std::time::SystemTime)> {
    let mut v: Vec<_> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap())
        .filter(|e| e.file_type().unwrap().is_file())
        .map(|e| {
            let m = e.metadata().unwrap();
            (
                e.file_name().to_string_lossy().into_owned(),
                m.len(),
                m.modified().unwrap(),
            )
        })
        .collect();
    v.sort();
    v
}

fn run_into(out: &std::path::Path, args: &[&str]) -> std::process::Output {
    bs().args(["run", "graphs/tvb_rww76.toml", "-q", "--out"])
        .arg(out)
        .args(args)
        .current_dir(root())
        .output()
        .unwrap()
}

/// `--out` holding another run's files: refused before anything is
/// written, naming the folder and the files; the same run again rewrites
/// its own; `--force` writes over them; a user's own file there is neither
/// counted, nor listed, nor removed.
#[test]
fn an_out_folder_holding_another_runs_files_is_refused_unless_forced() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("o");
    std::fs::create_dir(&out).unwrap();
    std::fs::write(out.join("notes.txt"), "mine").unwrap();
    // a user's file alone does not count
    let o = run_into(&out, &["--set", "simulation.duration_ms=20"]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let record = std::fs::read_to_string(out.join(".brainstream-run")).unwrap();
    assert!(
        record.contains("\"raw.h5\"") && !record.contains("notes.txt"),
        "{record}"
    );
    // the same run again
    let o = run_into(&out, &["--set", "simulation.duration_ms=20"]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    // another: refused, nothing touched
    let before = listing(&out);
    let o = run_into(&out, &["--set", "simulation.duration_ms=10"]);
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(!o.status.success());
    assert!(
        err.starts_with(&format!("error: {} holds another run", out.display()))
            && err.contains("raw.h5, tavg_rec.h5")
            && !err.contains("notes.txt")
            && err.contains("--force"),
        "{err}"
    );
    assert_eq!(listing(&out), before);
    // validate --out says a run would be refused
    let v = bs()
        .args([
            "validate",
            "graphs/tvb_rww76.toml",
            "--set",
            "simulation.duration_ms=10",
            "--out",
        ])
        .arg(&out)
        .current_dir(root())
        .output()
        .unwrap();
    assert!(v.status.success());
    assert!(
        String::from_utf8_lossy(&v.stderr).contains("warning: a run would be refused"),
        "{}",
        String::from_utf8_lossy(&v.stderr)
    );
    // --force: written over, the user's file kept
    let o = run_into(&out, &["--set", "simulation.duration_ms=10", "--force"]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert!(String::from_utf8_lossy(&o.stderr)
        .contains("--force: files of the same names are replaced"));
    assert_eq!(
        std::fs::read_to_string(out.join("notes.txt")).unwrap(),
        "mine"
    );
    let (shape, _, _) = read_h5(&out.join("raw.h5"));
    assert_eq!(shape[0], 100);

    // files written without a record (the library, the Python package):
    // brainstream's HDF5 files are recognised
    let lib = dir.path().join("lib");
    run(
        &root().join("graphs/tvb_rww76.toml"),
        &lib,
        &["simulation.duration_ms=10"],
    )
    .unwrap();
    let o = run_into(&lib, &["--set", "simulation.duration_ms=10"]);
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        !o.status.success()
            && err.contains("HDF5 files brainstream wrote")
            && err.contains("raw.h5"),
        "{err}"
    );
    // a sweep's folder
    let sweep = dir.path().join("sweep");
    std::fs::create_dir(&sweep).unwrap();
    std::fs::write(
        sweep.join("rows.jsonl"),
        "{\"brainstream_sweep\":1,\"hash\":\"0\",\"sweep_file\":\"s.toml\",\"columns\":[]}\n",
    )
    .unwrap();
    let o = run_into(&sweep, &["--set", "simulation.duration_ms=10"]);
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        !o.status.success() && err.contains("a sweep's files (of s.toml)"),
        "{err}"
    );
    assert_eq!(listing(&sweep).len(), 1, "nothing written");
}

fn small_sweep(dir: &std::path::Path) -> std::path::PathBuf {
    write(dir, "s.toml", &format!(
        "graph = \"{}\"\nduration_ms = 60.0\ntransient_ms = 20.0\n[[axes]]\nparam = \"coupling_params.a\"\nvalues = [0.0, 0.01]\n[analysis]\nfcd_window_ms = 10.0\nfcd_step_ms = 5.0\n",
        root().join("graphs/tvb_g2d76.toml").display()
    ))
}

fn sweep_cmd(file: &std::path::Path, out: &std::path::Path, args: &[&str]) -> std::process::Output {
    bs().arg("sweep")
        .arg(file)
        .args(["--backend", "cpu", "-q", "--out"])
        .arg(out)
        .args(args)
        .output()
        .unwrap()
}

/// `sweep --set` overrides the sweep file's keys and, prefixed `graph.`,
/// its graph's; both are part of the sweep's identity (resumed with the
/// same, refused without, started afresh with --force) and recorded in
/// sweep.h5; a bad one names its key and the override.
#[test]
fn sweep_takes_set_on_its_keys_and_on_its_graph() {
    let dir = tempfile::tempdir().unwrap();
    let file = small_sweep(dir.path());
    let out = dir.path().join("o");
    let sets = [
        "--set",
        "axes.0.values=[0.0, 0.01, 0.02]",
        "--set",
        "graph.simulation.dt_ms=0.05",
    ];
    let o = sweep_cmd(&file, &out, &sets);
    let stdout = String::from_utf8_lossy(&o.stdout);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert!(
        stdout.contains("3 combinations (3 run now, 0 found done)"),
        "{stdout}"
    );
    let f = open_h5(&out.join("sweep.h5"));
    let attr = |n: &str| {
        f.attr(n)
            .unwrap()
            .read_scalar::<hdf5::types::VarLenUnicode>()
            .unwrap()
            .to_string()
    };
    assert!(attr("sweep").ends_with("# --set axes.0.values=[0.0, 0.01, 0.02]"));
    assert!(attr("graph").ends_with("# --set simulation.dt_ms=0.05"));
    drop(f);
    let o = sweep_cmd(&file, &out, &sets);
    let stdout = String::from_utf8_lossy(&o.stdout);
    assert!(
        stdout.contains("3 combinations (0 run now, 3 found done)")
            && stdout.contains("backend cpu (1 thread)"),
        "{stdout}"
    );
    // without the overrides it is another sweep
    let o = sweep_cmd(&file, &out, &[]);
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        !o.status.success()
            && err.contains("holds the rows of another sweep")
            && err.contains("--force"),
        "{err}"
    );
    let o = sweep_cmd(&file, &out, &["--force"]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert!(String::from_utf8_lossy(&o.stdout).contains("2 combinations (2 run now, 0 found done)"));
    // bad overrides
    for (set, want) in [
        ("transient_ms=-1", "transient_ms: -1 ms is not a non-negative multiple of dt = 0.1 ms (set by --set transient_ms=-1)"),
        ("axes.0.param=model_params.nope", "axes[0].param: Generic2dOscillator has no parameter `nope`"),
        ("axes.3.param=x", "--set axes.3.param=x: index 3 is out of range"),
        ("graph.simulation.dt_ms=-1", "simulation.dt_ms"),
    ] {
        let o = sweep_cmd(&file, &dir.path().join("bad"), &["--set", set]);
        let err = String::from_utf8_lossy(&o.stderr);
        assert!(!o.status.success() && err.contains(want), "{set}: {err}");
        assert!(!err.contains("panicked"), "{err}");
    }
    assert!(!dir.path().join("bad").exists());
    // a sweep into a run's folder
    let run_out = dir.path().join("run");
    let o = run_into(&run_out, &["--set", "simulation.duration_ms=10"]);
    assert!(o.status.success());
    let o = sweep_cmd(&file, &run_out, &[]);
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        !o.status.success() && err.contains("holds another run's files (of graphs/tvb_rww76.toml)"),
        "{err}"
    );
    assert!(!run_out.join("rows.jsonl").exists());
}

/// `sweep --dry-run`: the combinations, a time from a calibration run and
/// the disk needed; nothing written.
#[test]
fn sweep_dry_run_estimates_and_writes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let file = small_sweep(dir.path());
    let out = dir.path().join("o");
    let o = sweep_cmd(
        &file,
        &out,
        &[
            "--dry-run",
            "--threads",
            "2",
            "--set",
            "axes.0.values=[0.0, 0.01, 0.02]",
        ],
    );
    let stdout = String::from_utf8_lossy(&o.stdout);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert!(
        stdout.contains("3 combinations over coupling_params.a (3 values)"),
        "{stdout}"
    );
    assert!(
        stdout.contains("calibration: ") && stdout.contains("per combination on one thread"),
        "{stdout}"
    );
    assert!(
        stdout.contains("estimated time: about ") && stdout.contains("with 2 threads"),
        "{stdout}"
    );
    assert!(
        stdout.contains("disk needed: about ") && stdout.contains("kB"),
        "{stdout}"
    );
    assert!(stdout.contains("nothing was written"), "{stdout}");
    assert!(!out.exists());
    // a resumed sweep: what is left
    let o = sweep_cmd(&file, &out, &[]);
    assert!(o.status.success());
    let o = sweep_cmd(&file, &out, &["--dry-run"]);
    let stdout = String::from_utf8_lossy(&o.stdout);
    assert!(
        stdout.contains("holds 2 of this sweep already: 0 left"),
        "{stdout}"
    );
}

/// `validate` recognises a sweep file: all its checks (and its graph's),
/// its errors located in it.
#[test]
fn validate_checks_a_sweep_file() {
    let dir = tempfile::tempdir().unwrap();
    let file = small_sweep(dir.path());
    let o = bs().arg("validate").arg(&file).output().unwrap();
    let stdout = String::from_utf8_lossy(&o.stdout);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert!(
        stdout.contains("ok — sweep of")
            && stdout.contains("2 combinations over coupling_params.a"),
        "{stdout}"
    );
    let o = bs()
        .arg("validate")
        .arg(&file)
        .args([
            "--set",
            "graph.simulation.duration_ms=120",
            "--set",
            "duration_ms=120",
        ])
        .output()
        .unwrap();
    assert!(
        String::from_utf8_lossy(&o.stdout).contains("120 ms each (1200 steps of 0.1 ms)"),
        "{}",
        String::from_utf8_lossy(&o.stdout)
    );
    let o = bs()
        .arg("validate")
        .arg(&file)
        .args(["--set", "axes.0.values=[0.0]"])
        .output()
        .unwrap();
    assert!(
        String::from_utf8_lossy(&o.stdout).contains(": 1 combination over coupling_params.a,"),
        "{}",
        String::from_utf8_lossy(&o.stdout)
    );
    let text = std::fs::read_to_string(&file).unwrap();
    let bad = write(
        dir.path(),
        "bad.toml",
        &text.replace("transient_ms", "trasient_ms"),
    );
    let o = bs().arg("validate").arg(&bad).output().unwrap();
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(!o.status.success());
    assert!(
        err.contains("bad.toml:3:1: trasient_ms: unknown field `trasient_ms`"),
        "{err}"
    );
    let bad = write(
        dir.path(),
        "bad2.toml",
        &text.replace("coupling_params.a", "coupling_params.zz"),
    );
    let o = bs().arg("validate").arg(&bad).output().unwrap();
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        !o.status.success() && err.contains("bad2.toml:5:") && err.contains("axes[0].param"),
        "{err}"
    );
}

/// `list NAME` shows one kind or model; `list --json` is the documented
/// document, all or one.
#[test]
fn list_shows_one_entry_and_json_for_tools() {
    let l = |args: &[&str]| bs().arg("list").args(args).output().unwrap();
    let o = l(&["ReducedWongWang"]);
    let t = String::from_utf8_lossy(&o.stdout);
    assert!(o.status.success());
    assert!(t.starts_with("model (mean_field.model"), "{t}");
    assert!(
        t.contains("S          1      initial values in [0, 1], coupled"),
        "{t}"
    );
    assert!(
        t.contains("coupled variables: S") && t.contains("observables: none"),
        "{t}"
    );
    assert!(t.contains("J_N            = 0.2609       nA"), "{t}");
    assert!(
        t.contains("tau_s          = 100          ms     in [50, 150] (refused below 0)"),
        "{t}"
    );
    assert!(!t.contains("mean_field —"), "only the model: {t}");
    let o = l(&["Epileptor"]);
    assert!(
        String::from_utf8_lossy(&o.stdout).contains("observables: x2 - x1"),
        "{}",
        String::from_utf8_lossy(&o.stdout)
    );
    let o = l(&["hdf5_recorder"]);
    let t = String::from_utf8_lossy(&o.stdout);
    assert!(
        t.starts_with("actor kind") && t.contains("input  input") && t.contains("param  flush_s"),
        "{t}"
    );
    assert!(!t.contains("ReducedWongWang —"), "{t}");
    let o = l(&["reducedwongwang"]);
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        !o.status.success() && err.contains("(did you mean `ReducedWongWang`?)"),
        "{err}"
    );

    let all: serde_json::Value = serde_json::from_slice(&l(&["--json"]).stdout).unwrap();
    assert_eq!(all["format"], 1);
    let kind = |n: &str| {
        all["kinds"]
            .as_array()
            .unwrap()
            .iter()
            .find(|k| k["name"] == n)
            .cloned()
            .unwrap()
    };
    let mf = kind("mean_field");
    assert!(mf["inputs"]
        .as_array()
        .unwrap()
        .iter()
        .any(|p| p["name"] == "proxy" && p["type"] == "series"));
    let model = mf["params"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["name"] == "model")
        .unwrap();
    assert_eq!(model["default"], "ReducedWongWang");
    assert_eq!(model["required"], false);
    assert!(all["models"].as_array().unwrap().len() >= 24);
    assert!(all["integrators"]
        .as_array()
        .unwrap()
        .iter()
        .any(|i| i["name"] == "HeunStochastic" && i["stochastic"] == true));
    let one: serde_json::Value =
        serde_json::from_slice(&l(&["--json", "ReducedWongWang"]).stdout).unwrap();
    assert_eq!(one["kinds"].as_array().unwrap().len(), 0);
    let m = &one["models"][0];
    assert_eq!(m["name"], "ReducedWongWang");
    assert_eq!(
        m["state_variables"][0],
        serde_json::json!({"name": "S", "unit": "1", "coupled": true, "initial_range": [0.0, 1.0]})
    );
    assert_eq!(m["coupled"], serde_json::json!(["S"]));
    let tau = m["params"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["name"] == "tau_s")
        .unwrap();
    assert_eq!(tau["unit"], "ms");
    assert_eq!(tau["range"], serde_json::json!([50.0, 150.0]));
    assert_eq!(tau["limits"], serde_json::json!([0.0, null]));
}

/// An external process's notice (a slow one-time step: building the NEST
/// adapter) is shown as it comes, not only in its log.
#[test]
fn an_external_processs_notice_of_a_slow_step_is_shown() {
    let dir = tempfile::tempdir().unwrap();
    let g = std::fs::read_to_string(root().join("graphs/cosim_wc76_nest.toml")).unwrap();
    let g = g.replace(
        "command = [\"python3\", \"../examples/external/wc76_nest.py\"]",
        "command = [\"sh\", \"-c\", \"echo 'brainstream-notice: building the adapter (one time)' >&2; exit 3\"]",
    );
    assert!(g.contains("brainstream-notice"));
    let g = write(dir.path(), "g.toml", &g);
    let o = bs()
        .args(["run", "--set", "simulation.duration_ms=10", "--out"])
        .arg(dir.path().join("o"))
        .arg(&g)
        .env_remove("RUST_LOG")
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(!o.status.success());
    let note = err.find("note: net: building the adapter (one time)\n");
    let error = err.find("error: actor `net`");
    assert!(note.is_some() && error.is_some() && note < error, "{err}");
}

/// `graph` without a format says which exist.
#[test]
fn graph_without_a_format_names_the_formats() {
    let o = bs()
        .args(["graph", "graphs/tvb_rww76.toml"])
        .current_dir(root())
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(!o.status.success() && o.stdout.is_empty());
    assert!(
        err.contains("--dot prints Graphviz DOT, the only format for now")
            && err.contains("dot -Tsvg"),
        "{err}"
    );
}

/// A partition's warnings and notices reach the user, once, named by the
/// partition (issue 19): an external process's notice in partition `ext`
/// is shown as it comes (before the error), and not again in a failed
/// partition's last messages; a parameter outside its documented range,
/// which every partition reads with the graph, is warned about once.
#[test]
fn the_launcher_relays_its_partitions_warnings_and_notices_once() {
    let dir = tempfile::tempdir().unwrap();
    let g = std::fs::read_to_string(root().join("graphs/cosim_wc76_nest.toml")).unwrap();
    let g = g
        .replace(
            "command = [\"python3\", \"../examples/external/wc76_nest.py\"]",
            "command = [\"sh\", \"-c\", \"echo 'brainstream-notice: building the adapter (one time)' >&2; sleep 0.5; exit 3\"]",
        )
        .replace("[actors.net]\n", "[actors.net]\nprocess = \"ext\"\n")
        .replace(
            "[actors.brain]\n",
            "[actors.brain]\nprocess = \"brain\"\n",
        )
        .replace("model_params = { P = 1.25 }", "model_params = { P = 1.25, tau_e = 200.0 }");
    assert!(g.contains("brainstream-notice") && g.contains("process = \"ext\""));
    assert!(
        g.contains("tau_e = 200.0"),
        "the graph's WC parameters moved"
    );
    let g = write(dir.path(), "g.toml", &g);
    let o = bs()
        .args(["run", "--set", "simulation.duration_ms=10", "--out"])
        .arg(dir.path().join("o"))
        .arg(&g)
        .env_remove("RUST_LOG")
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(!o.status.success(), "{err}");
    // shown once as a notice (the error's chain quotes the command and
    // its stderr, which hold the words too)
    assert_eq!(
        err.matches("note: net: building the adapter").count(),
        1,
        "{err}"
    );
    let note = err.find("partition `ext`: note: net: building the adapter (one time)\n");
    let error = err.find("error: partition `");
    assert!(note.is_some() && error.is_some() && note < error, "{err}");
    assert_eq!(err.matches("tau_e = 200").count(), 1, "{err}");
    // the partition's log has it all
    let log = std::fs::read_to_string(dir.path().join("o/partition-ext.log")).unwrap();
    assert!(
        log.contains("note: net: building the adapter") && !log.contains('\u{1b}'),
        "{log}"
    );
}

// The command-line tutorials, in this binary (one link instead of two)
#[path = "parts/tutorials.rs"]
mod tutorials;

// The live view in headless Chromium, steering and replay (issue 25)
#[path = "parts/live_view.rs"]
mod live_view;

// Checkpoints and `brainstream resume` (issue 25)
#[path = "parts/checkpoint.rs"]
mod checkpoint;
#[path = "parts/steering.rs"]
mod steering;

// Steering from an actor's `control` input, its events and replay (issue 25)
#[path = "parts/closed_loop.rs"]
mod closed_loop;
