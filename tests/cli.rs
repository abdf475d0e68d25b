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
fn sweep_runs_resumes_and_refuses_a_model_without_gpu_kernel() {
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
    // ReducedWongWang has no GPU kernel: the Vulkan backend refuses it first
    let rww = write(dir.path(), "r.toml", &format!(
            "graph = \"{}\"\nduration_ms = 60.0\ntransient_ms = 20.0\n[[axes]]\nparam = \"coupling_params.a\"\nvalues = [0.0]\n[analysis]\nfcd = false\n",
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
