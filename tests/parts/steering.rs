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
    let (ok, _, err) = steer(&run.url, &["brain.speed_mm_per_ms=5"]);
    assert!(!ok);
    assert!(
        err.contains("`brain.speed_mm_per_ms`: `speed_mm_per_ms` of `brain` (mean_field) cannot change during a run: the delays are whole steps of the history, fixed when the run starts; these can: coupling_params.a, coupling_params.b, model_params.{"),
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

/// Runs `graph` with `--replay events` (when given) and `--set`s, 10 ms
/// windows; stderr on failure, else "".
fn run_replayed(
    graph: &std::path::Path,
    out: &std::path::Path,
    events: Option<&str>,
    set: &[&str],
) -> Result<(), String> {
    let mut c = bs();
    c.args(["run", "-q", "--out"])
        .arg(out)
        .arg(graph)
        .current_dir(root());
    for s in set {
        c.args(["--set", s]);
    }
    if let Some(e) = events {
        let p = out.with_extension("jsonl");
        std::fs::write(&p, e).unwrap();
        c.arg("--replay").arg(&p);
    }
    let o = c.output().unwrap();
    if o.status.success() {
        Ok(())
    } else {
        Err(String::from_utf8_lossy(&o.stderr).to_string())
    }
}

/// A mean field's model parameter (ReducedWongWang's `w`) steered before
/// window 0 gives the run whose graph sets it, to the bit; steered before
/// window 5 it leaves the states up to that window's start as they were
/// and changes the rest; keys that cannot change are refused naming why.
#[test]
fn a_steered_model_parameter_changes_the_run_from_its_window() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let text = std::fs::read_to_string(root().join("graphs/tvb_rww76.toml"))
        .unwrap()
        .replace("duration_ms = 1000.0", "duration_ms = 100.0")
        .replace("sync_ms = 100.0", "sync_ms = 10.0");
    let g = write(d, "rww.toml", &text);
    let ev = |w: u64, key: &str, old: f64, new: f64| {
        format!("{{\"window\":{w},\"key\":\"{key}\",\"old\":{old:?},\"new\":{new:?}}}\n")
    };
    let steered0 = d.join("w0");
    run_replayed(
        &g,
        &steered0,
        Some(&ev(0, "brain.model_params.w", 0.6, 0.9)),
        &[],
    )
    .unwrap();
    let set = d.join("set");
    run_replayed(&g, &set, None, &["actors.brain.model_params.w=0.9"]).unwrap();
    assert_eq!(
        raw_bits(&steered0),
        raw_bits(&set),
        "steered before window 0 = set in the graph"
    );
    let plain = d.join("plain");
    run_replayed(&g, &plain, None, &[]).unwrap();
    let steered5 = d.join("w5");
    run_replayed(
        &g,
        &steered5,
        Some(&ev(5, "brain.model_params.w", 0.6, 0.9)),
        &[],
    )
    .unwrap();
    let (x, y) = (raw_bits(&steered5), raw_bits(&plain));
    // raw.h5: one sample of S per step and region (76); window 5 begins at step 500
    let at = 500 * 76;
    assert_eq!(x.len(), y.len());
    assert_eq!(x[..at], y[..at], "before window 5");
    assert_ne!(x[at..at + 76], y[at..at + 76], "the first step of window 5");
    let events = std::fs::read_to_string(steered5.join("steering.jsonl")).unwrap();
    assert_eq!(
        events,
        "{\"window\":5,\"key\":\"brain.model_params.w\",\"old\":0.6,\"new\":0.9,\"source\":\"replay\"}\n"
    );
    // refusals: why, and what can change
    let e = run_replayed(
        &g,
        &d.join("bad1"),
        Some(&ev(2, "brain.speed_mm_per_ms", 3.0, 5.0)),
        &[],
    )
    .unwrap_err();
    assert!(
        e.contains("`speed_mm_per_ms` cannot change during a run: the delays are whole steps of the history, fixed when the run starts; these can: coupling_params.a, coupling_params.b, model_params.{a, b, d, gamma, tau_s, w, J_N, I_o"),
        "{e}"
    );
    let e = run_replayed(
        &g,
        &d.join("bad2"),
        Some(&ev(2, "brain.model_params.nope", 1.0, 2.0)),
        &[],
    )
    .unwrap_err();
    assert!(
        e.contains("`model_params.nope` cannot change during a run; these can:"),
        "{e}"
    );
    let e = run_replayed(
        &g,
        &d.join("bad3"),
        Some(&ev(2, "brain.model_params.tau_s", 100.0, -1.0)),
        &[],
    )
    .unwrap_err();
    assert!(
        e.contains("`model_params.tau_s`: ") && e.contains("-1"),
        "{e}"
    );
    // a parameter given per region stays as the graph gives it
    let e = run_replayed(
        &g,
        &d.join("bad4"),
        Some(&ev(2, "brain.model_params.w", 0.6, 0.9)),
        &["actors.brain.model_params.w={ default = 0.6, regions = { rM1 = 0.7 } }"],
    )
    .unwrap_err();
    assert!(
        e.contains("`model_params.w` cannot change during a run: the graph gives ReducedWongWang's `w` one value per region"),
        "{e}"
    );
}

