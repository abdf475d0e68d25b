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
    assert!(
        stderr.contains("progress: 100% (300.0 of 300.0 ms simulated)"),
        "{stderr}"
    );
    assert!(stdout.contains("simulated 300.0 ms in"), "{stdout}");
    assert!(stdout.contains("real-time factor"), "{stdout}");
    assert!(stdout.contains("raw.h5"), "{stdout}");
    let quiet = bs()
        .args(["run", "graphs/tvb_rww76.toml", "-q", "--out"])
        .arg(dir.path())
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
    assert!(nt >= 1400 && time[nt - 1] <= 1500.0 + 1e-9, "{nt} {:?}", time.last());
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
    for r in 0..n {
        assert!((data[r] - 0.78).abs() < 0.1, "region {r} starts at {}", data[r]);
    }
}
