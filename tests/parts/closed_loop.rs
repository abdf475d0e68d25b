//! Steering from an actor's `control` input (issue 25): a controller that
//! reads the mean field's state changes its coupling between windows, every
//! change is in steering.jsonl with its source, `--replay` gives the run
//! again bit for bit without the controller; control edges that cannot work
//! are refused at load, by name.

use super::common::*;

/// RWW on the 76-region connectome, 300 ms in windows of 10 ms, whose
/// coupling `a` a proportional controller sets from the mean of S over
/// every region each window, over a 10 ms edge ([`rww_control_loop`]);
/// `extra`: more actors or edges.
pub(crate) fn loop_graph(extra: &str) -> String {
    rww_control_loop(
        300.0,
        r#"kind = "proportional_control"
key = "coupling_params.a"
variable = "S"
setpoint = 0.45
gain = -0.1
initial = 0.0042
min = 0.0
max = 0.05
"#,
        "\n[[edges]]\nfrom = \"brain.state\"\nto = \"ctrl.input\"\n",
    ) + extra
}

fn run_graph(graph: &std::path::Path, out: &std::path::Path, more: &[&str]) -> String {
    let o = bs()
        .args(["run", "-q", "--out"])
        .arg(out)
        .arg(graph)
        .args(more)
        .current_dir(root())
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&o.stderr).to_string();
    assert!(o.status.success(), "{err}");
    err
}

fn events(path: &std::path::Path) -> Vec<serde_json::Value> {
    std::fs::read_to_string(path)
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()))
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

#[test]
fn a_controller_steers_the_coupling_and_the_replay_needs_no_controller() {
    let dir = tempfile::tempdir().unwrap();
    let g = write(dir.path(), "loop.toml", &loop_graph(""));
    let (a, b, c) = (
        dir.path().join("a"),
        dir.path().join("b"),
        dir.path().join("c"),
    );
    run_graph(&g, &a, &[]);
    let (shape, raw, _) = read_h5(&a.join("raw.h5"));
    assert_eq!(shape, vec![3000, 1, 76, 1]);
    // window w's mean of S over its 100 samples and the 76 regions, summed
    // as the controller sums (sample by sample, region by region)
    let mean = |w: usize| {
        let mut s = 0.0;
        for k in w * 100..(w + 1) * 100 {
            for i in 0..76 {
                s += raw[k * 76 + i];
            }
        }
        s / 7600.0
    };
    let ev = events(&a.join("steering.jsonl"));
    // a change made from window w is stamped at window w + 1's first step,
    // arrives 10 ms later and applies before window w + 2
    assert!(ev.len() >= 10, "{ev:?}");
    let mut old = 0.0042;
    let mut distinct = std::collections::BTreeSet::new();
    for (j, e) in ev.iter().enumerate() {
        assert_eq!(e["key"], "brain.coupling_params.a", "{e}");
        assert_eq!(e["source"], "control:ctrl.control", "{e}");
        let w = e["window"].as_u64().unwrap() as usize;
        assert!((2..30).contains(&w), "{e}");
        if j > 0 {
            assert!(w > ev[j - 1]["window"].as_u64().unwrap() as usize, "{ev:?}");
        }
        let new = e["new"].as_f64().unwrap();
        let want = (0.0042 - 0.1 * (mean(w - 2) - 0.45)).clamp(0.0, 0.05);
        assert!(
            (new - want).abs() <= 1e-12,
            "window {w}: steered to {new}, the controller's law gives {want}"
        );
        assert_eq!(
            e["old"].as_f64().unwrap().to_bits(),
            f64::to_bits(old),
            "{e}"
        );
        old = new;
        distinct.insert(new.to_bits());
    }
    assert!(distinct.len() >= 5, "the loop hardly moved: {ev:?}");

    // replayed without the controller: the same bits, the same changes
    let err = run_graph(
        &g,
        &b,
        &["--replay", a.join("steering.jsonl").to_str().unwrap()],
    );
    assert!(
        err.contains("--replay: left out the controller ctrl"),
        "{err}"
    );
    let (_, replayed, _) = read_h5(&b.join("raw.h5"));
    assert!(bits(&raw) == bits(&replayed), "the replay differs");
    let again = events(&b.join("steering.jsonl"));
    assert_eq!(again.len(), ev.len());
    for (x, y) in ev.iter().zip(&again) {
        assert_eq!(y["source"], "replay");
        for k in ["window", "key", "old", "new"] {
            assert_eq!(x[k], y[k], "{x} vs {y}");
        }
    }
    // no change replayed: the run without the loop, which differs
    let none = write(dir.path(), "none.jsonl", "");
    run_graph(&g, &c, &["--replay", none.to_str().unwrap()]);
    let (_, open, _) = read_h5(&c.join("raw.h5"));
    assert!(bits(&raw) != bits(&open), "the controller changed nothing");
    assert!(!c.join("steering.jsonl").exists());
}

