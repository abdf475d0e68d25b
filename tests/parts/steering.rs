//! Steering a served run between windows (`brainstream steer`), its events
//! file, and `--replay` giving the steered run again bit for bit; pacing
//! to the wall clock (`--realtime`) and its lag report.

use super::common::*;
use super::live_view::{http, wait_for_samples, Served};
use std::time::{Duration, Instant};

fn steer(url: &str, args: &[&str]) -> (bool, String, String) {
    let o = bs().arg("steer").arg(url).args(args).output().unwrap();
    (
        o.status.success(),
        String::from_utf8_lossy(&o.stdout).to_string(),
        String::from_utf8_lossy(&o.stderr).to_string(),
    )
}

/// `/data` of raw.h5, as bits.
fn raw_bits(dir: &std::path::Path) -> Vec<u64> {
    read_h5(&dir.join("raw.h5"))
        .1
        .iter()
        .map(|x| x.to_bits())
        .collect()
}

#[test]
fn a_steered_run_is_replayed_bit_for_bit() {
    let dir = tempfile::tempdir().unwrap();
    let (a, b, c) = (
        dir.path().join("a"),
        dir.path().join("b"),
        dir.path().join("c"),
    );
    let set = [
        "--set",
        "simulation.duration_ms=600",
        "--set",
        "simulation.sync_ms=10",
    ];
    let mut args = vec!["graphs/tvb_rww76.toml", "--out", a.to_str().unwrap()];
    args.extend(set);
    args.extend(["--realtime", "--serve-linger", "60"]);
    let mut run = Served::start(&args);
    wait_for_samples(&run, 100);
    // paused, so that both changes apply before one window
    let (ok, said, err) = steer(&run.url, &["--pause"]);
    assert!(ok, "{err}");
    assert_eq!(said.trim(), "paused");
    // refusals name the key and say what can change
    let (ok, _, err) = steer(&run.url, &["brain.model_params.w=0.5"]);
    assert!(!ok);
    assert!(
        err.contains("`brain.model_params.w`: `model_params.w` of `brain` (mean_field) cannot change during a run; these can: coupling_params.a, coupling_params.b"),
        "{err}"
    );
    let (ok, _, err) = steer(&run.url, &["raw.x=1"]);
    assert!(
        !ok && err.contains(
            "`raw.x`: actor `raw` (hdf5_recorder) has no parameter that can change during a run"
        ),
        "{err}"
    );
    let (ok, _, err) = steer(&run.url, &["nobody.a=1"]);
    assert!(
        !ok && err.contains("no actor `nobody` in this graph (actors: brain, raw, tavg, tavg_rec)"),
        "{err}"
    );
    let (ok, _, err) = steer(&run.url, &["brain.coupling_params.a=fast"]);
    assert!(
        !ok && err.contains("`brain.coupling_params.a`: `fast` is not a finite number"),
        "{err}"
    );
    let bad = run.url.replace("token=", "token=x");
    let (ok, _, err) = steer(&bad, &["brain.coupling_params.a=0.02"]);
    assert!(!ok && err.contains("wrong token"), "{err}");
    // the page's way: a POST
    let (st, body) = http(&run.url, "POST", "/steer", "brain.coupling_params.b=0.001");
    assert_eq!(st, 200, "{body}");
    let (ok, said, err) = steer(&run.url, &["brain.coupling_params.a=0.02", "--resume"]);
    assert!(ok, "{err}");
    assert!(
        said.contains("resumed")
            && said.contains("brain.coupling_params.a = 0.02 from brain's next window"),
        "{said}"
    );
    let lag = run.wait_for("real time:", Duration::from_secs(300));
    run.wait_for("serving the finished run", Duration::from_secs(10));
    drop(run);

    // the events: both before the same window of brain, after the first
    let text = std::fs::read_to_string(a.join("steering.jsonl")).unwrap();
    let events: Vec<serde_json::Value> = text
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(events.len(), 2, "{text}");
    assert_eq!(events[0]["key"], "brain.coupling_params.b");
    assert_eq!(
        (events[0]["old"].as_f64(), events[0]["new"].as_f64()),
        (Some(0.0), Some(0.001))
    );
    assert_eq!(events[1]["key"], "brain.coupling_params.a");
    assert_eq!(
        (events[1]["old"].as_f64(), events[1]["new"].as_f64()),
        (Some(0.0042), Some(0.02))
    );
    assert_eq!(events[0]["source"], "page");
    assert_eq!(events[1]["source"], "steer");
    let w = events[0]["window"].as_u64().unwrap();
    assert!(
        w > 0 && w < 60 && events[1]["window"] == events[0]["window"],
        "{text}"
    );

    // --realtime: one lag per window, none absurd
    let tsv = std::fs::read_to_string(a.join("realtime.tsv")).unwrap();
    assert_eq!(tsv.lines().count(), 61, "{tsv}");
    assert!(
        lag.contains("lag mean") && lag.contains("realtime.tsv"),
        "{lag}"
    );

    // replayed: the same bits; unsteered: others
    let t = Instant::now();
    let o = bs()
        .args(["run", "graphs/tvb_rww76.toml", "-q", "--out"])
        .arg(&b)
        .args(set)
        .arg("--replay")
        .arg(a.join("steering.jsonl"))
        .current_dir(root())
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert!(t.elapsed() < Duration::from_secs(120));
    assert!(
        raw_bits(&a) == raw_bits(&b),
        "the replay differs from the steered run"
    );
    let replayed = std::fs::read_to_string(b.join("steering.jsonl")).unwrap();
    assert_eq!(
        replayed.replace("\"replay\"", "\"page\"").lines().next(),
        text.lines().next()
    );
    let o = bs()
        .args(["run", "graphs/tvb_rww76.toml", "-q", "--out"])
        .arg(&c)
        .args(set)
        .current_dir(root())
        .output()
        .unwrap();
    assert!(o.status.success());
    assert!(raw_bits(&a) != raw_bits(&c), "steering changed nothing");
    assert!(!c.join("steering.jsonl").exists());

    // a replay that does not fit the graph is refused before any work
    let bad = dir.path().join("bad.jsonl");
    std::fs::write(
        &bad,
        "{\"window\": 3, \"key\": \"cortex.coupling_params.a\", \"old\": 0.0042, \"new\": 0.02}\n",
    )
    .unwrap();
    let o = bs()
        .args(["run", "graphs/tvb_rww76.toml", "-q", "--force", "--out"])
        .arg(&c)
        .args(set)
        .arg("--replay")
        .arg(&bad)
        .current_dir(root())
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        !o.status.success()
            && err.contains("bad.jsonl:1: `cortex.coupling_params.a`: no actor `cortex`"),
        "{err}"
    );
    // one whose old value differs (another graph's) fails naming the line
    std::fs::write(
        &bad,
        "{\"window\": 3, \"key\": \"brain.coupling_params.a\", \"old\": 0.5, \"new\": 0.02}\n",
    )
    .unwrap();
    let o = bs()
        .args(["run", "graphs/tvb_rww76.toml", "-q", "--force", "--out"])
        .arg(&c)
        .args(set)
        .arg("--replay")
        .arg(&bad)
        .current_dir(root())
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        !o.status.success() && err.contains("bad.jsonl:1: `brain.coupling_params.a` was 0.5 before window 3 in the recorded run and is 0.0042 here"),
        "{err}"
    );
}

