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