/// A population's neuron parameter (`I_e` of E) steered before window 0
/// gives the run whose graph sets it, spike for spike; steered before
/// window 5 (t = 50 ms) the spikes up to then are the unsteered run's and
/// the later ones change; the background rate likewise; what cannot
/// change is refused naming why.
#[test]
fn a_steered_neuron_parameter_changes_the_spikes_from_its_window() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let g = write(
        d,
        "spk.toml",
        &super::checkpoint::SPIKING.replace("EXTRA", ""),
    );
    let set_g = write(
        d,
        "spk_set.toml",
        &super::checkpoint::SPIKING.replace("EXTRA", "population_params = { E = { I_e = 150.0 } }"),
    );
    let ev = |w: u64, key: &str, old: f64, new: f64| {
        format!("{{\"window\":{w},\"key\":\"{key}\",\"old\":{old:?},\"new\":{new:?}}}\n")
    };
    let spikes = |out: &std::path::Path| read_spikes(&out.join("spikes.h5"));
    let (a, b) = (d.join("a"), d.join("b"));
    run_replayed(
        &g,
        &a,
        Some(&ev(0, "net.population_params.E.I_e", 0.0, 150.0)),
        &[],
    )
    .unwrap();
    run_replayed(&set_g, &b, None, &[]).unwrap();
    let (ta, sa) = spikes(&a);
    let (tb, sb) = spikes(&b);
    assert!(!ta.is_empty());
    assert_eq!(
        (ta.iter().map(|t| t.to_bits()).collect::<Vec<_>>(), sa),
        (tb.iter().map(|t| t.to_bits()).collect::<Vec<_>>(), sb)
    );
    let plain = d.join("plain");
    run_replayed(&g, &plain, None, &[]).unwrap();
    let (tp, sp) = spikes(&plain);
    for (name, key, old, new) in [
        ("ie", "net.population_params.E.I_e", 0.0, 150.0),
        ("rate", "net.background.rate_hz", 8000.0, 12000.0),
    ] {
        let out = d.join(name);
        run_replayed(&g, &out, Some(&ev(5, key, old, new)), &[]).unwrap();
        let (t, s) = spikes(&out);
        // spikes emitted in steps before 500 (t ≤ 50 ms) are the unsteered run's
        let before = |t: &[f64]| t.iter().filter(|&&x| x <= 50.0 + 1e-9).count();
        let n = before(&tp);
        assert!(n > 0);
        assert_eq!(before(&t), n, "{name}");
        assert_eq!(
            (&t[..n], &s[..n]),
            (&tp[..n], &sp[..n]),
            "{name}: before window 5"
        );
        assert_ne!(
            (&t[n..], &s[n..]),
            (&tp[n..], &sp[n..]),
            "{name}: from window 5"
        );
    }
    for (k, (key, old, why)) in [
        ("net.population_params.E.E_L", -70.0, "`population_params.E.E_L` cannot change during a run: iaf_psc_alpha keeps its membrane potential relative to `E_L`"),
        ("net.connections", 1.0, "`connections` cannot change during a run: the synapses are drawn into the network's tables when the run starts"),
        ("net.background.weight", 20.0, "`background.weight` cannot change during a run: the background's synapses are made when the run starts"),
    ]
    .into_iter()
    .enumerate()
    {
        let e = run_replayed(&g, &d.join(format!("bad{k}")), Some(&ev(2, key, old, old + 1.0)), &[]).unwrap_err();
        assert!(e.contains(why) && e.contains("these can: population_params.E.{"), "{e}");
    }
}