fn refused(text: &str) -> String {
    let dir = tempfile::tempdir().unwrap();
    let g = write(dir.path(), "bad.toml", text);
    let o = bs().arg("validate").arg(&g).output().unwrap();
    let err = String::from_utf8_lossy(&o.stderr).to_string();
    assert!(!o.status.success(), "accepted: {text}");
    err
}

#[test]
fn control_edges_that_cannot_work_are_refused_at_load() {
    // into an actor whose kind takes no control
    let err = refused(&loop_graph(
        "[[edges]]\nfrom = \"ctrl.control\"\nto = \"raw.control\"\ndelay_ms = 10.0\n",
    ));
    assert!(
        err.contains("`raw` (hdf5_recorder) cannot be steered: its kind has no `control` input")
            && err
                .contains("kinds with a `control` input: mean_field, poisson_generator, spiking_network, stimulus"),
        "{err}"
    );
    // a series into a control input, and changes into a series input
    let err = refused(
        &loop_graph("")
            .replace("to = \"ctrl.input\"", "to = \"brain.control\"")
            .replace(
                "from = \"ctrl.control\"\nto = \"brain.control\"",
                "from = \"ctrl.control\"\nto = \"raw.input\"",
            )
            .replace(
                "[[edges]]\nfrom = \"brain.state\"\nto = \"raw.input\"\n",
                "",
            ),
    );
    assert!(
        err.contains("type mismatch: `brain.state` sends series but `brain.control` takes control")
            && err.contains(
                "type mismatch: `ctrl.control` sends control but `raw.input` takes series"
            ),
        "{err}"
    );
    // a key the target cannot change
    let err = refused(
        &loop_graph("").replace("key = \"coupling_params.a\"", "key = \"speed_mm_per_ms\""),
    );
    // a value that is not a finite number stops the run, naming it
    let dir = tempfile::tempdir().unwrap();
    let g = write(
        dir.path(),
        "inf.toml",
        &loop_graph("")
            .replace("setpoint = 0.45", "setpoint = -1e308")
            .replace("gain = -0.1", "gain = 1e308")
            .replace("max = 0.05\n", ""),
    );
    let o = bs()
        .args(["run", "-q", "--out"])
        .arg(dir.path().join("o"))
        .arg(&g)
        .output()
        .unwrap();
    let e = String::from_utf8_lossy(&o.stderr);
    assert!(
        !o.status.success()
            && e.contains("actor `brain` failed in window 2 (t = 20 ms): control input (from `ctrl.control`) before window 2: `coupling_params.a` = inf (stamp 200) is not a finite number"),
        "{e}"
    );
    assert!(
        err.contains("`ctrl.control` sends `speed_mm_per_ms`, which `brain` (mean_field) cannot change during a run: the delays are whole steps of the history, fixed when the run starts; these can: coupling_params.a, coupling_params.b, model_params.{"),
        "{err}"
    );
}