#[test]
fn a_replayed_stimulus_amplitude_changes_the_run_from_its_window() {
    let dir = tempfile::tempdir().unwrap();
    let (a, b) = (dir.path().join("a"), dir.path().join("b"));
    let events = dir.path().join("events.jsonl");
    // the pulse (onset 100 ms, 20 ms every 200 ms) doubled from window 25
    // (t = 250 ms, windows of 10 ms): its second pulse, at 300 ms
    std::fs::write(
        &events,
        "{\"window\": 25, \"key\": \"pulse.equation_params.amp\", \"old\": 1.0, \"new\": 2.0}\n",
    )
    .unwrap();
    let run = |out: &std::path::Path, replay: bool| {
        let mut c = bs();
        c.args(["run", "graphs/stimulus_pulse76.toml", "-q", "--out"])
            .arg(out)
            .args([
                "--set",
                "simulation.duration_ms=400",
                "--set",
                "simulation.sync_ms=10",
            ])
            .current_dir(root());
        if replay {
            c.arg("--replay").arg(&events);
        }
        let o = c.output().unwrap();
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    };
    run(&a, true);
    run(&b, false);
    let text = std::fs::read_to_string(a.join("steering.jsonl")).unwrap();
    assert!(
        text.starts_with("{\"window\":25,\"key\":\"pulse.equation_params.amp\",\"old\":1.0,\"new\":2.0,\"source\":\"replay\"}"),
        "{text}"
    );
    // tavg.h5: 1 ms averages; equal before the change, not after
    let (shape, x, _) = read_h5(&a.join("tavg.h5"));
    let (_, y, _) = read_h5(&b.join("tavg.h5"));
    let per = x.len() / shape[0];
    let at = |ms: usize| ms * per;
    assert_eq!(x[..at(250)], y[..at(250)]);
    assert_ne!(x[at(300)..], y[at(300)..]);
}
