//! An external actor closes the loop (issue 25): its `control` output,
//! keys declared in `control_keys`, steers the mean field's coupling between
//! windows like `proportional_control` does — the changes are in
//! steering.jsonl with their source, the recording changes from the window
//! they apply on, `--replay` gives the run again without the external
//! process, and keys the target cannot change are refused at load by name.

use super::*;

/// RWW on the 76-region connectome, 100 ms in windows of 10 ms, whose
/// coupling `a` the external tests/external/controller.py sets over a 10 ms
/// edge from its `schedule` ([`rww_control_loop`]), its `control_keys`
/// line `keys`.
fn graph(dir: &Path, name: &str, keys: &str, schedule: &str) -> PathBuf {
    let script = root().join("tests/external/controller.py");
    let ctrl = format!(
        "kind = \"external\"\ncommand = [\"python3\", \"{}\"]\nregions = [\"ctrl\"]\npopulations = {{ E = 1 }}\n{keys}\nconfig = {{ schedule = {schedule} }}\n",
        script.display()
    );
    write(dir, name, &rww_control_loop(100.0, &ctrl, ""))
}

fn ok(o: Output) -> String {
    let err = stderr(&o);
    assert!(o.status.success(), "{err}");
    err
}

#[test]
fn an_external_actor_steers_the_coupling_through_its_control_output() {
    let Some(bin) = python("") else { return };
    let dir = tempfile::tempdir().unwrap();
    let keys = "control_keys = [\"coupling_params.a\"]";
    let steered = graph(
        dir.path(),
        "steered.toml",
        keys,
        "{ \"2\" = 0.03, \"5\" = 0.0 }",
    );
    let still = graph(dir.path(), "still.toml", keys, "{}");
    let (a, b, c) = (
        dir.path().join("a"),
        dir.path().join("b"),
        dir.path().join("c"),
    );
    ok(bs_run(&bin, &steered, &a, &["-q"]));
    ok(bs_run(&bin, &still, &b, &["-q"]));

    // sent in window 2 stamped at step 300, + 100 steps of delay: applied
    // before window 4; window 5's before window 7
    let ev: Vec<serde_json::Value> = std::fs::read_to_string(a.join("steering.jsonl"))
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(
        ev,
        vec![
            serde_json::json!({"window": 4, "key": "brain.coupling_params.a", "old": 0.0042, "new": 0.03, "source": "control:ctrl.control"}),
            serde_json::json!({"window": 7, "key": "brain.coupling_params.a", "old": 0.03, "new": 0.0, "source": "control:ctrl.control"}),
        ]
    );
    // only NaN sent: nothing steered
    let none = std::fs::read_to_string(b.join("steering.jsonl")).unwrap_or_default();
    assert!(none.trim().is_empty(), "{none}");

    // the same run until window 4, another from there
    let (shape, sa, _) = read_h5(&a.join("raw.h5"));
    let (_, sb, _) = read_h5(&b.join("raw.h5"));
    assert_eq!(shape, vec![1000, 1, 76, 1]);
    let at = 400 * 76;
    assert_eq!(bits(&sa[..at]), bits(&sb[..at]));
    let differ = (at..sa.len()).filter(|&i| sa[i] != sb[i]).count();
    assert!(
        differ > 1000,
        "the steered coupling changed {differ} values"
    );

    // replayed: the external process is left out, the same bits
    let err = ok(bs_run(
        &bin,
        &steered,
        &c,
        &["-q", "--replay", a.join("steering.jsonl").to_str().unwrap()],
    ));
    assert!(err.contains("left out the controller ctrl"), "{err}");
    assert!(!c.join("ctrl.log").exists());
    let (_, sc, _) = read_h5(&c.join("raw.h5"));
    assert_eq!(bits(&sa), bits(&sc));
}

#[test]
fn an_external_control_output_is_checked_by_name() {
    let Some(bin) = python("") else { return };
    let dir = tempfile::tempdir().unwrap();
    // a key the mean field cannot change: refused at load
    let g = graph(
        dir.path(),
        "bad_key.toml",
        "control_keys = [\"coupling_params.x\"]",
        "{}",
    );
    let err = refused(&bin, &g, &dir.path().join("a"));
    assert!(
        err.contains("`ctrl.control` sends `coupling_params.x`, which `brain` (mean_field) cannot change during a run; these can:"),
        "{err}"
    );
    assert!(!dir.path().join("a/ctrl.log").exists(), "{err}");
    // the external side serves `control`, the graph does not say what it sends
    let g = graph(dir.path(), "no_keys.toml", "", "{}");
    let err = refused(&bin, &g, &dir.path().join("b"));
    assert!(
        err.contains("the external side serves `control`, but the graph does not declare what it sends: give `control_keys`"),
        "{err}"
    );
}
